//! Keeping the embedded servers' folder out of git: `up` and `init` make sure the
//! workspace's `.pgfleet/` (clusters, logs, backups) is ignored by the repository it
//! sits in, so nobody commits a database by accident.
//!
//! The nearest `.gitignore` from the workspace up to the repository's root is the one
//! written to; when none of them ignores `.pgfleet/` yet, the line is appended to the
//! nearest (or a new `.gitignore` beside `pgfleet.toml`). Outside a git repository
//! nothing is written.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The line written.
const LINE: &str = ".pgfleet/";

/// Makes git ignore `<workspace>/.pgfleet/`; returns the `.gitignore` it changed or
/// created, `None` when nothing needed doing (already ignored, or not in a repository).
pub fn ignore_pgfleet_dir(workspace: &Path) -> std::io::Result<Option<PathBuf>> {
    let target = workspace.join(".pgfleet");
    let mut nearest: Option<PathBuf> = None;
    let mut in_repository = false;
    for dir in workspace.ancestors() {
        let file = dir.join(".gitignore");
        if file.is_file() {
            let (rules, _) = ignore::gitignore::Gitignore::new(&file);
            if rules.matched_path_or_any_parents(&target, true).is_ignore() {
                return Ok(None);
            }
            nearest.get_or_insert(file);
        }
        if dir.join(".git").exists() {
            in_repository = true;
            break;
        }
    }
    if !in_repository {
        return Ok(None);
    }
    let file = nearest.unwrap_or_else(|| workspace.join(".gitignore"));
    // A pattern relative to the file's folder when the workspace is below it.
    let base = file.parent().unwrap_or(workspace);
    let line = match workspace.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => LINE.to_owned(),
        Ok(rel) => format!("/{}/{LINE}", rel.display()),
        Err(_) => LINE.to_owned(),
    };
    let existing = std::fs::read_to_string(&file).unwrap_or_default();
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)?;
    if !existing.is_empty() && !existing.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    writeln!(out, "{line}")?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn appends_to_the_nearest_gitignore_once() {
        let dir = repo(&[
            (".git/HEAD", "ref: refs/heads/main\n"),
            (".gitignore", "/target"),
            ("services/pgfleet.toml", ""),
        ]);
        let ws = dir.path().join("services");
        let written = ignore_pgfleet_dir(&ws).unwrap();
        assert_eq!(written, Some(dir.path().join(".gitignore")));
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "/target\n/services/.pgfleet/\n"
        );
        assert_eq!(ignore_pgfleet_dir(&ws).unwrap(), None);
    }

    #[test]
    fn already_ignored_or_outside_a_repository_writes_nothing() {
        let ignored = repo(&[(".git/HEAD", ""), (".gitignore", ".pgfleet\n")]);
        assert_eq!(ignore_pgfleet_dir(ignored.path()).unwrap(), None);
        let loose = repo(&[("pgfleet.toml", "")]);
        assert_eq!(ignore_pgfleet_dir(loose.path()).unwrap(), None);
        assert!(!loose.path().join(".gitignore").exists());
        // A repository with no .gitignore: one is made beside the manifest.
        let bare = repo(&[(".git/HEAD", "")]);
        assert_eq!(
            ignore_pgfleet_dir(bare.path()).unwrap(),
            Some(bare.path().join(".gitignore"))
        );
        assert_eq!(
            std::fs::read_to_string(bare.path().join(".gitignore")).unwrap(),
            ".pgfleet/\n"
        );
    }
}
