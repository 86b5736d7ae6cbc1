//! `pgfleet up`: the one-command local set-up.

use std::sync::Arc;

use clap::Args;
use pgfleet::Error;
use pgfleet::data::seed::{self, SeedReport};
use pgfleet::fleet::Fleet;
use pgfleet::migrate::run::{FleetReport, Outcome};
use pgfleet::provision::{self, CreateReport};
use pgfleet::safety::{self, Destructive, Verdict};
use pgfleet::server::{ServerStatus, StartOutcome};
use pgfleet::topology::Endpoint;

use super::json::{self, ServerChange};
use super::migrate::RunArgs;
use super::{Global, Output};

/// Start the env's embedded servers, create its databases, migrate them and seed the new ones
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet up                 the whole fleet of the default env
  pgfleet up billing         `billing` and what it depends on
  pgfleet up billing --only  `billing` alone
  pgfleet -e single up       the same fleet, one schema per database

Only databases this run created are seeded (never in a protected env).
Running it again changes nothing and takes well under a second.")]
pub struct UpArgs {
    /// Logical databases to bring up, with what they depend on [default: all]
    pub databases: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

pub async fn run(global: &Global, out: &Output, args: &UpArgs) -> Result<u8, Error> {
    let fleet = Arc::new(global.open()?);
    // Every folder is read and checked before a server starts or a database is made.
    let selected = fleet.select(&args.databases, !args.run.only)?;
    pgfleet::migrate::check_folders(&fleet.manifest, &selected)?;
    let mut servers = Vec::new();
    // Held until this run has seeded what it created (see `lock_provisioning`).
    let mut provisioning = Vec::new();
    for (name, endpoint) in &fleet.topology.servers {
        if let Endpoint::Embedded { .. } = endpoint {
            let server = fleet
                .embedded(name)
                .expect("an embedded endpoint has an embedded server");
            if global.no_start && !matches!(server.status()?, ServerStatus::Running { .. }) {
                return Err(pgfleet::fleet::FleetError::NotRunning {
                    server: name.clone(),
                }
                .into());
            }
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
            servers.push(ServerChange {
                server: name.clone(),
                state,
                port: Some(port),
            });
            provisioning.push(server.lock_provisioning().await?);
        }
    }
    if !provisioning.is_empty() {
        super::ignore_pgfleet_dir(out, &fleet.manifest.root);
    }
    let created = provision::create(&fleet, &selected).await?;
    if !out.json {
        let changed: Vec<_> = created.databases.iter().filter(|c| c.changed()).collect();
        if !changed.is_empty() {
            super::create::render(out, &created);
        }
    }
    let migrated = super::migrate::migrate(&fleet, out, &args.databases, &args.run).await?;
    let (seeded, seeds_skipped) = if args.run.dry_run {
        (None, Vec::new())
    } else {
        seed_fresh(&fleet, out, &created, &migrated).await
    };
    drop(provisioning);
    if out.json {
        out.json(&json::Up {
            env: &fleet.topology.env,
            servers: &servers,
            create: &created,
            migrate: &migrated,
            seed: seeded.as_ref(),
            seeds_skipped: &seeds_skipped,
        });
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
    match &seeded {
        Some(report) if out.json => {
            for db in &report.databases {
                if let Some(error) = &db.error {
                    out.error_text(error, db.hint.as_deref());
                }
            }
        }
        Some(report) => super::seed::render(out, &fleet, report),
        None => {}
    }
    let seed_failed = seeded.as_ref().is_some_and(SeedReport::failed);
    Ok(u8::from(migrated.failed() || seed_failed))
}

/// Seeds the databases this run created and migrated, that have seeds. In a
/// protected env it seeds nothing and says so; the names it skipped come
/// back with the report.
async fn seed_fresh(
    fleet: &Fleet,
    out: &super::Output,
    created: &CreateReport,
    migrated: &FleetReport,
) -> (Option<SeedReport>, Vec<String>) {
    let fresh = created.fresh();
    let migrated_ok = |name: &str| {
        migrated.databases.iter().any(|d| {
            d.database == name
                && matches!(
                    d.outcome,
                    Outcome::Migrated | Outcome::UpToDate | Outcome::Ran
                )
        })
    };
    let wanted: Vec<_> = fleet
        .topology
        .placements
        .iter()
        .filter(|p| {
            fresh.contains(p.database.as_str())
                && migrated_ok(&p.database)
                && seed::has_seeds(fleet, &p.database)
        })
        .collect();
    if wanted.is_empty() {
        return (None, Vec::new());
    }
    // `up` never asks: without `--allow-protected` a protected env is refused outright.
    let refusal = match safety::check(&fleet.topology, Destructive::Seed, false) {
        Ok(Verdict::Allowed(permit)) => {
            return (Some(seed::seed(fleet, &permit, &wanted).await), Vec::new());
        }
        Ok(Verdict::Confirm(pending)) => pending.question().to_owned(),
        Err(refusal) => refusal.to_string(),
    };
    let names: Vec<String> = wanted.iter().map(|p| p.database.clone()).collect();
    out.warn(&format!(
        "seeds skipped for {}: {refusal}",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    (None, names)
}
