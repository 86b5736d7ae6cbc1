//! graphile-migrate folders (`migrations/committed/NNNNNN[-slug].sql` with the
//! `--! Previous:`/`--! Hash:` chain, `current.sql` as work in progress), adoption of
//! `graphile_migrate.migrations`, refused edits, and a round trip with the real
//! graphile-migrate from npm. The fixture `graphile-migrate/app` is written by
//! `tests/fixtures/generate-hasgraph.py`.

use std::path::Path;
use std::process::Command;

use crate::support::{TestDbs, Workspace, query, query_one, tools};

const COMMITTED: &str = "migrations/committed";

fn workspace(dbs: &TestDbs) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\nformat = \"graphile-migrate\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("graphile-migrate/app/migrations", "migrations");
    ws
}

fn committed_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e == "sql")
        })
        .collect();
    names.sort();
    names
}

#[test]
fn graphile_chain_applies_and_status_shows_current_sql() {
    let dbs = TestDbs::new("graphile_apply");
    let ws = workspace(&dbs);
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("240")
    );
    // `current.sql` is never applied.
    assert_eq!(
        query_one(&url, "SELECT to_regclass('work_in_progress') IS NULL").as_deref(),
        Some("t")
    );
    // `--! no-transaction` files built their indexes concurrently, valid.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%_account_idx' AND i.indisvalid"
        )
        .as_deref(),
        Some("30")
    );
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let db = &status["databases"][0];
    assert_eq!(db["format"], "graphile-migrate");
    assert_eq!(db["applied"], 240);
    assert_eq!(
        db["work_in_progress"],
        serde_json::json!(["migrations/current.sql"])
    );
    ws.pgfleet()
        .args(["status"])
        .success()
        .stdout_contains("work in progress: `migrations/current.sql` (not applied)");
}

#[test]
fn graphile_history_is_adopted_and_the_rest_applied_once() {
    let dbs = TestDbs::new("graphile_adopt");
    let ws = workspace(&dbs);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let files = committed_files(&ws.join(COMMITTED));
    // graphile-migrate applied the first three.
    let mut sql = String::from(
        "CREATE SCHEMA graphile_migrate;
         CREATE TABLE graphile_migrate.migrations (hash text PRIMARY KEY, previous_hash text REFERENCES graphile_migrate.migrations, filename text NOT NULL, date timestamptz NOT NULL DEFAULT now());",
    );
    let mut previous = "NULL".to_owned();
    for file in &files[..3] {
        let text = std::fs::read_to_string(ws.join(COMMITTED).join(file)).unwrap();
        let hash = text
            .lines()
            .nth(1)
            .unwrap()
            .trim_start_matches("--! Hash: ");
        let body = text.split_once("\n\n").unwrap().1;
        let body = body.strip_prefix("--! no-transaction\n").unwrap_or(body);
        sql.push_str(body);
        sql.push_str(&format!(
            "INSERT INTO graphile_migrate.migrations (hash, previous_hash, filename) VALUES ('{hash}', {previous}, '{}.sql');",
            &file[..6]
        ));
        previous = format!("'{hash}'");
    }
    query(&url, &sql);
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(
        db["adopted"],
        serde_json::json!(["000001", "000002", "000003"]),
        "{db}"
    );
    assert_eq!(db["applied"].as_array().unwrap().len(), 237, "{db}");
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE applied_by = 'adopted from graphile_migrate.migrations'"
        )
        .as_deref(),
        Some("3")
    );
    // The rest are written to graphile-migrate's table as they are applied.
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM graphile_migrate.migrations").as_deref(),
        Some("240")
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM accounts").as_deref(),
        Some("30"),
        "each seed ran exactly once"
    );
}

