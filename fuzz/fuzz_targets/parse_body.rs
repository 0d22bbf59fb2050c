//! The `parse_body` target: its body is `bodies/parse_body.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/parse_body/`.
#![no_main]

#[path = "../bodies/parse_body.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
