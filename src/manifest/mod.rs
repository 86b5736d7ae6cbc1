//! `pgfleet.toml`: finding it, reading it, and checking it into a [`Manifest`].
//!
//! Two types on purpose (STYLE §3): [`raw`] mirrors the file with spans; the
//! [`Manifest`] holds absolute paths, checked references and a dependency
//! order. Values that only some envs need (server URLs, placement templates)
//! keep their span and are expanded when an env is resolved, so a missing
//! `${PROD_URL}` does not stop `pgfleet up` in `dev`.

mod error;
mod format;
mod interpolate;
mod peer_history;
pub mod raw;
mod services;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{Location, ManifestError, suggest};
pub use format::Format;
pub(crate) use interpolate::stand_in;
pub use interpolate::{ExpandError, expand};
pub use peer_history::PeerHistory;
use raw::{RawManifest, Text};
pub use services::{Service, UrlStyle};

/// The manifest's file name.
pub const FILE_NAME: &str = "pgfleet.toml";

/// `format = "runner"`: the database is migrated by its `runner` command, not from files.
const RUNNER_FORMAT: &str = "runner";

/// A checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The `pgfleet.toml` file.
    pub path: PathBuf,
    /// The workspace folder (the manifest's folder); relative paths start here.
    pub root: PathBuf,
    pub name: String,
    pub default_env: Option<String>,
    pub servers: BTreeMap<String, Server>,
    pub databases: BTreeMap<String, Database>,
    pub envs: BTreeMap<String, Env>,
    /// `[services.NAME]`: the `.env` files `env --write` keeps.
    pub services: BTreeMap<String, Service>,
    /// Every logical database, each after everything it depends on; ties in
    /// name order.
    pub order: Vec<String>,
    source: String,
    vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub kind: ServerKind,
}

#[derive(Debug, Clone)]
pub enum ServerKind {
    /// A cluster pgfleet runs itself under `.pgfleet/<name>/`.
    Embedded { port: Option<u16> },
    /// A URL or libpq string, expanded when an env that uses it is resolved.
    Url(Text),
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub migrations: Vec<MigrationSource>,
    /// `format = "..."`; `None`: detected from each folder's files.
    pub format: Option<Format>,
    pub seeds: Option<PathBuf>,
    pub extensions: Vec<String>,
    /// Schemas this database owns when its placement sets no `schema`.
    pub schemas: Vec<String>,
    pub depends_on: Vec<String>,
    pub references: Vec<Reference>,
    /// An external migration command, run through `sh -c`; `${VAR}` is left
    /// to the shell.
    pub runner: Option<String>,
    /// A command that seeds the database, run through `sh -c` after the
    /// `seeds` files, like `runner`.
    pub seed_command: Option<String>,
    /// Where `runner` and `seed_command` run; the workspace unless set.
    pub cwd: PathBuf,
    /// `(schema, table)` of the peer tool's history table that adoption reads, when the
    /// tool's own config cannot say (drizzle's `migrations.table`, Sqitch's registry).
    pub history_table: Option<(String, String)>,
    /// `peer_history` as written for the database; `None`: the default ([`PeerHistory::Sync`]).
    pub peer_history: Option<PeerHistory>,
}

impl Database {
    /// What pgfleet does with the peer history table of `source`, one of this database's
    /// folders: the folder's own `peer_history`, else the database's, else `sync`.
    pub fn peer_history_of(&self, source: &MigrationSource) -> PeerHistory {
        source
            .peer_history
            .or(self.peer_history)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSource {
    pub path: PathBuf,
    /// The folder's own `format`, which wins over the database's.
    pub format: Option<Format>,
    /// The folder's own `peer_history`, which wins over the database's.
    pub peer_history: Option<PeerHistory>,
}

/// `from = "table.column"` here, `to = "db.table.column"` in another database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub from: ColumnPath,
    pub to_database: String,
    pub to: ColumnPath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPath {
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
}

#[derive(Debug, Clone)]
pub struct Env {
    pub name: String,
    /// `protected = true/false` as written; `None` lets the servers decide.
    pub protected: Option<bool>,
    pub server: Option<Text>,
    /// Where `drift` builds shadow databases; default each database's own server.
    pub shadow_server: Option<Text>,
    pub database: Option<Text>,
    pub schema: Option<Text>,
    pub overrides: BTreeMap<String, Override>,
}

#[derive(Debug, Clone, Default)]
pub struct Override {
    pub server: Option<Text>,
    pub database: Option<Text>,
    pub schema: Option<Text>,
}

/// Walks up from `start` to the first folder holding `pgfleet.toml`.
pub fn find(start: &Path) -> Result<PathBuf, ManifestError> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| ManifestError::NotFound {
            start: start.to_path_buf(),
        })
}

