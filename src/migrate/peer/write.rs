//! The rows each tool writes to its history table when it applies a migration, and
//! what it does to them when it reverts one, as its own source does (named per format).
//! Every insert is guarded (`WHERE NOT EXISTS`): a row the tool already wrote stays as
//! it is.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Sink, checksum, lit, sqitch};
use crate::migrate::formats::{self, Format, Kind, Migration};

/// What pgfleet writes in `databasechangelog.liquibase`: the version of the Liquibase
/// its rows follow (npm's `liquibase` 4.28.1 package runs and records 4.28.0).
pub(super) const LIQUIBASE_VERSION: &str = "4.28.0";

/// The `WHERE` naming a changeset's `databasechangelog` row, from pgfleet's version
/// `<file>::<id>::<author>`: Liquibase's `filename` is the file's path in the folder
/// behind the prefix its rows show. `None` for a version of another shape.
pub(super) fn liquibase_key(sink: &Sink, version: &str) -> Option<String> {
    let (file, rest) = version.split_once("::")?;
    let (id, author) = rest.rsplit_once("::")?;
    Some(format!(
        "id = {} AND author = {} AND filename = {}",
        lit(id),
        lit(author),
        lit(&liquibase_filename(sink, file))
    ))
}

/// The `filename` Liquibase records for `file`, a path in the migrations folder.
pub(super) fn liquibase_filename(sink: &Sink, file: &str) -> String {
    format!("{}{file}", sink.liquibase_prefix)
}

/// The file name without `.sql`: node-pg-migrate's `name`.
fn file_stem(migration: &Migration) -> String {
    migration
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .map_or_else(|| migration.version.to_string(), str::to_owned)
}

/// A version as the integer goose and golang-migrate keep (`00042` is 42).
pub(super) fn integer(version: &str) -> String {
    let digits = version.trim_start_matches('0');
    if digits.is_empty() {
        "0".to_owned()
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.to_owned()
    } else {
        // Not an integer: let the server refuse it, naming the value.
        lit(version)
    }
}

