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

use crate::cli::{LockfileArgs, RequirementsClass};
use crate::graph::Graph;
use crate::lockfile::{self, Lockfile};

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
pub fn load_graphs(args: &LockfileArgs, quiet: bool) -> Result<Vec<Graph>> {
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
        .map(|path| load_graph(path, args.requirements_class, quiet))
        .collect()
}

fn load_graph(path: &Path, requirements_class: RequirementsClass, quiet: bool) -> Result<Graph> {
    let mut lockfile: Lockfile = lockfile::read_lockfile(path)?;
    match requirements_class {
        RequirementsClass::Auto => {}
        RequirementsClass::Prod => lockfile.set_requirements_class(false),
        RequirementsClass::Dev => lockfile.set_requirements_class(true),
    }
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
