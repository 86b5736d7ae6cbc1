//! (manifest, env) -> where every logical database lives: its server, its
//! physical database, its schema, and the order to visit them in.
//!
//! Resolving an env is where its server URLs and placement templates are
//! expanded, so a variable only another env needs is never asked for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::connect::ConnInfo;
use crate::manifest::{Manifest, ManifestError, ServerKind, raw::Text, suggest};

/// The env used when the manifest declares none: every database in its own
/// physical database on the only server.
pub const IMPLICIT_ENV: &str = "dev";

#[derive(Debug, Clone)]
pub struct Topology {
    pub env: String,
    /// Why the env is protected, or `None` when it is not.
    pub protected: Option<Protection>,
    /// The servers this env uses, by name.
    pub servers: BTreeMap<String, Endpoint>,
    /// Every logical database, in dependency order.
    pub placements: Vec<Placement>,
    /// `shadow_server` of the env: where `drift` builds shadow databases
    /// (also in `servers`); `None`: each database's own server.
    pub shadow_server: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    /// `protected = true` in the env.
    Declared,
    /// The env uses a server that is not on loopback or a unix socket.
    RemoteServer(String),
}

#[derive(Debug, Clone)]
pub enum Endpoint {
    /// Run by pgfleet under `<workspace>/.pgfleet/<name>`.
    Embedded {
        root: PathBuf,
        port: Option<u16>,
    },
    Remote(Box<ConnInfo>),
}

/// Where one logical database lives in one env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub database: String,
    pub server: String,
    pub physical: String,
    /// The `schema` the placement sets, if any.
    pub schema: Option<String>,
    /// The schemas this database owns here: the placement's schema, or the
    /// database's `schemas`.
    pub owned_schemas: Vec<String>,
    /// `search_path` for its migrations and seeds, when a placement schema
    /// moves it out of the default.
    pub search_path: Option<String>,
}

/// Picks the env: `requested` (from `--env` or `PGFLEET_ENV`), then
/// `workspace.default_env`, then `dev` when it exists or no env is declared,
/// then the only env.
pub fn select_env(manifest: &Manifest, requested: Option<&str>) -> Result<String, ManifestError> {
    let known: Vec<String> = manifest.envs.keys().cloned().collect();
    if let Some(name) = requested {
        if manifest.envs.contains_key(name) || (known.is_empty() && name == IMPLICIT_ENV) {
            return Ok(name.to_owned());
        }
        return Err(ManifestError::UnknownEnv {
            name: name.to_owned(),
            suggestion: suggest(name, known.iter().map(String::as_str)),
            known,
        });
    }
    if let Some(default) = &manifest.default_env {
        return Ok(default.clone());
    }
    if known.is_empty() || manifest.envs.contains_key(IMPLICIT_ENV) {
        return Ok(IMPLICIT_ENV.to_owned());
    }
    match known.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(ManifestError::NoEnv { count: known.len() }),
    }
}

