//! The review's registry: each project's releases (trimmed from `GET /pypi/<name>/json`) and
//! each chosen release's core metadata (`GET <file url>.metadata`, PEP 658 / PEP 714), through
//! the cache, one batch per level of the resolution, fetched in parallel.
//!
//! Cache layout (namespaces of `pyaudit-cache`):
//! - `pypi-releases` v1, key = PEP 503 name: a [`ProjectReleases`] (per release: files, yanked,
//!   `requires_python`, first upload, the metadata file URL and its declared SHA-256), fresh for
//!   the metadata TTL, revalidated with its ETag. A fresh answer also stores the metadata
//!   stage's `pypi-project` summary, so the stage that follows asks PyPI nothing again.
//! - `pypi-core-metadata` v2 (v2 added the classifiers), key = `name==version`: the parsed
//!   [`CoreMetadata`]. A release's files never change (PyPI forbids re-uploads), so the entry
//!   lives for [`CORE_METADATA_TTL`].
//!
//! - `pypi-release-json` v1, key = `name==version`: a [`ReleaseJson`] (`info.requires_dist` and
//!   `requires_python` of `/pypi/<name>/<version>/json`), the fallback when a release's core
//!   metadata file is missing or cannot be fetched; immutable, kept as long as core metadata.
//!
//! A metadata file whose SHA-256 differs from the one the index declares is refused (never
//! cached): the requirements it lists are not trusted.

use std::collections::BTreeMap;
use std::time::Duration;

use pyaudit_cache::{Cache, Freshness, Namespace, Timestamp};

use super::metadata::{KeptReleases, MetadataSettings, PROJECT_NAMESPACE, ProjectSummary};
use super::{DataSource, EnrichError, Network};
use crate::fetch::pypi::{self, FileRequest, ProjectRequest, PypiAnswer, Validators};
use crate::fetch::trim_base;
use crate::review::core_metadata::{self, CoreMetadata};
use crate::review::resolve::{
    MetadataError, MetadataRequest, ProjectReleases, Registry, ReleaseJson,
};

pub const RELEASES_NAMESPACE: Namespace = Namespace::new("pypi-releases", 1);
pub const CORE_METADATA_NAMESPACE: Namespace = Namespace::new("pypi-core-metadata", 2);
/// `info` of `/pypi/<name>/<version>/json`, key = `name==version`: immutable like the core
/// metadata (PyPI reads it from the uploaded files), kept for [`CORE_METADATA_TTL`].
pub const RELEASE_JSON_NAMESPACE: Namespace = Namespace::new("pypi-release-json", 1);
/// In the reason given for a project the index answered `404` for (what a review's "did you
/// mean" looks for).
pub const NOT_ON_PYPI: &str = "404 not found";

/// Core metadata of a published release is immutable; a month bounds the cache's growth.
pub const CORE_METADATA_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The cached, networked [`Registry`] of a review run.
pub struct CachedRegistry<'a> {
    cache: &'a Cache,
    settings: MetadataSettings,
    network: Option<Network>,
    /// Things the user should know (cache write failures, stale data used offline).
    pub warnings: Vec<String>,
    /// Answers served from the cache / fetched now.
    pub from_cache: usize,
    pub fetched: usize,
    /// Projects this run already asked PyPI about in vain, with why: not asked again.
    unavailable: BTreeMap<String, String>,
    /// Release lists this run already fetched (the metadata stage's answers).
    known: Option<&'a BTreeMap<String, KeptReleases>>,
}

