//! Hasura CLI projects (`config.yaml` v3, `migrations/<source>/<version>_<name>/up.sql`).
//! The Hasura CLI needs its GraphQL engine, which does not install here, so the fixture
//! follows the published format (hasura.io/docs "Migrations file format", config v3) and
//! the CLI's own reader (`cli/migrate/source/file/file.go` in hasura/graphql-engine).
//! The fixture `hasura/app` is written by `tests/fixtures/generate-hasgraph.py`.

use crate::support::{TestDbs, Workspace, query, query_one};

fn workspace(dbs: &TestDbs, migrations: &str) -> Workspace {
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{migrations}\"\nformat = \"hasura\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("hasura/app", "hasura");
    ws
}

const HDB_TABLE: &str = "CREATE SCHEMA hdb_catalog; CREATE TABLE hdb_catalog.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);";

#[test]
fn hasura_project_applies_in_numeric_order_and_status_names_the_format() {
    let dbs = TestDbs::new("hasura_apply");
    // `migrations/` with one source reads that source.
    let ws = workspace(&dbs, "hasura/migrations");
    let out = ws.pgfleet().args(["up"]).success();
    out.stderr_contains("README.md`, `hasura/migrations/default/squashed_notes` match no migration pattern of their folder; they are not applied");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("240")
    );
    // Enum values added, data fixed, concurrent indexes built.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'account_status'"
        )
        .as_deref(),
        Some("31")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM t1 WHERE note NOT LIKE 'fixed:%'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't1_account_idx'::regclass"
        )
        .as_deref(),
        Some("t")
    );
    // Neither of the CLI's state tables is there, and pgfleet makes neither: the catalog
    // is the Hasura server's to make.
    assert_eq!(
        query_one(&url, "SELECT to_regnamespace('hdb_catalog')::text"),
        None
    );
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "hasura");
    assert_eq!(status["databases"][0]["applied"], 240);
    assert_eq!(
        status["databases"][0]["migrations"][0]["version"],
        "1654696187005"
    );
    // Once a Hasura server has made its catalog, the next migrate writes every version
    // pgfleet applied into the CLI's state.
    query(&url, HDB_VERSION);
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM hdb_catalog.hdb_version, jsonb_each(cli_state -> 'migrations' -> 'default') m WHERE m.value = 'false'::jsonb"
        )
        .as_deref(),
        Some("240")
    );
}

#[test]
fn hasura_history_is_adopted_and_the_rest_applied_once() {
    let dbs = TestDbs::new("hasura_adopt");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    // The Hasura CLI applied the first two and failed half-way through the third.
    let source = ws.join("hasura/migrations/default");
    let mut dirs: Vec<_> = std::fs::read_dir(&source)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.starts_with(char::is_numeric))
        .collect();
    dirs.sort();
    let mut sql = String::from(HDB_TABLE);
    for dir in &dirs[..2] {
        sql.push_str(&std::fs::read_to_string(source.join(dir).join("up.sql")).unwrap());
        let version = dir.split('_').next().unwrap();
        sql.push_str(&format!(
            "INSERT INTO hdb_catalog.schema_migrations VALUES ({version}, false);"
        ));
    }
    let third = dirs[2].split('_').next().unwrap();
    sql.push_str(&format!(
        "INSERT INTO hdb_catalog.schema_migrations VALUES ({third}, true);"
    ));
    query(&url, &sql);

    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(
        db["adopted"],
        serde_json::json!(["1654696187005", "1654696188999"]),
        "{db}"
    );
    assert_eq!(db["applied"].as_array().unwrap().len(), 238, "{db}");
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE applied_by = 'adopted from hdb_catalog.schema_migrations'"
        )
        .as_deref(),
        Some("2")
    );
    // The older table, kept in step: the CLI's two rows, the dirty third set clean
    // once pgfleet ran it, and a row per version pgfleet applied, as the CLI's
    // `InsertVersion` writes it.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) || ',' || count(*) FILTER (WHERE dirty) FROM hdb_catalog.schema_migrations"
        )
        .as_deref(),
        Some("240,0")
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM accounts").as_deref(),
        Some("30"),
        "each seed ran exactly once"
    );
}

