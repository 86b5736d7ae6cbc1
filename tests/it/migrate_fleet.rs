//! Fleet runs and exactly-once: dependency order, a failure in the middle,
//! concurrent runners (directly and through PgBouncer), adoption of other
//! tools' history, rollback.

use std::process::Child;

use crate::support::{
    Figures, PgBouncer, TestDbs, Workspace, cluster, fixture, query, query_one, trials,
};

/// Migrations `from..to`; `0000` makes the log, each other one logs its
/// version once into `log`, so a migration applied twice shows as a
/// duplicate (or fails on the primary key). The middle one of each batch
/// runs outside a transaction.
fn counted_migrations(ws: &Workspace, from: usize, to: usize) {
    if from == 0 {
        ws.write(
            "db/0000_log.sql",
            "CREATE TABLE log (version text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp());\n",
        );
    }
    for i in from.max(1)..to {
        let body = if i == from.midpoint(to) {
            format!(
                "CREATE INDEX CONCURRENTLY log_at_{i} ON log (at);\nINSERT INTO log (version) VALUES ('{i:04}');\n"
            )
        } else {
            format!("CREATE TABLE t{i} (id int);\nINSERT INTO log (version) VALUES ('{i:04}');\n")
        };
        ws.write(&format!("db/{i:04}_step.sql"), &body);
    }
}

