//! Adoption: a database that Prisma, dbmate, sqlx, golang-migrate, Flyway,
//! node-pg-migrate, goose, Atlas, Liquibase, drizzle or Sqitch already migrated has the
//! migrations their own history tables list treated as applied, and recorded in
//! `pgfleet.history` by the next `migrate`, and again on every run after (what the tool
//! applied beside pgfleet). Writing them is [`super::peer`]'s job.
//!
//! Most tools keep their table beside the data, in an owned schema. drizzle
//! and Sqitch keep theirs in a schema of their own (`drizzle`, `sqitch`, or
//! what their config says: [`Folder::peer`]), the same in every placement:
//! a logical database placed in a schema of a shared database still finds
//! it there. Atlas keeps its table in a schema of its own unless its URL names one.

use chrono::{DateTime, Utc};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::formats::{Folder, Format, Kind, Version};
use super::history::{Row, RowKind, RowState};
use crate::connect::SqlError;
use crate::connect::{quote_ident, quote_literal};

type Result<T, E = SqlError> = std::result::Result<T, E>;
use crate::topology::Placement;

/// Migrations a peer table lists that `pgfleet.history` does not, as history
/// rows (not yet written): on the first run, what the tool applied before pgfleet
/// (adopted); later, what the tool applied beside pgfleet (a colleague's `dbmate up`),
/// recorded as applied by that tool and never run again. The table is looked for where
/// the tool keeps it for this placement ([`super::peer::search_schemas`]); folders with
/// `peer_history = "off"` are skipped.
pub async fn peer_rows(
    client: &Client,
    folders: &[Folder],
    history: &[Row],
    placement: &Placement,
) -> Result<PeerRead> {
    let schemas = &super::peer::search_schemas(placement);
    let mut rows: Vec<Row> = Vec::new();
    let mut unlisted: Vec<String> = Vec::new();
    for folder in folders {
        if !folder.peer_history.reads() {
            continue;
        }
        // Once pgfleet has recorded some of this folder, the peer table's new rows are
        // the tool's own work beside pgfleet, not an adoption.
        let tracked = folder
            .migrations
            .iter()
            .any(|m| history.iter().any(|r| r.version == m.version.as_str()));
        // `label`: how `applied_by` names the table (qualified when the
        // folder says which schema: it is not one the database owns).
        let (label, qualified) = match (&folder.peer, folder.format.history_table()) {
            (Some(peer), _) => (
                format!("{}.{}", peer.schema, peer.table),
                find_table(client, std::slice::from_ref(&peer.schema), &peer.table).await?,
            ),
            (None, Some(table)) => {
                // Atlas keeps its table in a schema of its own unless its URL names one;
                // sqlx's is the one its sqlx.toml names (`[migrate] table-name`).
                let mut places = Vec::with_capacity(schemas.len() + 1);
                if folder.format == Format::Atlas {
                    places.push("atlas_schema_revisions".to_owned());
                }
                let configured = match folder.format {
                    Format::Sqlx => sqlx_table(folder),
                    // pop's `database.yml` may name its table.
                    _ => folder.history_table.clone().map(|t| (None, t)),
                };
                let table = match configured {
                    Some((Some(schema), name)) => {
                        places.push(schema);
                        name
                    }
                    Some((None, name)) => {
                        places.extend(schemas.iter().cloned());
                        name
                    }
                    None => {
                        places.extend(schemas.iter().cloned());
                        table.to_owned()
                    }
                };
                let found = find_table(client, &places, &table).await?;
                (table, found)
            }
            (None, None) => continue,
        };
        // Hasura servers since v1.4 keep the CLI's state in their catalog
        // (`hdb_version.cli_state`), where current CLIs and pgfleet write it; a project
        // that moved there may leave the older table behind: a version either lists
        // is applied.
        let mut also: Option<String> = None;
        let (label, qualified) = if folder.format == Format::Hasura {
            match (hasura_catalog(client).await?, qualified) {
                (Some(catalog), older) => {
                    also = older;
                    (HASURA_CATALOG.to_owned(), Some(catalog))
                }
                (None, older) => (label, older),
            }
        } else {
            (label, qualified)
        };
        let applied_here = |version: &str| {
            history
                .iter()
                .any(|r| r.version == version && r.state == RowState::Applied)
        };
        let Some(qualified) = qualified else {
            unlisted.extend(
                folder
                    .migrations
                    .iter()
                    .map(|m| m.version.to_string())
                    .filter(|v| applied_here(v)),
            );
            continue;
        };
        let listed = match (read_listed(client, folder, &qualified).await?, &also) {
            (Listed::Versions(mut list), Some(older)) => {
                if let Listed::Versions(more) = read_listed(client, folder, older).await? {
                    list.extend(more);
                }
                Listed::Versions(list)
            }
            (listed, _) => listed,
        };
        for (index, migration) in folder.migrations.iter().enumerate() {
            let version = migration.version.as_str();
            if rows.iter().any(|r| r.version == version) {
                continue;
            }
            let in_history = history.iter().any(|r| r.version == version);
            let applied_at = match &listed {
                Listed::Versions(list) => list
                    .iter()
                    .find(|(v, _)| {
                        matches(
                            folder.format,
                            v,
                            &migration.version,
                            &migration.name,
                            migration.kind,
                        )
                    })
                    .map(|(_, at)| *at),
                Listed::UpTo(latest) => (migration.kind == Kind::Versioned
                    && migration.version <= *latest)
                    .then_some(None),
                Listed::Hashes(list) => list
                    .iter()
                    .find(|(hash, name, _)| {
                        *hash == migration.checksum
                            || name.as_deref()
                                == Some(&format!("{}_{}", migration.version, migration.name))
                    })
                    .map(|(_, _, at)| *at),
                Listed::Names(list) => {
                    // The n-th time a change name appears in the plan (a reworked
                    // change appears again) is deployed when the registry holds at
                    // least n rows for it.
                    let nth = folder.migrations[..index]
                        .iter()
                        .filter(|m| m.name == migration.name)
                        .count();
                    list.iter()
                        .filter(|(name, _)| *name == migration.name)
                        .nth(nth)
                        .map(|(_, at)| *at)
                }
            };
            if in_history {
                if applied_at.is_none() && applied_here(version) {
                    unlisted.push(version.to_owned());
                }
                continue;
            }
            if let Some(applied_at) = applied_at {
                rows.push(Row {
                    version: version.to_owned(),
                    name: migration.name.clone(),
                    kind: match migration.kind {
                        Kind::Versioned => RowKind::Versioned,
                        Kind::Repeatable | Kind::Always => RowKind::Repeatable,
                    },
                    checksum: migration.checksum.clone(),
                    applied_at: applied_at.unwrap_or_else(Utc::now),
                    execution_ms: 0,
                    applied_by: if tracked {
                        format!("{} (read from {label})", folder.format)
                    } else {
                        format!("adopted from {label}")
                    },
                    down_script: migration.down.clone(),
                    state: RowState::Applied,
                    error: None,
                });
            }
        }
    }
    Ok(PeerRead { rows, unlisted })
}

