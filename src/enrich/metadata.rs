//! The metadata stage: what PyPI says about each locked project — yanked releases (PEP 592),
//! project status (PEP 792: archived, deprecated, quarantined), upload times, the newest release,
//! the `Development Status` classifier and the license (PEP 639, trove classifiers, free text;
//! see [`super::license`]) — as plain data for the maintenance and license rules.
//!
//! Sources, at most one request each per project, in parallel, each asked only when a rule
//! reads what it alone carries:
//! - `GET /simple/<name>/` (PEP 691 JSON, with PEP 700 `versions` and `upload-time`): every
//!   release's files with upload times and yanks, and the PEP 792 `project-status`, which the JSON
//!   API does not carry. Every maintenance rule but PA206 reads only this
//!   ([`MetadataSettings::simple_api`]).
//! - `GET /pypi/<name>/json`: the same release list, plus `info` — license and classifiers, which
//!   the Simple API does not carry. `info` describes the NEWEST release only (the per-release JSON
//!   is not served), so license and classifiers of an older locked version are the newest
//!   release's ([`LicenseInfo::of_version`] says which). Asked for the license rules (with a
//!   license policy), PA206, and reports that list licenses ([`MetadataSettings::json_api`]).
//!
//! One source per project where one carries everything the run reads halves the requests of a
//! cold run: the default rules need the Simple API alone.
//!
//! Cache layout (namespaces of `pyaudit-cache`, key = PEP 503 name):
//! - `pypi-project` v1: a [`ProjectSummary`] — per release its upload times, file counts and yank
//!   reason, plus the newest release's license fields and the classifiers the rules read — a few
//!   KB instead of the hundreds of KB of the full answer, so a warm run decodes little.
//! - `pypi-simple` v2: a [`SimpleSummary`] — the PEP 792 status and the same per-release summary.
//!
//! Measured (release, 2 shared cores, on-disk cache, `tests/it/metadata.rs`
//! `warm_cache_timing_for_300_projects`): a warm run over 300 projects with both namespaces is
//! 26–47 ms including `Cache::open` (4–13 ms), with no request; the cold run 0.9 s for 600
//! loopback requests.
//!
//! Both are fresh for [`MetadataSettings::ttl`]; a stale entry is revalidated with its ETag /
//! Last-Modified (`304` → `Cache::revalidate`, nothing downloaded). Offline: the cache alone,
//! stale entries included, with their age. A project nothing could be learned about is
//! [`MetadataStatus::Unavailable`] — never silently "fine". `404`s are not cached: a project
//! that vanished from the index is worth asking about again.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::Duration;

use pep440_rs::Version;
use pyaudit_advisories::normalize_package_name;
use pyaudit_cache::{Cache, Entry, Freshness, Namespace, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Network;
use super::license::{self, DeclaredLicense, LicenseInfo};
use super::progress::{Kind, WaveProgress};
use super::warnings::{GroupedWarnings, describe_age};
use super::{DataSource, EnrichError, PackageKey};
use crate::fetch::pypi::{
    self, ProjectAnswer, ProjectJson, ProjectRequest, PypiAnswer, SimpleProject, Validators,
};
use crate::fetch::{FetchSettings, Fetcher, trim_base};
use crate::review::resolve::ProjectReleases;
use crate::time::parse_upload_time;

/// Trimmed `/pypi/<name>/json` answers.
pub const PROJECT_NAMESPACE: Namespace = Namespace::new("pypi-project", 1);
/// Trimmed `/simple/<name>/` answers: releases and the PEP 792 status.
pub const SIMPLE_NAMESPACE: Namespace = Namespace::new("pypi-simple", 2);

/// PyPI metadata changes with each upload; six hours keeps a day of runs to a few revalidations.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// Free-text `License` values longer than this are whole license texts; the cache keeps the start.
const LICENSE_TEXT_LIMIT: usize = 1024;

const INACTIVE_CLASSIFIER: &str = "Development Status :: 7 - Inactive";

/// How the metadata stage may get its data.
#[derive(Debug, Clone)]
pub struct MetadataSettings {
    /// Use only the cache (stale entries included); no request is made.
    pub offline: bool,
    /// Where and how to reach PyPI.
    pub fetch: FetchSettings,
    /// How long an answer is trusted before it is revalidated.
    pub ttl: Duration,
    /// Ask the Simple API: releases, upload times, yanks and the PEP 792 project status.
    pub simple_api: bool,
    /// Ask the JSON API: the license and classifiers (of the newest release), and the releases
    /// when the Simple API is not asked or fails.
    pub json_api: bool,
    /// The clock, passed in so runs and tests are deterministic.
    pub now: Timestamp,
}

impl MetadataSettings {
    /// Online, the default TTL, both sources.
    pub fn new(fetch: FetchSettings, now: Timestamp) -> Self {
        Self {
            offline: false,
            fetch,
            ttl: DEFAULT_TTL,
            simple_api: true,
            json_api: true,
            now,
        }
    }
}

/// Everything the metadata stage learned, per locked package.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetadataData {
    pub packages: BTreeMap<PackageKey, MetadataStatus>,
    pub sources: Vec<DataSource>,
    /// When the oldest data used was fetched (unix milliseconds), when some came from the cache.
    pub oldest_data: Option<i64>,
    /// Things the user should know (stale data used, projects PyPI could not answer for).
    pub warnings: Vec<String>,
    /// HTTP requests made.
    pub requests: u64,
    /// Per project fetched now, its release list, when the run asked to keep them (see
    /// [`KeptReleases`]). Not part of any report.
    #[serde(skip)]
    pub releases: BTreeMap<String, KeptReleases>,
}

/// What is known about one locked package.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum MetadataStatus {
    Available(Box<PackageMetadata>),
    /// Nothing could be learned: the rules must say "metadata unavailable", not "fine".
    Unavailable {
        reason: String,
    },
}

impl MetadataStatus {
    pub fn metadata(&self) -> Option<&PackageMetadata> {
        match self {
            MetadataStatus::Available(metadata) => Some(metadata),
            MetadataStatus::Unavailable { .. } => None,
        }
    }
}

/// The signals' data for one locked `name==version`. Times are unix milliseconds when serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageMetadata {
    /// PEP 792.
    pub project_status: ProjectStatusInfo,
    /// The locked version is yanked (every one of its files is, PEP 592).
    pub yanked: Option<YankInfo>,
    /// Whether the index lists the locked version at all (a removed release is not).
    pub locked_version_listed: bool,
    /// The earliest upload of the locked version's files.
    #[serde(with = "optional_millis")]
    pub locked_upload_time: Option<Timestamp>,
    /// The project's first upload: its age.
    #[serde(with = "optional_millis")]
    pub first_upload_time: Option<Timestamp>,
    /// The latest upload of any file of any release (pre-releases and yanked ones included):
    /// the last sign of activity.
    #[serde(with = "optional_millis")]
    pub last_upload_time: Option<Timestamp>,
    /// The newest release that is neither yanked nor a pre-release / dev release, and has files.
    pub newest_version: Option<Version>,
    /// When `newest_version` was released (its earliest file).
    #[serde(with = "optional_millis")]
    pub newest_upload_time: Option<Timestamp>,
    /// The classifiers carry `Development Status :: 7 - Inactive`. These are the classifiers of
    /// [`Self::info_version`] (the newest release). `None`: the JSON API was not asked.
    pub classifiers_inactive: Option<bool>,
    /// The release PyPI's project JSON `info` describes (the newest): the one the classifiers,
    /// and the license unless a review replaced it with the release's own, were read from.
    /// `None`: the JSON API was not asked.
    pub info_version: Option<String>,
    /// `None`: the JSON API was not asked (no rule or report of the run reads licenses).
    pub license: Option<LicenseInfo>,
    /// When PyPI last vouched for this data (the fetch or the 304 revalidation).
    #[serde(with = "millis")]
    pub as_of: Timestamp,
    /// Served from the cache past its lifetime (offline, or PyPI failing).
    pub stale: bool,
}

