//! Supabase CLI projects on real PostgreSQL: `supabase/migrations` beside a
//! `config.toml` with `[db]`, each file run as the CLI runs it (one transaction, the
//! session reset between files), `[db.seed]` files as the database's seeds, adoption of
//! `supabase_migrations.schema_migrations`, and migrations needing Supabase's own schemas
//! refused before anything runs.
//!
//! The Supabase CLI needs Docker and a Supabase Postgres image, which this machine cannot
//! run: the fixtures follow the CLI's published behaviour (supabase/cli `pkg/migration`:
//! `ListLocalMigrations`, `ApplyMigrations`, `ExecBatch`, `SeedData`; `pkg/config`
//! `[db.seed] sql_paths`), and `tests/fixtures/supabase/platform-stub.sql` stands in for
//! the schemas and roles a Supabase database has.

use std::sync::{Mutex, MutexGuard};

use crate::support::{TestDbs, Workspace, fixture, query, query_one};

fn workspace(dbs: &TestDbs, fixture_rel: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"supabase/migrations\"\n",
        dbs.manifest_head()
    ));
    ws.fixture(fixture_rel, "supabase");
    ws
}

fn column(url: &str, sql: &str) -> Vec<String> {
    query(url, sql)
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

fn history(url: &str) -> Vec<(String, String)> {
    query(
        url,
        "SELECT version, applied_by FROM pgfleet.history ORDER BY version",
    )
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect()
}

/// Supabase's roles are cluster-wide: one test at a time has them, and they are dropped
/// after its databases are (a guard made before the test's `TestDbs`).
static ROLES: Mutex<()> = Mutex::new(());

struct PlatformRoles {
    _lock: MutexGuard<'static, ()>,
}

impl PlatformRoles {
    /// Takes the lock, with none of the roles there yet.
    fn take() -> PlatformRoles {
        let roles = PlatformRoles {
            _lock: ROLES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        };
        PlatformRoles::drop_roles();
        roles
    }

    /// A role still used by a database kept for a look (a failed test) stays.
    fn drop_roles() {
        query(
            &crate::support::cluster().url,
            "DO $$ DECLARE r text; BEGIN
               FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
                 BEGIN EXECUTE format('DROP ROLE IF EXISTS %I', r);
                 EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END;
               END LOOP; END $$",
        );
    }
}

impl Drop for PlatformRoles {
    fn drop(&mut self) {
        PlatformRoles::drop_roles();
    }
}

/// The stand-in for what a Supabase database has, in the test's database `app`.
fn platform_stub(ws: &Workspace, dbs: &TestDbs) -> String {
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let stub = std::fs::read_to_string(fixture("supabase/platform-stub.sql")).unwrap();
    query(&url, &stub);
    url
}

#[test]
fn supabase_project_applies_as_the_cli_runs_it_with_its_seeds() {
    let _roles = PlatformRoles::take();
    let dbs = TestDbs::new("supabase_project");
    let ws = workspace(&dbs, "supabase/project/supabase");
    let url = platform_stub(&ws, &dbs);
    // `up` on the created database migrates it; `seed` runs the project's seed files.
    ws.pgfleet()
        .args(["up", "-v"])
        .success()
        .stderr_contains("README.md");
    ws.pgfleet().args(["seed"]).success();
    assert_eq!(history(&url).len(), 160);
    // The table created without a schema after the `supabase db dump`-style file that
    // emptied search_path is in public: the session was reset between files.
    assert_eq!(
        query_one(
            &url,
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'tags_57'"
        )
        .as_deref(),
        Some("public")
    );
    // The enum change made in its own file, and used by the next one.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum JOIN pg_type t ON t.oid = enumtypid WHERE typname = 'item_state_10'"
        )
        .as_deref(),
        Some("draft,published,archived")
    );
    // CONCURRENTLY alone in its file: built, valid.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'items\\_%\\_title\\_idx' AND i.indisvalid"
        )
        .as_deref(),
        Some("15")
    );
    // Policies for Supabase's roles, and the file with its own BEGIN; ... COMMIT;.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_policies WHERE schemaname = 'public' AND 'authenticated' = ANY (roles)"
        )
        .as_deref(),
        Some("21")
    );
    assert_eq!(
        query_one(&url, "SELECT 'admin'::public.team_role::text").as_deref(),
        Some("admin")
    );
    // Seeds: seed.sql, then seeds/*.sql in name order (notes need the teams).
    assert_eq!(
        query_one(
            &url,
            "SELECT (SELECT count(*) FROM public.plans) || ',' || (SELECT count(*) FROM public.teams) || ',' || (SELECT count(*) FROM public.notes)"
        )
        .as_deref(),
        Some("2,2,2")
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "supabase");
    assert_eq!(status["databases"][0]["applied"], 160);
    // The CLI's table lists every file, as `supabase db push` leaves it; a second run
    // applies nothing.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM supabase_migrations.schema_migrations"
        )
        .as_deref(),
        Some("160")
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    assert_eq!(history(&url).len(), 160);
}

