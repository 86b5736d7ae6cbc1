//! Side by side with the team's own tools (`peer_history = "sync"`, the default): after
//! pgfleet migrates, the real tool sees every migration applied and has nothing to do;
//! after the tool applies one more, pgfleet's next `migrate` records it without running
//! it. Tools absent locally skip ([`tools`]; `.ci/run` installs them).

use crate::peer_tools::run;
use crate::support::{TestDbs, Workspace, query, query_one, tools};

fn workspace(dbs: &TestDbs, fixture: &str, extra: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n{extra}",
        dbs.manifest_head()
    ));
    ws.fixture(fixture, "db");
    ws
}

fn column(url: &str, sql: &str) -> Vec<String> {
    query(url, sql)
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

const DBMATE_VERSIONS: [&str; 3] = ["20240110090000", "20240110090100", "20240110090200"];

#[test]
fn pgfleet_writes_dbmates_schema_migrations_as_dbmate_does() {
    let dbs = TestDbs::new("peer_sync_dbmate_rows");
    let ws = workspace(&dbs, "dbmate/basic", "");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        column(
            &url,
            "SELECT version FROM public.schema_migrations ORDER BY version"
        ),
        DBMATE_VERSIONS
    );
    // dbmate's own DDL: `version varchar(255) primary key`.
    assert_eq!(
        query_one(
            &url,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.schema_migrations'::regclass AND attname = 'version'"
        )
        .as_deref(),
        Some("character varying(255)")
    );
    // A rollback removes dbmate's row with pgfleet's; the next migrate puts both back.
    ws.pgfleet().args(["rollback", "app"]).success();
    assert_eq!(
        column(
            &url,
            "SELECT version FROM schema_migrations ORDER BY version"
        ),
        DBMATE_VERSIONS[..2]
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        column(
            &url,
            "SELECT version FROM schema_migrations ORDER BY version"
        ),
        DBMATE_VERSIONS
    );
}

/// The real dbmate after pgfleet: `status` lists nothing pending, `up` applies nothing.
/// Then dbmate applies a new migration, and pgfleet records it without running it.
#[test]
fn dbmate_agrees_with_pgfleet_both_ways() {
    let Some(dbmate) = tools::dbmate("dbmate_agrees_with_pgfleet_both_ways") else {
        return;
    };
    let dbs = TestDbs::new("peer_sync_dbmate_real");
    let ws = workspace(&dbs, "dbmate/basic", "");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let tool_url = format!("{url}?sslmode=disable");
    let dbmate_run = |args: &[&str]| {
        let mut all = vec![
            "--url",
            &tool_url,
            "--migrations-dir",
            "db",
            "--no-dump-schema",
        ];
        all.extend_from_slice(args);
        run(&dbmate, &all, &ws, &[])
    };
    let status = dbmate_run(&["status"]);
    assert!(
        status.contains("Applied: 3") && status.contains("Pending: 0"),
        "{status}"
    );
    let up = dbmate_run(&["up"]);
    assert!(!up.contains("Applying"), "{up}");

    // A colleague's next migration, applied by dbmate itself.
    ws.write(
        "db/20240110090300_add_note.sql",
        "-- migrate:up\nCREATE TABLE dbmate_note (id int);\nINSERT INTO dbmate_note VALUES (1);\n\n-- migrate:down\nDROP TABLE dbmate_note;\n",
    );
    let up = dbmate_run(&["up"]);
    assert!(up.contains("Applying: 20240110090300_add_note.sql"), "{up}");
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["20240110090300"]), "{db}");
    assert_eq!(db["applied"], serde_json::json!([]), "{db}");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM dbmate_note").as_deref(),
        Some("1"),
        "never run twice"
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT applied_by FROM pgfleet.history WHERE version = '20240110090300'"
        )
        .as_deref(),
        Some("dbmate (read from schema_migrations)")
    );
    let status = dbmate_run(&["status"]);
    assert!(
        status.contains("Applied: 4") && status.contains("Pending: 0"),
        "{status}"
    );
}

