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
    verify_sum(dir, Format::Atlas)?;
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
            // Other directives (sum, checkpoint, nolint, ...) do not change how it runs.
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

/// Which files Atlas sums for a directory, by the directory format its URL names
/// (`file://dir?format=...`; ariga/atlas `sql/migrate/dir.go` `LocalDir.Files` and
/// `sql/sqltool/tool.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SumFiles {
    /// Every `*.sql` file of the folder itself, in byte order of the name: Atlas's own
    /// format, and goose, dbmate and Liquibase, whose directories list files as Atlas's
    /// does (a dbmate file is summed whole, down section included). golang-migrate and
    /// Flyway folders were summed this way too until 2025 (`Checksum` delegated to the
    /// plain directory), so the `.down.sql` and `U` files are in their older sums.
    AllSql,
    /// `*.up.sql` only: golang-migrate's `Files` since Atlas stopped delegating, in
    /// 2025 (ariga/atlas issue 3460 shows both sums for the same folder).
    UpsOnly,
}

/// The sum styles a folder of `format` can carry, the one Atlas writes today first.
fn styles(format: Format) -> &'static [SumFiles] {
    match format {
        Format::GolangMigrate | Format::Sqlx => &[SumFiles::UpsOnly, SumFiles::AllSql],
        _ => &[SumFiles::AllSql],
    }
}

/// The style an existing sum was written in: one listing a file that is not an
/// `.up.sql` (a `.down.sql`) was written by an Atlas that summed every `.sql` file;
/// otherwise the first of `styles`.
fn style_of(format: Format, listed: &[(String, String)]) -> SumFiles {
    let styles = styles(format);
    if styles.contains(&SumFiles::AllSql)
        && listed.iter().any(|(name, _)| !name.ends_with(".up.sql"))
    {
        SumFiles::AllSql
    } else {
        styles[0]
    }
}

/// `atlas.sum` as Atlas computes it for `dir` in `style`: (file name, `h1:` hash) per
/// file in byte order of the names, each hash running over all names and contents so far.
fn compute_sum(dir: &Path, style: SumFiles) -> Result<Vec<(String, String)>, FormatError> {
    let listing = list(dir)?;
    let mut hasher = Sha256::new();
    let mut entries = Vec::new();
    let mut files: Vec<(&str, &PathBuf)> = listing
        .files
        .iter()
        .filter_map(|p| file_name(p).map(|n| (n, p)))
        // Atlas globs `*.sql` (`*.up.sql`), case-sensitively.
        .filter(|(n, _)| match style {
            SumFiles::AllSql => Path::new(n).extension().is_some_and(|e| e == "sql"),
            SumFiles::UpsOnly => n.ends_with(".up.sql"),
        })
        .collect();
    files.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (name, path) in files {
        let bytes = fs::read(path).map_err(io_error(path))?;
        hasher.update(name.as_bytes());
        if sum_ignored(&bytes) {
            continue;
        }
        hasher.update(&bytes);
        let hash = base64::engine::general_purpose::STANDARD.encode(hasher.clone().finalize());
        entries.push((name.to_owned(), hash));
    }
    Ok(entries)
}

