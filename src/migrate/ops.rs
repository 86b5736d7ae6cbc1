//! Single-database and read-only operations: `status`, `rollback`,
//! `baseline`, `repair` and `new`.

use std::fmt::Write;

use chrono::SecondsFormat;
use serde::Serialize;
use sha2::Digest as _;
use tokio_postgres::Client;

use super::formats::{self, Folder, Kind, Version};
use super::history::{self, Row, RowKind, RowState};
use super::plan::{self, State};
use super::{MigrateError, adopt, load_folders, peer, script};
use crate::connect::quote_literal;
use crate::fleet::Fleet;
use crate::topology::Placement;

/// SQLSTATE 3D000: the database does not exist (yet).
const INVALID_CATALOG_NAME: &str = "3D000";

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
        let adopted = adopt::peer_rows(c, folders, &rows, placement).await?;
        rows.extend(adopted);
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

/// Connects to the placement's database; `None` when it does not exist.
async fn connect(fleet: &Fleet, placement: &Placement) -> Result<Option<Client>, MigrateError> {
    let info = fleet.conninfo(placement)?;
    match info.connect().await {
        Ok(client) => Ok(Some(client)),
        Err(crate::connect::ConnectError::Connect { source, .. })
            if source
                .code()
                .is_some_and(|c| c.code() == INVALID_CATALOG_NAME) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn connect_existing(fleet: &Fleet, placement: &Placement) -> Result<Client, MigrateError> {
    connect(fleet, placement)
        .await?
        .ok_or_else(|| MigrateError::Usage {
            db: placement.database.clone(),
            message: format!(
                "database `{}` does not exist; run `pgfleet up {}` first",
                placement.physical, placement.database
            ),
        })
}

/// How far `rollback` goes.
#[derive(Debug, Clone)]
pub enum RollbackTo {
    /// The last N applied migrations.
    Count(usize),
    /// Every applied migration newer than this version.
    Version(String),
}

/// A migration `rollback` undid.
#[derive(Debug, Clone, Serialize)]
pub struct RolledBack {
    pub version: String,
    pub name: String,
}

/// Runs the down scripts recorded at apply time, newest first, each with the
/// deletion of its history row in one transaction. Refuses before changing
/// anything when one of them has no down script.
pub async fn rollback(
    fleet: &Fleet,
    placement: &Placement,
    to: &RollbackTo,
) -> Result<Vec<RolledBack>, MigrateError> {
    let db = placement.database.as_str();
    let folders = load_folders(&fleet.manifest, &fleet.manifest.databases[db])?;
    let client = connect_existing(fleet, placement).await?;
    let rows = history::read_upgraded(&client, db, &folders).await?;
    let mut applied: Vec<(Version, &Row)> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Versioned && r.state == RowState::Applied)
        .map(|r| (version_of(&folders, &r.version), r))
        .collect();
    applied.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.applied_at.cmp(&a.1.applied_at)));
    let chosen: Vec<&Row> = match to {
        RollbackTo::Count(n) => applied.iter().take(*n).map(|(_, r)| *r).collect(),
        RollbackTo::Version(v) => {
            let limit = version_of(&folders, v);
            if !applied.iter().any(|(version, _)| *version == limit)
                && !rows.iter().any(|r| r.version == *v)
            {
                return Err(MigrateError::Usage {
                    db: db.to_owned(),
                    message: format!(
                        "version `{v}` is not in the history; `pgfleet status {db}` lists what is applied"
                    ),
                });
            }
            applied
                .iter()
                .filter(|(version, _)| *version > limit)
                .map(|(_, r)| *r)
                .collect()
        }
    };
    if let Some(row) = chosen
        .iter()
        .find(|r| r.down_script.as_deref().is_none_or(|d| d.trim().is_empty()))
    {
        return Err(MigrateError::NoDown {
            db: db.to_owned(),
            version: row.version.clone(),
            name: row.name.clone(),
        });
    }
    let server_version = crate::connect::server_version(&client)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot read the server version", e))?
        .num;
    let search_path = placement
        .search_path
        .as_deref()
        .map(|p| format!("SET LOCAL search_path = {p};"))
        .unwrap_or_default();
    // Every down script is checked before any runs.
    let downs = chosen
        .into_iter()
        .map(|row| prepare_down(db, row, server_version))
        .collect::<Result<Vec<_>, _>>()?;
    let peer = peer::Writer::prepare(&client, db, &folders, placement).await?;
    let mut still_applied: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r.state == RowState::Applied)
        .map(|r| r.version.clone())
        .collect();
    let mut done = Vec::new();
    for (row, down) in downs {
        let pieces = down.pieces;
        still_applied.remove(&row.version);
        // pgfleet's row and the peer tool's go together.
        let forget = format!(
            "DELETE FROM pgfleet.history WHERE db = {} AND version = {};\n{}",
            quote_literal(db),
            quote_literal(&row.version),
            peer.rolled_back_sql(&row.version, &still_applied)
        );
        let result = if down.no_transaction {
            let mut r = Ok(());
            for piece in &pieces {
                r = client.batch_execute(&piece.sql).await;
                if r.is_err() {
                    break;
                }
            }
            match r {
                Ok(()) => client.batch_execute(&forget).await,
                Err(e) => Err(e),
            }
        } else {
            let sql = format!(
                "BEGIN; SELECT pg_advisory_xact_lock({}); {search_path}\n{}\n;\n{forget}\nCOMMIT",
                history::lock_key(db),
                down.sql
            );
            let r = client.batch_execute(&sql).await;
            if r.is_err() {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            r
        };
        result.map_err(|e| {
            MigrateError::sql(
                db,
                &format!("the down script of `{}` ({}) failed", row.version, row.name),
                e,
            )
        })?;
        done.push(RolledBack {
            version: row.version.clone(),
            name: row.name.clone(),
        });
    }
    Ok(done)
}

