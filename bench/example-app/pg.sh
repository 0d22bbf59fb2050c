#!/usr/bin/env bash
# The example app on PostgreSQL: for each BIN in turn (give two binaries alternated to compare
# them, as issue 16 asks: `pg.sh old new old new`), a fresh database on a throwaway cluster from
# tests/services/postgres.sh (trust auth, fsync=off), 1,000 tracks written through the API by a
# logged-in superuser, then wrk -t1 -c${CONNS:-32} (2 s warm-up, 10 s) on GET /api/tracks/1/,
# GET /api/tracks/?page_size=100 and POST /api/tracks/ with the token. Prints req/s and p99.
#   bench/example-app/pg.sh /tmp/base-target/release/example-app target/release/example-app \
#     /tmp/base-target/release/example-app target/release/example-app
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/app.sh"
conns=${CONNS:-32}
eval "$("$root/tests/services/postgres.sh" start)"
pg_stop() { "$root/tests/services/postgres.sh" stop >/dev/null 2>&1 || true; }
trap pg_stop EXIT
server=${RESTFRAME_TEST_POSTGRES_URL%/*}
n=0
for bin in "$@"; do
  n=$((n + 1))
  psql "$server/postgres" -qc "CREATE DATABASE bench$n"
  APP_DB="$server/bench$n" app_start "$bin"
  trap 'app_stop; pg_stop' EXIT
  app_token
  app_seed 1000
  echo "== $bin"
  for path in /api/tracks/1/ "/api/tracks/?page_size=100"; do
    wrk -t1 -c"$conns" -d2s "$base$path" >/dev/null
    echo "GET $path"
    wrk -t1 -c"$conns" -d10s --latency "$base$path" | grep -E "Requests/sec| 99%|Non-2xx"
  done
  wrk -t1 -c"$conns" -d2s -s "$dir/post.lua" "$base/api/tracks/" >/dev/null
  echo "POST /api/tracks/"
  wrk -t1 -c"$conns" -d10s --latency -s "$dir/post.lua" "$base/api/tracks/" | grep -E "Requests/sec| 99%|Non-2xx"
  app_stop
  trap pg_stop EXIT
done
