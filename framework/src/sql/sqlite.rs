//! SQLite through rusqlite, in WAL mode with cached prepared statements: a small pool of read
//! connections, each with a reader thread of its own (`sqlite_readers`; a read runs on the
//! calling thread instead when a connection is free and the read ends within 1 ms), and one
//! write connection owned by the writer thread (`sqlite_writer`), which commits writes that
//! arrive together as a group, and whose WAL is checkpointed by a thread of its own
//! (`sqlite_checkpointer`). Chosen over sqlx's SQLite driver by measurement
//! (docs/performance.md): 1.8–3× the throughput for a 100-row page.

use std::cmp::Ordering;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql, TransactionBehavior, params_from_iter};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, value as row_error};

use super::sqlite_readers::Readers;
use super::sqlite_row::from_sqlite_row;
use super::sqlite_writer::{Output, Writer};
use super::statement::DECIMAL_COLLATION;
use super::value::{ColumnType, SqlValue};
use super::{DbError, Migration, PageCount};
use crate::rows::{Found, POINT_LOOKUPS, RowPage, RowPlan, Stored, json_keys};

/// How the decimal collation orders two texts: as the numbers they write (`2.5` < `10`,
/// `1.50` = `1.5`), exactly; text that is no number after every number, by its bytes.
fn decimal_order(a: &str, b: &str) -> Ordering {
    let number = |s: &str| {
        s.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(s))
    };
    match (number(a), number(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// N connections for reads, each used by a reader thread ([`Readers`]), and for a file one
/// more, owned by the [`Writer`] thread, for every write. An in-memory database has one
/// connection for everything.
pub(crate) struct Pool {
    readers: Readers,
    writer: Option<Writer>,
}

/// Whether `sql` only reads (`SELECT …`): it may run on any connection. Anything else goes to
/// the writer.
fn reads_only(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"))
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(Value::Null),
            SqlValue::Integer(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            SqlValue::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
            SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            SqlValue::Boolean(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            SqlValue::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            SqlValue::Json(v) => ToSqlOutput::Owned(Value::Text(v.to_string())),
        })
    }
}

/// Sets up one connection of the pool: WAL (on a file), foreign keys, the decimal collation, a
/// statement cache, and the query planner's stability guarantee (QPSG). Without QPSG, SQLite
/// 3.46+ reads the value bound to `LIMIT ?` while planning and marks the statement expired
/// whenever it is bound again, so every page was prepared anew (a `sqlite3Reprepare` of about
/// 100 K instructions per list request). Plans no longer depend on bound values.
fn configure(conn: &Connection, memory: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    if !memory {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.create_collation(DECIMAL_COLLATION, decimal_order)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub(crate) fn db_error(e: rusqlite::Error) -> DbError {
    if let rusqlite::Error::SqliteFailure(err, message) = &e
        && err.code == ErrorCode::ConstraintViolation
        // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
        && matches!(err.extended_code, 2067 | 1555)
    {
        // "UNIQUE constraint failed: team.name, team.city"; an index on an expression gives
        // "…: index 'name'", which names no column.
        let columns = message
            .as_deref()
            .and_then(|m| m.split_once(": "))
            .map(|(_, list)| {
                list.split(", ")
                    .filter_map(|c| c.split_once('.').map(|(_, column)| column.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        return DbError::Unique(columns);
    }
    if let rusqlite::Error::SqliteFailure(err, message) = &e
        && err.code == ErrorCode::ConstraintViolation
        // SQLITE_CONSTRAINT_FOREIGNKEY; a RESTRICT action reports its own code with the same
        // message.
        && (err.extended_code == 787
            || message.as_deref() == Some("FOREIGN KEY constraint failed"))
    {
        return DbError::ForeignKey;
    }
    DbError::Other(e.to_string())
}

/// How a SQLite file is shared with other processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Locking {
    /// Any process may open the file while the pool has it open (SQLite's default): each read
    /// transaction takes and drops POSIX locks on the file and on its `-shm` index.
    #[default]
    Shared,
    /// The pool's process holds the file alone (SQLite's `unix-excl` VFS): its connections
    /// share the locks in memory and the WAL index lives in the heap, not in `-shm`; another
    /// process that opens the file finds it locked. A detail went from 27,767 / 28,606 to
    /// 35,335 / 33,463 req/s (docs/performance.md).
    Exclusive,
}

/// The `unix-excl` VFS exists on Unix only.
const EXCLUSIVE_VFS: &str = "unix-excl";

/// Splits a SQLite URL's rest (`path/to/file.db?exclusive=true`) into the path and how it is
/// locked; an unknown parameter or value is an error that names it.
pub(crate) fn parse_url(rest: &str) -> Result<(&str, Locking), DbError> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut locking = Locking::Shared;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        locking = match pair.split_once('=') {
            Some(("exclusive", "true" | "1")) => Locking::Exclusive,
            Some(("exclusive", "false" | "0")) => Locking::Shared,
            _ => {
                return Err(DbError::Url(format!(
                    "unsupported SQLite URL parameter {pair:?} (expected exclusive=true or \
                     exclusive=false)"
                )));
            }
        };
    }
    Ok((path, locking))
}

impl Pool {
    /// Opens `path` (`:memory:` for a private in-memory database on one connection), shared
    /// with other processes or not as `locking` says.
    pub(crate) async fn open(path: &str, locking: Locking) -> Result<Self, DbError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, locking))
            .await
            .map_err(|e| DbError::Other(e.to_string()))?
    }

    fn open_blocking(path: &str, locking: Locking) -> Result<Self, DbError> {
        let memory = path == ":memory:" || path.is_empty();
        if !memory
            && let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Other(format!("creating {}: {e}", dir.display())))?;
        }
        let size = if memory {
            1
        } else {
            std::thread::available_parallelism().map_or(4, |n| n.get().clamp(2, 8))
        };
        // A file gets its writer's and its checkpointer's connections too.
        let count = if memory { 1 } else { size + 2 };
        let mut connections = (0..count)
            .map(|_| {
                let conn = if memory {
                    Connection::open_in_memory()?
                } else {
                    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                        | OpenFlags::SQLITE_OPEN_CREATE
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI;
                    match locking {
                        Locking::Shared => Connection::open_with_flags(path, flags)?,
                        Locking::Exclusive => {
                            Connection::open_with_flags_and_vfs(path, flags, EXCLUSIVE_VFS)?
                        }
                    }
                };
                configure(&conn, memory)?;
                Ok(conn)
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_error)?;
        let writer = if memory {
            None
        } else {
            match (connections.pop(), connections.pop()) {
                (Some(conn), Some(checkpoints)) => Some(Writer::start(conn, checkpoints)?),
                _ => None,
            }
        };
        Ok(Self {
            readers: Readers::start(connections)?,
            writer,
        })
    }

    /// Runs `f` on a free connection on a reader thread.
    async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.readers.run(false, f).await
    }

    /// Runs the read `f` on this thread when a read connection is free at once and `f` ends
    /// within [`HERE_BUDGET`](super::sqlite_readers::HERE_BUDGET); else (given up past it) on
    /// a reader thread. An `urgent` read, a point read by primary key, has no budget (its keys
    /// bound it) and goes ahead of the pages and counts queued. A page read here is
    /// freed by the thread that allocated it, and skips two hand-offs: a 100-row list went
    /// from 7,701 / 7,667 to 8,855 / 8,738 req/s, its p99 from 8.4 to 6.7 ms
    /// (docs/performance.md).
    async fn read<T, F>(&self, urgent: bool, f: F) -> Result<T, DbError>
    where
        F: Fn(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(found) = self.readers.try_here(!urgent, &f) {
            return found;
        }
        self.readers.run(urgent, f).await
    }

    pub(crate) async fn fetch(
        self: &Arc<Self>,
        sql: Arc<str>,
        params: Vec<SqlValue>,
    ) -> Result<Vec<Vec<SqlValue>>, DbError> {
        match &self.writer {
            Some(writer) if !reads_only(&sql) => match writer.statement(sql, params, true).await? {
                Output::Rows(rows) => Ok(rows),
                Output::Changed(_) => Ok(Vec::new()),
            },
            // An in-memory database's one connection writes too: a write runs once, there.
            None if !reads_only(&sql) => self.run(move |conn| rows(conn, &sql, &params)).await,
            _ => {
                self.read(false, move |conn| rows(conn, &sql, &params))
                    .await
            }
        }
    }

    pub(crate) async fn execute(
        self: &Arc<Self>,
        sql: Arc<str>,
        params: Vec<SqlValue>,
    ) -> Result<u64, DbError> {
        if let Some(writer) = &self.writer {
            return match writer.statement(sql, params, false).await? {
                Output::Changed(n) => Ok(n),
                Output::Rows(rows) => Ok(rows.len() as u64),
            };
        }
        self.run(move |conn| {
            // `execute` steps the statement to SQLITE_DONE.
            let n = conn
                .prepare_cached(&sql)?
                .execute(params_from_iter(params.iter()))?;
            Ok(n as u64)
        })
        .await
    }

    /// The rows of `page` read straight into `T` ([`models`]) and, with `count`, how many
    /// rows it is a page of; [`read`](Self::read), urgent for a `point` read. The outer error
    /// is the database's, the inner one the row's that did not fit `T`.
    ///
    /// With `count`, `page`'s statement has the count as a last column
    /// ([`super::statement::Statements::page`]). An empty page carries no count:
    /// then the count and the page are read again, one after the other in one deferred
    /// transaction, so that they agree. With what was read, how many statements it took: 1,
    /// or 3 for an empty counted page.
    pub(crate) async fn fetch_page<T: DeserializeOwned + Send + 'static>(
        &self,
        point: bool,
        count: Option<PageCount>,
        page: (Arc<str>, Vec<SqlValue>),
        names: Arc<[&'static str]>,
        types: Arc<[ColumnType]>,
    ) -> Result<(Counted<T>, u64), DbError> {
        self.read_page(point, count, page, move |conn, sql, params, counted| {
            models(conn, sql, params, &names, &types, counted)
        })
        .await
    }

    /// [`fetch_page`](Self::fetch_page) into a [`RowPage`] for `plan`: `None` in place of the
    /// page when a row does not read as the model ([`row_page`]).
    pub(crate) async fn fetch_row_page(
        &self,
        count: Option<PageCount>,
        page: (Arc<str>, Vec<SqlValue>),
        plan: Arc<RowPlan>,
        rows: usize,
    ) -> Result<((Option<i64>, Option<RowPage>), u64), DbError> {
        self.read_page(false, count, page, move |conn, sql, params, counted| {
            let page = RowPage::new(Arc::clone(&plan), rows);
            // Related lookups read the page's snapshot: one read transaction for all (unless
            // the read is in one already: an empty page's count).
            if plan.related().is_empty() || !conn.is_autocommit() {
                return row_page(conn, sql, params, page, counted);
            }
            let tx = ReadTransaction::begin(conn)?;
            let read = row_page(conn, sql, params, page, counted)?;
            tx.commit()?;
            Ok(read)
        })
        .await
    }

    /// A page's read, with `read` (`conn`, the SQL, its parameters, whether each row carries
    /// the count): the count read again with the page in one transaction when the page is
    /// empty, as [`fetch_page`](Self::fetch_page) says.
    async fn read_page<T: Send + 'static>(
        &self,
        point: bool,
        count: Option<PageCount>,
        page: (Arc<str>, Vec<SqlValue>),
        read: impl Fn(&Connection, &str, &[SqlValue], bool) -> rusqlite::Result<(Option<i64>, T)>
        + Send
        + 'static,
    ) -> Result<((Option<i64>, T), u64), DbError> {
        self.read(point, move |conn| {
            let (sql, params) = &page;
            let first = read(conn, sql, params, count.is_some())?;
            let Some(count) = &count else {
                return Ok((first, 1));
            };
            if first.0.is_some() {
                return Ok((first, 1));
            }
            let tx = ReadTransaction::begin(conn)?;
            let counted = conn.prepare_cached(&count.sql)?.query_row(
                params_from_iter(params.get(..count.params).unwrap_or(params)),
                |row| row.get(0),
            )?;
            // The page's own count is not needed: the statement above read the same snapshot.
            let (_, items) = read(conn, sql, params, true)?;
            tx.commit()?;
            Ok(((Some(counted), items), 3))
        })
        .await
    }
}

