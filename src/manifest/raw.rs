//! Serde mirror of `pgfleet.toml`, exactly as written: no defaults applied, no
//! `${VAR}` expanded, spans kept so that later checks can point at the line.
//!
//! Every table denies unknown keys; `manifest::load` turns serde's "unknown
//! field" message into an error with a "did you mean" suggestion.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A string value together with where it stands in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    #[serde(default)]
    pub workspace: RawWorkspace,
    #[serde(default)]
    pub servers: BTreeMap<Text, RawServer>,
    #[serde(default)]
    pub databases: BTreeMap<Text, RawDatabase>,
    #[serde(default)]
    pub envs: BTreeMap<Text, RawEnv>,
    #[serde(default)]
    pub services: BTreeMap<Text, RawService>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkspace {
    pub name: Option<Text>,
    pub default_env: Option<Text>,
    #[serde(default)]
    pub env_files: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub url: Option<Text>,
    pub embedded: Option<Spanned<bool>>,
    pub port: Option<Spanned<u16>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    pub migrations: Option<Spanned<RawMigrations>>,
    pub format: Option<Text>,
    pub seeds: Option<Text>,
    #[serde(default)]
    pub extensions: Vec<Text>,
    pub schemas: Option<Vec<Text>>,
    #[serde(default)]
    pub depends_on: Vec<Text>,
    #[serde(default)]
    pub references: Vec<RawReference>,
    pub runner: Option<Text>,
    pub seed_command: Option<Text>,
    pub cwd: Option<Text>,
    /// `schema.table` of the peer tool's history table, for adoption.
    pub history_table: Option<Text>,
    /// `"sync" | "read" | "off"`: what pgfleet does with the peer tool's history table.
    pub peer_history: Option<Text>,
}

/// `migrations = "dir"` or `migrations = ["dir", { path = "dir", format = "prisma" }]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawMigrations {
    One(String),
    Many(Vec<RawMigrationEntry>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawMigrationEntry {
    Path(String),
    Table(RawMigrationTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMigrationTable {
    pub path: String,
    pub format: Option<String>,
    pub peer_history: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReference {
    pub from: Text,
    pub to: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnv {
    pub server: Option<Text>,
    /// The server `drift` builds its shadow databases on.
    pub shadow_server: Option<Text>,
    pub database: Option<Text>,
    pub schema: Option<Text>,
    pub protected: Option<Spanned<bool>>,
    #[serde(default)]
    pub databases: BTreeMap<Text, RawOverride>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverride {
    pub server: Option<Text>,
    pub database: Option<Text>,
    pub schema: Option<Text>,
}

/// `[services.NAME]`: a service's `.env` file and the variables `env --write`
/// keeps in it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub env_file: Option<Text>,
    pub url_style: Option<Text>,
    /// Variable name -> logical database.
    #[serde(default)]
    pub vars: BTreeMap<Text, Text>,
}
