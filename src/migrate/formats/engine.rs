//! Folders written for another database engine (issue 10, item 6): a Prisma folder whose
//! `migration_lock.toml` names another provider, a drizzle folder whose journal or
//! `drizzle.config.*` names another dialect, a Sqitch project or a Flyway config for
//! another engine, and SQL that only ClickHouse, H2, MySQL or SQLite accept. Such a folder
//! is refused before anything runs ([`FormatError::OtherEngine`]), so it can never be
//! half-applied, and `init` lists it as skipped with that error's message.
//!
//! The SQL check looks at keywords outside comments, strings and quoted identifiers, so
//! a comment or a string that mentions `AUTO_INCREMENT` is not evidence.

use std::fs;
use std::path::Path;

use super::detect::HEAD_BYTES;
use super::{FormatError, drizzle, liquibase};

/// Folder names that say which database engine their migrations are for.
pub const FOLDER_ENGINES: &[(&str, &str)] = &[
    ("postgres", "PostgreSQL"),
    ("postgresql", "PostgreSQL"),
    ("pg", "PostgreSQL"),
    ("pgsql", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mariadb", "MariaDB"),
    ("h2", "H2"),
    ("hsqldb", "HSQLDB"),
    ("sqlite", "SQLite"),
    ("sqlite3", "SQLite"),
    ("oracle", "Oracle"),
    ("sqlserver", "SQL Server"),
    ("mssql", "SQL Server"),
    ("db2", "Db2"),
    ("derby", "Derby"),
    ("cockroach", "CockroachDB"),
    ("cockroachdb", "CockroachDB"),
    ("clickhouse", "ClickHouse"),
    ("snowflake", "Snowflake"),
    ("redshift", "Redshift"),
    ("firebird", "Firebird"),
];

/// The engine other than PostgreSQL a folder's name gives (`mysql/`, `h2/`), matched
/// without regard to case: a Flyway tree keeps one folder per engine.
pub fn other_engine_folder(dir: &Path) -> Option<&'static str> {
    let name = dir.file_name()?.to_str()?;
    FOLDER_ENGINES
        .iter()
        .find(|(folder, _)| folder.eq_ignore_ascii_case(name))
        .map(|(_, engine)| *engine)
        .filter(|engine| *engine != "PostgreSQL")
}

/// Refuses `dir` when its tool's own config names an engine other than PostgreSQL.
pub(super) fn check_config(dir: &Path) -> Result<(), FormatError> {
    match tool_config(dir) {
        Some((engine, evidence)) => Err(FormatError::OtherEngine {
            dir: dir.to_owned(),
            engine,
            evidence,
        }),
        None => Ok(()),
    }
}

/// Refuses `dir` when one of its `scripts` (path, text) is SQL for another engine.
/// Only the first [`HEAD_BYTES`] of each text are looked at, as detection reads them,
/// so callers pass text they already hold and nothing is read twice.
pub(super) fn check_sql<'a>(
    dir: &Path,
    scripts: impl IntoIterator<Item = (&'a Path, &'a str)>,
) -> Result<(), FormatError> {
    for (path, text) in scripts {
        // Liquibase changesets for other databases (`dbms:mysql`) are not pgfleet's.
        let text = head(text);
        let kept = liquibase::postgres_part(text);
        if let Some((engine, line, shown)) = sql_engine(kept.as_deref().unwrap_or(text)) {
            return Err(FormatError::OtherEngine {
                dir: dir.to_owned(),
                engine: engine.to_owned(),
                evidence: format!("`{}` line {line}: `{shown}`", path.display()),
            });
        }
    }
    Ok(())
}

