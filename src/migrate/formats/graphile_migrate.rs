//! graphile-migrate: `migrations/committed/NNNNNN[-slug].sql`, each starting with a
//! header block (`--! Previous: sha1:...` or `-`, `--! Hash: sha1:...`, optionally
//! `--! Message: ...` and `--! AllowInvalidHash`), a blank line, then the body.
//! `migrations/current.sql` (or a `current/` folder) is the migration being written:
//! never applied by pgfleet, shown by `status`.
//!
//! Read as graphile-migrate reads it (`src/migration.ts`, `src/hash.ts`,
//! `src/header.ts`): header lines are the leading lines matching
//! `--! <Capitalised key>[: value]`; a header twice is an error; the line after them
//! must be empty. The body is the rest, trimmed (JavaScript's `trim`), plus `\n`. A
//! file's hash is `sha1:` + hex SHA-1 of `trim(previous + "\n" + body) + "\n"`, where
//! `previous` is the `Previous` header (empty for `-`). Files sort by number; the first
//! has no previous, each next names the one before. A hash that does not match is
//! refused unless the file says `--! AllowInvalidHash` (and then it must not match).
//! graphile-migrate checks a hash only when it is about to run the file; pgfleet checks
//! every committed file, so an edit to one already applied is reported too.
//!
//! A body whose first line is `--! no-transaction` runs outside a transaction. History:
//! `graphile_migrate.migrations (hash, previous_hash, filename, date)`, `filename`
//! being `NNNNNN.sql` without the slug.

use std::path::{Path, PathBuf};

use sha1::{Digest as _, Sha1};

use super::{
    Folder, Format, FormatError, Migration, PeerTable, Transaction, Version, file_name, finish,
    list, read_source,
};

pub(super) const HISTORY_SCHEMA: &str = "graphile_migrate";
pub(super) const HISTORY_TABLE: &str = "migrations";
const COMMITTED: &str = "committed";

/// `NNNNNN[-slug].sql` -> (number, slug): graphile-migrate's `^([0-9]+)(-[-_a-zA-Z0-9]*)?\.sql$`.
pub(super) fn parse_name(name: &str) -> Option<(&str, Option<&str>)> {
    let stem = name.strip_suffix(".sql")?;
    let end = stem
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(stem.len());
    let (digits, rest) = stem.split_at(end);
    if digits.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some((digits, None));
    }
    let slug = rest.strip_prefix('-')?;
    slug.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        .then_some((digits, Some(slug).filter(|s| !s.is_empty())))
}

/// The committed folder and the migrations folder (holding `current.sql`) for `dir`,
/// which is either the migrations folder or its `committed/` folder.
fn folders(dir: &Path) -> (PathBuf, PathBuf) {
    if dir.join(COMMITTED).is_dir() {
        (dir.join(COMMITTED), dir.to_owned())
    } else if file_name(dir) == Some(COMMITTED) {
        let parent = dir.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        (dir.to_owned(), parent)
    } else {
        (dir.to_owned(), dir.to_owned())
    }
}

/// Whether `dir` (a migrations folder or its `committed/`) holds graphile-migrate
/// files: a committed file whose first line is a `--! Previous:` header.
pub(super) fn detect(dir: &Path) -> bool {
    let (committed, _) = folders(dir);
    let Ok(listing) = list(&committed) else {
        return false;
    };
    listing.files.iter().any(|p| {
        file_name(p).and_then(parse_name).is_some()
            && super::detect::read_head(p).is_ok_and(|h| {
                h.lines()
                    .take_while(|l| l.starts_with("--! "))
                    .any(|l| l.starts_with("--! Previous:"))
            })
    })
}

