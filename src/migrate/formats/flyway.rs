//! Flyway: `V<version>__<desc>.sql` (versioned), `U<version>__<desc>.sql` (undo: the down
//! script of the same version) and `R__<desc>.sql` (repeatable: re-run when its checksum
//! changes, after all versioned ones). Versions are digits separated by `.` or `_`
//! (`V1_9` < `V1_10`).
//!
//! Flyway's per-script configuration file `<script>.conf` is a companion: its
//! `executeInTransaction=false` runs the script outside a transaction, as Flyway does.
//!
//! Flyway searches a location recursively (its docs, "Migrations: Discovery"), so
//! scripts in sub-folders are read as the folder's own, except in folders named after
//! another engine (`mysql/`, `h2/`, `oracle/`: a tree that keeps one folder per
//! engine), which are left out and reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::read::walk;
use super::{
    Format, FormatError, Kind, Migration, Transaction, Version, down_script, engine, file_name,
    finish, lines, read_source,
};

/// The kind of script a Flyway file name says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prefix {
    Versioned,
    Undo,
    Repeatable,
}

/// `V1_2__desc.sql` -> (prefix, version, desc). The version ends at the first `__`.
pub(super) fn parse_name(file: &str) -> Option<(Prefix, Version, &str)> {
    let stem = file.strip_suffix(".sql")?;
    if let Some(desc) = stem.strip_prefix("R__") {
        return (!desc.is_empty()).then(|| (Prefix::Repeatable, Version::repeatable(desc), desc));
    }
    let (prefix, rest) = if let Some(rest) = stem.strip_prefix('V') {
        (Prefix::Versioned, rest)
    } else {
        (Prefix::Undo, stem.strip_prefix('U')?)
    };
    let (version, desc) = rest.split_once("__")?;
    if desc.is_empty() {
        return None;
    }
    Some((prefix, Version::parse_dotted(version)?, desc))
}

/// Whether a script configuration file turns the transaction off.
fn conf_disables_transaction(text: &str) -> bool {
    lines(text).any(|l| {
        l.content.split_once('=').is_some_and(|(key, value)| {
            key.trim() == "executeInTransaction" && value.trim().eq_ignore_ascii_case("false")
        })
    })
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    let (files, other_engines) = walk(dir, &|sub| engine::other_engine_folder(sub).is_some())?;
    let mut migrations = Vec::new();
    let mut unmatched = other_engines;
    let mut undos: BTreeMap<Version, PathBuf> = BTreeMap::new();
    let mut confs = Vec::new();
    for path in files {
        let Some(file) = file_name(&path) else {
            unmatched.push(path);
            continue;
        };
        if file.ends_with(".sql.conf") {
            confs.push(path);
            continue;
        }
        let Some((prefix, version, desc)) = parse_name(file) else {
            unmatched.push(path);
            continue;
        };
        let desc = desc.to_owned();
        if prefix == Prefix::Undo {
            if let Some(first) = undos.get(&version) {
                return Err(FormatError::DuplicateVersion {
                    first: first.clone(),
                    second: path,
                    version,
                });
            }
            undos.insert(version, path);
            continue;
        }
        let source = read_source(&path)?;
        migrations.push(Migration {
            kind: if prefix == Prefix::Repeatable {
                Kind::Repeatable
            } else {
                Kind::Versioned
            },
            ..Migration::whole_file(version, desc, path, source)
        });
    }
    for conf in confs {
        let script = conf.with_extension("");
        let Some(migration) = migrations.iter_mut().find(|m| m.path == script) else {
            unmatched.push(conf);
            continue;
        };
        if conf_disables_transaction(&read_source(&conf)?.text) {
            migration.transaction = Transaction::Disabled;
        }
    }
    for migration in &mut migrations {
        if let Some(undo) = undos.remove(&migration.version) {
            migration.down = down_script(Some(&read_source(&undo)?.text));
        }
    }
    if let Some((_, path)) = undos.into_iter().next() {
        return Err(FormatError::Orphan {
            path,
            reason: "is an undo script with no `V` script of the same version; add the `V` script or delete this file".to_owned(),
        });
    }
    finish(dir, Format::Flyway, migrations, unmatched)
}

