//! Where the app keeps credentials, in its database: password hashes on `app_user`, tokens in
//! `auth_token` and sessions in `auth_session`, both by the SHA-256 of their key only. The
//! stores restframe's authenticators ask (token, session) are implemented here.

use std::time::{Duration, SystemTime};

use restframe::auth::{Identity, Session, SessionStore, TokenStore, generate_key, hash_key};
use restframe::sql::{Column, ColumnType, Database, OnDelete, SqlRepository, Table};
use restframe::{ApiError, BoxFuture, ListQuery, OrderBy, Repository, Validate};
use serde::{Deserialize, Serialize};

use crate::identity_cache::IdentityCache;
use crate::passwords::Passwords;
use crate::users::User;

/// The most tokens, and the most sessions, a user keeps: logging in again past that drops the
/// oldest (DRF keeps one token per user; the key of a stored hash cannot be handed out twice,
/// so each login makes a new one).
const KEEP_PER_USER: u64 = 10;

/// The rows of a user's credentials table, newest first (by `field`), from `offset` on.
fn rows_of(user_id: i64, field: &str, offset: u64) -> ListQuery {
    ListQuery {
        filters: vec![("user_id".to_owned(), user_id.to_string())],
        ordering: vec![OrderBy {
            field: field.to_owned(),
            descending: true,
        }],
        offset,
        limit: 100,
        ..ListQuery::default()
    }
}

/// How long a browser session lasts.
pub const SESSION_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// Microseconds since the epoch: when a token was made (orders a user's tokens, so the oldest
/// go first; logins are an Argon2 check apart, far more than a microsecond).
fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// No field of a credential row changes.
#[derive(Serialize, Deserialize, Default)]
pub struct NoPatch {}

/// A token, by the hash of its key.
#[derive(Clone, Serialize, Deserialize)]
pub struct AuthToken {
    key_hash: String,
    user_id: i64,
    created: i64,
}

impl Validate for AuthToken {}

impl Table for AuthToken {
    type Input = AuthToken;
    type Patch = NoPatch;
    const NAME: &'static str = "auth_token";
    const PRIMARY_KEY: &'static str = "key_hash";
    const COLUMNS: &'static [Column] = &[
        Column::new("key_hash", ColumnType::Text).primary_key(),
        Column::new("user_id", ColumnType::Integer)
            .index()
            .references(
                <User as Table>::NAME,
                <User as Table>::PRIMARY_KEY,
                OnDelete::Cascade,
            ),
        Column::new("created", ColumnType::Integer),
    ];
}

/// A browser session, by the hash of its key.
#[derive(Clone, Serialize, Deserialize)]
pub struct AuthSession {
    key_hash: String,
    user_id: i64,
    csrf_token: String,
    expires_at: i64,
}

impl Validate for AuthSession {}

impl Table for AuthSession {
    type Input = AuthSession;
    type Patch = NoPatch;
    const NAME: &'static str = "auth_session";
    const PRIMARY_KEY: &'static str = "key_hash";
    const COLUMNS: &'static [Column] = &[
        Column::new("key_hash", ColumnType::Text).primary_key(),
        Column::new("user_id", ColumnType::Integer)
            .index()
            .references(
                <User as Table>::NAME,
                <User as Table>::PRIMARY_KEY,
                OnDelete::Cascade,
            ),
        Column::new("csrf_token", ColumnType::Text),
        Column::new("expires_at", ColumnType::Integer).index(),
    ];
}

/// The view `auth_token_user`: a token's active user, in one lookup by key hash.
#[derive(Serialize, Deserialize)]
struct TokenUser {
    key_hash: String,
    user_id: i64,
    username: String,
    is_staff: bool,
}

impl Validate for TokenUser {}

impl Table for TokenUser {
    type Input = TokenUser;
    type Patch = NoPatch;
    const NAME: &'static str = "auth_token_user";
    const PRIMARY_KEY: &'static str = "key_hash";
    const COLUMNS: &'static [Column] = &[
        Column::new("key_hash", ColumnType::Text).read_only(),
        Column::new("user_id", ColumnType::Integer).read_only(),
        Column::new("username", ColumnType::Text).read_only(),
        Column::new("is_staff", ColumnType::Boolean).read_only(),
    ];
}

/// The view `auth_session_user`: a session with its active user, in one lookup by key hash.
#[derive(Serialize, Deserialize)]
struct SessionUser {
    key_hash: String,
    user_id: i64,
    username: String,
    is_staff: bool,
    csrf_token: String,
    expires_at: i64,
}

impl Validate for SessionUser {}

impl Table for SessionUser {
    type Input = SessionUser;
    type Patch = NoPatch;
    const NAME: &'static str = "auth_session_user";
    const PRIMARY_KEY: &'static str = "key_hash";
    const COLUMNS: &'static [Column] = &[
        Column::new("key_hash", ColumnType::Text).read_only(),
        Column::new("user_id", ColumnType::Integer).read_only(),
        Column::new("username", ColumnType::Text).read_only(),
        Column::new("is_staff", ColumnType::Boolean).read_only(),
        Column::new("csrf_token", ColumnType::Text).read_only(),
        Column::new("expires_at", ColumnType::Integer).read_only(),
    ];
}

/// Every credential store of the app, over its database.
#[derive(Clone)]
pub struct Credentials {
    users: SqlRepository<User>,
    tokens: SqlRepository<AuthToken>,
    sessions: SqlRepository<AuthSession>,
    token_users: SqlRepository<TokenUser>,
    session_users: SqlRepository<SessionUser>,
    /// Argon2, bounded.
    pub passwords: Passwords,
    /// Tokens looked up in the last two seconds: a token sent on every request costs one
    /// database read per two seconds, not one per request.
    pub token_cache: IdentityCache,
}

