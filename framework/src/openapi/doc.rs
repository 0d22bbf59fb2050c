//! [`Doc`]: what one operation says of itself in the OpenAPI document, over what the router infers
//! (drf-spectacular's `@extend_schema`).

use std::collections::BTreeMap;

use utoipa::openapi::schema::{Components, Schema};
use utoipa::openapi::{RefOr, Required};

/// A schema for the document: a registered component (`$ref`) or an inline schema.
#[derive(Clone)]
pub(crate) enum SchemaSource {
    /// A type's schema, registered under its name in `components` (with the types it names).
    Component(fn(&mut Components) -> RefOr<Schema>),
    /// A schema given as is.
    Inline(Box<RefOr<Schema>>),
}

impl SchemaSource {
    pub(crate) fn of<T: utoipa::ToSchema>() -> Self {
        Self::Component(register::<T>)
    }

    pub(crate) fn resolve(&self, components: &mut Components) -> RefOr<Schema> {
        match self {
            Self::Component(f) => f(components),
            Self::Inline(s) => (**s).clone(),
        }
    }
}

/// Registers `T`'s schema and the schemas it refers to; returns a `$ref` to it.
pub(crate) fn register<T: utoipa::ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let name = T::name().into_owned();
    if !components.schemas.contains_key(&name) {
        components.schemas.insert(name.clone(), T::schema());
        let mut deps = Vec::new();
        T::schemas(&mut deps);
        for (dep, schema) in deps {
            components.schemas.entry(dep).or_insert(schema);
        }
    }
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
}

/// What a response carries.
#[derive(Clone)]
pub(crate) enum Body {
    /// Data, rendered by each of the view's data renderers.
    Data(SchemaSource),
    /// Raw bytes, from each of the view's byte renderers.
    Binary,
    /// No body.
    Empty,
}

#[derive(Clone)]
pub(crate) struct ResponseDoc {
    pub(crate) description: String,
    pub(crate) body: Body,
    pub(crate) headers: Vec<(String, String)>,
}

#[derive(Clone)]
pub(crate) struct QueryDoc {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) schema: RefOr<Schema>,
    pub(crate) required: Required,
}

