//! The text of the manifest `init` writes: every section explained in a
//! comment, every guess marked `# guessed:`, no password anywhere.

use std::fmt::Write as _;

use super::{DEV_ENV, DatabaseFound, EMBEDDED_SERVER, FolderReport, Plan, scan};

/// The comment after a migrations folder: its format, how many migrations, any note.
fn folder_comment(f: &FolderReport) -> String {
    let note = f
        .note
        .as_ref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    format!("{}, {} migration(s){note}", f.format, f.migrations)
}

/// Whether the manifest sets the folder's format rather than leaving it to detection:
/// pop's dialect-less files are named like golang-migrate's, so a folder that holds
/// only those would be read as golang-migrate.
fn sets_format(f: &FolderReport) -> bool {
    f.format == "pop"
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(plan: &Plan) -> String {
    let mut t = String::new();
    workspace(&mut t, plan);
    servers(&mut t, plan);
    if plan.databases.is_empty() {
        t.push_str(
            "# No migration folder was recognised. Declare each logical database like this:\n\
             # [databases.app]\n\
             # migrations = \"db/migrations\"\n\n",
        );
    }
    for db in &plan.databases {
        database(&mut t, db);
    }
    envs(&mut t, plan);
    services(&mut t, plan);
    while t.ends_with("\n\n") {
        t.pop();
    }
    t
}

/// The opening comment and `[workspace]`.
fn workspace(t: &mut String, plan: &Plan) {
    t.push_str(
        "# pgfleet.toml: the PostgreSQL side of this repository, written by `pgfleet init`.\n\
         # Lines marked `# guessed:` are guesses from the files found: check them.\n\
         # Next: `pgfleet verify --offline` (checks this file), then `pgfleet up` (starts an\n\
         # embedded PostgreSQL under .pgfleet/, creates and migrates every database).\n\
         # Every key is described in docs/manifest.md of the pgfleet repository.\n\n",
    );
    t.push_str("[workspace]\n");
    let _ = writeln!(t, "default_env = {}", q(DEV_ENV));
    if !plan.env_files.is_empty() {
        let files: Vec<String> = plan.env_files.iter().map(|f| q(f)).collect();
        let _ = writeln!(
            t,
            "# guessed: ${{VAR}}s below are read from these dotenv files too (the real environment wins)\nenv_files = [{}]",
            files.join(", ")
        );
    }
    t.push('\n');
}

/// The embedded server, then each server the repository's URLs name.
fn servers(t: &mut String, plan: &Plan) {
    let _ = writeln!(
        t,
        "# The PostgreSQL pgfleet runs itself, under .pgfleet/{EMBEDDED_SERVER}/ (initdb on first use).\n[servers.{EMBEDDED_SERVER}]\nembedded = true\n"
    );
    for server in &plan.servers {
        for from in &server.from {
            let _ = writeln!(t, "# guessed: from {from}");
        }
        if let Some(var) = &server.password_var {
            let _ = writeln!(
                t,
                "# The password is not copied here: pgfleet reads it from `{var}` (environment or env_files)."
            );
        }
        if !server.dropped.is_empty() {
            let dropped: Vec<String> = server.dropped.iter().map(|d| format!("`{d}`")).collect();
            let _ = writeln!(
                t,
                "# Left out of the URL (not connection settings pgfleet reads): {}",
                dropped.join(", ")
            );
        }
        let _ = writeln!(t, "[servers.{}]\nurl = {}\n", server.name, q(&server.url));
    }
}

/// One `[databases.NAME]`, its guesses above it.
fn database(t: &mut String, db: &DatabaseFound) {
    for guess in &db.guesses {
        let _ = writeln!(t, "# guessed: {guess}");
    }
    let _ = writeln!(t, "[databases.{}]", db.name);
    match db.migrations.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(
                t,
                "migrations = {}   # {}",
                q(&one.path.display().to_string()),
                folder_comment(one)
            );
            if sets_format(one) {
                let _ = writeln!(
                    t,
                    "format = {}   # set, not detected: its files are named like golang-migrate's",
                    q(&one.format)
                );
            }
        }
        many => {
            t.push_str("migrations = [\n");
            for f in many {
                let path = q(&f.path.display().to_string());
                let entry = if sets_format(f) {
                    format!("{{ path = {path}, format = {} }}", q(&f.format))
                } else {
                    path
                };
                let _ = writeln!(t, "  {entry},   # {}", folder_comment(f));
            }
            t.push_str("]\n");
        }
    }
    if !db.schemas.is_empty() {
        let list: Vec<String> = db.schemas.iter().map(|s| q(s)).collect();
        let _ = writeln!(t, "schemas = [{}]", list.join(", "));
    }
    if !db.extensions.is_empty() {
        let list: Vec<String> = db.extensions.iter().map(|e| q(e)).collect();
        let _ = writeln!(t, "extensions = [{}]", list.join(", "));
    }
    if let Some(runner) = &db.runner {
        let _ = writeln!(t, "runner = {}", q(runner));
    }
    if let Some(cwd) = &db.cwd {
        let _ = writeln!(t, "cwd = {}", q(&scan::shown(cwd)));
    }
    let peers: Vec<&str> = db
        .migrations
        .iter()
        .map(|f| f.format.as_str())
        .filter(|f| *f != "native")
        .collect();
    if let Some(tool) = peers.first() {
        let _ = writeln!(
            t,
            "# `sync`: pgfleet also writes {tool}'s own history table as {tool} would, so the team's\n\
             # {tool} commands keep seeing every migration as applied; \"read\" only reads it, \"off\" ignores it.\n\
             peer_history = \"sync\""
        );
    }
    t.push_str("# depends_on = []   # the databases this one must be migrated after\n\n");
}

