//! The `negotiate` target: its body is `bodies/negotiate.rs`, which the stable regression test
//! (`framework/tests/fuzz_corpus.rs`) replays on `fuzz/corpus/negotiate/`.
#![no_main]

#[path = "../bodies/negotiate.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
