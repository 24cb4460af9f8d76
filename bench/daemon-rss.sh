#!/usr/bin/env bash
# Issue #5's benchmark: steady-state RSS of `linewatch run` with one modem and one notifier at
# the default interval (30 s), against the simulated modem over SSH.
#   bench/daemon-rss.sh [SECONDS]   (default 300: ten readings)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
cargo build --release -p linewatch --quiet
bin=target/release/linewatch
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" sim modem --ssh "127.0.0.1:$port" --state-dir "$work/sim" > "$work/sim.log" 2>&1 &
sleep 1
echo -n admin > "$work/password"
cat > "$work/linewatch.toml" <<CONF
[[modem]]
name = "home"
driver = "broadcom"
host = "127.0.0.1"
port = $port
user = "admin"
password_file = "$work/password"

[[notifier]]
kind = "console"
CONF
"$bin" --config "$work/linewatch.toml" --data-dir "$work/data" run > "$work/run.log" 2>&1 &
pid=$!
sleep "$seconds"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf 'linewatch run, one modem (SSH, every 30 s) and one notifier, after %ss:\n' "$seconds"
awk -v rss="$rss" -v hwm="$hwm" 'BEGIN { printf "  RSS now  %6.1f MiB\n  RSS peak %6.1f MiB   (target <= 20 MiB; the old bot: ~70 MB per Python process)\n", rss / 1024, hwm / 1024 }'
kill "$pid"
wait "$pid" 2>/dev/null || true
