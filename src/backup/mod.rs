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

use std::path::{Path, PathBuf};
use std::process::Stdio;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::connect::SqlError;
use crate::connect::quote_ident;
use crate::fleet::{Fleet, FleetError};
use crate::migrate::history::{self, Row};
use crate::provision::ProvisionError;
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
pub(crate) struct StoredRow {
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
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),
    #[error(transparent)]
    Server(#[from] crate::server::ServerError),
    #[error(transparent)]
    Query(#[from] SqlError),
}

impl From<ProvisionError> for BackupError {
    fn from(e: ProvisionError) -> BackupError {
        match e {
            ProvisionError::Fleet(e) => BackupError::Fleet(e),
            ProvisionError::Connect(e) => BackupError::Connect(e),
            ProvisionError::Query(e) => BackupError::Query(e),
        }
    }
}

type Result<T, E = BackupError> = std::result::Result<T, E>;

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
            BackupError::Fleet(e) => e.hint(),
            BackupError::Connect(e) => e.hint(),
            BackupError::Server(e) => e.hint(),
            BackupError::Query(e) => e.hint(),
            _ => None,
        }
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
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
        });
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
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File> {
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
        .map_err(SqlError::with("cannot read the server version"))?;
    // One snapshot for the dump, the history rows and the table checksums,
    // so a migration running meanwhile is in all three or in none.
    let snapshot: String = client
        .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT pg_export_snapshot()")
        .await
        .map_err(SqlError::with("cannot export a snapshot"))?
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
        .map_err(SqlError::with("cannot look up its schemas"))?
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
        });
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
pub(crate) async fn table_sums(
    client: &tokio_postgres::Client,
    schemas: &[String],
) -> Result<Vec<TableSum>> {
    client
        .batch_execute(
            "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; \
             SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; \
             SET LOCAL bytea_output = 'hex'",
        )
        .await
        .map_err(SqlError::with("cannot pin the settings for row checksums"))?;
    let names: Vec<(String, String)> = client
        .query_typed(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
              ORDER BY 1, 2",
            &[(&schemas, tokio_postgres::types::Type::TEXT_ARRAY)],
        )
        .await
        .map_err(SqlError::with("cannot list its tables"))?
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
            .map_err(SqlError::with(format!(
                "cannot checksum `{schema}.{table}`"
            )))?;
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
        .map_err(|source| BackupError::Spawn {
            program: tool.path.display().to_string(),
            source,
        })?
        .wait_with_output()
        .await
        .map_err(|source| BackupError::Spawn {
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
    })
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
                });
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
                });
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

mod check;
mod restore;

pub use check::{Checked, check};
pub use restore::{RestoreOptions, Restored, restore};
