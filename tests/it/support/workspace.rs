//! Throwaway workspaces: a temporary folder with a `pgfleet.toml` and
//! whatever files a test adds.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::Pgfleet;

pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("pgfleet-it-")
            .tempdir()
            .expect("a temp folder");
        // The embedded server runs as `postgres` when tests run as root: it
        // must be able to enter the workspace.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        Workspace { dir }
    }

    pub fn with_manifest(text: &str) -> Workspace {
        let ws = Workspace::new();
        ws.write("pgfleet.toml", text);
        ws
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Workspace {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
        self
    }

    pub fn mkdir(&self, rel: &str) -> &Workspace {
        std::fs::create_dir_all(self.join(rel)).expect("mkdir");
        self
    }

    /// `pgfleet` running in this workspace.
    pub fn pgfleet(&self) -> Pgfleet {
        Pgfleet::new().current_dir(self.path())
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // Stop any embedded server a test left running here, so the folder
        // can go and no postgres outlives the test.
        for server in std::fs::read_dir(self.join(".pgfleet"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if server.path().join("data/postmaster.pid").exists() {
                super::cluster::stop_server(&server.path());
            }
        }
    }
}

/// Copies a folder tree (leaving out `.pgfleet`).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".pgfleet" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fixture folder under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

impl Workspace {
    /// Copies fixture `rel` into the workspace at `to`.
    pub fn fixture(&self, rel: &str, to: &str) -> &Workspace {
        copy_dir(&fixture(rel), &self.join(to));
        self
    }
}
