//! The router: a route table of plain data (DRF's `Route`), served as a `tower::Service`.
//!
//! A route is a path pattern, a name and one view per method. Matching a path gives the
//! captures and the format suffix, which go to the view in the request extensions (the types
//! of `extensions`: `PathParams`, `FormatSuffix`, `MatchedRoute`, `MountPrefix`), with the
//! route table ([`RouteTable`]) and the router's shared state. Around the views, the router
//! answers what no view needs to write: `HEAD` from `GET`, `OPTIONS` with the route's
//! metadata, `405` with `Allow`, `404` for an unknown path, and the API root listing the
//! routes.
//!
//! Trailing slashes: `/api/tracks` and `/api/tracks/` are the same route, served the same (no
//! redirect, so a `POST` without the slash works from any client); links the router writes use
//! the pattern's own form.

mod pattern;
mod reverse;
mod table;

pub use reverse::{ReverseError, Reverser};
pub use table::{RouteEntry, RouteTable};

use std::any::Any;
use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH};
use http::{HeaderValue, Method};
use http_body::Body as _;
use serde_json::{Map, Value, json};

use crate::body::Body;
use crate::error::ApiError;
use crate::extensions::{
    FormatSuffix, MatchedRoute, MountPrefix, PathParams, RouteForms, SharedState,
};
use crate::host::{AllowedHosts, invalid_host, request_host};
use crate::request::Request;
use crate::response::Response;
use crate::serve::{WaitedPastTimeout, timed_out_error};
use crate::settings::ApiSettings;
use crate::util::{BoxError, BoxFuture};
use crate::view::{ApiView, api_view};
use pattern::PathPattern;

/// Why a route could not be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The pattern is malformed; `why` says how.
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        why: String,
    },
    /// The same pattern is registered twice.
    DuplicatePattern(String),
    /// The same route name is registered twice.
    DuplicateName(String),
    /// A route was given the same method twice.
    DuplicateMethod {
        /// The route's pattern.
        pattern: String,
        /// The method given twice.
        method: Method,
    },
    /// A route was given no method at all.
    NoMethods(String),
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern { pattern, why } => write!(f, "route pattern `{pattern}`: {why}"),
            Self::DuplicatePattern(p) => write!(f, "route pattern `{p}` is registered twice"),
            Self::DuplicateName(n) => write!(f, "route name `{n}` is registered twice"),
            Self::DuplicateMethod { pattern, method } => {
                write!(f, "route `{pattern}` has two views for {method}")
            }
            Self::NoMethods(p) => write!(f, "route `{p}` has no method"),
        }
    }
}

impl std::error::Error for RouteError {}

#[derive(Clone)]
struct Route {
    name: String,
    pattern: PathPattern,
    methods: Vec<(Method, ApiView)>,
    /// The route as the view sees it matched.
    matched: MatchedRoute,
    /// Whether this is an API root (which roots do not list).
    api_root: bool,
    /// What HTML pages show of the route: allowed methods, and the forms that may be sent.
    info: RouteForms,
    /// Answers OPTIONS when no view does.
    options: ApiView,
    /// Answers methods no view handles.
    not_allowed: ApiView,
}

impl Route {
    fn view(&self, method: &Method) -> Option<&ApiView> {
        self.methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, v)| v)
    }
}

#[derive(Clone)]
struct Inner {
    routes: Vec<Route>,
    not_found: ApiView,
    bad_host: ApiView,
    timed_out: ApiView,
    settings: ApiSettings,
    mount_prefix: Option<MountPrefix>,
    allowed_hosts: Option<AllowedHosts>,
    state: SharedState,
    table: TableCache,
}

/// The route table, made on first use. A changed router starts it again (see
/// [`Router::inner_mut`]).
#[derive(Default)]
struct TableCache(OnceLock<Arc<RouteTable>>);

