#!/usr/bin/env bash
# req/s and p99 of detail, 100-row list and create as connections grow (issue 16, "Scale"), and
# the app's peak RSS. The app at BIN serves a fresh SQLite file with 1,000 tracks owned by a
# superuser (as the yardstick seeds them), throttles off; creates carry the superuser's token.
# For each route and each count in CONNS (default "1 32 256 1024"), a 2 s warm-up and a
# DURATION (default 10s) run of wrk -t1 --timeout 10s. Prints one line per run:
# - req/s, and the mean and p99 latency;
# - the server's CPU over the run (cores: user + system time over wall time, /proc/PID/stat) and
#   per answered request (µs), so that a cost growing with the connections shows apart from
#   wrk's share of the cores;
# - wrk's own CPU (cores, when /usr/bin/time is there);
# - the server's resident set after the run;
# then VmHWM, the app's peak resident set over the whole run:
#   bench/example-app/connections.sh target/release/example-app
# With FLOOR set to the yardstick's `peer-hyper-bare` binary (built by ../shared/bench-peers/run.sh
# into /tmp/restframe-peers/target/release/), each run is followed by the same run against it,
# serving the app's own detail, page and created bodies as precomputed bytes: what this machine,
# its kernel and wrk allow at that many connections with hyper and no work at all (lines `floor`).
set -euo pipefail
. "$(dirname "$0")/app.sh"
conns=${CONNS:-1 32 256 1024} duration=${DURATION:-10s}
ulimit -n 20000 2>/dev/null || true
app_start "$1" 1000
app_token
echo "routes at $base; rss after start: $(grep VmRSS /proc/$pid/status | tr -s ' ')"
floor_pid= floor_base=
if [ -n "${FLOOR:-}" ]; then
  mkdir -p "$dir/floor"
  curl -fsS -o "$dir/floor/detail_1.json" "$base/api/tracks/1/"
  curl -fsS -o "$dir/floor/list_100.json" "$base/api/tracks/?page_size=100"
  # The created body: a detail's, as a create answers (no row is written for it).
  cp "$dir/floor/detail_1.json" "$dir/floor/create_response.json"
  floor_port=$((20000 + RANDOM % 20000))
  setsid "$FLOOR" "127.0.0.1:$floor_port" "$dir/floor" >"$dir/floor.log" 2>&1 &
  floor_pid=$!
  trap 'kill "$floor_pid" 2>/dev/null || true; app_stop' EXIT
  floor_base="http://127.0.0.1:$floor_port"
  for _ in $(seq 100); do curl -fs -o /dev/null "$floor_base/api/tracks/1/" && break; sleep 0.1; done
fi
printf '%-7s %-6s %-6s %10s %9s %10s %8s %6s %7s %6s %10s\n' conns route server req/s mean p99 non2xx cores us/req wrk rss
hz=$(getconf CLK_TCK)
# `run SERVER PID BASE C`: one warm-up and one measured run of $route at C connections against
# the server at BASE (process PID), and its line.
run() {
  local server=$1 p=$2 b=$3 c=$4 args
  case $route in
    detail) args=("$b/api/tracks/1/") ;;
    list) args=("$b/api/tracks/?page_size=100") ;;
    create) args=(-s "$dir/post.lua" "$b/api/tracks/") ;;
  esac
  wrk -t1 -c"$c" -d2s --timeout 10s "${args[@]}" >/dev/null 2>&1 || true
  # The server's user + system time, in clock ticks.
  local t0 t1 w0 w1 out timed=()
  t0=$(awk '{print $14 + $15}' "/proc/$p/stat") w0=$(date +%s.%N)
  [ -x /usr/bin/time ] && timed=(/usr/bin/time -f '%U %S' -o "$dir/wrk.time")
  out=$("${timed[@]}" wrk -t1 -c"$c" -d"$duration" --timeout 10s --latency "${args[@]}" 2>&1)
  t1=$(awk '{print $14 + $15}' "/proc/$p/stat") w1=$(date +%s.%N)
  local wrk_cores=- requests cores per rps mean p99 non2xx errors rss
  [ -x /usr/bin/time ] && wrk_cores=$(awk -v w0="$w0" -v w1="$w1" '{printf "%.2f", ($1 + $2) / (w1 - w0)}' "$dir/wrk.time")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cores=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v w0="$w0" -v w1="$w1" 'BEGIN {printf "%.2f", t / hz / (w1 - w0)}')
  per=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="${requests:-0}" 'BEGIN {if (n > 0) printf "%.1f", t / hz / n * 1e6; else print "-"}')
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  mean=$(awk '$1 == "Latency" && $2 ~ /^[0-9]/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  errors=$(grep -o 'Socket errors:.*' <<<"$out" || true)
  rss=$(awk '/VmRSS/ {print $2 " kB"}' "/proc/$p/status")
  printf '%-7s %-6s %-6s %10s %9s %10s %8s %6s %7s %6s %10s\n' "$c" "$route" "$server" "$rps" "$mean" "$p99" "${non2xx:-0}" "$cores" "$per" "$wrk_cores" "$rss"
  [ -n "$errors" ] && echo "        $errors"
  return 0
}
# Route by route, creates last, so that the reads see the same 1,000 rows at every count.
for route in detail list create; do
  for c in $conns; do
    run app "$pid" "$base" "$c"
    if [ -n "$floor_pid" ]; then run floor "$floor_pid" "$floor_base" "$c"; fi
  done
done
grep -E "VmHWM|VmRSS" /proc/$pid/status | tr -s ' '
