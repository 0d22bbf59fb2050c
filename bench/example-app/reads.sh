#!/usr/bin/env bash
# Detail and list reads of the app at BIN under wrk (-t1 -c${CONNS:-32}, 2 s warm-up, 10 s), on a
# fresh SQLite file with 1,000 tracks owned by a superuser (as the yardstick seeds them), throttles
# off. Prints req/s and p99 of GET /api/tracks/1/, then of GET /api/tracks/?page_size=100. Alternate
# two binaries to compare them:
#   for b in old new old new; do bench/example-app/reads.sh ./$b; done
set -euo pipefail
bin=$1 conns=${CONNS:-32}
export EXAMPLE_APP_THROTTLE_ANON=off EXAMPLE_APP_THROTTLE_USER=off EXAMPLE_APP_THROTTLE_UPLOADS=off
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
db="sqlite://$dir/db.sqlite3"
printf 'bench-password-1\n' | "$bin" createsuperuser --username bench --email b@example.com \
  --database-url "$db" >/dev/null 2>&1
python3 - "$dir/db.sqlite3" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
t = "2026-12-04T01:23:44.123456Z"
c.executemany(
    "INSERT INTO track (title, artist_name, release_date, owner, created_at, updated_at) "
    "VALUES (?, 'Miles Davis', '1959-08-17', 1, ?, ?)",
    [(f"Track {i}", t, t) for i in range(1000)])
c.commit()
PY
"$bin" --bind "127.0.0.1:$port" --database-url "$db" --media-root "$dir/media" --log error \
  >"$dir/app.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/" && break; sleep 0.1; done
for path in /api/tracks/1/ "/api/tracks/?page_size=100"; do
  wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port$path" >/dev/null
  echo "GET $path"
  wrk -t1 -c"$conns" -d10s --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec| 99%|Non-2xx"
done
