//! What a folder that may hold migrations looks like, for `init`: whether
//! its SQL sits one level down (one folder per engine, `migrations/sql/`),
//! and a truthful description of a folder no format reads (counts and the
//! shape found, and which tool writes that shape).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Folder names that say which database engine their migrations are for.
pub use crate::migrate::formats::FOLDER_ENGINES as ENGINES;

/// Extensions of migrations written as code, run by their own tool.
const CODE_EXTENSIONS: &[&str] = &[
    "js", "ts", "mjs", "cjs", "mts", "cts", "py", "go", "rb", "java", "kt", "php", "cs", "ex",
    "exs", "rs", "scala",
];

/// A candidate whose SQL sits one level down (a Flyway tree with
/// `postgres/`, `mysql/`, `h2/`; a `migrations/` holding `sql/`): its
/// subfolders holding SQL, each with the engine its name gives when that
/// is not PostgreSQL. `None` when the folder holds migrations itself.
///
/// pgfleet reads each migration folder on its own (Flyway's recursive
/// search is not followed inside a folder), so `init` enters the folders
/// above one, and takes the PostgreSQL one.
pub fn container(
    dir: &Path,
    names: &BTreeSet<String>,
) -> Option<Vec<(PathBuf, Option<&'static str>)>> {
    // Any file but a README or notes may be the folder's own (a Liquibase
    // changelog, a config): then it is not a container.
    let own_files = names.iter().any(|n| {
        let lower = n.to_ascii_lowercase();
        let notes = lower.starts_with("readme")
            || lower.starts_with("license")
            || Path::new(&lower)
                .extension()
                .is_some_and(|e| e == "md" || e == "txt" || e == "rst");
        !n.starts_with('.') && !notes && dir.join(n).is_file()
    });
    let migration_dirs = names.iter().any(|n| {
        ["migration.sql", "up.sql", "up.yaml"]
            .iter()
            .any(|f| dir.join(n).join(f).is_file())
    });
    if own_files || migration_dirs {
        return None;
    }
    let subfolders: Vec<(PathBuf, Option<&'static str>)> = names
        .iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| dir.join(n))
        .filter(|p| p.is_dir() && holds_sql(p, 3))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let engine = ENGINES
                .iter()
                .find(|(folder, _)| *folder == name)
                .map(|(_, engine)| *engine)
                .filter(|engine| *engine != "PostgreSQL");
            (p, engine)
        })
        .collect();
    (!subfolders.is_empty()).then_some(subfolders)
}

/// Whether `dir` or a folder up to `depth` levels below it holds a `.sql` file.
pub fn holds_sql(dir: &Path, depth: usize) -> bool {
    fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            depth > 0 && holds_sql(&path, depth - 1)
        } else {
            path.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("sql"))
        }
    })
}

