//! Function views (DRF's `@api_view`): a handler with its own renderers and parsers, served as
//! a `tower::Service`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;

use crate::body::{Body, body_stream};
use crate::error::ApiError;
use crate::extensions::{FormatSuffix, MountPrefix, RouteForms, SharedState, UploadDir};
use crate::negotiation::{
    Renderers, accept_header, negotiate, query_format_param, split_format_suffix,
};
use crate::parsers::{Parser, ParserLimits};
use crate::render::{self, PageRequest, RendererSet, RequestInfo};
use crate::renderers::Renderer;
use crate::request::Request;
use crate::response::Response;
use crate::serve::{RequestTimeout, timed_out_error};
use crate::settings::ApiSettings;
use crate::util::{BoxError, BoxFuture};

/// A step run on the request before a view's handler ([`ApiView::before`]).
pub(crate) type BeforeStep =
    dyn for<'a> Fn(&'a mut Request) -> BoxFuture<'a, Result<(), ApiError>> + Send + Sync;

type Handler = dyn Fn(Request) -> BoxFuture<'static, Result<Response, ApiError>> + Send + Sync;

/// A function view: one async handler with its renderers, parsers and limits.
///
/// It is a `tower::Service`, so it can be served by hyper, wrapped in tower-http layers, or
/// mounted in an axum app. Every request is negotiated before the handler runs; every error,
/// the handler's included, is rendered in the negotiated format; a panicking handler answers
/// 500 and the view keeps serving.
///
/// ```
/// use std::sync::Arc;
/// use restframe::{api_view, ApiView, Request, Response};
/// use restframe::renderers::{JsonRenderer, YamlRenderer};
///
/// let hello: ApiView = api_view(|req: Request| async move {
///     Ok(Response::new(serde_json::json!({"hello": "world", "format": req.negotiated().format()})))
/// })
/// .name("Hello")
/// .renderers([Arc::new(JsonRenderer::new()) as _, Arc::new(YamlRenderer::new()) as _]);
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tower::ServiceExt;
/// let req = http::Request::get("/hello.yaml").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let res = hello.oneshot(req).await.unwrap();
/// assert_eq!(res.headers()["content-type"], "application/yaml; charset=utf-8");
/// assert_eq!(res.headers()["vary"], "Accept");
/// # });
/// ```
#[derive(Clone)]
pub struct ApiView {
    inner: Arc<ViewInner>,
}

#[derive(Clone)]
struct ViewInner {
    name: Arc<str>,
    description: Arc<str>,
    /// What the view set itself (`.renderers()`, `.permissions()`…): wins over `base`.
    own: ApiSettings,
    /// What the view inherits: `.settings()`, then its viewset's and its router's settings.
    base: ApiSettings,
    /// The parts below are `own` over `base`, resolved after every change.
    renderers: RendererSet,
    parsers: Arc<[Arc<dyn Parser>]>,
    limits: ParserLimits,
    /// How the view determines the request's version, if it does.
    versioning: Option<Arc<dyn crate::versioning::Versioning>>,
    #[cfg(feature = "auth")]
    policy: crate::policy::Policy,
    #[cfg(feature = "auth")]
    throttle_scope: Option<Arc<str>>,
    upload_dir: Option<UploadDir>,
    suffixes: bool,
    template_name: Option<Arc<str>>,
    /// What other parts of the crate say of the view (its OpenAPI statements), by type.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    meta: http::Extensions,
    state: SharedState,
    handler: Arc<Handler>,
}

impl std::fmt::Debug for ApiView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiView")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// Makes a function view from an async handler, with the default [`ApiSettings`].
pub fn api_view<H, F>(handler: H) -> ApiView
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    let settings = ApiSettings::default();
    ApiView {
        inner: Arc::new(ViewInner {
            name: Arc::from("View"),
            description: Arc::from(""),
            renderers: RendererSet::new(Renderers::new(
                settings.default_renderers().iter().cloned(),
            )),
            parsers: Arc::clone(settings.default_parsers()),
            limits: settings.parser_limits(),
            versioning: settings.versioning_scheme(),
            #[cfg(feature = "auth")]
            policy: crate::policy::Policy::default(),
            #[cfg(feature = "auth")]
            throttle_scope: None,
            own: settings.clone(),
            base: settings,
            upload_dir: None,
            suffixes: true,
            template_name: None,
            meta: http::Extensions::new(),
            state: SharedState::default(),
            handler: Arc::new(move |req| Box::pin(handler(req))),
        }),
    }
}

