//! How pyaudit reaches users: the wheel's metadata (pyproject.toml), the pre-commit hook
//! (.pre-commit-hooks.yaml), the CI recipes under examples/, shell completions and man pages.
//! Building and installing the wheel and running the hook with pre-commit itself are in
//! `scripts/check-wheel.sh` and `scripts/check-pre-commit.sh` (run by `.ci/run`); these tests
//! check that the files say what the binary accepts.

use std::path::Path;
use std::process::Command as Process;

use crate::support::command::Hermetic;
use assert_cmd::Command;
use clap::Parser;
use predicates::prelude::*;
use pyaudit::cli::Cli;
use serde_json::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn pyaudit() -> Command {
    Hermetic::without_cache().command()
}

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn yaml(relative: &str) -> Value {
    serde_saphyr::from_str(&read(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

fn pyproject() -> toml::Table {
    read("pyproject.toml").parse().unwrap()
}

/// The distribution name users install (`pipx install pyaudit-cli`).
fn distribution() -> String {
    pyproject()["project"]["name"].as_str().unwrap().to_string()
}

/// `bash -n`: the script parses.
fn assert_bash_parses(script: &str, what: &str) {
    let output = Process::new("bash")
        .args(["-n", "-c", script])
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{what} does not parse as bash:\n{}\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every `pyaudit ...` command line in a shell script, as words, without redirections and
/// `|| ...` tails; each must be accepted by pyaudit's own argument parser.
fn pyaudit_commands(script: &str) -> Vec<Vec<String>> {
    script
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            // At the start of a command: the line's, or a command substitution's.
            line.match_indices("pyaudit ")
                .find(|(start, _)| *start == 0 || line[..*start].ends_with("$("))
                .map(|(start, _)| &line[start..])
        })
        .map(|command| {
            let command = command.split("||").next().unwrap();
            let command = command.split(['>', ')', ';']).next().unwrap();
            command
                .split_whitespace()
                .map(|word| word.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

fn assert_cli_accepts(command: &[String], what: &str) {
    if let Err(error) = Cli::try_parse_from(command) {
        panic!("{what}: `{}` is rejected:\n{error}", command.join(" "));
    }
}

/// The word after `flag` in a command.
fn flag_value<'a>(command: &'a [String], flag: &str) -> Option<&'a str> {
    command
        .iter()
        .position(|word| word == flag)
        .and_then(|index| command.get(index + 1))
        .map(String::as_str)
}

fn lock_command<'a>(commands: &'a [Vec<String>], format: &str) -> &'a [String] {
    commands
        .iter()
        .find(|command| command[1] == "lock" && flag_value(command, "--format") == Some(format))
        .unwrap_or_else(|| panic!("no `pyaudit lock --format {format}` in {commands:?}"))
}

#[test]
fn pyproject_builds_the_binary_wheel_of_the_cargo_package() {
    let pyproject = pyproject();
    assert_eq!(distribution(), "pyaudit-cli");
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(
        pyproject["tool"]["maturin"]["bindings"].as_str(),
        Some("bin")
    );
    let dynamic = pyproject["project"]["dynamic"].as_array().unwrap();
    assert!(
        dynamic
            .iter()
            .any(|field| field.as_str() == Some("version")),
        "the version comes from Cargo.toml"
    );
    assert!(pyproject["project"].get("version").is_none());
    let cargo: toml::Table = read("Cargo.toml").parse().unwrap();
    assert_eq!(
        pyproject["project"]["license"].as_str(),
        cargo["workspace"]["package"]["license"].as_str()
    );
    assert_eq!(pyproject["project"]["readme"].as_str(), Some("README.md"));
}

#[test]
fn pre_commit_hook_runs_pyaudit_lock_on_lockfile_changes() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let hook = hooks
        .iter()
        .find(|hook| hook["id"] == "pyaudit")
        .expect("the pyaudit hook");
    assert_eq!(hook["language"], "python", "installs this repository");
    assert_eq!(hook["pass_filenames"], false, "audits the repository root");
    let entry: Vec<String> = hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(entry, ["pyaudit", "lock"]);
    // With the arguments the README and the test script give it.
    let mut offline = entry.clone();
    offline.push("--offline".into());
    assert_cli_accepts(&offline, ".pre-commit-hooks.yaml");
    let files = hook["files"].as_str().unwrap();
    for name in [
        "uv\\.lock",
        "poetry\\.lock",
        "requirements",
        "pyaudit\\.toml",
    ] {
        assert!(files.contains(name), "`files` covers {name}: {files}");
    }
}

#[test]
fn github_actions_recipe_caches_uploads_sarif_comments_and_fails_last() {
    let workflow = yaml("examples/github-actions/pyaudit.yml");
    // YAML 1.2: `on` is a key, not `true`.
    assert!(
        workflow["on"].get("pull_request").is_some(),
        "{}",
        workflow["on"]
    );
    let job = &workflow["jobs"]["audit"];
    assert_eq!(job["permissions"]["security-events"], "write");
    assert_eq!(job["permissions"]["pull-requests"], "write");
    assert_eq!(
        job["env"]["PYAUDIT_VERSION"], VERSION,
        "the recipe pins this release"
    );
    let steps = job["steps"].as_array().unwrap();
    let position = |what: &str, test: &dyn Fn(&Value) -> bool| {
        steps
            .iter()
            .position(test)
            .unwrap_or_else(|| panic!("no step that {what}"))
    };
    let run = |step: &Value| step["run"].as_str().unwrap_or_default().to_string();
    for step in steps {
        let script = run(step);
        if !script.is_empty() {
            assert_bash_parses(&script, &format!("step {}", step["name"]));
            for command in pyaudit_commands(&script) {
                assert_cli_accepts(&command, "examples/github-actions/pyaudit.yml");
            }
        }
    }

    let install = position("installs pyaudit", &|step| {
        run(step).contains(&format!("install \"{}==$PYAUDIT_VERSION\"", distribution()))
    });
    let cache_dir = position("prints the cache directory", &|step| {
        run(step).contains("$(pyaudit cache dir)")
    });
    let cache_id = steps[cache_dir]["id"].as_str().unwrap();
    let cache = position("restores the cache", &|step| {
        step["uses"]
            .as_str()
            .is_some_and(|uses| uses.starts_with("actions/cache@"))
    });
    assert_eq!(
        steps[cache]["with"]["path"],
        format!("${{{{ steps.{cache_id}.outputs.dir }}}}")
    );
    assert!(steps[cache]["with"]["restore-keys"].is_string());
    let audit = position("audits", &|step| run(step).contains("pyaudit lock"));
    let audit_step = &steps[audit];
    let audit_id = audit_step["id"].as_str().unwrap();
    let commands = pyaudit_commands(&run(audit_step));
    let sarif_file = flag_value(lock_command(&commands, "sarif"), "--output").unwrap();
    let markdown_file = flag_value(lock_command(&commands, "markdown"), "--output").unwrap();
    assert!(
        run(audit_step).contains("|| status=$?"),
        "findings (exit 1) must not stop the job before the upload"
    );
    assert!(install < cache_dir && cache_dir < cache && cache < audit);

    let upload = position("uploads the SARIF", &|step| {
        step["uses"]
            .as_str()
            .is_some_and(|uses| uses.starts_with("github/codeql-action/upload-sarif@"))
    });
    assert_eq!(steps[upload]["with"]["sarif_file"], sarif_file);
    assert!(steps[upload]["if"].as_str().unwrap().contains("always()"));
    let comment = position("comments on the pull request", &|step| {
        step["with"]["script"]
            .as_str()
            .is_some_and(|script| script.contains(markdown_file))
    });
    let condition = steps[comment]["if"].as_str().unwrap();
    assert!(condition.contains("always()") && condition.contains("pull_request"));

    let last = steps.last().unwrap();
    assert_eq!(last["if"], "always()");
    assert!(run(last).contains(&format!("steps.{audit_id}.outputs.status")));
    assert!(run(last).contains("exit 1"));
    assert!(audit < upload && upload < comment && comment < steps.len() - 1);
}

#[test]
fn gitlab_recipe_reports_code_quality_and_fails_after_the_artifacts() {
    let pipeline = yaml("examples/gitlab/pyaudit.gitlab-ci.yml");
    let job = &pipeline["pyaudit"];
    assert_eq!(job["variables"]["PYAUDIT_VERSION"], VERSION);
    let before = job["before_script"].as_array().unwrap();
    assert!(before.iter().any(|line| {
        line.as_str()
            .unwrap()
            .contains(&format!("\"{}==$PYAUDIT_VERSION\"", distribution()))
    }));
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    // GitLab runs the lines in one shell.
    let joined = script.join("\n");
    assert_bash_parses(&joined, "the GitLab script");
    let commands = pyaudit_commands(&joined);
    for command in &commands {
        assert_cli_accepts(command, "examples/gitlab/pyaudit.gitlab-ci.yml");
    }
    let report = flag_value(lock_command(&commands, "gitlab"), "--output").unwrap();
    assert_eq!(job["artifacts"]["reports"]["codequality"], report);
    assert_eq!(job["artifacts"]["when"], "always");
    assert!(joined.contains("|| status=$?"));
    assert_eq!(script.last(), Some(&"exit $status"));

    let cache_dir = job["variables"]["PYAUDIT_CACHE_DIR"].as_str().unwrap();
    let relative = cache_dir
        .strip_prefix("$CI_PROJECT_DIR/")
        .expect("inside the project");
    let paths = job["cache"]["paths"].as_array().unwrap();
    assert!(paths.iter().any(|path| path == relative), "{paths:?}");
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = pyaudit().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for word in [
            "lock",
            "graph",
            "why",
            "explain",
            "completions",
            "man",
            "format",
        ] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
        // Shells whose scripts list the values of an option.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(
                script.contains("gitlab"),
                "{shell} completions lack `--format gitlab`"
            );
        }
        if shell == "bash" {
            assert_bash_parses(&script, "the bash completions");
            assert!(
                script.contains("complete -F _pyaudit"),
                "registers for pyaudit"
            );
        }
    }
    pyaudit()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values"));
}

