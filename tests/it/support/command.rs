//! `Pgfleet::new().args(..).expect_code(2)`: run the built binary and check
//! what it printed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Variables that would leak the developer's setup into a test.
pub const SCRUBBED: &[&str] = &[
    "PGFLEET_ENV",
    "PGFLEET_PG_BIN",
    "PGFLEET_SERVER_USER",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
    "PGPASSFILE",
    "DATABASE_URL",
];

pub struct Pgfleet {
    command: Command,
}

#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Pgfleet {
    pub fn new() -> Pgfleet {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pgfleet"));
        for var in SCRUBBED {
            command.env_remove(var);
        }
        command.env("NO_COLOR", "1");
        Pgfleet { command }
    }

    /// Runs in `dir` (the manifest is found from there).
    pub fn current_dir(mut self, dir: &Path) -> Pgfleet {
        self.command.current_dir(dir);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Pgfleet
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Pgfleet {
        self.command.env(key, value);
        self
    }

    pub fn run(mut self) -> Outcome {
        let start = Instant::now();
        let output = self.command.output().expect("the pgfleet binary runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    /// Runs and checks the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Outcome {
        let outcome = self.run();
        assert_eq!(
            outcome.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            outcome.stdout, outcome.stderr
        );
        outcome
    }

    #[track_caller]
    pub fn success(self) -> Outcome {
        self.expect_code(0)
    }
}

impl Outcome {
    #[track_caller]
    pub fn stderr_contains(&self, needle: &str) -> &Outcome {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_contains(&self, needle: &str) -> &Outcome {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}",
            self.stdout
        );
        self
    }

    /// Neither stream mentions `secret`.
    #[track_caller]
    pub fn never_shows(&self, secret: &str) -> &Outcome {
        assert!(
            !self.stdout.contains(secret),
            "stdout shows {secret:?}:\n{}",
            self.stdout
        );
        assert!(
            !self.stderr.contains(secret),
            "stderr shows {secret:?}:\n{}",
            self.stderr
        );
        self
    }
}
