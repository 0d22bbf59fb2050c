//! The router's OpenAPI routes (feature `openapi`): the document, Swagger UI and ReDoc, and the
//! document generated from the route table.

use std::sync::Arc;

use http::Method;
use utoipa::openapi::OpenApi;

use super::{RouteError, RouteKind, Router};
use crate::openapi::{self, ApiInfo};

/// The router and the document's `info`, handed to the schema view in the request extensions.
#[derive(Clone)]
pub(crate) struct RouterHandle(pub(crate) Router, pub(crate) Arc<ApiInfo>);

impl RouterHandle {
    /// The router's document, generated on first use.
    pub(crate) fn document(&self) -> Arc<OpenApi> {
        self.0.openapi_cached(&self.1)
    }
}

/// The generated document, made once per router. A changed router (`Arc::make_mut` clones
/// `Inner`) starts empty.
#[derive(Default)]
pub(super) struct OpenApiCache(std::sync::Mutex<Option<(ApiInfo, Arc<OpenApi>)>>);

impl Clone for OpenApiCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Router {
    /// Registers the OpenAPI 3.1 document at `pattern` (feature `openapi`): every route of the
    /// router, registered before or after it, described from its views (see
    /// [`crate::openapi`]). Served in the router's JSON and YAML formats (JSON by default), and
    /// generated once.
    pub fn schema(self, pattern: &str, name: &str, info: ApiInfo) -> Result<Self, RouteError> {
        let view = openapi::schema_view(&self.inner.settings);
        let kind = RouteKind::Schema(Arc::new(info));
        let mut router = self.route(pattern, name, [(Method::GET, view)])?;
        if let Some(route) = Arc::make_mut(&mut router.inner).routes.last_mut() {
            route.kind = kind;
        }
        Ok(router)
    }

    /// Serves Swagger UI at `pattern` (a page ending in `/`; its files under it), showing the
    /// document registered at `schema_pattern`. Every file comes from the app (Swagger UI is
    /// compiled in), so the page works offline and under its strict Content-Security-Policy.
    pub fn swagger_ui(
        self,
        pattern: &str,
        name: &str,
        schema_pattern: &str,
    ) -> Result<Self, RouteError> {
        let page = format!("{}/", pattern.trim_end_matches('/'));
        let (index, files) = openapi::swagger_views(openapi::relative(&page, schema_pattern));
        self.route(&page, name, [(Method::GET, index)])?.route(
            &format!("{page}{{file:[A-Za-z0-9_-][A-Za-z0-9_.-]*}}"),
            &format!("{name}-files"),
            [(Method::GET, files)],
        )
    }

    /// Serves ReDoc at `pattern`, showing the document registered at `schema_pattern` (and
    /// titled as it, when [`Router::schema`] came first). Its script is compiled into restframe
    /// (`framework/assets/redoc/`), never downloaded.
    pub fn redoc(
        self,
        pattern: &str,
        name: &str,
        schema_pattern: &str,
    ) -> Result<Self, RouteError> {
        let page = format!("{}/", pattern.trim_end_matches('/'));
        // The page's title is the document's, when its route is registered already.
        let title = self
            .inner
            .routes
            .iter()
            .find_map(|r| match &r.kind {
                RouteKind::Schema(info) if r.pattern.source() == schema_pattern => {
                    Some(info.title.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| "API reference".to_owned());
        let (index, script) = openapi::redoc_views(openapi::relative(&page, schema_pattern), title);
        self.route(&page, name, [(Method::GET, index)])?.route(
            &format!("{page}redoc.standalone.js"),
            &format!("{name}-script"),
            [(Method::GET, script)],
        )
    }

    /// The OpenAPI document of this router, as [`Router::schema`] serves it.
    pub fn openapi(&self, info: &ApiInfo) -> OpenApi {
        let prefix = self
            .inner
            .mount_prefix
            .as_ref()
            .map(|p| p.0.to_string())
            .unwrap_or_default();
        openapi::generate(
            info,
            self.inner.routes.iter().map(|r| openapi::RouteDesc {
                path: format!("{prefix}{}", r.pattern.template()),
                template: r.pattern.template(),
                name: &r.name,
                captures: r.pattern.captures().collect(),
                methods: &r.methods,
            }),
        )
    }

    /// The document, generated on first use.
    fn openapi_cached(&self, info: &ApiInfo) -> Arc<OpenApi> {
        let mut cache = match self.inner.openapi.0.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((cached_info, doc)) = cache.as_ref()
            && cached_info == info
        {
            return Arc::clone(doc);
        }
        let doc = Arc::new(self.openapi(info));
        *cache = Some((info.clone(), Arc::clone(&doc)));
        doc
    }
}
