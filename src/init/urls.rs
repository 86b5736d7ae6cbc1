//! Connection URLs in the files a repository already has: `.env*` files,
//! `docker-compose*.yml` (`environment:` as a list or a map) and `dapr.yaml`
//! (`apps[].env`). Every variable whose value is a `postgres://` or
//! `postgresql://` URL counts, whatever its name.
//!
//! A literal password is never kept: [`Password::Literal`] holds no text, so
//! nothing downstream can print or write it. A password that is already a
//! `${VAR}` reference (compose files often do this) keeps its variable name.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use super::scan::UrlFile;
use crate::connect;

/// Query parameters pgfleet's connection layer reads; Prisma's `schema`,
/// `connection_limit` and the like are dropped from the server URL.
const KEPT_PARAMS: &[&str] = &[
    "host",
    "port",
    "sslmode",
    "ssl",
    "sslrootcert",
    "application_name",
    "options",
    "connect_timeout",
];

/// One URL found in one file.
#[derive(Debug, Clone)]
pub struct UrlFound {
    /// Relative to the workspace.
    pub file: PathBuf,
    pub line: usize,
    pub var: String,
    /// The env it belongs to (`dotenv`, `compose`, `dapr`, `production`...).
    pub env: String,
    /// Lower wins when two files place the same database in the same env.
    pub priority: u8,
    /// The service folder the URL belongs to (relative), when the file says.
    pub owner: Option<PathBuf>,
    /// A service name (compose service, dapr appID).
    pub hint: Option<String>,
    pub url: SplitUrl,
}

impl UrlFound {
    /// `VAR in file:line`, for comments and the summary.
    pub fn origin(&self) -> String {
        format!("`{}` in {}:{}", self.var, self.file.display(), self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    None,
    /// Written in the file: never copied.
    Literal,
    /// `${NAME}` (or `$NAME`) in the file.
    Var(String),
}

/// A URL cut into its raw parts (as written: `${VAR}`s kept).
#[derive(Debug, Clone)]
pub struct SplitUrl {
    pub user: Option<String>,
    pub password: Password,
    pub hostport: String,
    /// The database, percent-decoded; `None` when the URL names none.
    pub dbname: Option<String>,
    pub kept: Vec<(String, String)>,
    pub dropped: Vec<String>,
    /// How the service spells its URLs, for `[services]` `url_style`:
    /// `asyncpg` for `postgresql+asyncpg://`, `prisma` when it has `schema=`.
    pub style: Option<&'static str>,
}

impl SplitUrl {
    /// The server's URL on its maintenance database, the password as
    /// `${password_var}`.
    pub fn server_url(&self, password_var: Option<&str>) -> String {
        let mut url = String::from("postgresql://");
        if let Some(user) = &self.user {
            url.push_str(user);
            if let Some(var) = password_var {
                url.push_str(":${");
                url.push_str(var);
                url.push('}');
            }
            url.push('@');
        }
        url.push_str(&self.hostport);
        url.push_str("/postgres");
        if !self.kept.is_empty() {
            let query: Vec<String> = self.kept.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// Whether `value` is a PostgreSQL URL (`postgres`, `postgresql`, or
/// SQLAlchemy's `postgresql+driver`).
pub fn is_pg_url(value: &str) -> bool {
    value
        .trim()
        .split_once("://")
        .is_some_and(|(scheme, _)| connect::is_postgres_scheme(scheme))
}

/// Cuts a PostgreSQL URL into parts without resolving anything. `None` when
/// it is not one.
pub fn split_url(value: &str) -> Option<SplitUrl> {
    let value = value.trim();
    if !is_pg_url(value) {
        return None;
    }
    let (scheme, body) = value.split_once("://")?;
    let body = body.split_once('#').map_or(body, |(b, _)| b);
    let (userinfo, rest) = connect::split_userinfo(body);
    let (user, password) = match userinfo {
        None => (None, Password::None),
        Some(info) => match split_outside_braces(info, ':') {
            Some((user, "")) => (Some(user.to_owned()), Password::None),
            Some((user, password)) => (Some(user.to_owned()), password_of(password)),
            None => (Some(info.to_owned()), Password::None),
        },
    };
    let (before_q, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hostport, path) = before_q.split_once('/').unwrap_or((before_q, ""));
    let dbname = (!path.is_empty()).then(|| {
        percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned()
    });
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        if KEPT_PARAMS.contains(&k) {
            kept.push((k.to_owned(), v.to_owned()));
        } else {
            dropped.push(k.to_owned());
        }
    }
    let style = if scheme.to_ascii_lowercase().ends_with("+asyncpg") {
        Some("asyncpg")
    } else if dropped.iter().any(|d| d == "schema") {
        Some("prisma")
    } else {
        None
    };
    Some(SplitUrl {
        style,
        user: user.filter(|u| !u.is_empty()),
        password,
        hostport: hostport.to_owned(),
        dbname,
        kept,
        dropped,
    })
}

/// Splits at the first `sep` that is not inside `${...}`.
fn split_outside_braces(s: &str, sep: char) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if c == sep && depth == 0 => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
        prev = c;
    }
    None
}

/// `${NAME}`, `${NAME:-...}` and `$NAME` are references; anything else is a
/// literal password.
fn password_of(raw: &str) -> Password {
    let name = if let Some(inner) = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        inner
            .split_once(":-")
            .or_else(|| inner.split_once('-'))
            .map_or(inner, |(n, _)| n)
    } else if let Some(name) = raw.strip_prefix('$') {
        name
    } else {
        return Password::Literal;
    };
    if !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        Password::Var(name.to_owned())
    } else {
        Password::Literal
    }
}

