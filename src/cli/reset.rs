//! `pgfleet reset`: drop, create, migrate, seed.

use std::sync::Arc;

use clap::Args;
use pgfleet::Error;
use pgfleet::data::seed;
use pgfleet::migrate::run::{self, MigrateOptions, Progress};
use pgfleet::provision;
use pgfleet::safety::{Destructive, Extent};

use super::drop::{Intent, confirm};
use super::{Global, Output};

/// Drop the databases, create them again, migrate and seed them
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet reset                  every database of the env, from scratch
  pgfleet reset billing          only `billing` (in a shared physical database, its schemas)
  pgfleet reset --json           the drop, create, migrate and seed reports in one document

Refused in a protected env unless --allow-protected.")]
pub struct ResetArgs {
    /// Logical databases to reset [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub guard: super::drop::Guard,
}

pub async fn run(global: &Global, out: &Output, args: &ResetArgs) -> Result<u8, Error> {
    let fleet = Arc::new(global.open_running(out).await?);
    let selected = fleet.select(&args.databases, false)?;
    let permit = confirm(
        global,
        out,
        &fleet.topology,
        &Intent {
            operation: Destructive::Reset,
            allow_protected: args.guard.allow_protected,
            selected: &selected,
            extent: Extent::Whole,
        },
    )?;
    super::drop::backup_first(out, &fleet, &selected, args.guard.backup_first).await?;
    let dropped = provision::drop(&fleet, &permit, &selected).await?;
    let created = provision::create(&fleet, &selected).await?;
    let quiet: Progress = Arc::new(|_| {});
    let options = MigrateOptions::default();
    let migrated = run::migrate(fleet.clone(), &selected, &options, quiet).await?;
    let seeded = if migrated.failed() {
        None
    } else {
        Some(seed::seed(&fleet, &permit, &selected).await)
    };
    let failed = migrated.failed() || seeded.as_ref().is_some_and(seed::SeedReport::failed);
    if out.json {
        out.json(&super::json::Reset {
            env: &fleet.topology.env,
            drop: &dropped,
            create: &created,
            migrate: &migrated,
            seed: seeded.as_ref(),
        });
    } else {
        for db in &migrated.databases {
            out.line(format!(
                "{}: recreated, {} migration(s) applied",
                db.database,
                db.applied.len()
            ));
        }
    }
    for db in &migrated.databases {
        if let Some(error) = &db.error {
            out.error_text(error, db.hint.as_deref());
        }
    }
    if let Some(seeded) = &seeded {
        if out.json {
            for db in &seeded.databases {
                if let Some(error) = &db.error {
                    out.error_text(error, db.hint.as_deref());
                }
            }
        } else {
            super::seed::render(out, &fleet, seeded);
        }
    }
    Ok(u8::from(failed))
}
