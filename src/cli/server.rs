//! `pgfleet server start|stop|status|logs`: the embedded PostgreSQL.

use clap::{Args, Subcommand};
use pgfleet::Error;
use pgfleet::fleet::{OpenOptions, embedded_servers, open_manifest};
use pgfleet::server::{EmbeddedServer, ServerStatus, StartOutcome, StopOutcome};

use super::json::{Document, ServerChange, ServerLog, ServerState, Servers};
use super::{Global, Output};

/// Manage the embedded PostgreSQL servers (`embedded = true`)
#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:
  pgfleet server start          start every embedded server (initdb on first use)
  pgfleet server status --json  {\"servers\": [...]}: pid, port, PostgreSQL version, data folder
  pgfleet server logs -n 100    the last 100 lines of the server log
  pgfleet server stop local     stop only the server called `local`")]
pub enum ServerCommand {
    /// Start embedded servers (all, or the one named); a running one is left as it is
    Start(Which),
    /// Stop embedded servers (all, or the one named)
    Stop(Which),
    /// Show pid, port, version and data folder
    Status(Which),
    /// Print the end of a server's log
    Logs {
        #[command(flatten)]
        which: Which,
        /// How many lines
        #[arg(short = 'n', long, default_value_t = 50)]
        lines: usize,
    },
}

#[derive(Debug, Args)]
pub struct Which {
    /// The server's name in `pgfleet.toml` [default: every embedded server]
    pub name: Option<String>,
}

pub async fn run(global: &Global, out: &Output, command: &ServerCommand) -> Result<u8, Error> {
    let manifest = open_manifest(&OpenOptions {
        workspace: global.workspace.as_deref(),
        env: None,
    })?;
    let which = match command {
        ServerCommand::Start(w) | ServerCommand::Stop(w) | ServerCommand::Status(w) => w,
        ServerCommand::Logs { which, .. } => which,
    };
    let servers = pick(embedded_servers(&manifest), which.name.as_deref())?;
    match command {
        ServerCommand::Start(_) => {
            let mut report = Vec::new();
            for server in &servers {
                let (port, state) = match server.start().await? {
                    StartOutcome::AlreadyRunning { port } => (port, "already running"),
                    StartOutcome::Started {
                        port,
                        initialized: true,
                    } => (port, "initialized and started"),
                    StartOutcome::Started {
                        port,
                        initialized: false,
                    } => (port, "started"),
                };
                out.line(format!(
                    "server `{}`: {state} on 127.0.0.1:{port}",
                    server.name()
                ));
                report.push(ServerChange {
                    server: server.name().to_owned(),
                    state,
                    port: Some(port),
                });
            }
            print(out, report);
        }
        ServerCommand::Stop(_) => {
            let mut report = Vec::new();
            for server in &servers {
                let state = match server.stop().await? {
                    StopOutcome::Stopped => "stopped",
                    StopOutcome::NotRunning => "not running",
                };
                out.line(format!("server `{}`: {state}", server.name()));
                report.push(ServerChange {
                    server: server.name().to_owned(),
                    state,
                    port: None,
                });
            }
            print(out, report);
        }
        ServerCommand::Status(_) => {
            let mut report = Vec::new();
            for server in &servers {
                let status = server.status()?;
                out.line(describe(server, &status));
                report.push(state(server, status));
            }
            print(out, report);
        }
        ServerCommand::Logs { lines, .. } => {
            let mut report = Vec::new();
            for server in &servers {
                let tail = server.log_tail(*lines)?;
                if servers.len() > 1 && !out.json {
                    out.text(format!(
                        "==> server `{}` ({}) <==\n",
                        server.name(),
                        server.log_file().display()
                    ));
                }
                if !out.json {
                    out.text(&tail);
                }
                report.push(ServerLog {
                    server: server.name().to_owned(),
                    log_file: server.log_file(),
                    tail,
                });
            }
            print(out, report);
        }
    }
    Ok(0)
}

/// `{"servers": [...]}` with `--json`.
fn print<T>(out: &Output, servers: Vec<T>)
where
    Servers<T>: Document,
{
    if out.json {
        out.json(&Servers { servers });
    }
}

fn state(server: &EmbeddedServer, status: ServerStatus) -> ServerState {
    let name = server.name().to_owned();
    match status {
        ServerStatus::Running {
            pid,
            port,
            version,
            data_dir,
        } => ServerState {
            server: name,
            state: "running",
            initialized: true,
            pid: Some(pid),
            port: Some(port),
            postgres_version: Some(version),
            data_dir,
        },
        ServerStatus::Stopped { initialized, port } => ServerState {
            server: name,
            state: "stopped",
            initialized,
            pid: None,
            port,
            postgres_version: None,
            data_dir: server.data_dir(),
        },
    }
}

fn describe(server: &EmbeddedServer, status: &ServerStatus) -> String {
    match status {
        ServerStatus::Running {
            pid,
            port,
            version,
            data_dir,
        } => format!(
            "server `{}`: running, pid {pid}, 127.0.0.1:{port}, PostgreSQL {version}, data {}",
            server.name(),
            data_dir.display()
        ),
        ServerStatus::Stopped {
            initialized: false, ..
        } => {
            format!(
                "server `{}`: not initialized yet (`pgfleet server start` creates it)",
                server.name()
            )
        }
        ServerStatus::Stopped { port, .. } => format!(
            "server `{}`: stopped{}, data {}",
            server.name(),
            port.map(|p| format!(" (port {p})")).unwrap_or_default(),
            server.data_dir().display()
        ),
    }
}

fn pick(servers: Vec<EmbeddedServer>, name: Option<&str>) -> Result<Vec<EmbeddedServer>, Error> {
    let known: Vec<String> = servers.iter().map(|s| s.name().to_owned()).collect();
    match name {
        None if servers.is_empty() => Err(Error::Usage(
            "the manifest declares no embedded server (a server with `embedded = true`)".into(),
        )),
        None => Ok(servers),
        Some(name) => {
            let found: Vec<EmbeddedServer> =
                servers.into_iter().filter(|s| s.name() == name).collect();
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "no embedded server `{name}`; embedded servers: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            Ok(found)
        }
    }
}
