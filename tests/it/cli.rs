//! The command line itself: help with examples, flags before or after the
//! subcommand, JSON errors, shell completions and the man page.

use std::path::Path;
use std::process::Command;

use crate::support::{Pgfleet, Workspace};

#[test]
fn every_command_has_help_with_examples() {
    let top = Pgfleet::new().args(["--help"]).success();
    top.stdout_contains("Examples:")
        .stdout_contains("Exit codes:");
    for command in [
        vec!["up"],
        vec!["server"],
        vec!["create"],
        vec!["drop"],
        vec!["seed"],
        vec!["clean"],
        vec!["reset"],
        vec!["env"],
        vec!["exec"],
        vec!["graph"],
        vec!["migrate"],
        vec!["status"],
        vec!["verify"],
        vec!["rollback"],
        vec!["new"],
        vec!["baseline"],
        vec!["repair"],
        vec!["backup"],
        vec!["restore"],
        vec!["schema"],
        vec!["schema", "dump"],
        vec!["drift"],
        vec!["completions"],
        vec!["man"],
    ] {
        let out = Pgfleet::new().args(&command).args(["--help"]).success();
        out.stdout_contains("Examples:")
            .stdout_contains("Usage: pgfleet");
    }
    for sub in ["start", "stop", "status", "logs"] {
        Pgfleet::new()
            .args(["server", sub, "--help"])
            .success()
            .stdout_contains("Usage: pgfleet server");
    }
}

#[test]
fn global_flags_go_before_or_after_the_subcommand() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n[databases.a]\n[envs.dev]\n[envs.other]\n",
    );
    let before = Pgfleet::new()
        .args(["-C"])
        .args([ws.path()])
        .args(["-e", "other", "graph"])
        .success();
    let after = Pgfleet::new()
        .args(["graph", "-e", "other", "-C"])
        .args([ws.path()])
        .success();
    assert_eq!(before.stdout, after.stdout);
    before.stdout_contains("env `other`");
}

#[test]
fn usage_errors_exit_2_and_json_errors_are_one_document() {
    Pgfleet::new().args(["no-such-command"]).expect_code(2);
    let ws = Workspace::new();
    let out = ws.pgfleet().args(["graph", "--json"]).expect_code(2);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 2);
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .starts_with("no `pgfleet.toml` found")
    );
}

#[test]
fn clap_usage_errors_with_json_are_the_error_document() {
    let out = Pgfleet::new()
        .args(["status", "--jsn", "--json"])
        .expect_code(2);
    out.stderr_contains("error: unexpected argument '--jsn' found");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "version": 1,
            "error": "unexpected argument '--jsn' found",
            "hint": "a similar argument exists: '--json'",
            "exit_code": 2,
        })
    );
    let out = Pgfleet::new().args(["--json", "rollback"]).expect_code(2);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc["error"],
        "the following required arguments were not provided: <DATABASE>"
    );
    // Without --json, stdout stays empty; `--json` after `--` is another command's.
    let out = Pgfleet::new()
        .args(["exec", "--bogus", "--", "jq", "--json"])
        .expect_code(2);
    assert_eq!(out.stdout, "");
}

const TWO_DATABASES: &str = "\
[servers.s]
embedded = true
[databases.billing]
[databases.auth]
[services.api]
env_file = \"api/.env\"
[services.api.vars]
DATABASE_URL = \"auth\"
[envs.single]
[envs.dev]
";

