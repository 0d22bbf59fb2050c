#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for a bounded time with libFuzzer, as tests/run-all's
# fuzz step; see docs/fuzzing.md.
#
# Needs a nightly toolchain (`rustup toolchain list`); without one it prints
# `SKIPPING fuzzing: no nightly toolchain` and succeeds. Installs cargo-fuzz with
# `cargo install cargo-fuzz --locked` when missing (under a minute). Builds into target/fuzz/
# (without a sanitizer: the code under test is safe Rust, and ASan would double the build and
# halve the runs), then runs each target for RESTFRAME_FUZZ_SECONDS seconds (default 20) on its
# regression corpus fuzz/corpus/TARGET/ (read only) plus a working corpus in
# target/fuzz/corpus/TARGET/ (what the fuzzer finds; never committed). RESTFRAME_FUZZ_TARGETS
# (space-separated names) runs only those.
#
# A crash, a panic, an input running over 10 s or memory over 2 GiB fails it (exit 1), with the
# end of the fuzzer's log and the path of the input that failed (under target/fuzz/artifacts/);
# replay it with `target/fuzz/x86_64-unknown-linux-gnu/release/TARGET PATH`, or copy it into
# fuzz/corpus/TARGET/ and run `cargo test -p restframe --all-features --test fuzz_corpus`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${RESTFRAME_FUZZ_SECONDS:-20}
read -r -a targets <<<"${RESTFRAME_FUZZ_TARGETS:-parse_body negotiate multipart accept range path_pattern}"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
	echo "SKIPPING fuzzing: no nightly toolchain"
	exit 0
fi

t0=$SECONDS
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
	echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
	cargo install cargo-fuzz --locked --quiet
	echo "fuzz: cargo-fuzz installed in $((SECONDS - t0))s"
fi

dir=target/fuzz
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
lock_before=$(sha256sum fuzz/Cargo.lock)
t1=$SECONDS
# 16 codegen units: a build about twice as fast on two cores, for slightly slower runs.
cargo +nightly fuzz build --sanitizer none --codegen-units 16 --target-dir "$dir" >&2
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - t1))s"
if [[ $(sha256sum fuzz/Cargo.lock) != "$lock_before" ]]; then
	echo "fuzz: warning: the build changed fuzz/Cargo.lock; commit it" >&2
fi

failed=()
for t in "${targets[@]}"; do
	bin=$dir/$triple/release/$t
	work=$dir/corpus/$t
	artifacts=$dir/artifacts/$t
	log=$dir/logs/$t.log
	mkdir -p "$work" "$artifacts" "$dir/logs"
	status=0
	# libFuzzer stops itself after -max_total_time; the outer timeout only guards against a
	# fuzzer that cannot stop (a hang it cannot report).
	timeout --kill-after=10 $((seconds + 60)) "$bin" "$work" "fuzz/corpus/$t" \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [[ $status -eq 0 ]]; then
		echo "fuzz: $t: ${runs:-?} runs in ${seconds}s, no crash"
	else
		failed+=("$t")
		echo "fuzz: $t: FAILED (exit $status) after ${runs:-?} runs; from $log:"
		# The panic's message (absent for a timeout or running out of memory), then libFuzzer's
		# verdict.
		grep -m1 -A4 'panicked at' "$log" || true
		grep -E '^(==[0-9]+== ERROR|SUMMARY|MS:|artifact_prefix)' "$log" | tail -n 6 || true
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz: $t: the failing input: ${artifact:-none written (see the log)}"
	fi
done
echo "fuzz: done in $((SECONDS - t0))s"
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