impl ApiView {
    fn inner_mut(&mut self) -> &mut ViewInner {
        Arc::make_mut(&mut self.inner)
    }

    /// Changes the view's own or inherited settings, then resolves them again.
    fn change_settings(mut self, change: impl FnOnce(&mut ViewInner)) -> Self {
        let inner = self.inner_mut();
        change(inner);
        inner.resolve();
        self
    }

    /// Takes every part of the settings the view has not set itself, nor been given with
    /// [`ApiView::settings`], from `parent` (its viewset's or router's). The router calls it
    /// on registration.
    pub(crate) fn inherit(self, parent: &ApiSettings) -> Self {
        self.change_settings(|inner| {
            inner.base = std::mem::take(&mut inner.base).inherit(parent);
        })
    }

    /// The view's settings as they apply: its own choices over what it inherited.
    pub fn resolved_settings(&self) -> ApiSettings {
        self.inner.own.clone().inherit(&self.inner.base)
    }

    /// The view's human-readable name (shown by renderers, OPTIONS and docs).
    pub fn name(mut self, name: &str) -> Self {
        self.inner_mut().name = Arc::from(name);
        self
    }

    /// The view's description (shown by OPTIONS and the docs).
    pub fn description(mut self, description: &str) -> Self {
        self.inner_mut().description = Arc::from(description);
        self
    }

    /// The view's name.
    pub fn view_name(&self) -> &str {
        &self.inner.name
    }

    /// The view's description.
    pub fn view_description(&self) -> &str {
        &self.inner.description
    }

    /// Takes the parts `settings` sets as this view's defaults, over what it inherits from
    /// its router. Parts the view sets itself ([`ApiView::renderers`], …) win, whatever the
    /// order of the calls. A view registered on a router needs no call: it inherits the
    /// router's settings ([`Router::with_settings`](crate::Router::with_settings)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use restframe::{api_view, ApiSettings, Response};
    /// use restframe::renderers::{JsonRenderer, YamlRenderer};
    ///
    /// let settings = ApiSettings::default().renderers([Arc::new(JsonRenderer::new()) as _]);
    /// let view = api_view(|_req| async { Ok(Response::new("hi")) })
    ///     .renderers([Arc::new(YamlRenderer::new()) as _])
    ///     .settings(&settings);
    /// assert_eq!(view.renderer_list().iter().map(|r| r.format()).collect::<Vec<_>>(), ["yaml"]);
    /// ```
    pub fn settings(self, settings: &ApiSettings) -> Self {
        self.change_settings(|inner| {
            inner.base = settings.clone().inherit(&inner.base);
        })
    }