/// Every URL in `files`, plus notes on files that could not be read.
pub fn find(root: &Path, files: &[UrlFile]) -> (Vec<UrlFound>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let (path, result) = match file {
            UrlFile::DotEnv(path) => (path, dotenv(root, path)),
            UrlFile::Compose(path) => (path, yaml(root, path, "compose")),
            UrlFile::Dapr(path) => (path, yaml(root, path, "dapr")),
        };
        match result {
            Ok(urls) => found.extend(urls),
            Err(reason) => problems.push((rel(root, path), reason)),
        }
    }
    (found, problems)
}

fn rel(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The env a `.env*` file feeds, and its priority; `None` for test files.
fn dotenv_env(name: &str) -> Option<(String, u8)> {
    let suffix = name.strip_prefix(".env").unwrap_or("");
    let suffix = suffix.strip_prefix('.').unwrap_or(suffix);
    match suffix {
        "" => Some(("dotenv".into(), 0)),
        "local" => Some(("dotenv".into(), 1)),
        "development" | "dev" | "development.local" => Some(("dotenv".into(), 2)),
        "example" | "sample" | "template" | "dist" | "defaults" => Some(("dotenv".into(), 3)),
        s if s.starts_with("test") => None,
        "prod" => Some(("production".into(), 0)),
        other => Some((super::sanitize(other), 0)),
    }
}

/// `.env` lines: `[export ]KEY=VALUE`, quotes stripped. Our own reader and
/// not dotenvy's, because dotenvy substitutes `${VAR}` while reading and a
/// password reference would come back as its value (or as nothing).
fn dotenv(root: &Path, path: &Path) -> Result<Vec<UrlFound>, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some((env, priority)) = dotenv_env(name) else {
        return Ok(Vec::new());
    };
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let owner = rel(root, path.parent().unwrap_or(root));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.starts_with('#') || key.is_empty() {
            continue;
        }
        let value = unquote(value.trim());
        if let Some(url) = split_url(&value) {
            out.push(UrlFound {
                file: rel(root, path),
                line: i + 1,
                var: key.to_owned(),
                env: env.clone(),
                priority,
                owner: Some(owner.clone()),
                hint: None,
                url,
            });
        }
    }
    Ok(out)
}