impl Clone for TableCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// A route table served as a `tower::Service`.
///
/// ```
/// use restframe::{api_view, Request, Response, Router};
/// use http::Method;
///
/// let list = api_view(|_req: Request| async { Ok(Response::new(vec!["So What"])) }).name("Track list");
/// let detail = api_view(|req: Request| async move {
///     Ok(Response::new(req.path_param("id").unwrap_or_default().to_owned()))
/// });
/// let router = Router::new()
///     .route("/api/tracks/", "track-list", [(Method::GET, list)])?
///     .route("/api/tracks/{id:[0-9]+}/", "track-detail", [(Method::GET, detail)])?
///     .api_root("/api/", "api-root")?;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use tower::ServiceExt;
/// let get = |uri: &str| http::Request::get(uri).header("host", "example.org")
///     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let res = router.clone().oneshot(get("/api/tracks/4.json")).await.unwrap();
/// assert_eq!(res.status(), 200);
/// let res = router.clone().oneshot(get("/api/tracks/four/")).await.unwrap();
/// assert_eq!(res.status(), 404);
/// let res = router.clone().oneshot(http::Request::delete("/api/tracks/")
///     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), 405);
/// assert_eq!(res.headers()["allow"], "GET, HEAD, OPTIONS");
/// # });
/// # Ok::<(), restframe::RouteError>(())
/// ```
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.inner
                    .routes
                    .iter()
                    .map(|r| (&r.name, r.pattern.source())),
            )
            .finish()
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl Router {
    /// An empty router with the default [`ApiSettings`].
    pub fn new() -> Self {
        Self::with_settings(ApiSettings::default())
    }

    /// An empty router whose views — its own (404s, API root) and every view or viewset
    /// registered on it — inherit `settings` (DRF's `DEFAULT_*`: renderers, parsers, limits,
    /// authenticators, permissions, throttles) for every part they do not set themselves.
    pub fn with_settings(settings: ApiSettings) -> Self {
        let not_found = api_view(|req: Request| async move {
            Err(ApiError::not_found(format!(
                "No route for {}.",
                req.uri().path()
            )))
        })
        .name("Not found")
        .settings(&settings);
        let not_found = without_policy(not_found);
        let bad_host = api_view(|_req: Request| async move { Err(invalid_host()) })
            .name("Bad request")
            .settings(&settings);
        let bad_host = without_policy(bad_host);
        let timed_out = api_view(|_req: Request| async move { Err(timed_out_error()) })
            .name("Service unavailable")
            .settings(&settings);
        let timed_out = without_policy(timed_out);
        Self {
            inner: Arc::new(Inner {
                routes: Vec::new(),
                not_found,
                bad_host,
                timed_out,
                settings,
                mount_prefix: None,
                allowed_hosts: None,
                state: SharedState::default(),
                table: TableCache::default(),
            }),
        }
    }

    /// The router's parts, to change: the route table is made again on next use.
    fn inner_mut(&mut self) -> &mut Inner {
        let inner = Arc::make_mut(&mut self.inner);
        inner.table = TableCache::default();
        inner
    }

    /// The settings the router was made with ([`Router::with_settings`]): its own views (404,
    /// API root, OpenAPI document) use them.
    ///
    /// ```
    /// let router = restframe::Router::new();
    /// let renderers = router.settings().default_renderers();
    /// # let _ = renderers;
    /// ```
    pub fn settings(&self) -> &ApiSettings {
        &self.inner.settings
    }

    /// Gives every view of the router shared state of type `T` (axum's `State`), stored once
    /// as an `Arc`; handlers read it with `Request::state`. A view's own state
    /// (`ApiView::with_state`) goes first. Given twice for one type, the second wins.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// use http::Method;
    ///
    /// #[derive(Default)]
    /// struct Hits(std::sync::atomic::AtomicU64);
    ///
    /// let hit = api_view(|req: Request| async move {
    ///     let hits = req.state::<Hits>()?;
    ///     Ok(Response::new(hits.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1))
    /// });
    /// let router = Router::new()
    ///     .route("/hit/", "hit", [(Method::POST, hit)])?
    ///     .with_state(Hits::default());
    /// # let _ = router;
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn with_state<T: Any + Send + Sync>(mut self, state: T) -> Self {
        let inner = self.inner_mut();
        inner.state = std::mem::take(&mut inner.state).with(state);
        self
    }

    /// The route table: every route in registration order, as plain data (DRF's `Route`),
    /// with the mount prefix. The same table is handed to every view as an `Arc<RouteTable>`
    /// request extension.
    pub fn routes(&self) -> Arc<RouteTable> {
        Arc::clone(self.inner.table.0.get_or_init(|| {
            Arc::new(RouteTable {
                mount_prefix: self
                    .inner
                    .mount_prefix
                    .as_ref()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
                by_name: self.inner.routes.iter().enumerate().fold(
                    HashMap::<String, Vec<usize>>::new(),
                    |mut by_name, (i, r)| {
                        by_name.entry(r.name.clone()).or_default().push(i);
                        by_name
                    },
                ),
                entries: self
                    .inner
                    .routes
                    .iter()
                    .map(|r| RouteEntry {
                        name: r.name.clone(),
                        pattern: r.pattern.source().to_owned(),
                        template: r.pattern.template().to_owned(),
                        captures: r
                            .pattern
                            .captures()
                            .map(|(n, re)| (n.to_owned(), re.to_owned()))
                            .collect(),
                        methods: r.methods.clone(),
                        compiled: r.pattern.clone(),
                        version: None,
                        api_root: r.api_root,
                    })
                    .collect(),
            })
        }))
    }

    /// Declares where the router is mounted when something in front strips a path prefix — an
    /// axum app's `nest_service("/api", router)`, or a proxy. Routes are registered without
    /// the prefix; absolute links (API root, pagination) get it back.
    ///
    /// ```
    /// let router = restframe::Router::new().mount_prefix("/api");
    /// # let _ = router;
    /// ```
    pub fn mount_prefix(mut self, prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        self.inner_mut().mount_prefix = (!prefix.is_empty())
            .then(|| MountPrefix(format!("/{}", prefix.trim_start_matches('/')).into()));
        self
    }

    /// The hosts the router answers for (Django's `ALLOWED_HOSTS`): `api.example.com`,
    /// `.example.com` for the domain and its subdomains, `*` for any. A request for any other
    /// `Host` is a 400 "Invalid Host header." in the negotiated format. Unset, any well-formed
    /// host is answered.
    ///
    /// ```
    /// let router = restframe::Router::new().allowed_hosts(["api.example.com", ".example.org"]);
    /// # let _ = router;
    /// ```
    pub fn allowed_hosts<'a>(mut self, hosts: impl IntoIterator<Item = &'a str>) -> Self {
        let hosts: Vec<String> = hosts.into_iter().map(str::to_owned).collect();
        self.inner_mut().allowed_hosts = Some(AllowedHosts(hosts.into()));
        self
    }

    /// Registers a route: a pattern (`/api/tracks/{id}/`, `{name:regex}` for a constrained
    /// capture), a unique name, and a view per method. `HEAD` is served by the `GET` view and
    /// `OPTIONS` by the router unless given. Each view inherits the router's settings
    /// ([`Router::with_settings`]) for every part it did not set itself.
    pub fn route(
        mut self,
        pattern: &str,
        name: &str,
        methods: impl IntoIterator<Item = (Method, ApiView)>,
    ) -> Result<Self, RouteError> {
        let inner = self.inner_mut();
        // Every view takes the router's settings for each part it did not set itself.
        let methods: Vec<(Method, ApiView)> = methods
            .into_iter()
            .map(|(m, v)| (m, v.inherit(&inner.settings)))
            .collect();
        let Some((_, first)) = methods.first() else {
            return Err(RouteError::NoMethods(pattern.to_owned()));
        };
        for (i, (method, _)) in methods.iter().enumerate() {
            if methods[..i].iter().any(|(m, _)| m == method) {
                return Err(RouteError::DuplicateMethod {
                    pattern: pattern.to_owned(),
                    method: method.clone(),
                });
            }
        }
        if inner.routes.iter().any(|r| r.pattern.source() == pattern) {
            return Err(RouteError::DuplicatePattern(pattern.to_owned()));
        }
        let formats: BTreeSet<&str> = methods
            .iter()
            .flat_map(|(_, v)| v.renderer_list().iter().map(|r| r.format()))
            .collect();
        let formats: Vec<&str> = formats.into_iter().collect();
        let compiled = PathPattern::compile(pattern, &formats)?;
        // As in Django, routes may share a name when their captures differ (a versioned
        // `/api/{version:v2}/tracks/` beside `/api/tracks/`): reversing takes the first whose
        // captures the arguments fill. The same captures under one name could never be told
        // apart.
        if inner
            .routes
            .iter()
            .any(|r| r.name == name && r.pattern.captures().eq(compiled.captures()))
        {
            return Err(RouteError::DuplicateName(name.to_owned()));
        }
        let allow = allow_header(&methods);
        let info = RouteForms(Arc::new(route_info(&methods)));
        let options = options_view(first, &methods, allow.clone());
        let not_allowed = api_view(move |req: Request| {
            let allow = allow.clone();
            async move { Err(ApiError::method_not_allowed(req.method()).with_header(ALLOW, allow)) }
        })
        .name(first.view_name())
        .renderers(first.renderer_list().iter().cloned())
        // As DRF's dispatch: the route's policy comes before its 405.
        .settings(&first.resolved_settings());
        inner.routes.push(Route {
            matched: MatchedRoute {
                pattern: Arc::from(pattern),
                name: Arc::from(name),
            },
            api_root: false,
            name: name.to_owned(),
            pattern: compiled,
            methods,
            info,
            options,
            not_allowed,
        });
        Ok(self)
    }

    /// Registers the API root at `pattern` (DRF's `DefaultRouter`): `GET` lists the absolute URL
    /// of every route without captures, by name, as registered before or after it.
    pub fn api_root(self, pattern: &str, name: &str) -> Result<Self, RouteError> {
        let view = api_view(|req: Request| async move {
            let base = req.base_url()?;
            let table = req
                .extensions()
                .get::<Arc<RouteTable>>()
                .ok_or_else(|| ApiError::internal("API root called without its route table"))?;
            let map: Map<String, Value> = table
                .entries()
                .iter()
                .filter(|r| !r.api_root && !r.has_captures())
                .map(|r| {
                    let url = format!("{base}{}", r.pattern());
                    (r.name().to_owned(), Value::String(url))
                })
                .collect();
            Ok(Response::new(Value::Object(map)))
        })
        .name("Api Root")
        .description("The endpoints of this API.")
        .settings(&self.inner.settings);
        let mut router = self.route(pattern, name, [(Method::GET, view)])?;
        if let Some(route) = router.inner_mut().routes.last_mut() {
            route.api_root = true;
        }
        Ok(router)
    }

    async fn dispatch<B>(&self, mut req: http::Request<B>) -> http::Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if let Some(prefix) = &self.inner.mount_prefix {
            req.extensions_mut().insert(prefix.clone());
        }
        if let Some(allowed) = &self.inner.allowed_hosts {
            let host = request_host(req.headers(), req.uri(), req.extensions()).unwrap_or("");
            if !allowed.allows(host) {
                return call(&self.inner.bad_host, req).await;
            }
            req.extensions_mut().insert(allowed.clone());
        }
        let found = self
            .inner
            .routes
            .iter()
            .find_map(|r| Some((r, r.pattern.matches(req.uri().path())?)));
        let Some((route, found)) = found else {
            return call(&self.inner.not_found, req).await;
        };
        let extensions = req.extensions_mut();
        extensions.insert(self.routes());
        if !self.inner.state.is_empty() {
            extensions.insert(self.inner.state.clone());
        }
        extensions.insert(route.matched.clone());
        extensions.insert(route.info.clone());
        extensions.insert(PathParams(found.params));
        extensions.insert(FormatSuffix(found.format));
        let method = req.method().clone();
        if let Some(view) = route.view(&method) {
            return self.call_route(view, req).await;
        }
        match method {
            Method::HEAD => match route.view(&Method::GET) {
                Some(view) => without_body(self.call_route(view, req).await),
                None => call(&route.not_allowed, req).await,
            },
            Method::OPTIONS => call(&route.options, req).await,
            _ => call(&route.not_allowed, req).await,
        }
    }
}

