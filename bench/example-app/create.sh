#!/usr/bin/env bash
# Creates and detail reads of the app at BIN under wrk (-t1 -c32, 3 s warm-up, 10 s): a fresh
# SQLite file, a superuser and its token for the POSTs, throttles off (APP_THROTTLE sets them, as
# in app.sh). Prints req/s and p99 of POST /api/tracks/ for each of ROUNDS rounds (default 1; the
# yardstick runs two, the second on a database 400,000 rows larger, its WAL restarted about every
# 4,000 frames), with the size of the WAL file after each, then of GET /api/tracks/1/.
# Alternate two binaries to compare them:
#   for b in old new old new; do ROUNDS=2 bench/example-app/create.sh ./$b; done
set -euo pipefail
. "$(dirname "$0")/app.sh"
app_start "$1"
app_token
wrk -t1 -c32 -d3s -s "$dir/post.lua" "$base/api/tracks/" >/dev/null
for round in $(seq "${ROUNDS:-1}"); do
  echo "POST /api/tracks/ (round $round)"
  wrk -t1 -c32 -d10s --latency -s "$dir/post.lua" "$base/api/tracks/" |
    grep -E "Requests/sec| 99%|Non-2xx"
  echo "WAL: $(stat -c %s "$dir/db.sqlite3-wal" 2>/dev/null || echo 0) bytes"
done
echo "GET /api/tracks/1/"
wrk -t1 -c32 -d10s --latency "$base/api/tracks/1/" | grep -E "Requests/sec| 99%|Non-2xx"
