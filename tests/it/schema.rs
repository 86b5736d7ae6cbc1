//! `schema dump`: stable text whatever the creation order, every object
//! kind named, only what the logical database owns.

use std::time::Instant;

use crate::support::{TestDbs, Workspace, cluster, query};

fn dump(ws: &Workspace, args: &[&str]) -> String {
    ws.pgfleet()
        .args(["schema", "dump"])
        .args(args)
        .success()
        .stdout
}

/// Runs each statement on its own (an enum value added by `ALTER TYPE`
/// cannot be used in the transaction that added it).
fn run_each(url: &str, statements: &[&str]) {
    for sql in statements {
        query(url, sql);
    }
}

/// The same schema reached straight away.
const DIRECT: &[&str] = &[
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, mood mood, email text)",
    "CREATE TABLE pets (id serial PRIMARY KEY, owner_id int REFERENCES people(id), name text)",
    "CREATE INDEX pets_name_idx ON pets (name)",
    "CREATE VIEW happy AS SELECT id, name FROM people WHERE mood = 'happy'",
    "CREATE FUNCTION pet_count(int) RETURNS bigint LANGUAGE sql AS $$SELECT count(*) FROM pets WHERE owner_id = $1$$",
    "COMMENT ON TABLE pets IS 'Animals'",
];

/// The same schema by another route: other order, an enum label inserted
/// later, columns added by ALTER (and one dropped) in the same final order.
const ROUNDABOUT: &[&str] = &[
    "CREATE TABLE pets (id serial PRIMARY KEY, junk text, owner_id int)",
    "COMMENT ON TABLE pets IS 'Animals'",
    "ALTER TABLE pets DROP COLUMN junk",
    "ALTER TABLE pets ADD COLUMN name text",
    "CREATE INDEX pets_name_idx ON pets (name)",
    "CREATE FUNCTION pet_count(int) RETURNS bigint LANGUAGE sql AS $$SELECT count(*) FROM pets WHERE owner_id = $1$$",
    "CREATE TYPE mood AS ENUM ('sad', 'happy')",
    "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'",
    "CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL)",
    "ALTER TABLE people ADD COLUMN mood mood, ADD COLUMN email text",
    "ALTER TABLE pets ADD CONSTRAINT pets_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES people(id)",
    "CREATE VIEW happy AS SELECT id, name FROM people WHERE mood = 'happy'",
];

#[test]
fn creation_order_does_not_matter_but_column_order_does() {
    let dbs = TestDbs::new("schema_routes");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.direct]\n[databases.roundabout]\n[databases.reordered]\n",
        dbs.manifest_head()
    ));
    ws.pgfleet().args(["create"]).success();
    run_each(&dbs.url(&dbs.name("direct")), DIRECT);
    run_each(&dbs.url(&dbs.name("roundabout")), ROUNDABOUT);
    let reordered: Vec<&str> = DIRECT
        .iter()
        .map(|s| {
            if s.starts_with("CREATE TABLE people") {
                "CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, email text, mood mood)"
            } else {
                s
            }
        })
        .collect();
    run_each(&dbs.url(&dbs.name("reordered")), &reordered);

    let direct = dump(&ws, &["direct"]);
    let roundabout = dump(&ws, &["roundabout"]);
    assert!(direct.contains("table public.people\n"), "{direct}");
    assert_eq!(direct, roundabout);

    let reordered = dump(&ws, &["reordered"]);
    let differing: Vec<(&str, &str)> = direct
        .lines()
        .zip(reordered.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        differing,
        [
            ("  column mood public.mood", "  column email text"),
            ("  column email text", "  column mood public.mood"),
        ]
    );
}