impl Router {
    /// Calls a route's view, which keeps to the request timeout `restframe::serve` set
    /// ([`crate::ServeOptions::request_timeout`]; see `ViewInner::handle`). A request whose
    /// timeout ran out while it waited for a [`crate::ServeOptions::max_requests`] slot gets
    /// the 503 at once, on any route.
    async fn call_route<B>(&self, view: &ApiView, req: http::Request<B>) -> http::Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if req.extensions().get::<WaitedPastTimeout>().is_some() {
            tracing::warn!(
                path = req.uri().path(),
                "request timed out waiting for a handler slot"
            );
            return call(&self.inner.timed_out, req).await;
        }
        call(view, req).await
    }
}

/// A view of the router's own that no policy applies to (an unknown path is a 404 for all,
/// as Django's URL resolver answers before any view).
fn without_policy(view: ApiView) -> ApiView {
    #[cfg(feature = "auth")]
    let view = view.authenticators([]).permissions([]).throttles([]);
    view
}

async fn call<B>(view: &ApiView, req: http::Request<B>) -> http::Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match tower::ServiceExt::oneshot(view.clone(), req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// A `GET` response answered to `HEAD`: same status and headers, `Content-Length` kept, no body.
fn without_body(res: http::Response<Body>) -> http::Response<Body> {
    let (mut parts, body) = res.into_parts();
    if let Some(len) = body.size_hint().exact() {
        parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    http::Response::from_parts(parts, crate::body::empty())
}

/// The route's methods, `HEAD` where `GET` is, and `OPTIONS`: what `Allow` lists.
fn allowed_methods(methods: &[(Method, ApiView)]) -> Vec<&str> {
    let mut allowed: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
    if allowed.contains(&"GET") && !allowed.contains(&"HEAD") {
        allowed.push("HEAD");
    }
    if !allowed.contains(&"OPTIONS") {
        allowed.push("OPTIONS");
    }
    allowed
}

/// `Allow`, from [`allowed_methods`].
fn allow_header(methods: &[(Method, ApiView)]) -> HeaderValue {
    // Method names are tokens, so this is always a valid header value.
    HeaderValue::from_str(&allowed_methods(methods).join(", "))
        .unwrap_or(HeaderValue::from_static("OPTIONS"))
}

/// The route as an HTML page shows it: the allowed methods, and per body-taking method (and
/// DELETE) a form over the media types its view parses, with a file input where it takes files.
fn route_info(methods: &[(Method, ApiView)]) -> crate::renderers::RouteInfo {
    use crate::renderers::{MethodForm, RouteInfo};
    let forms = methods
        .iter()
        .filter(|(m, _)| {
            matches!(
                *m,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            )
        })
        .map(|(m, view)| {
            if *m == Method::DELETE {
                return MethodForm::new("DELETE", Vec::<String>::new());
            }
            let parsers = view.parser_list();
            let form = MethodForm::new(
                m.as_str(),
                parsers
                    .iter()
                    .map(|p| p.media_type().essence_str().to_owned()),
            );
            // A file input sends multipart: offered where a multipart parser reads files (a
            // raw-upload-only view would take the multipart envelope as its file).
            if parsers
                .iter()
                .any(|p| p.carries_files() && p.media_type().type_() == mime::MULTIPART)
            {
                form.with_file_field("file")
            } else {
                form
            }
        })
        .collect();
    RouteInfo {
        allow: allowed_methods(methods)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        forms,
    }
}

/// The router's `OPTIONS` answer (DRF's `SimpleMetadata`): name, description, and the media
/// types the route renders and parses.
fn options_view(first: &ApiView, methods: &[(Method, ApiView)], allow: HeaderValue) -> ApiView {
    let renders: Vec<String> = first
        .renderer_list()
        .iter()
        .map(|r| r.media_type().essence_str().to_owned())
        .collect();
    let mut parses: Vec<String> = Vec::new();
    for (method, view) in methods {
        if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            for p in view.parser_list() {
                let m = p.media_type().essence_str().to_owned();
                if !parses.contains(&m) {
                    parses.push(m);
                }
            }
        }
    }
    let metadata = json!({
        "name": first.view_name(),
        "description": first.view_description(),
        "renders": renders,
        "parses": parses,
    });
    // The metadata is data: renderers of raw bytes (a file route's) cannot hold it.
    let mut renderers: Vec<_> = first
        .renderer_list()
        .iter()
        .filter(|r| r.renders_data())
        .cloned()
        .collect();
    if renderers.is_empty() {
        renderers = first.renderer_list().iter().cloned().collect();
    }
    api_view(move |_req: Request| {
        let metadata = metadata.clone();
        let allow = allow.clone();
        async move { Ok(Response::new(metadata).with_header(ALLOW, allow)) }
    })
    .name(first.view_name())
    .renderers(renderers)
    // DRF checks a view's policy on OPTIONS too.
    .settings(&first.resolved_settings())
}

impl<B> tower::Service<http::Request<B>> for Router
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let router = self.clone();
        Box::pin(async move { Ok(router.dispatch(req).await) })
    }
}

#[cfg(test)]
mod tests;
