//! `pgfleet repair`: accept edited checksums, clear failed migrations,
//! forget missing files; each change is logged in `pgfleet.repairs`.

use clap::Args;
use pgfleet::Error;
use pgfleet::migrate::ops::{self, Repair};
use pgfleet::safety::Refusal;

use super::{Global, Output};

/// Accept edited files, clear failed migrations, forget missing files and rewrite a stale atlas.sum (after confirmation)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet repair billing         show what it would change and ask
  pgfleet repair billing --yes   without asking

Every change is recorded in pgfleet.repairs with who, when, and the old and new checksum.")]
pub struct RepairArgs {
    /// The logical database
    pub database: String,
}

pub async fn run(global: &Global, out: &Output, args: &RepairArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let placement = fleet.select(std::slice::from_ref(&args.database), false)?[0];
    let repairs = ops::repair_plan(&fleet, placement).await?;
    if repairs.is_empty() {
        if out.json {
            out.json(&super::json::RepairDoc {
                database: &args.database,
                repairs: &repairs,
            });
        } else {
            out.line(format!("{}: nothing to repair", args.database));
        }
        return Ok(0);
    }
    for r in &repairs {
        out.note(describe(&args.database, r));
    }
    if !global.yes {
        let operation = pgfleet::safety::Destructive::Repair;
        match out.confirm(&format!("Repair the history of `{}`?", args.database)) {
            Some(true) => {}
            Some(false) => return Err(Refusal::Declined { operation }.into()),
            None => {
                return Err(Refusal::Unconfirmed {
                    operation,
                    env: fleet.topology.env.clone(),
                    effects: Vec::new(),
                }
                .into());
            }
        }
    }
    ops::repair(&fleet, placement, &repairs).await?;
    if out.json {
        out.json(&super::json::RepairDoc {
            database: &args.database,
            repairs: &repairs,
        });
    } else {
        out.line(format!(
            "{}: {} repair(s) recorded",
            args.database,
            repairs.len()
        ));
    }
    Ok(0)
}

fn describe(db: &str, r: &Repair) -> String {
    match r {
        Repair::AcceptChecksum {
            version,
            name,
            old_checksum,
            new_checksum,
        } => format!(
            "{db}: accept the edited file of {version}_{name} (checksum {} -> {})",
            &old_checksum[..old_checksum.len().min(12)],
            &new_checksum[..new_checksum.len().min(12)]
        ),
        Repair::ClearFailed { version, name } => {
            format!("{db}: clear failed {version}_{name} so it runs again")
        }
        Repair::ForgetMissing { version, name, .. } => {
            format!("{db}: forget {version}_{name}, whose file is gone")
        }
        Repair::Rename {
            old_version,
            old_name,
            version,
            name,
            ..
        } => format!(
            "{db}: record {old_version}_{old_name} as renamed to {version}_{name} (same contents; nothing runs)"
        ),
        Repair::RewriteAtlasSum { path, problem, .. } => format!(
            "{db}: rewrite `{}` for the files as they are ({problem}), as `atlas migrate hash` would",
            path.display()
        ),
    }
}
