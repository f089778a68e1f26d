//! `pyaudit review NAME[==VERSION]`: resolve what the package would bring in (through the cache
//! and PyPI), audit that closure with the project's policy, decide approve / needs review /
//! deny, render the review.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow};

use super::settings::{enrich_settings, policy_settings};
use super::{Invocation, Outcome, deliver, open_cache};
use crate::audit::{self, EnrichSettings};
use crate::cli::{ReviewArgs, ReviewFormat, ReviewPlatform};
use crate::config::{self, Config};
use crate::enrich::history::{self, AdvisoryHistory, PackageHistory};
use crate::enrich::popular::{self, PopularNames};
use crate::enrich::releases::{CachedRegistry, NOT_ON_PYPI};
use crate::enrich::{self, PackageKey, VulnerabilityData};
use crate::findings::{INACTIVE_PROJECT, Level, RECENT_RELEASE, TYPOSQUAT, UNMAINTAINED_PROJECT};
use crate::graph::{Graph, GroupSelection};
use crate::lockfile::{self, PackageIndex};
use crate::policy::{self, AuditPlan, Enrichment, PolicySettings};
use crate::report;
use crate::report::review::Review;
use crate::review::resolve::{self, Cooldown, Limits, Platform, Resolution, TargetEnvironment};
use crate::review::{self as review_model, Decision};

pub fn run(args: &ReviewArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let quiet = context.quiet;
    // Bad input is refused before anything is read or fetched.
    let environment = target_environment(args)?;
    resolve::parse_request(&args.package).map_err(|error| anyhow!(error))?;
    if args.max_depth == 0 {
        return Err(anyhow!("`--max-depth` must be at least 1"));
    }
    let against = match &args.against {
        Some(path) => Some(
            lockfile::read_lockfile(path)
                .with_context(|| format!("cannot read `--against {}`", path.display()))?,
        ),
        None => None,
    };

    let start = std::env::current_dir().context("cannot read the current directory")?;
    let config = config::discover(args.config.as_deref(), &start)?;
    let cache = open_cache(args.sources.cache_dir.as_deref(), quiet)?;
    let settings = enrich_settings(&args.sources, &config, context);
    let policy_settings = review_policy(&config, args, context)?;

    // 1. The closure.
    let mut registry = CachedRegistry::new(&cache, settings.metadata.clone());
    // The cooldown (PA208) is applied while resolving, as `uv --exclude-newer` does: a release
    // inside it is passed over for the newest older one that satisfies the same requirement.
    let cooldown = (policy_settings.enabled(&RECENT_RELEASE)
        && policy_settings.maintenance.cooldown_days > 0)
        .then_some(Cooldown {
            now_millis: context.now.unix_millis(),
            days: policy_settings.maintenance.cooldown_days,
        });
    let limits = Limits {
        max_depth: args.max_depth,
        cooldown,
        ..Limits::default()
    };
    let mut resolution = resolve::resolve(&args.package, &environment, limits, &mut registry)
        .map_err(|error| anyhow!(error))?;
    let graph = Graph::build(resolution.lockfile.clone());

    // 2. What to audit: everything but what the `--against` lock already has.
    let (plan, already_locked) = plan_new_packages(&graph, against.as_ref());
    let targets: Vec<PackageKey> = plan.targets.iter().map(|(_, key)| key.clone()).collect();

    // 3. Enrichment, as `pyaudit lock` does it, plus each project's advisory history.
    let (mut data, mut metadata) = if targets.is_empty() {
        (VulnerabilityData::default(), None)
    } else {
        audit::enrich(
            &targets,
            audit::MetadataNeed::EVERYTHING,
            false,
            &cache,
            &settings,
        )?
    };
    // The license rules judge each chosen release's own METADATA, not the newest release's.
    if let Some(metadata) = &mut metadata {
        review_model::release_licenses(&resolution, metadata);
    }
    let popular = if policy_settings.enabled(&TYPOSQUAT) || resolution.reviewed().is_none() {
        popular::load(&cache, &config.typosquat.popular)?
    } else {
        PopularNames::default()
    };
    suggest_names(&mut resolution, &popular);
    let popular = if policy_settings.enabled(&TYPOSQUAT) {
        popular
    } else {
        PopularNames::default()
    };
    let histories = advisory_histories(&targets, &cache, &settings, &mut data)?;
    for source in registry.sources() {
        enrich::add_source(&mut data.sources, source);
    }
    data.warnings.extend(registry.warnings.iter().cloned());
    data.requests += registry.requests();
    if !quiet {
        for warning in &data.warnings {
            super::warn(warning);
        }
    }

    // 4. Policy and verdict. NOTE: unused-ignore findings (PA0xx) are not added: the config's
    // ignores are written for the project's lock, not for this one package.
    let enrichment = Enrichment {
        vulnerabilities: &data,
        metadata: metadata.as_ref(),
        popular: &popular,
    };
    let lock_report = policy::evaluate(&graph, &plan, &enrichment, &policy_settings);
    let verdict = review_model::verdict(&lock_report, &resolution);

    let review = Review {
        resolution: &resolution,
        graph: &graph,
        environment: &environment,
        report: &lock_report,
        verdict: &verdict,
        already_locked: &already_locked,
        against: args.against.as_deref(),
        data: &data,
        metadata: metadata.as_ref(),
        histories: &histories,
        now_millis: context.now.unix_millis(),
    };
    let rendered = match args.format {
        ReviewFormat::Text => {
            report::review::text::render(&review, report::text::use_colour(args.output.is_none()))
        }
        ReviewFormat::Json => report::review::json::render(&review),
        ReviewFormat::Markdown => report::review::markdown::render(&review),
    };
    let outcome = match verdict.decision {
        Decision::Deny => Outcome::Findings,
        // A package that could not be checked is not a reviewer's judgement call: the review
        // itself is incomplete.
        Decision::Incomplete => Outcome::Incomplete,
        Decision::Approve => Outcome::Clean,
        Decision::NeedsReview => Outcome::NeedsReview,
    };
    Ok((deliver(rendered, args.output.as_deref())?, outcome))
}

