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
    out.stderr_contains("no answer within 1 s")
        .stderr_contains("127.0.0.1")
        .never_shows("hunter2");
    assert!(
        out.elapsed < Duration::from_secs(5),
        "took {:?}",
        out.elapsed
    );
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

/// One embedded cluster with TLS on and SCRAM passwords for everyone but
/// `postgres`, then every sslmode and a wrong password through the CLI.
#[test]
fn tls_modes_and_passwords_against_a_real_server() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let ws = Workspace::with_manifest("[servers.local]\nembedded = true\n");
    ws.pgfleet().args(["server", "start"]).success();
    let data = ws.join(".pgfleet/local/data");
    let owner = std::fs::metadata(&data).unwrap();
    let certs = crate::support::make_test_certs(&ws.join("certs"));
    for (from, to) in [(&certs.cert, "server.crt"), (&certs.key, "server.key")] {
        std::fs::copy(from, data.join(to)).unwrap();
        std::fs::set_permissions(data.join(to), std::fs::Permissions::from_mode(0o600)).unwrap();
        nix::unistd::chown(
            &data.join(to),
            Some(owner.uid().into()),
            Some(owner.gid().into()),
        )
        .unwrap();
    }
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\nhost all postgres 127.0.0.1/32 trust\n\
         hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    let status = ws.pgfleet().args(["server", "status", "--json"]).success();
    let port =
        serde_json::from_str::<serde_json::Value>(&status.stdout).unwrap()["servers"][0]["port"]
            .as_u64()
            .unwrap();
    let admin = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
    crate::support::query(&admin, "ALTER SYSTEM SET ssl = on");
    crate::support::query(&admin, "SELECT pg_reload_conf()");
    crate::support::query(&admin, "CREATE ROLE app LOGIN CREATEDB PASSWORD 's3cret'");

    let other_ca = crate::support::make_test_certs(&ws.join("other")).ca;
    let ca = certs.ca.display().to_string();
    let other = other_ca.display().to_string();
    let create = |url: String| {
        let manifest = format!(
            "[servers.pg]\nurl = \"{url}\"\n[databases.app]\n[envs.t]\ndatabase = \"tls_app\"\n"
        );
        ws.write("tls/pgfleet.toml", &manifest);
        crate::support::Pgfleet::new()
            .current_dir(&ws.join("tls"))
            .args(["create"])
            .run()
    };
    for url in [
        format!("postgresql://app:s3cret@127.0.0.1:{port}/postgres?sslmode=require"),
        format!(
            "postgresql://app:s3cret@127.0.0.1:{port}/postgres?sslmode=verify-ca&sslrootcert={ca}"
        ),
        format!(
            "postgresql://app:s3cret@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
        ),
        format!(
            "postgresql://app:s3cret@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
        ),
    ] {
        let out = create(url.clone());
        assert_eq!(out.code, 0, "{url}\n{}", out.stderr);
        out.never_shows("s3cret");
        // The connection really is encrypted.
        let ssl = crate::support::query_one(
            &url.replace("/postgres?", "/tls_app?"),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        );
        assert_eq!(ssl.as_deref(), Some("t"), "{url}");
    }

    let out = create(format!(
        "postgresql://app:s3cret@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert={other}"
    ));
    assert_eq!(out.code, 1);
    out.stderr_contains("UnknownIssuer").never_shows("s3cret");

    let out = create(format!(
        "postgresql://app:s3cret@127.0.0.1:{port}/postgres?sslmode=verify-ca&sslrootcert=/no/such/root.crt"
    ));
    assert_eq!(out.code, 1);
    out.stderr_contains("/no/such/root.crt")
        .never_shows("s3cret");

    let out = create(format!(
        "postgresql://app:wrong-pass@127.0.0.1:{port}/postgres"
    ));
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.stderr_contains("password authentication failed")
        .never_shows("wrong-pass");
}
