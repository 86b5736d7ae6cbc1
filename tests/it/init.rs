//! `pgfleet init` on fixture repositories shaped like real monorepos
//! (tests/fixtures/init/): the manifest it writes names what matters, holds
//! no password, passes `verify --offline`, and `pgfleet up` works on it
//! right away against a real embedded server (stopped by `Workspace`'s drop,
//! even when an assertion fails).

use std::os::unix::fs::PermissionsExt;

use crate::support::{TestDbs, Workspace, fixture, query, query_one};

/// The port of the workspace's embedded server, from `server status --json`.
fn embedded_url(ws: &Workspace, database: &str) -> String {
    let status = ws.pgfleet().args(["server", "status", "--json"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let port = status["servers"][0]["port"]
        .as_u64()
        .expect("a running server");
    format!("postgresql://postgres@127.0.0.1:{port}/{database}")
}

fn manifest(ws: &Workspace) -> String {
    std::fs::read_to_string(ws.join("pgfleet.toml")).unwrap()
}

#[test]
fn prisma_app_plus_raw_sql_then_up() {
    let ws = Workspace::new();
    ws.fixture("init/prisma-plus-sql", ".");
    // Written here, not kept in the fixture: the project ignores `.env`, and
    // these folders must exist only to be skipped.
    ws.write(
        ".env",
        "DATABASE_URL=\"postgresql://shop:env-secret-1@localhost:5432/shop_dev?schema=public\"\n",
    )
    .write(
        "apps/web/.env",
        "DATABASE_URL=postgresql://web:web-secret-2@localhost:5432/web?schema=public&connection_limit=5\n",
    )
    .write("node_modules/some-lib/migrations/0001_x.sql", "CREATE TABLE x ();\n")
    .write("build/migrations/0001_x.sql", "CREATE TABLE x ();\n");

    let out = ws.pgfleet().args(["init"]).success();
    out.stdout_contains("wrote pgfleet.toml\n")
        .stdout_contains("  analytics: packages/analytics/sql (native, 2)\n")
        .stdout_contains(
            "  web: apps/web/prisma/migrations (prisma, 2), apps/web/db/migrations (native, 1)\n",
        )
        .stdout_contains("could not place:\n  `DATABASE_URL` in .env:1: no database found for it")
        .stdout_contains(
            "skipped:\n  apps/legacy/prisma/migrations: Prisma migrations for provider `mysql` (migration_lock.toml), not PostgreSQL\n",
        );
    for secret in [
        "env-secret-1",
        "web-secret-2",
        "compose-secret-3",
        "compose-secret-4",
    ] {
        out.never_shows(secret);
    }
    let text = manifest(&ws);
    for secret in [
        "env-secret-1",
        "web-secret-2",
        "compose-secret-3",
        "compose-secret-4",
    ] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
    for want in [
        "[databases.web]\nmigrations = [\n  \"apps/web/prisma/migrations\",   # prisma, 2 migration(s); migration_lock.toml: provider = \"postgresql\"\n  \"apps/web/db/migrations\",   # native, 1 migration(s)\n]\n",
        "# `sync`: pgfleet also writes prisma's own history table as prisma would, so the team's\n# prisma commands keep seeing every migration as applied; \"read\" only reads it, \"off\" ignores it.\npeer_history = \"sync\"\n",
        "# guessed: the migrations use `citext` but never create it: `create` makes it first\n[databases.analytics]\nmigrations = \"packages/analytics/sql\"   # native, 2 migration(s)\nextensions = [\"citext\"]\n",
        "# guessed: named after the service folder `apps/web`\n",
        "[envs.dev]\nserver = \"local\"\ndatabase = \"{name}\"\n",
        // compose's own `${WEB_DB_PASSWORD}` is kept; literal passwords become variables.
        "url = \"postgresql://web:${WEB_DB_PASSWORD}@db:5432/postgres\"\n",
        "url = \"postgresql://analytics:${PGFLEET_COMPOSE_ANALYTICS_PASSWORD}@db:5432/postgres\"\n",
        "url = \"postgresql://web:${PGFLEET_DOTENV_WEB_PASSWORD}@localhost:5432/postgres\"\n",
        "[envs.dotenv.databases.web]\ndatabase = \"web\"\n",
        "[envs.compose.databases.analytics]\n",
        "# Left out of the URL (not connection settings pgfleet reads): `connection_limit`, `schema`\n",
        "[services.web]\nenv_file = \"apps/web/.env\"\nurl_style = \"prisma\"\n[services.web.vars]\n# guessed: `DATABASE_URL` in apps/web/.env:1 points at `web` (it belongs to `apps/web`)\nDATABASE_URL = \"web\"\n",
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}");
    }
    for absent in ["node_modules", "build/", "legacy"] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }

    let check = ws.pgfleet().args(["verify", "--offline"]).success();
    check
        .stdout_contains("web        migrations    ok       2 prisma + 1 native")
        .stdout_contains("env dev       ok       2 placement(s) on local")
        // Every variable an env lacks, not only the first.
        .stdout_contains(
            "env compose   warning  cannot be used from here yet: variable `PGFLEET_COMPOSE_ANALYTICS_PASSWORD` has no value",
        )
        .stdout_contains("; it also needs `WEB_DB_PASSWORD`");

    ws.pgfleet().args(["up"]).success();
    let web = embedded_url(&ws, "web");
    // Prisma's folder first, then the raw SQL view built on its tables.
    assert_eq!(
        query_one(&web, "SELECT count(*) FROM order_totals").as_deref(),
        Some("0")
    );
    assert_eq!(
        query_one(
            &embedded_url(&ws, "analytics"),
            "SELECT count(*) FROM events"
        )
        .as_deref(),
        Some("0")
    );
    // The service's own .env now points at the embedded server, Prisma-style.
    ws.pgfleet().args(["env", "--write"]).success();
    let env = std::fs::read_to_string(ws.join("apps/web/.env")).unwrap();
    assert!(
        env.starts_with("DATABASE_URL='postgresql://postgres@127.0.0.1:")
            && env.ends_with("/web?sslmode=disable&schema=public'\n"),
        "{env}"
    );
    ws.pgfleet().args(["server", "stop"]).success();
}

