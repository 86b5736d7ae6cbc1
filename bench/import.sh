#!/usr/bin/env bash
# `import sqlite` against pgloader and against the floor (psql `\copy` of the
# same rows from CSV into bare tables, then the keys and foreign keys), on an
# embedded server pgfleet starts itself. One run prints every figure.
#
#   bash bench/import.sh [ROWS] [--big]
#
# ROWS (default 1,000,000) are split 10% / 30% / 60% over three tables linked
# by foreign keys, with integers, text, REALs, BLOBs and NULLs. --big also
# imports 10x ROWS once, for peak memory at two sizes. pgloader is used when
# it is installed (`apt-get install pgloader`); it is never needed by CI.
# The floor and pgfleet run three rounds, interleaved, best time each;
# pgloader once (it is the slow one).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rows=1000000
big=0
rounds=3
for arg in "$@"; do
    case $arg in
        --big) big=1 ;;
        *) rows=$arg ;;
    esac
done
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

work=$(mktemp -d /tmp/pgfleet-bench-import-XXXXXX)
chmod 755 "$work"
trap '"$bin" -q -C "$work" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/imp"

constraints="ALTER TABLE users ADD PRIMARY KEY (id);
ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE items ADD PRIMARY KEY (id);
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders (id);"
tables="CREATE TABLE users (id bigint NOT NULL, name text NOT NULL, score double precision, avatar bytea, note text);
CREATE TABLE orders (id bigint NOT NULL, user_id bigint NOT NULL, total double precision, memo text, payload bytea);
CREATE TABLE items (id bigint NOT NULL, order_id bigint NOT NULL, qty bigint, price double precision, label text);"
printf '%s\n%s\n' "$tables" "$constraints" > "$work/imp/0001_tables.sql"
cat > "$work/pgfleet.toml" <<TOML
[servers.local]
embedded = true
[databases.imp]
migrations = "imp"
[databases.created]
[envs.dev]
database = "bench_{name}"
TOML
"$bin" -q -C "$work" server start
port=$("$bin" -C "$work" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres

make_sqlite() { # FILE ROWS
    local u=$(($2 / 10)) o=$(($2 * 3 / 10)) i=$(($2 - $2 / 10 - $2 * 3 / 10))
    sqlite3 "$1" <<SQL
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, avatar BLOB, note TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total REAL, memo TEXT, payload BLOB);
CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id), qty INTEGER, price REAL, label TEXT);
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $u)
INSERT INTO users SELECT k, 'user ' || k, k * 1.37 / 7.0, randomblob(16),
    CASE WHEN k % 3 = 0 THEN NULL ELSE 'note ' || hex(randomblob(8)) END FROM n;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $o)
INSERT INTO orders SELECT k, 1 + k % $u, k / 3.0, CASE WHEN k % 5 = 0 THEN NULL ELSE 'memo ' || k END,
    CASE WHEN k % 2 = 0 THEN NULL ELSE randomblob(24) END FROM n;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $i)
INSERT INTO items SELECT k, 1 + k % $o, k % 17, CASE WHEN k % 7 = 0 THEN NULL ELSE k * 0.01 END,
    'item ' || (k % 1000) FROM n;
SQL
}

recreate() { # DB
    psql -qX -d postgres -c "SET client_min_messages TO warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

seconds() { # COMMAND...: prints wall seconds of COMMAND
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

echo "== making $rows rows in SQLite"
make_sqlite "$work/src.db" "$rows"
ls -l "$work/src.db" | awk '{printf "   %.0f MiB\n", $5 / 1048576}'

echo "== CSV export for the floor (not timed)"
for t in users orders items; do
    case $t in
        users) cols="id, name, printf('%!.17g', score), CASE WHEN avatar IS NULL THEN NULL ELSE '\\x' || hex(avatar) END, note" ;;
        orders) cols="id, user_id, printf('%!.17g', total), memo, CASE WHEN payload IS NULL THEN NULL ELSE '\\x' || hex(payload) END" ;;
        items) cols="id, order_id, qty, CASE WHEN price IS NULL THEN NULL ELSE printf('%!.17g', price) END, label" ;;
    esac
    sqlite3 -csv "$work/src.db" "SELECT $cols FROM $t" > "$work/$t.csv"
