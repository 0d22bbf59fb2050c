//! SQL repositories: a [`Table`] declaration turns a model into a [`Repository`](crate::Repository) on SQLite (the
//! embedded default, through rusqlite) or PostgreSQL (through sqlx), with filtering, ordering
//! and pagination done in SQL, and [`Migration`]s run at start.
//!
//! ```
//! use restframe::sql::{Column, ColumnType::*, Database, Migration, SqlRepository, Table};
//! use restframe::Validate;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Artist { id: i64, name: String }
//! #[derive(Serialize, Deserialize)]
//! struct NewArtist { name: String }
//! impl Validate for NewArtist {}
//! #[derive(Serialize, Deserialize, Default)]
//! struct ArtistPatch { #[serde(skip_serializing_if = "Option::is_none")] name: Option<String> }
//!
//! impl Table for Artist {
//!     type Input = NewArtist;
//!     type Patch = ArtistPatch;
//!     const NAME: &'static str = "artist";
//!     const COLUMNS: &'static [Column] =
//!         &[Column::new("id", Integer).read_only(), Column::new("name", Text)];
//! }
//!
//! const MIGRATIONS: &[Migration] = &[Migration::same(
//!     1,
//!     "artist",
//!     "CREATE TABLE artist (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
//! )];
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let db = Database::connect("sqlite::memory:").await?;
//! db.migrate(MIGRATIONS).await?;
//! let artists = SqlRepository::<Artist>::new(&db);
//! // `restframe::ModelViewSet::new("Artist", "artist", artists)` serves it.
//! # let _ = artists;
//! # Ok::<(), restframe::sql::DbError>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "postgres")]
mod postgres;
mod repository;
mod row;
#[cfg(feature = "sqlite")]
mod sqlite;
mod statement;
mod value;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validation::Validate;
pub use repository::{DestroyHook, Partial, SqlRepository};
use statement::Dialect;
pub use value::{ColumnType, NULL_CHARACTERS_MESSAGE, SqlValue};

/// A model stored in one SQL table: its input types, table name and columns. The model and
/// its inputs are plain serde types whose field names are the column names.
pub trait Table: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// What create and update accept (the writable columns).
    type Input: Serialize + DeserializeOwned + Validate + Send + 'static;
    /// What partial_update accepts: each writable field optional and skipped when absent
    /// (`#[serde(skip_serializing_if = "Option::is_none")]`); a nullable field is an
    /// `Option<Option<T>>` so that an explicit `null` clears it. The merged row is then
    /// checked as an [`Table::Input`].
    type Patch: Serialize + DeserializeOwned + Send + 'static;
    /// The table's name.
    const NAME: &'static str;
    /// Every column the model reads, in the model's field order.
    const COLUMNS: &'static [Column];
    /// The primary key column, whose value is the URL's id.
    const PRIMARY_KEY: &'static str = "id";
}

/// One column of a [`Table`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name, also the model's field name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether create and update write it (read-only columns are set by the database or by
    /// other code, such as an upload action).
    pub writable: bool,
}

impl Column {
    /// A writable column.
    pub const fn new(name: &'static str, ty: ColumnType) -> Self {
        Self {
            name,
            ty,
            writable: true,
        }
    }

    /// A writable integer column (`Column::new(name, ColumnType::Integer)`).
    ///
    /// ```
    /// use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::integer("id"), Column::new("id", ColumnType::Integer));
    /// assert_eq!(Column::text("title").ty, ColumnType::Text);
    /// ```
    pub const fn integer(name: &'static str) -> Self {
        Self::new(name, ColumnType::Integer)
    }

    /// A writable floating-point column.
    pub const fn real(name: &'static str) -> Self {
        Self::new(name, ColumnType::Real)
    }