/// A down script ready to run.
struct Down {
    pieces: Vec<script::Piece>,
    no_transaction: bool,
    /// What runs between pgfleet's `BEGIN` and the history row's deletion: the script,
    /// or the statements inside its own `BEGIN; ... COMMIT;` wrapper.
    sql: String,
}

/// Splits `row`'s down script and, when it runs in a transaction, refuses the
/// transaction control that would commit part of it apart from the deletion of its
/// history row, as [`script::in_transaction`] does for migrations (a NUL byte is
/// refused by the split).
fn prepare_down<'r>(
    db: &str,
    row: &'r Row,
    server_version: u32,
) -> Result<(&'r Row, Down), MigrateError> {
    let text = row.down_script.as_deref().unwrap_or_default();
    let cannot_run = |e: script::ScriptError| MigrateError::Usage {
        db: db.to_owned(),
        message: format!("the down script of `{}` cannot be run: {e}", row.version),
    };
    let pieces = script::split(text).map_err(cannot_run)?;
    let no_transaction = script::needs_no_transaction(&pieces, server_version);
    let sql = if no_transaction {
        text.to_owned()
    } else {
        let inner = script::in_transaction(&pieces).map_err(cannot_run)?;
        if inner.len() < pieces.len() {
            let statements: Vec<&str> = inner.iter().map(|p| p.sql.as_str()).collect();
            statements.join("\n")
        } else {
            text.to_owned()
        }
    };
    Ok((
        row,
        Down {
            pieces,
            no_transaction,
            sql,
        },
    ))
}

/// The version of a history row as its file spells it, for ordering.
fn version_of(folders: &[Folder], text: &str) -> Version {
    folders
        .iter()
        .flat_map(|f| &f.migrations)
        .find(|m| m.version.as_str() == text)
        .map(|m| m.version.clone())
        .or_else(|| Version::parse_integer(text))
        .or_else(|| Version::parse_dotted(text))
        .unwrap_or_else(|| Version::repeatable(text))
}

/// Marks every versioned migration up to `version` applied without running
/// it. Returns the versions recorded.
pub async fn baseline(
    fleet: &Fleet,
    placement: &Placement,
    version: &str,
) -> Result<Vec<String>, MigrateError> {
    let db = placement.database.as_str();
    let folders = load_folders(&fleet.manifest, &fleet.manifest.databases[db])?;
    let client = connect_existing(fleet, placement).await?;
    client
        .batch_execute(history::ENSURE)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot create pgfleet.history", e))?;
    let rows = history::read_upgraded(&client, db, &folders).await?;
    let limit = version_of(&folders, version);
    let peer = peer::Writer::prepare(&client, db, &folders, placement).await?;
    let by = history::whoami();
    let mut sql = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({});\n",
        history::lock_key(db)
    );
    let mut recorded = Vec::new();
    for m in folders.iter().flat_map(|f| &f.migrations) {
        if m.kind == Kind::Versioned
            && m.version <= limit
            && !rows.iter().any(|r| r.version == m.version.as_str())
        {
            let row = history::NewRow {
                db,
                version: m.version.as_str(),
                name: &m.name,
                kind: RowKind::Baseline,
                checksum: &m.checksum,
                applied_by: &by,
                down_script: m.down.as_deref(),
                state: RowState::Applied,
                applied_at: None,
            };
            sql.push_str(&row.insert_if_absent_sql());
            sql.push_str(";\n");
            // The peer tool sees it applied too (`dbmate status`, `diesel migration list`).
            sql.push_str(&peer.applied_sql(m, None));
            recorded.push(m.version.to_string());
        }
    }
    if recorded.is_empty() && !rows.iter().any(|r| r.version == version) {
        let row = history::NewRow {
            db,
            version,
            name: "<< baseline >>",
            kind: RowKind::Baseline,
            checksum: "",
            applied_by: &by,
            down_script: None,
            state: RowState::Applied,
            applied_at: None,
        };
        sql.push_str(&row.insert_if_absent_sql());
        sql.push_str(";\n");
        recorded.push(version.to_owned());
    }
    sql.push_str("COMMIT");
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot record the baseline", e))?;
    Ok(recorded)
}