/// What bash's completion offers for `words` (the last one is the word being
/// completed), run in `dir` with the built binary first on PATH, the way a
/// user's shell runs the sourced script.
fn complete_in_bash(dir: &Path, words: &[&str]) -> Vec<String> {
    let bin = Path::new(env!("CARGO_BIN_EXE_pgfleet"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 {
        quoted[cword - 1].clone()
    } else {
        String::new()
    };
    let script = format!(
        r#"eval "$(pgfleet completions bash)" || exit 9
complete_fn=$(complete -p pgfleet | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$complete_fn" pgfleet {cur} {prev}
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" "),
        cur = quoted[cword],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("PGFLEET_ENV")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bash failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completions_are_a_valid_script_calling_complete() {
    let out = Pgfleet::new().args(["completions", "bash"]).success();
    out.stdout_contains("pgfleet __complete")
        .stdout_contains("complete -F _pgfleet_dynamic");
    let ws = Workspace::new();
    ws.write("pgfleet.bash", &out.stdout);
    let check = Command::new("bash")
        .args(["-n", "pgfleet.bash"])
        .current_dir(ws.path())
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["elvish", "powershell"] {
        Pgfleet::new()
            .args(["completions", shell])
            .success()
            .stdout_contains("pgfleet");
    }
}

/// zsh and fish complete databases and envs through `pgfleet __complete`:
/// the helpers are in the script and clap's `_default` is swapped for them.
#[test]
fn zsh_and_fish_completions_offer_the_manifest_names() {
    let zsh = Pgfleet::new().args(["completions", "zsh"]).success();
    zsh.stdout_contains("#compdef pgfleet")
        .stdout_contains("_pgfleet_databases() { _pgfleet_names databases services }")
        .stdout_contains(":_pgfleet_databases'")
        .stdout_contains(":ENV:_pgfleet_envs'")
        .stdout_contains("__complete");
    assert!(
        !zsh.stdout.contains(":ENV:_default'"),
        "an env option still completes files:\n{}",
        zsh.stdout
    );

    Pgfleet::new()
        .args(["completions", "fish"])
        .success()
        .stdout_contains("function __fish_pgfleet_names")
        .stdout_contains(
            "complete -c pgfleet -s e -l env -x -a \"(__fish_pgfleet_names envs)\"",
        )
        .stdout_contains(
            "complete -c pgfleet -n \"__fish_pgfleet_using_subcommand migrate\" -f -a \"(__fish_pgfleet_names databases)\"",
        );
}

#[test]
fn bash_completes_database_names_from_the_manifest() {
    let ws = Workspace::with_manifest(TWO_DATABASES);
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "migrate", "bil"]),
        ["billing"]
    );
    let mut all = complete_in_bash(ws.path(), &["pgfleet", "status", "billing", ""]);
    all.sort();
    assert_eq!(all, ["auth", "billing"]);
    // `schema dump DB` is nested; `restore DIR [DB]..` has a folder first;
    // `exec DB -- CMD` takes one database.
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "schema", "dump", "a"]),
        ["auth"]
    );
    assert!(complete_in_bash(ws.path(), &["pgfleet", "exec", "auth", "b"]).is_empty());
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "restore", "backups/x", "au"]),
        ["auth"]
    );
    // `env` takes databases or services.
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "env", "--write", "a"]),
        ["auth", "api"]
    );
    // Options still come from clap.
    assert!(
        complete_in_bash(ws.path(), &["pgfleet", "migrate", "--dry"])
            .contains(&"--dry-run".to_owned())
    );
}

#[test]
fn bash_completes_env_names_and_follows_dash_c() {
    let ws = Workspace::with_manifest(TWO_DATABASES);
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "-e", "si"]),
        ["single"]
    );
    assert_eq!(
        complete_in_bash(ws.path(), &["pgfleet", "migrate", "--env", "d"]),
        ["dev"]
    );
    let elsewhere = Workspace::new();
    let dir = ws.path().to_str().unwrap();
    assert_eq!(
        complete_in_bash(elsewhere.path(), &["pgfleet", "-C", dir, "up", "bi"]),
        ["billing"]
    );
    // No manifest: nothing to offer, and no error on the command line.
    assert!(complete_in_bash(elsewhere.path(), &["pgfleet", "up", "bi"]).is_empty());
}

#[test]
fn hidden_complete_prints_names_or_nothing() {
    let ws = Workspace::with_manifest(TWO_DATABASES);
    let out = ws.pgfleet().args(["__complete", "envs"]).success();
    assert_eq!(out.stdout, "dev\nsingle\n");
    let out = Workspace::new()
        .pgfleet()
        .args(["__complete", "databases"])
        .success();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let help = Pgfleet::new().args(["--help"]).success();
    assert!(!help.stdout.contains("__complete"), "{}", help.stdout);
}

/// The page's first request after clap_mangen's `.ie`/`.el` quote-string
/// preamble is `.TH`.
fn is_man_page(roff: &str) -> bool {
    roff.lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .is_some_and(|l| l.starts_with(".TH "))
}

#[test]
fn man_page_is_roff_covering_the_commands() {
    let out = Pgfleet::new().args(["man"]).success();
    assert!(is_man_page(&out.stdout), "{}", out.stdout);
    out.stdout_contains("migrate");
    let dir = Workspace::new();
    Pgfleet::new()
        .args(["man", "--out"])
        .args([dir.join("man1")])
        .success();
    for page in ["pgfleet.1", "pgfleet-migrate.1", "pgfleet-schema-dump.1"] {
        let text = std::fs::read_to_string(dir.join("man1").join(page)).unwrap();
        assert!(is_man_page(&text), "{page}");
    }
    assert!(!dir.join("man1/pgfleet-__complete.1").exists());
}
