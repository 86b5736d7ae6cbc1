//! The Supabase CLI: `supabase/migrations/<version>_<name>.sql` beside a
//! `supabase/config.toml` holding a `[db]` table, and seed files named by that config.
//!
//! The CLI's rules (supabase/cli `pkg/migration`): a file is a migration when its name
//! matches `^([0-9]+)_(.*)\.sql$` (the CLI writes 14-digit UTC timestamps); the version
//! is the digits as text, the primary key of `supabase_migrations.schema_migrations
//! (version text, name text, statements text[])`, so two files with one version are
//! refused, naming both. Files are applied in name order, each after `RESET ALL`, its
//! statements sent as one batch: one implicit transaction, with the file's own
//! `BEGIN; ... COMMIT;` honoured ([`Transaction::Batch`]). Other files are skipped with a
//! warning, as is a first `<timestamp>_init.sql` older than 2021-12-09, which the CLI
//! skips for backward compatibility.
//!
//! Seeds: `[db.seed] sql_paths` (default `["seed.sql"]`), paths or globs relative to the
//! `supabase/` folder, matched in order (each pattern's matches sorted, duplicates
//! dropped); `enabled = false` means none. A pattern that matches nothing seeds nothing
//! (the CLI only warns).

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    Folder, Format, FormatError, Migration, PeerTable, Transaction, Version, file_name, finish,
    io_error, list, read_source, timestamped_file,
};

/// Where the CLI keeps its history: `supabase_migrations.schema_migrations`.
pub(super) const HISTORY_SCHEMA: &str = "supabase_migrations";
pub(super) const HISTORY_TABLE: &str = "schema_migrations";
const CONFIG: &str = "config.toml";
const PROJECT_DIR: &str = "supabase";
const MIGRATIONS_DIR: &str = "migrations";
/// The CLI skips a first `<timestamp>_init.sql` older than this (`shouldSkip`).
const OLD_INIT_BEFORE: &str = "20211209000000";

/// `<digits>_<name>.sql` -> (version, name); the name may be empty, as the CLI's pattern
/// allows.
pub(super) fn parse_name(file: &str) -> Option<(&str, &str)> {
    let stem = file.strip_suffix(".sql")?;
    let (digits, name) = stem.split_once('_')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some((digits, name))
}

/// Whether `dir` is the `supabase/migrations` folder of a Supabase project: beside a
/// `config.toml` that has a `[db]` table. A `config.toml` there that is not TOML is an
/// error naming it, not a silent fall back to another format (which would run migrations
/// the CLI already ran).
pub(super) fn detect(dir: &Path) -> Result<bool, FormatError> {
    let Some(project) = project_dir(dir) else {
        return Ok(false);
    };
    let path = project.join(CONFIG);
    if !path.is_file() {
        return Ok(false);
    }
    let config = parse_config(&path)?;
    Ok(config.get("db").is_some_and(toml::Value::is_table))
}

/// The `supabase/` folder of a `supabase/migrations` folder.
fn project_dir(dir: &Path) -> Option<&Path> {
    if file_name(dir) != Some(MIGRATIONS_DIR) {
        return None;
    }
    let project = dir.parent()?;
    (file_name(project) == Some(PROJECT_DIR)).then_some(project)
}

fn parse_config(path: &Path) -> Result<toml::Table, FormatError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    text.parse()
        .map_err(|e: toml::de::Error| FormatError::Syntax {
            path: path.to_owned(),
            line: e
                .span()
                .map_or(0, |s| text[..s.start].matches('\n').count() + 1),
            message: e.message().to_owned(),
        })
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    for (index, path) in listing.files.into_iter().enumerate() {
        let Some((version, name)) = file_name(&path).and_then(parse_name) else {
            unmatched.push(path);
            continue;
        };
        if index == 0 && name == "init" && version.len() == 14 && version < OLD_INIT_BEFORE {
            unmatched.push(path);
            continue;
        }
        let (version, name) = (Version::named(version.to_owned()), name.to_owned());
        let source = read_source(&path)?;
        migrations.push(Migration {
            transaction: Transaction::Batch,
            ..Migration::whole_file(version, name, path, source)
        });
    }
    let mut folder = finish(dir, Format::Supabase, migrations, unmatched)?;
    folder.peer = Some(PeerTable {
        schema: HISTORY_SCHEMA.to_owned(),
        table: HISTORY_TABLE.to_owned(),
        project: None,
    });
    Ok(folder)
}

