//! Walking the repository for what `init` can use: migration folders (with
//! their detected format), Alembic projects, and the files that may hold
//! connection URLs (`.env*`, `docker-compose*.yml`, `dapr.yaml`).
//!
//! The walk is the `ignore` crate's (ripgrep's walker): `.gitignore`,
//! `.ignore` and `.git/info/exclude` are honoured even outside a git checkout,
//! hidden folders are skipped, and so are the folders in [`SKIPPED_DIRS`],
//! which hold other people's code or build output. `.env` files are looked
//! for by name in every folder the walk enters, because they are usually
//! git-ignored and still hold the URLs a team uses.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::extensions::Usage;
use super::layout::{ENGINES, container, describe, holds_sql};
use crate::migrate::formats::{self, Format};

/// Folders never entered, whatever `.gitignore` says.
pub const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "target",
    ".venv",
    "venv",
    ".git",
    ".pgfleet",
    "__pycache__",
    "vendor",
];

/// Folder names that hold migrations when they hold SQL (`db/migrations`,
/// `prisma/migrations`, Flyway's `db/migration`, `sql/`, `migrate/`).
pub const CANDIDATE_NAMES: &[&str] = &[
    "migrations",
    "migration",
    "sql",
    "migrate",
    "drizzle",
    "changelog",
    "changelogs",
];

/// Files that make their folder a candidate whatever its name: Prisma's
/// lock, a Sqitch plan, drizzle-kit's journal, an Atlas sum file.
const MARKER_FILES: &[&str] = &["migration_lock.toml", "sqitch.plan", "atlas.sum"];

/// A migration folder `init` can put in the manifest.
#[derive(Debug, Clone)]
pub struct FolderFound {
    /// Relative to the workspace.
    pub path: PathBuf,
    pub format: Format,
    pub migrations: usize,
    /// What made the format certain or guessed, for the manifest comment.
    pub note: Option<String>,
    /// Extensions its scripts use and create.
    pub extensions: Usage,
    /// The schemas its tool's configuration says it manages.
    /// `Err` when it names them in a way pgfleet cannot read.
    pub schemas: Option<Result<super::schemas::Managed, String>>,
}

/// An Alembic project: run by `runner` in `cwd`.
#[derive(Debug, Clone)]
pub struct AlembicFound {
    /// The folder holding `alembic.ini` (relative), where `alembic` runs.
    pub cwd: PathBuf,
    /// The command (`alembic upgrade head`, or through uv / poetry).
    pub command: String,
    /// Guesses to mark in the manifest.
    pub notes: Vec<String>,
}

/// A folder that looked like migrations and was left out, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// A file that may hold connection URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum UrlFile {
    /// `.env`, `.env.example`, `.env.local`, ...
    DotEnv(PathBuf),
    /// `docker-compose*.yml`, `compose*.yaml`
    Compose(PathBuf),
    /// `dapr.yaml` (multi-app run file)
    Dapr(PathBuf),
}

#[derive(Debug, Default)]
pub struct Scan {
    pub folders: Vec<FolderFound>,
    pub alembic: Vec<AlembicFound>,
    pub skipped: Vec<Skipped>,
    pub url_files: Vec<UrlFile>,
}

