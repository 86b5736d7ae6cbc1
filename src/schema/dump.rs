//! [`SchemaModel`] -> the text `pgfleet schema dump` prints: a block per
//! object, a header line naming its kind and qualified name
//! (`table billing.invoices`), then indented attribute lines, blocks
//! separated by a blank line. Kinds come in a fixed order and objects in name
//! order, so two databases with the same schema print the same bytes and a
//! line diff of two dumps points at the difference.
//!
//! Multi-line values (view and function definitions) follow their label
//! indented two more spaces; text values (comments, enum labels) are quoted
//! as SQL literals.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{
    Column, ConstraintKind, Identity, Index, Ownership, RoutineKind, SchemaModel, Table, TableKind,
    Trigger,
};
use crate::connect::quote_literal;

/// The whole dump; empty for an empty model, else ending in a newline.
pub fn render(model: &SchemaModel) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut block = |header: String, body: Block| {
        let mut text = header;
        text.push('\n');
        text.push_str(&body.0);
        blocks.push(text);
    };

    for (name, schema) in &model.schemas {
        let mut b = Block::default();
        b.ownership(&schema.ownership);
        block(format!("schema {name}"), b);
    }
    for (name, extension) in &model.extensions {
        let mut b = Block::default();
        b.line(1, "version", &extension.version);
        b.line(1, "schema", &extension.schema);
        b.comment(1, extension.comment.as_deref());
        block(format!("extension {name}"), b);
    }
    for (name, e) in &model.enums {
        let mut b = Block::default();
        b.ownership(&e.ownership);
        let labels: Vec<String> = e.labels.iter().map(|l| quote_literal(l)).collect();
        b.line(1, "labels", &labels.join(", "));
        block(format!("enum {name}"), b);
    }
    for (name, d) in &model.domains {
        let mut b = Block::default();
        b.ownership(&d.ownership);
        b.line(1, "type", &d.data_type);
        b.flag(1, "not null", d.not_null);
        b.optional(1, "default", d.default.as_deref());
        b.optional(1, "collate", d.collation.as_deref());
        for (constraint, definition) in &d.constraints {
            b.line(1, &format!("constraint {constraint}"), definition);
        }
        block(format!("domain {name}"), b);
    }
    for (name, c) in &model.composites {
        let mut b = Block::default();
        b.ownership(&c.ownership);
        for a in &c.attributes {
            let mut line = format!("{} {}", a.name, a.data_type);
            if let Some(collation) = &a.collation {
                let _ = write!(line, " collate {collation}");
            }
            b.line(1, "attribute", &line);
        }
        block(format!("composite {name}"), b);
    }
    for (name, s) in &model.sequences {
        let mut b = Block::default();
        b.ownership(&s.ownership);
        b.line(1, "type", &s.data_type);
        b.line(
            1,
            "range",
            &format!(
                "start {} increment {} min {} max {} cache {}{}",
                s.start,
                s.increment,
                s.min,
                s.max,
                s.cache,
                if s.cycle { " cycle" } else { "" }
            ),
        );
        b.optional(1, "owned by", s.owned_by.as_deref());
        b.flag(1, "identity", s.identity);
        block(format!("sequence {name}"), b);
    }
    for (name, t) in &model.tables {
        let header = match t.kind {
            TableKind::Ordinary => "table",
            TableKind::Partitioned => "partitioned table",
            TableKind::Foreign => "foreign table",
        };
        block(format!("{header} {name}"), table(t));
    }
    for (name, v) in &model.views {
        let mut b = Block::default();
        b.ownership(&v.ownership);
        b.line(1, "definition", v.definition.trim_end());
        b.indexes(&v.indexes);
        b.triggers(&v.triggers);
        let header = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        block(format!("{header} {name}"), b);
    }
    for (name, f) in &model.functions {
        let mut b = Block::default();
        b.ownership(&f.ownership);
        b.line(1, "definition", f.definition.trim_end());
        let header = match f.kind {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
            RoutineKind::Window => "window function",
        };
        block(format!("{header} {name}"), b);
    }
    blocks.join("\n")
}

