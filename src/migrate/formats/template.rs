//! `pgfleet new`: a new, empty migration in a folder's own style, with the next version.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{
    Format, FormatError, Migration, Version, atlas, dbmate, diesel, flyway, golang_migrate, goose,
    io_error, liquibase, native, node_pg_migrate, prisma, read, sqlx, version,
};

/// Writes a new, empty migration named `name` in `format` into `dir` with the next
/// version and returns the paths written (up first).
pub fn new_migration(
    dir: &Path,
    format: Format,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<PathBuf>, FormatError> {
    let name = clean_name(name)?;
    let existing = if dir.exists() {
        read(dir, format)?.migrations
    } else {
        Vec::new()
    };
    let files = match format {
        Format::Native => native::template(dir, &name, now, &existing),
        Format::Prisma => prisma::template(dir, &name, now, &existing),
        Format::Dbmate => dbmate::template(dir, &name, now, &existing),
        Format::Sqlx => sqlx::template(dir, &name, now, &existing),
        Format::GolangMigrate => golang_migrate::template(dir, &name, now, &existing),
        Format::Pop => super::pop::template(dir, &name, now, &existing),
        Format::Flyway => flyway::template(dir, &name, &existing),
        Format::NodePgMigrate => node_pg_migrate::template(dir, &name, now, &existing),
        Format::Goose => goose::template(dir, &name, now, &existing),
        Format::Atlas => atlas::template(dir, &name, now, &existing),
        Format::Liquibase => liquibase::template(dir, &name, &existing),
        Format::Diesel => diesel::template(dir, &name, now, &existing),
        Format::Supabase => super::supabase::template(dir, &name, now, &existing),
        Format::Hasura => super::hasura::template(dir, &name, now, &existing)?,
        // graphile-migrate writes committed files itself, hashing them into its chain.
        Format::GraphileMigrate => {
            return Err(FormatError::Syntax {
                path: dir.to_owned(),
                line: 0,
                message: "pgfleet does not write graphile-migrate migrations: write the change in `current.sql` and run `graphile-migrate commit`, which adds it to the hash chain".to_owned(),
            });
        }
        // Both tools keep an index (journal, plan) that their own commands write.
        Format::Drizzle | Format::Sqitch => {
            return Err(FormatError::Syntax {
                path: dir.to_owned(),
                line: 0,
                message: format!(
                    "pgfleet does not write {format} migrations: create them with {} so its {} stays right",
                    if format == Format::Drizzle {
                        "`drizzle-kit generate`"
                    } else {
                        "`sqitch add`"
                    },
                    if format == Format::Drizzle {
                        "journal"
                    } else {
                        "plan"
                    },
                ),
            });
        }
    };
    let mut written = Vec::new();
    for (path, contents) in files {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        // create_new: never overwrite a migration that happens to have the same name.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(&path))?;
        file.write_all(contents.as_bytes())
            .map_err(io_error(&path))?;
        written.push(path);
    }
    // `atlas migrate new` keeps the sum file in step with the new file.
    if format == Format::Atlas {
        atlas::rewrite_sum(dir, Format::Atlas)?;
    }
    Ok(written)
}

/// Spaces become `_`; anything but letters, digits, `_` and `-` is refused, since the name
/// ends up in a file name every peer tool must parse back.
pub(super) fn clean_name(name: &str) -> Result<String, FormatError> {
    let cleaned = name.trim().replace(' ', "_");
    let ok = !cleaned.is_empty()
        && cleaned
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(cleaned)
    } else {
        Err(FormatError::BadName {
            name: name.to_owned(),
        })
    }
}

/// The one file `{timestamp}_{name}.sql` holding `contents`: what `new` writes for the
/// formats that keep a migration in a single timestamped file.
pub(super) fn timestamped_file(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    millis: bool,
    existing: &[Migration],
    contents: String,
) -> Vec<(PathBuf, String)> {
    let version = next_timestamp(now, millis, existing);
    vec![(dir.join(format!("{version}_{name}.sql")), contents)]
}

/// A UTC timestamp version (`YYYYMMDDHHMMSS`, or with milliseconds for node-pg-migrate),
/// bumped past the newest existing version when the clock is behind it.
pub(super) fn next_timestamp(
    now: chrono::DateTime<chrono::Utc>,
    millis: bool,
    existing: &[Migration],
) -> String {
    let pattern = if millis {
        "%Y%m%d%H%M%S%3f"
    } else {
        "%Y%m%d%H%M%S"
    };
    let stamp = now.format(pattern).to_string();
    bump_past(stamp, existing)
}

/// `candidate`, or the newest existing version plus one when that is not smaller.
pub(super) fn bump_past(candidate: String, existing: &[Migration]) -> String {
    // Prisma's versions are whole folder names: their timestamp is the part before `_`.
    let newest = existing
        .iter()
        .map(|m| &m.version)
        .filter(|v| !v.is_repeatable())
        .filter_map(|v| Version::parse_integer(v.as_str().split('_').next().unwrap_or_default()))
        .max();
    match (Version::parse_integer(&candidate), newest) {
        (Some(version), Some(newest)) if version <= newest => {
            version::increment_digits(newest.as_str())
        }
        _ => candidate,
    }
}
