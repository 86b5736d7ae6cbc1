//! `env --write`: the services' `.env` files, created, updated in place, left
//! alone when right, and never a password on the terminal.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

use crate::support::{TestDbs, Workspace, cluster, query_one};

const SERVICES: &str = r#"
[databases.auth]
[databases.billing]
schemas = ["billing", "public"]

[services.api]
env_file = "services/api/.env"
[services.api.vars]
DATABASE_URL = "billing"
AUTH_DATABASE_URL = "auth"

[services.web]
env_file = "services/web/.env"
url_style = "prisma"
[services.web.vars]
DATABASE_URL = "billing"

[services.worker]
env_file = "services/worker/.env"
url_style = "asyncpg"
[services.worker.vars]
DATABASE_URL = "auth"
"#;

fn fleet(test: &str) -> (TestDbs, Workspace) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!("{}{SERVICES}", dbs.manifest_head()));
    for service in ["api", "web", "worker"] {
        ws.mkdir(&format!("services/{service}"));
    }
    (dbs, ws)
}

/// The file's variables as a dotenv reader sees them.
fn read_env(ws: &Workspace, rel: &str) -> Vec<(String, String)> {
    dotenvy::from_path_iter(ws.join(rel))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn mode(ws: &Workspace, rel: &str) -> u32 {
    std::fs::metadata(ws.join(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn env_write_creates_files_0600_with_each_url_style() {
    let (dbs, ws) = fleet("env_write_styles");
    ws.pgfleet().args(["-e", "test", "up"]).success();
    let out = ws
        .pgfleet()
        .args(["-e", "test", "env", "--write"])
        .success();
    assert_eq!(
        out.stdout,
        "services/api/.env (api): created\n  DATABASE_URL       added\n  AUTH_DATABASE_URL  added\n\
         services/web/.env (web): created\n  DATABASE_URL  added\n\
         services/worker/.env (worker): created\n  DATABASE_URL  added\n"
    );
    let port = cluster().port;
    let plain = |db: &str| format!("postgresql://postgres@127.0.0.1:{port}/{}", dbs.name(db));

    let api = read_env(&ws, "services/api/.env");
    assert_eq!(
        api,
        [
            ("DATABASE_URL".to_owned(), plain("billing")),
            ("AUTH_DATABASE_URL".to_owned(), plain("auth")),
        ]
    );
    assert_eq!(mode(&ws, "services/api/.env"), 0o600);
    // The plain URLs reach the databases they name.
    for (var, db) in [("DATABASE_URL", "billing"), ("AUTH_DATABASE_URL", "auth")] {
        let url = &api.iter().find(|(k, _)| k == var).unwrap().1;
        assert_eq!(
            query_one(url, "SELECT current_database()").as_deref(),
            Some(dbs.name(db).as_str())
        );
    }

    let web = read_env(&ws, "services/web/.env");
    assert_eq!(web[0].1, format!("{}?schema=billing", plain("billing")));
    assert_eq!(mode(&ws, "services/web/.env"), 0o600);

    let worker = read_env(&ws, "services/worker/.env");
    assert_eq!(
        worker[0].1,
        format!(
            "postgresql+asyncpg://postgres@127.0.0.1:{port}/{}",
            dbs.name("auth")
        )
    );
    // pgfleet reads SQLAlchemy-style URLs too: this one reaches `auth`.
    assert_eq!(
        query_one(&worker[0].1, "SELECT current_database()").as_deref(),
        Some(dbs.name("auth").as_str())
    );
}

#[test]
fn env_write_twice_changes_nothing() {
    let (_dbs, ws) = fleet("env_write_twice");
    ws.pgfleet().args(["-e", "test", "up"]).success();
    ws.pgfleet()
        .args(["-e", "test", "env", "--write"])
        .success();
    let files = [
        "services/api/.env",
        "services/web/.env",
        "services/worker/.env",
    ];
    let before: Vec<_> = files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(ws.join(f)).unwrap();
            (
                std::fs::read(ws.join(f)).unwrap(),
                meta.modified().unwrap(),
                meta.ino(),
            )
        })
        .collect();
    let out = ws
        .pgfleet()
        .args(["-e", "test", "env", "--write", "--json"])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["env"], "test");
    for file in report["files"].as_array().unwrap() {
        assert_eq!(file["status"], "unchanged", "{file}");
        for (_, change) in file["keys"].as_object().unwrap() {
            assert_eq!(change, "unchanged", "{file}");
        }
    }
    for (f, (bytes, mtime, inode)) in files.iter().zip(before) {
        let meta = std::fs::metadata(ws.join(f)).unwrap();
        assert_eq!(std::fs::read(ws.join(f)).unwrap(), bytes, "{f}");
        assert_eq!(meta.modified().unwrap(), mtime, "{f} was rewritten");
        assert_eq!(meta.ino(), inode, "{f} was replaced");
    }
    let out = ws
        .pgfleet()
        .args(["-e", "test", "env", "--write", "web"])
        .success();
    assert_eq!(
        out.stdout,
        "services/web/.env (web): unchanged\n  DATABASE_URL  unchanged\n"
    );
}

#[test]
fn env_write_keeps_every_other_line_and_the_mode() {
    let (dbs, ws) = fleet("env_write_existing");
    ws.pgfleet().args(["-e", "test", "up"]).success();
    let old = "# api settings\nPORT=8080\n\n  # the database\nexport DATABASE_URL = postgres://old # stale\nSECRET='x y'\n";
    ws.write("services/api/.env", old);
    std::fs::set_permissions(
        ws.join("services/api/.env"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let out = ws
        .pgfleet()
        .args(["-e", "test", "env", "--write", "api"])
        .success();
    assert_eq!(
        out.stdout,
        "services/api/.env (api): updated\n  DATABASE_URL       updated\n  AUTH_DATABASE_URL  added\n  the file as it was is kept in services/api/.env.pgfleet-bak\n"
    );
    // The file as the developer wrote it, with its mode.
    assert_eq!(
        std::fs::read_to_string(ws.join("services/api/.env.pgfleet-bak")).unwrap(),
        old
    );
    assert_eq!(mode(&ws, "services/api/.env.pgfleet-bak"), 0o640);
    let port = cluster().port;
    assert_eq!(
        std::fs::read_to_string(ws.join("services/api/.env")).unwrap(),
        format!(
            "# api settings\nPORT=8080\n\n  # the database\nexport DATABASE_URL = postgresql://postgres@127.0.0.1:{port}/{b} # stale\nSECRET='x y'\nAUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:{port}/{a}\n",
            a = dbs.name("auth"),
            b = dbs.name("billing"),
        )
    );
    assert_eq!(mode(&ws, "services/api/.env"), 0o640);
    // Only the services named were written.
    assert!(!ws.join("services/web/.env").exists());
}

#[test]
fn env_write_hands_the_password_to_the_file_only() {
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://app:s3cr%3At@127.0.0.1:1/postgres\"\n[databases.app]\n\
         [services.api]\nenv_file = \".env\"\nurl_style = \"asyncpg\"\nvars = { DATABASE_URL = \"app\" }\n",
    );
    let out = ws.pgfleet().args(["env", "--write", "-v", "-v"]).success();
    out.never_shows("s3cr")
        .stdout_contains(".env (api): created");
    let out = ws.pgfleet().args(["env", "--write", "--json"]).success();
    out.never_shows("s3cr");
    assert_eq!(
        std::fs::read_to_string(ws.join(".env")).unwrap(),
        "DATABASE_URL=postgresql+asyncpg://app:s3cr%3At@127.0.0.1:1/app\n"
    );
}

#[test]
fn env_write_errors_name_the_line_or_the_folder() {
    let head = "[servers.s]\nembedded = true\n[databases.billing]\n[services.api]\nenv_file = \"api/.env\"\n";
    let ws = Workspace::with_manifest(&format!(
        "{head}[services.api.vars]\nDATABASE_URL = \"biling\"\n"
    ));
    ws.pgfleet()
        .args(["env", "--write"])
        .expect_code(2)
        .stderr_contains("error: unknown database `biling` in `services.api.vars.DATABASE_URL` at ")
        .stderr_contains("pgfleet.toml:7:16\n")
        .stderr_contains("hint: did you mean `billing`?");

    let ws = Workspace::with_manifest(&format!("{head}url_style = \"prismo\"\n"));
    ws.pgfleet()
        .args(["env"])
        .expect_code(2)
        .stderr_contains("error: invalid value for `services.api.url_style` in ")
        .stderr_contains(
            "pgfleet.toml:6:13: unknown URL style `prismo`; the styles are `plain`, `prisma`, `asyncpg`\n",
        )
        .stderr_contains("hint: did you mean `prisma`?");

    let ws = Workspace::with_manifest(&format!("{head}env_flie = \"x\"\n"));
    ws.pgfleet()
        .args(["env", "--write"])
        .expect_code(2)
        .stderr_contains("error: unknown key `env_flie` in ")
        .stderr_contains("hint: did you mean `env_file`?");

    // A missing folder is named, and nothing is written for any service.
    let ws = Workspace::with_manifest(
        "[servers.pg]\nurl = \"postgresql://u@127.0.0.1:1/postgres\"\n[databases.billing]\n\
         [services.api]\nenv_file = \"api/.env\"\nvars = { URL = \"billing\" }\n\
         [services.a0]\nenv_file = \"a0.env\"\nvars = { URL = \"billing\" }\n",
    );
    let out = ws.pgfleet().args(["env", "--write"]).expect_code(2);
    out.stderr_contains(&format!(
        "error: the folder `{}` for service `api`'s `env_file` does not exist\n",
        ws.join("api").display()
    ))
    .stderr_contains("hint: create the folder, or fix `services.api.env_file`");
    assert!(!ws.join("a0.env").exists());

    ws.pgfleet()
        .args(["env", "--write", "apj"])
        .expect_code(2)
        .stderr_contains(
            "error: unknown service `apj` on the command line\nhint: did you mean `api`?",
        );
    ws.pgfleet()
        .args(["env", "billing", "api"])
        .expect_code(2)
        .stderr_contains("takes one database");
}

#[test]
fn env_write_is_refused_in_a_protected_env_unless_allowed() {
    let (_dbs, ws) = fleet("env_write_protected");
    let manifest = std::fs::read_to_string(ws.join("pgfleet.toml")).unwrap();
    ws.write(
        "pgfleet.toml",
        &manifest.replace("[envs.test]\n", "[envs.test]\nprotected = true\n"),
    );
    ws.pgfleet()
        .args(["env", "--write"])
        .expect_code(4)
        .stderr_contains("`env --write` refused: env `test` is protected (`protected = true`)")
        .stderr_contains("--allow-protected");
    assert!(!ws.join("services/api/.env").exists());
    // Confirmed by --yes, it writes as anywhere else.
    ws.pgfleet()
        .args(["env", "--write", "--allow-protected", "--yes"])
        .success();
    assert!(
        read_env(&ws, "services/api/.env")
            .iter()
            .any(|(k, _)| k == "DATABASE_URL")
    );
}

/// An `asyncpg`-style URL works in SQLAlchemy's asyncpg dialect (the versions `.ci/run`
/// pins): the server URL's libpq-only parameters are left out, `ssl=` stays, and a schema
/// placement's schema comes through `connect_args`, as the placements page says.
#[test]
fn asyncpg_urls_connect_through_the_real_sqlalchemy() {
    let dbs = TestDbs::new("env_asyncpg");
    let ws = Workspace::with_manifest(&format!(
        "[servers.pg]\nurl = \"{}?sslmode=disable&application_name=svc&connect_timeout=5\"\n\
         [databases.billing]\n[envs.single]\nserver = \"pg\"\ndatabase = \"{}_fleet\"\nschema = \"{{name}}\"\n\
         [services.worker]\nenv_file = \"worker/.env\"\nurl_style = \"asyncpg\"\n[services.worker.vars]\nDATABASE_URL = \"billing\"\n",
        cluster().url,
        dbs.prefix
    ));
    ws.mkdir("worker");
    ws.pgfleet().args(["-e", "single", "up"]).success();
    ws.pgfleet()
        .args([
            "-e",
            "single",
            "exec",
            "billing",
            "--",
            "psql",
            "-Atc",
            "CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (7)",
        ])
        .success();
    ws.pgfleet()
        .args(["-e", "single", "env", "--write"])
        .success();
    let vars = read_env(&ws, "worker/.env");
    let url = &vars[0].1;
    let snippet = "\
import asyncio, sys
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
async def main():
    engine = create_async_engine(sys.argv[1], connect_args={'server_settings': {'search_path': 'billing,public'}})
    async with engine.connect() as c:
        print((await c.execute(text('SELECT id FROM invoices'))).scalar())
    await engine.dispose()
asyncio.run(main())
";
    let Some(printed) = crate::support::tools::python_with(
        "asyncpg_urls_connect_through_the_real_sqlalchemy",
        &["sqlalchemy", "asyncpg"],
        snippet,
        url,
    ) else {
        return;
    };
    assert_eq!(printed, "7");
    assert_eq!(
        url,
        &format!(
            "postgresql+asyncpg://postgres@127.0.0.1:{}/{}_fleet?ssl=disable",
            cluster().port,
            dbs.prefix
        )
    );
}
