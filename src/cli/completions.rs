//! `pgfleet completions SHELL`: a completion script generated from the clap
//! definitions by clap_complete, plus the one thing clap cannot know: the
//! names in the manifest. For those the scripts call the hidden
//! `pgfleet __complete databases|envs|services`, which reads the manifest
//! found from the current folder (or `-C DIR`) each time TAB is pressed, so
//! the script never goes stale when the manifest changes.

use std::fmt::Write as _;

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use pgfleet::Error;

use super::{Cli, Output};

/// Print a shell completion script (databases and envs complete from the manifest)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pgfleet completions bash > ~/.local/share/bash-completion/completions/pgfleet
  pgfleet completions zsh > ~/.zfunc/_pgfleet      (with fpath+=~/.zfunc before compinit)
  pgfleet completions fish > ~/.config/fish/completions/pgfleet.fish

Database names after a command (`pgfleet migrate bil<TAB>`) and env names after
-e/--env come from the `pgfleet.toml` found from the current folder, or from -C DIR.
Bash completes them fully; zsh and fish complete databases after a command and envs.")]
pub struct CompletionsArgs {
    /// The shell to write the script for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[allow(clippy::unnecessary_wraps)] // the same shape as every other command's `run`
pub fn run(out: &Output, args: &CompletionsArgs) -> Result<u8, Error> {
    out.text(script(args.shell));
    Ok(0)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut raw = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut raw);
    let generated = String::from_utf8_lossy(&raw).into_owned();
    command.build();
    let model = Model::of(&command);
    match shell {
        Shell::Bash => bash(&generated, &model),
        Shell::Zsh => zsh(&generated),
        Shell::Fish => fish(&generated, &model),
        _ => generated,
    }
}

const BIN: &str = "pgfleet";

/// What the completion scripts need to know about the clap definitions.
#[derive(Debug, Default)]
struct Model {
    /// Every flag that takes a value (`-C`, `--target`, ...): the word after
    /// one is its value, not a positional.
    value_flags: Vec<String>,
    /// Commands that hold subcommands (`server`, `schema`), as paths.
    groups: Vec<String>,
    /// Commands with positionals naming databases.
    positionals: Vec<NamePositional>,
}

#[derive(Debug)]
struct NamePositional {
    /// `migrate`, `schema dump`.
    path: String,
    /// How many positionals come before it (`restore DIR [DB]..` has one).
    index: usize,
    /// `[DB]..` rather than `DB`.
    many: bool,
    /// What `__complete` should print for it.
    kinds: &'static str,
}

impl Model {
    fn of(root: &clap::Command) -> Model {
        let mut model = Model::default();
        model.visit(root, "");
        model.value_flags.sort();
        model.value_flags.dedup();
        model
    }

    fn visit(&mut self, command: &clap::Command, path: &str) {
        for arg in command.get_arguments() {
            if arg.is_positional() || !arg.get_action().takes_values() {
                continue;
            }
            if let Some(short) = arg.get_short() {
                self.value_flags.push(format!("-{short}"));
            }
            if let Some(long) = arg.get_long() {
                self.value_flags.push(format!("--{long}"));
            }
        }
        for (index, arg) in command.get_positionals().enumerate() {
            let kinds = match (arg.get_id().as_str(), arg.get_value_names()) {
                ("database" | "databases", _) => "databases",
                (_, Some(names)) if names.iter().any(|n| n.as_str() == "DB|SERVICE") => {
                    "databases services"
                }
                _ => continue,
            };
            let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            self.positionals.push(NamePositional {
                path: path.to_owned(),
                index,
                many,
                kinds,
            });
        }
        for sub in command.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let sub_path = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path} {}", sub.get_name())
            };
            if sub.has_subcommands() {
                self.groups.push(sub_path.clone());
            }
            self.visit(sub, &sub_path);
        }
    }
}

/// clap's script, then a wrapper registered in its place: it walks the
/// words typed so far and, where a database or env name goes, offers the
/// names `pgfleet __complete` prints; anywhere else it calls clap's function.
fn bash(generated: &str, model: &Model) -> String {
    let mut cases = String::new();
    for p in &model.positionals {
        let test = if p.many { ">=" } else { "==" };
        let _ = writeln!(
            cases,
            "        \"{}\") (( npos {test} {} )) && kinds=\"{}\" ;;",
            p.path, p.index, p.kinds
        );
    }
    let wrapper = BASH_WRAPPER
        .replace("@VALUE_FLAGS@", &model.value_flags.join(" "))
        .replace("@GROUPS@", &model.groups.join("|"))
        .replace("@CASES@\n", &cases);
    let registered = generated.replace("complete -F _pgfleet ", "complete -F _pgfleet_dynamic ");
    format!("{registered}\n{wrapper}")
}

