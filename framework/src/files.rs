//! Serving stored files with real HTTP caching: `ETag`, `Last-Modified`, `304 Not Modified`
//! without reading the body, single `Range` requests (`206`, `416`), `HEAD`, and no sniffing.
//!
//! A stored file is content someone uploaded, served from the app's own origin, so every
//! answer is made inert: `Content-Security-Policy: default-src 'none'; sandbox` (no script,
//! no style, no frame, no form, an opaque origin even when opened directly) and
//! `X-Content-Type-Options: nosniff`; and only a media type on the route's allow-list
//! ([`INLINE_TYPES`] unless given, see [`serve_file_inline`]) is served as itself. Anything
//! else — `text/html`, SVG, an unknown type — goes out as `application/octet-stream` with
//! `Content-Disposition: attachment`, so a browser saves it instead of rendering it.

use std::ops::Range;
use std::time::{Duration, SystemTime};

use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_SECURITY_POLICY, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED,
    RANGE, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use std::sync::Arc;

use crate::storage::{ObjectMeta, Storage, StorageError};
use crate::{ApiError, ApiView, Request, Response, RouteError, Router, api_view};

/// The media types a stored file is served as by default, when it was stored as one of them:
/// images a browser displays without running anything (PNG, JPEG, GIF, WebP, AVIF) and audio
/// and video it plays. Never HTML, XML, SVG, PDF, JavaScript or CSS: those are documents that
/// can carry scripts.
///
/// ```
/// assert!(restframe::files::INLINE_TYPES.contains(&"audio/mpeg"));
/// assert!(!restframe::files::INLINE_TYPES.contains(&"text/html"));
/// assert!(!restframe::files::INLINE_TYPES.contains(&"image/svg+xml"));
/// ```
pub const INLINE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/ogg",
    "audio/opus",
    "audio/flac",
    "audio/wav",
    "audio/x-wav",
    "audio/webm",
    "video/mp4",
    "video/webm",
    "video/ogg",
];

/// The `Content-Security-Policy` of every stored-file answer: nothing may load, and the
/// document is sandboxed (no script, an opaque origin) even when opened directly.
pub const FILE_CSP: &str = "default-src 'none'; sandbox";

impl Router {
    /// Serves the files of `storage` under `prefix`: `GET {prefix}{key}` answers the object
    /// stored under `key` with [`serve_file`] (caching, ranges, `HEAD`), rendered as its stored
    /// media type when it is one of [`INLINE_TYPES`] (else as an `application/octet-stream`
    /// attachment), and errors in the router's first renderer. The route is named `name`; keys
    /// are paths of safe segments (see [`crate::storage::check_key`]).
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use restframe::{storage::FileSystemStorage, Router};
    /// let media = Arc::new(FileSystemStorage::new("./media", "/media/"));
    /// let router = Router::new().files("/media/", "media", media, "public, max-age=3600")?;
    /// # let _ = router;
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn files(
        self,
        prefix: &str,
        name: &str,
        storage: Arc<dyn Storage>,
        cache_control: &'static str,
    ) -> Result<Self, RouteError> {
        let view = storage_view(storage, cache_control)
            .name("Files")
            .settings(&self.settings().file_downloads("*/*"));
        let pattern = format!(
            "{}/{{key:[A-Za-z0-9_][A-Za-z0-9_./-]*}}",
            prefix.trim_end_matches('/')
        );
        self.route(&pattern, name, [(Method::GET, view)])
    }
}

/// A view that serves the object named by the route's `{key}` capture from `storage`, with
/// [`serve_file`] (so inline only as one of [`INLINE_TYPES`]).
pub fn storage_view(storage: Arc<dyn Storage>, cache_control: &'static str) -> ApiView {
    storage_view_inline(storage, cache_control, INLINE_TYPES)
}

