//! `rollback`: the last applied migrations undone with their down scripts.

use serde::Serialize;

use super::{connect_existing, version_of};
use crate::connect::quote_literal;
use crate::fleet::Fleet;
use crate::migrate::formats::Version;
use crate::migrate::history::{self, Row, RowKind, RowState};
use crate::migrate::{MigrateError, load_folders, peer, script};
use crate::topology::Placement;

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
/// anything when one of them has no down script. `permit`: the safety rule said yes for
/// this env ([`crate::safety::check`]).
pub async fn rollback(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    placement: &Placement,
    to: &RollbackTo,
) -> Result<Vec<RolledBack>, MigrateError> {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
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
