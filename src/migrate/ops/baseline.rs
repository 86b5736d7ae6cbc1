//! `baseline`: migrations up to a version recorded as applied without running them.

use super::{connect_existing, version_of};
use crate::fleet::Fleet;
use crate::migrate::formats::Kind;
use crate::migrate::history::{self, RowKind, RowState};
use crate::migrate::{MigrateError, load_folders, peer};
use crate::topology::Placement;

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
