//! `example-app createsuperuser`: a staff user, made from the command line (Django's
//! `createsuperuser`), on the same database the server uses.

use std::io::{BufRead, IsTerminal};

use restframe::sql::{SqlRepository, SqlValue};
use restframe::{ApiError, Repository};

use crate::credentials::Credentials;
use crate::users::{User, UserInput};

/// `createsuperuser`'s flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new user's name.
    #[arg(long)]
    username: String,
    /// The new user's email address.
    #[arg(long)]
    email: Option<String>,
    /// The database, as the server's `--database-url` (same environment fallback and default).
    #[arg(
        long,
        env = "EXAMPLE_APP_DATABASE_URL",
        default_value = "sqlite://./data/example.db"
    )]
    database_url: String,
}

/// The password: the first line of stdin when it is not a terminal, asked for (twice, not
/// echoed) otherwise.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let again = rpassword::prompt_password("Password (again): ").map_err(|e| e.to_string())?;
    if first != again {
        return Err("the two passwords differ".to_owned());
    }
    Ok(first)
}

/// An [`ApiError`]'s field errors as one line (`password: Ensure this field has at least 8
/// characters.`).
fn explain(e: &ApiError) -> String {
    match serde_json::to_value(e).unwrap_or_default() {
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(field, errors)| {
                let errors = match &errors {
                    serde_json::Value::Array(list) => list
                        .iter()
                        .map(|m| m.as_str().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.as_str().unwrap_or_default().to_owned(),
                };
                format!("{field}: {errors}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Creates the user; the message to print, or why not.
pub async fn run(args: Args) -> Result<String, String> {
    let password = read_password()?;
    let db = crate::app::database(&args.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let result = create(&db, args, password).await;
    db.close().await;
    result
}

async fn create(
    db: &restframe::sql::Database,
    args: Args,
    password: String,
) -> Result<String, String> {
    let credentials = Credentials::new(db).map_err(|e| explain(&e))?;
    let exists = || format!("a user named {} already exists", args.username);
    if credentials
        .user_named(&args.username)
        .await
        .map_err(|e| explain(&e))?
        .is_some()
    {
        return Err(exists());
    }
    let mut input = UserInput::new(args.username.clone(), args.email.clone(), password);
    restframe::Validate::validate(&input).map_err(|e| explain(&ApiError::from(e)))?;
    input
        .hash_password(&credentials.passwords)
        .await
        .map_err(|e| explain(&e))?;
    let users = SqlRepository::<User>::new(db);
    // A racing registration of the same name loses to the unique constraint.
    let user = users
        .create(input)
        .await
        .map_err(|e| match e.status().as_u16() {
            400 => exists(),
            _ => explain(&e),
        })?;
    users
        .set(
            &user.id().to_string(),
            &[("is_staff", SqlValue::Boolean(true))],
        )
        .await
        .map_err(|e| explain(&e))?;
    Ok(format!("Superuser {} created.", args.username))
}
