//! The bad-input corpus: malformed manifests, migration folders and files.
//! Each case says the exit code and the exact message a user sees, and that
//! nothing was half-applied: the database holds exactly the tables (and
//! history rows) of the migrations the case expects applied, usually none.
//! Cases already covered elsewhere (manifest_errors.rs, migrate_checks.rs)
//! are not repeated. Files are written at test time from the table below
//! (bytes, so that non-UTF-8, BOM and CRLF cases are exact); generated
//! cases (50 MB, symlink loops, an unreadable file) are built by `special`.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, Instant};

use crate::support::{TestDbs, Workspace, cluster, query, query_one};

/// The usual manifest: `app` migrated from `db/`. `@URL@` and `@DB@` stand
/// for the test cluster and the case's physical database.
const STD: &str = "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n";
/// A valid first migration: cases that break a later one check it was not
/// applied either (files are checked before anything runs).
const OK1: (&str, &[u8]) = ("db/0001_ok.sql", b"CREATE TABLE ok_1 (id int);\n");

#[derive(Clone, Copy)]
enum Special {
    None,
    /// A 50 MB migration, generated.
    Huge,
    /// `db/0002_loop.sql` is a symlink to itself.
    FileLoop,
    /// The migrations folder is a symlink to itself.
    FolderLoop,
    /// `db/0002_secret.sql` is mode 000; pgfleet runs as `nobody`.
    Unreadable,
    /// `pgfleet.toml` is a symlink to itself.
    ManifestLoop,
    /// A file whose name is not UTF-8.
    NonUtf8Name,
}

struct Case {
    name: &'static str,
    /// The manifest (`@URL@`, `@DB@` replaced); `None` writes the bytes
    /// given as `pgfleet.toml` in `files` instead.
    manifest: Option<&'static str>,
    files: &'static [(&'static str, &'static [u8])],
    special: Special,
    args: &'static [&'static str],
    code: i32,
    /// Every one must appear in stderr (stdout for a success).
    says: &'static [&'static str],
    /// Tables in `public` afterwards (each applied migration makes one).
    applied: usize,
}

const fn case(
    name: &'static str,
    manifest: &'static str,
    files: &'static [(&'static str, &'static [u8])],
    code: i32,
    says: &'static [&'static str],
) -> Case {
    Case {
        name,
        manifest: Some(manifest),
        files,
        special: Special::None,
        args: &["up"],
        code,
        says,
        applied: 0,
    }
}

const fn applied(mut c: Case, n: usize) -> Case {
    c.applied = n;
    c
}

const fn special(mut c: Case, s: Special) -> Case {
    c.special = s;
    c
}

const fn raw_manifest(mut c: Case) -> Case {
    c.manifest = None;
    c
}

