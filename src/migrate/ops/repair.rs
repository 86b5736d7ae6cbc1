//! `repair`: the history made to agree with the files again (edited, renamed or removed
//! migrations, failed no-transaction runs, stale `atlas.sum`), audited in `pgfleet.repairs`.

use std::fmt::Write;

use serde::Serialize;
use sha2::Digest as _;

use super::connect_existing;
use crate::connect::quote_literal;
use crate::fleet::Fleet;
use crate::migrate::formats::{self};
use crate::migrate::history::{self, RowState};
use crate::migrate::plan::{self, State};
use crate::migrate::{MigrateError, load_folders, peer};
use crate::topology::Placement;

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
        let format = match crate::migrate::declared_format(db, source) {
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
    let mut peer = peer::Writer::none();
    if let Ok(folders) = load_folders(&fleet.manifest, &fleet.manifest.databases[db]) {
        let mut rows = history::read(&client, db).await?;
        history::upgrade(&client, db, &folders, &mut rows).await?;
        // An accepted checksum goes to the peer tool's table too, so the tool does not
        // call the file modified either.
        peer = peer::Writer::prepare(&client, db, &folders, placement).await?;
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
                    "UPDATE pgfleet.history SET checksum = {} WHERE db = {} AND version = {};\n{}",
                    q(new_checksum),
                    q(db),
                    q(version),
                    peer.checksum_accepted_sql(version)
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
