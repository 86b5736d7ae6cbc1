//! `verify`: is each database what the manifest says it is? Server reachable,
//! physical database, owned schemas and extensions present, history
//! consistent with the files, and every declared cross-database reference
//! without orphans.
//!
//! A reference `from -> to` is checked by streaming the distinct non-null
//! values of both columns, each sorted by the server, and merge-joining them
//! here: neither side is ever held in memory, so tens of millions of rows on
//! two different servers cost two sorts and one pass. Both sides are compared
//! as their canonical text (`col::text`) under `COLLATE "C"`, which orders by
//! bytes, and the merge compares bytes: the two orders agree whatever the
//! servers' default collations are. Integer columns therefore sort as text
//! (`"1000" < "999"`); that is fine, a merge-join needs only the same order on
//! both sides, and it makes an `integer` column referencing a `bigint` (or a
//! `uuid` referencing `uuid`) match by value.
//!
//! Pending migrations are a warning, not a failure: `status --check` is the
//! gate for "not migrated yet"; verify fails on history that disagrees with
//! the files (changed, missing or failed migrations).
//!
//! [`verify_offline`] (`verify --offline`) checks the workspace alone, with no
//! connection.

pub(crate) mod offline;

use std::collections::BTreeSet;
use std::pin::Pin;

use futures_util::StreamExt;
use serde::Serialize;
use tokio_postgres::{Client, CopyOutStream};

use crate::connect::describe_sql_error;
use crate::connect::{ConnectError, quote_ident};
use crate::error::Error;
use crate::fleet::Fleet;
use crate::manifest::{ColumnPath, Reference};
use crate::migrate::ops;
use crate::topology::Placement;

pub use offline::verify_offline;

/// SQLSTATE 3D000: the database does not exist.
const INVALID_CATALOG_NAME: &str = "3D000";
/// How many orphan values a failed reference check shows.
pub const SAMPLES: usize = 5;

/// Everything `verify` found, in database order.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub env: String,
    /// Checks that failed (warnings not counted).
    pub failed: usize,
    /// Whether a failed check is a server that could not be reached (exit 1
    /// rather than 3: nothing was checked there).
    pub unreachable: bool,
    pub checks: Vec<Check>,
}

/// One check of one database.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub database: String,
    /// `server`, `database`, `schema <name>`, `extension <name>`,
    /// `migrations`, or a reference as `db.table.column -> db.table.column`.
    pub check: String,
    pub result: Outcome,
    pub detail: String,
    /// For references: distinct values in `from` with no match in `to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphans: Option<u64>,
    /// For references: up to [`SAMPLES`] orphan values, smallest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Warning,
    Failed,
}

impl Check {
    fn new(database: &str, check: impl Into<String>, result: Outcome, detail: String) -> Check {
        Check {
            database: database.to_owned(),
            check: check.into(),
            result,
            detail,
            orphans: None,
            samples: Vec::new(),
        }
    }
}

/// Runs every check of the selected databases. Read-only: transactions are
/// `READ ONLY`, nothing is created. Problems are checks, not errors.
pub async fn verify(fleet: &Fleet, selected: &[&Placement]) -> VerifyReport {
    let mut checks = Vec::new();
    let mut unreachable = false;
    for placement in selected {
        let reached = verify_database(fleet, placement, &mut checks).await;
        unreachable |= !reached;
        if reached {
            verify_references(fleet, placement, &mut checks).await;
        }
    }
    VerifyReport {
        env: fleet.topology.env.clone(),
        failed: checks
            .iter()
            .filter(|c| c.result == Outcome::Failed)
            .count(),
        unreachable,
        checks,
    }
}

