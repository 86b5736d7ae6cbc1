//! `pgfleet up`: the README's quick start, on the embedded server.

use std::path::Path;

use crate::support::{TestDbs, Workspace, copy_dir, query};

#[test]
fn up_on_the_example_workspace_creates_the_fleet_and_is_then_a_no_op() {
    let ws = Workspace::new();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"),
        ws.path(),
    );
    let out = ws.pgfleet().args(["up"]).success();
    out.stdout_contains("server `local`: initialized and started on 127.0.0.1:")
        .stdout_contains(
            "auth: created database `shop_auth` on `local`, extensions `pgcrypto`, `citext`",
        )
        .stdout_contains("notifications: created database `shop_notifications` on `local`");

    let status = ws.pgfleet().args(["server", "status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let port = status["servers"][0]["port"].as_u64().unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
    let names = query(
        &url,
        "SELECT datname FROM pg_database WHERE datname LIKE 'shop%' ORDER BY 1",
    );
    let names: Vec<_> = names.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(
        names,
        [
            "shop_auth",
            "shop_billing",
            "shop_catalog",
            "shop_notifications"
        ]
    );

    let again = ws.pgfleet().args(["up"]).success();
    assert_eq!(again.stdout, "env `dev`: 4 databases up to date\n");

    // The `single` env packs the same fleet into one database, a schema each.
    ws.pgfleet().args(["-e", "single", "up"]).success();
    let schemas = query(
        &format!("postgresql://postgres@127.0.0.1:{port}/shop"),
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'billing', 'catalog', 'notifications') ORDER BY 1",
    );
    assert_eq!(schemas.len(), 4);

    ws.pgfleet()
        .args(["server", "stop"])
        .success()
        .stdout_contains("server `local`: stopped");
}

#[test]
fn up_adds_dependencies_unless_only() {
    let dbs = TestDbs::new("up_deps");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\n[databases.billing]\ndepends_on = [\"auth\"]\n[databases.other]\n",
        dbs.manifest_head()
    ));
    ws.pgfleet().args(["up", "billing", "--only"]).success();
    assert_eq!(dbs.existing(), [dbs.name("billing")]);
    ws.pgfleet().args(["up", "billing"]).success();
    assert_eq!(dbs.existing(), [dbs.name("auth"), dbs.name("billing")]);
    let out = ws.pgfleet().args(["up", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["env"], "test");
    assert_eq!(report["create"]["databases"].as_array().unwrap().len(), 3);
    assert_eq!(report["create"]["databases"][2]["created_database"], true);
}

/// Monorepo task runners (turbo, nx, `predev` hooks) start several `up` at once on a
/// fresh checkout: one server is initialised, every database is created and migrated
/// once, seeds run once, and every run succeeds.
#[test]
fn six_concurrent_ups_on_a_fresh_workspace_all_succeed() {
    let ws = Workspace::new();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"),
        ws.path(),
    );
    let manifest = std::fs::read_to_string(ws.join("pgfleet.toml"))
        .unwrap()
        .replace(
            "[databases.auth]\n",
            "[databases.auth]\nseeds = \"services/auth/seeds\"\n",
        );
    ws.write("pgfleet.toml", &manifest).write(
        "services/auth/seeds/01_users.sql",
        "INSERT INTO users (email, password) VALUES ('ada@example.com', 'x');\n",
    );
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let command = ws.pgfleet().args(["up"]);
            std::thread::spawn(move || command.run())
        })
        .collect();
    for run in runs {
        let out = run.join().unwrap();
        assert_eq!(
            out.code, 0,
            "a concurrent `up` failed\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout, out.stderr
        );
    }

    let status = ws.pgfleet().args(["server", "status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["servers"].as_array().unwrap().len(), 1, "{status}");
    let port = status["servers"][0]["port"].as_u64().unwrap();
    let url = |db: &str| format!("postgresql://postgres@127.0.0.1:{port}/{db}");
    let count = |db: &str, sql: &str| {
        query(&url(db), sql)[0][0]
            .clone()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    assert_eq!(
        count(
            "postgres",
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'shop_%'"
        ),
        4
    );
    // Migrated once (two auth migrations), seeded once.
    assert_eq!(
        count("shop_auth", "SELECT count(*) FROM pgfleet.history"),
        2
    );
    assert_eq!(count("shop_auth", "SELECT count(*) FROM users"), 1);

    // The same at once for the schema placement: six runs creating the same schemas.
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let command = ws.pgfleet().args(["-e", "single", "up"]);
            std::thread::spawn(move || command.run())
        })
        .collect();
    for run in runs {
        let out = run.join().unwrap();
        assert_eq!(out.code, 0, "--- stderr\n{}", out.stderr);
    }
    assert_eq!(count("shop", "SELECT count(*) FROM auth.users"), 1);
    ws.pgfleet().args(["server", "stop"]).success();
}

/// In a git repository, `up` on an embedded server makes git ignore `.pgfleet/`
/// (clusters, logs, backups), once.
#[test]
fn up_adds_pgfleet_to_the_repositorys_gitignore() {
    let ws = Workspace::with_manifest("[servers.local]\nembedded = true\n[databases.app]\n");
    ws.mkdir(".git").write(".gitignore", "/target\n");
    let out = ws.pgfleet().args(["up"]).success();
    out.stderr_contains("added `.pgfleet/` to `")
        .stderr_contains(".gitignore`, so git ignores the embedded servers' files");
    assert_eq!(
        std::fs::read_to_string(ws.join(".gitignore")).unwrap(),
        "/target\n.pgfleet/\n"
    );
    let again = ws.pgfleet().args(["up"]).success();
    assert!(!again.stderr.contains("added"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.join(".gitignore")).unwrap(),
        "/target\n.pgfleet/\n"
    );
    ws.pgfleet().args(["server", "stop"]).success();
}
