//! Single-database and read-only operations, one file each: [`status`], [`rollback`],
//! [`baseline`], [`repair`] and [`new`](new_migration).

mod baseline;
mod new;
mod repair;
mod rollback;
mod status;

use tokio_postgres::Client;

use super::MigrateError;
use super::formats::{Folder, Version};
use crate::fleet::Fleet;
use crate::topology::Placement;

pub use baseline::baseline;
pub use new::new_migration;
pub use repair::{Repair, repair, repair_plan};
pub use rollback::{RollbackTo, RolledBack, rollback};
pub use status::{DbStatus, MigrationStatus, StatusReport, status, status_on};

/// SQLSTATE 3D000: the database does not exist (yet).
const INVALID_CATALOG_NAME: &str = "3D000";

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
