//! Where text goes: results on stdout, everything else on stderr, one JSON
//! document with `--json` (STYLE §11).

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use pgfleet::Error;

use super::Global;
use super::json::{Document, ErrorDoc, Versioned};

#[derive(Debug, Clone)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
}

// Every method takes `&self` even where it reads no field: all output goes
// through one value, so colour or capture later has one place to change.
#[allow(clippy::unused_self)]
impl Output {
    pub fn new(global: &Global) -> Output {
        Output {
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
        }
    }

    /// A line of the command's result (suppressed by `--quiet` and `--json`).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.quiet && !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", text.as_ref());
        }
    }

    /// Text that is the result itself (a picture, a URL): printed even with
    /// `--quiet`.
    pub fn text(&self, text: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "{}", text.as_ref());
    }

    /// Progress, on stderr (suppressed by `--quiet`).
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
        }
    }

    /// `warning: ...` on stderr.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "warning: {text}");
        }
    }

    /// An error that is part of a result (one database of several failed).
    pub fn error_text(&self, error: &str, hint: Option<&str>) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {error}");
        if let Some(hint) = hint {
            let _ = writeln!(stderr, "hint: {hint}");
        }
    }

    /// A line of a result that explains a non-zero exit (a failed check, a drifted
    /// database): printed even with `--quiet`, which hides progress and chatter but
    /// never the reason a command failed. Suppressed by `--json` (the document holds it).
    pub fn finding(&self, text: impl AsRef<str>) {
        if !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", text.as_ref());
        }
    }

    /// Rows under a header, columns padded to their widest cell.
    pub fn table<const N: usize>(&self, header: &[&str; N], rows: &[[String; N]]) {
        for line in table_lines(header, rows) {
            self.line(line);
        }
    }

    /// [`Output::table`] of rows that are findings ([`Output::finding`]): with
    /// `--quiet`, only `findings` are shown (under the header), when there are any.
    pub fn table_with_findings<const N: usize>(
        &self,
        header: &[&str; N],
        rows: &[[String; N]],
        is_finding: impl Fn(&[String; N]) -> bool,
    ) {
        if !self.quiet {
            return self.table(header, rows);
        }
        let findings: Vec<[String; N]> = rows.iter().filter(|r| is_finding(r)).cloned().collect();
        if findings.is_empty() {
            return;
        }
        for line in table_lines(header, &findings) {
            self.finding(line);
        }
    }

    /// The one JSON document of a `--json` run, `"version"` first.
    pub fn json(&self, document: &impl Document) {
        let mut stdout = std::io::stdout().lock();
        match serde_json::to_string_pretty(&Versioned::new(document)) {
            Ok(text) => {
                let _ = writeln!(stdout, "{text}");
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr().lock(), "error: cannot write JSON: {e}");
            }
        }
    }

    /// `error: ...` and `hint: ...` on stderr; with `--json`, also as the
    /// JSON document on stdout.
    pub fn error(&self, error: &Error) {
        let hint = error.hint();
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {error}");
        if let Some(hint) = &hint {
            let _ = writeln!(stderr, "hint: {hint}");
        }
        if self.json {
            self.json(&ErrorDoc {
                error: error.to_string(),
                hint,
                exit_code: error.exit_code(),
            });
        }
    }

    /// Asks a yes/no question on the terminal; `None` when there is none.
    pub fn confirm(&self, question: &str) -> Option<bool> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let _ = write!(std::io::stderr().lock(), "{question} [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    }
}

/// The lines of a table: rows under a header, columns padded to their widest cell.
fn table_lines<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> Vec<String> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        line.trim_end().to_owned()
    };
    let mut lines = vec![render(header.to_vec())];
    lines.extend(
        rows.iter()
            .map(|row| render(row.iter().map(String::as_str).collect())),
    );
    lines
}
