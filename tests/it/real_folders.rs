//! Folders as real repositories hold them, run the way their own tools run them:
//! Prisma's `BEGIN; ... COMMIT;` enum changes, `atlas.sum` beside golang-migrate
//! pairs, folders pgfleet cannot read, and folders read before anything connects.

use crate::support::{TestDbs, Workspace, fixture, query, query_one};

fn manifest(dbs: &TestDbs, folder: &str, format: &str) -> String {
    format!(
        "{}[databases.app]\nmigrations = \"{}\"\nformat = \"{format}\"\n",
        dbs.manifest_head(),
        fixture(folder).display()
    )
}

/// Regression: Prisma writes `-- AlterEnum` as a `BEGIN; ... COMMIT;` block in the
/// middle of `migration.sql`; pgfleet refused it ("`BEGIN` would nest a
/// transaction") with a hint nobody could follow. Prisma sends the file as one
/// simple query, so the block commits as written: pgfleet now does the same.
#[test]
fn prisma_alter_enum_block_mid_file_applies() {
    let dbs = TestDbs::new("prisma_alter_enum");
    let ws = Workspace::with_manifest(&manifest(&dbs, "prisma/alter-enum-blocks", "prisma"));
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = '\"Role\"'::regtype"
        )
        .as_deref(),
        Some("USER,ADMIN,OWNER")
    );
    // Counted, not listed: how a Prisma folder's version is written is not this
    // test's business.
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FILTER (WHERE state = 'applied') || '/' || count(*) FROM pgfleet.history"
        )
        .as_deref(),
        Some("3/3")
    );
    ws.pgfleet().args(["status", "--check"]).success();
}

/// The same file failing after its block: the block committed (as under Prisma), so
/// the migration is recorded failed, not hidden, and `repair` is the way out.
#[test]
fn prisma_migration_failing_after_its_block_is_reported_failed() {
    let dbs = TestDbs::new("prisma_block_fails");
    let ws = Workspace::with_manifest(&manifest(
        &dbs,
        "prisma/alter-enum-fails-after-block",
        "prisma",
    ));
    let file = fixture(
        "prisma/alter-enum-fails-after-block/20240315090000_role_enum_change/migration.sql",
    );
    ws.pgfleet()
        .args(["up"])
        .expect_code(1)
        .stderr_contains(&format!(
            "error: `app`: {}:22: column \"nickname\" does not exist\n",
            file.display()
        ))
        // The block's statements committed and are listed; `ADD COLUMN "name"` was
        // rolled back with the failing statement, so it is not.
        .stderr_contains(&format!(
            "  these statements of `{}` ran before it and were not undone:\n    \
             line 9: CREATE TYPE \"Role_new\" AS ENUM ('USER', 'ADMIN', 'OWNER');\n",
            file.display()
        ))
        .stderr_contains(
            "    line 15: ALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\n\
             hint: undo what those statements did if needed, then `pgfleet repair app` and migrate again",
        );
    let url = dbs.url(&dbs.name("app"));
    // The block committed, as under Prisma; the statements after it are one
    // implicit transaction with the failing one, so `name` is not there.
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = '\"Role\"'::regtype"
        )
        .as_deref(),
        Some("USER,ADMIN,OWNER")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'name'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        query(&url, "SELECT state FROM pgfleet.history ORDER BY version"),
        [[Some("applied".to_owned())], [Some("failed".to_owned())]]
    );
    ws.pgfleet()
        .args(["status", "--check"])
        .expect_code(3)
        .stdout_contains("blocked: `pgfleet repair`");
}

/// Regression: an `atlas.sum` beside golang-migrate pairs, as Atlas writes it today
/// (the `.up.sql` files only), was refused as not matching its folder.
#[test]
fn atlas_sum_of_golang_migrate_up_files_is_accepted() {
    let dbs = TestDbs::new("gm_atlas_sum");
    let ws = Workspace::with_manifest(&manifest(
        &dbs,
        "golang-migrate/atlas-sum",
        "golang-migrate",
    ));
    ws.pgfleet().args(["verify", "--offline"]).success();
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pgfleet.history WHERE state = 'applied'"
        )
        .as_deref(),
        Some("4")
    );
}

/// An up file edited after Atlas summed the folder is still refused, naming it.
#[test]
fn atlas_sum_of_golang_migrate_with_an_edited_up_file_is_refused() {
    let dbs = TestDbs::new("gm_atlas_sum_edited");
    let ws = Workspace::with_manifest(&manifest(
        &dbs,
        "golang-migrate/atlas-sum-edited",
        "golang-migrate",
    ));
    let sum = fixture("golang-migrate/atlas-sum-edited/atlas.sum");
    // An edited file under its sum is a refused run (exit 1), like any edited migration.
    ws.pgfleet().args(["up"]).expect_code(1).stderr_contains(&format!(
        "error: `app`: `{}` does not match the files of its folder: `20240315170000_accounts_display_name.up.sql` changed;",
        sum.display()
    ));
    // Read before anything connects: no database was made for it.
    assert_eq!(dbs.existing(), Vec::<String>::new());
    ws.pgfleet().args(["create"]).expect_code(1);
    assert_eq!(dbs.existing(), Vec::<String>::new());
}

