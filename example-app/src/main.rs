//! The restframe example app.
//!
//! A music catalogue: tracks and users as multi-format CRUD APIs over SQLite (the default,
//! `./data/example.db`) or PostgreSQL, plus `/api/hello/` and `/api/echo/`, two function views
//! that show content negotiation, and the API root `/api/`.
#![forbid(unsafe_code)]

mod app;
mod tracks;
mod users;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Command-line flags; each has an environment-variable fallback.
#[derive(Debug, clap::Parser)]
#[command(version, about = "The restframe example app")]
struct Args {
    /// Address and port to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    /// Database URL: `sqlite://PATH` (file and directory created when missing) or
    /// `postgres://USER@HOST:PORT/DB`. Migrations run at start.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://./data/example.db"
    )]
    database_url: String,
    /// Directory for uploaded media files (created when missing).
    #[arg(long, env = "MEDIA_ROOT", default_value = "./media")]
    media_root: std::path::PathBuf,
    /// Log filter, in tracing-subscriber's EnvFilter syntax (e.g. `info,restframe=debug`).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    log: String,
    /// Adds the routes the end-to-end tests use (`/api/test/panic/`, `/api/test/slow/`).
    #[arg(long, hide = true)]
    test_routes: bool,
}

/// How long in-flight requests may take to finish after SIGINT/SIGTERM.
const GRACE: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log))
        .with_writer(std::io::stderr)
        .init();

    let db = app::database(&args.database_url)
        .await
        .map_err(std::io::Error::other)?;
    std::fs::create_dir_all(&args.media_root)?;
    tracing::info!(backend = db.backend_name(), "database ready");
    let options = app::Options {
        db: db.clone(),
        test_routes: args.test_routes,
    };
    let router = app::router(&options).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    // Tests read this line to learn the port when binding to port 0.
    println!(
        "restframe example app listening on http://{}/",
        listener.local_addr()?
    );
    let served = restframe::serve(listener, router, restframe::shutdown_signal(), GRACE).await;
    db.close().await;
    served
}
