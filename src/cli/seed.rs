//! `pgfleet seed`: run each database's seed files and `seed_command`.

use clap::Args;
use pgfleet::Error;
use pgfleet::data::seed::{self, SeedOutcome, SeedReport};
use pgfleet::fleet::Fleet;
use pgfleet::safety::{Destructive, Extent};

use super::drop::{Intent, confirm};
use super::json::InEnv;
use super::{Global, Output};

/// Run seed files (`*.sql` in name order, each in a transaction), then `seed_command`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet seed                   every database of the env, dependencies first
  pgfleet seed billing           only `billing`
  pgfleet reset billing          drop, create, migrate and seed `billing` afresh

A failing file rolls back entirely and stops the run; files before it stay
committed. Refused in a protected env unless --allow-protected.")]
pub struct SeedArgs {
    /// Logical databases to seed [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub guard: super::drop::Guard,
}

pub async fn run(global: &Global, out: &Output, args: &SeedArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let permit = confirm(
        global,
        out,
        &fleet.topology,
        &Intent {
            operation: Destructive::Seed,
            allow_protected: args.guard.allow_protected,
            selected: &selected,
            extent: Extent::Whole,
        },
    )?;
    super::drop::backup_first(out, &fleet, &selected, args.guard.backup_first).await?;
    let report = seed::seed(&fleet, &permit, &selected).await;
    if out.json {
        warn_ignored(out, &fleet, &report);
        out.json(&InEnv {
            env: &fleet.topology.env,
            report: &report,
        });
    } else {
        render(out, &fleet, &report);
    }
    Ok(u8::from(report.failed()))
}

/// One line per database, then the errors; `up` and `reset` print the same.
pub fn render(out: &Output, fleet: &Fleet, report: &SeedReport) {
    warn_ignored(out, fleet, report);
    for db in &report.databases {
        let mut done = Vec::new();
        if !db.files.is_empty() {
            done.push(format!("{} seed file(s)", db.files.len()));
        }
        if let Some(command) = &db.command {
            done.push(format!("ran `{command}`"));
        }
        let line = match db.outcome {
            SeedOutcome::Seeded => format!("{}: seeded, {}", db.database, done.join(", ")),
            SeedOutcome::Nothing => format!("{}: nothing to seed", db.database),
            SeedOutcome::Failed if done.is_empty() => format!("{}: seed FAILED", db.database),
            SeedOutcome::Failed => {
                format!("{}: seed FAILED after {}", db.database, done.join(", "))
            }
            SeedOutcome::NotStarted => format!("{}: not seeded", db.database),
        };
        out.line(line);
    }
    for db in &report.databases {
        if let Some(error) = &db.error {
            out.error_text(error, db.hint.as_deref());
        }
    }
}

fn warn_ignored(out: &Output, fleet: &Fleet, report: &SeedReport) {
    for db in &report.databases {
        for path in &db.ignored {
            out.warn(&format!(
                "`{}` in the seeds folder of `{}` is not a `*.sql` file; it is not run",
                fleet.manifest.shown(path),
                db.database
            ));
        }
    }
}
