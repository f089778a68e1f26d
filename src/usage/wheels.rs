//! The network half of the distribution → module mapping: for each locked `name==version`, pick a
//! wheel from PyPI's project JSON (`/pypi/<name>/json` → `releases[version]`, preferring a
//! `py3-none-any` wheel), then read only its central directory with HTTP range requests — the
//! archive's last 64 KiB (`Range: bytes=-65536`), and the directory itself when it starts before
//! that tail — and list its modules ([`super::modules::modules_from_paths`]).
//!
//! Cache: namespace `wheel-modules` v1, key `name==version`, payload a [`DistributionModules`].
//! Release files never change on PyPI, so an entry is trusted for a year; failures are not cached.
//! Offline, or when nothing could be fetched, the fallback guess is used and says why — never a
//! silent "no modules".

use std::collections::BTreeMap;
use std::time::Duration;

use pep440_rs::Version;
use pyaudit_cache::{Cache, Freshness, Namespace, Timestamp};
use reqwest::header::{CONTENT_RANGE, RANGE};
use tokio::task::JoinSet;

use super::modules::{self, DistributionModules, MappingSource};
use super::zip_directory::{self, DirectoryLocation};
use crate::enrich::{EnrichError, Network, PackageKey};
use crate::fetch::http::RequestSpec;
use crate::fetch::pypi::{self, ProjectJson, ProjectRequest, PypiAnswer, ReleaseFile};
use crate::fetch::{FetchError, FetchSettings, Fetcher};

/// Module lists per locked distribution.
pub const WHEEL_NAMESPACE: Namespace = Namespace::new("wheel-modules", 1);

/// Release files are immutable: a year, so a cache that is never cleaned still shrinks.
const WHEEL_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Bytes asked for from the end of a wheel: the end record plus, for most wheels, the whole
/// central directory (about 100 bytes per file).
pub const TAIL_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub struct WheelSettings {
    pub offline: bool,
    pub fetch: FetchSettings,
    pub now: Timestamp,
}

/// What the stage learned.
#[derive(Debug, Clone, Default)]
pub struct WheelData {
    pub modules: BTreeMap<PackageKey, DistributionModules>,
    /// HTTP requests made.
    pub requests: u64,
}

/// Map every target; each gets an entry (a fallback with its reason where nothing was read).
pub fn collect(
    targets: &[PackageKey],
    cache: &Cache,
    settings: &WheelSettings,
) -> Result<WheelData, EnrichError> {
    let mut data = WheelData::default();
    let keys: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let cached = if keys.is_empty() {
        Vec::new()
    } else {
        cache.get_many(&WHEEL_NAMESPACE, &keys)?
    };
    let mut missing = Vec::new();
    for ((target, key), entry) in targets.iter().zip(&keys).zip(cached) {
        let decoded = entry
            .and_then(|entry| serde_json::from_slice::<DistributionModules>(&entry.payload).ok());
        match decoded {
            Some(found) => {
                data.modules.insert(target.clone(), found);
            }
            None if settings.offline => {
                data.modules.insert(
                    target.clone(),
                    modules::fallback(&target.name, "its wheel is not in the cache (offline run)"),
                );
            }
            None => missing.push((target.clone(), key.clone())),
        }
    }
    if missing.is_empty() {
        return Ok(data);
    }
    let network = Network::start(&settings.fetch)?;
    let fetcher = network.fetcher.clone();
    let wanted: Vec<PackageKey> = missing.iter().map(|(target, _)| target.clone()).collect();
    let answers = network.runtime.block_on(fetch_all(fetcher.clone(), wanted));
    data.requests = fetcher.stats().requests;
    for ((target, key), answer) in missing.into_iter().zip(answers) {
        let mapping = match answer {
            Ok(mapping) => {
                if let Ok(payload) = serde_json::to_vec(&mapping) {
                    // A cache that cannot be written costs a refetch next run, nothing more.
                    let _ = cache.put(
                        &WHEEL_NAMESPACE,
                        &key,
                        &payload,
                        &Freshness::new(WHEEL_TTL),
                        settings.now,
                    );
                }
                mapping
            }
            Err(reason) => modules::fallback(&target.name, reason),
        };
        data.modules.insert(target, mapping);
    }
    Ok(data)
}

async fn fetch_all(
    fetcher: Fetcher,
    targets: Vec<PackageKey>,
) -> Vec<Result<DistributionModules, String>> {
    let mut names: Vec<String> = targets.iter().map(|target| target.name.clone()).collect();
    names.sort();
    names.dedup();
    let requests: Vec<ProjectRequest> = names.iter().map(ProjectRequest::new).collect();
    let answers = pypi::fetch_project_json(&fetcher, &requests).await;
    let mut projects: BTreeMap<String, Result<ProjectJson, String>> = BTreeMap::new();
    for (name, answer) in names.into_iter().zip(answers) {
        let project = match answer {
            Ok(PypiAnswer::Fresh { document, .. }) => Ok(document),
            Ok(PypiAnswer::NotFound) => Err(format!("PyPI has no project `{name}` (404)")),
            Ok(PypiAnswer::NotModified) => Err(format!("PyPI answered 304 for `{name}` unasked")),
            Err(error) => Err(format!("{error}: {}", error.cause)),
        };
        projects.insert(name, project);
    }
    let mut tasks = JoinSet::new();
    let mut results: Vec<Option<Result<DistributionModules, String>>> =
        (0..targets.len()).map(|_| None).collect();
    for (index, target) in targets.iter().enumerate() {
        let wheel = match projects.get(&target.name) {
            Some(Ok(project)) => pick_wheel(project, &target.version)
                .ok_or_else(|| format!("PyPI lists no wheel for {target}")),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(format!("no PyPI answer for `{}`", target.name)),
        };
        match wheel {
            Ok((file, url)) => {
                let fetcher = fetcher.clone();
                tasks.spawn(async move { (index, read_wheel(&fetcher, &file, &url).await) });
            }
            Err(reason) => results[index] = Some(Err(reason)),
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| Err("the wheel task ended without an answer".to_owned()))
        })
        .collect()
}