/// Connects to the placement's database: `Ok(None)` when the server answers
/// that it does not exist.
async fn connect(fleet: &Fleet, placement: &Placement) -> Result<Option<Client>, Error> {
    let info = fleet.conninfo(placement)?;
    match info.connect().await {
        Ok(client) => Ok(Some(client)),
        Err(ConnectError::Connect { source, .. })
            if source
                .code()
                .is_some_and(|c| c.code() == INVALID_CATALOG_NAME) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The error's text with its hint, for a check's detail.
fn describe(e: &Error) -> String {
    match e.hint() {
        Some(hint) => format!("{e} (hint: {hint})"),
        None => e.to_string(),
    }
}

/// The server, database, schema, extension and migrations checks. Returns
/// whether the server was reached.
async fn verify_database(fleet: &Fleet, placement: &Placement, checks: &mut Vec<Check>) -> bool {
    let db = placement.database.as_str();
    let failed = |check: &str, detail: String| Check::new(db, check, Outcome::Failed, detail);
    let client = match connect(fleet, placement).await {
        Ok(client) => client,
        Err(e) => {
            checks.push(failed(
                "server",
                format!("`{}` cannot be reached: {}", placement.server, describe(&e)),
            ));
            return false;
        }
    };
    let Some(client) = client else {
        let version = server_version_of(fleet, &placement.server).await;
        checks.push(Check::new(db, "server", Outcome::Ok, version));
        checks.push(failed(
            "database",
            format!(
                "`{}` does not exist on `{}` (hint: `pgfleet up {db}`)",
                placement.physical, placement.server
            ),
        ));
        return true;
    };
    let version = crate::connect::server_version(&client).await.map_or_else(
        |e| format!("version unknown: {}", describe_sql_error(&e)),
        |v| format!("PostgreSQL {}", v.text),
    );
    checks.push(Check::new(
        db,
        "server",
        Outcome::Ok,
        format!("`{}` {version}", placement.server),
    ));
    checks.push(Check::new(
        db,
        "database",
        Outcome::Ok,
        format!("`{}` exists", placement.physical),
    ));

    let manifest_db = &fleet.manifest.databases[db];
    let present = |sql: &'static str| {
        let client = &client;
        async move {
            let rows = client.simple_query(sql).await?;
            Ok::<BTreeSet<String>, tokio_postgres::Error>(
                rows.iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                        _ => None,
                    })
                    .collect(),
            )
        }
    };
    let listed = [
        (
            "schema",
            "SELECT nspname FROM pg_namespace",
            &placement.owned_schemas,
            "`pgfleet create` makes it",
        ),
        (
            "extension",
            "SELECT extname FROM pg_extension",
            &manifest_db.extensions,
            "`pgfleet create` installs it",
        ),
    ];
    for (kind, sql, wanted, fix) in listed {
        if wanted.is_empty() {
            continue;
        }
        match present(sql).await {
            Ok(have) => {
                for name in wanted {
                    let check = format!("{kind} {name}");
                    checks.push(if have.contains(name) {
                        Check::new(db, check, Outcome::Ok, "present".into())
                    } else {
                        failed(&check, format!("{kind} `{name}` is missing (hint: {fix})"))
                    });
                }
            }
            Err(e) => checks.push(failed(kind, describe_sql_error(&e))),
        }
    }
    checks.push(migrations_check(fleet, placement, &client).await);
    true
}

async fn migrations_check(fleet: &Fleet, placement: &Placement, client: &Client) -> Check {
    let db = placement.database.as_str();
    let status = match ops::status_on(fleet, placement, client).await {
        Ok(status) => status,
        Err(e) => return Check::new(db, "migrations", Outcome::Failed, describe(&e.into())),
    };
    let (Some(applied), Some(pending)) = (status.applied, status.pending) else {
        return Check::new(
            db,
            "migrations",
            Outcome::Ok,
            "run by `runner`: not checked".into(),
        );
    };
    let mut problems = Vec::new();
    for (n, what) in [
        (status.mismatched, "changed since applied"),
        (status.missing, "applied but its file is missing"),
        (status.failed, "failed"),
    ] {
        if let Some(n) = n.filter(|n| *n > 0) {
            problems.push(format!("{n} {what}"));
        }
    }
    for d in &status.peer_disagreements {
        problems.push(format!(
            "`{}`{}: {}",
            d.table,
            d.version
                .as_deref()
                .map(|v| format!(" `{v}`"))
                .unwrap_or_default(),
            d.problem
        ));
    }
    let summary = format!("{applied} applied, {pending} pending");
    if !problems.is_empty() {
        let names: Vec<String> = status
            .migrations
            .iter()
            .filter(|m| {
                !matches!(
                    m.state,
                    crate::migrate::plan::State::Applied | crate::migrate::plan::State::Pending
                )
            })
            .map(|m| format!("{}_{}", m.version, m.name))
            .collect();
        return Check::new(
            db,
            "migrations",
            Outcome::Failed,
            format!(
                "{}: {} ({summary}; hint: `pgfleet status {db}`)",
                problems.join(", "),
                names.join(", ")
            ),
        );
    }
    if pending > 0 {
        return Check::new(
            db,
            "migrations",
            Outcome::Warning,
            format!("{summary} (hint: `pgfleet migrate {db}`)"),
        );
    }
    Check::new(db, "migrations", Outcome::Ok, summary)
}

