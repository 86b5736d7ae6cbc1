//! A database's URL in the style its service's client library reads.
//!
//! - `plain`: [`ConnInfo::to_url`], password included (handing it on is the
//!   job of `env`), selecting a schema placement's schema with libpq's `options`
//!   ([`crate::wiring::service_url`]).
//! - `prisma`: plus `schema=<schema>`, Prisma's way of choosing the schema
//!   (<https://www.prisma.io/docs/orm/overview/databases/postgresql#connection-details>):
//!   the placement's schema, else the database's first owned schema.
//! - `asyncpg`: SQLAlchemy's `postgresql+asyncpg://` scheme, with `ssl=` for
//!   libpq's `sslmode=` and no other query parameter: SQLAlchemy passes each
//!   one to `asyncpg.connect()` as a keyword, and (checked with SQLAlchemy
//!   2.1.9 and asyncpg 0.32.0) `sslmode`, `sslrootcert`, `application_name`,
//!   `options`, `connect_timeout` and `search_path` all fail with a
//!   `TypeError`. A schema placement's `search_path` cannot ride in this URL:
//!   the service passes it as `connect_args={"server_settings": ...}`.

use crate::connect::{ConnInfo, url_encode};
use crate::manifest::UrlStyle;
use crate::topology::Placement;

/// `info`'s URL for `placement`, spelled in `style`.
pub fn styled_url(info: &ConnInfo, placement: &Placement, style: UrlStyle) -> String {
    let url = info.to_url();
    match style {
        UrlStyle::Plain => crate::wiring::service_url(info, placement),
        UrlStyle::Prisma => {
            let schema = placement
                .schema
                .as_deref()
                .or(placement.owned_schemas.first().map(String::as_str))
                .unwrap_or("public");
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}schema={}", url_encode(schema))
        }
        UrlStyle::Asyncpg => {
            let rest = url.strip_prefix("postgresql://").unwrap_or(&url);
            let (base, query) = match rest.split_once('?') {
                Some((base, query)) => (base, Some(query)),
                None => (rest, None),
            };
            let mut out = format!("postgresql+asyncpg://{base}");
            let ssl = query
                .into_iter()
                .flat_map(|q| q.split('&'))
                .find_map(|p| p.strip_prefix("sslmode="));
            if let Some(mode) = ssl {
                out.push_str("?ssl=");
                out.push_str(mode);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Env;

    fn info(url: &str) -> ConnInfo {
        let var = |_: &str| None;
        ConnInfo::parse_with(
            url,
            &Env {
                var: &var,
                home: None,
            },
        )
        .unwrap()
    }

    fn placement(schema: Option<&str>, owned: &[&str]) -> Placement {
        Placement {
            database: "billing".into(),
            server: "pg".into(),
            physical: "billing_db".into(),
            schema: schema.map(str::to_owned),
            owned_schemas: owned.iter().map(|s| (*s).to_owned()).collect(),
            search_path: None,
        }
    }

    #[test]
    fn each_style_spells_the_url_its_client_reads() {
        let plain = "postgresql://app:p%40ss@db.example.com:5432/billing_db";
        let tls = "postgresql://app:pw@db.example.com:5432/billing_db?sslmode=require&application_name=api";
        let cases = [
            (
                plain,
                None,
                &["public"][..],
                UrlStyle::Plain,
                plain.to_owned(),
            ),
            (
                plain,
                None,
                &["billing", "public"][..],
                UrlStyle::Prisma,
                format!("{plain}?schema=billing"),
            ),
            (
                tls,
                Some("My Schema"),
                &["My Schema"][..],
                UrlStyle::Prisma,
                format!("{tls}&schema=My%20Schema"),
            ),
            (
                plain,
                None,
                &["public"][..],
                UrlStyle::Asyncpg,
                "postgresql+asyncpg://app:p%40ss@db.example.com:5432/billing_db".to_owned(),
            ),
            (
                tls,
                None,
                &["public"][..],
                UrlStyle::Asyncpg,
                "postgresql+asyncpg://app:pw@db.example.com:5432/billing_db?ssl=require".to_owned(),
            ),
            (
                "postgresql://app:pw@db.example.com:5432/billing_db?application_name=api&connect_timeout=3&options=-c%20x%3D1",
                Some("billing"),
                &["billing"][..],
                UrlStyle::Asyncpg,
                "postgresql+asyncpg://app:pw@db.example.com:5432/billing_db".to_owned(),
            ),
        ];
        for (url, schema, owned, style, want) in cases {
            let got = styled_url(&info(url), &placement(schema, owned), style);
            assert_eq!(got, want, "{url} as {style:?}");
        }
    }
}
