//! SQLite's WAL checkpoints, on a thread of their own. A connection's auto-checkpoint runs
//! inside the commit that crosses its threshold and syncs the database file there; on the one
//! writer thread (`sqlite_writer`) every write queued behind that commit waited for it, which
//! was the p99 of creates (docs/performance.md, "The checkpointer"). After its commits the
//! writer wakes this thread, which runs a `PASSIVE` checkpoint (it takes no lock a writer or
//! reader waits for) at most every [`INTERVAL`]. The writer's auto-checkpoint stays, at
//! [`BACKSTOP_FRAMES`], for when this thread falls behind (its syncs slow on a busy disk).
//!
//! A checkpoint copies frames; only a writer beginning when every frame is copied starts the
//! WAL file again from its beginning. Under a steady load the writer always has a frame the
//! checkpoint missed, so the file would grow without end. When the WAL holds [`FINISH_FRAMES`]
//! or more, this thread asks the writer to finish: after its next commit the writer runs a
//! checkpoint itself, which copies only the few frames written since this thread's, and its
//! next write starts the file again.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::DbError;

/// The shortest time between two checkpoints: each one syncs the WAL and the database file,
/// and copies a hot page once however often it was written in between.
pub(crate) const INTERVAL: Duration = Duration::from_millis(50);

/// The WAL's length, in frames (pages), from which the writer is asked to finish a checkpoint
/// (16 MiB with 4 KiB pages; SQLite's own threshold is 1,000). Each finish holds every write
/// queued behind it for the writer's syncs, so it sets how often creates stall: at 1,000 the
/// stalls were create's p99 under load (6.9–7.8 ms against 2.2–2.6 ms at 4,000 or 2,000;
/// docs/performance.md, "The WAL restarted every 4,000 frames").
pub(crate) const FINISH_FRAMES: i64 = 4000;

/// The WAL's length, in frames, at which the writer's own auto-checkpoint runs after a commit,
/// as SQLite's does at 1,000 by default: reached only when this thread is late, it keeps the
/// WAL near 48 MiB (with 4 KiB pages). Three times [`FINISH_FRAMES`]: while this thread's
/// checkpoint waits for a slow sync it holds the checkpoint lock, the backstop's checkpoint is
/// skipped, and commits go on growing the WAL until that sync ends.
pub(crate) const BACKSTOP_FRAMES: i64 = 3 * FINISH_FRAMES;

#[derive(Default)]
struct State {
    /// Something was committed since the last checkpoint began.
    dirty: bool,
    /// The writer should run a checkpoint after its next commit.
    finish: bool,
    /// The writer has gone: checkpoint once more and end.
    stop: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// The writer's handle on the checkpointer thread; dropping it ends the thread after a last
/// checkpoint.
pub(crate) struct Checkpointer {
    shared: Shared,
}

impl Checkpointer {
    /// Starts the thread, which owns `conn` (a connection of its own to the same database).
    pub(crate) fn start(conn: Connection) -> Result<Self, DbError> {
        let shared: Shared = Arc::default();
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("restframe-sqlite-checkpointer".into())
            .spawn(move || run(&conn, &theirs))
            .map_err(|e| DbError::Other(format!("starting the SQLite checkpointer: {e}")))?;
        Ok(Self { shared })
    }

    /// Says that a transaction was committed: a checkpoint follows within [`INTERVAL`]. True
    /// when the writer should now finish one on its own connection ([`checkpoint`]).
    pub(crate) fn committed(&self) -> bool {
        let (state, wake) = &*self.shared;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.dirty {
            state.dirty = true;
            wake.notify_one();
        }
        std::mem::take(&mut state.finish)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (state, wake) = &*self.shared;
        state.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
        wake.notify_one();
    }
}

fn run(conn: &Connection, shared: &Shared) {
    let (state, wake) = &**shared;
    let mut last: Option<Instant> = None;
    loop {
        let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
        while !guard.dirty && !guard.stop {
            guard = wake.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
        // Not sooner than INTERVAL after the last one, unless the writer has gone.
        if let Some(due) = last.map(|at| at + INTERVAL) {
            while !guard.stop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                guard = wake
                    .wait_timeout(guard, due - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        let stop = guard.stop;
        guard.dirty = false;
        drop(guard);
        last = Some(Instant::now());
        // A checkpoint that cannot copy everything (a reader holds an old snapshot) is taken
        // up again after the next commit; an error (the disk) leaves the WAL to grow until it
        // passes.
        let frames = checkpoint(conn).map(|(log, _)| log);
        if stop {
            return;
        }
        if frames.is_ok_and(|log| log >= FINISH_FRAMES) {
            // Once more, for what came during the first (less for the writer to copy).
            let _ = checkpoint(conn);
            state.lock().unwrap_or_else(PoisonError::into_inner).finish = true;
        }
    }
}

/// A `PASSIVE` checkpoint: the WAL's frames not yet in the database file, as far as no reader
/// needs them. Gives the WAL's frames and how many of them are in the database file.
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_checkpointed_off_the_writers_connection() {
        let dir = std::env::temp_dir().join(format!("restframe-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
            )
            .unwrap();
        let checkpointer = Checkpointer::start(Connection::open(&path).unwrap()).unwrap();
        let body = "x".repeat(3000);
        for _ in 0..200 {
            writer
                .execute("INSERT INTO t (body) VALUES (?1)", [&body])
                .unwrap();
        }
        let size = || std::fs::metadata(&path).unwrap().len();
        // With the auto-checkpoint off, the rows are in the WAL only.
        assert!(size() < 200 * 3000, "{} bytes", size());
        checkpointer.committed();
        // Within a few intervals the thread has copied them into the database file.
        let deadline = Instant::now() + Duration::from_secs(10);
        while size() < 200 * 3000 && Instant::now() < deadline {
            std::thread::sleep(INTERVAL);
        }
        assert!(size() >= 200 * 3000, "{} bytes", size());
        drop(checkpointer);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
