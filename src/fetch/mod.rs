//! Networked enrichment: the only async code in pyaudit. One file per source — the OSV API
//! (`osv`), the PyPI JSON API and Simple API (PEP 691/700/792, `pypi`) — over one shared HTTP
//! layer (`http`: connection reuse, retries with backoff, `Retry-After`, timeouts, a run deadline,
//! body size limits).
//!
//! Results are plain data. Every query a caller hands in gets exactly one answer: a value or a
//! [`SourceError`] naming the package and the URL. A failure of one package never aborts the run
//! and never turns into "no vulnerabilities" (fail closed).
//!
//! Service URLs come from [`FetchSettings`], so tests (and the benchmark) point every source at a
//! server on 127.0.0.1.

pub mod filename;
pub mod http;
pub mod limit;
pub mod links;
pub mod osv;
pub mod pypi;

use std::future::Future;
use std::time::{Duration, Instant};

pub use http::{FetchError, FetchStats, Fetcher};

/// The default OSV API base URL.
pub const DEFAULT_OSV_URL: &str = "https://api.osv.dev";
/// The default PyPI JSON API base URL (`/pypi/<name>/json` is appended).
pub const DEFAULT_PYPI_URL: &str = "https://pypi.org";

/// One attempt of one request, connect to last byte. OSV answers a 1,000-package querybatch and
/// PyPI a JSON page in well under 2 s; 10 s leaves room for a slow runner or a proxy while a
/// stalled server costs at most 4 attempts × 10 s before the run's deadline ends it anyway.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole run's network time. A CI job that waits a minute on a dead service has waited
/// long enough: what is not answered by then is reported as unchecked (PA001), never clean.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured: a server asking for an hour gets 10 s, and a retry that
/// could only start after the deadline is not attempted at all.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The most requests in flight per host. Index and advisory requests are small and mostly wait
/// on latency, so a cold audit against a distant service wants many in flight at once (`uv`
/// allows 50 downloads; measured on the loopback benchmark at 50 ms, 500 packages: 32 → 1.1 s,
/// 64 → 0.7 s, 128 → 0.47 s, 256 no better). A host starts with fewer and opens up to this many
/// only once it turns out slow ([`limit`]). Over HTTP/2 (PyPI, OSV) they share one connection
/// and the server's own stream limit (about 100) applies too. Also bounds memory: a body is
/// held while its request is in flight.
pub const DEFAULT_CONCURRENCY: usize = 128;
/// Redirects followed for one request (same host only, unless allowed).
pub const MAX_REDIRECTS: usize = 10;

/// How the fetch layer talks to the network. Built by the command layer from flags, environment
/// variables and the `[fetch]` config section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// OSV API base, without the `/v1/...` suffix.
    pub osv_url: String,
    /// PyPI JSON API base, without `/pypi/...`.
    pub pypi_url: String,
    /// Simple API base (the URL that `/<name>/` is appended to); `None` means `<pypi_url>/simple`.
    pub simple_url: Option<String>,
    /// Time allowed for one attempt of one request, from connect to the last body byte.
    pub timeout: Duration,
    /// Time allowed for the whole run, counted from `deadline_from` (else from
    /// [`Fetcher::new`]); what is not done by then is answered with
    /// [`FetchError::DeadlineExceeded`], which the audit reports as unchecked (PA001).
    pub deadline: Option<Duration>,
    /// When the run began: the commands set it once, so every stage's fetcher (advisories,
    /// metadata, wheels) shares one deadline instead of each getting a fresh one.
    pub deadline_from: Option<Instant>,
    /// Follow redirects to another host (or scheme, or port). Off by default: a service that
    /// sends its clients elsewhere is refused, with both hosts named, rather than followed
    /// without a word.
    pub allow_cross_host_redirects: bool,
    /// Extra attempts after the first one for a retryable failure (connect error, timeout,
    /// broken body, 429, 5xx).
    pub retries: u32,
    /// Requests in flight at once to one host (scheme, host and port). Over HTTP/2 they share
    /// one connection, and the server's own stream limit applies too; over HTTP/1.1 each is a
    /// connection of its own, kept for reuse.
    pub concurrency: usize,
    /// Largest accepted response body (after decompression); larger bodies are an error.
    pub max_body_bytes: u64,
    /// Sent as `User-Agent` on every request.
    pub user_agent: String,
    /// First backoff delay; doubled per attempt, with jitter, up to `max_backoff`.
    pub backoff_base: Duration,
    /// Largest backoff delay between two attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a server asking for more gets this much.
    pub max_retry_after: Duration,
    /// Queries per OSV `querybatch` request (the API accepts at most 1,000).
    pub osv_batch_size: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            osv_url: DEFAULT_OSV_URL.to_owned(),
            pypi_url: DEFAULT_PYPI_URL.to_owned(),
            simple_url: None,
            timeout: DEFAULT_TIMEOUT,
            deadline: Some(DEFAULT_DEADLINE),
            deadline_from: None,
            allow_cross_host_redirects: false,
            retries: 3,
            concurrency: DEFAULT_CONCURRENCY,
            max_body_bytes: 32 * 1024 * 1024,
            user_agent: default_user_agent(),
            backoff_base: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            osv_batch_size: osv::MAX_BATCH_SIZE,
        }
    }
}

