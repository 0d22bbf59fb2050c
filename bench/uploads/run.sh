#!/usr/bin/env bash
# Issue 4's upload benchmark: a 1 GiB MP3 through the example app's track upload action
# (`POST /api/tracks/{id}/upload/{filename}/`), as a raw body and as a multipart part, against
# `cat file > dest` on the same disk. Reports throughput (MB = 10^6 bytes), the server's CPU
# time and its peak RSS (VmHWM; the server is restarted for every upload, so each has its own
# peak). Builds the release binary; not part of CI. Usage: bench/uploads/run.sh
#
# Environment:
#   BENCH_PARENT  directory the fresh temp dir is made in (default: $TMPDIR, else /tmp); it
#                 holds the test file, the database, the media root and the copy
#   SIZE_MIB      size of the test file (default 1024)
#   RUNS          uploads of each kind per spill directory (default 2)
#   SPILL         for an app that spills uploads to std::env::temp_dir(): the TMPDIRs to try,
#                 space-separated: `system` (TMPDIR as this script got it), `bench` (a directory
#                 beside the media root: same file system) or an absolute path (default "system
#                 bench"). Ignored when the app spills to its own `MEDIA_ROOT/.uploads` (since
#                 commit 020c7ef), where TMPDIR plays no part.
#   NO_BUILD=1    skip `cargo build --release -p example-app`
#   BIN           the binary to measure (default target/release/example-app; no build when set),
#                 e.g. an older commit's build for a before/after comparison
set -euo pipefail
cd "$(dirname "$0")/../.."

size_mib=${SIZE_MIB:-1024}
runs=${RUNS:-2}
spills=${SPILL:-system bench}
bin=${BIN:-target/release/example-app}

if [[ ${NO_BUILD:-} != 1 && -z ${BIN:-} ]]; then
	cargo build --release -p example-app
fi
[[ -x $bin ]] || { echo "no $bin: build it first" >&2; exit 1; }

