//! The pure part of `env --write`: old `.env` text + wanted variables -> new
//! text, touching only the values that must change.
//!
//! A line `KEY=value` (also `export KEY=value`, with spaces around `=`) whose
//! key is wanted gets its value replaced in place; its indentation, `export`,
//! spacing and trailing comment stay. Every other byte is kept. A value that
//! already decodes to the wanted one is left as written, whatever its quoting,
//! so a second run changes nothing. Values are decoded as dotenvy reads them
//! (single quotes literal, double quotes with backslash escapes, a quoted value
//! may span lines), minus `$VAR` substitution, which no URL we write needs.

use crate::wiring::assignment;

/// What happened to one wanted variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    Added,
    Updated,
    Unchanged,
}

impl KeyChange {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyChange::Added => "added",
            KeyChange::Updated => "updated",
            KeyChange::Unchanged => "unchanged",
        }
    }
}

/// The new text and what became of each wanted key, in the order asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    pub text: String,
    pub keys: Vec<(String, KeyChange)>,
    /// Whether `text` differs from the input.
    pub changed: bool,
}

/// One assignment found in the file: byte offsets into the text.
struct Entry {
    key: String,
    /// The value as written: from after `=` and its spaces to the end of the
    /// value (a closing quote included, a trailing comment excluded).
    value: std::ops::Range<usize>,
    decoded: String,
}

/// Sets every `(key, value)` of `wanted` in the dotenv text `old`.
pub fn update(old: &str, wanted: &[(String, String)]) -> Updated {
    let entries = scan(old);
    let mut text = String::with_capacity(old.len() + 64);
    let mut copied = 0;
    let mut keys: Vec<(String, KeyChange)> = wanted
        .iter()
        .map(|(k, _)| (k.clone(), KeyChange::Added))
        .collect();
    for entry in &entries {
        let Some(i) = wanted.iter().rposition(|(k, _)| *k == entry.key) else {
            continue;
        };
        let value = &wanted[i].1;
        if entry.decoded == *value {
            if keys[i].1 == KeyChange::Added {
                keys[i].1 = KeyChange::Unchanged;
            }
            continue;
        }
        keys[i].1 = KeyChange::Updated;
        text.push_str(&old[copied..entry.value.start]);
        text.push_str(&quoted(value));
        copied = entry.value.end;
    }
    text.push_str(&old[copied..]);

    let eol = if old
        .split_once('\n')
        .is_some_and(|(line, _)| line.ends_with('\r'))
    {
        "\r\n"
    } else {
        "\n"
    };
    for (i, (key, value)) in wanted.iter().enumerate() {
        // A key asked for twice is written once, with its last value.
        if keys[i].1 != KeyChange::Added || wanted[i + 1..].iter().any(|(k, _)| k == key) {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push_str(eol);
        }
        text.push_str(&assignment(key, value));
        text.push_str(eol);
    }
    let changed = text != old;
    Updated {
        text,
        keys,
        changed,
    }
}

/// The value part of [`assignment`]: the same quoting rules.
fn quoted(value: &str) -> String {
    let line = assignment("K", value);
    line["K=".len()..].to_owned()
}

/// Every `KEY=value` line, skipping lines inside multi-line quoted values.
fn scan(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let next = match parse_assignment(text, at, line_end) {
            Some(entry) => {
                // Continue after the line holding the value's end.
                let end = text[entry.value.end..]
                    .find('\n')
                    .map_or(text.len(), |i| entry.value.end + i + 1);
                entries.push(entry);
                end
            }
            None => (line_end + 1).min(text.len()),
        };
        at = next;
    }
    entries
}

/// `[ws][export ws]KEY[ws]=[ws]value` starting at `start`, or `None`.
fn parse_assignment(text: &str, start: usize, line_end: usize) -> Option<Entry> {
    let line = &text[start..line_end];
    let body = line.trim_start_matches([' ', '\t']);
    let body = match body.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
        _ => body,
    };
    let key_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(body.len());
    let key = &body[..key_len];
    if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after_key = body[key_len..].trim_start_matches([' ', '\t']);
    let after_eq = after_key.strip_prefix('=')?;
    let value_text = after_eq.trim_start_matches([' ', '\t']);
    let value_start = line_end - value_text.len();
    let (decoded, value_end) = decode(text, value_start, line_end);
    Some(Entry {
        key: key.to_owned(),
        value: value_start..value_end,
        decoded,
    })
}

/// Reads the value starting at `start` as dotenvy does; returns it and where
/// it ends. An unquoted value ends at the line's end or at ` #`; trailing
/// spaces and a `\r` are not part of it. A quote left open keeps the rest of
/// the line, as written.
fn decode(text: &str, start: usize, line_end: usize) -> (String, usize) {
    let mut out = String::new();
    let mut end = start;
    let mut chars = text[start..].char_indices().map(|(i, c)| (start + i, c));
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' | '\r' => break,
            '#' if i > start && text[..i].ends_with([' ', '\t']) => break,
            ' ' | '\t' => out.push(c),
            '\\' => match chars.next() {
                Some((j, e)) if e != '\n' && e != '\r' => {
                    out.push(e);
                    end = j + e.len_utf8();
                }
                _ => return raw(text, start, line_end),
            },
            '\'' | '"' => {
                let mut closed = false;
                while let Some((j, q)) = chars.next() {
                    if q == c {
                        closed = true;
                        end = j + 1;
                        break;
                    }
                    if c == '"' && q == '\\' {
                        match chars.next() {
                            Some((_, 'n')) => out.push('\n'),
                            Some((_, e @ ('\\' | '"' | '$'))) => out.push(e),
                            Some((_, e)) => {
                                out.push('\\');
                                out.push(e);
                            }
                            None => break,
                        }
                    } else {
                        out.push(q);
                    }
                }
                if !closed {
                    return raw(text, start, line_end);
                }
            }
            _ => {
                out.push(c);
                end = i + c.len_utf8();
            }
        }
    }
    // Spaces count only between other characters.
    let kept = out.trim_end_matches([' ', '\t']).len();
    out.truncate(kept);
    (out, end)
}

