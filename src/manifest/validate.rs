//! Checking a [`raw`](super::raw) manifest into a [`Manifest`]: every key's value, the
//! folders it names, references between databases, envs and their overrides, the
//! dependency order; each refusal names the file, line and key and says what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use toml::Spanned;

use super::raw::{self, RawDatabase, RawManifest, RawMigrationEntry, RawMigrations, Text};
use super::{
    ColumnPath, Database, Env, Format, Manifest, ManifestError, MigrationSource, Override,
    PeerHistory, RUNNER_FORMAT, Reference, Server, ServerKind, suggest,
};

impl Manifest {
    pub(super) fn check(&mut self, raw: RawManifest) -> Result<(), ManifestError> {
        self.load_env_files(&raw.workspace.env_files)?;
        if let Some(name) = &raw.workspace.name {
            self.name = self.expand("workspace.name", name)?;
        }
        self.default_env = raw
            .workspace
            .default_env
            .as_ref()
            .map(|t| t.get_ref().clone());

        for (name, server) in raw.servers {
            let key = format!("servers.{}", name.get_ref());
            let embedded = server.embedded.as_ref().is_some_and(|e| *e.get_ref());
            let kind = match (embedded, server.url) {
                (true, None) => ServerKind::Embedded {
                    port: server.port.map(Spanned::into_inner),
                },
                (false, Some(url)) => {
                    if let Some(port) = &server.port {
                        return Err(self.invalid(
                            port.span().start,
                            &format!("{key}.port"),
                            "`port` is only for embedded servers",
                            "put the port in the `url`",
                        ));
                    }
                    ServerKind::Url(url)
                }
                (true, Some(url)) => {
                    return Err(self.invalid(
                        url.span().start,
                        &key,
                        "a server is either `embedded = true` or has a `url`, not both",
                        "remove one of the two",
                    ));
                }
                (false, None) => {
                    return Err(self.invalid(
                        name.span().start,
                        &key,
                        "a server needs `url = \"...\"` or `embedded = true`",
                        "add one of the two",
                    ));
                }
            };
            self.servers.insert(
                name.get_ref().clone(),
                Server {
                    name: name.into_inner(),
                    kind,
                },
            );
        }

        let names: BTreeSet<String> = raw.databases.keys().map(|k| k.get_ref().clone()).collect();
        for (name, db) in raw.databases {
            let database = self.check_database(name.get_ref(), db, &names)?;
            self.databases.insert(name.into_inner(), database);
        }
        self.order = self.dependency_order()?;

        for (name, env) in raw.envs {
            let env = self.check_env(name.get_ref(), env)?;
            self.envs.insert(name.into_inner(), env);
        }
        if let Some(default) = &raw.workspace.default_env {
            if !self.envs.contains_key(default.get_ref()) && !self.envs.is_empty() {
                return Err(self.unknown(
                    default,
                    "env",
                    "workspace.default_env",
                    self.envs.keys(),
                ));
            }
        }
        for (name, service) in raw.services {
            let service = self.check_service(&name, service)?;
            self.services.insert(name.into_inner(), service);
        }
        Ok(())
    }

