//! Atlas versioned migration directories: `<version>_<name>.sql` (or `<version>.sql`)
//! files beside an `atlas.sum` integrity file, as atlasgo.io documents them
//! ("Migration Directory Integrity File", "Transaction modes", "Custom statement
//! delimiter") and `sql/migrate/dir.go` in ariga/atlas implements them.
//!
//! - `atlas.sum`: a first line `h1:<base64 SHA-256>` summing the entries below it, then
//!   one line `<file> h1:<base64>` per `.sql` file in name order. A file's hash is the
//!   running SHA-256 over every file name and content up to and including it, so a
//!   reordered or inserted file changes every hash after it. pgfleet recomputes it the
//!   same way and refuses a folder that does not match, naming the first file that
//!   differs (files with an `atlas:sum ignore` directive are hashed by name only, as
//!   Atlas does).
//! - Directives in the comment lines at the top of a file: `-- atlas:txmode none` runs
//!   it outside a transaction (`file`, the default, runs it in one); `-- atlas:delimiter
//!   X` splits it on `X` instead of `;` (`\n` and `\t` in `X` are a newline and a tab),
//!   each part sent as one statement.
//!
//! Atlas directories have no down files (Atlas plans its down migrations itself).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::{
    Folder, Format, FormatError, Kind, Migration, Statement, Transaction, Version, file_name,
    finish, io_error, lines, list, read_source, timestamped_file,
};

pub(super) const SUM_FILE: &str = "atlas.sum";

/// `<version>_<name>.sql` or `<version>.sql` -> (version, name); versions are digits.
pub(super) fn parse_name(file: &str) -> Option<(Version, &str)> {
    let stem = file.strip_suffix(".sql")?;
    let (digits, name) = stem.split_once('_').unwrap_or((stem, ""));
    Some((Version::parse_integer(digits)?, name))
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    verify_sum(dir)?;
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    for path in listing.files {
        let Some(file) = file_name(&path) else {
            unmatched.push(path);
            continue;
        };
        if file == SUM_FILE {
            continue;
        }
        let Some((version, name)) = parse_name(file) else {
            unmatched.push(path);
            continue;
        };
        let name = name.to_owned();
        let source = read_source(&path)?;
        migrations.push(parse(path, version, name, &source.text, source.checksum)?);
    }
    finish(dir, Format::Atlas, migrations, unmatched)
}

/// The directives at the top of a file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Directives {
    no_transaction: bool,
    delimiter: Option<String>,
    sum_ignore: bool,
}

/// Reads `-- atlas:<name> <value>` lines from the leading comment lines.
fn directives(text: &str, path: &Path) -> Result<Directives, FormatError> {
    let mut found = Directives::default();
    for line in lines(text) {
        let content = line.content.trim();
        if content.is_empty() {
            continue;
        }
        let Some(comment) = content
            .strip_prefix("--")
            .or_else(|| content.strip_prefix('#'))
        else {
            break;
        };
        let Some(directive) = comment.trim_start().strip_prefix("atlas:") else {
            continue;
        };
        let (name, value) = directive
            .split_once(char::is_whitespace)
            .map_or((directive, ""), |(n, v)| (n, v.trim()));
        match name {
            "txmode" => match value {
                "none" => found.no_transaction = true,
                "file" | "all" => {}
                other => {
                    return Err(FormatError::Syntax {
                        path: path.to_owned(),
                        line: line.number,
                        message: format!(
                            "unknown `atlas:txmode {other}`; Atlas knows `none`, `file` and `all`"
                        ),
                    });
                }
            },
            "delimiter" => {
                let delimiter = value.replace("\\n", "\n").replace("\\t", "\t");
                if delimiter.is_empty() {
                    return Err(FormatError::Syntax {
                        path: path.to_owned(),
                        line: line.number,
                        message: "`atlas:delimiter` needs a delimiter after it".to_owned(),
                    });
                }
                found.delimiter = Some(delimiter);
            }
            "sum" => found.sum_ignore = value == "ignore",
            // Other directives (checkpoint, nolint, ...) do not change how it runs.
            _ => {}
        }
    }
    Ok(found)
}

fn parse(
    path: PathBuf,
    version: Version,
    name: String,
    text: &str,
    checksum: String,
) -> Result<Migration, FormatError> {
    let found = directives(text, &path)?;
    let statements = found
        .delimiter
        .as_deref()
        .map(|delimiter| split_on(text, delimiter));
    let up = match &statements {
        Some(statements) => super::goose::script_text(statements),
        None => text.to_owned(),
    };
    Ok(Migration {
        version,
        name,
        kind: Kind::Versioned,
        path,
        up,
        up_line: 1,
        down: None,
        transaction: Transaction::unless_marked(found.no_transaction),
        checksum,
        statements,
        not_runnable: None,
        verify: None,
    })
}

