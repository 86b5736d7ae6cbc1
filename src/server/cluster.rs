//! One embedded PostgreSQL cluster under `<workspace>/.pgfleet/<name>/`: `initdb` on first
//! use, `pg_ctl start`/`stop`, status from `postmaster.pid`, and the remembered port.
//!
//! Layout of `root`:
//! - `data/`        the cluster (owned by the server user)
//! - `server.log`   the server's log (`pgfleet server logs`)
//! - `initdb.log`   output of the first `initdb`
//! - `pg_ctl.log`   output of the last `pg_ctl start`
//! - `port`         the port chosen on first start when the manifest sets none
//! - `version`      the full version of the binaries that last started it
//! - `.lock`        `flock`ed around init + start + stop, so concurrent pgfleet processes
//!   (parallel tests share one cluster) neither both `initdb` nor both start
//! - `.provision.lock` `flock`ed by `up` from creating databases until seeding them
//!
//! Nothing here is global: several servers in one workspace are just several roots.

use std::fs::{File, OpenOptions};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest as _, Sha256};
use tokio::process::Command;

use super::binaries::{Binaries, find_binaries};
use super::error::{ServerError, io_err};
use super::files::{PostmasterPid, is_our_postmaster, parse_postmaster_pid, tail_file};
use super::user::{ServerUser, check_reachable, chown_to, resolve_server_user, running_as_root};

/// The superuser `initdb -U` creates; fixed so connection settings never depend on who
/// ran `initdb`.
pub const SUPERUSER: &str = "postgres";

/// How long `pg_ctl` waits for the server to start or stop.
const PG_CTL_TIMEOUT_SECS: &str = "30";
/// Lines of log put into a start or initdb error.
const ERROR_TAIL_LINES: usize = 20;

/// What `start` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// It was already running; nothing was spawned.
    AlreadyRunning { port: u16 },
    /// It was started; `initialized` is true when this start also ran `initdb`.
    Started { port: u16, initialized: bool },
}

/// What `stop` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    Stopped,
    NotRunning,
}

/// Whether the server runs, from `postmaster.pid` alone (no process spawned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStatus {
    Running {
        pid: u32,
        port: u16,
        version: String,
        data_dir: PathBuf,
    },
    Stopped {
        /// True when `initdb` has run (the data folder holds a cluster).
        initialized: bool,
        /// The port it will use: configured, else remembered, else not chosen yet.
        port: Option<u16>,
    },
}

/// An embedded PostgreSQL server that pgfleet runs itself.
#[derive(Debug, Clone)]
pub struct EmbeddedServer {
    name: String,
    root: PathBuf,
    port: Option<u16>,
    /// Run-as user when pgfleet runs as root; `None` = `PGFLEET_SERVER_USER`, else `postgres`.
    user: Option<String>,
}

impl EmbeddedServer {
    /// `root` is the server's own folder, e.g. `<workspace>/.pgfleet/<name>`; `port` comes
    /// from the manifest (`None`: pick a free one on first start and remember it).
    pub fn new(name: &str, root: PathBuf, port: Option<u16>) -> EmbeddedServer {
        // Absolute, because the children run with `root` as their working folder.
        let root = std::path::absolute(&root).unwrap_or(root);
        EmbeddedServer {
            name: name.to_string(),
            root,
            port,
            user: None,
        }
    }

