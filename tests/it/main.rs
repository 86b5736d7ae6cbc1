//! pgfleet's integration tests: one binary, real PostgreSQL.
//!
//! Tests drive the built `pgfleet` binary through [`support::Pgfleet`] and
//! check what a user would see: exit codes, messages, rows and schemas. They
//! share one embedded cluster (started by pgfleet's own server code, see
//! [`support::cluster`]) and each makes its own databases.

mod support;

mod cli;
mod connect;
mod create_drop;
mod exec_env;
mod graph;
mod manifest_errors;
mod server;
mod up;
