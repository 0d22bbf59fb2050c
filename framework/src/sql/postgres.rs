//! PostgreSQL through sqlx. Statements carry `$N::type` casts (see `statement.rs`), so every
//! value binds as its natural Rust type and NULLs bind as text.

use sqlx::postgres::{PgArguments, PgConnection, PgDatabaseError, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Connection, Postgres, Row};

pub(crate) use super::postgres_pool::Pool;
use super::value::{ColumnType, SqlValue};
use super::{DbError, Migration, Read};

/// A lock id for `pg_advisory_xact_lock`, so instances starting together migrate in turn.
const MIGRATION_LOCK: i64 = 0x7265_7374_6672_616d; // "restfram"

fn db_error(e: sqlx::Error) -> DbError {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some("23505")
    {
        // "Key (team, login)=(a, b) already exists."; an index on an expression gives
        // "Key (lower(login))=…", which the repository drops as no column of its table.
        let columns = db
            .try_downcast_ref::<PgDatabaseError>()
            .and_then(|pg| pg.detail())
            .and_then(|d| d.strip_prefix("Key ("))
            .and_then(|d| d.split_once(")=").map(|(c, _)| c))
            .map(|c| c.split(", ").map(str::to_owned).collect())
            .unwrap_or_default();
        return DbError::Unique(columns);
    }
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some("23503")
    {
        return DbError::ForeignKey;
    }
    DbError::Other(e.to_string())
}

/// How long the first connection may take before start-up gives up.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) async fn connect(url: &str) -> Result<Pool, DbError> {
    // One direct connection first, so that an unreachable server or a refused login is reported
    // as itself within 5 s, not as the pool's "timed out" after 30 s of silent retries.
    let options: sqlx::postgres::PgConnectOptions = url.parse().map_err(db_error)?;
    let first = tokio::time::timeout(
        CONNECT_TIMEOUT,
        <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&options),
    )
    .await;
    match first {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
        }
        Ok(Err(e)) => {
            return Err(DbError::Other(format!("cannot connect to PostgreSQL: {e}")));
        }
        Err(_) => {
            return Err(DbError::Other(format!(
                "cannot connect to PostgreSQL: no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            )));
        }
    }
    // No ping before a connection is used, nor as it is given back (`postgres_pool.rs`): one
    // the server closed while idle is found by the statement that uses it next, which fails,
    // as with Django's default (`CONN_HEALTH_CHECKS` off).
    Ok(Pool::new(options))
}

fn bind(
    mut query: Query<'_, Postgres, PgArguments>,
    params: Vec<SqlValue>,
) -> Query<'_, Postgres, PgArguments> {
    for p in params {
        query = match p {
            SqlValue::Null => query.bind(None::<String>),
            SqlValue::Integer(i) => query.bind(i),
            SqlValue::Real(f) => query.bind(f),
            SqlValue::Text(s) => query.bind(s),
            SqlValue::Boolean(b) => query.bind(b),
            SqlValue::Blob(b) => query.bind(b),
            // Cast to JSONB by the placeholder (`$1::jsonb`).
            SqlValue::Json(v) => query.bind(v.to_string()),
        };
    }
    query
}

fn decode(row: &PgRow, types: &[ColumnType]) -> Result<Vec<SqlValue>, DbError> {
    let err = |e: sqlx::Error| DbError::Other(e.to_string());
    types
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let v = match ty {
                ColumnType::Integer => row
                    .try_get::<Option<i64>, _>(i)
                    .map_err(err)?
                    .map(SqlValue::Integer),
                ColumnType::Real => row
                    .try_get::<Option<f64>, _>(i)
                    .map_err(err)?
                    .map(SqlValue::Real),
                ColumnType::Boolean => row
                    .try_get::<Option<bool>, _>(i)
                    .map_err(err)?
                    .map(SqlValue::Boolean),
                // Dates, decimals, UUIDs and JSON are selected as `::text`, datetimes as
                // RFC 3339 text (see `statement.rs`); JSON text becomes a value in `mod.rs`.
                ColumnType::Text
                | ColumnType::Date
                | ColumnType::Decimal
                | ColumnType::DateTime
                | ColumnType::Uuid
                | ColumnType::Json => row
                    .try_get::<Option<String>, _>(i)
                    .map_err(err)?
                    .map(SqlValue::Text),
                ColumnType::Blob => row
                    .try_get::<Option<Vec<u8>>, _>(i)
                    .map_err(err)?
                    .map(SqlValue::Blob),
            };
            Ok(v.unwrap_or(SqlValue::Null))
        })
        .collect()
}

pub(crate) async fn fetch(
    pool: &Pool,
    sql: &str,
    params: Vec<SqlValue>,
    types: &[ColumnType],
) -> Result<Vec<Vec<SqlValue>>, DbError> {
    let mut lease = pool.acquire().await?;
    let rows = bind(sqlx::query(AssertSqlSafe(sql.to_owned())), params)
        .fetch_all(lease.conn()?)
        .await;
    let rows = lease.finish_if_sound(rows).map_err(db_error)?;
    rows.iter().map(|r| decode(r, types)).collect()
}

pub(crate) async fn execute(pool: &Pool, sql: &str, params: Vec<SqlValue>) -> Result<u64, DbError> {
    let mut lease = pool.acquire().await?;
    let done = bind(sqlx::query(AssertSqlSafe(sql.to_owned())), params)
        .execute(lease.conn()?)
        .await;
    let done = lease.finish_if_sound(done).map_err(db_error)?;
    Ok(done.rows_affected())
}

