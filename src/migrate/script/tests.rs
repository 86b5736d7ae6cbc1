use super::lexer::{BLOCK_COMMENT, DOLLAR_QUOTED, QUOTED_IDENT, QUOTED_STRING};
use super::*;

#[test]
fn fuzz_corpus_replays() {
    for (_, text) in crate::fuzz_corpus::read("script") {
        fuzz_split(&text);
    }
}

#[test]
fn a_nul_byte_is_an_error_naming_its_line() {
    assert_eq!(
        split("SELECT 1;\nSELECT 'a\0b';\n"),
        Err(ScriptError::NulByte { line: 2 })
    );
}

/// The statements `in_transaction` keeps, or the line of the one it refuses.
fn kept(source: &str) -> Result<Vec<String>, (usize, String)> {
    let pieces = split(source).unwrap();
    match in_transaction(&pieces) {
        Ok(inner) => Ok(inner.iter().map(|p| p.sql.clone()).collect()),
        Err(ScriptError::TransactionControl {
            line, statement, ..
        }) => Err((line, statement)),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn transaction_control_inside_a_migration() {
    let ok = |v: &[&str]| Ok(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    // A whole-file wrapper is dropped: pgfleet's own transaction replaces it.
    assert_eq!(kept("BEGIN;\nSELECT 1;\nCOMMIT;\n"), ok(&["SELECT 1;"]));
    assert_eq!(
        kept("start transaction;\nSELECT 1;\nend;"),
        ok(&["SELECT 1;"])
    );
    assert_eq!(kept("-- c\nBEGIN;\nCOMMIT;\n"), ok(&[]));
    // Savepoints, function bodies and DO blocks are not transaction control.
    assert_eq!(
        kept("SAVEPOINT a;\nROLLBACK TO SAVEPOINT a;\nROLLBACK TO a;\nRELEASE a;\n"),
        ok(&[
            "SAVEPOINT a;",
            "ROLLBACK TO SAVEPOINT a;",
            "ROLLBACK TO a;",
            "RELEASE a;"
        ])
    );
    assert_eq!(
        kept(
            "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
        ),
        ok(&[
            "DO $$ BEGIN PERFORM 1; END $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"
        ])
    );
    assert_eq!(
        kept("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n"),
        Err((2, "COMMIT".to_owned()))
    );
    assert_eq!(
        kept("BEGIN;\nSELECT 1;\nROLLBACK;\n"),
        Err((1, "BEGIN".to_owned()))
    );
    assert_eq!(
        kept("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n"),
        Err((3, "COMMIT".to_owned()))
    );
    assert_eq!(
        kept("SELECT 1;\n/* x */ abort;\n"),
        Err((2, "abort".to_owned()))
    );
    let pieces = split("SELECT 1;\nBEGIN;\n").unwrap();
    assert_eq!(
        in_transaction(&pieces).unwrap_err().to_string(),
        "line 2: `BEGIN` would nest a transaction in the transaction the migration runs in"
    );
    assert_eq!(
        kept("PREPARE TRANSACTION 'x';\n"),
        Err((1, "PREPARE TRANSACTION 'x'".to_owned()))
    );
}

/// (start line, sql) of every piece.
fn split_lines(source: &str) -> Vec<(usize, String)> {
    split(source)
        .unwrap_or_else(|e| panic!("split failed: {e}\n{source}"))
        .into_iter()
        .map(|piece| (piece.start_line, piece.sql))
        .collect()
}

fn owned(expected: &[(usize, &str)]) -> Vec<(usize, String)> {
    expected
        .iter()
        .map(|&(line, sql)| (line, sql.to_owned()))
        .collect()
}

fn statement(sql: &str) -> Piece {
    Piece::statement(sql)
}

#[test]
fn splits_like_psql() {
    type Case<'a> = (&'a str, &'a str, &'a [(usize, &'a str)]);
    let cases: &[Case] = &[
        (
            "one per line",
            "SELECT 1;\nSELECT 2;\n",
            &[(1, "SELECT 1;"), (2, "SELECT 2;")],
        ),
        (
            "final statement without semicolon",
            "SELECT 1;\n\nSELECT 2\n-- trailing comment\n",
            &[(1, "SELECT 1;"), (3, "SELECT 2")],
        ),
        (
            "empty pieces are dropped",
            ";;\n-- only a comment\n/* c */ ;\n\n  SELECT 1;\n;",
            &[(5, "SELECT 1;")],
        ),
        (
            "leading comments are not part of sql, inner ones are",
            "-- lead\n/* block */ SELECT 1 -- trailing; x\n + 1;",
            &[(2, "SELECT 1 -- trailing; x\n + 1;")],
        ),
        (
            "line comment hides a semicolon",
            "SELECT 1 -- a;b\n+ 1;SELECT 2;",
            &[(1, "SELECT 1 -- a;b\n+ 1;"), (2, "SELECT 2;")],
        ),
        (
            "block comments nest",
            "SELECT /* a /* b; */ c; */ 1;\nSELECT 2;",
            &[(1, "SELECT /* a /* b; */ c; */ 1;"), (2, "SELECT 2;")],
        ),
        (
            "plain string: '' escapes, backslash does not",
            "SELECT 'a;''b';SELECT 'c:\\';SELECT 3;",
            &[
                (1, "SELECT 'a;''b';"),
                (1, "SELECT 'c:\\';"),
                (1, "SELECT 3;"),
            ],
        ),
        (
            "E-string honours backslash escapes",
            "SELECT E'it\\'s; x';\nSELECT e'\\\\';\nSELECT 3;",
            &[
                (1, "SELECT E'it\\'s; x';"),
                (2, "SELECT e'\\\\';"),
                (3, "SELECT 3;"),
            ],
        ),
        (
            "E at the tail of an identifier is not an E-string",
            "SELECT name'\\';SELECT 2;",
            &[(1, "SELECT name'\\';"), (1, "SELECT 2;")],
        ),
        (
            "E after an identifier and a space is an E-string",
            "SELECT name E'\\';x';SELECT 2;",
            &[(1, "SELECT name E'\\';x';"), (1, "SELECT 2;")],
        ),
        (
            "a string on the next line does not continue an E-string (psql lexes by line)",
            "SELECT E'a'\n  'b\\';SELECT 2;",
            &[(1, "SELECT E'a'\n  'b\\';"), (2, "SELECT 2;")],
        ),
        (
            "U&, B, X and N strings are plain-quoted",
            "SELECT U&'a\\';SELECT B'1', X'f', N'n\\';SELECT U&\"x;\";",
            &[
                (1, "SELECT U&'a\\';"),
                (1, "SELECT B'1', X'f', N'n\\';"),
                (1, "SELECT U&\"x;\";"),
            ],
        ),
        (
            "quoted identifiers with doubled quotes",
            "SELECT 1 AS \"a;\"\"b\";SELECT 2;",
            &[(1, "SELECT 1 AS \"a;\"\"b\";"), (1, "SELECT 2;")],
        ),
        (
            "dollar quotes, empty and tagged",
            "SELECT $$a;b$$;\nSELECT $tag$ $$ ; $tag$;",
            &[(1, "SELECT $$a;b$$;"), (2, "SELECT $tag$ $$ ; $tag$;")],
        ),
        (
            "nested dollar quotes with other tags are text",
            "SELECT $outer$ x $inner$ ; $$ ; $inner$ y $outer$;\nSELECT 2;",
            &[
                (1, "SELECT $outer$ x $inner$ ; $$ ; $inner$ y $outer$;"),
                (2, "SELECT 2;"),
            ],
        ),
        (
            "dollar inside an identifier does not open a quote",
            "SELECT a$$ ;SELECT a$b$ ;SELECT 3;",
            &[(1, "SELECT a$$ ;"), (1, "SELECT a$b$ ;"), (1, "SELECT 3;")],
        ),
        (
            "positional parameter is not a dollar quote",
            "PREPARE p(int) AS SELECT $1;SELECT 2;",
            &[(1, "PREPARE p(int) AS SELECT $1;"), (1, "SELECT 2;")],
        ),
        (
            "dollar quote right after a number opens (as psql does)",
            "SELECT 1$$;$$;SELECT 2;",
            &[(1, "SELECT 1$$;$$;"), (1, "SELECT 2;")],
        ),
        (
            "a lone dollar is just text",
            "SELECT $ ;SELECT 2;",
            &[(1, "SELECT $ ;"), (1, "SELECT 2;")],
        ),
        (
            "semicolon inside parentheses does not end the statement",
            "SELECT (1;\n2);SELECT 3;",
            &[(1, "SELECT (1;\n2);"), (2, "SELECT 3;")],
        ),
        (
            "DO block",
            "DO $do$\nBEGIN\n  PERFORM 1;\nEND\n$do$;\nSELECT 2;",
            &[
                (1, "DO $do$\nBEGIN\n  PERFORM 1;\nEND\n$do$;"),
                (6, "SELECT 2;"),
            ],
        ),
        (
            "BEGIN ATOMIC body with CASE stays one statement",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND;\nSELECT 2;",
            &[
                (
                    1,
                    "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND;",
                ),
                (6, "SELECT 2;"),
            ],
        ),
        (
            "CREATE OR REPLACE PROCEDURE with BEGIN ATOMIC",
            "create or replace procedure p() language sql begin atomic insert into t values (1); end;select 2;",
            &[
                (
                    1,
                    "create or replace procedure p() language sql begin atomic insert into t values (1); end;",
                ),
                (1, "select 2;"),
            ],
        ),
        (
            "CASE outside a BEGIN block does not open one",
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql RETURN CASE WHEN a > 0 THEN 1 END;SELECT 2;",
            &[
                (
                    1,
                    "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql RETURN CASE WHEN a > 0 THEN 1 END;",
                ),
                (1, "SELECT 2;"),
            ],
        ),
        (
            "a transaction block still splits",
            "BEGIN;\nSELECT 1;\nEND;\nBEGIN; CREATE TABLE begin_end (); COMMIT;",
            &[
                (1, "BEGIN;"),
                (2, "SELECT 1;"),
                (3, "END;"),
                (4, "BEGIN;"),
                (4, "CREATE TABLE begin_end ();"),
                (4, "COMMIT;"),
            ],
        ),
        (
            "BEGIN in a quoted body does not count",
            "CREATE FUNCTION f() RETURNS void AS 'begin' LANGUAGE sql;SELECT 2;",
            &[
                (
                    1,
                    "CREATE FUNCTION f() RETURNS void AS 'begin' LANGUAGE sql;",
                ),
                (1, "SELECT 2;"),
            ],
        ),
        (
            "CRLF line endings",
            "SELECT 1;\r\nSELECT\r\n  2;\r\n",
            &[(1, "SELECT 1;"), (2, "SELECT\r\n  2;")],
        ),
        (
            "multibyte identifiers and strings",
            "SELECT 'é;' AS été;\nSELECT ü$$ ;",
            &[(1, "SELECT 'é;' AS été;"), (2, "SELECT ü$$ ;")],
        ),
    ];
    for (name, source, expected) in cases {
        assert_eq!(split_lines(source), owned(expected), "case: {name}");
    }
}

#[test]
fn offsets_skip_the_bom() {
    let source = "\u{feff}SELECT 1;\r\n  SELECT 2;";
    let pieces = split(source).unwrap();
    assert_eq!(pieces.len(), 2);
    assert_eq!((pieces[0].start_offset, pieces[0].start_line), (3, 1));
    assert_eq!((pieces[1].start_offset, pieces[1].start_line), (16, 2));
    for piece in &pieces {
        assert!(source[piece.start_offset..].starts_with(&piece.sql));
    }
}

#[test]
fn copy_from_stdin_takes_the_data_lines() {
    type Case<'a> = (&'a str, &'a str, &'a [(usize, &'a str, Option<&'a str>)]);
    let cases: &[Case] = &[
        (
            "data then another statement",
            "COPY t FROM stdin;\n1\tone; 'x'\n2\t\\N\n\\.\nSELECT 1;\n",
            &[
                (1, "COPY t FROM stdin;", Some("1\tone; 'x'\n2\t\\N\n")),
                (5, "SELECT 1;", None),
            ],
        ),
        (
            "options, lower case, CSV",
            "copy t (a, b) from STDIN with (format csv);\n\"a;\",1\n\\.\ncopy t from stdin csv;\nx,2\n\\.\n",
            &[
                (
                    1,
                    "copy t (a, b) from STDIN with (format csv);",
                    Some("\"a;\",1\n"),
                ),
                (4, "copy t from stdin csv;", Some("x,2\n")),
            ],
        ),
        (
            "data to the end of the file gets a final newline",
            "COPY t FROM STDIN;\n1\n2",
            &[(1, "COPY t FROM STDIN;", Some("1\n2\n"))],
        ),
        (
            "no data at all",
            "COPY t FROM STDIN;",
            &[(1, "COPY t FROM STDIN;", Some(""))],
        ),
        (
            "CRLF terminator and a data line that only starts with \\.",
            "COPY t FROM stdin;\r\n\\.x\r\n\\.\r\nSELECT 1;",
            &[
                (1, "COPY t FROM stdin;", Some("\\.x\r\n")),
                (4, "SELECT 1;", None),
            ],
        ),
        (
            "rest of the COPY line runs after the data, as in psql",
            "COPY t FROM stdin; SELECT 2; -- c\n1\n\\.\nSELECT 3;",
            &[
                (1, "COPY t FROM stdin;", Some("1\n")),
                (1, "SELECT 2;", None),
                (4, "SELECT 3;", None),
            ],
        ),
        (
            "two COPYs on one line read consecutive data",
            "COPY a FROM stdin; COPY b FROM stdin;\n1\n\\.\n2\n\\.\nSELECT 3;",
            &[
                (1, "COPY a FROM stdin;", Some("1\n")),
                (1, "COPY b FROM stdin;", Some("2\n")),
                (6, "SELECT 3;", None),
            ],
        ),
        (
            "COPY TO STDOUT, FROM a file, and stdin in a query are statements",
            "COPY t TO STDOUT;\nCOPY t FROM '/tmp/x';\nCOPY (SELECT * FROM stdin) TO STDOUT;\nCOPY t FROM \"stdin\";",
            &[
                (1, "COPY t TO STDOUT;", None),
                (2, "COPY t FROM '/tmp/x';", None),
                (3, "COPY (SELECT * FROM stdin) TO STDOUT;", None),
                (4, "COPY t FROM \"stdin\";", None),
            ],
        ),
    ];
    for (name, source, expected) in cases {
        let got: Vec<(usize, String, Option<String>)> = split(source)
            .unwrap()
            .into_iter()
            .map(|piece| {
                let data = match piece.kind {
                    PieceKind::Statement => None,
                    PieceKind::CopyFromStdin { data } => Some(data),
                };
                (piece.start_line, piece.sql, data)
            })
            .collect();
        let expected: Vec<(usize, String, Option<String>)> = expected
            .iter()
            .map(|&(line, sql, data)| (line, sql.to_owned(), data.map(str::to_owned)))
            .collect();
        assert_eq!(got, expected, "case: {name}");
    }
}

#[test]
fn errors_name_the_line_where_it_went_wrong() {
    let meta = |line: usize, command: &str| ScriptError::MetaCommand {
        line,
        command: command.to_owned(),
    };
    let open = |line: usize, what: &'static str| ScriptError::Unterminated { line, what };
    let cases: &[(&str, ScriptError)] = &[
        ("\\set x 1\nSELECT 1;", meta(1, "\\set")),
        ("SELECT 1;\n  \\i other.sql\n", meta(2, "\\i")),
        ("SELECT 1;\n\\connect db\nSELECT 2;", meta(2, "\\connect")),
        ("SELECT 1\n\\gset\n", meta(2, "\\gset")),
        ("SELECT 1 \\g", meta(1, "\\g")),
        ("SELECT 1\\; SELECT 2;", meta(1, "\\;")),
        ("\\. \n", meta(1, "\\.")),
        ("\\", meta(1, "\\")),
        ("SELECT 1;\nSELECT 'abc;\n\n", open(2, QUOTED_STRING)),
        ("SELECT E'\\';", open(1, QUOTED_STRING)),
        ("\n\nSELECT $a$ x $b$;", open(3, DOLLAR_QUOTED)),
        ("SELECT 1; /* /* */\nSELECT 2;", open(1, BLOCK_COMMENT)),
        ("SELECT \"abc;\nx", open(1, QUOTED_IDENT)),
        ("COPY t FROM stdin; SELECT\n1\n\\.\n2;", open(1, AFTER_COPY)),
    ];
    for (source, expected) in cases {
        assert_eq!(split(source).as_ref(), Err(expected), "source: {source:?}");
    }
}

#[test]
fn error_messages() {
    assert_eq!(
        split("\\set x 1").unwrap_err().to_string(),
        "line 1: psql meta-command `\\set` cannot run through pgfleet"
    );
    assert_eq!(
        split("SELECT 1;\nSELECT $$").unwrap_err().to_string(),
        "line 2: unterminated dollar-quoted string"
    );
}

#[test]
fn changes_session_finds_session_settings() {
    let cases: &[(&str, bool)] = &[
        ("SET statement_timeout = 0;", true),
        ("set search_path to public;", true),
        ("SET SESSION search_path = ''", true),
        ("SET LOCAL search_path = public;", false),
        ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;", false),
        ("SET CONSTRAINTS ALL DEFERRED;", false),
        ("RESET search_path;", true),
        (
            "SELECT pg_catalog.set_config('search_path', '', false);",
            true,
        ),
        ("SELECT 'set_config(';", false),
        ("-- SET x = 1\nSELECT 1;", false),
        ("UPDATE t SET a = 1;", false),
    ];
    for (sql, want) in cases {
        assert_eq!(Piece::statement(sql).changes_session(), *want, "{sql}");
    }
}

#[test]
fn needs_no_transaction_matches_keywords_only() {
    let cases: &[(&str, bool)] = &[
        ("CREATE INDEX CONCURRENTLY i ON t (a);", true),
        ("create unique index concurrently i on t (a);", true),
        (
            "CREATE /* c */ INDEX\n-- x\n CONCURRENTLY i ON t (a);",
            true,
        ),
        ("CREATE INDEX i ON t (a);", false),
        ("DROP INDEX CONCURRENTLY IF EXISTS i;", true),
        ("DROP INDEX i;", false),
        ("REINDEX TABLE CONCURRENTLY t;", true),
        ("REINDEX (CONCURRENTLY) TABLE t;", true),
        ("REINDEX (VERBOSE) SCHEMA s;", true),
        ("REINDEX TABLE t;", false),
        ("CREATE DATABASE d;", true),
        ("DROP DATABASE IF EXISTS d;", true),
        ("ALTER DATABASE d SET TABLESPACE x;", true),
        ("ALTER DATABASE d SET work_mem = '1MB';", false),
        ("VACUUM;", true),
        ("vacuum (analyze) t;", true),
        ("ANALYZE t;", false),
        ("ALTER SYSTEM SET work_mem = '1MB';", true),
        ("CREATE TABLESPACE x LOCATION '/x';", true),
        ("DROP TABLESPACE x;", true),
        ("ALTER TABLESPACE x RENAME TO y;", false),
        ("DISCARD ALL;", true),
        ("DISCARD PLANS;", false),
        ("ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", true),
        ("ALTER TABLE p DETACH PARTITION c;", false),
        ("ALTER TYPE mood ADD VALUE 'x';", false),
        ("SELECT 'CREATE INDEX CONCURRENTLY';", false),
        ("/* VACUUM */ SELECT 1;", false),
        ("-- VACUUM\nSELECT 1;", false),
        ("SELECT $$VACUUM$$;", false),
        ("CREATE INDEX \"concurrently\" ON t (a);", false),
        ("CREATE TABLE vacuum (a int);", false),
    ];
    for (sql, expected) in cases {
        assert_eq!(
            statement(sql).needs_no_transaction(150_000),
            *expected,
            "sql: {sql}"
        );
    }
}

#[test]
fn alter_type_add_value_depends_on_the_server_version() {
    let piece = statement("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'sad';");
    assert!(piece.needs_no_transaction(110_000));
    assert!(piece.needs_no_transaction(119_999));
    assert!(!piece.needs_no_transaction(120_000));
    assert!(!piece.needs_no_transaction(150_000));
    let rename = statement("ALTER TYPE mood RENAME VALUE 'a' TO 'b';");
    assert!(!rename.needs_no_transaction(110_000));
}

#[test]
fn line_of_position_counts_characters() {
    let source = "SELECT 1;\n\n-- lead\nSELECT 'héllo wörld',\n  'ünïcødé ✓',\n  bad_column;";
    let pieces = split(source).unwrap();
    let piece = &pieces[1];
    assert_eq!(piece.start_line, 4);
    let bytes = piece.sql.find("bad_column").unwrap();
    let chars = piece.sql[..bytes].chars().count() + 1;
    assert!(chars < bytes + 1, "the test needs multibyte characters");
    assert_eq!(piece.line_of_position(chars), 6);
    // Byte position of `bad_column` lands further on: it must not be used.
    assert_eq!(piece.line_of_position(1), 4);
    assert_eq!(piece.line_of_position(0), 4);
    let second_line = piece.sql.find("'ü").unwrap();
    assert_eq!(
        piece.line_of_position(piece.sql[..second_line].chars().count() + 1),
        5
    );
    assert_eq!(piece.line_of_position(10_000), 6);
}

/// The test script of POSTGRES-NOTES.md section 5, which pg_query and sqlparser
/// mis-split.
const NOTES_SCRIPT: &str = r#"-- migration with every trap
SELECT 'a;b' AS "x;y";
/* outer /* inner; */ still comment; */
SELECT E'it\'s; x';
CREATE FUNCTION f1() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
CREATE FUNCTION f2() RETURNS text LANGUAGE plpgsql AS $outer$
BEGIN
  RETURN $inner$ ; $$ ; $inner$;
END
$outer$;
DO $do$
BEGIN
  PERFORM 1;
END
$do$;
CREATE FUNCTION f3(a int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  SELECT a + 1;
  SELECT CASE WHEN a > 0 THEN a END;
END;
CREATE INDEX CONCURRENTLY t_a ON t (a);
COPY t FROM stdin;
1	one;
2	two
\.
SELECT 'after copy';
"#;

#[test]
fn notes_script_splits_as_psql_does() {
    let pieces = split(NOTES_SCRIPT).unwrap();
    let summary: Vec<(usize, &str)> = pieces
        .iter()
        .map(|piece| (piece.start_line, piece.sql.lines().next().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (2, "SELECT 'a;b' AS \"x;y\";"),
            (4, "SELECT E'it\\'s; x';"),
            (
                5,
                "CREATE FUNCTION f1() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;"
            ),
            (
                6,
                "CREATE FUNCTION f2() RETURNS text LANGUAGE plpgsql AS $outer$"
            ),
            (11, "DO $do$"),
            (16, "CREATE FUNCTION f3(a int) RETURNS int"),
            (22, "CREATE INDEX CONCURRENTLY t_a ON t (a);"),
            (23, "COPY t FROM stdin;"),
            (27, "SELECT 'after copy';"),
        ]
    );
    assert!(pieces[5].sql.ends_with("END;"));
    assert_eq!(
        pieces[7].kind,
        PieceKind::CopyFromStdin {
            data: "1\tone;\n2\ttwo\n".to_owned()
        }
    );
    let flagged: Vec<bool> = pieces
        .iter()
        .map(|piece| piece.needs_no_transaction(150_000))
        .collect();
    assert_eq!(
        flagged,
        [false, false, false, false, false, false, true, false, false]
    );
    assert!(needs_no_transaction(&pieces, 150_000));
    assert!(!needs_no_transaction(&pieces[..6], 150_000));
}

#[test]
fn notes_script_with_set_is_refused() {
    let script = format!("{NOTES_SCRIPT}\\set ON_ERROR_STOP on\nSELECT 1;\n");
    assert_eq!(
        split(&script),
        Err(ScriptError::MetaCommand {
            line: 28,
            command: "\\set".to_owned()
        })
    );
}

#[test]
fn plain_create_schema_only() {
    let cases = [
        ("CREATE SCHEMA \"billing\";", Some("billing")),
        ("create schema Billing", Some("billing")),
        (
            "CREATE SCHEMA \"Billing\" AUTHORIZATION app;",
            Some("Billing"),
        ),
        ("CREATE SCHEMA IF NOT EXISTS billing;", None),
        ("CREATE SCHEMA AUTHORIZATION app;", None),
        ("CREATE TABLE schema (id int);", None),
    ];
    for (sql, want) in cases {
        assert_eq!(created_schema(sql).as_deref(), want, "{sql}");
    }
}
