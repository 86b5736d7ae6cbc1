#!/usr/bin/env bash
# Migration speed: pgfleet against the psql floor (the same files in one
# session, BEGIN/COMMIT around each), and against sqlx-cli and dbmate. Everything
# runs on an embedded server pgfleet starts itself.
#
#   bash bench/migrate.sh [RUNS] [--install-peers]
#
# Needs python3 (bench/gen_migrations.py writes the migrations). The peers are taken
# from PATH, else from the cache folder the CI script fills (~/.cache/pgfleet-ci);
# `--install-peers` installs the missing ones there first (dbmate from npm, sqlx-cli
# with cargo: a few minutes). Prints every run, the medians and the ratios; the raw
# figures go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=3
install=false
for arg in "$@"; do
    case $arg in
        --install-peers) install=true ;;
        *) runs=$arg ;;
    esac
done
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pgfleet-ci"
if $install; then
    if ! command -v dbmate >/dev/null && [ ! -x "$cache/dbmate/node_modules/.bin/dbmate" ]; then
        mkdir -p "$cache/dbmate"
        (cd "$cache/dbmate" && npm install --no-audit --no-fund --loglevel=error dbmate@2.36.0)
    fi
    if ! command -v sqlx >/dev/null && [ ! -x "$cache/cargo/bin/sqlx" ]; then
        cargo install --quiet --locked --root "$cache/cargo" sqlx-cli --version 0.9.0 \
            --no-default-features --features postgres,rustls,sqlx-toml
    fi
fi
export PATH="$PATH:$cache/cargo/bin:$cache/dbmate/node_modules/.bin"

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet

work=$(mktemp -d /tmp/pgfleet-bench-migrate-XXXXXX)
chmod 755 "$work"
trap '"$bin" -q -C "$work/server" server stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

for n in 100 500 2000; do python3 bench/gen_migrations.py --n "$n" --out "$work/m$n" >/dev/null; done

mkdir -p "$work/server"
printf '[servers.local]\nembedded = true\n' > "$work/server/pgfleet.toml"
"$bin" -q -C "$work/server" server start
port=$("$bin" -C "$work/server" server status --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p' | head -1)
url="postgresql://postgres@127.0.0.1:$port"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
results_file migrate

fresh() { for db in "$@"; do psql -qX -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1; done; }

workspace() { # workspace DIR MIGRATIONS DB...
    local dir=$1 migrations=$2; shift 2
    mkdir -p "$dir"
    { printf '[servers.pg]\nurl = "%s/postgres"\n' "$url"
      for db in "$@"; do printf '[databases.%s]\nmigrations = "%s"\n' "$db" "$migrations"; done
      printf '[envs.bench]\ndatabase = "bench_{name}"\n'; } > "$dir/pgfleet.toml"
}

echo "== 500 migrations into one database"
workspace "$work/ws500" "$work/m500/sqlx/migrations" one
paired m500 psql pgfleet 'fresh bench_one' \
    "psql -qX -v ON_ERROR_STOP=1 -d bench_one -f $work/m500/psql/all_txeach.sql" "$bin -q -C $work/ws500 migrate"
floor=$MEDIAN_A ours=$MEDIAN_B r500=$RATIO
echo "psql floor (tx per migration, one session): $floor s"
echo "pgfleet migrate:                            $ours s   ratio $r500 (median of paired runs)"
if command -v sqlx >/dev/null; then
    timed m500 sqlx-cli 'fresh bench_one' "sqlx migrate run --source $work/m500/sqlx/migrations --database-url $url/bench_one"
    t=$MEDIAN
    echo "sqlx-cli:                                   $t s   ratio $(ratio "$t" "$floor")"
fi
if command -v dbmate >/dev/null; then
    timed m500 dbmate 'fresh bench_one' "dbmate --no-dump-schema --url $url/bench_one?sslmode=disable --migrations-dir $work/m500/dbmate/db/migrations up"
    t=$MEDIAN
    echo "dbmate:                                     $t s   ratio $(ratio "$t" "$floor")"
fi
fresh bench_one
"$bin" -q -C "$work/ws500" migrate
timed m500-noop pgfleet ':' "$bin -q -C $work/ws500 migrate"
noop=$MEDIAN
echo "pgfleet no-op migrate (500 applied):        $noop s"

echo "== 2000 migrations into one database"
workspace "$work/ws2000" "$work/m2000/sqlx/migrations" one
paired m2000 psql pgfleet 'fresh bench_one' \
    "psql -qX -v ON_ERROR_STOP=1 -d bench_one -f $work/m2000/psql/all_txeach.sql" "$bin -q -C $work/ws2000 migrate"
floor2=$MEDIAN_A ours2=$MEDIAN_B r2000=$RATIO
echo "psql floor: $floor2 s   pgfleet: $ours2 s   ratio $r2000 (median of paired runs)"
echo "growth 500 -> 2000 (x4 files): psql x$(ratio "$floor2" "$floor"), pgfleet x$(ratio "$ours2" "$ours")"

echo "== 9 databases x 100 migrations"
dbs="a b c d e f g h i"
workspace "$work/ws9" "$work/m100/sqlx/migrations" $dbs
all=$(for d in $dbs; do printf 'bench_%s ' "$d"; done)
seq_psql="for d in $dbs; do psql -qX -v ON_ERROR_STOP=1 -d bench_\$d -f $work/m100/psql/all_txeach.sql; done"
paired 9x100 psql-loop pgfleet-jobs2 "fresh $all" "$seq_psql" "$bin -q -C $work/ws9 migrate --jobs 2"
floor9=$MEDIAN_A ours9=$MEDIAN_B r9=$RATIO
echo "sequential psql loop: $floor9 s   pgfleet --jobs 2: $ours9 s   ratio $r9 (median of paired runs)"
runs=10 timed 9x100-noop pgfleet ':' "$bin -q -C $work/ws9 migrate"
noop9=$MEDIAN
echo "no-op migrate on the 9-database fleet: $noop9 s"
