//! Reads the catalog into a [`SchemaModel`]: one query per object kind (not
//! one per object, so 300 tables cost the same round trips as three), inside
//! one read-only repeatable-read transaction with an empty `search_path`, so
//! the snapshot is consistent and every name the deparsers print is
//! schema-qualified (what pg_dump does too).
//!
//! Every query takes the owned schemas as `$1`; objects that belong to an
//! extension are left out (the extension stands for them), and so are the
//! peers' migration history tables, which are bookkeeping, not schema.

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

use super::model::{
    Attribute, Column, Composite, Constraint, ConstraintKind, Domain, Enum, Extension, Function,
    Identity, Index, Namespace, Ownership, RoutineKind, SchemaModel, Sequence, Table, TableKind,
    Trigger, View,
};
use crate::error::{Error, Result};

/// What to read: the schemas a logical database owns and the extensions it
/// declares.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Owned schemas; `pgfleet` is ignored if listed.
    pub schemas: Vec<String>,
    /// Extensions the manifest declares for the database; shown wherever
    /// they were installed (`CREATE EXTENSION` without `SCHEMA` puts them in
    /// `public`, which a schema placement does not own).
    pub extensions: Vec<String>,
    /// Tables left out by name in every owned schema.
    pub skip_tables: Vec<String>,
}

/// `pg_depend.deptype = 'e'`: the object is a member of an extension.
const NOT_EXTENSION_MEMBER: &str = "NOT EXISTS (SELECT 1 FROM pg_depend d \
     WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} AND d.deptype = 'e')";

fn not_member(catalog: &str, oid: &str) -> String {
    NOT_EXTENSION_MEMBER
        .replace("{catalog}", catalog)
        .replace("{oid}", oid)
}

/// `owner`, sorted `acl` (defaults spelled out via `acldefault`) and comment
/// columns for an object of catalog `catalog` whose acl/owner columns are
/// `acl`/`owner` and whose `acldefault` kind is `kind`.
fn ownership_columns(oid: &str, catalog: &str, acl: &str, owner: &str, kind: char) -> String {
    format!(
        "pg_get_userbyid({owner})::text, \
         array(SELECT a::text FROM unnest(coalesce({acl}, acldefault('{kind}', {owner}))) a ORDER BY 1), \
         obj_description({oid}, '{catalog}')"
    )
}

fn ownership(row: &Row, first: usize) -> Ownership {
    Ownership {
        owner: row.get(first),
        acl: row.get(first + 1),
        comment: row.get(first + 2),
    }
}

/// Reads everything `scope` owns.
pub async fn read(client: &Client, scope: &Scope) -> Result<SchemaModel> {
    client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
             SELECT pg_catalog.set_config('search_path', '', true)",
        )
        .await
        .map_err(Error::sql("cannot start reading the catalog"))?;
    let model = read_in_transaction(client, scope).await;
    // Read-only: nothing to keep, and a failed read leaves an aborted
    // transaction that only a rollback ends.
    let end = client.batch_execute("ROLLBACK").await;
    let model = model?;
    end.map_err(Error::sql("cannot end reading the catalog"))?;
    Ok(model)
}

async fn read_in_transaction(client: &Client, scope: &Scope) -> Result<SchemaModel> {
    let schemas: Vec<String> = scope
        .schemas
        .iter()
        .filter(|s| *s != "pgfleet")
        .cloned()
        .collect();
    let q = Queries {
        client,
        schemas: &schemas,
    };
    let mut model = SchemaModel::default();

    for row in q.rows("schemas", &schemas_sql(), &[]).await? {
        model.schemas.insert(
            row.get(0),
            Namespace {
                ownership: ownership(&row, 1),
            },
        );
    }
    for row in q
        .rows("extensions", EXTENSIONS, &[scope.extensions.as_slice()])
        .await?
    {
        model.extensions.insert(
            row.get(0),
            Extension {
                version: row.get(1),
                schema: row.get(2),
                comment: row.get(3),
            },
        );
    }
    read_types(&q, &mut model).await?;
    read_relations(&q, &mut model, &scope.skip_tables).await?;
    read_sequences(&q, &mut model, &scope.skip_tables).await?;
    for row in q.rows("functions", &functions_sql(), &[]).await? {
        let kind = match row.get::<_, String>(1).as_str() {
            "p" => RoutineKind::Procedure,
            "w" => RoutineKind::Window,
            _ => RoutineKind::Function,
        };
        model.functions.insert(
            row.get(0),
            Function {
                kind,
                definition: row.get(2),
                ownership: ownership(&row, 3),
            },
        );
    }
    Ok(model)
}

