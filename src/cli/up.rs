//! `pgfleet up`: the one-command local set-up.

use std::sync::Arc;

use clap::Args;
use pgfleet::Error;
use pgfleet::provision;
use pgfleet::server::StartOutcome;
use pgfleet::topology::Endpoint;

use super::migrate::RunArgs;
use super::{Global, Output};

/// Start the env's embedded servers, create its databases and migrate them
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet up                 the whole fleet of the default env
  pgfleet up billing         `billing` and what it depends on
  pgfleet up billing --only  `billing` alone
  pgfleet -e single up       the same fleet, one schema per database

Running it again changes nothing and takes well under a second.")]
pub struct UpArgs {
    /// Logical databases to bring up, with what they depend on [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

pub async fn run(global: &Global, out: &Output, args: &UpArgs) -> Result<u8, Error> {
    let fleet = Arc::new(global.open()?);
    let mut servers = Vec::new();
    for (name, endpoint) in &fleet.topology.servers {
        if let Endpoint::Embedded { .. } = endpoint {
            let server = fleet
                .embedded(name)
                .expect("an embedded endpoint has an embedded server");
            let outcome = server.start().await?;
            let (port, state) = match outcome {
                StartOutcome::AlreadyRunning { port } => (port, "running"),
                StartOutcome::Started {
                    port,
                    initialized: true,
                } => (port, "initialized and started"),
                StartOutcome::Started {
                    port,
                    initialized: false,
                } => (port, "started"),
            };
            if !matches!(outcome, StartOutcome::AlreadyRunning { .. }) {
                out.line(format!("server `{name}`: {state} on 127.0.0.1:{port}"));
            }
            servers.push(serde_json::json!({"server": name, "state": state, "port": port}));
        }
    }
    let selected = fleet.select(&args.databases, !args.run.only)?;
    let created = provision::create(&fleet, &selected).await?;
    if !out.json {
        let changed: Vec<_> = created.databases.iter().filter(|c| c.changed()).collect();
        if !changed.is_empty() {
            super::create::render(out, &created);
        }
    }
    let migrated = super::migrate::migrate(&fleet, out, &args.databases, &args.run).await?;
    if out.json {
        out.json(&serde_json::json!({
            "env": fleet.topology.env, "servers": servers, "create": created, "migrate": migrated,
        }));
    } else {
        let untouched = created.databases.iter().all(|c| !c.changed())
            && migrated
                .databases
                .iter()
                .all(|d| d.applied.is_empty() && d.adopted.is_empty() && d.error.is_none());
        if untouched {
            out.line(format!(
                "env `{}`: {} databases up to date",
                fleet.topology.env,
                created.databases.len()
            ));
        } else {
            super::migrate::render(out, &fleet, &migrated);
        }
    }
    Ok(u8::from(migrated.failed()))
}
