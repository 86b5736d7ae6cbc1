//! Migration folders written for pgfleet or for peer tools (Prisma, dbmate, sqlx,
//! golang-migrate, Flyway, node-pg-migrate, goose, Atlas, Liquibase, drizzle-kit, Sqitch):
//! detecting which tool wrote a folder, reading
//! its files into [`Migration`]s, and writing a new empty migration in the folder's style.
//!
//! This is pure file reading: nothing here talks to a database. Each format lives in its
//! own module; this one holds the shared types, detection (SPEC "Format detection") and
//! the helpers the readers share (listing, checksums, marker sections).

mod atlas;
mod dbmate;
mod detect;
mod drizzle;
mod engine;
mod flyway;
mod golang_migrate;
mod goose;
mod liquibase;
mod native;
mod node_pg_migrate;
mod prisma;
mod sqitch;
mod sqlx;
pub mod version;

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub use detect::detect;
pub use version::Version;

/// The migration formats pgfleet reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Native,
    Prisma,
    Dbmate,
    Sqlx,
    GolangMigrate,
    Flyway,
    NodePgMigrate,
    Goose,
    Atlas,
    Liquibase,
    Drizzle,
    Sqitch,
}

impl Format {
    pub const ALL: [Format; 12] = [
        Format::Native,
        Format::Prisma,
        Format::Dbmate,
        Format::Sqlx,
        Format::GolangMigrate,
        Format::Flyway,
        Format::NodePgMigrate,
        Format::Goose,
        Format::Atlas,
        Format::Liquibase,
        Format::Drizzle,
        Format::Sqitch,
    ];

    /// The name used in `pgfleet.toml` (`format = "..."`) and in output.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Prisma => "prisma",
            Format::Dbmate => "dbmate",
            Format::Sqlx => "sqlx",
            Format::GolangMigrate => "golang-migrate",
            Format::Flyway => "flyway",
            Format::NodePgMigrate => "node-pg-migrate",
            Format::Goose => "goose",
            Format::Atlas => "atlas",
            Format::Liquibase => "liquibase",
            Format::Drizzle => "drizzle",
            Format::Sqitch => "sqitch",
        }
    }

    /// Whether a pending migration older than the newest applied one is refused.
    /// Liquibase runs whatever changeset it has not run, wherever it sits in the
    /// changelog, so it has no such order.
    pub fn checks_order(self) -> bool {
        self != Format::Liquibase
    }

    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The peer tool's own history table, which adoption reads (never writes). golang-migrate
    /// and dbmate both call theirs `schema_migrations` (golang-migrate: `version bigint,
    /// dirty bool`; dbmate: `version varchar`): the caller tells them apart by columns.
    pub fn history_table(self) -> Option<&'static str> {
        match self {
            // Sqitch's registry is a schema of its own (`sqitch.changes`), named by
            // [`Folder::peer`]; `changes` alone is too common a name to skip anywhere.
            Format::Native | Format::Sqitch => None,
            Format::Prisma => Some("_prisma_migrations"),
            Format::Dbmate | Format::GolangMigrate => Some("schema_migrations"),
            Format::Sqlx => Some("_sqlx_migrations"),
            Format::Flyway => Some("flyway_schema_history"),
            Format::NodePgMigrate => Some("pgmigrations"),
            Format::Goose => Some("goose_db_version"),
            Format::Atlas => Some("atlas_schema_revisions"),
            Format::Liquibase => Some("databasechangelog"),
            // drizzle's lives in schema `drizzle` unless its config says otherwise:
            // the folder says where ([`Folder::peer`]).
            Format::Drizzle => Some(drizzle::DEFAULT_TABLE),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Versioned,
    /// Re-run whenever its checksum changes: Flyway `R__` scripts (after the versioned
    /// ones, by their version) and Liquibase `runOnChange` changesets (in changelog order).
    Repeatable,
    /// Run on every `migrate` (Liquibase `runAlways`); recorded as `repeatable`.
    Always,
}

/// Whether the file says how to run it. `Auto` = in a transaction unless a statement needs
/// otherwise (the engine decides from the statements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transaction {
    Auto,
    Disabled,
}

