//! Peer tools some tests run for real (drizzle-kit, graphile-migrate, dbmate and
//! node-pg-migrate from npm, sqitch from Debian, diesel_cli and sqlx-cli from crates.io).
//! Absent locally: the test prints why and passes. Absent under CI (`CI` set): the
//! test fails, so CI can never skip them silently (`.ci/run` installs them).

use std::path::PathBuf;

/// Where `.ci/run` installs drizzle-kit, drizzle-orm and pg (a folder holding
/// `node_modules`), from `PGFLEET_TEST_DRIZZLE_DIR`.
pub fn drizzle_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PGFLEET_TEST_DRIZZLE_DIR").map(PathBuf::from);
    let found = dir.filter(|d| {
        d.join("node_modules/drizzle-kit/bin.cjs").is_file()
            && d.join("node_modules/drizzle-orm").is_dir()
            && which::which("node").is_ok()
    });
    absent(
        test,
        found,
        "drizzle-kit (set PGFLEET_TEST_DRIZZLE_DIR to a folder whose node_modules holds drizzle-kit, drizzle-orm and pg; .ci/run does)",
    )
}

/// Where `.ci/run` installs graphile-migrate (a folder holding `node_modules`), from
/// `PGFLEET_TEST_GRAPHILE_DIR`: the path of its command.
pub fn graphile_migrate(test: &str) -> Option<PathBuf> {
    npm_bin(
        "PGFLEET_TEST_GRAPHILE_DIR",
        "graphile-migrate",
        "graphile-migrate",
        test,
    )
}

/// The `sqitch` command with its PostgreSQL driver (`apt-get install sqitch libdbd-pg-perl`).
pub fn sqitch(test: &str) -> Option<PathBuf> {
    let found = which::which("sqitch").ok().filter(|_| {
        std::process::Command::new("perl")
            .args(["-MDBD::Pg", "-e", "1"])
            .status()
            .is_ok_and(|s| s.success())
    });
    absent(
        test,
        found,
        "sqitch with DBD::Pg (apt-get install sqitch libdbd-pg-perl)",
    )
}

/// diesel_cli built for PostgreSQL (`cargo install diesel_cli --no-default-features
/// --features postgres`, which needs libpq-dev): where `.ci/run` installs it, or on
/// `PATH`.
pub fn diesel(test: &str) -> Option<PathBuf> {
    absent(
        test,
        cargo_bin("diesel"),
        "diesel_cli (cargo install diesel_cli --no-default-features --features postgres; needs libpq-dev)",
    )
}

/// The command an npm package installs in `node_modules/.bin` of the folder that
/// `var` names (where `.ci/run` installs it), when node is there to run it.
fn npm_bin(var: &str, bin: &str, package: &str, test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(var).map(PathBuf::from);
    let found = dir
        .map(|d| d.join("node_modules/.bin").join(bin))
        .filter(|bin| bin.is_file() && which::which("node").is_ok());
    absent(
        test,
        found,
        &format!("{package} (set {var} to a folder whose node_modules holds it; .ci/run does)"),
    )
}

/// dbmate from npm (its package ships the binary), from `PGFLEET_TEST_DBMATE_DIR`.
pub fn dbmate(test: &str) -> Option<PathBuf> {
    npm_bin("PGFLEET_TEST_DBMATE_DIR", "dbmate", "dbmate", test)
}

/// node-pg-migrate with pg, from `PGFLEET_TEST_NODE_PG_MIGRATE_DIR`.
pub fn node_pg_migrate(test: &str) -> Option<PathBuf> {
    npm_bin(
        "PGFLEET_TEST_NODE_PG_MIGRATE_DIR",
        "node-pg-migrate",
        "node-pg-migrate and pg",
        test,
    )
}

/// A command `cargo install` put in `PGFLEET_TEST_CARGO_BIN` (`.ci/run`'s
/// `~/.cache/pgfleet-ci/cargo/bin`, also looked in when the variable is unset), or on
/// `PATH`.
fn cargo_bin(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PGFLEET_TEST_CARGO_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pgfleet-ci/cargo/bin"))
        })
        .map(|d| d.join(bin))
        .filter(|p| p.is_file())
        .or_else(|| which::which(bin).ok())
}

/// sqlx-cli built for PostgreSQL (`cargo install sqlx-cli --version 0.9.0
/// --no-default-features --features postgres,rustls`).
pub fn sqlx(test: &str) -> Option<PathBuf> {
    absent(
        test,
        cargo_bin("sqlx"),
        "sqlx-cli (cargo install sqlx-cli --version 0.9.0 --no-default-features --features postgres,rustls; .ci/run does)",
    )
}

fn absent(test: &str, found: Option<PathBuf>, what: &str) -> Option<PathBuf> {
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {what} is missing, and CI must not skip this test"
        );
        eprintln!("skipping {test}: {what} is missing");
    }
    found
}

/// A Python with psycopg 3 (`PGFLEET_TEST_PYTHON`; `.ci/run` makes a venv in
/// its cache folder and installs `psycopg[binary]` there).
pub fn psycopg_python(test: &str) -> Option<PathBuf> {
    let python = std::env::var_os("PGFLEET_TEST_PYTHON").map(PathBuf::from);
    let found = python.filter(|p| {
        std::process::Command::new(p)
            .args(["-c", "import psycopg"])
            .status()
            .is_ok_and(|s| s.success())
    });
    absent(
        test,
        found,
        "psycopg (set PGFLEET_TEST_PYTHON to a python that imports psycopg; .ci/run does)",
    )
}
