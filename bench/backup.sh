#!/usr/bin/env bash
# Backup and restore speed: `pgfleet backup`/`restore --jobs 2` of four logical
# databases against a sequential pg_dump / pg_restore loop with the same
# options, on an embedded server pgfleet starts itself.
#
#   bash bench/backup.sh [ROWS_PER_DB]     default 1,000,000 rows (~250 MB) per database
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rows=${1:-1000000}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

work=$(mktemp -d /tmp/pgfleet-bench-backup-XXXXXX)
chmod 755 "$work"
trap '"$bin" -q -C "$work" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
dbs="a b c d"
{ printf '[servers.local]\nembedded = true\n'
  for d in $dbs; do printf '[databases.%s]\n' "$d"; done
  printf '[envs.dev]\ndatabase = "bk_{name}"\n'; } > "$work/pgfleet.toml"
"$bin" -q -C "$work" up
port=$("$bin" -C "$work" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
pgbin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
results_file backup

echo "== generating $rows rows in each of: $dbs"
for d in $dbs; do
    psql -qX -d "bk_$d" -c "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);
        INSERT INTO t SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 6) FROM generate_series(1, $rows) g;" &
done
wait
psql -qXAt -d postgres -c "SELECT 'total size: ' || pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database WHERE datname LIKE 'bk\_%'"

t0=$(now)
for d in $dbs; do "$pgbin/pg_dump" --format=custom --no-sync --file "$work/seq_$d.dump" "bk_$d"; done
t1=$(now)
"$bin" -q -C "$work" backup --out "$work/b" --jobs 2
t2=$(now)
record backup pg_dump-loop 1 "$(secs "$t0" "$t1")"
record backup pgfleet-jobs2 1 "$(secs "$t1" "$t2")"
echo "backup:  sequential pg_dump $(secs "$t0" "$t1") s   pgfleet --jobs 2 $(secs "$t1" "$t2") s   ratio $(awk -v a="$(secs "$t0" "$t1")" -v b="$(secs "$t1" "$t2")" 'BEGIN { printf "%.2f", b / a }')"

recreate() { for d in $dbs; do psql -qX -d postgres -c "DROP DATABASE bk_$d WITH (FORCE)" -c "CREATE DATABASE bk_$d"; done; }
recreate
t0=$(now)
for d in $dbs; do "$pgbin/pg_restore" --single-transaction --exit-on-error --no-owner --no-privileges -d "bk_$d" "$work/seq_$d.dump"; done
t1=$(now)
recreate
t2=$(now)
"$bin" -q -C "$work" restore "$work/b" --jobs 2
t3=$(now)
record restore pg_restore-loop 1 "$(secs "$t0" "$t1")"
record restore pgfleet-jobs2 1 "$(secs "$t2" "$t3")"
echo "restore: sequential pg_restore $(secs "$t0" "$t1") s   pgfleet --jobs 2 $(secs "$t2" "$t3") s   ratio $(awk -v a="$(secs "$t0" "$t1")" -v b="$(secs "$t2" "$t3")" 'BEGIN { printf "%.2f", b / a }')"
psql -qXAt -d bk_a -c "SELECT 'rows in bk_a.t after restore: ' || count(*) FROM t"
