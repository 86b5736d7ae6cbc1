//! `import sqlite`'s errors: each names the file, table, row or column it
//! is about, with a hint; all of them leave nothing imported.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read `{}`: {message}", file.display())]
    Source { file: PathBuf, message: String },

    #[error("`{file}` has no table `{name}`")]
    UnknownTable {
        file: String,
        name: String,
        known: Vec<String>,
    },

    #[error("SQLite table `{table}` has no table in `{database}` (looked in schema {})", schemas.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))]
    MissingTable {
        table: String,
        database: String,
        schemas: Vec<String>,
    },

    #[error("`--create-tables`: table `{table}` already exists in `{database}`")]
    TableExists { table: String, database: String },

    #[error("column `{table}.{column}` of the SQLite file has no column in `{target}`")]
    MissingColumn {
        table: String,
        column: String,
        target: String,
    },

    #[error(
        "column `{target}.{column}` is `{type_name}`, a type import sqlite does not convert to"
    )]
    UnsupportedType {
        target: String,
        column: String,
        type_name: String,
    },

    #[error("table `{target}` already holds rows; import loads into empty tables only")]
    NotEmpty { target: String },

    #[error(
        "`--timezone {0}` is not a time zone (use an IANA name such as `Europe/Paris`, or `UTC`)"
    )]
    TimeZone(String),

    /// A value that does not fit its target column.
    #[error("table `{table}`, {row}, column `{column}`: {value} {reason}")]
    Value {
        table: String,
        row: String,
        column: String,
        value: String,
        reason: String,
    },

    #[error("{context}: {message}")]
    Sql { context: String, message: String },

    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),

    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),
}

impl ImportError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ImportError::Source { .. } => {
                "is it a SQLite database, whole and readable? `sqlite3 FILE 'PRAGMA integrity_check'` tells; nothing was imported".into()
            }
            ImportError::UnknownTable { known, .. } => {
                format!("the file's tables: {}", known.join(", "))
            }
            ImportError::MissingTable { .. } => {
                "create it with a migration first, pass `--create-tables` to create it from the SQLite schema, or leave it out with `--tables`".into()
            }
            ImportError::TableExists { .. } => {
                "drop `--create-tables` to import into the existing table".into()
            }
            ImportError::MissingColumn { .. } => {
                "add the column to the target table (a migration), so no data is left behind".into()
            }
            ImportError::UnsupportedType { .. } => {
                "change the column's type in a migration, or leave the table out with `--tables`".into()
            }
            ImportError::NotEmpty { .. } => {
                "empty it first (`pgfleet clean DB`), or leave it out with `--tables`".into()
            }
            ImportError::Value { .. } => {
                "fix the value in the SQLite file, or change the target column's type; nothing was imported".into()
            }
            ImportError::Fleet(e) => return e.hint(),
            ImportError::Connect(e) => return e.hint(),
            ImportError::Sql { .. } => "the transaction was rolled back; nothing was imported".into(),
            ImportError::TimeZone(_) => return None,
        })
    }
}
