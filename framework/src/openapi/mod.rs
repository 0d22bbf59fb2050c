//! The generated OpenAPI 3.1 document, and the pages that show it: Swagger UI and ReDoc, with
//! every asset served by the app itself (feature `openapi`).
//!
//! Nobody writes the document: [`Router::schema`](crate::Router::schema) describes every route the router knows, from
//! what the routes, views, renderers and parsers already say — path parameters with their
//! regex, `format` with the registered formats, one request content entry per parser, one
//! response content entry per renderer, the error responses — and what viewsets and actions add
//! with [`Doc`]. Model schemas come from `utoipa::ToSchema`.
//!
//! ```
//! use restframe::openapi::ApiInfo;
//! use restframe::{api_view, Request, Response, Router};
//! use http::Method;
//!
//! let hello = api_view(|_req: Request| async { Ok(Response::new("hello")) }).name("Hello");
//! let router = Router::new()
//!     .route("/api/hello/", "hello", [(Method::GET, hello)])?
//!     .schema("/api/schema/", "schema", ApiInfo::new("Music", "1.0.0"))?
//!     .swagger_ui("/api/docs/", "swagger-ui", "/api/schema/")?
//!     .redoc("/api/redoc/", "redoc", "/api/schema/")?;
//! let doc = router.openapi(&ApiInfo::new("Music", "1.0.0"));
//! assert!(doc.paths.paths.contains_key("/api/hello/"));
//! assert!(!doc.paths.paths.contains_key("/api/docs/"));
//! # Ok::<(), restframe::RouteError>(())
//! ```

mod doc;
mod generate;
mod oas30;
mod routes;
#[cfg(feature = "auth")]
mod security;
mod single;
mod ui;

/// Without feature `auth` there is no request policy to describe.
#[cfg(not(feature = "auth"))]
mod security {
    #[derive(Default)]
    pub(super) struct PolicyDoc {
        pub(super) security: Vec<utoipa::openapi::security::SecurityRequirement>,
        pub(super) errors: Vec<u16>,
        pub(super) throttled: bool,
    }

    pub(super) fn describe(
        _view: &crate::view::ApiView,
        _method: &http::Method,
        _components: &mut utoipa::openapi::schema::Components,
    ) -> PolicyDoc {
        PolicyDoc::default()
    }
}

pub use doc::Doc;
pub(crate) use doc::register as register_schema;
use generate::{RouteDesc, generate};
pub use oas30::to_oas30;
use ui::{redoc_views, schema_view, swagger_views};

/// The document's `info`: title, version and description.
///
/// ```
/// let info = restframe::openapi::ApiInfo::new("Music catalogue", "0.1.0")
///     .description("Tracks, users and their files.");
/// # let _ = info;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiInfo {
    pub(crate) title: String,
    pub(crate) version: String,
    pub(crate) description: String,
    /// The data media types the document lists; `None`: every one the views offer.
    pub(crate) media_types: Option<Vec<String>>,
    /// Components that one version's document describes otherwise.
    pub(crate) for_versions: Vec<VersionComponent>,
    /// One media type per request body, one success type and one error type per operation.
    pub(crate) one_type: bool,
}

/// A schema component as one version of the API shows it ([`ApiInfo::version_component`]).
#[derive(Clone)]
pub(crate) struct VersionComponent {
    pub(crate) version: String,
    pub(crate) name: String,
    pub(crate) schema: fn(
        &mut utoipa::openapi::Components,
    ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
}

impl std::fmt::Debug for VersionComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in version {}", self.name, self.version)
    }
}

/// Two are the same when they replace the same component of the same version.
impl PartialEq for VersionComponent {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.name == other.name
    }
}

impl Eq for VersionComponent {}

impl ApiInfo {
    /// The API's title and version (of the API, not of restframe).
    pub fn new(title: &str, version: &str) -> Self {
        Self {
            title: title.to_owned(),
            version: version.to_owned(),
            description: String::new(),
            media_types: None,
            for_versions: Vec::new(),
            one_type: false,
        }
    }

    /// Describes one type per place, for client generators that take no alternatives
    /// (progenitor, for one, stops at an operation with two request body types): a request
    /// body keeps one media type (`application/json`, else `application/octet-stream`, else a
    /// form); an operation keeps the success responses of its first 2xx's type (a `206` of
    /// bytes goes where the `200` is JSON); and its JSON error responses, when their schemas
    /// differ, each answer one union of them (`ErrorOrValidationError`, a component).
    ///
    /// What is left is still true of the server, which keeps taking and giving every
    /// alternative; the document only leaves some out. Serve it beside the full document, for
    /// the generators that need it.
    ///
    /// ```
    /// use restframe::Router;
    /// use restframe::openapi::ApiInfo;
    /// let router = Router::new().schema(
    ///     "/api/schema/client/",
    ///     "schema-client",
    ///     ApiInfo::new("Music", "1")
    ///         .media_types(["application/json"])
    ///         .one_type_per_operation(),
    /// )?;
    /// # let _ = router;
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn one_type_per_operation(mut self) -> Self {
        self.one_type = true;
        self
    }

