//! Each checksum against values the real tool wrote: run here (sqlx-cli, drizzle-orm,
//! Sqitch), or taken from a public repository's database dump next to the files it
//! came from (Prisma, Flyway, Liquibase). The source is named in each test.

use std::fs;

use super::*;

/// JeffMota/POC-TS: `dump.sql` holds the row Prisma wrote for
/// `prisma/migrations/20230414173014_create_movies_table/migration.sql` (LF line ends).
const PRISMA_MOVIES: &str = "-- CreateTable\nCREATE TABLE \"movies\" (\n    \"id\" SERIAL NOT NULL,\n    \"name\" TEXT NOT NULL,\n    \"plataform\" TEXT NOT NULL,\n    \"gender\" TEXT NOT NULL,\n    \"watched\" BOOLEAN NOT NULL DEFAULT false,\n    \"note\" DECIMAL,\n    \"resume\" TEXT,\n\n    CONSTRAINT \"movies_pkey\" PRIMARY KEY (\"id\")\n);\n";
const PRISMA_MOVIES_SUM: &str = "0e27ce8b4daf8331e7639dce3cb62e76737149fb87df68696c54a28d800504b9";

#[test]
fn prisma_checksum_is_what_prisma_wrote() {
    assert_eq!(prisma(PRISMA_MOVIES.as_bytes()), PRISMA_MOVIES_SUM);
    // prisma-engines' own test: `render_checksum("hello")`, zero padding kept.
    assert_eq!(
        prisma(b"hello"),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
}

#[test]
fn prisma_matches_as_prisma_does() {
    // The same file checked out with CRLF still matches the checksum written for LF,
    // and the other way round; an edit does not.
    let crlf = PRISMA_MOVIES.replace('\n', "\r\n");
    assert_ne!(prisma(crlf.as_bytes()), PRISMA_MOVIES_SUM);
    assert!(prisma_matches(PRISMA_MOVIES, PRISMA_MOVIES_SUM));
    assert!(prisma_matches(&crlf, PRISMA_MOVIES_SUM));
    assert!(prisma_matches(PRISMA_MOVIES, &prisma(crlf.as_bytes())));
    assert!(!prisma_matches(
        &PRISMA_MOVIES.replace("movies", "films"),
        PRISMA_MOVIES_SUM
    ));
    // prisma-engines' negative cases.
    assert!(!prisma_matches("abc", &prisma(b"abcd")));
    assert!(!prisma_matches("abc\n", &prisma(b"abc")));
    // Early engines dropped the leading zero of each byte (prisma-engines issue 1887).
    let unpadded = unpadded_hex(&Sha256::digest(b"hello"));
    assert!(unpadded.len() < 64);
    assert!(prisma_matches("hello", &unpadded));
}

#[test]
fn sqlx_checksum_is_what_sqlx_cli_wrote() {
    // `sqlx migrate run` (sqlx-cli 0.9.0, PostgreSQL) on these three files stored these
    // `encode(checksum, 'hex')` values.
    let cases = [
        (
            "CREATE TABLE users (id bigint PRIMARY KEY);\n",
            "c72d83fd3fa44d3458d479ba249777d97527fde4ccd1e1483878051ba8ee6f15fcf7964f412c5d17e122e4397248e42a",
        ),
        (
            "CREATE TABLE posts (\r\n  id bigint PRIMARY KEY,\r\n  title text\r\n);\r\n",
            "dba1ca7ac3b56640af1e5b45f46dc5587cdefb5c85a6b3d013c802c75d9c721cdd6bcb61611fd0d4f76f8ae015425c91",
        ),
        (
            "-- café\nCOMMENT ON TABLE users IS 'naïve';",
            "5cf3d9c0a6684f5fb0b3126e5cdfd569ed88ab163d0f6de323598b7efc56b48e9158669565b8dc090693e5d4936aee95",
        ),
    ];
    for (script, stored) in cases {
        assert_eq!(hex::encode(sqlx(script, &[])), stored, "{script:?}");
    }
}

#[test]
fn sqlx_ignored_chars_are_left_out() {
    // sqlx-core's `checksum_with_ignored_chars`: the same digest as the text without them.
    let ignored = [' ', '\t', '\r', '\n', '\u{feff}'];
    let script = "\u{feff}create table comment (\r\n\tid uuid primary key\r\n);\r\n";
    let stripped: String = script.chars().filter(|c| !ignored.contains(c)).collect();
    assert_eq!(sqlx(script, &ignored), sqlx(&stripped, &[]));
    assert_ne!(sqlx(script, &ignored), sqlx(script, &[]));
}

#[test]
fn drizzle_hash_is_what_drizzle_orm_wrote() {
    // drizzle-orm 0.45.4's node-postgres `migrate()` on a journal of these three files
    // stored these `__drizzle_migrations.hash` values.
    let cases = [
        (
            "CREATE TABLE \"customers\" (\n\t\"id\" serial PRIMARY KEY NOT NULL,\n\t\"email\" text NOT NULL\n);\n",
            "c096e1214fcffe304dace1ab118b50d941d407d4bbb712e565aceedf1f90d152",
        ),
        (
            "CREATE TABLE \"a\" (id int);\r\n--> statement-breakpoint\r\nCREATE TABLE \"b\" (id int);\r\n",
            "863dc6bfb098a09881d01fd403e00e9866e42fcb7069aece2726326109eae590",
        ),
        (
            "COMMENT ON TABLE \"a\" IS 'naïve café';",
            "bf3a90eb3202d03cfe44d29f4f729211b1623ac85582d48a58a3665b04af0152",
        ),
    ];
    for (script, stored) in cases {
        assert_eq!(drizzle(script), stored, "{script:?}");
    }
}

/// mikemybytes/squash-db-migrations: `src/test/resources/init.sql` holds the rows
/// Flyway wrote for `src/main/resources/db/migration/V001__initial_model.sql` and
/// `V002__add_quantity.sql`.
const FLYWAY_V001: &str = "CREATE TABLE customer_order (\n    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,\n    customer VARCHAR(255)\n);\n\nCREATE TABLE customer_order_item (\n    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,\n    order_id INTEGER NOT NULL REFERENCES customer_order(id),\n    item VARCHAR(1024),\n    amount_minor INTEGER,\n    currency VARCHAR(3)\n);\n";
const FLYWAY_V002: &str = "-- Oops... we forgot about the quantity!\nALTER TABLE customer_order_item ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1;\n";

#[test]
fn flyway_checksum_is_what_flyway_wrote() {
    assert_eq!(flyway(FLYWAY_V001), 1_485_106_706);
    assert_eq!(flyway(FLYWAY_V002), -1_517_708_285);
}

#[test]
fn flyway_checksum_ignores_line_ends_bom_and_blank_lines() {
    let want = flyway(FLYWAY_V001);
    for variant in [
        FLYWAY_V001.replace('\n', "\r\n"),
        FLYWAY_V001.replace('\n', "\r"),
        format!("\u{feff}{FLYWAY_V001}"),
        FLYWAY_V001.replace("\n\n", "\n\n\n\n"),
        FLYWAY_V001.trim_end().to_owned(),
    ] {
        assert_eq!(flyway(&variant), want, "{variant:?}");
    }
    // Only the first line loses a BOM; spaces count.
    assert_ne!(
        flyway(&format!("x\n\u{feff}{FLYWAY_V002}")),
        flyway(&format!("x\n{FLYWAY_V002}"))
    );
    assert_ne!(
        flyway(&FLYWAY_V002.replace(" ADD", "  ADD")),
        flyway(FLYWAY_V002)
    );
    assert_ne!(flyway(&FLYWAY_V001.replace("    ", "  ")), want);
}

/// Mixeway/Flow: `backend/src/main/resources/db/changelog/db.changelog-master.sql`, and
/// the rows Liquibase 4.27.0 wrote for its first two changesets in
/// `backend/src/main/resources/db/changelog/data_dump_test.sql`.
const LIQUIBASE_CHANGELOG: &str = "--liquibase formatted sql

--changeset siewer:init_db
-- Create tables
CREATE TABLE users (
                       id serial PRIMARY KEY,
                       password text,
                       username text,
                       api_key text,
                       reset_password boolean
);

CREATE TABLE roles (
                       id serial PRIMARY KEY,
                       name text
);

CREATE TABLE users_roles (
                             user_info_id int REFERENCES users(id),
                             roles_id int REFERENCES roles(id)
);

-- Create roles
INSERT INTO roles (name) VALUES ('USER');
INSERT INTO roles (name) VALUES ('ADMIN');
INSERT INTO roles (name) VALUES ('TEAM_MANAGER');

-- Create user
INSERT INTO users (username, password, api_key, reset_password)
VALUES ('admin', '$2a$12$XJjJYh1oVX33kPiS/JShlebp8WjRSl4.FsW9R5hBWt2IWzAtpCyQi', null, true);

-- Insert into users_roles table to assign all roles to the user
INSERT INTO users_roles (user_info_id, roles_id)
SELECT u.id, r.id
FROM users u, roles r
WHERE u.username = 'admin' AND r.name = 'USER';

INSERT INTO users_roles (user_info_id, roles_id)
SELECT u.id, r.id
FROM users u, roles r
WHERE u.username = 'admin' AND r.name = 'ADMIN';

INSERT INTO users_roles (user_info_id, roles_id)
SELECT u.id, r.id
FROM users u, roles r
WHERE u.username = 'admin' AND r.name = 'TEAM_MANAGER';


--changeset siewer:addteam
create table team (
    id serial primary key,
    name text,
    remote_identifier text
);

CREATE TABLE users_teams (
    user_info_id int REFERENCES users(id),
    team_id int REFERENCES team(id)
);
";

/// A folder holding `text` as `changelog.sql`, read as Liquibase.
fn liquibase_folder(text: &str) -> (tempfile::TempDir, Vec<Migration>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("changelog.sql"), text).unwrap();
    let folder = formats::load(dir.path(), Some(formats::Format::Liquibase)).unwrap();
    (dir, folder.migrations)
}

