//! `create` and `drop` on the shared test cluster: real databases, schemas
//! and extensions, names that need quoting, shared physical databases.

use crate::support::{TestDbs, Workspace, cluster, query, query_one};

#[test]
fn create_makes_databases_schemas_and_extensions_once() {
    let dbs = TestDbs::new("create_once");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\nextensions = [\"pgcrypto\"]\n[databases.billing]\ndepends_on = [\"auth\"]\nschemas = [\"billing\", \"public\"]\n",
        dbs.manifest_head()
    ));
    let out = ws.pgfleet().args(["create"]).success();
    out.stdout_contains(&format!(
        "auth: created database `{}` on `pg`, extensions `pgcrypto`",
        dbs.name("auth")
    ))
    .stdout_contains(&format!(
        "billing: created database `{}` on `pg`, schemas `billing`",
        dbs.name("billing")
    ));
    assert_eq!(dbs.existing(), [dbs.name("auth"), dbs.name("billing")]);
    let auth = dbs.url(&dbs.name("auth"));
    assert_eq!(
        query_one(
            &auth,
            "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'"
        )
        .as_deref(),
        Some("pgcrypto")
    );
    let billing = dbs.url(&dbs.name("billing"));
    assert_eq!(
        query_one(
            &billing,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'billing'"
        )
        .as_deref(),
        Some("1")
    );

    let again = ws.pgfleet().args(["create"]).success();
    again.stdout_contains(&format!("auth: exists (`{}` on `pg`)", dbs.name("auth")));
    assert!(!again.stdout.contains("created"), "{}", again.stdout);
}

#[test]
fn names_that_need_quoting_are_quoted() {
    let dbs = TestDbs::new("quoting");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.odd]\nschemas = [\"Mixed Case\", \"semi;colon\", \"quo\\\"te\"]\n[envs.test]\ndatabase = \"{}_Odd-Name\"\n",
        cluster().url,
        dbs.prefix
    ));
    ws.pgfleet().args(["create"]).success();
    let physical = format!("{}_Odd-Name", dbs.prefix);
    assert!(dbs.existing().contains(&physical), "{:?}", dbs.existing());
    let schemas = query(
        &dbs.url(&physical.replace(' ', "%20")),
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('Mixed Case', 'semi;colon', 'quo\"te') ORDER BY 1",
    );
    let names: Vec<_> = schemas.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(names, ["Mixed Case", "quo\"te", "semi;colon"]);
    ws.pgfleet().args(["drop"]).success();
    assert!(dbs.existing().is_empty());
}

#[test]
fn drop_in_a_shared_database_drops_only_what_it_owns() {
    let dbs = TestDbs::new("drop_shared");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.auth]\n[databases.billing]\n[envs.single]\ndatabase = \"{}_fleet\"\nschema = \"{{name}}\"\n",
        cluster().url,
        dbs.prefix
    ));
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("fleet"));
    // What migrate will write: a table per schema and history rows for both.
    query(
        &url,
        "CREATE TABLE auth.users (id int); CREATE TABLE billing.invoices (id int);
         CREATE SCHEMA pgfleet; CREATE TABLE pgfleet.history (db text, version text);
         INSERT INTO pgfleet.history VALUES ('auth', '1'), ('billing', '1'), ('billing', '2');",
    );
    let out = ws.pgfleet().args(["drop", "billing"]).success();
    out.stdout_contains(&format!(
        "billing: dropped schemas `billing` in `{}`",
        dbs.name("fleet")
    ));
    let schemas = query(
        &url,
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'billing', 'pgfleet') ORDER BY 1",
    );
    assert_eq!(
        schemas,
        [[Some("auth".to_owned())], [Some("pgfleet".to_owned())]]
    );
    assert_eq!(
        query(&url, "SELECT db, version FROM pgfleet.history"),
        [[Some("auth".to_owned()), Some("1".to_owned())]]
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM auth.users").as_deref(),
        Some("0")
    );

    // Dropping the last logical database in it drops the physical database.
    let out = ws.pgfleet().args(["drop"]).success();
    out.stdout_contains(&format!("dropped database `{}` on `pg`", dbs.name("fleet")));
    assert!(dbs.existing().is_empty());
    // And again: nothing left, still success.
    ws.pgfleet()
        .args(["drop"])
        .success()
        .stdout_contains("did not exist");
}

#[test]
fn drop_is_refused_in_a_protected_env_before_connecting() {
    // Port 1 on loopback: any connection attempt would fail with exit 1, so
    // exit 4 proves the refusal came from the manifest alone.
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://u:hunter2@127.0.0.1:1/postgres\"\n[databases.app]\n[envs.prod]\nprotected = true\n",
    );
    let out = ws.pgfleet().args(["drop"]).expect_code(4);
    out.stderr_contains("error: `drop` refused: env `prod` is protected (`protected = true`)")
        .stderr_contains("hint: pass `--allow-protected`")
        .never_shows("hunter2");
    let out = ws
        .pgfleet()
        .args(["drop", "--allow-protected"])
        .expect_code(4);
    out.stderr_contains(
        "error: `drop` in env `prod` needs confirmation, and there is no terminal to ask on",
    )
    .stderr_contains("hint: pass `--yes` to confirm");
    // Both flags: allowed, so it really connects (and fails: nothing listens).
    let out = ws
        .pgfleet()
        .args(["drop", "--allow-protected", "--yes"])
        .expect_code(1);
    out.never_shows("hunter2")
        .stderr_contains("u:****@127.0.0.1:1");
}

