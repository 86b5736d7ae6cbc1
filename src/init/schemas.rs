//! The schemas a migration tool is told to manage, so the logical database
//! `init` writes owns them and every command (`schema dump`, `drift`,
//! `clean`, `backup`) looks there: drizzle-kit's `schemaFilter` and Prisma's
//! `schemas = [...]` in its `datasource` block (multiSchema).

use std::fs;
use std::path::{Path, PathBuf};

use crate::migrate::formats::{self, Format};

/// The schemas found for one migration folder and where they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub schemas: Vec<String>,
    /// The file they came from, relative to the workspace, and the setting.
    pub from: String,
}

/// The schemas `format`'s own configuration names for the folder `dir`;
/// `None` when it names none (the tool then works in `public`), `Err` with
/// the reason when it names them in a way pgfleet cannot read.
pub fn managed(root: &Path, dir: &Path, format: Format) -> Option<Result<Managed, String>> {
    let (path, schemas) = match format {
        Format::Drizzle => match formats::schema_filter(dir)? {
            Ok(found) => found,
            Err(e) => return Some(Err(crate::manifest::relative_in(root, &e))),
        },
        Format::Prisma => prisma_schemas(dir)?,
        _ => return None,
    };
    if schemas.is_empty() {
        return None;
    }
    let setting = if format == Format::Drizzle {
        "schemaFilter"
    } else {
        "datasource schemas"
    };
    let shown = path.strip_prefix(root).unwrap_or(&path).display();
    Some(Ok(Managed {
        schemas,
        from: format!("{setting} in {shown}"),
    }))
}

/// `schemas = [...]` in the `datasource` block of the Prisma schema that
/// sits beside a migrations folder (`prisma/schema.prisma`, or the files of
/// a `prisma/schema/` folder).
fn prisma_schemas(dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let parent = dir.parent()?;
    let mut files: Vec<PathBuf> = [
        parent.to_path_buf(),
        parent.join("schema"),
        dir.to_path_buf(),
    ]
    .iter()
    .flat_map(|d| fs::read_dir(d).into_iter().flatten().flatten())
    .map(|e| e.path())
    .filter(|p| p.extension().is_some_and(|e| e == "prisma") && p.is_file())
    .collect();
    files.sort();
    files.into_iter().find_map(|path| {
        let text = fs::read_to_string(&path).ok()?;
        datasource_schemas(&text).map(|schemas| (path, schemas))
    })
}

/// The names in `schemas = ["a", "b"]` inside `datasource NAME { ... }`.
fn datasource_schemas(text: &str) -> Option<Vec<String>> {
    let code: String = text
        .lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    let start = code
        .match_indices("datasource")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || code[..i].ends_with(['\n', ' ', '\t']))?;
    let open = start + code[start..].find('{')?;
    let close = open + code[open..].find('}')?;
    let block = &code[open + 1..close];
    let at = block
        .match_indices("schemas")
        .map(|(i, _)| i)
        .find(|&i| block[i + "schemas".len()..].trim_start().starts_with('='))?;
    let rest = block[at..]
        .split_once('=')?
        .1
        .trim_start()
        .strip_prefix('[')?;
    let list = &rest[..rest.find(']')?];
    Some(
        list.split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prisma_datasource_schemas() {
        let cases = [
            (
                "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n  schemas  = [\"base\", \"transactional\"]\n}\n",
                Some(vec!["base", "transactional"]),
            ),
            (
                "generator client {\n  previewFeatures = [\"multiSchema\"]\n}\n\ndatasource db {\n  provider = \"postgresql\"\n  schemas = [\n    \"auth\",\n    \"public\", // the default\n  ]\n}\n",
                Some(vec!["auth", "public"]),
            ),
            (
                "datasource db {\n  provider = \"postgresql\"\n  // schemas = [\"x\"]\n}\nmodel A {\n  id Int @id\n  @@schema(\"x\")\n}\n",
                None,
            ),
            ("model A {\n  id Int @id\n}\n", None),
        ];
        for (text, want) in cases {
            let want = want.map(|w| w.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(datasource_schemas(text), want, "{text}");
        }
    }
}
