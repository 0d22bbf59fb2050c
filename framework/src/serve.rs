//! Serving a tower service over HTTP/1.1 and HTTP/2 with hyper, with graceful shutdown.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::HeaderValue;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::detach::{detach, detach_frame};
use crate::proxy::TrustedProxies;
use crate::util::BoxError;

/// The request header carrying a request's id, propagated from the client (or a proxy) when
/// it is sane, generated otherwise, and echoed on the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest `x-request-id` taken from a request (longer ones are replaced).
const MAX_REQUEST_ID_LEN: usize = 128;

/// How the server treats connections: timeouts, the connection cap, trusted proxies, the
/// shutdown grace period and request logs. Every setting has a safe default, so
/// `ServeOptions::default()` is what [`serve`] uses.
///
/// | setting | default | what happens past it |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout) | 30 s | a request head (line and headers) not complete: connection closed |
/// | [`keep_alive_timeout`](Self::keep_alive_timeout) | 75 s | an idle keep-alive connection: closed |
/// | [`body_read_timeout`](Self::body_read_timeout) | 30 s | a request body sending less than [`MIN_BODY_PROGRESS`] in that long (stalled or trickled): the read fails (408 from the parsing view; the connection, or on HTTP/2 the stream, is closed); a response the client takes nothing of for that long (a blocked write, or on HTTP/2 no flow-control credit): the connection is closed |
/// | [`request_timeout`](Self::request_timeout) | 60 s | a request to a route without upload parsers: 503 "Request timed out." |
/// | [`max_connections`](Self::max_connections) | 4096 | accept waits until a connection ends |
/// | [`max_requests`](Self::max_requests) | none | a request without a body waits, holding only its head, until a handler ends; past the request timeout: 503 "Request timed out." |
/// | [`trusted_proxies`](Self::trusted_proxies) | none | whose `X-Forwarded-*` headers count ([`TrustedProxies`]) |
/// | [`grace`](Self::grace) | 30 s | in-flight requests after shutdown: abandoned |
///
/// The request timeout is applied by each [`ApiView`](crate::ApiView), once it has negotiated
/// the format the 503 goes out in: a view with a parser that carries files (multipart, raw
/// uploads) is exempt, since an upload may take long on a slow link; its body still has the
/// body-read timeout.
///
/// ```no_run
/// use std::time::Duration;
/// use restframe::{api_view, serve_with, shutdown_signal, Response, ServeOptions, Router};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let router = Router::new().allowed_hosts(["api.example.com"]);
/// let options = ServeOptions::default()
///     .header_read_timeout(Duration::from_secs(10))
///     .keep_alive_timeout(Duration::from_secs(60))
///     .max_connections(1024)
///     .trusted_proxies("10.0.0.0/8".parse()?);
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
/// serve_with(listener, router, shutdown_signal(), options).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServeOptions {
    header_read_timeout: Duration,
    keep_alive_timeout: Duration,
    body_read_timeout: Duration,
    request_timeout: Option<Duration>,
    max_connections: usize,
    max_requests: Option<usize>,
    trusted_proxies: TrustedProxies,
    grace: Duration,
    request_log: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(75),
            body_read_timeout: Duration::from_secs(30),
            request_timeout: Some(Duration::from_secs(60)),
            max_connections: 4096,
            max_requests: None,
            trusted_proxies: TrustedProxies::none(),
            grace: Duration::from_secs(30),
            request_log: true,
        }
    }
}

