//! `clean`: empty every table a logical database owns and keep its schema
//! and history (SPEC, Details: clean).
//!
//! In one transaction per logical database: one `TRUNCATE ... RESTART
//! IDENTITY` over every table in its owned schemas, `ALTER SEQUENCE ...
//! RESTART` for the sequences there that no column owns, then `REFRESH
//! MATERIALIZED VIEW` for each materialized view there.
//!
//! Never touched: anything in schema `pgfleet`, the history tables of the
//! tools pgfleet adopts from ([`peer_history_tables`]), and every table
//! outside the owned schemas, which in a shared physical database belong to
//! other logical databases. So there is no CASCADE: a foreign key from a
//! table outside the set into it is an error naming both.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::DataError;
use crate::connect::quote_ident;
use crate::fleet::Fleet;
use crate::migrate::formats::peer_history_tables;
use crate::topology::Placement;

/// What `clean` did for one logical database; names are `schema.name`.
#[derive(Debug, Serialize)]
pub struct Cleaned {
    pub database: String,
    pub physical_database: String,
    pub tables: Vec<String>,
    pub sequences: Vec<String>,
    pub materialized_views: Vec<String>,
    /// Set when this database failed; nothing of it changed.
    pub error: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct CleanReport {
    pub databases: Vec<Cleaned>,
}

impl CleanReport {
    pub fn failed(&self) -> bool {
        self.databases.iter().any(|d| d.error.is_some())
    }
}

/// Cleans `placements` one after another; the first failure stops the run
/// (the databases cleaned before it stay clean).
/// `permit`: the safety rule said yes for this env ([`crate::safety::check`]).
pub async fn clean(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    placements: &[&Placement],
) -> CleanReport {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
    let mut report = CleanReport::default();
    for placement in placements {
        let mut cleaned = Cleaned {
            database: placement.database.clone(),
            physical_database: placement.physical.clone(),
            tables: Vec::new(),
            sequences: Vec::new(),
            materialized_views: Vec::new(),
            error: None,
            hint: None,
        };
        let result = clean_one(fleet, placement, &mut cleaned).await;
        let failed = result.is_err();
        if let Err(e) = result {
            cleaned.hint = e.hint();
            cleaned.error = Some(e.to_string());
        }
        report.databases.push(cleaned);
        if failed {
            break;
        }
    }
    report
}

/// A relation in the owned schemas.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Relation {
    schema: String,
    name: String,
}

impl Relation {
    fn sql(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    fn shown(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// What one transaction will do.
#[derive(Debug, Default)]
struct Work {
    /// `(table, partitioned)`: a partitioned table cannot be named with ONLY.
    tables: Vec<(Relation, bool)>,
    sequences: Vec<Relation>,
    views: Vec<Relation>,
}

impl Work {
    fn sql(&self) -> String {
        let mut sql = String::new();
        if !self.tables.is_empty() {
            let list: Vec<String> = self
                .tables
                .iter()
                .map(|(t, partitioned)| {
                    // ONLY: an inheritance child outside the set is not ours.
                    if *partitioned {
                        t.sql()
                    } else {
                        format!("ONLY {}", t.sql())
                    }
                })
                .collect();
            let _ = writeln!(sql, "TRUNCATE {} RESTART IDENTITY;", list.join(", "));
        }
        for s in &self.sequences {
            let _ = writeln!(sql, "ALTER SEQUENCE {} RESTART;", s.sql());
        }
        for v in &self.views {
            let _ = writeln!(sql, "REFRESH MATERIALIZED VIEW {};", v.sql());
        }
        sql.push_str("COMMIT");
        sql
    }
}

async fn clean_one(
    fleet: &Fleet,
    placement: &Placement,
    report: &mut Cleaned,
) -> Result<(), DataError> {
    let db = placement.database.as_str();
    let mut info = fleet.conninfo(placement)?;
    info.application_name = Some(format!("pgfleet clean (pid {})", std::process::id()));
    let client = info.connect().await?;
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| DataError::sql(db, "cannot begin", e))?;
    let peers = crate::migrate::peer_tables(&fleet.manifest.databases[&placement.database]);
    let work = match plan(&client, placement, &peers).await {
        Ok(work) => work,
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e);
        }
    };
    if let Err(e) = client.batch_execute(&work.sql()).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(DataError::sql(db, "cannot clean", e));
    }
    report.tables = work.tables.iter().map(|(t, _)| t.shown()).collect();
    report.sequences = work.sequences.iter().map(Relation::shown).collect();
    report.materialized_views = work.views.iter().map(Relation::shown).collect();
    Ok(())
}