/// PEP 792 project status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ProjectStatusInfo {
    /// `active`, or the index reports no status.
    Active,
    /// `archived`, `deprecated`, `quarantined` (or a status defined later), with the index's
    /// reason when it gives one.
    Reported {
        status: String,
        reason: Option<String>,
    },
    /// Not asked (turned off) or not answered; the reason says which.
    Unknown { reason: String },
}

/// A yanked locked version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YankInfo {
    /// The yank reason (PEP 592), when the uploader gave one.
    pub reason: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Signals: pure functions the policy calls with its own limits and clock.

/// Whole days from `earlier` to `later`; zero when `later` is not after `earlier`.
pub fn days_between(earlier: Timestamp, later: Timestamp) -> u64 {
    later.duration_since(earlier).as_secs() / 86_400
}

/// How many days the locked release is older than the newest release (by upload times).
pub fn days_behind(locked_upload: Timestamp, newest_upload: Timestamp) -> u64 {
    days_between(locked_upload, newest_upload)
}

/// How many major versions (the first release segment) the locked version is behind the newest;
/// zero when it is not behind. Across epochs the newer epoch counts as one major version. NOTE:
/// for calendar versions (`2022.5.18`) this counts years; prefer [`days_behind`] there.
pub fn major_versions_behind(locked: &Version, newest: &Version) -> u64 {
    if newest.epoch() != locked.epoch() {
        return u64::from(newest.epoch() > locked.epoch());
    }
    let major = |version: &Version| version.release().first().copied().unwrap_or(0);
    major(newest).saturating_sub(major(locked))
}

/// Whether `time` is more than `limit` before `now` (a stale project: the last upload is older
/// than the maintenance limit, default two years).
pub fn is_older_than(time: Timestamp, now: Timestamp, limit: Duration) -> bool {
    now.duration_since(time) > limit
}

/// Whether `time` is less than `cooldown` before `now` (a release or project too new to trust
/// yet: the supply-chain cooldown). A time after `now` counts as new.
pub fn is_younger_than(time: Timestamp, now: Timestamp, cooldown: Duration) -> bool {
    now.duration_since(time) < cooldown
}

impl PackageMetadata {
    /// The project's last upload is older than `limit` at `now`; `None` when no upload time is
    /// known.
    pub fn is_stale(&self, now: Timestamp, limit: Duration) -> Option<bool> {
        self.last_upload_time
            .map(|time| is_older_than(time, now, limit))
    }

    /// The locked version was uploaded less than `cooldown` before `now`.
    pub fn locked_release_too_new(&self, now: Timestamp, cooldown: Duration) -> Option<bool> {
        self.locked_upload_time
            .map(|time| is_younger_than(time, now, cooldown))
    }

    /// The project's first upload was less than `cooldown` before `now`.
    pub fn project_too_new(&self, now: Timestamp, cooldown: Duration) -> Option<bool> {
        self.first_upload_time
            .map(|time| is_younger_than(time, now, cooldown))
    }

    /// Days between the locked release and the newest one.
    pub fn days_behind(&self) -> Option<u64> {
        Some(days_behind(
            self.locked_upload_time?,
            self.newest_upload_time?,
        ))
    }

    /// Major versions between `locked` and the newest release.
    pub fn major_versions_behind(&self, locked: &Version) -> Option<u64> {
        self.newest_version
            .as_ref()
            .map(|newest| major_versions_behind(locked, newest))
    }

    /// How old the data is at `now`.
    pub fn age(&self, now: Timestamp) -> Duration {
        now.duration_since(self.as_of)
    }
}

// ---------------------------------------------------------------------------------------------
// Cached payloads.

/// The trimmed `/pypi/<name>/json` answer kept in the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// `info.version`: the release the license and classifiers below describe.
    pub info_version: String,
    pub license_expression: Option<String>,
    /// Cut to [`LICENSE_TEXT_LIMIT`] bytes.
    pub license: Option<String>,
    /// Only `License ::` and `Development Status ::` classifiers.
    pub classifiers: Vec<String>,
    /// The project-wide facts, computed once when the answer is trimmed so a warm run does not
    /// parse every release's version again.
    pub facts: ProjectFacts,
    pub releases: Vec<ReleaseSummary>,
}

/// What does not depend on the locked version (unix milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFacts {
    pub first_upload: Option<i64>,
    pub last_upload: Option<i64>,
    /// The newest release with files that is neither yanked nor a pre-release, as listed.
    pub newest_version: Option<String>,
    pub newest_upload: Option<i64>,
}

impl ProjectFacts {
    fn of(releases: &[ReleaseSummary]) -> Self {
        let newest = releases
            .iter()
            .filter(|release| release.files() > 0 && !release.is_yanked())
            .filter_map(|release| {
                Version::from_str(release.version())
                    .ok()
                    .filter(|version| !version.any_prerelease())
                    .map(|version| (version, release))
            })
            .max_by(|(left, _), (right, _)| left.cmp(right));
        Self {
            first_upload: releases.iter().filter_map(|release| release.1).min(),
            last_upload: releases.iter().filter_map(|release| release.2).max(),
            newest_version: newest
                .as_ref()
                .map(|(_, release)| release.version().to_owned()),
            newest_upload: newest.and_then(|(_, release)| release.1),
        }
    }
}

/// One release, stored as a JSON array to keep the payload small:
/// `[version, first upload ms, last upload ms, files, yanked files, yank reason]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSummary(
    pub String,
    pub Option<i64>,
    pub Option<i64>,
    pub u32,
    pub u32,
    pub Option<String>,
);

impl ReleaseSummary {
    fn version(&self) -> &str {
        &self.0
    }
    fn first_upload(&self) -> Option<Timestamp> {
        self.1.map(Timestamp::from_unix_millis)
    }
    fn files(&self) -> u32 {
        self.3
    }
    /// PEP 592: a release is yanked when all of its files are.
    fn is_yanked(&self) -> bool {
        self.3 > 0 && self.4 == self.3
    }
    fn yank_reason(&self) -> Option<&str> {
        self.5.as_deref()
    }
}

/// One file's part in its release's summary.
struct FileMarks<'a> {
    upload_time: Option<&'a str>,
    yanked: bool,
    yank_reason: Option<&'a str>,
}