/// Splits `text` on `delimiter`; each non-blank part is one statement, with the line
/// it starts on. Directive lines are comments and drop out as blank parts.
fn split_on(text: &str, delimiter: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut offset = 0;
    for part in text.split(delimiter) {
        let leading = part.len() - part.trim_start().len();
        let line = 1 + text[..offset + leading].matches('\n').count();
        if !super::is_blank_sql(part) {
            statements.push(Statement {
                sql: part.trim().to_owned(),
                line,
                whole: true,
            });
        }
        offset += part.len() + delimiter.len();
    }
    statements
}

/// `atlas.sum` as Atlas computes it for the `.sql` files of `dir`, in name order:
/// (file name, `h1:` hash) per file, running over all names and contents so far.
fn compute_sum(dir: &Path) -> Result<Vec<(String, String)>, FormatError> {
    let listing = list(dir)?;
    let mut hasher = Sha256::new();
    let mut entries = Vec::new();
    for path in &listing.files {
        let Some(name) = file_name(path) else {
            continue;
        };
        // Atlas takes every `*.sql` file, case-sensitively.
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let bytes = fs::read(path).map_err(io_error(path))?;
        hasher.update(name.as_bytes());
        let text = String::from_utf8_lossy(&bytes);
        if directives(&text, path).is_ok_and(|d| d.sum_ignore) {
            continue;
        }
        hasher.update(&bytes);
        let hash = base64::engine::general_purpose::STANDARD.encode(hasher.clone().finalize());
        entries.push((name.to_owned(), hash));
    }
    Ok(entries)
}

