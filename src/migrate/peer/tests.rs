//! The rows written for the tools that do not install here (goose, golang-migrate),
//! checked against what their own source writes, and the shape check.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::shape::{self, Column, Problem};
use super::{Sink, ddl, write};
use crate::migrate::formats::{Format, Kind, Migration, Transaction, Version};

fn migration(version: &str, file: &str) -> Migration {
    Migration {
        version: Version::parse_integer(version).unwrap(),
        name: "x".into(),
        kind: Kind::Versioned,
        path: PathBuf::from(file),
        up: String::new(),
        up_line: 1,
        down: None,
        transaction: Transaction::Auto,
        checksum: String::new(),
        statements: None,
        not_runnable: None,
        verify: None,
    }
}

fn sink(format: Format, table: &str, exists: bool, versions: &[&str]) -> Sink {
    Sink {
        format,
        schema: "public".into(),
        table: table.into(),
        qualified: format!("\"public\".\"{table}\""),
        exists,
        schema_exists: true,
        versions: versions
            .iter()
            .map(|v| migration(v, &format!("{v}_x.up.sql")))
            .collect(),
        created_at: std::collections::BTreeMap::new(),
        ignored_chars: Vec::new(),
        project: None,
        add_columns: false,
        sqitch: None,
        liquibase_prefix: String::new(),
        deployment_id: "6410882144".into(),
    }
}

/// goose v3 `internal/dialect/dialectquery/postgres.go`: `CreateTable` (serial id,
/// `tstamp timestamp NULL default now()`), then `InsertVersion` of version 0 as applied;
/// each up is `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, $2)`
/// with `true`, each down `DELETE FROM goose_db_version WHERE version_id=$1`.
#[test]
fn goose_rows_follow_goose_source() {
    let s = sink(Format::Goose, "goose_db_version", false, &["00001"]);
    let ddl = ddl::create_sql(&s);
    assert!(ddl.contains("(id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id))"), "{ddl}");
    assert!(ddl.contains("SELECT 0, true"), "{ddl}");
    let up = write::applied(&s, &migration("00001", "00001_x.sql"), None);
    assert!(
        up.starts_with(
            "INSERT INTO \"public\".\"goose_db_version\" (version_id, is_applied) SELECT 1, true"
        ),
        "{up}"
    );
    let down = write::rolled_back(&s, "00001", &BTreeSet::new());
    assert_eq!(
        down,
        "DELETE FROM \"public\".\"goose_db_version\" WHERE version_id = 1;\n"
    );
}

/// golang-migrate `database/postgres/postgres.go`: `ensureVersionTable` makes
/// `(version bigint not null primary key, dirty boolean not null)`; `SetVersion`
/// truncates and inserts the one row `(version, dirty)`; after the last down, none.
#[test]
fn golang_migrate_keeps_one_row_holding_the_latest() {
    let s = sink(
        Format::GolangMigrate,
        "schema_migrations",
        true,
        &["1", "2", "3"],
    );
    let up = write::applied(&s, &migration("3", "3_x.up.sql"), None);
    assert_eq!(
        up,
        "DELETE FROM \"public\".\"schema_migrations\" WHERE dirty OR version < 3;\nINSERT INTO \"public\".\"schema_migrations\" (version, dirty) SELECT 3, false WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"schema_migrations\");\n"
    );
    let still: BTreeSet<String> = ["1".to_owned(), "2".to_owned()].into();
    let down = write::rolled_back(&s, "3", &still);
    assert_eq!(
        down,
        "DELETE FROM \"public\".\"schema_migrations\";\nINSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES (2, false);\n"
    );
    assert_eq!(
        write::rolled_back(&s, "1", &BTreeSet::new()),
        "DELETE FROM \"public\".\"schema_migrations\";\n"
    );
    let fresh = sink(Format::GolangMigrate, "schema_migrations", false, &["1"]);
    assert!(
        ddl::create_sql(&fresh)
            .contains("(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)")
    );
}