impl ServeOptions {
    /// How long a client may take to send a request's head, from its first byte (and, on a
    /// new connection, from the accept). Default 30 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a connection may stay idle between requests. Default 75 s.
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = timeout;
        self
    }

    /// How long a request body may go without [`MIN_BODY_PROGRESS`] bytes of progress while it
    /// is read, and a response without the client reading any of it. Default 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = restframe::ServeOptions::default().body_read_timeout(Duration::from_secs(5));
    /// # let _ = options;
    /// ```
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// The longest a request to a route without upload parsers may take, counted from the
    /// arrival of its head (a wait for a [`max_requests`](Self::max_requests) slot counts),
    /// `None` for no limit. Default 60 s. Applied by the [`Router`](crate::Router).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The most connections served at once; past it, accept waits until one ends. Default
    /// 4096 (at least 1).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The most requests without a body (GET, HEAD, DELETE, …) whose handlers run at once;
    /// past it, such a request waits for a slot holding nothing but its head. A slot is held
    /// until the handler has produced the response's head (not while its body is sent). A
    /// page's rows and rendering live only while its handler runs, so this bounds that memory
    /// under many connections where `max_connections` alone does not; on a few cores, a few
    /// dozen handlers at once serve as many requests per second as a thousand. Requests with a
    /// body are not counted: a slow upload must not hold a slot other requests wait for (their
    /// bodies have their own limits). The wait counts against the
    /// [`request_timeout`](Self::request_timeout): a request still waiting when it runs out is
    /// answered 503 "Request timed out." by the [`Router`](crate::Router) in the negotiated
    /// format, without its view being called (with no request timeout, the wait has no limit
    /// either). Default: no limit (at least 1 when set).
    ///
    /// ```
    /// let options = restframe::ServeOptions::default().max_requests(Some(64));
    /// # let _ = options;
    /// ```
    pub fn max_requests(mut self, max: Option<usize>) -> Self {
        self.max_requests = max.map(|n| n.max(1));
        self
    }

    /// The proxies whose `X-Forwarded-*` headers count. Default: none.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// How long in-flight requests may take to finish after shutdown starts. Default 30 s.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Whether each request is logged (target `restframe::request`, level INFO, at the end of
    /// its response: method, path, status, latency, response bytes, request id, client).
    /// Default on.
    pub fn request_log(mut self, on: bool) -> Self {
        self.request_log = on;
        self
    }
}

/// The request timeout in force ([`ServeOptions::request_timeout`]), for the router: how long
/// it is, and when it runs out (counted from the request's arrival, so a wait for a
/// [`ServeOptions::max_requests`] slot counts).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestTimeout {
    pub(crate) timeout: Duration,
    pub(crate) deadline: tokio::time::Instant,
}

/// The 503 of a request past its [`RequestTimeout`] (or past it while it waited for a slot).
pub(crate) fn timed_out_error() -> crate::error::ApiError {
    crate::error::ApiError::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "request_timeout",
        "Request timed out.",
    )
}

/// Set on a request whose timeout ran out while it waited for a [`ServeOptions::max_requests`]
/// slot: the router answers it 503 without calling its view.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitedPastTimeout;

/// Serves `service` on `listener` until `shutdown` resolves, then stops accepting, lets
/// in-flight requests finish (for up to `grace`), and returns. Every other setting is
/// [`ServeOptions`]' default; see [`serve_with`].
///
/// Any `tower::Service` will do — a view, a router, either wrapped in tower-http layers.
///
/// ```no_run
/// use std::time::Duration;
/// use restframe::{api_view, serve, shutdown_signal, Response};
///
/// # async fn run() -> std::io::Result<()> {
/// let view = api_view(|_req| async { Ok(Response::new("hello")) });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// serve(listener, view, shutdown_signal(), Duration::from_secs(30)).await
/// # }
/// ```
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    serve_with(
        listener,
        service,
        shutdown,
        ServeOptions::default().grace(grace),
    )
    .await
}

