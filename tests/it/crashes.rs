//! `kill -9` of `pgfleet migrate` part-way through a 200-migration run, at
//! random moments and on purpose during a no-transaction migration.
//! Afterwards history and schema agree (each migration applied and
//! recorded, or neither; an interrupted no-transaction one shows as failed,
//! `repair` clears it), and a re-run completes. CI runs 3 trials;
//! `PGFLEET_RELIABILITY_LONG=1` runs 50.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::{Figures, Rng, TestDbs, Workspace, query, query_one, trials};

const MIGRATIONS: usize = 200;
/// These run outside a transaction: a sleep, then an index built
/// concurrently. Rerunnable, so that a cleared one can run again.
const NO_TX: [usize; 3] = [50, 100, 150];

fn write_migrations(ws: &Workspace) {
    ws.write(
        "db/0000_log.sql",
        "CREATE TABLE log (version text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp());\n",
    );
    for i in 1..MIGRATIONS {
        let body = if NO_TX.contains(&i) {
            format!(
                "SELECT pg_sleep(0.4);\nDROP INDEX CONCURRENTLY IF EXISTS log_at_{i};\n\
                 CREATE INDEX CONCURRENTLY log_at_{i} ON log (at);\n\
                 INSERT INTO log (version) VALUES ('{i:04}') ON CONFLICT DO NOTHING;\n"
            )
        } else {
            format!("CREATE TABLE t{i} (id int);\nINSERT INTO log (version) VALUES ('{i:04}');\n")
        };
        ws.write(&format!("db/{i:04}_step.sql"), &body);
    }
}

