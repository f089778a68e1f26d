//! The policy: a pure function of (graph, enrichment, settings) to a report. No I/O; findings come
//! out in a deterministic order. One module per rule family.

mod plan;
mod vulnerabilities;

pub use plan::{AuditPlan, NotAudited, plan};

use serde::Serialize;

use crate::enrich::VulnerabilityData;
use crate::findings::{Finding, Level, PackageContext};
use crate::graph::Graph;
use crate::lockfile::{LockfileKind, PackageIndex};

/// What the user chose about levels and scope.
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    /// Report unchecked packages as warnings instead of failing the run.
    pub allow_unchecked: bool,
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
        warnings: graph
            .lockfile
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
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
        crate::findings::Evidence::Unchecked { .. } => 0,
    }
}

fn evidence_id(finding: &Finding) -> &str {
    match &finding.evidence {
        crate::findings::Evidence::Vulnerability { vulnerability } => &vulnerability.id,
        crate::findings::Evidence::Unchecked { reason } => reason,
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