/// Runs `sql`, one statement without parameters (`BEGIN`, `COMMIT`, `SAVEPOINT one`), from the
/// connection's statement cache: `execute_batch` (which rusqlite's `Transaction` uses) parses
/// it anew each time.
pub(crate) fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// A deferred read transaction begun and ended with cached statements ([`run_cached`]): 1.7%
/// of a 100-row list's samples went to parsing its `BEGIN` and `COMMIT`. Dropped before
/// [`commit`](Self::commit) succeeds (an error, or a panic, in between), it rolls back, so the
/// connection never goes back to its pool inside a transaction.
struct ReadTransaction<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> ReadTransaction<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        run_cached(conn, "BEGIN DEFERRED")?;
        Ok(Self { conn, open: true })
    }

    fn commit(mut self) -> rusqlite::Result<()> {
        run_cached(self.conn, "COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for ReadTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = run_cached(self.conn, "ROLLBACK");
        }
    }
}

/// What [`models`] reads: the count a counted page's first row carries, and the rows, or the
/// error of the first that did not fit `T`.
pub(crate) type Counted<T> = (Option<i64>, Result<Vec<T>, row_error::Error>);

/// Every row of `sql`, each read into a `T` as it is stepped ([`from_sqlite_row`]), its
/// columns named by `names` and typed by `types`. Stepped to the end as [`rows`] is, unless a
/// row does not fit `T` (the statement is then reset, which ends its read as well). `counted`:
/// each row has one more column after those, a count
/// ([`super::statement::Statements::page`]), read from the first row; `None` when
/// there is no row.
pub(crate) fn models<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    names: &[&'static str],
    types: &[ColumnType],
    counted: bool,
) -> rusqlite::Result<Counted<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    let mut count = None;
    while let Some(row) = rows.next()? {
        if counted && count.is_none() {
            count = Some(row.get(names.len())?);
        }
        match from_sqlite_row(row, names, types) {
            Ok(model) => out.push(model),
            Err(e) => return Ok((count, Err(e))),
        }
    }
    Ok((count, Ok(out)))
}

