//! The `path_pattern` target: its body is `bodies/path_pattern.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/path_pattern/`.
#![no_main]

#[path = "../bodies/path_pattern.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
