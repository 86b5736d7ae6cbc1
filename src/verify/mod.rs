//! `verify`: is each database what the manifest says it is? Server reachable,
//! physical database, owned schemas and extensions present, history
//! consistent with the files, and every declared cross-database reference
//! without orphans.
//!
//! Pending migrations are a warning, not a failure: `status --check` is the
//! gate for "not migrated yet"; verify fails on history that disagrees with
//! the files (changed, missing or failed migrations).
//!
//! [`verify_offline`] (`verify --offline`) checks the workspace alone, with no
//! connection; cross-database references are checked in `references`.

pub(crate) mod offline;
mod references;

use std::collections::BTreeSet;

use serde::Serialize;
use tokio_postgres::Client;

use crate::connect::ConnectError;
use crate::connect::describe_sql_error;
use crate::error::Error;
use crate::fleet::Fleet;
use crate::migrate::ops;
use crate::topology::Placement;

pub use offline::verify_offline;
use references::verify_references;
pub use references::{Orphans, reference_name};

/// SQLSTATE 3D000: the database does not exist.
const INVALID_CATALOG_NAME: &str = "3D000";
/// How many orphan values a failed reference check shows.
pub const SAMPLES: usize = 5;

/// Everything `verify` found, in database order.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub env: String,
    /// Checks that failed (warnings not counted).
    pub failed: usize,
    /// Whether a failed check is a server that could not be reached (exit 1
    /// rather than 3: nothing was checked there).
    pub unreachable: bool,
    pub checks: Vec<Check>,
}

/// One check of one database.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub database: String,
    /// `server`, `database`, `schema <name>`, `extension <name>`,
    /// `migrations`, or a reference as `db.table.column -> db.table.column`.
    pub check: String,
    pub result: Outcome,
    pub detail: String,
    /// For references: distinct values in `from` with no match in `to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphans: Option<u64>,
    /// For references: up to [`SAMPLES`] orphan values, smallest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Warning,
    Failed,
}

impl Check {
    fn new(database: &str, check: impl Into<String>, result: Outcome, detail: String) -> Check {
        Check {
            database: database.to_owned(),
            check: check.into(),
            result,
            detail,
            orphans: None,
            samples: Vec::new(),
        }
    }
}

/// Runs every check of the selected databases. Read-only: transactions are
/// `READ ONLY`, nothing is created. Problems are checks, not errors.
pub async fn verify(fleet: &Fleet, selected: &[&Placement]) -> VerifyReport {
    let mut checks = Vec::new();
    let mut unreachable = false;
    for placement in selected {
        let reached = verify_database(fleet, placement, &mut checks).await;
        unreachable |= !reached;
        if reached {
            verify_references(fleet, placement, &mut checks).await;
        }
    }
    VerifyReport {
        env: fleet.topology.env.clone(),
        failed: checks
            .iter()
            .filter(|c| c.result == Outcome::Failed)
            .count(),
        unreachable,
        checks,
    }
}

