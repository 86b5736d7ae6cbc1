//! Sqitch projects: `sqitch.plan` gives the order, `deploy/<change>.sql` the up script,
//! `revert/<change>.sql` the down script and `verify/<change>.sql` the check that
//! `migrate --verify` runs after it. Rules follow Sqitch 1.3 (`App::Sqitch::Plan`,
//! `App::Sqitch::Plan::Change`, read in Debian's sqitch 1.3.1):
//!
//! - plan lines: `%pragma=value`, `change [deps] <timestamp> <planner> <email> # note`,
//!   `@tag <timestamp> <planner> <email> # note`, blank lines and `#` comments;
//! - a change named again after a tag is *reworked*: the earlier instance's scripts
//!   are `<change>@<tag>.sql`, the tag being the first of the tags between it and its
//!   next instance whose file exists (else the first of them);
//! - `[dependencies]` must name changes earlier in the plan (`change` or
//!   `change@tag`). Conflicts (`!change`) and other projects' changes
//!   (`project:change`) are refused: pgfleet cannot check another project's registry.
//!
//! Versions are plan positions (`0001`, `0002`, ...): Sqitch plans only grow at the end.
//!
//! Transactions: Sqitch runs scripts as written (`psql -f`), and its scripts usually
//! hold `BEGIN; ... COMMIT;`. When a script is exactly one such block, pgfleet runs its
//! body in its own transaction together with the history row, which is the same
//! transaction plus an atomic record. Any other transaction control (two blocks, a
//! `COMMIT` halfway) runs as written, statement by statement, recorded after it
//! succeeds, as no-transaction migrations are.

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    Folder, Format, FormatError, Kind, Migration, PeerTable, Transaction, Verify, Version, finish,
    io_error, list, read_source,
};
use crate::migrate::script;

const PLAN: &str = "sqitch.plan";
const CONF: &str = "sqitch.conf";
const DEFAULT_REGISTRY: &str = "sqitch";

/// One change line of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    name: String,
    line: usize,
    /// Tags between this instance and the next instance of the same name (rework).
    rework_tags: Vec<String>,
    /// The dependencies in brackets, as written (pgfleet refuses conflicts).
    requires: Vec<String>,
    /// Who planned it, when, and why; `None` when the line lacks them.
    planned: Option<Planned>,
    /// The tag lines right after this change.
    tags: Vec<SqitchPlanTag>,
}

#[derive(Debug, Default)]
struct Plan {
    project: Option<String>,
    uri: Option<String>,
    changes: Vec<Change>,
}

/// The `<timestamp> <planner name> <<email>> # note` part of a plan line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// As written, in UTC: `2013-12-31T18:26:59Z`.
    pub at: String,
    pub planner_name: String,
    pub planner_email: String,
    /// After `#`, as written (escapes kept).
    pub note: String,
}

