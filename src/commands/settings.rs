//! Command line and config turned into the plain settings the stages take: the one place where
//! `--flag`, `[config]` and the defaults meet, so every command resolves them alike.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::Invocation;
use crate::audit::EnrichSettings;
use crate::cli::{RuleArgs, SourceArgs};
use crate::config::Config;
use crate::enrich::VulnerabilitySettings;
use crate::enrich::metadata::MetadataSettings;
use crate::fetch::{DEFAULT_OSV_URL, DEFAULT_PYPI_URL, FetchSettings};
use crate::findings::{self, Level};
use crate::policy::PolicySettings;

/// The network part of a source's settings, for the commands that only talk to PyPI (`usage`)
/// as for those that talk to both: the command line or environment first, then the config's
/// `[fetch]`, then the public services and the defaults of [`FetchSettings`]. The deadline counts
/// from `started`, for every stage of the run together.
pub struct FetchOverrides<'a> {
    pub osv_url: Option<&'a str>,
    pub pypi_url: Option<&'a str>,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub allow_cross_host_redirects: bool,
}

pub fn fetch_settings(
    overrides: &FetchOverrides<'_>,
    config: &Config,
    started: Instant,
) -> FetchSettings {
    let defaults = FetchSettings::default();
    let fetch = &config.fetch;
    FetchSettings {
        osv_url: overrides
            .osv_url
            .map(str::to_owned)
            .or_else(|| fetch.osv_url.clone())
            .unwrap_or_else(|| DEFAULT_OSV_URL.to_string()),
        pypi_url: overrides
            .pypi_url
            .map(str::to_owned)
            .or_else(|| fetch.pypi_url.clone())
            .unwrap_or_else(|| DEFAULT_PYPI_URL.to_string()),
        timeout: overrides
            .timeout
            .map(Duration::from_secs_f64)
            .or(fetch.timeout)
            .unwrap_or(defaults.timeout),
        deadline: match overrides.deadline {
            Some(seconds) => (seconds > 0.0).then(|| Duration::from_secs_f64(seconds)),
            None => fetch.deadline.unwrap_or(defaults.deadline),
        },
        deadline_from: Some(started),
        max_retry_after: fetch.max_retry_after.unwrap_or(defaults.max_retry_after),
        allow_cross_host_redirects: overrides.allow_cross_host_redirects
            || fetch.allow_cross_host_redirects.unwrap_or(false),
        ..defaults
    }
}

/// Advisory and metadata settings of a run from `SourceArgs` over the config.
pub fn enrich_settings(
    sources: &SourceArgs,
    config: &Config,
    context: &Invocation,
) -> EnrichSettings {
    let overrides = FetchOverrides {
        osv_url: sources.osv_url.as_deref(),
        pypi_url: sources.pypi_url.as_deref(),
        timeout: sources.timeout,
        deadline: sources.deadline,
        allow_cross_host_redirects: sources.allow_cross_host_redirects,
    };
    let fetch = fetch_settings(&overrides, config, context.started);
    let vulnerabilities = VulnerabilitySettings {
        offline: sources.offline,
        fetch: fetch.clone(),
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
        progress: !context.quiet && std::io::stderr().is_terminal(),
        now: context.now,
    };
    let metadata = MetadataSettings {
        offline: sources.offline,
        fetch,
        ttl: Duration::from_secs(sources.metadata_ttl),
        simple_api: true,
        json_api: true,
        now: context.now,
    };
    EnrichSettings {
        vulnerabilities,
        metadata,
    }
}

/// `--deny`, `--warn`, `--allow` over a config's levels. An unknown rule is an error.
pub fn apply_rule_args(levels: &mut BTreeMap<&'static str, Level>, rules: &RuleArgs) -> Result<()> {
    for (names, level) in [
        (&rules.deny, Level::Deny),
        (&rules.warn, Level::Warn),
        (&rules.allow, Level::Allow),
    ] {
        for name in names {
            let matching = findings::rules_matching(name);
            if matching.is_empty() {
                bail!(
                    "unknown rule `{name}`: give a code (PA101), a name (vulnerability) or a \
                     code prefix (PA2); `pyaudit explain` lists the rules"
                );
            }
            for rule in matching {
                levels.insert(rule.code, level);
            }
        }
    }
    Ok(())
}

/// The policy settings of one config with the command line's rule levels and switches over it;
/// the one place `lock`, `org`, `review` and `usage` turn arguments into settings.
pub fn policy_settings(
    config: Config,
    rules: &RuleArgs,
    allow_unchecked: bool,
    offline: bool,
    context: &Invocation,
) -> Result<PolicySettings> {
    let mut policy = PolicySettings::from_config(config, context.now);
    apply_rule_args(&mut policy.levels, rules)?;
    policy.allow_unchecked = allow_unchecked;
    policy.offline = offline;
    Ok(policy)
}