/// The first [`HEAD_BYTES`] of `text`, cut at a character boundary.
fn head(text: &str) -> &str {
    let mut end = text.len().min(HEAD_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The engine a tool's own config in `dir` names, when it is not PostgreSQL.
fn tool_config(dir: &Path) -> Option<(String, String)> {
    let shown = |path: &Path, line: usize, text: &str| {
        format!("`{}` line {line}: `{}`", path.display(), text.trim())
    };
    // Prisma: `provider = "mysql"` in migration_lock.toml.
    let lock = dir.join("migration_lock.toml");
    if let Ok(text) = fs::read_to_string(&lock) {
        for (i, line) in text.lines().enumerate() {
            if let Some(value) = assignment(line, "provider") {
                if !is_postgres(&value) {
                    return Some((engine_name(&value), shown(&lock, i + 1, line)));
                }
            }
        }
    }
    // drizzle: the journal's `dialect`, then drizzle.config.*'s.
    let journal = dir.join("meta").join("_journal.json");
    if let Ok(text) = fs::read_to_string(&journal) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(dialect) = value.get("dialect").and_then(|d| d.as_str()) {
                if !is_postgres(dialect) {
                    let line = text
                        .lines()
                        .position(|l| l.contains("\"dialect\""))
                        .map_or(1, |i| i + 1);
                    let evidence = shown(&journal, line, &format!("\"dialect\": \"{dialect}\""));
                    return Some((engine_name(dialect), evidence));
                }
            }
        }
    }
    // The config first (a few stats): telling a drizzle folder by its snapshot
    // folders lists the whole folder, so that is only done for a config that
    // names another engine, not on every load.
    if let Some(config) = drizzle::find_config(dir) {
        if let Some(setting) = config.dialect.as_ref() {
            if !is_postgres(&setting.value)
                && (journal.is_file() || drizzle::has_snapshot_folders(dir))
            {
                let evidence = shown(
                    &config.path,
                    setting.line,
                    &format!("dialect: \"{}\"", setting.value),
                );
                return Some((engine_name(&setting.value), evidence));
            }
        }
    }
    // Sqitch: `engine = mysql` in sqitch.conf's [core].
    let conf = dir.join("sqitch.conf");
    if let Ok(text) = fs::read_to_string(&conf) {
        for (i, line) in text.lines().enumerate() {
            if let Some(value) = assignment(line, "engine") {
                if !is_postgres(&value) {
                    return Some((engine_name(&value), shown(&conf, i + 1, line)));
                }
            }
        }
    }
    // Flyway: `flyway.url=jdbc:mysql://...` (flyway.conf) or `url = "jdbc:h2:..."` (toml),
    // beside the folder or one level up, where `flyway.locations` usually points down.
    for folder in [Some(dir), dir.parent()].into_iter().flatten() {
        for name in ["flyway.conf", "flyway.toml"] {
            let path = folder.join(name);
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                let Some(at) = line.find("jdbc:") else {
                    continue;
                };
                let engine: String = line[at + 5..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                if !engine.is_empty() && !is_postgres(&engine) {
                    return Some((engine_name(&engine), shown(&path, i + 1, line)));
                }
            }
        }
    }
    None
}

/// `key = value` or `key: value` (quotes stripped) when `line` sets `key`.
fn assignment(line: &str, key: &str) -> Option<String> {
    let line = line.trim();
    let rest = line.strip_prefix(key)?.trim_start();
    let rest = rest
        .strip_prefix('=')
        .or_else(|| rest.strip_prefix(':'))?
        .trim();
    let value = rest.split('#').next().unwrap_or_default().trim();
    Some(value.trim_matches(['"', '\'']).to_owned())
}

fn is_postgres(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "postgresql" | "postgres" | "pg"
    )
}

/// A readable engine name for a provider, dialect or JDBC name.
fn engine_name(raw: &str) -> String {
    match raw.to_ascii_lowercase().as_str() {
        "mysql" | "mariadb" => "MySQL",
        "sqlite" | "turso" | "libsql" | "sqlite3" => "SQLite",
        "sqlserver" | "mssql" => "SQL Server",
        "cockroachdb" | "cockroach" => "CockroachDB",
        "mongodb" => "MongoDB",
        "clickhouse" => "ClickHouse",
        "h2" => "H2",
        "singlestore" => "SingleStore",
        "oracle" => "Oracle",
        "snowflake" => "Snowflake",
        "gel" => "Gel",
        _ => return raw.to_owned(),
    }
    .to_owned()
}

