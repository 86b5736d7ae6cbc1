//! `pgfleet env --write`: keeping the services' `.env` files pointed at the
//! env's databases.
//!
//! Each `[services.NAME]` names a file and the variables in it that hold a
//! logical database's URL ([`crate::manifest::Service`]). Every URL is worked
//! out and every file read and updated in memory ([`update`], pure) before the
//! first one is written, so a server that cannot be reached or a missing
//! folder leaves every file as it was. A file is written only when its text
//! changes, through a temporary file in the same folder and a rename, keeping
//! its permissions; a new file gets mode 0600, since it holds passwords.

mod style;
mod update;

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

pub use style::styled_url;
pub use update::{KeyChange, Updated, update};

use crate::fleet::{Fleet, FleetError};
use crate::manifest::{Manifest, Service, suggest};

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("the folder `{}` for service `{service}`'s `env_file` does not exist", folder.display())]
    MissingFolder { service: String, folder: PathBuf },

    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("unknown service `{name}` on the command line")]
    UnknownService {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },

    #[error("the manifest declares no services")]
    NoServices,

    /// Reaching a service's databases.
    #[error(transparent)]
    Fleet(#[from] FleetError),
}

type Result<T, E = EnvFileError> = std::result::Result<T, E>;

impl EnvFileError {
    pub fn hint(&self) -> Option<String> {
        match self {
            EnvFileError::MissingFolder { service, .. } => Some(format!(
                "create the folder, or fix `services.{service}.env_file` (paths are relative to the workspace)"
            )),
            EnvFileError::UnknownService {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            EnvFileError::UnknownService { known, .. } => Some(format!(
                "declared services: {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            EnvFileError::NoServices => Some(
                "add `[services.NAME]` with `env_file = \"...\"` and `[services.NAME.vars]` to `pgfleet.toml`"
                    .into(),
            ),
            EnvFileError::Fleet(e) => e.hint(),
            EnvFileError::Read { .. } | EnvFileError::Write { .. } => None,
        }
    }
}

/// What `env --write` did to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Created,
    Updated,
    Unchanged,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Created => "created",
            FileStatus::Updated => "updated",
            FileStatus::Unchanged => "unchanged",
        }
    }
}

/// One service's file after `env --write`. Holds no values: they hold
/// passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub service: String,
    /// The file, absolute.
    pub path: PathBuf,
    pub status: FileStatus,
    /// Every variable the manifest lists for the service, in its order.
    pub keys: Vec<(String, KeyChange)>,
    /// The copy of the file as it was before pgfleet first changed it, when
    /// this run made it (`.env.pgfleet-bak`).
    pub backup: Option<PathBuf>,
}

/// The suffix of the copy `env --write` keeps of a file before its first change.
pub const BACKUP_SUFFIX: &str = ".pgfleet-bak";

/// Copies `path` to `path.pgfleet-bak` unless that copy exists already: the
/// file as the developer wrote it is kept once, never overwritten by a later
/// run's version. Returns the copy when this call made it.
fn keep_original(path: &Path) -> Result<Option<PathBuf>, EnvFileError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(BACKUP_SUFFIX);
    let backup = path.with_file_name(name);
    if backup.exists() {
        return Ok(None);
    }
    let text = fs::read(path).map_err(|source| EnvFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    write_temp(&backup, &String::from_utf8_lossy(&text), permissions).map_err(|source| {
        EnvFileError::Write {
            path: backup.clone(),
            source,
        }
    })?;
    Ok(Some(backup))
}

/// The services named (all when `names` is empty), in name order.
pub fn select<'a>(manifest: &'a Manifest, names: &[String]) -> Result<Vec<&'a Service>> {
    if manifest.services.is_empty() {
        return Err(EnvFileError::NoServices);
    }
    for name in names {
        if !manifest.services.contains_key(name) {
            let known: Vec<String> = manifest.services.keys().cloned().collect();
            return Err(EnvFileError::UnknownService {
                name: name.clone(),
                suggestion: suggest(name, known.iter().map(String::as_str)),
                known,
            });
        }
    }
    Ok(manifest
        .services
        .values()
        .filter(|s| names.is_empty() || names.contains(&s.name))
        .collect())
}

