//! The vulnerability stage and the local advisory database, end to end: the PyPA database
//! imported into the cache and matched offline against the fixtures' expected advisories; the
//! same answers from the loopback OSV server online; cache reuse, faults, `--advisories` folders
//! and `db sync` (full and incremental).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::corpus;
use crate::support::server::{Fault, Served, TestServer};
use pyaudit::enrich::database::{self, DeclaredCoverage, SyncSummary};
use pyaudit::enrich::metadata::{MetadataSettings, MetadataStatus};
use pyaudit::enrich::vulnerabilities::collect;
use pyaudit::enrich::{
    EnrichError, GatherRequest, PackageKey, VulnerabilityData, VulnerabilitySettings,
    VulnerabilityStatus, gather,
};
use pyaudit::fetch::{FetchSettings, Fetcher};
use pyaudit_advisories::{Version, normalize_package_name};
use pyaudit_cache::{Cache, OpenOptions, Timestamp};
use serde_json::{Value, json};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_800_000_000);
const HOUR: Duration = Duration::from_secs(3600);
const YEARS: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

fn pypa() -> PathBuf {
    corpus::pypa_dir()
}

/// A cache holding the imported PyPA database, shared by the offline tests of this binary (the
/// import takes seconds in a debug build).
fn pypa_cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let cache = Cache::in_memory();
        let summary = database::import(&cache, &[pypa()], DeclaredCoverage::Complete, NOW).unwrap();
        assert_eq!(summary.records, 2661);
        assert_eq!(summary.packages, 664);
        cache
    })
}

fn fetch_settings(url: &str) -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_secs(10),
        deadline: Some(Duration::from_secs(60)),
        retries: 0,
        backoff_base: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..FetchSettings::for_base_url(url)
    }
}

fn settings(url: &str, offline: bool, now: Timestamp) -> VulnerabilitySettings {
    VulnerabilitySettings {
        offline,
        fetch: fetch_settings(url),
        extra_advisories: Vec::new(),
        complete_advisories: Vec::new(),
        // The PyPA snapshot is years older than `NOW`: these tests are about matching, so the
        // age limits are out of the way here and tested on their own below.
        max_age: YEARS,
        fallback_max_age: YEARS,
        query_ttl: HOUR,
        progress: false,
        now,
    }
}

fn key(name: &str, version: &str) -> PackageKey {
    PackageKey::new(name, Version::from_str(version).unwrap())
}

/// `name==version` lines of a requirements file (comments and other lines skipped).
fn pins_of_requirements(path: &Path) -> Vec<PackageKey> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once("=="))
        .map(|(name, version)| key(&normalize_package_name(name), version.trim()))
        .collect()
}

/// The PYSEC ids found per `name==version`, for packages with at least one.
fn found_pysec(data: &VulnerabilityData) -> BTreeMap<String, BTreeSet<String>> {
    let mut found = BTreeMap::new();
    for (target, status) in &data.packages {
        let VulnerabilityStatus::Checked { vulnerabilities } = status else {
            panic!("{target} is unchecked: {status:?}");
        };
        let ids: BTreeSet<String> = vulnerabilities
            .iter()
            .flat_map(|vulnerability| vulnerability.record_ids.iter())
            .filter(|id| id.starts_with("PYSEC-"))
            .cloned()
            .collect();
        if !ids.is_empty() {
            found.insert(format!("{}=={}", target.name, target.version), ids);
        }
    }
    found
}

/// The expected file's `affected`, keyed by normalized `name==version` the way `found_pysec`
/// prints it, restricted to `targets`.
fn expected_pysec(path: &Path, targets: &[PackageKey]) -> BTreeMap<String, BTreeSet<String>> {
    let expected: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let wanted: BTreeSet<String> = targets
        .iter()
        .map(|target| format!("{}=={}", target.name, target.version))
        .collect();
    let mut out = BTreeMap::new();
    for (pin, ids) in expected["affected"].as_object().unwrap() {
        let (name, version) = pin.split_once("==").unwrap();
        let pin = format!(
            "{}=={}",
            normalize_package_name(name),
            Version::from_str(version).unwrap()
        );
        assert!(
            wanted.contains(&pin),
            "{} lists {pin}, not a target",
            path.display()
        );
        let ids: BTreeSet<String> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect();
        if !ids.is_empty() {
            out.insert(pin, ids);
        }
    }
    out
}

fn advisory_pins() -> (Vec<PackageKey>, PathBuf) {
    let folder = corpus::path("fixtures/synthetic/advisory-pins");
    (
        pins_of_requirements(&folder.join("requirements.txt")),
        folder.join("expected/requirements.txt.advisories.json"),
    )
}

