//! Tests across formats: detection order, reading the fixtures under `tests/fixtures/`,
//! every error variant, and `new_migration` followed by `read`.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::template::clean_name;
use super::*;

/// Files to write into a test folder: (relative path, contents).
type Files = &'static [(&'static str, &'static str)];

fn fixture(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
}

/// Writes `files` (relative path, contents) into a fresh temporary folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, contents) in files {
        let path = dir.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    dir
}

fn versions(folder: &Folder) -> Vec<&str> {
    folder
        .migrations
        .iter()
        .map(|m| m.version.as_str())
        .collect()
}

fn names(folder: &Folder) -> Vec<&str> {
    folder.migrations.iter().map(|m| m.name.as_str()).collect()
}

fn file_names(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| file_name(p).unwrap()).collect()
}

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.name()), Some(format));
        assert_eq!(format.to_string(), format.name());
    }
    assert_eq!(Format::from_name("golang_migrate"), None);
    assert_eq!(Format::GolangMigrate.name(), "golang-migrate");
    assert_eq!(Format::NodePgMigrate.name(), "node-pg-migrate");
    assert_eq!(Format::Native.history_table(), None);
    assert_eq!(Format::Prisma.history_table(), Some("_prisma_migrations"));
    assert_eq!(
        Format::Flyway.history_table(),
        Some("flyway_schema_history")
    );
    assert_eq!(Format::Sqlx.history_table(), Some("_sqlx_migrations"));
}

#[test]
fn detects_fixtures() {
    let cases = [
        ("native/basic", Format::Native),
        ("native/unmatched", Format::Native),
        ("prisma/basic", Format::Prisma),
        ("dbmate/basic", Format::Dbmate),
        ("dbmate/no_transaction", Format::Dbmate),
        // sqlx's single files read as native and its pairs as golang-migrate (SPEC).
        ("sqlx/basic", Format::Native),
        ("sqlx/reversible", Format::GolangMigrate),
        ("golang-migrate/basic", Format::GolangMigrate),
        ("flyway/basic", Format::Flyway),
        ("flyway/repeatable", Format::Flyway),
        ("node-pg-migrate/basic", Format::NodePgMigrate),
        ("goose/basic", Format::Goose),
        ("goose/envsub", Format::Goose),
        ("goose/go_migration", Format::Goose),
        ("goose/detect_only", Format::Goose),
        ("atlas/basic", Format::Atlas),
        ("liquibase/basic", Format::Liquibase),
        ("liquibase/xml_master", Format::Liquibase),
    ];
    for (rel, want) in cases {
        assert_eq!(detect(&fixture(rel)).unwrap(), want, "fixture {rel}");
    }
}

#[test]
fn detection_order() {
    const DBMATE: &str = "-- migrate:up\nSELECT 1;\n";
    const NPGM: &str = "-- Up Migration\nSELECT 1;\n";
    // (files, detected format)
    let cases: &[(Files, Format)] = &[
        (&[], Format::Native),
        (&[("README.md", "hi")], Format::Native),
        (&[("1_a.sql", "SELECT 1;")], Format::Native),
        (&[(".hidden.sql", "x")], Format::Native),
        (&[("sqitch.plan", ""), ("V1__a.sql", "")], Format::Sqitch),
        (
            &[("meta/_journal.json", "{}"), ("sqitch.plan", "")],
            Format::Sqitch,
        ),
        (
            &[("meta/_journal.json", "{}"), ("0000_a.sql", "")],
            Format::Drizzle,
        ),
        (
            &[
                ("20240101000000_a/migration.sql", ""),
                ("20240101000000_a/snapshot.json", "{}"),
            ],
            Format::Drizzle,
        ),
        (
            &[("atlas.sum", "h1:x"), ("20240101000000_a.sql", "")],
            Format::Atlas,
        ),
        (
            &[
                ("atlas.sum", "h1:x"),
                ("1_a.up.sql", ""),
                ("1_a.down.sql", ""),
            ],
            Format::GolangMigrate,
        ),
        (
            &[(
                "changelog.sql",
                "--liquibase formatted sql\n--changeset a:1\n",
            )],
            Format::Liquibase,
        ),
        (
            &[("1_a.sql", "\u{feff}-- Liquibase Formatted SQL\r\n")],
            Format::Liquibase,
        ),
        (&[("1_a.sql", "-- +goose Up\nSELECT 1;\n")], Format::Goose),
        (
            &[("changes/001.sql", "--liquibase formatted sql\n")],
            Format::Liquibase,
        ),
        // Atlas sums goose, dbmate and Liquibase directories too (`?format=goose`):
        // an `atlas.sum` beside their files is theirs, not an Atlas directory.
        (
            &[("atlas.sum", ""), ("1_a.sql", "-- +goose Up\n")],
            Format::Goose,
        ),
        (&[("atlas.sum", ""), ("1_a.sql", DBMATE)], Format::Dbmate),
        (
            &[
                ("atlas.sum", ""),
                (
                    "20240101000000_a.sql",
                    "--liquibase formatted sql\n--changeset a:1\n",
                ),
            ],
            Format::Liquibase,
        ),
        (
            &[
                ("atlas.sum", ""),
                ("20240101000000_a.sql", "CREATE TABLE a ();\n"),
            ],
            Format::Atlas,
        ),
        // pop: a dialect tag, a dialect-less `.autocommit.`, a `.fizz` file.
        (&[("1_a.pg.up.sql", "")], Format::Pop),
        (
            &[("1_a.autocommit.up.sql", ""), ("2_b.up.sql", "")],
            Format::Pop,
        ),
        (&[("1_a.up.fizz", ""), ("2_b.up.sql", "")], Format::Pop),
        // A Flyway location whose scripts all sit in sub-folders.
        (
            &[("2024/V1__a.sql", ""), ("mysql/V1__a.sql", "")],
            Format::Flyway,
        ),
        (
            &[
                ("1_a.sql", "-- +goose Up\n"),
                ("2_b.sql", "--liquibase formatted sql\n"),
            ],
            Format::Liquibase,
        ),
        (&[("20240101000000_a/migration.sql", "")], Format::Prisma),
        (
            &[
                ("20240101000000_a/migration.sql", ""),
                ("migration_lock.toml", ""),
            ],
            Format::Prisma,
        ),
        // A folder that is not `<version>_<name>` is no Prisma migration.
        (&[("init/migration.sql", "")], Format::Native),
        (&[("V1__a.sql", "")], Format::Flyway),
        (&[("R__views.sql", "")], Format::Flyway),
        (
            &[("V1__a.sql", ""), ("0001_b.sql", "SELECT 1;")],
            Format::Flyway,
        ),
        (&[("1_a.sql", DBMATE)], Format::Dbmate),
        (
            &[("1_a.sql", DBMATE), ("2_b.sql", "SELECT 1;")],
            Format::Dbmate,
        ),
        (&[("1_a.sql", NPGM)], Format::NodePgMigrate),
        // One file that names both markers is dbmate's (checked first), not ambiguous.
        (
            &[("1_a.sql", "-- migrate:up\n-- Up Migration\n")],
            Format::Dbmate,
        ),
        (&[("1_a.up.sql", "")], Format::GolangMigrate),
        (&[("1_a.down.sql", "")], Format::GolangMigrate),
    ];
    for (files, want) in cases {
        let dir = folder(files);
        let got = detect(dir.path()).unwrap_or_else(|e| panic!("files {files:?}: {e}"));
        assert_eq!(got, *want, "files {files:?}");
    }
}

