//! `pyaudit usage [DIR]`: the usage rules alone — scan the project's imports, map distributions
//! to modules, report unused, missing, transitive and dev-leaking dependencies (PA601–PA606).
//! The analysis is the audit's usage stage, which `pyaudit lock` runs too when it can see the
//! project's sources.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::settings::{FetchOverrides, fetch_settings, policy_settings};
use super::{Invocation, Outcome, deliver, open_cache};
use crate::audit::usage::{self, UsageRequest};
use crate::audit::{AuditedLockfile, RunReport};
use crate::cli::{LockFormat, RequirementsClassArgs, UsageArgs};
use crate::config;
use crate::enrich::VulnerabilityData;
use crate::graph::Graph;
use crate::lockfile::{self, LockfileKind};
use crate::policy::{self, LockReport};
use crate::report;
use crate::usage::Usage;

pub fn run(args: &UsageArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let root = &args.path;
    if !root.is_dir() {
        bail!(
            "`{}` is not a directory: `pyaudit usage` takes the project's directory",
            root.display()
        );
    }
    if args.format == LockFormat::Cyclonedx {
        bail!("`--format cyclonedx` is an SBOM of a lock: use `pyaudit lock`");
    }
    let graphs = project_graphs(root, context.quiet)?;
    let config = config::discover(args.config.as_deref(), root)?;
    let cache = open_cache(args.cache_dir.as_deref(), context.quiet)?;
    // The network settings of `[fetch]` apply here as in `lock`.
    let overrides = FetchOverrides {
        osv_url: None,
        pypi_url: args.pypi_url.as_deref(),
        timeout: None,
        deadline: None,
        allow_cross_host_redirects: false,
    };
    let fetch = fetch_settings(&overrides, &config, context.started);
    let request = UsageRequest {
        directory: root.clone(),
        config: config.usage.clone(),
        venv: args.mapping.venv.clone(),
        wheels: !args.mapping.no_wheels,
        required: true,
    };
    let (findings, usage) =
        usage::analyse_project(&request, &graphs, &cache, &fetch, args.offline, context.now)?;
    if usage.files == 0 {
        bail!(
            "no Python sources (.py, .pyi, .ipynb) under `{}`: nothing to check the declarations against",
            root.display()
        );
    }
    // The same rule pass as every other rule family: levels, ignores, order.
    let policy = policy_settings(config, &args.rules, false, args.offline, context)?;
    let (findings, ignored) = policy::settle(findings, &policy);
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
        // The analysis' warnings are part of the report (every format), not repeated on stderr.
        warnings: usage.warnings.clone(),
    };
    let outcome = Outcome::of_reports([&report]);
    let rendered = match args.format {
        LockFormat::Text => render_text(&usage, std::slice::from_ref(&report)),
        format => {
            let run = RunReport {
                lockfiles: vec![AuditedLockfile {
                    report,
                    policy: 0,
                    packages: Vec::new(),
                }],
                graphs: Vec::new(),
                plans: Vec::new(),
                run_findings: Vec::new(),
                run_ignored: Vec::new(),
                targets: Vec::new(),
                data: VulnerabilityData::default(),
                metadata: None,
                usage: None,
            };
            let options = report::RenderOptions {
                now: context.now,
                colour: false,
            };
            report::render_run(format, &run, &options)
        }
    };
    Ok((deliver(rendered, args.output.as_deref())?, outcome))
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
