//! goose SQL migrations: `<version>_<name>.sql` (sequential `00001` or timestamp
//! versions) with annotations in `--` comments, as goose's documentation and its SQL
//! parser (`internal/sqlparser` in pressly/goose v3) describe them:
//!
//! - `-- +goose Up` starts the up script (required), `-- +goose Down` the down script;
//! - `-- +goose StatementBegin` / `-- +goose StatementEnd` enclose one statement sent as
//!   written, whatever `;` it holds (function bodies);
//! - `-- +goose NO TRANSACTION` anywhere in the file runs it outside a transaction;
//! - `-- +goose ENVSUB ON` / `OFF`: between them `${VAR}`, `$VAR`, `${VAR:-default}`,
//!   `${VAR-default}` and `${VAR:?message}` are replaced from the process environment.
//!   An unset variable becomes an empty string, as goose's `interpolate` package does;
//!   `${VAR:?message}` is an error naming the file and line; `$$` is a literal `$`.
//!
//! Annotations are matched case-insensitively (`-- +goose up` is `Up`). Outside
//! `StatementBegin` blocks statements are split with psql's rules, which accept
//! everything goose's own `;`-at-end-of-line rule does.
//!
//! goose's Go migrations (`<version>_<name>.go`, not `_test.go`) run Go code pgfleet
//! cannot run: they are listed as migrations that block `migrate` until goose has
//! applied them (then they are adopted from `goose_db_version`).

use std::path::{Path, PathBuf};

use super::{
    Folder, Format, FormatError, Kind, Migration, Source, Statement, Transaction, Version,
    file_name, finish, lines, list, read_source, split_version_name, timestamped_file,
};

/// What goose Go migrations are, for status and the refusal.
pub(super) const GO_REASON: &str =
    "goose Go migrations run Go code that only goose can run; pgfleet reads SQL migrations";

/// One goose annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Annotation {
    Up,
    Down,
    StatementBegin,
    StatementEnd,
    NoTransaction,
    EnvsubOn,
    EnvsubOff,
}

/// If `line` is a goose annotation, which one; `Err` for an unknown `+goose` word.
fn annotation(line: &str) -> Option<Result<Annotation, String>> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose")?;
    let words: Vec<String> = rest
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    Some(match words.as_slice() {
        ["up"] => Ok(Annotation::Up),
        ["down"] => Ok(Annotation::Down),
        ["statementbegin"] => Ok(Annotation::StatementBegin),
        ["statementend"] => Ok(Annotation::StatementEnd),
        ["no", "transaction"] => Ok(Annotation::NoTransaction),
        ["envsub", "on"] => Ok(Annotation::EnvsubOn),
        ["envsub", "off"] => Ok(Annotation::EnvsubOff),
        _ => Err(rest.trim().to_owned()),
    })
}

/// Whether `line` is any `-- +goose` annotation (for detection).
pub(super) fn is_annotation(line: &str) -> bool {
    annotation(line).is_some()
}

/// `<version>_<name>.sql` or `.go` -> (version, name, is_go). `_test.go` files are
/// goose's tests, not migrations.
fn parse_name(file: &str) -> Option<(Version, &str, bool)> {
    if let Some(stem) = file.strip_suffix(".sql") {
        let (version, name) = split_version_name(stem)?;
        return Some((version, name, false));
    }
    let stem = file.strip_suffix(".go")?;
    if stem.ends_with("_test") {
        return None;
    }
    let (version, name) = split_version_name(stem)?;
    Some((version, name, true))
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    for path in listing.files {
        let Some((version, name, go)) = file_name(&path).and_then(parse_name) else {
            unmatched.push(path);
            continue;
        };
        let name = name.to_owned();
        let source = read_source(&path)?;
        let migration = if go {
            Migration {
                up: String::new(),
                statements: Some(Vec::new()),
                not_runnable: Some(GO_REASON.to_owned()),
                ..Migration::whole_file(version, name, path, source)
            }
        } else {
            parse(path, version, name, &source, &|key| std::env::var(key).ok())?
        };
        migrations.push(migration);
    }
    finish(dir, Format::Goose, migrations, unmatched)
}

/// Which part of the file a line is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Before,
    Up,
    Down,
}

/// The statements of one section as they are being collected.
#[derive(Default)]
struct Collector {
    statements: Vec<Statement>,
    /// Open text: ordinary script (or a block's body while `in_block`).
    text: String,
    start: usize,
    in_block: bool,
}

