//! What a handler receives: the HTTP request, the negotiation outcome and a lazily parsed body.

use std::any::Any;
use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderMap, Method, Uri, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

#[cfg(feature = "auth")]
use crate::auth::{Authenticator, Credentials, User};
use crate::error::ApiError;
use crate::extensions::{MountPrefix, PathParams, SharedState, UploadDir};
use crate::host::{checked_host, request_scheme};
use crate::negotiation::{Negotiated, select_parser};
use crate::parsers::{BodyStream, ParseContext, Parsed, Parser, ParserLimits, stream_error};

/// The query string of a request, read by name (percent-decoded).
///
/// ```
/// let q = restframe::Query::new("artist=Miles%20Davis&page=2");
/// assert_eq!(q.get("artist").as_deref(), Some("Miles Davis"));
/// assert_eq!(q.get("ordering"), None);
/// assert_eq!(q.as_str(), "artist=Miles%20Davis&page=2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query<'a>(&'a str);

impl<'a> Query<'a> {
    /// Wraps a raw query string (without the leading `?`).
    pub fn new(raw: &'a str) -> Self {
        Self(raw)
    }

    /// The raw query string.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The first value of `name`, percent-decoded.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        form_urlencoded::parse(self.0.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

impl<'a> From<Query<'a>> for crate::renderers::Query<'a> {
    fn from(q: Query<'a>) -> Self {
        Self::new(q.0)
    }
}

/// A request as a handler sees it.
///
/// The body is read and parsed on first use ([`Request::data`], [`Request::value`],
/// [`Request::parsed`]): the parser is chosen by `Content-Type` among the view's parsers, and
/// an empty body is empty data whatever its type (as DRF).
pub struct Request {
    parts: Parts,
    /// Only ever used through `&mut self`, so the request is `Sync` (policies see `&Request`
    /// across awaits) although the stream is not.
    body: sync_wrapper::SyncWrapper<Option<BodyStream<'static>>>,
    parsed: Option<Parsed>,
    negotiated: Negotiated,
    parsers: Arc<[Arc<dyn Parser>]>,
    limits: ParserLimits,
    state: SharedState,
    /// [`Request::base_url`], worked out on first use: a list builds several links per row,
    /// each on the same checked host. Forgotten when the extensions change.
    base: std::sync::OnceLock<Result<String, ApiError>>,
    /// The view's authenticators, and the user they found, resolved on first use.
    #[cfg(feature = "auth")]
    auth: Auth,
}

/// A request's authentication: who may say who it is, and what they said.
#[cfg(feature = "auth")]
#[derive(Default)]
struct Auth {
    authenticators: Arc<[Arc<dyn Authenticator>]>,
    resolved: std::sync::OnceLock<Result<(User, Option<Credentials>), ApiError>>,
}

#[cfg(feature = "auth")]
static ANONYMOUS: User = User::Anonymous;

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.parts.method)
            .field("uri", &self.parts.uri)
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

impl Request {
    pub(crate) fn new(
        parts: Parts,
        body: BodyStream<'static>,
        negotiated: Negotiated,
        parsers: Arc<[Arc<dyn Parser>]>,
        limits: ParserLimits,
        state: SharedState,
    ) -> Self {
        Self {
            parts,
            body: sync_wrapper::SyncWrapper::new(Some(body)),
            parsed: None,
            negotiated,
            parsers,
            limits,
            state,
            base: std::sync::OnceLock::new(),
            #[cfg(feature = "auth")]
            auth: Auth::default(),
        }
    }

    /// The same request, authenticated by `authenticators` when its user is asked for.
    #[cfg(feature = "auth")]
    pub(crate) fn with_authenticators(
        mut self,
        authenticators: Arc<[Arc<dyn Authenticator>]>,
    ) -> Self {
        self.auth.authenticators = authenticators;
        self
    }

    /// Whether the view has authenticators (DRF's `request.authenticators`).
    #[cfg(feature = "auth")]
    pub(crate) fn has_authenticators(&self) -> bool {
        !self.auth.authenticators.is_empty()
    }

