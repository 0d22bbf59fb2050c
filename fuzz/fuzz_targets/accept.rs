//! The `accept` target: its body is `bodies/accept.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/accept/`.
#![no_main]

#[path = "../bodies/accept.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