impl ReleaseSummary {
    fn of<'a>(version: String, files: impl IntoIterator<Item = FileMarks<'a>>) -> Self {
        let (mut first, mut last) = (None::<i64>, None::<i64>);
        let (mut count, mut yanked, mut reason) = (0_u32, 0_u32, None);
        for file in files {
            count = count.saturating_add(1);
            if let Some(time) = file.upload_time.and_then(parse_upload_time) {
                let millis = time.unix_millis();
                first = Some(first.map_or(millis, |first| first.min(millis)));
                last = Some(last.map_or(millis, |last| last.max(millis)));
            }
            if file.yanked {
                yanked = yanked.saturating_add(1);
                if reason.is_none() {
                    reason = file
                        .yank_reason
                        .map(str::trim)
                        .filter(|reason| !reason.is_empty())
                        .map(str::to_owned);
                }
            }
        }
        ReleaseSummary(version, first, last, count, yanked, reason)
    }
}

/// The release half of either API's summary: what every maintenance rule but PA206 reads.
#[derive(Clone, Copy)]
struct ReleaseList<'a> {
    facts: &'a ProjectFacts,
    releases: &'a [ReleaseSummary],
}

/// What only the JSON API's `info` carries.
struct Declared {
    info_version: String,
    license: LicenseInfo,
    classifiers_inactive: bool,
}

impl ReleaseList<'_> {
    /// The signals for one locked version; `declared` when the JSON API was asked.
    fn describe(
        self,
        locked: &Version,
        project_status: ProjectStatusInfo,
        declared: Option<Declared>,
        as_of: Timestamp,
        stale: bool,
    ) -> PackageMetadata {
        // Listed versions are nearly always in canonical form; parse only when the text differs.
        let locked_text = locked.to_string();
        let locked_release = self
            .releases
            .iter()
            .find(|release| release.version() == locked_text)
            .or_else(|| {
                self.releases.iter().find(|release| {
                    Version::from_str(release.version()).is_ok_and(|version| &version == locked)
                })
            });
        let facts = self.facts;
        let (info_version, license, classifiers_inactive) = match declared {
            Some(declared) => (
                Some(declared.info_version),
                Some(declared.license),
                Some(declared.classifiers_inactive),
            ),
            None => (None, None, None),
        };
        PackageMetadata {
            project_status,
            yanked: locked_release
                .filter(|release| release.is_yanked())
                .map(|release| YankInfo {
                    reason: release.yank_reason().map(str::to_owned),
                }),
            locked_version_listed: locked_release.is_some(),
            locked_upload_time: locked_release.and_then(ReleaseSummary::first_upload),
            first_upload_time: facts.first_upload.map(Timestamp::from_unix_millis),
            last_upload_time: facts.last_upload.map(Timestamp::from_unix_millis),
            newest_version: facts
                .newest_version
                .as_deref()
                .and_then(|text| Version::from_str(text).ok()),
            newest_upload_time: facts.newest_upload.map(Timestamp::from_unix_millis),
            info_version,
            classifiers_inactive,
            license,
            as_of,
            stale,
        }
    }
}

impl ProjectSummary {
    /// Keeps what the signals need from a full answer.
    pub fn from_document(document: &ProjectJson) -> Self {
        let releases: Vec<ReleaseSummary> = document
            .releases
            .iter()
            .map(|(version, files)| {
                ReleaseSummary::of(
                    version.clone(),
                    files.iter().map(|file| FileMarks {
                        upload_time: file.upload_time_iso_8601.as_deref(),
                        yanked: file.yanked,
                        yank_reason: file.yanked_reason.as_deref(),
                    }),
                )
            })
            .collect();
        let info = &document.info;
        Self {
            facts: ProjectFacts::of(&releases),
            info_version: info.version.clone(),
            license_expression: info.license_expression.clone(),
            license: info
                .license
                .as_deref()
                .map(|text| cut(text, LICENSE_TEXT_LIMIT).to_owned()),
            classifiers: info
                .classifiers
                .iter()
                .filter(|classifier| {
                    classifier.starts_with("License ::")
                        || classifier.starts_with("Development Status ::")
                })
                .cloned()
                .collect(),
            releases,
        }
    }

    fn release_list(&self) -> ReleaseList<'_> {
        ReleaseList {
            facts: &self.facts,
            releases: &self.releases,
        }
    }

    fn declared(&self) -> Declared {
        Declared {
            license: license::normalise(
                &DeclaredLicense {
                    license_expression: self.license_expression.as_deref(),
                    license: self.license.as_deref(),
                    classifiers: &self.classifiers,
                },
                &self.info_version,
            ),
            classifiers_inactive: self
                .classifiers
                .iter()
                .any(|classifier| classifier.trim() == INACTIVE_CLASSIFIER),
            info_version: self.info_version.clone(),
        }
    }

    /// The signals for one locked version from this answer alone.
    pub fn describe(
        &self,
        locked: &Version,
        project_status: ProjectStatusInfo,
        as_of: Timestamp,
        stale: bool,
    ) -> PackageMetadata {
        self.release_list()
            .describe(locked, project_status, Some(self.declared()), as_of, stale)
    }
}

/// The trimmed `/simple/<name>/` answer kept in the cache: the PEP 792 status and the same
/// per-release summary as [`ProjectSummary`]'s, read from the files' names, upload times and
/// yanks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleSummary {
    /// `None`: the index gave no status (active).
    pub status: Option<String>,
    pub reason: Option<String>,
    /// The page speaks PEP 700 (api-version 1.1 or later) and dates every file: the release
    /// list can stand in for the JSON API's. PEP 700 makes `upload-time` optional, and an index
    /// that leaves it out would turn every age rule silent; such a project is asked of the JSON
    /// API instead.
    pub dated: bool,
    pub facts: ProjectFacts,
    pub releases: Vec<ReleaseSummary>,
}

impl SimpleSummary {
    pub fn from_document(document: &SimpleProject) -> Self {
        let releases: Vec<ReleaseSummary> = document
            .releases()
            .into_iter()
            .map(|release| {
                ReleaseSummary::of(
                    release.version,
                    release.files.into_iter().map(|file| FileMarks {
                        upload_time: file.upload_time.as_deref(),
                        yanked: file.yanked.is_yanked(),
                        yank_reason: file.yanked.reason(),
                    }),
                )
            })
            .collect();
        Self {
            status: document
                .project_status
                .as_ref()
                .map(|status| status.status.clone()),
            reason: document
                .project_status
                .as_ref()
                .and_then(|status| status.reason.clone()),
            dated: speaks_pep_700(&document.meta.api_version)
                && document.files.iter().all(|file| {
                    file.upload_time
                        .as_deref()
                        .and_then(parse_upload_time)
                        .is_some()
                }),
            facts: ProjectFacts::of(&releases),
            releases,
        }
    }

    fn release_list(&self) -> ReleaseList<'_> {
        ReleaseList {
            facts: &self.facts,
            releases: &self.releases,
        }
    }

    fn to_info(&self) -> ProjectStatusInfo {
        match self.status.as_deref().map(str::trim) {
            None | Some("") => ProjectStatusInfo::Active,
            Some(status) if status.eq_ignore_ascii_case("active") => ProjectStatusInfo::Active,
            Some(status) => ProjectStatusInfo::Reported {
                status: status.to_ascii_lowercase(),
                reason: self
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|reason| !reason.is_empty())
                    .map(str::to_owned),
            },
        }
    }
}

/// PEP 700 (`versions`, `upload-time`) came with Simple API version 1.1.
fn speaks_pep_700(api_version: &str) -> bool {
    let mut parts = api_version.trim().split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= (1, 1),
        (Some(Ok(major)), None) => major > 1,
        _ => false,
    }
}

