//! The app's log writer: lines gather in memory and a thread of their own writes them out in
//! batches, [`FLUSH_EVERY`] after the first line of a batch, or at once when [`BATCH`] bytes
//! are waiting.
//!
//! A writer thread woken for each line (tracing-appender's `non_blocking`) costs a wake-up, a
//! context switch and a channel receive per request: its thread took 4.7% of a detail's
//! samples. Here a logging task only copies its line into a buffer under a mutex; the thread
//! is woken when a batch starts and when it fills. A detail with request logs on went from
//! 27,525 / 27,813 to 28,444 / 28,095 req/s (docs/performance.md).
//!
//! Bounded and not lossy: past [`LIMIT`] bytes waiting (the output is slower than the logs),
//! the task that logs writes the whole buffer itself, in order, and so waits for the output as
//! a direct write would. [`FlushOnDrop`] writes what is left when it is dropped; lines logged
//! after that are written at once. A process killed with SIGKILL loses up to [`FLUSH_EVERY`]
//! of lines.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a batch's first line waits for others at most.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes waiting that make the thread write them at once.
pub const BATCH: usize = 64 * 1024;
/// Bytes waiting past which a logging task writes them itself.
pub const LIMIT: usize = 1024 * 1024;

struct Pending {
    buf: Vec<u8>,
    /// The thread waits for a first line (no timer running).
    idle: bool,
    /// The thread was asked to write a full batch and has not taken it yet.
    asked: bool,
    /// [`FlushOnDrop`] was dropped: the thread writes what is left and ends.
    closed: bool,
    /// The most bytes ever waiting (for the tests).
    #[cfg(test)]
    most: usize,
}

struct Shared<W> {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// The output. Always locked while `pending` is held, then `pending` released, so batches
    /// are written in the order they were taken.
    out: Mutex<W>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write> Shared<W> {
    /// Writes `batch` (taken from `pending`, whose guard is handed over so that the output is
    /// locked before the next batch can be taken).
    fn write_out(&self, pending: MutexGuard<'_, Pending>, batch: &[u8]) {
        let mut out = lock(&self.out);
        drop(pending);
        // A closed or full stderr loses the lines: there is nowhere else to report it.
        let _ = out.write_all(batch);
        let _ = out.flush();
    }
}

/// A [`tracing_subscriber::fmt::MakeWriter`] over the batching buffer; cheap to clone.
pub struct Batched<W> {
    shared: Arc<Shared<W>>,
}

impl<W> Clone for Batched<W> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// Ends the writer thread when dropped, after it has written every line logged before.
pub struct FlushOnDrop<W> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

/// A batching writer to `out` and its guard; the thread is named `name`.
pub fn batched<W: Write + Send + 'static>(
    out: W,
    name: &str,
) -> io::Result<(Batched<W>, FlushOnDrop<W>)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending {
            buf: Vec::with_capacity(BATCH),
            idle: false,
            asked: false,
            closed: false,
            #[cfg(test)]
            most: 0,
        }),
        wake: Condvar::new(),
        out: Mutex::new(out),
    });
    let thread = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(&shared))?
    };
    Ok((
        Batched {
            shared: Arc::clone(&shared),
        },
        FlushOnDrop {
            shared,
            thread: Some(thread),
        },
    ))
}

