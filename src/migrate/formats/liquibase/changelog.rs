//! Master changelogs: the `include` and `includeAll` entries of a YAML or XML
//! changelog (Liquibase docs, "include" and "includeAll"), read by a small line and tag
//! reader of our own. Only those two entries matter to pgfleet (it runs formatted SQL),
//! so a YAML or XML parser crate would bring much for little; a `changeSet` written in
//! YAML or XML is refused instead of skipped.

use std::path::{Path, PathBuf};

use super::super::{FormatError, lines, read_source};

/// Every visible file under `dir`, in path order. Symlinks are followed, each folder
/// read once (a link loop ends instead of running forever).
pub(crate) fn walk(dir: &Path) -> Result<Vec<PathBuf>, FormatError> {
    Ok(super::super::read::walk(dir, &|_| false)?.0)
}

/// A YAML or XML file whose name says `changelog`: a candidate master changelog.
pub(crate) fn is_changelog_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "yaml" || e == "yml" || e == "xml")
        && super::super::file_name(path)
            .is_some_and(|n| n.to_ascii_lowercase().contains("changelog"))
}

/// The master changelog at the top of the folder, if there is one.
pub(super) fn master(dir: &Path, all: &[PathBuf]) -> Result<Option<PathBuf>, FormatError> {
    let candidates: Vec<&PathBuf> = all
        .iter()
        .filter(|p| p.parent() == Some(dir) && is_changelog_name(p))
        .collect();
    if candidates.len() <= 1 {
        return Ok(candidates.first().map(|p| (*p).clone()));
    }
    let masters: Vec<&&PathBuf> = candidates
        .iter()
        .filter(|p| {
            super::super::file_name(p).is_some_and(|n| n.to_ascii_lowercase().contains("master"))
        })
        .collect();
    match masters.as_slice() {
        [one] => Ok(Some((**one).clone())),
        _ => Err(FormatError::Syntax {
            path: dir.to_owned(),
            line: 0,
            message: format!(
                "several changelogs could be the master: {}; keep one at the top of the folder (or name it `*master*`)",
                super::super::list_paths(
                    &candidates.iter().map(|p| (*p).clone()).collect::<Vec<_>>()
                )
            ),
        }),
    }
}

/// One `include` or `includeAll` entry of a changelog.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    all: bool,
    target: String,
    relative_to_changelog: bool,
    line: usize,
}

/// Appends the files `changelog` includes, in order, following nested changelogs.
pub(super) fn follow(
    dir: &Path,
    changelog: &Path,
    files: &mut Vec<PathBuf>,
    depth: usize,
) -> Result<(), FormatError> {
    let syntax = |line: usize, message: String| FormatError::Syntax {
        path: changelog.to_owned(),
        line,
        message,
    };
    if depth > 16 {
        return Err(syntax(
            0,
            "changelogs include each other in a loop".to_owned(),
        ));
    }
    let text = read_source(changelog)?.text;
    let xml = changelog.extension().is_some_and(|e| e == "xml");
    let entries = if xml {
        xml_entries(&text)
    } else {
        yaml_entries(&text)
    }
    .map_err(|(line, message)| syntax(line, message))?;
    let base = changelog.parent().unwrap_or(dir);
    for entry in entries {
        let Some(target) = resolve(dir, base, &entry) else {
            return Err(syntax(
                entry.line,
                format!(
                    "`{}` is not in the migrations folder; pgfleet looks for it beside the changelog and from the folder's top",
                    entry.target
                ),
            ));
        };
        if entry.all {
            let mut under: Vec<PathBuf> = walk(&target)?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect();
            under.sort();
            files.extend(under);
        } else if target
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "xml")
        {
            follow(dir, &target, files, depth + 1)?;
        } else {
            files.push(target);
        }
    }
    Ok(())
}

/// Where an include points: beside the changelog when it says so (or when that
/// exists), else from the folder's top, else any shorter tail of the path under the
/// folder (a Spring `classpath:db/changelog/...` path seen from `db/changelog`).
fn resolve(dir: &Path, base: &Path, entry: &Entry) -> Option<PathBuf> {
    let target = entry
        .target
        .trim()
        .trim_start_matches("classpath:")
        .trim_start_matches("file:")
        .trim_start_matches('/');
    let exists = |p: &Path| p.exists().then(|| p.to_owned());
    if entry.relative_to_changelog {
        return exists(&base.join(target));
    }
    let parts: Vec<&str> = target.split('/').filter(|p| !p.is_empty()).collect();
    exists(&base.join(target))
        .or_else(|| exists(&dir.join(target)))
        .or_else(|| (1..parts.len()).find_map(|skip| exists(&dir.join(parts[skip..].join("/")))))
}

