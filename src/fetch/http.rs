//! The HTTP layer every source shares: one `reqwest` client (connection reuse: HTTP/2 where the
//! server offers it over TLS, one multiplexed connection per host; HTTP/1.1 keep-alive
//! otherwise), a bound on requests in flight per host, retries with exponential backoff and jitter,
//! `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), a per-attempt timeout, a
//! deadline for the whole run, and a response size limit enforced while the body streams in.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::limit::{HostLimit, INITIAL_IN_FLIGHT};
use super::{FetchSettings, MAX_REDIRECTS};
use crate::redact::{redact_text, redact_url};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, RETRY_AFTER};

/// Why one request failed, after any retries. Every variant names the URL.
///
/// The URL is shown with its credentials masked (`crate::redact`), whoever built the error:
/// `--osv-url https://user:secret@mirror` must authenticate, never appear in a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error(
        "request to {} failed after {attempts} attempt(s): {}",
        redact_url(.url),
        redact_text(.message)
    )]
    Transport {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error(
        "request to {} timed out after {attempts} attempt(s) of {timeout_ms} ms",
        redact_url(.url)
    )]
    Timeout {
        url: String,
        attempts: u32,
        timeout_ms: u128,
    },
    #[error("{} answered HTTP {status} after {attempts} attempt(s)", redact_url(.url))]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error(
        "{} answered with a body larger than the limit of {limit} bytes",
        redact_url(.url)
    )]
    BodyTooLarge { url: String, limit: u64 },
    #[error(
        "{} answered with a malformed body: {}",
        redact_url(.url),
        redact_text(.message)
    )]
    Malformed { url: String, message: String },
    #[error(
        "the run's deadline passed before {} could be fetched",
        redact_url(.url)
    )]
    DeadlineExceeded { url: String },
    #[error(
        "cannot request {}: {}",
        redact_url(.url),
        redact_text(.message)
    )]
    InvalidRequest { url: String, message: String },
    #[error("cannot build the HTTP client: {}", redact_text(.message))]
    Client { message: String },
}

/// Counters for tests and `--verbose` output; cheap atomics, no tracing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// Attempts sent (a retried request counts once per attempt).
    pub requests: u64,
    /// Attempts that were retries of an earlier one.
    pub retries: u64,
    /// Response body bytes received (after decompression).
    pub bytes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
}

/// A response whose status the retry logic accepted as final (not 429, not 5xx).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The URL asked for (what errors name).
    pub url: String,
    /// The URL the answer came from, after any redirect: relative links in the body are relative
    /// to it.
    pub final_url: reqwest::Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Attempts it took, for error messages.
    pub attempts: u32,
}

impl HttpResponse {
    /// A header as text, if present and valid ASCII.
    pub fn header(&self, name: HeaderName) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    /// The error for a status the caller did not expect.
    pub fn unexpected_status(&self) -> FetchError {
        FetchError::Status {
            url: self.url.clone(),
            status: self.status,
            attempts: self.attempts,
        }
    }

    /// The error for a body the caller could not parse; names the content type because a wrong
    /// one (an HTML error page from a proxy) is the usual cause.
    pub fn malformed(&self, problem: impl std::fmt::Display) -> FetchError {
        let content_type = self
            .header(CONTENT_TYPE)
            .unwrap_or_else(|| "no content type".to_owned());
        FetchError::Malformed {
            url: self.url.clone(),
            message: format!("{problem} ({content_type}, {} bytes)", self.body.len()),
        }
    }
}

/// What to send; built by the sources, replayed unchanged on every attempt.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    pub url: String,
    pub headers: Vec<(HeaderName, String)>,
    /// A JSON body makes it a POST; none makes it a GET.
    pub json_body: Option<Vec<u8>>,
    pub lane: Lane,
    /// Whether a failed attempt is retried (see [`RequestSpec::without_retries`]).
    pub retried: bool,
}

/// Which bound a request waits in, per origin. The advisory requests are a chain (the batch
/// query, then the records it names, then the fix targets), each link waiting on the one before;
/// the index requests are hundreds of independent leaves. On an origin that serves both (a
/// proxy in front of both services, the loopback servers of tests and benchmarks), one queue
/// would hold every link of the chain behind the leaves queued before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Lane {
    #[default]
    Index,
    Advisories,
}

