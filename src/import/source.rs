//! The SQLite side: its tables, columns, keys and indexes, read from the
//! `pragma_*` table-valued functions (SQLite's own `sqlite_*` tables, views,
//! virtual tables and their shadow tables are left out).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, Clone)]
pub struct SourceColumn {
    pub name: String,
    /// The declared type, as written (may be empty).
    pub declared: String,
    pub not_null: bool,
    /// Position in the primary key (1-based), 0 when not in it.
    pub pk: u32,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub parent: String,
    /// Empty when the parent's primary key is meant.
    pub parent_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// `pk`, `u` (a UNIQUE constraint) or `c` (CREATE INDEX).
    pub origin: String,
    pub columns: Vec<String>,
    /// Expression or partial indexes, which are not recreated.
    pub skipped: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SourceTable {
    pub name: String,
    pub without_rowid: bool,
    /// Stored columns (generated and hidden ones are not read).
    pub columns: Vec<SourceColumn>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

impl SourceTable {
    /// The `INTEGER PRIMARY KEY` column that aliases the rowid, if any.
    pub fn rowid_alias(&self) -> Option<&SourceColumn> {
        if self.without_rowid {
            return None;
        }
        let pk: Vec<&SourceColumn> = self.columns.iter().filter(|c| c.pk > 0).collect();
        match pk.as_slice() {
            [c] if c.declared.eq_ignore_ascii_case("integer") => Some(c),
            _ => None,
        }
    }
}

/// Opens `path` read-only; a file that is not a SQLite database fails here
/// or at the first read.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Every ordinary table of the `main` schema, in name order.
pub fn tables(conn: &Connection) -> rusqlite::Result<Vec<SourceTable>> {
    let mut names: Vec<(String, bool)> = conn
        .prepare(
            "SELECT name, wr FROM pragma_table_list
              WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
              ORDER BY name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))?
        .collect::<Result<_, _>>()?;
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for (name, without_rowid) in names {
        let columns = conn
            .prepare("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")?
            .query_map([&name], |r| {
                Ok((
                    SourceColumn {
                        name: r.get(0)?,
                        declared: r.get(1)?,
                        not_null: r.get::<_, i64>(2)? != 0,
                        pk: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    },
                    r.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|(_, hidden)| *hidden == 0)
            .map(|(c, _)| c)
            .collect();
        let mut foreign_keys: Vec<(i64, ForeignKey)> = Vec::new();
        let rows = conn
            .prepare(
                "SELECT id, \"from\", \"table\", \"to\", on_update, on_delete
                   FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            )?
            .query_map([&name], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (id, from, parent, to, on_update, on_delete) in rows {
            if foreign_keys.last().is_none_or(|(last, _)| *last != id) {
                foreign_keys.push((
                    id,
                    ForeignKey {
                        columns: Vec::new(),
                        parent,
                        parent_columns: Vec::new(),
                        on_delete,
                        on_update,
                    },
                ));
            }
            if let Some((_, fk)) = foreign_keys.last_mut() {
                fk.columns.push(from);
                if let Some(to) = to {
                    fk.parent_columns.push(to);
                }
            }
        }
        let index_list: Vec<(String, bool, String, bool)> = conn
            .prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY seq DESC")?
            .query_map([&name], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? != 0,
                    r.get(2)?,
                    r.get::<_, i64>(3)? != 0,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut indexes = Vec::new();
        for (index, unique, origin, partial) in index_list {
            let cols: Vec<(i64, Option<String>)> = conn
                .prepare("SELECT cid, name FROM pragma_index_info(?1) ORDER BY seqno")?
                .query_map([&index], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let skipped = if partial {
                Some("a partial index".to_owned())
            } else if cols.iter().any(|(cid, _)| *cid < 0) {
                Some("an index on an expression".to_owned())
            } else {
                None
            };
            indexes.push(Index {
                name: index,
                unique,
                origin,
                columns: cols.into_iter().filter_map(|(_, n)| n).collect(),
                skipped,
            });
        }
        out.push(SourceTable {
            name,
            without_rowid,
            columns,
            foreign_keys: foreign_keys.into_iter().map(|(_, fk)| fk).collect(),
            indexes,
        });
    }
    Ok(out)
}
