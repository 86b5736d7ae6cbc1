//! What `migrate` refuses, and how failures are reported: edited, missing
//! and out-of-order files, failing statements, meta-commands, part-way
//! failures outside a transaction, `repair`, and unreadable folders.

use crate::support::{TestDbs, Workspace, query, query_one};

fn native(test: &str) -> (TestDbs, Workspace) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"db\"\n",
        dbs.manifest_head()
    ));
    ws.write(
        "db/0001_users.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\n-- pgfleet:down\nDROP TABLE users;\n",
    );
    ws.write(
        "db/0003_posts.sql",
        "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);\n",
    );
    (dbs, ws)
}

#[test]
fn an_edited_applied_file_is_refused_until_repaired() {
    let (dbs, ws) = native("edited");
    ws.pgfleet().args(["up"]).success();
    ws.write(
        "db/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("error: `app`: migration `0001` was applied, then its file `")
        .stderr_contains("db/0001_users.sql` changed")
        .stderr_contains("hint: restore the file as it was applied, or accept the edit with `pgfleet repair app`");
    ws.pgfleet()
        .args(["status", "--check"])
        .expect_code(3)
        .stdout_contains("1 changed since applied");
    ws.pgfleet()
        .args(["repair", "app"])
        .expect_code(4)
        .stderr_contains("needs confirmation");
    let out = ws.pgfleet().args(["repair", "app", "--yes"]).success();
    out.stderr_contains("app: accept the edited file of 0001_users")
        .stdout_contains("app: 1 repair(s) recorded");
    ws.pgfleet().args(["migrate"]).success();
    let url = dbs.url(&dbs.name("app"));
    let log = query(
        &url,
        "SELECT version, action, old_checksum <> new_checksum, repaired_by <> '' FROM pgfleet.repairs",
    );
    assert_eq!(
        log,
        [[
            Some("0001".into()),
            Some("accept_checksum".into()),
            Some("t".into()),
            Some("t".into())
        ]]
    );
}

#[test]
fn a_missing_file_and_an_out_of_order_file_are_refused() {
    let (_dbs, ws) = native("missing_ooo");
    ws.pgfleet().args(["up"]).success();
    ws.write("db/0002_comments.sql", "CREATE TABLE comments (id int);\n");
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("error: `app`: `")
        .stderr_contains("db/0002_comments.sql` is older than `0003`, which is already applied")
        .stderr_contains("pgfleet migrate --allow-out-of-order");
    ws.pgfleet()
        .args(["status", "--json"])
        .success()
        .stdout_contains("\"out_of_order\": 1");
    ws.pgfleet()
        .args(["migrate", "--allow-out-of-order"])
        .success()
        .stdout_contains("migrated");

    std::fs::remove_file(ws.join("db/0003_posts.sql")).unwrap();
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("error: `app`: migration `0003` (posts) was applied, but its file is gone")
        .stderr_contains(
            "hint: restore the file, or forget the migration with `pgfleet repair app`",
        );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    status.stdout_contains("\"state\": \"missing_file\"");
    ws.pgfleet().args(["repair", "app", "-y"]).success();
    ws.pgfleet().args(["migrate"]).success();
}

/// A renamed file (new version prefix, same contents) is a rename, not a new
/// migration: `migrate` says so, `repair` records the new name and nothing runs twice.
#[test]
fn a_renamed_migration_is_recognised_and_repair_records_the_new_name() {
    let (dbs, ws) = native("renamed");
    ws.pgfleet().args(["up"]).success();
    std::fs::rename(ws.join("db/0001_users.sql"), ws.join("db/0002_users.sql")).unwrap();
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("db/0002_users.sql` is migration `0001` (users) renamed: same contents, and the file it was applied from is gone")
        .stderr_contains("hint: record the new name with `pgfleet repair app` (nothing runs again)");
    assert!(
        !out.stderr.contains("--allow-out-of-order"),
        "{}",
        out.stderr
    );
    let repaired = ws.pgfleet().args(["repair", "app", "--yes"]).success();
    repaired.stderr_contains(
        "app: record 0001_users as renamed to 0002_users (same contents; nothing runs)",
    );
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query(
            &url,
            "SELECT version, name FROM pgfleet.history ORDER BY version"
        ),
        [
            [Some("0002".into()), Some("users".into())],
            [Some("0003".into()), Some("posts".into())]
        ]
    );
    assert_eq!(
        query(
            &url,
            "SELECT version, action, old_checksum = new_checksum FROM pgfleet.repairs"
        ),
        [[
            Some("0002".into()),
            Some("rename from 0001".into()),
            Some("t".into())
        ]]
    );
}

