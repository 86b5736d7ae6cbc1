//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`) in one folder.
//!
//! They must come from the same folder: mixing an `initdb` from one major with a `pg_ctl`
//! from another makes clusters the server refuses. Debian installs them only under
//! `/usr/lib/postgresql/<major>/bin` (not on `PATH`), Homebrew under
//! `opt/postgresql@<major>/bin`, Postgres.app under `Versions/<major>/bin`
//! (POSTGRES-NOTES.md section 6), so those are searched after `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::ServerError;

/// The binaries the embedded server needs, all in `bindir`.
pub const REQUIRED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// A folder holding `initdb`, `pg_ctl` and `postgres`, and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    pub bindir: PathBuf,
    /// The version `postgres --version` reports, e.g. `15.20` or `17beta1`.
    pub version: String,
    /// The major version, e.g. 15.
    pub major: u32,
}

impl Binaries {
    /// The path of one binary in `bindir`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

/// Finds the binaries using the process environment.
pub fn find_binaries() -> Result<Binaries, ServerError> {
    find_binaries_with(&|key| std::env::var(key).ok())
}

/// Finds the binaries, reading `PGFLEET_PG_BIN` and `PATH` through `env` (so tests need not
/// touch the process environment).
///
/// Order: `PGFLEET_PG_BIN` (when set, the only folder looked at), `pg_config --bindir`,
/// each `PATH` entry, `/usr/lib/postgresql/*/bin`, `/usr/local/opt/postgresql@*/bin`,
/// `/opt/homebrew/opt/postgresql@*/bin`, `/opt/homebrew/bin`,
/// `/Applications/Postgres.app/Contents/Versions/*/bin`; within each globbed pattern the
/// newest major comes first.
pub fn find_binaries_with(env: &dyn Fn(&str) -> Option<String>) -> Result<Binaries, ServerError> {
    if let Some(dir) = env("PGFLEET_PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_all(&dir) {
            return probe(&dir);
        }
        return Err(ServerError::BinariesNotFound {
            searched: vec![dir.clone()],
            from_env: Some(dir),
        });
    }

    let candidates = candidate_dirs(env);
    let mut searched: Vec<PathBuf> = Vec::new();
    for dir in candidates {
        if searched.contains(&dir) {
            continue;
        }
        if has_all(&dir) {
            tracing::debug!(bindir = %dir.display(), "found PostgreSQL binaries");
            return probe(&dir);
        }
        searched.push(dir);
    }
    Err(ServerError::BinariesNotFound {
        searched,
        from_env: None,
    })
}

/// Where PostgreSQL binaries may be, in the order searched (without
/// `PGFLEET_PG_BIN`): `pg_config --bindir`, each `PATH` entry, then the usual
/// install folders, newest major first.
fn candidate_dirs(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let path_var = env("PATH");
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = pg_config_bindir(path_var.as_deref()) {
        candidates.push(dir);
    }
    if let Some(path) = &path_var {
        candidates.extend(std::env::split_paths(path).filter(|p| !p.as_os_str().is_empty()));
    }
    candidates.extend(glob_majors(Path::new("/usr/lib/postgresql"), "", "bin"));
    candidates.extend(glob_majors(
        Path::new("/usr/local/opt"),
        "postgresql@",
        "bin",
    ));
    candidates.extend(glob_majors(
        Path::new("/opt/homebrew/opt"),
        "postgresql@",
        "bin",
    ));
    candidates.push(PathBuf::from("/opt/homebrew/bin"));
    candidates.extend(glob_majors(
        Path::new("/Applications/Postgres.app/Contents/Versions"),
        "",
        "bin",
    ));
    candidates
}

/// A client tool such as `pg_dump`, and the version it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub path: PathBuf,
    pub version: String,
    pub major: u32,
}

/// Finds client tool `name` (e.g. `pg_dump`) whose major version is at least
/// `min_major` (a dump tool must be as new as the server it reads), in the
/// same places as the server binaries; `PGFLEET_PG_BIN`, when set, is the
/// only place looked at.
pub fn find_tool(name: &str, min_major: u32) -> Result<Tool, ServerError> {
    let env = |key: &str| std::env::var(key).ok();
    let candidates = match env("PGFLEET_PG_BIN").filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => candidate_dirs(&env),
    };
    let mut found: Vec<Tool> = Vec::new();
    for dir in candidates {
        let path = dir.join(name);
        if !path.is_file() || found.iter().any(|t| t.path == path) {
            continue;
        }
        let Ok(out) = Command::new(&path)
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .output()
        else {
            continue;
        };
        if let Some((version, major)) = parse_version(&String::from_utf8_lossy(&out.stdout)) {
            if major >= min_major {
                return Ok(Tool {
                    path,
                    version,
                    major,
                });
            }
            found.push(Tool {
                path,
                version,
                major,
            });
        }
    }
    Err(ServerError::ToolNotFound {
        tool: name.to_owned(),
        needed_major: min_major,
        too_old: found.into_iter().map(|t| (t.path, t.version)).collect(),
    })
}

