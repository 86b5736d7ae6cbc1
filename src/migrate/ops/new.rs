//! `new`: the next migration file, in the folder's own format.

use crate::fleet::Fleet;
use crate::migrate::formats::{self};
use crate::migrate::{MigrateError, load_folders};

/// Writes a new migration file for `database` in its first folder's format.
pub fn new_migration(
    fleet: &Fleet,
    database: &str,
    name: &str,
) -> Result<Vec<std::path::PathBuf>, MigrateError> {
    let db = &fleet.manifest.databases[database];
    let Some(source) = db.migrations.first() else {
        return Err(MigrateError::Usage {
            db: database.to_owned(),
            message: "it has no `migrations` folder to write into".into(),
        });
    };
    let folders = load_folders(&fleet.manifest, db)?;
    let format = folders
        .first()
        .map_or(formats::Format::Native, |f| f.format);
    formats::new_migration(&source.path, format, name, chrono::Utc::now()).map_err(|source| {
        MigrateError::Format {
            db: database.to_owned(),
            source,
        }
    })
}
