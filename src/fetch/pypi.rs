//! PyPI project metadata: the JSON API (`GET /pypi/<name>/json`: `info`, every release's files
//! with upload times and yanked flags, `ownership`, `vulnerabilities`) and the Simple repository
//! API in JSON (`GET /simple/<name>/` with `Accept: application/vnd.pypi.simple.v1+json`;
//! PEP 691 files, PEP 700 `upload-time` and `versions`, PEP 792 `project-status`).
//!
//! Conditional requests (`If-None-Match`, `If-Modified-Since`) let a cache revalidate cheaply;
//! `304 Not Modified` is its own answer.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use pep440_rs::Version;
use pyaudit_advisories::normalize_package_name;

use reqwest::header::{ACCEPT, ETAG, HeaderName, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinSet;

use super::http::{FetchError, Fetcher, RequestSpec};
use super::{Source, SourceError, is_path_safe, trim_base};
use super::{filename, links};

/// The media type of the Simple API's JSON form (PEP 691), version 1.
pub const SIMPLE_JSON_MEDIA_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// What a cache remembers of an earlier answer, to ask "has it changed?".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One project to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRequest {
    /// The PEP 503 normalized project name.
    pub name: String,
    pub validators: Validators,
}

impl ProjectRequest {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            validators: Validators::default(),
        }
    }

    pub fn with_validators(name: impl Into<String>, validators: Validators) -> Self {
        Self {
            name: name.into(),
            validators,
        }
    }
}

/// A successful answer for one project.
#[derive(Debug, Clone, PartialEq)]
pub enum PypiAnswer<T> {
    /// A new body: the raw bytes (for the cache), the parsed document and the validators to
    /// send next time.
    Fresh {
        body: Vec<u8>,
        document: T,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// `304`: the caller's copy is current.
    NotModified,
    /// `404`: the index has no such project (removed, or never existed).
    NotFound,
}

/// The answer for one project, or why there is none.
pub type ProjectAnswer<T> = Result<PypiAnswer<T>, SourceError>;

/// `GET /pypi/<name>/json` for each request, concurrently; one answer per request, in order.
pub async fn fetch_project_json(
    fetcher: &Fetcher,
    requests: &[ProjectRequest],
) -> Vec<ProjectAnswer<ProjectJson>> {
    fetch_documents(fetcher, requests, Source::PypiJson, keep, &|| {}).await
}

/// `GET /simple/<name>/` (JSON form) for each request, concurrently; one answer per request,
/// in order.
pub async fn fetch_simple(
    fetcher: &Fetcher,
    requests: &[ProjectRequest],
) -> Vec<ProjectAnswer<SimpleProject>> {
    fetch_documents(fetcher, requests, Source::PypiSimple, keep, &|| {}).await
}

/// [`fetch_project_json`] keeping only what `trim` makes of each document, as it arrives: a run
/// over many projects holds the bodies of the requests in flight, not of every project. The
/// answers carry no `body`. `answered` is called as each answer (or final failure) comes in.
pub async fn fetch_project_json_trimmed<U: Send + 'static>(
    fetcher: &Fetcher,
    requests: &[ProjectRequest],
    trim: fn(ProjectJson) -> U,
    answered: &(dyn Fn() + Sync),
) -> Vec<ProjectAnswer<U>> {
    fetch_documents(
        fetcher,
        requests,
        Source::PypiJson,
        move |answer| trimmed(answer, trim),
        answered,
    )
    .await
}

/// [`fetch_simple`], trimmed as it arrives like [`fetch_project_json_trimmed`].
pub async fn fetch_simple_trimmed<U: Send + 'static>(
    fetcher: &Fetcher,
    requests: &[ProjectRequest],
    trim: fn(SimpleProject) -> U,
    answered: &(dyn Fn() + Sync),
) -> Vec<ProjectAnswer<U>> {
    fetch_documents(
        fetcher,
        requests,
        Source::PypiSimple,
        move |answer| trimmed(answer, trim),
        answered,
    )
    .await
}

