//! The `multipart` target: its body is `bodies/multipart.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/multipart/`.
#![no_main]

#[path = "../bodies/multipart.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
