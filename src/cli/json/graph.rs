//! `pgfleet graph --json`: the fleet as data (what the pictures draw).

use pgfleet::manifest::{ColumnPath, Manifest};
use pgfleet::topology::Topology;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Graph {
    pub workspace: String,
    pub env: String,
    pub protected: bool,
    pub servers: Vec<GraphServer>,
    /// Every logical database, where the env places it.
    pub databases: Vec<GraphDatabase>,
    /// Every schema a logical database owns, where it lives.
    pub schemas: Vec<GraphSchema>,
    /// `depends_on` arrows and declared cross-database references.
    pub edges: Vec<Edge>,
}

#[derive(Debug, Serialize)]
pub struct GraphServer {
    pub server: String,
    pub embedded: bool,
    /// An embedded server's port, once it has one.
    pub port: Option<u16>,
    /// A remote server's URL, the password shown as `****`.
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GraphDatabase {
    pub database: String,
    pub server: String,
    pub physical_database: String,
    /// The schema the env's placement sets, if any.
    pub schema: Option<String>,
    /// The schemas the database owns there.
    pub schemas: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GraphSchema {
    pub schema: String,
    pub database: String,
    pub server: String,
    pub physical_database: String,
}

#[derive(Debug, Serialize)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The logical database the arrow starts from.
    pub from: String,
    /// The logical database it points to.
    pub to: String,
    /// For a reference: `[schema.]table.column` on each side.
    pub from_column: Option<String>,
    pub to_column: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    DependsOn,
    Reference,
}

impl Graph {
    pub fn new(manifest: &Manifest, topology: &Topology, servers: Vec<GraphServer>) -> Graph {
        let databases = topology
            .placements
            .iter()
            .map(|p| GraphDatabase {
                database: p.database.clone(),
                server: p.server.clone(),
                physical_database: p.physical.clone(),
                schema: p.schema.clone(),
                schemas: p.owned_schemas.clone(),
            })
            .collect();
        let schemas = topology
            .placements
            .iter()
            .flat_map(|p| {
                p.owned_schemas.iter().map(|s| GraphSchema {
                    schema: s.clone(),
                    database: p.database.clone(),
                    server: p.server.clone(),
                    physical_database: p.physical.clone(),
                })
            })
            .collect();
        let mut edges = Vec::new();
        for db in &manifest.order {
            let database = &manifest.databases[db];
            for dep in &database.depends_on {
                edges.push(Edge {
                    kind: EdgeKind::DependsOn,
                    from: db.clone(),
                    to: dep.clone(),
                    from_column: None,
                    to_column: None,
                });
            }
            for r in &database.references {
                edges.push(Edge {
                    kind: EdgeKind::Reference,
                    from: db.clone(),
                    to: r.to_database.clone(),
                    from_column: Some(dotted(&r.from)),
                    to_column: Some(dotted(&r.to)),
                });
            }
        }
        Graph {
            workspace: manifest.name.clone(),
            env: topology.env.clone(),
            protected: topology.protected.is_some(),
            servers,
            databases,
            schemas,
            edges,
        }
    }
}

fn dotted(path: &ColumnPath) -> String {
    match &path.schema {
        Some(schema) => format!("{schema}.{}.{}", path.table, path.column),
        None => format!("{}.{}", path.table, path.column),
    }
}
