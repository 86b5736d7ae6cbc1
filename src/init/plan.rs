//! From what the scan found to what the manifest holds: databases named
//! after their service folders, URLs grouped into servers and envs and
//! matched to databases, `.env` files turned into `[services]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::urls::{self, Password, UrlFound};
use super::{
    DEV_ENV, DatabaseFound, EMBEDDED_SERVER, FolderReport, ServerFound, Skipped, Unplaced,
    extensions, sanitize, scan,
};
use crate::connect::{ConnInfo, Env as ConnEnv};
use crate::manifest;
use crate::migrate::formats::Format;

/// Folder names that say what a folder holds rather than whose it is: the
/// database is named after the nearest folder above them
/// (`apps/billing/db/migrations` -> `billing`).
const GENERIC_DIRS: &[&str] = &[
    "migrations",
    "migration",
    "migrate",
    "db",
    "database",
    "databases",
    "prisma",
    "sql",
    "schema",
    "src",
    "main",
    "resources",
    "alembic",
    "supabase",
    "versions",
    "data",
    "drizzle",
    "changelog",
    "changelogs",
    "sqitch",
    "liquibase",
    "atlas",
    "goose",
    // Hasura's project folder, and the name it gives a project's first source.
    "hasura",
    "default",
    // An engine's folder in a tree of them (`db/migration/postgres`).
    "postgres",
    "postgresql",
    "pgsql",
    "pg",
];

/// One env built from URLs: its servers, its default server and per-database
/// placements.
#[derive(Debug, Clone)]
pub struct EnvPlan {
    pub name: String,
    pub server: String,
    /// database -> (server, physical database or None for `{name}`, why).
    pub placements: BTreeMap<String, Placed>,
}

/// A `[services.NAME]` for a `.env` file whose URL variables were matched to
/// databases: what `env --write` keeps up to date.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub name: String,
    pub env_file: PathBuf,
    pub url_style: Option<&'static str>,
    /// (variable, logical database), in file order.
    pub vars: Vec<(String, String)>,
    /// Why each of `vars` was matched to its database, for its `# guessed:`.
    #[serde(skip)]
    pub reasons: Vec<String>,
}

/// Everything the manifest will hold.
#[derive(Debug)]
pub struct Plan {
    pub workspace_name: String,
    pub env_files: Vec<String>,
    pub databases: Vec<DatabaseFound>,
    pub servers: Vec<ServerFound>,
    pub envs: Vec<EnvPlan>,
    pub services: Vec<ServicePlan>,
    pub unplaced: Vec<Unplaced>,
    pub skipped: Vec<Skipped>,
}

