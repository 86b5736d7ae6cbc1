//! The checksum each peer tool stores for a migration in its history table, computed
//! exactly as the tool computes it, so that a row pgfleet writes is the row the tool
//! would have written, and a row the tool wrote can be checked against the files.
//!
//! Each function names the tool's source it follows, and takes the input the tool
//! hashes: the migration file's text as read (a byte-order mark included) for the tools
//! that hash whole files, the changeset's SQL for Liquibase, the plan's fields for Sqitch.
//! [`Migration::up`] has the BOM taken off, so callers of the whole-file functions read
//! [`Migration::path`] again; [`liquibase_changeset`] does that for Liquibase.
//!
//! Already computed elsewhere and reused here: graphile-migrate's `sha1:` hash
//! ([`graphile_migrate`]) and Atlas's `atlas.sum` entries ([`atlas`]).

use std::fmt::Write as _;
use std::path::Path;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384};

use crate::migrate::formats::{self, FormatError, Migration, SqitchPlan};

/// Prisma `_prisma_migrations.checksum`: lowercase hex SHA-256 of `migration.sql` as
/// read, with no normalisation (prisma-engines
/// `schema-engine/connectors/schema-connector/src/checksum.rs`, `render_checksum`).
pub fn prisma(script: &[u8]) -> String {
    hex::encode(Sha256::digest(script))
}

/// Whether `stored` is a Prisma checksum of `script` as Prisma checks one
/// (`script_matches_checksum` in the same file): of the script as it is, with every
/// CRLF turned into LF, or with every LF turned into CRLF (git may have changed the line
/// ends since); and, for a stored value that is not 64 characters long, in the
/// unpadded hex that early engines wrote (each byte `{:x}`, prisma-engines issue 1887).
pub fn prisma_matches(script: &str, stored: &str) -> bool {
    let unpadded = !stored.is_empty() && stored.len() != 64;
    [
        script.to_owned(),
        script.replace("\r\n", "\n"),
        script.replace('\n', "\r\n"),
    ]
    .iter()
    .any(|variant| {
        let digest = Sha256::digest(variant.as_bytes());
        let text = if unpadded {
            unpadded_hex(&digest)
        } else {
            hex::encode(digest)
        };
        text == stored
    })
}

/// Hex with each byte's leading zero dropped, as early Prisma engines wrote checksums.
fn unpadded_hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, b| {
        let _ = write!(text, "{b:x}");
        text
    })
}

/// sqlx `_sqlx_migrations.checksum` (a `bytea`): SHA-384 of the migration file's text
/// less every character in `ignored` (`sqlx.toml`'s `[migrate] ignored-chars`, empty
/// by default). sqlx-core `migrate/migration.rs` (`checksum`, `checksum_fragments`) and
/// `migrate/source.rs` (`checksum_with`).
pub fn sqlx(script: &str, ignored: &[char]) -> Vec<u8> {
    let mut digest = Sha384::new();
    for fragment in script.split(|c| ignored.contains(&c)) {
        digest.update(fragment.as_bytes());
    }
    digest.finalize().to_vec()
}

/// drizzle `__drizzle_migrations.hash`: lowercase hex SHA-256 of the migration file's
/// text (drizzle-orm `src/migrator.ts`, `readMigrationFiles`:
/// `crypto.createHash('sha256').update(query)` where `query` is the file read as UTF-8).
pub fn drizzle(script: &str) -> String {
    hex::encode(Sha256::digest(script.as_bytes()))
}

/// Flyway `flyway_schema_history.checksum`: CRC-32 over the script's lines, each as
/// UTF-8 without its line terminator (`\n`, `\r\n` or `\r`, as `BufferedReader.readLine`
/// splits them), a byte-order mark taken off the first line, stored as a signed 32-bit
/// integer (flyway-core `ChecksumCalculator.calculateChecksumForResource`). Line ends
/// and blank lines therefore do not change it.
pub fn flyway(script: &str) -> i32 {
    let text = script.strip_prefix('\u{feff}').unwrap_or(script);
    let mut crc = crc32fast::Hasher::new();
    for line in text.split(['\r', '\n']) {
        crc.update(line.as_bytes());
    }
    // Java's `(int) crc32.getValue()`: the same 32 bits, read as signed.
    i32::from_ne_bytes(crc.finalize().to_ne_bytes())
}