/// [`serve`] with the given [`ServeOptions`]: HTTP/1.1 and HTTP/2 with hyper, each connection
/// held to the timeouts, at most `max_connections` at once, every request given its
/// [`ClientAddr`](crate::extensions::ClientAddr) (and, from a trusted proxy,
/// [`Forwarded`](crate::extensions::Forwarded)), an `x-request-id`, and a log line.
///
/// ```no_run
/// use restframe::{api_view, serve_with, shutdown_signal, Response, ServeOptions};
///
/// # async fn run() -> std::io::Result<()> {
/// let view = api_view(|_req| async { Ok(Response::new("hello")) });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// serve_with(listener, view, shutdown_signal(), ServeOptions::default()).await
/// # }
/// ```
pub async fn serve_with<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
    options: ServeOptions,
) -> std::io::Result<()>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    // One builder per protocol: which one a connection speaks is told by `sniff`, so hyper-util
    // does not read the first bytes itself (see `sniff` for why).
    let mut http1 = auto::Builder::new(TokioExecutor::new()).http1_only();
    // The connection watch (`WatchedIo`) enforces the head and idle timeouts, so hyper gets no
    // timer and keeps no header timeout of its own: it armed one per request head (a boxed
    // sleep made and dropped each time), about 1% of a detail's time for a backup only. Turned
    // off in so many words: hyper's default one, without a timer, logs a warning (with its
    // `tracing` feature) on every connection.
    http1.http1().header_read_timeout(None);
    let mut http2 = auto::Builder::new(TokioExecutor::new()).http2_only();
    // Each HTTP/2 stream holds a request and its response: at most this many per connection.
    http2.http2().max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    let builders = Arc::new((http1, http2));
    let graceful = GracefulShutdown::new();
    // Tells connections still finding out their protocol that the server is shutting down.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let handlers = options.max_requests.map(|n| Arc::new(Semaphore::new(n)));
    let options = Arc::new(options);
    let mut accept_errors = AcceptErrors::default();
    let mut shutdown = pin!(shutdown);
    loop {
        // Past the cap, wait for a connection to end instead of accepting (and failing).
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        accept_errors.failed(&e);
                        // Out of file descriptors and the like: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let conn_state = Arc::new(ConnState::new());
                let mut io = WatchedIo::new(stream, conn_state.clone(), &options, permit);
                let service = ConnectionService {
                    service: service.clone(),
                    peer,
                    state: conn_state,
                    options: options.clone(),
                    handlers: handlers.clone(),
                };
                let watcher = graceful.watcher();
                let builders = Arc::clone(&builders);
                let mut stop = stop.clone();
                tokio::spawn(async move {
                    let http2 = tokio::select! {
                        http2 = sniff(&mut io) => http2,
                        _ = stop.wait_for(|stopping| *stopping) => return,
                    };
                    let Ok(http2) = http2 else { return };
                    let builder = if http2 { &builders.1 } else { &builders.0 };
                    let conn = builder.serve_connection(TokioIo::new(io), service);
                    if let Err(e) = watcher.watch(conn.into_owned()).await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(options.grace) => tracing::warn!("grace period over; exiting with requests in flight"),
    }
    Ok(())
}

/// The first bytes of an HTTP/2 connection with prior knowledge (h2c), RFC 9113, 3.4.
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How often a connection whose first bytes are the start of [`HTTP2_PREFACE`] is looked at
/// again until the rest arrives (or the header-read timeout ends it).
const PREFACE_RECHECK: Duration = Duration::from_millis(10);

/// Whether the connection speaks HTTP/2 (it opens with [`HTTP2_PREFACE`]) or HTTP/1, told by
/// peeking at its first bytes, which stay in the socket for hyper to read.
///
/// hyper-util's `auto` builder finds out by reading the first 24 bytes itself, and hands them
/// to hyper's HTTP/1 parser ahead of the socket. hyper then has a partial request in its 8 KiB
/// read buffer, reserves room for its next read, and so doubles the buffer: every HTTP/1
/// connection kept 16 KiB of read buffer for its whole life, where 8 KiB do (heaptrack, under
/// 1,024 connections of creates: 16.8 MB). Peeking reads nothing, so hyper's first read gets
/// the whole of what the client sent.
///
/// Waits as a first read would: past the header-read timeout from the connection's accept, an
/// error. At the end of the stream, HTTP/1 (hyper then sees the end itself).
async fn sniff(io: &mut WatchedIo) -> std::io::Result<bool> {
    let mut first = [0u8; HTTP2_PREFACE.len()];
    loop {
        let peeked = std::future::poll_fn(|cx| io.poll_peek(cx, &mut first)).await?;
        let seen = &first[..peeked];
        if peeked == 0 || !HTTP2_PREFACE.starts_with(seen) {
            return Ok(false);
        }
        if peeked == HTTP2_PREFACE.len() {
            return Ok(true);
        }
        // The start of the preface: peeking again at once would see the same bytes.
        if io.head_timed_out() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no request within the header-read timeout",
            ));
        }
        tokio::time::sleep(PREFACE_RECHECK).await;
    }
}

/// The most HTTP/2 streams (requests) one connection may have in flight (nginx allows 128).
const MAX_CONCURRENT_STREAMS: u32 = 100;

/// `t + d`, or a day past `t` if that overflows (a timeout of `Duration::MAX` means "never").
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(t)
}

/// Accept errors, logged at most once a second with the count of those not logged.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    fn failed(&mut self, e: &std::io::Error) {
        let now = Instant::now();
        if self
            .last_logged
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            self.unlogged += 1;
            return;
        }
        tracing::warn!(error = %e, more_since_last_logged = self.unlogged, "accept failed");
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}