/// What a folder no format reads holds, counted, and what to do with it:
/// `342 folders with up.sql (Diesel layout)`, `4 code files (.js)`.
pub fn describe(dir: &Path, names: &BTreeSet<String>) -> String {
    let visible: Vec<&String> = names.iter().filter(|n| !n.starts_with('.')).collect();
    if visible.is_empty() {
        return "empty folder".to_owned();
    }
    let mut up = Vec::new();
    let mut prisma = 0;
    let mut folders = Vec::new();
    let mut sql = Vec::new();
    let mut code = Vec::new();
    let mut other = Vec::new();
    for name in visible {
        let path = dir.join(name);
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if path.is_dir() {
            if path.join("up.sql").is_file() {
                up.push(name.as_str());
            } else if path.join("migration.sql").is_file() {
                prisma += 1;
            } else {
                folders.push(name.as_str());
            }
        } else if ext.as_deref() == Some("sql") {
            sql.push(name.as_str());
        } else if ext.is_some_and(|e| CODE_EXTENSIONS.contains(&e.as_str())) {
            code.push(name.as_str());
        } else {
            other.push(name.as_str());
        }
    }
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let listed = |list: &[&str]| {
        let mut shown: Vec<String> = list.iter().take(3).map(|n| format!("`{n}`")).collect();
        if list.len() > 3 {
            shown.push("...".into());
        }
        shown.join(", ")
    };
    let mut parts = Vec::new();
    let mut advice = None;
    if !up.is_empty() {
        let layout = up_layout(&up);
        parts.push(format!(
            "{} ({layout} layout)",
            plural(up.len(), "folder with up.sql", "folders with up.sql")
        ));
        advice = Some(match layout {
            "Hasura" => "run it with its tool: `runner = \"hasura migrate apply\"`",
            _ => "run it with its tool: `runner = \"diesel migration run\"`",
        });
    }
    if prisma > 0 {
        parts.push(plural(
            prisma,
            "folder with migration.sql",
            "folders with migration.sql",
        ));
    }
    if !code.is_empty() {
        parts.push(format!(
            "{} ({}), migrations written as code",
            plural(code.len(), "code file", "code files"),
            listed(&code)
        ));
        advice.get_or_insert("run its tool with `runner = \"...\"`");
    }
    if !sql.is_empty() {
        parts.push(format!(
            "{} ({}) named like no migration format",
            plural(sql.len(), ".sql file", ".sql files"),
            listed(&sql)
        ));
    }
    if !folders.is_empty() {
        parts.push(format!(
            "{} ({})",
            plural(folders.len(), "other folder", "other folders"),
            listed(&folders)
        ));
    }
    if !other.is_empty() {
        parts.push(format!(
            "{} ({})",
            plural(other.len(), "other file", "other files"),
            listed(&other)
        ));
    }
    let mut text = format!("no migrations pgfleet reads: holds {}", parts.join(", "));
    if let Some(advice) = advice {
        text.push_str("; ");
        text.push_str(advice);
    }
    text
}

/// Which tool writes `<version>_<name>/up.sql` folders named like these:
/// Hasura's versions are 13-digit millisecond timestamps, Diesel's
/// `YYYY-MM-DD-HHMMSS` or 14 digits.
fn up_layout(folders: &[&str]) -> &'static str {
    let digits = |name: &str| name.chars().take_while(char::is_ascii_digit).count();
    if folders.iter().all(|f| digits(f) == 13) {
        "Hasura"
    } else {
        "Diesel"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn names(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }

    /// (name, files, reason)
    type Case<'a> = (&'a str, Vec<(String, &'a str)>, &'a str);

    /// What a skipped folder holds, said with counts and the shape found.
    #[test]
    fn reasons_describe_the_folder() {
        let diesel: Vec<(String, &str)> = (0..342)
            .map(|i| (format!("m/2024-01-01-{i:06}_step/up.sql"), "SELECT 1;\n"))
            .collect();
        let hasura: Vec<(String, &str)> = (0..3)
            .map(|i| (format!("m/1612345678{i:03}_step/up.sql"), "SELECT 1;\n"))
            .collect();
        let cases: Vec<Case> = vec![
            (
                "diesel folders",
                diesel.clone(),
                "no migrations pgfleet reads: holds 342 folders with up.sql (Diesel layout); run it with its tool: `runner = \"diesel migration run\"`",
            ),
            (
                "diesel folders and one stray file",
                diesel
                    .iter()
                    .take(285)
                    .cloned()
                    .chain([("m/schema.sql".to_owned(), "SELECT 1;\n")])
                    .collect(),
                "no migrations pgfleet reads: holds 285 folders with up.sql (Diesel layout), 1 .sql file (`schema.sql`) named like no migration format; run it with its tool: `runner = \"diesel migration run\"`",
            ),
            (
                "hasura folders",
                hasura,
                "no migrations pgfleet reads: holds 3 folders with up.sql (Hasura layout); run it with its tool: `runner = \"hasura migrate apply\"`",
            ),
            (
                "code and notes",
                vec![
                    ("m/001_a.ts".to_owned(), ""),
                    ("m/002_b.ts".to_owned(), ""),
                    ("m/notes.txt".to_owned(), ""),
                ],
                "no migrations pgfleet reads: holds 2 code files (`001_a.ts`, `002_b.ts`), migrations written as code, 1 other file (`notes.txt`); run its tool with `runner = \"...\"`",
            ),
        ];
        for (name, files, want) in cases {
            let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
            let dir = tree(&files);
            let m = dir.path().join("m");
            assert_eq!(describe(&m, &names(&m)), want, "{name}");
        }
    }
}