/// The engine whose SQL `text` is written in, with the line and its text, when that is
/// clearly not PostgreSQL.
pub(super) fn sql_engine(text: &str) -> Option<(&'static str, usize, String)> {
    // Most files hold none of the words looked for: skip lexing them.
    const NEEDLES: [&str; 8] = [
        "engine",
        "auto_increment",
        "autoincrement",
        "rowid",
        "pragma",
        "cached",
        "memory",
        "mode",
    ];
    let lower = text.to_ascii_lowercase();
    if !text.contains('`') && !NEEDLES.iter().any(|n| lower.contains(n)) {
        return None;
    }
    let masked = mask(text);
    let tokens = tokens(&masked);
    let word = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    let at = |line: usize, engine: &'static str| {
        let shown = text
            .lines()
            .nth(line - 1)
            .unwrap_or_default()
            .trim()
            .chars()
            .take(80)
            .collect();
        Some((engine, line, shown))
    };
    // ClickHouse first (it has backticks and ENGINE clauses too), then H2 (AUTO_INCREMENT
    // too), MySQL, SQLite.
    let checks: [(&'static str, &dyn Fn(usize) -> bool); 4] = [
        ("ClickHouse", &|i| {
            word(i) == "engine" && {
                let value = if word(i + 1) == "=" {
                    word(i + 2)
                } else {
                    word(i + 1)
                };
                value.ends_with("mergetree") || matches!(value, "tinylog" | "stripelog")
            }
        }),
        ("H2", &|i| {
            (word(i) == "create"
                && matches!(word(i + 1), "cached" | "memory")
                && word(i + 2) == "table")
                || (word(i) == "set" && word(i + 1) == "mode" && i_starts_statement(&tokens, i))
        }),
        ("MySQL", &|i| {
            word(i) == "`"
                || word(i) == "auto_increment"
                || (word(i) == "engine"
                    && matches!(
                        if word(i + 1) == "=" {
                            word(i + 2)
                        } else {
                            word(i + 1)
                        },
                        "innodb" | "myisam" | "aria"
                    ))
        }),
        ("SQLite", &|i| {
            word(i) == "autoincrement"
                || (word(i) == "without" && word(i + 1) == "rowid")
                || (word(i) == "pragma" && i_starts_statement(&tokens, i))
        }),
    ];
    for (engine, found) in checks {
        if let Some(i) = (0..tokens.len()).find(|&i| found(i)) {
            return at(tokens[i].line, engine);
        }
    }
    None
}

fn i_starts_statement(tokens: &[Token], i: usize) -> bool {
    i == 0 || tokens[i - 1].text == ";"
}

struct Token {
    /// Lowercased word, or one of `=`, `;`, `` ` ``.
    text: String,
    line: usize,
}

fn tokens(masked: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < masked.len() {
        let b = masked[i];
        if b == b'\n' {
            line += 1;
            i += 1;
        } else if b.is_ascii_alphanumeric() || b == b'_' {
            let start = i;
            while i < masked.len() && (masked[i].is_ascii_alphanumeric() || masked[i] == b'_') {
                i += 1;
            }
            out.push(Token {
                text: String::from_utf8_lossy(&masked[start..i]).to_ascii_lowercase(),
                line,
            });
        } else {
            if matches!(b, b'=' | b';' | b'`') {
                out.push(Token {
                    text: (b as char).to_string(),
                    line,
                });
            }
            i += 1;
        }
    }
    out
}

