#!/usr/bin/env bash
# Load-tests the example app's track list, detail and create over loopback with wrk, on SQLite
# (the default) and, when DATABASE_URL_PG is set (a postgres:// URL of an empty database), on
# PostgreSQL. Builds the release binary (not part of CI). Usage: bench/example-app/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -p example-app
bin=target/release/example-app
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # name database-url
	local name=$1 url=$2 port=18900
	"$bin" --bind 127.0.0.1:$port --database-url "$url" --media-root "$work/media" --log warn >"$work/out" 2>&1 &
	pid=$!
	sleep 1
	local base=http://127.0.0.1:$port
	for i in $(seq 1 1000); do
		printf '{"title":"Track %04d","artist_name":"Artist %d","release_date":"19%02d-01-01"}' $i $((i % 10)) $((i % 100))
		echo
	done | while read -r body; do
		curl -s -o /dev/null -H 'Content-Type: application/json' -d "$body" $base/api/tracks/
	done
	echo "== $name: GET /api/tracks/?page_size=100 (a 100-row page of 1,000 rows)"
	wrk -t2 -c32 -d3s "$base/api/tracks/?page_size=100" >/dev/null
	wrk -t2 -c32 -d15s --latency "$base/api/tracks/?page_size=100" | grep -E "Requests/sec|50%|99%"
	echo "== $name: GET /api/tracks/500/"
	wrk -t2 -c32 -d15s --latency "$base/api/tracks/500/" | grep -E "Requests/sec|50%|99%"
	echo "== $name: POST /api/tracks/ (JSON)"
	wrk -t2 -c32 -d10s --latency -s bench/example-app/post.lua "$base/api/tracks/" | grep -E "Requests/sec|50%|99%"
	echo "== $name: peak RSS $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
	if [[ $url == sqlite://* ]]; then
		echo "== $name: WAL after the writes: $(du -h "${url#sqlite://}-wal" | cut -f1)"
	fi
	kill -TERM $pid
	wait $pid || true
}

run sqlite "sqlite://$work/bench.db"
if [[ -n ${DATABASE_URL_PG:-} ]]; then
	run postgres "$DATABASE_URL_PG"
fi