#[test]
fn supabase_seed_sql_runs_when_up_creates_the_database() {
    let dbs = TestDbs::new("supabase_basic_up");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(history(&url).len(), 4);
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(code, ',' ORDER BY code) FROM public.countries"
        )
        .as_deref(),
        Some("fr,jp")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'districts'"
        )
        .as_deref(),
        Some("public")
    );
}

#[test]
fn supabase_schema_migrations_is_adopted_and_the_rest_applied_once() {
    let dbs = TestDbs::new("supabase_adopt");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // What `supabase db push` had applied: the first two files, recorded as the CLI
    // records them (CreateMigrationTable, then one INSERT per file in its batch).
    query(
        &url,
        "CREATE TABLE public.countries (code text PRIMARY KEY, name text NOT NULL);
         CREATE TYPE public.city_size AS ENUM ('town', 'city');
         CREATE TABLE public.cities (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, country_code text NOT NULL REFERENCES public.countries (code), name text NOT NULL, size public.city_size NOT NULL DEFAULT 'town');
         CREATE SCHEMA IF NOT EXISTS supabase_migrations;
         CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
         ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
         ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
         INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES
           ('20240301100000', 'create_countries', ARRAY['create table public.countries (code text primary key, name text not null)']),
           ('20240301110000', 'create_cities', ARRAY['create type public.city_size as enum (''town'', ''city'')', 'create table public.cities (...)']);",
    );
    ws.pgfleet().args(["migrate"]).success();
    let rows = history(&url);
    assert_eq!(rows.len(), 4, "{rows:?}");
    let adopted = "adopted from supabase_migrations.schema_migrations";
    assert_eq!(rows[0], ("20240301100000".to_owned(), adopted.to_owned()));
    assert_eq!(rows[1].1, adopted);
    assert!(!rows[2].1.starts_with("adopted"), "{rows:?}");
    assert!(!rows[3].1.starts_with("adopted"), "{rows:?}");
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'cities' AND column_name = 'population'"
        )
        .as_deref(),
        Some("1")
    );
    // The CLI's two rows are left as it wrote them; the files pgfleet applied join them.
    assert_eq!(
        column(
            &url,
            "SELECT version || ' ' || name || ' ' || cardinality(statements) FROM supabase_migrations.schema_migrations ORDER BY version"
        ),
        [
            "20240301100000 create_countries 1",
            "20240301110000 create_cities 2",
            "20240301120000 dump_settings 3",
            "20240301130000 create_districts 1",
        ]
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(history(&url).len(), 4);
}

