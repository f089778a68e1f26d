//! What installing one package would bring in: its `Requires-Dist` (PEP 508) evaluated for a
//! target Python and platform, each requirement taking the newest release that satisfies it,
//! breadth first. NOTE: this is an approximation of a resolver, not one — the first version
//! chosen for a name is kept (no backtracking); a later requirement that version does not satisfy
//! is reported as a conflict, never silently accepted.
//!
//! Plain data in and out: the releases and core metadata come through the [`Registry`] trait
//! (the command's implementation fetches and caches them; tests use a map), and the result is a
//! plain [`Lockfile`] (a synthetic root holding the request) so the graph, the audit plan, the
//! policy and the reporters work on it unchanged.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, VerbatimUrl,
    VersionOrUrl,
};
use serde::{Deserialize, Serialize};

use super::core_metadata::CoreMetadata;
use crate::fetch::pypi::{ProjectJson, SimpleProject};
use crate::lockfile::{
    Dependency, LockedPackage, Lockfile, LockfileKind, PackageRole, Source, normalize_extra,
    refuse_panicking_name,
};

/// The name of the synthetic root that holds the reviewed request.
pub const ROOT_NAME: &str = "review";

/// The platform a review evaluates markers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Linux,
    Macos,
    Windows,
}

impl Platform {
    /// `(sys_platform, platform_system, os_name, platform_machine)` for CPython on the
    /// platform's most common machine: Linux x86_64, macOS arm64, Windows AMD64.
    pub fn markers(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Platform::Linux => ("linux", "Linux", "posix", "x86_64"),
            Platform::Macos => ("darwin", "Darwin", "posix", "arm64"),
            Platform::Windows => ("win32", "Windows", "nt", "AMD64"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
        }
    }
}

/// The interpreter and platform markers are evaluated for.
#[derive(Debug, Clone)]
pub struct TargetEnvironment {
    /// `3.12`.
    pub python_version: String,
    /// `3.12.0` (`.0` added when only two parts are given).
    pub python_full_version: Version,
    pub platform: Platform,
    pub markers: MarkerEnvironment,
}

impl TargetEnvironment {
    /// CPython `python` (`3.12` or `3.12.4`) on `platform`.
    pub fn new(python: &str, platform: Platform) -> Result<Self, String> {
        let bad = || format!("`--python {python}` is not a Python version like `3.12` or `3.12.4`");
        let version = Version::from_str(python.trim()).map_err(|_| bad())?;
        let release = version.release();
        if version.epoch() != 0
            || version.any_prerelease()
            || version.is_post()
            || !version.local().is_empty()
            || !(2..=3).contains(&release.len())
            || release[0] < 2
        {
            return Err(bad());
        }
        let python_version = format!("{}.{}", release[0], release[1]);
        let full = format!(
            "{}.{}.{}",
            release[0],
            release[1],
            release.get(2).copied().unwrap_or(0)
        );
        let python_full_version = Version::from_str(&full).map_err(|_| bad())?;
        let (sys_platform, platform_system, os_name, platform_machine) = platform.markers();
        let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name,
            platform_machine,
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system,
            platform_version: "",
            python_full_version: &full,
            python_version: &python_version,
            sys_platform,
        })
        .map_err(|_| bad())?;
        Ok(Self {
            python_version,
            python_full_version,
            platform,
            markers,
        })
    }

    /// The marker variables, for reports.
    pub fn marker_values(&self) -> BTreeMap<&'static str, String> {
        let (sys_platform, platform_system, os_name, platform_machine) = self.platform.markers();
        BTreeMap::from([
            ("python_version", self.python_version.clone()),
            ("python_full_version", self.python_full_version.to_string()),
            ("implementation_name", "cpython".to_owned()),
            ("platform_python_implementation", "CPython".to_owned()),
            ("sys_platform", sys_platform.to_owned()),
            ("platform_system", platform_system.to_owned()),
            ("os_name", os_name.to_owned()),
            ("platform_machine", platform_machine.to_owned()),
        ])
    }
}

/// What the resolver needs to know of one project: its releases (trimmed from the JSON API, or
/// from the Simple API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectReleases {
    /// PEP 503 normalized.
    pub name: String,
    /// `info.version`: the release `info_requires_dist` describes (from the Simple API, which
    /// has no `info`, the newest installable release).
    pub info_version: String,
    /// `info.requires_dist` (the newest release only).
    pub info_requires_dist: Option<Vec<String>>,
    pub releases: Vec<ReleaseCandidate>,
}

/// One release, as far as choosing it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseCandidate {
    pub version: String,
    pub files: u32,
    /// Every file is yanked (PEP 592).
    pub yanked: bool,
    /// The files' `requires_python` (a wheel's first).
    pub requires_python: Option<String>,
    /// The earliest upload of its files (unix milliseconds).
    pub uploaded: Option<i64>,
    /// Where its core metadata is served (PEP 658 / 714), a wheel's preferred.
    pub metadata: Option<MetadataFile>,
}

/// A `<file url>.metadata` file and the SHA-256 the index declares for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataFile {
    pub url: String,
    pub sha256: Option<String>,
}

/// What choosing a release reads of one of its files, from either PyPI API.
struct FileFacts<'a> {
    filename: &'a str,
    wheel: bool,
    url: Option<&'a str>,
    core_metadata: Option<Option<String>>,
    requires_python: Option<&'a str>,
    upload_time: Option<&'a str>,
    yanked: bool,
}

impl ReleaseCandidate {
    fn of<'a>(version: String, files: impl Iterator<Item = FileFacts<'a>>) -> Self {
        let mut ordered: Vec<FileFacts<'a>> = files.collect();
        // A pure wheel first, then other wheels, then the rest (sdists).
        ordered.sort_by_key(|file| {
            (
                !file.wheel,
                !file.filename.ends_with("-none-any.whl"),
                file.filename,
            )
        });
        let metadata = ordered.iter().find_map(|file| {
            let sha256 = file.core_metadata.clone()?;
            let url = file.url?;
            Some(MetadataFile {
                url: format!("{url}.metadata"),
                sha256,
            })
        });
        let requires_python = ordered
            .iter()
            .find_map(|file| file.requires_python)
            .filter(|text| !text.trim().is_empty())
            .map(str::to_owned);
        let uploaded = ordered
            .iter()
            .filter_map(|file| file.upload_time)
            .filter_map(crate::time::parse_upload_time)
            .map(pyaudit_cache::Timestamp::unix_millis)
            .min();
        ReleaseCandidate {
            version,
            files: u32::try_from(ordered.len()).unwrap_or(u32::MAX),
            yanked: !ordered.is_empty() && ordered.iter().all(|file| file.yanked),
            requires_python,
            uploaded,
            metadata,
        }
    }
}