/// [`models`] into `page`, straight from each row's values ([`RowPage::push`]), then its plan's
/// related columns, each of the page's keys looked up once ([`RowPage::fill_related`]); `None`
/// in place of the page when a row or a related value does not read as the model would read
/// it (the statement is then reset, and the list reads models instead).
pub(crate) fn row_page(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    mut page: RowPage,
    counted: bool,
) -> rusqlite::Result<(Option<i64>, Option<RowPage>)> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let columns = page.columns();
    let mut count = None;
    while let Some(row) = rows.next()? {
        if counted && count.is_none() {
            count = Some(row.get(columns)?);
        }
        let fits = page.push(|i| stored(row, i));
        if !fits {
            return Ok((count, None));
        }
    }
    drop(rows);
    let plan = Arc::clone(page.plan());
    for lookup in plan.related() {
        let mut found = Found::default();
        let keys = page.related_keys(lookup);
        // A few keys one by one; more in one statement.
        let (sql, params): (_, Vec<SqlValue>) = if keys.len() <= POINT_LOOKUPS {
            (
                &lookup.one,
                keys.into_iter().map(SqlValue::Integer).collect(),
            )
        } else {
            (&lookup.many, vec![SqlValue::Text(json_keys(&keys))])
        };
        if !params.is_empty() {
            let mut stmt = conn.prepare_cached(sql)?;
            for param in params {
                let mut rows = stmt.query([param])?;
                page.lookup_run();
                while let Some(row) = rows.next()? {
                    let (Some(key), Some(value)) = (stored(row, 0), stored(row, 1)) else {
                        return Ok((count, None));
                    };
                    if !page.related_found(lookup, &mut found, key, value) {
                        return Ok((count, None));
                    }
                }
            }
        }
        if !page.fill_related(lookup, found) {
            return Ok((count, None));
        }
    }
    Ok((count, page.finish().then_some(page)))
}