#[test]
fn a_failing_statement_names_file_line_and_server_message_and_rolls_back() {
    let (dbs, ws) = native("failing_stmt");
    ws.write(
        "db/0004_broken.sql",
        "CREATE TABLE tags (id int);\n\nINSERT INTO tags VALUES (1);\nINSERT INTO nope VALUES (1);\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    out.stderr_contains("db/0004_broken.sql:4: relation \"nope\" does not exist");
    let url = dbs.url(&dbs.name("app"));
    // Its own transaction rolled back; the migrations before it stay.
    assert_eq!(
        query_one(&url, "SELECT to_regclass('tags') IS NULL").as_deref(),
        Some("t")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(version, ',' ORDER BY version) FROM pgfleet.history"
        )
        .as_deref(),
        Some("0001,0003")
    );
    ws.write("db/0004_broken.sql", "CREATE TABLE tags (id int);\n");
    ws.pgfleet().args(["migrate"]).success();
}

#[test]
fn server_hint_and_detail_are_shown() {
    let (_dbs, ws) = native("hint_detail");
    ws.write(
        "db/0004_dup.sql",
        "CREATE TABLE d (id int UNIQUE);\nINSERT INTO d VALUES (1), (1);\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    out.stderr_contains(
        "db/0004_dup.sql:2: duplicate key value violates unique constraint \"d_id_key\"",
    )
    .stderr_contains("detail: Key (id)=(1) already exists.");
}

#[test]
fn psql_meta_commands_are_an_error_naming_the_line() {
    let (_dbs, ws) = native("meta_cmd");
    ws.write(
        "db/0004_meta.sql",
        "CREATE TABLE m (id int);\n\\set ON_ERROR_STOP on\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    out.stderr_contains("db/0004_meta.sql:2: psql meta-command `\\set` cannot run through pgfleet");
}

#[test]
fn a_part_way_failure_outside_a_transaction_blocks_until_repair() {
    let (dbs, ws) = native("partway");
    ws.write(
        "db/0004_indexes.sql",
        "CREATE INDEX CONCURRENTLY posts_user_idx ON posts (user_id);\nCREATE INDEX CONCURRENTLY bad_idx ON missing_table (x);\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(1);
    out.stderr_contains("db/0004_indexes.sql:2: relation \"missing_table\" does not exist")
        .stderr_contains("it is recorded as failed and blocks `app`");
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT state FROM pgfleet.history WHERE version = '0004'"
        )
        .as_deref(),
        Some("failed")
    );
    let out = ws.pgfleet().args(["migrate"]).expect_code(1);
    out.stderr_contains("`app`: migration `0004` failed part-way")
        .stderr_contains("pgfleet repair app");
    ws.pgfleet().args(["status", "--check"]).expect_code(3);
    ws.write(
        "db/0004_indexes.sql",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_idx ON posts (user_id);\n",
    );
    ws.pgfleet().args(["repair", "app", "--yes"]).success();
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(
            &url,
            "SELECT state FROM pgfleet.history WHERE version = '0004'"
        )
        .as_deref(),
        Some("applied")
    );
}

#[test]
fn unreadable_folders_are_usage_errors_before_anything_changes() {
    let dbs = TestDbs::new("bad_folders");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.a]\nmigrations = \"{}\"\n[databases.b]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        crate::support::fixture("native/basic").display(),
        crate::support::fixture("detect/ambiguous").display()
    ));
    let out = ws.pgfleet().args(["up"]).expect_code(2);
    out.stderr_contains("mixes formats")
        .stderr_contains("set format = \"...\"");
    // Every folder is read before anything connects: neither database was made.
    assert_eq!(dbs.existing(), Vec::<String>::new());
}

#[test]
fn files_matching_no_pattern_are_reported() {
    let dbs = TestDbs::new("unmatched");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.notes]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        crate::support::fixture("native/unmatched").display()
    ));
    let out = ws.pgfleet().args(["up"]).success();
    out.stderr_contains("warning: `").stderr_contains(
        "notes.sql` match no migration pattern of their folder; they are not applied",
    );
    assert!(!out.stderr.contains(".gitkeep"));
}

#[test]
fn several_folders_apply_in_order_and_versions_must_be_unique() {
    let dbs = TestDbs::new("multi_folder");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = [\"prisma\", {{ path = \"sql\", format = \"native\" }}]\n",
        dbs.manifest_head()
    ));
    ws.fixture("prisma/basic", "prisma");
    ws.write(
        "sql/20200101000000_extra.sql",
        "CREATE TABLE extra (id int REFERENCES prisma_customer (id));\n",
    );
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("4")
    );
    // A Prisma migration is its folder name: a native file with the same
    // timestamp is another migration.
    ws.write("sql/20240105120000_same_stamp.sql", "SELECT 1;\n");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("5")
    );
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = [\"a\", \"b\"]\n",
        dbs.manifest_head()
    ));
    ws.write("a/20240105120000_one.sql", "SELECT 1;\n");
    ws.write("b/20240105120000_clash.sql", "SELECT 1;\n");
    let out = ws.pgfleet().args(["migrate"]).expect_code(2);
    out.stderr_contains("version `20240105120000` is in two folders");
}