/// Reads and checks the manifest at `path` against the process environment.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    load_with(path, env)
}

/// Reads and checks the manifest at `path`; `env` stands for the process
/// environment (it wins over `env_files`).
pub fn load_with(path: &Path, env: BTreeMap<String, String>) -> Result<Manifest, ManifestError> {
    let source = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let raw: RawManifest = toml::from_str(&source).map_err(|e| toml_error(&path, &source, &e))?;
    let root = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut manifest = Manifest {
        name: root
            .file_name()
            .map_or_else(|| "workspace".into(), |n| n.to_string_lossy().into_owned()),
        path,
        root,
        default_env: None,
        servers: BTreeMap::new(),
        databases: BTreeMap::new(),
        envs: BTreeMap::new(),
        services: BTreeMap::new(),
        order: Vec::new(),
        source,
        vars: env,
    };
    manifest.check(raw)?;
    Ok(manifest)
}

impl Manifest {
    /// The manifest with no file behind it, for unit tests elsewhere.
    #[cfg(test)]
    pub(crate) fn from_str_for_test(
        text: &str,
        env: &[(&str, &str)],
    ) -> Result<Manifest, ManifestError> {
        Manifest::from_text(text, std::env::temp_dir(), env)
    }

    /// Parses and checks `text` as a manifest in a workspace that does not
    /// exist, then renders the error and its hint as the CLI would: the
    /// manifest fuzz target (`fuzz/`). Must never panic.
    #[doc(hidden)]
    pub fn fuzz_parse(text: &str) -> Option<String> {
        let root = PathBuf::from("/nonexistent/pgfleet-fuzz");
        match Manifest::from_text(text, root, &[("SET", "value")]) {
            Ok(manifest) => Some(format!("{}", manifest.databases.len())),
            Err(e) => Some(format!("{e} {:?}", e.hint())),
        }
    }

    fn from_text(
        text: &str,
        dir: PathBuf,
        env: &[(&str, &str)],
    ) -> Result<Manifest, ManifestError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| toml_error(Path::new(FILE_NAME), text, &e))?;
        let mut manifest = Manifest {
            name: "test".into(),
            path: dir.join(FILE_NAME),
            root: dir,
            default_env: None,
            servers: BTreeMap::new(),
            databases: BTreeMap::new(),
            envs: BTreeMap::new(),
            services: BTreeMap::new(),
            order: Vec::new(),
            source: text.to_owned(),
            vars: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        manifest.check(raw)?;
        Ok(manifest)
    }

    /// `path` as messages show it: relative to the workspace when inside it.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// `message` (an error's text) with the workspace's paths shown as [`Manifest::shown`]
    /// shows them.
    pub fn shown_in(&self, message: &str) -> String {
        relative_in(&self.root, message)
    }

    /// Where `offset` in the manifest is, as file:line:column.
    pub fn locate(&self, offset: usize) -> Location {
        Location::at(self.path.clone(), &self.source, offset)
    }

    /// Expands `${VAR}`s in a value read from the key `key`.
    pub fn expand(&self, key: &str, text: &Text) -> Result<String, ManifestError> {
        let lookup = |name: &str| self.vars.get(name).cloned();
        expand(text.get_ref(), &lookup).map_err(|e| {
            // Offsets inside the value; +1 skips the opening quote.
            let (offset, err) = match e {
                ExpandError::Missing { name, offset } => (
                    offset,
                    ManifestError::MissingVariable {
                        at: self.locate(text.span().start + 1 + offset),
                        key: key.to_owned(),
                        name,
                    },
                ),
                ExpandError::Unterminated { offset } => (
                    offset,
                    ManifestError::InvalidValue {
                        at: self.locate(text.span().start + 1 + offset),
                        key: key.to_owned(),
                        message: "`${` has no closing `}`".into(),
                        hint: Some("write `$$` for a literal `$`".into()),
                    },
                ),
                ExpandError::BadName { name, offset } => (
                    offset,
                    ManifestError::InvalidValue {
                        at: self.locate(text.span().start + 1 + offset),
                        key: key.to_owned(),
                        message: format!("`{name}` is not a variable name"),
                        hint: Some("variable names are letters, digits and `_`; write `$$` for a literal `$`".into()),
                    },
                ),
            };
            let _ = offset;
            err
        })
    }
}

