//! `status`: applied, pending and failed migrations per database, read only.

use chrono::SecondsFormat;
use serde::Serialize;
use tokio_postgres::Client;

use super::connect;
use crate::fleet::Fleet;
use crate::migrate::formats::Folder;
use crate::migrate::history::{self};
use crate::migrate::plan::{self, State};
use crate::migrate::{MigrateError, adopt, load_folders, peer};
use crate::topology::Placement;

/// `status --json`, as SPEC pins it.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub env: String,
    pub databases: Vec<DbStatus>,
}

#[derive(Debug, Serialize)]
pub struct DbStatus {
    pub database: String,
    pub server: String,
    pub physical_database: String,
    pub schema: Option<String>,
    pub format: String,
    pub applied: Option<usize>,
    pub pending: Option<usize>,
    pub failed: Option<usize>,
    pub mismatched: Option<usize>,
    /// Applied migrations whose file is gone (beyond SPEC's counts).
    pub missing: Option<usize>,
    /// Pending migrations older than the newest applied one.
    pub out_of_order: Option<usize>,
    /// Whether the physical database exists.
    pub exists: bool,
    pub migrations: Vec<MigrationStatus>,
    /// A migration being written beside the committed ones (graphile-migrate's
    /// `current.sql`), which pgfleet never applies: shown, not counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub work_in_progress: Vec<String>,
    /// Where a peer tool's own history table (kept in step, `peer_history = "sync"`)
    /// disagrees with `pgfleet.history`: reported, not resolved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peer_disagreements: Vec<peer::Disagreement>,
}

#[derive(Debug, Serialize)]
pub struct MigrationStatus {
    pub version: String,
    pub name: String,
    pub state: State,
    pub applied_at: Option<String>,
}

impl StatusReport {
    /// What `status --check` counts: pending, failed, mismatched or
    /// missing migrations (runner databases are not counted).
    pub fn problems(&self) -> usize {
        self.databases.iter().map(DbStatus::problems).sum()
    }
}

impl DbStatus {
    /// This database's share of [`StatusReport::problems`].
    pub fn problems(&self) -> usize {
        self.pending.unwrap_or(0)
            + self.failed.unwrap_or(0)
            + self.mismatched.unwrap_or(0)
            + self.missing.unwrap_or(0)
    }
}

/// Reads files and history of every selected database. Writes nothing: a
/// database without `pgfleet.history`, or not created yet, is all pending.
pub async fn status(fleet: &Fleet, selected: &[&Placement]) -> Result<StatusReport, MigrateError> {
    let mut loaded = Vec::with_capacity(selected.len());
    for placement in selected {
        let db = &fleet.manifest.databases[&placement.database];
        loaded.push(load_folders(&fleet.manifest, db)?);
    }
    let mut databases = Vec::with_capacity(selected.len());
    for (placement, folders) in selected.iter().zip(&loaded) {
        let client = connect(fleet, placement).await?;
        databases.push(db_status(fleet, placement, folders, client.as_ref()).await?);
    }
    Ok(StatusReport {
        env: fleet.topology.env.clone(),
        databases,
    })
}

/// The status of one database over a connection the caller already holds
/// (`verify` checks history on the connection it opened for its other checks).
pub async fn status_on(
    fleet: &Fleet,
    placement: &Placement,
    client: &Client,
) -> Result<DbStatus, MigrateError> {
    let folders = load_folders(
        &fleet.manifest,
        &fleet.manifest.databases[&placement.database],
    )?;
    db_status(fleet, placement, &folders, Some(client)).await
}

/// `client` is `None` when the physical database does not exist.
async fn db_status(
    fleet: &Fleet,
    placement: &Placement,
    folders: &[Folder],
    client: Option<&Client>,
) -> Result<DbStatus, MigrateError> {
    let db = &fleet.manifest.databases[&placement.database];
    let mut status = DbStatus {
        database: placement.database.clone(),
        server: placement.server.clone(),
        physical_database: placement.physical.clone(),
        schema: placement.schema.clone(),
        format: format_name(db.runner.is_some(), folders),
        applied: None,
        pending: None,
        failed: None,
        mismatched: None,
        missing: None,
        out_of_order: None,
        exists: true,
        migrations: Vec::new(),
        work_in_progress: db
            .migrations
            .iter()
            .zip(folders)
            .filter_map(|(source, folder)| {
                crate::migrate::formats::work_in_progress(&source.path, folder.format)
            })
            .map(|path| fleet.manifest.shown(&path))
            .collect(),
        peer_disagreements: Vec::new(),
    };
    status.exists = client.is_some();
    if db.runner.is_some() {
        return Ok(status);
    }
    let mut rows = match client {
        Some(c) => history::read(c, &placement.database).await?,
        None => Vec::new(),
    };
    // Read-only: older Prisma rows are renamed in memory, not in the table.
    let renames = history::legacy_prisma_versions(folders, &rows);
    history::rename_versions(&mut rows, &renames);
    if let Some(c) = client {
        let read = adopt::peer_rows(c, folders, &rows, placement).await?;
        rows.extend(read.rows);
        // Read-only: the writer only looks at the tables. One pgfleet cannot write is
        // a disagreement too.
        status.peer_disagreements =
            match peer::Writer::prepare(c, &placement.database, folders, placement).await {
                Ok(writer) => {
                    writer
                        .disagreements(c, &placement.database, &read.unlisted)
                        .await?
                }
                Err(MigrateError::PeerTable { table, problem, .. }) => vec![peer::Disagreement {
                    version: None,
                    table,
                    problem,
                }],
                Err(e) => return Err(e),
            };
    }
    let assessment = plan::assess(folders, &rows);
    status.applied = Some(assessment.count(State::Applied));
    status.pending = Some(assessment.count(State::Pending));
    status.failed = Some(assessment.count(State::Failed));
    status.mismatched = Some(assessment.count(State::Mismatched));
    status.missing = Some(assessment.count(State::MissingFile));
    status.out_of_order = Some(assessment.entries.iter().filter(|e| e.out_of_order).count());
    status.migrations = assessment
        .entries
        .iter()
        .map(|e| MigrationStatus {
            version: e.version.clone(),
            name: e.name.clone(),
            state: e.state,
            applied_at: e
                .applied_at()
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true)),
        })
        .collect();
    Ok(status)
}

fn format_name(runner: bool, folders: &[Folder]) -> String {
    if runner {
        return "runner".into();
    }
    let mut names: Vec<&str> = folders.iter().map(|f| f.format.name()).collect();
    names.dedup();
    if names.is_empty() {
        "native".into()
    } else {
        names.join("+")
    }
}
