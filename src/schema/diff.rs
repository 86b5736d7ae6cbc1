//! Compares two [`SchemaModel`]s object by object, for `drift`: the live
//! database against the shadow its migrations built. Pure: no database.
//!
//! Directions are said from the live database's side: `added` is in the
//! live database and not in what the migrations build, `removed` the other
//! way round, and a changed property reads `expected -> live`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::model::{
    Column, Composite, Domain, Function, Index, Ownership, SchemaModel, Sequence, Table, Trigger,
    View,
};

/// What kind of object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Extension,
    Enum,
    Domain,
    Type,
    Sequence,
    Table,
    Column,
    Constraint,
    Index,
    Trigger,
    View,
    Function,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
            ObjectKind::View => "view",
            ObjectKind::Function => "function",
        }
    }
}

/// How one object differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// In the live database, not in what the migrations build.
    Added,
    /// Built by the migrations, missing from the live database.
    Removed,
    /// Both have it; `property` differs (`None`: not set).
    Changed {
        property: String,
        expected: Option<String>,
        live: Option<String>,
    },
}

/// One object that differs, named by kind and full name
/// (`column billing.invoices.total`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub kind: ObjectKind,
    pub name: String,
    #[serde(flatten)]
    pub change: Change,
}

/// Properties whose values are long texts: said to have changed, without
/// the texts (the JSON output keeps them).
const LONG: &[&str] = &["body", "definition"];

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.kind.as_str(), self.name)?;
        match &self.change {
            Change::Added => f.write_str("added"),
            Change::Removed => f.write_str("removed"),
            Change::Changed { property, .. } if LONG.contains(&property.as_str()) => {
                write!(f, "{property} changed")
            }
            Change::Changed {
                property,
                expected,
                live,
            } => {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
                write!(f, "{property} {} -> {}", show(expected), show(live))
            }
        }
    }
}

/// Every difference between `live` and `expected` (the shadow built by the
/// migrations), in kind order, then name order.
pub fn diff(live: &SchemaModel, expected: &SchemaModel) -> Vec<Difference> {
    let mut out = Vec::new();
    compare(
        &mut out,
        ObjectKind::Schema,
        &live.schemas,
        &expected.schemas,
        &|n| n.to_owned(),
        &|n| ownership(&n.ownership),
    );
    compare(
        &mut out,
        ObjectKind::Extension,
        &live.extensions,
        &expected.extensions,
        &|n| n.to_owned(),
        &|e| {
            vec![
                ("version", Some(e.version.clone())),
                ("schema", Some(e.schema.clone())),
                ("comment", e.comment.clone()),
            ]
        },
    );
    compare(
        &mut out,
        ObjectKind::Enum,
        &live.enums,
        &expected.enums,
        &|n| n.to_owned(),
        &|e| with_ownership(vec![("labels", Some(e.labels.join(", ")))], &e.ownership),
    );
    compare(
        &mut out,
        ObjectKind::Domain,
        &live.domains,
        &expected.domains,
        &|n| n.to_owned(),
        &domain_props,
    );
    compare(
        &mut out,
        ObjectKind::Type,
        &live.composites,
        &expected.composites,
        &|n| n.to_owned(),
        &composite_props,
    );
    compare(
        &mut out,
        ObjectKind::Sequence,
        &live.sequences,
        &expected.sequences,
        &|n| n.to_owned(),
        &sequence_props,
    );
    compare(
        &mut out,
        ObjectKind::Table,
        &live.tables,
        &expected.tables,
        &|n| n.to_owned(),
        &table_props,
    );
    for (name, table) in &live.tables {
        if let Some(other) = expected.tables.get(name) {
            diff_table(&mut out, name, table, other);
        }
    }
    compare(
        &mut out,
        ObjectKind::View,
        &live.views,
        &expected.views,
        &|n| n.to_owned(),
        &view_props,
    );
    for (name, view) in &live.views {
        if let Some(other) = expected.views.get(name) {
            diff_indexes_and_triggers(
                &mut out,
                name,
                (&view.indexes, &other.indexes),
                (&view.triggers, &other.triggers),
            );
        }
    }
    compare(
        &mut out,
        ObjectKind::Function,
        &live.functions,
        &expected.functions,
        &|n| n.to_owned(),
        &function_props,
    );
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    out
}

