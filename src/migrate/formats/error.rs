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
    /// A folder read as `format` in which nothing is a migration while it holds `.sql`
    /// files where that format (or another) would look: never "0 migrations".
    #[error("{}", nothing_read(.dir, *.format, *.count, .examples, .readers))]
    NothingRead {
        dir: PathBuf,
        format: Format,
        /// `.sql` files in the folder and its sub-folders (three levels down).
        count: usize,
        /// A few of them, relative to `dir`.
        examples: Vec<PathBuf>,
        /// Formats detection finds for the folder, with how many migrations each reads.
        readers: Vec<(Format, usize)>,
    },
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

/// How `format` names its migrations, for messages.
fn layout(format: Format) -> &'static str {
    match format {
        Format::Native | Format::Atlas | Format::Supabase => "`<version>_<name>.sql` files",
        Format::Prisma => "`<version>_<name>/migration.sql` folders",
        Format::Dbmate => "`<version>_<name>.sql` files with `-- migrate:up`",
        Format::Sqlx => "`<version>_<name>.sql` or `.up.sql` files",
        Format::GolangMigrate => "`<version>_<name>.up.sql` files",
        Format::Flyway => "`V<version>__<name>.sql` files",
        Format::NodePgMigrate => "`<version>_<name>.sql` files with `-- Up Migration`",
        Format::Goose => "`<version>_<name>.sql` files with `-- +goose Up`",
        _ => "files its tool writes",
    }
}

fn nothing_read(
    dir: &Path,
    format: Format,
    count: usize,
    examples: &[PathBuf],
    readers: &[(Format, usize)],
) -> String {
    let plural = if count == 1 { "" } else { "s" };
    let mut text = format!(
        "no migration is read from migrations folder `{}` as {format} ({}), yet it holds {count} `.sql` file{plural} ({}{})",
        dir.display(),
        layout(format),
        list_paths(examples),
        if count > examples.len() { ", ..." } else { "" },
    );
    if readers.is_empty() {
        text.push_str("; no format pgfleet reads takes them: point `migrations` at the folder that holds the migrations, or set `format` to the tool that wrote them");
    } else {
        let items: Vec<String> = readers
            .iter()
            .map(|(f, n)| format!("format = \"{f}\" reads {n} migration(s)"))
            .collect();
        text.push_str("; ");
        text.push_str(&items.join(", "));
    }
    text
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
