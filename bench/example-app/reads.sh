#!/usr/bin/env bash
# Detail and list reads of the app at BIN under wrk (-t1 -c${CONNS:-32}, 2 s warm-up, 10 s), on a
# fresh SQLite file with 1,000 tracks owned by a superuser (as the yardstick seeds them), throttles
# off. Prints req/s and p99 of GET /api/tracks/1/, then of GET /api/tracks/?page_size=100 (PATHS,
# space-separated, chooses others: PATHS=/api/tracks/?page_size=100 for the list alone), and the
# app's CPU per request (user + system time from /proc/PID/stat over the run, in µs), which varies
# less from run to run than req/s does. Alternate two binaries to compare them:
#   for b in old new old new; do bench/example-app/reads.sh ./$b; done
set -euo pipefail
. "$(dirname "$0")/app.sh"
conns=${CONNS:-32}
read -r -a paths <<<"${PATHS:-/api/tracks/1/ /api/tracks/?page_size=100}"
app_start "$1" 1000
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
for path in "${paths[@]}"; do
  wrk -t1 -c"$conns" -d2s "$base$path" >/dev/null
  echo "GET $path"
  t0=$(ticks)
  out=$(wrk -t1 -c"$conns" -d10s --latency "$base$path")
  t1=$(ticks)
  grep -E "Requests/sec| 99%|Non-2xx" <<<"$out"
  awk -v t="$((t1 - t0))" -v hz="$hz" '/requests in/ && $1 > 0 {printf "app CPU per request: %.1f us\n", t / hz / $1 * 1e6}' <<<"$out"
done
