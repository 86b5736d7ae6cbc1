//! Sqitch's registry, kept in step as Sqitch 1.3's `App::Sqitch::Engine::pg` keeps it
//! (read in Debian's sqitch 1.3.1: `Engine/pg.sql`, `Engine/pg.pm`,
//! `Role/DBIEngine.pm`). Unlike the other tools' one table, a Sqitch deploy writes
//! several: the project in `projects`, the change in `changes`, its requirements in
//! `dependencies`, the tags that follow it in the plan in `tags`, and a `deploy` row in
//! `events`; a revert deletes the change's `tags`, `dependencies` and `changes` rows and
//! adds a `revert` event. All of it lives in the registry schema (`sqitch`, or
//! `sqitch.conf`'s `[engine "pg"] registry`), whatever the placement.
//!
//! Who commits, as `App::Sqitch` `user_name` and `user_email` decide:
//! `SQITCH_FULLNAME` / `SQITCH_EMAIL`, else the config's `user.name` / `user.email`
//! (the project's sqitch.conf, else the user's), else `SQITCH_ORIG_FULLNAME` /
//! `SQITCH_ORIG_EMAIL`, else the system user (`$USER`; its passwd full name is not
//! read) and `<user>@<hostname>`.
//!
//! An older registry (before Sqitch 1.0 there was no `changes.script_hash`, nor a
//! `releases` table) is written with the columns and tables it has, as that Sqitch
//! wrote it; `sqitch upgrade` fills `script_hash` in later from the plan.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tokio_postgres::Client;

use super::{Sink, checksum, lit};
use crate::connect::quote_ident;
use crate::migrate::MigrateError;
use crate::migrate::formats::{self, Folder, SqitchPlan};

/// The registry release pgfleet's DDL creates (`App::Sqitch::Engine` `registry_release`).
const RELEASE: &str = "1.1";

/// The registry tables besides `changes`, which pgfleet writes when they are there.
pub(super) const TABLES: [&str; 5] = ["releases", "projects", "tags", "dependencies", "events"];

/// What pgfleet needs to write a Sqitch project's registry rows.
#[derive(Debug, Clone)]
pub(super) struct Registry {
    pub(super) plan: SqitchPlan,
    pub(super) ids: Vec<checksum::SqitchIds>,
    /// The deploy script of each change, in plan order (its SHA-1 is `script_hash`).
    pub(super) deploys: Vec<PathBuf>,
    /// The columns `changes` has; every one of Sqitch's when pgfleet creates it.
    pub(super) change_columns: BTreeSet<String>,
    /// Which of [`TABLES`] the registry has; all when pgfleet creates it.
    pub(super) tables: BTreeSet<String>,
    pub(super) committer_name: String,
    pub(super) committer_email: String,
}

/// The Sqitch project folder a migration's deploy script is in.
fn project_dir(folder: &Folder) -> Option<PathBuf> {
    let first = folder.migrations.first()?;
    first
        .path
        .ancestors()
        .skip(1)
        .find(|d| d.join("sqitch.plan").is_file())
        .map(Path::to_path_buf)
}

/// The registry of `folder` in `schema`: its plan, ids, and which of Sqitch's tables and
/// columns are there (`exists`: whether `changes` is). `None` for a folder without
/// migrations.
pub(super) async fn prepare(
    client: &Client,
    db: &str,
    folder: &Folder,
    schema: &str,
    columns: &[super::shape::Column],
) -> Result<Option<Registry>, MigrateError> {
    let Some(dir) = project_dir(folder) else {
        return Ok(None);
    };
    // Sqitch's ids cover each line's planner and time: without them no row can be
    // Sqitch's (and Sqitch refuses the plan too).
    let plan = formats::sqitch_plan(&dir).map_err(|e| MigrateError::PeerTable {
        db: db.to_owned(),
        table: format!("{schema}.changes"),
        problem: format!("cannot be written as Sqitch writes it: {e}"),
    })?;
    let ids = checksum::sqitch_ids(&plan);
    let exists = !columns.is_empty();
    let (change_columns, tables) = if exists {
        let mut tables = BTreeSet::new();
        for table in TABLES {
            if !super::shape::columns(client, db, schema, table)
                .await?
                .is_empty()
            {
                tables.insert(table.to_owned());
            }
        }
        (columns.iter().map(|c| c.name.clone()).collect(), tables)
    } else {
        (
            CHANGE_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
            TABLES.iter().map(|t| (*t).to_owned()).collect(),
        )
    };
    let (committer_name, committer_email) = committer(formats::sqitch_user(&dir));
    Ok(Some(Registry {
        plan,
        ids,
        deploys: folder.migrations.iter().map(|m| m.path.clone()).collect(),
        change_columns,
        tables,
        committer_name,
        committer_email,
    }))
}

