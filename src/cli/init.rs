//! `pgfleet init`: a first, commented `pgfleet.toml` from what the repository
//! already holds.

use clap::Args;
use pgfleet::Error;
use pgfleet::init::{self, InitOptions};

use super::{Global, Output};

/// Write a commented pgfleet.toml from the migration folders and URLs found here
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet init                   scan the current folder, write ./pgfleet.toml
  pgfleet -C ~/src/shop init     the same for another folder
  pgfleet init --force           replace an existing pgfleet.toml (kept as pgfleet.toml.bak)
The scan honours .gitignore and skips node_modules, target, .venv, venv, vendor and
hidden folders. Exit codes: 0 written, 4 a manifest exists and --force was not given.")]
pub struct InitArgs {
    /// Replace an existing pgfleet.toml (the old one is kept as pgfleet.toml.bak)
    #[arg(long)]
    pub force: bool,
}

pub fn run(global: &Global, out: &Output, args: &InitArgs) -> Result<u8, Error> {
    let root = match &global.workspace {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::Usage(format!("cannot read the current folder: {e}")))?,
    };
    let report = init::init(&root, &InitOptions { force: args.force })?;
    let root = std::path::absolute(&root).unwrap_or(root);
    // The manifest places `dev` on an embedded server under `.pgfleet/`.
    super::ignore_pgfleet_dir(out, &root);
    if out.json {
        out.json(&report);
        return Ok(0);
    }
    let shown = |p: &std::path::Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    match &report.backup {
        Some(bak) => out.line(format!(
            "wrote {} (the previous one is in {})",
            shown(&report.manifest),
            shown(bak)
        )),
        None => out.line(format!("wrote {}", shown(&report.manifest))),
    }
    out.line(format!("found {} database(s):", report.databases.len()));
    for db in &report.databases {
        let what = if let Some(runner) = &db.runner {
            format!("runner `{runner}` in {}", db.service)
        } else {
            db.migrations
                .iter()
                .map(|f| format!("{} ({}, {})", f.path.display(), f.format, f.migrations))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.line(format!("  {}: {what}", db.name));
    }
    if !report.servers.is_empty() {
        out.line(format!("found {} server(s):", report.servers.len()));
        for s in &report.servers {
            out.line(format!(
                "  {} (env `{}`): {} from {}",
                s.name,
                s.env,
                s.url,
                s.from.join(", ")
            ));
        }
    }
    if !report.services.is_empty() {
        out.line(format!(
            "found {} service .env file(s) (`pgfleet env --write` keeps them):",
            report.services.len()
        ));
        for s in &report.services {
            let vars: Vec<String> = s
                .vars
                .iter()
                .map(|(v, db)| format!("{v} -> {db}"))
                .collect();
            out.line(format!(
                "  {}: {} ({})",
                s.name,
                s.env_file.display(),
                vars.join(", ")
            ));
        }
    }
    if !report.unplaced.is_empty() {
        out.line("could not place:");
        for u in &report.unplaced {
            out.line(format!("  {}: {}", u.what, u.reason));
        }
    }
    if !report.skipped.is_empty() {
        out.line("skipped:");
        for s in &report.skipped {
            out.line(format!("  {}: {}", s.path.display(), s.reason));
        }
    }
    out.line(format!(
        "envs: {}; lines marked `# guessed:` need a look",
        report.envs.join(", ")
    ));
    out.line("next: pgfleet verify --offline, then pgfleet up");
    Ok(0)
}
