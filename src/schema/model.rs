//! The typed model of what a logical database owns: one struct per object
//! kind, every collection keyed by name so two models compare (and later
//! diff, for `drift`) object by object, whatever order the objects were
//! created in.
//!
//! Names are spelled as PostgreSQL's `quote_ident` spells them (`billing.invoices`,
//! `billing."Order"`), qualified for top-level objects (`schema.name`,
//! functions `schema.name(identity arguments)`) and bare inside a table.
//! Definitions come from the server's own deparsers (`pg_get_*def`,
//! `format_type`) read with an empty `search_path`, so every reference is
//! schema-qualified the same way in every database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything in the owned schemas. `BTreeMap`s keep every kind sorted by
/// name; table columns keep their physical order, which is a real difference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaModel {
    /// The owned schemas that exist.
    pub schemas: BTreeMap<String, Namespace>,
    /// Extensions installed in an owned schema or declared by the database.
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<String, Enum>,
    pub domains: BTreeMap<String, Domain>,
    pub composites: BTreeMap<String, Composite>,
    pub sequences: BTreeMap<String, Sequence>,
    pub tables: BTreeMap<String, Table>,
    /// Views and materialized views.
    pub views: BTreeMap<String, View>,
    /// Functions and procedures, keyed `schema.name(argument types)`.
    pub functions: BTreeMap<String, Function>,
}

/// Who owns an object, who may use it, and its comment: every object kind
/// that has them carries one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    pub owner: String,
    /// `aclitem`s as text (`reader=r/postgres`), sorted; the kind's default
    /// privileges spelled out when none were ever granted or revoked, so
    /// "never touched" and "granted back to the default" read the same.
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub version: String,
    /// The schema its objects live in (owned or not).
    pub schema: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    /// In sort order: the order is part of the type.
    pub labels: Vec<String>,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// `format_type` of the base type.
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Set only when it differs from the base type's collation.
    pub collation: Option<String>,
    /// Check constraints by name: `pg_get_constraintdef`.
    pub constraints: BTreeMap<String, String>,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composite {
    /// In attribute order.
    pub attributes: Vec<Attribute>,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub data_type: String,
    pub collation: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `schema.table.column` of a serial or identity column.
    pub owned_by: Option<String>,
    /// The sequence behind an identity column (not created by hand).
    pub identity: bool,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    #[default]
    Ordinary,
    Partitioned,
    Foreign,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub kind: TableKind,
    pub unlogged: bool,
    /// `pg_get_partkeydef` of a partitioned table.
    pub partition_key: Option<String>,
    /// Inherited or partitioned-from tables, in inheritance order.
    pub parents: Vec<String>,
    /// `FOR VALUES ...` of a partition.
    pub partition_bound: Option<String>,
    pub row_security: bool,
    pub force_row_security: bool,
    /// In physical order (`attnum`), dropped columns left out.
    pub columns: Vec<Column>,
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes that back no constraint (those show as the constraint).
    pub indexes: BTreeMap<String, Index>,
    pub triggers: BTreeMap<String, Trigger>,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type`, e.g. `numeric(10,2)`, `billing.status`.
    pub data_type: String,
    pub not_null: bool,
    /// The default expression (not for generated columns).
    pub default: Option<String>,
    pub identity: Option<Identity>,
    /// The expression of a `GENERATED ALWAYS AS (...) STORED` column.
    pub generated: Option<String>,
    /// Set only when it differs from the type's collation.
    pub collation: Option<String>,
    /// Column-level grants, sorted (empty when there are none).
    pub acl: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    Exclusion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`, e.g. `FOREIGN KEY (customer_id) REFERENCES billing.customers(id)`.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// `pg_get_indexdef` from `USING` on, `UNIQUE ` in front when it is:
    /// the name and table are the keys that hold it.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// `pg_get_triggerdef`.
    pub definition: String,
    /// `pg_trigger.tgenabled` when not the default `O`: `D` disabled,
    /// `R` replica only, `A` always.
    pub enabled: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub materialized: bool,
    /// `pg_get_viewdef`, pretty-printed.
    pub definition: String,
    /// Indexes of a materialized view.
    pub indexes: BTreeMap<String, Index>,
    /// `INSTEAD OF` triggers of a view.
    pub triggers: BTreeMap<String, Trigger>,
    #[serde(flatten)]
    pub ownership: Ownership,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    Function,
    Procedure,
    Window,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub kind: RoutineKind,
    /// `pg_get_functiondef`: the whole `CREATE OR REPLACE ...`.
    pub definition: String,
    #[serde(flatten)]
    pub ownership: Ownership,
}
