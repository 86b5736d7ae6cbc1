//! The columns each tool's history table has, as its own source creates them, and
//! the check that a table found in the database is one pgfleet can write as the tool
//! does. A table of an older or newer tool version with extra columns is written when
//! those columns have defaults (or may be NULL); a missing column, or an extra one that
//! needs a value pgfleet does not know, stops the run naming the table and the column,
//! with `peer_history = "read"` as the way out.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::super::MigrateError;
use super::super::formats::Format;

/// A tool's table: the columns pgfleet writes or the tool fills by default.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub tool: &'static str,
    /// Columns pgfleet gives a value.
    pub written: &'static [&'static str],
    /// Columns the tool's DDL fills by default (`id serial`, `run_on ... DEFAULT`).
    pub defaulted: &'static [&'static str],
    /// Columns pgfleet gives a value when the table has them: ones an older release of
    /// the tool did not make yet (Sqitch registries before 1.0 have no `script_hash`).
    pub optional: &'static [&'static str],
}

/// The shape of `format`'s table, for the formats whose table pgfleet writes.
pub fn of(format: Format) -> Option<Shape> {
    let shape = |tool, written, defaulted| {
        Some(Shape {
            tool,
            written,
            defaulted,
            optional: &[],
        })
    };
    match format {
        Format::Dbmate => shape("dbmate", &["version"], &[]),
        Format::GolangMigrate => shape("golang-migrate", &["version", "dirty"], &[]),
        Format::Goose => shape("goose", &["version_id", "is_applied"], &["id", "tstamp"]),
        Format::Diesel => shape("Diesel", &["version"], &["run_on"]),
        Format::Pop => shape("pop", &["version"], &[]),
        Format::NodePgMigrate => shape("node-pg-migrate", &["name", "run_on"], &["id"]),
        Format::Drizzle => shape("drizzle", &["hash", "created_at"], &["id"]),
        Format::Prisma => shape(
            "Prisma",
            &[
                "id",
                "checksum",
                "finished_at",
                "migration_name",
                "started_at",
                "applied_steps_count",
            ],
            &["logs", "rolled_back_at"],
        ),
        Format::Sqlx => shape(
            "sqlx",
            &[
                "version",
                "description",
                "success",
                "checksum",
                "execution_time",
            ],
            &["installed_on"],
        ),
        Format::Flyway => shape(
            "Flyway",
            &[
                "installed_rank",
                "version",
                "description",
                "type",
                "script",
                "checksum",
                "installed_by",
                "execution_time",
                "success",
            ],
            &["installed_on"],
        ),
        // supabase/cli `pkg/migration/history.go`: `version`, `statements`, `name`;
        // Studio's `created_by` and `idempotency_key` may be NULL.
        Format::Supabase => shape("the Supabase CLI", &["version", "name", "statements"], &[]),
        // hasura/graphql-engine `cli/migrate/database/hasuradb/migration_state_sql.go`:
        // `hdb_catalog.schema_migrations (version bigint not null primary key, dirty
        // boolean not null)`. With catalog state, [`HASURA_CATALOG_STATE`].
        Format::Hasura => shape("the Hasura CLI", &["version", "dirty"], &[]),
        Format::GraphileMigrate => shape(
            "graphile-migrate",
            &["hash", "previous_hash", "filename"],
            &["date"],
        ),
        // App::Sqitch::Engine::pg's `changes` (pg.sql): adoption reads `change_id`,
        // `change` and `project`; the rest is written where the registry has it.
        Format::Sqitch => Some(Shape {
            tool: "Sqitch",
            written: &["change_id", "change", "project"],
            defaulted: &[],
            optional: &[
                "script_hash",
                "note",
                "committed_at",
                "committer_name",
                "committer_email",
                "planned_at",
                "planner_name",
                "planner_email",
            ],
        }),
        Format::Atlas => shape(
            "Atlas",
            &[
                "version",
                "description",
                "type",
                "applied",
                "total",
                "executed_at",
                "execution_time",
                "error",
                "error_stmt",
                "hash",
                "partial_hashes",
                "operator_version",
            ],
            &[],
        ),
        Format::Liquibase => shape(
            "Liquibase",
            &[
                "id",
                "author",
                "filename",
                "dateexecuted",
                "orderexecuted",
                "exectype",
                "md5sum",
                "description",
                "comments",
                "tag",
                "liquibase",
                "contexts",
                "labels",
                "deployment_id",
            ],
            &[],
        ),
        Format::Native => None,
    }
}

/// The Hasura server's catalog table, where CLIs talking to servers since v1.4 keep
/// their state (`cli_state`).
pub const HASURA_CATALOG: &str = "hdb_version";