/// A table's block: its own attributes, then its columns, constraints, indexes and
/// triggers.
fn table(t: &Table) -> Block {
    let mut b = Block::default();
    b.ownership(&t.ownership);
    b.flag(1, "unlogged", t.unlogged);
    b.optional(1, "partition by", t.partition_key.as_deref());
    match &t.partition_bound {
        Some(bound) => b.line(
            1,
            "partition of",
            &format!("{} {bound}", t.parents.join(", ")),
        ),
        None => {
            for parent in &t.parents {
                b.line(1, "inherits", parent);
            }
        }
    }
    b.flag(1, "row level security", t.row_security);
    b.flag(1, "force row level security", t.force_row_security);
    for c in &t.columns {
        b.line(1, "column", &column(c));
        b.comment(2, c.comment.as_deref());
        for item in &c.acl {
            b.line(2, "acl", item);
        }
    }
    for (constraint, c) in &t.constraints {
        let kind = match c.kind {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique",
            ConstraintKind::Check => "check",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Exclusion => "exclusion",
        };
        b.line(1, &format!("constraint {constraint} {kind}"), &c.definition);
        b.comment(2, c.comment.as_deref());
    }
    b.indexes(&t.indexes);
    b.triggers(&t.triggers);
    b
}

/// A column's line: name, type and what PostgreSQL says of it, in `CREATE TABLE` order.
fn column(c: &Column) -> String {
    let mut line = format!("{} {}", c.name, c.data_type);
    if let Some(collation) = &c.collation {
        let _ = write!(line, " collate {collation}");
    }
    if c.not_null {
        line.push_str(" not null");
    }
    if let Some(default) = &c.default {
        let _ = write!(line, " default {default}");
    }
    match c.identity {
        Some(Identity::Always) => line.push_str(" generated always as identity"),
        Some(Identity::ByDefault) => line.push_str(" generated by default as identity"),
        None => {}
    }
    if let Some(expression) = &c.generated {
        let _ = write!(line, " generated always as ({expression}) stored");
    }
    line
}

/// The indented lines under one header.
#[derive(Default)]
struct Block(String);

impl Block {
    /// `label value` at `depth` (two spaces each); a multi-line value goes
    /// on the lines after the label, two spaces deeper, blank lines left
    /// without trailing spaces.
    fn line(&mut self, depth: usize, label: &str, value: &str) {
        let pad = "  ".repeat(depth);
        if value.contains('\n') {
            let _ = writeln!(self.0, "{pad}{label}");
            for line in value.lines() {
                if line.is_empty() {
                    self.0.push('\n');
                } else {
                    let _ = writeln!(self.0, "{pad}  {line}");
                }
            }
        } else if value.is_empty() {
            let _ = writeln!(self.0, "{pad}{label}");
        } else {
            let _ = writeln!(self.0, "{pad}{label} {value}");
        }
    }

    fn flag(&mut self, depth: usize, label: &str, set: bool) {
        if set {
            self.line(depth, label, "");
        }
    }