fn keep<T>(answer: PypiAnswer<T>) -> PypiAnswer<T> {
    answer
}

fn trimmed<T, U>(answer: PypiAnswer<T>, trim: fn(T) -> U) -> PypiAnswer<U> {
    match answer {
        PypiAnswer::Fresh {
            document,
            etag,
            last_modified,
            ..
        } => PypiAnswer::Fresh {
            body: Vec::new(),
            document: trim(document),
            etag,
            last_modified,
        },
        PypiAnswer::NotModified => PypiAnswer::NotModified,
        PypiAnswer::NotFound => PypiAnswer::NotFound,
    }
}

/// Parses a body of `/pypi/<name>/json` (as stored by the cache).
pub fn parse_project_json(body: &[u8]) -> Result<ProjectJson, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Parses a body of `/simple/<name>/` in JSON form (as stored by the cache).
pub fn parse_simple(body: &[u8]) -> Result<SimpleProject, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The URL and `Accept` of one project's document from `source`.
fn document_url(fetcher: &Fetcher, source: Source, name: &str) -> (String, &'static str) {
    match source {
        Source::PypiSimple => (
            format!("{}/{name}/", fetcher.settings().simple_base()),
            SIMPLE_JSON_MEDIA_TYPE,
        ),
        _ => (
            format!(
                "{}/pypi/{name}/json",
                trim_base(&fetcher.settings().pypi_url)
            ),
            "application/json",
        ),
    }
}

async fn fetch_documents<T, U, F>(
    fetcher: &Fetcher,
    requests: &[ProjectRequest],
    source: Source,
    map: F,
    answered: &(dyn Fn() + Sync),
) -> Vec<ProjectAnswer<U>>
where
    T: IndexDocument + Send + 'static,
    U: Send + 'static,
    F: Fn(PypiAnswer<T>) -> PypiAnswer<U> + Clone + Send + 'static,
{
    let mut tasks = JoinSet::new();
    for (index, request) in requests.iter().enumerate() {
        let (url, accept) = document_url(fetcher, source, &request.name);
        let fetcher = fetcher.clone();
        let request = request.clone();
        let map = map.clone();
        tasks.spawn(async move {
            let answer = fetch_document::<T>(&fetcher, &request, source, url, accept)
                .await
                .map(map);
            (index, answer)
        });
    }
    let mut answers: Vec<Option<ProjectAnswer<U>>> = (0..requests.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        answered();
        if let Ok((index, answer)) = joined {
            answers[index] = Some(answer);
        }
    }
    // Fail closed: a request whose task died still gets an answer.
    answers
        .into_iter()
        .zip(requests)
        .map(|(answer, request)| {
            answer.unwrap_or_else(|| {
                Err(SourceError::new(
                    source,
                    request.name.clone(),
                    FetchError::Transport {
                        url: document_url(fetcher, source, &request.name).0,
                        attempts: 0,
                        message: "the fetch task ended without an answer".to_owned(),
                    },
                ))
            })
        })
        .collect()
}

/// An index answer whose file links are resolved against the answer's own URL when it is read
/// (PEP 503 / PEP 691 allow relative ones), so no consumer ever sees a relative link.
pub trait IndexDocument: DeserializeOwned {
    fn resolve_links(&mut self, base: &reqwest::Url);
    /// The project the document says it is about.
    fn project_name(&self) -> &str;
}

impl IndexDocument for ProjectJson {
    fn project_name(&self) -> &str {
        &self.info.name
    }

    fn resolve_links(&mut self, base: &reqwest::Url) {
        for file in self.releases.values_mut().flatten() {
            // A link that cannot be used (another scheme, not a URL) is dropped: the file is then
            // as good as absent, and nothing tries to fetch it.
            file.url = file
                .url
                .take()
                .and_then(|link| links::resolve_link(base, &link).ok())
                .map(String::from);
        }
    }
}

impl IndexDocument for SimpleProject {
    fn project_name(&self) -> &str {
        &self.name
    }

