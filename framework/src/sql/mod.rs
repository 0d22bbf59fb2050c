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
#[cfg(feature = "postgres")]
mod postgres_pool;
mod repository;
mod row;
mod schema;
mod setup;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_checkpointer;
#[cfg(feature = "sqlite")]
mod sqlite_readers;
#[cfg(feature = "sqlite")]
mod sqlite_row;
#[cfg(feature = "sqlite")]
mod sqlite_writer;
mod statement;
mod value;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validation::Validate;
pub use repository::{DestroyHook, Partial, SqlRepository};
pub use schema::{create_table_sql, indexes_sql, table_sql};
pub use setup::Schema;
pub use statement::Dialect;
pub use value::{ColumnType, JSON_INVALID_MESSAGE, NULL_CHARACTERS_MESSAGE, SqlValue};

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
    /// The primary key column, whose value is the URL's id: by default the column marked
    /// [`Column::primary_key`], else `id`.
    const PRIMARY_KEY: &'static str = primary_key_of(Self::COLUMNS);
    /// What the model's `Serialize` writes: the struct's name and its fields in order, when it
    /// is serde's plain derive (no renames, no `skip_serializing_if`, …). `#[derive(Model)]`
    /// fills it in; with it (and every field's [`FieldType::ROW`](crate::model::FieldType::ROW)),
    /// a SQLite list is written from its rows without making models. `None` (the default,
    /// for a `Table` written by hand) keeps lists on the model path.
    #[doc(hidden)]
    const SHOWN: Option<(&'static str, &'static [crate::rows::ShownField])> = None;
}

/// One column of a [`Table`]: its name and type, whether create and update write it, and
/// what a generated `CREATE TABLE` ([`create_table_sql`]) and the startup check
/// ([`Database::check_table`]) need to know of it. Build one with [`Column::new`] (or
/// [`Column::integer`] and its siblings) and the `const` builder methods:
///
/// ```
/// use restframe::sql::{Column, ColumnType};
/// const COLUMNS: &[Column] = &[
///     Column::integer("id").primary_key().read_only(),
///     Column::text("isbn").unique(),
///     Column::new("price", ColumnType::Decimal).nullable(),
///     Column::new("created_at", ColumnType::DateTime).auto_now_add(),
/// ];
/// assert!(COLUMNS[2].nullable && !COLUMNS[1].nullable);
/// assert!(!COLUMNS[3].writable);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name, also the model's field name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether create and update write it (read-only columns are set by the database or by
    /// other code, such as an upload action).
    pub writable: bool,
    /// Whether it may hold `NULL` (the model's field is an `Option`). Not nullable unless
    /// declared, as in Django.
    pub nullable: bool,
    /// Whether no two rows may hold the same value (a `UNIQUE` constraint; a violation is a
    /// 409 naming the field, "This field must be unique.").
    pub unique: bool,
    /// Whether it is the primary key. [`Table::PRIMARY_KEY`] names the column so marked (or
    /// `id` when none is); an integer primary key is generated by the database.
    pub primary_key: bool,
    /// What the database writes when an `INSERT` leaves it out.
    pub default: Option<ColumnDefault>,
    /// Whether the repository sets it to the current time itself, as Django's `auto_now_add`
    /// and `auto_now` (a read-only column).
    pub auto_now: Option<AutoNow>,
    /// The index a generated schema gives it, if any ([`Column::index`],
    /// [`Column::ordering_index`]).
    pub index: Option<Index>,
    /// The row of another table it points at (Django's `ForeignKey`), for a generated
    /// schema's `REFERENCES`.
    pub references: Option<ForeignKey>,
}

/// An index a generated schema makes for one [`Column`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// On the column alone, named `<table>_<column>` (Django's `db_index`): for lookups by it
    /// (a foreign key's, say).
    Column,
    /// For lists ordered by the column: on (column, primary key), named
    /// `<table>_<column>_<key>`, since the primary key breaks ties in the direction of the
    /// first key, so that one index serves both directions. In SQLite, when the key is the
    /// integer rowid, on the column alone, named `<table>_<column>`: a SQLite index ends in
    /// the rowid already.
    Ordering,
}