#[test]
fn node_pg_migrate_rows_are_named_after_the_file() {
    let s = sink(Format::NodePgMigrate, "pgmigrations", true, &[]);
    let up = write::applied(
        &s,
        &migration("1704873600000", "db/1704873600000_create_customers.sql"),
        None,
    );
    assert!(
        up.contains("SELECT '1704873600000_create_customers', NOW()"),
        "{up}"
    );
}

fn columns(list: &[(&str, bool)]) -> Vec<Column> {
    list.iter()
        .map(|(name, needs_value)| Column {
            name: (*name).to_owned(),
            needs_value: *needs_value,
        })
        .collect()
}

#[test]
fn shapes_accept_extra_columns_with_defaults_and_name_what_is_wrong() {
    let dbmate = shape::of(Format::Dbmate).unwrap();
    assert_eq!(dbmate.problem(&columns(&[("version", true)])), None);
    // An extra column the tool fills by default, or that may be NULL: written.
    assert_eq!(
        dbmate.problem(&columns(&[("version", true), ("applied_at", false)])),
        None
    );
    // golang-migrate's table under dbmate's name: `dirty` needs a value dbmate never gives.
    assert_eq!(
        dbmate.problem(&columns(&[("version", true), ("dirty", true)])),
        Some(Problem::Unknown("dirty".into()))
    );
    let npgm = shape::of(Format::NodePgMigrate).unwrap();
    assert_eq!(
        npgm.problem(&columns(&[("id", false), ("name", true)])),
        Some(Problem::Missing("run_on".into()))
    );
    assert!(shape::of(Format::Native).is_none());
}

fn sink_at(format: Format, table: &str) -> Sink {
    Sink {
        versions: Vec::new(),
        ..sink(format, table, false, &[])
    }
}

/// Prisma: prisma-engines' PostgreSQL `_prisma_migrations` DDL, and the row
/// `prisma migrate deploy` leaves for a finished migration (a random id, the SHA-256 of
/// migration.sql, `finished_at` set, one applied step, no logs, not rolled back).
#[test]
fn prisma_rows_follow_prisma_engines() {
    let s = sink_at(Format::Prisma, "_prisma_migrations");
    let ddl = ddl::create_sql(&s);
    for column in [
        "\"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL",
        "\"checksum\"              VARCHAR(64) NOT NULL",
        "\"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now()",
        "\"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0",
    ] {
        assert!(ddl.contains(column), "{column} in {ddl}");
    }
    let mut m = migration("20240101000000", "20240101000000_init/migration.sql");
    m.version = Version::named("20240101000000_init".into());
    m.checksum = "ab".repeat(32);
    let row = write::applied(&s, &m, None);
    assert!(
        row.contains(&format!(
            "'{}', clock_timestamp(), '20240101000000_init', NULL, NULL, now(), 1",
            "ab".repeat(32)
        )),
        "{row}"
    );
}

/// Flyway: `flyway_schema_history` as flyway-database-postgresql creates it, and a
/// versioned row (`type` SQL, the script's file name, Flyway's CRC-32).
#[test]
fn flyway_rows_follow_flyway() {
    let s = sink_at(Format::Flyway, "flyway_schema_history");
    let ddl = ddl::create_sql(&s);
    assert!(ddl.contains("\"installed_rank\" INT NOT NULL, \"version\" VARCHAR(50), \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INTEGER"), "{ddl}");
    assert!(
        ddl.contains("\"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\")"),
        "{ddl}"
    );
    let mut m = migration("1", "/nowhere/V1_1__add_users.sql");
    m.version = Version::parse_dotted("1.1").unwrap();
    m.name = "add_users".into();
    m.up = "CREATE TABLE users (id int);\n".into();
    let row = write::applied(&s, &m, Some(12));
    let crc = super::checksum::flyway(&m.up);
    assert!(
        row.contains(&format!(
            "'1.1', 'add users', 'SQL', 'V1_1__add_users.sql', {crc}, current_user, 12, true WHERE NOT EXISTS"
        )),
        "{row}"
    );
}

