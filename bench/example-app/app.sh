# Sourced by the scripts here. `app_start BIN [TRACKS]` starts the example app at BIN on loopback
# on a fresh SQLite file, with a superuser `bench` and throttles off; with TRACKS, that many
# tracks owned by the superuser (as the yardstick seeds them) are written into the file first.
# It sets `dir` (the scratch folder, removed on exit), `pid` and `base` (the app's URL). With
# APP_DB set (a database URL, e.g. an empty PostgreSQL database) the app uses that database instead,
# and TRACKS must be 0 (`app_seed` writes tracks through the API). `app_stop` stops the app.
# APP_LOG sets `--log` (default `error`: no request logs); APP_THROTTLE the three throttle rates
# (default `off`; the yardstick sets `100000000/min`, on but never reached). APP_SQLITE_QUERY is
# appended to the SQLite URL (`?exclusive=true`).
# `app_token` then logs in: `token`, and `$dir/post.lua`, a wrk script POSTing one track with it.
app_start() {
  APP_SQLITE_QUERY=${APP_SQLITE_QUERY:-}
  local bin=$1 tracks=${2:-0}
  local throttle=${APP_THROTTLE:-off}
  export EXAMPLE_APP_THROTTLE_ANON=$throttle EXAMPLE_APP_THROTTLE_USER=$throttle EXAMPLE_APP_THROTTLE_UPLOADS=$throttle
  dir=$(mktemp -d)
  local port=$((20000 + RANDOM % 20000))
  local db=${APP_DB:-"sqlite://$dir/db.sqlite3$APP_SQLITE_QUERY"}
  # Creates the tables too.
  printf 'bench-password-1\n' | "$bin" createsuperuser --username bench --email b@example.com \
    --database-url "$db" >/dev/null 2>&1
  if [ "$tracks" -gt 0 ]; then
    python3 - "$dir/db.sqlite3" "$tracks" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
t = "2026-12-04T01:23:44.123456Z"
c.executemany(
    "INSERT INTO track (title, artist_name, release_date, owner, created_at, updated_at) "
    "VALUES (?, 'Miles Davis', '1959-08-17', 1, ?, ?)",
    [(f"Track {i}", t, t) for i in range(int(sys.argv[2]))])
c.commit()
PY
  fi
  # In a session of its own, as the yardstick starts servers: with autogroup scheduling
  # (/proc/sys/kernel/sched_autogroup_enabled) the app and wrk then share the CPUs as two groups,
  # which leaves the app about one core of two, not more.
  setsid "$bin" --bind "127.0.0.1:$port" --database-url "$db" --media-root "$dir/media" --log "${APP_LOG:-error}" \
    >"$dir/app.log" 2>&1 &
  pid=$!
  trap app_stop EXIT
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -fs -o /dev/null "$base/api/" && break; sleep 0.1; done
}

app_token() {
  token=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password-1"}' "$base/api/auth/token/" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"title": "So What", "artist_name": "Miles Davis", "release_date": "1959-08-17"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token $token"
LUA
}

app_stop() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

# `app_seed N`: N tracks through the API, with the token of `app_token` (so owned by `bench`), on
# one keep-alive connection.
app_seed() {
  python3 - "$base" "$token" "$1" <<'PY'
import http.client, json, sys, urllib.parse
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlsplit(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
for i in range(n):
    body = json.dumps({"title": f"Track {i}", "artist_name": "Miles Davis", "release_date": "1959-08-17"})
    c.request("POST", "/api/tracks/", body, {"Content-Type": "application/json", "Authorization": f"Token {token}"})
    r = c.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"seeding: {r.status}")
PY
}
