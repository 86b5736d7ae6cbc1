//! Running a [`Plan`] on one database: each migration and its history row
//! in one transaction, exactly once even with concurrent runners and through
//! PgBouncer in transaction-pooling mode.
//!
//! The lock: every migration's transaction first takes
//! `pg_advisory_xact_lock(<key of the logical database>)`, then re-reads the
//! migration's history row. A runner that waited behind another finds the row
//! and skips the migration. The lock is transaction-scoped, so it can never
//! leak on a pooled server connection (a session lock taken through PgBouncer
//! may be released on another connection; POSTGRES-NOTES §3). Statements
//! that cannot run in a transaction first *claim* the migration with a
//! `running` row (committed under the lock), run one by one, then mark the
//! row `applied`, or `failed`, which blocks the database until `repair`.
//!
//! Round trips per transactional migration: two (begin + try-lock + check;
//! then the script's statements, history row and commit, pipelined), where
//! psql takes one per statement. Values are quoted, never pasted.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::MigrateError;
use super::formats::{Kind, Migration, Transaction, Verify};
use super::history::{self, NewRow, RowKind, RowState};
use super::plan::Plan;
use super::script::{self, Piece, PieceKind};
use crate::connect::quote_literal;

/// SQLSTATE 55P03: `lock_timeout` ran out.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Where and how to apply.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub db: &'a str,
    /// `SET LOCAL search_path` value for schema placements.
    pub search_path: Option<&'a str>,
    pub lock_timeout: Duration,
    pub server_version: u32,
    pub applied_by: &'a str,
    /// Run each migration's verify script (Sqitch's `verify/`) after it, in its
    /// transaction (`migrate --verify`).
    pub verify: bool,
    /// The peer tools' history tables written with each migration (`peer_history`).
    pub peer: &'a super::peer::Writer,
}

/// One migration `apply` ran (or found done by another runner).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub file: std::path::PathBuf,
    pub execution_ms: u64,
    /// Ran statement by statement, outside a transaction.
    pub no_transaction: bool,
    /// Another runner applied it while this one waited for the lock.
    pub skipped: bool,
}

/// Applies `plan` in order; `on_applied` hears of each migration as it
/// commits. Stops at the first failure, which says what was applied before.
pub async fn apply(
    client: &Client,
    target: &Target<'_>,
    plan: &Plan<'_>,
    on_applied: &(dyn Fn(&Applied) + Sync),
) -> Result<Vec<Applied>, (Vec<Applied>, MigrateError)> {
    // Every script is split and checked before the first one runs, so a
    // broken file later in the plan stops the run before it changes anything.
    let mut scripts = Vec::with_capacity(plan.steps.len());
    for migration in &plan.steps {
        match prepare(target, migration) {
            Ok(script) => scripts.push(script),
            Err(e) => return Err((Vec::new(), e)),
        }
    }
    let mut done = Vec::with_capacity(plan.steps.len());
    for (migration, script) in plan.steps.iter().zip(&scripts) {
        match apply_one(client, target, migration, script).await {
            Ok(applied) => {
                on_applied(&applied);
                done.push(applied);
            }
            Err(e) => return Err((done, e)),
        }
    }
    Ok(done)
}

/// A migration's statements, checked, and how they run.
struct Script {
    pieces: Vec<Piece>,
    no_transaction: bool,
    /// The pieces to run when in a transaction (a `BEGIN; ... COMMIT;`
    /// wrapper left out).
    inner: std::ops::Range<usize>,
    /// Run with the transactions one simple query of the whole file would
    /// have (see [`run_as_one_query`]).
    as_one_query: bool,
}