impl ProjectReleases {
    /// Trim a `/pypi/<name>/json` answer, whose file URLs the fetch layer has made absolute.
    pub fn from_document(name: &str, document: &ProjectJson) -> Self {
        let releases = document
            .releases
            .iter()
            .map(|(version, files)| {
                ReleaseCandidate::of(
                    version.clone(),
                    files.iter().map(|file| FileFacts {
                        filename: &file.filename,
                        wheel: file.packagetype.as_deref() == Some("bdist_wheel")
                            || file.filename.ends_with(".whl"),
                        url: file.url.as_deref(),
                        core_metadata: file.core_metadata(),
                        requires_python: file.requires_python.as_deref(),
                        upload_time: file.upload_time_iso_8601.as_deref(),
                        yanked: file.yanked,
                    }),
                )
            })
            .collect();
        Self {
            name: name.to_owned(),
            info_version: document.info.version.clone(),
            info_requires_dist: document.info.requires_dist.clone(),
            releases,
        }
    }

    /// Trim a `/simple/<name>/` answer (JSON form, PEP 691 / 700), whose file URLs the fetch
    /// layer has made absolute: the same releases as [`Self::from_document`], read from the
    /// files' names ([`SimpleProject::releases`]). The Simple API carries no `info`, so
    /// `info_version` is the newest release with files that is neither yanked nor a
    /// pre-release (else the newest listed, else empty), and `info_requires_dist` is `None`:
    /// each release's requirements come from its core metadata file.
    pub fn from_simple(name: &str, document: &SimpleProject) -> Self {
        let releases: Vec<ReleaseCandidate> = document
            .releases()
            .into_iter()
            .map(|release| {
                ReleaseCandidate::of(
                    release.version,
                    release.files.into_iter().map(|file| FileFacts {
                        filename: &file.filename,
                        wheel: file.filename.ends_with(".whl"),
                        url: Some(&file.url),
                        core_metadata: file.core_metadata(),
                        requires_python: file.requires_python.as_deref(),
                        upload_time: file.upload_time.as_deref(),
                        yanked: file.yanked.is_yanked(),
                    }),
                )
            })
            .collect();
        let newest = |installable: bool| {
            releases
                .iter()
                .filter(|release| !installable || (release.files > 0 && !release.yanked))
                .filter_map(|release| {
                    let version = Version::from_str(&release.version).ok()?;
                    (!installable || !version.any_prerelease()).then_some((version, release))
                })
                .max_by(|left, right| left.0.cmp(&right.0))
                .map(|(_, release)| release.version.clone())
        };
        let info_version = newest(true).or_else(|| newest(false)).unwrap_or_default();
        Self {
            name: name.to_owned(),
            info_version,
            info_requires_dist: None,
            releases,
        }
    }

    /// Releases uploaded in the `days` before `now_millis`.
    pub fn releases_within(&self, now_millis: i64, days: i64) -> usize {
        let since = now_millis - days * 86_400_000;
        self.releases
            .iter()
            .filter(|release| {
                release
                    .uploaded
                    .is_some_and(|time| time >= since && time <= now_millis)
            })
            .count()
    }
}

/// One core metadata file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRequest {
    pub name: String,
    pub version: String,
    pub file: MetadataFile,
}

/// Why a release's core metadata file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    pub reason: String,
    /// The file was read but refused (its SHA-256 differs from the one the index declares):
    /// its requirements are not trusted, and no other source stands in for them.
    pub refused: bool,
}

impl MetadataError {
    /// Missing or unreachable: the JSON API may stand in for it.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            refused: false,
        }
    }

    pub fn refused(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            refused: true,
        }
    }
}

/// One release's `info` from `GET /pypi/<name>/<version>/json`: its own `Requires-Dist` as PyPI
/// extracted them at upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseJson {
    /// `null` when the release declares none (or PyPI does not know).
    pub requires_dist: Option<Vec<String>>,
    pub requires_python: Option<String>,
    /// Where it was read (credentials removed).
    pub url: String,
}

/// Where releases and requirements come from. Each call is one batch (fetched in parallel).
pub trait Registry {
    /// One answer per name, in order: the project's releases, or why there are none.
    fn projects(&mut self, names: &[String]) -> Vec<Result<ProjectReleases, String>>;
    /// One answer per request, in order.
    fn metadata(
        &mut self,
        requests: &[MetadataRequest],
    ) -> Vec<Result<CoreMetadata, MetadataError>>;
    /// One answer per `(name, version)`, in order: the per-release JSON API's `info`, the
    /// fallback when a release's core metadata file is missing or could not be fetched.
    fn releases(&mut self, releases: &[(String, String)]) -> Vec<Result<ReleaseJson, String>>;
}

/// How far the resolution goes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Levels below the reviewed package that are followed.
    pub max_depth: usize,
    pub max_packages: usize,
    /// The supply-chain cooldown, when it applies: a release uploaded inside it is passed over
    /// for the newest older release that satisfies the same requirement (as
    /// `uv --exclude-newer` does). Taken anyway when no older release satisfies it (the
    /// policy's PA208 then reports it).
    pub cooldown: Option<Cooldown>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 30,
            max_packages: 2_000,
            cooldown: None,
        }
    }
}

/// Releases uploaded after `now_millis - days` are inside the cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooldown {
    pub now_millis: i64,
    pub days: u64,
}

impl Cooldown {
    /// The upload time from which a release is inside the cooldown (exclusive).
    fn cutoff(self) -> i64 {
        let days = i64::try_from(self.days).unwrap_or(i64::MAX / 86_400_000);
        self.now_millis
            .saturating_sub(days.saturating_mul(86_400_000))
    }

    /// Uploaded inside the cooldown (a time after now counts as inside; an unknown time does
    /// not: nothing says the release is new).
    fn holds_back(self, uploaded: Option<i64>) -> bool {
        uploaded.is_some_and(|time| time > self.cutoff())
    }
}

