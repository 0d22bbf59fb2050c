#!/usr/bin/env bash
# The scale benchmark of issue 15: pages of a generated 1,000,000-row tracks table on SQLite and
# PostgreSQL, by page number (count exact, capped, off), by cursor at page 1 and page 5,000, and
# ordered by title either way. Loopback only; every run is bounded in time.
#
#   bench/scale/run.sh
#
# Per backend and table size: seed `scale_track` in SQL (src/main.rs), start the release binary
# on a free loopback port, find the cursors of page 5,000 by following `next` in process
# (`scale --cursor-at`), check every URL answers 200 with 20 rows, then per URL 2 s of warm-up
# and `wrk -t1 -c16 --timeout 10s -d$DURATION --latency`. At the end: a table of req/s and p99 per URL, the
# ratios issue 15 bounds, and the plan of each statement on the largest table (`scale --explain`).
#
# Env: ROWS (table sizes, default "1000 1000000"), BACKENDS (default "sqlite postgres"),
# DURATION (default 10s), WARMUP (default 2s), PAGE (the deep page, default 5000).
# PostgreSQL is a throwaway cluster from tests/services/postgres.sh (port 55432 or the next free
# one; installed with apt-get when missing and run as root), stopped on exit. Installs wrk, jq and
# curl from Debian when missing. The whole run takes about 8.5 minutes after the build (5–7 min).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

ROWS=${ROWS:-"1000 1000000"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
PAGE=${PAGE:-5000}

missing=()
for tool in wrk jq curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo build --release --quiet
bin=$PWD/target/release/scale

work=$(mktemp -d)
chmod 755 "$work" # the PostgreSQL server runs as `postgres` when we are root
server=
pgdata=
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
  if [[ -n $pgdata ]]; then "$root/tests/services/postgres.sh" stop "$pgdata" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wrk's output → "req/s p99_ms non2xx"; fails the run on a socket error. Non-2xx answers are
# counted, not fatal: on PostgreSQL a request cancelled by wrk's stop can leave a pooled
# connection inside a transaction, and a later request on it may fail (see docs/performance.md).
summarize() {
  local out=$1
  if grep -qE 'Socket errors' "$out"; then
    echo "wrk reported errors:" >&2
    cat "$out" >&2
    exit 1
  fi
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                        if (v ~ /s$/) return v * 1000; return v }
       /^ +99%/ {p99 = ms($2)} /^Requests\/sec/ {rps = $2} /Non-2xx/ {bad = $NF}
       END {printf "%.0f %.2f %d\n", rps, p99, bad}' "$out"
}

# One URL: checked (200 with 20 rows; three tries), warmed up, measured; appends a line to
# $work/results.
measure() {
  local backend=$1 rows=$2 name=$3 path=$4 n= try
  for try in 1 2 3; do
    n=$(curl -sS --max-time 60 "$url$path" | jq '.results | length' 2>/dev/null) || true
    [[ $n == 20 ]] && break
    echo "  $path: try $try gave no 20 rows: $(curl -sS --max-time 60 "$url$path" | head -c 200)" >&2
  done
  [[ $n == 20 ]] || { tail -20 "$work/server.log" >&2; exit 1; }
  wrk -t1 -c16 --timeout 10s -d"$WARMUP" "$url$path" >/dev/null
  wrk -t1 -c16 --timeout 10s -d"$DURATION" --latency "$url$path" >"$work/wrk.txt"
  read -r rps p99 bad < <(summarize "$work/wrk.txt")
  printf '%s %s %s %s %s %s\n' "$backend" "$rows" "$name" "$rps" "$p99" "$bad" >>"$work/results"
  printf '  %-22s %8s req/s  p99 %8s ms  non-2xx %s\n' "$name" "$rps" "$p99" "$bad" >&2
}

echo "machine: $(nproc) cores, $(uname -r); wrk and the server share them" >&2
: >"$work/results"
: >"$work/failures"
for backend in $BACKENDS; do
  case $backend in
    sqlite) db="sqlite://$work/scale.db" ;;
    postgres)
      eval "$(RESTFRAME_SERVICES_DIR=$work "$root/tests/services/postgres.sh" start)"
      pgdata=$RESTFRAME_TEST_PGDATA
      db=$RESTFRAME_TEST_POSTGRES_URL
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  for rows in $ROWS; do
    echo "== $backend, $rows rows" >&2
    rm -f "$work"/scale.db*
    "$bin" --db "$db" --rows "$rows" --seed
    "$bin" --db "$db" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
      grep -q '^listening on' "$work/server.log" && break
      sleep 0.1
    done
    url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/server.log")
    [[ -n $url ]] || { cat "$work/server.log" >&2; exit 1; }

    deep=$(( rows / 20 < PAGE ? rows / 20 : PAGE ))
    cursor=$("$bin" --db "$db" --cursor-at "$deep" --prefix /cursor/)
    cursor_title=$("$bin" --db "$db" --cursor-at "$deep" --prefix /cursor-title/)
    if [[ $rows == "${ROWS##* }" ]]; then
      "$bin" --db "$db" --explain >"$work/explain-$backend.txt"
    fi

    measure "$backend" "$rows" pages "/pages/"
    measure "$backend" "$rows" capped "/capped/"
    measure "$backend" "$rows" nocount "/nocount/"
    measure "$backend" "$rows" capped-title "/capped/?ordering=title"
    measure "$backend" "$rows" capped--title "/capped/?ordering=-title"
    measure "$backend" "$rows" cursor-p1 "/cursor/"
    measure "$backend" "$rows" "cursor-p$deep" "$cursor"
    measure "$backend" "$rows" cursor-title-p1 "/cursor-title/"
    measure "$backend" "$rows" "cursor-title-p$deep" "$cursor_title"
    if (( rows / 20 >= PAGE )); then
      measure "$backend" "$rows" "pages-p$PAGE" "/pages/?page=$PAGE"
    fi

    kill "$server"
    wait "$server" || true
    server=
    failed=$(grep -c 'request failed' "$work/server.log" || true)
    nested=$(grep -c 'already a transaction in progress' "$work/server.log" || true)
    echo "$backend $rows $failed $nested" >>"$work/failures"
    echo "  server: $failed failed requests, $nested BEGINs inside a transaction" >&2
  done
  if [[ -n $pgdata ]]; then
    "$root/tests/services/postgres.sh" stop "$pgdata"
    pgdata=
  fi