/// A logical database in a schema of a shared database: dbmate's table is in that
/// schema, where dbmate looks with `search_path=<schema>` (the URL pgfleet hands out).
#[test]
fn dbmate_table_lives_in_the_placement_schema_of_a_shared_database() {
    let dbs = TestDbs::new("peer_sync_dbmate_shared");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"{}_shared\"\nschema = \"{{name}}\"\n[databases.app]\nmigrations = \"db\"\n[databases.other]\nmigrations = \"db\"\n",
        crate::support::cluster().url,
        dbs.prefix
    ));
    ws.fixture("dbmate/unqualified", "db");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("shared"));
    for schema in ["app", "other"] {
        assert_eq!(
            column(
                &url,
                &format!("SELECT version FROM {schema}.schema_migrations ORDER BY version")
            ),
            ["20240201090000"],
            "{schema}"
        );
    }
    assert_eq!(
        query_one(
            &url,
            "SELECT to_regclass('public.schema_migrations') IS NULL"
        )
        .as_deref(),
        Some("t")
    );
    let Some(dbmate) =
        tools::dbmate("dbmate_table_lives_in_the_placement_schema_of_a_shared_database")
    else {
        return;
    };
    let tool_url = format!("{url}?sslmode=disable&search_path=app");
    let status = run(
        &dbmate,
        &[
            "--url",
            &tool_url,
            "--migrations-dir",
            "db",
            "--no-dump-schema",
            "status",
        ],
        &ws,
        &[],
    );
    assert!(
        status.contains("Applied: 1") && status.contains("Pending: 0"),
        "{status}"
    );
}

#[test]
fn peer_history_read_writes_nothing_and_off_ignores_the_table() {
    let dbs = TestDbs::new("peer_sync_read_off");
    let ws = workspace(&dbs, "dbmate/basic", "peer_history = \"read\"\n");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('schema_migrations') IS NULL").as_deref(),
        Some("t"),
        "read: nothing created"
    );
    // Back to `sync` (the default): the next migrate writes dbmate's rows for what
    // pgfleet applied meanwhile, as an upgrade from an older pgfleet does.
    ws.write(
        "pgfleet.toml",
        &format!(
            "{}[databases.app]\nmigrations = \"db\"\n",
            dbs.manifest_head()
        ),
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    assert_eq!(
        column(
            &url,
            "SELECT version FROM schema_migrations ORDER BY version"
        ),
        DBMATE_VERSIONS
    );
    // `off`: a dbmate table listing a version pgfleet has not applied is not adopted.
    let dbs = TestDbs::new("peer_sync_off");
    let ws = workspace(&dbs, "dbmate/basic", "peer_history = \"off\"\n");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240110090000');",
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["databases"][0]["adopted"], serde_json::json!([]));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM schema_migrations").as_deref(),
        Some("1")
    );
}

/// A `schema_migrations` of golang-migrate's shape under a dbmate folder: `dirty` needs
/// a value dbmate never writes. Refused before anything runs, naming the table and the
/// column; `peer_history = "read"` is the way out.
#[test]
fn a_peer_table_of_another_shape_is_refused_naming_its_column() {
    let dbs = TestDbs::new("peer_sync_bad_shape");
    let ws = workspace(&dbs, "dbmate/basic", "");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY, dirty boolean NOT NULL)",
    );
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(1)
        .stderr_contains("error: `app`: peer history table `public.schema_migrations` has a column `dirty` that needs a value dbmate does not write")
        .stderr_contains("hint: set `peer_history = \"read\"` on `[databases.app]` (or its folder) in pgfleet.toml");
    assert_eq!(
        query_one(
            &url,
            "SELECT (to_regclass('dbmate_customer') IS NULL AND to_regclass('pgfleet.history') IS NULL)::text"
        )
        .as_deref(),
        Some("true"),
        "nothing ran"
    );
    ws.write(
        "pgfleet.toml",
        &format!(
            "{}[databases.app]\nmigrations = \"db\"\npeer_history = \"read\"\n",
            dbs.manifest_head()
        ),
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM schema_migrations").as_deref(),
        Some("0")
    );
}