fn spawn_migrate(ws: &Workspace) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pgfleet"))
        .current_dir(ws.path())
        .args(["migrate", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `pid`'s session runs a statement containing `needle`.
fn wait_for_statement(url: &str, pid: u32, needle: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfleet migrate (pid {pid})' AND query LIKE '%{needle}%' AND state = 'active'"
    );
    while Instant::now() < deadline {
        if query_one(url, &sql).as_deref() != Some("0") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// What disagrees between history and schema: each transactional migration
/// is recorded `applied` exactly when its table and log row exist; only a
/// no-transaction one may be `running` or `failed`.
fn disagreements(url: &str) -> Vec<String> {
    if query_one(url, "SELECT to_regclass('pgfleet.history') IS NULL").as_deref() == Some("t") {
        // Killed before the first record: nothing may exist either.
        return match query_one(url, "SELECT to_regclass('log') IS NULL").as_deref() {
            Some("t") => Vec::new(),
            _ => vec!["`log` exists but no history was recorded".to_owned()],
        };
    }
    if query_one(url, "SELECT to_regclass('log') IS NULL").as_deref() == Some("t") {
        // Killed after the history table was made, before `0000` committed.
        return match query_one(url, "SELECT count(*) FROM pgfleet.history").as_deref() {
            Some("0") => Vec::new(),
            other => vec![format!("no `log`, yet {other:?} history row(s)")],
        };
    }
    let no_tx = NO_TX.map(|i| format!("'{i:04}'")).join(",");
    let mut found: Vec<String> = query(
        url,
        &format!(
            "WITH v AS (SELECT lpad(i::text, 4, '0') AS version, i FROM generate_series(1, {last}) i),
                  s AS (SELECT v.version,
                               h.state,
                               to_regclass('t' || v.i) IS NOT NULL AS has_table,
                               EXISTS (SELECT 1 FROM log WHERE log.version = v.version) AS logged
                          FROM v LEFT JOIN pgfleet.history h ON h.db = 'app' AND h.version = v.version
                         WHERE v.version NOT IN ({no_tx}))
             SELECT version || ': history ' || coalesce(state, 'none') || ', table ' || has_table || ', log ' || logged
               FROM s
              WHERE (state = 'applied') <> has_table OR has_table <> logged OR coalesce(state, 'applied') <> 'applied'",
            last = MIGRATIONS - 1
        ),
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap_or_default())
    .collect();
    let log_without_history = query_one(
        url,
        "SELECT count(*) FROM log WHERE version = '0000' OR NOT EXISTS (SELECT 1 FROM pgfleet.history h WHERE h.version = log.version)",
    );
    if log_without_history.as_deref() != Some("0") {
        found.push(format!(
            "{log_without_history:?} log row(s) without history"
        ));
    }
    found
}

/// The backends the killed run left behind end once their statement does.
fn wait_backends_gone(url: &str, pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfleet migrate (pid {pid})'"
    );
    while Instant::now() < deadline {
        if query_one(url, &sql).as_deref() == Some("0") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn migrate_killed_at_random_moments_leaves_history_and_schema_in_agreement() {
    let dbs = TestDbs::new("crash");
    let mut rng = Rng::new("crash");
    let mut figures = Figures {
        trials: trials(3, 50),
        ..Figures::default()
    };
    let mut interrupted_no_tx = 0;
    for trial in 0..figures.trials {
        let physical = dbs.name(&format!("k{trial}"));
        let url = dbs.url(&physical);
        let ws = Workspace::with_manifest(&format!(
            "[servers.pg]\nurl = \"{}\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\ndatabase = \"{physical}\"\n",
            crate::support::cluster().url
        ));
        write_migrations(&ws);
        ws.pgfleet().args(["create"]).success();
        let mut child = spawn_migrate(&ws);
        let pid = child.id();
        // Odd trials: during a no-transaction migration; even: at random
        // (a whole run takes a second or two here).
        if trial % 2 == 1 {
            // Its 0.4 s sleep has started: kill within it or just after it
            // (in the concurrent index build, the insert, or recording).
            if !wait_for_statement(&url, pid, "pg_sleep", Duration::from_secs(30)) {
                figures.failures += 1;
                figures
                    .notes
                    .push(format!("trial {trial}: never saw `pg_sleep`"));
            }
            std::thread::sleep(Duration::from_millis(rng.below(600)));
        } else {
            std::thread::sleep(Duration::from_millis(rng.below(2500)));
        }
        let _ = kill(Pid::from_raw(pid.cast_signed()), Signal::SIGKILL);
        let _ = child.wait();

        let found = disagreements(&url);
        if !found.is_empty() {
            figures.inconsistencies += 1;
            figures
                .notes
                .push(format!("trial {trial}: {}", found.join("; ")));
        }
        // The re-run either completes, or stops at the interrupted
        // no-transaction migration, which `status` shows failed and
        // `repair` clears.
        let rerun = ws.pgfleet().args(["migrate"]).run();
        if rerun.code == 1
            && rerun
                .stderr
                .contains("failed part-way (interrupted: the run that started it")
        {
            interrupted_no_tx += 1;
            let status = ws.pgfleet().args(["status", "--json"]).success();
            let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
            let failed: Vec<_> = status["databases"][0]["migrations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["state"] == "failed")
                .map(|m| m["version"].as_str().unwrap().parse::<usize>().unwrap())
                .collect();
            if failed.len() != 1 || !NO_TX.contains(&failed[0]) {
                figures.inconsistencies += 1;
                figures
                    .notes
                    .push(format!("trial {trial}: status shows failed {failed:?}"));
            }
            rerun.stderr_contains(
                "hint: undo what it did if needed, then clear it with `pgfleet repair app`",
            );
            ws.pgfleet().args(["repair", "app", "--yes"]).success();
            let again = ws.pgfleet().args(["migrate"]).run();
            if again.code != 0 {
                figures.failures += 1;
                figures.notes.push(format!(
                    "trial {trial}: migrate after repair: {}",
                    again.stderr
                ));
            }
        } else if rerun.code != 0 {
            figures.failures += 1;
            figures.notes.push(format!(
                "trial {trial}: re-run exited {}: {}",
                rerun.code, rerun.stderr
            ));
        }
        let done = query(
            &url,
            "SELECT (SELECT count(*) FROM pgfleet.history WHERE state = 'applied'), (SELECT count(*) FROM log),
                    (SELECT count(*) FROM pg_index WHERE NOT indisvalid)",
        );
        let expected = [
            MIGRATIONS.to_string(),
            (MIGRATIONS - 1).to_string(),
            "0".to_owned(),
        ]
        .map(Some);
        if done[0] != expected {
            figures.inconsistencies += 1;
            figures.notes.push(format!(
                "trial {trial}: after the re-run history, log, invalid indexes = {:?}",
                done[0]
            ));
        }
        if !wait_backends_gone(&url, pid) {
            figures.failures += 1;
            figures.notes.push(format!(
                "trial {trial}: the killed run's server processes lived on"
            ));
        }
        query(
            &crate::support::cluster().url,
            &format!("DROP DATABASE IF EXISTS \"{physical}\" WITH (FORCE)"),
        );
    }
    eprintln!("crash: {interrupted_no_tx} trial(s) interrupted a no-transaction migration");
    figures.finish("crash");
}

/// Regression: a SIGKILLed run left its no-transaction migration `running`
/// for ever; the next `migrate` waited for the lock timeout and `status`
/// called it pending. Now the claim names its server process, and once that
/// is gone the migration shows as failed, with `repair` as the way out.
#[test]
fn a_killed_no_transaction_migration_shows_failed_and_repair_clears_it() {
    let dbs = TestDbs::new("crash_no_tx");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    ws.write(
        "db/0002_slow.sql",
        "SELECT pg_sleep(1);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n",
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let mut child = spawn_migrate(&ws);
    assert!(wait_for_statement(
        &url,
        child.id(),
        "pg_sleep",
        Duration::from_secs(30)
    ));
    kill(Pid::from_raw(child.id().cast_signed()), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    // The server process finishes its sleep, then finds the client gone.
    let started = Instant::now();
    let out = ws
        .pgfleet()
        .args(["migrate", "--lock-timeout", "20s"])
        .expect_code(1);
    out.stderr_contains("`app`: migration `0002` failed part-way (interrupted: the run that started it (server pid ")
        .stderr_contains("hint: undo what it did if needed, then clear it with `pgfleet repair app` and migrate again");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    ws.pgfleet()
        .args(["status"])
        .success()
        .stdout_contains("failed")
        .stdout_contains("blocked: `pgfleet repair`");
    let status = ws
        .pgfleet()
        .args(["status", "--json", "--check"])
        .expect_code(3);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["failed"], 1, "{status}");
    assert_eq!(status["databases"][0]["migrations"][1]["state"], "failed");
    ws.pgfleet()
        .args(["repair", "app", "--yes"])
        .success()
        .stdout_contains("app: 1 repair(s) recorded");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version || ' ' || state, ', ' ORDER BY version) FROM pgfleet.history"
        )
        .as_deref(),
        Some("0001 applied, 0002 applied")
    );
}

/// `repair` leaves alone a no-transaction migration whose run is alive:
/// clearing it would let a second run start the same statements again.
#[test]
fn repair_does_not_clear_a_no_transaction_migration_still_running() {
    let dbs = TestDbs::new("crash_repair_live");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_slow.sql", "SELECT pg_sleep(2);\nVACUUM;\n");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let child = spawn_migrate(&ws);
    assert!(wait_for_statement(
        &url,
        child.id(),
        "pg_sleep",
        Duration::from_secs(30)
    ));
    ws.pgfleet()
        .args(["repair", "app", "--yes"])
        .success()
        .stdout_contains("app: nothing to repair");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        query_one(&url, "SELECT state FROM pgfleet.history").as_deref(),
        Some("applied")
    );
}

/// A run waiting for another's no-transaction migration that finds the other's
/// session gone reads the row again before calling it interrupted: the other run
/// may have marked it applied and disconnected between the two reads (1 concurrent
/// run in 20 failed on that in a long reliability run). The test knob holds the
/// waiter between its read and its check while the first run finishes.
#[test]
fn a_claimant_that_finished_between_the_reads_is_not_called_interrupted() {
    let dbs = TestDbs::new("claim_reread");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    ws.write(
        "db/0002_slow.sql",
        "-- pgfleet:no-transaction\nSELECT pg_sleep(2);\nCREATE TABLE slow (id int);\n",
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let mut first = spawn_migrate(&ws);
    assert!(
        wait_for_statement(&url, first.id(), "pg_sleep", Duration::from_secs(30)),
        "the first run never reached 0002"
    );
    let second = ws
        .pgfleet()
        .env("PGFLEET_TEST_CLAIM_CHECK_DELAY_MS", "4000")
        .args(["migrate", "-v"])
        .run();
    assert!(first.wait().unwrap().success(), "the first run failed");
    assert_eq!(second.code, 0, "{}", second.stderr);
    second.stderr_contains("found applied by another run: 0002_slow.sql 0002_slow");
    assert_eq!(
        query(
            &url,
            "SELECT version, state FROM pgfleet.history ORDER BY version"
        ),
        [
            [Some("0001".to_owned()), Some("applied".to_owned())],
            [Some("0002".to_owned()), Some("applied".to_owned())]
        ]
    );
}
