//! `pyaudit lock`: read the lockfiles, audit them under the project's config, render the report.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use super::settings::{enrich_settings, policy_settings};
use super::{
    Invocation, Outcome, check_groups, deliver, group_selection, load_graphs, open_cache,
    open_cache_if_free,
};
use crate::audit::usage::UsageRequest;
use crate::audit::{self, Audit, PlannedLockfile, Policy};
use crate::cli::{LockArgs, LockFormat};
use crate::config::{self, Config};
use crate::enrich::popular::{self, PopularNames};
use crate::findings::{Finding, TYPOSQUAT};
use crate::graph::Graph;
use crate::policy;
use crate::progress::Progress;
use crate::report;

pub fn run(args: &LockArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let quiet = context.quiet;
    // The config is read first: it may allow includes outside the project.
    let config = config::discover(args.config.as_deref(), &lockfile_directory(args))?;
    // The cache and the lockfiles do not depend on each other, and both take milliseconds
    // (sled's files and threads; a large lock's TOML): the cache opens while they are read.
    // A lockfile error is still the one reported when both fail, and at once: a cache another
    // pyaudit holds is waited for only after the lockfiles loaded.
    let cache_dir = args.sources.cache_dir.as_deref();
    let (loaded, opened) = std::thread::scope(|scope| {
        let opened = scope.spawn(|| open_cache_if_free(cache_dir, quiet));
        let loaded = match &args.installed {
            Some(directory) => {
                installed_graphs(directory, args, config.input.allow_outside_includes, quiet)
            }
            None => load_graphs(&args.lockfile, config.input.allow_outside_includes, quiet)
                .map(|graphs| (graphs, Vec::new())),
        };
        let opened = opened
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, opened)
    });
    let (graphs, installed_findings) = loaded?;
    let known: Vec<String> = graphs
        .iter()
        .flat_map(|graph| graph.group_names())
        .collect();
    check_groups(&args.scope.groups, &known, "the lockfile(s)")?;
    let groups = group_selection(&args.scope.groups);
    let plans = graphs
        .iter()
        .map(|graph| PlannedLockfile {
            plan: policy::plan(graph, args.scope.only_prod, &groups),
            policy: 0,
        })
        .collect();

    let cache = match opened? {
        Some(cache) => cache,
        None => open_cache(cache_dir, quiet)?,
    };
    let settings = enrich_settings(&args.sources, &config, context);
    let policy = policy_settings(
        config.clone(),
        &args.rules,
        args.allow_unchecked,
        args.sources.offline,
        context,
    )?;
    let popular = if policy.enabled(&TYPOSQUAT) {
        popular::load(&cache, &config.typosquat.popular)?
    } else {
        PopularNames::default()
    };
    let audit = Audit {
        graphs,
        plans,
        policies: vec![Arc::new(Policy {
            settings: policy,
            popular: Arc::new(popular),
        })],
        run_policy: 0,
        usage: usage_request(args, &config),
        input_findings: installed_findings,
        fetch_metadata: false,
        licenses_in_report: args.format == LockFormat::Cyclonedx,
        keep_graphs: true,
        remediate: true,
        threads: 1,
    };
    let run = audit::run(audit, &cache, &settings, &Progress::hidden())?;
    if !quiet {
        let usage_warnings = run.usage.iter().flat_map(|usage| &usage.warnings);
        for warning in run.data.warnings.iter().chain(usage_warnings) {
            super::warn(warning);
        }
    }

    let options = report::RenderOptions {
        now: context.now,
        colour: report::text::use_colour(args.output.is_none()),
    };
    let rendered = report::render_run(args.format, &run, &options);
    let outcome = Outcome::of_reports(report::lock_reports(&run).iter());
    Ok((deliver(rendered, args.output.as_deref())?, outcome))
}

/// `--installed DIR`: the environment's graph, and with `--against LOCK` what the lock does not
/// explain (PA701–PA703, at their default levels).
fn installed_graphs(
    directory: &std::path::Path,
    args: &LockArgs,
    allow_outside: bool,
    quiet: bool,
) -> Result<(Vec<Graph>, Vec<Finding>)> {
    let mut environment = crate::lockfile::installed::read(directory)?;
    environment.redact_credentials();
    if !quiet {
        for warning in &environment.warnings {
            super::warn(warning);
        }
    }
    let graph = Graph::build(environment);
    let Some(lock_path) = &args.against else {
        return Ok((vec![graph], Vec::new()));
    };
    let options = crate::lockfile::ReadOptions {
        project_root: None,
        allow_outside: allow_outside || args.lockfile.allow_outside_includes,
    };
    let lock = super::read_lockfile(lock_path, args.lockfile.class.requirements_class, &options)?;
    let found = policy::installed::findings(&graph, &Graph::build(lock));
    Ok((vec![graph], found))
}

/// Where the config is looked for: the directory pointed at, or the lockfile's own.
fn lockfile_directory(args: &LockArgs) -> PathBuf {
    let path = &args.lockfile.path;
    if path.is_dir() {
        return path.clone();
    }
    path.parent()
        .map(std::path::Path::to_path_buf)
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| ".".into())
}

/// The usage rules run when the project's sources are in view: `--project DIR`, or the
/// lockfile's directory when it holds a `pyproject.toml` (and, checked later, Python sources).
fn usage_request(args: &LockArgs, config: &Config) -> Option<UsageRequest> {
    if args.no_usage {
        return None;
    }
    let directory = match &args.project {
        Some(project) => project.clone(),
        None => {
            let directory = lockfile_directory(args);
            if !directory.join("pyproject.toml").is_file() {
                return None;
            }
            directory
        }
    };
    Some(UsageRequest {
        directory,
        config: config.usage.clone(),
        venv: args.usage_mapping.venv.clone(),
        wheels: !args.usage_mapping.no_wheels,
        required: args.project.is_some(),
    })
}