    fn resolve_links(&mut self, base: &reqwest::Url) {
        // `url` is required here, so an unusable link drops the file entry.
        self.files
            .retain_mut(|file| match links::resolve_link(base, &file.url) {
                Ok(resolved) => {
                    file.url = resolved.into();
                    true
                }
                Err(_) => false,
            });
    }
}

async fn fetch_document<T: IndexDocument>(
    fetcher: &Fetcher,
    request: &ProjectRequest,
    source: Source,
    url: String,
    accept: &'static str,
) -> ProjectAnswer<T> {
    let source_error = |cause| SourceError::new(source, request.name.clone(), cause);
    if !is_path_safe(&request.name) {
        return Err(source_error(FetchError::InvalidRequest {
            url,
            message: "the project name has characters outside [A-Za-z0-9._-]".to_owned(),
        }));
    }
    let mut spec = RequestSpec::get(url).header(ACCEPT, accept);
    let conditional: [(HeaderName, &Option<String>); 2] = [
        (IF_NONE_MATCH, &request.validators.etag),
        (IF_MODIFIED_SINCE, &request.validators.last_modified),
    ];
    for (name, value) in conditional {
        if let Some(value) = value {
            spec = spec.header(name, value.clone());
        }
    }
    let response = fetcher.send(&spec).await.map_err(source_error)?;
    match response.status {
        200 => {
            let mut document: T = serde_json::from_slice(&response.body)
                .map_err(|error| source_error(response.malformed(error)))?;
            // Its releases are read against its own name (a file belongs to the project its
            // filename names), so a page about another project would lend that project's
            // releases, ages and status to this one.
            if normalize_package_name(document.project_name())
                != normalize_package_name(&request.name)
            {
                let named: String = document.project_name().chars().take(100).collect();
                return Err(source_error(response.malformed(format!(
                    "the answer is about another project ({named:?})"
                ))));
            }
            document.resolve_links(&response.final_url);
            Ok(PypiAnswer::Fresh {
                etag: response.header(ETAG),
                last_modified: response.header(LAST_MODIFIED),
                body: response.body,
                document,
            })
        }
        304 => Ok(PypiAnswer::NotModified),
        404 => Ok(PypiAnswer::NotFound),
        _ => Err(source_error(response.unexpected_status())),
    }
}

/// `/pypi/<name>/json`: the fields pyaudit reads. Unknown fields are ignored; the raw body keeps
/// the rest.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProjectJson {
    pub info: ProjectInfo,
    /// Version → its files. Versions without files are listed with an empty list.
    #[serde(default)]
    pub releases: BTreeMap<String, Vec<ReleaseFile>>,
    /// Advisories PyPI knows for the newest release only.
    #[serde(default)]
    pub vulnerabilities: Vec<PypiVulnerability>,
    #[serde(default)]
    pub ownership: Option<Ownership>,
    #[serde(default)]
    pub last_serial: Option<u64>,
}

/// `info`: metadata of the newest release.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProjectInfo {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub summary: Option<String>,
    /// Free-text license (core metadata `License`).
    #[serde(default)]
    pub license: Option<String>,
    /// PEP 639 SPDX expression.
    #[serde(default)]
    pub license_expression: Option<String>,
    #[serde(default)]
    pub classifiers: Vec<String>,
    #[serde(default)]
    pub home_page: Option<String>,
    #[serde(default)]
    pub project_urls: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub requires_python: Option<String>,
    /// The newest release's `Requires-Dist`; `null` when it declares none (or PyPI does not know).
    #[serde(default)]
    pub requires_dist: Option<Vec<String>>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub maintainer: Option<String>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default)]
    pub yanked_reason: Option<String>,
}

