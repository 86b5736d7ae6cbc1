//! Server faults: the server stopped in the middle of a run, a server that
//! accepts connections and never answers, and a statement that outlives
//! `statement_timeout`. pgfleet exits non-zero with a clear message within
//! its timeouts, changes nothing by halves, and a re-run completes.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Figures, TestDbs, Workspace, query, query_one, trials};

/// Its own embedded server (never the shared test cluster, which other
/// tests use): stopped part-way through a 60-migration run, then started
/// again. CI runs one trial; `PGFLEET_RELIABILITY_LONG=1` runs 5.
#[test]
fn a_server_stopped_mid_run_fails_clearly_and_a_rerun_completes() {
    let ws = Workspace::with_manifest(
        "[servers.local]\nembedded = true\n[databases.app]\nmigrations = \"db\"\n[envs.dev]\nserver = \"local\"\ndatabase = \"app\"\n",
    );
    ws.write(
        "db/0000_log.sql",
        "CREATE TABLE log (version text PRIMARY KEY);\n",
    );
    for i in 1..=60 {
        ws.write(
            &format!("db/{i:04}_step.sql"),
            &format!(
                "CREATE TABLE t{i} (id int);\nINSERT INTO log VALUES ('{i:04}');\nSELECT pg_sleep(0.05);\n"
            ),
        );
    }
    ws.pgfleet().args(["server", "start"]).success();
    let status = ws.pgfleet().args(["server", "status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/app",
        status["servers"][0]["port"].as_u64().unwrap()
    );
    ws.pgfleet().args(["create"]).success();
    let mut figures = Figures {
        trials: trials(1, 5),
        ..Figures::default()
    };
    for trial in 0..figures.trials {
        query(
            &url,
            "DROP SCHEMA IF EXISTS pgfleet CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
        );
        let child = Command::new(env!("CARGO_BIN_EXE_pgfleet"))
            .current_dir(ws.path())
            .args(["migrate"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Stop it once a few migrations are in.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline
            && query_one(&url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'")
                .is_none_or(|n| n.parse::<usize>().unwrap_or(0) < 5 + 5 * trial)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let stopped = Instant::now();
        ws.pgfleet().args(["server", "stop"]).success();
        let out = child.wait_with_output().unwrap();
        let took = stopped.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(1)
            || !stderr.contains("error: `app`: ")
            // Mid-statement the server's own words arrive; between two
            // statements only the closed connection does.
            || !(stderr.contains("terminating connection due to administrator command")
                || stderr.contains("the server closed the connection (was it stopped or restarted?)"))
            || !stderr.contains("hint: check that the server is up, then migrate again: every migration that committed is recorded")
            || took > Duration::from_secs(15)
        {
            figures.failures += 1;
            figures.notes.push(format!(
                "trial {trial}: exit {:?} {took:?} after the stop:\n{stderr}",
                out.status.code()
            ));
        }
        ws.pgfleet().args(["server", "start"]).success();
        // History and schema agree, then a re-run completes.
        let disagree = query_one(
            &url,
            "SELECT count(*) FROM generate_series(1, 60) i
              WHERE (to_regclass('t' || i) IS NOT NULL)
                 <> EXISTS (SELECT 1 FROM pgfleet.history WHERE version = lpad(i::text, 4, '0') AND state = 'applied')",
        );
        if disagree.as_deref() != Some("0") {
            figures.inconsistencies += 1;
            figures.notes.push(format!(
                "trial {trial}: {disagree:?} migration(s) half there"
            ));
        }
        let rerun = ws.pgfleet().args(["migrate"]).run();
        let done = query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'",
        );
        if rerun.code != 0 || done.as_deref() != Some("61") {
            figures.failures += 1;
            figures.notes.push(format!(
                "trial {trial}: re-run exited {} with {done:?} applied: {}",
                rerun.code, rerun.stderr
            ));
        }
    }
    ws.pgfleet().args(["server", "stop"]).success();
    figures.finish("server_stopped");
}

/// A listener that accepts every connection and never says a word.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

#[test]
fn a_server_that_never_answers_times_out_on_connect() {
    let port = silent_server();
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql://postgres:hunter2@127.0.0.1:{port}/postgres?connect_timeout=1\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\n"
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains(&format!(
        "error: `app`: server `pg` at `127.0.0.1:{port}` is unreachable: no answer within 1 s\n"
    ))
    .stderr_contains("hint: check that the server is running and reachable at that address, or raise connect_timeout")
    .never_shows("hunter2");
    assert!(
        out.elapsed < Duration::from_secs(4),
        "took {:?}",
        out.elapsed
    );
    for command in [&["status"][..], &["create"]] {
        let out = ws.pgfleet().args(command).expect_code(1);
        out.stderr_contains(&format!(
            "error: could not connect to `postgresql://postgres:****@127.0.0.1:{port}/"
        ))
        .stderr_contains("connect_timeout=1`: no answer within 1 s\n")
        .stderr_contains(
            "hint: check that the server is running and reachable, or raise connect_timeout",
        )
        .never_shows("hunter2");
        assert!(
            out.elapsed < Duration::from_secs(4),
            "`{command:?}` took {:?}",
            out.elapsed
        );
    }
}

/// `statement_timeout` set in the server URL's `options` bounds every
/// statement of a migration; the one that ran over is rolled back whole.
#[test]
fn statement_timeout_in_the_url_bounds_a_migration() {
    let dbs = TestDbs::new("statement_timeout");
    let manifest = |options: &str| {
        format!(
            "[servers.pg]\nurl = \"{}{options}\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"{}_{{name}}\"\n",
            crate::support::cluster().url,
            dbs.prefix
        )
    };
    // CREATE DATABASE may itself take a while on a busy machine: made first.
    let ws = Workspace::with_manifest(&manifest(""));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    ws.write(
        "db/0002_slow.sql",
        "CREATE TABLE u (id int);\nSELECT pg_sleep(30);\n",
    );
    ws.pgfleet().args(["create"]).success();
    ws.write(
        "pgfleet.toml",
        &manifest("?options=-c%20statement_timeout%3D1500"),
    );
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("db/0002_slow.sql:2: canceling statement due to statement timeout");
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version, ',') || ' ' || (to_regclass('u') IS NULL) FROM pgfleet.history"
        )
        .as_deref(),
        Some("0001 true")
    );
}
