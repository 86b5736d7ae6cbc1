//! `docs/getting-started.md` runs as written: every command of its `sh` blocks, in
//! order, in one shell, in an empty folder, against the embedded server its manifest
//! declares; each must exit as the guide says (`# exits N`, else 0).

use std::path::Path;
use std::process::Command;

use crate::support::{SCRUBBED, Workspace};

/// One command of the guide: its text (a here-document included), the line it starts
/// on, and the exit code the guide gives it.
#[derive(Debug, PartialEq)]
struct Step {
    line: usize,
    text: String,
    exit: i32,
}

/// The commands of every ```` ```sh ```` block, in order. A line ending in `\` goes on
/// on the next one; a line holding `<<'EOF'` (or `<<EOF`) takes the lines up to `EOF`.
/// Comment-only and blank lines are left out.
fn steps(markdown: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut in_sh = false;
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim();
        if !in_sh {
            in_sh = trimmed == "```sh";
            continue;
        }
        if trimmed == "```" {
            in_sh = false;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut text = line.to_owned();
        while text.ends_with('\\') {
            let (_, next) = lines.next().expect("a continued line goes on");
            text.push('\n');
            text.push_str(next);
        }
        if let Some(delimiter) = heredoc_delimiter(line) {
            for (_, body) in lines.by_ref() {
                text.push('\n');
                text.push_str(body);
                if body.trim() == delimiter {
                    break;
                }
            }
        }
        steps.push(Step {
            line: index + 1,
            exit: expected_exit(line),
            text,
        });
    }
    steps
}

/// `EOF` for `cat > f <<'EOF'`, `<<"EOF"` or `<<EOF`.
fn heredoc_delimiter(line: &str) -> Option<String> {
    let rest = &line[line.find("<<")? + 2..];
    let word = rest.trim_start_matches('-').split_whitespace().next()?;
    Some(word.trim_matches(|c| c == '\'' || c == '"').to_owned())
}

/// The code a `# exits N` comment gives; 0 without one.
fn expected_exit(line: &str) -> i32 {
    line.find(" # exits ").map_or(0, |at| {
        let digits: String = line[at + " # exits ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("`# exits` is followed by a number")
    })
}

/// The steps as one bash script that stops at the first command exiting otherwise
/// than the guide says, naming its line.
fn script(steps: &[Step]) -> String {
    let mut script = String::from("set +e\n");
    for step in steps {
        let first = step.text.lines().next().unwrap_or_default();
        script.push_str(&format!(
            "printf '%s\\n' '$ {}'\n",
            first.replace('\'', "'\\''")
        ));
        script.push_str(&step.text);
        script.push_str(&format!(
            "\nrc=$?\nif [ \"$rc\" != {exit} ]; then echo \"docs/getting-started.md:{line}: exited $rc, the guide says {exit}\" >&2; exit 90; fi\n",
            exit = step.exit,
            line = step.line,
        ));
    }
    script
}

#[test]
fn the_extractor_reads_commands_heredocs_and_exit_codes() {
    let markdown = "text\n```sh\n# a comment\npgfleet up   # exits 3: pending\ncat > f <<'EOF'\na\n\nEOF\necho a \\\n  b\n```\n```toml\nx = 1\n```\n";
    assert_eq!(
        steps(markdown),
        [
            Step {
                line: 4,
                text: "pgfleet up   # exits 3: pending".into(),
                exit: 3
            },
            Step {
                line: 5,
                text: "cat > f <<'EOF'\na\n\nEOF".into(),
                exit: 0
            },
            Step {
                line: 9,
                text: "echo a \\\n  b".into(),
                exit: 0
            },
        ]
    );
}

#[test]
fn every_command_of_the_getting_started_guide_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/getting-started.md")).unwrap();
    let steps = steps(&guide);
    // The guide goes through the whole life of a workspace.
    for command in [
        "pgfleet init",
        "pgfleet up",
        "pgfleet new ",
        "pgfleet migrate",
        "pgfleet status",
        "pgfleet rollback",
        "pgfleet seed",
        "pgfleet clean",
        "pgfleet reset",
        "pgfleet backup",
        "pgfleet restore",
        "pgfleet verify",
        "pgfleet drift",
        "pgfleet env",
        "pgfleet exec",
        "pgfleet -e ci ",
    ] {
        assert!(
            steps.iter().any(|s| s.text.contains(command)),
            "the guide runs no `{command}`"
        );
    }
    assert!(steps.iter().any(|s| s.exit != 0), "no documented failure");

    let ws = Workspace::new();
    let bin = Path::new(env!("CARGO_BIN_EXE_pgfleet")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(script(&steps))
        .current_dir(ws.path())
        .env("PATH", path)
        .env("NO_COLOR", "1");
    for var in SCRUBBED {
        command.env_remove(var);
    }
    let output = command.output().expect("bash runs");
    assert!(
        output.status.success(),
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or_default(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );

    // What the guide says the commands left behind.
    let gitignore = std::fs::read_to_string(ws.join(".gitignore")).unwrap();
    assert!(
        gitignore.lines().any(|l| l.trim() == ".pgfleet/"),
        "{gitignore}"
    );
    let env = std::fs::read_to_string(ws.join("services/billing/.env")).unwrap();
    assert!(
        env.contains("DATABASE_URL=") && env.contains("AUTH_DATABASE_URL="),
        "{env}"
    );
    assert!(ws.join("backups/first/manifest.json").is_file());
}
