//! Turning a [`Response`] or an [`ApiError`] into an HTTP response with the view's renderers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, VARY};
use http::{HeaderValue, StatusCode};
use http_body_util::BodyExt;

use crate::ApiError;
use crate::body::Body;
use crate::negotiation::{Negotiated, Renderers};
use crate::renderers::{
    Data, Mime, PageInfo, PageUser, RenderContext, RenderErrorKind, Renderer, RouteInfo,
    textual_charset,
};
#[cfg(feature = "auth")]
use crate::request::Request;
use crate::response::{Payload, Response};

/// A view's renderers with their `Content-Type` values computed once.
#[derive(Clone)]
pub(crate) struct RendererSet {
    list: Renderers,
    /// `None` for a wildcard media type (`image/*`): the response says which.
    content_types: Arc<[Option<HeaderValue>]>,
    /// The size of the view's last bodies, for the next one's buffer (shared by the clones).
    sizes: Arc<SizeHints>,
}

/// The sizes of the last bodies a view rendered, so that the next one's buffer is allocated
/// once: a 34 KB page written into a buffer grown from 512 bytes was copied seven times (1% of
/// a 100-row list's time). One size for reads (`GET`, `HEAD`) and one for the other methods,
/// since a list and its create share a view and their bodies differ a hundredfold.
#[derive(Default)]
struct SizeHints([AtomicUsize; 2]);

/// The smallest buffer a body is written into.
const MIN_BUFFER: usize = 512;
/// The largest buffer a hint asks for: a bigger body grows its buffer as it is written.
const MAX_BUFFER_HINT: usize = 1 << 20;

impl SizeHints {
    fn slot(method: &str) -> usize {
        usize::from(!matches!(method, "GET" | "HEAD"))
    }

    /// An empty buffer for a body of `method`: the last such body's size and an eighth more.
    fn buffer(&self, method: &str) -> Vec<u8> {
        let hint = self.0[Self::slot(method)].load(Ordering::Relaxed);
        Vec::with_capacity(hint.clamp(MIN_BUFFER, MAX_BUFFER_HINT))
    }

    /// Records a body of `method` written into `out`, and gives back the room a smaller body
    /// than the hint left unused, so that a response held while it is sent (a slow client's)
    /// holds about its own size.
    fn record(&self, method: &str, out: &mut Vec<u8>) {
        let len = out.len();
        self.0[Self::slot(method)].store(len + len / 8, Ordering::Relaxed);
        if out.capacity() > 2 * len + 4096 {
            out.shrink_to_fit();
        }
    }
}

impl RendererSet {
    pub(crate) fn new(list: Renderers) -> Self {
        let content_types = list
            .iter()
            .map(|r| content_type_value(r.media_type(), r.charset()))
            .collect();
        Self {
            list,
            content_types,
            sizes: Arc::default(),
        }
    }

    pub(crate) fn list(&self) -> &Renderers {
        &self.list
    }
}

/// What of the request the renderers may see.
#[derive(Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    pub(crate) query: &'a str,
    pub(crate) view_name: &'a str,
    /// For page renderers (HTML): the request line, the view, the route.
    pub(crate) page: PageRequest<'a>,
    /// Whether the request carries credentials ([`carries_credentials`]).
    pub(crate) credentials: bool,
}

/// The session cookie's name (`SessionAuthentication`'s).
const SESSION_COOKIE: &str = "sessionid";

/// Whether a request carries credentials a browser may send on its own: an `Authorization`
/// header or a session cookie. Renderers of public data only (JSONP) refuse such a request
/// before the handler runs, whether or not the view authenticates it.
pub(crate) fn carries_credentials(headers: &http::HeaderMap) -> bool {
    headers.contains_key(http::header::AUTHORIZATION)
        || headers
            .get_all(http::header::COOKIE)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
            .any(|pair| {
                pair.split(|b| *b == b'=')
                    .next()
                    .is_some_and(|name| name.trim_ascii() == SESSION_COOKIE.as_bytes())
            })
}

