//! End-to-end tests: the real example-app binary over real HTTP on loopback. One test binary, as
//! dropshot's integration tests; registered in example-app/Cargo.toml so cargo builds the app.
#![allow(missing_docs, clippy::unwrap_used)] // test helpers panic on purpose

mod auth;
mod browser;
mod crud;
mod data;
mod disconnects;
mod durability;
mod edge;
mod errors;
mod html;
mod lists;
mod negotiation;
mod openapi;
mod parsing;
mod pictures;
mod presign;
mod progenitor_client;
mod python_client;
mod readme;
mod relations;
mod scale;
mod server;
mod startup;
mod typescript;
mod typescript_fetch;
mod upgrade;
mod uploads;
mod versioning;

use restframe_tests::{App, Backend};

/// The `Accept` Chrome sends when it navigates to a page.
pub(crate) const CHROME_PAGE: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,\
    image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

/// Starts the example app built for this test run, on a fresh SQLite database.
fn start() -> App {
    App::start(env!("CARGO_BIN_EXE_example-app"), &[])
}

/// Starts the example app on a fresh database of `backend`, with the test-only routes.
fn start_on(backend: Backend) -> App {
    App::start_on(
        env!("CARGO_BIN_EXE_example-app"),
        backend,
        &["--test-routes"],
    )
}

/// Runs each scenario `async fn(&App)` against SQLite, and against PostgreSQL as an ignored
/// test: a plain `cargo test` lists the PostgreSQL runs as ignored with the reason, and
/// `./tests/run-all` starts PostgreSQL and runs them (`--include-ignored`).
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(&crate::start_on(restframe_tests::Backend::Sqlite)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL: ./tests/run-all starts one (or set RESTFRAME_TEST_POSTGRES_URL and pass --include-ignored)"]
                async fn $scenario() {
                    super::$scenario(&crate::start_on(restframe_tests::Backend::Postgres)).await;
                }
            )*
        }
    };
}
pub(crate) use on_every_backend;
