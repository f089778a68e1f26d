//! `pyaudit fix`: the remediation plan of each lockfile (see `crate::remediation`), verified
//! against advisories, rendered; with `--apply`, run for uv and Poetry projects and re-audited.
//! `pyaudit lock` gives its vulnerability findings the same plans through the audit's
//! remediation step (`audit::remediate`).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;

use super::settings::{enrich_settings, policy_settings};
use super::{Invocation, Outcome, check_groups, deliver, group_selection, load_graphs, open_cache};
use crate::audit::remediate;
use crate::cli::{FixArgs, FixFormat, RuleArgs};
use crate::config;
use crate::enrich::popular::PopularNames;
use crate::enrich::{PackageKey, VulnerabilityData, VulnerabilitySettings};
use crate::findings::{Evidence, Level};
use crate::graph::Graph;
use crate::policy::{self, AuditPlan, Enrichment, LockReport, PolicySettings};
use crate::remediation::apply::{self, Applied, Snapshot};
use crate::remediation::{FixPlan, render};

pub fn run(args: &FixArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let quiet = context.quiet;
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
    let enrich = enrich_settings(&args.sources, &config, context);
    let settings = &enrich.vulnerabilities;
    let policy_settings = policy_settings(
        config.clone(),
        &RuleArgs::default(),
        false,
        args.sources.offline,
        context,
    )?;
    let targets = keys_of(&audits);
    let data = crate::enrich::vulnerabilities::collect(&targets, &cache, settings)?;
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
    let mut registry = remediate::registry(&cache, &enrich);
    let shown: Vec<&LockReport> = reports.iter().collect();
    let mut plans = remediate::plans_for(&graphs, &audits, &data, &shown, &mut registry);
    remediate::verify(&mut plans, &data, &cache, settings)?;
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
                    || snapshot(lockfile, args, &groups, &cache, settings, &policy_settings);
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
    Ok((deliver(rendered, args.output.as_deref())?, outcome))
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
    let data = crate::enrich::vulnerabilities::collect(&keys, cache, &quiet_settings)
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
