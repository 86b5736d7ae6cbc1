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
pub mod target;
mod time;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::connect::quote_ident;
use crate::fleet::Fleet;
use crate::topology::Placement;
use convert::{Kind, Zone};
pub use error::ImportError;
use pair::Pair;

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

/// Imports `options.file` into `placement`'s database.
pub async fn import_sqlite(
    fleet: &Fleet,
    placement: &Placement,
    options: &ImportOptions,
    progress: Progress,
) -> Result<ImportReport, ImportError> {
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
    let wanted: Vec<source::SourceTable> = if options.tables.is_empty() {
        all_tables
    } else {
        let mut picked = Vec::new();
        for name in &options.tables {
            let Some(t) = all_tables.iter().find(|t| t.name == *name).or_else(|| {
                all_tables
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
            }) else {
                return Err(ImportError::UnknownTable {
                    file: shown_file,
                    name: name.clone(),
                    known: all_tables.iter().map(|t| t.name.clone()).collect(),
                });
            };
            if !picked
                .iter()
                .any(|p: &source::SourceTable| p.name == t.name)
            {
                picked.push(t.clone());
            }
        }
        picked
    };
    // Row counts of the tables to import only, for the progress bars.
    let mut counts = BTreeMap::new();
    for t in &wanted {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(&t.name)),
                [],
                |r| r.get(0),
            )
            .map_err(|e| ImportError::Source {
                file: options.file.clone(),
                message: format!("cannot read table `{}`: {e}", t.name),
            })?;
        counts.insert(t.name.clone(), u64::try_from(n).unwrap_or(0));
    }
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
    let result = run(
        &client,
        placement,
        options,
        &wanted,
        &counts,
        zone,
        &progress,
        &mut report,
    )
    .await;
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
        message: crate::error::describe_sql_error(&e),
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    client: &Client,
    placement: &Placement,
    options: &ImportOptions,
    wanted: &[source::SourceTable],
    counts: &BTreeMap<String, u64>,
    zone: Zone,
    progress: &Progress,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let db = placement.database.clone();
    let schemas: Vec<String> = placement
        .owned_schemas
        .iter()
        .filter(|s| *s != "pgfleet")
        .cloned()
        .collect();
    let mut existing = target::tables(client, &schemas)
        .await
        .map_err(sql("cannot list the target tables"))?;

    // --create-tables: create what is missing (keys and indexes come after the data).
    let mut after_load: Vec<String> = Vec::new();
    let mut foreign_keys: Vec<String> = Vec::new();
    if options.create_tables {
        let schema = placement
            .schema
            .clone()
            .or_else(|| schemas.first().cloned())
            .unwrap_or_else(|| "public".to_owned());
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_ident(&schema)
            ))
            .await
            .map_err(sql("cannot create the schema"))?;
        for t in wanted {
            if let Some(found) = existing.iter().find(|x| x.name == t.name) {
                return Err(ImportError::TableExists {
                    table: found.shown(),
                    database: db,
                });
            }
            let ddl = create::table_ddl(&schema, t);
            client
                .batch_execute(&ddl.create)
                .await
                .map_err(sql(&format!("cannot create table `{}`", t.name)))?;
            report.created.push(format!("{schema}.{}", t.name));
            after_load.extend(ddl.keys);
            foreign_keys.extend(ddl.foreign_keys);
            report.warnings.extend(ddl.skipped);
        }
        existing = target::tables(client, &schemas)
            .await
            .map_err(sql("cannot list the target tables"))?;
    }

    // Match tables and columns; refuse anything that would lose data.
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    for t in wanted {
        let check_empty = !options.create_tables;
        pairs.push(pair::pair(client, &db, &schemas, &existing, t, check_empty).await?);
    }

    // Load order: parents first by the target's foreign keys (tables left in
    // a cycle, and those hanging off one, last). Every validated foreign key
    // of an imported table is dropped here and added back after the load,
    // with its name, definition and comment: adding a foreign key checks all
    // rows in one join, where a key left in place checks them one by one, and
    // a cycle then needs nothing special. `NOT VALID` keys stay (re-adding
    // them would validate them) and are deferred when deferrable.
    let oids: Vec<u32> = pairs.iter().map(|p| p.target.oid).collect();
    let fks = target::foreign_keys(client, &oids)
        .await
        .map_err(sql("cannot read the foreign keys"))?;
    let name_of: BTreeMap<u32, String> = pairs
        .iter()
        .map(|p| (p.target.oid, p.target.shown()))
        .collect();
    let names: Vec<String> = name_of.values().cloned().collect();
    let edges: Vec<(String, String)> = fks
        .iter()
        .filter_map(|f| {
            Some((
                name_of.get(&f.child)?.clone(),
                name_of.get(&f.parent)?.clone(),
            ))
        })
        .collect();
    let (mut order, cyclic) = target::order(&names, &edges);
    if !cyclic.is_empty() {
        client
            .batch_execute("SET CONSTRAINTS ALL DEFERRED")
            .await
            .map_err(sql("cannot defer constraints"))?;
        order.extend(cyclic);
    }
    for fk in fks.iter().filter(|f| f.validated) {
        let child = pairs
            .iter()
            .find(|p| p.target.oid == fk.child)
            .map(|p| p.target.sql())
            .unwrap_or_default();
        client
            .batch_execute(&format!(
                "ALTER TABLE {child} DROP CONSTRAINT {}",
                quote_ident(&fk.name)
            ))
            .await
            .map_err(sql("cannot set a foreign key aside for the load"))?;
        foreign_keys.push(format!(
            "ALTER TABLE {child} ADD CONSTRAINT {} {}",
            quote_ident(&fk.name),
            fk.definition
        ));
        if let Some(comment) = &fk.comment {
            foreign_keys.push(format!(
                "COMMENT ON CONSTRAINT {} ON {child} IS {}",
                quote_ident(&fk.name),
                crate::connect::quote_literal(comment)
            ));
        }
    }

    // Primary keys, unique constraints and indexes of the imported tables
    // are dropped too and built again after the data: one sorted build per
    // index instead of one insertion per row. Left in place: those another
    // kept constraint needs (a foreign key from a table not imported, an
    // exclusion constraint), clustered and replica-identity indexes.
    for index in target::indexes(client, &oids)
        .await
        .map_err(sql("cannot read the indexes"))?
    {
        let (drop, add, comment) = match &index.constraint {
            Some((name, definition)) => (
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    index.table_sql,
                    quote_ident(name)
                ),
                format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                    index.table_sql,
                    quote_ident(name)
                ),
                format!(
                    "COMMENT ON CONSTRAINT {} ON {} IS ",
                    quote_ident(name),
                    index.table_sql
                ),
            ),
            None => (
                format!("DROP INDEX {}", index.index_sql),
                index.definition.clone(),
                format!("COMMENT ON INDEX {} IS ", index.index_sql),
            ),
        };
        client
            .batch_execute(&drop)
            .await
            .map_err(sql("cannot set an index aside for the load"))?;
        after_load.push(add);
        if let Some(text) = &index.comment {
            after_load.push(format!("{comment}{}", crate::connect::quote_literal(text)));
        }
    }

    // Load.
    let mut sent: BTreeMap<String, load::Sent> = BTreeMap::new();
    for name in &order {
        let pair = pairs
            .iter()
            .find(|p| p.target.shown() == *name)
            .expect("ordered from pairs");
        progress(Event::Table {
            table: pair.source.name.clone(),
            rows: counts.get(&pair.source.name).copied().unwrap_or(0),
        });
        let load = load::TableLoad {
            file: options.file.clone(),
            source: pair.source.name.clone(),
            without_rowid: pair.source.without_rowid,
            columns: pair
                .columns
                .iter()
                .map(|(s, _, k, _)| (s.clone(), k.clone()))
                .collect(),
            not_null: pair.columns.iter().map(|c| c.3).collect(),
            target_columns: pair.columns.iter().map(|c| c.1.clone()).collect(),
            target_sql: pair.target.sql(),
            zone,
        };
        let p = progress.clone();
        let done = load::load(client, load, &move |n| p(Event::Rows(n))).await?;
        progress(Event::TableDone);
        sent.insert(pair.target.shown(), done);
    }

    if !after_load.is_empty() || !foreign_keys.is_empty() {
        progress(Event::Step("keys, indexes and foreign keys".into()));
        for statement in after_load.iter().chain(&foreign_keys) {
            client
                .batch_execute(statement)
                .await
                .map_err(sql(&format!("`{statement}` failed")))?;
        }
    }

    // Verify.
    progress(Event::Step("verifying".into()));
    for pair in &pairs {
        let columns: Vec<(String, Kind)> = pair
            .columns
            .iter()
            .map(|(_, t, k, _)| (t.clone(), k.clone()))
            .collect();
        let row = client
            .query_typed(&target::checksum_sql(&pair.target, &columns), &[])
            .await
            .map_err(sql(&format!("cannot verify `{}`", pair.target.shown())))?;
        let (target_rows, target_checksum): (i64, String) = row
            .first()
            .map(|r| (r.get(0), r.get(1)))
            .unwrap_or_default();
        let done = sent.get(&pair.target.shown()).copied().unwrap_or_default();
        let target_rows = u64::try_from(target_rows).unwrap_or(0);
        let source_checksum = done.checksum.to_string();
        report.tables.push(TableReport {
            table: pair.source.name.clone(),
            target: pair.target.shown(),
            source_rows: done.rows,
            target_rows,
            ok: done.rows == target_rows && source_checksum == target_checksum,
            source_checksum,
            target_checksum,
        });
    }
    // Sequences owned by imported columns (serial and identity). `setval`
    // is not transactional, so only once everything verified, and never in a
    // dry run.
    if options.dry_run || !report.verified() {
        return Ok(());
    }
    progress(Event::Step("sequences".into()));
    // One round trip finds the sequences of every integer column.
    let (tables, columns): (Vec<String>, Vec<String>) = pairs
        .iter()
        .flat_map(|pair| {
            pair.columns
                .iter()
                .filter(|(_, _, kind, _)| matches!(kind, Kind::Int2 | Kind::Int4 | Kind::Int8))
                .map(|(_, column, _, _)| (pair.target.sql(), column.clone()))
        })
        .unzip();
    let found = client
        .query_typed(
            "SELECT t, c, pg_get_serial_sequence(t, c)
               FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(t, c, n)
              ORDER BY n",
            &[(&tables, Type::TEXT_ARRAY), (&columns, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(sql("cannot find sequences"))?;
    for row in &found {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        let Some(sequence) = row.get::<_, Option<String>>(2) else {
            continue;
        };
        let moved = client
                .query_typed(
                    &format!(
                        "SELECT setval($1::regclass, m) FROM (SELECT max({})::int8 AS m FROM {}) x WHERE m IS NOT NULL",
                        quote_ident(&column),
                        table
                    ),
                    &[(&sequence, Type::TEXT)],
                )
                .await
                .map_err(sql(&format!("cannot move sequence `{sequence}`")))?;
        if let Some(row) = moved.first() {
            let last: i64 = row.get(0);
            report.sequences.push(SequenceMove {
                sequence,
                next: last.saturating_add(1),
            });
        }
    }

    Ok(())
}
