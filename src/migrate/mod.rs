//! Migrations: reading every format's files, the history table, pure
//! planning, applying with exactly-once locking, and fleet runs in
//! dependency order.
//!
//! - [`formats`]: detection and one reader per format
//! - [`script`]: a psql-compatible statement splitter
//! - [`history`]: the `pgfleet.history` table
//! - [`adopt`]: reading Prisma's, dbmate's, sqlx's, golang-migrate's and Flyway's own tables
//! - [`peer`]: keeping peer tools' own history tables in step (`peer_history = "sync"`)
//! - [`plan`]: files + history -> states and steps (pure)
//! - [`apply`]: running a plan on one database
//! - [`run`]: whole-fleet `migrate`, `status`, `rollback`, `baseline`, `repair`
//! - [`peer`]: keeping peer tools' history tables in step (their checksums)

pub mod adopt;
pub mod apply;
pub mod formats;
pub mod history;
pub mod ops;
pub mod partway;
pub mod peer;
pub mod plan;
pub mod platform;
pub mod run;
pub mod script;

use std::path::PathBuf;
use std::time::Duration;

use formats::{Folder, FormatError};
use plan::PlanError;
use script::ScriptError;

use crate::manifest::{Database, Manifest};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("`{db}`: {source}")]
    Format {
        db: String,
        #[source]
        source: FormatError,
    },

    #[error("`{db}`: version `{version}` is in two folders: `{}` and `{}`", first.display(), second.display())]
    DuplicateAcrossFolders {
        db: String,
        version: String,
        first: PathBuf,
        second: PathBuf,
    },

    #[error("{}", script_message(path, *line_offset, source))]
    Script {
        path: PathBuf,
        line_offset: usize,
        source: ScriptError,
    },

    #[error("`{db}`: {}:{line}: {message}{}", path.display(), detail.as_deref().map(|d| format!("\n  detail: {d}")).unwrap_or_default())]
    Statement {
        db: String,
        path: PathBuf,
        line: usize,
        message: String,
        detail: Option<String>,
        hint: Option<String>,
        code: String,
    },

    #[error("`{db}`: another migration run held the lock for {}s: {holder}", after.as_secs())]
    LockTimeout {
        db: String,
        after: Duration,
        holder: String,
    },

    #[error(
        "{source}\n  the migration ran outside a transaction and stopped part-way: it is recorded as failed and blocks `{db}`{}",
        partway::render(path, applied)
    )]
    FailedPartWay {
        db: String,
        source: Box<MigrateError>,
        /// The migration file.
        path: PathBuf,
        /// Its statements that ran (and committed) before the one that failed.
        applied: Vec<partway::RanStatement>,
    },

    #[error("`{db}`: the verify script of `{version}` ({name}) failed: {source}\n  {outcome}")]
    VerifyFailed {
        db: String,
        version: String,
        name: String,
        source: Box<MigrateError>,
        /// What became of the migration: rolled back, reverted, or recorded as failed.
        outcome: String,
    },

    #[error(transparent)]
    Plan(#[from] PlanError),

    #[error("`{db}`: {context}: {message}")]
    Sql {
        db: String,
        context: String,
        message: String,
        /// The server went away (stopped, restarted, connection lost).
        lost: bool,
    },

    #[error("`{db}`: runner `{command}` {outcome}")]
    Runner {
        db: String,
        command: String,
        outcome: String,
    },

    #[error(
        "`{db}`: migration `{version}` ({name}) has no down script, so it cannot be rolled back"
    )]
    NoDown {
        db: String,
        version: String,
        name: String,
    },

    /// A statement the format's own tool cannot run where the file has it (the Supabase
    /// CLI's batch runs `CREATE INDEX CONCURRENTLY` only as a file's first statement):
    /// refused before anything runs, so the folder keeps working with its tool.
    #[error("`{db}`: {}:{line}: {message}", path.display())]
    ToolWouldRefuse {
        db: String,
        path: PathBuf,
        line: usize,
        message: String,
        hint: String,
    },

    /// Pending migrations use what a Supabase database has and this one lacks (schemas
    /// `auth`, `storage`, `extensions`; roles `anon`, `authenticated`, `service_role`): found before
    /// anything runs, so nothing is applied.
    #[error(
        "`{db}`: `{}` needs {}, which this database does not have{}; nothing was applied",
        path.display(),
        platform::describe(missing),
        if *others > 0 { format!(" (and {others} more pending file(s) need them too)") } else { String::new() }
    )]
    NeedsPlatform {
        db: String,
        path: PathBuf,
        missing: Vec<platform::Missing>,
        /// Other pending files that need something missing.
        others: usize,
    },

    #[error("`{db}`: {message}")]
    Usage { db: String, message: String },

    /// The database's server did not answer (refused, no such host, timed
    /// out). The same text for every database of that server, so a fleet
    /// run can say it once.
    #[error("`{db}`: server `{server}` at `{address}` is unreachable: {reason}")]
    Unreachable {
        db: String,
        server: String,
        address: String,
        reason: String,
    },

    /// A peer tool's history table pgfleet cannot read or write as the tool does.
    #[error("`{db}`: peer history table `{table}` {problem}")]
    PeerTable {
        db: String,
        /// `schema.table`.
        table: String,
        problem: String,
    },

    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),

    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),

    /// A query of pgfleet's or a peer's history table that the server refused.
    #[error(transparent)]
    Query(#[from] crate::connect::SqlError),
}