/// SQL recording `migration` as applied.
pub(super) fn applied(sink: &Sink, migration: &Migration, execution_ms: Option<i64>) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    match sink.format {
        // dbmate InsertMigration: `insert into schema_migrations (version) values ($1)`.
        // Diesel's `insert_into(__diesel_schema_migrations).values(version.eq(..))`;
        // `run_on` is its column default.
        // pop `migrator.go`: `INSERT INTO schema_migration (version) VALUES (?)`.
        Format::Dbmate | Format::Diesel | Format::Pop => format!(
            "INSERT INTO {t} (version) SELECT {v} WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {v});\n",
            v = lit(version)
        ),
        // golang-migrate SetVersion: TRUNCATE, then the one row `(version, false)`. A
        // later version already there (applied out of order) stays the latest.
        Format::GolangMigrate => {
            let v = integer(version);
            format!(
                "DELETE FROM {t} WHERE dirty OR version < {v};\n\
                 INSERT INTO {t} (version, dirty) SELECT {v}, false WHERE NOT EXISTS (SELECT 1 FROM {t});\n"
            )
        }
        // goose InsertVersion: `INSERT INTO goose_db_version (version_id, is_applied)
        // VALUES ($1, true)`; it reads the newest row of a version, so one is added
        // unless that row already says applied.
        Format::Goose => {
            let v = integer(version);
            format!(
                "INSERT INTO {t} (version_id, is_applied) SELECT {v}, true WHERE NOT coalesce((SELECT is_applied FROM {t} WHERE version_id = {v} ORDER BY id DESC LIMIT 1), false);\n"
            )
        }
        // node-pg-migrate src/migration.ts, markAsRun: `INSERT INTO pgmigrations (name,
        // run_on) VALUES ('<file name without extension>', NOW())`.
        Format::NodePgMigrate => format!(
            "INSERT INTO {t} (name, run_on) SELECT {n}, NOW() WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE name = {n});\n",
            n = lit(&file_stem(migration))
        ),
        Format::Drizzle => drizzle_applied(sink, migration),
        // prisma-engines `record_migration_started` then `record_successful_step` and
        // `record_migration_finished`: a row with a random `id`, the SHA-256 of
        // migration.sql (the same bytes pgfleet's own checksum covers), `started_at` when
        // the transaction began, `finished_at` now, one step, no logs.
        Format::Prisma => format!(
            "INSERT INTO {t} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
             SELECT md5(random()::text || clock_timestamp()::text)::uuid::text, {c}, clock_timestamp(), {n}, NULL, NULL, now(), 1
              WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE migration_name = {n} AND finished_at IS NOT NULL AND rolled_back_at IS NULL);\n",
            c = lit(&migration.checksum),
            n = lit(version)
        ),
        Format::Sqlx => sqlx_applied(sink, migration, execution_ms),
        Format::Flyway => flyway_applied(sink, migration, execution_ms),
        // graphile-migrate src/migration.ts, `runStringMigration`: `insert into
        // graphile_migrate.migrations(hash, previous_hash, filename) values ($1, $2, $3)`,
        // the file's `Hash` and `Previous` headers and `NNNNNN.sql`; `date` is its default.
        Format::GraphileMigrate => {
            let Ok(row) = checksum::graphile_migrate_row(migration) else {
                return String::new();
            };
            format!(
                "INSERT INTO {t} (hash, previous_hash, filename) SELECT {h}, {p}, {f} WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE hash = {h});\n",
                h = lit(&row.hash),
                p = row.previous_hash.as_deref().map_or_else(|| "NULL".to_owned(), lit),
                f = lit(&row.filename),
            )
        }
        // supabase/cli `pkg/migration/file.go`, `ExecBatch`: after the file's statements,
        // in the same batch, `INSERT INTO supabase_migrations.schema_migrations(version,
        // name, statements) VALUES($1, $2, $3)`: the digits, the rest of the file name,
        // and the statements as its `parser.SplitAndTrim` cuts them.
        Format::Supabase => format!(
            "INSERT INTO {t} (version, name, statements) SELECT {v}, {n}, {s} WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {v});\n",
            v = lit(version),
            n = lit(&migration.name),
            s = text_array(&supabase_statements(&file_text(migration))),
        ),
        // hasura/graphql-engine `cli/migrate/database/hasuradb`: with catalog state
        // (`migration_state_catalog_state.go`, `InsertVersion`), the CLI sets
        // `cli_state.migrations.<source>.<version>` to `false` (not dirty) through
        // `set_catalog_state`, which stores it in `hdb_catalog.hdb_version.cli_state`;
        // with the older table (`migration_state_sql.go`), `INSERT INTO
        // hdb_catalog.schema_migrations (version, dirty) VALUES (<version>, false)`.
        Format::Hasura if sink.table == super::shape::HASURA_CATALOG => {
            let source = lit(hasura_source(sink));
            let v = lit(&integer(version));
            format!(
                "UPDATE {t} SET cli_state = jsonb_set(
                   CASE WHEN jsonb_typeof(cli_state) = 'object' THEN cli_state ELSE '{{}}'::jsonb END
                     || jsonb_build_object('migrations', CASE WHEN jsonb_typeof(cli_state -> 'migrations') = 'object' THEN cli_state -> 'migrations' ELSE '{{}}'::jsonb END),
                   ARRAY['migrations', {source}],
                   CASE WHEN jsonb_typeof(cli_state -> 'migrations' -> {source}) = 'object' THEN cli_state -> 'migrations' -> {source} ELSE '{{}}'::jsonb END
                     || jsonb_build_object({v}, false))
                 WHERE (cli_state -> 'migrations' -> {source} -> {v}) IS DISTINCT FROM 'false'::jsonb;\n"
            )
        }
        // A dirty row (a run that failed half-way) is set clean, as the CLI's
        // `SetVersion(version, false)` does once the migration ran.
        Format::Hasura => {
            let v = integer(version);
            format!(
                "UPDATE {t} SET dirty = false WHERE version = {v} AND dirty;\n\
                 INSERT INTO {t} (version, dirty) SELECT {v}, false WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {v});\n"
            )
        }
        // App::Sqitch::Engine::pg: `register_project`, then `log_deploy_change`.
        Format::Sqitch => match (&sink.sqitch, sqitch::index(sink, version)) {
            (Some(registry), Some(index)) => sqitch::applied(sink, registry, index),
            _ => String::new(),
        },
        Format::Atlas => atlas_applied(sink, migration, execution_ms),
        Format::Liquibase => liquibase_applied(sink, migration),
        Format::Native => String::new(),
    }
}

