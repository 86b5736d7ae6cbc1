//! `pgfleet env`: connection settings for services, as `KEY=value` lines, or
//! written into the services' `.env` files with `--write`.

use clap::Args;
use pgfleet::Error;
use pgfleet::envfile::{self, FileReport};
use pgfleet::fleet::Fleet;
use pgfleet::safety::{Destructive, Extent};
use pgfleet::wiring::{assignment, service_env, service_url, url_variable};

use super::json;
use super::{Global, Output};

/// Print connection URLs for the env, or write them into the services' .env files
/// (these hold real passwords: that is their job)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet env                    BILLING_DATABASE_URL=... for every logical database
  pgfleet env billing            DATABASE_URL, PGHOST, PGPORT, PGUSER, PGDATABASE for `billing`
  eval \"$(pgfleet env billing)\"  load them into a shell (then `export` what you need)
  pgfleet -e single env --json   {\"env\", \"database\", \"vars\": {...}}
  pgfleet env --write            update every [services.NAME] env_file with this env's URLs
  pgfleet env --write api        only the `api` service's file
  pgfleet -e single env --write --json  what was added, updated or unchanged, per file

--write changes only the variables listed in [services.NAME.vars]; every other line
stays as it is. Before it first changes a file it keeps a copy as FILE.pgfleet-bak
(made once, never overwritten). It prints variable names, never values. In a protected env it is
refused unless --allow-protected (then confirmed unless --yes).")]
pub struct EnvArgs {
    /// One logical database: print every variable `exec` would set for it.
    /// With --write: the services whose files to write [default: all]
    #[arg(value_name = "DB|SERVICE")]
    pub names: Vec<String>,
    /// Write the URLs into the .env files of the manifest's [services]
    #[arg(long)]
    pub write: bool,
    /// With --write in a protected env: write its passwords into the files anyway
    /// (you are still asked to confirm unless --yes)
    #[arg(long, requires = "write")]
    pub allow_protected: bool,
}

pub async fn run(global: &Global, out: &Output, args: &EnvArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    if args.write {
        // A protected env's passwords do not belong in working-tree files by default.
        // The databases whose URLs the named services' files get.
        let mut databases: Vec<String> = Vec::new();
        for service in envfile::select(&fleet.manifest, &args.names)? {
            databases.extend(service.vars.iter().map(|(_, db)| db.clone()));
        }
        databases.sort();
        databases.dedup();
        let selected = fleet.select(&databases, false)?;
        let permit = super::drop::confirm(
            global,
            out,
            &fleet.topology,
            &super::drop::Intent {
                operation: Destructive::EnvWrite,
                allow_protected: args.allow_protected,
                selected: &selected,
                extent: Extent::Whole,
            },
        )?;
        let reports = envfile::write(&fleet, &permit, &args.names)?;
        render_reports(&fleet, out, &reports);
        return Ok(0);
    }
    let vars: Vec<(String, String)> = match args.names.as_slice() {
        [] => fleet
            .topology
            .placements
            .iter()
            .map(|p| {
                Ok((
                    url_variable(&p.database),
                    service_url(&fleet.conninfo(p)?, p),
                ))
            })
            .collect::<Result<_, Error>>()?,
        [name] => {
            let selected = fleet.select(std::slice::from_ref(name), false)?;
            service_env(&fleet, selected[0])?
        }
        _ => {
            return Err(Error::Usage(
                "`pgfleet env` takes one database; with `--write` it takes service names".into(),
            ));
        }
    };
    if out.json {
        out.json(&json::EnvVars {
            env: &fleet.topology.env,
            database: args.names.first().map(String::as_str),
            vars: json::Ordered(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()),
        });
    } else {
        let text: String = vars.iter().map(|(k, v)| assignment(k, v) + "\n").collect();
        out.text(text);
    }
    Ok(0)
}

/// Per file: its status, then each variable's. Names only: values hold
/// passwords.
fn render_reports(fleet: &Fleet, out: &Output, reports: &[FileReport]) {
    let shown = |r: &FileReport| fleet.manifest.shown(&r.path);
    if out.json {
        let files = reports
            .iter()
            .map(|r| json::EnvFile {
                service: &r.service,
                path: shown(r),
                status: r.status.as_str(),
                keys: json::Ordered(
                    r.keys
                        .iter()
                        .map(|(k, c)| (k.as_str(), c.as_str()))
                        .collect(),
                ),
                backup: r.backup.as_ref().map(|b| fleet.manifest.shown(b)),
            })
            .collect();
        out.json(&json::EnvWrite {
            env: &fleet.topology.env,
            files,
        });
        return;
    }
    for r in reports {
        out.line(format!(
            "{} ({}): {}",
            shown(r),
            r.service,
            r.status.as_str()
        ));
        let width = r.keys.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, change) in &r.keys {
            out.line(format!("  {key:<width$}  {}", change.as_str()));
        }
        if let Some(backup) = &r.backup {
            out.line(format!(
                "  the file as it was is kept in {}",
                fleet.manifest.shown(backup)
            ));
        }
    }
}