/// Liquibase `databasechangelog.md5sum` of a formatted-SQL changeset, in checksum
/// version 9 (Liquibase 4.24 and later write and upgrade to it): `sql` is the
/// changeset's SQL as Liquibase's parser collects it ([`liquibase_changeset`] reads it).
///
/// The change's checksum is the MD5 of the SQL's UTF-8 bytes with every space, tab, CR
/// and LF left out (liquibase-standard `AbstractSQLChange.generateCheckSum` and its
/// `NormalizingStream`); the changeset's is the MD5 of `9:<that>:`, the changes'
/// checksums each followed by `:` (`ChangeSet.generateCheckSum`), written `9:<hex>`
/// (`CheckSum.toString`).
pub fn liquibase(sql: &str) -> String {
    let kept: Vec<u8> = sql
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    let change = hex::encode(Md5::digest(&kept));
    let changeset = hex::encode(Md5::digest(format!("9:{change}:").as_bytes()));
    format!("9:{changeset}")
}

/// [`liquibase`] for a changeset pgfleet read: its SQL is read again from its file
/// (Liquibase's checksum skips lines that pgfleet's migration keeps as comments).
/// `None` when the file no longer holds that changeset as it was read.
pub fn liquibase_changeset(migration: &Migration) -> Result<Option<String>, FormatError> {
    Ok(formats::liquibase_sql(migration)?.map(|sql| liquibase(&sql)))
}

/// A Sqitch change as its id covers it: the plan's `%project` and `%uri`, the change's
/// line, and the change before it (App::Sqitch::Plan `_parse`: `parent => $prev_change`),
/// so an id stands for the whole plan up to the change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqitchChange {
    pub project: String,
    /// The plan's `%uri`, as written (Sqitch canonicalises it; plans hold canonical URIs).
    pub uri: Option<String>,
    pub name: String,
    /// The id of the change before it in the plan (`None` for the first).
    pub parent: Option<String>,
    pub planner_name: String,
    pub planner_email: String,
    /// As the plan writes it, in UTC: `2013-12-31T18:26:59Z`.
    pub planned_at: String,
    /// `change`, `change@tag`, `project:change`, as written between the brackets.
    pub requires: Vec<String>,
    /// As written between the brackets, without the `!`.
    pub conflicts: Vec<String>,
    /// The note after `#`, trimmed, its `\n`, `\r` and `\\` escapes undone.
    pub note: String,
}

/// A Sqitch tag as its id covers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqitchTag {
    pub project: String,
    pub uri: Option<String>,
    /// Without the `@`.
    pub name: String,
    /// The id of the change the tag follows.
    pub change_id: String,
    pub planner_name: String,
    pub planner_email: String,
    pub planned_at: String,
    pub note: String,
}

/// Sqitch `changes.change_id` (and `events.change_id`): SHA-1 of `change <length>\0`
/// and the change's info text (App::Sqitch::Plan::Change `info` and `id`, Sqitch 1.3).
pub fn sqitch_change_id(change: &SqitchChange) -> String {
    let mut lines = vec![format!("project {}", change.project)];
    lines.extend(change.uri.iter().map(|uri| format!("uri {uri}")));
    lines.push(format!("change {}", change.name));
    lines.extend(change.parent.iter().map(|id| format!("parent {id}")));
    lines.push(format!(
        "planner {} <{}>",
        change.planner_name, change.planner_email
    ));
    lines.push(format!("date {}", change.planned_at));
    if !change.requires.is_empty() {
        lines.push(format!("requires\n  + {}", change.requires.join("\n  + ")));
    }
    if !change.conflicts.is_empty() {
        lines.push(format!(
            "conflicts\n  - {}",
            change.conflicts.join("\n  - ")
        ));
    }
    push_note(&mut lines, &change.note);
    sqitch_object_id("change", &lines.join("\n"))
}

/// Sqitch `tags.tag_id`: SHA-1 of `tag <length>\0` and the tag's info text
/// (App::Sqitch::Plan::Tag `info` and `id`).
pub fn sqitch_tag_id(tag: &SqitchTag) -> String {
    let mut lines = vec![format!("project {}", tag.project)];
    lines.extend(tag.uri.iter().map(|uri| format!("uri {uri}")));
    lines.push(format!("tag @{}", tag.name));
    lines.push(format!("change {}", tag.change_id));
    lines.push(format!(
        "planner {} <{}>",
        tag.planner_name, tag.planner_email
    ));
    lines.push(format!("date {}", tag.planned_at));
    push_note(&mut lines, &tag.note);
    sqitch_object_id("tag", &lines.join("\n"))
}

/// Perl's truth: a note of `0` is no note, and Sqitch leaves it out.
fn push_note(lines: &mut Vec<String>, note: &str) {
    if !note.is_empty() && note != "0" {
        lines.push(String::new());
        lines.push(note.to_owned());
    }
}

