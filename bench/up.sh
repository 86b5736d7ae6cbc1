#!/usr/bin/env bash
# Measures `pgfleet up` on the example workspace: the first run (initdb, start,
# create four databases) and the no-op re-run, against the floor a shell script
# would have: psql checking the same four databases exist.
#
#   bash bench/up.sh [RUNS]      (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

ws=$(mktemp -d /tmp/pgfleet-bench-XXXXXX)
chmod 755 "$ws"
cp -r examples/shop/. "$ws/"
rm -rf "$ws/.pgfleet"
trap '"$bin" -q -C "$ws" server stop >/dev/null 2>&1 || true; rm -rf "$ws"' EXIT

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }

t0=$(now); "$bin" -q -C "$ws" up; t1=$(now)
echo "first up (initdb + start + create 4 databases): $(ms "$t0" "$t1") ms"

t0=$(now)
for _ in $(seq "$runs"); do "$bin" -q -C "$ws" up; done
t1=$(now)
noop=$(awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }')
echo "no-op up, mean of $runs: $noop ms"

port=$("$bin" -C "$ws" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
t0=$(now)
for _ in $(seq "$runs"); do
    for db in auth billing catalog notifications; do
        psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc \
            "SELECT 1 FROM pg_database WHERE datname = 'shop_$db'" >/dev/null
    done
done
t1=$(now)
floor=$(awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }')
echo "psql checking the 4 databases, mean of $runs: $floor ms"
echo "ratio no-op up / psql loop: $(awk -v a="$noop" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
