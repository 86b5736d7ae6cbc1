//! A SQLite table matched with its target table and columns, refusing
//! anything that would lose data: a missing table or column, a target type
//! pgfleet cannot write, a target that already holds rows.

use tokio_postgres::Client;

use super::convert::Kind;
use super::target::{self, TargetColumn, TargetTable};
use super::{ImportError, source, sql};

/// A SQLite table matched with its target.
pub(super) struct Pair<'a> {
    pub(super) source: &'a source::SourceTable,
    pub(super) target: TargetTable,
    /// Generated target columns left out.
    pub(super) columns: Vec<ColumnPair>,
}

/// A SQLite column and the target column it goes into.
pub(super) struct ColumnPair {
    pub(super) source: String,
    pub(super) target: String,
    /// How its values are written into the target's type.
    pub(super) kind: Kind,
    /// Whether the target column is NOT NULL.
    pub(super) not_null: bool,
}

/// Finds `t`'s target among `existing` (the tables of `schemas` in `db`) and
/// matches its columns; with `check_empty`, refuses a target holding rows.
pub(super) async fn pair<'a>(
    client: &Client,
    db: &str,
    schemas: &[String],
    existing: &[TargetTable],
    t: &'a source::SourceTable,
    check_empty: bool,
) -> Result<Pair<'a>, ImportError> {
    let Some(found) = target::find(existing, &t.name) else {
        return Err(ImportError::MissingTable {
            table: t.name.clone(),
            database: db.to_owned(),
            schemas: schemas.to_vec(),
        });
    };
    let cols = target::columns(client, found.oid)
        .await
        .map_err(sql("cannot read the target columns"))?;
    let columns = match_columns(t, found, &cols)?;
    if check_empty {
        let has_rows = client
            .query_typed(
                &format!("SELECT EXISTS (SELECT 1 FROM {})", found.sql()),
                &[],
            )
            .await
            .map_err(sql("cannot read the target table"))?;
        if has_rows.first().is_some_and(|r| r.get::<_, bool>(0)) {
            return Err(ImportError::NotEmpty {
                target: found.shown(),
            });
        }
    }
    Ok(Pair {
        source: t,
        target: found.clone(),
        columns,
    })
}

/// Each column of `t` with the target column of the same name (exactly, else
/// ignoring ASCII case); generated target columns are left out.
fn match_columns(
    t: &source::SourceTable,
    found: &TargetTable,
    cols: &[TargetColumn],
) -> Result<Vec<ColumnPair>, ImportError> {
    let mut columns = Vec::new();
    for c in &t.columns {
        let matched = cols
            .iter()
            .find(|x| x.name == c.name)
            .or_else(|| cols.iter().find(|x| x.name.eq_ignore_ascii_case(&c.name)));
        let Some(tc) = matched else {
            return Err(ImportError::MissingColumn {
                table: t.name.clone(),
                column: c.name.clone(),
                target: found.shown(),
            });
        };
        if tc.generated {
            continue;
        }
        let Some(kind) = tc.kind.clone() else {
            return Err(ImportError::UnsupportedType {
                target: found.shown(),
                column: tc.name.clone(),
                type_name: tc.shown_type.clone(),
            });
        };
        columns.push(ColumnPair {
            source: c.name.clone(),
            target: tc.name.clone(),
            kind,
            not_null: tc.not_null,
        });
    }
    Ok(columns)
}
