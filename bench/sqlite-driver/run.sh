#!/usr/bin/env bash
# Measures the SQLite drivers for restframe's repositories (issue 3): sqlx 0.9 against rusqlite
# on a pool of connections behind spawn_blocking. Loopback only; every run is bounded in time.
#
#   bench/sqlite-driver/run.sh [driver...]
#   (default: sqlx rusqlite sqlx-fetch-one rusqlite-query-row)
#
# sqlx-fetch-one and rusqlite-query-row differ from sqlx and rusqlite only in reading the
# INSERT … RETURNING row without stepping to SQLITE_DONE, so they get only the write run.
# After it, the WAL file's size is read, then an outside connection (Python's sqlite3) asks for
# a TRUNCATE checkpoint while the server still holds its pool: a statement still holding a
# transaction open would keep that from completing (busy flag 1).
#
# Env: DURATION (GET runs, default 15s), WRITE_DURATION (default 10s), POOL (default 4).
# Needs python3; installs wrk, jq and curl from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")"

DURATION=${DURATION:-15s}
WRITE_DURATION=${WRITE_DURATION:-10s}
POOL=${POOL:-4}
drivers=("$@")
[[ ${#drivers[@]} -gt 0 ]] || drivers=(sqlx rusqlite sqlx-fetch-one rusqlite-query-row)

missing=()
for tool in wrk jq curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo build --release --quiet
bin=target/release/sqlite-driver-bench

work=$(mktemp -d)
server=
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# wrk → "req/s | p50 | p99"; fails the run if any response was not 2xx or any socket errored.
summarize() {
  local out=$1
  if grep -qE 'Non-2xx|Socket errors' "$out"; then
    echo "wrk reported errors:" >&2
    cat "$out" >&2
    exit 1
  fi
  awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /^Requests\/sec/ {rps=$2}
       END {printf "%.0f | %s | %s", rps, p50, p99}' "$out"
}

mib() { awk '{printf "%.1f MiB", $1 / 1048576}' <<<"$(stat -c %s "$1" 2>/dev/null || echo 0)"; }

echo "machine: $(nproc) cores, $(uname -r); wrk and the server share them" >&2
reads=()
writes=()
for driver in "${drivers[@]}"; do
  db=$work/$driver.db
  log=$work/$driver.log
  "$bin" "$driver" --db "$db" --pool "$POOL" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    grep -q '^listening on' "$log" && break
    sleep 0.1
  done
  url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$log")
  [[ -n $url ]] || { cat "$log" >&2; exit 1; }

  # A correct page before any timing.
  curl -fsS --max-time 10 "$url/tracks?page=37" | jq -e '.count == 10000 and (.results | length) == 100
    and .results[0].id == 3601' >/dev/null

  if [[ $driver == sqlx || $driver == rusqlite ]]; then
    wrk -t2 -c32 -d3s "$url/tracks?page=1" >/dev/null   # warm-up
    wrk -t2 -c32 -d"$DURATION" --latency "$url/tracks?page=1" >"$work/get1.txt"
    wrk -t2 -c32 -d"$DURATION" --latency -s pages.lua "$url/tracks" >"$work/pages.txt"
    get1=$(summarize "$work/get1.txt")
    pages=$(summarize "$work/pages.txt")
    reads+=("| \`$driver\` | $get1 | $pages |")
  fi
  wrk -t2 -c32 -d"$WRITE_DURATION" --latency -s post.lua "$url/tracks" >"$work/post.txt"
  post=$(summarize "$work/post.txt")
  sleep 1
  wal=$(mib "$db-wal")
  total=$(curl -fsS --max-time 10 "$url/tracks?page=1" | jq .count)
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
  # busy flag / WAL frames / frames checkpointed; 0/0/0 means done and the WAL truncated.
  ckpt=$(python3 - "$db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=5)
print("%d/%d/%d" % con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
PY
)
  ckpt="$ckpt, WAL $(mib "$db-wal")"
  kill "$server"
  wait "$server" || true
  server=
  writes+=("| \`$driver\` | $post | $total | $wal | $ckpt | $((hwm / 1024)) MiB |")
done

echo
echo "| driver | GET page=1 req/s | p50 | p99 | GET pages 1–100 req/s | p50 | p99 |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${reads[@]}"
echo
echo "| driver | POST req/s | p50 | p99 | rows after | WAL after writes | checkpoint(TRUNCATE) after | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${writes[@]}"
