//! `pgfleet migrate`: apply pending migrations across the fleet.

use std::sync::Arc;
use std::time::Duration;

use std::io::IsTerminal;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pgfleet::Error;
use pgfleet::fleet::Fleet;
use pgfleet::migrate::run::{self, Event, FleetReport, MigrateOptions, Outcome, Progress};

use super::{Global, Output};

/// Apply pending migrations in dependency order, independent databases in parallel
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet migrate                    every database, dependencies first
  pgfleet migrate billing            `billing` and what it depends on
  pgfleet migrate --dry-run -v       the plan, with each file's SQL
  pgfleet migrate billing --to 20251021080000 --only
  pgfleet migrate --jobs 1           one database at a time

A failure stops new work; databases already running finish. Run it again to
continue where it stopped.")]
pub struct MigrateArgs {
    /// Logical databases to migrate, with what they depend on [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Flags `migrate` and `up` share.
// Each bool is an independent command-line switch; clap maps them one to one.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not add the databases the named ones depend on
    #[arg(long)]
    pub only: bool,
    /// Stop after this version (one database only)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Databases migrated at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Apply a new migration even when a newer one is already applied
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// How long to wait for another migrate holding the lock (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// Run each migration's verify script after it (Sqitch's verify/), in its transaction
    #[arg(long)]
    pub verify: bool,
}