/// `changes`' columns in Sqitch 1.3's registry.
pub(super) const CHANGE_COLUMNS: [&str; 11] = [
    "change_id",
    "script_hash",
    "change",
    "project",
    "note",
    "committed_at",
    "committer_name",
    "committer_email",
    "planned_at",
    "planner_name",
    "planner_email",
];

/// Who Sqitch would say committed, given its config's `user.name` and `user.email`.
fn committer((conf_name, conf_email): (Option<String>, Option<String>)) -> (String, String) {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    let user = env("USER")
        .or_else(|| env("LOGNAME"))
        .unwrap_or_else(|| "pgfleet".to_owned());
    let name = env("SQITCH_FULLNAME")
        .or(conf_name)
        .or_else(|| env("SQITCH_ORIG_FULLNAME"))
        .unwrap_or_else(|| user.clone());
    let email = env("SQITCH_EMAIL")
        .or(conf_email)
        .or_else(|| env("SQITCH_ORIG_EMAIL"))
        .unwrap_or_else(|| format!("{user}@{}", hostname()));
    (name, email)
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Sqitch's `pg.sql` (registry 1.1), guarded, and the `releases` row
/// `_register_release` adds after it.
pub(super) fn create_sql(sink: &Sink, registry: &Registry) -> String {
    let s = quote_ident(&sink.schema);
    let mut sql = String::new();
    let _ = writeln!(sql, "CREATE SCHEMA IF NOT EXISTS {s};");
    let _ = writeln!(
        sql,
        "COMMENT ON SCHEMA {s} IS 'Sqitch database deployment metadata v{RELEASE}.';"
    );
    let _ = write!(
        sql,
        "CREATE TABLE IF NOT EXISTS {s}.releases (
    version         REAL        PRIMARY KEY,
    installed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    installer_name  TEXT        NOT NULL,
    installer_email TEXT        NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.projects (
    project         TEXT        PRIMARY KEY,
    uri             TEXT            NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    creator_name    TEXT        NOT NULL,
    creator_email   TEXT        NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.changes (
    change_id       TEXT        PRIMARY KEY,
    script_hash     TEXT            NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES {s}.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, script_hash)
);
CREATE TABLE IF NOT EXISTS {s}.tags (
    tag_id          TEXT        PRIMARY KEY,
    tag             TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES {s}.projects(project) ON UPDATE CASCADE,
    change_id       TEXT        NOT NULL REFERENCES {s}.changes(change_id) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, tag)
);
CREATE TABLE IF NOT EXISTS {s}.dependencies (
    change_id       TEXT        NOT NULL REFERENCES {s}.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE,
    type            TEXT        NOT NULL,
    dependency      TEXT        NOT NULL,
    dependency_id   TEXT            NULL REFERENCES {s}.changes(change_id) ON UPDATE CASCADE CONSTRAINT dependencies_check CHECK (
            (type = 'require'  AND dependency_id IS NOT NULL)
         OR (type = 'conflict' AND dependency_id IS NULL)
    ),
    PRIMARY KEY (change_id, dependency)
);
CREATE TABLE IF NOT EXISTS {s}.events (
    event           TEXT        NOT NULL CONSTRAINT events_event_check CHECK (
        event IN ('deploy', 'revert', 'fail', 'merge')
    ),
    change_id       TEXT        NOT NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES {s}.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    requires        TEXT[]      NOT NULL DEFAULT '{{}}',
    conflicts       TEXT[]      NOT NULL DEFAULT '{{}}',
    tags            TEXT[]      NOT NULL DEFAULT '{{}}',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    PRIMARY KEY (change_id, committed_at)
);
INSERT INTO {s}.releases (version, installed_at, installer_name, installer_email)
 SELECT {RELEASE}, clock_timestamp(), {n}, {e} WHERE NOT EXISTS (SELECT 1 FROM {s}.releases);
",
        n = lit(&registry.committer_name),
        e = lit(&registry.committer_email),
    );
    sql
}

/// `'{a,b}'::text[]` of `items`.
fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "'{}'::text[]".to_owned();
    }
    let list: Vec<String> = items.iter().map(|i| lit(i)).collect();
    format!("ARRAY[{}]::text[]", list.join(", "))
}