fn target_environment(args: &ReviewArgs) -> Result<TargetEnvironment> {
    let platform = match args.platform {
        ReviewPlatform::Linux => Platform::Linux,
        ReviewPlatform::Macos => Platform::Macos,
        ReviewPlatform::Windows => Platform::Windows,
    };
    TargetEnvironment::new(&args.python, platform).map_err(|error| anyhow!(error))
}

/// The project's policy as it applies to a package nobody has locked yet.
fn review_policy(
    config: &Config,
    args: &ReviewArgs,
    context: &Invocation,
) -> Result<PolicySettings> {
    let mut settings = policy_settings(
        config.clone(),
        &args.rules,
        false,
        args.sources.offline,
        context,
    )?;
    // Nothing is locked yet: fixes say what the reviewer can request, and `require-hashes`
    // (PA406), a rule about the project's lock, has no lock to read hashes from.
    settings.fix_style = policy::FixStyle::Review;
    settings.sources.require_hashes = false;
    // Age without releases is not abandonment: a finished, stable project (blinker,
    // itsdangerous) would otherwise stop every review that needs it. The review shows each
    // package's release dates; what stops it are the signals that mean abandonment (PEP 792
    // archived / deprecated / quarantined status, the `Inactive` classifier, advisories). A
    // level set in the config or on the command line still applies.
    settings
        .levels
        .entry(UNMAINTAINED_PROJECT.code)
        .or_insert(Level::Allow);
    // A review reads the JSON API anyway (licenses), so the classifier costs nothing here: the
    // maintainers' own `Inactive` is one of those signals, off by default only in `lock`.
    settings
        .levels
        .entry(INACTIVE_PROJECT.code)
        .or_insert(Level::Warn);
    Ok(settings)
}

/// The closure's plan, less what the `--against` lock already has (returned apart: the review
/// lists it as already locked).
fn plan_new_packages(
    graph: &Graph,
    against: Option<&lockfile::Lockfile>,
) -> (AuditPlan, Vec<PackageIndex>) {
    let mut plan = policy::plan(graph, false, &GroupSelection::All);
    let locked: BTreeSet<(String, String)> = against
        .iter()
        .flat_map(|lock| &lock.packages)
        .filter_map(|package| {
            let version = package.version.as_ref()?;
            Some((package.name.to_string(), version.to_string()))
        })
        .collect();
    let is_locked = |index: PackageIndex| {
        let package = graph.package(index);
        package.version.as_ref().is_some_and(|version| {
            locked.contains(&(package.name.to_string(), version.to_string()))
        })
    };
    let already_locked: Vec<PackageIndex> = plan
        .in_scope
        .iter()
        .copied()
        .filter(|&index| is_locked(index))
        .collect();
    plan.targets.retain(|(index, _)| !is_locked(*index));
    plan.in_scope.retain(|&index| !is_locked(index));
    (plan, already_locked)
}

/// Each project's advisory history (past vulnerabilities, malicious records): OSV's
/// `/v1/query` by name, the local database, the `--advisories` folders. Its sources, warnings
/// and requests join the run's.
fn advisory_histories(
    targets: &[PackageKey],
    cache: &pyaudit_cache::Cache,
    settings: &EnrichSettings,
    data: &mut VulnerabilityData,
) -> Result<BTreeMap<PackageKey, PackageHistory>> {
    let history = if targets.is_empty() {
        AdvisoryHistory::default()
    } else {
        let names: Vec<String> = targets.iter().map(|key| key.name.clone()).collect();
        history::collect(&names, cache, &settings.vulnerabilities)?
    };
    let histories = history::summarise(&history, targets, data);
    for source in &history.sources {
        enrich::add_source(&mut data.sources, source.clone());
    }
    data.warnings.extend(history.warnings.iter().cloned());
    data.requests += history.requests;
    Ok(histories)
}

/// When PyPI has no project by the requested name, name the popular projects it may be a slip
/// of ("did you mean `flask`?") in the reason the review gives.
fn suggest_names(resolution: &mut Resolution, popular: &PopularNames) {
    if resolution.reviewed().is_some() {
        return;
    }
    let Ok(requirement) = resolve::parse_request(&resolution.request) else {
        return;
    };
    let name = requirement.name.to_string();
    let suggestions = crate::policy::typosquat::suggestions(&name, popular, 3);
    if suggestions.is_empty() {
        return;
    }
    let words = suggestions
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    for entry in &mut resolution.unresolved {
        if entry.required_by == resolve::ROOT_NAME && entry.reason.contains(NOT_ON_PYPI) {
            entry.reason.push_str(&format!("; did you mean {words}?"));
        }
    }
}