#[test]
fn liquibase_fixtures_follow_their_master_changelog() {
    let basic = read(&fixture("liquibase/basic"), Format::Liquibase).unwrap();
    assert_eq!(
        versions(&basic),
        [
            "changes/001_customers_and_invoices.sql::create-customers-and-invoices::jane",
            "changes/001_customers_and_invoices.sql::index-invoices::jane",
            "changes/002_functions_and_views.sql::customer-total::bob",
            "changes/002_functions_and_views.sql::audit-runs::bob",
            "changes/002_functions_and_views.sql::totals-view::bob",
        ]
    );
    let kinds: Vec<Kind> = basic.migrations.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Versioned,
            Kind::Versioned,
            Kind::Versioned,
            Kind::Always,
            Kind::Repeatable
        ]
    );
    assert_eq!(basic.migrations[1].transaction, Transaction::Disabled);
    assert!(basic.unmatched.is_empty(), "{:?}", basic.unmatched);
    let xml = read(&fixture("liquibase/xml_master"), Format::Liquibase).unwrap();
    assert_eq!(
        names(&xml),
        ["1", "2", "3"],
        "include first, then includeAll in path order"
    );
    // Without a master: every formatted SQL file, in path order.
    let dir = folder(&[
        (
            "b.sql",
            "--liquibase formatted sql\n--changeset a:2\nSELECT 2;\n",
        ),
        (
            "a.sql",
            "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n",
        ),
        ("notes.sql", "SELECT 0;\n"),
    ]);
    let plain = read(dir.path(), Format::Liquibase).unwrap();
    assert_eq!(versions(&plain), ["a.sql::1::a", "b.sql::2::a"]);
    assert_eq!(file_names(&plain.unmatched), ["notes.sql"]);
}

#[test]
fn atlas_sum_beside_golang_migrate_pairs_is_verified() {
    let dir = folder(&[
        ("1_a.up.sql", "CREATE TABLE a ();\n"),
        ("1_a.down.sql", "DROP TABLE a;\n"),
    ]);
    rewrite_atlas_sum(dir.path(), Format::GolangMigrate).unwrap();
    assert_eq!(detect(dir.path()).unwrap(), Format::GolangMigrate);
    assert_eq!(
        read(dir.path(), Format::GolangMigrate)
            .unwrap()
            .migrations
            .len(),
        1
    );
    // Atlas sums only the up files of a golang-migrate folder.
    fs::write(dir.path().join("1_a.down.sql"), "DROP TABLE IF EXISTS a;\n").unwrap();
    read(dir.path(), Format::GolangMigrate).unwrap();
    fs::write(dir.path().join("1_a.up.sql"), "CREATE TABLE a (x int);\n").unwrap();
    let err = read(dir.path(), Format::GolangMigrate).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not match the files of its folder: `1_a.up.sql` changed"),
        "{err}"
    );
}

#[test]
fn crlf_and_bom_markers_are_seen() {
    let dir = folder(&[(
        "1_a.sql",
        "\u{feff}-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n",
    )]);
    assert_eq!(detect(dir.path()).unwrap(), Format::Dbmate);
    let read = read(dir.path(), Format::Dbmate).unwrap();
    let m = &read.migrations[0];
    assert_eq!(m.up, "SELECT 1;\r\n");
    assert_eq!(m.up_line, 2);
    assert_eq!(m.down.as_deref(), Some("SELECT 2;\r\n"));
    // The checksum covers the BOM: it is of the bytes as read.
    let bytes = fs::read(dir.path().join("1_a.sql")).unwrap();
    assert_eq!(m.checksum, hex::encode(Sha256::digest(&bytes)));
}

#[test]
fn mixed_formats_are_ambiguous() {
    let dir = fixture("detect/ambiguous");
    let err = detect(&dir).unwrap_err();
    let FormatError::Ambiguous { found, .. } = &err else {
        panic!("{err:?}");
    };
    let formats: Vec<Format> = found.iter().map(|(f, _)| *f).collect();
    assert_eq!(formats, [Format::Dbmate, Format::NodePgMigrate]);
    assert_eq!(
        file_names(&found.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>()),
        ["20240120000000_create_a.sql", "20240120000100_create_b.sql"]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "migrations folder `{d}` mixes formats: dbmate (`{d}/20240120000000_create_a.sql`), node-pg-migrate (`{d}/20240120000100_create_b.sql`); set format = \"...\" for this database (one of \"dbmate\", \"node-pg-migrate\")",
            d = dir.display()
        )
    );
    assert!(matches!(
        load(&dir, None),
        Err(FormatError::Ambiguous { .. })
    ));
    // With a format set, the folder reads; the other format's file fails loudly.
    assert!(matches!(
        load(&dir, Some(Format::Dbmate)),
        Err(FormatError::MissingMarker { .. })
    ));

    let cases: &[Files] = &[
        &[("V1__a.sql", ""), ("20240101000000_b/migration.sql", "")],
        &[("V1__a.sql", ""), ("2_b.up.sql", "")],
        &[("1_a.sql", "-- Up Migration\n"), ("2_b.up.sql", "")],
    ];
    for files in cases {
        let dir = folder(files);
        assert!(
            matches!(detect(dir.path()), Err(FormatError::Ambiguous { .. })),
            "files {files:?}"
        );
    }
}

#[test]
fn unrecognised_sql_files() {
    let dir = folder(&[
        ("create_users.sql", "CREATE TABLE u ();"),
        ("README.md", ""),
    ]);
    let err = detect(dir.path()).unwrap_err();
    let FormatError::Unrecognised { files, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(file_names(files), ["create_users.sql"]);
    assert!(err.to_string().contains("create_users.sql"), "{err}");
    // Read with a format that none of the files fit: the same error, not zero migrations.
    assert!(matches!(
        read(dir.path(), Format::Flyway),
        Err(FormatError::NothingRead { .. })
    ));
}

/// What one fixture folder must read as.
struct Expect {
    rel: &'static str,
    format: Format,
    versions: &'static [&'static str],
    names: &'static [&'static str],
    downs: &'static [bool],
    disabled: &'static [bool],
    unmatched: &'static [&'static str],
}

const BASIC_NAMES: &[&str] = &[
    "create_customers_and_invoices",
    "index_invoices",
    "customer_total_function",
];

