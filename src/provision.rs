//! `create` and `drop`: physical databases, owned schemas and extensions.
//!
//! Both are idempotent and look before they act, so the report says what was
//! really changed. Every name is quoted with `quote_ident`; values travel as
//! parameters of unnamed statements (`query_typed`), which PgBouncer allows.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::connect::{ConnectError, SqlError, quote_ident};
use crate::fleet::{Fleet, FleetError};
use crate::topology::Placement;

/// What every shadow database's name starts with (`drift`'s, and the scratch
/// databases of `backup --check`).
pub const SHADOW_PREFIX: &str = "pgfleet_shadow_";

/// What stops `create` or `drop`: reaching the server, or a statement it refused.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Fleet(#[from] FleetError),

    #[error(transparent)]
    Connect(#[from] ConnectError),

    #[error(transparent)]
    Query(#[from] SqlError),
}

type Result<T, E = ProvisionError> = std::result::Result<T, E>;

/// What another process creating the same object between our look and our `CREATE`
/// looks like: 42P04 duplicate_database, 42P06 duplicate_schema, 42710
/// duplicate_object (an extension), or 23505 unique_violation on the catalog's name
/// index when both `CREATE`s ran at the same moment. Either way it exists now, and
/// this run did not create it.
fn created_by_another(e: &tokio_postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| matches!(c.code(), "42P04" | "42P06" | "42710" | "23505"))
}

#[derive(Debug, Default, Serialize)]
pub struct CreateReport {
    pub databases: Vec<Created>,
}

/// What `create` did for one logical database.
#[derive(Debug, Serialize)]
pub struct Created {
    pub database: String,
    pub server: String,
    pub physical_database: String,
    pub created_database: bool,
    pub created_schemas: Vec<String>,
    pub created_extensions: Vec<String>,
}

impl CreateReport {
    /// The logical databases this run created: their physical database was
    /// created (whichever of its logical databases the report says it of),
    /// or any of their owned schemas was. `up` seeds exactly these.
    pub fn fresh(&self) -> BTreeSet<&str> {
        let new_physical: BTreeSet<(&str, &str)> = self
            .databases
            .iter()
            .filter(|c| c.created_database)
            .map(|c| (c.server.as_str(), c.physical_database.as_str()))
            .collect();
        self.databases
            .iter()
            .filter(|c| {
                !c.created_schemas.is_empty()
                    || new_physical.contains(&(c.server.as_str(), c.physical_database.as_str()))
            })
            .map(|c| c.database.as_str())
            .collect()
    }
}

impl Created {
    pub fn changed(&self) -> bool {
        self.created_database
            || !self.created_schemas.is_empty()
            || !self.created_extensions.is_empty()
    }
}

#[derive(Debug, Default, Serialize)]
pub struct DropReport {
    pub dropped: Vec<Dropped>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dropped {
    /// The whole physical database, which only the dropped logical databases used.
    Database {
        server: String,
        physical_database: String,
        existed: bool,
    },
    /// The schemas one logical database owns in a shared physical database.
    Schemas {
        database: String,
        physical_database: String,
        schemas: Vec<String>,
    },
}

/// Creates what `placements` need and is missing.
pub async fn create(fleet: &Fleet, placements: &[&Placement]) -> Result<CreateReport> {
    let mut created_physical = BTreeSet::new();
    for (server, physicals) in by_server(placements) {
        let admin = fleet.server_conninfo(server)?.connect().await?;
        for physical in physicals {
            if create_database(&admin, physical).await? {
                created_physical.insert((server, physical));
            }
        }
    }
    let mut report = CreateReport::default();
    let mut clients: BTreeMap<(&str, &str), Client> = BTreeMap::new();
    for placement in placements {
        let key = (placement.server.as_str(), placement.physical.as_str());
        let client = match clients.entry(key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(fleet.conninfo(placement)?.connect().await?),
        };
        let database = &fleet.manifest.databases[&placement.database];
        let mut created_schemas = Vec::new();
        let left_to_migrations = crate::migrate::schemas_created_by_migrations(database);
        for schema in &placement.owned_schemas {
            if !exists(
                client,
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                schema,
            )
            .await?
            {
                // Its first migration makes it (and would fail if it existed).
                if left_to_migrations.contains(schema) {
                    created_schemas.push(schema.clone());
                    continue;
                }
                match client
                    .batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema)))
                    .await
                {
                    Ok(()) => created_schemas.push(schema.clone()),
                    Err(e) if created_by_another(&e) => {}
                    Err(e) => {
                        return Err(SqlError::with(format!(
                            "cannot create schema `{schema}` in `{}`",
                            placement.physical
                        ))(e)
                        .into());
                    }
                }
            }
        }
        let mut created_extensions = Vec::new();
        for extension in &database.extensions {
            if !exists(
                client,
                "SELECT 1 FROM pg_extension WHERE extname = $1",
                extension,
            )
            .await?
            {
                match client
                    .batch_execute(&format!("CREATE EXTENSION {}", quote_ident(extension)))
                    .await
                {
                    Ok(()) => created_extensions.push(extension.clone()),
                    Err(e) if created_by_another(&e) => {}
                    Err(e) => {
                        return Err(SqlError::with(format!(
                            "cannot create extension `{extension}` for `{}` in `{}`",
                            placement.database, placement.physical
                        ))(e)
                        .into());
                    }
                }
            }
        }
        report.databases.push(Created {
            database: placement.database.clone(),
            server: placement.server.clone(),
            physical_database: placement.physical.clone(),
            // Said once, of the first logical database placed there.
            created_database: created_physical.remove(&key),
            created_schemas,
            created_extensions,
        });
    }
    Ok(report)
}

