//! Split a migration script into statements exactly as `psql -f` would.
//!
//! pg_query and sqlparser both mis-split real psql scripts (`BEGIN ATOMIC` bodies, COPY
//! data, meta-commands; POSTGRES-NOTES.md section 5), so this is a small hand lexer that
//! follows psql's own scanner, `src/fe_utils/psqlscan.l` (PostgreSQL 15):
//! <https://github.com/postgres/postgres/blob/REL_15_STABLE/src/fe_utils/psqlscan.l>.
//!
//! It does one pass over the bytes and only tracks what decides where a statement ends:
//! quotes, comments, parenthesis depth, the `BEGIN ... END` depth of SQL-standard function
//! bodies, and whether the statement is `COPY ... FROM STDIN`. Every byte at or above 0x80
//! counts as a letter, as in psqlscan.l, so multibyte UTF-8 needs no decoding.

use std::ops::Range;

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

/// One statement of a script, ready to send to the server on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The statement as written in the file, from its first token through its terminating
    /// `;` (included, as psql sends it). Comments and whitespace before the first token are
    /// not included; comments inside are. A final statement without `;` ends at its last
    /// token. Sending `sql` alone as one simple Query runs exactly this statement; for
    /// [`PieceKind::CopyFromStdin`] send it through the COPY protocol with `data`.
    pub sql: String,
    /// 1-based line of the file where `sql` starts.
    pub start_line: usize,
    /// Byte offset in the source of the first byte of `sql` (a UTF-8 BOM is counted).
    pub start_offset: usize,
    pub kind: PieceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PieceKind {
    Statement,
    /// `COPY ... FROM STDIN` statement; `data` is the data lines up to (not including) the
    /// `\.` line or end of file, each ending in '\n' (CRLF lines keep their `\r`, as psql
    /// sends them).
    CopyFromStdin {
        data: String,
    },
}

/// Why a script cannot be run; `line` is 1-based within the script. Shown as
/// `line N: what` on its own, or as `file:N: what` by [`ScriptError::at`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {}: {}", self.line(), self.what())]
pub enum ScriptError {
    /// A psql meta-command such as `\i`, `\set`, `\connect` — the server cannot run it.
    MetaCommand { line: usize, command: String },
    /// A quote or comment still open at the end of the file; `line` is where it opens.
    Unterminated { line: usize, what: &'static str },
    /// A NUL byte: PostgreSQL cannot take one anywhere in SQL text or COPY data.
    NulByte { line: usize },
    /// `COMMIT`, `ROLLBACK`... part-way through a script that runs in one transaction:
    /// it would end that transaction early, and a later failure would leave the
    /// migration half applied and unrecorded.
    TransactionControl {
        line: usize,
        statement: String,
        /// `end`, or `nest a transaction in` for a `BEGIN`.
        effect: &'static str,
    },
}

impl ScriptError {
    /// The 1-based line in the script.
    pub fn line(&self) -> usize {
        match self {
            ScriptError::MetaCommand { line, .. }
            | ScriptError::Unterminated { line, .. }
            | ScriptError::NulByte { line }
            | ScriptError::TransactionControl { line, .. } => *line,
        }
    }

    /// What is wrong, without the line.
    pub fn what(&self) -> String {
        match self {
            ScriptError::MetaCommand { command, .. } => {
                format!("psql meta-command `{command}` cannot run through pgfleet")
            }
            ScriptError::Unterminated { what, .. } => format!("unterminated {what}"),
            ScriptError::NulByte { .. } => {
                "a NUL byte, which PostgreSQL cannot take in SQL text".to_owned()
            }
            ScriptError::TransactionControl {
                statement, effect, ..
            } => format!("`{statement}` would {effect} the transaction the migration runs in"),
        }
    }

    /// `file:line: what`, for a script that starts `line_offset` lines into `file`.
    pub fn at(&self, file: impl std::fmt::Display, line_offset: usize) -> String {
        format!("{file}:{}: {}", self.line() + line_offset, self.what())
    }
}

/// What a statement does to the transaction around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// `ROLLBACK` (not `ROLLBACK TO SAVEPOINT`), `ABORT`, `PREPARE TRANSACTION`,
    /// `COMMIT PREPARED`...
    Other,
}

/// The pieces to run inside the transaction pgfleet opens for a migration (and for a
/// seed file or a down script `rollback` runs). A script wrapped in its own
/// `BEGIN; ... COMMIT;` (common in folders written for tools that do not open one)
/// loses the wrapper, so the history row commits with it; any other
/// transaction-control statement is an error naming its line.
pub fn in_transaction(pieces: &[Piece]) -> Result<&[Piece], ScriptError> {
    let control: Vec<Option<Control>> = pieces.iter().map(Piece::control).collect();
    let wrapped = pieces.len() >= 2
        && control.first() == Some(&Some(Control::Begin))
        && control.last() == Some(&Some(Control::Commit));
    let inner = if wrapped {
        &pieces[1..pieces.len() - 1]
    } else {
        pieces
    };
    let offset = usize::from(wrapped);
    match control[offset..offset + inner.len()]
        .iter()
        .position(Option::is_some)
    {
        None => Ok(inner),
        Some(i) => {
            let piece = &inner[i];
            Err(ScriptError::TransactionControl {
                effect: if control[offset + i] == Some(Control::Begin) {
                    "nest a transaction in"
                } else {
                    "end"
                },
                line: piece.start_line,
                statement: piece
                    .sql
                    .trim_end_matches([';', ' ', '\n', '\r', '\t'])
                    .chars()
                    .take(40)
                    .collect(),
            })
        }
    }
}

const QUOTED_STRING: &str = "quoted string";
const DOLLAR_QUOTED: &str = "dollar-quoted string";
const BLOCK_COMMENT: &str = "block comment";
const QUOTED_IDENT: &str = "quoted identifier";
/// psql reads COPY data from the line after the `;` and runs the rest of that line only
/// afterwards, so a statement there that does not end on the same line would be glued to
/// the text after the data: refuse it rather than guess.
const AFTER_COPY: &str = "statement after `COPY ... FROM STDIN` on the same line";

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

/// Whole-script helper: true when any piece needs to run outside a transaction.
pub fn needs_no_transaction(pieces: &[Piece], server_version_num: u32) -> bool {
    pieces
        .iter()
        .any(|piece| piece.needs_no_transaction(server_version_num))
}