#[test]
fn graphile_edited_committed_file_is_refused_naming_it() {
    let dbs = TestDbs::new("graphile_edited");
    let ws = workspace(&dbs);
    // Created while the chain is whole: `create` reads every folder first.
    ws.pgfleet().args(["create"]).success();
    let file = ws.join(COMMITTED).join("000005.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("'user4@", "'someone4@")).unwrap();
    let url = dbs.url(&dbs.name("app"));
    let nothing_applied = || {
        assert_eq!(
            query_one(
                &url,
                "SELECT to_regclass('accounts') IS NULL AND to_regclass('pgfleet.history') IS NULL"
            )
            .as_deref(),
            Some("t"),
            "nothing was applied"
        );
    };
    ws.pgfleet().args(["migrate"]).expect_code(2).stderr_contains(
        "migrations/committed/000005.sql:2: was edited after it was committed: its hash is sha1:",
    );
    nothing_applied();
    // A wrong `Previous` breaks the chain at the next file.
    std::fs::write(&file, &text).unwrap();
    let next = ws.join(COMMITTED).join("000006-fix-data-5.sql");
    let next_text = std::fs::read_to_string(&next).unwrap();
    let first_line = next_text.lines().next().unwrap();
    std::fs::write(
        &next,
        next_text.replacen(
            first_line,
            "--! Previous: sha1:0000000000000000000000000000000000000000",
            1,
        ),
    )
    .unwrap();
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(2)
        .stderr_contains("000006-fix-data-5.sql:1: `--! Previous: sha1:0000000000000000000000000000000000000000` does not match the hash of `000005.sql`");
    nothing_applied();
}

/// The real graphile-migrate applies the first half (checking every hash pgfleet's
/// fixture generator wrote); pgfleet adopts that and applies the rest exactly once.
#[test]
fn graphile_migrate_round_trip() {
    let Some(tool) = tools::graphile_migrate("graphile_migrate_round_trip") else {
        return;
    };
    let dbs = TestDbs::new("graphile_tool");
    let ws = workspace(&dbs);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let committed = ws.join(COMMITTED);
    let files = committed_files(&committed);
    let held = ws.join("held");
    std::fs::create_dir_all(&held).unwrap();
    for file in &files[120..] {
        std::fs::rename(committed.join(file), held.join(file)).unwrap();
    }
    ws.write(
        ".gmrc",
        &format!(
            "{{\n  \"connectionString\": \"{url}\",\n  \"migrationsFolder\": \"./migrations\"\n}}\n"
        ),
    );
    let run_cmd = |cmd: &str| {
        let out = Command::new(&tool)
            .arg(cmd)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "graphile-migrate {cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    run_cmd("migrate");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM graphile_migrate.migrations").as_deref(),
        Some("120")
    );
    for file in &files[120..] {
        std::fs::rename(held.join(file), committed.join(file)).unwrap();
    }
    std::fs::remove_dir(&held).unwrap();
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"].as_array().unwrap().len(), 120, "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 120, "{db}");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM accounts").as_deref(),
        Some("30"),
        "each seed ran exactly once"
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("240")
    );
    // pgfleet kept graphile-migrate's table in step: the real tool has nothing to do.
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM graphile_migrate.migrations").as_deref(),
        Some("240")
    );
    // `status` exits 2 only for the fixture's uncommitted `current.sql` (1 would be
    // committed migrations pending).
    // `status` validates a shadow database URL it does not use here.
    let status = Command::new(&tool)
        .arg("status")
        .env("SHADOW_DATABASE_URL", dbs.url(&dbs.name("shadow")))
        .current_dir(ws.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout).into_owned()
        + &String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(2), "{said}");
    assert!(!said.contains("pending"), "{said}");
    let migrate = run_cmd("migrate");
    assert!(
        migrate.contains("up to date") && !migrate.contains("Running migration"),
        "{migrate}"
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM accounts").as_deref(),
        Some("30"),
        "graphile-migrate ran nothing again"
    );
}

/// graphile-migrate replaces its placeholders before running a migration
/// (`migration.ts`): `:DATABASE_NAME` (the database it connects to), `:DATABASE_OWNER`
/// (`databaseOwner`, else the connecting user), and the `.gmrc` ones, `!ENV` read from
/// the environment; pgfleet does the same, and refuses a run whose `!ENV` variable is
/// not set before anything runs.
#[test]
fn graphile_placeholders_are_replaced() {
    let dbs = TestDbs::new("graphile_placeholders");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"gm/migrations\"\nformat = \"graphile-migrate\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("graphile-migrate/placeholders", "gm");
    ws.pgfleet()
        .args(["up"])
        .expect_code(2)
        .stderr_contains("the environment variable `APP_SCHEMA` is not set");
    assert_eq!(dbs.existing(), Vec::<String>::new());
    let url = dbs.url(&dbs.name("app"));
    ws.pgfleet()
        .args(["up"])
        .env("APP_SCHEMA", "gm_app")
        .success();
    assert_eq!(
        query(&url, "SELECT owner, visitor, db FROM gm_app.labels"),
        [[
            Some("postgres".to_owned()),
            Some("visitor".to_owned()),
            Some(dbs.name("app"))
        ]]
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'"
        )
        .as_deref(),
        Some("2")
    );
}
