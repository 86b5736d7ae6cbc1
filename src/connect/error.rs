//! `ConnectError`: everything that can go wrong between a connection string and a client.
//!
//! Every variant that names a server carries the redacted URL, never the raw input, so no
//! message or `Debug` output can contain a password. Messages include the whole `source()`
//! chain because the interesting part (rustls's `UnknownIssuer`, the OS error) sits below a
//! vague top level ("error performing TLS handshake").

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::error::SqlState;

/// The parameters we understand, in both URLs and `key=value` strings.
pub const SUPPORTED_PARAMETERS: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "application_name",
    "options",
    "connect_timeout",
    "passfile",
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The text is not a URL or `key=value` string we can read. `input` is redacted.
    #[error("invalid connection string `{input}`: {reason}")]
    InvalidUrl { input: String, reason: String },

    #[error(
        "unsupported scheme `{scheme}://`: expected `postgresql://` or `postgres://` (optionally `+driver`)"
    )]
    UnsupportedScheme { scheme: String },

    #[error("unknown connection parameter `{name}`: supported are {}", SUPPORTED_PARAMETERS.join(", "))]
    UnknownParameter { name: String },

    /// A parameter with a value we cannot use. Never raised for `password`.
    #[error("invalid value `{value}` for `{name}`: {reason}")]
    InvalidValue {
        name: String,
        value: String,
        reason: String,
    },

    /// libpq accepts `host=a,b` and tries each; pgfleet connects to one server at a time.
    #[error("several hosts or ports in `{input}`: pgfleet connects to exactly one server")]
    MultipleHosts { input: String },

    #[error("no user name: none in the connection string and none of PGUSER, USER, LOGNAME is set")]
    NoUser,

    #[error("could not connect to `{target}`: no answer within {}", secs(*.after))]
    Timeout { target: String, after: Duration },

    #[error("could not connect to `{target}`: {}", chain(.source))]
    Connect {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("authentication failed for user `{user}` at `{target}`: {}", chain(.source))]
    AuthFailed {
        user: String,
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("the server at `{target}` asked for a password for user `{user}`, and none was found")]
    PasswordMissing { user: String, target: String },

    #[error("cannot use root certificate `{}`: {reason}", .path.display())]
    RootCert { path: PathBuf, reason: String },

    #[error("TLS failed with `{target}`: {chain}")]
    Tls { target: String, chain: String },
}

impl ConnectError {
    /// The next step for the user, when there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            ConnectError::InvalidUrl { .. } => {
                "write `postgresql://user:password@host:port/dbname` or `host=... dbname=...`; \
                 percent-encode special characters in URLs (`@` as %40, `/` as %2F)"
            }
            ConnectError::UnsupportedScheme { .. } => {
                "use a `postgresql://` URL (SQLAlchemy's `postgresql+driver://` is accepted too)"
            }
            ConnectError::UnknownParameter { .. } => "remove the parameter or check its spelling",
            ConnectError::InvalidValue { name, .. } if name == "sslmode" => {
                "use one of disable, allow, prefer, require, verify-ca, verify-full"
            }
            ConnectError::InvalidValue { .. } => return None,
            ConnectError::MultipleHosts { .. } => "give a single host and port",
            ConnectError::NoUser => {
                "put the user in the URL (`postgresql://user@host/db`) or set PGUSER"
            }
            ConnectError::Timeout { .. } => {
                "check that the server is running and reachable, or raise connect_timeout"
            }
            ConnectError::Connect { source, .. } => return connect_hint(source),
            ConnectError::AuthFailed { source, .. }
                if source.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION) =>
            {
                "the server refused this user, database or address (pg_hba.conf), or the role \
                 does not exist; check the user name and the server's pg_hba.conf"
            }
            ConnectError::AuthFailed { .. } => {
                "check the password in the URL, PGPASSWORD or ~/.pgpass"
            }
            ConnectError::PasswordMissing { .. } => {
                "give the password in the URL, PGPASSWORD or ~/.pgpass (mode 0600)"
            }
            ConnectError::RootCert { .. } => {
                "point sslrootcert (or PGSSLROOTCERT) at the CA certificate that signed the \
                 server's certificate, or use sslmode=require to skip verification"
            }
            ConnectError::Tls { chain, .. } => return Some(tls_hint(chain).to_owned()),
        };
        Some(hint.to_owned())
    }
}

impl ConnectError {
    /// Why the server could not be reached at all (no answer, refused, no such
    /// host), without the URL; `None` when a server answered.
    pub fn unreachable_reason(&self) -> Option<String> {
        match self {
            ConnectError::Timeout { after, .. } => {
                Some(format!("no answer within {}", secs(*after)))
            }
            ConnectError::Connect { source, .. } if source.code().is_none() => Some(chain(source)),
            _ => None,
        }
    }
}