/// sqlx: sqlx-postgres `ensure_migrations_table` and `apply`: description from the file
/// name, the SHA-384 checksum as bytea, `success` TRUE.
#[test]
fn sqlx_rows_follow_sqlx() {
    let s = sink_at(Format::Sqlx, "_sqlx_migrations");
    assert!(ddl::create_sql(&s).contains("version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL"));
    let mut m = migration(
        "20240115080000",
        "/nowhere/20240115080000_create_customers.up.sql",
    );
    m.up = "SELECT 1;\n".into();
    let row = write::applied(&s, &m, Some(3));
    let sum = hex::encode(super::checksum::sqlx("SELECT 1;\n", &[]));
    assert!(
        row.contains(&format!(
            "SELECT 20240115080000, 'create customers', TRUE, '\\x{sum}'::bytea, 3000000"
        )),
        "{row}"
    );
}

/// pop (`migrator.go`): fizz's `schema_migration (version varchar(14))` with its unique
/// `schema_migration_version_idx`; one row per version up, deleted on the way down.
#[test]
fn pop_rows_follow_pop() {
    let s = sink(Format::Pop, "schema_migration", false, &[]);
    let ddl = ddl::create_sql(&s);
    assert!(ddl.contains("(\"version\" VARCHAR (14) NOT NULL)"), "{ddl}");
    assert!(
        ddl.contains("CREATE UNIQUE INDEX IF NOT EXISTS \"schema_migration_version_idx\""),
        "{ddl}"
    );
    let up = write::applied(&s, &migration("20240101000001", "x.up.sql"), None);
    assert!(
        up.starts_with(
            "INSERT INTO \"public\".\"schema_migration\" (version) SELECT '20240101000001'"
        ),
        "{up}"
    );
    assert_eq!(
        write::rolled_back(&s, "20240101000001", &BTreeSet::new()),
        "DELETE FROM \"public\".\"schema_migration\" WHERE version = '20240101000001';\n"
    );
}

/// graphile-migrate 1.4 `src/migration.ts`: `_migrateMigrationSchema` creates
/// `graphile_migrate.migrations (hash text primary key, previous_hash text references
/// graphile_migrate.migrations, filename text not null, date timestamptz not null
/// default now())` and `graphile_migrate.current`; `runStringMigration` inserts
/// `(hash, previous_hash, filename)` from the file's headers; `undoMigration` deletes
/// `where hash = $1`.
#[test]
fn graphile_migrate_rows_follow_its_source() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graphile-migrate/app/migrations/committed");
    let second = migration("000002", "x");
    let second = Migration {
        path: dir.join("000002-create-table-1.sql"),
        ..second
    };
    let mut s = sink(Format::GraphileMigrate, "migrations", false, &[]);
    s.schema = "graphile_migrate".into();
    s.qualified = "\"graphile_migrate\".\"migrations\"".into();
    s.schema_exists = false;
    s.versions = vec![second.clone()];
    let ddl = ddl::create_sql(&s);
    assert!(
        ddl.starts_with("CREATE SCHEMA IF NOT EXISTS \"graphile_migrate\";"),
        "{ddl}"
    );
    assert!(ddl.contains("(hash text PRIMARY KEY, previous_hash text REFERENCES \"graphile_migrate\".\"migrations\", filename text NOT NULL, date timestamptz NOT NULL DEFAULT now())"), "{ddl}");
    assert!(ddl.contains("\"graphile_migrate\".current (filename text PRIMARY KEY DEFAULT 'current.sql', content text NOT NULL, date timestamptz NOT NULL DEFAULT now())"), "{ddl}");
    let up = write::applied(&s, &second, None);
    assert!(
        up.starts_with("INSERT INTO \"graphile_migrate\".\"migrations\" (hash, previous_hash, filename) SELECT 'sha1:"),
        "{up}"
    );
    assert!(
        up.contains("'sha1:33220e11a16ec6367637be0d1be62f2ba891be8a', '000002.sql'"),
        "{up}"
    );
    let down = write::rolled_back(&s, "000002", &BTreeSet::new());
    assert!(
        down.starts_with("DELETE FROM \"graphile_migrate\".\"migrations\" WHERE hash = 'sha1:"),
        "{down}"
    );
}