/// Walks `root` and collects everything `init` uses. Unreadable entries are
/// skipped with a reason, never an error.
pub fn scan(root: &Path) -> Scan {
    let mut scan = Scan::default();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_global(false)
        .require_git(false)
        .sort_by_file_name(std::cmp::Ord::cmp)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.depth() > 0
                && SKIPPED_DIRS.iter().any(|s| e.file_name() == *s))
        })
        .build();
    // Folders taken as a whole (a migration folder, an Alembic script folder):
    // what is below them is theirs.
    let mut taken: Vec<PathBuf> = Vec::new();
    let mut alembic_scripts: Vec<PathBuf> = Vec::new();
    // Subfolders of a candidate that holds its SQL one level down
    // (`migrations/postgres/`, `migrations/sql/`): candidates themselves.
    let mut entered: Vec<(PathBuf, bool)> = Vec::new();
    // Folders a `diesel.toml` names (`[migrations_directory] dir`), whatever their name.
    let mut diesel_dirs: Vec<PathBuf> = Vec::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        if taken.iter().any(|t| dir.starts_with(t)) {
            continue;
        }
        let rel = dir.strip_prefix(root).unwrap_or(dir).to_path_buf();
        let names = list_names(dir);
        for name in &names {
            if let Some(file) = url_file(dir, name) {
                scan.url_files.push(file);
            }
        }
        if names.contains("diesel.toml") {
            if let Some(folder) = diesel_migrations_dir(&dir.join("diesel.toml")) {
                diesel_dirs.push(dir.join(folder));
            }
        }
        if names.contains("alembic.ini") {
            scan.alembic.push(alembic(root, dir, &rel, None));
        }
        if names.contains("env.py") && dir.join("versions").is_dir() {
            alembic_scripts.push(rel.clone());
            taken.push(dir.to_path_buf());
            continue;
        }
        let candidate_name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| CANDIDATE_NAMES.contains(&n));
        // Only folders that could be one are looked into (this runs for every folder).
        let maybe_peer = names.contains("committed")
            || names
                .iter()
                .any(|n| n.starts_with(|c: char| c.is_ascii_digit()))
            || dir
                .ancestors()
                .skip(1)
                .take(2)
                .any(|d| d.join("config.yaml").is_file());
        let peer_layout = maybe_peer.then(|| formats::peer_layout(dir)).flatten();
        // `migrations/` of a Hasura project: its source folders are taken one by one.
        if peer_layout == Some(false) {
            continue;
        }
        let marked = MARKER_FILES.iter().any(|m| names.contains(*m))
            || dir.join("meta").join("_journal.json").is_file()
            || peer_layout == Some(true)
            || diesel_dirs.iter().any(|d| d == dir);
        let inner = entered
            .iter()
            .find(|(e, _)| e == dir)
            .map(|(_, report)| *report);
        let report = inner.unwrap_or(false) || dir.file_name().is_some_and(|n| n == "migrations");
        if (candidate_name || inner.is_some()) && !marked {
            if let Some(subfolders) = container(dir, &names) {
                for (sub, engine) in subfolders {
                    if let Some(engine) = engine {
                        taken.push(sub.clone());
                        scan.skipped.push(Skipped {
                            path: sub.strip_prefix(root).unwrap_or(&sub).to_path_buf(),
                            reason: format!(
                                "migrations for {engine} (by its folder's name), not PostgreSQL"
                            ),
                        });
                    } else {
                        // What is below a `migrations/` (or a PostgreSQL
                        // folder) is reported when it is not read.
                        let pg = sub.file_name().is_some_and(|n| {
                            ENGINES
                                .iter()
                                .any(|(f, e)| *e == "PostgreSQL" && n.eq_ignore_ascii_case(f))
                        });
                        entered.push((sub, report || pg));
                    }
                }
                continue;
            }
        }
        if candidate_name || marked || inner.is_some() {
            if let Some(outcome) = migration_folder(root, dir, &rel, &names, report) {
                taken.push(dir.to_path_buf());
                match outcome {
                    Ok(found) => scan.folders.push(found),
                    Err(reason) => scan.skipped.push(Skipped { path: rel, reason }),
                }
            }
        }
    }
    // An Alembic script folder with no `alembic.ini` at or above it (inside
    // the workspace) still migrates a database: run alembic from its parent.
    for script in alembic_scripts {
        let covered = scan
            .alembic
            .iter()
            .any(|a| script.starts_with(&a.cwd) || a.cwd.as_os_str().is_empty());
        if !covered {
            let cwd = script.parent().map(Path::to_path_buf).unwrap_or_default();
            let folder = script.file_name().map(|n| n.to_string_lossy().into_owned());
            let mut found = alembic(root, &root.join(&cwd), &cwd, folder);
            found.notes.push(format!(
                "`{}` holds an Alembic env.py and versions/ but no alembic.ini was found; alembic needs one in `{}`",
                script.display(),
                shown(&cwd)
            ));
            scan.alembic.push(found);
        }
    }
    scan
}

/// `.` for the workspace itself, else the relative path.
pub fn shown(rel: &Path) -> String {
    if rel.as_os_str().is_empty() {
        ".".into()
    } else {
        rel.display().to_string()
    }
}

fn list_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

