//! `pgfleet graph`: a picture of the fleet.

use clap::{Args, ValueEnum};
use pgfleet::Error;
use pgfleet::fleet::{Fleet, OpenOptions};
use pgfleet::graph::{self, ServerLabels};
use pgfleet::topology::Endpoint;

use super::{Global, Output};

/// Draw servers, physical databases, logical databases, schemas and dependencies
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet graph                          a text tree
  pgfleet -e single graph                how the `single` env packs the fleet
  pgfleet graph --format dot | dot -Tsvg > fleet.svg
  pgfleet graph --format mermaid         paste into Markdown")]
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
    let mut labels = ServerLabels::new();
    for (name, endpoint) in &fleet.topology.servers {
        let label = match endpoint {
            Endpoint::Embedded { .. } => {
                let server = fleet
                    .embedded(name)
                    .expect("an embedded endpoint has an embedded server");
                match server.port()? {
                    Some(port) => format!("embedded, 127.0.0.1:{port}"),
                    None => "embedded, not started yet".to_owned(),
                }
            }
            // Display redacts the password.
            Endpoint::Remote(info) => info.to_string(),
        };
        labels.insert(name.clone(), label);
    }
    let picture = match args.format {
        Format::Text => graph::text(&fleet.manifest, &fleet.topology, &labels),
        Format::Dot => graph::dot(&fleet.manifest, &fleet.topology, &labels),
        Format::Mermaid => graph::mermaid(&fleet.manifest, &fleet.topology, &labels),
    };
    if out.json {
        out.json(&serde_json::json!({"format": format!("{:?}", args.format).to_lowercase(), "picture": picture}));
    } else {
        out.text(picture);
    }
    Ok(0)
}