/// Resolves every placement of `env`.
pub fn resolve(manifest: &Manifest, env: &str) -> Result<Topology, ManifestError> {
    let declared = manifest.envs.get(env);
    let only_server = match manifest.servers.keys().collect::<Vec<_>>().as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    };
    let mut placements = Vec::with_capacity(manifest.order.len());
    for name in &manifest.order {
        let db = &manifest.databases[name];
        let over = declared.and_then(|e| e.overrides.get(name));
        let pick = |o: Option<&Text>, e: Option<&Text>| o.or(e).cloned();
        let server_key = format!("envs.{env}.server");
        let server = match pick(
            over.and_then(|o| o.server.as_ref()),
            declared.and_then(|e| e.server.as_ref()),
        ) {
            Some(s) => manifest.expand(&server_key, &s)?,
            None => only_server.clone().ok_or_else(|| ManifestError::NoServer {
                env: env.to_owned(),
                database: name.clone(),
            })?,
        };
        let vars = [("name", name.as_str()), ("env", env)];
        let physical = match pick(
            over.and_then(|o| o.database.as_ref()),
            declared.and_then(|e| e.database.as_ref()),
        ) {
            Some(t) => render(manifest, &format!("envs.{env}.database"), &t, &vars)?,
            None => name.clone(),
        };
        let schema = pick(
            over.and_then(|o| o.schema.as_ref()),
            declared.and_then(|e| e.schema.as_ref()),
        )
        .map(|t| render(manifest, &format!("envs.{env}.schema"), &t, &vars))
        .transpose()?;
        let owned_schemas = schema
            .clone()
            .map_or_else(|| db.schemas.clone(), |s| vec![s]);
        let search_path = schema.as_ref().map(|s| {
            if s == "public" {
                crate::connect::quote_ident(s)
            } else {
                format!("{}, public", crate::connect::quote_ident(s))
            }
        });
        placements.push(Placement {
            database: name.clone(),
            server,
            physical,
            schema,
            owned_schemas,
            search_path,
        });
    }

    let shadow_server = declared
        .and_then(|e| e.shadow_server.as_ref())
        .map(|s| manifest.expand(&format!("envs.{env}.shadow_server"), s))
        .transpose()?;
    let mut servers = BTreeMap::new();
    for name in placements
        .iter()
        .map(|p| p.server.clone())
        .chain(shadow_server.clone())
        .collect::<BTreeSet<_>>()
    {
        let server = &manifest.servers[&name];
        let endpoint = match &server.kind {
            ServerKind::Embedded { port } => Endpoint::Embedded {
                root: manifest.root.join(".pgfleet").join(&name),
                port: *port,
            },
            ServerKind::Url(url) => {
                let key = format!("servers.{name}.url");
                let text = manifest.expand(&key, url)?;
                let info = ConnInfo::parse(&text).map_err(|e| ManifestError::InvalidValue {
                    at: manifest.locate(url.span().start),
                    key,
                    message: e.to_string(),
                    hint: Some(
                        "use `postgresql://user@host:port/database` or a libpq `key=value` string"
                            .into(),
                    ),
                })?;
                Endpoint::Remote(Box::new(info))
            }
        };
        servers.insert(name, endpoint);
    }
    check_overlaps(env, &placements)?;

    let protected = match declared.and_then(|e| e.protected) {
        Some(true) => Some(Protection::Declared),
        Some(false) => None,
        None => servers.iter().find_map(|(name, endpoint)| match endpoint {
            Endpoint::Remote(info) if !info.is_loopback() => {
                Some(Protection::RemoteServer(name.clone()))
            }
            _ => None,
        }),
    };
    Ok(Topology {
        env: env.to_owned(),
        protected,
        servers,
        placements,
        shadow_server,
    })
}