#[test]
fn reads_fixtures() {
    let cases = [
        Expect {
            rel: "native/basic",
            format: Format::Native,
            versions: &["0001", "0002", "0003"],
            names: BASIC_NAMES,
            downs: &[true, false, false],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "native/unmatched",
            format: Format::Native,
            versions: &["0001", "0002"],
            names: &["create_notes", "index_notes"],
            downs: &[false, false],
            disabled: &[false, false],
            unmatched: &["README.md", "notes.sql"],
        },
        Expect {
            rel: "prisma/basic",
            format: Format::Prisma,
            versions: &[
                "20240105120000_create_customers_and_invoices",
                "20240105120100_index_invoices",
                "20240105120200_customer_total_function",
            ],
            names: BASIC_NAMES,
            downs: &[false, false, false],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "dbmate/basic",
            format: Format::Dbmate,
            versions: &["20240110090000", "20240110090100", "20240110090200"],
            names: BASIC_NAMES,
            downs: &[true, false, true],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "dbmate/no_transaction",
            format: Format::Dbmate,
            versions: &["20240111090000", "20240111090100"],
            names: &["create_events", "index_events_concurrently"],
            downs: &[true, true],
            disabled: &[false, true],
            unmatched: &[],
        },
        Expect {
            rel: "sqlx/basic",
            format: Format::Sqlx,
            versions: &["20240115080000", "20240115080100", "20240115080200"],
            names: BASIC_NAMES,
            downs: &[false, false, false],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "sqlx/reversible",
            format: Format::Sqlx,
            versions: &["20240116080000", "20240116080100"],
            names: &["create_tags", "index_tag_slug"],
            downs: &[true, true],
            disabled: &[false, true],
            unmatched: &[],
        },
        Expect {
            rel: "sqlx/reversible",
            format: Format::GolangMigrate,
            versions: &["20240116080000", "20240116080100"],
            names: &["create_tags", "index_tag_slug"],
            downs: &[true, true],
            disabled: &[false, true],
            unmatched: &[],
        },
        Expect {
            rel: "golang-migrate/basic",
            format: Format::GolangMigrate,
            versions: &["000001", "000002", "000003"],
            names: BASIC_NAMES,
            downs: &[true, false, true],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "flyway/basic",
            format: Format::Flyway,
            versions: &["1", "2", "3"],
            names: BASIC_NAMES,
            downs: &[true, false, false],
            disabled: &[false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "flyway/repeatable",
            format: Format::Flyway,
            versions: &["1", "1.1", "2", "R__views"],
            names: &[
                "create_products",
                "add_product_price",
                "create_orders",
                "views",
            ],
            downs: &[false, false, true, false],
            disabled: &[false, false, false, false],
            unmatched: &[],
        },
        Expect {
            rel: "node-pg-migrate/basic",
            format: Format::NodePgMigrate,
            versions: &["1704873600000", "1704873660000", "1704873720000"],
            names: BASIC_NAMES,
            downs: &[true, true, false],
            disabled: &[false, false, false],
            unmatched: &[],
        },
    ];
    for case in cases {
        let dir = fixture(case.rel);
        let got = read(&dir, case.format).unwrap_or_else(|e| panic!("{}: {e}", case.rel));
        let rel = case.rel;
        assert_eq!(got.format, case.format, "{rel}");
        assert_eq!(versions(&got), case.versions, "{rel}");
        assert_eq!(names(&got), case.names, "{rel}");
        let downs: Vec<bool> = got.migrations.iter().map(|m| m.down.is_some()).collect();
        assert_eq!(downs, case.downs, "{rel}");
        let disabled: Vec<bool> = got
            .migrations
            .iter()
            .map(|m| m.transaction == Transaction::Disabled)
            .collect();
        assert_eq!(disabled, case.disabled, "{rel}");
        assert_eq!(file_names(&got.unmatched), case.unmatched, "{rel}");
        for m in &got.migrations {
            assert!(m.path.is_file(), "{rel}: {}", m.path.display());
            let bytes = fs::read(&m.path).unwrap();
            assert_eq!(m.checksum, hex::encode(Sha256::digest(&bytes)), "{rel}");
            assert_eq!(m.checksum.len(), 64);
            assert!(
                !m.up.trim().is_empty(),
                "{rel}: empty up in {}",
                m.path.display()
            );
            // `up_line` points at the first line of `up` in the file.
            let text = String::from_utf8(bytes).unwrap();
            let at = text
                .lines()
                .skip(m.up_line - 1)
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                at.starts_with(m.up.lines().next().unwrap_or_default()),
                "{rel}: up_line {} of {}",
                m.up_line,
                m.path.display()
            );
            let kind = if m.version.is_repeatable() {
                Kind::Repeatable
            } else {
                Kind::Versioned
            };
            assert_eq!(m.kind, kind, "{rel}");
        }
        // load() with detection agrees wherever detection picks this format.
        if detect(&dir).ok() == Some(case.format) {
            assert_eq!(versions(&load(&dir, None).unwrap()), case.versions, "{rel}");
        }
    }
}

#[test]
fn fixture_contents() {
    let native = read(&fixture("native/basic"), Format::Native).unwrap();
    let first = &native.migrations[0];
    assert!(
        first
            .up
            .starts_with("-- Customers and their invoices.\nCREATE TABLE native_customer")
    );
    assert_eq!(
        first.down.as_deref(),
        Some("DROP TABLE native_invoice;\nDROP TABLE native_customer;\n")
    );
    assert!(native.migrations[2].up.contains("$$;"));

    let dbmate = read(&fixture("dbmate/basic"), Format::Dbmate).unwrap();
    assert_eq!(dbmate.migrations[0].up_line, 2);
    assert!(
        dbmate.migrations[0]
            .up
            .starts_with("CREATE TABLE dbmate_customer")
    );
    assert!(!dbmate.migrations[0].up.contains("migrate:"));

    let prisma = read(&fixture("prisma/basic"), Format::Prisma).unwrap();
    assert!(
        prisma.migrations[0]
            .path
            .ends_with("20240105120000_create_customers_and_invoices/migration.sql")
    );

    let flyway = read(&fixture("flyway/repeatable"), Format::Flyway).unwrap();
    let last = flyway.migrations.last().unwrap();
    assert_eq!(last.kind, Kind::Repeatable);
    assert_eq!(
        flyway.migrations[2].down.as_deref(),
        Some(
            "-- The repeatable view reads this table.\nDROP VIEW IF EXISTS flyway_rep_order_total;\nDROP TABLE flyway_rep_order;\n"
        )
    );
}

