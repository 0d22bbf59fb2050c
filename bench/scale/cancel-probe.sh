#!/usr/bin/env bash
# Probe for what bench/scale/run.sh ran into on PostgreSQL: a counted list (`/capped/`, `/pages/`)
# reads its count and its page in a transaction (`fetch_consistent`, `pool.begin()`). When the
# client goes away while `BEGIN` is in flight, the request's future is dropped, and sqlx 0.9.0
# returns the connection to the pool inside the transaction (transact-rs/sqlx#4393). Later
# statements on that connection run inside it, including creates that answer 201, until a later
# counted list on it fails (`SET TRANSACTION ISOLATION LEVEL must be called before any query`, a
# 500) and its rollback discards them.
#
#   bench/scale/cancel-probe.sh        (ROUNDS, default 20)
#
# Per round: 1 s of `wrk -c16` on `/capped/` (wrk's stop drops up to 16 requests in flight),
# 30 creates (POST /pages/, each 201 with its id), 30 more counted lists. Then every id that was
# answered 201 is read back. Prints how many are missing and exits 1 if any is.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
ROUNDS=${ROUNDS:-20}

cargo build --release --quiet
bin=$PWD/target/release/scale
work=$(mktemp -d)
chmod 755 "$work"
server=
pgdata=
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
  if [[ -n $pgdata ]]; then "$root/tests/services/postgres.sh" stop "$pgdata" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$(RESTFRAME_SERVICES_DIR=$work "$root/tests/services/postgres.sh" start)"
pgdata=$RESTFRAME_TEST_PGDATA
db=$RESTFRAME_TEST_POSTGRES_URL
"$bin" --db "$db" --rows 1000 --seed 2>/dev/null
"$bin" --db "$db" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  grep -q '^listening on' "$work/server.log" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/server.log")
[[ -n $url ]] || { cat "$work/server.log" >&2; exit 1; }

: >"$work/ids"
for round in $(seq "$ROUNDS"); do
  wrk -t1 -c16 -d1s "$url/capped/" >/dev/null
  for _ in $(seq 30); do
    curl -s -H 'Content-Type: application/json' -w ' %{http_code}\n' \
      -d '{"title": "probe", "artist_name": "probe", "release_date": null}' "$url/pages/" |
      sed -n 's/.*"id":\([0-9]*\).* 201$/\1/p' >>"$work/ids"
  done
  for _ in $(seq 30); do curl -s -o /dev/null "$url/capped/"; done
  printf '.' >&2
done
echo >&2

acknowledged=$(wc -l <"$work/ids")
missing=0
while read -r id; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/pages/$id/")
  [[ $code == 200 ]] || missing=$((missing + 1))
done <"$work/ids"
failed=$(grep -c 'request failed' "$work/server.log" || true)
nested=$(grep -c 'already a transaction in progress' "$work/server.log" || true)
echo "$acknowledged creates answered 201; $missing of them cannot be read back."
echo "server: $failed requests failed (500), $nested BEGINs sent inside a transaction."
psql_state=$(grep -m1 'must be called before any query' "$work/server.log" | sed 's/.*internal=//' || true)
[[ -z $psql_state ]] || echo "first failure: $psql_state"
[[ $missing -eq 0 ]]