#[test]
fn nine_alembic_services_become_runners_then_up() {
    let ws = Workspace::new();
    ws.fixture("init/nine-alembic", ".");
    // A stand-in for alembic (the real one is not needed): it proves pgfleet
    // ran it in the service folder with DATABASE_URL set, by making a table
    // named after that folder.
    let bin = ws.join("fake-bin");
    ws.write(
        "fake-bin/alembic",
        "#!/bin/sh\nset -e\n[ \"$1 $2\" = \"upgrade head\" ] || { echo \"fake alembic: $*\" >&2; exit 2; }\n\
         svc=$(basename \"$PWD\")\n\
         psql \"$DATABASE_URL\" -X -q -v ON_ERROR_STOP=1 -c \"CREATE TABLE IF NOT EXISTS ${svc}_items (id int)\"\n",
    );
    std::fs::set_permissions(bin.join("alembic"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let out = ws.pgfleet().args(["init"]).success();
    out.stdout_contains(
        "found 9 database(s):\n  auth: runner `alembic upgrade head` in services/auth\n",
    );
    out.never_shows("compose-secret-6");
    let text = manifest(&ws);
    assert!(!text.contains("compose-secret-6"), "{text}");
    for want in [
        "[databases.billing]\nrunner = \"alembic upgrade head\"\ncwd = \"services/billing\"\n",
        "# guessed: `services/search/alembic/env.py` does not read DATABASE_URL;",
        "url = \"postgresql://app:${POSTGRES_PASSWORD}@postgres:5432/postgres\"\n",
        "[envs.compose.databases.orders]\ndatabase = \"orders\"\n",
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}");
    }
    assert_eq!(text.matches("runner = \"alembic upgrade head\"").count(), 9);

    ws.pgfleet().args(["verify", "--offline"]).success();
    ws.pgfleet().env("PATH", &path).args(["up"]).success();
    for svc in [
        "auth",
        "billing",
        "catalog",
        "inventory",
        "notifications",
        "orders",
        "payments",
        "search",
        "shipping",
    ] {
        let sql = format!("SELECT count(*) FROM {svc}_items");
        assert_eq!(
            query_one(&embedded_url(&ws, svc), &sql).as_deref(),
            Some("0"),
            "{svc}"
        );
    }
    ws.pgfleet().args(["server", "stop"]).success();
}

#[test]
fn pnpm_workspace_with_node_pg_migrate_per_app_then_up() {
    let ws = Workspace::new();
    ws.fixture("init/pnpm-node-pg-migrate", ".");
    ws.write(
        "apps/api/node_modules/node-pg-migrate/migrations/1600000000000_x.sql",
        "-- Up Migration\nCREATE TABLE x ();\n",
    )
    .write(
        "tmp/migrations/0001_scratch.sql",
        "CREATE TABLE scratch ();\n",
    );

    let out = ws.pgfleet().args(["init"]).success();
    out.stdout_contains("  api: apps/api/migrations (node-pg-migrate, 2)\n")
        .stdout_contains("  worker: apps/worker/migrations (node-pg-migrate, 1)\n")
        .never_shows("dapr-secret-5");
    let text = manifest(&ws);
    for want in [
        "[databases.admin]\nmigrations = \"apps/admin/migrations\"   # node-pg-migrate, 1 migration(s)\n",
        "url = \"postgresql://api:${PGFLEET_DAPR_API_PASSWORD}@localhost:5432/postgres\"\n",
        "url = \"postgresql://worker@localhost:5432/postgres\"\n",
        "[envs.dapr.databases.worker]\nserver = \"dapr_worker\"\ndatabase = \"worker_db\"\n",
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}");
    }
    for absent in ["dapr-secret-5", "node_modules", "tmp/", "scratch"] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    ws.pgfleet().args(["verify", "--offline"]).success();
    ws.pgfleet().args(["up"]).success();
    assert_eq!(
        query_one(&embedded_url(&ws, "api"), "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'").as_deref(),
        Some("id,email,name")
    );
    assert_eq!(
        query_one(
            &embedded_url(&ws, "worker"),
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'jobs_run_at'"
        )
        .as_deref(),
        Some("1")
    );
    ws.pgfleet().args(["server", "stop"]).success();
}