/// The renderer's own refusal of an authenticated request, when it serves anonymous requests
/// only (JSONP): checked again once the view's authenticators found a user.
#[cfg(feature = "auth")]
pub(crate) fn refuse_authenticated(
    negotiated: &Negotiated,
    info: RequestInfo<'_>,
) -> Option<ApiError> {
    let renderer = negotiated.renderer();
    if !renderer.anonymous_only() {
        return None;
    }
    let ctx = check_context(negotiated, info).with_credentials(true);
    Some(match renderer.check(&ctx) {
        Err(e) => ApiError::from(e),
        Ok(()) => ApiError::new(
            StatusCode::FORBIDDEN,
            crate::error::REFUSED,
            "This format is served to anonymous requests only.",
        ),
    })
}

/// What an HTML page shows of the request, the view and its route.
#[derive(Clone, Copy, Default)]
pub(crate) struct PageRequest<'a> {
    pub(crate) method: &'a str,
    /// Path and query, as requested.
    pub(crate) path: &'a str,
    pub(crate) description: &'a str,
    pub(crate) route: Option<&'a RouteInfo>,
    pub(crate) view_template: Option<&'a str>,
    /// Who the user is and which forms they may use, once the policy ran.
    pub(crate) access: Option<&'a PageAccess>,
}

/// What a page shows of the request's user: who it is (when the view has authenticators) and
/// the methods whose forms the view's permissions refuse them.
#[derive(Clone, Debug, Default)]
pub(crate) struct PageAccess {
    /// `None`: no authenticators; `Some(None)`: anonymous; `Some(Some(name))`: a user.
    user: Option<Option<String>>,
    denied: Vec<String>,
}

/// The page access of `req`: its user resolved (a failure shows as anonymous), and the
/// route's forms checked against the view's permissions.
#[cfg(feature = "auth")]
pub(crate) async fn page_access(req: &mut Request, route: Option<&RouteInfo>) -> PageAccess {
    let user = if req.has_authenticators() {
        let name = match req.user().await {
            Ok(user) if user.is_authenticated() => Some(user.username().unwrap_or("").to_owned()),
            _ => None,
        };
        Some(name)
    } else {
        None
    };
    let denied = match route {
        Some(route) => {
            crate::permissions::denied_methods(req, route.forms.iter().map(|f| f.method.as_str()))
        }
        None => Vec::new(),
    };
    PageAccess { user, denied }
}

/// The page's access with the forms the handler's object refused (see
/// [`crate::permissions::PageObjectForms`]) also denied.
#[cfg(feature = "auth")]
pub(crate) fn with_object_denied(
    access: Option<&PageAccess>,
    object_forms: Option<&crate::permissions::PageObjectForms>,
) -> Option<PageAccess> {
    let mut access = access?.clone();
    if let Some(denied) = object_forms.and_then(|f| f.denied.lock().ok()) {
        for method in denied.iter() {
            if !access.denied.contains(method) {
                access.denied.push(method.clone());
            }
        }
    }
    Some(access)
}

/// The page description for `renderer`, when it wants one: the headers so far as text.
fn page_headers(
    renderer: &dyn Renderer,
    headers: &http::HeaderMap,
) -> Option<Vec<(String, String)>> {
    renderer.wants_page().then(|| {
        headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    })
}

fn page_info<'a>(
    info: &RequestInfo<'a>,
    set: &'a RendererSet,
    headers: &'a [(String, String)],
) -> PageInfo<'a> {
    PageInfo {
        method: info.page.method,
        path: info.page.path,
        description: info.page.description,
        headers,
        renderers: &set.list,
        route: info.page.route,
        view_template: info.page.view_template,
        user: info
            .page
            .access
            .and_then(|a| a.user.as_ref())
            .map(|u| match u {
                Some(name) => PageUser::User(name),
                None => PageUser::Anonymous,
            }),
        denied_methods: info.page.access.map_or(&[][..], |a| &a.denied[..]),
    }
}

fn content_type_value(media_type: &Mime, charset: Option<&str>) -> Option<HeaderValue> {
    if media_type.type_() == mime::STAR || media_type.subtype() == mime::STAR {
        return None;
    }
    let essence = media_type.essence_str();
    match charset {
        None => HeaderValue::from_str(essence).ok(),
        Some(cs) => HeaderValue::from_str(&format!("{essence}; charset={cs}")).ok(),
    }
}

fn context<'a>(
    negotiated: Option<&'a Negotiated>,
    info: RequestInfo<'a>,
    status: StatusCode,
    template: Option<&'a str>,
) -> RenderContext<'a> {
    let ctx = RenderContext::default()
        .with_query(info.query)
        .with_status(status.as_u16())
        .with_view_name(info.view_name)
        .with_template_name(template)
        .with_credentials(info.credentials);
    match negotiated {
        Some(n) => ctx.with_accepted(n.media_type(), n.params()),
        None => ctx,
    }
}

