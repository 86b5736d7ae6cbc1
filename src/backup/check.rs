//! `backup --verify` and `restore --check`: a test restore into a scratch
//! database, compared table by table with what the backup recorded.

use std::path::Path;

use serde::Serialize;

use super::restore::{load, read_rows};
use super::{BackupEntry, BackupManifest, Result, TableSum, table_sums};
use crate::connect::{SqlError, quote_ident};
use crate::fleet::Fleet;
use crate::provision;
use crate::topology::Placement;

/// What a test restore of one database showed.
#[derive(Debug, Serialize)]
pub struct Checked {
    pub database: String,
    /// The scratch database it was restored into (dropped again).
    pub scratch: String,
    pub tables: usize,
    /// One line per table that came back different; empty when all match.
    pub differences: Vec<String>,
    /// Set when the backup records no table checksums to compare with.
    pub note: Option<String>,
}

impl Checked {
    pub fn reproduces(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Restores each database of a verified backup (`names`, all when empty)
/// into a scratch database on its server (or the env's `shadow_server`) and
/// compares every table's row count and checksum with those recorded when
/// the backup was made. The scratch database is dropped on every path.
pub async fn check(
    fleet: &Fleet,
    dir: &Path,
    manifest: &BackupManifest,
    names: &[String],
) -> Result<Vec<Checked>> {
    let mut checked = Vec::new();
    for entry in &manifest.databases {
        if !names.is_empty() && !names.contains(&entry.database) {
            continue;
        }
        let placement = fleet.select(std::slice::from_ref(&entry.database), false)?[0];
        let scratch_name = scratch_name(&entry.database);
        let mut scratch = fleet.shadow_placement(placement, &scratch_name);
        // The backup's schemas, whatever the env places the database in.
        scratch.owned_schemas = entry.schemas.clone();
        let result = check_one(fleet, dir, entry, &scratch).await;
        let admin = fleet.server_conninfo(&scratch.server)?.connect().await?;
        let dropped = provision::drop_database(&admin, &scratch.server, &scratch.physical).await;
        let (tables, differences) = result?;
        dropped?;
        checked.push(Checked {
            database: entry.database.clone(),
            scratch: scratch_name,
            tables,
            differences,
            note: entry.tables.is_empty().then(|| {
                "the backup records no table checksums: only the restore was tried".into()
            }),
        });
    }
    Ok(checked)
}

async fn check_one(
    fleet: &Fleet,
    dir: &Path,
    entry: &BackupEntry,
    scratch: &Placement,
) -> Result<(usize, Vec<String>)> {
    let admin = fleet.server_conninfo(&scratch.server)?.connect().await?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {}",
            quote_ident(&scratch.physical)
        ))
        .await
        .map_err(SqlError::with(format!(
            "cannot create the scratch database `{}`",
            scratch.physical
        )))?;
    let rows = read_rows(dir, &entry.database)?;
    load(fleet, dir, scratch, &rows, false).await?;
    let client = fleet.conninfo(scratch)?.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(SqlError::with("cannot read the scratch database"))?;
    let got = table_sums(&client, &entry.schemas).await?;
    let _ = client.batch_execute("COMMIT").await;
    Ok((got.len(), compare_sums(&entry.tables, &got)))
}

/// The tables whose count or checksum differ between what the backup
/// recorded and what its restore holds, one line each.
fn compare_sums(expected: &[TableSum], got: &[TableSum]) -> Vec<String> {
    let mut differences = Vec::new();
    if expected.is_empty() {
        return differences;
    }
    for want in expected {
        match got.iter().find(|g| g.table == want.table) {
            None => differences.push(format!("`{}`: missing after the restore", want.table)),
            Some(g) if g.rows != want.rows => differences.push(format!(
                "`{}`: {} row(s), the source had {}",
                want.table, g.rows, want.rows
            )),
            Some(g) if g.checksum != want.checksum => differences.push(format!(
                "`{}`: same {} row(s), different contents (checksum {}, the source had {})",
                want.table, g.rows, g.checksum, want.checksum
            )),
            Some(_) => {}
        }
    }
    for g in got {
        if !expected.iter().any(|w| w.table == g.table) {
            differences.push(format!("`{}`: not in the source", g.table));
        }
    }
    differences
}

/// `pgfleet_shadow_check_<db>_<pid>_<random>`, within 63 bytes: the shadow
/// prefix, so whatever sweeps drift's leftovers sweeps these too.
fn scratch_name(database: &str) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let tail = format!("_{}_{:08x}", std::process::id(), random & 0xffff_ffff);
    let head = format!("{}check_", provision::SHADOW_PREFIX);
    let room = 63 - head.len() - tail.len();
    let db: String = database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(room)
        .collect();
    format!("{head}{db}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(table: &str, rows: i64, checksum: &str) -> TableSum {
        TableSum {
            table: table.into(),
            rows,
            checksum: checksum.into(),
        }
    }

    #[test]
    fn compare_names_each_table_that_differs() {
        let want = [
            sum("public.a", 3, "7"),
            sum("public.b", 2, "9"),
            sum("public.c", 1, "1"),
        ];
        let cases: [(&[TableSum], &[&str]); 4] = [
            (
                &[
                    sum("public.a", 3, "7"),
                    sum("public.b", 2, "9"),
                    sum("public.c", 1, "1"),
                ],
                &[],
            ),
            (
                &[
                    sum("public.a", 2, "7"),
                    sum("public.b", 2, "8"),
                    sum("public.c", 1, "1"),
                ],
                &[
                    "`public.a`: 2 row(s), the source had 3",
                    "`public.b`: same 2 row(s), different contents (checksum 8, the source had 9)",
                ],
            ),
            (
                &[sum("public.a", 3, "7"), sum("public.b", 2, "9")],
                &["`public.c`: missing after the restore"],
            ),
            (
                &[
                    sum("public.a", 3, "7"),
                    sum("public.b", 2, "9"),
                    sum("public.c", 1, "1"),
                    sum("public.d", 0, "0"),
                ],
                &["`public.d`: not in the source"],
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(compare_sums(&want, got), expected);
        }
        assert!(compare_sums(&[], &want).is_empty());
    }

    #[test]
    fn scratch_names_fit_and_start_with_the_shadow_prefix() {
        let name = scratch_name(&"Long-Name".repeat(20));
        assert!(name.len() <= 63, "{name}");
        assert!(name.starts_with("pgfleet_shadow_check_long_name"), "{name}");
    }
}
