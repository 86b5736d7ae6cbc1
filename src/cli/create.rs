//! `pgfleet create`: physical databases, owned schemas, extensions.

use clap::Args;
use pgfleet::Error;
use pgfleet::provision::{self, CreateReport, Created};

use super::json::InEnv;
use super::{Global, Output};

/// Create physical databases, owned schemas and extensions that are missing
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet create                 everything the env places
  pgfleet create billing         only `billing` (and nothing it depends on)
  pgfleet -e single create       one physical database, one schema per logical database")]
pub struct CreateArgs {
    /// Logical databases to create [default: all]
    pub databases: Vec<String>,
}

pub async fn run(global: &Global, out: &Output, args: &CreateArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    // No database is made for migrations that cannot be read.
    pgfleet::migrate::check_folders(&fleet.manifest, &selected)?;
    let report = provision::create(&fleet, &selected).await?;
    if out.json {
        out.json(&InEnv {
            env: &fleet.topology.env,
            report: &report,
        });
    } else {
        render(out, &report);
    }
    Ok(0)
}

/// One line per logical database; `up` prints the same.
pub fn render(out: &Output, report: &CreateReport) {
    for created in &report.databases {
        out.line(describe(created));
    }
}

fn describe(c: &Created) -> String {
    let mut done = Vec::new();
    if c.created_database {
        done.push(format!(
            "created database `{}` on `{}`",
            c.physical_database, c.server
        ));
    }
    if !c.created_schemas.is_empty() {
        done.push(format!("schemas {}", names(&c.created_schemas)));
    }
    if !c.created_extensions.is_empty() {
        done.push(format!("extensions {}", names(&c.created_extensions)));
    }
    if done.is_empty() {
        format!(
            "{}: exists (`{}` on `{}`)",
            c.database, c.physical_database, c.server
        )
    } else {
        format!("{}: {}", c.database, done.join(", "))
    }
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