#[test]
fn dump_names_every_kind_of_object() {
    let dbs = TestDbs::new("schema_every_kind");
    let role = format!("{}_reader", dbs.prefix);
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.billing]\nextensions = [\"pgcrypto\"]\n",
        dbs.manifest_head()
    ));
    ws.pgfleet().args(["create"]).success();
    let url = dbs.url(&dbs.name("billing"));
    let _role = Role::create(&role, &url);
    let fixture = format!(
        "CREATE TYPE status AS ENUM ('draft', 'sent', 'paid');
         CREATE DOMAIN email AS text COLLATE \"C\" CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
         CREATE TYPE address AS (street text, city text);
         CREATE TABLE customers (
           id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           email email NOT NULL UNIQUE,
           home address,
           name text COLLATE \"C\"
         );
         CREATE TABLE invoices (
           id serial PRIMARY KEY,
           customer_id bigint NOT NULL REFERENCES customers(id),
           status status NOT NULL DEFAULT 'draft',
           net numeric(10,2) NOT NULL CHECK (net >= 0),
           gross numeric GENERATED ALWAYS AS (net * 1.2) STORED,
           number int,
           paid_at timestamptz
         );
         CREATE INDEX invoices_open_idx ON invoices (customer_id) WHERE paid_at IS NULL;
         CREATE SEQUENCE invoice_numbers AS integer START 1000 INCREMENT 10 OWNED BY invoices.number;
         CREATE VIEW open_invoices AS SELECT id, customer_id FROM invoices WHERE paid_at IS NULL;
         CREATE MATERIALIZED VIEW customer_totals AS
           SELECT customer_id, sum(net) AS total FROM invoices GROUP BY customer_id;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
           $$BEGIN NEW.paid_at := now(); RETURN NEW; END$$;
         CREATE PROCEDURE settle(p_id int) LANGUAGE sql AS
           $$UPDATE invoices SET paid_at = now() WHERE id = p_id$$;
         CREATE TRIGGER invoices_touch BEFORE UPDATE OF status ON invoices
           FOR EACH ROW WHEN (NEW.status = 'paid') EXECUTE FUNCTION touch();
         COMMENT ON TABLE invoices IS 'One per order';
         COMMENT ON COLUMN invoices.net IS 'Before tax';
         COMMENT ON TYPE status IS 'Where an invoice is';
         COMMENT ON FUNCTION touch() IS 'Stamps paid_at';
         COMMENT ON VIEW open_invoices IS 'Unpaid';
         GRANT SELECT ON invoices TO \"{role}\";
         GRANT SELECT (email) ON customers TO \"{role}\";
         GRANT EXECUTE ON PROCEDURE settle(int) TO \"{role}\";"
    );
    query(&url, &fixture);

    let text = dump(&ws, &["billing"]);
    for want in [
        "schema public\n",
        "extension pgcrypto\n  version ",
        "enum public.status\n  comment 'Where an invoice is'\n",
        "  labels 'draft', 'sent', 'paid'\n",
        "domain public.email\n",
        "  type text\n  collate pg_catalog.\"C\"\n  constraint email_has_at CHECK (VALUE ~~ '%@%'::text)\n",
        "composite public.address\n",
        "  attribute street text\n  attribute city text\n",
        "sequence public.invoice_numbers\n",
        "  type integer\n  range start 1000 increment 10 min 1 max 2147483647 cache 1\n  owned by public.invoices.number\n",
        "sequence public.customers_id_seq\n",
        "  owned by public.customers.id\n  identity\n",
        "table public.customers\n",
        "  column id bigint not null generated always as identity\n",
        "  column email public.email not null\n",
        "  column name text collate pg_catalog.\"C\"\n",
        &format!("    acl {role}=r/postgres\n"),
        "  constraint customers_email_key unique UNIQUE (email)\n",
        "table public.invoices\n  comment 'One per order'\n  owner postgres\n",
        &format!("  acl {role}=r/postgres\n"),
        "  column id integer not null default nextval('public.invoices_id_seq'::regclass)\n",
        "  column status public.status not null default 'draft'::public.status\n",
        "  column net numeric(10,2) not null\n    comment 'Before tax'\n",
        "  column gross numeric generated always as ((net * 1.2)) stored\n",
        "  constraint invoices_customer_id_fkey foreign key FOREIGN KEY (customer_id) REFERENCES public.customers(id)\n",
        "  constraint invoices_net_check check CHECK (net >= 0::numeric)\n",
        "  constraint invoices_pkey primary key PRIMARY KEY (id)\n",
        "  index invoices_open_idx USING btree (customer_id) WHERE (paid_at IS NULL)\n",
        "  trigger invoices_touch CREATE TRIGGER invoices_touch BEFORE UPDATE OF status ON public.invoices FOR EACH ROW WHEN ((new.status = 'paid'::public.status)) EXECUTE FUNCTION public.touch()\n",
        "view public.open_invoices\n  comment 'Unpaid'\n",
        "materialized view public.customer_totals\n",
        "   FROM public.invoices\n",
        "function public.touch()\n  comment 'Stamps paid_at'\n",
        " LANGUAGE plpgsql\n",
        "procedure public.settle(IN p_id integer)\n",
        &format!("  acl {role}=X/postgres\n"),
    ] {
        assert!(text.contains(want), "the dump lacks {want:?}:\n{text}");
    }
    // pgcrypto's own functions are the extension's, not the database's.
    assert!(!text.contains("public.digest("), "{text}");

    let json = ws
        .pgfleet()
        .args(["schema", "dump", "billing", "--json"])
        .success()
        .stdout;
    let model: serde_json::Value = serde_json::from_str(&json).unwrap();
    let columns = &model["tables"]["public.invoices"]["columns"];
    assert_eq!(columns[3]["name"], "net");
    assert_eq!(columns[3]["data_type"], "numeric(10,2)");
    assert_eq!(model["enums"]["public.status"]["labels"][2], "paid");
}