impl Credentials {
    /// The stores over `db`.
    pub fn new(db: &Database) -> Result<Self, ApiError> {
        Ok(Self {
            users: SqlRepository::new(db),
            tokens: SqlRepository::new(db),
            sessions: SqlRepository::new(db),
            token_users: SqlRepository::new(db),
            session_users: SqlRepository::new(db),
            passwords: Passwords::new()?,
            token_cache: IdentityCache::default(),
        })
    }

    /// The user named `username`, if any.
    pub async fn user_named(&self, username: &str) -> Result<Option<User>, ApiError> {
        let query = ListQuery {
            filters: vec![("username".to_owned(), username.to_owned())],
            limit: 1,
            ..ListQuery::default()
        };
        Ok(self.users.list(&query).await?.items.into_iter().next())
    }

    /// The active user named `username` whose password `password` is; `None` otherwise (an
    /// unknown user costs the same time as a wrong password).
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, ApiError> {
        let user = self.user_named(username).await?;
        let stored = user.as_ref().and_then(|u| u.password.as_deref());
        let ok = self.passwords.verify(password, stored).await?;
        Ok(user.filter(|u| ok && u.is_active()))
    }

    /// A new token for `user_id`: the key to hand out (only its hash is stored).
    pub async fn issue_token(&self, user_id: i64) -> Result<String, ApiError> {
        let key = generate_key();
        self.tokens
            .create(AuthToken {
                key_hash: hash_key(&key),
                user_id,
                created: now_micros(),
            })
            .await?;
        let old = self
            .tokens
            .list(&rows_of(user_id, "created", KEEP_PER_USER))
            .await?;
        for token in old.items {
            self.revoke_token(&token.key_hash).await?;
        }
        Ok(key)
    }

    /// Deletes every token and session of `user_id` (its password changed): whoever held one
    /// must log in again.
    pub async fn revoke_all(&self, user_id: i64) -> Result<(), ApiError> {
        // Bounded: a user keeps at most `KEEP_PER_USER` of each, 100 are read at a time.
        for _ in 0..100 {
            let tokens = self.tokens.list(&rows_of(user_id, "created", 0)).await?;
            let sessions = self
                .sessions
                .list(&rows_of(user_id, "expires_at", 0))
                .await?;
            if tokens.items.is_empty() && sessions.items.is_empty() {
                break;
            }
            for token in tokens.items {
                self.tokens.destroy(&token.key_hash).await?;
            }
            for session in sessions.items {
                self.sessions.destroy(&session.key_hash).await?;
            }
        }
        self.token_cache.forget_user(user_id);
        Ok(())
    }

    /// Deletes the token whose key hashes to `key_hash`.
    pub async fn revoke_token(&self, key_hash: &str) -> Result<bool, ApiError> {
        let deleted = self.tokens.destroy(key_hash).await?;
        // After the delete: a lookup racing with it cannot put the token back.
        self.token_cache.forget(key_hash);
        Ok(deleted)
    }

    /// A new session for `user_id`: its key (for the cookie; only its hash is stored) and its
    /// CSRF token.
    pub async fn start_session(&self, user_id: i64) -> Result<(String, String), ApiError> {
        let (key, csrf_token) = (generate_key(), generate_key());
        let age = i64::try_from(SESSION_AGE.as_secs()).unwrap_or(i64::MAX);
        self.sessions
            .create(AuthSession {
                key_hash: hash_key(&key),
                user_id,
                csrf_token: csrf_token.clone(),
                expires_at: now().saturating_add(age),
            })
            .await?;
        // Expired sessions of this user, and those past the newest few, go.
        let sessions = self
            .sessions
            .list(&rows_of(user_id, "expires_at", 0))
            .await?;
        let now = now();
        for (i, session) in sessions.items.into_iter().enumerate() {
            if session.expires_at <= now || i as u64 >= KEEP_PER_USER {
                self.sessions.destroy(&session.key_hash).await?;
            }
        }
        Ok((key, csrf_token))
    }

    /// Deletes the session whose key hashes to `key_hash`.
    pub async fn end_session(&self, key_hash: &str) -> Result<bool, ApiError> {
        self.sessions.destroy(key_hash).await
    }

    /// The live session whose key hashes to `key_hash`, if any.
    pub async fn session(&self, key_hash: &str) -> Result<Option<Session>, ApiError> {
        let found = self.session_users.retrieve(key_hash).await?;
        Ok(found.filter(|s| s.expires_at > now()).map(|s| Session {
            identity: Identity::new(s.user_id, s.username).staff(s.is_staff),
            csrf_token: s.csrf_token,
        }))
    }
}

impl TokenStore for Credentials {
    fn user_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
        Box::pin(async move {
            if let Some(identity) = self.token_cache.get(key_hash) {
                return Ok(Some(identity));
            }
            let found = self.token_users.retrieve(key_hash).await?;
            let identity = found.map(|t| Identity::new(t.user_id, t.username).staff(t.is_staff));
            if let Some(identity) = &identity {
                self.token_cache.put(key_hash, identity.clone());
            }
            Ok(identity)
        })
    }
}

impl SessionStore for Credentials {
    fn session_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Session>, ApiError>> {
        Box::pin(self.session(key_hash))
    }
}