/// supabase/cli `pkg/migration/history.go` (`CreateMigrationTable`: `CREATE TABLE IF NOT
/// EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)`,
/// then `ADD COLUMN IF NOT EXISTS statements text[]` and `name text`), `file.go`
/// (`ExecBatch` inserts `(version, name, statements)`) and `pkg/parser/token.go`
/// (`SplitAndTrim`: cut after each `;`, comments kept with the statement they precede,
/// the `;` and surrounding blanks trimmed, empty parts dropped). `migration repair
/// --status reverted` deletes the row (DELETE_MIGRATION_VERSION).
#[test]
fn supabase_rows_follow_the_cli_source() {
    let file = Migration {
        version: Version::named("20240301100000".to_owned()),
        name: "create_countries".into(),
        path: PathBuf::from("/nonexistent/20240301100000_create_countries.sql"),
        up: "-- Countries\ncreate table public.countries (code text primary key);\n\n\
             create function public.f() returns text language sql as $$ select 'a;b' $$;\n\
             insert into public.countries values ('fr;');;\n-- trailing note\n"
            .into(),
        ..migration("1", "x.sql")
    };
    assert_eq!(
        write::supabase_statements(&file.up),
        [
            "-- Countries\ncreate table public.countries (code text primary key)",
            "create function public.f() returns text language sql as $$ select 'a;b' $$",
            "insert into public.countries values ('fr;')",
            "-- trailing note",
        ]
    );
    let mut s = sink(Format::Supabase, "schema_migrations", false, &[]);
    s.schema = "supabase_migrations".into();
    s.qualified = "\"supabase_migrations\".\"schema_migrations\"".into();
    s.schema_exists = false;
    let ddl = ddl::create_sql(&s);
    assert_eq!(
        ddl,
        "CREATE SCHEMA IF NOT EXISTS \"supabase_migrations\";\n\
         CREATE TABLE IF NOT EXISTS \"supabase_migrations\".\"schema_migrations\" (version text NOT NULL PRIMARY KEY);\n\
         ALTER TABLE \"supabase_migrations\".\"schema_migrations\" ADD COLUMN IF NOT EXISTS statements text[];\n\
         ALTER TABLE \"supabase_migrations\".\"schema_migrations\" ADD COLUMN IF NOT EXISTS name text;\n"
    );
    let up = write::applied(&s, &file, None);
    assert!(
        up.starts_with("INSERT INTO \"supabase_migrations\".\"schema_migrations\" (version, name, statements) SELECT '20240301100000', 'create_countries', ARRAY['-- Countries\ncreate table public.countries (code text primary key)', 'create function public.f() returns text language sql as $$ select ''a;b'' $$', "),
        "{up}"
    );
    assert!(up.contains("WHERE NOT EXISTS (SELECT 1 FROM \"supabase_migrations\".\"schema_migrations\" WHERE version = '20240301100000');"), "{up}");
    let down = write::rolled_back(&s, "20240301100000", &BTreeSet::new());
    assert_eq!(
        down,
        "DELETE FROM \"supabase_migrations\".\"schema_migrations\" WHERE version = '20240301100000';\n"
    );
    // Studio's nullable `created_by` and `idempotency_key` are no obstacle.
    let shape = shape::of(Format::Supabase).unwrap();
    let col = |name: &str, needs_value| Column {
        name: name.into(),
        needs_value,
    };
    let columns = [
        col("version", true),
        col("statements", false),
        col("name", false),
        col("created_by", false),
        col("idempotency_key", false),
    ];
    assert_eq!(shape.problem(&columns), None);
    assert_eq!(
        shape.problem(&columns[..1]),
        Some(Problem::Missing("name".into()))
    );
    // A table of an older CLI, `version` only: the columns are added as the CLI adds
    // them on its next push.
    s.exists = true;
    assert_eq!(ddl::create_sql(&s), "");
    s.add_columns = true;
    assert_eq!(
        ddl::create_sql(&s),
        "ALTER TABLE \"supabase_migrations\".\"schema_migrations\" ADD COLUMN IF NOT EXISTS statements text[];\n\
         ALTER TABLE \"supabase_migrations\".\"schema_migrations\" ADD COLUMN IF NOT EXISTS name text;\n"
    );
}

