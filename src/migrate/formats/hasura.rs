//! Hasura CLI migrations (config v2 and v3): one folder per migration,
//! `<version>_<name>/` holding `up.sql` and `down.sql`, and in older projects
//! `up.yaml`/`down.yaml` metadata steps. Config v3 keeps one folder per Hasura
//! source (`migrations/<source>/<version>_<name>/`); a source is one logical
//! database, so the manifest points `migrations` at `migrations/<source>`, or at
//! `migrations/` when it holds one source only.
//!
//! Read as the Hasura CLI reads it (`cli/migrate/source/file`): the version is the
//! number before the first `_`, parsed as an unsigned integer, and it is the identity
//! (the CLI refuses two folders with the same number, and so do we); folders run in
//! numeric order; an empty file is skipped; files it cannot parse are ignored (we
//! report them). Each `up.sql` is sent to the server as one `run_sql` call, which
//! Hasura runs in a transaction. The CLI records applied versions in
//! `hdb_catalog.schema_migrations (version bigint, dirty boolean)`, one row per
//! version (servers before v1.4), or in the server's catalog state,
//! `hdb_catalog.hdb_version.cli_state -> 'migrations' -> <source>`, a map of version
//! to dirty (`migration_state_sql.go`, `migration_state_catalog_state.go`); adoption
//! reads both, and write-back writes the catalog state when it is there, else the
//! older table (`super::super::peer`).

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    Folder, Format, FormatError, Migration, PeerTable, Version, down_script, file_name, finish,
    io_error, list, read_source, split_version_name,
};

pub(super) const HISTORY_SCHEMA: &str = "hdb_catalog";
pub(super) const HISTORY_TABLE: &str = "schema_migrations";
const UP_SQL: &str = "up.sql";
const DOWN_SQL: &str = "down.sql";
const UP_YAML: &str = "up.yaml";
const DOWN_YAML: &str = "down.yaml";
const FILES: [&str; 4] = [UP_SQL, DOWN_SQL, UP_YAML, DOWN_YAML];

/// Why pgfleet does not run a version with an `up.yaml`.
const YAML_REASON: &str = "Hasura metadata migration (`up.yaml`): pgfleet runs only SQL; apply it with `hasura migrate apply`";

/// A folder named `<digits>_<name>` holding one of Hasura's four migration files.
pub(super) fn is_version_dir(dir: &Path) -> bool {
    file_name(dir).and_then(split_version_name).is_some()
        && FILES.iter().any(|f| dir.join(f).is_file())
}

fn version_dirs(dir: &Path) -> usize {
    list(dir).map_or(0, |l| l.dirs.iter().filter(|d| is_version_dir(d)).count())
}

