//! A database's schema from its declarations ([`Schema`]): created whole on a new database,
//! reached through the versioned migrations on an older one
//! ([`Database::create_or_upgrade`]), then checked table by table.

use super::schema::{indexes_sql, table_sql};
use super::statement::Dialect;
use super::{Column, Database, DbError, Migration, Table};

/// The tables of an app as declared ([`Table`]s, or name, key and columns), with the SQL no
/// declaration says (views, say), in the order they are created: a table after those its
/// foreign keys point at.
///
/// ```
/// use restframe::sql::{Column, Dialect, OnDelete, Schema};
/// const AUTHOR: &[Column] = &[Column::integer("id").primary_key(), Column::text("name")];
/// const BOOK: &[Column] = &[
///     Column::integer("id").primary_key(),
///     Column::text("title").ordering_index(),
///     Column::integer("author").references("author", "id", OnDelete::Cascade),
/// ];
/// let schema = Schema::new()
///     .table_with("author", "id", AUTHOR)
///     .table_with("book", "id", BOOK)
///     .sql("CREATE VIEW IF NOT EXISTS titles AS SELECT title FROM book",
///          "CREATE OR REPLACE VIEW titles AS SELECT title FROM book");
/// let sql = schema.sql_for(Dialect::Postgres);
/// assert!(sql.contains(r#""author" BIGINT NOT NULL REFERENCES "author" ("id") ON DELETE CASCADE"#));
/// assert!(sql.contains(r#"CREATE INDEX IF NOT EXISTS "book_title_id" ON "book" ("title", "id")"#));
/// assert!(sql.ends_with("CREATE OR REPLACE VIEW titles AS SELECT title FROM book"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Schema {
    tables: Vec<DeclaredTable>,
    sql: Vec<(&'static str, &'static str)>,
}

#[derive(Clone, Copy, Debug)]
struct DeclaredTable {
    name: &'static str,
    primary_key: &'static str,
    columns: &'static [Column],
}

impl Schema {
    /// No tables yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `M`'s table.
    pub fn table<M: Table>(self) -> Self {
        self.table_with(M::NAME, M::PRIMARY_KEY, M::COLUMNS)
    }

    /// Adds a table given by its name, primary key and columns (one with no [`Table`] impl).
    pub fn table_with(
        mut self,
        name: &'static str,
        primary_key: &'static str,
        columns: &'static [Column],
    ) -> Self {
        self.tables.push(DeclaredTable {
            name,
            primary_key,
            columns,
        });
        self
    }

    /// Adds SQL run after the tables, in each dialect (a view, a constraint no column says).
    /// It must leave an existing object alone or replace it (`IF NOT EXISTS`,
    /// `CREATE OR REPLACE`).
    pub fn sql(mut self, sqlite: &'static str, postgres: &'static str) -> Self {
        self.sql.push((sqlite, postgres));
        self
    }

    /// Every statement, in `dialect`, separated by `;`: each table's `CREATE TABLE` and
    /// `CREATE INDEX`es ([`table_sql`](super::table_sql), [`indexes_sql`](super::indexes_sql)),
    /// then the added SQL.
    pub fn sql_for(&self, dialect: Dialect) -> String {
        let mut statements = Vec::new();
        for t in &self.tables {
            statements.push(table_sql(dialect, t.name, t.primary_key, t.columns));
            statements.extend(indexes_sql(dialect, t.name, t.primary_key, t.columns));
        }
        for (sqlite, postgres) in &self.sql {
            statements.push(
                match dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => postgres,
                }
                .trim()
                .trim_end_matches(';')
                .to_owned(),
            );
        }
        statements.join(";\n")
    }
}

/// The version recorded for a schema created from its declarations.
const DECLARED: i64 = 0;

impl Database {
    /// Brings the database to `schema`, then checks every table of it
    /// ([`check_columns`](Self::check_columns)).
    ///
    /// - **A new database** (no migration recorded) gets `schema` as declared
    ///   ([`Schema::sql_for`]), in one transaction; every migration of `migrations` is
    ///   recorded as applied without being run, since the declarations already say what they
    ///   did.
    /// - **An older database** (made from the migrations, or from older declarations) runs the
    ///   migrations it has not recorded, as [`migrate`](Self::migrate) does.
    ///
    /// So the declarations say what the schema is, and the migrations are the way an existing
    /// database gets there: a change to a declaration comes with the migration that makes it
    /// (Django's squashed migrations, with the models as the squash). Versions start at 1.
    /// On PostgreSQL it holds the migration lock, so instances starting together create the
    /// schema once.
    ///
    /// ```
    /// use restframe::sql::{Column, Database, Migration, Schema};
    /// const TAG: &[Column] = &[Column::integer("id").primary_key(), Column::text("name")];
    /// // Version 1 made the table; version 2 added `name` to it.
    /// const MIGRATIONS: &[Migration] = &[
    ///     Migration::same(1, "tag", "CREATE TABLE tag (id INTEGER PRIMARY KEY)"),
    ///     Migration::same(2, "tag.name", "ALTER TABLE tag ADD COLUMN name TEXT NOT NULL DEFAULT ''"),
    /// ];
    /// let schema = Schema::new().table_with("tag", "id", TAG);
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// // A new database: the table as declared, both migrations recorded.
    /// let new = Database::connect("sqlite::memory:").await?;
    /// new.create_or_upgrade(&schema, MIGRATIONS).await?;
    /// // A database that has version 1 only: version 2 runs.
    /// let old = Database::connect("sqlite::memory:").await?;
    /// old.migrate(&MIGRATIONS[..1]).await?;
    /// assert!(old.check_columns("tag", "id", TAG).await.is_err());
    /// old.create_or_upgrade(&schema, MIGRATIONS).await?;
    /// old.check_columns("tag", "id", TAG).await?;
    /// # Ok::<(), restframe::sql::DbError>(())
    /// # }).unwrap();
    /// ```
    pub async fn create_or_upgrade(
        &self,
        schema: &Schema,
        migrations: &[Migration],
    ) -> Result<(), DbError> {
        if let Some(m) = migrations.iter().find(|m| m.version <= DECLARED) {
            return Err(DbError::Other(format!(
                "migration {:?} has version {}: versions start at 1 (0 records a schema \
                 created from its declarations)",
                m.name, m.version
            )));
        }
        let mut sorted = migrations.to_vec();
        sorted.sort_by_key(|m| m.version);
        let declared = schema.sql_for(self.dialect());
        self.migrate_or_create(sorted, declared).await?;
        self.check_schema(schema).await
    }