    /// The user making the request (DRF's `request.user`), found by the view's authenticators
    /// on first call and remembered: anonymous when none finds credentials, an error (401 or
    /// 403, as DRF) when one finds bad ones. The permission check calls it before the handler
    /// unless every permission is `AllowAny`. Feature `auth`.
    ///
    /// ```
    /// use restframe::{api_view, ApiError, Request, Response};
    ///
    /// let me = api_view(|req: Request| async move {
    ///     let user = req.user().await?;
    ///     Ok(Response::new(user.username().unwrap_or("anonymous").to_owned()))
    /// });
    /// # let _ = me;
    /// ```
    #[cfg(feature = "auth")]
    pub async fn user(&self) -> Result<&User, ApiError> {
        if self.auth.resolved.get().is_none() {
            let found = self.authenticate().await;
            // A second caller racing on the same request found the same user.
            let _ = self.auth.resolved.set(found);
        }
        match self.auth.resolved.get() {
            Some(Ok((user, _))) => Ok(user),
            Some(Err(e)) => Err(e.clone()),
            None => Err(ApiError::internal("user not resolved after authentication")),
        }
    }

    /// The user as resolved so far: anonymous before [`Request::user`] was first awaited (or
    /// when it failed). Permissions read this: the permission check resolves the user first.
    /// Feature `auth`.
    #[cfg(feature = "auth")]
    pub fn current_user(&self) -> &User {
        match self.auth.resolved.get() {
            Some(Ok((user, _))) => user,
            _ => &ANONYMOUS,
        }
    }

    /// What authenticated the request (DRF's `request.auth`), once the user is resolved:
    /// the scheme, and for tokens and sessions the stored hash of the key. Feature `auth`.
    #[cfg(feature = "auth")]
    pub fn credentials(&self) -> Option<&Credentials> {
        match self.auth.resolved.get() {
            Some(Ok((_, credentials))) => credentials.as_ref(),
            _ => None,
        }
    }

    /// DRF's `_authenticate`: the first authenticator that answers decides.
    #[cfg(feature = "auth")]
    async fn authenticate(&self) -> Result<(User, Option<Credentials>), ApiError> {
        for authenticator in self.auth.authenticators.iter() {
            if let Some((identity, credentials)) = authenticator.authenticate(&self.parts).await? {
                return Ok((User::Authenticated(identity), Some(credentials)));
            }
        }
        Ok((User::Anonymous, None))
    }

    /// Request extensions, to add to (the viewset puts the row of a detail action here).
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn extensions_mut(&mut self) -> &mut http::Extensions {
        // The mount prefix and the trusted proxy's word live there: the base may change.
        self.base.take();
        &mut self.parts.extensions
    }

    /// The method, to change (the browsable API checks permissions as if for each form's).
    #[cfg(feature = "auth")]
    pub(crate) fn method_mut(&mut self) -> &mut Method {
        &mut self.parts.method
    }

    /// The request head: method, URI, headers and extensions (what the cookie helpers of
    /// [`crate::auth`] take, say).
    ///
    /// ```
    /// # async fn f(req: restframe::Request) {
    /// let head: &http::request::Parts = req.head();
    /// assert_eq!(head.method, *req.method());
    /// # }
    /// ```
    pub fn head(&self) -> &http::request::Parts {
        &self.parts
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The URI as received.
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The query parameters.
    pub fn query(&self) -> Query<'_> {
        Query::new(self.parts.uri.query().unwrap_or(""))
    }

    /// Request extensions (set by middleware or the router).
    pub fn extensions(&self) -> &http::Extensions {
        &self.parts.extensions
    }

    /// `scheme://host` of this request, for absolute URLs: the `Host` header (or the URI's
    /// authority, as HTTP/2 sends it). From a trusted proxy ([`crate::TrustedProxies`]), its
    /// `X-Forwarded-Host` and `X-Forwarded-Proto` count instead; from anyone else they are
    /// ignored. A host that is not a `name[:port]` or `[v6]:port`, or that the router's
    /// allowed hosts refuse, is a 400 (Django's `DisallowedHost`), so a client cannot inject
    /// text into links and `Link` headers.
    ///
    /// When the router is mounted under a prefix (`Router::mount_prefix`), the prefix is
    /// part of the base, so `base_url() + uri().path()` is the request's own URL.
    pub fn base_url(&self) -> Result<String, ApiError> {
        self.base
            .get_or_init(|| {
                let parts = &self.parts;
                let host = checked_host(&parts.headers, &parts.uri, &parts.extensions)?;
                let prefix = parts
                    .extensions
                    .get::<MountPrefix>()
                    .map_or("", MountPrefix::as_str);
                let scheme = request_scheme(&parts.uri, &parts.extensions);
                // Pushed, not `format!`ed: every request that links to anything makes one.
                let mut base = String::with_capacity(scheme.len() + 3 + host.len() + prefix.len());
                for part in [scheme, "://", host, prefix] {
                    base.push_str(part);
                }
                Ok(base)
            })
            .clone()
    }