/// The seed files of the project whose migrations folder is `dir`, in the order the CLI
/// runs them; none when the folder is not in a Supabase project or seeding is disabled.
pub(super) fn seeds(dir: &Path) -> Result<Vec<PathBuf>, FormatError> {
    let Some(project) = project_dir(dir) else {
        return Ok(Vec::new());
    };
    let path = project.join(CONFIG);
    let config = if path.is_file() {
        parse_config(&path)?
    } else {
        toml::Table::new()
    };
    let seed = config
        .get("db")
        .and_then(|db| db.get("seed"))
        .and_then(toml::Value::as_table);
    let bad = |key: &str, what: &str| FormatError::Syntax {
        path: path.clone(),
        line: 0,
        message: format!("`db.seed.{key}` must be {what}"),
    };
    let enabled = match seed.and_then(|s| s.get("enabled")) {
        None => true,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(bad("enabled", "true or false")),
    };
    if !enabled {
        return Ok(Vec::new());
    }
    let patterns: Vec<String> = match seed.and_then(|s| s.get("sql_paths")) {
        None => vec!["seed.sql".to_owned()],
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("sql_paths", "a list of paths, such as [\"./seed.sql\"]"))?,
        Some(_) => {
            return Err(bad(
                "sql_paths",
                "a list of paths, such as [\"./seed.sql\"]",
            ));
        }
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for pattern in &patterns {
        let mut matched = glob(project, pattern).map_err(|message| FormatError::Syntax {
            path: path.clone(),
            line: 0,
            message: format!("`db.seed.sql_paths` entry `{pattern}`: {message}"),
        })?;
        matched.sort();
        for file in matched {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// The files matching `pattern` (Go's `path.Match` syntax: `*`, `?`, `[...]` within one
/// path segment), relative to `base` unless absolute, found segment by segment as Go's
/// `fs.Glob` does.
fn glob(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let (mut found, rest) = if let Some(rest) = pattern.strip_prefix('/') {
        (vec![PathBuf::from("/")], rest)
    } else {
        (vec![base.to_path_buf()], pattern)
    };
    let segments: Vec<&str> = rest
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let literal = !segment.contains(['*', '?', '[', '\\']);
        let mut next = Vec::new();
        for dir in &found {
            if literal {
                let path = dir.join(segment);
                if if last { path.is_file() } else { path.is_dir() } {
                    next.push(path);
                }
                continue;
            }
            let matcher = globset::GlobBuilder::new(segment)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| e.kind().to_string())?
                .compile_matcher();
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let wanted = if last { path.is_file() } else { path.is_dir() };
                if wanted && matcher.is_match(entry.file_name()) {
                    next.push(path);
                }
            }
        }
        found = next;
    }
    if segments.is_empty() {
        found.clear();
    }
    Ok(found)
}