#[test]
fn unmatched_files_per_format() {
    // (format, files, expected migration versions, expected unmatched names)
    let cases: &[(Format, Files, &[&str], &[&str])] = &[
        (
            Format::Native,
            &[
                ("1_a.sql", "x"),
                ("notes.txt", ""),
                ("sub/2_b.sql", "x"),
                (".DS_Store", ""),
            ],
            &["1"],
            &["notes.txt", "sub"],
        ),
        (
            Format::Prisma,
            &[
                ("migration_lock.toml", ""),
                ("20240101000000_a/migration.sql", "x"),
                ("20240101000000_a/README.md", ""),
                ("20240102000000_b/other.sql", "x"),
                ("init/migration.sql", "x"),
                ("schema.prisma", ""),
            ],
            &["20240101000000_a"],
            &["README.md", "20240102000000_b", "init", "schema.prisma"],
        ),
        (
            Format::GolangMigrate,
            // A valid `atlas.sum` (Atlas verifies it; see atlas.rs) is a companion.
            &[
                ("1_a.up.sql", "x"),
                ("2_b.sql", "x"),
                (
                    "atlas.sum",
                    "h1:28y9NMHyeXOE3qvRbMv/VJBNNqNfO4qwvZjjk8x8VZk=\n1_a.up.sql h1:E0nT9jHqUkGinnFerL4xsOs+rQGZfxwM8eMmGJDAZxQ=\n2_b.sql h1:9GzcCUi0D7esHLnxZqw+C1dQWXH7FSlCJQkM+CetTJg=\n",
                ),
            ],
            &["1"],
            &["2_b.sql"],
        ),
        (
            Format::Sqlx,
            &[("1_a.up.sql", "x"), ("2_b.sql", "x"), ("b.sql", "x")],
            &["1", "2"],
            &["b.sql"],
        ),
        (
            Format::Flyway,
            &[
                ("V1__a.sql", "x"),
                ("V1__a.sql.conf", "executeInTransaction=false\n"),
                ("V9__gone.sql.conf", ""),
                ("1_b.sql", "x"),
            ],
            &["1"],
            &["1_b.sql", "V9__gone.sql.conf"],
        ),
    ];
    for (format, files, want_versions, want_unmatched) in cases {
        let dir = folder(files);
        let got = read(dir.path(), *format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(versions(&got), *want_versions, "{format}");
        assert_eq!(file_names(&got.unmatched), *want_unmatched, "{format}");
    }
    let flyway = read(
        folder(&[
            ("V1__a.sql", "x"),
            ("V1__a.sql.conf", "executeInTransaction=false\n"),
        ])
        .path(),
        Format::Flyway,
    )
    .unwrap();
    assert_eq!(flyway.migrations[0].transaction, Transaction::Disabled);
}

#[test]
fn version_order_is_numeric_not_textual() {
    let dir = folder(&[
        ("V1_10__c.sql", "x"),
        ("V1_9__b.sql", "x"),
        ("V10__d.sql", "x"),
        ("V2__x.sql", "x"),
        ("R__b.sql", "x"),
        ("R__a.sql", "x"),
    ]);
    let got = read(dir.path(), Format::Flyway).unwrap();
    assert_eq!(versions(&got), ["1.9", "1.10", "2", "10", "R__a", "R__b"]);
    let dir = folder(&[("10_b.sql", "x"), ("9_a.sql", "x")]);
    assert_eq!(
        versions(&read(dir.path(), Format::Native).unwrap()),
        ["9", "10"]
    );
}

#[test]
fn prisma_folders_with_one_timestamp_are_two_migrations() {
    // Prisma identifies a migration by its whole folder name and applies them in
    // folder-name order, so a shared timestamp is no conflict.
    let dir = folder(&[
        ("20260630120000_drop_y/migration.sql", "x"),
        ("20260630120000_add_x/migration.sql", "x"),
        ("20260101000000_init/migration.sql", "x"),
        ("1_a/migration.sql", "x"),
        ("01_b/migration.sql", "x"),
    ]);
    let got = read(dir.path(), Format::Prisma).unwrap();
    assert_eq!(
        versions(&got),
        [
            "01_b",
            "1_a",
            "20260101000000_init",
            "20260630120000_add_x",
            "20260630120000_drop_y"
        ]
    );
    let names: Vec<&str> = got.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["b", "a", "init", "add_x", "drop_y"]);
}

#[test]
fn duplicate_versions() {
    let cases: &[(Format, Files, &str, &str)] = &[
        (
            Format::Native,
            &[("1_a.sql", "x"), ("001_b.sql", "x")],
            "001_b.sql",
            "1_a.sql",
        ),
        (
            Format::Flyway,
            &[("V1__a.sql", "x"), ("V1.0__b.sql", "x")],
            "V1.0__b.sql",
            "V1__a.sql",
        ),
        (
            Format::Flyway,
            &[("U1__a.sql", "x"), ("U1_0__b.sql", "x"), ("V1__a.sql", "x")],
            "U1_0__b.sql",
            "U1__a.sql",
        ),
        (
            Format::Sqlx,
            &[("1_a.sql", "x"), ("1_b.up.sql", "x")],
            "1_a.sql",
            "1_b.up.sql",
        ),
        (
            Format::GolangMigrate,
            &[
                ("1_a.up.sql", "x"),
                ("1_a.down.sql", "x"),
                ("01_b.down.sql", "x"),
                ("01_b.up.sql", "x"),
            ],
            "01_b.down.sql",
            "1_a.down.sql",
        ),
        // dbmate, golang-migrate and goose identify a migration by its number and
        // refuse two files with one number: so does pgfleet, naming both.
        (
            Format::Dbmate,
            &[
                ("20240101000000_a.sql", "-- migrate:up\nx"),
                ("20240101000000_b.sql", "-- migrate:up\nx"),
            ],
            "20240101000000_a.sql",
            "20240101000000_b.sql",
        ),
        (
            Format::Goose,
            &[
                ("00001_a.sql", "-- +goose Up\nx"),
                ("1_b.sql", "-- +goose Up\nx"),
            ],
            "00001_a.sql",
            "1_b.sql",
        ),
    ];
    for (format, files, first, second) in cases {
        let dir = folder(files);
        let err = read(dir.path(), *format).unwrap_err();
        let FormatError::DuplicateVersion {
            first: a,
            second: b,
            ..
        } = &err
        else {
            panic!("{format}: {err:?}");
        };
        assert_eq!(
            (file_name(a).unwrap(), file_name(b).unwrap()),
            (*first, *second),
            "{format}"
        );
    }
    let dir = folder(&[("1_a.sql", "x"), ("001_b.sql", "x")]);
    let err = read(dir.path(), Format::Native).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "version 1 is used twice, by `{d}/001_b.sql` and `{d}/1_a.sql`; give one of them a new version",
            d = dir.path().display()
        )
    );
}