const BASH_WRAPPER: &str = r#"# Names from the manifest: `pgfleet __complete` prints them, one per line.
_pgfleet_value_flags=" @VALUE_FLAGS@ "
_pgfleet_groups="|@GROUPS@|"

_pgfleet_names() {
    local cur="$1"
    shift
    local IFS=$'\n'
    COMPREPLY=( $(compgen -W "$(command pgfleet "${_pgfleet_workspace[@]}" __complete "$@" 2>/dev/null)" -- "$cur") )
}

_pgfleet_dynamic() {
    local cur prev word i path="" npos=0 skip=0 dashes=0 kinds=""
    local -a _pgfleet_workspace=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        if (( skip > 0 )); then
            skip=$(( skip - 1 ))
            continue
        fi
        case "$word" in
            --) dashes=1; break ;;
            -C|--workspace)
                local dir="${COMP_WORDS[i+1]}"
                [[ "$dir" == = ]] && dir="${COMP_WORDS[i+2]}"
                [[ "$dir" == "~/"* ]] && dir="$HOME/${dir#\~/}"
                _pgfleet_workspace=(-C "$dir")
                ;;
        esac
        if [[ "$word" == -* ]]; then
            if [[ "$_pgfleet_value_flags" == *" $word "* ]]; then
                skip=1
                [[ "${COMP_WORDS[i+1]}" == = ]] && skip=2
            fi
            continue
        fi
        if [[ -n "$path" && "$_pgfleet_groups" != *"|$path|"* ]]; then
            npos=$(( npos + 1 ))
        else
            path="${path:+$path }$word"
        fi
    done
    if [[ "$prev" == -e || "$prev" == --env ]] \
        || [[ "$prev" == = && "${COMP_WORDS[COMP_CWORD-2]}" == --env ]]; then
        _pgfleet_names "$cur" envs
        return 0
    fi
    if (( skip == 0 && dashes == 0 )) && [[ "$cur" != -* ]]; then
        case "$path" in
@CASES@
        esac
        if [[ -n "$kinds" ]]; then
            _pgfleet_names "$cur" $kinds
            return 0
        fi
    fi
    _pgfleet "$@"
}
"#;

/// clap's zsh script with `_default` swapped for the manifest's names where
/// a database or env goes.
fn zsh(generated: &str) -> String {
    let mut script = String::new();
    for line in generated.lines() {
        let line = if is_zsh_env_option(line) {
            line.replace(":ENV:_default'", ":ENV:_pgfleet_envs'")
        } else if ["database -- ", "databases -- ", "names -- "]
            .iter()
            .any(|p| line.contains(&format!(":{p}")))
        {
            line.replace(":_default'", ":_pgfleet_databases'")
        } else {
            line.to_owned()
        };
        script.push_str(&line);
        script.push('\n');
        if line.starts_with("#compdef ") {
            script.push_str(ZSH_HELPERS);
        }
    }
    script
}

fn is_zsh_env_option(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("'-e+[") || line.starts_with("'--env=[")
}

const ZSH_HELPERS: &str = r#"
# Names from the manifest: `pgfleet __complete` prints them, one per line.
_pgfleet_names() {
    local ws=${opt_args[-C]:-${opt_args[--workspace]}}
    local -a names
    names=(${(f)"$(command pgfleet ${ws:+-C} ${ws:+$ws} __complete "$@" 2>/dev/null)"})
    compadd -a names
}
_pgfleet_databases() { _pgfleet_names databases services }
_pgfleet_envs() { _pgfleet_names envs }
"#;

/// clap's fish script plus lines offering the manifest's names.
fn fish(generated: &str, model: &Model) -> String {
    let mut script = format!("{generated}\n{FISH_HELPERS}");
    for p in &model.positionals {
        let condition = match p.path.split_once(' ') {
            None => format!("__fish_pgfleet_using_subcommand {}", p.path),
            Some((command, sub)) => format!(
                "__fish_pgfleet_using_subcommand {command}; and __fish_seen_subcommand_from {sub}"
            ),
        };
        let _ = writeln!(
            script,
            "complete -c pgfleet -n \"{condition}\" -f -a \"(__fish_pgfleet_names {})\"",
            p.kinds
        );
    }
    script
}

const FISH_HELPERS: &str = r#"# Names from the manifest: `pgfleet __complete` prints them, one per line.
function __fish_pgfleet_names
    set -l tokens (commandline -opc)
    set -l ws
    if set -l i (contains -i -- -C $tokens); or set -l i (contains -i -- --workspace $tokens)
        set ws -C $tokens[(math $i + 1)]
    end
    command pgfleet $ws __complete $argv 2>/dev/null
end
complete -c pgfleet -s e -l env -x -a "(__fish_pgfleet_names envs)"
"#;
