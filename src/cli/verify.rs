//! `pgfleet verify`: each database against the manifest, and the
//! cross-database references between them.

use clap::Args;
use pgfleet::Error;
use pgfleet::fleet::OpenOptions;
use pgfleet::manifest::suggest;
use pgfleet::verify::{self, Outcome};

use super::{Global, Output};

/// Check servers, databases, schemas, extensions, history and references (read-only)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet verify                 every check of every database, as a table
  pgfleet verify app             `app` and the references it declares
  pgfleet verify --json          one JSON document: {env, failed, unreachable, checks}
  pgfleet verify --offline       the manifest alone, no connection: every env's placements,
                                 every migrations folder read and split, seeds, dependencies
Exit codes: 0 every check passed (pending migrations are a warning), 3 a check failed,
1 a server could not be reached (the other checks still run and are shown).")]
pub struct VerifyArgs {
    /// Logical databases to verify [default: all]
    pub databases: Vec<String>,
    /// Check the workspace only (manifest, placements of every env, migration folders,
    /// dependencies) without connecting; with --env, only that env's placements
    #[arg(long)]
    pub offline: bool,
}

pub async fn run(global: &Global, out: &Output, args: &VerifyArgs) -> Result<u8, Error> {
    let report = if args.offline {
        let manifest = pgfleet::fleet::open_manifest(&OpenOptions {
            workspace: global.workspace.as_deref(),
            env: global.env.as_deref(),
        })?;
        if let Some(env) = global.env.as_deref() {
            // An unknown `--env` is a usage error here too, not a failed check.
            pgfleet::topology::select_env(&manifest, Some(env))?;
        }
        for name in &args.databases {
            if !manifest.databases.contains_key(name) {
                return Err(pgfleet::fleet::FleetError::UnknownDatabase {
                    name: name.clone(),
                    suggestion: suggest(name, manifest.order.iter().map(String::as_str)),
                    known: manifest.order.clone(),
                }
                .into());
            }
        }
        let mut report = verify::verify_offline(&manifest, global.env.as_deref());
        if !args.databases.is_empty() {
            report
                .checks
                .retain(|c| c.database == "-" || args.databases.contains(&c.database));
            report.failed = report
                .checks
                .iter()
                .filter(|c| c.result == Outcome::Failed)
                .count();
        }
        report
    } else {
        let fleet = global.open_running(out).await?;
        let selected = fleet.select(&args.databases, false)?;
        verify::verify(&fleet, &selected).await
    };
    if out.json {
        out.json(&report);
    } else {
        let rows: Vec<[String; 4]> = report
            .checks
            .iter()
            .map(|c| {
                let result = match c.result {
                    Outcome::Ok => "ok",
                    Outcome::Warning => "warning",
                    Outcome::Failed => "FAILED",
                };
                [
                    c.database.clone(),
                    c.check.clone(),
                    result.to_owned(),
                    c.detail.clone(),
                ]
            })
            .collect();
        out.table_with_findings(&["database", "check", "result", "detail"], &rows, |r| {
            r[2] == "FAILED"
        });
        if report.failed > 0 {
            out.note(format!("{} check(s) failed", report.failed));
        }
    }
    Ok(if report.unreachable {
        1
    } else if report.failed > 0 {
        3
    } else {
        0
    })
}