/// Atlas's `atlas:sum ignore`: its directive pattern is matched at the very start of
/// the file (the first line, after any printable prefix such as `-- `).
fn sum_ignored(bytes: &[u8]) -> bool {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let Ok(first) = std::str::from_utf8(first) else {
        return false;
    };
    let Some((_, rest)) = first.split_once("atlas:") else {
        return false;
    };
    let mut words = rest.split(' ').filter(|w| !w.is_empty());
    words.next() == Some("sum") && words.next().is_some_and(|w| w.trim_end() == "ignore")
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

/// The `<file> h1:<hash>` lines of a sum file, skipping any that are not.
fn listed_entries(text: &str) -> Vec<(String, String)> {
    lines(text)
        .skip(1)
        .filter_map(|l| l.content.split_once("h1:"))
        .map(|(name, hash)| (name.trim().to_owned(), hash.trim().to_owned()))
        .collect()
}

/// The hash `dir`'s `atlas.sum` lists for `file`, if the sum file lists it.
pub(crate) fn sum_entry(dir: &Path, file: &str) -> Result<Option<String>, FormatError> {
    let sum_path = dir.join(SUM_FILE);
    if !sum_path.is_file() {
        return Ok(None);
    }
    let text = read_source(&sum_path)?.text;
    Ok(listed_entries(&text)
        .into_iter()
        .find(|(name, _)| name == file)
        .map(|(_, hash)| hash))
}

/// The text Atlas writes into `atlas.sum` for these entries.
fn sum_text(entries: &[(String, String)]) -> String {
    let mut text = format!("h1:{}\n", directory_sum(entries));
    for (name, hash) in entries {
        let _ = writeln!(text, "{name} h1:{hash}");
    }
    text
}

/// Why `atlas.sum` does not match the files as Atlas sums a `format` folder, if it does
/// not; `None` when it matches (or there is no sum file, which detection never leaves
/// for an Atlas folder).
pub(crate) fn sum_problem(dir: &Path, format: Format) -> Result<Option<String>, FormatError> {
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
    let computed = compute_sum(dir, style_of(format, &listed))?;
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

pub(super) fn verify_sum(dir: &Path, format: Format) -> Result<(), FormatError> {
    match sum_problem(dir, format)? {
        None => Ok(()),
        Some(problem) => Err(FormatError::SumMismatch {
            sum: dir.join(SUM_FILE),
            problem,
        }),
    }
}

/// Rewrites `atlas.sum` for the files as they are, as `atlas migrate hash` does for a
/// `format` folder, in the style the file was written in (see [`style_of`]).
pub(crate) fn rewrite_sum(dir: &Path, format: Format) -> Result<(), FormatError> {
    let path = dir.join(SUM_FILE);
    let listed = match fs::read_to_string(&path) {
        Ok(text) => listed_entries(&text),
        Err(_) => Vec::new(),
    };
    let text = sum_text(&compute_sum(dir, style_of(format, &listed))?);
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
            sum_text(&compute_sum(dir.path(), SumFiles::AllSql).unwrap()),
            written_by_atlas
        );
        fs::write(dir.path().join(SUM_FILE), written_by_atlas).unwrap();
        assert_eq!(sum_problem(dir.path(), Format::Atlas).unwrap(), None);
    }

    #[test]
    fn sum_round_trip_and_mismatches() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
        write("1_a.sql", "CREATE TABLE a ();\n");
        write("2_b.sql", "CREATE TABLE b ();\n");
        rewrite_sum(dir.path(), Format::Atlas).unwrap();
        assert_eq!(sum_problem(dir.path(), Format::Atlas).unwrap(), None);
        let sum = fs::read_to_string(dir.path().join(SUM_FILE)).unwrap();
        let rows: Vec<&str> = sum.lines().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("h1:") && rows[1].starts_with("1_a.sql h1:"));

        write("2_b.sql", "CREATE TABLE b (x int);\n");
        assert_eq!(
            sum_problem(dir.path(), Format::Atlas).unwrap().as_deref(),
            Some("`2_b.sql` changed")
        );
        write("2_b.sql", "CREATE TABLE b ();\n");
        write("3_c.sql", "SELECT 1;\n");
        assert_eq!(
            sum_problem(dir.path(), Format::Atlas).unwrap().as_deref(),
            Some("`3_c.sql` is not listed")
        );
        fs::remove_file(dir.path().join("3_c.sql")).unwrap();
        fs::remove_file(dir.path().join("1_a.sql")).unwrap();
        assert_eq!(
            sum_problem(dir.path(), Format::Atlas).unwrap().as_deref(),
            Some("`1_a.sql` is listed but missing")
        );
        fs::write(dir.path().join(SUM_FILE), sum.replacen("h1:", "h1:x", 1)).unwrap();
        assert!(
            sum_problem(dir.path(), Format::Atlas)
                .unwrap()
                .unwrap()
                .starts_with("its first line does not sum")
        );
    }

    /// The sums Atlas itself wrote for one golang-migrate folder of empty
    /// `{1,2,3}_foo.{up,down}.sql` files, before and after it stopped summing the
    /// down files (ariga/atlas issue 3460, "migrate hash started ignoring
    /// *.down.sql files with `?format=golang-migrate`"): both are accepted; a
    /// rewrite keeps the style the file has.
    #[test]
    fn golang_migrate_sums_written_by_atlas_old_and_new() {
        let ups_only = "h1:U7koTgSs9HfZBVlJvVyjl3TYQsL1XtYgN3wGlgpbSz4=\n1_foo.up.sql h1:sA//QCV2RBTEr8hSuRTm/DFDWs0VcSQHQKZDIGNQ7Y0=\n2_foo.up.sql h1:hCdlBsxXgDrB+EFoZlQG+TaBBlckwEx0Nfxz+2k7zOc=\n3_foo.up.sql h1:0Mowjo1mHrxPH5DRCcMLoPMo+xRhWeLYWOyrvj4/rL0=\n";
        let all = "h1:vhPiFlhkYSJ1MVyYMAM2gjEm5pjE1ny4RLyYRKvyeB0=\n1_foo.down.sql h1:wIeaJ1N6KNIM8zeLU6ImjpnMm+OEe7yYGv4DbLwdNPw=\n1_foo.up.sql h1:yY3HY7NUpgKBKEn0sCjfU2wSFkQ8wclqvHNUFvuXXcU=\n2_foo.down.sql h1:2yozYxYnTYc8Kt6VlLPZE2q7wb4JCcHrubWAc757t4U=\n2_foo.up.sql h1:q8jCZqYMvVn3uQ4DaQEdQLp646pBz42XnYJ/PrJ0mOs=\n3_foo.down.sql h1:RVM6O9j6C8uYtS7f8qjccaR+jIqteYvKJ/uPTSsCIVA=\n3_foo.up.sql h1:OyohmFzexsLUIY0JHJSFuFzvGO2y6Gm+W5dOJGxxpc4=\n";
        let dir = tempfile::tempdir().unwrap();
        for v in 1..=3 {
            for d in ["up", "down"] {
                fs::write(dir.path().join(format!("{v}_foo.{d}.sql")), "").unwrap();
            }
        }
        for (written, format, want) in [
            (ups_only, Format::GolangMigrate, None),
            (all, Format::GolangMigrate, None),
            (ups_only, Format::Sqlx, None),
            // Atlas's own format sums every `.sql` file.
            (
                ups_only,
                Format::Atlas,
                Some("`1_foo.down.sql` is not listed where it sorts (before `1_foo.up.sql`)"),
            ),
            (all, Format::Atlas, None),
        ] {
            fs::write(dir.path().join(SUM_FILE), written).unwrap();
            assert_eq!(
                sum_problem(dir.path(), format).unwrap().as_deref(),
                want,
                "{format} {}",
                &written[..12]
            );
        }
        for written in [ups_only, all] {
            fs::write(dir.path().join(SUM_FILE), written).unwrap();
            rewrite_sum(dir.path(), Format::GolangMigrate).unwrap();
            assert_eq!(
                fs::read_to_string(dir.path().join(SUM_FILE)).unwrap(),
                written
            );
        }
        // A new sum is written the way Atlas writes it today.
        fs::remove_file(dir.path().join(SUM_FILE)).unwrap();
        rewrite_sum(dir.path(), Format::GolangMigrate).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(SUM_FILE)).unwrap(),
            ups_only
        );
        // An edited down file changes nothing in an up-only sum, and is caught in a full one.
        fs::write(dir.path().join("2_foo.down.sql"), "DROP TABLE x;\n").unwrap();
        assert_eq!(
            sum_problem(dir.path(), Format::GolangMigrate).unwrap(),
            None
        );
        fs::write(dir.path().join(SUM_FILE), all).unwrap();
        assert_eq!(
            sum_problem(dir.path(), Format::GolangMigrate)
                .unwrap()
                .as_deref(),
            Some("`2_foo.down.sql` changed")
        );
    }

    /// A golang-migrate pair and the `atlas.sum` ent's versioned-migrations guide
    /// shows Atlas writing for it (entgo.io, "Versioned Migrations", golang-migrate
    /// formatter): down file listed first, as its name sorts.
    #[test]
    fn golang_migrate_pair_sum_from_the_ent_guide() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("20220504114411_initial.up.sql"),
            "-- create \"users\" table\nCREATE TABLE `users` (`id` bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) CHARSET utf8mb4 COLLATE utf8mb4_bin;\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("20220504114411_initial.down.sql"),
            "-- reverse: create \"users\" table\nDROP TABLE `users`;\n",
        )
        .unwrap();
        let written_by_atlas = "h1:SxbWjP6gufiBpBjOVtFXgXy7q3pq1X11XYUxvT4ErxM=\n20220504114411_initial.down.sql h1:OllnelRaqecTrPbd2YpDbBEymCpY/l6ihbyd/tVDgeY=\n20220504114411_initial.up.sql h1:o/6yOczGSNYQLlvALEU9lK2/L6/ws65FrHJkEk/tjBk=\n";
        fs::write(dir.path().join(SUM_FILE), written_by_atlas).unwrap();
        assert_eq!(
            sum_problem(dir.path(), Format::GolangMigrate).unwrap(),
            None
        );
        rewrite_sum(dir.path(), Format::GolangMigrate).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(SUM_FILE)).unwrap(),
            written_by_atlas
        );
    }

    #[test]
    fn sum_ignore_is_read_from_the_first_line_as_atlas_does() {
        let cases: [(&str, bool); 5] = [
            ("-- atlas:sum ignore\nSELECT 1;\n", true),
            ("atlas:sum ignore\n", true),
            ("-- atlas:sum\n", false),
            ("-- hello\n-- atlas:sum ignore\n", false),
            ("SELECT 1;\n", false),
        ];
        for (text, want) in cases {
            assert_eq!(sum_ignored(text.as_bytes()), want, "{text:?}");
        }
    }
}