    /// A writable text column.
    pub const fn text(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// A writable boolean column.
    pub const fn boolean(name: &'static str) -> Self {
        Self::new(name, ColumnType::Boolean)
    }

    /// A writable date column (`YYYY-MM-DD`).
    pub const fn date(name: &'static str) -> Self {
        Self::new(name, ColumnType::Date)
    }

    /// A writable bytes column.
    pub const fn blob(name: &'static str) -> Self {
        Self::new(name, ColumnType::Blob)
    }

    /// The same column, read-only.
    pub const fn read_only(self) -> Self {
        Self {
            writable: false,
            ..self
        }
    }
}

/// One schema change, in each dialect. Migrations run in `version` order, each in a
/// transaction with its record in `restframe_migrations`, once per database.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Its place in the order; never reuse one.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// Its SQL for SQLite (several statements allowed).
    pub sqlite: &'static str,
    /// Its SQL for PostgreSQL (several statements allowed).
    pub postgres: &'static str,
}

impl Migration {
    /// A migration whose SQL is the same in both dialects.
    pub const fn same(version: i64, name: &'static str, sql: &'static str) -> Self {
        Self {
            version,
            name,
            sqlite: sql,
            postgres: sql,
        }
    }
}

/// A database failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    /// A unique constraint refused a write; the columns the database names (none when it names
    /// an index on an expression, or something that is not a column of the table).
    Unique(Vec<String>),
    /// The URL names no supported database (or its feature is off).
    Url(String),
    /// Anything else, with the driver's message.
    Other(String),
    /// A text parameter held a NUL character, which PostgreSQL cannot store: refused before
    /// it reaches either backend, so both answer alike (a 400, [`NULL_CHARACTERS_MESSAGE`]).
    /// The repository names the field first; this catches any other statement.
    NulCharacter,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Unique(c) if c.is_empty() => f.write_str("unique constraint failed"),
            DbError::Unique(c) => write!(f, "unique constraint failed on {}", c.join(", ")),
            DbError::Url(m) | DbError::Other(m) => f.write_str(m),
            DbError::NulCharacter => f.write_str(NULL_CHARACTERS_MESSAGE),
        }
    }
}

impl std::error::Error for DbError {}

impl From<DbError> for crate::ApiError {
    /// A unique violation is the client's 400, in DRF's words: `{"username": ["This field must
    /// be unique."]}` for one column, `{"non_field_errors": ["The fields team, login must make a
    /// unique set."]}` for several; anything else is a 500 whose detail stays in the log.
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(columns) => match columns.as_slice() {
                [column] => {
                    crate::ApiError::validation([(column.as_str(), "This field must be unique.")])
                }
                [] => {
                    crate::ApiError::validation([("", "A row with these values already exists.")])
                }
                several => {
                    let message =
                        format!("The fields {} must make a unique set.", several.join(", "));
                    crate::ApiError::validation([("", message.as_str())])
                }
            },
            DbError::NulCharacter => crate::ApiError::validation([("", NULL_CHARACTERS_MESSAGE)]),
            other => crate::ApiError::internal(format!("database: {other}")),
        }
    }
}

/// A read statement with its parameters and the types of its columns.
pub(crate) type Read = (Arc<str>, Vec<SqlValue>, Arc<[ColumnType]>);

/// A connection pool to SQLite or PostgreSQL, chosen by URL.
#[derive(Clone)]
pub struct Database {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(Arc<sqlite::Pool>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("dialect", &self.dialect())
            .finish()
    }
}

