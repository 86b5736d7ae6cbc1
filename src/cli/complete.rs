//! `pgfleet __complete KIND..`: the names shell completion offers, one per
//! line. Hidden from help; the scripts `pgfleet completions` prints call it.

use clap::{Args, ValueEnum};
use pgfleet::Error;
use pgfleet::fleet::{OpenOptions, open_manifest};

use super::{Global, Output};

/// Print the manifest's names for shell completion (used by the completion scripts)
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// Which names to print
    #[arg(value_enum, required = true)]
    pub kinds: Vec<Kind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Logical databases, in dependency order
    Databases,
    /// Envs, in name order
    Envs,
    /// Services (`[services.NAME]`), in name order
    Services,
}

/// Never fails: a shell asking for completions wants names or nothing, not an
/// error message in the middle of the command line. No manifest (or one that
/// does not load) prints nothing and exits 0.
#[allow(clippy::unnecessary_wraps)] // the same shape as every other command's `run`
pub fn run(global: &Global, out: &Output, args: &CompleteArgs) -> Result<u8, Error> {
    let Ok(manifest) = open_manifest(&OpenOptions {
        workspace: global.workspace.as_deref(),
        env: None,
    }) else {
        return Ok(0);
    };
    let mut text = String::new();
    for kind in &args.kinds {
        let names: Vec<&String> = match kind {
            Kind::Databases => manifest.order.iter().collect(),
            Kind::Envs => manifest.envs.keys().collect(),
            Kind::Services => manifest.services.keys().collect(),
        };
        for name in names {
            text.push_str(name);
            text.push('\n');
        }
    }
    out.text(text);
    Ok(0)
}
