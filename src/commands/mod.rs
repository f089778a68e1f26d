//! One module per subcommand; the only place that wires the stages together.

pub mod cache;
pub mod completions;
pub mod db;
pub mod explain;
pub mod fix;
pub mod graph;
pub mod init;
pub mod lock;
pub mod org;
pub mod org_merge;
pub mod review;
pub mod settings;
pub mod usage;
pub mod why;

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{LockfileArgs, RequirementsClass};
use crate::graph::{Graph, GroupSelection};
use crate::lockfile::{self, Lockfile, normalize_extra};
use crate::time::Timestamp;

/// What every command of one invocation shares: `--quiet`, the one clock, and when the run
/// began (the network deadline counts from it).
#[derive(Debug, Clone, Copy)]
pub struct Invocation {
    pub quiet: bool,
    pub now: Timestamp,
    pub started: std::time::Instant,
}

impl Invocation {
    /// The invocation's context: the clock is read once, here (`PYAUDIT_NOW` or the system).
    pub fn new(quiet: bool) -> Self {
        let (now, warning) = crate::time::resolve_now();
        if let Some(warning) = warning {
            warn(warning);
        }
        Self {
            quiet,
            now,
            started: std::time::Instant::now(),
        }
    }
}

/// A rendered report to `--output FILE`, or to stdout (returned, for `main` to write).
pub fn deliver(rendered: String, output: Option<&Path>) -> Result<String> {
    match output {
        Some(path) => {
            std::fs::write(path, rendered)
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            Ok(String::new())
        }
        None => Ok(rendered),
    }
}

/// What a command ends with; `main` turns it into the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command did its job and found nothing to complain about.
    Clean,
    /// The command did its job and found something (a finding, a package that is not there).
    Findings,
    /// `pyaudit review`: nothing to deny, but something a person must look at (exit 3).
    NeedsReview,
    /// Nothing definite to report, but the audit could not be completed: a package in scope
    /// could not be checked (exit 2, like an error: retrying or fixing the data source may help,
    /// the lock may not).
    Incomplete,
}

impl Outcome {
    /// The outcome of lock audits: a definite finding wins over an incomplete audit, so a CI
    /// that tolerates "could not check" (exit 2) never lets a known vulnerability through.
    pub fn of_reports<'a>(
        reports: impl IntoIterator<Item = &'a crate::policy::LockReport>,
    ) -> Self {
        let (mut denied, mut incomplete) = (false, false);
        for report in reports {
            denied |= report.denied_for_cause();
            incomplete |= report.incomplete();
        }
        if denied {
            Self::Findings
        } else if incomplete {
            Self::Incomplete
        } else {
            Self::Clean
        }
    }
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
                "no lockfile in `{}`: expected uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock.toml or requirements*.txt; pass a file path to read another name",
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

/// Text quoted from lockfiles, advisories, servers or the command line, made fit for stderr:
/// URLs lose their credentials and control characters become visible escapes.
pub fn for_stderr(text: &str) -> String {
    crate::sanitize::terminal_safe(&crate::redact::redact_text(text)).into_owned()
}

/// `warning: …` on stderr, through [`for_stderr`]: warnings quote data pyaudit does not control.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("warning: {}", for_stderr(&message.to_string()));
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
            warn(warning);
        }
    }
    Ok(Graph::build(lockfile))
}

/// The environment variable that bounds how long a command waits for a cache another pyaudit
/// holds (`20s`, `500ms`, `2m`, or plain seconds).
pub const CACHE_WAIT_ENV: &str = "PYAUDIT_CACHE_WAIT";

/// Open the cache at `--cache-dir` / `PYAUDIT_CACHE_DIR` / the platform directory, for a command
/// that can do its job without one (an audit: only slower). A cache that cannot be opened
/// (unreadable, a path inside a file) degrades to memory with a warning. A cache another pyaudit
/// holds past the wait bound is an error: the holder may have just stored what this run needs
/// (the local advisory database), and an empty stand-in would say it is not there.
pub fn open_cache(cache_dir: Option<&Path>, quiet: bool) -> Result<pyaudit_cache::Cache> {
    let options = cache_options(cache_dir, quiet)?;
    let opened = pyaudit_cache::Cache::open_or_memory(&options).map_err(cache_open_error)?;
    Ok(finish_open(opened, quiet))
}