fn unquote(value: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(q)
            .and_then(|v| v.find(q).map(|e| &v[..e]))
        {
            return inner.to_owned();
        }
    }
    // An unquoted value ends at ` #` (a comment).
    value
        .split_once(" #")
        .map_or(value, |(v, _)| v)
        .trim()
        .to_owned()
}

/// Where the YAML walk is: the service it is inside, if any.
#[derive(Clone, Default)]
struct Context {
    owner: Option<PathBuf>,
    hint: Option<String>,
}

fn yaml(root: &Path, path: &Path, env: &str) -> Result<Vec<UrlFound>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let docs = YamlLoader::load_from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    let base = rel(root, path.parent().unwrap_or(root));
    let mut pairs = Vec::new();
    for doc in &docs {
        walk(doc, &Context::default(), &base, &mut pairs);
    }
    // A compose anchor (`x-env: &env`) merged into services (`<<: *env`) is
    // seen twice: keep the copies that know their service.
    let known: Vec<(String, String)> = pairs
        .iter()
        .filter(|(_, _, c)| c.owner.is_some() || c.hint.is_some())
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    pairs.retain(|(k, v, c)| {
        c.owner.is_some() || c.hint.is_some() || !known.iter().any(|(kk, vv)| kk == k && vv == v)
    });
    let mut cursor: BTreeMap<String, usize> = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    Ok(pairs
        .into_iter()
        .filter_map(|(var, value, ctx)| {
            let url = split_url(&value)?;
            let from = cursor.get(&var).copied().unwrap_or(0);
            let on = |i: &usize| lines[*i].contains(&var) && lines[*i].contains(&url.hostport);
            let line = (from..lines.len())
                .find(on)
                .or_else(|| (0..lines.len()).find(on))
                .map_or(0, |i| i + 1);
            cursor.insert(var.clone(), line);
            Some(UrlFound {
                file: rel(root, path),
                line,
                var,
                env: env.to_owned(),
                priority: 0,
                owner: ctx.owner,
                hint: ctx.hint,
                url,
            })
        })
        .collect())
}

fn str_of<'a>(hash: &'a yaml_rust2::yaml::Hash, key: &str) -> Option<&'a str> {
    hash.get(&Yaml::String(key.to_owned()))
        .and_then(Yaml::as_str)
}