/// [`storage_view`] with its own allow-list: objects stored as one of `inline` are served as
/// that type, any other as an `application/octet-stream` attachment (see
/// [`serve_file_inline`]).
///
/// ```
/// use std::sync::Arc;
/// use restframe::files::storage_view_inline;
/// use restframe::storage::FileSystemStorage;
/// let pictures = Arc::new(FileSystemStorage::new("./pictures", "/pictures/"));
/// let view = storage_view_inline(pictures, "public, max-age=60", &["image/png", "image/jpeg"]);
/// # let _ = view;
/// ```
pub fn storage_view_inline(
    storage: Arc<dyn Storage>,
    cache_control: &'static str,
    inline: &'static [&'static str],
) -> ApiView {
    api_view(move |req: Request| {
        let storage = Arc::clone(&storage);
        async move {
            let key: String = req.path("key")?;
            serve_file_inline(&req, &*storage, &key, cache_control, inline).await
        }
    })
}

/// Serves the object under `key` from `storage` as its stored media type (no parameters) when
/// that is one of [`INLINE_TYPES`] — else as `application/octet-stream` with
/// `Content-Disposition: attachment` — with `ETag` (strong), `Last-Modified`,
/// `Cache-Control: {cache_control}`, `Accept-Ranges: bytes`, `X-Content-Type-Options: nosniff`
/// and `Content-Security-Policy: default-src 'none'; sandbox` ([`FILE_CSP`]);
/// [`serve_file_inline`] takes another allow-list.
///
/// - `If-None-Match` (else `If-Modified-Since`) that matches → **304**, the body never opened;
/// - `Range: bytes=a-b` (one range; `a-`, `-n` too) → **206** with `Content-Range`, unless an
///   `If-Range` names another version; a range outside the file → **416** with
///   `Content-Range: bytes */size`; several ranges → the whole file (200), as RFC 9110 allows;
/// - `HEAD` → the headers, the body never opened;
/// - no such object → **404**.
///
/// ```no_run
/// use restframe::{api_view, files::serve_file, storage::FileSystemStorage, Request};
/// let media = std::sync::Arc::new(FileSystemStorage::new("./media", "/media/"));
/// let view = api_view(move |req: Request| {
///     let media = media.clone();
///     async move {
///         let key = req.path_param("key").unwrap_or_default().to_owned();
///         serve_file(&req, &*media, &key, "public, max-age=3600").await
///     }
/// });
/// # let _ = view;
/// ```
///
/// It copies what it needs of the request before it awaits, so the future is `Send` however
/// the request's body is held.
pub fn serve_file<'a>(
    req: &Request,
    storage: &'a dyn Storage,
    key: &'a str,
    cache_control: &'a str,
) -> impl Future<Output = Result<Response, ApiError>> + Send + 'a {
    serve_file_inline(req, storage, key, cache_control, INLINE_TYPES)
}

/// [`serve_file`] with the route's own allow-list: an object stored as one of the media types
/// in `inline` (compared without parameters, case-insensitively) is served as that type; any
/// other as `application/octet-stream` with `Content-Disposition: attachment`, whatever it was
/// stored as. Every answer carries [`FILE_CSP`] and `X-Content-Type-Options: nosniff`.
///
/// ```no_run
/// use restframe::{api_view, files::serve_file_inline, storage::FileSystemStorage, Request};
/// let media = std::sync::Arc::new(FileSystemStorage::new("./media", "/media/"));
/// let view = api_view(move |req: Request| {
///     let media = media.clone();
///     async move {
///         let key = req.path_param("key").unwrap_or_default().to_owned();
///         // Only MP3s play in the browser; anything else is downloaded.
///         serve_file_inline(&req, &*media, &key, "public, max-age=3600", &["audio/mpeg"]).await
///     }
/// });
/// # let _ = view;
/// ```
pub fn serve_file_inline<'a>(
    req: &Request,
    storage: &'a dyn Storage,
    key: &'a str,
    cache_control: &'a str,
    inline: &'a [&'a str],
) -> impl Future<Output = Result<Response, ApiError>> + Send + 'a {
    let request_headers = req.headers().clone();
    let head = req.method() == Method::HEAD;
    serve(request_headers, head, storage, key, cache_control, inline)
}

