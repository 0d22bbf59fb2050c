#!/usr/bin/env bash
# Issue 12's target: the cost of an active request policy on the JSON detail route. A/B of two
# example-app release binaries on loopback, the same 1,000 tracks on SQLite each:
#   before  the app before it adopted the policy (no authentication, permission or throttle);
#   memory  the app with the policy: a superuser's token in `Authorization: Token`, the router's
#           IsAuthenticatedOrReadOnly, a user throttle that counts but never refuses
#           (--throttle-user 100000000/min, --throttle-anon off), on the in-memory store;
#   redis   the same on the Redis store (a redis-server started here on 127.0.0.1:56380).
# wrk -t1 -c32 on GET /api/tracks/500/ with `Accept: application/json`, ROUNDS (default 3)
# interleaved rounds of 10 s after 2 s of warm-up; every side gets the same request bytes (the
# before binary ignores the Authorization header). Prints req/s and p99 per round and the loss
# of each policy side against before (mean req/s). SIDES="before anon token memory redis" adds
# two sides that take the policy apart (after binary, throttles off): `anon` sends no token
# (authenticators find no credentials), `token` authenticates by token but counts nothing.
# Not part of CI. Build the binaries first:
#   git worktree add --detach /tmp/base d314629 && (cd /tmp/base && cargo build --release -p example-app)
#   cargo build --release -p example-app
#   bench/example-app/policy.sh /tmp/base/target/release/example-app target/release/example-app
set -u
[[ $# -eq 2 ]] || { echo "usage: $0 BEFORE_BINARY AFTER_BINARY" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v redis-server >/dev/null || { echo "$0: needs redis-server (apt-get install redis-server)" >&2; exit 1; }
ROUNDS=${ROUNDS:-3}
read -r -a SIDES <<<"${SIDES:-before memory redis}"
REDIS_PORT=56380
ROUTE=/api/tracks/500/
declare -A BIN=([before]=$1 [anon]=$2 [token]=$2 [memory]=$2 [redis]=$2)
declare -A PORT=([before]=18911 [memory]=18912 [redis]=18913 [anon]=18914 [token]=18915)
declare -A PID=()
work=$(mktemp -d)
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
die() { printf "%s: %b\n" "$0" "$*" >&2; exit 1; }

redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work" >"$work/redis.log" 2>&1 &
PID[redis-server]=$!
for _ in $(seq 50); do
  [[ $(redis-cli -p $REDIS_PORT ping 2>/dev/null) == PONG ]] && break
  sleep 0.1
done
[[ $(redis-cli -p $REDIS_PORT ping 2>/dev/null) == PONG ]] || die "redis-server did not start: $(cat "$work/redis.log")"

policy=(--throttle-user 100000000/min --throttle-anon off)
start() { # side extra-args...
  local side=$1
  shift
  "${BIN[$side]}" --bind 127.0.0.1:${PORT[$side]} --database-url "sqlite://$work/$side.db" \
    --media-root "$work/media-$side" --log warn "$@" >"$work/$side.out" 2>&1 &
  PID[$side]=$!
}
nothrottle=(--throttle-user off --throttle-anon off --throttle-uploads off)
declare -A ARGS=(
  [before]=""
  [anon]="${nothrottle[*]}"
  [token]="${nothrottle[*]}"
  [memory]="${policy[*]} --throttle-store memory"
  [redis]="${policy[*]} --throttle-store redis --redis-url redis://127.0.0.1:$REDIS_PORT/"
)
for side in "${SIDES[@]}"; do
  [[ -n ${PORT[$side]:-} ]] || die "unknown side $side (known: before anon token memory redis)"
  # shellcheck disable=SC2086 # ARGS holds words
  start "$side" ${ARGS[$side]}
done
sleep 2
for side in "${SIDES[@]}"; do
  curl -sf -o /dev/null "http://127.0.0.1:${PORT[$side]}/api/tracks/" ||
    die "$side did not start: $(cat "$work/$side.out")"
done

# A superuser on each policy side (while it runs), and a token for it.
password=policy-bench-password
declare -A TOKEN=()
policy_sides=()
for side in "${SIDES[@]}"; do [[ $side == before ]] || policy_sides+=("$side"); done
for side in "${policy_sides[@]}"; do
  echo "$password" | "${BIN[$side]}" createsuperuser --username admin \
    --database-url "sqlite://$work/$side.db" >"$work/su-$side.out" 2>&1 ||
    die "createsuperuser on $side failed: $(cat "$work/su-$side.out")"
  TOKEN[$side]=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" \
    "http://127.0.0.1:${PORT[$side]}/api/auth/token/" | sed -n 's/.*"token" *: *"\([0-9a-f]*\)".*/\1/p')
  [[ -n ${TOKEN[$side]} ]] || die "no token from POST /api/auth/token/ on $side"
done
# The same request bytes everywhere: the before binary ignores the header; `anon` sends none.
TOKEN[before]=${TOKEN[${policy_sides[0]}]}

seed() { # side
  local auth=()
  [[ $1 == before ]] || auth=(-H "Authorization: Token ${TOKEN[$1]}")
  for i in $(seq 1 1000); do
    printf '{"title":"Track %04d","artist_name":"Artist %d","release_date":"19%02d-01-01"}\n' $i $((i % 10)) $((i % 100))
  done | while read -r body; do
    curl -s -o /dev/null -H 'Content-Type: application/json' "${auth[@]}" -d "$body" "http://127.0.0.1:${PORT[$1]}/api/tracks/"
  done
  local count
  count=$(curl -s -H 'Accept: application/json' "http://127.0.0.1:${PORT[$1]}/api/tracks/?page_size=1" | sed -n 's/.*"count" *: *\([0-9]*\).*/\1/p')
  [[ $count == 1000 ]] || die "$1 has $count tracks after seeding, not 1000"
}
for side in "${SIDES[@]}"; do seed "$side"; done

# The policy sides really authenticate: a POST without the token is refused, and the detail
# route answers the token with 200.
for side in "${policy_sides[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"title":"x","artist_name":"y"}' "http://127.0.0.1:${PORT[$side]}/api/tracks/")
  [[ $code == 401 ]] || die "$side: an anonymous POST answered $code, not 401 (no policy?)"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/json' -H "Authorization: Token ${TOKEN[$side]}" "http://127.0.0.1:${PORT[$side]}$ROUTE")
  [[ $code == 200 ]] || die "$side: GET $ROUTE with the token answered $code"
done
redis_keys_before=$(redis-cli -p $REDIS_PORT dbsize)

echo "GET $ROUTE (Accept: application/json, Authorization: Token), wrk -t1 -c32, $ROUNDS rounds of 10 s, sides: ${SIDES[*]}"
declare -A SUM=()
for round in $(seq 1 "$ROUNDS"); do
  for side in "${SIDES[@]}"; do
    url="http://127.0.0.1:${PORT[$side]}$ROUTE"
    hdr=(-H 'Accept: application/json')
    [[ $side == anon ]] || hdr+=(-H "Authorization: Token ${TOKEN[$side]}")
    wrk -t1 -c32 -d2s "${hdr[@]}" "$url" >/dev/null
    r=$(wrk -t1 -c32 -d10s --latency "${hdr[@]}" "$url")
    rps=$(echo "$r" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$r" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$r" | awk '/Non-2xx/ {print $NF}')
    [[ -z $non2xx ]] || die "round $round $side: $non2xx non-2xx responses (throttled? refused?):\n$r"
    SUM[$side]=$(awk -v a="${SUM[$side]:-0}" -v b="$rps" 'BEGIN {print a + b}')
    printf 'round %d %-6s %10s req/s  p99 %s\n' "$round" "$side" "$rps" "$p99"
  done
done
for side in "${policy_sides[@]}"; do
  awk -v b="${SUM[before]}" -v a="${SUM[$side]}" -v n="$ROUNDS" -v s="$side" 'BEGIN {
    printf "%-6s mean %.0f req/s vs before %.0f req/s: loss %.1f%%\n", s, a / n, b / n, (1 - a / b) * 100 }'
done
echo "redis keys: $redis_keys_before before the runs, $(redis-cli -p $REDIS_PORT dbsize) after (the throttle's counters)"
redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1
