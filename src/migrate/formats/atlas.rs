//! Atlas migration directories (placeholder, filled in below).
use std::path::{Path, PathBuf};

use super::{Folder, FormatError, Migration};

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    super::native::read(dir).map(|mut f| {
        f.format = super::Format::Atlas;
        f
    })
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    super::native::template(dir, name, now, existing)
}

pub(super) const SUM_FILE: &str = "atlas.sum";

pub(super) fn parse_name(file: &str) -> Option<(super::Version, &str)> {
    super::native::parse_name(file)
}