/// The longest prefix of `text` within `limit` bytes, on a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// ---------------------------------------------------------------------------------------------
// Collection.

/// One source's answer for one project in this run.
#[derive(Debug, Clone)]
enum Resolved<T> {
    Known {
        value: T,
        as_of: Timestamp,
        stale: bool,
        /// Served from the cache without a request vouching for it now.
        from_cache: bool,
    },
    Missing {
        reason: String,
    },
}

/// A cached payload, decoded.
#[derive(Debug, Clone)]
struct Cached<T> {
    value: T,
    fetched_at: Timestamp,
    fresh: bool,
    validators: Validators,
}

fn decode_entries<T: DeserializeOwned>(
    entries: Vec<Option<Entry>>,
    now: Timestamp,
) -> Vec<Option<Cached<T>>> {
    entries
        .into_iter()
        .map(|entry| {
            let entry = entry?;
            // An undecodable payload counts as absent: it is fetched again.
            let value = serde_json::from_slice(&entry.payload).ok()?;
            Some(Cached {
                value,
                fetched_at: entry.fetched_at,
                fresh: entry.is_fresh(now),
                validators: Validators {
                    etag: entry.etag,
                    last_modified: entry.last_modified,
                },
            })
        })
        .collect()
}

/// What a run decides for one project before any request.
fn plan_one<T: Clone>(cached: &Option<Cached<T>>, offline: bool) -> Option<Resolved<T>> {
    match cached {
        Some(cached) if cached.fresh || offline => Some(Resolved::Known {
            value: cached.value.clone(),
            as_of: cached.fetched_at,
            stale: !cached.fresh,
            from_cache: true,
        }),
        None if offline => Some(Resolved::Missing {
            reason: "not in the cache (offline run)".to_owned(),
        }),
        _ => None,
    }
}

/// A fetch answer with the error flattened to a reason (the task layer may fail too).
type Answer<D> = Result<PypiAnswer<D>, String>;

fn flatten<D>(answers: Vec<ProjectAnswer<D>>) -> Vec<Answer<D>> {
    answers
        .into_iter()
        .map(|answer| answer.map_err(|error| format!("{error}: {}", error.cause)))
        .collect()
}

/// Collect metadata for `targets`. Every target gets an entry in the result; several versions of
/// one project share its one fetch. The same steps run inside [`super::gather`], side by side
/// with the other sources.
pub fn collect(
    targets: &[PackageKey],
    cache: &Cache,
    settings: &MetadataSettings,
) -> Result<MetadataData, EnrichError> {
    let plan = plan(targets, cache, settings)?;
    let (fetched, requests) = if plan.needs_network() {
        let network = Network::start(&settings.fetch)?;
        let fetched = network.runtime.block_on(ask(
            &plan,
            &network.fetcher,
            &WaveProgress::default(),
            false,
        ));
        (fetched, network.fetcher.stats().requests)
    } else {
        (Fetched::default(), 0)
    };
    let mut data = settle(plan, fetched, cache, settings);
    data.requests = requests;
    Ok(data)
}

/// What a run knows before any request: the cached answers, and which projects each source
/// must be asked about.
pub(super) struct Plan {
    targets: Vec<PackageKey>,
    /// The distinct PEP 503 names of the targets, sorted.
    names: Vec<String>,
    cached_projects: Vec<Option<Cached<ProjectSummary>>>,
    cached_pages: Vec<Option<Cached<SimpleSummary>>>,
    /// Per name: what the cache alone settles (`None`: ask). A source the run does not ask is
    /// `Missing` throughout.
    projects: Vec<Option<Resolved<ProjectSummary>>>,
    pages: Vec<Option<Resolved<SimpleSummary>>>,
    /// The names each source is asked about, with the validators of a stale copy.
    project_requests: Vec<(usize, ProjectRequest)>,
    page_requests: Vec<(usize, ProjectRequest)>,
    json_api: bool,
    simple_api: bool,
}

impl Plan {
    pub(super) fn needs_network(&self) -> bool {
        !self.project_requests.is_empty() || !self.page_requests.is_empty()
    }
}

/// The answers of this run, trimmed, one per request of the plan, in order.
#[derive(Default)]
pub(super) struct Fetched {
    projects: Vec<Answer<ProjectSummary>>,
    pages: Vec<Answer<SimpleSummary>>,
    /// The JSON API's answers for projects whose new page came without upload times, asked
    /// once the page was in (by name index).
    undated_projects: Vec<(usize, Answer<ProjectSummary>)>,
    /// Per request of the source the release lists come from (the Simple API when it is asked),
    /// the release list remediation reads, trimmed from the same answer (only when asked to
    /// keep them).
    releases: Vec<Option<KeptReleases>>,
}

/// A project's release list (what fix plans read, `releases::RELEASES_NAMESPACE`) trimmed from
/// the wave's own answer, with the answer's validators when they are the JSON API's (the fix
/// plans' own source): the fix plans of the same run read it instead of asking PyPI again.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptReleases {
    pub releases: ProjectReleases,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Both trims of one `/pypi/<name>/json` answer.
fn trim_both(document: ProjectJson) -> (ProjectSummary, ProjectReleases) {
    let name = normalize_package_name(&document.info.name);
    (
        ProjectSummary::from_document(&document),
        ProjectReleases::from_document(&name, &document),
    )
}

/// Both trims of one `/simple/<name>/` answer.
fn trim_both_pages(document: SimpleProject) -> (SimpleSummary, ProjectReleases) {
    let name = normalize_package_name(&document.name);
    (
        SimpleSummary::from_document(&document),
        ProjectReleases::from_simple(&name, &document),
    )
}

/// Splits the both-trims answers into the metadata stage's and the kept release lists. The
/// validators go with a kept list only when `validators` says they are its source's: a Simple
/// API ETag sent to the JSON API would prove nothing.
fn split_releases<S>(
    answers: Vec<Answer<(S, ProjectReleases)>>,
    validators: bool,
) -> (Vec<Answer<S>>, Vec<Option<KeptReleases>>) {
    answers
        .into_iter()
        .map(|answer| match answer {
            Ok(PypiAnswer::Fresh {
                body,
                document: (summary, releases),
                etag,
                last_modified,
            }) => {
                let kept = KeptReleases {
                    releases,
                    etag: etag.clone().filter(|_| validators),
                    last_modified: last_modified.clone().filter(|_| validators),
                };
                (
                    Ok(PypiAnswer::Fresh {
                        body,
                        document: summary,
                        etag,
                        last_modified,
                    }),
                    Some(kept),
                )
            }
            Ok(PypiAnswer::NotModified) => (Ok(PypiAnswer::NotModified), None),
            Ok(PypiAnswer::NotFound) => (Ok(PypiAnswer::NotFound), None),
            Err(reason) => (Err(reason), None),
        })
        .unzip()
}

