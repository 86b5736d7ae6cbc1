//! `pgfleet::Error`: every area's error in one enum, and the one place that
//! decides exit codes (STYLE §9).

use crate::connect::ConnectError;
use crate::connect::describe_sql_error;
use crate::data::DataError;
use crate::envfile::EnvFileError;
use crate::fleet::FleetError;
use crate::import::ImportError;
use crate::init::InitError;
use crate::manifest::ManifestError;
use crate::migrate::MigrateError;
use crate::migrate::formats::FormatError;
use crate::safety::Refusal;
use crate::server::ServerError;

/// Exit codes pinned by SPEC.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CHECK_FOUND: u8 = 3;
    pub const REFUSED: u8 = 4;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error(transparent)]
    Connect(#[from] ConnectError),

    #[error(transparent)]
    Server(#[from] ServerError),

    #[error(transparent)]
    Refused(#[from] Refusal),

    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),

    #[error(transparent)]
    EnvFile(EnvFileError),

    #[error(transparent)]
    Init(#[from] InitError),

    #[error(transparent)]
    Migrate(Box<MigrateError>),

    #[error(transparent)]
    Data(Box<DataError>),

    #[error(transparent)]
    Import(Box<ImportError>),

    /// A statement the server refused.
    #[error("{context}: {}", describe_sql_error(source))]
    Sql {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },

    /// Finding, loading or reaching the fleet, beyond the manifest, connection
    /// and server errors (which convert to their own variants).
    #[error(transparent)]
    Fleet(FleetError),

    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    /// `drift`: the migrations failed in the shadow database.
    #[error("migrations of `{database}` fail in a shadow database: {message}")]
    Shadow {
        database: String,
        message: String,
        hint: Option<String>,
    },

    /// `man --out DIR`: a file the command writes could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The one place exit codes are decided (SPEC "Exit codes"): 2 for usage and
    /// manifest errors (and what the command line or the files got wrong), 4 for
    /// safety refusals, 1 for everything that failed while running. The 3 of a
    /// check that found something is no error: the command returns it.
    pub fn exit_code(&self) -> u8 {
        let fleet = |e: &FleetError| match e {
            FleetError::Manifest(_)
            | FleetError::UnknownDatabase { .. }
            | FleetError::CurrentDir { .. } => exit::USAGE,
            FleetError::Connect(_) | FleetError::Server(_) | FleetError::NotRunning { .. } => {
                exit::FAILED
            }
        };
        let migrate = |e: &MigrateError| match e {
            // An Atlas folder whose files changed under its `atlas.sum` is an edited
            // file: a refused run, like any other edited migration (SPEC).
            MigrateError::Format {
                source: FormatError::SumMismatch { .. },
                ..
            } => exit::FAILED,
            // Folders that cannot be read as migrations: fix the manifest or the files.
            MigrateError::Format { .. } | MigrateError::DuplicateAcrossFolders { .. } => {
                exit::USAGE
            }
            MigrateError::Fleet(e) => fleet(e),
            _ => exit::FAILED,
        };
        match self {
            Error::Manifest(_) | Error::Usage(_) => exit::USAGE,
            Error::Fleet(e) => fleet(e),
            Error::Refused(_) => exit::REFUSED,
            Error::Init(e) => match e {
                InitError::Exists { .. } => exit::REFUSED,
                InitError::NotAFolder { .. } => exit::USAGE,
                InitError::Write { .. } | InitError::SelfCheck { .. } => exit::FAILED,
            },
            Error::EnvFile(e) => match e {
                EnvFileError::Read { .. } | EnvFileError::Write { .. } => exit::FAILED,
                EnvFileError::MissingFolder { .. }
                | EnvFileError::UnknownService { .. }
                | EnvFileError::NoServices => exit::USAGE,
                EnvFileError::Fleet(e) => fleet(e),
            },
            Error::Migrate(e) => migrate(e),
            Error::Data(e) => match &**e {
                DataError::Script(e) => migrate(e),
                DataError::Fleet(e) => fleet(e),
                _ => exit::FAILED,
            },
            Error::Import(e) => match &**e {
                ImportError::UnknownTable { .. } | ImportError::TimeZone(_) => exit::USAGE,
                ImportError::Fleet(e) => fleet(e),
                _ => exit::FAILED,
            },
            Error::Connect(_)
            | Error::Server(_)
            | Error::Backup(_)
            | Error::Sql { .. }
            | Error::Spawn { .. }
            | Error::Shadow { .. }
            | Error::Write { .. } => exit::FAILED,
        }
    }

    /// The next thing to do, printed as `hint:` under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Manifest(e) => e.hint(),
            Error::Connect(e) => e.hint(),
            Error::Server(e) => e.hint(),
            Error::Refused(e) => Some(e.hint()),
            Error::Backup(e) => e.hint(),
            Error::Init(e) => e.hint(),
            Error::Migrate(e) => e.hint(),
            Error::EnvFile(e) => e.hint(),
            Error::Data(e) => e.hint(),
            Error::Import(e) => e.hint(),
            Error::Sql { source, .. } => source
                .as_db_error()
                .and_then(|d| d.hint())
                .map(str::to_owned),
            Error::Fleet(e) => e.hint(),
            Error::Shadow { hint, .. } => hint.clone(),
            Error::Spawn { .. } | Error::Write { .. } | Error::Usage(_) => None,
        }
    }

    pub(crate) fn sql(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Sql { context, source }
    }
}

/// What an area carries of the fleet's, connections' and queries' errors becomes
/// the top-level variant, as if the area had not been in between.
impl From<MigrateError> for Error {
    fn from(e: MigrateError) -> Error {
        match e {
            MigrateError::Fleet(e) => e.into(),
            MigrateError::Connect(e) => Error::Connect(e),
            MigrateError::Query(e) => e.into(),
            other => Error::Migrate(Box::new(other)),
        }
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Error {
        match e {
            DataError::Fleet(e) => e.into(),
            DataError::Connect(e) => Error::Connect(e),
            DataError::Script(e) if matches!(*e, MigrateError::Query(_)) => (*e).into(),
            other => Error::Data(Box::new(other)),
        }
    }
}

impl From<EnvFileError> for Error {
    fn from(e: EnvFileError) -> Error {
        match e {
            EnvFileError::Fleet(e) => e.into(),
            other => Error::EnvFile(other),
        }
    }
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Error {
        match e {
            ImportError::Fleet(e) => e.into(),
            ImportError::Connect(e) => Error::Connect(e),
            other => Error::Import(Box::new(other)),
        }
    }
}

impl From<crate::connect::SqlError> for Error {
    fn from(e: crate::connect::SqlError) -> Error {
        Error::Sql {
            context: e.context,
            source: e.source,
        }
    }
}

/// The manifest, connection and server errors keep their own variants.
impl From<FleetError> for Error {
    fn from(e: FleetError) -> Error {
        match e {
            FleetError::Manifest(e) => Error::Manifest(e),
            FleetError::Connect(e) => Error::Connect(e),
            FleetError::Server(e) => Error::Server(e),
            other => Error::Fleet(other),
        }
    }
}