/// A Sqitch plan with what Sqitch's change and tag ids cover (App::Sqitch::Plan):
/// the registry rows peer write-back needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqitchPlan {
    pub project: String,
    pub uri: Option<String>,
    /// In plan order, one per pgfleet migration.
    pub changes: Vec<SqitchPlanChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqitchPlanChange {
    pub name: String,
    pub requires: Vec<String>,
    pub planned: Planned,
    pub tags: Vec<SqitchPlanTag>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqitchPlanTag {
    /// Without the `@`.
    pub name: String,
    pub planned: Option<Planned>,
}

/// The plan of the Sqitch project in `dir`, with each line's planner, time and note,
/// which Sqitch needs for its ids: a change or tag line without them is refused, naming
/// the line.
pub(crate) fn plan_details(dir: &Path) -> Result<SqitchPlan, FormatError> {
    let plan_path = dir.join(PLAN);
    let text = fs::read_to_string(&plan_path).map_err(io_error(&plan_path))?;
    let plan = parse_plan(&plan_path, &text)?;
    let missing = |line: usize, what: &str| {
        invalid(
            &plan_path,
            line,
            format!(
                "{what} has no `<timestamp> <planner> <<email>>`, which Sqitch needs for its ids; add them as `sqitch add` writes them"
            ),
        )
    };
    let mut changes = Vec::with_capacity(plan.changes.len());
    for change in plan.changes {
        let planned = change
            .planned
            .ok_or_else(|| missing(change.line, &format!("change `{}`", change.name)))?;
        if let Some(tag) = change.tags.iter().find(|t| t.planned.is_none()) {
            return Err(missing(
                change.line,
                &format!("tag `@{}` after it", tag.name),
            ));
        }
        changes.push(SqitchPlanChange {
            name: change.name,
            requires: change.requires,
            planned,
            tags: change.tags,
        });
    }
    Ok(SqitchPlan {
        project: plan.project.unwrap_or_default(),
        uri: plan.uri,
        changes,
    })
}

/// `<timestamp> <planner name> <<email>>` with the note after ` #`.
fn planned(rest: &str, note: Option<&str>) -> Option<Planned> {
    let rest = rest.trim();
    let (at, who) = rest.split_once(char::is_whitespace)?;
    let (name, email) = who.trim().strip_suffix('>')?.rsplit_once('<')?;
    Some(Planned {
        at: at.to_owned(),
        planner_name: name.trim().to_owned(),
        planner_email: email.to_owned(),
        note: note.unwrap_or_default().trim().to_owned(),
    })
}

pub(super) fn read(dir: &Path, history_table: Option<&PeerTable>) -> Result<Folder, FormatError> {
    let plan_path = dir.join(PLAN);
    let text = fs::read_to_string(&plan_path).map_err(io_error(&plan_path))?;
    let plan = parse_plan(&plan_path, &text)?;
    let conf = read_conf(dir);
    let extension = conf.extension.unwrap_or_else(|| "sql".to_owned());

    let mut migrations = Vec::new();
    let mut used: Vec<PathBuf> = vec![plan_path.clone()];
    for (position, change) in plan.changes.iter().enumerate() {
        let file = |kind: &str| script_path(dir, kind, change, &extension);
        let deploy = file("deploy");
        if !deploy.is_file() {
            return Err(FormatError::Syntax {
                path: plan_path.clone(),
                line: change.line,
                message: format!(
                    "change `{}` has no deploy script `{}`; restore it, or `sqitch rework`/`sqitch add` it again",
                    change.name,
                    deploy.display()
                ),
            });
        }
        let source = read_source(&deploy)?;
        let up = unwrap_transaction(&source.text, false);
        let revert = file("revert");
        let down = if revert.is_file() {
            let text = read_source(&revert)?.text;
            used.push(revert);
            Some(unwrap_transaction(&text, false).sql).filter(|s| !super::is_blank_sql(s))
        } else {
            None
        };
        let verify_path = file("verify");
        let verify = if verify_path.is_file() {
            let text = read_source(&verify_path)?.text;
            let body = unwrap_transaction(&text, true);
            used.push(verify_path.clone());
            (!super::is_blank_sql(&body.sql)).then_some(Verify {
                path: verify_path,
                sql: body.sql,
                line: body.line,
            })
        } else {
            None
        };
        used.push(deploy.clone());
        let version =
            Version::parse_integer(&format!("{:04}", position + 1)).expect("digits are a version");
        migrations.push(Migration {
            version,
            name: change.name.clone(),
            kind: Kind::Versioned,
            path: deploy,
            up: up.sql,
            up_line: up.line,
            down,
            transaction: up.transaction,
            checksum: source.checksum,
            verify,
            statements: None,
            not_runnable: None,
        });
    }
    let unmatched = unmatched(dir, &used)?;
    let mut folder = finish(dir, Format::Sqitch, migrations, unmatched)?;
    let mut peer = history_table.cloned().unwrap_or_else(|| PeerTable {
        schema: conf.registry.unwrap_or_else(|| DEFAULT_REGISTRY.to_owned()),
        table: "changes".to_owned(),
        project: None,
    });
    peer.project = plan.project;
    folder.peer = Some(peer);
    Ok(folder)
}

/// `deploy/<name>.sql`, or for a reworked instance `deploy/<name>@<tag>.sql`.
fn script_path(dir: &Path, kind: &str, change: &Change, extension: &str) -> PathBuf {
    let folder = dir.join(kind);
    if change.rework_tags.is_empty() {
        return folder.join(format!("{}.{extension}", change.name));
    }
    // Sqitch picks the first rework tag whose file exists in deploy/, for every kind.
    let candidates: Vec<String> = change
        .rework_tags
        .iter()
        .map(|tag| format!("{}@{tag}.{extension}", change.name))
        .collect();
    let chosen = candidates
        .iter()
        .find(|c| dir.join("deploy").join(c).is_file())
        .unwrap_or(&candidates[0]);
    folder.join(chosen)
}

/// Files in the project that the plan does not use (`deploy/`, `revert/`, `verify/`
/// scripts no change names), for the caller to warn about.
fn unmatched(dir: &Path, used: &[PathBuf]) -> Result<Vec<PathBuf>, FormatError> {
    let mut out = Vec::new();
    for kind in ["deploy", "revert", "verify"] {
        let folder = dir.join(kind);
        if !folder.is_dir() {
            continue;
        }
        let mut stack = vec![folder];
        while let Some(folder) = stack.pop() {
            let listing = list(&folder)?;
            stack.extend(listing.dirs);
            out.extend(listing.files.into_iter().filter(|f| !used.contains(f)));
        }
    }
    Ok(out)
}

fn invalid(path: &Path, line: usize, message: String) -> FormatError {
    FormatError::Syntax {
        path: path.to_owned(),
        line,
        message,
    }
}

fn parse_plan(path: &Path, text: &str) -> Result<Plan, FormatError> {
    let mut plan = Plan::default();
    // For each change: index in `changes`; tags seen since (for rework and `@tag` deps).
    let mut tags: Vec<(String, usize)> = Vec::new(); // (tag, number of changes before it)
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let (line, note) = raw
            .split_once(" #")
            .map_or((raw, None), |(l, n)| (l, Some(n)));
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(pragma) = line.strip_prefix('%') {
            match pragma.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                Some(("project", value)) => plan.project = Some(value.to_owned()),
                Some(("uri", value)) => plan.uri = Some(value.to_owned()),
                _ => {}
            }
            continue;
        }
        if let Some(tag) = line.strip_prefix('@') {
            let name = tag.split_whitespace().next().unwrap_or_default();
            if tags.iter().any(|(t, _)| t == name) {
                return Err(invalid(
                    path,
                    number,
                    format!("tag `@{name}` is declared twice"),
                ));
            }
            tags.push((name.to_owned(), plan.changes.len()));
            if let Some(last) = plan.changes.last_mut() {
                last.tags.push(SqitchPlanTag {
                    name: name.to_owned(),
                    planned: planned(&tag[name.len()..], note),
                });
            }
            continue;
        }
        let mut rest = line;
        let mut name = rest.split_whitespace().next().unwrap_or_default();
        rest = rest[name.len()..].trim_start();
        if let Some(stripped) = name.strip_prefix('+') {
            name = stripped;
        } else if name.starts_with('-') {
            return Err(invalid(
                path,
                number,
                format!(
                    "`{name}` asks Sqitch to revert a change; pgfleet only deploys plans that add changes: remove the line"
                ),
            ));
        }
        if name.is_empty() || name.contains(['@', ':', '[', ']', '\\']) {
            return Err(invalid(
                path,
                number,
                format!("`{name}` is not a change name"),
            ));
        }
        let mut requires = Vec::new();
        let mut after_deps = rest;
        if let Some(deps) = rest.strip_prefix('[') {
            let Some((deps, after)) = deps.split_once(']') else {
                return Err(invalid(
                    path,
                    number,
                    "`[` without `]` in the dependencies".into(),
                ));
            };
            for dep in deps.split_whitespace() {
                if let Some(conflict) = dep.strip_prefix('!') {
                    return Err(invalid(
                        path,
                        number,
                        format!(
                            "change `{name}` conflicts with `{conflict}`; pgfleet deploys plans in order and cannot honour conflicts: remove `!{conflict}` or run this project with `runner = \"sqitch deploy\"`"
                        ),
                    ));
                }
                if dep.contains(':') {
                    return Err(invalid(
                        path,
                        number,
                        format!(
                            "change `{name}` requires `{dep}` from another Sqitch project, which pgfleet cannot check; make that project a database of its own and list it in `depends_on`, then drop the dependency here"
                        ),
                    ));
                }
                let (dep_name, dep_tag) = dep
                    .split_once('@')
                    .map_or((dep, None), |(n, t)| (n, Some(t)));
                let satisfied = match dep_tag {
                    // `change@tag`: the change as it was at that tag, which must be earlier.
                    Some(tag) => tags
                        .iter()
                        .find(|(t, _)| t == tag)
                        .is_some_and(|(_, before)| {
                            plan.changes[..*before].iter().any(|c| c.name == dep_name)
                        }),
                    None => plan.changes.iter().any(|c| c.name == dep_name),
                };
                if !satisfied {
                    return Err(invalid(
                        path,
                        number,
                        format!(
                            "change `{name}` requires `{dep}`, which is not earlier in the plan; move `{name}` below it"
                        ),
                    ));
                }
                requires.push(dep.to_owned());
            }
            after_deps = after;
        }
        // A name seen before: that instance is reworked; it needs a tag in between.
        if let Some(previous) = plan.changes.iter().rposition(|c| c.name == name) {
            let between: Vec<String> = tags
                .iter()
                .filter(|(_, before)| *before > previous)
                .map(|(t, _)| t.clone())
                .collect();
            if between.is_empty() {
                return Err(invalid(
                    path,
                    number,
                    format!(
                        "change `{name}` appears twice without a tag in between; tag the plan (`sqitch tag`) before reworking it"
                    ),
                ));
            }
            plan.changes[previous].rework_tags = between;
        }
        plan.changes.push(Change {
            name: name.to_owned(),
            line: number,
            rework_tags: Vec::new(),
            requires,
            planned: planned(after_deps, note),
            tags: Vec::new(),
        });
    }
    if plan.project.is_none() && !plan.changes.is_empty() {
        // Sqitch refuses such a plan too; without it the registry cannot be read.
        return Err(invalid(
            path,
            1,
            "the plan has no `%project=<name>` line; add the project name Sqitch deployed it under"
                .into(),
        ));
    }
    Ok(plan)
}