#[test]
fn orphans_and_missing_markers() {
    let cases: &[(Format, Files, &str)] = &[
        (
            Format::GolangMigrate,
            &[("1_a.up.sql", "x"), ("2_b.down.sql", "x")],
            "2_b.down.sql",
        ),
        (
            Format::Sqlx,
            &[("2_b.down.sql", "x"), ("3_c.sql", "x")],
            "2_b.down.sql",
        ),
        (
            Format::Flyway,
            &[("V1__a.sql", "x"), ("U2__b.sql", "x")],
            "U2__b.sql",
        ),
    ];
    for (format, files, orphan) in cases {
        let dir = folder(files);
        let err = read(dir.path(), *format).unwrap_err();
        assert!(
            matches!(&err, FormatError::Orphan { path, .. } if file_name(path) == Some(*orphan)),
            "{format}: {err:?}"
        );
    }
    let dir = folder(&[("1_a.down.sql", "x")]);
    assert_eq!(
        read(dir.path(), Format::GolangMigrate)
            .unwrap_err()
            .to_string(),
        format!(
            "`{}/1_a.down.sql` is a down script with no `.up.sql` of the same version; add the up script or delete this file",
            dir.path().display()
        )
    );

    let cases: &[(Format, &str)] = &[
        (Format::Dbmate, "-- migrate:up"),
        (Format::NodePgMigrate, "-- Up Migration"),
    ];
    for (format, want) in cases {
        let dir = folder(&[("1_a.sql", "CREATE TABLE a ();\n")]);
        let err = read(dir.path(), *format).unwrap_err();
        assert!(
            matches!(&err, FormatError::MissingMarker { marker, .. } if marker == want),
            "{format}: {err:?}"
        );
    }
}

#[test]
fn io_and_encoding_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = read(&missing, Format::Native).unwrap_err();
    assert!(
        matches!(&err, FormatError::Io { path, .. } if *path == missing),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read or write `{}`: ", missing.display()))
    );
    assert!(matches!(detect(&missing), Err(FormatError::Io { .. })));

    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("1_a.sql"), b"SELECT '\xff';").unwrap();
    let err = read(dir.path(), Format::Native).unwrap_err();
    assert!(
        matches!(&err, FormatError::NotUtf8 { path } if path.ends_with("1_a.sql")),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "`{}/1_a.sql` is not UTF-8 text; save it as UTF-8",
            dir.path().display()
        )
    );
}

fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .to_utc()
}

#[test]
fn new_migration_per_format() {
    let now = at("2024-05-06T07:08:09.123Z");
    // (format, existing files, name, files written, up text contains, has down)
    let cases: &[(Format, Files, &str, &[&str])] = &[
        (
            Format::Native,
            &[],
            "create users",
            &["20240506070809_create_users.sql"],
        ),
        (
            Format::Prisma,
            &[],
            "init",
            &["20240506070809_init/migration.sql"],
        ),
        (
            Format::Dbmate,
            &[],
            "add-index",
            &["20240506070809_add-index.sql"],
        ),
        (Format::Sqlx, &[], "a", &["20240506070809_a.sql"]),
        (
            Format::Sqlx,
            &[("20240101000000_x.up.sql", "x")],
            "b",
            &["20240506070809_b.up.sql", "20240506070809_b.down.sql"],
        ),
        (
            Format::GolangMigrate,
            &[],
            "a",
            &["000001_a.up.sql", "000001_a.down.sql"],
        ),
        (
            Format::GolangMigrate,
            &[("0007_x.up.sql", "x"), ("0007_x.down.sql", "x")],
            "b",
            &["0008_b.up.sql", "0008_b.down.sql"],
        ),
        (
            Format::GolangMigrate,
            &[("20240101000000_x.up.sql", "x")],
            "b",
            &["20240506070809_b.up.sql", "20240506070809_b.down.sql"],
        ),
        (Format::Flyway, &[], "a", &["V1__a.sql"]),
        (
            Format::Flyway,
            &[
                ("V1__a.sql", "x"),
                ("V1_1__b.sql", "x"),
                ("V2__c.sql", "x"),
                ("R__v.sql", "x"),
            ],
            "d",
            &["V3__d.sql"],
        ),
        (Format::Flyway, &[("V1.5__a.sql", "x")], "b", &["V2__b.sql"]),
        (
            Format::NodePgMigrate,
            &[],
            "a",
            &["20240506070809123_a.sql"],
        ),
        (Format::Goose, &[], "a", &["20240506070809_a.sql"]),
        (Format::Atlas, &[], "a", &["20240506070809_a.sql"]),
        (Format::Liquibase, &[], "a", &["0001_a.sql"]),
        // The clock is behind the newest migration: newest + 1.
        (
            Format::Native,
            &[("20990101000000_future.sql", "x")],
            "a",
            &["20990101000001_a.sql"],
        ),
        (
            Format::Dbmate,
            &[("20240506070809_same.sql", "-- migrate:up\n")],
            "a",
            &["20240506070810_a.sql"],
        ),
        (
            Format::NodePgMigrate,
            &[("20990101000000000_future.sql", "-- Up Migration\n")],
            "a",
            &["20990101000000001_a.sql"],
        ),
    ];
    for (format, files, name, want) in cases {
        let dir = folder(files);
        let written = new_migration(dir.path(), *format, name, now)
            .unwrap_or_else(|e| panic!("{format}: {e}"));
        let rel: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, *want, "{format} {files:?}");
        for path in &written {
            assert!(path.is_file(), "{format}: {}", path.display());
        }
        // Reading the folder back finds the new migration, newest of all.
        let folder = read(dir.path(), *format).unwrap_or_else(|e| panic!("{format}: {e}"));
        let newest = folder
            .migrations
            .iter()
            .filter(|m| m.kind == Kind::Versioned)
            .max_by(|a, b| a.version.cmp(&b.version))
            .unwrap();
        assert_eq!(newest.path, written[0], "{format}");
        assert_eq!(newest.name, name.replace(' ', "_"), "{format}");
        assert_eq!(
            newest.down, None,
            "{format}: a template's down is only a comment"
        );
        assert!(
            folder.unmatched.is_empty(),
            "{format}: {:?}",
            folder.unmatched
        );
    }
}

#[test]
fn new_migration_markers_and_detection() {
    let now = at("2024-05-06T07:08:09Z");
    let cases = [
        (Format::Native, "-- pgfleet:down", Format::Native),
        (
            Format::Prisma,
            "-- This is an empty migration.",
            Format::Prisma,
        ),
        (Format::Dbmate, "-- migrate:up", Format::Dbmate),
        (
            Format::NodePgMigrate,
            "-- Up Migration",
            Format::NodePgMigrate,
        ),
        (Format::GolangMigrate, "--", Format::GolangMigrate),
        (Format::Flyway, "--", Format::Flyway),
        (Format::Sqlx, "-- Add migration script here", Format::Native),
        (Format::Goose, "-- +goose Up", Format::Goose),
        (Format::Atlas, "atlas migrate hash", Format::Atlas),
        (
            Format::Liquibase,
            "--liquibase formatted sql",
            Format::Liquibase,
        ),
    ];
    for (format, marker, detected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("migrations");
        let written = new_migration(&target, format, "first", now).unwrap();
        let text = fs::read_to_string(&written[0]).unwrap();
        assert!(text.contains(marker), "{format}: {text}");
        assert_eq!(detect(&target).unwrap(), detected, "{format}");
        let second = new_migration(&target, format, "second", now).unwrap();
        assert_ne!(second[0], written[0], "{format}");
        let folder = read(&target, format).unwrap();
        assert_eq!(names(&folder), ["first", "second"], "{format}");
    }
    let dir = folder(&[(
        "1_a.sql",
        "-- migrate:up\n-- migrate:down transaction:false\n",
    )]);
    let read = read(dir.path(), Format::Dbmate).unwrap();
    assert_eq!(read.migrations[0].transaction, Transaction::Auto);
}