/// Logical databases in one physical database must own disjoint schemas.
fn check_overlaps(env: &str, placements: &[Placement]) -> Result<(), ManifestError> {
    let mut owners: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for p in placements {
        for schema in &p.owned_schemas {
            if let Some(first) = owners.insert((&p.server, &p.physical, schema), &p.database) {
                return Err(ManifestError::SchemaOverlap {
                    env: env.to_owned(),
                    server: p.server.clone(),
                    physical: p.physical.clone(),
                    schema: schema.clone(),
                    first: first.to_owned(),
                    second: p.database.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Expands `${VAR}`s, then `{name}` and `{env}`; any other `{...}` is an error.
fn render(
    manifest: &Manifest,
    key: &str,
    text: &Text,
    vars: &[(&str, &str)],
) -> Result<String, ManifestError> {
    let expanded = manifest.expand(key, text)?;
    let mut out = String::with_capacity(expanded.len());
    let mut rest = expanded.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map(|c| open + c);
        let placeholder = close.map(|c| &rest[open + 1..c]);
        match placeholder.and_then(|p| vars.iter().find(|(k, _)| *k == p)) {
            Some((_, value)) => out.push_str(value),
            None => {
                return Err(ManifestError::InvalidValue {
                    at: manifest.locate(text.span().start),
                    key: key.to_owned(),
                    message: format!("`{expanded}` holds an unknown placeholder"),
                    hint: Some(
                        "the placeholders are `{name}` (the logical database) and `{env}`".into(),
                    ),
                });
            }
        }
        rest = &rest[close.unwrap_or(rest.len() - 1) + 1..];
    }
    out.push_str(rest);
    if out.is_empty() || out.len() > 63 {
        return Err(ManifestError::InvalidValue {
            at: manifest.locate(text.span().start),
            key: key.to_owned(),
            message: format!(
                "`{out}` is not a PostgreSQL name (1 to 63 bytes); PostgreSQL would cut it short"
            ),
            hint: Some("use a shorter template".into()),
        });
    }
    Ok(out)
}

impl Topology {
    pub fn placement(&self, database: &str) -> Option<&Placement> {
        self.placements.iter().find(|p| p.database == database)
    }

    /// The placements sharing `placement`'s physical database, itself included.
    pub fn neighbours<'a>(
        &'a self,
        placement: &'a Placement,
    ) -> impl Iterator<Item = &'a Placement> + 'a {
        self.placements
            .iter()
            .filter(move |p| p.server == placement.server && p.physical == placement.physical)
    }
}

/// Every variable `env` needs and does not have, starting with the one
/// `first` names: the manifest is resolved again with a stand-in for each
/// one found, until it resolves or fails for another reason.
pub(crate) fn missing_variables(
    manifest: &Manifest,
    env: &str,
    first: &ManifestError,
) -> Vec<String> {
    let ManifestError::MissingVariable { name, .. } = first else {
        return Vec::new();
    };
    let mut names = vec![name.clone()];
    let mut vars: std::collections::BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    // One more round than there are `${`s in the file is always enough.
    for _ in 0..=manifest_text_refs(manifest) {
        for n in &names {
            vars.insert(n.clone(), crate::manifest::stand_in(n).to_owned());
        }
        let Ok(again) = crate::manifest::load_with(&manifest.path, vars.clone()) else {
            break;
        };
        match resolve(&again, env) {
            Err(ManifestError::MissingVariable { name, .. }) if !names.contains(&name) => {
                names.push(name);
            }
            _ => break,
        }
    }
    names
}

/// How many `${` the manifest file holds.
fn manifest_text_refs(manifest: &Manifest) -> usize {
    std::fs::read_to_string(&manifest.path).map_or(0, |t| t.matches("${").count())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLEET: &str = r#"
        [servers.local]
        embedded = true
        [databases.shared]
        [databases.app]
        depends_on = ["shared"]
        schemas = ["app", "public"]
        [envs.dev]
        server = "local"
        database = "{name}_db"
        [envs.single]
        server = "local"
        database = "fleet_{env}"
        schema = "{name}"
        [envs.mixed]
        server = "local"
        database = "one"
        [envs.mixed.databases.app]
        database = "app_only"
    "#;

    fn topology(env: &str) -> Topology {
        let m = Manifest::from_str_for_test(FLEET, &[]).unwrap();
        resolve(&m, env).unwrap()
    }

    #[test]
    fn places_each_database_by_its_env() {
        let rows = |t: &Topology| -> Vec<(String, String, Option<String>, Vec<String>)> {
            t.placements
                .iter()
                .map(|p| {
                    (
                        p.database.clone(),
                        p.physical.clone(),
                        p.schema.clone(),
                        p.owned_schemas.clone(),
                    )
                })
                .collect()
        };
        let s = |v: &str| v.to_owned();
        assert_eq!(
            rows(&topology("dev")),
            [
                (s("shared"), s("shared_db"), None, vec![s("public")]),
                (s("app"), s("app_db"), None, vec![s("app"), s("public")]),
            ]
        );
        assert_eq!(
            rows(&topology("single")),
            [
                (
                    s("shared"),
                    s("fleet_single"),
                    Some(s("shared")),
                    vec![s("shared")]
                ),
                (s("app"), s("fleet_single"), Some(s("app")), vec![s("app")]),
            ]
        );
        // The override inherits `server` from the env and sets only `database`.
        assert_eq!(
            topology("mixed").placement("app").unwrap().physical,
            "app_only"
        );
        assert_eq!(
            topology("single")
                .placement("app")
                .unwrap()
                .search_path
                .as_deref(),
            Some("\"app\", public")
        );
    }

    #[test]
    fn env_selection_precedence() {
        let m = Manifest::from_str_for_test(FLEET, &[]).unwrap();
        assert_eq!(select_env(&m, Some("single")).unwrap(), "single");
        assert_eq!(select_env(&m, None).unwrap(), "dev");
        let err = select_env(&m, Some("singel")).unwrap_err();
        assert_eq!(err.hint().as_deref(), Some("did you mean `single`?"));
        let m = Manifest::from_str_for_test(
            &format!("[workspace]\ndefault_env = \"mixed\"\n{FLEET}"),
            &[],
        )
        .unwrap();
        assert_eq!(select_env(&m, None).unwrap(), "mixed");
        let m = Manifest::from_str_for_test("[servers.s]\nembedded = true\n[databases.a]\n", &[])
            .unwrap();
        assert_eq!(select_env(&m, None).unwrap(), "dev");
        assert_eq!(resolve(&m, "dev").unwrap().placements[0].physical, "a");
    }

    #[test]
    fn shared_schema_in_one_database_is_an_error() {
        let m = Manifest::from_str_for_test(
            "[servers.s]\nembedded = true\n[databases.a]\n[databases.b]\n[envs.one]\ndatabase = \"x\"\n",
            &[],
        )
        .unwrap();
        let err = resolve(&m, "one").unwrap_err().to_string();
        assert_eq!(
            err,
            "logical databases `a` and `b` both own schema `public` of database `x` on server `s` in env `one`"
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for (template, want) in [
            ("{nmae}_db", "unknown placeholder"),
            (
                "{name}_{name}_{name}_{name}_{name}_{name}_{name}_{name}_{name}_{name}_x",
                "1 to 63 bytes",
            ),
        ] {
            let m = Manifest::from_str_for_test(
                &format!("[servers.s]\nembedded = true\n[databases.abcdefg]\n[envs.e]\ndatabase = \"{template}\"\n"),
                &[],
            )
            .unwrap();
            let err = resolve(&m, "e").unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }
}
