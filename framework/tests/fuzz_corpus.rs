//! Replays the fuzz targets' regression corpus (`fuzz/corpus/TARGET/`) on stable: each target's
//! body (`fuzz/bodies/TARGET.rs`) is compiled here as it is into the nightly fuzzer, so the two
//! cannot drift. A crash the fuzzer found, once fixed, goes into the corpus and stays fixed.
//! See `docs/fuzzing.md`.
#![cfg(feature = "full")]

use std::path::PathBuf;

#[path = "../../fuzz/bodies/accept.rs"]
mod accept;
#[path = "../../fuzz/bodies/multipart.rs"]
mod multipart;
#[path = "../../fuzz/bodies/negotiate.rs"]
mod negotiate;
#[path = "../../fuzz/bodies/parse_body.rs"]
mod parse_body;
#[path = "../../fuzz/bodies/path_pattern.rs"]
mod path_pattern;
#[path = "../../fuzz/bodies/range.rs"]
mod range;

/// Runs `body` on every input of `fuzz/corpus/{target}/`, which must hold some.
fn replay(target: &str, body: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| Some(e.ok()?.path())).collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    inputs.sort();
    assert!(!inputs.is_empty(), "{} holds no input", dir.display());
    for input in &inputs {
        let data = match std::fs::read(input) {
            Ok(d) => d,
            Err(e) => panic!("{}: {e}", input.display()),
        };
        // The file's name says which input failed when one does.
        eprintln!("{target}: {}", input.display());
        body(&data);
    }
}

#[test]
fn parse_body_corpus() {
    replay("parse_body", parse_body::run);
}

#[test]
fn negotiate_corpus() {
    replay("negotiate", negotiate::run);
}

#[test]
fn multipart_corpus() {
    replay("multipart", multipart::run);
}

#[test]
fn accept_corpus() {
    replay("accept", accept::run);
}

#[test]
fn range_corpus() {
    replay("range", range::run);
    range::cleanup();
}

#[test]
fn path_pattern_corpus() {
    replay("path_pattern", path_pattern::run);
}