/// `name`, or `name_2`, `name_3`... whichever is not taken yet; marks it taken.
fn unique(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// The service folder of a migration folder, and the name it gives: the
/// nearest folder that is not in [`GENERIC_DIRS`].
fn service_of(rel: &Path, root_name: &str) -> (PathBuf, String) {
    let parts: Vec<&std::ffi::OsStr> = rel.iter().collect();
    for i in (0..parts.len()).rev() {
        let part = parts[i].to_string_lossy();
        if !GENERIC_DIRS.contains(&part.to_ascii_lowercase().as_str()) {
            let dir: PathBuf = parts[..=i].iter().collect();
            return (dir, sanitize(&part));
        }
    }
    (PathBuf::new(), sanitize(root_name))
}

/// One logical database per service folder holding migration folders, named
/// after it (made unique against `taken`).
fn folder_databases(
    folders: Vec<scan::FolderFound>,
    root_name: &str,
    taken: &mut BTreeSet<String>,
) -> Vec<(PathBuf, DatabaseFound)> {
    let mut by_service: BTreeMap<PathBuf, (String, Vec<scan::FolderFound>)> = BTreeMap::new();
    for folder in folders {
        let (dir, name) = service_of(&folder.path, root_name);
        by_service
            .entry(dir)
            .or_insert((name, Vec::new()))
            .1
            .push(folder);
    }
    by_service
        .into_iter()
        .map(|(dir, (name, folders))| {
            let name = unique(&name, taken);
            let database = folder_database(&dir, name, folders);
            (dir, database)
        })
        .collect()
}

/// The database of one service folder's migration folders (Prisma's first), with
/// the extensions they use but never create and what was guessed.
fn folder_database(dir: &Path, name: String, mut folders: Vec<scan::FolderFound>) -> DatabaseFound {
    folders.sort_by_key(|f| (f.format != Format::Prisma, f.path.clone()));
    let mut guesses = vec![format!(
        "named after the service folder `{}`",
        scan::shown(dir)
    )];
    let mut usage = extensions::Usage::default();
    for f in &folders {
        usage.used.extend(f.extensions.used.iter().cloned());
        usage.created.extend(f.extensions.created.iter().cloned());
    }
    let missing = usage.missing();
    if !missing.is_empty() {
        guesses.push(format!(
            "the migrations use {} but never create {}: `create` makes {} first",
            missing
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if missing.len() == 1 { "it" } else { "them" },
            if missing.len() == 1 { "it" } else { "them" },
        ));
    }
    let mut schemas: Vec<String> = Vec::new();
    for f in &folders {
        match &f.schemas {
            Some(Ok(managed)) => {
                guesses.push(format!(
                    "`schemas` are what {} names: the schemas `{}` manages",
                    managed.from,
                    f.format.name()
                ));
                for schema in &managed.schemas {
                    if !schemas.contains(schema) {
                        schemas.push(schema.clone());
                    }
                }
            }
            Some(Err(reason)) => guesses.push(format!(
                "{reason}: `schemas` is left out (so `public`); set it to the schemas `{}` manages",
                f.format.name()
            )),
            None => {}
        }
    }
    if folders.len() > 1 {
        guesses.push(format!(
            "these {} folders sit in `{}` and are taken to migrate one database, applied in this order; split them into databases of their own if they do not",
            folders.len(),
            scan::shown(dir)
        ));
    }
    DatabaseFound {
        name,
        extensions: missing,
        service: scan::shown(dir),
        migrations: folders
            .into_iter()
            .map(|f| FolderReport {
                path: f.path,
                format: f.format.name().to_owned(),
                migrations: f.migrations,
                note: f.note,
            })
            .collect(),
        runner: None,
        cwd: None,
        schemas,
        guesses,
    }
}

/// Builds the plan: the scan, the URLs, and how they fit together.
pub fn plan(root: &Path) -> Plan {
    let root_name = root
        .file_name()
        .map_or_else(|| "app".into(), |n| n.to_string_lossy().into_owned());
    let scan = scan::scan(root);
    let (urls, problems) = urls::find(root, &scan.url_files);
    // A root `.env` feeds `${VAR}`s, when dotenvy (what `load` uses) reads it.
    let readable = |path: &Path| {
        dotenvy::from_path_iter(path).is_ok_and(|mut entries| entries.all(|e| e.is_ok()))
    };
    let root_env_file = readable(&root.join(".env"));
    plan_from(Found {
        root_name,
        scan,
        urls,
        problems,
        root_env_file,
    })
}

/// What `plan` read from disk: everything the rest of planning needs.
#[derive(Debug)]
pub struct Found {
    /// The workspace folder's name.
    pub root_name: String,
    pub scan: scan::Scan,
    pub urls: Vec<UrlFound>,
    /// Files holding URLs that could not be read, and why.
    pub problems: Vec<(PathBuf, String)>,
    /// Whether the workspace has a `.env` that `load` can read.
    pub root_env_file: bool,
}

/// The plan for what was found; reads nothing from disk.
pub fn plan_from(found: Found) -> Plan {
    let root_name = found.root_name;
    let mut taken = BTreeSet::new();
    let mut databases = folder_databases(found.scan.folders, &root_name, &mut taken);
    databases.extend(alembic_databases(
        found.scan.alembic,
        &root_name,
        &mut taken,
    ));
    databases.sort_by(|a, b| a.1.name.cmp(&b.1.name));

    let mut planner = Planner {
        databases: &databases,
        root_name: &root_name,
        unplaced: found
            .problems
            .into_iter()
            .map(|(file, reason)| Unplaced {
                what: file.display().to_string(),
                reason,
            })
            .collect(),
        server_names: BTreeSet::from([EMBEDDED_SERVER.to_owned()]),
        env_names: BTreeSet::from([DEV_ENV.to_owned()]),
        services: Vec::new(),
        service_names: BTreeSet::new(),
    };
    let mut servers = Vec::new();
    let mut envs = Vec::new();
    for (env, list) in planner.by_env(found.urls) {
        let (env, env_servers) = planner.env(&env, list);
        servers.extend(env_servers);
        envs.push(env);
    }
    let Planner {
        unplaced, services, ..
    } = planner;
    Plan {
        workspace_name: root_name,
        env_files: if found.root_env_file {
            vec![".env".to_owned()]
        } else {
            Vec::new()
        },
        databases: databases.into_iter().map(|(_, d)| d).collect(),
        servers,
        envs,
        services,
        unplaced,
        skipped: found.scan.skipped,
    }
}

/// One logical database per Alembic project, run by its command.
fn alembic_databases(
    projects: Vec<scan::AlembicFound>,
    root_name: &str,
    taken: &mut BTreeSet<String>,
) -> Vec<(PathBuf, DatabaseFound)> {
    projects
        .into_iter()
        .map(|alembic| {
            let (dir, name) = service_of(&alembic.cwd, root_name);
            let name = unique(&name, taken);
            let mut guesses = vec![
                format!("named after the service folder `{}`", scan::shown(&dir)),
                "an Alembic project: pgfleet runs alembic with DATABASE_URL set and does not read its history".into(),
            ];
            guesses.extend(alembic.notes);
            let database = DatabaseFound {
                name,
                extensions: Vec::new(),
                service: scan::shown(&alembic.cwd),
                migrations: Vec::new(),
                runner: Some(alembic.command),
                cwd: Some(alembic.cwd),
                schemas: Vec::new(),
                guesses,
            };
            (dir, database)
        })
        .collect()
}

/// Where a database sits in one env: (server, physical database or None for
/// `{name}`, why).
type Placed = (String, Option<String>, String);

/// The state of planning the envs: names given so far, services noted, URLs left
/// unplaced.
struct Planner<'a> {
    databases: &'a [(PathBuf, DatabaseFound)],
    root_name: &'a str,
    unplaced: Vec<Unplaced>,
    server_names: BTreeSet<String>,
    env_names: BTreeSet<String>,
    services: Vec<ServicePlan>,
    service_names: BTreeSet<String>,
}

