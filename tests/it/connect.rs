//! Connections as users see them: unreachable servers, timeouts, wrong
//! passwords, TLS modes, URL forms; never a password in the output.

use std::net::TcpListener;
use std::time::Duration;

use crate::support::{TestDbs, Workspace, cluster};

#[test]
fn a_closed_port_fails_fast_with_a_clear_message() {
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://app:hunter2@127.0.0.1:1/postgres\"\n[databases.app]\n",
    );
    let out = ws.pgfleet().args(["create"]).expect_code(1);
    out.stderr_contains("error: could not connect to `postgresql://app:****@127.0.0.1:1/postgres`")
        .stderr_contains("onnection refused")
        .never_shows("hunter2");
}

#[test]
fn a_server_that_never_answers_fails_within_the_connect_timeout() {
    // Accepts TCP (the kernel completes the handshake) but never speaks.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql://app:hunter2@127.0.0.1:{port}/postgres?connect_timeout=1\"\n[databases.app]\n"
    ));
    let out = ws.pgfleet().args(["create"]).expect_code(1);
    out.stderr_contains("timed out").stderr_contains("127.0.0.1").never_shows("hunter2");
    assert!(out.elapsed < Duration::from_secs(5), "took {:?}", out.elapsed);
    drop(listener);
}

#[test]
fn url_forms_reach_the_same_server() {
    let dbs = TestDbs::new("url_forms");
    let port = cluster().port;
    let forms = [
        format!("postgresql://postgres@127.0.0.1:{port}/postgres"),
        format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
        format!("postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"),
        format!("postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"),
        format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
    ];
    for (i, url) in forms.iter().enumerate() {
        let ws = Workspace::with_manifest(&format!(
            "[servers.pg]\nurl = \"{}\"\n[databases.app]\n[envs.t]\ndatabase = \"{}\"\n",
            url.replace('"', "\\\""),
            dbs.name(&i.to_string())
        ));
        ws.pgfleet().args(["create"]).success();
    }
    assert_eq!(dbs.existing().len(), forms.len());
}

#[test]
fn pg_variables_fill_what_the_url_leaves_out() {
    let dbs = TestDbs::new("pg_vars");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql:///postgres\"\n[databases.app]\n[envs.t]\ndatabase = \"{}\"\n",
        dbs.name("app")
    ));
    ws.pgfleet()
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", cluster().port.to_string())
        .env("PGUSER", "postgres")
        .args(["create"])
        .success();
    assert_eq!(dbs.existing(), [dbs.name("app")]);
}
