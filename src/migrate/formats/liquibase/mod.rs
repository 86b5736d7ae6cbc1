//! Liquibase formatted SQL, as the Liquibase documentation describes it ("Example
//! Changelogs: SQL Format", "include", "includeAll", "changeset attributes"):
//!
//! - a file is a changelog when its first line is `--liquibase formatted sql`;
//! - `--changeset author:id [attribute:value ...]` starts a changeset, which runs up to
//!   the next one. Attributes honoured: `runInTransaction:false` (outside a
//!   transaction), `splitStatements:false` (the whole changeset is one statement),
//!   `endDelimiter:X` (a statement ends at a line ending in `X`; case-insensitive, so
//!   `GO` works), `runOnChange:true` (re-run when its text changes), `runAlways:true`
//!   (run on every `migrate`), `dbms:` (changesets for other databases are left out),
//!   `ignore:true`. Contexts and labels do not filter: every changeset runs.
//! - `--rollback SQL` lines (several add up) or a `/* liquibase rollback ... */` block
//!   give the down script; `--rollback not required` / `empty` means none;
//! - `--comment:` lines are comments. Preconditions are refused (pgfleet cannot honour
//!   their `onFail`), naming the line.
//! - `--ignoreLines:start` ... `--ignoreLines:end` and `--ignoreLines:<n>` leave lines
//!   out, neither run nor part of a changeset, as in Liquibase. `--property name:x
//!   value:y` lines define properties (the first definition wins; `global:false` keeps
//!   one to its file; `dbms:` ones for other databases are left out), and `${x}` in a
//!   changeset's SQL and rollback is replaced when the changeset ends, as Liquibase
//!   does; names no line defines (Liquibase's command-line and `liquibase.properties`
//!   parameters) stay as written.
//!
//! Order: a master changelog at the top of the folder (`*changelog*.yaml|yml|xml`,
//! preferring one whose name says `master`) is followed, with its `include` (`file`)
//! and `includeAll` (`path`, files in path order, recursively) entries, in YAML or XML;
//! without one, every formatted SQL file under the folder in path order.
//!
//! Each changeset is one migration. Its version is `<file>::<id>::<author>` with
//! `<file>` relative to the migrations folder: unique, stable when other files are
//! added, and Liquibase's own identity of a changeset. Its checksum is the SHA-256 of
//! the changeset's text, so editing one changeset does not touch the others. Liquibase's
//! own `md5sum` covers less (its parser's SQL, white space aside): [`changeset_sql`]
//! gives that SQL, [`patterns`] the lines it leaves out.

mod changelog;
mod header;
mod patterns;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::{
    Folder, Format, FormatError, Kind, Migration, Statement, Transaction, Version, lines,
    read_source,
};
use changelog::{follow, master};
pub(super) use changelog::{is_changelog_name, walk};
use header::{Header, changeset_header, dbms_matches, keyword};

/// `--liquibase formatted sql` (spaces and case vary).
pub(super) fn is_header(line: &str) -> bool {
    line.trim().strip_prefix("--").is_some_and(|rest| {
        rest.trim_start()
            .to_ascii_lowercase()
            .starts_with("liquibase formatted")
    })
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    read_with_sql(dir).map(|(folder, _)| folder)
}

/// What Liquibase records of a changeset in `databasechangelog`, beside its id, author
/// and file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// The changeset's SQL as Liquibase checksums it.
    pub(crate) sql: String,
    /// Its last `--comment: ` line's text (Liquibase's `setComments`); empty without one.
    pub(crate) comments: String,
    /// Its `context:` and `labels:` attributes, as written.
    pub(crate) contexts: Option<String>,
    pub(crate) labels: Option<String>,
}