/// Git-style object id: SHA-1 of `<kind> <byte length>\0<info>`.
fn sqitch_object_id(kind: &str, info: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(format!("{kind} {}\0", info.len()).as_bytes());
    sha.update(info.as_bytes());
    hex::encode(sha.finalize())
}

/// The ids Sqitch gives a change and the tags after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqitchIds {
    pub change_id: String,
    pub tag_ids: Vec<String>,
}

/// [`sqitch_change_id`] and [`sqitch_tag_id`] for every change of a plan read by
/// [`formats::sqitch_plan`], in plan order, each change's parent being the one before.
pub fn sqitch_ids(plan: &SqitchPlan) -> Vec<SqitchIds> {
    let mut parent: Option<String> = None;
    let mut out = Vec::with_capacity(plan.changes.len());
    for c in &plan.changes {
        let change_id = sqitch_change_id(&SqitchChange {
            project: plan.project.clone(),
            uri: plan.uri.clone(),
            name: c.name.clone(),
            parent: parent.take(),
            planner_name: c.planned.planner_name.clone(),
            planner_email: c.planned.planner_email.clone(),
            planned_at: c.planned.at.clone(),
            requires: c.requires.clone(),
            conflicts: Vec::new(),
            note: sqitch_note(&c.planned.note),
        });
        // `sqitch_plan` refuses a tag line without its planner, so none is left out.
        let tag_ids = c
            .tags
            .iter()
            .filter_map(|t| {
                let planned = t.planned.as_ref()?;
                Some(sqitch_tag_id(&SqitchTag {
                    project: plan.project.clone(),
                    uri: plan.uri.clone(),
                    name: t.name.clone(),
                    change_id: change_id.clone(),
                    planner_name: planned.planner_name.clone(),
                    planner_email: planned.planner_email.clone(),
                    planned_at: planned.at.clone(),
                    note: sqitch_note(&planned.note),
                }))
            })
            .collect();
        parent = Some(change_id.clone());
        out.push(SqitchIds { change_id, tag_ids });
    }
    out
}

/// Sqitch `changes.script_hash`: hex SHA-1 of the deploy script's bytes, read raw
/// (App::Sqitch::Plan::Change `_deploy_hash`).
pub fn sqitch_script_hash(deploy: &[u8]) -> String {
    hex::encode(Sha1::digest(deploy))
}

/// A Sqitch plan note as Sqitch holds it: trimmed, with `\\`, `\n` and `\r` unescaped
/// (App::Sqitch::Plan::Line `BUILDARGS`).
pub fn sqitch_note(raw: &str) -> String {
    let mut note = String::with_capacity(raw.len());
    let mut chars = raw.trim().chars().peekable();
    while let Some(c) = chars.next() {
        let unescaped = match (c, chars.peek()) {
            ('\\', Some('\\')) => Some('\\'),
            ('\\', Some('n')) => Some('\n'),
            ('\\', Some('r')) => Some('\r'),
            _ => None,
        };
        match unescaped {
            Some(u) => {
                chars.next();
                note.push(u);
            }
            None => note.push(c),
        }
    }
    note
}

/// graphile-migrate `migrations.hash`: `sha1:` + hex SHA-1 over the previous hash and
/// the body (the format reader's `calculateHash`, shared).
pub fn graphile_migrate(body: &str, previous: Option<&str>) -> String {
    formats::graphile_migrate_hash(body, previous)
}

/// The `graphile_migrate.migrations` row for a committed migration pgfleet read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphileRow {
    /// The file's `--! Hash:` (what graphile-migrate stores, also for a file that says
    /// `--! AllowInvalidHash`).
    pub hash: String,
    /// Its `--! Previous:`; `None` for the first file.
    pub previous_hash: Option<String>,
    /// `NNNNNN.sql`, without the file name's slug.
    pub filename: String,
}

/// The row graphile-migrate inserts for `migration` (src/migration.ts,
/// `runCommittedMigration`), read from the file's header.
pub fn graphile_migrate_row(migration: &Migration) -> Result<GraphileRow, FormatError> {
    let (hash, previous_hash, filename) = formats::graphile_migrate_row(&migration.path)?;
    Ok(GraphileRow {
        hash,
        previous_hash,
        filename,
    })
}

/// Atlas `atlas_schema_revisions.hash`: the file's entry in the folder's `atlas.sum`
/// (without `h1:`), which Atlas copies into the revision (ariga/atlas
/// `sql/migrate/migrate.go`: "Hash is the check-sum of this migration as stated by the
/// migration directories HashFile"). `None` when the sum does not list `file`.
pub fn atlas(dir: &Path, file: &str) -> Result<Option<String>, FormatError> {
    formats::atlas_sum_entry(dir, file)
}

#[cfg(test)]
mod tests;
