#!/usr/bin/env bash
# Your own migration folder, applied two ways into two fresh databases on an
# existing server: by `pgfleet migrate`, and by psql running each up script
# (`psql -v ON_ERROR_STOP=1 -1 -f FILE`, in the tool's order). Then compares the
# two schemas with `pgfleet schema dump` and prints SAME or the diff, both times
# and their ratio. Both databases are dropped at the end.
#
#   bash bench/real-repos.sh FOLDER FORMAT
#
# FORMAT: native, dbmate, golang-migrate, prisma, flyway (sub-folders too, but those
# named after another engine), hasura, graphile-migrate, sqlx, diesel, pop and
# supabase (FOLDER is the project's `supabase/migrations`).
# The server is PGFLEET_BENCH_URL (default
# postgresql://postgres@127.0.0.1:5432/postgres); PGFLEET_BIN picks a binary instead
# of building the release one; PGFLEET_BENCH_EXTENSIONS="citext pgcrypto" declares
# extensions your migrations expect to exist (created in both databases);
# PGFLEET_BENCH_SETUP=FILE.sql runs a script in both databases first (for a Supabase
# project on plain PostgreSQL: tests/fixtures/supabase/platform-stub.sql, the schemas
# and roles a Supabase database has). Exit 0 when the schemas are the same, 3 when they
# differ, 1 when either run fails.
#
# psql's side runs a file without `-1` when it carries its format's no-transaction
# marker or holds what cannot run in a transaction (CONCURRENTLY, VACUUM, ALTER
# SYSTEM, CREATE DATABASE, its own BEGIN/COMMIT). Not handled on psql's side:
# Flyway `.conf` files and placeholders, graphile-migrate placeholders other than
# :DATABASE_NAME, Hasura `up.yaml` steps, pop `.fizz` files, goose/atlas/liquibase/
# sqitch/drizzle/node-pg-migrate layouts.
#
# Results (2026-12-02, server PostgreSQL 15 on 127.0.0.1:5432, 2 shared cores,
# release build; times vary 2x with load: compare ratios loosely):
#   folder                                            format           migrations  result  pgfleet  psql    ratio
#   examples/shop/services/auth/migrations (1)        native           2           SAME    0.06 s   0.12 s  0.50
#   examples/shop/services/billing/db/migrations      dbmate           1           SAME    0.13 s   0.08 s  1.62
#   examples/shop/services/catalog/prisma/migrations  prisma           1           SAME    0.04 s   0.06 s  0.67
#   examples/shop/services/notifications/migrations   golang-migrate   1           SAME    0.04 s   0.11 s  0.36
#   tests/fixtures/golang-migrate/atlas-sum           golang-migrate   4           SAME    0.08 s   0.34 s  0.24
#   tests/fixtures/hasura/app/migrations/default      hasura           240         SAME    0.56 s  11.80 s  0.05
#   tests/fixtures/graphile-migrate/app/migrations    graphile-migrate 240         SAME    0.70 s  13.95 s  0.05
#   tests/fixtures/diesel/basic (2)                   diesel           6           SAME    0.05 s   0.25 s  0.20
#   tests/fixtures/pop/basic (2)                      pop              5           SAME    0.04 s   0.21 s  0.19
#   tests/fixtures/pop/app/migrations (2)(3)          pop              294         SAME    5.48 s  72.83 s  0.08
#   tests/fixtures/flyway/tree (2)(4)                 flyway           6           SAME    0.27 s   1.53 s  0.18
#   tests/fixtures/supabase/project/supabase/migrations (2)(5)
#                                                     supabase         160         SAME    1.53 s  28.25 s  0.05
#   tests/fixtures/diesel/app (2)(6)                  diesel           301         SAME    2.78 s  44.21 s  0.06
#   tests/fixtures/prisma/app (2)(7)                  prisma           300         SAME    7.71 s  81.40 s  0.09
#   tests/fixtures/prisma/same-prefix (2)             prisma           3           SAME    0.17 s   0.41 s  0.41
#   (1) with PGFLEET_BENCH_EXTENSIONS="pgcrypto citext". The psql column is one psql
#   process per file (about 50 ms of start-up and connection each), what a shell loop
#   costs, not the server's floor; one-file folders are within noise.
#   (2) debug build (PGFLEET_BIN=target/debug/pgfleet).
#   (3) 2026-12-03: 300 versions in four dialects and none, 14- and 20-digit versions run
#   in text order, sub-folder files, `.autocommit.` CONCURRENTLY indexes.
#   (4) 2026-12-03: the whole tree; postgres/ and postgres/2024/ read, mysql/ and h2/ left out.
#   (5) 2026-12-03, with PGFLEET_BENCH_SETUP=tests/fixtures/supabase/platform-stub.sql;
#   the stub creates the roles anon, authenticated and service_role on the server if
#   they are missing, and they stay there (roles are server-wide): drop them after.
#   (6) 2026-12-03: Diesel's initial setup and 300 migrations, dashed and undashed
#   versions interleaved (psql's side orders by Diesel's version, not the folder name),
#   `metadata.toml` CONCURRENTLY indexes, a README and a stray .sql left out.
#   (7) 2026-12-03, run beside a cargo clippy (times high): same-timestamp pairs in
#   name order, the engine's `-- AlterEnum` BEGIN; ... COMMIT; blocks mid-script.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
    echo "usage: bash bench/real-repos.sh FOLDER FORMAT" >&2
    exit 2