/// The plan index of the change `dep` names, as Sqitch resolves a dependency of the
/// change at `at` (App::Sqitch::Plan::Depend `id`, ChangeList `find`): `name` is the
/// first instance of that name in the plan; `name@tag` the last instance at or before
/// the change the tag follows.
fn resolve(plan: &SqitchPlan, dep: &str) -> Option<usize> {
    match dep.split_once('@') {
        None => plan.changes.iter().position(|c| c.name == dep),
        Some((name, tag)) => {
            let tagged = plan
                .changes
                .iter()
                .position(|c| c.tags.iter().any(|t| t.name == tag))?;
            (0..=tagged).rev().find(|&i| plan.changes[i].name == name)
        }
    }
}

/// SQL recording the change at plan `index` as deployed, as `log_deploy_change` does
/// (after `register_project`): guarded, so what Sqitch already recorded stays.
pub(super) fn applied(sink: &Sink, registry: &Registry, index: usize) -> String {
    let (Some(change), Some(ids)) = (registry.plan.changes.get(index), registry.ids.get(index))
    else {
        return String::new();
    };
    let s = quote_ident(&sink.schema);
    let t = &sink.qualified;
    let has = |table: &str| registry.tables.contains(table);
    let project = lit(&registry.plan.project);
    let id = lit(&ids.change_id);
    let (cn, ce) = (
        lit(&registry.committer_name),
        lit(&registry.committer_email),
    );
    let note = lit(&checksum::sqitch_note(&change.planned.note));
    let planned_at = lit(&change.planned.at);
    let (pn, pe) = (
        lit(&change.planned.planner_name),
        lit(&change.planned.planner_email),
    );
    let mut sql = String::new();
    // Engine `_sync_plan` before a deploy: tags added to the plan after the latest
    // deployed change are logged on it (`log_new_tags`).
    if has("tags") && index > 0 {
        sql.push_str(&tags_sql(sink, registry, index - 1));
    }
    if has("projects") {
        let uri = registry
            .plan
            .uri
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), lit);
        let _ = writeln!(
            sql,
            "INSERT INTO {s}.projects (project, uri, creator_name, creator_email) SELECT {project}, {uri}, {cn}, {ce} WHERE NOT EXISTS (SELECT 1 FROM {s}.projects WHERE project = {project});"
        );
    }
    // The event first: it is only written when the change is not there yet.
    if has("events") {
        let tags: Vec<String> = change.tags.iter().map(|t| format!("@{}", t.name)).collect();
        let _ = writeln!(
            sql,
            "INSERT INTO {s}.events (event, change_id, change, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
 SELECT 'deploy', {id}, {name}, {project}, {note}, {tags}, {requires}, '{{}}'::text[], {cn}, {ce}, {planned_at}, {pn}, {pe}, clock_timestamp()
  WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE change_id = {id});",
            name = lit(&change.name),
            tags = array(&tags),
            requires = array(&change.requires),
        );
    }
    let script_hash = registry
        .deploys
        .get(index)
        .and_then(|p| std::fs::read(p).ok())
        .map(|bytes| lit(&checksum::sqitch_script_hash(&bytes)));
    let values = [
        ("change_id", Some(id.clone())),
        ("script_hash", script_hash),
        ("change", Some(lit(&change.name))),
        ("project", Some(project.clone())),
        ("note", Some(note)),
        ("committer_name", Some(cn.clone())),
        ("committer_email", Some(ce.clone())),
        ("planned_at", Some(planned_at)),
        ("planner_name", Some(pn)),
        ("planner_email", Some(pe)),
        ("committed_at", Some("clock_timestamp()".to_owned())),
    ];
    let (columns, values): (Vec<&str>, Vec<String>) = values
        .into_iter()
        .filter(|(c, _)| registry.change_columns.contains(*c))
        .filter_map(|(c, v)| Some((c, v?)))
        .unzip();
    let _ = writeln!(
        sql,
        "INSERT INTO {t} ({}) SELECT {} WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE change_id = {id});",
        columns.join(", "),
        values.join(", ")
    );
    if has("dependencies") {
        for dep in &change.requires {
            let Some(dep_id) = resolve(&registry.plan, dep).and_then(|i| registry.ids.get(i))
            else {
                continue;
            };
            let d = lit(dep);
            let _ = writeln!(
                sql,
                "INSERT INTO {s}.dependencies (change_id, type, dependency, dependency_id) SELECT {id}, 'require', {d}, {} WHERE NOT EXISTS (SELECT 1 FROM {s}.dependencies WHERE change_id = {id} AND dependency = {d});",
                lit(&dep_id.change_id)
            );
        }
    }
    if has("tags") {
        sql.push_str(&tags_sql(sink, registry, index));
    }
    sql
}