/// Drops what `placements` own: a physical database when every logical
/// database placed in it is being dropped, otherwise only their schemas and
/// their rows in `pgfleet.history`.
/// `permit`: the safety rule said yes for this env ([`crate::safety::check`]).
pub async fn drop(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    placements: &[&Placement],
) -> Result<DropReport> {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
    let selected: BTreeSet<&str> = placements.iter().map(|p| p.database.as_str()).collect();
    let mut report = DropReport::default();
    let mut whole: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for placement in placements {
        let shared_with_others = fleet
            .topology
            .neighbours(placement)
            .any(|n| !selected.contains(n.database.as_str()));
        if !shared_with_others {
            let list = whole.entry(placement.server.as_str()).or_default();
            if !list.contains(&placement.physical.as_str()) {
                list.push(&placement.physical);
            }
            continue;
        }
        let info = fleet.conninfo(placement)?;
        let client = match info.connect().await {
            Ok(client) => client,
            Err(_) if !database_exists(fleet, placement).await? => continue,
            Err(e) => return Err(e.into()),
        };
        let mut dropped = Vec::new();
        for schema in &placement.owned_schemas {
            if exists(
                &client,
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                schema,
            )
            .await?
            {
                client
                    .batch_execute(&format!(
                        "DROP SCHEMA IF EXISTS {} CASCADE",
                        quote_ident(schema)
                    ))
                    .await
                    .map_err(SqlError::with(format!(
                        "cannot drop schema `{schema}` of `{}`",
                        placement.database
                    )))?;
                dropped.push(schema.clone());
            }
        }
        if exists(
            &client,
            "SELECT 1 FROM pg_tables WHERE schemaname = 'pgfleet' AND tablename = $1",
            "history",
        )
        .await?
        {
            client
                .execute_typed(
                    "DELETE FROM pgfleet.history WHERE db = $1",
                    &[(&placement.database, Type::TEXT)],
                )
                .await
                .map_err(SqlError::with(format!(
                    "cannot delete the history of `{}`",
                    placement.database
                )))?;
        }
        report.dropped.push(Dropped::Schemas {
            database: placement.database.clone(),
            physical_database: placement.physical.clone(),
            schemas: dropped,
        });
    }
    for (server, physicals) in whole {
        let admin = fleet.server_conninfo(server)?.connect().await?;
        for physical in physicals {
            let existed = exists(
                &admin,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                physical,
            )
            .await?;
            if existed {
                drop_database(&admin, server, physical).await?;
            }
            report.dropped.push(Dropped::Database {
                server: server.to_owned(),
                physical_database: physical.to_owned(),
                existed,
            });
        }
    }
    Ok(report)
}

/// `DROP DATABASE IF EXISTS`, with `FORCE` (PostgreSQL 13+) so other
/// sessions are ended, as `dropdb --force` does.
pub(crate) async fn drop_database(
    admin: &Client,
    server: &str,
    physical: &str,
) -> Result<(), SqlError> {
    let version = crate::connect::server_version(admin)
        .await
        .map_err(SqlError::with("cannot read the server version"))?;
    let force = if version.num >= 130_000 {
        " WITH (FORCE)"
    } else {
        ""
    };
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            quote_ident(physical)
        ))
        .await
        .map_err(SqlError::with(format!(
            "cannot drop database `{physical}` on `{server}`"
        )))
}

/// Creates `physical` unless it exists; true when this call created it.
async fn create_database(admin: &Client, physical: &str) -> Result<bool> {
    if exists(
        admin,
        "SELECT 1 FROM pg_database WHERE datname = $1",
        physical,
    )
    .await?
    {
        return Ok(false);
    }
    match admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(physical)))
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if created_by_another(&e) => Ok(false),
        Err(e) => Err(SqlError::with(format!("cannot create database `{physical}`"))(e).into()),
    }
}

async fn database_exists(fleet: &Fleet, placement: &Placement) -> Result<bool> {
    let admin = fleet.server_conninfo(&placement.server)?.connect().await?;
    exists(
        &admin,
        "SELECT 1 FROM pg_database WHERE datname = $1",
        &placement.physical,
    )
    .await
}

async fn exists(client: &Client, sql: &str, name: &str) -> Result<bool> {
    let rows = client
        .query_typed(sql, &[(&name, Type::TEXT)])
        .await
        .map_err(SqlError::with(format!("cannot look up `{name}`")))?;
    Ok(!rows.is_empty())
}

/// Physical databases grouped by server, each once, in placement order.
fn by_server<'a>(placements: &[&'a Placement]) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in placements {
        let list = map.entry(p.server.as_str()).or_default();
        if !list.contains(&p.physical.as_str()) {
            list.push(&p.physical);
        }
    }
    map
}
