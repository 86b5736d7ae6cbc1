//! `migrate` and `status` across every format, on real PostgreSQL.

use crate::support::{TestDbs, Workspace, fixture, query, query_one};

const FORMATS: [(&str, &str); 8] = [
    ("native", "native"),
    ("prisma", "prisma"),
    ("dbmate", "dbmate"),
    ("sqlx", "sqlx"),
    ("golang-migrate", "gomigrate"),
    ("flyway", "flyway"),
    ("node-pg-migrate", "npgm"),
    ("goose", "goose"),
];

fn db_name(format: &str) -> String {
    format.replace('-', "_")
}

#[test]
fn every_format_applies_once_and_is_recorded() {
    let dbs = TestDbs::new("every_format");
    let mut manifest = dbs.manifest_head();
    for (format, _) in FORMATS {
        // sqlx's single files read like native ones: naming the format is
        // what makes pgfleet adopt `_sqlx_migrations`.
        let explicit = if format == "sqlx" {
            "format = \"sqlx\"\n"
        } else {
            ""
        };
        manifest.push_str(&format!(
            "[databases.{}]\nmigrations = \"{}\"\n{explicit}",
            db_name(format),
            fixture(&format!("{format}/basic")).display()
        ));
    }
    let ws = Workspace::with_manifest(&manifest);
    ws.pgfleet().args(["up"]).success();

    for (format, prefix) in FORMATS {
        let url = dbs.url(&dbs.name(&db_name(format)));
        let tables = query_one(
            &url,
            // goose's and Flyway's own history tables, which pgfleet keeps in step, are not theirs.
            &format!(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '{prefix}\\_%' AND tablename NOT IN ('goose_db_version', 'flyway_schema_history')"
            ),
        );
        assert_eq!(tables.as_deref(), Some("2"), "{format}");
        let history = query(
            &url,
            "SELECT version, kind, state, length(checksum) FROM pgfleet.history ORDER BY version",
        );
        assert_eq!(history.len(), 3, "{format}: {history:?}");
        assert!(history.iter().all(|r| r[1].as_deref() == Some("versioned")
            && r[2].as_deref() == Some("applied")
            && r[3].as_deref() == Some("64")));
    }

    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["env"], "test");
    for (i, (format, _)) in FORMATS.iter().enumerate() {
        let db = status["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["database"] == db_name(format))
            .unwrap();
        assert_eq!(db["format"], *format, "{i}");
        assert_eq!(
            (
                db["applied"].as_u64(),
                db["pending"].as_u64(),
                db["failed"].as_u64(),
                db["mismatched"].as_u64()
            ),
            (Some(3), Some(0), Some(0), Some(0))
        );
        let first = &db["migrations"][0];
        assert_eq!(first["state"], "applied");
        let at = first["applied_at"].as_str().unwrap();
        assert!(
            at.ends_with('Z') && at.len() == "2026-01-01T10:00:00.123456Z".len(),
            "{at}"
        );
    }
    let again = ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        again.stdout.matches("up to date").count(),
        FORMATS.len(),
        "{}",
        again.stdout
    );
}

#[test]
fn status_before_anything_exists_writes_nothing() {
    let dbs = TestDbs::new("status_fresh");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("native/basic").display()
    ));
    let out = ws.pgfleet().args(["status", "--check"]).expect_code(3);
    out.stdout_contains("not created");
    let quiet = ws
        .pgfleet()
        .args(["-q", "status", "--check"])
        .expect_code(3);
    quiet
        .stdout_contains("not created")
        .stdout_contains("database");
    ws.pgfleet().args(["create"]).success();
    let out = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(status["databases"][0]["pending"], 3);
    assert_eq!(
        status["databases"][0]["migrations"][0]["applied_at"],
        serde_json::Value::Null
    );
    // Read-only: no pgfleet schema was created.
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgfleet'"
        )
        .as_deref(),
        Some("0")
    );
    ws.pgfleet()
        .args(["migrate", "--dry-run"])
        .success()
        .stdout_contains("app (`");
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgfleet'"
        )
        .as_deref(),
        Some("0")
    );
    ws.pgfleet().args(["migrate"]).success();
    ws.pgfleet().args(["status", "--check"]).success();
}

