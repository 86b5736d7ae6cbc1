//! The PostgreSQL side: which tables and column types the import writes
//! into, their foreign keys, the order to load them in, and the checksum
//! query that verifies what was stored.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::convert::Kind;
use crate::connect::quote_ident;

#[derive(Debug, Clone)]
pub struct TargetTable {
    pub oid: u32,
    pub schema: String,
    pub name: String,
}

impl TargetTable {
    pub fn sql(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    pub fn shown(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct TargetColumn {
    pub name: String,
    /// `format_type` of the column as declared (for messages).
    pub shown_type: String,
    /// `None` when import cannot convert to this type.
    pub kind: Option<Kind>,
    pub generated: bool,
    pub not_null: bool,
}

/// The tables of `schemas` (ordinary and partitioned).
pub async fn tables(
    client: &Client,
    schemas: &[String],
) -> Result<Vec<TargetTable>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT c.oid, n.nspname::text, c.relname::text
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
              ORDER BY array_position($1, n.nspname::text), c.relname",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TargetTable {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
        })
        .collect())
}

/// The target for a SQLite table name: the same name in the first schema
/// that has it, else the only case-insensitive match (SQLite names are
/// case-insensitive; unquoted PostgreSQL names are lower case).
pub fn find<'a>(tables: &'a [TargetTable], name: &str) -> Option<&'a TargetTable> {
    tables.iter().find(|t| t.name == name).or_else(|| {
        let mut matches = tables.iter().filter(|t| t.name.eq_ignore_ascii_case(name));
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    })
}

pub async fn columns(
    client: &Client,
    oid: u32,
) -> Result<Vec<TargetColumn>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                    format_type(bt.oid, NULL),
                    CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
                    a.attgenerated <> '',
                    CASE WHEN bt.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e
                                                           WHERE e.enumtypid = bt.oid ORDER BY e.enumsortorder) END,
                    a.attnotnull
               FROM pg_attribute a
               JOIN pg_type t ON t.oid = a.atttypid
               JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
              WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[(&oid, Type::OID)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let base: String = r.get(2);
            let labels: Option<Vec<String>> = r.get(5);
            TargetColumn {
                name: r.get(0),
                shown_type: r.get(1),
                kind: Kind::from_pg(&base, r.get(3), labels),
                generated: r.get(4),
                not_null: r.get(6),
            }
        })
        .collect())
}

/// A foreign key of an imported table.
#[derive(Debug, Clone)]
pub struct TargetForeignKey {
    pub name: String,
    pub child: u32,
    pub parent: u32,
    pub deferrable: bool,
    pub validated: bool,
    pub definition: String,
    pub comment: Option<String>,
}

pub async fn foreign_keys(
    client: &Client,
    oids: &[u32],
) -> Result<Vec<TargetForeignKey>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT conname::text, conrelid, confrelid, condeferrable, convalidated,
                    pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint')
               FROM pg_constraint
              WHERE contype = 'f' AND conrelid = ANY($1)
              ORDER BY conname",
            &[(&oids, Type::OID_ARRAY)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TargetForeignKey {
            name: r.get(0),
            child: r.get(1),
            parent: r.get(2),
            deferrable: r.get(3),
            validated: r.get(4),
            definition: r.get(5),
            comment: r.get(6),
        })
        .collect())
}

/// An index of an imported table that can be rebuilt after the load.
#[derive(Debug, Clone)]
pub struct TargetIndex {
    pub table_sql: String,
    pub index_sql: String,
    /// The primary key or unique constraint it backs: name and definition.
    pub constraint: Option<(String, String)>,
    /// `CREATE INDEX ...` (for an index that backs no constraint).
    pub definition: String,
    pub comment: Option<String>,
}