fn script_message(path: &std::path::Path, line_offset: usize, source: &ScriptError) -> String {
    source.at(path.display(), line_offset)
}

/// What to do after the server went away part-way through a run.
const SERVER_LOST_HINT: &str = "check that the server is up, then migrate again: every migration that committed is recorded, and one cut off outside a transaction shows as failed";

impl MigrateError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(|e| MigrateError::sql(..., e))`
    pub(crate) fn sql(db: &str, context: &str, e: tokio_postgres::Error) -> MigrateError {
        MigrateError::Sql {
            db: db.to_owned(),
            context: context.to_owned(),
            message: crate::connect::describe_sql_error(&e),
            lost: crate::connect::is_connection_lost(&e),
        }
    }

    /// A connection failure of `placement`'s database: [`MigrateError::Unreachable`]
    /// when its server did not answer.
    pub(crate) fn connect(
        e: crate::connect::ConnectError,
        placement: &crate::topology::Placement,
        info: &crate::connect::ConnInfo,
    ) -> MigrateError {
        match e.unreachable_reason() {
            Some(reason) => MigrateError::Unreachable {
                db: placement.database.clone(),
                server: placement.server.clone(),
                address: info.address(),
                reason,
            },
            None => e.into(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            // Format errors say what to do in their message.
            MigrateError::DuplicateAcrossFolders { .. } => {
                Some("give one of them another version: versions are unique across a database's folders".into())
            }
            MigrateError::Script { source: ScriptError::MetaCommand { .. }, .. } => {
                Some("write it as SQL; psql meta-commands only work in psql".into())
            }
            MigrateError::Script { source: ScriptError::NulByte { .. }, .. } => {
                Some("remove it (a file saved as UTF-16 looks like this: save it as UTF-8)".into())
            }
            MigrateError::Script { source: ScriptError::TransactionControl { .. }, .. } => {
                Some("each migration already runs in one transaction: remove it, split the file in two, or mark the file to run outside a transaction".into())
            }
            MigrateError::Sql { lost: true, .. } => Some(SERVER_LOST_HINT.into()),
            MigrateError::Statement { code, .. } if code.starts_with("57P") => {
                Some(SERVER_LOST_HINT.into())
            }
            MigrateError::Statement { hint, .. } => hint.clone(),
            MigrateError::LockTimeout { .. } => {
                Some("wait for it to finish, or raise `--lock-timeout`".into())
            }
            MigrateError::FailedPartWay { db, applied, .. } => Some(format!(
                "undo what {} did if needed, then `pgfleet repair {db}` and migrate again",
                if applied.is_empty() { "it" } else { "those statements" }
            )),
            MigrateError::Plan(e) => Some(e.hint()),
            MigrateError::VerifyFailed { .. } => Some(
                "fix the deploy script or the verify script, then migrate again (`--verify` runs it)".into(),
            ),
            MigrateError::Unreachable { reason, .. } if reason.starts_with("no answer") => Some(
                "check that the server is running and reachable at that address, or raise connect_timeout"
                    .into(),
            ),
            MigrateError::Unreachable { .. } => Some(
                "start the server, or correct its `url` in the manifest, then run it again".into(),
            ),
            MigrateError::ToolWouldRefuse { hint, .. } => Some(hint.clone()),
            MigrateError::NeedsPlatform { missing, .. } => Some(platform::hint(missing)),
            MigrateError::NoDown { .. } => {
                Some("write the down script in the file and roll back by hand, or roll back fewer migrations".into())
            }
            MigrateError::PeerTable { db, .. } => Some(format!(
                "set `peer_history = \"read\"` on `[databases.{db}]` (or its folder) in pgfleet.toml: pgfleet then only reads that table and never writes it"
            )),
            MigrateError::Fleet(e) => e.hint(),
            MigrateError::Connect(e) => e.hint(),
            MigrateError::Query(e) => e.hint(),
            _ => None,
        }
    }
}