/// The client and the `$1` every query takes.
struct Queries<'a> {
    client: &'a Client,
    schemas: &'a [String],
}

impl Queries<'_> {
    /// Runs `sql` with the owned schemas as `$1` and `more` as `$2..`, all
    /// `text[]`.
    async fn rows(&self, what: &str, sql: &str, more: &[&[String]]) -> Result<Vec<Row>> {
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&self.schemas, Type::TEXT_ARRAY)];
        for list in more {
            params.push((list, Type::TEXT_ARRAY));
        }
        self.client
            .query_typed(sql, &params)
            .await
            .map_err(Error::sql(format!("cannot read {what} from the catalog")))
    }
}

fn schemas_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname), {} FROM pg_namespace n WHERE n.nspname = ANY($1)",
        ownership_columns("n.oid", "pg_namespace", "n.nspacl", "n.nspowner", 'n')
    )
}

const EXTENSIONS: &str = "SELECT quote_ident(e.extname), e.extversion, quote_ident(n.nspname), \
     obj_description(e.oid, 'pg_extension') \
     FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
     WHERE n.nspname = ANY($1) OR e.extname = ANY($2)";

async fn read_types(q: &Queries<'_>, model: &mut SchemaModel) -> Result<()> {
    let from = format!(
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = ANY($1) AND {}",
        not_member("pg_type", "t.oid")
    );
    let owner = ownership_columns("t.oid", "pg_type", "t.typacl", "t.typowner", 'T');
    let enums = format!(
        "SELECT format('%I.%I', n.nspname, t.typname), \
         array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
         {owner} {from} AND t.typtype = 'e'"
    );
    for row in q.rows("enums", &enums, &[]).await? {
        model.enums.insert(
            row.get(0),
            Enum {
                labels: row.get(1),
                ownership: ownership(&row, 2),
            },
        );
    }
    let domains = format!(
        "SELECT format('%I.%I', n.nspname, t.typname), format_type(t.typbasetype, t.typtypmod), \
         t.typnotnull, t.typdefault, \
         CASE WHEN t.typcollation <> b.typcollation THEN \
           (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co \
            JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END, \
         array(SELECT quote_ident(c.conname) FROM pg_constraint c \
               WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname), \
         array(SELECT pg_get_constraintdef(c.oid, true) FROM pg_constraint c \
               WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname), \
         {owner} FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype \
         JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = ANY($1) AND t.typtype = 'd' AND {}",
        not_member("pg_type", "t.oid")
    );
    for row in q.rows("domains", &domains, &[]).await? {
        let names: Vec<String> = row.get(5);
        let definitions: Vec<String> = row.get(6);
        model.domains.insert(
            row.get(0),
            Domain {
                data_type: row.get(1),
                not_null: row.get(2),
                default: row.get(3),
                collation: row.get(4),
                constraints: names.into_iter().zip(definitions).collect(),
                ownership: ownership(&row, 7),
            },
        );
    }
    let composites = format!(
        "SELECT format('%I.%I', n.nspname, t.typname), {owner} {from} AND t.typtype = 'c' \
         AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')"
    );
    for row in q.rows("composite types", &composites, &[]).await? {
        model.composites.insert(
            row.get(0),
            Composite {
                attributes: Vec::new(),
                ownership: ownership(&row, 1),
            },
        );
    }
    let attributes = "SELECT format('%I.%I', n.nspname, t.typname), quote_ident(a.attname), \
         format_type(a.atttypid, a.atttypmod), \
         CASE WHEN a.attcollation <> at.typcollation THEN \
           (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co \
            JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_type at ON at.oid = a.atttypid \
         WHERE n.nspname = ANY($1) ORDER BY 1, a.attnum";
    for row in q.rows("composite attributes", attributes, &[]).await? {
        if let Some(composite) = model.composites.get_mut(row.get::<_, &str>(0)) {
            composite.attributes.push(Attribute {
                name: row.get(1),
                data_type: row.get(2),
                collation: row.get(3),
            });
        }
    }
    Ok(())
}

