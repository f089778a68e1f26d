//! PA001 unchecked-package, PA101 vulnerability, PA102 malicious-package: the advisory rules.

use crate::config::VulnerabilityPolicy;
use crate::enrich::{VulnerabilityData, VulnerabilityStatus};
use crate::findings::{
    Evidence, Finding, Fix, Level, MALICIOUS_PACKAGE, Rule, UNCHECKED_PACKAGE, VULNERABILITY,
};
use crate::graph::Graph;

use super::fix::upgrade_fix;
use super::{AuditPlan, PolicySettings, context};

/// `[vulnerabilities] deny-from`: a vulnerability rated below the threshold for its package's
/// class warns instead of denying. One without a rating stays at its level: an unknown severity
/// is not a low one. Malicious packages are never downgraded.
pub(super) fn apply_threshold(finding: &mut Finding, policy: &VulnerabilityPolicy) {
    if finding.code != VULNERABILITY.code || finding.level != Level::Deny {
        return;
    }
    let (Some(threshold), Evidence::Vulnerability { vulnerability }) =
        (policy.threshold(finding.package.class), &finding.evidence)
    else {
        return;
    };
    if let Some(severity) = &vulnerability.severity
        && severity.rating < threshold
    {
        finding.level = Level::Warn;
    }
}

pub(super) fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    data: &VulnerabilityData,
    settings: &PolicySettings,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let vulnerabilities_on =
        settings.enabled(&VULNERABILITY) || settings.enabled(&MALICIOUS_PACKAGE);
    let unchecked_on = settings.enabled(&UNCHECKED_PACKAGE);
    if !vulnerabilities_on && !unchecked_on {
        return findings;
    }
    for (index, key) in &plan.targets {
        let package = context(graph, *index);
        match data.packages.get(key) {
            Some(VulnerabilityStatus::Checked { vulnerabilities }) => {
                for vulnerability in vulnerabilities {
                    let rule: &Rule = if vulnerability.malicious {
                        &MALICIOUS_PACKAGE
                    } else {
                        &VULNERABILITY
                    };
                    let others: Vec<&str> = vulnerability
                        .ids
                        .iter()
                        .filter(|id| **id != vulnerability.id)
                        .map(String::as_str)
                        .collect();
                    let mut message = format!("{} {key}", vulnerability.id);
                    if !others.is_empty() {
                        message.push_str(&format!(" ({})", others.join(", ")));
                    }
                    if let Some(summary) = &vulnerability.summary {
                        message.push_str(&format!(": {summary}"));
                    }
                    let fix = if vulnerability.malicious {
                        Some(Fix {
                            version: None,
                            description: format!(
                                "remove `{}` and rotate credentials it could reach",
                                key.name
                            ),
                            command: None,
                        })
                    } else {
                        Some(upgrade_fix(
                            graph,
                            *index,
                            vulnerability.fix_hint.as_ref().map(ToString::to_string),
                            "a version without this vulnerability",
                            settings.fix_style,
                        ))
                    };
                    findings.push(Finding {
                        code: rule.code,
                        rule: rule.name,
                        level: rule.default_level,
                        package: package.clone(),
                        message,
                        evidence: Evidence::Vulnerability {
                            vulnerability: Box::new(vulnerability.clone()),
                        },
                        fix,
                    });
                }
            }
            unchecked => {
                let reason = match unchecked {
                    Some(VulnerabilityStatus::Unchecked { reason }) => reason.clone(),
                    _ => "no advisory source answered for this package".to_string(),
                };
                findings.push(Finding {
                    code: UNCHECKED_PACKAGE.code,
                    rule: UNCHECKED_PACKAGE.name,
                    level: if settings.allow_unchecked {
                        Level::Warn
                    } else {
                        UNCHECKED_PACKAGE.default_level
                    },
                    package,
                    message: format!("{key} could not be checked: {reason}"),
                    evidence: Evidence::Unchecked { reason },
                    fix: Some(Fix {
                        version: None,
                        description: "retry when the advisory service is reachable, or audit \
                                      offline with `pyaudit db import PATH` then `--offline`"
                            .to_string(),
                        command: None,
                    }),
                });
            }
        }
    }
    findings
}
