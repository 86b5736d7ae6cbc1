//! `verify`: a consistent fleet passes; orphans, missing schemas and
//! extensions, edited migrations and unreachable servers fail their checks.

use crate::support::{TestDbs, Workspace, query};

/// `auth` owns `users`; `app` owns `orders` whose `user_id` references
/// `auth.users.id`. `extra` is appended to `app`'s section.
fn fleet(dbs: &TestDbs, extra: &str) -> Workspace {
    let mut manifest = dbs.manifest_head();
    manifest.push_str(&format!(
        "[databases.auth]\nmigrations = \"auth\"\n\n\
         [databases.app]\nmigrations = \"app\"\ndepends_on = [\"auth\"]\n{extra}\n\
         [[databases.app.references]]\nfrom = \"orders.user_id\"\nto = \"auth.users.id\"\n"
    ));
    let ws = Workspace::with_manifest(&manifest);
    ws.write(
        "auth/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
         INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g;\n",
    );
    ws.write(
        "app/0001_orders.sql",
        "CREATE TABLE orders (id serial PRIMARY KEY, user_id integer);\n\
         INSERT INTO orders (user_id) SELECT 1 + g % 20 FROM generate_series(1, 100) g;\n\
         INSERT INTO orders (user_id) VALUES (NULL);\n",
    );
    ws
}

fn checks(stdout: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
    report["checks"].as_array().unwrap().clone()
}

fn find<'a>(checks: &'a [serde_json::Value], db: &str, check: &str) -> &'a serde_json::Value {
    checks
        .iter()
        .find(|c| c["database"] == db && c["check"] == check)
        .unwrap_or_else(|| panic!("no check `{check}` of `{db}` in {checks:#?}"))
}

#[test]
fn consistent_fleet_passes_and_planted_orphans_are_named() {
    let dbs = TestDbs::new("verify_orphans");
    let ws = fleet(&dbs, "");
    ws.pgfleet().args(["up"]).success();

    let out = ws.pgfleet().args(["verify"]).success();
    out.stdout_contains("app.orders.user_id -> auth.users.id")
        .stdout_contains("no orphans");
    let json = ws.pgfleet().args(["verify", "--json"]).success();
    let all = checks(&json.stdout);
    assert!(all.iter().all(|c| c["result"] == "ok"), "{all:#?}");
    assert_eq!(
        find(&all, "auth", "migrations")["detail"],
        "1 applied, 0 pending"
    );
    assert!(
        find(&all, "app", "server")["detail"]
            .as_str()
            .unwrap()
            .contains("PostgreSQL")
    );

    query(
        &dbs.url(&dbs.name("app")),
        "INSERT INTO orders (user_id) VALUES (999), (1000), (999)",
    );
    let out = ws.pgfleet().args(["verify"]).expect_code(3);
    out.stdout_contains("app.orders.user_id -> auth.users.id")
        .stdout_contains("2 orphan value(s) with no match, e.g. 1000, 999");
    // `-q` hides the passing checks, never the one that makes it exit 3.
    let quiet = ws.pgfleet().args(["-q", "verify"]).expect_code(3);
    quiet
        .stdout_contains("app.orders.user_id -> auth.users.id")
        .stdout_contains("FAILED");
    assert!(!quiet.stdout.contains("  ok  "), "{}", quiet.stdout);
    assert_eq!(quiet.stdout.lines().count(), 2, "{}", quiet.stdout);
    let json = ws
        .pgfleet()
        .args(["verify", "--json", "app"])
        .expect_code(3);
    let all = checks(&json.stdout);
    let reference = find(&all, "app", "app.orders.user_id -> auth.users.id");
    assert_eq!(reference["result"], "failed");
    assert_eq!(reference["orphans"], 2);
    assert_eq!(reference["samples"], serde_json::json!(["1000", "999"]));
}

