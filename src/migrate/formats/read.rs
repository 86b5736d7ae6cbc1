//! What the format readers share: listing a folder, reading a file with its checksum,
//! iterating lines, splitting at up/down markers, and finishing a folder.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::{Folder, Format, FormatError, Migration, Version, io_error, native};

/// The top level of a migrations folder: visible files and sub-folders, sorted by name.
pub(super) struct Listing {
    pub(super) files: Vec<PathBuf>,
    pub(super) dirs: Vec<PathBuf>,
}

pub(super) fn list(dir: &Path) -> Result<Listing, FormatError> {
    // Entries keep their names to be sorted by: one folder, so by name is the
    // order sorting whole paths gives, without parsing every path per comparison.
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        // Hidden entries (.gitkeep, .DS_Store, editor swap files) are never migrations.
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        // Follows symlinks: a linked migration file is read like any other.
        let meta = fs::metadata(&path).map_err(io_error(&path))?;
        if meta.is_dir() {
            dirs.push((name, path));
        } else {
            files.push((name, path));
        }
    }
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    dirs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Listing {
        files: files.into_iter().map(|(_, p)| p).collect(),
        dirs: dirs.into_iter().map(|(_, p)| p).collect(),
    })
}

/// The file name as UTF-8; names that are not UTF-8 match no pattern.
pub(super) fn file_name(path: &Path) -> Option<&str> {
    path.file_name().and_then(|n| n.to_str())
}

/// `<digits>_<name>` -> (version, name); the name must not be empty.
pub(super) fn split_version_name(stem: &str) -> Option<(Version, &str)> {
    let (digits, name) = stem.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse_integer(digits)?, name))
}

/// A file's text (BOM stripped) and the checksum of its bytes (BOM included).
pub(super) struct Source {
    pub(super) text: String,
    pub(super) checksum: String,
}

pub(super) fn read_source(path: &Path) -> Result<Source, FormatError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    let checksum = hex::encode(Sha256::digest(&bytes));
    let mut text = String::from_utf8(bytes).map_err(|_| FormatError::NotUtf8 {
        path: path.to_owned(),
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(Source { text, checksum })
}

/// One line of a file: its 1-based number, byte range (with the line break) and content
/// (without `\n` or `\r\n`, so markers match in CRLF files).
#[derive(Clone, Copy, Debug)]
pub(super) struct Line<'a> {
    pub(super) number: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) content: &'a str,
}

pub(super) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let raw = &rest[..len];
        let content = raw.strip_suffix('\n').unwrap_or(raw);
        let content = content.strip_suffix('\r').unwrap_or(content);
        number += 1;
        let line = Line {
            number,
            start,
            end: start + len,
            content,
        };
        start += len;
        Some(line)
    })
}

/// A file split at its up and down markers.
pub(super) struct Sections<'a> {
    pub(super) up: &'a str,
    pub(super) up_line: usize,
    /// The up marker line, for formats whose marker carries options.
    pub(super) up_marker: Option<&'a str>,
    pub(super) down: Option<&'a str>,
}

/// Splits `text` at the first line matching `is_up` (when the format has an up marker;
/// otherwise the up script starts at line 1) and the first matching `is_down`. Returns
/// `None` when the format needs an up marker and there is none. A down section written
/// before the up one (dbmate allows it) runs to the up marker.
pub(super) fn split_sections<'a>(
    text: &'a str,
    is_up: Option<&dyn Fn(&str) -> bool>,
    is_down: &dyn Fn(&str) -> bool,
) -> Option<Sections<'a>> {
    let up_marker = match is_up {
        Some(is_up) => Some(lines(text).find(|l| is_up(l.content))?),
        None => None,
    };
    let (up_start, up_line) = up_marker.map_or((0, 1), |l| (l.end, l.number + 1));
    let down_marker = lines(text).find(|l| is_down(l.content));
    let (up, down) = match down_marker {
        Some(d) if d.start >= up_start => (&text[up_start..d.start], Some(&text[d.end..])),
        Some(d) => {
            // Down before up: it ends where the up marker starts.
            let up_marker_start = up_marker.map_or(0, |l| l.start);
            (&text[up_start..], Some(&text[d.end..up_marker_start]))
        }
        None => (&text[up_start..], None),
    };
    Some(Sections {
        up,
        up_line,
        up_marker: up_marker.map(|l| l.content),
        down,
    })
}