impl RequestSpec {
    pub fn get(url: String) -> Self {
        Self {
            url,
            headers: Vec::new(),
            json_body: None,
            lane: Lane::Index,
            retried: true,
        }
    }

    pub fn post_json(url: String, body: Vec<u8>) -> Self {
        Self {
            url,
            headers: Vec::new(),
            json_body: Some(body),
            lane: Lane::Index,
            retried: true,
        }
    }

    /// Waits in the advisories' own bound (see [`Lane`]).
    pub fn advisory(mut self) -> Self {
        self.lane = Lane::Advisories;
        self
    }

    /// One attempt only: for a request that merely saves others (an answer the run can also get
    /// another way), whose retries and backoff would only hold up the run.
    pub fn without_retries(mut self) -> Self {
        self.retried = false;
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// The shared client of one run. Cloning is cheap and shares the connection pool, the
/// concurrency bound, the deadline and the counters.
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    settings: FetchSettings,
    /// One bound per origin (`scheme://host:port`): PyPI and OSV each get their own, so one
    /// source's burst never starves the other's requests of slots.
    permits: Mutex<HashMap<(String, Lane), Arc<HostLimit>>>,
    deadline: Option<Instant>,
    counters: Counters,
}

/// How one attempt ended, before the retry decision.
enum AttemptFailure {
    /// Worth another attempt; `retry_after` is the server's own wish.
    Retryable {
        error: FetchError,
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (a body over the limit, a URL reqwest refuses).
    Final(FetchError),
}

impl Fetcher {
    /// Builds the client; the run's deadline starts now.
    pub fn new(settings: FetchSettings) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder();
        // NOTE: loading the system's trust roots costs tens of milliseconds per run; services
        // reached over plain http (the loopback servers of tests and benchmarks) need none.
        // A redirect from such a service to https then fails verification, which is correct.
        let all_plain_http = [
            &settings.osv_url,
            &settings.pypi_url,
            &settings.simple_base(),
        ]
        .iter()
        .all(|url| url.starts_with("http://"));
        if all_plain_http {
            builder = builder.tls_certs_only([]);
        }
        let allow_cross_host = settings.allow_cross_host_redirects;
        let client = builder
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                redirect_decision(attempt, allow_cross_host)
            }))
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            // NOTE: keep as many idle connections as requests may be in flight, so a burst of
            // `/v1/vulns/{id}` gets reuses sockets instead of reconnecting.
            .pool_max_idle_per_host(settings.concurrency.max(1))
            .tcp_nodelay(true)
            .build()
            .map_err(|error| FetchError::Client {
                message: error_chain(&error),
            })?;
        let start = settings.deadline_from.unwrap_or_else(Instant::now);
        let deadline = settings.deadline.map(|limit| start + limit);
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                permits: Mutex::new(HashMap::new()),
                deadline,
                settings,
                counters: Counters::default(),
            }),
        })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.inner.settings
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> FetchStats {
        let counters = &self.inner.counters;
        FetchStats {
            requests: counters.requests.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
            bytes: counters.bytes.load(Ordering::Relaxed),
        }
    }

    /// The bound on requests in flight to `url`'s origin, in `lane`.
    fn permits_for(&self, url: &str, lane: Lane) -> Arc<HostLimit> {
        let key = (
            reqwest::Url::parse(url).map_or_else(|_| String::new(), |url| origin(&url)),
            lane,
        );
        let mut hosts = self
            .inner
            .permits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(hosts.entry(key).or_insert_with(|| {
            let cap = self.inner.settings.concurrency;
            Arc::new(HostLimit::new(INITIAL_IN_FLIGHT.min(cap), cap))
        }))
    }

    /// Time left before the run's deadline; `None` when there is no deadline.
    fn remaining(&self) -> Option<Duration> {
        self.inner
            .deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Sends `spec`, retrying connect errors, timeouts, broken bodies, 429 and 5xx. Any other
    /// status comes back as a response for the source to interpret (200, 304, 404, 400, ...).
    pub(crate) async fn send(&self, spec: &RequestSpec) -> Result<HttpResponse, FetchError> {
        let settings = &self.inner.settings;
        let deadline_error = || FetchError::DeadlineExceeded {
            url: spec.url.clone(),
        };
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            // Wait for a slot, but not past the deadline: queued requests must fail fast too.
            let limit = self.permits_for(&spec.url, spec.lane);
            // A GET's time in flight is the host's latency; a batch POST's is its own size.
            let timed = spec.json_body.is_none();
            let slot = match self.remaining() {
                Some(remaining) if remaining.is_zero() => return Err(deadline_error()),
                Some(remaining) => {
                    match tokio::time::timeout(remaining, limit.acquire(timed)).await {
                        Ok(permit) => permit,
                        Err(_elapsed) => return Err(deadline_error()),
                    }
                }
                None => limit.acquire(timed).await,
            }
            .map_err(|_closed| FetchError::Client {
                message: "the request limiter was closed".to_owned(),
            })?;
            let (attempt_timeout, limited_by_deadline) = match self.remaining() {
                Some(remaining) if remaining < settings.timeout => (remaining, true),
                _ => (settings.timeout, false),
            };
            if attempt_timeout.is_zero() {
                return Err(deadline_error());
            }
            self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = tokio::time::timeout(attempt_timeout, self.attempt(spec, attempts)).await;
            // The slot goes back (and counts as progress) when dropped.
            drop(slot);
            let failure = match outcome {
                Ok(Ok(response)) => return Ok(response),
                Ok(Err(failure)) => failure,
                Err(_elapsed) if limited_by_deadline => return Err(deadline_error()),
                Err(_elapsed) => AttemptFailure::Retryable {
                    error: FetchError::Timeout {
                        url: spec.url.clone(),
                        attempts,
                        timeout_ms: attempt_timeout.as_millis(),
                    },
                    retry_after: None,
                },
            };
            let (error, retry_after) = match failure {
                AttemptFailure::Final(error) => return Err(error),
                AttemptFailure::Retryable { error, retry_after } => (error, retry_after),
            };
            if !spec.retried || attempts > settings.retries {
                return Err(error);
            }
            let delay = match retry_after {
                Some(wanted) => wanted.min(settings.max_retry_after),
                None => backoff_delay(settings.backoff_base, settings.max_backoff, attempts),
            };
            // A retry that could only start after the deadline is not worth waiting for: report
            // the failure we have now.
            if self.remaining().is_some_and(|remaining| remaining <= delay) {
                return Err(error);
            }
            self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: send, then stream the body up to the size limit.
    async fn attempt(
        &self,
        spec: &RequestSpec,
        attempts: u32,
    ) -> Result<HttpResponse, AttemptFailure> {
        let limit = self.inner.settings.max_body_bytes;
        let url = &spec.url;
        let transport = |error: reqwest::Error| {
            // A refused redirect is the server's answer; asking again gets the same one.
            if error.is_redirect() {
                AttemptFailure::Final(FetchError::Transport {
                    url: url.clone(),
                    attempts,
                    message: error_chain(&error),
                })
            } else if error.is_builder() {
                AttemptFailure::Final(FetchError::InvalidRequest {
                    url: url.clone(),
                    message: error_chain(&error),
                })
            } else {
                AttemptFailure::Retryable {
                    error: FetchError::Transport {
                        url: url.clone(),
                        attempts,
                        message: error_chain(&error),
                    },
                    retry_after: None,
                }
            }
        };
        let mut builder = match &spec.json_body {
            Some(body) => self
                .inner
                .client
                .post(url.as_str())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => self.inner.client.get(url.as_str()),
        };
        for (name, value) in &spec.headers {
            builder = builder.header(name, value.as_str());
        }
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let too_large = || {
            AttemptFailure::Final(FetchError::BodyTooLarge {
                url: url.clone(),
                limit,
            })
        };
        // A declared length over the limit fails before a byte of the body is read.
        if response
            .content_length()
            .is_some_and(|length| length > limit)
        {
            return Err(too_large());
        }
        let capacity = response.content_length().unwrap_or(0).min(limit);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            self.inner
                .counters
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if status == 429 || (500..600).contains(&status) {
            return Err(AttemptFailure::Retryable {
                error: FetchError::Status {
                    url: url.clone(),
                    status,
                    attempts,
                },
                retry_after: headers
                    .get(RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| parse_retry_after(value, SystemTime::now())),
            });
        }
        Ok(HttpResponse {
            url: url.clone(),
            final_url,
            status,
            headers,
            body,
            attempts,
        })
    }
}

/// Why a redirect was not followed.
#[derive(Debug, thiserror::Error)]
enum RedirectRefused {
    #[error(
        "redirected from {from} to {to}, another host; set `[fetch] allow-cross-host-redirects` \
         or pass --allow-cross-host-redirects to follow it"
    )]
    CrossHost { from: String, to: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooMany,
}