/// The real diesel_cli after pgfleet: `migration list` shows every migration applied,
/// `migration run` runs nothing; then diesel runs a new one, which pgfleet records.
#[test]
fn diesel_agrees_with_pgfleet_both_ways() {
    let Some(diesel) = tools::diesel("diesel_agrees_with_pgfleet_both_ways") else {
        return;
    };
    let dbs = TestDbs::new("peer_sync_diesel");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"migrations\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("diesel/basic", "migrations");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let diesel_run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--database-url", &url, "--migration-dir", "migrations"]);
        run(&diesel, &all, &ws, &[])
    };
    let list = diesel_run(&["migration", "list"]);
    assert!(!list.contains("[ ]"), "{list}");
    assert_eq!(list.matches("[X]").count(), 6, "{list}");
    assert_eq!(diesel_run(&["migration", "pending"]).trim(), "false");
    let ran = diesel_run(&["migration", "run"]);
    assert!(!ran.contains("Running migration"), "{ran}");

    ws.write(
        "migrations/2017-05-01-000000_add_note/up.sql",
        "CREATE TABLE diesel_note (id int); INSERT INTO diesel_note VALUES (1);\n",
    );
    ws.write(
        "migrations/2017-05-01-000000_add_note/down.sql",
        "DROP TABLE diesel_note;\n",
    );
    let ran = diesel_run(&["migration", "run"]);
    assert!(
        ran.contains("Running migration 2017-05-01-000000_add_note"),
        "{ran}"
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["20170501000000"]), "{db}");
    assert_eq!(db["applied"], serde_json::json!([]), "{db}");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM diesel_note").as_deref(),
        Some("1")
    );
}

/// `status` and `verify` report where a tool's table and pgfleet disagree, and leave
/// it as it is: a row whose checksum is not the file's (the file changed after sqlx
/// applied it), and a migration pgfleet applied that dbmate's table does not list.
#[test]
fn status_and_verify_report_peer_disagreements() {
    let dbs = TestDbs::new("peer_sync_disagree");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\nformat = \"sqlx\"\n[databases.gate]\nmigrations = \"gate\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("sqlx/basic", "db");
    ws.fixture("dbmate/basic", "gate");
    ws.pgfleet().args(["up"]).success();
    let status = ws.pgfleet().args(["status", "--json"]).success();
    assert!(
        !status.stdout.contains("peer_disagreements"),
        "{}",
        status.stdout
    );
    let app = dbs.url(&dbs.name("app"));
    query(
        &app,
        "UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea WHERE version = 20240115080100",
    );
    let gate = dbs.url(&dbs.name("gate"));
    query(
        &gate,
        "DELETE FROM schema_migrations WHERE version = '20240110090200'",
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let by_db = |name: &str| {
        report["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["database"] == name)
            .unwrap()["peer_disagreements"]
            .clone()
    };
    assert_eq!(
        by_db("app"),
        serde_json::json!([{
            "version": "20240115080100",
            "table": "public._sqlx_migrations",
            "problem": "its checksum there is not the file's: the file changed after sqlx applied it"
        }])
    );
    assert_eq!(by_db("gate")[0]["version"], "20240110090200");
    ws.pgfleet()
        .args(["status"])
        .success()
        .stdout_contains("1 disagreement(s) with `public._sqlx_migrations`");
    ws.pgfleet()
        .args(["verify"])
        .expect_code(3)
        .stdout_contains(
            "`public._sqlx_migrations` `20240115080100`: its checksum there is not the file's",
        );
    // Reported, not resolved: the row is as it was.
    assert_eq!(
        query_one(
            &app,
            "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = 20240115080100"
        )
        .as_deref(),
        Some("00")
    );
}

/// `repair` accepting an edited file stores the new checksum in sqlx's table too, so
/// `sqlx migrate run` does not call the file modified; with the real sqlx-cli when here.
#[test]
fn repair_accepts_an_edited_file_in_the_tools_table_too() {
    let dbs = TestDbs::new("peer_sync_repair");
    let ws = workspace(&dbs, "sqlx/basic", "format = \"sqlx\"\n");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let file = ws.join("db/20240115080100_index_invoices.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("-- reviewed\n{text}")).unwrap();
    ws.pgfleet().args(["repair", "app", "--yes"]).success();
    let status = ws.pgfleet().args(["status", "--json"]).success();
    assert!(
        !status.stdout.contains("peer_disagreements"),
        "{}",
        status.stdout
    );
    let Some(sqlx) = tools::sqlx("repair_accepts_an_edited_file_in_the_tools_table_too") else {
        return;
    };
    let out = run(
        &sqlx,
        &["migrate", "run", "--source", "db", "--database-url", &url],
        &ws,
        &[],
    );
    assert!(
        !out.contains("modified") && !out.contains("Applied"),
        "{out}"
    );
}

/// sqlx.toml's `[migrate] table-name`: sqlx's rows go to that table, and a row sqlx
/// wrote there is what pgfleet reads back.
#[test]
fn sqlx_toml_names_the_table_kept_in_step() {
    let dbs = TestDbs::new("peer_sync_sqlx_toml");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"crate/migrations\"\nformat = \"sqlx\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("sqlx/basic", "crate/migrations");
    ws.write("crate/Cargo.toml", "[package]\nname = \"x\"\n");
    ws.write(
        "crate/sqlx.toml",
        "[migrate]\ntable-name = \"app_migrations\"\n",
    );
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        column(
            &url,
            "SELECT version::text FROM public.app_migrations ORDER BY version"
        ),
        ["20240115080000", "20240115080100", "20240115080200"]
    );
    assert_eq!(
        query_one(&url, "SELECT to_regclass('_sqlx_migrations') IS NULL").as_deref(),
        Some("t")
    );
    // sqlx applies one more (its row as sqlx writes it); pgfleet records it, runs nothing.
    ws.write(
        "crate/migrations/20240115080300_add_note.sql",
        "CREATE TABLE sqlx_note (id int);\n",
    );
    query(
        &url,
        "CREATE TABLE sqlx_note (id int); INSERT INTO app_migrations (version, description, success, checksum, execution_time) VALUES (20240115080300, 'add note', true, '\\x00', 1)",
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report["databases"][0]["adopted"],
        serde_json::json!(["20240115080300"])
    );
}

/// graphile-migrate's own schema and rows, written by pgfleet on a database where the
/// tool never ran: `graphile_migrate.migrations` holds each committed file's `Hash`,
/// `Previous` and `NNNNNN.sql`, chained, and `graphile_migrate.current` is there too.
#[test]
fn pgfleet_writes_graphile_migrates_table_as_it_does() {
    let dbs = TestDbs::new("peer_sync_graphile");
    let ws = workspace(
        &dbs,
        "graphile-migrate/app/migrations",
        "format = \"graphile-migrate\"\n",
    );
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        column(
            &url,
            "SELECT filename || ' ' || hash || ' ' || coalesce(previous_hash, '-') FROM graphile_migrate.migrations ORDER BY filename LIMIT 2"
        ),
        [
            "000001.sql sha1:33220e11a16ec6367637be0d1be62f2ba891be8a -",
            "000002.sql sha1:a460c6203a0d5dba5042b971f86c1899ea97622a sha1:33220e11a16ec6367637be0d1be62f2ba891be8a",
        ]
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM graphile_migrate.migrations").as_deref(),
        Some("240")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT to_regclass('graphile_migrate.current') IS NOT NULL"
        )
        .as_deref(),
        Some("t")
    );
}