impl Collector {
    fn push_line(&mut self, number: usize, content: &str) {
        if self.text.is_empty() {
            self.start = number;
        }
        self.text.push_str(content);
        self.text.push('\n');
    }

    /// Closes the open text as a statement (a block's body is sent whole).
    fn flush(&mut self, whole: bool) {
        let text = std::mem::take(&mut self.text);
        if !super::is_blank_sql(&text) {
            self.statements.push(Statement {
                sql: text,
                line: self.start,
                whole,
            });
        }
    }
}

/// Where [`parse`] is in a goose file, and what it has collected.
struct State {
    section: Section,
    up: Collector,
    down: Collector,
    /// The line after `-- +goose Up`.
    up_line: Option<usize>,
    no_transaction: bool,
    /// Between `+goose ENVSUB ON` and `OFF`: `${VAR}`s are replaced.
    envsub: bool,
}

/// Applies one annotation as goose does; the message for a misplaced one.
fn apply(found: Annotation, state: &mut State) -> Result<(), &'static str> {
    let current = match state.section {
        Section::Down => &mut state.down,
        _ => &mut state.up,
    };
    match found {
        Annotation::Up | Annotation::Down if current.in_block => {
            return Err(
                "`+goose StatementBegin` above is not closed; add `-- +goose StatementEnd`",
            );
        }
        Annotation::Up => {
            if state.section != Section::Before {
                return Err(
                    "a second `-- +goose Up`; a goose file holds one up and one down section",
                );
            }
            state.section = Section::Up;
        }
        Annotation::Down => {
            if state.section == Section::Before {
                return Err(
                    "`-- +goose Down` before `-- +goose Up`; goose wants the up section first",
                );
            }
            state.up.flush(false);
            state.section = Section::Down;
        }
        Annotation::StatementBegin => {
            if current.in_block {
                return Err(
                    "`+goose StatementBegin` inside another; close the first with `-- +goose StatementEnd`",
                );
            }
            current.flush(false);
            current.in_block = true;
        }
        Annotation::StatementEnd => {
            if !current.in_block {
                return Err("`+goose StatementEnd` without a `+goose StatementBegin` above it");
            }
            current.flush(true);
            current.in_block = false;
        }
        Annotation::NoTransaction => state.no_transaction = true,
        Annotation::EnvsubOn => state.envsub = true,
        Annotation::EnvsubOff => state.envsub = false,
    }
    Ok(())
}