fi
folder=$(cd "$1" && pwd)
format=$2
url=${PGFLEET_BENCH_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if [ -n "${PGFLEET_BIN:-}" ]; then
    bin=$(cd "$(dirname "$PGFLEET_BIN")" && pwd)/$(basename "$PGFLEET_BIN")
else
    cargo build --release --quiet
    bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pgfleet
fi

# URL of database $1 on the same server: swap the path, keep any ?query.
query=""
case $url in *\?*) query="?${url#*\?}" ;; esac
base=${url%%\?*}
case ${base#*://} in */*) base=${base%/*} ;; esac
db_url() { printf '%s/%s%s' "$base" "$1" "$query"; }

tag=$$
db_pgf=pgfleet_rr_${tag}_pgfleet
db_psql=pgfleet_rr_${tag}_psql
work=$(mktemp -d /tmp/pgfleet-bench-real-XXXXXX)
admin() { psql -qX -v ON_ERROR_STOP=1 -d "$url" "$@" >/dev/null; }
cleanup() {
    admin -c "DROP DATABASE IF EXISTS \"$db_pgf\"" -c "DROP DATABASE IF EXISTS \"$db_psql\"" || true
    rm -rf "$work"
}
trap cleanup EXIT
admin -c "CREATE DATABASE \"$db_pgf\"" -c "CREATE DATABASE \"$db_psql\""
extensions=""
for e in ${PGFLEET_BENCH_EXTENSIONS:-}; do
    extensions="$extensions${extensions:+, }\"$e\""
    for db in "$db_pgf" "$db_psql"; do
        psql -qX -v ON_ERROR_STOP=1 -d "$(db_url "$db")" -c "CREATE EXTENSION IF NOT EXISTS \"$e\"" > /dev/null
    done
done
if [ -n "${PGFLEET_BENCH_SETUP:-}" ]; then
    for db in "$db_pgf" "$db_psql"; do
        psql -qX -v ON_ERROR_STOP=1 -d "$(db_url "$db")" -f "$PGFLEET_BENCH_SETUP" > /dev/null
    done
fi

# One logical database `app`, placed in env `pgf` or `psql`.
cat > "$work/pgfleet.toml" <<EOF
[servers.pg]
url = "$url"
[databases.app]
migrations = "$folder"
format = "$format"
extensions = [$extensions]
[envs.pgf]
database = "$db_pgf"
[envs.psql]
database = "$db_psql"
EOF

# files: the up scripts in the order the format's tool runs them, one per line.
by_version() { # sort paths by the number (or dotted number) their base name starts with
    while IFS= read -r f; do
        b=${f##*/}; [ "$b" = up.sql ] || [ "$b" = migration.sql ] && b=${f%/*} && b=${b##*/}
        printf '%s\t%s\n' "$(printf '%s' "${b#V}" | sed 's/^\([0-9][0-9_.]*\).*/\1/; s/_/./g')" "$f"
    done | sort -t"$(printf '\t')" -k1,1V -k2,2 | cut -f2
}
files() {
    case $format in
        native | sqlx)
            find "$folder" -maxdepth 1 -name '[0-9]*_*.sql' ! -name '*.down.sql' | by_version ;;
        # The CLI: file name order; each file in a fresh psql session is its RESET ALL.
        supabase) find "$folder" -maxdepth 1 -name '[0-9]*_*.sql' | LC_ALL=C sort ;;
        dbmate) find "$folder" -maxdepth 1 -name '[0-9]*_*.sql' | by_version ;;
        golang-migrate) find "$folder" -maxdepth 1 -name '[0-9]*_*.up.sql' | by_version ;;
        pop) # per version: the postgres (pg, pgx, postgresql) file, else the dialect-less
             # one (pop's rule), from every sub-folder, in version order as text (pop's)
            find "$folder" -name '[0-9]*_*.up.sql' | awk '
                { b = $0; sub(/.*\//, "", b); k = b; sub(/\..*/, "", k)
                  if (b ~ /\.(postgres|pg|pgx|postgresql)\.(autocommit\.)?up\.sql$/) pg[k] = $0
                  else if (b ~ /^[^.]*\.(autocommit\.)?up\.sql$/) plain[k] = $0
                  keys[k] = 1 }
                END { for (k in keys) { v = k; sub(/_.*/, "", v)
                      if (k in pg) print v "\t" pg[k]; else if (k in plain) print v "\t" plain[k] } }' |
                LC_ALL=C sort -t"$(printf '\t')" -k1,1 | cut -f2 ;;
        # Prisma: folder names in code-unit order (same-prefix pairs by their whole name).
        prisma) find "$folder" -mindepth 2 -maxdepth 2 -name migration.sql | LC_ALL=C sort ;;
        diesel) # the version, the folder name before its first `_` without dashes, as text
            find "$folder" -mindepth 2 -maxdepth 2 -name up.sql | while IFS= read -r f; do
                d=${f%/*}; d=${d##*/}; v=${d%%_*}
                printf '%s\t%s\n' "${v//-/}" "$f"
            done | LC_ALL=C sort -t"$(printf '\t')" -k1,1 -k2,2 | cut -f2 ;;
        hasura) find "$folder" -mindepth 2 -maxdepth 2 -name up.sql -size +0 | by_version ;;
        flyway) # every sub-folder but those named after another engine (mysql/, h2/, ...)
            local skip='-iname mysql -o -iname mariadb -o -iname h2 -o -iname hsqldb -o -iname sqlite -o -iname sqlite3 -o -iname oracle -o -iname sqlserver -o -iname mssql -o -iname db2 -o -iname derby -o -iname cockroach -o -iname cockroachdb -o -iname clickhouse -o -iname snowflake -o -iname redshift -o -iname firebird'
            # shellcheck disable=SC2086
            find "$folder" -mindepth 1 -type d \( $skip \) -prune -o -name 'V*__*.sql' -print | by_version
            # shellcheck disable=SC2086
            find "$folder" -mindepth 1 -type d \( $skip \) -prune -o -name 'R__*.sql' -print | sort ;;
        graphile-migrate)
            local dir=$folder
            [ -d "$dir/committed" ] && dir=$dir/committed
            find "$dir" -maxdepth 1 -name '[0-9]*.sql' | sort ;;
        *) echo "real-repos.sh: format $format is not handled on psql's side" >&2; exit 2 ;;
    esac
}

