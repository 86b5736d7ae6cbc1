//! Pictures of a resolved fleet: servers -> physical databases -> logical
//! databases and their schemas, with dependency arrows, as text, Graphviz DOT
//! or Mermaid. Pure: the caller passes in what it knows of the servers.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::manifest::Manifest;
use crate::topology::{Placement, Topology};

/// How each server is shown in the picture, e.g. `embedded, port 54329`.
pub type ServerLabels = BTreeMap<String, String>;

/// The text picture, as a tree.
pub fn text(manifest: &Manifest, topology: &Topology, labels: &ServerLabels) -> String {
    let mut out = format!("workspace `{}`, env `{}`", manifest.name, topology.env);
    if topology.protected.is_some() {
        out.push_str(" (protected)");
    }
    out.push('\n');
    for (server, physicals) in tree(topology) {
        let _ = writeln!(
            out,
            "server {server} ({})",
            labels.get(server).map_or("", String::as_str)
        );
        let count = physicals.len();
        for (i, (physical, placements)) in physicals.iter().enumerate() {
            let last = i + 1 == count;
            let _ = writeln!(out, "{} {physical}", if last { "└──" } else { "├──" });
            let indent = if last { "    " } else { "│   " };
            for (j, p) in placements.iter().enumerate() {
                let branch = if j + 1 == placements.len() {
                    "└──"
                } else {
                    "├──"
                };
                let deps = &manifest.databases[&p.database].depends_on;
                let arrow = if deps.is_empty() {
                    String::new()
                } else {
                    format!(" -> {}", deps.join(", "))
                };
                let _ = writeln!(
                    out,
                    "{indent}{branch} {} [{}]{arrow}",
                    p.database,
                    p.owned_schemas.join(", ")
                );
            }
        }
    }
    let references: Vec<String> = manifest
        .order
        .iter()
        .flat_map(|db| {
            manifest.databases[db].references.iter().map(move |r| {
                let from = [
                    r.from.schema.as_deref(),
                    Some(&r.from.table),
                    Some(&r.from.column),
                ];
                let to = [
                    r.to.schema.as_deref(),
                    Some(&r.to.table),
                    Some(&r.to.column),
                ];
                format!(
                    "  {db}.{} ~> {}.{}",
                    dotted(&from),
                    r.to_database,
                    dotted(&to)
                )
            })
        })
        .collect();
    if !references.is_empty() {
        out.push_str("references (checked by `pgfleet verify`):\n");
        for r in references {
            out.push_str(&r);
            out.push('\n');
        }
    }
    out
}

/// A Graphviz digraph: one cluster per server and per physical database.
pub fn dot(manifest: &Manifest, topology: &Topology, labels: &ServerLabels) -> String {
    let mut out = String::from("digraph fleet {\n  rankdir=LR;\n  node [shape=box];\n");
    for (server, physicals) in tree(topology) {
        let label = format!(
            "server {server}\\n{}",
            labels.get(server).map_or("", String::as_str)
        );
        let _ = writeln!(
            out,
            "  subgraph {} {{\n    label={};",
            dot_id(&format!("cluster_{server}")),
            dot_id(&label)
        );
        for (physical, placements) in physicals {
            let _ = writeln!(
                out,
                "    subgraph {} {{\n      label={};",
                dot_id(&format!("cluster_{server}_{physical}")),
                dot_id(physical)
            );
            for p in placements {
                let label = format!("{}\\n[{}]", p.database, p.owned_schemas.join(", "));
                let _ = writeln!(
                    out,
                    "      {} [label={}];",
                    dot_id(&p.database),
                    dot_id(&label)
                );
            }
            out.push_str("    }\n");
        }
        out.push_str("  }\n");
    }
    for db in &manifest.order {
        for dep in &manifest.databases[db].depends_on {
            let _ = writeln!(out, "  {} -> {};", dot_id(db), dot_id(dep));
        }
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart with nested subgraphs.
pub fn mermaid(manifest: &Manifest, topology: &Topology, labels: &ServerLabels) -> String {
    let mut out = String::from("flowchart LR\n");
    for (server, physicals) in tree(topology) {
        let label = format!(
            "server {server} ({})",
            labels.get(server).map_or("", String::as_str)
        );
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            mermaid_id("s", server),
            mermaid_text(&label)
        );
        for (physical, placements) in physicals {
            let _ = writeln!(
                out,
                "    subgraph {}[\"{}\"]",
                mermaid_id("p", &format!("{server}_{physical}")),
                mermaid_text(physical)
            );
            for p in placements {
                let label = format!("{} [{}]", p.database, p.owned_schemas.join(", "));
                let _ = writeln!(
                    out,
                    "      {}[\"{}\"]",
                    mermaid_id("d", &p.database),
                    mermaid_text(&label)
                );
            }
            out.push_str("    end\n");
        }
        out.push_str("  end\n");
    }
    for db in &manifest.order {
        for dep in &manifest.databases[db].depends_on {
            let _ = writeln!(
                out,
                "  {} --> {}",
                mermaid_id("d", db),
                mermaid_id("d", dep)
            );
        }
    }
    out
}

type Tree<'a> = BTreeMap<&'a str, Vec<(&'a str, Vec<&'a Placement>)>>;

/// Server -> physical database (in first-use order) -> placements.
fn tree(topology: &Topology) -> Tree<'_> {
    let mut tree: Tree<'_> = BTreeMap::new();
    for p in &topology.placements {
        let physicals = tree.entry(p.server.as_str()).or_default();
        match physicals.iter_mut().find(|(name, _)| *name == p.physical) {
            Some((_, list)) => list.push(p),
            None => physicals.push((&p.physical, vec![p])),
        }
    }
    tree
}

fn dotted(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(".")
}

fn dot_id(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace("\\\\n", "\\n")
    )
}

fn mermaid_id(prefix: &str, s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{body}")
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::resolve;

    fn fleet() -> (Manifest, Topology) {
        let m = Manifest::from_str_for_test(
            r#"
            [servers.local]
            embedded = true
            [databases.auth]
            [databases.billing]
            depends_on = ["auth"]
            [[databases.billing.references]]
            from = "invoices.user_id"
            to = "auth.users.id"
            [envs.single]
            database = "fleet"
            schema = "{name}"
            "#,
            &[],
        )
        .unwrap();
        let t = resolve(&m, "single").unwrap();
        (m, t)
    }

    #[test]
    fn text_shows_servers_databases_schemas_and_arrows() {
        let (m, t) = fleet();
        let labels = ServerLabels::from([("local".into(), "embedded, port 5555".into())]);
        assert_eq!(
            text(&m, &t, &labels),
            "workspace `test`, env `single`\n\
             server local (embedded, port 5555)\n\
             └── fleet\n    \
                 ├── auth [auth]\n    \
                 └── billing [billing] -> auth\n\
             references (checked by `pgfleet verify`):\n  \
               billing.invoices.user_id ~> auth.users.id\n"
        );
    }

    #[test]
    fn dot_and_mermaid_have_the_edges() {
        let (m, t) = fleet();
        let labels = ServerLabels::new();
        let dot = dot(&m, &t, &labels);
        assert!(dot.contains("\"billing\" -> \"auth\";"), "{dot}");
        assert!(dot.contains("subgraph \"cluster_local_fleet\""), "{dot}");
        let mermaid = mermaid(&m, &t, &labels);
        assert!(mermaid.contains("d_billing --> d_auth"), "{mermaid}");
        assert!(
            mermaid.contains("subgraph p_local_fleet[\"fleet\"]"),
            "{mermaid}"
        );
    }
}