#[test]
fn supabase_is_told_from_native_by_its_config() {
    let dbs = TestDbs::new("supabase_detect");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.pgfleet().args(["create"]).success();
    let format = |ws: &Workspace| {
        let status = ws.pgfleet().args(["status", "--json"]).success();
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        status["databases"][0]["format"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(format(&ws), "supabase");
    // The same files with a config.toml that has no `[db]`, or none, are native.
    ws.write(
        "supabase/config.toml",
        "project_id = \"basic\"\n[api]\nport = 54321\n",
    );
    assert_eq!(format(&ws), "native");
    std::fs::remove_file(ws.join("supabase/config.toml")).unwrap();
    assert_eq!(format(&ws), "native");
    // A config.toml that is not TOML is named, not taken for native.
    ws.write("supabase/config.toml", "[db\nport = 1\n");
    ws.pgfleet()
        .args(["status"])
        .expect_code(2)
        .stderr_contains("config.toml:1");
}

#[test]
fn supabase_migration_needing_auth_fails_naming_it_and_applies_nothing() {
    let dbs = TestDbs::new("supabase_needs_auth");
    let ws = workspace(&dbs, "supabase/needs_auth/supabase");
    ws.pgfleet().args(["create"]).success();
    // A dry run says so too.
    ws.pgfleet()
        .args(["migrate", "--dry-run"])
        .expect_code(1)
        .stderr_contains("needs Supabase's schema `auth`");
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    out.stderr_contains("error: `app`: `")
        .stderr_contains(
            "/supabase/migrations/20240401100000_todos_owner.sql` needs Supabase's schema `auth`, which this database does not have; nothing was applied",
        )
    .stderr_contains("`supabase start`")
    .stderr_contains("CREATE SCHEMA auth;");
    let url = dbs.url(&dbs.name("app"));
    // Not even the first file, which needs nothing of Supabase's.
    assert_eq!(
        query_one(&url, "SELECT to_regclass('public.todos')::text"),
        None
    );
    let recorded = match query_one(&url, "SELECT to_regclass('pgfleet.history')::text") {
        Some(_) => query_one(&url, "SELECT count(*) FROM pgfleet.history"),
        None => Some("0".to_owned()),
    };
    assert_eq!(recorded.as_deref(), Some("0"));
    // With the schema there (and its users table), everything applies.
    query(
        &url,
        "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$;",
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(history(&url).len(), 3);
}

#[test]
fn supabase_version_used_twice_is_refused_naming_both_files() {
    let dbs = TestDbs::new("supabase_duplicate");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.write(
        "supabase/migrations/20240301110000_create_towns.sql",
        "create table public.towns (id int);\n",
    );
    ws.pgfleet()
        .args(["up"])
        .expect_code(2)
        .stderr_contains("version 20240301110000 is used twice")
        .stderr_contains("20240301110000_create_cities.sql")
        .stderr_contains("20240301110000_create_towns.sql");
    // Folders are read before anything connects: no database was created.
    assert!(dbs.existing().is_empty(), "{:?}", dbs.existing());
}

#[test]
fn supabase_concurrently_after_another_statement_is_refused_as_the_cli_would_fail() {
    let dbs = TestDbs::new("supabase_concurrently");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.write(
        "supabase/migrations/20240301140000_city_names.sql",
        "alter table public.cities add column alias text;\ncreate index concurrently cities_name_idx on public.cities (name);\n",
    );
    ws.pgfleet()
        .args(["up"])
        .expect_code(1)
        .stderr_contains("20240301140000_city_names.sql:2: `create index concurrently cities_name_idx ...` cannot run inside a transaction")
        .stderr_contains("migration file of its own");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('public.countries')::text"),
        None
    );
    // Alone in its file, it runs (outside a transaction).
    ws.write(
        "supabase/migrations/20240301140000_city_names.sql",
        "alter table public.cities add column alias text;\n",
    );
    ws.write(
        "supabase/migrations/20240301150000_city_names_index.sql",
        "create index concurrently cities_name_idx on public.cities (name);\n",
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(history(&url).len(), 6);
}

#[test]
fn supabase_grant_to_a_missing_role_fails_naming_the_role() {
    let _roles = PlatformRoles::take();
    let dbs = TestDbs::new("supabase_needs_role");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.write(
        "supabase/migrations/20240301140000_grants.sql",
        "grant select on public.countries to anon, authenticated;\n",
    );
    ws.pgfleet()
        .args(["up"])
        .expect_code(1)
        .stderr_contains("20240301140000_grants.sql` needs Supabase's roles `anon`, `authenticated`, which this database does not have; nothing was applied")
        .stderr_contains("CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN;");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('public.countries')::text"),
        None
    );
}

#[test]
fn supabase_new_writes_the_clis_file_name() {
    let dbs = TestDbs::new("supabase_new");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    let out = ws.pgfleet().args(["new", "app", "add towns"]).success();
    let written = out.stdout.trim();
    let name = written.rsplit('/').next().unwrap();
    let (digits, rest) = name.split_once('_').unwrap();
    assert_eq!(digits.len(), 14, "{written}");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{written}");
    assert_eq!(rest, "add_towns.sql");
    assert_eq!(std::fs::read_to_string(ws.join(written)).unwrap(), "");
}

#[test]
fn supabase_seed_file_also_in_the_seeds_folder_runs_once() {
    let dbs = TestDbs::new("supabase_seed_once");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"supabase/migrations\"\nseeds = \"supabase\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("supabase/basic/supabase", "supabase");
    let out = ws.pgfleet().args(["up", "--json"]).success();
    assert_eq!(out.stdout.matches("seed.sql").count(), 1, "{}", out.stdout);
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM public.countries").as_deref(),
        Some("2")
    );
}

/// `peer_history = "sync"` (the default): pgfleet writes the CLI's own table as `supabase
/// db push` does (supabase/cli `pkg/migration/history.go` `CreateMigrationTable`, then
/// per file `file.go` `ExecBatch`'s `INSERT ... (version, name, statements)`, the
/// statements as `pkg/parser/token.go` `SplitAndTrim` cuts them: comments kept with the
/// statement they precede, no `;`). A file the CLI then applied itself, its row inserted
/// as `ExecBatch` does, is recorded as the CLI's and not run again.
#[test]
fn supabase_cli_table_is_written_as_the_cli_writes_it() {
    let dbs = TestDbs::new("supabase_sync");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        column(
            &url,
            "SELECT version || ' ' || name FROM supabase_migrations.schema_migrations ORDER BY version"
        ),
        [
            "20240301100000 create_countries",
            "20240301110000 create_cities",
            "20240301120000 dump_settings",
            "20240301130000 create_districts",
        ]
    );
    assert_eq!(
        column(
            &url,
            "SELECT unnest(statements) FROM supabase_migrations.schema_migrations WHERE version = '20240301120000'"
        ),
        [
            "-- as `supabase db dump` writes a file: the session's search_path is emptied\nSET statement_timeout = 0",
            "SELECT pg_catalog.set_config('search_path', '', false)",
            "ALTER TABLE \"public\".\"cities\" ADD COLUMN \"population\" bigint",
        ]
    );
    assert_eq!(
        column(
            &url,
            "SELECT unnest(statements) FROM supabase_migrations.schema_migrations WHERE version = '20240301100000'"
        ),
        ["create table public.countries (\n  code text primary key,\n  name text not null\n)"]
    );
    // The CLI's DDL: `version text NOT NULL PRIMARY KEY`, `statements text[]`, `name text`.
    assert_eq!(
        column(
            &url,
            "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'supabase_migrations.schema_migrations'::regclass AND attnum > 0 ORDER BY attnum"
        ),
        ["version text", "statements text[]", "name text"]
    );

    // `supabase migration new` + `supabase db push` of one more file: its statements run
    // and its row is written in one batch.
    std::fs::write(
        ws.join("supabase/migrations/20240301140000_create_streets.sql"),
        "create table public.streets (id bigint primary key);\n",
    )
    .unwrap();
    query(
        &url,
        "create table public.streets (id bigint primary key);
         INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES ('20240301140000', 'create_streets', ARRAY['create table public.streets (id bigint primary key)']);",
    );
    ws.pgfleet().args(["migrate"]).success();
    let rows = history(&url);
    assert_eq!(
        rows.last().unwrap(),
        &(
            "20240301140000".to_owned(),
            "supabase (read from supabase_migrations.schema_migrations)".to_owned()
        ),
        "{rows:?}"
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM supabase_migrations.schema_migrations"
        )
        .as_deref(),
        Some("5")
    );
}

/// A table left by a CLI older than `statements` and `name` (`version` only): the first
/// file pgfleet applies adds them, as the CLI's `CreateMigrationTable` does before each
/// push (supabase/cli `pkg/migration/history.go`), and the CLI's old row stays.
#[test]
fn supabase_table_of_an_older_cli_gets_its_columns() {
    let dbs = TestDbs::new("supabase_sync_old");
    let ws = workspace(&dbs, "supabase/basic/supabase");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "CREATE TABLE public.countries (code text PRIMARY KEY, name text NOT NULL);
         CREATE SCHEMA supabase_migrations;
         CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
         INSERT INTO supabase_migrations.schema_migrations VALUES ('20240301100000');",
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        column(
            &url,
            "SELECT version || ' ' || coalesce(name, '-') || ' ' || coalesce(cardinality(statements), 0) FROM supabase_migrations.schema_migrations ORDER BY version"
        ),
        [
            "20240301100000 - 0",
            "20240301110000 create_cities 2",
            "20240301120000 dump_settings 3",
            "20240301130000 create_districts 1",
        ]
    );
}
