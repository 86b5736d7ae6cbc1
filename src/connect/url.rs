//! Rendering a `ConnInfo` as a libpq URL, and masking passwords in raw input.
//!
//! Both live here because both must agree on what a URL's password is: the renderer writes
//! it (or `****`), and `redact_input` finds it again in text the user typed, including text
//! that failed to parse, so an error message can echo the input without the secret.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::parse::{KvScan, scan_kv, url_scheme};
use super::{ConnInfo, DEFAULT_CONNECT_TIMEOUT, Host, MASK, SslMode};

/// Everything but RFC 3986 "unreserved" characters is encoded, which is safe in every part
/// of the URL and which libpq decodes everywhere.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one URL component (user, password, host, database, a query value).
pub(crate) fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Renders `info` as `postgresql://user[:password]@host:port/dbname[?params]`.
///
/// `password` is passed separately so the same code renders the real and the masked form
/// (the mask is written verbatim, not encoded). Settings equal to our defaults
/// (`sslmode=prefer`, `connect_timeout=10`) are left out to keep messages short.
pub(crate) fn render(info: &ConnInfo, password: Option<&str>) -> String {
    let mut out = String::from("postgresql://");
    out.push_str(&enc(&info.user));
    if let Some(password) = password {
        out.push(':');
        if password == MASK {
            out.push_str(MASK);
        } else {
            out.push_str(&enc(password));
        }
    }
    out.push('@');
    match &info.host {
        // libpq documents a percent-encoded socket directory in the host position.
        Host::Socket(dir) => out.push_str(&enc(&dir.to_string_lossy())),
        Host::Tcp(name) if name.contains(':') => {
            out.push('[');
            out.push_str(name);
            out.push(']');
        }
        Host::Tcp(name) => out.push_str(&enc(name)),
    }
    out.push(':');
    out.push_str(&info.port.to_string());
    out.push('/');
    out.push_str(&enc(&info.dbname));

    let mut params: Vec<(&str, String)> = Vec::new();
    if info.sslmode != SslMode::Prefer {
        params.push(("sslmode", info.sslmode.to_string()));
    }
    if let Some(root) = &info.sslrootcert {
        params.push(("sslrootcert", root.to_string_lossy().into_owned()));
    }
    if let Some(app) = &info.application_name {
        params.push(("application_name", app.clone()));
    }
    if let Some(options) = &info.options {
        params.push(("options", options.clone()));
    }
    if let Some(timeout) = info.connect_timeout
        && timeout != DEFAULT_CONNECT_TIMEOUT
    {
        // libpq takes whole seconds; round up so a sub-second limit does not become 0
        // (which would mean "wait forever").
        let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        params.push(("connect_timeout", secs.to_string()));
    }
    for (i, (key, value)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&enc(value));
    }
    out
}

/// Splits a URL's text after `scheme://` into (userinfo, rest), using the LAST `@` before
/// the query. The parser splits the same way, so a password holding an unencoded `/`, `:`
/// or `@` is still taken as a password and masked, never echoed as a "host" or "port".
pub(crate) fn split_userinfo(after_scheme: &str) -> (Option<&str>, &str) {
    let query_start = after_scheme.find('?').unwrap_or(after_scheme.len());
    match after_scheme[..query_start].rfind('@') {
        Some(at) => (Some(&after_scheme[..at]), &after_scheme[at + 1..]),
        None => (None, after_scheme),
    }
}

/// Masks every password in raw, possibly malformed, connection-string text.
pub(crate) fn redact_input(input: &str) -> String {
    // Decided exactly as the parser decides, so `options='-c x=file://y'` stays `key=value`.
    let input = input.trim();
    match url_scheme(input) {
        Some((scheme, _)) => redact_url(input, scheme.len() + 3),
        None => redact_kv(input),
    }
}

fn redact_url(input: &str, body_start: usize) -> String {
    let (scheme, body) = input.split_at(body_start);
    let mut out = String::from(scheme);
    let (userinfo, rest) = split_userinfo(body);
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => {
                out.push_str(user);
                out.push(':');
                out.push_str(MASK);
            }
            None => out.push_str(userinfo),
        }
        out.push('@');
    }
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let pieces: Vec<String> = query
                .split('&')
                .map(|piece| match piece.split_once('=') {
                    Some((key, _)) if is_password_key(key) => format!("{key}={MASK}"),
                    _ => piece.to_owned(),
                })
                .collect();
            out.push_str(&pieces.join("&"));
        }
    }
    out
}

fn is_password_key(raw_key: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(raw_key).decode_utf8_lossy();
    decoded.trim().eq_ignore_ascii_case("password")
}

fn redact_kv(input: &str) -> String {
    // The scanner reports where each value sits in the input, so masking replaces exactly
    // the value, quoted or not, escapes included.
    let KvScan { pairs, failure } = scan_kv(input);
    let mut out = String::new();
    let mut copied = 0;
    for pair in &pairs {
        if pair.key == "password" {
            out.push_str(&input[copied..pair.value_span.start]);
            out.push_str(MASK);
            copied = pair.value_span.end;
        }
    }
    if let Some(failure) = failure {
        if failure.key.as_deref() == Some("password") {
            // An unterminated quote: the rest of the input is the password.
            out.push_str(&input[copied..failure.at]);
            out.push_str(MASK);
            return out;
        }
        if pairs.last().is_some_and(|pair| pair.key == "password") {
            // A word without `=` right after a password is most likely the rest of an
            // unquoted password holding a space: drop everything after the mask.
            return out;
        }
    }
    out.push_str(&input[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_input_masks_passwords_in_any_shape() {
        let cases = [
            (
                "postgresql://app:s3cret@host:5432/db",
                "postgresql://app:****@host:5432/db",
            ),
            (
                "postgres://app:s3/c:r@et@host/db?sslmode=require",
                "postgres://app:****@host/db?sslmode=require",
            ),
            (
                "postgresql://host/db?user=a&password=s3cret&x=1",
                "postgresql://host/db?user=a&password=****&x=1",
            ),
            (
                "postgresql://host/db?pass%77ord=s3cret",
                "postgresql://host/db?pass%77ord=****",
            ),
            ("postgresql://app@host/db", "postgresql://app@host/db"),
            (
                "bogus://app:s3cret@host:xx/db",
                "bogus://app:****@host:xx/db",
            ),
            (
                "host=h password=s3cret user=u",
                "host=h password=**** user=u",
            ),
            (
                "host=h password = 'it\\'s s3cret' user=u",
                "host=h password = **** user=u",
            ),
            ("host=h password='s3cret", "host=h password=****"),
            ("host=h password=s3 cret", "host=h password=****"),
            ("host=h password=", "host=h password=****"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_input(input), want, "{input}");
        }
    }
}
