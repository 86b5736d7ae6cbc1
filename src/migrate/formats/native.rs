//! pgfleet's own format: `<version>_<name>.sql`, the file is the up script; an optional
//! line `-- pgfleet:down` starts the down script, and a first line
//! `-- pgfleet:no-transaction` runs it outside a transaction.
//!
//! sqlx's single-file migrations are detected as native (SPEC), so sqlx's own first-line
//! `-- no-transaction` marker is honoured here too rather than silently dropped.

use std::path::{Path, PathBuf};

use super::{
    FormatError, Migration, Source, Transaction, Version, down_script, lines, split_sections,
    split_version_name, timestamped_file,
};

pub(super) const DOWN_MARKER: &str = "-- pgfleet:down";
pub(super) const NO_TRANSACTION: &str = "-- pgfleet:no-transaction";

/// `<digits>_<name>.sql` -> (version, name).
pub(super) fn parse_name(file: &str) -> Option<(Version, &str)> {
    split_version_name(file.strip_suffix(".sql")?)
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    super::read_single_files(dir, super::Format::Native, |path, version, name, source| {
        Ok(parse(path, version, name, source))
    })
}

fn parse(path: PathBuf, version: Version, name: String, source: Source) -> Migration {
    let text = &source.text;
    let is_down = |line: &str| line.trim() == DOWN_MARKER;
    let sections =
        split_sections(text, None, &is_down).expect("sections without an up marker always split");
    let first = lines(text).next().map_or("", |l| l.content.trim());
    let transaction = Transaction::unless_marked(
        first == NO_TRANSACTION || first.starts_with(super::sqlx::NO_TRANSACTION),
    );
    Migration {
        up: sections.up.to_owned(),
        up_line: sections.up_line,
        down: down_script(sections.down),
        transaction,
        ..Migration::whole_file(version, name, path, source)
    }
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let contents = format!(
        "-- {name}: the up script goes here.\n\n\n{DOWN_MARKER}\n-- The lines below undo it (optional).\n\n"
    );
    timestamped_file(dir, name, now, false, existing, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            text: text.to_owned(),
            checksum: String::new(),
        }
    }

    #[test]
    fn names() {
        let cases = [
            ("0001_create_users.sql", Some(("0001", "create_users"))),
            (
                "20240101120000_add-index.sql",
                Some(("20240101120000", "add-index")),
            ),
            ("1_a.sql", Some(("1", "a"))),
            ("create_users.sql", None),
            ("0001_.sql", None),
            ("0001.sql", None),
            ("0001_create_users.txt", None),
            ("V1__create.sql", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|(v, n)| (v.as_str().to_owned(), n));
            assert_eq!(
                got.as_ref().map(|(v, n)| (v.as_str(), *n)),
                want,
                "file {file}"
            );
        }
    }

    #[test]
    fn sections_and_markers() {
        // (text, up, up_line, down, transaction)
        let cases: [(&str, &str, usize, Option<&str>, Transaction); 6] = [
            ("SELECT 1;\n", "SELECT 1;\n", 1, None, Transaction::Auto),
            (
                "CREATE TABLE a ();\n-- pgfleet:down\nDROP TABLE a;\n",
                "CREATE TABLE a ();\n",
                1,
                Some("DROP TABLE a;\n"),
                Transaction::Auto,
            ),
            (
                "CREATE TABLE a ();\r\n  -- pgfleet:down  \r\nDROP TABLE a;\r\n",
                "CREATE TABLE a ();\r\n",
                1,
                Some("DROP TABLE a;\r\n"),
                Transaction::Auto,
            ),
            (
                "SELECT 1;\n-- pgfleet:down\n-- nothing to undo\n\n",
                "SELECT 1;\n",
                1,
                None,
                Transaction::Auto,
            ),
            (
                "-- pgfleet:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (x);\n",
                "-- pgfleet:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (x);\n",
                1,
                None,
                Transaction::Disabled,
            ),
            (
                "-- no-transaction\nVACUUM;\n",
                "-- no-transaction\nVACUUM;\n",
                1,
                None,
                Transaction::Disabled,
            ),
        ];
        for (text, up, up_line, down, transaction) in cases {
            let m = parse(
                PathBuf::from("1_x.sql"),
                Version::parse_integer("1").unwrap(),
                "x".into(),
                source(text),
            );
            assert_eq!(m.up, up, "text {text:?}");
            assert_eq!(m.up_line, up_line, "text {text:?}");
            assert_eq!(m.down.as_deref(), down, "text {text:?}");
            assert_eq!(m.transaction, transaction, "text {text:?}");
        }
    }

    #[test]
    fn no_transaction_only_counts_on_the_first_line() {
        let m = parse(
            PathBuf::from("1_x.sql"),
            Version::parse_integer("1").unwrap(),
            "x".into(),
            source("SELECT 1;\n-- pgfleet:no-transaction\n"),
        );
        assert_eq!(m.transaction, Transaction::Auto);
    }
}
