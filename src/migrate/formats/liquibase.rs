//! Liquibase formatted SQL (placeholder).
use std::path::{Path, PathBuf};

use super::{Folder, FormatError, Migration};

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    super::finish(dir, super::Format::Liquibase, Vec::new(), Vec::new())
}

pub(super) fn template(dir: &Path, name: &str, existing: &[Migration]) -> Vec<(PathBuf, String)> {
    let _ = existing;
    vec![(dir.join(format!("{name}.sql")), String::new())]
}

/// `--liquibase formatted sql` (spaces and case vary).
pub(super) fn is_header(line: &str) -> bool {
    line.trim().strip_prefix("--").is_some_and(|rest| {
        rest.trim_start()
            .to_ascii_lowercase()
            .starts_with("liquibase formatted")
    })
}
