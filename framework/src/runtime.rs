//! The tokio runtime restframe is measured on: multi-threaded, every driver on, and I/O events
//! taken from the kernel in small batches.
//!
//! A worker of tokio's multi-threaded runtime takes up to 1,024 I/O events from one poll of
//! the kernel by default, and queues the task of each; its own queue holds 256. At many
//! connections (1,024 keep-alive clients, each sending as soon as it is answered) one poll
//! overflows that queue, and the overflow goes to the shared queue, which a busy worker looks at
//! only now and then: those connections wait while the worker serves others again and again.
//! Taken 64 at a time (16 between tasks, when the worker still has work), the events stay in
//! the kernel's ready list until the worker wants more, and connections are served about in
//! turn. `bench/example-app/connections.sh` at 1,024 connections (docs/performance.md, issue
//! 16's eighth session): p99 of a detail 67 → 24 ms, of a 100-row list 182 → 122 ms, of a create
//! 80 → 47 ms, with throughput the same or higher; at 32 connections no change.

/// The I/O events a worker takes from one poll of the kernel when it has nothing else to do.
pub const IO_EVENTS_PER_TICK: usize = 64;

/// The I/O events a worker takes from one poll while it still has tasks to run (tokio polls
/// the kernel every 61 tasks).
pub const IO_EVENTS_PER_BUSY_TICK: usize = 16;

/// A multi-threaded tokio runtime builder set up as restframe is measured: every driver on
/// (`enable_all`), and I/O events taken [`IO_EVENTS_PER_TICK`] at a time when idle and
/// [`IO_EVENTS_PER_BUSY_TICK`] at a time when busy, so that at many connections each is served
/// about in turn (see the module's notes; `#[tokio::main]` keeps tokio's batches of 1,024).
/// More settings may be chained before `build`.
///
/// ```
/// let runtime = restframe::runtime_builder().worker_threads(2).build()?;
/// let answer = runtime.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     listener.local_addr()
/// })?;
/// assert!(answer.ip().is_loopback());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .enable_all()
        .max_io_events_per_tick(IO_EVENTS_PER_TICK)
        .max_io_events_per_busy_tick(IO_EVENTS_PER_BUSY_TICK);
    builder
}