/// Splits `source` and exercises what callers do with the pieces, for the
/// fuzz target (`fuzz/`): must never panic, and every piece's line must lie
/// within the script.
#[doc(hidden)]
pub fn fuzz_split(source: &str) {
    let Ok(pieces) = split(source) else { return };
    let lines = source.lines().count().max(1);
    needs_no_transaction(&pieces, 150_000);
    needs_no_transaction(&pieces, 110_000);
    for piece in &pieces {
        assert!(
            piece.start_line >= 1 && piece.start_line <= lines + 1,
            "piece starts on line {} of {lines}",
            piece.start_line
        );
        for position in [
            0,
            1,
            piece.sql.len() / 2,
            piece.sql.len(),
            piece.sql.len() + 1,
        ] {
            let line = piece.line_of_position(position);
            assert!(
                line >= piece.start_line,
                "position {position} before its piece"
            );
        }
    }
}

/// Split a script into the statements psql would send, in order. Empty statements (only
/// whitespace, comments or a stray `;`) are dropped.
pub fn split(source: &str) -> Result<Vec<Piece>, ScriptError> {
    let src = source.as_bytes();
    if let Some(nul) = src.iter().position(|&b| b == 0) {
        return Err(ScriptError::NulByte {
            line: 1 + count_newlines(&src[..nul]),
        });
    }
    // A BOM is only skipped; offsets stay offsets into `source`.
    let mut pos = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = LineCounter::default();
    let mut pieces = Vec::new();
    let mut limit = src.len();
    // Set after a COPY: the rest of the COPY's line is lexed up to `limit`, then lexing
    // resumes here, after the data (and data of a second COPY on that line starts here).
    let mut resume: Option<usize> = None;
    loop {
        let found = next_statement(src, pos, limit).map_err(|e| e.into_script_error(src))?;
        let Some(stmt) = found else {
            match resume.take() {
                Some(after) => {
                    pos = after;
                    limit = src.len();
                    continue;
                }
                None => break,
            }
        };
        if resume.is_some() && !stmt.terminated {
            return Err(ScriptError::Unterminated {
                line: lines.line_at(src, stmt.start),
                what: AFTER_COPY,
            });
        }
        let kind = if stmt.copy_from_stdin {
            let data_start = resume.unwrap_or_else(|| next_line_start(src, stmt.end));
            let (data, after) = copy_data(source, data_start);
            if resume.is_none() {
                limit = line_end(src, stmt.end, src.len());
            }
            resume = Some(after);
            PieceKind::CopyFromStdin { data }
        } else {
            PieceKind::Statement
        };
        pieces.push(Piece {
            sql: source[stmt.start..stmt.end].to_owned(),
            start_line: lines.line_at(src, stmt.start),
            start_offset: stmt.start,
            kind,
        });
        pos = stmt.end;
    }
    Ok(pieces)
}

/// A statement found by [`next_statement`]: byte range and what the splitter needs.
struct Stmt {
    start: usize,
    end: usize,
    terminated: bool,
    copy_from_stdin: bool,
}

/// The next non-empty statement in `src[pos..limit]`, or `None` when only whitespace,
/// comments and stray `;` remain.
fn next_statement(src: &[u8], pos: usize, limit: usize) -> Result<Option<Stmt>, LexError> {
    let mut scanner = Scanner::new(src, pos, limit);
    let mut state = StmtState::default();
    let mut start = None;
    let mut end = pos;
    while let Some(token) = scanner.next_token()? {
        match token.kind {
            // psqlscan.l: `;` ends the statement only outside parentheses and outside a
            // `BEGIN ... END` function body.
            Tok::Semi if state.paren_depth == 0 && state.begin_depth == 0 => {
                if let Some(start) = start {
                    return Ok(Some(Stmt {
                        start,
                        end: token.end,
                        terminated: true,
                        copy_from_stdin: state.copy_from_stdin,
                    }));
                }
                continue;
            }
            // At the start of a statement this is a meta-command; inside one psql would
            // run it too (`\g`, `\gset`, ...). The server can run neither.
            Tok::Backslash => {
                return Err(LexError::Meta {
                    offset: token.start,
                    command: meta_command_word(src, token.start, limit),
                });
            }
            _ => {}
        }
        start.get_or_insert(token.start);
        end = token.end;
        state.feed(&src[token.range()], token.kind);
    }
    Ok(start.map(|start| Stmt {
        start,
        end,
        terminated: false,
        copy_from_stdin: state.copy_from_stdin,
    }))
}

/// What psqlscan.l remembers about the statement being read.
#[derive(Default)]
struct StmtState {
    paren_depth: u32,
    begin_depth: u32,
    /// Words seen so far, and the first letters of the first four when they are one of
    /// CREATE / OR / REPLACE / FUNCTION / PROCEDURE (psqlscan.l's `identifiers[]`).
    word_count: usize,
    routine_letters: [u8; 4],
    is_copy: bool,
    after_from: bool,
    copy_from_stdin: bool,
}

impl StmtState {
    fn feed(&mut self, text: &[u8], kind: Tok) {
        match kind {
            Tok::Open => self.paren_depth += 1,
            Tok::Close => self.paren_depth = self.paren_depth.saturating_sub(1),
            Tok::Word => {
                self.word(text);
                return;
            }
            _ => {}
        }
        self.after_from = false;
    }