/// A newer release that satisfied the requirement but was passed over: inside the cooldown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldBack {
    /// The release that would have been taken without the cooldown.
    pub newest: String,
    /// Its upload time (unix milliseconds).
    pub uploaded: i64,
    pub cooldown_days: u64,
}

/// Where a package's requirements were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RequirementsFrom {
    /// The synthetic root: the request itself.
    Request,
    /// The release's own core metadata file (PEP 658).
    CoreMetadata { url: String },
    /// `info.requires_dist` of the project JSON (`/pypi/<name>/json`), which describes the
    /// newest release: the chosen one, whose core metadata file is missing or failed.
    ProjectJson {
        /// Why the core metadata file was not used (absent: the index lists none).
        #[serde(skip_serializing_if = "Option::is_none")]
        metadata_failed: Option<String>,
    },
    /// `info.requires_dist` of the release's own JSON (`/pypi/<name>/<version>/json`): the
    /// chosen release is not the newest and its core metadata file is missing or failed.
    ReleaseJson {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        metadata_failed: Option<String>,
    },
    /// Nothing: its dependencies are not known.
    Unknown { reason: String },
}

/// What the resolution knows about one node (parallel to `Lockfile::packages`).
#[derive(Debug, Clone, Serialize)]
pub struct NodeInfo {
    /// 0 for the root, 1 for the reviewed package.
    pub depth: usize,
    pub requirements_from: RequirementsFrom,
    /// Extras of this package that some edge activated.
    pub extras: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    pub yanked: bool,
    /// Upload time of the chosen release (unix milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded: Option<i64>,
    /// The chosen release's own `License-Expression` / `License` (its core metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The chosen release's license fields, when its core metadata was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_license: Option<ReleaseLicense>,
    /// Requirements left out because their markers are false for the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// The newer release passed over because it is inside the cooldown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_back: Option<HeldBack>,
}

/// The license fields of one release's own core metadata file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseLicense {
    /// PEP 639 `License-Expression`.
    pub license_expression: Option<String>,
    /// The free-text `License` (its first line).
    pub license: Option<String>,
    /// The `License ::` classifiers.
    pub classifiers: Vec<String>,
    /// The core metadata file they were read from.
    pub metadata_url: String,
}

/// A requirement that brought nothing in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub requirement: String,
    /// `name==version` of the package that asked, or `review` for the request.
    pub required_by: String,
    pub reason: String,
}

/// The closure of one request.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub request: String,
    /// Root at index 0, the reviewed package at index 1.
    pub lockfile: Lockfile,
    pub nodes: Vec<NodeInfo>,
    pub unresolved: Vec<Unresolved>,
    /// The projects' release lists, by normalized name (cadence facts for the report).
    pub projects: BTreeMap<String, ProjectReleases>,
}

impl Resolution {
    /// The reviewed package (index 1), when it resolved.
    pub fn reviewed(&self) -> Option<&LockedPackage> {
        self.lockfile.packages.get(1)
    }
}

/// Parse the request (`name`, `name==1.2`, `name[extra]>=1,<2`), or say what is wrong.
pub fn parse_request(request: &str) -> Result<Requirement<VerbatimUrl>, String> {
    let text = request.trim();
    if text.is_empty() {
        return Err("give a package name, e.g. `requests` or `requests==2.32.3`".to_owned());
    }
    refuse_panicking_name::<VerbatimUrl>(text)
        .and_then(|()| Requirement::<VerbatimUrl>::from_str(text))
        .map_err(|error| {
            format!(
                "`{request}` is not a package requirement: {}",
                error.message
            )
        })
        .and_then(|requirement| {
            if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
                return Err(format!(
                    "`{request}` names a URL; review takes a PyPI name and version (`name==1.2`)"
                ));
            }
            if !requirement.marker.is_true() {
                return Err(format!(
                    "`{request}` has a marker; give the target with `--python` and `--platform`"
                ));
            }
            Ok(requirement)
        })
}

/// Whether `specifiers` pin one exact version (`==1.2`, `===1.2`): PEP 592 lets such a pin
/// select a yanked release.
fn is_exact_pin(specifiers: &VersionSpecifiers) -> bool {
    specifiers.iter().count() == 1
        && specifiers
            .iter()
            .all(|specifier| matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual))
}

/// The release a requirement takes, and the newer one the cooldown passed over.
#[derive(Debug)]
pub struct Chosen<'a> {
    pub release: &'a ReleaseCandidate,
    pub version: Version,
    pub held_back: Option<HeldBack>,
}

/// The release a requirement takes: the newest that satisfies the specifier and whose
/// `Requires-Python` admits the target, not yanked (unless pinned exactly), not a pre-release
/// (unless the specifier names one, or nothing else satisfies it — as pip does). With a
/// `cooldown`, releases uploaded inside it are passed over when an older release qualifies.
pub fn choose<'a>(
    project: &'a ProjectReleases,
    specifiers: Option<&VersionSpecifiers>,
    python: &Version,
    cooldown: Option<Cooldown>,
) -> Result<Chosen<'a>, String> {
    let exact = specifiers.is_some_and(is_exact_pin);
    let mut matching: Vec<(Version, &ReleaseCandidate)> = project
        .releases
        .iter()
        .filter(|release| release.files > 0)
        .filter_map(|release| {
            Version::from_str(&release.version)
                .ok()
                .map(|version| (version, release))
        })
        .filter(|(version, _)| specifiers.is_none_or(|specifiers| specifiers.contains(version)))
        .collect();
    matching.sort_by(|left, right| right.0.cmp(&left.0));
    let wanted = match specifiers {
        Some(specifiers) => format!("`{}{specifiers}`", project.name),
        None => format!("`{}`", project.name),
    };
    if matching.is_empty() {
        return Err(format!("no release with files matches {wanted}"));
    }
    let python_ok = |release: &ReleaseCandidate| match &release.requires_python {
        Some(text) => VersionSpecifiers::from_str(text)
            .map(|requires| requires.contains(python))
            // An unreadable Requires-Python is ignored, as pip does.
            .unwrap_or(true),
        None => true,
    };
    let prereleases_named = specifiers.is_some_and(|specifiers| {
        specifiers
            .iter()
            .any(|specifier| specifier.version().any_prerelease())
    });
    let eligible = |allow_pre: bool, cooled: bool| {
        matching.iter().find(|(version, release)| {
            (allow_pre || !version.any_prerelease())
                && (exact || !release.yanked)
                && python_ok(release)
                && !(cooled
                    && cooldown.is_some_and(|cooldown| cooldown.holds_back(release.uploaded)))
        })
    };
    let pick =
        |cooled: bool| eligible(prereleases_named, cooled).or_else(|| eligible(true, cooled));
    if let Some((version, release)) = pick(false) {
        // The newest qualifying release, unless it is inside the cooldown and an older one
        // qualifies too.
        let held_back = cooldown
            .filter(|cooldown| cooldown.holds_back(release.uploaded))
            .and_then(|cooldown| {
                let (older, older_release) = pick(true)?;
                Some((
                    older,
                    older_release,
                    HeldBack {
                        newest: version.to_string(),
                        uploaded: release.uploaded?,
                        cooldown_days: cooldown.days,
                    },
                ))
            });
        return Ok(match held_back {
            Some((older, older_release, held_back)) => Chosen {
                release: older_release,
                version: older.clone(),
                held_back: Some(held_back),
            },
            None => Chosen {
                release,
                version: version.clone(),
                held_back: None,
            },
        });
    }
    let newest = &matching[0];
    if matching.iter().all(|(_, release)| release.yanked) {
        return Err(format!(
            "every release matching {wanted} is yanked (newest {})",
            newest.0
        ));
    }
    Err(format!(
        "no release matching {wanted} supports Python {python} (newest {} requires Python `{}`)",
        newest.0,
        newest.1.requires_python.as_deref().unwrap_or("any")
    ))
}

