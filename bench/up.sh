#!/usr/bin/env bash
# Measures `pgfleet up` on the example workspace: the first run (initdb, start,
# create four databases) and the no-op re-run, against the floor a shell script
# would have: psql checking the same four databases exist. Prints every run and
# the medians; the raw figures go to bench/results/.
#
#   bash bench/up.sh [RUNS]      (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-20}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

ws=$(mktemp -d /tmp/pgfleet-bench-XXXXXX)
chmod 755 "$ws"
cp -r examples/shop/. "$ws/"
rm -rf "$ws/.pgfleet"
trap '"$bin" -q -C "$ws" server stop >/dev/null 2>&1 || true; rm -rf "$ws"' EXIT
results_file up

t0=$(now); "$bin" -q -C "$ws" up; t1=$(now)
first=$(elapsed "$t0" "$t1")
record first-up pgfleet 1 "$first"
echo "first up (initdb + start + create 4 databases): $first s"

timed noop-up pgfleet ':' "$bin -q -C $ws up"
noop=$MEDIAN
echo "no-op up, median of $runs: $noop s"

port=$("$bin" -C "$ws" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
check="for db in auth billing catalog notifications; do psql -h 127.0.0.1 -p $port -U postgres -d postgres -Atqc \"SELECT 1 FROM pg_database WHERE datname = 'shop_\$db'\"; done"
timed noop-up psql-4-checks ':' "$check"
floor=$MEDIAN
echo "psql checking the 4 databases, median of $runs: $floor s"
echo "ratio no-op up / psql loop: $(ratio "$noop" "$floor")"
