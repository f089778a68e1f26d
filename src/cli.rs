//! Command-line interface: the raw arguments clap parses. Validation and wiring live in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// pyaudit audits a Python project's lockfile: every package it installs, where it comes from and
/// what it brings in.
#[derive(Debug, Parser)]
#[command(name = "pyaudit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors (no warnings, no progress).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the resolved dependency graph of a lockfile, with each package's class.
    ///
    /// Reads uv.lock, poetry.lock and requirements files (pip syntax, pip-compile `# via` comments).
    /// Each package is classed `prod` (installed by the roots' main dependencies), `optional`
    /// (only through the roots' own extras), `dev` (only through dependency groups or dev
    /// requirements files) or `unreachable` (no root installs it: a stale lock). Markers are kept
    /// on the edges and not evaluated, so a Windows-only dependency counts.
    Graph(GraphArgs),
    /// Explain why a package is in the lock: every path from a root to it, shortest first.
    Why(WhyArgs),
}

/// Where to find the lockfile(s), shared by every command that reads one.
#[derive(Debug, Args)]
pub struct LockfileArgs {
    /// A lockfile (uv.lock, poetry.lock, requirements*.txt) or a directory holding them.
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,

    /// Class the packages of requirements files as `prod` or `dev` instead of guessing from the file
    /// name (`requirements-dev.txt`, `requirements/tests.txt`, … are dev by default).
    #[arg(long, value_enum, default_value_t = RequirementsClass::Auto)]
    pub requirements_class: RequirementsClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequirementsClass {
    /// Decide from the file name.
    Auto,
    Prod,
    Dev,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Tree)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// An indented tree from each root, for people.
    Tree,
    /// A stable JSON document (see docs/graph-json.md), for programs.
    Json,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The package to explain (any spelling; names are normalized). `name==version` picks one of
    /// several locked versions.
    pub package: String,

    #[command(flatten)]
    pub lockfile: LockfileArgs,

    /// Show at most this many paths per lockfile.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = WhyFormat::Text)]
    pub format: WhyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhyFormat {
    Text,
    Json,
}