fn cases() -> Vec<Case> {
    vec![
        // --- manifests
        raw_manifest(case(
            "manifest_not_utf8",
            "",
            &[("pgfleet.toml", b"[databases.app]\nname = \"caf\xe9\"\n")],
            2,
            &["error: cannot read `", "pgfleet.toml`: stream did not contain valid UTF-8"],
        )),
        applied(raw_manifest(case(
            "manifest_with_bom",
            "",
            &[
                ("pgfleet.toml", b"\xef\xbb\xbf[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n"),
                OK1,
            ],
            0,
            &["app"],
        )), 1),
        applied(raw_manifest(case(
            "manifest_with_crlf",
            "",
            &[
                ("pgfleet.toml", b"[servers.pg]\r\nurl = \"@URL@\"\r\n[databases.app]\r\nmigrations = \"db\"\r\n[envs.test]\r\nserver = \"pg\"\r\ndatabase = \"@DB@\"\r\n"),
                OK1,
            ],
            0,
            &["app"],
        )), 1),
        raw_manifest(case(
            "manifest_empty",
            "",
            &[("pgfleet.toml", b"")],
            0,
            &[],
        )),
        special(case("manifest_symlink_loop", "", &[], 2, &["error: no `pgfleet.toml` found in `"]), Special::ManifestLoop),
        case(
            "unknown_table_near_miss",
            "[servers.pg]\nurl = \"@URL@\"\n[database.app]\n",
            &[],
            2,
            &["error: unknown key `database` in ", "pgfleet.toml:3:2", "hint: did you mean `databases`?"],
        ),
        case(
            "unknown_env_key_near_miss",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[envs.test]\nservr = \"pg\"\n",
            &[],
            2,
            &["error: unknown key `servr` in ", "pgfleet.toml:5:1", "hint: did you mean `server`?"],
        ),
        case(
            "unknown_server_key",
            "[servers.pg]\nurl = \"@URL@\"\nembeded = true\n[databases.app]\n",
            &[],
            2,
            &["error: unknown key `embeded` in ", "hint: did you mean `embedded`?"],
        ),
        case(
            "duplicate_table",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[databases.app]\n",
            &[],
            2,
            &["error: invalid TOML in ", "pgfleet.toml:4:"],
        ),
        case(
            "depends_on_itself",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\ndepends_on = [\"app\"]\n",
            &[],
            2,
            &["error: dependency cycle: app -> app\n"],
        ),
        case(
            "depends_on_not_a_list",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\ndepends_on = \"shared\"\n",
            &[],
            2,
            &["error: invalid TOML in ", "pgfleet.toml:4:"],
        ),
        case(
            "migrations_not_a_path",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = 5\n",
            &[],
            2,
            &["error: invalid value for `migrations` in ", "pgfleet.toml:4:14: expected a folder, or a list of folders and `{ path = \"...\", format = \"...\" }` tables"],
        ),
        case(
            "migrations_folder_is_a_file",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"pgfleet.toml\"\n",
            &[],
            2,
            &["`databases.app.migrations`", "pgfleet.toml` "],
        ),
        case(
            "unterminated_variable",
            "[servers.pg]\nurl = \"${PG_URL\"\n[databases.app]\n",
            &[],
            2,
            &["error: invalid value for `servers.pg.url` in ", "pgfleet.toml:2:8: `${` has no closing `}`", "hint: write `$$` for a literal `$`"],
        ),
        case(
            "bad_variable_name",
            "[servers.pg]\nurl = \"${1URL}\"\n[databases.app]\n",
            &[],
            2,
            &["servers.pg.url"],
        ),
        case(
            "unknown_variable_in_database_template",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[envs.test]\nserver = \"pg\"\ndatabase = \"${NO_SUCH_PGFLEET_VAR}\"\n",
            &[],
            2,
            &["error: variable `NO_SUCH_PGFLEET_VAR` has no value, used by `envs.test.database` in "],
        ),
        case(
            "url_port_out_of_range",
            "[servers.pg]\nurl = \"postgresql://postgres@127.0.0.1:99999/postgres\"\n[databases.app]\n",
            &[],
            2,
            &["invalid value for `servers.pg.url`", "port"],
        ),
        case(
            "url_unknown_sslmode",
            "[servers.pg]\nurl = \"postgresql://postgres@127.0.0.1/postgres?sslmode=sometimes\"\n[databases.app]\n",
            &[],
            2,
            &["invalid value for `servers.pg.url`", "sslmode"],
        ),
        case(
            "url_unknown_parameter",
            "[servers.pg]\nurl = \"postgresql://postgres@127.0.0.1/postgres?conect_timeout=3\"\n[databases.app]\n",
            &[],
            2,
            &["invalid value for `servers.pg.url`", "conect_timeout", "connect_timeout"],
        ),
        case(
            "url_and_embedded",
            "[servers.pg]\nurl = \"@URL@\"\nembedded = true\n[databases.app]\n",
            &[],
            2,
            &["servers.pg"],
        ),
        case(
            "embedded_port_out_of_range",
            "[servers.pg]\nembedded = true\nport = 70000\n[databases.app]\n",
            &[],
            2,
            &["pgfleet.toml:3:8"],
        ),
        case(
            "protected_not_a_boolean",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[envs.test]\nserver = \"pg\"\nprotected = \"yes\"\n",
            &[],
            2,
            &["error: invalid TOML in ", "pgfleet.toml:6:13"],
        ),
        case(
            "default_env_unknown",
            "[workspace]\ndefault_env = \"tset\"\n[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[envs.test]\nserver = \"pg\"\n",
            &[],
            2,
            &["tset", "did you mean `test`?"],
        ),
        case(
            "database_name_too_long",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
            &[],
            2,
            &["63"],
        ),
        case(
            "reference_without_column",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\n[[databases.app.references]]\nfrom = \"vehicles\"\nto = \"app.users.id\"\n",
            &[],
            2,
            &["error: invalid value for `databases.app.references` in ", "pgfleet.toml:5:8: `vehicles` is not `table.column` or `schema.table.column`", "hint: write the column's full path"],
        ),
        // --- migration folders and files
        applied(case(
            "database_name_needing_quotes",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@ Weird-Name\"\n",
            &[OK1],
            0,
            &["app"],
        ), 1),
        case(
            "migration_not_utf8",
            STD,
            &[OK1, ("db/0002_latin1.sql", b"INSERT INTO ok_1 VALUES (1); -- caf\xe9\n")],
            2,
            &["db/0002_latin1.sql` is not UTF-8 text; save it as UTF-8"],
        ),
        applied(case(
            "migration_with_bom",
            STD,
            &[OK1, ("db/0002_bom.sql", b"\xef\xbb\xbfCREATE TABLE ok_2 (id int);\n")],
            0,
            &["app"],
        ), 2),
        applied(case(
            "migration_with_crlf",
            STD,
            &[OK1, ("db/0002_crlf.sql", b"CREATE TABLE ok_2 (\r\n  id int\r\n);\r\n-- pgfleet:down\r\nDROP TABLE ok_2;\r\n")],
            0,
            &["app"],
        ), 2),
        applied(case(
            "dbmate_with_crlf",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\nformat = \"dbmate\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n",
            &[("db/20240101000000_crlf.sql", b"-- migrate:up\r\nCREATE TABLE ok_1 (id int);\r\n\r\n-- migrate:down\r\nDROP TABLE ok_1;\r\n")],
            0,
            &["app"],
        ), 1),
        applied(case(
            "migration_empty_file",
            STD,
            &[OK1, ("db/0002_empty.sql", b"")],
            0,
            &["app"],
        ), 1),
        applied(case(
            "migration_only_comments",
            STD,
            &[OK1, ("db/0002_comments.sql", b"-- nothing yet\n/* still nothing; */\n")],
            0,
            &["app"],
        ), 1),
        case(
            "duplicate_versions",
            STD,
            &[OK1, ("db/0002_a.sql", b"CREATE TABLE dup_a (id int);\n"), ("db/0002_b.sql", b"CREATE TABLE dup_b (id int);\n")],
            2,
            &["0002", "db/0002_a.sql", "db/0002_b.sql"],
        ),
        case(
            "same_version_written_two_ways",
            STD,
            &[OK1, ("db/2_a.sql", b"CREATE TABLE dup_a (id int);\n"), ("db/0002_b.sql", b"CREATE TABLE dup_b (id int);\n")],
            2,
            &["db/2_a.sql", "db/0002_b.sql"],
        ),
        // Flyway's prefix decides the format; the native files are named,
        // never skipped silently.
        applied(case(
            "version_in_two_formats",
            STD,
            &[("db/V1__flyway.sql", b"CREATE TABLE ok_1 (id int);\n"), ("db/0001_native.sql", b"CREATE TABLE dup_b (id int);\n")],
            0,
            &["warning: `db/0001_native.sql` matches no migration pattern of its folder; it is not applied"],
        ), 1),
        case(
            "flyway_same_version_dotted_and_underscored",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n",
            &[("db/V1__ok.sql", b"CREATE TABLE ok_1 (id int);\n"), ("db/V1_1__a.sql", b"CREATE TABLE dup_a (id int);\n"), ("db/V1.1.0__b.sql", b"CREATE TABLE dup_b (id int);\n")],
            2,
            &["db/V1_1__a.sql", "db/V1.1.0__b.sql"],
        ),
        case(
            "dbmate_without_up_marker",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\nformat = \"dbmate\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n",
            &[("db/20240101000000_ok.sql", b"-- migrate:up\nCREATE TABLE ok_1 (id int);\n"), ("db/20240102000000_bad.sql", b"CREATE TABLE bad (id int);\n")],
            2,
            &["db/20240102000000_bad.sql` has no `-- migrate:up` line; add it above the up script"],
        ),
        case(
            "golang_migrate_down_without_up",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n",
            &[("db/1_ok.up.sql", b"CREATE TABLE ok_1 (id int);\n"), ("db/1_ok.down.sql", b"DROP TABLE ok_1;\n"), ("db/2_orphan.down.sql", b"DROP TABLE nothing;\n")],
            2,
            &["db/2_orphan.down.sql"],
        ),
        applied(case(
            "prisma_folder_without_migration_sql",
            "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"db\"\nformat = \"prisma\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n",
            &[("db/20240101000000_ok/migration.sql", b"CREATE TABLE ok_1 (id int);\n"), ("db/20240102000000_empty/README.md", b"nothing\n")],
            0,
            &["warning: `db/20240102000000_empty` matches no migration pattern of its folder; it is not applied"],
        ), 1),
        case(
            "unterminated_string",
            STD,
            &[OK1, ("db/0002_open.sql", b"CREATE TABLE bad (id int);\nSELECT 'never closed;\n")],
            1,
            &["db/0002_open.sql:2: unterminated quoted string"],
        ),
        case(
            "unterminated_dollar_quote",
            STD,
            &[OK1, ("db/0002_open.sql", b"CREATE TABLE bad (id int);\nDO $body$ BEGIN PERFORM 1; END;\n")],
            1,
            &["db/0002_open.sql:2: unterminated dollar-quoted string"],
        ),
        case(
            "unterminated_block_comment",
            STD,
            &[OK1, ("db/0002_open.sql", b"CREATE TABLE bad (id int);\n/* a /* nested */ comment\n")],
            1,
            &["db/0002_open.sql:2: unterminated block comment"],
        ),
        // psql too ends COPY data at the end of the file.
        applied(case(
            "copy_without_end_marker",
            STD,
            &[OK1, ("db/0002_copy.sql", b"CREATE TABLE ok_2 (id int);\nCOPY ok_2 (id) FROM stdin;\n1\n2\n")],
            0,
            &["app       migrated  2"],
        ), 2),
        case(
            "nul_byte_in_migration",
            STD,
            &[OK1, ("db/0002_nul.sql", b"CREATE TABLE bad (id int);\nSELECT 'a\0b';\n")],
            1,
            &["db/0002_nul.sql:2: a NUL byte, which PostgreSQL cannot take in SQL text", "hint: remove it"],
        ),
        case(
            "commit_inside_a_migration",
            STD,
            &[OK1, ("db/0002_commit.sql", b"CREATE TABLE bad (id int);\nCOMMIT;\nCREATE TABLE bad_2 (id int);\n")],
            1,
            &["db/0002_commit.sql:2: `COMMIT` would end the transaction the migration runs in", "hint: each migration already runs in one transaction"],
        ),
        case(
            "begin_without_commit",
            STD,
            &[OK1, ("db/0002_begin.sql", b"CREATE TABLE bad (id int);\nBEGIN;\nCREATE TABLE bad_2 (id int);\n")],
            1,
            &["db/0002_begin.sql:2: `BEGIN` would nest a transaction in the transaction the migration runs in"],
        ),
        // A whole-file BEGIN/COMMIT (golang-migrate style) is pgfleet's own
        // transaction: a failure rolls back everything, history included.
        applied(case(
            "begin_commit_wrapper_with_a_failure",
            STD,
            &[OK1, ("db/0002_wrapped.sql", b"BEGIN;\nCREATE TABLE bad (id int);\nINSERT INTO nope VALUES (1);\nCOMMIT;\n")],
            1,
            &["db/0002_wrapped.sql:3: relation \"nope\" does not exist"],
        ), 1),
        applied(case(
            "begin_commit_wrapper",
            STD,
            &[OK1, ("db/0002_wrapped.sql", b"BEGIN;\nCREATE TABLE ok_2 (id int);\nCOMMIT;\n")],
            0,
            &["app       migrated  2"],
        ), 2),
        applied(case(
            "huge_version_number",
            STD,
            &[OK1, ("db/99999999999999999999999999_big.sql", b"CREATE TABLE ok_2 (id int);\n")],
            0,
            &["app"],
        ), 2),
        applied(special(case("migration_of_50_mb", STD, &[OK1], 0, &["app"]), Special::Huge), 2),
        special(case("migration_symlink_loop", STD, &[OK1], 2, &["db/0002_loop.sql"]), Special::FileLoop),
        special(case("migrations_folder_symlink_loop", "[servers.pg]\nurl = \"@URL@\"\n[databases.app]\nmigrations = \"loop\"\n[envs.test]\nserver = \"pg\"\ndatabase = \"@DB@\"\n", &[], 2, &["`databases.app.migrations`", "loop"]), Special::FolderLoop),
        special(case("unreadable_migration", STD, &[OK1], 2, &["db/0002_secret.sql", "Permission denied"]), Special::Unreadable),
        applied(special(case("file_name_not_utf8", STD, &[OK1], 0, &["warning: `db/0002_caf\u{fffd}.sql` matches no migration pattern of its folder; it is not applied"]), Special::NonUtf8Name), 1),
    ]
}

fn write_bytes(ws: &Workspace, rel: &str, bytes: &[u8], url: &str, db: &str) {
    let path = ws.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = String::from_utf8_lossy(bytes);
    // Placeholders only in valid UTF-8 files; others are written as given.
    if rel == "pgfleet.toml" && std::str::from_utf8(bytes).is_ok() {
        std::fs::write(&path, text.replace("@URL@", url).replace("@DB@", db)).unwrap();
    } else {
        std::fs::write(&path, bytes).unwrap();
    }
}

fn prepare(ws: &Workspace, case: &Case, url: &str, db: &str) {
    if let Some(manifest) = case.manifest {
        ws.write(
            "pgfleet.toml",
            &manifest.replace("@URL@", url).replace("@DB@", db),
        );
    }
    for (rel, bytes) in case.files {
        write_bytes(ws, rel, bytes, url, db);
    }
    match case.special {
        Special::None => {}
        Special::Huge => {
            // 50 MB: one table, then 50,000 one-kilobyte rows.
            let mut sql = String::with_capacity(52 << 20);
            sql.push_str("CREATE TABLE ok_2 (line int, body text);\n");
            let body = "x".repeat(1000);
            for i in 0..50_000 {
                sql.push_str(&format!("INSERT INTO ok_2 VALUES ({i}, '{body}');\n"));
            }
            ws.write("db/0002_huge.sql", &sql);
        }
        Special::FileLoop => {
            symlink("0002_loop.sql", ws.join("db/0002_loop.sql")).unwrap();
        }
        Special::FolderLoop => {
            symlink("loop", ws.join("loop")).unwrap();
        }
        Special::ManifestLoop => {
            std::fs::remove_file(ws.join("pgfleet.toml")).ok();
            symlink("pgfleet.toml", ws.join("pgfleet.toml")).unwrap();
        }
        Special::Unreadable => {
            let path = ws.join("db/0002_secret.sql");
            std::fs::write(&path, "CREATE TABLE secret (id int);\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        Special::NonUtf8Name => {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"0002_caf\xe9.sql");
            std::fs::write(ws.join("db").join(name), "CREATE TABLE bad (id int);\n").unwrap();
        }
    }
}

/// Runs the case's command; the unreadable case as `nobody`, since root
/// reads a mode-000 file anyway.
fn run(ws: &Workspace, case: &Case) -> (i32, String, String) {
    if matches!(case.special, Special::Unreadable) && nix::unistd::geteuid().is_root() {
        let out = std::process::Command::new("runuser")
            .args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_pgfleet")])
            .args(case.args)
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .env("HOME", "/nonexistent")
            .output()
            .expect("runuser runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    } else {
        let out = ws.pgfleet().args(case.args).run();
        (out.code, out.stdout, out.stderr)
    }
}

/// Tables in `public` of `db`, or none when it does not exist.
fn tables(db: &str) -> usize {
    let exists = query_one(
        &cluster().url,
        &format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{}'",
            db.replace('\'', "''")
        ),
    );
    if exists.as_deref() != Some("1") {
        return 0;
    }
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/{}",
        cluster().port,
        db.replace(' ', "%20")
    );
    let counts = query(
        &url,
        // The peer tools' history tables pgfleet keeps in step are not the migrations' work.
        "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
           AND tablename NOT IN ('schema_migrations', 'goose_db_version', '__diesel_schema_migrations', 'pgmigrations', '_prisma_migrations', '_sqlx_migrations', 'flyway_schema_history'))",
    );
    counts[0][0].as_deref().unwrap_or("0").parse().unwrap()
}