struct Pending {
    parent: usize,
    via_extra: Option<String>,
    requirement: Requirement<VerbatimUrl>,
    text: String,
    depth: usize,
}

#[derive(Default)]
struct NodeState {
    requirements: Option<Vec<(String, Requirement<VerbatimUrl>)>>,
    main_expanded: bool,
}

/// Resolve `request` for `environment`.
pub fn resolve(
    request: &str,
    environment: &TargetEnvironment,
    limits: Limits,
    registry: &mut dyn Registry,
) -> Result<Resolution, String> {
    let root_requirement = parse_request(request)?;
    let mut resolver = Resolver::new(environment, limits)?;
    let mut pending = vec![Pending {
        parent: 0,
        via_extra: None,
        text: request.trim().to_owned(),
        requirement: root_requirement,
        depth: 1,
    }];
    // Level by level: every request of a level goes out in one batch.
    while !pending.is_empty() {
        resolver.look_up_projects(&pending, registry);
        let (new_nodes, expand) = resolver.choose_releases(std::mem::take(&mut pending));
        let fallbacks = resolver.read_core_metadata(&new_nodes, registry);
        resolver.read_json_requirements(fallbacks, registry);
        pending = resolver.next_level(expand);
    }
    Ok(resolver.finish(request))
}

/// A requirement chosen for a package, whose sections (`None`: its main requirements; `Some`:
/// an extra) are still to be followed, at its depth.
type Expansion = (usize, Vec<Option<String>>, usize);

/// The closure as it grows: the packages chosen so far (index 0 is the request's synthetic
/// root), what is known of each, and what could not be resolved.
struct Resolver<'a> {
    environment: &'a TargetEnvironment,
    limits: Limits,
    packages: Vec<LockedPackage>,
    nodes: Vec<NodeInfo>,
    states: Vec<NodeState>,
    by_name: HashMap<String, usize>,
    projects: BTreeMap<String, Result<ProjectReleases, String>>,
    unresolved: Vec<Unresolved>,
}

impl<'a> Resolver<'a> {
    fn new(environment: &'a TargetEnvironment, limits: Limits) -> Result<Self, String> {
        let root_name =
            PackageName::new(ROOT_NAME.to_owned()).map_err(|error| error.to_string())?;
        Ok(Self {
            environment,
            limits,
            packages: vec![new_package(root_name, None, PackageRole::Synthetic)],
            nodes: vec![NodeInfo {
                depth: 0,
                requirements_from: RequirementsFrom::Request,
                extras: BTreeSet::new(),
                requires_python: None,
                yanked: false,
                uploaded: None,
                license: None,
                release_license: None,
                skipped: Vec::new(),
                held_back: None,
            }],
            states: vec![NodeState::default()],
            by_name: HashMap::new(),
            projects: BTreeMap::new(),
            unresolved: Vec::new(),
        })
    }

    /// Step 1: the projects this level names and nobody looked up yet, in one batch.
    fn look_up_projects(&mut self, pending: &[Pending], registry: &mut dyn Registry) {
        let wanted: Vec<String> = pending
            .iter()
            .filter(|pending| pending.depth <= self.limits.max_depth)
            .map(|pending| pending.requirement.name.to_string())
            .filter(|name| !self.projects.contains_key(name) && !self.by_name.contains_key(name))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !wanted.is_empty() {
            for (name, answer) in wanted.iter().zip(registry.projects(&wanted)) {
                self.projects.insert(name.clone(), answer);
            }
        }
    }

    /// Step 2: a release for each requirement (the package chosen earlier for a name already seen);
    /// the edges connected. Returns the new packages and the sections to follow.
    fn choose_releases(&mut self, pending: Vec<Pending>) -> (Vec<usize>, Vec<Expansion>) {
        let mut new_nodes: Vec<usize> = Vec::new();
        let mut expand: Vec<Expansion> = Vec::new();
        for item in pending {
            let required_by = label(&self.packages[item.parent]);
            let target = match self.target_of(&item) {
                Ok(Target::Known(index)) => index,
                Ok(Target::New(index)) => {
                    new_nodes.push(index);
                    index
                }
                Err(reason) => {
                    self.unresolved.push(Unresolved {
                        requirement: item.text.clone(),
                        required_by,
                        reason,
                    });
                    continue;
                }
            };
            if let Some(sections) = self.connect(&item, target) {
                expand.push((target, sections, item.depth));
            }
        }
        (new_nodes, expand)
    }

