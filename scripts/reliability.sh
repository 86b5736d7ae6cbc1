#!/usr/bin/env bash
# The reliability suite's long versions (README "Reliability"): the same
# tests CI runs, with PGFLEET_RELIABILITY_LONG=1 so they run many trials.
# Prints one table: trials, failures, inconsistencies and leaks per test.
#
# Everything runs under a temp folder of its own (TMPDIR), so it gets its own
# shared test cluster and leaks are counted there only: databases left on
# that cluster, PostgreSQL servers still running from it (besides the
# cluster, which this script stops at the end), pgfleet processes still
# running in it, and files left in it.
#
#   scripts/reliability.sh              long versions (about 10 minutes here)
#   PGFLEET_RELIABILITY_LONG=0 scripts/reliability.sh   the short ones, as CI
set -euo pipefail
cd "$(dirname "$0")/.."

export PGFLEET_RELIABILITY_LONG="${PGFLEET_RELIABILITY_LONG:-1}"
work=$(mktemp -d /tmp/pgfleet-reliability-XXXXXX)
chmod 755 "$work"
log="$work.log"
export TMPDIR="$work"

cargo build --quiet --tests
started=$(date +%s)
status=0
# The concurrency, crash, server-fault, corpus and backup crash tests; two at a time.
cargo test --quiet --test it -- --nocapture --test-threads=2 \
    concurrent_migrates crashes:: server_faults:: corpus:: backup::crash_ backup::six_concurrent backup::a_backup_onto >"$log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - started ))

key=$(printf '%s' "$PWD" | sha256sum | cut -c1-12)
cluster="$work/pgfleet-it-cluster-$key"
port=$(cat "$cluster/.pgfleet/it/port" 2>/dev/null || echo "")
leftover_dbs=0
if [ -n "$port" ]; then
    leftover_dbs=$(psql -XAtq -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'it\_%'" 2>/dev/null || echo "?")
    target/debug/pgfleet -q -C "$cluster" server stop >/dev/null 2>&1 || true
fi
# Servers and pgfleet processes still running from the work folder.
leftover_servers=0
leftover_procs=0
for p in /proc/[0-9]*; do
    cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null || true)
    cwd=$(readlink "$p/cwd" 2>/dev/null || true)
    case "$cmd" in
        *postgres\ -D\ "$work"*|*bin/postgres\ -D\ "$work"*) leftover_servers=$((leftover_servers + 1)) ;;
    esac
    case "$cwd" in
        "$work"*) case "$cmd" in *pgfleet*) leftover_procs=$((leftover_procs + 1)) ;; esac ;;
    esac
done
leftover_files=$(find "$work" -mindepth 1 -maxdepth 1 ! -name "pgfleet-it-cluster-$key" | wc -l)
leaks=$((leftover_dbs + leftover_servers + leftover_procs + leftover_files))

echo
echo "reliability suite (PGFLEET_RELIABILITY_LONG=$PGFLEET_RELIABILITY_LONG), $elapsed s, $(date -u +%F)"
printf '%-22s %7s %9s %16s\n' test trials failures inconsistencies
grep -ho 'reliability: test=.*' "$log" | sed 's/reliability: //' | while read -r line; do
    eval "$line"
    # shellcheck disable=SC2154
    printf '%-22s %7s %9s %16s\n' "$test" "$trials" "$failures" "$inconsistencies"
done
printf 'leaks: %s (databases %s, servers %s, pgfleet processes %s, temp files %s)\n' \
    "$leaks" "$leftover_dbs" "$leftover_servers" "$leftover_procs" "$leftover_files"
grep -ho '[a-z_]*: PGFLEET_RELIABILITY_SEED=.*\|crash: .* interrupted a no-transaction.*\|crash_[a-z]*: [0-9].*\|corpus: the 50 MB migration took.*' "$log" | sed 's/^/  /' || true
if [ "$status" -ne 0 ]; then
    echo "cargo test failed (exit $status); full output in $log"
    grep -h -A30 '^failures:' "$log" | head -80 || true
fi
rm -rf "$work"
[ "$status" -eq 0 ] && [ "$leaks" -eq 0 ] && rm -f "$log"
exit $(( status != 0 || leaks != 0 ))
