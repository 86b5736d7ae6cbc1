//! Protected envs: which operations are refused there, decided from the
//! manifest alone, before any connection (SPEC, Safety).

use std::fmt;
use std::fmt::Write as _;

use crate::topology::{Placement, Protection, Topology};

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
    Allowed(Permit),
    /// Protected, and `--allow-protected` was given: ask first (unless `--yes`).
    Confirm(Pending),
}

/// Leave to run destructive operations in one env. Only [`check`] makes one (for an env
/// that is not protected), or [`Pending::confirmed`] (a protected env, with
/// `--allow-protected`, once someone said yes); every destructive library function
/// (`provision::drop`, `data::clean::clean`, `data::seed::seed`, `backup::restore`,
/// `import::import_sqlite`, `migrate::ops::rollback`, `envfile::write`) takes one, so a
/// library caller cannot skip the rule.
///
/// It cannot be made by hand:
///
/// ```compile_fail,E0451
/// let permit = pgfleet::safety::Permit { env: "prod".to_owned() };
/// ```
///
/// and a destructive function cannot be called without one:
///
/// ```compile_fail,E0061
/// async fn drop_all(fleet: &pgfleet::fleet::Fleet) {
///     let _ = pgfleet::provision::drop(fleet, &[]).await;
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    env: String,
}

impl Permit {
    /// The env this permit is for.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// Whether this permit was given for `topology`'s env: destructive functions check
    /// it before they touch anything.
    pub fn covers(&self, topology: &Topology) -> bool {
        self.env == topology.env
    }
}

/// A protected env's verdict, waiting for someone to say yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    question: String,
    permit: Permit,
}

impl Pending {
    /// The question to ask.
    pub fn question(&self) -> &str {
        &self.question
    }

    /// Someone said yes (or `--yes` was given): the permit.
    pub fn confirmed(self) -> Permit {
        self.permit
    }
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
    #[error(
        "`{operation}` in env `{env}` needs confirmation, and there is no terminal to ask on{}",
        if effects.is_empty() { String::new() } else { format!("; it would change:{}", effect_lines(effects)) }
    )]
    Unconfirmed {
        operation: Destructive,
        env: String,
        /// What each database would lose.
        effects: Vec<Effect>,
    },
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
    let permit = Permit {
        env: topology.env.clone(),
    };
    match (&topology.protected, allow_protected) {
        (None, _) => Ok(Verdict::Allowed(permit)),
        (Some(reason), false) => Err(Refusal::Protected {
            operation,
            env: topology.env.clone(),
            reason: reason.clone(),
        }),
        (Some(_), true) => Ok(Verdict::Confirm(Pending {
            question: format!("Run `{operation}` in protected env `{}`?", topology.env),
            permit,
        })),
    }
}

/// What a destructive operation does to one logical database: said in the
/// confirmation, and in the refusal when there is nobody to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub database: String,
    /// "database `app` on `pg` is dropped", "every table ... is emptied", ...
    pub loses: String,
}

/// The part of an operation's arguments that changes what it takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent<'a> {
    /// Nothing beyond the operation itself.
    Whole,
    /// `rollback --count N`.
    LastMigrations(usize),
    /// `rollback --to VERSION`.
    MigrationsAfter(&'a str),
    /// `restore`, with `--clean` or not.
    Restore { clean: bool },
}

/// What `operation` (with `extent`) does to each of `selected`, decided from
/// the manifest alone, as [`check`] is: a database sharing its physical
/// database with others that are not selected loses only its schemas.
pub fn effects(
    topology: &Topology,
    operation: Destructive,
    selected: &[&Placement],
    extent: Extent<'_>,
) -> Vec<Effect> {
    selected
        .iter()
        .map(|placement| Effect {
            database: placement.database.clone(),
            loses: loses(topology, operation, selected, placement, extent),
        })
        .collect()
}

