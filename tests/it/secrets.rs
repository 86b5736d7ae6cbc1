//! Passwords never reach output (SPEC, Safety): every command that uses the server's
//! URL, in its failure modes — unreachable server, bad SQL, refused by safety — with a
//! known password in the manifest's URL and in `PGPASSWORD`, through stdout, stderr and
//! `--json`, at every verbosity. Each run is checked to get where the password is used
//! (its exit code and a line only that point prints), so a run stopped early by a typo
//! in its arguments cannot pass. `env` and `exec` are the exceptions SPEC allows, and
//! `new` and `server` never use a server's URL, so they are not run here.

use crate::support::{TestDbs, Workspace, cluster};

const URL_SECRET: &str = "Url-S3cret-x9";
const ENV_SECRET: &str = "Env-S3cret-q7";
/// What an unreachable server's errors name: the server in its URL (password masked) or
/// as host and port.
const REDACTED: &str = "127.0.0.1:1";
/// Only the server's error names the missing table (quoted differently in JSON).
const NOPE: &str = "nope";

/// A command, the exit code it must end with, and text that shows it got as far as the
/// server (`{db}` stands for the test's physical database name).
struct Run {
    args: &'static [&'static str],
    code: i32,
    shows: &'static str,
}

const fn run(args: &'static [&'static str], code: i32, shows: &'static str) -> Run {
    Run { args, code, shows }
}

/// Runs each command plainly, with `--json` and with `-v -v`, and checks that each got
/// where it was meant to and showed neither password.
fn run_all(ws: &Workspace, env: &[&str], db: &str, runs: &[Run]) {
    for case in runs {
        for flags in [&[][..], &["--json"][..], &["-v", "-v"][..]] {
            let out = ws
                .pgfleet()
                .env("PGPASSWORD", ENV_SECRET)
                .args(env)
                .args(case.args)
                .args(flags)
                .run();
            let shown = format!("--- stdout\n{}\n--- stderr\n{}", out.stdout, out.stderr);
            let what = format!(
                "`pgfleet {} {} {}`",
                env.join(" "),
                case.args.join(" "),
                flags.join(" ")
            );
            for secret in [URL_SECRET, ENV_SECRET] {
                assert!(
                    !shown.contains(secret),
                    "{what} showed a password:\n{shown}"
                );
            }
            assert_eq!(out.code, case.code, "{what} ended otherwise:\n{shown}");
            let expected = case.shows.replace("{db}", db);
            assert!(
                shown.contains(&expected),
                "{what} did not get to `{expected}`:\n{shown}"
            );
        }
    }
}

#[test]
fn an_unreachable_server_never_shows_the_password() {
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql://app:{URL_SECRET}@127.0.0.1:1/postgres?connect_timeout=2\"\n\
         [databases.app]\nmigrations = \"db\"\nseeds = \"seeds\"\n[envs.dev]\nserver = \"pg\"\n"
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n")
        .write("seeds/01.sql", "INSERT INTO t VALUES (1);\n");
    let fails = |args| run(args, 1, REDACTED);
    run_all(
        &ws,
        &[],
        "app",
        &[
            fails(&["up"]),
            fails(&["create"]),
            fails(&["drop"]),
            fails(&["migrate"]),
            fails(&["migrate", "--dry-run"]),
            fails(&["status"]),
            fails(&["status", "--check"]),
            fails(&["seed"]),
            fails(&["clean"]),
            fails(&["reset"]),
            fails(&["rollback", "app"]),
            fails(&["baseline", "app", "--version", "0001"]),
            fails(&["repair", "app", "--yes"]),
            fails(&["schema", "dump", "app"]),
            fails(&["backup", "--out", "backup-out"]),
            fails(&["verify"]),
            fails(&["drift"]),
            run(&["graph"], 0, "app:****@127.0.0.1:1/"),
        ],
    );
}

#[test]
fn failing_sql_and_safety_refusals_never_show_the_password() {
    let dbs = TestDbs::new("secrets_sql");
    // Trust authentication ignores the password, so the commands get as far
    // as running SQL, which fails.
    let url = cluster()
        .url
        .replace("postgres@", &format!("postgres:{URL_SECRET}@"));
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{url}\"\n[databases.app]\nmigrations = \"db\"\nseeds = \"seeds\"\n\
         [envs.test]\ndatabase = \"{}_{{name}}\"\n[envs.prod]\nprotected = true\ndatabase = \"{}_{{name}}\"\n",
        dbs.prefix, dbs.prefix
    ));
    ws.write(
        "db/0001_t.sql",
        "CREATE TABLE t (id int);\nSELECT 1 FROM nope;\n",
    );
    ws.write("seeds/01.sql", "INSERT INTO nope VALUES (1);\n");
    let db = dbs.name("app");
    // In this order: each leaves the database as the next one expects.
    run_all(
        &ws,
        &["-e", "test"],
        &db,
        &[
            run(&["up"], 1, NOPE),
            run(&["create"], 0, "{db}"),
            run(&["migrate"], 1, NOPE),
            run(&["migrate", "--dry-run"], 0, "0001_t.sql"),
            run(&["seed"], 1, NOPE),
            run(&["status"], 0, "{db}"),
            run(&["status", "--check"], 3, "{db}"),
            run(&["verify"], 0, "PostgreSQL"),
            run(&["drift"], 1, "fail in a shadow database"),
            run(&["schema", "dump", "app"], 0, "public"),
            run(&["rollback", "app"], 0, "app"),
            run(&["repair", "app", "--yes"], 0, "app"),
            run(&["graph"], 0, "****@"),
        ],
    );
    // Protected: each destructive command is refused, naming the rule.
    let refused = |args| run(args, 4, "is protected");
    run_all(
        &ws,
        &["-e", "prod"],
        &db,
        &[
            refused(&["drop"]),
            refused(&["seed"]),
            refused(&["clean"]),
            refused(&["reset"]),
            refused(&["rollback", "app"]),
            refused(&["restore", "no-such-backup"]),
        ],
    );
    // Allowed and confirmed: each reaches the server.
    run_all(
        &ws,
        &["-e", "prod"],
        &db,
        &[
            run(&["clean", "--allow-protected", "--yes"], 0, "app"),
            run(&["rollback", "app", "--allow-protected", "--yes"], 0, "app"),
            run(&["reset", "--allow-protected", "--yes"], 1, NOPE),
            run(&["drop", "--allow-protected", "--yes"], 0, "{db}"),
        ],
    );
}
