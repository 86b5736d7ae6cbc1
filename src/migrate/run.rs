//! `migrate` over a fleet: every selected database in dependency order,
//! independent ones in parallel up to `--jobs`. The first failure stops new
//! work; databases already running finish; the report says which are done,
//! failed or not started. History makes a re-run continue where this stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;

use super::apply::{self, Applied, Target};
use super::formats::{self, Folder};
use super::plan::{self, PlanOptions};
use super::{MigrateError, adopt, history, load_folders, peer};
use crate::fleet::Fleet;
use crate::topology::Placement;
use crate::wiring;

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// Databases migrated at once.
    pub jobs: usize,
    /// `--to VERSION`, for single-database runs.
    pub target: Option<String>,
    pub allow_out_of_order: bool,
    /// Plan and print; change nothing.
    pub dry_run: bool,
    /// How long to wait for another runner's lock.
    pub lock_timeout: Duration,
    /// Run verify scripts (Sqitch's `verify/`) after each migration.
    pub verify: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            jobs: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            target: None,
            allow_out_of_order: false,
            dry_run: false,
            lock_timeout: Duration::from_secs(300),
            verify: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Migrations were applied.
    Migrated,
    /// Nothing was pending.
    UpToDate,
    /// `--dry-run`: `planned` lists what would run.
    Planned,
    /// A `runner` command ran and exited 0.
    Ran,
    Failed,
    /// Not started because an earlier database failed.
    NotStarted,
}

/// A migration `--dry-run` would apply.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub version: String,
    pub name: String,
    pub file: std::path::PathBuf,
    #[serde(skip)]
    pub sql: String,
}

#[derive(Debug, Serialize)]
pub struct DbReport {
    pub database: String,
    pub outcome: Outcome,
    pub applied: Vec<Applied>,
    /// Versions recorded from another tool's history table.
    pub adopted: Vec<String>,
    pub planned: Vec<Planned>,
    /// Files in migration folders that match no pattern.
    pub unmatched: Vec<std::path::PathBuf>,
    pub error: Option<String>,
    pub hint: Option<String>,
}

