//! `seed`: the seed files its migrations' own tool names (a Supabase project's
//! `[db.seed] sql_paths`), then a database's `seeds` folder, `*.sql` files in name
//! order, each in its own transaction, then its `seed_command`.
//!
//! A file is split like a migration (`migrate::script::split`, so COPY data
//! and `BEGIN ATOMIC` bodies work) and its statements run inside one
//! transaction with `SET LOCAL search_path` for schema placements (a file's
//! own `BEGIN; ... COMMIT;` wrapper is left out; other transaction control is
//! refused before anything runs, as in a migration). A failing
//! statement rolls its whole file back and is reported as `file:line:
//! message`; files before it stay committed, and nothing after it runs.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_postgres::Client;

use super::DataError;
use crate::fleet::Fleet;
use crate::migrate::{MigrateError, apply, script};
use crate::topology::Placement;
use crate::wiring;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOutcome {
    /// Files ran, or the command did.
    Seeded,
    /// No `seeds` folder with `*.sql` files and no `seed_command`.
    Nothing,
    Failed,
    /// Not started because an earlier database failed.
    NotStarted,
}

/// What `seed` did for one logical database.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub database: String,
    pub outcome: SeedOutcome,
    /// Files committed, in the order they ran.
    pub files: Vec<PathBuf>,
    /// The `seed_command` that ran and exited 0.
    pub command: Option<String>,
    /// Files in the seeds folder that are not `*.sql`: not run.
    pub ignored: Vec<PathBuf>,
    pub error: Option<String>,
    pub hint: Option<String>,
}

impl Seeded {
    fn new(database: &str, outcome: SeedOutcome) -> Seeded {
        Seeded {
            database: database.to_owned(),
            outcome,
            files: Vec::new(),
            command: None,
            ignored: Vec::new(),
            error: None,
            hint: None,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct SeedReport {
    pub databases: Vec<Seeded>,
}

impl SeedReport {
    pub fn failed(&self) -> bool {
        self.databases
            .iter()
            .any(|d| d.outcome == SeedOutcome::Failed)
    }
}

/// Seeds `placements` one after another, in the order given (dependency
/// order from `Fleet::select`). The first failure stops the run; the
/// databases after it are reported as not started.
/// `permit`: the safety rule said yes for this env ([`crate::safety::check`]).
pub async fn seed(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    placements: &[&Placement],
) -> SeedReport {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
    let mut report = SeedReport::default();
    let mut failed = false;
    for placement in placements {
        if failed {
            report
                .databases
                .push(Seeded::new(&placement.database, SeedOutcome::NotStarted));
            continue;
        }
        let mut seeded = Seeded::new(&placement.database, SeedOutcome::Nothing);
        if let Err(e) = seed_one(fleet, placement, &mut seeded).await {
            seeded.outcome = SeedOutcome::Failed;
            seeded.hint = e.hint();
            seeded.error = Some(e.to_string());
            failed = true;
        }
        report.databases.push(seeded);
    }
    report
}

/// Whether `seed` would do anything for this logical database.
pub fn has_seeds(fleet: &Fleet, database: &str) -> bool {
    let db = &fleet.manifest.databases[database];
    db.seeds.is_some()
        || db.seed_command.is_some()
        // A folder that cannot be read says so when seeding.
        || crate::migrate::format_seeds(db).map_or(true, |files| !files.is_empty())
}

async fn seed_one(
    fleet: &Fleet,
    placement: &Placement,
    report: &mut Seeded,
) -> Result<(), DataError> {
    let db = &fleet.manifest.databases[&placement.database];
    // The seeds its migrations' own tool names (a Supabase project's), then the
    // `seeds` folder's.
    let mut files = crate::migrate::format_seeds(db)?;
    if let Some(folder) = &db.seeds {
        let (more, ignored) = seed_files(folder)?;
        report.ignored = ignored;
        for file in more {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    if !files.is_empty() {
        let mut info = fleet.conninfo(placement)?;
        info.application_name = Some(format!("pgfleet seed (pid {})", std::process::id()));
        let client = info.connect().await?;
        for file in files {
            seed_file(&client, placement, &file).await?;
            report.outcome = SeedOutcome::Seeded;
            report.files.push(file);
        }
    }
    if let Some(command) = &db.seed_command {
        let vars = wiring::service_env(fleet, placement)?;
        wiring::run_shell(&db.cwd, vars, command)
            .await
            .map_err(|outcome| DataError::SeedCommand {
                db: placement.database.clone(),
                command: command.clone(),
                outcome,
            })?;
        report.outcome = SeedOutcome::Seeded;
        report.command = Some(command.clone());
    }
    Ok(())
}

/// The folder's `*.sql` files in name order, and everything else in it.
fn seed_files(folder: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), DataError> {
    let read_error = |source| DataError::Read {
        path: folder.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut ignored = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        } else {
            ignored.push(path);
        }
    }
    files.sort();
    ignored.sort();
    Ok((files, ignored))
}

/// One file in one transaction: all of it or none of it.
async fn seed_file(client: &Client, placement: &Placement, path: &Path) -> Result<(), DataError> {
    let db = placement.database.as_str();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let located = |source| MigrateError::Script {
        path: path.to_path_buf(),
        line_offset: 0,
        source,
    };
    let pieces = script::split(&text).map_err(located)?;
    // As for a migration: a `BEGIN; ... COMMIT;` wrapper is left out, and any other
    // transaction control, which would commit part of the file, is refused.
    let pieces = script::in_transaction(&pieces).map_err(located)?;
    let search_path = placement
        .search_path
        .as_deref()
        .map(|p| format!("; SET LOCAL search_path = {p}"))
        .unwrap_or_default();
    client
        .batch_execute(&format!("BEGIN{search_path}"))
        .await
        .map_err(|e| DataError::sql(db, "cannot start the seed's transaction", e))?;
    // As a migration's statements: pipelined, one round trip for the file
    // unless it has COPY data.
    if let Err((e, piece)) = apply::run_in_transaction(client, pieces).await {
        let _ = client.batch_execute("ROLLBACK").await;
        let error = apply::locate_error(db, path, 1, piece, &e);
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
            return Err(DataError::AlreadySeeded {
                db: db.to_owned(),
                error: Box::new(error),
            });
        }
        return Err(error.into());
    }
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| DataError::sql(db, &format!("cannot commit `{}`", path.display()), e))
}