/// drizzle-orm `pg-core/dialect.ts`, `migrate`: `insert into __drizzle_migrations
/// ("hash", "created_at") values(<sha256 of the file>, <journal when>)`.
fn drizzle_applied(sink: &Sink, migration: &Migration) -> String {
    let t = &sink.qualified;
    let Some(when) = sink.created_at.get(&migration.path) else {
        return String::new();
    };
    format!(
        "INSERT INTO {t} (hash, created_at) SELECT {h}, {when} WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE hash = {h});\n",
        h = lit(&checksum::drizzle(&file_text(migration)))
    )
}

/// sqlx-postgres `migrate.rs`, `apply`: `INSERT INTO _sqlx_migrations (version,
/// description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, -1)`,
/// then `execution_time` set to the nanoseconds it took.
fn sqlx_applied(sink: &Sink, migration: &Migration, execution_ms: Option<i64>) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    let nanos = execution_ms.map_or_else(
        || {
            "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000000)::bigint"
                .to_owned()
        },
        |ms| (ms.saturating_mul(1_000_000)).to_string(),
    );
    format!(
        "INSERT INTO {t} (version, description, success, checksum, execution_time)
         SELECT {v}, {d}, TRUE, '\\x{c}'::bytea, {nanos}
          WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {v});\n",
        v = integer(version),
        d = lit(&sqlx_description(migration)),
        c = hex::encode(checksum::sqlx(&file_text(migration), &sink.ignored_chars)),
    )
}

/// flyway-core `JdbcTableSchemaHistory.doAddAppliedMigration`: the next
/// `installed_rank`, the version as written, the description with `_` as spaces,
/// type `SQL`, the script's file name, Flyway's CRC-32, the database user, the
/// milliseconds it took, `success`. A repeatable has no version and gets a new row
/// each time it runs again.
fn flyway_applied(sink: &Sink, migration: &Migration, execution_ms: Option<i64>) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    let ms = execution_ms.map_or_else(
        || "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::int".to_owned(),
        |ms| ms.to_string(),
    );
    let repeatable = migration.kind != Kind::Versioned;
    let (v, guard) = if repeatable {
        ("NULL".to_owned(), String::new())
    } else {
        (
            lit(version),
            format!(
                " WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {} AND success)",
                lit(version)
            ),
        )
    };
    let script = migration
        .path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    format!(
        "INSERT INTO {t} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
         SELECT (SELECT coalesce(max(installed_rank), 0) + 1 FROM {t}), {v}, {d}, 'SQL', {s}, {c}, current_user, {ms}, true{guard};\n",
        d = lit(&migration.name.replace('_', " ")),
        s = lit(script),
        c = checksum::flyway(&file_text(migration)),
    )
}

/// ariga/atlas `sql/migrate/migrate.go`, `ExecuteFile`: a revision with the
/// file's version and description, type 2 (`RevisionTypeExecute`), `total` its
/// statements and, once all ran, `applied` the same and no partial hashes,
/// `hash` its `atlas.sum` entry, `executed_at` and `execution_time` (nanoseconds,
/// a Go `time.Duration`), `error` and `error_stmt` empty; `WriteRevision` upserts
/// it by version (`convert.go`, `SetRevision`; a nil `PartialHashes` is JSON
/// `null`). `operator_version` says pgfleet wrote it.
fn atlas_applied(sink: &Sink, migration: &Migration, execution_ms: Option<i64>) -> String {
    let t = &sink.qualified;
    let Some((file, v, description)) = atlas_file(migration) else {
        return String::new();
    };
    let Some(hash) = migration
        .path
        .parent()
        .and_then(|dir| checksum::atlas(dir, &file).ok().flatten())
    else {
        return String::new();
    };
    let total = atlas_total(migration);
    let nanos = execution_ms.map_or_else(
        || {
            "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000000)::bigint"
                .to_owned()
        },
        |ms| (ms.saturating_mul(1_000_000)).to_string(),
    );
    let (v, d, h, op) = (
        lit(&v),
        lit(&description),
        lit(&hash),
        lit(&format!("pgfleet v{}", env!("CARGO_PKG_VERSION"))),
    );
    format!(
        "UPDATE {t} SET type = 2, applied = {total}, total = {total}, executed_at = now(), execution_time = {nanos}, error = '', error_stmt = '', hash = {h}, partial_hashes = 'null', operator_version = {op} WHERE version = {v};
         INSERT INTO {t} (version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version)
         SELECT {v}, {d}, 2, {total}, {total}, now(), {nanos}, '', '', {h}, 'null', {op}
          WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE version = {v});\n"
    )
}

