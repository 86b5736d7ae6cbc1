//! Every `--json` document, from real runs on real workspaces, checked against
//! its strict schema in `tests/fixtures/json/` (docs/json.md describes them):
//! `"version": 1` first, one object per run, no field the schema does not name.

use crate::support::schemas::{document, violations};
use crate::support::{TestDbs, Workspace, query};

/// `auth` (with one object of every kind `schema dump` models, a seed, a down
/// script) and `app`, which depends on it and references `auth.users.id`; a
/// service `api` whose `.env` gets both URLs.
fn fleet(dbs: &TestDbs) -> Workspace {
    let mut manifest = dbs.manifest_head();
    manifest.push_str(
        "[databases.auth]\nmigrations = \"auth\"\nseeds = \"seeds\"\nextensions = [\"pgcrypto\"]\n\n\
         [databases.app]\nmigrations = \"app\"\ndepends_on = [\"auth\"]\n\n\
         [[databases.app.references]]\nfrom = \"orders.user_id\"\nto = \"auth.users.id\"\n\n\
         [services.api]\nenv_file = \"api/.env\"\n\
         [services.api.vars]\nDATABASE_URL = \"app\"\nAUTH_DATABASE_URL = \"auth\"\n",
    );
    let ws = Workspace::with_manifest(&manifest);
    ws.write(
        "auth/0001_users.sql",
        "CREATE TYPE status AS ENUM ('new', 'paid');\n\
         CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');\n\
         CREATE TYPE pair AS (a integer, b text);\n\
         CREATE TABLE users (id bigint PRIMARY KEY, email email UNIQUE, status status NOT NULL DEFAULT 'new',\n\
           n integer GENERATED ALWAYS AS IDENTITY);\n\
         CREATE INDEX users_status_idx ON users (status);\n\
         CREATE SEQUENCE tickets;\n\
         CREATE VIEW paid AS SELECT id FROM users WHERE status = 'paid';\n\
         CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM users;\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n\
         CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n\
         COMMENT ON TABLE users IS 'people';\n",
    );
    ws.write(
        "app/0001_orders.sql",
        "CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint);\n\
         -- pgfleet:down\nDROP TABLE orders;\n",
    );
    ws.write(
        "seeds/01_users.sql",
        "INSERT INTO users (id, email) VALUES (1, 'a@b');\n",
    );
    ws.mkdir("api");
    ws
}

/// Runs `args` with `--json`, expecting `code`, and checks the document.
#[track_caller]
fn check(ws: &Workspace, schema: &str, args: &[&str], code: i32) -> serde_json::Value {
    let out = ws.pgfleet().args(args).args(["--json"]).expect_code(code);
    document(schema, &out.stdout)
}