work=$(mktemp -d -p "${BENCH_PARENT:-${TMPDIR:-/tmp}}" restframe-uploads.XXXXXX)
pid=
cleanup() {
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

file=$work/track.mp3
size=$((size_mib * 1024 * 1024))
mkdir -p "$work/media" "$work/spill"
hz=$(getconf CLK_TCK)

fs_of() { df -PT "$1" | awk 'NR == 2 { print $2 " on " $1 " (" $7 ")" }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
server_cpu() { awk -v hz="$hz" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"; }
peak_rss() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

start() { # spill directory, or empty for the inherited environment
	local spill=$1
	: >"$work/server.out"
	if [[ -n $spill ]]; then
		env TMPDIR="$spill" "$bin" --bind 127.0.0.1:0 --database-url "sqlite://$work/db.sqlite3" \
			--media-root "$work/media" --max-upload-size 2GiB --log warn \
			>"$work/server.out" 2>"$work/server.err" &
	else
		"$bin" --bind 127.0.0.1:0 --database-url "sqlite://$work/db.sqlite3" \
			--media-root "$work/media" --max-upload-size 2GiB --log warn \
			>"$work/server.out" 2>"$work/server.err" &
	fi
	pid=$!
	base=
	for _ in $(seq 300); do
		base=$(sed -n 's|.*listening on \(http://[^/]*\)/.*|\1|p' "$work/server.out")
		[[ -n $base ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "the server did not start:" >&2
	cat "$work/server.err" >&2
	exit 1
}

stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -r)"
echo "== temp dir $work: $(fs_of "$work")"

# The test file: an ID3v2.4 header and an MPEG-1 Layer III frame header (so it sniffs as
# audio/mpeg), then random bytes; made once, beside the media root.
{
	printf 'ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64'
	head -c $((size - 14)) /dev/urandom
} >"$file"
sync "$file"
[[ $(stat -c %s "$file") == "$size" ]] || { echo "test file has the wrong size" >&2; exit 1; }
# openssl uses the CPU's SHA extensions where coreutils' sha256sum may not (1.5 s against 12 s
# for 1 GiB on the benchmark machine).
if command -v openssl >/dev/null; then
	want_sha=$(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)
else
	want_sha=$(sha256sum "$file" | cut -d' ' -f1)
fi
echo "== test file: $size bytes, sha256 $want_sha"

# Baseline: cat to the same disk, then fsync the copy (the app syncs the stored file too).
# Twice, the better counts.
best_cat=0 best_cat_nosync=0
for i in 1 2; do
	t0=$(now)
	cat "$file" >"$work/copy"
	t1=$(now)
	sync "$work/copy"
	t2=$(now)
	rm -f "$work/copy"
	a=$(mbps "$size" "$(elapsed "$t0" "$t2")")
	b=$(mbps "$size" "$(elapsed "$t0" "$t1")")
	echo "== cat run $i: $(elapsed "$t0" "$t2") s with fsync ($a MB/s), $(elapsed "$t0" "$t1") s without ($b MB/s)"
	if ((a > best_cat)); then best_cat=$a; fi
	if ((b > best_cat_nosync)); then best_cat_nosync=$b; fi
done

# One track to upload to, made by a first server (the database outlives it).
start "$work/spill"
id=$(curl -sS -H 'Content-Type: application/json' -d '{"title":"t","artist_name":"a"}' "$base/api/tracks/" |
	grep -o '"id":[0-9]*' | head -1 | cut -d: -f2 || true)
[[ -n $id ]] || { echo "could not create a track" >&2; exit 1; }
stop
# Since commit 020c7ef the app spills track uploads to `.uploads` under the media root (same
# file system: storing is a rename); before, to std::env::temp_dir().
if [[ -d $work/media/.uploads ]]; then
	echo "== the app spills uploads to MEDIA_ROOT/.uploads: TMPDIR plays no part, one spill dir"
	spills=app
fi

rows=()
worst_rss=0
declare -A best_mbps=([raw]=0 [multipart]=0)
for spill in $spills; do
	case $spill in
	system) dir=""; shown=${TMPDIR:-/tmp} ;;
	bench) dir=$work/spill; shown=$dir ;;
	app) dir=""; shown=$work/media/.uploads ;;
	*) dir=$spill; shown=$spill ;;
	esac
	echo "== spill dir $shown: $(fs_of "$shown")"
	for kind in raw multipart; do
		for run in $(seq "$runs"); do
			name=${kind}_${run}.mp3
			start "$dir"
			url=$base/api/tracks/$id/upload/$name/
			cpu0=$(server_cpu)
			# `Expect:` off: curl would otherwise wait for a 100 Continue before sending.
			if [[ $kind == raw ]]; then
				# -T streams the file from disk (--data-binary @file would read it all into
				# memory first); -T appends the file's name to a URL ending in `/`, so the path
				# goes in --request-target.
				out=$(curl -sS -o "$work/response" -w '%{http_code} %{time_total}' -H 'Expect:' \
					-H 'Content-Type: audio/mpeg' -T "$file" -X POST \
					--request-target "/api/tracks/$id/upload/$name/" "$base/")
			else # -F streams file parts too
				out=$(curl -sS -o "$work/response" -w '%{http_code} %{time_total}' -H 'Expect:' \
					-F "file=@$file;type=audio/mpeg" "$url")
			fi
			cpu=$(awk -v a="$cpu0" -v b="$(server_cpu)" 'BEGIN { printf "%.1f", b - a }')
			rss=$(peak_rss)
			read -r code secs <<<"$out"
			secs=$(awk -v s="$secs" 'BEGIN { printf "%.2f", s }')
			# The app gives a repeated name a random suffix; each run's name is new, so this
			# finds the one file.
			stored=$(compgen -G "$work/media/tracks/$id/${name%.mp3}*.mp3" | head -1 || true)
			stored=${stored:-$work/media/tracks/$id/$name}
			sidecar=$work/media/.meta/tracks/$id/${stored##*/}.json
			got_size=$(stat -c %s "$stored" 2>/dev/null || echo missing)
			got_sha=$(sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' "$sidecar" 2>/dev/null || true)
			check=ok
			[[ $code == 200 ]] || check="HTTP $code: $(head -c 300 "$work/response")"
			[[ $got_size == "$size" ]] || check="$check; stored size $got_size"
			[[ $got_sha == "$want_sha" ]] || check="$check; sha256 ${got_sha:-missing}"
			if compgen -G "${dir:-$work/media/.uploads}/.restframe-upload-*" >/dev/null; then
				check="$check; spill file left behind"
			fi
			stop
			rm -f "$stored" "$sidecar"
			rate=$(mbps "$size" "$secs")
			pct=$(awk -v r="$rate" -v c="$best_cat" 'BEGIN { printf "%.0f", 100 * r / c }')
			echo "== $kind via $shown, run $run: HTTP $code, $secs s, $rate MB/s ($pct% of cat), server CPU $cpu s, peak RSS $rss MiB: $check"
			rows+=("| $kind | \`${shown/#$work/\$WORK}\` | $run | $code | $secs | **$rate** | $pct% | $cpu | **$rss** | $check |")
			if [[ $check == ok ]] && ((rate > best_mbps[$kind])); then best_mbps[$kind]=$rate; fi
			worst_rss=$(awk -v a="$worst_rss" -v b="$rss" 'BEGIN { print (b > a ? b : a) }')
		done
	done
done

echo
echo "baseline: \`cat file > dest\` + fsync: **$best_cat MB/s** (without the fsync: $best_cat_nosync MB/s), best of 2"
echo
echo "\$WORK = $work"
echo
echo "| upload | spill dir | run | HTTP | seconds | MB/s | of cat + fsync | server CPU s | peak RSS MiB | checks |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
half=$((best_cat / 2))
for kind in raw multipart; do
	verdict=missed
	if ((best_mbps[$kind] >= half)); then verdict=met; fi
	echo "throughput target (>= $half MB/s, half of cat + fsync), $kind: best ${best_mbps[$kind]} MB/s: $verdict"
done
verdict=missed
if awk -v r="$worst_rss" 'BEGIN { exit !(r < 64) }'; then verdict=met; fi
echo "peak RSS target (< 64 MiB): worst $worst_rss MiB: $verdict"
