//! `pgfleet exec DB -- CMD ARGS..`: run a command wired to one database.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use clap::Args;
use pgfleet::Error;
use pgfleet::wiring::service_env;

use super::Global;

/// Run a command (no shell) with DATABASE_URL and PG* set for a logical database
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet exec shared -- psql                    psql on `shared`
  pgfleet exec billing -- npm run dev            a service pointed at `billing`
  pgfleet -e single exec billing -- psql -c '\\dt' PGOPTIONS sets the schema's search_path

pgfleet prints nothing on stdout and exits with the command's exit status.")]
pub struct ExecArgs {
    /// The logical database
    pub database: String,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub async fn run(global: &Global, out: &super::Output, args: &ExecArgs) -> Result<u8, Error> {
    let fleet = global.open_running(out).await?;
    let selected = fleet.select(std::slice::from_ref(&args.database), false)?;
    let vars = service_env(&fleet, selected[0])?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let status = match Command::new(program).args(rest).envs(vars).status() {
        Ok(status) => status,
        Err(source) => {
            // As shells report it: 127 not found, 126 found but not runnable.
            let code = match source.kind() {
                std::io::ErrorKind::NotFound => 127,
                std::io::ErrorKind::PermissionDenied => 126,
                _ => 1,
            };
            out.error(&Error::Spawn {
                program: program.clone(),
                source,
            });
            return Ok(code);
        }
    };
    // A command killed by a signal exits as a shell reports it: 128 + signal.
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok(u8::try_from(code).unwrap_or(1))
}