fn url_file(dir: &Path, name: &str) -> Option<UrlFile> {
    let path = dir.join(name);
    if !path.is_file() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let yaml = Path::new(&lower)
        .extension()
        .is_some_and(|e| e == "yml" || e == "yaml");
    if name == ".env" || name.starts_with(".env.") {
        Some(UrlFile::DotEnv(path))
    } else if yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose")) {
        Some(UrlFile::Compose(path))
    } else if lower == "dapr.yaml" || lower == "dapr.yml" {
        Some(UrlFile::Dapr(path))
    } else {
        None
    }
}

/// A candidate folder: `None` when it holds nothing migration-like (a `sql/`
/// of loose scripts with no versions is not a candidate), `Err` with the
/// reason it is left out.
fn migration_folder(
    root: &Path,
    dir: &Path,
    rel: &Path,
    names: &BTreeSet<String>,
    report: bool,
) -> Option<Result<FolderFound, String>> {
    let sql_files = names
        .iter()
        .filter(|n| {
            Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        })
        .count();
    let prisma_dirs = names
        .iter()
        .filter(|n| dir.join(n).join("migration.sql").is_file())
        .count();
    let is_migrations = report;
    let up_dirs = names
        .iter()
        .filter(|n| dir.join(n).join("up.sql").is_file())
        .count();
    // A folder whose migrations are folders (`<version>_<name>/up.sql`) that
    // no format took: say what it holds, not what one stray file beside them is.
    let unread = |error: String| {
        if up_dirs > 0 {
            describe(dir, names)
        } else {
            error
        }
    };
    let mut note = None;
    if names.contains("migration_lock.toml") {
        match prisma_provider(&dir.join("migration_lock.toml")) {
            Some(provider) if provider == "postgresql" || provider == "postgres" => {
                note = Some(format!("migration_lock.toml: provider = \"{provider}\""));
            }
            Some(provider) => {
                return Some(Err(format!(
                    "Prisma migrations for provider `{provider}` (migration_lock.toml), not PostgreSQL"
                )));
            }
            None => note = Some("migration_lock.toml names no provider; assumed PostgreSQL".into()),
        }
    }
    // A Sqitch project keeps its scripts in deploy/: its plan is enough.
    let planned = names.contains("sqitch.plan");
    // Hasura's version folders and graphile-migrate's `committed/` hold the SQL a level down.
    let nested = formats::peer_layout(dir) == Some(true);
    if sql_files == 0 && prisma_dirs == 0 && up_dirs == 0 && !planned && !nested {
        if !is_migrations {
            return None;
        }
        return Some(Err(describe(dir, names)));
    }
    let format = match formats::detect(dir) {
        Ok(format) => format,
        // A `sql/` of loose scripts named like no migration is not a
        // migration folder; a `migrations/` folder like that is worth a word.
        Err(formats::FormatError::Unrecognised { .. }) if !is_migrations && up_dirs == 0 => {
            return None;
        }
        Err(e) => {
            return Some(Err(unread(crate::manifest::relative_in(
                root,
                &e.to_string(),
            ))));
        }
    };
    match formats::read(dir, format) {
        Ok(folder) if folder.migrations.is_empty() && !is_migrations && up_dirs == 0 => None,
        // Loose scripts (or scripts in sub-folders) named like no migration.
        Err(formats::FormatError::NothingRead { .. }) if !is_migrations && up_dirs == 0 => None,
        Ok(folder) if folder.migrations.len() < up_dirs => Some(Err(describe(dir, names))),
        Ok(folder) => {
            let mut extensions = Usage::default();
            for m in &folder.migrations {
                extensions.add(&m.up);
            }
            let schemas = super::schemas::managed(root, dir, format);
            // Flyway searches its locations recursively; pgfleet reads the
            // folder itself only: say so rather than drop them unseen.
            let nested: Vec<String> = names
                .iter()
                .filter(|n| !n.starts_with('.') && holds_sql(&dir.join(n), 3))
                .map(|n| format!("`{n}/`"))
                .collect();
            if format == Format::Flyway && !nested.is_empty() {
                let text = format!(
                    "{} below it hold .sql files that Flyway would find and pgfleet does not read (it reads this folder only): move those scripts into it, where Flyway finds them too",
                    nested.join(", ")
                );
                note = Some(match note {
                    Some(n) => format!("{n}; {text}"),
                    None => text,
                });
            }
            if format == Format::Supabase {
                note = Some(
                    "beside `supabase/config.toml` with `[db]`: a Supabase CLI project; its `[db.seed]` files seed the database".to_owned(),
                );
            }
            Some(Ok(FolderFound {
                path: rel.to_path_buf(),
                format,
                migrations: folder.migrations.len(),
                note,
                extensions,
                schemas,
            }))
        }
        Err(e) => Some(Err(unread(crate::manifest::relative_in(
            root,
            &e.to_string(),
        )))),
    }
}