#[test]
fn hasura_folder_without_up_sql_is_refused_before_anything_runs() {
    let dbs = TestDbs::new("hasura_no_up");
    let ws = workspace(&dbs, "hasura/migrations/default");
    // Created while the folder is whole: `create` reads every folder first.
    ws.pgfleet().args(["create"]).success();
    let broken = ws.join("hasura/migrations/default/1654696191990_add_column_2/up.sql");
    std::fs::remove_file(&broken).unwrap();
    ws.pgfleet().args(["create"]).expect_code(2);
    ws.pgfleet()
        .args(["migrate"])
        .expect_code(2)
        .stderr_contains("hasura/migrations/default/1654696191990_add_column_2` has no `up.sql` (or it is empty): Hasura would mark version 1654696191990 applied without running anything");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT to_regclass('accounts') IS NULL AND to_regclass('pgfleet.history') IS NULL"
        )
        .as_deref(),
        Some("t"),
        "nothing was applied"
    );
}

#[test]
fn hasura_yaml_migrations_block_until_hasura_applied_them() {
    let dbs = TestDbs::new("hasura_yaml");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.write(
        "hasura/migrations/default/1999999999999_track_tables/up.yaml",
        "- type: track_table\n  args:\n    schema: public\n    name: accounts\n",
    );
    ws.pgfleet().args(["up"]).expect_code(1).stderr_contains(
        "1999999999999_track_tables/up.yaml`: Hasura metadata migration (`up.yaml`)",
    );
    // Blocked before anything ran.
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('accounts') IS NULL").as_deref(),
        Some("t")
    );
}

#[test]
fn hasura_two_sources_in_one_folder_ask_for_one() {
    let dbs = TestDbs::new("hasura_sources");
    let ws = workspace(&dbs, "hasura/migrations");
    ws.write(
        "hasura/migrations/analytics/1700000000000_init/up.sql",
        "SELECT 1;\n",
    );
    ws.pgfleet()
        .args(["up"])
        .expect_code(2)
        .stderr_contains("holds the migrations of 2 Hasura databases (`analytics`, `default`)");
}

/// Hasura servers since v1.4 keep the CLI's state in their catalog
/// (`hdb_catalog.hdb_version.cli_state`), per source: the source's versions not
/// marked dirty are adopted, another source's are not.
#[test]
fn hasura_catalog_state_is_adopted_for_its_source() {
    let dbs = TestDbs::new("hasura_catalog");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let first = std::fs::read_to_string(
        ws.join("hasura/migrations/default/1654696187005_create_accounts/up.sql"),
    )
    .unwrap();
    query(
        &url,
        &format!(
            "{first}
             CREATE SCHEMA hdb_catalog;
             CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(), version text NOT NULL, upgraded_on timestamptz NOT NULL DEFAULT now(), cli_state jsonb NOT NULL DEFAULT '{{}}', console_state jsonb NOT NULL DEFAULT '{{}}');
             INSERT INTO hdb_catalog.hdb_version (version, cli_state) VALUES ('48',
               '{{\"migrations\": {{\"default\": {{\"1654696187005\": false, \"1654696188999\": true}}, \"reports\": {{\"1654696191990\": false}}}}, \"settings\": {{\"migration_mode\": \"true\"}}}}');"
        ),
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["1654696187005"]), "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 239, "{db}");
    assert_eq!(
        query_one(
            &url,
            "SELECT applied_by FROM pgfleet.history WHERE version = '1654696187005'"
        )
        .as_deref(),
        Some("adopted from hdb_catalog.hdb_version")
    );
    // Kept in step for this source only: the dirty version pgfleet ran is clean, the
    // other source's versions are as the CLI left them.
    assert_eq!(
        query_one(
            &url,
            "SELECT (cli_state -> 'migrations' -> 'default' ->> '1654696188999') || ' ' || (cli_state -> 'migrations' -> 'reports')::text FROM hdb_catalog.hdb_version"
        )
        .as_deref(),
        Some("false {\"1654696191990\": false}")
    );
}

/// A Hasura project's `seeds/<source>/*.sql` are the database's seeds, run in name order
/// as `hasura seed apply` runs them (`up` seeds the databases it creates); other files
/// there are not run.
#[test]
fn hasura_seeds_are_the_databases_seeds() {
    let dbs = TestDbs::new("hasura_seeds");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM t1 JOIN accounts a ON a.id = t1.account_id WHERE a.email = 'seed@example.com' AND t1.note = 'fixed: seeded'"
        )
        .as_deref(),
        Some("1")
    );
    // `seed` again: the accounts seed's unique email is already there.
    ws.pgfleet()
        .args(["seed"])
        .expect_code(1)
        .stderr_contains("1700000000000_accounts.sql");
}

