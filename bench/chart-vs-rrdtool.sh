#!/usr/bin/env bash
# Benchmark (b) of issue #4, chart half: the time to render a 30-day chart PNG, as whole
# commands, by `linewatch chart` from the store and by `rrdtool graph` from an RRD holding the
# same simulated year (both written by bench/store-vs-rrd.sh). The same chart on both sides:
# SNR margin down and up, 1000×400, 5-minute average lines with their min/max band.
# Prints both times and the ratio (target: linewatch/rrdtool <= 1).
#
# Usage: bench/chart-vs-rrdtool.sh [OUT_DIR]
#   OUT_DIR holding linewatch.db and year.rrd from bench/store-vs-rrd.sh is reused; without
#   them the year is simulated first. Needs rrdtool and hyperfine (apt-get install -y rrdtool
#   hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in rrdtool hyperfine; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is not installed: apt-get install -y $tool" >&2
        exit 1
    fi
done
out=${1:-$(mktemp -d)}
mkdir -p "$out"
if [ ! -f "$out/linewatch.db" ] || [ ! -f "$out/year.rrd" ]; then
    # It fails when the store misses its size target; the data is written all the same.
    bench/store-vs-rrd.sh "$out" || true
fi

echo "== building linewatch (optimised, as cargo bench does)"
cargo build -q --profile bench -p linewatch --bin linewatch
# A copy: other checkouts sharing the target directory may build over it meanwhile.
linewatch=$out/linewatch
cp "${CARGO_TARGET_DIR:-target}/release/linewatch" "$linewatch"

# The last 30 days of the simulated year; the target is the simulation's ("line").
metric=dsl_signal_to_noise_margin_db
until=$(rrdtool last "$out/year.rrd")
since=$((until - 30 * 86400))
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
source_of() { awk -v key="$metric{direction=\"$1\"}" '$2 == key { print $1 }' "$out/rrd-series.txt"; }
down=$(source_of down)
up=$(source_of up)
if [ -z "$down" ] || [ -z "$up" ]; then
    echo "no $metric down/up in $out/rrd-series.txt" >&2
    exit 1
fi

linewatch_cmd="$linewatch --data-dir $out chart line $metric --since $(rfc3339 "$since") --until $(rfc3339 "$until") --out $out/linewatch-30d.png"
rrd=$out/year.rrd
band() { # the min/max band of one direction, then its average line
    echo "DEF:$1min=$rrd:$2:MIN DEF:$1max=$rrd:$2:MAX DEF:$1=$rrd:$2:AVERAGE CDEF:$1spread=$1max,$1min,- \
        AREA:$1min AREA:$1spread$3:STACK"
}
rrdtool_cmd="rrdtool graph $out/rrdtool-30d.png --start $since --end $until --width 1000 --height 400 --full-size-mode \
    --title 'SNR margin · line' --vertical-label dB --color BACK#2b2d31 --color CANVAS#2b2d31 --color FONT#dbdee1 \
    $(band down "$down" '#00a8fc48') $(band up "$up" '#f0b23248') LINE2:down#00a8fc:down LINE2:up#f0b232:up"
# AREA:…min with no colour draws nothing: it is the base the spread is stacked on.

echo "== 30-day chart, whole commands"
hyperfine --warmup 3 --min-runs 20 --export-csv "$out/chart-times.csv" -n linewatch "$linewatch_cmd" -n rrdtool "$rrdtool_cmd"
awk -F, '$1 == "linewatch" { a = $2 } $1 == "rrdtool" { b = $2 } END {
    printf "linewatch chart %.1f ms, rrdtool graph %.1f ms, linewatch/rrdtool = %.2f (target <= 1)\n", a * 1000, b * 1000, a / b
    exit (a <= b ? 0 : 1)
}' "$out/chart-times.csv"
echo "charts: $out/linewatch-30d.png $out/rrdtool-30d.png"