impl Planner<'_> {
    /// The URLs that can place a database, by env (test and shadow URLs, and those
    /// pgfleet could not write, are left unplaced).
    fn by_env(&mut self, urls: Vec<UrlFound>) -> BTreeMap<String, Vec<UrlFound>> {
        let mut by_env: BTreeMap<String, Vec<UrlFound>> = BTreeMap::new();
        for url in urls {
            let upper = url.var.to_ascii_uppercase();
            if upper.contains("TEST") || upper.contains("SHADOW") {
                self.unplaced.push(Unplaced {
                    what: url.origin(),
                    reason: "a test or shadow database, not a placement".into(),
                });
                continue;
            }
            if let Err(reason) = check_url(&url) {
                self.unplaced.push(Unplaced {
                    what: url.origin(),
                    reason,
                });
                continue;
            }
            by_env.entry(url.env.clone()).or_default().push(url);
        }
        by_env
    }

    /// One env from its URLs: its servers, its own server (the one most placements
    /// use) and where each database sits.
    fn env(&mut self, env: &str, mut list: Vec<UrlFound>) -> (EnvPlan, Vec<ServerFound>) {
        list.sort_by(|a, b| (a.priority, &a.file, a.line).cmp(&(b.priority, &b.file, b.line)));
        let env_name = unique(env, &mut self.env_names);
        let (env_servers, server_of_url) = self.servers(&env_name, &list);
        let mut placements = self.place(&env_name, &list, &server_of_url);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (server, _, _) in placements.values() {
            *counts.entry(server.as_str()).or_default() += 1;
        }
        let mut server = env_servers[0].name.clone();
        let mut best = 0;
        for s in &env_servers {
            let n = counts.get(s.name.as_str()).copied().unwrap_or(0);
            if n > best {
                best = n;
                server.clone_from(&s.name);
            }
        }
        self.place_the_rest(&server, &mut placements);
        let plan = EnvPlan {
            name: env_name,
            server,
            placements,
        };
        (plan, env_servers)
    }

    /// The env's servers: URLs that differ only in their database are one server.
    /// Several servers in one env are told apart by host, or by user when they share
    /// a host. Also the server of each URL of `list`.
    fn servers(&mut self, env_name: &str, list: &[UrlFound]) -> (Vec<ServerFound>, Vec<String>) {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, url) in list.iter().enumerate() {
            let key = url.url.server_url(Some("\u{0}"));
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        let several = groups.len() > 1;
        let hosts: BTreeSet<&str> = groups
            .iter()
            .map(|(_, m)| list[m[0]].url.hostport.as_str())
            .collect();
        let by_host = hosts.len() == groups.len();
        let mut server_of_url = vec![String::new(); list.len()];
        let mut env_servers: Vec<ServerFound> = Vec::new();
        for (_, members) in &groups {
            let first = &list[members[0]];
            let base = if several {
                let host = first.url.hostport.split(':').next().unwrap_or("");
                let tell = match (&first.url.user, by_host) {
                    (Some(user), false) => user.as_str(),
                    _ => host,
                };
                format!("{env_name}_{}", sanitize(tell))
            } else {
                env_name.to_owned()
            };
            let name = unique(&base, &mut self.server_names);
            let password_var = match &first.url.password {
                Password::None => None,
                Password::Var(v) => Some(v.clone()),
                Password::Literal => {
                    Some(format!("PGFLEET_{}_PASSWORD", name.to_ascii_uppercase()))
                }
            };
            for &m in members {
                server_of_url[m].clone_from(&name);
            }
            env_servers.push(ServerFound {
                url: first.url.server_url(password_var.as_deref()),
                name,
                env: env_name.to_owned(),
                password_var,
                from: members.iter().map(|&m| list[m].origin()).collect(),
                dropped: members
                    .iter()
                    .flat_map(|&m| list[m].url.dropped.iter().cloned())
                    .collect(),
            });
        }
        (env_servers, server_of_url)
    }

    /// Each URL of the env matched to its database; URLs for a database already
    /// placed elsewhere, or for a physical database another one has, are left
    /// unplaced with the reason.
    fn place(
        &mut self,
        env_name: &str,
        list: &[UrlFound],
        server_of_url: &[String],
    ) -> BTreeMap<String, Placed> {
        let mut placements: BTreeMap<String, Placed> = BTreeMap::new();
        let mut physical_owner: BTreeMap<(String, String), String> = BTreeMap::new();
        for (url, server) in list.iter().zip(server_of_url) {
            let Some((db, why)) = match_database(url, self.databases) else {
                self.unplaced.push(Unplaced {
                    what: url.origin(),
                    reason: format!(
                        "no database found for it (its folder, service name, variable name and database name match none); the server is `{server}` in env `{env_name}`"
                    ),
                });
                continue;
            };
            let shared = |physical: &str, owner: &str| {
                format!(
                    "it names database `{physical}` on `{server}`, already the place of `{owner}`; two logical databases in one physical database need schemas of their own: set `schema` under [envs.{env_name}.databases.{db}]"
                )
            };
            if let Some((placed_on, physical, earlier)) = placements.get(&db) {
                // A second variable for the same place (Prisma's `DIRECT_URL`)
                // is kept up to date too; one for another place is not.
                let same_place = placed_on == server && *physical == url.url.dbname;
                let named_other = var_database(&url.var, self.databases).is_some_and(|d| d != db);
                if same_place && !named_other {
                    self.note_service(url, &db, &why);
                    continue;
                }
                let reason = match &url.url.dbname {
                    Some(physical) if same_place => shared(physical, &db),
                    _ => {
                        format!("database `{db}` is already placed in env `{env_name}` ({earlier})")
                    }
                };
                self.unplaced.push(Unplaced {
                    what: url.origin(),
                    reason,
                });
                continue;
            }
            if let Some(physical) = &url.url.dbname {
                if let Some(other) = physical_owner.get(&(server.clone(), physical.clone())) {
                    self.unplaced.push(Unplaced {
                        what: url.origin(),
                        reason: shared(physical, other),
                    });
                    continue;
                }
                physical_owner.insert((server.clone(), physical.clone()), db.clone());
            }
            self.note_service(url, &db, &why);
            placements.insert(
                db,
                (
                    server.clone(),
                    url.url.dbname.clone(),
                    format!("{} ({why})", url.origin()),
                ),
            );
        }
        placements
    }

    /// Databases no URL places get `{name}` on the env's server: when that name is
    /// already another database's place there, a free one.
    fn place_the_rest(&self, server: &str, placements: &mut BTreeMap<String, Placed>) {
        let mut taken_here: BTreeSet<String> = placements
            .iter()
            .filter(|(_, (s, _, _))| s == server)
            .map(|(db, (_, physical, _))| physical.clone().unwrap_or_else(|| db.clone()))
            .collect();
        for (_, db) in self.databases {
            if placements.contains_key(&db.name) || !taken_here.contains(&db.name) {
                continue;
            }
            let physical = unique(&db.name, &mut taken_here);
            placements.insert(
                db.name.clone(),
                (
                    server.to_owned(),
                    Some(physical),
                    format!(
                        "no URL names `{}` here, and database `{}` on `{server}` is already taken",
                        db.name, db.name
                    ),
                ),
            );
        }
    }

    fn note_service(&mut self, url: &UrlFound, db: &str, why: &str) {
        note_service(
            &mut self.services,
            &mut self.service_names,
            url,
            db,
            why,
            self.root_name,
        );
    }
}

