//! The peer tools that install here, run for real beside pgfleet on a database pgfleet
//! created: dbmate and node-pg-migrate (npm), sqlx-cli (crates.io). In each test the
//! tool applies the first migration of a fixture folder itself, pgfleet adopts that
//! row from the tool's table and applies the rest, and the tool then reads the same
//! database and folder again.
//!
//! pgfleet writes the peer's rows for what it applies (`peer_history = "sync"`), so the
//! tool then has nothing pending.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TestDbs, Workspace, query_one, tools};

/// A workspace whose database `app` has `fixture` in `migrations/` as `format`, created
/// by pgfleet, with the fixture's first file alone in `first/` for the tool to apply.
fn workspace(dbs: &TestDbs, fixture: &str, format: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\nformat = \"{format}\"\n",
        dbs.manifest_head()
    ));
    ws.fixture(fixture, "migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(ws.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    ws.mkdir("first");
    std::fs::copy(
        &files[0],
        ws.join("first").join(files[0].file_name().unwrap()),
    )
    .unwrap();
    ws.pgfleet().args(["create"]).success();
    ws
}

/// Runs a tool in the workspace; it must succeed. Its stdout and stderr, joined.
pub(crate) fn run(program: &Path, args: &[&str], ws: &Workspace, env: &[(&str, &str)]) -> String {
    let out: Output = Command::new(program)
        .args(args)
        .current_dir(ws.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?}: {text}",
        program.display()
    );
    text
}

/// `pgfleet migrate --json` adopts `adopted` rows and applies `applied` migrations.
fn migrate_adopts(ws: &Workspace, adopted: usize, applied: usize) {
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"].as_array().unwrap().len(), adopted, "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), applied, "{db}");
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}

/// `pgfleet migrate --json` records `version`, which the tool applied, and runs nothing.
fn just_records(ws: &Workspace, version: &str) {
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!([version]), "{db}");
    assert_eq!(db["applied"], serde_json::json!([]), "{db}");
}

#[test]
fn dbmate_beside_pgfleet() {
    let Some(dbmate) = tools::dbmate("dbmate_beside_pgfleet") else {
        return;
    };
    let dbs = TestDbs::new("peer_dbmate");
    let ws = workspace(&dbs, "dbmate/basic", "dbmate");
    let url = dbs.url(&dbs.name("app"));
    // dbmate's driver asks for TLS unless told otherwise.
    let dbmate_url = format!("{url}?sslmode=disable");
    let dbmate_run = |dir: &str, command: &str| {
        run(
            &dbmate,
            &[
                "--url",
                &dbmate_url,
                "--migrations-dir",
                dir,
                "--no-dump-schema",
                command,
            ],
            &ws,
            &[],
        )
    };
    dbmate_run("first", "migrate");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM schema_migrations").as_deref(),
        Some("1")
    );
    migrate_adopts(&ws, 1, 2);
    let status = dbmate_run("migrations", "status");
    assert!(
        status.contains("[X] 20240110090000_create_customers_and_invoices.sql"),
        "{status}"
    );
    // pgfleet wrote dbmate's rows for the two it applied: nothing pending, and
    // `dbmate up` has nothing to do.
    assert!(status.contains("Applied: 3"), "{status}");
    assert!(status.contains("Pending: 0"), "{status}");
    let up = dbmate_run("migrations", "up");
    assert!(!up.contains("Applying"), "{up}");
}

#[test]
fn sqlx_cli_beside_pgfleet() {
    let Some(sqlx) = tools::sqlx("sqlx_cli_beside_pgfleet") else {
        return;
    };
    let dbs = TestDbs::new("peer_sqlx");
    let ws = workspace(&dbs, "sqlx/basic", "sqlx");
    let url = dbs.url(&dbs.name("app"));
    let sqlx_run = |args: &[&str], dir: &str| {
        let mut all = args.to_vec();
        all.extend(["--source", dir, "--database-url", &url]);
        run(&sqlx, &all, &ws, &[])
    };
    sqlx_run(&["migrate", "run"], "first");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM _sqlx_migrations WHERE success").as_deref(),
        Some("1")
    );
    migrate_adopts(&ws, 1, 2);
    let info = sqlx_run(&["migrate", "info"], "migrations");
    assert!(
        info.contains("20240115080000/installed create customers and invoices"),
        "{info}"
    );
    // pgfleet wrote sqlx's rows (its checksum, as sqlx computes it) for the two it
    // applied: installed, and `sqlx migrate run` neither runs them nor finds them edited.
    assert!(info.contains("20240115080100/installed"), "{info}");
    assert!(info.contains("20240115080200/installed"), "{info}");
    assert!(!info.contains("pending"), "{info}");
    let ran = sqlx_run(&["migrate", "run"], "migrations");
    assert!(!ran.contains("Applied"), "{ran}");
    // The other way: sqlx applies a new migration; pgfleet records it, runs nothing.
    ws.write(
        "migrations/20240115080300_add_note.sql",
        "CREATE TABLE sqlx_note (id int);\nINSERT INTO sqlx_note VALUES (1);\n",
    );
    let ran = sqlx_run(&["migrate", "run"], "migrations");
    assert!(ran.contains("Applied 20240115080300"), "{ran}");
    just_records(&ws, "20240115080300");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM sqlx_note").as_deref(),
        Some("1")
    );
}

#[test]
fn node_pg_migrate_beside_pgfleet() {
    let Some(npgm) = tools::node_pg_migrate("node_pg_migrate_beside_pgfleet") else {
        return;
    };
    let dbs = TestDbs::new("peer_npgm");
    let ws = workspace(&dbs, "node-pg-migrate/basic", "node-pg-migrate");
    let url = dbs.url(&dbs.name("app"));
    let env = [("DATABASE_URL", url.as_str())];
    run(&npgm, &["up", "-m", "first"], &ws, &env);
    assert_eq!(
        query_one(&url, "SELECT name FROM pgmigrations").as_deref(),
        Some("1704873600000_create_customers_and_invoices")
    );
    migrate_adopts(&ws, 1, 2);
    let dry = run(&npgm, &["up", "-m", "migrations", "--dry-run"], &ws, &env);
    assert!(
        !dry.contains("1704873600000_create_customers_and_invoices"),
        "{dry}"
    );
    // pgfleet wrote node-pg-migrate's rows for the two it applied: nothing to run.
    assert!(!dry.contains("1704873660000_index_invoices"), "{dry}");
    assert!(dry.contains("No migrations to run!"), "{dry}");
    run(&npgm, &["up", "-m", "migrations"], &ws, &env);
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgmigrations").as_deref(),
        Some("3")
    );
    // The other way: node-pg-migrate applies a new migration; pgfleet records it.
    ws.write(
        "migrations/1704873780000_add_note.sql",
        "-- Up Migration\nCREATE TABLE npgm_note (id int);\nINSERT INTO npgm_note VALUES (1);\n\n-- Down Migration\nDROP TABLE npgm_note;\n",
    );
    run(&npgm, &["up", "-m", "migrations"], &ws, &env);
    just_records(&ws, "1704873780000");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM npgm_note").as_deref(),
        Some("1")
    );
}
