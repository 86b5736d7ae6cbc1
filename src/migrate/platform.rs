//! What a Supabase project's migrations expect of the database they run on: Supabase's
//! own schemas (`auth`, `storage`, `extensions`) and roles (`anon`, `authenticated`, `service_role`),
//! which a Supabase database has and a plain PostgreSQL one does not.
//!
//! Before the first pending file runs, every pending file is scanned for references to
//! them (outside comments and string literals; function bodies count), what the files
//! create themselves is set aside, and the database is asked for the rest. Anything
//! missing stops the run with nothing applied, naming the first file that needs it,
//! instead of a failure half-way through the folder.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use tokio_postgres::{Client, SimpleQueryMessage};

use super::MigrateError;
use super::formats::{Migration, block_comment_end};
use crate::connect::quote_literal;

/// Supabase's schemas that migrations commonly use (`auth.uid()`, `auth.users`,
/// `storage.objects`, `create extension ... with schema extensions`).
pub const SCHEMAS: [&str; 3] = ["auth", "storage", "extensions"];
/// Supabase's API roles, named by grants and row-level security policies.
pub const ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

/// Something a migration needs from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Missing {
    Schema(&'static str),
    Role(&'static str),
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Schema(s) => write!(f, "schema `{s}`"),
            Missing::Role(r) => write!(f, "role `{r}`"),
        }
    }
}

/// `Supabase's schema `auth` and roles `anon`, `authenticated``.
pub fn describe(missing: &[Missing]) -> String {
    let names = |schemas: bool| -> Vec<String> {
        missing
            .iter()
            .filter_map(|m| match (m, schemas) {
                (Missing::Schema(s), true) | (Missing::Role(s), false) => Some(format!("`{s}`")),
                _ => None,
            })
            .collect()
    };
    let part = |noun: &str, names: Vec<String>| match names.len() {
        0 => None,
        1 => Some(format!("{noun} {}", names[0])),
        _ => Some(format!("{noun}s {}", names.join(", "))),
    };
    let parts: Vec<String> = [part("schema", names(true)), part("role", names(false))]
        .into_iter()
        .flatten()
        .collect();
    format!("Supabase's {}", parts.join(" and "))
}

/// What to do about it.
pub fn hint(missing: &[Missing]) -> String {
    let statements: Vec<String> = missing
        .iter()
        .map(|m| match m {
            Missing::Schema(s) => format!("CREATE SCHEMA {s};"),
            Missing::Role(r) => format!("CREATE ROLE {r} NOLOGIN;"),
        })
        .collect();
    format!(
        "run these migrations against a Supabase database (`supabase start` runs one locally; point the env's server at it), or create what they need first: `{}`",
        statements.join(" ")
    )
}

/// What one script refers to and what it creates, of [`SCHEMAS`] and [`ROLES`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Uses {
    pub used: BTreeSet<Missing>,
    pub made: BTreeSet<Missing>,
}

/// Scans `sql`: `auth.` / `storage.` qualified names, the role names as words, and
/// `CREATE SCHEMA [IF NOT EXISTS] auth`, `CREATE ROLE|USER anon`. Comments and
/// single-quoted strings are skipped; dollar-quoted bodies are read as code.
pub fn scan(sql: &str) -> Uses {
    let tokens = tokens(sql);
    let mut uses = Uses::default();
    let word = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let dot = |i: usize| matches!(tokens.get(i), Some(Token::Dot));
    for i in 0..tokens.len() {
        let Some(w) = word(i) else { continue };
        let after_dot = i > 0 && dot(i - 1);
        if let Some(schema) = SCHEMAS.iter().find(|s| **s == w) {
            if dot(i + 1) && !after_dot {
                uses.used.insert(Missing::Schema(schema));
            }
            let creates =
                (i >= 2 && word(i - 2) == Some("create") && word(i - 1) == Some("schema"))
                    || (i >= 5
                        && word(i - 5) == Some("create")
                        && word(i - 4) == Some("schema")
                        && word(i - 3) == Some("if")
                        && word(i - 2) == Some("not")
                        && word(i - 1) == Some("exists"));
            if creates {
                uses.made.insert(Missing::Schema(schema));
            } else if i >= 1 && word(i - 1) == Some("schema") {
                // `CREATE EXTENSION x WITH SCHEMA extensions`, `SET SCHEMA storage`.
                uses.used.insert(Missing::Schema(schema));
            }
        }
        if let Some(role) = ROLES.iter().find(|r| **r == w) {
            if !after_dot && !dot(i + 1) {
                uses.used.insert(Missing::Role(role));
            }
            if i >= 2
                && word(i - 2) == Some("create")
                && matches!(word(i - 1), Some("role" | "user"))
            {
                uses.made.insert(Missing::Role(role));
            }
        }
    }
    uses
}