impl<'a> CachedRegistry<'a> {
    /// Cached copies of immutable data (a release's METADATA or JSON): any copy is good, fresh
    /// or not. A cache that cannot be read counts as empty, with a warning.
    fn cached_immutable<T: serde::de::DeserializeOwned>(
        &mut self,
        namespace: &Namespace,
        keys: &[String],
    ) -> Vec<Option<T>> {
        let entries = match self.cache.get_many(namespace, keys) {
            Ok(entries) => entries,
            Err(error) => {
                self.warnings
                    .push(format!("cannot read the cache: {error}"));
                keys.iter().map(|_| None).collect()
            }
        };
        let cached: Vec<Option<T>> = entries
            .into_iter()
            .map(|entry| entry.and_then(|entry| serde_json::from_slice(&entry.payload).ok()))
            .collect();
        self.from_cache += cached.iter().filter(|copy| copy.is_some()).count();
        cached
    }

    pub fn new(cache: &'a Cache, settings: MetadataSettings) -> Self {
        Self {
            cache,
            settings,
            network: None,
            warnings: Vec::new(),
            from_cache: 0,
            fetched: 0,
            unavailable: BTreeMap::new(),
            known: None,
        }
    }

    /// Release lists the run already fetched: used instead of asking again, and stored so the
    /// next run finds them in the cache.
    pub fn knowing_releases(mut self, known: &'a BTreeMap<String, KeptReleases>) -> Self {
        self.known = Some(known);
        self
    }

    /// Projects (PEP 503 names) the run's metadata stage could not get, with why: answered with
    /// that reason instead of the same request a second time.
    pub fn knowing_unavailable(mut self, unavailable: BTreeMap<String, String>) -> Self {
        self.unavailable = unavailable;
        self
    }

    /// Where the resolution's answers came from, for the report's sources: PyPI for what was
    /// fetched now, the cache for the rest.
    pub fn sources(&self) -> Vec<DataSource> {
        let mut sources = Vec::new();
        if self.fetched > 0 {
            sources.push(DataSource {
                kind: "pypi-json-api".to_owned(),
                location: crate::redact::redact_text(trim_base(&self.settings.fetch.pypi_url))
                    .into_owned(),
                as_of: Some(self.settings.now.unix_millis()),
                entries: self.fetched,
                coverage: None,
            });
        }
        if self.from_cache > 0 {
            sources.push(DataSource {
                kind: "cache".to_owned(),
                location: self.cache.directory().display().to_string(),
                as_of: None,
                entries: self.from_cache,
                coverage: None,
            });
        }
        sources
    }

    /// HTTP requests made.
    pub fn requests(&self) -> u64 {
        self.network
            .as_ref()
            .map_or(0, |network| network.fetcher.stats().requests)
    }

    fn network(&mut self) -> Result<&Network, String> {
        if self.network.is_none() {
            let network = Network::start(&self.settings.fetch)
                .map_err(|error: EnrichError| error.to_string())?;
            self.network = Some(network);
        }
        self.network
            .as_ref()
            .ok_or_else(|| "the network could not be started".to_owned())
    }

    fn put(&mut self, namespace: &Namespace, key: &str, payload: &[u8], freshness: &Freshness) {
        if let Err(error) = self
            .cache
            .put(namespace, key, payload, freshness, self.settings.now)
        {
            self.warnings
                .push(format!("cannot write the cache: {error}"));
        }
    }
}

