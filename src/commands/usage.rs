//! `pyaudit usage [DIR]`: the usage rules alone — scan the project's imports, map distributions
//! to modules, report unused, missing, transitive and dev-leaking dependencies (PA601–PA606).
//! [`analyse_project`] is shared with `pyaudit lock`, which runs the same rules when it can see
//! the project's sources.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pyaudit_cache::Cache;

use super::{Outcome, open_cache};
use crate::cli::{LockFormat, RequirementsClassArgs, UsageArgs, UsageMappingArgs};
use crate::config::{self, Config};
use crate::enrich::VulnerabilityData;
use crate::fetch::FetchSettings;
use crate::findings::Finding;
use crate::graph::Graph;
use crate::lockfile::{self, LockfileKind, pyproject};
use crate::policy::LockReport;
use crate::policy::usage::{self as rules, UsageRuleSettings};
use crate::report;
use crate::usage::scan::ScanSettings;
use crate::usage::wheels::WheelSettings;
use crate::usage::{self, Usage, UsageSettings};

pub fn run(args: &UsageArgs, quiet: bool) -> Result<(String, Outcome)> {
    let root = &args.path;
    if !root.is_dir() {
        bail!(
            "`{}` is not a directory: `pyaudit usage` takes the project's directory",
            root.display()
        );
    }
    let graphs = project_graphs(root, quiet)?;
    let config = config::discover(args.config.as_deref(), root)?;
    let cache = open_cache(args.cache_dir.as_deref(), quiet)?;
    let defaults = FetchSettings::default();
    // The network limits of `[fetch]` apply here as in `lock`.
    let fetch = FetchSettings {
        // The command line or environment, else the config's `[fetch]`, else PyPI: as in `lock`.
        pypi_url: args
            .pypi_url
            .clone()
            .or_else(|| config.fetch.pypi_url.clone())
            .unwrap_or_else(|| crate::fetch::DEFAULT_PYPI_URL.to_owned()),
        timeout: config.fetch.timeout.unwrap_or(defaults.timeout),
        deadline: config.fetch.deadline.unwrap_or(defaults.deadline),
        deadline_from: Some(std::time::Instant::now()),
        max_retry_after: config
            .fetch
            .max_retry_after
            .unwrap_or(defaults.max_retry_after),
        allow_cross_host_redirects: config.fetch.allow_cross_host_redirects.unwrap_or(false),
        ..defaults
    };
    let (findings, usage) = analyse_project(
        root,
        &graphs,
        &config,
        &args.mapping,
        &cache,
        &fetch,
        args.offline,
    )?;
    if usage.files == 0 {
        bail!(
            "no Python sources (.py, .pyi, .ipynb) under `{}`: nothing to check the declarations against",
            root.display()
        );
    }
    // The analysis' warnings are part of the report (every format), not repeated on stderr.
    let mut levels = config.levels.clone();
    super::apply_rule_args(&mut levels, &args.rules)?;
    // One clock for the whole run, `PYAUDIT_NOW` included, as in `lock`.
    let today = super::lock::now().unix_millis().div_euclid(86_400_000);
    let (findings, ignored) = rules::settle(findings, &levels, &config.ignores, today);
    let report = LockReport {
        path: root.display().to_string(),
        kind: graphs
            .first()
            .map_or(LockfileKind::Requirements, |graph| graph.lockfile.kind),
        packages: graphs
            .iter()
            .map(|graph| graph.packages().len() - graph.roots().len())
            .sum(),
        audited: 0,
        not_audited: Vec::new(),
        findings,
        ignored,
        warnings: usage.warnings.clone(),
    };
    let outcome = Outcome::of_reports([&report]);
    let reports = [report];
    let data = VulnerabilityData::default();
    let rendered = match args.format {
        LockFormat::Text => render_text(&usage, &reports),
        LockFormat::Json => report::json::render_lock(&reports, &data),
        LockFormat::Sarif => report::sarif::render_lock(&reports, &data),
        LockFormat::Markdown => report::markdown::render_lock(&reports, &data),
        LockFormat::Gitlab => report::gitlab::render_lock(&reports, &data),
        LockFormat::Cyclonedx => {
            bail!("`--format cyclonedx` is an SBOM of a lock: use `pyaudit lock`")
        }
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

/// A header saying what was scanned, then the findings as `pyaudit lock` shows them.
fn render_text(usage: &Usage, reports: &[LockReport]) -> String {
    let mut out = format!(
        "{}: {} source file(s), {} declared dependencies, Python {} standard library\n",
        usage.root.display(),
        usage.files,
        usage.declarations.len(),
        usage.python
    );
    let body = report::text::render_lock(reports, &VulnerabilityData::default(), 0, false);
    // The lock header line (packages / audited) says nothing here; keep the findings.
    out.push_str(body.split_once('\n').map_or("", |(_, rest)| rest));
    out
}

/// The lockfiles in `root`, if any, as graphs (warnings to stderr).
pub(super) fn project_graphs(root: &Path, quiet: bool) -> Result<Vec<Graph>> {
    let paths = lockfile::discover(root)
        .with_context(|| format!("cannot look for lockfiles in `{}`", root.display()))?;
    let arguments = crate::cli::LockfileArgs {
        path: root.to_path_buf(),
        class: RequirementsClassArgs::default(),
        allow_outside_includes: false,
    };
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    super::load_graphs(&arguments, false, quiet)
}

/// Scan `root`, map, and evaluate PA601–PA606: the findings (levels not yet applied) and the
/// analysis they came from.
pub fn analyse_project(
    root: &Path,
    graphs: &[Graph],
    config: &Config,
    mapping: &UsageMappingArgs,
    cache: &Cache,
    fetch: &FetchSettings,
    offline: bool,
) -> Result<(Vec<Finding>, Usage)> {
    let pyproject_path: PathBuf = root.join("pyproject.toml");
    let pyproject = if pyproject_path.is_file() {
        Some(pyproject::read(&pyproject_path)?)
    } else {
        None
    };
    let usage_config = &config.usage;
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
        venv: mapping.venv.clone(),
        wheels: (!mapping.no_wheels).then(|| WheelSettings {
            offline,
            fetch: fetch.clone(),
            now: super::lock::now(),
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
