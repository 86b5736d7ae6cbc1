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
bin=$PWD/target/release/pgfleet

ws=$(mktemp -d /tmp/pgfleet-bench-XXXXXX)
chmod 755 "$ws"
cp -r examples/shop/. "$ws/"
rm -rf "$ws/.pgfleet"
trap '"$bin" -q -C "$ws" server stop >/dev/null 2>&1 || true; rm -rf "$ws"' EXIT

now() { date +%s%N; }
ms() { echo "scale=2; ($2 - $1) / 1000000" | bc; }

t0=$(now); "$bin" -q -C "$ws" up; t1=$(now)
echo "first up (initdb + start + create 4 databases): $(ms "$t0" "$t1") ms"

t0=$(now)
for _ in $(seq "$runs"); do "$bin" -q -C "$ws" up; done
t1=$(now)
noop=$(echo "scale=2; ($t1 - $t0) / 1000000 / $runs" | bc)
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
floor=$(echo "scale=2; ($t1 - $t0) / 1000000 / $runs" | bc)
echo "psql checking the 4 databases, mean of $runs: $floor ms"
echo "ratio no-op up / psql loop: $(echo "scale=2; $noop / $floor" | bc)"