/// Runs the real sqitch in the project `db` of `ws` against `url`, as `CI`; it must
/// succeed. Its stdout and stderr, joined.
fn sqitch_run(sqitch: &std::path::Path, ws: &Workspace, url: &str, args: &[&str]) -> String {
    let target = format!("db:{}", url.replace("postgresql://", "pg://"));
    let mut all: Vec<&str> = args.to_vec();
    all.push(&target);
    let out = std::process::Command::new(sqitch)
        .args(&all)
        .current_dir(ws.join("db"))
        .envs(SQITCH_CI)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "sqitch {args:?}: {text}");
    text
}

const SQITCH_CI: [(&str, &str); 2] = [
    ("SQITCH_FULLNAME", "CI"),
    ("SQITCH_EMAIL", "ci@example.com"),
];

/// What of Sqitch's registry does not depend on when or where it was written: the
/// tables' columns and constraints, and every row without its times.
fn sqitch_registry(url: &str) -> Vec<Vec<String>> {
    let sqls = [
        "SELECT table_name || ' ' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') FROM information_schema.columns WHERE table_schema = 'sqitch' ORDER BY table_name, ordinal_position",
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'sqitch'::regnamespace ORDER BY 1",
        "SELECT version || ' ' || installer_name || ' ' || installer_email FROM sqitch.releases",
        "SELECT project || ' ' || coalesce(uri, '-') || ' ' || creator_name || ' ' || creator_email FROM sqitch.projects",
        "SELECT concat_ws(' ', change_id, script_hash, change, project, note, committer_name, committer_email, planned_at, planner_name, planner_email) FROM sqitch.changes ORDER BY committed_at",
        "SELECT concat_ws(' ', tag_id, tag, project, change_id, note, committer_name, committer_email, planned_at, planner_name, planner_email) FROM sqitch.tags ORDER BY tag",
        "SELECT concat_ws(' ', change_id, type, dependency, dependency_id) FROM sqitch.dependencies ORDER BY change_id, dependency",
        "SELECT concat_ws(' ', event, change_id, change, project, note, requires::text, conflicts::text, tags::text, committer_name, committer_email, planned_at, planner_name, planner_email) FROM sqitch.events ORDER BY committed_at",
    ];
    sqls.iter().map(|sql| column(url, sql)).collect()
}

