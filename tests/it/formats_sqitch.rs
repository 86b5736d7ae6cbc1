//! Sqitch projects: plan order with reworked changes, adoption of the `sqitch.changes`
//! registry (also from a schema placement), `migrate --verify`, revert scripts as
//! rollbacks, scripts with their own transactions, and a round trip with the real sqitch.

use std::process::Command;

use crate::support::{TestDbs, Workspace, query, query_one, tools};

/// A registry as sqitch leaves it after deploying the plan up to `@v1.0`; only the
/// columns adoption reads, plus a row of another project that must not count.
const REGISTRY: &str = "CREATE SCHEMA sqitch;
CREATE TABLE sqitch.changes (change_id text PRIMARY KEY, change text NOT NULL, project text NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO sqitch.changes VALUES
  ('a1', 'statuses', 'shop', '2026-11-25 10:00:00+00'),
  ('a2', 'customers', 'shop', '2026-11-25 10:00:01+00'),
  ('b1', 'invoices', 'other_project', '2026-11-25 10:00:02+00');";

fn deploy_first_two(url: &str, ws: &Workspace, search_path: &str) {
    let body = |rel: &str| std::fs::read_to_string(ws.join(rel)).unwrap();
    query(
        url,
        &format!(
            "SET search_path = {search_path}; {} {}",
            body("shop/deploy/statuses.sql"),
            body("shop/deploy/customers@v1.0.sql")
        ),
    );
    query(url, REGISTRY);
}

/// A workspace whose database `app` (under manifest `head`) migrates from a copy of
/// the `sqitch/basic` project in `shop`.
fn shop(head: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!("{head}[databases.app]\nmigrations = \"shop\"\n"));
    ws.fixture("sqitch/basic", "shop");
    ws
}

/// The rows of `sql`, none of whose values may be NULL.
fn text_rows(url: &str, sql: &str) -> Vec<Vec<String>> {
    query(url, sql)
        .into_iter()
        .map(|row| row.into_iter().map(Option::unwrap).collect())
        .collect()
}

/// In a schema placement (a shared database, schema `app`), the registry in schema
/// `sqitch` is found, the two deployed changes adopted, and the rest applied once, with
/// the reworked change's two instances told apart.
#[test]
fn sqitch_registry_is_adopted_and_the_rest_deployed_once() {
    let dbs = TestDbs::new("sqitch_adopt");
    let head = dbs.manifest_head().replace(
        &format!("database = \"{}_{{name}}\"", dbs.prefix),
        &format!(
            "database = \"{}_shared\"\nschema = \"{{name}}\"",
            dbs.prefix
        ),
    );
    let ws = shop(&head);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("shared"));
    deploy_first_two(&url, &ws, "app");

    let out = ws
        .pgfleet()
        .args(["migrate", "--verify", "--json"])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0001", "0002"]), "{db}");
    let applied: Vec<&str> = db["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["version"].as_str().unwrap())
        .collect();
    assert_eq!(applied, ["0003", "0004"], "{db}");
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'customers'"
        )
        .as_deref(),
        Some("id,email,name")
    );
    // The script with two transactions of its own ran as written: both parts.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' AND indexname = 'invoices_customer_idx'"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        text_rows(
            &url,
            "SELECT version, name, applied_by = 'adopted from sqitch.changes' FROM pgfleet.history ORDER BY version"
        ),
        [
            ["0001", "statuses", "t"],
            ["0002", "customers", "t"],
            ["0003", "invoices", "f"],
            ["0004", "customers", "f"],
        ]
    );
    ws.pgfleet().args(["migrate", "--verify"]).success();
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "sqitch");
    assert_eq!(status["databases"][0]["applied"], 4);
    // The registry, older than Sqitch 1.0 (no `script_hash`, no other tables), gets the
    // two changes pgfleet deployed, in the columns it has; the other project's row stays.
    let registry =
        "SELECT change || ' ' || project FROM sqitch.changes ORDER BY committed_at, change";
    assert_eq!(
        text_rows(&url, registry),
        [
            ["statuses shop"],
            ["customers shop"],
            ["invoices other_project"],
            ["invoices shop"],
            ["customers shop"],
        ]
    );

    // Revert scripts are the rollbacks: the rework's, then the two-block script's.
    ws.pgfleet()
        .args(["rollback", "app", "--count", "2", "-y"])
        .success();
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, ordinal_position) FROM information_schema.columns WHERE table_schema = 'app'"
        )
        .as_deref(),
        Some("customers.id,customers.email")
    );
    // Their registry rows went with them.
    assert_eq!(
        text_rows(&url, registry),
        [
            ["statuses shop"],
            ["customers shop"],
            ["invoices other_project"],
        ]
    );
}

