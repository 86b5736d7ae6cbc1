//! Parsing the command line. A usage error (an unknown flag, a missing
//! argument) prints clap's message on stderr as usual and, with `--json`, the
//! error document on stdout too, as every other error does.

use std::ffi::OsString;

use clap::Parser;
use clap::error::ErrorKind;

use super::json::ErrorDoc;
use super::{Cli, Output};

/// The parsed command line, or the exit code of a usage error (or of
/// `--help`/`--version`, which clap has printed).
pub fn parse() -> Result<Cli, u8> {
    Cli::try_parse().map_err(|e| {
        let _ = e.print();
        if e.use_stderr() && wants_json(std::env::args_os()) {
            let out = Output {
                json: true,
                quiet: false,
                verbose: 0,
            };
            out.json(&document(&e));
        }
        u8::try_from(e.exit_code()).unwrap_or(2)
    })
}

/// Whether `--json` is among the arguments, before a `--` that starts another
/// command's (`exec DB -- CMD --json` is not pgfleet's flag).
fn wants_json(args: impl IntoIterator<Item = OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// clap's message as `{error, hint, exit_code}`: its first paragraph is the
/// error; its tips, else its usage line, the hint.
fn document(e: &clap::Error) -> ErrorDoc {
    let exit_code = u8::try_from(e.exit_code()).unwrap_or(2);
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return ErrorDoc {
            error: "a command is required".into(),
            hint: Some("`--help` lists the commands".into()),
            exit_code,
        };
    }
    let text = e.render().to_string();
    let mut paragraphs = text.split("\n\n").map(str::trim);
    let error = paragraphs
        .next()
        .unwrap_or_default()
        .trim_start_matches("error:")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let tips: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("tip:"))
        .map(str::trim)
        .collect();
    let hint = if tips.is_empty() {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("Usage:"))
            .map(|usage| format!("usage: {}", usage.trim()))
    } else {
        Some(tips.join("; "))
    };
    ErrorDoc {
        error,
        hint,
        exit_code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn json_is_wanted_before_a_double_dash_only() {
        assert!(wants_json(args(&[
            "pgfleet", "status", "--json", "--bogus"
        ])));
        assert!(wants_json(args(&["pgfleet", "--json", "exec"])));
        assert!(!wants_json(args(&[
            "pgfleet", "exec", "db", "--", "jq", "--json"
        ])));
        assert!(!wants_json(args(&["pgfleet", "status"])));
    }

    #[test]
    fn an_unknown_flag_names_it_and_suggests_the_near_one() {
        let e = Cli::try_parse_from(["pgfleet", "status", "--jsn"]).unwrap_err();
        let doc = document(&e);
        assert_eq!(doc.exit_code, 2);
        assert_eq!(doc.error, "unexpected argument '--jsn' found");
        assert!(doc.hint.unwrap().contains("'--json'"));
    }

    #[test]
    fn a_missing_argument_hints_the_usage() {
        let e = Cli::try_parse_from(["pgfleet", "rollback"]).unwrap_err();
        let doc = document(&e);
        assert_eq!(doc.exit_code, 2);
        assert!(doc.error.contains("<DATABASE>"), "{}", doc.error);
        assert!(doc.hint.unwrap().starts_with("usage: pgfleet rollback"));
    }
}