/// Regression: a folder pgfleet cannot read (Diesel's `<version>_<name>/up.sql`)
/// passed `verify --offline`, `up` and `status --check` as "0 migrations", so a CI
/// gate passed with an empty database. Now it is an error naming the folder, what
/// it holds and the format that was set, before anything connects.
#[test]
fn a_folder_nothing_is_read_from_is_an_error_before_anything_connects() {
    let dir = fixture("native/diesel-shaped");
    for (format, layout) in [
        ("native", "`<version>_<name>.sql` files"),
        ("prisma", "`<version>_<name>/migration.sql` folders"),
        ("golang-migrate", "`<version>_<name>.up.sql` files"),
    ] {
        let dbs = TestDbs::new(&format!("nothing_read_{}", format.replace('-', "_")));
        let ws = Workspace::with_manifest(&manifest(&dbs, "native/diesel-shaped", format));
        let message = format!(
            "`app`: no migration is read from migrations folder `{}` as {format} ({layout}), yet it holds 8 `.sql` files (`00000000000000_diesel_initial_setup/down.sql`, `00000000000000_diesel_initial_setup/up.sql`, `2023-01-15-101500_create_users/down.sql`, ...); format = \"diesel\" reads 4 migration(s)",
            dir.display()
        );
        // `verify` reports it as a failed check (exit 3); the others stop (exit 2).
        ws.pgfleet()
            .args(["verify", "--offline"])
            .expect_code(3)
            .stdout_contains(&format!("app       migrations    FAILED  {message}"));
        for args in [
            &["up"][..],
            &["status", "--check"],
            &["create"],
            &["migrate"],
        ] {
            ws.pgfleet()
                .args(args)
                .expect_code(2)
                .stderr_contains(&format!("error: {message}\n"));
        }
        // Read before anything connects: no database was made.
        assert_eq!(dbs.existing(), Vec::<String>::new(), "{format}");
    }
}

/// golang-migrate's postgres driver sends each file as one query, so a file's own
/// `BEGIN; ... COMMIT;` commits as written and what follows can use the new enum value.
#[test]
fn golang_migrate_file_with_its_own_block_applies() {
    let dbs = TestDbs::new("gm_begin_commit");
    let ws = Workspace::with_manifest(&manifest(
        &dbs,
        "golang-migrate/begin-commit",
        "golang-migrate",
    ));
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(&url, "SELECT role::text FROM accounts").as_deref(),
        Some("admin")
    );
    assert_eq!(
        query(
            &url,
            "SELECT version, state FROM pgfleet.history ORDER BY version"
        ),
        [
            [Some("000001".to_owned()), Some("applied".to_owned())],
            [Some("000002".to_owned()), Some("applied".to_owned())],
            [Some("000003".to_owned()), Some("applied".to_owned())],
        ]
    );
    ws.pgfleet().args(["status", "--check"]).success();
}

/// The same file failing after its block: the block committed (as under golang-migrate,
/// which would leave the version dirty), so the migration is recorded failed and blocks
/// until `repair`; the statements after the block rolled back together.
#[test]
fn golang_migrate_file_failing_after_its_block_is_reported_failed() {
    let dbs = TestDbs::new("gm_begin_commit_fails");
    let ws = Workspace::with_manifest(&manifest(
        &dbs,
        "golang-migrate/begin-commit-fails",
        "golang-migrate",
    ));
    let file = fixture("golang-migrate/begin-commit-fails/000002_account_role_admin.up.sql");
    ws.pgfleet()
        .args(["up"])
        .expect_code(1)
        .stderr_contains(&format!(
            "error: `app`: {}:7: column \"nickname\" of relation \"accounts\" does not exist\n",
            file.display()
        ))
        .stderr_contains("it is recorded as failed and blocks `app`")
        .stderr_contains("    line 3: ALTER TYPE account_role ADD VALUE 'admin';\n")
        .stderr_contains(
            "hint: undo what those statements did if needed, then `pgfleet repair app` and migrate again",
        );
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'account_role'::regtype"
        )
        .as_deref(),
        Some("user,admin")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'name'"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        query(&url, "SELECT state FROM pgfleet.history ORDER BY version"),
        [[Some("applied".to_owned())], [Some("failed".to_owned())]]
    );
    ws.pgfleet()
        .args(["status", "--check"])
        .expect_code(3)
        .stdout_contains("blocked: `pgfleet repair`");
}

/// A Flyway tree with one folder per engine, pointed at as a whole and not told its
/// format: read as Flyway, recursively, as Flyway searches a location (`postgres/2024/`
/// included, in version order across folders, its `.conf` honoured), the `mysql/` and
/// `h2/` folders left out and named in one warning.
#[test]
fn flyway_tree_is_read_recursively_without_other_engines() {
    let dbs = TestDbs::new("flyway_tree");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("flyway/tree").display()
    ));
    let tree = fixture("flyway/tree");
    ws.pgfleet()
        .args(["up"])
        .success()
        .stderr_contains(&format!(
            "`{}`, `{}`, `{}` match no migration pattern of their folder; they are not applied",
            tree.join("README.md").display(),
            tree.join("h2").display(),
            tree.join("mysql").display()
        ));
    let url = dbs.url(&dbs.name("app"));
    assert_eq!(
        query(
            &url,
            "SELECT version FROM pgfleet.history WHERE state = 'applied' ORDER BY applied_at, version"
        )
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect::<Vec<_>>(),
        ["1.1", "1.2", "1.9", "1.10", "1.11", "R__active_accounts"]
    );
    assert_eq!(
        query_one(&url, "SELECT email FROM active_accounts").as_deref(),
        Some("admin@example.com")
    );
    assert_eq!(
        query_one(
            &url,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_lower_email'::regclass"
        )
        .as_deref(),
        Some("t")
    );
    let status = ws.pgfleet().args(["status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "flyway");
}
