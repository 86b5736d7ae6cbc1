//! The steps of one import, in the order they run inside its transaction (the module
//! doc of [`super`] says why each is there): create the missing tables
//! (`--create-tables`), pair each SQLite table with its target, set foreign keys and
//! indexes aside, load parents first, build the keys again, verify, move sequences.

use std::collections::BTreeMap;

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::convert::{Kind, Zone};
use super::pair::{self, Pair};
use super::{
    Event, ImportError, ImportOptions, ImportReport, Progress, SequenceMove, TableReport, create,
    load, source, sql, target,
};
use crate::connect::{quote_ident, quote_literal};
use crate::topology::Placement;

/// What one import works with, from its first step to its last.
pub(super) struct Import<'a> {
    pub client: &'a Client,
    pub placement: &'a Placement,
    pub options: &'a ImportOptions,
    pub wanted: &'a [source::SourceTable],
    /// Rows per SQLite table, for the progress bars.
    pub counts: &'a BTreeMap<String, u64>,
    pub zone: Zone,
    pub progress: &'a Progress,
}

/// Statements run after the load: keys and indexes first, then foreign keys (which
/// need the keys they point at).
#[derive(Default)]
struct Rebuild {
    keys: Vec<String>,
    foreign_keys: Vec<String>,
}

impl Import<'_> {
    /// Runs every step; the caller commits or rolls back.
    pub(super) async fn run(&self, report: &mut ImportReport) -> Result<(), ImportError> {
        let schemas: Vec<String> = self
            .placement
            .owned_schemas
            .iter()
            .filter(|s| *s != "pgfleet")
            .cloned()
            .collect();
        let mut rebuild = Rebuild::default();
        if self.options.create_tables {
            self.create_tables(&schemas, &mut rebuild, report).await?;
        }
        let existing = target::tables(self.client, &schemas)
            .await
            .map_err(sql("cannot list the target tables"))?;
        let mut pairs: Vec<Pair<'_>> = Vec::new();
        for t in self.wanted {
            let check_empty = !self.options.create_tables;
            let db = &self.placement.database;
            pairs.push(pair::pair(self.client, db, &schemas, &existing, t, check_empty).await?);
        }
        let order = self.set_aside_foreign_keys(&pairs, &mut rebuild).await?;
        self.set_aside_indexes(&pairs, &mut rebuild).await?;
        let sent = self.load(&pairs, &order).await?;
        self.rebuild(&rebuild).await?;
        self.verify(&pairs, &sent, report).await?;
        // `setval` is not transactional: only once everything verified, never in a
        // dry run.
        if self.options.dry_run || !report.verified() {
            return Ok(());
        }
        self.move_sequences(&pairs, report).await
    }

    /// `--create-tables`: creates each wanted table in the placement's schema (keys and
    /// indexes wait for the data); a table already there is refused.
    async fn create_tables(
        &self,
        schemas: &[String],
        rebuild: &mut Rebuild,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        let existing = target::tables(self.client, schemas)
            .await
            .map_err(sql("cannot list the target tables"))?;
        let schema = self
            .placement
            .schema
            .clone()
            .or_else(|| schemas.first().cloned())
            .unwrap_or_else(|| "public".to_owned());
        self.client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_ident(&schema)
            ))
            .await
            .map_err(sql("cannot create the schema"))?;
        for t in self.wanted {
            if let Some(found) = existing.iter().find(|x| x.name == t.name) {
                return Err(ImportError::TableExists {
                    table: found.shown(),
                    database: self.placement.database.clone(),
                });
            }
            let ddl = create::table_ddl(&schema, t);
            self.client
                .batch_execute(&ddl.create)
                .await
                .map_err(sql(&format!("cannot create table `{}`", t.name)))?;
            report.created.push(format!("{schema}.{}", t.name));
            rebuild.keys.extend(ddl.keys);
            rebuild.foreign_keys.extend(ddl.foreign_keys);
            report.warnings.extend(ddl.skipped);
        }
        Ok(())
    }

    /// The load order, parents first by the target's foreign keys (tables left in a
    /// cycle, and those hanging off one, last, with constraints deferred). Every
    /// validated foreign key of an imported table is dropped and queued to be added
    /// back with its name, definition and comment: adding one checks all rows in one
    /// join, where a key left in place checks them one by one, and a cycle then needs
    /// nothing special. `NOT VALID` keys stay (re-adding them would validate them).
    async fn set_aside_foreign_keys(
        &self,
        pairs: &[Pair<'_>],
        rebuild: &mut Rebuild,
    ) -> Result<Vec<String>, ImportError> {
        let oids: Vec<u32> = pairs.iter().map(|p| p.target.oid).collect();
        let fks = target::foreign_keys(self.client, &oids)
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
            self.client
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
            let name = quote_ident(&fk.name);
            self.client
                .batch_execute(&format!("ALTER TABLE {child} DROP CONSTRAINT {name}"))
                .await
                .map_err(sql("cannot set a foreign key aside for the load"))?;
            rebuild.foreign_keys.push(format!(
                "ALTER TABLE {child} ADD CONSTRAINT {name} {}",
                fk.definition
            ));
            if let Some(comment) = &fk.comment {
                rebuild.foreign_keys.push(format!(
                    "COMMENT ON CONSTRAINT {name} ON {child} IS {}",
                    quote_literal(comment)
                ));
            }
        }
        Ok(order)
    }

    /// Primary keys, unique constraints and indexes of the imported tables are dropped
    /// and queued to be built again after the data: one sorted build per index instead
    /// of one insertion per row. Left in place: those another kept constraint needs (a
    /// foreign key from a table not imported, an exclusion constraint), clustered and
    /// replica-identity indexes.
    async fn set_aside_indexes(
        &self,
        pairs: &[Pair<'_>],
        rebuild: &mut Rebuild,
    ) -> Result<(), ImportError> {
        let oids: Vec<u32> = pairs.iter().map(|p| p.target.oid).collect();
        let indexes = target::indexes(self.client, &oids)
            .await
            .map_err(sql("cannot read the indexes"))?;
        for index in indexes {
            let table = &index.table_sql;
            let (drop, add, comment) = match &index.constraint {
                Some((name, definition)) => {
                    let name = quote_ident(name);
                    (
                        format!("ALTER TABLE {table} DROP CONSTRAINT {name}"),
                        format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"),
                        format!("COMMENT ON CONSTRAINT {name} ON {table} IS "),
                    )
                }
                None => (
                    format!("DROP INDEX {}", index.index_sql),
                    index.definition.clone(),
                    format!("COMMENT ON INDEX {} IS ", index.index_sql),
                ),
            };
            self.client
                .batch_execute(&drop)
                .await
                .map_err(sql("cannot set an index aside for the load"))?;
            rebuild.keys.push(add);
            if let Some(text) = &index.comment {
                rebuild
                    .keys
                    .push(format!("{comment}{}", quote_literal(text)));
            }
        }
        Ok(())
    }

    /// Streams each table in `order`; what was sent, per target table.
    async fn load(
        &self,
        pairs: &[Pair<'_>],
        order: &[String],
    ) -> Result<BTreeMap<String, load::Sent>, ImportError> {
        let mut sent = BTreeMap::new();
        for name in order {
            let pair = pairs
                .iter()
                .find(|p| p.target.shown() == *name)
                .expect("ordered from pairs");
            (self.progress)(Event::Table {
                table: pair.source.name.clone(),
                rows: self.counts.get(&pair.source.name).copied().unwrap_or(0),
            });
            let load = load::TableLoad {
                file: self.options.file.clone(),
                source: pair.source.name.clone(),
                without_rowid: pair.source.without_rowid,
                columns: pair
                    .columns
                    .iter()
                    .map(|c| (c.source.clone(), c.kind.clone()))
                    .collect(),
                not_null: pair.columns.iter().map(|c| c.not_null).collect(),
                target_columns: pair.columns.iter().map(|c| c.target.clone()).collect(),
                target_sql: pair.target.sql(),
                zone: self.zone,
            };
            let p = self.progress.clone();
            let done = load::load(self.client, load, &move |n| p(Event::Rows(n))).await?;
            (self.progress)(Event::TableDone);
            sent.insert(pair.target.shown(), done);
        }
        Ok(sent)
    }

    /// Builds the keys, indexes and foreign keys set aside, in that order.
    async fn rebuild(&self, rebuild: &Rebuild) -> Result<(), ImportError> {
        if rebuild.keys.is_empty() && rebuild.foreign_keys.is_empty() {
            return Ok(());
        }
        (self.progress)(Event::Step("keys, indexes and foreign keys".into()));
        for statement in rebuild.keys.iter().chain(&rebuild.foreign_keys) {
            self.client
                .batch_execute(statement)
                .await
                .map_err(sql(&format!("`{statement}` failed")))?;
        }
        Ok(())
    }

    /// Per table, the row count and checksum the server computes over what it stored,
    /// beside those of what was sent.
    async fn verify(
        &self,
        pairs: &[Pair<'_>],
        sent: &BTreeMap<String, load::Sent>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        (self.progress)(Event::Step("verifying".into()));
        for pair in pairs {
            let columns: Vec<(String, Kind)> = pair
                .columns
                .iter()
                .map(|c| (c.target.clone(), c.kind.clone()))
                .collect();
            let row = self
                .client
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
        Ok(())
    }

    /// Moves the sequences owned by imported integer columns (serial and identity)
    /// past the imported ids.
    async fn move_sequences(
        &self,
        pairs: &[Pair<'_>],
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        (self.progress)(Event::Step("sequences".into()));
        // One round trip finds the sequences of every integer column.
        let (tables, columns): (Vec<String>, Vec<String>) = pairs
            .iter()
            .flat_map(|pair| {
                pair.columns
                    .iter()
                    .filter(|c| matches!(c.kind, Kind::Int2 | Kind::Int4 | Kind::Int8))
                    .map(|c| (pair.target.sql(), c.target.clone()))
            })
            .unzip();
        let found = self
            .client
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
            let moved = self
                .client
                .query_typed(
                    &format!(
                        "SELECT setval($1::regclass, m) FROM (SELECT max({})::int8 AS m FROM {table}) x WHERE m IS NOT NULL",
                        quote_ident(&column),
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
}