/// The local env, then one env per set of URLs, each with its placements.
fn envs(t: &mut String, plan: &Plan) {
    let _ = writeln!(
        t,
        "# Local work: every database in its own physical database on the embedded server.\n[envs.{DEV_ENV}]\nserver = {}\ndatabase = \"{{name}}\"\n",
        q(EMBEDDED_SERVER)
    );
    for env in &plan.envs {
        let _ = writeln!(
            t,
            "# guessed: the places the repository's own files give (see the servers above). An env\n\
             # whose servers are not on this machine is protected: nothing destructive runs there.\n\
             [envs.{}]\nserver = {}\ndatabase = \"{{name}}\"   # guessed: for databases no URL names\n",
            env.name,
            q(&env.server)
        );
        if ["production", "prod", "staging"].contains(&env.name.as_str()) {
            t.truncate(t.len() - 1);
            let _ = writeln!(
                t,
                "protected = true   # guessed: named like a deployed env, so destructive commands are refused\n"
            );
        }
        for (db, (server, physical, why)) in &env.placements {
            let _ = writeln!(t, "# guessed: {why}\n[envs.{}.databases.{db}]", env.name);
            if *server != env.server {
                let _ = writeln!(t, "server = {}", q(server));
            }
            if let Some(physical) = physical {
                let _ = writeln!(t, "database = {}", q(physical));
            }
            t.push('\n');
        }
    }
}

/// One `[services.NAME]` per `.env` file whose variables `env --write` keeps up to date.
fn services(t: &mut String, plan: &Plan) {
    for service in &plan.services {
        let _ = writeln!(
            t,
            "# guessed: `pgfleet env --write` sets these variables in `{}` to the URLs of the env\n\
             # in use (in `dev`, the embedded server); it changes only the variables listed here.\n\
             [services.{}]\nenv_file = {}",
            service.env_file.display(),
            service.name,
            q(&service.env_file.display().to_string())
        );
        if let Some(style) = service.url_style {
            let _ = writeln!(t, "url_style = {}", q(style));
        }
        let _ = writeln!(t, "[services.{}.vars]", service.name);
        for (i, (var, db)) in service.vars.iter().enumerate() {
            if let Some(why) = service.reasons.get(i) {
                let _ = writeln!(t, "# guessed: {why}");
            }
            let _ = writeln!(t, "{var} = {}", q(db));
        }
        t.push('\n');
    }
}
