//! pgfleet runs the PostgreSQL side of a multi-service repository from one
//! manifest, `pgfleet.toml`: which logical databases exist, where each lives
//! in each env, and how they are created, migrated and checked.
//!
//! The library does the work and returns values; the `pgfleet` binary parses
//! arguments, calls in here and renders what comes back.
//!
//! - [`manifest`]: finding, reading and checking `pgfleet.toml`
//! - [`topology`]: (manifest, env) -> placements and dependency order
//! - [`fleet`]: a loaded workspace in one env and how to reach its servers
//! - [`connect`]: libpq-compatible connection strings, TLS, redaction
//! - [`server`]: the embedded PostgreSQL pgfleet runs itself
//! - [`provision`]: `create` and `drop`
//! - [`backup`]: `backup` and `restore` with checksummed manifests
//! - [`migrate`]: migration formats, history, planning, applying, fleet runs
//! - [`data`]: `seed` and `clean`
//! - [`import`]: `import sqlite`, a SQLite file copied in and verified
//! - [`wiring`]: the environment `exec` and `env` hand to services
//! - [`envfile`]: `env --write`, keeping the services' `.env` files up to date
//! - [`init`]: `init`, a first manifest from what a repository already holds
//! - [`graph`]: text, DOT and Mermaid pictures of a fleet
//! - [`drift`]: the live schema against what the migrations build in a shadow database
//! - [`schema`]: the catalog of what a database owns, as a model and as `schema dump` text
//! - [`verify`]: `verify`, checking each database against the manifest
//! - [`safety`]: protected envs
//! - [`error`]: the crate's error and its exit codes

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod backup;
pub mod connect;
pub mod data;
pub mod drift;
pub mod envfile;
pub mod error;
pub mod fleet;
#[cfg(test)]
mod fuzz_corpus;
pub mod graph;
pub mod import;
pub mod init;
pub mod manifest;
pub mod migrate;
pub mod provision;
pub mod safety;
pub mod schema;
pub mod server;
pub mod topology;
pub mod verify;
pub mod wiring;

pub use error::{Error, Result};
