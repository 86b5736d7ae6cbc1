//! `pgfleet schema dump DB`: the stable text (or, with `--json`, the model)
//! of everything a logical database owns.

use clap::{Args, Subcommand};
use pgfleet::Error;
use pgfleet::schema::{self, dump};

use super::{Global, Output};

/// Look at the schema a logical database owns (read-only)
#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:
  pgfleet schema dump billing                  everything `billing` owns, sorted, on stdout
  pgfleet schema dump billing > billing.schema  keep it, then diff it after a migration
  pgfleet -e staging schema dump billing | diff billing.schema -
  pgfleet schema dump billing --json           the same as a JSON model")]
pub enum SchemaCommand {
    /// Print a stable, sorted, diffable text of the database's schema
    Dump(DumpArgs),
}

/// Print a stable, sorted, diffable text of the database's schema
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet schema dump billing                  everything `billing` owns, sorted, on stdout
  pgfleet schema dump billing --json           the same as a JSON model

Tables, columns (in their physical order), constraints, indexes, views, materialized \
views, sequences, functions and procedures, triggers, enums, domains, composite types, \
extensions, comments, owners and grants in the schemas the database owns; never the \
`pgfleet` schema nor other tools' migration history tables.")]
pub struct DumpArgs {
    /// The logical database
    pub database: String,
}

pub async fn run(global: &Global, out: &Output, command: &SchemaCommand) -> Result<u8, Error> {
    let SchemaCommand::Dump(args) = command;
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(std::slice::from_ref(&args.database), false)?;
    let placement = selected
        .into_iter()
        .find(|p| p.database == args.database)
        .ok_or_else(|| Error::Usage(format!("no placement for `{}`", args.database)))?;
    let model = schema::read(&fleet, placement).await?;
    if out.json {
        out.json(&super::json::SchemaDump {
            database: &args.database,
            model: &model,
        });
    } else {
        out.text(dump::render(&model));
    }
    Ok(0)
}