/// `lookup` reads an environment variable (the process environment in [`read`]).
fn parse(
    path: PathBuf,
    version: Version,
    name: String,
    source: &Source,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Migration, FormatError> {
    let syntax = |line: usize, message: String| FormatError::Syntax {
        path: path.clone(),
        line,
        message,
    };
    let mut state = State {
        section: Section::Before,
        up: Collector::default(),
        down: Collector::default(),
        up_line: None,
        no_transaction: false,
        envsub: false,
    };
    for line in lines(&source.text) {
        if let Some(found) = annotation(line.content) {
            let found = found.map_err(|word| {
                syntax(
                    line.number,
                    format!(
                        "unknown goose annotation `+goose {word}`; goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON and ENVSUB OFF"
                    ),
                )
            })?;
            let opens_up = matches!(found, Annotation::Up);
            apply(found, &mut state).map_err(|m| syntax(line.number, m.to_owned()))?;
            if opens_up {
                state.up_line = Some(line.number + 1);
            }
            continue;
        }
        let collector = match state.section {
            // goose refuses statements above `+goose Up`; comments and blank lines are fine.
            Section::Before => {
                if !super::is_blank_sql(line.content) {
                    return Err(syntax(
                        line.number,
                        "statement above `-- +goose Up`; move it below the annotation".to_owned(),
                    ));
                }
                continue;
            }
            Section::Up => &mut state.up,
            Section::Down => &mut state.down,
        };
        if state.envsub {
            let text = substitute(line.content, lookup).map_err(|m| syntax(line.number, m))?;
            collector.push_line(line.number, &text);
        } else {
            collector.push_line(line.number, line.content);
        }
    }
    let State {
        mut up,
        mut down,
        up_line,
        no_transaction,
        ..
    } = state;
    let Some(up_line) = up_line else {
        return Err(FormatError::MissingMarker {
            path,
            marker: "-- +goose Up",
        });
    };
    for collector in [&up, &down] {
        if collector.in_block {
            return Err(syntax(
                collector.start,
                "`+goose StatementBegin` is never closed; add `-- +goose StatementEnd`".to_owned(),
            ));
        }
    }
    up.flush(false);
    down.flush(false);
    let down_text = script_text(&down.statements);
    Ok(Migration {
        version,
        name,
        kind: Kind::Versioned,
        up: script_text(&up.statements),
        up_line,
        down: super::down_script(Some(&down_text)),
        transaction: Transaction::unless_marked(no_transaction),
        checksum: source.checksum.clone(),
        statements: Some(up.statements),
        not_runnable: None,
        verify: None,
        path,
    })
}

/// Statements as one script that psql's rules split back the same way: a whole
/// statement without a final `;` gets one, so it does not run into the next.
pub(super) fn script_text(statements: &[Statement]) -> String {
    let mut text = String::new();
    for statement in statements {
        text.push_str(&statement.sql);
        if statement.whole && !statement.sql.trim_end().ends_with(';') {
            text.push_str("\n;\n");
        }
    }
    text
}

/// goose's ENVSUB expansion of one line (see the module comment).
fn substitute(line: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                return Err(format!(
                    "`${{` without a closing `}}` in an ENVSUB region: `{}`",
                    &rest[at..]
                ));
            };
            out.push_str(&expand(&body[..close], lookup)?);
            rest = &body[close + 1..];
        } else {
            let len = identifier_len(after);
            if len == 0 {
                out.push('$');
                rest = after;
            } else {
                out.push_str(&lookup(&after[..len]).unwrap_or_default());
                rest = &after[len..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Length of a variable name at the start of `s`: a letter or `_`, then letters,
/// digits and `_`.
fn identifier_len(s: &str) -> usize {
    let mut len = 0;
    for (i, c) in s.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = i + c.len_utf8();
    }
    len
}

/// `VAR`, `VAR:-default`, `VAR-default`, `VAR:?message`, `VAR?message`.
fn expand(body: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let len = identifier_len(body);
    let (name, op) = body.split_at(len);
    if name.is_empty() {
        return Err(format!("`${{{body}}}` is not a variable name"));
    }
    let value = lookup(name);
    let or_empty = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
    if op.is_empty() {
        return Ok(value.unwrap_or_default());
    }
    if let Some(default) = op.strip_prefix(":-") {
        return Ok(if or_empty(&value) {
            default.to_owned()
        } else {
            value.unwrap_or_default()
        });
    }
    if let Some(default) = op.strip_prefix('-') {
        return Ok(value.unwrap_or_else(|| default.to_owned()));
    }
    let (required, message) = if let Some(m) = op.strip_prefix(":?") {
        (or_empty(&value), m)
    } else if let Some(m) = op.strip_prefix('?') {
        (value.is_none(), m)
    } else {
        return Err(format!(
            "`${{{body}}}` is not a form pgfleet expands; use `${{{name}}}`, `${{{name}:-default}}` or `${{{name}:?message}}`"
        ));
    };
    if required {
        let message = if message.is_empty() {
            "is not set"
        } else {
            message
        };
        return Err(format!("environment variable `{name}` {message}"));
    }
    Ok(value.unwrap_or_default())
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    // The shape of `goose create NAME sql`, with comments where goose puts sample queries.
    let contents = format!(
        "-- +goose Up\n-- +goose StatementBegin\n-- {name}: the up SQL goes here.\n-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\n-- The SQL that undoes it goes here.\n-- +goose StatementEnd\n"
    );
    timestamped_file(dir, name, now, false, existing, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(text: &str, env: &[(&str, &str)]) -> Result<Migration, FormatError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        parse(
            PathBuf::from("1_x.sql"),
            Version::parse_integer("1").unwrap(),
            "x".into(),
            &Source {
                text: text.to_owned(),
                checksum: String::new(),
            },
            &lookup,
        )
    }

    fn sqls(m: &Migration) -> Vec<(String, usize, bool)> {
        m.statements
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| (s.sql.clone(), s.line, s.whole))
            .collect()
    }

    #[test]
    fn annotations() {
        let cases = [
            ("-- +goose Up", Some(Ok(Annotation::Up))),
            ("--+goose up", Some(Ok(Annotation::Up))),
            ("  -- +goose DOWN  \r", Some(Ok(Annotation::Down))),
            (
                "-- +goose StatementBegin",
                Some(Ok(Annotation::StatementBegin)),
            ),
            ("-- +goose statementend", Some(Ok(Annotation::StatementEnd))),
            (
                "-- +goose NO TRANSACTION",
                Some(Ok(Annotation::NoTransaction)),
            ),
            ("-- +goose envsub on", Some(Ok(Annotation::EnvsubOn))),
            ("-- +goose ENVSUB OFF", Some(Ok(Annotation::EnvsubOff))),
            ("-- +goose Sideways", Some(Err("Sideways".to_owned()))),
            ("-- goose Up", None),
            ("SELECT 1; -- +goose Up", None),
        ];
        for (line, want) in cases {
            assert_eq!(annotation(line), want, "line {line:?}");
        }
    }

    #[test]
    fn names() {
        let cases = [
            (
                "00001_create_users.sql",
                Some(("00001", "create_users", false)),
            ),
            (
                "20240101120000_add.sql",
                Some(("20240101120000", "add", false)),
            ),
            ("00003_backfill.go", Some(("00003", "backfill", true))),
            ("00003_backfill_test.go", None),
            ("main.go", None),
            ("create.sql", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|(v, n, go)| (v.as_str().to_owned(), n, go));
            assert_eq!(
                got.as_ref().map(|(v, n, go)| (v.as_str(), *n, *go)),
                want,
                "{file}"
            );
        }
    }

    #[test]
    fn sections_blocks_and_lines() {
        let text = "-- comment\n-- +goose Up\nCREATE TABLE a (id int);\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$\nBEGIN RETURN 1; END;\n$$ LANGUAGE plpgsql\n-- +goose StatementEnd\nSELECT 1;\n\n-- +goose Down\n-- +goose StatementBegin\nDROP FUNCTION f()\n-- +goose StatementEnd\nDROP TABLE a;\n";
        let m = parse_with(text, &[]).unwrap();
        assert_eq!(m.up_line, 3);
        assert_eq!(
            sqls(&m),
            [
                ("CREATE TABLE a (id int);\n".to_owned(), 3, false),
                (
                    "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN RETURN 1; END;\n$$ LANGUAGE plpgsql\n"
                        .to_owned(),
                    5,
                    true
                ),
                ("SELECT 1;\n\n".to_owned(), 9, false),
            ]
        );
        assert_eq!(m.transaction, Transaction::Auto);
        assert_eq!(
            m.down.as_deref(),
            Some("DROP FUNCTION f()\n\n;\nDROP TABLE a;\n")
        );
        // The engine sends the block as one piece, at its file line.
        let pieces = m.pieces().unwrap();
        let lines: Vec<usize> = pieces
            .iter()
            .map(|p| p.start_line + m.up_line - 1)
            .collect();
        assert_eq!(lines, [3, 5, 9]);
        assert_eq!(pieces.len(), 3);
    }

    #[test]
    fn no_transaction_anywhere() {
        let m = parse_with(
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON a (x);\n",
            &[],
        )
        .unwrap();
        assert_eq!(m.transaction, Transaction::Disabled);
        assert_eq!(m.down, None);
    }

    #[test]
    fn envsub_only_inside_its_region() {
        let text = "-- +goose Up\nSELECT '${A}';\n-- +goose ENVSUB ON\nSELECT '${A}', '$A', '${B:-dflt}', '${UNSET}', '$$', '${A-x}';\n-- +goose ENVSUB OFF\nSELECT '${A}';\n";
        let m = parse_with(text, &[("A", "va")]).unwrap();
        assert_eq!(
            m.up,
            "SELECT '${A}';\nSELECT 'va', 'va', 'dflt', '', '$', 'va';\nSELECT '${A}';\n"
        );
        let err = parse_with(
            "-- +goose Up\n-- +goose ENVSUB ON\nSELECT '${NEED:?must be set}';\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "1_x.sql:3: environment variable `NEED` must be set"
        );
    }

    #[test]
    fn refusals() {
        let cases = [
            ("-- nothing\n", "`1_x.sql` has no `-- +goose Up` line"),
            (
                "SELECT 1;\n-- +goose Up\n",
                "1_x.sql:1: statement above `-- +goose Up`",
            ),
            (
                "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
                "1_x.sql:3: `+goose StatementBegin` is never closed",
            ),
            (
                "-- +goose Up\n-- +goose StatementEnd\n",
                "1_x.sql:2: `+goose StatementEnd` without",
            ),
            (
                "-- +goose Up\n-- +goose Upp\n",
                "1_x.sql:2: unknown goose annotation `+goose Upp`",
            ),
            (
                "-- +goose Down\n-- +goose Up\n",
                "1_x.sql:1: `-- +goose Down` before",
            ),
        ];
        for (text, want) in cases {
            let err = parse_with(text, &[]).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