/// What a connection's service tells its I/O watch: how many requests are in flight, how many
/// were served, and since when the connection has been idle.
struct ConnState {
    in_flight: AtomicUsize,
    served: AtomicU64,
    idle_since: Mutex<Instant>,
    /// The connection's task, woken when a deadline it waits for may have moved (a request
    /// ends, an HTTP/2 response starts waiting for the client).
    waker: AtomicWaker,
    /// Whether the connection speaks HTTP/2 (set once its first bytes are read).
    http2: AtomicBool,
    /// HTTP/2 only: for each response body that handed a frame to hyper and has not been asked
    /// for the next one yet, since when. A client that withholds flow-control credit stalls
    /// them without any write blocking; the oldest stamp bounds that.
    handed: Mutex<HashMap<u64, Instant>>,
    next_body: AtomicU64,
}

impl ConnState {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            idle_since: Mutex::new(Instant::now()),
            waker: AtomicWaker::new(),
            http2: AtomicBool::new(false),
            handed: Mutex::new(HashMap::new()),
            next_body: AtomicU64::new(0),
        }
    }

    /// The oldest frame an HTTP/2 response handed to hyper that hyper has not sent on yet.
    fn oldest_handed(&self) -> Option<Instant> {
        self.handed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .min()
            .copied()
    }

    fn set_handed(&self, body: u64, since: Option<Instant>) {
        let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        let was_empty = handed.is_empty();
        match since {
            Some(t) => {
                handed.entry(body).or_insert(t);
            }
            None => {
                handed.remove(&body);
            }
        }
        if was_empty && !handed.is_empty() {
            drop(handed);
            self.waker.wake();
        }
    }

    fn idle_since(&self) -> Instant {
        *self.idle_since.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request in flight on its connection, until its response is sent (or dropped).
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn begin(state: Arc<ConnState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.served.fetch_add(1, Ordering::SeqCst);
        *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        // The connection may be parked with no deadline (a request was in flight): let it
        // set its idle deadline now.
        self.0.waker.wake();
    }
}

/// The stream of one connection, failing its read once the connection has waited too long for
/// a request: [`ServeOptions::header_read_timeout`] for a new connection or a request head
/// begun, [`ServeOptions::keep_alive_timeout`] between requests. While a request is in flight
/// it sets no deadline (its body has [`ServeOptions::body_read_timeout`]).
struct WatchedIo {
    /// The socket; taken on drop for the lingering close.
    inner: Option<TcpStream>,
    /// The connection's slot under `max_connections`, held until the socket is closed.
    permit: Option<OwnedSemaphorePermit>,
    state: Arc<ConnState>,
    header_timeout: Duration,
    keep_alive: Duration,
    accepted: Instant,
    last_read: Instant,
    head_started: Option<Instant>,
    http2: Option<bool>,
    sleep: Pin<Box<Sleep>>,
    /// How long a write may wait for the client to read ([`ServeOptions::body_read_timeout`]).
    write_timeout: Duration,
    /// Since when writes have been blocked by a client that does not read.
    write_blocked: Option<Instant>,
    write_sleep: Pin<Box<Sleep>>,
}

impl WatchedIo {
    fn new(
        inner: TcpStream,
        state: Arc<ConnState>,
        options: &ServeOptions,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        let now = Instant::now();
        Self {
            inner: Some(inner),
            permit: Some(permit),
            state,
            header_timeout: options.header_read_timeout,
            keep_alive: options.keep_alive_timeout,
            accepted: now,
            last_read: now,
            head_started: None,
            http2: None,
            sleep: Box::pin(tokio::time::sleep(options.header_read_timeout)),
            write_timeout: options.body_read_timeout,
            write_blocked: None,
            write_sleep: Box::pin(tokio::time::sleep(options.body_read_timeout)),
        }
    }