/// Tables, views and what hangs off them (columns, constraints, indexes,
/// triggers). Rows for relations the first query left out are dropped.
async fn read_relations(
    q: &Queries<'_>,
    model: &mut SchemaModel,
    skip_tables: &[String],
) -> Result<()> {
    let relations = format!(
        "SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text, \
         c.relpersistence = 'u', \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
         array(SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i \
               JOIN pg_class pc ON pc.oid = i.inhparent \
               JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
               WHERE i.inhrelid = c.oid ORDER BY i.inhseqno), \
         CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
         c.relrowsecurity, c.relforcerowsecurity, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END, \
         {} \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'f', 'v', 'm') \
         AND NOT (c.relkind IN ('r', 'p') AND c.relname = ANY($2)) AND {}",
        ownership_columns("c.oid", "pg_class", "c.relacl", "c.relowner", 'r'),
        not_member("pg_class", "c.oid")
    );
    for row in q
        .rows("tables and views", &relations, &[skip_tables])
        .await?
    {
        let key: String = row.get(0);
        let kind: String = row.get(1);
        let ownership = ownership(&row, 9);
        match kind.as_str() {
            "v" | "m" => {
                model.views.insert(
                    key,
                    View {
                        materialized: kind == "m",
                        definition: row.get::<_, Option<String>>(8).unwrap_or_default(),
                        ownership,
                        ..View::default()
                    },
                );
            }
            _ => {
                model.tables.insert(
                    key,
                    Table {
                        kind: match kind.as_str() {
                            "p" => TableKind::Partitioned,
                            "f" => TableKind::Foreign,
                            _ => TableKind::Ordinary,
                        },
                        unlogged: row.get(2),
                        partition_key: row.get(3),
                        parents: row.get(4),
                        partition_bound: row.get(5),
                        row_security: row.get(6),
                        force_row_security: row.get(7),
                        ownership,
                        ..Table::default()
                    },
                );
            }
        }
    }

    read_columns(q, model).await?;
    read_constraints(q, model).await?;
    read_indexes(q, model).await?;
    read_triggers(q, model).await
}

/// A relation's key in the model, as the queries below select it.
const REL: &str = "format('%I.%I', n.nspname, c.relname)";
/// Relations (`c`) of the schemas in scope (`$1`).
const IN_SCOPE: &str = "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)";

/// Each table's columns, in order.
async fn read_columns(q: &Queries<'_>, model: &mut SchemaModel) -> Result<()> {
    let (rel, joins) = (REL, IN_SCOPE);
    let columns = format!(
        "SELECT {rel}, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), \
         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, \
         a.attgenerated::text, \
         CASE WHEN a.attcollation <> t.typcollation THEN \
           (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co \
            JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, \
         array(SELECT x::text FROM unnest(a.attacl) x ORDER BY 1), \
         col_description(c.oid, a.attnum) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         {joins} AND c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY 1, a.attnum"
    );
    for row in q.rows("columns", &columns, &[]).await? {
        let Some(table) = model.tables.get_mut(row.get::<_, &str>(0)) else {
            continue;
        };
        let expression: Option<String> = row.get(4);
        let generated = row.get::<_, String>(6) == "s";
        table.columns.push(Column {
            name: row.get(1),
            data_type: row.get(2),
            not_null: row.get(3),
            default: if generated { None } else { expression.clone() },
            identity: match row.get::<_, &str>(5) {
                "a" => Some(Identity::Always),
                "d" => Some(Identity::ByDefault),
                _ => None,
            },
            generated: if generated { expression } else { None },
            collation: row.get(7),
            acl: row.get(8),
            comment: row.get(9),
        });
    }

    Ok(())
}

