//! Peer tools' own history tables kept in step with `pgfleet.history`
//! (`peer_history = "sync"`, the default): when pgfleet applies, rolls back or baselines
//! a migration of a peer format, it writes the row the tool itself writes, in the same
//! transaction as the migration and pgfleet's own row, so `dbmate status`,
//! `diesel migration list` and the rest keep agreeing with the database.
//!
//! - [`checksum`]: each tool's own checksum of a migration
//! - `ddl`: the tool's own `CREATE TABLE`, for a table that is not there yet
//! - `write`: the rows each tool writes, and deletes on the way down
//! - [`shape`]: the columns each tool's table has, checked before anything is written
//! - `entries`: where a tool's table and `pgfleet.history` disagree (`status`, `verify`)
//!
//! Where the table lives: where the tool looks for it with the URL pgfleet hands out for
//! the placement ([`home_schema`]): the placement's schema (Prisma's `?schema=`,
//! dbmate's and golang-migrate's `search_path`, node-pg-migrate's `--schema`), else
//! `public`; a schema of its own when the tool's config names one (drizzle) or when
//! the URL names none (Atlas's `atlas_schema_revisions`); Sqitch's registry schema
//! (`sqitch`, or `sqitch.conf`'s), whose several tables `sqitch` writes (`projects`,
//! `changes`, `dependencies`, `tags`, `events`). Reading
//! (adoption, [`super::adopt`]) looks there first.

pub mod checksum;
mod ddl;
mod entries;
pub mod shape;
mod sqitch;
mod write;

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

pub use entries::Disagreement;

use super::MigrateError;
use super::formats::{Folder, Format, Migration};
use crate::connect::{quote_ident, quote_literal};
use crate::topology::Placement;

/// The schema a tool puts its table in when nothing names one: the placement's schema
/// (which the URL pgfleet hands out sets as `search_path` and Prisma's `?schema=`), else
/// `public`, PostgreSQL's and every tool's default.
pub fn home_schema(placement: &Placement) -> &str {
    placement.schema.as_deref().unwrap_or("public")
}

/// Where to look for a tool's table, in order: [`home_schema`], then the schemas the
/// database owns.
pub fn search_schemas(placement: &Placement) -> Vec<String> {
    let mut schemas = vec![home_schema(placement).to_owned()];
    for s in &placement.owned_schemas {
        if !schemas.contains(s) {
            schemas.push(s.clone());
        }
    }
    schemas
}

/// One peer table pgfleet writes: a folder in `sync` whose format has a writer.
#[derive(Debug, Clone)]
struct Sink {
    format: Format,
    schema: String,
    table: String,
    /// `"schema"."table"`.
    qualified: String,
    /// Whether the table (and its schema) existed when the run started: if not, the
    /// tool's own DDL goes in front of the first row.
    exists: bool,
    schema_exists: bool,
    /// The folder's versioned migrations, in order (golang-migrate's single row holds
    /// the latest one applied).
    versions: Vec<Migration>,
    /// drizzle: each file's journal `when`, the `created_at` drizzle records.
    created_at: BTreeMap<std::path::PathBuf, i64>,
    /// sqlx: `sqlx.toml`'s `ignored-chars`, left out of its checksum.
    ignored_chars: Vec<char>,
    /// Hasura: the source whose versions the catalog state keeps (`default`).
    project: Option<String>,
    /// Supabase: the table is there without the columns later CLIs add.
    add_columns: bool,
    /// Sqitch: the plan and the registry's tables, for its several rows.
    sqitch: Option<sqitch::Registry>,
    /// Liquibase: what its `filename` has ahead of the file's path in the migrations
    /// folder (`db/changelog/` when Liquibase ran with another search path), as the
    /// rows it already wrote show; empty when they show none.
    liquibase_prefix: String,
    /// Liquibase's `deployment_id`: one per run, the last 10 digits of the run's start
    /// in milliseconds (liquibase-standard `StandardChangeLogHistoryService.generateDeploymentId`).
    deployment_id: String,
}

/// The peer tables of one database that pgfleet keeps in step, and which migration
/// belongs to which.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    sinks: Vec<Sink>,
    /// Migration version -> index in `sinks`.
    owner: BTreeMap<String, usize>,
}

/// Whether pgfleet writes `format`'s history table.
pub fn writes(format: Format) -> bool {
    shape::of(format).is_some()
}

impl Writer {
    /// A writer that writes nothing (`--dry-run`, `read`, formats without a table).
    pub fn none() -> Writer {
        Writer::default()
    }