    /// Runs the server as `user` when pgfleet runs as root (instead of
    /// `PGFLEET_SERVER_USER` or `postgres`). Ignored when not root.
    #[must_use]
    pub fn with_user(mut self, user: &str) -> EmbeddedServer {
        self.user = Some(user.to_string());
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn log_file(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// The file the chosen port is remembered in.
    pub fn port_file(&self) -> PathBuf {
        self.root.join("port")
    }

    fn initdb_log(&self) -> PathBuf {
        self.root.join("initdb.log")
    }

    fn pg_ctl_log(&self) -> PathBuf {
        self.root.join("pg_ctl.log")
    }

    fn version_file(&self) -> PathBuf {
        self.root.join("version")
    }

    fn lock_file(&self) -> PathBuf {
        self.root.join(".lock")
    }

    fn pid_file(&self) -> PathBuf {
        self.data_dir().join("postmaster.pid")
    }

    /// `/tmp/pgfleet-<first 12 hex of sha256(canonical root)>`.
    ///
    /// A Unix socket path must fit in about 107 bytes (`sun_path`), so it cannot live
    /// under a deep workspace; `/tmp` (not `$TMPDIR`, which is long on macOS) keeps it at
    /// 40 bytes with the socket name. Hashing the canonical root makes it stable whether
    /// or not the root exists yet and however it was spelled.
    pub fn socket_dir(&self) -> PathBuf {
        let digest = Sha256::digest(self.canonical_root().as_os_str().as_bytes());
        let hex = hex::encode(digest);
        PathBuf::from(format!("/tmp/pgfleet-{}", &hex[..12]))
    }

    /// The root with symlinks resolved as far as it exists; the missing tail is appended
    /// as spelled.
    fn canonical_root(&self) -> PathBuf {
        let mut existing = self.root.clone();
        let mut missing = Vec::new();
        loop {
            if let Ok(mut canonical) = existing.canonicalize() {
                for part in missing.iter().rev() {
                    canonical.push(part);
                }
                return canonical;
            }
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    missing.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => return self.root.clone(),
            }
        }
    }

    /// The configured port, else the remembered one, else `None` (not chosen yet).
    pub fn port(&self) -> Result<Option<u16>, ServerError> {
        match self.port {
            Some(port) => Ok(Some(port)),
            None => self.remembered_port(),
        }
    }

    fn remembered_port(&self) -> Result<Option<u16>, ServerError> {
        let path = self.port_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path)(e)),
        };
        match text.trim().parse::<u16>() {
            Ok(port) if port != 0 => Ok(Some(port)),
            _ => Err(ServerError::InvalidPortFile {
                path,
                content: text.trim().to_string(),
            }),
        }
    }

    fn remember_port(&self, port: u16) -> Result<(), ServerError> {
        let path = self.port_file();
        write_own(&path, &format!("{port}\n")).map_err(io_err(path))
    }

    /// The superuser name, always `postgres`.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// Whether the server runs, from `postmaster.pid` and `kill(pid, 0)`.
    pub fn status(&self) -> Result<ServerStatus, ServerError> {
        // A standalone backend (initdb at work) holds the folder but is no server.
        if let Some(pm) = self.settled_postmaster()?.filter(|pm| !pm.standalone) {
            let port = match pm.port {
                Some(p) => p,
                None => self.port()?.unwrap_or_default(),
            };
            return Ok(ServerStatus::Running {
                pid: pm.pid,
                port,
                version: self.running_version(),
                data_dir: self.data_dir(),
            });
        }
        Ok(ServerStatus::Stopped {
            initialized: self.is_initialized()?,
            port: self.port()?,
        })
    }

    /// The last `lines` lines of the server log (empty when it has never run).
    pub fn log_tail(&self, lines: usize) -> Result<String, ServerError> {
        let path = self.log_file();
        match tail_file(&path, lines) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(io_err(path)(e)),
        }
    }

    /// Starts the server, finding the binaries first.
    pub async fn start(&self) -> Result<StartOutcome, ServerError> {
        // A running server needs no binaries: answer before searching for them.
        if let Some(port) = self.ready_port().await? {
            return Ok(StartOutcome::AlreadyRunning { port });
        }
        let bins = tokio::task::spawn_blocking(find_binaries)
            .await
            .map_err(|e| io_err(&self.root)(std::io::Error::other(e)))??;
        self.start_with(&bins).await
    }

    /// Starts the server with these binaries: `initdb` on first use, then `pg_ctl start`.
    /// A running server is left alone (`AlreadyRunning`, nothing spawned).
    pub async fn start_with(&self, bins: &Binaries) -> Result<StartOutcome, ServerError> {
        if let Some(port) = self.ready_port().await? {
            return Ok(StartOutcome::AlreadyRunning { port });
        }
        check_shell_safe(&self.root)?;
        check_shell_safe(&bins.bindir)?;
        let user = resolve_server_user(self.user.as_deref())?;
        self.prepare_root(user.as_ref())?;

        let _lock = self.lock().await?;
        // Another process may have started it while we waited for the lock. Only a
        // pid file that stays unreadable as a live server is stale: removing a running
        // server's file (caught while PostgreSQL rewrites it) would leave a server no
        // later command can find.
        if let Some(pm) = self.settled_postmaster()? {
            return self.wait_until_ready(&pm).await;
        }
        self.remove_stale_pid_file()?;

        let (port, remembered_in) = if let Some(port) = self.port {
            (port, None)
        } else {
            let port = if let Some(port) = self.remembered_port()? {
                port
            } else {
                let port = free_port().map_err(io_err(&self.root))?;
                self.remember_port(port)?;
                tracing::debug!(server = %self.name, port, "chose a free port");
                port
            };
            (port, Some(self.port_file()))
        };
        if !port_is_free(port) {
            return Err(ServerError::PortInUse {
                port,
                remembered_in,
            });
        }

        let initialized = if self.is_initialized()? {
            self.check_data_version(bins)?;
            false
        } else {
            self.initdb(bins, user.as_ref()).await?;
            true
        };
        let version_file = self.version_file();
        write_own(&version_file, &format!("{}\n", bins.version)).map_err(io_err(version_file))?;
        let socket_dir = self.prepare_socket_dir(user.as_ref())?;
        if let Some(user) = &user {
            // pg_ctl opens the log as the server user; an earlier root-owned one would fail.
            let log = self.log_file();
            if log.exists() {
                chown_to(&log, user)?;
            }
        }
        self.pg_ctl_start(bins, user.as_ref(), port, &socket_dir)
            .await?;
        Ok(StartOutcome::Started { port, initialized })
    }

    /// Stops the server (`pg_ctl stop -m fast -w`); a stopped server is `NotRunning`.
    pub async fn stop(&self) -> Result<StopOutcome, ServerError> {
        if self.live_postmaster()?.is_none() {
            return Ok(StopOutcome::NotRunning);
        }
        let bins = tokio::task::spawn_blocking(find_binaries)
            .await
            .map_err(|e| io_err(&self.root)(std::io::Error::other(e)))??;
        let _lock = self.lock().await?;
        if self.live_postmaster()?.is_none() {
            return Ok(StopOutcome::NotRunning);
        }
        // As root, stop as whoever owns the data folder: pg_ctl refuses root, and the
        // owner is who started it even if PGFLEET_SERVER_USER changed since.
        let user = if running_as_root() {
            let data = self.data_dir();
            let meta = std::fs::metadata(&data).map_err(io_err(data))?;
            Some(ServerUser::from_uid(meta.uid())?)
        } else {
            None
        };
        let mut cmd = self.command(&bins.bin("pg_ctl"), user.as_ref());
        cmd.arg("stop")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "-t", PG_CTL_TIMEOUT_SECS])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = cmd.output().await.map_err(|source| ServerError::Spawn {
            command: "pg_ctl stop".into(),
            source,
        })?;
        if self.live_postmaster()?.is_some() {
            return Err(ServerError::StopFailed {
                data_dir: self.data_dir(),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )
                .trim_end()
                .to_string(),
            });
        }
        // The server removed its socket; drop the then-empty folder so /tmp stays tidy.
        let _ = std::fs::remove_dir(self.socket_dir());
        Ok(StopOutcome::Stopped)
    }

    /// [`Self::live_postmaster`], looking again for up to a second while
    /// `postmaster.pid` exists but holds no pid yet: PostgreSQL creates the file and
    /// then writes it in one go, so a read can fall between the two. A file that names
    /// a pid is settled: alive and ours, or stale (no waiting for a crashed server's).
    fn settled_postmaster(&self) -> Result<Option<PostmasterPid>, ServerError> {
        for _ in 0..20 {
            match self.pid_file_text()? {
                None => return Ok(None),
                Some(text) => {
                    if let Some(pm) = parse_postmaster_pid(&text) {
                        return Ok(
                            Some(pm).filter(|pm| is_our_postmaster(pm.pid, &self.data_dir()))
                        );
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.live_postmaster()
    }

    /// The text of `postmaster.pid`; `None` when there is none.
    fn pid_file_text(&self) -> Result<Option<String>, ServerError> {
        let path = self.pid_file();
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(path)(e)),
        }
    }

    /// `postmaster.pid` when its pid is alive and is this cluster's postmaster.
    fn live_postmaster(&self) -> Result<Option<PostmasterPid>, ServerError> {
        let Some(text) = self.pid_file_text()? else {
            return Ok(None);
        };
        Ok(parse_postmaster_pid(&text).filter(|pm| is_our_postmaster(pm.pid, &self.data_dir())))
    }

    /// The port when the server runs and accepts TCP connections; the fast path of
    /// `start` (no lock, no spawn).
    async fn ready_port(&self) -> Result<Option<u16>, ServerError> {
        let Some(pm) = self.live_postmaster()?.filter(PostmasterPid::serves) else {
            return Ok(None);
        };
        let Some(port) = pm.port else { return Ok(None) };
        Ok(tcp_accepts(port, Duration::from_secs(1))
            .await
            .then_some(port))
    }

    /// A live postmaster found under the lock may still be starting (or recovering
    /// after a crash): wait for it rather than starting a second one.
    async fn wait_until_ready(&self, pm: &PostmasterPid) -> Result<StartOutcome, ServerError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let current = self.live_postmaster()?;
            let serving = current.as_ref().filter(|p| p.serves());
            if let Some(port) = serving.and_then(|p| p.port.or(pm.port))
                && tcp_accepts(port, Duration::from_millis(500)).await
            {
                return Ok(StartOutcome::AlreadyRunning { port });
            }
            if current.is_none() || Instant::now() > deadline {
                return Err(ServerError::StartFailed {
                    log_file: self.log_file(),
                    log_tail: self.log_tail(ERROR_TAIL_LINES)?,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// True when the server log, from byte `from` on, contains `needle`.
    fn log_mentions_since(&self, from: u64, needle: &str) -> bool {
        let Ok(bytes) = std::fs::read(self.log_file()) else {
            return false;
        };
        let from = usize::try_from(from).unwrap_or(0).min(bytes.len());
        String::from_utf8_lossy(&bytes[from..]).contains(needle)
    }

    /// Removes a `postmaster.pid` whose process is gone (crash, `kill -9`, reboot).
    fn remove_stale_pid_file(&self) -> Result<(), ServerError> {
        let path = self.pid_file();
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), "removed stale postmaster.pid");
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(path)(e)),
        }
    }

    fn is_initialized(&self) -> Result<bool, ServerError> {
        let marker = self.data_dir().join("PG_VERSION");
        marker.try_exists().map_err(io_err(marker))
    }

    /// The version of the running server: the full one we recorded, else the major from
    /// `PG_VERSION`.
    fn running_version(&self) -> String {
        std::fs::read_to_string(self.version_file())
            .or_else(|_| std::fs::read_to_string(self.data_dir().join("PG_VERSION")))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    /// Refuses binaries of another major than the cluster's, with a clearer message than
    /// the server's "database files are incompatible with server".
    fn check_data_version(&self, bins: &Binaries) -> Result<(), ServerError> {
        let path = self.data_dir().join("PG_VERSION");
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let data_major = text.trim().to_string();
        let leading: String = data_major
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if leading.parse::<u32>().ok() == Some(bins.major) {
            return Ok(());
        }
        Err(ServerError::VersionMismatch {
            data_dir: self.data_dir(),
            data_major,
            bindir: bins.bindir.clone(),
            bin_major: bins.major,
        })
    }

    /// Creates `root` and, as root, hands it to the server user after checking that the
    /// user can reach it.
    fn prepare_root(&self, user: Option<&ServerUser>) -> Result<(), ServerError> {
        // 0750: other local users have no business in the server's files.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&self.root)
            .map_err(io_err(&self.root))?;
        if let Some(user) = user {
            // `.pgfleet/` is 0750: the server user reaches root through its
            // group, which it gets when pgfleet (as root) made the folder.
            if let Some(parent) = self.root.parent() {
                let meta = std::fs::metadata(parent).map_err(io_err(parent))?;
                let ours = meta.uid() == nix::unistd::geteuid().as_raw();
                if ours && parent.ends_with(".pgfleet") && meta.mode() & 0o001 == 0 {
                    if meta.gid() != user.gid {
                        std::os::unix::fs::chown(parent, None, Some(user.gid))
                            .map_err(io_err(parent))?;
                    }
                    // A `.pgfleet/` that `backup` made 0700 gets the group's x.
                    if meta.mode() & 0o010 == 0 {
                        use std::os::unix::fs::PermissionsExt as _;
                        let mode = (meta.mode() & 0o777) | 0o050;
                        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode))
                            .map_err(io_err(parent))?;
                    }
                }
            }
            // initdb (as the user) creates data/ in root, so root must be the user's.
            chown_to(&self.root, user)?;
            check_reachable(&self.root, user)?;
        }
        Ok(())
    }

    /// Takes the exclusive lock on `root/.lock`, held around init, start and stop.
    async fn lock(&self) -> Result<Flock<File>, ServerError> {
        lock_exclusive(self.lock_file()).await
    }

    /// Takes the exclusive lock on `root/.provision.lock`, which `up` holds from creating
    /// the databases on this server until it has seeded them: a second `up` started at
    /// the same moment (monorepo task runners start several) waits, then finds the fleet
    /// created and migrated, and seeds nothing twice. The lock goes with the value.
    pub async fn lock_provisioning(&self) -> Result<Flock<File>, ServerError> {
        std::fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        lock_exclusive(self.root.join(".provision.lock")).await
    }

    /// A command for a PostgreSQL binary, run as `user` when given, in `root` (the child
    /// must be able to `getcwd`: pg_ctl fails when started in root's home), with no
    /// terminal input.
    fn command(&self, program: &Path, user: Option<&ServerUser>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .stdin(Stdio::null())
            .env_remove("PGDATA");
        if let Some(user) = user {
            cmd.uid(user.uid)
                .gid(user.gid)
                .env("HOME", user.home())
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
        }
        cmd
    }

    /// Runs `initdb` with the C.UTF-8 locale, falling back to `--no-locale` where that
    /// locale is missing (older macOS, minimal images). Output goes to `initdb.log`.
    async fn initdb(&self, bins: &Binaries, user: Option<&ServerUser>) -> Result<(), ServerError> {
        let data = self.data_dir();
        // A data folder without PG_VERSION is what an interrupted initdb leaves; we hold
        // the lock, so nobody else is initialising it.
        if data.exists() {
            std::fs::remove_dir_all(&data).map_err(io_err(&data))?;
        }
        let log_path = self.initdb_log();
        let log = create_own(&log_path).map_err(io_err(&log_path))?;
        let started = Instant::now();
        for locale in ["--locale=C.UTF-8", "--no-locale"] {
            let out = log.try_clone().map_err(io_err(&log_path))?;
            let err = log.try_clone().map_err(io_err(&log_path))?;
            let mut cmd = self.command(&bins.bin("initdb"), user);
            cmd.arg("-D")
                .arg(&data)
                .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", locale])
                .stdout(out)
                .stderr(err);
            let status = cmd.status().await.map_err(|source| ServerError::Spawn {
                command: "initdb".into(),
                source,
            })?;
            if status.success() {
                tracing::debug!(data = %data.display(), elapsed = ?started.elapsed(), locale, "initdb done");
                return Ok(());
            }
            tracing::debug!(locale, %status, "initdb failed");
            // initdb removes the folder it made on failure; make sure before retrying.
            if data.exists() {
                std::fs::remove_dir_all(&data).map_err(io_err(&data))?;
            }
        }
        Err(ServerError::InitdbFailed {
            data_dir: data,
            output: tail_file(&log_path, ERROR_TAIL_LINES).unwrap_or_default(),
            log_file: log_path,
        })
    }

    /// Creates the short socket folder, mode 0700 and owned by the server user.
    ///
    /// 0700 rather than `unix_socket_permissions=0777`: with trust auth a socket anyone
    /// can reach is a superuser login for every local user; pgfleet itself (also as root)
    /// connects over TCP 127.0.0.1 or as the owner, so it needs nothing wider.
    fn prepare_socket_dir(&self, user: Option<&ServerUser>) -> Result<PathBuf, ServerError> {
        let dir = self.socket_dir();
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(dir)(e)),
        }
        let meta = std::fs::symlink_metadata(&dir).map_err(io_err(&dir))?;
        // /tmp is shared: a symlink or someone else's folder here could be a trap.
        if !meta.is_dir() {
            return Err(ServerError::ForeignSocketDir { dir });
        }
        match user {
            Some(user) => chown_to(&dir, user)?,
            None if meta.uid() != nix::unistd::geteuid().as_raw() => {
                return Err(ServerError::ForeignSocketDir { dir });
            }
            None => {}
        }
        Ok(dir)
    }

    /// `pg_ctl start -w`, daemonising the server so it outlives pgfleet.
    ///
    /// Settings go on the command line (`-o`) rather than into `postgresql.auto.conf`:
    /// the port file and manifest stay the only source of the port (a manifest change
    /// applies on the next start), and every value here is free of spaces and quotes by
    /// construction (a number, `/tmp/pgfleet-<hex>`, an address), so pg_ctl pasting `-o`
    /// into its `/bin/sh -c` line is safe. pg_ctl's own output goes to `pg_ctl.log`, not a
    /// pipe: a pipe inherited by anything long-lived would hang a caller reading it.
    async fn pg_ctl_start(
        &self,
        bins: &Binaries,
        user: Option<&ServerUser>,
        port: u16,
        socket_dir: &Path,
    ) -> Result<(), ServerError> {
        let ctl_log_path = self.pg_ctl_log();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            socket_dir.display()
        );
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let log_len = std::fs::metadata(self.log_file()).map_or(0, |m| m.len());
            let ctl_log = create_own(&ctl_log_path).map_err(io_err(&ctl_log_path))?;
            let ctl_err = ctl_log.try_clone().map_err(io_err(&ctl_log_path))?;
            let mut cmd = self.command(&bins.bin("pg_ctl"), user);
            cmd.arg("start")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.log_file())
                .args(["-w", "-t", PG_CTL_TIMEOUT_SECS, "-o", &options])
                .stdout(ctl_log)
                .stderr(ctl_err);
            let status = cmd.status().await.map_err(|source| ServerError::Spawn {
                command: "pg_ctl start".into(),
                source,
            })?;
            tracing::debug!(server = %self.name, port, attempt, elapsed = ?started.elapsed(), %status, "pg_ctl start");
            if status.success() {
                return Ok(());
            }
            // After `kill -9` of the postmaster its children may hold the old shared
            // memory for a moment, and the new postmaster refuses to start until they
            // notice and exit; give them a few seconds.
            if attempt < 10 && self.log_mentions_since(log_len, "pre-existing shared memory block")
            {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            break;
        }
        let mut log_tail = self.log_tail(ERROR_TAIL_LINES)?;
        if let Ok(ctl) = tail_file(&ctl_log_path, 5) {
            log_tail.push_str(&ctl);
        }
        Err(ServerError::StartFailed {
            log_file: self.log_file(),
            log_tail: log_tail.trim_end().to_string(),
        })
    }
}

