//! PA001 unchecked-package, PA101 vulnerability, PA102 malicious-package: the advisory rules.

use crate::enrich::{VulnerabilityData, VulnerabilityStatus};
use crate::findings::{
    Evidence, Finding, Fix, Level, MALICIOUS_PACKAGE, Rule, UNCHECKED_PACKAGE, VULNERABILITY,
};
use crate::graph::Graph;
use crate::lockfile::LockfileKind;

use super::{AuditPlan, PolicySettings, context};

pub(super) fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    data: &VulnerabilityData,
    settings: &PolicySettings,
) -> Vec<Finding> {
    let mut findings = Vec::new();
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

/// The upgrade advice in the lock's own tool.
fn upgrade_fix(graph: &Graph, index: usize, version: Option<String>) -> Fix {
    let package = graph.package(index);
    let name = package.name.as_ref();
    let target = version.as_ref().map_or_else(
        || "a version without this vulnerability".to_string(),
        |version| format!("{version} or later"),
    );
    let (command, description) = match graph.lockfile.kind {
        LockfileKind::UvLock => (
            Some(format!("uv lock --upgrade-package {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::PoetryLock => (
            Some(format!("poetry update {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::Requirements => {
            let place = package
                .location
                .as_ref()
                .map(|location| format!(" at {location}"))
                .unwrap_or_default();
            (
                version
                    .as_ref()
                    .map(|version| format!("pip-compile --upgrade-package {name}=={version}")),
                format!("pin `{name}` to {target}{place} (or regenerate the file)"),
            )
        }
    };
    Fix {
        version,
        description,
        command,
    }
}
