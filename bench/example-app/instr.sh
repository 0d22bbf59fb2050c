#!/usr/bin/env bash
# Instructions per request (callgrind, deterministic): the app at BIN serves N GETs of PATH on
# one keep-alive connection, after one warm-up, on a SQLite file with 1,000 tracks; prints
# callgrind's total. Run it for two N and divide the difference (docs/performance.md):
#   bench/example-app/instr.sh target/release/example-app 5
#   bench/example-app/instr.sh target/release/example-app 25   # (b - a) / 20 per request
# PATH defaults to the 100-row list; give /api/tracks/1/ for the detail. With KEEP=FILE the
# callgrind output is kept there, for `callgrind_annotate --inclusive=yes FILE`. With OWNED=1 the
# tracks are owned by a superuser, as the yardstick seeds them (the list then reads the owners).
# Caveat for the list: a read runs on the calling thread for at most 1 ms (HERE_BUDGET in
# framework/src/sql/sqlite_readers.rs) and is then given up and run again on a reader thread.
# Under callgrind every 100-row list takes longer than that, so its count includes a partial
# first run that depends on the wall clock: compare lists with `reads.sh` (CPU time per request
# is `connections.sh`'s), not with this. The detail (a point read) has no budget and stays exact.
set -euo pipefail
bin=$1 n=$2 path=${3:-/api/tracks/?page_size=100}
export EXAMPLE_APP_THROTTLE_ANON=off EXAMPLE_APP_THROTTLE_USER=off EXAMPLE_APP_THROTTLE_UPLOADS=off
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))
flags=(--bind "127.0.0.1:$port" --database-url "sqlite://$dir/db.sqlite3" --media-root "$dir/media" --log error)
wait_up() { for _ in $(seq 600); do grep -q "http://" "$1" 2>/dev/null && return; sleep 0.2; done; }
# The tables, from the app itself; then the rows, straight into the file.
"$bin" "${flags[@]}" >"$dir/first.log" 2>&1 &
pid=$!; wait_up "$dir/first.log"; kill -INT "$pid"; wait "$pid" 2>/dev/null || true
owner=NULL
if [ -n "${OWNED:-}" ]; then
  printf 'bench-password-1\n' | "$bin" createsuperuser --username bench --email b@example.com \
    --database-url "sqlite://$dir/db.sqlite3" >/dev/null 2>&1
  owner=1
fi
python3 - "$dir/db.sqlite3" "$owner" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
owner = None if sys.argv[2] == "NULL" else int(sys.argv[2])
t = "2026-12-04T01:23:44.123456Z"
c.executemany(
    "INSERT INTO track (title, artist_name, release_date, duration, owner, created_at, updated_at) "
    "VALUES (?, 'Miles Davis', '1959-08-17', '545.20', ?, ?, ?)",
    [(f"Track {i}", owner, t, t) for i in range(1000)])
c.commit()
PY
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" "${flags[@]}" >"$dir/app.log" 2>&1 &
pid=$!; wait_up "$dir/app.log"
python3 - "$port" "$n" "$path" <<'PY'
import http.client, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(n + 1):
    c.request("GET", path, headers={"Accept": "application/json"})
    r = c.getresponse(); body = r.read()
    assert r.status == 200, (r.status, body[:200])
PY
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
grep -E "^(summary|totals):" "$dir/cg.out" | head -1
if [ -n "${KEEP:-}" ]; then cp "$dir/cg.out" "$KEEP"; fi
