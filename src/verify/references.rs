//! `verify`'s cross-database references: every value of a `from` column found in its
//! `to` column.
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

use std::pin::Pin;

use futures_util::StreamExt;
use tokio_postgres::{Client, CopyOutStream};

use crate::connect::describe_sql_error;
use crate::connect::quote_ident;
use crate::fleet::Fleet;
use crate::manifest::{ColumnPath, Reference};
use crate::topology::Placement;

use super::{Check, Outcome, SAMPLES, connect, describe};

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

pub(super) async fn verify_references(
    fleet: &Fleet,
    placement: &Placement,
    checks: &mut Vec<Check>,
) {
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