#[test]
fn dry_run_prints_the_plan_and_sql_with_verbose() {
    let dbs = TestDbs::new("dry_run");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("dbmate/basic").display()
    ));
    ws.pgfleet().args(["create"]).success();
    let out = ws.pgfleet().args(["migrate", "--dry-run"]).success();
    out.stdout_contains(&format!("app (`{}` on `pg`): 3 pending", dbs.name("app")))
        .stdout_contains("20240110090000_create_customers_and_invoices.sql");
    assert!(!out.stdout.contains("CREATE TABLE"));
    let out = ws.pgfleet().args(["migrate", "--dry-run", "-v"]).success();
    out.stdout_contains("    | CREATE TABLE dbmate_customer (");
    assert!(
        !out.stdout.contains("migrate:down"),
        "the down section is not part of the plan"
    );
}

#[test]
fn no_transaction_statements_run_one_by_one_and_say_so() {
    let dbs = TestDbs::new("no_tx");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.events]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("dbmate/no_transaction").display()
    ));
    let out = ws.pgfleet().args(["up", "-v"]).success();
    out.stderr_contains("20240111090100_index_events_concurrently")
        .stderr_contains("outside a transaction");
    let url = dbs.url(&dbs.name("events"));
    let valid = query_one(
        &url,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dbmate_notx_event_kind_idx'::regclass",
    );
    assert_eq!(valid.as_deref(), Some("t"));
}

#[test]
fn concurrently_without_a_marker_is_detected() {
    let dbs = TestDbs::new("auto_no_tx");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_create.sql", "CREATE TABLE t (id int, v text);\n");
    ws.write("db/0002_index.sql", "CREATE INDEX CONCURRENTLY t_v_idx ON t (v);\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n");
    ws.pgfleet()
        .args(["up", "-v"])
        .success()
        .stderr_contains("0002_index.sql 0002_index")
        .stderr_contains("outside a transaction");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE tablename = 't'"
        )
        .as_deref(),
        Some("2")
    );
}

/// A no-transaction migration whose third statement fails: the error names the
/// two statements that already ran (line and first line of text), which stay.
#[test]
fn a_no_transaction_migration_failing_part_way_names_what_already_ran() {
    let dbs = TestDbs::new("no_tx_partway");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write(
        "db/0001_partway.sql",
        "-- pgfleet:no-transaction\nCREATE TABLE t (id int);\nINSERT INTO t\n  VALUES (1);\nINSERT INTO nope VALUES (2);\nCREATE TABLE never (id int);\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    let file = ws.join("db/0001_partway.sql");
    out.stderr_contains(&format!(
        "error: `app`: {}:5: relation \"nope\" does not exist\n  the migration ran outside a transaction and stopped part-way: it is recorded as failed and blocks `app`\n  these statements of `{}` ran before it and were not undone:\n    line 2: CREATE TABLE t (id int);\n    line 3: INSERT INTO t ...\n",
        file.display(),
        file.display()
    ))
    .stderr_contains(
        "hint: undo what those statements did if needed, then `pgfleet repair app` and migrate again",
    );
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM t").as_deref(),
        Some("1")
    );
    assert_eq!(
        query_one(&url, "SELECT to_regclass('never') IS NULL").as_deref(),
        Some("t")
    );
}