/// True when `dir` holds all of [`REQUIRED`] as regular files.
fn has_all(dir: &Path) -> bool {
    REQUIRED.iter().all(|name| dir.join(name).is_file())
}

/// Asks `pg_config` (found on `path`) for its bindir. On Debian `/usr/bin/pg_config` is a
/// wrapper that answers with the newest installed major's folder.
fn pg_config_bindir(path: Option<&str>) -> Option<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let pg_config = which::which_in("pg_config", path, cwd).ok()?;
    let out = Command::new(&pg_config)
        .arg("--bindir")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// Expands `<parent>/<prefix>*/<sub>`, newest major first; entries whose `*` part does
/// not start with a number (Postgres.app's `latest`) go last, in name order.
fn glob_majors(parent: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Option<u32>, String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(prefix)?;
            let major = leading_number(rest);
            Some((major, name.clone(), e.path().join(sub)))
        })
        .collect();
    // Newest first: sort by major descending, unnumbered last, then by name for stability.
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found.into_iter().map(|(_, _, p)| p).collect()
}

fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Runs `postgres --version` in `dir` and builds the [`Binaries`].
fn probe(dir: &Path) -> Result<Binaries, ServerError> {
    let postgres = dir.join("postgres");
    let out = Command::new(&postgres)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| ServerError::Spawn {
            command: format!("{} --version", postgres.display()),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parsed = out.status.success().then(|| parse_version(&text)).flatten();
    match parsed {
        Some((version, major)) => Ok(Binaries {
            bindir: dir.to_path_buf(),
            version,
            major,
        }),
        None => Err(ServerError::VersionUnknown {
            binary: postgres,
            output: format!("{}{}", text, String::from_utf8_lossy(&out.stderr))
                .trim()
                .to_string(),
        }),
    }
}

/// Parses `postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` into `("15.20", 15)`.
/// The version is the first word starting with a digit; the major its leading number
/// (so `9.6.24` gives 9 and `17beta1` gives 17).
pub fn parse_version(output: &str) -> Option<(String, u32)> {
    let word = output
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let version = word.trim_end_matches([',', ')']).to_string();
    let major = leading_number(&version)?;
    Some((version, major))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let cases = [
            (
                "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n",
                Some(("15.20", 15)),
            ),
            ("postgres (PostgreSQL) 16.4\n", Some(("16.4", 16))),
            ("postgres (PostgreSQL) 17beta1", Some(("17beta1", 17))),
            ("postgres (PostgreSQL) 18devel", Some(("18devel", 18))),
            ("postgres (PostgreSQL) 9.6.24", Some(("9.6.24", 9))),
            (
                "postgres (PostgreSQL) 14.11 (Homebrew)",
                Some(("14.11", 14)),
            ),
            ("garbage", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = parse_version(input);
            assert_eq!(
                got.as_ref().map(|(v, m)| (v.as_str(), *m)),
                want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn pg_bin_pointing_nowhere_is_an_error_naming_variable_and_folder() {
        let env = |key: &str| (key == "PGFLEET_PG_BIN").then(|| "/nowhere".to_string());
        let err = find_binaries_with(&env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PostgreSQL binaries not found in `/nowhere` (from PGFLEET_PG_BIN)"
        );
        assert!(matches!(
            &err,
            ServerError::BinariesNotFound { from_env: Some(d), searched } if d == Path::new("/nowhere") && searched.len() == 1
        ));
        assert!(err.hint().unwrap().contains("PGFLEET_PG_BIN"));
    }

    #[test]
    fn pg_bin_with_only_some_binaries_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pg_ctl"), "").unwrap();
        let path = dir.path().to_string_lossy().into_owned();
        let env = |key: &str| (key == "PGFLEET_PG_BIN").then(|| path.clone());
        let err = find_binaries_with(&env).unwrap_err();
        assert!(err.to_string().contains(&path), "{err}");
    }

    #[test]
    fn not_found_hint_says_how_to_install() {
        let err = ServerError::BinariesNotFound {
            searched: vec![PathBuf::from("/a"), PathBuf::from("/b")],
            from_env: None,
        };
        assert!(err.to_string().contains("\n  /a\n  /b"), "{err}");
        let hint = err.hint().unwrap();
        assert!(hint.contains("apt-get install postgresql"));
        assert!(hint.contains("brew install postgresql@16"));
        assert!(hint.contains("Postgres.app"));
    }

    #[test]
    fn glob_sorts_newest_major_first() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "postgresql@9",
            "postgresql@16",
            "postgresql@14",
            "other",
            "postgresql@latest",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let got: Vec<String> = glob_majors(dir.path(), "postgresql@", "bin")
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "postgresql@16/bin",
                "postgresql@14/bin",
                "postgresql@9/bin",
                "postgresql@latest/bin"
            ]
        );
    }

    /// Uses the PostgreSQL installed on this machine, when there is one.
    #[test]
    fn finds_installed_binaries() {
        let Ok(bins) = find_binaries() else { return };
        assert!(bins.major >= 9);
        assert!(bins.version.starts_with(&bins.major.to_string()));
        assert!(has_all(&bins.bindir));
    }
}
