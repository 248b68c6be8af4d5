#!/usr/bin/env bash
# Load and faults, by hand: `bash bench/load.sh` (DURATION=10m by default).
#
# Two instances on one PostgreSQL database (BRUKA_BENCH_POSTGRES_URL, a server where the
# user may create databases) sharing one S3 bucket for photos (BRUKA_BENCH_S3_URL, or a
# moto server started here when `moto_server` is installed), and one on SQLite with its
# photo folder, get mixed browse/search/item/reserve traffic from wrk (bench/mixed.lua) for
# DURATION. Halfway, one PostgreSQL instance is killed with SIGKILL and restarted.
# Afterwards it checks: no 5xx; every reservation the server acknowledged (303 to it) is in
# the database; for every listing held + picked up + available = total (no reservation
# lost or doubled); every queued mail sent and none twice (Message-IDs unique across the
# instances' mail folders); memory of each instance at the start and the end of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DURATION=${DURATION:-10m}
ITEMS=${ITEMS:-2000}
CONNECTIONS=${CONNECTIONS:-16}
: "${BRUKA_BENCH_POSTGRES_URL:?set BRUKA_BENCH_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5433/postgres)}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
cargo build --release --quiet
BRUKA=$PWD/target/release/bruka
seconds=$(python3 -c "import re,sys; v,u=re.fullmatch(r'(\d+)([smh]?)', sys.argv[1]).groups(); print(int(v)*{'':1,'s':1,'m':60,'h':3600}[u])" "$DURATION")
WORK=$(mktemp -d /tmp/bruka-load.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ -z "${BRUKA_BENCH_S3_URL:-}" ]; then
  command -v moto_server >/dev/null ||
    { echo "set BRUKA_BENCH_S3_URL or install moto: pip install 'moto[server]'"; exit 1; }
  s3_port=$(free_port)
  moto_server -H 127.0.0.1 -p "$s3_port" >"$WORK/moto.log" 2>&1 &
  PIDS+=("$!")
  BRUKA_BENCH_S3_URL="http://127.0.0.1:$s3_port"
  for _ in $(seq 50); do curl -sf "$BRUKA_BENCH_S3_URL/" >/dev/null && break; sleep 0.2; done
fi
BUCKET="bruka-load-$$"
curl -sf -X PUT "$BRUKA_BENCH_S3_URL/$BUCKET" >/dev/null
# The PostgreSQL instances keep photos in the bucket; SQLite keeps its folder.
s3_env=(BRUKA_PHOTOS_S3_BUCKET="$BUCKET" BRUKA_PHOTOS_S3_ENDPOINT="$BRUKA_BENCH_S3_URL"
  BRUKA_PHOTOS_S3_ACCESS_KEY_ID=bench BRUKA_PHOTOS_S3_SECRET_ACCESS_KEY=bench)

db="bruka_load_$$"
psql "$BRUKA_BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db"
PG_URL="${BRUKA_BENCH_POSTGRES_URL%/*}/$db"

# start NAME DATABASE_URL PORT: a serving instance with its own data dir (mail); the
# PostgreSQL ones with the shared bucket.
start() {
  local name=$1 url=$2 port=$3 store=()
  mkdir -p "$WORK/$name"
  [ "$name" = lite ] || store=("${s3_env[@]}")
  env "${store[@]}" BRUKA_DATA_DIR=$WORK/$name BRUKA_BIND=127.0.0.1:$port BRUKA_DATABASE_URL=$url \
    BRUKA_LOG_FORMAT=json RUST_LOG=warn BRUKA_PHOTOS_DIR=$WORK/photos \
    BRUKA_SECRET_KEY=load-bench-secret-key-load-bench-secret-key \
    BRUKA_LOGIN_LIMIT_PER_IP=1000 BRUKA_RESERVATION_CHECK_INTERVAL_MS=5000 \
    "$BRUKA" serve >>"$WORK/$name.log" 2>&1 &
  echo $!
}
wait_up() { for _ in $(seq 100); do curl -sf "$1/healthz" >/dev/null && return; sleep 0.1; done; echo "$1 did not start"; exit 1; }
rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

echo "== seeding $ITEMS listings on PostgreSQL and on SQLite"
env "${s3_env[@]}" BRUKA_DATA_DIR=$WORK/pg1 BRUKA_DATABASE_URL=$PG_URL \
  "$BRUKA" demo --items "$ITEMS" --history 0 >/dev/null
mkdir -p "$WORK/lite"
BRUKA_DATA_DIR=$WORK/lite "$BRUKA" demo --items "$ITEMS" --history 0 >/dev/null
MAX_ITEM_ID=$ITEMS

declare -A PORT URL PID
for name in pg1 pg2 lite; do PORT[$name]=$(free_port); done
URL[pg1]=$PG_URL; URL[pg2]=$PG_URL; URL[lite]="sqlite://$WORK/lite/bruka.db"
for name in pg1 pg2 lite; do
  PID[$name]=$(start "$name" "${URL[$name]}" "${PORT[$name]}"); PIDS+=("${PID[$name]}")
  wait_up "http://127.0.0.1:${PORT[$name]}"
done

