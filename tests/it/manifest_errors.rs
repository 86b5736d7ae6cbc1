//! Bad manifests and bad names: exit code 2 and a message that says where
//! and what to do.

use crate::support::{Pgfleet, Workspace};

#[test]
fn no_manifest_says_how_to_make_one() {
    let ws = Workspace::new();
    let out = ws.pgfleet().args(["create"]).expect_code(2);
    out.stderr_contains("error: no `pgfleet.toml` found in `")
        .stderr_contains("or any folder above it")
        .stderr_contains(
            "hint: run `pgfleet init` to write one, or pass `-C DIR` to point at a workspace",
        );
}

#[test]
fn manifest_is_found_from_a_subfolder_and_with_dash_c() {
    let ws = Workspace::with_manifest("[servers.s]\nembedded = true\n[databases.app]\n");
    ws.mkdir("services/app/src");
    let out = Pgfleet::new()
        .current_dir(&ws.join("services/app/src"))
        .args(["graph"])
        .success();
    out.stdout_contains("└── app [public]");
    let out = Pgfleet::new()
        .args(["graph", "-C"])
        .args([ws.path()])
        .success();
    out.stdout_contains("└── app [public]");
}

#[test]
fn toml_syntax_error_names_file_line_and_column() {
    let ws = Workspace::with_manifest("[databases.app]\nmigrations = \"db\n");
    let out = ws.pgfleet().args(["graph"]).expect_code(2);
    out.stderr_contains("error: invalid TOML in ")
        .stderr_contains("pgfleet.toml:2:");
}

#[test]
fn unknown_key_gets_a_suggestion() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n\n[databases.app]\ndepend_on = []\n",
    );
    let out = ws.pgfleet().args(["graph"]).expect_code(2);
    out.stderr_contains("error: unknown key `depend_on` in ")
        .stderr_contains("pgfleet.toml:5:1\n")
        .stderr_contains("hint: did you mean `depends_on`?");
}

#[test]
fn missing_variable_is_named_only_when_the_env_needs_it() {
    let manifest = "[servers.local]\nembedded = true\n[servers.prod]\nurl = \"${PROD_URL}\"\n\
                    [databases.app]\n[envs.dev]\nserver = \"local\"\n[envs.prod]\nserver = \"prod\"\n";
    let ws = Workspace::with_manifest(manifest);
    ws.pgfleet().args(["graph"]).success();
    let out = ws.pgfleet().args(["-e", "prod", "graph"]).expect_code(2);
    out.stderr_contains("error: variable `PROD_URL` has no value, used by `servers.prod.url` in ")
        .stderr_contains("pgfleet.toml:4:8")
        .stderr_contains("hint: set `PROD_URL` in the environment or an `env_files` file, or write `${PROD_URL:-default}`");
}

#[test]
fn env_files_fill_variables_and_the_real_environment_wins() {
    let ws = Workspace::with_manifest(
        "[workspace]\nenv_files = [\".env\", \"missing.env\"]\n[servers.pg]\nurl = \"postgresql://u@${DB_HOST}:${DB_PORT:-5432}/postgres\"\n[databases.app]\n",
    );
    ws.write(".env", "DB_HOST=from-dotenv.example\n");
    let out = ws.pgfleet().args(["env"]).success();
    out.stdout_contains("APP_DATABASE_URL=postgresql://u@from-dotenv.example:5432/app");
    let out = ws
        .pgfleet()
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", "6543")
        .args(["env"])
        .success();
    out.stdout_contains("APP_DATABASE_URL=postgresql://u@127.0.0.1:6543/app");
}

#[test]
fn dependency_cycle_is_named_with_its_path() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n[databases.a]\ndepends_on = [\"c\"]\n[databases.b]\ndepends_on = [\"a\"]\n[databases.c]\ndepends_on = [\"b\"]\n",
    );
    let out = ws.pgfleet().args(["up"]).expect_code(2);
    out.stderr_contains("error: dependency cycle: a -> c -> b -> a\n");
}