/// Step 1: the cache.
pub(super) fn plan(
    targets: &[PackageKey],
    cache: &Cache,
    settings: &MetadataSettings,
) -> Result<Plan, EnrichError> {
    let now = settings.now;
    let names: Vec<String> = targets
        .iter()
        .map(|target| normalize_package_name(&target.name))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let read = |namespace: &Namespace, asked: bool| -> Result<Vec<Option<Entry>>, EnrichError> {
        if names.is_empty() || !asked {
            Ok(names.iter().map(|_| None).collect())
        } else {
            Ok(cache.get_many(namespace, &names)?)
        }
    };
    let cached_pages: Vec<Option<Cached<SimpleSummary>>> =
        decode_entries(read(&SIMPLE_NAMESPACE, settings.simple_api)?, now);
    let pages: Vec<Option<Resolved<SimpleSummary>>> = cached_pages
        .iter()
        .map(|cached| plan_source(cached, settings.simple_api, settings.offline))
        .collect();
    // A cached page without upload times stands in for nothing: its project's JSON is asked.
    // Offline, a cached JSON answer (an older run's, or one with other rules) stands in for a
    // page the cache does not have.
    let undated: Vec<bool> = pages
        .iter()
        .map(|page| {
            is_undated(page.as_ref())
                || (settings.offline && matches!(page, Some(Resolved::Missing { .. })))
        })
        .collect();
    let cached_projects: Vec<Option<Cached<ProjectSummary>>> =
        if settings.json_api || undated.iter().any(|&undated| undated) {
            decode_entries(read(&PROJECT_NAMESPACE, true)?, now)
        } else {
            names.iter().map(|_| None).collect()
        };
    let projects: Vec<Option<Resolved<ProjectSummary>>> = cached_projects
        .iter()
        .zip(&undated)
        .map(|(cached, &undated)| {
            plan_source(cached, settings.json_api || undated, settings.offline)
        })
        .collect();
    let project_requests = requests_for(&names, &projects, &cached_projects);
    let page_requests = requests_for(&names, &pages, &cached_pages);
    Ok(Plan {
        targets: targets.to_vec(),
        names,
        cached_projects,
        cached_pages,
        projects,
        pages,
        project_requests,
        page_requests,
        json_api: settings.json_api,
        simple_api: settings.simple_api,
    })
}

/// [`plan_one`] for a source the run asks; a source it does not ask is settled as missing.
fn plan_source<T: Clone>(
    cached: &Option<Cached<T>>,
    asked: bool,
    offline: bool,
) -> Option<Resolved<T>> {
    if asked {
        plan_one(cached, offline)
    } else {
        Some(Resolved::Missing {
            reason: "not asked for".to_owned(),
        })
    }
}

/// A page the index answered without dating its files (see [`SimpleSummary::dated`]).
fn is_undated(page: Option<&Resolved<SimpleSummary>>) -> bool {
    matches!(page, Some(Resolved::Known { value, .. }) if !value.dated)
}

/// Why a source the run asked has nothing for a project (`None`: it has).
fn missing_reason<T>(resolved: Option<&Resolved<T>>) -> Option<String> {
    match resolved {
        Some(Resolved::Known { .. }) => None,
        Some(Resolved::Missing { reason }) => Some(reason.clone()),
        None => Some("the project was not looked up".to_owned()),
    }
}

/// A request for every name the cache did not settle, conditional on a stale copy's validators.
fn requests_for<T>(
    names: &[String],
    settled: &[Option<Resolved<T>>],
    cached: &[Option<Cached<T>>],
) -> Vec<(usize, ProjectRequest)> {
    (0..names.len())
        .filter(|&index| settled[index].is_none())
        .map(|index| {
            let validators = cached[index]
                .as_ref()
                .map(|cached| cached.validators.clone())
                .unwrap_or_default();
            (
                index,
                ProjectRequest::with_validators(names[index].clone(), validators),
            )
        })
        .collect()
}

/// Step 2: both sources at once, every answer trimmed as it arrives. `keep_releases`: also keep
/// each project's release list (see [`KeptReleases`]), from the Simple API when it is asked.
pub(super) async fn ask(
    plan: &Plan,
    fetcher: &Fetcher,
    progress: &WaveProgress,
    keep_releases: bool,
) -> Fetched {
    let project_requests: Vec<ProjectRequest> = plan
        .project_requests
        .iter()
        .map(|(_, request)| request.clone())
        .collect();
    let page_requests: Vec<ProjectRequest> = plan
        .page_requests
        .iter()
        .map(|(_, request)| request.clone())
        .collect();
    progress.planned(Kind::PypiJson, project_requests.len());
    progress.planned(Kind::PypiSimple, page_requests.len());
    let keep_from_pages = keep_releases && plan.simple_api;
    let keep_from_projects = keep_releases && !plan.simple_api;
    let trim_project: fn(ProjectJson) -> ProjectSummary =
        |document| ProjectSummary::from_document(&document);
    let trim_page: fn(SimpleProject) -> SimpleSummary =
        |document| SimpleSummary::from_document(&document);
    let project_done = || progress.done(Kind::PypiJson);
    let page_done = || progress.done(Kind::PypiSimple);
    let projects = async {
        if keep_from_projects {
            split_releases(
                flatten(
                    pypi::fetch_project_json_trimmed(
                        fetcher,
                        &project_requests,
                        trim_both,
                        &project_done,
                    )
                    .await,
                ),
                true,
            )
        } else {
            let answers = flatten(
                pypi::fetch_project_json_trimmed(
                    fetcher,
                    &project_requests,
                    trim_project,
                    &project_done,
                )
                .await,
            );
            (answers, Vec::new())
        }
    };
    let pages = async {
        if keep_from_pages {
            split_releases(
                flatten(
                    pypi::fetch_simple_trimmed(
                        fetcher,
                        &page_requests,
                        trim_both_pages,
                        &page_done,
                    )
                    .await,
                ),
                false,
            )
        } else {
            let answers = flatten(
                pypi::fetch_simple_trimmed(fetcher, &page_requests, trim_page, &page_done).await,
            );
            (answers, Vec::new())
        }
    };
    let ((projects, from_projects), (pages, from_pages)) = tokio::join!(projects, pages);
    let undated_projects = ask_undated(plan, &pages, fetcher, progress).await;
    Fetched {
        projects,
        pages,
        undated_projects,
        releases: if keep_from_pages {
            from_pages
        } else {
            from_projects
        },
    }
}

/// The JSON API for each project whose page just came without upload times and whose JSON the
/// plan did not already ask for: a second, later request, only on indexes that do not date files.
async fn ask_undated(
    plan: &Plan,
    pages: &[Answer<SimpleSummary>],
    fetcher: &Fetcher,
    progress: &WaveProgress,
) -> Vec<(usize, Answer<ProjectSummary>)> {
    let asked: BTreeSet<usize> = plan
        .project_requests
        .iter()
        .map(|(index, _)| *index)
        .collect();
    let undated: Vec<(usize, ProjectRequest)> = plan
        .page_requests
        .iter()
        .zip(pages)
        .filter(|(_, answer)| {
            matches!(answer, Ok(PypiAnswer::Fresh { document, .. }) if !document.dated)
        })
        .map(|((index, _), _)| *index)
        .filter(|index| !asked.contains(index))
        .filter(|&index| !matches!(plan.projects[index], Some(Resolved::Known { .. })))
        .map(|index| {
            let validators = plan.cached_projects[index]
                .as_ref()
                .map(|cached| cached.validators.clone())
                .unwrap_or_default();
            (
                index,
                ProjectRequest::with_validators(plan.names[index].clone(), validators),
            )
        })
        .collect();
    if undated.is_empty() {
        return Vec::new();
    }
    let requests: Vec<ProjectRequest> =
        undated.iter().map(|(_, request)| request.clone()).collect();
    progress.planned(Kind::PypiJson, requests.len());
    let trim: fn(ProjectJson) -> ProjectSummary =
        |document| ProjectSummary::from_document(&document);
    let answers = flatten(
        pypi::fetch_project_json_trimmed(fetcher, &requests, trim, &|| {
            progress.done(Kind::PypiJson)
        })
        .await,
    );
    undated
        .into_iter()
        .map(|(index, _)| index)
        .zip(answers)
        .collect()
}

