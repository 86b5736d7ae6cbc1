//! The command line: argument parsing, dispatch, and rendering. Every
//! behaviour lives in the library; these files turn its values into text.

mod backup;
mod baseline;
mod clean;
mod complete;
mod completions;
mod create;
mod drift;
mod drop;
mod env;
mod exec;
mod graph;
mod import;
mod init;
mod json;
mod man;
mod migrate;
mod new;
mod output;
mod repair;
mod reset;
mod rollback;
mod schema;
mod seed;
mod server;
mod status;
mod up;
mod usage;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use pgfleet::Error;
use pgfleet::fleet::{Fleet, OpenOptions};
use pgfleet::server::{ServerStatus, StartOutcome};

pub use output::Output;
pub use usage::parse;

const ABOUT: &str = "Run the PostgreSQL side of a multi-service repository from one manifest";

const LONG_ABOUT: &str = "\
pgfleet reads `pgfleet.toml` (searched for from the current folder upwards) and brings \
every logical database it declares to life on the servers an env places it on: an \
embedded PostgreSQL it runs itself for local work, or servers you name by URL.";

const EXAMPLES: &str = "\
Examples:
  pgfleet init                    write a pgfleet.toml from the migration folders found here
  pgfleet up                      start the embedded server, create and migrate every database
  pgfleet status                  what is applied and pending, per database
  pgfleet verify                  check databases, extensions, history and references
  pgfleet migrate --dry-run -v    what migrate would run
  pgfleet -e single up            the same, with the `single` env's placements
  pgfleet graph --format mermaid  draw the fleet
  pgfleet schema dump billing     the sorted, diffable schema of `billing`
  pgfleet drift                   does each live schema match its migrations?
  pgfleet import sqlite app.db --into shop   copy a SQLite file in, verified
  pgfleet exec shared -- psql     open psql on the `shared` database
  pgfleet server stop             stop the embedded servers
  pgfleet completions bash        a completion script; database and env names come from the manifest
  pgfleet man                     the man page

Exit codes: 0 success, 1 an operation failed, 2 usage or manifest error,
3 a check found something, 4 refused by a safety rule.";

