//! Protected envs: which operations are refused there, decided from the
//! manifest alone, before any connection (SPEC, Safety).

use std::fmt;

use crate::topology::{Protection, Topology};

/// Operations that destroy or overwrite data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructive {
    Drop,
    Clean,
    Reset,
    Seed,
    Rollback,
    Restore,
    /// `import sqlite`: writes rows (refused like the others).
    Import,
    /// `env --write`: puts the env's passwords into the services' `.env` files.
    EnvWrite,
    /// Not refused in protected envs, but confirmed like the others.
    Repair,
}

impl fmt::Display for Destructive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Destructive::Drop => "drop",
            Destructive::Clean => "clean",
            Destructive::Reset => "reset",
            Destructive::Seed => "seed",
            Destructive::Rollback => "rollback",
            Destructive::Restore => "restore",
            Destructive::Import => "import sqlite",
            Destructive::EnvWrite => "env --write",
            Destructive::Repair => "repair",
        })
    }
}

/// What the caller may do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not a protected env: go ahead.
    Allowed,
    /// Protected, and `--allow-protected` was given: ask first (unless `--yes`).
    Confirm { question: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "`{operation}` refused: env `{env}` is protected ({})",
        reason_text(reason)
    )]
    Protected {
        operation: Destructive,
        env: String,
        reason: Protection,
    },
    #[error("`{operation}` in env `{env}` needs confirmation, and there is no terminal to ask on")]
    Unconfirmed { operation: Destructive, env: String },
    #[error("`{operation}` cancelled")]
    Declined { operation: Destructive },
}

impl Refusal {
    pub fn hint(&self) -> String {
        match self {
            Refusal::Protected { .. } => {
                "pass `--allow-protected` if you really mean it (you will be asked to confirm unless \
                 `--yes`), and `--backup-first` to back up what it touches before it runs"
                    .into()
            }
            Refusal::Unconfirmed { .. } => "pass `--yes` to confirm".into(),
            Refusal::Declined { .. } => "nothing was changed".into(),
        }
    }
}

fn reason_text(reason: &Protection) -> String {
    match reason {
        Protection::Declared => "`protected = true`".into(),
        Protection::RemoteServer(server) => {
            format!(
                "server `{server}` is not on loopback; set `protected = false` in the env to allow this"
            )
        }
    }
}

/// Decides whether `operation` may run in `topology`'s env.
pub fn check(
    topology: &Topology,
    operation: Destructive,
    allow_protected: bool,
) -> Result<Verdict, Refusal> {
    match (&topology.protected, allow_protected) {
        (None, _) => Ok(Verdict::Allowed),
        (Some(reason), false) => Err(Refusal::Protected {
            operation,
            env: topology.env.clone(),
            reason: reason.clone(),
        }),
        (Some(_), true) => Ok(Verdict::Confirm {
            question: format!("Run `{operation}` in protected env `{}`?", topology.env),
        }),
    }
}