impl FetchSettings {
    /// Settings pointing every source at one base URL, as the loopback test server and the
    /// benchmark's OSV look-alike serve all endpoints from one address.
    pub fn for_base_url(base_url: &str) -> Self {
        Self {
            osv_url: base_url.to_owned(),
            pypi_url: base_url.to_owned(),
            ..Self::default()
        }
    }

    /// The Simple API base: `simple_url` when given, else `<pypi_url>/simple`.
    pub fn simple_base(&self) -> String {
        match &self.simple_url {
            Some(url) => trim_base(url).to_owned(),
            None => format!("{}/simple", trim_base(&self.pypi_url)),
        }
    }
}

/// `pyaudit/<version> (+<repository>)`: PyPI asks API clients to identify themselves.
pub fn default_user_agent() -> String {
    let repository = env!("CARGO_PKG_REPOSITORY");
    let version = env!("CARGO_PKG_VERSION");
    if repository.is_empty() {
        format!("pyaudit/{version}")
    } else {
        format!("pyaudit/{version} (+{repository})")
    }
}

/// Base URLs are joined with `/...` paths; a trailing slash would double it.
pub(crate) fn trim_base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Which source a [`SourceError`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// `POST /v1/querybatch` of the OSV API.
    OsvQuery,
    /// `GET /v1/vulns/{id}` of the OSV API.
    OsvRecord,
    /// `POST /v1/query` for a package's every record (no version).
    OsvPackageQuery,
    /// `GET /pypi/<name>/json`.
    PypiJson,
    /// `GET /simple/<name>/`.
    PypiSimple,
    /// `GET <file url>.metadata`: a distribution's core metadata (PEP 658 / PEP 714).
    PypiCoreMetadata,
}

impl std::fmt::Display for Source {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Source::OsvQuery => "OSV query",
            Source::OsvRecord => "OSV record",
            Source::OsvPackageQuery => "OSV package query",
            Source::PypiJson => "PyPI JSON API",
            Source::PypiSimple => "PyPI Simple API",
            Source::PypiCoreMetadata => "PyPI core metadata",
        })
    }
}

/// One package (or advisory id) that a source could not answer for. The cause names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_kind} lookup of `{subject}` failed")]
pub struct SourceError {
    pub source_kind: Source,
    /// The package (`name version` for OSV queries, `name` for PyPI) or the advisory id.
    pub subject: String,
    #[source]
    pub cause: FetchError,
}

impl SourceError {
    pub fn new(source_kind: Source, subject: impl Into<String>, cause: FetchError) -> Self {
        Self {
            source_kind,
            subject: subject.into(),
            cause,
        }
    }
}

/// Runs an async fetch to completion from synchronous code (the command layer).
///
/// A current-thread runtime suffices when `workers` is 0 or 1: the work is I/O bound and the
/// JSON parsing per response is small. More workers help only when parsing large bodies overlaps
/// with waiting.
pub fn run_blocking<F: Future>(workers: usize, future: F) -> Result<F::Output, std::io::Error> {
    let runtime = if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?
    };
    Ok(runtime.block_on(future))
}

/// Whether `text` is safe to put in a URL path segment as is: PEP 508 names and OSV ids
/// only use these characters, so anything else is refused rather than escaped into a URL the
/// server never meant.
pub(crate) fn is_path_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_.:".contains(character))
}
