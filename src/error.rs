//! `pgfleet::Error`: every area's error in one enum, and the one place that
//! decides exit codes (STYLE §9).

use crate::connect::ConnectError;
use crate::connect::describe_sql_error;
use crate::manifest::ManifestError;
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
    EnvFile(#[from] crate::envfile::EnvFileError),

    #[error(transparent)]
    Init(#[from] crate::init::InitError),

    #[error(transparent)]
    Migrate(Box<crate::migrate::MigrateError>),

    #[error(transparent)]
    Data(Box<crate::data::DataError>),

    #[error(transparent)]
    Import(Box<crate::import::ImportError>),

    /// A statement the server refused.
    #[error("{context}: {}", describe_sql_error(source))]
    Sql {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("unknown database `{name}` on the command line")]
    UnknownDatabase {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },

    #[error("embedded server `{server}` is not running")]
    NotRunning { server: String },

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
    /// 2 for usage and manifest errors, 4 for safety refusals, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Manifest(_) | Error::UnknownDatabase { .. } | Error::Usage(_) => exit::USAGE,
            Error::Refused(_) => exit::REFUSED,
            Error::Init(e) => e.exit_code(),
            Error::Migrate(e) => e.exit_code(),
            Error::EnvFile(e) => e.exit_code(),
            Error::Data(e) => e.exit_code(),
            Error::Import(e) => e.exit_code(),
            _ => exit::FAILED,
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
            Error::UnknownDatabase {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            Error::UnknownDatabase { known, .. } => {
                Some(format!("the manifest declares: {}", known.join(", ")))
            }
            Error::NotRunning { .. } => {
                Some("start it with `pgfleet server start` (or `pgfleet up`)".into())
            }
            Error::Shadow { hint, .. } => hint.clone(),
            Error::Spawn { .. } | Error::Write { .. } | Error::Usage(_) => None,
        }
    }

    pub(crate) fn sql(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Sql { context, source }
    }
}

impl From<crate::migrate::MigrateError> for Error {
    fn from(e: crate::migrate::MigrateError) -> Error {
        match e {
            crate::migrate::MigrateError::Other(inner) => *inner,
            other => Error::Migrate(Box::new(other)),
        }
    }
}

impl From<crate::data::DataError> for Error {
    fn from(e: crate::data::DataError) -> Error {
        match e {
            crate::data::DataError::Other(inner) => *inner,
            other => Error::Data(Box::new(other)),
        }
    }
}

impl From<crate::import::ImportError> for Error {
    fn from(e: crate::import::ImportError) -> Error {
        match e {
            crate::import::ImportError::Other(inner) => *inner,
            other => Error::Import(Box::new(other)),
        }
    }
}
