//! Parsing connection strings into a `ConnInfo`, following libpq's rules.
//!
//! Two steps, as libpq does: read the string into `Raw` settings (URL or `key=value`), then
//! fill each unset one from its `PG*` variable and finally from a default. libpq's own
//! rules are in `fe-connect.c` (`conninfo_uri_parse_options`, `conninfo_parse`,
//! `conninfo_add_defaults`); deviations are commented where they happen.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use super::url::{redact_input, split_userinfo};
use super::{ConnInfo, ConnectError, DEFAULT_CONNECT_TIMEOUT, Env, Host, SslMode};

/// Settings as written in the string, before the environment and defaults fill gaps.
/// Empty values count as unset, as they do in libpq.
#[derive(Default)]
struct Raw {
    host: Option<String>,
    port: Option<String>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    application_name: Option<String>,
    options: Option<String>,
    connect_timeout: Option<String>,
    passfile: Option<String>,
}

impl Raw {
    fn set(&mut self, key: &str, value: String, from_url: bool) -> Result<(), ConnectError> {
        let slot = match key {
            "host" => &mut self.host,
            "port" => &mut self.port,
            "user" => &mut self.user,
            "password" => &mut self.password,
            "dbname" => &mut self.dbname,
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "application_name" => &mut self.application_name,
            "options" => &mut self.options,
            "connect_timeout" => &mut self.connect_timeout,
            "passfile" => &mut self.passfile,
            // asyncpg and SQLAlchemy URLs spell sslmode as `ssl`; libpq strings never do.
            "ssl" if from_url => {
                let mode = match value.as_str() {
                    "true" | "1" | "on" | "yes" => "require".to_owned(),
                    "false" | "0" | "off" | "no" => "disable".to_owned(),
                    _ => value,
                };
                self.sslmode = Some(mode);
                return Ok(());
            }
            _ => {
                return Err(ConnectError::UnknownParameter {
                    name: key.to_owned(),
                });
            }
        };
        *slot = Some(value).filter(|v| !v.is_empty());
        Ok(())
    }
}

pub(crate) fn parse(input: &str, env: &Env) -> Result<ConnInfo, ConnectError> {
    let trimmed = input.trim();
    let raw = match url_scheme(trimmed) {
        Some((scheme, body)) => {
            check_scheme(scheme)?;
            parse_url(body, input)?
        }
        None => parse_kv(trimmed, input)?,
    };
    resolve(raw, env, input)
}

/// Splits `scheme://rest` when the text starts with a URL scheme (a letter, then letters,
/// digits, `+`, `-`, `.`). A `key=value` string may contain `://` inside a value, so the
/// mere presence of `://` does not make a URL.
pub(crate) fn url_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some((scheme, rest))
}

/// Whether `scheme` is `postgresql`, `postgres` or a SQLAlchemy form `postgresql+driver`.
pub(crate) fn is_postgres_scheme(scheme: &str) -> bool {
    let base = scheme.split_once('+').map_or(scheme, |(base, _)| base);
    base.eq_ignore_ascii_case("postgresql") || base.eq_ignore_ascii_case("postgres")
}

/// Accepts `postgresql`, `postgres` and their SQLAlchemy forms `postgresql+driver`.
fn check_scheme(scheme: &str) -> Result<(), ConnectError> {
    if is_postgres_scheme(scheme) {
        Ok(())
    } else {
        Err(ConnectError::UnsupportedScheme {
            scheme: scheme.to_owned(),
        })
    }
}

fn invalid(input: &str, reason: impl Into<String>) -> ConnectError {
    ConnectError::InvalidUrl {
        input: redact_input(input),
        reason: reason.into(),
    }
}

/// Strict percent-decoding: libpq rejects a `%` not followed by two hex digits and `%00`,
/// where the `percent-encoding` crate would pass them through silently.
fn decode(s: &str, what: &str, input: &str) -> Result<String, ConnectError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(0) => return Err(invalid(input, format!("`%00` in the {what}"))),
                Some(byte) => out.push(byte),
                // The fragment is not echoed: it may be part of a password.
                None => {
                    return Err(invalid(
                        input,
                        format!("invalid percent-encoding in the {what}"),
                    ));
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| invalid(input, format!("the {what} is not valid UTF-8 once decoded")))
}