fn prepare(target: &Target<'_>, migration: &Migration) -> Result<Script, MigrateError> {
    let located = |source| MigrateError::Script {
        path: migration.path.clone(),
        line_offset: migration.up_line.saturating_sub(1),
        source,
    };
    let pieces = migration
        .pieces()
        .map_err(|(line_offset, source)| MigrateError::Script {
            path: migration.path.clone(),
            line_offset,
            source,
        })?;
    if migration.transaction == Transaction::Batch {
        check_batch(target, migration, &pieces)?;
    }
    let no_transaction = migration.transaction == Transaction::Disabled
        || script::needs_no_transaction(&pieces, target.server_version);
    if !no_transaction && as_its_tool_runs_it(migration, &pieces) {
        // As its tool sends it: the file's own transaction blocks commit as
        // written, so it runs after a claim row, like a no-transaction file.
        let all = 0..pieces.len();
        return Ok(Script {
            pieces,
            no_transaction: true,
            as_one_query: true,
            inner: all,
        });
    }
    let inner = if no_transaction {
        0..pieces.len()
    } else {
        let inner = script::in_transaction(&pieces).map_err(located)?;
        let start = usize::from(inner.len() < pieces.len());
        start..start + inner.len()
    };
    Ok(Script {
        pieces,
        no_transaction,
        inner,
        as_one_query: false,
    })
}

/// A Supabase file ([`Transaction::Batch`]) is sent by the CLI as one batch, which
/// PostgreSQL runs as one implicit transaction: a statement that cannot run in one
/// works there only at the top of the file, before any other (it commits before the
/// rest start). After another statement the CLI fails on it, so pgfleet refuses it before anything runs rather than
/// apply a folder its own tool cannot.
fn check_batch(
    target: &Target<'_>,
    migration: &Migration,
    pieces: &[Piece],
) -> Result<(), MigrateError> {
    // Each such statement at the top commits at once, so the next one starts afresh.
    let Some(piece) = pieces
        .iter()
        .skip_while(|p| p.needs_no_transaction(target.server_version))
        .find(|p| p.needs_no_transaction(target.server_version))
    else {
        return Ok(());
    };
    let statement = piece
        .sql
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ");
    Err(MigrateError::ToolWouldRefuse {
        db: target.db.to_owned(),
        path: migration.path.clone(),
        line: migration.up_line.saturating_sub(1) + piece.start_line,
        message: format!(
            "`{statement} ...` cannot run inside a transaction, and the Supabase CLI runs a file's statements as one transaction; it works only at the top of a file, before any other statement"
        ),
        hint: "move it into a migration file of its own (`pgfleet new DB NAME`), where the CLI and pgfleet both run it outside a transaction".to_owned(),
    })
}

/// True for a file whose tool sends it whole as one simple query
/// ([`Transaction::Script`]) and that holds its own transaction control
/// part-way through (Prisma's `-- AlterEnum` `BEGIN; ... COMMIT;` blocks),
/// which cannot run inside the transaction pgfleet would open. A file with
/// `COPY ... FROM STDIN` data is left to the normal check: no simple query
/// can carry it.
fn as_its_tool_runs_it(migration: &Migration, pieces: &[Piece]) -> bool {
    matches!(
        migration.transaction,
        Transaction::Script | Transaction::Batch
    ) && migration.statements.is_none()
        && pieces
            .iter()
            .all(|p| matches!(p.kind, PieceKind::Statement))
        && matches!(
            script::in_transaction(pieces),
            Err(script::ScriptError::TransactionControl { .. })
        )
}

async fn apply_one(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
    script: &Script,
) -> Result<Applied, MigrateError> {
    let verify = match (&migration.verify, target.verify) {
        (Some(verify), true) => {
            let pieces = script::split(&verify.sql).map_err(|e| MigrateError::Script {
                path: verify.path.clone(),
                line_offset: verify.line.saturating_sub(1),
                source: e,
            })?;
            Some((verify, pieces))
        }
        _ => None,
    };
    let verify = verify.as_ref().map(|(v, p)| (*v, p.as_slice()));
    let no_transaction = script.no_transaction;
    let pieces = &script.pieces[script.inner.clone()];
    let started = Instant::now();
    let skipped = if no_transaction {
        let run = if script.as_one_query {
            Run::AsOneQuery
        } else {
            Run::OneByOne
        };
        apply_outside_transaction(client, target, migration, pieces, run, verify).await?
    } else {
        apply_in_transaction(client, target, migration, pieces, verify).await?
    };
    // The Supabase CLI runs `RESET ALL` before each file, so a file's `SET`s and
    // `set_config(..., false)` never reach the next one. (Other formats' files share
    // the session too and do pass their settings on: known, left as it is.)
    if migration.transaction == Transaction::Batch
        && script.pieces.iter().any(Piece::changes_session)
    {
        client
            .batch_execute("RESET ALL")
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot reset the session settings", e))?;
    }
    Ok(Applied {
        version: migration.version.to_string(),
        name: migration.name.clone(),
        file: migration.path.clone(),
        execution_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        no_transaction,
        skipped,
    })
}