#[test]
fn refuses_to_overwrite_a_manifest_without_force() {
    let ws = Workspace::with_manifest("# mine\n[databases.app]\n");
    ws.write("db/migrations/0001_init.sql", "CREATE TABLE t (id int);\n");
    ws.pgfleet()
        .args(["init"])
        .expect_code(4)
        .stderr_contains("already exists; `pgfleet init` does not overwrite a manifest")
        .stderr_contains("hint: pass `--force` to replace it");
    assert_eq!(manifest(&ws), "# mine\n[databases.app]\n");

    ws.pgfleet()
        .args(["init", "--force"])
        .success()
        .stdout_contains("wrote pgfleet.toml (the previous one is in pgfleet.toml.bak)");
    assert_eq!(
        std::fs::read_to_string(ws.join("pgfleet.toml.bak")).unwrap(),
        "# mine\n[databases.app]\n"
    );
    // A root-level `db/migrations` is named after the workspace folder.
    let text = manifest(&ws);
    let name = ws
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase()
        .replace('-', "_");
    assert!(
        text.contains(&format!(
            "[databases.{name}]\nmigrations = \"db/migrations\""
        )),
        "{text}"
    );
}

#[test]
fn env_passwords_become_variables_and_verify_offline_checks_without_a_server() {
    let ws = Workspace::new();
    ws.write("services/billing/migrations/0001_init.sql", "CREATE TABLE invoices (id int);\n")
        .write(
            "services/billing/.env",
            "export BILLING_DATABASE_URL='postgresql://billing:hunter2-secret@db.internal:5432/billing_prod?sslmode=require'\n",
        )
        .write("services/empty/migrations/.keep", "");
    let out = ws.pgfleet().args(["init", "--json"]).success();
    out.never_shows("hunter2-secret");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["databases"][0]["name"], "billing");
    assert_eq!(report["skipped"][0]["path"], "services/empty/migrations");
    assert_eq!(report["skipped"][0]["reason"], "empty folder");
    let text = manifest(&ws);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("url = \"postgresql://billing:${PGFLEET_DOTENV_PASSWORD}@db.internal:5432/postgres?sslmode=require\"\n"),
        "{text}"
    );
    assert!(
        text.contains("[envs.dotenv.databases.billing]\ndatabase = \"billing_prod\"\n"),
        "{text}"
    );

    // Offline: the env with the unset password is a warning, not a failure;
    // a broken migration is a failure (exit 3), named with file and line.
    let out = ws.pgfleet().args(["verify", "--offline"]).success();
    out.stdout_contains("env dotenv    warning  cannot be used from here yet: variable `PGFLEET_DOTENV_PASSWORD` has no value");
    ws.pgfleet()
        .args(["-e", "dotenb", "verify", "--offline"])
        .expect_code(2)
        .stderr_contains("error: unknown env `dotenb`\nhint: did you mean `dotenv`?");
    ws.pgfleet()
        .args(["-e", "dev", "verify", "--offline", "billing"])
        .success()
        .stdout_contains("env dev       ok      1 placement(s) on local");
    ws.write(
        "services/billing/migrations/0002_bad.sql",
        "SELECT 1;\nSELECT 'oops;\n",
    );
    ws.pgfleet()
        .args(["verify", "--offline"])
        .expect_code(3)
        .stdout_contains("services/billing/migrations/0002_bad.sql:2: unterminated quoted string");
}

