//! The one PostgreSQL cluster the tests share, started by pgfleet's own
//! embedded-server code, and the per-test databases on it.
//!
//! The cluster lives in a fixed folder under the temp dir, keyed by this
//! checkout, and is itself a pgfleet workspace: the server code's file lock
//! lets several test processes start it at once, a later run reuses it, and
//! `pgfleet -C <folder> server stop` stops it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pgfleet::connect::ConnInfo;
use pgfleet::server::EmbeddedServer;
use sha2::{Digest, Sha256};

pub struct Cluster {
    /// The workspace folder holding the cluster's `pgfleet.toml`.
    pub root: PathBuf,
    pub port: u16,
    /// `postgresql://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The shared cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let key = hex::encode(&Sha256::digest(env!("CARGO_MANIFEST_DIR").as_bytes())[..6]);
        let root = std::env::temp_dir().join(format!("pgfleet-it-cluster-{key}"));
        std::fs::create_dir_all(&root).expect("cluster folder");
        std::fs::write(root.join("pgfleet.toml"), "[servers.it]\nembedded = true\n")
            .expect("cluster manifest");
        let server = EmbeddedServer::new("it", root.join(".pgfleet/it"), None);
        let port = match block_on(server.start()).expect("the test cluster starts") {
            pgfleet::server::StartOutcome::AlreadyRunning { port }
            | pgfleet::server::StartOutcome::Started { port, .. } => port,
        };
        let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
        Cluster { root, port, url }
    })
}

/// Drops the databases an earlier run of one test kept after a failure: only that
/// test's (its prefix is its own), never those of tests running beside it in other
/// processes (nextest, a second `cargo test`), which share the cluster.
fn sweep(url: &str, prefix: &str) {
    let owned = format!("{prefix}_");
    for row in query(
        url,
        &format!("SELECT datname FROM pg_database WHERE starts_with(datname, '{owned}')"),
    ) {
        let name = row[0].clone().unwrap_or_default();
        query(
            url,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
    }
}

/// The databases one test makes: every name starts with the test's prefix,
/// and they are dropped when the test passes (kept for a look when it fails).
pub struct TestDbs {
    pub prefix: String,
}

impl TestDbs {
    pub fn new(test: &str) -> TestDbs {
        let short: String = test
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect();
        let hash = hex::encode(&Sha256::digest(test.as_bytes())[..3]);
        let prefix = format!("it_{short}_{hash}");
        sweep(&cluster().url, &prefix);
        TestDbs { prefix }
    }

    /// The physical database name for `suffix`.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.prefix)
    }

    /// A URL to the physical database `physical` on the shared cluster.
    pub fn url(&self, physical: &str) -> String {
        assert!(
            physical.starts_with(&self.prefix),
            "`{physical}` is not one of this test's databases"
        );
        format!(
            "postgresql://postgres@127.0.0.1:{}/{physical}",
            cluster().port
        )
    }

    /// A `[servers.pg]` pointing at the shared cluster and an env `test`
    /// placing each logical database in `<prefix>_<name>`.
    pub fn manifest_head(&self) -> String {
        format!(
            "[servers.pg]\nurl = \"{}\"\n\n[envs.test]\nserver = \"pg\"\ndatabase = \"{}_{{name}}\"\n\n",
            cluster().url,
            self.prefix
        )
    }

    /// The physical databases of this test that exist now.
    pub fn existing(&self) -> Vec<String> {
        query(
            &cluster().url,
            &format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{}\\_%' ORDER BY 1",
                self.prefix
            ),
        )
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
    }
}

impl Drop for TestDbs {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        for name in self.existing() {
            query(
                &cluster().url,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            );
        }
    }
}

/// Runs `sql` through the simple-query protocol; every value as text.
pub fn query(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    block_on(async {
        let client = ConnInfo::parse(url)
            .expect("a test URL")
            .connect()
            .await
            .expect("connect");
        let messages = client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}

/// The first column of the first row.
pub fn query_one(url: &str, sql: &str) -> Option<String> {
    query(url, sql)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// Stops the embedded server whose folder is `root` (`.pgfleet/<name>`).
pub fn stop_server(root: &Path) {
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = block_on(EmbeddedServer::new(&name, root.to_path_buf(), None).stop());
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}