/// One file of one release.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReleaseFile {
    pub filename: String,
    #[serde(default)]
    pub packagetype: Option<String>,
    #[serde(default)]
    pub upload_time_iso_8601: Option<String>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default)]
    pub yanked_reason: Option<String>,
    #[serde(default)]
    pub digests: BTreeMap<String, String>,
    #[serde(default)]
    pub requires_python: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub url: Option<String>,
    /// PEP 658 / PEP 714: the file's core metadata is served at `<url>.metadata`; `false` or
    /// absent when not, `true` or the metadata file's hashes (`{"sha256": …}`) when it is.
    #[serde(default, rename = "core-metadata")]
    pub core_metadata: Option<serde_json::Value>,
    /// The PEP 658 name of the same field, before PEP 714 renamed it.
    #[serde(default, rename = "data-dist-info-metadata")]
    pub data_dist_info_metadata: Option<serde_json::Value>,
}

impl ReleaseFile {
    /// Whether the index serves this file's core metadata at `<url>.metadata`, and the SHA-256
    /// it declares for it (when it declares one).
    pub fn core_metadata(&self) -> Option<Option<String>> {
        served_core_metadata(
            self.core_metadata.as_ref(),
            self.data_dist_info_metadata.as_ref(),
        )
    }
}

/// PEP 658 / PEP 714 `core-metadata` (or its older name `data-dist-info-metadata`, read when the
/// new one is absent): `None` when the metadata file is not served, `Some(None)` when it is with
/// no hash declared, `Some(Some(sha256))` (lower case) when the hash is declared.
fn served_core_metadata(
    core_metadata: Option<&serde_json::Value>,
    data_dist_info_metadata: Option<&serde_json::Value>,
) -> Option<Option<String>> {
    match core_metadata.or(data_dist_info_metadata)? {
        serde_json::Value::Bool(true) => Some(None),
        serde_json::Value::Object(hashes) => Some(
            hashes
                .get("sha256")
                .and_then(serde_json::Value::as_str)
                .map(str::to_ascii_lowercase),
        ),
        _ => None,
    }
}

/// One file to fetch by its absolute URL (a distribution's `.metadata` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// What the file is for, for error messages (`name==version`).
    pub subject: String,
    pub url: String,
}

/// `GET` each file, concurrently; one answer per request, in order: the body, or `None` for a
/// `404`. Only `http` and `https` URLs are fetched.
pub async fn fetch_files(
    fetcher: &Fetcher,
    requests: &[FileRequest],
) -> Vec<Result<Option<Vec<u8>>, SourceError>> {
    let mut tasks = JoinSet::new();
    for (index, request) in requests.iter().enumerate() {
        let fetcher = fetcher.clone();
        let request = request.clone();
        tasks.spawn(async move {
            let source_error =
                |cause| SourceError::new(Source::PypiCoreMetadata, request.subject.clone(), cause);
            let scheme_ok =
                request.url.starts_with("https://") || request.url.starts_with("http://");
            let answer = if !scheme_ok {
                Err(source_error(FetchError::InvalidRequest {
                    url: request.url.clone(),
                    message: "only http and https file URLs are fetched".to_owned(),
                }))
            } else {
                match fetcher.send(&RequestSpec::get(request.url.clone())).await {
                    Ok(response) => match response.status {
                        200 => Ok(Some(response.body)),
                        404 => Ok(None),
                        _ => Err(source_error(response.unexpected_status())),
                    },
                    Err(error) => Err(source_error(error)),
                }
            };
            (index, answer)
        });
    }
    let mut answers: Vec<Option<Result<Option<Vec<u8>>, SourceError>>> =
        (0..requests.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, answer)) = joined {
            answers[index] = Some(answer);
        }
    }
    answers
        .into_iter()
        .zip(requests)
        .map(|(answer, request)| {
            answer.unwrap_or_else(|| {
                Err(SourceError::new(
                    Source::PypiCoreMetadata,
                    request.subject.clone(),
                    FetchError::Transport {
                        url: request.url.clone(),
                        attempts: 0,
                        message: "the fetch task ended without an answer".to_owned(),
                    },
                ))
            })
        })
        .collect()
}

/// `ownership`: the organization and the users with roles on the project.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ownership {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub roles: Vec<OwnershipRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnershipRole {
    pub role: String,
    pub user: String,
}

