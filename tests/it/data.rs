//! `seed`, `clean` and `reset`, and `up`'s seeding: real rows in real
//! databases, transactions per file, shared physical databases, protected
//! envs.

use crate::support::{Pgfleet, TestDbs, Workspace, cluster, query, query_one};

/// One logical database `app` with a `log` table and the given seed files.
fn seeded(test: &str, extra: &str, seeds: &[(&str, &str)]) -> (TestDbs, Workspace) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\nseeds = \"seeds\"\n{extra}",
        dbs.manifest_head()
    ));
    ws.write(
        "db/0001_log.sql",
        "CREATE TABLE log (n serial PRIMARY KEY, file text NOT NULL, xid bigint NOT NULL DEFAULT txid_current());\n",
    );
    ws.mkdir("seeds");
    for (name, text) in seeds {
        ws.write(&format!("seeds/{name}"), text);
    }
    (dbs, ws)
}

/// `create` and `migrate`, then the `seed` command, to be run by the caller.
fn seed_migrated(ws: &Workspace) -> Pgfleet {
    ws.pgfleet().args(["create"]).success();
    ws.pgfleet().args(["migrate"]).success();
    ws.pgfleet().args(["seed"])
}

/// The `file` column of `app`'s `log` table, in insert order.
fn logged(dbs: &TestDbs) -> Vec<String> {
    strings(query(
        &dbs.url(&dbs.name("app")),
        "SELECT file FROM log ORDER BY n",
    ))
}

/// `SELECT count(*)` of `table`.
fn count(url: &str, table: &str) -> Option<String> {
    query_one(url, &format!("SELECT count(*) FROM {table}"))
}