#[test]
fn new_migration_names() {
    let now = at("2024-05-06T07:08:09Z");
    let bad = ["", "   ", "a/b", "a.b", "ü", "a;b", "../x", "a\tb"];
    for name in bad {
        let dir = tempfile::tempdir().unwrap();
        let err = new_migration(dir.path(), Format::Native, name, now).unwrap_err();
        assert!(
            matches!(&err, FormatError::BadName { name: n } if n == name),
            "{name:?}: {err:?}"
        );
        assert!(
            fs::read_dir(dir.path()).unwrap().next().is_none(),
            "{name:?}: wrote a file"
        );
    }
    let err = new_migration(Path::new("/nonexistent"), Format::Native, "a/b", now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration name `a/b` may only hold letters, digits, `_` and `-` (spaces become `_`)"
    );
    let good = [("add users", "add_users"), ("Add-Users_2", "Add-Users_2")];
    for (name, want) in good {
        assert_eq!(clean_name(name).unwrap(), want);
    }
}

#[test]
fn new_migration_refuses_a_broken_folder() {
    let now = at("2024-05-06T07:08:09Z");
    let dir = folder(&[("1_a.sql", "SELECT 1;\n")]);
    assert!(matches!(
        new_migration(dir.path(), Format::Dbmate, "b", now),
        Err(FormatError::MissingMarker { .. })
    ));
}

#[test]
fn blank_sql() {
    let cases = [
        ("", true),
        ("  \n\t\r\n", true),
        ("-- only a comment\n", true),
        ("/* block */\n-- and line", true),
        ("/* nested /* deeper */ still */", true),
        ("/* unterminated", true),
        ("SELECT 1;", false),
        ("-- c\nDROP TABLE a;", false),
        ("/* c */ x", false),
    ];
    for (sql, want) in cases {
        assert_eq!(is_blank_sql(sql), want, "{sql:?}");
    }
}

#[test]
fn line_iteration() {
    let got: Vec<(usize, usize, usize, &str)> = lines("a\r\nbb\n\nc")
        .map(|l| (l.number, l.start, l.end, l.content))
        .collect();
    assert_eq!(
        got,
        [
            (1, 0, 3, "a"),
            (2, 3, 6, "bb"),
            (3, 6, 7, ""),
            (4, 7, 8, "c")
        ]
    );
}

/// The fuzz target's seeds (and any input a fuzzer once crashed on).
#[test]
fn fuzz_corpus_replays() {
    for (_, text) in crate::fuzz_corpus::read("file_name") {
        let (a, b) = text.split_once('\n').unwrap_or((&text, &text));
        fuzz_file_names(a, b);
    }
}

/// `clean` and `schema dump` keep the same tables: every format's history table, and
/// Liquibase's lock.
#[test]
fn peer_history_tables_are_every_formats_and_liquibases_lock() {
    assert_eq!(
        peer_history_tables(),
        [
            "__diesel_schema_migrations",
            "__drizzle_migrations",
            "_prisma_migrations",
            "_sqlx_migrations",
            "atlas_schema_revisions",
            "databasechangelog",
            "databasechangeloglock",
            "flyway_schema_history",
            "goose_db_version",
            "pgmigrations",
            "schema_migration",
            "schema_migrations",
        ]
    );
}

#[test]
fn listing_is_in_path_order_without_hidden_entries() {
    let dir = folder(&[
        ("9_b.sql", ""),
        ("10_a.sql", ""),
        ("1_a.sql", ""),
        ("1.sql", ""),
        ("Z_upper.sql", ""),
        ("é_accent.sql", ""),
        (".gitkeep", ""),
        ("sub_b/x.sql", ""),
        ("sub-a/x.sql", ""),
        ("sub/x.sql", ""),
    ]);
    let listing = list(dir.path()).unwrap();
    let mut files = listing.files.clone();
    files.sort();
    assert_eq!(listing.files, files);
    assert_eq!(listing.files.len(), 6);
    let mut dirs = listing.dirs.clone();
    dirs.sort();
    assert_eq!(listing.dirs, dirs);
    assert_eq!(listing.dirs.len(), 3);
}

/// A folder set to a format that reads nothing from it names what it holds and the
/// format detection finds, never "0 migrations".
#[test]
fn nothing_read_names_the_format_that_would_read_it() {
    let dir = folder(&[
        ("20240101000000_a/migration.sql", "CREATE TABLE a ();\n"),
        ("20240102000000_b/migration.sql", "CREATE TABLE b ();\n"),
        ("migration_lock.toml", "provider = \"postgresql\"\n"),
    ]);
    let err = load(dir.path(), Some(Format::Native)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no migration is read from migrations folder `{}` as native (`<version>_<name>.sql` files), yet it holds 2 `.sql` files (`20240101000000_a/migration.sql`, `20240102000000_b/migration.sql`); format = \"prisma\" reads 2 migration(s)",
            dir.path().display()
        )
    );
    // Nothing at all, or no SQL: an empty folder is still zero migrations.
    let empty = folder(&[("README.md", "")]);
    assert_eq!(
        load(empty.path(), Some(Format::Native))
            .unwrap()
            .migrations
            .len(),
        0
    );
}