fn spawn_migrates(ws: &Workspace, count: usize) -> Vec<Child> {
    (0..count)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_pgfleet"))
                .current_dir(ws.path())
                .args(["migrate", "-q"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

/// Rounds of `runners` processes running `migrate` at once on the same
/// database: 40 migrations in the first round, 10 more in each next one.
/// After every round each migration is applied exactly once and no runner
/// failed. CI runs 2 rounds; `PGFLEET_RELIABILITY_LONG=1` runs 20.
fn assert_exactly_once(test: &str, ws: &Workspace, url: &str, runners: usize) {
    ws.mkdir("db");
    ws.pgfleet().args(["create"]).success();
    let mut figures = Figures {
        trials: trials(2, 20),
        ..Figures::default()
    };
    let mut n = 0;
    for round in 0..figures.trials {
        let next = if round == 0 { 40 } else { n + 10 };
        counted_migrations(ws, n, next);
        n = next;
        for child in spawn_migrates(ws, runners) {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                figures.failures += 1;
                figures.notes.push(format!(
                    "round {round}: a runner failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        let counts = query(
            url,
            "SELECT (SELECT count(*) FROM pgfleet.history), (SELECT count(*) FROM log),
                    (SELECT count(*) FROM pgfleet.history WHERE state <> 'applied')",
        );
        let expected = [n.to_string(), (n - 1).to_string(), "0".to_owned()].map(Some);
        if counts[0] != expected {
            figures.inconsistencies += 1;
            figures.notes.push(format!(
                "round {round}: history, log, not applied = {:?}, expected {expected:?}",
                counts[0]
            ));
        }
    }
    figures.finish(test);
}

#[test]
fn concurrent_migrates_apply_each_migration_once() {
    let dbs = TestDbs::new("concurrent");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    assert_exactly_once("concurrent", &ws, &dbs.url(&dbs.name("app")), 8);
}

#[test]
fn concurrent_migrates_through_pgbouncer_in_transaction_mode_apply_each_once() {
    let dbs = TestDbs::new("bouncer");
    let bouncer = PgBouncer::start();
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql://postgres@127.0.0.1:{}/postgres\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\ndatabase = \"{}_{{name}}\"\n",
        bouncer.port, dbs.prefix
    ));
    assert_exactly_once("concurrent_pgbouncer", &ws, &dbs.url(&dbs.name("app")), 8);
    ws.pgfleet().args(["status", "--check"]).success();
    drop(bouncer);
}

#[test]
fn a_waiting_migrate_times_out_naming_the_holder() {
    let dbs = TestDbs::new("lock_timeout");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_slow.sql", "SELECT pg_sleep(3);\n");
    ws.pgfleet().args(["create"]).success();
    let mut slow = spawn_migrates(&ws, 1);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let out = ws
        .pgfleet()
        .args(["migrate", "--lock-timeout", "1s"])
        .expect_code(1);
    out.stderr_contains("`app`: another migration run held the lock for 1s: server pid ")
        .stderr_contains("pgfleet migrate (pid ");
    assert!(slow.remove(0).wait().unwrap().success());
    ws.pgfleet().args(["migrate"]).success();
}

#[test]
fn a_failure_in_the_middle_stops_new_work_and_a_rerun_continues() {
    let dbs = TestDbs::new("fleet_fail");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\nmigrations = \"auth\"\n[databases.billing]\nmigrations = \"billing\"\ndepends_on = [\"auth\"]\n\
         [databases.reports]\nmigrations = \"reports\"\ndepends_on = [\"billing\"]\n",
        dbs.manifest_head()
    ));
    ws.write("auth/0001_users.sql", "CREATE TABLE users (id int);\n");
    ws.write(
        "billing/0001_invoices.sql",
        "CREATE TABLE invoices (id int);\n",
    );
    ws.write(
        "billing/0002_broken.sql",
        "ALTER TABLE nope ADD COLUMN x int;\n",
    );
    ws.write("reports/0001_daily.sql", "CREATE TABLE daily (id int);\n");
    let out = ws
        .pgfleet()
        .args(["up", "--json", "--jobs", "1"])
        .expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let outcomes: Vec<_> = report["migrate"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["database"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
                d["applied"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("auth".to_owned(), "migrated".to_owned(), 1),
            ("billing".to_owned(), "failed".to_owned(), 1),
            ("reports".to_owned(), "not_started".to_owned(), 0)
        ]
    );
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stdout_contains("billing   FAILED")
        .stdout_contains("reports   not started");
    out.stderr_contains("billing/0002_broken.sql:1: relation \"nope\" does not exist");

    ws.write(
        "billing/0002_broken.sql",
        "ALTER TABLE invoices ADD COLUMN x int;\n",
    );
    let out = ws.pgfleet().args(["migrate"]).success();
    out.stdout_contains("auth      up to date")
        .stdout_contains("billing   migrated    1")
        .stdout_contains("reports   migrated    1");
}

#[test]
fn independent_databases_run_in_parallel() {
    let dbs = TestDbs::new("parallel");
    let mut manifest = dbs.manifest_head();
    for name in ["a", "b", "c"] {
        manifest.push_str(&format!("[databases.{name}]\nmigrations = \"{name}\"\n"));
    }
    let ws = Workspace::with_manifest(&manifest);
    for name in ["a", "b", "c"] {
        // Each records when it started, then holds its transaction for 2 s.
        ws.write(
            &format!("{name}/0001_sleep.sql"),
            "CREATE TABLE started AS SELECT clock_timestamp() AS at;\nSELECT pg_sleep(2);\n",
        );
    }
    ws.pgfleet().args(["up", "--jobs", "3"]).success();
    let starts: Vec<f64> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            let url = dbs.url(&dbs.name(n));
            query_one(&url, "SELECT extract(epoch FROM at) FROM started")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let spread = starts.iter().copied().fold(f64::MIN, f64::max)
        - starts.iter().copied().fold(f64::MAX, f64::min);
    // One after another, each would start 2 s after the previous one.
    assert!(
        spread < 1.5,
        "the three migrations started {spread:.2} s apart: not in parallel"
    );
}

/// Adoption: each peer's history table, filled as the peer would leave it
/// after applying the first migration of its fixture.
#[test]
fn databases_migrated_by_other_tools_are_adopted_not_rerun() {
    let dbs = TestDbs::new("adopt");
    let cases = [
        (
            "prisma",
            "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);
             INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('1', 'x', '2024-01-05 12:00:00+00', '20240105120000_create_customers_and_invoices', 1);",
        ),
        (
            "dbmate",
            "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
             INSERT INTO schema_migrations VALUES ('20240110090000');",
        ),
        (
            "sqlx",
            "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL, installed_on timestamptz NOT NULL DEFAULT now(), success boolean NOT NULL, checksum bytea NOT NULL, execution_time bigint NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (20240115080000, 'create customers and invoices', '2024-01-15 08:00:00+00', true, '\\x00', 1);",
        ),
        (
            "flyway",
            "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);
             INSERT INTO flyway_schema_history VALUES (1, '1', 'create customers and invoices', 'SQL', 'V1__create_customers_and_invoices.sql', 0, 'me', '2024-01-01 00:00:00', 1, true);",
        ),
    ];
    let mut manifest = dbs.manifest_head();
    for (format, _) in cases {
        manifest.push_str(&format!(
            "[databases.{format}]\nmigrations = \"{}\"\nformat = \"{format}\"\n",
            fixture(&format!("{format}/basic")).display()
        ));
    }
    let ws = Workspace::with_manifest(&manifest);
    ws.pgfleet().args(["create"]).success();
    for (format, peer_sql) in cases {
        let url = dbs.url(&dbs.name(format));
        // The first migration, as the peer applied it, plus the peer's table.
        let first = match format {
            "prisma" => std::fs::read_to_string(fixture(
                "prisma/basic/20240105120000_create_customers_and_invoices/migration.sql",
            ))
            .unwrap(),
            "dbmate" => {
                let text = std::fs::read_to_string(fixture(
                    "dbmate/basic/20240110090000_create_customers_and_invoices.sql",
                ))
                .unwrap();
                text.split("-- migrate:down").next().unwrap().to_owned()
            }
            "sqlx" => std::fs::read_to_string(fixture(
                "sqlx/basic/20240115080000_create_customers_and_invoices.sql",
            ))
            .unwrap(),
            _ => std::fs::read_to_string(fixture(
                "flyway/basic/V1__create_customers_and_invoices.sql",
            ))
            .unwrap(),
        };
        query(&url, &first);
        query(&url, peer_sql);
    }
    // Re-running a first migration would fail: its tables exist.
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for db in report["databases"].as_array().unwrap() {
        assert_eq!(db["adopted"].as_array().unwrap().len(), 1, "{db}");
        assert_eq!(db["applied"].as_array().unwrap().len(), 2, "{db}");
    }
    let url = dbs.url(&dbs.name("prisma"));
    let rows = query(
        &url,
        "SELECT version, applied_by, applied_at::date::text FROM pgfleet.history ORDER BY version LIMIT 1",
    );
    assert_eq!(
        rows,
        [[
            Some("20240105120000_create_customers_and_invoices".into()),
            Some("adopted from _prisma_migrations".into()),
            Some("2024-01-05".into())
        ]]
    );
    // Prisma's table also lists the two pgfleet applied, finished as Prisma finishes a
    // migration (`peer_history = "sync"`), with Prisma's checksum of migration.sql.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(DISTINCT applied_steps_count || ' ' || (finished_at IS NOT NULL AND rolled_back_at IS NULL AND logs IS NULL) || ' ' || length(id) || ' ' || length(checksum), ',') FROM _prisma_migrations WHERE migration_name <> '20240105120000_create_customers_and_invoices'"
        )
        .as_deref(),
        Some("1 true 36 64"),
        "two rows as Prisma finishes them"
    );
    for db in ["sqlx", "flyway", "dbmate"] {
        let url = dbs.url(&dbs.name(db));
        let table = match db {
            "sqlx" => "_sqlx_migrations",
            "flyway" => "flyway_schema_history",
            _ => "schema_migrations",
        };
        assert_eq!(
            query_one(&url, &format!("SELECT count(*) FROM {table}")).as_deref(),
            Some("3"),
            "{db}"
        );
    }
}

