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
                && folder.format.checks_order()
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

/// Applied migrations whose file is gone while a pending file has exactly their
/// contents: the file was renamed (a new version prefix, a fixed typo). Pairs of (the
/// applied entry, the pending one), each used once, in apply order.
pub fn renames<'e, 'a>(assessment: &'e Assessment<'a>) -> Vec<(&'e Entry<'a>, &'e Entry<'a>)> {
    let mut taken = BTreeSet::new();
    let mut pairs = Vec::new();
    for gone in assessment
        .entries
        .iter()
        .filter(|e| e.state == State::MissingFile)
    {
        let Some(row) = gone.row.filter(|r| r.kind == RowKind::Versioned) else {
            continue;
        };
        let renamed = assessment.entries.iter().enumerate().find(|(i, e)| {
            e.state == State::Pending
                && e.row.is_none()
                && !taken.contains(i)
                && e.migration
                    .is_some_and(|m| m.kind == Kind::Versioned && m.checksum == row.checksum)
        });
        if let Some((i, entry)) = renamed {
            taken.insert(i);
            pairs.push((gone, entry));
        }
    }
    pairs
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
    #[error(
        "`{db}`: `{}` is migration `{old_version}` ({old_name}) renamed: same contents, and the file it was applied from is gone",
        path.display()
    )]
    Renamed {
        db: String,
        path: PathBuf,
        old_version: String,
        old_name: String,
    },
    #[error("`{db}`: migration `{version}` failed part-way{}", error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Failed {
        db: String,
        version: String,
        error: Option<String>,
    },
    #[error("`{db}`: no migration has version `{target}`")]
    UnknownTarget { db: String, target: String },
    #[error("`{db}`: pgfleet cannot run {}: {reason}", list_files(paths))]
    NotRunnable {
        db: String,
        paths: Vec<PathBuf>,
        reason: String,
    },
}