/// Moving from node-pg-migrate: a database it already migrated has its
/// `pgmigrations` rows (`name` = file name without `.sql`, `run_on`)
/// adopted, not re-run, and the table is only read.
#[test]
fn a_node_pg_migrate_database_is_adopted_from_pgmigrations() {
    let dbs = TestDbs::new("init_adopt_npgm");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.npgm]\nmigrations = \"{}\"\n",
        dbs.manifest_head(),
        fixture("node-pg-migrate/basic").display()
    ));
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("npgm"));
    let first = std::fs::read_to_string(fixture(
        "node-pg-migrate/basic/1704873600000_create_customers_and_invoices.sql",
    ))
    .unwrap();
    query(&url, first.split("-- Down Migration").next().unwrap());
    query(
        &url,
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
         INSERT INTO pgmigrations (name, run_on) VALUES ('1704873600000_create_customers_and_invoices', '2024-01-10 08:00:00');",
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"].as_array().unwrap().len(), 1, "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 2, "{db}");
    assert_eq!(
        query(
            &url,
            "SELECT applied_by, applied_at::date::text FROM pgfleet.history ORDER BY version LIMIT 1"
        ),
        [[
            Some("adopted from pgmigrations".into()),
            Some("2024-01-10".into())
        ]]
    );
    // node-pg-migrate's table also lists the two pgfleet applied (`peer_history = "sync"`).
    assert_eq!(
        query(&url, "SELECT name FROM pgmigrations ORDER BY id")
            .into_iter()
            .map(|r| r[0].clone().unwrap())
            .collect::<Vec<_>>(),
        [
            "1704873600000_create_customers_and_invoices",
            "1704873660000_index_invoices",
            "1704873720000_customer_total_function"
        ]
    );
}

/// A service's `.env` holds other services' URLs too: each variable is
/// wired to the database its URL names, marked `# guessed:`; a URL of a
/// database the repository does not migrate is left alone, by `init` and by
/// `env --write`, which keeps the file as it was in `.env.pgfleet-bak` once.
#[test]
fn a_service_env_with_other_services_urls_is_wired_by_database_name() {
    let ws = Workspace::new();
    ws.fixture("init/env-other-services", ".");
    let original = "# orders service\n\
        DATABASE_URL=postgres://orders:pw-1@localhost:5432/orders\n\
        AUTH_DATABASE_URL=postgres://orders:pw-1@localhost:5432/auth\n\
        PAYMENTS_DATABASE_URL=postgres://orders:pw-1@localhost:5432/payments\n";
    ws.write("services/orders/.env", original);

    let out = ws.pgfleet().args(["init"]).success();
    out.stdout_contains(
        "`PAYMENTS_DATABASE_URL` in services/orders/.env:4: no database found for it",
    )
    .never_shows("pw-1");
    let text = manifest(&ws);
    for want in [
        "[services.orders.vars]\n\
         # guessed: `DATABASE_URL` in services/orders/.env:2 points at `orders` (it belongs to `services/orders`)\n\
         DATABASE_URL = \"orders\"\n\
         # guessed: `AUTH_DATABASE_URL` in services/orders/.env:3 points at `auth` (database name)\n\
         AUTH_DATABASE_URL = \"auth\"\n",
        "[envs.dotenv.databases.auth]\ndatabase = \"auth\"\n",
        "[envs.dotenv.databases.orders]\ndatabase = \"orders\"\n",
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}");
    }
    assert!(!text.contains("PAYMENTS_DATABASE_URL ="), "{text}");
    // Every value in the services' vars has its guess written above it.
    let vars = &text[text.find("[services.orders.vars]").unwrap()..];
    let lines: Vec<&str> = vars.lines().skip(1).filter(|l| !l.is_empty()).collect();
    for pair in lines.chunks(2) {
        assert!(pair[0].starts_with("# guessed: "), "{pair:?}");
    }

    ws.pgfleet().args(["up"]).success();
    let out = ws.pgfleet().args(["env", "--write"]).success();
    out.stdout_contains("services/orders/.env (orders): updated\n")
        .stdout_contains("  the file as it was is kept in services/orders/.env.pgfleet-bak\n");
    let env = std::fs::read_to_string(ws.join("services/orders/.env")).unwrap();
    let orders = embedded_url(&ws, "orders");
    let auth = embedded_url(&ws, "auth");
    assert!(
        env.contains(&format!("DATABASE_URL='{orders}?sslmode=disable'\n"))
            || env.contains(&format!("DATABASE_URL={orders}?sslmode=disable\n")),
        "{env}"
    );
    assert!(
        env.contains(&format!("AUTH_DATABASE_URL={auth}"))
            || env.contains(&format!("AUTH_DATABASE_URL='{auth}")),
        "{env}"
    );
    assert!(
        env.contains("PAYMENTS_DATABASE_URL=postgres://orders:pw-1@localhost:5432/payments\n"),
        "{env}"
    );
    let backup = ws.join("services/orders/.env.pgfleet-bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);

    // Edited by hand and written again: the backup still holds the original.
    let edited = env.replace("# orders service", "# orders service, edited");
    ws.write(
        "services/orders/.env",
        &edited.replace(&orders, "postgresql://x@y/z"),
    );
    let out = ws.pgfleet().args(["env", "--write"]).success();
    out.stdout_contains("services/orders/.env (orders): updated\n");
    assert!(!out.stdout.contains("kept in"), "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(
        std::fs::read_to_string(ws.join("services/orders/.env")).unwrap(),
        edited
    );
    ws.pgfleet().args(["server", "stop"]).success();
}

