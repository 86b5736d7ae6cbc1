//! drizzle-kit folders: adoption of `__drizzle_migrations` (by the SHA-256 hash drizzle
//! stores), schema placements, folders written for another engine, and a round trip with
//! the real drizzle-kit: it generates and applies half, pgfleet adopts and applies the rest.

use std::path::Path;
use std::process::Command;

use sha2::{Digest as _, Sha256};

use crate::support::{TestDbs, Workspace, query, query_one, tools};

fn sha256_file(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// The committed fixture (written by drizzle-kit 0.31.11) with its first migration
/// applied the way drizzle's migrator leaves it.
#[test]
fn drizzle_history_is_adopted_by_hash_and_the_rest_applied_once() {
    let dbs = TestDbs::new("drizzle_adopt");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"drizzle\"\n",
        dbs.manifest_head()
    ));
    ws.fixture("drizzle/basic", "drizzle");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("app"));
    let first = ws.join("drizzle/0000_create_customers.sql");
    query(&url, &std::fs::read_to_string(&first).unwrap());
    query(
        &url,
        &format!(
            "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);
             INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('{}', 1795643161218);",
            sha256_file(&first)
        ),
    );

    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0000"]), "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 2, "{db}");
    assert_eq!(
        query(
            &url,
            "SELECT version, name, applied_by = 'adopted from drizzle.__drizzle_migrations' FROM pgfleet.history ORDER BY version"
        ),
        [
            [
                Some("0000".into()),
                Some("create_customers".into()),
                Some("t".into())
            ],
            [
                Some("0001".into()),
                Some("create_invoices".into()),
                Some("f".into())
            ],
            [
                Some("0002".into()),
                Some("add_customer_name".into()),
                Some("f".into())
            ],
        ]
    );
    // All three statements of 0001 ran (table, foreign key, index).
    assert_eq!(
        query_one(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'invoices_customer_idx'"
        )
        .as_deref(),
        Some("1")
    );
    // drizzle's own table also lists the two pgfleet applied (`peer_history = "sync"`).
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM drizzle.__drizzle_migrations").as_deref(),
        Some("3")
    );
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["format"], "drizzle");
    assert_eq!(status["databases"][0]["applied"], 3);
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("3")
    );
}

/// A package that manages schema `billing` inside a shared database, with its history
/// table named in drizzle.config.ts: in a schema placement, adoption finds
/// `billing.billing_migrations` and the migrations land in `billing`.
#[test]
fn schema_scoped_drizzle_package_in_a_shared_database() {
    let dbs = TestDbs::new("drizzle_schema");
    let head = dbs.manifest_head().replace(
        &format!("database = \"{}_{{name}}\"", dbs.prefix),
        &format!(
            "database = \"{}_shared\"\nschema = \"{{name}}\"",
            dbs.prefix
        ),
    );
    let ws = Workspace::with_manifest(&format!(
        "{head}[databases.billing]\nmigrations = \"packages/billing/drizzle\"\n\n[databases.core]\n"
    ));
    ws.fixture("drizzle/custom_table", "packages/billing");
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("shared"));
    let first = ws.join("packages/billing/drizzle/0000_create_invoices.sql");
    query(
        &url,
        &format!(
            "SET search_path = billing; {}
             CREATE TABLE billing.billing_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);
             INSERT INTO billing.billing_migrations (hash, created_at) VALUES ('{}', 1795643161218);",
            std::fs::read_to_string(&first).unwrap(),
            sha256_file(&first)
        ),
    );
    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let billing = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["database"] == "billing")
        .unwrap()
        .clone();
    assert_eq!(billing["adopted"], serde_json::json!(["0000"]), "{billing}");
    assert_eq!(billing["applied"].as_array().unwrap().len(), 1, "{billing}");
    assert_eq!(
        query_one(
            &url,
            "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'billing' AND table_name = 'invoices'"
        )
        .as_deref(),
        Some("id,total,paid")
    );
    // drizzle's table sits in the owned schema: `clean` empties the data, not it.
    query(&url, "INSERT INTO billing.invoices (total) VALUES (5)");
    let out = ws.pgfleet().args(["clean", "billing", "-y"]).success();
    out.stdout_contains("billing: emptied 1 table(s)");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM billing.invoices").as_deref(),
        Some("0")
    );
    assert_eq!(
        // drizzle's own row and the one pgfleet wrote for what it applied: kept by `clean`.
        query_one(&url, "SELECT count(*) FROM billing.billing_migrations").as_deref(),
        Some("2")
    );
    let dump = ws.pgfleet().args(["schema", "dump", "billing"]).success();
    dump.stdout_contains("invoices");
    assert!(
        !dump.stdout.contains("billing_migrations"),
        "{}",
        dump.stdout
    );
}

