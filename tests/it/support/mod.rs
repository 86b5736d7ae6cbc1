//! Test support: the shared cluster, throwaway workspaces, per-test
//! databases, and a builder around the `pgfleet` binary.

#![allow(dead_code)]

mod cluster;
mod command;
mod knobs;
mod pgbouncer;
pub mod schemas;
mod tls;
pub mod tools;
mod workspace;

pub use cluster::{TestDbs, cluster, query, query_one};
pub use command::{Pgfleet, SCRUBBED};
pub use knobs::{Figures, Rng, trials};
pub use pgbouncer::PgBouncer;
pub use tls::make_test_certs;
pub use workspace::{Workspace, copy_dir, fixture};
