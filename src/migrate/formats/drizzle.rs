//! drizzle-kit's `out` folder, in both layouts drizzle-kit writes:
//!
//! - 0.x: `<tag>.sql` files listed by `meta/_journal.json` (`entries[].idx`, `when`,
//!   `tag`, `breakpoints`); the journal, not the file listing, gives order and names;
//! - 1.x: one folder per migration, `<YYYYMMDDHHMMSS>_<name>/migration.sql` with its
//!   `snapshot.json`, ordered by folder name.
//!
//! drizzle's migrator (drizzle-orm `migrator.ts`, checked against drizzle-orm 0.45.4 and
//! 1.0.0-rc.5) splits each file on `--> statement-breakpoint` and stores the SHA-256 of
//! the whole file text in `drizzle.__drizzle_migrations (id, hash, created_at[, name])`,
//! where `created_at` is the journal's `when`, not the time it ran. Adoption matches rows
//! by that hash (and, for 1.x, by the folder name it also stores).
//!
//! The marker is a `--` comment to PostgreSQL, so the file runs as written through the
//! psql-compatible splitter; a chunk whose last statement has no `;` gets one before the
//! marker, on the same line, so each chunk stays its own statement as in drizzle.

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    Folder, Format, FormatError, Migration, PeerTable, Version, file_name, finish, io_error, list,
    read_source, split_version_name,
};
use crate::migrate::script;

pub(super) const DEFAULT_TABLE: &str = "__drizzle_migrations";
const DEFAULT_SCHEMA: &str = "drizzle";
pub(super) const BREAKPOINT: &str = "--> statement-breakpoint";
const CONFIG_NAMES: [&str; 7] = [
    "drizzle.config.ts",
    "drizzle.config.js",
    "drizzle.config.mjs",
    "drizzle.config.cjs",
    "drizzle.config.mts",
    "drizzle.config.cts",
    "drizzle.config.json",
];

/// True when a sub-folder holds drizzle-kit 1.x's `migration.sql` + `snapshot.json`.
pub(super) fn has_snapshot_folders(dir: &Path) -> bool {
    list(dir).is_ok_and(|l| {
        l.dirs
            .iter()
            .any(|d| d.join("migration.sql").is_file() && d.join("snapshot.json").is_file())
    })
}

pub(super) fn read(dir: &Path, history_table: Option<&PeerTable>) -> Result<Folder, FormatError> {
    let journal = dir.join("meta").join("_journal.json");
    let mut folder = if journal.is_file() {
        read_journal(dir, &journal)?
    } else {
        read_folders(dir)?
    };
    folder.peer = Some(match history_table {
        Some(peer) => peer.clone(),
        None => peer_from_config(dir)?,
    });
    Ok(folder)
}

#[derive(serde::Deserialize)]
struct Journal {
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    #[serde(default)]
    idx: Option<u64>,
    tag: String,
    /// When drizzle-kit generated it (milliseconds since the epoch): the `created_at`
    /// drizzle's migrator records, and compares to decide what is pending.
    #[serde(default)]
    when: Option<i64>,
}

/// The journal's `when` of each migration file of a 0.x drizzle folder (the file path
/// -> milliseconds); `None` for a 1.x folder, or a journal that does not give them all.
pub fn journal_times(dir: &Path) -> Option<std::collections::BTreeMap<PathBuf, i64>> {
    let text = fs::read_to_string(dir.join("meta/_journal.json")).ok()?;
    let parsed: Journal = serde_json::from_str(&text).ok()?;
    parsed
        .entries
        .iter()
        .map(|e| Some((dir.join(format!("{}.sql", e.tag)), e.when?)))
        .collect()
}

