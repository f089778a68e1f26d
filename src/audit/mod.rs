//! The one audit pipeline behind `lock`, `org` and `review`:
//!
//! ```text
//! graphs + plans ─► targets ─► enrich ─► evaluate each ─► remediate ─► run-level ─► RunReport
//!                    (union)   (OSV, PyPI,  lockfile (its   (fix plans   findings (usage
//!                              popular      own policy, in  for PA101)   rules, stale
//!                              names)       parallel)                    ignores)
//! ```
//!
//! The commands read their inputs and settings and render the [`RunReport`]; everything in
//! between happens here, once, the same way for every command.

pub mod parallel;
pub mod remediate;
pub mod usage;

use std::sync::Arc;

use anyhow::Result;
use pyaudit_cache::Cache;

use crate::enrich::metadata::{MetadataData, MetadataSettings};
use crate::enrich::popular::PopularNames;
use crate::enrich::{
    self, FollowUp, GatherRequest, Gathered, PackageKey, VulnerabilityData, VulnerabilitySettings,
};
use crate::findings::{self, Finding, INACTIVE_PROJECT, METADATA_RULES, Rule};
use crate::graph::Graph;
use crate::policy::{self, AuditPlan, Enrichment, IgnoredFinding, LockReport, PolicySettings};
use crate::progress::Progress;
use crate::usage::Usage;
use usage::UsageRequest;

/// How to reach and trust OSV and PyPI for one run.
#[derive(Debug, Clone)]
pub struct EnrichSettings {
    pub vulnerabilities: VulnerabilitySettings,
    pub metadata: MetadataSettings,
}

/// One policy of a run: a config's settings and the popular names its typosquat rule uses.
/// `lock` has one; `org` one per distinct repository config.
#[derive(Debug)]
pub struct Policy {
    pub settings: PolicySettings,
    pub popular: Arc<PopularNames>,
}

/// One lockfile to audit: what its plan puts in scope, and which policy judges it.
#[derive(Debug)]
pub struct PlannedLockfile {
    pub plan: AuditPlan,
    /// Index into [`Audit::policies`].
    pub policy: usize,
}

/// Everything one run audits.
pub struct Audit {
    /// The lockfiles' graphs; `plans[i]` is the plan of `graphs[i]`.
    pub graphs: Vec<Graph>,
    pub plans: Vec<PlannedLockfile>,
    pub policies: Vec<Arc<Policy>>,
    /// The policy that judges run-level findings: the usage rules and the ignores no lockfile
    /// of the run used.
    pub run_policy: usize,
    /// The usage rules, when the project's sources are in view.
    pub usage: Option<UsageRequest>,
    /// Findings about the inputs themselves, raised while reading them (an installed
    /// environment against its lock, PA701–PA703); settled with the run-level findings.
    pub input_findings: Vec<Finding>,
    /// Fetch PyPI metadata even when no rule reads it (`org`'s censuses).
    pub fetch_metadata: bool,
    /// The report lists licenses (CycloneDX): when PyPI is asked, ask the JSON API too.
    pub licenses_in_report: bool,
    /// Keep the graphs in the report (the CycloneDX SBOM and remediation need them); `org`
    /// drops each graph as soon as it is evaluated.
    pub keep_graphs: bool,
    /// Give vulnerability findings a verified fix plan (needs `keep_graphs`).
    pub remediate: bool,
    pub threads: usize,
}

/// One lockfile's audit.
#[derive(Debug)]
pub struct AuditedLockfile {
    pub report: LockReport,
    /// Index into [`Audit::policies`].
    pub policy: usize,
    /// The run's unique packages ([`RunReport::targets`] indexes) this lockfile audited.
    pub packages: Vec<u32>,
}

/// What a run learned: per lockfile, for the run as a whole, and where its data came from.
pub struct RunReport {
    pub lockfiles: Vec<AuditedLockfile>,
    /// The graphs and their plans, in lockfile order, when [`Audit::keep_graphs`].
    pub graphs: Vec<Graph>,
    pub plans: Vec<AuditPlan>,
    /// Findings about the run as a whole (usage rules, unused or expired ignores), settled.
    pub run_findings: Vec<Finding>,
    /// Run-level findings an ignore suppressed.
    pub run_ignored: Vec<IgnoredFinding>,
    /// Every `name==version` audited, sorted, once.
    pub targets: Vec<PackageKey>,
    /// Advisory answers, and the summary of every source used: kinds, ages, warnings, requests.
    pub data: VulnerabilityData,
    /// PyPI metadata, when a rule or the caller needed it.
    pub metadata: Option<MetadataData>,
    /// The usage analysis, when the usage rules ran.
    pub usage: Option<Usage>,
}

