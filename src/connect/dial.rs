//! Turning a `ConnInfo` into a connected `tokio_postgres::Client`.
//!
//! The `tokio_postgres::Config` is built field by field (it would reject our sslmodes if
//! handed the string), the `.pgpass` password is looked up here (the database may have
//! changed since parsing), and the whole attempt — TCP, TLS, startup and authentication —
//! runs under one `tokio::time::timeout`, because tokio-postgres' own `connect_timeout`
//! only limits the socket connect and a server that accepts but never answers would
//! otherwise hang us forever.

use std::error::Error as StdError;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, Connection, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::chain;
use super::pgpass::{self, Target};
use super::{ConnInfo, ConnectError, Host, SslMode, tls};

pub(crate) async fn connect(info: &ConnInfo) -> Result<Client, ConnectError> {
    // Zero means "wait forever", as libpq's connect_timeout=0 does.
    let limit = info.connect_timeout.filter(|d| !d.is_zero());
    let attempt = attempt(info, limit);
    match limit {
        None => attempt.await,
        Some(after) => tokio::time::timeout(after, attempt)
            .await
            .unwrap_or_else(|_elapsed| {
                Err(ConnectError::Timeout {
                    target: info.redacted_url(),
                    after,
                })
            }),
    }
}

/// How long a TCP connection may go without a sign of life from the server host:
/// keepalive probes after 30 s of silence, every 10 s, 3 unanswered ones end it; sent
/// data left unacknowledged for 60 s ends it too (Linux `TCP_USER_TIMEOUT`). A server
/// host that vanishes mid-run (power, network) then fails the run in about a minute
/// instead of the kernel defaults' two hours (keepalive) or fifteen minutes
/// (retransmissions). A long statement is not affected: the server's kernel keeps
/// answering. A server that answers TCP but never replies is bounded by
/// `statement_timeout` (in the URL's `options`), not here.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

fn bound_tcp(config: &mut Config) {
    config
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .keepalives_interval(KEEPALIVE_INTERVAL)
        .keepalives_retries(KEEPALIVE_RETRIES)
        .tcp_user_timeout(TCP_USER_TIMEOUT);
}

async fn attempt(info: &ConnInfo, limit: Option<Duration>) -> Result<Client, ConnectError> {
    let mut config = Config::new();
    config.user(&info.user).dbname(&info.dbname).port(info.port);
    bound_tcp(&mut config);
    if let Some(app) = &info.application_name {
        config.application_name(app);
    }
    if let Some(options) = &info.options {
        config.options(options);
    }
    if let Some(limit) = limit {
        // Also per socket connect, so that with several addresses (localhost: ::1 then
        // 127.0.0.1) an unreachable first one cannot use up the whole budget alone.
        config.connect_timeout(limit);
    }
    if let Some(password) = password(info).await {
        config.password(password);
    }

    let tls_config = match &info.host {
        Host::Socket(dir) => {
            // The server never offers TLS on a Unix socket, and there is no host name to
            // verify.
            config.host_path(dir).ssl_mode(PgSslMode::Disable);
            return finish(config.connect(NoTls).await, info);
        }
        Host::Tcp(name) => {
            config.host(name);
            match info.sslmode {
                SslMode::Disable => {
                    config.ssl_mode(PgSslMode::Disable);
                    return finish(config.connect(NoTls).await, info);
                }
                // libpq's `allow` tries plain first and TLS second; tokio-postgres can only
                // try TLS first, which gives the same result against any server that
                // accepts either, and is the safer order.
                SslMode::Allow | SslMode::Prefer => {
                    config.ssl_mode(PgSslMode::Prefer);
                    tls::no_verify()?
                }
                SslMode::Require => {
                    config.ssl_mode(PgSslMode::Require);
                    // libpq: "if a root CA file exists, the behavior of sslmode=require
                    // will be the same as that of verify-ca".
                    match info.rootcert_path().filter(|p| p.is_file()) {
                        Some(path) => tls::verify_ca(tls::load_roots(&path)?)?,
                        None => tls::no_verify()?,
                    }
                }
                SslMode::VerifyCa | SslMode::VerifyFull => {
                    config.ssl_mode(PgSslMode::Require);
                    let path = info.rootcert_path().ok_or_else(|| ConnectError::RootCert {
                        path: "~/.postgresql/root.crt".into(),
                        reason: "no sslrootcert given and no home directory to find the \
                                     default in"
                            .to_owned(),
                    })?;
                    let roots = tls::load_roots(&path)?;
                    if info.sslmode == SslMode::VerifyCa {
                        tls::verify_ca(roots)?
                    } else {
                        tls::verify_full(roots)?
                    }
                }
            }
        }
    };
    finish(
        config.connect(MakeRustlsConnect::new(tls_config)).await,
        info,
    )
}

/// The password from the string or `PGPASSWORD`, else from `.pgpass`.
async fn password(info: &ConnInfo) -> Option<String> {
    if let Some(password) = info.password() {
        return Some(password.to_owned());
    }
    let path = info.passfile.as_ref()?;
    let target = Target {
        host: &info.host,
        port: info.port,
        dbname: &info.dbname,
        user: &info.user,
    };
    pgpass::lookup(path, &target).await
}

/// Spawns the connection task and hands back the client, or classifies the failure.
fn finish<S, T>(
    result: Result<(Client, Connection<S, T>), tokio_postgres::Error>,
    info: &ConnInfo,
) -> Result<Client, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match result {
        Ok((client, connection)) => {
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(error = %chain(&err), "PostgreSQL connection ended with an error");
                }
            });
            Ok(client)
        }
        Err(err) => Err(classify(err, info)),
    }
}

fn classify(err: tokio_postgres::Error, info: &ConnInfo) -> ConnectError {
    let target = info.redacted_url();
    let user = info.user.clone();
    if err.code() == Some(&SqlState::INVALID_PASSWORD)
        || err.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    {
        return ConnectError::AuthFailed {
            user,
            target,
            source: err,
        };
    }
    let text = chain(&err);
    // tokio-postgres reports a password request it cannot answer as a config error with
    // this text; it has no kind accessor to test instead.
    if text.ends_with("password missing") {
        return ConnectError::PasswordMissing { user, target };
    }
    if is_tls(&err) {
        return ConnectError::Tls {
            target,
            chain: text,
        };
    }
    ConnectError::Connect {
        target,
        source: err,
    }
}

/// Whether the failure happened in the TLS layer. tokio-postgres exposes no error kind, so
/// look for a rustls error down the chain (inside an `io::Error`, whose `source()` skips
/// it) or for tokio-postgres' TLS wording ("server does not support TLS").
fn is_tls(err: &tokio_postgres::Error) -> bool {
    if err.to_string() == "error performing TLS handshake" {
        return true;
    }
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(<dyn StdError + Send + Sync>::is::<rustls::Error>)
        {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_connections_are_bounded() {
        let mut config = Config::new();
        bound_tcp(&mut config);
        assert!(config.get_keepalives());
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(30));
        assert_eq!(
            config.get_keepalives_interval(),
            Some(Duration::from_secs(10))
        );
        assert_eq!(config.get_keepalives_retries(), Some(3));
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(60))
        );
    }
}