/// liquibase-standard `MarkChangeSetRanGenerator`: a new row with the next
/// `orderexecuted`, `EXECUTED`, the 9: checksum, `sql` (a formatted-SQL
/// changeset's one change), its comments, contexts and labels, the version and the
/// run's deployment id; a changeset that has a row already (`runAlways`,
/// `runOnChange`, a `FAILED` one) has it updated instead, as `RERAN` (its
/// `UpdateVisitor`: a run status other than `NOT_RAN` makes `EXECUTED` `RERAN`).
fn liquibase_applied(sink: &Sink, migration: &Migration) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    let (Some(key), Ok(Some(record))) = (
        liquibase_key(sink, version),
        formats::liquibase_record(migration),
    ) else {
        return String::new();
    };
    let md5 = lit(&checksum::liquibase(&record.sql));
    let d = lit(&sink.deployment_id);
    let next = format!("(SELECT coalesce(max(orderexecuted), 0) + 1 FROM {t})");
    let mut sql = format!(
        "UPDATE {t} SET dateexecuted = now(), orderexecuted = {next}, md5sum = {md5}, exectype = 'RERAN', deployment_id = {d} WHERE {key};\n"
    );
    let file = version.split("::").next().unwrap_or_default();
    let (id, author) = version
        .split_once("::")
        .and_then(|(_, rest)| rest.rsplit_once("::"))
        .unwrap_or_default();
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "NULL".to_owned(), lit);
    let _ = writeln!(
        sql,
        "INSERT INTO {t} (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum, description, comments, tag, liquibase, contexts, labels, deployment_id)
         SELECT {i}, {a}, {f}, now(), {next}, 'EXECUTED', {md5}, 'sql', {c}, NULL, {lv}, {ctx}, {lbl}, {d}
          WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE {key});",
        i = lit(id),
        a = lit(author),
        f = lit(&liquibase_filename(sink, file)),
        c = lit(&record.comments),
        lv = lit(LIQUIBASE_VERSION),
        ctx = opt(&record.contexts),
        lbl = opt(&record.labels),
    );
    sql
}

/// The Hasura source a sink's versions belong to in the catalog state.
fn hasura_source(sink: &Sink) -> &str {
    sink.project.as_deref().unwrap_or("default")
}

/// `ARRAY['a', 'b']::text[]`.
fn text_array(items: &[String]) -> String {
    if items.is_empty() {
        return "'{}'::text[]".to_owned();
    }
    let items: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

/// A Supabase migration's statements as the CLI stores them (supabase/cli
/// `pkg/parser/token.go`, `SplitAndTrim`): the file cut after each `;` that ends a
/// statement, each part kept whole (the comments before a statement included), its
/// trailing `;` and surrounding whitespace removed, empty parts dropped; what follows
/// the last `;` (a statement without one, or only comments) is one more. Where a
/// statement ends is decided by pgfleet's psql-compatible splitter, which agrees with
/// the CLI's on quotes, dollar quotes, comments, parentheses and `BEGIN ATOMIC` bodies.
pub(super) fn supabase_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |part: &str| {
        // `;;`: the CLI's empty parts between them are dropped.
        let mut part = part;
        while let Some(rest) = part.trim_start().strip_prefix(';') {
            part = rest;
        }
        let part = part.trim_end_matches(';').trim();
        if !part.is_empty() {
            out.push(part.to_owned());
        }
    };
    let Ok(pieces) = crate::migrate::script::split(text) else {
        push(text);
        return out;
    };
    let mut from = 0;
    for piece in &pieces {
        let end = piece.start_offset + piece.sql.len();
        if piece.sql.ends_with(';') && end <= text.len() && text.is_char_boundary(end) {
            push(&text[from..end]);
            from = end;
        }
    }
    push(&text[from..]);
    out
}

