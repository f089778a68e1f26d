//! `pyaudit lock`: read lockfiles, plan the audit, collect advisory data and (when a rule needs
//! it) PyPI metadata through the cache and the network, evaluate the policy, render the report.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pyaudit_cache::Timestamp;

use super::{Outcome, check_groups, group_selection, load_graphs, open_cache};
use crate::cli::{LockArgs, LockFormat, SourceArgs};
use crate::config::{self, Config};
use crate::enrich::metadata::{MetadataData, MetadataSettings};
use crate::enrich::{self, GatherRequest, Gathered, PackageKey, VulnerabilitySettings};
use crate::fetch::{DEFAULT_OSV_URL, DEFAULT_PYPI_URL, FetchSettings};
use crate::findings::{
    self, ARCHIVED_PROJECT, DEPRECATED_PROJECT, METADATA_RULES, QUARANTINED_PROJECT, TYPOSQUAT,
};
use crate::policy::{self, Enrichment, PolicySettings};
use crate::report;

pub fn run(args: &LockArgs, quiet: bool) -> Result<(String, Outcome)> {
    // The config is read first: it may allow includes outside the project.
    let config = load_config(args)?;
    let graphs = load_graphs(&args.lockfile, config.input.allow_outside_includes, quiet)?;
    let known: Vec<String> = graphs
        .iter()
        .flat_map(|graph| graph.group_names())
        .collect();
    check_groups(&args.scope.groups, &known, "the lockfile(s)")?;
    let groups = group_selection(&args.scope.groups);
    let plans: Vec<_> = graphs
        .iter()
        .map(|graph| policy::plan(graph, args.scope.only_prod, &groups))
        .collect();
    let mut targets: Vec<PackageKey> = plans
        .iter()
        .flat_map(|plan| plan.targets.iter().map(|(_, key)| key.clone()))
        .collect();
    targets.sort();
    targets.dedup();

    let cache = open_cache(args.sources.cache_dir.as_deref(), quiet)?;
    let settings = vulnerability_settings(&args.sources, &config, quiet);
    let policy_settings = super::policy_settings(
        config.clone(),
        &args.rules,
        args.allow_unchecked,
        args.sources.offline,
        settings.now.unix_millis(),
    )?;

    let request = GatherRequest {
        targets,
        metadata: needs_metadata(&policy_settings).then(|| MetadataSettings {
            offline: args.sources.offline,
            fetch: settings.fetch.clone(),
            ttl: Duration::from_secs(args.sources.metadata_ttl),
            // The Simple API is asked only for the PEP 792 status: not at all when no rule reads it.
            project_status: [&QUARANTINED_PROJECT, &ARCHIVED_PROJECT, &DEPRECATED_PROJECT]
                .iter()
                .any(|rule| policy_settings.enabled(rule)),
            now: settings.now,
        }),
        popular: policy_settings
            .enabled(&TYPOSQUAT)
            .then(|| config.typosquat.popular.clone()),
    };
    let Gathered {
        vulnerabilities: mut data,
        metadata,
        popular,
    } = enrich::gather(&request, &cache, &settings)?;
    merge_sources(&mut data, metadata.as_ref());
    if !quiet {
        for warning in &data.warnings {
            super::warn(warning);
        }
    }

    let enrichment = Enrichment {
        vulnerabilities: &data,
        metadata: metadata.as_ref(),
        popular: &popular,
    };
    let mut reports: Vec<_> = graphs
        .iter()
        .zip(&plans)
        .map(|(graph, plan)| policy::evaluate(graph, plan, &enrichment, &policy_settings))
        .collect();
    if let Some(usage) = usage_findings(args, &graphs, &config, &cache, &settings.fetch, quiet)?
        && let Some(first) = reports.first_mut()
    {
        let (found, ignored) = policy::usage::settle(
            usage,
            &policy_settings.levels,
            &policy_settings.ignores,
            policy_settings.today(),
        );
        first.findings.extend(found);
        first.ignored.extend(ignored);
        policy::sort_findings(&mut first.findings);
    }
    let ignored: Vec<_> = reports.iter().flat_map(|report| &report.ignored).collect();
    let stale = policy::stale_ignores(&ignored, &policy_settings);
    if let Some(first) = reports.first_mut()
        && !stale.is_empty()
    {
        first.findings.extend(stale);
        policy::sort_findings(&mut first.findings);
    }
    let now = settings.now.unix_millis();
    let rendered = match args.format {
        LockFormat::Text => report::text::render_lock(
            &reports,
            &data,
            now,
            report::text::use_colour(args.output.is_none()),
        ),
        LockFormat::Json => report::json::render_lock(&reports, &data),
        LockFormat::Sarif => report::sarif::render_lock(&reports, &data),
        LockFormat::Cyclonedx => {
            report::cyclonedx::render_lock(&graphs, &reports, &data, metadata.as_ref(), Some(now))
        }
        LockFormat::Markdown => report::markdown::render_lock(&reports, &data),
        LockFormat::Gitlab => report::gitlab::render_lock(&reports, &data),
    };
    let outcome = Outcome::of_reports(&reports);
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered)
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            Ok((String::new(), outcome))
        }
        None => Ok((rendered, outcome)),
    }
}

