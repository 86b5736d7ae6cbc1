//! A database's URL in the style its service's client library reads.
//!
//! - `plain`: [`ConnInfo::to_url`], password included (handing it on is the
//!   job of `env`), selecting a schema placement's schema with libpq's `options`
//!   ([`crate::wiring::service_url`]).
//! - `prisma`: plus `schema=<schema>`, Prisma's way of choosing the schema
//!   (<https://www.prisma.io/docs/orm/overview/databases/postgresql#connection-details>):
//!   the placement's schema, else the database's first owned schema.
//! - `asyncpg`: SQLAlchemy's `postgresql+asyncpg://` scheme; asyncpg takes
//!   `ssl=` where libpq takes `sslmode=` (SQLAlchemy passes query parameters
//!   to `asyncpg.connect()`, which has no `sslmode` argument).

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
            if let Some(query) = query {
                let params: Vec<String> = query
                    .split('&')
                    .map(|p| match p.strip_prefix("sslmode=") {
                        Some(mode) => format!("ssl={mode}"),
                        None => p.to_owned(),
                    })
                    .collect();
                out.push('?');
                out.push_str(&params.join("&"));
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
            (plain, None, &["public"][..], UrlStyle::Plain, plain.to_owned()),
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
                "postgresql+asyncpg://app:pw@db.example.com:5432/billing_db?ssl=require&application_name=api"
                    .to_owned(),
            ),
        ];
        for (url, schema, owned, style, want) in cases {
            let got = styled_url(&info(url), &placement(schema, owned), style);
            assert_eq!(got, want, "{url} as {style:?}");
        }
    }
}