/// hasura/graphql-engine `cli/migrate/database/hasuradb`: with catalog state
/// (`migration_state_catalog_state.go`), `InsertVersion` sets
/// `cli_state.migrations.<source>.<version>` to `false` and `RemoveVersion` deletes the
/// key; with the older table (`migration_state_sql.go`), `INSERT INTO
/// hdb_catalog.schema_migrations (version, dirty) VALUES (<v>, false)` and `DELETE FROM
/// ... WHERE version = <v>`. Neither table is made by pgfleet.
#[test]
fn hasura_rows_follow_the_cli_source() {
    let m = migration("1654696187005", "1654696187005_create_accounts/up.sql");
    let mut s = sink(Format::Hasura, "hdb_version", true, &["1654696187005"]);
    s.schema = "hdb_catalog".into();
    s.qualified = "\"hdb_catalog\".\"hdb_version\"".into();
    s.project = Some("app".into());
    let up = write::applied(&s, &m, None);
    assert!(
        up.starts_with("UPDATE \"hdb_catalog\".\"hdb_version\" SET cli_state = jsonb_set("),
        "{up}"
    );
    assert!(up.contains("ARRAY['migrations', 'app']"), "{up}");
    assert!(
        up.contains("|| jsonb_build_object('1654696187005', false))"),
        "{up}"
    );
    assert_eq!(
        write::rolled_back(&s, "1654696187005", &BTreeSet::new()),
        "UPDATE \"hdb_catalog\".\"hdb_version\" SET cli_state = cli_state #- ARRAY['migrations', 'app', '1654696187005'];\n"
    );
    assert_eq!(
        ddl::create_sql(&Sink {
            exists: false,
            ..s.clone()
        }),
        ""
    );

    s.table = "schema_migrations".into();
    s.qualified = "\"hdb_catalog\".\"schema_migrations\"".into();
    let up = write::applied(&s, &m, None);
    assert_eq!(
        up,
        "UPDATE \"hdb_catalog\".\"schema_migrations\" SET dirty = false WHERE version = 1654696187005 AND dirty;\n\
         INSERT INTO \"hdb_catalog\".\"schema_migrations\" (version, dirty) SELECT 1654696187005, false WHERE NOT EXISTS (SELECT 1 FROM \"hdb_catalog\".\"schema_migrations\" WHERE version = 1654696187005);\n"
    );
    assert_eq!(
        write::rolled_back(&s, "1654696187005", &BTreeSet::new()),
        "DELETE FROM \"hdb_catalog\".\"schema_migrations\" WHERE version = 1654696187005;\n"
    );
    // The server's catalog row: only `cli_state` is written, its other columns are the
    // server's.
    let col = |name: &str, needs_value| Column {
        name: name.into(),
        needs_value,
    };
    assert_eq!(
        shape::HASURA_CATALOG_STATE.problem(&[
            col("hasura_uuid", false),
            col("version", true),
            col("upgraded_on", true),
            col("cli_state", false),
            col("console_state", false),
        ]),
        None
    );
}

