//! gobuffalo/pop (and Ory's fork): one folder of
//! `<version>_<name>[.<dialect>][.autocommit].(up|down).(sql|fizz)` files (the order of
//! the tags as ory/x `popx/match.go` matches them). Of each version pop runs the
//! `postgres` file when there is one, else the dialect-less one, never another
//! dialect's (`cockroach`, `mysql`, `sqlite3`); a tag is read as pop's
//! `CanonicalDialect` reads it, so `pg`, `pgx` and `postgresql` are `postgres`.
//! `.autocommit` (Ory) runs outside a transaction. `.fizz` files are pop's own DSL:
//! they block until pop ran them. pop walks the folder recursively, so files in its
//! sub-folders are read too.
//!
//! pop identifies and orders migrations by the version as text (`Migrations.Less`
//! compares strings), so `20210101000000` sorts after `20200101000000000001`, as pop
//! runs them. Its history table is `schema_migration` unless `database.yml` names
//! another (`options: migration_table_name: ...`, `ConnectionDetails.MigrationTableName`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::read::walk;
use super::{
    Format, FormatError, Migration, Transaction, Version, down_script, file_name, finish,
    read_source,
};

/// The dialect tags pop knows.
pub(super) const DIALECTS: [&str; 4] = ["postgres", "cockroach", "mysql", "sqlite3"];

/// pop's history table when `database.yml` names none.
pub(super) const DEFAULT_TABLE: &str = "schema_migration";

/// A tag as pop's `CanonicalDialect` reads it: the synonyms its dialects register.
fn canonical(tag: &str) -> &str {
    match tag {
        "postgresql" | "pg" | "pgx" => "postgres",
        "cockroachdb" | "crdb" => "cockroach",
        "sqlite" => "sqlite3",
        other => other,
    }
}

pub(super) const FIZZ_REASON: &str = "pop `.fizz` migrations are pop's own language that only pop (soda) can run; pgfleet reads SQL migrations";

/// One pop file name, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PopFile<'a> {
    pub version: Version,
    pub name: &'a str,
    /// `None`: dialect-less (any database).
    pub dialect: Option<&'a str>,
    pub autocommit: bool,
    pub up: bool,
    pub fizz: bool,
}

/// `<digits>_<name>[.<dialect>][.autocommit].(up|down).(sql|fizz)`; the name holds no `.`.
/// The dialect is canonical (`pg` -> `postgres`). A `.fizz` file with a dialect is not
/// pop's (pop refuses it: fizz is written for every database).
pub(super) fn parse_name(file: &str) -> Option<PopFile<'_>> {
    let (rest, fizz) = match file.strip_suffix(".sql") {
        Some(rest) => (rest, false),
        None => (file.strip_suffix(".fizz")?, true),
    };
    let (rest, up) = match rest.strip_suffix(".up") {
        Some(rest) => (rest, true),
        None => (rest.strip_suffix(".down")?, false),
    };
    let (rest, autocommit) = match rest.strip_suffix(".autocommit") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let (stem, dialect) = match rest.split_once('.') {
        Some((stem, tag)) => {
            let valid = !tag.is_empty()
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !valid {
                return None;
            }
            (stem, Some(canonical(tag)))
        }
        None => (rest, None),
    };
    if fizz && dialect.is_some() {
        return None;
    }
    let (digits, name) = stem.split_once('_')?;
    if name.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version = Version::named(digits.to_owned());
    Some(PopFile {
        version,
        name,
        dialect,
        autocommit,
        up,
        fizz,
    })
}

/// Whether a file name is one only pop writes (what marks a pop folder): a dialect tag,
/// a dialect-less `.autocommit.` or a `.fizz` file. `1_x.up.sql` alone is golang-migrate's
/// too.
pub(super) fn is_marked(file: &str) -> bool {
    parse_name(file)
        .is_some_and(|n| n.dialect.is_some_and(|d| DIALECTS.contains(&d)) || n.autocommit || n.fizz)
}