/// An entry of `vulnerabilities` (PyPI's own summary of an OSV advisory).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PypiVulnerability {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub fixed_in: Vec<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
}

/// `/simple/<name>/` in JSON (PEP 691, with PEP 700 and PEP 792 additions).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SimpleProject {
    pub meta: SimpleMeta,
    pub name: String,
    #[serde(default)]
    pub files: Vec<SimpleFile>,
    /// PEP 700 (api-version ≥ 1.1): every version, including those without files.
    #[serde(default)]
    pub versions: Vec<String>,
    /// PEP 792 (api-version ≥ 1.4); absent means `active`.
    #[serde(default, rename = "project-status")]
    pub project_status: Option<ProjectStatus>,
}

impl SimpleProject {
    /// The PEP 792 status, `active` when the index does not say.
    pub fn status(&self) -> &str {
        self.project_status
            .as_ref()
            .map_or("active", |status| status.status.as_str())
    }

    /// The project's releases with their files, as the JSON API's `releases` would list them.
    ///
    /// The Simple API lists files, not releases: a file belongs to the release its filename
    /// names ([`filename::version_of`], as pip and uv read it), matched to the PEP 700
    /// `versions` by PEP 440 equality (`x-1.0.0.tar.gz` is a file of the listed `1.0`), or by
    /// the exact text where a version is listed in two spellings (`0.12.01` and `0.12.1`: two
    /// releases to PyPI). A release is named as `versions` spells it, else as its first file
    /// does; a version that is not PEP 440 matches its own text only. Every listed version is
    /// a release, with or without files; a file whose name gives no version is left out.
    /// Listed versions come first, in their order, then those only files name, as first seen.
    pub fn releases(&self) -> Vec<SimpleRelease<'_>> {
        let mut releases: Vec<SimpleRelease<'_>> = Vec::new();
        // An index can list 100,000 files: each is placed by a lookup, never a scan.
        let mut by_text: HashMap<&str, usize> = HashMap::new();
        let mut by_version: BTreeMap<Version, usize> = BTreeMap::new();
        for text in &self.versions {
            if by_text.contains_key(text.as_str()) {
                continue;
            }
            let index = releases.len();
            releases.push(SimpleRelease {
                version: text.clone(),
                files: Vec::new(),
            });
            by_text.insert(text.as_str(), index);
            if let Ok(version) = Version::from_str(text) {
                by_version.entry(version).or_insert(index);
            }
        }
        for file in &self.files {
            let Some(text) = filename::version_of(&self.name, &file.filename) else {
                continue;
            };
            let index = match by_text.get(text) {
                Some(&index) => index,
                None => {
                    let version = Version::from_str(text).ok();
                    let known = version
                        .as_ref()
                        .and_then(|version| by_version.get(version).copied());
                    known.unwrap_or_else(|| {
                        let index = releases.len();
                        releases.push(SimpleRelease {
                            version: text.to_owned(),
                            files: Vec::new(),
                        });
                        by_text.insert(text, index);
                        if let Some(version) = version {
                            by_version.insert(version, index);
                        }
                        index
                    })
                }
            };
            releases[index].files.push(file);
        }
        releases
    }
}

/// One release of a [`SimpleProject`] and its files.
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleRelease<'a> {
    pub version: String,
    pub files: Vec<&'a SimpleFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SimpleMeta {
    #[serde(rename = "api-version")]
    pub api_version: String,
    #[serde(default, rename = "_last-serial")]
    pub last_serial: Option<String>,
}

