//! One module per subcommand; the only place that wires the stages together.

pub mod graph;
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