    fn word(&mut self, word: &[u8]) {
        if self.word_count < self.routine_letters.len()
            && ["create", "or", "replace", "function", "procedure"]
                .iter()
                .any(|kw| is_kw(word, kw))
        {
            self.routine_letters[self.word_count] = word[0].to_ascii_lowercase();
        }
        self.word_count += 1;
        // psqlscan.l's heuristic for SQL-standard bodies (`BEGIN ATOMIC ... END`): only in
        // CREATE [OR REPLACE] FUNCTION|PROCEDURE, at parenthesis depth 0, BEGIN opens a
        // block, CASE opens one inside a block, END closes one.
        let letters = self.routine_letters;
        let routine = letters[0] == b'c'
            && (matches!(letters[1], b'f' | b'p')
                || (letters[1] == b'o' && letters[2] == b'r' && matches!(letters[3], b'f' | b'p')));
        if routine && self.paren_depth == 0 {
            if is_kw(word, "begin") {
                self.begin_depth += 1;
            } else if is_kw(word, "case") {
                if self.begin_depth >= 1 {
                    self.begin_depth += 1;
                }
            } else if is_kw(word, "end") {
                self.begin_depth = self.begin_depth.saturating_sub(1);
            }
        }
        // COPY ... FROM STDIN: `from` immediately followed by the word `stdin`, outside
        // parentheses (so a query in `COPY (...) TO` cannot match).
        if self.word_count == 1 {
            self.is_copy = is_kw(word, "copy");
        } else if self.after_from && is_kw(word, "stdin") {
            self.copy_from_stdin = true;
        }
        self.after_from = self.is_copy && self.paren_depth == 0 && is_kw(word, "from");
    }
}

/// The data of a COPY starting at `start`: lines up to one that is exactly `\.` (psql's
/// `handleCopyIn` also accepts `\.\r`), or to the end of the file. Returns the data and
/// where the script continues.
fn copy_data(source: &str, start: usize) -> (String, usize) {
    let src = source.as_bytes();
    let mut line = start;
    while line < src.len() {
        let end = line_end(src, line, src.len());
        if matches!(&src[line..end], b"\\." | b"\\.\r") {
            return (source[start..line].to_owned(), next_line_start(src, end));
        }
        line = end + 1;
    }
    let mut data = source[start.min(src.len())..].to_owned();
    if !data.is_empty() && !data.ends_with('\n') {
        data.push('\n');
    }
    (data, src.len())
}

/// The psql meta-command name at the backslash at `at`, for the error message: a word
/// (`\set`, `\gset`) or a single other character (`\!`, `\;`).
fn meta_command_word(src: &[u8], at: usize, limit: usize) -> String {
    let mut end = at + 1;
    while end < limit && is_dolq_cont(src[end]) {
        end += 1;
    }
    if end == at + 1 && end < limit && !is_space(src[end]) {
        end += 1;
    }
    String::from_utf8_lossy(&src[at..end]).into_owned()
}

