//! `pgfleet.history`: one row per applied migration of each logical
//! database, in its physical database (SPEC pins the columns).
//!
//! Beyond SPEC's columns we keep `state` (`applied`, `running` for a
//! no-transaction migration under way, `failed` for one that stopped part-way)
//! and `error`, and a `pgfleet.repairs` log of every `repair`.
//!
//! Reads never create anything: a database without the table simply has no
//! history (STYLE §12: read-only commands never write).

use chrono::{DateTime, Utc};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::formats::{Folder, Format};
use crate::connect::SqlError;
use crate::connect::quote_literal;

type Result<T, E = SqlError> = std::result::Result<T, E>;

/// Creates the schema and tables if missing. Runs under a transaction-scoped
/// advisory lock so concurrent first runs do not race on `CREATE ... IF NOT
/// EXISTS` (which is not safe against itself).
pub const ENSURE: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7283467155128349311);
CREATE SCHEMA IF NOT EXISTS pgfleet;
CREATE TABLE IF NOT EXISTS pgfleet.history (
    db           text        NOT NULL,
    version      text        NOT NULL,
    name         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('versioned', 'repeatable', 'baseline')),
    checksum     text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    execution_ms bigint      NOT NULL DEFAULT 0,
    applied_by   text        NOT NULL,
    down_script  text,
    state        text        NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'running', 'failed')),
    error        text,
    PRIMARY KEY (db, version)
);
CREATE TABLE IF NOT EXISTS pgfleet.repairs (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    db           text        NOT NULL,
    version      text        NOT NULL,
    action       text        NOT NULL,
    old_checksum text,
    new_checksum text,
    repaired_by  text        NOT NULL,
    repaired_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMIT;
";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Versioned,
    Repeatable,
    Baseline,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Versioned => "versioned",
            RowKind::Repeatable => "repeatable",
            RowKind::Baseline => "baseline",
        }
    }

    fn parse(s: &str) -> RowKind {
        match s {
            "repeatable" => RowKind::Repeatable,
            "baseline" => RowKind::Baseline,
            _ => RowKind::Versioned,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    Applied,
    Running,
    Failed,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Running => "running",
            RowState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> RowState {
        match s {
            "running" => RowState::Running,
            "failed" => RowState::Failed,
            _ => RowState::Applied,
        }
    }
}

/// One row of `pgfleet.history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub version: String,
    pub name: String,
    pub kind: RowKind,
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
    pub execution_ms: i64,
    pub applied_by: String,
    pub down_script: Option<String>,
    pub state: RowState,
    pub error: Option<String>,
}

/// Whether `pgfleet.history` exists in the connected database.
pub async fn exists(client: &Client) -> Result<bool> {
    let rows = client
        .query_typed("SELECT to_regclass('pgfleet.history') IS NOT NULL", &[])
        .await
        .map_err(SqlError::with("cannot look for pgfleet.history"))?;
    Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}

/// The rows of logical database `db`; none when the table does not exist.
pub async fn read(client: &Client, db: &str) -> Result<Vec<Row>> {
    if !exists(client).await? {
        return Ok(Vec::new());
    }
    read_existing(client, db).await
}

/// The rows of logical database `db` from a table known to exist.
pub async fn read_existing(client: &Client, db: &str) -> Result<Vec<Row>> {
    let rows = client
        .query_typed(
            "SELECT version, name, kind, checksum, applied_at, execution_ms, applied_by, down_script, state, error
               FROM pgfleet.history WHERE db = $1",
            &[(&db, Type::TEXT)],
        )
        .await
        .map_err(SqlError::with(format!("cannot read the history of `{db}`")))?;
    let mut rows: Vec<Row> = rows.iter().map(to_row).collect();
    settle_dead_claims(client, db, &mut rows).await?;
    Ok(rows)
}

/// The columns [`read_existing`] selects, as a [`Row`].
fn to_row(r: &tokio_postgres::Row) -> Row {
    Row {
        version: r.get(0),
        name: r.get(1),
        kind: RowKind::parse(r.get(2)),
        checksum: r.get(3),
        applied_at: r.get(4),
        execution_ms: r.get(5),
        applied_by: r.get(6),
        down_script: r.get(7),
        state: RowState::parse(r.get(8)),
        error: r.get(9),
    }
}

