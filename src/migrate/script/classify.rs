//! What one statement needs: to run outside a transaction block, where a position in
//! it falls, the schema a `CREATE SCHEMA` makes.

use super::lexer::{Scanner, Tok, count_newlines, is_kw};
use super::{Control, Piece, PieceKind};

/// The schema a `CREATE SCHEMA name` statement makes, when it has no
/// `IF NOT EXISTS` (so it fails on an existing schema): unquoted names fold to
/// lower case, quoted ones are kept as written.
pub fn created_schema(sql: &str) -> Option<String> {
    let mut words = sql.split_whitespace();
    let create = words.next()?;
    let schema = words.next()?;
    if !create.eq_ignore_ascii_case("create") || !schema.eq_ignore_ascii_case("schema") {
        return None;
    }
    let name = words.next()?.trim_end_matches(';');
    if name.eq_ignore_ascii_case("if") || name.eq_ignore_ascii_case("authorization") {
        return None;
    }
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) if !quoted.contains('"') => Some(quoted.to_owned()),
        Some(_) => None,
        None => Some(name.to_ascii_lowercase()),
    }
}

impl Piece {
    /// A statement pgfleet writes itself (not read from a file), as line 1.
    pub(crate) fn statement(sql: &str) -> Piece {
        Piece {
            sql: sql.to_owned(),
            start_line: 1,
            start_offset: 0,
            kind: PieceKind::Statement,
        }
    }

    /// True when PostgreSQL refuses this statement inside a transaction block
    /// (`PreventInTransactionBlock` in the server): CREATE \[UNIQUE\] INDEX CONCURRENTLY,
    /// DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY and REINDEX SCHEMA|DATABASE|SYSTEM,
    /// CREATE/DROP DATABASE, ALTER DATABASE ... SET TABLESPACE, CREATE/DROP TABLESPACE,
    /// VACUUM, ALTER SYSTEM, DISCARD ALL, ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY,
    /// and ALTER TYPE ... ADD VALUE before PostgreSQL 12 (`server_version_num < 120000`).
    /// Only keyword tokens count: never text inside strings, quoted identifiers or comments.
    pub fn needs_no_transaction(&self, server_version_num: u32) -> bool {
        let src = self.sql.as_bytes();
        let mut scanner = Scanner::new(src, 0, src.len());
        let mut words: Vec<&[u8]> = Vec::new();
        let mut concurrently = false;
        let mut depth = 0u32;
        // A lexing error cannot happen for a piece made by `split`; stop at it otherwise.
        while let Ok(Some(token)) = scanner.next_token() {
            match token.kind {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                Tok::Word => {
                    let word = &src[token.range()];
                    // REINDEX also takes `(CONCURRENTLY)` among its parenthesised options.
                    concurrently |= is_kw(word, "concurrently");
                    if depth == 0 {
                        words.push(word);
                    }
                }
                _ => {}
            }
        }
        let at = |i: usize, kw: &str| words.get(i).is_some_and(|w| is_kw(w, kw));
        let pair = |a: &str, b: &str| words.windows(2).any(|w| is_kw(w[0], a) && is_kw(w[1], b));
        let object = |kws: &[&str]| kws.iter().any(|kw| at(1, kw));
        if at(0, "create") {
            let index = if at(1, "unique") { 2 } else { 1 };
            (at(index, "index") && at(index + 1, "concurrently"))
                || object(&["database", "tablespace"])
        } else if at(0, "drop") {
            (at(1, "index") && at(2, "concurrently")) || object(&["database", "tablespace"])
        } else if at(0, "reindex") {
            concurrently || object(&["schema", "database", "system"])
        } else if at(0, "alter") {
            at(1, "system")
                || (at(1, "type") && pair("add", "value") && server_version_num < 120_000)
                || (at(1, "database") && pair("set", "tablespace"))
                || (at(1, "table") && pair("detach", "partition") && concurrently)
        } else {
            at(0, "vacuum") || (at(0, "discard") && at(1, "all"))
        }
    }

    /// Whether this statement changes a session setting that outlives its transaction:
    /// `SET` (not `SET LOCAL`, `SET TRANSACTION` or `SET CONSTRAINTS`), `RESET`, or a
    /// `set_config(...)` call outside strings and comments (`pg_dump` writes
    /// `SELECT pg_catalog.set_config('search_path', '', false);`).
    pub(crate) fn changes_session(&self) -> bool {
        let src = self.sql.as_bytes();
        let mut scanner = Scanner::new(src, 0, src.len());
        let mut words: Vec<&[u8]> = Vec::new();
        while let Ok(Some(token)) = scanner.next_token() {
            if token.kind == Tok::Word {
                words.push(&src[token.range()]);
            }
        }
        let at = |i: usize, kw: &str| words.get(i).is_some_and(|w| is_kw(w, kw));
        let set = at(0, "set") && !(at(1, "local") || at(1, "transaction") || at(1, "constraints"));
        set || at(0, "reset") || words.iter().any(|w| is_kw(w, "set_config"))
    }

    /// Whether this statement starts, ends or otherwise controls the transaction.
    pub(crate) fn control(&self) -> Option<Control> {
        if !matches!(self.kind, PieceKind::Statement) {
            return None;
        }
        let src = self.sql.as_bytes();
        let mut scanner = Scanner::new(src, 0, src.len());
        let mut words: Vec<&[u8]> = Vec::new();
        while words.len() < 2 {
            match scanner.next_token() {
                Ok(Some(token)) if token.kind == Tok::Word => words.push(&src[token.range()]),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        let at = |i: usize, kw: &str| words.get(i).is_some_and(|w| is_kw(w, kw));
        if at(0, "begin") || (at(0, "start") && at(1, "transaction")) {
            Some(Control::Begin)
        } else if (at(0, "commit") && !at(1, "prepared")) || at(0, "end") {
            Some(Control::Commit)
        } else if (at(0, "rollback") && !at(1, "to"))
            || at(0, "abort")
            || at(0, "commit")
            || (at(0, "prepare") && at(1, "transaction"))
        {
            Some(Control::Other)
        } else {
            None
        }
    }

    /// Line in the file of a 1-based CHARACTER position inside `sql` (PostgreSQL's error
    /// position counts characters, not bytes). Positions past the end give the last line.
    pub fn line_of_position(&self, position: usize) -> usize {
        let byte = self
            .sql
            .char_indices()
            .nth(position.saturating_sub(1))
            .map_or(self.sql.len(), |(byte, _)| byte);
        self.start_line + count_newlines(&self.sql.as_bytes()[..byte])
    }
}