    /// A write's outcome, with the write timeout applied: a client that has read nothing of
    /// what we send for `write_timeout` has its connection closed (a response nobody reads must
    /// not hold a connection, and its slot under `max_connections`, for ever).
    fn after_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if result.is_ready() {
            self.write_blocked = None;
            return result;
        }
        let since = *self.write_blocked.get_or_insert_with(Instant::now);
        let deadline = tokio::time::Instant::from_std(later(since, self.write_timeout));
        if self.write_sleep.deadline() != deadline {
            self.write_sleep.as_mut().reset(deadline);
        }
        if self.write_sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client read nothing within the body-read timeout",
            )));
        }
        Poll::Pending
    }

    /// Peeks at the first bytes the client sent into `buf`, without reading them: how many.
    /// Pending until some arrive, with the deadline of a read.
    fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let mut buf = ReadBuf::new(buf);
        match inner.poll_peek(cx, &mut buf) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => self.poll_deadline(cx).map(Err),
        }
    }

    /// Whether a connection that has sent no whole request head yet is past its
    /// header-read timeout.
    fn head_timed_out(&self) -> bool {
        Instant::now() >= later(self.accepted, self.header_timeout)
    }

    /// Pending until the connection's deadline ([`Self::deadline`]), then the timeout error;
    /// the task is woken when the deadline may have changed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Error> {
        // Registered before the state is read: a request ending (or a response stalling)
        // after this wakes the task to compute its deadline again.
        self.state.waker.register(cx.waker());
        let Some(deadline) = self.deadline() else {
            return Poll::Pending;
        };
        self.sleep
            .as_mut()
            .reset(tokio::time::Instant::from_std(deadline));
        if self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no request within the header-read or keep-alive timeout",
            ));
        }
        Poll::Pending
    }

    /// When the connection gives up waiting, if it is waiting for a request.
    fn deadline(&self) -> Option<Instant> {
        if self.state.in_flight.load(Ordering::SeqCst) > 0 {
            // HTTP/2: a response hyper cannot send on (the client gives no flow-control
            // credit) is as stalled as a write that blocks.
            return self
                .state
                .oldest_handed()
                .map(|t| later(t, self.write_timeout));
        }
        let idle_since = self.state.idle_since();
        let first = self.state.served.load(Ordering::SeqCst) == 0;
        let head = self.head_started.filter(|t| *t >= idle_since);
        Some(match (self.http2 == Some(true), first, head) {
            // HTTP/2 pings and settings between streams are neither a request head nor
            // activity: an idle HTTP/2 connection closes `keep_alive` after its last request,
            // however often it pings.
            (true, true, _) => later(self.accepted, self.header_timeout),
            (true, false, _) => later(idle_since, self.keep_alive),
            (false, true, _) => later(self.accepted, self.header_timeout),
            (false, false, Some(t)) => later(t, self.header_timeout),
            (false, false, None) => later(idle_since, self.keep_alive),
        })
    }
}

/// The error of an I/O call after the socket was handed to the lingering close.
fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "connection closed")
}

/// How long a closed connection keeps reading (and discarding) what the client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// How much a closed connection reads (and discards) at most: enough for the rest of any body
/// a client sends within [`LINGER`] on a fast link (time is the real bound).
const LINGER_BYTES: usize = 64 << 20;

/// A lingering close (RFC 9112, 9.6): when hyper is done with a connection, the write side is
/// shut down (the client gets the whole response and then the end of the stream), and what
/// the client still sends (the rest of a body refused early, with a 413, say) is read and
/// discarded for up to [`LINGER`] or [`LINGER_BYTES`] before the socket is closed. Closing a
/// socket with unread data makes the kernel send a reset, which can destroy the response in
/// the client's receive buffer before it reads it. The connection keeps its slot under
/// `max_connections` meanwhile, so lingering sockets are counted too.
impl Drop for WatchedIo {
    fn drop(&mut self) {
        let (Some(mut stream), permit) = (self.inner.take(), self.permit.take()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _permit = permit;
            let deadline = tokio::time::Instant::now() + LINGER;
            let _ = tokio::time::timeout_at(deadline, stream.shutdown()).await;
            let mut buf = vec![0u8; 16 * 1024];
            let mut read = 0;
            while read < LINGER_BYTES {
                match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                    Ok(Ok(n)) if n > 0 => read += n,
                    _ => break,
                }
            }
        });
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        match Pin::new(inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    let now = Instant::now();
                    this.last_read = now;
                    if this.http2.is_none() {
                        let http2 = read.starts_with(b"PRI ");
                        this.http2 = Some(http2);
                        this.state.http2.store(http2, Ordering::SeqCst);
                    }
                    if this.state.in_flight.load(Ordering::SeqCst) == 0
                        && this
                            .head_started
                            .is_none_or(|t| t < this.state.idle_since())
                    {
                        this.head_started = Some(now);
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(inner).poll_write(cx, buf);
        this.after_write(cx, result)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(inner).poll_flush(cx);
        this.after_write(cx, result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_shutdown(cx),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(closed()));
        };
        let result = Pin::new(inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(TcpStream::is_write_vectored)
    }
}

