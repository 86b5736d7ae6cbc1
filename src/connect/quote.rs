//! Quoting identifiers and literals for SQL text that cannot use parameters (DDL such as
//! `CREATE DATABASE`, `SET`), matching PostgreSQL's `quote_ident` and `quote_literal`.

/// `"name"`, with inner `"` doubled. Always quoted: deciding when quotes are optional needs
/// the server's keyword list, and quoting never changes the meaning of a lower-case name.
pub fn quote_ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `'text'`, with inner `'` doubled; when the text holds a backslash, the `E'...'` form
/// with backslashes doubled, so the result means the same whatever
/// `standard_conforming_strings` is (as PostgreSQL's own `quote_literal` does).
pub fn quote_literal(s: &str) -> String {
    let has_backslash = s.contains('\\');
    let mut out = String::with_capacity(s.len() + 3);
    if has_backslash {
        out.push('E');
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || (c == '\\' && has_backslash) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let cases = [
            ("app", r#""app""#),
            ("App", r#""App""#),
            (r#"a"b"#, r#""a""b""#),
            ("", r#""""#),
            ("select", r#""select""#),
            ("naïve table", r#""naïve table""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote_ident(input), want, "{input}");
        }
    }

    #[test]
    fn literals() {
        let cases = [
            ("plain", "'plain'"),
            ("it's", "'it''s'"),
            ("", "''"),
            (r"a\b", r"E'a\\b'"),
            (r"it's a\b", r"E'it''s a\\b'"),
            ("naïve", "'naïve'"),
        ];
        for (input, want) in cases {
            assert_eq!(quote_literal(input), want, "{input}");
        }
    }
}