/// [`read`], with each migration's [`Record`], in the same order.
fn read_with_sql(dir: &Path) -> Result<(Folder, Vec<Record>), FormatError> {
    let all = walk(dir)?;
    let files = match master(dir, &all)? {
        Some(master) => {
            let mut files = Vec::new();
            follow(dir, &master, &mut files, 0)?;
            files
        }
        None => all
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .cloned()
            .collect(),
    };
    let mut migrations = Vec::new();
    let mut sqls = Vec::new();
    let mut properties = patterns::Properties::default();
    let mut read_files = BTreeSet::new();
    let mut unmatched = Vec::new();
    for path in files {
        if !read_files.insert(path.clone()) {
            continue;
        }
        let source = read_source(&path)?;
        if !lines(&source.text)
            .next()
            .is_some_and(|l| is_header(l.content))
        {
            unmatched.push(path);
            continue;
        }
        let rel = relative(dir, &path);
        properties.next_file();
        let changesets =
            parse_changesets(&path, &rel, &source.text, migrations.len(), &mut properties)?;
        for (migration, sql) in changesets {
            migrations.push(migration);
            sqls.push(sql);
        }
    }
    // Files the changelog does not reach are reported, never skipped silently.
    for path in all {
        let is_changelog = path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "xml");
        if !read_files.contains(&path) && !is_changelog && !unmatched.contains(&path) {
            unmatched.push(path);
        }
    }
    let mut seen = BTreeSet::new();
    for m in &migrations {
        if !seen.insert(m.version.as_str()) {
            return Err(FormatError::Syntax {
                path: m.path.clone(),
                line: m.up_line.saturating_sub(1),
                message: format!(
                    "changeset `{}` is declared twice; Liquibase identifies a changeset by file, id and author, so give it another id",
                    m.version
                ),
            });
        }
    }
    unmatched.sort();
    let folder = Folder {
        format: Format::Liquibase,
        migrations,
        unmatched,
        peer: None,
        peer_history: crate::manifest::PeerHistory::default(),
        history_table: None,
        placeholders: None,
    };
    Ok((folder, sqls))
}

fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A formatted-SQL changelog's text with the changesets meant for other databases
/// (`dbms:mysql`, `dbms:!postgresql`) blanked, lines kept, so the other-engine check
/// judges only what pgfleet would run. `None` when `text` is no formatted-SQL changelog.
pub(super) fn postgres_part(text: &str) -> Option<String> {
    if !text.lines().next().is_some_and(is_header) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.lines() {
        if let Some(header) = changeset_header(line) {
            skipping = header.is_ok_and(|h| h.skip);
        }
        if !skipping {
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

/// One changeset while its lines are read.
struct Open {
    header: Header,
    line: usize,
    text: String,
    body: Vec<(usize, String)>,
    rollback: String,
    in_rollback_block: bool,
    /// Whether Liquibase, too, reads the open rollback block as one (it wants
    /// `/* liquibase rollback` alone on its line; pgfleet takes SQL after it too).
    liquibase_block: bool,
    /// The changeset's SQL as Liquibase collects it for its checksum: every line but
    /// the ones its parser takes out ([`patterns::leaves_sql`], properties, rollback
    /// blocks).
    sql: String,
    /// The last `--comment: ` line's text.
    comments: String,
}

#[cfg(test)]
fn parse_file(
    path: &Path,
    rel: &str,
    text: &str,
    migrations: &mut Vec<Migration>,
) -> Result<(), FormatError> {
    let mut properties = patterns::Properties::default();
    let changesets = parse_changesets(path, rel, text, migrations.len(), &mut properties)?;
    migrations.extend(changesets.into_iter().map(|(m, _)| m));
    Ok(())
}

/// The changesets of one changelog file, each with its SQL as Liquibase collects it;
/// `start` is the position of the first in the whole changelog, `properties` those
/// the files before defined (this file's are added).
fn parse_changesets(
    path: &Path,
    rel: &str,
    text: &str,
    start: usize,
    properties: &mut patterns::Properties,
) -> Result<Vec<(Migration, Record)>, FormatError> {
    let syntax = |line: usize, message: String| FormatError::Syntax {
        path: path.to_owned(),
        line,
        message,
    };
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    let mut rows = lines(text).skip(1);
    while let Some(line) = rows.next() {
        if let Some(current) = open.as_mut().filter(|o| o.in_rollback_block) {
            current.text.push_str(line.content);
            current.text.push('\n');
            let end = line.content.find("*/");
            current
                .rollback
                .push_str(&line.content[..end.unwrap_or(line.content.len())]);
            current.rollback.push('\n');
            current.in_rollback_block = end.is_none();
            if current.liquibase_block {
                current.liquibase_block = !patterns::closes_rollback_block(line.content);
            } else {
                current.sql.push_str(line.content);
                current.sql.push('\n');
            }
            continue;
        }
        // Liquibase reads these before anything else on every line: a property is no
        // SQL, and `--ignoreLines` leaves lines out of the changelog altogether.
        if let Some(property) = patterns::property(line.content) {
            if property.dbms.as_deref().is_none_or(dbms_matches) {
                properties.define(property);
            }
            if let Some(current) = open.as_mut() {
                current.text.push_str(line.content);
                current.text.push('\n');
            }
            continue;
        }
        match patterns::ignore_lines(line.content) {
            Some(patterns::IgnoreLines::Start) => {
                for skipped in rows.by_ref() {
                    if patterns::is_ignore_end(skipped.content) {
                        break;
                    }
                }
                continue;
            }
            Some(patterns::IgnoreLines::Count(n)) => {
                for _ in rows.by_ref().take(usize::try_from(n).unwrap_or(usize::MAX)) {}
                continue;
            }
            Some(patterns::IgnoreLines::Other(value)) => {
                return Err(syntax(
                    line.number,
                    format!(
                        "`--ignoreLines:{value}` is not `--ignoreLines:start` (up to `--ignoreLines:end`) or `--ignoreLines:<count>`"
                    ),
                ));
            }
            None => {}
        }
        if let Some(header) = changeset_header(line.content) {
            let header = header.map_err(|m| syntax(line.number, m))?;
            if let Some(done) = open.take() {
                close(path, rel, done, start, properties, &mut out);
            }
            open = Some(Open {
                header,
                line: line.number,
                text: format!("{}\n", line.content),
                body: Vec::new(),
                rollback: String::new(),
                in_rollback_block: false,
                liquibase_block: false,
                sql: String::new(),
                comments: String::new(),
            });
            continue;
        }
        let Some(current) = open.as_mut() else {
            // Before the first changeset: comments only (Liquibase ignores the rest too).
            continue;
        };
        current.text.push_str(line.content);
        current.text.push('\n');
        if !patterns::leaves_sql(line.content) {
            current.sql.push_str(line.content);
            current.sql.push('\n');
        }
        let trimmed = line.content.trim();
        let directive = trimmed.strip_prefix("--").map(str::trim_start);
        if let Some(rollback) = directive.and_then(|d| keyword(d, "rollback")) {
            let sql = rollback.trim();
            let none =
                sql.eq_ignore_ascii_case("not required") || sql.eq_ignore_ascii_case("empty");
            if !none && !sql.is_empty() {
                current.rollback.push_str(sql);
                current.rollback.push('\n');
            }
            continue;
        }
        if directive.is_some_and(|d| {
            d.starts_with("precondition-") || keyword(d, "preconditions").is_some()
        }) {
            return Err(syntax(
                line.number,
                "Liquibase preconditions are not supported by pgfleet (it cannot honour their onFail); check the condition in SQL or run this changelog with Liquibase".to_owned(),
            ));
        }
        if let Some(text) = directive.and_then(comment) {
            text.clone_into(&mut current.comments);
        }
        if directive.is_some_and(|d| {
            d.starts_with("comment")
                || d.starts_with("validCheckSum")
                || d.starts_with("ignoreLines")
        }) {
            continue;
        }
        if let Some(block) = trimmed.strip_prefix("/*") {
            if block
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("liquibase rollback")
            {
                let after = block.trim_start()["liquibase rollback".len()..].to_owned();
                let end = after.find("*/");
                current
                    .rollback
                    .push_str(&after[..end.unwrap_or(after.len())]);
                current.rollback.push('\n');
                current.in_rollback_block = end.is_none();
                current.liquibase_block = patterns::opens_rollback_block(line.content);
                continue;
            }
        }
        current.body.push((line.number, line.content.to_owned()));
    }
    if let Some(current) = open.as_ref().filter(|o| o.in_rollback_block) {
        return Err(syntax(
            current.line,
            "a `/* liquibase rollback` block in this changeset is never closed with `*/`"
                .to_owned(),
        ));
    }
    if let Some(done) = open.take() {
        close(path, rel, done, start, properties, &mut out);
    }
    Ok(out)
}

/// Turns a finished changeset into a migration and its SQL as Liquibase checksums it
/// (unless it is for another database), `${property}`s expanded as Liquibase does when
/// it reaches the changeset's end; `start` is the position of `out`'s first.
fn close(
    path: &Path,
    rel: &str,
    open: Open,
    start: usize,
    properties: &patterns::Properties,
    out: &mut Vec<(Migration, Record)>,
) {
    let Open {
        header,
        line,
        text,
        body,
        rollback,
        sql,
        comments,
        ..
    } = open;
    let body: Vec<(usize, String)> = body
        .into_iter()
        .map(|(n, l)| (n, properties.expand(&l)))
        .collect();
    let rollback = properties.expand(&rollback);
    let sql = properties.expand(&sql);
    if header.skip {
        return;
    }
    let up_line = body.first().map_or(line + 1, |(n, _)| *n);
    let statements = if header.no_split {
        Some(vec![Statement {
            sql: joined(&body),
            line: up_line,
            whole: true,
        }])
    } else {
        header
            .delimiter
            .as_deref()
            .map(|delimiter| split_at_delimiter(&body, delimiter))
    };
    let up = match &statements {
        Some(statements) => super::goose::script_text(statements),
        None => joined(&body),
    };
    let down = match header.delimiter.as_deref() {
        Some(delimiter) => {
            let rows: Vec<(usize, String)> = rollback
                .lines()
                .enumerate()
                .map(|(i, l)| (i + 1, l.to_owned()))
                .collect();
            super::goose::script_text(&split_at_delimiter(&rows, delimiter))
        }
        None => rollback,
    };
    let kind = header.kind;
    let record = Record {
        sql,
        comments,
        contexts: header.contexts.clone(),
        labels: header.labels.clone(),
    };
    let position = u64::try_from(start + out.len()).unwrap_or(u64::MAX);
    let version = format!("{rel}::{}::{}", header.id, header.author);
    let migration = Migration {
        version: Version::positional(position, version),
        name: header.id,
        kind,
        path: path.to_owned(),
        up,
        up_line,
        down: super::down_script(Some(&down)),
        transaction: Transaction::unless_marked(header.no_transaction),
        checksum: hex::encode(Sha256::digest(text.as_bytes())),
        statements,
        not_runnable: None,
        verify: None,
    };
    out.push((migration, record));
}

/// `--comment: text` (Liquibase's `--\s*comment:? (.*)`, any case): the text.
fn comment(directive: &str) -> Option<&str> {
    let head = directive.get(..7)?;
    if !head.eq_ignore_ascii_case("comment") {
        return None;
    }
    let rest = &directive[7..];
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    rest.strip_prefix(' ')
}

/// The [`Record`] of `migration`, read again from its file: the changeset whose text
/// still has the checksum pgfleet read (`None` when it was edited or removed since).
pub(super) fn changeset_record(migration: &Migration) -> Result<Option<Record>, FormatError> {
    // The folder is the file's path less the version's `<file>` part; it is read whole
    // again, as properties defined in earlier files count.
    let version = migration.version.as_str();
    let rel = version.split("::").next().unwrap_or_default();
    let depth = Path::new(rel).components().count();
    let Some(dir) = migration
        .path
        .ancestors()
        .nth(depth)
        .filter(|dir| dir.join(rel) == migration.path)
    else {
        return Ok(None);
    };
    let (folder, sqls) = read_with_sql(dir)?;
    Ok(folder
        .migrations
        .iter()
        .zip(sqls)
        .find(|(m, _)| m.version.as_str() == version && m.checksum == migration.checksum)
        .map(|(_, record)| record))
}

fn joined(body: &[(usize, String)]) -> String {
    let mut text = String::new();
    for (_, line) in body {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `endDelimiter`: a statement ends at a line whose end (trailing blanks aside) is the
/// delimiter, compared case-insensitively; the delimiter is not sent.
fn split_at_delimiter(body: &[(usize, String)], delimiter: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut start = None;
    let delimiter = delimiter.to_ascii_lowercase();
    for (number, line) in body {
        let trimmed = line.trim_end();
        let ends = trimmed.to_ascii_lowercase().ends_with(&delimiter);
        if start.is_none() && !ends {
            if super::is_blank_sql(line) {
                continue;
            }
            start = Some(*number);
        }
        if ends {
            current.push_str(&trimmed[..trimmed.len() - delimiter.len()]);
            current.push('\n');
            if !super::is_blank_sql(&current) {
                statements.push(Statement {
                    sql: std::mem::take(&mut current),
                    line: start.unwrap_or(*number),
                    whole: true,
                });
            }
            current.clear();
            start = None;
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !super::is_blank_sql(&current) {
        statements.push(Statement {
            sql: current,
            line: start.unwrap_or(1),
            whole: true,
        });
    }
    statements
}

/// A new changelog file: `<n>_<name>.sql` with one changeset by the current user.
pub(super) fn template(dir: &Path, name: &str, existing: &[Migration]) -> Vec<(PathBuf, String)> {
    let files: BTreeSet<&Path> = existing.iter().map(|m| m.path.as_path()).collect();
    let next = files.len() + 1;
    let author = std::env::var("USER").unwrap_or_else(|_| "pgfleet".to_owned());
    vec![(
        dir.join(format!("{next:04}_{name}.sql")),
        format!(
            "--liquibase formatted sql\n\n--changeset {author}:{name}\n-- the SQL goes here\n\n--rollback -- the SQL that undoes it goes here\n"
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<Migration>, FormatError> {
        let mut migrations = Vec::new();
        parse_file(Path::new("db/a.sql"), "a.sql", text, &mut migrations)?;
        Ok(migrations)
    }

    #[test]
    fn headers_and_attributes() {
        let h = changeset_header("--changeset jane:1").unwrap().unwrap();
        assert_eq!((h.author.as_str(), h.id.as_str()), ("jane", "1"));
        let h = changeset_header(
            "-- changeset bob:add-index runInTransaction:false splitStatements:false endDelimiter:/ runOnChange:true runAlways:true",
        )
        .unwrap()
        .unwrap();
        assert!(h.no_transaction && h.no_split && h.kind == Kind::Always);
        assert_eq!(h.delimiter.as_deref(), Some("/"));
        let h = changeset_header("--changeset \"Jane Doe\":7 dbms:mysql")
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.author.as_str(), h.id.as_str(), h.skip),
            ("Jane Doe", "7", true)
        );
        let h = changeset_header("--changeset a:1 dbms:postgresql,h2")
            .unwrap()
            .unwrap();
        assert!(!h.skip);
        assert!(changeset_header("-- changes here").is_none());
        assert!(changeset_header("-- changesets below are Jane's").is_none());
        assert!(changeset_header("--changeset jane").unwrap().is_err());
        assert!(changeset_header("SELECT 1; --changeset a:1").is_none());
    }

    #[test]
    fn changesets_rollbacks_and_versions() {
        let text = "--liquibase formatted sql\n\n--changeset jane:1\n--comment: the table\nCREATE TABLE a (id int);\n--rollback DROP TABLE a;\n\n--changeset jane:2 endDelimiter:/\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql\n/\nSELECT f()\n/\n/* liquibase rollback\nDROP FUNCTION f()\n/\n*/\n--changeset jane:3 runAlways:true splitStatements:false\nSELECT 1; SELECT 2;\n--rollback not required\n";
        let m = parse_text(text).unwrap();
        let versions: Vec<&str> = m.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(
            versions,
            ["a.sql::1::jane", "a.sql::2::jane", "a.sql::3::jane"]
        );
        assert!(m[0].version < m[1].version && m[1].version < m[2].version);
        assert_eq!(m[0].up, "CREATE TABLE a (id int);\n\n");
        assert_eq!(m[0].up_line, 5);
        assert_eq!(m[0].down.as_deref(), Some("DROP TABLE a;\n"));
        let statements: Vec<(&str, usize)> = m[1]
            .statements
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| (s.sql.as_str(), s.line))
            .collect();
        assert_eq!(
            statements,
            [
                (
                    "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql\n\n",
                    9
                ),
                ("SELECT f()\n\n", 11)
            ]
        );
        assert_eq!(m[1].down.as_deref(), Some("DROP FUNCTION f()\n\n\n;\n"));
        assert_eq!(m[2].kind, Kind::Always);
        assert_eq!(m[2].down, None);
        assert_eq!(m[2].statements.as_ref().unwrap().len(), 1);
        // Each changeset has its own checksum.
        assert_ne!(m[0].checksum, m[1].checksum);
    }

    #[test]
    fn words_that_only_start_like_directives_are_comments() {
        let m = parse_text("--liquibase formatted sql\n--changeset a:1\n-- rollbacks are done by hand\nSELECT 1;\n--rollback: SELECT 2;\n").unwrap();
        assert_eq!(m[0].up, "-- rollbacks are done by hand\nSELECT 1;\n");
        assert_eq!(m[0].down.as_deref(), Some("SELECT 2;\n"));
    }

    #[test]
    fn refusals() {
        let err = parse_text("--liquibase formatted sql\n--changeset a:1\n--precondition-sql-check expectedResult:0 SELECT 1\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("db/a.sql:3: Liquibase preconditions are not supported"),
            "{err}"
        );
        let err = parse_text("--liquibase formatted sql\n--changeset nobody\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("db/a.sql:2: `--changeset nobody` needs `author:id`"),
            "{err}"
        );
    }

    /// Liquibase leaves `--ignoreLines` blocks and counts out of the changelog: they
    /// are neither run nor part of any changeset.
    #[test]
    fn ignored_lines_are_not_run() {
        let m = parse_text(
            "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n--ignoreLines:start\nDROP TABLE t;\n--ignoreLines:end\n--ignoreLines:2\nDROP TABLE t;\nDROP TABLE u;\nCREATE TABLE u (id int);\n",
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].up,
            "CREATE TABLE t (id int);\nCREATE TABLE u (id int);\n"
        );
        let err = parse_text("--liquibase formatted sql\n--changeset a:1\n--ignoreLines:end\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("db/a.sql:3: `--ignoreLines:end` is not `--ignoreLines:start`"),
            "{err}"
        );
    }
}