/// What a `running` row turned out to be, read again after its claimant
/// was found gone.
#[derive(Debug)]
pub enum Recheck {
    /// Still the same claim: the run that made it was interrupted.
    Interrupted,
    /// It changed meanwhile: the row as it is now (`None`: deleted, as
    /// `repair` does).
    Changed(Option<Row>),
}

/// `version`'s row read again after the claimant of its `running` claim
/// `note` was found gone. A claimant found gone may have
/// finished just before: it marks its row `applied` (or `failed`), then
/// disconnects, and to a reader that saw the `running` row before the mark
/// and looks for the session after the disconnect, a finished run looks
/// exactly like a killed one. Only a row still `running` with the same
/// note, read after the claimant was seen gone, is really interrupted.
pub async fn reread_claim(
    client: &Client,
    db: &str,
    version: &str,
    note: Option<&str>,
) -> Result<Recheck> {
    let found = client
        .query_typed(
            "SELECT version, name, kind, checksum, applied_at, execution_ms, applied_by, down_script, state, error
               FROM pgfleet.history WHERE db = $1 AND version = $2",
            &[(&db, Type::TEXT), (&version, Type::TEXT)],
        )
        .await
        .map_err(SqlError::with(format!("cannot read the history of `{db}`")))?;
    let row = found.first().map(to_row);
    Ok(match row {
        Some(r) if r.state == RowState::Running && r.error.as_deref() == note => {
            Recheck::Interrupted
        }
        other => Recheck::Changed(other),
    })
}

/// How a `running` row names the session that claimed it, in its `error`
/// column while it runs: `running in server pid <pid>, backend started
/// <timestamptz>`. `finish` overwrites it.
const CLAIM_PREFIX: &str = "running in server pid ";

/// SQL that stamps the claim of `version` with this session's server pid and
/// backend start (the pair tells a live claimant from a pid reused later).
/// Runs in the claiming transaction, after the row is written.
pub fn claim_note_sql(db: &str, version: &str) -> String {
    format!(
        "UPDATE pgfleet.history
            SET error = (SELECT {} || pid || ', backend started ' || backend_start::text
                           FROM pg_stat_activity WHERE pid = pg_backend_pid())
          WHERE db = {} AND version = {}",
        quote_literal(CLAIM_PREFIX),
        quote_literal(db),
        quote_literal(version),
    )
}

/// Whether a `running` row carries a claim note (then, once read through
/// [`read_existing`], its claimant was alive at the read).
pub fn has_claim(row: &Row) -> bool {
    row.state == RowState::Running && row.error.as_deref().and_then(parse_claim).is_some()
}

/// The server pid and backend start a claim note names.
fn parse_claim(note: &str) -> Option<(i32, &str)> {
    let rest = note.strip_prefix(CLAIM_PREFIX)?;
    let (pid, started) = rest.split_once(", backend started ")?;
    Some((pid.parse().ok()?, started))
}

/// Whether the session that claimed a `running` row is still there; `None`
/// when the row names no session (an older pgfleet wrote it). A SIGKILLed
/// pgfleet leaves its claim behind; its server process ends once the
/// statement it was running does (the next read finds the socket closed),
/// and from then on the row can never turn `applied` or `failed` by itself.
///
/// Through PgBouncer the claiming server connection outlives the client in
/// the pool, so a dead claim there still looks alive: it waits for the lock
/// timeout, whose message points at `repair`.
pub async fn claim_alive(client: &Client, note: Option<&str>) -> Result<Option<bool>> {
    let Some((pid, started)) = note.and_then(parse_claim) else {
        return Ok(None);
    };
    // Another role's session shows a NULL backend_start: the pid alone then.
    let rows = client
        .query_typed(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                             WHERE pid = $1 AND (backend_start IS NULL OR backend_start = $2::text::timestamptz))",
            &[(&pid, Type::INT4), (&started, Type::TEXT)],
        )
        .await
        .map_err(SqlError::with("cannot look for the session running a migration"))?;
    Ok(Some(rows.first().is_some_and(|r| r.get::<_, bool>(0))))
}

/// What a dead claim's row reports as its error.
pub fn interrupted_message(note: &str) -> String {
    let pid = parse_claim(note).map_or_else(|| "?".to_owned(), |(pid, _)| pid.to_string());
    format!(
        "interrupted: the run that started it (server pid {pid}) ended before recording how it went; it may have done part of its work"
    )
}