fn read_journal(dir: &Path, journal: &Path) -> Result<Folder, FormatError> {
    let text = fs::read_to_string(journal).map_err(io_error(journal))?;
    let parsed: Journal = serde_json::from_str(&text).map_err(|e| FormatError::Syntax {
        path: journal.to_owned(),
        line: e.line(),
        message: format!("not a drizzle-kit journal ({e}); run `drizzle-kit generate` again"),
    })?;
    let tag_line = |tag: &str| {
        text.lines()
            .position(|l| l.contains(&format!("\"{tag}\"")))
            .map_or(0, |i| i + 1)
    };
    // Versions: the tags' numeric prefixes (`0000_name`, or timestamps with drizzle's
    // `prefix` option) when they rise in journal order, else the journal index.
    let prefixed: Option<Vec<(Version, &str)>> = parsed
        .entries
        .iter()
        .map(|e| split_version_name(&e.tag))
        .collect();
    let rising = prefixed
        .as_ref()
        .is_some_and(|p| p.windows(2).all(|w| w[0].0 < w[1].0));
    let mut migrations = Vec::new();
    let mut used = Vec::new();
    for (position, entry) in parsed.entries.iter().enumerate() {
        let path = dir.join(format!("{}.sql", entry.tag));
        if !path.is_file() {
            return Err(FormatError::Syntax {
                path: journal.to_owned(),
                line: tag_line(&entry.tag),
                message: format!(
                    "entry `{}` has no file `{}`; restore it, or remove the entry with `drizzle-kit drop`",
                    entry.tag,
                    path.display()
                ),
            });
        }
        let (version, name) = if let (Some(p), true) = (&prefixed, rising) {
            (p[position].0.clone(), p[position].1.to_owned())
        } else {
            let idx = entry.idx.unwrap_or(position as u64);
            let version =
                Version::parse_integer(&format!("{idx:04}")).expect("digits are a version");
            (version, entry.tag.clone())
        };
        migrations.push(migration(path.clone(), version, name)?);
        used.push(path);
    }
    let listing = list(dir)?;
    let mut unmatched: Vec<PathBuf> = listing
        .files
        .into_iter()
        .filter(|p| !used.contains(p))
        .collect();
    unmatched.extend(
        listing
            .dirs
            .into_iter()
            .filter(|d| file_name(d) != Some("meta")),
    );
    finish(dir, Format::Drizzle, migrations, unmatched)
}

fn read_folders(dir: &Path) -> Result<Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.files;
    for sub in listing.dirs {
        let script = sub.join("migration.sql");
        let parsed = file_name(&sub).and_then(split_version_name);
        let (Some((version, name)), true) = (parsed, script.is_file()) else {
            unmatched.push(sub);
            continue;
        };
        let inner = list(&sub)?;
        unmatched.extend(inner.dirs);
        unmatched.extend(
            inner
                .files
                .into_iter()
                .filter(|p| *p != script && file_name(p) != Some("snapshot.json")),
        );
        migrations.push(migration(script, version, name.to_owned())?);
    }
    finish(dir, Format::Drizzle, migrations, unmatched)
}

fn migration(path: PathBuf, version: Version, name: String) -> Result<Migration, FormatError> {
    let source = read_source(&path)?;
    // drizzle hashes the file text; for UTF-8 files that is the checksum of these bytes.
    Ok(Migration {
        up: close_chunks(&source.text),
        ..Migration::whole_file(version, name, path, source)
    })
}

/// `text` with a `;` put before each breakpoint whose chunk's last statement lacks one,
/// so the splitter never glues two of drizzle's statements together. Line numbers stay.
pub(super) fn close_chunks(text: &str) -> String {
    let chunks: Vec<&str> = text.split(BREAKPOINT).collect();
    let mut out = String::with_capacity(text.len() + chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        out.push_str(chunk);
        if i + 1 == chunks.len() {
            break;
        }
        let open = script::split(chunk)
            .ok()
            .and_then(|pieces| pieces.last().map(|p| !p.sql.trim_end().ends_with(';')))
            .unwrap_or(false);
        if open {
            out.push(';');
        }
        out.push_str(BREAKPOINT);
    }
    out
}

/// A `key: "value"` found in a drizzle config: the literal, or the text that is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Setting {
    pub value: String,
    pub line: usize,
    /// False when the value is an expression (`process.env.X`), not a plain string.
    pub literal: bool,
}

#[derive(Debug)]
pub(super) struct Config {
    pub path: PathBuf,
    pub dialect: Option<Setting>,
    table: Option<Setting>,
    schema: Option<Setting>,
}

/// The nearest `drizzle.config.*`: in the folder, or up to three folders above it (the
/// config usually sits in the package root, `out` below it).
pub(super) fn find_config(dir: &Path) -> Option<Config> {
    let path = dir
        .ancestors()
        .take(4)
        .flat_map(|d| CONFIG_NAMES.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())?;
    let text = fs::read_to_string(&path).ok()?;
    Some(parse_config(path, &text))
}

fn parse_config(path: PathBuf, text: &str) -> Config {
    // drizzle-kit's `migrations: { table, schema }`; the runtime migrator's
    // `migrationsTable` / `migrationsSchema` when the config file passes them on.
    let block =
        find_key(text, "migrations", 0, text.len()).and_then(|(_, after)| block_range(text, after));
    let inner = |key: &str| {
        block.and_then(|(from, to)| find_key(text, key, from, to).map(|(at, _)| setting(text, at)))
    };
    let top = |key: &str| find_key(text, key, 0, text.len()).map(|(at, _)| setting(text, at));
    Config {
        path,
        dialect: top("dialect"),
        table: inner("table").or_else(|| top("migrationsTable")),
        schema: inner("schema").or_else(|| top("migrationsSchema")),
    }
}

