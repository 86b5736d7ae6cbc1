//! Where a peer tool's table and `pgfleet.history` disagree, for `status` and `verify`:
//! a migration pgfleet applied that the tool's table does not list (the tool would run
//! it again), and a row whose checksum is not the file's (the file changed after the
//! tool applied it: the tool refuses it, or re-runs it). Reported, never resolved here.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::{Sink, Writer, checksum, write};
use crate::migrate::MigrateError;
use crate::migrate::formats::{Format, Migration};

/// One disagreement between a peer table and pgfleet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disagreement {
    /// The migration, when it is about one.
    pub version: Option<String>,
    /// `schema.table`.
    pub table: String,
    pub problem: String,
}

impl Writer {
    /// The disagreements of this writer's tables: `unlisted` are the migrations
    /// `pgfleet.history` has applied that their peer table does not list.
    pub async fn disagreements(
        &self,
        client: &Client,
        db: &str,
        unlisted: &[String],
    ) -> Result<Vec<Disagreement>, MigrateError> {
        let mut found = Vec::new();
        for version in unlisted {
            if let Some(sink) = self.sink(version) {
                found.push(Disagreement {
                    version: Some(version.clone()),
                    table: format!("{}.{}", sink.schema, sink.table),
                    problem: format!(
                        "applied by pgfleet, not listed in the table: {} would run it again until the next `pgfleet migrate` writes its row",
                        tool(sink.format)
                    ),
                });
            }
        }
        for sink in self.sinks.iter().filter(|s| s.exists) {
            found.extend(checksum_mismatches(client, db, sink).await?);
        }
        Ok(found)
    }
}

fn tool(format: Format) -> &'static str {
    super::shape::of(format).map_or("the tool", |s| s.tool)
}

/// Rows whose checksum is not the one the tool computes for the file as it is now.
async fn checksum_mismatches(
    client: &Client,
    db: &str,
    sink: &Sink,
) -> Result<Vec<Disagreement>, MigrateError> {
    let t = &sink.qualified;
    let sql = match sink.format {
        Format::Prisma => format!(
            "SELECT migration_name, checksum FROM {t} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
        ),
        Format::Sqlx => {
            format!("SELECT version::text, encode(checksum, 'hex') FROM {t} WHERE success")
        }
        Format::Flyway => format!(
            "SELECT version, checksum::text FROM {t} WHERE success AND version IS NOT NULL AND type = 'SQL'"
        ),
        // Liquibase upgrades a checksum of an older version (`7:`, `8:`) itself when it
        // matches: only 9: ones are compared.
        Format::Liquibase => format!(
            "SELECT filename || chr(31) || id || chr(31) || author, md5sum FROM {t} WHERE exectype IN ('EXECUTED', 'RERAN') AND md5sum LIKE '9:%'"
        ),
        _ => return Ok(Vec::new()),
    };
    let messages = client
        .simple_query(&sql)
        .await
        .map_err(|e| MigrateError::sql(db, &format!("cannot read `{}`", sink.table), e))?;
    let mut found = Vec::new();
    for message in messages {
        let SimpleQueryMessage::Row(row) = message else {
            continue;
        };
        let (Some(listed), Some(stored)) = (row.get(0), row.get(1)) else {
            continue;
        };
        let Some(migration) = sink.versions.iter().find(|m| listed_as(sink, m) == listed) else {
            continue;
        };
        let text = write::file_text(migration);
        let same = match sink.format {
            Format::Prisma => checksum::prisma_matches(&text, stored),
            Format::Sqlx => hex::encode(checksum::sqlx(&text, &sink.ignored_chars)) == stored,
            // A changeset pgfleet can no longer read as it was is not judged here.
            Format::Liquibase => checksum::liquibase_changeset(migration)
                .ok()
                .flatten()
                .is_none_or(|md5| md5 == stored),
            _ => checksum::flyway(&text).to_string() == stored,
        };
        if !same {
            found.push(Disagreement {
                version: Some(migration.version.to_string()),
                table: format!("{}.{}", sink.schema, sink.table),
                problem: format!(
                    "its checksum there is not the file's: the file changed after {} applied it",
                    tool(sink.format)
                ),
            });
        }
    }
    Ok(found)
}

/// How the tool's table names `migration`.
fn listed_as(sink: &Sink, migration: &Migration) -> String {
    let version = migration.version.as_str();
    match sink.format {
        Format::Sqlx => write::integer(version),
        // `filename`, `id` and `author`, joined by U+001F as the query joins them.
        Format::Liquibase => {
            let Some((file, rest)) = version.split_once("::") else {
                return version.to_owned();
            };
            let Some((id, author)) = rest.rsplit_once("::") else {
                return version.to_owned();
            };
            format!(
                "{}\u{1f}{id}\u{1f}{author}",
                write::liquibase_filename(sink, file)
            )
        }
        _ => migration.version.to_string(),
    }
}
