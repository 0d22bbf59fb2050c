#!/usr/bin/env bash
# Creates and detail reads of the app at BIN under wrk (-t1 -c32, 3 s warm-up, 10 s): a fresh
# SQLite file, a superuser and its token for the POSTs, throttles off. Prints req/s and p99 of
# POST /api/tracks/, then of GET /api/tracks/1/. Alternate two binaries to compare them:
#   for b in old new old new; do bench/example-app/create.sh ./$b; done
set -euo pipefail
. "$(dirname "$0")/app.sh"
app_start "$1"
app_token
wrk -t1 -c32 -d3s -s "$dir/post.lua" "$base/api/tracks/" >/dev/null
echo "POST /api/tracks/"
wrk -t1 -c32 -d10s --latency -s "$dir/post.lua" "$base/api/tracks/" |
  grep -E "Requests/sec| 99%|Non-2xx"
echo "GET /api/tracks/1/"
wrk -t1 -c32 -d10s --latency "$base/api/tracks/1/" | grep -E "Requests/sec| 99%|Non-2xx"
