//! `pgfleet new`: a migration file in the database's own format.

use clap::Args;
use pgfleet::Error;
use pgfleet::migrate::ops;

use super::{Global, Output};

/// Create an empty migration file in the database's format, with the next version
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet new billing add_invoice_status     e.g. 20251121093000_add_invoice_status.sql
  pgfleet new catalog \"add sku index\"        Prisma: <timestamp>_add_sku_index/migration.sql")]
pub struct NewArgs {
    /// The logical database
    pub database: String,
    /// What the migration does (letters, digits, `_`, `-`; spaces become `_`)
    pub name: String,
}

pub fn run(global: &Global, out: &Output, args: &NewArgs) -> Result<u8, Error> {
    let fleet = global.open()?;
    fleet.select(std::slice::from_ref(&args.database), false)?;
    let paths = ops::new_migration(&fleet, &args.database, &args.name)?;
    if out.json {
        out.json(&super::json::NewFiles {
            database: &args.database,
            files: &paths,
        });
    } else {
        for path in paths {
            out.text(format!("{}\n", fleet.manifest.shown(&path)));
        }
    }
    Ok(0)
}
