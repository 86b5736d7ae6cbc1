//! Passwords never reach output (SPEC, Safety): every command in its
//! failure modes — unreachable server, bad SQL, refused by safety — with a
//! known password in the manifest's URL and in `PGPASSWORD`, through stdout,
//! stderr and `--json`, at every verbosity. `env` and `exec` are the
//! exceptions SPEC allows, so they are not run here.

use crate::support::{TestDbs, Workspace, cluster};

const URL_SECRET: &str = "Url-S3cret-x9";
const ENV_SECRET: &str = "Env-S3cret-q7";

/// Every command a user might run, with arguments that reach the server.
const COMMANDS: &[&[&str]] = &[
    &["up"],
    &["create"],
    &["drop"],
    &["migrate"],
    &["migrate", "--dry-run"],
    &["status"],
    &["status", "--check"],
    &["seed"],
    &["clean"],
    &["reset"],
    &["rollback", "app"],
    &["baseline", "app", "--version", "0001"],
    &["repair", "app", "--yes"],
    &["new", "app", "x"],
    &["schema", "dump", "app"],
    &["backup", "--out", "backup-out"],
    &["restore", "no-such-backup"],
    &["graph"],
    &["graph", "--format", "dot"],
    &["server", "status"],
];

fn run_all(ws: &Workspace, extra: &[&str]) {
    for command in COMMANDS {
        for flags in [&[][..], &["--json"][..], &["-v", "-v"][..]] {
            let out = ws
                .pgfleet()
                .env("PGPASSWORD", ENV_SECRET)
                .args(*command)
                .args(flags)
                .args(extra)
                .run();
            for secret in [URL_SECRET, ENV_SECRET] {
                assert!(
                    !out.stdout.contains(secret) && !out.stderr.contains(secret),
                    "`pgfleet {} {}` showed a password:\n--- stdout\n{}\n--- stderr\n{}",
                    command.join(" "),
                    flags.join(" "),
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
}

#[test]
fn an_unreachable_server_never_shows_the_password() {
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"postgresql://app:{URL_SECRET}@127.0.0.1:1/postgres?connect_timeout=2\"\n\
         [servers.local]\nembedded = true\n[databases.app]\nmigrations = \"db\"\n[envs.dev]\nserver = \"pg\"\n"
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    run_all(&ws, &[]);
    // The failures did name the server, redacted.
    ws.pgfleet()
        .args(["create"])
        .expect_code(1)
        .stderr_contains("postgresql://app:****@127.0.0.1:1/postgres");
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
    // The commands do reach the server and fail there.
    ws.pgfleet()
        .args(["-e", "test", "up"])
        .expect_code(1)
        .stderr_contains("relation \"nope\" does not exist");
    run_all(&ws, &["-e", "test"]);
    run_all(&ws, &["-e", "prod", "--allow-protected"]);
    run_all(&ws, &["-e", "prod"]);
}
