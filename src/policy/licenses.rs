//! PA301 license-not-allowed and PA302 unknown-license: each package's SPDX expression (PEP 639
//! first, then classifiers, then the free-text field) against `[licenses] allow` / `deny`. Without
//! a policy, licenses are not judged.

use std::collections::HashMap;

use crate::enrich::license::{LicenseInfo, LicenseOrigin, LicenseSource, Verdict, allowed};
use crate::enrich::metadata::{MetadataData, MetadataStatus};
use crate::findings::{Evidence, Finding, LICENSE_NOT_ALLOWED, Rule, UNKNOWN_LICENSE};
use crate::graph::Graph;

use super::fix::removal_fix;
use super::{AuditPlan, PolicySettings, context};

pub(super) fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    data: &MetadataData,
    settings: &PolicySettings,
) -> Vec<Finding> {
    let policy = &settings.licenses;
    let mut findings = Vec::new();
    if !policy.is_set()
        || (!settings.enabled(&LICENSE_NOT_ALLOWED) && !settings.enabled(&UNKNOWN_LICENSE))
    {
        return findings;
    }
    // A lock has a few dozen distinct expressions; each is parsed and judged once.
    let mut verdicts: HashMap<&str, Verdict> = HashMap::new();
    for (index, key) in &plan.targets {
        // Unavailable metadata is PA004's to report.
        let Some(MetadataStatus::Available(metadata)) = data.packages.get(key) else {
            continue;
        };
        // A license policy makes the run ask the JSON API (`audit::MetadataNeed`), whose answer
        // carries a license for every available package; without it there is nothing to judge.
        let Some(license) = &metadata.license else {
            debug_assert!(false, "{key}: a license policy ran without the JSON API");
            continue;
        };
        let (rule, message, verdict): (&Rule, String, String) = match &license.expression {
            None => (
                &UNKNOWN_LICENSE,
                format!(
                    "{key}: no license pyaudit can map to SPDX{}",
                    license
                        .note
                        .as_ref()
                        .map(|note| format!(" ({note})"))
                        .unwrap_or_default()
                ),
                "unknown".to_string(),
            ),
            Some(expression) => match verdicts
                .entry(expression.as_str())
                .or_insert_with(|| allowed(expression, &policy.allow, &policy.deny))
                .clone()
            {
                Verdict::Allowed => continue,
                Verdict::Denied { terms } => (
                    &LICENSE_NOT_ALLOWED,
                    format!(
                        "{key} is licensed {expression}: {} denied",
                        terms.join(", ")
                    ),
                    format!("denied: {}", terms.join(", ")),
                ),
                Verdict::NotAllowed { terms } => (
                    &LICENSE_NOT_ALLOWED,
                    format!(
                        "{key} is licensed {expression}: {} not on the allow list",
                        terms.join(", ")
                    ),
                    format!("not allowed: {}", terms.join(", ")),
                ),
                Verdict::Invalid { reason } => (
                    &UNKNOWN_LICENSE,
                    format!("{key}: `{expression}` is not a valid SPDX expression: {reason}"),
                    format!("invalid: {reason}"),
                ),
            },
        };
        if !settings.enabled(rule) {
            continue;
        }
        let assumed = if license.assumed {
            " (assumed from an unspecific declaration)"
        } else {
            ""
        };
        findings.push(Finding {
            code: rule.code,
            rule: rule.name,
            level: rule.default_level,
            package: context(graph, *index),
            message: format!("{message}{assumed}"),
            evidence: evidence(license, verdict),
            fix: Some(removal_fix(graph, *index, "replace", settings.fix_style)),
        });
    }
    findings
}

fn evidence(license: &LicenseInfo, verdict: String) -> Evidence {
    Evidence::License {
        expression: license.expression.clone(),
        source: match license.source {
            LicenseSource::Pep639 => "license-expression",
            LicenseSource::Classifier => "classifiers",
            LicenseSource::FreeText => "license-text",
            LicenseSource::Unknown => "none",
        }
        .to_string(),
        declared: license.raw.clone(),
        of_version: license.of_version.clone(),
        metadata_file: match &license.read_from {
            LicenseOrigin::ProjectJson => None,
            LicenseOrigin::ReleaseMetadata { url } => Some(url.clone()),
        },
        verdict,
    }
}