/// `current.sql` or `current/` beside `committed/` when it holds more than blank
/// lines and comments: the migration being written, which pgfleet never applies.
pub(super) fn work_in_progress(dir: &Path) -> Option<PathBuf> {
    let (_, root) = folders(dir);
    let file = root.join("current.sql");
    if file.is_file() {
        let text = std::fs::read_to_string(&file).ok()?;
        return (!super::is_blank_sql(&text)).then_some(file);
    }
    let folder = root.join("current");
    let listing = list(&folder).ok()?;
    listing
        .files
        .iter()
        .any(|p| std::fs::read_to_string(p).is_ok_and(|t| !super::is_blank_sql(&t)))
        .then_some(folder)
}

/// One committed file, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Parsed {
    pub(super) previous: Option<String>,
    pub(super) hash: String,
    pub(super) message: Option<String>,
    pub(super) allow_invalid_hash: bool,
    /// graphile-migrate's body: after the header, trimmed, plus `\n`.
    pub(super) body: String,
    /// 1-based line where the text after the header block starts.
    pub(super) body_line: usize,
    /// Byte offset of that line.
    pub(super) body_start: usize,
}

fn syntax(path: &Path, line: usize, message: impl Into<String>) -> FormatError {
    FormatError::Syntax {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

/// `--! Key[: value]` with a key `[A-Z][a-zA-Z0-9_]*`.
fn header(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix("--! ")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (key, tail) = rest.split_at(end);
    if !key.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    if tail.is_empty() {
        return Some((key, None));
    }
    let value = tail.strip_prefix(':')?;
    // JavaScript's `.` matches no line terminator, so a `\r` ends the headers.
    if value.contains(['\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    Some((key, Some(value)))
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Parsed, FormatError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut headers: Vec<(&str, Option<String>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((key, value)) = header(line) else {
            break;
        };
        if headers.iter().any(|(k, _)| *k == key) {
            return Err(syntax(
                path,
                i + 1,
                format!("header `{key}` is given more than once"),
            ));
        }
        // `value ? value.trim() : value`: an empty value stays empty (falsy).
        let value = value.map(|v| js_trim(v).to_owned());
        headers.push((key, value));
    }
    let count = headers.len();
    match lines.get(count).copied() {
        Some("") => {}
        Some(line) if line.ends_with('\r') => {
            return Err(syntax(
                path,
                count + 1,
                "line endings were changed to CRLF (git `core.autocrlf`?); graphile-migrate's hashes are over LF files: restore the file with LF line endings",
            ));
        }
        _ => {
            return Err(syntax(
                path,
                count + 1,
                "there should be an empty line after the `--!` headers",
            ));
        }
    }
    let get = |key: &str| -> Option<&Option<String>> {
        headers.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    };
    let previous = match get("Previous") {
        Some(Some(v)) if !v.is_empty() => v.clone(),
        _ => return Err(syntax(path, 1, "no `--! Previous:` header")),
    };
    let hash = match get("Hash") {
        Some(Some(v)) if !v.is_empty() => v.clone(),
        _ => return Err(syntax(path, 1, "no `--! Hash:` header")),
    };
    let body_start: usize = lines[..count].iter().map(|l| l.len() + 1).sum();
    let body = format!("{}\n", js_trim(&lines[count..].join("\n")));
    Ok(Parsed {
        previous: (previous != "-").then_some(previous),
        hash,
        message: get("Message").cloned().flatten().filter(|m| !m.is_empty()),
        allow_invalid_hash: get("AllowInvalidHash").is_some(),
        body,
        body_line: count + 1,
        body_start,
    })
}

/// The `graphile_migrate.migrations` row graphile-migrate inserts for the committed
/// file at `path` (`src/migration.ts`, `runCommittedMigration`): the header's `Hash`
/// and `Previous` (`None` for `-`) as written, and the file name without its slug.
pub(crate) fn history_row(path: &Path) -> Result<(String, Option<String>, String), FormatError> {
    let source = read_source(path)?;
    let p = parse(path, &source.text)?;
    let number = file_name(path)
        .and_then(parse_name)
        .map(|(digits, _)| digits)
        .ok_or_else(|| syntax(path, 1, "is not a committed migration file name".to_owned()))?;
    Ok((p.hash, p.previous, format!("{number}.sql")))
}

/// graphile-migrate's `calculateHash(body, previousHash)`.
pub(crate) fn hash(body: &str, previous: Option<&str>) -> String {
    let input = format!(
        "{}\n",
        js_trim(&format!("{}\n{body}", previous.unwrap_or_default()))
    );
    format!("sha1:{}", hex::encode(Sha1::digest(input.as_bytes())))
}

/// `String.prototype.trim`: JavaScript's white space and line terminators, which are
/// not Rust's `char::is_whitespace` (U+FEFF is one, U+0085 is not).
fn js_trim(s: &str) -> &str {
    let is_js_space = |c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    };
    s.trim_matches(is_js_space)
}

/// `--!\s*no-transaction\b` on the body's first line.
fn no_transaction(body: &str) -> bool {
    let first = body.split('\n').next().unwrap_or_default();
    let Some(rest) = first.strip_prefix("--!") else {
        return false;
    };
    let Some(after) = rest.trim_start().strip_prefix("no-transaction") else {
        return false;
    };
    !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn read(dir: &Path) -> Result<Folder, FormatError> {
    let (committed, root) = folders(dir);
    let mut unmatched = Vec::new();
    if root != committed {
        // Beside `committed/`: `current.sql`/`current/` (shown by `status`), and
        // graphile-migrate's `fixtures/` for `--! include`.
        let top = list(&root)?;
        unmatched.extend(
            top.files
                .into_iter()
                .filter(|p| !matches!(file_name(p), Some("current.sql"))),
        );
        unmatched.extend(
            top.dirs
                .into_iter()
                .filter(|p| !matches!(file_name(p), Some(COMMITTED | "current" | "fixtures"))),
        );
    }
    let listing = list(&committed)?;
    unmatched.extend(listing.dirs);
    let mut parsed = Vec::new();
    for path in listing.files {
        let Some((digits, slug)) = file_name(&path).and_then(parse_name) else {
            unmatched.push(path);
            continue;
        };
        let version = Version::parse_integer(digits).expect("digits");
        let name = slug.unwrap_or("migration").to_owned();
        let source = read_source(&path)?;
        let p = parse(&path, &source.text)?;
        parsed.push((version, name, path, source, p));
    }
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut previous: Option<(&PathBuf, &str)> = None;
    for (_, _, path, _, p) in &parsed {
        match (previous, &p.previous) {
            (None, Some(expected)) => {
                return Err(syntax(
                    path,
                    1,
                    format!(
                        "names a previous migration (`{expected}`) but it is the first committed migration; graphile-migrate refuses this chain"
                    ),
                ));
            }
            (Some((before, hash)), expected) if expected.as_deref() != Some(hash) => {
                return Err(syntax(
                    path,
                    1,
                    format!(
                        "`--! Previous: {}` does not match the hash of `{}` ({hash}); the committed chain is broken",
                        expected.as_deref().unwrap_or("-"),
                        file_name(before).unwrap_or_default()
                    ),
                ));
            }
            _ => {}
        }
        let actual = hash(&p.body, p.previous.as_deref());
        if actual != p.hash && !p.allow_invalid_hash {
            return Err(syntax(
                path,
                2,
                format!(
                    "was edited after it was committed: its hash is {actual}, its header says {}; committed migrations must not change (undo the edit, or put the change in a new migration)",
                    p.hash
                ),
            ));
        }
        if actual == p.hash && p.allow_invalid_hash {
            return Err(syntax(
                path,
                1,
                "says `--! AllowInvalidHash` but its hash matches; graphile-migrate refuses this: remove the header",
            ));
        }
        previous = Some((path, &p.hash));
    }
    let placeholders = placeholders(&root);
    let migrations = parsed
        .into_iter()
        .map(|(version, name, path, source, p)| {
            let transaction = Transaction::unless_marked(no_transaction(&p.body));
            let up = source.text[p.body_start..].to_owned();
            let not_runnable = placeholders
                .iter()
                .find(|key| uses_placeholder(&p.body, key))
                .map(|key| {
                    format!(
                        "it uses the graphile-migrate placeholder `{key}`, which pgfleet does not replace"
                    )
                });
            Migration {
                up,
                up_line: p.body_line,
                transaction,
                not_runnable,
                ..Migration::whole_file(version, name, path, source)
            }
        })
        .collect();
    let mut folder = finish(dir, Format::GraphileMigrate, migrations, unmatched)?;
    folder.peer = Some(PeerTable {
        schema: HISTORY_SCHEMA.to_owned(),
        table: HISTORY_TABLE.to_owned(),
        project: None,
    });
    Ok(folder)
}

/// The placeholders graphile-migrate replaces in a migration before running it:
/// `:DATABASE_NAME`, `:DATABASE_OWNER`, and the keys of `placeholders` in the `.gmrc`
/// (graphile-migrate requires them to match `:[A-Z][0-9A-Z_]+`) found in the
/// migrations folder or the folder above it.
fn placeholders(root: &Path) -> Vec<String> {
    let mut keys = vec![":DATABASE_NAME".to_owned(), ":DATABASE_OWNER".to_owned()];
    let configs = [root.to_owned(), root.parent().unwrap_or(root).to_owned()];
    for dir in configs {
        for name in [".gmrc", ".gmrc.js", ".gmrc.cjs"] {
            let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                continue;
            };
            for (i, _) in text.match_indices(':') {
                let key: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                let quoted = i > 0 && matches!(text.as_bytes()[i - 1], b'"' | b'\'');
                if quoted && key.len() >= 2 && key.starts_with(|c: char| c.is_ascii_uppercase()) {
                    let key = format!(":{key}");
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
    }
    keys
}

/// Whether `body` holds `key` followed by a non-word character, as graphile-migrate's
/// `(?:key)\b` replacement matches it.
fn uses_placeholder(body: &str, key: &str) -> bool {
    body.match_indices(key).any(|(i, _)| {
        !body[i + key.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Writes the header block graphile-migrate's `commit` writes for `body` after
/// `previous`: used by the fixture generator in tests.
#[cfg(test)]
pub(super) fn commit_text(body: &str, previous: Option<&str>, message: Option<&str>) -> String {
    let body = format!("{}\n", js_trim(body));
    let mut text = format!(
        "--! Previous: {}\n--! Hash: {}\n",
        previous.unwrap_or("-"),
        hash(&body, previous)
    );
    if let Some(m) = message {
        text.push_str("--! Message: ");
        text.push_str(m);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&body);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real committed files, byte for byte, and the hash graphile-migrate wrote.
    const REAL: [(&str, &str); 2] = [
        // stephane-klein/postgresql-pgtap-graphile-migrate-skeleton,
        // migrations/committed/000001.sql (commit 937fa39)
        (
            "--! Previous: -\n--! Hash: sha1:b7c354b1948c5b83af2e9d53ab730d94b39353d6\n\n-- Enter migration here\nSET client_min_messages TO WARNING;\n\nDROP SCHEMA IF EXISTS public CASCADE;\nDROP SCHEMA IF EXISTS main CASCADE;\n\nCREATE SCHEMA IF NOT EXISTS utils;\n\nCREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA utils;\n\nCREATE SCHEMA IF NOT EXISTS main;\n\nCREATE TABLE main.contacts (\n    id       UUID PRIMARY KEY DEFAULT utils.uuid_generate_v4(),\n    name     VARCHAR NOT NULL\n);\n",
            "sha1:b7c354b1948c5b83af2e9d53ab730d94b39353d6",
        ),
        // choudel/tienda-de-la-primavera-backend,
        // migrations/committed/000016-create-roles.sql (commit f5c7d1d): with a Message.
        (
            "--! Previous: sha1:b87efea205b3208a52e61bd5824e6c652794ea86\n--! Hash: sha1:426cbf3d57e2981334f12fd27c9d8ebbd6aa69c1\n--! Message: create roles\n\nDROP ROLE IF EXISTS tienda_postgraphile;\nCREATE ROLE tienda_postgraphile LOGIN PASSWORD 'secret_password';\nDROP ROLE IF EXISTS tienda_anonymous;\nCREATE ROLE tienda_anonymous;\nGRANT tienda_anonymous TO tienda_postgraphile;\nDROP ROLE IF EXISTS tienda_person;\nCREATE ROLE tienda_person;\nGRANT tienda_person TO tienda_postgraphile;\n",
            "sha1:426cbf3d57e2981334f12fd27c9d8ebbd6aa69c1",
        ),
    ];

    #[test]
    fn hashes_of_real_committed_files() {
        for (text, want) in REAL {
            let p = parse(Path::new("x.sql"), text).unwrap();
            assert_eq!(p.hash, want);
            assert_eq!(hash(&p.body, p.previous.as_deref()), want, "{text}");
        }
        // An edit anywhere in the body changes it; trailing blank lines do not.
        let (text, want) = REAL[1];
        let edited = text.replace("tienda_person;\nGRANT", "tienda_person;\n\nGRANT");
        let p = parse(Path::new("x.sql"), &edited).unwrap();
        assert_ne!(hash(&p.body, p.previous.as_deref()), want);
        let padded = format!("{text}\n\n  \n");
        let p = parse(Path::new("x.sql"), &padded).unwrap();
        assert_eq!(hash(&p.body, p.previous.as_deref()), want);
    }

    #[test]
    fn headers() {
        // (text, previous, message, allow_invalid_hash, body_line) or the error.
        let ok = [
            (
                "--! Previous: -\n--! Hash: sha1:1\n\nSELECT 1;\n",
                None,
                None,
                false,
                3,
            ),
            (
                "--! AllowInvalidHash\n--! Previous: sha1:0\n--! Hash: sha1:1\n--! Message: add users \n\nSELECT 1;\n",
                Some("sha1:0"),
                Some("add users"),
                true,
                5,
            ),
        ];
        for (text, previous, message, allow, line) in ok {
            let p = parse(Path::new("x.sql"), text).unwrap();
            assert_eq!(p.previous.as_deref(), previous, "{text}");
            assert_eq!(p.message.as_deref(), message, "{text}");
            assert_eq!(p.allow_invalid_hash, allow, "{text}");
            assert_eq!(p.body_line, line, "{text}");
        }
        let bad = [
            (
                "--! Hash: sha1:1\n\nSELECT 1;\n",
                "no `--! Previous:` header",
            ),
            ("--! Previous: -\n\nSELECT 1;\n", "no `--! Hash:` header"),
            (
                "--! Previous: -\n--! Hash: sha1:1\nSELECT 1;\n",
                "empty line after",
            ),
            (
                "--! Previous: -\r\n--! Hash: sha1:1\r\n\r\nSELECT 1;\r\n",
                "x.sql:1: line endings",
            ),
            ("--! Previous: -\n--! Hash: sha1:1\n\r\nSELECT 1;\n", "CRLF"),
            (
                "--! Previous: -\n--! Previous: -\n--! Hash: sha1:1\n\nx\n",
                "header `Previous` is given more than once",
            ),
        ];
        for (text, want) in bad {
            let err = parse(Path::new("x.sql"), text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn names_and_markers() {
        let names = [
            ("000001.sql", Some(("000001", None))),
            ("000002-add-users.sql", Some(("000002", Some("add-users")))),
            ("000003-.sql", Some(("000003", None))),
            ("000004-Add_Thing.sql", Some(("000004", Some("Add_Thing")))),
            ("000005 x.sql", None),
            ("current.sql", None),
            ("000006.sql.bak", None),
        ];
        for (name, want) in names {
            assert_eq!(parse_name(name), want, "{name}");
        }
        let markers = [
            (
                "--! no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
                true,
            ),
            ("--!no-transaction\nVACUUM;\n", true),
            ("--! no-transactional\nx\n", false),
            ("SELECT 1;\n--! no-transaction\n", false),
        ];
        for (body, want) in markers {
            assert_eq!(no_transaction(body), want, "{body:?}");
        }
    }

    #[test]
    fn placeholders_make_a_migration_not_runnable() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(".gmrc"),
            "{\n  // comment\n  \"placeholders\": {\n    \":DATABASE_VISITOR\": \"!ENV\",\n  },\n}\n",
        )
        .unwrap();
        let root = tmp.path().join("migrations");
        std::fs::create_dir_all(root.join("committed")).unwrap();
        let keys = placeholders(&root);
        assert_eq!(
            keys,
            [":DATABASE_NAME", ":DATABASE_OWNER", ":DATABASE_VISITOR"]
        );
        let cases = [
            ("grant select on t to :DATABASE_VISITOR;", true),
            ("grant select on t to :DATABASE_VISITORS;", false),
            ("select 1::text;", false),
            ("alter database :DATABASE_NAME set x = 1;", true),
        ];
        for (body, want) in cases {
            assert_eq!(
                keys.iter().any(|k| uses_placeholder(body, k)),
                want,
                "{body}"
            );
        }
        let first = commit_text("GRANT SELECT ON t TO :DATABASE_VISITOR;\n", None, None);
        std::fs::write(root.join("committed/000001.sql"), first).unwrap();
        let folder = read(&root).unwrap();
        assert_eq!(
            folder.migrations[0].not_runnable.as_deref(),
            Some(
                "it uses the graphile-migrate placeholder `:DATABASE_VISITOR`, which pgfleet does not replace"
            )
        );
    }

    #[test]
    fn chain_is_verified_and_edits_refused() {
        let first = commit_text("CREATE TABLE a ();\n", None, None);
        let h1 = parse(Path::new("1"), &first).unwrap().hash;
        let second = commit_text(
            "--! no-transaction\nCREATE INDEX CONCURRENTLY ai ON a ();\n",
            Some(&h1),
            Some("index"),
        );
        let tmp = tempfile::tempdir().unwrap();
        let committed = tmp.path().join("committed");
        std::fs::create_dir_all(&committed).unwrap();
        std::fs::write(committed.join("000001.sql"), &first).unwrap();
        std::fs::write(committed.join("000002-index.sql"), &second).unwrap();
        std::fs::write(tmp.path().join("current.sql"), "-- Enter migration here\n").unwrap();
        assert!(detect(tmp.path()));
        assert!(work_in_progress(tmp.path()).is_none());
        let folder = read(tmp.path()).unwrap();
        assert_eq!(folder.migrations.len(), 2);
        assert_eq!(folder.migrations[1].transaction, Transaction::Disabled);
        assert_eq!(folder.migrations[1].name, "index");
        assert!(folder.unmatched.is_empty(), "{:?}", folder.unmatched);
        std::fs::write(tmp.path().join("current.sql"), "CREATE TABLE wip ();\n").unwrap();
        assert_eq!(
            work_in_progress(tmp.path()),
            Some(tmp.path().join("current.sql"))
        );

        // An edit to the first file: refused, naming it.
        std::fs::write(committed.join("000001.sql"), first.replace("a ()", "b ()")).unwrap();
        let err = read(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("000001.sql:2: was edited after it was committed"),
            "{err}"
        );
        // A broken link.
        std::fs::write(
            committed.join("000001.sql"),
            commit_text("SELECT 1;\n", None, None),
        )
        .unwrap();
        let err = read(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("000002-index.sql:1: `--! Previous: "), "{err}");
        assert!(
            err.contains("does not match the hash of `000001.sql`"),
            "{err}"
        );
    }
}