/// One migration as read from its file(s).
#[derive(Clone, Debug)]
pub struct Migration {
    pub version: Version,
    /// The description part, e.g. `create_users` (Flyway's `_` kept as is).
    pub name: String,
    pub kind: Kind,
    /// The file holding the up script (prisma: `<dir>/migration.sql`).
    pub path: PathBuf,
    /// SQL to apply (the section after the up marker for sectioned formats).
    pub up: String,
    /// 1-based line in `path` where `up` starts.
    pub up_line: usize,
    /// Down SQL, `None` when absent or only whitespace and comments.
    pub down: Option<String>,
    pub transaction: Transaction,
    /// Lowercase hex SHA-256 of the bytes of `path` as read (BOM included); for formats
    /// with several migrations in one file (Liquibase changesets), of the migration's text.
    pub checksum: String,
    /// The up script cut into statements by the file's own rules (goose
    /// `StatementBegin`/`StatementEnd`, Atlas and Liquibase delimiters). `None`: the
    /// engine splits `up` with psql's rules ([`Migration::pieces`]).
    pub statements: Option<Vec<Statement>>,
    /// Why pgfleet cannot run this migration itself (goose `.go` migrations): it blocks
    /// `migrate` while pending, and counts as applied once its own tool has recorded it.
    pub not_runnable: Option<String>,
    /// A script that checks the migration worked (Sqitch's `verify/`), run after the up
    /// script in the same transaction by `migrate --verify`.
    pub verify: Option<Verify>,
}

/// One part of an up script whose format sets statement boundaries itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// 1-based line in the migration's file where `sql` starts.
    pub line: usize,
    /// `true`: `sql` is sent as one statement, as written. `false`: it is a stretch of
    /// ordinary script, split with psql's rules.
    pub whole: bool,
}

impl Migration {
    /// The up script as the statements to send, with lines relative to `up_line` (as
    /// [`script::split`](crate::migrate::script::split) numbers them for `up`). On a
    /// split error, the error and the line offset to add to its line.
    pub fn pieces(
        &self,
    ) -> Result<Vec<crate::migrate::script::Piece>, (usize, crate::migrate::script::ScriptError)>
    {
        use crate::migrate::script::{self, Piece, PieceKind};
        let offset = self.up_line.saturating_sub(1);
        let Some(statements) = &self.statements else {
            return script::split(&self.up).map_err(|e| (offset, e));
        };
        let mut pieces = Vec::new();
        for statement in statements {
            // Lines relative to the up script: file line - up_line + 1.
            let base = statement.line.saturating_sub(offset);
            if statement.whole {
                if !is_blank_sql(&statement.sql) {
                    pieces.push(Piece {
                        sql: statement.sql.clone(),
                        start_line: base.max(1),
                        start_offset: 0,
                        kind: PieceKind::Statement,
                    });
                }
                continue;
            }
            let split =
                script::split(&statement.sql).map_err(|e| (statement.line.saturating_sub(1), e))?;
            for mut piece in split {
                piece.start_line = (base + piece.start_line).saturating_sub(1).max(1);
                pieces.push(piece);
            }
        }
        Ok(pieces)
    }
}

/// A verify script: where it is and the SQL to run.
#[derive(Clone, Debug)]
pub struct Verify {
    pub path: PathBuf,
    pub sql: String,
    /// 1-based line in `path` where `sql` starts.
    pub line: usize,
}

/// Where a peer tool keeps its history table when that is not one of the database's
/// owned schemas (drizzle's `drizzle.__drizzle_migrations`, Sqitch's `sqitch.changes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerTable {
    pub schema: String,
    pub table: String,
    /// Sqitch's `%project`: the registry holds rows of every project deployed there.
    pub project: Option<String>,
}