#[test]
fn fleet_commands_print_their_documented_shapes() {
    let dbs = TestDbs::new("json_fleet_commands");
    let ws = fleet(&dbs);
    let up = check(&ws, "up", &["up"], 0);
    assert_eq!(up["version"], 1);
    assert_eq!(up["seed"]["databases"][0]["outcome"], "seeded");
    check(&ws, "up", &["up"], 0);
    let status = check(&ws, "status", &["status"], 0);
    assert_eq!(status["env"], "test");
    assert_eq!(status["databases"][0]["format"], "native");
    check(&ws, "migrate", &["migrate"], 0);
    check(&ws, "migrate", &["migrate", "--dry-run"], 0);
    let create = check(&ws, "create", &["create"], 0);
    assert_eq!(create["env"], "test");
    check(&ws, "verify", &["verify"], 0);
    check(&ws, "verify", &["verify", "--offline"], 0);
    check(&ws, "drift", &["drift"], 0);
    // Drift of every kind of change, and an orphan reference.
    query(
        &dbs.url(&dbs.name("app")),
        "CREATE TABLE extra (id int); ALTER TABLE orders ALTER COLUMN user_id TYPE integer; \
         ALTER TABLE orders DROP CONSTRAINT orders_pkey; INSERT INTO orders (user_id) VALUES (99)",
    );
    let drift = check(&ws, "drift", &["drift"], 3);
    let changes: Vec<&str> = drift["databases"][1]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["change"].as_str().unwrap())
        .collect();
    for change in ["added", "removed", "changed"] {
        assert!(changes.contains(&change), "{drift}");
    }
    let verify = check(&ws, "verify", &["verify"], 3);
    assert_eq!(verify["failed"], 1);
    query(
        &dbs.url(&dbs.name("app")),
        "DROP TABLE extra; DELETE FROM orders; ALTER TABLE orders ALTER COLUMN user_id TYPE bigint; \
         ALTER TABLE orders ADD PRIMARY KEY (id)",
    );
    // A migration that fails: the report says where, in the same document.
    ws.write("app/0002_bad.sql", "SELECT nosuch;\n");
    let failed = check(&ws, "migrate", &["migrate"], 1);
    assert_eq!(failed["databases"][1]["outcome"], "failed");
    assert!(failed["databases"][1]["error"].is_string(), "{failed}");
    std::fs::remove_file(ws.join("app/0002_bad.sql")).unwrap();
    check(&ws, "repair", &["-y", "repair", "app"], 0);
    let dump = check(&ws, "schema-dump", &["schema", "dump", "auth"], 0);
    assert_eq!(dump["database"], "auth");
    assert!(dump["tables"]["public.users"].is_object(), "{dump}");
    let rolled = check(&ws, "rollback", &["-y", "rollback", "app"], 0);
    assert_eq!(rolled["rolled_back"][0]["version"], "0001");
    check(&ws, "migrate", &["migrate"], 0);
    check(
        &ws,
        "baseline",
        &["baseline", "app", "--version", "0001"],
        0,
    );
    check(&ws, "repair", &["-y", "repair", "app"], 0);
    // An edited migration: repair accepts its new checksum.
    ws.write(
        "app/0001_orders.sql",
        "CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint); -- edited\n\
         -- pgfleet:down\nDROP TABLE orders;\n",
    );
    check(&ws, "status", &["status", "--check"], 3);
    let repaired = check(&ws, "repair", &["-y", "repair", "app"], 0);
    assert_eq!(repaired["repairs"][0]["action"], "accept_checksum");
    let new = check(&ws, "new", &["new", "app", "add_total"], 0);
    assert_eq!(new["files"].as_array().unwrap().len(), 1);
    check(&ws, "migrate", &["migrate"], 0);
    let seed = check(&ws, "seed", &["-y", "seed", "app"], 0);
    assert_eq!(seed["env"], "test");
    check(&ws, "clean", &["-y", "clean"], 0);
    check(&ws, "reset", &["-y", "reset"], 0);
    let dropped = check(&ws, "drop", &["-y", "drop"], 0);
    assert_eq!(dropped["env"], "test");
    let error = check(&ws, "error", &["status", "nosuch"], 2);
    assert_eq!(error["exit_code"], 2);
}

#[test]
fn backup_and_restore_documents_match_their_schemas() {
    let dbs = TestDbs::new("json_backup_restore");
    let ws = fleet(&dbs);
    ws.pgfleet().args(["up"]).success();
    let backup = check(&ws, "backup", &["backup", "--out", "b"], 0);
    assert_eq!(backup["verify"], serde_json::Value::Null);
    assert_eq!(backup["backup"]["env"], "test");
    let verified = check(&ws, "backup", &["backup", "--out", "b2", "--verify"], 0);
    assert_eq!(verified["verify"].as_array().unwrap().len(), 2);
    check(&ws, "restore-check", &["restore", "b", "--check"], 0);
    let restored = check(&ws, "restore", &["-y", "restore", "b", "--clean"], 0);
    assert_eq!(restored["restored"].as_array().unwrap().len(), 2);
}

#[test]
fn env_and_graph_documents_name_the_env_and_give_data() {
    let dbs = TestDbs::new("json_env_graph");
    let ws = fleet(&dbs);
    let all = check(&ws, "env", &["env"], 0);
    assert_eq!(all["env"], "test");
    assert_eq!(all["database"], serde_json::Value::Null);
    assert!(all["vars"]["APP_DATABASE_URL"].is_string(), "{all}");
    let one = check(&ws, "env", &["env", "app"], 0);
    assert_eq!(one["database"], "app");
    assert_eq!(one["vars"]["PGDATABASE"], dbs.name("app"));
    let wrote = check(&ws, "env-write", &["env", "--write"], 0);
    assert_eq!(wrote["files"][0]["status"], "created");
    check(&ws, "env-write", &["env", "--write"], 0);

    // One physical database, a schema per logical database.
    let manifest = std::fs::read_to_string(ws.join("pgfleet.toml")).unwrap();
    ws.write(
        "pgfleet.toml",
        &format!(
            "{manifest}\n[envs.single]\nserver = \"pg\"\ndatabase = \"{}\"\nschema = \"{{name}}\"\n",
            dbs.name("fleet")
        ),
    );
    let single = check(&ws, "graph", &["-e", "single", "graph"], 0);
    assert_eq!(single["databases"][0]["schema"], "auth");
    assert_eq!(single["schemas"][1]["schema"], "app");
    assert_eq!(single["schemas"][1]["physical_database"], dbs.name("fleet"));

    let graph = check(&ws, "graph", &["-e", "test", "graph"], 0);
    assert_eq!(graph["servers"][0]["server"], "pg");
    assert_eq!(graph["servers"][0]["embedded"], false);
    assert_eq!(graph["databases"][1]["physical_database"], dbs.name("app"));
    assert_eq!(graph["schemas"][0]["schema"], "public");
    assert_eq!(
        graph["edges"],
        serde_json::json!([
            {"kind": "depends_on", "from": "app", "to": "auth", "from_column": null, "to_column": null},
            {"kind": "reference", "from": "app", "to": "auth",
             "from_column": "orders.user_id", "to_column": "users.id"},
        ])
    );
}