fn assert_same(
    found: &BTreeMap<String, BTreeSet<String>>,
    expected: &BTreeMap<String, BTreeSet<String>>,
    what: &str,
) {
    let mut differences = Vec::new();
    for pin in found.keys().chain(expected.keys()).collect::<BTreeSet<_>>() {
        let (left, right) = (found.get(pin), expected.get(pin));
        if left != right {
            differences.push(format!("{pin}: found {left:?}, expected {right:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{what}: {} difference(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn offline_pypa_database_matches_the_advisory_pins() {
    let (targets, expected) = advisory_pins();
    assert_eq!(targets.len(), 400);
    let data = collect(
        &targets,
        pypa_cache(),
        &settings("http://127.0.0.1:9", true, NOW),
    )
    .unwrap();
    assert_eq!(data.packages.len(), 400);
    assert_eq!(data.requests, 0);
    let expected = expected_pysec(&expected, &targets);
    assert_eq!(expected.len(), 373);
    assert_same(&found_pysec(&data), &expected, "advisory-pins offline");
    assert_eq!(data.sources[0].kind, "local-database");
    // The data's age is its newest record's, not the import's (`NOW`).
    assert_eq!(data.oldest_data, data.sources[0].as_of);
    let as_of = pyaudit::time::date_from_unix_millis(data.oldest_data.unwrap());
    assert!(as_of.starts_with("2024-"), "{as_of}");
}

/// Pins of a real fixture's expected lock file: `all` (else `prod_with_extras`) for uv/poetry
/// locks, the `==` entries for requirements files; direct URL entries are skipped.
fn pins_of_expected_lock(path: &Path) -> Vec<PackageKey> {
    let lock: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut pins = BTreeSet::new();
    if let Some(entries) = lock["entries"].as_array() {
        for entry in entries {
            let (Some(name), Some(specifier)) =
                (entry["name"].as_str(), entry["specifier"].as_str())
            else {
                continue;
            };
            if let Some(version) = specifier.strip_prefix("==")
                && entry["url"].is_null()
                && !version.contains('*')
            {
                pins.insert((normalize_package_name(name), version.to_owned()));
            }
        }
    } else {
        let set = if lock["all"].is_array() {
            &lock["all"]
        } else {
            &lock["prod_with_extras"]
        };
        for pin in set.as_array().unwrap() {
            let pin = pin.as_str().unwrap();
            if pin.contains(" @ ") {
                continue;
            }
            let (name, version) = pin.split_once("==").unwrap();
            pins.insert((normalize_package_name(name), version.to_owned()));
        }
    }
    pins.into_iter()
        .map(|(name, version)| key(&name, &version))
        .collect()
}

/// What the corpus subset of the real fixtures holds: expected advisory files, pins (at least)
/// and pins with PYSEC hits.
const CORPUS_FILES: usize = 27;
const CORPUS_PINS: usize = 1500;
const CORPUS_HITS: usize = 6;

#[test]
fn offline_pypa_database_matches_every_real_fixture() {
    let mut checked_files = 0;
    let mut pins = 0;
    let mut hits = 0;
    let real = corpus::real_projects();
    let projects: Vec<PathBuf> = real
        .folders
        .into_iter()
        .filter(|path| path.join("expected").is_dir())
        .collect();
    for project in projects {
        let mut files: Vec<PathBuf> = std::fs::read_dir(project.join("expected"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.to_string_lossy().ends_with(".advisories.json"))
            .collect();
        files.sort();
        for advisories in files {
            let lock = PathBuf::from(
                advisories
                    .to_string_lossy()
                    .replace(".advisories.json", ".json"),
            );
            let targets = pins_of_expected_lock(&lock);
            let data = collect(
                &targets,
                pypa_cache(),
                &settings("http://127.0.0.1:9", true, NOW),
            )
            .unwrap();
            let expected = expected_pysec(&advisories, &targets);
            assert_same(
                &found_pysec(&data),
                &expected,
                &advisories.display().to_string(),
            );
            checked_files += 1;
            pins += targets.len();
            hits += expected.len();
        }
    }
    if real.everything {
        assert_eq!(checked_files, 32);
        assert!(pins > 2500, "{pins}");
        assert_eq!(hits, 7);
    } else {
        assert_eq!(checked_files, CORPUS_FILES);
        assert!(pins > CORPUS_PINS, "{pins}");
        assert_eq!(hits, CORPUS_HITS);
    }
}

#[test]
fn online_answers_match_the_advisory_pins_and_are_cached() {
    let served = Served::pypa();
    let server = &served.server;
    let (targets, expected) = advisory_pins();
    let cache = Cache::in_memory();
    let online = settings(&server.url(), false, NOW);

    let first = collect(&targets, &cache, &online).unwrap();
    let expected = expected_pysec(&expected, &targets);
    assert_same(&found_pysec(&first), &expected, "advisory-pins online");
    assert_eq!(server.requests("/v1/querybatch"), 1);
    // The records: a version listing several comes in one `/v1/query`, the rest by id.
    let records: BTreeSet<&String> = first
        .packages
        .values()
        .flat_map(|status| match status {
            VulnerabilityStatus::Checked { vulnerabilities } => vulnerabilities.as_slice(),
            VulnerabilityStatus::Unchecked { .. } => &[],
        })
        .flat_map(|vulnerability| &vulnerability.record_ids)
        .collect();
    let by_id = server.requests("/v1/vulns/");
    let by_version = server.requests("/v1/query") - server.requests("/v1/querybatch");
    assert!(records.len() > 500, "{}", records.len());
    assert!(
        by_version > 0 && (by_id + by_version) * 2 < records.len(),
        "{by_id} by id and {by_version} by version for {} records",
        records.len()
    );
    assert_eq!(first.requests, 1 + (by_id + by_version) as u64);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(first.sources[0].kind, "osv-api");

    // Within the TTL: everything from the cache, not one request.
    let within = settings(&server.url(), false, NOW.saturating_add(HOUR / 2));
    let second = collect(&targets, &cache, &within).unwrap();
    assert_eq!(second.requests, 0);
    assert_eq!(server.log().len(), 1 + by_id + by_version);
    assert_eq!(second.packages, first.packages);
    assert_eq!(second.sources[0].kind, "cache");
    assert_eq!(second.oldest_data, Some(NOW.unix_millis()));

    // After the TTL: asked again, but the unchanged records are not fetched again.
    let after = settings(&server.url(), false, NOW.saturating_add(2 * HOUR));
    let third = collect(&targets, &cache, &after).unwrap();
    assert_eq!(server.requests("/v1/querybatch"), 2);
    assert_eq!(server.requests("/v1/vulns/"), by_id);
    assert_eq!(
        server.requests("/v1/query") - server.requests("/v1/querybatch"),
        by_version
    );
    assert_eq!(third.requests, 1);
    assert_eq!(third.packages, first.packages);
}

#[test]
fn a_changed_record_is_fetched_again_after_the_ttl() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record(
        "GHSA-demo-0001",
        "demo",
        "2024-01-01T00:00:00Z",
        "2.0",
    ));
    let cache = Cache::in_memory();
    let targets = [key("demo", "1.0")];
    collect(&targets, &cache, &settings(&server.url(), false, NOW)).unwrap();
    server.replace_record(record(
        "GHSA-demo-0001",
        "demo",
        "2024-06-01T00:00:00Z",
        "2.1",
    ));
    let later = collect(
        &targets,
        &cache,
        &settings(&server.url(), false, NOW.saturating_add(2 * HOUR)),
    )
    .unwrap();
    assert_eq!(server.requests("/v1/vulns/"), 2);
    let VulnerabilityStatus::Checked { vulnerabilities } = &later.packages[&targets[0]] else {
        panic!()
    };
    assert_eq!(
        vulnerabilities[0].fix_hint.as_ref().unwrap().to_string(),
        "2.1"
    );
}

fn record(id: &str, package: &str, modified: &str, fixed: &str) -> Value {
    json!({
        "id": id,
        "modified": modified,
        "summary": format!("{id} in {package}"),
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
}

fn status<'a>(data: &'a VulnerabilityData, name: &str, version: &str) -> &'a VulnerabilityStatus {
    &data.packages[&key(name, version)]
}

fn ids_of(status: &VulnerabilityStatus) -> Vec<String> {
    match status {
        VulnerabilityStatus::Checked { vulnerabilities } => vulnerabilities
            .iter()
            .map(|vulnerability| vulnerability.id.clone())
            .collect(),
        VulnerabilityStatus::Unchecked { reason, .. } => panic!("unchecked: {reason}"),
    }
}

#[test]
fn a_failing_chunk_leaves_exactly_its_packages_unchecked() {
    let served = Served::start();
    let server = &served.server;
    for package in ["alpha", "beta", "gamma", "delta"] {
        server.add_record(record(
            &format!("GHSA-{package}-0001"),
            package,
            "2024-01-01T00:00:00Z",
            "2.0",
        ));
    }
    server.inject_where(
        "/v1/querybatch",
        Some("\"gamma\""),
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let mut online = settings(&server.url(), false, NOW);
    online.fetch.osv_batch_size = 2;
    let targets = [
        key("alpha", "1.0"),
        key("beta", "1.0"),
        key("gamma", "1.0"),
        key("delta", "1.0"),
    ];
    let data = collect(&targets, &Cache::in_memory(), &online).unwrap();
    assert_eq!(ids_of(status(&data, "alpha", "1.0")), ["GHSA-alpha-0001"]);
    assert_eq!(ids_of(status(&data, "beta", "1.0")), ["GHSA-beta-0001"]);
    for name in ["gamma", "delta"] {
        let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, name, "1.0") else {
            panic!("{name} should be unchecked");
        };
        assert!(reason.contains("OSV could not answer"), "{reason}");
        assert!(reason.contains("/v1/querybatch"), "{reason}");
        assert!(reason.contains("500"), "{reason}");
    }
}

fn small_database(directory: &Path) {
    let write = |relative: &str, value: Value| {
        let path = directory.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec(&value).unwrap()).unwrap();
    };
    write(
        "demo/PYSEC-2024-1.json",
        record("PYSEC-2024-1", "demo", "2024-01-01T00:00:00Z", "1.5"),
    );
}

#[test]
fn osv_unreachable_falls_back_to_the_local_database_with_a_warning() {
    let directory = tempfile::tempdir().unwrap();
    small_database(directory.path());
    let cache = Cache::in_memory();
    database::import(
        &cache,
        &[directory.path().to_owned()],
        DeclaredCoverage::Complete,
        NOW.saturating_sub(3 * 24 * HOUR),
    )
    .unwrap();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let online = settings("http://127.0.0.1:9", false, NOW);
    let data = collect(&[key("demo", "1.0"), key("other", "3.0")], &cache, &online).unwrap();
    assert_eq!(ids_of(status(&data, "demo", "1.0")), ["PYSEC-2024-1"]);
    assert!(ids_of(status(&data, "other", "3.0")).is_empty());
    assert_eq!(data.warnings.len(), 1, "{:?}", data.warnings);
    let warning = &data.warnings[0];
    assert!(warning.contains("OSV could not answer"), "{warning}");
    assert!(warning.contains("127.0.0.1:9/v1/querybatch"), "{warning}");
    assert!(warning.contains("local advisory database"), "{warning}");
    // The age is the data's (its record was modified on 2024-01-01), not the import's.
    assert!(warning.contains("advisory data 1110 days old"), "{warning}");
    assert!(warning.contains("for 2 package(s)"), "{warning}");
}

#[test]
fn a_malformed_record_leaves_its_packages_unchecked() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record(
        "GHSA-good-0001",
        "good",
        "2024-01-01T00:00:00Z",
        "2.0",
    ));
    server.add_record(record(
        "GHSA-bad-0001",
        "bad",
        "2024-01-01T00:00:00Z",
        "2.0",
    ));
    server.set_body(
        "/v1/vulns/GHSA-bad-0001",
        200,
        "application/json",
        r#"{"id": "GHSA-bad-0001", "affected": 3}"#,
    );
    let cache = Cache::in_memory();
    let targets = [key("good", "1.0"), key("bad", "1.0")];
    let data = collect(&targets, &cache, &settings(&server.url(), false, NOW)).unwrap();
    assert_eq!(ids_of(status(&data, "good", "1.0")), ["GHSA-good-0001"]);
    let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, "bad", "1.0") else {
        panic!("bad should be unchecked");
    };
    assert!(reason.contains("GHSA-bad-0001"), "{reason}");
    assert!(reason.contains("/v1/vulns/GHSA-bad-0001"), "{reason}");
    // The answer was cached; the broken record was not, so it is asked for again.
    let again = collect(&targets, &cache, &settings(&server.url(), false, NOW)).unwrap();
    assert_eq!(server.requests("/v1/querybatch"), 1);
    assert_eq!(server.requests("/v1/vulns/GHSA-bad-0001"), 2);
    assert!(matches!(
        status(&again, "bad", "1.0"),
        VulnerabilityStatus::Unchecked { .. }
    ));
}