#[test]
fn missing_schema_extension_and_edited_migration_fail_their_checks() {
    let dbs = TestDbs::new("verify_missing");
    let ws = fleet(
        &dbs,
        "schemas = [\"public\", \"sales\"]\nextensions = [\"citext\"]\n",
    );
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet().args(["verify"]).success();

    let app = dbs.url(&dbs.name("app"));
    query(&app, "DROP SCHEMA sales; DROP EXTENSION citext");
    ws.write(
        "auth/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, edited int);\n",
    );
    ws.write("app/0002_pending.sql", "SELECT 1;\n");
    let out = ws.pgfleet().args(["verify", "--json"]).expect_code(3);
    let all = checks(&out.stdout);
    let schema = find(&all, "app", "schema sales");
    assert_eq!(schema["result"], "failed");
    assert_eq!(
        schema["detail"],
        "schema `sales` is missing (hint: `pgfleet create` makes it)"
    );
    assert_eq!(find(&all, "app", "schema public")["result"], "ok");
    assert_eq!(find(&all, "app", "extension citext")["result"], "failed");
    let history = find(&all, "auth", "migrations");
    assert_eq!(history["result"], "failed");
    assert!(
        history["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 changed since applied: 0001_users"),
        "{history}"
    );
    // Pending is a warning: `status --check` is the gate for that.
    let pending = find(&all, "app", "migrations");
    assert_eq!(pending["result"], "warning");
    assert_eq!(
        pending["detail"],
        "1 applied, 1 pending (hint: `pgfleet migrate app`)"
    );
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["failed"], 3);
}

#[test]
fn missing_database_fails_and_unreachable_server_exits_1() {
    let dbs = TestDbs::new("verify_unreachable");
    let ws = fleet(&dbs, "");
    let out = ws
        .pgfleet()
        .args(["verify", "--json", "auth"])
        .expect_code(3);
    let all = checks(&out.stdout);
    assert_eq!(find(&all, "auth", "server")["result"], "ok");
    assert_eq!(find(&all, "auth", "database")["result"], "failed");

    // A port nothing listens on: the check fails, the rest still runs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut manifest = std::fs::read_to_string(ws.join("pgfleet.toml")).unwrap();
    manifest.push_str(&format!(
        "[servers.gone]\nurl = \"postgresql://postgres@127.0.0.1:{port}/postgres?connect_timeout=2\"\n\
         [envs.test.databases.auth]\nserver = \"gone\"\n"
    ));
    ws.write("pgfleet.toml", &manifest);
    let out = ws.pgfleet().args(["verify"]).expect_code(1);
    out.stdout_contains("auth      server")
        .stdout_contains("FAILED");
    let out = ws.pgfleet().args(["verify", "--json"]).expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["unreachable"], true);
    let all = checks(&out.stdout);
    let server = find(&all, "auth", "server");
    assert_eq!(server["result"], "failed");
    assert!(
        server["detail"]
            .as_str()
            .unwrap()
            .starts_with("`gone` cannot be reached"),
        "{server}"
    );
    // `app` is still checked; its reference into `auth` fails.
    assert_eq!(find(&all, "app", "server")["result"], "ok");
    assert_eq!(
        find(&all, "app", "app.orders.user_id -> auth.users.id")["result"],
        "failed"
    );
}

#[test]
fn reference_across_two_servers_finds_orphans() {
    let dbs = TestDbs::new("verify_two_servers");
    let ws = fleet(&dbs, "");
    let mut manifest = std::fs::read_to_string(ws.join("pgfleet.toml")).unwrap();
    manifest.push_str("[servers.other]\nembedded = true\n[envs.test.databases.auth]\nserver = \"other\"\ndatabase = \"auth\"\n");
    ws.write("pgfleet.toml", &manifest);
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet().args(["verify"]).success();

    query(
        &dbs.url(&dbs.name("app")),
        "INSERT INTO orders (user_id) VALUES (999), (1000)",
    );
    let out = ws.pgfleet().args(["verify", "--json"]).expect_code(3);
    let all = checks(&out.stdout);
    let server = find(&all, "auth", "server");
    assert!(
        server["detail"]
            .as_str()
            .unwrap()
            .starts_with("`other` PostgreSQL")
    );
    let reference = find(&all, "app", "app.orders.user_id -> auth.users.id");
    assert_eq!(reference["orphans"], 2);
    assert_eq!(reference["samples"], serde_json::json!(["1000", "999"]));
}
