//! Prisma folders whose names share a timestamp: Prisma identifies a migration by its
//! whole folder name (`_prisma_migrations.migration_name`) and applies them in name
//! order, so both apply, in that order, and adoption matches by folder name.

use crate::support::{TestDbs, Workspace, query, query_one};

const ADD_X: &str = "20260630120000_add_x";
const DROP_Y: &str = "20260630120000_drop_y";
const INIT: &str = "20260630110000_init";

fn workspace(dbs: &TestDbs) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\nformat = \"prisma\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("prisma/same-prefix", "db");
    ws
}

fn history(url: &str) -> Vec<(String, String)> {
    query(
        url,
        "SELECT version, applied_by FROM pgfleet.history ORDER BY applied_at, version",
    )
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect()
}

fn steps(url: &str) -> Vec<String> {
    query(url, "SELECT step FROM sp_log ORDER BY at, step")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

fn columns(url: &str) -> Option<String> {
    query_one(
        url,
        "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'sp_item'",
    )
}

#[test]
fn prisma_folders_with_one_timestamp_both_apply_in_name_order() {
    let dbs = TestDbs::new("prisma_same_prefix");
    let ws = workspace(&dbs);
    let out = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &status["databases"][0];
    assert_eq!(db["format"], "prisma");
    let listed: Vec<&str> = db["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [INIT, ADD_X, DROP_Y]);

    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    // `drop_y` drops the column `add_x` adds: it only succeeds second.
    assert_eq!(steps(&url), ["add_x", "drop_y"]);
    assert_eq!(columns(&url).as_deref(), Some("id,label,x"));
    let versions: Vec<String> = history(&url).into_iter().map(|(v, _)| v).collect();
    assert_eq!(versions, [INIT, ADD_X, DROP_Y]);
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}

#[test]
fn prisma_history_is_adopted_by_migration_name() {
    let dbs = TestDbs::new("prisma_same_prefix_adopt");
    let ws = workspace(&dbs);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // What `prisma migrate deploy` leaves after the first two folders.
    for folder in [INIT, ADD_X] {
        query(
            &url,
            &std::fs::read_to_string(ws.join(&format!("db/{folder}/migration.sql"))).unwrap(),
        );
    }
    query(
        &url,
        &format!(
            "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);
             INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES
               ('1', 'x', '2026-06-30 11:00:00+00', '{INIT}', 1),
               ('2', 'x', '2026-06-30 12:00:00+00', '{ADD_X}', 1),
               -- rolled back: not applied
               ('3', 'x', '2026-06-30 12:00:00+00', '{DROP_Y}', 0);
             UPDATE _prisma_migrations SET finished_at = NULL, rolled_back_at = now() WHERE id = '3';"
        ),
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!([INIT, ADD_X]), "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 1, "{db}");
    assert_eq!(steps(&url), ["add_x", "drop_y"]);
    assert_eq!(
        history(&url),
        [
            (
                INIT.to_owned(),
                "adopted from _prisma_migrations".to_owned()
            ),
            (
                ADD_X.to_owned(),
                "adopted from _prisma_migrations".to_owned()
            ),
            (DROP_Y.to_owned(), pgfleet_user(&url)),
        ]
    );
}

/// Who pgfleet records as having applied a migration (`user@host`), read back.
fn pgfleet_user(url: &str) -> String {
    query_one(
        url,
        "SELECT applied_by FROM pgfleet.history WHERE applied_by NOT LIKE 'adopted%' LIMIT 1",
    )
    .unwrap()
}

/// History recorded by an earlier pgfleet, which named a Prisma migration by its
/// timestamp alone, still counts: the row is the folder `<timestamp>_<name>`, and
/// `migrate` records it under the folder name from then on.
#[test]
fn prisma_rows_recorded_by_timestamp_still_match_their_folder() {
    let dbs = TestDbs::new("prisma_same_prefix_legacy");
    let ws = workspace(&dbs);
    ws.pgfleet().args(["create"]).success();
    ws.pgfleet().args(["migrate", "--to", ADD_X]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "UPDATE pgfleet.history SET version = split_part(version, '_', 1)",
    );
    let out = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &status["databases"][0];
    assert_eq!(
        (db["applied"].as_u64(), db["pending"].as_u64()),
        (Some(2), Some(1)),
        "{db}"
    );
    assert_eq!(db["missing"].as_u64(), Some(0), "{db}");
    // status is read-only: the old rows are as they were.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version, ',' ORDER BY version) FROM pgfleet.history"
        )
        .as_deref(),
        Some("20260630110000,20260630120000")
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(steps(&url), ["add_x", "drop_y"]);
    let versions: Vec<String> = history(&url).into_iter().map(|(v, _)| v).collect();
    assert_eq!(versions, [INIT, ADD_X, DROP_Y]);
}

/// The large Prisma fixture (tests/fixtures/generate-prisma.py: 300 migrations with
/// same-timestamp pairs whose second needs the first, the engine's `-- AlterEnum`
/// `BEGIN; ... COMMIT;` blocks mid-script, enum values used by later migrations),
/// applied in folder-name order, each exactly once.
#[test]
fn prisma_app_fixture_applies_in_name_order() {
    let dbs = TestDbs::new("prisma_app");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("prisma/app", "db");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'"
        )
        .as_deref(),
        Some("300")
    );
    let want: Vec<String> = (10..309).map(|i| i.to_string()).collect();
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(step, ',' ORDER BY n) FROM \"Step\""
        ),
        Some(want.join(","))
    );
    // Every block ran: HIDDEN is gone from each enum the engine rewrote.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname LIKE 'Item%State' AND e.enumlabel = 'HIDDEN'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'Item300State'"
        )
        .as_deref(),
        Some("DRAFT,PUBLISHED,ARCHIVED")
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}
