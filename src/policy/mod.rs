//! The policy: a pure function of (graph, enrichment, settings) to a report. No I/O; findings come
//! out in a deterministic order. One module per rule family.

mod plan;
pub mod usage;
mod vulnerabilities;

pub use plan::{AuditPlan, NotAudited, plan};

use serde::Serialize;

use crate::enrich::VulnerabilityData;
use std::collections::BTreeMap;

use crate::config::Ignore;
use crate::findings::{Evidence, Finding, Level, PackageContext};
use crate::graph::Graph;
use crate::lockfile::Location;
use crate::lockfile::{LockfileKind, PackageIndex};

/// What the user chose about levels and scope.
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    /// Report unchecked packages as warnings instead of failing the run.
    pub allow_unchecked: bool,
    /// Level per rule code, from the config file and `--deny/--warn/--allow`.
    pub levels: BTreeMap<&'static str, Level>,
    /// Ignores from the config file.
    pub ignores: Vec<Ignore>,
    /// Today, as days since 1970-01-01 (UTC), for ignores' `until`.
    pub today: i64,
}

/// A finding an ignore suppressed, kept so the report can say what was not shown and why.
#[derive(Debug, Clone, Serialize)]
pub struct IgnoredFinding {
    pub code: &'static str,
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
#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
}

/// Evaluate every rule for one lockfile.
pub fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    data: &VulnerabilityData,
    settings: &PolicySettings,
) -> LockReport {
    let mut findings = vulnerabilities::evaluate(graph, plan, data, settings);
    for finding in &mut findings {
        if let Some(level) = settings.levels.get(finding.code) {
            finding.level = *level;
        }
        // `--allow-unchecked` is the command line's word, so it wins over the config file.
        if settings.allow_unchecked
            && finding.code == crate::findings::UNCHECKED_PACKAGE.code
            && finding.level == Level::Deny
        {
            finding.level = Level::Warn;
        }
    }
    let mut ignored = Vec::new();
    findings.retain(|finding| match active_ignore(finding, settings) {
        Some(ignore) => {
            ignored.push(IgnoredFinding {
                code: finding.code,
                package: finding.package.name.clone(),
                version: finding.package.version.clone(),
                id: match &finding.evidence {
                    Evidence::Vulnerability { vulnerability } => Some(vulnerability.id.clone()),
                    Evidence::Unchecked { .. } | Evidence::Usage { .. } => None,
                },
                reason: ignore.reason.clone(),
                ignore: ignore.location.clone(),
            });
            false
        }
        None => true,
    });
    findings.retain(|finding| finding.level != Level::Allow);
    findings.sort_by(|left, right| {
        (
            left.level,
            severity_rank(right),
            &left.package.name,
            &left.package.version,
            left.code,
        )
            .cmp(&(
                right.level,
                severity_rank(left),
                &right.package.name,
                &right.package.version,
                right.code,
            ))
            .then_with(|| evidence_id(left).cmp(evidence_id(right)))
    });
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

/// The first ignore that applies to `finding` and has not expired.
fn active_ignore<'a>(finding: &Finding, settings: &'a PolicySettings) -> Option<&'a Ignore> {
    settings
        .ignores
        .iter()
        .find(|ignore| !is_expired(ignore, settings.today) && ignore_matches(ignore, finding))
}

pub fn is_expired(ignore: &Ignore, today: i64) -> bool {
    ignore
        .until
        .as_ref()
        .is_some_and(|(_, last_day)| today > *last_day)
}

pub fn ignore_matches(ignore: &Ignore, finding: &Finding) -> bool {
    if let Some(rule) = ignore.rule
        && rule != finding.code
    {
        return false;
    }
    if let Some(package) = &ignore.package
        && *package != finding.package.name
    {
        return false;
    }
    match (&ignore.id, &finding.evidence) {
        (None, _) => true,
        (Some(id), Evidence::Vulnerability { vulnerability }) => vulnerability
            .ids
            .iter()
            .chain(std::iter::once(&vulnerability.id))
            .any(|known| known.eq_ignore_ascii_case(id)),
        (Some(_), Evidence::Unchecked { .. } | Evidence::Usage { .. }) => false,
    }
}

/// Ignores that are past their `until` date, or that no finding of the run matched: both mean
/// the config no longer says what the team believes, so they are reported.
pub fn stale_ignores(
    reports_ignored: &[&IgnoredFinding],
    settings: &PolicySettings,
) -> Vec<String> {
    let mut messages = Vec::new();
    for ignore in &settings.ignores {
        let what = ignore
            .id
            .clone()
            .or_else(|| ignore.rule.map(str::to_string))
            .unwrap_or_default();
        if let Some((until, _)) = ignore
            .until
            .as_ref()
            .filter(|_| is_expired(ignore, settings.today))
        {
            messages.push(format!(
                "{}: the ignore of `{what}` expired on {until}; its findings are reported again",
                ignore.location
            ));
        } else if !reports_ignored
            .iter()
            .any(|ignored| ignored.ignore == ignore.location)
        {
            messages.push(format!(
                "{}: the ignore of `{what}` matched nothing; remove it",
                ignore.location
            ));
        }
    }
    messages
}

/// Higher is more severe; used to sort descending.
fn severity_rank(finding: &Finding) -> u32 {
    match &finding.evidence {
        crate::findings::Evidence::Vulnerability { vulnerability } => {
            if vulnerability.malicious {
                return 1_000;
            }
            vulnerability.severity.as_ref().map_or(0, |severity| {
                // Rating first: a database label without a score still outranks a lower rating.
                (severity.rating as u32 + 1) * 100
                    + severity.score.map_or(0, |score| (score * 10.0) as u32)
            })
        }
        crate::findings::Evidence::Unchecked { .. } | crate::findings::Evidence::Usage { .. } => 0,
    }
}

fn evidence_id(finding: &Finding) -> &str {
    match &finding.evidence {
        crate::findings::Evidence::Vulnerability { vulnerability } => &vulnerability.id,
        crate::findings::Evidence::Unchecked { reason } => reason,
        crate::findings::Evidence::Usage { module, .. } => module.as_deref().unwrap_or_default(),
    }
}

/// The package part of a finding: name, version, class, how it got in, where it is.
pub(crate) fn context(graph: &Graph, index: PackageIndex) -> PackageContext {
    let package = graph.package(index);
    PackageContext {
        name: package.name.to_string(),
        version: package.version.as_ref().map(ToString::to_string),
        class: graph.classes[index],
        direct: graph.direct[index],
        path: graph
            .shortest_path(index)
            .unwrap_or_default()
            .iter()
            .map(|step| graph.step_label(step))
            .collect(),
        location: package.location.clone(),
    }
}
