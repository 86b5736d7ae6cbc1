//! `pgfleet rollback`: run the down scripts recorded when migrations were applied.

use clap::Args;
use pgfleet::Error;
use pgfleet::migrate::ops::{self, RollbackTo};
use pgfleet::safety::{Destructive, Extent};

use super::{Global, Output};

/// Undo applied migrations with the down scripts recorded when they ran
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet rollback billing                 undo the last migration of `billing`
  pgfleet rollback billing --count 3       the last three
  pgfleet rollback billing --to 20251021080000   everything after that version

Refused when one of them has no down script, before anything changes.")]
pub struct RollbackArgs {
    /// The logical database
    pub database: String,
    /// How many migrations to undo
    #[arg(long, conflicts_with = "to", value_name = "N")]
    pub count: Option<usize>,
    /// Undo every migration newer than this version
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    #[command(flatten)]
    pub guard: super::drop::Guard,
}

pub async fn run(global: &Global, out: &Output, args: &RollbackArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(std::slice::from_ref(&args.database), false)?;
    let placement = selected[0];
    let extent = match &args.to {
        Some(version) => Extent::MigrationsAfter(version),
        None => Extent::LastMigrations(args.count.unwrap_or(1)),
    };
    let permit = super::drop::confirm(
        global,
        out,
        &fleet.topology,
        &super::drop::Intent {
            operation: Destructive::Rollback,
            allow_protected: args.guard.allow_protected,
            selected: &selected,
            extent,
        },
    )?;
    super::drop::backup_first(out, &fleet, &[placement], args.guard.backup_first).await?;
    let to = match &args.to {
        Some(v) => RollbackTo::Version(v.clone()),
        None => RollbackTo::Count(args.count.unwrap_or(1)),
    };
    let done = ops::rollback(&fleet, &permit, placement, &to).await?;
    if out.json {
        out.json(&super::json::Rollback {
            database: &args.database,
            rolled_back: &done,
        });
    } else if done.is_empty() {
        out.line(format!("{}: nothing to roll back", args.database));
    } else {
        for r in &done {
            out.line(format!(
                "{}: rolled back {}_{}",
                args.database, r.version, r.name
            ));
        }
    }
    Ok(0)
}
