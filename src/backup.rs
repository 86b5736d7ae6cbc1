//! `backup` and `restore`: one `pg_dump` (custom format) per logical
//! database, holding only the schemas it owns, plus its `pgfleet.history`
//! rows, and a `manifest.json` with the SHA-256 and size of every file.
//!
//! `pg_dump` must be at least as new as the server; it is found the way the
//! embedded server's binaries are (`PGFLEET_PG_BIN`, `pg_config`, `PATH`,
//! the usual folders). Passwords reach `pg_dump`/`pg_restore` through
//! `PGPASSWORD` in their environment, never their arguments.
//!
//! Private: the folder is made `0700` and every file in it `0600` (the
//! umask can only narrow that). Durable: every file and then the folder is
//! fsynced, and `manifest.json` is written last, to a temporary name renamed
//! into place: a folder without a manifest is an interrupted backup and
//! restore refuses it. Each database is dumped from a snapshot exported by a
//! repeatable-read transaction that also reads its history rows and the row
//! count and checksum of every table, so all three describe one moment.
//!
//! A restore checks every checksum before touching anything, refuses a
//! target that already holds tables unless `--clean`, and loads the dump
//! (`pg_restore` writing SQL into `psql`), its history rows and, with
//! `--clean`, the dropping of what was there in one transaction: a restore
//! killed at any moment leaves the target as it was. `check` restores into a
//! scratch database and compares every table with the counts and checksums
//! recorded at backup time. The
//! backup's schemas must be the schemas the target env places the database
//! in: a prod backup (schema `public`) restores into a dev env that also
//! gives each database its own physical database.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::connect::{quote_ident, quote_literal};
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::migrate::history::{self, Row};
use crate::provision;
use crate::server::{Tool, find_tool};
use crate::topology::Placement;
use crate::wiring;

/// The file naming everything in a backup folder.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupManifest {
    pub format: u32,
    pub created_at: String,
    pub workspace: String,
    pub env: String,
    pub pgfleet_version: String,
    pub databases: Vec<BackupEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupEntry {
    pub database: String,
    pub physical_database: String,
    pub schemas: Vec<String>,
    pub server_version: String,
    pub pg_dump_version: String,
    /// The newest applied migration, if any.
    pub migration_head: Option<String>,
    pub files: Vec<FileEntry>,
    /// Every table's row count and checksum at the dump's snapshot (absent
    /// in backups made before pgfleet recorded them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableSum>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// A history row as a backup stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct StoredRow {
    version: String,
    name: String,
    kind: String,
    checksum: String,
    applied_at: String,
    execution_ms: i64,
    applied_by: String,
    down_script: Option<String>,
    state: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("`{}` already holds a backup (`{MANIFEST}`)", dir.display())]
    NotEmpty { dir: PathBuf },
    #[error("`{}` is not a pgfleet backup: {reason}", dir.display())]
    NotABackup { dir: PathBuf, reason: String },
    #[error("`{}` does not match the backup's manifest: {reason}", path.display())]
    Tampered { path: PathBuf, reason: String },
    #[error("the backup holds no database `{database}`")]
    NotInBackup {
        database: String,
        known: Vec<String>,
    },
    #[error("`{database}`: {}", describe_schemas(.backup, .target, env))]
    SchemaMismatch {
        database: String,
        env: String,
        backup: Vec<String>,
        target: Vec<String>,
    },
    #[error("`{database}`: `{physical}` already holds {tables} table(s) in its schemas")]
    TargetNotEmpty {
        database: String,
        physical: String,
        tables: i64,
    },
    #[error("`{database}`: none of its schemas ({}) exists in `{physical}`", schemas.join(", "))]
    NothingToBackUp {
        database: String,
        physical: String,
        schemas: Vec<String>,
    },
    #[error("`{database}`: `{command}` failed: {stderr}")]
    Tool {
        database: String,
        command: String,
        stderr: String,
    },
    #[error("cannot read or write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn describe_schemas(backup: &[String], target: &[String], env: &str) -> String {
    format!(
        "the backup holds schema(s) {}, but env `{env}` places it in {}",
        backup.join(", "),
        target.join(", ")
    )
}

