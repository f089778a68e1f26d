//! `pyaudit fix`: the remediation plan of each lockfile (see `crate::remediation`), verified
//! against advisories, rendered; with `--apply`, run for uv and Poetry projects and re-audited.
//! Also the piece `pyaudit lock` uses to give its vulnerability findings the same target,
//! blocker and command.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{Outcome, check_groups, group_selection, load_graphs, open_cache};
use crate::cli::{FixArgs, FixFormat, RuleArgs};
use crate::config;
use crate::enrich::metadata::MetadataSettings;
use crate::enrich::popular::PopularNames;
use crate::enrich::releases::CachedRegistry;
use crate::enrich::{
    self, PackageKey, VulnerabilityData, VulnerabilitySettings, VulnerabilityStatus,
};
use crate::findings::{Evidence, Level};
use crate::graph::Graph;
use crate::policy::{self, AuditPlan, Enrichment, LockReport, PolicySettings};
use crate::remediation::apply::{self, Applied, Snapshot};
use crate::remediation::{self, FixPlan, render};

pub fn run(args: &FixArgs, quiet: bool) -> Result<(String, Outcome)> {
    let start = if args.lockfile.path.is_dir() {
        args.lockfile.path.clone()
    } else {
        args.lockfile
            .path
            .parent()
            .map(Path::to_path_buf)
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or_else(|| ".".into())
    };
    let config = config::discover(args.config.as_deref(), &start)?;
    let graphs = load_graphs(&args.lockfile, config.input.allow_outside_includes, quiet)?;
    let known: Vec<String> = graphs.iter().flat_map(Graph::group_names).collect();
    check_groups(&args.scope.groups, &known, "the lockfile(s)")?;
    let groups = group_selection(&args.scope.groups);
    let audits: Vec<AuditPlan> = graphs
        .iter()
        .map(|graph| policy::plan(graph, args.scope.only_prod, &groups))
        .collect();
    let cache = open_cache(args.sources.cache_dir.as_deref(), quiet)?;
    let settings = super::lock::vulnerability_settings(&args.sources, &config, quiet);
    let policy_settings = super::policy_settings(
        config.clone(),
        &RuleArgs::default(),
        false,
        args.sources.offline,
        settings.now.unix_millis(),
    )?;
    let targets = keys_of(&audits);
    let data = enrich::vulnerabilities::collect(&targets, &cache, &settings)?;
    if !quiet {
        for warning in &data.warnings {
            super::warn(warning);
        }
    }
    let reports: Vec<LockReport> = graphs
        .iter()
        .zip(&audits)
        .map(|(graph, audit)| evaluate(graph, audit, &data, &policy_settings))
        .collect();
    let mut registry = CachedRegistry::new(&cache, metadata_settings(args, &settings));
    let mut plans = plans_for(&graphs, &audits, &data, &reports, &mut registry);
    verify(&mut plans, &data, &cache, &settings)?;
    if !quiet {
        for warning in &registry.warnings {
            super::warn(warning);
        }
    }

    let applied: Option<Vec<Applied>> = args.apply.then(|| {
        plans
            .iter()
            .map(|plan| {
                let lockfile = Path::new(&plan.lockfile);
                let directory = lockfile
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .unwrap_or_else(|| Path::new("."));
                let mut audit =
                    || snapshot(lockfile, args, &groups, &cache, &settings, &policy_settings);
                apply::run(plan, directory, &mut audit)
            })
            .collect()
    });

    let outcome = outcome(&plans, applied.as_deref());
    let rendered = match args.format {
        FixFormat::Text => render::text(&plans, applied.as_deref()),
        FixFormat::Json => render::json(&plans, applied.as_deref()),
        FixFormat::Markdown => render::markdown(&plans, applied.as_deref()),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered)
                .with_context(|| format!("cannot write the plan to `{}`", path.display()))?;
            Ok((String::new(), outcome))
        }
        None => Ok((rendered, outcome)),
    }
}

/// 2 when a package could not be checked; else 1 while anything is left to fix; else 0.
fn outcome(plans: &[FixPlan], applied: Option<&[Applied]>) -> Outcome {
    let incomplete = plans.iter().any(|plan| !plan.unchecked.is_empty());
    let left = match applied {
        Some(applied) => applied.iter().any(|run| !run.left.is_empty()),
        None => plans.iter().any(|plan| !plan.packages.is_empty()),
    };
    if left {
        Outcome::Findings
    } else if incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    }
}

fn metadata_settings(args: &FixArgs, settings: &VulnerabilitySettings) -> MetadataSettings {
    MetadataSettings {
        offline: args.sources.offline,
        fetch: settings.fetch.clone(),
        ttl: Duration::from_secs(args.sources.metadata_ttl),
        project_status: false,
        now: settings.now,
    }
}

