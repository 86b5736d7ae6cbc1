//! `backup` and `restore`: one `pg_dump` (custom format) per logical
//! database, holding only the schemas it owns, plus its `pgfleet.history`
//! rows, and a `manifest.json` with the SHA-256 and size of every file.
//!
//! `pg_dump` must be at least as new as the server; it is found the way the
//! embedded server's binaries are (`PGFLEET_PG_BIN`, `pg_config`, `PATH`,
//! the usual folders). Passwords reach `pg_dump`/`pg_restore` through
//! `PGPASSWORD` in their environment, never their arguments.
//!
//! A restore checks every checksum before touching anything, refuses a
//! target that already holds tables unless `--clean`, and runs `pg_restore
//! --single-transaction`, so a failed restore leaves nothing half-done. The
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
    std::fs::create_dir_all(out).map_err(io(out))?;
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
    write_json(&out.join(MANIFEST), &manifest)?;
    Ok(manifest)
}

async fn backup_one(fleet: &Fleet, placement: &Placement, out: &Path) -> Result<BackupEntry> {
    let db = &placement.database;
    let client = fleet.conninfo(placement)?.connect().await?;
    let version = crate::connect::server_version(&client)
        .await
        .map_err(Error::sql("cannot read the server version"))?;
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
    let mut command = tokio::process::Command::new(&pg_dump.path);
    command
        .args(["--format=custom", "--no-sync", "--file"])
        .arg(&dump);
    for schema in &schemas {
        command.arg(format!("--schema={}", quote_ident(schema)));
    }
    run_tool(fleet, placement, &pg_dump, command).await?;

    let history_name = format!("{db}.history.json");
    write_json(&out.join(&history_name), &stored)?;

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
    })
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
) -> Result<()> {
    let vars = wiring::service_env(fleet, placement)?;
    let output = command
        .envs(
            vars.into_iter()
                .filter(|(k, _)| k != "DATABASE_URL" && k != "PGOPTIONS"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
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

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| io(path)(std::io::Error::other(e)))?;
    std::fs::write(path, text + "\n").map_err(io(path))
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
        reason: format!("cannot read `{MANIFEST}`: {e}"),
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
    if tables > 0 || has_history_rows {
        if !options.clean {
            return Err(BackupError::TargetNotEmpty {
                database: db.clone(),
                physical: placement.physical.clone(),
                tables,
            }
            .into());
        }
        let mut sql = String::from("BEGIN;\n");
        for schema in &placement.owned_schemas {
            let _ = writeln!(
                sql,
                "DROP SCHEMA IF EXISTS {} CASCADE;",
                quote_ident(schema)
            );
        }
        // Rows of this database imply the table; no rows, nothing to delete.
        if has_history_rows {
            let _ = writeln!(
                sql,
                "DELETE FROM pgfleet.history WHERE db = {};",
                quote_literal(db)
            );
        }
        sql.push_str("COMMIT");
        client
            .batch_execute(&sql)
            .await
            .map_err(Error::sql(format!("cannot empty `{}`", placement.physical)))?;
        // Schemas and extensions back, empty.
        provision::create(fleet, &[placement]).await?;
    }

    let server_major = crate::connect::server_version(&client)
        .await
        .map_err(Error::sql("cannot read the server version"))?
        .major();
    let dump = dir.join(format!("{db}.dump"));
    let pg_restore = find_tool("pg_restore", server_major)?;
    // The owned schemas exist already (created above, with the manifest's
    // extensions in them): leave their CREATE SCHEMA entries out.
    let list = list_without_schemas(placement, &pg_restore, &dump).await?;
    // Beside the process, not in the backup folder, which may be read-only.
    let list_file =
        std::env::temp_dir().join(format!("pgfleet-restore-{}-{db}.list", std::process::id()));
    std::fs::write(&list_file, list).map_err(io(&list_file))?;
    let mut command = tokio::process::Command::new(&pg_restore.path);
    command
        .args([
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--use-list",
        ])
        .arg(&list_file)
        .arg(format!("--dbname={}", placement.physical))
        .arg(&dump);
    let result = run_tool(fleet, placement, &pg_restore, command).await;
    let _ = std::fs::remove_file(&list_file);
    result?;

    let rows_path = dir.join(format!("{db}.history.json"));
    let text = std::fs::read_to_string(&rows_path).map_err(io(&rows_path))?;
    let rows: Vec<StoredRow> =
        serde_json::from_str(&text).map_err(|e| BackupError::NotABackup {
            dir: dir.to_path_buf(),
            reason: format!("`{}`: {e}", rows_path.display()),
        })?;
    if !rows.is_empty() {
        client
            .batch_execute(history::ENSURE)
            .await
            .map_err(Error::sql("cannot create pgfleet.history"))?;
        let mut sql = String::from("BEGIN;\n");
        for r in &rows {
            let _ = write!(
                sql,
                "INSERT INTO pgfleet.history (db, version, name, kind, checksum, applied_at, execution_ms, applied_by, down_script, state)
                 VALUES ({}, {}, {}, {}, {}, {}::timestamptz, {}, {}, {}, {});\n",
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
        sql.push_str("COMMIT");
        client
            .batch_execute(&sql)
            .await
            .map_err(Error::sql(format!("cannot restore the history of `{db}`")))?;
    }
    Ok(Restored {
        database: db.clone(),
        physical_database: placement.physical.clone(),
        migration_head: entry.migration_head.clone(),
        history_rows: rows.len(),
    })
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
