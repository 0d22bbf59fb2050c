//! [`SessionAuthentication`] (DRF's): a `sessionid` cookie whose key is looked up by its hash in
//! a [`SessionStore`], with CSRF enforced on unsafe methods; and the cookies a login view sets.

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderValue, Method};

use super::authenticator::{AuthScheme, Authenticated, Authenticator};
use super::keys::{hash_key, keys_match};
use super::user::{Credentials, Identity};
use crate::error::ApiError;
use crate::util::BoxFuture;

/// The session cookie's name (Django's `SESSION_COOKIE_NAME`).
pub const SESSION_COOKIE: &str = "sessionid";
/// The CSRF cookie's name (Django's `CSRF_COOKIE_NAME`): readable by the page's scripts, which
/// send it back in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "csrftoken";
/// The header an unsafe request of a session carries its CSRF token in (Django's
/// `X-CSRFToken`).
pub const CSRF_HEADER: &str = "x-csrftoken";

/// A stored session: whose it is, and its CSRF token (redacted from `Debug`, so it never
/// reaches a log).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The logged-in user.
    pub identity: Identity,
    /// The token unsafe requests of this session must carry in [`CSRF_HEADER`] (a
    /// [`crate::auth::generate_key`] made at login).
    pub csrf_token: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("identity", &self.identity)
            .field("csrf_token", &"<redacted>")
            .finish()
    }
}

/// Where sessions live: the app implements it over its table of `(key_hash, user, csrf_token,
/// expiry)` rows. Only the hash of the session key is stored ([`crate::auth::hash_key`]).
pub trait SessionStore: Send + Sync + 'static {
    /// The live session whose key hashes to `key_hash`, if any (an expired one: none).
    fn session_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Session>, ApiError>>;
}

/// DRF's `SessionAuthentication`: the `sessionid` cookie. An unknown or expired session leaves
/// the request anonymous (as Django's session middleware does). An unsafe method (anything but
/// GET, HEAD, OPTIONS, TRACE) of a session-authenticated request must carry the session's
/// CSRF token in `X-CSRFToken`, compared in constant time, or it is a 403 "CSRF Failed: …";
/// requests authenticated otherwise (a token) are not asked for one, as in DRF. It has no
/// challenge, so an unauthenticated request is a 403 where this is the first authenticator.
#[derive(Clone)]
pub struct SessionAuthentication {
    store: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for SessionAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuthentication")
            .finish_non_exhaustive()
    }
}

impl SessionAuthentication {
    /// Session authentication over `store`.
    pub fn new(store: impl SessionStore) -> Self {
        Self::shared(Arc::new(store))
    }