/// The type to send a file stored as `stored` as, and whether as an attachment: the stored
/// type without its parameters when `inline` allows it, else `application/octet-stream`.
fn served_type(stored: &str, inline: &[&str]) -> (mime::Mime, bool) {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let allowed = inline.iter().any(|t| t.eq_ignore_ascii_case(&essence));
    match essence.parse::<mime::Mime>() {
        Ok(m) if allowed => (m, false),
        _ => (mime::APPLICATION_OCTET_STREAM, true),
    }
}

async fn serve(
    request_headers: HeaderMap,
    head: bool,
    storage: &dyn Storage,
    key: &str,
    cache_control: &str,
    inline: &[&str],
) -> Result<Response, ApiError> {
    let meta = storage
        .metadata(key)
        .await?
        .ok_or_else(|| ApiError::not_found("No such file."))?;
    let mut headers = validators(&meta, cache_control)?;
    let (content_type, attachment) = served_type(&meta.content_type, inline);
    if attachment {
        headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    if not_modified(&request_headers, &meta) {
        let mut res = Response::empty(StatusCode::NOT_MODIFIED);
        *res.headers_mut() = headers;
        return Ok(res);
    }
    let range = match requested_range(&request_headers, &meta) {
        Ok(r) => r,
        Err(()) => return Err(StorageError::RangeNotSatisfiable { size: meta.size }.into()),
    };
    let (status, len) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, meta.size),
    };
    let mut res = if head {
        // The router drops a GET view's body for HEAD; do not even open it.
        Response::stream(futures_util::stream::empty(), content_type)
    } else {
        Response::stream(storage.open(key, range.clone()).await?, content_type)
    }
    .with_status(status);
    *res.headers_mut() = headers;
    res.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(r) = range {
        let value = format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size);
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(CONTENT_RANGE, v);
        }
    }
    Ok(res)
}

/// The caching headers every answer about `meta` carries.
fn validators(meta: &ObjectMeta, cache_control: &str) -> Result<HeaderMap, ApiError> {
    let bad = |e: http::header::InvalidHeaderValue| ApiError::internal(e.to_string());
    let mut h = HeaderMap::new();
    h.insert(
        ETAG,
        HeaderValue::from_str(&format!("\"{}\"", meta.etag)).map_err(bad)?,
    );
    h.insert(
        LAST_MODIFIED,
        HeaderValue::from_str(&httpdate::fmt_http_date(meta.last_modified)).map_err(bad)?,
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_str(cache_control).map_err(bad)?,
    );
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(FILE_CSP));
    Ok(h)
}

