#!/usr/bin/env bash
# req/s and p99 of detail, 100-row list and create as connections grow (issue 16, "Scale"), and
# the app's peak RSS. The app at BIN serves a fresh SQLite file with 1,000 tracks owned by a
# superuser (as the yardstick seeds them), throttles off; creates carry the superuser's token.
# For each route and each count in CONNS (default "1 32 256 1024"), a 2 s warm-up and a
# DURATION (default 10s) run of wrk -t1 --timeout 10s. Prints one line per run with the app's
# resident set after it, then VmHWM (the peak resident set over the whole run):
#   bench/example-app/connections.sh target/release/example-app
set -euo pipefail
bin=$1 conns=${CONNS:-1 32 256 1024} duration=${DURATION:-10s}
ulimit -n 20000 2>/dev/null || true
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
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs -o /dev/null "$base/api/" && break; sleep 0.1; done
token=$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench-password-1"}' "$base/api/auth/token/" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"title": "So What", "artist_name": "Miles Davis", "release_date": "1959-08-17"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token $token"
LUA
echo "routes at $base; rss after start: $(grep VmRSS /proc/$pid/status | tr -s ' ')"
printf '%-7s %-6s %10s %10s %8s %10s\n' conns route req/s p99 non2xx rss
# Route by route, creates last, so that the reads see the same 1,000 rows at every count.
for route in detail list create; do
  for c in $conns; do
    case $route in
      detail) args=("$base/api/tracks/1/") ;;
      list) args=("$base/api/tracks/?page_size=100") ;;
      create) args=(-s "$dir/post.lua" "$base/api/tracks/") ;;
    esac
    wrk -t1 -c"$c" -d2s --timeout 10s "${args[@]}" >/dev/null 2>&1 || true
    out=$(wrk -t1 -c"$c" -d"$duration" --timeout 10s --latency "${args[@]}" 2>&1)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    errors=$(grep -o 'Socket errors:.*' <<<"$out" || true)
    rss=$(awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status)
    printf '%-7s %-6s %10s %10s %8s %10s\n' "$c" "$route" "$rps" "$p99" "${non2xx:-0}" "$rss"
    [ -n "$errors" ] && echo "        $errors"
  done
done
grep -E "VmHWM|VmRSS" /proc/$pid/status | tr -s ' '