#[test]
fn liquibase_md5sum_is_what_liquibase_wrote() {
    let (_dir, migrations) = liquibase_folder(LIQUIBASE_CHANGELOG);
    let sums: Vec<Option<String>> = migrations
        .iter()
        .map(|m| liquibase_changeset(m).unwrap())
        .collect();
    assert_eq!(
        sums,
        [
            Some("9:e424604f0d1beb9d9f516fad2ad7db2a".to_owned()),
            Some("9:f42e38fa43fee4dd4d161452e024d05c".to_owned()),
        ]
    );
}

/// Liquibase 4.28 (npm package `liquibase` 4.28.1, run here with `update` on
/// PostgreSQL) wrote these md5sums for this changelog: directives, ignored lines,
/// rollback blocks, a property line, non-ASCII.
const LIQUIBASE_DIRECTIVES: &str = "--liquibase formatted sql

--changeset ann:1
CREATE TABLE t1 (id int);

--changeset ann:2 runOnChange:true
--comment: with a comment directive
-- a plain comment
CREATE TABLE t2 (
    id int
);
--rollback DROP TABLE t2;

--changeset ann:3
--ignoreLines:start
SELECT 'ignored';
--ignoreLines:end
CREATE TABLE t3 (id int);
--ignoreLines:1
SELECT 'ignored too';
/* liquibase rollback
DROP TABLE t3;
*/

