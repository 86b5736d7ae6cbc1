//! `pgfleet backup` and `pgfleet restore`.

use std::path::PathBuf;

use clap::Args;
use pgfleet::Error;
use pgfleet::backup::{self, RestoreOptions};
use pgfleet::safety::Destructive;

use super::{Global, Output};

/// Back up logical databases: pg_dump of their owned schemas, their history, a checksummed manifest
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet backup --out backups/2026-11-25        every database of the env
  pgfleet -e prod backup billing --out /tmp/b    one database of prod
  pgfleet backup --out b --jobs 4                four at a time

The folder gets <db>.dump (pg_dump custom format), <db>.history.json and
manifest.json (SHA-256 and size of every file, server version, migration head).")]
pub struct BackupArgs {
    /// Logical databases to back up [default: all]
    pub databases: Vec<String>,
    /// The folder to write (new or empty)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Databases backed up at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// Restore a backup into the env's placements (checksums are verified first)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet restore backups/2026-11-25             every database in the backup
  pgfleet restore /tmp/b billing --clean         replace what `billing` holds now
  pgfleet -e dev restore prod-backup             a prod backup into the dev env

A target that already holds tables is refused unless --clean.")]
pub struct RestoreArgs {
    /// The backup folder
    pub dir: PathBuf,
    /// Logical databases to restore [default: all in the backup]
    pub databases: Vec<String>,
    /// Drop what the target's owned schemas hold first
    #[arg(long)]
    pub clean: bool,
    /// Allow this in a protected env (you are still asked to confirm unless --yes)
    #[arg(long)]
    pub allow_protected: bool,
    /// Back up the databases this touches first, into `.pgfleet/backups/`
    #[arg(long)]
    pub backup_first: bool,
    /// Databases restored at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

pub async fn run_backup(global: &Global, out: &Output, args: &BackupArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let progress = |entry: &backup::BackupEntry| {
        let size: u64 = entry.files.iter().map(|f| f.size).sum();
        out.note(format!("{}: backed up ({size} bytes)", entry.database));
    };
    let manifest = backup::backup(
        &fleet,
        &selected,
        &args.out,
        args.jobs.unwrap_or_else(default_jobs),
        &progress,
    )
    .await?;
    if out.json {
        out.json(&manifest);
    } else {
        out.line(format!(
            "backup of {} database(s) in `{}`",
            manifest.databases.len(),
            args.out.display()
        ));
    }
    Ok(0)
}

pub async fn run_restore(global: &Global, out: &Output, args: &RestoreArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    super::drop::confirm(
        global,
        out,
        &fleet.topology,
        Destructive::Restore,
        args.allow_protected,
    )?;
    let manifest = backup::verify(&args.dir)?;
    let targets = fleet.select(&args.databases, false)?;
    super::drop::backup_first(out, &fleet, &targets, args.backup_first).await?;
    let options = RestoreOptions {
        clean: args.clean,
        jobs: args.jobs.unwrap_or_else(default_jobs),
    };
    let progress = |r: &backup::Restored| {
        out.note(format!(
            "{}: restored into `{}`",
            r.database, r.physical_database
        ));
    };
    let restored = backup::restore(
        &fleet,
        &args.dir,
        &manifest,
        &args.databases,
        options,
        &progress,
    )
    .await?;
    if out.json {
        out.json(&restored);
    } else {
        for r in &restored {
            out.line(format!(
                "{}: restored into `{}` ({} history rows, head {})",
                r.database,
                r.physical_database,
                r.history_rows,
                r.migration_head.as_deref().unwrap_or("none")
            ));
        }
    }
    Ok(0)
}
