//! Streaming one table: a blocking thread reads SQLite rows, converts each
//! value and encodes binary COPY rows into chunks of about 256 KiB; the async
//! side sends the chunks into `COPY ... FROM STDIN (FORMAT binary)`. A
//! channel of four chunks between them bounds memory whatever the table's
//! size, and the two sides run on two cores.
//!
//! The binary COPY framing is written here rather than through
//! `BinaryCopyInWriter`, so that encoding (and the row hashes) happen on the
//! reading thread, not between the awaits that feed the server.

use std::path::PathBuf;
use std::pin::pin;

use bytes::Bytes;
use futures_util::SinkExt;
use rusqlite::types::ValueRef;
use tokio::sync::mpsc;
use tokio_postgres::Client;

use crate::connect::quote_ident;

use super::ImportError;
use super::convert::{self, Kind, Zone};
use super::rowhash;

const CHUNK: usize = 256 * 1024;

/// What one table's load needs to know.
#[derive(Debug, Clone)]
pub struct TableLoad {
    pub file: PathBuf,
    /// The SQLite table and the columns read from it, matched with their
    /// target columns' kinds.
    pub source: String,
    pub without_rowid: bool,
    pub columns: Vec<(String, Kind)>,
    /// Whether each target column is NOT NULL (a NULL is refused here, with
    /// its rowid, rather than by the server mid-COPY).
    pub not_null: Vec<bool>,
    /// The target column names, in the same order.
    pub target_columns: Vec<String>,
    /// `schema.table`, quoted.
    pub target_sql: String,
    pub zone: Zone,
}

/// Rows read and the order-independent checksum of what was sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    pub rows: u64,
    pub checksum: i128,
}

enum Msg {
    Chunk(Bytes, u64),
    Done(Sent),
    Failed(ImportError),
}

/// Loads one table; `progress` gets the rows sent so far.
pub async fn load(
    client: &Client,
    table: TableLoad,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Sent, ImportError> {
    let columns = table
        .target_columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let statement = format!(
        "COPY {} ({columns}) FROM STDIN (FORMAT binary)",
        table.target_sql
    );
    let target = table.target_sql.clone();
    let sql_error = |e: tokio_postgres::Error| ImportError::Sql {
        context: format!("cannot load `{target}`"),
        message: crate::connect::describe_sql_error(&e),
    };
    let sink = client
        .copy_in::<_, Bytes>(&statement)
        .await
        .map_err(sql_error)?;
    let mut sink = pin!(sink);
    let (tx, mut rx) = mpsc::channel::<Msg>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let result = read(&table, &tx);
        if let Err(e) = result {
            let _ = tx.blocking_send(Msg::Failed(e));
        }
    });
    let mut sent = 0u64;
    let outcome = loop {
        match rx.recv().await {
            Some(Msg::Chunk(bytes, rows)) => {
                if let Err(e) = sink.send(bytes).await {
                    break Err(sql_error(e));
                }
                sent += rows;
                progress(sent);
            }
            Some(Msg::Done(done)) => break Ok(done),
            Some(Msg::Failed(e)) => break Err(e),
            None => {
                break Err(ImportError::Source {
                    file: PathBuf::new(),
                    message: "the reading thread stopped".into(),
                });
            }
        }
    };
    drop(rx);
    let _ = reader.await;
    match outcome {
        Ok(done) => {
            let copied = sink.as_mut().finish().await.map_err(sql_error)?;
            if copied != done.rows {
                return Err(ImportError::Sql {
                    context: format!("cannot load `{}`", table_name(&statement)),
                    message: format!("sent {} rows, the server took {copied}", done.rows),
                });
            }
            Ok(done)
        }
        // Dropping the sink unfinished aborts the COPY; the caller rolls back.
        Err(e) => Err(e),
    }
}

fn table_name(statement: &str) -> &str {
    statement
        .strip_prefix("COPY ")
        .and_then(|s| s.split(" (").next())
        .unwrap_or(statement)
}

/// The reading thread.
fn read(table: &TableLoad, tx: &mpsc::Sender<Msg>) -> Result<(), ImportError> {
    let source_error = |e: rusqlite::Error| ImportError::Source {
        file: table.file.clone(),
        message: format!("cannot read table `{}`: {e}", table.source),
    };
    let conn = super::source::open(&table.file).map_err(source_error)?;
    let mut select = vec![if table.without_rowid {
        "NULL".to_owned()
    } else {
        "rowid".to_owned()
    }];
    select.extend(table.columns.iter().map(|(c, _)| quote_ident(c)));
    let sql = format!(
        "SELECT {} FROM {}",
        select.join(", "),
        quote_ident(&table.source)
    );
    let mut stmt = conn.prepare(&sql).map_err(source_error)?;
    let mut rows = stmt.query([]).map_err(source_error)?;
    let fields = i16::try_from(table.columns.len()).map_err(|_| ImportError::Source {
        file: table.file.clone(),
        message: format!("table `{}` has too many columns", table.source),
    })?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0u32.to_be_bytes());
    buf.extend_from_slice(&0u32.to_be_bytes());
    let mut sent = Sent::default();
    let mut scratch = Vec::new();
    let mut in_chunk = 0u64;
    while let Some(row) = rows.next().map_err(source_error)? {
        sent.rows += 1;
        buf.extend_from_slice(&fields.to_be_bytes());
        let start = buf.len();
        for (k, (column, kind)) in table.columns.iter().enumerate() {
            let value = row.get_ref(k + 1).map_err(source_error)?;
            let converted = if table.not_null[k] && value == ValueRef::Null {
                Err("is not allowed: the target column is NOT NULL".to_owned())
            } else {
                convert::encode(kind, value, table.zone, &mut buf)
            };
            if let Err(reason) = converted {
                let row_id = match row.get_ref(0).map_err(source_error)? {
                    ValueRef::Integer(id) => format!("rowid {id}"),
                    _ => format!("row {}", sent.rows),
                };
                return Err(ImportError::Value {
                    table: table.source.clone(),
                    row: row_id,
                    column: column.clone(),
                    value: convert::show(value),
                    reason,
                });
            }
        }
        sent.checksum += i128::from(rowhash::row_hash(&buf[start..], &mut scratch));
        in_chunk += 1;
        if buf.len() >= CHUNK {
            let chunk = Bytes::from(std::mem::replace(
                &mut buf,
                Vec::with_capacity(CHUNK + 64 * 1024),
            ));
            if tx.blocking_send(Msg::Chunk(chunk, in_chunk)).is_err() {
                return Ok(());
            }
            in_chunk = 0;
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    if tx
        .blocking_send(Msg::Chunk(Bytes::from(buf), in_chunk))
        .is_err()
    {
        return Ok(());
    }
    let _ = tx.blocking_send(Msg::Done(sent));
    Ok(())
}
