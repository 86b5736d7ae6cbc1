//! `verify --offline`: what can be checked from the workspace alone, with no
//! connection: the manifest loads, every env resolves to placements, every
//! migrations folder is read in its format and its scripts split, seeds are
//! readable, and the dependency order exists.
//!
//! A `${VAR}` that an env needs and that has no value is a warning here (the
//! env cannot be used from this shell yet), not a failure: a production URL
//! is rarely set on a laptop.

use crate::manifest::{Manifest, ManifestError};
use crate::migrate;
use crate::topology;

use super::{Check, Outcome, VerifyReport};

/// Runs every offline check; `env` limits the placement check to one env.
pub fn verify_offline(manifest: &Manifest, env: Option<&str>) -> VerifyReport {
    let mut checks = Vec::new();
    let envs: Vec<String> = match env {
        Some(e) => vec![e.to_owned()],
        None if manifest.envs.is_empty() => vec![topology::IMPLICIT_ENV.to_owned()],
        None => manifest.envs.keys().cloned().collect(),
    };
    for env in &envs {
        let check = format!("env {env}");
        let result = topology::select_env(manifest, Some(env))
            .and_then(|env| topology::resolve(manifest, &env));
        checks.push(match result {
            Ok(topology) => {
                let servers: Vec<&str> = topology.servers.keys().map(String::as_str).collect();
                let servers = if servers.is_empty() {
                    "no server".to_owned()
                } else {
                    servers.join(", ")
                };
                Check::new(
                    "-",
                    check,
                    Outcome::Ok,
                    format!(
                        "{} placement(s) on {}{}",
                        topology.placements.len(),
                        servers,
                        if topology.protected.is_some() {
                            " (protected)"
                        } else {
                            ""
                        }
                    ),
                )
            }
            Err(e @ ManifestError::MissingVariable { .. }) => {
                let names = topology::missing_variables(manifest, env, &e);
                Check::new(
                    "-",
                    check,
                    Outcome::Warning,
                    if names.len() > 1 {
                        format!(
                            "cannot be used from here yet: {e}; it also needs {}",
                            names[1..]
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else {
                        format!("cannot be used from here yet: {e}")
                    },
                )
            }
            Err(e) => Check::new("-", check, Outcome::Failed, e.to_string()),
        });
    }
    checks.push(Check::new(
        "-",
        "dependencies",
        Outcome::Ok,
        if manifest.order.is_empty() {
            "no databases declared".to_owned()
        } else {
            format!("order: {}", manifest.order.join(", "))
        },
    ));
    for name in &manifest.order {
        let db = &manifest.databases[name];
        if let Some(runner) = &db.runner {
            checks.push(Check::new(
                name,
                "migrations",
                Outcome::Ok,
                format!("runner `{runner}` in `{}`", manifest.shown(&db.cwd)),
            ));
        }
        if !db.migrations.is_empty() {
            checks.push(folders(manifest, db));
        }
        if let Some(seeds) = &db.seeds {
            let readable = std::fs::read_dir(seeds).map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "sql"))
                    .count()
            });
            checks.push(match readable {
                Ok(n) => Check::new(name, "seeds", Outcome::Ok, format!("{n} file(s)")),
                Err(e) => Check::new(
                    name,
                    "seeds",
                    Outcome::Failed,
                    format!("cannot read `{}`: {e}", manifest.shown(seeds)),
                ),
            });
        }
    }
    VerifyReport {
        env: env.map_or_else(|| "all".to_owned(), str::to_owned),
        failed: checks
            .iter()
            .filter(|c| c.result == Outcome::Failed)
            .count(),
        unreachable: false,
        checks,
    }
}

/// Reads every folder of `db` and splits every script, as `migrate` would.
fn folders(manifest: &Manifest, db: &crate::manifest::Database) -> Check {
    let folders = match migrate::load_folders(manifest, db) {
        Ok(folders) => folders,
        Err(e) => {
            let message = manifest.shown_in(&e.to_string());
            return Check::new(&db.name, "migrations", Outcome::Failed, message);
        }
    };
    let mut parts = Vec::new();
    let mut unmatched = Vec::new();
    for folder in &folders {
        for m in &folder.migrations {
            if let Err((line_offset, e)) = m.pieces() {
                return Check::new(
                    &db.name,
                    "migrations",
                    Outcome::Failed,
                    e.at(manifest.shown(&m.path), line_offset),
                );
            }
        }
        parts.push(format!("{} {}", folder.migrations.len(), folder.format));
        unmatched.extend(
            folder
                .unmatched
                .iter()
                .map(|p| format!("`{}`", manifest.shown(p))),
        );
    }
    if unmatched.is_empty() {
        Check::new(&db.name, "migrations", Outcome::Ok, parts.join(" + "))
    } else {
        Check::new(
            &db.name,
            "migrations",
            Outcome::Warning,
            format!(
                "{}; not migrations (ignored): {}",
                parts.join(" + "),
                unmatched.join(", ")
            ),
        )
    }
}