/// The files Atlas sums for a Flyway folder today (ariga/atlas `sql/sqltool/tool.go`,
/// `FlywayDir.Files`), named by their `/`-separated path in the folder, in its order.
/// Atlas walks the folder in name order (hidden folders skipped) and keeps `.sql` files
/// named `V`, `B` or `R` at least 4 bytes long: the newest baseline, the versioned
/// scripts it does not cover sorted by version, then the repeatables. Its baseline
/// checks compare text, as `flywayFiles.add` does (ariga/atlas issue 3761): kept as is,
/// so the sum matches the one Atlas writes.
pub(super) fn atlas_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, FormatError> {
    let (files, _) = walk(dir, &|_| false)?;
    let mut baseline: Option<String> = None;
    let mut versioned: Vec<String> = Vec::new();
    let mut repeatable: Vec<String> = Vec::new();
    for path in &files {
        let Some(base) = file_name(path) else {
            continue;
        };
        let Some(rel) = path.strip_prefix(dir).ok().and_then(Path::to_str) else {
            continue;
        };
        // Atlas compares the extension case-sensitively (`filepath.Ext(name) != ".sql"`).
        #[allow(clippy::case_sensitive_file_extension_comparisons)]
        if !base.ends_with(".sql") || base.len() < 4 {
            continue;
        }
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        match base.as_bytes()[0] {
            b'B' => {
                if baseline
                    .as_deref()
                    .is_some_and(|b| atlas_version(&rel) < atlas_version(b))
                {
                    continue;
                }
                let version = atlas_version(&rel).to_owned();
                // Atlas compares each kept path (not its version) with the baseline's version.
                versioned.retain(|v| v.as_str() > version.as_str());
                baseline = Some(rel);
            }
            b'V' if baseline
                .as_deref()
                .is_none_or(|b| atlas_version(b) < atlas_version(&rel)) =>
            {
                versioned.push(rel);
            }
            b'R' => repeatable.push(rel),
            _ => {}
        }
    }
    versioned.sort_by(|a, b| atlas_version_cmp(atlas_version(a), atlas_version(b)));
    Ok(baseline
        .into_iter()
        .chain(versioned)
        .chain(repeatable)
        .map(|rel| {
            let path = dir.join(&rel);
            (rel, path)
        })
        .collect())
}

/// Atlas's `flywayVersion`: the file name's text between its prefix and `__` (none
/// for a repeatable).
fn atlas_version(rel: &str) -> &str {
    let base = rel.rsplit('/').next().unwrap_or(rel);
    if base.starts_with('R') {
        return "";
    }
    let stem = base.strip_suffix(".sql").unwrap_or(base);
    let version = stem.split_once("__").map_or(stem, |(v, _)| v);
    version.get(1..).unwrap_or_default()
}

/// Atlas's `flywayVersionCompare`: parts split at `.` and `_`, compared as integers
/// (a part that is not one counts as 0), a shorter list first when it is a prefix.
fn atlas_version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<i64> {
        s.split(['.', '_'])
            .map(|p| p.parse::<i64>().unwrap_or(0))
            .collect()
    };
    parts(a).cmp(&parts(b))
}

/// `V{n+1}__name.sql`, where `n` is the first part of the newest version (`V1_1` -> `V2`).
pub(super) fn template(dir: &Path, name: &str, existing: &[Migration]) -> Vec<(PathBuf, String)> {
    let major = existing
        .iter()
        .map(|m| &m.version)
        .filter(|v| !v.is_repeatable())
        .max()
        .and_then(Version::major)
        .unwrap_or("");
    let next = super::version::increment_digits(major);
    vec![(
        dir.join(format!("V{next}__{name}.sql")),
        format!("-- {name}: the script goes here.\n"),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("V1__init.sql", Some((Prefix::Versioned, "1", "init"))),
            (
                "V1_1__add_email.sql",
                Some((Prefix::Versioned, "1.1", "add_email")),
            ),
            ("V1.2.10__x.sql", Some((Prefix::Versioned, "1.2.10", "x"))),
            ("U2__drop.sql", Some((Prefix::Undo, "2", "drop"))),
            (
                "R__views.sql",
                Some((Prefix::Repeatable, "R__views", "views")),
            ),
            (
                "R__my_views.sql",
                Some((Prefix::Repeatable, "R__my_views", "my_views")),
            ),
            ("V1___x.sql", Some((Prefix::Versioned, "1", "_x"))),
            ("V__x.sql", None),
            ("V1_x.sql", None),
            ("V1__.sql", None),
            ("R__.sql", None),
            ("Va__x.sql", None),
            ("v1__x.sql", None),
            ("V1__x.txt", None),
            ("0001_x.sql", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|(p, v, d)| (p, v.as_str().to_owned(), d));
            assert_eq!(
                got.as_ref().map(|(p, v, d)| (*p, v.as_str(), *d)),
                want,
                "file {file}"
            );
        }
    }

    #[test]
    fn conf_files() {
        let cases = [
            ("executeInTransaction=false\n", true),
            ("  executeInTransaction = FALSE\r\n", true),
            ("executeInTransaction=true\n", false),
            ("encoding=UTF-8\n", false),
        ];
        for (text, want) in cases {
            assert_eq!(conf_disables_transaction(text), want, "text {text:?}");
        }
    }
}
