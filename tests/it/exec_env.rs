//! `exec` and `env`: handing connection settings to services.

use crate::support::{TestDbs, Workspace, cluster};

fn fleet(test: &str) -> (TestDbs, Workspace) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\n[databases.billing]\n[envs.single]\nserver = \"pg\"\ndatabase = \"{}_fleet\"\nschema = \"{{name}}\"\n",
        dbs.manifest_head(),
        dbs.prefix
    ));
    (dbs, ws)
}

#[test]
fn exec_sets_the_connection_and_passes_the_exit_status() {
    let (dbs, ws) = fleet("exec_env");
    ws.pgfleet().args(["-e", "test", "up"]).success();
    let out = ws
        .pgfleet()
        .args([
            "-e",
            "test",
            "exec",
            "auth",
            "--",
            "sh",
            "-c",
            "echo $DATABASE_URL $PGHOST $PGPORT $PGUSER $PGDATABASE",
        ])
        .success();
    assert_eq!(
        out.stdout,
        format!(
            "postgresql://postgres@127.0.0.1:{port}/{db} 127.0.0.1 {port} postgres {db}\n",
            port = cluster().port,
            db = dbs.name("auth")
        )
    );
    assert_eq!(out.stderr, "");
    let out = ws
        .pgfleet()
        .args([
            "-e",
            "test",
            "exec",
            "auth",
            "--",
            "psql",
            "-Atc",
            "SELECT current_database()",
        ])
        .success();
    assert_eq!(out.stdout.trim(), dbs.name("auth"));
    ws.pgfleet()
        .args(["-e", "test", "exec", "auth", "--", "sh", "-c", "exit 7"])
        .expect_code(7);
    let out = ws
        .pgfleet()
        .args(["-e", "test", "exec", "auth", "--", "no-such-program-here"])
        .expect_code(127);
    out.stderr_contains("error: cannot run `no-such-program-here`: No such file or directory");
    // Found but not executable: 126, as shells say.
    ws.write("not-executable.sh", "echo hi\n");
    let script = ws.join("not-executable.sh");
    let out = ws
        .pgfleet()
        .args(["-e", "test", "exec", "auth", "--"])
        .args([&script])
        .expect_code(126);
    out.stderr_contains("Permission denied");
}

#[test]
fn exec_in_a_schema_placement_sets_the_search_path() {
    let (dbs, ws) = fleet("exec_schema");
    ws.pgfleet().args(["-e", "single", "up"]).success();
    let out = ws
        .pgfleet()
        .args([
            "-e",
            "single",
            "exec",
            "billing",
            "--",
            "psql",
            "-Atc",
            "CREATE TABLE invoices (id int); SHOW search_path",
        ])
        .success();
    assert_eq!(out.stdout.trim(), "CREATE TABLE\nbilling,public");
    let url = dbs.url(&dbs.name("fleet"));
    assert_eq!(
        crate::support::query_one(
            &url,
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'invoices'"
        )
        .as_deref(),
        Some("billing")
    );
}

#[test]
fn env_prints_urls_for_services() {
    let (dbs, ws) = fleet("env_print");
    let out = ws.pgfleet().args(["-e", "test", "env"]).success();
    let port = cluster().port;
    assert_eq!(
        out.stdout,
        format!(
            "AUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:{port}/{a}\nBILLING_DATABASE_URL=postgresql://postgres@127.0.0.1:{port}/{b}\n",
            a = dbs.name("auth"),
            b = dbs.name("billing")
        )
    );
    let out = ws
        .pgfleet()
        .args(["-e", "single", "env", "billing", "--json"])
        .success();
    let vars: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(vars["vars"]["PGDATABASE"], dbs.name("fleet"));
    assert_eq!(vars["vars"]["PGOPTIONS"], "-c search_path=billing,public");
}

/// The URL `env` hands out for a schema placement selects the schema: a client given
/// only the URL (psql, node-postgres) sees the database's tables unqualified.
#[test]
fn schema_placement_urls_select_the_schema_for_real_clients() {
    let (_dbs, ws) = fleet("env_schema_url");
    ws.pgfleet().args(["-e", "single", "up"]).success();
    ws.pgfleet()
        .args([
            "-e",
            "single",
            "exec",
            "billing",
            "--",
            "psql",
            "-Atc",
            "CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (7)",
        ])
        .success();
    let out = ws
        .pgfleet()
        .args(["-e", "single", "env", "billing", "--json"])
        .success();
    let vars: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let url = vars["vars"]["DATABASE_URL"].as_str().unwrap().to_owned();
    assert!(
        url.ends_with("?options=-c%20search_path%3Dbilling%2Cpublic"),
        "{url}"
    );
    // The listing of every database carries it too.
    let all = ws.pgfleet().args(["-e", "single", "env"]).success();
    all.stdout_contains("options=-c%20search_path%3Dbilling%2Cpublic");

    // psql (libpq), with no PG* variables: only the URL.
    let psql = std::process::Command::new("psql")
        .args([url.as_str(), "-Atc", "SELECT id FROM invoices"])
        .env_remove("PGOPTIONS")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&psql.stdout).trim(),
        "7",
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );
    // psycopg 3 (libpq underneath), where installed (`.ci/run` makes a venv for it).
    if let Some(python) = crate::support::tools::psycopg_python("schema_placement_urls (psycopg)") {
        let py = std::process::Command::new(python)
            .args([
                "-c",
                "import sys, psycopg\nwith psycopg.connect(sys.argv[1]) as c: print(c.execute('SELECT id FROM invoices').fetchone()[0])",
                url.as_str(),
            ])
            .env_remove("PGOPTIONS")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&py.stdout).trim(),
            "7",
            "{}",
            String::from_utf8_lossy(&py.stderr)
        );
    }
    // node-postgres, where installed (`.ci/run` installs it beside drizzle-kit).
    let Some(dir) = crate::support::tools::drizzle_dir("schema_placement_urls (node-postgres)")
    else {
        return;
    };
    let node = std::process::Command::new("node")
        .current_dir(&dir)
        .args([
            "-e",
            "const { Client } = require('pg'); const c = new Client({ connectionString: process.argv[1] }); \
             c.connect().then(() => c.query('SELECT id FROM invoices')).then(r => { console.log(r.rows[0].id); return c.end(); }) \
             .catch(e => { console.error(e.message); process.exit(1); });",
            url.as_str(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&node.stdout).trim(),
        "7",
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
}

#[test]
fn env_and_exec_hand_on_the_password_but_nothing_else_shows_it() {
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://app:s3cr%3At@127.0.0.1:1/postgres?connect_timeout=2\"\n[databases.app]\n",
    );
    ws.pgfleet().args(["env"]).success().stdout_contains(
        "APP_DATABASE_URL='postgresql://app:s3cr%3At@127.0.0.1:1/app?connect_timeout=2'",
    );
    ws.pgfleet()
        .args(["exec", "app", "--", "sh", "-c", "echo $PGPASSWORD"])
        .success()
        .stdout_contains("s3cr:t");
    ws.pgfleet()
        .args(["graph"])
        .success()
        .never_shows("s3cr")
        .stdout_contains("app:****@127.0.0.1:1");
    let out = ws.pgfleet().args(["create"]).expect_code(1);
    out.never_shows("s3cr")
        .stderr_contains("postgresql://app:****@127.0.0.1:1/postgres");
    let out = ws.pgfleet().args(["create", "-v", "-v"]).expect_code(1);
    out.never_shows("s3cr");
}