/// pg_ctl puts the data folder, log file and binary path inside double quotes in a
/// `/bin/sh -c` line; these characters would be interpreted there.
fn check_shell_safe(path: &Path) -> Result<(), ServerError> {
    let text = path.to_string_lossy();
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '"' | '$' | '`' | '\\' | '\n'))
    {
        return Err(ServerError::UnsupportedPath {
            path: path.to_path_buf(),
            reason: format!("pg_ctl cannot handle {c:?} in a path"),
        });
    }
    Ok(())
}

/// A port free on 127.0.0.1 right now, chosen by the kernel.
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// False only when something already listens on 127.0.0.1:`port`; other bind errors
/// (e.g. a privileged port) are left for the server to report.
fn port_is_free(port: u16) -> bool {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::AddrInUse,
    }
}

/// True when a TCP connection to 127.0.0.1:`port` succeeds within `timeout`.
async fn tcp_accepts(port: u16, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(("127.0.0.1", port))).await,
        Ok(Ok(_))
    )
}

/// Takes the exclusive `flock` on `path` (created if missing), blocking on a worker thread.
///
/// `flock` locks belong to the open file description, so two tasks in one process
/// exclude each other too. Rust opens files close-on-exec, so the daemonised server
/// does not inherit (and keep holding) the lock.
async fn lock_exclusive(path: PathBuf) -> Result<Flock<File>, ServerError> {
    let p = path.clone();
    let res = tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .mode(0o640)
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| std::io::Error::from(errno))
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r);
    res.map_err(io_err(path))
}

