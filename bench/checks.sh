#!/usr/bin/env bash
# `verify` of one cross-database reference over N rows (wall time, peak
# memory) and `drift` on a 300-table schema, on an embedded server pgfleet
# starts itself.
#
#   bash bench/checks.sh [ROWS]     default 10,000,000
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rows=${1:-10000000}
tables=300
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

work=$(mktemp -d /tmp/pgfleet-bench-checks-XXXXXX)
chmod 755 "$work"
trap '"$bin" -q -C "$work" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/auth" "$work/app" "$work/wide"
echo "CREATE TABLE users (id bigint PRIMARY KEY);" > "$work/auth/0001_users.sql"
echo "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);" > "$work/app/0001_orders.sql"
for i in $(seq -w 1 "$tables"); do
    cat > "$work/wide/${i}_t$i.sql" <<SQL
CREATE TABLE t$i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL DEFAULT '', ref bigint, created_at timestamptz NOT NULL DEFAULT now(), CHECK (name <> 'x'));
CREATE INDEX t${i}_name_idx ON t$i (name);
COMMENT ON TABLE t$i IS 'table $i';
SQL
done
cat > "$work/pgfleet.toml" <<TOML
[servers.local]
embedded = true
[databases.auth]
migrations = "auth"
[databases.app]
migrations = "app"
depends_on = ["auth"]
[[databases.app.references]]
from = "orders.user_id"
to = "auth.users.id"
[databases.wide]
migrations = "wide"
[envs.dev]
database = "chk_{name}"
TOML
"$bin" -q -C "$work" up
port=$("$bin" -C "$work" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres

echo "== filling $rows users and $rows orders (5 orphans)"
psql -qX -d chk_auth -c "INSERT INTO users SELECT g FROM generate_series(1, $rows) g" &
psql -qX -d chk_app -c "INSERT INTO orders SELECT g, CASE WHEN g % ($rows / 5) = 0 THEN $rows + g ELSE g END FROM generate_series(1, $rows) g" &
wait

results_file checks
# timed_once CASE COMMAND...: one run's wall time and peak memory, shown and recorded.
timed_once() {
    local case=$1 out; shift
    out=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null 2>&1 || true; } 2>&1 | tail -1)
    record "$case" pgfleet 1 "${out% *}"
    echo "    peak RSS ${out#* } KiB"
}
echo "== verify (one reference over $rows rows)"
timed_once verify "$bin" -q -C "$work" verify app
echo "== drift ($tables tables)"
timed_once drift "$bin" -q -C "$work" drift wide
timed_once schema-dump "$bin" -q -C "$work" schema dump wide