--changeset ann:4 splitStatements:false endDelimiter:;
--validCheckSum: 9:any
--property name:tbl value:t4
CREATE TABLE t4 (note text DEFAULT 'naïve');
--commentary is sql
";

#[test]
fn liquibase_md5sums_with_directives_are_what_liquibase_wrote() {
    let (_dir, migrations) = liquibase_folder(LIQUIBASE_DIRECTIVES);
    let sums: Vec<String> = migrations
        .iter()
        .map(|m| liquibase_changeset(m).unwrap().unwrap())
        .collect();
    assert_eq!(
        sums,
        [
            "9:2f00c20af2b27ebb78ea9cbf168b0d9c",
            "9:b8494739d0cd0afbd7bc5580a79ff7e9",
            "9:10d5ef3551aaf92a7d95f067d0174532",
            "9:6f7bead9eb1b35ddf06496c9b3372d0a",
        ]
    );
}

#[test]
fn liquibase_md5sum_leaves_out_what_liquibase_leaves_out() {
    // Directives, rollbacks, properties, ignored lines and white space do not count;
    // plain comments do.
    let plain = "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n";
    let (_d, base) = liquibase_folder(plain);
    let want = liquibase_changeset(&base[0]).unwrap().unwrap();
    let same = [
        "--liquibase formatted sql\r\n--changeset a:1 runOnChange:true\r\nCREATE   TABLE t\r\n  (id int);\r\n",
        "--liquibase formatted sql\n--changeset a:1\n--comment: makes t\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n",
        "--liquibase formatted sql\n--changeset a:1\n--validCheckSum: 9:0\n--property name:x value:y\nCREATE TABLE t (id int);\n",
        "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n/* liquibase rollback\nDROP TABLE t;\n*/\n",
        "--liquibase formatted sql\n--changeset a:1\n--ignoreLines:start\nSELECT 'not run';\n--ignoreLines:end\nCREATE TABLE t (id int);\n--ignoreLines:1\nSELECT 'not run either';\n",
    ];
    for text in same {
        let (_d, m) = liquibase_folder(text);
        assert_eq!(
            liquibase_changeset(&m[0]).unwrap().as_ref(),
            Some(&want),
            "{text:?}"
        );
    }
    let different = [
        "--liquibase formatted sql\n--changeset a:1\n-- makes t\nCREATE TABLE t (id int);\n",
        "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id bigint);\n",
    ];
    for text in different {
        let (_d, m) = liquibase_folder(text);
        assert_ne!(
            liquibase_changeset(&m[0]).unwrap().as_ref(),
            Some(&want),
            "{text:?}"
        );
    }
}

