//! [`TokenAuthentication`] (DRF's): `Authorization: Token <key>` (or `Bearer <key>`), the key
//! looked up by its hash in a [`TokenStore`].

use std::sync::Arc;

use http::HeaderValue;
use http::request::Parts;

use super::authenticator::{AuthScheme, Authenticated, Authenticator, authorization};
use super::keys::hash_key;
use super::user::{Credentials, Identity};
use crate::error::ApiError;
use crate::util::BoxFuture;

/// Where tokens live: the app implements it over its table of `(key_hash, user)` rows.
/// Only hashes are stored ([`crate::auth::hash_key`] of the key handed out), so a dump of the
/// table holds no usable token; the lookup is by hash, an indexed equality.
///
/// ```
/// use std::collections::HashMap;
/// use restframe::auth::{Identity, TokenStore};
/// use restframe::{ApiError, BoxFuture};
///
/// struct Tokens(HashMap<String, Identity>);
///
/// impl TokenStore for Tokens {
///     fn user_for_key_hash<'a>(&'a self, key_hash: &'a str) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
///         Box::pin(async move { Ok(self.0.get(key_hash).cloned()) })
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// The user whose token hashes to `key_hash`, if any (a deleted or inactive user: none).
    fn user_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>>;
}

/// DRF's `TokenAuthentication`: `Authorization: Token <key>`; `Bearer <key>` is accepted too.
/// An unknown key is a 401 "Invalid token."; its challenge is `Token`. The credentials carry
/// the key's hash, so a "log out" endpoint can delete the token.
///
/// ```
/// # use std::sync::Arc;
/// # use restframe::auth::{Identity, TokenStore, TokenAuthentication};
/// # use restframe::{ApiError, BoxFuture};
/// # struct Tokens;
/// # impl TokenStore for Tokens {
/// #     fn user_for_key_hash<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
/// #         Box::pin(async { Ok(None) })
/// #     }
/// # }
/// let settings = restframe::ApiSettings::default()
///     .authenticators([Arc::new(TokenAuthentication::new(Tokens)) as _]);
/// # let _ = settings;
/// ```
#[derive(Clone)]
pub struct TokenAuthentication {
    store: Arc<dyn TokenStore>,
}

impl std::fmt::Debug for TokenAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthentication")
            .finish_non_exhaustive()
    }
}

impl TokenAuthentication {
    /// Token authentication over `store`.
    pub fn new(store: impl TokenStore) -> Self {
        Self::shared(Arc::new(store))
    }

    /// Token authentication over a store shared with the rest of the app.
    pub fn shared(store: Arc<dyn TokenStore>) -> Self {
        Self { store }
    }
}

impl Authenticator for TokenAuthentication {
    fn authenticate<'a>(
        &'a self,
        head: &'a Parts,
    ) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>> {
        Box::pin(async move {
            let Some(key) = authorization(head, &["token", "bearer"], "token", "Token")? else {
                return Ok(None);
            };
            let key_hash = hash_key(key);
            match self.store.user_for_key_hash(&key_hash).await? {
                Some(user) => Ok(Some((
                    user,
                    Credentials::new("token").with_key_hash(key_hash),
                ))),
                None => Err(ApiError::authentication_failed("Invalid token.")),
            }
        })
    }

    fn challenge(&self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static("Token"))
    }

    /// `tokenAuth`, an HTTP bearer scheme: `Bearer <key>` is accepted as well as DRF's
    /// `Token <key>`, and Swagger UI's Authorize then takes the bare key and adds the keyword
    /// itself (an `apiKey` scheme would make the user type `Token ` before the key).
    fn scheme(&self) -> Option<AuthScheme> {
        Some(AuthScheme::http("tokenAuth", "bearer").description(
            "A token: `Authorization: Token <key>` (DRF's keyword) or `Authorization: Bearer <key>`.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneToken(String);

    impl TokenStore for OneToken {
        fn user_for_key_hash<'a>(
            &'a self,
            key_hash: &'a str,
        ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
            Box::pin(async move { Ok((key_hash == self.0).then(|| Identity::new(7, "tok"))) })
        }
    }

    fn head(auth: Option<&str>) -> Parts {
        let mut b = http::Request::get("/");
        if let Some(a) = auth {
            b = b.header("authorization", a);
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
    fn a_known_key_authenticates_with_its_hash() {
        let auth = TokenAuthentication::new(OneToken(hash_key("k3y")));
        for scheme in ["Token", "Bearer"] {
            let h = head(Some(&format!("{scheme} k3y")));
            let found = run(auth.authenticate(&h)).ok().flatten();
            let (user, creds) = found.unwrap_or_else(|| panic!("{scheme} not accepted"));
            assert_eq!(user.id, 7);
            assert_eq!(creds.key_hash(), Some(hash_key("k3y").as_str()));
        }
    }

    #[test]
    fn an_unknown_key_is_invalid_token() {
        let auth = TokenAuthentication::new(OneToken(hash_key("k3y")));
        let h = head(Some("Token nope"));
        let e = run(auth.authenticate(&h)).err();
        assert_eq!(e.as_ref().map(ApiError::detail), Some("Invalid token."));
        assert_eq!(e.map(|e| e.status()), Some(http::StatusCode::UNAUTHORIZED));
    }

    #[test]
    fn no_header_is_no_user() {
        let auth = TokenAuthentication::new(OneToken(hash_key("k3y")));
        assert_eq!(run(auth.authenticate(&head(None))).ok(), Some(None));
        assert_eq!(auth.challenge(), Some(HeaderValue::from_static("Token")));
    }
}