/// The render context for [`Renderer::check`], before the handler runs.
pub(crate) fn check_context<'a>(
    negotiated: &'a Negotiated,
    info: RequestInfo<'a>,
) -> RenderContext<'a> {
    context(Some(negotiated), info, StatusCode::OK, None)
}

/// Renders a handler's response with the negotiated renderer.
pub(crate) fn finalize(
    response: Response,
    negotiated: &Negotiated,
    set: &RendererSet,
    info: RequestInfo<'_>,
) -> http::Response<Body> {
    let Response {
        status,
        headers,
        payload,
        template_name,
        content_type,
    } = response;
    let mut html = false;
    let (bytes, content_type) = match payload {
        Payload::Stream(body) => {
            let mut res = http::Response::new(body);
            *res.status_mut() = status;
            *res.headers_mut() = headers;
            if let Some(ct) = content_type.and_then(|m| header_value(&m)) {
                res.headers_mut().insert(CONTENT_TYPE, ct);
            }
            vary(&mut res, set);
            return res;
        }
        Payload::Empty => (Bytes::new(), None),
        // Raw bytes: exactly the type the handler gave.
        Payload::Bytes(bytes) => (bytes, content_type.and_then(|m| header_value(&m))),
        Payload::Data(data) => {
            let renderer = negotiated.renderer();
            html = is_html(&**renderer);
            let ctx = context(Some(negotiated), info, status, template_name.as_deref());
            let shown = page_headers(&**renderer, &headers);
            let page = shown.as_deref().map(|h| page_info(&info, set, h));
            let ctx = match &page {
                Some(p) => ctx.with_page(p),
                None => ctx,
            };
            let mut out = set.sizes.buffer(info.page.method);
            if let Err(e) = renderer.render(&*data as &dyn Data, &ctx, &mut out) {
                // Data this format cannot hold (406), or a request it does not serve (403):
                // say so in a format that can.
                let fallback = !matches!(
                    e.kind(),
                    RenderErrorKind::Unrepresentable | RenderErrorKind::Refused
                );
                let fallback = fallback.then_some(negotiated);
                return error(ApiError::from(e), fallback, set, info);
            }
            let ct = match content_type {
                Some(m) => with_textual_charset(&m),
                // A renderer of a range (`image/*`) cannot tell what it wrote; the handler
                // should have said. Never echo the client's type for bytes of unknown type.
                None => set.content_types[negotiated.index()]
                    .clone()
                    .or(Some(HeaderValue::from_static("application/octet-stream"))),
            };
            set.sizes.record(info.page.method, &mut out);
            (Bytes::from(out), ct)
        }
    };
    let mut res = http::Response::new(full(bytes));
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    if let Some(ct) = content_type {
        res.headers_mut().insert(CONTENT_TYPE, ct);
    }
    if html {
        no_framing(res.headers_mut());
    }
    vary(&mut res, set);
    res
}

/// Whether `renderer` writes HTML pages (the browsable API, templates).
fn is_html(renderer: &dyn Renderer) -> bool {
    let m = renderer.media_type();
    m.type_() == mime::TEXT && m.subtype() == mime::HTML
}