done

# ---- report ----
r() { awk -v b="$1" -v n="$2" -v k="$3" -v f="$4" '$1 == b && $2 == n && $3 == k {print $f}' "$work/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
verdict() { awk -v x="$1" -v op="$2" -v bound="$3" 'BEGIN { if (x == "-") print "n/a";
  else if ((op == "<=" && x <= bound) || (op == ">=" && x >= bound)) print "holds"; else print "FAILS" }'; }
big=${ROWS##* }
small=${ROWS%% *}

echo
echo "| backend | rows | URL | req/s | p99 (ms) | non-2xx |"
echo "|---|---:|---|---:|---:|---:|"
while read -r backend rows name rps p99 bad; do
  case $name in
    pages) path="/pages/" ;;
    capped) path="/capped/" ;;
    nocount) path="/nocount/" ;;
    capped-title) path="/capped/?ordering=title" ;;
    capped--title) path="/capped/?ordering=-title" ;;
    cursor-p1) path="/cursor/" ;;
    cursor-title-p1) path="/cursor-title/" ;;
    cursor-title-p*) path="/cursor-title/ page ${name#cursor-title-p}" ;;
    cursor-p*) path="/cursor/ page ${name#cursor-p}" ;;
    pages-p*) path="/pages/?page=${name#pages-p}" ;;
  esac
  printf '| %s | %s | `%s` | %s | %s | %s |\n' "$backend" "$rows" "$path" "$rps" "$p99" "$bad"
done <"$work/results"
echo
echo "Server log per run: requests failed (500), and BEGINs sent on a connection already in a transaction"
echo "(PostgreSQL's \"there is already a transaction in progress\"):"
echo
echo "| backend | rows | failed requests | BEGIN inside a transaction |"
echo "|---|---:|---:|---:|"
while read -r backend rows failed nested; do
  echo "| $backend | $rows | $failed | $nested |"
done <"$work/failures"

echo
echo "Ratios on $big rows (costs are req/s ratios: page 1 ÷ the other, so 2.00 is twice the cost):"
echo
echo "| backend | bound | ratio | p99 ratio | verdict |"
echo "|---|---|---:|---:|---|"
deep=$(( big / 20 < PAGE ? big / 20 : PAGE ))
for backend in $BACKENDS; do
  for c in cursor cursor-title; do
    x=$(ratio "$(r "$backend" "$big" "$c-p1" 4)" "$(r "$backend" "$big" "$c-p$deep" 4)")
    y=$(ratio "$(r "$backend" "$big" "$c-p$deep" 5)" "$(r "$backend" "$big" "$c-p1" 5)")
    echo "| $backend | \`/$c/\` page $deep costs ≤ 2× page 1 | $x | $y | $(verdict "$x" "<=" 2) |"
  done
  for o in title -title; do
    k=capped-$o
    x=$(ratio "$(r "$backend" "$big" capped 4)" "$(r "$backend" "$big" "$k" 4)")
    y=$(ratio "$(r "$backend" "$big" "$k" 5)" "$(r "$backend" "$big" capped 5)")
    echo "| $backend | \`?ordering=$o\` costs ≤ 2× the default order | $x | $y | $(verdict "$x" "<=" 2) |"
  done
  for k in capped nocount; do
    x=$(ratio "$(r "$backend" "$big" "$k" 4)" "$(r "$backend" "$small" pages 4)")
    y=$(ratio "$(r "$backend" "$big" "$k" 5)" "$(r "$backend" "$small" pages 5)")
    echo "| $backend | \`/$k/\` on $big rows ≥ 50% of \`/pages/\` (exact count) on $small (req/s) | $x | $y | $(verdict "$x" ">=" 0.5) |"
  done
done

for backend in $BACKENDS; do
  if [[ -f $work/explain-$backend.txt ]]; then
    echo
    echo "Plans on $backend, $big rows (scale --explain):"
    echo
    cat "$work/explain-$backend.txt"
  fi
done
