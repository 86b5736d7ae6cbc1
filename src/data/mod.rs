//! The data in a fleet's databases, as opposed to their schema: seeding
//! them and emptying them again.
//!
//! - [`seed`]: a database's `seeds` files, each in its own transaction, then
//!   its `seed_command`
//! - [`clean`]: empty every table a logical database owns, restart its
//!   sequences, refresh its materialized views, in one transaction

pub mod clean;
pub mod seed;

use crate::migrate::MigrateError;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A seed file that cannot be split, or a statement in it the server
    /// refused: located (`file:line: message`) exactly as a migration's.
    #[error(transparent)]
    Script(Box<MigrateError>),

    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{db}`: seed_command `{command}` {outcome}")]
    SeedCommand {
        db: String,
        command: String,
        outcome: String,
    },

    /// A table outside the truncated set has a foreign key to one inside:
    /// TRUNCATE refuses that without CASCADE, and CASCADE would empty a table
    /// `db` does not own.
    #[error(
        "`{db}`: cannot clean: `{referencing}` references `{referenced}` (foreign key `{constraint}`), and `{referencing}` is not a table `{db}` owns"
    )]
    ForeignReference {
        db: String,
        referencing: String,
        referenced: String,
        constraint: String,
    },

    #[error("`{db}`: {context}: {message}")]
    Sql {
        db: String,
        context: String,
        message: String,
    },

    /// A seed file inserts a row that is already there (SQLSTATE 23505): the database
    /// was seeded before. The message is the statement's, located.
    #[error("{error}")]
    AlreadySeeded {
        db: String,
        error: Box<MigrateError>,
    },

    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),

    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),
}

impl DataError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(|e| DataError::sql(..., e))`
    pub(crate) fn sql(db: &str, context: &str, e: tokio_postgres::Error) -> DataError {
        DataError::Sql {
            db: db.to_owned(),
            context: context.to_owned(),
            message: crate::connect::describe_sql_error(&e),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            DataError::Script(e) => e.hint(),
            DataError::ForeignReference { referencing, .. } => Some(format!(
                "pgfleet never truncates with CASCADE; drop or change the foreign key of `{referencing}`, or empty both by hand"
            )),
            DataError::Fleet(e) => e.hint(),
            DataError::Connect(e) => e.hint(),
            DataError::AlreadySeeded { db, .. } => Some(format!(
                "the rows are there from an earlier seed: `pgfleet clean {db}` empties its tables (or `pgfleet reset {db}` rebuilds it), then seed again"
            )),
            DataError::SeedCommand { .. } | DataError::Sql { .. } | DataError::Read { .. } => None,
        }
    }
}

impl From<MigrateError> for DataError {
    fn from(e: MigrateError) -> DataError {
        match e {
            MigrateError::Fleet(e) => DataError::Fleet(e),
            MigrateError::Connect(e) => DataError::Connect(e),
            other => DataError::Script(Box::new(other)),
        }
    }
}
