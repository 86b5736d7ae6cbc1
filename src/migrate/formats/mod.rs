//! Migration folders written for pgfleet or for peer tools (Prisma, dbmate, sqlx,
//! golang-migrate, Flyway, node-pg-migrate, goose, Atlas, Liquibase, drizzle-kit, Sqitch):
//! detecting which tool wrote a folder, reading
//! its files into [`Migration`]s, and writing a new empty migration in the folder's style.
//!
//! This is pure file reading: nothing here talks to a database. Each format lives in its
//! own module; this one holds the shared types and dispatch; `detect` the detection (SPEC
//! "Format detection"), `read` the helpers the readers share (listing, checksums, marker
//! sections), `template` new migrations and `error` what goes wrong.

mod atlas;
mod dbmate;
mod detect;
mod diesel;
mod drizzle;
mod engine;
mod error;
mod flyway;
mod golang_migrate;
mod goose;
mod graphile_migrate;
mod hasura;
mod liquibase;
mod native;
mod node_pg_migrate;
mod pop;
mod prisma;
mod read;
mod sqitch;
mod sqlx;
mod supabase;
mod template;
pub mod version;

use std::fmt;
use std::path::{Path, PathBuf};

pub use detect::detect;
pub use drizzle::{journal_times, schema_filter};
pub use engine::FOLDER_ENGINES;
pub use error::FormatError;
use error::{io_error, list_paths};
pub(crate) use graphile_migrate::hash as graphile_migrate_hash;
pub use graphile_migrate::{PlaceholderValue, Placeholders};
pub(crate) use liquibase::Record as LiquibaseRecord;
pub(crate) use read::block_comment_end;
use read::{
    Source, down_script, file_name, finish, is_blank_sql, lines, list, read_single_files,
    read_source, split_sections, split_version_name,
};
pub use sqitch::{Planned as SqitchPlanned, SqitchPlan, SqitchPlanChange, SqitchPlanTag};
pub use sqlx::{SqlxConfig, config as sqlx_config};
pub use template::new_migration;
use template::{next_timestamp, timestamped_file};
pub use version::Version;

pub use crate::manifest::Format;

impl Format {
    /// Whether a pending migration older than the newest applied one is refused.
    /// Liquibase runs whatever changeset it has not run, wherever it sits in the
    /// changelog, so it has no such order.
    pub fn checks_order(self) -> bool {
        self != Format::Liquibase
    }

    /// The peer tool's own history table, which adoption reads (never writes). golang-migrate
    /// and dbmate both call theirs `schema_migrations` (golang-migrate: `version bigint,
    /// dirty bool`; dbmate: `version varchar`): the caller tells them apart by columns.
    pub fn history_table(self) -> Option<&'static str> {
        match self {
            // Sqitch's registry is a schema of its own (`sqitch.changes`), named by
            // [`Folder::peer`]; `changes` alone is too common a name to skip anywhere.
            // Hasura and graphile-migrate keep theirs in a schema of their own too
            // (`hdb_catalog.schema_migrations`, `graphile_migrate.migrations`), and so
            // does the Supabase CLI (`supabase_migrations.schema_migrations`).
            Format::Native
            | Format::Sqitch
            | Format::Hasura
            | Format::GraphileMigrate
            | Format::Supabase => None,
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
            Format::Diesel => Some(diesel::HISTORY_TABLE),
            Format::Pop => Some("schema_migration"),
        }
    }
}

/// The second table Liquibase keeps beside its changelog, to lock it.
const LIQUIBASE_LOCK_TABLE: &str = "databasechangeloglock";

/// The tables peer tools keep their history in, by their default names (each
/// [`Format::history_table`], and Liquibase's lock table), sorted: `clean` keeps them
/// and `schema dump`/`drift` leave them out, wherever they are. Tables named by a
/// drizzle config, a Sqitch registry or the manifest's `history_table` are
/// [`crate::migrate::peer_tables`].
pub fn peer_history_tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = Format::ALL
        .into_iter()
        .filter_map(Format::history_table)
        .chain([LIQUIBASE_LOCK_TABLE])
        .collect();
    tables.sort_unstable();
    tables.dedup();
    tables
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
    /// The format's own tool sends the whole file as one simple query with no transaction
    /// around it (Prisma's `simple_query(script)`, golang-migrate's postgres driver), so
    /// the file's own `BEGIN; ... COMMIT;` blocks work as written. pgfleet runs it like
    /// `Auto` unless the file holds such blocks part-way through; then it sends the file
    /// as its tool does, after a `running` claim row.
    Script,
    /// The Supabase CLI's way: `RESET ALL`, then the file's statements as one batch (one
    /// implicit transaction, its own `BEGIN; ... COMMIT;` honoured). Run like `Script`;
    /// a statement that cannot run in a transaction works only as the file's first (the
    /// one place the CLI's batch can run it), so elsewhere it is refused before anything
    /// runs; and a file that changes session settings is followed by `RESET ALL`.
    Batch,
}