    /// Finds each `sync` folder's peer table and checks its shape: a table pgfleet
    /// cannot write as the tool does stops the run here, before anything is written.
    pub async fn prepare(
        client: &Client,
        db: &str,
        folders: &[Folder],
        placement: &Placement,
    ) -> Result<Writer, MigrateError> {
        let mut writer = Writer::none();
        let deployment_id = deployment_id(std::time::SystemTime::now());
        for folder in folders {
            if !folder.peer_history.writes() {
                continue;
            }
            let Some(expected) = shape::of(folder.format) else {
                continue;
            };
            let dir = folder
                .migrations
                .first()
                .and_then(|m| m.path.parent())
                .map(std::path::Path::to_path_buf);
            // sqlx.toml's `[migrate] table-name` and `ignored-chars` change sqlx's rows.
            let sqlx = match (&dir, folder.format) {
                (Some(d), Format::Sqlx) => super::formats::sqlx_config(d).unwrap_or_default(),
                _ => super::formats::SqlxConfig::default(),
            };
            let Some((schema, table)) = locate(client, db, folder, placement, &sqlx).await? else {
                continue;
            };
            // drizzle's migrator decides what is pending by the journal's `when`: a
            // folder without them (drizzle-kit 1.x) is only read.
            let created_at = if folder.format == Format::Drizzle {
                match dir.as_deref().and_then(super::formats::journal_times) {
                    Some(times) => times,
                    None => continue,
                }
            } else {
                BTreeMap::new()
            };
            let expected = if folder.format == Format::Hasura && table == shape::HASURA_CATALOG {
                shape::HASURA_CATALOG_STATE
            } else {
                expected
            };
            let columns = shape::columns(client, db, &schema, &table).await?;
            let exists = !columns.is_empty();
            // A Supabase CLI older than `statements` and `name` left a table of
            // `version` only: the CLI adds them on its next push, and so does pgfleet.
            let add_columns = exists
                && folder.format == Format::Supabase
                && columns.iter().any(|c| c.name == "version")
                && !["statements", "name"]
                    .iter()
                    .all(|n| columns.iter().any(|c| c.name == *n));
            if exists && !add_columns {
                expected.check(db, &schema, &table, &columns)?;
            }
            let schema_exists = exists || shape::schema_exists(client, db, &schema).await?;
            let registry = if folder.format == Format::Sqitch {
                match sqitch::prepare(client, db, folder, &schema, &columns).await? {
                    Some(registry) => Some(registry),
                    None => continue,
                }
            } else {
                None
            };
            let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&table));
            let liquibase_prefix = if exists && folder.format == Format::Liquibase {
                liquibase_prefix(client, db, &qualified, folder).await?
            } else {
                String::new()
            };
            let index = writer.sinks.len();
            for m in &folder.migrations {
                writer.owner.insert(m.version.to_string(), index);
            }
            writer.sinks.push(Sink {
                format: folder.format,
                qualified,
                schema,
                table,
                exists,
                schema_exists,
                versions: folder
                    .migrations
                    .iter()
                    .filter(|m| m.kind == super::formats::Kind::Versioned)
                    .cloned()
                    .collect(),
                created_at,
                ignored_chars: sqlx.ignored_chars,
                project: folder.peer.as_ref().and_then(|p| p.project.clone()),
                add_columns,
                sqitch: registry,
                liquibase_prefix,
                deployment_id: deployment_id.clone(),
            });
        }
        Ok(writer)
    }

    fn sink(&self, version: &str) -> Option<&Sink> {
        self.owner.get(version).map(|&i| &self.sinks[i])
    }

    /// SQL recording `migration` as applied in its tool's table (the table first, when
    /// it is not there yet), to run in the migration's transaction; empty when its
    /// folder is not kept in step. `execution_ms`: how long it took, for tools that
    /// keep it.
    pub fn applied_sql(&self, migration: &Migration, execution_ms: Option<i64>) -> String {
        let Some(sink) = self.sink(migration.version.as_str()) else {
            return String::new();
        };
        let mut sql = ddl::create_sql(sink);
        sql.push_str(&write::applied(sink, migration, execution_ms));
        sql
    }

    /// SQL removing `version` from its tool's table after its down script ran;
    /// `still_applied` are the versions applied once it is gone (golang-migrate's row
    /// then holds the latest of them).
    pub fn rolled_back_sql(&self, version: &str, still_applied: &BTreeSet<String>) -> String {
        match self.sink(version) {
            Some(sink) if sink.exists => write::rolled_back(sink, version, still_applied),
            _ => String::new(),
        }
    }

    /// SQL storing the checksum of `version`'s file as it is now in its tool's table
    /// (`pgfleet repair` accepting an edited file); empty for tools without one.
    pub fn checksum_accepted_sql(&self, version: &str) -> String {
        let Some(sink) = self.sink(version).filter(|s| s.exists) else {
            return String::new();
        };
        sink.versions
            .iter()
            .find(|m| m.version.as_str() == version)
            .map_or_else(String::new, |m| write::checksum_accepted(sink, m))
    }

    /// The tables this writer keeps in step, `schema.table`, for messages.
    pub fn tables(&self) -> Vec<String> {
        self.sinks
            .iter()
            .map(|s| format!("{}.{}", s.schema, s.table))
            .collect()
    }
}