/// The real sqitch after pgfleet: the registry pgfleet wrote is the one `sqitch deploy`
/// writes for the same plan (tables, constraints, ids, script hashes, tags,
/// dependencies, events), `sqitch status` is up to date and `sqitch deploy` has nothing
/// to do. Then sqitch deploys one more change, and pgfleet records it without running
/// it; pgfleet's rollback of it is a revert to sqitch, as `sqitch revert` records it.
#[test]
fn sqitch_agrees_with_pgfleet_both_ways() {
    let Some(sqitch) = tools::sqitch("sqitch_agrees_with_pgfleet_both_ways") else {
        return;
    };
    let dbs = TestDbs::new("peer_sync_sqitch_real");
    let ws = workspace(&dbs, "sqitch/basic", "");
    let pgfleet = |args: &[&str]| {
        let mut command = ws.pgfleet().args(args);
        for (key, value) in SQITCH_CI {
            command = command.env(key, value);
        }
        command.success()
    };
    pgfleet(&["up"]);
    let url = dbs.url(&dbs.name("app"));
    // The same plan deployed by sqitch itself, elsewhere.
    let theirs = TestDbs::new("peer_sync_sqitch_ref");
    let ref_ws = workspace(&theirs, "sqitch/basic", "");
    ref_ws.pgfleet().args(["create"]).success();
    let ref_url = theirs.url(&theirs.name("app"));
    sqitch_run(&sqitch, &ref_ws, &ref_url, &["deploy"]);
    let ours = sqitch_registry(&url);
    assert_eq!(ours, sqitch_registry(&ref_url));
    assert_eq!(ours[4].len(), 4, "{ours:?}");
    assert_eq!(ours[5].len(), 1, "the tag @v1.0: {ours:?}");
    assert_eq!(ours[7].len(), 4, "four deploy events: {ours:?}");

    let status = sqitch_run(&sqitch, &ws, &url, &["status"]);
    assert!(
        status.contains("Nothing to deploy (up-to-date)"),
        "{status}"
    );
    let deploy = sqitch_run(&sqitch, &ws, &url, &["deploy"]);
    assert!(
        deploy.contains("Nothing to deploy (up-to-date)"),
        "{deploy}"
    );

    // A colleague's next change, deployed by sqitch itself.
    for ws in [&ws, &ref_ws] {
        ws.write(
            "db/deploy/notes.sql",
            "BEGIN;\nCREATE TABLE notes (id int);\nINSERT INTO notes VALUES (1);\nCOMMIT;\n",
        );
        ws.write(
            "db/revert/notes.sql",
            "BEGIN;\nDROP TABLE notes;\nCOMMIT;\n",
        );
        let plan = std::fs::read_to_string(ws.join("db/sqitch.plan")).unwrap();
        ws.write(
            "db/sqitch.plan",
            &format!(
                "{plan}notes [customers statuses] 2026-11-26T10:00:00Z Bob Planner <bob@example.com> # Notes.\n"
            ),
        );
    }
    let deploy = sqitch_run(&sqitch, &ws, &url, &["deploy"]);
    assert!(deploy.contains("+ notes"), "{deploy}");
    let out = pgfleet(&["migrate", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0005"]), "{db}");
    assert_eq!(db["applied"], serde_json::json!([]), "{db}");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM notes").as_deref(),
        Some("1"),
        "never run twice"
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT applied_by FROM pgfleet.history WHERE version = '0005'"
        )
        .as_deref(),
        Some("sqitch (read from sqitch.changes)")
    );

    // pgfleet rolls it back: to sqitch it is reverted, as `sqitch revert` leaves it.
    pgfleet(&["rollback", "app", "-y"]);
    assert_eq!(
        query_one(&url, "SELECT to_regclass('notes') IS NULL").as_deref(),
        Some("t")
    );
    let status = sqitch_run(&sqitch, &ws, &url, &["status"]);
    assert!(
        status.contains("Undeployed change:") && status.contains("* notes"),
        "{status}"
    );
    sqitch_run(&sqitch, &ref_ws, &ref_url, &["deploy"]);
    sqitch_run(
        &sqitch,
        &ref_ws,
        &ref_url,
        &["revert", "-y", "--to", "@HEAD^"],
    );
    let ours = sqitch_registry(&url);
    assert_eq!(ours, sqitch_registry(&ref_url));
    assert!(
        ours[7].last().is_some_and(|e| e.starts_with("revert ")),
        "{ours:?}"
    );
    // And sqitch deploys it again.
    let deploy = sqitch_run(&sqitch, &ws, &url, &["deploy"]);
    assert!(deploy.contains("+ notes"), "{deploy}");
}