#[test]
fn rollback_runs_recorded_down_scripts_even_after_the_file_is_gone() {
    let dbs = TestDbs::new("rollback");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    for i in 1..=3 {
        ws.write(
            &format!("db/000{i}_t{i}.sql"),
            &format!("CREATE TABLE t{i} (id int);\n-- pgfleet:down\nDROP TABLE t{i};\n"),
        );
    }
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    std::fs::write(
        ws.join("db/0003_t3.sql"),
        "CREATE TABLE t3 (id int);\n-- pgfleet:down\nSELECT 'edited, not used';\n",
    )
    .unwrap();
    ws.pgfleet()
        .args(["rollback", "app"])
        .success()
        .stdout_contains("app: rolled back 0003_t3");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('t3') IS NULL").as_deref(),
        Some("t")
    );
    ws.pgfleet()
        .args(["rollback", "app", "--to", "0001"])
        .success()
        .stdout_contains("app: rolled back 0002_t2");
    assert_eq!(
        query_one(&url, "SELECT string_agg(version, ',') FROM pgfleet.history").as_deref(),
        Some("0001")
    );
    let ws_prod = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.app]\n[envs.prod]\nprotected = true\n",
        cluster().url
    ));
    ws_prod
        .pgfleet()
        .args(["rollback", "app"])
        .expect_code(4)
        .stderr_contains("`rollback` refused");
}

/// `migrate --dry-run` with the server down: one line naming the databases, the
/// server and its address, no progress line per database, no connection details
/// of pgfleet's own (its application_name).
#[test]
fn migrate_dry_run_on_an_unreachable_server_says_so_once() {
    // Nothing listens on port 1 of 127.0.0.1 (only root could bind it).
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5\"\n\
         [databases.app]\nmigrations = \"db/app\"\n[databases.billing]\nmigrations = \"db/billing\"\n",
    );
    ws.write("db/app/0001_a.sql", "CREATE TABLE a (id int);\n");
    ws.write("db/billing/0001_b.sql", "CREATE TABLE b (id int);\n");
    let out = ws.pgfleet().args(["migrate", "--dry-run"]).expect_code(1);
    out.stderr_contains("error: `app`, `billing`: server `pg` at `127.0.0.1:1` is unreachable: ")
        .stderr_contains("hint: start the server, or correct its `url` in the manifest");
    assert_eq!(
        out.stderr.matches("unreachable").count(),
        1,
        "{}",
        out.stderr
    );
    for noise in ["FAILED after", "application_name", "pgfleet migrate (pid"] {
        assert!(!out.stderr.contains(noise), "{noise}: {}", out.stderr);
    }
}