impl BackupError {
    pub fn hint(&self) -> Option<String> {
        match self {
            BackupError::NotEmpty { .. } => Some("give `--out` a new or empty folder".into()),
            BackupError::Tampered { .. } => {
                Some("the file changed after the backup was made: restore from another copy".into())
            }
            BackupError::NotInBackup { known, .. } => {
                Some(format!("the backup holds: {}", known.join(", ")))
            }
            BackupError::SchemaMismatch { .. } => {
                Some("restore into an env whose placement uses the same schemas".into())
            }
            BackupError::TargetNotEmpty { .. } => Some(
                "pass `--clean` to replace what is there (its owned schemas are dropped first)"
                    .into(),
            ),
            _ => None,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| {
        BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }
}

/// Backs up `selected` into `out`, `jobs` databases at a time; `progress`
/// hears of each database as it finishes.
pub async fn backup(
    fleet: &Fleet,
    selected: &[&Placement],
    out: &Path,
    jobs: usize,
    progress: &(dyn Fn(&BackupEntry) + Sync),
) -> Result<BackupManifest> {
    if out.join(MANIFEST).exists() {
        return Err(BackupError::NotEmpty {
            dir: out.to_path_buf(),
        }
        .into());
    }
    private_dir(out)?;
    let results: Vec<Result<BackupEntry>> =
        futures_util::stream::iter(selected.iter().map(|p| async move {
            let entry = backup_one(fleet, p, out).await?;
            progress(&entry);
            Ok(entry)
        }))
        .buffered(jobs.max(1))
        .collect()
        .await;
    let databases = results.into_iter().collect::<Result<Vec<_>>>()?;
    let manifest = BackupManifest {
        format: 1,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        workspace: fleet.manifest.name.clone(),
        env: fleet.topology.env.clone(),
        pgfleet_version: env!("CARGO_PKG_VERSION").to_owned(),
        databases,
    };
    write_manifest(out, &manifest)?;
    Ok(manifest)
}

/// Test-only: `PGFLEET_TEST_BACKUP_ABORT_AFTER=<step>` aborts the process
/// (as a kill would) right after that step of a backup: `dump`, `history`,
/// `manifest-temp` or `manifest`. The reliability tests use it to show what
/// a restore sees of a backup cut short; nothing else sets it.
fn abort_after(step: &str) {
    if std::env::var("PGFLEET_TEST_BACKUP_ABORT_AFTER").as_deref() == Ok(step) {
        std::process::abort();
    }
}

/// Creates `dir` (and its parents) as `0700`, and narrows an existing one
/// to that.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    let meta = std::fs::metadata(dir).map_err(io(dir))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(io(dir))?;
    }
    Ok(())
}

/// A new (or emptied) `0600` file; a symlink at `path` is not followed.
fn create_private(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(io(path))
}

/// fsyncs a folder, so the names created or renamed in it survive a crash.
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

/// `manifest.json` last: written to a temporary `0600` file in the folder,
/// fsynced, renamed into place, then the folder fsynced.
fn write_manifest(out: &Path, manifest: &BackupManifest) -> Result<()> {
    use std::io::Write as _;
    let text =
        serde_json::to_string_pretty(manifest).map_err(|e| io(out)(std::io::Error::other(e)))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".manifest-")
        .suffix(".tmp")
        .tempfile_in(out)
        .map_err(io(out))?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.write_all(b"\n"))
        .and_then(|()| temp.as_file().sync_all())
        .map_err(io(temp.path()))?;
    abort_after("manifest-temp");
    let target = out.join(MANIFEST);
    temp.persist(&target).map_err(|e| io(&target)(e.error))?;
    sync_dir(out)?;
    abort_after("manifest");
    Ok(())
}