/// Reports `running` rows whose claimant is gone as `failed` (in memory:
/// reads stay read-only), so `status`, `migrate` and `repair` all see an
/// interrupted no-transaction migration for what it is.
async fn settle_dead_claims(client: &Client, db: &str, rows: &mut [Row]) -> Result<()> {
    for row in rows.iter_mut().filter(|r| r.state == RowState::Running) {
        if claim_alive(client, row.error.as_deref()).await? == Some(false) {
            match reread_claim(client, db, &row.version, row.error.as_deref()).await? {
                Recheck::Interrupted => {}
                // It finished between the read and the check.
                Recheck::Changed(Some(now)) => {
                    *row = now;
                    continue;
                }
                // Cleared meanwhile: the apply loop reads it again.
                Recheck::Changed(None) => continue,
            }
            tracing::debug!(db, version = %row.version, "the run that claimed it is gone");
            row.state = RowState::Failed;
            row.error = Some(interrupted_message(
                row.error.as_deref().unwrap_or_default(),
            ));
        }
    }
    Ok(())
}

/// Values of a new history row.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub db: &'a str,
    pub version: &'a str,
    pub name: &'a str,
    pub kind: RowKind,
    pub checksum: &'a str,
    pub applied_by: &'a str,
    pub down_script: Option<&'a str>,
    pub state: RowState,
    /// When it was applied; `None` is now (the server's clock).
    pub applied_at: Option<DateTime<Utc>>,
}

impl NewRow<'_> {
    /// An upsert with every value quoted, to travel in the same simple
    /// query as the migration it records (one round trip, and PgBouncer-safe).
    /// `execution_ms` is measured by the server: the time since this Query
    /// message arrived, i.e. how long the migration's statements took.
    pub fn upsert_sql(&self) -> String {
        format!(
            "{} ON CONFLICT (db, version) DO UPDATE SET
                 name = EXCLUDED.name, kind = EXCLUDED.kind, checksum = EXCLUDED.checksum,
                 applied_at = EXCLUDED.applied_at, execution_ms = EXCLUDED.execution_ms,
                 applied_by = EXCLUDED.applied_by, down_script = EXCLUDED.down_script,
                 state = EXCLUDED.state, error = NULL",
            self.insert_sql()
        )
    }

    /// An insert that leaves an existing row alone.
    pub fn insert_if_absent_sql(&self) -> String {
        format!("{} ON CONFLICT (db, version) DO NOTHING", self.insert_sql())
    }

    /// A plain insert, for a migration with no row yet.
    pub fn insert_sql(&self) -> String {
        let applied_at = self.applied_at.map_or_else(
            || "clock_timestamp()".to_owned(),
            |t| format!("{}::timestamptz", quote_literal(&t.to_rfc3339())),
        );
        format!(
            "INSERT INTO pgfleet.history (db, version, name, kind, checksum, applied_at, execution_ms, applied_by, down_script, state)
             VALUES ({}, {}, {}, {}, {}, {applied_at},
                     (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint,
                     {}, {}, {})",
            quote_literal(self.db),
            quote_literal(self.version),
            quote_literal(self.name),
            quote_literal(self.kind.as_str()),
            quote_literal(self.checksum),
            quote_literal(self.applied_by),
            self.down_script.map_or_else(|| "NULL".to_owned(), quote_literal),
            quote_literal(self.state.as_str()),
        )
    }
}

/// Marks a `running` row applied (or failed, with the error), after a
/// no-transaction migration ends.
pub async fn finish(
    client: &Client,
    db: &str,
    version: &str,
    outcome: std::result::Result<i64, &str>,
) -> Result<()> {
    let (state, ms, error) = match outcome {
        Ok(ms) => ("applied", ms, None),
        Err(message) => ("failed", 0, Some(message)),
    };
    client
        .execute_typed(
            "UPDATE pgfleet.history SET state = $3, execution_ms = $4, error = $5, applied_at = clock_timestamp()
              WHERE db = $1 AND version = $2",
            &[
                (&db, Type::TEXT),
                (&version, Type::TEXT),
                (&state, Type::TEXT),
                (&ms, Type::INT8),
                (&error, Type::TEXT),
            ],
        )
        .await
        .map_err(SqlError::with(format!("cannot record the end of `{version}` of `{db}`")))?;
    Ok(())
}

