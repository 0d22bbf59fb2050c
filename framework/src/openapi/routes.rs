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

/// The document a schema view serves, generated once per route table. The table is held weakly:
/// the views it holds hold this.
#[derive(Default)]
pub(super) struct SchemaCache {
    current: Mutex<Option<(Weak<RouteTable>, Arc<OpenApi>)>>,
    /// Its OpenAPI 3.0.3 form ([`super::to_oas30`]), made on first use.
    legacy: Mutex<Option<(Weak<RouteTable>, Arc<serde_json::Value>)>>,
}

impl SchemaCache {
    /// The OpenAPI 3.0.3 form of the document of `table`, made on first use.
    pub(super) fn legacy(
        &self,
        table: &Arc<RouteTable>,
        info: &ApiInfo,
    ) -> Result<Arc<serde_json::Value>, serde_json::Error> {
        let mut cache = match self.legacy.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((cached, doc)) = cache.as_ref()
            && std::ptr::eq(cached.as_ptr(), Arc::as_ptr(table))
        {
            return Ok(Arc::clone(doc));
        }
        let current = serde_json::to_value(&*self.document(table, info))?;
        let doc = Arc::new(super::to_oas30(&current));
        *cache = Some((Arc::downgrade(table), Arc::clone(&doc)));
        Ok(doc)
    }

    /// The document of `table`, generated on first use.
    pub(super) fn document(&self, table: &Arc<RouteTable>, info: &ApiInfo) -> Arc<OpenApi> {
        let mut cache = match self.current.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((cached, doc)) = cache.as_ref()
            && std::ptr::eq(cached.as_ptr(), Arc::as_ptr(table))
        {
            return Arc::clone(doc);
        }
        let doc = Arc::new(document(table, info));
        *cache = Some((Arc::downgrade(table), Arc::clone(&doc)));
        doc
    }
}

/// The document of a route table.
fn document(table: &RouteTable, info: &ApiInfo) -> OpenApi {
    let prefix = table.mount_prefix();
    generate(
        info,
        table.entries().iter().map(|r| RouteDesc {
            path: format!("{prefix}{}", r.template()),
            template: r.template(),
            name: r.name(),
            captures: r.captures().collect(),
            methods: r.methods(),
        }),
    )
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
        let schema_pattern = &self.schema_route(schema_pattern)?;
        let page = format!("{}/", pattern.trim_end_matches('/'));
        let (index, files) = swagger_views(relative(&page, schema_pattern));
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
        let registered = |p: &str| table.entries().iter().any(|r| r.pattern() == p);
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
        document(&self.routes(), info)
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