/// Connects to the placement's database: `Ok(None)` when the server answers
/// that it does not exist.
pub(super) async fn connect(fleet: &Fleet, placement: &Placement) -> Result<Option<Client>, Error> {
    let info = fleet.conninfo(placement)?;
    match info.connect().await {
        Ok(client) => Ok(Some(client)),
        Err(ConnectError::Connect { source, .. })
            if source
                .code()
                .is_some_and(|c| c.code() == INVALID_CATALOG_NAME) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The error's text with its hint, for a check's detail.
pub(super) fn describe(e: &Error) -> String {
    match e.hint() {
        Some(hint) => format!("{e} (hint: {hint})"),
        None => e.to_string(),
    }
}

/// The server, database, schema, extension and migrations checks. Returns
/// whether the server was reached.
async fn verify_database(fleet: &Fleet, placement: &Placement, checks: &mut Vec<Check>) -> bool {
    let db = placement.database.as_str();
    let failed = |check: &str, detail: String| Check::new(db, check, Outcome::Failed, detail);
    let client = match connect(fleet, placement).await {
        Ok(client) => client,
        Err(e) => {
            checks.push(failed(
                "server",
                format!("`{}` cannot be reached: {}", placement.server, describe(&e)),
            ));
            return false;
        }
    };
    let Some(client) = client else {
        let version = server_version_of(fleet, &placement.server).await;
        checks.push(Check::new(db, "server", Outcome::Ok, version));
        checks.push(failed(
            "database",
            format!(
                "`{}` does not exist on `{}` (hint: `pgfleet up {db}`)",
                placement.physical, placement.server
            ),
        ));
        return true;
    };
    let version = crate::connect::server_version(&client).await.map_or_else(
        |e| format!("version unknown: {}", describe_sql_error(&e)),
        |v| format!("PostgreSQL {}", v.text),
    );
    checks.push(Check::new(
        db,
        "server",
        Outcome::Ok,
        format!("`{}` {version}", placement.server),
    ));
    checks.push(Check::new(
        db,
        "database",
        Outcome::Ok,
        format!("`{}` exists", placement.physical),
    ));

    let manifest_db = &fleet.manifest.databases[db];
    let present = |sql: &'static str| {
        let client = &client;
        async move {
            let rows = client.simple_query(sql).await?;
            Ok::<BTreeSet<String>, tokio_postgres::Error>(
                rows.iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                        _ => None,
                    })
                    .collect(),
            )
        }
    };
    let listed = [
        (
            "schema",
            "SELECT nspname FROM pg_namespace",
            &placement.owned_schemas,
            "`pgfleet create` makes it",
        ),
        (
            "extension",
            "SELECT extname FROM pg_extension",
            &manifest_db.extensions,
            "`pgfleet create` installs it",
        ),
    ];
    for (kind, sql, wanted, fix) in listed {
        if wanted.is_empty() {
            continue;
        }
        match present(sql).await {
            Ok(have) => {
                for name in wanted {
                    let check = format!("{kind} {name}");
                    checks.push(if have.contains(name) {
                        Check::new(db, check, Outcome::Ok, "present".into())
                    } else {
                        failed(&check, format!("{kind} `{name}` is missing (hint: {fix})"))
                    });
                }
            }
            Err(e) => checks.push(failed(kind, describe_sql_error(&e))),
        }
    }
    checks.push(migrations_check(fleet, placement, &client).await);
    true
}

async fn migrations_check(fleet: &Fleet, placement: &Placement, client: &Client) -> Check {
    let db = placement.database.as_str();
    let status = match ops::status_on(fleet, placement, client).await {
        Ok(status) => status,
        Err(e) => return Check::new(db, "migrations", Outcome::Failed, describe(&e.into())),
    };
    let (Some(applied), Some(pending)) = (status.applied, status.pending) else {
        return Check::new(
            db,
            "migrations",
            Outcome::Ok,
            "run by `runner`: not checked".into(),
        );
    };
    let mut problems = Vec::new();
    for (n, what) in [
        (status.mismatched, "changed since applied"),
        (status.missing, "applied but its file is missing"),
        (status.failed, "failed"),
    ] {
        if let Some(n) = n.filter(|n| *n > 0) {
            problems.push(format!("{n} {what}"));
        }
    }
    for d in &status.peer_disagreements {
        problems.push(format!(
            "`{}`{}: {}",
            d.table,
            d.version
                .as_deref()
                .map(|v| format!(" `{v}`"))
                .unwrap_or_default(),
            d.problem
        ));
    }
    let summary = format!("{applied} applied, {pending} pending");
    if !problems.is_empty() {
        let names: Vec<String> = status
            .migrations
            .iter()
            .filter(|m| {
                !matches!(
                    m.state,
                    crate::migrate::plan::State::Applied | crate::migrate::plan::State::Pending
                )
            })
            .map(|m| format!("{}_{}", m.version, m.name))
            .collect();
        return Check::new(
            db,
            "migrations",
            Outcome::Failed,
            format!(
                "{}: {} ({summary}; hint: `pgfleet status {db}`)",
                problems.join(", "),
                names.join(", ")
            ),
        );
    }
    if pending > 0 {
        return Check::new(
            db,
            "migrations",
            Outcome::Warning,
            format!("{summary} (hint: `pgfleet migrate {db}`)"),
        );
    }
    Check::new(db, "migrations", Outcome::Ok, summary)
}

/// The server version through the maintenance database (when the placement's
/// own database is missing).
async fn server_version_of(fleet: &Fleet, server: &str) -> String {
    let answer = match fleet.server_conninfo(server) {
        Ok(info) => match info.connect().await {
            Ok(client) => crate::connect::server_version(&client)
                .await
                .ok()
                .map(|v| format!("PostgreSQL {}", v.text)),
            Err(_) => None,
        },
        Err(_) => None,
    };
    match answer {
        Some(v) => format!("`{server}` {v}"),
        None => format!("`{server}` answered"),
    }
}
