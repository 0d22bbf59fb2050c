//! SQLite's read connections and the threads that use them. A statement is a job in one of two
//! queues; a reader thread takes the next job as soon as a connection is free. Before, a
//! statement took a semaphore permit on a tokio worker and then hopped to `spawn_blocking`:
//! two hand-offs, and a permit held while its task waited to be polled. A 100-row list went
//! from 5,339 / 5,103 / 4,507 to 6,664 / 6,632 / 5,879 req/s at 32 / 256 / 1,024 connections
//! (docs/performance.md, "Connections").
//!
//! Point reads by primary key (a detail, the owners of a page) go to the urgent queue, ahead of
//! pages and counts: they cost microseconds, and they are most often the last statement of a
//! request that already holds its rows in memory, which it frees by finishing.
//!
//! A read whose caller finds a connection free runs on the caller's thread instead
//! ([`Readers::try_here`]), for at most [`HERE_BUDGET`]: SQLite's progress handler gives it up
//! past that, and it is queued here. The queues serve what could not run at once.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::DbError;

type Job = Box<dyn FnOnce(&mut Connection) -> Reply + Send>;

/// What a job hands its caller, run once its connection is free again: a caller that reads
/// again at once then finds the connection free.
type Reply = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    /// The connections not in use.
    free: Vec<Connection>,
    urgent: VecDeque<Job>,
    normal: VecDeque<Job>,
    stop: bool,
}

impl State {
    fn next(&mut self) -> Option<Job> {
        self.urgent.pop_front().or_else(|| self.normal.pop_front())
    }

    fn waiting(&self) -> bool {
        !self.urgent.is_empty() || !self.normal.is_empty()
    }
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// A job or a connection has come (or the pool is stopping).
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `conn` back and wakes a thread that may have a job for it.
    fn give_back(&self, conn: Connection) {
        let mut state = self.lock();
        state.free.push(conn);
        if state.waiting() {
            self.ready.notify_one();
        }
    }
}

/// The read connections and one thread per connection; dropping it ends the threads (a job
/// still queued is dropped, and its caller gets an error).
pub(crate) struct Readers {
    shared: Arc<Shared>,
}

impl Readers {
    /// Starts one thread per connection.
    pub(crate) fn start(connections: Vec<Connection>) -> Result<Self, DbError> {
        let threads = connections.len();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                free: connections,
                ..State::default()
            }),
            ready: Condvar::new(),
        });
        let readers = Self { shared };
        for i in 0..threads {
            let shared = Arc::clone(&readers.shared);
            std::thread::Builder::new()
                .name(format!("restframe-sqlite-reader-{i}"))
                .spawn(move || work(&shared))
                .map_err(|e| DbError::Other(format!("starting an SQLite reader: {e}")))?;
        }
        Ok(readers)
    }

    /// Runs `f` on a connection on a reader thread, after the jobs queued before it (after
    /// every normal one too when `urgent`). The job is queued when this is called, not when
    /// the future is first polled.
    pub(crate) fn run<T, F>(
        &self,
        urgent: bool,
        f: F,
    ) -> impl std::future::Future<Output = Result<T, DbError>> + use<T, F>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let out = f(conn).map_err(super::sqlite::db_error);
            Box::new(move || {
                let _ = reply.send(out);
            })
        });
        {
            let mut state = self.shared.lock();
            if urgent {
                state.urgent.push_back(job);
            } else {
                state.normal.push_back(job);
            }
        }
        self.shared.ready.notify_one();
        async move {
            answer.await.map_err(|_| {
                DbError::Other("the SQLite reader stopped before answering (a panic?)".into())
            })?
        }
    }

    /// Runs `f` on this thread when a connection is free now, with `budgeted` for at most
    /// [`HERE_BUDGET`] (and a thousand VM instructions more): `None` when no connection is free
    /// or `f` ran out of time (its work is given up; run it on a reader thread instead). A
    /// point read by primary key, bounded by its keys, goes without the budget's clock.
    pub(crate) fn try_here<T>(
        &self,
        budgeted: bool,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T, DbError>> {
        let conn = self.shared.lock().free.pop()?;
        let mut lease = Lease {
            conn: Some(conn),
            shared: &self.shared,
        };
        let conn = lease.conn.as_mut()?;
        let started = Instant::now();
        let budget = budgeted
            && conn
                .progress_handler(
                    BUDGET_CHECK_OPS,
                    Some(move || started.elapsed() > HERE_BUDGET),
                )
                .is_ok();
        let out = f(conn);
        if budget {
            // Only ever fails for a connection not owned here, which `budget` rules out.
            let _ = conn.progress_handler(0, None::<fn() -> bool>);
        }
        match out {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                None
            }
            out => Some(out.map_err(super::sqlite::db_error)),
        }
    }
}