/// Atlas's revisions table, and the schema it keeps it in by default (ariga/atlas
/// `cmd/atlas/internal/migrate/ent/schema/revision.go`, `DefaultRevisionSchema`).
const ATLAS_SCHEMA: &str = "atlas_schema_revisions";

/// Liquibase's `deployment_id` for a run started at `at`: its milliseconds since the
/// epoch as text, less the first three digits (`substring(3)`).
fn deployment_id(at: std::time::SystemTime) -> String {
    let millis = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let text = millis.to_string();
    text.get(3..).unwrap_or(&text).to_owned()
}

/// What the `filename`s Liquibase wrote in `table` have ahead of the path of one of
/// `folder`'s files: Liquibase records a changelog's path as its search path finds it,
/// which pgfleet learns from the rows already there (empty when there are none, the
/// path in the migrations folder being what Liquibase records when that folder is its
/// search path).
async fn liquibase_prefix(
    client: &Client,
    db: &str,
    table: &str,
    folder: &Folder,
) -> Result<String, MigrateError> {
    let messages = client
        .simple_query(&format!("SELECT DISTINCT filename FROM {table}"))
        .await
        .map_err(|e| MigrateError::sql(db, &format!("cannot read `{table}`"), e))?;
    let files: BTreeSet<&str> = folder
        .migrations
        .iter()
        .filter_map(|m| m.version.as_str().split("::").next())
        .collect();
    for message in messages {
        let tokio_postgres::SimpleQueryMessage::Row(row) = message else {
            continue;
        };
        let Some(filename) = row.get(0) else {
            continue;
        };
        for file in &files {
            if let Some(prefix) = filename.strip_suffix(file) {
                if prefix.is_empty() || prefix.ends_with('/') || prefix.ends_with(':') {
                    return Ok(prefix.to_owned());
                }
            }
        }
    }
    Ok(String::new())
}

/// Where `folder`'s tool keeps its table for this placement, `(schema, table)`: where
/// the manifest or the tool's config says, else where it is found, else where the tool
/// would make it; `None` when there is none to write (Hasura's catalog not made yet).
async fn locate(
    client: &Client,
    db: &str,
    folder: &Folder,
    placement: &Placement,
    sqlx: &super::formats::SqlxConfig,
) -> Result<Option<(String, String)>, MigrateError> {
    let configured = sqlx
        .table_name
        .as_deref()
        .map(|name| match name.split_once('.') {
            Some((schema, table)) => (Some(schema.to_owned()), table.to_owned()),
            None => (None, name.to_owned()),
        });
    let located = if folder.format == Format::Hasura {
        // Where the Hasura CLI keeps its state, if anywhere yet.
        let older = folder
            .peer
            .as_ref()
            .map_or(("hdb_catalog", "schema_migrations"), |p| {
                (p.schema.as_str(), p.table.as_str())
            });
        match shape::hasura_table(client, db, older).await? {
            Some(found) => found,
            None => return Ok(None),
        }
    } else if let Some(peer) = &folder.peer {
        (peer.schema.clone(), peer.table.clone())
    } else if let Some((Some(schema), table)) = &configured {
        (schema.clone(), table.clone())
    } else if let Some((None, table)) = &configured {
        let found = shape::find(client, db, &search_schemas(placement), table).await?;
        (
            found.unwrap_or_else(|| home_schema(placement).to_owned()),
            table.clone(),
        )
    } else if folder.format == Format::Atlas {
        // Atlas keeps its table in schema `atlas_schema_revisions`, unless its URL
        // names a schema (a schema placement's `search_path`): then in that one.
        let mut places = vec![ATLAS_SCHEMA.to_owned()];
        places.extend(search_schemas(placement));
        let found = shape::find(client, db, &places, ATLAS_SCHEMA).await?;
        let home = placement
            .schema
            .clone()
            .unwrap_or_else(|| ATLAS_SCHEMA.to_owned());
        (found.unwrap_or(home), ATLAS_SCHEMA.to_owned())
    } else {
        let Some(table) = folder.format.history_table() else {
            return Ok(None);
        };
        let found = shape::find(client, db, &search_schemas(placement), table).await?;
        (
            found.unwrap_or_else(|| home_schema(placement).to_owned()),
            table.to_owned(),
        )
    };
    Ok(Some(located))
}

/// `'text'`, for the SQL the writers build.
fn lit(text: &str) -> String {
    quote_literal(text)
}

#[cfg(test)]
mod tests;