/// `user:password@host:port/dbname?key=value&...` (the part after `scheme://`).
fn parse_url(body: &str, input: &str) -> Result<Raw, ConnectError> {
    let mut raw = Raw::default();
    // A fragment means nothing to libpq; dropping it beats reading it as part of a value.
    let body = body.split_once('#').map_or(body, |(before, _)| before);
    let (userinfo, rest) = split_userinfo(body);
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        raw.set("user", decode(user, "user name", input)?, true)?;
        if let Some(password) = password {
            raw.set("password", decode(password, "password", input)?, true)?;
        }
    }
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hostport, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    if hostport.contains(',') {
        return Err(ConnectError::MultipleHosts {
            input: redact_input(input),
        });
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let close = bracketed
            .find(']')
            .ok_or_else(|| invalid(input, "missing `]` after an IPv6 address"))?;
        let after = &bracketed[close + 1..];
        let port = if after.is_empty() {
            ""
        } else {
            after
                .strip_prefix(':')
                .ok_or_else(|| invalid(input, "expected `:port` after `]`"))?
        };
        (&bracketed[..close], port)
    } else {
        hostport.split_once(':').unwrap_or((hostport, ""))
    };
    raw.set("host", decode(host, "host", input)?, true)?;
    raw.set("port", decode(port, "port", input)?, true)?;
    raw.set("dbname", decode(path, "database name", input)?, true)?;
    // Query parameters come last so they override the parts above, as in libpq.
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = piece
            .split_once('=')
            .ok_or_else(|| invalid(input, "a query parameter has no `=`"))?;
        let key = decode(key, "query parameter name", input)?;
        let value = decode(value, "query parameter value", input)?;
        raw.set(&key, value, true)?;
    }
    Ok(raw)
}

/// One `key=value` pair and where its value sits in the input (for redaction).
pub(crate) struct KvPair {
    pub key: String,
    pub value: String,
    pub value_span: Range<usize>,
}

/// Why the scan stopped: `key` is set when it stopped inside that key's value, `at` is
/// where the abandoned token starts.
pub(crate) struct KvFailure {
    pub reason: String,
    pub key: Option<String>,
    pub at: usize,
}

pub(crate) struct KvScan {
    pub pairs: Vec<KvPair>,
    pub failure: Option<KvFailure>,
}

