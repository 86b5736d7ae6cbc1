//! `drift`: does the live schema match what the migrations build?
//!
//! For each logical database, a shadow database with a unique name is made
//! on the same server (or the env's `shadow_server`), given the database's
//! schemas and extensions as `create` would, migrated with the migration
//! engine, read with the same catalog reader as the live database, compared
//! with [`schema::diff`], and dropped, whatever happened in between.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::migrate::run::{self, MigrateOptions, Outcome};
use crate::provision;
use crate::schema::{self, diff::Difference};
use crate::topology::Placement;

pub use crate::provision::SHADOW_PREFIX;

/// PostgreSQL's `NAMEDATALEN - 1`.
const MAX_NAME: usize = 63;

#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub env: String,
    pub databases: Vec<DbDrift>,
}

impl DriftReport {
    /// Some database differs from its migrations.
    pub fn drifted(&self) -> bool {
        self.databases
            .iter()
            .any(|d| d.state == DriftState::Drifted)
    }

    /// Some database could not be checked.
    pub fn failed(&self) -> bool {
        self.databases.iter().any(|d| d.state == DriftState::Failed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftState {
    /// The live schema is what the migrations build.
    NoDrift,
    Drifted,
    /// Not checked: `note` says why.
    Skipped,
    /// The check itself failed: `error` says why.
    Failed,
}

#[derive(Debug, Serialize)]
pub struct DbDrift {
    pub database: String,
    pub state: DriftState,
    /// The shadow database used (dropped again).
    pub shadow: Option<String>,
    pub differences: Vec<Difference>,
    pub note: Option<String>,
    pub error: Option<String>,
    pub hint: Option<String>,
}

impl DbDrift {
    fn new(database: &str, state: DriftState) -> DbDrift {
        DbDrift {
            database: database.to_owned(),
            state,
            shadow: None,
            differences: Vec::new(),
            note: None,
            error: None,
            hint: None,
        }
    }
}

/// Checks `selected` (in dependency order), one at a time. A database that
/// cannot be checked is reported as failed and the others still run.
pub async fn drift(fleet: &Fleet, selected: &[&Placement]) -> DriftReport {
    let shared = Arc::new(fleet.clone());
    let mut databases = Vec::with_capacity(selected.len());
    for placement in selected {
        databases.push(drift_one(&shared, placement).await);
    }
    DriftReport {
        env: fleet.topology.env.clone(),
        databases,
    }
}

async fn drift_one(fleet: &Arc<Fleet>, placement: &Placement) -> DbDrift {
    let name = placement.database.as_str();
    if fleet.manifest.databases[name].runner.is_some() {
        let mut report = DbDrift::new(name, DriftState::Skipped);
        report.note = Some("migrated by a `runner` command, which cannot be replayed".into());
        return report;
    }
    let shadow_name = shadow_name(name);
    let shadow = fleet.shadow_placement(placement, &shadow_name);
    let result = match schema::read(fleet, placement).await {
        Ok(live) => {
            // Everything after the first statement that may create the
            // shadow runs before the drop, which runs on every path.
            let built = build_and_read(fleet, &shadow).await;
            let dropped = drop_shadow(fleet, &shadow).await;
            match (built, dropped) {
                (Ok(expected), Ok(())) => Ok(schema::diff::diff(&live, &expected)),
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(differences) => {
            let state = if differences.is_empty() {
                DriftState::NoDrift
            } else {
                DriftState::Drifted
            };
            let mut report = DbDrift::new(name, state);
            report.shadow = Some(shadow_name);
            report.differences = differences;
            report
        }
        Err(e) => {
            let mut report = DbDrift::new(name, DriftState::Failed);
            report.shadow = Some(shadow_name);
            report.hint = e.hint();
            report.error = Some(e.to_string());
            report
        }
    }
}

/// Creates the shadow with the database's schemas and extensions, applies
/// its migrations there and reads what they built.
async fn build_and_read(fleet: &Arc<Fleet>, shadow: &Placement) -> Result<schema::SchemaModel> {
    provision::create(fleet, &[shadow]).await?;
    let options = MigrateOptions {
        jobs: 1,
        ..MigrateOptions::default()
    };
    let report = run::migrate(fleet.clone(), &[shadow], &options, Arc::new(|_| {})).await?;
    if let Some(failed) = report
        .databases
        .into_iter()
        .find(|d| d.outcome == Outcome::Failed)
    {
        return Err(Error::Shadow {
            database: shadow.database.clone(),
            message: failed.error.unwrap_or_default(),
            hint: failed.hint,
        });
    }
    schema::read(fleet, shadow).await
}

/// `DROP DATABASE IF EXISTS ... WITH (FORCE)`: also when creating it failed
/// half-way, and whatever sessions the migrations left behind.
async fn drop_shadow(fleet: &Fleet, shadow: &Placement) -> Result<()> {
    let admin = fleet.server_conninfo(&shadow.server)?.connect().await?;
    Ok(provision::drop_database(&admin, &shadow.server, &shadow.physical).await?)
}

/// `pgfleet_shadow_<db>_<pid>_<random>`, the database name cut so the
/// whole stays within 63 bytes.
fn shadow_name(database: &str) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let tail = format!("_{}_{:08x}", std::process::id(), random & 0xffff_ffff);
    let room = MAX_NAME - SHADOW_PREFIX.len() - tail.len();
    let mut db = String::new();
    for c in database.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if db.len() + c.len_utf8() > room {
            break;
        }
        db.push(c);
    }
    format!("{SHADOW_PREFIX}{db}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_names_are_unique_and_fit() {
        let a = shadow_name("billing");
        let b = shadow_name("billing");
        assert_ne!(a, b);
        assert!(a.starts_with("pgfleet_shadow_billing_"), "{a}");
        let long = shadow_name(&"x".repeat(100));
        assert!(long.len() <= MAX_NAME, "{long}");
        assert!(shadow_name("Web-App").starts_with("pgfleet_shadow_web_app_"));
    }
}
