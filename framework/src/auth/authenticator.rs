//! The [`Authenticator`] trait (DRF's `BaseAuthentication`) and the `Authorization` header
//! parsing its header-based classes share.

use http::HeaderValue;
use http::request::Parts;

use super::user::{Credentials, Identity};
use crate::error::ApiError;
use crate::util::BoxFuture;

/// What an authenticator found: the user and what proved it.
pub type Authenticated = (Identity, Credentials);

/// One way of authenticating a request. A view tries its authenticators in order; the first
/// that answers `Ok(Some(..))` authenticates the request, an error stops there (DRF's
/// `authenticate`), and `Ok(None)` everywhere leaves the user anonymous.
///
/// It sees the request's head only (method, URI, headers, extensions): authentication comes
/// before the body is read.
///
/// ```
/// use http::request::Parts;
/// use restframe::auth::{Authenticated, Authenticator, Credentials, Identity};
/// use restframe::{ApiError, BoxFuture};
///
/// /// Trusts a header set by a proxy in front (an example, not a recommendation).
/// struct ProxyUser;
///
/// impl Authenticator for ProxyUser {
///     fn authenticate<'a>(&'a self, head: &'a Parts) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>> {
///         Box::pin(async move {
///             let Some(name) = head.headers.get("x-proxy-user") else { return Ok(None) };
///             let name = name.to_str().map_err(|_| ApiError::authentication_failed("Bad user header."))?;
///             Ok(Some((Identity::new(1, name), Credentials::new("proxy"))))
///         })
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// The user of this request: `Ok(None)` when the request carries none of this
    /// authenticator's credentials, an error (usually [`ApiError::authentication_failed`])
    /// when it carries bad ones.
    fn authenticate<'a>(
        &'a self,
        head: &'a Parts,
    ) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>>;

    /// The `WWW-Authenticate` value of a 401 (DRF's `authenticate_header`). `None` (the
    /// default) makes an unauthenticated request a 403 when this is the view's first
    /// authenticator.
    fn challenge(&self) -> Option<HeaderValue> {
        None
    }

    /// How the OpenAPI document describes this authenticator (`components.securitySchemes`),
    /// or `None` (the default) to leave it out. Plain data: the `openapi` module turns it into
    /// the document's schema.
    fn scheme(&self) -> Option<AuthScheme> {
        None
    }
}

/// What an [`Authenticator`] says of itself for the OpenAPI document: a security scheme's name
/// (its key in `components.securitySchemes`) and how credentials are sent.
///
/// ```
/// use restframe::auth::AuthScheme;
/// let scheme = AuthScheme::api_key_header("proxyUser", "x-proxy-user")
///     .description("The user name, set by the proxy in front.");
/// assert_eq!(scheme.name, "proxyUser");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthScheme {
    /// The scheme's name in the document (`tokenAuth`).
    pub name: String,
    /// How the credentials travel.
    pub kind: AuthSchemeKind,
    /// What a reader needs to know (CommonMark), if anything.
    pub description: Option<String>,
}

/// How an [`AuthScheme`]'s credentials travel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthSchemeKind {
    /// An HTTP authentication scheme in `Authorization` (`basic`, `bearer`), as OpenAPI's
    /// `type: http`.
    Http {
        /// The scheme, lower case (`basic`, `bearer`).
        scheme: String,
    },
    /// A key in a request header (OpenAPI's `type: apiKey, in: header`).
    ApiKeyHeader {
        /// The header's name.
        name: String,
    },
    /// A key in a cookie (OpenAPI's `type: apiKey, in: cookie`).
    ApiKeyCookie {
        /// The cookie's name.
        name: String,
    },
}

impl AuthScheme {
    fn new(name: &str, kind: AuthSchemeKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            description: None,
        }
    }

    /// `Authorization: <scheme> <credentials>` (`basic`, `bearer`).
    pub fn http(name: &str, scheme: &str) -> Self {
        Self::new(
            name,
            AuthSchemeKind::Http {
                scheme: scheme.to_ascii_lowercase(),
            },
        )
    }

    /// A key in the header `header`.
    pub fn api_key_header(name: &str, header: &str) -> Self {
        Self::new(
            name,
            AuthSchemeKind::ApiKeyHeader {
                name: header.to_owned(),
            },
        )
    }

    /// A key in the cookie `cookie`.
    pub fn api_key_cookie(name: &str, cookie: &str) -> Self {
        Self::new(
            name,
            AuthSchemeKind::ApiKeyCookie {
                name: cookie.to_owned(),
            },
        )
    }

    /// With a description.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }
}

/// The credentials of `Authorization: <keyword> <credentials>` when the keyword is one of
/// `keywords` (case-insensitive): `Ok(None)` for no header or another scheme, and DRF's
/// errors for a header of this scheme that is malformed.
pub(super) fn authorization<'a>(
    head: &'a Parts,
    keywords: &[&str],
    label: &str,
    what: &str,
) -> Result<Option<&'a str>, ApiError> {
    let Some(value) = head.headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let mut words = value
        .as_bytes()
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty());
    let Some(keyword) = words.next() else {
        return Ok(None);
    };
    if !keywords
        .iter()
        .any(|k| k.as_bytes().eq_ignore_ascii_case(keyword))
    {
        return Ok(None);
    }
    let Some(credentials) = words.next() else {
        return Err(ApiError::authentication_failed(format!(
            "Invalid {label} header. No credentials provided."
        )));
    };
    if words.next().is_some() {
        return Err(ApiError::authentication_failed(format!(
            "Invalid {label} header. {what} string should not contain spaces."
        )));
    }
    std::str::from_utf8(credentials).map(Some).map_err(|_| {
        ApiError::authentication_failed(format!(
            "Invalid {label} header. {what} string should not contain invalid characters."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(auth: &str) -> Parts {
        http::Request::get("/")
            .header("authorization", auth)
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| http::Request::new(()).into_parts().0)
    }

    #[test]
    fn another_scheme_is_not_ours() {
        let h = head("Basic abc");
        assert_eq!(
            authorization(&h, &["token"], "token", "Token").ok(),
            Some(None)
        );
    }

    #[test]
    fn keyword_is_case_insensitive() {
        let h = head("TOKEN abc");
        assert_eq!(
            authorization(&h, &["token"], "token", "Token").ok(),
            Some(Some("abc"))
        );
    }

    #[test]
    fn malformed_headers_are_drf_errors() {
        let h = head("Token");
        let e = authorization(&h, &["token"], "token", "Token").err();
        assert_eq!(
            e.map(|e| e.detail().to_owned()).as_deref(),
            Some("Invalid token header. No credentials provided.")
        );
        let h = head("Token a b");
        let e = authorization(&h, &["token"], "token", "Token").err();
        assert_eq!(
            e.map(|e| e.detail().to_owned()).as_deref(),
            Some("Invalid token header. Token string should not contain spaces.")
        );
        // Bytes a header may carry but UTF-8 may not.
        let mut h = head("Token x");
        h.headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_bytes(b"Token \xff\xfe").unwrap_or_else(|e| panic!("{e}")),
        );
        let e = authorization(&h, &["token"], "token", "Token").err();
        assert_eq!(
            e.map(|e| e.detail().to_owned()).as_deref(),
            Some("Invalid token header. Token string should not contain invalid characters.")
        );
    }
}