#[test]
fn schema_placements_put_migrations_in_their_schema() {
    let dbs = TestDbs::new("schema_place");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.native]\nmigrations = \"{}\"\n[databases.dbmate]\nmigrations = \"{}\"\n[envs.one]\ndatabase = \"{}\"\nschema = \"{{name}}\"\n",
        crate::support::cluster().url,
        fixture("native/basic").display(),
        fixture("dbmate/basic").display(),
        dbs.name("one")
    ));
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("one"));
    let rows = query(
        &url,
        "SELECT schemaname, count(*) FROM pg_tables WHERE schemaname IN ('native', 'dbmate', 'public') GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(
        rows,
        [
            // dbmate's two tables, and dbmate's own `schema_migrations` in the
            // placement's schema, where dbmate looks with `search_path=dbmate`.
            [Some("dbmate".into()), Some("3".into())],
            [Some("native".into()), Some("2".into())]
        ]
    );
    let history = query(
        &url,
        "SELECT db, count(*) FROM pgfleet.history GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(
        history,
        [
            [Some("dbmate".into()), Some("3".into())],
            [Some("native".into()), Some("3".into())]
        ]
    );
}

#[test]
fn flyway_repeatables_rerun_when_changed_and_undo_rolls_back() {
    let dbs = TestDbs::new("flyway_rep");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.shop]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("flyway/repeatable", "db");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("shop"));
    let versions = query(
        &url,
        "SELECT version, kind FROM pgfleet.history ORDER BY applied_at",
    );
    let versions: Vec<_> = versions
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
    assert_eq!(
        versions,
        [
            ("1".into(), "versioned".into()),
            ("1.1".into(), "versioned".into()),
            ("2".into(), "versioned".into()),
            ("R__views".into(), "repeatable".into())
        ]
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    let view = std::fs::read_to_string(ws.join("db/R__views.sql")).unwrap();
    ws.write(
        "db/R__views.sql",
        &format!("{view}\nCOMMENT ON VIEW flyway_rep_order_total IS 'v2';\n"),
    );
    let out = ws.pgfleet().args(["status", "--check"]).expect_code(3);
    out.stdout_contains("shop");
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("migrated");
    assert_eq!(
        query_one(
            &url,
            "SELECT obj_description('flyway_rep_order_total'::regclass)"
        )
        .as_deref(),
        Some("v2")
    );

    ws.pgfleet()
        .args(["rollback", "shop"])
        .success()
        .stdout_contains("shop: rolled back 2_create_orders");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('flyway_rep_order') IS NULL").as_deref(),
        Some("t")
    );
    let out = ws.pgfleet().args(["rollback", "shop"]).expect_code(1);
    out.stderr_contains(
        "migration `1.1` (add_product_price) has no down script, so it cannot be rolled back",
    );
}

/// Down scripts get a migration's transaction checks: one wrapped in its own
/// `BEGIN; ... COMMIT;` loses the wrapper, so its history row goes in the same
/// transaction; one committing half way is refused before anything runs.
#[test]
fn rollback_refuses_a_down_script_committing_half_way() {
    let dbs = TestDbs::new("rollback_commit");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.shop]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write(
        "db/0001_a.sql",
        "CREATE TABLE rb_a (id int);\n-- pgfleet:down\nBEGIN;\nDROP TABLE rb_a;\nCOMMIT;\n",
    );
    ws.write(
        "db/0002_b.sql",
        "CREATE TABLE rb_b (id int);\n-- pgfleet:down\nDROP TABLE rb_b;\nCOMMIT;\nSELECT 1;\n",
    );
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("shop"));
    ws.pgfleet()
        .args(["rollback", "shop", "--count", "2", "-y"])
        .expect_code(1)
        .stderr_contains(
            "the down script of `0002` cannot be run: line 2: `COMMIT` would end the transaction",
        );
    // Nothing was rolled back.
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("2")
    );
    assert_eq!(
        query_one(&url, "SELECT to_regclass('rb_b') IS NOT NULL").as_deref(),
        Some("t")
    );
    // Without the second migration, the wrapped down script runs with its history row.
    query(
        &url,
        "DROP TABLE rb_b; DELETE FROM pgfleet.history WHERE version = '0002'",
    );
    std::fs::remove_file(ws.join("db/0002_b.sql")).unwrap();
    ws.pgfleet()
        .args(["rollback", "shop"])
        .success()
        .stdout_contains("shop: rolled back 0001_a");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('rb_a') IS NULL").as_deref(),
        Some("t")
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("0")
    );
}