/// Column `i` of `row` as a [`Stored`] value; `None` when it cannot be read.
fn stored<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Option<Stored<'r>> {
    row.get_ref(i).ok().map(|value| match value {
        ValueRef::Null => Stored::Null,
        ValueRef::Integer(n) => Stored::Integer(n),
        ValueRef::Real(f) => Stored::Real(f),
        ValueRef::Text(t) => Stored::Text(t),
        ValueRef::Blob(_) => Stored::Other,
    })
}

/// Every row of `sql`: the statement is stepped until SQLite says it is done, so that it
/// leaves no read open (which would keep a checkpoint from copying the frames after it).
pub(crate) fn rows(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
) -> rusqlite::Result<Vec<Vec<SqlValue>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(n) => SqlValue::Integer(n),
                ValueRef::Real(f) => SqlValue::Real(f),
                // Valid UTF-8 (as everything the repositories write is) is copied as it is.
                ValueRef::Text(t) => SqlValue::Text(match std::str::from_utf8(t) {
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(t).into_owned(),
                }),
                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
            });
        }
        out.push(values);
    }
    Ok(out)
}

/// Runs the migrations not recorded; with `declared`, a database with none recorded runs
/// that instead and records them all ([`super::Database::create_or_upgrade`]).
pub(crate) async fn migrate(
    pool: &Arc<Pool>,
    migrations: Vec<Migration>,
    declared: Option<String>,
) -> Result<(), DbError> {
    let migrate = move |conn: &mut Connection| -> rusqlite::Result<()> {
        // IMMEDIATE takes the write lock first, so two processes starting together migrate
        // one after the other.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS restframe_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
            )",
        )?;
        if let Some(declared) = &declared {
            let recorded: i64 =
                tx.query_row("SELECT COUNT(*) FROM restframe_migrations", [], |r| {
                    r.get(0)
                })?;
            if recorded == 0 {
                tx.execute_batch(declared)?;
                for (version, name) in super::setup::declared_records(&migrations) {
                    tx.execute(
                        "INSERT INTO restframe_migrations (version, name) VALUES (?1, ?2)",
                        rusqlite::params![version, name],
                    )?;
                }
                return tx.commit();
            }
        }
        for m in &migrations {
            let done: i64 = tx.query_row(
                "SELECT COUNT(*) FROM restframe_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )?;
            if done == 0 {
                tx.execute_batch(m.sqlite)?;
                tx.execute(
                    "INSERT INTO restframe_migrations (version, name) VALUES (?1, ?2)",
                    rusqlite::params![m.version, m.name],
                )?;
            }
        }
        tx.commit()
    };
    match &pool.writer {
        Some(writer) => {
            writer
                .alone(move |conn| migrate(conn).map_err(db_error))
                .await
        }
        None => pool.run(migrate).await,
    }
}