async fn backup_one(fleet: &Fleet, placement: &Placement, out: &Path) -> Result<BackupEntry> {
    let db = &placement.database;
    let client = fleet.conninfo(placement)?.connect().await?;
    let version = crate::connect::server_version(&client)
        .await
        .map_err(Error::sql("cannot read the server version"))?;
    // One snapshot for the dump, the history rows and the table checksums,
    // so a migration running meanwhile is in all three or in none.
    let snapshot: String = client
        .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT pg_export_snapshot()")
        .await
        .map_err(Error::sql("cannot export a snapshot"))?
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_default();
    // The owned schemas that exist, in the manifest's order: one query for all.
    let existing: Vec<String> = client
        .query_typed(
            "SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1)",
            &[(
                &placement.owned_schemas,
                tokio_postgres::types::Type::TEXT_ARRAY,
            )],
        )
        .await
        .map_err(Error::sql("cannot look up its schemas"))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let schemas: Vec<String> = placement
        .owned_schemas
        .iter()
        .filter(|s| existing.contains(s))
        .cloned()
        .collect();
    if schemas.is_empty() {
        return Err(BackupError::NothingToBackUp {
            database: db.clone(),
            physical: placement.physical.clone(),
            schemas: placement.owned_schemas.clone(),
        }
        .into());
    }
    let rows = history::read(&client, db).await?;
    let stored: Vec<StoredRow> = rows.iter().map(stored_row).collect();
    let head = rows
        .iter()
        .filter(|r| r.state == history::RowState::Applied && r.kind != history::RowKind::Repeatable)
        .max_by(|a, b| (a.version.len(), &a.version).cmp(&(b.version.len(), &b.version)))
        .map(|r| r.version.clone());

    let pg_dump = find_tool("pg_dump", version.major())?;
    let dump_name = format!("{db}.dump");
    let dump = out.join(&dump_name);
    // pg_dump writes into a file we made 0600, and we fsync it.
    let file = create_private(&dump)?;
    let mut command = tokio::process::Command::new(&pg_dump.path);
    command.args(["--format=custom", "--snapshot", &snapshot]);
    for schema in &schemas {
        command.arg(format!("--schema={}", quote_ident(schema)));
    }
    let file_out = file.try_clone().map_err(io(&dump))?;
    run_tool(fleet, placement, &pg_dump, command, Some(file_out)).await?;
    file.sync_all().map_err(io(&dump))?;
    abort_after("dump");

    let tables = table_sums(&client, &schemas).await?;
    let _ = client.batch_execute("COMMIT").await;

    let history_name = format!("{db}.history.json");
    write_json(&out.join(&history_name), &stored)?;
    sync_dir(out)?;
    abort_after("history");

    Ok(BackupEntry {
        database: db.clone(),
        physical_database: placement.physical.clone(),
        schemas,
        server_version: version.text,
        pg_dump_version: pg_dump.version.clone(),
        migration_head: head,
        files: vec![
            file_entry(out, &dump_name)?,
            file_entry(out, &history_name)?,
        ],
        tables,
    })
}

/// Row count and checksum of one table, as recorded at backup time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: i64,
    pub checksum: String,
}