    /// This view's renderers, in priority order (DRF's `@renderer_classes`).
    pub fn renderers(self, renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        let renderers: Vec<_> = renderers.into_iter().collect();
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).renderers(renderers);
        })
    }

    /// This view's parsers, in priority order (DRF's `@parser_classes`).
    pub fn parsers(self, parsers: impl IntoIterator<Item = Arc<dyn Parser>>) -> Self {
        let parsers: Vec<_> = parsers.into_iter().collect();
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).parsers(parsers);
        })
    }

    /// This view's authenticators, tried in order (DRF's `@authentication_classes`; feature
    /// `auth`).
    #[cfg(feature = "auth")]
    pub fn authenticators(
        self,
        authenticators: impl IntoIterator<Item = Arc<dyn crate::auth::Authenticator>>,
    ) -> Self {
        let list: Vec<_> = authenticators.into_iter().collect();
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).authenticators(list);
        })
    }

    /// This view's permissions, all of which must allow (DRF's `@permission_classes`;
    /// feature `auth`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use restframe::{api_view, Response};
    /// use restframe::permissions::IsAuthenticated;
    /// let me = api_view(|req| async move { Ok(Response::new(req.current_user().id())) })
    ///     .permissions([Arc::new(IsAuthenticated) as _]);
    /// # let _ = me;
    /// ```
    #[cfg(feature = "auth")]
    pub fn permissions(
        self,
        permissions: impl IntoIterator<Item = Arc<dyn crate::permissions::Permission>>,
    ) -> Self {
        let list: Vec<_> = permissions.into_iter().collect();
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).permissions(list);
        })
    }

    /// This view's throttles (DRF's `@throttle_classes`; feature `auth`).
    #[cfg(feature = "auth")]
    pub fn throttles(
        self,
        throttles: impl IntoIterator<Item = Arc<dyn crate::throttling::Throttle>>,
    ) -> Self {
        let list: Vec<_> = throttles.into_iter().collect();
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).throttles(list);
        })
    }

    /// The view's throttle scope (DRF's `throttle_scope`), for a
    /// [`ScopedRateThrottle`](crate::throttling::ScopedRateThrottle) (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn throttle_scope(self, scope: &str) -> Self {
        let scope: Arc<str> = Arc::from(scope);
        self.change_settings(|inner| inner.throttle_scope = Some(scope))
    }

    /// The directory uploads spill to past the memory threshold (the system's temporary
    /// directory by default). Put it on the same file system as a `FileSystemStorage` root and
    /// storing a large upload is a rename, not a copy.
    pub fn upload_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.inner_mut().upload_dir = Some(UploadDir(Arc::from(dir.into())));
        self
    }

    /// This view's body size and depth limits.
    pub fn limits(self, limits: ParserLimits) -> Self {
        self.change_settings(|inner| {
            inner.own = std::mem::take(&mut inner.own).limits(limits);
        })
    }

    /// The view's template (DRF's `template_name` on a view), for a template renderer: used when
    /// the response names none.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response};
    /// let page = api_view(|_req: Request| async { Ok(Response::new(serde_json::json!({"tracks": []}))) })
    ///     .template_name("tracks.html");
    /// # let _ = page;
    /// ```
    pub fn template_name(mut self, name: &str) -> Self {
        self.inner_mut().template_name = Some(Arc::from(name));
        self
    }

    /// Whether the view itself reads a `.{format}` suffix off the request path (default on; a
    /// router that strips suffixes passes a [`FormatSuffix`] extension instead).
    pub fn format_suffixes(mut self, on: bool) -> Self {
        self.inner_mut().suffixes = on;
        self
    }

    /// Gives the view shared state of type `T` (axum's `State`), stored once as an `Arc`;
    /// handlers read it with [`Request::state`]. A view's own state goes before its router's
    /// (`Router::with_state`).
    ///
    /// ```
    /// use restframe::{api_view, Request, Response};
    ///
    /// struct Greeting(&'static str);
    ///
    /// let hello = api_view(|req: Request| async move {
    ///     let greeting = req.state::<Greeting>()?;
    ///     Ok(Response::new(greeting.0))
    /// })
    /// .with_state(Greeting("hello"));
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tower::ServiceExt;
    /// let req = http::Request::get("/").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// assert_eq!(hello.oneshot(req).await.unwrap().status(), 200);
    /// # });
    /// ```
    pub fn with_state<T: std::any::Any + Send + Sync>(mut self, state: T) -> Self {
        let inner = self.inner_mut();
        inner.state = std::mem::take(&mut inner.state).with(state);
        self
    }

    /// Runs `step` on the request before the handler (after the policy checks); an error
    /// answers instead of the handler. A viewset loads the row of a detail action with it.
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn before(mut self, step: Arc<BeforeStep>) -> Self {
        let inner = self.inner_mut();
        let handler = Arc::clone(&inner.handler);
        inner.handler = Arc::new(move |mut req: Request| {
            let handler = Arc::clone(&handler);
            let step = Arc::clone(&step);
            Box::pin(async move {
                step(&mut req).await?;
                handler(req).await
            })
        });
        self
    }

    /// What another part of the crate said of this view, by type.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) fn meta<T: Clone + Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.meta.get::<T>()
    }

    /// Says `value` of this view (replacing what was said of its type).
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) fn with_meta<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.inner_mut().meta.insert(value);
        self
    }

    /// The view's renderers.
    pub fn renderer_list(&self) -> &Renderers {
        self.inner.renderers.list()
    }

    /// The view's parsers.
    pub fn parser_list(&self) -> &[Arc<dyn Parser>] {
        &self.inner.parsers
    }
}