/// The down script, unless it holds nothing but whitespace and comments.
pub(super) fn down_script(text: Option<&str>) -> Option<String> {
    text.filter(|t| !is_blank_sql(t)).map(str::to_owned)
}

/// True when `sql` holds only whitespace, `--` comments and (nested) `/* */` comments.
pub(super) fn is_blank_sql(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else if bytes[i..].starts_with(b"--") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            i = block_comment_end(bytes, i);
        } else {
            return false;
        }
    }
    true
}

/// Where the (nested) `/* */` comment starting at `start` ends: the index after its
/// closing `*/`, or the end of `bytes` when it is not closed.
pub(crate) fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Reads a folder of single `<version>_<name>.sql` files (native, dbmate,
/// node-pg-migrate), each parsed by `parse`; other files are unmatched.
pub(super) fn read_single_files(
    dir: &Path,
    format: Format,
    parse: impl Fn(PathBuf, Version, String, Source) -> Result<Migration, FormatError>,
) -> Result<Folder, FormatError> {
    let listing = list(dir)?;
    let mut migrations = Vec::new();
    let mut unmatched = listing.dirs;
    for path in listing.files {
        let Some((version, name)) = file_name(&path).and_then(native::parse_name) else {
            unmatched.push(path);
            continue;
        };
        let name = name.to_owned();
        let source = read_source(&path)?;
        migrations.push(parse(path, version, name, source)?);
    }
    finish(dir, format, migrations, unmatched)
}

/// Sorts, rejects duplicate versions and refuses a folder whose `.sql` files all failed
/// to match (zero migrations would silently do nothing).
/// The `.sql` files among `unmatched` and in the unmatched folders, three levels down
/// (Diesel's `<version>_<name>/up.sql`, a Flyway tree's `postgres/V1__a.sql`), sorted.
fn sql_files(dir: &Path, unmatched: &[PathBuf]) -> Result<Vec<PathBuf>, FormatError> {
    fn walk(path: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), FormatError> {
        if path.is_dir() {
            if depth == 0 {
                return Ok(());
            }
            let listing = list(path)?;
            for p in listing.files.iter().chain(&listing.dirs) {
                walk(p, depth - 1, found)?;
            }
        } else if path.extension().is_some_and(|e| e == "sql") {
            found.push(path.to_path_buf());
        }
        Ok(())
    }
    let mut found = Vec::new();
    for path in unmatched {
        if path.starts_with(dir) {
            walk(path, 3, &mut found)?;
        }
    }
    found.sort();
    Ok(found)
}

pub(super) fn finish(
    dir: &Path,
    format: Format,
    mut migrations: Vec<Migration>,
    mut unmatched: Vec<PathBuf>,
) -> Result<Folder, FormatError> {
    // Stable sort: of two equal versions the one listed first (by file name) is `first`.
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    if let Some(pair) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(FormatError::DuplicateVersion {
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
            version: pair[1].version.clone(),
        });
    }
    unmatched.sort();
    if migrations.is_empty() {
        let sql = sql_files(dir, &unmatched)?;
        if !sql.is_empty() {
            return Err(FormatError::NothingRead {
                dir: dir.to_owned(),
                format,
                count: sql.len(),
                examples: sql
                    .iter()
                    .take(3)
                    .map(|p| p.strip_prefix(dir).unwrap_or(p).to_path_buf())
                    .collect(),
                readers: Vec::new(),
            });
        }
    }
    Ok(Folder {
        format,
        migrations,
        unmatched,
        peer: None,
        peer_history: crate::manifest::PeerHistory::default(),
    })
}
