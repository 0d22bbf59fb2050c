#!/usr/bin/env bash
# Detail and list reads of the app at BIN under wrk (-t1 -c${CONNS:-32}, 2 s warm-up, 10 s), on a
# fresh SQLite file with 1,000 tracks owned by a superuser (as the yardstick seeds them), throttles
# off. Prints req/s and p99 of GET /api/tracks/1/, then of GET /api/tracks/?page_size=100 (PATHS,
# space-separated, chooses others: PATHS=/api/tracks/?page_size=100 for the list alone), and the
# app's CPU per request (user + system time from /proc/PID/stat over the run, in µs), which varies
# less from run to run than req/s does, split into user and system time, and the context switches
# of the app's threads per request (voluntary: a thread waits for work; involuntary: it is
# preempted, here mostly by wrk on the same cores) and its minor page faults per request.
# Alternate two binaries to compare them:
#   for b in old new old new; do bench/example-app/reads.sh ./$b; done
set -euo pipefail
. "$(dirname "$0")/app.sh"
conns=${CONNS:-32}
read -r -a paths <<<"${PATHS:-/api/tracks/1/ /api/tracks/?page_size=100}"
app_start "$1" 1000
# User and system clock ticks of the app, then its threads' voluntary and involuntary switches.
ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }
switches() { awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}' /proc/"$pid"/task/*/status; }
# Minor page faults of the app.
faults() { awk '{print $10}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
for path in "${paths[@]}"; do
  wrk -t1 -c"$conns" -d2s "$base$path" >/dev/null
  echo "GET $path"
  read -r u0 s0 <<<"$(ticks)"
  read -r v0 n0 <<<"$(switches)"
  f0=$(faults)
  out=$(wrk -t1 -c"$conns" -d10s --latency "$base$path")
  read -r u1 s1 <<<"$(ticks)"
  read -r v1 n1 <<<"$(switches)"
  f1=$(faults)
  grep -E "Requests/sec| 99%|Non-2xx" <<<"$out"
  awk -v u="$((u1 - u0))" -v s="$((s1 - s0))" -v hz="$hz" '/requests in/ && $1 > 0 {
    printf "app CPU per request: %.1f us (user %.1f, system %.1f)\n", (u + s) / hz / $1 * 1e6, u / hz / $1 * 1e6, s / hz / $1 * 1e6
  }' <<<"$out"
  awk -v v="$((v1 - v0))" -v n="$((n1 - n0))" -v f="$((f1 - f0))" '/requests in/ && $1 > 0 {
    printf "context switches per request: %.2f voluntary, %.2f involuntary; minor page faults: %.3f\n", v / $1, n / $1, f / $1
  }' <<<"$out"
done