fn strings(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn seeds_run_in_name_order_each_in_its_own_transaction() {
    let (dbs, ws) = seeded(
        "seed_order",
        "",
        &[
            ("10_c.sql", "INSERT INTO log (file) VALUES ('c');\n"),
            (
                "01_a.sql",
                "INSERT INTO log (file) VALUES ('a');\nINSERT INTO log (file) VALUES ('a');\n",
            ),
            ("02_b.sql", "COPY log (file) FROM STDIN;\nb\nb\n\\.\n"),
            ("notes.txt", "not a seed"),
        ],
    );
    let out = seed_migrated(&ws).success();
    out.stdout_contains("app: seeded, 3 seed file(s)")
        .stderr_contains(
            "warning: `seeds/notes.txt` in the seeds folder of `app` is not a `*.sql` file",
        );
    assert_eq!(logged(&dbs), ["a", "a", "b", "b", "c"]);
    let url = dbs.url(&dbs.name("app"));
    // One transaction per file: one xid per file, three in all.
    assert_eq!(
        strings(query(
            &url,
            "SELECT file, count(DISTINCT xid) FROM log GROUP BY file ORDER BY file"
        )),
        ["a|1", "b|1", "c|1"]
    );
    assert_eq!(
        query_one(&url, "SELECT count(DISTINCT xid) FROM log").as_deref(),
        Some("3")
    );
}

#[test]
fn a_failing_seed_rolls_back_its_file_and_names_the_line() {
    let (dbs, ws) = seeded(
        "seed_fails",
        "",
        &[
            ("01_ok.sql", "INSERT INTO log (file) VALUES ('ok');\n"),
            (
                "02_bad.sql",
                "INSERT INTO log (file) VALUES ('bad');\nINSERT INTO log (file) VALUES ('bad');\nINSERT INTO nope VALUES (1);\n",
            ),
            ("03_later.sql", "INSERT INTO log (file) VALUES ('later');\n"),
        ],
    );
    let out = seed_migrated(&ws).expect_code(1);
    out.stdout_contains("app: seed FAILED after 1 seed file(s)")
        .stderr_contains("error: `app`: ")
        .stderr_contains("seeds/02_bad.sql:3: relation \"nope\" does not exist");
    // The file before it committed; nothing of the failing file, nothing after.
    assert_eq!(logged(&dbs), ["ok"]);
}

#[test]
fn seeding_twice_fails_on_the_duplicate_and_says_to_clean_first() {
    let (dbs, ws) = seeded(
        "seed_twice",
        "",
        &[("01_a.sql", "INSERT INTO log (n, file) VALUES (1, 'a');\n")],
    );
    seed_migrated(&ws).success();
    let again = ws.pgfleet().args(["seed"]).expect_code(1);
    again
        .stderr_contains("seeds/01_a.sql:1: duplicate key value violates unique constraint")
        .stderr_contains(
            "hint: the rows are there from an earlier seed: `pgfleet clean app` empties its tables (or `pgfleet reset app` rebuilds it), then seed again",
        );
    assert_eq!(logged(&dbs), ["a"]);
    ws.pgfleet().args(["clean", "app"]).success();
    ws.pgfleet().args(["seed"]).success();
    assert_eq!(logged(&dbs), ["a"]);
}

/// As in a migration: a file's own `BEGIN; ... COMMIT;` wrapper is left out (its rows
/// commit with pgfleet's transaction), and a `COMMIT` in the middle, which would commit
/// half the file, is refused before any of the file runs.
#[test]
fn a_seed_committing_mid_file_is_refused_and_a_wrapped_one_runs() {
    let (dbs, ws) = seeded(
        "seed_commit",
        "",
        &[
            (
                "01_wrapped.sql",
                "BEGIN;
INSERT INTO log (file) VALUES ('wrapped');
COMMIT;
",
            ),
            (
                "02_commit.sql",
                "INSERT INTO log (file) VALUES ('half');
COMMIT;
INSERT INTO log (file) VALUES ('other half');
",
            ),
        ],
    );
    let out = seed_migrated(&ws).expect_code(1);
    out.stdout_contains("app: seed FAILED after 1 seed file(s)")
        .stderr_contains("seeds/02_commit.sql:2: `COMMIT` would end the transaction");
    assert_eq!(logged(&dbs), ["wrapped"]);
}

#[test]
fn seed_command_runs_in_cwd_with_the_database_url() {
    let (dbs, ws) = seeded(
        "seed_command",
        "cwd = \"tools\"\nseed_command = \"echo \\\"$DATABASE_URL\\\" > url.txt; echo hello\"\n",
        &[("01.sql", "INSERT INTO log (file) VALUES ('file');\n")],
    );
    ws.mkdir("tools");
    ws.pgfleet().args(["up"]).success();
    let url = std::fs::read_to_string(ws.join("tools/url.txt")).unwrap();
    assert!(
        url.starts_with("postgresql://") && url.contains(&format!("/{}", dbs.name("app"))),
        "{url}"
    );
    let out = ws.pgfleet().args(["seed", "--json"]).success();
    // The command's stdout goes to stderr: stdout is one JSON document.
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["databases"][0]["outcome"], "seeded");
    assert_eq!(report["databases"][0]["files"].as_array().unwrap().len(), 1);
    out.stderr_contains("hello");

    ws.write(
        "pgfleet.toml",
        &format!(
            "{}[databases.app]\nseed_command = \"exit 3\"\n",
            dbs.manifest_head()
        ),
    );
    ws.pgfleet()
        .args(["seed"])
        .expect_code(1)
        .stderr_contains("error: `app`: seed_command `exit 3` exited with status 3");
}

#[test]
fn up_seeds_the_databases_it_creates_and_only_those() {
    let (dbs, ws) = seeded(
        "up_seeds",
        "",
        &[("01.sql", "INSERT INTO log (file) VALUES ('seed');\n")],
    );
    let out = ws.pgfleet().args(["up"]).success();
    out.stdout_contains("app: seeded, 1 seed file(s)");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(count(&url, "log").as_deref(), Some("1"));
    let again = ws.pgfleet().args(["up", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert!(report["seed"].is_null(), "{report}");
    assert_eq!(count(&url, "log").as_deref(), Some("1"));
}

#[test]
fn up_in_a_protected_env_skips_seeds_and_says_so() {
    let dbs = TestDbs::new("up_protected");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.app]\nmigrations = \"db\"\nseeds = \"seeds\"\n[envs.prod]\nprotected = true\ndatabase = \"{}_{{name}}\"\n",
        cluster().url,
        dbs.prefix
    ));
    ws.write("db/0001_t.sql", "CREATE TABLE t (x int);\n");
    ws.write("seeds/01.sql", "INSERT INTO t VALUES (1);\n");
    let out = ws.pgfleet().args(["up", "--json"]).success();
    out.stderr_contains(
        "warning: seeds skipped for `app`: `seed` refused: env `prod` is protected (`protected = true`)",
    );
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["seeds_skipped"], serde_json::json!(["app"]));
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(count(&url, "t").as_deref(), Some("0"));
}