/// Reads libpq `key=value` pairs: spaces may surround `=`; a value is either a run of
/// non-space characters or a single-quoted string; in both, `\` escapes the next character.
/// Never fails outright, so that redaction can use what it found even in broken input.
pub(crate) fn scan_kv(s: &str) -> KvScan {
    let b = s.as_bytes();
    let len = b.len();
    let mut pairs = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < len && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i == len {
            return KvScan {
                pairs,
                failure: None,
            };
        }
        let key_start = i;
        while i < len && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        let key = s[key_start..i].to_owned();
        skip_ws(&mut i);
        if i == len || b[i] != b'=' {
            // After a password the stray word is likely part of it: do not echo it.
            let after_password = pairs.last().is_some_and(|p: &KvPair| p.key == "password");
            let reason = if after_password || key.is_empty() {
                "missing `=` after a value; quote values that contain spaces".to_owned()
            } else {
                format!("missing `=` after `{key}`")
            };
            return KvScan {
                pairs,
                failure: Some(KvFailure {
                    reason,
                    key: None,
                    at: key_start,
                }),
            };
        }
        i += 1;
        skip_ws(&mut i);
        let value_start = i;
        // Bytes, not chars: every delimiter is ASCII, so multi-byte characters are copied
        // whole and the result stays valid UTF-8.
        let mut value = Vec::new();
        if i < len && b[i] == b'\'' {
            i += 1;
            loop {
                if i == len {
                    return KvScan {
                        pairs,
                        failure: Some(KvFailure {
                            reason: "unterminated quoted string".to_owned(),
                            key: Some(key),
                            at: value_start,
                        }),
                    };
                }
                match b[i] {
                    b'\\' if i + 1 < len => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    b'\'' => {
                        i += 1;
                        break;
                    }
                    c => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < len && !b[i].is_ascii_whitespace() {
                if b[i] == b'\\' && i + 1 < len {
                    i += 1;
                }
                value.push(b[i]);
                i += 1;
            }
        }
        pairs.push(KvPair {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            value_span: value_start..i,
        });
    }
}

fn parse_kv(s: &str, input: &str) -> Result<Raw, ConnectError> {
    let KvScan { pairs, failure } = scan_kv(s);
    if let Some(failure) = failure {
        return Err(invalid(input, failure.reason));
    }
    let mut raw = Raw::default();
    for pair in pairs {
        if pair.key == "host" && pair.value.contains(',') {
            return Err(ConnectError::MultipleHosts {
                input: redact_input(input),
            });
        }
        raw.set(&pair.key, pair.value, false)?;
    }
    Ok(raw)
}

/// Fills gaps from the environment, then from defaults.
fn resolve(raw: Raw, env: &Env, input: &str) -> Result<ConnInfo, ConnectError> {
    let host = raw
        .host
        .or_else(|| env.get("PGHOST"))
        // libpq defaults to its compiled-in socket directory; a TCP default works the same
        // on every platform and in containers without a shared socket.
        .unwrap_or_else(|| "localhost".to_owned());
    let port = raw.port.or_else(|| env.get("PGPORT"));
    if host.contains(',') || port.as_deref().is_some_and(|p| p.contains(',')) {
        // libpq tries a list of hosts in turn; pgfleet addresses exactly one server, and
        // silently picking the first would hide a misconfiguration.
        return Err(ConnectError::MultipleHosts {
            input: redact_input(input),
        });
    }
    let host = if host.starts_with('/') {
        Host::Socket(PathBuf::from(host))
    } else {
        Host::Tcp(host)
    };
    let port =
        match port {
            None => 5432,
            Some(p) => p.parse::<u16>().ok().filter(|&n| n != 0).ok_or_else(|| {
                ConnectError::InvalidValue {
                    name: "port".to_owned(),
                    value: p.clone(),
                    reason: "expected a number from 1 to 65535".to_owned(),
                }
            })?,
        };
    let user = raw
        .user
        .or_else(|| env.get("PGUSER"))
        // libpq asks the OS (getpwuid); without libc the login variables are the portable
        // equivalent.
        .or_else(|| env.get("USER"))
        .or_else(|| env.get("LOGNAME"))
        .ok_or(ConnectError::NoUser)?;
    let password = raw.password.or_else(|| env.get("PGPASSWORD"));
    let dbname = raw
        .dbname
        .or_else(|| env.get("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    let sslmode = match raw.sslmode.or_else(|| env.get("PGSSLMODE")) {
        Some(mode) => mode.parse()?,
        None => SslMode::Prefer,
    };
    let sslrootcert = raw
        .sslrootcert
        .or_else(|| env.get("PGSSLROOTCERT"))
        .map(PathBuf::from);
    let application_name = raw.application_name.or_else(|| env.get("PGAPPNAME"));
    let options = raw.options.or_else(|| env.get("PGOPTIONS"));
    let connect_timeout = match raw.connect_timeout.or_else(|| env.get("PGCONNECT_TIMEOUT")) {
        None => DEFAULT_CONNECT_TIMEOUT,
        // libpq raises values below 2 s to 2 s; we honour them, so tests and impatient
        // callers get what they ask for. Zero or negative means wait forever, as in libpq.
        Some(t) => match t.trim().parse::<i64>() {
            Ok(secs) => Duration::from_secs(secs.max(0).unsigned_abs()),
            Err(_) => {
                return Err(ConnectError::InvalidValue {
                    name: "connect_timeout".to_owned(),
                    value: t,
                    reason: "expected a whole number of seconds".to_owned(),
                });
            }
        },
    };
    let passfile = raw
        .passfile
        .or_else(|| env.get("PGPASSFILE"))
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|home| home.join(".pgpass")));
    let default_rootcert = env
        .home
        .as_ref()
        .map(|home| home.join(".postgresql").join("root.crt"));
    Ok(ConnInfo {
        host,
        port,
        user,
        dbname,
        sslmode,
        sslrootcert,
        application_name,
        options,
        connect_timeout: Some(connect_timeout),
        password,
        passfile,
        default_rootcert,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> HashMap<String, String> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parse_in(input: &str, vars: &[(&str, &str)]) -> Result<ConnInfo, ConnectError> {
        let map = env_of(vars);
        let var = move |name: &str| map.get(name).cloned();
        let env = Env {
            var: &var,
            home: Some(PathBuf::from("/home/me")),
        };
        ConnInfo::parse_with(input, &env)
    }

    fn ok(input: &str) -> ConnInfo {
        parse_in(input, &[("USER", "osuser")]).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    /// (host, port, user, password, dbname, sslmode) for compact expectations.
    type Shape = (
        Host,
        u16,
        &'static str,
        Option<&'static str>,
        &'static str,
        SslMode,
    );

    fn shape(info: &ConnInfo) -> (Host, u16, String, Option<String>, String, SslMode) {
        (
            info.host.clone(),
            info.port,
            info.user.clone(),
            info.password().map(str::to_owned),
            info.dbname.clone(),
            info.sslmode,
        )
    }

    fn tcp(h: &str) -> Host {
        Host::Tcp(h.to_owned())
    }

    fn sock(p: &str) -> Host {
        Host::Socket(PathBuf::from(p))
    }

    fn check(cases: &[(&str, Shape)]) {
        for (input, want) in cases {
            let got = shape(&ok(input));
            let want = (
                want.0.clone(),
                want.1,
                want.2.to_owned(),
                want.3.map(str::to_owned),
                want.4.to_owned(),
                want.5,
            );
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn url_forms() {
        use SslMode::{Disable, Prefer, Require, VerifyFull};
        check(&[
            (
                "postgresql://app:pw@db.example.com:6543/appdb",
                (
                    tcp("db.example.com"),
                    6543,
                    "app",
                    Some("pw"),
                    "appdb",
                    Prefer,
                ),
            ),
            (
                "postgres://app@db/appdb",
                (tcp("db"), 5432, "app", None, "appdb", Prefer),
            ),
            (
                "postgresql://",
                (tcp("localhost"), 5432, "osuser", None, "osuser", Prefer),
            ),
            (
                "postgresql:///appdb",
                (tcp("localhost"), 5432, "osuser", None, "appdb", Prefer),
            ),
            (
                "postgresql://h:5433",
                (tcp("h"), 5433, "osuser", None, "osuser", Prefer),
            ),
            (
                "postgresql://a%40b:p%40ss%3Aw%2Fd@h/d%20b",
                (tcp("h"), 5432, "a@b", Some("p@ss:w/d"), "d b", Prefer),
            ),
            // Unencoded `@`, `:` and `/` in a password: the last `@` ends the userinfo.
            (
                "postgresql://app:p@s:s/w@h/db",
                (tcp("h"), 5432, "app", Some("p@s:s/w"), "db", Prefer),
            ),
            (
                "postgresql://[::1]:5433/db",
                (tcp("::1"), 5433, "osuser", None, "db", Prefer),
            ),
            (
                "postgresql://[2001:db8::1]/db",
                (tcp("2001:db8::1"), 5432, "osuser", None, "db", Prefer),
            ),
            (
                "postgresql://%2Ftmp/db",
                (sock("/tmp"), 5432, "osuser", None, "db", Prefer),
            ),
            (
                "postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db",
                (
                    sock("/var/run/postgresql"),
                    5433,
                    "osuser",
                    None,
                    "db",
                    Prefer,
                ),
            ),
            (
                "postgresql:///db?host=/var/run/postgresql",
                (
                    sock("/var/run/postgresql"),
                    5432,
                    "osuser",
                    None,
                    "db",
                    Prefer,
                ),
            ),
            (
                "postgresql://h/db?host=%2Ftmp&port=6000&user=u&password=p%26q&dbname=other&sslmode=verify-full",
                (sock("/tmp"), 6000, "u", Some("p&q"), "other", VerifyFull),
            ),
            (
                "postgresql://h/db?ssl=require",
                (tcp("h"), 5432, "osuser", None, "db", Require),
            ),
            (
                "postgresql://h/db?ssl=true",
                (tcp("h"), 5432, "osuser", None, "db", Require),
            ),
            (
                "postgresql://h/db?ssl=disable",
                (tcp("h"), 5432, "osuser", None, "db", Disable),
            ),
            (
                "postgresql+asyncpg://u@h/db",
                (tcp("h"), 5432, "u", None, "db", Prefer),
            ),
            (
                "postgresql+psycopg://u@h/db",
                (tcp("h"), 5432, "u", None, "db", Prefer),
            ),
            (
                "postgresql+psycopg2://u@h/db",
                (tcp("h"), 5432, "u", None, "db", Prefer),
            ),
            (
                "postgres+anything://u@h/db",
                (tcp("h"), 5432, "u", None, "db", Prefer),
            ),
            (
                "  postgresql://u@h/db#frag  ",
                (tcp("h"), 5432, "u", None, "db", Prefer),
            ),
        ]);
    }

    #[test]
    fn url_extras() {
        let info = ok(
            "postgresql://h/db?sslrootcert=/etc/ca.pem&application_name=pg%20fleet&options=-c%20search_path%3Dapp&connect_timeout=3",
        );
        assert_eq!(info.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(info.application_name.as_deref(), Some("pg fleet"));
        assert_eq!(info.options.as_deref(), Some("-c search_path=app"));
        assert_eq!(info.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(
            ok("postgresql://h/db").connect_timeout,
            Some(DEFAULT_CONNECT_TIMEOUT)
        );
        assert_eq!(
            ok("postgresql://h/db?connect_timeout=0").connect_timeout,
            Some(Duration::ZERO)
        );
        assert_eq!(
            ok("postgresql://h/db?connect_timeout=-5").connect_timeout,
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn kv_forms_and_escapes() {
        use SslMode::{Prefer, Require, VerifyCa};
        check(&[
            (
                "host=localhost port=5432 dbname=app user=me password='a b\\'c' sslmode=require",
                (tcp("localhost"), 5432, "me", Some("a b'c"), "app", Require),
            ),
            (
                "host = h   port= 6000 user =u dbname='my db'",
                (tcp("h"), 6000, "u", None, "my db", Prefer),
            ),
            (
                "password=a\\ b\\\\c user=u",
                (tcp("localhost"), 5432, "u", Some("a b\\c"), "u", Prefer),
            ),
            (
                "password='' user=u",
                (tcp("localhost"), 5432, "u", None, "u", Prefer),
            ),
            (
                "host=/tmp user=u",
                (sock("/tmp"), 5432, "u", None, "u", Prefer),
            ),
            (
                "host=::1 user=u sslmode=verify-ca",
                (tcp("::1"), 5432, "u", None, "u", VerifyCa),
            ),
            (
                "password='pä ß' user=ü",
                (tcp("localhost"), 5432, "ü", Some("pä ß"), "ü", Prefer),
            ),
            (
                "",
                (tcp("localhost"), 5432, "osuser", None, "osuser", Prefer),
            ),
            (
                "options='-c x=file://y' user=u",
                (tcp("localhost"), 5432, "u", None, "u", Prefer),
            ),
        ]);
    }

    #[test]
    fn env_fills_gaps_and_the_string_wins() {
        let vars = [
            ("PGHOST", "envhost"),
            ("PGPORT", "6001"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "/env/ca.crt"),
            ("PGAPPNAME", "envapp"),
            ("PGOPTIONS", "-c work_mem=64MB"),
            ("PGCONNECT_TIMEOUT", "7"),
            ("PGPASSFILE", "/env/pgpass"),
            ("USER", "osuser"),
        ];
        let info = parse_in("", &vars).unwrap();
        assert_eq!(info.host, tcp("envhost"));
        assert_eq!(info.port, 6001);
        assert_eq!(info.user, "envuser");
        assert_eq!(info.password(), Some("envpw"));
        assert_eq!(info.dbname, "envdb");
        assert_eq!(info.sslmode, SslMode::VerifyFull);
        assert_eq!(info.sslrootcert, Some(PathBuf::from("/env/ca.crt")));
        assert_eq!(info.application_name.as_deref(), Some("envapp"));
        assert_eq!(info.options.as_deref(), Some("-c work_mem=64MB"));
        assert_eq!(info.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(info.passfile, Some(PathBuf::from("/env/pgpass")));

        let info = parse_in("postgresql://u:pw@h:1/db?sslmode=disable", &vars).unwrap();
        assert_eq!(
            shape(&info),
            (
                tcp("h"),
                1,
                "u".into(),
                Some("pw".into()),
                "db".into(),
                SslMode::Disable
            )
        );

        // Empty variables count as unset; user falls back to USER, then LOGNAME.
        let info = parse_in("", &[("PGHOST", ""), ("LOGNAME", "logname")]).unwrap();
        assert_eq!(info.host, tcp("localhost"));
        assert_eq!(
            (info.user.as_str(), info.dbname.as_str()),
            ("logname", "logname")
        );
        assert_eq!(info.passfile, Some(PathBuf::from("/home/me/.pgpass")));
        assert_eq!(
            info.rootcert_path(),
            Some(PathBuf::from("/home/me/.postgresql/root.crt"))
        );
        let info = parse_in("", &[("PGHOST", "/run/pg"), ("USER", "u")]).unwrap();
        assert_eq!(info.host, sock("/run/pg"));

        assert!(matches!(parse_in("", &[]), Err(ConnectError::NoUser)));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let cases = [
            (
                "mysql://u@h/db",
                "unsupported scheme `mysql://`: expected `postgresql://` or `postgres://` (optionally `+driver`)",
            ),
            (
                "postgresql://h/db?sslcert=x",
                "unknown connection parameter `sslcert`: supported are host, port, user, password, dbname, sslmode, sslrootcert, application_name, options, connect_timeout, passfile",
            ),
            (
                "host=h bogus=1",
                "unknown connection parameter `bogus`: supported are host, port, user, password, dbname, sslmode, sslrootcert, application_name, options, connect_timeout, passfile",
            ),
            (
                "host=h ssl=true",
                "unknown connection parameter `ssl`: supported are host, port, user, password, dbname, sslmode, sslrootcert, application_name, options, connect_timeout, passfile",
            ),
            (
                "postgresql://h:abc/db",
                "invalid value `abc` for `port`: expected a number from 1 to 65535",
            ),
            (
                "postgresql://h:0/db",
                "invalid value `0` for `port`: expected a number from 1 to 65535",
            ),
            (
                "postgresql://h/db?sslmode=strict",
                "invalid value `strict` for `sslmode`: expected one of disable, allow, prefer, require, verify-ca, verify-full",
            ),
            (
                "postgresql://h/db?connect_timeout=soon",
                "invalid value `soon` for `connect_timeout`: expected a whole number of seconds",
            ),
            (
                "postgresql://a,b/db",
                "several hosts or ports in `postgresql://a,b/db`: pgfleet connects to exactly one server",
            ),
            (
                "host=a,b",
                "several hosts or ports in `host=a,b`: pgfleet connects to exactly one server",
            ),
            (
                "postgresql://[::1/db",
                "invalid connection string `postgresql://[::1/db`: missing `]` after an IPv6 address",
            ),
            (
                "postgresql://[::1]x/db",
                "invalid connection string `postgresql://[::1]x/db`: expected `:port` after `]`",
            ),
            (
                "postgresql://h/d%zzb",
                "invalid connection string `postgresql://h/d%zzb`: invalid percent-encoding in the database name",
            ),
            (
                "postgresql://h/db%00",
                "invalid connection string `postgresql://h/db%00`: `%00` in the database name",
            ),
            (
                "postgresql://h/db?sslmode",
                "invalid connection string `postgresql://h/db?sslmode`: a query parameter has no `=`",
            ),
            (
                "host=h dbname",
                "invalid connection string `host=h dbname`: missing `=` after `dbname`",
            ),
            (
                "mydb",
                "invalid connection string `mydb`: missing `=` after `mydb`",
            ),
            (
                "host='h",
                "invalid connection string `host='h`: unterminated quoted string",
            ),
        ];
        for (input, want) in cases {
            let err = parse_in(input, &[("USER", "u")]).unwrap_err();
            assert_eq!(err.to_string(), want, "{input}");
        }
    }

    #[test]
    fn no_error_or_debug_output_contains_the_password() {
        let inputs = [
            "postgresql://app:s3cret@h:abc/db",
            "postgresql://app:s3cret@h/db?bogus=1",
            "postgresql://app:s3cret@h/d%zzb",
            "postgresql://app:s3cret@[::1/db",
            "postgresql://app:s3%ZZcret@h/db",
            "postgresql://app:s3/cret@h:x/db",
            "postgresql://app:s3cret@a,b/db",
            "postgresql://h/db?password=s3cret&sslmode",
            "mysql://app:s3cret@h/db",
            "host=h password=s3cret bogus",
            "host=h password=s3 cret",
            "host=h password='s3cret",
            "host=a,b password=s3cret",
            "password=s3cret port=x",
        ];
        for input in inputs {
            let err = parse_in(input, &[("USER", "u")]).unwrap_err();
            let text = format!("{err} {err:?} {:?}", err.hint());
            assert!(!text.contains("s3"), "{input}: {text}");
            assert!(!text.contains("cret"), "{input}: {text}");
        }
    }
}