/// Where a foreign key [`Column`] points, and what deleting the row it points at does
/// ([`Column::references`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    /// The table pointed at.
    pub table: &'static str,
    /// Its column (its primary key, as a rule).
    pub column: &'static str,
    /// What deleting the row pointed at does to this one.
    pub on_delete: OnDelete,
}

/// What deleting a row does to the rows whose foreign key points at it (Django's
/// `on_delete`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    /// They are deleted too (`CASCADE`).
    Cascade,
    /// Their key becomes `NULL` (`SET NULL`; the column must be nullable).
    SetNull,
    /// The delete fails while any points at it (`RESTRICT`).
    Restrict,
}

impl OnDelete {
    /// The SQL words, the same in SQLite and PostgreSQL.
    pub const fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
            OnDelete::Restrict => "RESTRICT",
        }
    }
}

/// What the database writes into a [`Column`] that an `INSERT` leaves out, in each dialect.
///
/// ```
/// use restframe::sql::{Column, ColumnDefault};
/// let column = Column::boolean("public").default(ColumnDefault::Boolean(false));
/// assert_eq!(column.default, Some(ColumnDefault::Boolean(false)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnDefault {
    /// The current time in the column's type: a [`ColumnType::DateTime`] now (in SQLite as
    /// RFC 3339 text, to the millisecond), a [`ColumnType::Date`] today (UTC), an
    /// [`ColumnType::Integer`] Unix seconds, text RFC 3339.
    Now,
    /// A random (version 4) UUID, for a [`ColumnType::Uuid`] key the database makes.
    RandomUuid,
    /// An integer.
    Integer(i64),
    /// A boolean (`1`/`0` in SQLite).
    Boolean(bool),
    /// A text, quoted as SQL text.
    Text(&'static str),
    /// An SQL expression, the same in both dialects, written as is (`'{}'`, `0.0`).
    Sql(&'static str),
}

/// When the repository sets a [`Column`] to the current time (Django's `auto_now_add` and
/// `auto_now`): in the `INSERT`, and with [`AutoNow::OnSave`] in every `UPDATE` (update,
/// partial update, [`SqlRepository::set`]).
///
/// ```
/// use restframe::sql::{AutoNow, Column, ColumnType};
/// let updated = Column::new("updated_at", ColumnType::DateTime).auto_now();
/// assert_eq!(updated.auto_now, Some(AutoNow::OnSave));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoNow {
    /// When the row is created.
    OnCreate,
    /// When the row is created and whenever it is written.
    OnSave,
}

impl Column {
    /// A writable, not nullable column of type `ty`.
    ///
    /// ```
    /// use restframe::sql::{Column, ColumnType};
    /// let c = Column::new("title", ColumnType::Text);
    /// assert!(c.writable && !c.nullable && !c.unique && !c.primary_key);
    /// ```
    pub const fn new(name: &'static str, ty: ColumnType) -> Self {
        Self {
            name,
            ty,
            writable: true,
            nullable: false,
            unique: false,
            primary_key: false,
            default: None,
            auto_now: None,
            index: None,
            references: None,
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
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::real("score").ty, ColumnType::Real);
    /// ```
    pub const fn real(name: &'static str) -> Self {
        Self::new(name, ColumnType::Real)
    }

    /// A writable text column.
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::text("title").ty, ColumnType::Text);
    /// ```
    pub const fn text(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// A writable boolean column.
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::boolean("public").ty, ColumnType::Boolean);
    /// ```
    pub const fn boolean(name: &'static str) -> Self {
        Self::new(name, ColumnType::Boolean)
    }

