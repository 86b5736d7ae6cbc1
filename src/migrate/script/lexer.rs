//! psql's scanner (`psqlscan.l`), as much of it as decides where a statement ends:
//! tokens, quotes, comments, dollar quotes, meta commands, and line counting.

use std::ops::Range;

use super::ScriptError;

pub(super) const QUOTED_STRING: &str = "quoted string";
pub(super) const DOLLAR_QUOTED: &str = "dollar-quoted string";
pub(super) const BLOCK_COMMENT: &str = "block comment";
pub(super) const QUOTED_IDENT: &str = "quoted identifier";
/// psql reads COPY data from the line after the `;` and runs the rest of that line only
/// afterwards, so a statement there that does not end on the same line would be glued to
/// the text after the data: refuse it rather than guess.
pub(super) const AFTER_COPY: &str = "statement after `COPY ... FROM STDIN` on the same line";

/// A lexing failure located by byte offset; turned into a line for [`ScriptError`].
pub(super) enum LexError {
    Unterminated { offset: usize, what: &'static str },
    Meta { offset: usize, command: String },
}

impl LexError {
    pub(super) fn into_script_error(self, src: &[u8]) -> ScriptError {
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
pub(super) enum Tok {
    /// An unquoted identifier or keyword.
    Word,
    Semi,
    Open,
    Close,
    Backslash,
    /// Anything else: strings, quoted identifiers, numbers, operators, parameters.
    Other,
}

pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    pub(super) fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Tokens of `src[pos..end]`, skipping whitespace and comments.
pub(super) struct Scanner<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
    pub(super) end: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(src: &'a [u8], pos: usize, end: usize) -> Self {
        Self { src, pos, end }
    }

    pub(super) fn peek(&self, at: usize) -> Option<u8> {
        (at < self.end).then(|| self.src[at])
    }

    pub(super) fn next_token(&mut self) -> Result<Option<Token>, LexError> {
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

    pub(super) fn single(&mut self, kind: Tok) -> Tok {
        self.pos += 1;
        kind
    }

    /// Nested `/* */` comment opening at `open`.
    pub(super) fn block_comment(&mut self, open: usize) -> Result<(), LexError> {
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
    pub(super) fn string(
        &mut self,
        open: usize,
        body: usize,
        escapes: bool,
    ) -> Result<Tok, LexError> {
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

    pub(super) fn quoted_ident(&mut self, open: usize) -> Result<Tok, LexError> {
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
    pub(super) fn dollar(&mut self, open: usize) -> Result<Tok, LexError> {
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
    pub(super) fn number(&mut self, start: usize) -> Tok {
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
    pub(super) fn word(&mut self, start: usize) -> Result<Tok, LexError> {
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
pub(super) struct LineCounter {
    pub(super) offset: usize,
    pub(super) line: usize,
}

impl Default for LineCounter {
    fn default() -> Self {
        Self { offset: 0, line: 1 }
    }
}

impl LineCounter {
    pub(super) fn line_at(&mut self, src: &[u8], offset: usize) -> usize {
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
pub(super) fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Offset of the `\n` ending the line that contains `at`, or `limit`.
pub(super) fn line_end(src: &[u8], at: usize, limit: usize) -> usize {
    src[at..limit]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(limit, |i| at + i)
}

pub(super) fn next_line_start(src: &[u8], at: usize) -> usize {
    (line_end(src, at, src.len()) + 1).min(src.len())
}

pub(super) fn is_kw(word: &[u8], keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword.as_bytes())
}

/// psqlscan.l's `space`.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// psqlscan.l's `ident_start` (and `dolq_start`): bytes of multibyte characters count.
pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// psqlscan.l's `ident_cont`: identifiers may contain `$`.
pub(super) fn is_ident_cont(b: u8) -> bool {
    is_dolq_cont(b) || b == b'$'
}

/// psqlscan.l's `dolq_cont`: like `ident_cont` without `$`.
pub(super) fn is_dolq_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}
