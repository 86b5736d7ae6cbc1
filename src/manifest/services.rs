//! `[services.NAME]`: which `.env` file a service reads, which variables in it
//! hold which logical database's URL, and in which URL style.
//!
//! Checked here, used by `pgfleet env --write` (see [`crate::envfile`]).

use std::path::PathBuf;

use toml::Spanned;

use super::interpolate::is_var_name;
use super::raw::{RawService, Text};
use super::{Manifest, ManifestError, suggest};

/// How a URL is spelled for the client library a service uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrlStyle {
    /// libpq's `postgresql://` URL, as `pgfleet env` prints it.
    #[default]
    Plain,
    /// Prisma: the plain URL plus `schema=<schema>`.
    Prisma,
    /// SQLAlchemy with asyncpg: `postgresql+asyncpg://`, `ssl=` for `sslmode=`.
    Asyncpg,
}

impl UrlStyle {
    pub const ALL: [UrlStyle; 3] = [UrlStyle::Plain, UrlStyle::Prisma, UrlStyle::Asyncpg];

    pub fn as_str(self) -> &'static str {
        match self {
            UrlStyle::Plain => "plain",
            UrlStyle::Prisma => "prisma",
            UrlStyle::Asyncpg => "asyncpg",
        }
    }
}

/// A checked `[services.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// The `.env` file, absolute.
    pub env_file: PathBuf,
    pub url_style: UrlStyle,
    /// (variable, logical database), in the order the manifest lists them.
    pub vars: Vec<(String, String)>,
}

impl Manifest {
    /// Checks one `[services.NAME]` against the declared databases.
    pub(super) fn check_service(
        &self,
        name: &Text,
        raw: RawService,
    ) -> Result<Service, ManifestError> {
        let key = |k: &str| format!("services.{}.{k}", name.get_ref());
        let Some(env_file) = &raw.env_file else {
            return Err(self.invalid(
                name.span().start,
                &format!("services.{}", name.get_ref()),
                "a service needs `env_file = \"...\"`",
                "name the service's .env file, relative to the workspace",
            ));
        };
        let file = self.expand(&key("env_file"), env_file)?;
        if file.is_empty() || file.ends_with('/') {
            return Err(self.invalid(
                env_file.span().start,
                &key("env_file"),
                &format!("`{file}` is not a file name"),
                "name a file, e.g. `services/api/.env`",
            ));
        }
        let url_style = match &raw.url_style {
            None => UrlStyle::default(),
            Some(style) => self.url_style(&key("url_style"), style)?,
        };
        let mut vars: Vec<(Text, Text)> = raw.vars.into_iter().collect();
        vars.sort_by_key(|(var, _)| var.span().start);
        let mut checked = Vec::with_capacity(vars.len());
        for (var, database) in vars {
            if !is_var_name(var.get_ref()) {
                return Err(self.invalid(
                    var.span().start,
                    &key("vars"),
                    &format!("`{}` is not a variable name", var.get_ref()),
                    "variable names are letters, digits and `_`, not starting with a digit",
                ));
            }
            if !self.databases.contains_key(database.get_ref()) {
                return Err(self.unknown(
                    &database,
                    "database",
                    &key(&format!("vars.{}", var.get_ref())),
                    self.databases.keys(),
                ));
            }
            checked.push((var.into_inner(), database.into_inner()));
        }
        Ok(Service {
            name: name.get_ref().clone(),
            env_file: self.root.join(file),
            url_style,
            vars: checked,
        })
    }

    fn url_style(&self, key: &str, text: &Spanned<String>) -> Result<UrlStyle, ManifestError> {
        let value = text.get_ref().as_str();
        if let Some(style) = UrlStyle::ALL.into_iter().find(|s| s.as_str() == value) {
            return Ok(style);
        }
        let names = UrlStyle::ALL.map(UrlStyle::as_str);
        let styles = names.map(|s| format!("`{s}`")).join(", ");
        let hint = match suggest(value, names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "leave `url_style` out for `plain`".to_owned(),
        };
        Err(self.invalid(
            text.span().start,
            key,
            &format!("unknown URL style `{value}`; the styles are {styles}"),
            &hint,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::from_str_for_test(
            &format!("[databases.auth]\n[databases.billing]\n{text}"),
            &[],
        )
    }

    #[test]
    fn services_keep_their_vars_in_manifest_order() {
        let m = load(
            "[services.api]\nenv_file = \"api/.env\"\nurl_style = \"prisma\"\n[services.api.vars]\nZ_URL = \"billing\"\nA_URL = \"auth\"\n",
        )
        .unwrap();
        let api = &m.services["api"];
        assert_eq!(api.url_style, UrlStyle::Prisma);
        assert_eq!(api.env_file, m.root.join("api/.env"));
        assert_eq!(
            api.vars,
            [
                ("Z_URL".to_owned(), "billing".to_owned()),
                ("A_URL".to_owned(), "auth".to_owned())
            ]
        );
        let m = load("[services.w]\nenv_file = \".env\"\n").unwrap();
        assert_eq!(m.services["w"].url_style, UrlStyle::Plain);
    }

    #[test]
    fn bad_services_are_named_with_their_line() {
        let cases = [
            (
                "[services.api]\nenv_file = \".env\"\nvars = { URL = \"biling\" }\n",
                "unknown database `biling` in `services.api.vars.URL` at ",
                ":5:",
                Some("did you mean `billing`?"),
            ),
            (
                "[services.api]\nenv_file = \".env\"\nurl_style = \"prismo\"\n",
                "invalid value for `services.api.url_style` in ",
                ":5:",
                Some("did you mean `prisma`?"),
            ),
            (
                "[services.api]\nenv_file = \".env\"\nvars = { \"1URL\" = \"auth\" }\n",
                "`1URL` is not a variable name",
                ":5:",
                None,
            ),
            (
                "[services.api]\nurl_style = \"plain\"\n",
                "a service needs `env_file",
                ":3:",
                None,
            ),
            (
                "[services.api]\nenv_file = \".env\"\nurl_styel = \"plain\"\n",
                "unknown key `url_styel`",
                ":5:",
                Some("did you mean `url_style`?"),
            ),
        ];
        for (text, message, line, hint) in cases {
            let err = load(text).unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains(message), "{shown}\n  lacks {message}");
            assert!(shown.contains(line), "{shown}\n  lacks {line}");
            if let Some(hint) = hint {
                assert_eq!(err.hint().as_deref(), Some(hint), "{shown}");
            }
        }
        let err = load("[services.api]\nenv_file = \".env\"\nurl_style = \"zzz\"\n").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("unknown URL style `zzz`; the styles are `plain`, `prisma`, `asyncpg`"),
            "{err}"
        );
    }
}
