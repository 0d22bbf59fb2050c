//! The OpenAPI routes a router can serve (the document, Swagger UI and ReDoc), and what a view
//! says of itself in the document. The router knows none of this: the schema view reads the
//! route table the router hands every view.

use std::sync::{Arc, Mutex, Weak};

use http::Method;
use utoipa::openapi::OpenApi;

use super::{ApiInfo, Doc, RouteDesc, generate, redoc_views, relative, swagger_views};
use crate::router::{RouteError, RouteTable, Router};
use crate::view::ApiView;

/// Marks the schema view, with the document's `info` (so ReDoc can take its title).
#[derive(Clone)]
pub(super) struct SchemaInfo(pub(super) Arc<ApiInfo>);

/// The documents a schema view serves, generated once per route table and per URL-path
/// version. The table is held weakly: the views it holds hold this.
#[derive(Default)]
pub(super) struct SchemaCache {
    current: Mutex<Vec<Cached<OpenApi>>>,
    /// With one type per operation ([`ApiInfo::one_type_per_operation`]): the documents as
    /// JSON, narrowed, made on first use.
    narrowed: Mutex<Vec<Cached<serde_json::Value>>>,
    /// Their OpenAPI 3.0.3 forms ([`super::to_oas30`]), made on first use.
    legacy: Mutex<Vec<Cached<serde_json::Value>>>,
}

/// A document of a table for a version (`None`: the unversioned routes).
type Cached<T> = (Weak<RouteTable>, Option<String>, Arc<T>);

/// The most documents a schema view keeps (one per API version, and the unversioned one).
const MAX_CACHED_DOCUMENTS: usize = 16;

/// The document in `cache` for `table` and `version`, else `make`'s, kept.
fn cached<T, E>(
    cache: &Mutex<Vec<Cached<T>>>,
    table: &Arc<RouteTable>,
    version: Option<&str>,
    make: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    let mut cache = match cache.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    // Documents of another table (the router was rebuilt) are dropped.
    cache.retain(|(t, _, _)| std::ptr::eq(t.as_ptr(), Arc::as_ptr(table)));
    if let Some((_, _, doc)) = cache.iter().find(|(_, v, _)| v.as_deref() == version) {
        return Ok(Arc::clone(doc));
    }
    let doc = Arc::new(make()?);
    // Bounded whatever the version capture takes: past the cap a document is made for the
    // request and not kept (a client cannot grow the cache with made-up versions).
    if cache.len() < MAX_CACHED_DOCUMENTS {
        cache.push((
            Arc::downgrade(table),
            version.map(str::to_owned),
            Arc::clone(&doc),
        ));
    }
    Ok(doc)
}

impl SchemaCache {
    /// The OpenAPI 3.0.3 form of the document of `table`, made on first use.
    pub(super) fn legacy(
        &self,
        table: &Arc<RouteTable>,
        info: &ApiInfo,
        version: Option<(&str, &str)>,
    ) -> Result<Arc<serde_json::Value>, serde_json::Error> {
        cached(&self.legacy, table, version.map(|v| v.1), || {
            let current = match self.narrowed(table, info, version)? {
                Some(narrowed) => narrowed,
                None => Arc::new(serde_json::to_value(&*self.document(table, info, version))?),
            };
            Ok(super::to_oas30(&current))
        })
    }

    /// The document of `table` as JSON with one type per operation, made on first use; `None`
    /// unless `info` asks for it.
    pub(super) fn narrowed(
        &self,
        table: &Arc<RouteTable>,
        info: &ApiInfo,
        version: Option<(&str, &str)>,
    ) -> Result<Option<Arc<serde_json::Value>>, serde_json::Error> {
        if !info.one_type {
            return Ok(None);
        }
        cached(&self.narrowed, table, version.map(|v| v.1), || {
            let mut json = serde_json::to_value(&*self.document(table, info, version))?;
            super::single::one_type_per_operation(&mut json);
            Ok(json)
        })
        .map(Some)
    }

    /// The document of `table` (of the routes of URL-path `version`, when given), generated on
    /// first use.
    pub(super) fn document(
        &self,
        table: &Arc<RouteTable>,
        info: &ApiInfo,
        version: Option<(&str, &str)>,
    ) -> Arc<OpenApi> {
        let made: Result<_, std::convert::Infallible> =
            cached(&self.current, table, version.map(|v| v.1), || {
                Ok(document(table, info, version))
            });
        match made {
            Ok(doc) => doc,
        }
    }
}

/// The capture that URL-path versioning uses unless told otherwise (DRF's `version_param`).
const VERSION_CAPTURE: &str = "version";

