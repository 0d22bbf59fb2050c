//! Users: a unique username, an optional email, a write-only password (stored as an Argon2
//! hash), and the staff and active flags.

use std::sync::Arc;

use restframe::permissions::{AllowAny, IsAuthenticatedOrReadOnly, Permission};
use restframe::sql::{Column, ColumnType::*, Partial, SqlRepository, Table};
use restframe::{
    ApiError, ApiSettings, DateTime, ModelViewSet, Request, Validate, ValidationErrors,
};
use serde::{Deserialize, Serialize};

use crate::identity_cache::IdentityCache;
use crate::ownership::IsSelfOrStaff;
use crate::passwords::Passwords;

/// A user as the API shows it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// The user's own URL.
    #[schema(read_only, required = true, format = "uri")]
    #[serde(default)]
    url: String,
    #[schema(read_only)]
    id: i64,
    username: String,
    /// Shown only to the user themself and to staff (null for everyone else).
    #[schema(format = "email")]
    email: Option<String>,
    /// Staff may change or delete anyone's rows; set by `example-app createsuperuser` only.
    #[schema(read_only)]
    #[serde(default)]
    is_staff: bool,
    /// An inactive user cannot authenticate, and is hidden from everyone but staff.
    #[serde(default = "yes")]
    is_active: bool,
    /// When the user registered.
    #[schema(read_only)]
    date_joined: DateTime,
    /// The Argon2 hash of the password, for the repository (a PATCH is checked as the whole
    /// row it makes); never shown: [`User::shown_to`] takes it out of every answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub password: Option<String>,
}

fn yes() -> bool {
    true
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

/// What create (registration) and update accept.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    #[schema(min_length = 1, max_length = 150, pattern = r"^[A-Za-z0-9@.+_-]+$")]
    username: String,
    #[schema(
        format = "email",
        max_length = 254,
        pattern = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
    )]
    email: Option<String>,
    /// Write-only: 8 to 128 characters; stored as an Argon2 hash.
    // Required (by the create and update hooks): an `Option` only so that a PATCH of a user
    // made before passwords existed still validates as a whole row.
    #[serde(default)]
    #[schema(
        write_only,
        required = true,
        nullable = false,
        min_length = 8,
        max_length = 128
    )]
    password: Option<String>,
    /// Absent: `true` on create, unchanged on update.
    #[serde(default)]
    #[schema(nullable = false)]
    is_active: Option<bool>,
}

impl UserInput {
    /// Replaces the password with its Argon2 hash, before the input is stored.
    pub async fn hash_password(&mut self, passwords: &Passwords) -> Result<(), ApiError> {
        let password = self.password.as_deref().ok_or_else(password_required)?;
        self.password = Some(passwords.hash(password).await?);
        Ok(())
    }

    /// A new active user (for `createsuperuser`).
    pub fn new(username: String, email: Option<String>, password: String) -> Self {
        Self {
            username,
            email,
            password: Some(password),
            is_active: Some(true),
        }
    }
}

/// What PATCH accepts; `"email": null` clears the email.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct UserPatch {
    #[schema(min_length = 1, max_length = 150, pattern = r"^[A-Za-z0-9@.+_-]+$")]
    username: Option<String>,
    #[serde(with = "::serde_with::rust::double_option")]
    #[schema(
        format = "email",
        max_length = 254,
        pattern = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
    )]
    email: Option<Option<String>>,
    /// Write-only: 8 to 128 characters; stored as an Argon2 hash.
    #[schema(write_only, min_length = 8, max_length = 128)]
    password: Option<String>,
    is_active: Option<bool>,
}

/// The password rule, shared by create, update and PATCH.
fn check_password(errors: &mut ValidationErrors, password: &str) {
    errors.length("password", password, 8, 128);
}

/// What a username may hold: ASCII letters, digits and `@.+-_` (Django's
/// `ASCIIUsernameValidator`), 150 characters at most, as the schemas' `pattern` says.
fn check_username(errors: &mut ValidationErrors, username: &str) {
    errors.length("username", username, 1, 150);
    let valid_name = |c: char| c.is_ascii_alphanumeric() || "@.+-_".contains(c);
    if !username.chars().all(valid_name) {
        errors.add(
            "username",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        );
    }
}

/// DRF's `EmailField` (at most 254 characters), as the schema's pattern says it.
fn check_email(errors: &mut ValidationErrors, email: Option<&str>) {
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        errors.length("email", email, 3, 254);
        errors.email("email", email);
    }
}

impl Validate for UserInput {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_username(&mut errors, &self.username);
        check_email(&mut errors, self.email.as_deref());
        if let Some(password) = &self.password {
            check_password(&mut errors, password);
        }
        errors.into_result()
    }
}

impl Validate for UserPatch {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(username) = &self.username {
            check_username(&mut errors, username);
        }
        if let Some(email) = &self.email {
            check_email(&mut errors, email.as_deref());
        }
        if let Some(password) = &self.password {
            check_password(&mut errors, password);
        }
        errors.into_result()
    }
}

impl Table for User {
    type Input = UserInput;
    type Patch = UserPatch;
    const NAME: &'static str = "app_user";
    const COLUMNS: &'static [Column] = &[
        Column::new("id", Integer).read_only(),
        Column::new("username", Text).unique(),
        Column::new("email", Text).nullable(),
        Column::new("is_staff", Boolean).read_only(),
        Column::new("is_active", Boolean),
        Column::new("password", Text).nullable(),
        Column::new("date_joined", DateTime).auto_now_add(),
    ];
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

/// DRF's error for a missing required field.
fn password_required() -> ApiError {
    ApiError::validation([("password", "This field is required.")])
}

/// Create and PUT: a password is required (and hashed).
fn hash_required(passwords: &Passwords, password: &mut Option<String>) -> Result<(), ApiError> {
    let password = password.as_mut().ok_or_else(password_required)?;
    hash_in_place(passwords, password)
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
            input.is_active.get_or_insert(true);
            hash_required(&passwords, &mut input.password)
        })
        .perform_update(move |req, input: &mut UserInput| {
            forget(req, &updated);
            // PUT without `is_active` leaves it as it is (DRF: a field with a model default is
            // not required, and an absent one is not written).
            if input.is_active.is_none() {
                input.is_active = req.extensions().get::<Arc<User>>().map(|u| u.is_active);
            }
            hash_required(&on_update, &mut input.password)?;
            revoke_credentials(req, &on_put)
        })
        .perform_partial_update(move |req, patch: &mut Partial<UserPatch>| {
            // A patch's fields are checked here: the viewset checks whole inputs only.
            patch.0.validate()?;
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
