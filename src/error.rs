//! `pgfleet::Error`: every area's error in one enum, and the one place that
//! decides exit codes (STYLE §9).

use crate::backup::BackupError;
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
    Backup(BackupError),

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
            // A refused run (edited, missing or out-of-order file) exits 1 (SPEC); an
            // Atlas folder whose files changed under its `atlas.sum` is an edited file.
            MigrateError::Format {
                source: FormatError::SumMismatch { .. },
                ..
            }
            | MigrateError::Plan(_)
            | MigrateError::Script { .. }
            | MigrateError::Statement { .. }
            | MigrateError::LockTimeout { .. }
            | MigrateError::FailedPartWay { .. }
            | MigrateError::VerifyFailed { .. }
            | MigrateError::Sql { .. }
            | MigrateError::Runner { .. }
            | MigrateError::NoDown { .. }
            | MigrateError::ToolWouldRefuse { .. }
            | MigrateError::NeedsPlatform { .. }
            | MigrateError::Usage { .. }
            | MigrateError::Unreachable { .. }
            | MigrateError::PeerTable { .. }
            | MigrateError::Connect(_)
            | MigrateError::Query(_) => exit::FAILED,
            // Folders that cannot be read as migrations: fix the manifest or the files.
            MigrateError::Format { .. } | MigrateError::DuplicateAcrossFolders { .. } => {
                exit::USAGE
            }
            MigrateError::Fleet(e) => fleet(e),
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
                DataError::Read { .. }
                | DataError::SeedCommand { .. }
                | DataError::ForeignReference { .. }
                | DataError::Sql { .. }
                | DataError::AlreadySeeded { .. }
                | DataError::Connect(_) => exit::FAILED,
            },
            Error::Import(e) => match &**e {
                ImportError::UnknownTable { .. } | ImportError::TimeZone(_) => exit::USAGE,
                ImportError::Fleet(e) => fleet(e),
                ImportError::Source { .. }
                | ImportError::MissingTable { .. }
                | ImportError::TableExists { .. }
                | ImportError::MissingColumn { .. }
                | ImportError::UnsupportedType { .. }
                | ImportError::NotEmpty { .. }
                | ImportError::Value { .. }
                | ImportError::Sql { .. }
                | ImportError::Connect(_) => exit::FAILED,
            },
            Error::Backup(e) => match e {
                BackupError::Fleet(e) => fleet(e),
                BackupError::NotEmpty { .. }
                | BackupError::NotABackup { .. }
                | BackupError::Tampered { .. }
                | BackupError::NotInBackup { .. }
                | BackupError::SchemaMismatch { .. }
                | BackupError::TargetNotEmpty { .. }
                | BackupError::NothingToBackUp { .. }
                | BackupError::Tool { .. }
                | BackupError::Io { .. }
                | BackupError::Spawn { .. }
                | BackupError::Connect(_)
                | BackupError::Server(_)
                | BackupError::Query(_) => exit::FAILED,
            },
            Error::Connect(_)
            | Error::Server(_)
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

impl From<crate::provision::ProvisionError> for Error {
    fn from(e: crate::provision::ProvisionError) -> Error {
        use crate::provision::ProvisionError;
        match e {
            ProvisionError::Fleet(e) => e.into(),
            ProvisionError::Connect(e) => Error::Connect(e),
            ProvisionError::Query(e) => e.into(),
        }
    }
}

