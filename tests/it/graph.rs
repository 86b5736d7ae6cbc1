//! `pgfleet graph`: the fleet as text, DOT and Mermaid.

use std::path::Path;

use crate::support::Pgfleet;

fn example() -> Pgfleet {
    Pgfleet::new().current_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"))
}

#[test]
fn text_picture_of_each_env() {
    let out = example().args(["graph", "-e", "single"]).success();
    let text = out.stdout.replace(|c: char| c.is_ascii_digit(), "#");
    let expected = "workspace `shop`, env `single`\n\
server local (embedded, PORT)\n\
└── shop\n    \
    ├── auth [auth]\n    \
    ├── billing [billing] -> auth\n    \
    ├── catalog [catalog] -> auth\n    \
    └── notifications [notifications] -> auth\n\
references (checked by `pgfleet verify`):\n  \
  billing.invoices.user_id ~> auth.users.id\n";
    // The port depends on whether the example was ever started here.
    let text = text
        .replace("embedded, not started yet", "PORT")
        .replace("embedded, ###.#.#.#:#####", "PORT");
    let expected = expected.replace("(embedded, PORT)", "(PORT)");
    assert_eq!(text, expected);

    let out = example().args(["graph", "-e", "prod"]).success();
    out.stdout_contains("workspace `shop`, env `prod` (protected)\n")
        .stdout_contains("server managed (postgresql://shop@db.internal.example:5432/postgres?sslmode=verify-full)\n")
        .stdout_contains("├── auth\n│   └── auth [public]\n");
}

#[test]
fn dot_and_mermaid() {
    let out = example().args(["graph", "--format", "dot"]).success();
    assert!(
        out.stdout.starts_with("digraph fleet {\n"),
        "{}",
        out.stdout
    );
    out.stdout_contains("subgraph \"cluster_local_shop_billing\" {")
        .stdout_contains("\"billing\" -> \"auth\";");
    let out = example().args(["graph", "--format", "mermaid"]).success();
    assert!(out.stdout.starts_with("flowchart LR\n"), "{}", out.stdout);
    out.stdout_contains("subgraph p_local_shop_auth[\"shop_auth\"]")
        .stdout_contains("d_catalog --> d_auth");
}

/// `graph` never connects, so a password variable with no value does not stop it.
#[test]
fn graph_draws_a_fleet_whose_password_variable_is_unset() {
    let ws = crate::support::Workspace::with_manifest(
        "[servers.prod]\nurl = \"postgresql://app:${PGFLEET_TEST_UNSET_PW}@db.example.com:5432/postgres\"\n\
         [databases.app]\n[envs.prod]\nserver = \"prod\"\ndatabase = \"{name}\"\n",
    );
    let out = ws.pgfleet().args(["graph"]).success();
    out.stdout_contains("server prod (postgresql://app:****@db.example.com:5432/postgres)\n")
        .stdout_contains("└── app [public]")
        .stderr_contains(
            "note: drawn without `PGFLEET_TEST_UNSET_PW` (no value set; `graph` never connects)",
        );
    // Commands that connect still refuse, naming the variable.
    ws.pgfleet()
        .args(["status"])
        .expect_code(2)
        .stderr_contains("variable `PGFLEET_TEST_UNSET_PW` has no value");
}