/// pop's `database.yml` for a migrations folder, where pop looks for it from the
/// project (`FindConfigPath`: the project folder and its `config/`): beside the
/// folder, above it, or in `config/` above it.
pub(super) fn config_file(dir: &Path) -> Option<PathBuf> {
    let parent = dir.parent();
    [
        Some(dir.join("database.yml")),
        parent.map(|p| p.join("database.yml")),
        parent.map(|p| p.join("config").join("database.yml")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

/// The `migration_table_name` a `database.yml` sets (under an environment's `options`):
/// `development`'s when environments differ, as pop runs without `GO_ENV`. Read line by
/// line, as the file is a Go template (`{{ envOr ... }}`) that is not YAML until pop
/// renders it; a value that is itself a template is not taken.
pub(super) fn config_table(text: &str) -> Option<String> {
    let mut env = "";
    let mut found: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or_default().trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        if !content.starts_with([' ', '\t']) {
            env = content.trim_end_matches(':').trim();
            continue;
        }
        let Some(value) = content.trim().strip_prefix("migration_table_name:") else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        if !value.is_empty() && !value.contains("{{") {
            // popx keeps only word characters of the name (`sanitizedMigrationTableName`).
            let name: String = value
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((env, name));
        }
    }
    found
        .iter()
        .find(|(e, _)| *e == "development")
        .or_else(|| found.first())
        .map(|(_, name)| name.clone())
}

/// Rank of a file for PostgreSQL: lower wins; `None` = never run here.
fn rank(dialect: Option<&str>) -> Option<u8> {
    match dialect {
        Some("postgres") => Some(0),
        None => Some(1),
        Some(_) => None,
    }
}

/// Of the candidate dialects of one version+direction, the index of the file pop runs
/// on PostgreSQL.
pub(super) fn select(dialects: &[Option<&str>]) -> Option<usize> {
    dialects
        .iter()
        .enumerate()
        .filter_map(|(i, d)| rank(*d).map(|r| (r, i)))
        .min()
        .map(|(_, i)| i)
}

struct File {
    path: PathBuf,
    name: String,
    dialect: Option<String>,
    autocommit: bool,
    fizz: bool,
}

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    // pop walks the folder recursively (`FileMigrator.findMigrations`, popx
    // `MigrationBox.findMigrations`): files in sub-folders are migrations too.
    let (paths, _) = walk(dir, &|_| false)?;
    let mut unmatched = Vec::new();
    // (version, up?) -> files of that version and direction.
    let mut files: BTreeMap<(Version, bool), Vec<File>> = BTreeMap::new();
    let mut any = false;
    for path in paths {
        let Some(parsed) = file_name(&path).and_then(parse_name) else {
            unmatched.push(path);
            continue;
        };
        any = true;
        let entry = File {
            name: parsed.name.to_owned(),
            dialect: parsed.dialect.map(str::to_owned),
            autocommit: parsed.autocommit,
            fizz: parsed.fizz,
            path: path.clone(),
        };
        files
            .entry((parsed.version, parsed.up))
            .or_default()
            .push(entry);
    }
    let mut migrations = Vec::new();
    let mut downs: BTreeMap<Version, PathBuf> = BTreeMap::new();
    let mut skipped: Vec<PathBuf> = Vec::new();
    for ((version, up), group) in files {
        let dialects: Vec<Option<&str>> = group.iter().map(|f| f.dialect.as_deref()).collect();
        let chosen = select(&dialects);
        for (i, file) in group.iter().enumerate() {
            if Some(i) != chosen {
                let best = chosen.and_then(|c| rank(group[c].dialect.as_deref()));
                if rank(file.dialect.as_deref()).is_none() {
                    if chosen.is_none() && up {
                        skipped.push(file.path.clone());
                    }
                } else if rank(file.dialect.as_deref()) == best {
                    // Two files of the same rank (e.g. two names for one version).
                    return Err(FormatError::DuplicateVersion {
                        first: group[chosen.unwrap_or(0)].path.clone(),
                        second: file.path.clone(),
                        version: version.clone(),
                    });
                }
            }
        }
        let Some(chosen) = chosen else { continue };
        let file = &group[chosen];
        if !up {
            downs.insert(version, file.path.clone());
            continue;
        }
        let source = read_source(&file.path)?;
        let migration = if file.fizz {
            Migration {
                up: String::new(),
                statements: Some(Vec::new()),
                not_runnable: Some(FIZZ_REASON.to_owned()),
                ..Migration::whole_file(version, file.name.clone(), file.path.clone(), source)
            }
        } else {
            Migration {
                transaction: Transaction::unless_marked(file.autocommit),
                ..Migration::whole_file(version, file.name.clone(), file.path.clone(), source)
            }
        };
        migrations.push(migration);
    }
    for migration in &mut migrations {
        if let Some(down) = downs.remove(&migration.version) {
            if migration.not_runnable.is_none() && down.extension().is_some_and(|e| e == "sql") {
                migration.down = down_script(Some(&read_source(&down)?.text));
            }
        }
    }
    if any && migrations.is_empty() && !skipped.is_empty() {
        let engine = skipped
            .iter()
            .filter_map(|p| file_name(p).and_then(parse_name))
            .find_map(|n| n.dialect.map(str::to_owned))
            .unwrap_or_default();
        return Err(FormatError::OtherEngine {
            dir: dir.to_owned(),
            engine: engine_name(&engine).to_owned(),
            evidence: format!(
                "every migration is `{engine}`-only, e.g. `{}`; pop runs only `postgres` and dialect-less files on PostgreSQL",
                skipped[0].display()
            ),
        });
    }
    // A version with only other dialects' files: not run here, warned about by name.
    unmatched.extend(skipped);
    let mut folder = finish(dir, Format::Pop, migrations, unmatched)?;
    if let Some(config) = config_file(dir) {
        // `database.yml` is pop's config, not a stray file, when it sits in the folder.
        folder.unmatched.retain(|p| *p != config);
        let text = fs::read_to_string(&config).map_err(super::io_error(&config))?;
        folder.history_table = config_table(&text).filter(|t| t != DEFAULT_TABLE);
    }
    Ok(folder)
}

fn engine_name(dialect: &str) -> &str {
    match dialect {
        "mysql" => "MySQL",
        "cockroach" => "CockroachDB",
        "sqlite3" => "SQLite",
        other => other,
    }
}

/// pop's `migration generate sql` writes a dialect-less pair.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    _existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let version = now.format("%Y%m%d%H%M%S").to_string();
    super::golang_migrate::pair(dir, &version, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        // (file, Some((version, name, dialect, autocommit, up, fizz)))
        type Want = Option<(
            &'static str,
            &'static str,
            Option<&'static str>,
            bool,
            bool,
            bool,
        )>;
        let cases: [(&str, Want); 14] = [
            (
                "20200101000000_users.up.sql",
                Some(("20200101000000", "users", None, false, true, false)),
            ),
            (
                "20200101000000_users.down.sql",
                Some(("20200101000000", "users", None, false, false, false)),
            ),
            (
                "1_users.postgres.up.sql",
                Some(("1", "users", Some("postgres"), false, true, false)),
            ),
            (
                "1_users.mysql.down.sql",
                Some(("1", "users", Some("mysql"), false, false, false)),
            ),
            (
                "1_idx.postgres.autocommit.up.sql",
                Some(("1", "idx", Some("postgres"), true, true, false)),
            ),
            (
                "1_idx.autocommit.up.sql",
                Some(("1", "idx", None, true, true, false)),
            ),
            (
                "1_users.up.fizz",
                Some(("1", "users", None, false, true, true)),
            ),
            (
                "1_users.pg.up.sql",
                Some(("1", "users", Some("postgres"), false, true, false)),
            ),
            (
                "1_users.crdb.autocommit.down.sql",
                Some(("1", "users", Some("cockroach"), true, false, false)),
            ),
            ("1_users.sql", None),
            ("users.up.sql", None),
            ("1_users.Postgres.up.sql", None),
            // Tags in the other order, and fizz for one dialect, are not pop's.
            ("1_idx.autocommit.postgres.up.sql", None),
            ("1_users.postgres.up.fizz", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|n| {
                (
                    n.version.as_str().to_owned(),
                    n.name,
                    n.dialect,
                    n.autocommit,
                    n.up,
                    n.fizz,
                )
            });
            let got = got
                .as_ref()
                .map(|(v, n, d, a, u, f)| (v.as_str(), *n, *d, *a, *u, *f));
            assert_eq!(got, want, "file {file}");
        }
    }

    #[test]
    fn selection() {
        let cases: [(&[Option<&str>], Option<usize>); 7] = [
            (&[Some("postgres")], Some(0)),
            (&[None], Some(0)),
            (&[None, Some("postgres")], Some(1)),
            (&[Some("mysql"), None], Some(1)),
            (
                &[
                    Some("cockroach"),
                    Some("mysql"),
                    Some("postgres"),
                    Some("sqlite3"),
                ],
                Some(2),
            ),
            (&[Some("mysql")], None),
            (&[Some("cockroach"), Some("sqlite3")], None),
        ];
        for (dialects, want) in cases {
            assert_eq!(select(dialects), want, "dialects {dialects:?}");
        }
    }

    #[test]
    fn marked() {
        for (file, want) in [
            ("1_a.postgres.up.sql", true),
            ("1_a.sqlite3.down.sql", true),
            ("1_a.pg.up.sql", true),
            ("1_a.up.sql", false),
            ("1_a.autocommit.up.sql", true),
            ("1_a.up.fizz", true),
            ("1_a.oracle.up.sql", false),
        ] {
            assert_eq!(is_marked(file), want, "file {file}");
        }
    }

    #[test]
    fn versions_order_as_text() {
        let v = |file| parse_name(file).unwrap().version;
        assert!(v("20210101000000_a.up.sql") > v("20200101000000000001_b.up.sql"));
        assert!(v("0001_a.up.sql") != v("1_a.up.sql"));
    }

    #[test]
    fn migration_table_from_database_yml() {
        let cases: [(&str, Option<&str>); 5] = [
            ("development:\n  dialect: postgres\n  database: app\n", None),
            (
                "development:\n  dialect: postgres\n  options:\n    migration_table_name: app_migrations\n",
                Some("app_migrations"),
            ),
            (
                "test:\n  url: {{envOr \"TEST_DATABASE_URL\" \"postgres://x\"}}\n  options:\n    migration_table_name: \"test_migrations\"\n\ndevelopment:\n  options:\n    migration_table_name: dev_migrations # ours\n",
                Some("dev_migrations"),
            ),
            (
                "production:\n  options:\n    migration_table_name: '{{ env \"TABLE\" }}'\n",
                None,
            ),
            (
                "# comment\nproduction:\n  options:\n    migration_table_name: prod_migrations\n",
                Some("prod_migrations"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(config_table(text).as_deref(), want, "{text}");
        }
    }
}