/// One of pgfleet's own files beside the cluster: new ones `0640` (the server
/// writes its `server.log` `0600` itself), truncated when it exists.
fn create_own(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o640)
        .open(path)
}

fn write_own(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    create_own(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_dir_is_short_and_stable() {
        let tmp = tempfile::tempdir().unwrap();
        let deep: PathBuf = std::iter::repeat_n("a-rather-long-folder-name", 12)
            .fold(tmp.path().to_path_buf(), |p, part| p.join(part))
            .join(".pgfleet/main");
        let server = EmbeddedServer::new("main", deep.clone(), None);
        let before = server.socket_dir();
        // `/tmp/pgfleet-` + 12 hex; the socket file `.s.PGSQL.65535` adds 15.
        assert_eq!(before.as_os_str().len(), "/tmp/pgfleet-".len() + 12);
        assert!(before.join(".s.PGSQL.65535").as_os_str().len() < 100);

        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(server.socket_dir(), before, "stable once the root exists");
        // Another spelling of the same folder gives the same socket folder.
        let dotted = tmp
            .path()
            .join("a-rather-long-folder-name/..")
            .join(deep.strip_prefix(tmp.path()).unwrap());
        assert_eq!(
            EmbeddedServer::new("main", dotted, None).socket_dir(),
            before
        );
        // Another root gives another one.
        let other = EmbeddedServer::new("other", deep.with_file_name("other"), None);
        assert_ne!(other.socket_dir(), before);
    }

    #[test]
    fn port_round_trips_through_the_port_file() {
        let tmp = tempfile::tempdir().unwrap();
        let server = EmbeddedServer::new("main", tmp.path().to_path_buf(), None);
        assert_eq!(server.port().unwrap(), None);
        server.remember_port(54_321).unwrap();
        assert_eq!(server.port().unwrap(), Some(54_321));
        assert_eq!(
            std::fs::read_to_string(server.port_file()).unwrap(),
            "54321\n"
        );
        // A configured port wins over the remembered one.
        let configured = EmbeddedServer::new("main", tmp.path().to_path_buf(), Some(6000));
        assert_eq!(configured.port().unwrap(), Some(6000));

        std::fs::write(server.port_file(), "nope\n").unwrap();
        let err = server.port().unwrap_err();
        assert!(matches!(err, ServerError::InvalidPortFile { .. }), "{err}");
        assert!(err.hint().unwrap().contains("delete"));
    }

    #[test]
    fn port_in_use_names_the_file_or_the_manifest() {
        let remembered = ServerError::PortInUse {
            port: 5999,
            remembered_in: Some(PathBuf::from("/w/.pgfleet/main/port")),
        };
        assert_eq!(
            remembered.to_string(),
            "port 5999 is already in use (remembered in `/w/.pgfleet/main/port`)"
        );
        assert!(
            remembered
                .hint()
                .unwrap()
                .contains("delete `/w/.pgfleet/main/port`")
        );
        let configured = ServerError::PortInUse {
            port: 5999,
            remembered_in: None,
        };
        assert_eq!(configured.to_string(), "port 5999 is already in use");
        assert!(configured.hint().unwrap().contains("`port`"));
    }

    #[test]
    fn port_check_sees_a_listener() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(!port_is_free(port));
        drop(listener);
        assert!(port_is_free(port));
    }

    #[test]
    fn shell_unsafe_paths_are_refused() {
        check_shell_safe(Path::new("/work/my project/.pgfleet/main")).unwrap();
        let err = check_shell_safe(Path::new("/work/$HOME/x")).unwrap_err();
        assert!(matches!(err, ServerError::UnsupportedPath { .. }));
    }

    #[test]
    fn status_of_a_fresh_root_is_stopped_and_uninitialized() {
        let tmp = tempfile::tempdir().unwrap();
        let server = EmbeddedServer::new("main", tmp.path().join("main"), Some(6001));
        assert_eq!(
            server.status().unwrap(),
            ServerStatus::Stopped {
                initialized: false,
                port: Some(6001)
            }
        );
        assert_eq!(server.log_tail(10).unwrap(), "");
        assert_eq!(server.superuser(), "postgres");
        assert_eq!(server.data_dir(), tmp.path().join("main/data"));
    }

    #[test]
    fn stale_pid_file_is_not_running() {
        let tmp = tempfile::tempdir().unwrap();
        let server = EmbeddedServer::new("main", tmp.path().to_path_buf(), None);
        std::fs::create_dir_all(server.data_dir()).unwrap();
        std::fs::write(server.data_dir().join("PG_VERSION"), "15\n").unwrap();
        // Our own pid is alive but is not a postmaster of this folder.
        std::fs::write(
            server.pid_file(),
            format!(
                "{}\n{}\n0\n5432\n",
                std::process::id(),
                server.data_dir().display()
            ),
        )
        .unwrap();
        assert_eq!(
            server.status().unwrap(),
            ServerStatus::Stopped {
                initialized: true,
                port: None
            }
        );
        server.remove_stale_pid_file().unwrap();
        assert!(!server.pid_file().exists());
    }

    /// While `initdb` runs, its standalone backends write `postmaster.pid` with the pid
    /// negated and the default port 5432, which may be another server that accepts
    /// connections: that is not our server running (six concurrent `up`s on a fresh
    /// workspace once took it for one and then found no server).
    #[tokio::test]
    async fn a_standalone_backend_in_the_folder_is_not_a_running_server() {
        let tmp = tempfile::tempdir().unwrap();
        let server = EmbeddedServer::new("main", tmp.path().to_path_buf(), None);
        std::fs::create_dir_all(server.data_dir()).unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // A live process whose working folder is the data folder, as a backend's is.
        let mut backend = std::process::Command::new("sleep")
            .arg("30")
            .current_dir(server.data_dir())
            .spawn()
            .unwrap();
        let pid_file = |pid: String, status: &str| {
            let text = format!(
                "{pid}\n{}\n0\n{port}\n\n\n\n{status}\n",
                server.data_dir().display()
            );
            std::fs::write(server.pid_file(), text).unwrap();
        };
        pid_file(format!("-{}", backend.id()), "");
        assert!(matches!(
            server.status().unwrap(),
            ServerStatus::Stopped { .. }
        ));
        assert_eq!(server.ready_port().await.unwrap(), None);
        // The same process as a postmaster still starting: running, not yet ready.
        pid_file(backend.id().to_string(), "starting");
        assert!(matches!(
            server.status().unwrap(),
            ServerStatus::Running { .. }
        ));
        assert_eq!(server.ready_port().await.unwrap(), None);
        pid_file(backend.id().to_string(), "ready   ");
        assert_eq!(server.ready_port().await.unwrap(), Some(port));
        backend.kill().unwrap();
        backend.wait().unwrap();
        drop(listener);
    }

    #[test]
    fn data_of_another_major_is_refused_with_a_hint() {
        let tmp = tempfile::tempdir().unwrap();
        let server = EmbeddedServer::new("main", tmp.path().to_path_buf(), None);
        std::fs::create_dir_all(server.data_dir()).unwrap();
        std::fs::write(server.data_dir().join("PG_VERSION"), "14\n").unwrap();
        let bins = Binaries {
            bindir: PathBuf::from("/usr/lib/postgresql/15/bin"),
            version: "15.20".into(),
            major: 15,
        };
        let err = server.check_data_version(&bins).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "data folder `{}` belongs to PostgreSQL 14, but the binaries in `/usr/lib/postgresql/15/bin` are PostgreSQL 15",
                server.data_dir().display()
            )
        );
        assert!(
            err.hint()
                .unwrap()
                .starts_with("set PGFLEET_PG_BIN to PostgreSQL 14 binaries")
        );
        std::fs::write(server.data_dir().join("PG_VERSION"), "15\n").unwrap();
        server.check_data_version(&bins).unwrap();
    }
}
