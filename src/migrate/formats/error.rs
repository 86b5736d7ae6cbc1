//! What can go wrong reading or writing a migrations folder.

use std::io;
use std::path::{Path, PathBuf};

use super::{Format, Version};

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "migrations folder `{}` mixes formats: {}; set format = \"...\" for this database (one of {})",
        .dir.display(), list_found(.found), list_names(.found)
    )]
    Ambiguous {
        dir: PathBuf,
        found: Vec<(Format, PathBuf)>,
    },
    #[error(
        "no file in migrations folder `{}` is named like a migration: {}; name them `<version>_<name>.sql` (e.g. `0001_create_users.sql`) or set format = \"...\" for this database",
        .dir.display(), list_paths(.files)
    )]
    Unrecognised { dir: PathBuf, files: Vec<PathBuf> },
    #[error(
        "version {version} is used twice, by `{}` and `{}`; give one of them a new version",
        .first.display(), .second.display()
    )]
    DuplicateVersion {
        first: PathBuf,
        second: PathBuf,
        version: Version,
    },
    #[error("`{}` has no `{marker}` line; add it above the up script", .path.display())]
    MissingMarker { path: PathBuf, marker: &'static str },
    #[error("`{}` {reason}", .path.display())]
    Orphan { path: PathBuf, reason: String },
    #[error("cannot read or write `{}`: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "migration name `{name}` may only hold letters, digits, `_` and `-` (spaces become `_`)"
    )]
    BadName { name: String },
    #[error("`{}` is not UTF-8 text; save it as UTF-8", .path.display())]
    NotUtf8 { path: PathBuf },
    #[error(
        "migrations folder `{}` is written for {engine}, not PostgreSQL ({evidence}); pgfleet leaves it out: point `migrations` at a PostgreSQL folder, or remove this database from pgfleet.toml",
        .dir.display()
    )]
    OtherEngine {
        dir: PathBuf,
        engine: String,
        /// What gave it away: a file, a line and the text found there.
        evidence: String,
    },
    /// A line the format's own tool would refuse too (an unknown goose annotation, a
    /// Liquibase changeset header without `author:id`, a `sqitch.plan` dependency that
    /// is not earlier), or a file it reads that says something pgfleet cannot follow
    /// (drizzle's journal, a config); `line` is 0 when the whole file is meant.
    #[error("{}{}: {message}", .path.display(), if *.line > 0 { format!(":{}", .line) } else { String::new() })]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "`{}` does not match the files of its folder: {problem}; if the change is intended, rewrite it with `atlas migrate hash` (or `pgfleet repair DB`, which rewrites it the same way)",
        .sum.display()
    )]
    SumMismatch { sum: PathBuf, problem: String },
}

pub(super) fn list_found(found: &[(Format, PathBuf)]) -> String {
    let items: Vec<String> = found
        .iter()
        .map(|(format, path)| format!("{format} (`{}`)", path.display()))
        .collect();
    items.join(", ")
}

pub(super) fn list_names(found: &[(Format, PathBuf)]) -> String {
    let items: Vec<String> = found.iter().map(|(f, _)| format!("\"{f}\"")).collect();
    items.join(", ")
}

pub(super) fn list_paths(files: &[PathBuf]) -> String {
    let items: Vec<String> = files.iter().map(|p| format!("`{}`", p.display())).collect();
    items.join(", ")
}

pub(super) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FormatError + '_ {
    move |source| FormatError::Io {
        path: path.to_owned(),
        source,
    }
}