/// A developer's own `.env` (not an example, not another env's) whose
/// variable names `db`: `env --write` keeps it pointing at the env in use.
fn note_service(
    services: &mut Vec<ServicePlan>,
    names: &mut BTreeSet<String>,
    url: &UrlFound,
    db: &str,
    why: &str,
    root_name: &str,
) {
    let is_var = !url.var.is_empty()
        && url
            .var
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !url.var.starts_with(|c: char| c.is_ascii_digit());
    if url.env != "dotenv" || url.priority > 2 || !is_var {
        return;
    }
    let reason = format!("{} points at `{db}` ({why})", url.origin());
    if let Some(service) = services.iter_mut().find(|s| s.env_file == url.file) {
        service.vars.push((url.var.clone(), db.to_owned()));
        service.reasons.push(reason);
        return;
    }
    let folder = url.file.parent().and_then(Path::file_name).map_or_else(
        || root_name.to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    services.push(ServicePlan {
        name: unique(&sanitize(&folder), names),
        env_file: url.file.clone(),
        url_style: url.url.style,
        vars: vec![(url.var.clone(), db.to_owned())],
        reasons: vec![reason],
    });
}

/// Whether the URL pgfleet would write for this server parses.
fn check_url(url: &UrlFound) -> Result<(), String> {
    let text = url.url.server_url(match url.url.password {
        Password::None => None,
        _ => Some("PW"),
    });
    let expanded = manifest::expand(&text, &|name: &str| {
        Some(manifest::stand_in(name).to_owned())
    })
    .map_err(|_| "its `${...}` references cannot be read".to_owned())?;
    let env = ConnEnv {
        var: &|_| None,
        home: None,
    };
    ConnInfo::parse_with(&expanded, &env)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The database a URL belongs to, and why: the service folder it sits in
/// when nothing in the URL names another database, else its database name
/// (`/auth`, `auth_dev`), its service name, its variable's prefix
/// (`BILLING_DATABASE_URL`), or being the only one. A service's `.env` often
/// holds the URLs of other services' databases too.
fn match_database(
    url: &UrlFound,
    databases: &[(PathBuf, DatabaseFound)],
) -> Option<(String, String)> {
    let by_name = |candidate: &str| {
        let candidate = sanitize(candidate);
        databases
            .iter()
            .find(|(_, d)| d.name == candidate)
            .map(|(_, d)| d.name.clone())
    };
    let stem = url.url.dbname.as_deref().map(|physical| {
        let mut stem = sanitize(physical);
        for suffix in ["_db", "_dev", "_development", "_local"] {
            if let Some(s) = stem.strip_suffix(suffix) {
                stem = s.to_owned();
            }
        }
        stem
    });
    let by_database = stem.as_deref().and_then(by_name);
    let by_var = var_database(&url.var, databases);
    // The folder it sits in (or that its compose service builds) wins only
    // when the URL itself names no other database: the orders service's
    // `.env` holds the auth database's URL too.
    if let Some(db) = owner_database(url, databases) {
        let service = Path::new(&db.service)
            .file_name()
            .map(|n| sanitize(&n.to_string_lossy()));
        let consistent = match (&by_database, &stem) {
            (Some(named), Some(stem)) => *named == db.name || service.as_deref() == Some(stem),
            _ => true,
        };
        let var_agrees = by_var.as_ref().is_none_or(|v| *v == db.name);
        let prefixed_other = ["_DATABASE_URL", "_DB_URL"]
            .iter()
            .find_map(|s| url.var.to_ascii_uppercase().strip_suffix(s).map(sanitize))
            .is_some_and(|prefix| prefix != db.name);
        if consistent && var_agrees && !prefixed_other {
            return Some((db.name.clone(), format!("it belongs to `{}`", db.service)));
        }
    }
    if let Some(db) = by_database {
        return Some((db, "database name".into()));
    }
    if let Some(db) = url.hint.as_deref().and_then(by_name) {
        return Some((db, "service name".into()));
    }
    if let Some(db) = by_var {
        return Some((db, "variable name".into()));
    }
    let at_root = url.owner.as_ref().is_none_or(|o| o.as_os_str().is_empty());
    if let [(_, only)] = databases {
        if at_root {
            return Some((only.name.clone(), "the only database".into()));
        }
    }
    None
}

/// The database a variable's prefix names (`BILLING_DATABASE_URL` -> `billing`).
fn var_database(var: &str, databases: &[(PathBuf, DatabaseFound)]) -> Option<String> {
    let upper = var.to_ascii_uppercase();
    [
        "_DATABASE_URL",
        "_DB_URL",
        "_POSTGRES_URL",
        "_PG_URL",
        "_URL",
    ]
    .iter()
    .filter_map(|suffix| upper.strip_suffix(suffix))
    .find_map(|prefix| {
        let prefix = sanitize(prefix);
        databases
            .iter()
            .find(|(_, d)| d.name == prefix)
            .map(|(_, d)| d.name.clone())
    })
}

/// The one database of the service folder the URL sits in (or that its
/// compose service builds).
fn owner_database<'a>(
    url: &UrlFound,
    databases: &'a [(PathBuf, DatabaseFound)],
) -> Option<&'a DatabaseFound> {
    let owner = url.owner.as_ref().filter(|o| !o.as_os_str().is_empty())?;
    let hits: Vec<&(PathBuf, DatabaseFound)> = databases
        .iter()
        .filter(|(dir, _)| {
            !dir.as_os_str().is_empty() && (dir.starts_with(owner) || owner.starts_with(dir))
        })
        .collect();
    let exact: Vec<&(PathBuf, DatabaseFound)> = hits
        .iter()
        .copied()
        .filter(|(dir, _)| dir == owner)
        .collect();
    match (exact.as_slice(), hits.as_slice()) {
        ([one], _) | ([], [one]) => Some(&one.1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_files(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    /// `(database, physical database)` of each placement of `env`.
    fn placed(env: &EnvPlan) -> Vec<(&str, Option<&str>)> {
        env.placements
            .iter()
            .map(|(db, (_, physical, _))| (db.as_str(), physical.as_deref()))
            .collect()
    }

    /// What `plan` would have read: migration folders (path, format) and `.env`
    /// lines (file, `VAR=url`).
    fn found(folders: &[(&str, Format)], urls: &[(&str, &str)]) -> Found {
        let folders = folders
            .iter()
            .map(|(path, format)| scan::FolderFound {
                path: PathBuf::from(path),
                format: *format,
                migrations: 1,
                note: None,
                extensions: extensions::Usage::default(),
                schemas: None,
            })
            .collect();
        let urls = urls
            .iter()
            .enumerate()
            .map(|(i, (file, line))| {
                let (var, url) = line.split_once('=').unwrap();
                let file = PathBuf::from(file);
                UrlFound {
                    owner: file.parent().map(Path::to_path_buf),
                    file,
                    line: i + 1,
                    var: var.to_owned(),
                    env: "dotenv".into(),
                    priority: 0,
                    hint: None,
                    url: urls::split_url(url).unwrap(),
                }
            })
            .collect();
        Found {
            root_name: "shop".into(),
            scan: scan::Scan {
                folders,
                ..scan::Scan::default()
            },
            urls,
            problems: Vec::new(),
            root_env_file: false,
        }
    }

    /// The planning rules on their own, table by table: which database each URL
    /// places (and where), which it leaves unplaced.
    #[test]
    fn plan_from_places_urls_by_the_rules() {
        type Case<'a> = (
            &'a str,
            Vec<(&'a str, Format)>,
            Vec<(&'a str, &'a str)>,
            Vec<(&'a str, Option<&'a str>)>,
            usize,
        );
        let cases: Vec<Case> = vec![
            (
                "a URL in a service folder places that service's database",
                vec![("auth/migrations", Format::Native)],
                vec![("auth/.env", "DATABASE_URL=postgres://u@db:5432/auth_dev")],
                vec![("auth", Some("auth_dev"))],
                0,
            ),
            (
                "the database name wins over the folder the file sits in",
                vec![
                    ("auth/migrations", Format::Native),
                    ("orders/migrations", Format::Dbmate),
                ],
                vec![
                    ("orders/.env", "DATABASE_URL=postgres://u@db:5432/orders"),
                    ("orders/.env", "AUTH_DATABASE_URL=postgres://u@db:5432/auth"),
                ],
                vec![("auth", Some("auth")), ("orders", Some("orders"))],
                0,
            ),
            (
                "test and shadow URLs place nothing",
                vec![("auth/migrations", Format::Native)],
                vec![
                    ("auth/.env", "DATABASE_URL=postgres://u@db:5432/auth"),
                    (
                        "auth/.env",
                        "TEST_DATABASE_URL=postgres://u@db:5432/auth_test",
                    ),
                    (
                        "auth/.env",
                        "SHADOW_DATABASE_URL=postgres://u@db:5432/auth_sh",
                    ),
                ],
                vec![("auth", Some("auth"))],
                2,
            ),
            (
                "two databases on one physical database: the second is unplaced",
                vec![
                    ("auth/migrations", Format::Native),
                    ("orders/migrations", Format::Native),
                ],
                vec![
                    ("auth/.env", "DATABASE_URL=postgres://u@db:5432/shared"),
                    ("orders/.env", "DATABASE_URL=postgres://u@db:5432/shared"),
                ],
                vec![("auth", Some("shared"))],
                1,
            ),
            (
                "a URL no database matches is unplaced",
                vec![
                    ("auth/migrations", Format::Native),
                    ("orders/migrations", Format::Native),
                ],
                vec![(".env", "ANALYTICS_URL=postgres://u@db:5432/warehouse")],
                vec![],
                1,
            ),
        ];
        for (what, folders, urls, expected, unplaced) in cases {
            let plan = plan_from(found(&folders, &urls));
            let env = plan.envs.iter().find(|e| e.name == "dotenv");
            let got = env.map(placed).unwrap_or_default();
            assert_eq!(got, expected, "{what}: {:?}", plan.unplaced);
            assert_eq!(plan.unplaced.len(), unplaced, "{what}: {:?}", plan.unplaced);
        }
    }

    #[test]
    fn names_come_from_the_service_folder() {
        let cases = [
            ("apps/bff/prisma/migrations", "apps/bff", "bff"),
            (
                "services/Billing-API/db/migrations",
                "services/Billing-API",
                "billing_api",
            ),
            ("orders/src/main/resources/db/migration", "orders", "orders"),
            ("migrations", "", "shop"),
            ("2024/sql", "2024", "db_2024"),
            (
                "inventory/src/main/resources/db/migration/postgres",
                "inventory",
                "inventory",
            ),
        ];
        for (path, dir, name) in cases {
            let (d, n) = service_of(Path::new(path), "shop");
            assert_eq!((d.to_str().unwrap(), n.as_str()), (dir, name), "{path}");
        }
        let mut taken = BTreeSet::new();
        assert_eq!(unique("web", &mut taken), "web");
        assert_eq!(unique("web", &mut taken), "web_2");
    }

    /// Found by running init on pgfleet's own repository: a database no URL
    /// places must not fall on another one's physical database.
    #[test]
    fn a_default_placement_never_lands_on_a_taken_database() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("a/billing/migrations/0001_init.sql", "SELECT 1;\n"),
            ("b/billing/migrations/0001_init.sql", "SELECT 1;\n"),
            (
                "docker-compose.yml",
                "services:\n  billing:\n    build: b/billing\n    environment:\n      DATABASE_URL: postgres://app@db/billing\n",
            ),
        ];
        write_files(dir.path(), &files);
        let plan = plan(dir.path());
        let placed = placed(&plan.envs[0]);
        assert_eq!(
            placed,
            [
                ("billing", Some("billing_2")),
                ("billing_2", Some("billing"))
            ]
        );
    }

    /// A service's `.env` holding other services' URLs: each goes to the
    /// database it names; one for a database not migrated here goes nowhere,
    /// and never into the service's `vars`.
    #[test]
    fn a_url_in_a_service_folder_goes_to_the_database_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("services/orders/migrations/0001_init.sql", "SELECT 1;\n"),
            ("services/auth/migrations/0001_init.sql", "SELECT 1;\n"),
            (
                "services/orders/.env",
                "AUTH_DATABASE_URL=postgres://u@localhost:5432/auth\n\
                 DATABASE_URL=postgres://u@localhost:5432/orders_dev\n\
                 PAYMENTS_DATABASE_URL=postgres://u@localhost:5432/payments\n\
                 REPORTING_URL=postgres://u@localhost:5432/auth\n",
            ),
        ];
        write_files(dir.path(), &files);
        let plan = plan(dir.path());
        assert_eq!(
            placed(&plan.envs[0]),
            [("auth", Some("auth")), ("orders", Some("orders_dev"))]
        );
        let vars: Vec<(&str, &str)> = plan.services[0]
            .vars
            .iter()
            .map(|(v, d)| (v.as_str(), d.as_str()))
            .collect();
        assert_eq!(
            vars,
            [
                ("AUTH_DATABASE_URL", "auth"),
                ("DATABASE_URL", "orders"),
                ("REPORTING_URL", "auth")
            ]
        );
        assert_eq!(plan.services[0].reasons.len(), 3);
        let unplaced: Vec<&str> = plan.unplaced.iter().map(|u| u.what.as_str()).collect();
        assert_eq!(
            unplaced,
            ["`PAYMENTS_DATABASE_URL` in services/orders/.env:3"]
        );
    }

    #[test]
    fn urls_are_matched_by_variable_and_database_name_and_explained_when_not() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("services/billing/migrations/0001_init.sql", "SELECT 1;\n"),
            ("services/orders/migrations/0001_init.sql", "SELECT 1;\n"),
            ("services/search/migrations/0001_init.sql", "SELECT 1;\n"),
            (
                ".env",
                "BILLING_DATABASE_URL=postgres://app:pw1@localhost:5432/billing_main\n\
                 ORDERS_DB=postgres://app:pw1@localhost:5432/orders_dev\n\
                 SEARCH_URL=postgres://app:pw1@localhost:5432/orders_dev\n\
                 TEST_DATABASE_URL=postgres://app:pw1@localhost:5432/test\n\
                 OTHER_URL=postgres://app:pw1@localhost:5432/elsewhere\n",
            ),
            ("compose.yaml", "services: [unclosed\n"),
        ];
        write_files(dir.path(), &files);
        let plan = plan(dir.path());
        let env = &plan.envs[0];
        assert_eq!(env.name, "dotenv");
        let placed = placed(env);
        assert_eq!(
            placed,
            [
                ("billing", Some("billing_main")),
                ("orders", Some("orders_dev"))
            ]
        );
        let unplaced: Vec<String> = plan
            .unplaced
            .iter()
            .map(|u| format!("{}: {}", u.what, u.reason))
            .collect();
        assert_eq!(unplaced.len(), 4, "{unplaced:#?}");
        assert!(
            unplaced[0].starts_with("compose.yaml: not valid YAML"),
            "{unplaced:#?}"
        );
        assert!(
            unplaced[1].starts_with("`TEST_DATABASE_URL` in .env:4: a test or shadow database"),
            "{unplaced:#?}"
        );
        assert!(
            unplaced[2].starts_with(
                "`SEARCH_URL` in .env:3: it names database `orders_dev` on `dotenv`, already the place of `orders`"
            ),
            "{unplaced:#?}"
        );
        assert!(
            unplaced[3].starts_with("`OTHER_URL` in .env:5: no database found for it"),
            "{unplaced:#?}"
        );
        assert!(!format!("{plan:?}").contains("pw1"));
    }
}
