#!/usr/bin/env bash
# The detail's req/s and p99 as connections grow, for the app at BIN and for the yardstick's
# bare hyper (precomputed bytes, no database) in turn, so that what the machine and wrk lose at
# 1,024 connections is told apart from what the app loses. Needs one yardstick run first
# (../shared/bench-peers/run.sh builds peer-hyper-bare and writes the golden answers):
#   bench/example-app/against-bare.sh target/release/example-app
# The app runs with the yardstick's settings (request logs on, throttles on and never reached).
# For each of ROUNDS (default 2) and each count in CONNS (default "32 256 1024"): a 2 s warm-up
# and a DURATION (default 5s) run of wrk -t1 --timeout 10s against each server.
set -euo pipefail
. "$(dirname "$0")/app.sh"
ulimit -n 20000 2>/dev/null || true
peers=/tmp/restframe-peers
bare_bin=$peers/target/release/peer-hyper-bare
golden=$(ls -d "$peers"/runs/*/data/golden 2>/dev/null | tail -1)
if [ ! -x "$bare_bin" ] || [ -z "$golden" ]; then
  echo "against-bare.sh: run ../shared/bench-peers/run.sh once first" >&2
  exit 1
fi
bare_port=$((20000 + RANDOM % 20000))
setsid "$bare_bin" "127.0.0.1:$bare_port" "$golden" >/dev/null 2>&1 &
bare_pid=$!
APP_THROTTLE=${APP_THROTTLE:-100000000/min} APP_LOG=${APP_LOG:-info} app_start "$1" 1000
trap 'kill "$bare_pid" 2>/dev/null || true; app_stop' EXIT
sleep 1
for round in $(seq "${ROUNDS:-2}"); do
  for c in ${CONNS:-32 256 1024}; do
    for server in restframe=$base bare-hyper=http://127.0.0.1:$bare_port; do
      url=${server#*=}/api/tracks/1/
      wrk -t1 -c"$c" -d2s --timeout 10s "$url" >/dev/null
      out=$(wrk -t1 -c"$c" -d"${DURATION:-5s}" --timeout 10s --latency "$url")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      echo "round $round  ${server%%=*}  $c connections  $rps req/s  p99 $p99"
    done
  done
done