/// `pgfleet baseline` writes Sqitch's registry too: sqitch sees the changes up to the
/// baseline deployed and deploys only the rest, which pgfleet then records as sqitch's.
#[test]
fn sqitch_sees_a_pgfleet_baseline_deployed() {
    let Some(sqitch) = tools::sqitch("sqitch_sees_a_pgfleet_baseline_deployed") else {
        return;
    };
    let dbs = TestDbs::new("peer_sync_sqitch_baseline");
    let ws = workspace(&dbs, "sqitch/basic", "");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // What the first two changes make, made by hand before pgfleet.
    let body = |rel: &str| std::fs::read_to_string(ws.join(rel)).unwrap();
    query(
        &url,
        &format!(
            "{} {}",
            body("db/deploy/statuses.sql"),
            body("db/deploy/customers@v1.0.sql")
        ),
    );
    // Without SQITCH_FULLNAME / SQITCH_EMAIL, the committer is sqitch.conf's user.
    let conf = std::fs::read_to_string(ws.join("db/sqitch.conf")).unwrap();
    ws.write(
        "db/sqitch.conf",
        &format!("{conf}[user]\n\tname = Conf User\n\temail = conf@example.com\n"),
    );
    ws.pgfleet()
        .args(["baseline", "app", "--version", "0002"])
        .env("SQITCH_FULLNAME", "")
        .env("SQITCH_EMAIL", "")
        .success();
    assert_eq!(
        column(
            &url,
            "SELECT DISTINCT committer_name || ' ' || committer_email FROM sqitch.changes"
        ),
        ["Conf User conf@example.com"]
    );
    let status = sqitch_run(&sqitch, &ws, &url, &["status"]);
    assert!(
        status.contains("# Name:     customers")
            && status.contains("Undeployed changes:")
            && status.contains("* invoices"),
        "{status}"
    );
    let deploy = sqitch_run(&sqitch, &ws, &url, &["deploy"]);
    assert!(
        deploy.contains("+ invoices") && !deploy.contains("+ statuses"),
        "{deploy}"
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0003", "0004"]), "{db}");
    assert_eq!(db["applied"], serde_json::json!([]), "{db}");
}

/// A tag added to the plan after its change was deployed (`sqitch tag` after pgfleet's
/// `migrate`) is logged when pgfleet deploys the next change, as `sqitch deploy` logs
/// it: sqitch then finds `@v2.0` (`sqitch revert --to @v2.0`).
#[test]
fn sqitch_tags_added_after_a_deploy_are_logged_with_the_next_change() {
    let Some(sqitch) =
        tools::sqitch("sqitch_tags_added_after_a_deploy_are_logged_with_the_next_change")
    else {
        return;
    };
    let dbs = TestDbs::new("peer_sync_sqitch_tags");
    let ws = workspace(&dbs, "sqitch/basic", "");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    ws.write(
        "db/deploy/notes.sql",
        "BEGIN;\nCREATE TABLE notes (id int);\nCOMMIT;\n",
    );
    ws.write(
        "db/revert/notes.sql",
        "BEGIN;\nDROP TABLE notes;\nCOMMIT;\n",
    );
    let plan = std::fs::read_to_string(ws.join("db/sqitch.plan")).unwrap();
    ws.write(
        "db/sqitch.plan",
        &format!(
            "{plan}@v2.0 2026-11-26T09:00:00Z Bob Planner <bob@example.com> # Tag v2.0.\nnotes [customers@v2.0] 2026-11-26T10:00:00Z Bob Planner <bob@example.com> # Notes.\n"
        ),
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        column(
            &url,
            "SELECT t.tag || ' ' || c.change FROM sqitch.tags t JOIN sqitch.changes c USING (change_id) ORDER BY t.tag"
        ),
        ["@v1.0 customers", "@v2.0 customers"]
    );
    let revert = sqitch_run(&sqitch, &ws, &url, &["revert", "-y", "--to", "@v2.0"]);
    assert!(revert.contains("- notes"), "{revert}");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('notes') IS NULL").as_deref(),
        Some("t")
    );
    let status = sqitch_run(&sqitch, &ws, &url, &["status"]);
    assert!(status.contains("# Tag:      @v2.0"), "{status}");
}