/// The document of a route table. With a URL-path `version` (its capture and value): the routes
/// with that capture, the value in their paths; without: the routes without a `version`
/// capture. So each version has its own document, and the unversioned API its own.
fn document(table: &RouteTable, info: &ApiInfo, version: Option<(&str, &str)>) -> OpenApi {
    let prefix = table.mount_prefix();
    let routes = table.entries().iter().filter_map(|r| {
        let has = |name: &str| r.captures().any(|(n, _)| n == name);
        let (path, captures) = match version {
            Some((capture, value)) => {
                if !has(capture) {
                    return None;
                }
                let path = r.template().replace(&format!("{{{capture}}}"), value);
                let captures = r.captures().filter(|(n, _)| *n != capture).collect();
                (path, captures)
            }
            None => {
                if has(VERSION_CAPTURE) {
                    return None;
                }
                (r.template().to_owned(), r.captures().collect())
            }
        };
        Some(RouteDesc {
            path: format!("{prefix}{path}"),
            template: r.template(),
            name: r.name(),
            captures,
            methods: r.methods(),
            version: version.map(|(_, value)| value),
        })
    });
    generate(info, version.map(|(_, value)| value), routes)
}

impl Router {
    /// Registers the OpenAPI 3.1 document at `pattern` (feature `openapi`): every route of the
    /// router, registered before or after it, described from its views (see
    /// [`crate::openapi`]). Served in the router's JSON and YAML formats (JSON by default), and
    /// generated once.
    pub fn schema(self, pattern: &str, name: &str, info: ApiInfo) -> Result<Self, RouteError> {
        let view = super::schema_view(self.settings(), Arc::new(info));
        self.route(pattern, name, [(Method::GET, view)])
    }

    /// Serves Swagger UI at `pattern` (a page ending in `/`; its files under it), showing the
    /// document registered at `schema_pattern`. Every file comes from the app (Swagger UI is
    /// compiled in), so the page works offline and under its strict Content-Security-Policy.
    ///
    /// Register the document first: `schema_pattern` must name a route of this router, as
    /// registered (`/schema/`) or, under a [mount prefix](Router::mount_prefix), as the public
    /// path (`/api/schema/`). Anything else is a registration error, not a page that fails to
    /// load its document.
    ///
    /// ```
    /// use restframe::Router;
    /// use restframe::openapi::ApiInfo;
    /// let router = Router::new()
    ///     .mount_prefix("/api")
    ///     .schema("/schema/", "schema", ApiInfo::new("Music", "1"))?;
    /// // The public path works as well as the router's own.
    /// let router = router.swagger_ui("/docs/", "swagger-ui", "/api/schema/")?;
    /// assert!(router.redoc("/redoc/", "redoc", "/api/shema/").is_err());
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn swagger_ui(
        self,
        pattern: &str,
        name: &str,
        schema_pattern: &str,
    ) -> Result<Self, RouteError> {
        self.swagger_ui_impl(pattern, name, &[("", schema_pattern)])
    }

    /// Swagger UI at `pattern` offering several documents in its selector, `(label, path)`
    /// each, the first shown first: one per API version, say (`("v1", "/api/v1/schema/")`).
    /// Each path must be a path of a registered route, as for [`Router::swagger_ui`].
    ///
    /// ```
    /// use restframe::Router;
    /// use restframe::openapi::ApiInfo;
    /// let router = Router::new()
    ///     .schema("/api/schema/", "schema", ApiInfo::new("Music", "1"))?
    ///     .schema("/api/{version:v[12]}/schema/", "schema-versioned", ApiInfo::new("Music", "1"))?
    ///     .swagger_ui_with(
    ///         "/api/docs/",
    ///         "swagger-ui",
    ///         &[("v1", "/api/v1/schema/"), ("v2", "/api/v2/schema/"), ("Accept", "/api/schema/")],
    ///     )?;
    /// assert!(router.swagger_ui_with("/x/", "x", &[("v3", "/api/v3/schema/")]).is_err());
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn swagger_ui_with(
        self,
        pattern: &str,
        name: &str,
        documents: &[(&str, &str)],
    ) -> Result<Self, RouteError> {
        self.swagger_ui_impl(pattern, name, documents)
    }

    fn swagger_ui_impl(
        self,
        pattern: &str,
        name: &str,
        documents: &[(&str, &str)],
    ) -> Result<Self, RouteError> {
        let page = format!("{}/", pattern.trim_end_matches('/'));
        let mut urls = Vec::with_capacity(documents.len());
        for (label, schema_pattern) in documents {
            let schema_pattern = self.schema_route(schema_pattern)?;
            urls.push(((*label).to_owned(), relative(&page, &schema_pattern)));
        }
        let (index, files) = swagger_views(urls);
        self.route(&page, name, [(Method::GET, index)])?.route(
            &format!("{page}{{file:[A-Za-z0-9_-][A-Za-z0-9_.-]*}}"),
            &format!("{name}-files"),
            [(Method::GET, files)],
        )
    }