#[test]
fn offline_without_any_data_is_an_error() {
    let error = collect(
        &[key("demo", "1.0")],
        &Cache::in_memory(),
        &settings("http://127.0.0.1:9", true, NOW),
    )
    .unwrap_err();
    assert!(matches!(error, EnrichError::NoOfflineData), "{error}");
    assert!(error.to_string().contains("pyaudit db import"), "{error}");
}

#[test]
fn offline_uses_stale_cached_answers_and_says_how_old() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record(
        "GHSA-demo-0001",
        "demo",
        "2024-01-01T00:00:00Z",
        "2.0",
    ));
    let cache = Cache::in_memory();
    let targets = [key("demo", "1.0"), key("uncached", "1.0")];
    collect(&targets[..1], &cache, &settings(&server.url(), false, NOW)).unwrap();
    let requests = server.log().len();
    let later = NOW.saturating_add(5 * 24 * HOUR);
    let data = collect(&targets, &cache, &settings(&server.url(), true, later)).unwrap();
    assert_eq!(server.log().len(), requests);
    assert_eq!(data.requests, 0);
    assert_eq!(ids_of(status(&data, "demo", "1.0")), ["GHSA-demo-0001"]);
    let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, "uncached", "1.0") else {
        panic!("uncached should be unchecked");
    };
    assert!(
        reason.contains("no OSV answer for it is cached"),
        "{reason}"
    );
    assert_eq!(data.oldest_data, Some(NOW.unix_millis()));
    assert!(
        data.warnings
            .iter()
            .any(|warning| warning.contains("5 days old") && warning.contains("demo==1.0")),
        "{:?}",
        data.warnings
    );
}

