//! A formatted-SQL changeset's `--changeset author:id attr:value ...` line.

use super::Kind;

/// A changeset's header and attributes.
#[derive(Debug)]
pub(super) struct Header {
    pub(super) author: String,
    pub(super) id: String,
    pub(super) no_transaction: bool,
    pub(super) no_split: bool,
    pub(super) delimiter: Option<String>,
    /// Versioned; `runOnChange` = Repeatable; `runAlways` = Always (it wins).
    pub(super) kind: Kind,
    pub(super) skip: bool,
    /// `context:` (or `contextFilter:`) and `labels:`, as written (quotes taken off):
    /// they do not filter, Liquibase records them in its `contexts` and `labels`.
    pub(super) contexts: Option<String>,
    pub(super) labels: Option<String>,
}

/// `--changeset author:id attr:value ...`, `None` when the line is no changeset line.
pub(super) fn changeset_header(line: &str) -> Option<Result<Header, String>> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = keyword(rest, "changeset")?.trim();
    if rest.is_empty() {
        return Some(Err("`--changeset` needs `author:id`".to_owned()));
    }
    // `"author name":id` may quote the author.
    let (author, after) = if let Some(quoted) = rest.strip_prefix('"') {
        match quoted.split_once("\":") {
            Some((a, after)) => (a.to_owned(), after),
            None => return Some(Err("`--changeset` needs `author:id`".to_owned())),
        }
    } else {
        let first = rest.split_whitespace().next().unwrap_or_default();
        match first.split_once(':') {
            Some((a, _)) if !a.is_empty() => (a.to_owned(), &rest[a.len() + 1..]),
            _ => {
                return Some(Err(format!(
                    "`--changeset {first}` needs `author:id`, e.g. `--changeset jane:1`"
                )));
            }
        }
    };
    let mut words = after.split_whitespace();
    let id = words
        .next()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    if id.is_empty() {
        return Some(Err("`--changeset` needs `author:id`".to_owned()));
    }
    let mut header = Header {
        author,
        id,
        no_transaction: false,
        no_split: false,
        delimiter: None,
        kind: Kind::Versioned,
        skip: false,
        contexts: None,
        labels: None,
    };
    for word in words {
        let Some((key, value)) = word.split_once(':') else {
            continue;
        };
        let yes = value.eq_ignore_ascii_case("true");
        match key {
            "runInTransaction" => header.no_transaction = value.eq_ignore_ascii_case("false"),
            "splitStatements" => header.no_split = value.eq_ignore_ascii_case("false"),
            "endDelimiter" => header.delimiter = Some(value.to_owned()).filter(|v| !v.is_empty()),
            "runOnChange" if yes && header.kind != Kind::Always => header.kind = Kind::Repeatable,
            "runAlways" if yes => header.kind = Kind::Always,
            "ignore" => header.skip |= yes,
            "dbms" => header.skip |= !dbms_matches(value),
            "context" | "contextFilter" => header.contexts = unquoted(value),
            "labels" => header.labels = unquoted(value),
            _ => {}
        }
    }
    Some(Ok(header))
}

/// An attribute's value without its quotes; `None` when empty.
fn unquoted(value: &str) -> Option<String> {
    Some(value.trim_matches('"').to_owned()).filter(|v| !v.is_empty())
}

/// The text after `word` when `text` starts with it (any case) followed by a blank,
/// a `:` or the end: `--rollback DROP ...` but not `-- rollbacks are manual`.
pub(super) fn keyword<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word)
        && (rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with(':')))
    .then(|| rest.strip_prefix(':').unwrap_or(rest))
}

/// Liquibase's `dbms` list: `postgresql`, `all`, `!mysql`, comma-separated.
pub(super) fn dbms_matches(list: &str) -> bool {
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    if items.contains(&"!postgresql") {
        return false;
    }
    items
        .iter()
        .any(|i| *i == "postgresql" || *i == "all" || i.starts_with('!'))
}