/// A manifest pointing at a folder written for another engine stops with exit 2 naming
/// the folder and the evidence, before anything is created or applied.
#[test]
fn folders_for_other_engines_are_refused_before_anything_runs() {
    let dbs = TestDbs::new("drizzle_other_engine");
    for (rel, engine) in [
        ("detect/drizzle_sqlite", "SQLite"),
        ("detect/prisma_mysql", "MySQL"),
        ("detect/clickhouse", "ClickHouse"),
    ] {
        let ws = Workspace::with_manifest(&format!(
            "{}[databases.app]\nmigrations = \"m\"\n",
            dbs.manifest_head()
        ));
        ws.fixture(rel, "m");
        let out = ws.pgfleet().args(["up"]).expect_code(2);
        out.stderr_contains(&format!(
            "migrations folder `{}` is written for {engine}, not PostgreSQL (",
            ws.join("m").display()
        ));
        out.stderr_contains("pgfleet leaves it out");
        let url = dbs.url(&dbs.name("app"));
        let exists = query_one(
            &dbs_cluster_url(&url),
            &format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{}'",
                dbs.name("app")
            ),
        );
        if exists.as_deref() == Some("1") {
            assert_eq!(
                query_one(&url, "SELECT to_regclass('pgfleet.history') IS NULL").as_deref(),
                Some("t"),
                "{rel}: nothing may be applied"
            );
        }
    }
}

/// The cluster's `postgres` database, from a test database's URL.
fn dbs_cluster_url(url: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/postgres")
}

/// The real drizzle-kit generates a migration and applies it itself; then it generates
/// two more, and pgfleet adopts the first and applies the others exactly once.
#[test]
fn drizzle_kit_round_trip() {
    let Some(kit) = tools::drizzle_dir("drizzle_kit_round_trip") else {
        return;
    };
    let dbs = TestDbs::new("drizzle_kit");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.app]\nmigrations = \"drizzle\"\n",
        dbs.manifest_head()
    ));
    std::os::unix::fs::symlink(kit.join("node_modules"), ws.join("node_modules")).unwrap();
    ws.write(
        "drizzle.config.ts",
        "export default {\n  dialect: \"postgresql\",\n  schema: \"./schema.ts\",\n  out: \"./drizzle\",\n  dbCredentials: { url: process.env.DRIZZLE_URL! },\n};\n",
    );
    let schema = |tables: &str| {
        format!(
            "import {{ pgTable, serial, text, integer, index }} from \"drizzle-orm/pg-core\";\n{tables}"
        )
    };
    let customers = "export const customers = pgTable(\"customers\", { id: serial(\"id\").primaryKey(), email: text(\"email\").notNull() });\n";
    let invoices = "export const invoices = pgTable(\"invoices\", { id: serial(\"id\").primaryKey(), customerId: integer(\"customer_id\").notNull().references(() => customers.id) }, (t) => [index(\"invoices_customer_idx\").on(t.customerId)]);\n";
    let url = dbs.url(&dbs.name("app"));
    let kit_run = |args: &[&str]| {
        let out = Command::new("node")
            .arg(kit.join("node_modules/drizzle-kit/bin.cjs"))
            .args(args)
            .current_dir(ws.path())
            .env("DRIZZLE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "drizzle-kit {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ws.write("schema.ts", &schema(customers));
    kit_run(&["generate", "--name", "create_customers"]);
    ws.pgfleet().args(["create"]).success();
    kit_run(&["migrate"]);
    ws.write("schema.ts", &schema(&format!("{customers}{invoices}")));
    kit_run(&["generate", "--name", "create_invoices"]);
    kit_run(&["generate", "--custom", "--name", "seed_note"]);
    std::fs::write(
        ws.join("drizzle/0002_seed_note.sql"),
        "COMMENT ON TABLE invoices IS 'made by drizzle-kit';--> statement-breakpoint\nINSERT INTO customers (email) VALUES ('a@example.com')",
    )
    .unwrap();

    let out = ws.pgfleet().args(["migrate", "--json"]).success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["adopted"], serde_json::json!(["0000"]), "{db}");
    assert_eq!(db["applied"].as_array().unwrap().len(), 2, "{db}");
    ws.pgfleet().args(["migrate"]).success();
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM customers").as_deref(),
        Some("1"),
        "the last migration ran exactly once"
    );
    assert_eq!(
        query_one(&url, "SELECT obj_description('invoices'::regclass)").as_deref(),
        Some("made by drizzle-kit")
    );
    // pgfleet wrote drizzle's rows (hash, the journal's `when`) for the two it applied:
    // `drizzle-kit migrate` has nothing left to run.
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM drizzle.__drizzle_migrations").as_deref(),
        Some("3")
    );
    kit_run(&["migrate"]);
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM customers").as_deref(),
        Some("1"),
        "drizzle-kit ran nothing again"
    );
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM drizzle.__drizzle_migrations").as_deref(),
        Some("3")
    );
}

/// drizzle-kit writes `CREATE SCHEMA "billing"` for a `pgSchema("billing")`: a database
/// that owns `billing` leaves that schema to its migration (`create` would make it
/// first, and the migration fail), and `up` works.
#[test]
fn pg_schema_package_owns_the_schema_its_migration_creates() {
    let dbs = TestDbs::new("drizzle_pg_schema");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.billing]\nmigrations = \"drizzle\"\nschemas = [\"billing\"]\n",
        dbs.manifest_head()
    ));
    ws.fixture("drizzle/pg_schema", "drizzle");
    ws.pgfleet().args(["up"]).success();
    let url = dbs.url(&dbs.name("billing"));
    assert_eq!(
        query_one(&url, "SELECT to_regclass('billing.invoices') IS NOT NULL").as_deref(),
        Some("t")
    );
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet().args(["clean", "-y"]).success();
    let status = ws.pgfleet().args(["status", "--json", "--check"]).success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["databases"][0]["applied"], 1);
}