/// Step 3: store what was learned and describe every target.
pub(super) fn settle(
    mut plan: Plan,
    fetched: Fetched,
    cache: &Cache,
    settings: &MetadataSettings,
) -> MetadataData {
    let mut warnings = GroupedWarnings::new("project(s)", "PyPI metadata");
    let mut kept_releases = BTreeMap::new();
    let kept_from = if plan.simple_api {
        &plan.page_requests
    } else {
        &plan.project_requests
    };
    for (position, ((index, _), kept)) in kept_from.iter().zip(fetched.releases).enumerate() {
        // An undated page's release list would hide every release from the fix plans'
        // cooldown; they ask the JSON API for it themselves.
        let undated = plan.simple_api
            && matches!(
                fetched.pages.get(position),
                Some(Ok(PypiAnswer::Fresh { document, .. })) if !document.dated
            );
        if let Some(mut kept) = kept.filter(|_| !undated) {
            // Filed under the name asked for, whatever the answer calls itself.
            kept.releases.name.clone_from(&plan.names[*index]);
            kept_releases.insert(plan.names[*index].clone(), kept);
        }
    }
    for ((index, _), answer) in plan.project_requests.iter().zip(fetched.projects) {
        plan.projects[*index] = Some(settle_answer(
            cache,
            &PROJECT_NAMESPACE,
            &plan.names[*index],
            answer,
            &plan.cached_projects[*index],
            settings,
            &mut warnings,
        ));
    }
    for (index, answer) in fetched.undated_projects {
        plan.projects[index] = Some(settle_answer(
            cache,
            &PROJECT_NAMESPACE,
            &plan.names[index],
            answer,
            &plan.cached_projects[index],
            settings,
            &mut warnings,
        ));
    }
    for ((index, _), answer) in plan.page_requests.iter().zip(fetched.pages) {
        plan.pages[*index] = Some(settle_answer(
            cache,
            &SIMPLE_NAMESPACE,
            &plan.names[*index],
            answer,
            &plan.cached_pages[*index],
            settings,
            &mut warnings,
        ));
    }
    note_stale(&plan, settings, &mut warnings);
    let mut data = MetadataData {
        releases: kept_releases,
        ..MetadataData::default()
    };
    let tally = describe_targets(&plan, &mut data, &mut warnings);
    describe_sources(&mut data, &tally, cache, settings);
    data.warnings = warnings.render();
    data
}

/// Offline use of stale data is worth a line per project, grouped.
fn note_stale(plan: &Plan, settings: &MetadataSettings, warnings: &mut GroupedWarnings) {
    if !settings.offline {
        return;
    }
    for (index, name) in plan.names.iter().enumerate() {
        let oldest = [
            stale_as_of(plan.projects[index].as_ref()),
            stale_as_of(plan.pages[index].as_ref()),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(as_of) = oldest {
            warnings.add(
                format!(
                    "cached PyPI metadata past its {} lifetime was used (offline)",
                    describe_age(settings.ttl)
                ),
                name,
                Some(settings.now.duration_since(as_of)),
            );
        }
    }
}

fn stale_as_of<T>(resolved: Option<&Resolved<T>>) -> Option<Timestamp> {
    match resolved {
        Some(Resolved::Known {
            stale: true, as_of, ..
        }) => Some(*as_of),
        _ => None,
    }
}

/// Where the projects' data came from.
#[derive(Default)]
struct Tally {
    json_fetched_now: usize,
    simple_fetched_now: usize,
    from_cache: usize,
    oldest_cache: Option<Timestamp>,
}

impl Tally {
    fn count<T>(&mut self, resolved: Option<&Resolved<T>>, fetched_now: fn(&mut Tally)) {
        match resolved {
            Some(Resolved::Known {
                from_cache: true,
                as_of,
                ..
            }) => {
                self.from_cache += 1;
                self.oldest_cache = Some(
                    self.oldest_cache
                        .map_or(*as_of, |oldest| oldest.min(*as_of)),
                );
            }
            Some(Resolved::Known { .. }) => fetched_now(self),
            _ => {}
        }
    }
}

/// One project's entry from the sources the run asked: the releases from the Simple API (the
/// JSON API's when the Simple API was not asked or failed), the license and classifiers from the
/// JSON API. A source that was asked and could not answer makes the project unavailable, unless
/// it is only the status that is missing: then the status is unknown, and says why.
struct ProjectView<'a> {
    releases: Result<(ReleaseList<'a>, Timestamp, bool), String>,
    status: ProjectStatusInfo,
    declared: Option<&'a ProjectSummary>,
}

fn view<'a>(plan: &'a Plan, index: usize, warnings: &mut GroupedWarnings) -> ProjectView<'a> {
    let name = &plan.names[index];
    let project = plan.projects[index].as_ref();
    let page = plan.pages[index].as_ref();
    let json_missing = plan.json_api.then(|| missing_reason(project)).flatten();
    let page_missing = plan.simple_api.then(|| missing_reason(page)).flatten();
    let status = match (page, &page_missing) {
        (Some(Resolved::Known { value, .. }), _) => value.to_info(),
        (_, Some(reason)) => ProjectStatusInfo::Unknown {
            reason: reason.clone(),
        },
        _ => ProjectStatusInfo::Unknown {
            reason: "the project status was not asked for".to_owned(),
        },
    };
    let declared = match project {
        Some(Resolved::Known { value, .. }) => Some(value),
        _ => None,
    };
    let releases = match (page, project) {
        (
            Some(Resolved::Known {
                value,
                as_of,
                stale,
                ..
            }),
            _,
        ) if value.dated => Ok((value.release_list(), *as_of, *stale)),
        (
            _,
            Some(Resolved::Known {
                value,
                as_of,
                stale,
                ..
            }),
        ) => Ok((value.release_list(), *as_of, *stale)),
        (Some(Resolved::Known { .. }), project) => Err(format!(
            "the index's Simple API gives no upload times (PEP 700) and its JSON API could not \
             stand in ({})",
            missing_reason(project).unwrap_or_default()
        )),
        _ => Err(json_missing
            .clone()
            .or_else(|| page_missing.clone())
            .unwrap_or_else(|| "the project was not looked up".to_owned())),
    };
    // Fail closed: when the JSON API was asked, a rule reads what only it carries.
    let releases = match (&json_missing, releases) {
        (Some(reason), _) => Err(reason.clone()),
        (None, releases) => releases,
    };
    match (&releases, &page_missing) {
        (Err(reason), _) => warnings.add(
            format!("no PyPI metadata ({})", cause_of(reason)),
            name,
            None,
        ),
        (Ok(_), Some(reason)) => warnings.add(
            format!("no PEP 792 project status ({})", cause_of(reason)),
            name,
            None,
        ),
        (Ok(_), None) => {}
    }
    // Both halves of an entry vouch for it: the older fetch and any staleness count.
    let releases = releases.map(|(list, as_of, stale)| match (declared, project) {
        (
            Some(_),
            Some(Resolved::Known {
                as_of: declared_as_of,
                stale: declared_stale,
                ..
            }),
        ) => (list, as_of.min(*declared_as_of), stale || *declared_stale),
        _ => (list, as_of, stale),
    });
    ProjectView {
        releases,
        status,
        declared,
    }
}