/// PEP 792 `project-status`: `active`, `archived`, `quarantined` or `deprecated` (kept as text,
/// so a status added later is reported rather than rejected).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProjectStatus {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One distribution file of the Simple API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SimpleFile {
    pub filename: String,
    pub url: String,
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    #[serde(default, rename = "requires-python")]
    pub requires_python: Option<String>,
    /// PEP 700.
    #[serde(default)]
    pub size: Option<u64>,
    /// PEP 700: ISO 8601 upload time.
    #[serde(default, rename = "upload-time")]
    pub upload_time: Option<String>,
    #[serde(default)]
    pub yanked: Yanked,
    /// PEP 658 / PEP 714, as [`ReleaseFile::core_metadata`]: the file's core metadata is served
    /// at `<url>.metadata`.
    #[serde(default, rename = "core-metadata")]
    pub core_metadata: Option<serde_json::Value>,
    /// The PEP 658 name of the same field, before PEP 714 renamed it.
    #[serde(default, rename = "data-dist-info-metadata")]
    pub data_dist_info_metadata: Option<serde_json::Value>,
}

impl SimpleFile {
    /// Whether the index serves this file's core metadata at `<url>.metadata`, and the SHA-256
    /// it declares for it (when it declares one).
    pub fn core_metadata(&self) -> Option<Option<String>> {
        served_core_metadata(
            self.core_metadata.as_ref(),
            self.data_dist_info_metadata.as_ref(),
        )
    }
}

/// PEP 691 `yanked`: `false`, `true`, or the reason (which means yanked).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Yanked {
    Flag(bool),
    Reason(String),
}

impl Default for Yanked {
    fn default() -> Self {
        Yanked::Flag(false)
    }
}

