//! `pyaudit lock`: read lockfiles, plan the audit, collect advisory data through the cache and
//! the network, evaluate the policy, render the report.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pyaudit_cache::Timestamp;

use super::{Outcome, load_graphs, open_cache};
use crate::cli::{LockArgs, LockFormat, SourceArgs};
use crate::config;
use crate::enrich::{self, VulnerabilitySettings};
use crate::fetch::FetchSettings;
use crate::findings::{self, Level};
use crate::graph::GroupSelection;
use crate::lockfile::normalize_extra;
use crate::policy::{self, PolicySettings};
use crate::report;

pub fn run(args: &LockArgs, quiet: bool) -> Result<(String, Outcome)> {
    let graphs = load_graphs(&args.lockfile, quiet)?;
    let groups = group_selection(args, &graphs)?;
    let plans: Vec<_> = graphs
        .iter()
        .map(|graph| policy::plan(graph, args.only_prod, &groups))
        .collect();
    let mut targets: Vec<_> = plans
        .iter()
        .flat_map(|plan| plan.targets.iter().map(|(_, key)| key.clone()))
        .collect();
    targets.sort();
    targets.dedup();

    let cache = open_cache(args.sources.cache_dir.as_deref(), quiet)?;
    let settings = vulnerability_settings(&args.sources, quiet);
    let data = enrich::vulnerabilities::collect(&targets, &cache, &settings)?;
    if !quiet {
        for warning in &data.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let policy_settings = policy_settings(args, &settings)?;
    let mut reports: Vec<_> = graphs
        .iter()
        .zip(&plans)
        .map(|(graph, plan)| policy::evaluate(graph, plan, &data, &policy_settings))
        .collect();
    let ignored: Vec<_> = reports.iter().flat_map(|report| &report.ignored).collect();
    let stale = policy::stale_ignores(&ignored, &policy_settings);
    if let Some(first) = reports.first_mut() {
        first.warnings.extend(stale);
    }
    let rendered = match args.format {
        LockFormat::Text => report::text::render_lock(&reports, &data, settings.now.unix_millis()),
        LockFormat::Json => report::json::render_lock(&reports, &data),
        LockFormat::Sarif => report::sarif::render_lock(&reports, &data),
        LockFormat::Cyclonedx => report::cyclonedx::render_lock(
            &graphs,
            &reports,
            &data,
            Some(settings.now.unix_millis()),
        ),
        LockFormat::Markdown => report::markdown::render_lock(&reports, &data),
        LockFormat::Gitlab => report::gitlab::render_lock(&reports),
    };
    let outcome = if reports.iter().any(|report| report.denied()) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered)
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            Ok((String::new(), outcome))
        }
        None => Ok((rendered, outcome)),
    }
}

/// Levels and ignores: the config file first, then `--deny/--warn/--allow` over it.
fn policy_settings(args: &LockArgs, settings: &VulnerabilitySettings) -> Result<PolicySettings> {
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
    let config = config::discover(args.config.as_deref(), &start)?;
    let mut levels = config.levels;
    for (names, level) in [
        (&args.deny, Level::Deny),
        (&args.warn, Level::Warn),
        (&args.allow, Level::Allow),
    ] {
        for name in names {
            let Some(rule) = findings::rule(name) else {
                bail!("unknown rule `{name}`; `pyaudit explain` lists the rules");
            };
            levels.insert(rule.code, level);
        }
    }
    Ok(PolicySettings {
        allow_unchecked: args.allow_unchecked,
        levels,
        ignores: config.ignores,
        today: settings.now.unix_millis().div_euclid(86_400_000),
    })
}

/// `--groups` names, checked against the groups the lockfiles define.
fn group_selection(args: &LockArgs, graphs: &[crate::graph::Graph]) -> Result<GroupSelection> {
    if args.groups.is_empty() {
        return Ok(GroupSelection::All);
    }
    let known: Vec<String> = graphs
        .iter()
        .flat_map(|graph| graph.group_names())
        .collect();
    let mut selected = Vec::new();
    for group in &args.groups {
        let normalized = normalize_extra(group);
        if !known.contains(&normalized) {
            let mut listed = known.clone();
            listed.sort();
            listed.dedup();
            bail!(
                "no dependency group `{group}` in the lockfile(s); groups: {}",
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            );
        }
        selected.push(normalized);
    }
    Ok(GroupSelection::Only(selected))
}

pub(super) fn vulnerability_settings(sources: &SourceArgs, quiet: bool) -> VulnerabilitySettings {
    VulnerabilitySettings {
        offline: sources.offline,
        fetch: FetchSettings {
            osv_url: sources.osv_url.clone(),
            pypi_url: sources.pypi_url.clone(),
            ..FetchSettings::default()
        },
        extra_advisories: sources.advisories.clone(),
        query_ttl: Duration::from_secs(sources.cache_ttl),
        progress: !quiet && std::io::stderr().is_terminal(),
        now: Timestamp::now(),
    }
}