/// A Flyway tree with one folder per engine, a `migrations/` whose SQL sits
/// in `sql/`, and a Diesel-shaped folder: init enters the first two, takes
/// the PostgreSQL folder, names the other engines, says what the Diesel
/// folder holds; `up` applies what it took.
#[test]
fn engine_folders_and_nested_sql_are_entered_and_reasons_say_what_is_there() {
    let ws = Workspace::new();
    ws.fixture("init/engine-folders", ".");
    let out = ws.pgfleet().args(["init"]).success();
    // The Diesel folder is read as Diesel (its stray `schema.sql` and README left out).
    out.stdout_contains(
        "found 3 database(s):\n  accounts: accounts/migrations (diesel, 25)\n  inventory: inventory/src/main/resources/db/migration/postgres (flyway, 2)\n  ledger: ledger/migrations/sql (dbmate, 1)\n",
    )
    .stdout_contains(
        "skipped:\n  inventory/src/main/resources/db/migration/h2: migrations for H2 (by its folder's name), not PostgreSQL\n  inventory/src/main/resources/db/migration/mysql: migrations for MySQL (by its folder's name), not PostgreSQL\n",
    );
    assert!(!out.stdout.contains("no SQL migrations"), "{}", out.stdout);
    let text = manifest(&ws);
    assert!(
        text.contains("[databases.inventory]\nmigrations = \"inventory/src/main/resources/db/migration/postgres\"   # flyway, 2 migration(s)\n"),
        "{text}"
    );
    for absent in ["mysql", "h2"] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    ws.pgfleet().args(["up"]).success();
    assert_eq!(
        query_one(
            &embedded_url(&ws, "inventory"),
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('items', 'stock')"
        )
        .as_deref(),
        Some("items,stock")
    );
    assert_eq!(
        query_one(&embedded_url(&ws, "ledger"), "SELECT count(*) FROM entries").as_deref(),
        Some("0")
    );
    ws.pgfleet().args(["server", "stop"]).success();
}

/// drizzle-kit's `schemaFilter` and Prisma's datasource `schemas` become the
/// database's `schemas`: `schema dump` shows the tables the tool made there,
/// and `drift` sees a table added by hand in one of them.
#[test]
fn tool_schemas_become_the_databases_schemas() {
    let ws = Workspace::new();
    ws.fixture("init/tool-schemas", ".");
    ws.pgfleet().args(["init"]).success();
    let text = manifest(&ws);
    for want in [
        "# guessed: `schemas` are what schemaFilter in packages/billing/drizzle.config.ts names: the schemas `drizzle` manages\n[databases.billing]\nmigrations = \"packages/billing/drizzle\"   # drizzle, 1 migration(s)\nschemas = [\"billing\"]\n",
        "# guessed: `schemas` are what datasource schemas in apps/web/prisma/schema.prisma names: the schemas `prisma` manages\n[databases.web]\n",
        "schemas = [\"auth\", \"shop\"]\n",
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}");
    }
    ws.pgfleet().args(["up"]).success();
    let dump = ws.pgfleet().args(["schema", "dump", "web"]).success();
    dump.stdout_contains("table auth.\"User\"\n")
        .stdout_contains("table shop.\"Order\"\n");
    ws.pgfleet()
        .args(["schema", "dump", "billing"])
        .success()
        .stdout_contains("table billing.invoices\n");
    ws.pgfleet().args(["drift", "billing"]).success();
    crate::support::query(
        &embedded_url(&ws, "billing"),
        "CREATE TABLE billing.by_hand (id int)",
    );
    ws.pgfleet()
        .args(["drift", "billing"])
        .expect_code(3)
        .stdout_contains("by_hand");
    ws.pgfleet().args(["server", "stop"]).success();
}