#[test]
fn liquibase_changeset_edited_since_it_was_read_has_none() {
    let (dir, migrations) = liquibase_folder(LIQUIBASE_CHANGELOG);
    fs::write(
        dir.path().join("changelog.sql"),
        LIQUIBASE_CHANGELOG.replace("remote_identifier", "remote_id"),
    )
    .unwrap();
    assert!(liquibase_changeset(&migrations[0]).unwrap().is_some());
    assert_eq!(liquibase_changeset(&migrations[1]).unwrap(), None);
}

/// The plan `sqitch add`, `sqitch tag` and `sqitch rework` (Sqitch 1.3.1) wrote here for
/// project `flipr`, whose `sqitch deploy` stored the ids below.
fn sqitch_change(name: &str, planned_at: &str, note: &str) -> SqitchChange {
    SqitchChange {
        project: "flipr".to_owned(),
        uri: Some("https://github.com/example/flipr/".to_owned()),
        name: name.to_owned(),
        planner_name: "Marge N. O’Vera".to_owned(),
        planner_email: "marge@example.com".to_owned(),
        planned_at: planned_at.to_owned(),
        note: note.to_owned(),
        ..SqitchChange::default()
    }
}

#[test]
fn sqitch_ids_are_what_sqitch_wrote() {
    // appschema 2026-12-03T11:54:26Z Marge N. O’Vera <marge@example.com> # Add schema for all flipr objects.
    let appschema = sqitch_change(
        "appschema",
        "2026-12-03T11:54:26Z",
        "Add schema for all flipr objects.",
    );
    let appschema_id = sqitch_change_id(&appschema);
    assert_eq!(appschema_id, "b0937db76e337f6a3ebb26d9aff6b2a6ae22fc95");
    // users [appschema] 2026-12-03T11:54:27Z ... # Creates table to track our users.
    let users = SqitchChange {
        requires: vec!["appschema".to_owned()],
        parent: Some(appschema_id),
        ..sqitch_change(
            "users",
            "2026-12-03T11:54:27Z",
            "Creates table to track our users.",
        )
    };
    let users_id = sqitch_change_id(&users);
    assert_eq!(users_id, "02e4c5e7a0c14468dc2c46e7844a8a91c60e2b15");
    // @v1.0.0-dev1 2026-12-03T11:54:27Z ... # Tag v1.0.0-dev1.
    let tag = SqitchTag {
        project: "flipr".to_owned(),
        uri: Some("https://github.com/example/flipr/".to_owned()),
        name: "v1.0.0-dev1".to_owned(),
        change_id: users_id.clone(),
        planner_name: "Marge N. O’Vera".to_owned(),
        planner_email: "marge@example.com".to_owned(),
        planned_at: "2026-12-03T11:54:27Z".to_owned(),
        note: "Tag v1.0.0-dev1.".to_owned(),
    };
    assert_eq!(
        sqitch_tag_id(&tag),
        "1ee5ac1ae4e4206ed38a3731f0a3944a5f29118b"
    );
    // widgets [users !gadgets] 2026-12-03T11:54:28Z ... # Widgets.
    let widgets = SqitchChange {
        requires: vec!["users".to_owned()],
        conflicts: vec!["gadgets".to_owned()],
        parent: Some(users_id),
        ..sqitch_change("widgets", "2026-12-03T11:54:28Z", "Widgets.")
    };
    let widgets_id = sqitch_change_id(&widgets);
    assert_eq!(widgets_id, "a7918ebed617a68b76eacb5ddc8f75323796346e");
    // users [users@v1.0.0-dev1] 2026-12-03T11:54:36Z ... # Reworked users.
    let reworked = SqitchChange {
        requires: vec!["users@v1.0.0-dev1".to_owned()],
        parent: Some(widgets_id),
        ..sqitch_change("users", "2026-12-03T11:54:36Z", "Reworked users.")
    };
    assert_eq!(
        sqitch_change_id(&reworked),
        "66117dcc1e2a9eac843dd15034d3a60dd921b763"
    );
}