/// Each table's constraints.
async fn read_constraints(q: &Queries<'_>, model: &mut SchemaModel) -> Result<()> {
    let (rel, joins) = (REL, IN_SCOPE);
    let constraints = format!(
        "SELECT {rel}, quote_ident(k.conname), k.contype::text, pg_get_constraintdef(k.oid, true), \
         obj_description(k.oid, 'pg_constraint') \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         {joins} AND k.contype IN ('p', 'u', 'c', 'f', 'x')"
    );
    for row in q.rows("constraints", &constraints, &[]).await? {
        let Some(table) = model.tables.get_mut(row.get::<_, &str>(0)) else {
            continue;
        };
        let kind = match row.get::<_, &str>(2) {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "f" => ConstraintKind::ForeignKey,
            "x" => ConstraintKind::Exclusion,
            _ => ConstraintKind::Check,
        };
        table.constraints.insert(
            row.get(1),
            Constraint {
                kind,
                definition: row.get(3),
                comment: row.get(4),
            },
        );
    }

    Ok(())
}

/// Each table's and materialized view's indexes: those that back a primary key,
/// unique or exclusion constraint of their own table show as that constraint.
async fn read_indexes(q: &Queries<'_>, model: &mut SchemaModel) -> Result<()> {
    let (rel, joins) = (REL, IN_SCOPE);
    let indexes = format!(
        "SELECT {rel}, quote_ident(ic.relname), pg_get_indexdef(i.indexrelid), \
         obj_description(i.indexrelid, 'pg_class') \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class c ON c.oid = i.indrelid \
         {joins} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid \
           AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))"
    );
    for row in q.rows("indexes", &indexes, &[]).await? {
        let table: &str = row.get(0);
        let name: String = row.get(1);
        let index = Index {
            definition: strip_index_head(row.get(2), &name, table),
            comment: row.get(3),
        };
        if let Some(t) = model.tables.get_mut(table) {
            t.indexes.insert(name, index);
        } else if let Some(v) = model.views.get_mut(table) {
            v.indexes.insert(name, index);
        }
    }

    Ok(())
}

/// Each table's and view's triggers (not the internal ones behind foreign keys).
async fn read_triggers(q: &Queries<'_>, model: &mut SchemaModel) -> Result<()> {
    let (rel, joins) = (REL, IN_SCOPE);
    let triggers = format!(
        "SELECT {rel}, quote_ident(g.tgname), pg_get_triggerdef(g.oid), g.tgenabled::text, \
         obj_description(g.oid, 'pg_trigger') \
         FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid \
         {joins} AND NOT g.tgisinternal"
    );
    for row in q.rows("triggers", &triggers, &[]).await? {
        let table: &str = row.get(0);
        let enabled: String = row.get(3);
        let trigger = Trigger {
            definition: row.get(2),
            enabled: (enabled != "O").then_some(enabled),
            comment: row.get(4),
        };
        if let Some(t) = model.tables.get_mut(table) {
            t.triggers.insert(row.get(1), trigger);
        } else if let Some(v) = model.views.get_mut(table) {
            v.triggers.insert(row.get(1), trigger);
        }
    }
    Ok(())
}

