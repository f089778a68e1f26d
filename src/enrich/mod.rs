//! Enrichment: what the outside world knows about the locked packages — vulnerabilities and
//! malicious-package reports from OSV, a local advisory database and the organisation's own
//! records — collected through the cache (`pyaudit-cache`) and the fetch layer (`crate::fetch`).
//!
//! This is the stage between the graph and the policy: it takes plain package keys and returns
//! plain data. Per-package failures are data too ([`VulnerabilityStatus::Unchecked`]), never
//! dropped: a package no source could answer for must not look clean.

pub mod database;
pub mod export;
pub mod gather;
pub mod history;
pub mod license;
pub mod metadata;
pub mod popular;
pub mod progress;
mod project_answers;
mod records;
pub mod releases;
pub mod verdict;
pub mod vulnerabilities;
mod warnings;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use pep440_rs::Version;
use pyaudit_advisories::Vulnerability;
use pyaudit_cache::Timestamp;
use serde::Serialize;

use crate::fetch::FetchSettings;

pub use gather::{FollowUp, GatherRequest, Gathered, gather};

/// One pinned registry package to audit: PEP 503 name and exact version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PackageKey {
    pub name: String,
    pub version: Version,
}

impl PackageKey {
    pub fn new(name: impl Into<String>, version: Version) -> Self {
        Self {
            name: name.into(),
            version,
        }
    }
}

impl std::fmt::Display for PackageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}=={}",
            self.name,
            crate::lockfile::version_text(&self.version)
        )
    }
}

/// How the vulnerability stage may get its data.
#[derive(Debug, Clone)]
pub struct VulnerabilitySettings {
    /// Use only the cache (even stale entries) and local databases; no request is made.
    pub offline: bool,
    /// Where and how to reach OSV (and later PyPI).
    pub fetch: FetchSettings,
    /// Folders of an organisation's own OSV records (JSON or YAML), an extra source (`--advisories`).
    /// Partial: they add findings but never make a package checked.
    pub extra_advisories: Vec<PathBuf>,
    /// Folders that are complete copies of an advisory source (`--complete-advisories`, `[advisories]
    /// complete`): a checkout of the PyPA advisory database, an unpacked OSV export. Fresh
    /// enough, they answer for every package on their own.
    pub complete_advisories: Vec<PathBuf>,
    /// With `--offline`: the oldest cached answer or complete copy that may answer.
    pub max_age: Duration,
    /// When OSV fails: the oldest cached answer or complete copy that may stand in for it.
    pub fallback_max_age: Duration,
    /// How long an OSV answer for one `name==version` is trusted before it is asked again.
    pub query_ttl: Duration,
    /// Show a progress bar on stderr (the caller decides: a terminal and not `--quiet`).
    pub progress: bool,
    /// The clock, passed in so runs and tests are deterministic.
    pub now: Timestamp,
}

/// What is known about one package's vulnerabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum VulnerabilityStatus {
    /// A source that can answer for every package did, fresh enough (see [`verdict`]); the list
    /// may be empty (no known vulnerabilities).
    Checked { vulnerabilities: Vec<Vulnerability> },
    /// No source that can answer for every package did: it must be reported as unchecked, not
    /// clean. `vulnerabilities` are what partial sources still found; they are reported too.
    Unchecked {
        reason: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        vulnerabilities: Vec<Vulnerability>,
    },
}

/// Where the data of a run came from, for the report header and `--offline` staleness notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataSource {
    /// `osv-api`, `local-database`, `advisories-dir`, `cache`, `pypi`.
    pub kind: String,
    /// URL or path.
    pub location: String,
    /// How recent the data is, where known (unix milliseconds): when an answer was fetched, or
    /// the newest `modified` of a copy's records — never when a copy was imported.
    pub as_of: Option<i64>,
    /// Advisories or answers this source contributed.
    pub entries: usize,
    /// For copies of advisory sources: `complete` (may answer for any package when fresh) or
    /// `partial` (only adds findings). `None` for services and caches of their answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<SourceCoverage>,
}

/// Whether a copy of advisory data can answer for packages it does not mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceCoverage {
    Complete,
    Partial,
}

