//! What a logical database owns, as a typed model and as stable text:
//! `pgfleet schema dump`, and later `drift` (which compares two models).
//!
//! - [`model`]: the model, one struct per object kind, keyed by name
//! - [`catalog`]: reads the model from a live database
//! - [`dump`]: renders it as sorted, diffable text
//! - [`diff`]: compares two models object by object, for `drift`

pub mod catalog;
pub mod diff;
pub mod dump;
pub mod model;

pub use catalog::Scope;
pub use model::SchemaModel;

use crate::error::Result;
use crate::fleet::Fleet;
use crate::migrate::formats;
use crate::topology::Placement;

/// What `placement` owns: its schemas (never `pgfleet`), the extensions
/// the manifest declares for it, and not the peers' history tables.
pub fn scope(fleet: &Fleet, placement: &Placement) -> Scope {
    let mut skip_tables: Vec<String> = formats::peer_history_tables()
        .into_iter()
        .map(str::to_owned)
        .collect();
    // Tables a drizzle config, a Sqitch registry or `history_table` names.
    if let Some(db) = fleet.manifest.databases.get(&placement.database) {
        skip_tables.extend(crate::migrate::peer_tables(db).into_iter().map(|(_, t)| t));
    }
    skip_tables.sort();
    skip_tables.dedup();
    Scope {
        schemas: placement.owned_schemas.clone(),
        extensions: fleet
            .manifest
            .databases
            .get(&placement.database)
            .map(|d| d.extensions.clone())
            .unwrap_or_default(),
        skip_tables,
    }
}

/// Connects to `placement`'s physical database and reads what it owns.
pub async fn read(fleet: &Fleet, placement: &Placement) -> Result<SchemaModel> {
    let client = fleet.conninfo(placement)?.connect().await?;
    catalog::read(&client, &scope(fleet, placement)).await
}
