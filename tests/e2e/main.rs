//! End-to-end tests: the real example-app binary over real HTTP on loopback. One test binary, as
//! dropshot's integration tests; registered in example-app/Cargo.toml so cargo builds the app.
#![allow(missing_docs, clippy::unwrap_used)] // test helpers panic on purpose

mod negotiation;
mod parsing;
mod server;

/// Starts the example app built for this test run.
fn start() -> restframe_tests::App {
    restframe_tests::App::start(env!("CARGO_BIN_EXE_example-app"), &[])
}
