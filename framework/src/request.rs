//! What a handler receives: the HTTP request, the negotiation outcome and a lazily parsed body.

use std::sync::Arc;

use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderMap, Method, Uri, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ApiError;
use crate::content_type::select_parser;
use crate::negotiation::Negotiated;
use crate::parsers::{BodyStream, ParseContext, Parsed, Parser, ParserLimits, stream_error};
use crate::renderers::Query;

/// A `Host` value of the forms Django accepts: a DNS name or IPv4 address, or a bracketed IPv6
/// address, with an optional port.
/// Where a [`crate::Router`] is mounted (`/api` when an axum app nests it there): incoming
/// paths arrive without it, and absolute links get it back.
#[derive(Clone, Debug)]
pub(crate) struct MountPrefix(pub(crate) Arc<str>);

/// The hosts a [`crate::Router`] answers for (Django's `ALLOWED_HOSTS`).
#[derive(Clone, Debug)]
pub(crate) struct AllowedHosts(pub(crate) Arc<[String]>);

impl AllowedHosts {
    /// Whether `host` (`name[:port]`) is allowed: `*` allows any, `.example.com` allows
    /// `example.com` and its subdomains, anything else must equal the name (ports ignored,
    /// case folded).
    pub(crate) fn allows(&self, host: &str) -> bool {
        let name = match host.rsplit_once(':') {
            Some((name, port))
                if port.bytes().all(|b| b.is_ascii_digit())
                    && (!name.contains(':') || name.ends_with(']')) =>
            {
                name
            }
            _ => host,
        }
        .trim_end_matches('.')
        .to_ascii_lowercase();
        self.0.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            pattern == "*"
                || match pattern.strip_prefix('.') {
                    Some(domain) => {
                        name == domain
                            || name
                                .strip_suffix(domain)
                                .is_some_and(|sub| sub.ends_with('.'))
                    }
                    None => name == pattern,
                }
        })
    }
}

/// The `Host` of a request (or the URI's authority, as HTTP/2 sends it).
pub(crate) fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, _)) if !name.ends_with(']') && name.contains(':') => (host, None),
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => {
            !v6.is_empty()
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => {
            !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    port_ok && name_ok
}

/// The captures of the route that matched, as `(name, value)`, percent-decoded; set by the
/// router in the request extensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams(pub Vec<(String, String)>);

/// A request as a handler sees it.
///
/// The body is read and parsed on first use ([`Request::data`], [`Request::value`],
/// [`Request::parsed`]): the parser is chosen by `Content-Type` among the view's parsers, and
/// an empty body is empty data whatever its type (as DRF).
pub struct Request {
    parts: Parts,
    body: Option<BodyStream<'static>>,
    parsed: Option<Parsed>,
    negotiated: Negotiated,
    parsers: Arc<[Arc<dyn Parser>]>,
    limits: ParserLimits,
}

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
    ) -> Self {
        Self {
            parts,
            body: Some(body),
            parsed: None,
            negotiated,
            parsers,
            limits,
        }
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
    /// authority, as HTTP/2 sends it), `https` when `X-Forwarded-Proto` says so. A host that is
    /// not a `name[:port]` or `[v6]:port` is a 400 (Django's `DisallowedHost`), so a client
    /// cannot inject text into links and `Link` headers.
    ///
    /// When the router is mounted under a prefix ([`crate::Router::mount_prefix`]), the
    /// prefix is part of the base, so `base_url() + uri().path()` is the request's own URL.
    pub fn base_url(&self) -> Result<String, ApiError> {
        let host = request_host(&self.parts.headers, &self.parts.uri).unwrap_or("localhost");
        let allowed = self.parts.extensions.get::<AllowedHosts>();
        if !valid_host(host) || allowed.is_some_and(|a| !a.allows(host)) {
            return Err(ApiError::bad_request("Invalid Host header."));
        }
        let prefix = self
            .parts
            .extensions
            .get::<MountPrefix>()
            .map_or("", |p| &p.0);
        let scheme = match self.parts.headers.get("x-forwarded-proto") {
            Some(p) if p == "https" => "https",
            _ => "http",
        };
        Ok(format!("{scheme}://{host}{prefix}"))
    }

    /// A path parameter captured by the router (`{id}` in `/tracks/{id}/`), percent-decoded.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.parts
            .extensions
            .get::<PathParams>()?
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The negotiation outcome: renderer and accepted media type (DRF's
    /// `request.accepted_renderer` and `accepted_media_type`).
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// Takes the raw body stream, for handlers that stream it themselves. Afterwards the body
    /// cannot be parsed.
    pub fn take_body(&mut self) -> Option<BodyStream<'static>> {
        self.body.take()
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

    /// The body as a dynamic value (DRF's `request.data`).
    pub async fn value(&mut self) -> Result<Value, ApiError> {
        Ok(self.parsed().await?.to_value()?)
    }

    async fn parse_body(&mut self) -> Result<Parsed, ApiError> {
        let mut body = self
            .body
            .take()
            .ok_or_else(|| ApiError::internal("the request body was taken before parsing"))?;
        // An empty body is empty data whatever its type (as DRF): peek for a non-empty chunk.
        let first = loop {
            match body.next().await {
                None => return Ok(Parsed::empty()),
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => break chunk,
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
        let body: BodyStream<'_> =
            Box::pin(futures_util::stream::once(async { Ok(first) }).chain(body));
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
        if let Some(dir) = self.parts.extensions.get::<crate::view::UploadDir>() {
            ctx = ctx.with_temp_dir(&dir.0);
        }
        Ok(parser.parse_stream(body, ctx).await?)
    }
}

#[cfg(test)]
mod host_tests {
    use super::AllowedHosts;

    #[test]
    fn allowed_hosts_match_as_django() {
        let allowed = AllowedHosts(vec!["api.example.com".into(), ".music.test".into()].into());
        for host in [
            "api.example.com",
            "API.example.com:8443",
            "music.test",
            "a.b.music.test:80",
        ] {
            assert!(allowed.allows(host), "{host}");
        }
        for host in [
            "example.com",
            "evil-music.test",
            "api.example.com.evil",
            "[::1]:80",
        ] {
            assert!(!allowed.allows(host), "{host}");
        }
        assert!(AllowedHosts(vec!["*".into()].into()).allows("anything:1"));
        assert!(AllowedHosts(vec!["[::1]".into()].into()).allows("[::1]:8000"));
    }
}

#[cfg(test)]
mod tests {
    use super::valid_host;

    #[test]
    fn hosts_are_names_or_addresses_with_an_optional_port() {
        for ok in [
            "example.org",
            "localhost:8000",
            "127.0.0.1:80",
            "[::1]:8000",
            "[::1]",
            "a-b.c",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a>; rel=\"next\", <http://evil",
            "a b",
            "h:",
            "h:123456",
            "h:x",
            "[]",
            "a/b",
            "a@b",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }
}