    /// Serves ReDoc at `pattern`, showing the document registered at `schema_pattern` (and
    /// titled as it). Its script is compiled into restframe (`framework/assets/redoc/`), never
    /// downloaded. As for [`Router::swagger_ui`], the document's route must be registered
    /// first.
    pub fn redoc(
        self,
        pattern: &str,
        name: &str,
        schema_pattern: &str,
    ) -> Result<Self, RouteError> {
        let schema_pattern = &self.schema_route(schema_pattern)?;
        let page = format!("{}/", pattern.trim_end_matches('/'));
        // The page's title is the document's, when its route is registered already.
        let title = self
            .routes()
            .entries()
            .iter()
            .filter(|r| r.pattern() == schema_pattern)
            .flat_map(|r| r.methods())
            .find_map(|(_, view)| view.meta::<SchemaInfo>())
            .map(|info| info.0.title.clone())
            .unwrap_or_else(|| "API reference".to_owned());
        let (index, script) = redoc_views(relative(&page, schema_pattern), title);
        self.route(&page, name, [(Method::GET, index)])?.route(
            &format!("{page}redoc.standalone.js"),
            &format!("{name}-script"),
            [(Method::GET, script)],
        )
    }

    /// The router's own pattern of the document's route that a page names: as registered, or
    /// as its public path under the mount prefix. None registered is a registration error.
    fn schema_route(&self, schema_pattern: &str) -> Result<String, RouteError> {
        let table = self.routes();
        // Its pattern, or a path of it (`/api/v2/schema/` of `/api/{version}/schema/`).
        let registered = |p: &str| {
            table
                .entries()
                .iter()
                .any(|r| r.pattern() == p || r.matches_path(p))
        };
        if registered(schema_pattern) {
            return Ok(schema_pattern.to_owned());
        }
        let prefix = table.mount_prefix().trim_end_matches('/');
        if let Some(own) = schema_pattern
            .strip_prefix(prefix)
            .filter(|own| !prefix.is_empty() && own.starts_with('/'))
            && registered(own)
        {
            return Ok(own.to_owned());
        }
        Err(RouteError::Pattern {
            pattern: schema_pattern.to_owned(),
            why: "no route of this router is registered there: register the document \
                  (Router::schema) before its pages, and name it by its pattern or, under a \
                  mount prefix, by its public path"
                .to_owned(),
        })
    }

    /// The OpenAPI document of this router, as [`Router::schema`] serves it.
    pub fn openapi(&self, info: &ApiInfo) -> OpenApi {
        document(&self.routes(), info, None)
    }
}

impl ApiView {
    /// What the view says of itself in the OpenAPI document, over what is inferred (feature
    /// `openapi`). Given twice, the second statements go over the first.
    ///
    /// ```
    /// use restframe::{api_view, openapi::Doc, Request, Response};
    /// let view = api_view(|_req: Request| async { Ok(Response::new("pong")) })
    ///     .doc(Doc::new().operation_id("ping").summary("Answers pong."));
    /// assert_eq!(view.doc_info().and_then(|d| d.id()), Some("ping"));
    /// ```
    pub fn doc(self, doc: Doc) -> Self {
        let merged = match self.meta::<Arc<Doc>>() {
            Some(old) => Doc::clone(old).merge(doc),
            None => doc,
        };
        self.with_meta(Arc::new(merged))
    }

    /// What the view says of itself in the OpenAPI document, if anything.
    pub fn doc_info(&self) -> Option<&Doc> {
        self.meta::<Arc<Doc>>().map(|d| &**d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_cache_is_bounded_whatever_versions_are_asked_for() {
        let table = Router::new().routes();
        let cache = Mutex::new(Vec::new());
        for i in 0..100 {
            let version = format!("v{i}");
            let doc: Result<_, std::convert::Infallible> =
                cached(&cache, &table, Some(&version), || Ok(i));
            assert_eq!(*doc.unwrap(), i);
        }
        assert_eq!(cache.lock().unwrap().len(), MAX_CACHED_DOCUMENTS);
        // A kept one is served from the cache.
        let again: Result<_, std::convert::Infallible> =
            cached(&cache, &table, Some("v3"), || Ok(999));
        assert_eq!(*again.unwrap(), 3);
    }
}
