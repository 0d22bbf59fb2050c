//! The `range` target: its body is `bodies/range.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/range/`.
#![no_main]

#[path = "../bodies/range.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