/// `scheme://host:port` of a URL: never its userinfo, path or query, so a message naming it
/// cannot leak a credential.
fn origin(url: &reqwest::Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Whether `next` is on the same origin as `first`, allowing the one safe change: `http` to
/// `https` on the same host (with the scheme's default ports).
fn same_origin(first: &reqwest::Url, next: &reqwest::Url) -> bool {
    let same_host = first
        .host_str()
        .zip(next.host_str())
        .is_some_and(|(left, right)| left.eq_ignore_ascii_case(right));
    if !same_host {
        return false;
    }
    let same_scheme_and_port = first.scheme() == next.scheme()
        && first.port_or_known_default() == next.port_or_known_default();
    let upgrade = first.scheme() == "http"
        && next.scheme() == "https"
        && first.port().is_none()
        && next.port().is_none();
    same_scheme_and_port || upgrade
}

/// The redirect policy: at most [`MAX_REDIRECTS`], and only within the first URL's origin
/// unless cross-host redirects are allowed.
fn redirect_decision(
    attempt: reqwest::redirect::Attempt<'_>,
    allow_cross_host: bool,
) -> reqwest::redirect::Action {
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(RedirectRefused::TooMany);
    }
    let Some(first) = attempt.previous().first() else {
        return attempt.follow();
    };
    if allow_cross_host || same_origin(first, attempt.url()) {
        return attempt.follow();
    }
    let refused = RedirectRefused::CrossHost {
        from: origin(first),
        to: origin(attempt.url()),
    };
    attempt.error(refused)
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past means
/// "now"; anything unparsable is ignored (the regular backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with "equal jitter": half the doubled delay is fixed, half random, so
/// concurrent clients that failed together do not retry in lockstep.
pub fn backoff_delay(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let full = base.saturating_mul(1 << exponent).min(max);
    let half = full / 2;
    half + half.mul_f64(jitter_fraction())
}

/// A number in [0, 1) from std's randomly keyed hasher: enough for jitter without a crate.
fn jitter_fraction() -> f64 {
    let hash = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// An error and its causes on one line: reqwest's own message ("error sending request") hides
/// the useful part ("connection closed before message completed") in its sources.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn clients_build_for_https_and_plain_http_services() {
        let https = Fetcher::new(FetchSettings::default()).unwrap();
        assert_eq!(https.stats(), FetchStats::default());
        Fetcher::new(FetchSettings::for_base_url("http://127.0.0.1:1")).unwrap();
    }

    #[test]
    fn redirects_stay_on_the_first_origin_but_may_upgrade_to_https() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        let first = url("http://Mirror.example/v1/querybatch");
        assert!(same_origin(&first, &url("http://mirror.example/elsewhere")));
        assert!(same_origin(
            &first,
            &url("https://mirror.example/v1/querybatch")
        ));
        assert!(!same_origin(&first, &url("http://mirror.example:8080/v1")));
        assert!(!same_origin(&first, &url("http://other.example/v1")));
        let secure = url("https://mirror.example/v1");
        assert!(
            !same_origin(&secure, &url("http://mirror.example/v1")),
            "no downgrade"
        );
        assert!(same_origin(&secure, &url("https://mirror.example:443/v2")));
        assert_eq!(
            origin(&url("https://user:secret@mirror.example/x?token=t")),
            "https://mirror.example:443"
        );
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 1..=6 {
            let delay = backoff_delay(base, max, attempt);
            let full = (base * (1 << (attempt - 1))).min(max);
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
        assert!(backoff_delay(base, max, 40) <= max);
    }
}