/// The server's catalog as a Hasura server since v1.4 makes it (`hdb_catalog.hdb_version
/// (hasura_uuid, version, upgraded_on, cli_state jsonb NOT NULL DEFAULT '{}',
/// console_state ...)` and its one row), holding the CLI's settings.
const HDB_VERSION: &str = "CREATE SCHEMA hdb_catalog;
    CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(), version text NOT NULL, upgraded_on timestamptz NOT NULL, cli_state jsonb NOT NULL DEFAULT '{}'::jsonb, console_state jsonb NOT NULL DEFAULT '{}'::jsonb);
    CREATE UNIQUE INDEX hdb_version_one_row ON hdb_catalog.hdb_version((version IS NOT NULL));
    INSERT INTO hdb_catalog.hdb_version (version, upgraded_on, cli_state) VALUES ('48', now(), '{\"settings\": {\"migration_mode\": \"true\"}, \"migrations\": null}');";

/// `peer_history = "sync"`: with the server's catalog there, pgfleet keeps the CLI's
/// state as current CLIs do (hasura/graphql-engine
/// `cli/migrate/database/hasuradb/migration_state_catalog_state.go`: `InsertVersion`
/// sets `cli_state.migrations.<source>.<version>` to `false` through
/// `set_catalog_state`, `RemoveVersion` deletes it). A version the CLI applied itself
/// is recorded as the CLI's, not run; `rollback` runs its `down.sql` and removes it.
#[test]
fn hasura_catalog_state_is_written_as_the_cli_writes_it() {
    let dbs = TestDbs::new("hasura_sync_catalog");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    query(&url, HDB_VERSION);
    ws.pgfleet().args(["migrate"]).success();
    let state = "(SELECT cli_state FROM hdb_catalog.hdb_version)";
    assert_eq!(
        query_one(
            &url,
            &format!("SELECT count(*) || ',' || count(*) FILTER (WHERE value = 'false'::jsonb) FROM jsonb_each({state} -> 'migrations' -> 'default')")
        )
        .as_deref(),
        Some("240,240")
    );
    assert_eq!(
        query_one(
            &url,
            &format!("SELECT ({state} -> 'migrations' -> 'default' ->> '1654696187005') || ' ' || ({state} -> 'settings' ->> 'migration_mode')")
        )
        .as_deref(),
        Some("false true"),
        "the version as the CLI keys it, and the CLI's settings left alone"
    );

    // `hasura migrate create` + `hasura migrate apply` of one more: its up.sql runs and
    // its version goes into the catalog state.
    let dir = ws.join("hasura/migrations/default/1999999999999_create_streets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("up.sql"), "CREATE TABLE streets (id int);\n").unwrap();
    std::fs::write(dir.join("down.sql"), "DROP TABLE streets;\n").unwrap();
    query(
        &url,
        "CREATE TABLE streets (id int);
         UPDATE hdb_catalog.hdb_version SET cli_state = jsonb_set(cli_state, '{migrations,default,1999999999999}', 'false');",
    );
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(
            &url,
            "SELECT applied_by FROM pgfleet.history WHERE version = '1999999999999'"
        )
        .as_deref(),
        Some("hasura (read from hdb_catalog.hdb_version)")
    );

    ws.pgfleet().args(["rollback", "app"]).success();
    assert_eq!(
        query_one(
            &url,
            &format!("SELECT (({state} -> 'migrations' -> 'default') ? '1999999999999')::text || ',' || (SELECT count(*) FROM jsonb_object_keys({state} -> 'migrations' -> 'default')) || ',' || (to_regclass('streets') IS NULL)::text")
        )
        .as_deref(),
        Some("false,240,true")
    );
}

/// A project that moved from the older table to the catalog state (both there, the
/// catalog's state still empty): a version the old table lists is applied, not run
/// again, and pgfleet writes where current CLIs read, the catalog state.
#[test]
fn hasura_older_table_beside_the_catalog_is_read_and_the_catalog_written() {
    let dbs = TestDbs::new("hasura_sync_both");
    let ws = workspace(&dbs, "hasura/migrations/default");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let first = std::fs::read_to_string(
        ws.join("hasura/migrations/default/1654696187005_create_accounts/up.sql"),
    )
    .unwrap();
    query(
        &url,
        &format!(
            "{first}
             {HDB_VERSION}
             CREATE TABLE hdb_catalog.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
             INSERT INTO hdb_catalog.schema_migrations VALUES (1654696187005, false);"
        ),
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report["databases"][0]["adopted"],
        serde_json::json!(["1654696187005"])
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT (SELECT count(*) FROM jsonb_object_keys(cli_state -> 'migrations' -> 'default')) || ',' || (SELECT count(*) FROM hdb_catalog.schema_migrations) FROM hdb_catalog.hdb_version"
        )
        .as_deref(),
        Some("239,1")
    );
}