/// A folder read as one format.
#[derive(Clone, Debug)]
pub struct Folder {
    pub format: Format,
    /// Versioned in version order, then repeatables in name order.
    pub migrations: Vec<Migration>,
    /// Files and folders that match no pattern of the format, for the caller to warn about.
    /// Hidden files and a format's known companions are left out.
    pub unmatched: Vec<PathBuf>,
    /// The peer's history table when the format names it exactly (drizzle, Sqitch);
    /// `None`: look for [`Format::history_table`] in the database's owned schemas.
    pub peer: Option<PeerTable>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "migrations folder `{}` mixes formats: {}; set format = \"...\" for this database (one of {})",
        .dir.display(), list_found(.found), list_names(.found)
    )]
    Ambiguous {
        dir: PathBuf,
        found: Vec<(Format, PathBuf)>,
    },
    #[error(
        "no file in migrations folder `{}` is named like a migration: {}; name them `<version>_<name>.sql` (e.g. `0001_create_users.sql`) or set format = \"...\" for this database",
        .dir.display(), list_paths(.files)
    )]
    Unrecognised { dir: PathBuf, files: Vec<PathBuf> },
    #[error(
        "version {version} is used twice, by `{}` and `{}`; give one of them a new version",
        .first.display(), .second.display()
    )]
    DuplicateVersion {
        first: PathBuf,
        second: PathBuf,
        version: Version,
    },
    #[error("`{}` has no `{marker}` line; add it above the up script", .path.display())]
    MissingMarker { path: PathBuf, marker: &'static str },
    #[error("`{}` {reason}", .path.display())]
    Orphan { path: PathBuf, reason: String },
    #[error("cannot read or write `{}`: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "migration name `{name}` may only hold letters, digits, `_` and `-` (spaces become `_`)"
    )]
    BadName { name: String },
    #[error("`{}` is not UTF-8 text; save it as UTF-8", .path.display())]
    NotUtf8 { path: PathBuf },
    #[error(
        "migrations folder `{}` is written for {engine}, not PostgreSQL ({evidence}); pgfleet leaves it out: point `migrations` at a PostgreSQL folder, or remove this database from pgfleet.toml",
        .dir.display()
    )]
    OtherEngine {
        dir: PathBuf,
        engine: String,
        /// What gave it away: a file, a line and the text found there.
        evidence: String,
    },
    /// A line the format's own tool would refuse too (an unknown goose annotation, a
    /// Liquibase changeset header without `author:id`, a `sqitch.plan` dependency that
    /// is not earlier), or a file it reads that says something pgfleet cannot follow
    /// (drizzle's journal, a config); `line` is 0 when the whole file is meant.
    #[error("{}{}: {message}", .path.display(), if *.line > 0 { format!(":{}", .line) } else { String::new() })]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "`{}` does not match the files of its folder: {problem}; if the change is intended, rewrite it with `atlas migrate hash` (or `pgfleet repair DB`, which rewrites it the same way)",
        .sum.display()
    )]
    SumMismatch { sum: PathBuf, problem: String },
}

fn list_found(found: &[(Format, PathBuf)]) -> String {
    let items: Vec<String> = found
        .iter()
        .map(|(format, path)| format!("{format} (`{}`)", path.display()))
        .collect();
    items.join(", ")
}

fn list_names(found: &[(Format, PathBuf)]) -> String {
    let items: Vec<String> = found.iter().map(|(f, _)| format!("\"{f}\"")).collect();
    items.join(", ")
}