/// `BEGIN`, the lock, and the migration's current history row. The common
/// case (nobody else migrating) is one round trip: `pg_try_advisory_xact_lock`
/// then the read. Only when another runner holds the lock does a second
/// query wait for it, bounded by `lock_timeout`. The read is always a later
/// statement than the lock, so its snapshot sees what the previous holder
/// committed.
async fn begin_locked(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
) -> Result<Option<HistoryRow>, MigrateError> {
    let key = history::lock_key(target.db);
    let search_path = target
        .search_path
        .map(|p| format!("SET LOCAL search_path = {p};"))
        .unwrap_or_default();
    let read = format!(
        "SELECT state, checksum, applied_by, error FROM pgfleet.history WHERE db = {} AND version = {}",
        quote_literal(target.db),
        quote_literal(migration.version.as_str()),
    );
    let fast =
        format!("BEGIN; {search_path} SELECT pg_try_advisory_xact_lock({key}) AS locked; {read}");
    let messages = match client.simple_query(&fast).await {
        Ok(messages) => messages,
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(MigrateError::sql(
                target.db,
                "cannot take the migration lock",
                e,
            ));
        }
    };
    let locked = messages
        .iter()
        .any(|m| matches!(m, SimpleQueryMessage::Row(r) if column(r) == Some("locked") && r.get(0) == Some("t")));
    if locked {
        return Ok(history_row(messages));
    }
    let wait = format!(
        "SET LOCAL lock_timeout = '{}ms'; SELECT pg_advisory_xact_lock({key}); SET LOCAL lock_timeout = DEFAULT; {read}",
        target.lock_timeout.as_millis(),
    );
    match client.simple_query(&wait).await {
        Ok(messages) => Ok(history_row(messages)),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            if e.code().is_some_and(|c| c.code() == LOCK_NOT_AVAILABLE) {
                return Err(MigrateError::LockTimeout {
                    db: target.db.to_owned(),
                    after: target.lock_timeout,
                    holder: lock_holder(client, target.db).await,
                });
            }
            Err(MigrateError::sql(
                target.db,
                "cannot take the migration lock",
                e,
            ))
        }
    }
}

/// `state`, `checksum`, `applied_by`, `error` of a history row.
type HistoryRow = (String, String, String, Option<String>);

/// The history row among a query's results (the lock's own SELECT answers
/// too, in a column named `locked`).
fn history_row(messages: Vec<SimpleQueryMessage>) -> Option<HistoryRow> {
    messages.into_iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) if column(&row) == Some("state") => Some((
            row.get(0).unwrap_or_default().to_owned(),
            row.get(1).unwrap_or_default().to_owned(),
            row.get(2).unwrap_or_default().to_owned(),
            row.get(3).map(str::to_owned),
        )),
        _ => None,
    })
}

/// The name of a row's first column: which SELECT of a multi-statement
/// query the row answers.
fn column(row: &tokio_postgres::SimpleQueryRow) -> Option<&str> {
    row.columns()
        .first()
        .map(tokio_postgres::SimpleColumn::name)
}

/// Whether a history row means "nothing to do" for this migration.
fn already_done(row: Option<&HistoryRow>, migration: &Migration) -> bool {
    match row {
        Some((state, checksum, _, _)) if state == "applied" => match migration.kind {
            Kind::Versioned => true,
            Kind::Repeatable => *checksum == migration.checksum,
            Kind::Always => false,
        },
        _ => false,
    }
}