/// What the peer tables say, beside `pgfleet.history`.
#[derive(Debug, Default)]
pub struct PeerRead {
    /// Migrations a peer table lists that `pgfleet.history` does not (to record).
    pub rows: Vec<Row>,
    /// Migrations `pgfleet.history` has applied that their peer table does not list
    /// (or whose peer table does not exist): what an older pgfleet applied before it
    /// kept the table in step, or what someone removed from it.
    pub unlisted: Vec<String>,
}

/// The `(schema, table)` a sqlx folder's `sqlx.toml` names for its history, if any.
fn sqlx_table(folder: &Folder) -> Option<(Option<String>, String)> {
    let dir = folder.migrations.first()?.path.parent()?;
    let name = super::formats::sqlx_config(dir).ok()?.table_name?;
    Some(match name.split_once('.') {
        Some((schema, table)) => (Some(schema.to_owned()), table.to_owned()),
        None => (None, name),
    })
}

/// Where Hasura servers since v1.4 keep the CLI's migration state.
const HASURA_CATALOG: &str = "hdb_catalog.hdb_version";

/// `hdb_catalog.hdb_version`, quoted, when it holds the CLI's state (`cli_state`: servers
/// before v1.4 have the table without it).
async fn hasura_catalog(client: &Client) -> Result<Option<String>> {
    let sql = "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('\"hdb_catalog\".\"hdb_version\"') AND attname = 'cli_state' AND NOT attisdropped)";
    Ok((first_cell(client, sql).await?.as_deref() == Some("t"))
        .then(|| "\"hdb_catalog\".\"hdb_version\"".to_owned()))
}