# up FILE: the up part of FILE, as psql should run it.
up() {
    case $format in
        native) sed '/^-- pgfleet:down/,$d' "$1" ;;
        dbmate) sed -n '/^-- migrate:up/,/^-- migrate:down/p' "$1" | sed '$!b; /^-- migrate:down/d' ;;
        *) cat "$1" ;;
    esac
}
# in_tx FILE: whether psql should run it with -1.
in_tx() {
    local first
    first=$(head -1 "$1")
    case $format in
        native) [ "$first" = "-- pgfleet:no-transaction" ] && return 1 ;;
        sqlx) [ "$first" = "-- no-transaction" ] && return 1 ;;
        dbmate) grep -q '^-- migrate:up.*transaction:false' "$1" && return 1 ;;
        diesel) grep -Eqs '^[[:space:]]*run_in_transaction[[:space:]]*=[[:space:]]*false' "${1%/*}/metadata.toml" && return 1 ;;
        graphile-migrate) # first line of the body, after the headers and the empty line
            sed -n '/^$/,$p' "$1" | sed '/^$/d' | head -1 | grep -q '^--! no-transaction' && return 1 ;;
    esac
    ! grep -Eiq 'CONCURRENTLY|^[[:space:]]*(VACUUM|ALTER[[:space:]]+SYSTEM|CREATE[[:space:]]+DATABASE)|^[[:space:]]*(BEGIN|COMMIT|START[[:space:]]+TRANSACTION)[[:space:]]*;' "$1"
}