#[test]
fn server_documents_are_objects_with_the_postgres_version() {
    let ws = Workspace::with_manifest(
        "[servers.local]\nembedded = true\n[databases.app]\nmigrations = \"db\"\n",
    );
    ws.write("db/0001_t.sql", "CREATE TABLE t (id int);\n");
    let stopped = check(&ws, "server-status", &["server", "status"], 0);
    assert_eq!(stopped["servers"][0]["state"], "stopped");
    assert_eq!(stopped["servers"][0]["initialized"], false);
    let started = check(&ws, "server-change", &["server", "start"], 0);
    assert_eq!(started["servers"][0]["state"], "initialized and started");
    let running = check(&ws, "server-status", &["server", "status"], 0);
    let server = &running["servers"][0];
    assert_eq!(server["state"], "running");
    assert!(
        server["postgres_version"]
            .as_str()
            .unwrap()
            .starts_with('1'),
        "{server}"
    );
    assert_eq!(server["port"], started["servers"][0]["port"]);
    let up = check(&ws, "up", &["up"], 0);
    assert_eq!(up["servers"][0]["state"], "running");
    let graph = check(&ws, "graph", &["graph"], 0);
    assert_eq!(graph["servers"][0]["port"], server["port"]);
    check(&ws, "server-logs", &["server", "logs", "-n", "5"], 0);
    let stop = check(&ws, "server-change", &["server", "stop"], 0);
    assert_eq!(stop["servers"][0]["state"], "stopped");
    assert_eq!(stop["servers"][0]["port"], serde_json::Value::Null);
}

#[test]
fn init_and_import_documents_match_their_schemas() {
    let ws = Workspace::new();
    ws.write(
        "services/billing/migrations/0001_init.sql",
        "CREATE TABLE invoices (id int);\n",
    );
    let init = check(&ws, "init", &["init"], 0);
    assert_eq!(init["databases"][0]["name"], "billing");

    let dbs = TestDbs::new("json_import");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write(
        "db/0001_init.sql",
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n",
    );
    ws.pgfleet().args(["up"]).success();
    let conn = rusqlite::Connection::open(ws.join("src.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'hi');",
    )
    .unwrap();
    drop(conn);
    let import = check(
        &ws,
        "import",
        &["import", "sqlite", "src.db", "--into", "app"],
        0,
    );
    assert_eq!(import["committed"], true);
}

#[test]
fn usage_errors_with_json_match_the_error_schema() {
    let ws = Workspace::new();
    for args in [
        &["status", "--jsn"][..],
        &["rollback"][..],
        &[][..],
        &["graph"][..], // no manifest here: a manifest error
    ] {
        let doc = check(&ws, "error", args, 2);
        assert_eq!(doc["exit_code"], 2, "{args:?}");
    }
}

#[test]
fn the_schemas_refuse_a_field_they_do_not_name() {
    let status = serde_json::json!({
        "version": 1, "env": "dev", "databases": [{
            "database": "shared", "server": "local", "physical_database": "shared_db",
            "schema": null, "format": "native", "applied": 1, "pending": 0, "failed": 0,
            "mismatched": 0, "missing": 0, "out_of_order": 0, "exists": true,
            "migrations": [{"version": "20251019090000", "name": "create_users",
                            "state": "applied", "applied_at": "2026-01-01T10:00:00.123456Z"}]
        }]
    });
    assert_eq!(violations("status", &status), Vec::<String>::new());
    for (change, what) in [
        ("/new_field", "a new top-level field"),
        ("/databases/0/new_field", "a new field in a database"),
    ] {
        let mut doc = status.clone();
        let (parent, key) = change.rsplit_once('/').unwrap();
        doc.pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), 1.into());
        assert!(!violations("status", &doc).is_empty(), "{what} passed");
    }
    let mut doc = status.clone();
    doc["version"] = 2.into();
    assert!(!violations("status", &doc).is_empty(), "version 2 passed");
    for format in ["supabase", "graphile-migrate", "dbmate+native", "runner"] {
        let mut doc = status.clone();
        doc["databases"][0]["format"] = format.into();
        assert_eq!(violations("status", &doc), Vec::<String>::new(), "{format}");
    }
    let mut doc = status.clone();
    doc["databases"][0]["format"] = "nosuch".into();
    assert!(
        !violations("status", &doc).is_empty(),
        "an unknown format passed"
    );
}