fn connect_hint(source: &tokio_postgres::Error) -> Option<String> {
    let code = source.code()?;
    let hint = if *code == SqlState::INVALID_CATALOG_NAME {
        "check the database name, or create the database first"
    } else if *code == SqlState::TOO_MANY_CONNECTIONS {
        "the server has no free connection slots; retry later or raise max_connections"
    } else if *code == SqlState::CANNOT_CONNECT_NOW {
        "the server is starting up or shutting down; retry in a moment"
    } else {
        return None;
    };
    Some(hint.to_owned())
}

fn tls_hint(chain: &str) -> &'static str {
    if chain.contains("UnknownIssuer") {
        "the server certificate is not signed by the CA in sslrootcert; point sslrootcert at \
         the right CA, or use sslmode=require to skip verification"
    } else if chain.contains("NotValidForName") || chain.contains("not valid for name") {
        // rustls 0.23 prints `NotValidForNameContext` in words, older errors by name.
        "the server certificate does not name this host; connect with a host name it lists, \
         or use sslmode=verify-ca"
    } else if chain.contains("does not support TLS") {
        "the server has ssl=off; enable TLS on the server or use sslmode=prefer or disable"
    } else {
        "check the server's TLS setup, or try sslmode=require to skip verification"
    }
}

fn secs(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if d.subsec_nanos() == 0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// `err` and all its sources joined with `: `, skipping a source whose text the previous
/// level already printed (io errors show their inner error and then report it as source).
pub(crate) fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut current = err.source();
    while let Some(source) = current {
        let text = source.to_string();
        if !out.ends_with(&text) {
            let _ = write!(out, ": {text}");
        }
        current = source.source();
    }
    out
}

/// A statement the server refused (or a query whose connection went away),
/// with what pgfleet was doing: `cannot read the history of `app`: ...`.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {}", describe_sql_error(source))]
pub struct SqlError {
    pub context: String,
    #[source]
    pub source: tokio_postgres::Error,
}

impl SqlError {
    /// For `map_err`: the error of a statement run while doing `context`.
    pub(crate) fn with(
        context: impl Into<String>,
    ) -> impl FnOnce(tokio_postgres::Error) -> SqlError {
        let context = context.into();
        move |source| SqlError { context, source }
    }

    /// The server's own hint, if it gave one.
    pub fn hint(&self) -> Option<String> {
        self.source
            .as_db_error()
            .and_then(|d| d.hint())
            .map(str::to_owned)
    }
}

/// What a query that found its connection gone reports.
pub const CONNECTION_LOST: &str = "the server closed the connection (was it stopped or restarted?)";

/// Whether a described SQL error means the server went away: the connection
/// closed, or the server's shutdown / crash recovery codes (class 57P).
pub(crate) fn is_connection_lost(e: &tokio_postgres::Error) -> bool {
    e.is_closed()
        || e.as_db_error()
            .is_some_and(|d| d.code().code().starts_with("57P"))
}

/// The server's message and detail, or the driver's own text.
pub fn describe_sql_error(e: &tokio_postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        if e.is_closed() {
            // tokio-postgres says only "connection closed"; the server's own
            // FATAL (e.g. shutdown) went to the connection task.
            return CONNECTION_LOST.to_owned();
        }
        return chain(e);
    };
    match db.detail() {
        Some(detail) => format!("{} ({detail})", db.message()),
        None => db.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_skips_repeated_levels() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let io = std::io::Error::other("inner cause");
        assert_eq!(chain(&Outer(io)), "outer: inner cause");
    }

    #[test]
    fn messages_and_hints() {
        let cases: Vec<(ConnectError, &str, Option<&str>)> = vec![
            (
                ConnectError::Timeout {
                    target: "postgresql://app:****@127.0.0.1:5999/app".into(),
                    after: Duration::from_secs(1),
                },
                "could not connect to `postgresql://app:****@127.0.0.1:5999/app`: no answer within 1 s",
                Some("check that the server is running and reachable, or raise connect_timeout"),
            ),
            (
                ConnectError::UnknownParameter {
                    name: "sslcert".into(),
                },
                "unknown connection parameter `sslcert`: supported are host, port, user, password, \
                 dbname, sslmode, sslrootcert, application_name, options, connect_timeout, passfile",
                Some("remove the parameter or check its spelling"),
            ),
            (
                ConnectError::RootCert {
                    path: "/nope/root.crt".into(),
                    reason: "file does not exist".into(),
                },
                "cannot use root certificate `/nope/root.crt`: file does not exist",
                Some(
                    "point sslrootcert (or PGSSLROOTCERT) at the CA certificate that signed the \
                     server's certificate, or use sslmode=require to skip verification",
                ),
            ),
        ];
        for (err, message, hint) in cases {
            assert_eq!(err.to_string(), message);
            assert_eq!(err.hint().as_deref(), hint);
        }
    }
}
