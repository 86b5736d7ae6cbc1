//! The line patterns of Liquibase's formatted-SQL parser that decide what a changeset's
//! SQL is (liquibase-standard `AbstractFormattedChangeLogParser`): the lines it takes
//! out of the SQL it runs and checksums, and `--ignoreLines`. Liquibase matches each
//! whole line, case-insensitively, with Java's `\s` (space, tab, LF, VT, FF, CR).

/// Java's `\s`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// `rest` after `word` when `text` starts with it, in any case.
fn word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    head.eq_ignore_ascii_case(word).then(|| &text[word.len()..])
}

/// The text after `--` and the blanks after it, when `line` starts with `--` (after
/// blanks when `leading` allows them, as `\s*--[\s]*`).
fn after_dashes(line: &str, leading: bool) -> Option<&str> {
    let line = if leading {
        line.trim_start_matches(is_space)
    } else {
        line
    };
    Some(line.strip_prefix("--")?.trim_start_matches(is_space))
}

/// `--property name:x value:y` (`PROPERTY_REGEX`): defines a changelog property; never
/// part of a changeset's SQL.
pub(super) fn is_property(line: &str) -> bool {
    let Some(rest) = after_dashes(line, true).and_then(|r| word(r, "property")) else {
        return false;
    };
    // `\s+(.*:.*)\s+(.*:.*).*`: a blank, then a `:`, a blank after it, a `:` after that.
    if !rest.starts_with(is_space) {
        return false;
    }
    let rest = rest.trim_start_matches(is_space);
    rest.find(':').is_some_and(|first| {
        let after = &rest[first + 1..];
        after
            .find(is_space)
            .is_some_and(|blank| after[blank..].contains(':'))
    })
}

/// `--ignoreLines:<word>` (`IGNORE_LINES_REGEX`, the whole line).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum IgnoreLines {
    /// `start`: the lines up to and with `--ignoreLines:end` are left out.
    Start,
    /// `<n>`: the next `n` lines are left out.
    Count(u64),
    /// Anything else, `end` outside a `start` block included: Liquibase refuses it.
    Other(String),
}

pub(super) fn ignore_lines(line: &str) -> Option<IgnoreLines> {
    let rest = word(after_dashes(line, false)?, "ignoreLines:")?;
    let value = rest.trim_end_matches(is_space);
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(match value {
        "start" => IgnoreLines::Start,
        _ => value
            .parse()
            .map_or_else(|_| IgnoreLines::Other(value.to_owned()), IgnoreLines::Count),
    })
}

/// The line that ends an `--ignoreLines:start` block.
pub(super) fn is_ignore_end(line: &str) -> bool {
    matches!(ignore_lines(line), Some(IgnoreLines::Other(v)) if v == "end")
}

/// A line inside a changeset that Liquibase takes out of its SQL (`configureChangeSet`):
/// `--comment: ...`, `--validCheckSum: ...` (both at the start of the line),
/// `--rollback ...`, `--preconditions ...`, `--precondition-<name> ...`, and the
/// `/* liquibase rollback` line that opens a rollback block.
pub(super) fn leaves_sql(line: &str) -> bool {
    // `--[\s]*comment:? (.*)`: the word, maybe a colon, then a space.
    let word_then_space = |rest: Option<&str>| {
        rest.is_some_and(|r| r.strip_prefix(':').unwrap_or(r).starts_with(' '))
    };
    let at_start = after_dashes(line, false);
    let anywhere = after_dashes(line, true);
    word_then_space(at_start.and_then(|r| word(r, "comment")))
        || word_then_space(at_start.and_then(|r| word(r, "validCheckSum")))
        || anywhere
            .and_then(|r| word(r, "rollback"))
            .is_some_and(|r| r.starts_with(' '))
        || anywhere.and_then(|r| word(r, "precondition")).is_some()
        || opens_rollback_block(line)
}

/// `\s*/\*\s*liquibase\s*rollback\s*$`: the line opening a rollback block, which runs to
/// the first line ending in `*/`.
pub(super) fn opens_rollback_block(line: &str) -> bool {
    line.trim_matches(is_space)
        .strip_prefix("/*")
        .map(|r| r.trim_start_matches(is_space))
        .and_then(|r| word(r, "liquibase"))
        .map(|r| r.trim_start_matches(is_space))
        .and_then(|r| word(r, "rollback"))
        .is_some_and(str::is_empty)
}

/// `.*\s*\*/\s*$`: the line closing a rollback block.
pub(super) fn closes_rollback_block(line: &str) -> bool {
    line.trim_end_matches(is_space).ends_with("*/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_liquibase_leaves_out_of_the_sql() {
        let out = [
            "--comment: a note",
            "-- comment a note",
            "--COMMENT: x",
            "--validCheckSum: 9:abc",
            "--rollback DROP TABLE t;",
            "  -- rollback DROP TABLE t;",
            "--preconditions onFail:HALT",
            "--precondition-sql-check expectedResult:0 SELECT 1",
            "/* liquibase rollback",
            "  /*liquibase rollback  ",
        ];
        for line in out {
            assert!(leaves_sql(line), "{line:?}");
        }
        let kept = [
            "-- a plain comment",
            "--commentary",
            " --comment: indented comments stay in the SQL",
            "--comment:no space after the colon",
            "--rollback",
            "--rollbacks are manual",
            "/* liquibase rollback DROP TABLE t; */",
            "CREATE TABLE t (id int);",
            "",
        ];
        for line in kept {
            assert!(!leaves_sql(line), "{line:?}");
        }
    }

    #[test]
    fn properties_and_ignored_lines() {
        assert!(is_property("--property name:table value:users"));
        assert!(is_property("  -- property  name:a  value:b  context:x"));
        assert!(!is_property("--property name:table"));
        assert!(!is_property("--properties name:a value:b"));
        assert_eq!(
            ignore_lines("--ignoreLines:start"),
            Some(IgnoreLines::Start)
        );
        assert_eq!(
            ignore_lines("-- ignoreLines:2"),
            Some(IgnoreLines::Count(2))
        );
        assert!(is_ignore_end("--ignoreLines:end"));
        assert_eq!(
            ignore_lines("--ignoreLines:later"),
            Some(IgnoreLines::Other("later".to_owned()))
        );
        assert_eq!(ignore_lines(" --ignoreLines:start"), None);
        assert!(closes_rollback_block("DROP TABLE t; */  "));
        assert!(!closes_rollback_block("DROP TABLE t;"));
    }
}