impl DbReport {
    fn new(database: &str, outcome: Outcome) -> DbReport {
        DbReport {
            database: database.to_owned(),
            outcome,
            applied: Vec::new(),
            adopted: Vec::new(),
            planned: Vec::new(),
            unmatched: Vec::new(),
            error: None,
            hint: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FleetReport {
    pub env: String,
    pub databases: Vec<DbReport>,
}

impl FleetReport {
    pub fn failed(&self) -> bool {
        self.databases.iter().any(|d| d.outcome == Outcome::Failed)
    }
}

/// What a fleet run tells its caller as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        database: String,
    },
    /// The database's plan is known: `steps` migrations will run.
    Planned {
        database: String,
        steps: usize,
    },
    Applied {
        database: String,
        applied: Applied,
    },
    Finished {
        database: String,
        outcome: Outcome,
        applied: usize,
    },
}

pub type Progress = Arc<dyn Fn(Event) + Send + Sync>;

/// Migrates `selected` (in dependency order). Folders are read first, so a
/// folder that is not migrations stops the run before anything changes.
pub async fn migrate(
    fleet: Arc<Fleet>,
    selected: &[&Placement],
    options: &MigrateOptions,
    progress: Progress,
) -> Result<FleetReport, MigrateError> {
    let mut work = Vec::with_capacity(selected.len());
    for placement in selected {
        let db = &fleet.manifest.databases[&placement.database];
        work.push(((*placement).clone(), load_folders(&fleet.manifest, db)?));
    }
    let names: BTreeSet<String> = work.iter().map(|(p, _)| p.database.clone()).collect();
    let options = Arc::new(options.clone());
    let mut waiting: Vec<(Placement, Vec<Folder>)> = work;
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut reports: BTreeMap<String, DbReport> = BTreeMap::new();
    let mut running: JoinSet<DbReport> = JoinSet::new();
    let mut task_names: BTreeMap<tokio::task::Id, String> = BTreeMap::new();
    let mut stop = false;
    loop {
        if !stop {
            let mut i = 0;
            while i < waiting.len() && running.len() < options.jobs.max(1) {
                let deps = &fleet.manifest.databases[&waiting[i].0.database].depends_on;
                if deps.iter().all(|d| !names.contains(d) || done.contains(d)) {
                    let (placement, folders) = waiting.remove(i);
                    let name = placement.database.clone();
                    let (fleet, options, progress) =
                        (fleet.clone(), options.clone(), progress.clone());
                    let handle = running.spawn(async move {
                        migrate_one(&fleet, &placement, &folders, &options, &progress).await
                    });
                    task_names.insert(handle.id(), name);
                } else {
                    i += 1;
                }
            }
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let report = match joined {
            Ok((_, report)) => report,
            Err(panic) => {
                let name = task_names.get(&panic.id()).cloned().unwrap_or_default();
                let mut r = DbReport::new(&name, Outcome::Failed);
                r.error = Some(format!("internal error in pgfleet: {panic}"));
                r
            }
        };
        if report.outcome == Outcome::Failed {
            stop = true;
        } else {
            done.insert(report.database.clone());
        }
        reports.insert(report.database.clone(), report);
    }
    for (placement, _) in waiting {
        reports.insert(
            placement.database.clone(),
            DbReport::new(&placement.database, Outcome::NotStarted),
        );
    }
    let databases = selected
        .iter()
        .filter_map(|p| reports.remove(&p.database))
        .collect();
    Ok(FleetReport {
        env: fleet.topology.env.clone(),
        databases,
    })
}

async fn migrate_one(
    fleet: &Fleet,
    placement: &Placement,
    folders: &[Folder],
    options: &MigrateOptions,
    progress: &Progress,
) -> DbReport {
    let database = placement.database.clone();
    progress(Event::Started {
        database: database.clone(),
    });
    let runner = fleet.manifest.databases[&database].runner.clone();
    let result = match &runner {
        Some(command) if !options.dry_run => run_runner(fleet, placement, command)
            .await
            .map(|()| DbReport::new(&database, Outcome::Ran)),
        Some(_) => Ok(DbReport::new(&database, Outcome::Planned)),
        None => migrate_files(fleet, placement, folders, options, progress).await,
    };
    let mut report = result.unwrap_or_else(|(applied, e)| {
        let mut r = DbReport::new(&database, Outcome::Failed);
        r.applied = applied;
        r.hint = e.hint();
        r.error = Some(e.to_string());
        r
    });
    report.unmatched = folders
        .iter()
        .flat_map(|f| f.unmatched.iter().cloned())
        .collect();
    progress(Event::Finished {
        database,
        outcome: report.outcome,
        applied: report.applied.len(),
    });
    report
}

type Failure = (Vec<Applied>, MigrateError);

async fn migrate_files(
    fleet: &Fleet,
    placement: &Placement,
    folders: &[Folder],
    options: &MigrateOptions,
    progress: &Progress,
) -> Result<DbReport, Failure> {
    let fail = |e: MigrateError| (Vec::new(), e);
    let db = placement.database.as_str();
    let mut info = fleet.conninfo(placement).map_err(|e| fail(e.into()))?;
    info.application_name = Some(format!("pgfleet migrate (pid {})", std::process::id()));
    let client = info
        .connect()
        .await
        .map_err(|e| fail(MigrateError::connect(e, placement, &info)))?;
    let has_history = history::exists(&client).await.map_err(|e| fail(e.into()))?;
    let mut rows = if has_history {
        history::read_existing(&client, db)
            .await
            .map_err(|e| fail(e.into()))?
    } else {
        Vec::new()
    };
    if options.dry_run {
        let renames = history::legacy_prisma_versions(folders, &rows);
        history::rename_versions(&mut rows, &renames);
    } else {
        history::upgrade(&client, db, folders, &mut rows)
            .await
            .map_err(|e| fail(e.into()))?;
    }
    let adopted = adopt::peer_rows(&client, folders, &rows, placement)
        .await
        .map_err(|e| fail(e.into()))?;
    // Checked before anything is written: a peer table pgfleet cannot write as its
    // tool does stops the run here.
    let peer = if options.dry_run {
        peer::Writer::none()
    } else {
        peer::Writer::prepare(&client, db, folders, placement)
            .await
            .map_err(fail)?
    };
    // The history table is made only when there is something to record, so
    // a no-op run is read-only (and fast).
    let pending = folders.iter().flat_map(|f| &f.migrations).count() > rows.len() + adopted.len();
    if !has_history && !options.dry_run && (pending || !adopted.is_empty()) {
        client
            .batch_execute(history::ENSURE)
            .await
            .map_err(|e| fail(MigrateError::sql(db, "cannot create pgfleet.history", e)))?;
    }
    if !adopted.is_empty() && !options.dry_run {
        record_adopted(&client, db, &adopted).await.map_err(fail)?;
    }
    let adopted_versions = adopted.iter().map(|r| r.version.clone()).collect();
    rows.extend(adopted);
    let assessment = plan::assess(folders, &rows);
    let plan = plan::plan(
        db,
        &assessment,
        &PlanOptions {
            target: options.target.as_deref(),
            allow_out_of_order: options.allow_out_of_order,
        },
    )
    .map_err(|e| fail(e.into()))?;

    // A Supabase project's pending files may need Supabase's own schemas and roles:
    // stop before the first one runs when the database lacks them (a dry run
    // says so too, as it does for a plan that would be refused).
    let supabase: Vec<&formats::Migration> = plan
        .steps
        .iter()
        .copied()
        .filter(|m| {
            folders.iter().any(|f| {
                f.format == formats::Format::Supabase
                    && f.migrations.iter().any(|n| std::ptr::eq(n, *m))
            })
        })
        .collect();
    if !supabase.is_empty() {
        super::platform::check(&client, db, &supabase)
            .await
            .map_err(fail)?;
    }
    let mut report = DbReport::new(db, Outcome::UpToDate);
    report.adopted = adopted_versions;
    if options.dry_run {
        report.outcome = Outcome::Planned;
        report.planned = plan
            .steps
            .iter()
            .map(|m| Planned {
                version: m.version.to_string(),
                name: m.name.clone(),
                file: m.path.clone(),
                sql: m.up.clone(),
            })
            .collect();
        return Ok(report);
    }
    if plan.steps.is_empty() {
        return Ok(report);
    }
    progress(Event::Planned {
        database: db.to_owned(),
        steps: plan.steps.len(),
    });
    let server_version = crate::connect::server_version(&client)
        .await
        .map_err(|e| fail(MigrateError::sql(db, "cannot read the server version", e)))?
        .num;
    let applied_by = history::whoami();
    let target = Target {
        db,
        search_path: placement.search_path.as_deref(),
        lock_timeout: options.lock_timeout,
        server_version,
        applied_by: &applied_by,
        verify: options.verify,
        peer: &peer,
    };
    let on_applied = |a: &Applied| {
        progress(Event::Applied {
            database: db.to_owned(),
            applied: a.clone(),
        });
    };
    report.applied = apply::apply(&client, &target, &plan, &on_applied).await?;
    report.outcome = Outcome::Migrated;
    Ok(report)
}

/// Writes adopted rows under the database's lock; rows another runner
/// wrote meanwhile are left as they are.
async fn record_adopted(
    client: &tokio_postgres::Client,
    db: &str,
    rows: &[history::Row],
) -> Result<(), MigrateError> {
    let mut sql = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({});\n",
        history::lock_key(db)
    );
    for row in rows {
        let insert = history::NewRow {
            db,
            version: &row.version,
            name: &row.name,
            kind: row.kind,
            checksum: &row.checksum,
            applied_by: &row.applied_by,
            down_script: row.down_script.as_deref(),
            state: row.state,
            applied_at: Some(row.applied_at),
        }
        .insert_if_absent_sql();
        sql.push_str(&insert);
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT");
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| MigrateError::sql(db, "cannot record adopted migrations", e))
}

/// Runs a database's `runner` through `sh -c` in its `cwd`, with the same
/// environment `exec` gives ([`wiring::run_shell`]).
async fn run_runner(fleet: &Fleet, placement: &Placement, command: &str) -> Result<(), Failure> {
    let fail = |e: MigrateError| (Vec::new(), e);
    let db = &fleet.manifest.databases[&placement.database];
    let vars = wiring::service_env(fleet, placement).map_err(|e| fail(e.into()))?;
    wiring::run_shell(&db.cwd, vars, command)
        .await
        .map_err(|outcome| {
            fail(MigrateError::Runner {
                db: placement.database.clone(),
                command: command.to_owned(),
                outcome,
            })
        })
}