#[test]
fn cached_answers_past_the_max_age_do_not_answer() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record(
        "GHSA-demo-0001",
        "demo",
        "2024-01-01T00:00:00Z",
        "2.0",
    ));
    let cache = Cache::in_memory();
    let targets = [key("demo", "1.0"), key("clean", "1.0")];
    collect(&targets, &cache, &settings(&server.url(), false, NOW)).unwrap();
    let with_limits = |now: Timestamp, offline: bool, url: &str| {
        let mut settings = settings(url, offline, now);
        settings.max_age = 7 * 24 * HOUR;
        settings.fallback_max_age = 3 * 24 * HOUR;
        settings
    };
    // Offline, six days later: within the week.
    let six_days = NOW.saturating_add(6 * 24 * HOUR);
    let data = collect(
        &targets,
        &cache,
        &with_limits(six_days, true, &server.url()),
    )
    .unwrap();
    assert!(matches!(
        status(&data, "clean", "1.0"),
        VulnerabilityStatus::Checked { .. }
    ));
    // Eight days later: the answers are too old, and even the vulnerable package's known
    // finding is kept while it is reported unchecked.
    let eight_days = NOW.saturating_add(8 * 24 * HOUR);
    let data = collect(
        &targets,
        &cache,
        &with_limits(eight_days, true, &server.url()),
    )
    .unwrap();
    for name in ["demo", "clean"] {
        let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, name, "1.0") else {
            panic!("{name} must be unchecked with eight-day-old answers");
        };
        assert!(reason.contains("8 days old"), "{reason}");
        assert!(reason.contains("max-age of 7 days"), "{reason}");
    }
    // Online with OSV down, four days later: past the fallback limit of three days.
    let four_days = NOW.saturating_add(4 * 24 * HOUR);
    let data = collect(
        &targets,
        &cache,
        &with_limits(four_days, false, "http://127.0.0.1:9"),
    )
    .unwrap();
    let VulnerabilityStatus::Unchecked {
        reason,
        vulnerabilities,
    } = status(&data, "demo", "1.0")
    else {
        panic!("demo must be unchecked");
    };
    assert!(reason.contains("fallback-max-age of 3 days"), "{reason}");
    // What the old answer lists is still reported: too old to vouch, not too old to warn.
    let ids: Vec<&str> = vulnerabilities.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-demo-0001"]);
}

#[test]
fn a_partial_database_adds_findings_but_never_vouches() {
    let directory = tempfile::tempdir().unwrap();
    small_database(directory.path());
    let cache = Cache::in_memory();
    database::import(
        &cache,
        &[directory.path().to_owned()],
        DeclaredCoverage::ByKind,
        NOW,
    )
    .unwrap();
    let online = settings("http://127.0.0.1:9", false, NOW);
    let data = collect(&[key("demo", "1.0"), key("other", "3.0")], &cache, &online).unwrap();
    let VulnerabilityStatus::Unchecked {
        reason,
        vulnerabilities,
    } = status(&data, "demo", "1.0")
    else {
        panic!("a partial database made demo checked");
    };
    assert!(reason.contains("is partial"), "{reason}");
    // Its record still matches and is reported.
    let ids: Vec<&str> = vulnerabilities.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["PYSEC-2024-1"]);
    assert!(matches!(
        status(&data, "other", "3.0"),
        VulnerabilityStatus::Unchecked { .. }
    ));
    let source = &data.sources[0];
    assert_eq!(
        source.coverage,
        Some(pyaudit::enrich::SourceCoverage::Partial)
    );
}

#[test]
fn an_advisories_folder_is_found_online_and_offline() {
    let served = Served::start();
    let server = &served.server;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("ORG-2024-1.yaml"),
        "id: ORG-2024-1\nmodified: 2024-05-01T00:00:00Z\nsummary: internal finding\naffected:\n\
         - package: {ecosystem: PyPI, name: Internal_Lib}\n  ranges:\n  - type: ECOSYSTEM\n    \
         events:\n    - introduced: '1.0'\n    - fixed: '1.3'\n",
    )
    .unwrap();
    let targets = [key("internal-lib", "1.2"), key("internal-lib", "1.3")];
    let cache = Cache::in_memory();
    let mut online = settings(&server.url(), false, NOW);
    online.extra_advisories = vec![folder.path().to_owned()];
    let data = collect(&targets, &cache, &online).unwrap();
    assert_eq!(ids_of(status(&data, "internal-lib", "1.2")), ["ORG-2024-1"]);
    assert!(ids_of(status(&data, "internal-lib", "1.3")).is_empty());
    assert!(
        data.sources
            .iter()
            .any(|source| source.kind == "advisories-dir")
    );

    let mut offline = settings(&server.url(), true, NOW);
    offline.extra_advisories = vec![folder.path().to_owned()];
    let data = collect(&targets, &cache, &offline).unwrap();
    assert_eq!(ids_of(status(&data, "internal-lib", "1.2")), ["ORG-2024-1"]);
}