/// The server version through the maintenance database (when the placement's
/// own database is missing).
async fn server_version_of(fleet: &Fleet, server: &str) -> String {
    let answer = match fleet.server_conninfo(server) {
        Ok(info) => match info.connect().await {
            Ok(client) => crate::connect::server_version(&client)
                .await
                .ok()
                .map(|v| format!("PostgreSQL {}", v.text)),
            Err(_) => None,
        },
        Err(_) => None,
    };
    match answer {
        Some(v) => format!("`{server}` {v}"),
        None => format!("`{server}` answered"),
    }
}

/// How a column is named in checks: `db.table.column`, or
/// `db.schema.table.column` when the manifest names the schema.
fn name(db: &str, column: &ColumnPath) -> String {
    match &column.schema {
        Some(s) => format!("{db}.{s}.{}.{}", column.table, column.column),
        None => format!("{db}.{}.{}", column.table, column.column),
    }
}

/// The reference's name, as SPEC pins it: `db.table.column -> db.table.column`.
pub fn reference_name(from_db: &str, reference: &Reference) -> String {
    format!(
        "{} -> {}",
        name(from_db, &reference.from),
        name(&reference.to_database, &reference.to)
    )
}

async fn verify_references(fleet: &Fleet, placement: &Placement, checks: &mut Vec<Check>) {
    let db = placement.database.as_str();
    for reference in &fleet.manifest.databases[db].references {
        let label = reference_name(db, reference);
        let mut check = Check::new(db, &label, Outcome::Ok, String::new());
        match check_reference(fleet, placement, reference).await {
            Ok(orphans) if orphans.count == 0 => {
                check.detail = "no orphans".into();
                check.orphans = Some(0);
            }
            Ok(orphans) => {
                check.result = Outcome::Failed;
                check.detail = format!(
                    "{} orphan value(s) with no match, e.g. {}",
                    orphans.count,
                    orphans.samples.join(", ")
                );
                check.orphans = Some(orphans.count);
                check.samples = orphans.samples;
            }
            Err(detail) => {
                check.result = Outcome::Failed;
                check.detail = detail;
            }
        }
        checks.push(check);
    }
}

/// The distinct values of `from` with no match in `to`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Orphans {
    pub count: u64,
    /// The first [`SAMPLES`] of them in byte order.
    pub samples: Vec<String>,
}

async fn check_reference(
    fleet: &Fleet,
    placement: &Placement,
    reference: &Reference,
) -> Result<Orphans, String> {
    let target = fleet
        .topology
        .placement(&reference.to_database)
        .ok_or_else(|| format!("`{}` has no placement", reference.to_database))?;
    let from_client = open(fleet, placement).await?;
    let to_client = open(fleet, target).await?;
    let from_sql = distinct_sorted(placement, &reference.from);
    let to_sql = distinct_sorted(target, &reference.to);
    let sql_error = |p: &Placement, e: tokio_postgres::Error| {
        format!("in `{}`: {}", p.database, describe_sql_error(&e))
    };
    let mut from = CopyLines::open(&from_client, &from_sql)
        .await
        .map_err(|e| sql_error(placement, e))?;
    let mut to = CopyLines::open(&to_client, &to_sql)
        .await
        .map_err(|e| sql_error(target, e))?;
    let orphans = anti_join(&mut from, &mut to).await.map_err(|e| match e {
        JoinError::From(e) => sql_error(placement, e),
        JoinError::To(e) => sql_error(target, e),
        JoinError::Unsorted => "the server returned values out of order".to_owned(),
    })?;
    // Drop the streams before committing (POSTGRES-NOTES.md section 3).
    drop((from, to));
    for (client, p) in [(&from_client, placement), (&to_client, target)] {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| sql_error(p, e))?;
    }
    Ok(orphans)
}