/// `text` with comments, strings, quoted identifiers and dollar-quoted bodies blanked
/// (line breaks kept, so lines still count).
fn mask(text: &str) -> Vec<u8> {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to.min(src.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        if rest.starts_with(b"--") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(src.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = i;
            while j < src.len() {
                if src[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if src[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if src[i] == b'\'' || src[i] == b'"' {
            let quote = src[i];
            let escapes = quote == b'\''
                && i > 0
                && matches!(src[i - 1], b'e' | b'E')
                && (i < 2 || !ident(src[i - 2]));
            let mut j = i + 1;
            while j < src.len() {
                if escapes && src[j] == b'\\' {
                    j += 2;
                } else if src[j] == quote {
                    if src.get(j + 1) == Some(&quote) {
                        j += 2;
                    } else {
                        j += 1;
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if src[i] == b'$' && (i == 0 || !ident(src[i - 1])) {
            let tag_end = src[i + 1..]
                .iter()
                .position(|&b| !ident(b))
                .map(|p| i + 1 + p);
            match tag_end {
                Some(end)
                    if src[end] == b'$' && !src.get(i + 1).is_some_and(u8::is_ascii_digit) =>
                {
                    let tag = &src[i..=end];
                    let body = end + 1;
                    let close = src[body..]
                        .windows(tag.len())
                        .position(|w| w == tag)
                        .map_or(src.len(), |p| body + p + tag.len());
                    blank(&mut out, i, close);
                    i = close;
                }
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_from_sql() {
        let cases: [(&str, Option<(&str, usize)>); 14] = [
            ("CREATE TABLE t (id serial PRIMARY KEY);", None),
            (
                "CREATE TABLE t (id int) ENGINE = MergeTree ORDER BY id;",
                Some(("ClickHouse", 1)),
            ),
            (
                "CREATE TABLE t (id UInt64)\nENGINE=ReplacingMergeTree()\nORDER BY id;",
                Some(("ClickHouse", 2)),
            ),
            (
                "CREATE TABLE `users` (\n  id int NOT NULL AUTO_INCREMENT\n);",
                Some(("MySQL", 1)),
            ),
            (
                "CREATE TABLE users (id int) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;",
                Some(("MySQL", 1)),
            ),
            (
                "CREATE TABLE t (\n id INTEGER PRIMARY KEY AUTOINCREMENT\n);",
                Some(("SQLite", 2)),
            ),
            (
                "CREATE TABLE t (k text PRIMARY KEY) WITHOUT ROWID;",
                Some(("SQLite", 1)),
            ),
            ("PRAGMA foreign_keys = ON;", Some(("SQLite", 1))),
            ("CREATE CACHED TABLE t (id int);", Some(("H2", 1))),
            (
                "CREATE MEMORY TABLE t (id int AUTO_INCREMENT);",
                Some(("H2", 1)),
            ),
            // Mentions in comments, strings, identifiers and function bodies are not evidence.
            (
                "-- unlike MySQL's AUTO_INCREMENT and `backticks`\n/* ENGINE=InnoDB */ SELECT 'AUTOINCREMENT';",
                None,
            ),
            ("CREATE TABLE \"engine\" (\"pragma\" int);", None),
            (
                "CREATE FUNCTION f() RETURNS text AS $$ SELECT '`x` ENGINE=InnoDB' $$ LANGUAGE sql;",
                None,
            ),
            ("SELECT E'it\\'s `x`';", None),
        ];
        for (sql, want) in cases {
            let got = sql_engine(sql).map(|(engine, line, _)| (engine, line));
            assert_eq!(got, want, "sql {sql:?}");
        }
    }

    #[test]
    fn assignments() {
        assert_eq!(
            assignment("provider = \"mysql\"", "provider").as_deref(),
            Some("mysql")
        );
        assert_eq!(
            assignment("  engine = pg  # default", "engine").as_deref(),
            Some("pg")
        );
        assert_eq!(assignment("providers = x", "provider"), None);
    }
}

#[cfg(test)]
mod fixture_tests {
    use std::path::{Path, PathBuf};

    use super::super::{Format, detect, load};
    use super::*;
    use std::fs;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
    }

    /// Every folder under tests/fixtures/detect written for another engine is refused,
    /// detected or with its format forced, with a message that names the evidence.
    #[test]
    fn other_engine_folders_are_refused() {
        let cases = [
            (
                "prisma_mysql",
                Format::Prisma,
                "MySQL",
                "migration_lock.toml` line 3: `provider = \"mysql\"`",
            ),
            (
                "drizzle_sqlite",
                Format::Drizzle,
                "SQLite",
                "_journal.json` line 3: `\"dialect\": \"sqlite\"`",
            ),
            (
                "clickhouse",
                Format::Native,
                "ClickHouse",
                "0001_create_events.sql` line 6: `) ENGINE = MergeTree`",
            ),
            (
                "mysql",
                Format::Dbmate,
                "MySQL",
                "line 6: `) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`",
            ),
            (
                "sqlite",
                Format::GolangMigrate,
                "SQLite",
                "0001_create_users.up.sql` line 2: `id INTEGER PRIMARY KEY AUTOINCREMENT,`",
            ),
            (
                "h2",
                Format::Flyway,
                "H2",
                "V1__create_users.sql` line 1: `CREATE CACHED TABLE users (`",
            ),
            (
                "sqitch_mysql",
                Format::Sqitch,
                "MySQL",
                "sqitch.conf` line 2: `engine = mysql`",
            ),
        ];
        for (rel, format, engine, evidence) in cases {
            let dir = fixture(&format!("detect/{rel}"));
            let err = detect(&dir).unwrap_err();
            let FormatError::OtherEngine { engine: got, .. } = &err else {
                panic!("{rel}: {err}");
            };
            assert_eq!(got, engine, "{rel}");
            let text = err.to_string();
            assert!(text.contains(evidence), "{rel}: {text}");
            assert!(
                text.starts_with(&format!(
                    "migrations folder `{}` is written for {engine}, not PostgreSQL (",
                    dir.display()
                )),
                "{rel}: {text}"
            );
            // Forcing the format does not get around it.
            let forced = load(&dir, Some(format));
            assert!(
                matches!(forced, Err(FormatError::OtherEngine { .. })),
                "{rel}: {forced:?}"
            );
        }
    }

    #[test]
    fn drizzle_config_dialect_is_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("drizzle");
        fs::create_dir_all(out.join("meta")).unwrap();
        fs::write(out.join("meta/_journal.json"), "{\"entries\": []}").unwrap();
        fs::write(
            tmp.path().join("drizzle.config.ts"),
            "export default {\n  dialect: \"mysql\",\n  out: \"./drizzle\",\n};\n",
        )
        .unwrap();
        let err = detect(&out).unwrap_err().to_string();
        assert!(err.contains("is written for MySQL"), "{err}");
        assert!(
            err.contains("drizzle.config.ts` line 2: `dialect: \"mysql\"`"),
            "{err}"
        );
    }

    #[test]
    fn drizzle_config_dialect_applies_to_drizzle_folders_only() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join("drizzle.config.ts"),
            "export default {\n  dialect: \"mysql\",\n  out: \"./drizzle\",\n};\n",
        )
        .unwrap();
        // drizzle-kit 1.x: snapshot folders, no journal.
        let v1 = tmp.path().join("drizzle");
        fs::create_dir_all(v1.join("20250101000000_init")).unwrap();
        fs::write(v1.join("20250101000000_init/migration.sql"), "SELECT 1;\n").unwrap();
        fs::write(v1.join("20250101000000_init/snapshot.json"), "{}").unwrap();
        let err = tool_config(&v1).expect("refused").0;
        assert_eq!(err, "MySQL");
        // Another tool's folder under the same config is not drizzle's.
        let other = tmp.path().join("other");
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("0001_init.sql"), "SELECT 1;\n").unwrap();
        assert_eq!(tool_config(&other), None);
    }
}
