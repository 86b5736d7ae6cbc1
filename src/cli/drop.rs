//! `pgfleet drop`: the reverse of `create`.

use clap::Args;
use pgfleet::Error;
use pgfleet::fleet::Fleet;
use pgfleet::provision::{self, Dropped};
use pgfleet::safety::{self, Destructive, Extent, Permit, Refusal, Verdict};
use pgfleet::topology::Placement;

use super::json::InEnv;
use super::{Global, Output};

/// Drop physical databases, or only the schemas a logical database owns when it shares one
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet drop                   drop every database of the env
  pgfleet -e single drop billing drop only the `billing` schema and its history rows
  pgfleet -e prod drop --allow-protected --yes   (refused without both flags)")]
pub struct DropArgs {
    /// Logical databases to drop [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub guard: super::drop::Guard,
}

pub async fn run(global: &Global, out: &Output, args: &DropArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let permit = confirm(
        global,
        out,
        &fleet.topology,
        &Intent {
            operation: Destructive::Drop,
            allow_protected: args.guard.allow_protected,
            selected: &selected,
            extent: Extent::Whole,
        },
    )?;
    super::drop::backup_first(out, &fleet, &selected, args.guard.backup_first).await?;
    let report = provision::drop(&fleet, &permit, &selected).await?;
    if out.json {
        out.json(&InEnv {
            env: &fleet.topology.env,
            report: &report,
        });
        return Ok(0);
    }
    for dropped in &report.dropped {
        out.line(match dropped {
            Dropped::Database {
                server,
                physical_database,
                existed: true,
            } => {
                format!("dropped database `{physical_database}` on `{server}`")
            }
            Dropped::Database {
                server,
                physical_database,
                existed: false,
            } => {
                format!("database `{physical_database}` on `{server}` did not exist")
            }
            Dropped::Schemas {
                database,
                physical_database,
                schemas,
            } if schemas.is_empty() => {
                format!("{database}: no schema of it left in `{physical_database}`")
            }
            Dropped::Schemas {
                database,
                physical_database,
                schemas,
            } => format!(
                "{database}: dropped schemas {} in `{physical_database}`",
                schemas
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok(0)
}

/// `--allow-protected` and `--backup-first`, the same on every destructive command.
#[derive(Debug, clap::Args)]
pub struct Guard {
    /// Allow this in a protected env (you are still asked to confirm unless --yes)
    #[arg(long)]
    pub allow_protected: bool,
    /// Back up the databases this touches first, into `.pgfleet/backups/`
    #[arg(long)]
    pub backup_first: bool,
}

/// What a destructive command is about to do: the operation, the databases
/// it touches and how far it goes.
pub struct Intent<'a> {
    pub operation: Destructive,
    pub allow_protected: bool,
    pub selected: &'a [&'a Placement],
    pub extent: Extent<'a>,
}

/// Applies the safety rule: refuse, or ask (listing what each database
/// loses), or go ahead; the permit the destructive library call takes.
pub fn confirm(
    global: &Global,
    out: &Output,
    topology: &pgfleet::topology::Topology,
    intent: &Intent<'_>,
) -> Result<Permit, Error> {
    let operation = intent.operation;
    match safety::check(topology, operation, intent.allow_protected)? {
        Verdict::Allowed(permit) => Ok(permit),
        Verdict::Confirm(pending) if global.yes => Ok(pending.confirmed()),
        Verdict::Confirm(pending) => {
            let question = pending.question().to_owned();
            let effects = safety::effects(topology, operation, intent.selected, intent.extent);
            let asked = format!(
                "`{operation}` in protected env `{}` changes these databases:{}\n{question}",
                topology.env,
                safety::effect_lines(&effects)
            );
            match out.confirm(&asked) {
                Some(true) => Ok(pending.confirmed()),
                Some(false) => Err(Refusal::Declined { operation }.into()),
                None => Err(Refusal::Unconfirmed {
                    operation,
                    env: topology.env.clone(),
                    effects,
                }
                .into()),
            }
        }
    }
}

/// `--backup-first`: backs up `selected` into
/// `.pgfleet/backups/<env>-<UTC time>/` before a destructive command runs.
pub async fn backup_first(
    out: &Output,
    fleet: &Fleet,
    selected: &[&Placement],
    wanted: bool,
) -> Result<(), Error> {
    if !wanted || selected.is_empty() {
        return Ok(());
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let dir = fleet
        .manifest
        .root
        .join(".pgfleet/backups")
        .join(format!("{}-{stamp}", fleet.topology.env));
    let jobs = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    pgfleet::backup::backup(fleet, selected, &dir, jobs, &|_| {}).await?;
    out.note(format!(
        "backed up {} database(s) into `{}` first",
        selected.len(),
        dir.display()
    ));
    Ok(())
}
