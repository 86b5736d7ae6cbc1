//! `pgfleet man`: the manual page, generated from the clap definitions with
//! clap_mangen so it never drifts from `--help`.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use pgfleet::Error;

use super::{Cli, Output};

/// Print the roff man page, or write one page per command with --out
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet man | man -l -                 read it now
  pgfleet man > ~/.local/share/man/man1/pgfleet.1
  pgfleet man --out ~/.local/share/man/man1   pgfleet.1, pgfleet-migrate.1, ...")]
pub struct ManArgs {
    /// Write `pgfleet.1` and a `pgfleet-COMMAND.1` page per command into DIR
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(out: &Output, args: &ManArgs) -> Result<u8, Error> {
    let command = Cli::command();
    if let Some(dir) = &args.out {
        let io = |source| Error::Write {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        clap_mangen::generate_to(command, dir).map_err(io)?;
        out.note(format!("wrote the man pages into `{}`", dir.display()));
        return Ok(0);
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|source| Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })?;
    out.text(String::from_utf8_lossy(&page));
    Ok(0)
}
