//! One module per subcommand; the only place that wires the stages together.

pub mod cache;
pub mod completions;
pub mod db;
pub mod explain;
pub mod graph;
pub mod init;
pub mod lock;
pub mod org;
pub mod review;
pub mod usage;
pub mod why;

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{LockfileArgs, RequirementsClass, RuleArgs};
use crate::config::Config;
use crate::findings::{self, Level};
use crate::graph::{Graph, GroupSelection};
use crate::lockfile::{self, Lockfile, normalize_extra};
use crate::policy::PolicySettings;

/// What a command ends with; `main` turns it into the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command did its job and found nothing to complain about.
    Clean,
    /// The command did its job and found something (a finding, a package that is not there).
    Findings,
    /// `pyaudit review`: nothing to deny, but something a person must look at (exit 3).
    NeedsReview,
}

/// Read every lockfile the user pointed at and build its graph. Warnings go to stderr.
/// `allow_outside` is the config's `[input] allow-outside-includes` (the flag also allows).
pub fn load_graphs(args: &LockfileArgs, allow_outside: bool, quiet: bool) -> Result<Vec<Graph>> {
    let options = lockfile::ReadOptions {
        // The directory pointed at bounds every file read; a single lockfile is bounded by its
        // own directory.
        project_root: args.path.is_dir().then(|| args.path.clone()),
        allow_outside: allow_outside || args.allow_outside_includes,
    };
    let paths = if args.path.is_dir() {
        let found = lockfile::discover(&args.path)
            .with_context(|| format!("cannot look for lockfiles in `{}`", args.path.display()))?;
        if found.is_empty() {
            bail!(
                "no lockfile in `{}`: expected uv.lock, poetry.lock or requirements*.txt; pass a file path to read another name",
                args.path.display()
            );
        }
        found
    } else {
        vec![args.path.clone()]
    };
    paths
        .iter()
        .map(|path| load_graph(path, args.class.requirements_class, &options, quiet))
        .collect()
}

/// Read a lockfile, with `--requirements-class` applied to its requirements files.
pub fn read_lockfile(
    path: &Path,
    requirements_class: RequirementsClass,
    options: &lockfile::ReadOptions,
) -> Result<Lockfile, lockfile::LockfileError> {
    let mut lockfile: Lockfile = lockfile::read_lockfile_with(path, options)?;
    match requirements_class {
        RequirementsClass::Auto => {}
        RequirementsClass::Prod => lockfile.set_requirements_class(false),
        RequirementsClass::Dev => lockfile.set_requirements_class(true),
    }
    Ok(lockfile)
}

fn load_graph(
    path: &Path,
    requirements_class: RequirementsClass,
    options: &lockfile::ReadOptions,
    quiet: bool,
) -> Result<Graph> {
    let lockfile = read_lockfile(path, requirements_class, options)?;
    if !quiet {
        for warning in &lockfile.warnings {
            eprintln!("warning: {warning}");
        }
    }
    Ok(Graph::build(lockfile))
}

/// Open the cache at `--cache-dir` / `PYAUDIT_CACHE_DIR` / the platform directory. A cache that
/// cannot be opened (held by another pyaudit, unreadable) degrades to memory with a warning; only a
/// missing cache location is an error.
pub fn open_cache(cache_dir: Option<&Path>, quiet: bool) -> Result<pyaudit_cache::Cache> {
    // clap already read PYAUDIT_CACHE_DIR into `cache_dir`; the environment is not read twice.
    let directory = pyaudit_cache::resolve_cache_dir(cache_dir, None)?;
    let opened = pyaudit_cache::Cache::open_or_memory(&pyaudit_cache::OpenOptions::new(directory));
    if !quiet {
        for warning in &opened.warnings {
            eprintln!("warning: {warning}");
        }
    }
    Ok(opened.cache)
}

/// `--groups` as a selection (names normalized); `GroupSelection::All` when none are given.
pub fn group_selection(groups: &[String]) -> GroupSelection {
    if groups.is_empty() {
        GroupSelection::All
    } else {
        GroupSelection::Only(groups.iter().map(|group| normalize_extra(group)).collect())
    }
}

/// Every `--groups` name must be a group some lockfile defines (`known`, normalized): a typo is
/// an error that lists the groups there are, not a silently narrower audit. `place` says where
/// they were looked for ("the lockfile(s)", "any repository's lockfile").
pub fn check_groups(groups: &[String], known: &[String], place: &str) -> Result<()> {
    for group in groups {
        if !known.contains(&normalize_extra(group)) {
            let mut listed = known.to_vec();
            listed.sort();
            listed.dedup();
            bail!(
                "no dependency group `{group}` in {place}; groups: {}",
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            );
        }
    }
    Ok(())
}

/// `--deny`, `--warn`, `--allow` over a config's levels. An unknown rule is an error.
pub fn apply_rule_args(
    levels: &mut std::collections::BTreeMap<&'static str, Level>,
    rules: &RuleArgs,
) -> Result<()> {
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
/// the one place `lock`, `org` and `review` turn arguments into settings.
pub fn policy_settings(
    config: Config,
    rules: &RuleArgs,
    allow_unchecked: bool,
    offline: bool,
    now_millis: i64,
) -> Result<PolicySettings> {
    let mut policy = PolicySettings::from_config(config, now_millis);
    apply_rule_args(&mut policy.levels, rules)?;
    policy.allow_unchecked = allow_unchecked;
    policy.offline = offline;
    Ok(policy)
}