/// The first of `files` (pending, in order) that needs something neither `existing` nor
/// an earlier (or the same) file provides: its path, what it lacks, and how many later
/// files lack something too.
pub fn find_missing(
    files: &[(&Path, &str)],
    existing: &BTreeSet<Missing>,
) -> Option<(PathBuf, Vec<Missing>, usize)> {
    let mut available = existing.clone();
    let mut first: Option<(PathBuf, Vec<Missing>)> = None;
    let mut others = 0;
    for (path, sql) in files {
        let uses = scan(sql);
        let lacking: Vec<Missing> = uses
            .used
            .iter()
            .filter(|m| !available.contains(m) && !uses.made.contains(m))
            .copied()
            .collect();
        available.extend(uses.made);
        if lacking.is_empty() {
            continue;
        }
        if first.is_none() {
            first = Some((path.to_path_buf(), lacking));
        } else {
            others += 1;
        }
    }
    first.map(|(path, lacking)| (path, lacking, others))
}

/// Stops with [`MigrateError::NeedsPlatform`] when the pending `migrations` need
/// Supabase's schemas or roles that the database lacks. Asks the database only when a
/// file mentions one of them.
pub async fn check(
    client: &Client,
    db: &str,
    migrations: &[&Migration],
) -> Result<(), MigrateError> {
    let files: Vec<(&Path, &str)> = migrations
        .iter()
        .map(|m| (m.path.as_path(), m.up.as_str()))
        .collect();
    // Nothing is there: is anything needed at all?
    if find_missing(&files, &BTreeSet::new()).is_none() {
        return Ok(());
    }
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| quote_literal(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "SELECT 's' || nspname FROM pg_namespace WHERE nspname IN ({}) UNION ALL SELECT 'r' || rolname FROM pg_roles WHERE rolname IN ({})",
        list(&SCHEMAS),
        list(&ROLES)
    );
    let rows = client
        .simple_query(&sql)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot look for Supabase's schemas and roles", e))?;
    let mut existing = BTreeSet::new();
    for row in rows {
        let SimpleQueryMessage::Row(row) = row else {
            continue;
        };
        let found = row.get(0).unwrap_or_default();
        if let Some(s) = found.strip_prefix('s') {
            existing.extend(
                SCHEMAS
                    .iter()
                    .filter(|n| **n == s)
                    .map(|n| Missing::Schema(n)),
            );
        } else if let Some(r) = found.strip_prefix('r') {
            existing.extend(ROLES.iter().filter(|n| **n == r).map(|n| Missing::Role(n)));
        }
    }
    match find_missing(&files, &existing) {
        None => Ok(()),
        Some((path, missing, others)) => Err(MigrateError::NeedsPlatform {
            db: db.to_owned(),
            path,
            missing,
            others,
        }),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// An identifier or keyword, lower-cased unless it was quoted.
    Word(String),
    Dot,
    Other,
}

fn tokens(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let is_start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80;
    let is_part = |c: u8| is_start(c) || c.is_ascii_digit() || c == b'$';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = block_comment_end(b, i);
        } else if c == b'\'' {
            // `E'...'` honours backslash escapes; plain strings only `''`.
            let escapes = i > 0 && b[i - 1].eq_ignore_ascii_case(&b'e');
            i += 1;
            while i < b.len() {
                if escapes && b[i] == b'\\' {
                    i += 2;
                } else if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(Token::Other);
        } else if c == b'"' {
            let start = i + 1;
            i = start;
            while i < b.len() && !(b[i] == b'"' && b.get(i + 1) != Some(&b'"')) {
                i += if b[i] == b'"' { 2 } else { 1 };
            }
            out.push(Token::Word(
                String::from_utf8_lossy(&b[start..i.min(b.len())]).replace("\"\"", "\""),
            ));
            i += 1;
        } else if is_start(c) {
            let start = i;
            while i < b.len() && is_part(b[i]) {
                i += 1;
            }
            out.push(Token::Word(
                String::from_utf8_lossy(&b[start..i]).to_ascii_lowercase(),
            ));
        } else if c == b'.' {
            out.push(Token::Dot);
            i += 1;
        } else {
            if !c.is_ascii_whitespace() {
                out.push(Token::Other);
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(sql: &str) -> Vec<String> {
        scan(sql).used.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn finds_supabase_schemas_and_roles_in_code_only() {
        let cases: &[(&str, &[&str])] = &[
            (
                "create policy p on profiles for select to authenticated using (auth.uid() = id);",
                &["schema `auth`", "role `authenticated`"],
            ),
            (
                "alter table t add column owner uuid references auth.users (id);",
                &["schema `auth`"],
            ),
            (
                "insert into storage.buckets (id) values ('avatars');",
                &["schema `storage`"],
            ),
            (
                "grant select on t to anon, service_role;",
                &["role `anon`", "role `service_role`"],
            ),
            ("grant select on t to \"anon\";", &["role `anon`"]),
            (
                "create function f() returns uuid language sql as $$ select auth.uid() $$;",
                &["schema `auth`"],
            ),
            // Comments, strings, other schemas' tables and columns do not count.
            ("-- to authenticated using auth.uid()\nselect 1;", &[]),
            ("/* auth.users /* nested */ anon */ select 1;", &[]),
            (
                "comment on table t is 'for authenticated users; see auth.users';",
                &[],
            ),
            ("select e'it\\'s anon' as x;", &[]),
            (
                "select t.auth.x, is_authenticated from public.anon_things t;",
                &[],
            ),
            ("create table auth_log (authenticated_at timestamptz);", &[]),
            (
                "create extension if not exists \"uuid-ossp\" with schema extensions;",
                &["schema `extensions`"],
            ),
            (
                "select extensions.uuid_generate_v4();",
                &["schema `extensions`"],
            ),
        ];
        for (sql, want) in cases {
            assert_eq!(used(sql), *want, "{sql}");
        }
    }

    #[test]
    fn what_a_file_creates_is_not_missing() {
        let files = [
            (
                Path::new("1.sql"),
                "create schema if not exists auth; create role anon nologin;",
            ),
            (
                Path::new("2.sql"),
                "create table t (u uuid references auth.users); grant select on t to anon;",
            ),
        ];
        assert_eq!(find_missing(&files, &BTreeSet::new()), None);
        let files = [(
            Path::new("1.sql"),
            "create schema extensions; create extension x with schema extensions;",
        )];
        assert_eq!(find_missing(&files, &BTreeSet::new()), None);
        let files = [
            (Path::new("1.sql"), "select 1;"),
            (
                Path::new("2.sql"),
                "create policy p on t to authenticated using (auth.uid() = u);",
            ),
            (Path::new("3.sql"), "grant select on t to anon;"),
            (Path::new("4.sql"), "grant select on t to authenticated;"),
        ];
        let existing = BTreeSet::from([Missing::Role("authenticated")]);
        let (path, missing, others) = find_missing(&files, &existing).unwrap();
        assert_eq!(path, Path::new("2.sql"));
        assert_eq!(missing, [Missing::Schema("auth")]);
        assert_eq!(others, 1);
    }

    #[test]
    fn messages_name_what_is_missing() {
        let missing = [
            Missing::Schema("auth"),
            Missing::Role("anon"),
            Missing::Role("authenticated"),
        ];
        assert_eq!(
            describe(&missing),
            "Supabase's schema `auth` and roles `anon`, `authenticated`"
        );
        assert_eq!(describe(&[Missing::Role("anon")]), "Supabase's role `anon`");
        assert!(
            hint(&missing).ends_with(
                "`CREATE SCHEMA auth; CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN;`"
            ),
            "{}",
            hint(&missing)
        );
    }
}
