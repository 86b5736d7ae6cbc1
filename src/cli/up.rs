//! `pgfleet up`: the one-command local set-up.

use clap::Args;
use pgfleet::Error;
use pgfleet::provision;
use pgfleet::server::StartOutcome;
use pgfleet::topology::Endpoint;

use super::{Global, Output};

/// Start the env's embedded servers and create its databases
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet up                 the whole fleet of the default env
  pgfleet up billing         `billing` and what it depends on
  pgfleet up billing --only  `billing` alone

Running it again changes nothing and takes well under a second.")]
pub struct UpArgs {
    /// Logical databases to bring up, with what they depend on [default: all]
    pub databases: Vec<String>,
    /// Do not add the databases the named ones depend on
    #[arg(long)]
    pub only: bool,
}

pub async fn run(global: &Global, out: &Output, args: &UpArgs) -> Result<u8, Error> {
    let fleet = global.open()?;
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
    let selected = fleet.select(&args.databases, !args.only)?;
    let report = provision::create(&fleet, &selected).await?;
    if out.json {
        out.json(
            &serde_json::json!({"env": fleet.topology.env, "servers": servers, "create": report}),
        );
        return Ok(0);
    }
    let changed: Vec<_> = report.databases.iter().filter(|c| c.changed()).collect();
    if changed.is_empty() {
        out.line(format!(
            "env `{}`: {} databases up to date",
            fleet.topology.env,
            report.databases.len()
        ));
    } else {
        super::create::render(out, &report);
    }
    Ok(0)
}