/// Whether the client's copy is current: `If-None-Match` decides when present (weak
/// comparison, as RFC 9110 says for GET), else `If-Modified-Since` at one-second precision.
fn not_modified(headers: &HeaderMap, meta: &ObjectMeta) -> bool {
    if let Some(inm) = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == meta.etag);
    }
    let Some(since) = headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    else {
        return false;
    };
    truncate_to_seconds(meta.last_modified) <= since
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// The one byte range asked for, end exclusive; `Ok(None)` for the whole file (no `Range`,
/// several ranges, another unit, a stale `If-Range`, or a malformed header, which RFC 9110
/// says to ignore); `Err(())` when the range lies outside the file (416).
fn requested_range(headers: &HeaderMap, meta: &ObjectMeta) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    if let Some(if_range) = headers.get(IF_RANGE).and_then(|v| v.to_str().ok()) {
        let current = if if_range.starts_with('"') {
            if_range.trim_matches('"') == meta.etag
        } else {
            httpdate::parse_http_date(if_range)
                .is_ok_and(|d| d == truncate_to_seconds(meta.last_modified))
        };
        if !current {
            return Ok(None);
        }
    }
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if set.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return Ok(None);
    };
    let size = meta.size;
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    let range = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match parse(last) {
            Some(0) => return Err(()),
            Some(n) => size.saturating_sub(n)..size,
            None => return Ok(None),
        },
        // `a-`: from a to the end.
        (false, true) => match parse(first) {
            Some(a) => a..size,
            None => return Ok(None),
        },
        (false, false) => match (parse(first), parse(last)) {
            (Some(a), Some(b)) if a <= b => a..b.saturating_add(1).min(size),
            _ => return Ok(None),
        },
        (true, true) => return Ok(None),
    };
    if range.start >= size {
        return Err(());
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use http::HeaderMap;

    use super::{INLINE_TYPES, not_modified, requested_range, served_type};
    use crate::storage::ObjectMeta;

    #[test]
    fn only_allowed_types_are_served_as_themselves() {
        let t = |stored: &str| {
            let (m, attachment) = served_type(stored, INLINE_TYPES);
            (m.to_string(), attachment)
        };
        assert_eq!(t("audio/mpeg"), ("audio/mpeg".into(), false));
        assert_eq!(t("Image/PNG; x=1"), ("image/png".into(), false));
        for hostile in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/javascript",
            "application/pdf",
            "",
            "not a type",
        ] {
            assert_eq!(
                t(hostile),
                ("application/octet-stream".into(), true),
                "{hostile}"
            );
        }
        assert_eq!(
            served_type("text/plain", &["text/plain"]).0,
            mime::TEXT_PLAIN
        );
    }

    fn meta() -> ObjectMeta {
        ObjectMeta {
            key: "k".into(),
            size: 1000,
            content_type: "audio/mpeg".into(),
            etag: "abc".into(),
            last_modified: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        let m = meta();
        let r = |spec: &str| requested_range(&headers(&[("range", spec)]), &m);
        assert_eq!(r("bytes=0-99"), Ok(Some(0..100)));
        assert_eq!(r("bytes=990-2000"), Ok(Some(990..1000)));
        assert_eq!(r("bytes=900-"), Ok(Some(900..1000)));
        assert_eq!(r("bytes=-10"), Ok(Some(990..1000)));
        assert_eq!(r("bytes=-5000"), Ok(Some(0..1000)));
        assert_eq!(r("bytes=1000-"), Err(()));
        assert_eq!(r("bytes=-0"), Err(()));
        assert_eq!(r("bytes=0-1,5-6"), Ok(None));
        assert_eq!(r("bytes=5-1"), Ok(None));
        assert_eq!(r("items=0-1"), Ok(None));
        assert_eq!(r("bytes=x-y"), Ok(None));
        let stale = headers(&[("range", "bytes=0-1"), ("if-range", "\"old\"")]);
        assert_eq!(requested_range(&stale, &m), Ok(None));
        let current = headers(&[("range", "bytes=0-1"), ("if-range", "\"abc\"")]);
        assert_eq!(requested_range(&current, &m), Ok(Some(0..2)));
    }

    #[test]
    fn conditional_requests() {
        let m = meta();
        assert!(not_modified(&headers(&[("if-none-match", "\"abc\"")]), &m));
        assert!(not_modified(
            &headers(&[("if-none-match", "\"x\", W/\"abc\"")]),
            &m
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), &m));
        assert!(!not_modified(&headers(&[("if-none-match", "\"x\"")]), &m));
        let date = httpdate::fmt_http_date(m.last_modified);
        assert!(not_modified(
            &headers(&[("if-modified-since", date.as_str())]),
            &m
        ));
        let earlier = httpdate::fmt_http_date(m.last_modified - Duration::from_secs(2));
        assert!(!not_modified(
            &headers(&[("if-modified-since", earlier.as_str())]),
            &m
        ));
        // If-None-Match decides when present.
        assert!(!not_modified(
            &headers(&[
                ("if-none-match", "\"x\""),
                ("if-modified-since", date.as_str())
            ]),
            &m
        ));
    }
}
