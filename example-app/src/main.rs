//! The restframe example app.
//!
//! Until the viewsets land, it serves two function views behind the router that show content
//! negotiation end to end: `/api/hello/` (every renderer) and `/api/echo/` (every parser), and
//! the API root `/api/`.
#![forbid(unsafe_code)]

mod app;

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
    /// Log filter, in tracing-subscriber's EnvFilter syntax (e.g. `info,restframe=debug`).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    log: String,
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

    let router = app::router().map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    // Tests read this line to learn the port when binding to port 0.
    println!(
        "restframe example app listening on http://{}/",
        listener.local_addr()?
    );
    restframe::serve(listener, router, restframe::shutdown_signal(), GRACE).await
}