/// The first `key:` (or `"key":`) in `text[from..to]` outside `//` comment lines: the
/// offset of the value after the colon, and the same offset (for blocks).
fn find_key(text: &str, key: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut start = from;
    while let Some(found) = text[start..to].find(key) {
        let at = start + found;
        start = at + key.len();
        let before = text[..at].trim_end_matches(['"', '\'']);
        if before.as_bytes().last().is_some_and(|&b| ident(b)) {
            continue;
        }
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_head = text[line_start..at].trim_start();
        if line_head.starts_with("//") || line_head.starts_with('*') {
            continue;
        }
        let mut i = at + key.len();
        while i < to && matches!(bytes[i], b'"' | b'\'') {
            i += 1;
        }
        while i < to && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < to && bytes[i] == b':' {
            return Some((i + 1, i + 1));
        }
    }
    None
}

/// The byte range inside the `{ ... }` that starts at `from` (after whitespace).
fn block_range(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let open = from + text[from..].find(|c: char| !c.is_whitespace())?;
    if bytes[open] != b'{' {
        return None;
    }
    let mut depth = 0;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((open + 1, i));
                }
            }
            _ => {}
        }
    }
    None
}

/// The value starting at byte `at`: a plain string literal, or the expression's text.
fn setting(text: &str, at: usize) -> Setting {
    let line = text[..at].matches('\n').count() + 1;
    let rest = text[at..].trim_start();
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'));
    if let Some(q) = quote {
        if let Some(end) = rest[1..].find(q) {
            let value = &rest[1..=end];
            let template = q == '`' && value.contains("${");
            if !template && !value.contains('\n') {
                return Setting {
                    value: value.to_owned(),
                    line,
                    literal: true,
                };
            }
        }
    }
    let expr: String = rest
        .chars()
        .take_while(|c| !matches!(c, ',' | '\n' | '}'))
        .collect();
    Setting {
        value: expr.trim().to_owned(),
        line,
        literal: false,
    }
}

/// The schemas the nearest `drizzle.config.*` gives drizzle-kit to manage
/// (`schemaFilter: "billing"` or `schemaFilter: ["billing", "audit"]`),
/// with the config file. `Err` names the config and line when the value is
/// not plain string literals (an expression pgfleet cannot evaluate).
pub fn schema_filter(dir: &Path) -> Option<Result<(PathBuf, Vec<String>), String>> {
    let path = dir
        .ancestors()
        .take(4)
        .flat_map(|d| CONFIG_NAMES.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())?;
    let text = fs::read_to_string(&path).ok()?;
    let (at, _) = find_key(&text, "schemaFilter", 0, text.len())?;
    let line = text[..at].matches('\n').count() + 1;
    let rest = text[at..].trim_start();
    let unreadable = || {
        Some(Err(format!(
            "`schemaFilter` in `{}` line {line} is not a list of plain strings",
            path.display()
        )))
    };
    let Some(list) = rest.strip_prefix('[') else {
        let setting = setting(&text, at);
        if !setting.literal {
            return unreadable();
        }
        return Some(Ok((path, vec![setting.value])));
    };
    let Some(end) = list.find(']') else {
        return unreadable();
    };
    let mut schemas = Vec::new();
    for item in list[..end]
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let quoted = ['"', '\'', '`']
            .iter()
            .find_map(|q| item.strip_prefix(*q).and_then(|i| i.strip_suffix(*q)));
        match quoted {
            Some(name) if !name.contains("${") => schemas.push(name.to_owned()),
            _ => return unreadable(),
        }
    }
    Some(Ok((path, schemas)))
}

