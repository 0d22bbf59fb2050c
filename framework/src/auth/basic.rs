//! [`BasicAuthentication`] (DRF's): `Authorization: Basic base64(user:password)`, checked by a
//! [`UserStore`].

use std::sync::Arc;

use base64::Engine as _;
use http::HeaderValue;
use http::request::Parts;

use super::authenticator::{AuthScheme, Authenticated, Authenticator, authorization};
use super::user::{Credentials, Identity};
use crate::error::ApiError;
use crate::util::BoxFuture;

/// Where users and their password hashes live: the app implements it over its user table,
/// checking with [`crate::auth::verify_password`] (Argon2 is slow on purpose: run it with
/// `tokio::task::spawn_blocking`).
///
/// ```
/// use restframe::auth::{verify_password, Identity, UserStore};
/// use restframe::{ApiError, BoxFuture};
///
/// struct Users { alice_hash: String }
///
/// impl UserStore for Users {
///     fn verify_password<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
///         Box::pin(async move {
///             Ok((username == "alice" && verify_password(password, &self.alice_hash))
///                 .then(|| Identity::new(1, "alice")))
///         })
///     }
/// }
/// ```
pub trait UserStore: Send + Sync + 'static {
    /// The user named `username` when `password` is theirs; `None` otherwise (unknown user,
    /// wrong password, inactive user alike).
    fn verify_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>>;
}

/// DRF's `BasicAuthentication`: `Authorization: Basic <base64 of user:password>`. Wrong
/// credentials are a 401 "Invalid username/password."; the challenge is `Basic realm="api"`.
#[derive(Clone)]
pub struct BasicAuthentication {
    store: Arc<dyn UserStore>,
    challenge: HeaderValue,
}

impl std::fmt::Debug for BasicAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthentication")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl BasicAuthentication {
    /// Basic authentication over `store`, realm `api`.
    pub fn new(store: impl UserStore) -> Self {
        Self::shared(Arc::new(store))
    }

    /// Basic authentication over a store shared with the rest of the app, realm `api`.
    pub fn shared(store: Arc<dyn UserStore>) -> Self {
        Self {
            store,
            challenge: HeaderValue::from_static("Basic realm=\"api\""),
        }
    }
}

fn undecodable() -> ApiError {
    ApiError::authentication_failed(
        "Invalid basic header. Credentials not correctly base64 encoded.",
    )
}

impl Authenticator for BasicAuthentication {
    fn authenticate<'a>(
        &'a self,
        head: &'a Parts,
    ) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>> {
        Box::pin(async move {
            let Some(encoded) = authorization(head, &["basic"], "basic", "Credentials")? else {
                return Ok(None);
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| undecodable())?;
            let decoded = String::from_utf8(decoded).map_err(|_| undecodable())?;
            let (username, password) = decoded.split_once(':').ok_or_else(undecodable)?;
            match self.store.verify_password(username, password).await? {
                Some(user) => Ok(Some((user, Credentials::new("basic")))),
                None => Err(ApiError::authentication_failed(
                    "Invalid username/password.",
                )),
            }
        })
    }

    fn challenge(&self) -> Option<HeaderValue> {
        Some(self.challenge.clone())
    }

    /// `basicAuth`, HTTP basic.
    fn scheme(&self) -> Option<AuthScheme> {
        Some(AuthScheme::http("basicAuth", "basic"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Alice;

    impl UserStore for Alice {
        fn verify_password<'a>(
            &'a self,
            username: &'a str,
            password: &'a str,
        ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
            Box::pin(async move {
                Ok((username == "alice" && password == "s3cret:x")
                    .then(|| Identity::new(1, "alice")))
            })
        }
    }

    fn head(auth: &str) -> Parts {
        http::Request::get("/")
            .header("authorization", auth)
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| http::Request::new(()).into_parts().0)
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn right_password_authenticates() {
        let auth = BasicAuthentication::new(Alice);
        let found = run(auth.authenticate(&head(&basic("alice:s3cret:x"))))
            .ok()
            .flatten();
        assert_eq!(found.map(|(u, c)| (u.id, c.scheme())), Some((1, "basic")));
        assert_eq!(
            auth.challenge(),
            Some(HeaderValue::from_static("Basic realm=\"api\""))
        );
    }

    #[test]
    fn wrong_password_and_bad_encoding_are_401s() {
        let auth = BasicAuthentication::new(Alice);
        let e = run(auth.authenticate(&head(&basic("alice:nope")))).err();
        assert_eq!(
            e.as_ref().map(ApiError::detail),
            Some("Invalid username/password.")
        );
        let e = run(auth.authenticate(&head("Basic !!!"))).err();
        assert_eq!(
            e.as_ref().map(ApiError::detail),
            Some("Invalid basic header. Credentials not correctly base64 encoded.")
        );
    }
}
