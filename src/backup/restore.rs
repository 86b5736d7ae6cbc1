//! `restore`: the dump, its history rows and (with `--clean`) the dropping
//! of what was there, in one transaction through `psql`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;

use futures_util::StreamExt;
use serde::Serialize;

use super::{BackupEntry, BackupError, BackupManifest, Result, StoredRow, io};
use crate::connect::{SqlError, quote_ident, quote_literal};
use crate::fleet::Fleet;
use crate::migrate::history;
use crate::provision;
use crate::server::{Tool, find_tool};
use crate::topology::Placement;
use crate::wiring;

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
/// the fleet's env. `permit`: the safety rule said yes for this env
/// ([`crate::safety::check`]).
pub async fn restore(
    fleet: &Fleet,
    permit: &crate::safety::Permit,
    dir: &Path,
    manifest: &BackupManifest,
    names: &[String],
    options: RestoreOptions,
    progress: &(dyn Fn(&Restored) + Sync),
) -> Result<Vec<Restored>> {
    debug_assert!(permit.covers(&fleet.topology), "a permit for another env");
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
            });
        }
        work.push((entry, placement));
    }
    for name in names {
        if !known.contains(name) {
            return Err(BackupError::NotInBackup {
                database: name.clone(),
                known,
            });
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
        .map_err(SqlError::with(format!(
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
        });
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

pub(super) fn read_rows(dir: &Path, db: &str) -> Result<Vec<StoredRow>> {
    let rows_path = dir.join(format!("{db}.history.json"));
    let text = std::fs::read_to_string(&rows_path).map_err(io(&rows_path))?;
    serde_json::from_str(&text).map_err(|e| BackupError::NotABackup {
        dir: dir.to_path_buf(),
        reason: format!("`{}`: {e}", rows_path.display()),
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
            sql.push_str(&recreate_schema(schema));
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

/// Drops `schema` (when it exists) and makes it again, empty, with the
/// owner, grants and comment it had: `public` keeps `pg_database_owner`,
/// its `USAGE` for everyone and its "standard public schema" comment, as a
/// new database has them (and as `drift`'s shadow database does). The
/// dump's own schema entries are left out of the restore, and with them
/// whatever owner and grants the source had.
fn recreate_schema(schema: &str) -> String {
    format!(
        "DO $pgfleet$
DECLARE
  schema_name text := {};
  owner_name text;
  acl aclitem[];
  note text;
  item record;
BEGIN
  SELECT pg_get_userbyid(n.nspowner), n.nspacl, obj_description(n.oid, 'pg_namespace')
    INTO owner_name, acl, note
    FROM pg_namespace n WHERE n.nspname = schema_name;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', schema_name);
  IF owner_name IS NULL THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', schema_name, owner_name);
  IF acl IS NOT NULL THEN
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC, %I', schema_name, owner_name);
    FOR item IN SELECT e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(acl) e LOOP
      EXECUTE format('GRANT %s ON SCHEMA %I TO %s%s', item.privilege_type, schema_name,
        CASE WHEN item.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(item.grantee)) END,
        CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
  END IF;
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', schema_name, note);
END $pgfleet$;
",
        quote_literal(schema)
    )
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
pub(super) async fn load(
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
        .map_err(SqlError::with("cannot read the server version"))?
        .major();
    drop(client);
    let dump = dir.join(format!("{db}.dump"));
    let pg_restore = find_tool("pg_restore", server_major)?;
    let psql = find_tool("psql", 0)?;
    // The owned schemas are made in our transaction: leave the dump's
    // CREATE SCHEMA entries out.
    let list = list_without_schemas(placement, &pg_restore, &dump).await?;
    let vars: Vec<(String, String)> = wiring::service_env(fleet, placement)?
        .into_iter()
        .filter(|(k, _)| k != "DATABASE_URL" && k != "PGOPTIONS")
        .collect();
    let spawn_err = |tool: &Tool| {
        let program = tool.path.display().to_string();
        move |source| BackupError::Spawn { program, source }
    };
    let mut restore = tokio::process::Command::new(&pg_restore.path)
        // The list travels through pg_restore's stdin (it reads the whole
        // list before writing anything): no temporary file, so a kill -9
        // leaves nothing behind.
        .args([
            "--no-owner",
            "--no-privileges",
            "--file=-",
            "--use-list=/dev/stdin",
        ])
        .arg(&dump)
        .stdin(Stdio::piped())
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
    let mut list_in = restore.stdin.take().expect("piped stdin");
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
    let feed_list = async {
        // A pg_restore that fails early stops reading: its stderr says why.
        let _ = list_in.write_all(list.as_bytes()).await;
        drop(list_in);
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
    let (fed_result, (), restore_text, psql_text) =
        tokio::join!(feed, feed_list, read_restore_err, read_psql_err);
    let psql_status = psql_child.wait().await.map_err(spawn_err(&psql))?;
    let failure = |command: &str, stderr: String| BackupError::Tool {
        database: db.clone(),
        command: command.to_owned(),
        stderr: stderr.trim().to_owned(),
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
        .map_err(|source| BackupError::Spawn {
            program: tool.path.display().to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(BackupError::Tool {
            database: placement.database.clone(),
            command: "pg_restore --list".into(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
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