fn zip_of(records: &[Value]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for record in records {
        writer
            .start_file(
                format!("{}.json", record["id"].as_str().unwrap()),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer
            .write_all(&serde_json::to_vec(record).unwrap())
            .unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn sync_downloads_the_archive_then_applies_changes_incrementally() {
    let served = Served::start();
    let server = &served.server;
    let base = format!("{}/export/PyPI", server.url());
    server.set_body(
        "/export/PyPI/all.zip",
        200,
        "application/zip",
        zip_of(&[
            record("PYSEC-2024-1", "demo", "2024-01-01T00:00:00Z", "1.5"),
            record("GHSA-aaaa-0001", "other", "2024-02-01T00:00:00Z", "3.0"),
        ]),
    );
    let cache = Cache::in_memory();
    let fetcher =
        Fetcher::new(database::sync_fetch_settings(fetch_settings(&server.url()))).unwrap();
    let summary = database::sync(&cache, &fetcher, &base, NOW).unwrap();
    let SyncSummary::Full {
        import,
        incremental_skipped,
    } = summary
    else {
        panic!("expected a full sync: {summary:?}");
    };
    assert_eq!((import.records, import.packages), (2, 2));
    assert_eq!(incremental_skipped, None);

    // A newer record for `demo` (fix moved to 1.6) and a new package.
    server.set_body(
        "/export/PyPI/modified_id.csv",
        200,
        "text/csv",
        "2024-03-02T00:00:00Z,PYSEC-2024-1\n2024-03-01T00:00:00Z,PYSEC-2024-9\n\
         2024-02-01T00:00:00Z,GHSA-aaaa-0001\n2024-01-01T00:00:00Z,PYSEC-2023-1\n",
    );
    server.set_body(
        "/export/PyPI/PYSEC-2024-1.json",
        200,
        "application/json",
        serde_json::to_vec(&record(
            "PYSEC-2024-1",
            "demo",
            "2024-03-02T00:00:00Z",
            "1.6",
        ))
        .unwrap(),
    );
    server.set_body(
        "/export/PyPI/PYSEC-2024-9.json",
        200,
        "application/json",
        serde_json::to_vec(&record(
            "PYSEC-2024-9",
            "newpkg",
            "2024-03-01T00:00:00Z",
            "0.2",
        ))
        .unwrap(),
    );
    let later = NOW.saturating_add(HOUR);
    let summary = database::sync(&cache, &fetcher, &base, later).unwrap();
    let SyncSummary::Incremental {
        updated_records, ..
    } = summary
    else {
        panic!("expected an incremental sync: {summary:?}");
    };
    assert_eq!(updated_records, 2);
    assert_eq!(server.requests("/export/PyPI/all.zip"), 1);
    assert_eq!(server.requests("/export/PyPI/GHSA-aaaa-0001.json"), 0);

    let database_status = database::status(&cache, later).unwrap().unwrap();
    assert_eq!((database_status.records, database_status.packages), (3, 3));
    assert_eq!(
        database_status.sync.unwrap().cutoff.as_deref(),
        Some("2024-03-02T00:00:00Z")
    );
    let data = collect(
        &[
            key("demo", "1.5"),
            key("newpkg", "0.1"),
            key("other", "2.0"),
        ],
        &cache,
        &settings(&server.url(), true, later),
    )
    .unwrap();
    assert_eq!(ids_of(status(&data, "demo", "1.5")), ["PYSEC-2024-1"]);
    assert_eq!(ids_of(status(&data, "newpkg", "0.1")), ["PYSEC-2024-9"]);
    assert_eq!(ids_of(status(&data, "other", "2.0")), ["GHSA-aaaa-0001"]);

    // Nothing new: the listing is read, nothing else.
    let summary = database::sync(&cache, &fetcher, &base, later.saturating_add(HOUR)).unwrap();
    assert!(matches!(
        summary,
        SyncSummary::Incremental {
            updated_records: 0,
            ..
        }
    ));
}

#[test]
fn sync_stores_its_url_without_credentials_and_still_syncs_incrementally() {
    let served = Served::start();
    let server = &served.server;
    // The loopback server ignores the credentials; a real mirror would check them.
    let base = format!(
        "{}/export/PyPI",
        server
            .url()
            .replace("http://", "http://mirror:SECRET-USER@")
    );
    server.set_body(
        "/export/PyPI/all.zip",
        200,
        "application/zip",
        zip_of(&[record(
            "PYSEC-2024-1",
            "demo",
            "2024-01-01T00:00:00Z",
            "1.5",
        )]),
    );
    server.set_body(
        "/export/PyPI/modified_id.csv",
        200,
        "text/csv",
        "2024-01-01T00:00:00Z,PYSEC-2024-1\n",
    );
    let cache = Cache::in_memory();
    let fetcher =
        Fetcher::new(database::sync_fetch_settings(fetch_settings(&server.url()))).unwrap();
    let summary = database::sync(&cache, &fetcher, &base, NOW).unwrap();
    assert!(matches!(summary, SyncSummary::Full { .. }), "{summary:?}");
    let stored = database::status(&cache, NOW).unwrap().unwrap();
    let shown = format!("{} {:?}", stored.source, stored.sync);
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("http://***@127.0.0.1:"), "{shown}");
    // The same folder, credentials and all, is recognised: the next sync is incremental.
    let summary = database::sync(&cache, &fetcher, &base, NOW.saturating_add(HOUR)).unwrap();
    assert!(
        matches!(summary, SyncSummary::Incremental { .. }),
        "{summary:?}"
    );
    assert_eq!(server.requests("/export/PyPI/all.zip"), 1);
}

/// Measurements (run in release): `cargo test --release --test it enrich:: -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; run in release with --nocapture"]
fn measure_import_and_warm_collect() {
    let directory = tempfile::tempdir().unwrap();
    let options = OpenOptions::new(directory.path());
    {
        let cache = Cache::open(&options).unwrap().cache;
        let start = Instant::now();
        let summary = database::import(&cache, &[pypa()], DeclaredCoverage::Complete, NOW).unwrap();
        println!(
            "import of {} records / {} packages: {:?}",
            summary.records,
            summary.packages,
            start.elapsed()
        );
    }
    let Some(shared) = corpus::shared() else {
        return;
    };
    let lock = shared.join("fixtures/real/pydantic__pydantic-ai/expected/uv.lock.json");
    let targets = pins_of_expected_lock(&lock);
    let served = Served::pypa();
    {
        let cache = Cache::open(&options).unwrap().cache;
        let start = Instant::now();
        let data = collect(
            &targets,
            &cache,
            &settings(&served.server.url(), false, NOW),
        )
        .unwrap();
        println!(
            "cold online collect of {} packages: {:?} ({} requests)",
            targets.len(),
            start.elapsed(),
            data.requests
        );
    }
    for round in 0..3 {
        let start = Instant::now();
        let cache = Cache::open(&options).unwrap().cache;
        let opened = start.elapsed();
        let data = collect(
            &targets,
            &cache,
            &settings(&served.server.url(), false, NOW),
        )
        .unwrap();
        println!(
            "warm collect {round} of {} packages: {:?} including open {:?} ({} requests)",
            targets.len(),
            start.elapsed(),
            opened,
            data.requests
        );
        assert_eq!(data.requests, 0);
    }
}

/// A record whose range cannot be evaluated in full never lets local data call its package clean:
/// an `introduced` of "∞", several keys in one event, GIT-only ranges without `versions`.
#[test]
fn records_that_cannot_be_evaluated_leave_their_packages_unchecked() {
    let directory = tempfile::tempdir().unwrap();
    let write = |relative: &str, value: Value| {
        std::fs::write(
            directory.path().join(relative),
            serde_json::to_vec(&value).unwrap(),
        )
        .unwrap();
    };
    let broken = |id: &str, package: &str, ranges: Value| {
        json!({
            "id": id,
            "modified": "2026-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": package}, "ranges": ranges}]
        })
    };
    write(
        "PYSEC-2026-1.json",
        broken(
            "PYSEC-2026-1",
            "infinite",
            json!([{"type": "ECOSYSTEM", "events": [{"introduced": "∞"}, {"fixed": "2.0"}]}]),
        ),
    );
    write(
        "PYSEC-2026-2.json",
        broken(
            "PYSEC-2026-2",
            "crowded",
            json!([{"type": "ECOSYSTEM", "events": [{"introduced": "1.0", "fixed": "1.5"}]}]),
        ),
    );
    write(
        "PYSEC-2026-3.json",
        broken(
            "PYSEC-2026-3",
            "gitonly",
            json!([{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]),
        ),
    );
    write(
        "PYSEC-2026-4.json",
        record("PYSEC-2026-4", "sound", "2026-01-01T00:00:00Z", "1.5"),
    );
    let cache = Cache::in_memory();
    database::import(
        &cache,
        &[directory.path().to_owned()],
        DeclaredCoverage::Complete,
        NOW,
    )
    .unwrap();
    let offline = settings("http://127.0.0.1:9", true, NOW);
    let targets = [
        key("infinite", "1.0"),
        key("crowded", "3.0"),
        key("gitonly", "1.0"),
        key("sound", "2.0"),
    ];
    let data = collect(&targets, &cache, &offline).unwrap();
    for (name, id) in [
        ("infinite", "PYSEC-2026-1"),
        ("crowded", "PYSEC-2026-2"),
        ("gitonly", "PYSEC-2026-3"),
    ] {
        let version = if name == "crowded" { "3.0" } else { "1.0" };
        let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, name, version) else {
            panic!("{name}: a record that cannot be evaluated made it clean");
        };
        assert!(reason.contains(id), "{reason}");
        assert!(reason.contains("cannot be evaluated"), "{reason}");
    }
    // A sound record's package is judged as usual: 2.0 is past the fix.
    assert!(ids_of(status(&data, "sound", "2.0")).is_empty());
}

