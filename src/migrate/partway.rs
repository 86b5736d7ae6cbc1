//! What a migration run outside a transaction had already done when one of
//! its statements failed: the statements that committed before it, each
//! with its line in the file and its first line of text, so the error can
//! say what the user may have to undo.

use std::fmt::Write as _;

use super::script::{Control, Piece};

/// A statement of a migration file that ran (and committed) before the
/// statement that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RanStatement {
    /// 1-based line of the file where the statement starts.
    pub line: usize,
    /// Its first line of text.
    pub text: String,
}

/// The statements of `pieces` before `failed` that committed. `one_by_one`:
/// each statement committed on its own (autocommit); otherwise the file's
/// own transactions held: what ran since the last `COMMIT` was rolled back
/// with the failure. `first_line` is the file line where the split script
/// starts. Transaction control itself (`BEGIN`, `COMMIT`) is left out.
pub(crate) fn ran_before(
    pieces: &[Piece],
    failed: usize,
    one_by_one: bool,
    first_line: usize,
) -> Vec<RanStatement> {
    let mut ran = Vec::new();
    let mut pending = Vec::new();
    for piece in pieces.iter().take(failed) {
        let control = piece.control();
        if one_by_one {
            if control.is_none() {
                ran.push(describe(piece, first_line));
            }
            continue;
        }
        match control {
            None => pending.push(describe(piece, first_line)),
            Some(Control::Commit) => ran.append(&mut pending),
            Some(Control::Other) => pending.clear(),
            Some(Control::Begin) => {}
        }
    }
    ran
}

fn describe(piece: &Piece, first_line: usize) -> RanStatement {
    let text = piece.sql.lines().next().unwrap_or_default().trim_end();
    let more = piece.sql.trim_end().lines().nth(1).is_some();
    RanStatement {
        line: first_line + piece.start_line - 1,
        text: if more {
            format!("{text} ...")
        } else {
            text.to_owned()
        },
    }
}

/// The lines a `FailedPartWay` error ends with.
pub(crate) fn render(path: &std::path::Path, ran: &[RanStatement]) -> String {
    if ran.is_empty() {
        return format!(
            "\n  no statement of `{}` had run before the one that failed",
            path.display()
        );
    }
    let mut text = format!(
        "\n  these statements of `{}` ran before it and were not undone:",
        path.display()
    );
    for statement in ran {
        let _ = write!(text, "\n    line {}: {}", statement.line, statement.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::script;

    fn lines(ran: &[RanStatement]) -> Vec<(usize, &str)> {
        ran.iter().map(|r| (r.line, r.text.as_str())).collect()
    }

    #[test]
    fn statements_before_the_failure_are_listed_with_their_lines() {
        let sql =
            "CREATE TABLE a (id int);\nINSERT INTO a\n  VALUES (1);\nSELECT nope;\nSELECT 2;\n";
        let pieces = script::split(sql).unwrap();
        // A file whose first line is a marker: the script starts on line 2.
        assert_eq!(
            lines(&ran_before(&pieces, 2, true, 2)),
            [(2, "CREATE TABLE a (id int);"), (3, "INSERT INTO a ...")]
        );
        assert_eq!(ran_before(&pieces, 0, true, 1), []);
    }

    #[test]
    fn as_one_query_only_committed_blocks_count() {
        let sql = "CREATE TABLE a ();\nCOMMIT;\nBEGIN;\nCREATE TABLE b ();\nROLLBACK;\nCREATE TABLE c ();\nSELECT nope;\n";
        let pieces = script::split(sql).unwrap();
        assert_eq!(
            lines(&ran_before(&pieces, 6, false, 1)),
            [(1, "CREATE TABLE a ();")]
        );
    }

    #[test]
    fn rendering_names_the_file() {
        let path = std::path::Path::new("m/0002_x.sql");
        assert_eq!(
            render(path, &[]),
            "\n  no statement of `m/0002_x.sql` had run before the one that failed"
        );
        let ran = [RanStatement {
            line: 2,
            text: "CREATE TABLE a ();".into(),
        }];
        assert_eq!(
            render(path, &ran),
            "\n  these statements of `m/0002_x.sql` ran before it and were not undone:\n    line 2: CREATE TABLE a ();"
        );
    }
}