impl Yanked {
    pub fn is_yanked(&self) -> bool {
        matches!(self, Yanked::Flag(true) | Yanked::Reason(_))
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Yanked::Reason(reason) if !reason.is_empty() => Some(reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_json_with_pep_792_status_and_yank_reasons() {
        let body = br#"{
            "meta": {"api-version": "1.4"},
            "name": "example",
            "project-status": {"status": "quarantined", "reason": "malware"},
            "versions": ["1.0", "1.1"],
            "files": [
                {"filename": "example-1.0.tar.gz", "url": "x", "hashes": {}, "yanked": "broken"},
                {"filename": "example-1.1.tar.gz", "url": "y", "hashes": {}, "yanked": false,
                 "upload-time": "2024-01-01T00:00:00.000000Z"}
            ]
        }"#;
        let project = parse_simple(body).unwrap();
        assert_eq!(project.status(), "quarantined");
        assert_eq!(
            project.project_status.unwrap().reason.as_deref(),
            Some("malware")
        );
        assert!(project.files[0].yanked.is_yanked());
        assert_eq!(project.files[0].yanked.reason(), Some("broken"));
        assert!(!project.files[1].yanked.is_yanked());
        assert_eq!(project.versions, ["1.0", "1.1"]);
    }

    fn simple_file(filename: &str) -> serde_json::Value {
        serde_json::json!({"filename": filename, "url": format!("https://files.example/{filename}")})
    }

    fn simple_project(versions: &[&str], files: &[&str]) -> SimpleProject {
        let body = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "foo-bar",
            "versions": versions,
            "files": files.iter().map(|file| simple_file(file)).collect::<Vec<_>>(),
        });
        parse_simple(body.to_string().as_bytes()).unwrap()
    }

    fn release_files(project: &SimpleProject) -> Vec<(String, Vec<&str>)> {
        project
            .releases()
            .into_iter()
            .map(|release| {
                let files = release
                    .files
                    .iter()
                    .map(|file| file.filename.as_str())
                    .collect();
                (release.version, files)
            })
            .collect()
    }

    #[test]
    fn simple_files_group_into_the_releases_their_names_say() {
        let project = simple_project(
            &["0.12.01", "0.12.1", "1.0", "2.0b1", "3.0"],
            &[
                "foo_bar-1.0.0-py3-none-any.whl",
                "Foo.Bar-1.0.tar.gz",
                "foo-bar-0.12.1.tar.gz",
                "foo_bar-4.0-py3-none-any.whl",
                "foo_bar-2.0b1.tar.gz",
                "foo-bar-not.a.version.tar.gz",
                "foo-bar-4.0.0.tar.gz",
                "other-1.0.tar.gz",
                "foo-bar-1.0-1.noarch.rpm",
                "foo-bar-not.a.version.zip",
            ],
        );
        assert_eq!(
            release_files(&project),
            [
                ("0.12.01".to_owned(), vec![]),
                ("0.12.1".to_owned(), vec!["foo-bar-0.12.1.tar.gz"]),
                (
                    "1.0".to_owned(),
                    vec!["foo_bar-1.0.0-py3-none-any.whl", "Foo.Bar-1.0.tar.gz"]
                ),
                ("2.0b1".to_owned(), vec!["foo_bar-2.0b1.tar.gz"]),
                ("3.0".to_owned(), vec![]),
                (
                    "4.0".to_owned(),
                    vec!["foo_bar-4.0-py3-none-any.whl", "foo-bar-4.0.0.tar.gz"]
                ),
                (
                    "not.a.version".to_owned(),
                    vec!["foo-bar-not.a.version.tar.gz", "foo-bar-not.a.version.zip"]
                ),
            ]
        );
    }

    #[test]
    fn simple_releases_without_a_versions_list_come_from_the_files() {
        let project = simple_project(&[], &["foo_bar-2.0.tar.gz", "foo_bar-1.0.tar.gz"]);
        assert_eq!(
            release_files(&project),
            [
                ("2.0".to_owned(), vec!["foo_bar-2.0.tar.gz"]),
                ("1.0".to_owned(), vec!["foo_bar-1.0.tar.gz"]),
            ]
        );
    }

    /// A hostile index may list a huge number of files: grouping them must not be quadratic.
    #[test]
    fn simple_releases_of_many_files_are_grouped_quickly() {
        let versions: Vec<String> = (0..20_000).map(|index| format!("1.{index}")).collect();
        let files: Vec<String> = (0..20_000)
            .rev()
            .flat_map(|index| {
                [
                    format!("foo_bar-1.{index}.0-py3-none-any.whl"),
                    format!("foo-bar-1.{index}.tar.gz"),
                    format!("foo-bar-2.{index}.tar.gz"),
                ]
            })
            .collect();
        let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let project = simple_project(&versions, &files);
        let started = std::time::Instant::now();
        let releases = project.releases();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(releases.len(), 40_000);
        assert!(
            releases[..20_000]
                .iter()
                .all(|release| release.files.len() == 2)
        );
        assert!(
            releases[20_000..]
                .iter()
                .all(|release| release.files.len() == 1)
        );
        assert_eq!(releases[20_000].version, "2.19999");
    }

    #[test]
    fn core_metadata_of_simple_and_json_files() {
        let simple = |extra: serde_json::Value| {
            let mut file = simple_file("foo_bar-1.0-py3-none-any.whl");
            file.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<SimpleFile>(file)
                .unwrap()
                .core_metadata()
        };
        let json = |extra: serde_json::Value| {
            let mut file = serde_json::json!({"filename": "foo_bar-1.0-py3-none-any.whl"});
            file.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<ReleaseFile>(file)
                .unwrap()
                .core_metadata()
        };
        let cases = [
            (serde_json::json!({}), None),
            (serde_json::json!({"core-metadata": false}), None),
            (serde_json::json!({"core-metadata": true}), Some(None)),
            (
                serde_json::json!({"core-metadata": {"sha256": "ABCD"}}),
                Some(Some("abcd".to_owned())),
            ),
            (
                serde_json::json!({"core-metadata": {"md5": "00"}}),
                Some(None),
            ),
            (
                serde_json::json!({"data-dist-info-metadata": true}),
                Some(None),
            ),
            (
                serde_json::json!({"core-metadata": false, "data-dist-info-metadata": true}),
                None,
            ),
        ];
        for (extra, expected) in cases {
            assert_eq!(simple(extra.clone()), expected, "{extra}");
            assert_eq!(json(extra.clone()), expected, "{extra}");
        }
    }

    #[test]
    fn simple_json_without_status_is_active() {
        let body = br#"{"meta": {"api-version": "1.1"}, "name": "x", "files": []}"#;
        assert_eq!(parse_simple(body).unwrap().status(), "active");
    }
}
