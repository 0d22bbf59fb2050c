#!/usr/bin/env bash
# Instructions per request of the app at BIN for GET PATH (default the 100-row list), counted by
# valgrind's callgrind, which counts the same whatever else the machine is doing (unlike req/s and
# CPU time on a shared machine, or a VM without hardware counters). The app runs under callgrind on
# a fresh SQLite file with 1,000 tracks (as the yardstick seeds them), throttles off, and is sent
# PATH 50 and then 250 times on one keep-alive connection (two runs); the difference of the two
# totals over 200 is the cost of one request, startup and warm-up cancelled out. About 2 minutes.
#   bench/example-app/instructions.sh target/release/example-app '/api/tracks/?page_size=100'
set -euo pipefail
bin=$1 path=${2:-/api/tracks/?page_size=100}
export EXAMPLE_APP_THROTTLE_ANON=off EXAMPLE_APP_THROTTLE_USER=off EXAMPLE_APP_THROTTLE_UPLOADS=off
# Total instructions of one run of the app serving N requests.
run() {
  local n=$1 dir port pid
  dir=$(mktemp -d)
  local db="sqlite://$dir/db.sqlite3"
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
  port=$((20000 + RANDOM % 20000))
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --bind "127.0.0.1:$port" \
    --database-url "$db" --media-root "$dir/media" --log error >"$dir/app.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/" && break; sleep 0.2; done
  python3 - "$port" "$n" "$path" <<'PY'
import http.client, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"GET {path}: {r.status}")
PY
  kill -INT "$pid"
  wait "$pid" || true
  awk '/^summary:/ {print $2}' "$dir/cg.out"
  rm -rf "$dir"
}
few=$(run 50)
many=$(run 250)
echo "GET $path: $(( (many - few) / 200 )) instructions per request ($few after 50, $many after 250)"
