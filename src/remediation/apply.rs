//! `pyaudit fix --apply`: run a uv or Poetry plan's steps, package by package, in the project
//! directory; after each package re-read the lock and re-audit it, and undo the package's steps
//! (the lock and `pyproject.toml` restored byte for byte) when they moved a package down or
//! brought in an advisory that was not there. Nothing is installed: the tool must be on `PATH`,
//! and uv is told not to download a Python.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use serde::Serialize;

use super::command::Step;
use super::plan::{FixPlan, Status};
use super::tool::Tool;

/// What one audit of the lock found: per package name, its version and advisory ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub packages: BTreeMap<String, (String, BTreeSet<String>)>,
    /// Packages that could not be checked.
    pub unchecked: Vec<String>,
}

/// What `--apply` did in one lock.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    pub lockfile: String,
    pub steps: Vec<AppliedStep>,
    /// `name old -> new: ids` for what is fixed now.
    pub fixed: Vec<String>,
    /// `name version: ids` for what is left, and why.
    pub left: Vec<String>,
    /// Steps undone, and why.
    pub refused: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppliedStep {
    pub command: String,
    /// `ok`, `failed: …`, `undone: …` or `not run: …`.
    pub outcome: String,
}

/// The words of a command the plan made (`uv lock --upgrade-package 'x==1'`): split on spaces,
/// single quotes taken off. The plan quotes only names and versions, which hold no spaces.
pub fn arguments(command: &str) -> Vec<String> {
    command
        .split_whitespace()
        .map(|word| word.trim_matches('\'').to_owned())
        .collect()
}

/// `program` on `PATH`, if there.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(program))
        .find(|candidate| candidate.is_file())
}