fn list_paths(files: &[PathBuf]) -> String {
    let items: Vec<String> = files.iter().map(|p| format!("`{}`", p.display())).collect();
    items.join(", ")
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FormatError + '_ {
    move |source| FormatError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads every migration in `dir` as `format`.
pub fn read(dir: &Path, format: Format) -> Result<Folder, FormatError> {
    match format {
        Format::Native => native::read(dir),
        Format::Prisma => prisma::read(dir),
        Format::Dbmate => dbmate::read(dir),
        Format::Sqlx => sqlx::read(dir),
        Format::GolangMigrate => golang_migrate::read(dir),
        Format::Flyway => flyway::read(dir),
        Format::NodePgMigrate => node_pg_migrate::read(dir),
        Format::Goose => goose::read(dir),
        Format::Atlas => atlas::read(dir),
        Format::Liquibase => liquibase::read(dir),
        Format::Drizzle => drizzle::read(dir, None),
        Format::Sqitch => sqitch::read(dir, None),
    }
}

/// Why the `atlas.sum` of an Atlas folder does not match its files, if it does not.
pub fn atlas_sum_problem(dir: &Path) -> Result<Option<String>, FormatError> {
    atlas::sum_problem(dir)
}

/// Rewrites an Atlas folder's `atlas.sum` for its files as they are (`atlas migrate
/// hash`); returns the file written.
pub fn rewrite_atlas_sum(dir: &Path) -> Result<PathBuf, FormatError> {
    atlas::rewrite_sum(dir)?;
    Ok(dir.join(atlas::SUM_FILE))
}

/// Detects (unless `format` is given) and reads.
pub fn load(dir: &Path, format: Option<Format>) -> Result<Folder, FormatError> {
    load_with(dir, format, None)
}

/// [`load`], with the peer's history table set by the manifest (`history_table`), which
/// wins over what the tool's own config says. A folder written for another engine is
/// refused whether its format was detected or set.
pub fn load_with(
    dir: &Path,
    format: Option<Format>,
    history_table: Option<&PeerTable>,
) -> Result<Folder, FormatError> {
    let format = match format {
        Some(format) => {
            engine::check_config(dir)?;
            format
        }
        None => detect(dir)?,
    };
    let folder = match format {
        Format::Drizzle => drizzle::read(dir, history_table)?,
        Format::Sqitch => sqitch::read(dir, history_table)?,
        _ => {
            let mut folder = read(dir, format)?;
            if let Some(peer) = history_table {
                folder.peer = Some(peer.clone());
            }
            folder
        }
    };
    // The scripts as read: no file is read a second time for this.
    engine::check_sql(
        dir,
        folder
            .migrations
            .iter()
            .map(|m| (m.path.as_path(), m.up.as_str())),
    )?;
    Ok(folder)
}

/// Writes a new, empty migration named `name` in `format` into `dir` with the next
/// version and returns the paths written (up first).
pub fn new_migration(
    dir: &Path,
    format: Format,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<PathBuf>, FormatError> {
    let name = clean_name(name)?;
    let existing = if dir.exists() {
        read(dir, format)?.migrations
    } else {
        Vec::new()
    };
    let files = match format {
        Format::Native => native::template(dir, &name, now, &existing),
        Format::Prisma => prisma::template(dir, &name, now, &existing),
        Format::Dbmate => dbmate::template(dir, &name, now, &existing),
        Format::Sqlx => sqlx::template(dir, &name, now, &existing),
        Format::GolangMigrate => golang_migrate::template(dir, &name, now, &existing),
        Format::Flyway => flyway::template(dir, &name, &existing),
        Format::NodePgMigrate => node_pg_migrate::template(dir, &name, now, &existing),
        Format::Goose => goose::template(dir, &name, now, &existing),
        Format::Atlas => atlas::template(dir, &name, now, &existing),
        Format::Liquibase => liquibase::template(dir, &name, &existing),
        // Both tools keep an index (journal, plan) that their own commands write.
        Format::Drizzle | Format::Sqitch => {
            return Err(FormatError::Syntax {
                path: dir.to_owned(),
                line: 0,
                message: format!(
                    "pgfleet does not write {format} migrations: create them with {} so its {} stays right",
                    if format == Format::Drizzle {
                        "`drizzle-kit generate`"
                    } else {
                        "`sqitch add`"
                    },
                    if format == Format::Drizzle {
                        "journal"
                    } else {
                        "plan"
                    },
                ),
            });
        }
    };
    let mut written = Vec::new();
    for (path, contents) in files {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        // create_new: never overwrite a migration that happens to have the same name.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(&path))?;
        file.write_all(contents.as_bytes())
            .map_err(io_error(&path))?;
        written.push(path);
    }
    // `atlas migrate new` keeps the sum file in step with the new file.
    if format == Format::Atlas {
        atlas::rewrite_sum(dir)?;
    }
    Ok(written)
}

/// Spaces become `_`; anything but letters, digits, `_` and `-` is refused, since the name
/// ends up in a file name every peer tool must parse back.
fn clean_name(name: &str) -> Result<String, FormatError> {
    let cleaned = name.trim().replace(' ', "_");
    let ok = !cleaned.is_empty()
        && cleaned
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(cleaned)
    } else {
        Err(FormatError::BadName {
            name: name.to_owned(),
        })
    }
}

/// A UTC timestamp version (`YYYYMMDDHHMMSS`, or with milliseconds for node-pg-migrate),
/// bumped past the newest existing version when the clock is behind it.
fn next_timestamp(
    now: chrono::DateTime<chrono::Utc>,
    millis: bool,
    existing: &[Migration],
) -> String {
    let pattern = if millis {
        "%Y%m%d%H%M%S%3f"
    } else {
        "%Y%m%d%H%M%S"
    };
    let stamp = now.format(pattern).to_string();
    bump_past(stamp, existing)
}

/// `candidate`, or the newest existing version plus one when that is not smaller.
fn bump_past(candidate: String, existing: &[Migration]) -> String {
    let newest = existing
        .iter()
        .map(|m| &m.version)
        .filter(|v| !v.is_repeatable())
        .max();
    match (Version::parse_integer(&candidate), newest) {
        (Some(version), Some(newest)) if version <= *newest => {
            version::increment_digits(newest.as_str())
        }
        _ => candidate,
    }
}

/// The top level of a migrations folder: visible files and sub-folders, sorted by name.
struct Listing {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

fn list(dir: &Path) -> Result<Listing, FormatError> {
    // Entries keep their names to be sorted by: one folder, so by name is the
    // order sorting whole paths gives, without parsing every path per comparison.
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        // Hidden entries (.gitkeep, .DS_Store, editor swap files) are never migrations.
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        // Follows symlinks: a linked migration file is read like any other.
        let meta = fs::metadata(&path).map_err(io_error(&path))?;
        if meta.is_dir() {
            dirs.push((name, path));
        } else {
            files.push((name, path));
        }
    }
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    dirs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Listing {
        files: files.into_iter().map(|(_, p)| p).collect(),
        dirs: dirs.into_iter().map(|(_, p)| p).collect(),
    })
}

