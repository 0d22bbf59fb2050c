//! The restframe example app.
//!
//! A music catalogue: tracks and users as multi-format CRUD APIs over SQLite (the default,
//! `./data/example.db`) or PostgreSQL, plus `/api/hello/` and `/api/echo/`, two function views
//! that show content negotiation, and the API root `/api/`.
// Unsafe code only in `allocator` (a `GlobalAlloc`), allowed there alone.
#![deny(unsafe_code)]

mod allocator;
mod app;
mod auth_views;
mod credentials;
mod durations;
mod identity_cache;
mod log_time;
mod log_writer;
mod media;
mod owner;
mod ownership;
mod pages;
mod passwords;
mod pictures;
mod policy;
mod presign;
mod random;
mod superuser;
mod sweep;
mod tracks;
mod uploads;
mod users;

/// mimalloc for small blocks, glibc's malloc for big ones ([`allocator`]).
#[global_allocator]
static ALLOCATOR: allocator::Split = allocator::Split;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Command-line flags; each has an environment-variable fallback named `EXAMPLE_APP_…` (the
/// log filter's is `RUST_LOG`, the S3 credentials' `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`).
#[derive(Debug, clap::Parser)]
#[command(version, about = "The restframe example app")]
#[command(args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address and port to listen on.
    #[arg(long, env = "EXAMPLE_APP_BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    /// Database URL: `sqlite://PATH` (file and directory created when missing) or
    /// `postgres://USER@HOST:PORT/DB`. Migrations run at start.
    #[arg(
        long,
        env = "EXAMPLE_APP_DATABASE_URL",
        default_value = "sqlite://./data/example.db"
    )]
    database_url: String,
    /// Directory for uploaded media files with `--storage fs` (created when missing).
    #[arg(long, env = "EXAMPLE_APP_MEDIA_ROOT", default_value = "./media")]
    media_root: std::path::PathBuf,
    /// Where uploads are stored: `fs` (under --media-root) or `s3` (see the --s3-* flags;
    /// credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "EXAMPLE_APP_STORAGE", default_value = "fs", value_parser = ["fs", "s3"])]
    storage: String,
    /// S3 endpoint URL (e.g. `http://127.0.0.1:9000`); AWS when absent. `http://` is allowed
    /// when given explicitly.
    #[arg(long, env = "EXAMPLE_APP_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// S3 bucket.
    #[arg(long, env = "EXAMPLE_APP_S3_BUCKET", default_value = "media")]
    s3_bucket: String,
    /// S3 region.
    #[arg(long, env = "EXAMPLE_APP_S3_REGION", default_value = "us-east-1")]
    s3_region: String,
    /// Path-style S3 URLs (`endpoint/bucket/key`); on by default when --s3-endpoint is given.
    #[arg(long, env = "EXAMPLE_APP_S3_PATH_STYLE")]
    s3_path_style: Option<bool>,
    /// Largest upload, in bytes or with a KiB/MiB/GiB suffix.
    #[arg(long, env = "EXAMPLE_APP_MAX_UPLOAD_SIZE", default_value = "10MiB", value_parser = media::parse_size)]
    max_upload_size: u64,
    /// Lifetime of presigned upload URLs (`3600`, `1h`, `30m`; a bare number is seconds).
    #[arg(long, env = "EXAMPLE_APP_PRESIGN_EXPIRY", default_value = "1h", value_parser = durations::parse_duration)]
    presign_expiry: Duration,
    /// How often unconfirmed presigned uploads past their expiry are removed (`60`, `1m`).
    #[arg(
        long,
        env = "EXAMPLE_APP_UPLOAD_CLEANUP_INTERVAL",
        default_value = "1m",
        value_parser = durations::parse_duration
    )]
    upload_cleanup_interval: Duration,
    /// How often the storage sweep runs (it also runs at startup): it removes spill files of
    /// interrupted uploads, temporary files and objects no track or pending upload references,
    /// once older than --sweep-grace (`10m`, `1h`; a bare number is seconds).
    #[arg(long, env = "EXAMPLE_APP_SWEEP_INTERVAL", default_value = "10m", value_parser = durations::parse_duration)]
    sweep_interval: Duration,
    /// How old a leftover must be before the sweep removes it: longer than any upload takes
    /// (`1h`, `30m`).
    #[arg(long, env = "EXAMPLE_APP_SWEEP_GRACE", default_value = "1h", value_parser = durations::parse_duration)]
    sweep_grace: Duration,
    /// Secret that signs the app's own presigned URLs (shared by every instance); a random one
    /// per process when absent.
    #[arg(long, env = "EXAMPLE_APP_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Where the HTML pages' templates are (`/tracks/`, `/users/`).
    #[arg(long, env = "EXAMPLE_APP_TEMPLATES", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/templates"))]
    templates: std::path::PathBuf,
    /// Debug mode: templates are re-read when they change, and HTML error pages show the error
    /// body. Never in production. `--debug` alone turns it on; a value may be 1/0, true/false,
    /// yes/no, on/off.
    #[arg(
        long,
        env = "EXAMPLE_APP_DEBUG",
        num_args = 0..=1,
        require_equals = false,
        default_value = "false",
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    debug: bool,
    /// Log filter, in tracing-subscriber's EnvFilter syntax (e.g. `info,restframe=debug`).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    log: String,
    /// Anonymous requests allowed per client address: DRF's `N/s|min|hour|day`, or `off`.
    #[arg(long, env = "EXAMPLE_APP_THROTTLE_ANON", default_value = "100/min", value_parser = policy::parse_rate)]
    throttle_anon: policy::RateFlag,
    /// Authenticated requests allowed per user (`N/period` or `off`).
    #[arg(long, env = "EXAMPLE_APP_THROTTLE_USER", default_value = "1000/min", value_parser = policy::parse_rate)]
    throttle_user: policy::RateFlag,
    /// Uploads allowed per user (per address when anonymous): track files, presigned URLs and
    /// their confirmation, pictures (`N/period` or `off`).
    #[arg(long, env = "EXAMPLE_APP_THROTTLE_UPLOADS", default_value = "60/min", value_parser = policy::parse_rate)]
    throttle_uploads: policy::RateFlag,
    /// Where throttles count: `memory` (this process) or `redis` (one budget shared by every
    /// instance on the same Redis; see --redis-url).
    #[arg(long, env = "EXAMPLE_APP_THROTTLE_STORE", default_value = "memory", value_parser = ["memory", "redis"])]
    throttle_store: String,
    /// The Redis server of `--throttle-store redis`.
    #[arg(
        long,
        env = "EXAMPLE_APP_REDIS_URL",
        default_value = "redis://127.0.0.1:6379/",
        hide_env_values = true
    )]
    redis_url: String,
    /// What the app's Redis keys start with (several apps on one Redis use different ones).
    #[arg(
        long,
        env = "EXAMPLE_APP_REDIS_PREFIX",
        default_value = "example-app:throttle:"
    )]
    redis_prefix: String,
    /// The `Host` values answered (comma-separated): `api.example.com`, `.example.com` for a
    /// domain and its subdomains, `*` for any. Any other host gets 400. Default: the --bind
    /// address, `localhost`, `127.0.0.1` and `[::1]`, with any port.
    #[arg(long, env = "EXAMPLE_APP_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Option<Vec<String>>,
    /// The proxies whose X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-For count
    /// (comma-separated addresses or CIDR networks, e.g. `127.0.0.1,10.0.0.0/8`). Default:
    /// none, so nobody's do.
    #[arg(long, env = "EXAMPLE_APP_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: restframe::TrustedProxies,
    /// How long a client may take to send a request's head (`30s`).
    #[arg(long, env = "EXAMPLE_APP_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = durations::parse_duration)]
    header_read_timeout: Duration,
    /// How long an idle keep-alive connection stays open (`75s`).
    #[arg(long, env = "EXAMPLE_APP_KEEP_ALIVE_TIMEOUT", default_value = "75s", value_parser = durations::parse_duration)]
    keep_alive_timeout: Duration,
    /// How long a request body may go without 1 KiB of progress (stalled or trickled), and a
    /// response without the client reading any of it, before the connection is cut (`30s`).
    #[arg(long, env = "EXAMPLE_APP_BODY_READ_TIMEOUT", default_value = "30s", value_parser = durations::parse_duration)]
    body_read_timeout: Duration,
    /// The longest a request may take, uploads excepted (they have --body-read-timeout); `0`
    /// for no limit.
    #[arg(long, env = "EXAMPLE_APP_REQUEST_TIMEOUT", default_value = "60s", value_parser = durations::parse_duration)]
    request_timeout: Duration,
    /// The most connections served at once; past it, new ones wait to be accepted.
    #[arg(long, env = "EXAMPLE_APP_MAX_CONNECTIONS", default_value = "4096", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// The most requests without a body handled at once; past it, they wait (holding only
    /// their head) for a handler to end. Bounds the memory of pages in flight under many
    /// connections; `0` for no limit.
    #[arg(long, env = "EXAMPLE_APP_MAX_REQUESTS", default_value = "64")]
    max_requests: u32,
    /// Log lines as `text` or `json` (one object a line), on stderr.
    #[arg(long, env = "EXAMPLE_APP_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Adds the routes the end-to-end tests use (`/api/test/panic/`, `/api/test/slow/`).
    #[arg(long, hide = true)]
    test_routes: bool,
}