/// A failing verify script fails its migration and leaves nothing of it: in pgfleet's
/// transaction it rolls back; after a script that committed on its own, its revert
/// script undoes it.
#[test]
fn failing_verify_scripts_undo_their_migration() {
    let dbs = TestDbs::new("sqitch_verify");
    let ws = shop(&dbs.manifest_head());
    ws.write(
        "shop/verify/invoices.sql",
        "-- Verify shop:invoices on pg\n\nBEGIN;\n\nSELECT total FROM invoices WHERE false;\n\nROLLBACK;\n",
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let out = ws.pgfleet().args(["migrate", "--verify"]).expect_code(1);
    out.stderr_contains(&format!(
        "the verify script of `0003` (invoices) failed: `app`: {}:5: column \"total\" does not exist",
        ws.join("shop/verify/invoices.sql").display()
    ));
    out.stderr_contains("the migration ran outside a transaction; its down script undid it");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('invoices') IS NULL").as_deref(),
        Some("t")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version, ',' ORDER BY version) FROM pgfleet.history"
        )
        .as_deref(),
        Some("0001,0002")
    );

    // In a transaction: the rework's check fails, its ALTER is rolled back with it.
    ws.write(
        "shop/verify/invoices.sql",
        "BEGIN;\nSELECT id FROM invoices WHERE false;\nROLLBACK;\n",
    );
    ws.write(
        "shop/verify/customers.sql",
        "BEGIN;\nSELECT nickname FROM customers WHERE false;\nROLLBACK;\n",
    );
    let out = ws.pgfleet().args(["migrate", "--verify"]).expect_code(1);
    out.stderr_contains(&format!(
        "the verify script of `0004` (customers) failed: `app`: {}:2: column \"nickname\" does not exist",
        ws.join("shop/verify/customers.sql").display()
    ));
    out.stderr_contains("the migration was rolled back with it");
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'name'"
        )
        .as_deref(),
        Some("0")
    );
    // Without --verify the checks do not run.
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("4")
    );
}

/// The real sqitch deploys the plan up to `@v1.0`; pgfleet adopts that from the
/// registry sqitch wrote and deploys the rest exactly once.
#[test]
fn sqitch_round_trip() {
    let Some(sqitch) = tools::sqitch("sqitch_round_trip") else {
        return;
    };
    let dbs = TestDbs::new("sqitch_tool");
    let ws = shop(&dbs.manifest_head());
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let target = format!("db:{}", url.replace("postgresql://", "pg://"));
    let out = Command::new(sqitch)
        .args(["deploy", "--verify", "--to", "@v1.0", &target])
        .current_dir(ws.join("shop"))
        .env("SQITCH_FULLNAME", "CI")
        .env("SQITCH_EMAIL", "ci@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sqitch deploy: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ws
        .pgfleet()
        .args(["migrate", "--verify", "--json"])
        .env("SQITCH_FULLNAME", "CI")
        .env("SQITCH_EMAIL", "ci@example.com")
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0001", "0002"]), "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 2, "{db}");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("4")
    );
    // Sqitch's two, and the two pgfleet deployed, written as Sqitch writes them.
    assert_eq!(
        text_rows(
            &url,
            "SELECT change || ' ' || committer_name FROM sqitch.changes ORDER BY committed_at"
        ),
        [
            ["statuses CI"],
            ["customers CI"],
            ["invoices CI"],
            ["customers CI"],
        ]
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'name'"
        )
        .as_deref(),
        Some("1")
    );
}