/// Rows that an earlier pgfleet recorded for a Prisma migration under its timestamp
/// alone (`20260630120000`), before a Prisma migration's version became its whole folder
/// name: each as (old version, folder name). A row is the folder `<version>_<name>`
/// when there is one, else the only folder whose name starts with `<version>_`; a row
/// that fits no folder, or two, keeps its version (it shows as missing its file).
pub fn legacy_prisma_versions(folders: &[Folder], rows: &[Row]) -> Vec<(String, String)> {
    let mut renames = Vec::new();
    // A row that is some folder's migration as it is (a native file beside the
    // Prisma folder) is left alone.
    let current = |v: &str| {
        folders
            .iter()
            .flat_map(|f| &f.migrations)
            .any(|m| m.version.as_str() == v)
    };
    for folder in folders.iter().filter(|f| f.format == Format::Prisma) {
        let names: Vec<&str> = folder
            .migrations
            .iter()
            .map(|m| m.version.as_str())
            .collect();
        for row in rows {
            let old = row.version.as_str();
            if old.is_empty() || !old.bytes().all(|b| b.is_ascii_digit()) || current(old) {
                continue;
            }
            let exact = format!("{old}_{}", row.name);
            let new = if names.contains(&exact.as_str()) {
                Some(exact)
            } else {
                let prefix = format!("{old}_");
                let mut with_prefix = names.iter().filter(|n| n.starts_with(&prefix));
                match (with_prefix.next(), with_prefix.next()) {
                    (Some(only), None) => Some((*only).to_owned()),
                    _ => None,
                }
            };
            let Some(new) = new else { continue };
            let taken = rows.iter().any(|r| r.version == new)
                || renames.iter().any(|(_, n): &(String, String)| *n == new);
            if !taken {
                renames.push((old.to_owned(), new));
            }
        }
    }
    renames
}

/// Gives the rows named by `renames` their new version, in memory.
pub fn rename_versions(rows: &mut [Row], renames: &[(String, String)]) {
    for row in rows {
        if let Some((_, new)) = renames.iter().find(|(old, _)| *old == row.version) {
            row.version.clone_from(new);
        }
    }
}

/// Reads the rows of `db` and rewrites, in `pgfleet.history` and in the rows
/// returned, the Prisma rows recorded under a timestamp alone
/// ([`legacy_prisma_versions`]). For commands that write; read-only ones rename
/// in memory only.
pub async fn read_upgraded(client: &Client, db: &str, folders: &[Folder]) -> Result<Vec<Row>> {
    let mut rows = read(client, db).await?;
    upgrade(client, db, folders, &mut rows).await?;
    Ok(rows)
}

/// [`read_upgraded`] for rows already read.
pub async fn upgrade(
    client: &Client,
    db: &str,
    folders: &[Folder],
    rows: &mut [Row],
) -> Result<()> {
    let renames = legacy_prisma_versions(folders, rows);
    for (old, new) in &renames {
        client
            .execute_typed(
                "UPDATE pgfleet.history SET version = $3 WHERE db = $1 AND version = $2",
                &[(&db, Type::TEXT), (old, Type::TEXT), (new, Type::TEXT)],
            )
            .await
            .map_err(SqlError::with(format!(
                "cannot record `{old}` of `{db}` as `{new}`"
            )))?;
    }
    rename_versions(rows, &renames);
    Ok(())
}

/// Who is running pgfleet, for `applied_by` and `repaired_by`:
/// `user@host`.
pub fn whoami() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid {}", nix::unistd::getuid()));
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{user}@{host}")
}