#[test]
fn seed_clean_and_reset_are_refused_in_a_protected_env_before_connecting() {
    // Port 1 on loopback: a connection attempt would exit 1, so exit 4 shows
    // the refusal came from the manifest alone.
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://u:hunter2@127.0.0.1:1/postgres\"\n[databases.app]\nseeds = \"seeds\"\n[envs.prod]\nprotected = true\n",
    );
    ws.write("seeds/01.sql", "SELECT 1;\n");
    for command in ["seed", "clean", "reset"] {
        let out = ws.pgfleet().args([command]).expect_code(4);
        out.stderr_contains(&format!(
            "error: `{command}` refused: env `prod` is protected (`protected = true`)"
        ))
        .stderr_contains("hint: pass `--allow-protected`")
        .never_shows("hunter2");
        ws.pgfleet()
            .args([command, "--allow-protected"])
            .expect_code(4)
            .stderr_contains("needs confirmation, and there is no terminal to ask on");
        // Allowed and confirmed: it really connects, and fails.
        ws.pgfleet()
            .args([command, "--allow-protected", "--yes"])
            .expect_code(1);
    }
}

const CLEAN_SCHEMA: &str = "\
CREATE TABLE users (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE extra.posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users);
CREATE TABLE extra.comments (id bigserial PRIMARY KEY, post_id int NOT NULL REFERENCES extra.posts);
CREATE SEQUENCE extra.numbers;
CREATE MATERIALIZED VIEW user_names AS SELECT name FROM users;
CREATE TABLE _prisma_migrations (id text PRIMARY KEY);
";

const CLEAN_SEED: &str = "\
INSERT INTO users (name) VALUES ('ada'), ('bob');
INSERT INTO extra.posts (user_id) VALUES (1), (2);
INSERT INTO extra.comments (post_id) VALUES (1), (2), (2);
SELECT nextval('extra.numbers'), nextval('extra.numbers');
REFRESH MATERIALIZED VIEW user_names;
INSERT INTO _prisma_migrations VALUES ('20240101_init');
";

#[test]
fn clean_empties_owned_tables_restarts_sequences_and_keeps_history() {
    let dbs = TestDbs::new("clean_owned");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\nseeds = \"seeds\"\nschemas = [\"public\", \"extra\"]\n",
        dbs.manifest_head()
    ));
    ws.write("db/0001_schema.sql", CLEAN_SCHEMA);
    ws.write("seeds/01.sql", CLEAN_SEED);
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let counts = "SELECT (SELECT count(*) FROM users) || ',' || (SELECT count(*) FROM extra.posts) || ',' || \
                  (SELECT count(*) FROM extra.comments) || ',' || (SELECT count(*) FROM user_names) || ',' || \
                  (SELECT count(*) FROM _prisma_migrations) || ',' || (SELECT count(*) FROM pgfleet.history)";
    assert_eq!(query_one(&url, counts).as_deref(), Some("2,2,3,2,1,1"));

    let out = ws.pgfleet().args(["clean", "-v"]).success();
    out.stdout_contains(&format!(
        "app: emptied 3 table(s), restarted 1 sequence(s), refreshed 1 materialized view(s) in `{}`",
        dbs.name("app")
    ))
    .stdout_contains("  extra.numbers")
    .stdout_contains("  public.user_names");
    assert!(!out.stdout.contains("_prisma_migrations"), "{}", out.stdout);
    assert_eq!(query_one(&url, counts).as_deref(), Some("0,0,0,0,1,1"));
    // Identities, serials and standalone sequences start again at 1.
    assert_eq!(
        strings(query(
            &url,
            "INSERT INTO users (name) VALUES ('cy') RETURNING id;
             INSERT INTO extra.posts (user_id) VALUES (1) RETURNING id;
             INSERT INTO extra.comments (post_id) VALUES (1) RETURNING id;
             SELECT nextval('extra.numbers');"
        )),
        ["1", "1", "1", "1"]
    );

    let json = ws.pgfleet().args(["clean", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["databases"][0]["tables"],
        serde_json::json!(["extra.comments", "extra.posts", "public.users"])
    );
    assert_eq!(
        report["databases"][0]["sequences"],
        serde_json::json!(["extra.numbers"])
    );
}

