//! Diesel folders on real PostgreSQL: Diesel's own order (dashed and undashed versions
//! interleaved), `metadata.toml`'s `run_in_transaction = false`, files beside the
//! folders left alone, adoption of (and write-back to) `__diesel_schema_migrations` (created here with the
//! SQL diesel_cli runs: `diesel_migrations`'s `CREATE TABLE IF NOT EXISTS
//! __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on
//! TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`), and a folder missing `up.sql`.

use crate::support::{TestDbs, Workspace, query, query_one, tools};

const DIESEL_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);";

fn workspace(dbs: &TestDbs, format: bool) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\n{}",
        dbs.manifest_head(),
        if format { "format = \"diesel\"\n" } else { "" }
    ));
    ws.fixture("diesel/basic", "migrations");
    ws
}

fn steps(url: &str) -> Vec<String> {
    query(url, "SELECT step FROM diesel_steps ORDER BY n")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

#[test]
fn diesel_folder_applies_in_diesels_order() {
    let dbs = TestDbs::new("diesel_apply");
    // Detected: no `format` in the manifest.
    let ws = workspace(&dbs, false);
    let out = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "diesel");
    assert_eq!(
        status["databases"][0]["migrations"][4]["version"],
        "20170301000000"
    );

    ws.pgfleet()
        .args(["up", "-v"])
        .success()
        .stderr_contains("outside a transaction")
        .stderr_contains("warning: `migrations/README.md`, `migrations/scratch.sql` match no migration pattern of their folder; they are not applied\n");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        steps(&url),
        ["create_posts", "add_post_archived_state", "backfill_titles"]
    );
    let again = ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        again.stderr.matches("warning:").count(),
        1,
        "{}",
        again.stderr
    );
    // The stray scratch.sql (which drops the table) never ran.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(e::text, ',') FROM unnest(enum_range(NULL::diesel_post_state)) e"
        )
        .as_deref(),
        Some("draft,published,archived")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'diesel_posts_title_idx'"
        )
        .as_deref(),
        Some("true")
    );
    // Diesel's helper works: the trigger it installs sets updated_at.
    query(
        &url,
        "INSERT INTO diesel_posts (title, body, updated_at) VALUES ('a', 'b', '2000-01-01'); UPDATE diesel_posts SET body = 'c'",
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT (updated_at > '2000-01-01')::text FROM diesel_posts"
        )
        .as_deref(),
        Some("true")
    );
    let versions = query_one(
        &url,
        "SELECT string_agg(version, ',' ORDER BY applied_at, version) FROM pgfleet.history",
    );
    assert_eq!(
        versions.as_deref(),
        Some(
            "00000000000000,20161231000000,20170115093000,20170201120000,20170301000000,20170401000000"
        )
    );
}

#[test]
fn diesel_history_is_adopted_from_diesel_schema_migrations() {
    let dbs = TestDbs::new("diesel_adopt");
    let ws = workspace(&dbs, true);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // What `diesel migration run` leaves after the first three migrations.
    for folder in [
        "00000000000000_diesel_initial_setup",
        "2016-12-31-000000_create_steps",
        "2017-01-15-093000_create_posts",
    ] {
        query(
            &url,
            &std::fs::read_to_string(ws.join(&format!("migrations/{folder}/up.sql"))).unwrap(),
        );
    }
    query(
        &url,
        &format!(
            "{DIESEL_TABLE}
             INSERT INTO __diesel_schema_migrations (version, run_on) VALUES
               ('00000000000000', '2017-01-15 09:00:00'),
               ('20161231000000', '2017-01-15 09:00:00'),
               ('20170115093000', '2017-01-15 09:30:00');"
        ),
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(
        db["adopted"],
        serde_json::json!(["00000000000000", "20161231000000", "20170115093000"]),
        "{db}"
    );
    assert_eq!(db["applied"].as_array().unwrap().len(), 3, "{db}");
    assert_eq!(
        steps(&url),
        ["create_posts", "add_post_archived_state", "backfill_titles"]
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT applied_by || ' ' || applied_at::date FROM pgfleet.history WHERE version = '20170115093000'"
        )
        .as_deref(),
        Some("adopted from __diesel_schema_migrations 2017-01-15")
    );
    // Diesel's table also lists the three pgfleet applied (`peer_history` is `sync`).
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM __diesel_schema_migrations").as_deref(),
        Some("6")
    );
}

#[test]
fn a_diesel_folder_missing_up_sql_is_refused_before_anything_runs() {
    let dbs = TestDbs::new("diesel_no_up");
    let ws = workspace(&dbs, true);
    // Created while the folder is whole: `create` reads every folder first.
    ws.pgfleet().args(["create"]).success();
    std::fs::remove_file(ws.join("migrations/20170201120000_add_post_archived_state/up.sql"))
        .unwrap();
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(2)
        .stderr_contains(&format!(
            "error: `app`: `{}` is a Diesel migration folder without `up.sql`; add `up.sql` (and `down.sql`) or remove the folder",
            ws.join("migrations/20170201120000_add_post_archived_state").display()
        ));
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT to_regclass('diesel_steps') IS NULL AND to_regclass('pgfleet.history') IS NULL"
        )
        .as_deref(),
        Some("t")
    );
}

