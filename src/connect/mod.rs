//! Connection information for PostgreSQL, parsed and resolved the way libpq does it.
//!
//! tokio-postgres reads no `PG*` variables and no `~/.pgpass`, and its own parser rejects
//! `sslmode=verify-ca`, `verify-full` and `sslrootcert`, so pgfleet owns this layer:
//! [`ConnInfo::parse`] accepts URLs (including SQLAlchemy-style `postgresql+driver://`) and
//! libpq `key=value` strings, fills gaps from the environment, and [`ConnInfo::connect`]
//! builds a `tokio_postgres::Config` field by field with a TLS setup that matches libpq's
//! meaning of each `sslmode`. The password never reaches `Display`, `Debug` or an error.

mod dial;
mod error;
mod parse;
mod pgpass;
mod quote;
mod tls;
mod url;

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub(crate) use error::is_connection_lost;
pub use error::{CONNECTION_LOST, ConnectError, SqlError, describe_sql_error};
pub(crate) use parse::is_postgres_scheme;
pub use quote::{quote_ident, quote_literal};
pub(crate) use url::enc as url_encode;
pub(crate) use url::split_userinfo;

/// What the password is replaced with wherever connection info is shown.
pub(crate) const MASK: &str = "****";

/// Used when neither the string nor `PGCONNECT_TIMEOUT` sets one; libpq would wait forever,
/// which a CLI talking to many databases cannot afford.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the server listens.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A host name or an IP address (IPv6 without brackets).
    Tcp(String),
    /// The directory holding the server's Unix socket (`.s.PGSQL.<port>`); libpq treats any
    /// host starting with `/` this way.
    Socket(PathBuf),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Tcp(name) => f.write_str(name),
            Host::Socket(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Tcp(name) => f.debug_tuple("Tcp").field(name).finish(),
            Host::Socket(dir) => f.debug_tuple("Socket").field(dir).finish(),
        }
    }
}

/// libpq's `sslmode`, with libpq's meaning (see `dial.rs` for how each one connects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SslMode {
    /// Plain connection only.
    Disable,
    /// libpq tries plain first; we try TLS first and fall back (as `Prefer`), without
    /// verifying the certificate either way.
    Allow,
    /// TLS when the server offers it, plain otherwise; the certificate is not verified.
    #[default]
    Prefer,
    /// TLS required, certificate not verified (libpq's meaning, not "secure").
    Require,
    /// TLS required, chain verified against `sslrootcert`, host name not checked.
    VerifyCa,
    /// TLS required, chain and host name verified.
    VerifyFull,
}

impl SslMode {
    /// Every mode as libpq spells it, in libpq's order; used in error messages.
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether this mode checks the server certificate against a root certificate.
    pub fn verifies_chain(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = ConnectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SslMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| ConnectError::InvalidValue {
                name: "sslmode".to_owned(),
                value: s.to_owned(),
                reason: format!(
                    "expected one of {}",
                    SslMode::ALL.map(SslMode::as_str).join(", ")
                ),
            })
    }
}

/// The environment a connection string is resolved against; injectable so tests need not
/// touch the process environment (which `set_var` makes unsafe in edition 2024).
pub struct Env<'a> {
    /// Looks a variable up (`PGHOST`, `USER`, ...).
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory, for `~/.pgpass` and `~/.postgresql/root.crt`.
    pub home: Option<PathBuf>,
}

fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Env<'static> {
    /// The real process environment.
    pub fn process() -> Self {
        Env {
            var: &process_var,
            home: std::env::home_dir(),
        }
    }
}

impl Env<'_> {
    /// A variable's value, with empty values treated as unset (as libpq does).
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|v| !v.is_empty())
    }
}

