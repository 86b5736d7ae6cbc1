//! `${VAR}` and `${VAR:-default}` expansion in manifest strings.
//!
//! Expansion runs per string value after TOML parsing (POSTGRES-NOTES §8), so
//! spans still point into the file as written. Rules, as in Docker Compose:
//! `${VAR}` must have a value, `${VAR:-default}` falls back when the variable
//! is unset or empty, `$$` is a literal `$`, and a `$` followed by anything
//! else is kept as it is (so `$1` in a runner command survives).

/// Why a string could not be expanded; `offset` is the byte offset of the `$`
/// inside the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    Missing { name: String, offset: usize },
    Unterminated { offset: usize },
    BadName { name: String, offset: usize },
}

/// What stands in for `${name}` when a manifest is checked without its real
/// environment (`init`'s self-check, `verify --offline`): a port number when
/// the name has `PORT` in it, so the URL still parses, `x` otherwise.
pub(crate) fn stand_in(name: &str) -> &'static str {
    if name.contains("PORT") { "5432" } else { "x" }
}

/// Expands every `${...}` in `input` using `lookup`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let offset = input.len() - rest.len() + at;
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_start) = after.strip_prefix('{') {
            let close = body_start
                .find('}')
                .ok_or(ExpandError::Unterminated { offset })?;
            let body = &body_start[..close];
            let (name, default) = match body.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (body, None),
            };
            if !is_var_name(name) {
                return Err(ExpandError::BadName {
                    name: name.to_owned(),
                    offset,
                });
            }
            match (
                lookup(name).filter(|v| !v.is_empty() || default.is_none()),
                default,
            ) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    return Err(ExpandError::Missing {
                        name: name.to_owned(),
                        offset,
                    });
                }
            }
            rest = &body_start[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a name a shell and every dotenv reader accept.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db.local".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_compose() {
        let cases = [
            ("plain", "plain"),
            ("postgresql://${HOST}/x", "postgresql://db.local/x"),
            ("${MISSING:-fallback}", "fallback"),
            ("${EMPTY:-fallback}", "fallback"),
            ("${HOST:-fallback}", "db.local"),
            ("${EMPTY}", ""),
            ("cost $$5", "cost $5"),
            ("sh -c 'echo $1'", "sh -c 'echo $1'"),
            ("trailing $", "trailing $"),
            ("${MISSING:-}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(
                expand(input, &lookup).as_deref(),
                Ok(want),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn reports_what_is_wrong_and_where() {
        assert_eq!(
            expand("url ${NOPE}", &lookup),
            Err(ExpandError::Missing {
                name: "NOPE".into(),
                offset: 4
            })
        );
        assert_eq!(
            expand("x ${HOST", &lookup),
            Err(ExpandError::Unterminated { offset: 2 })
        );
        assert_eq!(
            expand("${1X}", &lookup),
            Err(ExpandError::BadName {
                name: "1X".into(),
                offset: 0
            })
        );
    }
}