/// Every target's entry, from its project's data and status.
fn describe_targets(plan: &Plan, data: &mut MetadataData, warnings: &mut GroupedWarnings) -> Tally {
    let mut tally = Tally::default();
    for index in 0..plan.names.len() {
        tally.count(plan.projects[index].as_ref(), |tally| {
            tally.json_fetched_now += 1;
        });
        tally.count(plan.pages[index].as_ref(), |tally| {
            tally.simple_fetched_now += 1;
        });
    }
    let views: Vec<ProjectView<'_>> = (0..plan.names.len())
        .map(|index| view(plan, index, warnings))
        .collect();
    let index_of: BTreeMap<&str, usize> = plan
        .names
        .iter()
        .enumerate()
        .map(|(index, name)| (name.as_str(), index))
        .collect();
    for target in &plan.targets {
        let name = normalize_package_name(&target.name);
        let entry = match index_of.get(name.as_str()).map(|&index| &views[index]) {
            Some(ProjectView {
                releases: Ok((list, as_of, stale)),
                status,
                declared,
            }) => MetadataStatus::Available(Box::new(list.describe(
                &target.version,
                status.clone(),
                declared.map(ProjectSummary::declared),
                *as_of,
                *stale,
            ))),
            Some(ProjectView {
                releases: Err(reason),
                ..
            }) => MetadataStatus::Unavailable {
                reason: reason.clone(),
            },
            None => MetadataStatus::Unavailable {
                reason: "the project was not looked up".to_owned(),
            },
        };
        data.packages.insert(target.clone(), entry);
    }
    tally
}

fn describe_sources(
    data: &mut MetadataData,
    tally: &Tally,
    cache: &Cache,
    settings: &MetadataSettings,
) {
    for (kind, entries, location) in [
        (
            "pypi-simple-api",
            tally.simple_fetched_now,
            settings.fetch.simple_base(),
        ),
        (
            "pypi-json-api",
            tally.json_fetched_now,
            trim_base(&settings.fetch.pypi_url).to_owned(),
        ),
    ] {
        if entries > 0 {
            data.sources.push(DataSource {
                kind: kind.to_owned(),
                location: crate::redact::redact_text(&location).into_owned(),
                as_of: Some(settings.now.unix_millis()),
                entries,
                coverage: None,
            });
        }
    }
    if tally.from_cache > 0 {
        data.sources.push(DataSource {
            kind: "cache".to_owned(),
            location: cache.directory().display().to_string(),
            as_of: tally.oldest_cache.map(Timestamp::unix_millis),
            entries: tally.from_cache,
            coverage: None,
        });
        data.oldest_data = tally.oldest_cache.map(Timestamp::unix_millis);
    }
}

/// Turns one answer into data, keeping the cache in step: a new body is trimmed and stored, a
/// `304` renews the cached copy, a failure falls back on a stale copy when there is one.
fn settle_answer<T: Serialize + Clone>(
    cache: &Cache,
    namespace: &Namespace,
    name: &str,
    answer: Answer<T>,
    cached: &Option<Cached<T>>,
    settings: &MetadataSettings,
    warnings: &mut GroupedWarnings,
) -> Resolved<T> {
    let now = settings.now;
    match answer {
        Ok(PypiAnswer::Fresh {
            document,
            etag,
            last_modified,
            ..
        }) => {
            let value = document;
            let mut freshness = Freshness::new(settings.ttl);
            freshness.etag = etag;
            freshness.last_modified = last_modified;
            match serde_json::to_vec(&value) {
                Ok(payload) => {
                    warnings.cache_write(cache.put(namespace, name, &payload, &freshness, now))
                }
                Err(error) => warnings.cache_write_message(error.to_string()),
            }
            Resolved::Known {
                value,
                as_of: now,
                stale: false,
                from_cache: false,
            }
        }
        Ok(PypiAnswer::NotModified) => match cached {
            Some(cached) => {
                match cache.revalidate(namespace, name, &Freshness::new(settings.ttl), now) {
                    Ok(_) => {}
                    Err(error) => warnings.cache_write_message(error.to_string()),
                }
                Resolved::Known {
                    value: cached.value.clone(),
                    as_of: now,
                    stale: false,
                    from_cache: false,
                }
            }
            None => Resolved::Missing {
                reason: format!(
                    "PyPI answered 304 Not Modified for `{name}` but nothing is cached to reuse"
                ),
            },
        },
        // Without the name: the warnings group by reason and list the projects themselves, and
        // every finding already names its package.
        Ok(PypiAnswer::NotFound) => Resolved::Missing {
            reason: "PyPI has no such project (404): removed, renamed, or never published there"
                .to_owned(),
        },
        Err(reason) => match cached {
            Some(cached) => {
                warnings.add(
                    format!(
                        "PyPI could not answer ({}); older cached metadata was used instead",
                        cause_of(&reason)
                    ),
                    name,
                    Some(now.duration_since(cached.fetched_at)),
                );
                Resolved::Known {
                    value: cached.value.clone(),
                    as_of: cached.fetched_at,
                    stale: true,
                    from_cache: true,
                }
            }
            None => Resolved::Missing { reason },
        },
    }
}