    /// A writable date column (`YYYY-MM-DD`).
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::date("released").ty, ColumnType::Date);
    /// ```
    pub const fn date(name: &'static str) -> Self {
        Self::new(name, ColumnType::Date)
    }

    /// A writable bytes column.
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnType};
    /// assert_eq!(Column::blob("data").ty, ColumnType::Blob);
    /// ```
    pub const fn blob(name: &'static str) -> Self {
        Self::new(name, ColumnType::Blob)
    }

    /// The same column, read-only.
    ///
    /// ```
    /// # use restframe::sql::Column;
    /// assert!(!Column::text("file").read_only().writable);
    /// ```
    pub const fn read_only(self) -> Self {
        Self {
            writable: false,
            ..self
        }
    }

    /// The same column, nullable (an `Option` field).
    ///
    /// ```
    /// # use restframe::sql::Column;
    /// assert!(Column::date("released").nullable().nullable);
    /// ```
    pub const fn nullable(self) -> Self {
        Self {
            nullable: true,
            ..self
        }
    }

    /// The same column, with a `UNIQUE` constraint.
    ///
    /// ```
    /// # use restframe::sql::Column;
    /// assert!(Column::text("username").unique().unique);
    /// ```
    pub const fn unique(self) -> Self {
        Self {
            unique: true,
            ..self
        }
    }

    /// The same column, as the primary key ([`Table::PRIMARY_KEY`] then names it).
    ///
    /// ```
    /// # use restframe::sql::Column;
    /// assert!(Column::text("key").primary_key().primary_key);
    /// ```
    pub const fn primary_key(self) -> Self {
        Self {
            primary_key: true,
            ..self
        }
    }

    /// The same column, with a default the database writes when an `INSERT` leaves it out.
    ///
    /// ```
    /// # use restframe::sql::{Column, ColumnDefault};
    /// let c = Column::integer("plays").read_only().default(ColumnDefault::Integer(0));
    /// assert_eq!(c.default, Some(ColumnDefault::Integer(0)));
    /// ```
    pub const fn default(self, default: ColumnDefault) -> Self {
        Self {
            default: Some(default),
            ..self
        }
    }

    /// The same column, with an index of its own in a generated schema (Django's
    /// `db_index`, [`Index::Column`]).
    ///
    /// ```
    /// # use restframe::sql::{Column, Index};
    /// assert_eq!(Column::integer("owner").index().index, Some(Index::Column));
    /// ```
    pub const fn index(self) -> Self {
        Self {
            index: Some(Index::Column),
            ..self
        }
    }

    /// The same column, with an index for lists ordered by it in a generated schema
    /// ([`Index::Ordering`]: with the primary key, the tie-breaker).
    ///
    /// ```
    /// # use restframe::sql::{Column, Index};
    /// assert_eq!(Column::text("title").ordering_index().index, Some(Index::Ordering));
    /// ```
    pub const fn ordering_index(self) -> Self {
        Self {
            index: Some(Index::Ordering),
            ..self
        }
    }

    /// The same column, a foreign key to `column` of `table` (Django's `ForeignKey`):
    /// `REFERENCES "table" ("column") ON DELETE …` in a generated schema. An integer primary
    /// key that references another table (a row that extends its owner, as a profile does)
    /// is then not generated by the database.
    ///
    /// ```
    /// # use restframe::sql::{Column, ForeignKey, OnDelete};
    /// let owner = Column::integer("owner").nullable().references("app_user", "id", OnDelete::SetNull);
    /// assert_eq!(owner.references.map(|f| f.on_delete), Some(OnDelete::SetNull));
    /// ```
    pub const fn references(
        self,
        table: &'static str,
        column: &'static str,
        on_delete: OnDelete,
    ) -> Self {
        Self {
            references: Some(ForeignKey {
                table,
                column,
                on_delete,
            }),
            ..self
        }
    }

    /// The same column, read-only and set to the current time when the row is created
    /// (Django's `auto_now_add`), with [`ColumnDefault::Now`] in the generated table.
    ///
    /// ```
    /// # use restframe::sql::{AutoNow, Column, ColumnType};
    /// let c = Column::new("created_at", ColumnType::DateTime).auto_now_add();
    /// assert_eq!(c.auto_now, Some(AutoNow::OnCreate));
    /// assert!(!c.writable);
    /// ```
    pub const fn auto_now_add(self) -> Self {
        Self {
            writable: false,
            default: Some(ColumnDefault::Now),
            auto_now: Some(AutoNow::OnCreate),
            ..self
        }
    }

    /// The same column, read-only and set to the current time whenever the row is written
    /// (Django's `auto_now`), with [`ColumnDefault::Now`] in the generated table.
    ///
    /// ```
    /// # use restframe::sql::{AutoNow, Column, ColumnType};
    /// let c = Column::new("updated_at", ColumnType::DateTime).auto_now();
    /// assert_eq!(c.auto_now, Some(AutoNow::OnSave));
    /// ```
    pub const fn auto_now(self) -> Self {
        Self {
            writable: false,
            default: Some(ColumnDefault::Now),
            auto_now: Some(AutoNow::OnSave),
            ..self
        }
    }
}