/// The directory sum over the entries (the first line of `atlas.sum`, without `h1:`).
fn directory_sum(entries: &[(String, String)]) -> String {
    let mut sha = Sha256::new();
    for (name, hash) in entries {
        sha.update(name.as_bytes());
        sha.update(hash.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The text Atlas writes into `atlas.sum` for these entries.
fn sum_text(entries: &[(String, String)]) -> String {
    let mut text = format!("h1:{}\n", directory_sum(entries));
    for (name, hash) in entries {
        let _ = writeln!(text, "{name} h1:{hash}");
    }
    text
}

/// Why `atlas.sum` does not match the files, if it does not; `None` when it matches
/// (or there is no sum file, which detection never leaves for this format).
pub(crate) fn sum_problem(dir: &Path) -> Result<Option<String>, FormatError> {
    let sum_path = dir.join(SUM_FILE);
    if !sum_path.is_file() {
        let has_sql = list(dir)?
            .files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "sql"));
        return Ok(has_sql.then(|| format!("`{SUM_FILE}` is missing")));
    }
    let text = read_source(&sum_path)?.text;
    let mut rows = lines(&text).map(|l| l.content);
    let first = rows.next().unwrap_or_default().trim();
    let mut listed = Vec::new();
    for row in rows.filter(|r| !r.trim().is_empty()) {
        let Some((name, hash)) = row.split_once("h1:") else {
            return Ok(Some(format!("its line `{row}` is not `<file> h1:<hash>`")));
        };
        listed.push((name.trim().to_owned(), hash.trim().to_owned()));
    }
    if first.strip_prefix("h1:") != Some(directory_sum(&listed).as_str()) {
        return Ok(Some(
            "its first line does not sum the lines below it (edited by hand?)".to_owned(),
        ));
    }
    let computed = compute_sum(dir)?;
    for i in 0..listed.len().max(computed.len()) {
        match (listed.get(i), computed.get(i)) {
            (Some((a, ha)), Some((b, hb))) if a == b && ha == hb => {}
            (Some((a, _)), Some((b, _))) if a == b => {
                return Ok(Some(format!("`{a}` changed")));
            }
            (Some((a, _)), Some((b, _))) => {
                let problem = if computed.iter().any(|(n, _)| n == a) {
                    format!("`{b}` is not listed where it sorts (before `{a}`)")
                } else {
                    format!("`{a}` is listed but missing")
                };
                return Ok(Some(problem));
            }
            (Some((a, _)), None) => return Ok(Some(format!("`{a}` is listed but missing"))),
            (None, Some((b, _))) => return Ok(Some(format!("`{b}` is not listed"))),
            (None, None) => {}
        }
    }
    Ok(None)
}

pub(super) fn verify_sum(dir: &Path) -> Result<(), FormatError> {
    match sum_problem(dir)? {
        None => Ok(()),
        Some(problem) => Err(FormatError::SumMismatch {
            sum: dir.join(SUM_FILE),
            problem,
        }),
    }
}

/// Rewrites `atlas.sum` for the files as they are, as `atlas migrate hash` does.
pub(crate) fn rewrite_sum(dir: &Path) -> Result<(), FormatError> {
    let text = sum_text(&compute_sum(dir)?);
    let path = dir.join(SUM_FILE);
    fs::write(&path, text).map_err(io_error(&path))
}

pub(super) fn template(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    existing: &[Migration],
) -> Vec<(PathBuf, String)> {
    let contents = format!(
        "-- {name}: the script goes here; then run `atlas migrate hash` (or `pgfleet repair DB`) to update atlas.sum.\n"
    );
    timestamped_file(dir, name, now, false, existing, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("20220318104614_init.sql", Some(("20220318104614", "init"))),
            ("1.sql", Some(("1", ""))),
            ("1_a_b.sql", Some(("1", "a_b"))),
            ("atlas.sum", None),
            ("init.sql", None),
        ];
        for (file, want) in cases {
            let got = parse_name(file).map(|(v, n)| (v.as_str().to_owned(), n));
            assert_eq!(got.as_ref().map(|(v, n)| (v.as_str(), *n)), want, "{file}");
        }
    }

    #[test]
    fn directives_at_the_top_only() {
        let p = Path::new("1_a.sql");
        let d = directives("-- atlas:txmode none\n\nCREATE TABLE t ();\n", p).unwrap();
        assert!(d.no_transaction);
        let d = directives("-- atlas:delimiter \\n\\n\nSELECT 1\n\nSELECT 2\n", p).unwrap();
        assert_eq!(d.delimiter.as_deref(), Some("\n\n"));
        let d = directives("SELECT 1;\n-- atlas:txmode none\n", p).unwrap();
        assert!(!d.no_transaction);
        let err = directives("-- atlas:txmode maybe\n", p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1_a.sql:1: unknown `atlas:txmode maybe`; Atlas knows `none`, `file` and `all`"
        );
    }

    #[test]
    fn custom_delimiter_splits_with_lines() {
        let text = "-- atlas:delimiter -- end\n\nCREATE FUNCTION f() RETURNS int AS 'SELECT 1; SELECT 2' LANGUAGE sql;\n-- end\nSELECT f();\n-- end\n";
        let statements = split_on(text, "-- end");
        let got: Vec<(&str, usize)> = statements
            .iter()
            .map(|s| (s.sql.as_str(), s.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "CREATE FUNCTION f() RETURNS int AS 'SELECT 1; SELECT 2' LANGUAGE sql;",
                    3
                ),
                ("SELECT f();", 5)
            ]
        );
    }

    /// A directory and the `atlas.sum` Atlas itself wrote for it, from the public
    /// repository 1995parham-teaching/tinyurl (`migrations/`, commit 5e349f99).
    #[test]
    fn sum_matches_what_atlas_wrote() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("20230824215746.sql"),
            "-- Create \"urls\" table\nCREATE TABLE \"urls\" (\"key\" text NOT NULL, \"url\" text NULL, \"visits\" bigint NULL, \"expire\" timestamptz NULL, \"created_at\" timestamptz NULL, \"updated_at\" timestamptz NULL, PRIMARY KEY (\"key\"));\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("20230824221251.sql"),
            "-- Modify \"urls\" table\nALTER TABLE \"urls\" ADD CONSTRAINT \"chk_urls_expire\" CHECK (expire > created_at), ADD CONSTRAINT \"chk_urls_visits\" CHECK (visits >= 0);\n-- Create index \"idx_urls_url\" to table: \"urls\"\nCREATE INDEX \"idx_urls_url\" ON \"urls\" (\"url\");\n",
        )
        .unwrap();
        let written_by_atlas = "h1:UKLUIELQ6N5aUY7pOonMrgvybz9G1vEibkHHFduRd4w=\n20230824215746.sql h1:bCLrrBfDa1o9dekkog8V3gdW8a2tdOHKYk/2MItd98g=\n20230824221251.sql h1:ub5YupUvbaPjSrOtcdVblbwSSFudPCzPajZLwOfl5lE=\n";
        assert_eq!(
            sum_text(&compute_sum(dir.path()).unwrap()),
            written_by_atlas
        );
        fs::write(dir.path().join(SUM_FILE), written_by_atlas).unwrap();
        assert_eq!(sum_problem(dir.path()).unwrap(), None);
    }

    #[test]
    fn sum_round_trip_and_mismatches() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
        write("1_a.sql", "CREATE TABLE a ();\n");
        write("2_b.sql", "CREATE TABLE b ();\n");
        rewrite_sum(dir.path()).unwrap();
        assert_eq!(sum_problem(dir.path()).unwrap(), None);
        let sum = fs::read_to_string(dir.path().join(SUM_FILE)).unwrap();
        let rows: Vec<&str> = sum.lines().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("h1:") && rows[1].starts_with("1_a.sql h1:"));

        write("2_b.sql", "CREATE TABLE b (x int);\n");
        assert_eq!(
            sum_problem(dir.path()).unwrap().as_deref(),
            Some("`2_b.sql` changed")
        );
        write("2_b.sql", "CREATE TABLE b ();\n");
        write("3_c.sql", "SELECT 1;\n");
        assert_eq!(
            sum_problem(dir.path()).unwrap().as_deref(),
            Some("`3_c.sql` is not listed")
        );
        fs::remove_file(dir.path().join("3_c.sql")).unwrap();
        fs::remove_file(dir.path().join("1_a.sql")).unwrap();
        assert_eq!(
            sum_problem(dir.path()).unwrap().as_deref(),
            Some("`1_a.sql` is listed but missing")
        );
        fs::write(dir.path().join(SUM_FILE), sum.replacen("h1:", "h1:x", 1)).unwrap();
        assert!(
            sum_problem(dir.path())
                .unwrap()
                .unwrap()
                .starts_with("its first line does not sum")
        );
    }
}