/// A sink for the `sqitch/basic` fixture's registry: `full` a Sqitch 1.3 one, else one
/// from before Sqitch 1.0 with only `changes (change_id, change, project,
/// committed_at)`.
fn sqitch_sink(full: bool) -> Sink {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sqitch/basic");
    let plan = crate::migrate::formats::sqitch_plan(&dir).unwrap();
    let ids = super::checksum::sqitch_ids(&plan);
    let deploys: Vec<PathBuf> = [
        "statuses.sql",
        "customers@v1.0.sql",
        "invoices.sql",
        "customers.sql",
    ]
    .iter()
    .map(|f| dir.join("deploy").join(f))
    .collect();
    let (change_columns, tables) = if full {
        (
            super::sqitch::CHANGE_COLUMNS
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            super::sqitch::TABLES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        )
    } else {
        (
            ["change_id", "change", "project", "committed_at"]
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            BTreeSet::new(),
        )
    };
    let mut s = sink(
        Format::Sqitch,
        "changes",
        full,
        &["0001", "0002", "0003", "0004"],
    );
    s.schema = "sqitch".into();
    s.qualified = "\"sqitch\".\"changes\"".into();
    s.schema_exists = full;
    s.sqitch = Some(super::sqitch::Registry {
        plan,
        ids,
        deploys,
        change_columns,
        tables,
        committer_name: "CI".into(),
        committer_email: "ci@example.com".into(),
    });
    s
}

/// Sqitch 1.3 `Role/DBIEngine.pm` `log_deploy_change`: the change row with the SHA-1
/// of its deploy script, its requirement resolved to the change it names, the tag after
/// it, and a `deploy` event listing both; `pg.sql` and the 1.1 release for a database
/// without a registry.
#[test]
fn sqitch_rows_follow_sqitch() {
    let mut s = sqitch_sink(true);
    let registry = s.sqitch.clone().unwrap();
    let ids = &registry.ids;
    let hash = |f: &str| super::checksum::sqitch_script_hash(&std::fs::read(f).unwrap());
    let up = write::applied(&s, &migration("0002", "x"), None);
    assert!(up.contains(&format!(
        "SELECT '{}', '{}', 'customers', 'shop', 'Customers table.', 'CI', 'ci@example.com', '2026-11-25T21:56:45Z', 'Ann Planner', 'ann@example.com', clock_timestamp() WHERE NOT EXISTS",
        ids[1].change_id,
        hash(registry.deploys[1].to_str().unwrap())
    )), "{up}");
    assert!(
        up.contains(&format!(
            "SELECT '{}', 'require', 'statuses', '{}' WHERE NOT EXISTS",
            ids[1].change_id, ids[0].change_id
        )),
        "{up}"
    );
    assert!(
        up.contains(&format!(
            "SELECT '{}', '@v1.0', 'shop', '{}', 'Tag v1.0.', 'CI', 'ci@example.com', '2026-11-25T21:56:46Z'",
            ids[1].tag_ids[0], ids[1].change_id
        )),
        "{up}"
    );
    assert!(
        up.contains("SELECT 'deploy', ")
            && up.contains("ARRAY['@v1.0']::text[], ARRAY['statuses']::text[], '{}'::text[]"),
        "{up}"
    );
    // A tag on the change before is logged first (`log_new_tags`), once that change
    // is there, ahead of the next change's own row.
    let next = write::applied(&s, &migration("0003", "x"), None);
    let tag = next
        .find(&format!("SELECT '{}', '@v1.0'", ids[1].tag_ids[0]))
        .unwrap_or_else(|| panic!("{next}"));
    let row = next
        .find("INSERT INTO \"sqitch\".\"changes\"")
        .unwrap_or_else(|| panic!("{next}"));
    assert!(tag < row, "{next}");
    assert!(
        next.contains(&format!(
            "WHERE EXISTS (SELECT 1 FROM \"sqitch\".\"changes\" WHERE change_id = '{}')",
            ids[1].change_id
        )),
        "{next}"
    );
    // `customers@v1.0` is the first instance, the one the tag follows.
    let rework = write::applied(&s, &migration("0004", "x"), None);
    assert!(
        rework.contains(&format!(
            "'require', 'customers@v1.0', '{}'",
            ids[1].change_id
        )),
        "{rework}"
    );
    s.exists = false;
    let ddl = ddl::create_sql(&s);
    for part in [
        "CREATE SCHEMA IF NOT EXISTS \"sqitch\";",
        "CREATE TABLE IF NOT EXISTS \"sqitch\".changes (",
        "UNIQUE(project, script_hash)",
        "requires        TEXT[]      NOT NULL DEFAULT '{}'",
        "SELECT 1.1, clock_timestamp(), 'CI', 'ci@example.com' WHERE NOT EXISTS",
    ] {
        assert!(ddl.contains(part), "{part} in {ddl}");
    }
}