impl Database {
    /// Opens a pool for `url`: `sqlite://path/to/file.db` (file and directory created when
    /// missing), `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        #[cfg(feature = "sqlite")]
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let pool = sqlite::Pool::open(path).await?;
            return Ok(Self {
                backend: Backend::Sqlite(Arc::new(pool)),
            });
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url).await?;
            return Ok(Self {
                backend: Backend::Postgres(pool),
            });
        }
        Err(DbError::Url(format!(
            "unsupported database URL (expected sqlite://… or postgres://…, with the matching \
             cargo feature): {}",
            url.split('@').next_back().unwrap_or_default()
        )))
    }

    /// Runs the migrations not yet applied, in version order, each in its own transaction.
    pub async fn migrate(&self, migrations: &[Migration]) -> Result<(), DbError> {
        let mut sorted = migrations.to_vec();
        sorted.sort_by_key(|m| m.version);
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => sqlite::migrate(pool, sorted).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::migrate(pool, &sorted).await,
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// Closes the pool (PostgreSQL connections are closed; SQLite ones when the last clone
    /// drops, checkpointing the WAL).
    pub async fn close(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => {}
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// The `n`th (1-based) placeholder for a value of type `ty` in this database's SQL.
    #[cfg(feature = "storage")]
    pub(crate) fn placeholder(&self, n: usize, ty: ColumnType) -> String {
        match self.dialect() {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}::{}", ty.pg_cast()),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement and returns every row it gives (stepping it to the end, so SQLite can
    /// checkpoint its WAL), each decoded by `types`.
    pub(crate) async fn fetch(
        &self,
        sql: Arc<str>,
        params: Vec<SqlValue>,
        types: Arc<[ColumnType]>,
    ) -> Result<Vec<Vec<SqlValue>>, DbError> {
        // SQLite values carry their own type; PostgreSQL's are decoded by `types`.
        let _ = &types;
        refuse_nul(&params)?;
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.fetch(sql, params).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::fetch(pool, &sql, params, &types).await,
        }
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub(crate) async fn execute(
        &self,
        sql: Arc<str>,
        params: Vec<SqlValue>,
    ) -> Result<u64, DbError> {
        refuse_nul(&params)?;
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.execute(sql, params).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::execute(pool, &sql, params).await,
        }
    }

    /// Runs several read statements on one connection in one read transaction, so that a
    /// count and a page agree.
    pub(crate) async fn fetch_consistent(
        &self,
        statements: Vec<Read>,
    ) -> Result<Vec<Vec<Vec<SqlValue>>>, DbError> {
        for (_, params, _) in &statements {
            refuse_nul(params)?;
        }
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.fetch_consistent(statements).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::fetch_consistent(pool, statements).await,
        }
    }

    /// Runs one statement of your own — in this database's dialect
    /// ([`backend_name`](Self::backend_name) says which; placeholders `?1` on SQLite, `$1` on
    /// PostgreSQL, cast there as `$1::bigint` and so on) — with `params`, and returns the rows
    /// it gives, each decoded by `types` (one per column). For what a [`SqlRepository`] cannot
    /// say: a batch `DELETE … RETURNING`, row claims with `FOR UPDATE SKIP LOCKED`. Pass only
    /// values as parameters, never as SQL text.
    ///
    /// ```
    /// use restframe::sql::{ColumnType, Database, SqlValue};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// db.query("CREATE TABLE job (id INTEGER PRIMARY KEY, due INTEGER)", vec![], &[]).await?;
    /// db.query("INSERT INTO job (due) VALUES (1), (5), (9)", vec![], &[]).await?;
    /// let done = db
    ///     .query(
    ///         "DELETE FROM job WHERE due < ?1 RETURNING id",
    ///         vec![SqlValue::Integer(6)],
    ///         &[ColumnType::Integer],
    ///     )
    ///     .await?;
    /// assert_eq!(done.len(), 2);
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn query(
        &self,
        sql: &str,
        params: Vec<SqlValue>,
        types: &[ColumnType],
    ) -> Result<Vec<Vec<SqlValue>>, DbError> {
        self.fetch(sql.into(), params, types.into()).await
    }
}

/// [`DbError::NulCharacter`] when a text parameter holds a NUL character: no backend gets it.
fn refuse_nul(params: &[SqlValue]) -> Result<(), DbError> {
    if params.iter().any(SqlValue::has_nul) {
        Err(DbError::NulCharacter)
    } else {
        Ok(())
    }
}