/// One change `repair` makes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Repair {
    /// Accept the edited file: store its new checksum.
    AcceptChecksum {
        version: String,
        name: String,
        old_checksum: String,
        new_checksum: String,
    },
    /// Forget a failed (or abandoned running) migration so it runs again.
    ClearFailed { version: String, name: String },
    /// Forget an applied migration whose file is gone.
    ForgetMissing {
        version: String,
        name: String,
        old_checksum: String,
    },
    /// Record a renamed file's new version and name on the history row of the
    /// migration it was applied as (same contents): nothing runs.
    Rename {
        old_version: String,
        old_name: String,
        version: String,
        name: String,
        checksum: String,
    },
    /// Rewrite an Atlas folder's `atlas.sum` for its files as they are (what
    /// `atlas migrate hash` does). Until then the folder cannot be read, so this is
    /// the only repair offered for such a database; run `repair` again after it.
    RewriteAtlasSum {
        path: std::path::PathBuf,
        problem: String,
        /// The folder's format: which files Atlas sums depends on it.
        #[serde(skip)]
        format: formats::Format,
    },
}

/// `atlas.sum` files of `db`'s Atlas folders that do not match their files.
fn stale_atlas_sums(db: &crate::manifest::Database) -> Result<Vec<Repair>, MigrateError> {
    let mut repairs = Vec::new();
    for source in &db.migrations {
        let format_error = |source| MigrateError::Format {
            db: db.name.clone(),
            source,
        };
        let format = match super::declared_format(db, source) {
            Some(format) => format,
            None => formats::detect(&source.path).map_err(format_error)?,
        };
        // Atlas directories, and golang-migrate folders Atlas keeps a sum file for.
        if format != formats::Format::Atlas && !source.path.join("atlas.sum").is_file() {
            continue;
        }
        if let Some(problem) =
            formats::atlas_sum_problem(&source.path, format).map_err(format_error)?
        {
            repairs.push(Repair::RewriteAtlasSum {
                path: source.path.join("atlas.sum"),
                problem,
                format,
            });
        }
    }
    Ok(repairs)
}

/// What `repair` would change; nothing is written.
pub async fn repair_plan(
    fleet: &Fleet,
    placement: &Placement,
) -> Result<Vec<Repair>, MigrateError> {
    let db = placement.database.as_str();
    let sums = stale_atlas_sums(&fleet.manifest.databases[db])?;
    if !sums.is_empty() {
        return Ok(sums);
    }
    let folders = load_folders(&fleet.manifest, &fleet.manifest.databases[db])?;
    let client = connect_existing(fleet, placement).await?;
    let mut rows = history::read(&client, db).await?;
    let renames = history::legacy_prisma_versions(&folders, &rows);
    history::rename_versions(&mut rows, &renames);
    let assessment = plan::assess(&folders, &rows);
    let renames = plan::renames(&assessment);
    let mut repairs: Vec<Repair> = renames
        .iter()
        .map(|(gone, renamed)| Repair::Rename {
            old_version: gone.version.clone(),
            old_name: gone.name.clone(),
            version: renamed.version.clone(),
            name: renamed.name.clone(),
            checksum: gone.row.map(|r| r.checksum.clone()).unwrap_or_default(),
        })
        .collect();
    for entry in &assessment.entries {
        let Some(row) = entry.row else { continue };
        if renames
            .iter()
            .any(|(gone, _)| gone.version == entry.version)
        {
            continue;
        }
        match (entry.state, row.state) {
            (State::Mismatched, _) => repairs.push(Repair::AcceptChecksum {
                version: entry.version.clone(),
                name: entry.name.clone(),
                old_checksum: row.checksum.clone(),
                new_checksum: entry
                    .migration
                    .map(|m| m.checksum.clone())
                    .unwrap_or_default(),
            }),
            // A claim whose session still runs is a migration under way,
            // not something to clear (a dead one reads as failed).
            (_, RowState::Running) if history::has_claim(row) => {}
            (_, RowState::Failed | RowState::Running) => {
                repairs.push(Repair::ClearFailed {
                    version: entry.version.clone(),
                    name: entry.name.clone(),
                });
            }
            (State::MissingFile, _) => repairs.push(Repair::ForgetMissing {
                version: entry.version.clone(),
                name: entry.name.clone(),
                old_checksum: row.checksum.clone(),
            }),
            _ => {}
        }
    }
    Ok(repairs)
}