impl Transaction {
    /// `Disabled` when the file carries its format's no-transaction marker, else `Auto`.
    fn unless_marked(no_transaction: bool) -> Self {
        if no_transaction {
            Transaction::Disabled
        } else {
            Transaction::Auto
        }
    }
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
    /// A versioned migration whose up script is the whole file as read, run in a
    /// transaction, with no down script: each format sets what it reads differently
    /// with `Migration { .., ..Migration::whole_file(..) }`.
    fn whole_file(version: Version, name: String, path: PathBuf, source: Source) -> Migration {
        Migration {
            version,
            name,
            kind: Kind::Versioned,
            path,
            up: source.text,
            up_line: 1,
            down: None,
            transaction: Transaction::Auto,
            checksum: source.checksum,
            statements: None,
            not_runnable: None,
            verify: None,
        }
    }

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
    /// Hasura's source name: its catalog state holds the versions of every source.
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
    /// What pgfleet does with that table (the manifest's `peer_history`; set by
    /// [`crate::migrate::load_folders`], `sync` when read alone).
    pub peer_history: crate::manifest::PeerHistory,
    /// The name of the peer's history table when its tool's config names another than
    /// [`Format::history_table`] (pop's `migration_table_name`), looked for in the owned
    /// schemas like the default one.
    pub history_table: Option<String>,
    /// graphile-migrate's placeholders, replaced in each up script for the database it
    /// runs in ([`Folder::compile_placeholders`]) before it runs.
    pub placeholders: Option<Placeholders>,
}

impl Folder {
    /// Replaces the format's placeholders in every up script, as its tool does before
    /// running them (graphile-migrate: `:DATABASE_NAME`, `:DATABASE_OWNER`, the `.gmrc`
    /// ones), for the physical `database` pgfleet connects to as `user`.
    pub fn compile_placeholders(&mut self, database: &str, user: &str) -> Result<(), FormatError> {
        let Some(placeholders) = &self.placeholders else {
            return Ok(());
        };
        for migration in &mut self.migrations {
            if migration.not_runnable.is_some() {
                continue;
            }
            migration.up = placeholders
                .compile(&migration.up, database, user)
                .map_err(|message| FormatError::Syntax {
                    path: migration.path.clone(),
                    line: 0,
                    message,
                })?;
        }
        Ok(())
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
        Format::Diesel => diesel::read(dir),
        Format::Pop => pop::read(dir),
        Format::Hasura => hasura::read(dir),
        Format::GraphileMigrate => graphile_migrate::read(dir),
        Format::Supabase => supabase::read(dir),
    }
}

/// The seed files `format`'s own tool runs for the database whose migrations folder is
/// `dir`, in its order: a Supabase project's `[db.seed] sql_paths` (default
/// `supabase/seed.sql`), a Hasura project's `seeds/<source>/*.sql` (`seeds/*.sql` under
/// config v2). Other formats name none.
pub fn format_seeds(dir: &Path, format: Format) -> Result<Vec<PathBuf>, FormatError> {
    match format {
        Format::Supabase => supabase::seeds(dir),
        Format::Hasura => hasura::seeds(dir),
        _ => Ok(Vec::new()),
    }
}

/// Why the `atlas.sum` of a `format` folder (Atlas's own, or one Atlas keeps a sum for)
/// does not match its files as Atlas sums that format, if it does not.
pub fn atlas_sum_problem(dir: &Path, format: Format) -> Result<Option<String>, FormatError> {
    atlas::sum_problem(dir, format)
}

/// Rewrites an Atlas folder's `atlas.sum` for its files as they are (`atlas migrate
/// hash`); returns the file written.
pub fn rewrite_atlas_sum(dir: &Path, format: Format) -> Result<PathBuf, FormatError> {
    atlas::rewrite_sum(dir, format)?;
    Ok(dir.join(atlas::SUM_FILE))
}

