//! Findings and the rule registry: every finding a user sees carries a stable rule code, a
//! kebab-case name, a level, the package and the path that brought it in, the evidence and a fix.
//!
//! Codes are never reused. PA0xx: the audit itself; PA1xx: vulnerabilities and malicious packages.

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

/// Every rule, in code order.
pub const RULES: &[&Rule] = &[&UNCHECKED_PACKAGE, &VULNERABILITY, &MALICIOUS_PACKAGE];

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