/// The hyper service of one connection: records the client (trusted proxies applied), gives the
/// request its id and its body its read timeout, calls `service`, and logs the response.
#[derive(Clone)]
struct ConnectionService<S> {
    service: S,
    peer: std::net::SocketAddr,
    state: Arc<ConnState>,
    options: Arc<ServeOptions>,
    /// The slots of [`ServeOptions::max_requests`].
    handlers: Option<Arc<Semaphore>>,
}

impl<S, B> hyper::service::Service<http::Request<Incoming>> for ConnectionService<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<LoggedBody<B>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(self.state.clone());
        let started = Instant::now();
        self.options.trusted_proxies.apply(&mut req, self.peer);
        let id = request_id(req.headers());
        req.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
        let deadline = self.options.request_timeout.map(|timeout| {
            let deadline = tokio::time::Instant::now() + timeout;
            req.extensions_mut()
                .insert(RequestTimeout { timeout, deadline });
            deadline
        });
        let log = self.options.request_log.then(|| RequestLog {
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            client: req
                .extensions()
                .get::<crate::extensions::ClientAddr>()
                .map_or(self.peer, |a| a.0),
            id: id.clone(),
            started,
            status: http::StatusCode::OK,
            bytes: 0,
        });
        // HTTP/1: a response sent before its request's body was read to the end closes the
        // connection, and says so (`Connection: close`), so the client does not send its next
        // request on a connection about to close.
        let http1 = req.version() < http::Version::HTTP_2;
        let has_body = !http_body::Body::is_end_stream(req.body());
        let body_done = Arc::new(AtomicBool::new(false));
        let (parts, body) = req.into_parts();
        let mut req = http::Request::from_parts(
            parts,
            RequestBody::new(body, self.options.body_read_timeout, body_done.clone()),
        );
        if has_body {
            // It waits for its body, and for its commit: it keeps copies, not hyper's buffer.
            detach(&mut req);
        }
        let service = self.service.clone();
        let handlers = self.handlers.clone().filter(|_| !has_body);
        Box::pin(async move {
            // Closed never (the semaphore lives as long as the server): `None` is no wait. A
            // wait that outlasts the request timeout ends it: the router answers 503.
            let slot = match handlers {
                None => None,
                Some(handlers) => match handlers.clone().try_acquire_owned() {
                    Ok(slot) => Some(slot),
                    Err(_) => {
                        // A request that waits keeps copies, not hyper's buffer.
                        detach(&mut req);
                        match deadline {
                            Some(deadline) => {
                                match tokio::time::timeout_at(deadline, handlers.acquire_owned())
                                    .await
                                {
                                    Ok(slot) => slot.ok(),
                                    Err(_) => {
                                        req.extensions_mut().insert(WaitedPastTimeout);
                                        None
                                    }
                                }
                            }
                            None => handlers.acquire_owned().await.ok(),
                        }
                    }
                },
            };
            let res = match tower::ServiceExt::oneshot(service, req).await {
                Ok(res) => res,
                Err(never) => match never {},
            };
            drop(slot);
            let (mut parts, body) = res.into_parts();
            parts.headers.insert(REQUEST_ID_HEADER, id);
            if http1 && has_body && !body_done.load(Ordering::SeqCst) {
                parts
                    .headers
                    .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            }
            let log = log.map(|mut log| {
                log.status = parts.status;
                log
            });
            Ok(http::Response::from_parts(
                parts,
                LoggedBody::new(body, log, in_flight),
            ))
        })
    }
}