/// The hash `dir`'s `atlas.sum` lists for `file` (without `h1:`): what Atlas copies
/// into its revision row. `None` when the sum file or its line for `file` is missing.
pub(crate) fn atlas_sum_entry(dir: &Path, file: &str) -> Result<Option<String>, FormatError> {
    atlas::sum_entry(dir, file)
}

/// The `(hash, previous_hash, filename)` graphile-migrate stores for the committed
/// migration file at `path`.
pub(crate) fn graphile_migrate_row(
    path: &Path,
) -> Result<(String, Option<String>, String), FormatError> {
    graphile_migrate::history_row(path)
}

/// The Sqitch plan in `dir` with each change's and tag's planner, time and note (what
/// Sqitch's ids cover), in plan order: one change per migration `read` gives.
pub fn sqitch_plan(dir: &Path) -> Result<SqitchPlan, FormatError> {
    sqitch::plan_details(dir)
}

/// Sqitch's `user.name` and `user.email` for the project in `dir` (its sqitch.conf,
/// else the user's), when set.
pub(crate) fn sqitch_user(dir: &Path) -> (Option<String>, Option<String>) {
    sqitch::user(dir)
}

/// A Liquibase changeset's SQL as Liquibase's parser collects it for its checksum, read
/// again from the changeset's file: `None` when the file no longer holds the changeset
/// as `migration` was read.
pub(crate) fn liquibase_sql(migration: &Migration) -> Result<Option<String>, FormatError> {
    Ok(liquibase::changeset_record(migration)?.map(|r| r.sql))
}

/// What Liquibase records of a changeset (its SQL, comments, contexts and labels), read
/// again as [`liquibase_sql`] is.
pub(crate) fn liquibase_record(
    migration: &Migration,
) -> Result<Option<LiquibaseRecord>, FormatError> {
    liquibase::changeset_record(migration)
}

/// The migration being written that `format`'s tool keeps beside the committed ones
/// (graphile-migrate's `current.sql` or `current/`), when it holds more than comments:
/// never applied by pgfleet, shown by `status`.
pub fn work_in_progress(dir: &Path, format: Format) -> Option<PathBuf> {
    match format {
        Format::GraphileMigrate => graphile_migrate::work_in_progress(dir),
        _ => None,
    }
}

/// A folder `init` enters although its name is not a usual migrations folder name:
/// a Hasura source folder (`migrations/<source>` of a project with a `config.yaml`).
/// `Some(false)`: `migrations/` of a Hasura project, whose source folders are taken
/// one by one instead.
pub fn peer_layout(dir: &Path) -> Option<bool> {
    if hasura::is_source(dir) || graphile_migrate::detect(dir) {
        Some(true)
    } else if hasura::detect(dir) {
        Some(false)
    } else {
        None
    }
}

/// gobuffalo/pop's `database.yml` for a migrations folder, where pop finds it: `init`
/// takes a folder of `<version>_<name>.up.sql` pairs with one as pop's, not
/// golang-migrate's.
pub fn pop_config(dir: &Path) -> Option<PathBuf> {
    pop::config_file(dir)
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
            let mut folder = read(dir, format).map_err(|e| with_readers(dir, e))?;
            if let Some(peer) = history_table {
                folder.peer = Some(peer.clone());
            }
            folder
        }
    };
    // Atlas keeps an `atlas.sum` for its goose, dbmate, Flyway and Liquibase directory
    // formats too (Atlas's own and golang-migrate's are checked by their readers): it
    // must match as Atlas sums that format, and is a companion, not a stray file.
    let mut folder = folder;
    if matches!(
        format,
        Format::Goose | Format::Dbmate | Format::Flyway | Format::Liquibase
    ) && dir.join(atlas::SUM_FILE).is_file()
    {
        atlas::verify_sum(dir, format)?;
        folder
            .unmatched
            .retain(|p| p.parent() != Some(dir) || file_name(p) != Some(atlas::SUM_FILE));
    }
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

/// A folder nothing was read from: name the formats detection finds that read it.
fn with_readers(dir: &Path, error: FormatError) -> FormatError {
    let FormatError::NothingRead {
        dir: d,
        format,
        count,
        examples,
        mut readers,
    } = error
    else {
        return error;
    };
    if let Ok(found) = detect(dir) {
        if found != format {
            if let Ok(folder) = read(dir, found) {
                if !folder.migrations.is_empty() {
                    readers.push((found, folder.migrations.len()));
                }
            }
        }
    }
    FormatError::NothingRead {
        dir: d,
        format,
        count,
        examples,
        readers,
    }
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

#[cfg(test)]
mod tests;
