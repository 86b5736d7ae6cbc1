//! Errors of the embedded server: each variant carries the path, command or user it is
//! about and, for failed child processes, the tail of their output, so the message alone
//! says what broke and `hint()` says what to do next (STYLE.md "Errors and output").

use std::fmt::Write as _;
use std::path::PathBuf;

/// Everything that can go wrong finding, initialising, starting or stopping an embedded
/// PostgreSQL server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// `initdb`, `pg_ctl` and `postgres` were not found together in one folder.
    #[error("{}", binaries_not_found(searched, from_env.as_ref()))]
    BinariesNotFound {
        /// Every folder that was looked at, in order.
        searched: Vec<PathBuf>,
        /// The folder named by `PGFLEET_PG_BIN`, when that variable was set (it is then
        /// the only folder looked at).
        from_env: Option<PathBuf>,
    },

    /// No `pg_dump` (or other client tool) at least as new as the server.
    #[error("{}", tool_message(tool, *needed_major, too_old))]
    ToolNotFound {
        tool: String,
        needed_major: u32,
        too_old: Vec<(PathBuf, String)>,
    },

    /// `postgres --version` failed or printed something we could not read.
    #[error("could not read the PostgreSQL version from `{} --version`: {output}", binary.display())]
    VersionUnknown { binary: PathBuf, output: String },

    /// `initdb` failed; `output` is the tail of `initdb.log`.
    #[error("initdb failed for `{}`:\n{output}", data_dir.display())]
    InitdbFailed {
        data_dir: PathBuf,
        log_file: PathBuf,
        output: String,
    },

    /// `pg_ctl start` failed or the server did not come up; `log_tail` is the end of the
    /// server log (and of pg_ctl's own output).
    #[error("PostgreSQL server failed to start (log `{}`):\n{log_tail}", log_file.display())]
    StartFailed { log_file: PathBuf, log_tail: String },

    /// `pg_ctl stop` failed and the server is still running.
    #[error("PostgreSQL server in `{}` did not stop:\n{output}", data_dir.display())]
    StopFailed { data_dir: PathBuf, output: String },

    /// The data folder was made by another major version than the binaries found.
    #[error(
        "data folder `{}` belongs to PostgreSQL {data_major}, but the binaries in `{}` are PostgreSQL {bin_major}",
        data_dir.display(),
        bindir.display()
    )]
    VersionMismatch {
        data_dir: PathBuf,
        data_major: String,
        bindir: PathBuf,
        bin_major: u32,
    },

    /// Running as root, the unprivileged server user cannot traverse `folder`.
    #[error("user `{user}` cannot reach `{}`", folder.display())]
    UnreachableFolder { folder: PathBuf, user: String },

    /// The port is taken by something other than this server.
    #[error("port {port} is already in use{}", match remembered_in {
        Some(file) => format!(" (remembered in `{}`)", file.display()),
        None => String::new(),
    })]
    PortInUse {
        port: u16,
        /// The file the port was remembered in, when it was not set in the manifest.
        remembered_in: Option<PathBuf>,
    },

    /// The remembered-port file holds something that is not a port.
    #[error("`{}` does not hold a port number: `{content}`", path.display())]
    InvalidPortFile { path: PathBuf, content: String },

    /// The user to run the server as does not exist.
    #[error("user `{name}` does not exist")]
    UnknownUser { name: String },

    /// The user to run the server as is root, which PostgreSQL refuses.
    #[error("PostgreSQL cannot run as `{name}` (uid 0)")]
    RootServerUser { name: String },

    /// A path `pg_ctl` would paste into a shell command line unsafely.
    #[error("`{}` cannot hold a PostgreSQL server: {reason}", path.display())]
    UnsupportedPath { path: PathBuf, reason: String },

    /// The socket folder exists but belongs to another user.
    #[error("socket folder `{}` belongs to another user", dir.display())]
    ForeignSocketDir { dir: PathBuf },

    /// A child process could not be started at all.
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },

    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn binaries_not_found(searched: &[PathBuf], from_env: Option<&PathBuf>) -> String {
    if let Some(dir) = from_env {
        return format!(
            "PostgreSQL binaries not found in `{}` (from PGFLEET_PG_BIN)",
            dir.display()
        );
    }
    let mut msg =
        String::from("PostgreSQL binaries (`initdb`, `pg_ctl`, `postgres`) not found; searched:");
    for dir in searched {
        let _ = write!(msg, "\n  {}", dir.display());
    }
    msg
}

