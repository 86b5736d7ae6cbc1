//! The documents `--json` prints: one object per run, `"version": 1` first, one
//! shape per command family. Every shape is a [`Document`] listed here, so a new
//! one is added on purpose: `docs/json.md` describes each, and
//! `tests/fixtures/json/` holds a strict JSON schema for each that the
//! integration tests check real output against.

mod graph;
mod server;

use std::path::PathBuf;

use pgfleet::backup::{BackupManifest, Checked, Restored};
use pgfleet::data::clean::CleanReport;
use pgfleet::data::seed::SeedReport;
use pgfleet::drift::DriftReport;
use pgfleet::import::ImportReport;
use pgfleet::init::InitReport;
use pgfleet::migrate::ops::{Repair, RolledBack, StatusReport};
use pgfleet::migrate::run::FleetReport;
use pgfleet::provision::{CreateReport, DropReport};
use pgfleet::schema::model::SchemaModel;
use pgfleet::verify::VerifyReport;
use serde::{Serialize, Serializer};

pub use graph::{Graph, GraphServer};
pub use server::{ServerChange, ServerLog, ServerState, Servers};

/// The shape version every document carries. It changes only when a field
/// changes meaning or goes away; new fields keep it.
pub const VERSION: u32 = 1;

/// A type `--json` may print as a whole document: an object, documented.
pub trait Document: Serialize {}

/// `{"version": 1, ...the document's fields}`.
#[derive(Serialize)]
pub struct Versioned<'a, T: Document> {
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

impl<'a, T: Document> Versioned<'a, T> {
    pub fn new(body: &'a T) -> Versioned<'a, T> {
        Versioned {
            version: VERSION,
            body,
        }
    }
}

/// The document of a failed run (a usage, manifest or operation error).
#[derive(Debug, Serialize)]
pub struct ErrorDoc {
    pub error: String,
    pub hint: Option<String>,
    pub exit_code: u8,
}

/// A library report about databases of one env, with the env named:
/// `{"env": "dev", "databases": [...]}` (or `"dropped"` for `drop`).
#[derive(Serialize)]
pub struct InEnv<'a, T: Serialize> {
    pub env: &'a str,
    #[serde(flatten)]
    pub report: &'a T,
}

/// `pgfleet env [DB]`: the variables, in the order they are printed as text.
#[derive(Serialize)]
pub struct EnvVars<'a> {
    pub env: &'a str,
    /// The database named on the command line; `None` for the whole fleet.
    pub database: Option<&'a str>,
    pub vars: Ordered<'a>,
}

/// `pgfleet env --write`: per file, its status and each variable's.
#[derive(Serialize)]
pub struct EnvWrite<'a> {
    pub env: &'a str,
    pub files: Vec<EnvFile<'a>>,
}

#[derive(Serialize)]
pub struct EnvFile<'a> {
    pub service: &'a str,
    pub path: String,
    pub status: &'a str,
    pub keys: Ordered<'a>,
    /// The copy made of the file as it was, on the run that made it.
    pub backup: Option<String>,
}

/// Pairs serialized as one JSON object, keeping their order.
pub struct Ordered<'a>(pub Vec<(&'a str, &'a str)>);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().copied())
    }
}

/// `pgfleet up`.
#[derive(Serialize)]
pub struct Up<'a> {
    pub env: &'a str,
    pub servers: &'a [ServerChange],
    pub create: &'a CreateReport,
    pub migrate: &'a FleetReport,
    pub seed: Option<&'a SeedReport>,
    pub seeds_skipped: &'a [String],
}

/// `pgfleet reset`.
#[derive(Serialize)]
pub struct Reset<'a> {
    pub env: &'a str,
    pub drop: &'a DropReport,
    pub create: &'a CreateReport,
    pub migrate: &'a FleetReport,
    pub seed: Option<&'a SeedReport>,
}

/// `pgfleet rollback DB`.
#[derive(Serialize)]
pub struct Rollback<'a> {
    pub database: &'a str,
    pub rolled_back: &'a [RolledBack],
}

/// `pgfleet baseline DB VERSION`.
#[derive(Serialize)]
pub struct Baseline<'a> {
    pub database: &'a str,
    /// The versions recorded as applied.
    pub baseline: &'a [String],
}

/// `pgfleet repair DB`.
#[derive(Serialize)]
pub struct RepairDoc<'a> {
    pub database: &'a str,
    pub repairs: &'a [Repair],
}

/// `pgfleet new DB NAME`.
#[derive(Serialize)]
pub struct NewFiles<'a> {
    pub database: &'a str,
    pub files: &'a [PathBuf],
}

/// `pgfleet backup`: the manifest written, and with `--verify` what the test
/// restores showed.
#[derive(Serialize)]
pub struct BackupDoc<'a> {
    pub env: &'a str,
    pub backup: &'a BackupManifest,
    pub verify: Option<&'a [Checked]>,
}

/// `pgfleet restore DIR`.
#[derive(Serialize)]
pub struct Restore<'a> {
    pub env: &'a str,
    pub restored: &'a [Restored],
}

/// `pgfleet restore DIR --check`.
#[derive(Serialize)]
pub struct RestoreCheck<'a> {
    pub env: &'a str,
    pub verify: &'a [Checked],
}

/// `pgfleet schema dump DB --json`: the database and its schema model.
#[derive(Serialize)]
pub struct SchemaDump<'a> {
    pub database: &'a str,
    #[serde(flatten)]
    pub model: &'a SchemaModel,
}

impl Document for ErrorDoc {}
impl Document for InitReport {}
impl Document for StatusReport {}
impl Document for FleetReport {}
impl Document for VerifyReport {}
impl Document for DriftReport {}
impl Document for ImportReport {}
impl Document for InEnv<'_, CreateReport> {}
impl Document for InEnv<'_, DropReport> {}
impl Document for InEnv<'_, SeedReport> {}
impl Document for InEnv<'_, CleanReport> {}
impl Document for EnvVars<'_> {}
impl Document for EnvWrite<'_> {}
impl Document for Up<'_> {}
impl Document for Reset<'_> {}
impl Document for Rollback<'_> {}
impl Document for Baseline<'_> {}
impl Document for RepairDoc<'_> {}
impl Document for NewFiles<'_> {}
impl Document for BackupDoc<'_> {}
impl Document for Restore<'_> {}
impl Document for RestoreCheck<'_> {}
impl Document for SchemaDump<'_> {}
impl Document for Graph {}
impl Document for Servers<ServerChange> {}
impl Document for Servers<ServerState> {}
impl Document for Servers<ServerLog> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_first_and_fields_follow() {
        let doc = ErrorDoc {
            error: "bad".into(),
            hint: None,
            exit_code: 2,
        };
        assert_eq!(
            serde_json::to_string(&Versioned::new(&doc)).unwrap(),
            r#"{"version":1,"error":"bad","hint":null,"exit_code":2}"#
        );
    }

    #[test]
    fn ordered_pairs_keep_their_order() {
        let vars = Ordered(vec![("Z", "1"), ("A", "2")]);
        assert_eq!(
            serde_json::to_string(&vars).unwrap(),
            r#"{"Z":"1","A":"2"}"#
        );
    }
}