/// Collects `(variable, url, context)` from maps (`KEY: url`) and lists
/// (`- KEY=url`), noting the service each sits in: compose's
/// `services.NAME` (with `build` or `build.context`), dapr's `appID` and
/// `appDirPath`.
fn walk(node: &Yaml, ctx: &Context, base: &Path, out: &mut Vec<(String, String, Context)>) {
    match node {
        Yaml::Hash(hash) => {
            let mut ctx = ctx.clone();
            if let Some(dir) = str_of(hash, "appDirPath") {
                ctx.owner = Some(normalize(&base.join(dir)));
            }
            match hash.get(&Yaml::String("build".into())) {
                Some(Yaml::String(dir)) => ctx.owner = Some(normalize(&base.join(dir))),
                Some(Yaml::Hash(build)) => {
                    if let Some(dir) = str_of(build, "context") {
                        ctx.owner = Some(normalize(&base.join(dir)));
                    }
                }
                _ => {}
            }
            if let Some(id) = str_of(hash, "appID") {
                ctx.hint = Some(id.to_owned());
            }
            for (key, value) in hash {
                let key = key.as_str();
                match (key, value) {
                    (Some(k), Yaml::String(v)) if is_pg_url(v) => {
                        out.push((k.to_owned(), v.clone(), ctx.clone()));
                    }
                    (Some("services"), Yaml::Hash(services)) => {
                        for (name, body) in services {
                            let mut inner = ctx.clone();
                            inner.hint = name.as_str().map(str::to_owned);
                            walk(body, &inner, base, out);
                        }
                    }
                    _ => walk(value, &ctx, base, out),
                }
            }
        }
        Yaml::Array(items) => {
            for item in items {
                if let Yaml::String(s) = item {
                    if let Some((k, v)) = s.split_once('=') {
                        if is_pg_url(v) {
                            out.push((k.trim().to_owned(), v.trim().to_owned(), ctx.clone()));
                        }
                    }
                } else {
                    walk(item, ctx, base, out);
                }
            }
        }
        _ => {}
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls_without_keeping_literal_passwords() {
        let u = split_url(
            "postgresql://app:s3cret@db.example.com:5432/shop?schema=public&sslmode=require",
        )
        .unwrap();
        assert_eq!(u.user.as_deref(), Some("app"));
        assert_eq!(u.password, Password::Literal);
        assert_eq!(u.hostport, "db.example.com:5432");
        assert_eq!(u.dbname.as_deref(), Some("shop"));
        assert_eq!(u.dropped, ["schema"]);
        assert_eq!(
            u.server_url(Some("PW")),
            "postgresql://app:${PW}@db.example.com:5432/postgres?sslmode=require"
        );
        assert!(!format!("{u:?}").contains("s3cret"));

        let u = split_url("postgres://web:${WEB_PW:-x}@db/web").unwrap();
        assert_eq!(u.password, Password::Var("WEB_PW".into()));
        let u = split_url("postgres://${PGUSER:-app}@localhost/app").unwrap();
        assert_eq!(u.user.as_deref(), Some("${PGUSER:-app}"));
        assert_eq!(u.password, Password::None);
        let u = split_url("postgresql+asyncpg://localhost:5433").unwrap();
        assert_eq!(u.user, None);
        assert_eq!(u.dbname, None);
        assert!(split_url("mysql://root@localhost/app").is_none());
    }

    #[test]
    fn dotenv_files_map_to_envs() {
        assert_eq!(dotenv_env(".env"), Some(("dotenv".into(), 0)));
        assert_eq!(dotenv_env(".env.example"), Some(("dotenv".into(), 3)));
        assert_eq!(dotenv_env(".env.test"), None);
        assert_eq!(
            dotenv_env(".env.production"),
            Some(("production".into(), 0))
        );
        assert_eq!(unquote("\"a b\" # c"), "a b");
        assert_eq!(unquote("abc # c"), "abc");
    }

    #[test]
    fn a_merged_compose_anchor_counts_once_with_its_service() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker-compose.yml");
        fs::write(
            &file,
            "x-env: &env\n  DATABASE_URL: postgres://api:${API_PW}@db:5432/api\nservices:\n  api:\n    build: ./api\n    environment:\n      <<: *env\n",
        )
        .unwrap();
        let found = yaml(dir.path(), &file, "compose").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].origin(), "`DATABASE_URL` in docker-compose.yml:2");
        assert_eq!(found[0].owner.as_deref(), Some(Path::new("api")));
        assert_eq!(found[0].url.password, Password::Var("API_PW".into()));
    }

    #[test]
    fn yaml_lists_and_maps_with_their_service() {
        let text = "services:\n  api:\n    build: ./apps/api\n    environment:\n      - DATABASE_URL=postgres://u:p@db:5432/api\n  web:\n    build:\n      context: apps/web\n    environment:\n      WEB_DB: postgresql://u@db/web\n";
        let docs = YamlLoader::load_from_str(text).unwrap();
        let mut out = Vec::new();
        walk(&docs[0], &Context::default(), Path::new("deploy"), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, "DATABASE_URL");
        assert_eq!(
            out[0].2.owner.as_deref(),
            Some(Path::new("deploy/apps/api"))
        );
        assert_eq!(out[0].2.hint.as_deref(), Some("api"));
        assert_eq!(out[1].0, "WEB_DB");
        assert_eq!(
            out[1].2.owner.as_deref(),
            Some(Path::new("deploy/apps/web"))
        );
    }
}