/// The usage rules, when the project's sources are in view: `--project DIR`, or the lockfile's
/// directory when it holds a `pyproject.toml` and at least one Python source. Levels and ignores
/// are applied by the caller.
fn usage_findings(
    args: &LockArgs,
    graphs: &[crate::graph::Graph],
    config: &Config,
    cache: &pyaudit_cache::Cache,
    fetch: &FetchSettings,
    quiet: bool,
) -> Result<Option<Vec<findings::Finding>>> {
    if args.no_usage {
        return Ok(None);
    }
    let directory = match &args.project {
        Some(project) => project.clone(),
        None => {
            let directory = if args.lockfile.path.is_dir() {
                args.lockfile.path.clone()
            } else {
                args.lockfile
                    .path
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .unwrap_or_else(|| ".".into())
            };
            if !directory.join("pyproject.toml").is_file() {
                return Ok(None);
            }
            directory
        }
    };
    let (found, usage) = super::usage::analyse_project(
        &directory,
        graphs,
        config,
        &args.usage_mapping,
        cache,
        fetch,
        args.sources.offline,
    )?;
    if usage.files == 0 {
        if args.project.is_some() {
            bail!(
                "no Python sources in `{}` for the usage rules",
                directory.display()
            );
        }
        return Ok(None);
    }
    if !quiet {
        for warning in &usage.warnings {
            super::warn(warning);
        }
    }
    Ok(Some(found))
}

/// Whether any enabled rule reads PyPI metadata. PA004 alone does not count: with nothing to
/// check, there is nothing to report as unchecked. The license rules need a license policy.
pub(super) fn needs_metadata(settings: &PolicySettings) -> bool {
    METADATA_RULES.iter().any(|rule| {
        rule.code != findings::UNCHECKED_METADATA.code
            && settings.enabled(rule)
            && (!rule.code.starts_with("PA3") || settings.licenses.is_set())
    })
}

/// The report lists every data source used, advisory and metadata alike.
pub(super) fn merge_sources(data: &mut enrich::VulnerabilityData, metadata: Option<&MetadataData>) {
    let Some(metadata) = metadata else {
        return;
    };
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

fn load_config(args: &LockArgs) -> Result<Config> {
    let start = if args.lockfile.path.is_dir() {
        args.lockfile.path.clone()
    } else {
        args.lockfile
            .path
            .parent()
            .map(|parent| parent.to_path_buf())
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or_else(|| ".".into())
    };
    Ok(config::discover(args.config.as_deref(), &start)?)
}

/// Service URLs and network limits: the command line or environment, else the config's
/// `[fetch]`, else the public services and the defaults of [`FetchSettings`]. The deadline
/// counts from now, for every stage of the run together.
pub(super) fn vulnerability_settings(
    sources: &SourceArgs,
    config: &Config,
    quiet: bool,
) -> VulnerabilitySettings {
    let defaults = FetchSettings::default();
    let fetch = &config.fetch;
    VulnerabilitySettings {
        offline: sources.offline,
        fetch: FetchSettings {
            osv_url: sources
                .osv_url
                .clone()
                .or_else(|| fetch.osv_url.clone())
                .unwrap_or_else(|| DEFAULT_OSV_URL.to_string()),
            pypi_url: sources
                .pypi_url
                .clone()
                .or_else(|| fetch.pypi_url.clone())
                .unwrap_or_else(|| DEFAULT_PYPI_URL.to_string()),
            timeout: sources
                .timeout
                .map(Duration::from_secs_f64)
                .or(fetch.timeout)
                .unwrap_or(defaults.timeout),
            deadline: match sources.deadline {
                Some(seconds) => (seconds > 0.0).then(|| Duration::from_secs_f64(seconds)),
                None => fetch.deadline.unwrap_or(defaults.deadline),
            },
            deadline_from: Some(std::time::Instant::now()),
            max_retry_after: fetch.max_retry_after.unwrap_or(defaults.max_retry_after),
            allow_cross_host_redirects: sources.allow_cross_host_redirects
                || fetch.allow_cross_host_redirects.unwrap_or(false),
            ..defaults
        },
        extra_advisories: sources.advisories.clone(),
        complete_advisories: sources
            .complete_advisories
            .iter()
            .chain(&config.advisories.complete)
            .cloned()
            .collect(),
        // `--max-age` is one limit for any stand-in data; the config keeps two.
        max_age: sources.max_age.unwrap_or(config.advisories.max_age),
        fallback_max_age: sources
            .max_age
            .unwrap_or(config.advisories.fallback_max_age),
        query_ttl: Duration::from_secs(sources.cache_ttl),
        progress: !quiet && std::io::stderr().is_terminal(),
        now: now(),
    }
}

/// The clock. `PYAUDIT_NOW` (`YYYY-MM-DD`, midnight UTC) pins it, so the time-based rules
/// (release ages, cooldowns, ignore expiry) give reproducible reports and tests.
pub(super) fn now() -> Timestamp {
    match std::env::var("PYAUDIT_NOW") {
        Ok(text) => match config::days_from_date(&text) {
            Some(days) => Timestamp::from_unix_millis(days * 86_400_000),
            None => {
                super::warn(format!(
                    "PYAUDIT_NOW=`{text}` is not a YYYY-MM-DD date; using the clock"
                ));
                Timestamp::now()
            }
        },
        Err(_) => Timestamp::now(),
    }
}