/// Run `plan` in `directory`. `audit` re-reads the lock and audits it.
pub fn run(
    plan: &FixPlan,
    directory: &Path,
    audit: &mut dyn FnMut() -> Result<Snapshot, String>,
) -> Applied {
    let mut applied = Applied {
        lockfile: plan.lockfile.clone(),
        ..Applied::default()
    };
    let program = match &plan.tool {
        Tool::Uv => "uv",
        Tool::Poetry => "poetry",
        other => {
            applied.left.push(format!(
                "not applied: a {} lock is changed by hand or by its compile command (shown above)",
                other.as_str()
            ));
            return applied;
        }
    };
    let Some(executable) = find_program(program) else {
        applied.left.push(format!(
            "not applied: `{program}` is not on PATH (pyaudit installs nothing)"
        ));
        return applied;
    };
    let mut baseline = match audit() {
        Ok(snapshot) => snapshot,
        Err(reason) => {
            applied.left.push(format!(
                "not applied: the lock could not be audited first: {reason}"
            ));
            return applied;
        }
    };
    let start = baseline.clone();
    let lockfile = PathBuf::from(&plan.lockfile);
    let guarded = [lockfile.clone(), directory.join("pyproject.toml")];
    for fix in &plan.packages {
        let runnable = matches!(
            fix.status,
            Status::Ready | Status::Blocked | Status::NeedsPrerelease
        ) && fix.refused.is_none();
        let commands: Vec<&str> = fix.steps.iter().filter_map(Step::command).collect();
        if !runnable || commands.is_empty() {
            continue;
        }
        let saved: Vec<(PathBuf, Option<Vec<u8>>)> = guarded
            .iter()
            .map(|path| (path.clone(), std::fs::read(path).ok()))
            .collect();
        let restore = || {
            for (path, bytes) in &saved {
                if let Some(bytes) = bytes {
                    let _ = std::fs::write(path, bytes);
                }
            }
        };
        let mut failed = None;
        for command in &commands {
            let words = arguments(command);
            let output = std::process::Command::new(&executable)
                .args(&words[1..])
                .current_dir(directory)
                .env("UV_PYTHON_DOWNLOADS", "never")
                .env("UV_NO_PROGRESS", "1")
                .output();
            match output {
                Ok(output) if output.status.success() => applied.steps.push(AppliedStep {
                    command: (*command).to_owned(),
                    outcome: "ok".to_owned(),
                }),
                Ok(output) => {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let last = stderr
                        .lines()
                        .rev()
                        .find(|line| !line.trim().is_empty())
                        .unwrap_or("no message")
                        .trim()
                        .to_owned();
                    failed = Some(format!("failed ({}): {last}", output.status));
                    applied.steps.push(AppliedStep {
                        command: (*command).to_owned(),
                        outcome: failed.clone().unwrap_or_default(),
                    });
                    break;
                }
                Err(error) => {
                    failed = Some(format!("failed to start: {error}"));
                    applied.steps.push(AppliedStep {
                        command: (*command).to_owned(),
                        outcome: failed.clone().unwrap_or_default(),
                    });
                    break;
                }
            }
        }
        if let Some(reason) = failed {
            restore();
            applied
                .refused
                .push(format!("{}: its steps were undone: {reason}", fix.name));
            continue;
        }
        let after = match audit() {
            Ok(snapshot) => snapshot,
            Err(reason) => {
                restore();
                applied.refused.push(format!(
                    "{}: its steps were undone: the new lock could not be audited: {reason}",
                    fix.name
                ));
                continue;
            }
        };
        let problems = regressions(&baseline, &after);
        if !problems.is_empty() {
            restore();
            applied.refused.push(format!(
                "{}: its steps were undone: {}",
                fix.name,
                problems.join("; ")
            ));
            continue;
        }
        baseline = after;
    }
    for (name, (version, ids)) in &start.packages {
        if ids.is_empty() {
            continue;
        }
        let now = baseline.packages.get(name);
        let remaining: BTreeSet<String> = now.map(|(_, ids)| ids.clone()).unwrap_or_default();
        let gone: Vec<&String> = ids.iter().filter(|id| !remaining.contains(*id)).collect();
        let new_version = now.map_or("removed", |(version, _)| version.as_str());
        if !gone.is_empty() {
            applied.fixed.push(format!(
                "{name} {version} -> {new_version}: {}",
                gone.iter()
                    .map(|id| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for (name, (version, ids)) in &baseline.packages {
        if !ids.is_empty() {
            let why = plan
                .packages
                .iter()
                .find(|fix| fix.name == *name)
                .map(|fix| fix.finding_fix().description)
                .unwrap_or_else(|| "not in the plan".to_owned());
            applied.left.push(format!(
                "{name} {version}: {} — {why}",
                ids.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for unchecked in &baseline.unchecked {
        applied.left.push(format!("not checked: {unchecked}"));
    }
    applied
}

/// What `after` does worse than `before`: a package moved down, an advisory id not there before.
pub fn regressions(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let known: BTreeSet<&String> = before.packages.values().flat_map(|(_, ids)| ids).collect();
    let mut problems = Vec::new();
    for (name, (version, ids)) in &after.packages {
        if let Some((old, _)) = before.packages.get(name)
            && let (Ok(old_version), Ok(new_version)) =
                (Version::from_str(old), Version::from_str(version))
            && new_version < old_version
        {
            problems.push(format!("it moved `{name}` down from {old} to {version}"));
        }
        let new: Vec<&str> = ids
            .iter()
            .filter(|id| !known.contains(id))
            .map(String::as_str)
            .collect();
        if !new.is_empty() {
            problems.push(format!(
                "it brought in {} on `{name}` {version}",
                new.join(", ")
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(entries: &[(&str, &str, &[&str])]) -> Snapshot {
        Snapshot {
            packages: entries
                .iter()
                .map(|(name, version, ids)| {
                    (
                        (*name).to_owned(),
                        (
                            (*version).to_owned(),
                            ids.iter().map(|id| (*id).to_owned()).collect(),
                        ),
                    )
                })
                .collect(),
            unchecked: Vec::new(),
        }
    }

    #[test]
    fn downgrades_and_new_advisories_are_regressions() {
        let before = snapshot(&[("a", "1.0", &["X-1"]), ("b", "2.0", &[])]);
        assert!(
            regressions(&before, &snapshot(&[("a", "1.1", &[]), ("b", "2.1", &[])])).is_empty()
        );
        assert_eq!(
            regressions(&before, &snapshot(&[("a", "1.1", &[]), ("b", "1.9", &[])])),
            ["it moved `b` down from 2.0 to 1.9"]
        );
        assert_eq!(
            regressions(
                &before,
                &snapshot(&[("a", "1.1", &["X-2"]), ("b", "2.0", &[])])
            ),
            ["it brought in X-2 on `a` 1.1"]
        );
    }

    #[test]
    fn plan_commands_split_into_arguments() {
        assert_eq!(
            arguments("uv lock --upgrade-package 'urllib3==1.26.17'"),
            ["uv", "lock", "--upgrade-package", "urllib3==1.26.17"]
        );
    }
}