fn list_files(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    names.join(", ")
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
            PlanError::Renamed { db, .. } => format!(
                "record the new name with `pgfleet repair {db}` (nothing runs again)"
            ),
            PlanError::OutOfOrder { .. } => {
                "give it a newer version, or apply it anyway with `pgfleet migrate --allow-out-of-order`".into()
            }
            PlanError::Failed { db, .. } => format!(
                "undo what it did if needed, then clear it with `pgfleet repair {db}` and migrate again"
            ),
            PlanError::UnknownTarget { db, .. } => format!("`pgfleet status {db}` lists the versions"),
            PlanError::NotRunnable { db, .. } => format!(
                "apply it with its own tool (e.g. `goose up-by-one`), then `pgfleet migrate {db}` adopts it from that tool's history; or stop before it with `pgfleet migrate {db} --to VERSION`"
            ),
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
    // Before the out-of-order check, whose way out would run a renamed file twice.
    if let Some((gone, renamed)) = renames(assessment).first() {
        return Err(PlanError::Renamed {
            db: db.to_owned(),
            path: renamed
                .migration
                .map(|m| m.path.clone())
                .unwrap_or_default(),
            old_version: gone.version.clone(),
            old_name: gone.name.clone(),
        });
    }
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
    let steps: Vec<&Migration> = assessment
        .entries
        .iter()
        // Run-always migrations run on every `migrate`, applied or not.
        .filter(|e| {
            e.state == State::Pending
                || (e.state == State::Applied
                    && e.migration.is_some_and(|m| m.kind == Kind::Always))
        })
        .filter_map(|e| e.migration)
        .filter(|m| match (target, m.kind) {
            (None, _) => true,
            (Some(t), Kind::Versioned) => m.version <= *t,
            (Some(_), Kind::Repeatable | Kind::Always) => false,
        })
        .collect();
    let blocked: Vec<PathBuf> = steps
        .iter()
        .filter(|m| m.not_runnable.is_some())
        .map(|m| m.path.clone())
        .collect();
    if let Some(first) = steps.iter().find_map(|m| m.not_runnable.as_ref()) {
        return Err(PlanError::NotRunnable {
            db: db.to_owned(),
            paths: blocked,
            reason: first.clone(),
        });
    }
    Ok(Plan { steps })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::Utc;

    use super::*;
    use crate::migrate::formats::{Format, Transaction, Version};

    fn migration(version: &str, checksum: &str) -> Migration {
        Migration {
            version: Version::parse_integer(version).unwrap(),
            name: format!("m{version}"),
            kind: Kind::Versioned,
            path: PathBuf::from(format!("db/{version}_m.sql")),
            up: String::new(),
            up_line: 1,
            down: None,
            transaction: Transaction::Auto,
            checksum: checksum.to_owned(),
            statements: None,
            not_runnable: None,
            verify: None,
        }
    }

    fn row(version: &str, checksum: &str, state: RowState) -> Row {
        Row {
            version: version.to_owned(),
            name: format!("m{version}"),
            kind: RowKind::Versioned,
            checksum: checksum.to_owned(),
            applied_at: Utc::now(),
            execution_ms: 1,
            applied_by: "t".into(),
            down_script: None,
            state,
            error: None,
        }
    }

    fn folder(migrations: Vec<Migration>) -> Vec<Folder> {
        vec![Folder {
            format: Format::Native,
            migrations,
            unmatched: Vec::new(),
            peer: None,
            peer_history: crate::manifest::PeerHistory::default(),
        }]
    }

    /// What is planned: pending versions, or the error's first words.
    type Want = Result<Vec<&'static str>, &'static str>;
    /// (what, files as (version, checksum), rows as (version, checksum, state), options, want)
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        Vec<(&'static str, &'static str, RowState)>,
        PlanOptions<'static>,
        Want,
    );

    #[test]
    fn plans_and_refusals() {
        use RowState::{Applied, Failed, Running};
        let cases: Vec<Case> = vec![
            (
                "nothing applied",
                vec![("1", "a"), ("2", "b")],
                vec![],
                PlanOptions::default(),
                Ok(vec!["1", "2"]),
            ),
            (
                "all applied",
                vec![("1", "a")],
                vec![("1", "a", Applied)],
                PlanOptions::default(),
                Ok(vec![]),
            ),
            (
                "edited",
                vec![("1", "x")],
                vec![("1", "a", Applied)],
                PlanOptions::default(),
                Err("`db`: migration `1` was applied, then its file"),
            ),
            (
                "gone",
                vec![],
                vec![("1", "a", Applied)],
                PlanOptions::default(),
                Err("`db`: migration `1` (m1) was applied, but its file is gone"),
            ),
            (
                "out of order",
                vec![("1", "a"), ("2", "b")],
                vec![("2", "b", Applied)],
                PlanOptions::default(),
                Err("`db`: `db/1_m.sql` is older than `2`"),
            ),
            (
                "renamed: same contents as an applied file that is gone",
                vec![("1", "a"), ("3", "b")],
                vec![("1", "a", Applied), ("2", "b", Applied)],
                PlanOptions::default(),
                Err("`db`: `db/3_m.sql` is migration `2` (m2) renamed: same contents"),
            ),
            (
                "gone, and a new file with other contents is no rename",
                vec![("3", "c")],
                vec![("2", "b", Applied)],
                PlanOptions::default(),
                Err("`db`: migration `2` (m2) was applied, but its file is gone"),
            ),
            (
                "out of order allowed",
                vec![("1", "a"), ("2", "b")],
                vec![("2", "b", Applied)],
                PlanOptions {
                    allow_out_of_order: true,
                    ..PlanOptions::default()
                },
                Ok(vec!["1"]),
            ),
            (
                "failed blocks",
                vec![("1", "a"), ("2", "b")],
                vec![("1", "a", Failed)],
                PlanOptions::default(),
                Err("`db`: migration `1` failed part-way"),
            ),
            (
                "running is resumed",
                vec![("1", "a")],
                vec![("1", "a", Running)],
                PlanOptions::default(),
                Ok(vec!["1"]),
            ),
            (
                "target",
                vec![("1", "a"), ("2", "b"), ("3", "c")],
                vec![],
                PlanOptions {
                    target: Some("2"),
                    ..PlanOptions::default()
                },
                Ok(vec!["1", "2"]),
            ),
            (
                "unknown target",
                vec![("1", "a")],
                vec![],
                PlanOptions {
                    target: Some("9"),
                    ..PlanOptions::default()
                },
                Err("`db`: no migration has version `9`"),
            ),
        ];
        for (what, files, rows, options, want) in cases {
            let folders = folder(files.iter().map(|(v, c)| migration(v, c)).collect());
            let history: Vec<Row> = rows.iter().map(|(v, c, s)| row(v, c, *s)).collect();
            let assessment = assess(&folders, &history);
            let got = plan("db", &assessment, &options)
                .map(|p| {
                    p.steps
                        .iter()
                        .map(|m| m.version.to_string())
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string());
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{what}"),
                (Err(got), Err(want)) => assert!(got.starts_with(want), "{what}: {got}"),
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn run_always_is_planned_every_time_and_not_runnable_blocks() {
        let mut always = migration("2", "b");
        always.kind = Kind::Always;
        let mut go = migration("3", "c");
        go.not_runnable = Some("goose Go migration".into());
        let folders = folder(vec![migration("1", "a"), always, go]);
        let mut ran = row("2", "b", RowState::Applied);
        ran.kind = RowKind::Repeatable;
        let history = vec![row("1", "a", RowState::Applied), ran];
        let assessment = assess(&folders, &history);
        assert_eq!(
            assessment.count(State::Applied),
            2,
            "run-always shows applied"
        );
        let err = plan("db", &assessment, &PlanOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`db`: pgfleet cannot run `db/3_m.sql`: goose Go migration"
        );
        let options = PlanOptions {
            target: Some("1"),
            ..PlanOptions::default()
        };
        assert!(plan("db", &assessment, &options).unwrap().steps.is_empty());
        // Without the blocked one, the run-always migration is planned though applied.
        let folders = folder(folders[0].migrations[..2].to_vec());
        let assessment = assess(&folders, &history);
        let steps = plan("db", &assessment, &PlanOptions::default())
            .unwrap()
            .steps;
        let versions: Vec<&str> = steps.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, ["2"]);
    }

    #[test]
    fn states_for_status() {
        let folders = folder(vec![
            migration("1", "a"),
            migration("2", "b"),
            migration("3", "c"),
        ]);
        let history = vec![
            row("1", "a", RowState::Applied),
            row("2", "changed", RowState::Applied),
            row("9", "z", RowState::Applied),
        ];
        let a = assess(&folders, &history);
        let states: Vec<(String, State)> = a
            .entries
            .iter()
            .map(|e| (e.version.clone(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("1".to_owned(), State::Applied),
                ("2".to_owned(), State::Mismatched),
                ("3".to_owned(), State::Pending),
                ("9".to_owned(), State::MissingFile),
            ]
        );
        assert!(a.entries[0].applied_at().is_some() && a.entries[2].applied_at().is_none());
    }
}