fn keys_of(audits: &[AuditPlan]) -> Vec<PackageKey> {
    let mut keys: Vec<PackageKey> = audits
        .iter()
        .flat_map(|audit| audit.targets.iter().map(|(_, key)| key.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The policy's report with the advisory rules only (their levels and the config's ignores).
fn evaluate(
    graph: &Graph,
    audit: &AuditPlan,
    data: &VulnerabilityData,
    settings: &PolicySettings,
) -> LockReport {
    let popular = PopularNames::default();
    let enrichment = Enrichment {
        vulnerabilities: data,
        metadata: None,
        popular: &popular,
    };
    policy::evaluate(graph, audit, &enrichment, settings)
}

/// The plans of `graphs`, each from the vulnerabilities its report shows (an ignored advisory
/// is not planned for).
pub(super) fn plans_for(
    graphs: &[Graph],
    audits: &[AuditPlan],
    data: &VulnerabilityData,
    reports: &[LockReport],
    registry: &mut CachedRegistry<'_>,
) -> Vec<FixPlan> {
    graphs
        .iter()
        .zip(audits)
        .zip(reports)
        .map(|((graph, audit), report)| {
            let reported = reported_only(data, report);
            remediation::build(graph, audit, &reported, registry)
        })
        .collect()
}

/// Check every version the plans move to against advisories; refuse what adds one.
pub(super) fn verify(
    plans: &mut [FixPlan],
    locked: &VulnerabilityData,
    cache: &pyaudit_cache::Cache,
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

/// `pyaudit lock`: give its vulnerability findings the plan's target, blocker and command (and
/// the plan's verification), as `pyaudit fix` shows them. Nothing is asked when nothing is
/// vulnerable.
pub(super) fn annotate_lock(
    graphs: &[Graph],
    audits: &[AuditPlan],
    data: &VulnerabilityData,
    reports: &mut [LockReport],
    cache: &pyaudit_cache::Cache,
    settings: &VulnerabilitySettings,
    metadata_ttl: u64,
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
    let mut registry = CachedRegistry::new(
        cache,
        MetadataSettings {
            offline: settings.offline,
            fetch: settings.fetch.clone(),
            ttl: Duration::from_secs(metadata_ttl),
            project_status: false,
            now: settings.now,
        },
    );
    let mut plans = plans_for(graphs, audits, data, reports, &mut registry);
    verify(&mut plans, data, cache, settings)?;
    annotate(reports, &plans);
    Ok(())
}

/// Give each vulnerability finding of `reports` its package's planned fix.
fn annotate(reports: &mut [LockReport], plans: &[FixPlan]) {
    for (report, plan) in reports.iter_mut().zip(plans) {
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
}

/// Re-read `lockfile` and audit it: every package's version and advisory ids.
fn snapshot(
    lockfile: &Path,
    args: &FixArgs,
    groups: &crate::graph::GroupSelection,
    cache: &pyaudit_cache::Cache,
    settings: &VulnerabilitySettings,
    policy_settings: &PolicySettings,
) -> std::result::Result<Snapshot, String> {
    let read = super::read_lockfile(
        lockfile,
        args.lockfile.class.requirements_class,
        &crate::lockfile::ReadOptions::default(),
    )
    .map_err(|error| format!("{error:#}"))?;
    let graph = Graph::build(read);
    let audit = policy::plan(&graph, args.scope.only_prod, groups);
    let keys = keys_of(std::slice::from_ref(&audit));
    let quiet_settings = VulnerabilitySettings {
        progress: false,
        ..settings.clone()
    };
    let data = enrich::vulnerabilities::collect(&keys, cache, &quiet_settings)
        .map_err(|error| error.to_string())?;
    let report = evaluate(&graph, &audit, &data, policy_settings);
    let mut snapshot = Snapshot::default();
    for (_, key) in &audit.targets {
        snapshot.packages.insert(
            key.name.clone(),
            (crate::lockfile::version_text(&key.version), BTreeSet::new()),
        );
    }
    for finding in &report.findings {
        match &finding.evidence {
            Evidence::Vulnerability { vulnerability } => {
                if let Some((_, ids)) = snapshot.packages.get_mut(&finding.package.name) {
                    ids.insert(vulnerability.id.clone());
                }
            }
            Evidence::Unchecked { reason } if finding.level == Level::Deny => snapshot
                .unchecked
                .push(format!("{}: {reason}", finding.package.name)),
            _ => {}
        }
    }
    Ok(snapshot)
}