/// A goose folder and the `atlas.sum` Atlas wrote for it (ariga/atlas
/// `sql/sqltool/testdata/goose`), with `format = "goose"` set (detection takes an
/// `atlas.sum` beside single files for an Atlas directory first): the sum is checked
/// as Atlas sums it (every `.sql` file, whole) and not reported as a stray file.
#[test]
fn atlas_sum_beside_goose_files_is_checked() {
    let first = "-- +goose Up\nCREATE TABLE post\n(\n    id    int NOT NULL,\n    title text,\n    body  text,\n    PRIMARY KEY (id)\n);\n\nALTER TABLE post ADD created_at TIMESTAMP NOT NULL;\n\nINSERT INTO post (title) VALUES (\n'This is\nmy multiline\n\nvalue');\n\n-- +goose Down\nDROP TABLE post;";
    let second = "\n\n\n-- +goose Up\n\n\n\n\n-- +goose StatementBegin\nCREATE\nOR REPLACE FUNCTION histories_partition_creation( DATE, DATE )\nreturns void AS $$\nDECLARE\ncreate_query text;\nBEGIN\nFOR create_query IN\nSELECT 'CREATE TABLE IF NOT EXISTS histories_'\n           || TO_CHAR(d, 'YYYY_MM')\n           || ' ( CHECK( created_at >= timestamp '''\n           || TO_CHAR(d, 'YYYY-MM-DD 00:00:00')\n           || ''' AND created_at < timestamp '''\n           || TO_CHAR(d + INTERVAL '1 month', 'YYYY-MM-DD 00:00:00')\n           || ''' ) ) inherits ( histories );'\nFROM generate_series($1, $2, '1 month') AS d LOOP\n    EXECUTE create_query;\nEND LOOP;  -- LOOP END\nEND;         -- FUNCTION END\n$$\nlanguage plpgsql;\n-- +goose StatementEnd";
    let sum = "h1:MFwmYzrSq09/I/jZgUuUoiRTBCtz+0UWOTotkcBdkIE=\n1_initial.sql h1:mOgAYIay1aUHP9BgbtNlwjSPsiw0yXJ5HIW+kOXyt1s=\n2_second_migration.sql h1:kOL5bbnrzs3M/MDRmLLvuwrO95p/pocjHAP9hdrR0e8=\n";
    let dir = folder(&[
        ("1_initial.sql", first),
        ("2_second_migration.sql", second),
        ("atlas.sum", sum),
    ]);
    let read = load(dir.path(), Some(Format::Goose)).unwrap();
    assert_eq!(read.migrations.len(), 2);
    assert_eq!(file_names(&read.unmatched), Vec::<String>::new());
    assert_eq!(atlas_sum_problem(dir.path(), Format::Goose).unwrap(), None);
    fs::write(
        dir.path().join("1_initial.sql"),
        first.replace("DROP TABLE post;", "DROP TABLE IF EXISTS post;"),
    )
    .unwrap();
    let err = load(dir.path(), Some(Format::Goose)).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not match the files of its folder: `1_initial.sql` changed"),
        "{err}"
    );
}

#[test]
fn diesel_versions_interleave_as_diesel_orders_them() {
    let got = read(&fixture("diesel/basic"), Format::Diesel).unwrap();
    assert_eq!(
        versions(&got),
        [
            "00000000000000",
            "20161231000000",
            "20170115093000",
            "20170201120000",
            "20170301000000",
            "20170401000000",
        ]
    );
    let names: Vec<&str> = got.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "diesel_initial_setup",
            "create_steps",
            "create_posts",
            "add_post_archived_state",
            "index_posts_concurrently",
            "backfill_titles",
        ]
    );
    let disabled: Vec<bool> = got
        .migrations
        .iter()
        .map(|m| m.transaction == Transaction::Disabled)
        .collect();
    assert_eq!(disabled, [false, false, false, false, true, false]);
    // A down.sql holding only comments is no down script; an empty one neither.
    let downs: Vec<bool> = got.migrations.iter().map(|m| m.down.is_some()).collect();
    assert_eq!(downs, [true, true, true, false, true, false]);
    assert!(
        got.migrations[0]
            .path
            .ends_with("00000000000000_diesel_initial_setup/up.sql")
    );
    let unmatched: Vec<&str> = got
        .unmatched
        .iter()
        .map(|p| file_name(p).unwrap())
        .collect();
    assert_eq!(unmatched, ["README.md", "scratch.sql"]);
    assert_eq!(detect(&fixture("diesel/basic")).unwrap(), Format::Diesel);
}