/// Turns toml's error into ours: unknown keys get their own variant with a
/// suggestion, everything else keeps toml's message and gains a location.
fn toml_error(path: &Path, source: &str, e: &toml::de::Error) -> ManifestError {
    let offset = e.span().map_or(0, |s| s.start);
    let at = Location::at(path.to_path_buf(), source, offset);
    let message = e.message().trim().to_owned();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default().to_owned();
        let expected: Vec<String> = rest
            .split_once("expected")
            .map(|(_, list)| {
                list.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let suggestion = suggest(&key, expected.iter().map(String::as_str));
        return ManifestError::UnknownKey {
            at,
            key,
            expected,
            suggestion,
        };
    }
    if message.contains("untagged enum RawMigrations") {
        return ManifestError::InvalidValue {
            at,
            key: "migrations".into(),
            message: "expected a folder, or a list of folders and `{ path = \"...\", format = \"...\" }` tables".into(),
            hint: None,
        };
    }
    ManifestError::Syntax { at, message }
}

/// `message` with every path under `root` relative to it. Errors that carry paths
/// (the format readers') name them absolute; summaries show them as the workspace does.
pub fn relative_in(root: &Path, message: &str) -> String {
    message.replace(&format!("{}/", root.display()), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_corpus_replays() {
        for (path, text) in crate::fuzz_corpus::read("manifest") {
            assert!(Manifest::fuzz_parse(&text).is_some(), "{path}");
        }
    }

    fn load(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::from_str_for_test(text, &[("SET", "value")])
    }

    /// `format` is read once into a [`Format`]: every tool's name, the folder's own
    /// winning over the database's, `runner` as no folder format, a misspelling refused
    /// with the name it resembles.
    #[test]
    fn formats_are_typed_when_read() {
        // The manifest of these tests sits in /tmp: folders of its own there.
        let a = tempfile::tempdir_in("/tmp").unwrap();
        let b = tempfile::tempdir_in("/tmp").unwrap();
        let name =
            |d: &tempfile::TempDir| d.path().file_name().unwrap().to_string_lossy().into_owned();
        let (a, b) = (name(&a), name(&b));
        for format in Format::ALL {
            let m = load(&format!(
                "[databases.app]\nmigrations = \"{a}\"\nformat = \"{}\"\n",
                format.name()
            ))
            .unwrap();
            assert_eq!(m.databases["app"].format, Some(format));
        }
        let m = load(&format!(
            "[databases.app]\nformat = \"dbmate\"\n\
             migrations = [\"{a}\", {{ path = \"{b}\", format = \"prisma\" }}]\n\
             [databases.py]\nformat = \"runner\"\nrunner = \"alembic upgrade head\"\n",
        ))
        .unwrap();
        let app = &m.databases["app"];
        assert_eq!(
            app.migrations.iter().map(|s| s.format).collect::<Vec<_>>(),
            [None, Some(Format::Prisma)]
        );
        assert_eq!(app.format, Some(Format::Dbmate));
        assert_eq!(m.databases["py"].format, None);
        let err = load("[databases.app]\nformat = \"golang_migrate\"\n").unwrap_err();
        assert!(
            err.to_string().contains("unknown format `golang_migrate`"),
            "{err}"
        );
        assert_eq!(
            err.hint().as_deref(),
            Some("did you mean `golang-migrate`?")
        );
    }

    #[test]
    fn orders_by_dependencies_then_name() {
        let m = load(
            r#"
            [databases.shared]
            [databases.b]
            depends_on = ["shared"]
            [databases.a]
            depends_on = ["b"]
            [databases.c]
            "#,
        )
        .unwrap();
        assert_eq!(m.order, ["c", "shared", "b", "a"]);
    }

    #[test]
    fn names_the_whole_cycle() {
        let err = load(
            r#"
            [databases.a]
            depends_on = ["b"]
            [databases.b]
            depends_on = ["c"]
            [databases.c]
            depends_on = ["a"]
            [databases.d]
            "#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
    }

    #[test]
    fn peer_history_on_a_database_and_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        let text = "[databases.x]\npeer_history = \"read\"\nmigrations = [\"a\", { path = \"b\", peer_history = \"off\" }]\n[databases.y]\n";
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        let m = super::load_with(&path, BTreeMap::new()).unwrap();
        let x = &m.databases["x"];
        assert_eq!(x.peer_history, Some(PeerHistory::Read));
        assert_eq!(x.peer_history_of(&x.migrations[0]), PeerHistory::Read);
        assert_eq!(x.peer_history_of(&x.migrations[1]), PeerHistory::Off);
        assert_eq!(m.databases["y"].peer_history, None);
    }

    #[test]
    fn a_bad_peer_history_names_the_key_and_the_file() {
        let err = load("[databases.a]\npeer_history = \"write\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("invalid value for `databases.a.peer_history` in ")
                && text.contains(":2")
                && text.contains("`write` is not one of \"sync\", \"read\", \"off\""),
            "{text}"
        );
        assert!(err.hint().unwrap().contains("\"read\" (only read it)"));
        let err = load("[databases.a]\npeer_history = \"synk\"\n").unwrap_err();
        assert_eq!(err.hint().as_deref(), Some("did you mean `sync`?"));
    }

    #[test]
    fn history_table_is_schema_dot_table() {
        let m = load("[databases.a]\nhistory_table = \"billing.billing_migrations\"\n").unwrap();
        assert_eq!(
            m.databases["a"].history_table,
            Some(("billing".to_owned(), "billing_migrations".to_owned()))
        );
        for bad in ["billing", "a.b.c", ".t"] {
            let err = load(&format!("[databases.a]\nhistory_table = \"{bad}\"\n")).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("databases.a.history_table")
                    && text.contains(&format!("`{bad}` is not `schema.table`")),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn unknown_key_has_line_and_suggestion() {
        let err = load("[databases.a]\ndepend_on = []\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unknown key `depend_on` in ") && err.ends_with("pgfleet.toml:2:1"),
            "{err}"
        );
        let err = load("[databases.a]\ndepend_on = []\n").unwrap_err();
        assert_eq!(err.hint().as_deref(), Some("did you mean `depends_on`?"));
    }

    #[test]
    fn unknown_references_are_named() {
        let cases = [
            (
                "[databases.a]\ndepends_on = [\"shraed\"]\n[databases.shared]\n",
                "unknown database `shraed` in `databases.a.depends_on`",
            ),
            (
                "[servers.local]\nembedded = true\n[envs.dev]\nserver = \"lcoal\"\n",
                "unknown server `lcoal` in `envs.dev.server`",
            ),
            (
                "[databases.a]\n[envs.dev.databases.b]\n",
                "unknown database `b` in `envs.dev.databases`",
            ),
            (
                "[databases.a]\n[[databases.a.references]]\nfrom = \"t.c\"\nto = \"zz.users.id\"\n",
                "unknown database `zz` in `databases.a.references.to`",
            ),
        ];
        for (text, want) in cases {
            let err = load(text).unwrap_err().to_string();
            assert!(
                err.starts_with(want),
                "{err}\n  does not start with\n{want}"
            );
        }
    }

    #[test]
    fn missing_variable_is_named_when_used() {
        let m = load("[servers.p]\nurl = \"${NOPE}\"\n[servers.q]\nurl = \"${SET}\"\n").unwrap();
        let ServerKind::Url(url) = &m.servers["p"].kind else {
            panic!()
        };
        let err = m.expand("servers.p.url", url).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("variable `NOPE` has no value, used by `servers.p.url` in "),
            "{err}"
        );
        assert!(err.to_string().ends_with(":2:8"), "{err}");
        let ServerKind::Url(url) = &m.servers["q"].kind else {
            panic!()
        };
        assert_eq!(m.expand("servers.q.url", url).unwrap(), "value");
    }

    #[test]
    fn references_parse_with_and_without_schema() {
        let m = load(
            "[databases.shared]\n[databases.app]\n[[databases.app.references]]\nfrom = \"s.t.c\"\nto = \"shared.users.id\"\n",
        )
        .unwrap();
        let r = &m.databases["app"].references[0];
        assert_eq!(
            r.from,
            ColumnPath {
                schema: Some("s".into()),
                table: "t".into(),
                column: "c".into()
            }
        );
        assert_eq!(r.to_database, "shared");
        assert_eq!(
            r.to,
            ColumnPath {
                schema: None,
                table: "users".into(),
                column: "id".into()
            }
        );
    }

    #[test]
    fn a_server_is_embedded_or_has_a_url() {
        let err = load("[servers.x]\nport = 5\n").unwrap_err();
        assert!(err.to_string().contains("a server needs `url"), "{err}");
        let err = load("[servers.x]\nembedded = true\nurl = \"postgres://h\"\n").unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }
}