fn check(dbs: &TestDbs, case: &Case) -> Result<Duration, String> {
    let ws = Workspace::new();
    let db = if case.name == "database_name_needing_quotes" {
        format!("{} Weird-Name", dbs.name(case.name))
    } else {
        dbs.name(case.name)
    };
    prepare(&ws, case, &cluster().url, &dbs.name(case.name));
    let started = Instant::now();
    let (code, stdout, stderr) = run(&ws, case);
    let elapsed = started.elapsed();
    let shown = format!("{stdout}{stderr}");
    let mut problems = Vec::new();
    if code != case.code {
        problems.push(format!("exit code {code}, expected {}", case.code));
    }
    for needle in case.says {
        if !shown.contains(needle) {
            problems.push(format!("lacks {needle:?}"));
        }
    }
    let made = tables(&db);
    if made != case.applied {
        problems.push(format!(
            "{made} table(s) in the database, expected {}",
            case.applied
        ));
    }
    if code != 0 && stderr.contains("panicked") {
        problems.push("panicked".to_owned());
    }
    if problems.is_empty() {
        Ok(elapsed)
    } else {
        Err(format!(
            "{}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            case.name,
            problems.join("; ")
        ))
    }
}

#[test]
fn every_bad_input_is_refused_cleanly_and_nothing_is_half_applied() {
    let dbs = TestDbs::new("corpus");
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                let dbs = &dbs;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|case| match check(dbs, case) {
                            Ok(elapsed) => {
                                if matches!(case.special, Special::Huge) {
                                    eprintln!("corpus: the 50 MB migration took {elapsed:?}");
                                }
                                None
                            }
                            Err(e) => Some(e),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!(
        "reliability: test=corpus trials={} failures={} inconsistencies=0",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
