//! The steps that move packages to their targets, in the words of the tool that owns the lock:
//! a project constraint that keeps the target out is changed first (`uv add`, `poetry add`, an
//! edit of the `.in` file), then the lock is moved (`uv lock --upgrade-package X==V`,
//! `poetry update X`, the requirements file's own compile command with `--upgrade-package`), or,
//! for a hand-written requirements file, the pins are edited.

use std::path::Path;

use serde::Serialize;

use super::constraints::{ProjectConstraint, Section};
use super::tool::{Tool, safe_command};
use crate::lockfile::Location;

/// One package to move.
#[derive(Debug, Clone)]
pub struct Move {
    pub name: String,
    pub locked: String,
    pub target: String,
    pub prerelease: bool,
    /// The project's constraint that keeps `target` out, if any.
    pub constraint: Option<ProjectConstraint>,
    /// Where the package is pinned in the lock (requirements files).
    pub pin: Option<Location>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Step {
    /// Run a command in the project directory.
    Run { command: String, why: String },
    /// Change a line of a file by hand.
    Edit {
        location: Location,
        from: String,
        to: String,
        why: String,
    },
}

impl Step {
    pub fn command(&self) -> Option<&str> {
        match self {
            Step::Run { command, .. } => Some(command),
            Step::Edit { .. } => None,
        }
    }

