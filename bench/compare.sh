#!/usr/bin/env bash
# Two builds of bruka on the same pages, in alternating rounds, so machine noise falls on
# both alike. By hand: `bash bench/compare.sh BASELINE_BINARY [CANDIDATE_BINARY]` (the
# candidate defaults to this tree's release build). Build a baseline with e.g.
#   git worktree add /tmp/baseline <rev> &&
#   (cd /tmp/baseline && CARGO_TARGET_DIR=/tmp/baseline-target cargo build --release)
#
# Each build seeds its own copy of the same demo data (the seed is fixed) on SQLite, or on a
# fresh PostgreSQL database with BRUKA_BENCH_POSTGRES_URL set, signs in through the mailed
# link and serves it; then every round measures /healthz and each page on one build, then
# the other. Prints requests/s per round and the median ratio to /healthz per build.
set -euo pipefail
cd "$(dirname "$0")/.."

BASELINE=${1:?usage: bench/compare.sh BASELINE_BINARY [CANDIDATE_BINARY]}
ITEMS=${ITEMS:-100000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
PAGES=${PAGES:-"/items /items?category=mobler&sort=title&page=3"}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
if [ -n "${2:-}" ]; then
  CANDIDATE=$2
else
  cargo build --release --quiet
  CANDIDATE=$PWD/target/release/bruka
fi

source bench/lib.sh

rps() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: $2" "$1" |
    awk '/Requests\/sec/ {printf "%.0f", $2}'
}

declare -A BASE COOKIE PID DIR DB
cleanup() {
  for name in baseline candidate; do
    kill "${PID[$name]:-}" 2>/dev/null || true
    [ -n "${DB[$name]:-}" ] && psql "$BRUKA_BENCH_POSTGRES_URL" -qc "DROP DATABASE ${DB[$name]} WITH (FORCE)"
    rm -rf "${DIR[$name]:-/nonexistent}"
  done
}
trap cleanup EXIT

start() {
  local name=$1 binary=$2 dir port jar
  dir=$(mktemp -d /tmp/bruka-compare.XXXXXX)
  port=$(free_port)
  DIR[$name]=$dir
  BASE[$name]="http://127.0.0.1:$port"
  export BRUKA_DATA_DIR=$dir BRUKA_BIND=127.0.0.1:$port BRUKA_LOG_FORMAT=json RUST_LOG=warn
  export BRUKA_LOGIN_LIMIT_PER_IP=1000 BRUKA_LOGIN_LIMIT_PER_ADDRESS=1000
  if [ -n "${BRUKA_BENCH_POSTGRES_URL:-}" ]; then
    DB[$name]=bruka_compare_${name}_$$
    psql "$BRUKA_BENCH_POSTGRES_URL" -qc "CREATE DATABASE ${DB[$name]}"
    export BRUKA_DATABASE_URL=${BRUKA_BENCH_POSTGRES_URL%/*}/${DB[$name]}
  else
    unset BRUKA_DATABASE_URL
  fi
  echo "== $name ($binary): seeding $ITEMS listings"
  "$binary" demo --items "$ITEMS" --history 0 >/dev/null
  "$binary" serve >/dev/null 2>"$dir/serve.log" &
  PID[$name]=$!
  for _ in $(seq 50); do curl -sf "${BASE[$name]}/healthz" >/dev/null && break; sleep 0.2; done
  jar=$dir/cookies
  sign_in "${BASE[$name]}" "$dir" anna.lindqvist@exempelkommun.example "$jar"
  COOKIE[$name]="bruka_csrf=$(awk '$6 == "bruka_csrf" {print $7}' "$jar"); bruka_session=$(awk '$6 == "bruka_session" {print $7}' "$jar")"
}

start baseline "$BASELINE"
start candidate "$CANDIDATE"
# A first pass reads the freshly seeded database into the caches; it is not counted.
for name in baseline candidate; do
  for page in $PAGES; do DURATION=3s rps "${BASE[$name]}$page" "${COOKIE[$name]}" >/dev/null; done
done

declare -A RATIOS
for round in $(seq "$ROUNDS"); do
  for name in baseline candidate; do
    health=$(rps "${BASE[$name]}/healthz" "${COOKIE[$name]}")
    line="round $round $name: /healthz $health"
    for page in $PAGES; do
      value=$(rps "${BASE[$name]}$page" "${COOKIE[$name]}")
      line+="  $page $value"
      RATIOS[$name $page]+="$(python3 -c "print($value / $health)") "
    done
    echo "$line"
  done
done
for page in $PAGES; do
  for name in baseline candidate; do
    python3 -c 'import statistics, sys
print(f"median ratio to /healthz  {sys.argv[1]:<9} {sys.argv[2]:<45} {statistics.median(map(float, sys.argv[3].split())):.3f}")' \
      "$name" "$page" "${RATIOS[$name $page]}"
  done
done