/// A plan line without its planner and time (which Sqitch's ids cover) stops `migrate`
/// before anything runs, naming the line; `status` reports it as a disagreement, and
/// `peer_history = "read"` migrates without writing the registry.
#[test]
fn a_sqitch_plan_without_planners_is_not_written_and_says_why() {
    let dbs = TestDbs::new("peer_sync_sqitch_no_planner");
    let ws = workspace(&dbs, "sqitch/basic", "");
    let plan = std::fs::read_to_string(ws.join("db/sqitch.plan")).unwrap();
    ws.write(
        "db/sqitch.plan",
        &plan.replace(
            "invoices [customers] 2026-11-25T21:56:47Z Ann Planner <ann@example.com> # Invoices.",
            "invoices [customers]",
        ),
    );
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(1)
        .stderr_contains(&format!(
            "error: `app`: peer history table `sqitch.changes` cannot be written as Sqitch writes it: {}:8: change `invoices` has no `<timestamp> <planner> <<email>>`",
            ws.join("db/sqitch.plan").display()
        ))
        .stderr_contains("hint: set `peer_history = \"read\"`");
    assert_eq!(
        query_one(&url, "SELECT to_regclass('pgfleet.history') IS NULL").as_deref(),
        Some("t"),
        "nothing ran"
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    assert!(
        status
            .stdout
            .contains("cannot be written as Sqitch writes it"),
        "{}",
        status.stdout
    );
    ws.write(
        "pgfleet.toml",
        &format!(
            "{}[databases.app]\nmigrations = \"db\"\npeer_history = \"read\"\n",
            dbs.manifest_head()
        ),
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT to_regnamespace('sqitch') IS NULL").as_deref(),
        Some("t")
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("4")
    );
}

/// Liquibase's `databasechangelog`, written by pgfleet alone (the real Liquibase reads
/// it in `peer_tools::liquibase_beside_pgfleet`): one row per changeset with its 9:
/// md5sum, Liquibase's lock table with its one row, the row deleted on rollback and a
/// changed md5sum reported by `status`.
#[test]
fn pgfleet_writes_liquibases_databasechangelog_as_liquibase_does() {
    let dbs = TestDbs::new("peer_sync_liquibase");
    let ws = workspace(&dbs, "liquibase/basic", "format = \"liquibase\"\n");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    let ids = "SELECT id FROM public.databasechangelog ORDER BY orderexecuted";
    let all = [
        "create-customers-and-invoices",
        "index-invoices",
        "customer-total",
        "audit-runs",
        "totals-view",
    ];
    assert_eq!(column(&url, ids), all);
    assert_eq!(
        query(
            &url,
            "SELECT DISTINCT filename, exectype, description, liquibase, length(deployment_id)::text FROM databasechangelog ORDER BY 1"
        ),
        [
            [
                "changes/001_customers_and_invoices.sql",
                "EXECUTED",
                "sql",
                "4.28.0",
                "10"
            ],
            [
                "changes/002_functions_and_views.sql",
                "EXECUTED",
                "sql",
                "4.28.0",
                "10"
            ],
        ]
        .map(|r| r.map(|c| Some(c.to_owned())).to_vec())
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT comments FROM databasechangelog WHERE id = 'create-customers-and-invoices'"
        )
        .as_deref(),
        Some("the two base tables")
    );
    // Liquibase's lock table, unlocked.
    assert_eq!(
        query(
            &url,
            "SELECT id::text, locked::text, lockedby FROM public.databasechangeloglock"
        ),
        [[Some("1".to_owned()), Some("false".to_owned()), None]]
    );
    // A rollback removes the changeset's row with pgfleet's; migrate puts it back.
    ws.pgfleet().args(["rollback", "app"]).success();
    let left = column(&url, ids);
    assert_eq!(left.len(), 4, "{left:?}");
    ws.pgfleet().args(["migrate"]).success();
    let mut back = column(&url, ids);
    back.sort();
    let mut want = all.map(str::to_owned).to_vec();
    want.sort();
    assert_eq!(back, want);
    // A row whose md5sum is not the changeset's is reported, and left alone.
    query(
        &url,
        "UPDATE databasechangelog SET md5sum = '9:00' WHERE id = 'index-invoices'",
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        report["databases"][0]["peer_disagreements"],
        serde_json::json!([{
            "version": "changes/001_customers_and_invoices.sql::index-invoices::jane",
            "table": "public.databasechangelog",
            "problem": "its checksum there is not the file's: the file changed after Liquibase applied it"
        }])
    );
}