    /// In the document of URL-path `version` (`"v2"`: the value of the route's `{version}`
    /// capture), the schema component `name` is `schema`'s instead of the one the views give:
    /// for a representation that changes between versions, such as a relation shown as its id
    /// in one version and nested in the next. `schema` may register the components it refers
    /// to. Documents of other versions, and the unversioned one, are left as they are.
    ///
    /// ```
    /// use restframe::openapi::ApiInfo;
    /// use utoipa::openapi::schema::{Components, ObjectBuilder, Schema, Type};
    /// use utoipa::openapi::RefOr;
    ///
    /// fn owner_v2(_: &mut Components) -> RefOr<Schema> {
    ///     ObjectBuilder::new()
    ///         .property("id", ObjectBuilder::new().schema_type(Type::Integer))
    ///         .property("username", ObjectBuilder::new().schema_type(Type::String))
    ///         .into()
    /// }
    /// let info = ApiInfo::new("Music", "2").version_component("v2", "Owner", owner_v2);
    /// # let _ = info;
    /// ```
    pub fn version_component(
        mut self,
        version: &str,
        name: &str,
        schema: fn(
            &mut utoipa::openapi::Components,
        ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    ) -> Self {
        self.for_versions.push(VersionComponent {
            version: version.to_owned(),
            name: name.to_owned(),
            schema,
        });
        self
    }

    /// A description (CommonMark).
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// Lists only these media types for data, in request bodies and responses (`["application/json"]`
    /// for a JSON-only document that every client generator reads). Files are listed whatever
    /// their type: raw uploads, multipart bodies with files, and bytes a route answers (`audio/mpeg`,
    /// `image/*`). The server still speaks every format it has; the document just leaves them out.
    ///
    /// Such a document is written for client generators, so files are described the way they
    /// keep them (openapi-python-client, for one, drops any other binary type with a warning):
    /// - bytes a route answers are listed under `application/octet-stream` too, right after their
    ///   own type (which stays: it is the `Content-Type` the server sends);
    /// - a response's types follow the view's renderers, the order the server prefers them in:
    ///   a generator takes the first type it reads as the response's and sends no `Accept`, so
    ///   a route whose first renderer writes an image is read as bytes, not as JSON;
    /// - a raw upload of a type of its own (`image/*`) is left out when a multipart form takes
    ///   the same file; a raw upload of any type is `application/octet-stream` anyway.
    ///
    /// ```
    /// use restframe::Router;
    /// use restframe::openapi::ApiInfo;
    /// let router = Router::new().schema(
    ///     "/api/schema/json/",
    ///     "schema-json",
    ///     ApiInfo::new("Music", "1").media_types(["application/json"]),
    /// )?;
    /// # let _ = router;
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn media_types<'a>(mut self, types: impl IntoIterator<Item = &'a str>) -> Self {
        self.media_types = Some(types.into_iter().map(str::to_ascii_lowercase).collect());
        self
    }

    /// Whether the document lists data in `media_type`.
    pub(crate) fn lists(&self, media_type: &str) -> bool {
        self.media_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t.eq_ignore_ascii_case(media_type)))
    }
}

/// The schema of [`crate::Date`]: an ISO 8601 date string.
impl utoipa::PartialSchema for crate::Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .examples(["2024-02-29"])
            .into()
    }
}

impl utoipa::ToSchema for crate::Date {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Date")
    }
}

/// The path from `from` (a page, ending in `/`) to `to`, both absolute: `/api/docs/` →
/// `/api/schema/` is `../schema/`. Links the pages write this way keep working under a mount
/// prefix or a proxy.
pub(crate) fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let to_trailing = to.ends_with('/');
    let to: Vec<&str> = to
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = "../".repeat(from.len() - common);
    out.push_str(&to[common..].join("/"));
    if to_trailing && to.len() > common {
        out.push('/');
    }
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn relative_paths() {
        assert_eq!(super::relative("/api/docs/", "/api/schema/"), "../schema/");
        assert_eq!(super::relative("/docs/", "/api/schema/"), "../api/schema/");
        assert_eq!(super::relative("/api/", "/api/schema.json"), "schema.json");
        assert_eq!(super::relative("/api/", "/api/"), "./");
    }
}