/// The request's id: its own `x-request-id` when that is 1 to 128 visible ASCII characters,
/// else a new one (16 hex digits).
fn request_id(headers: &http::HeaderMap) -> HeaderValue {
    if let Some(given) = headers.get(REQUEST_ID_HEADER)
        && (1..=MAX_REQUEST_ID_LEN).contains(&given.len())
        && given.as_bytes().iter().all(|b| (0x21..=0x7e).contains(b))
    {
        return given.clone();
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let mut hasher = KEYS
        .get_or_init(std::collections::hash_map::RandomState::new)
        .build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    HeaderValue::from_str(&format!("{:016x}", hasher.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// A request body as [`serve`] hands it to the service: hyper's body, whose read fails once
/// fewer than [`MIN_BODY_PROGRESS`] bytes arrived within [`ServeOptions::body_read_timeout`]
/// (so a body trickled a few bytes at a time is cut as surely as a stalled one).
pub struct RequestBody {
    inner: Incoming,
    timeout: Duration,
    /// When the current window of progress began: the first read, or the last time
    /// [`MIN_BODY_PROGRESS`] bytes were reached. Moved forward by the time the reader spent
    /// elsewhere (the client is not to blame for a view that reads late or slowly).
    window_start: Option<Instant>,
    window_bytes: usize,
    /// When the last frame was handed to the reader, while it has not asked again.
    handed_at: Option<Instant>,
    /// Set once the body was read to its end (the connection can then be kept alive).
    done: Arc<AtomicBool>,
    sleep: Option<Pin<Box<Sleep>>>,
}

/// The progress a request body must make in every [`ServeOptions::body_read_timeout`]: 1 KiB
/// (counted while the body is being read: time the view spends elsewhere does not count). A
/// client trickling two bytes every five seconds makes
/// no progress by this measure.
pub const MIN_BODY_PROGRESS: usize = 1024;

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RequestBody {
    fn new(inner: Incoming, timeout: Duration, done: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            done,
            timeout,
            window_start: None,
            window_bytes: 0,
            handed_at: None,
            sleep: None,
        }
    }

    fn timed_out(&self) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Poll::Ready(Some(Err(Box::new(BodyReadTimeout(self.timeout)))))
    }
}

/// A request body that made less than [`MIN_BODY_PROGRESS`] within
/// [`ServeOptions::body_read_timeout`].
#[derive(Debug)]
pub struct BodyReadTimeout(Duration);

impl std::fmt::Display for BodyReadTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body sent less than {MIN_BODY_PROGRESS} bytes in {} s",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyReadTimeout {}

impl HttpBody for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let now = Instant::now();
        // The time since the last frame was handed over was the reader's, not the client's.
        let start = match (this.window_start, this.handed_at.take()) {
            (None, _) => now,
            (Some(start), Some(handed)) => start + now.saturating_duration_since(handed),
            (Some(start), None) => start,
        };
        this.window_start = Some(start);
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.window_bytes += data.len();
                }
                if this.window_bytes >= MIN_BODY_PROGRESS {
                    this.window_start = Some(now);
                    this.window_bytes = 0;
                }
                this.handed_at = Some(now);
                if this.inner.is_end_stream() {
                    this.done.store(true, Ordering::SeqCst);
                }
                Poll::Ready(Some(Ok(detach_frame(frame))))
            }
            Poll::Ready(None) => {
                this.done.store(true, Ordering::SeqCst);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Pending => {
                // Too little in the window by its end, whether nothing came or a trickle.
                let deadline = tokio::time::Instant::from_std(later(start, this.timeout));
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
                this.timed_out()
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What a request's log line says.
struct RequestLog {
    method: http::Method,
    path: String,
    client: std::net::SocketAddr,
    id: HeaderValue,
    started: Instant,
    status: http::StatusCode,
    bytes: u64,
}

/// A response body that counts what it sends and logs the request when it is done (sent or
/// dropped).
struct LoggedBody<B> {
    inner: Pin<Box<B>>,
    log: Option<RequestLog>,
    /// This body's key in [`ConnState::handed`].
    id: u64,
    in_flight: InFlight,
}

impl<B> LoggedBody<B> {
    /// The body of a response about to be handed to hyper. On HTTP/2 it is stamped as waiting
    /// from now: hyper asks for its first frame only once the client grants flow-control
    /// credit, and a client that never does must not hold it for ever.
    fn new(body: B, log: Option<RequestLog>, in_flight: InFlight) -> Self {
        let state = &in_flight.0;
        let id = state.next_body.fetch_add(1, Ordering::Relaxed);
        if state.http2.load(Ordering::Relaxed) {
            state.set_handed(id, Some(Instant::now()));
        }
        Self {
            inner: Box::pin(body),
            log,
            id,
            in_flight,
        }
    }
}

impl<B> std::fmt::Debug for LoggedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedBody").finish_non_exhaustive()
    }
}