/// `--complete-advisories DIR`: a complete folder answers for every package while fresh, aged
/// by its newest record — never by one dated in the future.
#[test]
fn a_complete_folder_answers_while_fresh() {
    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, value: Value| {
        std::fs::write(
            directory.path().join(name),
            serde_json::to_vec(&value).unwrap(),
        )
        .unwrap();
    };
    // NOW is 2027-01-15; the newest honest record is from 2027-01-10.
    write(
        "PYSEC-2027-1.json",
        record("PYSEC-2027-1", "demo", "2027-01-10T00:00:00Z", "1.5"),
    );
    write(
        "PYSEC-2099-1.json",
        record("PYSEC-2099-1", "other", "2099-01-01T00:00:00Z", "0.1"),
    );
    let mut offline = settings("http://127.0.0.1:9", true, NOW);
    offline.complete_advisories = vec![directory.path().to_owned()];
    offline.max_age = 7 * 24 * HOUR;
    let targets = [key("demo", "1.0"), key("clean", "1.0")];
    let data = collect(&targets, &Cache::in_memory(), &offline).unwrap();
    assert_eq!(ids_of(status(&data, "demo", "1.0")), ["PYSEC-2027-1"]);
    assert!(ids_of(status(&data, "clean", "1.0")).is_empty());
    // Ten days later the folder is stale, whatever the 2099 record says.
    let mut later = offline.clone();
    later.now = NOW.saturating_add(10 * 24 * HOUR);
    let data = collect(&targets, &Cache::in_memory(), &later).unwrap();
    let VulnerabilityStatus::Unchecked { reason, .. } = status(&data, "clean", "1.0") else {
        panic!("a stale complete folder vouched for a package");
    };
    assert!(reason.contains("older than the max-age"), "{reason}");
}

