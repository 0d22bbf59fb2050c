#!/usr/bin/env bash
# A bounded soak of one example-app release instance: SOAK_SECONDS (default 600) of mixed load
# with wrk (bench/example-app/soak.lua: lists, details, creates, patches, deletes, raw MP3
# uploads, one connection in ten closed), sampling the process's resident memory (VmRSS) and open
# file descriptors (/proc/PID/fd) every SOAK_SAMPLE_SECONDS (default 10). Not part of CI.
#
# It prints every sample, then RSS after the first SOAK_WARM_SECONDS (default 60) of load, RSS at
# the end, their ratio, and the descriptors at baseline (idle, after a short warm-up) and at the
# end (idle again, after the load). It exits non-zero when a bound fails:
#   - RSS at the end > SOAK_MAX_RSS_RATIO (default 1.2) x RSS after the first minute;
#   - descriptors at the end > baseline + SOAK_FD_SLACK (default 4: the database pool may keep a
#     few more connections open after a heavier load than the warm-up's);
#   - any 5xx answer.
#
# Usage: bench/example-app/soak.sh                   (builds the release binary first)
#        SOAK_SECONDS=90 SOAK_BIN=target/release/example-app bench/example-app/soak.sh
# Other settings: SOAK_PORT (default 18950), SOAK_CONNECTIONS (wrk -c, default 16),
# SOAK_THREADS (wrk -t, default 1), SOAK_DATABASE_URL (default: a fresh SQLite file; or a
# postgres:// URL of an empty database), SOAK_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${SOAK_SECONDS:-600}
warm=${SOAK_WARM_SECONDS:-60}
every=${SOAK_SAMPLE_SECONDS:-10}
port=${SOAK_PORT:-18950}
max_ratio=${SOAK_MAX_RSS_RATIO:-1.2}
fd_slack=${SOAK_FD_SLACK:-4}
for v in seconds warm every port fd_slack; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak: $v=${!v} is not a whole number" >&2; exit 2; }
done
((seconds > warm)) || { echo "soak: SOAK_SECONDS ($seconds) must be longer than SOAK_WARM_SECONDS ($warm)" >&2; exit 2; }

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v curl >/dev/null || { echo "soak: needs curl" >&2; exit 2; }
bin=${SOAK_BIN:-}
if [[ -z $bin ]]; then
	cargo build --release -p example-app
	bin=target/release/example-app
fi
[[ -x $bin ]] || { echo "soak: $bin is not an executable" >&2; exit 2; }
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	echo "soak: port $port is busy (set SOAK_PORT)" >&2
	exit 2
fi

work=$(mktemp -d -t restframe-soak.XXXXXX)
pid=
wrk_pid=
cleanup() {
	if [[ -n $wrk_pid ]]; then kill "$wrk_pid" 2>/dev/null || true; fi
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [[ ${SOAK_KEEP:-} == 1 ]]; then
		echo "soak: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db=${SOAK_DATABASE_URL:-sqlite://$work/soak.db}
password=soak-password-$RANDOM$RANDOM
echo "$password" | "$bin" createsuperuser --database-url "$db" --username soak --email soak@example.org >/dev/null

"$bin" --bind "127.0.0.1:$port" --database-url "$db" --media-root "$work/media" --log warn \
	--throttle-anon off --throttle-user off --throttle-uploads off \
	>"$work/app.out" 2>"$work/app.log" &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do
	curl -s -o /dev/null "$base/api/hello/" && break
	sleep 0.1
done
curl -sf -o /dev/null "$base/api/hello/" || { cat "$work/app.log" >&2; echo "soak: the app did not start" >&2; exit 1; }

token=$(curl -sf -H 'Content-Type: application/json' -H 'Accept: application/json' \
	-d "{\"username\":\"soak\",\"password\":\"$password\"}" "$base/api/auth/token/" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $token ]] || { echo "soak: no token" >&2; exit 1; }
tracks=50
for i in $(seq "$tracks"); do
	curl -sf -o /dev/null -H "Authorization: Token $token" -H 'Content-Type: application/json' \
		-d "{\"title\":\"Seed $i\",\"artist_name\":\"Soak\"}" "$base/api/tracks/"
done

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
export SOAK_TOKEN=$token SOAK_TRACKS=$tracks
load() { # seconds
	wrk -t"${SOAK_THREADS:-1}" -c"${SOAK_CONNECTIONS:-16}" -d"${1}s" --timeout 30s \
		-s bench/example-app/soak.lua "$base/"
}

# Baseline: idle, after a short warm-up (the database pool and caches have filled).
load 5 >/dev/null
sleep 2
fd_base=$(fds)
rss_base=$(rss)
echo "soak: $bin (pid $pid), $seconds s of load, samples every $every s; baseline RSS ${rss_base} kB, ${fd_base} fds"

load "$seconds" >"$work/wrk.out" &
wrk_pid=$!
t0=$SECONDS
rss_warm=
echo "  t(s)  RSS(kB)  fds"
while kill -0 "$wrk_pid" 2>/dev/null; do
	sleep "$every"
	kill -0 "$pid" 2>/dev/null || { cat "$work/app.log" >&2; echo "soak: the app died" >&2; exit 1; }
	t=$((SECONDS - t0))
	r=$(rss)
	printf '%6d %8d %4d\n' "$t" "$r" "$(fds)"
	if [[ -z $rss_warm ]] && ((t >= warm)); then rss_warm=$r; fi
done
status=0
wait "$wrk_pid" || status=$?
wrk_pid=
rss_end=$(rss)
sleep 3 # the server closes the connections wrk left
fd_end=$(fds)
[[ $status -eq 0 ]] || { cat "$work/wrk.out" >&2; echo "soak: wrk failed ($status)" >&2; exit 1; }
grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|soak-statuses' "$work/wrk.out" | sed 's/^/  wrk: /'
c5=$(sed -n 's/.*5xx=\([0-9]*\).*/\1/p' "$work/wrk.out")
rss_warm=${rss_warm:-$rss_end}

ratio=$(awk -v a="$rss_end" -v b="$rss_warm" 'BEGIN { printf "%.3f", a / b }')
echo "soak: RSS after ${warm}s ${rss_warm} kB, at the end ${rss_end} kB: ratio ${ratio} (bound ${max_ratio})"
echo "soak: fds at baseline ${fd_base}, at the end ${fd_end} (bound baseline + ${fd_slack})"
echo "soak: peak RSS $(awk '/^VmHWM:/ { print $2, $3 }' "/proc/$pid/status")"
failed=
if awk -v r="$ratio" -v m="$max_ratio" 'BEGIN { exit !(r > m) }'; then
	echo "soak: FAIL: RSS grew by more than the bound" >&2
	failed=1
fi
if ((fd_end > fd_base + fd_slack)); then
	echo "soak: FAIL: $((fd_end - fd_base)) more descriptors than at baseline" >&2
	failed=1
fi
if [[ ${c5:-0} != 0 ]]; then
	echo "soak: FAIL: ${c5} answers were 5xx; the app's log:" >&2
	tail -n 20 "$work/app.log" >&2
	failed=1
fi
if [[ -n $failed ]]; then exit 1; fi
echo "soak: OK"