#[test]
fn sqitch_ids_from_the_plan_pgfleet_reads() {
    // The first lines of that plan, read by the Sqitch format reader.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("sqitch.plan"),
        "%syntax-version=1.0.0\n%project=flipr\n%uri=https://github.com/example/flipr/\n\nappschema 2026-12-03T11:54:26Z Marge N. O’Vera <marge@example.com> # Add schema for all flipr objects.\nusers [appschema] 2026-12-03T11:54:27Z Marge N. O’Vera <marge@example.com> # Creates table to track our users.\n@v1.0.0-dev1 2026-12-03T11:54:27Z Marge N. O’Vera <marge@example.com> # Tag v1.0.0-dev1.\n",
    )
    .unwrap();
    let plan = formats::sqitch_plan(dir.path()).unwrap();
    assert_eq!(
        sqitch_ids(&plan),
        [
            SqitchIds {
                change_id: "b0937db76e337f6a3ebb26d9aff6b2a6ae22fc95".to_owned(),
                tag_ids: vec![],
            },
            SqitchIds {
                change_id: "02e4c5e7a0c14468dc2c46e7844a8a91c60e2b15".to_owned(),
                tag_ids: vec!["1ee5ac1ae4e4206ed38a3731f0a3944a5f29118b".to_owned()],
            },
        ]
    );
    // A change line without its planner has no id: refused, naming the line.
    fs::write(
        dir.path().join("sqitch.plan"),
        "%project=flipr\n\nappschema\n",
    )
    .unwrap();
    let err = formats::sqitch_plan(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("sqitch.plan:3: change `appschema` has no `<timestamp>"),
        "{err}"
    );
}

#[test]
fn sqitch_script_hash_is_what_sqitch_wrote() {
    // The deploy scripts of that project: CRLF, a BOM and non-ASCII are hashed as bytes.
    let cases: [(&[u8], &str); 3] = [
        (
            b"BEGIN;\r\nCREATE SCHEMA flipr;\r\nCOMMIT;\r\n",
            "678d747dd7a08bc4767c0b5d3ec3ee8b9c12ae22",
        ),
        (
            "\u{feff}BEGIN;\nCREATE TABLE flipr.users (nickname TEXT PRIMARY KEY, note TEXT DEFAULT 'café');\nCOMMIT;\n".as_bytes(),
            "c68f88f4a8d9381f255ac1fb543ec296e6498caa",
        ),
        (
            b"CREATE TABLE flipr.widgets (id int);\n",
            "1c89eb590da06a8e7ffa1022cf5a0a71a9757235",
        ),
    ];
    for (script, stored) in cases {
        assert_eq!(sqitch_script_hash(script), stored);
    }
}

#[test]
fn sqitch_notes_as_sqitch_reads_them() {
    assert_eq!(sqitch_note("  Adds a\\nb \\\\ c\\r "), "Adds a\nb \\ c\r");
    assert_eq!(sqitch_note("no \\t escape"), "no \\t escape");
    // Perl's truth: a note of `0` is left out of the id, like no note.
    let zero = sqitch_change("x", "2026-12-03T11:54:26Z", "0");
    let none = sqitch_change("x", "2026-12-03T11:54:26Z", "");
    assert_eq!(sqitch_change_id(&zero), sqitch_change_id(&none));
}

#[test]
fn graphile_and_atlas_hashes_are_the_format_readers() {
    // graphile/graphile-migrate's own fixture (see the format reader's tests).
    let body = "-- Enter migration here\nSELECT 1;\n";
    assert_eq!(
        graphile_migrate(body, None),
        formats::graphile_migrate_hash(body, None)
    );
    assert!(graphile_migrate(body, None).starts_with("sha1:"));
    // ariga/atlas's revision hash is the file's `atlas.sum` entry.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("atlas.sum"),
        "h1:UKLUIELQ6N5aUY7pOonMrgvybz9G1vEibkHHFduRd4w=\n20230824215746.sql h1:bCLrrBfDa1o9dekkog8V3gdW8a2tdOHKYk/2MItd98g=\n",
    )
    .unwrap();
    assert_eq!(
        atlas(dir.path(), "20230824215746.sql").unwrap().as_deref(),
        Some("bCLrrBfDa1o9dekkog8V3gdW8a2tdOHKYk/2MItd98g=")
    );
    assert_eq!(atlas(dir.path(), "other.sql").unwrap(), None);
}
