//! dbmate: `<version>_<name>.sql` with a `-- migrate:up` section and an optional
//! `-- migrate:down` section. Options follow the marker as space-separated `key:value`
//! pairs; `transaction:false` runs the up section outside a transaction.
//!
//! Marker rules follow dbmate's `pkg/dbmate/migration.go`: `^--\s*migrate:up(\s*$|\s+\S+)`,
//! so `-- migrate:up:slave` is not an up marker. Unlike dbmate we do not refuse statements
//! above the up marker; they are not part of the up script (dbmate never runs them either).

use std::path::{Path, PathBuf};

use super::{
    FormatError, Migration, Source, Transaction, Version, down_script, split_sections,
    timestamped_file,
};

pub(super) const UP_MARKER: &str = "-- migrate:up";

/// If `line` is a dbmate `migrate:<direction>` marker, its options text (maybe empty).
pub(super) fn marker<'a>(line: &'a str, direction: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("migrate:")?.strip_prefix(direction)?;
    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        Some(rest.trim())
    } else {
        None
    }
}

/// dbmate's only option that matters here: `transaction:false`.
fn transaction(options: &str) -> Transaction {
    let disabled = options
        .split_whitespace()
        .filter_map(|o| o.split_once(':'))
        .any(|(key, value)| key == "transaction" && value == "false");
    Transaction::unless_marked(disabled)
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    super::read_single_files(dir, super::Format::Dbmate, parse)
}

fn parse(
    path: PathBuf,
    version: Version,
    name: String,
    source: Source,
) -> Result<Migration, FormatError> {
    let is_up = |l: &str| marker(l, "up").is_some();
    let is_down = |l: &str| marker(l, "down").is_some();
    let Some(sections) = split_sections(&source.text, Some(&is_up), &is_down) else {
        return Err(FormatError::MissingMarker {
            path,
            marker: UP_MARKER,
        });
    };
    let options = sections
        .up_marker
        .and_then(|l| marker(l, "up"))
        .unwrap_or_default();
    Ok(Migration {
        up: sections.up.to_owned(),
        up_line: sections.up_line,
        down: down_script(sections.down),
        transaction: transaction(options),
        ..Migration::whole_file(version, name, path, source)
    })
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    // dbmate's own template is the two markers; the comment above `up` is allowed by dbmate.
    let contents = format!("-- {name}\n-- migrate:up\n\n\n-- migrate:down\n\n");
    timestamped_file(dir, name, now, false, existing, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let cases = [
            ("-- migrate:up", "up", Some("")),
            ("--migrate:up", "up", Some("")),
            (
                "-- migrate:up transaction:false",
                "up",
                Some("transaction:false"),
            ),
            ("-- migrate:up   \r", "up", Some("")),
            ("-- migrate:up:slave", "up", None),
            ("-- migrate:upx", "up", None),
            ("-- migrate:down", "down", Some("")),
            (
                "-- migrate:down transaction:false",
                "down",
                Some("transaction:false"),
            ),
            ("-- migrate:down", "up", None),
            ("-- Up Migration", "up", None),
            ("SELECT 1; -- migrate:up", "up", None),
        ];
        for (line, direction, want) in cases {
            assert_eq!(marker(line, direction), want, "line {line:?}");
        }
    }

    #[test]
    fn options() {
        let cases = [
            ("", Transaction::Auto),
            ("transaction:false", Transaction::Disabled),
            ("env:FOO transaction:false", Transaction::Disabled),
            ("transaction:true", Transaction::Auto),
            ("transaction: false", Transaction::Auto),
        ];
        for (options, want) in cases {
            assert_eq!(transaction(options), want, "options {options:?}");
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
        // (text, up, up_line, down, transaction)
        let cases: [(&str, &str, usize, Option<&str>, Transaction); 5] = [
            (
                "-- migrate:up\nCREATE TABLE a ();\n\n-- migrate:down\nDROP TABLE a;\n",
                "CREATE TABLE a ();\n\n",
                2,
                Some("DROP TABLE a;\n"),
                Transaction::Auto,
            ),
            (
                "-- about\n\n-- migrate:up transaction:false\nVACUUM;\n",
                "VACUUM;\n",
                4,
                None,
                Transaction::Disabled,
            ),
            (
                "-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\n\r\n",
                "SELECT 1;\r\n",
                2,
                None,
                Transaction::Auto,
            ),
            (
                "-- migrate:down\nDROP TABLE a;\n-- migrate:up\nCREATE TABLE a ();\n",
                "CREATE TABLE a ();\n",
                4,
                Some("DROP TABLE a;\n"),
                Transaction::Auto,
            ),
            (
                "-- migrate:up\nSELECT 1;\n-- migrate:down\n/* nothing */ -- really\n",
                "SELECT 1;\n",
                2,
                None,
                Transaction::Auto,
            ),
        ];
        for (text, up, up_line, down, transaction) in cases {
            let m = parse_text(text).unwrap();
            assert_eq!(m.up, up, "text {text:?}");
            assert_eq!(m.up_line, up_line, "text {text:?}");
            assert_eq!(m.down.as_deref(), down, "text {text:?}");
            assert_eq!(m.transaction, transaction, "text {text:?}");
        }
    }

    #[test]
    fn missing_up_marker() {
        let err = parse_text("CREATE TABLE a ();\n").unwrap_err();
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
        assert_eq!(
            err.to_string(),
            "`1_x.sql` has no `-- migrate:up` line; add it above the up script"
        );
    }
}