/// The indexes of `oids` that nothing kept needs: no constraint uses them
/// but their own primary key or unique constraint and the validated foreign
/// keys of the imported tables (which are dropped first), and they are not
/// clustered or the replica identity.
pub async fn indexes(
    client: &Client,
    oids: &[u32],
) -> Result<Vec<TargetIndex>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
                    quote_ident(n.nspname) || '.' || quote_ident(ic.relname),
                    c.conname::text,
                    CASE WHEN c.oid IS NOT NULL THEN pg_get_constraintdef(c.oid) END,
                    pg_get_indexdef(i.indexrelid),
                    CASE WHEN c.oid IS NOT NULL THEN obj_description(c.oid, 'pg_constraint')
                         ELSE obj_description(i.indexrelid, 'pg_class') END
               FROM pg_index i
               JOIN pg_class ic ON ic.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = ic.relnamespace
               JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_namespace tn ON tn.oid = t.relnamespace
               LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                                        AND c.contype IN ('p', 'u')
              WHERE i.indrelid = ANY($1) AND ic.relkind = 'i' AND i.indisvalid
                AND NOT i.indisclustered AND NOT i.indisreplident
                AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint o
                     WHERE o.conindid = i.indexrelid
                       AND (c.oid IS NULL OR o.oid <> c.oid)
                       AND NOT (o.contype = 'f' AND o.conrelid = ANY($1) AND o.convalidated))
              ORDER BY 1, 2",
            &[(&oids, Type::OID_ARRAY)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: Option<String> = r.get(2);
            let definition: Option<String> = r.get(3);
            TargetIndex {
                table_sql: r.get(0),
                index_sql: r.get(1),
                constraint: name.zip(definition),
                definition: r.get(4),
                comment: r.get(5),
            }
        })
        .collect())
}

/// Parents before children (Kahn's algorithm, names in order among equals);
/// the second list holds the tables left in cycles, in name order, loaded
/// last. Self-references do not count: one COPY checks them at its end.
pub fn order(names: &[String], edges: &[(String, String)]) -> (Vec<String>, Vec<String>) {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = names
        .iter()
        .map(|n| (n.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in edges {
        if child != parent && parents.contains_key(parent.as_str()) {
            if let Some(set) = parents.get_mut(child.as_str()) {
                set.insert(parent.as_str());
            }
        }
    }
    let mut done: Vec<String> = Vec::new();
    loop {
        let ready: Option<&str> = parents
            .iter()
            .find(|(_, ps)| ps.is_empty())
            .map(|(n, _)| *n);
        let Some(next) = ready else { break };
        parents.remove(next);
        for ps in parents.values_mut() {
            ps.remove(next);
        }
        done.push(next.to_owned());
    }
    let cycle = parents.keys().map(|s| (*s).to_owned()).collect();
    (done, cycle)
}

/// `count(*)` and the sum of each row's 64-bit hash (see
/// [`super::rowhash`]) over the binary form of the columns in `columns`: the
/// same bytes binary COPY carried, a 4-byte length then the value (`-1` for
/// NULL). Fixed-width types get their length as a constant.
pub fn checksum_sql(table: &TargetTable, columns: &[(String, Kind)]) -> String {
    let row = if columns.is_empty() {
        "''::bytea".to_owned()
    } else {
        columns
            .iter()
            .map(|(name, kind)| {
                let send = kind.send_sql(&quote_ident(name));
                let len = match kind.fixed_len() {
                    Some(n) => format!(r"'\x{n:08x}'::bytea"),
                    None => format!("int4send(octet_length({send}))"),
                };
                format!(r"coalesce({len} || {send}, '\xffffffff'::bytea)")
            })
            .collect::<Vec<_>>()
            .join(" || ")
    };
    format!(
        "SELECT count(*)::int8, coalesce(sum(hashtextextended(encode({row}, 'hex') COLLATE \"C\", 0)), 0)::text FROM ONLY {}",
        table.sql()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn parents_first_and_cycles_last() {
        let edges = [
            ("orders".to_owned(), "users".to_owned()),
            ("items".to_owned(), "orders".to_owned()),
            ("users".to_owned(), "users".to_owned()),
            ("a".to_owned(), "b".to_owned()),
            ("b".to_owned(), "a".to_owned()),
        ];
        let (order, cycle) = order(&s(&["a", "b", "items", "orders", "users"]), &edges);
        assert_eq!(order, s(&["users", "orders", "items"]));
        assert_eq!(cycle, s(&["a", "b"]));
    }
}
