//! Who the server runs as. PostgreSQL refuses to run as root (`initdb` and `pg_ctl` both
//! check), and CI runs as root with no `sudo`, so as root we run them as an unprivileged
//! user through `CommandExt::uid/gid` (POSTGRES-NOTES.md section 6, SPEC "Embedded server
//! as root").

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::{ServerError, io_err};

/// The default user to run the server as when pgfleet runs as root.
pub const DEFAULT_SERVER_USER: &str = "postgres";

/// The resolved identity the server processes run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl ServerUser {
    /// Looks up a user by name.
    pub fn lookup(name: &str) -> Result<ServerUser, ServerError> {
        let user = nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .ok_or_else(|| ServerError::UnknownUser {
                name: name.to_string(),
            })?;
        if user.uid.is_root() {
            return Err(ServerError::RootServerUser {
                name: name.to_string(),
            });
        }
        Ok(ServerUser {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    /// Looks up a user by uid (to stop a server as whoever owns its data folder).
    pub fn from_uid(uid: u32) -> Result<ServerUser, ServerError> {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .ok_or_else(|| ServerError::UnknownUser {
                name: format!("#{uid}"),
            })?;
        Ok(ServerUser {
            name: user.name,
            uid,
            gid: user.gid.as_raw(),
        })
    }

    /// The user's home folder, handed to the child as `HOME` (`/` when unknown), so
    /// nothing in the child tries root's home, which it cannot read.
    pub fn home(&self) -> PathBuf {
        nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(self.uid))
            .ok()
            .flatten()
            .map_or_else(|| PathBuf::from("/"), |u| u.dir)
    }
}

/// True when this process runs as root and must hand the server to another user.
pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The user to run the server as: `None` when not root (run as ourselves), otherwise
/// `explicit`, else `PGFLEET_SERVER_USER`, else `postgres`.
pub fn resolve_server_user(explicit: Option<&str>) -> Result<Option<ServerUser>, ServerError> {
    if !running_as_root() {
        return Ok(None);
    }
    let from_env = std::env::var("PGFLEET_SERVER_USER")
        .ok()
        .filter(|s| !s.is_empty());
    let name = explicit
        .map(str::to_string)
        .or(from_env)
        .unwrap_or_else(|| DEFAULT_SERVER_USER.to_string());
    ServerUser::lookup(&name).map(Some)
}

/// Checks that `user` can traverse every folder from `/` down to `path` (inclusive, for
/// the parts that exist), and returns the first one that blocks it.
///
/// Only the primary group counts: std drops supplementary groups when it switches uid
/// (it calls `setgroups(0, NULL)`), so the child has no others.
pub fn check_reachable(path: &Path, user: &ServerUser) -> Result<(), ServerError> {
    let mut folders: Vec<&Path> = path.ancestors().collect();
    folders.reverse();
    for folder in folders {
        let meta = match std::fs::metadata(folder) {
            Ok(m) => m,
            // Not created yet: we will create it ourselves and chown what we create.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(folder)(e)),
        };
        let mode = meta.mode();
        let can = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can {
            return Err(ServerError::UnreachableFolder {
                folder: folder.to_path_buf(),
                user: user.name.clone(),
            });
        }
    }
    Ok(())
}

/// Gives `path` to `user` (not recursive: we chown only what we created).
pub fn chown_to(path: &Path, user: &ServerUser) -> Result<(), ServerError> {
    let meta = std::fs::symlink_metadata(path).map_err(io_err(path))?;
    if meta.uid() == user.uid && meta.gid() == user.gid {
        return Ok(());
    }
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn nobody_like() -> ServerUser {
        // A uid/gid no file here belongs to, so only the "other" bits count.
        ServerUser {
            name: "somebody".into(),
            uid: 64_999,
            gid: 64_999,
        }
    }

    #[test]
    fn blocked_ancestor_is_named_with_the_chmod_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let blocked = tmp.path().join("private");
        let root = blocked.join("ws/.pgfleet/main");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&blocked, std::fs::Permissions::from_mode(0o700)).unwrap();

        let err = check_reachable(&root, &nobody_like()).unwrap_err();
        match &err {
            ServerError::UnreachableFolder { folder, user } => {
                assert_eq!(folder, &blocked);
                assert_eq!(user, "somebody");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("user `somebody` cannot reach `{}`", blocked.display())
        );
        assert_eq!(
            err.hint().unwrap(),
            format!("chmod o+x {}", blocked.display())
        );

        std::fs::set_permissions(&blocked, std::fs::Permissions::from_mode(0o701)).unwrap();
        check_reachable(&root, &nobody_like()).unwrap();
    }

    #[test]
    fn owner_and_group_bits_count_for_owner_and_group() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let meta = std::fs::metadata(&dir).unwrap();
        let owner = ServerUser {
            uid: meta.uid(),
            gid: 64_999,
            ..nobody_like()
        };
        let group = ServerUser {
            uid: 64_999,
            gid: meta.gid(),
            ..nobody_like()
        };
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        check_reachable(&dir, &owner).unwrap();
        assert!(check_reachable(&dir, &group).is_err());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o710)).unwrap();
        check_reachable(&dir, &group).unwrap();
    }

    #[test]
    fn missing_tail_of_the_path_is_fine() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        check_reachable(&tmp.path().join("not/yet/there"), &nobody_like()).unwrap();
    }

    #[test]
    fn unknown_user_is_named() {
        let err = ServerUser::lookup("pgfleet-no-such-user").unwrap_err();
        assert_eq!(
            err.to_string(),
            "user `pgfleet-no-such-user` does not exist"
        );
        assert!(err.hint().unwrap().contains("PGFLEET_SERVER_USER"));
        assert!(matches!(
            ServerUser::lookup("root"),
            Err(ServerError::RootServerUser { .. })
        ));
    }
}