/// A verify script and its statements.
type VerifyPieces<'v> = Option<(&'v Verify, &'v [Piece])>;

/// Savepoint around a verify script run inside the migration's transaction,
/// so whatever the check does is undone, as its own `ROLLBACK` would.
const VERIFY_SAVEPOINT: &str = "SAVEPOINT pgfleet_verify;";
const VERIFY_UNDO: &str = "ROLLBACK TO SAVEPOINT pgfleet_verify;";

async fn apply_in_transaction(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
    pieces: &[Piece],
    verify: VerifyPieces<'_>,
) -> Result<bool, MigrateError> {
    // The up script, then the verify script inside a savepoint: a failing check
    // rolls the whole migration back.
    let with_verify: Vec<Piece>;
    let up_count = pieces.len();
    let pieces = match verify {
        Some((_, checks)) => {
            with_verify = pieces
                .iter()
                .cloned()
                .chain([Piece::statement(VERIFY_SAVEPOINT)])
                .chain(checks.iter().cloned())
                .chain([Piece::statement(VERIFY_UNDO)])
                .collect();
            with_verify.as_slice()
        }
        None => pieces,
    };
    let fail = |piece: &Piece, e: &tokio_postgres::Error| {
        let index = pieces.iter().position(|p| std::ptr::eq(p, piece));
        match verify {
            Some((v, _)) if index.is_some_and(|i| i >= up_count) => MigrateError::VerifyFailed {
                db: target.db.to_owned(),
                version: migration.version.to_string(),
                name: migration.name.clone(),
                source: Box::new(locate_error(target.db, &v.path, v.line, piece, e)),
                outcome: "the migration was rolled back with it".to_owned(),
            },
            _ => statement_error(target.db, migration, piece, e),
        }
    };
    let row = begin_locked(client, target, migration).await?;
    if already_done(row.as_ref(), migration) {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot commit", e))?;
        return Ok(true);
    }
    // A row here is a repeatable's older run: replace it. Otherwise a plain
    // insert, cheaper to plan than an upsert.
    let record = new_row(target, migration, RowState::Applied);
    let insert = if row.is_some() {
        record.upsert_sql()
    } else {
        record.insert_sql()
    };
    let peer = target.peer.applied_sql(migration, None);
    let commit = format!("{insert};\n{peer}COMMIT");
    let has_copy = pieces
        .iter()
        .any(|p| matches!(p.kind, PieceKind::CopyFromStdin { .. }));
    // With a verify script, one statement at a time: pipelined, the
    // `ROLLBACK TO SAVEPOINT` after a failed check would clear the failure
    // and let the history row commit.
    if has_copy || verify.is_some() {
        if let Err((e, piece)) = run_pieces(client, pieces).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(fail(piece, &e));
        }
        client
            .batch_execute(&commit)
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot record the migration", e))?;
        return Ok(false);
    }
    // Statements, history row and COMMIT in one pipelined round trip. After a
    // failed statement the rest fail with "transaction is aborted" and
    // change nothing.
    let (statements, recorded) =
        futures_util::future::join(run_pipelined(client, pieces), client.batch_execute(&commit))
            .await;
    if let Err((e, piece)) = statements {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(fail(piece, &e));
    }
    recorded.map_err(|e| MigrateError::sql(target.db, "cannot record the migration", e))?;
    Ok(false)
}

/// Runs `pieces` inside an open transaction: pipelined in one round trip
/// ([`run_pipelined`]) unless a `COPY ... FROM STDIN` needs its own exchange
/// ([`run_pieces`]). The first error is the real one; roll back on it.
pub(crate) async fn run_in_transaction<'p>(
    client: &Client,
    pieces: &'p [Piece],
) -> Result<(), (tokio_postgres::Error, &'p Piece)> {
    if pieces
        .iter()
        .any(|p| matches!(p.kind, PieceKind::CopyFromStdin { .. }))
    {
        run_pieces(client, pieces).await
    } else {
        run_pipelined(client, pieces).await
    }
}