/// pg.pm `log_revert_change`: the `revert` event lists the change's tags and
/// requirements before they go, then its `tags`, `dependencies` and `changes` rows go.
#[test]
fn sqitch_revert_logs_an_event_and_deletes_the_change() {
    let s = sqitch_sink(true);
    let id = s.sqitch.as_ref().unwrap().ids[1].change_id.clone();
    let down = write::rolled_back(&s, "0002", &BTreeSet::new());
    let event = down.find("SELECT 'revert'").unwrap();
    let tags = down
        .find(&format!(
            "DELETE FROM \"sqitch\".tags WHERE change_id = '{id}'"
        ))
        .unwrap();
    let deps = down
        .find(&format!(
            "DELETE FROM \"sqitch\".dependencies WHERE change_id = '{id}'"
        ))
        .unwrap();
    let change = down
        .find(&format!(
            "DELETE FROM \"sqitch\".\"changes\" WHERE change_id = '{id}'"
        ))
        .unwrap();
    assert!(event < tags && tags < deps && deps < change, "{down}");
    assert!(
        down.contains(&format!(
            "ARRAY(SELECT tag FROM \"sqitch\".tags WHERE change_id = '{id}')"
        )),
        "{down}"
    );
}

/// A registry from before Sqitch 1.0 (no `script_hash`, nor the other tables) is
/// written with what it has, and its shape is not refused.
#[test]
fn an_older_sqitch_registry_is_written_with_its_columns() {
    let s = sqitch_sink(false);
    let up = write::applied(&s, &migration("0003", "x"), None);
    assert!(
        up.starts_with(
            "INSERT INTO \"sqitch\".\"changes\" (change_id, change, project, committed_at) SELECT '"
        ),
        "{up}"
    );
    assert_eq!(up.lines().count(), 1, "{up}");
    let down = write::rolled_back(&s, "0003", &BTreeSet::new());
    assert!(
        down.starts_with("DELETE FROM \"sqitch\".\"changes\""),
        "{down}"
    );
    assert_eq!(down.lines().count(), 1, "{down}");
    let sqitch = shape::of(Format::Sqitch).unwrap();
    assert_eq!(
        sqitch.problem(&columns(&[
            ("change_id", true),
            ("change", true),
            ("project", true),
            ("committed_at", false)
        ])),
        None
    );
    assert_eq!(
        sqitch.problem(&columns(&[("change_id", true), ("change", true)])),
        Some(Problem::Missing("project".into()))
    );
}

/// Liquibase's `deployment_id`: the run's milliseconds since the epoch less their first
/// three digits (`String.valueOf(new Date().getTime()).substring(3)`); the real
/// Liquibase wrote `6410882144` at 1796410882144 ms.
#[test]
fn liquibase_deployment_id_is_ten_digits() {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_796_410_882_144);
    assert_eq!(super::deployment_id(at), "6410882144");
}

