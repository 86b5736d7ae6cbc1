//! golang-migrate: `<version>_<name>.up.sql` with an optional `<version>_<name>.down.sql`.
//! sqlx's reversible migrations are the same files (SPEC), so this module also reads sqlx
//! folders, with single `<version>_<desc>.sql` files allowed when `singles` is set.
//!
//! golang-migrate has no transaction marker (its postgres driver sends the whole file as one
//! simple query); sqlx's first-line `-- no-transaction` is honoured because sqlx folders are
//! detected as golang-migrate. An `atlas.sum` beside the pairs is a companion (SPEC: "an
//! `atlas.sum` beside pairs is still verified"), not a migration: it must match the files
//! (see `atlas.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{
    Format, FormatError, Migration, Transaction, Version, down_script, file_name, finish, lines,
    list, next_timestamp, read_source, split_version_name,
};

/// The direction of a pair file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Up,
    Down,
}

/// `<digits>_<name>.up.sql` / `.down.sql` -> (version, name, direction).
pub(super) fn parse_name(file: &str) -> Option<(Version, &str, Direction)> {
    let (stem, direction) = if let Some(stem) = file.strip_suffix(".up.sql") {
        (stem, Direction::Up)
    } else {
        (file.strip_suffix(".down.sql")?, Direction::Down)
    };
    let (version, name) = split_version_name(stem)?;
    Some((version, name, direction))
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    read_pairs(dir, Format::GolangMigrate, false)
}

/// Reads up/down pairs (and, for sqlx, single up-only files).
pub(super) fn read_pairs(
    dir: &Path,
    format: Format,
    singles: bool,
) -> Result<super::Folder, FormatError> {
    // Atlas also writes golang-migrate folders; its sum file is checked as Atlas sums
    // them (the `.up.sql` files; every `.sql` file in sums written before 2025).
    if dir.join(super::atlas::SUM_FILE).is_file() {
        super::atlas::verify_sum(dir, format)?;
    }
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    // Down files by version, matched to their up file after the listing is read.
    let mut downs: BTreeMap<Version, PathBuf> = BTreeMap::new();
    for path in listing.files {
        let Some(file) = file_name(&path) else {
            unmatched.push(path);
            continue;
        };
        if file == "atlas.sum" {
            continue;
        }
        let (version, name) = match parse_name(file) {
            Some((version, _, Direction::Down)) => {
                if let Some(first) = downs.get(&version) {
                    return Err(FormatError::DuplicateVersion {
                        first: first.clone(),
                        second: path,
                        version,
                    });
                }
                downs.insert(version, path);
                continue;
            }
            Some((version, name, Direction::Up)) => (version, name.to_owned()),
            None => match super::native::parse_name(file) {
                Some((version, name)) if singles => (version, name.to_owned()),
                _ => {
                    unmatched.push(path);
                    continue;
                }
            },
        };
        let source = read_source(&path)?;
        let first = lines(&source.text).next().map_or("", |l| l.content.trim());
        let transaction =
            match Transaction::unless_marked(first.starts_with(super::sqlx::NO_TRANSACTION)) {
                // golang-migrate's postgres driver sends the file as one simple query with no
                // transaction around it; sqlx runs it inside its own transaction.
                Transaction::Auto if format == Format::GolangMigrate => Transaction::Script,
                other => other,
            };
        migrations.push(Migration {
            transaction,
            ..Migration::whole_file(version, name, path, source)
        });
    }
    for migration in &mut migrations {
        if let Some(down) = downs.remove(&migration.version) {
            migration.down = down_script(Some(&read_source(&down)?.text));
        }
    }
    if let Some((_, path)) = downs.into_iter().next() {
        return Err(FormatError::Orphan {
            path,
            reason: "is a down script with no `.up.sql` of the same version; add the up script or delete this file".to_owned(),
        });
    }
    finish(dir, format, migrations, unmatched)
}

/// The next version in the folder's style: timestamps if the newest version is one
/// (14 digits or more), otherwise the next sequence number with the same zero padding
/// (golang-migrate `create -seq -digits 6` writes `000001`).
fn next_version(now: chrono::DateTime<chrono::Utc>, existing: &[Migration]) -> String {
    match existing.iter().map(|m| &m.version).max() {
        None => "000001".to_owned(),
        Some(newest) if newest.as_str().len() >= 14 => next_timestamp(now, false, existing),
        Some(newest) => super::version::increment_digits(newest.as_str()),
    }
}

/// Writes both files of a pair: golang-migrate's `create` always does.
pub(super) fn pair(dir: &Path, version: &str, name: &str) -> Vec<(PathBuf, String)> {
    vec![
        (
            dir.join(format!("{version}_{name}.up.sql")),
            format!("-- {name}: the up script goes here.\n"),
        ),
        (
            dir.join(format!("{version}_{name}.down.sql")),
            format!("-- {name}: the script that undoes it goes here.\n"),
        ),
    ]
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    pair(dir, &next_version(now, existing), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::formats::Kind;

    #[test]
    fn names() {
        let cases = [
            (
                "000001_create_users.up.sql",
                Some(("000001", "create_users", Direction::Up)),
            ),
            (
                "000001_create_users.down.sql",
                Some(("000001", "create_users", Direction::Down)),
            ),
            (
                "20240101000000_a.b.up.sql",
                Some(("20240101000000", "a.b", Direction::Up)),
            ),
            ("000001_create_users.sql", None),
            ("create_users.up.sql", None),
            ("1_.up.sql", None),
            ("1_x.UP.sql", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|(v, n, d)| (v.as_str().to_owned(), n, d));
            assert_eq!(
                got.as_ref().map(|(v, n, d)| (v.as_str(), *n, *d)),
                want,
                "file {file}"
            );
        }
    }

    fn migration(version: &str) -> Migration {
        Migration {
            version: Version::parse_integer(version).unwrap(),
            name: "x".into(),
            kind: Kind::Versioned,
            path: PathBuf::new(),
            up: String::new(),
            up_line: 1,
            down: None,
            transaction: Transaction::Auto,
            checksum: String::new(),
            statements: None,
            not_runnable: None,
            verify: None,
        }
    }

    #[test]
    fn next_versions() {
        let now = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
            .unwrap()
            .to_utc();
        let cases: [(&[&str], &str); 6] = [
            (&[], "000001"),
            (&["000001", "000002"], "000003"),
            (&["0009"], "0010"),
            (&["1", "2"], "3"),
            (&["20240101000000"], "20240506070809"),
            (&["20990101000000"], "20990101000001"),
        ];
        for (versions, want) in cases {
            let existing: Vec<Migration> = versions.iter().map(|v| migration(v)).collect();
            assert_eq!(next_version(now, &existing), want, "existing {versions:?}");
        }
    }
}
