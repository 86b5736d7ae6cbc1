//! Prisma Migrate: one folder per migration, `<timestamp>_<name>/migration.sql`, with
//! `migration_lock.toml` beside the folders. Prisma has no down scripts and no transaction
//! marker (SPEC: statements that cannot run in a transaction are found by the engine).
//!
//! Prisma identifies a migration by its whole folder name (`_prisma_migrations.
//! migration_name`) and applies them in folder-name order, so two folders with the same
//! timestamp (`20260630120000_add_x`, `20260630120000_drop_y`) are two migrations: the
//! version is the folder name, compared as text.

use std::path::{Path, PathBuf};

use super::{
    Format, FormatError, Migration, Version, file_name, finish, list, next_timestamp, read_source,
    split_version_name,
};

/// The companion Prisma keeps beside the migration folders.
const LOCK_FILE: &str = "migration_lock.toml";
const SCRIPT: &str = "migration.sql";

/// `<dir>/migration.sql` when `dir` is named `<digits>_<name>` and holds one.
pub(super) fn migration_script(dir: &Path) -> Option<PathBuf> {
    split_version_name(file_name(dir)?)?;
    let script = dir.join(SCRIPT);
    script.is_file().then_some(script)
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched: Vec<PathBuf> = listing
        .files
        .into_iter()
        .filter(|p| file_name(p) != Some(LOCK_FILE))
        .collect();
    for sub in listing.dirs {
        let parsed = file_name(&sub).and_then(split_version_name);
        let (Some((_, name)), Some(script)) = (parsed, migration_script(&sub)) else {
            unmatched.push(sub);
            continue;
        };
        let name = name.to_owned();
        let version = Version::named(file_name(&sub).unwrap_or_default().to_owned());
        // Anything else inside a migration folder is not run by Prisma: report it.
        let inner = list(&sub)?;
        unmatched.extend(inner.dirs);
        unmatched.extend(inner.files.into_iter().filter(|p| *p != script));
        let source = read_source(&script)?;
        // Prisma sends the file as one simple query (schema engine, postgres
        // `apply_migration_script`), so its `-- AlterEnum` `BEGIN; ... COMMIT;` blocks work.
        migrations.push(Migration {
            transaction: super::Transaction::Script,
            ..Migration::whole_file(version, name, script, source)
        });
    }
    finish(dir, Format::Prisma, migrations, unmatched)
}

/// `prisma migrate dev --create-only` writes this comment into an empty migration.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let version = next_timestamp(now, false, existing);
    vec![(
        dir.join(format!("{version}_{name}")).join(SCRIPT),
        "-- This is an empty migration.\n".to_owned(),
    )]
}
