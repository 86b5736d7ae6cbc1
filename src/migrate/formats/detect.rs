//! Format detection (SPEC "Format detection"): which tool wrote a migrations folder,
//! decided from file names and the markers in the first few KiB of each file, in SPEC's
//! order. Tools pgfleet cannot read yet are named so the user is not left guessing.
//!
//! Atlas (`atlas.sum` beside `<version>_<name>.sql`), Liquibase (a first line
//! `--liquibase formatted sql`) and goose (`-- +goose` annotations) come before the
//! formats told apart by file names, as SPEC orders them.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::read::Listing;
use super::{
    Format, FormatError, dbmate, diesel, engine, file_name, flyway, golang_migrate, io_error,
    lines, list, native, node_pg_migrate, prisma,
};

/// How much of each file detection reads: markers sit at the top of migration files.
pub(super) const HEAD_BYTES: usize = 8 * 1024;

/// Detects the format from the folder's contents, in SPEC's order. An empty folder is
/// Native with zero migrations. A folder written for another engine is
/// [`FormatError::OtherEngine`], whatever its layout.
pub fn detect(dir: &Path) -> Result<Format, FormatError> {
    engine::check_config(dir)?;
    let listing = list(dir)?;
    if let Some(format) = by_marker_files(dir, &listing)? {
        return Ok(format);
    }
    let mut heads = Vec::new();
    for path in &listing.files {
        if path.extension().is_some_and(|e| e == "sql") {
            heads.push((path.clone(), read_head(path)?));
        }
    }
    if let Some(format) = by_peer_markers(dir, &listing, &heads)? {
        return Ok(format);
    }

    // The formats pgfleet reads: one example file per format, so mixed folders can be
    // reported with evidence instead of being half read.
    let mut found: Vec<(Format, PathBuf)> = Vec::new();
    let mut note = |format: Format, path: PathBuf| {
        if !found.iter().any(|(f, _)| *f == format) {
            found.push((format, path));
        }
    };
    for sub in &listing.dirs {
        if diesel::is_migration_dir(sub) {
            let up = sub.join("up.sql");
            let head = read_head(&up)?;
            engine::check_sql(dir, [(up.as_path(), head.as_str())])?;
            note(Format::Diesel, up);
        }
        if let Some(script) = prisma::migration_script(sub) {
            // drizzle-kit 1.x writes the same folders, with its snapshot beside the SQL.
            if sub.join("snapshot.json").is_file() {
                return Ok(Format::Drizzle);
            }
            let head = read_head(&script)?;
            engine::check_sql(dir, [(script.as_path(), head.as_str())])?;
            note(Format::Prisma, script);
        }
    }
    for (path, head) in &heads {
        let name = file_name(path).unwrap_or_default();
        if let Some(format) = classify(name, head) {
            note(format, path.clone());
        }
    }
    found.sort_by_key(|(f, _)| DETECTION_ORDER.iter().position(|o| o == f));

    match found.len() {
        0 => {
            let sql: Vec<PathBuf> = heads.into_iter().map(|(p, _)| p).collect();
            let any_native = sql
                .iter()
                .any(|p| file_name(p).is_some_and(|n| native::parse_name(n).is_some()));
            // A Flyway location whose scripts all sit in sub-folders (Flyway searches
            // them): `db/migration/2024/V1__a.sql`.
            if sql.is_empty() && nested_flyway(dir)? {
                Ok(Format::Flyway)
            } else if sql.is_empty() || any_native {
                Ok(Format::Native)
            } else {
                Err(FormatError::Unrecognised {
                    dir: dir.to_owned(),
                    files: sql,
                })
            }
        }
        1 => Ok(found[0].0),
        _ => Err(FormatError::Ambiguous {
            dir: dir.to_owned(),
            found,
        }),
    }
}

/// Formats a file or folder beside the migrations gives away (`sqitch.plan`, drizzle's
/// journal, graphile's `committed/`, Hasura's and Supabase's configs, pop's dialect
/// tags).
fn by_marker_files(dir: &Path, listing: &Listing) -> Result<Option<Format>, FormatError> {
    if dir.join("sqitch.plan").is_file() {
        return Ok(Some(Format::Sqitch));
    }
    if dir.join("meta").join("_journal.json").is_file() {
        return Ok(Some(Format::Drizzle));
    }
    if super::graphile_migrate::detect(dir) {
        return Ok(Some(Format::GraphileMigrate));
    }
    if super::hasura::detect(dir) {
        return Ok(Some(Format::Hasura));
    }
    // `supabase/migrations` of a Supabase project: its files are named like native
    // ones, and running them as native beside the CLI would run them twice.
    if super::supabase::detect(dir)? {
        return Ok(Some(Format::Supabase));
    }
    // pop: dialect-tagged file names (`1_x.postgres.up.sql`), `.autocommit.` and `.fizz`
    // files. Other dialects' files are never run, so they are not checked for another
    // engine's SQL here.
    if listing
        .files
        .iter()
        .any(|p| file_name(p).is_some_and(super::pop::is_marked))
    {
        return Ok(Some(Format::Pop));
    }

    Ok(None)
}

