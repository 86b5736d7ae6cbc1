//! The command line itself: help with examples, flags before or after the
//! subcommand, JSON errors.

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