    /// The package a requirement resolves to: the one chosen earlier for its name (a conflict
    /// is recorded, the edge still made), else a newly chosen release.
    fn target_of(&mut self, item: &Pending) -> Result<Target, String> {
        let name = item.requirement.name.to_string();
        let specifiers = match &item.requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
            Some(VersionOrUrl::Url(url)) => {
                return Err(format!(
                    "a direct URL requirement ({url}): not followed; review that source by hand"
                ));
            }
            None => None,
        };
        if let Some(&index) = self.by_name.get(&name) {
            if let (Some(specifiers), Some(version)) = (specifiers, &self.packages[index].version)
                && !specifiers.contains(version)
            {
                self.unresolved.push(Unresolved {
                    requirement: item.text.clone(),
                    required_by: label(&self.packages[item.parent]),
                    reason: format!(
                        "conflict: {version} was already chosen for `{name}` (by an earlier \
                         requirement) and does not satisfy this one; a real resolver might pick \
                         other versions"
                    ),
                });
            }
            return Ok(Target::Known(index));
        }
        if item.depth > self.limits.max_depth {
            return Err(format!(
                "deeper than {} levels: not followed",
                self.limits.max_depth
            ));
        }
        if self.packages.len() > self.limits.max_packages {
            return Err(format!(
                "more than {} packages: not followed",
                self.limits.max_packages
            ));
        }
        let project = match self.projects.get(&name) {
            Some(Ok(project)) => project,
            Some(Err(reason)) => return Err(reason.clone()),
            None => return Err("the project was not looked up".to_owned()),
        };
        let Chosen {
            release,
            version,
            held_back,
        } = choose(
            project,
            specifiers,
            &self.environment.python_full_version,
            self.limits.cooldown,
        )?;
        let node = NodeInfo {
            depth: item.depth,
            requirements_from: RequirementsFrom::Unknown {
                reason: "not read yet".to_owned(),
            },
            extras: BTreeSet::new(),
            requires_python: release.requires_python.clone(),
            yanked: release.yanked,
            uploaded: release.uploaded,
            license: None,
            release_license: None,
            skipped: Vec::new(),
            held_back,
        };
        let index = self.packages.len();
        self.packages.push(new_package(
            item.requirement.name.clone(),
            Some(version),
            PackageRole::Package,
        ));
        self.nodes.push(node);
        self.states.push(NodeState::default());
        self.by_name.insert(name, index);
        Ok(Target::New(index))
    }

    /// The edge from the requirement's parent to `target`, and the sections of `target` this
    /// requirement is the first to ask for (its main requirements, new extras).
    fn connect(&mut self, item: &Pending, target: usize) -> Option<Vec<Option<String>>> {
        let extras: Vec<String> = item
            .requirement
            .extras
            .iter()
            .map(|extra| normalize_extra(extra.as_ref()))
            .collect();
        let edge = Dependency {
            package: target,
            extras: extras.clone(),
            marker: item.requirement.marker.try_to_string(),
        };
        let parent = &mut self.packages[item.parent];
        let edges = match &item.via_extra {
            None => &mut parent.dependencies,
            Some(extra) => parent
                .optional_dependencies
                .entry(extra.clone())
                .or_default(),
        };
        if !edges.contains(&edge) {
            edges.push(edge);
        }
        let mut sections = Vec::new();
        if !self.states[target].main_expanded {
            self.states[target].main_expanded = true;
            sections.push(None);
        }
        for extra in extras {
            if self.nodes[target].extras.insert(extra.clone()) {
                sections.push(Some(extra));
            }
        }
        (!sections.is_empty()).then_some(sections)
    }

    /// The project's answer and the chosen version of a package, when the project was found.
    fn chosen(&self, index: usize) -> Option<(String, String, &ProjectReleases)> {
        let package = &self.packages[index];
        let name = package.name.to_string();
        let version = package
            .version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let Some(Ok(project)) = self.projects.get(&name) else {
            return None;
        };
        Some((name, version, project))
    }

    /// Step 3a: the new packages' requirements from their core metadata files (PEP 658), in one
    /// batch. Returns the packages left for the JSON API: (node, why the metadata file was not
    /// used; `None`: the index lists none).
    fn read_core_metadata(
        &mut self,
        new_nodes: &[usize],
        registry: &mut dyn Registry,
    ) -> Vec<(usize, Option<String>)> {
        let mut requests = Vec::new();
        let mut requested_for = Vec::new();
        let mut fallbacks: Vec<(usize, Option<String>)> = Vec::new();
        for &index in new_nodes {
            let Some((name, version, project)) = self.chosen(index) else {
                continue;
            };
            let chosen_version = self.packages[index].version.clone();
            let release = project
                .releases
                .iter()
                .find(|release| Version::from_str(&release.version).ok() == chosen_version);
            match release.and_then(|release| release.metadata.clone()) {
                Some(file) => {
                    requests.push(MetadataRequest {
                        name,
                        version,
                        file,
                    });
                    requested_for.push(index);
                }
                None => fallbacks.push((index, None)),
            }
        }
        if requests.is_empty() {
            return fallbacks;
        }
        let answers = registry.metadata(&requests);
        for ((index, request), answer) in requested_for.into_iter().zip(&requests).zip(answers) {
            match answer {
                Ok(metadata) => self.take_core_metadata(index, request, &metadata),
                // A refused file (its digest differs from the index's) is not replaced by
                // another source: what it lists is not trusted, and neither is the release.
                Err(error) if error.refused => {
                    self.unresolved.push(Unresolved {
                        requirement: format!(
                            "dependencies of {}=={}",
                            request.name, request.version
                        ),
                        required_by: format!("{}=={}", request.name, request.version),
                        reason: error.reason.clone(),
                    });
                    self.nodes[index].requirements_from = RequirementsFrom::Unknown {
                        reason: error.reason,
                    };
                }
                Err(error) => fallbacks.push((index, Some(error.reason))),
            }
        }
        fallbacks
    }

    fn take_core_metadata(
        &mut self,
        index: usize,
        request: &MetadataRequest,
        metadata: &CoreMetadata,
    ) {
        self.states[index].requirements = Some(parse_requirements(
            &metadata.requires_dist,
            &format!("{}=={}", request.name, request.version),
            &mut self.unresolved,
        ));
        let node = &mut self.nodes[index];
        if let Some(requires_python) = metadata.requires_python.clone() {
            node.requires_python = Some(requires_python);
        }
        node.license = metadata
            .license_expression
            .clone()
            .or(metadata.license.clone());
        node.release_license = Some(ReleaseLicense {
            license_expression: metadata.license_expression.clone(),
            license: metadata.license.clone(),
            classifiers: metadata
                .classifiers
                .iter()
                .filter(|classifier| classifier.starts_with("License ::"))
                .cloned()
                .collect(),
            metadata_url: request.file.url.clone(),
        });
        node.requirements_from = RequirementsFrom::CoreMetadata {
            url: request.file.url.clone(),
        };
    }

    /// Step 3b: for a release without a usable metadata file, the JSON API's `info.requires_dist`:
    /// the project JSON's for the newest release, the release's own JSON (one batch) for an
    /// older one.
    fn read_json_requirements(
        &mut self,
        fallbacks: Vec<(usize, Option<String>)>,
        registry: &mut dyn Registry,
    ) {
        let mut release_requests: Vec<(String, String)> = Vec::new();
        let mut release_for: Vec<(usize, Option<String>)> = Vec::new();
        for (index, metadata_failed) in fallbacks {
            let Some((name, version, project)) = self.chosen(index) else {
                continue;
            };
            let newest = Version::from_str(&project.info_version).ok();
            if newest.is_some() && newest.as_ref() == self.packages[index].version.as_ref() {
                let requires_dist = project.info_requires_dist.clone().unwrap_or_default();
                self.states[index].requirements = Some(parse_requirements(
                    &requires_dist,
                    &format!("{name}=={version}"),
                    &mut self.unresolved,
                ));
                self.nodes[index].requirements_from =
                    RequirementsFrom::ProjectJson { metadata_failed };
            } else {
                release_requests.push((name, version));
                release_for.push((index, metadata_failed));
            }
        }
        if release_requests.is_empty() {
            return;
        }
        let answers = registry.releases(&release_requests);
        for (((index, metadata_failed), (name, version)), answer) in
            release_for.into_iter().zip(&release_requests).zip(answers)
        {
            match answer {
                Ok(release) => {
                    self.states[index].requirements = Some(parse_requirements(
                        release.requires_dist.as_deref().unwrap_or_default(),
                        &format!("{name}=={version}"),
                        &mut self.unresolved,
                    ));
                    if let Some(requires_python) = release.requires_python.clone() {
                        self.nodes[index].requires_python = Some(requires_python);
                    }
                    self.nodes[index].requirements_from = RequirementsFrom::ReleaseJson {
                        url: release.url,
                        metadata_failed,
                    };
                }
                Err(json_failed) => {
                    let reason = match metadata_failed {
                        Some(metadata_failed) => format!(
                            "{metadata_failed}; and PyPI's JSON for {name}=={version}: \
                             {json_failed}"
                        ),
                        None => format!(
                            "no core metadata file for {name}=={version}, and PyPI's JSON \
                             for it: {json_failed}"
                        ),
                    };
                    self.unresolved.push(Unresolved {
                        requirement: format!("dependencies of {name}=={version}"),
                        required_by: format!("{name}=={version}"),
                        reason: reason.clone(),
                    });
                    self.nodes[index].requirements_from = RequirementsFrom::Unknown { reason };
                }
            }
        }
    }

    /// Step 4, the next level: the requirements of each section to follow whose markers hold for
    /// the target environment.
    fn next_level(&mut self, expand: Vec<Expansion>) -> Vec<Pending> {
        let markers = &self.environment.markers;
        let mut pending = Vec::new();
        for (index, sections, depth) in expand {
            let Some(requirements) = &self.states[index].requirements else {
                continue;
            };
            for section in sections {
                for (text, requirement) in requirements {
                    let taken = match &section {
                        None => {
                            let taken = requirement.evaluate_markers(markers, &[]);
                            if !taken
                                && !requirement
                                    .marker
                                    .try_to_string()
                                    .is_some_and(|marker| marker.contains("extra"))
                            {
                                self.nodes[index].skipped.push(text.clone());
                            }
                            taken
                        }
                        Some(extra) => {
                            let Ok(extra_name) = ExtraName::from_str(extra) else {
                                continue;
                            };
                            requirement.evaluate_markers(markers, &[extra_name])
                                && !requirement.evaluate_markers(markers, &[])
                        }
                    };
                    if taken {
                        pending.push(Pending {
                            parent: index,
                            via_extra: section.clone(),
                            requirement: requirement.clone(),
                            text: text.clone(),
                            depth: depth + 1,
                        });
                    }
                }
            }
        }
        pending
    }

    fn finish(self, request: &str) -> Resolution {
        let projects = self
            .projects
            .into_iter()
            .filter_map(|(name, answer)| answer.ok().map(|project| (name, project)))
            .collect();
        Resolution {
            request: request.trim().to_owned(),
            lockfile: Lockfile {
                path: PathBuf::from(format!("review of {}", request.trim())),
                kind: LockfileKind::Requirements,
                packages: self.packages,
                roots: vec![0],
                warnings: Vec::new(),
                options: Vec::new(),
                unread: Vec::new(),
            },
            nodes: self.nodes,
            unresolved: self.unresolved,
            projects,
        }
    }
}