    /// Session authentication over a store shared with the rest of the app.
    pub fn shared(store: Arc<dyn SessionStore>) -> Self {
        Self { store }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(head: &'a Parts, name: &str) -> Option<&'a str> {
    head.headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether the request came over https (the URI's scheme, or `X-Forwarded-Proto: https` from
/// a trusted proxy, as [`crate::TrustedProxies`] records it in [`crate::extensions::Forwarded`];
/// the header from anyone else does not count): session cookies are then `Secure`.
pub fn is_https(head: &Parts) -> bool {
    crate::host::request_scheme(&head.uri, &head.extensions) == "https"
}

fn csrf_failed(reason: &str) -> ApiError {
    ApiError::permission_denied(Some(&format!("CSRF Failed: {reason}")))
}

impl Authenticator for SessionAuthentication {
    /// `cookieAuth`: the session key in the `sessionid` cookie (unsafe methods also need the
    /// CSRF token in `X-CSRFToken`).
    fn scheme(&self) -> Option<AuthScheme> {
        Some(
            AuthScheme::api_key_cookie("cookieAuth", SESSION_COOKIE).description(
                "A session, from logging in. Unsafe methods also need the CSRF token (the \
                 `csrftoken` cookie) in the `X-CSRFToken` header.",
            ),
        )
    }

    fn authenticate<'a>(
        &'a self,
        head: &'a Parts,
    ) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>> {
        Box::pin(async move {
            let Some(key) = cookie(head, SESSION_COOKIE).filter(|k| !k.is_empty()) else {
                return Ok(None);
            };
            let key_hash = hash_key(key);
            let Some(session) = self.store.session_for_key_hash(&key_hash).await? else {
                return Ok(None);
            };
            if !is_safe(&head.method) {
                let Some(sent) = head.headers.get(CSRF_HEADER).filter(|v| !v.is_empty()) else {
                    return Err(csrf_failed("CSRF token missing."));
                };
                // An empty stored token matches nothing: a store that lost it must not turn
                // the check off.
                if session.csrf_token.is_empty()
                    || !keys_match(sent.as_bytes(), session.csrf_token.as_bytes())
                {
                    return Err(csrf_failed("CSRF token incorrect."));
                }
            }
            Ok(Some((
                session.identity,
                Credentials::new("session").with_key_hash(key_hash),
            )))
        })
    }
}

fn cookie_header(
    name: &str,
    value: &str,
    http_only: bool,
    secure: bool,
    max_age: Option<u64>,
) -> Result<HeaderValue, ApiError> {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c)
        .map_err(|_| ApiError::internal(format!("cookie {name} is not a header value")))
}

/// The `Set-Cookie` value a login view sends for a new session `key`: `HttpOnly`,
/// `SameSite=Lax`, `Path=/`, `Max-Age` in seconds, and `Secure` when the request came over
/// https ([`is_https`]).
///
/// ```
/// let head = http::Request::post("https://api.example.org/login/").body(()).unwrap().into_parts().0;
/// let c = restframe::auth::session_cookie("k3y", &head, 3600).unwrap();
/// assert_eq!(c, "sessionid=k3y; Path=/; SameSite=Lax; Max-Age=3600; HttpOnly; Secure");
/// ```
pub fn session_cookie(key: &str, head: &Parts, max_age_secs: u64) -> Result<HeaderValue, ApiError> {
    cookie_header(
        SESSION_COOKIE,
        key,
        true,
        is_https(head),
        Some(max_age_secs),
    )
}

/// The `Set-Cookie` value carrying the session's CSRF token to the page (readable by scripts,
/// so not `HttpOnly`; `SameSite=Lax`, `Secure` over https).
pub fn csrf_cookie(token: &str, head: &Parts, max_age_secs: u64) -> Result<HeaderValue, ApiError> {
    cookie_header(
        CSRF_COOKIE,
        token,
        false,
        is_https(head),
        Some(max_age_secs),
    )
}

/// The `Set-Cookie` value a logout view sends: the session cookie emptied and expired.
pub fn expired_session_cookie(head: &Parts) -> Result<HeaderValue, ApiError> {
    cookie_header(SESSION_COOKIE, "", true, is_https(head), Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneSession(String);

    impl SessionStore for OneSession {
        fn session_for_key_hash<'a>(
            &'a self,
            key_hash: &'a str,
        ) -> BoxFuture<'a, Result<Option<Session>, ApiError>> {
            Box::pin(async move {
                Ok((key_hash == self.0).then(|| Session {
                    identity: Identity::new(3, "sam"),
                    csrf_token: "csrf123".into(),
                }))
            })
        }
    }

    fn head(method: Method, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method(method).uri("/");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| http::Request::new(()).into_parts().0)
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    #[test]
    fn a_session_cookie_authenticates_safe_methods() {
        let auth = SessionAuthentication::new(OneSession(hash_key("sess")));
        let h = head(Method::GET, &[("cookie", "a=b; sessionid=sess")]);
        let found = run(auth.authenticate(&h)).ok().flatten();
        assert_eq!(found.map(|(u, c)| (u.id, c.scheme())), Some((3, "session")));
        assert_eq!(auth.challenge(), None);
    }

    #[test]
    fn unsafe_methods_need_the_csrf_token() {
        let auth = SessionAuthentication::new(OneSession(hash_key("sess")));
        let h = head(Method::POST, &[("cookie", "sessionid=sess")]);
        let e = run(auth.authenticate(&h)).err();
        assert_eq!(
            e.as_ref().map(ApiError::detail),
            Some("CSRF Failed: CSRF token missing.")
        );
        assert_eq!(e.map(|e| e.status()), Some(http::StatusCode::FORBIDDEN));
        let h = head(
            Method::POST,
            &[("cookie", "sessionid=sess"), ("x-csrftoken", "nope")],
        );
        let e = run(auth.authenticate(&h)).err();
        assert_eq!(
            e.as_ref().map(ApiError::detail),
            Some("CSRF Failed: CSRF token incorrect.")
        );
        let h = head(
            Method::POST,
            &[("cookie", "sessionid=sess"), ("x-csrftoken", "csrf123")],
        );
        assert!(run(auth.authenticate(&h)).ok().flatten().is_some());
    }

    /// A store that lost its CSRF tokens.
    struct NoCsrf;

    impl SessionStore for NoCsrf {
        fn session_for_key_hash<'a>(
            &'a self,
            _key_hash: &'a str,
        ) -> BoxFuture<'a, Result<Option<Session>, ApiError>> {
            Box::pin(async move {
                Ok(Some(Session {
                    identity: Identity::new(3, "sam"),
                    csrf_token: String::new(),
                }))
            })
        }
    }