/// How an Atlas baseline revision is listed, ahead of its version.
const ATLAS_BASELINE: &str = "baseline:";

/// What a peer table says was applied.
enum Listed {
    /// Each applied version (as the tool writes it) and when, if known.
    Versions(Vec<(String, Option<DateTime<Utc>>)>),
    /// golang-migrate keeps only the latest version; everything up to it is applied.
    UpTo(Version),
    /// drizzle: the SHA-256 of each applied file, its folder name (drizzle-kit 1.x)
    /// and when it ran (1.x), if known.
    Hashes(Vec<(String, Option<String>, Option<DateTime<Utc>>)>),
    /// Sqitch: change names deployed, in deploy order, and when.
    Names(Vec<(String, Option<DateTime<Utc>>)>),
}

fn matches(format: Format, listed: &str, version: &Version, name: &str, kind: Kind) -> bool {
    match (format, kind) {
        // Prisma lists the folder name, which is its version; Diesel and the Supabase
        // CLI their version text.
        (Format::Prisma | Format::Diesel | Format::Supabase, _) => listed == version.as_str(),
        // pop lists its version text; Ory's migrator counts a version longer than 14
        // digits as applied when its first 14 are listed (popx `UpTo`, legacy versions).
        (Format::Pop, _) => {
            let v = version.as_str();
            listed == v || (v.len() > 14 && v.get(..14) == Some(listed))
        }
        // node-pg-migrate lists the file name without `.sql`: `<version>_<name>`.
        (Format::NodePgMigrate, _) => listed == format!("{}_{name}", version.as_str()),
        // Flyway lists repeatables by description, `_` written as a space.
        (Format::Flyway, Kind::Repeatable) => {
            listed == format!("R__{}", name.replace('_', " ")) || listed == format!("R__{name}")
        }
        (Format::Flyway, Kind::Versioned) => {
            Version::parse_dotted(listed).is_some_and(|v| v == *version)
        }
        (Format::Liquibase, _) => liquibase_matches(listed, version.as_str()),
        // Atlas: a baseline revision stands for every file up to its version.
        (Format::Atlas, _) => match listed.strip_prefix(ATLAS_BASELINE) {
            Some(baseline) => Version::parse_integer(baseline).is_some_and(|b| *version <= b),
            None => Version::parse_integer(listed).is_some_and(|v| v == *version),
        },
        _ => Version::parse_integer(listed).is_some_and(|v| v == *version),
    }
}

