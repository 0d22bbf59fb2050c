//! restframe serving exactly the API of the yardstick's peers (`../shared/bench-peers`): the
//! table `tracks` with five fields, a `ModelViewSet` at `/api/tracks/`, page-number pages (10 by
//! default, `page_size` up to 100), JSON only, no authentication, permissions, throttles or
//! request logs, as the DRF peer is configured. The example app answers with twelve fields
//! (hyperlinks, owners, timestamps); this one renders what DRF renders, so the yardstick
//! compares the same work.
//!
//! Run by `run.sh` as a `--start`ed target, which sets `BENCH_DB` (a copy of the seeded SQLite
//! file) and `BENCH_ADDR`:
//!
//! ```sh
//! CARGO_TARGET_DIR=$PWD/target cargo build --release --offline \
//!   --manifest-path bench/peer-shape/Cargo.toml
//! ../shared/bench-peers/run.sh --target peer-shape=http://127.0.0.1:8001 \
//!   --start "peer-shape=exec $PWD/target/release/peer-shape"
//! ```
#![forbid(unsafe_code)]

use std::time::Duration;

use restframe::sql::{Database, SqlRepository};
use restframe::{
    ApiSettings, Date, Model, ModelViewSet, Router, ServeOptions, serve_with, shutdown_signal,
};
use serde::{Deserialize, Serialize};

/// The example app's allocator for small blocks, as a deployment would choose.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A track as the peers have it (Django's `catalog.Track`, table `tracks`).
#[derive(Serialize, Deserialize, Model)]
#[model(table = "tracks")]
pub struct Track {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 100)]
    title: String,
    #[field(max_length = 100)]
    artist_name: String,
    release_date: Option<Date>,
    #[field(read_only)]
    file: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // restframe's runtime, as the example app's (I/O events in small batches).
    restframe::runtime_builder().build()?.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let db_file = std::env::var("BENCH_DB").map_err(|_| "BENCH_DB: the peers' SQLite file")?;
    let addr = std::env::var("BENCH_ADDR").unwrap_or_else(|_| "127.0.0.1:8001".to_owned());
    let db = Database::connect(&format!("sqlite://{db_file}")).await?;
    let router = ModelViewSet::new("Track", "track", SqlRepository::<Track>::new(&db))
        .page_size(10, 100)
        .register(
            Router::with_settings(ApiSettings::default()),
            "/api/tracks/",
        )?;
    let listener = restframe::listen(addr.parse()?)?;
    println!("peer-shape listening on http://{}/", listener.local_addr()?);
    let options = ServeOptions::default()
        .request_log(false)
        .grace(Duration::from_secs(5));
    serve_with(listener, router, shutdown_signal(), options).await?;
    db.close().await;
    Ok(())
}