/// The `tags` rows of the tags after the change at plan `index`, for a change whose
/// `changes` row is there (`log_deploy_change` with it, `log_new_tags` for tags added
/// to the plan after it was deployed), each guarded.
fn tags_sql(sink: &Sink, registry: &Registry, index: usize) -> String {
    let (Some(change), Some(ids)) = (registry.plan.changes.get(index), registry.ids.get(index))
    else {
        return String::new();
    };
    let s = quote_ident(&sink.schema);
    let t = &sink.qualified;
    let project = lit(&registry.plan.project);
    let id = lit(&ids.change_id);
    let (cn, ce) = (
        lit(&registry.committer_name),
        lit(&registry.committer_email),
    );
    let mut sql = String::new();
    for (tag, tag_id) in change.tags.iter().zip(&ids.tag_ids) {
        let Some(planned) = &tag.planned else {
            continue;
        };
        let tid = lit(tag_id);
        let _ = writeln!(
            sql,
            "INSERT INTO {s}.tags (tag_id, tag, project, change_id, note, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
 SELECT {tid}, {tag}, {project}, {id}, {note}, {cn}, {ce}, {at}, {pn}, {pe}, clock_timestamp()
  WHERE EXISTS (SELECT 1 FROM {t} WHERE change_id = {id})
    AND NOT EXISTS (SELECT 1 FROM {s}.tags WHERE tag_id = {tid} OR (project = {project} AND tag = {tag}));",
            tag = lit(&format!("@{}", tag.name)),
            note = lit(&checksum::sqitch_note(&planned.note)),
            at = lit(&planned.at),
            pn = lit(&planned.planner_name),
            pe = lit(&planned.planner_email),
        );
    }
    sql
}

/// SQL recording the change at plan `index` as reverted, as pg's `log_revert_change`
/// does: its tags and dependencies go (the event lists them), then its `changes` row,
/// and a `revert` event follows.
pub(super) fn rolled_back(sink: &Sink, registry: &Registry, index: usize) -> String {
    let (Some(change), Some(ids)) = (registry.plan.changes.get(index), registry.ids.get(index))
    else {
        return String::new();
    };
    let s = quote_ident(&sink.schema);
    let t = &sink.qualified;
    let has = |table: &str| registry.tables.contains(table);
    let id = lit(&ids.change_id);
    let mut sql = String::new();
    if has("events") {
        let tags = if has("tags") {
            format!("ARRAY(SELECT tag FROM {s}.tags WHERE change_id = {id})")
        } else {
            "'{}'::text[]".to_owned()
        };
        let deps = |kind: &str| {
            if has("dependencies") {
                format!(
                    "ARRAY(SELECT dependency FROM {s}.dependencies WHERE change_id = {id} AND type = '{kind}')"
                )
            } else {
                "'{}'::text[]".to_owned()
            }
        };
        let _ = writeln!(
            sql,
            "INSERT INTO {s}.events (event, change_id, change, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
 SELECT 'revert', {id}, {name}, {project}, {note}, {tags}, {requires}, {conflicts}, {cn}, {ce}, {at}, {pn}, {pe}, clock_timestamp()
  WHERE EXISTS (SELECT 1 FROM {t} WHERE change_id = {id});",
            name = lit(&change.name),
            project = lit(&registry.plan.project),
            note = lit(&checksum::sqitch_note(&change.planned.note)),
            requires = deps("require"),
            conflicts = deps("conflict"),
            cn = lit(&registry.committer_name),
            ce = lit(&registry.committer_email),
            at = lit(&change.planned.at),
            pn = lit(&change.planned.planner_name),
            pe = lit(&change.planned.planner_email),
        );
    }
    if has("tags") {
        let _ = writeln!(sql, "DELETE FROM {s}.tags WHERE change_id = {id};");
    }
    if has("dependencies") {
        let _ = writeln!(sql, "DELETE FROM {s}.dependencies WHERE change_id = {id};");
    }
    let _ = writeln!(sql, "DELETE FROM {t} WHERE change_id = {id};");
    sql
}

/// The plan index of `migration` (Sqitch versions are plan positions).
pub(super) fn index(sink: &Sink, version: &str) -> Option<usize> {
    sink.versions
        .iter()
        .position(|m| m.version.as_str() == version)
}
