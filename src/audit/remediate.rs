//! The remediation step of an audit: each lockfile's fix plan (one target per package, the
//! blocker named, the command for the lock's own tool; see `crate::remediation`), verified
//! against advisories, and given to the vulnerability findings the report shows.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use pyaudit_advisories::normalize_package_name;
use pyaudit_cache::Cache;

use super::EnrichSettings;
use crate::enrich::metadata::{MetadataData, MetadataSettings, MetadataStatus};
use crate::enrich::releases::CachedRegistry;
use crate::enrich::{
    self, PackageKey, VulnerabilityData, VulnerabilitySettings, VulnerabilityStatus,
};
use crate::findings::{Evidence, Level};
use crate::graph::Graph;
use crate::policy::{AuditPlan, LockReport};
use crate::remediation::{self, FixPlan};

/// The registry remediation reads dependents' requirements through: the cache, then PyPI (no
/// PEP 792 status: a plan does not need it).
pub fn registry<'a>(cache: &'a Cache, settings: &EnrichSettings) -> CachedRegistry<'a> {
    CachedRegistry::new(
        cache,
        MetadataSettings {
            simple_api: false,
            json_api: true,
            ..settings.metadata.clone()
        },
    )
}

/// The plans of `graphs`, each from the vulnerabilities its report shows (an ignored advisory
/// is not planned for).
pub fn plans_for(
    graphs: &[Graph],
    plans: &[AuditPlan],
    data: &VulnerabilityData,
    reports: &[&LockReport],
    registry: &mut CachedRegistry<'_>,
) -> Vec<FixPlan> {
    graphs
        .iter()
        .zip(plans)
        .zip(reports)
        .map(|((graph, plan), report)| {
            let reported = reported_only(data, report);
            remediation::build(graph, plan, &reported, registry)
        })
        .collect()
}

/// The version each vulnerable package's plan will most likely move to — the smallest that
/// fixes all its advisories, by the advisories' own fixed versions — for the enrichment wave to
/// ask about early. Only a head start: [`verify`] checks the plans' real moves (chosen among
/// the index's releases, parents included) and asks whatever this missed.
pub fn fix_targets(data: &VulnerabilityData) -> Vec<PackageKey> {
    data.packages
        .iter()
        .filter_map(|(key, status)| {
            let VulnerabilityStatus::Checked { vulnerabilities } = status else {
                return None;
            };
            let found: Vec<_> = vulnerabilities.iter().collect();
            let choice = remediation::target::select(&key.version, &found, None);
            Some(PackageKey::new(key.name.clone(), choice.version?))
        })
        .collect()
}

/// Check every version the plans move to against advisories; refuse what adds one.
pub fn verify(
    plans: &mut [FixPlan],
    locked: &VulnerabilityData,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<()> {
    let mut keys: Vec<PackageKey> = plans.iter().flat_map(FixPlan::verification_keys).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let quiet_settings = VulnerabilitySettings {
        progress: false,
        ..settings.clone()
    };
    let targets = enrich::vulnerabilities::collect(&keys, cache, &quiet_settings)?;
    for plan in plans {
        plan.verify(&targets, locked);
    }
    Ok(())
}

/// Give the vulnerability findings of `reports` their package's planned fix (target, blocker,
/// command), as `pyaudit fix` shows it. Nothing is asked when nothing is vulnerable.
pub fn annotate(
    graphs: &[Graph],
    plans: &[AuditPlan],
    data: &VulnerabilityData,
    metadata: Option<&MetadataData>,
    mut reports: Vec<&mut LockReport>,
    cache: &Cache,
    settings: &EnrichSettings,
) -> Result<()> {
    let vulnerable = reports.iter().any(|report| {
        report
            .findings
            .iter()
            .any(|finding| matches!(finding.evidence, Evidence::Vulnerability { .. }))
    });
    if !vulnerable {
        return Ok(());
    }
    let mut registry = registry(cache, settings).knowing_unavailable(unavailable(metadata));
    if let Some(metadata) = metadata {
        registry = registry.knowing_releases(&metadata.releases);
    }
    let shown: Vec<&LockReport> = reports.iter().map(|report| &**report).collect();
    let mut fix_plans = plans_for(graphs, plans, data, &shown, &mut registry);
    verify(&mut fix_plans, data, cache, &settings.vulnerabilities)?;
    for (report, plan) in reports.iter_mut().zip(&fix_plans) {
        for finding in &mut report.findings {
            if !matches!(finding.evidence, Evidence::Vulnerability { .. }) {
                continue;
            }
            if let Some(fix) =
                plan.fix_for(&finding.package.name, finding.package.version.as_deref())
            {
                finding.fix = Some(fix.finding_fix());
            }
        }
    }
    Ok(())
}

/// The projects the run's metadata stage could not get from PyPI, with why.
fn unavailable(metadata: Option<&MetadataData>) -> BTreeMap<String, String> {
    metadata
        .into_iter()
        .flat_map(|metadata| &metadata.packages)
        .filter_map(|(key, status)| match status {
            MetadataStatus::Unavailable { reason } => {
                Some((normalize_package_name(&key.name), reason.clone()))
            }
            MetadataStatus::Available(_) => None,
        })
        .collect()
}

/// `data` with only the vulnerabilities `report`'s findings show.
fn reported_only(data: &VulnerabilityData, report: &LockReport) -> VulnerabilityData {
    let mut shown: BTreeMap<(String, Option<String>), BTreeSet<String>> = BTreeMap::new();
    for finding in &report.findings {
        if let Evidence::Vulnerability { vulnerability } = &finding.evidence
            && finding.level != Level::Allow
        {
            shown
                .entry((
                    finding.package.name.clone(),
                    finding.package.version.clone(),
                ))
                .or_default()
                .insert(vulnerability.id.clone());
        }
    }
    let mut filtered = data.clone();
    for (key, status) in &mut filtered.packages {
        let ids = shown.get(&(
            key.name.clone(),
            Some(crate::lockfile::version_text(&key.version)),
        ));
        let keep = |list: &mut Vec<pyaudit_advisories::Vulnerability>| {
            list.retain(|vulnerability| ids.is_some_and(|ids| ids.contains(&vulnerability.id)));
        };
        match status {
            VulnerabilityStatus::Checked { vulnerabilities }
            | VulnerabilityStatus::Unchecked {
                vulnerabilities, ..
            } => keep(vulnerabilities),
        }
    }
    filtered
}