/// The file name as UTF-8; names that are not UTF-8 match no pattern.
fn file_name(path: &Path) -> Option<&str> {
    path.file_name().and_then(|n| n.to_str())
}

/// Every format's file-name parser on two names, for the fuzz target
/// (`fuzz/`): must never panic, versions must compare consistently, and a
/// version's text must parse back to an equal version.
#[doc(hidden)]
pub fn fuzz_file_names(a: &str, b: &str) {
    let versions = |file: &str| -> Vec<Version> {
        let stem = file.strip_suffix(".sql").unwrap_or(file);
        [
            native::parse_name(file).map(|(v, _)| v),
            golang_migrate::parse_name(file).map(|(v, _, _)| v),
            flyway::parse_name(file).map(|(_, v, _)| v),
            split_version_name(stem).map(|(v, _)| v),
            Version::parse_integer(stem),
            Version::parse_dotted(stem),
        ]
        .into_iter()
        .flatten()
        .collect()
    };
    let (left, right) = (versions(a), versions(b));
    for x in &left {
        assert_eq!(x.cmp(x), std::cmp::Ordering::Equal, "{x} != itself");
        let text = x.to_string();
        if let Some(again) = Version::parse_integer(&text).or_else(|| Version::parse_dotted(&text))
        {
            assert_eq!(&again, x, "`{text}` parses back to another version");
        }
        for y in &right {
            assert_eq!(x.cmp(y), y.cmp(x).reverse(), "{x} vs {y}");
            assert_eq!(x == y, x.cmp(y) == std::cmp::Ordering::Equal, "{x} vs {y}");
        }
    }
}

/// `<digits>_<name>` -> (version, name); the name must not be empty.
fn split_version_name(stem: &str) -> Option<(Version, &str)> {
    let (digits, name) = stem.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse_integer(digits)?, name))
}

/// A file's text (BOM stripped) and the checksum of its bytes (BOM included).
struct Source {
    text: String,
    checksum: String,
}

