//! `pgfleet baseline`: mark migrations applied without running them.

use clap::Args;
use pgfleet::Error;
use pgfleet::migrate::ops;

use super::{Global, Output};

/// Mark every migration up to VERSION applied without running it
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet baseline billing --version 20251021080000   adopt a database whose schema already exists")]
pub struct BaselineArgs {
    /// The logical database
    pub database: String,
    /// The last version that is already in the database
    #[arg(long, value_name = "VERSION")]
    pub version: String,
}

pub async fn run(global: &Global, out: &Output, args: &BaselineArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let placement = fleet.select(std::slice::from_ref(&args.database), false)?[0];
    let recorded = ops::baseline(&fleet, placement, &args.version).await?;
    if out.json {
        out.json(&super::json::Baseline {
            database: &args.database,
            baseline: &recorded,
        });
    } else {
        out.line(format!(
            "{}: {} migration(s) marked applied up to {}",
            args.database,
            recorded.len(),
            args.version
        ));
    }
    Ok(0)
}
