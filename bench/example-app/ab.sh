#!/usr/bin/env bash
# A/B of two example-app release binaries on loopback: the same 1,000 tracks on SQLite, the
# detail route and a 100-row page, wrk -t1 -c32, ROUNDS (default 4) interleaved rounds of 10 s
# (after 2 s of warm-up), the order of the two binaries alternating from round to round (odd
# rounds run `before` first, even rounds `after`), so that neither always has the warmer
# machine. Not part of CI. Build the two binaries first, e.g. for a revision REV:
#   git worktree add --detach /tmp/base REV && (cd /tmp/base && cargo build --release -p example-app)
#   cargo build --release -p example-app
#   bench/example-app/ab.sh /tmp/base/target/release/example-app target/release/example-app
set -u
[[ $# -eq 2 ]] || { echo "usage: $0 BEFORE_BINARY AFTER_BINARY" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
declare -A BIN=([before]=$1 [after]=$2)
work=$(mktemp -d)
password=ab-password-$RANDOM$RANDOM
start() { # name port
  # A superuser to seed with (creates need a user since issue 12), and no throttles.
  echo "$password" | "${BIN[$1]}" createsuperuser --database-url "sqlite://$work/$1.db" --username ab --email ab@example.org >/dev/null
  "${BIN[$1]}" --bind 127.0.0.1:$2 --database-url "sqlite://$work/$1.db" --media-root "$work/media-$1" --log warn \
    --throttle-anon off --throttle-user off --throttle-uploads off >"$work/$1.out" 2>&1 &
  echo $!
}
seed() { # port
  local token
  token=$(curl -sf -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -d "{\"username\":\"ab\",\"password\":\"$password\"}" "http://127.0.0.1:$1/api/auth/token/" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [[ -n $token ]] || { echo "ab: no token on port $1" >&2; exit 1; }
  for i in $(seq 1 1000); do
    printf '{"title":"Track %04d","artist_name":"Artist %d","release_date":"19%02d-01-01"}\n' $i $((i % 10)) $((i % 100))
  done | while read -r body; do
    curl -sf -o /dev/null -H "Authorization: Token $token" -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:$1/api/tracks/ ||
      { echo "ab: a seed create failed on port $1" >&2; exit 1; }
  done
}
pb=$(start before 18901); pa=$(start after 18902); sleep 2
seed 18901 && seed 18902 || { kill $pb $pa; exit 1; }
for round in $(seq 1 "${ROUNDS:-4}"); do
  order="before after"; (( round % 2 == 0 )) && order="after before"
  for side in $order; do
    port=$([ $side = before ] && echo 18901 || echo 18902)
    for route in "/api/tracks/500/" "/api/tracks/?page_size=100"; do
      wrk -t1 -c32 -d2s "http://127.0.0.1:$port$route" >/dev/null
      r=$(wrk -t1 -c32 -d10s --latency "http://127.0.0.1:$port$route")
      echo "round $round $side $route: $(echo "$r" | awk '/Requests\/sec/ {print $2" req/s"} / 99%/ {print "p99 "$2}' | tr '\n' ' ')"
    done
  done
done
kill $pb $pa; rm -rf "$work"
