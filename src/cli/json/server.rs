//! `pgfleet server start|stop|status|logs --json`: `{"servers": [...]}`, one
//! entry per embedded server (`up` lists the same [`ServerChange`]s).

use std::path::PathBuf;

use serde::Serialize;

/// `{"servers": [...]}`.
#[derive(Serialize)]
pub struct Servers<T> {
    pub servers: Vec<T>,
}

/// What `server start`, `server stop` and `up` did to a server.
#[derive(Debug, Serialize)]
pub struct ServerChange {
    pub server: String,
    /// `started`, `initialized and started`, `already running` (`running` for
    /// `up`), `stopped`, `not running`.
    pub state: &'static str,
    /// The port it listens on; `None` once stopped.
    pub port: Option<u16>,
}

/// `server status`: one server's state.
#[derive(Debug, Serialize)]
pub struct ServerState {
    pub server: String,
    /// `running` or `stopped`.
    pub state: &'static str,
    /// Whether its data folder has been made (`initdb`) yet.
    pub initialized: bool,
    pub pid: Option<u32>,
    /// The port it listens on (running), or last listened on (stopped).
    pub port: Option<u16>,
    /// The PostgreSQL version it runs; `None` when stopped.
    pub postgres_version: Option<String>,
    pub data_dir: PathBuf,
}

/// `server logs`: the end of one server's log.
#[derive(Debug, Serialize)]
pub struct ServerLog {
    pub server: String,
    pub log_file: PathBuf,
    pub tail: String,
}
