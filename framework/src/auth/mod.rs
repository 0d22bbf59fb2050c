//! Authentication: who is making a request (DRF's `authentication.py`).
//!
//! A view's [`Authenticator`]s are tried in order when the request's user is first asked for
//! (`Request::user`), or by the permission check before the handler runs. DRF's classes are
//! here: [`TokenAuthentication`], [`BasicAuthentication`] and [`SessionAuthentication`] (with
//! CSRF), each over a store trait the app implements ([`TokenStore`], [`UserStore`],
//! [`SessionStore`]), which only ever sees hashes of keys.
//!
//! The primitives for credentials live here too: [`generate_key`], [`hash_key`],
//! [`keys_match`], [`hash_password`] and [`verify_password`].

mod authenticator;
mod basic;
mod keys;
mod session;
mod token;
mod user;

pub use authenticator::{AuthScheme, AuthSchemeKind, Authenticated, Authenticator};
pub use basic::{BasicAuthentication, UserStore};
pub use keys::{
    PasswordHashError, generate_key, hash_key, hash_password, keys_match, verify_password,
};
pub use session::{
    CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, Session, SessionAuthentication, SessionStore, cookie,
    csrf_cookie, expired_session_cookie, is_https, session_cookie,
};
pub use token::{TokenAuthentication, TokenStore};
pub use user::{Credentials, Identity, User};
