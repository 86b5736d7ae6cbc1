//! `pgfleet clean`: empty every table a database owns.

use clap::Args;
use pgfleet::Error;
use pgfleet::data::clean;
use pgfleet::safety::{Destructive, Extent};

use super::drop::{Intent, confirm};
use super::json::InEnv;
use super::{Global, Output};

/// Empty every table the databases own, restart their sequences, refresh their materialized views
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet clean                  every database of the env
  pgfleet clean billing          only the tables in the schemas `billing` owns
  pgfleet clean && pgfleet seed  back to the seeded state without migrating again

Schema, `pgfleet.history` and other tools' history tables are kept; each
database is cleaned in one transaction. Refused in a protected env unless
--allow-protected.")]
pub struct CleanArgs {
    /// Logical databases to clean [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub guard: super::drop::Guard,
}

pub async fn run(global: &Global, out: &Output, args: &CleanArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let permit = confirm(
        global,
        out,
        &fleet.topology,
        &Intent {
            operation: Destructive::Clean,
            allow_protected: args.guard.allow_protected,
            selected: &selected,
            extent: Extent::Whole,
        },
    )?;
    super::drop::backup_first(out, &fleet, &selected, args.guard.backup_first).await?;
    let report = clean::clean(&fleet, &permit, &selected).await;
    if out.json {
        out.json(&InEnv {
            env: &fleet.topology.env,
            report: &report,
        });
    } else {
        for db in report.databases.iter().filter(|d| d.error.is_none()) {
            out.line(format!(
                "{}: emptied {} table(s), restarted {} sequence(s), refreshed {} materialized view(s) in `{}`",
                db.database,
                db.tables.len(),
                db.sequences.len(),
                db.materialized_views.len(),
                db.physical_database
            ));
            if out.verbose > 0 {
                for name in db
                    .tables
                    .iter()
                    .chain(&db.sequences)
                    .chain(&db.materialized_views)
                {
                    out.line(format!("  {name}"));
                }
            }
        }
    }
    for db in &report.databases {
        if let Some(error) = &db.error {
            out.error_text(error, db.hint.as_deref());
        }
    }
    Ok(u8::from(report.failed()))
}