/// `include` / `includeAll` entries of a YAML changelog:
/// `- include: {file: x}` or `- include:` followed by indented `file: x` lines.
fn yaml_entries(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut open = false;
    for line in lines(text) {
        let content = line.content.split(" #").next().unwrap_or_default().trim();
        let item = content.strip_prefix("- ").map_or(content, str::trim_start);
        let (key, value) = match item.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => continue,
        };
        match key {
            "include" | "includeAll" => {
                entries.push(Entry {
                    all: key == "includeAll",
                    target: String::new(),
                    relative_to_changelog: false,
                    line: line.number,
                });
                open = true;
                // Flow style: `include: {file: a.sql, relativeToChangelogFile: true}`.
                if let Some(flow) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                    for pair in flow.split(',') {
                        if let Some((k, v)) = pair.split_once(':') {
                            set(entries.last_mut(), k.trim(), v.trim());
                        }
                    }
                }
            }
            "changeSet" => {
                return Err((
                    line.number,
                    "a YAML changeSet: pgfleet reads Liquibase formatted SQL only; move it into a `--liquibase formatted sql` file".to_owned(),
                ));
            }
            "file" | "path" | "relativeToChangelogFile" if open => {
                set(entries.last_mut(), key, value);
            }
            _ => {}
        }
    }
    check_targets(entries)
}

fn set(entry: Option<&mut Entry>, key: &str, value: &str) {
    let Some(entry) = entry else { return };
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    match key {
        "file" | "path" => value.clone_into(&mut entry.target),
        "relativeToChangelogFile" => entry.relative_to_changelog = value == "true",
        _ => {}
    }
}

fn check_targets(entries: Vec<Entry>) -> Result<Vec<Entry>, (usize, String)> {
    if let Some(e) = entries.iter().find(|e| e.target.is_empty()) {
        let key = if e.all {
            "includeAll` needs `path"
        } else {
            "include` needs `file"
        };
        return Err((e.line, format!("`{key}`")));
    }
    Ok(entries)
}

/// `<include file=".."/>` / `<includeAll path=".."/>` entries of an XML changelog.
fn xml_entries(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut entries = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find('<') {
        let tag_start = offset + at;
        let after = &rest[at + 1..];
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[..end];
        let line = 1 + text[..tag_start].matches('\n').count();
        let name = tag.split_whitespace().next().unwrap_or_default();
        match name.trim_end_matches('/') {
            "include" | "includeAll" => {
                let mut entry = Entry {
                    all: name.starts_with("includeAll"),
                    target: String::new(),
                    relative_to_changelog: false,
                    line,
                };
                for key in ["file", "path", "relativeToChangelogFile"] {
                    if let Some(value) = attribute(tag, key) {
                        set(Some(&mut entry), key, &value);
                    }
                }
                entries.push(entry);
            }
            "changeSet" => {
                return Err((
                    line,
                    "an XML changeSet: pgfleet reads Liquibase formatted SQL only; move it into a `--liquibase formatted sql` file".to_owned(),
                ));
            }
            _ => {}
        }
        let consumed = at + 1 + end;
        offset += consumed;
        rest = &rest[consumed..];
    }
    check_targets(entries)
}

/// The value of `key="..."` (or `'...'`) in a tag.
fn attribute(tag: &str, key: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(at) = rest.find(key) {
        let before_ok = at == 0 || rest[..at].ends_with(char::is_whitespace);
        let after = rest[at + key.len()..].trim_start();
        if before_ok && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let body = &value[1..];
                return body.find(quote).map(|end| body[..end].to_owned());
            }
        }
        rest = &rest[at + key.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_survives_a_symlink_loop() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x.sql"), "").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
        let files = walk(dir.path()).unwrap();
        assert_eq!(files, [dir.path().join("a/x.sql")]);
    }

    #[test]
    fn changelog_entries() {
        let yaml = "databaseChangeLog:\n  - include:\n      file: changes/001.sql\n      relativeToChangelogFile: true\n  - includeAll: {path: more/, relativeToChangelogFile: true}\n  - include:\n      file: 'classpath:db/changelog/x.sql'\n";
        let got = yaml_entries(yaml).unwrap();
        assert_eq!(
            got,
            [
                Entry {
                    all: false,
                    target: "changes/001.sql".into(),
                    relative_to_changelog: true,
                    line: 2
                },
                Entry {
                    all: true,
                    target: "more/".into(),
                    relative_to_changelog: true,
                    line: 5
                },
                Entry {
                    all: false,
                    target: "classpath:db/changelog/x.sql".into(),
                    relative_to_changelog: false,
                    line: 6
                },
            ]
        );
        let xml = "<?xml version=\"1.0\"?>\n<databaseChangeLog xmlns=\"x\">\n  <include file=\"changes/001.sql\" relativeToChangelogFile=\"true\"/>\n  <includeAll path='more/'/>\n</databaseChangeLog>\n";
        let got = xml_entries(xml).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (
                got[0].target.as_str(),
                got[0].relative_to_changelog,
                got[0].line
            ),
            ("changes/001.sql", true, 3)
        );
        assert_eq!((got[1].target.as_str(), got[1].all), ("more/", true));
        assert!(yaml_entries("databaseChangeLog:\n  - changeSet:\n      id: 1\n").is_err());
    }
}