/// Fully resolved connection information: every gap already filled from the environment
/// and defaults, except the `.pgpass` password, which is looked up at connect time because
/// [`ConnInfo::with_dbname`] changes which line matches.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub host: Host,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub sslmode: SslMode,
    /// Root certificate for `verify-ca`/`verify-full`; `None` means `~/.postgresql/root.crt`.
    pub sslrootcert: Option<PathBuf>,
    pub application_name: Option<String>,
    /// Server options, e.g. `-c search_path=app` (libpq `options`, `PGOPTIONS`).
    pub options: Option<String>,
    /// Limit on the whole connect (TCP, TLS, startup, authentication); zero waits forever.
    pub connect_timeout: Option<Duration>,
    /// Private so that it can only be read deliberately, through [`ConnInfo::password`].
    password: Option<String>,
    /// `.pgpass` location resolved at parse time (`passfile`, `PGPASSFILE`, `~/.pgpass`).
    passfile: Option<PathBuf>,
    /// `~/.postgresql/root.crt`, resolved at parse time from the injected home.
    default_rootcert: Option<PathBuf>,
}

impl ConnInfo {
    /// Parses a URL or a `key=value` string against the real process environment.
    pub fn parse(s: &str) -> Result<ConnInfo, ConnectError> {
        Self::parse_with(s, &Env::process())
    }

    /// Parses a URL or a `key=value` string against an injected environment.
    pub fn parse_with(s: &str, env: &Env) -> Result<ConnInfo, ConnectError> {
        parse::parse(s, env)
    }

    /// The password given in the string or `PGPASSWORD`; `.pgpass` is consulted only when
    /// connecting.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    #[must_use]
    pub fn with_password(mut self, password: Option<String>) -> Self {
        self.password = password.filter(|p| !p.is_empty());
        self
    }

    /// The same server and credentials, another database.
    #[must_use]
    pub fn with_dbname(&self, dbname: &str) -> ConnInfo {
        let mut info = self.clone();
        dbname.clone_into(&mut info.dbname);
        info
    }

    /// Where the server is, as a person names it: `host:port` (`[::1]:5432`), or
    /// the Unix socket's path.
    pub fn address(&self) -> String {
        match &self.host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{}", self.port),
            Host::Tcp(name) => format!("{name}:{}", self.port),
            Host::Socket(dir) => format!("{}/.s.PGSQL.{}", dir.display(), self.port),
        }
    }

    /// The URL including the real password, percent-encoded. Only for handing to child
    /// processes (psql, pg_dump); never log or print it.
    pub fn to_url(&self) -> String {
        url::render(self, self.password.as_deref())
    }

    /// The URL with the password shown as `****`; safe to print.
    pub fn redacted_url(&self) -> String {
        url::render(self, self.password.as_ref().map(|_| MASK))
    }

    /// Whether the server is on this machine, decided without DNS: `localhost`,
    /// `127.0.0.0/8`, `::1` (also IPv4-mapped) or a Unix socket.
    pub fn is_loopback(&self) -> bool {
        match &self.host {
            Host::Socket(_) => true,
            Host::Tcp(name) => {
                let name = name.strip_suffix('.').unwrap_or(name);
                if name.eq_ignore_ascii_case("localhost") {
                    return true;
                }
                match name.parse::<IpAddr>() {
                    Ok(IpAddr::V4(v4)) => v4.is_loopback(),
                    Ok(IpAddr::V6(v6)) => {
                        v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                    }
                    Err(_) => false,
                }
            }
        }
    }

    /// Connects, spawning the connection task on the current tokio runtime.
    pub async fn connect(&self) -> Result<tokio_postgres::Client, ConnectError> {
        dial::connect(self).await
    }

    /// The root certificate file that `verify-*` modes use.
    pub(crate) fn rootcert_path(&self) -> Option<PathBuf> {
        self.sslrootcert
            .clone()
            .or_else(|| self.default_rootcert.clone())
    }
}