/// Makes the `repairs` and logs each in `pgfleet.repairs`, in one transaction.
pub async fn repair(
    fleet: &Fleet,
    placement: &Placement,
    repairs: &[Repair],
) -> Result<(), MigrateError> {
    let db = placement.database.as_str();
    let client = connect_existing(fleet, placement).await?;
    if repairs
        .iter()
        .any(|r| matches!(r, Repair::RewriteAtlasSum { .. }))
    {
        // The log of this repair needs pgfleet.repairs, which a database that could
        // not be migrated yet does not have.
        client
            .batch_execute(history::ENSURE)
            .await
            .map_err(|e| MigrateError::sql(db, "cannot create pgfleet.history", e))?;
    }
    // The plan names older Prisma rows by their folder: record them so.
    if let Ok(folders) = load_folders(&fleet.manifest, &fleet.manifest.databases[db]) {
        let mut rows = history::read(&client, db).await?;
        history::upgrade(&client, db, &folders, &mut rows).await?;
    }
    let by = quote_literal(&history::whoami());
    let q = |s: &str| quote_literal(s);
    let mut sql = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({});\n",
        history::lock_key(db)
    );
    for repair in repairs {
        let (version, action, old, new, change) = match repair {
            Repair::AcceptChecksum {
                version,
                old_checksum,
                new_checksum,
                ..
            } => (
                version,
                "accept_checksum".to_owned(),
                q(old_checksum),
                q(new_checksum),
                format!(
                    "UPDATE pgfleet.history SET checksum = {} WHERE db = {} AND version = {}",
                    q(new_checksum),
                    q(db),
                    q(version)
                ),
            ),
            Repair::ClearFailed { version, .. } => (
                version,
                "clear_failed".to_owned(),
                "NULL".to_owned(),
                "NULL".to_owned(),
                format!(
                    "DELETE FROM pgfleet.history WHERE db = {} AND version = {}",
                    q(db),
                    q(version)
                ),
            ),
            Repair::ForgetMissing {
                version,
                old_checksum,
                ..
            } => (
                version,
                "forget_missing".to_owned(),
                q(old_checksum),
                "NULL".to_owned(),
                format!(
                    "DELETE FROM pgfleet.history WHERE db = {} AND version = {}",
                    q(db),
                    q(version)
                ),
            ),
            Repair::Rename {
                old_version,
                version,
                name,
                checksum,
                ..
            } => (
                version,
                // The row's version is the new one; the action says where it came from.
                format!("rename from {old_version}"),
                q(checksum),
                q(checksum),
                format!(
                    "UPDATE pgfleet.history SET version = {}, name = {} WHERE db = {} AND version = {}",
                    q(version),
                    q(name),
                    q(db),
                    q(old_version)
                ),
            ),
            Repair::RewriteAtlasSum { path, format, .. } => {
                let dir = path.parent().unwrap_or(path);
                let old = std::fs::read(path)
                    .map(|b| hex::encode(sha2::Sha256::digest(b)))
                    .unwrap_or_default();
                formats::rewrite_atlas_sum(dir, *format).map_err(|source| {
                    MigrateError::Format {
                        db: db.to_owned(),
                        source,
                    }
                })?;
                let new = std::fs::read(path)
                    .map(|b| hex::encode(sha2::Sha256::digest(b)))
                    .unwrap_or_default();
                let _ = writeln!(
                    sql,
                    "INSERT INTO pgfleet.repairs (db, version, action, old_checksum, new_checksum, repaired_by) VALUES ({}, 'atlas.sum', 'rewrite_atlas_sum', {}, {}, {by});",
                    q(db),
                    q(&old),
                    q(&new)
                );
                continue;
            }
        };
        let _ = writeln!(
            sql,
            "{change};\nINSERT INTO pgfleet.repairs (db, version, action, old_checksum, new_checksum, repaired_by) VALUES ({}, {}, {}, {old}, {new}, {by});",
            q(db),
            q(version),
            q(&action)
        );
    }
    sql.push_str("COMMIT");
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot repair the history", e))
}

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
