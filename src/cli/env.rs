//! `pgfleet env`: connection settings for services, as `KEY=value` lines.

use clap::Args;
use pgfleet::Error;
use pgfleet::wiring::{assignment, service_env, url_variable};

use super::{Global, Output};

/// Print connection URLs for the env (these hold real passwords: that is their job)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet env                    BILLING_DATABASE_URL=... for every logical database
  pgfleet env billing            DATABASE_URL, PGHOST, PGPORT, PGUSER, PGDATABASE for `billing`
  eval \"$(pgfleet env billing)\"  load them into a shell (then `export` what you need)
  pgfleet -e single env --json   the same as a JSON object")]
pub struct EnvArgs {
    /// One logical database: print every variable `exec` would set for it
    pub database: Option<String>,
}

pub fn run(global: &Global, out: &Output, args: &EnvArgs) -> Result<u8, Error> {
    let fleet = global.open()?;
    let vars: Vec<(String, String)> = match &args.database {
        Some(name) => {
            let selected = fleet.select(std::slice::from_ref(name), false)?;
            service_env(&fleet, selected[0])?
        }
        None => fleet
            .topology
            .placements
            .iter()
            .map(|p| Ok((url_variable(&p.database), fleet.conninfo(p)?.to_url())))
            .collect::<Result<_, Error>>()?,
    };
    if out.json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        out.json(&map);
    } else {
        let text: String = vars.iter().map(|(k, v)| assignment(k, v) + "\n").collect();
        out.text(text);
    }
    Ok(0)
}