/// A client on the placement's database, or why not.
async fn open(fleet: &Fleet, p: &Placement) -> Result<Client, String> {
    match connect(fleet, p).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(format!(
            "database `{}` of `{}` does not exist",
            p.physical, p.database
        )),
        Err(e) => Err(format!("`{}`: {}", p.database, describe(&e))),
    }
}

/// `COPY` of the column's distinct non-null values as text, in byte order.
fn distinct_sorted(placement: &Placement, column: &ColumnPath) -> String {
    let schema = column
        .schema
        .clone()
        .or_else(|| placement.owned_schemas.first().cloned())
        .unwrap_or_else(|| "public".to_owned());
    let col = quote_ident(&column.column);
    format!(
        "COPY (SELECT DISTINCT ({col}::text) COLLATE \"C\" FROM {}.{} WHERE {col} IS NOT NULL ORDER BY 1) TO STDOUT",
        quote_ident(&schema),
        quote_ident(&column.table)
    )
}

/// A source of values in ascending byte order.
pub(crate) trait SortedValues {
    type Error;
    async fn next_value(&mut self) -> Result<Option<Vec<u8>>, Self::Error>;
}

/// The lines of a `COPY ... TO STDOUT` (text format, one column), unescaped.
struct CopyLines {
    stream: Pin<Box<CopyOutStream>>,
    buf: Vec<u8>,
    start: usize,
    done: bool,
}

impl CopyLines {
    /// Starts the COPY in a read-only transaction: `copy_out` prepares a
    /// named statement, which is only safe behind PgBouncer after
    /// `DEALLOCATE ALL` in the same transaction (POSTGRES-NOTES.md section 3).
    async fn open(client: &Client, sql: &str) -> Result<CopyLines, tokio_postgres::Error> {
        client
            .batch_execute("BEGIN READ ONLY; DEALLOCATE ALL")
            .await?;
        let stream = client.copy_out(sql).await?;
        Ok(CopyLines {
            stream: Box::pin(stream),
            buf: Vec::new(),
            start: 0,
            done: false,
        })
    }
}

impl SortedValues for CopyLines {
    type Error = tokio_postgres::Error;

    async fn next_value(&mut self) -> Result<Option<Vec<u8>>, Self::Error> {
        loop {
            if let Some(end) = self.buf[self.start..].iter().position(|b| *b == b'\n') {
                let line = &self.buf[self.start..self.start + end];
                let value = unescape(line);
                self.start += end + 1;
                return Ok(Some(value));
            }
            if self.done {
                return Ok(None);
            }
            self.buf.drain(..self.start);
            self.start = 0;
            match self.stream.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => self.done = true,
            }
        }
    }
}

/// Undoes COPY's text-format escapes, so values compare as the bytes the
/// server sorted (`\t` sorts before `a`; its escape would not).
fn unescape(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut bytes = line.iter().copied();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'v') => out.push(0x0b),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

#[derive(Debug)]
pub(crate) enum JoinError<F, T> {
    From(F),
    To(T),
    /// A side went backwards: the two orders disagree, and the merge would
    /// report wrong orphans.
    Unsorted,
}