#[derive(Debug, Parser)]
#[command(name = "pgfleet", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the subcommand.
// Each bool is one independent clap flag; an enum would not read better.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct Global {
    /// Use the workspace in DIR (the folder holding `pgfleet.toml`)
    #[arg(short = 'C', long = "workspace", value_name = "DIR", global = true)]
    pub workspace: Option<PathBuf>,
    /// The env whose placements to use [default: `workspace.default_env`, else `dev`]
    #[arg(short, long, env = "PGFLEET_ENV", value_name = "ENV", global = true)]
    pub env: Option<String>,
    /// Print one JSON document on stdout; logs stay on stderr
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to confirmation prompts
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Say more (repeat for debug logs)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Never start the env's embedded servers: a stopped one is an error
    #[arg(long, global = true)]
    pub no_start: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Up(up::UpArgs),
    #[command(subcommand)]
    Server(server::ServerCommand),
    Create(create::CreateArgs),
    Drop(drop::DropArgs),
    Migrate(migrate::MigrateArgs),
    Status(status::StatusArgs),
    Rollback(rollback::RollbackArgs),
    New(new::NewArgs),
    Baseline(baseline::BaselineArgs),
    Repair(repair::RepairArgs),
    Backup(backup::BackupArgs),
    Restore(backup::RestoreArgs),
    Seed(seed::SeedArgs),
    Clean(clean::CleanArgs),
    Reset(reset::ResetArgs),
    Env(env::EnvArgs),
    Exec(exec::ExecArgs),
    Verify(verify::VerifyArgs),
    Graph(graph::GraphArgs),
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    Drift(drift::DriftArgs),
    #[command(subcommand)]
    Import(import::ImportCommand),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
    /// The names completion scripts offer (databases, envs, services)
    #[command(name = "__complete", hide = true)]
    Complete(complete::CompleteArgs),
}

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    let out = Output::new(&cli.global);
    let result = match &cli.command {
        Command::Init(args) => init::run(&cli.global, &out, args),
        Command::Up(args) => up::run(&cli.global, &out, args).await,
        Command::Server(command) => server::run(&cli.global, &out, command).await,
        Command::Create(args) => create::run(&cli.global, &out, args).await,
        Command::Drop(args) => drop::run(&cli.global, &out, args).await,
        Command::Migrate(args) => migrate::run(&cli.global, &out, args).await,
        Command::Status(args) => status::run(&cli.global, &out, args).await,
        Command::Rollback(args) => rollback::run(&cli.global, &out, args).await,
        Command::New(args) => new::run(&cli.global, &out, args),
        Command::Baseline(args) => baseline::run(&cli.global, &out, args).await,
        Command::Repair(args) => repair::run(&cli.global, &out, args).await,
        Command::Backup(args) => backup::run_backup(&cli.global, &out, args).await,
        Command::Restore(args) => backup::run_restore(&cli.global, &out, args).await,
        Command::Seed(args) => seed::run(&cli.global, &out, args).await,
        Command::Clean(args) => clean::run(&cli.global, &out, args).await,
        Command::Reset(args) => reset::run(&cli.global, &out, args).await,
        Command::Env(args) => env::run(&cli.global, &out, args).await,
        Command::Exec(args) => exec::run(&cli.global, &out, args).await,
        Command::Verify(args) => verify::run(&cli.global, &out, args).await,
        Command::Graph(args) => graph::run(&cli.global, &out, args),
        Command::Schema(command) => schema::run(&cli.global, &out, command).await,
        Command::Drift(args) => drift::run(&cli.global, &out, args).await,
        Command::Import(command) => import::run(&cli.global, &out, command).await,
        Command::Completions(args) => completions::run(&out, args),
        Command::Man(args) => man::run(&out, args),
        Command::Complete(args) => complete::run(&cli.global, &out, args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            out.error(&error);
            error.exit_code()
        }
    }
}

impl Global {
    /// The workspace in the chosen env, without touching its servers (for commands
    /// that never connect: `graph`, `new`, `verify --offline`).
    fn open(&self) -> Result<Fleet, Error> {
        Ok(Fleet::open(&OpenOptions {
            workspace: self.workspace.as_deref(),
            env: self.env.as_deref(),
        })?)
    }

    /// [`Global::open`], with every embedded server of the env running: a stopped one
    /// is started (a line on stderr says so) unless `--no-start`, when it is one error
    /// before anything connects, not one per database.
    async fn open_running(&self, out: &Output) -> Result<Fleet, Error> {
        let fleet = self.open()?;
        for name in fleet.topology.servers.keys() {
            let Some(server) = fleet.embedded(name) else {
                continue;
            };
            if matches!(server.status()?, ServerStatus::Running { .. }) {
                continue;
            }
            if self.no_start {
                return Err(pgfleet::fleet::FleetError::NotRunning {
                    server: name.clone(),
                }
                .into());
            }
            if let StartOutcome::Started { port, initialized } = server.start().await? {
                let how = if initialized {
                    "initialized and started"
                } else {
                    "started"
                };
                out.note(format!("server `{name}`: {how} on 127.0.0.1:{port}"));
            }
        }
        Ok(fleet)
    }
}

/// Makes git ignore the workspace's `.pgfleet/` (embedded clusters, logs, backups),
/// saying so on stderr when a `.gitignore` was changed; a failure is a warning.
fn ignore_pgfleet_dir(out: &Output, workspace: &std::path::Path) {
    match pgfleet::server::gitignore::ignore_pgfleet_dir(workspace) {
        Ok(Some(file)) => out.note(format!(
            "added `.pgfleet/` to `{}`, so git ignores the embedded servers' files",
            file.display()
        )),
        Ok(None) => {}
        Err(e) => out.warn(&format!(
            "could not add `.pgfleet/` to a .gitignore: {e}; add it by hand"
        )),
    }
}