/// One wave: OSV's `querybatch` and every PyPI request are in flight together, each asked once;
/// the record OSV names follows its answer.
#[test]
fn gather_asks_every_source_at_once_and_nothing_twice() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record("TEST-six-1", "six", "2024-01-01T00:00:00Z", "2.0"));
    // A latency on every request keeps each in flight long enough to see which ones overlap.
    for path in ["/v1/", "/pypi/", "/simple/"] {
        server.inject(path, Fault::Latency(Duration::from_millis(300)), usize::MAX);
    }
    let url = server.url();
    // Two versions of one project: one OSV query each, one PyPI request per source for both.
    let targets = vec![
        key("six", "1.0"),
        key("six", "1.16.0"),
        key("idna", "3.7"),
        key("requests", "2.32.0"),
    ];
    let request = GatherRequest {
        targets,
        metadata: Some(MetadataSettings::new(fetch_settings(&url), NOW)),
        popular: Some(Vec::new()),
        follow_up: None,
        keep_releases: false,
    };
    let gathered = gather(&request, &Cache::in_memory(), &settings(&url, false, NOW)).unwrap();
    assert_eq!(server.requests("/v1/querybatch"), 1);
    assert_eq!(server.requests("/v1/vulns/"), 1);
    assert_eq!(server.requests("/pypi/"), 3);
    assert_eq!(server.requests("/simple/"), 3);
    // The querybatch and the six PyPI requests, all at once.
    assert!(
        server.max_in_flight() >= 7,
        "only {} requests overlapped",
        server.max_in_flight()
    );
    assert_eq!(gathered.vulnerabilities.requests, 8);
    assert_eq!(
        ids_of(status(&gathered.vulnerabilities, "six", "1.0")),
        ["TEST-six-1"]
    );
    assert!(ids_of(status(&gathered.vulnerabilities, "idna", "3.7")).is_empty());
    let metadata = gathered.metadata.unwrap();
    assert_eq!(metadata.packages.len(), 4);
    assert!(
        metadata
            .packages
            .values()
            .all(|status| matches!(status, MetadataStatus::Available(_)))
    );
    assert!(!gathered.popular.origins.is_empty(), "the seed is loaded");
}

/// The wave fails closed like each source alone: a record that cannot be fetched leaves its
/// package unchecked, PyPI failing leaves metadata unavailable, the rest stands.
#[test]
fn gather_keeps_failures_as_failures() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record("TEST-six-1", "six", "2024-01-01T00:00:00Z", "2.0"));
    server.inject(
        "/v1/vulns/",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    server.inject(
        "/pypi/idna/",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        usize::MAX,
    );
    let url = server.url();
    let request = GatherRequest {
        targets: vec![key("six", "1.0"), key("idna", "3.7")],
        metadata: Some(MetadataSettings::new(fetch_settings(&url), NOW)),
        popular: None,
        follow_up: None,
        keep_releases: false,
    };
    let gathered = gather(&request, &Cache::in_memory(), &settings(&url, false, NOW)).unwrap();
    let VulnerabilityStatus::Unchecked { reason, .. } =
        status(&gathered.vulnerabilities, "six", "1.0")
    else {
        panic!("six must be unchecked when its record could not be fetched");
    };
    assert!(reason.contains("TEST-six-1"), "{reason}");
    assert!(ids_of(status(&gathered.vulnerabilities, "idna", "3.7")).is_empty());
    let metadata = gathered.metadata.unwrap();
    assert!(matches!(
        metadata.packages[&key("idna", "3.7")],
        MetadataStatus::Unavailable { .. }
    ));
    assert!(matches!(
        metadata.packages[&key("six", "1.0")],
        MetadataStatus::Available(_)
    ));
}

/// Three advisories for one version: their records come in one `/v1/query` for that version,
/// not three `GET /v1/vulns/{id}`.
#[test]
fn records_of_one_version_come_in_one_query() {
    let served = Served::start();
    let server = &served.server;
    for id in ["TEST-demo-1", "TEST-demo-2", "TEST-demo-3"] {
        server.add_record(record(id, "demo", "2024-01-01T00:00:00Z", "2.0"));
    }
    server.add_record(record("TEST-solo-1", "solo", "2024-01-01T00:00:00Z", "2.0"));
    let url = server.url();
    let targets = [key("demo", "1.0"), key("solo", "1.0")];
    let data = collect(&targets, &Cache::in_memory(), &settings(&url, false, NOW)).unwrap();
    assert_eq!(
        ids_of(status(&data, "demo", "1.0")),
        ["TEST-demo-1", "TEST-demo-2", "TEST-demo-3"]
    );
    assert_eq!(ids_of(status(&data, "solo", "1.0")), ["TEST-solo-1"]);
    assert_eq!(server.requests("/v1/querybatch"), 1);
    assert_eq!(
        server.requests("/v1/query"),
        2,
        "the batch and one version query"
    );
    // The single advisory is fetched by id; demo's three are not.
    assert_eq!(server.requests("/v1/vulns/"), 1);
}

/// A version query that fails costs requests, never a record: the listed ids are fetched one by
/// one; and when those fail too, the package is unchecked, not clean.
#[test]
fn a_failed_version_query_falls_back_to_fetching_by_id_and_fails_closed() {
    let served = Served::start();
    let server = &served.server;
    for id in ["TEST-demo-1", "TEST-demo-2"] {
        server.add_record(record(id, "demo", "2024-01-01T00:00:00Z", "2.0"));
    }
    let fault = || Fault::Status {
        status: 500,
        retry_after: None,
    };
    server.inject_exact("/v1/query", fault(), usize::MAX);
    let url = server.url();
    let targets = [key("demo", "1.0")];
    let data = collect(&targets, &Cache::in_memory(), &settings(&url, false, NOW)).unwrap();
    assert_eq!(
        ids_of(status(&data, "demo", "1.0")),
        ["TEST-demo-1", "TEST-demo-2"]
    );
    assert_eq!(server.requests("/v1/vulns/"), 2);

    server.inject("/v1/vulns/", fault(), usize::MAX);
    let data = collect(&targets, &Cache::in_memory(), &settings(&url, false, NOW)).unwrap();
    assert!(
        matches!(
            status(&data, "demo", "1.0"),
            VulnerabilityStatus::Unchecked { .. }
        ),
        "{:?}",
        status(&data, "demo", "1.0")
    );
}