impl ServerError {
    /// The next step for the user, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::BinariesNotFound {
                from_env: Some(_), ..
            } => Some(
                "set PGFLEET_PG_BIN to the folder holding `initdb`, `pg_ctl` and `postgres` \
                 (e.g. `/usr/lib/postgresql/16/bin`), or unset it to search the usual places"
                    .into(),
            ),
            Self::BinariesNotFound { from_env: None, .. } => Some(
                "install PostgreSQL: `apt-get install postgresql` (Debian/Ubuntu), \
                 `brew install postgresql@16` (macOS) or Postgres.app; \
                 or set PGFLEET_PG_BIN to the folder holding `pg_ctl`"
                    .into(),
            ),
            Self::ToolNotFound { needed_major, .. } => Some(format!(
                "install the PostgreSQL {needed_major} client tools (e.g. `apt-get install postgresql-client-{needed_major}`), \
                 or set PGFLEET_PG_BIN to their folder"
            )),
            Self::VersionUnknown { .. } => {
                Some("set PGFLEET_PG_BIN to a folder with working PostgreSQL binaries".into())
            }
            Self::InitdbFailed { log_file, .. } => Some(format!(
                "see `{}` for initdb's full output",
                log_file.display()
            )),
            Self::StartFailed { .. } => Some("`pgfleet server logs` shows the server log".into()),
            Self::StopFailed { .. } => Some(
                "`pgfleet server logs` shows why; `pgfleet server status` shows its pid".into(),
            ),
            Self::VersionMismatch {
                data_dir,
                data_major,
                ..
            } => Some(format!(
                "set PGFLEET_PG_BIN to PostgreSQL {data_major} binaries, or delete `{}` to create a new, empty cluster",
                data_dir.display()
            )),
            Self::UnreachableFolder { folder, .. } => {
                Some(format!("chmod o+x {}", folder.display()))
            }
            Self::PortInUse {
                remembered_in: Some(file),
                ..
            } => Some(format!(
                "delete `{}` to pick a new free port, or set `port` for this server in the manifest",
                file.display()
            )),
            Self::PortInUse {
                remembered_in: None,
                ..
            } => Some("set another `port` for this server in the manifest".into()),
            Self::InvalidPortFile { path, .. } => Some(format!(
                "delete `{}` to pick a new free port",
                path.display()
            )),
            Self::UnknownUser { name } => Some(format!(
                "create it (`useradd --system {name}`) or set PGFLEET_SERVER_USER to an existing unprivileged user"
            )),
            Self::RootServerUser { .. } => {
                Some("set PGFLEET_SERVER_USER to an unprivileged user such as `postgres`".into())
            }
            Self::UnsupportedPath { .. } => Some(
                "move the workspace to a folder whose path has no `\"`, `$`, `` ` `` or `\\`"
                    .into(),
            ),
            Self::ForeignSocketDir { dir } => Some(format!("remove `{}`", dir.display())),
            Self::Spawn { .. } | Self::Io { .. } => None,
        }
    }
}

/// Shorthand for wrapping an `io::Error` with the path it concerns.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ServerError {
    let path = path.into();
    move |source| ServerError::Io { path, source }
}

fn tool_message(tool: &str, needed_major: u32, too_old: &[(PathBuf, String)]) -> String {
    if too_old.is_empty() {
        return format!("`{tool}` not found (the server is PostgreSQL {needed_major})");
    }
    let seen: Vec<String> = too_old
        .iter()
        .map(|(p, v)| format!("`{}` is {v}", p.display()))
        .collect();
    format!(
        "no `{tool}` of PostgreSQL {needed_major} or newer: {}, older than the server",
        seen.join(", ")
    )
}
