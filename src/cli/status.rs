//! `pgfleet status`: per database, what is applied, pending, failed or changed.

use clap::Args;
use pgfleet::Error;
use pgfleet::migrate::ops::{self, DbStatus};
use pgfleet::migrate::plan::State;

use super::{Global, Output};

/// Show applied, pending, failed and changed migrations (read-only)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet status                 a table per database
  pgfleet status billing -v      every migration of `billing`
  pgfleet status --json          SPEC's JSON document
  pgfleet status --check         exit 3 when anything is pending, failed, changed or missing")]
pub struct StatusArgs {
    /// Logical databases to show [default: all]
    pub databases: Vec<String>,
    /// Exit 3 when a migration is pending, failed, changed or missing
    #[arg(long)]
    pub check: bool,
}

pub async fn run(global: &Global, out: &Output, args: &StatusArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(&args.databases, false)?;
    let report = ops::status(&fleet, &selected).await?;
    if out.json {
        out.json(&report);
    } else {
        let rows: Vec<[String; 7]> = report
            .databases
            .iter()
            .map(|d| {
                let n = |v: Option<usize>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
                let place = match &d.schema {
                    Some(schema) => format!("{}.{schema}@{}", d.physical_database, d.server),
                    None => format!("{}@{}", d.physical_database, d.server),
                };
                [
                    d.database.clone(),
                    place,
                    d.format.clone(),
                    n(d.applied),
                    n(d.pending),
                    n(d.failed),
                    problems(d),
                ]
            })
            .collect();
        let header = [
            "database",
            "placement",
            "format",
            "applied",
            "pending",
            "failed",
            "notes",
        ];
        if args.check {
            // The databases that make `--check` exit 3 stay visible with `--quiet`.
            let flagged: Vec<&str> = report
                .databases
                .iter()
                .filter(|d| d.problems() > 0)
                .map(|d| d.database.as_str())
                .collect();
            out.table_with_findings(&header, &rows, |r| flagged.contains(&r[0].as_str()));
        } else {
            out.table(&header, &rows);
        }
        if out.verbose > 0 || !args.databases.is_empty() {
            for d in &report.databases {
                if d.migrations.is_empty() {
                    continue;
                }
                out.line(format!("\n{}:", d.database));
                for m in &d.migrations {
                    let state = serde_json::to_value(m.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    out.line(format!(
                        "  {:<12} {}_{}{}",
                        state,
                        m.version,
                        m.name,
                        m.applied_at
                            .as_deref()
                            .map(|t| format!("  ({t})"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
    }
    Ok(if args.check && report.problems() > 0 {
        3
    } else {
        0
    })
}

fn problems(d: &DbStatus) -> String {
    let mut notes = Vec::new();
    if !d.exists {
        notes.push("not created".to_owned());
    }
    if let Some(n) = d.mismatched.filter(|n| *n > 0) {
        notes.push(format!("{n} changed since applied"));
    }
    if let Some(n) = d.missing.filter(|n| *n > 0) {
        notes.push(format!("{n} file(s) missing"));
    }
    if let Some(n) = d.out_of_order.filter(|n| *n > 0) {
        notes.push(format!("{n} out of order"));
    }
    if d.migrations.iter().any(|m| m.state == State::Failed) && notes.is_empty() {
        notes.push("blocked: `pgfleet repair`".to_owned());
    }
    if !d.peer_disagreements.is_empty() {
        let tables: std::collections::BTreeSet<&str> = d
            .peer_disagreements
            .iter()
            .map(|p| p.table.as_str())
            .collect();
        notes.push(format!(
            "{} disagreement(s) with `{}`",
            d.peer_disagreements.len(),
            tables.into_iter().collect::<Vec<_>>().join("`, `")
        ));
    }
    for path in &d.work_in_progress {
        notes.push(format!("work in progress: `{path}` (not applied)"));
    }
    notes.join(", ")
}
