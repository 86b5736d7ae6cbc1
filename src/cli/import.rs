//! `pgfleet import sqlite FILE --into DB`: copy a SQLite file into a logical
//! database, then print the per-table proof.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pgfleet::Error;
use pgfleet::import::{self, Event, ImportOptions, ImportReport, Progress};
use pgfleet::safety::{Destructive, Extent};

use super::drop::{Intent, confirm};
use super::{Global, Output};

/// Import data from another database engine
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    Sqlite(SqliteArgs),
}

/// Copy a SQLite file into a logical database's tables, then prove nothing was lost
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet import sqlite app.db --into shop                  into the tables shop's migrations made
  pgfleet import sqlite app.db --into shop --create-tables  create the tables from the SQLite schema
  pgfleet import sqlite app.db --into shop --tables users,orders --dry-run

Values are converted by the target column's type; a value that does not fit stops
the import naming table, rowid, column and value. Everything runs in one
transaction: loading in foreign-key order, moving sequences past the imported ids,
then comparing row counts and checksums per table. Any error or difference rolls
everything back (exit 1). Refused in a protected env unless --allow-protected.")]
pub struct SqliteArgs {
    /// The SQLite database file
    pub file: PathBuf,
    /// The logical database to import into
    #[arg(long, value_name = "DB")]
    pub into: String,
    /// Create the tables from the SQLite schema first (keys, indexes and foreign keys after the data)
    #[arg(long)]
    pub create_tables: bool,
    /// Only these SQLite tables (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub tables: Vec<String>,
    /// Do everything, verify, then roll back
    #[arg(long)]
    pub dry_run: bool,
    /// Read date-times without an offset in this time zone (IANA name) [default: UTC]
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Allow this in a protected env (you are still asked to confirm unless --yes)
    #[arg(long)]
    pub allow_protected: bool,
}

pub async fn run(global: &Global, out: &Output, command: &ImportCommand) -> Result<u8, Error> {
    let ImportCommand::Sqlite(args) = command;
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(std::slice::from_ref(&args.into), false)?;
    let permit = confirm(
        global,
        out,
        &fleet.topology,
        &Intent {
            operation: Destructive::Import,
            allow_protected: args.allow_protected,
            selected: &selected,
            extent: Extent::Whole,
        },
    )?;
    let placement = selected[0];
    let options = ImportOptions {
        file: args.file.clone(),
        create_tables: args.create_tables,
        tables: args.tables.clone(),
        dry_run: args.dry_run,
        timezone: args.timezone.clone(),
    };
    let show_bar = std::io::stderr().is_terminal() && !out.quiet && !out.json;
    let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
    let events_bar = bar.clone();
    let progress: Progress = Arc::new(move |event| {
        if !show_bar {
            return;
        }
        let Ok(mut slot) = events_bar.lock() else {
            return;
        };
        match event {
            Event::Table { table, rows } => {
                let b = ProgressBar::new(rows);
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg:20} {bar:30} {pos}/{len} rows  {per_sec}  {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_message(table);
                b.enable_steady_tick(Duration::from_millis(200));
                *slot = Some(b);
            }
            Event::Rows(n) => {
                if let Some(b) = slot.as_ref() {
                    b.set_position(n);
                }
            }
            Event::TableDone => {
                if let Some(b) = slot.take() {
                    b.finish();
                }
            }
            Event::Step(step) => {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
                let b = ProgressBar::new_spinner();
                b.set_message(step);
                b.enable_steady_tick(Duration::from_millis(120));
                *slot = Some(b);
            }
        }
    });
    let result = import::import_sqlite(&fleet, &permit, placement, &options, progress).await;
    if let Ok(mut slot) = bar.lock()
        && let Some(b) = slot.take()
    {
        b.finish_and_clear();
    }
    let report = result?;
    render(out, &report);
    if report.verified() {
        Ok(0)
    } else {
        let bad: Vec<&str> = report
            .tables
            .iter()
            .filter(|t| !t.ok)
            .map(|t| t.table.as_str())
            .collect();
        out.error_text(
            &format!(
                "import into `{}` rolled back: count or checksum differs for {}",
                report.database,
                bad.join(", ")
            ),
            Some("nothing was imported; run with -v and report the table's column types"),
        );
        Ok(1)
    }
}

fn render(out: &Output, report: &ImportReport) {
    if out.json {
        out.json(report);
        return;
    }
    for warning in &report.warnings {
        out.warn(warning);
    }
    let rows: Vec<[String; 6]> = report
        .tables
        .iter()
        .map(|t| {
            [
                t.table.clone(),
                t.target.clone(),
                if t.source_rows == t.target_rows {
                    t.source_rows.to_string()
                } else {
                    format!("{} -> {}", t.source_rows, t.target_rows)
                },
                t.source_checksum.clone(),
                t.target_checksum.clone(),
                if t.ok { "ok" } else { "DIFFERS" }.to_owned(),
            ]
        })
        .collect();
    out.table(
        &[
            "table",
            "target",
            "rows",
            "checksum (sqlite)",
            "checksum (postgres)",
            "",
        ],
        &rows,
    );
    if out.verbose > 0 {
        for s in &report.sequences {
            out.line(format!(
                "sequence {} moved: next value {}",
                s.sequence, s.next
            ));
        }
    }
    let rows: u64 = report.tables.iter().map(|t| t.target_rows).sum();
    if report.dry_run {
        out.line(format!(
            "dry run: {rows} row(s) in {} table(s) verified, then rolled back; `{}` is unchanged",
            report.tables.len(),
            report.database
        ));
    } else if report.committed {
        out.line(format!(
            "imported {rows} row(s) in {} table(s) into `{}` ({}), verified; {} sequence(s) moved",
            report.tables.len(),
            report.database,
            report.physical_database,
            report.sequences.len()
        ));
    }
}
