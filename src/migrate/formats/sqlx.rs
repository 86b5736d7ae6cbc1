//! sqlx: `<version>_<desc>.sql` (up only) or `<version>_<desc>.up.sql` + `.down.sql`
//! (reversible), possibly mixed in one folder. A first line `-- no-transaction` runs the
//! file outside a transaction (sqlx-core `migrate/source.rs`).
//!
//! Detection sees reversible sqlx folders as golang-migrate and single-file ones as native
//! (SPEC); `format = "sqlx"` reads them with this module and adopts `_sqlx_migrations`.

use std::path::{Path, PathBuf};

use super::{Format, FormatError, Migration, next_timestamp};

/// sqlx's marker, checked with `starts_with` on the first line as sqlx does.
pub(super) const NO_TRANSACTION: &str = "-- no-transaction";

pub(super) fn read(dir: &Path) -> Result<super::Folder, FormatError> {
    super::golang_migrate::read_pairs(dir, Format::Sqlx, true)
}

/// `sqlx migrate add` keeps a folder's style: reversible pairs once the folder has one,
/// a single file otherwise. sqlx's own template text is `-- Add migration script here`.
pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let version = next_timestamp(now, false, existing);
    let reversible = existing
        .iter()
        .any(|m| super::file_name(&m.path).is_some_and(|n| n.ends_with(".up.sql")));
    if reversible {
        super::golang_migrate::pair(dir, &version, name)
    } else {
        vec![(
            dir.join(format!("{version}_{name}.sql")),
            "-- Add migration script here\n".to_owned(),
        )]
    }
}

/// What `sqlx.toml` (sqlx 0.9) says about migrations that changes the rows sqlx writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqlxConfig {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// `[migrate] table-name`: the history table, maybe `schema.table` (default
    /// `_sqlx_migrations`).
    pub table_name: Option<String>,
    /// `[migrate] ignored-chars`: left out of the checksum (sqlx-core `config/migrate.rs`).
    pub ignored_chars: Vec<char>,
}

/// The `sqlx.toml` of the crate a sqlx migrations folder belongs to: the nearest one in
/// `dir` or a folder above it, up to the first folder holding `Cargo.toml` (sqlx reads
/// it from the crate's root, `CARGO_MANIFEST_DIR`, or sqlx-cli's working directory).
/// No file: the defaults.
pub fn config(dir: &Path) -> Result<SqlxConfig, FormatError> {
    for folder in dir.ancestors() {
        let path = folder.join("sqlx.toml");
        if path.is_file() {
            return parse_config(&path);
        }
        if folder.join("Cargo.toml").is_file() {
            break;
        }
    }
    Ok(SqlxConfig::default())
}

fn parse_config(path: &Path) -> Result<SqlxConfig, FormatError> {
    let text = super::read_source(path)?.text;
    let syntax = |line: usize, message: String| FormatError::Syntax {
        path: path.to_owned(),
        line,
        message,
    };
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        syntax(
            e.span().map_or(0, |s| line_of(s.start)),
            e.message().to_owned(),
        )
    })?;
    let mut config = SqlxConfig {
        path: Some(path.to_owned()),
        ..SqlxConfig::default()
    };
    let Some(migrate) = value.get("migrate").and_then(toml::Value::as_table) else {
        return Ok(config);
    };
    let key_line = |key: &str| text.find(key).map_or(0, line_of);
    if let Some(name) = migrate.get("table-name") {
        let name = name.as_str().ok_or_else(|| {
            syntax(
                key_line("table-name"),
                "`migrate.table-name` must be a string".to_owned(),
            )
        })?;
        config.table_name = Some(name.to_owned());
    }
    if let Some(chars) = migrate.get("ignored-chars") {
        let bad = || {
            syntax(
                key_line("ignored-chars"),
                "`migrate.ignored-chars` must be a list of one-character strings, e.g. [\"\\r\"]"
                    .to_owned(),
            )
        };
        for item in chars.as_array().ok_or_else(bad)? {
            let mut one = item.as_str().ok_or_else(bad)?.chars();
            match (one.next(), one.next()) {
                (Some(c), None) => config.ignored_chars.push(c),
                _ => return Err(bad()),
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_toml_is_read_from_the_crate() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("svc/migrations");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(root.path().join("svc/Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(config(&dir).unwrap(), SqlxConfig::default());
        // Above the crate's root: not this crate's.
        std::fs::write(
            root.path().join("sqlx.toml"),
            "[migrate]\ntable-name = \"x\"\n",
        )
        .unwrap();
        assert_eq!(config(&dir).unwrap(), SqlxConfig::default());
        std::fs::write(
            root.path().join("svc/sqlx.toml"),
            "[migrate]\ntable-name = \"app._sqlx_migrations\"\nignored-chars = [\" \", \"\\t\", \"\\r\", \"\\n\", \"\\uFEFF\"]\n",
        )
        .unwrap();
        let c = config(&dir).unwrap();
        assert_eq!(c.table_name.as_deref(), Some("app._sqlx_migrations"));
        assert_eq!(c.ignored_chars, [' ', '\t', '\r', '\n', '\u{feff}']);
        std::fs::write(
            root.path().join("svc/sqlx.toml"),
            "[migrate]\n\nignored-chars = [\"ab\"]\n",
        )
        .unwrap();
        assert_eq!(
            config(&dir).unwrap_err().to_string(),
            format!(
                "{}:3: `migrate.ignored-chars` must be a list of one-character strings, e.g. [\"\\r\"]",
                root.path().join("svc/sqlx.toml").display()
            )
        );
    }
}