fn loses(
    topology: &Topology,
    operation: Destructive,
    selected: &[&Placement],
    placement: &Placement,
    extent: Extent<'_>,
) -> String {
    let physical = &placement.physical;
    let schemas = || {
        let names: Vec<String> = placement
            .owned_schemas
            .iter()
            .map(|s| format!("`{s}`"))
            .collect();
        let noun = if names.len() == 1 {
            "schema"
        } else {
            "schemas"
        };
        format!("{noun} {}", names.join(", "))
    };
    let dropped = || {
        let shared = topology
            .neighbours(placement)
            .any(|n| !selected.iter().any(|s| s.database == n.database));
        if shared {
            format!(
                "its {} in `{physical}` (and its history rows) are dropped",
                schemas()
            )
        } else {
            format!("database `{physical}` on `{}` is dropped", placement.server)
        }
    };
    match (operation, extent) {
        (Destructive::Drop, _) => dropped(),
        (Destructive::Reset, _) => format!(
            "{}, then rebuilt from its migrations and seeds (its data is lost)",
            dropped()
        ),
        (Destructive::Clean, _) => format!(
            "every table in its {} of `{physical}` is emptied",
            schemas()
        ),
        (Destructive::Seed, _) => {
            format!("its seed files run in `{physical}`: the rows they insert or change stay")
        }
        (Destructive::Rollback, Extent::LastMigrations(n)) if n != 1 => {
            format!("its last {n} migrations are rolled back (their down scripts run)")
        }
        (Destructive::Rollback, Extent::MigrationsAfter(version)) => {
            format!("every migration after `{version}` is rolled back (their down scripts run)")
        }
        (Destructive::Rollback, _) => {
            "its last migration is rolled back (its down script runs)".to_owned()
        }
        (Destructive::Restore, Extent::Restore { clean: true }) => format!(
            "its {} in `{physical}` {} dropped and replaced by the backup's",
            schemas(),
            if placement.owned_schemas.len() == 1 {
                "is"
            } else {
                "are"
            }
        ),
        (Destructive::Restore, _) => {
            format!("the backup is loaded into `{physical}` (refused if its schemas hold tables)")
        }
        (Destructive::Import, _) => format!("rows are written into `{physical}`"),
        (Destructive::EnvWrite, _) => {
            "its URL, password included, is written into the services' `.env` files".to_owned()
        }
        (Destructive::Repair, _) => "its history rows are rewritten".to_owned(),
    }
}

/// The effects as the lines that follow a question or a refusal.
pub fn effect_lines(effects: &[Effect]) -> String {
    let mut text = String::new();
    for effect in effects {
        let _ = write!(text, "\n  {}: {}", effect.database, effect.loses);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    const FLEET: &str = r#"
        [servers.pg]
        url = "postgresql://u@127.0.0.1:1/postgres"
        [databases.auth]
        [databases.billing]
        schemas = ["billing", "reports"]
        [envs.prod]
        server = "pg"
        protected = true
        [envs.single]
        server = "pg"
        database = "fleet"
        schema = "{name}"
    "#;

    fn loses(env: &str, operation: Destructive, names: &[&str], extent: Extent<'_>) -> Vec<String> {
        let manifest = Manifest::from_str_for_test(FLEET, &[]).unwrap();
        let topology = crate::topology::resolve(&manifest, env).unwrap();
        let selected: Vec<&Placement> = topology
            .placements
            .iter()
            .filter(|p| names.contains(&p.database.as_str()))
            .collect();
        effects(&topology, operation, &selected, extent)
            .into_iter()
            .map(|e| format!("{}: {}", e.database, e.loses))
            .collect()
    }

    #[test]
    fn each_database_is_told_what_it_loses() {
        use Destructive::{Clean, Drop, Reset, Restore, Rollback};
        // (env, operation, databases, extent, what each loses)
        type Case<'a> = (
            &'a str,
            Destructive,
            &'a [&'a str],
            Extent<'a>,
            &'a [&'a str],
        );
        let cases: [Case<'_>; 7] = [
            (
                "prod",
                Drop,
                &["auth"],
                Extent::Whole,
                &["auth: database `auth` on `pg` is dropped"],
            ),
            (
                "single",
                Drop,
                &["billing"],
                Extent::Whole,
                &["billing: its schema `billing` in `fleet` (and its history rows) are dropped"],
            ),
            // Every database of the shared physical database goes: it is dropped whole.
            (
                "single",
                Drop,
                &["auth", "billing"],
                Extent::Whole,
                &[
                    "auth: database `fleet` on `pg` is dropped",
                    "billing: database `fleet` on `pg` is dropped",
                ],
            ),
            (
                "prod",
                Clean,
                &["billing"],
                Extent::Whole,
                &[
                    "billing: every table in its schemas `billing`, `reports` of `billing` is emptied",
                ],
            ),
            (
                "prod",
                Reset,
                &["auth"],
                Extent::Whole,
                &[
                    "auth: database `auth` on `pg` is dropped, then rebuilt from its migrations and seeds (its data is lost)",
                ],
            ),
            (
                "prod",
                Rollback,
                &["auth"],
                Extent::MigrationsAfter("0003"),
                &["auth: every migration after `0003` is rolled back (their down scripts run)"],
            ),
            (
                "prod",
                Restore,
                &["billing"],
                Extent::Restore { clean: true },
                &[
                    "billing: its schemas `billing`, `reports` in `billing` are dropped and replaced by the backup's",
                ],
            ),
        ];
        for (env, operation, names, extent, want) in cases {
            assert_eq!(
                loses(env, operation, names, extent),
                want,
                "{operation} {names:?} in {env}"
            );
        }
        assert_eq!(
            loses("prod", Rollback, &["auth"], Extent::LastMigrations(1)),
            ["auth: its last migration is rolled back (its down script runs)"]
        );
    }
}