/// An Atlas file's name, version and description as Atlas's `File` gives them
/// (`sql/migrate/dir.go`, `Version` and `Desc`: the name split at its first `_`, less
/// `.sql`).
pub(super) fn atlas_file(migration: &Migration) -> Option<(String, String, String)> {
    let file = migration.path.file_name()?.to_str()?.to_owned();
    let stem = file.strip_suffix(".sql")?;
    let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
    Some((file.clone(), version.to_owned(), description.to_owned()))
}

/// How many statements Atlas counts in the file: its `atlas:delimiter` parts, else
/// the statements PostgreSQL would be sent.
fn atlas_total(migration: &Migration) -> usize {
    migration.statements.as_ref().map_or_else(
        || crate::migrate::script::split(&migration.up).map_or(1, |p| p.len()),
        Vec::len,
    )
}

/// The migration's file as read (with a byte-order mark, which sqlx's checksum covers),
/// else its up script.
pub(super) fn file_text(migration: &Migration) -> String {
    std::fs::read_to_string(&migration.path).unwrap_or_else(|_| migration.up.clone())
}

/// sqlx's `description`: the file name after `<version>_`, less `.up.sql` / `.sql`,
/// with `_` as spaces (sqlx-core `migrate/source.rs`, `resolve_blocking`).
fn sqlx_description(migration: &Migration) -> String {
    let file = migration
        .path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let rest = file.split_once('_').map_or(file, |(_, rest)| rest);
    let rest = rest
        .strip_suffix(".up.sql")
        .or_else(|| rest.strip_suffix(".sql"))
        .unwrap_or(rest);
    rest.replace('_', " ")
}

