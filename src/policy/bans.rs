//! PA502 banned-package: packages (optionally only some versions) the organisation forbids.

use crate::findings::{BANNED_PACKAGE, Evidence, Finding};
use crate::graph::Graph;

use super::fix::removal_fix;
use super::{AuditPlan, PolicySettings, context};

pub(super) fn evaluate(graph: &Graph, plan: &AuditPlan, settings: &PolicySettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    if settings.bans.is_empty() || !settings.enabled(&BANNED_PACKAGE) {
        return findings;
    }
    for &index in &plan.in_scope {
        let package = graph.package(index);
        for ban in &settings.bans {
            if ban.package != package.name.as_ref() {
                continue;
            }
            // An unpinned entry may install a banned version: a ban with a specifier still
            // applies when the version is unknown.
            let matches = match (&ban.specifier, &package.version) {
                (Some(specifier), Some(version)) => specifier.contains(version),
                _ => true,
            };
            if !matches {
                continue;
            }
            let versions = ban
                .specifier
                .as_ref()
                .map(|specifier| format!(" (versions {specifier})"))
                .unwrap_or_default();
            findings.push(Finding {
                code: BANNED_PACKAGE.code,
                rule: BANNED_PACKAGE.name,
                level: BANNED_PACKAGE.default_level,
                package: context(graph, index),
                message: format!(
                    "`{}`{versions} is banned by {}: {}",
                    ban.package, ban.location, ban.reason
                ),
                evidence: Evidence::Config {
                    location: ban.location.clone(),
                    reason: Some(ban.reason.clone()),
                },
                fix: Some(removal_fix(
                    graph,
                    index,
                    if ban.specifier.is_some() {
                        "move off the banned versions of"
                    } else {
                        "remove"
                    },
                    settings.fix_style,
                )),
            });
        }
    }
    findings
}