impl From<BackupError> for Error {
    fn from(e: BackupError) -> Error {
        match e {
            BackupError::Fleet(e) => e.into(),
            BackupError::Connect(e) => Error::Connect(e),
            BackupError::Server(e) => Error::Server(e),
            BackupError::Query(e) => e.into(),
            BackupError::Spawn { program, source } => Error::Spawn { program, source },
            other => Error::Backup(other),
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::connect::SqlError;
    use crate::migrate::plan::PlanError;
    use crate::migrate::script::ScriptError;
    use crate::safety::Destructive;

    fn io() -> std::io::Error {
        std::io::Error::other("disk on fire")
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    fn pg() -> tokio_postgres::Error {
        "sslmode=sometimes"
            .parse::<tokio_postgres::Config>()
            .unwrap_err()
    }

    fn manifest() -> ManifestError {
        ManifestError::NotFound {
            start: PathBuf::from("/w"),
        }
    }

    fn connect() -> ConnectError {
        ConnectError::InvalidUrl {
            input: s("x"),
            reason: s("y"),
        }
    }

    fn fleets() -> Vec<(FleetError, u8)> {
        vec![
            (FleetError::Manifest(manifest()), exit::USAGE),
            (FleetError::Connect(connect()), exit::FAILED),
            (
                FleetError::Server(ServerError::UnknownUser { name: s("pg") }),
                exit::FAILED,
            ),
            (
                FleetError::UnknownDatabase {
                    name: s("ap"),
                    suggestion: Some(s("app")),
                    known: vec![s("app")],
                },
                exit::USAGE,
            ),
            (FleetError::NotRunning { server: s("local") }, exit::FAILED),
            (FleetError::CurrentDir { source: io() }, exit::USAGE),
        ]
    }

    fn migrates() -> Vec<(MigrateError, u8)> {
        let db = || s("app");
        let path = || PathBuf::from("m/1.sql");
        let inner = || {
            Box::new(MigrateError::Usage {
                db: db(),
                message: s("m"),
            })
        };
        let mut cases = vec![
            (
                MigrateError::Format {
                    db: db(),
                    source: FormatError::SumMismatch {
                        sum: PathBuf::from("m/atlas.sum"),
                        problem: s("changed"),
                    },
                },
                exit::FAILED,
            ),
            (
                MigrateError::Format {
                    db: db(),
                    source: FormatError::BadName { name: s("x.sql") },
                },
                exit::USAGE,
            ),
            (
                MigrateError::DuplicateAcrossFolders {
                    db: db(),
                    version: s("1"),
                    first: path(),
                    second: path(),
                },
                exit::USAGE,
            ),
            (
                MigrateError::Script {
                    path: path(),
                    line_offset: 0,
                    source: ScriptError::NulByte { line: 1 },
                },
                exit::FAILED,
            ),
            (
                MigrateError::Statement {
                    db: db(),
                    path: path(),
                    line: 1,
                    message: s("m"),
                    detail: None,
                    hint: None,
                    code: s("42601"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::LockTimeout {
                    db: db(),
                    after: Duration::from_secs(1),
                    holder: s("h"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::FailedPartWay {
                    db: db(),
                    source: inner(),
                    path: path(),
                    applied: Vec::new(),
                },
                exit::FAILED,
            ),
            (
                MigrateError::VerifyFailed {
                    db: db(),
                    version: s("1"),
                    name: s("n"),
                    source: inner(),
                    outcome: s("o"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::Plan(PlanError::Mismatched {
                    db: db(),
                    version: s("1"),
                    path: path(),
                }),
                exit::FAILED,
            ),
            (
                MigrateError::Sql {
                    db: db(),
                    context: s("c"),
                    message: s("m"),
                    lost: true,
                },
                exit::FAILED,
            ),
            (
                MigrateError::Runner {
                    db: db(),
                    command: s("make"),
                    outcome: s("exited with status 2"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::NoDown {
                    db: db(),
                    version: s("1"),
                    name: s("n"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::ToolWouldRefuse {
                    db: db(),
                    path: path(),
                    line: 1,
                    message: s("m"),
                    hint: s("h"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::NeedsPlatform {
                    db: db(),
                    path: path(),
                    missing: Vec::new(),
                    others: 0,
                },
                exit::FAILED,
            ),
            (*inner(), exit::FAILED),
            (
                MigrateError::Unreachable {
                    db: db(),
                    server: s("local"),
                    address: s("127.0.0.1:5432"),
                    reason: s("refused"),
                },
                exit::FAILED,
            ),
            (
                MigrateError::PeerTable {
                    db: db(),
                    table: s("public.t"),
                    problem: s("p"),
                },
                exit::FAILED,
            ),
            (MigrateError::Connect(connect()), exit::FAILED),
            (
                MigrateError::Query(SqlError {
                    context: s("c"),
                    source: pg(),
                }),
                exit::FAILED,
            ),
        ];
        cases.extend(
            fleets()
                .into_iter()
                .map(|(e, code)| (MigrateError::Fleet(e), code)),
        );
        cases
    }

    fn datas() -> Vec<(DataError, u8)> {
        let db = || s("app");
        let mut cases = vec![
            (
                DataError::Read {
                    path: PathBuf::from("seed.sql"),
                    source: io(),
                },
                exit::FAILED,
            ),
            (
                DataError::SeedCommand {
                    db: db(),
                    command: s("make seed"),
                    outcome: s("o"),
                },
                exit::FAILED,
            ),
            (
                DataError::ForeignReference {
                    db: db(),
                    referencing: s("a"),
                    referenced: s("b"),
                    constraint: s("c"),
                },
                exit::FAILED,
            ),
            (
                DataError::Sql {
                    db: db(),
                    context: s("c"),
                    message: s("m"),
                },
                exit::FAILED,
            ),
            (
                DataError::AlreadySeeded {
                    db: db(),
                    error: Box::new(MigrateError::Usage {
                        db: db(),
                        message: s("m"),
                    }),
                },
                exit::FAILED,
            ),
            (DataError::Connect(connect()), exit::FAILED),
        ];
        // A seed file is split and located as a migration is: the same codes.
        cases.extend(
            migrates()
                .into_iter()
                .map(|(e, code)| (DataError::Script(Box::new(e)), code)),
        );
        cases.extend(
            fleets()
                .into_iter()
                .map(|(e, code)| (DataError::Fleet(e), code)),
        );
        cases
    }

    fn imports() -> Vec<(ImportError, u8)> {
        let t = || s("t");
        let mut cases = vec![
            (
                ImportError::Source {
                    file: PathBuf::from("a.db"),
                    message: s("m"),
                },
                exit::FAILED,
            ),
            (
                ImportError::UnknownTable {
                    file: s("a.db"),
                    name: t(),
                    known: Vec::new(),
                },
                exit::USAGE,
            ),
            (
                ImportError::MissingTable {
                    table: t(),
                    database: s("app"),
                    schemas: Vec::new(),
                },
                exit::FAILED,
            ),
            (
                ImportError::TableExists {
                    table: t(),
                    database: s("app"),
                },
                exit::FAILED,
            ),
            (
                ImportError::MissingColumn {
                    table: t(),
                    column: s("c"),
                    target: t(),
                },
                exit::FAILED,
            ),
            (
                ImportError::UnsupportedType {
                    target: t(),
                    column: s("c"),
                    type_name: s("box"),
                },
                exit::FAILED,
            ),
            (ImportError::NotEmpty { target: t() }, exit::FAILED),
            (ImportError::TimeZone(s("Mars/Olympus")), exit::USAGE),
            (
                ImportError::Value {
                    table: t(),
                    row: s("row 1"),
                    column: s("c"),
                    value: s("v"),
                    reason: s("r"),
                },
                exit::FAILED,
            ),
            (
                ImportError::Sql {
                    context: s("c"),
                    message: s("m"),
                },
                exit::FAILED,
            ),
            (ImportError::Connect(connect()), exit::FAILED),
        ];
        cases.extend(
            fleets()
                .into_iter()
                .map(|(e, code)| (ImportError::Fleet(e), code)),
        );
        cases
    }

    fn backups() -> Vec<(BackupError, u8)> {
        let dir = || PathBuf::from("b");
        let db = || s("app");
        let mut cases = vec![
            (BackupError::NotEmpty { dir: dir() }, exit::FAILED),
            (
                BackupError::NotABackup {
                    dir: dir(),
                    reason: s("r"),
                },
                exit::FAILED,
            ),
            (
                BackupError::Tampered {
                    path: dir(),
                    reason: s("r"),
                },
                exit::FAILED,
            ),
            (
                BackupError::NotInBackup {
                    database: db(),
                    known: Vec::new(),
                },
                exit::FAILED,
            ),
            (
                BackupError::SchemaMismatch {
                    database: db(),
                    env: s("dev"),
                    backup: Vec::new(),
                    target: Vec::new(),
                },
                exit::FAILED,
            ),
            (
                BackupError::TargetNotEmpty {
                    database: db(),
                    physical: db(),
                    tables: 1,
                },
                exit::FAILED,
            ),
            (
                BackupError::NothingToBackUp {
                    database: db(),
                    physical: db(),
                    schemas: Vec::new(),
                },
                exit::FAILED,
            ),
            (
                BackupError::Tool {
                    database: db(),
                    command: s("pg_dump"),
                    stderr: s("e"),
                },
                exit::FAILED,
            ),
            (
                BackupError::Io {
                    path: dir(),
                    source: io(),
                },
                exit::FAILED,
            ),
            (
                BackupError::Spawn {
                    program: s("pg_dump"),
                    source: io(),
                },
                exit::FAILED,
            ),
            (BackupError::Connect(connect()), exit::FAILED),
            (
                BackupError::Server(ServerError::UnknownUser { name: s("pg") }),
                exit::FAILED,
            ),
            (
                BackupError::Query(SqlError {
                    context: s("c"),
                    source: pg(),
                }),
                exit::FAILED,
            ),
        ];
        cases.extend(
            fleets()
                .into_iter()
                .map(|(e, code)| (BackupError::Fleet(e), code)),
        );
        cases
    }

    fn envfiles() -> Vec<(EnvFileError, u8)> {
        let mut cases = vec![
            (
                EnvFileError::MissingFolder {
                    service: s("api"),
                    folder: PathBuf::from("api"),
                },
                exit::USAGE,
            ),
            (
                EnvFileError::Read {
                    path: PathBuf::from(".env"),
                    source: io(),
                },
                exit::FAILED,
            ),
            (
                EnvFileError::Write {
                    path: PathBuf::from(".env"),
                    source: io(),
                },
                exit::FAILED,
            ),
            (
                EnvFileError::UnknownService {
                    name: s("ap"),
                    suggestion: None,
                    known: vec![s("api")],
                },
                exit::USAGE,
            ),
            (EnvFileError::NoServices, exit::USAGE),
        ];
        cases.extend(
            fleets()
                .into_iter()
                .map(|(e, code)| (EnvFileError::Fleet(e), code)),
        );
        cases
    }

    /// Every variant that decides a code, top-level and in each area, built as
    /// the area holds it (`Error::Migrate(..)`) and as `?` converts it
    /// (`Error::from(..)`, which lifts what an area carries of the fleet's,
    /// connections' and queries' errors to the top level): both must give the
    /// documented code (SPEC "Exit codes").
    #[test]
    fn every_error_maps_to_its_exit_code() {
        let mut cases: Vec<(String, Error, u8)> = Vec::new();
        let mut push = |e: Error, code: u8| cases.push((format!("{e:?}"), e, code));
        push(Error::Manifest(manifest()), exit::USAGE);
        push(Error::Connect(connect()), exit::FAILED);
        push(
            Error::Server(ServerError::UnknownUser { name: s("pg") }),
            exit::FAILED,
        );
        push(
            Error::Refused(Refusal::Declined {
                operation: Destructive::Drop,
            }),
            exit::REFUSED,
        );
        push(
            Error::Init(InitError::Exists {
                path: PathBuf::from("pgfleet.toml"),
            }),
            exit::REFUSED,
        );
        push(
            Error::Init(InitError::NotAFolder {
                path: PathBuf::from("x"),
            }),
            exit::USAGE,
        );
        push(
            Error::Init(InitError::Write {
                path: PathBuf::from("pgfleet.toml"),
                source: io(),
            }),
            exit::FAILED,
        );
        push(
            Error::Init(InitError::SelfCheck { message: s("m") }),
            exit::FAILED,
        );
        push(
            Error::Sql {
                context: s("c"),
                source: pg(),
            },
            exit::FAILED,
        );
        push(
            Error::Spawn {
                program: s("pg_dump"),
                source: io(),
            },
            exit::FAILED,
        );
        push(
            Error::Shadow {
                database: s("app"),
                message: s("m"),
                hint: None,
            },
            exit::FAILED,
        );
        push(
            Error::Write {
                path: PathBuf::from("man"),
                source: io(),
            },
            exit::FAILED,
        );
        push(Error::Usage(s("u")), exit::USAGE);
        for (e, code) in fleets() {
            push(Error::Fleet(e), code);
        }
        for (e, code) in fleets() {
            push(Error::from(e), code);
        }
        for (e, code) in backups() {
            push(Error::Backup(e), code);
        }
        for (e, code) in backups() {
            push(Error::from(e), code);
        }
        for (e, code) in envfiles() {
            push(Error::EnvFile(e), code);
        }
        for (e, code) in envfiles() {
            push(Error::from(e), code);
        }
        for (e, code) in migrates() {
            push(Error::Migrate(Box::new(e)), code);
        }
        for (e, code) in migrates() {
            push(Error::from(e), code);
        }
        for (e, code) in datas() {
            push(Error::Data(Box::new(e)), code);
        }
        for (e, code) in datas() {
            push(Error::from(e), code);
        }
        for (e, code) in imports() {
            push(Error::Import(Box::new(e)), code);
        }
        for (e, code) in imports() {
            push(Error::from(e), code);
        }
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(_, e, code)| e.exit_code() != *code)
            .map(|(what, e, code)| format!("{what}: {} (want {code})", e.exit_code()))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Each documented error code is reached.
        for code in [exit::FAILED, exit::USAGE, exit::REFUSED] {
            assert!(cases.iter().any(|(_, _, c)| *c == code), "{code}");
        }
    }

    /// `?` from an area keeps what the area carried of another's error as the
    /// top-level variant, so the message and hint are that error's own.
    #[test]
    fn area_errors_lift_fleet_connect_and_query_errors() {
        let lifted = Error::from(MigrateError::Fleet(FleetError::Manifest(manifest())));
        assert!(matches!(lifted, Error::Manifest(_)), "{lifted:?}");
        let lifted = Error::from(DataError::Connect(connect()));
        assert!(matches!(lifted, Error::Connect(_)), "{lifted:?}");
        let query = MigrateError::Query(SqlError {
            context: s("cannot read the history of `app`"),
            source: pg(),
        });
        let lifted = Error::from(DataError::Script(Box::new(query)));
        assert!(matches!(lifted, Error::Sql { .. }), "{lifted:?}");
        assert!(
            lifted
                .to_string()
                .starts_with("cannot read the history of `app`: "),
            "{lifted}"
        );
        let lifted = Error::from(BackupError::Spawn {
            program: s("pg_dump"),
            source: io(),
        });
        assert!(matches!(lifted, Error::Spawn { .. }), "{lifted:?}");
        assert_eq!(lifted.to_string(), "cannot run `pg_dump`: disk on fire");
        let lifted = Error::from(crate::provision::ProvisionError::Fleet(
            FleetError::UnknownDatabase {
                name: s("ap"),
                suggestion: Some(s("app")),
                known: vec![s("app")],
            },
        ));
        assert_eq!(lifted.exit_code(), exit::USAGE);
        assert_eq!(lifted.hint().as_deref(), Some("did you mean `app`?"));
        let lifted = Error::from(ImportError::Fleet(FleetError::NotRunning {
            server: s("local"),
        }));
        assert_eq!(lifted.to_string(), "embedded server `local` is not running");
        assert_eq!(
            lifted.hint().as_deref(),
            Some("start it with `pgfleet server start` (or `pgfleet up`)")
        );
    }
}
