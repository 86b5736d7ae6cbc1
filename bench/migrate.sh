#!/usr/bin/env bash
# Migration speed: pgfleet against the psql floor (the same files in one
# session, BEGIN/COMMIT around each), and against sqlx-cli and dbmate when they
# are on PATH. Everything runs on an embedded server pgfleet starts itself.
#
#   bash bench/migrate.sh [RUNS]
#
# Needs python3 and ../shared/peer-bench/gen_migrations.py beside the checkout
# (or PEER_BENCH=DIR). Prints medians in seconds and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
peer=${PEER_BENCH:-$PWD/../shared/peer-bench}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

work=$(mktemp -d /tmp/pgfleet-bench-migrate-XXXXXX)
chmod 755 "$work"
trap '"$bin" -q -C "$work/server" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

python3 "$peer/gen_migrations.py" --n 500 --out "$work/m500" >/dev/null
python3 "$peer/gen_migrations.py" --n 2000 --out "$work/m2000" >/dev/null
python3 "$peer/gen_migrations.py" --n 100 --out "$work/m100" >/dev/null

mkdir -p "$work/server"
printf '[servers.local]\nembedded = true\n' > "$work/server/pgfleet.toml"
"$bin" -q -C "$work/server" server start
port=$("$bin" -C "$work/server" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
url="postgresql://postgres@127.0.0.1:$port"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres

fresh() { for db in "$@"; do psql -qX -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1; done; }
now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# time_runs NAME PREPARE COMMAND: median wall time of RUNS runs, PREPARE before each.
time_runs() {
    local prepare=$1 command=$2 t0 t1
    for _ in $(seq "$runs"); do
        eval "$prepare"
        t0=$(now); eval "$command" >/dev/null 2>&1; t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
    done | median
}

# paired PREPARE A B: runs A and B alternately RUNS times, each after PREPARE,
# and prints "median_A median_B median(B/A)". Disk sync times here vary by 2x
# from minute to minute; pairing neighbours keeps the ratio honest.
paired() {
    local prepare=$1 a=$2 b=$3 t0 t1 t2 t3
    for _ in $(seq "$runs"); do
        eval "$prepare"; t0=$(now); eval "$a" >/dev/null 2>&1; t1=$(now)
        eval "$prepare"; t2=$(now); eval "$b" >/dev/null 2>&1; t3=$(now)
        awk -v a0="$t0" -v a1="$t1" -v b0="$t2" -v b1="$t3" 'BEGIN { print a1 - a0, b1 - b0, (b1 - b0) / (a1 - a0) }'
    done > "$work/pairs"
    printf '%s %s %s\n' "$(cut -d' ' -f1 "$work/pairs" | median)" "$(cut -d' ' -f2 "$work/pairs" | median)" "$(cut -d' ' -f3 "$work/pairs" | median)"
}

workspace() { # workspace DIR MIGRATIONS DB...
    local dir=$1 migrations=$2; shift 2
    mkdir -p "$dir"
    { printf '[servers.pg]\nurl = "%s/postgres"\n' "$url"
      for db in "$@"; do printf '[databases.%s]\nmigrations = "%s"\n' "$db" "$migrations"; done
      printf '[envs.bench]\ndatabase = "bench_{name}"\n'; } > "$dir/pgfleet.toml"
}

echo "== 500 migrations into one database"
workspace "$work/ws500" "$work/m500/sqlx/migrations" one
read -r floor ours r500 < <(paired 'fresh bench_one' \
    "psql -qX -v ON_ERROR_STOP=1 -d bench_one -f $work/m500/psql/all_txeach.sql" "$bin -q -C $work/ws500 migrate")
echo "psql floor (tx per migration, one session): $floor s"
echo "pgfleet migrate:                            $ours s   ratio $r500 (median of paired runs)"
if command -v sqlx >/dev/null; then
    t=$(time_runs 'fresh bench_one' "sqlx migrate run --source $work/m500/sqlx/migrations --database-url $url/bench_one")
    echo "sqlx-cli:                                   $t s   ratio $(ratio "$t" "$floor")"
fi
if command -v dbmate >/dev/null; then
    t=$(time_runs 'fresh bench_one' "dbmate --no-dump-schema --url $url/bench_one?sslmode=disable --migrations-dir $work/m500/dbmate/db/migrations up")
    echo "dbmate:                                     $t s   ratio $(ratio "$t" "$floor")"
fi
noop=$(time_runs ':' "$bin -q -C $work/ws500 migrate")
echo "pgfleet no-op migrate (500 applied):        $noop s"

echo "== 2000 migrations into one database"
workspace "$work/ws2000" "$work/m2000/sqlx/migrations" one
read -r floor2 ours2 r2000 < <(paired 'fresh bench_one' \
    "psql -qX -v ON_ERROR_STOP=1 -d bench_one -f $work/m2000/psql/all_txeach.sql" "$bin -q -C $work/ws2000 migrate")
echo "psql floor: $floor2 s   pgfleet: $ours2 s   ratio $r2000 (median of paired runs)"
echo "growth 500 -> 2000 (x4 files): psql x$(ratio "$floor2" "$floor"), pgfleet x$(ratio "$ours2" "$ours")"

echo "== 9 databases x 100 migrations"
dbs="a b c d e f g h i"
workspace "$work/ws9" "$work/m100/sqlx/migrations" $dbs
all=$(for d in $dbs; do printf 'bench_%s ' "$d"; done)
seq_psql="for d in $dbs; do psql -qX -v ON_ERROR_STOP=1 -d bench_\$d -f $work/m100/psql/all_txeach.sql; done"
read -r floor9 ours9 r9 < <(paired "fresh $all" "$seq_psql" "$bin -q -C $work/ws9 migrate --jobs 2")
echo "sequential psql loop: $floor9 s   pgfleet --jobs 2: $ours9 s   ratio $r9 (median of paired runs)"
runs=10 noop9=$(time_runs ':' "$bin -q -C $work/ws9 migrate")
echo "no-op migrate on the 9-database fleet: $noop9 s"
