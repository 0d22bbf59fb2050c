//! SQLite's one writer, in process: a thread that owns the pool's write connection and runs
//! every write, so that no two connections of the process wait on each other in SQLite's busy
//! handler (which sleeps whole milliseconds). Writes that arrive while it is busy are committed
//! together (group commit): one transaction, each statement in a savepoint of its own, every
//! caller answered once the transaction has committed — a 201 still means committed. The
//! checkpoints run on a thread of their own (`sqlite_checkpointer`); the writer's own
//! auto-checkpoint is only a backstop.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use rusqlite::{Connection, params_from_iter};
use tokio::sync::oneshot;

use super::DbError;
use super::sqlite::run_cached;
use super::sqlite_checkpointer::Checkpointer;
use super::value::SqlValue;

/// The most statements one transaction commits.
pub(crate) const MAX_BATCH: usize = 64;

/// What a statement gives back.
pub(crate) enum Output {
    /// Its rows (`INSERT … RETURNING`, `UPDATE … RETURNING`, …).
    Rows(Vec<Vec<SqlValue>>),
    /// How many rows it changed.
    Changed(u64),
}

type Reply = oneshot::Sender<Result<Output, DbError>>;

/// A closure given the write connection on its own (a migration, a transaction of several
/// statements): it answers its caller itself.
type Alone = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    /// One statement, which may share a transaction with others.
    Statement {
        sql: std::sync::Arc<str>,
        params: Vec<SqlValue>,
        rows: bool,
        reply: Reply,
    },
    Alone(Alone),
}

/// The handle of the writer thread; the thread ends when the last handle goes.
pub(crate) struct Writer {
    jobs: Sender<Job>,
}