# One signed-in colleague per database; the cookie works on both PostgreSQL instances.
cookie_for() {
  local base=$1 dir=$2 jar=$2/jar
  sign_in "$base" "$dir" johan.berg@exempelkommun.example "$jar"
  echo "bruka_csrf=$(awk '$6 == "bruka_csrf" {print $7}' "$jar"); bruka_session=$(awk '$6 == "bruka_session" {print $7}' "$jar")"
}
PG_COOKIE=$(cookie_for "http://127.0.0.1:${PORT[pg1]}" "$WORK/pg1")
LITE_COOKIE=$(cookie_for "http://127.0.0.1:${PORT[lite]}" "$WORK/lite")
csrf_of() { sed -E 's/.*bruka_csrf=([^;]*).*/\1/' <<<"$1"; }

declare -A START_RSS
for name in pg1 pg2 lite; do START_RSS[$name]=$(rss_mb "${PID[$name]}"); done
echo "== $DURATION of mixed traffic, $CONNECTIONS connections per instance; pg1 is killed halfway"
WRK_PIDS=()
for name in pg1 pg2 lite; do
  cookie=$PG_COOKIE; [ "$name" = lite ] && cookie=$LITE_COOKIE
  ACKNOWLEDGED_FILE=$WORK/acknowledged.$name MAX_ITEM_ID=$MAX_ITEM_ID CSRF=$(csrf_of "$cookie") wrk -t1 -c"$CONNECTIONS" -d"$DURATION" \
    -s bench/mixed.lua -H "Cookie: $cookie" "http://127.0.0.1:${PORT[$name]}" >"$WORK/wrk.$name" 2>&1 &
  WRK_PIDS+=("$!")
done
sleep $((seconds / 2))
echo "   SIGKILL pg1 (pid ${PID[pg1]}) and restart it"
kill -9 "${PID[pg1]}"; sleep 2
PID[pg1]=$(start pg1 "$PG_URL" "${PORT[pg1]}"); PIDS+=("${PID[pg1]}")
wait_up "http://127.0.0.1:${PORT[pg1]}"
START_RSS[pg1]=$(rss_mb "${PID[pg1]}")
# Only the load generators: moto, when started here, is a job of this shell too.
wait "${WRK_PIDS[@]}" 2>/dev/null || true

echo "== results"
failed=0
for name in pg1 pg2 lite; do
  line=$(grep -E '^5xx=' "$WORK/wrk.$name" || echo "5xx=? reservation_posts=?")
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.$name")
  printf '   %-5s %8s req/s  %s  memory %d MB -> %d MB\n' "$name" "$rps" "$line" \
    "${START_RSS[$name]}" "$(rss_mb "${PID[$name]}")"
  [[ $line == 5xx=0* ]] || failed=1
done

# Let the mail workers drain, then check the books on both databases.
sleep 10
pg_sql() { psql "$PG_URL" -tAc "$1"; }
lite_sql() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$WORK/lite/bruka.db" "$1"; }
UNBALANCED="SELECT COUNT(*) FROM items i WHERE i.quantity_total <> i.quantity_available + COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.item_id = i.id AND r.status IN ('reserved', 'picked_up')), 0)"
UNSENT="SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL"
RESERVED="SELECT COUNT(*) FROM reservations"
for side in pg lite; do
  sql=${side}_sql
  printf '   %-5s reservations %s, listings out of balance %s, mail not yet sent %s\n' "$side" \
    "$($sql "$RESERVED")" "$($sql "$UNBALANCED")" "$($sql "$UNSENT")"
  [ "$($sql "$UNBALANCED")" = 0 ] || failed=1
done
# Every acknowledged reservation is there: a 2xx (here 303) is a promise.
ids_of() { sort -un "$WORK"/acknowledged.$1 2>/dev/null | paste -sd, -; }
pg_ids=$( (cat "$WORK"/acknowledged.pg1 "$WORK"/acknowledged.pg2 2>/dev/null || true) | sort -un | paste -sd, -)
lite_ids=$(ids_of lite)
missing_pg=0; missing_lite=0
[ -n "$pg_ids" ] && missing_pg=$(pg_sql "SELECT $(tr -cd ',' <<<"$pg_ids" | wc -c) + 1 - COUNT(*) FROM reservations WHERE id IN ($pg_ids)")
[ -n "$lite_ids" ] && missing_lite=$(lite_sql "SELECT $(tr -cd ',' <<<"$lite_ids" | wc -c) + 1 - COUNT(*) FROM reservations WHERE id IN ($lite_ids)")
echo "   acknowledged reservations missing: PostgreSQL $missing_pg, SQLite $missing_lite"
[ "$missing_pg" = 0 ] && [ "$missing_lite" = 0 ] || failed=1
photos=$(curl -sf "$BRUKA_BENCH_S3_URL/$BUCKET?list-type=2&max-keys=1000" | grep -o '<Key>' | wc -l)
echo "   photos in the shared bucket (first 1000 listed): $photos"
[ "$photos" -gt 0 ] || failed=1
duplicates=$( (cat "$WORK"/pg1/mail/*.eml "$WORK"/pg2/mail/*.eml 2>/dev/null || true) |
  (grep -i '^Message-ID:' || true) | sort | uniq -d | wc -l)
sent=$( (ls "$WORK"/pg1/mail/*.eml "$WORK"/pg2/mail/*.eml 2>/dev/null || true) | wc -l)
echo "   PostgreSQL mail files $sent, duplicated Message-IDs $duplicates"
[ "$duplicates" = 0 ] || failed=1
psql "$BRUKA_BENCH_POSTGRES_URL" -qc "DROP DATABASE $db WITH (FORCE)" 2>/dev/null || true
[ "$failed" = 0 ] && echo "== no 5xx, nothing lost, no duplicate mail" || { echo "== FAILED"; exit 1; }
