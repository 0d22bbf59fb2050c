//! End-to-end tests: the real example-app binary over real HTTP on loopback. One binary, as
//! dropshot's integration tests.
#![allow(missing_docs, clippy::unwrap_used)] // test helpers panic on purpose

mod negotiation;
mod parsing;
mod server;