/// Liquibase's own `rollback` deletes the changeset's row by id, author and filename,
/// which carries the prefix its earlier rows show.
#[test]
fn liquibase_rollback_deletes_the_row_by_id_author_and_filename() {
    let mut s = sink(Format::Liquibase, "databasechangelog", true, &[]);
    assert_eq!(
        write::rolled_back(&s, "changes/001.sql::create-a::jane", &BTreeSet::new()),
        "DELETE FROM \"public\".\"databasechangelog\" WHERE id = 'create-a' AND author = 'jane' AND filename = 'changes/001.sql';\n"
    );
    s.liquibase_prefix = "db/changelog/".into();
    assert!(
        write::rolled_back(&s, "changes/001.sql::a::b::jane", &BTreeSet::new()).ends_with(
            "WHERE id = 'a::b' AND author = 'jane' AND filename = 'db/changelog/changes/001.sql';\n"
        )
    );
}

/// ariga/atlas: `cmd/atlas/internal/migrate/ent/migrate/schema.go` (the columns, in
/// ent's PostgreSQL types), `sql/migrate/migrate.go` `ExecuteFile` (a fully applied
/// file: type 2, `applied = total` = its statements, the `atlas.sum` hash, empty
/// errors, no partial hashes) and `DeleteRevision` for `migrate down`.
#[test]
fn atlas_revisions_follow_atlas_source() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/atlas/basic");
    let folder = crate::migrate::formats::load(&dir, Some(Format::Atlas)).unwrap();
    let mut s = sink(Format::Atlas, "atlas_schema_revisions", false, &[]);
    s.schema = "atlas_schema_revisions".into();
    s.schema_exists = false;
    s.qualified = "\"atlas_schema_revisions\".\"atlas_schema_revisions\"".into();
    s.versions = folder.migrations.clone();
    let ddl = ddl::create_sql(&s);
    assert!(
        ddl.starts_with("CREATE SCHEMA IF NOT EXISTS \"atlas_schema_revisions\";\n"),
        "{ddl}"
    );
    assert!(ddl.contains("\"type\" bigint NOT NULL DEFAULT 2, \"applied\" bigint NOT NULL DEFAULT 0, \"total\" bigint NOT NULL DEFAULT 0, \"executed_at\" timestamptz NOT NULL, \"execution_time\" bigint NOT NULL, \"error\" text NULL, \"error_stmt\" text NULL, \"hash\" character varying NOT NULL, \"partial_hashes\" jsonb NULL, \"operator_version\" character varying NOT NULL, PRIMARY KEY (\"version\")"), "{ddl}");
    // Two statements, the sum's hash, 3 ms as nanoseconds.
    let first = write::applied(&s, &folder.migrations[0], Some(3));
    assert!(
        first.contains("SELECT '20240201100000', 'create_customers_and_invoices', 2, 2, 2, now(), 3000000, '', '', 'AljhdEqY2sHF5rvDoj4JEfZOT9YdLzYPXzIAof4f2J8=', 'null', 'pgfleet v"),
        "{first}"
    );
    // A file without a name has an empty description; `atlas:delimiter` parts count.
    let third = write::applied(&s, &folder.migrations[2], Some(0));
    assert!(
        third.contains("SELECT '20240201100200', '', 2, 2, 2, now(), 0, '', '', 'CdhhCGZ9uvhEs4uiPf0kzIjyjBFXu3+WdwkAD0Y8gzw='"),
        "{third}"
    );
    // A partly applied revision is brought up to date in place (Atlas's upsert).
    assert!(
        first.starts_with("UPDATE \"atlas_schema_revisions\".\"atlas_schema_revisions\" SET type = 2, applied = 2, total = 2,"),
        "{first}"
    );
    s.exists = true;
    assert_eq!(
        write::rolled_back(&s, "20240201100100", &BTreeSet::new()),
        "DELETE FROM \"atlas_schema_revisions\".\"atlas_schema_revisions\" WHERE version = '20240201100100';\n"
    );
}
