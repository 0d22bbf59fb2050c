#!/usr/bin/env bash
# req/s and p99 of detail, 100-row list and create as connections grow (issue 16, "Scale"), and
# the app's peak RSS. The app at BIN serves a fresh SQLite file with 1,000 tracks owned by a
# superuser (as the yardstick seeds them), throttles off; creates carry the superuser's token.
# For each route and each count in CONNS (default "1 32 256 1024"), a 2 s warm-up and a
# DURATION (default 10s) run of wrk -t1 --timeout 10s. Prints one line per run with the app's
# resident set after it, then VmHWM (the peak resident set over the whole run):
#   bench/example-app/connections.sh target/release/example-app
set -euo pipefail
. "$(dirname "$0")/app.sh"
conns=${CONNS:-1 32 256 1024} duration=${DURATION:-10s}
ulimit -n 20000 2>/dev/null || true
app_start "$1" 1000
app_token
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