/// Writes the `.env` file of every service named (all when `names` is
/// empty) with the fleet's env's URLs. `permit`: the safety rule said yes for this env
/// ([`crate::safety::check`]).
pub fn write(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    names: &[String],
) -> Result<Vec<FileReport>> {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
    let mut planned = Vec::new();
    for service in select(&fleet.manifest, names)? {
        let mut wanted = Vec::with_capacity(service.vars.len());
        for (var, database) in &service.vars {
            // The manifest checked every service's databases; this only
            // guards against a topology built some other way.
            let placement =
                fleet
                    .topology
                    .placement(database)
                    .ok_or_else(|| FleetError::UnknownDatabase {
                        name: database.clone(),
                        suggestion: None,
                        known: fleet.manifest.order.clone(),
                    })?;
            let info = fleet.conninfo(placement)?;
            wanted.push((var.clone(), styled_url(&info, placement, service.url_style)));
        }
        planned.push((service, plan_file(service, &wanted)?));
    }
    let mut reports = Vec::with_capacity(planned.len());
    for (service, (path, old, updated)) in planned {
        let status = match &old {
            None => FileStatus::Created,
            Some(_) if updated.changed => FileStatus::Updated,
            Some(_) => FileStatus::Unchanged,
        };
        let mut backup = None;
        if status == FileStatus::Updated {
            backup = keep_original(&path)?;
        }
        if status != FileStatus::Unchanged {
            write_atomically(&path, &updated.text, old.is_some())?;
        }
        reports.push(FileReport {
            service: service.name.clone(),
            path,
            status,
            keys: updated.keys,
            backup,
        });
    }
    Ok(reports)
}

/// The file to write (a symlink's target), its text now (`None` when there
/// is no file) and its new text.
fn plan_file(
    service: &Service,
    wanted: &[(String, String)],
) -> Result<(PathBuf, Option<String>, Updated), EnvFileError> {
    let folder = service
        .env_file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    if !folder.is_dir() {
        return Err(EnvFileError::MissingFolder {
            service: service.name.clone(),
            folder,
        });
    }
    // Writing through a symlink must replace its target, not the link.
    let path = fs::canonicalize(&service.env_file).unwrap_or_else(|_| service.env_file.clone());
    let old = match fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| EnvFileError::Read {
            path: path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"),
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(EnvFileError::Read { path, source }),
    };
    let updated = update(old.as_deref().unwrap_or(""), wanted);
    Ok((path, old, updated))
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`, so a reader sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str, exists: bool) -> Result<(), EnvFileError> {
    let err = |source| EnvFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map_or_else(|| ".env".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.pgfleet-{}.tmp", std::process::id()));
    let permissions = if exists {
        Some(fs::metadata(path).map_err(err)?.permissions())
    } else {
        None
    };
    let result = write_temp(&temp, text, permissions).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(err)
}

/// A new file at `temp` holding `text`, flushed to disk, with `permissions`
/// (else 0600).
fn write_temp(temp: &Path, text: &str, permissions: Option<fs::Permissions>) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)?;
    if let Some(permissions) = permissions {
        file.set_permissions(permissions)?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn writes_new_files_0600_and_keeps_an_existing_mode() {
        let dir = std::env::temp_dir().join(format!("pgfleet-envfile-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let new = dir.join("new.env");
        write_atomically(&new, "A=1\n", false).unwrap();
        assert_eq!(fs::read_to_string(&new).unwrap(), "A=1\n");
        assert_eq!(
            fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let old = dir.join("old.env");
        fs::write(&old, "B=1\n").unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&old, "B=2\n", true).unwrap();
        assert_eq!(fs::read_to_string(&old).unwrap(), "B=2\n");
        assert_eq!(
            fs::metadata(&old).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let left: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file is left behind");
        fs::remove_dir_all(&dir).unwrap();
    }
}
