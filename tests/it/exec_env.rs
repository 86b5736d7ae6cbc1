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
    assert_eq!(vars["PGDATABASE"], dbs.name("fleet"));
    assert_eq!(vars["PGOPTIONS"], "-c search_path=billing,public");
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