/// The writer thread: waits for a first line, lets a batch gather, writes it; until closed.
fn run<W: Write>(shared: &Shared<W>) {
    // The buffer the lines go to next, swapped with the one being written (no allocation per
    // batch).
    let mut spare = Vec::with_capacity(BATCH);
    let mut pending = lock(&shared.pending);
    loop {
        while pending.buf.is_empty() && !pending.closed {
            pending.idle = true;
            pending = shared
                .wake
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        pending.idle = false;
        if !pending.closed && pending.buf.len() < BATCH {
            pending = shared
                .wake
                .wait_timeout(pending, FLUSH_EVERY)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let closed = pending.closed;
        pending.asked = false;
        std::mem::swap(&mut pending.buf, &mut spare);
        shared.write_out(pending, &spare);
        spare.clear();
        if spare.capacity() > 4 * BATCH {
            spare.shrink_to(BATCH);
        }
        pending = lock(&shared.pending);
        if closed && pending.buf.is_empty() {
            return;
        }
    }
}

impl<W> Drop for FlushOnDrop<W> {
    fn drop(&mut self) {
        lock(&self.shared.pending).closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One event's writer: appends to the buffer.
pub struct Line<'a, W> {
    shared: &'a Shared<W>,
}

impl<W: Write> Write for Line<'_, W> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let shared = self.shared;
        let mut pending = lock(&shared.pending);
        if pending.closed {
            // The thread is gone or going: straight out, after what it still writes.
            shared.write_out(pending, line);
            return Ok(line.len());
        }
        let started = pending.buf.is_empty();
        pending.buf.extend_from_slice(line);
        #[cfg(test)]
        {
            pending.most = pending.most.max(pending.buf.len());
        }
        let size = pending.buf.len();
        if size >= LIMIT {
            // The output is behind: this task writes, and waits for it.
            let batch = std::mem::replace(&mut pending.buf, Vec::with_capacity(BATCH));
            shared.write_out(pending, &batch);
        } else if (started && pending.idle) || (size >= BATCH && !pending.asked) {
            pending.idle = false;
            pending.asked |= size >= BATCH;
            drop(pending);
            shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Lines are written by the thread, within FLUSH_EVERY.
        Ok(())
    }
}

impl<'a, W: Write + 'a> tracing_subscriber::fmt::MakeWriter<'a> for Batched<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tracing_subscriber::fmt::MakeWriter;

    /// An output that records what it gets, each write taking `delay`.
    #[derive(Clone, Default)]
    struct Sink {
        got: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
        delay: Duration,
    }

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            std::thread::sleep(self.delay);
            lock(&self.got).extend_from_slice(b);
            *lock(&self.writes) += 1;
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn log(writer: &Batched<Sink>, line: &str) {
        writer
            .make_writer()
            .write_all(line.as_bytes())
            .expect("a buffered write never fails");
    }

    #[test]
    fn every_line_of_every_thread_arrives_whole_and_in_its_order() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone(), "test-log").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        log(&writer, &format!("thread {t} line {i}\n"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let got = String::from_utf8(lock(&sink.got).clone()).unwrap();
        let mut next = [0; 4];
        for line in got.lines() {
            let words: Vec<&str> = line.split(' ').collect();
            let (t, i): (usize, usize) = (words[1].parse().unwrap(), words[3].parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines out of order: {line}");
            next[t] += 1;
        }
        assert_eq!(next, [20_000; 4]);
        // Batched: far fewer writes than lines.
        assert!(*lock(&sink.writes) < 8_000, "{} writes", lock(&sink.writes));
    }

    #[test]
    fn a_lone_line_is_written_without_a_flush() {
        let sink = Sink::default();
        let (writer, _guard) = batched(sink.clone(), "test-log").unwrap();
        for round in 0..3 {
            let line = format!("line {round}\n");
            log(&writer, &line);
            let start = Instant::now();
            while !String::from_utf8_lossy(&lock(&sink.got)).contains(&line) {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "{line} never written"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    #[test]
    fn a_slow_output_holds_back_the_loggers_not_the_memory() {
        let sink = Sink {
            delay: Duration::from_millis(20),
            ..Sink::default()
        };
        let (writer, guard) = batched(sink.clone(), "test-log").unwrap();
        let line = format!("{}\n", "x".repeat(199));
        for _ in 0..20_000 {
            log(&writer, &line);
        }
        let most = lock(&writer.shared.pending).most;
        assert!(most < LIMIT + line.len(), "{most} bytes waited");
        drop(guard);
        assert_eq!(lock(&sink.got).len(), 20_000 * line.len());
    }

    #[test]
    fn lines_after_the_guard_are_written_at_once() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone(), "test-log").unwrap();
        log(&writer, "before\n");
        drop(guard);
        log(&writer, "after\n");
        assert_eq!(&*lock(&sink.got), b"before\nafter\n");
    }
}
