//! Diesel: one folder per migration, `<version>_<name>/up.sql` with `down.sql` beside it
//! and an optional `metadata.toml` (`run_in_transaction = false`: no transaction).
//!
//! Diesel's version is the folder name before the first `_` with the dashes removed, so
//! `2017-08-31-123456_a` is version `20170831123456`, and Diesel orders migrations by
//! that text: dashed and undashed folders interleave by date, not as the names sort.
//! `00000000000000_diesel_initial_setup` is Diesel's own first migration. Versions are
//! Diesel's identity (`__diesel_schema_migrations.version` is its primary key): two
//! folders with one version are refused, naming both. Files beside the folders (a
//! README, a stray `.sql`) are never migrations to Diesel: they are reported, not run.

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    Format, FormatError, Migration, Transaction, Version, down_script, file_name, finish, io_error,
    list, read_source,
};

/// Diesel's history table: `(version varchar(50) PRIMARY KEY, run_on timestamp)`.
pub(super) const HISTORY_TABLE: &str = "__diesel_schema_migrations";
const UP: &str = "up.sql";
const DOWN: &str = "down.sql";
const METADATA: &str = "metadata.toml";

/// A migration folder name -> (Diesel's version, name). The version part must be digits
/// and dashes (`2017-08-31-123456`, `20170831123456`), the name may be empty.
pub(super) fn parse_dir_name(dir: &str) -> Option<(String, &str)> {
    let (version, name) = dir.split_once('_').unwrap_or((dir, ""));
    let digits: String = version.chars().filter(|c| *c != '-').collect();
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('-');
    ok.then_some((digits, name))
}

/// Whether `dir` looks like a Diesel migration folder: a version-like name holding
/// `up.sql` (detection).
pub(super) fn is_migration_dir(dir: &Path) -> bool {
    file_name(dir).and_then(parse_dir_name).is_some() && dir.join(UP).is_file()
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    // Diesel only looks at folders: every file beside them is reported.
    let mut unmatched: Vec<PathBuf> = listing.files;
    for sub in listing.dirs {
        let Some((version, name)) = file_name(&sub).and_then(parse_dir_name) else {
            unmatched.push(sub);
            continue;
        };
        let up = sub.join(UP);
        if !up.is_file() {
            return Err(FormatError::Orphan {
                path: sub.clone(),
                reason: format!(
                    "is a Diesel migration folder without `{UP}`; add `{UP}` (and `{DOWN}`) or remove the folder"
                ),
            });
        }
        let inner = list(&sub)?;
        unmatched.extend(inner.dirs);
        unmatched.extend(
            inner
                .files
                .into_iter()
                .filter(|p| !matches!(file_name(p), Some(UP | DOWN | METADATA))),
        );
        let source = read_source(&up)?;
        let down = sub.join(DOWN);
        let down = if down.is_file() {
            down_script(Some(&read_source(&down)?.text))
        } else {
            None
        };
        let transaction = Transaction::unless_marked(!runs_in_transaction(&sub.join(METADATA))?);
        migrations.push(Migration {
            down,
            transaction,
            ..Migration::whole_file(Version::named(version), name.to_owned(), up, source)
        });
    }
    finish(dir, Format::Diesel, migrations, unmatched)
}

/// `metadata.toml`'s `run_in_transaction` (default `true`; no file: `true`).
fn runs_in_transaction(path: &Path) -> Result<bool, FormatError> {
    if !path.is_file() {
        return Ok(true);
    }
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map_or(0, |s| text[..s.start].matches('\n').count() + 1);
        FormatError::Syntax {
            path: path.to_owned(),
            line,
            message: e.message().to_owned(),
        }
    })?;
    match table.get("run_in_transaction") {
        None => Ok(true),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(other) => Err(FormatError::Syntax {
            path: path.to_owned(),
            line: 0,
            message: format!("`run_in_transaction` must be true or false, not `{other}`"),
        }),
    }
}

/// `diesel migration generate NAME`: `<YYYY-MM-DD-HHMMSS>_<name>/up.sql` and `down.sql`,
/// with the comments Diesel writes into them.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let mut stamp = now.format("%Y%m%d%H%M%S").to_string();
    if let Some(newest) = existing.iter().map(|m| m.version.as_str()).max() {
        if stamp.as_str() <= newest && newest.len() == stamp.len() {
            stamp = super::version::increment_digits(newest);
        }
    }
    let dashed = if stamp.len() == 14 {
        format!(
            "{}-{}-{}-{}",
            &stamp[..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[8..]
        )
    } else {
        stamp
    };
    let folder = dir.join(format!("{dashed}_{name}"));
    vec![
        (folder.join(UP), "-- Your SQL goes here\n".to_owned()),
        (
            folder.join(DOWN),
            "-- This file should undo anything in `up.sql`\n".to_owned(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_give_diesels_version() {
        let cases = [
            (
                "2017-08-31-123456_create_users",
                Some(("20170831123456", "create_users")),
            ),
            ("20170102030405_add_x", Some(("20170102030405", "add_x"))),
            (
                "00000000000000_diesel_initial_setup",
                Some(("00000000000000", "diesel_initial_setup")),
            ),
            ("2017-08-31-123456", Some(("20170831123456", ""))),
            ("README", None),
            ("sql", None),
            ("-1_x", None),
            ("_x", None),
            ("2017_08_a", Some(("2017", "08_a"))),
        ];
        for (input, want) in cases {
            let got = parse_dir_name(input);
            assert_eq!(
                got.as_ref().map(|(v, n)| (v.as_str(), *n)),
                want,
                "input {input}"
            );
        }
    }

    #[test]
    fn new_writes_diesels_pair_past_the_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T14:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        fs::create_dir_all(dir.path().join("2026-12-02-150000_later")).unwrap();
        fs::write(dir.path().join("2026-12-02-150000_later/up.sql"), "x").unwrap();
        let written =
            super::super::new_migration(dir.path(), Format::Diesel, "add users", now).unwrap();
        let rel: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                "2026-12-02-150001_add_users/up.sql",
                "2026-12-02-150001_add_users/down.sql"
            ]
        );
        let folder = read(dir.path()).unwrap();
        assert_eq!(folder.migrations.len(), 2);
        assert_eq!(folder.migrations[1].version.as_str(), "20261202150001");
    }

    #[test]
    fn metadata_run_in_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(METADATA);
        let cases = [
            ("run_in_transaction = false\n", Some(false)),
            ("run_in_transaction = true\n", Some(true)),
            ("# nothing\n", Some(true)),
            ("run_in_transaction = \"no\"\n", None),
            ("run_in_transaction = \n", None),
        ];
        for (text, want) in cases {
            fs::write(&path, text).unwrap();
            assert_eq!(runs_in_transaction(&path).ok(), want, "{text:?}");
        }
        fs::remove_file(&path).unwrap();
        assert!(runs_in_transaction(&path).unwrap());
    }
}