/// Reads the catalog (inside the transaction) and decides what to do.
async fn plan(
    client: &Client,
    placement: &Placement,
    peers: &[(Option<String>, String)],
) -> Result<Work, DataError> {
    let db = placement.database.as_str();
    let schemas: Vec<&str> = placement
        .owned_schemas
        .iter()
        .map(String::as_str)
        .filter(|s| *s != "pgfleet")
        .collect();
    // `owned`: a sequence some column owns (serial or identity); TRUNCATE's
    // RESTART IDENTITY restarts those of truncated tables, and those of kept
    // tables stay as they are. Ordered by oid so that materialized views
    // refresh in the order they were made, dependencies first.
    let rows = client
        .query_typed(
            "SELECT n.nspname::text, c.relname::text, c.relkind::text,
                    EXISTS (SELECT 1 FROM pg_depend d
                             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'S', 'm')
              ORDER BY c.oid",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(|e| DataError::sql(db, "cannot list its tables", e))?;
    let kept = peer_history_tables();
    let mut work = Work::default();
    for row in rows {
        let relation = Relation {
            schema: row.get(0),
            name: row.get(1),
        };
        let kind: String = row.get(2);
        let owned_by_column: bool = row.get(3);
        match kind.as_str() {
            "r" | "p"
                if !kept.contains(&relation.name.as_str())
                    && !peers.iter().any(|(s, t)| {
                        s.as_ref().is_none_or(|s| *s == relation.schema) && *t == relation.name
                    }) =>
            {
                work.tables.push((relation, kind == "p"));
            }
            "S" if !owned_by_column => work.sequences.push(relation),
            "m" => work.views.push(relation),
            _ => {}
        }
    }
    work.tables.sort();
    work.sequences.sort();
    check_references(client, db, &schemas, &work).await?;
    Ok(work)
}

/// Fails when a table outside the set has a foreign key into it.
async fn check_references(
    client: &Client,
    db: &str,
    schemas: &[&str],
    work: &Work,
) -> Result<(), DataError> {
    let set: BTreeSet<&Relation> = work.tables.iter().map(|(t, _)| t).collect();
    let rows = client
        .query_typed(
            "SELECT con.conname::text, fn.nspname::text, f.relname::text, tn.nspname::text, t.relname::text
               FROM pg_constraint con
               JOIN pg_class t ON t.oid = con.confrelid
               JOIN pg_namespace tn ON tn.oid = t.relnamespace
               JOIN pg_class f ON f.oid = con.conrelid
               JOIN pg_namespace fn ON fn.oid = f.relnamespace
              WHERE con.contype = 'f' AND tn.nspname = ANY($1)
              ORDER BY 2, 3, 1",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(|e| DataError::sql(db, "cannot list foreign keys", e))?;
    for row in rows {
        let referencing = Relation {
            schema: row.get(1),
            name: row.get(2),
        };
        let referenced = Relation {
            schema: row.get(3),
            name: row.get(4),
        };
        if set.contains(&referenced) && !set.contains(&referencing) {
            return Err(DataError::ForeignReference {
                db: db.to_owned(),
                referencing: referencing.shown(),
                referenced: referenced.shown(),
                constraint: row.get(0),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(schema: &str, name: &str) -> Relation {
        Relation {
            schema: schema.into(),
            name: name.into(),
        }
    }

    #[test]
    fn one_truncate_then_sequences_then_views_then_commit() {
        let work = Work {
            tables: vec![(rel("app", "users"), false), (rel("My S", "ev"), true)],
            sequences: vec![rel("app", "numbers")],
            views: vec![rel("app", "totals")],
        };
        assert_eq!(
            work.sql(),
            "TRUNCATE ONLY \"app\".\"users\", \"My S\".\"ev\" RESTART IDENTITY;\n\
             ALTER SEQUENCE \"app\".\"numbers\" RESTART;\n\
             REFRESH MATERIALIZED VIEW \"app\".\"totals\";\n\
             COMMIT"
        );
        assert_eq!(Work::default().sql(), "COMMIT");
    }
}
