//! sqlx: `<version>_<desc>.sql` (up only) or `<version>_<desc>.up.sql` + `.down.sql`
//! (reversible), possibly mixed in one folder. A first line `-- no-transaction` runs the
//! file outside a transaction (sqlx-core `migrate/source.rs`).
//!
//! Detection sees reversible sqlx folders as golang-migrate and single-file ones as native
//! (SPEC); `format = "sqlx"` reads them with this module and adopts `_sqlx_migrations`.

use std::path::{Path, PathBuf};

use super::{Format, FormatError, Migration, next_timestamp};

/// sqlx's marker, checked with `starts_with` on the first line as sqlx does.
pub(super) const NO_TRANSACTION: &str = "-- no-transaction";

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    super::golang_migrate::read_pairs(dir, Format::Sqlx, true)
}

/// `sqlx migrate add` keeps a folder's style: reversible pairs once the folder has one,
/// a single file otherwise. sqlx's own template text is `-- Add migration script here`.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let version = next_timestamp(now, false, existing);
    let reversible = existing
        .iter()
        .any(|m| super::file_name(&m.path).is_some_and(|n| n.ends_with(".up.sql")));
    if reversible {
        super::golang_migrate::pair(dir, &version, name)
    } else {
        vec![(
            dir.join(format!("{version}_{name}.sql")),
            "-- Add migration script here\n".to_owned(),
        )]
    }
}
