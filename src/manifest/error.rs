//! Errors in finding, reading and validating `pgfleet.toml`. All exit with
//! code 2; each names the file and line (or the key) and says what to do.

use std::fmt;
use std::path::PathBuf;

/// A place in the manifest: the file, and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// Turns a byte offset into `source` into a line and column.
    pub fn at(file: PathBuf, source: &str, offset: usize) -> Location {
        let offset = offset.min(source.len());
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..offset].chars().count() + 1;
        Location { file, line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("no `pgfleet.toml` found in `{}` or any folder above it", start.display())]
    NotFound { start: PathBuf },

    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid TOML in {at}: {message}")]
    Syntax { at: Location, message: String },

    #[error("unknown key `{key}` in {at}")]
    UnknownKey {
        at: Location,
        key: String,
        expected: Vec<String>,
        suggestion: Option<String>,
    },

    #[error("invalid value for `{key}` in {at}: {message}")]
    InvalidValue {
        at: Location,
        key: String,
        message: String,
        hint: Option<String>,
    },

    #[error("variable `{name}` has no value, used by `{key}` in {at}")]
    MissingVariable {
        at: Location,
        key: String,
        name: String,
    },

    #[error("dotenv file `{}` line {line}: cannot parse `{content}`", path.display())]
    EnvFile {
        path: PathBuf,
        line: usize,
        content: String,
    },

    #[error("dependency cycle: {}", path.join(" -> "))]
    Cycle { path: Vec<String> },

    #[error("unknown {kind} `{name}` in `{key}` at {at}")]
    Unknown {
        at: Location,
        kind: &'static str,
        key: String,
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },

    #[error("the `{key}` folder `{}` does not exist ({at})", path.display())]
    MissingFolder {
        at: Location,
        key: String,
        path: PathBuf,
    },

    #[error(
        "logical databases `{first}` and `{second}` both own schema `{schema}` of database `{physical}` on server `{server}` in env `{env}`"
    )]
    SchemaOverlap {
        env: String,
        server: String,
        physical: String,
        schema: String,
        first: String,
        second: String,
    },

    #[error("unknown env `{name}`")]
    UnknownEnv {
        name: String,
        known: Vec<String>,
        suggestion: Option<String>,
    },

    #[error("no env selected and the manifest has {count} envs")]
    NoEnv { count: usize },

    #[error("env `{env}` places `{database}` on no server")]
    NoServer { env: String, database: String },
}

impl ManifestError {
    /// The next thing to do, printed as `hint:` under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            ManifestError::NotFound { .. } => Some(
                "run `pgfleet init` to write one, or pass `-C DIR` to point at a workspace".into(),
            ),
            ManifestError::UnknownKey {
                suggestion: Some(s),
                ..
            }
            | ManifestError::Unknown {
                suggestion: Some(s),
                ..
            }
            | ManifestError::UnknownEnv {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            ManifestError::UnknownKey { expected, .. } if !expected.is_empty() => {
                Some(format!("expected one of {}", backticked(expected)))
            }
            ManifestError::Unknown { known, kind, .. } => Some(if known.is_empty() {
                format!("the manifest declares no {kind}s")
            } else {
                format!("declared {kind}s: {}", backticked(known))
            }),
            ManifestError::UnknownEnv { known, .. } => {
                Some(format!("declared envs: {}", backticked(known)))
            }
            ManifestError::InvalidValue { hint, .. } => hint.clone(),
            ManifestError::MissingVariable { name, .. } => Some(format!(
                "set `{name}` in the environment or an `env_files` file, or write `${{{name}:-default}}`"
            )),
            ManifestError::Cycle { .. } => Some("remove one of these `depends_on` entries".into()),
            ManifestError::MissingFolder { .. } => Some(
                "create the folder, or fix the path (paths are relative to the workspace)".into(),
            ),
            ManifestError::SchemaOverlap { .. } => {
                Some("give one of them other `schemas`, or a `schema` placement in this env".into())
            }
            ManifestError::NoEnv { .. } => {
                Some("pass `--env NAME`, set `PGFLEET_ENV`, or set `workspace.default_env`".into())
            }
            ManifestError::NoServer { .. } => {
                Some("set `server` in the env, or in a per-database override".into())
            }
            _ => None,
        }
    }
}

/// Picks the candidate closest to `word`, if any is close enough to be a
/// plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_owned())
}

fn backticked(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let src = "a = 1\nbb = 2\n";
        let at = |o| Location::at("m.toml".into(), src, o);
        assert_eq!(at(0).to_string(), "m.toml:1:1");
        assert_eq!(at(6).to_string(), "m.toml:2:1");
        assert_eq!(at(8).to_string(), "m.toml:2:3");
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["depends_on", "migrations", "schemas"];
        assert_eq!(suggest("depend_on", keys).as_deref(), Some("depends_on"));
        assert_eq!(suggest("migration", keys).as_deref(), Some("migrations"));
        assert_eq!(suggest("zzz", keys), None);
    }
}