#[test]
fn bash_completion_completes_subcommands_and_formats() {
    let script = String::from_utf8(
        pyaudit()
            .args(["completions", "bash"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    // Source the script, complete `pyaudit lo<TAB>` and `pyaudit lock --format <TAB>`.
    let complete = |words: &str, current: usize| -> String {
        let probe = format!(
            "{script}\nCOMP_WORDS=({words}); COMP_CWORD={current}; COMP_LINE=\"{words}\"; \
             COMP_POINT=${{#COMP_LINE}}; _pyaudit pyaudit \"${{COMP_WORDS[$COMP_CWORD]}}\" \
             \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = Process::new("bash").args(["-c", &probe]).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let subcommands = complete("pyaudit lo", 1);
    assert_eq!(subcommands.trim(), "lock");
    let formats = complete("pyaudit lock --format ''", 3);
    for format in ["text", "json", "sarif", "cyclonedx", "markdown", "gitlab"] {
        assert!(formats.lines().any(|line| line == format), "{formats}");
    }
}

#[test]
fn man_page_documents_commands_and_exit_status() {
    let output = pyaudit().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH pyaudit 1"), "{page}");
    assert!(page.contains(&format!("\"pyaudit {VERSION}\"")), "{page}");
    for section in ["SYNOPSIS", "SUBCOMMANDS", "EXIT STATUS", "ENVIRONMENT"] {
        assert!(
            page.contains(&format!(".SH {section}"))
                || page.contains(&format!(".SH \"{section}\"")),
            "{section}"
        );
    }
    for subcommand in [
        "lock",
        "graph",
        "why",
        "db",
        "cache",
        "explain",
        "completions",
    ] {
        assert!(
            page.contains(&format!("pyaudit\\-{subcommand}(1)")),
            "{subcommand}"
        );
    }
    assert!(
        !page.contains("pyaudit\\-help"),
        "no page for the help subcommand"
    );
}

#[test]
fn man_output_dir_writes_one_page_per_command() {
    let directory = tempfile::tempdir().unwrap();
    let output = pyaudit()
        .args(["man", "--output-dir"])
        .arg(directory.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let listed = String::from_utf8(output.stdout).unwrap();
    for page in [
        "pyaudit.1",
        "pyaudit-lock.1",
        "pyaudit-db-import.1",
        "pyaudit-cache-clean.1",
    ] {
        let path = directory.path().join(page);
        assert!(listed.contains(&path.display().to_string()), "{listed}");
        assert!(path.is_file(), "{page}");
    }
    let lock = std::fs::read_to_string(directory.path().join("pyaudit-lock.1")).unwrap();
    assert!(
        lock.contains("\\-\\-format"),
        "the lock page documents its options"
    );
    assert!(lock.contains("gitlab"));
    let main = std::fs::read_to_string(directory.path().join("pyaudit.1")).unwrap();
    assert!(main.contains(".SH \"SEE ALSO\""));
    // Where groff is installed, the pages must render without warnings.
    if Process::new("groff").arg("--version").output().is_ok() {
        for page in ["pyaudit.1", "pyaudit-lock.1"] {
            let rendered = Process::new("groff")
                .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
                .arg(directory.path().join(page))
                .output()
                .unwrap();
            assert!(rendered.status.success(), "{page}");
            assert!(
                rendered.stderr.is_empty(),
                "{page}: {}",
                String::from_utf8_lossy(&rendered.stderr)
            );
        }
    }
}