/// `hdb_catalog.hdb_version` as the Hasura server makes it: pgfleet updates its one
/// row's `cli_state` and never inserts, so its other columns need nothing.
pub const HASURA_CATALOG_STATE: Shape = Shape {
    tool: "the Hasura CLI",
    written: &["cli_state"],
    defaulted: &[
        "hasura_uuid",
        "version",
        "upgraded_on",
        "console_state",
        "ee_client_id",
        "ee_client_secret",
    ],
    optional: &[],
};

/// Where the Hasura CLI keeps its migration state in this database, as (schema,
/// table): the server's catalog state (`hdb_catalog.hdb_version` with `cli_state`),
/// which current CLIs use with any server since v1.4 (hasura/graphql-engine
/// `cli/migrate/database/hasuradb/hasuradb.go`: the v2 API means
/// `NewMigrationsStateWithCatalogStateAPI`), else the older
/// `hdb_catalog.schema_migrations`; `None` when neither is there. pgfleet makes
/// neither: the catalog is the server's, made when it first starts, and a current CLI
/// would not read a `schema_migrations` pgfleet made.
/// `older`: the older table as the folder names it (`hdb_catalog.schema_migrations`
/// unless the manifest's `history_table` says otherwise).
pub async fn hasura_table(
    client: &Client,
    db: &str,
    older: (&str, &str),
) -> Result<Option<(String, String)>, MigrateError> {
    let schema = "hdb_catalog";
    let catalog = columns(client, db, schema, HASURA_CATALOG).await?;
    if catalog.iter().any(|c| c.name == "cli_state") {
        return Ok(Some((schema.to_owned(), HASURA_CATALOG.to_owned())));
    }
    let (schema, table) = older;
    if !columns(client, db, schema, table).await?.is_empty() {
        return Ok(Some((schema.to_owned(), table.to_owned())));
    }
    Ok(None)
}

/// One column of a table found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// NOT NULL without a default (nor identity, nor generated): an insert must name it.
    pub needs_value: bool,
}

/// Why a peer table cannot be written as its tool writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing(String),
    Unknown(String),
}

impl Shape {
    /// What stops pgfleet writing `columns` as the tool does, if anything.
    pub fn problem(&self, columns: &[Column]) -> Option<Problem> {
        if let Some(missing) = self
            .written
            .iter()
            .find(|w| !columns.iter().any(|c| c.name == **w))
        {
            return Some(Problem::Missing((*missing).to_owned()));
        }
        columns
            .iter()
            .find(|c| {
                c.needs_value
                    && !self.written.contains(&c.name.as_str())
                    && !self.defaulted.contains(&c.name.as_str())
                    && !self.optional.contains(&c.name.as_str())
            })
            .map(|c| Problem::Unknown(c.name.clone()))
    }

    pub fn check(
        &self,
        db: &str,
        schema: &str,
        table: &str,
        columns: &[Column],
    ) -> Result<(), MigrateError> {
        match self.problem(columns) {
            None => Ok(()),
            Some(problem) => Err(MigrateError::PeerTable {
                db: db.to_owned(),
                table: format!("{schema}.{table}"),
                problem: match problem {
                    Problem::Missing(column) => format!(
                        "has no column `{column}`, which {} writes: it is not the table {} makes",
                        self.tool, self.tool
                    ),
                    Problem::Unknown(column) => format!(
                        "has a column `{column}` that needs a value {} does not write",
                        self.tool
                    ),
                },
            }),
        }
    }
}

/// The columns of `schema.table`; none when it does not exist.
pub async fn columns(
    client: &Client,
    db: &str,
    schema: &str,
    table: &str,
) -> Result<Vec<Column>, MigrateError> {
    let rows = client
        .query_typed(
            "SELECT a.attname::text,
                    a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
                AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[(&schema, Type::TEXT), (&table, Type::TEXT)],
        )
        .await
        .map_err(|e| {
            MigrateError::sql(
                db,
                &format!("cannot read the columns of `{schema}.{table}`"),
                e,
            )
        })?;
    Ok(rows
        .iter()
        .map(|r| Column {
            name: r.get(0),
            needs_value: r.get(1),
        })
        .collect())
}

/// The first of `schemas` holding a table named `table`.
pub async fn find(
    client: &Client,
    db: &str,
    schemas: &[String],
    table: &str,
) -> Result<Option<String>, MigrateError> {
    for schema in schemas {
        if !columns(client, db, schema, table).await?.is_empty() {
            return Ok(Some(schema.clone()));
        }
    }
    Ok(None)
}

pub async fn schema_exists(client: &Client, db: &str, schema: &str) -> Result<bool, MigrateError> {
    let rows = client
        .query_typed(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[(&schema, Type::TEXT)],
        )
        .await
        .map_err(|e| MigrateError::sql(db, &format!("cannot look for schema `{schema}`"), e))?;
    Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}
