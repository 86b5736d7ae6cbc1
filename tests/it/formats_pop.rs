//! gobuffalo/pop folders on real PostgreSQL: only the `postgres` or dialect-less file
//! of each version runs, `.autocommit.` files run outside a transaction, `.fizz` files
//! block, and pop's `schema_migration` table is adopted.

use crate::support::{TestDbs, Workspace, query, query_one};

fn workspace(dbs: &TestDbs, db: &str, fixture_rel: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.{db}]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.fixture(fixture_rel, "db");
    ws
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

fn tables(url: &str) -> Vec<String> {
    query(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'pop\\_%' ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect()
}

#[test]
fn pop_runs_only_postgres_and_dialectless_files() {
    let dbs = TestDbs::new("pop_basic");
    let ws = workspace(&dbs, "app", "pop/basic");
    ws.pgfleet()
        .args(["up", "-v"])
        .success()
        .stderr_contains("outside a transaction")
        .stderr_contains("20240101000005_mysql_tuning.mysql.up.sql");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(tables(&url), ["pop_orgs", "pop_users"]);
    // The postgres file of version 1 ran (the enum), not the dialect-less one.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum JOIN pg_type t ON t.oid = enumtypid WHERE typname = 'pop_user_state'"
        )
        .as_deref(),
        Some("active,blocked,deleted")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'pop_users_email' AND i.indisvalid"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        query_one(&url, "SELECT name FROM pop_orgs").as_deref(),
        Some("default")
    );
    let versions: Vec<String> = history(&url).into_iter().map(|(v, _)| v).collect();
    assert_eq!(
        versions,
        [
            "20240101000001",
            "20240101000002",
            "20240101000003",
            "20240101000004",
            "20240101000006"
        ]
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "pop");
    // A second run applies nothing.
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(history(&url).len(), 5);
}

#[test]
fn pop_schema_migration_is_adopted() {
    let dbs = TestDbs::new("pop_adopt");
    let ws = workspace(&dbs, "app", "pop/basic");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // What pop had applied: versions 1 and 2, as pop's own table records them.
    query(
        &url,
        "CREATE TYPE pop_user_state AS ENUM ('active', 'blocked');
         CREATE TABLE pop_users (id bigserial PRIMARY KEY, email text NOT NULL, state pop_user_state NOT NULL DEFAULT 'active');
         CREATE TABLE pop_orgs (id bigserial PRIMARY KEY, name text NOT NULL);
         CREATE TABLE schema_migration (version varchar(14) NOT NULL);
         CREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version);
         INSERT INTO schema_migration VALUES ('20240101000001'), ('20240101000002');",
    );
    ws.pgfleet().args(["migrate"]).success();
    let rows = history(&url);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        rows[0],
        (
            "20240101000001".to_owned(),
            "adopted from schema_migration".to_owned()
        )
    );
    assert_eq!(rows[1].1, "adopted from schema_migration");
    assert!(!rows[2].1.starts_with("adopted"), "{rows:?}");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pop_orgs").as_deref(),
        Some("1")
    );
    // pop's table also lists the three pgfleet applied (`peer_history = "sync"`).
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM schema_migration").as_deref(),
        Some("5")
    );
}

#[test]
fn pop_mysql_only_folder_is_refused() {
    let dbs = TestDbs::new("pop_mysql");
    let ws = workspace(&dbs, "app", "pop/mysql_only");
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(2)
        .stderr_contains("is written for MySQL, not PostgreSQL")
        .stderr_contains("20240101000001_x.mysql.up.sql");
}

#[test]
fn pop_fizz_blocks_until_pop_applied_it() {
    let dbs = TestDbs::new("pop_fizz");
    let ws = workspace(&dbs, "app", "pop/fizz");
    ws.pgfleet().args(["create"]).success();
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(1)
        .stderr_contains("pgfleet cannot run `")
        .stderr_contains(
            "20240101000002_things.up.fizz`: pop `.fizz` migrations are pop's own language",
        );
    let url = dbs.url(&dbs.name("app"));
    assert!(tables(&url).is_empty(), "{:?}", tables(&url));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('pgfleet.history') IS NULL OR (SELECT count(*) = 0 FROM pgfleet.history)").as_deref(),
        Some("t")
    );
}

/// The large pop fixture (tests/fixtures/generate-pop.py, 300 versions in four dialects
/// and none) applied as pop applies it on PostgreSQL: detected without `format`, in
/// text order (its last era of 14-digit versions uses tables the 20-digit era made,
/// so numeric order would fail), never a dialect-less file where a `postgres` one
/// exists, the `.autocommit.` indexes built concurrently and valid.
#[test]
fn pop_app_fixture_applies_in_pops_order() {
    let dbs = TestDbs::new("pop_app");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"app/migrations\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("pop/app", "app");
    ws.pgfleet()
        .args(["up"])
        .success()
        .stderr_contains("mysql_tuning_25.mysql.up.sql");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'"
        )
        .as_deref(),
        Some("294")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'pop_ran_dialectless%'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FILTER (WHERE NOT i.indisvalid) || '/' || count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%\\_idx\\_%'"
        )
        .as_deref(),
        Some("0/54")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_enum WHERE enumtypid = 'identity_state'::regtype"
        )
        .as_deref(),
        Some("32")
    );
    ws.pgfleet().args(["status", "--check"]).success();
}

/// pop's history table is the one `database.yml` names (`migration_table_name`): adopted
/// from, never written, and kept by `clean`.
#[test]
fn pop_table_named_by_database_yml_is_adopted_and_kept() {
    let dbs = TestDbs::new("pop_config_table");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"app/migrations\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("pop/basic", "app/migrations").write(
        "app/config/database.yml",
        "development:\n  dialect: postgres\n  database: app\n  options:\n    migration_table_name: app_migrations\n",
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "CREATE TYPE pop_user_state AS ENUM ('active', 'blocked');
         CREATE TABLE pop_users (id bigserial PRIMARY KEY, email text NOT NULL, state pop_user_state NOT NULL DEFAULT 'active');
         CREATE TABLE pop_orgs (id bigserial PRIMARY KEY, name text NOT NULL);
         CREATE TABLE app_migrations (version varchar(48) NOT NULL, version_self int NOT NULL DEFAULT 0);
         INSERT INTO app_migrations (version) VALUES ('20240101000001'), ('20240101000002');",
    );
    ws.pgfleet().args(["migrate"]).success();
    let rows = history(&url);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[0].1, "adopted from app_migrations");
    assert_eq!(rows[1].1, "adopted from app_migrations");
    assert!(!rows[2].1.starts_with("adopted"), "{rows:?}");
    ws.pgfleet().args(["clean", "app"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM app_migrations").as_deref(),
        Some("2")
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pop_orgs").as_deref(),
        Some("0")
    );
}
