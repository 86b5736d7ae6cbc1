//! `pgfleet backup` and `pgfleet restore`.

use std::path::PathBuf;

use clap::Args;
use pgfleet::Error;
use pgfleet::backup::{self, RestoreOptions};
use pgfleet::safety::{Destructive, Extent};

use super::json;
use super::{Global, Output};

/// Back up logical databases: pg_dump of their owned schemas, their history, a checksummed manifest
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet backup --out backups/2026-11-25        every database of the env
  pgfleet -e prod backup billing --out /tmp/b    one database of prod
  pgfleet backup --out b --jobs 4                four at a time
  pgfleet backup --out b --verify                and prove it by a test restore

The folder (mode 0700) gets <db>.dump (pg_dump custom format), <db>.history.json
and, last, manifest.json (SHA-256 and size of every file, server version,
migration head, row count and checksum of every table), each file 0600 and
fsynced. --verify restores each database into a scratch database and compares
every table with the source; it exits 3 when they differ.")]
pub struct BackupArgs {
    /// Logical databases to back up [default: all]
    pub databases: Vec<String>,
    /// The folder to write (new or empty)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Databases backed up at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Then restore it into a scratch database and compare every table (exit 3 on a difference)
    #[arg(long)]
    pub verify: bool,
}

/// Restore a backup into the env's placements (checksums are verified first)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet restore backups/2026-11-25             every database in the backup
  pgfleet restore /tmp/b billing --clean         replace what `billing` holds now
  pgfleet -e dev restore prod-backup             a prod backup into the dev env
  pgfleet restore backups/2026-11-25 --check     prove it restores, touching nothing

A target that already holds tables is refused unless --clean. Each database's
data, history rows and (with --clean) the dropping of what was there land in
one transaction. A folder without manifest.json (an interrupted backup) is
refused.")]
#[allow(clippy::struct_excessive_bools)] // independent clap flags
pub struct RestoreArgs {
    /// The backup folder
    pub dir: PathBuf,
    /// Logical databases to restore [default: all in the backup]
    pub databases: Vec<String>,
    /// Drop what the target's owned schemas hold first
    #[arg(long)]
    pub clean: bool,
    /// Restore into a scratch database and compare with the backup instead (exit 3 on a difference)
    #[arg(long, conflicts_with_all = ["clean", "backup_first"])]
    pub check: bool,
    #[command(flatten)]
    pub guard: super::drop::Guard,
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
    if !args.verify {
        if out.json {
            out.json(&json::BackupDoc {
                env: &fleet.topology.env,
                backup: &manifest,
                verify: None,
            });
        } else {
            out.line(format!(
                "backup of {} database(s) in `{}`",
                manifest.databases.len(),
                args.out.display()
            ));
        }
        return Ok(0);
    }
    let checked = backup::check(&fleet, &args.out, &manifest, &[]).await?;
    if out.json {
        out.json(&json::BackupDoc {
            env: &fleet.topology.env,
            backup: &manifest,
            verify: Some(&checked),
        });
    } else {
        out.line(format!(
            "backup of {} database(s) in `{}`",
            manifest.databases.len(),
            args.out.display()
        ));
        print_checked(out, &checked);
    }
    Ok(if checked.iter().all(backup::Checked::reproduces) {
        0
    } else {
        3
    })
}

fn print_checked(out: &Output, checked: &[backup::Checked]) {
    for c in checked {
        if c.reproduces() {
            out.line(format!(
                "{}: restores to the same rows ({} table(s) compared)",
                c.database, c.tables
            ));
        } else {
            out.line(format!(
                "{}: a restore does NOT reproduce the source:",
                c.database
            ));
            for d in &c.differences {
                out.line(format!("  {d}"));
            }
        }
        if let Some(note) = &c.note {
            out.line(format!("  note: {note}"));
        }
    }
}

async fn run_check(global: &Global, out: &Output, args: &RestoreArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let manifest = backup::verify(&args.dir)?;
    fleet.select(&args.databases, false)?;
    let checked = backup::check(&fleet, &args.dir, &manifest, &args.databases).await?;
    if out.json {
        out.json(&json::RestoreCheck {
            env: &fleet.topology.env,
            verify: &checked,
        });
    } else {
        print_checked(out, &checked);
    }
    Ok(if checked.iter().all(backup::Checked::reproduces) {
        0
    } else {
        3
    })
}

pub async fn run_restore(global: &Global, out: &Output, args: &RestoreArgs) -> Result<u8, Error> {
    if args.check {
        return run_check(global, out, args).await;
    }
    let fleet = global.open_running(out).await?;
    let targets = fleet.select(&args.databases, false)?;
    let permit = super::drop::confirm(
        global,
        out,
        &fleet.topology,
        &super::drop::Intent {
            operation: Destructive::Restore,
            allow_protected: args.guard.allow_protected,
            selected: &targets,
            extent: Extent::Restore { clean: args.clean },
        },
    )?;
    let manifest = backup::verify(&args.dir)?;
    super::drop::backup_first(out, &fleet, &targets, args.guard.backup_first).await?;
    let options = RestoreOptions {
        clean: args.clean,
        jobs: args.jobs.unwrap_or_else(default_jobs),
    };
    // Each database is reported once, in the summary below.
    let restored = backup::restore(
        &fleet,
        &permit,
        &args.dir,
        &manifest,
        &args.databases,
        options,
        &|_| {},
    )
    .await?;
    if out.json {
        out.json(&json::Restore {
            env: &fleet.topology.env,
            restored: &restored,
        });
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
