//! The rows each tool writes to its history table when it applies a migration, and
//! what it does to them when it reverts one, as its own source does (named per format).
//! Every insert is guarded (`WHERE NOT EXISTS`): a row the tool already wrote stays as
//! it is.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Sink, lit};
use crate::migrate::formats::{Format, Migration};

/// The file name without `.sql`: node-pg-migrate's `name`.
fn file_stem(migration: &Migration) -> String {
    migration
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .map_or_else(|| migration.version.to_string(), str::to_owned)
}

/// A version as the integer goose and golang-migrate keep (`00042` is 42).
fn integer(version: &str) -> String {
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
pub(super) fn applied(sink: &Sink, migration: &Migration, _execution_ms: Option<i64>) -> String {
    let t = &sink.qualified;
    let version = migration.version.as_str();
    match sink.format {
        // dbmate InsertMigration: `insert into schema_migrations (version) values ($1)`.
        // Diesel's `insert_into(__diesel_schema_migrations).values(version.eq(..))`;
        // `run_on` is its column default.
        Format::Dbmate | Format::Diesel => format!(
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
        _ => String::new(),
    }
}

/// SQL undoing [`applied`] after `version`'s down script ran.
pub(super) fn rolled_back(sink: &Sink, version: &str, still_applied: &BTreeSet<String>) -> String {
    let t = &sink.qualified;
    match sink.format {
        // dbmate DeleteMigration; Diesel's revert deletes its row too.
        Format::Dbmate | Format::Diesel => {
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
        _ => String::new(),
    }
}
