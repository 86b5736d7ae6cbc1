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
//!
//! - `lexer`: psql's scanner, token by token (quotes, comments, dollar quotes, meta
//!   commands), and where lines start
//! - `classify`: what one statement needs (a transaction or none, the schema it
//!   creates)

mod classify;
mod lexer;

pub use classify::created_schema;
use lexer::{
    AFTER_COPY, LexError, LineCounter, Scanner, Tok, count_newlines, is_dolq_cont, is_kw, is_space,
    line_end, next_line_start,
};

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

#[cfg(test)]
mod tests;