/// A large folder as real projects have: hundreds of migrations, both version styles
/// interleaved by date, every tenth without a transaction.
#[test]
fn a_large_diesel_folder_applies_once_in_order() {
    let dbs = TestDbs::new("diesel_large");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\n",
        dbs.manifest_head()
    ));
    ws.write(
        "migrations/00000000000000_diesel_initial_setup/up.sql",
        "CREATE TABLE big_steps (n SERIAL PRIMARY KEY, version TEXT NOT NULL);\n",
    );
    let count = 300;
    let mut want = Vec::new();
    for i in 0..count {
        // One migration a day from 2020-01-01, alternating the two styles.
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i);
        let version = format!("{}120000", day.format("%Y%m%d"));
        let folder = if i % 2 == 0 {
            format!("{}-120000_step_{i}", day.format("%Y-%m-%d"))
        } else {
            format!("{version}_step_{i}")
        };
        let mut up = format!(
            "CREATE TABLE big_t{i} (id int);\nINSERT INTO big_steps (version) VALUES ('{version}');\n"
        );
        if i % 10 == 0 {
            up.push_str(&format!(
                "CREATE INDEX CONCURRENTLY big_t{i}_idx ON big_t{i} (id);\n"
            ));
            ws.write(
                &format!("migrations/{folder}/metadata.toml"),
                "run_in_transaction = false\n",
            );
        }
        ws.write(&format!("migrations/{folder}/up.sql"), &up);
        ws.write(
            &format!("migrations/{folder}/down.sql"),
            &format!("DROP TABLE big_t{i};\n"),
        );
        want.push(version);
    }
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let got: Vec<String> = query(&url, "SELECT version FROM big_steps ORDER BY n")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    assert_eq!(got, want);
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some(&*(count + 1).to_string())
    );
}

/// The real diesel_cli applies the first half of the fixture; pgfleet adopts that
/// history and applies the rest exactly once; diesel then has nothing pending.
#[test]
fn diesel_round_trip() {
    let Some(diesel) = tools::diesel("diesel_round_trip") else {
        return;
    };
    let dbs = TestDbs::new("diesel_round_trip");
    let ws = workspace(&dbs, false);
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // The first half, as a folder of its own for diesel to run.
    let all: Vec<String> = {
        let mut names: Vec<String> = std::fs::read_dir(ws.join("migrations"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort_by_key(|n| n.split('_').next().unwrap().replace('-', ""));
        names
    };
    for name in &all[..3] {
        crate::support::copy_dir(
            &ws.join(&format!("migrations/{name}")),
            &ws.join(&format!("half/{name}")),
        );
    }
    let run = |args: &[&str], dir: &str| {
        let out = std::process::Command::new(&diesel)
            .args(args)
            .args(["--database-url", &url, "--migration-dir", dir])
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "diesel {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["migration", "run"], "half");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM __diesel_schema_migrations").as_deref(),
        Some("3")
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"].as_array().unwrap().len(), 3, "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 3, "{db}");
    assert_eq!(
        steps(&url),
        ["create_posts", "add_post_archived_state", "backfill_titles"]
    );
    // pgfleet wrote Diesel's rows for what it applied: Diesel has nothing left.
    assert_eq!(run(&["migration", "pending"], "migrations").trim(), "false");
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}

/// The large Diesel fixture (tests/fixtures/generate-diesel.py: Diesel's initial setup
/// and 300 migrations whose dashed and undashed versions interleave, `metadata.toml`
/// CONCURRENTLY indexes, enum values used by later migrations, a README and a stray
/// `.sql` beside the folders), detected without `format` and applied in Diesel's order.
#[test]
fn diesel_app_fixture_applies_in_diesels_order() {
    let dbs = TestDbs::new("diesel_app");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("diesel/app", "migrations");
    ws.pgfleet()
        .args(["up"])
        .success()
        .stderr_contains("warning: `migrations/README.md`, `migrations/scratch.sql` match no migration pattern of their folder; they are not applied\n");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'"
        )
        .as_deref(),
        Some("301")
    );
    let want: Vec<String> = (10..309)
        .filter(|i| i % 10 != 3)
        .map(|i| i.to_string())
        .collect();
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(step, ',' ORDER BY n) FROM app_steps"
        ),
        Some(want.join(","))
    );
    // The stray scratch.sql (which drops app_accounts) never ran.
    assert_eq!(
        query_one(&url, "SELECT to_regclass('app_accounts')::text").as_deref(),
        Some("app_accounts")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FILTER (WHERE NOT i.indisvalid) || '/' || count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%\\_title\\_idx'"
        )
        .as_deref(),
        Some("0/30")
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}