/// The Hasura project's `config.yaml` for a migrations folder (`migrations/` or
/// `migrations/<source>/`): in its parent or grandparent, with a key only Hasura's
/// config has.
pub(super) fn project_config(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().skip(1).take(2).find_map(|d| {
        let config = d.join("config.yaml");
        let text = fs::read_to_string(&config).ok()?;
        let hasura = text.lines().any(|l| {
            [
                "endpoint:",
                "metadata_directory:",
                "migrations_directory:",
                "admin_secret:",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        });
        hasura.then_some(config)
    })
}

/// Whether `dir` is a Hasura migrations folder: version folders with Hasura's files
/// and either its `config.yaml` above or an `up.yaml` (Diesel's folders look the same
/// otherwise), or `migrations/` of a Hasura project holding one source.
pub(super) fn detect(dir: &Path) -> bool {
    let Ok(listing) = list(dir) else { return false };
    if listing
        .files
        .iter()
        .any(|f| file_name(f).and_then(v1_name).is_some())
        && project_config(dir).is_some()
    {
        return true;
    }
    let versions: Vec<&PathBuf> = listing.dirs.iter().filter(|d| is_version_dir(d)).collect();
    if !versions.is_empty() {
        return project_config(dir).is_some()
            || versions
                .iter()
                .any(|d| d.join(UP_YAML).is_file() || d.join(DOWN_YAML).is_file());
    }
    project_config(dir).is_some() && listing.dirs.iter().any(|d| version_dirs(d) > 0)
}

/// Whether `dir` is one source folder (`migrations/<source>`) of a Hasura project:
/// `init` enters it even though its name is not a usual migrations folder name.
pub(super) fn is_source(dir: &Path) -> bool {
    version_dirs(dir) > 0 && project_config(dir).is_some()
}

/// The folder holding the version folders: `dir` itself, or its one source folder.
fn source_dir(dir: &Path) -> Result<PathBuf, FormatError> {
    let listing = list(dir)?;
    if listing.dirs.iter().any(|d| is_version_dir(d)) {
        return Ok(dir.to_owned());
    }
    let sources: Vec<&PathBuf> = listing
        .dirs
        .iter()
        .filter(|d| version_dirs(d) > 0)
        .collect();
    match sources.as_slice() {
        [] => Ok(dir.to_owned()),
        [one] => Ok((*one).clone()),
        many => Err(FormatError::Syntax {
            path: dir.to_owned(),
            line: 0,
            message: format!(
                "holds the migrations of {} Hasura databases ({}); each is its own logical database: point `migrations` at one of them (`{}`)",
                many.len(),
                many.iter()
                    .map(|d| format!("`{}`", file_name(d).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", "),
                many[0].display()
            ),
        }),
    }
}

/// The seed files `hasura seed apply` runs for the source whose migrations are in `dir`:
/// the `.sql` files of `seeds/<source>/` (config v3) or `seeds/` (config v2), in name
/// order, `seeds` being the project's `seeds_directory` (hasura-cli `seed apply`,
/// `config.yaml`). None outside a Hasura project or without the folder.
pub(super) fn seeds(dir: &Path) -> Result<Vec<PathBuf>, FormatError> {
    let Some(config) = project_config(dir) else {
        return Ok(Vec::new());
    };
    let project = config.parent().unwrap_or(Path::new("."));
    let text = fs::read_to_string(&config).map_err(io_error(&config))?;
    let folder = text
        .lines()
        .find_map(|l| l.strip_prefix("seeds_directory:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "seeds".to_owned());
    let source = source_dir(dir)?;
    let v2 = source
        .parent()
        .is_some_and(|p| p.join("config.yaml").is_file());
    let mut seeds = project.join(folder);
    if !v2 {
        seeds.push(source_name(&source));
    }
    if !seeds.is_dir() {
        return Ok(Vec::new());
    }
    Ok(list(&seeds)?
        .files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect())
}

/// The Hasura source (database) a folder of version folders belongs to, as the CLI
/// keys its catalog state: the folder's name under config v3 (`migrations/<source>`),
/// `default` when the version folders sit in `migrations/` itself (config v1/v2).
fn source_name(source: &Path) -> String {
    let v2 = source
        .parent()
        .is_some_and(|p| p.join("config.yaml").is_file());
    match file_name(source) {
        Some(name) if !v2 && project_config(source).is_some() => name.to_owned(),
        _ => "default".to_owned(),
    }
}

/// A file Hasura would read: present and not empty (the CLI skips empty files).
fn present(path: &Path) -> Result<bool, FormatError> {
    match fs::metadata(path) {
        Ok(meta) => Ok(meta.is_file() && meta.len() > 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The four files of one version, wherever they sit (`<dir>/up.sql` in config v2/v3,
/// `<version>_<name>.up.sql` beside the others in config v1).
struct Files {
    up_sql: PathBuf,
    up_yaml: PathBuf,
    down_sql: PathBuf,
    down_yaml: PathBuf,
    /// What an error names: the version folder, or the v1 `up.sql` file.
    shown: PathBuf,
}

/// `None` when every file is empty: the CLI skips empty files, so it never sees the
/// version (`hasura migrate create` writes two empty files).
fn migration(version: Version, name: &str, files: Files) -> Result<Option<Migration>, FormatError> {
    let (has_sql, has_yaml) = (present(&files.up_sql)?, present(&files.up_yaml)?);
    if !has_sql && !has_yaml && !present(&files.down_sql)? && !present(&files.down_yaml)? {
        return Ok(None);
    }
    let down = if present(&files.down_sql)? {
        down_script(Some(&read_source(&files.down_sql)?.text))
    } else {
        None
    };
    if has_yaml {
        let source = read_source(&files.up_yaml)?;
        return Ok(Some(Migration {
            up: String::new(),
            statements: Some(Vec::new()),
            not_runnable: Some(YAML_REASON.to_owned()),
            down,
            ..Migration::whole_file(version, name.to_owned(), files.up_yaml, source)
        }));
    }
    if has_sql {
        let source = read_source(&files.up_sql)?;
        return Ok(Some(Migration {
            down,
            ..Migration::whole_file(version, name.to_owned(), files.up_sql, source)
        }));
    }
    Err(FormatError::Orphan {
        path: files.shown,
        reason: format!(
            "has no `{UP_SQL}` (or it is empty): Hasura would mark version {} applied without running anything; add its `{UP_SQL}`, or remove the folder",
            version.as_str()
        ),
    })
}

/// Config v1's `<version>_<name>.<up|down>.<sql|yaml>` -> (`<version>_<name>`, file).
fn v1_name(name: &str) -> Option<(&str, &str)> {
    FILES.iter().find_map(|file| {
        let stem = name.strip_suffix(file)?.strip_suffix('.')?;
        split_version_name(stem).map(|_| (stem, *file))
    })
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    let source = source_dir(dir)?;
    let listing = list(&source)?;
    let mut migrations = Vec::new();
    let mut unmatched = Vec::new();
    // Config v1: single files beside each other.
    let mut v1: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for path in &listing.files {
        match file_name(path).and_then(v1_name) {
            Some((stem, _)) => {
                v1.insert(stem);
            }
            None => unmatched.push(path.clone()),
        }
    }
    for stem in v1 {
        let (version, name) = split_version_name(stem).expect("checked by v1_name");
        let file = |f: &str| source.join(format!("{stem}.{f}"));
        let files = Files {
            up_sql: file(UP_SQL),
            up_yaml: file(UP_YAML),
            down_sql: file(DOWN_SQL),
            down_yaml: file(DOWN_YAML),
            shown: file(UP_SQL),
        };
        let shown = files.shown.clone();
        match migration(version, name, files)? {
            Some(m) => migrations.push(m),
            None => unmatched.push(shown),
        }
    }
    for sub in listing.dirs {
        let Some((version, name)) = file_name(&sub).and_then(split_version_name) else {
            unmatched.push(sub);
            continue;
        };
        let inner = list(&sub)?;
        if !FILES.iter().any(|f| sub.join(f).is_file()) {
            unmatched.push(sub);
            continue;
        }
        unmatched.extend(inner.dirs);
        unmatched.extend(
            inner
                .files
                .into_iter()
                .filter(|p| !file_name(p).is_some_and(|n| FILES.contains(&n))),
        );
        let files = Files {
            up_sql: sub.join(UP_SQL),
            up_yaml: sub.join(UP_YAML),
            down_sql: sub.join(DOWN_SQL),
            down_yaml: sub.join(DOWN_YAML),
            shown: sub.clone(),
        };
        match migration(version, name, files)? {
            Some(m) => migrations.push(m),
            None => unmatched.push(sub),
        }
    }
    let mut folder = finish(&source, Format::Hasura, migrations, unmatched)?;
    folder.peer = Some(PeerTable {
        schema: HISTORY_SCHEMA.to_owned(),
        table: HISTORY_TABLE.to_owned(),
        project: Some(source_name(&source)),
    });
    Ok(folder)
}

/// `hasura migrate create <name>`: `<unix milliseconds>_<name>/up.sql` and `down.sql`.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Result<Vec<(PathBuf, String)>, FormatError> {
    let source = source_dir(dir)?;
    let version = super::template::bump_past(now.timestamp_millis().to_string(), existing);
    let folder = source.join(format!("{version}_{name}"));
    Ok(vec![
        (folder.join(UP_SQL), format!("-- {name}\n")),
        (folder.join(DOWN_SQL), format!("-- undo {name}\n")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let path = dir.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn versions_are_numbers_in_numeric_order() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            &[
                (
                    "config.yaml",
                    "version: 3\nendpoint: http://localhost:8080\n",
                ),
                ("migrations/default/1000_b/up.sql", "SELECT 2;\n"),
                ("migrations/default/999_a/up.sql", "SELECT 1;\n"),
                ("migrations/default/999_a/down.sql", "-- nothing\n"),
                ("migrations/default/1001_c/up.sql", ""),
                ("migrations/default/1001_c/up.yaml", "- type: run_sql\n"),
                ("migrations/default/README.md", "notes\n"),
                ("migrations/default/1002_d/up.sql.orig", "x\n"),
                // `hasura migrate create` before anything was written: skipped.
                ("migrations/default/1003_e/up.sql", ""),
                ("migrations/default/1003_e/down.sql", ""),
            ],
        );
        let dir = tmp.path().join("migrations");
        assert!(detect(&dir));
        assert!(detect(&dir.join("default")));
        assert!(is_source(&dir.join("default")));
        // Pointing at `migrations/` with one source reads that source.
        let folder = read(&dir).unwrap();
        let got: Vec<(&str, &str, bool, bool)> = folder
            .migrations
            .iter()
            .map(|m| {
                (
                    m.version.as_str(),
                    m.name.as_str(),
                    m.down.is_some(),
                    m.not_runnable.is_some(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("999", "a", false, false),
                ("1000", "b", false, false),
                ("1001", "c", false, true)
            ]
        );
        let unmatched: Vec<&str> = folder
            .unmatched
            .iter()
            .map(|p| file_name(p).unwrap())
            .collect();
        assert_eq!(unmatched, ["1002_d", "1003_e", "README.md"]);
        let peer = folder.peer.unwrap();
        assert_eq!(peer.schema, "hdb_catalog");
        assert_eq!(peer.project.as_deref(), Some("default"));
        let v2 = tempfile::tempdir().unwrap();
        write(
            v2.path(),
            &[
                (
                    "config.yaml",
                    "version: 2\nendpoint: http://localhost:8080\n",
                ),
                ("db/1_a/up.sql", "SELECT 1;\n"),
                (
                    "v3/config.yaml",
                    "version: 3\nendpoint: http://localhost:8080\n",
                ),
                ("v3/migrations/reports/1_a/up.sql", "SELECT 1;\n"),
            ],
        );
        assert_eq!(source_name(&v2.path().join("db")), "default");
        assert_eq!(
            source_name(&v2.path().join("v3/migrations/reports")),
            "reports"
        );
    }

    /// The committed fixtures, as detection and reading see them.
    #[test]
    fn fixtures_are_detected_and_read() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let cases = [
            ("hasura/app/migrations", Format::Hasura),
            ("hasura/app/migrations/default", Format::Hasura),
            ("graphile-migrate/app/migrations", Format::GraphileMigrate),
            (
                "graphile-migrate/app/migrations/committed",
                Format::GraphileMigrate,
            ),
        ];
        for (rel, want) in cases {
            let dir = fixtures.join(rel);
            assert_eq!(super::super::detect(&dir).unwrap(), want, "{rel}");
            let folder = super::super::load(&dir, None).unwrap();
            assert_eq!(folder.migrations.len(), 240, "{rel}");
        }
    }

    /// Config v1 projects keep single files: `<version>_<name>.up.sql` and friends.
    #[test]
    fn config_v1_single_files() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            &[
                ("config.yaml", "endpoint: http://localhost:8080\n"),
                (
                    "migrations/1550000000000_init.up.sql",
                    "CREATE TABLE a ();\n",
                ),
                ("migrations/1550000000000_init.down.sql", "DROP TABLE a;\n"),
                (
                    "migrations/1550000000001_track.up.yaml",
                    "- type: track_table\n",
                ),
                ("migrations/1550000000002_b.down.sql", "DROP TABLE b;\n"),
                ("migrations/notes.txt", "x\n"),
            ],
        );
        let dir = tmp.path().join("migrations");
        assert!(detect(&dir));
        let err = read(&dir).unwrap_err().to_string();
        assert!(
            err.contains("1550000000002_b.up.sql` has no `up.sql`"),
            "{err}"
        );
        fs::remove_file(dir.join("1550000000002_b.down.sql")).unwrap();
        let folder = read(&dir).unwrap();
        let got: Vec<(&str, bool, bool)> = folder
            .migrations
            .iter()
            .map(|m| (m.name.as_str(), m.down.is_some(), m.not_runnable.is_some()))
            .collect();
        assert_eq!(got, [("init", true, false), ("track", false, true)]);
        assert_eq!(folder.unmatched, [dir.join("notes.txt")]);
    }

    #[test]
    fn diesel_like_folders_without_hasura_evidence_are_not_hasura() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            &[
                ("migrations/2024-01-01-000000_a/up.sql", "SELECT 1;\n"),
                ("diesel.toml", "[print_schema]\n"),
                ("config.yaml", "server:\n  port: 8080\n"),
            ],
        );
        assert!(!detect(&tmp.path().join("migrations")));
    }

    #[test]
    fn errors() {
        let cases: [(&[(&str, &str)], &str); 3] = [
            (
                &[("m/1700000000000_a/down.sql", "DROP TABLE a;\n")],
                "has no `up.sql` (or it is empty): Hasura would mark version 1700000000000 applied",
            ),
            (
                &[
                    ("m/0100_a/up.sql", "SELECT 1;\n"),
                    ("m/100_b/up.sql", "SELECT 2;\n"),
                ],
                "version 100 is used twice",
            ),
            (
                &[
                    ("m/default/1_a/up.sql", "SELECT 1;\n"),
                    ("m/other/1_a/up.sql", "SELECT 1;\n"),
                ],
                "holds the migrations of 2 Hasura databases (`default`, `other`)",
            ),
        ];
        for (files, want) in cases {
            let tmp = tempfile::tempdir().unwrap();
            write(tmp.path(), files);
            let err = read(&tmp.path().join("m")).unwrap_err().to_string();
            assert!(err.contains(want), "{files:?}: {err}");
        }
    }
}