/// Runs `work` on a connection of `pool`, given back only when it succeeds (a failed
/// transaction's connection is closed, which rolls it back).
async fn on_connection<T>(
    pool: &Pool,
    work: impl AsyncFnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let mut lease = pool.acquire().await?;
    let out = work(lease.conn()?).await;
    if out.is_ok() {
        lease.finish();
    }
    out
}

/// Runs `statements` in one read-only, repeatable-read transaction.
///
/// The transaction runs in a task of its own, to the end, whatever becomes of the request that
/// asked. With sqlx's pool, a future dropped while its `BEGIN` was in flight put the connection
/// back still inside that transaction (sqlx 0.9.0, transact-rs/sqlx#4393), and the writes that
/// later borrowed it were acknowledged, then rolled back. Our pool closes a connection whose
/// work did not finish, so that cannot happen; the task stays so that a list a client walked
/// away from still costs one transaction, not a connection opened again.
pub(crate) async fn fetch_consistent(
    pool: &Pool,
    statements: Vec<Read>,
) -> Result<Vec<Vec<Vec<SqlValue>>>, DbError> {
    let pool = pool.clone();
    tokio::spawn(async move { consistent(&pool, statements).await })
        .await
        .map_err(|e| DbError::Other(format!("the read transaction's task: {e}")))?
}

async fn consistent(
    pool: &Pool,
    statements: Vec<Read>,
) -> Result<Vec<Vec<Vec<SqlValue>>>, DbError> {
    on_connection(pool, async |conn| read_consistent(conn, statements).await).await
}

async fn read_consistent(
    conn: &mut PgConnection,
    statements: Vec<Read>,
) -> Result<Vec<Vec<Vec<SqlValue>>>, DbError> {
    // One round trip for the transaction and its isolation, not two.
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(db_error)?;
    let mut out = Vec::with_capacity(statements.len());
    for (sql, params, types) in statements {
        let rows = bind(sqlx::query(AssertSqlSafe(sql.to_string())), params)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        out.push(
            rows.iter()
                .map(|r| decode(r, &types))
                .collect::<Result<_, _>>()?,
        );
    }
    tx.commit().await.map_err(db_error)?;
    Ok(out)
}

/// Runs `sql` (DDL) in a transaction holding the migration lock, so instances starting
/// together do not race on `CREATE TABLE IF NOT EXISTS` (which can fail on PostgreSQL's
/// catalogue when two create the same table at once).
pub(crate) async fn execute_locked(pool: &Pool, sql: &str) -> Result<(), DbError> {
    on_connection(pool, async |conn| execute_locked_on(conn, sql).await).await
}

async fn execute_locked_on(conn: &mut PgConnection, sql: &str) -> Result<(), DbError> {
    let mut tx = conn.begin().await.map_err(db_error)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// Runs the migrations not recorded; with `declared`, a database with none recorded runs
/// that instead and records them all ([`super::Database::create_or_upgrade`]).
pub(crate) async fn migrate(
    pool: &Pool,
    migrations: &[Migration],
    declared: Option<&str>,
) -> Result<(), DbError> {
    on_connection(pool, async |conn| {
        migrate_on(conn, migrations, declared).await
    })
    .await
}

async fn migrate_on(
    conn: &mut PgConnection,
    migrations: &[Migration],
    declared: Option<&str>,
) -> Result<(), DbError> {
    let mut tx = conn.begin().await.map_err(db_error)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS restframe_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    if let Some(declared) = declared {
        let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM restframe_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        if recorded == 0 {
            sqlx::raw_sql(AssertSqlSafe(declared.to_owned()))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            for (version, name) in super::setup::declared_records(migrations) {
                sqlx::query("INSERT INTO restframe_migrations (version, name) VALUES ($1, $2)")
                    .bind(version)
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            return tx.commit().await.map_err(db_error);
        }
    }
    for m in migrations {
        let done: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM restframe_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        if done == 0 {
            sqlx::raw_sql(m.postgres)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            sqlx::query("INSERT INTO restframe_migrations (version, name) VALUES ($1, $2)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
    }
    tx.commit().await.map_err(db_error)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{SqlValue, connect, fetch_consistent};
    use crate::sql::ColumnType;

    /// The count and the page of a list read one snapshot: the transaction is repeatable-read
    /// and read-only, as its one `BEGIN` asks.
    #[tokio::test]
    #[ignore = "needs PostgreSQL: ./tests/run-all starts one (or set RESTFRAME_TEST_POSTGRES_URL and pass --include-ignored)"]
    async fn a_consistent_read_is_one_repeatable_read_only_transaction() {
        let url = std::env::var("RESTFRAME_TEST_POSTGRES_URL")
            .expect("RESTFRAME_TEST_POSTGRES_URL: run ./tests/run-all, which starts PostgreSQL");
        let pool = connect(&url).await.unwrap();
        let text: Arc<[ColumnType]> = Arc::from([ColumnType::Text]);
        let setting = |name: &str| {
            (
                Arc::from(format!("SELECT current_setting('{name}')")),
                Vec::new(),
                Arc::clone(&text),
            )
        };
        let got = fetch_consistent(
            &pool,
            vec![
                setting("transaction_isolation"),
                setting("transaction_read_only"),
            ],
        )
        .await
        .unwrap();
        let values: Vec<&SqlValue> = got.iter().map(|rows| &rows[0][0]).collect();
        assert_eq!(
            values,
            [
                &SqlValue::Text("repeatable read".into()),
                &SqlValue::Text("on".into())
            ]
        );
    }
}