#[cfg(test)]
mod tests {
    use super::{PageCount, configure, decimal_order};
    use rusqlite::{Connection, StatementStatus};
    use std::cmp::Ordering;

    /// Fails without QPSG: SQLite reads the value bound to `LIMIT ?` while planning, and each
    /// new binding then expires the statement.
    #[test]
    fn a_page_query_is_prepared_once_whatever_its_limit() {
        let conn = Connection::open_in_memory().unwrap();
        configure(&conn, true).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t (a) VALUES ('x'), ('y'), ('z');")
            .unwrap();
        let sql = "SELECT id, a FROM t ORDER BY a LIMIT ? OFFSET ?";
        for (limit, offset) in [(1, 0), (2, 1), (3, 0), (1, 2)] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let rows: Vec<i64> = stmt
                .query_map([limit, offset], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len() as i64, limit.min(3 - offset));
            assert_eq!(
                stmt.get_status(StatementStatus::RePrepare),
                0,
                "LIMIT {limit}"
            );
        }
    }

    /// A read runs on the calling thread; one that outlasts the budget there is given up and
    /// run to its end on a reader thread, on a connection left without the budget.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_read_moves_to_a_reader_thread() {
        let pool = super::Pool::open(":memory:", super::Locking::Shared)
            .await
            .unwrap();
        let here = std::thread::current().id();
        let read = |sql: &'static str| {
            pool.read(false, move |conn| {
                let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
                Ok((n, std::thread::current().id()))
            })
        };
        let (n, ran_on) = read("SELECT 41 + 1").await.unwrap();
        assert_eq!((n, ran_on), (42, here));
        let started = std::time::Instant::now();
        let (n, ran_on) = read(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) \
             SELECT count(*) FROM c",
        )
        .await
        .unwrap();
        assert_eq!(n, 2_000_000);
        assert_ne!(ran_on, here);
        assert!(started.elapsed() > super::super::sqlite_readers::HERE_BUDGET);
        // The connection is back without the budget: a quick read runs here again.
        let (n, ran_on) = read("SELECT 7").await.unwrap();
        assert_eq!((n, ran_on), (7, here));
    }

    /// A counted page is read as one statement; an empty one is counted apart in a read
    /// transaction, which ends whether its reads fail or not: the connection is left outside
    /// any transaction, and the next read on it works.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_transaction_ends_whether_its_reads_fail_or_not() {
        let pool = super::Pool::open(":memory:", super::Locking::Shared)
            .await
            .unwrap();
        let page = |page: &str, count: &str| {
            pool.fetch_page::<serde_json::Value>(
                false,
                Some(PageCount {
                    sql: count.into(),
                    params: 0,
                }),
                (page.into(), Vec::new()),
                std::sync::Arc::from([]),
                std::sync::Arc::from([]),
            )
        };
        let autocommit = || pool.read(false, |conn| Ok(conn.is_autocommit()));
        // A row carries the count: nothing more is read.
        let ((counted, items), statements) = page("SELECT 5", "SELECT count(*) FROM missing")
            .await
            .unwrap();
        assert_eq!((counted, items.unwrap().len(), statements), (Some(5), 1, 1));
        let empty = "SELECT 0 WHERE 0";
        assert!(page(empty, "SELECT count(*) FROM missing").await.is_err());
        assert!(autocommit().await.unwrap());
        let ((counted, items), statements) = page(empty, "SELECT 3").await.unwrap();
        assert_eq!((counted, statements), (Some(3), 3));
        assert_eq!(items.unwrap(), Vec::<serde_json::Value>::new());
        assert!(autocommit().await.unwrap());
    }

    #[test]
    fn decimals_order_as_numbers() {
        assert_eq!(decimal_order("2.5", "10"), Ordering::Less);
        assert_eq!(decimal_order("1.50", "1.5"), Ordering::Equal);
        assert_eq!(decimal_order("-3", "-20.1"), Ordering::Greater);
        assert_eq!(
            decimal_order("0.0000000000000000000000000001", "0"),
            Ordering::Greater
        );
        assert_eq!(decimal_order("9", "x"), Ordering::Less);
        assert_eq!(decimal_order("b", "a"), Ordering::Greater);
    }
}