/// `supabase migration new NAME`: an empty `<timestamp>_<name>.sql`.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    timestamped_file(dir, name, now, false, existing, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = root.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        root
    }

    #[test]
    fn file_names_as_the_cli_reads_them() {
        let cases = [
            (
                "20240101120000_create_profiles.sql",
                Some(("20240101120000", "create_profiles")),
            ),
            ("1_x.sql", Some(("1", "x"))),
            ("20240101120000_.sql", Some(("20240101120000", ""))),
            ("20240101120000.sql", None),
            ("v1_x.sql", None),
            ("_x.sql", None),
            ("20240101120000_x.txt", None),
        ];
        for (file, want) in cases {
            assert_eq!(parse_name(file), want, "{file}");
        }
    }

    #[test]
    fn detected_only_beside_a_config_with_db() {
        let root = project(&[
            (
                "a/supabase/config.toml",
                "project_id = \"a\"\n[db]\nport = 54322\n",
            ),
            ("a/supabase/migrations/20240101000000_x.sql", "SELECT 1;\n"),
            (
                "b/supabase/config.toml",
                "project_id = \"b\"\n[api]\nport = 1\n",
            ),
            ("b/supabase/migrations/20240101000000_x.sql", "SELECT 1;\n"),
            ("c/db/config.toml", "[db]\n"),
            ("c/db/migrations/20240101000000_x.sql", "SELECT 1;\n"),
            ("d/supabase/migrations/20240101000000_x.sql", "SELECT 1;\n"),
            ("e/supabase/config.toml", "[db\n"),
            ("e/supabase/migrations/20240101000000_x.sql", "SELECT 1;\n"),
        ]);
        let at = |p: &str| detect(&root.path().join(p).join("supabase/migrations"));
        assert!(at("a").unwrap());
        assert!(!at("b").unwrap());
        assert!(!detect(&root.path().join("c/db/migrations")).unwrap());
        assert!(!at("d").unwrap());
        let err = at("e").unwrap_err();
        assert!(err.to_string().contains("config.toml:1:"), "{err}");
    }

    #[test]
    fn reads_versions_in_name_order_and_skips_what_the_cli_skips() {
        let root = project(&[
            ("supabase/config.toml", "[db]\n"),
            ("supabase/migrations/20211201000000_init.sql", "SELECT 0;\n"),
            ("supabase/migrations/20240102000000_b.sql", "SELECT 2;\n"),
            ("supabase/migrations/20240101000000_a.sql", "SELECT 1;\n"),
            ("supabase/migrations/notes.md", "x\n"),
        ]);
        let folder = read(&root.path().join("supabase/migrations")).unwrap();
        let versions: Vec<&str> = folder
            .migrations
            .iter()
            .map(|m| m.version.as_str())
            .collect();
        assert_eq!(versions, ["20240101000000", "20240102000000"]);
        assert_eq!(folder.migrations[0].transaction, Transaction::Batch);
        let unmatched: Vec<&str> = folder
            .unmatched
            .iter()
            .filter_map(|p| file_name(p))
            .collect();
        assert_eq!(unmatched, ["20211201000000_init.sql", "notes.md"]);
        let peer = folder.peer.unwrap();
        assert_eq!(
            (peer.schema.as_str(), peer.table.as_str()),
            (HISTORY_SCHEMA, HISTORY_TABLE)
        );
    }

    #[test]
    fn a_version_used_twice_is_refused_naming_both_files() {
        let root = project(&[
            ("supabase/migrations/20240101000000_a.sql", "SELECT 1;\n"),
            ("supabase/migrations/20240101000000_b.sql", "SELECT 2;\n"),
        ]);
        let err = read(&root.path().join("supabase/migrations")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("20240101000000_a.sql"), "{text}");
        assert!(text.contains("20240101000000_b.sql"), "{text}");
    }

    #[test]
    fn seeds_follow_db_seed() {
        let dir = |root: &tempfile::TempDir| root.path().join("supabase/migrations");
        let rel = |root: &tempfile::TempDir, files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
                .collect()
        };
        // The default: seed.sql when it is there.
        let root = project(&[
            ("supabase/config.toml", "[db]\n"),
            ("supabase/seed.sql", "x"),
        ]);
        assert_eq!(
            rel(&root, seeds(&dir(&root)).unwrap()),
            ["supabase/seed.sql"]
        );
        let root = project(&[("supabase/config.toml", "[db]\n")]);
        assert!(seeds(&dir(&root)).unwrap().is_empty());
        // Disabled.
        let root = project(&[
            ("supabase/config.toml", "[db.seed]\nenabled = false\n"),
            ("supabase/seed.sql", "x"),
        ]);
        assert!(seeds(&dir(&root)).unwrap().is_empty());
        // Paths and globs, in the order given, each glob's matches sorted, no duplicates.
        let root = project(&[
            (
                "supabase/config.toml",
                "[db.seed]\nenabled = true\nsql_paths = ['./seeds/users.sql', './seeds/*.sql', '../shared/seed-?.sql', 'missing/*.sql']\n",
            ),
            ("supabase/seeds/users.sql", "x"),
            ("supabase/seeds/b.sql", "x"),
            ("supabase/seeds/a.sql", "x"),
            ("supabase/seeds/readme.txt", "x"),
            ("shared/seed-1.sql", "x"),
            ("shared/seed-10.sql", "x"),
        ]);
        assert_eq!(
            rel(&root, seeds(&dir(&root)).unwrap()),
            [
                "supabase/seeds/users.sql",
                "supabase/seeds/a.sql",
                "supabase/seeds/b.sql",
                "supabase/../shared/seed-1.sql"
            ]
        );
        // Wrong types name the key.
        let root = project(&[(
            "supabase/config.toml",
            "[db.seed]\nsql_paths = 'seed.sql'\n",
        )]);
        let err = seeds(&dir(&root)).unwrap_err().to_string();
        assert!(err.contains("`db.seed.sql_paths` must be a list"), "{err}");
    }

    #[test]
    fn new_writes_an_empty_timestamped_file() {
        let root = project(&[(
            "supabase/migrations/20261203120000_same_second.sql",
            "SELECT 1;\n",
        )]);
        let dir = root.path().join("supabase/migrations");
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let written = super::super::new_migration(&dir, Format::Supabase, "add x", now).unwrap();
        assert_eq!(file_name(&written[0]), Some("20261203120001_add_x.sql"));
        assert_eq!(fs::read_to_string(&written[0]).unwrap(), "");
    }
}
