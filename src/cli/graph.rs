//! `pgfleet graph`: a picture of the fleet.

use clap::{Args, ValueEnum};
use pgfleet::Error;
use pgfleet::fleet::{Fleet, OpenOptions};
use pgfleet::graph::{self, ServerLabels};
use pgfleet::topology::Endpoint;

use super::json::{Graph, GraphServer};
use super::{Global, Output};

/// Draw servers, physical databases, logical databases, schemas and dependencies
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet graph                          a text tree
  pgfleet -e single graph                how the `single` env packs the fleet
  pgfleet graph --format dot | dot -Tsvg > fleet.svg
  pgfleet graph --format mermaid         paste into Markdown
  pgfleet graph --json                   servers, databases, schemas and edges as data")]
pub struct GraphArgs {
    /// Picture format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Dot,
    Mermaid,
}

pub fn run(global: &Global, out: &Output, args: &GraphArgs) -> Result<u8, Error> {
    // `graph` never connects: a `${VAR}` without a value (a password) does not stop it.
    let (fleet, missing) = Fleet::open_offline(&OpenOptions {
        workspace: global.workspace.as_deref(),
        env: global.env.as_deref(),
    })?;
    if !missing.is_empty() {
        out.note(format!(
            "note: drawn without {} (no value set; `graph` never connects)",
            missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut servers = Vec::new();
    for (name, endpoint) in &fleet.topology.servers {
        servers.push(match endpoint {
            Endpoint::Embedded { .. } => {
                let server = fleet
                    .embedded(name)
                    .expect("an embedded endpoint has an embedded server");
                GraphServer {
                    server: name.clone(),
                    embedded: true,
                    port: server.port()?,
                    url: None,
                }
            }
            Endpoint::Remote(info) => GraphServer {
                server: name.clone(),
                embedded: false,
                port: None,
                // Display redacts the password.
                url: Some(info.to_string()),
            },
        });
    }
    if out.json {
        out.json(&Graph::new(&fleet.manifest, &fleet.topology, servers));
        return Ok(0);
    }
    let labels: ServerLabels = servers
        .into_iter()
        .map(|s| {
            let label = match (s.embedded, s.port, s.url) {
                (true, Some(port), _) => format!("embedded, 127.0.0.1:{port}"),
                (true, None, _) => "embedded, not started yet".to_owned(),
                (false, _, url) => url.unwrap_or_default(),
            };
            (s.server, label)
        })
        .collect();
    let picture = match args.format {
        Format::Text => graph::text(&fleet.manifest, &fleet.topology, &labels),
        Format::Dot => graph::dot(&fleet.manifest, &fleet.topology, &labels),
        Format::Mermaid => graph::mermaid(&fleet.manifest, &fleet.topology, &labels),
    };
    out.text(picture);
    Ok(0)
}