impl Writer {
    /// Starts the thread, which owns `conn` from now on, and the checkpointer's, which owns
    /// `checkpoints` (a second connection to the same file).
    pub(crate) fn start(conn: Connection, checkpoints: Connection) -> Result<Self, DbError> {
        // SQLite's own auto-checkpoint only as a backstop, for when the checkpointer falls
        // behind (its syncs slow on a busy disk): then the writer checkpoints as it used to.
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            super::sqlite_checkpointer::BACKSTOP_FRAMES,
        )
        .map_err(super::sqlite::db_error)?;
        let checkpointer = Checkpointer::start(checkpoints)?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("restframe-sqlite-writer".into())
            .spawn(move || run(conn, &queue, &checkpointer))
            .map_err(|e| DbError::Other(format!("starting the SQLite writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// Runs one statement on the write connection: its rows when `rows`, else the count of
    /// rows it changed.
    pub(crate) async fn statement(
        &self,
        sql: std::sync::Arc<str>,
        params: Vec<SqlValue>,
        rows: bool,
    ) -> Result<Output, DbError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Statement {
                sql,
                params,
                rows,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Runs `f` on the write connection, alone.
    pub(crate) async fn alone<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let (reply, answer) = oneshot::channel();
        let job: Alone = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.jobs.send(Job::Alone(job)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn gone() -> DbError {
    DbError::Other("the SQLite writer thread has stopped".into())
}

/// The thread: takes a job, then every job already waiting (up to [`MAX_BATCH`]), and runs
/// them; no job waits for company. The checkpointer hears of every batch.
fn run(mut conn: Connection, queue: &Receiver<Job>, checkpointer: &Checkpointer) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let mut statements = Vec::new();
        for job in batch {
            match job {
                Job::Statement {
                    sql,
                    params,
                    rows,
                    reply,
                } => statements.push((sql, params, rows, reply)),
                Job::Alone(f) => {
                    commit(&mut conn, std::mem::take(&mut statements));
                    // A panic in `f` drops its reply (its caller gets an error); the thread
                    // goes on.
                    let _ = catch_unwind(AssertUnwindSafe(|| f(&mut conn)));
                    // A closure that left a transaction open leaves no lock behind.
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                }
            }
        }
        commit(&mut conn, statements);
        if checkpointer.committed() {
            let _ = super::sqlite_checkpointer::checkpoint(&conn);
        }
    }
}

type Statement = (std::sync::Arc<str>, Vec<SqlValue>, bool, Reply);

/// One statement, stepped to its end.
fn execute(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    rows: bool,
) -> Result<Output, DbError> {
    if rows {
        super::sqlite::rows(conn, sql, params)
            .map(Output::Rows)
            .map_err(super::sqlite::db_error)
    } else {
        conn.prepare_cached(sql)
            .and_then(|mut st| st.execute(params_from_iter(params.iter())))
            .map(|n| Output::Changed(n as u64))
            .map_err(super::sqlite::db_error)
    }
}

/// Runs `statements`: one alone in its own implicit transaction; several in one transaction,
/// each in a savepoint so that one that fails (a unique value taken) is undone alone, and
/// every caller answered after the commit.
fn commit(conn: &mut Connection, mut statements: Vec<Statement>) {
    if statements.len() <= 1 {
        if let Some((sql, params, rows, reply)) = statements.pop() {
            let _ = reply.send(execute(conn, &sql, &params, rows));
        }
        return;
    }
    // Each control statement from the statement cache (`run_cached`): parsed once per
    // connection, not once per write.
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        let e = super::sqlite::db_error(e);
        for (.., reply) in statements {
            let _ = reply.send(Err(e.clone()));
        }
        return;
    }
    let mut answers = Vec::with_capacity(statements.len());
    for (sql, params, rows, reply) in statements {
        let result = run_cached(conn, "SAVEPOINT one")
            .map_err(super::sqlite::db_error)
            .and_then(|()| {
                let result = execute(conn, &sql, &params, rows);
                if result.is_err() {
                    run_cached(conn, "ROLLBACK TO one").map_err(super::sqlite::db_error)?;
                }
                run_cached(conn, "RELEASE one").map_err(super::sqlite::db_error)?;
                Ok(result)
            });
        answers.push((reply, result));
    }
    let committed = run_cached(conn, "COMMIT");
    if let Err(e) = committed {
        let _ = run_cached(conn, "ROLLBACK");
        let e = super::sqlite::db_error(e);
        for (reply, _) in answers {
            let _ = reply.send(Err(e.clone()));
        }
        return;
    }
    for (reply, result) in answers {
        // A savepoint that could not be taken or ended fails its own statement only.
        let _ = reply.send(result.and_then(|r| r));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn writer(dir: &std::path::Path) -> (Writer, Connection) {
        let path = dir.join("w.sqlite3");
        let setup = Connection::open(&path).unwrap();
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
            )
            .unwrap();
        (
            Writer::start(
                Connection::open(&path).unwrap(),
                Connection::open(&path).unwrap(),
            )
            .unwrap(),
            setup,
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_together_commit_together_and_one_failing_fails_alone() {
        let dir = std::env::temp_dir().join(format!("restframe-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (writer, reader) = writer(&dir);
        let writer = std::sync::Arc::new(writer);
        let insert: std::sync::Arc<str> = "INSERT INTO t (name) VALUES (?1) RETURNING id".into();
        // 200 writes at once, one of them a duplicate: every other one is committed.
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (writer, insert) = (writer.clone(), insert.clone());
            let name = if i == 199 {
                "n0".to_owned()
            } else {
                format!("n{i}")
            };
            tasks.push(tokio::spawn(async move {
                writer
                    .statement(insert, vec![SqlValue::Text(name)], true)
                    .await
            }));
        }
        let mut ok = 0;
        let mut unique = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(Output::Rows(rows)) => {
                    assert_eq!(rows.len(), 1);
                    ok += 1;
                }
                Err(DbError::Unique(_)) => unique += 1,
                Ok(Output::Changed(_)) => panic!("rows were asked for"),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((ok, unique), (199, 1));
        let stored: i64 = reader
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 199);
        // A closure runs alone, and one that panics leaves the writer working.
        let panicked = writer
            .alone(|_conn| -> Result<(), DbError> { panic!("on purpose") })
            .await;
        assert!(panicked.is_err());
        let n = writer
            .alone(|conn| {
                conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                    .map_err(super::super::sqlite::db_error)
            })
            .await
            .unwrap();
        assert_eq!(n, 199);
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
