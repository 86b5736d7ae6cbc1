//! Short and long versions of the reliability tests are the same code: CI
//! runs a few trials, `PGFLEET_RELIABILITY_LONG=1` (scripts/reliability.sh)
//! runs many. Each reliability test prints one `reliability:` line with its
//! figures, which the script gathers into a table.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whether the long versions were asked for.
pub fn long_run() -> bool {
    std::env::var("PGFLEET_RELIABILITY_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `short` trials in CI, `long` with `PGFLEET_RELIABILITY_LONG=1`.
pub fn trials(short: usize, long: usize) -> usize {
    if long_run() { long } else { short }
}

/// Figures of one reliability test, printed for scripts/reliability.sh.
#[derive(Debug, Default)]
pub struct Figures {
    pub trials: usize,
    pub failures: usize,
    pub inconsistencies: usize,
    pub notes: Vec<String>,
}

impl Figures {
    /// Prints the line, then fails the test if anything went wrong.
    #[track_caller]
    pub fn finish(&self, test: &str) {
        eprintln!(
            "reliability: test={test} trials={} failures={} inconsistencies={}",
            self.trials, self.failures, self.inconsistencies
        );
        assert!(
            self.failures == 0 && self.inconsistencies == 0,
            "{test}: {} failure(s), {} inconsistenc(ies):\n{}",
            self.failures,
            self.inconsistencies,
            self.notes.join("\n")
        );
    }
}

/// A small xorshift generator: reproducible from the seed it prints
/// (`PGFLEET_RELIABILITY_SEED` replays a run), no crate needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(test: &str) -> Rng {
        let seed = std::env::var("PGFLEET_RELIABILITY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()) << 20)
                    | 1
            });
        eprintln!("{test}: PGFLEET_RELIABILITY_SEED={seed}");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
