//! Users: a unique username and an optional email.

use restframe::sql::{Column, ColumnType::*, SqlRepository, Table};
use restframe::{ApiSettings, ModelViewSet, Validate, ValidationErrors};
use serde::{Deserialize, Serialize};

/// A user as the API shows it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    #[schema(read_only)]
    id: i64,
    username: String,
    email: Option<String>,
}

impl User {
    /// The user's id.
    pub fn id(&self) -> i64 {
        self.id
    }
}

/// What create and update accept.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    username: String,
    email: Option<String>,
}

/// What PATCH accepts; `"email": null` clears the email.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct UserPatch {
    username: Option<String>,
    #[serde(with = "::serde_with::rust::double_option")]
    email: Option<Option<String>>,
}

impl Validate for UserInput {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.length("username", &self.username, 1, 150);
        let valid_name = |c: char| c.is_alphanumeric() || "@.+-_".contains(c);
        if !self.username.chars().all(valid_name) {
            errors.add(
                "username",
                "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
            );
        }
        if let Some(email) = self.email.as_deref().filter(|e| !e.is_empty()) {
            errors.length("email", email, 3, 254);
            let shape = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !email.contains(char::is_whitespace)
            });
            if !shape {
                errors.add("email", "Enter a valid email address.");
            }
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
        Column::new("username", Text),
        Column::new("email", Text),
    ];
}

/// The `/api/users/` viewset.
pub fn viewset(
    repo: SqlRepository<User>,
    settings: &ApiSettings,
) -> ModelViewSet<SqlRepository<User>> {
    ModelViewSet::new("User", "user", repo)
        .description("Users of the music catalogue.")
        .settings(settings)
        .with_schemas()
        .filter_fields(["username", "email"])
        .ordering_fields(["username", "id"])
        .page_size(20, 100)
}