impl ViewInner {
    /// The view's own settings over its inherited ones, into the parts a request uses.
    fn resolve(&mut self) {
        let settings = self.own.clone().inherit(&self.base);
        self.renderers =
            RendererSet::new(Renderers::new(settings.default_renderers().iter().cloned()));
        self.parsers = Arc::clone(settings.default_parsers());
        self.limits = settings.parser_limits();
        self.versioning = settings.versioning_scheme();
        #[cfg(feature = "auth")]
        {
            self.policy = crate::policy::Policy::new(&settings, self.throttle_scope.as_ref());
        }
    }

    async fn handle<B>(&self, req: http::Request<B>) -> http::Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = req.into_parts();
        // The request timeout `serve` set, unless the view takes uploads (a parser that carries
        // files): an upload may take long on a slow link, and its body has the body-read
        // timeout. Kept here rather than in the router, which would need a copy of the request's
        // head to answer it: past it, the 503 goes out in the format already negotiated.
        let timeout = parts
            .extensions
            .get::<RequestTimeout>()
            .copied()
            .filter(|_| !self.parsers.iter().any(|p| p.carries_files()));
        // The handler takes the parts; rendering afterwards still needs the query string.
        let uri = parts.uri.clone();
        let method = parts.method.clone();
        // What a page shows and links to: the path as the client sent it (the mount prefix put
        // back), never starting `//` (another host, to a browser).
        let page_path = page_path(&uri, parts.extensions.get::<MountPrefix>());
        let route = parts
            .extensions
            .get::<RouteForms>()
            .map(|r| Arc::clone(&r.0));
        let info = RequestInfo {
            query: uri.query().unwrap_or(""),
            view_name: &self.name,
            page: PageRequest {
                method: method.as_str(),
                path: &page_path,
                description: &self.description,
                route: route.as_deref(),
                view_template: self.template_name.as_deref(),
                access: None,
            },
            credentials: render::carries_credentials(&parts.headers),
        };
        let renderers = self.renderers.list();
        let suffix = match parts.extensions.get::<FormatSuffix>() {
            Some(FormatSuffix(f)) => f.as_deref(),
            None if self.suffixes => split_format_suffix(uri.path(), renderers).1,
            None => None,
        };
        // `?format=` with no value asks for no format the view has: the same 404 as an unknown
        // one, as the OpenAPI document (an enum of the formats) says.
        let from_query = query_format_param(uri.query());
        let format = suffix.or(from_query.as_deref());
        let accept = accept_header(&parts.headers);
        let negotiated = match negotiate(accept.as_deref(), format, renderers) {
            Ok(n) => n,
            Err(e) => return render::error(e.into(), None, &self.renderers, info),
        };
        if let Err(e) = negotiated
            .renderer()
            .check(&render::check_context(&negotiated, info))
        {
            return render::error(e.into(), None, &self.renderers, info);
        }
        // DRF's `determine_version`: after negotiation, before authentication.
        let mut media_version = None;
        if let Some(scheme) = &self.versioning {
            let version = match scheme.determine_version(&parts, &negotiated) {
                Ok(v) => v,
                Err(e) => return render::error(e, Some(&negotiated), &self.renderers, info),
            };
            // The version the client named in `Accept` goes back in `Content-Type`.
            if let Some(param) = scheme.media_type_param()
                && let Some(v) = crate::versioning::param_value(negotiated.params(), param)
                && version.as_deref() == Some(v.as_str())
            {
                media_version = Some((param.to_owned(), v));
            }
            parts.extensions.insert(crate::versioning::RequestVersion {
                version,
                path_capture: scheme.path_capture().map(str::to_owned),
            });
        }