/// A lexing failure located by byte offset; turned into a line for [`ScriptError`].
enum LexError {
    Unterminated { offset: usize, what: &'static str },
    Meta { offset: usize, command: String },
}

impl LexError {
    fn into_script_error(self, src: &[u8]) -> ScriptError {
        let line_of = |offset: usize| 1 + count_newlines(&src[..offset]);
        match self {
            LexError::Unterminated { offset, what } => ScriptError::Unterminated {
                line: line_of(offset),
                what,
            },
            LexError::Meta { offset, command } => ScriptError::MetaCommand {
                line: line_of(offset),
                command,
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// An unquoted identifier or keyword.
    Word,
    Semi,
    Open,
    Close,
    Backslash,
    /// Anything else: strings, quoted identifiers, numbers, operators, parameters.
    Other,
}

struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

impl Token {
    fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Tokens of `src[pos..end]`, skipping whitespace and comments.
struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a [u8], pos: usize, end: usize) -> Self {
        Self { src, pos, end }
    }

    fn peek(&self, at: usize) -> Option<u8> {
        (at < self.end).then(|| self.src[at])
    }

    fn next_token(&mut self) -> Result<Option<Token>, LexError> {
        loop {
            let at = self.pos;
            match self.peek(at) {
                None => return Ok(None),
                Some(b) if is_space(b) => self.pos += 1,
                Some(b'-') if self.peek(at + 1) == Some(b'-') => {
                    self.pos = line_end(self.src, at, self.end);
                }
                Some(b'/') if self.peek(at + 1) == Some(b'*') => self.block_comment(at)?,
                Some(_) => break,
            }
        }
        let start = self.pos;
        let kind = match self.src[start] {
            b';' => self.single(Tok::Semi),
            b'(' => self.single(Tok::Open),
            b')' => self.single(Tok::Close),
            b'\\' => self.single(Tok::Backslash),
            b'\'' => self.string(start, start + 1, false)?,
            b'"' => self.quoted_ident(start)?,
            b'$' => self.dollar(start)?,
            b'0'..=b'9' => self.number(start),
            b'.' if self.peek(start + 1).is_some_and(|b| b.is_ascii_digit()) => self.number(start),
            b if is_ident_start(b) => self.word(start)?,
            _ => self.single(Tok::Other),
        };
        Ok(Some(Token {
            kind,
            start,
            end: self.pos,
        }))
    }

    fn single(&mut self, kind: Tok) -> Tok {
        self.pos += 1;
        kind
    }

    /// Nested `/* */` comment opening at `open`.
    fn block_comment(&mut self, open: usize) -> Result<(), LexError> {
        let mut depth = 1u32;
        let mut at = open + 2;
        loop {
            match (self.peek(at), self.peek(at + 1)) {
                (None, _) => {
                    return Err(LexError::Unterminated {
                        offset: open,
                        what: BLOCK_COMMENT,
                    });
                }
                (Some(b'/'), Some(b'*')) => {
                    depth += 1;
                    at += 2;
                }
                (Some(b'*'), Some(b'/')) => {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        self.pos = at;
                        return Ok(());
                    }
                }
                _ => at += 1,
            }
        }
    }

    /// A `'...'` string whose body starts at `body`; `escapes` for `E'...'`, where a
    /// backslash escapes the next byte. Everywhere only `''` escapes a quote
    /// (standard_conforming_strings).
    fn string(&mut self, open: usize, body: usize, escapes: bool) -> Result<Tok, LexError> {
        let mut at = body;
        loop {
            match self.peek(at) {
                None => {
                    return Err(LexError::Unterminated {
                        offset: open,
                        what: QUOTED_STRING,
                    });
                }
                Some(b'\\') if escapes => at += 2,
                Some(b'\'') if self.peek(at + 1) == Some(b'\'') => at += 2,
                Some(b'\'') => {
                    // No continuation across lines (`E'a'` newline `'b'`): the server
                    // continues the E-string, but psql feeds its lexer one line at a time,
                    // so psqlscan.l's `quotecontinue` never matches and the next quote
                    // starts a new plain string. Checked against psql 15.
                    self.pos = at + 1;
                    return Ok(Tok::Other);
                }
                Some(_) => at += 1,
            }
        }
    }

    fn quoted_ident(&mut self, open: usize) -> Result<Tok, LexError> {
        let mut at = open + 1;
        loop {
            match self.peek(at) {
                None => {
                    return Err(LexError::Unterminated {
                        offset: open,
                        what: QUOTED_IDENT,
                    });
                }
                Some(b'"') if self.peek(at + 1) == Some(b'"') => at += 2,
                Some(b'"') => {
                    self.pos = at + 1;
                    return Ok(Tok::Other);
                }
                Some(_) => at += 1,
            }
        }
    }

    /// `$1` parameter, `$tag$` dollar quote, or a lone `$`. A `$` inside or right after
    /// an identifier never gets here: words swallow it (`a$b$` is one identifier).
    fn dollar(&mut self, open: usize) -> Result<Tok, LexError> {
        let mut at = open + 1;
        if self.peek(at).is_some_and(|b| b.is_ascii_digit()) {
            while self.peek(at).is_some_and(|b| b.is_ascii_digit()) {
                at += 1;
            }
            // PostgreSQL 15's `param_junk`: one identifier character sticks to it.
            if self.peek(at).is_some_and(is_ident_start) {
                at += 1;
            }
            self.pos = at;
            return Ok(Tok::Other);
        }
        if self.peek(at).is_some_and(is_ident_start) {
            while self.peek(at).is_some_and(is_dolq_cont) {
                at += 1;
            }
        }
        if self.peek(at) != Some(b'$') {
            // psqlscan.l's `dolqfailed`: only the `$` is consumed.
            self.pos = open + 1;
            return Ok(Tok::Other);
        }
        let delimiter = &self.src[open..=at];
        let mut search = at + 1;
        // A tag holds no `$`, so the first exact occurrence of the delimiter closes it,
        // which is what psqlscan.l's back-off on a mismatched `$other$` amounts to.
        while let Some(found) = self.src[search..self.end].iter().position(|&b| b == b'$') {
            let candidate = search + found;
            if self.src[candidate..self.end].starts_with(delimiter) {
                self.pos = candidate + delimiter.len();
                return Ok(Tok::Other);
            }
            search = candidate + 1;
        }
        Err(LexError::Unterminated {
            offset: open,
            what: DOLLAR_QUOTED,
        })
    }

    /// A numeric literal, with PostgreSQL 15's rules for what sticks to it (`1e` without
    /// digits, one trailing identifier character) so that a following `E'` or `$$` lexes
    /// as the server lexes it.
    fn number(&mut self, start: usize) -> Tok {
        let digits = |scanner: &Self, mut at: usize| {
            while scanner.peek(at).is_some_and(|b| b.is_ascii_digit()) {
                at += 1;
            }
            at
        };
        let mut at = digits(self, start);
        // `1..10` is `1` followed by `..`.
        if self.peek(at) == Some(b'.') && self.peek(at + 1) != Some(b'.') {
            at = digits(self, at + 1);
        }
        let mut junk_allowed = true;
        if matches!(self.peek(at), Some(b'e' | b'E')) {
            let mut exponent = at + 1;
            if matches!(self.peek(exponent), Some(b'+' | b'-')) {
                exponent += 1;
            }
            if self.peek(exponent).is_some_and(|b| b.is_ascii_digit()) {
                at = digits(self, exponent);
            } else {
                // `realfail`: the `e` belongs to the number, a sign does not.
                at += 1;
                junk_allowed = false;
            }
        }
        if junk_allowed && self.peek(at).is_some_and(is_ident_start) {
            at += 1;
        }
        self.pos = at;
        Tok::Other
    }

    /// An identifier or keyword, or a prefixed string: `E'...'` (backslash escapes),
    /// `B'...'`, `X'...'`, `N'...'`, `U&'...'`, `U&"..."`. The prefix counts only at the
    /// start of a word, so `table'x'` is an identifier and a plain string.
    fn word(&mut self, start: usize) -> Result<Tok, LexError> {
        let first = self.src[start].to_ascii_lowercase();
        match (first, self.peek(start + 1), self.peek(start + 2)) {
            (b'e', Some(b'\''), _) => return self.string(start, start + 2, true),
            (b'b' | b'x' | b'n', Some(b'\''), _) => return self.string(start, start + 2, false),
            (b'u', Some(b'&'), Some(b'\'')) => return self.string(start, start + 3, false),
            (b'u', Some(b'&'), Some(b'"')) => return self.quoted_ident(start + 2),
            _ => {}
        }
        let mut at = start + 1;
        while self.peek(at).is_some_and(is_ident_cont) {
            at += 1;
        }
        self.pos = at;
        Ok(Tok::Word)
    }
}

/// Counts lines for piece starts in one forward pass.
struct LineCounter {
    offset: usize,
    line: usize,
}

impl Default for LineCounter {
    fn default() -> Self {
        Self { offset: 0, line: 1 }
    }
}

impl LineCounter {
    fn line_at(&mut self, src: &[u8], offset: usize) -> usize {
        if offset < self.offset {
            *self = Self::default();
        }
        self.line += count_newlines(&src[self.offset..offset]);
        self.offset = offset;
        self.line
    }
}

#[expect(
    clippy::naive_bytecount,
    reason = "std only; the compiler vectorises this loop well enough"
)]
fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Offset of the `\n` ending the line that contains `at`, or `limit`.
fn line_end(src: &[u8], at: usize, limit: usize) -> usize {
    src[at..limit]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(limit, |i| at + i)
}

fn next_line_start(src: &[u8], at: usize) -> usize {
    (line_end(src, at, src.len()) + 1).min(src.len())
}

fn is_kw(word: &[u8], keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword.as_bytes())
}

/// psqlscan.l's `space`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// psqlscan.l's `ident_start` (and `dolq_start`): bytes of multibyte characters count.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// psqlscan.l's `ident_cont`: identifiers may contain `$`.
fn is_ident_cont(b: u8) -> bool {
    is_dolq_cont(b) || b == b'$'
}