#[test]
fn new_writes_the_next_file_in_the_database_format() {
    let dbs = TestDbs::new("new_file");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n[databases.web]\nmigrations = \"prisma\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("dbmate/basic", "db")
        .fixture("prisma/basic", "prisma");
    let out = ws.pgfleet().args(["new", "app", "add status"]).success();
    let file = out.stdout.trim().to_owned();
    assert!(
        file.starts_with("db/") && file.ends_with("_add_status.sql"),
        "{file}"
    );
    let text = std::fs::read_to_string(ws.join(&file)).unwrap();
    assert!(
        text.contains("-- migrate:up") && text.contains("-- migrate:down"),
        "{text}"
    );
    let out = ws.pgfleet().args(["new", "web", "add_sku"]).success();
    assert!(
        out.stdout.trim().ends_with("_add_sku/migration.sql"),
        "{}",
        out.stdout
    );
    ws.pgfleet().args(["up"]).success();
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["applied"], 4);
    let out = ws.pgfleet().args(["new", "app", "bad/name"]).expect_code(2);
    out.stderr_contains("may only hold letters, digits");
}

#[test]
fn baseline_marks_without_running() {
    let dbs = TestDbs::new("baseline");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("native/basic").display()
    ));
    ws.pgfleet().args(["create"]).success();
    let out = ws
        .pgfleet()
        .args(["baseline", "app", "--version", "0002"])
        .success();
    out.stdout_contains("app: 2 migration(s) marked applied up to 0002");
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        (
            status["databases"][0]["applied"].as_u64(),
            status["databases"][0]["pending"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let url = dbs.url(&dbs.name("app"));
    let kinds = query(
        &url,
        "SELECT version, kind FROM pgfleet.history ORDER BY version",
    );
    assert_eq!(
        kinds,
        [
            [Some("0001".into()), Some("baseline".into())],
            [Some("0002".into()), Some("baseline".into())]
        ]
    );
    // Nothing ran: the tables 0001 would make are not there.
    assert_eq!(
        query_one(&url, "SELECT to_regclass('native_customer') IS NULL").as_deref(),
        Some("t")
    );
}

#[test]
fn up_runs_runner_databases_with_their_connection() {
    let dbs = TestDbs::new("runner");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\nmigrations = \"{}\"\n[databases.reports]\ndepends_on = [\"auth\"]\nrunner = \"psql -qc 'CREATE TABLE IF NOT EXISTS alembic_version (v text)' && echo ran > ran.txt\"\ncwd = \"svc\"\n",
        dbs.manifest_head(),
        fixture("native/basic").display()
    ));
    ws.mkdir("svc");
    let out = ws.pgfleet().args(["up", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["migrate"]["databases"][1]["outcome"], "ran");
    assert_eq!(
        std::fs::read_to_string(ws.join("svc/ran.txt")).unwrap(),
        "ran\n"
    );
    let url = dbs.url(&dbs.name("reports"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('alembic_version') IS NOT NULL").as_deref(),
        Some("t")
    );
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][1]["format"], "runner");
    assert_eq!(status["databases"][1]["applied"], serde_json::Value::Null);
    ws.write(
        "pgfleet.toml",
        &std::fs::read_to_string(ws.join("pgfleet.toml"))
            .unwrap()
            .replace("echo ran > ran.txt", "exit 9"),
    );
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("`reports`: runner `")
        .stderr_contains("exited with status 9");
}

#[test]
fn migrate_to_stops_at_the_named_version() {
    let dbs = TestDbs::new("migrate_to");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("native/basic").display()
    ));
    ws.pgfleet().args(["create"]).success();
    ws.pgfleet()
        .args(["migrate", "app", "--to", "0002"])
        .success()
        .stdout_contains("app       migrated  2");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version, ',' ORDER BY version) FROM pgfleet.history"
        )
        .as_deref(),
        Some("0001,0002")
    );
    ws.pgfleet()
        .args(["migrate", "app", "--to", "0009"])
        .expect_code(1)
        .stderr_contains("no migration has version `0009`");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("3")
    );
}