    /// A path parameter captured by the router (`{id}` in `/tracks/{id}/`), percent-decoded.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.parts.extensions.get::<PathParams>()?.get(name)
    }

    /// A path parameter parsed as `T` (any [`FromStr`]): a missing or unparsable value is a 404
    /// "Not found." (as DRF answers an unknown object), so `/tracks/four/` needs no more code.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// use http::Method;
    ///
    /// let detail = api_view(|req: Request| async move {
    ///     let id: i64 = req.path("id")?;
    ///     Ok(Response::new(id * 2))
    /// });
    /// let router = Router::new().route("/tracks/{id}/", "track-detail", [(Method::GET, detail)])?;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tower::ServiceExt;
    /// let get = |uri: &str| http::Request::get(uri).body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// assert_eq!(router.clone().oneshot(get("/tracks/21/")).await.unwrap().status(), 200);
    /// assert_eq!(router.oneshot(get("/tracks/four/")).await.unwrap().status(), 404);
    /// # });
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn path<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        self.path_param(name)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ApiError::not_found("Not found."))
    }

    /// The shared state of type `T` given to the view (`ApiView::with_state`) or to its
    /// router (`Router::with_state`), the view's first (axum's `State`). It is stored once, as
    /// an `Arc`, and handed out as one, so a handler needs no clones before `async move`.
    /// None given is a 500 (a wiring mistake, not the client's).
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// use http::Method;
    ///
    /// struct Catalogue { titles: Vec<&'static str> }
    ///
    /// let list = api_view(|req: Request| async move {
    ///     let catalogue = req.state::<Catalogue>()?;
    ///     Ok(Response::new(catalogue.titles.clone()))
    /// });
    /// let router = Router::new()
    ///     .route("/tracks/", "track-list", [(Method::GET, list)])?
    ///     .with_state(Catalogue { titles: vec!["So What"] });
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tower::ServiceExt;
    /// let get = http::Request::get("/tracks/").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// let res = router.oneshot(get).await.unwrap();
    /// assert_eq!(res.status(), 200);
    /// # });
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn state<T: Any + Send + Sync>(&self) -> Result<Arc<T>, ApiError> {
        self.state
            .get::<T>()
            .or_else(|| {
                self.parts
                    .extensions
                    .get::<SharedState>()
                    .and_then(SharedState::get::<T>)
            })
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "no shared state of type `{}`: give it with `with_state`",
                    std::any::type_name::<T>()
                ))
            })
    }

    /// The negotiation outcome: renderer and accepted media type (DRF's
    /// `request.accepted_renderer` and `accepted_media_type`).
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// Takes the raw body stream, for handlers that stream it themselves. Afterwards the body
    /// cannot be parsed.
    pub fn take_body(&mut self) -> Option<BodyStream<'static>> {
        self.body.get_mut().take()
    }

    /// Reads and parses the body (once; later calls return the same document).
    pub async fn parsed(&mut self) -> Result<&Parsed, ApiError> {
        if self.parsed.is_none() {
            let parsed = self.parse_body().await?;
            self.parsed = Some(parsed);
        }
        self.parsed
            .as_ref()
            .ok_or_else(|| ApiError::internal("parsed body missing after parsing"))
    }

    /// The body deserialized into `T`; a mismatch is a DRF-shaped 400 naming the field.
    pub async fn data<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let parsed = self.parsed().await?;
        parsed.deserialize().map_err(|e| {
            // serde stops at the first missing field; DRF names them all.
            match crate::missing::missing_field(e.path(), e.message()) {
                Some(first) => {
                    let all = crate::missing::all_missing::<T>(parsed, first);
                    ApiError::validation(
                        all.iter().map(|f| (f.as_str(), "This field is required.")),
                    )
                }
                None => e.into(),
            }
        })
    }

    /// The uploaded files of the body (multipart file parts, or a raw upload), taken out of
    /// the parsed document: each is in memory or in a temporary file that is removed when it
    /// drops, unless persisted. DRF's `request.FILES`. Needs the `multipart` or `upload`
    /// feature.
    #[cfg(any(feature = "multipart", feature = "upload"))]
    pub async fn files(&mut self) -> Result<Vec<crate::parsers::UploadedFile>, ApiError> {
        self.parsed().await?;
        Ok(self
            .parsed
            .as_mut()
            .map(Parsed::take_files)
            .unwrap_or_default())
    }

    /// The uploaded file of the field `name` (a multipart file part; a raw upload's field is
    /// `file`), taken out of the parsed body. None is a 400 under `name`, "No file was
    /// submitted." (DRF's `request.FILES[name]` with its message). Needs the `multipart` or
    /// `upload` feature.
    #[cfg(any(feature = "multipart", feature = "upload"))]
    pub async fn file(&mut self, name: &str) -> Result<crate::parsers::UploadedFile, ApiError> {
        self.parsed().await?;
        self.parsed
            .as_mut()
            .and_then(|parsed| parsed.take_file(name))
            .ok_or_else(|| ApiError::validation([(name, "No file was submitted.")]))
    }

    /// The body as a dynamic value (DRF's `request.data`).
    pub async fn value(&mut self) -> Result<Value, ApiError> {
        Ok(self.parsed().await?.to_value()?)
    }

    async fn parse_body(&mut self) -> Result<Parsed, ApiError> {
        let mut body = self
            .body
            .get_mut()
            .take()
            .ok_or_else(|| ApiError::internal("the request body was taken before parsing"))?;
        // A declared length past what the parser would read is refused before any byte of the
        // body is (the client may not even have sent it).
        if let Some(declared) = declared_length(&self.parts.headers)
            && declared > 0
        {
            let content_type = self
                .parts
                .headers
                .get(header::CONTENT_TYPE)
                .map_or("", |v| v.to_str().unwrap_or("(not ASCII)"));
            if content_type.is_empty() {
                return Err(ApiError::unsupported_media_type("", &self.parsers));
            }
            let (parser, mime) = select_parser(content_type, &self.parsers)?;
            let limit = declared_limit(parser.as_ref(), &mime, &self.limits);
            if declared > limit {
                return Err(crate::parsers::ParseError::too_large(
                    usize::try_from(limit).unwrap_or(usize::MAX),
                )
                .into());
            }
        }
        // An empty body is empty data whatever its type (as DRF): peek for a non-empty chunk.
        let first = loop {
            match body.next().await {
                None => return Ok(Parsed::empty()),
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => break chunk,
                Some(Err(e)) if e.is::<crate::serve::BodyReadTimeout>() => {
                    return Err(body_timed_out(&e));
                }
                Some(Err(e)) => return Err(stream_error(e).into()),
            }
        };
        let content_type = match self.parts.headers.get(header::CONTENT_TYPE) {
            None => "",
            Some(v) => v.to_str().unwrap_or("(not ASCII)"),
        };
        if content_type.is_empty() {
            return Err(ApiError::unsupported_media_type("", &self.parsers));
        }
        let (parser, mime) = select_parser(content_type, &self.parsers)?;
        // A body that stalls past the body-read timeout is a 408 whichever parser noticed.
        let stalled: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let seen = stalled.clone();
        let body: BodyStream<'_> = Box::pin(
            futures_util::stream::once(async { Ok(first) })
                .chain(body)
                .inspect(move |item| {
                    if let Err(e) = item
                        && e.is::<crate::serve::BodyReadTimeout>()
                    {
                        *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                }),
        );
        let disposition = self
            .parts
            .headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok());
        let mut ctx = ParseContext::new(&mime).with_limits(self.limits);
        // A raw upload's name: the URL's `{filename}` capture, else `Content-Disposition`.
        if let Some(name) = self.path_param("filename") {
            ctx = ctx.with_filename_hint(name);
        }
        if let Some(d) = disposition {
            ctx = ctx.with_content_disposition(d);
        }
        if let Some(dir) = self.parts.extensions.get::<UploadDir>() {
            ctx = ctx.with_temp_dir(&dir.0);
        }
        let parsed = parser.parse_stream(body, ctx).await;
        let stalled = stalled.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (parsed, stalled) {
            (Err(_), Some(message)) => Err(body_timed_out(&message)),
            (parsed, _) => Ok(parsed?),
        }
    }
}

/// The answer to a request whose body stalled past the body-read timeout: 408.
fn body_timed_out(message: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        http::StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!("Request body timed out ({message})."),
    )
}

/// The request's `Content-Length`, when it declares one that is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The longest body `parser` could accept under `limits`: a buffering parser's
/// `max_body_bytes`, a raw upload's `max_file_bytes`, and for `multipart/form-data` every part
/// at its largest (files, text fields and a generous 16 KiB of part headers each).
fn declared_limit(
    parser: &dyn crate::parsers::Parser,
    mime: &mime::Mime,
    limits: &crate::parsers::ParserLimits,
) -> u64 {
    let body = u64::try_from(limits.max_body_bytes).unwrap_or(u64::MAX);
    if !parser.carries_files() {
        return body;
    }
    if mime.type_() == mime::MULTIPART {
        let parts = u64::try_from(limits.max_parts).unwrap_or(u64::MAX);
        return parts
            .saturating_mul(limits.max_file_bytes.saturating_add(16 * 1024))
            .saturating_add(body);
    }
    limits.max_file_bytes
}
