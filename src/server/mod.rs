//! The embedded PostgreSQL that pgfleet runs itself (SPEC "Embedded server").
//!
//! - [`binaries`] finds `initdb`, `pg_ctl` and `postgres` together in one folder;
//! - [`cluster`] initialises, starts, stops and reports one cluster under
//!   `<workspace>/.pgfleet/<name>/`;
//! - [`user`] decides who the server runs as (never root) and checks that user can reach
//!   the cluster's folder;
//! - [`error`] is the module's error type, with hints;
//! - [`gitignore`] keeps the workspace's `.pgfleet/` out of git.
//!
//! The library prints nothing; diagnostics go to `tracing::debug!`.

pub mod binaries;
pub mod cluster;
pub mod error;
mod files;
pub mod gitignore;
pub mod user;

pub use binaries::{Binaries, Tool, find_binaries, find_binaries_with, find_tool};
pub use cluster::{EmbeddedServer, ServerStatus, StartOutcome, StopOutcome};
pub use error::ServerError;
pub use user::ServerUser;
