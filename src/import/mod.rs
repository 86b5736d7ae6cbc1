//! `import sqlite`: copy a SQLite file into a logical database's tables in
//! one transaction, then prove nothing was lost (SPEC, Details: import).
//!
//! - [`source`]: the SQLite schema (tables, columns, keys, indexes)
//! - [`target`]: the PostgreSQL tables and column types, load order, checksum SQL
//! - [`convert`]: one value to the target type's binary form, or a refusal
//! - [`decimal`], [`json`]: exact `numeric` and `jsonb` forms
//! - `time`: dates and times, and the zone naive ones are read in
//! - [`create`]: `--create-tables` DDL from the SQLite schema
//! - `pair`: a SQLite table matched with its target, or a refusal
//! - `steps`: the steps below, one function each
//! - [`load`]: streaming one table with binary COPY
//! - [`rowhash`]: the 64-bit row hash both sides compute
//!
//! Steps, all inside one transaction: find (or create) each target table,
//! check it is empty, load tables parents first, add keys and foreign keys
//! (`--create-tables`), move sequences past the imported ids, then compare
//! per table the row count and an order-independent checksum computed here
//! over what was sent and by the server over what it stored. Any difference
//! or error rolls everything back; `--dry-run` rolls back at the end too.

pub mod convert;
pub mod create;
pub mod decimal;
mod error;
pub mod json;
pub mod load;
mod pair;
pub mod rowhash;
pub mod source;
mod steps;
pub mod target;
mod time;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::connect::quote_ident;
use crate::fleet::Fleet;
use crate::topology::Placement;
use convert::Zone;
pub use error::ImportError;

/// What `import sqlite` was asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    pub create_tables: bool,
    /// Only these SQLite tables (all when empty).
    pub tables: Vec<String>,
    pub dry_run: bool,
    /// How naive date-times are read; UTC when `None`.
    pub timezone: Option<String>,
}

/// Progress of a run, for a bar per table.
#[derive(Debug, Clone)]
pub enum Event {
    /// A table starts: its name and the rows the SQLite file holds.
    Table { table: String, rows: u64 },
    /// Rows sent so far for the current table.
    Rows(u64),
    /// The current table is loaded.
    TableDone,
    /// A later step (keys, sequences, verification) starts.
    Step(String),
}

pub type Progress = Arc<dyn Fn(Event) + Send + Sync>;

/// One table's proof.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// The SQLite table.
    pub table: String,
    /// `schema.table` in PostgreSQL.
    pub target: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Sum of 64-bit row hashes (decimal text: it can exceed 64 bits).
    pub source_checksum: String,
    pub target_checksum: String,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SequenceMove {
    pub sequence: String,
    /// The value `nextval` hands out next.
    pub next: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub database: String,
    pub physical_database: String,
    pub dry_run: bool,
    /// Tables `--create-tables` made (`schema.table`).
    pub created: Vec<String>,
    pub tables: Vec<TableReport>,
    pub sequences: Vec<SequenceMove>,
    /// What `--create-tables` could not recreate (expression and partial
    /// indexes).
    pub warnings: Vec<String>,
    /// True once the transaction committed (never with `--dry-run`).
    pub committed: bool,
}

impl ImportReport {
    pub fn verified(&self) -> bool {
        self.tables.iter().all(|t| t.ok)
    }
}

/// Imports `options.file` into `placement`'s database. `permit`: the safety rule said
/// yes for this env ([`crate::safety::check`]).
pub async fn import_sqlite(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    placement: &Placement,
    options: &ImportOptions,
    progress: Progress,
) -> Result<ImportReport, ImportError> {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
    let zone = match &options.timezone {
        None => Zone::Utc,
        Some(name) => Zone::parse(name).ok_or_else(|| ImportError::TimeZone(name.clone()))?,
    };
    let shown_file = options.file.display().to_string();
    let source_error = |e: rusqlite::Error| ImportError::Source {
        file: options.file.clone(),
        message: e.to_string(),
    };
    if !options.file.is_file() {
        return Err(ImportError::Source {
            file: options.file.clone(),
            message: "no such file".into(),
        });
    }
    let conn = source::open(&options.file).map_err(source_error)?;
    let all_tables = source::tables(&conn).map_err(source_error)?;
    let wanted = pick(all_tables, &options.tables, &shown_file)?;
    let counts = count_rows(&conn, &wanted, &options.file)?;
    drop(conn);

    let mut info = fleet.conninfo(placement)?;
    info.application_name = Some(format!("pgfleet import (pid {})", std::process::id()));
    let client = info.connect().await?;
    client
        .batch_execute("BEGIN; DEALLOCATE ALL")
        .await
        .map_err(sql("cannot begin"))?;
    let mut report = ImportReport {
        file: shown_file,
        database: placement.database.clone(),
        physical_database: placement.physical.clone(),
        dry_run: options.dry_run,
        created: Vec::new(),
        tables: Vec::new(),
        sequences: Vec::new(),
        warnings: Vec::new(),
        committed: false,
    };
    let import = steps::Import {
        client: &client,
        placement,
        options,
        wanted: &wanted,
        counts: &counts,
        zone,
        progress: &progress,
    };
    let result = import.run(&mut report).await;
    let commit = result.is_ok() && report.verified() && !options.dry_run;
    let end = if commit { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await;
    result?;
    ended.map_err(sql("cannot commit"))?;
    report.committed = commit;
    Ok(report)
}

fn sql(context: &str) -> impl FnOnce(tokio_postgres::Error) -> ImportError {
    let context = context.to_owned();
    move |e| ImportError::Sql {
        context,
        message: crate::connect::describe_sql_error(&e),
    }
}

/// The SQLite tables `names` asks for (exactly, else ignoring ASCII case), each once;
/// all of them when `names` is empty.
fn pick(
    all: Vec<source::SourceTable>,
    names: &[String],
    file: &str,
) -> Result<Vec<source::SourceTable>, ImportError> {
    if names.is_empty() {
        return Ok(all);
    }
    let mut picked: Vec<source::SourceTable> = Vec::new();
    for name in names {
        let Some(t) = all
            .iter()
            .find(|t| t.name == *name)
            .or_else(|| all.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
        else {
            return Err(ImportError::UnknownTable {
                file: file.to_owned(),
                name: name.clone(),
                known: all.iter().map(|t| t.name.clone()).collect(),
            });
        };
        if !picked.iter().any(|p| p.name == t.name) {
            picked.push(t.clone());
        }
    }
    Ok(picked)
}

/// Row counts of the tables to import, for the progress bars.
fn count_rows(
    conn: &rusqlite::Connection,
    tables: &[source::SourceTable],
    file: &std::path::Path,
) -> Result<BTreeMap<String, u64>, ImportError> {
    let mut counts = BTreeMap::new();
    for t in tables {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(&t.name)),
                [],
                |r| r.get(0),
            )
            .map_err(|e| ImportError::Source {
                file: file.to_path_buf(),
                message: format!("cannot read table `{}`: {e}", t.name),
            })?;
        counts.insert(t.name.clone(), u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}