fn raw(text: &str, start: usize, line_end: usize) -> (String, usize) {
    let value = text[start..line_end].trim_end_matches(['\r', ' ', '\t']);
    (value.to_owned(), start + value.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// (name, old text, wanted pairs, new text, what became of each key)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
        &'a [KeyChange],
    );

    const URL: &str = "postgresql://u@h:5432/app";

    #[test]
    fn updates_in_place_and_keeps_every_other_byte() {
        use KeyChange::{Added, Unchanged, Updated as Upd};
        let cases: &[Case] = &[
            (
                "update in place",
                "A=1\nDATABASE_URL=old\nB=2\n",
                &[("DATABASE_URL", URL)],
                "A=1\nDATABASE_URL=postgresql://u@h:5432/app\nB=2\n",
                &[Upd],
            ),
            (
                "export prefix, indentation and spaces kept",
                "  export DATABASE_URL = old\n",
                &[("DATABASE_URL", URL)],
                "  export DATABASE_URL = postgresql://u@h:5432/app\n",
                &[Upd],
            ),
            (
                "comments and blank lines kept byte for byte",
                "# top comment\n\n  # indented\nX = 'keep me'  \n\nDATABASE_URL=old # why\n\n",
                &[("DATABASE_URL", URL)],
                "# top comment\n\n  # indented\nX = 'keep me'  \n\nDATABASE_URL=postgresql://u@h:5432/app # why\n\n",
                &[Upd],
            ),
            (
                "append missing after a file with a trailing newline",
                "A=1\n",
                &[("DATABASE_URL", URL), ("B", "2")],
                "A=1\nDATABASE_URL=postgresql://u@h:5432/app\nB=2\n",
                &[Added, Added],
            ),
            (
                "no trailing newline",
                "A=1",
                &[("B", "2")],
                "A=1\nB=2\n",
                &[Added],
            ),
            (
                "no trailing newline, updated last line",
                "A=1\nB=old",
                &[("B", "2")],
                "A=1\nB=2",
                &[Upd],
            ),
            ("empty file", "", &[("B", "2")], "B=2\n", &[Added]),
            (
                "CRLF file keeps CRLF, appends CRLF",
                "# c\r\nA=old\r\n",
                &[("A", "1"), ("B", "2")],
                "# c\r\nA=1\r\nB=2\r\n",
                &[Upd, Added],
            ),
            (
                "quoting by wiring::assignment",
                "P=x\n",
                &[("P", "postgresql://u:it's@h/db"), ("Q", "")],
                "P='postgresql://u:it'\\''s@h/db'\nQ=''\n",
                &[Upd, Added],
            ),
            (
                "a value already right in other quotes is left alone",
                "A=\"postgresql://u@h:5432/app\"\nB='2'\nexport C=3 # note\n",
                &[("A", URL), ("B", "2"), ("C", "3")],
                "A=\"postgresql://u@h:5432/app\"\nB='2'\nexport C=3 # note\n",
                &[Unchanged, Unchanged, Unchanged],
            ),
            (
                "a multi-line quoted value is replaced whole",
                "A=\"line1\nB=inside\"\nC=1\n",
                &[("A", "x"), ("B", "y")],
                "A=x\nC=1\nB=y\n",
                &[Upd, Added],
            ),
            (
                "every occurrence of a repeated key",
                "A=1\nA=2\n",
                &[("A", "3")],
                "A=3\nA=3\n",
                &[Upd],
            ),
            (
                "an unterminated quote is replaced up to the line's end",
                "A='open\nB=1\n",
                &[("A", "x")],
                "A=x\nB=1\n",
                &[Upd],
            ),
            (
                "other keys with a common prefix are not touched",
                "DATABASE_URL_RO=keep\nXDATABASE_URL=keep\n",
                &[("DATABASE_URL", "1")],
                "DATABASE_URL_RO=keep\nXDATABASE_URL=keep\nDATABASE_URL=1\n",
                &[Added],
            ),
        ];
        for (name, old, wanted, want, changes) in cases {
            let got = update(old, &pairs(wanted));
            assert_eq!(got.text, *want, "{name}");
            let got_changes: Vec<KeyChange> = got.keys.iter().map(|(_, c)| *c).collect();
            assert_eq!(got_changes, *changes, "{name}");
            assert_eq!(got.changed, old != want, "{name}");
            // Idempotence: running again on the output changes nothing.
            let again = update(&got.text, &pairs(wanted));
            assert_eq!(again.text, got.text, "{name}: second run");
            assert!(!again.changed, "{name}: second run");
            assert!(
                again.keys.iter().all(|(_, c)| *c == KeyChange::Unchanged),
                "{name}: second run {:?}",
                again.keys
            );
        }
    }

    #[test]
    fn decodes_values_as_dotenvy_reads_them() {
        let cases = [
            ("plain", "plain"),
            ("a b  # c", "a b"),
            ("'it'\\''s'", "it's"),
            ("\"a\\\"b\\nc\"", "a\"b\nc"),
            ("x#y", "x#y"),
            ("", ""),
            ("'' # empty", ""),
        ];
        for (written, want) in cases {
            let text = format!("K={written}\n");
            let (got, _) = decode(&text, 2, text.len() - 1);
            assert_eq!(got, want, "{written}");
        }
    }
}