/// Two logical databases in one physical database, a schema each.
fn shared(test: &str) -> (TestDbs, Workspace, String) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[databases.auth]\nmigrations = \"auth/db\"\nseeds = \"auth/seeds\"\n\
         [databases.billing]\nmigrations = \"billing/db\"\nseeds = \"billing/seeds\"\ndepends_on = [\"auth\"]\n\
         [envs.single]\ndatabase = \"{}_fleet\"\nschema = \"{{name}}\"\n",
        cluster().url,
        dbs.prefix
    ));
    ws.write(
        "auth/db/0001_users.sql",
        "CREATE TABLE users (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);\n",
    );
    ws.write(
        "auth/seeds/01.sql",
        "INSERT INTO users (name) VALUES ('ada'), ('bob');\n",
    );
    ws.write(
        "billing/db/0001_invoices.sql",
        "CREATE TABLE invoices (id serial PRIMARY KEY, total int);\n",
    );
    ws.write(
        "billing/seeds/01.sql",
        "INSERT INTO invoices (total) VALUES (10), (20), (30);\n",
    );
    let url = dbs.url(&dbs.name("fleet"));
    (dbs, ws, url)
}

#[test]
fn clean_in_a_shared_database_leaves_the_other_databases_rows_alone() {
    let (_dbs, ws, url) = shared("clean_shared");
    // Seeds ran with search_path set: unqualified names landed in each schema.
    ws.pgfleet()
        .args(["up"])
        .success()
        .stdout_contains("billing: seeded, 1 seed file(s)");
    assert_eq!(count(&url, "auth.users").as_deref(), Some("2"));
    assert_eq!(count(&url, "billing.invoices").as_deref(), Some("3"));
    ws.pgfleet()
        .args(["clean", "billing"])
        .success()
        .stdout_contains("billing: emptied 1 table(s), restarted 0 sequence(s)");
    assert_eq!(count(&url, "billing.invoices").as_deref(), Some("0"));
    assert_eq!(count(&url, "auth.users").as_deref(), Some("2"));
    assert_eq!(count(&url, "pgfleet.history").as_deref(), Some("2"));
}

#[test]
fn clean_refuses_a_foreign_key_from_a_table_it_does_not_own() {
    let (_dbs, ws, url) = shared("clean_foreign");
    ws.write(
        "billing/db/0002_fk.sql",
        "ALTER TABLE invoices ADD COLUMN user_id int REFERENCES auth.users;\n",
    );
    ws.pgfleet().args(["up"]).success();
    let out = ws.pgfleet().args(["clean", "auth"]).expect_code(1);
    out.stderr_contains(
        "error: `auth`: cannot clean: `billing.invoices` references `auth.users` (foreign key `invoices_user_id_fkey`), and `billing.invoices` is not a table `auth` owns",
    )
    .stderr_contains("hint: pgfleet never truncates with CASCADE");
    assert_eq!(count(&url, "auth.users").as_deref(), Some("2"));
    assert_eq!(count(&url, "billing.invoices").as_deref(), Some("3"));
}

#[test]
fn reset_gives_a_freshly_migrated_and_seeded_database() {
    let (dbs, ws) = seeded(
        "reset",
        "",
        &[("01.sql", "INSERT INTO log (file) VALUES ('seed');\n")],
    );
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "INSERT INTO log (file) VALUES ('by hand'); CREATE TABLE stray (x int);",
    );
    let out = ws.pgfleet().args(["reset"]).success();
    out.stdout_contains("app: recreated, 1 migration(s) applied")
        .stdout_contains("app: seeded, 1 seed file(s)");
    assert_eq!(logged(&dbs), ["seed"]);
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'stray'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(count(&url, "pgfleet.history").as_deref(), Some("1"));
}