    fn optional(&mut self, depth: usize, label: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.line(depth, label, value);
        }
    }

    fn comment(&mut self, depth: usize, comment: Option<&str>) {
        if let Some(comment) = comment {
            self.line(depth, "comment", &quote_literal(comment));
        }
    }

    fn ownership(&mut self, o: &Ownership) {
        self.comment(1, o.comment.as_deref());
        self.line(1, "owner", &o.owner);
        for item in &o.acl {
            self.line(1, "acl", item);
        }
    }

    fn indexes(&mut self, indexes: &BTreeMap<String, Index>) {
        for (name, index) in indexes {
            self.line(1, &format!("index {name}"), &index.definition);
            self.comment(2, index.comment.as_deref());
        }
    }

    fn triggers(&mut self, triggers: &BTreeMap<String, Trigger>) {
        for (name, trigger) in triggers {
            self.line(1, &format!("trigger {name}"), &trigger.definition);
            self.optional(2, "enabled", trigger.enabled.as_deref());
            self.comment(2, trigger.comment.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{
        Column, Constraint, Enum, Extension, Function, Namespace, Sequence, Table, View,
    };

    fn owned(acl: &[&str], comment: Option<&str>) -> Ownership {
        Ownership {
            owner: "app".into(),
            acl: acl.iter().map(|a| (*a).to_owned()).collect(),
            comment: comment.map(str::to_owned),
        }
    }

    fn column(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            ..Column::default()
        }
    }

    #[test]
    fn renders_a_block_per_object_in_kind_then_name_order() {
        let mut model = SchemaModel::default();
        model.schemas.insert(
            "billing".into(),
            Namespace {
                ownership: owned(&["app=UC/app"], Some("money")),
            },
        );
        model.extensions.insert(
            "pgcrypto".into(),
            Extension {
                version: "1.3".into(),
                schema: "public".into(),
                comment: None,
            },
        );
        model.enums.insert(
            "billing.status".into(),
            Enum {
                labels: vec!["draft".into(), "it's paid".into()],
                ownership: owned(&["=U/app", "app=U/app"], None),
            },
        );
        model.sequences.insert(
            "billing.invoices_id_seq".into(),
            Sequence {
                data_type: "bigint".into(),
                start: 1,
                increment: 1,
                min: 1,
                max: i64::MAX,
                cache: 1,
                cycle: false,
                owned_by: Some("billing.invoices.id".into()),
                identity: true,
                ownership: owned(&["app=rwU/app"], None),
            },
        );
        let mut invoices = Table {
            ownership: owned(&["app=arwdDxt/app", "reader=r/app"], None),
            columns: vec![
                Column {
                    not_null: true,
                    identity: Some(Identity::Always),
                    ..column("id", "bigint")
                },
                Column {
                    not_null: true,
                    default: Some("0".into()),
                    comment: Some("in cents".into()),
                    ..column("total", "numeric(10,2)")
                },
                Column {
                    generated: Some("(total * 1.2)".into()),
                    ..column("gross", "numeric")
                },
            ],
            ..Table::default()
        };
        invoices.constraints.insert(
            "invoices_pkey".into(),
            Constraint {
                kind: ConstraintKind::PrimaryKey,
                definition: "PRIMARY KEY (id)".into(),
                comment: None,
            },
        );
        invoices.indexes.insert(
            "invoices_open".into(),
            Index {
                definition: "USING btree (id) WHERE (total > (0)::numeric)".into(),
                comment: None,
            },
        );
        // Inserted after `invoices`, printed before it.
        model.tables.insert("billing.invoices".into(), invoices);
        model.tables.insert(
            "billing.customers".into(),
            Table {
                ownership: owned(&["app=arwdDxt/app"], None),
                columns: vec![column("name", "text")],
                ..Table::default()
            },
        );
        model.views.insert(
            "billing.big".into(),
            View {
                materialized: true,
                definition: " SELECT id\n   FROM billing.invoices\n\n  WHERE total > 100;".into(),
                ownership: owned(&[], None),
                ..View::default()
            },
        );
        model.functions.insert(
            "billing.touch()".into(),
            Function {
                kind: RoutineKind::Procedure,
                definition: "CREATE OR REPLACE PROCEDURE billing.touch()\n LANGUAGE sql\nAS $procedure$SELECT 1$procedure$\n".into(),
                ownership: owned(&["=X/app"], None),
            },
        );

        let want = "\
schema billing
  comment 'money'
  owner app
  acl app=UC/app

extension pgcrypto
  version 1.3
  schema public

enum billing.status
  owner app
  acl =U/app
  acl app=U/app
  labels 'draft', 'it''s paid'

sequence billing.invoices_id_seq
  owner app
  acl app=rwU/app
  type bigint
  range start 1 increment 1 min 1 max 9223372036854775807 cache 1
  owned by billing.invoices.id
  identity

table billing.customers
  owner app
  acl app=arwdDxt/app
  column name text

table billing.invoices
  owner app
  acl app=arwdDxt/app
  acl reader=r/app
  column id bigint not null generated always as identity
  column total numeric(10,2) not null default 0
    comment 'in cents'
  column gross numeric generated always as ((total * 1.2)) stored
  constraint invoices_pkey primary key PRIMARY KEY (id)
  index invoices_open USING btree (id) WHERE (total > (0)::numeric)

materialized view billing.big
  owner app
  definition
     SELECT id
       FROM billing.invoices

      WHERE total > 100;

procedure billing.touch()
  owner app
  acl =X/app
  definition
    CREATE OR REPLACE PROCEDURE billing.touch()
     LANGUAGE sql
    AS $procedure$SELECT 1$procedure$
";
        assert_eq!(render(&model), want);
        assert_eq!(render(&SchemaModel::default()), "");
    }
}