/// The format the manifest sets for one of `db`'s folders (the folder's own
/// `format`, else the database's); `None`: detected from the files.
pub(crate) fn declared_format(
    db: &Database,
    source: &crate::manifest::MigrationSource,
) -> Option<formats::Format> {
    source.format.or(db.format)
}

/// Schemas that a drizzle or Sqitch database's own migrations create with a
/// plain `CREATE SCHEMA` (drizzle-kit writes one for each `pgSchema`, Sqitch
/// projects often start with an `appschema` change). `create` leaves those to
/// the migration, which would fail on a schema that already exists. Folders
/// that cannot be read give none: `migrate` reports them.
pub fn schemas_created_by_migrations(db: &Database) -> Vec<String> {
    let mut schemas = Vec::new();
    for source in &db.migrations {
        let format = declared_format(db, source);
        let Ok(folder) = formats::load(&source.path, format) else {
            continue;
        };
        if !matches!(
            folder.format,
            formats::Format::Drizzle | formats::Format::Sqitch
        ) {
            continue;
        }
        for migration in &folder.migrations {
            let Ok(pieces) = script::split(&migration.up) else {
                continue;
            };
            schemas.extend(pieces.iter().filter_map(|p| script::created_schema(&p.sql)));
        }
    }
    schemas
}

/// The seed files the tools of `db`'s folders run, in order (a Supabase project's
/// `[db.seed] sql_paths`, default `supabase/seed.sql`): `seed` runs them before the
/// files of the database's own `seeds` folder.
pub fn format_seeds(db: &Database) -> Result<Vec<PathBuf>, MigrateError> {
    let mut files = Vec::new();
    for source in &db.migrations {
        let located = |source| MigrateError::Format {
            db: db.name.clone(),
            source,
        };
        let format = match declared_format(db, source) {
            Some(format) => format,
            None => formats::detect(&source.path).map_err(located)?,
        };
        files.extend(formats::format_seeds(&source.path, format).map_err(located)?);
    }
    Ok(files)
}

/// `(schema, table)` of the peer history tables `db`'s folders name (drizzle's
/// config, Sqitch's registry, pop's `database.yml`, the manifest's `history_table`):
/// `clean` keeps them even inside an owned schema. A `None` schema: in whichever owned
/// schema the tool's connection finds it (pop's). Folders that cannot be read give none.
pub fn peer_tables(db: &Database) -> Vec<(Option<String>, String)> {
    let mut tables: Vec<(Option<String>, String)> = db
        .history_table
        .iter()
        .map(|(schema, table)| (Some(schema.clone()), table.clone()))
        .collect();
    for source in &db.migrations {
        let format = declared_format(db, source);
        if let Ok(folder) = formats::load(&source.path, format) {
            tables.extend(folder.peer.map(|p| (Some(p.schema), p.table)));
            tables.extend(folder.history_table.map(|t| (None, t)));
        }
    }
    tables
}

/// Reads and checks every migrations folder of the `selected` databases, as the first
/// thing `up` and `create` do: a folder that cannot be read stops the command before
/// anything connects, so no database is created for migrations that cannot run.
pub fn check_folders(
    manifest: &Manifest,
    selected: &[&crate::topology::Placement],
) -> Result<(), MigrateError> {
    for placement in selected {
        if let Some(db) = manifest.databases.get(&placement.database) {
            load_folders(manifest, db)?;
        }
    }
    Ok(())
}

/// Reads every migrations folder of `db`, in the manifest's order, and
/// checks that versions are unique across them.
pub fn load_folders(manifest: &Manifest, db: &Database) -> Result<Vec<Folder>, MigrateError> {
    let mut folders = Vec::with_capacity(db.migrations.len());
    for source in &db.migrations {
        let format = declared_format(db, source);
        let peer = db
            .history_table
            .as_ref()
            .map(|(schema, table)| formats::PeerTable {
                schema: schema.clone(),
                table: table.clone(),
                project: None,
            });
        let folder = formats::load_with(&source.path, format, peer.as_ref()).map_err(|source| {
            MigrateError::Format {
                db: db.name.clone(),
                source,
            }
        })?;
        let mut folder = folder;
        folder.peer_history = db.peer_history_of(source);
        folders.push(folder);
    }
    let mut seen: std::collections::BTreeMap<String, PathBuf> = std::collections::BTreeMap::new();
    for folder in &folders {
        for m in &folder.migrations {
            if let Some(first) = seen.insert(m.version.to_string(), m.path.clone()) {
                return Err(MigrateError::DuplicateAcrossFolders {
                    db: db.name.clone(),
                    version: m.version.to_string(),
                    first,
                    second: m.path.clone(),
                });
            }
        }
    }
    let _ = manifest;
    Ok(folders)
}