/// Merge-joins two ascending sources: the values of `from` absent from `to`.
/// Duplicates on either side are allowed; memory is one value per side plus
/// the samples.
pub(crate) async fn anti_join<F: SortedValues, T: SortedValues>(
    from: &mut F,
    to: &mut T,
) -> Result<Orphans, JoinError<F::Error, T::Error>> {
    let mut orphans = Orphans::default();
    let mut current = to.next_value().await.map_err(JoinError::To)?;
    let mut last: Option<Vec<u8>> = None;
    while let Some(value) = from.next_value().await.map_err(JoinError::From)? {
        if let Some(last) = &last {
            match last.cmp(&value) {
                std::cmp::Ordering::Equal => continue,
                std::cmp::Ordering::Greater => return Err(JoinError::Unsorted),
                std::cmp::Ordering::Less => {}
            }
        }
        while let Some(t) = &current {
            if t >= &value {
                break;
            }
            let next = to.next_value().await.map_err(JoinError::To)?;
            if next.as_ref().is_some_and(|n| n < t) {
                return Err(JoinError::Unsorted);
            }
            current = next;
        }
        if current.as_ref() != Some(&value) {
            orphans.count += 1;
            if orphans.samples.len() < SAMPLES {
                orphans
                    .samples
                    .push(String::from_utf8_lossy(&value).into_owned());
            }
        }
        last = Some(value);
    }
    Ok(orphans)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Values(std::vec::IntoIter<Vec<u8>>);

    impl SortedValues for Values {
        type Error = ();
        async fn next_value(&mut self) -> Result<Option<Vec<u8>>, ()> {
            Ok(self.0.next())
        }
    }

    fn values(v: &[&str]) -> Values {
        Values(
            v.iter()
                .map(|s| s.as_bytes().to_vec())
                .collect::<Vec<_>>()
                .into_iter(),
        )
    }

    async fn join(from: &[&str], to: &[&str]) -> Result<(u64, Vec<String>), ()> {
        anti_join(&mut values(from), &mut values(to))
            .await
            .map(|o| (o.count, o.samples))
            .map_err(|_| ())
    }

    /// from, to, orphan count, samples.
    type Case = (
        &'static [&'static str],
        &'static [&'static str],
        u64,
        &'static [&'static str],
    );

    #[tokio::test]
    async fn anti_join_finds_orphans_across_duplicates_and_empty_sides() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let cases: [Case; 8] = [
            (&[], &[], 0, &[]),
            (&[], &["1"], 0, &[]),
            (&["1", "2"], &[], 2, &["1", "2"]),
            (&["1", "2", "3"], &["1", "2", "3"], 0, &[]),
            (
                &["1", "1000", "2", "999"],
                &["1", "2", "3"],
                2,
                &["1000", "999"],
            ),
            // Duplicates on both sides count once.
            (&["a", "a", "b", "b", "c"], &["b", "b", "d"], 2, &["a", "c"]),
            // `to` runs past the end of `from`, and ahead of it.
            (&["m"], &["a", "b", "z"], 1, &["m"]),
            (
                &["1", "2", "3", "4", "5", "6", "7"],
                &["0"],
                7,
                &["1", "2", "3", "4", "5"],
            ),
        ];
        for (from, to, count, samples) in cases {
            assert_eq!(
                join(from, to).await,
                Ok((count, s(samples))),
                "{from:?} -> {to:?}"
            );
        }
    }

    #[tokio::test]
    async fn anti_join_refuses_unsorted_input() {
        assert!(join(&["b", "a"], &["a"]).await.is_err());
        assert!(join(&["c"], &["b", "a", "c"]).await.is_err());
    }

    #[test]
    fn unescape_undoes_copy_text_escapes() {
        assert_eq!(unescape(br"a\tb\\c\nd"), b"a\tb\\c\nd".to_vec());
        assert_eq!(unescape(b"plain"), b"plain".to_vec());
    }

    #[test]
    fn copy_statement_quotes_and_defaults_the_schema() {
        let placement = Placement {
            database: "app".into(),
            server: "s".into(),
            physical: "app_db".into(),
            schema: None,
            owned_schemas: vec!["App".into()],
            search_path: None,
        };
        let column = ColumnPath {
            schema: None,
            table: "orders".into(),
            column: "user_id".into(),
        };
        assert_eq!(
            distinct_sorted(&placement, &column),
            "COPY (SELECT DISTINCT (\"user_id\"::text) COLLATE \"C\" FROM \"App\".\"orders\" WHERE \"user_id\" IS NOT NULL ORDER BY 1) TO STDOUT"
        );
    }
}