impl RunArgs {
    pub fn options(&self) -> MigrateOptions {
        let defaults = MigrateOptions::default();
        MigrateOptions {
            jobs: self.jobs.unwrap_or(defaults.jobs),
            target: self.to.clone(),
            allow_out_of_order: self.allow_out_of_order,
            dry_run: self.dry_run,
            lock_timeout: self.lock_timeout,
            verify: self.verify,
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |i| text.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s or 5m"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("`{text}`: use s, m or h")),
    }
}

pub async fn run(global: &Global, out: &Output, args: &MigrateArgs) -> Result<u8, Error> {
    let fleet = Arc::new(global.open_running(out).await?);
    let report = migrate(&fleet, out, &args.databases, &args.run).await?;
    render(out, &fleet, &report);
    Ok(u8::from(report.failed()))
}

/// Runs the migration part of `migrate` and `up`.
pub async fn migrate(
    fleet: &Arc<Fleet>,
    out: &Output,
    names: &[String],
    args: &RunArgs,
) -> Result<FleetReport, Error> {
    let selected = fleet.select(names, !args.only)?;
    if args.to.is_some() && selected.len() != 1 {
        return Err(Error::Usage(
            "`--to` needs exactly one database: name it, and add `--only` if it depends on others"
                .into(),
        ));
    }
    let out = out.clone();
    let verbose = out.verbose;
    let dry_run = args.dry_run;
    // A bar on a terminal; plain lines otherwise.
    let bar = (std::io::stderr().is_terminal() && !out.quiet && !out.json).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} migrations  {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let events_bar = bar.clone();
    let progress: Progress = Arc::new(move |event| {
        let line = match event {
            Event::Planned { database, steps } => {
                if let Some(bar) = &events_bar {
                    bar.inc_length(steps as u64);
                    bar.set_message(database);
                }
                return;
            }
            Event::Applied { database, applied } => {
                if let Some(bar) = &events_bar {
                    bar.inc(1);
                    bar.set_message(format!("{database}: {}_{}", applied.version, applied.name));
                }
                if verbose == 0 {
                    return;
                }
                format!(
                    "{database}: {} {} {}_{} ({} ms){}",
                    if applied.skipped {
                        "found applied by another run:"
                    } else {
                        "applied"
                    },
                    applied
                        .file
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    applied.version,
                    applied.name,
                    applied.execution_ms,
                    if applied.no_transaction {
                        ", outside a transaction"
                    } else {
                        ""
                    }
                )
            }
            Event::Started { .. } => return,
            Event::Finished {
                database,
                outcome,
                applied,
            } => match outcome {
                Outcome::Migrated => format!("{database}: {applied} applied"),
                Outcome::UpToDate if verbose > 0 => format!("{database}: up to date"),
                Outcome::Ran => format!("{database}: runner finished"),
                // A dry run applies nothing: its error says it all.
                Outcome::Failed if !dry_run => {
                    format!("{database}: FAILED after {applied} applied")
                }
                Outcome::Failed | Outcome::UpToDate | Outcome::Planned | Outcome::NotStarted => {
                    return;
                }
            },
        };
        match &events_bar {
            Some(bar) => bar.println(line),
            None => out.note(line),
        }
    });
    let report = run::migrate(fleet.clone(), &selected, &args.options(), progress).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(report?)
}

/// The summary (or, with `--dry-run`, the plan), then the errors.
pub fn render(out: &Output, fleet: &Fleet, report: &FleetReport) {
    // One warning per database, however many files a folder holds beside its
    // migrations (a README, scratch SQL).
    for db in &report.databases {
        let shown: Vec<String> = db
            .unmatched
            .iter()
            .map(|p| format!("`{}`", fleet.manifest.shown(p)))
            .collect();
        match shown.as_slice() {
            [] => {}
            [one] => out.warn(&format!(
                "{one} matches no migration pattern of its folder; it is not applied"
            )),
            many => out.warn(&format!(
                "{} match no migration pattern of their folder; they are not applied",
                many.join(", ")
            )),
        }
    }
    if out.json {
        out.json(report);
        return;
    }
    let planned = report
        .databases
        .iter()
        .any(|d| d.outcome == Outcome::Planned);
    if planned {
        for db in &report.databases {
            let placement = fleet
                .topology
                .placement(&db.database)
                .expect("reported databases are placed");
            let runner = fleet.manifest.databases[&db.database].runner.as_deref();
            let head = format!(
                "{} (`{}` on `{}`)",
                db.database, placement.physical, placement.server
            );
            match runner {
                Some(command) => out.line(format!("{head}: would run `{command}`")),
                None if db.planned.is_empty() => out.line(format!("{head}: nothing pending")),
                None => {
                    out.line(format!("{head}: {} pending", db.planned.len()));
                    for step in &db.planned {
                        out.line(format!("  {}", fleet.manifest.shown(&step.file)));
                        if out.verbose > 0 {
                            for line in step.sql.lines() {
                                out.line(format!("    | {line}"));
                            }
                        }
                    }
                }
            }
        }
    } else {
        let rows: Vec<[String; 3]> = report
            .databases
            .iter()
            .map(|d| {
                let outcome = match d.outcome {
                    Outcome::Migrated => "migrated",
                    Outcome::UpToDate => "up to date",
                    Outcome::Planned => "planned",
                    Outcome::Ran => "runner ran",
                    Outcome::Failed => "FAILED",
                    Outcome::NotStarted => "not started",
                };
                let mut applied = d.applied.len().to_string();
                if !d.adopted.is_empty() {
                    applied = format!("{applied} (+{} adopted)", d.adopted.len());
                }
                [d.database.clone(), outcome.to_owned(), applied]
            })
            .collect();
        out.table(&["database", "outcome", "applied"], &rows);
    }
    for (error, hint) in shared_errors(report) {
        out.error_text(&error, hint);
    }
}

/// Each database's error, with an error that several databases share (their
/// server is unreachable) said once for all of them: "`a`, `b`: ...".
fn shared_errors(report: &FleetReport) -> Vec<(String, Option<&str>)> {
    // (databases, text after "`db`: " or the whole text, whether it had that prefix, hint)
    let mut groups: Vec<(Vec<&str>, &str, bool, Option<&str>)> = Vec::new();
    for db in &report.databases {
        let Some(error) = &db.error else {
            continue;
        };
        let prefix = format!("`{}`: ", db.database);
        let (text, prefixed) = match error.strip_prefix(&prefix) {
            Some(rest) => (rest, true),
            None => (error.as_str(), false),
        };
        let hint = db.hint.as_deref();
        match groups
            .iter_mut()
            .find(|g| g.1 == text && g.2 == prefixed && g.3 == hint)
        {
            Some(group) => group.0.push(&db.database),
            None => groups.push((vec![&db.database], text, prefixed, hint)),
        }
    }
    groups
        .into_iter()
        .map(|(names, text, prefixed, hint)| {
            if !prefixed {
                return (text.to_owned(), hint);
            }
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            (format!("{}: {text}", names.join(", ")), hint)
        })
        .collect()
}