/// What one operation says of itself in the OpenAPI document: its id, tags and texts, its request
/// body, its responses and query parameters (drf-spectacular's `@extend_schema`).
///
/// Everything not given is inferred: path parameters from the route's captures, `format` from
/// the view's renderers, one request content entry per parser, one response content entry per
/// renderer, and the error responses the view can give. A viewset fills in its own actions;
/// extra actions add theirs with `Action::extend_schema`, any view with
/// [`ApiView::doc`](crate::ApiView::doc).
///
/// ```
/// use restframe::openapi::Doc;
///
/// #[derive(serde::Serialize, utoipa::ToSchema)]
/// struct Track { id: i64, title: String }
///
/// let doc = Doc::new()
///     .operation_id("tracks_upload")
///     .summary("Upload the track's audio file")
///     .file_field("file")
///     .response::<Track>(200, "The track, with its file URL.")
///     .errors([404, 413]);
/// # let _ = doc;
/// ```
#[derive(Clone, Default)]
pub struct Doc {
    pub(crate) operation_id: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) request: Option<SchemaSource>,
    pub(crate) file_fields: Vec<String>,
    pub(crate) responses: BTreeMap<u16, ResponseDoc>,
    pub(crate) query: Vec<QueryDoc>,
    pub(crate) errors: Vec<u16>,
    pub(crate) exclude: bool,
    /// What the operation is in an API version's document when it differs (a list paginated
    /// otherwise in that version): the whole description for that version.
    pub(crate) versions: Vec<(String, Doc)>,
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doc")
            .field("operation_id", &self.operation_id)
            .field("tags", &self.tags)
            .field("responses", &self.responses.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Doc {
    /// The description in the document of API `version` (this one unless a version's own was
    /// given).
    pub(crate) fn for_version(&self, version: Option<&str>) -> &Doc {
        version
            .and_then(|v| self.versions.iter().find(|(name, _)| name == v))
            .map_or(self, |(_, doc)| doc)
    }

    /// Nothing said yet: everything is inferred.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `operationId` given, if any.
    pub fn id(&self) -> Option<&str> {
        self.operation_id.as_deref()
    }

    /// The `operationId` (unique in the document; `tracks_upload`).
    pub fn operation_id(mut self, id: &str) -> Self {
        self.operation_id = Some(id.to_owned());
        self
    }

    /// A one-line summary.
    pub fn summary(mut self, summary: &str) -> Self {
        self.summary = Some(summary.to_owned());
        self
    }

    /// A longer description (CommonMark), over the view's description.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    /// Adds a tag (the viewset's tag by default).
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.to_owned());
        self
    }

    /// The request body is a `T`, in every format the view parses.
    pub fn request<T: utoipa::ToSchema>(mut self) -> Self {
        self.request = Some(SchemaSource::of::<T>());
        self
    }

    /// The request body, as a schema given by hand.
    pub fn request_schema(mut self, schema: impl Into<RefOr<Schema>>) -> Self {
        self.request = Some(SchemaSource::Inline(Box::new(schema.into())));
        self
    }

    /// A file field of a `multipart/form-data` body (a binary string, which Swagger UI shows as
    /// a file picker). A raw-upload parser adds an `application/octet-stream` body either way.
    pub fn file_field(mut self, name: &str) -> Self {
        self.file_fields.push(name.to_owned());
        self
    }

    /// A response with a `T` in every format the view renders data in. Replaces what was
    /// inferred for this status.
    pub fn response<T: utoipa::ToSchema>(mut self, status: u16, description: &str) -> Self {
        self.put(status, description, Body::Data(SchemaSource::of::<T>()));
        self
    }

    /// A response whose data has a schema given by hand.
    pub fn response_schema(
        mut self,
        status: u16,
        description: &str,
        schema: impl Into<RefOr<Schema>>,
    ) -> Self {
        self.put(
            status,
            description,
            Body::Data(SchemaSource::Inline(Box::new(schema.into()))),
        );
        self
    }

    /// A response of raw bytes, in each media type the view's byte renderers produce (a file,
    /// an image).
    ///
    /// Given with [`response`](Self::response) (or
    /// [`response_schema`](Self::response_schema)) for the same status, in either order, the
    /// two combine: the data in each data format and the bytes in each byte format.
    ///
    /// ```
    /// use restframe::openapi::{ApiInfo, Doc};
    /// use restframe::renderers::{BinaryRenderer, JsonRenderer, Renderer};
    /// use restframe::{Response, Router, api_view};
    /// use std::sync::Arc;
    ///
    /// #[derive(serde::Serialize, utoipa::ToSchema)]
    /// struct Cover { url: String }
    ///
    /// for doc in [
    ///     Doc::new().response::<Cover>(200, "The cover").binary_response(200, "The cover"),
    ///     Doc::new().binary_response(200, "The cover").response::<Cover>(200, "The cover"),
    /// ] {
    ///     let view = api_view(|_req| async { Ok(Response::new("")) })
    ///         .renderers([
    ///             Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
    ///             Arc::new(BinaryRenderer::new(mime::IMAGE_PNG, "png")),
    ///         ])
    ///         .doc(doc);
    ///     let router = Router::new().route("/cover/", "cover", [(http::Method::GET, view)])?;
    ///     let doc = serde_json::to_value(router.openapi(&ApiInfo::new("Covers", "1")))?;
    ///     let content = &doc["paths"]["/cover/"]["get"]["responses"]["200"]["content"];
    ///     assert!(content["application/json"].is_object(), "{content}");
    ///     assert!(content["image/png"].is_object(), "{content}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn binary_response(mut self, status: u16, description: &str) -> Self {
        // Data responses list the byte formats too: data given first stays.
        let body = match self.responses.get(&status) {
            Some(ResponseDoc {
                body: body @ Body::Data(_),
                ..
            }) => body.clone(),
            _ => Body::Binary,
        };
        self.put(status, description, body);
        self
    }

    /// A response without a body (`204`, `304`, a `302` redirect).
    pub fn empty_response(mut self, status: u16, description: &str) -> Self {
        self.put(status, description, Body::Empty);
        self
    }

    /// A header of the response for `status` (declared before with one of the `*response`
    /// methods), such as `ETag`.
    pub fn response_header(mut self, status: u16, name: &str, description: &str) -> Self {
        if let Some(r) = self.responses.get_mut(&status) {
            r.headers.push((name.to_owned(), description.to_owned()));
        }
        self
    }

    /// A query parameter, as a string.
    pub fn query(self, name: &str, description: &str) -> Self {
        let schema = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .build();
        self.query_schema(name, description, schema, false)
    }

    /// A query parameter with its schema.
    pub fn query_schema(
        mut self,
        name: &str,
        description: &str,
        schema: impl Into<RefOr<Schema>>,
        required: bool,
    ) -> Self {
        self.query.retain(|q| q.name != name);
        self.query.push(QueryDoc {
            name: name.to_owned(),
            description: description.to_owned(),
            schema: schema.into(),
            required: if required {
                Required::True
            } else {
                Required::False
            },
        });
        self
    }

    /// Error statuses the operation may answer besides the inferred ones (`403`, `409`, …),
    /// each with the error body (`{"detail": …}`).
    pub fn errors(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        for s in statuses {
            if !self.errors.contains(&s) {
                self.errors.push(s);
            }
        }
        self
    }

    /// Leaves the operation out of the document (the docs pages themselves, test routes).
    pub fn exclude(mut self) -> Self {
        self.exclude = true;
        self
    }

    /// The request body is the component `f` registers.
    pub(crate) fn request_component(mut self, f: fn(&mut Components) -> RefOr<Schema>) -> Self {
        self.request = Some(SchemaSource::Component(f));
        self
    }

    /// A response with the component `f` registers.
    pub(crate) fn response_component(
        mut self,
        status: u16,
        description: &str,
        f: fn(&mut Components) -> RefOr<Schema>,
    ) -> Self {
        self.put(status, description, Body::Data(SchemaSource::Component(f)));
        self
    }

    fn put(&mut self, status: u16, description: &str, body: Body) {
        self.responses.insert(
            status,
            ResponseDoc {
                description: description.to_owned(),
                body,
                headers: Vec::new(),
            },
        );
    }

    /// `over`'s statements on top of `self`'s.
    pub fn merge(mut self, mut over: Doc) -> Self {
        // What is said over applies in every version's description too.
        let over_versions = std::mem::take(&mut over.versions);
        self.versions = std::mem::take(&mut self.versions)
            .into_iter()
            .map(|(v, doc)| (v, doc.merge(over.clone())))
            .collect();
        self.versions.extend(over_versions);
        self.operation_id = over.operation_id.or(self.operation_id);
        self.summary = over.summary.or(self.summary);
        self.description = over.description.or(self.description);
        for t in over.tags {
            if !self.tags.contains(&t) {
                self.tags.push(t);
            }
        }
        self.request = over.request.or(self.request);
        for f in over.file_fields {
            if !self.file_fields.contains(&f) {
                self.file_fields.push(f);
            }
        }
        self.responses.extend(over.responses);
        for q in over.query {
            self.query.retain(|mine| mine.name != q.name);
            self.query.push(q);
        }
        self = self.errors(over.errors);
        self.exclude |= over.exclude;
        self
    }
}
