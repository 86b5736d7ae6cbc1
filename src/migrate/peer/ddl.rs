//! Each tool's own `CREATE TABLE` for its history table, for a database where the tool
//! never ran: the same columns, types and defaults, so the tool finds the table it
//! would have made. Guarded (`IF NOT EXISTS`), since it travels with every migration
//! of a run that started without the table.

use std::fmt::Write as _;

use super::Sink;
use crate::connect::quote_ident;
use crate::migrate::formats::Format;

/// The table Liquibase locks its changelog with, beside `databasechangelog`.
const LIQUIBASE_LOCK_TABLE: &str = "databasechangeloglock";

/// The DDL for `sink`'s table when it did not exist as the run started; empty when it did.
pub(super) fn create_sql(sink: &Sink) -> String {
    if sink.exists {
        return if sink.add_columns {
            supabase_columns(&sink.qualified)
        } else {
            String::new()
        };
    }
    if let Some(registry) = &sink.sqitch {
        return super::sqitch::create_sql(sink, registry);
    }
    let mut sql = String::new();
    if !sink.schema_exists {
        // dbmate and drizzle-kit create a missing schema the same way.
        let _ = writeln!(
            sql,
            "CREATE SCHEMA IF NOT EXISTS {};",
            quote_ident(&sink.schema)
        );
    }
    let t = &sink.qualified;
    let create = match sink.format {
        // dbmate pkg/driver/postgres/postgres.go, CreateMigrationsTable.
        Format::Dbmate => {
            format!("CREATE TABLE IF NOT EXISTS {t} (version varchar(255) PRIMARY KEY);\n")
        }
        // golang-migrate database/postgres/postgres.go, ensureVersionTable.
        Format::GolangMigrate => format!(
            "CREATE TABLE IF NOT EXISTS {t} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);\n"
        ),
        // goose internal/dialect/dialectquery/postgres.go, CreateTable, then the
        // version-0 row goose inserts right after creating it.
        Format::Goose => format!(
            "CREATE TABLE IF NOT EXISTS {t} (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));\n\
             INSERT INTO {t} (version_id, is_applied) SELECT 0, true WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version_id = 0);\n"
        ),
        // diesel_migrations: CREATE_MIGRATIONS_TABLE.
        Format::Diesel => format!(
            "CREATE TABLE IF NOT EXISTS {t} (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n"
        ),
        // node-pg-migrate src/runner.ts, ensureMigrationsTable.
        Format::NodePgMigrate => format!(
            "CREATE TABLE IF NOT EXISTS {t} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);\n"
        ),
        // pop `migrator.go`, `CreateSchemaMigrations`: fizz's `create_table` of
        // `version` (string, 14) with a unique index, as fizz renders it for PostgreSQL.
        // Ory's fork widens the column to 48 for its 20-digit versions: a folder holding
        // such versions gets the wider column, as Ory's own migrations leave it.
        Format::Pop => {
            let width = if sink.versions.iter().any(|m| m.version.as_str().len() > 14) {
                48
            } else {
                14
            };
            format!(
                "CREATE TABLE IF NOT EXISTS {t} (\"version\" VARCHAR ({width}) NOT NULL);\n\
                 CREATE UNIQUE INDEX IF NOT EXISTS {} ON {t} (version);\n",
                quote_ident(&format!("{}_version_idx", sink.table))
            )
        }
        // drizzle-orm `pg-core/dialect.ts`, `migrate`.
        Format::Drizzle => format!(
            "CREATE TABLE IF NOT EXISTS {t} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);\n"
        ),
        // prisma-engines, the PostgreSQL flavour's `create_migrations_table`.
        Format::Prisma => format!(
            "CREATE TABLE IF NOT EXISTS {t} (\n    \"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL,\n    \"checksum\"              VARCHAR(64) NOT NULL,\n    \"finished_at\"           TIMESTAMPTZ,\n    \"migration_name\"        VARCHAR(255) NOT NULL,\n    \"logs\"                  TEXT,\n    \"rolled_back_at\"        TIMESTAMPTZ,\n    \"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now(),\n    \"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0\n);\n"
        ),
        // sqlx-postgres `migrate.rs`, `ensure_migrations_table`.
        Format::Sqlx => format!(
            "CREATE TABLE IF NOT EXISTS {t} (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);\n"
        ),
        // flyway-database-postgresql `createMetaDataTable.sql`.
        Format::Flyway => {
            let index = quote_ident(&format!("{}_s_idx", sink.table));
            let pk = quote_ident(&format!("{}_pk", sink.table));
            format!(
                "CREATE TABLE IF NOT EXISTS {t} (\"installed_rank\" INT NOT NULL, \"version\" VARCHAR(50), \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INTEGER, \"installed_by\" VARCHAR(100) NOT NULL, \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(), \"execution_time\" INTEGER NOT NULL, \"success\" BOOLEAN NOT NULL, CONSTRAINT {pk} PRIMARY KEY (\"installed_rank\"));\n\
                 CREATE INDEX IF NOT EXISTS {index} ON {t} (\"success\");\n"
            )
        }
        // graphile-migrate src/migration.ts, `_migrateMigrationSchema`: both its tables,
        // `current` included (with `manageGraphileMigrateSchema: false` it insists on
        // finding both, with these column counts).
        Format::GraphileMigrate => format!(
            "CREATE TABLE IF NOT EXISTS {t} (hash text PRIMARY KEY, previous_hash text REFERENCES {t}, filename text NOT NULL, date timestamptz NOT NULL DEFAULT now());\n\
             CREATE TABLE IF NOT EXISTS {}.current (filename text PRIMARY KEY DEFAULT 'current.sql', content text NOT NULL, date timestamptz NOT NULL DEFAULT now());\n",
            quote_ident(&sink.schema)
        ),
        // supabase/cli `pkg/migration/history.go`, `CreateMigrationTable`: the table with
        // its key, then the columns later CLIs added, each `IF NOT EXISTS`.
        Format::Supabase => format!(
            "CREATE TABLE IF NOT EXISTS {t} (version text NOT NULL PRIMARY KEY);\n{}",
            supabase_columns(t)
        ),
        // ariga/atlas `cmd/atlas/internal/migrate/ent/migrate/schema.go` (the
        // `atlas_schema_revisions` columns, `version` the key, `type` defaulting to 2,
        // `applied` and `total` to 0) in ent's PostgreSQL types: strings `character
        // varying`, integers `bigint`, times `timestamp with time zone`, the unbounded
        // `error` texts `text`, JSON `jsonb`.
        Format::Atlas => format!(
            "CREATE TABLE IF NOT EXISTS {t} (\"version\" character varying NOT NULL, \"description\" character varying NOT NULL, \"type\" bigint NOT NULL DEFAULT 2, \"applied\" bigint NOT NULL DEFAULT 0, \"total\" bigint NOT NULL DEFAULT 0, \"executed_at\" timestamptz NOT NULL, \"execution_time\" bigint NOT NULL, \"error\" text NULL, \"error_stmt\" text NULL, \"hash\" character varying NOT NULL, \"partial_hashes\" jsonb NULL, \"operator_version\" character varying NOT NULL, PRIMARY KEY (\"version\"));\n"
        ),
        // liquibase-standard `CreateDatabaseChangeLogLockTableGenerator` and
        // `CreateDatabaseChangeLogTableGenerator`, as Liquibase 4.28 renders them for
        // PostgreSQL (`liquibase update-sql`), and the lock's one row
        // (`InitializeDatabaseChangeLogLockTableGenerator`): Liquibase makes both tables.
        Format::Liquibase => {
            let lock = format!(
                "{}.{}",
                quote_ident(&sink.schema),
                quote_ident(LIQUIBASE_LOCK_TABLE)
            );
            let pk = quote_ident(&format!("{LIQUIBASE_LOCK_TABLE}_pkey"));
            format!(
                "CREATE TABLE IF NOT EXISTS {lock} (ID INTEGER NOT NULL, LOCKED BOOLEAN NOT NULL, LOCKGRANTED TIMESTAMP WITHOUT TIME ZONE, LOCKEDBY VARCHAR(255), CONSTRAINT {pk} PRIMARY KEY (ID));\n\
                 INSERT INTO {lock} (ID, LOCKED) SELECT 1, FALSE WHERE NOT EXISTS (SELECT 1 FROM {lock});\n\
                 CREATE TABLE IF NOT EXISTS {t} (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP WITHOUT TIME ZONE NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));\n"
            )
        }
        _ => return String::new(),
    };
    sql.push_str(&create);
    sql
}

/// The columns the Supabase CLI adds to its table after making it (`CreateMigrationTable`,
/// run before every push).
fn supabase_columns(t: &str) -> String {
    format!(
        "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS statements text[];\n\
         ALTER TABLE {t} ADD COLUMN IF NOT EXISTS name text;\n"
    )
}
