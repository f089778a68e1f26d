//! The policy: a pure function of (graph, enrichment, settings, now) to a report. No I/O;
//! findings come out in a deterministic order. One module per rule family.

mod bans;
mod fix;
mod ignores;
pub mod installed;
mod licenses;
mod maintenance;
mod pass;
mod plan;
mod sources;
pub mod typosquat;
pub mod usage;
mod vulnerabilities;

pub use crate::enrich::popular::PopularNames;
pub use fix::FixStyle;
pub use ignores::stale_ignores;
pub use maintenance::{MaintenanceProblem, census_problems};
pub use pass::{ignore_matches, is_expired, settle, sort_findings};
pub use plan::{AuditPlan, NotAudited, plan};

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

use crate::enrich::VulnerabilityData;
use crate::enrich::metadata::MetadataData;
use std::collections::BTreeMap;

use crate::config::{
    Ban, Ignore, LicensePolicy, MaintenancePolicy, SourcePolicy, VulnerabilityPolicy,
};
use crate::findings::{Evidence, Finding, Level, PackageContext, Rule};
use crate::graph::Graph;
use crate::lockfile::Location;
use crate::lockfile::{LockfileKind, PackageIndex};

/// What the user chose about levels, scope and limits.
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    /// Report unchecked packages as warnings instead of failing the run.
    pub allow_unchecked: bool,
    /// The run was `--offline`: missing metadata is what the cache lacks, reported as warnings.
    pub offline: bool,
    /// Level per rule code, from the config file and `--deny/--warn/--allow`.
    pub levels: BTreeMap<&'static str, Level>,
    /// Ignores from the config file.
    pub ignores: Vec<Ignore>,
    /// The run's clock: ignores' `until`, release ages.
    pub now: Timestamp,
    pub vulnerabilities: VulnerabilityPolicy,
    pub maintenance: MaintenancePolicy,
    pub licenses: LicensePolicy,
    pub sources: SourcePolicy,
    /// Names the typosquat rule never reports.
    pub typosquat_allow: Vec<String>,
    pub bans: Vec<Ban>,
    /// Whom fix advice speaks to: the lock's own tool, or a reviewer (`pyaudit review`).
    pub fix_style: FixStyle,
}

impl PolicySettings {
    /// The settings a config file gives, at `now`; the command line adds its overrides.
    pub fn from_config(config: crate::config::Config, now: Timestamp) -> Self {
        Self {
            allow_unchecked: false,
            offline: false,
            levels: config.levels,
            ignores: config.ignores,
            now,
            vulnerabilities: config.vulnerabilities,
            maintenance: config.maintenance,
            licenses: config.licenses,
            sources: config.sources,
            typosquat_allow: config.typosquat.allow,
            bans: config.bans,
            fix_style: FixStyle::Lockfile,
        }
    }

    /// Today, as days since 1970-01-01 (UTC).
    pub fn today(&self) -> i64 {
        crate::time::day_of(self.now)
    }

    /// The level a rule runs at: the config and command line over its default.
    pub fn level(&self, rule: &Rule) -> Level {
        self.levels
            .get(rule.code)
            .copied()
            .unwrap_or(rule.default_level)
    }

    /// Whether a rule is on at all; rules that are off are not evaluated.
    pub fn enabled(&self, rule: &Rule) -> bool {
        self.level(rule) != Level::Allow
    }
}

/// What the enrichment stages learned, as the rules read it.
#[derive(Debug, Clone, Copy)]
pub struct Enrichment<'a> {
    pub vulnerabilities: &'a VulnerabilityData,
    /// `None` when no rule that needs PyPI metadata is enabled.
    pub metadata: Option<&'a MetadataData>,
    pub popular: &'a PopularNames,
}

/// A finding an ignore suppressed, kept so the report can say what was not shown and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IgnoredFinding {
    #[serde(deserialize_with = "crate::findings::rule_code")]
    pub code: crate::findings::StaticName,
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The vulnerability id, for vulnerability findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
    /// Where the ignore is written.
    pub ignore: Location,
}

/// The audit of one lockfile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockReport {
    pub path: String,
    pub kind: LockfileKind,
    /// Packages in the lock (roots excluded).
    pub packages: usize,
    /// Packages in the audited scope that were checked against advisories.
    pub audited: usize,
    /// Packages in scope that cannot be audited by version, with the reason.
    pub not_audited: Vec<NotAudited>,
    pub findings: Vec<Finding>,
    /// Findings suppressed by an ignore in the config.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredFinding>,
    /// Problems with the input that did not stop the audit.
    pub warnings: Vec<String>,
}

impl LockReport {
    /// Whether any finding fails the run.
    pub fn denied(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.level == Level::Deny)
    }

    /// Whether some finding fails the run for a definite reason (a vulnerability, a policy
    /// breach), as opposed to data that could not be had.
    pub fn denied_for_cause(&self) -> bool {
        self.findings.iter().any(|finding| {
            finding.level == Level::Deny && !matches!(finding.evidence, Evidence::Unchecked { .. })
        })
    }

    /// Whether the audit could not be completed: some package in scope could not be checked
    /// (PA001, PA004, an include that was not read) and that is not allowed.
    pub fn incomplete(&self) -> bool {
        self.findings.iter().any(|finding| {
            finding.level == Level::Deny && matches!(finding.evidence, Evidence::Unchecked { .. })
        })
    }
}

/// Evaluate every enabled rule for one lockfile.
pub fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    enrichment: &Enrichment<'_>,
    settings: &PolicySettings,
) -> LockReport {
    let mut findings = vulnerabilities::evaluate(graph, plan, enrichment.vulnerabilities, settings);
    if let Some(metadata) = enrichment.metadata {
        findings.extend(maintenance::evaluate(graph, plan, metadata, settings));
        findings.extend(licenses::evaluate(graph, plan, metadata, settings));
    }
    findings.extend(sources::evaluate(graph, plan, settings));
    findings.extend(typosquat::evaluate(
        graph,
        plan,
        enrichment.popular,
        settings,
    ));
    findings.extend(bans::evaluate(graph, plan, settings));
    let (findings, ignored) = pass::settle(findings, settings);
    LockReport {
        path: graph.lockfile.path.display().to_string(),
        kind: graph.lockfile.kind,
        packages: (0..graph.packages().len())
            .filter(|&index| !graph.is_root(index))
            .count(),
        audited: plan.targets.len(),
        not_audited: plan.not_audited.clone(),
        findings,
        ignored,
        warnings: graph
            .lockfile
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

/// The package part of a finding: name, version, class, how it got in, where it is.
pub(crate) fn context(graph: &Graph, index: PackageIndex) -> PackageContext {
    let package = graph.package(index);
    PackageContext {
        name: package.name.to_string(),
        version: package.version.as_ref().map(crate::lockfile::version_text),
        class: graph.classes[index],
        direct: graph.direct[index],
        path: graph.shortest_path_labels(index),
        location: package.location.clone(),
    }
}