/// The run, start to end.
pub fn run(
    mut audit: Audit,
    cache: &Cache,
    settings: &EnrichSettings,
    progress: &Progress,
) -> Result<RunReport> {
    let targets = targets(&audit.plans);
    let mut need = MetadataNeed::of(audit.policies.iter().map(|policy| &policy.settings));
    if audit.fetch_metadata {
        // The org censuses read licenses and maintenance facts, project status included.
        need = MetadataNeed::EVERYTHING;
    }
    // A report that lists licenses (the SBOM) reads them whenever PyPI is asked anyway.
    need.json_api |= audit.licenses_in_report && need.any();

    // The usage analysis needs nothing the enrichment learns: it scans the sources (and asks
    // for wheels' file lists on its own client) while the wave is out. The enrichment's error,
    // when both fail, is the one reported, as when they ran one after the other.
    let (enriched, usage) = std::thread::scope(|scope| {
        let usage = audit.usage.as_ref().map(|request| {
            let graphs = &audit.graphs;
            scope.spawn(move || {
                usage::analyse(
                    request,
                    graphs,
                    cache,
                    &settings.metadata.fetch,
                    settings.metadata.offline,
                    settings.metadata.now,
                )
            })
        });
        let enriched = enrich(&targets, need, audit.remediate, cache, settings);
        let usage = usage.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (enriched, usage)
    });
    let (data, metadata) = enriched?;
    let usage = usage.transpose()?.flatten();
    // The wave draws its own bar over every request; this stage only says when it is done.
    progress.done(
        indicatif::ProgressBar::hidden(),
        format!(
            "enriched {} unique packages ({} requests)",
            targets.len(),
            data.requests
        ),
    );

    let run_policy = Arc::clone(&audit.policies[audit.run_policy]);

    let remediate = audit.remediate;
    let mut run_found = std::mem::take(&mut audit.input_findings);
    let (mut lockfiles, graphs, plans) =
        evaluate(audit, &targets, &data, metadata.as_ref(), progress);
    if remediate {
        let reports = lockfiles
            .iter_mut()
            .map(|lockfile| &mut lockfile.report)
            .collect();
        remediate::annotate(
            &graphs,
            &plans,
            &data,
            metadata.as_ref(),
            reports,
            cache,
            settings,
        )?;
    }

    let usage = usage.map(|(found, usage)| {
        run_found.extend(found);
        usage
    });
    let (mut run_findings, run_ignored) = policy::settle(run_found, &run_policy.settings);
    let ignored: Vec<&IgnoredFinding> = lockfiles
        .iter()
        .flat_map(|lockfile| &lockfile.report.ignored)
        .chain(&run_ignored)
        .collect();
    run_findings.extend(policy::stale_ignores(&ignored, &run_policy.settings));
    policy::sort_findings(&mut run_findings);

    Ok(RunReport {
        lockfiles,
        graphs,
        plans,
        run_findings,
        run_ignored,
        targets,
        data,
        metadata,
        usage,
    })
}

/// Every `name==version` any plan puts in scope, sorted, once.
fn targets(plans: &[PlannedLockfile]) -> Vec<PackageKey> {
    let mut targets: Vec<PackageKey> = plans
        .iter()
        .flat_map(|planned| planned.plan.targets.iter().map(|(_, key)| key.clone()))
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

/// What enrichment fetches besides advisories: each PyPI source only when a rule (or a report)
/// reads what it alone carries, so the default rules cost one request per project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataNeed {
    /// The Simple API: releases, upload times, yanks and the PEP 792 status (PA201–PA205,
    /// PA207–PA210).
    pub simple_api: bool,
    /// The JSON API: licenses and classifiers (PA206, the license rules with a license policy,
    /// reports that list licenses).
    pub json_api: bool,
}

impl MetadataNeed {
    /// Both sources: everything PyPI says about a project (`review`, `org`'s censuses).
    pub const EVERYTHING: Self = Self {
        simple_api: true,
        json_api: true,
    };

    /// What the rules of these policies read.
    pub fn of<'a>(policies: impl IntoIterator<Item = &'a PolicySettings>) -> Self {
        let mut need = Self {
            simple_api: false,
            json_api: false,
        };
        for settings in policies {
            for rule in enabled_metadata_rules(settings) {
                if reads_declared_metadata(rule) {
                    need.json_api = true;
                } else {
                    need.simple_api = true;
                }
            }
        }
        need
    }

    /// Whether anything is fetched from PyPI.
    pub fn any(self) -> bool {
        self.simple_api || self.json_api
    }
}