/// `[migrations_directory] dir` from a `diesel.toml` (relative to its folder, as
/// diesel_cli reads it); `None` when it names none.
fn diesel_migrations_dir(path: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(path).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    let dir = value.get("migrations_directory")?.get("dir")?.as_str()?;
    Some(PathBuf::from(dir))
}

/// `provider = "..."` from Prisma's `migration_lock.toml`.
fn prisma_provider(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    value.get("provider")?.as_str().map(str::to_owned)
}

/// The Alembic project run from `dir`: its script folder is `script` when
/// given, else `script_location` from `alembic.ini` (default `alembic`).
fn alembic(root: &Path, dir: &Path, rel: &Path, script: Option<String>) -> AlembicFound {
    let mut notes = Vec::new();
    let wrapper = dir
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .find_map(|d| {
            if d.join("uv.lock").is_file() {
                Some("uv run ")
            } else if d.join("poetry.lock").is_file() {
                Some("poetry run ")
            } else {
                None
            }
        })
        .unwrap_or("");
    let command = format!("{wrapper}alembic upgrade head");
    let script = script
        .or_else(|| {
            fs::read_to_string(dir.join("alembic.ini"))
                .ok()
                .and_then(|ini| {
                    ini.lines().find_map(|l| {
                        let (k, v) = l.split_once('=')?;
                        (k.trim() == "script_location").then(|| v.trim().replace("%(here)s/", ""))
                    })
                })
        })
        .unwrap_or_else(|| "alembic".into());
    let env_py = dir.join(&script).join("env.py");
    match fs::read_to_string(&env_py) {
        Ok(text) if text.contains("DATABASE_URL") => {}
        Ok(_) => notes.push(format!(
            "`{}` does not read DATABASE_URL; pgfleet sets it for the runner: make env.py use os.environ[\"DATABASE_URL\"]",
            shown(&rel.join(&script).join("env.py"))
        )),
        Err(_) if env_py.parent().is_some_and(|p| !p.is_dir()) => notes.push(format!(
            "script_location `{script}` from alembic.ini is not a folder here"
        )),
        Err(_) => {}
    }
    AlembicFound {
        cwd: rel.to_path_buf(),
        command,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn found(scan: &Scan) -> Vec<(String, &'static str)> {
        scan.folders
            .iter()
            .map(|f| (f.path.display().to_string(), f.format.name()))
            .collect()
    }

    /// A Sqitch project (scripts in deploy/) and a drizzle-kit `out` folder
    /// are candidates by their plan and journal, whatever their names.
    #[test]
    fn sqitch_plans_and_drizzle_journals_make_candidates() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for (format, name) in [("sqitch", "sqitch"), ("drizzle", "drizzle")] {
            let scan = scan(&fixtures.join(format));
            assert!(
                found(&scan).contains(&("basic".to_owned(), name)),
                "{format}: {:?} {:?}",
                found(&scan),
                scan.skipped
            );
        }
    }

    /// A Hasura project is found by its `config.yaml`, one folder per source
    /// (`migrations/<source>`); a graphile-migrate folder by its `committed/` chain,
    /// although its SQL sits a level down.
    #[test]
    fn hasura_sources_and_graphile_migrate_folders_are_found() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let scan = scan(&fixtures.join("hasura"));
        assert_eq!(
            found(&scan),
            [("app/migrations/default".to_owned(), "hasura")],
            "{:?}",
            scan.skipped
        );
        assert_eq!(scan.folders[0].migrations, 240);
        let dir = tree(&[
            (
                "hasura/config.yaml",
                "version: 2\nendpoint: http://localhost:8080\n",
            ),
            (
                "hasura/migrations/1600000000000_init/up.sql",
                "CREATE TABLE a ();\n",
            ),
            (
                "h3/config.yaml",
                "version: 3\nendpoint: http://localhost:8080\n",
            ),
            (
                "h3/migrations/default/1600000000000_init/up.sql",
                "CREATE TABLE a ();\n",
            ),
            (
                "h3/migrations/reports/1600000000001_init/up.sql",
                "CREATE TABLE b ();\n",
            ),
            (
                "db/migrations/committed/000001.sql",
                "--! Previous: -\n--! Hash: sha1:d30d858bf9fa5d8979af2d32c3be5e09b07da877\n\nSELECT 1;\n",
            ),
        ]);
        let nested = super::scan(dir.path());
        assert_eq!(
            found(&nested),
            [
                ("db/migrations".to_owned(), "graphile-migrate"),
                ("h3/migrations/default".to_owned(), "hasura"),
                ("h3/migrations/reports".to_owned(), "hasura"),
                ("hasura/migrations".to_owned(), "hasura"),
            ],
            "{:?}",
            nested.skipped
        );
    }

    /// A Flyway tree with one folder per engine, and a `migrations/` whose
    /// SQL sits in `sql/`: entered, the PostgreSQL folder taken, the others
    /// skipped with their engine.
    #[test]
    fn folders_one_level_down_are_entered() {
        let dir = tree(&[
            (
                "svc/migrations/postgres/V1_1__x.sql",
                "CREATE TABLE x ();\n",
            ),
            ("svc/migrations/mysql/V1_1__x.sql", "CREATE TABLE x ();\n"),
            ("svc/migrations/h2/V1_1__x.sql", "CREATE TABLE x ();\n"),
            ("svc/migrations/README.md", "engines\n"),
            ("other/migrations/sql/0001_init.sql", "CREATE TABLE y ();\n"),
            ("other/migrations/js/1700000000000_init.js", ""),
        ]);
        let scan = scan(dir.path());
        assert_eq!(
            found(&scan),
            [
                ("other/migrations/sql".to_owned(), "native"),
                ("svc/migrations/postgres".to_owned(), "flyway"),
            ]
        );
        let skipped: Vec<(String, &str)> = scan
            .skipped
            .iter()
            .map(|s| (s.path.display().to_string(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    "svc/migrations/h2".to_owned(),
                    "migrations for H2 (by its folder's name), not PostgreSQL"
                ),
                (
                    "svc/migrations/mysql".to_owned(),
                    "migrations for MySQL (by its folder's name), not PostgreSQL"
                ),
            ]
        );
    }

    /// Diesel's `migrations/` of `<version>_<name>/up.sql` folders is found by its
    /// folders; a custom folder by `diesel.toml`'s `[migrations_directory] dir`.
    #[test]
    fn diesel_folders_and_diesel_toml() {
        let dir = tree(&[
            ("api/migrations/2017-01-01-000000_a/up.sql", "SELECT 1;\n"),
            ("api/migrations/2017-01-01-000000_a/down.sql", "SELECT 1;\n"),
            ("api/migrations/README.md", ""),
            (
                "worker/diesel.toml",
                "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/diesel\"\n",
            ),
            ("worker/db/diesel/20170101000000_b/up.sql", "SELECT 1;\n"),
            (
                "worker/db/diesel/20170101000000_b/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ]);
        let scan = scan(dir.path());
        assert_eq!(
            found(&scan),
            [
                ("api/migrations".to_owned(), "diesel"),
                ("worker/db/diesel".to_owned(), "diesel")
            ],
            "{:?}",
            scan.skipped
        );
    }

    /// `supabase/migrations` beside a `config.toml` with `[db]` is a Supabase project,
    /// with a note; the same files without that config are native.
    #[test]
    fn supabase_project_is_told_from_native() {
        let dir = tree(&[
            (
                "web/supabase/config.toml",
                "project_id = \"web\"\n\n[db]\nport = 54322\n",
            ),
            ("web/supabase/seed.sql", "INSERT INTO t VALUES (1);\n"),
            (
                "web/supabase/migrations/20240101000000_init_schema.sql",
                "CREATE TABLE t (a int);\n",
            ),
            (
                "api/supabase/migrations/20240101000000_init_schema.sql",
                "CREATE TABLE t (a int);\n",
            ),
        ]);
        let scan = scan(dir.path());
        assert_eq!(
            found(&scan),
            [
                ("api/supabase/migrations".to_owned(), "native"),
                ("web/supabase/migrations".to_owned(), "supabase")
            ],
            "{:?}",
            scan.skipped
        );
        let web = scan
            .folders
            .iter()
            .find(|f| f.format == Format::Supabase)
            .unwrap();
        assert!(
            web.note
                .as_deref()
                .unwrap()
                .contains("Supabase CLI project"),
            "{:?}",
            web.note
        );
    }

    #[test]
    fn candidates_skips_and_reasons() {
        let dir = tree(&[
            (".gitignore", "generated/\n"),
            ("a/db/migrations/0001_init.sql", "CREATE TABLE t ();\n"),
            ("b/migration/V1__init.sql", "CREATE TABLE t ();\n"),
            ("b/migration/2024/V2__more.sql", "CREATE TABLE u ();\n"),
            (
                "c/sql/20240101_init.sql",
                "-- migrate:up\nCREATE TABLE t ();\n",
            ),
            // A `sql/` of loose scripts is not a candidate at all.
            ("d/sql/report.sql", "SELECT 1;\n"),
            // JavaScript migrations: skipped with the reason.
            (
                "e/migrations/1700000000000_init.js",
                "exports.up = () => {};\n",
            ),
            ("f/migrations/0001.sql.txt", ""),
            ("generated/migrations/0001_x.sql", "SELECT 1;\n"),
            ("node_modules/x/migrations/0001_x.sql", "SELECT 1;\n"),
            ("vendor/x/migrations/0001_x.sql", "SELECT 1;\n"),
            (".hidden/migrations/0001_x.sql", "SELECT 1;\n"),
            // Below a migration folder nothing is scanned again.
            ("a/db/migrations/old/migrations/0001_x.sql", "SELECT 1;\n"),
            ("g/alembic.ini", "[alembic]\nscript_location = alembic\n"),
            (
                "g/alembic/env.py",
                "import os\nos.environ[\"DATABASE_URL\"]\n",
            ),
            ("g/alembic/versions/0001.py", ""),
            // Flask-Migrate keeps Alembic in `migrations/`: not SQL.
            ("h/migrations/env.py", ""),
            ("h/migrations/versions/0001.py", ""),
            ("i/.env.example", "DATABASE_URL=postgres://u@localhost/i\n"),
            ("docker-compose.override.yml", "services: {}\n"),
        ]);
        let scan = scan(dir.path());
        assert_eq!(
            found(&scan),
            [
                ("a/db/migrations".to_owned(), "native"),
                ("b/migration".to_owned(), "flyway"),
                ("c/sql".to_owned(), "dbmate"),
            ]
        );
        assert_eq!(
            scan.folders[1].note.as_deref(),
            Some(
                "`2024/` below it hold .sql files that Flyway would find and pgfleet does not read (it reads this folder only): move those scripts into it, where Flyway finds them too"
            )
        );
        let skipped: Vec<(String, &str)> = scan
            .skipped
            .iter()
            .map(|s| (s.path.display().to_string(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    "e/migrations".to_owned(),
                    "no migrations pgfleet reads: holds 1 code file (`1700000000000_init.js`), migrations written as code; run its tool with `runner = \"...\"`"
                ),
                (
                    "f/migrations".to_owned(),
                    "no migrations pgfleet reads: holds 1 other file (`0001.sql.txt`)"
                ),
            ]
        );
        let alembic: Vec<(String, &str)> = scan
            .alembic
            .iter()
            .map(|a| (a.cwd.display().to_string(), a.command.as_str()))
            .collect();
        assert_eq!(
            alembic,
            [
                ("g".to_owned(), "alembic upgrade head"),
                ("h".to_owned(), "alembic upgrade head"),
            ]
        );
        assert!(
            scan.alembic[0].notes.is_empty(),
            "{:?}",
            scan.alembic[0].notes
        );
        assert!(
            scan.alembic[1].notes[1].contains("no alembic.ini was found"),
            "{:?}",
            scan.alembic[1].notes
        );
        assert_eq!(
            scan.url_files,
            [
                UrlFile::Compose(dir.path().join("docker-compose.override.yml")),
                UrlFile::DotEnv(dir.path().join("i/.env.example")),
            ]
        );
    }
}
