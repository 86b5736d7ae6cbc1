//! `drift`: the live schema against a shadow database built from the
//! migrations; every difference named, exit 3, no shadow left behind.

use crate::support::{TestDbs, Workspace, cluster, query};

/// One migration folder every drift case starts from.
const MIGRATION: &str = "\
CREATE TABLE invoices (
    id serial PRIMARY KEY,
    user_id int NOT NULL,
    total numeric(10,2) NOT NULL DEFAULT 0
);
CREATE INDEX invoices_user_idx ON invoices (user_id);
CREATE FUNCTION invoice_count() RETURNS bigint LANGUAGE sql AS $$SELECT count(*) FROM invoices$$;
";

/// Shadow databases of logical databases whose name starts with `prefix`.
fn shadows(prefix: &str) -> Vec<String> {
    query(
        &cluster().url,
        &format!(
            "SELECT datname FROM pg_database WHERE datname LIKE 'pgfleet\\_shadow\\_{prefix}%' ORDER BY 1"
        ),
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap_or_default())
    .collect()
}

/// A workspace with one logical database per name, each with `MIGRATION`.
fn workspace(dbs: &TestDbs, names: &[&str]) -> Workspace {
    let mut manifest = dbs.manifest_head();
    for name in names {
        manifest.push_str(&format!("[databases.{name}]\nmigrations = \"{name}\"\n"));
    }
    let ws = Workspace::with_manifest(&manifest);
    for name in names {
        ws.write(&format!("{name}/0001_invoices.sql"), MIGRATION);
    }
    ws
}

#[test]
fn a_clean_database_has_no_drift() {
    let dbs = TestDbs::new("drift_clean");
    let ws = workspace(&dbs, &["dclean_a", "dclean_b"]);
    ws.pgfleet().args(["up"]).success();
    let out = ws.pgfleet().args(["drift"]).success();
    out.stdout_contains("dclean_a: no drift")
        .stdout_contains("dclean_b: no drift");
    let json = ws.pgfleet().args(["drift", "--json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["databases"][0]["state"], "no_drift");
    assert_eq!(doc["databases"][0]["differences"], serde_json::json!([]));
    assert_eq!(shadows("dclean_"), Vec::<String>::new());
}

#[test]
fn each_change_is_named_and_exits_3() {
    let dbs = TestDbs::new("drift_changes");
    let cases: [(&str, &str, &str); 5] = [
        (
            "dch_column",
            "ALTER TABLE invoices ADD COLUMN memo text",
            "column public.invoices.memo: added",
        ),
        (
            "dch_index",
            "DROP INDEX invoices_user_idx",
            "index public.invoices_user_idx: removed",
        ),
        (
            "dch_default",
            "ALTER TABLE invoices ALTER COLUMN total SET DEFAULT 1",
            "column public.invoices.total: default 0 -> 1",
        ),
        (
            "dch_function",
            "CREATE OR REPLACE FUNCTION invoice_count() RETURNS bigint LANGUAGE sql AS $$SELECT count(*) + 1 FROM invoices$$",
            "function public.invoice_count(): body changed",
        ),
        (
            "dch_table",
            "CREATE TABLE notes (id int)",
            "table public.notes: added",
        ),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let ws = workspace(&dbs, &names);
    ws.pgfleet().args(["up"]).success();
    for (name, sql, _) in &cases {
        query(&dbs.url(&dbs.name(name)), sql);
    }
    for (name, _, want) in &cases {
        let out = ws.pgfleet().args(["drift", name]).expect_code(3);
        out.stdout_contains(&format!("  {want}\n"));
        assert_eq!(
            out.stdout.lines().filter(|l| l.starts_with("  ")).count(),
            1,
            "{name}: {}",
            out.stdout
        );
    }
    // `-q` keeps the differences (the reason for exit 3), drops the "no drift" lines.
    let quiet = ws.pgfleet().args(["-q", "drift"]).expect_code(3);
    for (_, _, want) in &cases {
        quiet.stdout_contains(&format!("  {want}\n"));
    }
    assert!(!quiet.stdout.contains("no drift"), "{}", quiet.stdout);
    let all = ws.pgfleet().args(["drift", "--json"]).expect_code(3);
    let doc: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    let column = &doc["databases"][0];
    assert_eq!(column["database"], "dch_column");
    assert_eq!(column["state"], "drifted");
    assert_eq!(
        column["differences"],
        serde_json::json!([{
            "kind": "column", "name": "public.invoices.memo", "change": "added"
        }])
    );
    assert_eq!(shadows("dch_"), Vec::<String>::new());
}

#[test]
fn a_migration_failing_in_the_shadow_exits_1_and_drops_it() {
    let dbs = TestDbs::new("drift_failing");
    let ws = workspace(&dbs, &["dfail"]);
    ws.pgfleet().args(["up"]).success();
    // Live has the table; a new migration that cannot run on a fresh database.
    ws.write(
        "dfail/0002_broken.sql",
        "INSERT INTO no_such_table VALUES (1);\n",
    );
    let out = ws.pgfleet().args(["drift"]).expect_code(1);
    out.stderr_contains(
        "error: cannot check `dfail`: migrations of `dfail` fail in a shadow database",
    )
    .stderr_contains("no_such_table");
    assert_eq!(shadows("dfail_"), Vec::<String>::new());
}

#[test]
fn runner_databases_are_skipped() {
    let dbs = TestDbs::new("drift_runner");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.drunner]\nrunner = \"true\"\n",
        dbs.manifest_head()
    ));
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet()
        .args(["drift"])
        .success()
        .stdout_contains("drunner: skipped");
}

#[test]
fn shadow_server_must_be_declared() {
    let dbs = TestDbs::new("drift_shadow_server");
    let ws = Workspace::with_manifest(&format!(
        "{}shadow_server = \"nope\"\n[databases.dss]\n",
        dbs.manifest_head()
    ));
    ws.pgfleet()
        .args(["drift"])
        .expect_code(2)
        .stderr_contains("unknown server `nope` in `envs.test.shadow_server`");
}

#[test]
fn shadows_are_built_on_the_shadow_server() {
    let dbs = TestDbs::new("drift_on_shadow_server");
    // A second name for the same cluster: the shadow placement must use it.
    let ws = Workspace::with_manifest(&format!(
        "{}shadow_server = \"scratch\"\n[servers.scratch]\nurl = \"{}\"\n[databases.dsrv]\nmigrations = \"dsrv\"\n",
        dbs.manifest_head(),
        cluster().url
    ));
    ws.write("dsrv/0001_invoices.sql", MIGRATION);
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet()
        .args(["drift"])
        .success()
        .stdout_contains("dsrv: no drift");
    query(&dbs.url(&dbs.name("dsrv")), "DROP INDEX invoices_user_idx");
    ws.pgfleet()
        .args(["drift"])
        .expect_code(3)
        .stdout_contains("index public.invoices_user_idx: removed");
    assert_eq!(shadows("dsrv_"), Vec::<String>::new());
    // `scratch` above is the same cluster: only an unreachable one shows the
    // shadow is not built on the database's own server.
    ws.write(
        "pgfleet.toml",
        &format!(
            "{}shadow_server = \"scratch\"\n[servers.scratch]\nurl = \"postgresql://u@127.0.0.1:1/postgres\"\n[databases.dsrv]\nmigrations = \"dsrv\"\n",
            dbs.manifest_head()
        ),
    );
    ws.pgfleet()
        .args(["drift"])
        .expect_code(1)
        .stderr_contains("could not connect to `postgresql://u@127.0.0.1:1/postgres`");
}