/// The longest a statement runs on the calling thread (a tokio worker) before it is given up
/// and queued for a reader thread instead: long enough for a page and its count (about 100 µs
/// for 100 rows), short enough that a scan of a big table does not hold up the runtime.
pub(crate) const HERE_BUDGET: Duration = Duration::from_millis(1);

/// How many SQLite VM instructions run between two looks at the clock.
const BUDGET_CHECK_OPS: i32 = 1000;

impl Drop for Readers {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.ready.notify_all();
    }
}

/// Gives the connection back even when the closure panics.
struct Lease<'a> {
    conn: Option<Connection>,
    shared: &'a Shared,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.give_back(conn);
        }
    }
}

/// A reader thread: the next job, on the first free connection, until the pool stops.
fn work(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        if !state.free.is_empty()
            && let Some(job) = state.next()
            && let Some(conn) = state.free.pop()
        {
            drop(state);
            let mut lease = Lease {
                conn: Some(conn),
                shared,
            };
            // A panic drops the job's reply (its caller gets an error); the thread and the
            // connection go on.
            let reply = lease
                .conn
                .as_mut()
                .and_then(|conn| catch_unwind(AssertUnwindSafe(|| job(conn))).ok());
            // The connection is free before the caller hears back.
            drop(lease);
            if let Some(reply) = reply {
                reply();
            }
            state = shared.lock();
            continue;
        }
        state = shared
            .ready
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn readers(n: usize) -> Readers {
        Readers::start(
            (0..n)
                .map(|_| Connection::open_in_memory().unwrap())
                .collect(),
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn urgent_jobs_go_before_the_normal_ones_queued() {
        let readers = readers(1);
        // Hold the one connection so that the jobs below queue up.
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let (held, is_held) = oneshot::channel();
        let blocker = readers.run(false, move |_conn| {
            let _ = held.send(());
            let _ = release.recv();
            Ok(())
        });
        let order = Arc::new(Mutex::new(Vec::new()));
        let job = |name: &'static str, urgent: bool| {
            let order = Arc::clone(&order);
            readers.run(urgent, move |_conn| {
                order.lock().unwrap().push(name);
                Ok(())
            })
        };
        is_held.await.unwrap();
        // Queued in this order while the connection is held.
        let (a, b, c) = (job("page", false), job("count", false), job("owner", true));
        hold.send(()).unwrap();
        blocker.await.unwrap();
        let (a, b, c) = tokio::join!(a, b, c);
        a.unwrap();
        b.unwrap();
        c.unwrap();
        assert_eq!(*order.lock().unwrap(), ["owner", "page", "count"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_fails_alone_and_leaves_the_connection() {
        let readers = readers(1);
        let panicked = readers
            .run(false, |_conn| -> rusqlite::Result<()> {
                panic!("on purpose")
            })
            .await;
        assert!(panicked.is_err());
        let n: i64 = readers
            .run(false, |conn| {
                conn.query_row("SELECT 41 + 1", [], |r| r.get(0))
            })
            .await
            .unwrap();
        assert_eq!(n, 42);
        // The connection is back before the answer: this thread finds it free.
        let here = readers.try_here(false, |conn| {
            conn.query_row("SELECT 7", [], |r| r.get::<_, i64>(0))
        });
        assert!(here.is_some(), "the connection was still out");
        assert_eq!(here.and_then(Result::ok), Some(7));
    }

    /// A caller that reads again as soon as a reader thread has answered finds the connection
    /// free (the reply is sent after the connection is given back). Failed a few times in a
    /// thousand when the reply went first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_connection_is_free_when_the_caller_hears_back() {
        let readers = readers(1);
        for i in 0..2_000 {
            let n: i64 = readers
                .run(false, move |conn| {
                    conn.query_row("SELECT ?1", [i], |r| r.get(0))
                })
                .await
                .unwrap();
            assert_eq!(n, i);
            let here = readers.try_here(false, |conn| {
                conn.query_row("SELECT 7", [], |r| r.get::<_, i64>(0))
            });
            assert!(here.is_some(), "round {i}: the connection was still out");
        }
    }
}
