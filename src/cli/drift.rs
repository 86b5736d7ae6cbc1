//! `pgfleet drift [DB..]`: the live schema against what the migrations
//! build in a throwaway shadow database.

use clap::Args;
use pgfleet::Error;
use pgfleet::drift::{self, DriftState};
use pgfleet::error::exit;

use super::{Global, Output};

/// Compare each live schema with the schema its migrations build
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet drift                  every database: what differs from its migrations
  pgfleet drift billing          only `billing`
  pgfleet drift --json           the differences as one JSON document
  pgfleet -e staging drift       check staging's databases (shadows are built beside them)

For each database pgfleet creates a shadow database `pgfleet_shadow_<db>_<pid>_<random>` \
on the same server (or the env's `shadow_server`), applies the migrations there, compares \
both schemas object by object and drops the shadow again. `added` means in the live \
database and not in the migrations; a changed property reads `expected -> live`. \
Databases migrated by a `runner` are skipped. Exit 3 when any database drifted.")]
pub struct DriftArgs {
    /// Logical databases to check [default: all]
    pub databases: Vec<String>,
}

pub async fn run(global: &Global, out: &Output, args: &DriftArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let report = drift::drift(&fleet, &selected).await;
    if out.json {
        out.json(&report);
        for d in report
            .databases
            .iter()
            .filter(|d| d.state == DriftState::Failed)
        {
            out.error_text(
                &format!(
                    "cannot check `{}`: {}",
                    d.database,
                    d.error.as_deref().unwrap_or_default()
                ),
                d.hint.as_deref(),
            );
        }
    } else {
        for d in &report.databases {
            match d.state {
                DriftState::NoDrift => out.line(format!("{}: no drift", d.database)),
                DriftState::Drifted => {
                    out.finding(format!(
                        "{}: {} difference(s) from its migrations",
                        d.database,
                        d.differences.len()
                    ));
                    for difference in &d.differences {
                        out.finding(format!("  {difference}"));
                    }
                }
                DriftState::Skipped => out.line(format!(
                    "{}: skipped ({})",
                    d.database,
                    d.note.as_deref().unwrap_or_default()
                )),
                DriftState::Failed => out.error_text(
                    &format!(
                        "cannot check `{}`: {}",
                        d.database,
                        d.error.as_deref().unwrap_or_default()
                    ),
                    d.hint.as_deref(),
                ),
            }
        }
    }
    Ok(if report.failed() {
        exit::FAILED
    } else if report.drifted() {
        exit::CHECK_FOUND
    } else {
        exit::OK
    })
}