/// What the app can do besides serving.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Creates a staff user (Django's `createsuperuser`). The password is the first line of
    /// stdin when stdin is not a terminal, and is asked for otherwise. Works while the server
    /// runs on the same database; creates the tables when they are missing.
    Createsuperuser(superuser::Args),
}

/// How long in-flight requests may take to finish after SIGINT/SIGTERM.
const GRACE: Duration = Duration::from_secs(30);

fn main() -> std::process::ExitCode {
    allocator::settle();
    // restframe's runtime: I/O events in small batches, so that at many connections each
    // is served in turn.
    match restframe::runtime_builder().build() {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            eprintln!("example-app: error: starting the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The command, or the server, from the command line.
async fn start() -> std::process::ExitCode {
    let mut args = Args::parse();
    if let Some(Command::Createsuperuser(command)) = args.command.take() {
        return match superuser::run(command).await {
            Ok(message) => {
                println!("{message}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("example-app: error: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if args.test_routes {
        quiet_intentional_panics();
    }
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-app: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The panic of the test-only route `/api/test/panic/` is expected: it prints nothing (the
/// server's answer and its log line are what the tests check). Every other panic is reported
/// by the default hook.
fn quiet_intentional_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if message.is_none_or(|m| m != app::INTENTIONAL_PANIC) {
            default(info);
        }
    }));
}

/// The server, from its flags to its end; an error names the problem and, where there is one,
/// the fix.
async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // Lines gather in memory and a thread of their own writes them in batches (`log_writer`):
    // a request log line per request cost 17% of a detail's throughput as a write of its own
    // under the stderr lock, and a thread woken per line (tracing-appender) still cost a
    // wake-up per request (docs/server.md). Not lossy: past 1 MiB waiting, a logging task
    // writes itself. The guard writes what is left when `run` ends. Colours only on a terminal.
    let (writer, _flush_on_exit) = log_writer::batched(std::io::stderr(), "example-app-log")?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_timer(log_time::Timestamp)
        .with_writer(writer);
    match args.log_format.as_str() {
        "json" => logs.json().init(),
        _ => logs.init(),
    }

    let db = app::database(&args.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", redact(&args.database_url)))?;
    tracing::info!(backend = db.backend_name(), "database ready");
    let choice = match args.storage.as_str() {
        "s3" => media::StorageChoice::S3(restframe::storage::S3Config {
            path_style: args.s3_path_style.unwrap_or(args.s3_endpoint.is_some()),
            endpoint: args.s3_endpoint.clone(),
            bucket: args.s3_bucket.clone(),
            region: args.s3_region.clone(),
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default(),
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default(),
        }),
        _ => media::StorageChoice::FileSystem {
            root: args.media_root.clone(),
        },
    };
    let secret = match &args.secret_key {
        Some(s) => s.as_bytes().to_vec(),
        None => {
            if args.storage != "s3" {
                tracing::warn!(
                    "no --secret-key: presigned upload URLs are signed with a random key of this \
                     process, so they work only on this instance and not after a restart; give \
                     every instance the same --secret-key"
                );
            }
            random::random_bytes(32)?
        }
    };
    let media = media::Media::open(&choice, &secret, args.max_upload_size)?;
    let presign = presign::Presign::new(
        &restframe::sql::SqlRepository::new(&db),
        &media,
        args.presign_expiry,
    );
    let _cleanup = presign::cleanup(
        presign.clone(),
        args.upload_cleanup_interval.max(Duration::from_millis(100)),
    );
    let _sweep = sweep::spawn(
        sweep::Sweep::new(&db, &media, args.sweep_grace)
            .pending_lifetime(args.presign_expiry + Duration::from_secs(60)),
        args.sweep_interval.max(Duration::from_millis(100)),
    );
    let credentials = credentials::Credentials::new(&db)?;
    let throttling = policy::Throttling {
        anon: args.throttle_anon,
        user: args.throttle_user,
        uploads: args.throttle_uploads,
        store: args.throttle_store.clone(),
        redis_url: args.redis_url.clone(),
        redis_prefix: args.redis_prefix.clone(),
    };
    let store = policy::throttle_store(&throttling)
        .await
        .map_err(|e| format!("redis at {}: {e}", redact(&args.redis_url)))?;
    let options = app::Options {
        policy: policy::settings(&credentials, &throttling, &store),
        credentials,
        db: db.clone(),
        media,
        presign,
        secret: secret.clone(),
        test_routes: args.test_routes,
        templates: args.templates.clone(),
        debug: args.debug,
    };
    let hosts = allowed_hosts(&args);
    let router = app::router(&options)?.allowed_hosts(hosts.iter().map(String::as_str));
    // A queue of 4,096 connections not yet accepted (tokio's `bind` asks for 128).
    let listener = restframe::listen(args.bind).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "{} is already in use; pass --bind with a free address (or set \
                 EXAMPLE_APP_BIND), e.g. --bind 127.0.0.1:8001",
            args.bind
        ),
        _ => format!("cannot listen on {}: {e}; pass --bind", args.bind),
    })?;
    // Tests read this line to learn the port when binding to port 0.
    println!(
        "restframe example app listening on http://{}/",
        listener.local_addr()?
    );
    let serve_options = restframe::ServeOptions::default()
        .header_read_timeout(args.header_read_timeout)
        .keep_alive_timeout(args.keep_alive_timeout)
        .body_read_timeout(args.body_read_timeout)
        .request_timeout((!args.request_timeout.is_zero()).then_some(args.request_timeout))
        .max_connections(usize::try_from(args.max_connections).unwrap_or(usize::MAX))
        .max_requests(
            (args.max_requests > 0)
                .then(|| usize::try_from(args.max_requests).unwrap_or(usize::MAX)),
        )
        .trusted_proxies(args.trusted_proxies.clone())
        .grace(GRACE);
    let served = restframe::serve_with(
        listener,
        router,
        restframe::shutdown_signal(),
        serve_options,
    )
    .await;
    db.close().await;
    Ok(served?)
}

/// The hosts answered: `--allowed-hosts`, else the bind address, `localhost`, `127.0.0.1` and
/// `[::1]` (any port).
fn allowed_hosts(args: &Args) -> Vec<String> {
    if let Some(hosts) = &args.allowed_hosts {
        return hosts
            .iter()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
    }
    let bind = match args.bind.ip() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let mut hosts = vec![bind];
    for default in ["localhost", "127.0.0.1", "[::1]"] {
        if !hosts.iter().any(|h| h == default) {
            hosts.push(default.to_owned());
        }
    }
    hosts
}

/// The database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