/// Sends every statement at once (tokio-postgres pipelines requests polled
/// together) and waits for all answers: one round trip for the whole
/// script, yet each statement is its own Query, so a failure names its
/// statement. Inside the transaction, statements after a failure only fail
/// with "transaction is aborted" and change nothing; the first error is the
/// real one.
async fn run_pipelined<'p>(
    client: &Client,
    pieces: &'p [Piece],
) -> Result<(), (tokio_postgres::Error, &'p Piece)> {
    let results =
        futures_util::future::join_all(pieces.iter().map(|p| client.batch_execute(&p.sql))).await;
    match results
        .into_iter()
        .zip(pieces)
        .find_map(|(r, p)| r.err().map(|e| (e, p)))
    {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// How a migration outside pgfleet's transaction runs its statements.
#[derive(Clone, Copy)]
enum Run {
    /// Each statement committed on its own (psql's autocommit, Flyway's
    /// non-transactional statements).
    OneByOne,
    /// In the transactions one simple query of the whole file would have.
    AsOneQuery,
}

async fn apply_outside_transaction(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
    pieces: &[Piece],
    run: Run,
    verify: VerifyPieces<'_>,
) -> Result<bool, MigrateError> {
    let deadline = Instant::now() + target.lock_timeout;
    loop {
        let row = begin_locked(client, target, migration).await?;
        if already_done(row.as_ref(), migration) {
            commit(client, target).await?;
            return Ok(true);
        }
        match row {
            Some((state, _, by, note)) if state == "running" => {
                // Another runner claimed it. If its session is gone (killed
                // part-way), it will never finish: report it failed, which
                // `repair` resolves. Else wait for it to finish (or for the
                // lock timeout, naming who).
                test_delay_before_claim_check().await;
                let alive = history::claim_alive(client, note.as_deref())
                    .await
                    .map_err(MigrateError::Query)?;
                // Gone may also mean finished just now: read the row again
                // (a new statement, so a new snapshot) before calling it
                // interrupted.
                let recheck = if alive == Some(false) {
                    Some(
                        history::reread_claim(
                            client,
                            target.db,
                            migration.version.as_str(),
                            note.as_deref(),
                        )
                        .await
                        .map_err(MigrateError::Query)?,
                    )
                } else {
                    None
                };
                commit(client, target).await?;
                if matches!(recheck, Some(history::Recheck::Changed(_))) {
                    continue;
                }
                if recheck.is_some() {
                    return Err(MigrateError::Plan(super::plan::PlanError::Failed {
                        db: target.db.to_owned(),
                        version: migration.version.to_string(),
                        error: Some(history::interrupted_message(
                            note.as_deref().unwrap_or_default(),
                        )),
                    }));
                }
                if Instant::now() >= deadline {
                    return Err(MigrateError::LockTimeout {
                        db: target.db.to_owned(),
                        after: target.lock_timeout,
                        holder: format!(
                            "{by}, running no-transaction migration `{}`; if that run died, clear it with `pgfleet repair {}`",
                            migration.version, target.db
                        ),
                    });
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Some((state, _, _, _)) if state == "failed" => {
                commit(client, target).await?;
                return Err(MigrateError::Plan(super::plan::PlanError::Failed {
                    db: target.db.to_owned(),
                    version: migration.version.to_string(),
                    error: None,
                }));
            }
            _ => {
                let claim = new_row(target, migration, RowState::Running).upsert_sql();
                let note = history::claim_note_sql(target.db, migration.version.as_str());
                client
                    .batch_execute(&format!("{claim};\n{note};\nCOMMIT"))
                    .await
                    .map_err(|e| MigrateError::sql(target.db, "cannot claim the migration", e))?;
                break;
            }
        }
    }
    let started = Instant::now();
    if let Some(path) = target.search_path {
        // Session-level: each statement below is its own transaction.
        client
            .batch_execute(&format!("SET search_path = {path}"))
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot set search_path", e))?;
    }
    let ran = match run {
        Run::OneByOne => run_pieces(client, pieces).await,
        Run::AsOneQuery => run_as_one_query(client, pieces).await,
    };
    if ran.is_ok() {
        if let Some((v, checks)) = verify {
            verify_outside(client, target, migration, v, checks).await?;
        }
    }
    match ran {
        Ok(()) => {
            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            record_outside(client, target, migration, ms).await?;
            Ok(false)
        }
        Err((e, piece)) => {
            // A script with its own BEGIN that failed inside it leaves the
            // session in an aborted transaction: end it before recording.
            let _ = client.batch_execute("ROLLBACK").await;
            let error = statement_error(target.db, migration, piece, &e);
            let message = error.to_string();
            let _ =
                history::finish(client, target.db, migration.version.as_str(), Err(&message)).await;
            let failed = pieces
                .iter()
                .position(|p| std::ptr::eq(p, piece))
                .unwrap_or(0);
            let one_by_one = matches!(run, Run::OneByOne);
            Err(MigrateError::FailedPartWay {
                source: Box::new(error),
                db: target.db.to_owned(),
                path: migration.path.clone(),
                applied: super::partway::ran_before(pieces, failed, one_by_one, migration.up_line),
            })
        }
    }
}

/// Marks a migration that ran outside a transaction applied, together with its
/// peer tool's row: one transaction, so both are written or neither.
async fn record_outside(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
    ms: i64,
) -> Result<(), MigrateError> {
    let peer = target.peer.applied_sql(migration, Some(ms));
    if peer.is_empty() {
        return history::finish(client, target.db, migration.version.as_str(), Ok(ms))
            .await
            .map_err(MigrateError::Query);
    }
    let recorded = async {
        client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot record the migration", e))?;
        history::finish(client, target.db, migration.version.as_str(), Ok(ms))
            .await
            .map_err(MigrateError::Query)?;
        client
            .batch_execute(&format!("{peer}COMMIT"))
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot record the migration", e))
    }
    .await;
    if recorded.is_err() {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    recorded
}

/// Test-only: `PGFLEET_TEST_CLAIM_CHECK_DELAY_MS` waits that long between
/// reading another run's `running` row and looking for its session, so a
/// test can let that run finish in between (the race
/// [`history::reread_claim`] closes). Nothing else sets it.
async fn test_delay_before_claim_check() {
    let delay = std::env::var("PGFLEET_TEST_CLAIM_CHECK_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok());
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// The verify script of a migration that ran outside a transaction (it
/// committed as it went): run inside a transaction that is rolled back. When
/// it fails, the down script (Sqitch's revert) undoes the migration and its
/// claim row goes; without one, or when that fails too, the migration is
/// recorded as failed.
async fn verify_outside(
    client: &Client,
    target: &Target<'_>,
    migration: &Migration,
    verify: &Verify,
    checks: &[Piece],
) -> Result<(), MigrateError> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| MigrateError::sql(target.db, "cannot start the verify script", e))?;
    let checked = run_pieces(client, checks).await;
    let _ = client.batch_execute("ROLLBACK").await;
    let Err((e, piece)) = checked else {
        return Ok(());
    };
    let source = Box::new(locate_error(
        target.db,
        &verify.path,
        verify.line,
        piece,
        &e,
    ));
    let version = migration.version.as_str();
    let reverted = match &migration.down {
        Some(down) => match script::split(down) {
            Ok(down_pieces) => {
                let undone = run_pieces(client, &down_pieces).await.is_ok();
                if !undone {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                undone
            }
            Err(_) => false,
        },
        None => false,
    };
    let outcome = if reverted {
        let forget = format!(
            "DELETE FROM pgfleet.history WHERE db = {} AND version = {}",
            quote_literal(target.db),
            quote_literal(version)
        );
        client
            .batch_execute(&forget)
            .await
            .map_err(|e| MigrateError::sql(target.db, "cannot clear the migration's claim", e))?;
        "the migration ran outside a transaction; its down script undid it".to_owned()
    } else {
        let message = format!("verify failed: {source}");
        let _ = history::finish(client, target.db, version, Err(&message)).await;
        format!(
            "the migration ran outside a transaction and could not be undone: it is recorded as failed and blocks `{}`",
            target.db
        )
    };
    Err(MigrateError::VerifyFailed {
        db: target.db.to_owned(),
        version: migration.version.to_string(),
        name: migration.name.clone(),
        source,
        outcome,
    })
}

async fn commit(client: &Client, target: &Target<'_>) -> Result<(), MigrateError> {
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| MigrateError::sql(target.db, "cannot commit", e))
}

/// Runs pieces one by one; COPY data goes through `copy_in`. Seeds use it
/// too.
pub(crate) async fn run_pieces<'p>(
    client: &Client,
    pieces: &'p [Piece],
) -> Result<(), (tokio_postgres::Error, &'p Piece)> {
    use futures_util::SinkExt;
    for piece in pieces {
        match &piece.kind {
            PieceKind::Statement => client
                .batch_execute(&piece.sql)
                .await
                .map_err(|e| (e, piece))?,
            PieceKind::CopyFromStdin { data } => {
                let sink = client
                    .copy_in::<_, bytes::Bytes>(
                        piece.sql.trim_end_matches([';', ' ', '\n', '\r', '\t']),
                    )
                    .await;
                let sink = sink.map_err(|e| (e, piece))?;
                let mut sink = std::pin::pin!(sink);
                sink.send(bytes::Bytes::copy_from_slice(data.as_bytes()))
                    .await
                    .map_err(|e| (e, piece))?;
                sink.as_mut().finish().await.map_err(|e| (e, piece))?;
            }
        }
    }
    Ok(())
}

/// Runs `pieces` one by one, in the transactions PostgreSQL gives them when
/// the whole file is one simple query (as Prisma and golang-migrate send it;
/// "Multiple Statements in a Simple Query" in the protocol chapter of the
/// PostgreSQL documentation): the statements form one implicit transaction;
/// a `BEGIN` takes the statements before it into its block; a `COMMIT` (or
/// `ROLLBACK`) ends it, and what follows starts the next implicit
/// transaction, committed at the end. Statement by statement, so an error
/// names its own line.
async fn run_as_one_query<'p>(
    client: &Client,
    pieces: &'p [Piece],
) -> Result<(), (tokio_postgres::Error, &'p Piece)> {
    let Some(first) = pieces.first() else {
        return Ok(());
    };
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| (e, first))?;
    // Nothing ran yet in the current transaction: a `BEGIN` here may take
    // its own options (isolation level) instead of pgfleet's plain one.
    let mut fresh = true;
    for piece in pieces {
        match piece.control() {
            Some(script::Control::Begin) if fresh => {
                client
                    .batch_execute("ROLLBACK")
                    .await
                    .map_err(|e| (e, piece))?;
                client
                    .batch_execute(&piece.sql)
                    .await
                    .map_err(|e| (e, piece))?;
            }
            // Already in the block it would open.
            Some(script::Control::Begin) => {}
            Some(script::Control::Commit | script::Control::Other) => {
                client
                    .batch_execute(&piece.sql)
                    .await
                    .map_err(|e| (e, piece))?;
                client
                    .batch_execute("BEGIN")
                    .await
                    .map_err(|e| (e, piece))?;
                fresh = true;
                continue;
            }
            None => run_pieces(client, std::slice::from_ref(piece)).await?,
        }
        fresh = false;
    }
    let last = pieces.last().unwrap_or(first);
    client.batch_execute("COMMIT").await.map_err(|e| (e, last))
}

fn new_row<'a>(target: &'a Target<'_>, migration: &'a Migration, state: RowState) -> NewRow<'a> {
    NewRow {
        db: target.db,
        version: migration.version.as_str(),
        name: &migration.name,
        kind: match migration.kind {
            Kind::Versioned => RowKind::Versioned,
            Kind::Repeatable | Kind::Always => RowKind::Repeatable,
        },
        checksum: &migration.checksum,
        applied_by: target.applied_by,
        down_script: migration.down.as_deref(),
        state,
        applied_at: None,
    }
}