/// psqlscan.l's `dolq_cont`: like `ident_cont` without `$`.
fn is_dolq_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_corpus_replays() {
        for (_, text) in crate::fuzz_corpus::read("script") {
            fuzz_split(&text);
        }
    }

    #[test]
    fn a_nul_byte_is_an_error_naming_its_line() {
        assert_eq!(
            split("SELECT 1;\nSELECT 'a\0b';\n"),
            Err(ScriptError::NulByte { line: 2 })
        );
    }

    /// The statements `in_transaction` keeps, or the line of the one it refuses.
    fn kept(source: &str) -> Result<Vec<String>, (usize, String)> {
        let pieces = split(source).unwrap();
        match in_transaction(&pieces) {
            Ok(inner) => Ok(inner.iter().map(|p| p.sql.clone()).collect()),
            Err(ScriptError::TransactionControl {
                line, statement, ..
            }) => Err((line, statement)),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn transaction_control_inside_a_migration() {
        let ok = |v: &[&str]| Ok(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        // A whole-file wrapper is dropped: pgfleet's own transaction replaces it.
        assert_eq!(kept("BEGIN;\nSELECT 1;\nCOMMIT;\n"), ok(&["SELECT 1;"]));
        assert_eq!(
            kept("start transaction;\nSELECT 1;\nend;"),
            ok(&["SELECT 1;"])
        );
        assert_eq!(kept("-- c\nBEGIN;\nCOMMIT;\n"), ok(&[]));
        // Savepoints, function bodies and DO blocks are not transaction control.
        assert_eq!(
            kept("SAVEPOINT a;\nROLLBACK TO SAVEPOINT a;\nROLLBACK TO a;\nRELEASE a;\n"),
            ok(&[
                "SAVEPOINT a;",
                "ROLLBACK TO SAVEPOINT a;",
                "ROLLBACK TO a;",
                "RELEASE a;"
            ])
        );
        assert_eq!(
            kept(
                "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
            ),
            ok(&[
                "DO $$ BEGIN PERFORM 1; END $$;",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"
            ])
        );
        assert_eq!(
            kept("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n"),
            Err((2, "COMMIT".to_owned()))
        );
        assert_eq!(
            kept("BEGIN;\nSELECT 1;\nROLLBACK;\n"),
            Err((1, "BEGIN".to_owned()))
        );
        assert_eq!(
            kept("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n"),
            Err((3, "COMMIT".to_owned()))
        );
        assert_eq!(
            kept("SELECT 1;\n/* x */ abort;\n"),
            Err((2, "abort".to_owned()))
        );
        let pieces = split("SELECT 1;\nBEGIN;\n").unwrap();
        assert_eq!(
            in_transaction(&pieces).unwrap_err().to_string(),
            "line 2: `BEGIN` would nest a transaction in the transaction the migration runs in"
        );
        assert_eq!(
            kept("PREPARE TRANSACTION 'x';\n"),
            Err((1, "PREPARE TRANSACTION 'x'".to_owned()))
        );
    }

    /// (start line, sql) of every piece.
    fn split_lines(source: &str) -> Vec<(usize, String)> {
        split(source)
            .unwrap_or_else(|e| panic!("split failed: {e}\n{source}"))
            .into_iter()
            .map(|piece| (piece.start_line, piece.sql))
            .collect()
    }

    fn owned(expected: &[(usize, &str)]) -> Vec<(usize, String)> {
        expected
            .iter()
            .map(|&(line, sql)| (line, sql.to_owned()))
            .collect()
    }

    fn statement(sql: &str) -> Piece {
        Piece::statement(sql)
    }

    #[test]
    fn splits_like_psql() {
        type Case<'a> = (&'a str, &'a str, &'a [(usize, &'a str)]);
        let cases: &[Case] = &[
            (
                "one per line",
                "SELECT 1;\nSELECT 2;\n",
                &[(1, "SELECT 1;"), (2, "SELECT 2;")],
            ),
            (
                "final statement without semicolon",
                "SELECT 1;\n\nSELECT 2\n-- trailing comment\n",
                &[(1, "SELECT 1;"), (3, "SELECT 2")],
            ),
            (
                "empty pieces are dropped",
                ";;\n-- only a comment\n/* c */ ;\n\n  SELECT 1;\n;",
                &[(5, "SELECT 1;")],
            ),
            (
                "leading comments are not part of sql, inner ones are",
                "-- lead\n/* block */ SELECT 1 -- trailing; x\n + 1;",
                &[(2, "SELECT 1 -- trailing; x\n + 1;")],
            ),
            (
                "line comment hides a semicolon",
                "SELECT 1 -- a;b\n+ 1;SELECT 2;",
                &[(1, "SELECT 1 -- a;b\n+ 1;"), (2, "SELECT 2;")],
            ),
            (
                "block comments nest",
                "SELECT /* a /* b; */ c; */ 1;\nSELECT 2;",
                &[(1, "SELECT /* a /* b; */ c; */ 1;"), (2, "SELECT 2;")],
            ),
            (
                "plain string: '' escapes, backslash does not",
                "SELECT 'a;''b';SELECT 'c:\\';SELECT 3;",
                &[
                    (1, "SELECT 'a;''b';"),
                    (1, "SELECT 'c:\\';"),
                    (1, "SELECT 3;"),
                ],
            ),
            (
                "E-string honours backslash escapes",
                "SELECT E'it\\'s; x';\nSELECT e'\\\\';\nSELECT 3;",
                &[
                    (1, "SELECT E'it\\'s; x';"),
                    (2, "SELECT e'\\\\';"),
                    (3, "SELECT 3;"),
                ],
            ),
            (
                "E at the tail of an identifier is not an E-string",
                "SELECT name'\\';SELECT 2;",
                &[(1, "SELECT name'\\';"), (1, "SELECT 2;")],
            ),
            (
                "E after an identifier and a space is an E-string",
                "SELECT name E'\\';x';SELECT 2;",
                &[(1, "SELECT name E'\\';x';"), (1, "SELECT 2;")],
            ),
            (
                "a string on the next line does not continue an E-string (psql lexes by line)",
                "SELECT E'a'\n  'b\\';SELECT 2;",
                &[(1, "SELECT E'a'\n  'b\\';"), (2, "SELECT 2;")],
            ),
            (
                "U&, B, X and N strings are plain-quoted",
                "SELECT U&'a\\';SELECT B'1', X'f', N'n\\';SELECT U&\"x;\";",
                &[
                    (1, "SELECT U&'a\\';"),
                    (1, "SELECT B'1', X'f', N'n\\';"),
                    (1, "SELECT U&\"x;\";"),
                ],
            ),
            (
                "quoted identifiers with doubled quotes",
                "SELECT 1 AS \"a;\"\"b\";SELECT 2;",
                &[(1, "SELECT 1 AS \"a;\"\"b\";"), (1, "SELECT 2;")],
            ),
            (
                "dollar quotes, empty and tagged",
                "SELECT $$a;b$$;\nSELECT $tag$ $$ ; $tag$;",
                &[(1, "SELECT $$a;b$$;"), (2, "SELECT $tag$ $$ ; $tag$;")],
            ),
            (
                "nested dollar quotes with other tags are text",
                "SELECT $outer$ x $inner$ ; $$ ; $inner$ y $outer$;\nSELECT 2;",
                &[
                    (1, "SELECT $outer$ x $inner$ ; $$ ; $inner$ y $outer$;"),
                    (2, "SELECT 2;"),
                ],
            ),
            (
                "dollar inside an identifier does not open a quote",
                "SELECT a$$ ;SELECT a$b$ ;SELECT 3;",
                &[(1, "SELECT a$$ ;"), (1, "SELECT a$b$ ;"), (1, "SELECT 3;")],
            ),
            (
                "positional parameter is not a dollar quote",
                "PREPARE p(int) AS SELECT $1;SELECT 2;",
                &[(1, "PREPARE p(int) AS SELECT $1;"), (1, "SELECT 2;")],
            ),
            (
                "dollar quote right after a number opens (as psql does)",
                "SELECT 1$$;$$;SELECT 2;",
                &[(1, "SELECT 1$$;$$;"), (1, "SELECT 2;")],
            ),
            (
                "a lone dollar is just text",
                "SELECT $ ;SELECT 2;",
                &[(1, "SELECT $ ;"), (1, "SELECT 2;")],
            ),
            (
                "semicolon inside parentheses does not end the statement",
                "SELECT (1;\n2);SELECT 3;",
                &[(1, "SELECT (1;\n2);"), (2, "SELECT 3;")],
            ),
            (
                "DO block",
                "DO $do$\nBEGIN\n  PERFORM 1;\nEND\n$do$;\nSELECT 2;",
                &[
                    (1, "DO $do$\nBEGIN\n  PERFORM 1;\nEND\n$do$;"),
                    (6, "SELECT 2;"),
                ],
            ),
            (
                "BEGIN ATOMIC body with CASE stays one statement",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND;\nSELECT 2;",
                &[
                    (
                        1,
                        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND;",
                    ),
                    (6, "SELECT 2;"),
                ],
            ),
            (
                "CREATE OR REPLACE PROCEDURE with BEGIN ATOMIC",
                "create or replace procedure p() language sql begin atomic insert into t values (1); end;select 2;",
                &[
                    (
                        1,
                        "create or replace procedure p() language sql begin atomic insert into t values (1); end;",
                    ),
                    (1, "select 2;"),
                ],
            ),
            (
                "CASE outside a BEGIN block does not open one",
                "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql RETURN CASE WHEN a > 0 THEN 1 END;SELECT 2;",
                &[
                    (
                        1,
                        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql RETURN CASE WHEN a > 0 THEN 1 END;",
                    ),
                    (1, "SELECT 2;"),
                ],
            ),
            (
                "a transaction block still splits",
                "BEGIN;\nSELECT 1;\nEND;\nBEGIN; CREATE TABLE begin_end (); COMMIT;",
                &[
                    (1, "BEGIN;"),
                    (2, "SELECT 1;"),
                    (3, "END;"),
                    (4, "BEGIN;"),
                    (4, "CREATE TABLE begin_end ();"),
                    (4, "COMMIT;"),
                ],
            ),
            (
                "BEGIN in a quoted body does not count",
                "CREATE FUNCTION f() RETURNS void AS 'begin' LANGUAGE sql;SELECT 2;",
                &[
                    (
                        1,
                        "CREATE FUNCTION f() RETURNS void AS 'begin' LANGUAGE sql;",
                    ),
                    (1, "SELECT 2;"),
                ],
            ),
            (
                "CRLF line endings",
                "SELECT 1;\r\nSELECT\r\n  2;\r\n",
                &[(1, "SELECT 1;"), (2, "SELECT\r\n  2;")],
            ),
            (
                "multibyte identifiers and strings",
                "SELECT 'é;' AS été;\nSELECT ü$$ ;",
                &[(1, "SELECT 'é;' AS été;"), (2, "SELECT ü$$ ;")],
            ),
        ];
        for (name, source, expected) in cases {
            assert_eq!(split_lines(source), owned(expected), "case: {name}");
        }
    }

    #[test]
    fn offsets_skip_the_bom() {
        let source = "\u{feff}SELECT 1;\r\n  SELECT 2;";
        let pieces = split(source).unwrap();
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].start_offset, pieces[0].start_line), (3, 1));
        assert_eq!((pieces[1].start_offset, pieces[1].start_line), (16, 2));
        for piece in &pieces {
            assert!(source[piece.start_offset..].starts_with(&piece.sql));
        }
    }

    #[test]
    fn copy_from_stdin_takes_the_data_lines() {
        type Case<'a> = (&'a str, &'a str, &'a [(usize, &'a str, Option<&'a str>)]);
        let cases: &[Case] = &[
            (
                "data then another statement",
                "COPY t FROM stdin;\n1\tone; 'x'\n2\t\\N\n\\.\nSELECT 1;\n",
                &[
                    (1, "COPY t FROM stdin;", Some("1\tone; 'x'\n2\t\\N\n")),
                    (5, "SELECT 1;", None),
                ],
            ),
            (
                "options, lower case, CSV",
                "copy t (a, b) from STDIN with (format csv);\n\"a;\",1\n\\.\ncopy t from stdin csv;\nx,2\n\\.\n",
                &[
                    (
                        1,
                        "copy t (a, b) from STDIN with (format csv);",
                        Some("\"a;\",1\n"),
                    ),
                    (4, "copy t from stdin csv;", Some("x,2\n")),
                ],
            ),
            (
                "data to the end of the file gets a final newline",
                "COPY t FROM STDIN;\n1\n2",
                &[(1, "COPY t FROM STDIN;", Some("1\n2\n"))],
            ),
            (
                "no data at all",
                "COPY t FROM STDIN;",
                &[(1, "COPY t FROM STDIN;", Some(""))],
            ),
            (
                "CRLF terminator and a data line that only starts with \\.",
                "COPY t FROM stdin;\r\n\\.x\r\n\\.\r\nSELECT 1;",
                &[
                    (1, "COPY t FROM stdin;", Some("\\.x\r\n")),
                    (4, "SELECT 1;", None),
                ],
            ),
            (
                "rest of the COPY line runs after the data, as in psql",
                "COPY t FROM stdin; SELECT 2; -- c\n1\n\\.\nSELECT 3;",
                &[
                    (1, "COPY t FROM stdin;", Some("1\n")),
                    (1, "SELECT 2;", None),
                    (4, "SELECT 3;", None),
                ],
            ),
            (
                "two COPYs on one line read consecutive data",
                "COPY a FROM stdin; COPY b FROM stdin;\n1\n\\.\n2\n\\.\nSELECT 3;",
                &[
                    (1, "COPY a FROM stdin;", Some("1\n")),
                    (1, "COPY b FROM stdin;", Some("2\n")),
                    (6, "SELECT 3;", None),
                ],
            ),
            (
                "COPY TO STDOUT, FROM a file, and stdin in a query are statements",
                "COPY t TO STDOUT;\nCOPY t FROM '/tmp/x';\nCOPY (SELECT * FROM stdin) TO STDOUT;\nCOPY t FROM \"stdin\";",
                &[
                    (1, "COPY t TO STDOUT;", None),
                    (2, "COPY t FROM '/tmp/x';", None),
                    (3, "COPY (SELECT * FROM stdin) TO STDOUT;", None),
                    (4, "COPY t FROM \"stdin\";", None),
                ],
            ),
        ];
        for (name, source, expected) in cases {
            let got: Vec<(usize, String, Option<String>)> = split(source)
                .unwrap()
                .into_iter()
                .map(|piece| {
                    let data = match piece.kind {
                        PieceKind::Statement => None,
                        PieceKind::CopyFromStdin { data } => Some(data),
                    };
                    (piece.start_line, piece.sql, data)
                })
                .collect();
            let expected: Vec<(usize, String, Option<String>)> = expected
                .iter()
                .map(|&(line, sql, data)| (line, sql.to_owned(), data.map(str::to_owned)))
                .collect();
            assert_eq!(got, expected, "case: {name}");
        }
    }

    #[test]
    fn errors_name_the_line_where_it_went_wrong() {
        let meta = |line: usize, command: &str| ScriptError::MetaCommand {
            line,
            command: command.to_owned(),
        };
        let open = |line: usize, what: &'static str| ScriptError::Unterminated { line, what };
        let cases: &[(&str, ScriptError)] = &[
            ("\\set x 1\nSELECT 1;", meta(1, "\\set")),
            ("SELECT 1;\n  \\i other.sql\n", meta(2, "\\i")),
            ("SELECT 1;\n\\connect db\nSELECT 2;", meta(2, "\\connect")),
            ("SELECT 1\n\\gset\n", meta(2, "\\gset")),
            ("SELECT 1 \\g", meta(1, "\\g")),
            ("SELECT 1\\; SELECT 2;", meta(1, "\\;")),
            ("\\. \n", meta(1, "\\.")),
            ("\\", meta(1, "\\")),
            ("SELECT 1;\nSELECT 'abc;\n\n", open(2, QUOTED_STRING)),
            ("SELECT E'\\';", open(1, QUOTED_STRING)),
            ("\n\nSELECT $a$ x $b$;", open(3, DOLLAR_QUOTED)),
            ("SELECT 1; /* /* */\nSELECT 2;", open(1, BLOCK_COMMENT)),
            ("SELECT \"abc;\nx", open(1, QUOTED_IDENT)),
            ("COPY t FROM stdin; SELECT\n1\n\\.\n2;", open(1, AFTER_COPY)),
        ];
        for (source, expected) in cases {
            assert_eq!(split(source).as_ref(), Err(expected), "source: {source:?}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            split("\\set x 1").unwrap_err().to_string(),
            "line 1: psql meta-command `\\set` cannot run through pgfleet"
        );
        assert_eq!(
            split("SELECT 1;\nSELECT $$").unwrap_err().to_string(),
            "line 2: unterminated dollar-quoted string"
        );
    }

    #[test]
    fn changes_session_finds_session_settings() {
        let cases: &[(&str, bool)] = &[
            ("SET statement_timeout = 0;", true),
            ("set search_path to public;", true),
            ("SET SESSION search_path = ''", true),
            ("SET LOCAL search_path = public;", false),
            ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;", false),
            ("SET CONSTRAINTS ALL DEFERRED;", false),
            ("RESET search_path;", true),
            (
                "SELECT pg_catalog.set_config('search_path', '', false);",
                true,
            ),
            ("SELECT 'set_config(';", false),
            ("-- SET x = 1\nSELECT 1;", false),
            ("UPDATE t SET a = 1;", false),
        ];
        for (sql, want) in cases {
            assert_eq!(Piece::statement(sql).changes_session(), *want, "{sql}");
        }
    }

    #[test]
    fn needs_no_transaction_matches_keywords_only() {
        let cases: &[(&str, bool)] = &[
            ("CREATE INDEX CONCURRENTLY i ON t (a);", true),
            ("create unique index concurrently i on t (a);", true),
            (
                "CREATE /* c */ INDEX\n-- x\n CONCURRENTLY i ON t (a);",
                true,
            ),
            ("CREATE INDEX i ON t (a);", false),
            ("DROP INDEX CONCURRENTLY IF EXISTS i;", true),
            ("DROP INDEX i;", false),
            ("REINDEX TABLE CONCURRENTLY t;", true),
            ("REINDEX (CONCURRENTLY) TABLE t;", true),
            ("REINDEX (VERBOSE) SCHEMA s;", true),
            ("REINDEX TABLE t;", false),
            ("CREATE DATABASE d;", true),
            ("DROP DATABASE IF EXISTS d;", true),
            ("ALTER DATABASE d SET TABLESPACE x;", true),
            ("ALTER DATABASE d SET work_mem = '1MB';", false),
            ("VACUUM;", true),
            ("vacuum (analyze) t;", true),
            ("ANALYZE t;", false),
            ("ALTER SYSTEM SET work_mem = '1MB';", true),
            ("CREATE TABLESPACE x LOCATION '/x';", true),
            ("DROP TABLESPACE x;", true),
            ("ALTER TABLESPACE x RENAME TO y;", false),
            ("DISCARD ALL;", true),
            ("DISCARD PLANS;", false),
            ("ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", true),
            ("ALTER TABLE p DETACH PARTITION c;", false),
            ("ALTER TYPE mood ADD VALUE 'x';", false),
            ("SELECT 'CREATE INDEX CONCURRENTLY';", false),
            ("/* VACUUM */ SELECT 1;", false),
            ("-- VACUUM\nSELECT 1;", false),
            ("SELECT $$VACUUM$$;", false),
            ("CREATE INDEX \"concurrently\" ON t (a);", false),
            ("CREATE TABLE vacuum (a int);", false),
        ];
        for (sql, expected) in cases {
            assert_eq!(
                statement(sql).needs_no_transaction(150_000),
                *expected,
                "sql: {sql}"
            );
        }
    }

    #[test]
    fn alter_type_add_value_depends_on_the_server_version() {
        let piece = statement("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'sad';");
        assert!(piece.needs_no_transaction(110_000));
        assert!(piece.needs_no_transaction(119_999));
        assert!(!piece.needs_no_transaction(120_000));
        assert!(!piece.needs_no_transaction(150_000));
        let rename = statement("ALTER TYPE mood RENAME VALUE 'a' TO 'b';");
        assert!(!rename.needs_no_transaction(110_000));
    }

    #[test]
    fn line_of_position_counts_characters() {
        let source = "SELECT 1;\n\n-- lead\nSELECT 'héllo wörld',\n  'ünïcødé ✓',\n  bad_column;";
        let pieces = split(source).unwrap();
        let piece = &pieces[1];
        assert_eq!(piece.start_line, 4);
        let bytes = piece.sql.find("bad_column").unwrap();
        let chars = piece.sql[..bytes].chars().count() + 1;
        assert!(chars < bytes + 1, "the test needs multibyte characters");
        assert_eq!(piece.line_of_position(chars), 6);
        // Byte position of `bad_column` lands further on: it must not be used.
        assert_eq!(piece.line_of_position(1), 4);
        assert_eq!(piece.line_of_position(0), 4);
        let second_line = piece.sql.find("'ü").unwrap();
        assert_eq!(
            piece.line_of_position(piece.sql[..second_line].chars().count() + 1),
            5
        );
        assert_eq!(piece.line_of_position(10_000), 6);
    }

    /// The test script of POSTGRES-NOTES.md section 5, which pg_query and sqlparser
    /// mis-split.
    const NOTES_SCRIPT: &str = r#"-- migration with every trap
SELECT 'a;b' AS "x;y";
/* outer /* inner; */ still comment; */
SELECT E'it\'s; x';
CREATE FUNCTION f1() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
CREATE FUNCTION f2() RETURNS text LANGUAGE plpgsql AS $outer$
BEGIN
  RETURN $inner$ ; $$ ; $inner$;
END
$outer$;
DO $do$
BEGIN
  PERFORM 1;
END
$do$;
CREATE FUNCTION f3(a int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  SELECT a + 1;
  SELECT CASE WHEN a > 0 THEN a END;
END;
CREATE INDEX CONCURRENTLY t_a ON t (a);
COPY t FROM stdin;
1	one;
2	two
\.
SELECT 'after copy';
"#;

    #[test]
    fn notes_script_splits_as_psql_does() {
        let pieces = split(NOTES_SCRIPT).unwrap();
        let summary: Vec<(usize, &str)> = pieces
            .iter()
            .map(|piece| (piece.start_line, piece.sql.lines().next().unwrap()))
            .collect();
        assert_eq!(
            summary,
            [
                (2, "SELECT 'a;b' AS \"x;y\";"),
                (4, "SELECT E'it\\'s; x';"),
                (
                    5,
                    "CREATE FUNCTION f1() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;"
                ),
                (
                    6,
                    "CREATE FUNCTION f2() RETURNS text LANGUAGE plpgsql AS $outer$"
                ),
                (11, "DO $do$"),
                (16, "CREATE FUNCTION f3(a int) RETURNS int"),
                (22, "CREATE INDEX CONCURRENTLY t_a ON t (a);"),
                (23, "COPY t FROM stdin;"),
                (27, "SELECT 'after copy';"),
            ]
        );
        assert!(pieces[5].sql.ends_with("END;"));
        assert_eq!(
            pieces[7].kind,
            PieceKind::CopyFromStdin {
                data: "1\tone;\n2\ttwo\n".to_owned()
            }
        );
        let flagged: Vec<bool> = pieces
            .iter()
            .map(|piece| piece.needs_no_transaction(150_000))
            .collect();
        assert_eq!(
            flagged,
            [false, false, false, false, false, false, true, false, false]
        );
        assert!(needs_no_transaction(&pieces, 150_000));
        assert!(!needs_no_transaction(&pieces[..6], 150_000));
    }

    #[test]
    fn notes_script_with_set_is_refused() {
        let script = format!("{NOTES_SCRIPT}\\set ON_ERROR_STOP on\nSELECT 1;\n");
        assert_eq!(
            split(&script),
            Err(ScriptError::MetaCommand {
                line: 28,
                command: "\\set".to_owned()
            })
        );
    }
}

#[cfg(test)]
mod created_schema_tests {
    use super::created_schema;

    #[test]
    fn plain_create_schema_only() {
        let cases = [
            ("CREATE SCHEMA \"billing\";", Some("billing")),
            ("create schema Billing", Some("billing")),
            (
                "CREATE SCHEMA \"Billing\" AUTHORIZATION app;",
                Some("Billing"),
            ),
            ("CREATE SCHEMA IF NOT EXISTS billing;", None),
            ("CREATE SCHEMA AUTHORIZATION app;", None),
            ("CREATE TABLE schema (id int);", None),
        ];
        for (sql, want) in cases {
            assert_eq!(created_schema(sql).as_deref(), want, "{sql}");
        }
    }
}