    /// The step in one line of words.
    pub fn describe(&self) -> String {
        match self {
            Step::Run { command, .. } => format!("run `{command}`"),
            Step::Edit {
                location, from, to, ..
            } => format!("edit {location}: `{from}` -> `{to}`"),
        }
    }
}

/// The steps for `moves` (dependents first, the vulnerable package last).
pub fn steps(tool: &Tool, moves: &[Move], lockfile: &Path, input_file: Option<&Path>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut upgrades: Vec<&Move> = Vec::new();
    for item in moves {
        // A group or extra name that is not plain is not put in a command (it comes from the
        // project's file): the constraint is then edited by hand.
        let flag = item
            .constraint
            .as_ref()
            .and_then(|constraint| section_flag(&constraint.section, "--optional", "--group"));
        match (&item.constraint, tool) {
            (Some(constraint), Tool::Uv | Tool::Poetry) if flag.is_none() => {
                steps.push(Step::Edit {
                    location: constraint.location.clone(),
                    from: constraint.requirement.clone(),
                    to: format!("{}>={}", item.name, item.target),
                    why: blocked_by(item, constraint),
                });
                upgrades.push(item);
            }
            (Some(constraint), Tool::Uv) => steps.push(Step::Run {
                command: format!(
                    "uv add{} '{}>={}'",
                    flag.clone().unwrap_or_default(),
                    item.name,
                    item.target
                ),
                why: blocked_by(item, constraint),
            }),
            (Some(constraint), Tool::Poetry) => steps.push(Step::Run {
                command: format!(
                    "poetry add{}{} '{}@^{}'",
                    flag.clone().unwrap_or_default(),
                    if item.prerelease {
                        " --allow-prereleases"
                    } else {
                        ""
                    },
                    item.name,
                    item.target
                ),
                why: blocked_by(item, constraint),
            }),
            (Some(constraint), _) => steps.push(Step::Edit {
                location: constraint.location.clone(),
                from: constraint.requirement.clone(),
                to: format!("{}>={}", item.name, item.target),
                why: blocked_by(item, constraint),
            }),
            (None, _) => upgrades.push(item),
        }
    }
    let changed_constraints = moves.iter().any(|item| item.constraint.is_some());
    let why = |items: &[&Move]| {
        let names: Vec<String> = items
            .iter()
            .map(|item| format!("`{}` {} -> {}", item.name, item.locked, item.target))
            .collect();
        format!("moves {} in the lock", names.join(", "))
    };
    let upgrade_flags = |items: &[&Move]| {
        items
            .iter()
            .map(|item| format!(" --upgrade-package '{}=={}'", item.name, item.target))
            .collect::<String>()
    };
    match tool {
        Tool::Uv if !upgrades.is_empty() => {
            let pre = if upgrades.iter().any(|item| item.prerelease) {
                " --prerelease allow"
            } else {
                ""
            };
            steps.push(Step::Run {
                command: format!("uv lock{pre}{}", upgrade_flags(&upgrades)),
                why: why(&upgrades),
            });
        }
        Tool::Poetry if !upgrades.is_empty() => {
            let names: Vec<&str> = upgrades.iter().map(|item| item.name.as_str()).collect();
            steps.push(Step::Run {
                command: format!("poetry update {}", names.join(" ")),
                why: why(&upgrades),
            });
        }
        Tool::UvPipCompile { command } | Tool::PipCompile { command }
            if !upgrades.is_empty() || changed_constraints =>
        {
            let base = command
                .clone()
                .unwrap_or_else(|| default_compile(tool, lockfile, input_file));
            let pre = if moves.iter().any(|item| item.prerelease) {
                " --pre"
            } else {
                ""
            };
            let all: Vec<&Move> = moves.iter().collect();
            steps.push(Step::Run {
                command: format!("{base}{pre}{}", upgrade_flags(&all)),
                why: format!(
                    "regenerates {} with {}",
                    lockfile.display(),
                    why(&all).trim_start_matches("moves ")
                ),
            });
        }
        Tool::Pdm if !upgrades.is_empty() => {
            let names: Vec<&str> = upgrades.iter().map(|item| item.name.as_str()).collect();
            steps.push(Step::Run {
                command: format!("pdm update {}", names.join(" ")),
                why: why(&upgrades),
            });
        }
        Tool::Pipenv if !upgrades.is_empty() => {
            let names: Vec<&str> = upgrades.iter().map(|item| item.name.as_str()).collect();
            steps.push(Step::Run {
                command: format!("pipenv update {}", names.join(" ")),
                why: why(&upgrades),
            });
        }
        Tool::Regenerate { by } => {
            for item in upgrades {
                steps.push(Step::Edit {
                    location: item
                        .pin
                        .clone()
                        .unwrap_or_else(|| Location::new(lockfile, 1)),
                    from: format!("{}=={}", item.name, item.locked),
                    to: format!("{}=={}", item.name, item.target),
                    why: format!("not edited in place: regenerate it with {by}"),
                });
            }
        }
        Tool::Requirements => {
            for item in upgrades {
                match &item.pin {
                    Some(location) => steps.push(Step::Edit {
                        location: location.clone(),
                        from: format!("{}=={}", item.name, item.locked),
                        to: format!("{}=={}", item.name, item.target),
                        why: "a hand-written requirements file: its pin is the lock".to_owned(),
                    }),
                    None => steps.push(Step::Edit {
                        location: Location::new(lockfile, 1),
                        from: format!("{}=={}", item.name, item.locked),
                        to: format!("{}=={}", item.name, item.target),
                        why: "a hand-written requirements file: its pin is the lock".to_owned(),
                    }),
                }
            }
        }
        _ => {}
    }
    steps
}

/// The flag that names the constraint's group or extra; `None` when the name is not plain.
fn section_flag(section: &Section, optional: &str, group: &str) -> Option<String> {
    let plain = |name: &str| safe_command(name).is_some_and(|safe| safe == name);
    match section {
        Section::Main => Some(String::new()),
        Section::Optional(extra) => plain(extra).then(|| format!(" {optional} {extra}")),
        Section::Group(name) => plain(name).then(|| format!(" {group} {name}")),
    }
}

fn blocked_by(item: &Move, constraint: &ProjectConstraint) -> String {
    format!(
        "`{}` at {} keeps `{}` below {}",
        constraint.requirement, constraint.location, item.name, item.target
    )
}

/// The compile command when the header gives none that can be repeated.
fn default_compile(tool: &Tool, lockfile: &Path, input_file: Option<&Path>) -> String {
    let name = |path: &Path| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .and_then(|name| safe_command(&name).filter(|safe| *safe == name))
    };
    let output = name(lockfile).unwrap_or_else(|| "requirements.txt".to_owned());
    let input = input_file
        .and_then(name)
        .unwrap_or_else(|| "requirements.in".to_owned());
    match tool {
        Tool::UvPipCompile { .. } => format!("uv pip compile {input} -o {output}"),
        _ => format!("pip-compile --output-file={output} {input}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::constraints::Syntax;
    use super::*;

    fn item(name: &str, locked: &str, target: &str, constraint: Option<ProjectConstraint>) -> Move {
        Move {
            name: name.into(),
            locked: locked.into(),
            target: target.into(),
            prerelease: false,
            constraint,
            pin: Some(Location::new("requirements.txt", 4)),
        }
    }

    fn pin(
        requirement: &str,
        constraint: &str,
        syntax: Syntax,
        section: Section,
    ) -> ProjectConstraint {
        ProjectConstraint {
            requirement: requirement.into(),
            constraint: Some(constraint.into()),
            syntax,
            section,
            location: Location::new("pyproject.toml", 7),
        }
    }

    #[test]
    fn each_tool_gets_its_own_command() {
        let lock = Path::new("uv.lock");
        let moves = [
            item("requests", "2.19.0", "2.25.0", None),
            item("urllib3", "1.23", "1.26.17", None),
        ];
        assert_eq!(
            steps(&Tool::Uv, &moves, lock, None)[0].command(),
            Some(
                "uv lock --upgrade-package 'requests==2.25.0' --upgrade-package 'urllib3==1.26.17'"
            )
        );
        assert_eq!(
            steps(&Tool::Poetry, &moves, lock, None)[0].command(),
            Some("poetry update requests urllib3")
        );
        let uv_compile = Tool::UvPipCompile {
            command: Some("uv pip compile requirements.in -o requirements.txt".into()),
        };
        assert_eq!(
            steps(
                &uv_compile,
                &moves[1..],
                Path::new("requirements.txt"),
                None
            )[0]
            .command(),
            Some(
                "uv pip compile requirements.in -o requirements.txt --upgrade-package 'urllib3==1.26.17'"
            )
        );
        let pip_compile = Tool::PipCompile { command: None };
        assert_eq!(
            steps(
                &pip_compile,
                &moves[1..],
                Path::new("requirements.txt"),
                Some(Path::new("requirements.in"))
            )[0]
            .command(),
            Some(
                "pip-compile --output-file=requirements.txt requirements.in --upgrade-package 'urllib3==1.26.17'"
            )
        );
        let by_hand = steps(
            &Tool::Requirements,
            &moves[1..],
            Path::new("requirements.txt"),
            None,
        );
        assert_eq!(
            by_hand[0].describe(),
            "edit requirements.txt:4: `urllib3==1.23` -> `urllib3==1.26.17`"
        );
    }

    #[test]
    fn a_project_constraint_is_changed_first() {
        let lock = Path::new("uv.lock");
        let django = [item(
            "django",
            "3.2.0",
            "3.2.25",
            Some(pin(
                "django==3.2.0",
                "==3.2.0",
                Syntax::Pep440,
                Section::Main,
            )),
        )];
        let uv = steps(&Tool::Uv, &django, lock, None);
        assert_eq!(uv.len(), 1);
        assert_eq!(uv[0].command(), Some("uv add 'django>=3.2.25'"));
        let flask = [item(
            "flask",
            "1.1.4",
            "2.2.5",
            Some(pin(
                "flask = \"^1.1\"",
                "^1.1",
                Syntax::Poetry,
                Section::Group("web".into()),
            )),
        )];
        assert_eq!(
            steps(&Tool::Poetry, &flask, lock, None)[0].command(),
            Some("poetry add --group web 'flask@^2.2.5'")
        );
        let hostile = [item(
            "flask",
            "1.1.4",
            "2.2.5",
            Some(pin(
                "flask = \"^1.1\"",
                "^1.1",
                Syntax::Poetry,
                Section::Group("web;curl x|sh".into()),
            )),
        )];
        let hostile_steps = steps(&Tool::Poetry, &hostile, lock, None);
        assert_eq!(
            hostile_steps[0].describe(),
            "edit pyproject.toml:7: `flask = \"^1.1\"` -> `flask>=2.2.5`"
        );
        assert_eq!(hostile_steps[1].command(), Some("poetry update flask"));
        let compiled = steps(
            &Tool::PipCompile { command: None },
            &django,
            Path::new("requirements.txt"),
            None,
        );
        assert_eq!(
            compiled[0].describe(),
            "edit pyproject.toml:7: `django==3.2.0` -> `django>=3.2.25`"
        );
        assert!(
            compiled[1]
                .command()
                .unwrap()
                .ends_with("--upgrade-package 'django==3.2.25'")
        );
    }
}