impl Registry for CachedRegistry<'_> {
    fn projects(&mut self, names: &[String]) -> Vec<Result<ProjectReleases, String>> {
        let now = self.settings.now;
        let entries = match self.cache.get_many(&RELEASES_NAMESPACE, names) {
            Ok(entries) => entries,
            Err(error) => {
                self.warnings
                    .push(format!("cannot read the cache: {error}"));
                names.iter().map(|_| None).collect()
            }
        };
        let cached: Vec<Option<(ProjectReleases, bool, Validators, Timestamp)>> = entries
            .into_iter()
            .map(|entry| {
                let entry = entry?;
                let value = serde_json::from_slice(&entry.payload).ok()?;
                Some((
                    value,
                    entry.is_fresh(now),
                    Validators {
                        etag: entry.etag,
                        last_modified: entry.last_modified,
                    },
                    entry.fetched_at,
                ))
            })
            .collect();
        let mut answers: Vec<Option<Result<ProjectReleases, String>>> = cached
            .iter()
            .map(|cached| match cached {
                Some((value, fresh, _, _)) if *fresh || self.settings.offline => {
                    Some(Ok(value.clone()))
                }
                None if self.settings.offline => Some(Err(
                    "not in the cache (offline run): run the review online once".to_owned(),
                )),
                _ => None,
            })
            .collect();
        self.from_cache += answers.iter().filter(|answer| answer.is_some()).count();
        for (index, name) in names.iter().enumerate() {
            if answers[index].is_some() {
                continue;
            }
            if let Some(kept) = self.known.and_then(|known| known.get(name)) {
                self.fetched += 1;
                let mut freshness = Freshness::new(self.settings.ttl);
                freshness.etag.clone_from(&kept.etag);
                freshness.last_modified.clone_from(&kept.last_modified);
                if let Ok(payload) = serde_json::to_vec(&kept.releases) {
                    self.put(&RELEASES_NAMESPACE, name, &payload, &freshness);
                }
                answers[index] = Some(Ok(kept.releases.clone()));
            } else if let Some(reason) = self.unavailable.get(name) {
                answers[index] = Some(Err(reason.clone()));
            }
        }
        let missing: Vec<usize> = (0..names.len())
            .filter(|&index| answers[index].is_none())
            .collect();
        if !missing.is_empty() {
            let requests: Vec<ProjectRequest> = missing
                .iter()
                .map(|&index| {
                    let validators = cached[index]
                        .as_ref()
                        .map(|(_, _, validators, _)| validators.clone())
                        .unwrap_or_default();
                    ProjectRequest::with_validators(names[index].clone(), validators)
                })
                .collect();
            let fetched = match self.network() {
                Ok(network) => {
                    let fetcher = network.fetcher.clone();
                    network
                        .runtime
                        .block_on(
                            async move { pypi::fetch_project_json(&fetcher, &requests).await },
                        )
                        .into_iter()
                        .map(|answer| answer.map_err(|error| format!("{error}: {}", error.cause)))
                        .collect()
                }
                Err(reason) => missing
                    .iter()
                    .map(|_| Err(reason.clone()))
                    .collect::<Vec<_>>(),
            };
            for (&index, answer) in missing.iter().zip(fetched) {
                let name = &names[index];
                let result = match answer {
                    Ok(PypiAnswer::Fresh {
                        document,
                        etag,
                        last_modified,
                        ..
                    }) => {
                        self.fetched += 1;
                        let releases = ProjectReleases::from_document(name, &document);
                        let mut freshness = Freshness::new(self.settings.ttl);
                        freshness.etag = etag;
                        freshness.last_modified = last_modified;
                        if let Ok(payload) = serde_json::to_vec(&releases) {
                            self.put(&RELEASES_NAMESPACE, name, &payload, &freshness);
                        }
                        // The metadata stage reads the same answer: store its summary too.
                        if let Ok(payload) =
                            serde_json::to_vec(&ProjectSummary::from_document(&document))
                        {
                            self.put(&PROJECT_NAMESPACE, name, &payload, &freshness);
                        }
                        Ok(releases)
                    }
                    Ok(PypiAnswer::NotModified) => match &cached[index] {
                        Some((value, _, _, _)) => {
                            if let Err(error) = self.cache.revalidate(
                                &RELEASES_NAMESPACE,
                                name,
                                &Freshness::new(self.settings.ttl),
                                now,
                            ) {
                                self.warnings
                                    .push(format!("cannot write the cache: {error}"));
                            }
                            Ok(value.clone())
                        }
                        None => Err(format!(
                            "PyPI answered 304 Not Modified for `{name}` but nothing is cached"
                        )),
                    },
                    Ok(PypiAnswer::NotFound) => Err(format!(
                        "PyPI has no project `{name}` ({NOT_ON_PYPI}): removed, renamed, or never \
                         published there"
                    )),
                    Err(reason) => match &cached[index] {
                        Some((value, _, _, fetched_at)) => {
                            self.warnings.push(format!(
                                "`{name}`: PyPI failed ({reason}); using the cached release list \
                                 from {} ms ago",
                                now.duration_since(*fetched_at).as_millis()
                            ));
                            Ok(value.clone())
                        }
                        None => Err(reason),
                    },
                };
                answers[index] = Some(result);
            }
        }
        answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| Err("not looked up".to_owned())))
            .collect()
    }

    fn metadata(
        &mut self,
        requests: &[MetadataRequest],
    ) -> Vec<Result<CoreMetadata, MetadataError>> {
        let keys: Vec<String> = requests
            .iter()
            .map(|request| format!("{}=={}", request.name, request.version))
            .collect();
        let mut answers: Vec<Option<Result<CoreMetadata, MetadataError>>> = self
            .cached_immutable(&CORE_METADATA_NAMESPACE, &keys)
            .into_iter()
            .map(|cached| cached.map(Ok))
            .collect();
        let missing: Vec<usize> = (0..requests.len())
            .filter(|&index| answers[index].is_none())
            .collect();
        if missing.is_empty() {
            return answers.into_iter().flatten().collect();
        }
        if self.settings.offline {
            for &index in &missing {
                answers[index] = Some(Err(MetadataError::unavailable(format!(
                    "core metadata of {} not in the cache (offline run)",
                    keys[index]
                ))));
            }
            return answers.into_iter().flatten().collect();
        }
        let files: Vec<FileRequest> = missing
            .iter()
            .map(|&index| FileRequest {
                subject: keys[index].clone(),
                url: requests[index].file.url.clone(),
            })
            .collect();
        let fetched: Vec<Result<Option<Vec<u8>>, String>> = match self.network() {
            Ok(network) => {
                let fetcher = network.fetcher.clone();
                network
                    .runtime
                    .block_on(async move { pypi::fetch_files(&fetcher, &files).await })
                    .into_iter()
                    .map(|answer| answer.map_err(|error| format!("{error}: {}", error.cause)))
                    .collect()
            }
            Err(reason) => missing.iter().map(|_| Err(reason.clone())).collect(),
        };
        for (&index, answer) in missing.iter().zip(fetched) {
            let request = &requests[index];
            let result = match answer {
                Ok(Some(body)) => {
                    self.fetched += 1;
                    let digest = sha256_hex(&body);
                    match &request.file.sha256 {
                        Some(declared) if *declared != digest => {
                            Err(MetadataError::refused(format!(
                                "the core metadata file {} has SHA-256 {digest}, but the index \
                                 declares {declared}: refused",
                                request.file.url
                            )))
                        }
                        _ => match std::str::from_utf8(&body) {
                            Ok(text) => {
                                let metadata = core_metadata::parse(text);
                                if let Ok(payload) = serde_json::to_vec(&metadata) {
                                    self.put(
                                        &CORE_METADATA_NAMESPACE,
                                        &keys[index],
                                        &payload,
                                        &Freshness::new(CORE_METADATA_TTL),
                                    );
                                }
                                Ok(metadata)
                            }
                            Err(_) => Err(MetadataError::unavailable(format!(
                                "the core metadata file {} is not UTF-8",
                                request.file.url
                            ))),
                        },
                    }
                }
                Ok(None) => Err(MetadataError::unavailable(format!(
                    "the core metadata file {} is not there (404)",
                    request.file.url
                ))),
                Err(reason) => Err(MetadataError::unavailable(reason)),
            };
            answers[index] = Some(result);
        }
        answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|| Err(MetadataError::unavailable("not looked up")))
            })
            .collect()
    }

    fn releases(&mut self, releases: &[(String, String)]) -> Vec<Result<ReleaseJson, String>> {
        let keys: Vec<String> = releases
            .iter()
            .map(|(name, version)| format!("{name}=={version}"))
            .collect();
        let mut answers: Vec<Option<Result<ReleaseJson, String>>> = self
            .cached_immutable(&RELEASE_JSON_NAMESPACE, &keys)
            .into_iter()
            .map(|cached| cached.map(Ok))
            .collect();
        let base =
            crate::redact::redact_text(trim_base(&self.settings.fetch.pypi_url)).into_owned();
        let mut missing = Vec::new();
        for (index, (name, version)) in releases.iter().enumerate() {
            if answers[index].is_some() {
                continue;
            }
            if self.settings.offline {
                answers[index] = Some(Err(format!(
                    "{} not in the cache (offline run)",
                    keys[index]
                )));
            } else if !crate::fetch::is_path_safe(name) || !crate::fetch::is_path_safe(version) {
                // Only names and versions that cannot change the URL's path are put in it.
                answers[index] = Some(Err(format!(
                    "`{}` has characters outside [A-Za-z0-9._-]: not put in a URL",
                    keys[index]
                )));
            } else {
                missing.push(index);
            }
        }
        if missing.is_empty() {
            return answers
                .into_iter()
                .map(|answer| answer.unwrap_or_else(|| Err("not looked up".to_owned())))
                .collect();
        }
        let files: Vec<FileRequest> = missing
            .iter()
            .map(|&index| FileRequest {
                subject: keys[index].clone(),
                url: format!(
                    "{}/pypi/{}/{}/json",
                    trim_base(&self.settings.fetch.pypi_url),
                    releases[index].0,
                    releases[index].1
                ),
            })
            .collect();
        let fetched: Vec<Result<Option<Vec<u8>>, String>> = match self.network() {
            Ok(network) => {
                let fetcher = network.fetcher.clone();
                network
                    .runtime
                    .block_on(async move { pypi::fetch_files(&fetcher, &files).await })
                    .into_iter()
                    .map(|answer| answer.map_err(|error| format!("{error}: {}", error.cause)))
                    .collect()
            }
            Err(reason) => missing.iter().map(|_| Err(reason.clone())).collect(),
        };
        for (&index, answer) in missing.iter().zip(fetched) {
            let (name, version) = &releases[index];
            let url = format!("{base}/pypi/{name}/{version}/json");
            let result = match answer {
                Ok(Some(body)) => match pypi::parse_project_json(&body) {
                    // The answer must be about the release asked for, not another one.
                    Ok(document) if same_version(&document.info.version, version) => {
                        self.fetched += 1;
                        let release = ReleaseJson {
                            requires_dist: document.info.requires_dist,
                            requires_python: document
                                .info
                                .requires_python
                                .filter(|text| !text.trim().is_empty()),
                            url: url.clone(),
                        };
                        if let Ok(payload) = serde_json::to_vec(&release) {
                            self.put(
                                &RELEASE_JSON_NAMESPACE,
                                &keys[index],
                                &payload,
                                &Freshness::new(CORE_METADATA_TTL),
                            );
                        }
                        Ok(release)
                    }
                    Ok(document) => Err(format!(
                        "{url} describes version {}, not {version}",
                        document.info.version
                    )),
                    Err(error) => Err(format!("{url} is not PyPI's release JSON: {error}")),
                },
                Ok(None) => Err(format!("{url} is not there (404)")),
                Err(reason) => Err(reason),
            };
            answers[index] = Some(result);
        }
        answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| Err("not looked up".to_owned())))
            .collect()
    }
}

/// The same PEP 440 version (`1.0` and `1.0.0`), or the same text when either does not parse.
fn same_version(left: &str, right: &str) -> bool {
    use std::str::FromStr;
    match (
        pep440_rs::Version::from_str(left.trim()),
        pep440_rs::Version::from_str(right.trim()),
    ) {
        (Ok(left), Ok(right)) => left == right,
        _ => left.trim() == right.trim(),
    }
}

/// Lowercase hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut text = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