/// `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING ...` ->
/// `[UNIQUE ]USING ...`: the name and table are already the keys that hold
/// the index. Any other shape is kept whole.
fn strip_index_head(definition: String, name: &str, table: &str) -> String {
    let (unique, rest) = if let Some(rest) = definition.strip_prefix("CREATE UNIQUE INDEX ") {
        (true, rest)
    } else if let Some(rest) = definition.strip_prefix("CREATE INDEX ") {
        (false, rest)
    } else {
        return definition;
    };
    let tail = rest
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(" ON "))
        .map(|r| r.strip_prefix("ONLY ").unwrap_or(r))
        .and_then(|r| r.strip_prefix(table))
        .and_then(|r| r.strip_prefix(' '));
    match tail {
        Some(tail) if unique => format!("UNIQUE {tail}"),
        Some(tail) => tail.to_owned(),
        None => definition,
    }
}

async fn read_sequences(
    q: &Queries<'_>,
    model: &mut SchemaModel,
    skip_tables: &[String],
) -> Result<()> {
    // `a`: a serial column's sequence (`OWNED BY`); `i`: an identity column's.
    let sql = format!(
        "SELECT format('%I.%I', n.nspname, c.relname), format_type(s.seqtypid, NULL), \
         s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
         o.owned_by, coalesce(o.identity, false), coalesce(o.skipped, false), {} \
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN LATERAL ( \
           SELECT format('%I.%I.%I', tn.nspname, t.relname, a.attname) AS owned_by, \
                  d.deptype = 'i' AS identity, \
                  (tn.nspname = ANY($1) AND t.relname = ANY($2)) AS skipped \
           FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid \
           JOIN pg_namespace tn ON tn.oid = t.relnamespace \
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
           WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
           LIMIT 1) o ON true \
         WHERE n.nspname = ANY($1) AND {}",
        ownership_columns("c.oid", "pg_class", "c.relacl", "c.relowner", 's'),
        not_member("pg_class", "c.oid")
    );
    for row in q.rows("sequences", &sql, &[skip_tables]).await? {
        if row.get::<_, bool>(10) {
            continue;
        }
        model.sequences.insert(
            row.get(0),
            Sequence {
                data_type: row.get(1),
                start: row.get(2),
                increment: row.get(3),
                min: row.get(4),
                max: row.get(5),
                cache: row.get(6),
                cycle: row.get(7),
                owned_by: row.get(8),
                identity: row.get(9),
                ownership: ownership(&row, 11),
            },
        );
    }
    Ok(())
}

fn functions_sql() -> String {
    // Aggregates have no `pg_get_functiondef`; they are left out.
    format!(
        "SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), \
         p.prokind::text, pg_get_functiondef(p.oid), {} \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p', 'w') AND {}",
        ownership_columns("p.oid", "pg_proc", "p.proacl", "p.proowner", 'f'),
        not_member("pg_proc", "p.oid")
    )
}

#[cfg(test)]
mod tests {
    use super::strip_index_head;

    #[test]
    fn index_heads_are_stripped_to_what_the_keys_do_not_say() {
        let cases = [
            (
                "CREATE INDEX invoices_open ON billing.invoices USING btree (customer_id) WHERE (paid_at IS NULL)",
                "invoices_open",
                "billing.invoices",
                "USING btree (customer_id) WHERE (paid_at IS NULL)",
            ),
            (
                "CREATE UNIQUE INDEX \"Odd\" ON ONLY \"My\".t USING btree (a)",
                "\"Odd\"",
                "\"My\".t",
                "UNIQUE USING btree (a)",
            ),
            (
                "CREATE INDEX x ON other.t USING btree (a)",
                "x",
                "billing.t",
                "CREATE INDEX x ON other.t USING btree (a)",
            ),
        ];
        for (definition, name, table, want) in cases {
            assert_eq!(
                strip_index_head(definition.to_owned(), name, table),
                want,
                "{definition}"
            );
        }
    }
}
