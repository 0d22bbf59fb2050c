#!/usr/bin/env bash
# Creates and detail reads of the app at BIN under wrk (-t1 -c32, 3 s warm-up, 10 s): a fresh
# SQLite file, a superuser and its token for the POSTs, throttles off. Prints req/s and p99 of
# POST /api/tracks/, then of GET /api/tracks/1/. Alternate two binaries to compare them:
#   for b in old new old new; do bench/example-app/create.sh ./$b; done
set -euo pipefail
bin=$1
export EXAMPLE_APP_THROTTLE_ANON=off EXAMPLE_APP_THROTTLE_USER=off EXAMPLE_APP_THROTTLE_UPLOADS=off
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
db="sqlite://$dir/db.sqlite3"
printf 'bench-password-1\n' | "$bin" createsuperuser --username bench --email b@example.com \
  --database-url "$db" >/dev/null 2>&1
"$bin" --bind "127.0.0.1:$port" --database-url "$db" --media-root "$dir/media" --log error \
  >"$dir/app.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/" && break; sleep 0.1; done
token=$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench-password-1"}' "http://127.0.0.1:$port/api/auth/token/" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"title": "So What", "artist_name": "Miles Davis", "release_date": "1959-08-17"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token $token"
LUA
wrk -t1 -c32 -d3s -s "$dir/post.lua" "http://127.0.0.1:$port/api/tracks/" >/dev/null
echo "POST /api/tracks/"
wrk -t1 -c32 -d10s --latency -s "$dir/post.lua" "http://127.0.0.1:$port/api/tracks/" |
  grep -E "Requests/sec| 99%|Non-2xx"
echo "GET /api/tracks/1/"
wrk -t1 -c32 -d10s --latency "http://127.0.0.1:$port/api/tracks/1/" | grep -E "Requests/sec| 99%|Non-2xx"