/// The name of the column marked [`Column::primary_key`], else `"id"`: the default of
/// [`Table::PRIMARY_KEY`].
///
/// ```
/// use restframe::sql::{Column, primary_key_of};
/// assert_eq!(primary_key_of(&[Column::text("a"), Column::text("key").primary_key()]), "key");
/// assert_eq!(primary_key_of(&[Column::integer("id")]), "id");
/// ```
pub const fn primary_key_of(columns: &[Column]) -> &'static str {
    let mut i = 0;
    while i < columns.len() {
        if columns[i].primary_key {
            return columns[i].name;
        }
        i += 1;
    }
    "id"
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
    /// A foreign key refused a write: a row it names does not exist, or a delete would leave
    /// rows pointing at nothing (`ON DELETE RESTRICT`).
    ForeignKey,
    /// The database's table does not fit its model ([`Database::check_table`]): the message
    /// names the table and each column that is missing or does not fit.
    Schema(String),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Unique(c) if c.is_empty() => f.write_str("unique constraint failed"),
            DbError::Unique(c) => write!(f, "unique constraint failed on {}", c.join(", ")),
            DbError::Url(m) | DbError::Other(m) | DbError::Schema(m) => f.write_str(m),
            DbError::NulCharacter => f.write_str(NULL_CHARACTERS_MESSAGE),
            DbError::ForeignKey => f.write_str("foreign key constraint failed"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<DbError> for crate::ApiError {
    /// A unique violation is a 409 in DRF's words: `{"username": ["This field must be
    /// unique."]}` for one column, `{"non_field_errors": ["The fields team, login must make a
    /// unique set."]}` for several (DRF answers these with a 400; the request is valid in itself
    /// and conflicts with the stored rows, which is what 409 says). A foreign key's refusal is a
    /// 409 too (the repository names the field of a write whose related row is missing, as a
    /// 400). Anything else is a 500 whose detail stays in the log.
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(columns) => match columns.as_slice() {
                [column] => {
                    crate::ApiError::conflict([(column.as_str(), "This field must be unique.")])
                }
                [] => crate::ApiError::conflict([("", "A row with these values already exists.")]),
                several => {
                    let message =
                        format!("The fields {} must make a unique set.", several.join(", "));
                    crate::ApiError::conflict([("", message.as_str())])
                }
            },
            DbError::NulCharacter => crate::ApiError::validation([("", NULL_CHARACTERS_MESSAGE)]),
            DbError::ForeignKey => crate::ApiError::conflict([("", FOREIGN_KEY_MESSAGE)]),
            other => crate::ApiError::internal(format!("database: {other}")),
        }
    }
}

/// What a write or a delete that a foreign key refused answers, when no field is to blame.
pub const FOREIGN_KEY_MESSAGE: &str =
    "This row refers to a row that does not exist, or rows still refer to it.";

/// A read statement with its parameters and the types of its columns.
#[cfg(feature = "postgres")]
pub(crate) type Read = (Arc<str>, Vec<SqlValue>, Arc<[ColumnType]>);

/// How a page is counted ([`Database::fetch_page`]): its statement then carries the count as
/// one more column, last ([`statement::Statements::page`]), and this is the
/// count alone, for an empty page.
pub(crate) struct PageCount {
    /// `SELECT COUNT(*) …`.
    pub(crate) sql: Arc<str>,
    /// How many of the page's parameters, first, are the count's.
    pub(crate) params: usize,
}

