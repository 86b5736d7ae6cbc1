#!/usr/bin/env bash
# Measures `pgfleet init` and `pgfleet verify --offline` on a generated monorepo:
# 200 services, each with 50 source files, a db/migrations folder of 20 SQL files
# and a .env holding its DATABASE_URL, beside a node_modules of 100,000 files
# that the walk must skip. Prints the mean wall time and peak memory of each.
#
#   bash bench/init.sh [RUNS] [debug|release]   (builds the binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-5}
profile=${2:-debug}
if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
bin=${CARGO_TARGET_DIR:-$PWD/target}/$profile/pgfleet

ws=$(mktemp -d /tmp/pgfleet-bench-init-XXXXXX)
trap 'rm -rf "$ws"' EXIT
python3 - "$ws" <<'PY'
import os, sys
root = sys.argv[1]
for s in range(200):
    base = f"{root}/services/svc{s:03d}"
    os.makedirs(f"{base}/src/lib")
    for i in range(50):
        open(f"{base}/src/lib/f{i}.ts", "w").write("export const x = 1;\n")
    os.makedirs(f"{base}/db/migrations")
    for i in range(20):
        open(f"{base}/db/migrations/{i + 1:04d}_m{i}.sql", "w").write(f"CREATE TABLE t{i} (id int);\n")
    open(f"{base}/.env", "w").write(f"DATABASE_URL=postgres://svc:pw@localhost:5432/svc{s:03d}\n")
for p in range(2000):
    d = f"{root}/node_modules/pkg{p}/lib"
    os.makedirs(d)
    for i in range(50):
        open(f"{d}/f{i}.js", "w").write("x\n")
PY
echo "files: $(find "$ws" -type f | wc -l) ($profile build, $runs runs each)"
results_file init

measure() {
    local label=$1; shift
    local total=0 peak=0 out
    for run in $(seq "$runs"); do
        out=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null; } 2>&1 | tail -1)
        record init "$label" "$run" "${out% *}"
        total=$(awk -v t="$total" -v e="${out% *}" 'BEGIN { print t + e }')
        [ "${out#* }" -gt "$peak" ] && peak=${out#* }
    done
    echo "$label: $(awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.2f", t / n }') s mean, $peak KB peak RSS"
}
measure "init --force" "$bin" -q -C "$ws" init --force
echo "databases written: $(grep -c '^\[databases\.' "$ws/pgfleet.toml")"
measure "verify --offline" "$bin" -q -C "$ws" verify --offline