files > "$work/files"
n=$(wc -l < "$work/files")
# Prepare each script once, so the timed loop is only psql.
i=0
while IFS= read -r f; do
    i=$((i + 1))
    up "$f" > "$work/$i.sql"
    if in_tx "$f"; then echo "-1" > "$work/$i.mode"; else echo "" > "$work/$i.mode"; fi
done < "$work/files"

now() { date +%s.%N; }
t0=$(now)
if ! "$bin" -q -C "$work" -e pgf migrate > "$work/pgfleet.log" 2>&1; then
    echo "pgfleet migrate failed:" >&2; cat "$work/pgfleet.log" >&2; exit 1
fi
t1=$(now)
target=$(db_url "$db_psql")
for i in $(seq "$n"); do
    mode=$(cat "$work/$i.mode")
    # shellcheck disable=SC2086 # $mode is empty or -1
    if ! psql -qX -v ON_ERROR_STOP=1 -v DATABASE_NAME="$db_psql" $mode -d "$target" -f "$work/$i.sql" > "$work/psql.log" 2>&1; then
        echo "psql failed on $(sed -n "${i}p" "$work/files"):" >&2; cat "$work/psql.log" >&2; exit 1
    fi
done
t2=$(now)

applied=$("$bin" -C "$work" -e pgf status --json | grep -c '"state": "applied"' || true)
[ "$applied" = "$n" ] || echo "note: pgfleet applied $applied migrations, psql ran $n files" >&2

"$bin" -q -C "$work" -e pgf schema dump app > "$work/pgfleet.dump"
"$bin" -q -C "$work" -e psql schema dump app > "$work/psql.dump"
tp=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
tq=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')
ratio=$(awk -v a="$tp" -v b="$tq" 'BEGIN { printf "%.2f", a / b }')
if diff -u --label pgfleet --label psql "$work/pgfleet.dump" "$work/psql.dump" > "$work/diff"; then
    result=SAME; code=0
else
    result=DIFFERENT; code=3
    cat "$work/diff"
fi
echo "$1 $format: $n migrations, $result; pgfleet migrate ${tp} s, psql ${tq} s, ratio ${ratio}"
exit "$code"
