//! The peer tools that install here, run for real beside pgfleet on a database pgfleet
//! created: dbmate, node-pg-migrate and Liquibase (npm; Liquibase on Java), sqlx-cli
//! (crates.io). In each test the
//! tool applies the first migration of a fixture folder itself, pgfleet adopts that
//! row from the tool's table and applies the rest, and the tool then reads the same
//! database and folder again.
//!
//! pgfleet writes the peer's rows for what it applies (`peer_history = "sync"`), so the
//! tool then has nothing pending.
//!
//! The last tests let Sqitch, graphile-migrate, drizzle-kit (and sqlx-cli above) write
//! their own rows, and check that the ids and checksums in them are the ones
//! `migrate::peer::checksum` computes from the files pgfleet reads.

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
    // The one row sqlx wrote, with the checksum pgfleet computes for the file.
    let script =
        std::fs::read_to_string(ws.join("first/20240115080000_create_customers_and_invoices.sql"))
            .unwrap();
    assert_eq!(
        query_one(
            &url,
            "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE success"
        ),
        Some(hex::encode(pgfleet::migrate::peer::checksum::sqlx(
            &script,
            &[]
        )))
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

/// Sqitch deploys the whole fixture plan (a tag, a reworked change) itself: the ids
/// and script hashes in its registry are the ones pgfleet computes from the plan and
/// the deploy scripts it reads, which write-back needs to write rows Sqitch accepts.
#[test]
fn sqitch_registry_ids_are_the_ones_pgfleet_computes() {
    use pgfleet::migrate::formats::{self, Format};
    use pgfleet::migrate::peer::checksum;

    let Some(sqitch) = tools::sqitch("sqitch_registry_ids_are_the_ones_pgfleet_computes") else {
        return;
    };
    let dbs = TestDbs::new("peer_sqitch_ids");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"shop\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("sqitch/basic", "shop");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let target = format!("db:{}", url.replace("postgresql://", "pg://"));
    run(
        &sqitch,
        &["deploy", "--chdir", "shop", &target],
        &ws,
        &[
            ("SQITCH_FULLNAME", "CI"),
            ("SQITCH_EMAIL", "ci@example.com"),
        ],
    );
    let registry = crate::support::query(
        &url,
        "SELECT change_id, script_hash FROM sqitch.changes ORDER BY committed_at",
    );
    let tags = crate::support::query(&url, "SELECT tag_id FROM sqitch.tags ORDER BY committed_at");

    let dir = ws.join("shop");
    let plan = formats::sqitch_plan(&dir).unwrap();
    let ids = checksum::sqitch_ids(&plan);
    let folder = formats::load(&dir, Some(Format::Sqitch)).unwrap();
    let ours: Vec<Vec<Option<String>>> = ids
        .iter()
        .zip(&folder.migrations)
        .map(|(id, m)| {
            let script = std::fs::read(&m.path).unwrap();
            vec![
                Some(id.change_id.clone()),
                Some(checksum::sqitch_script_hash(&script)),
            ]
        })
        .collect();
    assert_eq!(registry.len(), 4);
    assert_eq!(ours, registry);
    let our_tags: Vec<Vec<Option<String>>> = ids
        .iter()
        .flat_map(|id| id.tag_ids.iter().map(|t| vec![Some(t.clone())]))
        .collect();
    assert_eq!(our_tags, tags);
}

/// The real graphile-migrate applies the first committed files of the fixture: its
/// `graphile_migrate.migrations` rows are the ones pgfleet reads from the files.
#[test]
fn graphile_migrate_rows_are_the_ones_pgfleet_reads() {
    use pgfleet::migrate::formats::{self, Format};
    use pgfleet::migrate::peer::checksum;

    let Some(tool) = tools::graphile_migrate("graphile_migrate_rows_are_the_ones_pgfleet_reads")
    else {
        return;
    };
    let dbs = TestDbs::new("peer_graphile_rows");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\nformat = \"graphile-migrate\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("graphile-migrate/app/migrations", "migrations");
    let committed = ws.join("migrations/committed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for later in &files[6..] {
        std::fs::remove_file(later).unwrap();
    }
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    ws.write(
        ".gmrc",
        &format!(
            "{{\n  \"connectionString\": \"{url}\",\n  \"migrationsFolder\": \"./migrations\"\n}}\n"
        ),
    );
    run(&tool, &["migrate"], &ws, &[]);
    let stored = crate::support::query(
        &url,
        "SELECT hash, previous_hash, filename FROM graphile_migrate.migrations ORDER BY date, filename",
    );
    let folder = formats::load(&ws.join("migrations"), Some(Format::GraphileMigrate)).unwrap();
    let ours: Vec<Vec<Option<String>>> = folder
        .migrations
        .iter()
        .map(|m| {
            let row = checksum::graphile_migrate_row(m).unwrap();
            vec![Some(row.hash), row.previous_hash, Some(row.filename)]
        })
        .collect();
    assert_eq!(ours.len(), 6);
    assert_eq!(ours, stored);
}

/// drizzle-kit's `migrate` applies the fixture folder: each `__drizzle_migrations.hash`
/// is the one pgfleet computes for the file.
#[test]
fn drizzle_hashes_are_the_ones_pgfleet_computes() {
    use pgfleet::migrate::peer::checksum;

    let Some(kit) = tools::drizzle_dir("drizzle_hashes_are_the_ones_pgfleet_computes") else {
        return;
    };
    let dbs = TestDbs::new("peer_drizzle_hashes");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"drizzle\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("drizzle/basic", "drizzle");
    std::os::unix::fs::symlink(kit.join("node_modules"), ws.join("node_modules")).unwrap();
    ws.write(
        "drizzle.config.ts",
        "export default {\n  dialect: \"postgresql\",\n  out: \"./drizzle\",\n  dbCredentials: { url: process.env.DRIZZLE_URL! },\n};\n",
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    run(
        Path::new("node"),
        &[
            kit.join("node_modules/drizzle-kit/bin.cjs")
                .to_str()
                .unwrap(),
            "migrate",
        ],
        &ws,
        &[("DRIZZLE_URL", url.as_str())],
    );
    let stored = crate::support::query(
        &url,
        "SELECT hash FROM drizzle.__drizzle_migrations ORDER BY created_at",
    );
    let ours: Vec<Vec<Option<String>>> = [
        "0000_create_customers.sql",
        "0001_create_invoices.sql",
        "0002_add_customer_name.sql",
    ]
    .iter()
    .map(|file| {
        let text = std::fs::read_to_string(ws.join("drizzle").join(file)).unwrap();
        vec![Some(checksum::drizzle(&text))]
    })
    .collect();
    assert_eq!(ours, stored);
}

/// The `databasechangelog` columns a run does not change: all but `dateexecuted` and
/// the deployment id (compared by length), in Liquibase's order.
const LIQUIBASE_ROWS: &str = "SELECT id, author, filename, orderexecuted::text, exectype, md5sum, description, comments, tag, liquibase, contexts, labels, length(deployment_id)::text FROM databasechangelog ORDER BY orderexecuted";

/// Liquibase (npm's package, on Java) applies the fixture changelog's first changeset;
/// pgfleet adopts the row and applies the rest, writing Liquibase's rows: the same rows
/// the real Liquibase writes for the changelog in a database of its own, `liquibase
/// status` lists only the `runAlways` changeset (as it always does) and `liquibase
/// update` runs only that one. The other way: Liquibase applies a new changeset, and
/// pgfleet records it without running it.
#[test]
fn liquibase_beside_pgfleet() {
    use pgfleet::migrate::formats::{self, Format};
    use pgfleet::migrate::peer::checksum;

    let Some(liquibase) = tools::liquibase("liquibase_beside_pgfleet") else {
        return;
    };
    let dbs = TestDbs::new("peer_liquibase");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\nformat = \"liquibase\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("liquibase/basic", "db");
    // A changeset with a context, labels and two comments, which Liquibase records.
    let first = ws.join("db/changes/001_customers_and_invoices.sql");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(
        &first,
        format!("{text}\n--changeset jane:tagged context:dev labels:billing,eu\n--comment: first\n--comment: second\nCREATE TABLE lb_tagged (id int);\n"),
    )
    .unwrap();
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // Liquibase alone, on a database of its own: the rows it writes for the changelog.
    let reference = dbs.name("reference");
    crate::support::query(
        &crate::support::cluster().url,
        &format!("CREATE DATABASE {reference}"),
    );
    let reference_url = dbs.url(&reference);
    let lb = |url: &str, command: &[&str]| {
        let jdbc = format!(
            "--url=jdbc:{}",
            url.replace("postgresql://postgres@", "postgresql://")
        );
        let mut args = vec![
            "--search-path=db",
            "--changelog-file=changelog-master.yaml",
            "--username=postgres",
            "--password=",
            jdbc.as_str(),
        ];
        args.extend(command);
        run(&liquibase, &args, &ws, &[])
    };
    lb(&reference_url, &["update"]);
    let expected = crate::support::query(&reference_url, LIQUIBASE_ROWS);
    assert_eq!(expected.len(), 6, "{expected:?}");
    assert!(
        expected
            .iter()
            .any(|r| r[0].as_deref() == Some("tagged") && r[10].is_some() && r[11].is_some()),
        "{expected:?}"
    );

    lb(&url, &["update-count", "--count=1"]);
    let folder = formats::load(&ws.join("db"), Some(Format::Liquibase)).unwrap();
    assert_eq!(
        query_one(&url, "SELECT md5sum FROM databasechangelog"),
        checksum::liquibase_changeset(&folder.migrations[0]).unwrap()
    );
    let pending = folder.migrations.len() - 1;
    // Not `migrate_adopts`: the runAlways changeset runs on every `migrate`.
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"].as_array().unwrap().len(), 1, "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), pending, "{db}");
    let rows = crate::support::query(&url, LIQUIBASE_ROWS);
    assert_eq!(rows, expected);
    // One deployment id for pgfleet's run, another than Liquibase's.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(DISTINCT deployment_id) FROM databasechangelog"
        )
        .as_deref(),
        Some("2")
    );

    let status = lb(&url, &["status", "--verbose"]);
    assert!(
        status.contains("1 changeset has not been applied"),
        "{status}"
    );
    assert!(
        status.contains("changes/002_functions_and_views.sql::audit-runs::bob"),
        "{status}"
    );
    // `update` runs the runAlways changeset again (its row becomes RERAN), nothing else.
    let runs = "SELECT count(*) FROM lb_run_log";
    assert_eq!(query_one(&url, runs).as_deref(), Some("1"));
    let update = lb(&url, &["update"]);
    assert_eq!(update.matches("Running Changeset").count(), 1, "{update}");
    assert_eq!(query_one(&url, runs).as_deref(), Some("2"));
    let after = crate::support::query(&url, LIQUIBASE_ROWS);
    let mut want = expected.clone();
    let mut rerun = want.remove(4);
    rerun[3] = Some("7".to_owned());
    rerun[4] = Some("RERAN".to_owned());
    want.push(rerun);
    assert_eq!(after, want);

    // pgfleet runs it again too, as Liquibase does: the row is updated the same way.
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(query_one(&url, runs).as_deref(), Some("3"));
    let again = crate::support::query(&url, LIQUIBASE_ROWS);
    let mut want = after;
    let mut rerun = want.pop().unwrap();
    rerun[3] = Some("8".to_owned());
    want.push(rerun);
    assert_eq!(again, want);

    // The other way: Liquibase applies a new changeset; pgfleet records it, runs nothing.
    ws.write(
        "db/changes/003_notes.sql",
        "--liquibase formatted sql\n\n--changeset carol:notes\nCREATE TABLE lb_note (id int);\nINSERT INTO lb_note VALUES (1);\n--rollback DROP TABLE lb_note;\n",
    );
    ws.write(
        "db/changelog-master.yaml",
        &format!(
            "{}  - include:\n      file: changes/003_notes.sql\n      relativeToChangelogFile: true\n",
            std::fs::read_to_string(ws.join("db/changelog-master.yaml")).unwrap()
        ),
    );
    let update = lb(&url, &["update"]);
    assert!(
        update.contains("Running Changeset: changes/003_notes.sql::notes::carol"),
        "{update}"
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(
        db["adopted"],
        serde_json::json!(["changes/003_notes.sql::notes::carol"]),
        "{db}"
    );
    // Only the runAlways changeset runs, as on every `migrate`.
    let applied: Vec<&str> = db["applied"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(applied, ["audit-runs"], "{db}");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM lb_note").as_deref(),
        Some("1")
    );
}
