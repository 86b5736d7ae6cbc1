//! Password lookup in a `.pgpass` file, as libpq's `passwordFromFile` does it.
//!
//! Lines are `host:port:database:user:password`; each of the first four may be `*`; `\:`
//! and `\\` escape; lines starting with `#` are comments. The file is ignored unless it is
//! a regular file without group or other permission bits, because a readable password
//! file is a leak libpq refuses to use.

use std::path::Path;

use super::Host;

/// What a `.pgpass` line is matched against.
pub(crate) struct Target<'a> {
    pub host: &'a Host,
    pub port: u16,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The password of the first matching line, or `None` when the file is missing, unsafe,
/// unreadable or has no match. Problems are logged, not returned: libpq only warns too,
/// and the server's "password required" error is the one the user needs.
pub(crate) async fn lookup(path: &Path, target: &Target<'_>) -> Option<String> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    if !meta.is_file() {
        tracing::warn!(path = %path.display(), "password file is not a plain file; ignoring it");
        return None;
    }
    if !permissions_ok(&meta) {
        tracing::warn!(
            path = %path.display(),
            "password file has group or world access; permissions should be u=rw (0600) or less; ignoring it"
        );
        return None;
    }
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "cannot read password file");
            return None;
        }
    };
    find(&text, target)
}

#[cfg(unix)]
#[expect(
    clippy::verbose_bit_mask,
    reason = "`& 0o077` says 'no group or other bits'; trailing_zeros would hide that"
)]
fn permissions_ok(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 == 0
}

#[cfg(not(unix))]
fn permissions_ok(_meta: &std::fs::Metadata) -> bool {
    // libpq skips the check on Windows, where the mode bits mean nothing.
    true
}

/// The password of the first line of `text` matching `target`.
pub(crate) fn find(text: &str, target: &Target<'_>) -> Option<String> {
    let port = target.port.to_string();
    // libpq matches a socket directory as `localhost` (the entry people write for local
    // connections); the literal directory is accepted too.
    let hosts: Vec<String> = match target.host {
        Host::Tcp(name) => vec![name.clone()],
        Host::Socket(dir) => vec!["localhost".to_owned(), dir.to_string_lossy().into_owned()],
    };
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_fields(line);
        let [host, line_port, db, user, password, ..] = fields.as_slice() else {
            continue;
        };
        if hosts.iter().any(|h| host.matches(h))
            && line_port.matches(&port)
            && db.matches(target.dbname)
            && user.matches(target.user)
        {
            // libpq treats an empty password as none.
            return (!password.value.is_empty()).then(|| password.value.clone());
        }
    }
    None
}

/// One `.pgpass` field with its escapes removed.
struct Field {
    value: String,
    /// Written as a bare `*`; an escaped `\*` is a literal star, as in libpq.
    wildcard: bool,
}

impl Field {
    fn matches(&self, value: &str) -> bool {
        self.wildcard || self.value == value
    }
}

/// Splits a line at unescaped `:` and removes the escapes.
fn split_fields(line: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    let mut chars = line.chars();
    let finish = |current: &mut String, escaped: &mut bool| {
        let value = std::mem::take(current);
        let wildcard = value == "*" && !*escaped;
        *escaped = false;
        Field { value, wildcard }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                escaped = true;
                current.push(chars.next().unwrap_or('\\'));
            }
            ':' if fields.len() < 4 => fields.push(finish(&mut current, &mut escaped)),
            // The password ends at the next unescaped `:`, as in libpq.
            ':' => break,
            _ => current.push(c),
        }
    }
    fields.push(finish(&mut current, &mut escaped));
    fields
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const FILE: &str = "\
# comment:*:*:*:nope
db.example.com:5432:app:alice:alice-pw
db.example.com:*:*:bob:bob\\:pw\\\\x
*:6000:*:*:any-on-6000
localhost:5432:*:carol:carol-local
/run/pg:5432:*:dave:dave-socket
esc\\:host:5432:*:erin:erin-pw
db.example.com:5432:*:frank:
db.example.com:5432:*:frank:frank-second
h:5432:*:gina:first:second
h:5432:*:\\*:star-user
short:line
";

    #[test]
    fn lines_match_as_libpq_matches_them() {
        let tcp = |h: &str| Host::Tcp(h.to_owned());
        let sock = Host::Socket(PathBuf::from("/var/run/postgresql"));
        let run = Host::Socket(PathBuf::from("/run/pg"));
        let cases: Vec<(Host, u16, &str, &str, Option<&str>)> = vec![
            (
                tcp("db.example.com"),
                5432,
                "app",
                "alice",
                Some("alice-pw"),
            ),
            (tcp("db.example.com"), 5432, "other", "alice", None),
            (
                tcp("db.example.com"),
                5433,
                "other",
                "bob",
                Some("bob:pw\\x"),
            ),
            (tcp("anything"), 6000, "x", "y", Some("any-on-6000")),
            (tcp("localhost"), 5432, "x", "carol", Some("carol-local")),
            (sock.clone(), 5432, "x", "carol", Some("carol-local")),
            (run, 5432, "x", "dave", Some("dave-socket")),
            (tcp("127.0.0.1"), 5432, "x", "carol", None),
            (tcp("esc:host"), 5432, "x", "erin", Some("erin-pw")),
            // First match wins even when its password is empty.
            (tcp("db.example.com"), 5432, "x", "frank", None),
            (tcp("h"), 5432, "x", "gina", Some("first")),
            (tcp("h"), 5432, "x", "*", Some("star-user")),
            (tcp("h"), 5432, "x", "nobody", None),
            (tcp("short"), 5432, "line", "x", None),
        ];
        for (host, port, dbname, user, want) in cases {
            let target = Target {
                host: &host,
                port,
                dbname,
                user,
            };
            assert_eq!(
                find(FILE, &target).as_deref(),
                want,
                "{host:?} {port} {dbname} {user}"
            );
        }
    }

    #[tokio::test]
    async fn file_is_ignored_unless_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "h:5432:db:u:pw\r\n").unwrap();
        let host = Host::Tcp("h".to_owned());
        let target = Target {
            host: &host,
            port: 5432,
            dbname: "db",
            user: "u",
        };
        for (mode, want) in [
            (0o600, Some("pw")),
            (0o400, Some("pw")),
            (0o640, None),
            (0o604, None),
            (0o644, None),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(lookup(&path, &target).await.as_deref(), want, "{mode:o}");
        }
        assert_eq!(lookup(&dir.path().join("missing"), &target).await, None);
        assert_eq!(lookup(dir.path(), &target).await, None);
    }
}