/// The cause of a reason without what names the project (the head, the URL), so one failure
/// for 300 projects groups into one warning line.
fn cause_of(reason: &str) -> String {
    let cause = reason
        .split_once("failed: ")
        .map_or(reason, |(_, cause)| cause);
    cause
        .split(' ')
        .map(|word| {
            if word.starts_with("http://") || word.starts_with("https://") {
                "the URL"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Timestamp` as unix milliseconds.
mod millis {
    use pyaudit_cache::Timestamp;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(time.unix_millis())
    }
}

/// `Option<Timestamp>` as unix milliseconds or `null`.
mod optional_millis {
    use pyaudit_cache::Timestamp;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(
        time: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => serializer.serialize_i64(time.unix_millis()),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn time(text: &str) -> Timestamp {
        parse_upload_time(text).unwrap()
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    #[test]
    fn signals_with_a_fixed_now() {
        let now = time("2026-11-25T00:00:00Z");
        let two_years = 730 * DAY;
        assert!(is_older_than(time("2015-06-02T00:00:00Z"), now, two_years));
        assert!(!is_older_than(time("2025-06-02T00:00:00Z"), now, two_years));
        assert!(is_younger_than(time("2026-11-20T00:00:00Z"), now, 7 * DAY));
        assert!(!is_younger_than(time("2026-11-01T00:00:00Z"), now, 7 * DAY));
        // A time in the future is new.
        assert!(is_younger_than(time("2027-01-01T00:00:00Z"), now, 7 * DAY));
        assert_eq!(
            days_behind(time("2024-01-01T00:00:00Z"), time("2024-03-01T12:00:00Z")),
            60
        );
        assert_eq!(
            days_behind(time("2024-03-01T00:00:00Z"), time("2024-01-01T00:00:00Z")),
            0
        );
        assert_eq!(
            major_versions_behind(&version("1.26.18"), &version("2.8.0")),
            1
        );
        assert_eq!(major_versions_behind(&version("2.0"), &version("2.9")), 0);
        assert_eq!(major_versions_behind(&version("3.0"), &version("2.9")), 0);
        assert_eq!(major_versions_behind(&version("8.0"), &version("1!1.0")), 1);
    }

    fn summary() -> ProjectSummary {
        let release =
            |version: &str, first: &str, files: u32, yanked: u32, reason: Option<&str>| {
                ReleaseSummary(
                    version.to_owned(),
                    Some(time(first).unix_millis()),
                    Some(time(first).unix_millis() + 1000),
                    files,
                    yanked,
                    reason.map(str::to_owned),
                )
            };
        let releases = vec![
            release("1.0", "2020-01-01T00:00:00Z", 2, 0, None),
            release("2.0", "2021-01-01T00:00:00Z", 2, 2, Some("broken")),
            release("2.1", "2022-01-01T00:00:00Z", 2, 1, Some("one wheel")),
            release("3.0.0", "2023-01-01T00:00:00Z", 1, 0, None),
            release("4.0.0rc1", "2024-01-01T00:00:00Z", 1, 0, None),
            release("5.0", "2024-02-01T00:00:00Z", 1, 1, None),
            ReleaseSummary("6.0".to_owned(), None, None, 0, 0, None),
        ];
        ProjectSummary {
            info_version: "3.0.0".to_owned(),
            license_expression: Some("MIT".to_owned()),
            license: None,
            classifiers: vec![INACTIVE_CLASSIFIER.to_owned()],
            facts: ProjectFacts::of(&releases),
            releases,
        }
    }

    #[test]
    fn describe_reads_yanks_newest_and_times() {
        let now = time("2026-11-25T00:00:00Z");
        let summary = summary();
        let yanked = summary.describe(&version("2.0.0"), ProjectStatusInfo::Active, now, false);
        assert_eq!(
            yanked.yanked,
            Some(YankInfo {
                reason: Some("broken".to_owned())
            })
        );
        assert!(yanked.locked_version_listed);
        // Some files yanked is not a yanked release (PEP 592).
        let partly = summary.describe(&version("2.1"), ProjectStatusInfo::Active, now, false);
        assert_eq!(partly.yanked, None);
        // Newest: not the pre-release, not the yanked 5.0, not the file-less 6.0.
        assert_eq!(yanked.newest_version, Some(version("3.0.0")));
        assert_eq!(
            yanked.newest_upload_time,
            Some(time("2023-01-01T00:00:00Z"))
        );
        assert_eq!(yanked.first_upload_time, Some(time("2020-01-01T00:00:00Z")));
        assert_eq!(
            yanked.last_upload_time,
            Some(Timestamp::from_unix_millis(
                time("2024-02-01T00:00:00Z").unix_millis() + 1000
            ))
        );
        assert_eq!(
            yanked.locked_upload_time,
            Some(time("2021-01-01T00:00:00Z"))
        );
        assert_eq!(yanked.days_behind(), Some(730));
        assert_eq!(yanked.major_versions_behind(&version("2.0")), Some(1));
        assert_eq!(yanked.classifiers_inactive, Some(true));
        assert_eq!(yanked.license.as_ref().unwrap().of_version, "3.0.0");
        assert_eq!(yanked.is_stale(now, 730 * DAY), Some(true));
        assert_eq!(yanked.locked_release_too_new(now, 7 * DAY), Some(false));
        let missing = summary.describe(&version("9.9"), ProjectStatusInfo::Active, now, false);
        assert!(!missing.locked_version_listed);
        assert_eq!(missing.locked_upload_time, None);
        assert_eq!(missing.days_behind(), None);
    }

    #[test]
    fn project_status_reading() {
        let status = |status: Option<&str>, reason: Option<&str>| {
            SimpleSummary {
                status: status.map(str::to_owned),
                reason: reason.map(str::to_owned),
                dated: true,
                facts: ProjectFacts::default(),
                releases: Vec::new(),
            }
            .to_info()
        };
        assert_eq!(status(None, None), ProjectStatusInfo::Active);
        assert_eq!(status(Some("active"), None), ProjectStatusInfo::Active);
        assert_eq!(
            status(Some("quarantined"), Some("malware")),
            ProjectStatusInfo::Reported {
                status: "quarantined".to_owned(),
                reason: Some("malware".to_owned())
            }
        );
        assert_eq!(
            status(Some("archived"), Some(" ")),
            ProjectStatusInfo::Reported {
                status: "archived".to_owned(),
                reason: None
            }
        );
    }

    #[test]
    fn pep_700_starts_at_api_version_1_1() {
        for (version, speaks) in [
            ("1.0", false),
            ("1.1", true),
            ("1.4", true),
            (" 2.0 ", true),
            ("2", true),
            ("1", false),
            ("", false),
            ("one.one", false),
        ] {
            assert_eq!(speaks_pep_700(version), speaks, "{version:?}");
        }
    }

    #[test]
    fn a_page_dates_its_releases_only_when_every_file_has_an_upload_time() {
        let page = |api: &str, times: &[Option<&str>]| {
            let files: Vec<String> = times
                .iter()
                .enumerate()
                .map(|(index, time)| {
                    let time = time.map_or(String::new(), |time| {
                        format!(r#", "upload-time": "{time}""#)
                    });
                    format!(
                        r#"{{"filename": "x-1.{index}.tar.gz", "url": "u{index}", "hashes": {{}}{time}}}"#
                    )
                })
                .collect();
            let body = format!(
                r#"{{"meta": {{"api-version": "{api}"}}, "name": "x", "files": [{}]}}"#,
                files.join(",")
            );
            SimpleSummary::from_document(&pypi::parse_simple(body.as_bytes()).unwrap())
        };
        let dated = page(
            "1.1",
            &[Some("2024-01-01T00:00:00Z"), Some("2024-02-01T00:00:00Z")],
        );
        assert!(dated.dated);
        assert_eq!(dated.releases.len(), 2);
        assert_eq!(dated.facts.newest_version.as_deref(), Some("1.1"));
        assert!(!page("1.1", &[Some("2024-01-01T00:00:00Z"), None]).dated);
        assert!(!page("1.1", &[Some("not a time")]).dated);
        assert!(!page("1.0", &[Some("2024-01-01T00:00:00Z")]).dated);
        // A project without files has nothing left to date.
        assert!(page("1.1", &[]).dated);
    }

    #[test]
    fn warning_causes_leave_out_the_project() {
        assert_eq!(
            cause_of(
                "PyPI JSON API lookup of `nose` failed: http://127.0.0.1:1/pypi/nose/json \
                 answered HTTP 500 after 1 attempt(s)"
            ),
            "the URL answered HTTP 500 after 1 attempt(s)"
        );
    }

    #[test]
    fn long_license_texts_are_cut_on_a_character_boundary() {
        let text = "é".repeat(600);
        let kept = cut(&text, LICENSE_TEXT_LIMIT);
        assert!(kept.len() <= LICENSE_TEXT_LIMIT);
        assert!(text.starts_with(kept));
    }
}