impl<B> HttpBody for LoggedBody<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let state = &this.in_flight.0;
        let http2 = state.http2.load(Ordering::Relaxed);
        if http2 {
            // Asked for the next frame: the last one went on.
            state.set_handed(this.id, None);
        }
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            if let Some(log) = &mut this.log {
                log.bytes += data.len() as u64;
            }
            if http2 {
                state.set_handed(this.id, Some(Instant::now()));
            }
        }
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for LoggedBody<B> {
    fn drop(&mut self) {
        if self.in_flight.0.http2.load(Ordering::Relaxed) {
            self.in_flight.0.set_handed(self.id, None);
        }
        if let Some(log) = self.log.take() {
            tracing::info!(
                target: "restframe::request",
                method = %log.method,
                path = %log.path,
                status = log.status.as_u16(),
                // To the microsecond: `1.452206`, not `1.4522059999999999`.
                latency_ms = log.started.elapsed().as_micros() as f64 / 1000.0,
                bytes = log.bytes,
                request_id = log.id.to_str().unwrap_or(""),
                client = %log.client.ip(),
                "request"
            );
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::{AcceptErrors, REQUEST_ID_HEADER, request_id};

    mod sniff {
        use std::sync::Arc;
        use std::time::Duration;

        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::{TcpListener, TcpStream};
        use tokio::sync::Semaphore;

        use super::super::{ConnState, HTTP2_PREFACE, ServeOptions, WatchedIo, sniff};

        /// A connected client, and the server's side of the connection as `serve` watches it.
        async fn connected(options: &ServeOptions) -> (TcpStream, WatchedIo) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
            let state = Arc::new(ConnState::new());
            (client, WatchedIo::new(server, state, options, permit))
        }

        /// Reads `n` bytes from `io`, as hyper would after the sniff.
        async fn read(io: &mut WatchedIo, n: usize) -> Vec<u8> {
            let mut got = vec![0; n];
            io.read_exact(&mut got).await.unwrap();
            got
        }

        #[tokio::test]
        async fn http1_is_told_and_its_bytes_stay_for_hyper() {
            let (mut client, mut io) = connected(&ServeOptions::default()).await;
            let request = b"GET /api/ HTTP/1.1\r\nHost: x\r\n\r\n";
            client.write_all(request).await.unwrap();
            assert!(!sniff(&mut io).await.unwrap());
            assert_eq!(read(&mut io, request.len()).await, request);
        }

        #[tokio::test]
        async fn a_preface_sent_in_two_parts_is_http2() {
            let (mut client, mut io) = connected(&ServeOptions::default()).await;
            let (start, rest) = HTTP2_PREFACE.split_at(9);
            client.write_all(start).await.unwrap();
            let writer = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                client.write_all(rest).await.unwrap();
                client
            });
            assert!(sniff(&mut io).await.unwrap());
            assert_eq!(read(&mut io, HTTP2_PREFACE.len()).await, HTTP2_PREFACE);
            drop(writer.await.unwrap());
        }

        #[tokio::test]
        async fn a_closed_connection_is_left_to_hyper_as_http1() {
            let (client, mut io) = connected(&ServeOptions::default()).await;
            drop(client);
            assert!(!sniff(&mut io).await.unwrap());
        }

        #[tokio::test]
        async fn silence_and_a_stalled_preface_end_at_the_header_read_timeout() {
            let options = ServeOptions::default().header_read_timeout(Duration::from_millis(200));
            let (_silent, mut io) = connected(&options).await;
            let waited = tokio::time::timeout(Duration::from_secs(5), sniff(&mut io)).await;
            let err = waited.expect("ended by its own timeout").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);

            let (mut stalled, mut io) = connected(&options).await;
            stalled.write_all(&HTTP2_PREFACE[..5]).await.unwrap();
            let waited = tokio::time::timeout(Duration::from_secs(5), sniff(&mut io)).await;
            let err = waited.expect("ended by its own timeout").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        }
    }

    #[test]
    fn accept_errors_are_logged_once_a_second_with_a_count() {
        let mut errors = AcceptErrors::default();
        let e = std::io::Error::other("Too many open files");
        for _ in 0..5 {
            errors.failed(&e);
        }
        assert!(errors.last_logged.is_some());
        assert_eq!(errors.unlogged, 4);
    }

    #[test]
    fn request_ids_are_propagated_when_sane_and_made_otherwise() {
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, "abc-123".parse().unwrap());
        assert_eq!(request_id(&headers), "abc-123");
        for bad in ["a b", "", &"x".repeat(129)] {
            headers.insert(REQUEST_ID_HEADER, bad.parse().unwrap());
            let id = request_id(&headers);
            assert_ne!(id, bad);
            assert_eq!(id.len(), 16, "{id:?}");
        }
        assert_ne!(
            request_id(&http::HeaderMap::new()),
            request_id(&http::HeaderMap::new())
        );
    }
}
