//! Pure planning: files + history (+ target) -> the state of every migration
//! and the steps `migrate` would take, or the reason it refuses. No database
//! here (STYLE §4); `apply` executes a [`Plan`], `--dry-run` prints it and
//! `status` renders the [`Assessment`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::formats::{Folder, Kind, Migration};
use super::history::{Row, RowKind, RowState};

/// What one migration (or one history row without a file) is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    Failed,
    Mismatched,
    MissingFile,
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub version: String,
    pub name: String,
    pub state: State,
    /// Index into the database's folders; `None` for a row without a file.
    pub folder: Option<usize>,
    pub migration: Option<&'a Migration>,
    pub row: Option<&'a Row>,
    /// Pending, but older than the newest applied migration of its folder.
    pub out_of_order: bool,
}

impl Entry<'_> {
    pub fn applied_at(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Applied | State::Mismatched => self.row.map(|r| r.applied_at),
            _ => None,
        }
    }
}

/// Every migration of one logical database, in apply order, followed by
/// history rows whose file is gone.
#[derive(Debug, Clone, Default)]
pub struct Assessment<'a> {
    pub entries: Vec<Entry<'a>>,
}

impl Assessment<'_> {
    pub fn count(&self, state: State) -> usize {
        self.entries.iter().filter(|e| e.state == state).count()
    }
}

/// Looks at files and history together.
pub fn assess<'a>(folders: &'a [Folder], history: &'a [Row]) -> Assessment<'a> {
    let rows: BTreeMap<&str, &Row> = history.iter().map(|r| (r.version.as_str(), r)).collect();
    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    for (index, folder) in folders.iter().enumerate() {
        let newest_applied = folder
            .migrations
            .iter()
            .filter(|m| m.kind == Kind::Versioned && rows.contains_key(m.version.as_str()))
            .map(|m| &m.version)
            .max();
        for migration in &folder.migrations {
            let version = migration.version.as_str();
            seen.insert(version);
            let row = rows.get(version).copied();
            let state = match row {
                None => State::Pending,
                Some(r) if r.state == RowState::Failed => State::Failed,
                Some(r) if r.state == RowState::Running => State::Pending,
                Some(r) if r.kind == RowKind::Repeatable && r.checksum != migration.checksum => {
                    State::Pending
                }
                Some(r) if r.kind != RowKind::Baseline && r.checksum != migration.checksum => {
                    State::Mismatched
                }
                Some(_) => State::Applied,
            };
            let out_of_order = state == State::Pending
                && row.is_none()
                && migration.kind == Kind::Versioned
                && newest_applied.is_some_and(|newest| migration.version < *newest);
            entries.push(Entry {
                version: version.to_owned(),
                name: migration.name.clone(),
                state,
                folder: Some(index),
                migration: Some(migration),
                row,
                out_of_order,
            });
        }
    }
    for row in history {
        if !seen.contains(row.version.as_str()) && row.kind != RowKind::Baseline {
            entries.push(Entry {
                version: row.version.clone(),
                name: row.name.clone(),
                state: if row.state == RowState::Failed {
                    State::Failed
                } else {
                    State::MissingFile
                },
                folder: None,
                migration: None,
                row: Some(row),
                out_of_order: false,
            });
        }
    }
    Assessment { entries }
}

/// Why `migrate` will not run a database's plan. Each names the file or
/// version and the command that resolves it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("`{db}`: migration `{version}` was applied, then its file `{}` changed", path.display())]
    Mismatched {
        db: String,
        version: String,
        path: PathBuf,
    },
    #[error("`{db}`: migration `{version}` ({name}) was applied, but its file is gone")]
    MissingFile {
        db: String,
        version: String,
        name: String,
    },
    #[error("`{db}`: `{}` is older than `{newest}`, which is already applied", path.display())]
    OutOfOrder {
        db: String,
        path: PathBuf,
        newest: String,
    },
    #[error("`{db}`: migration `{version}` failed part-way{}", error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Failed {
        db: String,
        version: String,
        error: Option<String>,
    },
    #[error("`{db}`: no migration has version `{target}`")]
    UnknownTarget { db: String, target: String },
}

impl PlanError {
    pub fn hint(&self) -> String {
        match self {
            PlanError::Mismatched { db, .. } => format!(
                "restore the file as it was applied, or accept the edit with `pgfleet repair {db}`"
            ),
            PlanError::MissingFile { db, .. } => {
                format!("restore the file, or forget the migration with `pgfleet repair {db}`")
            }
            PlanError::OutOfOrder { .. } => {
                "give it a newer version, or apply it anyway with `pgfleet migrate --allow-out-of-order`".into()
            }
            PlanError::Failed { db, .. } => format!(
                "undo what it did if needed, then clear it with `pgfleet repair {db}` and migrate again"
            ),
            PlanError::UnknownTarget { db, .. } => format!("`pgfleet status {db}` lists the versions"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions<'a> {
    /// `--to VERSION`: stop after this versioned migration.
    pub target: Option<&'a str>,
    pub allow_out_of_order: bool,
}

/// The migrations `migrate` will run for one database, in order.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub steps: Vec<&'a Migration>,
}

/// Checks the assessment and picks the pending steps.
pub fn plan<'a>(
    db: &str,
    assessment: &Assessment<'a>,
    options: &PlanOptions<'_>,
) -> Result<Plan<'a>, PlanError> {
    for entry in &assessment.entries {
        match entry.state {
            State::Failed => {
                return Err(PlanError::Failed {
                    db: db.to_owned(),
                    version: entry.version.clone(),
                    error: entry.row.and_then(|r| r.error.clone()),
                });
            }
            State::Mismatched => {
                return Err(PlanError::Mismatched {
                    db: db.to_owned(),
                    version: entry.version.clone(),
                    path: entry.migration.map(|m| m.path.clone()).unwrap_or_default(),
                });
            }
            State::MissingFile => {
                return Err(PlanError::MissingFile {
                    db: db.to_owned(),
                    version: entry.version.clone(),
                    name: entry.name.clone(),
                });
            }
            State::Pending if entry.out_of_order && !options.allow_out_of_order => {
                let folder = entry.folder;
                let newest = assessment
                    .entries
                    .iter()
                    .filter(|e| e.folder == folder && e.row.is_some())
                    .filter_map(|e| e.migration)
                    .filter(|m| m.kind == Kind::Versioned)
                    .map(|m| &m.version)
                    .max()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                return Err(PlanError::OutOfOrder {
                    db: db.to_owned(),
                    path: entry.migration.map(|m| m.path.clone()).unwrap_or_default(),
                    newest,
                });
            }
            _ => {}
        }
    }
    let target = match options.target {
        None => None,
        Some(t) => Some(
            assessment
                .entries
                .iter()
                .filter_map(|e| e.migration)
                .find(|m| m.kind == Kind::Versioned && m.version.as_str() == t)
                .map(|m| &m.version)
                .ok_or_else(|| PlanError::UnknownTarget {
                    db: db.to_owned(),
                    target: t.to_owned(),
                })?,
        ),
    };
    let steps = assessment
        .entries
        .iter()
        .filter(|e| e.state == State::Pending)
        .filter_map(|e| e.migration)
        .filter(|m| match (target, m.kind) {
            (None, _) => true,
            (Some(t), Kind::Versioned) => m.version <= *t,
            (Some(_), Kind::Repeatable) => false,
        })
        .collect();
    Ok(Plan { steps })
}