/// What sqitch.conf says (the folder's own, else its parent's).
#[derive(Debug, Default)]
struct Conf {
    registry: Option<String>,
    extension: Option<String>,
    /// `[user] name` and `email`: who Sqitch says deployed.
    user_name: Option<String>,
    user_email: Option<String>,
}

fn read_conf(dir: &Path) -> Conf {
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .find_map(|d| fs::read_to_string(d.join(CONF)).ok())
        .map_or_else(Conf::default, |text| parse_conf(&text))
}

/// Sqitch's `user.name` and `user.email` for the project in `dir`: its sqitch.conf's,
/// else the user's (`$SQITCH_USER_CONFIG`, else `~/.sqitch/sqitch.conf`), as
/// App::Sqitch::Config layers them (the system file is not read).
pub(crate) fn user(dir: &Path) -> (Option<String>, Option<String>) {
    let local = read_conf(dir);
    let path = std::env::var_os("SQITCH_USER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".sqitch").join(CONF)));
    let user = path
        .and_then(|p| fs::read_to_string(p).ok())
        .map_or_else(Conf::default, |text| parse_conf(&text));
    (
        local.user_name.or(user.user_name),
        local.user_email.or(user.user_email),
    )
}

fn parse_conf(text: &str) -> Conf {
    let mut conf = Conf::default();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            section = line
                .trim_matches(['[', ']'])
                .replace('"', "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value
            .split(['#', ';'])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('"');
        match (section.as_str(), key.trim()) {
            ("engine pg", "registry") => conf.registry = Some(value.to_owned()),
            ("core", "extension") => conf.extension = Some(value.to_owned()),
            ("user", "name") => conf.user_name = Some(value.to_owned()),
            ("user", "email") => conf.user_email = Some(value.to_owned()),
            _ => {}
        }
    }
    conf
}

/// A script's SQL as pgfleet runs it.
#[derive(Debug, PartialEq, Eq)]
struct Body {
    sql: String,
    /// 1-based line of the file where `sql` starts.
    line: usize,
    transaction: Transaction,
}

/// Strips one outer `BEGIN; ... COMMIT;` (or, for verify scripts, `... ROLLBACK;`) so
/// pgfleet's own transaction takes its place. Any other transaction control keeps the
/// script as written and runs it outside pgfleet's transaction.
fn unwrap_transaction(text: &str, verify: bool) -> Body {
    let as_written = |transaction| Body {
        sql: text.to_owned(),
        line: 1,
        transaction,
    };
    let Ok(pieces) = script::split(text) else {
        // The engine reports the splitting error, with its line.
        return as_written(Transaction::Auto);
    };
    let control: Vec<usize> = (0..pieces.len())
        .filter(|&i| control_word(&pieces[i].sql).is_some())
        .collect();
    if control.is_empty() {
        return as_written(Transaction::Auto);
    }
    let last = pieces.len() - 1;
    let opens = control_word(&pieces[0].sql) == Some(Control::Begin);
    let closes = match control_word(&pieces[last].sql) {
        Some(Control::Commit) => true,
        Some(Control::Rollback) => verify,
        _ => false,
    };
    if control == [0, last] && last > 0 && opens && closes {
        let start = pieces[0].start_offset + pieces[0].sql.len();
        let end = pieces[last].start_offset;
        return Body {
            sql: text[start..end].to_owned(),
            line: 1 + text[..start].matches('\n').count(),
            transaction: Transaction::Auto,
        };
    }
    as_written(Transaction::Disabled)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Control {
    Begin,
    Commit,
    Rollback,
    Other,
}

/// Whether a statement controls the transaction: BEGIN / START TRANSACTION, COMMIT /
/// END, ROLLBACK / ABORT, and savepoints and two-phase commands (counted as other).
fn control_word(sql: &str) -> Option<Control> {
    let mut words = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase);
    let first = words.next()?;
    let second = words.next();
    match first.as_str() {
        "begin" if second.as_deref() != Some("atomic") => Some(Control::Begin),
        "start" if second.as_deref() == Some("transaction") => Some(Control::Begin),
        "commit" | "end" if second.as_deref() != Some("prepared") => Some(Control::Commit),
        "rollback" | "abort" if !matches!(second.as_deref(), Some("to" | "prepared")) => {
            Some(Control::Rollback)
        }
        "savepoint" | "release" | "rollback" | "commit" | "prepare" => Some(Control::Other),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, String> {
        parse_plan(Path::new("sqitch.plan"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn plans() {
        let p = plan(
            "%syntax-version=1.0.0\n%project=flipr\n\nappschema 2024-01-01T00:00:00Z Ann <a@x> # schema\nusers [appschema] 2024-01-02T00:00:00Z Ann <a@x>\n@v1.0 2024-01-03T00:00:00Z Ann <a@x>\n@v1.1 2024-01-03T00:00:01Z Ann <a@x>\nusers [users@v1.0] 2024-01-04T00:00:00Z Ann <a@x> # rework\n",
        )
        .unwrap();
        assert_eq!(p.project.as_deref(), Some("flipr"));
        let names: Vec<(&str, usize, Vec<String>)> = p
            .changes
            .iter()
            .map(|c| (c.name.as_str(), c.line, c.rework_tags.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("appschema", 4, vec![]),
                ("users", 5, vec!["v1.0".to_owned(), "v1.1".to_owned()]),
                ("users", 8, vec![]),
            ]
        );
    }

    #[test]
    fn plan_errors() {
        let head = "%project=p\n";
        let cases = [
            (
                "b [a] 2024-01-01T00:00:00Z A <a@x>\na 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:2: change `b` requires `a`, which is not earlier in the plan; move `b` below it",
            ),
            (
                "a 2024-01-01T00:00:00Z A <a@x>\na 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:3: change `a` appears twice without a tag in between",
            ),
            (
                "a [other:b] 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:2: change `a` requires `other:b` from another Sqitch project",
            ),
            (
                "a [!b] 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:2: change `a` conflicts with `b`",
            ),
            (
                "a [b@v1] 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:2: change `a` requires `b@v1`, which is not earlier",
            ),
            (
                "-a 2024-01-01T00:00:00Z A <a@x>\n",
                "sqitch.plan:2: `-a` asks Sqitch to revert a change",
            ),
        ];
        for (body, want) in cases {
            let err = plan(&format!("{head}{body}")).unwrap_err();
            assert!(err.starts_with(want), "{body:?}: {err}");
        }
        let err = plan("a 2024-01-01T00:00:00Z A <a@x>\n").unwrap_err();
        assert!(
            err.starts_with("sqitch.plan:1: the plan has no `%project=<name>` line"),
            "{err}"
        );
    }

    /// A project written by `sqitch add`, `tag` and `rework` (Debian's sqitch 1.3.1).
    #[test]
    fn reads_what_sqitch_wrote() {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sqitch/basic"
        ));
        assert_eq!(super::super::detect(dir).unwrap(), Format::Sqitch);
        let folder = read(dir, None).unwrap();
        let summary: Vec<(String, String, String, Transaction)> = folder
            .migrations
            .iter()
            .map(|m| {
                (
                    m.version.to_string(),
                    m.name.clone(),
                    m.path.strip_prefix(dir).unwrap().display().to_string(),
                    m.transaction,
                )
            })
            .collect();
        let want = [
            ("0001", "statuses", "deploy/statuses.sql", Transaction::Auto),
            (
                "0002",
                "customers",
                "deploy/customers@v1.0.sql",
                Transaction::Auto,
            ),
            (
                "0003",
                "invoices",
                "deploy/invoices.sql",
                Transaction::Disabled,
            ),
            (
                "0004",
                "customers",
                "deploy/customers.sql",
                Transaction::Auto,
            ),
        ];
        let want: Vec<(String, String, String, Transaction)> = want
            .iter()
            .map(|(v, n, p, t)| ((*v).into(), (*n).into(), (*p).into(), *t))
            .collect();
        assert_eq!(summary, want);
        assert!(folder.unmatched.is_empty(), "{:?}", folder.unmatched);
        let m = &folder.migrations[1];
        assert_eq!(m.up_line, 4);
        assert!(
            m.up.trim().starts_with("CREATE TABLE customers"),
            "{}",
            m.up
        );
        assert_eq!(
            m.down.as_deref().map(str::trim),
            Some("DROP TABLE customers;")
        );
        let verify = m.verify.as_ref().unwrap();
        assert!(verify.path.ends_with("verify/customers@v1.0.sql"));
        assert_eq!(
            verify.sql.trim(),
            "SELECT id, email FROM customers WHERE false;"
        );
        assert_eq!(
            folder.peer,
            Some(PeerTable {
                schema: "sqitch".into(),
                table: "changes".into(),
                project: Some("shop".into()),
            })
        );
    }

    #[test]
    fn registry_from_sqitch_conf() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join(CONF),
            "[core]\n\tengine = pg\n\t# registry = nope\n[engine \"pg\"]\n\tregistry = shop_registry\n",
        )
        .unwrap();
        assert_eq!(
            read_conf(tmp.path()).registry.as_deref(),
            Some("shop_registry")
        );
        fs::write(tmp.path().join(PLAN), "%project=p\n").unwrap();
        let folder = read(tmp.path(), None).unwrap();
        assert_eq!(folder.peer.unwrap().schema, "shop_registry");
        fs::write(
            tmp.path().join(CONF),
            "[core]\n\tengine = pg\n[user]\n\tname = Ann Planner\n\temail = ann@example.com\n",
        )
        .unwrap();
        let conf = read_conf(tmp.path());
        assert_eq!(conf.user_name.as_deref(), Some("Ann Planner"));
        assert_eq!(conf.user_email.as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn transactions() {
        // (script, verify?, body, line, transaction)
        let cases: [(&str, bool, &str, usize, Transaction); 6] = [
            (
                "CREATE TABLE a ();\n",
                false,
                "CREATE TABLE a ();\n",
                1,
                Transaction::Auto,
            ),
            (
                "-- Deploy p:a to pg\n\nBEGIN;\n\nCREATE TABLE a ();\n\nCOMMIT;\n",
                false,
                "\n\nCREATE TABLE a ();\n\n",
                3,
                Transaction::Auto,
            ),
            (
                "BEGIN;\nSELECT 1 FROM a WHERE false;\nROLLBACK;\n",
                true,
                "\nSELECT 1 FROM a WHERE false;\n",
                1,
                Transaction::Auto,
            ),
            // A deploy that rolls itself back, two blocks, a COMMIT halfway: as written.
            (
                "BEGIN;\nSELECT 1;\nROLLBACK;\n",
                false,
                "BEGIN;\nSELECT 1;\nROLLBACK;\n",
                1,
                Transaction::Disabled,
            ),
            (
                "BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n",
                false,
                "BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n",
                1,
                Transaction::Disabled,
            ),
            // BEGIN ATOMIC bodies and DO blocks are not transaction control.
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n",
                false,
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n",
                1,
                Transaction::Auto,
            ),
        ];
        for (text, verify, sql, line, transaction) in cases {
            assert_eq!(
                unwrap_transaction(text, verify),
                Body {
                    sql: sql.to_owned(),
                    line,
                    transaction
                },
                "{text:?}"
            );
        }
    }
}
