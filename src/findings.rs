//! Findings and the rule registry: every finding a user sees carries a stable rule code, a
//! kebab-case name, a level, the package and the path that brought it in, the evidence and a fix.
//!
//! Codes are never reused. PA0xx: the audit itself; PA1xx: vulnerabilities and malicious packages;
//! PA6xx: usage (unused, missing, transitive and dev-leaking dependencies, orphaned lock entries).

use serde::Serialize;

use crate::graph::Class;
use crate::lockfile::Location;
use pyaudit_advisories::Vulnerability;

/// What a finding does to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Fails the run (exit 1).
    Deny,
    /// Reported, does not fail the run.
    Warn,
    /// Not reported.
    Allow,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

/// A rule: what it checks and how it is named. `docs` follows ruff's layout (what it does, why
/// it matters, how to fix) and is what `pyaudit explain` will print.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_level: Level,
    pub summary: &'static str,
    pub docs: &'static str,
}

pub const UNCHECKED_PACKAGE: Rule = Rule {
    code: "PA001",
    name: "unchecked-package",
    default_level: Level::Deny,
    summary: "no advisory source could answer for this package",
    docs: "## What it does\nReports a pinned registry package for which no advisory source \
           (OSV, the local database, `--advisories`) could give an answer: the service was \
           unreachable, answered with an error, or sent a malformed record.\n\n\
           ## Why is this bad?\nAn unchecked package is not a clean package. pyaudit fails closed: \
           it never reports \"no known vulnerabilities\" for a package it could not check.\n\n\
           ## How to fix\nRetry when the service is reachable, or audit offline: \
           `pyaudit db import PATH` (a directory of OSV records or OSV's PyPI all.zip) or \
           `pyaudit db sync`, then `pyaudit lock --offline`. `--allow-unchecked` turns this into a \
           warning.",
};

pub const VULNERABILITY: Rule = Rule {
    code: "PA101",
    name: "vulnerability",
    default_level: Level::Deny,
    summary: "the locked version is affected by a known vulnerability",
    docs: "## What it does\nReports a locked package version that an OSV advisory (PYSEC, GHSA, \
           CVE, …) lists as affected, by the OSV matching rules on PEP 440 versions. Records that \
           describe the same vulnerability under several ids are merged into one finding.\n\n\
           ## Why is this bad?\nKnown vulnerabilities are what attackers try first.\n\n\
           ## How to fix\nUpgrade to the fix version the finding names (the smallest fixed \
           version above the locked one) with the lock's own tool, e.g. \
           `uv lock --upgrade-package NAME`, `poetry update NAME`, or edit the pin in the \
           requirements file.",
};

pub const MALICIOUS_PACKAGE: Rule = Rule {
    code: "PA102",
    name: "malicious-package",
    default_level: Level::Deny,
    summary: "the package is reported as malicious",
    docs: "## What it does\nReports a package that an OpenSSF malicious-packages record (`MAL-` \
           id) lists: typosquats, dependency-confusion uploads, packages that steal credentials.\n\n\
           ## Why is this bad?\nInstalling it runs an attacker's code on developer machines and in \
           CI.\n\n## How to fix\nRemove it from the project, rotate any credential the machines \
           that installed it could reach, and check how it got in (`pyaudit why NAME`).",
};

pub const UNUSED_DEPENDENCY: Rule = Rule {
    code: "PA601",
    name: "unused-dependency",
    default_level: Level::Warn,
    summary: "a declared dependency is never imported",
    docs: "## What it does\nReports a main or optional (extra) dependency of `pyproject.toml` (or \
           of a production requirements file) that no `.py`, `.pyi` or notebook of the project \
           imports. The modules a distribution provides come from its locked wheel's file list \
           (read over HTTP range requests, cached), a `--venv`, `[usage.modules]`, or a \
           documented guess, which the finding then names.\n\n\
           Not reported: pytest plugins, type stubs (`types-*`, `*-stubs`), build backends, \
           CLI-only tools and packages listed in `[usage] ignore-unused`.\n\n\
           ## Why is this bad?\nEvery dependency is code that runs on your machines and in \
           production, with its own vulnerabilities and maintainers. One you do not use is risk \
           for nothing.\n\n## How to fix\nRemove it (`uv remove NAME`, `poetry remove NAME`), or, \
           when it is needed without being imported (a plugin, a driver loaded by name), list it in \
           `[usage] ignore-unused` with a comment saying why.",
};

pub const MISSING_DEPENDENCY: Rule = Rule {
    code: "PA602",
    name: "missing-dependency",
    default_level: Level::Deny,
    summary: "the code imports a module no dependency provides",
    docs: "## What it does\nReports a module imported at run time by the project's code (not \
           standard library, not the project's own, not guarded by `except ImportError`, not \
           under `if TYPE_CHECKING:`) that no declared dependency and no locked package \
           provides.\n\n## Why is this bad?\nThe code works only where the module happens to be \
           installed: a clean install fails with `ModuleNotFoundError`.\n\n## How to fix\nDeclare \
           the distribution that provides it (`uv add NAME`, `poetry add NAME`); if pyaudit \
           guessed the mapping wrongly, map it in `[usage.modules]`, or list the module in \
           `[usage] ignore-missing`.",
};

