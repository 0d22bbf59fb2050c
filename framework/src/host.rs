//! Host policy: which `Host` values a request may carry (Django's `ALLOWED_HOSTS` and
//! `DisallowedHost`), so a client cannot inject text into the links the API writes.

use std::sync::Arc;

use http::{HeaderMap, Uri, header};

use crate::error::ApiError;
use crate::extensions::Forwarded;

/// The hosts a router answers for (Django's `ALLOWED_HOSTS`), handed to views in the request
/// extensions so `Request::base_url` applies the same policy.
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

/// The `Host` of a request (or the URI's authority, as HTTP/2 sends it); a trusted proxy's
/// `X-Forwarded-Host` ([`Forwarded`]) when there is one.
pub(crate) fn request_host<'a>(
    headers: &'a HeaderMap,
    uri: &'a Uri,
    extensions: &'a http::Extensions,
) -> Option<&'a str> {
    if let Some(host) = extensions.get::<Forwarded>().and_then(Forwarded::host) {
        return Some(host);
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
}

/// The request's scheme: `https` when the URI says so or a trusted proxy's
/// `X-Forwarded-Proto` ([`Forwarded`]) does; else `http`.
pub(crate) fn request_scheme(uri: &Uri, extensions: &http::Extensions) -> &'static str {
    let forwarded = extensions.get::<Forwarded>().and_then(Forwarded::proto);
    if uri.scheme() == Some(&http::uri::Scheme::HTTPS) || forwarded == Some("https") {
        "https"
    } else {
        "http"
    }
}

/// The error a disallowed or malformed host gets: a 400 (Django's `DisallowedHost`).
pub(crate) fn invalid_host() -> ApiError {
    ApiError::bad_request("Invalid Host header.")
}

/// The request's host for absolute links (`localhost` when it names none): a host that is not
/// a `name[:port]` or `[v6]:port`, or that `allowed` refuses, is [`invalid_host`].
pub(crate) fn checked_host<'a>(
    headers: &'a HeaderMap,
    uri: &'a Uri,
    extensions: &'a http::Extensions,
) -> Result<&'a str, ApiError> {
    let allowed = extensions.get::<AllowedHosts>();
    let host = request_host(headers, uri, extensions).unwrap_or("localhost");
    if !valid_host(host) || allowed.is_some_and(|a| !a.allows(host)) {
        return Err(invalid_host());
    }
    Ok(host)
}

/// A `Host` value of the forms Django accepts: a DNS name or IPv4 address, or a bracketed IPv6
/// address, with an optional port.
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

#[cfg(test)]
mod tests {
    use super::{AllowedHosts, valid_host};

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
