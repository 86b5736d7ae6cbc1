//! The README and `docs/` say what a user needs and nothing else: the README's first
//! code block is the main job and the test command CI runs, its command table lists
//! every command, every relative link lands on a file and heading that exist, and no
//! page points outside the repository.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::Pgfleet;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

/// The lines of the first fenced code block, comments and blank lines left out.
fn first_code_block(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| l.split(" #").next().unwrap_or_default().trim().to_owned())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn the_readme_opens_with_the_main_job_and_the_test_command_ci_runs() {
    let readme = read(&root().join("README.md"));
    assert!(
        readme.lines().count() < 300,
        "README.md has {} lines",
        readme.lines().count()
    );
    let block = first_code_block(&readme);
    assert_eq!(
        block,
        ["cargo run -- -C examples/shop up", "cargo test"],
        "the README's first code block"
    );
    // `.ci/run` runs the README's test command as it is written.
    let ci = read(&root().join(".ci/run"));
    let test = &block[1];
    assert!(
        ci.lines().any(|l| {
            let l = l.trim();
            l == test || l.starts_with(&format!("{test} ||")) || l.starts_with(&format!("{test};"))
        }),
        ".ci/run does not run `{test}`"
    );
}

#[test]
fn the_readme_table_lists_every_command() {
    let readme = read(&root().join("README.md"));
    let help = Pgfleet::new().args(["--help"]).success().stdout;
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() > 20, "{help}");
    for command in commands {
        assert!(
            readme.contains(&format!("| `{command}")) || readme.contains(&format!("/ `{command}")),
            "README.md's command table lacks `{command}`"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings (outside code blocks).
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut anchors = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            anchors.insert(slug(line.trim_start_matches('#')));
        }
    }
    anchors
}

/// `(target, line)` of every `](target)` link that is not a URL.
fn relative_links(markdown: &str) -> Vec<(String, usize)> {
    let mut links = Vec::new();
    let mut in_code = false;
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if !target.contains("://") && !target.starts_with("mailto:") {
                links.push((target.to_owned(), index + 1));
            }
            rest = &rest[end..];
        }
    }
    links
}

#[test]
fn every_relative_link_in_the_docs_lands() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = read(&page);
        for (target, line) in relative_links(&text) {
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let shown = format!("{}:{line}: `{target}`", page.display());
            if !file.exists() {
                broken.push(format!("{shown}: no such file"));
            } else if !anchor.is_empty() && !anchors(&read(&file)).contains(anchor) {
                broken.push(format!("{shown}: no such heading"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_docs_point_at_nothing_outside_the_repository() {
    for page in pages() {
        let text = read(&page);
        for (index, line) in text.lines().enumerate() {
            for word in ["../shared", "SPEC", "/work/"] {
                assert!(
                    !line.contains(word),
                    "{}:{}: mentions `{word}`",
                    page.display(),
                    index + 1
                );
            }
        }
    }
}