/// Whether a `databasechangelog` row (`filename`, `id`, `author` joined by U+001F)
/// is the changeset pgfleet calls `<file>::<id>::<author>`. Liquibase writes the
/// file name as its include named it (`db/changelog/changes/001.sql`,
/// `classpath:/...`) while pgfleet's is relative to the migrations folder: they
/// match when one ends with the other at a `/`, or, failing that, by file name.
fn liquibase_matches(listed: &str, version: &str) -> bool {
    let mut parts = listed.split('\u{1f}');
    let (Some(filename), Some(id), Some(author)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some((file, rest)) = version.split_once("::") else {
        return false;
    };
    let Some((our_id, our_author)) = rest.rsplit_once("::") else {
        return false;
    };
    if id != our_id || author != our_author {
        return false;
    }
    let theirs = filename
        .trim_start_matches("classpath:")
        .trim_start_matches('/')
        .replace('\\', "/");
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
    theirs == file
        || theirs.ends_with(&format!("/{file}"))
        || file.ends_with(&format!("/{theirs}"))
        || base(&theirs) == base(file)
}

async fn find_table(client: &Client, schemas: &[String], table: &str) -> Result<Option<String>> {
    for schema in schemas {
        let qualified = format!("{}.{}", quote_ident(schema), quote_ident(table));
        let sql = format!(
            "SELECT to_regclass({}) IS NOT NULL",
            quote_literal(&qualified)
        );
        if first_cell(client, &sql).await?.as_deref() == Some("t") {
            return Ok(Some(qualified));
        }
    }
    Ok(None)
}

async fn read_listed(client: &Client, folder: &Folder, table: &str) -> Result<Listed> {
    let format = folder.format;
    let sql = match format {
        Format::Drizzle => {
            // Read as JSON: drizzle-kit 1.x added `name` and `applied_at` columns.
            let sql = format!(
                "SELECT r->>'hash', r->>'name', r->>'applied_at' FROM (SELECT to_jsonb(t) AS r FROM {table} t) s"
            );
            let rows = cells(client, &sql).await?;
            return Ok(Listed::Hashes(
                rows.into_iter()
                    .filter_map(|r| {
                        let mut r = r.into_iter();
                        let hash = r.next().flatten()?;
                        let name = r.next().flatten();
                        let at = r.next().flatten().and_then(|t| parse_json_time(&t));
                        Some((hash, name, at))
                    })
                    .collect(),
            ));
        }
        Format::Sqitch => {
            let project = folder
                .peer
                .as_ref()
                .and_then(|p| p.project.as_deref())
                .unwrap_or_default();
            let sql = format!(
                "SELECT change, committed_at::text FROM {table} WHERE project = {} ORDER BY committed_at, change_id",
                quote_literal(project)
            );
            let rows = cells(client, &sql).await?;
            return Ok(Listed::Names(
                rows.into_iter()
                    .filter_map(|r| {
                        let mut r = r.into_iter();
                        let name = r.next().flatten()?;
                        let at = r.next().flatten().and_then(|t| parse_timestamp(&t));
                        Some((name, at))
                    })
                    .collect(),
            ));
        }
        Format::Prisma => format!(
            "SELECT migration_name, finished_at::text FROM {table} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
        ),
        // Diesel's `__diesel_schema_migrations (version, run_on)`.
        Format::Diesel => format!("SELECT version, run_on::text FROM {table}"),
        // The Supabase CLI's `supabase_migrations.schema_migrations (version text, name
        // text, statements text[])`: a row is written in the file's own batch, so it
        // means applied; it keeps no time.
        Format::Supabase => format!("SELECT version, NULL FROM {table}"),
        // Hasura's `hdb_catalog.schema_migrations (version bigint, dirty boolean)`: one
        // row per applied version; a dirty one failed half-way and is not applied.
        // Its catalog state: `cli_state -> 'migrations' -> <source>`, version -> dirty.
        Format::Hasura if table.ends_with("\"hdb_version\"") => format!(
            "SELECT m.key, NULL FROM {table} v, jsonb_each(v.cli_state -> 'migrations' -> {}) m WHERE m.value = 'false'::jsonb",
            quote_literal(
                folder
                    .peer
                    .as_ref()
                    .and_then(|p| p.project.as_deref())
                    .unwrap_or("default")
            )
        ),
        Format::Hasura => format!("SELECT version::text, NULL FROM {table} WHERE NOT dirty"),
        // graphile-migrate's `filename` is `NNNNNN.sql`, without the message slug.
        Format::GraphileMigrate => {
            format!("SELECT regexp_replace(filename, '\\.sql$', ''), date::text FROM {table}")
        }
        // node-pg-migrate's `pgmigrations (id, name, run_on)`.
        Format::NodePgMigrate => format!("SELECT name, run_on::text FROM {table}"),
        Format::Sqlx => {
            format!("SELECT version::text, installed_on::text FROM {table} WHERE success")
        }
        Format::Flyway => format!(
            "SELECT coalesce(version, 'R__' || description), installed_on::text FROM {table} WHERE success"
        ),
        Format::GolangMigrate => {
            let rows = cells(
                client,
                &format!("SELECT version::text, dirty::text FROM {table}"),
            )
            .await?;
            let latest = rows
                .iter()
                .filter(|r| r.get(1).and_then(Option::as_deref) == Some("f"))
                .filter_map(|r| r.first().cloned().flatten())
                .filter_map(|v| Version::parse_integer(&v))
                .max();
            return Ok(latest.map_or(Listed::Versions(Vec::new()), Listed::UpTo));
        }
        // goose: one row per up or down, the latest per version wins; version 0 is
        // goose's own first row.
        Format::Goose => format!(
            "SELECT version_id::text, tstamp::text FROM (
                 SELECT DISTINCT ON (version_id) version_id, tstamp, is_applied
                   FROM {table} WHERE version_id <> 0 ORDER BY version_id, id DESC) latest
              WHERE is_applied"
        ),
        // Atlas: a revision is applied when all its statements are (`applied = total`);
        // type bit 1 is a baseline, bit 4 a revision resolved by hand (`migrate set`).
        Format::Atlas => format!(
            "SELECT CASE WHEN type & 1 = 1 THEN {} || version ELSE version END, executed_at::text
               FROM {table} WHERE applied >= total OR type & 5 <> 0",
            quote_literal(ATLAS_BASELINE)
        ),
        // Liquibase: id + author + filename identify a changeset; MARK_RAN and RERAN
        // rows count as run, FAILED and SKIPPED ones do not.
        Format::Liquibase => format!(
            "SELECT filename || chr(31) || id || chr(31) || author, dateexecuted::text
               FROM {table} WHERE exectype IN ('EXECUTED', 'RERAN', 'MARK_RAN')"
        ),
        // dbmate's `schema_migrations (version varchar)`; golang-migrate's
        // table of the same name has a `dirty` column and is read above.
        _ => format!("SELECT version::text, NULL FROM {table}"),
    };
    let rows = cells(client, &sql).await?;
    Ok(Listed::Versions(
        rows.into_iter()
            .filter_map(|r| {
                let version = r.first().cloned().flatten()?;
                let at = r
                    .get(1)
                    .cloned()
                    .flatten()
                    .and_then(|t| parse_timestamp(&t));
                Some((version, at))
            })
            .collect(),
    ))
}

fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(&format!("{text}00"), "%Y-%m-%d %H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A `timestamptz` as `to_jsonb` writes it: `2026-11-25T21:43:09.123456+00:00`.
fn parse_json_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

async fn cells(client: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(SqlError::with(format!("cannot read `{sql}`")))?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

async fn first_cell(client: &Client, sql: &str) -> Result<Option<String>> {
    Ok(cells(client, sql)
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liquibase_rows_match_tolerantly() {
        let row = |f: &str| format!("{f}\u{1f}1\u{1f}jane");
        let cases = [
            (row("changes/001.sql"), "changes/001.sql::1::jane", true),
            (
                row("db/changelog/changes/001.sql"),
                "changes/001.sql::1::jane",
                true,
            ),
            (
                row("classpath:/db/changelog/changes/001.sql"),
                "changes/001.sql::1::jane",
                true,
            ),
            (row("001.sql"), "changes/001.sql::1::jane", true),
            (row("changes/001.sql"), "changes/001.sql::2::jane", false),
            (row("changes/001.sql"), "changes/001.sql::1::bob", false),
            (row("changes/002.sql"), "changes/001.sql::1::jane", false),
        ];
        for (listed, version, want) in cases {
            assert_eq!(
                liquibase_matches(&listed, version),
                want,
                "{listed} {version}"
            );
        }
    }

    #[test]
    fn timestamps_from_postgres_text() {
        assert!(parse_timestamp("2025-10-19 09:00:00.123456+00").is_some());
        assert!(parse_timestamp("2025-10-19 09:00:00+02").is_some());
        assert!(parse_timestamp("2025-10-19 09:00:00.5").is_some());
    }
}