done
cat > "$work/floor.sql" <<SQL
$tables
\\copy users FROM '$work/users.csv' CSV
\\copy orders FROM '$work/orders.csv' CSV
\\copy items FROM '$work/items.csv' CSV
$constraints
SQL

# This machine is shared and its load swings: the floor and pgfleet run
# interleaved, $rounds rounds, and the best time of each counts.
best() { # CURRENT NEW: the smaller
    if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
results_file import
floor="" ours="" created=""
for round in $(seq 1 "$rounds"); do
    echo "== round $round: floor (psql \\copy into bare tables, then keys), pgfleet into the migrated tables, pgfleet --create-tables"
    recreate bench_floor
    t=$(seconds psql -qX -v ON_ERROR_STOP=1 -d bench_floor -1 -f "$work/floor.sql")
    record import psql-copy "$round" "$t"
    floor=$(best "$floor" "$t")
    recreate bench_imp
    "$bin" -q -C "$work" migrate imp
    t=$(seconds "$bin" -q -C "$work" import sqlite "$work/src.db" --into imp)
    record import pgfleet "$round" "$t"
    ours=$(best "$ours" "$t")
    recreate bench_created
    /usr/bin/time -f "%e %M" -o "$work/created.time" \
        "$bin" -q -C "$work" import sqlite "$work/src.db" --into created --create-tables
    read -r t rss_1m < "$work/created.time"
    record import pgfleet-create-tables "$round" "$t"
    created=$(best "$created" "$t")
done

loader=""
if command -v pgloader > /dev/null; then
    echo "== pgloader (creates tables, keys, foreign keys)"
    recreate bench_pgloader
    loader=$(seconds pgloader --quiet "sqlite://$work/src.db" \
        "postgresql://postgres@127.0.0.1:$port/bench_pgloader")
    record import pgloader 1 "$loader"
else
    echo "   pgloader not installed: skipped"
fi

rate() { echo "$rows / $1" | bc -l | awk '{printf "%.2f M rows/s", $1 / 1e6}'; }
echo
printf '%-44s %8.2f s  %s\n' "floor (psql \\copy + keys)" "$floor" "$(rate "$floor")"
printf '%-44s %8.2f s  %s\n' "pgfleet import (into migrated tables)" "$ours" "$(rate "$ours")"
printf '%-44s %8.2f s  %s\n' "pgfleet import --create-tables" "$created" "$(rate "$created")"
[ -n "$loader" ] && printf '%-44s %8.2f s  %s\n' "pgloader" "$loader" "$(rate "$loader")"
echo
ratio() { echo "$1 / $2" | bc -l | awk '{printf "%.2fx", $1}'; }
echo "pgfleet vs floor:    migrated tables $(ratio "$floor" "$ours"), --create-tables $(ratio "$floor" "$created")  (goal >= 0.8x)"
[ -n "$loader" ] && echo "pgfleet vs pgloader: migrated tables $(ratio "$loader" "$ours"), --create-tables $(ratio "$loader" "$created")  (goal >= 2.5x)"
if [ -n "$loader" ]; then
    echo "pgloader's column types (REAL should stay double precision, NOT NULL kept):"
    psql -qXAt -d bench_pgloader -c "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
        FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position" | sed 's/^/   /'
fi
echo "peak RSS, $rows rows: $rss_1m KiB"

if [ "$big" = 1 ]; then
    bigrows=$((rows * 10))
    echo "== peak memory at $bigrows rows (--create-tables)"
    rm -f "$work"/*.csv
    make_sqlite "$work/big.db" "$bigrows"
    recreate bench_created
    /usr/bin/time -f "%e %M" -o "$work/big.time" \
        "$bin" -q -C "$work" import sqlite "$work/big.db" --into created --create-tables
    read -r big_s rss_10m < "$work/big.time"
    printf 'peak RSS, %s rows: %s KiB (%.2f s, %s)\n' "$bigrows" "$rss_10m" "$big_s" \
        "$(echo "$bigrows / $big_s" | bc -l | awk '{printf "%.2f M rows/s", $1 / 1e6}')"
    echo "RSS ratio 10x rows / 1x rows: $(ratio "$rss_10m" "$rss_1m")  (goal: within 10%)"
fi