enum Target {
    /// Chosen earlier for this name.
    Known(usize),
    /// Chosen now.
    New(usize),
}

fn new_package(name: PackageName, version: Option<Version>, role: PackageRole) -> LockedPackage {
    LockedPackage {
        name,
        version,
        source: Source::Registry { url: None },
        specifier: None,
        role,
        location: None,
        hashes: 0,
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    }
}

/// `name==version`, or the root's name.
fn label(package: &LockedPackage) -> String {
    match &package.version {
        Some(version) => format!("{}=={version}", package.name),
        None => package.name.to_string(),
    }
}

/// The requirement lines that parse; the others are reported as unresolved.
fn parse_requirements(
    lines: &[String],
    required_by: &str,
    unresolved: &mut Vec<Unresolved>,
) -> Vec<(String, Requirement<VerbatimUrl>)> {
    let mut parsed = Vec::new();
    for line in lines {
        match parse_requirement(line) {
            Ok(requirement) => parsed.push((line.clone(), requirement)),
            Err(message) => unresolved.push(Unresolved {
                requirement: line.clone(),
                required_by: required_by.to_owned(),
                reason: format!("not a PEP 508 requirement: {message}"),
            }),
        }
    }
    parsed
}

/// One `Requires-Dist` line.
pub fn parse_requirement(line: &str) -> Result<Requirement<VerbatimUrl>, String> {
    refuse_panicking_name::<VerbatimUrl>(line)
        .and_then(|()| Requirement::<VerbatimUrl>::from_str(line))
        .map_err(|error| error.message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(version: &str, yanked: bool, requires_python: Option<&str>) -> ReleaseCandidate {
        ReleaseCandidate {
            version: version.to_owned(),
            files: 1,
            yanked,
            requires_python: requires_python.map(str::to_owned),
            uploaded: None,
            metadata: None,
        }
    }

    fn project(releases: Vec<ReleaseCandidate>) -> ProjectReleases {
        ProjectReleases {
            name: "demo".to_owned(),
            info_version: "9".to_owned(),
            info_requires_dist: None,
            releases,
        }
    }

    fn pick(
        project: &ProjectReleases,
        specifiers: Option<&str>,
        python: &str,
    ) -> Result<String, String> {
        let specifiers = specifiers.map(|text| VersionSpecifiers::from_str(text).unwrap());
        choose(
            project,
            specifiers.as_ref(),
            &Version::from_str(python).unwrap(),
            None,
        )
        .map(|chosen| chosen.version.to_string())
    }

    fn simple(versions: &[&str], files: serde_json::Value) -> SimpleProject {
        let body = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "versions": versions,
            "files": files,
        });
        crate::fetch::pypi::parse_simple(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn simple_api_releases_read_like_the_json_api() {
        let document = simple(
            &["1.0", "1.1", "2.0", "3.0rc1"],
            serde_json::json!([
                {"filename": "demo-1.0.tar.gz", "url": "https://f.example/demo-1.0.tar.gz",
                 "requires-python": ">=3.6", "upload-time": "2020-01-02T00:00:00.000000Z",
                 "core-metadata": true},
                {"filename": "demo-1.0-cp39-cp39-win32.whl",
                 "url": "https://f.example/demo-1.0-cp39-cp39-win32.whl",
                 "requires-python": " ", "upload-time": "2020-01-01T00:00:00.000000Z",
                 "core-metadata": {"sha256": "AA"}},
                {"filename": "demo-1.0-py3-none-any.whl",
                 "url": "https://f.example/demo-1.0-py3-none-any.whl",
                 "requires-python": ">=3.8", "data-dist-info-metadata": {"sha256": "BB"}},
                {"filename": "demo-2.0.tar.gz", "url": "https://f.example/demo-2.0.tar.gz",
                 "yanked": "broken"},
                {"filename": "demo-3.0rc1.tar.gz", "url": "https://f.example/demo-3.0rc1.tar.gz"}
            ]),
        );
        let releases = ProjectReleases::from_simple("demo", &document);
        assert_eq!(releases.name, "demo");
        // 2.0 is yanked and 3.0rc1 a pre-release; 1.1 has no files.
        assert_eq!(releases.info_version, "1.0");
        assert_eq!(releases.info_requires_dist, None);
        let versions: Vec<&str> = releases
            .releases
            .iter()
            .map(|release| release.version.as_str())
            .collect();
        assert_eq!(versions, ["1.0", "1.1", "2.0", "3.0rc1"]);
        assert_eq!(
            releases.releases[0],
            ReleaseCandidate {
                version: "1.0".to_owned(),
                files: 3,
                yanked: false,
                // The pure wheel's, first in the wheel-first order.
                requires_python: Some(">=3.8".to_owned()),
                uploaded: Some(1_577_836_800_000),
                metadata: Some(MetadataFile {
                    url: "https://f.example/demo-1.0-py3-none-any.whl.metadata".to_owned(),
                    sha256: Some("bb".to_owned()),
                }),
            }
        );
        assert_eq!(releases.releases[1].files, 0);
        assert!(!releases.releases[1].yanked);
        assert!(releases.releases[2].yanked);
        assert_eq!(releases.releases[2].metadata, None);
    }

    #[test]
    fn simple_api_newest_release_without_an_installable_one() {
        let only_yanked = simple(
            &["1.0", "2.0"],
            serde_json::json!([
                {"filename": "demo-1.0.tar.gz", "url": "https://f.example/a", "yanked": true}
            ]),
        );
        assert_eq!(
            ProjectReleases::from_simple("demo", &only_yanked).info_version,
            "2.0"
        );
        let nothing = simple(&["not a version"], serde_json::json!([]));
        assert_eq!(
            ProjectReleases::from_simple("demo", &nothing).info_version,
            ""
        );
    }

    #[test]
    fn release_selection() {
        let demo = project(vec![
            candidate("1.0", false, None),
            candidate("1.1", false, Some(">=3.8")),
            candidate("1.2", true, None),
            candidate("2.0", false, Some(">=3.13")),
            candidate("2.1b1", false, None),
            ReleaseCandidate {
                files: 0,
                ..candidate("3.0", false, None)
            },
        ]);
        // Newest final, not yanked, Python-compatible, with files.
        assert_eq!(pick(&demo, None, "3.12.0").unwrap(), "1.1");
        assert_eq!(pick(&demo, None, "3.13.0").unwrap(), "2.0");
        assert_eq!(pick(&demo, Some("<1.1"), "3.12.0").unwrap(), "1.0");
        // An exact pin may take a yanked release (PEP 592); a range may not.
        assert_eq!(pick(&demo, Some("==1.2"), "3.12.0").unwrap(), "1.2");
        assert!(
            pick(&demo, Some(">1.1,<2"), "3.12.0")
                .unwrap_err()
                .contains("yanked")
        );
        // Pre-releases when named, or when nothing else satisfies.
        assert_eq!(pick(&demo, Some(">=2.1b1"), "3.12.0").unwrap(), "2.1b1");
        assert_eq!(pick(&demo, Some(">2.0"), "3.13.0").unwrap(), "2.1b1");
        // Nothing for this Python.
        let error = pick(&demo, Some("==2.0"), "3.12.0").unwrap_err();
        assert!(
            error.contains("Python 3.12.0") && error.contains(">=3.13"),
            "{error}"
        );
        assert!(
            pick(&demo, Some(">=4"), "3.12.0")
                .unwrap_err()
                .contains("no release")
        );
    }

    #[test]
    fn the_cooldown_takes_the_newest_release_outside_it() {
        const DAY: i64 = 86_400_000;
        let now = 1_000 * DAY;
        let uploaded = |version: &str, days_ago: i64| ReleaseCandidate {
            uploaded: Some(now - days_ago * DAY),
            ..candidate(version, false, None)
        };
        let demo = project(vec![
            uploaded("1.0", 400),
            uploaded("1.1", 30),
            uploaded("1.2", 3),
        ]);
        let cooldown = Some(Cooldown {
            now_millis: now,
            days: 7,
        });
        let python = Version::from_str("3.12.0").unwrap();
        let pick = |specifiers: Option<&str>| {
            let specifiers = specifiers.map(|text| VersionSpecifiers::from_str(text).unwrap());
            let chosen = choose(&demo, specifiers.as_ref(), &python, cooldown).unwrap();
            (chosen.version.to_string(), chosen.held_back)
        };
        // 1.2 is 3 days old: 1.1 is taken, and 1.2 named as held back.
        let (version, held_back) = pick(None);
        assert_eq!(version, "1.1");
        let held_back = held_back.unwrap();
        assert_eq!(held_back.newest, "1.2");
        assert_eq!(held_back.cooldown_days, 7);
        assert_eq!(held_back.uploaded, now - 3 * DAY);
        // Only 1.2 satisfies: it is taken (the policy's PA208 reports it), nothing held back.
        assert_eq!(pick(Some(">=1.2")), ("1.2".to_owned(), None));
        // The newest release is outside the cooldown: nothing changes.
        assert_eq!(pick(Some("<1.2")), ("1.1".to_owned(), None));
        // Without a cooldown the newest is taken.
        let chosen = choose(&demo, None, &python, None).unwrap();
        assert_eq!(
            (chosen.version.to_string(), chosen.held_back),
            ("1.2".to_owned(), None)
        );
    }

    #[test]
    fn environments() {
        let linux = TargetEnvironment::new("3.12", Platform::Linux).unwrap();
        assert_eq!(linux.python_full_version.to_string(), "3.12.0");
        let windows = TargetEnvironment::new("3.9.7", Platform::Windows).unwrap();
        assert_eq!(windows.python_version, "3.9");
        let requirement =
            parse_requirement("x; sys_platform == 'win32' and python_version < '3.10'").unwrap();
        assert!(requirement.evaluate_markers(&windows.markers, &[]));
        assert!(!requirement.evaluate_markers(&linux.markers, &[]));
        for bad in [
            "",
            "three",
            "3",
            "3.12rc1",
            "1!3.12",
            "3.12.0.1",
            "3.12+local",
        ] {
            assert!(
                TargetEnvironment::new(bad, Platform::Linux).is_err(),
                "{bad}"
            );
        }
    }

    /// A registry in memory: releases and METADATA requirements by name.
    struct Memory {
        projects: BTreeMap<&'static str, Vec<(&'static str, Vec<&'static str>)>>,
        batches: Vec<usize>,
    }

    impl Registry for Memory {
        fn projects(&mut self, names: &[String]) -> Vec<Result<ProjectReleases, String>> {
            self.batches.push(names.len());
            names
                .iter()
                .map(|name| {
                    let releases = self
                        .projects
                        .get(name.as_str())
                        .ok_or_else(|| format!("no project `{name}`"))?;
                    Ok(ProjectReleases {
                        name: name.clone(),
                        info_version: releases
                            .last()
                            .map(|(version, _)| version.to_string())
                            .unwrap_or_default(),
                        info_requires_dist: None,
                        releases: releases
                            .iter()
                            .map(|(version, _)| ReleaseCandidate {
                                metadata: Some(MetadataFile {
                                    url: format!("mem://{name}/{version}"),
                                    sha256: None,
                                }),
                                ..candidate(version, false, None)
                            })
                            .collect(),
                    })
                })
                .collect()
        }

        fn metadata(
            &mut self,
            requests: &[MetadataRequest],
        ) -> Vec<Result<CoreMetadata, MetadataError>> {
            requests
                .iter()
                .map(|request| {
                    let releases = &self.projects[request.name.as_str()];
                    let (_, requires) = releases
                        .iter()
                        .find(|(version, _)| *version == request.version)
                        .ok_or_else(|| MetadataError::unavailable("no such release"))?;
                    Ok(CoreMetadata {
                        requires_dist: requires.iter().map(|text| text.to_string()).collect(),
                        ..CoreMetadata::default()
                    })
                })
                .collect()
        }

        fn releases(&mut self, releases: &[(String, String)]) -> Vec<Result<ReleaseJson, String>> {
            releases
                .iter()
                .map(|_| Err("no per-release JSON in memory".to_owned()))
                .collect()
        }
    }

    #[test]
    fn closure_with_cycle_conflict_and_depth_limit() {
        let mut registry = Memory {
            projects: BTreeMap::from([
                ("a", vec![("1.0", vec!["b", "c>=2"])]),
                (
                    "b",
                    vec![("1.0", vec!["a", "c<2"]), ("2.0", vec!["a", "c<2", "d"])],
                ),
                ("c", vec![("1.0", vec![]), ("2.0", vec![])]),
                ("d", vec![("1.0", vec!["e"])]),
                ("e", vec![("1.0", vec![])]),
            ]),
            batches: Vec::new(),
        };
        let environment = TargetEnvironment::new("3.12", Platform::Linux).unwrap();
        let resolution = resolve(
            "a",
            &environment,
            Limits {
                max_depth: 3,
                max_packages: 100,
                cooldown: None,
            },
            &mut registry,
        )
        .unwrap();
        let names: Vec<String> = resolution
            .lockfile
            .packages
            .iter()
            .map(|package| match &package.version {
                Some(version) => format!("{}=={version}", package.name),
                None => package.name.to_string(),
            })
            .collect();
        assert_eq!(names, ["review", "a==1.0", "b==2.0", "c==2.0", "d==1.0"]);
        // One batch of project look-ups per level.
        assert_eq!(registry.batches, [1, 2, 1]);
        let reasons: Vec<&str> = resolution
            .unresolved
            .iter()
            .map(|entry| entry.reason.as_str())
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].starts_with("conflict: 2.0 was already chosen for `c`"),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("deeper than 3 levels"), "{reasons:?}");
        // The cycle b → a is an edge to the existing node.
        assert!(
            resolution.lockfile.packages[2]
                .dependencies
                .iter()
                .any(|edge| edge.package == 1)
        );
    }
}
