#!/usr/bin/env bash
# Benchmark (b) of issue #4, size half: one simulated year of 30-second readings of one line
# (all metrics) into linewatch's store with the default retention, and the same readings into
# an RRD made by Debian's rrdtool with the same retention (raw 14 days, 5-minute min/avg/max
# for a year, hourly min/avg/max for 10 years). Prints both sizes, the ratio (target: at
# most 0.5) and, on the side, both ingest rates.
#
# Usage: bench/store-vs-rrd.sh [OUT_DIR]   (needs rrdtool: apt-get install -y rrdtool)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rrdtool >/dev/null; then
    echo "rrdtool is not installed: apt-get install -y rrdtool" >&2
    exit 1
fi
out=${1:-$(mktemp -d)}
mkdir -p "$out"
rm -f "$out/year.rrd"

echo "== linewatch store: one simulated year"
cargo bench -q -p linewatch --bench store_year -- "$out" | tee "$out/store.txt"

echo "== rrdtool: the same readings"
mapfile -t create_args < "$out/rrd-create.args"
rrdtool create "$out/year.rrd" "${create_args[@]}"
sources=$(grep -c '^DS:' "$out/rrd-create.args")
updates=$(grep -o ' [0-9]*:' "$out/rrd-updates.txt" | wc -l)
started=$(date +%s.%N)
rrdtool - < "$out/rrd-updates.txt" > "$out/rrdtool.log"
ended=$(date +%s.%N)
if grep -q '^ERROR' "$out/rrdtool.log"; then
    grep -m3 '^ERROR' "$out/rrdtool.log" >&2
    exit 1
fi
awk -v s="$started" -v e="$ended" -v n="$updates" -v ds="$sources" \
    'BEGIN { printf "rrd: %d data sources, %d updates, ingest %.2f s = %.0f values/s\n", ds, n, e - s, n * ds / (e - s) }'

wal=0
[ -f "$out/linewatch.db-wal" ] && wal=$(stat -c %s "$out/linewatch.db-wal")
store_bytes=$(( $(stat -c %s "$out/linewatch.db") + wal ))
rrd_bytes=$(stat -c %s "$out/year.rrd")
echo "== size after one year"
awk -v a="$store_bytes" -v b="$rrd_bytes" 'BEGIN {
    printf "store %.1f MB, rrd %.1f MB, store/rrd = %.3f (target <= 0.5)\n", a / 1e6, b / 1e6, a / b
    exit (a / b <= 0.5 ? 0 : 1)
}'
