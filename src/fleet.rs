//! A loaded workspace in one env: the manifest, its resolved topology, and
//! the way to reach each server.

use std::path::Path;

use crate::connect::{ConnInfo, ConnectError};
use crate::manifest::{self, Manifest, ManifestError, suggest};
use crate::server::{EmbeddedServer, ServerError};
use crate::topology::{self, Endpoint, Placement, Topology};

/// What can go wrong finding, loading and reaching a workspace's fleet.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error(transparent)]
    Connect(#[from] ConnectError),

    #[error(transparent)]
    Server(#[from] ServerError),

    #[error("unknown database `{name}` on the command line")]
    UnknownDatabase {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },

    #[error("embedded server `{server}` is not running")]
    NotRunning { server: String },

    #[error("cannot read the current folder: {source}")]
    CurrentDir {
        #[source]
        source: std::io::Error,
    },
}

impl FleetError {
    /// The next thing to do, printed as `hint:` under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            FleetError::Manifest(e) => e.hint(),
            FleetError::Connect(e) => e.hint(),
            FleetError::Server(e) => e.hint(),
            FleetError::UnknownDatabase {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            FleetError::UnknownDatabase { known, .. } => {
                Some(format!("the manifest declares: {}", known.join(", ")))
            }
            FleetError::NotRunning { .. } => {
                Some("start it with `pgfleet server start` (or `pgfleet up`)".into())
            }
            FleetError::CurrentDir { .. } => None,
        }
    }
}

type Result<T, E = FleetError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
pub struct Fleet {
    pub manifest: Manifest,
    pub topology: Topology,
}

/// How to find the workspace and env, as the global flags give them.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions<'a> {
    /// `-C DIR`; else the manifest is searched for from the current folder up.
    pub workspace: Option<&'a Path>,
    /// `--env` or `PGFLEET_ENV`.
    pub env: Option<&'a str>,
}

impl Fleet {
    /// Finds, loads and resolves the manifest.
    pub fn open(options: &OpenOptions<'_>) -> Result<Fleet> {
        let manifest = open_manifest(options)?;
        let env = topology::select_env(&manifest, options.env)?;
        let topology = topology::resolve(&manifest, &env)?;
        Ok(Fleet { manifest, topology })
    }

    /// [`Fleet::open`] for commands that never connect (`graph`): a `${VAR}` that has
    /// no value gets a stand-in instead of stopping the command, as `verify --offline`
    /// does. Returns the names that had none, for the caller to mention.
    pub fn open_offline(options: &OpenOptions<'_>) -> Result<(Fleet, Vec<String>)> {
        let manifest = open_manifest(options)?;
        let env = topology::select_env(&manifest, options.env)?;
        let first = match topology::resolve(&manifest, &env) {
            Ok(topology) => return Ok((Fleet { manifest, topology }, Vec::new())),
            Err(e @ manifest::ManifestError::MissingVariable { .. }) => e,
            Err(e) => return Err(e.into()),
        };
        let missing = topology::missing_variables(&manifest, &env, &first);
        let mut vars: std::collections::BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        for name in &missing {
            vars.insert(name.clone(), manifest::stand_in(name).to_owned());
        }
        // A stand-in that cannot work (a whole URL from one variable): the real error.
        let Ok(again) = manifest::load_with(&manifest.path, vars) else {
            return Err(first.into());
        };
        let Ok(topology) = topology::resolve(&again, &env) else {
            return Err(first.into());
        };
        Ok((
            Fleet {
                manifest: again,
                topology,
            },
            missing,
        ))
    }

