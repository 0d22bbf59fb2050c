//! PostgreSQL connections for the repositories: a pool of sqlx connections of our own.
//!
//! sqlx's pool pings every connection as it comes back (`SELECT`-less round trip), so each
//! statement cost the server two round trips; 13–15% of a detail's and a create's throughput
//! (docs/performance.md). The ping is there to find connections left mid-statement by a future
//! dropped during an `.await`. This pool does not need it: a lease that is not finished (a
//! dropped future, an I/O or protocol error) closes its connection instead of giving it back,
//! and a connection is given back only after a statement or a transaction that ended as the
//! server meant it to (its answer read to the end, or a database error, after which sqlx waits
//! for the server's "ready" before the next statement).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::DbError;

/// The most connections open at once (sqlx's pool had the same).
const MAX_CONNECTIONS: usize = 16;

/// How long a statement may wait for a connection, opening one included (sqlx's default).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection is used before it is replaced (sqlx's default): server-side memory a
/// long-lived backend holds (caches, prepared statements) is given back now and then.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long closing a connection (its goodbye to the server) may take before it is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Closes `conn` politely, for at most [`CLOSE_TIMEOUT`]; past it, the socket is dropped.
async fn close(conn: PgConnection) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
}

/// The pool: at most [`MAX_CONNECTIONS`] connections, opened when needed, kept while they work.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    options: PgConnectOptions,
    /// Connections not in use, with when each was opened.
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    /// One permit per connection that may be in use.
    slots: Arc<Semaphore>,
    closed: AtomicBool,
}

/// A connection in use. [`Lease::finish`] gives it back; dropped unfinished, it is closed.
pub(crate) struct Lease {
    conn: Option<(PgConnection, Instant)>,
    inner: Arc<Inner>,
    _slot: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool for `options`; no connection is opened until one is needed.
    pub(crate) fn new(options: PgConnectOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::new()),
                slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// A connection: an idle one, or a new one while fewer than [`MAX_CONNECTIONS`] are open;
    /// an error after [`ACQUIRE_TIMEOUT`] or once the pool is closed.
    pub(crate) async fn acquire(&self) -> Result<Lease, DbError> {
        let inner = Arc::clone(&self.inner);
        let lease = async move {
            let slot = Arc::clone(&inner.slots)
                .acquire_owned()
                .await
                .map_err(|_| DbError::Other("the PostgreSQL pool is closed".into()))?;
            let reused = loop {
                match inner.lock_idle().pop() {
                    Some((conn, opened)) if opened.elapsed() >= MAX_LIFETIME => {
                        // Closed off the caller's path.
                        tokio::spawn(close(conn));
                    }
                    found => break found,
                }
            };
            let conn = match reused {
                Some(found) => found,
                None => (
                    PgConnection::connect_with(&inner.options)
                        .await
                        .map_err(|e| {
                            DbError::Other(format!("cannot connect to PostgreSQL: {e}"))
                        })?,
                    Instant::now(),
                ),
            };
            Ok(Lease {
                conn: Some(conn),
                inner,
                _slot: slot,
            })
        };
        tokio::time::timeout(ACQUIRE_TIMEOUT, lease)
            .await
            .map_err(|_| {
                DbError::Other(format!(
                    "no PostgreSQL connection free within {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                ))
            })?
    }

    /// Closes the idle connections, and each one in use as it is given back; later acquires
    /// fail.
    pub(crate) async fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.slots.close();
        let idle = std::mem::take(&mut *self.inner.lock_idle());
        for (conn, _) in idle {
            close(conn).await;
        }
    }
}

impl Inner {
    fn lock_idle(&self) -> MutexGuard<'_, Vec<(PgConnection, Instant)>> {
        // A panic while holding this lock leaves a list that is still whole.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Lease {
    /// The connection.
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection, DbError> {
        self.conn
            .as_mut()
            .map(|(c, _)| c)
            .ok_or_else(|| DbError::Other("PostgreSQL connection already given back".into()))
    }

    /// Gives the connection back for the next statement: its last statement or transaction
    /// ended as the server meant it to.
    pub(crate) fn finish(mut self) {
        if let Some(conn) = self.conn.take()
            && !self.inner.closed.load(Ordering::SeqCst)
        {
            self.inner.lock_idle().push(conn);
        }
    }

    /// [`finish`](Self::finish) when `result` leaves the connection usable (success, or an
    /// error the server answered); otherwise the connection is closed. Returns `result`.
    pub(crate) fn finish_if_sound<T>(
        self,
        result: Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        if matches!(result, Ok(_) | Err(sqlx::Error::Database(_))) {
            self.finish();
        }
        result
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Unfinished: mid-statement (a dropped future) or broken. Dropping the connection
        // closes its socket; the server ends the backend (rolling back any transaction) when
        // it next reads from or writes to it.
        drop(self.conn.take());
    }
}