impl SourceCoverage {
    pub fn from_complete(complete: bool) -> Self {
        if complete {
            Self::Complete
        } else {
            Self::Partial
        }
    }
}

/// Adds `source` to `sources`, folded into an entry of the same kind and location when there is
/// one: the cache that answered for advisories and the cache that answered for PyPI metadata are
/// one directory, listed once, with their entries added up and the older `as_of` kept.
pub fn add_source(sources: &mut Vec<DataSource>, source: DataSource) {
    match sources
        .iter_mut()
        .find(|known| known.kind == source.kind && known.location == source.location)
    {
        Some(known) => {
            known.entries += source.entries;
            known.as_of = match (known.as_of, source.as_of) {
                (Some(left), Some(right)) => Some(left.min(right)),
                (left, right) => left.or(right),
            };
        }
        None => sources.push(source),
    }
}

/// Everything the vulnerability stage learned, per package.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VulnerabilityData {
    pub packages: BTreeMap<PackageKey, VulnerabilityStatus>,
    pub sources: Vec<DataSource>,
    /// The age of the oldest data used (cached answers served offline, the local database).
    pub oldest_data: Option<i64>,
    /// The run's clock when the data was judged (unix milliseconds): reports measure every
    /// source's age against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audited_at: Option<i64>,
    /// Things the user should know (stale data, a source that failed for some packages).
    pub warnings: Vec<String>,
    /// HTTP requests made.
    pub requests: u64,
}

/// Failures that stop the whole stage (as opposed to per-package failures).
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// `--offline` with neither a local database nor cached answers for any package.
    #[error(
        "no advisory data for an offline audit: run `pyaudit db import PATH` (a directory of OSV \
         records or an OSV all.zip) or `pyaudit db sync` first, or run without `--offline`"
    )]
    NoOfflineData,
    #[error("cannot read advisories from `{}`", path.display())]
    Advisories {
        path: PathBuf,
        #[source]
        source: pyaudit_advisories::DatabaseError,
    },
    #[error(transparent)]
    Cache(#[from] pyaudit_cache::CacheError),
    /// The local advisory database in the cache could not be read.
    #[error(transparent)]
    LocalDatabase(#[from] database::LocalDatabaseError),
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot start the network client")]
    Fetch(#[source] crate::fetch::FetchError),
    /// A file the user named could not be used; the message names it.
    #[error("{0}")]
    Input(String),
}

/// The network side of one run: one runtime and one client, created on first need so a warm run
/// pays for neither.
pub(crate) struct Network {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) fetcher: crate::fetch::Fetcher,
}

impl Network {
    pub(crate) fn start(settings: &FetchSettings) -> Result<Self, EnrichError> {
        // Two workers: answers are parsed and trimmed on the runtime as they arrive, and on one
        // thread that delayed sending the rest of a burst (measured at 50 ms latency, 100
        // packages: the last Simple API answer came 45 ms later on one thread than on two).
        let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get().min(2));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .map_err(EnrichError::Runtime)?;
        // The client is built inside the runtime so its connection pool belongs to it.
        let fetcher = {
            let _guard = runtime.enter();
            crate::fetch::Fetcher::new(settings.clone()).map_err(EnrichError::Fetch)?
        };
        Ok(Self { runtime, fetcher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(kind: &str, location: &str, as_of: Option<i64>, entries: usize) -> DataSource {
        DataSource {
            kind: kind.to_owned(),
            location: location.to_owned(),
            as_of,
            entries,
            coverage: None,
        }
    }

    #[test]
    fn the_same_source_is_listed_once() {
        let mut sources = vec![
            source("cache", "/c", Some(20), 3),
            source("osv-api", "u", None, 1),
        ];
        add_source(&mut sources, source("cache", "/c", Some(10), 2));
        add_source(&mut sources, source("cache", "/other", Some(5), 1));
        add_source(&mut sources, source("osv-api", "u", Some(7), 1));
        assert_eq!(
            sources,
            [
                source("cache", "/c", Some(10), 5),
                source("osv-api", "u", Some(7), 2),
                source("cache", "/other", Some(5), 1),
            ]
        );
    }
}
