//! The usage stage of an audit: scan the project's imports, map distributions to modules, and
//! raise PA601–PA606 (at their default levels; the rule pass settles them with the rest).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use pyaudit_cache::Cache;

use crate::fetch::FetchSettings;
use crate::findings::Finding;
use crate::graph::Graph;
use crate::lockfile::pyproject;
use crate::policy::usage::{self as rules, UsageRuleSettings};
use crate::time::Timestamp;
use crate::usage::config::UsageConfig;
use crate::usage::scan::ScanSettings;
use crate::usage::wheels::WheelSettings;
use crate::usage::{self, Usage, UsageSettings};

/// Where the project's sources are and how to map its distributions to modules.
#[derive(Debug, Clone)]
pub struct UsageRequest {
    /// The project's directory (its `pyproject.toml`, its sources).
    pub directory: PathBuf,
    /// The config's `[usage]`.
    pub config: UsageConfig,
    /// A virtual environment whose `*.dist-info` map distributions to modules.
    pub venv: Option<PathBuf>,
    /// Fetch wheels' file lists from PyPI (else: cache, venv, overrides and the guess only).
    pub wheels: bool,
    /// The user asked for the usage rules (`--project DIR`): a directory without Python
    /// sources is an error, not a silently skipped stage.
    pub required: bool,
}

/// [`analyse_project`] as a stage of an audit: `None` when the directory has no Python sources
/// and the rules were not asked for.
pub fn analyse(
    request: &UsageRequest,
    graphs: &[Graph],
    cache: &Cache,
    fetch: &FetchSettings,
    offline: bool,
    now: Timestamp,
) -> Result<Option<(Vec<Finding>, Usage)>> {
    let (found, usage) = analyse_project(request, graphs, cache, fetch, offline, now)?;
    if usage.files == 0 {
        if request.required {
            bail!(
                "no Python sources in `{}` for the usage rules",
                request.directory.display()
            );
        }
        return Ok(None);
    }
    Ok(Some((found, usage)))
}

/// Scan, map, and evaluate PA601–PA606: the raw findings and the analysis they came from.
pub fn analyse_project(
    request: &UsageRequest,
    graphs: &[Graph],
    cache: &Cache,
    fetch: &FetchSettings,
    offline: bool,
    now: Timestamp,
) -> Result<(Vec<Finding>, Usage)> {
    let root: &Path = &request.directory;
    let pyproject_path = root.join("pyproject.toml");
    let pyproject = if pyproject_path.is_file() {
        Some(pyproject::read(&pyproject_path)?)
    } else {
        None
    };
    let usage_config = &request.config;
    let mut scan = ScanSettings {
        include: usage_config.include.clone(),
        exclude: usage_config.exclude.clone(),
        ..ScanSettings::default()
    };
    if let Some(tests) = &usage_config.tests {
        scan.test_patterns = tests.clone();
    }
    let settings = UsageSettings {
        scan,
        module_overrides: usage_config.modules.clone(),
        venv: request.venv.clone(),
        wheels: request.wheels.then(|| WheelSettings {
            offline,
            fetch: fetch.clone(),
            now,
        }),
    };
    let analysis = usage::analyse(root, pyproject.as_ref(), graphs, cache, &settings)?;
    let rule_settings = UsageRuleSettings {
        ignore_unused: usage_config.ignore_unused.clone(),
        ignore_missing: usage_config.ignore_missing.clone(),
        dev_tools: usage_config.dev_tools.clone(),
    };
    let mut found = rules::evaluate_usage(&analysis, graphs, &rule_settings);
    for graph in graphs {
        found.extend(rules::evaluate_lock(graph, &rule_settings));
    }
    Ok((found, analysis))
}
