//! pgfleet's integration tests: one binary, real PostgreSQL.
//!
//! Tests drive the built `pgfleet` binary through [`support::Pgfleet`] and
//! check what a user would see: exit codes, messages, rows and schemas. They
//! share one embedded cluster (started by pgfleet's own server code, see
//! [`support::cluster`]) and each makes its own databases.

// Tests build manifests by appending formatted text; clarity beats an
// allocation here.
#![allow(clippy::format_push_string)]

mod support;

mod backup;
mod cli;
mod connect;
mod corpus;
mod crashes;
mod create_drop;
mod data;
mod docs;
mod drift;
mod env_write;
mod exec_env;
mod formats_diesel;
mod formats_drizzle;
mod formats_graphile;
mod formats_hasura;
mod formats_peer;
mod formats_pop;
mod formats_prisma;
mod formats_sqitch;
mod formats_supabase;
mod getting_started;
mod graph;
mod import;
mod init;
mod json;
mod manifest_errors;
mod migrate;
mod migrate_checks;
mod migrate_fleet;
mod peer_sync;
mod peer_tools;
mod real_folders;
mod schema;
mod secrets;
mod server;
mod server_faults;
mod up;
mod verify;