type Props = Vec<(&'static str, Option<String>)>;

fn domain_props(d: &Domain) -> Props {
    let props = vec![
        ("type", Some(d.data_type.clone())),
        ("not null", Some(d.not_null.to_string())),
        ("default", d.default.clone()),
        ("collation", d.collation.clone()),
        ("constraints", Some(join_map(&d.constraints))),
    ];
    with_ownership(props, &d.ownership)
}

fn composite_props(c: &Composite) -> Props {
    let attributes = c
        .attributes
        .iter()
        .map(|a| match &a.collation {
            Some(collation) => format!("{} {} collate {collation}", a.name, a.data_type),
            None => format!("{} {}", a.name, a.data_type),
        })
        .collect::<Vec<_>>()
        .join(", ");
    with_ownership(vec![("attributes", Some(attributes))], &c.ownership)
}

fn sequence_props(s: &Sequence) -> Props {
    with_ownership(
        vec![
            ("type", Some(s.data_type.clone())),
            ("start", Some(s.start.to_string())),
            ("increment", Some(s.increment.to_string())),
            ("min", Some(s.min.to_string())),
            ("max", Some(s.max.to_string())),
            ("cache", Some(s.cache.to_string())),
            ("cycle", Some(s.cycle.to_string())),
            ("owned by", s.owned_by.clone()),
            ("identity", Some(s.identity.to_string())),
        ],
        &s.ownership,
    )
}

fn view_props(v: &View) -> Props {
    with_ownership(
        vec![
            ("materialized", Some(v.materialized.to_string())),
            ("definition", Some(v.definition.clone())),
        ],
        &v.ownership,
    )
}

fn function_props(f: &Function) -> Props {
    with_ownership(
        vec![
            ("kind", Some(format!("{:?}", f.kind).to_lowercase())),
            ("body", Some(f.definition.clone())),
        ],
        &f.ownership,
    )
}

/// Objects only in `live` are added, only in `expected` removed; for
/// objects in both, every property that differs is one difference.
fn compare<T>(
    out: &mut Vec<Difference>,
    kind: ObjectKind,
    live: &BTreeMap<String, T>,
    expected: &BTreeMap<String, T>,
    name: &dyn Fn(&str) -> String,
    props: &dyn Fn(&T) -> Props,
) {
    for (key, object) in live {
        match expected.get(key) {
            None => out.push(Difference {
                kind,
                name: name(key),
                change: Change::Added,
            }),
            Some(other) => {
                for ((property, live), (_, expected)) in props(object).into_iter().zip(props(other))
                {
                    if live != expected {
                        out.push(Difference {
                            kind,
                            name: name(key),
                            change: Change::Changed {
                                property: property.to_owned(),
                                expected,
                                live,
                            },
                        });
                    }
                }
            }
        }
    }
    for key in expected.keys().filter(|k| !live.contains_key(*k)) {
        out.push(Difference {
            kind,
            name: name(key),
            change: Change::Removed,
        });
    }
}

fn ownership(o: &Ownership) -> Props {
    vec![
        ("owner", Some(o.owner.clone())),
        ("privileges", Some(o.acl.join(", "))),
        ("comment", o.comment.clone()),
    ]
}

fn with_ownership(mut props: Props, o: &Ownership) -> Props {
    props.extend(ownership(o));
    props
}

fn join_map(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn table_props(t: &Table) -> Props {
    let live_order: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    with_ownership(
        vec![
            ("kind", Some(format!("{:?}", t.kind).to_lowercase())),
            ("unlogged", Some(t.unlogged.to_string())),
            ("partition key", t.partition_key.clone()),
            ("parents", Some(t.parents.join(", "))),
            ("partition bound", t.partition_bound.clone()),
            ("row security", Some(t.row_security.to_string())),
            ("force row security", Some(t.force_row_security.to_string())),
            ("column order", Some(live_order.join(", "))),
        ],
        &t.ownership,
    )
}

fn column_props(c: &Column) -> Props {
    vec![
        ("type", Some(c.data_type.clone())),
        ("not null", Some(c.not_null.to_string())),
        ("default", c.default.clone()),
        (
            "identity",
            c.identity.map(|i| format!("{i:?}").to_lowercase()),
        ),
        ("generated", c.generated.clone()),
        ("collation", c.collation.clone()),
        ("privileges", Some(c.acl.join(", "))),
        ("comment", c.comment.clone()),
    ]
}

/// Columns, constraints, indexes and triggers of a table both sides have.
/// Column order differences are the table's `column order` property, and
/// only said when the same columns exist on both sides.
fn diff_table(out: &mut Vec<Difference>, name: &str, live: &Table, expected: &Table) {
    let columns = |t: &Table| -> BTreeMap<String, Column> {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect()
    };
    let (live_columns, expected_columns) = (columns(live), columns(expected));
    if live_columns.keys().ne(expected_columns.keys()) {
        // Added or removed columns already say it; an order difference
        // on top would be noise.
        out.retain(|d| {
            !(d.kind == ObjectKind::Table
                && d.name == name
                && matches!(&d.change, Change::Changed { property, .. } if property == "column order"))
        });
    }
    compare(
        out,
        ObjectKind::Column,
        &live_columns,
        &expected_columns,
        &|c| format!("{name}.{c}"),
        &column_props,
    );
    compare(
        out,
        ObjectKind::Constraint,
        &live.constraints,
        &expected.constraints,
        &|c| format!("{name}.{c}"),
        &|c| {
            vec![
                ("kind", Some(format!("{:?}", c.kind).to_lowercase())),
                ("definition", Some(c.definition.clone())),
                ("comment", c.comment.clone()),
            ]
        },
    );
    diff_indexes_and_triggers(
        out,
        name,
        (&live.indexes, &expected.indexes),
        (&live.triggers, &expected.triggers),
    );
}

type Pair<'a, T> = (&'a BTreeMap<String, T>, &'a BTreeMap<String, T>);

/// Indexes are named in their schema (`billing.invoices_user_idx`),
/// triggers on their table (`billing.invoices.audit`).
fn diff_indexes_and_triggers(
    out: &mut Vec<Difference>,
    relation: &str,
    indexes: Pair<'_, Index>,
    triggers: Pair<'_, Trigger>,
) {
    let schema = schema_of(relation);
    compare(
        out,
        ObjectKind::Index,
        indexes.0,
        indexes.1,
        &|i| format!("{schema}.{i}"),
        &|i| {
            vec![
                ("definition", Some(i.definition.clone())),
                ("comment", i.comment.clone()),
            ]
        },
    );
    compare(
        out,
        ObjectKind::Trigger,
        triggers.0,
        triggers.1,
        &|t| format!("{relation}.{t}"),
        &|t| {
            vec![
                ("definition", Some(t.definition.clone())),
                ("enabled", t.enabled.clone()),
                ("comment", t.comment.clone()),
            ]
        },
    );
}

/// The schema part of a qualified name as `quote_ident` spells it: up to
/// the first dot outside double quotes.
fn schema_of(qualified: &str) -> &str {
    let mut quoted = false;
    for (i, c) in qualified.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => return &qualified[..i],
            _ => {}
        }
    }
    qualified
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{
        Constraint, ConstraintKind, Function, Namespace, RoutineKind, View,
    };

    fn column(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            ..Column::default()
        }
    }

    fn invoices() -> Table {
        Table {
            columns: vec![
                column("id", "integer"),
                column("total", "numeric(10,2)"),
                column("user_id", "integer"),
            ],
            constraints: BTreeMap::from([(
                "invoices_pkey".into(),
                Constraint {
                    kind: ConstraintKind::PrimaryKey,
                    definition: "PRIMARY KEY (id)".into(),
                    comment: None,
                },
            )]),
            indexes: BTreeMap::from([(
                "invoices_user_idx".into(),
                Index {
                    definition: "USING btree (user_id)".into(),
                    comment: None,
                },
            )]),
            ..Table::default()
        }
    }

    fn base() -> SchemaModel {
        let mut m = SchemaModel::default();
        m.schemas.insert("billing".into(), Namespace::default());
        m.tables.insert("billing.invoices".into(), invoices());
        m.views.insert(
            "billing.totals".into(),
            View {
                definition: " SELECT sum(total) FROM billing.invoices;".into(),
                ..View::default()
            },
        );
        m.functions.insert(
            "public.f(integer)".into(),
            Function {
                kind: RoutineKind::Function,
                definition: "CREATE FUNCTION public.f(integer) ... SELECT 1".into(),
                ownership: Ownership::default(),
            },
        );
        m
    }

    fn table(m: &mut SchemaModel) -> &mut Table {
        m.tables.get_mut("billing.invoices").unwrap()
    }

    #[test]
    fn equal_models_have_no_differences() {
        assert!(diff(&base(), &base()).is_empty());
    }

    #[test]
    fn each_change_is_named_by_kind_and_full_name() {
        type Edit = fn(&mut SchemaModel);
        let cases: &[(&str, Edit, &[&str])] = &[
            (
                "new table",
                |m| {
                    m.tables.insert("billing.notes".into(), Table::default());
                },
                &["table billing.notes: added"],
            ),
            (
                "dropped table",
                |m| {
                    m.tables.remove("billing.invoices");
                },
                &["table billing.invoices: removed"],
            ),
            (
                "added column",
                |m| table(m).columns.push(column("memo", "text")),
                &["column billing.invoices.memo: added"],
            ),
            (
                "dropped column",
                |m| {
                    table(m).columns.remove(1);
                },
                &["column billing.invoices.total: removed"],
            ),
            (
                "changed type",
                |m| table(m).columns[1].data_type = "numeric(12,2)".into(),
                &["column billing.invoices.total: type numeric(10,2) -> numeric(12,2)"],
            ),
            (
                "changed default",
                |m| table(m).columns[1].default = Some("0".into()),
                &["column billing.invoices.total: default none -> 0"],
            ),
            (
                "reordered columns",
                |m| table(m).columns.swap(1, 2),
                &["table billing.invoices: column order id, total, user_id -> id, user_id, total"],
            ),
            (
                "dropped index",
                |m| {
                    table(m).indexes.clear();
                },
                &["index billing.invoices_user_idx: removed"],
            ),
            (
                "changed constraint",
                |m| {
                    table(m).constraints.insert(
                        "invoices_total_check".into(),
                        Constraint {
                            kind: ConstraintKind::Check,
                            definition: "CHECK (total >= 0)".into(),
                            comment: None,
                        },
                    );
                },
                &["constraint billing.invoices.invoices_total_check: added"],
            ),
            (
                "changed function body",
                |m| {
                    m.functions
                        .get_mut("public.f(integer)")
                        .unwrap()
                        .definition
                        .push_str(" + 1");
                },
                &["function public.f(integer): body changed"],
            ),
            (
                "changed view",
                |m| {
                    m.views.get_mut("billing.totals").unwrap().definition = " SELECT 1;".into();
                },
                &["view billing.totals: definition changed"],
            ),
            (
                "new owner",
                |m| {
                    m.schemas.get_mut("billing").unwrap().ownership.owner = "app".into();
                },
                &["schema billing: owner  -> app"],
            ),
        ];
        for (case, edit, want) in cases {
            let mut live = base();
            edit(&mut live);
            let got: Vec<String> = diff(&live, &base())
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, *want, "{case}");
        }
    }

    #[test]
    fn json_keeps_both_values() {
        let mut live = base();
        table(&mut live).columns[1].data_type = "numeric(12,2)".into();
        let json = serde_json::to_value(diff(&live, &base())).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "kind": "column",
                "name": "billing.invoices.total",
                "change": "changed",
                "property": "type",
                "expected": "numeric(10,2)",
                "live": "numeric(12,2)",
            }])
        );
    }

    #[test]
    fn schema_of_skips_quoted_dots() {
        assert_eq!(schema_of("billing.invoices"), "billing");
        assert_eq!(schema_of("\"a.b\".invoices"), "\"a.b\"");
    }
}