    #[test]
    fn an_empty_csrf_token_matches_nothing() {
        let auth = SessionAuthentication::new(NoCsrf);
        for sent in [
            &[("cookie", "sessionid=s"), ("x-csrftoken", "")][..],
            &[("cookie", "sessionid=s"), ("x-csrftoken", "x")],
        ] {
            let e = run(auth.authenticate(&head(Method::POST, sent))).err();
            assert_eq!(e.map(|e| e.status()), Some(http::StatusCode::FORBIDDEN));
        }
        let safe = head(Method::GET, &[("cookie", "sessionid=s")]);
        assert!(run(auth.authenticate(&safe)).ok().flatten().is_some());
    }

    #[test]
    fn a_sessions_csrf_token_stays_out_of_debug_output() {
        let s = Session {
            identity: Identity::new(3, "sam"),
            csrf_token: "secret-token".into(),
        };
        assert!(!format!("{s:?}").contains("secret-token"));
    }

    #[test]
    fn an_unknown_session_is_anonymous() {
        let auth = SessionAuthentication::new(OneSession(hash_key("sess")));
        let h = head(Method::POST, &[("cookie", "sessionid=other")]);
        assert_eq!(run(auth.authenticate(&h)).ok(), Some(None));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_over_https() {
        let plain = head(Method::POST, &[]);
        let c = session_cookie("k", &plain, 60).ok();
        assert_eq!(
            c.as_ref().and_then(|c| c.to_str().ok()),
            Some("sessionid=k; Path=/; SameSite=Lax; Max-Age=60; HttpOnly")
        );
        // The header alone (from any client) does not count; a trusted proxy's does.
        let spoofed = head(Method::POST, &[("x-forwarded-proto", "https")]);
        let c = session_cookie("k", &spoofed, 60).ok();
        assert!(c.is_some_and(|c| c.to_str().is_ok_and(|c| c.ends_with("; HttpOnly"))));
        let mut proxied = head(Method::POST, &[]);
        proxied
            .extensions
            .insert(crate::extensions::Forwarded::new(Some("https"), None));
        let c = session_cookie("k", &proxied, 60).ok();
        assert!(c.is_some_and(|c| c.to_str().is_ok_and(|c| c.ends_with("; HttpOnly; Secure"))));
        let c = expired_session_cookie(&plain).ok();
        assert!(c.is_some_and(|c| c.to_str().is_ok_and(|c| c.contains("Max-Age=0"))));
    }
}