/// A stable advisory-lock key for logical database `db`: the first eight
/// bytes of SHA-256 of `pgfleet:<db>`.
pub fn lock_key(db: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("pgfleet:{db}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Renames = &'static [(&'static str, &'static str)];

    #[test]
    fn legacy_prisma_rows_find_their_folder() {
        use crate::migrate::formats::{Kind, Migration, Transaction, Version};
        let migration = |folder: &str| Migration {
            version: Version::named(folder.to_owned()),
            name: folder.split_once('_').unwrap().1.to_owned(),
            kind: Kind::Versioned,
            path: format!("{folder}/migration.sql").into(),
            up: String::new(),
            up_line: 1,
            down: None,
            transaction: Transaction::Auto,
            checksum: String::new(),
            statements: None,
            not_runnable: None,
            verify: None,
        };
        let folder = |format, names: &[&str]| Folder {
            format,
            migrations: names.iter().map(|n| migration(n)).collect(),
            unmatched: Vec::new(),
            peer: None,
            peer_history: crate::manifest::PeerHistory::default(),
            history_table: None,
            placeholders: None,
        };
        let row = |version: &str, name: &str| Row {
            version: version.to_owned(),
            name: name.to_owned(),
            kind: RowKind::Versioned,
            checksum: String::new(),
            applied_at: Utc::now(),
            execution_ms: 0,
            applied_by: String::new(),
            down_script: None,
            state: RowState::Applied,
            error: None,
        };
        let prisma = [
            "20240101000000_init",
            "20260630120000_add_x",
            "20260630120000_drop_y",
            "20260701000000_z",
        ];
        // (what, format, rows, want renames)
        let cases: &[(&str, Format, Vec<Row>, Renames)] = &[
            (
                "timestamp + name is the folder",
                Format::Prisma,
                vec![row("20260630120000", "drop_y")],
                &[("20260630120000", "20260630120000_drop_y")],
            ),
            (
                "the only folder with the prefix",
                Format::Prisma,
                vec![row("20260701000000", "renamed")],
                &[("20260701000000", "20260701000000_z")],
            ),
            (
                "two folders with the prefix, name fits neither",
                Format::Prisma,
                vec![row("20260630120000", "other")],
                &[],
            ),
            (
                "already a folder name",
                Format::Prisma,
                vec![row("20240101000000_init", "init")],
                &[],
            ),
            (
                "the folder has its own row already",
                Format::Prisma,
                vec![
                    row("20240101000000", "init"),
                    row("20240101000000_init", "init"),
                ],
                &[],
            ),
            (
                "no folder",
                Format::Prisma,
                vec![row("20990101000000", "gone")],
                &[],
            ),
            (
                "a native file's row beside the Prisma folder",
                Format::Prisma,
                vec![row("20260701000000", "z")],
                &[],
            ),
            (
                "other formats keep their versions",
                Format::Dbmate,
                vec![row("20240101000000", "init")],
                &[],
            ),
        ];
        for (what, format, rows, want) in cases {
            let mut folders = vec![folder(*format, &prisma)];
            if what.contains("native") {
                let mut native = folder(Format::Native, &[]);
                native.migrations.push(Migration {
                    version: Version::parse_integer("20260701000000").unwrap(),
                    ..migration("20260701000000_z")
                });
                folders.push(native);
            }
            let got = legacy_prisma_versions(&folders, rows);
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect();
            assert_eq!(got, want, "{what}");
            let mut renamed = rows.clone();
            rename_versions(&mut renamed, &got);
            for (old, new) in &want {
                assert!(renamed.iter().any(|r| r.version == *new), "{what}");
                assert!(!renamed.iter().any(|r| r.version == *old), "{what}");
            }
        }
    }

    #[test]
    fn insert_quotes_every_value() {
        let row = NewRow {
            db: "a'b",
            version: "1",
            name: "x",
            kind: RowKind::Versioned,
            checksum: "00",
            applied_by: "me@host",
            down_script: Some("DROP TABLE t; -- it's \\ gone"),
            state: RowState::Applied,
            applied_at: None,
        };
        let sql = row.upsert_sql();
        assert!(
            sql.contains("VALUES ('a''b', '1', 'x', 'versioned', '00'"),
            "{sql}"
        );
        assert!(sql.contains("E'DROP TABLE t; -- it''s \\\\ gone'"), "{sql}");
    }

    #[test]
    fn claim_notes_parse_back() {
        assert_eq!(
            parse_claim(
                "running in server pid 4242, backend started 2026-11-25 21:00:00.123456+00"
            ),
            Some((4242, "2026-11-25 21:00:00.123456+00"))
        );
        assert_eq!(
            parse_claim("running in server pid x, backend started y"),
            None
        );
        assert_eq!(parse_claim("relation \"t\" does not exist"), None);
        assert!(
            interrupted_message("running in server pid 7, backend started t")
                .contains("server pid 7")
        );
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key("shared"), lock_key("shared"));
        assert_ne!(lock_key("shared"), lock_key("billing"));
    }
}