fn demo_fix(data: &VulnerabilityData) -> Vec<PackageKey> {
    data.packages
        .iter()
        .filter(|(_, status)| !ids_of(status).is_empty())
        .map(|(key, _)| PackageKey::new(key.name.clone(), Version::from_str("2.0").unwrap()))
        .collect()
}

fn follow_up_request(targets: Vec<PackageKey>) -> GatherRequest {
    GatherRequest {
        targets,
        metadata: None,
        popular: None,
        follow_up: Some(demo_fix),
        keep_releases: false,
    }
}

/// TEST-demo-2 affects demo 2.0 only: the version `demo_fix` moves to, not the locked 1.0.
fn demo_regression() -> Value {
    json!({
        "id": "TEST-demo-2",
        "modified": "2024-02-01T00:00:00Z",
        "summary": "a regression in 2.0",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.1"}]}]
        }]
    })
}

/// The package-only `/v1/query` requests the server saw (a vulnerable package's history).
fn history_queries(server: &TestServer) -> Vec<String> {
    server
        .log()
        .iter()
        .filter(|request| request.path == "/v1/query")
        .map(|request| request.json())
        .filter(|body| body.get("version").is_none())
        .map(|body| {
            body["package"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The follow-up (the versions a fix moves to) is answered inside the wave and stored: asking
/// about those versions afterwards costs no request. The vulnerable package's whole history,
/// asked alongside its records, answers it without another round trip.
#[test]
fn gather_answers_the_follow_up_from_the_package_history_in_the_same_wave() {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record("TEST-demo-1", "demo", "2024-01-01T00:00:00Z", "2.0"));
    let url = server.url();
    let cache = Cache::in_memory();
    let request = follow_up_request(vec![key("demo", "1.0"), key("clean", "1.0")]);
    let settings = settings(&url, false, NOW);
    let gathered = gather(&request, &cache, &settings).unwrap();
    assert_eq!(
        ids_of(status(&gathered.vulnerabilities, "demo", "1.0")),
        ["TEST-demo-1"]
    );
    // The follow-up's answers are stored, not reported.
    assert!(
        !gathered
            .vulnerabilities
            .packages
            .contains_key(&key("demo", "2.0"))
    );
    assert_eq!(server.requests("/v1/querybatch"), 1);
    assert_eq!(history_queries(server), ["demo"]);
    let later = collect(&[key("demo", "2.0")], &cache, &settings).unwrap();
    assert!(ids_of(status(&later, "demo", "2.0")).is_empty());
    assert_eq!(later.requests, 0);
    assert_eq!(server.requests("/v1/querybatch"), 1);
}

/// The lock `demo==1.0` (TEST-demo-1, fixed in 2.0) and TEST-demo-2 (2.0 only) on a server
/// that `prepare` sets up: gathers with the follow-up to demo 2.0, then asks about demo 2.0
/// alone. The ids that later answer gives, and the requests it made.
fn follow_up_to_a_regression(prepare: impl FnOnce(&TestServer)) -> (Served, Vec<String>, u64) {
    let served = Served::start();
    let server = &served.server;
    server.add_record(record("TEST-demo-1", "demo", "2024-01-01T00:00:00Z", "2.0"));
    server.add_record(demo_regression());
    prepare(server);
    let url = server.url();
    let cache = Cache::in_memory();
    let settings = settings(&url, false, NOW);
    gather(
        &follow_up_request(vec![key("demo", "1.0")]),
        &cache,
        &settings,
    )
    .unwrap();
    let later = collect(&[key("demo", "2.0")], &cache, &settings).unwrap();
    let ids = ids_of(status(&later, "demo", "2.0"));
    (served, ids, later.requests)
}

/// A version the fix moves to that a newer advisory affects (a regression the locked version
/// does not have) is answered as affected, with the record, from the history alone.
#[test]
fn a_regression_in_the_fix_target_is_read_from_the_package_history() {
    let (served, ids, requests) = follow_up_to_a_regression(|_| {});
    assert_eq!(served.requests("/v1/querybatch"), 1);
    assert_eq!(ids, ["TEST-demo-2"]);
    assert_eq!(requests, 0);
}

/// A history that does not reproduce OSV's own answer (here: the server fails package queries;
/// a mirror may answer them empty) is not used: the follow-up is asked as before, and the
/// history query, which only saves a round trip, is not retried.
#[test]
fn without_a_usable_history_the_follow_up_is_asked() {
    let fail = |server: &TestServer| {
        let fault = Fault::Status {
            status: 500,
            retry_after: None,
        };
        server.inject_exact("/v1/query", fault, usize::MAX);
    };
    let (served, ids, requests) = follow_up_to_a_regression(fail);
    assert_eq!(
        history_queries(&served),
        ["demo"],
        "asked once, not retried"
    );
    assert_eq!(served.requests("/v1/querybatch"), 2);
    assert_eq!(ids, ["TEST-demo-2"]);
    assert_eq!(requests, 0);
}

/// A history of more than one page would cost a round trip per page: its first page is not
/// followed, and the follow-up is asked.
#[test]
fn a_history_of_several_pages_is_not_followed() {
    let (served, ids, _) = follow_up_to_a_regression(|server| server.set_page_size(1));
    assert_eq!(history_queries(&served), ["demo"], "one page, not followed");
    assert_eq!(served.requests("/v1/querybatch"), 2);
    assert_eq!(ids, ["TEST-demo-2"]);
}

/// An empty history (a server that answers package queries with `{}`) contradicts the batch's
/// answer and is not used either.
#[test]
fn an_empty_history_is_not_taken_for_a_clean_one() {
    let empty = |server: &TestServer| server.set_body("/v1/query", 200, "application/json", "{}");
    let (served, ids, _) = follow_up_to_a_regression(empty);
    assert_eq!(served.requests("/v1/querybatch"), 2);
    assert_eq!(ids, ["TEST-demo-2"]);
}