fn read_source(path: &Path) -> Result<Source, FormatError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    let checksum = hex::encode(Sha256::digest(&bytes));
    let mut text = String::from_utf8(bytes).map_err(|_| FormatError::NotUtf8 {
        path: path.to_owned(),
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(Source { text, checksum })
}

/// One line of a file: its 1-based number, byte range (with the line break) and content
/// (without `\n` or `\r\n`, so markers match in CRLF files).
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    number: usize,
    start: usize,
    end: usize,
    content: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let raw = &rest[..len];
        let content = raw.strip_suffix('\n').unwrap_or(raw);
        let content = content.strip_suffix('\r').unwrap_or(content);
        number += 1;
        let line = Line {
            number,
            start,
            end: start + len,
            content,
        };
        start += len;
        Some(line)
    })
}

/// A file split at its up and down markers.
struct Sections<'a> {
    up: &'a str,
    up_line: usize,
    /// The up marker line, for formats whose marker carries options.
    up_marker: Option<&'a str>,
    down: Option<&'a str>,
}

/// Splits `text` at the first line matching `is_up` (when the format has an up marker;
/// otherwise the up script starts at line 1) and the first matching `is_down`. Returns
/// `None` when the format needs an up marker and there is none. A down section written
/// before the up one (dbmate allows it) runs to the up marker.
fn split_sections<'a>(
    text: &'a str,
    is_up: Option<&dyn Fn(&str) -> bool>,
    is_down: &dyn Fn(&str) -> bool,
) -> Option<Sections<'a>> {
    let up_marker = match is_up {
        Some(is_up) => Some(lines(text).find(|l| is_up(l.content))?),
        None => None,
    };
    let (up_start, up_line) = up_marker.map_or((0, 1), |l| (l.end, l.number + 1));
    let down_marker = lines(text).find(|l| is_down(l.content));
    let (up, down) = match down_marker {
        Some(d) if d.start >= up_start => (&text[up_start..d.start], Some(&text[d.end..])),
        Some(d) => {
            // Down before up: it ends where the up marker starts.
            let up_marker_start = up_marker.map_or(0, |l| l.start);
            (&text[up_start..], Some(&text[d.end..up_marker_start]))
        }
        None => (&text[up_start..], None),
    };
    Some(Sections {
        up,
        up_line,
        up_marker: up_marker.map(|l| l.content),
        down,
    })
}

/// The down script, unless it holds nothing but whitespace and comments.
fn down_script(text: Option<&str>) -> Option<String> {
    text.filter(|t| !is_blank_sql(t)).map(str::to_owned)
}

/// True when `sql` holds only whitespace, `--` comments and (nested) `/* */` comments.
fn is_blank_sql(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else if bytes[i..].starts_with(b"--") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if bytes[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else {
            return false;
        }
    }
    true
}

/// Reads a folder of single `<version>_<name>.sql` files (native, dbmate,
/// node-pg-migrate), each parsed by `parse`; other files are unmatched.
fn read_single_files(
    dir: &Path,
    format: Format,
    parse: impl Fn(PathBuf, Version, String, Source) -> Result<Migration, FormatError>,
) -> Result<Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    for path in listing.files {
        let Some((version, name)) = file_name(&path).and_then(native::parse_name) else {
            unmatched.push(path);
            continue;
        };
        let name = name.to_owned();
        let source = read_source(&path)?;
        migrations.push(parse(path, version, name, source)?);
    }
    finish(dir, format, migrations, unmatched)
}

/// Sorts, rejects duplicate versions and refuses a folder whose `.sql` files all failed
/// to match (zero migrations would silently do nothing).
fn finish(
    dir: &Path,
    format: Format,
    mut migrations: Vec<Migration>,
    mut unmatched: Vec<PathBuf>,
) -> Result<Folder, FormatError> {
    // Stable sort: of two equal versions the one listed first (by file name) is `first`.
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    if let Some(pair) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(FormatError::DuplicateVersion {
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
            version: pair[1].version.clone(),
        });
    }
    unmatched.sort();
    if migrations.is_empty() {
        let sql: Vec<PathBuf> = unmatched
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .cloned()
            .collect();
        if !sql.is_empty() {
            return Err(FormatError::Unrecognised {
                dir: dir.to_owned(),
                files: sql,
            });
        }
    }
    Ok(Folder {
        format,
        migrations,
        unmatched,
        peer: None,
    })
}

#[cfg(test)]
mod tests;