    /// The placements named on the command line (all when `names` is
    /// empty), in dependency order; `with_dependencies` adds what they
    /// depend on.
    pub fn select(&self, names: &[String], with_dependencies: bool) -> Result<Vec<&Placement>> {
        for name in names {
            if !self.manifest.databases.contains_key(name) {
                let known: Vec<String> = self.manifest.order.clone();
                return Err(FleetError::UnknownDatabase {
                    name: name.clone(),
                    suggestion: suggest(name, known.iter().map(String::as_str)),
                    known,
                });
            }
        }
        if names.is_empty() {
            return Ok(self.topology.placements.iter().collect());
        }
        let mut wanted: std::collections::BTreeSet<&str> =
            names.iter().map(String::as_str).collect();
        if with_dependencies {
            let mut stack: Vec<&str> = wanted.iter().copied().collect();
            while let Some(name) = stack.pop() {
                for dep in &self.manifest.databases[name].depends_on {
                    if wanted.insert(dep) {
                        stack.push(dep);
                    }
                }
            }
        }
        Ok(self
            .topology
            .placements
            .iter()
            .filter(|p| wanted.contains(p.database.as_str()))
            .collect())
    }

    /// The embedded server called `name`, if this env uses one by that name.
    pub fn embedded(&self, name: &str) -> Option<EmbeddedServer> {
        match self.topology.servers.get(name)? {
            Endpoint::Embedded { root, port } => {
                Some(EmbeddedServer::new(name, root.clone(), *port))
            }
            Endpoint::Remote(_) => None,
        }
    }

    /// How to reach `server`'s maintenance database (the URL's own database,
    /// or `postgres` on an embedded server).
    pub fn server_conninfo(&self, server: &str) -> Result<ConnInfo> {
        match &self.topology.servers[server] {
            Endpoint::Remote(info) => Ok(info.as_ref().clone()),
            Endpoint::Embedded { root, port } => {
                let embedded = EmbeddedServer::new(server, root.clone(), *port);
                let port = match embedded.status()? {
                    crate::server::ServerStatus::Running { port, .. } => port,
                    crate::server::ServerStatus::Stopped { .. } => {
                        return Err(FleetError::NotRunning {
                            server: server.to_owned(),
                        });
                    }
                };
                Ok(ConnInfo::parse(&format!(
                    "postgresql://{}@127.0.0.1:{port}/postgres?sslmode=disable",
                    embedded.superuser()
                ))?)
            }
        }
    }

    /// `placement` moved to the physical database `physical` on the env's
    /// `shadow_server` (else its own server): where `drift` rebuilds it.
    pub fn shadow_placement(&self, placement: &Placement, physical: &str) -> Placement {
        Placement {
            server: self
                .topology
                .shadow_server
                .clone()
                .unwrap_or_else(|| placement.server.clone()),
            physical: physical.to_owned(),
            ..placement.clone()
        }
    }

    /// How to reach the physical database of `placement`.
    pub fn conninfo(&self, placement: &Placement) -> Result<ConnInfo> {
        Ok(self
            .server_conninfo(&placement.server)?
            .with_dbname(&placement.physical))
    }
}

/// Finds and loads the manifest without resolving an env (for commands such
/// as `server` that need no placements).
pub fn open_manifest(options: &OpenOptions<'_>) -> Result<Manifest> {
    // `-C` names the workspace itself: no walking up from there.
    let path = if let Some(dir) = options.workspace {
        let file = dir.join(manifest::FILE_NAME);
        if !file.is_file() {
            return Err(manifest::ManifestError::NotFound {
                start: dir.to_path_buf(),
            }
            .into());
        }
        file
    } else {
        let here = std::env::current_dir().map_err(|source| FleetError::CurrentDir { source })?;
        manifest::find(&here)?
    };
    Ok(manifest::load(&path)?)
}

/// Every embedded server the manifest declares, in name order.
pub fn embedded_servers(manifest: &Manifest) -> Vec<EmbeddedServer> {
    manifest
        .servers
        .values()
        .filter_map(|s| match s.kind {
            manifest::ServerKind::Embedded { port } => Some(EmbeddedServer::new(
                &s.name,
                manifest.root.join(".pgfleet").join(&s.name),
                port,
            )),
            manifest::ServerKind::Url(_) => None,
        })
        .collect()
}
