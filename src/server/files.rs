//! Small file helpers of the embedded server: reading `postmaster.pid`, deciding whether
//! the pid in it is really our postmaster, and reading the tail of a log.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// What `postmaster.pid` tells us. Its lines are: pid, data folder, start time, port,
/// socket folder, listen address, shared-memory key, status (`starting`, `ready`,
/// `stopping`) — see PostgreSQL's `pidfile.h`. The lines after the pid are filled in
/// while the server starts, so all but the pid are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostmasterPid {
    pub pid: u32,
    /// A standalone backend (`postgres --single` or `--boot`, as `initdb` runs them)
    /// holds the folder but serves no one; its port line is the default 5432, which
    /// may well be another server on this machine.
    pub standalone: bool,
    pub port: Option<u16>,
    pub status: Option<String>,
}

impl PostmasterPid {
    /// Whether this postmaster takes connections: not a standalone backend, and
    /// `ready` (or a standby) where the file says. Older servers write no status line.
    pub fn serves(&self) -> bool {
        !self.standalone
            && self
                .status
                .as_deref()
                .is_none_or(|s| matches!(s, "ready" | "standby"))
    }
}

/// Parses the text of `postmaster.pid`; `None` when the first line is not a pid.
pub fn parse_postmaster_pid(text: &str) -> Option<PostmasterPid> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    // A standalone backend (`postgres --single`) writes its pid negated.
    let signed = lines.first()?.parse::<i64>().ok()?;
    let pid = u32::try_from(signed.unsigned_abs())
        .ok()
        .filter(|&p| p > 1)?;
    let port = lines.get(3).and_then(|l| l.parse::<u16>().ok());
    let status = lines
        .get(7)
        .filter(|l| !l.is_empty())
        .map(|l| (*l).to_string());
    Some(PostmasterPid {
        pid,
        standalone: signed < 0,
        port,
        status,
    })
}

/// True when `pid` is a live process that is the postmaster of `data_dir`.
///
/// `kill(pid, 0)` alone is not enough: after a reboot or `kill -9` the pid in a stale
/// `postmaster.pid` may belong to an unrelated process, and PostgreSQL then refuses to
/// start ("lock file already exists"). The postmaster `chdir`s into its data folder, so on
/// Linux `/proc/<pid>/cwd` tells us whether it is ours; where `/proc` is missing (macOS)
/// we trust `kill` alone.
pub fn is_our_postmaster(pid: u32, data_dir: &Path) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    match kill(Pid::from_raw(raw), None) {
        // EPERM: alive but someone else's; the cwd check below decides.
        Ok(()) | Err(Errno::EPERM) => {}
        Err(_) => return false,
    }
    if !Path::new("/proc/self/cwd").exists() {
        return true;
    }
    match std::fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) => {
            let data = data_dir
                .canonicalize()
                .unwrap_or_else(|_| data_dir.to_path_buf());
            cwd == data
        }
        // Unreadable: not our user's process, so not a server we could manage.
        Err(_) => false,
    }
}

/// The last `lines` lines of `path`, read from the end so a big log costs little.
pub fn tail_file(path: &Path, lines: usize) -> std::io::Result<String> {
    const CHUNK: u64 = 16 * 1024;
    if lines == 0 {
        return Ok(String::new());
    }
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    while start > 0 {
        let read = CHUNK.min(start);
        start -= read;
        file.seek(SeekFrom::Start(start))?;
        let mut chunk = vec![0; usize::try_from(read).unwrap_or(0)];
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        // One more newline than lines wanted means the first wanted line is complete.
        if newlines(&buf) > lines {
            break;
        }
    }
    Ok(last_lines(&String::from_utf8_lossy(&buf), lines))
}

fn newlines(buf: &[u8]) -> usize {
    buf.iter().fold(0, |n, &b| n + usize::from(b == b'\n'))
}

/// The last `n` lines of `text`, each ending in a newline.
pub fn last_lines(text: &str, n: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let from = all.len().saturating_sub(n);
    all[from..].iter().fold(String::new(), |mut acc, l| {
        acc.push_str(l);
        acc.push('\n');
        acc
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn parses_postmaster_pid() {
        let text =
            "4242\n/x/data\n1700000000\n54321\n/tmp/pgfleet-abc\n127.0.0.1\n  123 456\nready   \n";
        assert_eq!(
            parse_postmaster_pid(text),
            Some(PostmasterPid {
                pid: 4242,
                standalone: false,
                port: Some(54321),
                status: Some("ready".into())
            })
        );
        assert_eq!(
            parse_postmaster_pid("-77\n"),
            Some(PostmasterPid {
                pid: 77,
                standalone: true,
                port: None,
                status: None
            })
        );
        assert_eq!(parse_postmaster_pid(""), None);
        assert_eq!(parse_postmaster_pid("abc\n"), None);
        // pid 0 or 1 would make kill(pid, 0) mean something else entirely.
        assert_eq!(parse_postmaster_pid("0\n"), None);
    }

    #[test]
    fn dead_pid_and_foreign_pid_are_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        // Our own process is alive but its cwd is not the data folder.
        assert!(!is_our_postmaster(std::process::id(), dir.path()));
        // A pid above the kernel's pid_max cannot be alive.
        assert!(!is_our_postmaster(99_999_999, dir.path()));
        let cwd = std::env::current_dir().unwrap();
        assert!(is_our_postmaster(std::process::id(), &cwd));
    }

    #[test]
    fn tails_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let text = (0..10_000).fold(String::new(), |mut t, i| {
            let _ = writeln!(t, "line {i}");
            t
        });
        std::fs::write(&path, &text).unwrap();
        assert_eq!(tail_file(&path, 2).unwrap(), "line 9998\nline 9999\n");
        assert_eq!(tail_file(&path, 0).unwrap(), "");
        std::fs::write(&path, "a\nb").unwrap();
        assert_eq!(tail_file(&path, 5).unwrap(), "a\nb\n");
        std::fs::write(&path, "").unwrap();
        assert_eq!(tail_file(&path, 5).unwrap(), "");
    }
}
