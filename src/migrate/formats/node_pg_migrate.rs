//! node-pg-migrate SQL migrations: `<version>_<name>.sql` with `-- Up Migration` and
//! `-- Down Migration` markers (its `templates/migration-template.sql`).
//!
//! Markers follow node-pg-migrate's `sqlMigration.ts`: `^\s*--[\s-]*up\s+migration`, case
//! insensitive, on any line. A file starting with a `-- no transaction` comment runs outside
//! a transaction (`^\s*--[\s-]*no\s*transaction` at the start of the file).
//! `node-pg-migrate create --migration-filename-format utc` names files with the UTC time
//! to the millisecond (`YYYYMMDDHHMMSSmmm`), which is what we write; the default
//! `Date.now()` names (13 digits) read the same way.

use std::path::{Path, PathBuf};

use super::{
    FormatError, Migration, Source, Transaction, Version, down_script, split_sections,
    timestamped_file,
};

pub(super) const UP_MARKER: &str = "-- Up Migration";

/// Strips `\s*--[\s-]*` from the start of `line`.
fn comment_body(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("--")?;
    Some(rest.trim_start_matches(|c: char| c.is_whitespace() || c == '-'))
}

/// Case-insensitive `prefix` at the start of `s`, returning the rest.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Whether `line` is the `<direction> Migration` marker (`direction` is `up` or `down`).
pub(super) fn is_marker(line: &str, direction: &str) -> bool {
    let Some(rest) = comment_body(line).and_then(|b| strip_prefix_ci(b, direction)) else {
        return false;
    };
    let trimmed = rest.trim_start();
    trimmed.len() < rest.len() && strip_prefix_ci(trimmed, "migration").is_some()
}

fn transaction(text: &str) -> Transaction {
    let disabled = comment_body(text)
        .and_then(|b| strip_prefix_ci(b, "no"))
        .and_then(|rest| strip_prefix_ci(rest.trim_start(), "transaction"))
        .is_some();
    Transaction::unless_marked(disabled)
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    super::read_single_files(dir, super::Format::NodePgMigrate, parse)
}

fn parse(
    path: PathBuf,
    version: Version,
    name: String,
    source: Source,
) -> Result<Migration, FormatError> {
    let is_up = |l: &str| is_marker(l, "up");
    let is_down = |l: &str| is_marker(l, "down");
    let Some(sections) = split_sections(&source.text, Some(&is_up), &is_down) else {
        return Err(FormatError::MissingMarker {
            path,
            marker: UP_MARKER,
        });
    };
    Ok(Migration {
        up: sections.up.to_owned(),
        up_line: sections.up_line,
        down: down_script(sections.down),
        transaction: transaction(&source.text),
        ..Migration::whole_file(version, name, path, source)
    })
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let contents = "-- Up Migration\n\n-- Down Migration\n".to_owned();
    timestamped_file(dir, name, now, true, existing, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let cases = [
            ("-- Up Migration", "up", true),
            ("--up migration", "up", true),
            ("-- up migration", "up", true),
            ("  ---- UP   MIGRATION\r", "up", true),
            ("-- Up Migrations", "up", true),
            ("-- Upmigration", "up", false),
            ("-- Down Migration", "down", true),
            ("-- Down Migration", "up", false),
            ("-- migrate:up", "up", false),
            ("SELECT 1; -- Up Migration", "up", false),
        ];
        for (line, direction, want) in cases {
            assert_eq!(is_marker(line, direction), want, "line {line:?}");
        }
    }

    #[test]
    fn no_transaction_comment() {
        let cases = [
            (
                "-- no transaction\n-- Up Migration\n",
                Transaction::Disabled,
            ),
            ("\n  -- No Transaction\n", Transaction::Disabled),
            ("-- notransaction\n", Transaction::Disabled),
            ("-- Up Migration\n-- no transaction\n", Transaction::Auto),
            ("-- Up Migration\n", Transaction::Auto),
        ];
        for (text, want) in cases {
            assert_eq!(transaction(text), want, "text {text:?}");
        }
    }

    fn parse_text(text: &str) -> Result<Migration, FormatError> {
        parse(
            PathBuf::from("1_x.sql"),
            Version::parse_integer("1").unwrap(),
            "x".into(),
            Source {
                text: text.to_owned(),
                checksum: String::new(),
            },
        )
    }

    #[test]
    fn sections() {
        let m =
            parse_text("-- Up Migration\nCREATE TABLE a ();\n\n-- Down Migration\nDROP TABLE a;\n")
                .unwrap();
        assert_eq!(m.up, "CREATE TABLE a ();\n\n");
        assert_eq!(m.up_line, 2);
        assert_eq!(m.down.as_deref(), Some("DROP TABLE a;\n"));
        let m = parse_text("-- Up Migration\nSELECT 1;\n-- Down Migration\n").unwrap();
        assert_eq!(m.down, None);
    }

    #[test]
    fn missing_up_marker() {
        let err = parse_text("CREATE TABLE a ();\n-- Down Migration\n").unwrap_err();
        assert!(
            matches!(
                err,
                FormatError::MissingMarker {
                    marker: UP_MARKER,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