/// With `--allow-protected` and nobody to confirm, the refusal lists what each
/// database would lose; on a terminal the question lists it first. Nothing
/// connects (port 1 would fail with exit 1).
#[test]
fn the_protected_env_confirmation_lists_what_each_database_loses() {
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://u@127.0.0.1:1/postgres\"\n[databases.app]\n[databases.billing]\n\
         [envs.prod]\nserver = \"pg\"\nprotected = true\n\
         [envs.shared]\nserver = \"pg\"\ndatabase = \"fleet\"\nschema = \"{name}\"\nprotected = true\n",
    );
    let cases: [(&[&str], &str); 5] = [
        (
            &["-e", "prod", "drop"],
            "error: `drop` in env `prod` needs confirmation, and there is no terminal to ask on; it would change:\n  \
             app: database `app` on `pg` is dropped\n  billing: database `billing` on `pg` is dropped\n",
        ),
        (
            &["-e", "shared", "drop", "billing"],
            "; it would change:\n  billing: its schema `billing` in `fleet` (and its history rows) are dropped\nhint:",
        ),
        (
            &["-e", "prod", "clean", "app"],
            "; it would change:\n  app: every table in its schema `public` of `app` is emptied\nhint:",
        ),
        (
            &["-e", "prod", "rollback", "app", "--count", "2"],
            "; it would change:\n  app: its last 2 migrations are rolled back (their down scripts run)\nhint:",
        ),
        (
            &["-e", "shared", "restore", "backups/b", "--clean"],
            "; it would change:\n  app: its schema `app` in `fleet` is dropped and replaced by the backup's\n  \
             billing: its schema `billing` in `fleet` is dropped and replaced by the backup's\n",
        ),
    ];
    for (args, want) in cases {
        ws.pgfleet()
            .args(args)
            .args(["--allow-protected"])
            .expect_code(4)
            .stderr_contains(want)
            .stderr_contains("hint: pass `--yes` to confirm");
    }
    // On a terminal (`script` gives it one), the question comes after the list;
    // answering no changes nothing.
    if which::which("script").is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "`script` (util-linux) is missing"
        );
        return;
    }
    let command = format!(
        "{} -e prod reset app --allow-protected",
        env!("CARGO_BIN_EXE_pgfleet")
    );
    let out = std::process::Command::new("script")
        .args(["-qc", &command, "/dev/null"])
        .current_dir(ws.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(b"n\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(
        screen.contains(
            "`reset` in protected env `prod` changes these databases:\n  \
             app: database `app` on `pg` is dropped, then rebuilt from its migrations and seeds (its data is lost)\n\
             Run `reset` in protected env `prod`? [y/N] "
        ) && screen.contains("error: `reset` cancelled"),
        "{screen}"
    );
}

#[test]
fn a_server_off_loopback_protects_its_env() {
    let ws = Workspace::with_manifest(
        "[servers.managed]\nurl = \"postgresql://app@10.0.0.5:5432/postgres\"\n[databases.app]\n[envs.prod]\n[envs.open]\nprotected = false\n",
    );
    let out = ws.pgfleet().args(["-e", "prod", "drop"]).expect_code(4);
    out.stderr_contains("env `prod` is protected (server `managed` is not on loopback; set `protected = false` in the env to allow this)");
    ws.pgfleet()
        .args(["graph", "-e", "prod"])
        .success()
        .stdout_contains("(protected)");
    let graph = ws.pgfleet().args(["graph", "-e", "open"]).success();
    assert!(!graph.stdout.contains("(protected)"), "{}", graph.stdout);
}

#[test]
fn a_remote_env_with_an_unresolvable_host_is_refused_at_once() {
    // `.invalid` never resolves (RFC 2606): a DNS lookup or a connection
    // attempt would fail with exit 1 after a while; the refusal comes first.
    let ws = Workspace::with_manifest(
        "[servers.managed]\nurl = \"postgresql://app:pw@db.prod.invalid:5432/postgres\"\n[databases.app]\n[envs.prod]\n",
    );
    for command in ["drop", "clean", "reset", "seed"] {
        let out = ws.pgfleet().args([command]).expect_code(4);
        out.stderr_contains("server `managed` is not on loopback");
        assert!(
            out.elapsed < std::time::Duration::from_secs(1),
            "{command} took {:?}",
            out.elapsed
        );
    }
}