/// Formats whose files say whose they are (Liquibase's and goose's headers, Atlas's
/// `atlas.sum`), after the check that the SQL is written for PostgreSQL.
fn by_peer_markers(
    dir: &Path,
    listing: &Listing,
    heads: &[(PathBuf, String)],
) -> Result<Option<Format>, FormatError> {
    engine::check_sql(dir, heads.iter().map(|(p, h)| (p.as_path(), h.as_str())))?;
    // Atlas's `atlas.sum` beside golang-migrate pairs is only a checksum file of that
    // folder (SPEC); beside single versioned files it marks an Atlas directory, unless
    // those files are goose's, dbmate's or Liquibase's (Atlas sums those directory
    // formats too, `?format=goose`): their markers say whose they are.
    let peer_marked = heads.iter().any(|(_, head)| {
        is_liquibase(head)
            || is_goose(head)
            || lines(head).any(|l| dbmate::marker(l.content, "up").is_some())
    });
    if dir.join(super::atlas::SUM_FILE).is_file()
        && !peer_marked
        && listing.files.iter().any(|p| {
            file_name(p).is_some_and(|n| {
                golang_migrate::parse_name(n).is_none() && super::atlas::parse_name(n).is_some()
            })
        })
    {
        return Ok(Some(Format::Atlas));
    }
    if heads.iter().any(|(_, head)| is_liquibase(head)) {
        return Ok(Some(Format::Liquibase));
    }
    // A Liquibase master changelog at the top, its SQL changelogs in sub-folders; or
    // only sub-folders of formatted SQL (`changes/001.sql`, read in path order).
    for path in &listing.files {
        if super::liquibase::is_changelog_name(path)
            && read_head(path)?.contains("databaseChangeLog")
        {
            return Ok(Some(Format::Liquibase));
        }
    }
    for sub in &listing.dirs {
        for path in super::liquibase::walk(sub)? {
            if path.extension().is_some_and(|e| e == "sql") && is_liquibase(&read_head(&path)?) {
                return Ok(Some(Format::Liquibase));
            }
        }
    }
    if heads.iter().any(|(_, head)| is_goose(head)) {
        return Ok(Some(Format::Goose));
    }
    Ok(None)
}

/// SPEC's detection order for the formats pgfleet reads (native is the fallback).
const DETECTION_ORDER: [Format; 6] = [
    Format::Prisma,
    Format::Flyway,
    Format::Dbmate,
    Format::NodePgMigrate,
    Format::GolangMigrate,
    Format::Diesel,
];

/// The format one `.sql` file points to, by name first, then by its markers.
fn classify(name: &str, head: &str) -> Option<Format> {
    if flyway::parse_name(name).is_some() {
        return Some(Format::Flyway);
    }
    if lines(head).any(|l| dbmate::marker(l.content, "up").is_some()) {
        return Some(Format::Dbmate);
    }
    if lines(head).any(|l| node_pg_migrate::is_marker(l.content, "up")) {
        return Some(Format::NodePgMigrate);
    }
    if golang_migrate::parse_name(name).is_some() {
        return Some(Format::GolangMigrate);
    }
    None
}

/// Whether a sub-folder (not one named after another engine) holds a Flyway `V` script.
fn nested_flyway(dir: &Path) -> Result<bool, FormatError> {
    let (files, _) = super::read::walk(dir, &|sub| engine::other_engine_folder(sub).is_some())?;
    Ok(files.iter().any(|p| {
        p.parent() != Some(dir)
            && file_name(p).is_some_and(|n| {
                flyway::parse_name(n)
                    .is_some_and(|(prefix, _, _)| prefix == flyway::Prefix::Versioned)
            })
    }))
}

/// Liquibase formatted SQL starts with `--liquibase formatted sql` (spaces and case vary).
fn is_liquibase(head: &str) -> bool {
    let first = lines(head).next().map_or("", |l| l.content);
    super::liquibase::is_header(first)
}

/// goose annotations: `-- +goose Up`, `-- +goose StatementBegin`, ...
fn is_goose(head: &str) -> bool {
    lines(head).any(|l| super::goose::is_annotation(l.content))
}

/// The first [`HEAD_BYTES`] of a file, lossily decoded: enough to see its markers.
pub(super) fn read_head(path: &Path) -> Result<String, FormatError> {
    let mut buf = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(HEAD_BYTES as u64).read_to_end(&mut buf))
        .map_err(io_error(path))?;
    let text = String::from_utf8_lossy(&buf);
    Ok(text.trim_start_matches('\u{feff}').to_owned())
}