pub const TRANSITIVE_DEPENDENCY: Rule = Rule {
    code: "PA603",
    name: "transitive-dependency",
    default_level: Level::Warn,
    summary: "the code imports a package it only gets through another dependency",
    docs: "## What it does\nReports a module imported by the project's code whose distribution \
           is locked only because another dependency needs it.\n\n## Why is this bad?\nThe day \
           that dependency drops it or moves to an incompatible major version, the import breaks, \
           and no version constraint of yours stops it.\n\n## How to fix\nDeclare it directly \
           (`uv add NAME`, `poetry add NAME`) with the versions your code supports.",
};

pub const DEV_DEPENDENCY_IN_PRODUCTION: Rule = Rule {
    code: "PA604",
    name: "dev-dependency-in-production",
    default_level: Level::Deny,
    summary: "production code imports a package declared only for development",
    docs: "## What it does\nReports a module imported at run time by production code (not a test \
           path) whose distribution is declared only in a dependency group or a dev requirements \
           file.\n\n## Why is this bad?\nA production install (`uv sync --no-dev`, `poetry \
           install --only main`) does not install it: the import fails there.\n\n## How to fix\n\
           Move the dependency to the main dependencies, or move the import into test code or \
           under `if TYPE_CHECKING:`.",
};

pub const DEV_TOOL_IN_PRODUCTION: Rule = Rule {
    code: "PA605",
    name: "dev-tool-in-production",
    default_level: Level::Warn,
    summary: "a development tool is installed in production",
    docs: "## What it does\nReports a known development-only tool (test runners, linters, \
           formatters, type checkers, debuggers, notebook kernels; extend the list with \
           `[usage] dev-tools`) that the lock installs with the main dependencies, with the path \
           that brings it in.\n\n## Why is this bad?\nIt grows the production image and its \
           attack surface, and debuggers and kernels can execute code on request.\n\n\
           ## How to fix\nMove it to a dependency group (`uv add --dev NAME`, \
           `poetry add --group dev NAME`), or drop the dependency that pulls it in.",
};

pub const ORPHANED_PACKAGE: Rule = Rule {
    code: "PA606",
    name: "orphaned-package",
    default_level: Level::Warn,
    summary: "a lock entry no root reaches",
    docs: "## What it does\nReports a package of the lockfile that neither the project nor any of \
           its extras or dependency groups installs.\n\n## Why is this bad?\nThe lock is stale: it \
           no longer describes what an install does, so audits of it audit the wrong thing.\n\n\
           ## How to fix\nRegenerate the lock (`uv lock`, `poetry lock`, `pip-compile`).",
};

/// Every rule, in code order.
pub const RULES: &[&Rule] = &[
    &UNCHECKED_PACKAGE,
    &VULNERABILITY,
    &MALICIOUS_PACKAGE,
    &UNUSED_DEPENDENCY,
    &MISSING_DEPENDENCY,
    &TRANSITIVE_DEPENDENCY,
    &DEV_DEPENDENCY_IN_PRODUCTION,
    &DEV_TOOL_IN_PRODUCTION,
    &ORPHANED_PACKAGE,
];

/// The package a finding is about, and how it got into the lock.
#[derive(Debug, Clone, Serialize)]
pub struct PackageContext {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub class: Class,
    pub direct: bool,
    /// The shortest path from a root, as `name==version` labels, root first.
    pub path: Vec<String>,
    /// Where the package's entry is in the lockfile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// What proves a finding.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    Vulnerability { vulnerability: Box<Vulnerability> },
    Unchecked { reason: String },
    /// A usage finding: the import or declaration that proves it.
    Usage {
        /// The import (file:line of the module name) or the declaration.
        location: Location,
        /// The module imported, for findings about imports.
        #[serde(skip_serializing_if = "Option::is_none")]
        module: Option<String>,
        /// Further imports of the same distribution or module (at most ten).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        more: Vec<Location>,
        /// How the distribution's modules were found; says so when they are a guess.
        #[serde(skip_serializing_if = "Option::is_none")]
        mapping: Option<String>,
    },
}

/// How to make a finding go away.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// The version to move to, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What to do, in words.
    pub description: String,
    /// The command for the lock's own tool, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub level: Level,
    pub package: PackageContext,
    /// One line saying what is wrong.
    pub message: String,
    pub evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Look a rule up by code or name.
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_ordered() {
        let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        let mut names: Vec<&str> = RULES.iter().map(|rule| rule.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert_eq!(rule("pa101").map(|rule| rule.name), Some("vulnerability"));
        assert_eq!(
            rule("malicious-package").map(|rule| rule.code),
            Some("PA102")
        );
    }
}
