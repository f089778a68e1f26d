//! The one way the tests run the `pyaudit` binary: hermetic, so nothing from the environment the
//! tests run in (a developer's `PYAUDIT_*` variables, their cache, their clock, a proxy, a
//! terminal's colour settings) changes what a test sees, and nothing a test runs can leave the
//! machine or write outside its temporary directories.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// Every variable pyaudit reads (`PYAUDIT_*`, from `src/cli.rs` and the clock); the builder also
/// removes any other `PYAUDIT_*` variable set in the environment the tests run in.
const PYAUDIT_VARIABLES: &[&str] = &[
    "PYAUDIT_CACHE_DIR",
    "PYAUDIT_CACHE_WAIT",
    "PYAUDIT_DEADLINE",
    "PYAUDIT_NOW",
    "PYAUDIT_OSV_DB_URL",
    "PYAUDIT_OSV_URL",
    "PYAUDIT_PYPI_URL",
    "PYAUDIT_SHARD",
    "PYAUDIT_TIMEOUT",
];

/// The options of a hermetic run; [`Hermetic::command`] builds it.
#[derive(Debug, Clone)]
pub struct Hermetic<'a> {
    cache: Option<&'a Path>,
    now: Option<&'a str>,
    timeout: Duration,
}

impl<'a> Hermetic<'a> {
    /// The cache in `cache` (`PYAUDIT_CACHE_DIR`), the system clock, a 120 s time limit.
    pub fn new(cache: &'a Path) -> Self {
        Hermetic {
            cache: Some(cache),
            now: None,
            timeout: Duration::from_secs(120),
        }
    }

    /// No cache directory given: for commands that never open one (`--help`, `graph`,
    /// `completions`), or tests of what happens without one. `HOME` and `XDG_CACHE_HOME` still
    /// point at a directory that does not exist, never the developer's own.
    pub fn without_cache() -> Self {
        Hermetic {
            cache: None,
            now: None,
            timeout: Duration::from_secs(120),
        }
    }

    /// Pins the run's clock (`PYAUDIT_NOW`, `YYYY-MM-DD`).
    pub fn now(mut self, now: &'a str) -> Self {
        self.now = Some(now);
        self
    }

    /// A run that takes longer than `timeout` is killed and fails the test (a hang must never
    /// hold the suite).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn command(&self) -> Command {
        let mut command = Command::cargo_bin("pyaudit").unwrap();
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PYAUDIT_") {
                command.env_remove(&name);
            }
        }
        for name in PYAUDIT_VARIABLES {
            command.env_remove(name);
        }
        // Where a cache would go without `PYAUDIT_CACHE_DIR`: a path that does not exist (inside
        // the test's cache when there is one), so a run never touches the real home.
        let home = match self.cache {
            Some(cache) => cache.join("no-home"),
            None => std::env::temp_dir().join("pyaudit-tests-no-home"),
        };
        command
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("LOCALAPPDATA", &home)
            .env("NO_COLOR", "1")
            .env_remove("FORCE_COLOR")
            // Anything that tries to leave the machine hits a closed port.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("ALL_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .timeout(self.timeout);
        if let Some(cache) = self.cache {
            command.env("PYAUDIT_CACHE_DIR", cache);
        }
        if let Some(now) = self.now {
            command.env("PYAUDIT_NOW", now);
        }
        command
    }
}

/// `pyaudit` with the cache in `cache` and the system clock: [`Hermetic::new`].
pub fn pyaudit(cache: &Path) -> Command {
    Hermetic::new(cache).command()
}

/// `pyaudit` with the cache in `cache` and the clock pinned at `now`.
pub fn pyaudit_at(cache: &Path, now: &str) -> Command {
    Hermetic::new(cache).now(now).command()
}
