//! PA001 unchecked-package, PA101 vulnerability, PA102 malicious-package: the advisory rules.

use pyaudit_advisories::Vulnerability;

use crate::config::VulnerabilityPolicy;
use crate::enrich::{PackageKey, VulnerabilityData, VulnerabilityStatus};
use crate::findings::{
    Evidence, Finding, Fix, Level, MALICIOUS_PACKAGE, PackageContext, Rule, UNCHECKED_PACKAGE,
    VULNERABILITY,
};
use crate::graph::Graph;
use crate::lockfile::PackageIndex;

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

/// PA001 for every input the lockfile names but pyaudit did not read (a remote `-r https://…`):
/// what it pins is neither audited nor listed, so the lockfile's audit is incomplete and must
/// not pass as clean. The finding is on the lockfile's root, located at the include's line.
fn unread_inputs(graph: &Graph, settings: &PolicySettings) -> Vec<Finding> {
    let lockfile = &graph.lockfile;
    let root_name = lockfile
        .roots
        .first()
        .map(|&root| graph.package(root).name.to_string())
        .unwrap_or_else(|| lockfile.path.display().to_string());
    lockfile
        .unread
        .iter()
        .map(|unread| {
            let reason = format!(
                "`{}` (included at {}) was not read ({}): whatever it pins is not audited",
                unread.target, unread.location, unread.reason
            );
            Finding {
                code: UNCHECKED_PACKAGE.code,
                rule: UNCHECKED_PACKAGE.name,
                level: if settings.allow_unchecked {
                    Level::Warn
                } else {
                    UNCHECKED_PACKAGE.default_level
                },
                package: crate::findings::PackageContext {
                    name: root_name.clone(),
                    version: None,
                    class: crate::graph::Class::Prod,
                    direct: true,
                    path: std::sync::Arc::from(Vec::new()),
                    location: Some(unread.location.clone()),
                },
                message: format!("{}: {reason}", unread.location),
                evidence: Evidence::Unchecked { reason },
                fix: Some(Fix {
                    version: None,
                    description: "download the included file into the project and include it \
                                  by a relative path, so that pyaudit can read it"
                        .to_string(),
                    command: None,
                }),
            }
        })
        .collect()
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
    if unchecked_on {
        findings.extend(unread_inputs(graph, settings));
    }
    for (index, key) in &plan.targets {
        let package = context(graph, *index);
        let (found, unchecked): (&[Vulnerability], Option<&str>) = match data.packages.get(key) {
            Some(VulnerabilityStatus::Checked { vulnerabilities }) => (vulnerabilities, None),
            Some(VulnerabilityStatus::Unchecked {
                reason,
                vulnerabilities,
            }) => (vulnerabilities, Some(reason)),
            None => (&[], Some("no advisory source answered for this package")),
        };
        // One target per package: the smallest version that fixes all of its advisories, so
        // every finding of the package names the same version (`pyaudit lock` then adds what
        // blocks it and the command, from the remediation plan).
        let all: Vec<&Vulnerability> = found.iter().collect();
        let choice = crate::remediation::target::select(&key.version, &all, None);
        let target = choice.version.or(choice.prerelease);
        // What partial sources found is reported even when the package is unchecked: a known
        // vulnerability is known, whatever else could not be checked.
        for vulnerability in found {
            findings.push(vulnerability_finding(
                graph,
                *index,
                key,
                &package,
                vulnerability,
                target.as_ref(),
                settings,
            ));
        }
        if let Some(reason) = unchecked {
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
                evidence: Evidence::Unchecked {
                    reason: reason.to_owned(),
                },
                fix: Some(Fix {
                    version: None,
                    description: "retry when OSV is reachable, or keep a complete, fresh local \
                                  database (`pyaudit db sync`, or `pyaudit db import --complete \
                                  DIR`) and audit with `--offline`"
                        .to_string(),
                    command: None,
                }),
            });
        }
    }
    findings
}

fn vulnerability_finding(
    graph: &Graph,
    index: PackageIndex,
    key: &PackageKey,
    package: &PackageContext,
    vulnerability: &Vulnerability,
    target: Option<&pyaudit_advisories::Version>,
    settings: &PolicySettings,
) -> Finding {
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
            index,
            // The package's target when this advisory is among those it fixes; else this
            // advisory's own fix (none: no version fixes it).
            target
                .filter(|target| !vulnerability.affects(target))
                .or(vulnerability.fix_hint.as_ref().filter(|_| target.is_none()))
                .map(crate::lockfile::version_text),
            "a version without this vulnerability",
            settings.fix_style,
        ))
    };
    Finding {
        code: rule.code,
        rule: rule.name,
        level: rule.default_level,
        package: package.clone(),
        message,
        evidence: Evidence::Vulnerability {
            vulnerability: Box::new(vulnerability.clone()),
        },
        fix,
    }
}