/// Liquibase records a changelog's path as its search path finds it: rows it wrote
/// under another search path (`db/changelog/...`) give the prefix pgfleet writes too.
#[test]
fn liquibase_rows_keep_the_path_liquibase_recorded() {
    let dbs = TestDbs::new("peer_sync_liquibase_path");
    let ws = workspace(&dbs, "liquibase/basic", "format = \"liquibase\"\n");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(
        &url,
        "CREATE TABLE databasechangelog (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP WITHOUT TIME ZONE NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));
         INSERT INTO databasechangelog VALUES ('create-customers-and-invoices', 'jane', 'db/changelog/changes/001_customers_and_invoices.sql', now(), 1, 'EXECUTED', NULL, 'sql', '', NULL, '4.28.0', NULL, NULL, '0000000001');
         CREATE TABLE lb_customer (id bigserial PRIMARY KEY, name text NOT NULL);
         CREATE TABLE lb_invoice (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, amount numeric NOT NULL);",
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        column(
            &url,
            "SELECT DISTINCT filename FROM databasechangelog ORDER BY 1"
        ),
        [
            "db/changelog/changes/001_customers_and_invoices.sql",
            "db/changelog/changes/002_functions_and_views.sql"
        ]
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT max(orderexecuted)::text FROM databasechangelog"
        )
        .as_deref(),
        Some("5")
    );
}

/// Atlas's revisions table, written by pgfleet (Atlas does not install here; the rows
/// follow its source, `migrate::peer` unit tests): in schema `atlas_schema_revisions`,
/// one applied revision per file with its `atlas.sum` hash, which pgfleet's own reader
/// then takes as applied.
#[test]
fn pgfleet_writes_atlas_schema_revisions_as_atlas_does() {
    let dbs = TestDbs::new("peer_sync_atlas");
    let ws = workspace(&dbs, "atlas/basic", "format = \"atlas\"\n");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query(
            &url,
            "SELECT version, description, type::text, applied::text, total::text, hash, error, partial_hashes::text FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version"
        ),
        [
            [
                "20240201100000",
                "create_customers_and_invoices",
                "2",
                "2",
                "2",
                "AljhdEqY2sHF5rvDoj4JEfZOT9YdLzYPXzIAof4f2J8=",
                "",
                "null"
            ],
            [
                "20240201100100",
                "index_invoices",
                "2",
                "2",
                "2",
                "XFa9H1MZSZhngc9WTdJepUNuNW+nnuYw5iKWtpeWxs8=",
                "",
                "null"
            ],
            [
                "20240201100200",
                "",
                "2",
                "2",
                "2",
                "CdhhCGZ9uvhEs4uiPf0kzIjyjBFXu3+WdwkAD0Y8gzw=",
                "",
                "null"
            ],
        ]
        .map(|r| r.map(|c| Some(c.to_owned())).to_vec())
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT bool_and(executed_at <= now() AND execution_time >= 0 AND operator_version LIKE 'pgfleet v%')::text FROM atlas_schema_revisions.atlas_schema_revisions"
        )
        .as_deref(),
        Some("true")
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    let status = ws.pgfleet().args(["status", "--json"]).success();
    assert!(
        !status.stdout.contains("peer_disagreements"),
        "{}",
        status.stdout
    );
}
