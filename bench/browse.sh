#!/usr/bin/env bash
# Browse, search and item pages under load, against /healthz of the same server in the same
# run. By hand: `bash bench/browse.sh` (SQLite); with BRUKA_BENCH_POSTGRES_URL set (a server
# where the user may create databases) PostgreSQL is measured too.
#
# Seeds 100 000 listings with `bruka demo`, signs in through the real mailed link, then runs
# wrk for 20 s per page at 64 connections and prints requests/s, p99 and the ratio to
# /healthz. Goals (SQLite): browse ≥ 0.25 of /healthz throughput, p99 < 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
# The pages to measure, space-separated; ITEM stands for a listing's id.
PAGES=${PAGES:-"/ /items /items?q=kontorsstol /items?q=stol /items?q=skrifbord /items?category=mobler&sort=title&page=3 /items/ITEM /my"}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }

cargo build --release --quiet
BRUKA=$PWD/target/release/bruka

source bench/lib.sh

# wrk_stats URL COOKIE -> "requests/s p99_ms"
wrk_stats() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $2" "$1" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
value, unit = float(p99.group(1)), p99.group(2)
ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {ms:.2f} {errors.group(1) if errors else 0}")'
}

run_backend() {
  local name=$1 url=$2 dir port base cookie jar csrf
  dir=$(mktemp -d /tmp/bruka-bench.XXXXXX)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  export BRUKA_DATA_DIR=$dir BRUKA_BIND=127.0.0.1:$port BRUKA_LOG_FORMAT=json RUST_LOG=warn
  export BRUKA_LOGIN_LIMIT_PER_IP=1000 BRUKA_LOGIN_LIMIT_PER_ADDRESS=1000
  if [ -n "$url" ]; then export BRUKA_DATABASE_URL=$url; else unset BRUKA_DATABASE_URL; fi
  echo "== $name: seeding $ITEMS listings"
  local started=$SECONDS
  "$BRUKA" demo --items "$ITEMS" --history 0 >/dev/null
  echo "   seeded in $((SECONDS - started)) s"
  "$BRUKA" serve >/dev/null 2>"$dir/serve.log" &
  local pid=$!
  trap 'kill "${pid:-}" 2>/dev/null || true' RETURN
  for _ in $(seq 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

  jar=$dir/cookies
  sign_in "$base" "$dir" anna.lindqvist@exempelkommun.example "$jar"
  csrf=$(awk '$6 == "bruka_csrf" {print $7}' "$jar")
  cookie="bruka_csrf=$csrf; bruka_session=$(awk '$6 == "bruka_session" {print $7}' "$jar")"
  local item_id
  item_id=$(curl -s -b "$jar" "$base/items" | grep -o 'href="/items/[0-9]*"' | head -1 | grep -o '[0-9]*')

  local health
  read -r health_rps health_p99 health_err < <(wrk_stats "$base/healthz" "$cookie")
  printf '   %-28s %9s req/s  p99 %7s ms  non-2xx %s\n' "/healthz" "$health_rps" "$health_p99" "$health_err"
  # Search: a common word, a compound's part (finds every kind of chair), a misspelling.
  # "/" is the signed-in start page: search, to-do and the newest listings; "/my" is Min
  # sida with reservations, threads and queue places.
  local pages
  read -r -a pages <<< "${PAGES//ITEM/$item_id}"
  for page in "${pages[@]}"; do
    # The first request of a search ranks every match (kept until a listing changes): timed
    # on its own, so wrk measures the page as most requests meet it.
    first=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "$base$page")
    first_ms=$(python3 -c "print(f'{$first * 1000:.0f}')")
    read -r rps p99 errors < <(wrk_stats "$base$page" "$cookie")
    ratio=$(python3 -c "print(f'{$rps / $health_rps:.2f}')")
    printf '   %-28s %9s req/s  p99 %7s ms  non-2xx %s  ratio %s  first %s ms\n' "$page" "$rps" "$p99" "$errors" "$ratio" "$first_ms"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

on_each_backend run_backend bruka_bench