/// The rules that read what only the JSON API's `info` carries: the classifiers, the license.
fn reads_declared_metadata(rule: &Rule) -> bool {
    rule.code == INACTIVE_PROJECT.code || rule.code.starts_with("PA3")
}

/// Advisories for every target, and PyPI metadata when needed, asked in one wave
/// ([`enrich::gather`]); the metadata's sources, warnings and requests join the advisory
/// data's, so the report lists every source once.
pub fn enrich(
    targets: &[PackageKey],
    need: MetadataNeed,
    remediate: bool,
    cache: &Cache,
    settings: &EnrichSettings,
) -> Result<(VulnerabilityData, Option<MetadataData>)> {
    let request = GatherRequest {
        targets: targets.to_vec(),
        metadata: need.any().then(|| MetadataSettings {
            simple_api: need.simple_api,
            json_api: need.json_api,
            ..settings.metadata.clone()
        }),
        popular: None,
        // Remediation checks the versions its fixes move to, and reads the release lists of the
        // vulnerable projects: both come out of the wave instead of round trips after it.
        follow_up: remediate.then_some(remediate::fix_targets as FollowUp),
        keep_releases: remediate,
    };
    let Gathered {
        vulnerabilities: mut data,
        metadata,
        ..
    } = enrich::gather(&request, cache, &settings.vulnerabilities)?;
    if let Some(metadata) = &metadata {
        merge_sources(&mut data, metadata);
    }
    Ok((data, metadata))
}

/// Each lockfile under its own policy, in parallel; graphs are dropped as they go unless kept.
fn evaluate(
    audit: Audit,
    targets: &[PackageKey],
    data: &VulnerabilityData,
    metadata: Option<&MetadataData>,
    progress: &Progress,
) -> (Vec<AuditedLockfile>, Vec<Graph>, Vec<AuditPlan>) {
    let Audit {
        graphs,
        plans,
        policies,
        keep_graphs,
        threads,
        ..
    } = audit;
    let work: Vec<(Graph, PlannedLockfile)> = graphs.into_iter().zip(plans).collect();
    let bar = progress.bar(work.len(), "evaluating");
    let results = parallel::map(work, threads, &bar, |(graph, planned)| {
        let policy = &policies[planned.policy];
        // Metadata fetched for another policy (or the census) does not turn on rules this one
        // has off: a lockfile sees it only when one of its own metadata rules is on.
        let enrichment = Enrichment {
            vulnerabilities: data,
            metadata: metadata.filter(|_| needs_metadata(&policy.settings)),
            popular: &policy.popular,
        };
        let report = policy::evaluate(&graph, &planned.plan, &enrichment, &policy.settings);
        let packages = planned
            .plan
            .targets
            .iter()
            .filter_map(|(_, key)| targets.binary_search(key).ok())
            .map(|index| index as u32)
            .collect();
        let audited = AuditedLockfile {
            report,
            policy: planned.policy,
            packages,
        };
        (audited, keep_graphs.then_some((graph, planned.plan)))
    });
    progress.done(bar, "evaluated".to_string());
    let mut lockfiles = Vec::with_capacity(results.len());
    let (mut graphs, mut plans) = (Vec::new(), Vec::new());
    for (audited, kept) in results {
        lockfiles.push(audited);
        if let Some((graph, plan)) = kept {
            graphs.push(graph);
            plans.push(plan);
        }
    }
    (lockfiles, graphs, plans)
}

/// Whether any enabled rule reads PyPI metadata. PA004 alone does not count: with nothing to
/// check, there is nothing to report as unchecked. The license rules need a license policy.
pub fn needs_metadata(settings: &PolicySettings) -> bool {
    enabled_metadata_rules(settings).next().is_some()
}

fn enabled_metadata_rules(settings: &PolicySettings) -> impl Iterator<Item = &'static Rule> + '_ {
    METADATA_RULES.iter().copied().filter(|rule| {
        rule.code != findings::UNCHECKED_METADATA.code
            && settings.enabled(rule)
            && (!rule.code.starts_with("PA3") || settings.licenses.is_set())
    })
}

/// The report lists every data source used, advisory and metadata alike.
pub fn merge_sources(data: &mut VulnerabilityData, metadata: &MetadataData) {
    for source in &metadata.sources {
        enrich::add_source(&mut data.sources, source.clone());
    }
    data.warnings.extend(metadata.warnings.iter().cloned());
    data.oldest_data = match (data.oldest_data, metadata.oldest_data) {
        (Some(left), Some(right)) => Some(left.min(right)),
        (left, right) => left.or(right),
    };
    data.requests += metadata.requests;
}