        if let Some(dir) = &self.upload_dir {
            parts.extensions.insert(dir.clone());
        }
        #[cfg(feature = "auth")]
        self.policy.prepare(&mut parts);
        let request = Request::new(
            parts,
            body_stream(body),
            negotiated.clone(),
            Arc::clone(&self.parsers),
            self.limits,
            self.state.clone(),
        );
        let handler = Arc::clone(&self.handler);
        #[cfg(feature = "auth")]
        let request = self.policy.request(request);
        #[cfg(feature = "auth")]
        let policy = self.policy.clone();
        #[cfg(feature = "auth")]
        let anonymous_only = render::refuse_authenticated(&negotiated, info);
        // A page shows who the user is and only the forms they may use.
        #[cfg(feature = "auth")]
        let access = negotiated
            .renderer()
            .wants_page()
            .then(|| Arc::new(std::sync::OnceLock::new()));
        #[cfg(feature = "auth")]
        let page = access.clone().map(|a| (a, route.clone()));
        // ... and, on a detail route, only those its object permissions allow on the row.
        #[cfg(feature = "auth")]
        let object_forms = access.as_ref().and(route.as_ref()).map(|route| {
            Arc::new(crate::permissions::PageObjectForms {
                methods: route.forms.iter().map(|f| f.method.clone()).collect(),
                ..Default::default()
            })
        });
        #[cfg(feature = "auth")]
        let handler_object_forms = object_forms.clone();
        // Authentication, permissions and throttles come before the handler reads the body.
        let outcome = AssertUnwindSafe(async move {
            #[cfg(feature = "auth")]
            let mut request = request;
            #[cfg(feature = "auth")]
            {
                let initial = policy.initial(&request).await;
                if let Some((access, route)) = page {
                    let _ = access.set(render::page_access(&mut request, route.as_deref()).await);
                }
                if let Some(forms) = handler_object_forms {
                    request.extensions_mut().insert(forms);
                }
                initial?;
                // JSONP and the like: never for a user the view's authenticators find.
                if let Some(refusal) = anonymous_only
                    && request.has_authenticators()
                    && request.user().await?.is_authenticated()
                {
                    return Err(refusal);
                }
            }
            handler(request).await
        })
        .catch_unwind();
        let outcome = match timeout {
            None => outcome.await,
            Some(RequestTimeout { timeout, deadline }) => {
                match tokio::time::timeout_at(deadline, outcome).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        tracing::warn!(path = uri.path(), ?timeout, "request timed out");
                        Ok(Err(timed_out_error()))
                    }
                }
            }
        };
        #[cfg(feature = "auth")]
        let access = render::with_object_denied(
            access.as_deref().and_then(std::sync::OnceLock::get),
            object_forms.as_deref(),
        );
        #[cfg(feature = "auth")]
        let info = RequestInfo {
            page: PageRequest {
                access: access.as_ref(),
                ..info.page
            },
            ..info
        };
        let mut res = match outcome {
            Ok(Ok(response)) => render::finalize(response, &negotiated, &self.renderers, info),
            Ok(Err(e)) => {
                #[cfg(feature = "auth")]
                let e = self.policy.answer(e);
                render::error(e, Some(&negotiated), &self.renderers, info)
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".into());
                render::error(
                    ApiError::internal(format!("handler panicked: {msg}")),
                    Some(&negotiated),
                    &self.renderers,
                    info,
                )
            }
        };
        if let Some((param, version)) = &media_version {
            crate::versioning::label_content_type(&mut res, &negotiated, (param, version));
        }
        res
    }
}

/// The request's path and query as its client sent them, for pages: the mount prefix put back,
/// and leading slashes collapsed to one.
fn page_path<'a>(uri: &'a http::Uri, prefix: Option<&MountPrefix>) -> Cow<'a, str> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match prefix {
        None if !path.starts_with("//") => Cow::Borrowed(path),
        _ => Cow::Owned(format!(
            "{}/{}",
            prefix.map_or("", MountPrefix::as_str),
            path.trim_start_matches('/')
        )),
    }
}

impl<B> tower::Service<http::Request<B>> for ApiView
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
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { Ok(inner.handle(req).await) })
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
