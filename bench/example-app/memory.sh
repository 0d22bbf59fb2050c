#!/usr/bin/env bash
# The app's resident set under 1,024 connections of creates (issue 16: peak RSS ≤ 64 MiB). The
# app at BIN serves a fresh SQLite file with 1,000 tracks, throttles off; creates carry a
# superuser's token. Prints the resident set after start, wrk's req/s and p99 for a DURATION
# (default 5s) run after a 2 s warm-up, then VmHWM (the peak) and the resident set after it.
# The peak is that of the measured run alone: the warm-up's is printed, then reset
# (`/proc/PID/clear_refs`) once its connections are gone, so that the 1,024 connections of the
# warm-up closing while those of the run open (2,048 for a moment) do not count.
# The app inherits the environment, so allocator settings can be tried without a rebuild:
#   MIMALLOC_PURGE_DELAY=1 bench/example-app/memory.sh target/release/example-app
set -euo pipefail
. "$(dirname "$0")/app.sh"
ulimit -n 20000 2>/dev/null || true
app_start "$1" 1000
app_token
status() { grep -E "$1" "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
status "VmRSS|RssAnon|RssFile"
wrk -t1 -c1024 -d2s --timeout 10s -s "$dir/post.lua" "$base/api/tracks/" >/dev/null 2>&1 || true
printf 'warm-up: '
status "VmHWM"
sleep 1
echo 5 >"/proc/$pid/clear_refs"
wrk -t1 -c1024 -d"${DURATION:-5s}" --timeout 10s --latency -s "$dir/post.lua" "$base/api/tracks/" |
  grep -E "Requests/sec| 99%|Non-2xx"
status "VmHWM|VmRSS|RssAnon|RssFile"