/// A connection pool to SQLite or PostgreSQL, chosen by URL.
#[derive(Clone)]
pub struct Database {
    backend: Backend,
    /// Statements run through it (every clone shares the count).
    statements: Arc<AtomicU64>,
    /// The tables a `RESTRICT` foreign key points at, among the tables this database created
    /// or checked (every clone shares them): deleting their rows may be refused, a 409 the
    /// OpenAPI document then lists for their destroy.
    restricted: Arc<std::sync::RwLock<std::collections::BTreeSet<String>>>,
}

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(Arc<sqlite::Pool>),
    #[cfg(feature = "postgres")]
    Postgres(postgres::Pool),
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
    ///
    /// A SQLite file takes `?exclusive=true` (Unix only; a `?` in a SQLite URL starts its
    /// parameters): this process alone opens it. Its reads then skip SQLite's file locks,
    /// which took a detail route from about 28 K to 34 K req/s; another process (the `sqlite3`
    /// shell, a second instance, a backup tool that reads the WAL) finds the file locked until
    /// the pool is closed. See docs/deployment.md.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        #[cfg(feature = "sqlite")]
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let (path, locking) = sqlite::parse_url(rest.strip_prefix("//").unwrap_or(rest))?;
            let pool = sqlite::Pool::open(path, locking).await?;
            return Ok(Self {
                backend: Backend::Sqlite(Arc::new(pool)),
                statements: Arc::default(),
                restricted: Arc::default(),
            });
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url).await?;
            return Ok(Self {
                backend: Backend::Postgres(pool),
                statements: Arc::default(),
                restricted: Arc::default(),
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
            Backend::Sqlite(pool) => sqlite::migrate(pool, sorted, None).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::migrate(pool, &sorted, None).await,
        }
    }

    /// [`migrate`](Self::migrate) `sorted`, or, on a database with no migration recorded,
    /// runs `declared` and records the migrations as applied
    /// ([`create_or_upgrade`](Self::create_or_upgrade)).
    async fn migrate_or_create(
        &self,
        sorted: Vec<Migration>,
        declared: String,
    ) -> Result<(), DbError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => sqlite::migrate(pool, sorted, Some(declared)).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::migrate(pool, &sorted, Some(&declared)).await,
        }
    }

    /// Creates `M`'s table from its declaration when it does not exist
    /// ([`create_table_sql`]; an existing table is left as it is, so call
    /// [`check_table`](Self::check_table) after). On PostgreSQL it takes the same lock as
    /// [`migrate`](Self::migrate), so instances starting together create it once.
    ///
    /// ```
    /// use restframe::sql::{Column, Database, SqlRepository, Table};
    /// use restframe::{Repository, Validate};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Tag { id: i64, name: String }
    /// #[derive(Serialize, Deserialize)]
    /// struct NewTag { name: String }
    /// impl Validate for NewTag {}
    /// impl Table for Tag {
    ///     type Input = NewTag;
    ///     type Patch = NewTag;
    ///     const NAME: &'static str = "tag";
    ///     const COLUMNS: &'static [Column] =
    ///         &[Column::integer("id").primary_key().read_only(), Column::text("name").unique()];
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// db.create_table::<Tag>().await?;
    /// db.create_table::<Tag>().await?; // already there: nothing happens
    /// db.check_table::<Tag>().await?;
    /// let tag = SqlRepository::<Tag>::new(&db).create(NewTag { name: "jazz".into() }).await.unwrap();
    /// assert_eq!(tag.id, 1);
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn create_table<M: Table>(&self) -> Result<(), DbError> {
        self.create_table_with(M::NAME, M::PRIMARY_KEY, M::COLUMNS)
            .await
    }

    /// [`create_table`](Self::create_table) for a table given by its name, primary key and
    /// columns ([`table_sql`]).
    ///
    /// ```
    /// use restframe::sql::{Column, Database};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// let columns = [Column::text("key").primary_key(), Column::integer("hits")];
    /// db.create_table_with("counter", "key", &columns).await?;
    /// db.check_columns("counter", "key", &columns).await?;
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn create_table_with(
        &self,
        name: &str,
        primary_key: &str,
        columns: &[Column],
    ) -> Result<(), DbError> {
        self.note_references(columns);
        let mut statements = vec![table_sql(self.dialect(), name, primary_key, columns)];
        statements.extend(indexes_sql(self.dialect(), name, primary_key, columns));
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                for sql in statements {
                    pool.execute(sql.into(), Vec::new()).await?;
                }
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                postgres::execute_locked(pool, &statements.join(";\n")).await
            }
        }
    }

    /// Checks `M`'s table in the database against its declaration, for a start-up that fails
    /// early rather than a 500 on the first request: the table exists, each declared column
    /// exists, has a type its [`ColumnType`] can be stored in and read from (SQLite: by type
    /// affinity, so `TEXT` where an integer is declared fails, as does `NUMERIC` for a
    /// decimal, which would lose its scale; PostgreSQL: the type itself, `bigint` for
    /// [`ColumnType::Integer`], `timestamp with time zone` for [`ColumnType::DateTime`] …),
    /// and is nullable exactly when the column is declared [`nullable`](Column::nullable)
    /// (the primary key aside). Columns the model does not declare are not looked at. A
    /// mismatch is a [`DbError::Schema`] whose message names the table and every column at
    /// fault.
    ///
    /// ```
    /// use restframe::sql::{Column, Database, DbError};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// db.query("CREATE TABLE tag (id INTEGER PRIMARY KEY, name INTEGER NOT NULL)", vec![], &[])
    ///     .await?;
    /// let columns = [Column::integer("id"), Column::text("name"), Column::text("colour")];
    /// let Err(DbError::Schema(message)) = db.check_columns("tag", "id", &columns).await else {
    ///     panic!("the check passed")
    /// };
    /// assert_eq!(
    ///     message,
    ///     "table tag does not match its model: column name is INTEGER (INTEGER affinity), but \
    ///      the model declares it Text, which needs TEXT affinity; column colour is missing"
    /// );
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn check_table<M: Table>(&self) -> Result<(), DbError> {
        self.check_columns(M::NAME, M::PRIMARY_KEY, M::COLUMNS)
            .await
    }

    /// [`check_table`](Self::check_table) for a table given by its name, primary key and
    /// columns.
    ///
    /// ```
    /// use restframe::sql::{Column, Database, DbError};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// let err = db.check_columns("nowhere", "id", &[Column::integer("id")]).await.unwrap_err();
    /// assert!(matches!(err, DbError::Schema(_)));
    /// assert!(err.to_string().contains("table nowhere does not exist"), "{err}");
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn check_columns(
        &self,
        name: &str,
        primary_key: &str,
        columns: &[Column],
    ) -> Result<(), DbError> {
        self.note_references(columns);
        schema::check(self, name, primary_key, columns).await
    }

    /// How many statements the pool (this handle and its clones) has run for repositories and
    /// [`query`](Self::query) since it was opened: a query counter for tests, as Django's
    /// `assertNumQueries` (a list whose relations are loaded in one query per relation costs
    /// the same number of statements at any page size).
    ///
    /// ```
    /// use restframe::sql::Database;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// let before = db.statements_run();
    /// db.query("SELECT 1", vec![], &[]).await?;
    /// assert_eq!(db.statements_run() - before, 1);
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
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

    /// Notes the tables that `columns`' `RESTRICT` foreign keys point at.
    fn note_references(&self, columns: &[Column]) {
        let targets = columns
            .iter()
            .filter_map(|c| c.references)
            .filter(|fk| fk.on_delete == OnDelete::Restrict);
        let mut restricted = self
            .restricted
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for fk in targets {
            restricted.insert(fk.table.to_owned());
        }
    }

    /// Whether deleting a row of `table` may be refused: a `RESTRICT` foreign key of a table
    /// this database created or checked ([`create_table`](Self::create_table),
    /// [`check_columns`](Self::check_columns), [`create_or_upgrade`](Self::create_or_upgrade))
    /// points at it.
    pub(crate) fn restricts_deletes_of(&self, table: &str) -> bool {
        self.restricted
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(table)
    }

    /// The SQL dialect it speaks.
    ///
    /// ```
    /// use restframe::sql::{Database, Dialect};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::connect("sqlite::memory:").await?;
    /// assert_eq!(db.dialect(), Dialect::Sqlite);
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub fn dialect(&self) -> Dialect {
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
        refuse_nul(&params)?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        let rows = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.fetch(sql, params).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::fetch(pool, &sql, params, &types).await,
        }?;
        json_cells(rows, &types)
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub(crate) async fn execute(
        &self,
        sql: Arc<str>,
        params: Vec<SqlValue>,
    ) -> Result<u64, DbError> {
        refuse_nul(&params)?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.execute(sql, params).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::execute(pool, &sql, params).await,
        }
    }

    /// The rows of a read statement, each read into a `T` (its columns named by `names` and
    /// typed by `types`): on SQLite straight from the row as it is stepped, on PostgreSQL
    /// through [`SqlValue`]s. A row that does not fit `T` is an error naming `table`.
    ///
    /// `point`: rows by primary key, a bounded handful. On SQLite such a read runs on the
    /// calling thread when a read connection is free at once, since the hop to a reader thread
    /// costs more than the read does.
    pub(crate) async fn fetch_models<T: DeserializeOwned + Send + 'static>(
        &self,
        table: &'static str,
        point: bool,
        statement: (Arc<str>, Vec<SqlValue>),
        names: Arc<[&'static str]>,
        types: Arc<[ColumnType]>,
    ) -> Result<Vec<T>, DbError> {
        let (_, items) = self
            .fetch_page(table, point, None, statement, names, types)
            .await?;
        Ok(items)
    }

    /// [`fetch_models`](Self::fetch_models) of a page and, with `count`, how many rows it is
    /// a page of, read so that the two agree: the page's statement then has the count as a
    /// last column ([`statement::Statements::page`]), and one statement is one
    /// snapshot. An empty page carries no count; then the count and the page are read again in
    /// one read transaction (SQLite's deferred one, PostgreSQL's repeatable read).
    pub(crate) async fn fetch_page<T: DeserializeOwned + Send + 'static>(
        &self,
        table: &'static str,
        point: bool,
        count: Option<PageCount>,
        page: (Arc<str>, Vec<SqlValue>),
        names: Arc<[&'static str]>,
        types: Arc<[ColumnType]>,
    ) -> Result<(Option<i64>, Vec<T>), DbError> {
        let misfit = |e: serde::de::value::Error| {
            DbError::Other(format!("row of {table} into its model: {e}"))
        };
        refuse_nul(&page.1)?;
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let ((counted, items), statements) =
                    pool.fetch_page(point, count, page, names, types).await?;
                self.statements.fetch_add(statements, Ordering::Relaxed);
                Ok((counted, items.map_err(misfit)?))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                // Every read takes a pooled connection alike; a point read is no different.
                let _ = point;
                self.statements.fetch_add(1, Ordering::Relaxed);
                let (sql, params) = page;
                let (counted, rows) = match count {
                    None => (None, self.fetch_rows(pool, sql, params, &types).await?),
                    Some(count) => {
                        let with_count: Arc<[ColumnType]> =
                            types.iter().copied().chain([ColumnType::Integer]).collect();
                        let mut rows = self
                            .fetch_rows(pool, Arc::clone(&sql), params.clone(), &with_count)
                            .await?;
                        let counted = match rows.first().and_then(|row| row.last()) {
                            Some(&SqlValue::Integer(n)) => Some(n),
                            Some(_) => {
                                return Err(DbError::Other("COUNT(*) gave no integer".into()));
                            }
                            None => {
                                self.statements.fetch_add(2, Ordering::Relaxed);
                                let count_params =
                                    params.get(..count.params).unwrap_or(&params).to_vec();
                                let statements = vec![
                                    (count.sql, count_params, Arc::from([ColumnType::Integer])),
                                    (sql, params, Arc::clone(&with_count)),
                                ];
                                let mut results = postgres::fetch_consistent(pool, statements)
                                    .await?
                                    .into_iter();
                                let counted = match results.next().unwrap_or_default().first() {
                                    Some(row) => match row.first() {
                                        Some(&SqlValue::Integer(n)) => Some(n),
                                        _ => None,
                                    },
                                    None => None,
                                };
                                rows = json_cells(results.next().unwrap_or_default(), &with_count)?;
                                counted
                            }
                        };
                        // The count's column, last, is not the model's.
                        for row in &mut rows {
                            row.pop();
                        }
                        (counted, rows)
                    }
                };
                let items = rows
                    .into_iter()
                    .map(|row| row::from_row(&names, row).map_err(misfit))
                    .collect::<Result<_, _>>()?;
                Ok((counted, items))
            }
        }
    }

    /// [`fetch_page`](Self::fetch_page) as a [`RowPage`] for `plan`, with room for `rows`
    /// rows: `None` on PostgreSQL (its rows are decoded into values first, and read into
    /// models), or when a row does not read as its model.
    pub(crate) async fn fetch_row_page(
        &self,
        count: Option<PageCount>,
        page: (Arc<str>, Vec<SqlValue>),
        plan: Arc<crate::rows::RowPlan>,
        rows: usize,
    ) -> Result<Option<(Option<i64>, crate::rows::RowPage)>, DbError> {
        refuse_nul(&page.1)?;
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let ((counted, items), statements) =
                    pool.fetch_row_page(count, page, plan, rows).await?;
                let lookups = items.as_ref().map_or(0, crate::rows::RowPage::lookups);
                self.statements
                    .fetch_add(statements + lookups, Ordering::Relaxed);
                Ok(items.map(|items| (counted, items)))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {
                let _ = (count, page, plan, rows);
                Ok(None)
            }
        }
    }

    /// A PostgreSQL read's rows, each decoded by `types` (JSON cells parsed).
    #[cfg(feature = "postgres")]
    async fn fetch_rows(
        &self,
        pool: &postgres::Pool,
        sql: Arc<str>,
        params: Vec<SqlValue>,
        types: &[ColumnType],
    ) -> Result<Vec<Vec<SqlValue>>, DbError> {
        json_cells(postgres::fetch(pool, &sql, params, types).await?, types)
    }

    /// Runs one statement of your own — in this database's dialect
    /// ([`backend_name`](Self::backend_name) says which; placeholders `?1` on SQLite, `$1` on
    /// PostgreSQL, cast there as `$1::bigint` and so on) — with `params`, and returns the rows
    /// it gives, each decoded by `types` (one per column). For what a [`SqlRepository`] cannot
    /// say: a batch `DELETE … RETURNING`, row claims with `FOR UPDATE SKIP LOCKED`. Pass only
    /// values as parameters, never as SQL text. A [`ColumnType::Json`] column comes back as
    /// [`SqlValue::Json`]. PostgreSQL decodes each type strictly, so select as the repository
    /// does: a date, decimal, UUID or JSON column as `col::text`, a datetime as
    /// `to_char(col AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.
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

/// The JSON columns' cells as [`SqlValue::Json`]: both backends give them as JSON text.
fn json_cells(
    mut rows: Vec<Vec<SqlValue>>,
    types: &[ColumnType],
) -> Result<Vec<Vec<SqlValue>>, DbError> {
    if !types.contains(&ColumnType::Json) {
        return Ok(rows);
    }
    for row in &mut rows {
        for (cell, ty) in row.iter_mut().zip(types) {
            if *ty == ColumnType::Json
                && let SqlValue::Text(text) = cell
            {
                let value: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| DbError::Other(format!("a JSON column holds no JSON: {e}")))?;
                *cell = value.into();
            }
        }
    }
    Ok(rows)
}

/// [`DbError::NulCharacter`] when a text parameter holds a NUL character: no backend gets it.
fn refuse_nul(params: &[SqlValue]) -> Result<(), DbError> {
    if params.iter().any(SqlValue::has_nul) {
        Err(DbError::NulCharacter)
    } else {
        Ok(())
    }
}
