//! `pgfleet init`: a first `pgfleet.toml` for a repository that already has
//! migration folders, `.env` files and compose files.
//!
//! [`scan`] walks the repository, [`urls`] reads connection URLs out of the
//! files it found, [`plan`] turns both into databases, servers and envs,
//! and `render` writes the commented manifest. Before the file is put in
//! place it is loaded and every env resolved, exactly as the other commands
//! will: `init` never leaves a manifest that does not load.
//!
//! Guesses are marked `# guessed:` in the file and listed in the report;
//! what could not be used is in the report with the reason.

mod extensions;
mod layout;
pub mod plan;
mod render;
pub mod scan;
mod schemas;
pub mod urls;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::manifest::{self, FILE_NAME};
pub use plan::{EnvPlan, Plan, ServicePlan};
pub use scan::Skipped;

/// The embedded server `init` declares for `envs.dev`.
pub const EMBEDDED_SERVER: &str = "local";
/// The env `pgfleet up` uses after `init`.
pub const DEV_ENV: &str = "dev";

#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Replace an existing `pgfleet.toml` (kept as `pgfleet.toml.bak`).
    pub force: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("`{}` already exists; `pgfleet init` does not overwrite a manifest", .path.display())]
    Exists { path: PathBuf },
    #[error("`{}` is not a folder", .path.display())]
    NotAFolder { path: PathBuf },
    #[error("cannot write `{}`: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the manifest `pgfleet init` wrote does not load ({message}); nothing was written")]
    SelfCheck { message: String },
}

impl InitError {
    pub fn hint(&self) -> Option<String> {
        match self {
            InitError::Exists { .. } => Some(
                "pass `--force` to replace it (the old one is kept as `pgfleet.toml.bak`), or edit it by hand".into(),
            ),
            InitError::SelfCheck { .. } => Some(
                "this is a bug in `pgfleet init`: please report it with the layout of the repository".into(),
            ),
            InitError::NotAFolder { .. } | InitError::Write { .. } => None,
        }
    }
}

/// What `init` wrote and found.
#[derive(Debug, Serialize)]
pub struct InitReport {
    pub manifest: PathBuf,
    /// The previous manifest, when `--force` replaced one.
    pub backup: Option<PathBuf>,
    pub databases: Vec<DatabaseFound>,
    pub servers: Vec<ServerFound>,
    pub envs: Vec<String>,
    /// `[services.NAME]` written for the `.env` files whose URLs were matched.
    pub services: Vec<ServicePlan>,
    /// URLs found that no database could be matched to, and why.
    pub unplaced: Vec<Unplaced>,
    /// Folders that looked like migrations and were left out, and why.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseFound {
    pub name: String,
    /// Extensions the migrations use but never create (`extensions = [...]`).
    pub extensions: Vec<String>,
    /// The service folder it is named after (relative; `.` = the workspace).
    pub service: String,
    pub migrations: Vec<FolderReport>,
    pub runner: Option<String>,
    pub cwd: Option<PathBuf>,
    /// The schemas its migration tool manages (`schemas = [...]`); empty for
    /// the default, `public`.
    pub schemas: Vec<String>,
    pub guesses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    pub path: PathBuf,
    pub format: String,
    pub migrations: usize,
    #[serde(skip)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerFound {
    pub name: String,
    pub env: String,
    /// The URL as written in the manifest: the password is a `${VAR}`.
    pub url: String,
    /// The variable holding the password, when the URL had one.
    pub password_var: Option<String>,
    /// Where it was found (`VAR in file:line`).
    pub from: Vec<String>,
    #[serde(skip)]
    pub dropped: BTreeSet<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unplaced {
    /// `VAR in file:line`
    pub what: String,
    pub reason: String,
}

/// Scans `root`, writes `root/pgfleet.toml`, and says what it did.
pub fn init(root: &Path, options: &InitOptions) -> Result<InitReport, InitError> {
    if !root.is_dir() {
        return Err(InitError::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let target = root.join(FILE_NAME);
    if target.exists() && !options.force {
        return Err(InitError::Exists { path: target });
    }
    let plan = plan::plan(&root);
    let text = render::render(&plan);
    let tmp = root.join(format!(".{FILE_NAME}.init-{}", std::process::id()));
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|source| InitError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    write(&tmp, &text)?;
    if let Err(message) = self_check(&tmp, &text) {
        let _ = std::fs::remove_file(&tmp);
        return Err(InitError::SelfCheck { message });
    }
    let mut backup = None;
    if target.exists() {
        let bak = root.join(format!("{FILE_NAME}.bak"));
        if let Err(source) = std::fs::copy(&target, &bak) {
            let _ = std::fs::remove_file(&tmp);
            return Err(InitError::Write { path: bak, source });
        }
        backup = Some(bak);
    }
    std::fs::rename(&tmp, &target).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        InitError::Write {
            path: target.clone(),
            source,
        }
    })?;
    Ok(InitReport {
        manifest: target,
        backup,
        envs: std::iter::once(DEV_ENV.to_owned())
            .chain(plan.envs.iter().map(|e| e.name.clone()))
            .collect(),
        databases: plan.databases,
        servers: plan.servers,
        services: plan.services,
        unplaced: plan.unplaced,
        skipped: plan.skipped,
    })
}

/// Loads the written file as every command would, with a stand-in value for
/// each `${VAR}` it references, and resolves every env.
fn self_check(path: &Path, text: &str) -> Result<(), String> {
    let vars: BTreeMap<String, String> = referenced_vars(text)
        .into_iter()
        .map(|v| {
            let value = manifest::stand_in(&v);
            (v, value.to_owned())
        })
        .collect();
    let manifest = manifest::load_with(path, vars).map_err(|e| e.to_string())?;
    for env in manifest.envs.keys() {
        crate::topology::resolve(&manifest, env).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The names in every `${NAME}` / `${NAME:-default}` of `text`.
fn referenced_vars(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// A name pgfleet accepts everywhere: lowercase letters, digits and `_`,
/// starting with a letter.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        out = "app".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "db_");
    }
    out.truncate(40);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_referenced_variables() {
        let vars = referenced_vars("url = \"postgresql://u:${A_PW}@h:${PORT:-5}/postgres\" $$x ${");
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["A_PW", "PORT"]);
    }
}