/// No page a renderer writes may be framed by another site (clickjacking its forms): `DENY`
/// for older browsers, CSP's `frame-ancestors 'none'` for the others, unless the response
/// sets its own policy.
fn no_framing(headers: &mut http::HeaderMap) {
    headers
        .entry(http::header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    headers
        .entry(http::header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("frame-ancestors 'none'"));
}

/// Renders an error: with the negotiated renderer when it renders data, else with the view's
/// first renderer that does, else as JSON.
pub(crate) fn error(
    err: ApiError,
    negotiated: Option<&Negotiated>,
    set: &RendererSet,
    info: RequestInfo<'_>,
) -> http::Response<Body> {
    if err.status().is_server_error() {
        tracing::error!(status = %err.status(), detail = err.detail(), internal = err.internal_detail(), "request failed");
    }
    let status = err.status();
    // A renderer of public data only (JSONP) renders no error for a request with credentials,
    // nor its own refusal (403), nor a 406.
    let refused = err.code() == crate::error::REFUSED;
    let usable = negotiated.filter(|n| {
        let r = n.renderer();
        r.renders_data()
            && !refused
            && !(r.anonymous_only() && (info.credentials || status == StatusCode::NOT_ACCEPTABLE))
    });
    let candidates = usable
        .map(|n| n.index())
        .into_iter()
        .chain((0..set.list.len()).filter(|&i| set.list[i].renders_data()));
    let mut rendered = None;
    let mut html = false;
    // Only page renderers are shown the headers.
    let error_headers: http::HeaderMap = if set.list.iter().any(|r| r.wants_page()) {
        err.headers().iter().cloned().collect()
    } else {
        http::HeaderMap::new()
    };
    for index in candidates {
        let renderer = &set.list[index];
        let ctx = context(usable.filter(|n| n.index() == index), info, status, None);
        let shown = page_headers(&**renderer, &error_headers);
        let page = shown.as_deref().map(|h| page_info(&info, set, h));
        let ctx = match &page {
            Some(p) => ctx.with_page(p),
            None => ctx,
        };
        let mut out = Vec::with_capacity(128);
        if renderer.render(&err as &dyn Data, &ctx, &mut out).is_ok() {
            html = is_html(&**renderer);
            rendered = Some((out, set.content_types[index].clone()));
            break;
        }
    }
    let (out, ct) = rendered.unwrap_or_else(|| {
        let json = serde_json::to_vec(&err).unwrap_or_else(|_| br#"{"detail":"error"}"#.to_vec());
        (json, Some(HeaderValue::from_static("application/json")))
    });
    let mut res = http::Response::new(full(Bytes::from(out)));
    *res.status_mut() = status;
    for (name, value) in err.headers() {
        res.headers_mut().append(name.clone(), value.clone());
    }
    if let Some(ct) = ct {
        res.headers_mut().insert(CONTENT_TYPE, ct);
    }
    if html {
        no_framing(res.headers_mut());
    }
    vary(&mut res, set);
    res
}

/// `media_type` as a header value, parameters included.
fn header_value(media_type: &Mime) -> Option<HeaderValue> {
    HeaderValue::from_str(media_type.as_ref()).ok()
}

/// An explicit content type for rendered data, given `charset=utf-8` when it is textual and
/// names no charset itself.
fn with_textual_charset(media_type: &Mime) -> Option<HeaderValue> {
    match (
        media_type.get_param(mime::CHARSET),
        textual_charset(media_type),
    ) {
        (None, Some(cs)) => HeaderValue::from_str(&format!("{media_type}; charset={cs}")).ok(),
        _ => header_value(media_type),
    }
}

fn vary(res: &mut http::Response<Body>, set: &RendererSet) {
    if set.list.len() > 1 {
        res.headers_mut()
            .append(VARY, HeaderValue::from_static("Accept"));
    }
}

fn full(bytes: Bytes) -> Body {
    http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::{MAX_BUFFER_HINT, MIN_BUFFER, SizeHints};

    #[test]
    fn a_views_next_body_gets_a_buffer_of_its_last_size_by_method() {
        let sizes = SizeHints::default();
        assert_eq!(sizes.buffer("GET").capacity(), MIN_BUFFER);
        let mut page = sizes.buffer("GET");
        page.resize(34_000, b'x');
        sizes.record("GET", &mut page);
        assert!(page.capacity() >= 34_000);
        // The next page is written without growing; HEAD is a read too; a create is not.
        assert!(sizes.buffer("GET").capacity() >= 34_000 + 34_000 / 8);
        assert!(sizes.buffer("HEAD").capacity() >= 34_000);
        assert_eq!(sizes.buffer("POST").capacity(), MIN_BUFFER);
        // A small body in a big buffer gives the room back; the hint follows it down.
        let mut empty_page = sizes.buffer("GET");
        empty_page.extend_from_slice(b"{\"count\":0}");
        sizes.record("GET", &mut empty_page);
        assert!(empty_page.capacity() < 4096, "{}", empty_page.capacity());
        assert_eq!(sizes.buffer("GET").capacity(), MIN_BUFFER);
        // A huge body asks for no more than the cap next time.
        let mut huge = vec![0; MAX_BUFFER_HINT * 2];
        sizes.record("GET", &mut huge);
        assert_eq!(sizes.buffer("GET").capacity(), MAX_BUFFER_HINT);
    }
}