#[test]
fn diesel_folder_errors() {
    // A migration folder without up.sql: an error naming it, nothing read.
    let dir = folder(&[
        ("2017-01-01-000000_a/up.sql", "x"),
        ("2017-01-02-000000_b/down.sql", "x"),
    ]);
    let err = read(dir.path(), Format::Diesel).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}/2017-01-02-000000_b` is a Diesel migration folder without `up.sql`; add `up.sql` (and `down.sql`) or remove the folder",
            dir.path().display()
        )
    );
    // One version written two ways is one version to Diesel: refused, naming both.
    let dir = folder(&[
        ("2017-01-01-000000_a/up.sql", "x"),
        ("20170101000000_b/up.sql", "x"),
    ]);
    let err = read(dir.path(), Format::Diesel).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "version 20170101000000 is used twice, by `{d}/2017-01-01-000000_a/up.sql` and `{d}/20170101000000_b/up.sql`; give one of them a new version",
            d = dir.path().display()
        )
    );
    // A bad metadata.toml names its file and line.
    let dir = folder(&[
        ("2017-01-01-000000_a/up.sql", "x"),
        (
            "2017-01-01-000000_a/metadata.toml",
            "run_in_transaction = nope\n",
        ),
    ]);
    let err = read(dir.path(), Format::Diesel).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}/2017-01-01-000000_a/metadata.toml:1: ",
            dir.path().display()
        )),
        "{err}"
    );
}

/// Flyway searches its locations recursively: scripts in sub-folders are the folder's
/// own, undo scripts and `.conf` files pair across them, folders named after another
/// engine are left out (reported as not read), and one version twice is refused.
#[test]
fn flyway_reads_sub_folders_and_leaves_other_engines_out() {
    let dir = folder(&[
        ("V1__init.sql", "CREATE TABLE a ();\n"),
        ("2024/V1_1__more.sql", "CREATE TABLE b ();\n"),
        ("2024/V1_1__more.sql.conf", "executeInTransaction=false\n"),
        ("2024/q1/V2__deep.sql", "CREATE TABLE c ();\n"),
        ("undo/U2__deep.sql", "DROP TABLE c;\n"),
        ("repeatable/R__views.sql", "CREATE VIEW v AS SELECT 1;\n"),
        (
            "mysql/V3__mysql.sql",
            "CREATE TABLE `d` (id int) ENGINE=InnoDB;\n",
        ),
        ("H2/V3__h2.sql", "CREATE CACHED TABLE d (id int);\n"),
        ("2024/README.md", "notes\n"),
    ]);
    let got = load(dir.path(), None).unwrap();
    assert_eq!(got.format, Format::Flyway);
    assert_eq!(versions(&got), ["1", "1.1", "2", "R__views"]);
    assert_eq!(got.migrations[1].transaction, Transaction::Disabled);
    assert_eq!(got.migrations[2].down.as_deref(), Some("DROP TABLE c;\n"));
    assert_eq!(file_names(&got.unmatched), ["README.md", "H2", "mysql"]);
    let twice = folder(&[("V1__a.sql", "x"), ("old/V1__b.sql", "x")]);
    let err = read(twice.path(), Format::Flyway).unwrap_err().to_string();
    assert!(
        err.contains("V1__a.sql") && err.contains("old/V1__b.sql"),
        "{err}"
    );
}

/// Atlas sums a Flyway folder as `FlywayDir.Files` lists it since 2025: `V`/`B`/`R`
/// scripts found recursively, named by path, versioned ones by version (`V10` after
/// `V2`), repeatables last, undo scripts not summed. The expected file was computed
/// apart from pgfleet (Python, Atlas's running SHA-256 over names and contents).
/// A sum written before 2025 (every top-level `.sql`, undo scripts too, by name) is
/// still accepted.
#[test]
fn atlas_sum_of_flyway_folders_as_atlas_writes_it() {
    let files = [
        ("V1__a.sql", "CREATE TABLE a ();\n"),
        ("sub/V2__b.sql", "CREATE TABLE b ();\n"),
        ("V10__c.sql", "CREATE TABLE c ();\n"),
        ("R__v.sql", "CREATE VIEW v AS SELECT 1;\n"),
        ("U1__a.sql", "DROP TABLE a;\n"),
    ];
    let sum = "h1:+iaASx7U9zwp26zgsF6xS/LpGO5TLvI9Naz8dFT5qIw=\nV1__a.sql h1:WBOkwVo4GvxNz/spK19rshriN48VngGc9FwayPTzK9o=\nsub/V2__b.sql h1:trqXwIag2BJU8Jkx4bFB4OwDMLJEaXJVP4csgFKlBNQ=\nV10__c.sql h1:j6O/xr0LCdPb6VjKnD4jxZIEFrR34MjFQJoAut92dKM=\nR__v.sql h1:apggHJa7TEMbZd41voy6+apfqDu8RYipshlkUNxJHgU=\n";
    let dir = folder(&files);
    fs::write(dir.path().join("atlas.sum"), sum).unwrap();
    assert_eq!(atlas_sum_problem(dir.path(), Format::Flyway).unwrap(), None);
    let got = load(dir.path(), Some(Format::Flyway)).unwrap();
    assert_eq!(file_names(&got.unmatched), Vec::<&str>::new());
    // Rewriting gives the same file; an edited nested script is named.
    rewrite_atlas_sum(dir.path(), Format::Flyway).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("atlas.sum")).unwrap(),
        sum
    );
    fs::write(
        dir.path().join("sub/V2__b.sql"),
        "CREATE TABLE b (x int);\n",
    )
    .unwrap();
    assert_eq!(
        atlas_sum_problem(dir.path(), Format::Flyway)
            .unwrap()
            .as_deref(),
        Some("`sub/V2__b.sql` changed")
    );
    // The older style: top-level `.sql` files by name, the undo script included.
    let flat = folder(&[
        ("V1__a.sql", "CREATE TABLE a ();\n"),
        ("V10__c.sql", "CREATE TABLE c ();\n"),
        ("U1__a.sql", "DROP TABLE a;\n"),
    ]);
    let old = "h1:of9kt9MFxLo89Z3or69pBdVh+USUvDI6KM6Rvg8EUyE=\nU1__a.sql h1:OLf2pApxMnLhyT97FuzTuZ0bG/742kLoWS18MmQYJ3g=\nV10__c.sql h1:MeVhlZL/fVyR8jiz1U7eGVxs2uYjHG40Q9bTeZER+0I=\nV1__a.sql h1:l5XISr0XAtYLVOilgst+NOs5atCrPRGkfvANHnrWVxg=\n";
    fs::write(flat.path().join("atlas.sum"), old).unwrap();
    assert_eq!(
        atlas_sum_problem(flat.path(), Format::Flyway).unwrap(),
        None
    );
}

/// Atlas's baseline (`B`) handling, text comparisons and all (ariga/atlas issue 3761):
/// the newest baseline first, the versioned scripts it covers dropped.
#[test]
fn atlas_flyway_files_with_a_baseline() {
    let dir = folder(&[
        ("B5__base.sql", "x"),
        ("V1__old.sql", "x"),
        ("V6__new.sql", "x"),
        ("R__v.sql", "x"),
        ("V2__x.txt", "x"),
    ]);
    let names: Vec<String> = flyway::atlas_files(dir.path())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["B5__base.sql", "V6__new.sql", "R__v.sql"]);
}

/// The large pop fixture (tests/fixtures/generate-pop.py) read as pop reads it: 294 of
/// its 300 versions run on PostgreSQL (six are MySQL-only), in text order (Ory's
/// 20-digit versions before the later 14-digit ones), the `postgres` (or `pg`) file
/// over the dialect-less one, `.autocommit.` outside a transaction, a sub-folder's
/// files read, and `database.yml`'s `migration_table_name` taken.
#[test]
fn pop_fixture_is_read_as_pop_reads_it() {
    let dir = fixture("pop/app/migrations");
    assert_eq!(detect(&dir).unwrap(), Format::Pop);
    let got = load(&dir, None).unwrap();
    assert_eq!(got.migrations.len(), 294);
    assert_eq!(got.history_table.as_deref(), Some("app_migrations"));
    let v = versions(&got);
    let ory = v.iter().position(|v| v.len() == 20).unwrap();
    let later = v.iter().rposition(|v| v.len() == 20).unwrap() + 1;
    assert!(ory > 0 && later < v.len(), "{ory} {later}");
    assert!(v[later] > v[later - 1] && v[later].len() == 14);
    let by_name = |name: &str| got.migrations.iter().find(|m| m.name == name).unwrap();
    assert!(
        file_name(&by_name("identity_state_2").path)
            .unwrap()
            .contains(".postgres.")
    );
    assert!(
        file_name(&by_name("count_function_6").path)
            .unwrap()
            .contains(".pg.")
    );
    assert_eq!(by_name("index_3").transaction, Transaction::Disabled);
    assert_eq!(by_name("note_index_5").transaction, Transaction::Disabled);
    assert_eq!(by_name("fix_notes_4").transaction, Transaction::Auto);
    assert!(by_name("view_7").path.to_string_lossy().contains("/2021/"));
    let unmatched = file_names(&got.unmatched);
    assert_eq!(
        unmatched
            .iter()
            .filter(|n| n.contains("mysql_tuning"))
            .count(),
        6,
        "{unmatched:?}"
    );
    for stray in ["README.md", "schema.sql", "TODO.txt"] {
        assert!(unmatched.contains(&stray), "{unmatched:?}");
    }
}

/// Hasura's seeds: `seeds/<source>/*.sql` under config v3, `seeds/*.sql` under v2, the
/// folder renamed by `seeds_directory`; other formats name none.
#[test]
fn hasura_seed_files() {
    let v3 = fixture("hasura/app/migrations/default");
    assert_eq!(
        file_names(&format_seeds(&v3, Format::Hasura).unwrap()),
        ["1700000000000_accounts.sql", "1700000000001_notes.sql"]
    );
    assert!(format_seeds(&v3, Format::Diesel).unwrap().is_empty());
    let v2 = folder(&[
        (
            "config.yaml",
            "version: 2\nendpoint: http://localhost:8080\nseeds_directory: db/seeds\n",
        ),
        (
            "migrations/1600000000000_init/up.sql",
            "CREATE TABLE a ();\n",
        ),
        ("db/seeds/b.sql", "INSERT INTO a DEFAULT VALUES;\n"),
        ("db/seeds/a.sql", "SELECT 1;\n"),
        ("db/seeds/notes.txt", ""),
    ]);
    assert_eq!(
        file_names(&format_seeds(&v2.path().join("migrations"), Format::Hasura).unwrap()),
        ["a.sql", "b.sql"]
    );
}