/// The wheel to read for `version`: a `py3-none-any` (or any `none-any`) one first, else the
/// first wheel by file name; yanked files last. `(file name, url)`.
pub fn pick_wheel(project: &ProjectJson, version: &Version) -> Option<(String, String)> {
    let files: &Vec<ReleaseFile> = project
        .releases
        .iter()
        .find(|(listed, _)| {
            listed
                .parse::<Version>()
                .is_ok_and(|listed| &listed == version)
        })
        .map(|(_, files)| files)?;
    files
        .iter()
        .filter(|file| file.filename.ends_with(".whl") && file.url.is_some())
        .min_by_key(|file| {
            (
                file.yanked,
                !file.filename.ends_with("-py3-none-any.whl"),
                !file.filename.ends_with("-none-any.whl"),
                file.filename.clone(),
            )
        })
        .and_then(|file| Some((file.filename.clone(), file.url.clone()?)))
}

/// Read a wheel's central directory by range requests and map its modules.
pub async fn read_wheel(
    fetcher: &Fetcher,
    file: &str,
    url: &str,
) -> Result<DistributionModules, String> {
    let describe = |error: FetchError| error.to_string();
    let tail = fetcher
        .send(&RequestSpec::get(url.to_owned()).header(RANGE, format!("bytes=-{TAIL_BYTES}")))
        .await
        .map_err(describe)?;
    let tail_offset = match tail.status {
        // The whole file: a server that ignores ranges (allowed by RFC 9110 §14.2).
        200 => 0,
        206 => content_range_start(tail.header(CONTENT_RANGE).as_deref())
            .ok_or_else(|| format!("{url} answered 206 without a usable Content-Range"))?,
        _ => return Err(describe(tail.unexpected_status())),
    };
    let location = zip_directory::locate_directory(&tail.body, tail_offset)
        .map_err(|error| format!("{file}: {error}"))?;
    let names = if location.offset >= tail_offset {
        let start =
            usize::try_from(location.offset - tail_offset).map_err(|error| error.to_string())?;
        let end = start + usize::try_from(location.size).map_err(|error| error.to_string())?;
        let directory = tail.body.get(start..end).ok_or_else(|| {
            format!("{file}: the central directory is outside the bytes received")
        })?;
        zip_directory::read_names(directory, &location)
    } else {
        let directory = directory_range(fetcher, url, &location).await?;
        zip_directory::read_names(&directory, &location)
    }
    .map_err(|error| format!("{file}: {error}"))?;
    let (modules, stubs_for) = modules::modules_from_paths(names.iter().map(String::as_str));
    Ok(DistributionModules {
        modules,
        stubs_for,
        source: MappingSource::Wheel {
            file: file.to_owned(),
        },
    })
}

async fn directory_range(
    fetcher: &Fetcher,
    url: &str,
    location: &DirectoryLocation,
) -> Result<Vec<u8>, String> {
    if location.size == 0 {
        return Ok(Vec::new());
    }
    let last = location.offset + location.size - 1;
    let response = fetcher
        .send(
            &RequestSpec::get(url.to_owned())
                .header(RANGE, format!("bytes={}-{last}", location.offset)),
        )
        .await
        .map_err(|error| error.to_string())?;
    match response.status {
        206 if content_range_start(response.header(CONTENT_RANGE).as_deref())
            == Some(location.offset)
            && response.body.len() as u64 == location.size =>
        {
            Ok(response.body)
        }
        200 => {
            let start = usize::try_from(location.offset).map_err(|error| error.to_string())?;
            let end = usize::try_from(last + 1).map_err(|error| error.to_string())?;
            response
                .body
                .get(start..end)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("{url} sent fewer bytes than its central directory needs"))
        }
        206 => Err(format!(
            "{url} answered a range other than the one asked for"
        )),
        _ => Err(response.unexpected_status().to_string()),
    }
}

/// `bytes 100-199/200` → 100.
fn content_range_start(value: Option<&str>) -> Option<u64> {
    let range = value?.trim().strip_prefix("bytes ")?;
    range.split(['-', '/']).next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(content_range_start(Some("bytes 100-199/200")), Some(100));
        assert_eq!(content_range_start(Some("bytes */200")), None);
        assert_eq!(content_range_start(None), None);
    }

    #[test]
    fn prefers_pure_python_wheels() {
        let project: ProjectJson = serde_json::from_value(serde_json::json!({
            "info": {"name": "x", "version": "1.0"},
            "releases": {"1.0": [
                {"filename": "x-1.0.tar.gz", "url": "u0"},
                {"filename": "x-1.0-cp312-cp312-manylinux.whl", "url": "u1"},
                {"filename": "x-1.0-py3-none-any.whl", "url": "u2"},
            ], "2.0": []}
        }))
        .unwrap();
        let version: Version = "1.0.0".parse().unwrap();
        assert_eq!(pick_wheel(&project, &version).unwrap().1, "u2");
        assert!(pick_wheel(&project, &"2.0".parse().unwrap()).is_none());
    }
}