    /// Checks every table of `schema` against the database
    /// ([`check_columns`](Self::check_columns)), the first mismatch failing.
    pub async fn check_schema(&self, schema: &Schema) -> Result<(), DbError> {
        for t in &schema.tables {
            self.check_columns(t.name, t.primary_key, t.columns).await?;
        }
        Ok(())
    }
}

/// What a new database records: the declared schema, then each migration it stands for.
pub(crate) fn declared_records(migrations: &[Migration]) -> Vec<(i64, &'static str)> {
    std::iter::once((DECLARED, "the schema as declared"))
        .chain(migrations.iter().map(|m| (m.version, m.name)))
        .collect()
}

#[cfg(all(test, feature = "sqlite"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sql::{ColumnType, OnDelete, SqlValue};

    const USER: &[Column] = &[Column::integer("id").primary_key(), Column::text("name")];
    const PROFILE: &[Column] = &[
        Column::integer("user_id")
            .primary_key()
            .references("app_user", "id", OnDelete::Cascade),
        Column::text("bio").index(),
    ];

    fn schema() -> Schema {
        Schema::new()
            .table_with("app_user", "id", USER)
            .table_with("profile", "user_id", PROFILE)
    }

    async fn count(db: &Database, sql: &str) -> i64 {
        match db.query(sql, vec![], &[ColumnType::Integer]).await.unwrap()[..] {
            [ref row] => match row[..] {
                [SqlValue::Integer(n)] => n,
                _ => panic!("not a count"),
            },
            _ => panic!("not one row"),
        }
    }

    #[tokio::test]
    async fn a_new_database_gets_the_declarations_and_records_every_migration() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let migrations = [Migration::same(1, "never run", "this is not SQL")];
        db.create_or_upgrade(&schema(), &migrations).await.unwrap();
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM restframe_migrations").await,
            2
        );
        // Again: nothing to do.
        db.create_or_upgrade(&schema(), &migrations).await.unwrap();
        // The profile's key is the user's, not one the database makes; it goes with its user.
        db.query(
            "INSERT INTO app_user (id, name) VALUES (7, 'ann')",
            vec![],
            &[],
        )
        .await
        .unwrap();
        db.query(
            "INSERT INTO profile (user_id, bio) VALUES (7, 'hi')",
            vec![],
            &[],
        )
        .await
        .unwrap();
        assert!(
            db.query(
                "INSERT INTO profile (user_id, bio) VALUES (8, 'nobody')",
                vec![],
                &[]
            )
            .await
            .is_err()
        );
        db.query("DELETE FROM app_user WHERE id = 7", vec![], &[])
            .await
            .unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM profile").await, 0);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'profile_bio'"
            )
            .await,
            1
        );
    }

    #[tokio::test]
    async fn an_older_database_runs_the_migrations_it_lacks() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let migrations = [
            Migration::same(1, "user", "CREATE TABLE app_user (id INTEGER PRIMARY KEY)"),
            Migration::same(
                2,
                "user.name",
                "ALTER TABLE app_user ADD COLUMN name TEXT NOT NULL DEFAULT ''; \
                 CREATE TABLE profile (user_id INTEGER PRIMARY KEY REFERENCES app_user (id) \
                 ON DELETE CASCADE, bio TEXT NOT NULL)",
            ),
        ];
        db.migrate(&migrations[..1]).await.unwrap();
        db.create_or_upgrade(&schema(), &migrations).await.unwrap();
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM restframe_migrations").await,
            2
        );
        // Not created from the declarations: no index.
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'profile_bio'"
            )
            .await,
            0
        );
    }

    #[tokio::test]
    async fn a_migration_that_misses_a_declared_column_fails_the_check() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let migrations = [Migration::same(
            1,
            "user",
            "CREATE TABLE app_user (id INTEGER PRIMARY KEY)",
        )];
        db.migrate(&migrations).await.unwrap();
        let err = db
            .create_or_upgrade(&schema(), &migrations)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("app_user"), "{err}");
        let zero = [Migration::same(0, "zero", "")];
        let err = db.create_or_upgrade(&schema(), &zero).await.unwrap_err();
        assert!(err.to_string().contains("versions start at 1"), "{err}");
    }
}