/// [`open_cache`] without waiting for another pyaudit that holds the cache: `None` then. For a
/// caller that opens it beside other work, and waits (saying so) only once that work succeeded:
/// a bad lockfile is reported at once, not after the wait.
pub fn open_cache_if_free(
    cache_dir: Option<&Path>,
    quiet: bool,
) -> Result<Option<pyaudit_cache::Cache>> {
    let options = cache_options(cache_dir, quiet)?.lock_wait(std::time::Duration::ZERO);
    match pyaudit_cache::Cache::open_or_memory(&options) {
        Ok(opened) => Ok(Some(finish_open(opened, quiet))),
        Err(pyaudit_cache::CacheError::Locked { .. }) => Ok(None),
        Err(error) => Err(cache_open_error(error)),
    }
}

/// Open the cache for a command whose job is the cache's contents (`db import`, `db status`,
/// `cache stats`): any failure to open it is an error, never an empty in-memory stand-in that
/// would report success for what was not written, or no database where there is one.
pub fn open_cache_strict(cache_dir: Option<&Path>, quiet: bool) -> Result<pyaudit_cache::Cache> {
    let options = cache_options(cache_dir, quiet)?;
    let opened = pyaudit_cache::Cache::open(&options).map_err(cache_open_error)?;
    Ok(finish_open(opened, quiet))
}

/// The open options every command uses: the resolved directory, the wait bound, and notices
/// (waiting for a held cache, damage found mid-run) printed as warnings unless `--quiet`.
pub fn cache_options(cache_dir: Option<&Path>, quiet: bool) -> Result<pyaudit_cache::OpenOptions> {
    // clap already read PYAUDIT_CACHE_DIR into `cache_dir`; the environment is not read twice.
    let directory = pyaudit_cache::resolve_cache_dir(cache_dir, None)?;
    let mut options = pyaudit_cache::OpenOptions::new(directory);
    if let Some(value) = std::env::var_os(CACHE_WAIT_ENV) {
        let value = value.to_string_lossy();
        let wait = parse_wait(&value).with_context(|| {
            format!(
                "invalid {CACHE_WAIT_ENV} `{value}`: expected e.g. `20s`, `500ms`, `2m` or `30`"
            )
        })?;
        options = options.lock_wait(wait);
    }
    if !quiet {
        options = options.notices(pyaudit_cache::Notices::new(|message| {
            eprintln!("warning: {message}");
        }));
    }
    Ok(options)
}

fn finish_open(opened: pyaudit_cache::Opened, quiet: bool) -> pyaudit_cache::Cache {
    if !quiet {
        for warning in &opened.warnings {
            warn(warning);
        }
    }
    opened.cache
}

pub(crate) fn cache_open_error(error: pyaudit_cache::CacheError) -> anyhow::Error {
    match error {
        pyaudit_cache::CacheError::Locked { .. } => anyhow::Error::new(error).context(format!(
            "cannot use the cache while another pyaudit holds it: run again when that one has \
             finished, wait longer with {CACHE_WAIT_ENV}, or pass another `--cache-dir`"
        )),
        other => anyhow::Error::new(other),
    }
}

/// `20s`, `500ms`, `2m` or a plain number of seconds; at most an hour, so a typo cannot turn a
/// bounded wait into a hang.
fn parse_wait(value: &str) -> Option<std::time::Duration> {
    let value = value.trim();
    let (number, unit) = match value.find(|character: char| !character.is_ascii_digit()) {
        Some(split) => value.split_at(split),
        None => (value, "s"),
    };
    let number: u64 = number.parse().ok()?;
    let millis = match unit.trim() {
        "ms" => number,
        "s" => number.checked_mul(1_000)?,
        "m" => number.checked_mul(60_000)?,
        _ => return None,
    };
    (millis <= 3_600_000).then(|| std::time::Duration::from_millis(millis))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_wait;

    #[test]
    fn cache_wait_values() {
        assert_eq!(parse_wait("20s"), Some(Duration::from_secs(20)));
        assert_eq!(parse_wait("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_wait("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_wait("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_wait("0"), Some(Duration::ZERO));
        for bad in [
            "",
            "s",
            "1h",
            "-1s",
            "1.5s",
            "2 hours",
            "99999999999999999999",
        ] {
            assert_eq!(parse_wait(bad), None, "{bad}");
        }
        assert_eq!(parse_wait("61m"), None, "more than an hour");
    }
}