/// A role for one test (roles are cluster-wide), dropped with what it was
/// granted when the test ends, passed or not.
struct Role {
    name: String,
    url: String,
}

impl Role {
    fn create(name: &str, url: &str) -> Role {
        let role = Role {
            name: name.to_owned(),
            url: url.to_owned(),
        };
        role.drop_role();
        query(&cluster().url, &format!("CREATE ROLE \"{name}\""));
        role
    }

    fn drop_role(&self) {
        let exists = query(
            &cluster().url,
            &format!(
                "SELECT 1 FROM pg_roles WHERE rolname = '{}'",
                self.name.replace('\'', "''")
            ),
        );
        if !exists.is_empty() {
            query(&self.url, &format!("DROP OWNED BY \"{}\"", self.name));
            query(&cluster().url, &format!("DROP ROLE \"{}\"", self.name));
        }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        self.drop_role();
    }
}

#[test]
fn a_schema_placement_dumps_only_its_own_schema() {
    let dbs = TestDbs::new("schema_placement");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.auth]\nmigrations = \"auth\"\n[databases.billing]\nmigrations = \"billing\"\n\
         [envs.single]\nserver = \"pg\"\ndatabase = \"{}_fleet\"\nschema = \"{{name}}\"\n",
        dbs.manifest_head(),
        dbs.prefix
    ));
    ws.write(
        "auth/0001_users.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    ws.write(
        "billing/0001_invoices.sql",
        "CREATE TABLE invoices (id int PRIMARY KEY, user_id int);\n\
         CREATE TABLE _prisma_migrations (id text PRIMARY KEY);\n",
    );
    ws.pgfleet().args(["-e", "single", "up"]).success();
    let url = dbs.url(&dbs.name("fleet"));
    // The fleet's own bookkeeping is there, and must not show.
    assert_eq!(
        query(&url, "SELECT count(*) FROM pgfleet.history")[0][0].as_deref(),
        Some("2")
    );

    let text = dump(&ws, &["-e", "single", "billing"]);
    assert!(text.starts_with("schema billing\n"), "{text}");
    assert!(text.contains("table billing.invoices\n"), "{text}");
    for absent in ["auth", "users", "pgfleet", "_prisma_migrations", "public"] {
        assert!(!text.contains(absent), "the dump shows {absent:?}:\n{text}");
    }
    let auth = dump(&ws, &["-e", "single", "auth"]);
    assert!(auth.contains("table auth.users\n"), "{auth}");
    assert!(!auth.contains("billing"), "{auth}");
}

#[test]
fn unknown_database_is_a_usage_error() {
    let ws = Workspace::with_manifest("[servers.s]\nembedded = true\n[databases.billing]\n");
    ws.pgfleet()
        .args(["schema", "dump", "biling"])
        .expect_code(2)
        .stderr_contains("hint: did you mean `billing`?");
}

/// Not a timed assertion: prints how long a dump of 300 tables (each with a
/// primary key, an index, a foreign key and a comment) takes, for the README.
#[test]
fn dump_of_300_tables() {
    let dbs = TestDbs::new("schema_300");
    let ws = Workspace::with_manifest(&format!("{}[databases.big]\n", dbs.manifest_head()));
    ws.pgfleet().args(["create"]).success();
    let mut sql = String::from("CREATE TABLE t0 (id bigserial PRIMARY KEY, name text);\n");
    for i in 1..300 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id bigserial PRIMARY KEY, parent_id bigint REFERENCES t{}(id), \
             name text NOT NULL DEFAULT '', amount numeric(12,2) CHECK (amount >= 0), \
             created_at timestamptz NOT NULL DEFAULT now());\n\
             CREATE INDEX t{i}_name_idx ON t{i} (name);\n\
             COMMENT ON TABLE t{i} IS 'table {i}';\n",
            i - 1
        ));
    }
    query(&dbs.url(&dbs.name("big")), &sql);
    let start = Instant::now();
    let out = ws.pgfleet().args(["schema", "dump", "big"]).success();
    let elapsed = start.elapsed();
    assert_eq!(out.stdout.matches("\ntable public.t").count(), 300);
    eprintln!(
        "schema dump of 300 tables: {elapsed:?}, {} lines",
        out.stdout.lines().count()
    );
}
