//! The environment a service gets for one logical database: what `exec`
//! sets for its command and what `env` prints.
//!
//! These two hand the real password on, since that is their job (SPEC,
//! Safety); nothing else here logs or prints.

use std::path::Path;

use crate::connect::{ConnInfo, Host, quote_ident};
use crate::fleet::{Fleet, FleetError};
use crate::topology::Placement;

/// Variables for `placement`, in a stable order.
pub fn service_env(
    fleet: &Fleet,
    placement: &Placement,
) -> Result<Vec<(String, String)>, FleetError> {
    let info = fleet.conninfo(placement)?;
    Ok(vars_for(&info, placement))
}

/// Runs a manifest command (`runner`, `seed_command`) through `sh -c` in
/// `cwd` with `vars` added to our environment. Its stdout goes to our
/// stderr, so `--json` output stays one document. `Err` says how it ended:
/// "exited with status 3", "was killed by a signal", "could not start: ...".
pub async fn run_shell(
    cwd: &Path,
    vars: Vec<(String, String)>,
    command: &str,
) -> Result<(), String> {
    let stderr = std::io::stderr();
    let stdout_to_stderr = std::os::fd::AsFd::as_fd(&stderr)
        .try_clone_to_owned()
        .map_or_else(
            |_| std::process::Stdio::inherit(),
            std::process::Stdio::from,
        );
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .envs(vars)
        .stdin(std::process::Stdio::null())
        .stdout(stdout_to_stderr)
        .status()
        .await;
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(match s.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        }),
        Err(e) => Err(format!("could not start: {e}")),
    }
}

/// The URL a service gets for `placement`: for a schema placement it selects that
/// schema itself (`options=-c search_path=<schema>,public`, which libpq, psycopg,
/// node-postgres, sqlx and Diesel all read), so a client handed only the URL sees
/// its tables.
pub fn service_url(info: &ConnInfo, placement: &Placement) -> String {
    let Some(schema) = &placement.schema else {
        return info.to_url();
    };
    let mut info = info.clone();
    let search_path = search_path_option(schema);
    info.options = Some(match info.options.take() {
        Some(options) if !options.trim().is_empty() => format!("{options} {search_path}"),
        _ => search_path,
    });
    info.to_url()
}

fn vars_for(info: &ConnInfo, placement: &Placement) -> Vec<(String, String)> {
    let host = match &info.host {
        Host::Tcp(h) => h.clone(),
        Host::Socket(dir) => dir.display().to_string(),
    };
    let mut vars = vec![
        ("DATABASE_URL".to_owned(), service_url(info, placement)),
        ("PGHOST".to_owned(), host),
        ("PGPORT".to_owned(), info.port.to_string()),
        ("PGUSER".to_owned(), info.user.clone()),
        ("PGDATABASE".to_owned(), info.dbname.clone()),
    ];
    if let Some(password) = info.password() {
        vars.push(("PGPASSWORD".to_owned(), password.to_owned()));
    }
    if let Some(schema) = &placement.schema {
        vars.push(("PGOPTIONS".to_owned(), search_path_option(schema)));
    }
    vars
}

/// `-c search_path=<schema>,public` as libpq's `options` wants it: spaces
/// and backslashes escaped with a backslash.
fn search_path_option(schema: &str) -> String {
    let simple = schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let name = if simple {
        schema.to_owned()
    } else {
        quote_ident(schema)
    };
    let value = if schema == "public" {
        name
    } else {
        format!("{name},public")
    };
    let escaped: String = value
        .chars()
        .flat_map(|c| match c {
            ' ' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("-c search_path={escaped}")
}

/// `NAME_DATABASE_URL` for a logical database, e.g. `cds_client` ->
/// `CDS_CLIENT_DATABASE_URL`.
pub fn url_variable(database: &str) -> String {
    let upper: String = database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{upper}_DATABASE_URL")
}

/// `KEY=value` for a dotenv file or a POSIX shell: values with anything
/// beyond a safe set are single-quoted.
pub fn assignment(key: &str, value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if safe {
        format!("{key}={value}")
    } else {
        format!("{key}='{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_path_options_escape_like_libpq() {
        assert_eq!(
            search_path_option("billing"),
            "-c search_path=billing,public"
        );
        assert_eq!(search_path_option("public"), "-c search_path=public");
        assert_eq!(
            search_path_option("My Schema"),
            r#"-c search_path="My\ Schema",public"#
        );
    }

    #[test]
    fn names_and_quoting() {
        assert_eq!(url_variable("cds-client"), "CDS_CLIENT_DATABASE_URL");
        assert_eq!(
            assignment("A", "postgresql://u@h:1/d"),
            "A=postgresql://u@h:1/d"
        );
        assert_eq!(assignment("A", "it's x"), r"A='it'\''s x'");
        assert_eq!(assignment("A", ""), "A=''");
    }
}