/// Every ordinary table of `schemas`: `count(*)` and the sum of each row's
/// `hashtextextended` (the server-side row hash `import` verifies with),
/// here over the row's text form, which every column type has. The text
/// form depends on a few settings: they are pinned first.
async fn table_sums(client: &tokio_postgres::Client, schemas: &[String]) -> Result<Vec<TableSum>> {
    client
        .batch_execute(
            "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; \
             SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; \
             SET LOCAL bytea_output = 'hex'",
        )
        .await
        .map_err(Error::sql("cannot pin the settings for row checksums"))?;
    let names: Vec<(String, String)> = client
        .query_typed(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
              ORDER BY 1, 2",
            &[(&schemas, tokio_postgres::types::Type::TEXT_ARRAY)],
        )
        .await
        .map_err(Error::sql("cannot list its tables"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut sums = Vec::new();
    for (schema, table) in names {
        let sql = format!(
            "SELECT count(*)::int8, coalesce(sum(hashtextextended(t::text COLLATE \"C\", 0)), 0)::text FROM ONLY {}.{} t",
            quote_ident(&schema),
            quote_ident(&table)
        );
        let found = client
            .query_typed(&sql, &[])
            .await
            .map_err(Error::sql(format!("cannot checksum `{schema}.{table}`")))?;
        let row = &found[0];
        sums.push(TableSum {
            table: format!("{schema}.{table}"),
            rows: row.get(0),
            checksum: row.get(1),
        });
    }
    Ok(sums)
}

fn stored_row(r: &Row) -> StoredRow {
    StoredRow {
        version: r.version.clone(),
        name: r.name.clone(),
        kind: r.kind.as_str().to_owned(),
        checksum: r.checksum.clone(),
        applied_at: r
            .applied_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        execution_ms: r.execution_ms,
        applied_by: r.applied_by.clone(),
        down_script: r.down_script.clone(),
        state: r.state.as_str().to_owned(),
    }
}

/// Runs a client tool with the placement's connection in its environment.
async fn run_tool(
    fleet: &Fleet,
    placement: &Placement,
    tool: &Tool,
    mut command: tokio::process::Command,
    stdout: Option<std::fs::File>,
) -> Result<()> {
    let vars = wiring::service_env(fleet, placement)?;
    let output = command
        .envs(
            vars.into_iter()
                .filter(|(k, _)| k != "DATABASE_URL" && k != "PGOPTIONS"),
        )
        .stdin(Stdio::null())
        .stdout(stdout.map_or_else(Stdio::piped, Stdio::from))
        .stderr(Stdio::piped())
        // Not `output()`: tokio's would pipe stdout, even when given a file.
        .spawn()
        .map_err(|source| Error::Spawn {
            program: tool.path.display().to_string(),
            source,
        })?
        .wait_with_output()
        .await
        .map_err(|source| Error::Spawn {
            program: tool.path.display().to_string(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(BackupError::Tool {
        database: placement.database.clone(),
        command: tool
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    }
    .into())
}

/// A `0600` JSON file, fsynced.
fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    use std::io::Write as _;
    let text =
        serde_json::to_string_pretty(value).map_err(|e| io(path)(std::io::Error::other(e)))?;
    let mut file = create_private(path)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(io(path))
}

fn file_entry(dir: &Path, name: &str) -> Result<FileEntry> {
    let path = dir.join(name);
    let (sha256, size) = hash_file(&path)?;
    Ok(FileEntry {
        name: name.to_owned(),
        sha256,
        size,
    })
}

fn hash_file(path: &Path) -> Result<(String, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Reads a backup's manifest and checks every file against it: size and
/// SHA-256. Nothing is restored from a backup that fails this.
pub fn verify(dir: &Path) -> Result<BackupManifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| BackupError::NotABackup {
        dir: dir.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            missing_manifest(dir)
        } else {
            format!("cannot read `{MANIFEST}`: {e}")
        },
    })?;
    let manifest: BackupManifest =
        serde_json::from_str(&text).map_err(|e| BackupError::NotABackup {
            dir: dir.to_path_buf(),
            reason: format!("`{MANIFEST}` is not valid: {e}"),
        })?;
    for entry in &manifest.databases {
        for file in &entry.files {
            let path = dir.join(&file.name);
            if file.name.contains('/') || file.name.starts_with('.') {
                return Err(BackupError::Tampered {
                    path,
                    reason: "the name leaves the backup folder".into(),
                }
                .into());
            }
            let (sha256, size) = hash_file(&path).map_err(|_| BackupError::Tampered {
                path: path.clone(),
                reason: "the file is missing or unreadable".into(),
            })?;
            if size != file.size || sha256 != file.sha256 {
                return Err(BackupError::Tampered {
                    path,
                    reason: format!(
                        "size {size} and SHA-256 {sha256}, expected {} and {}",
                        file.size, file.sha256
                    ),
                }
                .into());
            }
        }
    }
    Ok(manifest)
}

/// Why a folder without `manifest.json` is no backup, naming what it holds.
fn missing_manifest(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        format!("it has no `{MANIFEST}`")
    } else {
        format!(
            "it has no `{MANIFEST}` (the last file a backup writes), only {}: an interrupted backup",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Replace what the target holds (its owned schemas are dropped first).
    pub clean: bool,
    pub jobs: usize,
}

#[derive(Debug, Serialize)]
pub struct Restored {
    pub database: String,
    pub physical_database: String,
    pub migration_head: Option<String>,
    pub history_rows: usize,
}

/// Restores the databases `names` (all when empty) of a verified backup into
/// the fleet's env.
pub async fn restore(
    fleet: &Fleet,
    dir: &Path,
    manifest: &BackupManifest,
    names: &[String],
    options: RestoreOptions,
    progress: &(dyn Fn(&Restored) + Sync),
) -> Result<Vec<Restored>> {
    fleet.select(names, false)?;
    let known: Vec<String> = manifest
        .databases
        .iter()
        .map(|d| d.database.clone())
        .collect();
    let mut work = Vec::new();
    for entry in &manifest.databases {
        if !names.is_empty() && !names.contains(&entry.database) {
            continue;
        }
        let placement = fleet.select(std::slice::from_ref(&entry.database), false)?[0];
        if placement.owned_schemas != entry.schemas {
            return Err(BackupError::SchemaMismatch {
                database: entry.database.clone(),
                env: fleet.topology.env.clone(),
                backup: entry.schemas.clone(),
                target: placement.owned_schemas.clone(),
            }
            .into());
        }
        work.push((entry, placement));
    }
    for name in names {
        if !known.contains(name) {
            return Err(BackupError::NotInBackup {
                database: name.clone(),
                known,
            }
            .into());
        }
    }
    let results: Vec<Result<Restored>> =
        futures_util::stream::iter(work.into_iter().map(|(entry, placement)| async move {
            let restored = restore_one(fleet, dir, entry, placement, options).await?;
            progress(&restored);
            Ok(restored)
        }))
        .buffered(options.jobs.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

async fn restore_one(
    fleet: &Fleet,
    dir: &Path,
    entry: &BackupEntry,
    placement: &Placement,
    options: RestoreOptions,
) -> Result<Restored> {
    let db = &placement.database;
    provision::create(fleet, &[placement]).await?;
    let client = fleet.conninfo(placement)?.connect().await?;
    let schemas: Vec<String> = placement
        .owned_schemas
        .iter()
        .map(|s| quote_literal(s))
        .collect();
    let count_sql = format!(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ({}) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')",
        schemas.join(", ")
    );
    let tables: i64 = client
        .query_typed(&count_sql, &[])
        .await
        .map_err(Error::sql(format!(
            "cannot look into `{}`",
            placement.physical
        )))?[0]
        .get(0);
    let has_history_rows = !history::read(&client, db).await?.is_empty();
    let clean = tables > 0 || has_history_rows;
    if clean && !options.clean {
        return Err(BackupError::TargetNotEmpty {
            database: db.clone(),
            physical: placement.physical.clone(),
            tables,
        }
        .into());
    }
    let rows = read_rows(dir, db)?;
    load(fleet, dir, placement, &rows, clean).await?;
    Ok(Restored {
        database: db.clone(),
        physical_database: placement.physical.clone(),
        migration_head: entry.migration_head.clone(),
        history_rows: rows.len(),
    })
}

fn read_rows(dir: &Path, db: &str) -> Result<Vec<StoredRow>> {
    let rows_path = dir.join(format!("{db}.history.json"));
    let text = std::fs::read_to_string(&rows_path).map_err(io(&rows_path))?;
    serde_json::from_str(&text).map_err(|e| {
        BackupError::NotABackup {
            dir: dir.to_path_buf(),
            reason: format!("`{}`: {e}", rows_path.display()),
        }
        .into()
    })
}

/// The statements that open the restore's transaction: with `clean`, the
/// owned schemas dropped (and their history rows deleted); then the owned
/// schemas and the database's extensions made if missing.
fn prologue(fleet: &Fleet, placement: &Placement, clean: bool) -> String {
    let db = &placement.database;
    let mut sql = String::from("\\set ON_ERROR_STOP on\nBEGIN;\n");
    if clean {
        for schema in &placement.owned_schemas {
            let _ = writeln!(
                sql,
                "DROP SCHEMA IF EXISTS {} CASCADE;",
                quote_ident(schema)
            );
        }
        let _ = writeln!(
            sql,
            "DO $pgfleet$ BEGIN IF to_regclass('pgfleet.history') IS NOT NULL THEN \
             DELETE FROM pgfleet.history WHERE db = {}; END IF; END $pgfleet$;",
            quote_literal(db)
        );
    }
    for schema in &placement.owned_schemas {
        let _ = writeln!(sql, "CREATE SCHEMA IF NOT EXISTS {};", quote_ident(schema));
    }
    if let Some(database) = fleet.manifest.databases.get(db) {
        for extension in &database.extensions {
            let _ = writeln!(
                sql,
                "CREATE EXTENSION IF NOT EXISTS {};",
                quote_ident(extension)
            );
        }
    }
    sql
}

/// The statements that close the restore's transaction: the history rows,
/// then `COMMIT`.
fn epilogue(db: &str, rows: &[StoredRow]) -> String {
    let mut sql = String::new();
    if !rows.is_empty() {
        // ENSURE without its own BEGIN/COMMIT: it runs inside ours.
        sql.push_str(
            &history::ENSURE
                .replace("\nBEGIN;\n", "\n")
                .replace("\nCOMMIT;\n", "\n"),
        );
        for r in rows {
            let _ = writeln!(
                sql,
                "INSERT INTO pgfleet.history (db, version, name, kind, checksum, applied_at, execution_ms, applied_by, down_script, state)
                 VALUES ({}, {}, {}, {}, {}, {}::timestamptz, {}, {}, {}, {});",
                quote_literal(db),
                quote_literal(&r.version),
                quote_literal(&r.name),
                quote_literal(&r.kind),
                quote_literal(&r.checksum),
                quote_literal(&r.applied_at),
                r.execution_ms,
                quote_literal(&r.applied_by),
                r.down_script.as_deref().map_or_else(|| "NULL".to_owned(), quote_literal),
                quote_literal(&r.state),
            );
        }
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// Loads the dump of `placement`'s database and its history `rows` into
/// `placement` in one transaction: `pg_restore` writes the dump as SQL, which
/// pgfleet passes to `psql` between its own `BEGIN` (with the cleaning, when
/// `clean`) and the history rows and `COMMIT`. If anything dies half-way,
/// `psql` never sees the `COMMIT` and the server rolls everything back.
async fn load(
    fleet: &Fleet,
    dir: &Path,
    placement: &Placement,
    rows: &[StoredRow],
    clean: bool,
) -> Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let db = &placement.database;
    let client = fleet.conninfo(placement)?.connect().await?;
    let server_major = crate::connect::server_version(&client)
        .await
        .map_err(Error::sql("cannot read the server version"))?
        .major();
    drop(client);
    let dump = dir.join(format!("{db}.dump"));
    let pg_restore = find_tool("pg_restore", server_major)?;
    let psql = find_tool("psql", 0)?;
    // The owned schemas are made in our transaction: leave the dump's
    // CREATE SCHEMA entries out.
    let list = list_without_schemas(placement, &pg_restore, &dump).await?;
    // A private folder of our own (0700, random name), not a guessable name
    // in the shared temporary folder; removed when dropped.
    let temp = tempfile::Builder::new()
        .prefix("pgfleet-restore-")
        .tempdir()
        .map_err(io(&std::env::temp_dir()))?;
    let list_file = temp.path().join("toc.list");
    {
        use std::io::Write as _;
        let mut file = create_private(&list_file)?;
        file.write_all(list.as_bytes()).map_err(io(&list_file))?;
    }
    let vars: Vec<(String, String)> = wiring::service_env(fleet, placement)?
        .into_iter()
        .filter(|(k, _)| k != "DATABASE_URL" && k != "PGOPTIONS")
        .collect();
    let spawn_err = |tool: &Tool| {
        let program = tool.path.display().to_string();
        move |source| Error::Spawn { program, source }
    };
    let mut restore = tokio::process::Command::new(&pg_restore.path)
        .args(["--no-owner", "--no-privileges", "--file=-", "--use-list"])
        .arg(&list_file)
        .arg(&dump)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_err(&pg_restore))?;
    let mut psql_child = tokio::process::Command::new(&psql.path)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(&placement.physical)
        .envs(vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_err(&psql))?;
    let mut script_in = psql_child.stdin.take().expect("piped stdin");
    let mut dump_out = restore.stdout.take().expect("piped stdout");
    let mut restore_err = restore.stderr.take().expect("piped stderr");
    let mut psql_err = psql_child.stderr.take().expect("piped stderr");
    let feed = async {
        script_in
            .write_all(prologue(fleet, placement, clean).as_bytes())
            .await?;
        tokio::io::copy(&mut dump_out, &mut script_in).await?;
        let restored = restore.wait().await?;
        if restored.success() {
            script_in.write_all(epilogue(db, rows).as_bytes()).await?;
        }
        // Without the epilogue psql reaches the end with the transaction
        // open and the server rolls it back.
        drop(script_in);
        Ok::<_, std::io::Error>(restored)
    };
    let read_restore_err = async {
        let mut text = String::new();
        let _ = restore_err.read_to_string(&mut text).await;
        text
    };
    let read_psql_err = async {
        let mut text = String::new();
        let _ = psql_err.read_to_string(&mut text).await;
        text
    };
    let (fed_result, restore_text, psql_text) = tokio::join!(feed, read_restore_err, read_psql_err);
    let psql_status = psql_child.wait().await.map_err(spawn_err(&psql))?;
    let failure = |command: &str, stderr: String| -> Error {
        BackupError::Tool {
            database: db.clone(),
            command: command.to_owned(),
            stderr: stderr.trim().to_owned(),
        }
        .into()
    };
    match fed_result {
        Ok(status) if !status.success() => return Err(failure("pg_restore", restore_text)),
        // psql stopped reading: its own error says why.
        Err(e) if psql_status.success() => return Err(failure("pg_restore", e.to_string())),
        _ => {}
    }
    if !psql_status.success() {
        return Err(failure("psql", psql_text));
    }
    Ok(())
}

/// `pg_restore --list` of the dump, minus its `SCHEMA` entries.
async fn list_without_schemas(placement: &Placement, tool: &Tool, dump: &Path) -> Result<String> {
    let output = tokio::process::Command::new(&tool.path)
        .arg("--list")
        .arg(dump)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|source| Error::Spawn {
            program: tool.path.display().to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(BackupError::Tool {
            database: placement.database.clone(),
            command: "pg_restore --list".into(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
        .into());
    }
    let mut list = String::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let kind = line.split_whitespace().nth(3);
        if kind != Some("SCHEMA") {
            list.push_str(line);
            list.push('\n');
        }
    }
    Ok(list)
}

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
        .map_err(Error::sql(format!(
            "cannot create the scratch database `{}`",
            scratch.physical
        )))?;
    let rows = read_rows(dir, &entry.database)?;
    load(fleet, dir, scratch, &rows, false).await?;
    let client = fleet.conninfo(scratch)?.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(Error::sql("cannot read the scratch database"))?;
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
    let head = format!("{}check_", crate::drift::SHADOW_PREFIX);
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