#[test]
fn unknown_servers_and_databases_are_named() {
    let cases = [
        (
            "[servers.local]\nembedded = true\n[databases.app]\n[envs.dev]\nserver = \"lcoal\"\n",
            "error: unknown server `lcoal` in `envs.dev.server` at ",
            "hint: did you mean `local`?",
        ),
        (
            "[servers.local]\nembedded = true\n[databases.app]\ndepends_on = [\"shraed\"]\n[databases.shared]\n",
            "error: unknown database `shraed` in `databases.app.depends_on` at ",
            "hint: did you mean `shared`?",
        ),
        (
            "[servers.local]\nembedded = true\n[databases.app]\n[envs.dev.databases.ap]\nschema = \"x\"\n",
            "error: unknown database `ap` in `envs.dev.databases` at ",
            "hint: did you mean `app`?",
        ),
        (
            "[servers.local]\nembedded = true\n[databases.app]\n[[databases.app.references]]\nfrom = \"t.user_id\"\nto = \"auth.users.id\"\n",
            "error: unknown database `auth` in `databases.app.references.to` at ",
            "hint: declared databases: `app`",
        ),
    ];
    for (manifest, error, hint) in cases {
        let ws = Workspace::with_manifest(manifest);
        let out = ws.pgfleet().args(["graph"]).expect_code(2);
        out.stderr_contains(error).stderr_contains(hint);
    }
}

#[test]
fn unknown_database_or_env_on_the_command_line() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n[databases.billing]\n[envs.dev]\n[envs.single]\n",
    );
    let out = ws.pgfleet().args(["create", "biling"]).expect_code(2);
    out.stderr_contains(
        "error: unknown database `biling` on the command line\nhint: did you mean `billing`?",
    );
    let out = ws
        .pgfleet()
        .args(["graph", "--env", "singel"])
        .expect_code(2);
    out.stderr_contains("error: unknown env `singel`\nhint: did you mean `single`?");
    let out = ws
        .pgfleet()
        .env("PGFLEET_ENV", "nope")
        .args(["graph"])
        .expect_code(2);
    out.stderr_contains("error: unknown env `nope`");
}

#[test]
fn missing_migrations_folder_names_the_key() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n[databases.app]\nmigrations = \"db/migrations\"\n",
    );
    let out = ws.pgfleet().args(["graph"]).expect_code(2);
    out.stderr_contains("error: the `databases.app.migrations` folder `")
        .stderr_contains("db/migrations` does not exist (")
        .stderr_contains("pgfleet.toml:4:14)");
    ws.mkdir("db/migrations");
    ws.pgfleet().args(["graph"]).success();
}

#[test]
fn overlapping_schemas_in_one_database_are_refused() {
    let ws = Workspace::with_manifest(
        "[servers.s]\nembedded = true\n[databases.a]\nschemas = [\"core\"]\n[databases.b]\nschemas = [\"core\", \"b\"]\n[envs.one]\ndatabase = \"fleet\"\n",
    );
    let out = ws.pgfleet().args(["graph"]).expect_code(2);
    out.stderr_contains(
        "error: logical databases `a` and `b` both own schema `core` of database `fleet` on server `s` in env `one`",
    );
}

#[test]
fn bad_values_are_explained() {
    let cases = [
        (
            "[servers.s]\nembedded = true\n[databases.a]\nformat = \"primsa\"\n",
            "unknown format `primsa`",
            "did you mean `prisma`?",
        ),
        (
            "[servers.s]\nport = 5\n",
            "a server needs `url = \"...\"` or `embedded = true`",
            "add one of the two",
        ),
        (
            "[servers.s]\nurl = \"mysql://x\"\n[databases.a]\n",
            "invalid value for `servers.s.url`",
            "postgresql://user@host:port/database",
        ),
        (
            "[servers.s]\nembedded = true\n[databases.a]\n[envs.dev]\ndatabase = \"{nmae}\"\n",
            "holds an unknown placeholder",
            "the placeholders are `{name}`",
        ),
    ];
    for (manifest, error, hint) in cases {
        let ws = Workspace::with_manifest(manifest);
        let out = ws.pgfleet().args(["graph"]).expect_code(2);
        out.stderr_contains(error).stderr_contains(hint);
    }
}