/// The server's error, located in the migration file.
fn statement_error(
    db: &str,
    migration: &Migration,
    piece: &Piece,
    e: &tokio_postgres::Error,
) -> MigrateError {
    locate_error(db, &migration.path, migration.up_line, piece, e)
}

/// The server's error, located in a script file (a migration's up script,
/// a seed file): the piece that failed plus the server's character position.
/// `first_line` is the file line where the split script starts.
pub(crate) fn locate_error(
    db: &str,
    path: &Path,
    first_line: usize,
    piece: &Piece,
    e: &tokio_postgres::Error,
) -> MigrateError {
    let Some(db_error) = e.as_db_error() else {
        return MigrateError::Sql {
            db: db.to_owned(),
            context: format!("`{}` failed", path.display()),
            message: crate::connect::describe_sql_error(e),
            lost: crate::connect::is_connection_lost(e),
        };
    };
    let position = match db_error.position() {
        Some(ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    };
    let line_in_up = position.map_or(piece.start_line, |p| piece.line_of_position(p));
    MigrateError::Statement {
        db: db.to_owned(),
        path: path.to_path_buf(),
        line: first_line + line_in_up - 1,
        message: db_error.message().to_owned(),
        detail: db_error.detail().map(str::to_owned),
        hint: db_error.hint().map(str::to_owned),
        code: db_error.code().code().to_owned(),
    }
}

/// Who holds the advisory lock of `db`, for the timeout message.
async fn lock_holder(client: &Client, db: &str) -> String {
    let key = history::lock_key(db);
    let sql = format!(
        "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), coalesce(a.client_addr::text, 'local socket'), a.xact_start::text
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.classid::int8 = {} AND l.objid::int8 = {}",
        (key >> 32) & 0xffff_ffff,
        key & 0xffff_ffff,
    );
    match client.simple_query(&sql).await {
        Ok(messages) => messages
            .into_iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(format!(
                    "server pid {} ({}, from {}, transaction started {})",
                    r.get(0).unwrap_or("?"),
                    r.get(1).unwrap_or("?"),
                    r.get(2).unwrap_or("?"),
                    r.get(3).unwrap_or("?")
                )),
                _ => None,
            })
            .unwrap_or_else(|| "another pgfleet migrate (it let go just now)".to_owned()),
        Err(_) => "another pgfleet migrate".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::formats::{self, Format};

    /// Where the Supabase CLI's batch can run a statement that needs no transaction:
    /// only at the top of the file.
    #[test]
    fn batch_files_take_no_transaction_statements_only_at_the_top() {
        let cases = [
            ("CREATE INDEX CONCURRENTLY i ON t (a);\n", None),
            (
                "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);\nSELECT 1;\n",
                None,
            ),
            (
                "SELECT 1;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
                Some(2),
            ),
            (
                "CREATE INDEX CONCURRENTLY i ON t (a);\nSELECT 1;\n\nVACUUM t;\n",
                Some(4),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("20240101000000_x.sql");
        let target = Target {
            db: "app",
            search_path: None,
            lock_timeout: Duration::from_secs(1),
            server_version: 150_000,
            applied_by: "test",
            verify: false,
            peer: &crate::migrate::peer::Writer::none(),
        };
        for (sql, want) in cases {
            std::fs::write(&file, sql).unwrap();
            let folder = formats::read(dir.path(), Format::Supabase).unwrap();
            let migration = &folder.migrations[0];
            let pieces = migration.pieces().unwrap();
            let got = match check_batch(&target, migration, &pieces) {
                Ok(()) => None,
                Err(MigrateError::ToolWouldRefuse { line, .. }) => Some(line),
                Err(e) => panic!("{e}"),
            };
            assert_eq!(got, want, "{sql}");
        }
    }
}