/// SQL undoing [`applied`] after `version`'s down script ran.
pub(super) fn rolled_back(sink: &Sink, version: &str, still_applied: &BTreeSet<String>) -> String {
    let t = &sink.qualified;
    match sink.format {
        // dbmate DeleteMigration; Diesel's and pop's down delete their row too; supabase/cli
        // `pkg/migration/history.go` DELETE_MIGRATION_VERSION (`supabase migration repair
        // --status reverted`) deletes the version's row.
        Format::Dbmate | Format::Diesel | Format::Pop | Format::Supabase => {
            format!("DELETE FROM {t} WHERE version = {};\n", lit(version))
        }
        // golang-migrate SetVersion(previous): the row holds the latest version still
        // applied, or nothing when none is.
        Format::GolangMigrate => {
            let previous = sink
                .versions
                .iter()
                .filter(|m| {
                    m.version.as_str() != version && still_applied.contains(m.version.as_str())
                })
                .map(|m| &m.version)
                .max();
            let mut sql = format!("DELETE FROM {t};\n");
            if let Some(previous) = previous {
                let _ = writeln!(
                    sql,
                    "INSERT INTO {t} (version, dirty) VALUES ({}, false);",
                    integer(previous.as_str())
                );
            }
            sql
        }
        // goose DeleteVersion: `DELETE FROM goose_db_version WHERE version_id=$1`.
        Format::Goose => format!("DELETE FROM {t} WHERE version_id = {};\n", integer(version)),
        // node-pg-migrate, down: `DELETE FROM pgmigrations WHERE name = '<name>'`.
        Format::NodePgMigrate => {
            let name = sink
                .versions
                .iter()
                .find(|m| m.version.as_str() == version)
                .map_or_else(|| version.to_owned(), file_stem);
            format!("DELETE FROM {t} WHERE name = {};\n", lit(&name))
        }
        // drizzle has no down migrations; its row goes with pgfleet's.
        Format::Drizzle => {
            let hash = sink
                .versions
                .iter()
                .find(|m| m.version.as_str() == version)
                .map(|m| checksum::drizzle(&file_text(m)));
            hash.map_or_else(String::new, |h| {
                format!("DELETE FROM {t} WHERE hash = {};\n", lit(&h))
            })
        }
        // hasura/graphql-engine `cli/migrate/database/hasuradb`, `RemoveVersion` (`hasura
        // migrate apply --down`): the version's key deleted from the source's map in
        // `cli_state`, or `DELETE FROM hdb_catalog.schema_migrations WHERE version = <v>`.
        Format::Hasura if sink.table == super::shape::HASURA_CATALOG => format!(
            "UPDATE {t} SET cli_state = cli_state #- ARRAY['migrations', {}, {}];\n",
            lit(hasura_source(sink)),
            lit(&integer(version))
        ),
        // sqlx-postgres `revert`: `DELETE FROM _sqlx_migrations WHERE version = $1`; the
        // Hasura CLI's `DELETE FROM hdb_catalog.schema_migrations WHERE version = <v>`.
        Format::Sqlx | Format::Hasura => {
            format!("DELETE FROM {t} WHERE version = {};\n", integer(version))
        }
        // Flyway's undo is a Teams feature; without it, `flyway repair` after a manual
        // undo removes the rows: the version is then pending to Flyway again.
        Format::Flyway => format!("DELETE FROM {t} WHERE version = {};\n", lit(version)),
        // graphile-migrate src/migration.ts, `undoMigration` (`uncommit`): `delete from
        // graphile_migrate.migrations where hash = $1`.
        Format::GraphileMigrate => sink
            .versions
            .iter()
            .find(|m| m.version.as_str() == version)
            .and_then(|m| checksum::graphile_migrate_row(m).ok())
            .map_or_else(String::new, |row| {
                format!("DELETE FROM {t} WHERE hash = {};\n", lit(&row.hash))
            }),
        // App::Sqitch::Engine::pg `log_revert_change`.
        Format::Sqitch => match (&sink.sqitch, sqitch::index(sink, version)) {
            (Some(registry), Some(index)) => sqitch::rolled_back(sink, registry, index),
            _ => String::new(),
        },
        // Atlas `migrate down`: `DeleteRevision`, by version.
        Format::Atlas => sink
            .versions
            .iter()
            .find(|m| m.version.as_str() == version)
            .and_then(atlas_file)
            .map_or_else(String::new, |(_, v, _)| {
                format!("DELETE FROM {t} WHERE version = {};\n", lit(&v))
            }),
        // Liquibase's `rollback`: `RemoveChangeSetRanStatusGenerator`, `DELETE FROM
        // databasechangelog WHERE ID = ? AND AUTHOR = ? AND FILENAME = ?`.
        Format::Liquibase => liquibase_key(sink, version)
            .map_or_else(String::new, |key| format!("DELETE FROM {t} WHERE {key};\n")),
        _ => String::new(),
    }
}

/// SQL replacing the checksum the tool keeps for `migration` with the one of its file
/// as it is now, as each tool's own repair does (`prisma migrate resolve` has none;
/// `flyway repair` realigns checksums; sqlx and drizzle have no repair, their rows are
/// rewritten the same way).
pub(super) fn checksum_accepted(sink: &Sink, migration: &Migration) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    let text = file_text(migration);
    match sink.format {
        Format::Prisma => format!(
            "UPDATE {t} SET checksum = {} WHERE migration_name = {};\n",
            // The SHA-256 of migration.sql's bytes: pgfleet's own checksum of it.
            lit(&migration.checksum),
            lit(version)
        ),
        Format::Sqlx => format!(
            "UPDATE {t} SET checksum = '\\x{}'::bytea WHERE version = {};\n",
            hex::encode(checksum::sqlx(&text, &sink.ignored_chars)),
            integer(version)
        ),
        Format::Flyway => format!(
            "UPDATE {t} SET checksum = {} WHERE version = {} AND success;\n",
            checksum::flyway(&text),
            lit(version)
        ),
        // Liquibase's `clear-checksums` empties `md5sum` and its next `update` stores
        // the file's: pgfleet stores it at once.
        Format::Liquibase => {
            let (Some(key), Ok(Some(md5))) = (
                liquibase_key(sink, version),
                checksum::liquibase_changeset(migration),
            ) else {
                return String::new();
            };
            format!("UPDATE {t} SET md5sum = {} WHERE {key};\n", lit(&md5))
        }
        _ => String::new(),
    }
}
