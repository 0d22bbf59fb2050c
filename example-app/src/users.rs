//! Users: a unique username, an optional email, a write-only password (stored as an Argon2
//! hash), and the staff and active flags.

use std::sync::Arc;

use restframe::permissions::{AllowAny, IsAuthenticatedOrReadOnly, Permission};
use restframe::sql::{Partial, SqlRepository};
use restframe::{ApiError, ApiSettings, DateTime, Model, ModelViewSet, Request};
use serde::{Deserialize, Serialize};

use crate::identity_cache::IdentityCache;
use crate::ownership::IsSelfOrStaff;
use crate::passwords::Passwords;

/// A user as the API shows it.
// One declaration for its table, its create, update and PATCH inputs (`UserInput`,
// `UserPatch`), their validation and their schemas (`#[derive(Model)]`).
#[derive(Serialize, Deserialize, Model)]
#[model(table = "app_user")]
pub struct User {
    /// The user's own URL.
    #[field(computed)]
    #[serde(default)]
    url: String,
    #[field(primary_key, read_only)]
    id: i64,
    /// Letters, digits and `@.+-_` (Django's `ASCIIUsernameValidator`).
    #[field(
        unique,
        max_length = 150,
        regex = r"^[A-Za-z0-9@.+_-]+$",
        regex_message = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
    )]
    username: String,
    /// Shown only to the user themself and to staff (null for everyone else).
    #[field(email, max_length = 254)]
    email: Option<String>,
    /// Staff may change or delete anyone's rows; set by `example-app createsuperuser` only.
    #[field(read_only, db_default = false)]
    #[serde(default)]
    is_staff: bool,
    /// An inactive user cannot authenticate, and is hidden from everyone but staff. Left out:
    /// `true` on create, unchanged on update (Django's model default).
    #[field(db_default = true)]
    is_active: bool,
    /// When the user registered.
    #[field(auto_now_add)]
    date_joined: DateTime,
    /// Write-only: 8 to 128 characters; stored as an Argon2 hash.
    // The column is nullable (users made before passwords existed have none), but the inputs
    // require one. Never shown: `User::shown_to` takes it out of every answer.
    #[field(write_only, allow_null = false, min_length = 8, max_length = 128)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl User {
    /// The user's id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The user's name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Whether the user may log in.
    pub fn is_active(&self) -> bool {
        self.is_active
    }

    /// The user as `req`'s user may see them: never the password hash, and the email only
    /// for the user themself and staff (and for whoever just registered them: the 201 of a
    /// POST shows what was sent).
    pub fn shown_to(&mut self, req: &Request) {
        self.password = None;
        let id = self.id.to_string();
        self.url = req
            .reverse("user-detail", &[&id])
            .or_else(|_| req.reverse_path("user-detail", &[&id]))
            .unwrap_or_default();
        if !self_or_staff(req, self) && req.method() != http::Method::POST {
            self.email = None;
        }
    }
}

impl UserInput {
    /// Replaces the password with its Argon2 hash, before the input is stored.
    pub async fn hash_password(&mut self, passwords: &Passwords) -> Result<(), ApiError> {
        self.password = passwords.hash(&self.password).await?;
        Ok(())
    }

    /// A new active user (for `createsuperuser`).
    pub fn new(username: String, email: Option<String>, password: String) -> Self {
        Self {
            username,
            email,
            password,
            is_active: Some(true),
        }
    }
}

/// Replaces a password with its Argon2 hash (on a blocking thread, a bounded number at once).
fn hash_in_place(passwords: &Passwords, password: &mut String) -> Result<(), ApiError> {
    *password = passwords.hash_blocking(password)?;
    Ok(())
}

/// What revokes a user's tokens and sessions (its password changed).
pub type PasswordChanged =
    Arc<dyn Fn(i64) -> restframe::BoxFuture<'static, Result<(), ApiError>> + Send + Sync>;

/// A new password (PUT, or a PATCH of `password`) ends every token and session of the user:
/// whoever held one logs in again. From the synchronous hook, on the runtime.
fn revoke_credentials(req: &Request, password_changed: &PasswordChanged) -> Result<(), ApiError> {
    let Some(user) = req.extensions().get::<Arc<User>>() else {
        return Ok(());
    };
    let revoke = password_changed(user.id);
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(revoke))
}

/// Whether the request's user is `user` themself, or staff.
fn self_or_staff(req: &Request, user: &User) -> bool {
    let me = req.current_user();
    me.is_staff() || me.id() == Some(user.id)
}

/// The `/api/users/` viewset: anyone may register and read; only the user themself or staff may
/// change or delete a user (and their picture). Inactive users are hidden from all but staff,
/// and an email address is shown only to its user and to staff.
pub fn viewset(
    repo: SqlRepository<User>,
    passwords: Passwords,
    tokens: IdentityCache,
    password_changed: PasswordChanged,
) -> ModelViewSet<SqlRepository<User>> {
    let (on_put, on_patch_password) = (password_changed.clone(), password_changed);
    let (on_update, on_patch) = (passwords.clone(), passwords.clone());
    // A changed user (deactivated, say) or a deleted one is not served from the token cache.
    let (updated, patched, deleted) = (tokens.clone(), tokens.clone(), tokens);
    let forget = |req: &Request, cache: &IdentityCache| {
        if let Some(user) = req.extensions().get::<Arc<User>>() {
            cache.forget_user(user.id);
        }
    };
    ModelViewSet::new("User", "user", repo)
        .description(
            "Users of the music catalogue. Anyone may register (POST) and read; a user (or \
             staff) changes or deletes only themself.",
        )
        .with_schemas()
        .permissions([
            Arc::new(IsAuthenticatedOrReadOnly) as Arc<dyn Permission>,
            Arc::new(IsSelfOrStaff::<User>::new(|user| Some(user.id))),
        ])
        .action_settings(
            "create",
            ApiSettings::default().permissions([Arc::new(AllowAny) as _]),
        )
        .queryset(|req| {
            Ok(if req.current_user().is_staff() {
                Vec::new()
            } else {
                vec![("is_active".to_owned(), "true".to_owned())]
            })
        })
        .to_representation(|req, user: &mut User| user.shown_to(req))
        .perform_create(move |_req, input: &mut UserInput| {
            hash_in_place(&passwords, &mut input.password)
        })
        .perform_update(move |req, input: &mut UserInput| {
            forget(req, &updated);
            hash_in_place(&on_update, &mut input.password)?;
            revoke_credentials(req, &on_put)
        })
        .perform_partial_update(move |req, patch: &mut Partial<UserPatch>| {
            forget(req, &patched);
            match patch.0.password.as_mut() {
                Some(password) => {
                    hash_in_place(&on_patch, password)?;
                    revoke_credentials(req, &on_patch_password)
                }
                None => Ok(()),
            }
        })
        .perform_destroy(move |_req, id| {
            if let Ok(id) = id.parse() {
                deleted.forget_user(id);
            }
            Ok(())
        })
        // Not by email: that would tell anyone whose address it is.
        .filter_fields(["username"])
        .ordering_fields(["username", "id"])
        .page_size(20, 100)
}