    fn load_env_files(&mut self, files: &[Text]) -> Result<(), ManifestError> {
        for file in files {
            let path = self.root.join(self.expand("workspace.env_files", file)?);
            if !path.is_file() {
                // A `.env` is usually git-ignored: a fresh clone has none.
                tracing::debug!("env file {} not found; skipped", path.display());
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
                path: path.clone(),
                source,
            })?;
            let entries = dotenvy::from_read_iter(text.as_bytes());
            for entry in entries {
                match entry {
                    Ok((key, value)) => {
                        self.vars.entry(key).or_insert(value);
                    }
                    Err(dotenvy::Error::LineParse(content, _)) => {
                        let line = text
                            .lines()
                            .position(|l| l.contains(content.trim()))
                            .map_or(0, |i| i + 1);
                        return Err(ManifestError::EnvFile {
                            path,
                            line,
                            content,
                        });
                    }
                    Err(other) => {
                        return Err(ManifestError::EnvFile {
                            path,
                            line: 0,
                            content: other.to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn check_database(
        &self,
        name: &str,
        db: RawDatabase,
        names: &BTreeSet<String>,
    ) -> Result<Database, ManifestError> {
        let key = |k: &str| format!("databases.{name}.{k}");
        let mut migrations = Vec::new();
        if let Some(spanned) = &db.migrations {
            type Entry = (String, Option<String>, Option<String>);
            let entries: Vec<Entry> = match spanned.get_ref() {
                RawMigrations::One(path) => vec![(path.clone(), None, None)],
                RawMigrations::Many(list) => list
                    .iter()
                    .map(|entry| match entry {
                        RawMigrationEntry::Path(path) => (path.clone(), None, None),
                        RawMigrationEntry::Table(t) => {
                            (t.path.clone(), t.format.clone(), t.peer_history.clone())
                        }
                    })
                    .collect(),
            };
            for (path, format, peer_history) in entries {
                let text = Spanned::new(spanned.span(), path);
                let path = self.folder(&key("migrations"), &text)?;
                let format = match format {
                    Some(name) => {
                        self.check_format(&key("migrations"), spanned.span().start, &name)?
                    }
                    None => None,
                };
                let peer_history = peer_history
                    .map(|p| {
                        self.check_peer_history(
                            &key("migrations.peer_history"),
                            spanned.span().start,
                            &p,
                        )
                    })
                    .transpose()?;
                migrations.push(MigrationSource {
                    path,
                    format,
                    peer_history,
                });
            }
        }
        let format = match &db.format {
            Some(f) => self.check_format(&key("format"), f.span().start, f.get_ref())?,
            None => None,
        };
        if let (Some(runner), Some(_)) = (&db.runner, &db.migrations) {
            return Err(self.invalid(
                runner.span().start,
                &key("runner"),
                "a database has either `migrations` or a `runner`, not both",
                "keep the one that migrates this database",
            ));
        }
        let seeds = db
            .seeds
            .as_ref()
            .map(|s| self.folder(&key("seeds"), s))
            .transpose()?;
        let cwd = match &db.cwd {
            Some(c) => self.folder(&key("cwd"), c)?,
            None => self.root.clone(),
        };
        let extensions = db
            .extensions
            .iter()
            .map(|e| self.identifier(&key("extensions"), e))
            .collect::<Result<_, _>>()?;
        let schemas = match &db.schemas {
            Some(list) => list
                .iter()
                .map(|s| self.identifier(&key("schemas"), s))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec!["public".to_owned()],
        };
        let mut depends_on = Vec::new();
        for dep in &db.depends_on {
            if !names.contains(dep.get_ref()) {
                return Err(self.unknown(dep, "database", &key("depends_on"), names.iter()));
            }
            if dep.get_ref() == name {
                return Err(ManifestError::Cycle {
                    path: vec![name.to_owned(), name.to_owned()],
                });
            }
            depends_on.push(dep.get_ref().clone());
        }
        let references = db
            .references
            .iter()
            .map(|r| self.check_reference(name, r, names))
            .collect::<Result<_, _>>()?;
        let history_table = match &db.history_table {
            Some(text) => {
                let parts = text.get_ref().split_once('.').filter(|(s, t)| {
                    [s, t]
                        .iter()
                        .all(|p| !p.is_empty() && p.len() <= 63 && !p.contains('.'))
                });
                match parts {
                    Some((schema, table)) => Some((schema.to_owned(), table.to_owned())),
                    None => {
                        return Err(self.invalid(
                            text.span().start,
                            &key("history_table"),
                            &format!("`{}` is not `schema.table`", text.get_ref()),
                            "name the peer tool's history table with its schema, e.g. \"drizzle.__drizzle_migrations\"",
                        ));
                    }
                }
            }
            None => None,
        };
        let peer_history = db
            .peer_history
            .as_ref()
            .map(|p| self.check_peer_history(&key("peer_history"), p.span().start, p.get_ref()))
            .transpose()?;
        Ok(Database {
            name: name.to_owned(),
            migrations,
            format,
            seeds,
            extensions,
            schemas,
            depends_on,
            references,
            runner: db.runner.map(Spanned::into_inner),
            seed_command: db.seed_command.map(Spanned::into_inner),
            cwd,
            history_table,
            peer_history,
        })
    }

    fn check_reference(
        &self,
        db: &str,
        r: &raw::RawReference,
        names: &BTreeSet<String>,
    ) -> Result<Reference, ManifestError> {
        let key = format!("databases.{db}.references");
        let parts = |t: &Text, min: usize| -> Result<Vec<String>, ManifestError> {
            let parts: Vec<String> = t.get_ref().split('.').map(str::to_owned).collect();
            if parts.len() < min || parts.len() > min + 1 || parts.iter().any(String::is_empty) {
                let shape = if min == 2 {
                    "`table.column` or `schema.table.column`"
                } else {
                    "`database.table.column` or `database.schema.table.column`"
                };
                return Err(self.invalid(
                    t.span().start,
                    &key,
                    &format!("`{}` is not {shape}", t.get_ref()),
                    "write the column's full path",
                ));
            }
            Ok(parts)
        };
        let column = |mut p: Vec<String>| {
            let column = p.pop().unwrap_or_default();
            let table = p.pop().unwrap_or_default();
            ColumnPath {
                schema: p.pop(),
                table,
                column,
            }
        };
        let from = parts(&r.from, 2)?;
        let mut to = parts(&r.to, 3)?;
        let to_database = to.remove(0);
        if !names.contains(&to_database) {
            let text = Spanned::new(r.to.span(), to_database);
            return Err(self.unknown(&text, "database", &format!("{key}.to"), names.iter()));
        }
        Ok(Reference {
            from: column(from),
            to_database,
            to: column(to),
        })
    }

    fn check_env(&self, name: &str, env: raw::RawEnv) -> Result<Env, ManifestError> {
        let key = |k: &str| format!("envs.{name}.{k}");
        let check_server = |server: &Option<Text>, key: &str| -> Result<(), ManifestError> {
            match server {
                Some(s) if !self.servers.contains_key(s.get_ref()) => {
                    Err(self.unknown(s, "server", key, self.servers.keys()))
                }
                _ => Ok(()),
            }
        };
        check_server(&env.server, &key("server"))?;
        check_server(&env.shadow_server, &key("shadow_server"))?;
        let mut overrides = BTreeMap::new();
        for (db, o) in env.databases {
            if !self.databases.contains_key(db.get_ref()) {
                return Err(self.unknown(
                    &db,
                    "database",
                    &key("databases"),
                    self.databases.keys(),
                ));
            }
            check_server(
                &o.server,
                &key(&format!("databases.{}.server", db.get_ref())),
            )?;
            overrides.insert(
                db.into_inner(),
                Override {
                    server: o.server,
                    database: o.database,
                    schema: o.schema,
                },
            );
        }
        Ok(Env {
            name: name.to_owned(),
            protected: env.protected.map(Spanned::into_inner),
            server: env.server,
            shadow_server: env.shadow_server,
            database: env.database,
            schema: env.schema,
            overrides,
        })
    }

    /// Kahn's algorithm over a name-sorted ready set: a stable order, and
    /// every database left over is on or behind a cycle.
    fn dependency_order(&self) -> Result<Vec<String>, ManifestError> {
        let mut waiting: BTreeMap<&str, usize> = self
            .databases
            .values()
            .map(|d| (d.name.as_str(), d.depends_on.len()))
            .collect();
        let mut ready: BTreeSet<&str> = waiting
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut order = Vec::with_capacity(self.databases.len());
        while let Some(next) = ready.pop_first() {
            waiting.remove(next);
            order.push(next.to_owned());
            for db in self.databases.values() {
                if db.depends_on.iter().any(|d| d == next) {
                    let n = waiting
                        .get_mut(db.name.as_str())
                        .expect("waiting holds every unplaced database");
                    *n -= 1;
                    if *n == 0 {
                        ready.insert(&db.name);
                    }
                }
            }
        }
        match waiting.keys().next() {
            None => Ok(order),
            Some(start) => Err(ManifestError::Cycle {
                path: self.cycle_from(start, &waiting),
            }),
        }
    }

    /// Follows `depends_on` edges among the leftovers until a name repeats.
    fn cycle_from(&self, start: &str, left: &BTreeMap<&str, usize>) -> Vec<String> {
        let mut path: Vec<String> = vec![start.to_owned()];
        let mut current = start.to_owned();
        loop {
            let next = self.databases[&current]
                .depends_on
                .iter()
                .find(|d| left.contains_key(d.as_str()))
                .expect("a database left by Kahn's algorithm waits on another left one")
                .clone();
            if let Some(i) = path.iter().position(|p| *p == next) {
                let mut cycle = path.split_off(i);
                cycle.push(next);
                return cycle;
            }
            path.push(next.clone());
            current = next;
        }
    }

    fn folder(&self, key: &str, text: &Text) -> Result<PathBuf, ManifestError> {
        let path = self.root.join(self.expand(key, text)?);
        if !path.is_dir() {
            return Err(ManifestError::MissingFolder {
                at: self.locate(text.span().start),
                key: key.to_owned(),
                path,
            });
        }
        Ok(path)
    }

    /// The format `format` names; `runner` (SPEC's name for a database migrated by its
    /// `runner` command) names no folder format, so it is `None`, as an unset one.
    fn check_format(
        &self,
        key: &str,
        offset: usize,
        format: &str,
    ) -> Result<Option<Format>, ManifestError> {
        if let Some(known) = Format::from_name(format) {
            return Ok(Some(known));
        }
        if format == RUNNER_FORMAT {
            return Ok(None);
        }
        let names = || {
            Format::ALL
                .iter()
                .map(|f| f.name())
                .chain(std::iter::once(RUNNER_FORMAT))
        };
        let hint = match suggest(format, names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known formats: {}", names().collect::<Vec<_>>().join(", ")),
        };
        Err(self.invalid(offset, key, &format!("unknown format `{format}`"), &hint))
    }

    fn check_peer_history(
        &self,
        key: &str,
        offset: usize,
        value: &str,
    ) -> Result<PeerHistory, ManifestError> {
        PeerHistory::parse(value).ok_or_else(|| {
            let hint = match suggest(value, PeerHistory::NAMES.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use \"sync\" (read and write the tool's own history table), \"read\" (only read it) or \"off\" (ignore it)".to_owned(),
            };
            self.invalid(
                offset,
                key,
                &format!("`{value}` is not one of \"sync\", \"read\", \"off\""),
                &hint,
            )
        })
    }

    fn identifier(&self, key: &str, text: &Text) -> Result<String, ManifestError> {
        let value = self.expand(key, text)?;
        if value.is_empty() || value.len() > 63 {
            return Err(self.invalid(
                text.span().start,
                key,
                &format!("`{value}` is not a PostgreSQL name (1 to 63 bytes)"),
                "use a shorter name",
            ));
        }
        Ok(value)
    }

    pub(super) fn invalid(
        &self,
        offset: usize,
        key: &str,
        message: &str,
        hint: &str,
    ) -> ManifestError {
        ManifestError::InvalidValue {
            at: self.locate(offset),
            key: key.to_owned(),
            message: message.to_owned(),
            hint: Some(hint.to_owned()),
        }
    }

    pub(crate) fn unknown<'a>(
        &self,
        name: &Text,
        kind: &'static str,
        key: &str,
        known: impl Iterator<Item = &'a String>,
    ) -> ManifestError {
        let known: Vec<String> = known.cloned().collect();
        ManifestError::Unknown {
            at: self.locate(name.span().start),
            kind,
            key: key.to_owned(),
            name: name.get_ref().clone(),
            suggestion: suggest(name.get_ref(), known.iter().map(String::as_str)),
            known,
        }
    }
}
