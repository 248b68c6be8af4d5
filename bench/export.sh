#!/usr/bin/env bash
# Ledger exports at scale. By hand: `bash bench/export.sh` (SQLite); with
# BRUKA_BENCH_POSTGRES_URL set, PostgreSQL is measured too. ROWS=1000000 by default.
#
# Seeds ROWS past handovers with `bruka demo --history`, signs in as the example admin and
# downloads the CSV, XLSX and JSON exports of all of them, then times the dashboard over
# the same rows. While each export streams, the server's resident memory is sampled: the
# goal is that it stays flat (exports are written batch by batch, never held whole), so the
# printed ratio "peak memory growth / file size" should be far below 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ROWS=${ROWS:-1000000}
cargo build --release --quiet
BRUKA=$PWD/target/release/bruka

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

run_backend() {
  local name=$1 url=$2 dir port base jar pid
  dir=$(mktemp -d /tmp/bruka-export.XXXXXX)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  export BRUKA_DATA_DIR=$dir BRUKA_BIND=127.0.0.1:$port BRUKA_LOG_FORMAT=json RUST_LOG=warn
  if [ -n "$url" ]; then export BRUKA_DATABASE_URL=$url; else unset BRUKA_DATABASE_URL; fi
  echo "== $name: seeding $ROWS ledger rows"
  local started=$SECONDS
  "$BRUKA" demo --items 200 --history "$ROWS" >/dev/null
  echo "   seeded in $((SECONDS - started)) s"
  "$BRUKA" serve >/dev/null 2>"$dir/serve.log" &
  pid=$!
  trap 'kill "${pid:-}" 2>/dev/null || true' RETURN
  for _ in $(seq 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
  jar=$dir/cookies
  sign_in "$base" "$dir" admin@exempelkommun.example "$jar"
  curl -s -b "$jar" -o /dev/null "$base/stats?from=2000-01-01&to=2000-01-02"
  local baseline
  baseline=$(rss_kb "$pid")
  printf '   server memory before exports: %d MB\n' $((baseline / 1024))

  for format in csv xlsx json; do
    local out=$dir/export.$format peak=$baseline sampler
    ( while kill -0 "$pid" 2>/dev/null; do rss_kb "$pid"; sleep 0.05; done ) >"$dir/rss.$format" &
    sampler=$!
    local t0 t1
    t0=$(date +%s.%N)
    curl -sf -b "$jar" -o "$out" "$base/stats/export.$format"
    t1=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
    peak=$(sort -n "$dir/rss.$format" | tail -1)
    local rows=""
    case $format in
      csv) rows=$(($(wc -l <"$out") - 1)) ;;
      json) rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$out") ;;
      xlsx) rows="(not counted)" ;;
    esac
    python3 - "$format" "$t0" "$t1" "$(stat -c %s "$out")" "$baseline" "$peak" "$rows" "$ROWS" <<'PY'
import sys
fmt, t0, t1, size, base, peak, rows, expected = sys.argv[1:]
seconds = float(t1) - float(t0)
size_mb = int(size) / 1e6
growth_mb = max(0, int(peak) - int(base)) / 1024
print(f"   {fmt:5} {seconds:6.1f} s  {int(expected) / seconds:9.0f} rows/s  file {size_mb:7.1f} MB  "
      f"server memory +{growth_mb:5.1f} MB  ratio {growth_mb / size_mb:.3f}  rows {rows}")
PY
    rm -f "$out"
  done
  local t0 t1
  t0=$(date +%s.%N)
  curl -sf -b "$jar" -o /dev/null "$base/stats"
  t1=$(date +%s.%N)
  python3 -c "print(f'   dashboard over all rows: {float(\"$t1\") - float(\"$t0\"):.1f} s')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

on_each_backend run_backend bruka_export