/// Where drizzle keeps its history for this folder: the config's plain literals, else
/// drizzle's defaults. A value pgfleet cannot read (an expression) is an error, since
/// guessing wrong would re-run migrations drizzle already applied.
fn peer_from_config(dir: &Path) -> Result<PeerTable, FormatError> {
    let mut peer = PeerTable {
        schema: DEFAULT_SCHEMA.to_owned(),
        table: DEFAULT_TABLE.to_owned(),
        project: None,
    };
    let Some(config) = find_config(dir) else {
        return Ok(peer);
    };
    for (setting, slot, what) in [
        (&config.table, &mut peer.table, "migrations table"),
        (&config.schema, &mut peer.schema, "migrations schema"),
    ] {
        let Some(setting) = setting else { continue };
        if !setting.literal {
            return Err(FormatError::Syntax {
                path: config.path.clone(),
                line: setting.line,
                message: format!(
                    "the {what} is `{}`, not a plain string, so pgfleet cannot tell where drizzle keeps its history; set `history_table = \"schema.table\"` for this database in pgfleet.toml",
                    setting.value
                ),
            });
        }
        setting.value.clone_into(slot);
    }
    Ok(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_closed_before_breakpoints() {
        let cases = [
            (
                "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n",
                "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n",
            ),
            (
                "CREATE TABLE a (id int)\n--> statement-breakpoint\nSELECT 1",
                "CREATE TABLE a (id int)\n;--> statement-breakpoint\nSELECT 1",
            ),
            (
                "SELECT 1;--> statement-breakpoint\nSELECT 2",
                "SELECT 1;--> statement-breakpoint\nSELECT 2",
            ),
            (
                "DO $$ BEGIN PERFORM 1; END $$--> statement-breakpoint\nSELECT 2;",
                "DO $$ BEGIN PERFORM 1; END $$;--> statement-breakpoint\nSELECT 2;",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(close_chunks(text), want, "text {text:?}");
            let pieces = script::split(&close_chunks(text)).unwrap();
            assert_eq!(pieces.len(), 2, "text {text:?}: {pieces:?}");
        }
    }

    #[test]
    fn schema_filters() {
        let cases = [
            ("schemaFilter: \"billing\",", Ok(vec!["billing"])),
            (
                "schemaFilter: ['billing', \"audit\"],",
                Ok(vec!["billing", "audit"]),
            ),
            (
                "schemaFilter: [\n  \"a\",\n  \"b\",\n],",
                Ok(vec!["a", "b"]),
            ),
            ("// schemaFilter: [\"x\"]\n", Err(())),
            ("schemaFilter: process.env.SCHEMAS,", Err(())),
            ("schemaFilter: [SCHEMA],", Err(())),
        ];
        for (body, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            let text = format!("export default {{\n  dialect: \"postgresql\",\n  {body}\n}};\n");
            fs::write(dir.path().join("drizzle.config.ts"), text).unwrap();
            let got = schema_filter(dir.path());
            match (&want, got) {
                (Ok(list), Some(Ok((_, got)))) => assert_eq!(&got, list, "{body}"),
                (Err(()), None) if body.starts_with("//") => {}
                (Err(()), Some(Err(message))) => {
                    assert!(message.contains("line 3"), "{body}: {message}");
                }
                (want, got) => panic!("{body}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn config_settings() {
        let text = r#"import { defineConfig } from "drizzle-kit";
export default defineConfig({
  // dialect: "mysql",
  dialect: "postgresql",
  schema: "./src/schema.ts",
  schemaFilter: ["billing"],
  migrations: {
    table: 'billing_migrations',
    schema: `billing`,
  },
});
"#;
        let config = parse_config(PathBuf::from("drizzle.config.ts"), text);
        let value = |s: &Option<Setting>| s.as_ref().map(|s| (s.value.clone(), s.line, s.literal));
        assert_eq!(value(&config.dialect), Some(("postgresql".into(), 4, true)));
        assert_eq!(
            value(&config.table),
            Some(("billing_migrations".into(), 8, true))
        );
        // `schema: "./src/schema.ts"` above the block is not the migrations schema.
        assert_eq!(value(&config.schema), Some(("billing".into(), 9, true)));

        let text =
            "export default { dialect: 'postgresql', migrations: { table: process.env.TABLE } }";
        let config = parse_config(PathBuf::from("drizzle.config.js"), text);
        assert_eq!(
            value(&config.table),
            Some(("process.env.TABLE".into(), 1, false))
        );
        assert_eq!(config.schema, None);

        let text = r#"{ "dialect": "sqlite", "migrationsTable": "m" }"#;
        let config = parse_config(PathBuf::from("drizzle.config.json"), text);
        assert_eq!(value(&config.dialect), Some(("sqlite".into(), 1, true)));
        assert_eq!(value(&config.table), Some(("m".into(), 1, true)));
    }
}

#[cfg(test)]
mod fixture_tests {
    use std::path::{Path, PathBuf};

    use super::super::{Format, detect, load_with};
    use super::*;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
    }

    fn summary(folder: &Folder) -> Vec<(String, String)> {
        folder
            .migrations
            .iter()
            .map(|m| (m.version.to_string(), m.name.clone()))
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(v, n)| ((*v).to_owned(), (*n).to_owned()))
            .collect()
    }

    /// Folders written by drizzle-kit 0.31.11 (journal) and 1.0.0-rc.5 (one folder each).
    #[test]
    fn reads_what_drizzle_kit_wrote() {
        let dir = fixture("drizzle/basic");
        assert_eq!(detect(&dir).unwrap(), Format::Drizzle);
        let folder = read(&dir, None).unwrap();
        assert_eq!(
            summary(&folder),
            pairs(&[
                ("0000", "create_customers"),
                ("0001", "create_invoices"),
                ("0002", "add_customer_name")
            ])
        );
        assert!(folder.unmatched.is_empty(), "{:?}", folder.unmatched);
        assert_eq!(
            folder.peer,
            Some(PeerTable {
                schema: "drizzle".into(),
                table: "__drizzle_migrations".into(),
                project: None
            })
        );
        // Three statements, split where drizzle splits them.
        let pieces = script::split(&folder.migrations[1].up).unwrap();
        assert_eq!(pieces.len(), 3, "{pieces:?}");
        assert_eq!(pieces[2].start_line, 8);

        let dir = fixture("drizzle/folders");
        assert_eq!(detect(&dir).unwrap(), Format::Drizzle);
        let folder = read(&dir, None).unwrap();
        assert_eq!(
            summary(&folder),
            pairs(&[
                ("20261125214610", "create_tables"),
                ("20261125214613", "add_customer_name")
            ])
        );
        assert!(folder.unmatched.is_empty(), "{:?}", folder.unmatched);
    }

    #[test]
    fn new_is_left_to_the_tools() {
        let now = chrono::Utc::now();
        let dir = fixture("drizzle/basic");
        let err = super::super::new_migration(&dir, Format::Drizzle, "x", now).unwrap_err();
        assert!(
            err.to_string()
                .contains("create them with `drizzle-kit generate`"),
            "{err}"
        );
        let dir = fixture("sqitch/basic");
        let err = super::super::new_migration(&dir, Format::Sqitch, "x", now).unwrap_err();
        assert!(
            err.to_string().contains("create them with `sqitch add`"),
            "{err}"
        );
    }

    #[test]
    fn history_table_from_config_or_manifest() {
        let dir = fixture("drizzle/custom_table/drizzle");
        let folder = read(&dir, None).unwrap();
        let peer = folder.peer.unwrap();
        assert_eq!(
            (peer.schema.as_str(), peer.table.as_str()),
            ("billing", "billing_migrations")
        );
        let manifest = PeerTable {
            schema: "x".into(),
            table: "y".into(),
            project: None,
        };
        let folder = load_with(&dir, None, Some(&manifest)).unwrap();
        assert_eq!(folder.peer, Some(manifest));
    }

    #[test]
    fn journal_errors_name_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = tmp.path().join("meta");
        fs::create_dir_all(&meta).unwrap();
        fs::write(
            meta.join("_journal.json"),
            "{\"dialect\": \"postgresql\",\n \"entries\": [\n  {\"idx\": 0, \"tag\": \"0000_gone\"}\n ]\n}\n",
        )
        .unwrap();
        let err = read(tmp.path(), None).unwrap_err().to_string();
        let want = format!(
            "_journal.json:3: entry `0000_gone` has no file `{}`; restore it, or remove the entry with `drizzle-kit drop`",
            tmp.path().join("0000_gone.sql").display()
        );
        assert!(err.ends_with(&want), "{err}");
        fs::write(
            meta.join("_journal.json"),
            "{\"entries\": [\n  {\"idx\": 0,}\n]}",
        )
        .unwrap();
        let err = read(tmp.path(), None).unwrap_err().to_string();
        assert!(
            err.contains("_journal.json:2: not a drizzle-kit journal"),
            "{err}"
        );

        // A config whose table is an expression must be named in the manifest instead.
        fs::write(
            tmp.path().join("drizzle.config.ts"),
            "export default {\n  dialect: 'postgresql',\n  migrations: { table: process.env.T },\n};\n",
        )
        .unwrap();
        fs::write(meta.join("_journal.json"), "{\"entries\": []}").unwrap();
        let err = read(tmp.path(), None).unwrap_err().to_string();
        assert!(
            err.contains(
                "drizzle.config.ts:3: the migrations table is `process.env.T`, not a plain string"
            ),
            "{err}"
        );
    }
}