impl fmt::Display for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_url())
    }
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand because a derived Debug would print the password.
        f.debug_struct("ConnInfo")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("application_name", &self.application_name)
            .field("options", &self.options)
            .field("connect_timeout", &self.connect_timeout)
            .field("password", &self.password.as_ref().map(|_| MASK))
            .field("passfile", &self.passfile)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(url: &str) -> ConnInfo {
        let var = |name: &str| (name == "USER").then(|| "me".to_owned());
        ConnInfo::parse_with(
            url,
            &Env {
                var: &var,
                home: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn is_loopback_decides_without_dns() {
        let cases = [
            ("postgresql://localhost/db", true),
            ("postgresql://LOCALHOST./db", true),
            ("postgresql://127.0.0.1/db", true),
            ("postgresql://127.0.0.2/db", true),
            ("postgresql://[::1]/db", true),
            ("postgresql://[::ffff:127.0.0.1]/db", true),
            ("postgresql:///db?host=/var/run/postgresql", true),
            ("postgresql://10.0.0.5/db", false),
            ("postgresql://db.example.com/db", false),
            ("postgresql://localhost.example.com/db", false),
            ("postgresql://[2001:db8::1]/db", false),
        ];
        for (url, want) in cases {
            assert_eq!(info(url).is_loopback(), want, "{url}");
        }
    }

    #[test]
    fn sslmode_round_trips_as_libpq_spells_it() {
        for mode in SslMode::ALL {
            assert_eq!(mode.to_string().parse::<SslMode>().unwrap(), mode);
        }
        let err = "verify_full".parse::<SslMode>().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid value `verify_full` for `sslmode`: expected one of disable, allow, prefer, \
             require, verify-ca, verify-full"
        );
    }

    #[test]
    fn password_is_redacted_in_display_and_debug() {
        let info = info("postgresql://app:s3cret@db.example.com:6543/app");
        assert_eq!(info.password(), Some("s3cret"));
        assert_eq!(
            info.to_string(),
            "postgresql://app:****@db.example.com:6543/app"
        );
        let debug = format!("{info:?} {info:#?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("****"), "{debug}");
        assert_eq!(
            info.to_url(),
            "postgresql://app:s3cret@db.example.com:6543/app"
        );
    }

    #[test]
    fn to_url_round_trips_through_parse() {
        let cases = [
            (
                "host=/var/run/postgresql port=5433 user=me dbname=app",
                "postgresql://me@%2Fvar%2Frun%2Fpostgresql:5433/app",
            ),
            (
                "postgresql://u@[::1]:6000/d?sslmode=verify-full&sslrootcert=/etc/ca.pem",
                "postgresql://u@[::1]:6000/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
            ),
            (
                "user='a b@c' password='p:w/@?&%' dbname='my db' options='-c search_path=x' application_name=tool connect_timeout=3",
                "postgresql://a%20b%40c:p%3Aw%2F%40%3F%26%25@localhost:5432/my%20db?application_name=tool&options=-c%20search_path%3Dx&connect_timeout=3",
            ),
        ];
        for (input, url) in cases {
            let parsed = info(input);
            assert_eq!(parsed.to_url(), url, "{input}");
            assert_eq!(info(&parsed.to_url()), parsed, "{input}");
        }
    }

    #[test]
    fn with_dbname_and_with_password_change_only_that() {
        let base = info("postgresql://app:pw@h/one");
        let other = base.with_dbname("two");
        assert_eq!(other.dbname, "two");
        assert_eq!(other.password(), Some("pw"));
        assert_eq!(base.dbname, "one");
        let none = other.clone().with_password(None);
        assert_eq!(none.password(), None);
        assert_eq!(none.redacted_url(), "postgresql://app@h:5432/two");
        let empty = other.with_password(Some(String::new()));
        assert_eq!(empty.password(), None);
    }
}

/// What the server says it is: `server_version` as text (`15.20 (Debian ...)`)
/// and `server_version_num` (`150020`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub text: String,
    pub num: u32,
}

impl ServerVersion {
    /// The major version, e.g. 15.
    pub fn major(&self) -> u32 {
        self.num / 10000
    }
}

/// Asks the server its version (one simple query: PgBouncer-safe).
pub async fn server_version(
    client: &tokio_postgres::Client,
) -> Result<ServerVersion, tokio_postgres::Error> {
    let messages = client
        .simple_query(
            "SELECT current_setting('server_version'), current_setting('server_version_num')",
        )
        .await?;
    Ok(messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(ServerVersion {
                text: r.get(0).unwrap_or_default().to_owned(),
                num: r.get(1).and_then(|v| v.parse().ok()).unwrap_or(0),
            }),
            _ => None,
        })
        .unwrap_or(ServerVersion {
            text: String::new(),
            num: 0,
        }))
}
