//! The metadata stage end to end against the loopback PyPI server serving the recorded answers
//! of the corpus's `pypi/`: yanked releases (PEP 592) with reasons, PEP 792 project status, license
//! sources (PEP 639, classifiers, free text), stale projects, cache reuse within the TTL,
//! conditional revalidation after it, per-project failures and offline runs.

use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::support::corpus::pypi_dir;
use crate::support::server::{Fault, Served};
use pep440_rs::Version;
use pyaudit::enrich::PackageKey;
use pyaudit::enrich::license::LicenseSource;
use pyaudit::enrich::metadata::{
    self, MetadataData, MetadataSettings, MetadataStatus, PROJECT_NAMESPACE, PackageMetadata,
    ProjectStatusInfo, collect,
};
use pyaudit::fetch::FetchSettings;
use pyaudit_cache::{Cache, OpenOptions, Timestamp};

/// The day after the answers were recorded (2026-11-25T00:00:00Z + 1 day).
const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);
const TWO_YEARS: Duration = Duration::from_secs(730 * 86_400);

fn settings(url: &str, now: Timestamp) -> MetadataSettings {
    let fetch = FetchSettings {
        timeout: Duration::from_secs(10),
        deadline: Some(Duration::from_secs(60)),
        retries: 0,
        backoff_base: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..FetchSettings::for_base_url(url)
    };
    MetadataSettings {
        ttl: 6 * HOUR,
        ..MetadataSettings::new(fetch, now)
    }
}

fn offline(now: Timestamp) -> MetadataSettings {
    // Nothing listens there: any request would fail the test's expectations.
    MetadataSettings {
        offline: true,
        ..settings("http://127.0.0.1:9", now)
    }
}

fn key(name: &str, version: &str) -> PackageKey {
    PackageKey::new(name, Version::from_str(version).unwrap())
}

fn metadata<'a>(data: &'a MetadataData, name: &str, version: &str) -> &'a PackageMetadata {
    match &data.packages[&key(name, version)] {
        MetadataStatus::Available(metadata) => metadata,
        MetadataStatus::Unavailable { reason } => {
            panic!("{name}=={version} is unavailable: {reason}")
        }
    }
}

fn unavailable_reason(data: &MetadataData, name: &str, version: &str) -> String {
    match &data.packages[&key(name, version)] {
        MetadataStatus::Unavailable { reason } => reason.clone(),
        other => panic!("{name}=={version} is available: {other:?}"),
    }
}

fn time(text: &str) -> Timestamp {
    pyaudit::time::parse_upload_time(text).unwrap()
}

#[test]
fn yanked_release_with_its_reason_and_the_newest_release() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [key("requests", "2.32.0"), key("requests", "2.31.0")];
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();

    let yanked = metadata(&data, "requests", "2.32.0");
    assert_eq!(
        yanked
            .yanked
            .as_ref()
            .and_then(|yank| yank.reason.as_deref()),
        Some("Yanked due to conflicts with CVE-2024-35195 mitigation")
    );
    assert_eq!(
        yanked.locked_upload_time,
        Some(time("2024-05-20T16:08:19.530618Z"))
    );
    let fine = metadata(&data, "requests", "2.31.0");
    assert_eq!(fine.yanked, None);
    assert!(fine.locked_version_listed);
    assert_eq!(
        fine.newest_version,
        Some(Version::from_str("2.34.2").unwrap())
    );
    assert_eq!(
        fine.newest_upload_time,
        Some(time("2026-05-14T19:25:26.443000Z"))
    );
    assert_eq!(
        fine.first_upload_time,
        Some(time("2011-02-14T08:49:42.641660Z"))
    );
    assert_eq!(
        fine.major_versions_behind(&key("requests", "2.31.0").version),
        Some(0)
    );
    assert!(fine.days_behind().unwrap() > 1000);
    // The recorded Simple answers carry no PEP 792 status: active.
    assert_eq!(fine.project_status, ProjectStatusInfo::Active);
    assert_eq!(fine.classifiers_inactive, Some(false));
    assert_eq!(fine.as_of, NOW);
    assert!(!fine.stale);

    // One project: one JSON request and one Simple request, whatever the number of versions.
    assert_eq!(served.server.requests("/pypi/requests/json"), 1);
    assert_eq!(served.server.requests("/simple/requests/"), 1);
    assert_eq!(data.requests, 2);
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
    // Both sources answered, the release facts from the Simple API, the license from the JSON.
    let kinds: Vec<&str> = data
        .sources
        .iter()
        .map(|source| source.kind.as_str())
        .collect();
    assert_eq!(kinds, ["pypi-simple-api", "pypi-json-api"]);
}

#[test]
fn every_recorded_yank_is_seen() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let yanked = [
        ("requests", "2.32.1"),
        ("urllib3", "1.25"),
        ("urllib3", "2.0.0"),
        ("attrs", "21.1.0"),
        ("certifi", "2022.5.18"),
        ("click", "8.2.2"),
        ("pyyaml", "6.0.2rc1"),
        ("rich", "12.1.0"),
    ];
    let targets: Vec<PackageKey> = yanked
        .iter()
        .map(|(name, version)| key(name, version))
        .collect();
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    for (name, version) in yanked {
        let yank = metadata(&data, name, version).yanked.clone();
        let reason = yank.and_then(|yank| yank.reason);
        assert!(
            reason.as_deref().is_some_and(|reason| !reason.is_empty()),
            "{name}=={version}: {reason:?}"
        );
    }
    // The trailing space of requests 2.32.1's reason is trimmed.
    assert_eq!(
        metadata(&data, "requests", "2.32.1")
            .yanked
            .as_ref()
            .unwrap()
            .reason
            .as_deref(),
        Some("Yanked due to conflicts with CVE-2024-35195 mitigation")
    );
    // The newest release skips yanked and pre-releases.
    assert_eq!(
        metadata(&data, "urllib3", "2.0.0").newest_version,
        Some(Version::from_str("2.8.0").unwrap())
    );
    assert_eq!(
        metadata(&data, "urllib3", "1.25").major_versions_behind(&key("urllib3", "1.25").version),
        Some(1)
    );
}

#[test]
fn license_sources() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [
        key("attrs", "25.3.0"),
        key("requests", "2.31.0"),
        key("nose", "1.3.7"),
        key("jinja2", "3.1.6"),
        key("pycrypto", "2.6.1"),
        key("certifi", "2024.2.2"),
        key("click", "8.1.7"),
    ];
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    let license = |name: &str, version: &str| {
        metadata(&data, name, version)
            .license
            .clone()
            .expect("the JSON API was asked")
    };

    let attrs = license("attrs", "25.3.0");
    assert_eq!(attrs.expression.as_deref(), Some("MIT"));
    assert_eq!(attrs.source, LicenseSource::Pep639);
    // `info` describes the newest release, not the locked one; the data says so.
    assert_eq!(attrs.of_version, "26.1.0");

    // Free text `Apache-2.0` (exact) wins over the versionless `Apache Software License`.
    let requests = license("requests", "2.31.0");
    assert_eq!(requests.expression.as_deref(), Some("Apache-2.0"));
    assert_eq!(requests.source, LicenseSource::FreeText);
    assert_eq!(requests.raw, "Apache-2.0");
    assert!(!requests.assumed);

    // `GNU LGPL` and the LGPL classifier name no version: unknown, never guessed.
    let nose = license("nose", "1.3.7");
    assert_eq!(nose.expression, None);
    assert_eq!(nose.source, LicenseSource::Unknown);
    assert_eq!(nose.raw, "GNU LGPL");
    assert!(nose.note.is_some());

    // Classifiers only: `BSD License` → BSD-3-Clause, marked as assumed.
    let jinja2 = license("jinja2", "3.1.6");
    assert_eq!(jinja2.expression.as_deref(), Some("BSD-3-Clause"));
    assert_eq!(jinja2.source, LicenseSource::Classifier);
    assert_eq!(jinja2.raw, "License :: OSI Approved :: BSD License");
    assert!(jinja2.assumed);

    // `License :: Public Domain` (and the free text `Public domain`): a LicenseRef.
    let pycrypto = license("pycrypto", "2.6.1");
    assert_eq!(
        pycrypto.expression.as_deref(),
        Some("LicenseRef-Public-Domain")
    );
    assert_eq!(pycrypto.source, LicenseSource::Classifier);

    let certifi = license("certifi", "2024.2.2");
    assert_eq!(certifi.expression.as_deref(), Some("MPL-2.0"));
    assert_eq!(certifi.source, LicenseSource::Classifier);

    let click = license("click", "8.1.7");
    assert_eq!(click.expression.as_deref(), Some("BSD-3-Clause"));
    assert_eq!(click.source, LicenseSource::Pep639);
}

#[test]
fn stale_projects_relative_to_a_fixed_now() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [
        key("nose", "1.3.7"),
        key("pycrypto", "2.6.1"),
        key("six", "1.16.0"),
        key("requests", "2.31.0"),
    ];
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    let stale = |name: &str, version: &str| {
        metadata(&data, name, version)
            .is_stale(NOW, TWO_YEARS)
            .unwrap()
    };
    assert!(stale("nose", "1.3.7"));
    assert!(stale("pycrypto", "2.6.1"));
    // six's last upload (2024-12) is old but within two years.
    assert!(!stale("six", "1.16.0"));
    assert!(!stale("requests", "2.31.0"));
    assert_eq!(
        metadata(&data, "nose", "1.3.7").last_upload_time,
        Some(time("2015-06-02T09:12:40.570975Z"))
    );
    // Release age: nothing recorded is younger than a week at NOW; requests 2.34.2 is younger
    // than a year.
    let requests = metadata(&data, "requests", "2.31.0");
    assert_eq!(requests.locked_release_too_new(NOW, 7 * DAY), Some(false));
    assert_eq!(requests.project_too_new(NOW, 7 * DAY), Some(false));
    assert!(metadata::is_younger_than(
        requests.newest_upload_time.unwrap(),
        NOW,
        365 * DAY
    ));
}

#[test]
fn a_second_run_within_the_ttl_makes_no_request() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [key("requests", "2.31.0"), key("attrs", "25.3.0")];
    let first = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    assert_eq!(first.requests, 4);
    let before = served.server.log().len();

    let later = NOW.saturating_add(5 * HOUR);
    let second = collect(&targets, &cache, &settings(&served.server.url(), later)).unwrap();
    assert_eq!(second.requests, 0);
    assert_eq!(served.server.log().len(), before);
    assert_eq!(first.packages, second.packages);
    assert_eq!(second.sources.len(), 1);
    assert_eq!(second.sources[0].kind, "cache");
    assert_eq!(second.oldest_data, Some(NOW.unix_millis()));

    // The cached payload is trimmed: a few KB, not the 200 KB answer.
    let entry = cache.get(&PROJECT_NAMESPACE, "requests").unwrap().unwrap();
    let full = std::fs::read(pypi_dir().join("requests.json")).unwrap();
    assert!(
        entry.payload.len() * 10 < full.len(),
        "{} bytes cached of {}",
        entry.payload.len(),
        full.len()
    );
}

#[test]
fn after_the_ttl_a_304_revalidates_without_downloading() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [key("requests", "2.32.0")];
    let first = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    let etag = cache
        .get(&PROJECT_NAMESPACE, "requests")
        .unwrap()
        .unwrap()
        .etag
        .expect("the server sends an ETag");

    let later = NOW.saturating_add(7 * HOUR);
    let second = collect(&targets, &cache, &settings(&served.server.url(), later)).unwrap();
    assert_eq!(second.requests, 2);
    let log = served.server.log();
    let revalidation = log
        .iter()
        .rev()
        .find(|request| request.path == "/pypi/requests/json")
        .unwrap();
    assert_eq!(
        revalidation.headers.get("if-none-match"),
        Some(&etag),
        "a conditional request"
    );
    assert!(
        log.iter()
            .rev()
            .find(|request| request.path == "/simple/requests/")
            .unwrap()
            .headers
            .contains_key("if-none-match")
    );
    // The 304 renewed the entry: fetched now, fresh for another TTL, same payload.
    let entry = cache.get(&PROJECT_NAMESPACE, "requests").unwrap().unwrap();
    assert_eq!(entry.fetched_at, later);
    assert!(entry.is_fresh(later.saturating_add(5 * HOUR)));
    let revalidated = metadata(&second, "requests", "2.32.0");
    assert_eq!(revalidated.as_of, later);
    assert!(!revalidated.stale);
    assert_eq!(
        revalidated.yanked,
        metadata(&first, "requests", "2.32.0").yanked
    );
    assert!(
        second
            .sources
            .iter()
            .any(|source| source.kind == "pypi-json-api" && source.entries == 1),
        "{:?}",
        second.sources
    );
}

#[test]
fn a_failing_project_is_unavailable_and_the_others_are_fine() {
    let served = Served::start();
    served.server.inject(
        "/pypi/nose/json",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let cache = Cache::in_memory();
    let targets = [key("nose", "1.3.7"), key("six", "1.16.0")];
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    let reason = unavailable_reason(&data, "nose", "1.3.7");
    assert!(reason.contains("500"), "{reason}");
    assert!(reason.contains("/pypi/nose/json"), "{reason}");
    assert!(metadata(&data, "six", "1.16.0").yanked.is_none());
    assert!(
        data.warnings
            .iter()
            .any(|warning| warning.contains("no PyPI metadata") && warning.contains("nose")),
        "{:?}",
        data.warnings
    );

    // A project PyPI does not know: unavailable, saying so.
    let data = collect(
        &[key("no-such-project", "1.0")],
        &cache,
        &settings(&served.server.url(), NOW),
    )
    .unwrap();
    let reason = unavailable_reason(&data, "no-such-project", "1.0");
    assert!(reason.contains("404"), "{reason}");
}

#[test]
fn a_failure_after_a_cached_answer_uses_the_stale_copy() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let targets = [key("six", "1.16.0")];
    collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    served.server.inject(
        "/pypi/six/json",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        usize::MAX,
    );
    let later = NOW.saturating_add(DAY);
    let data = collect(&targets, &cache, &settings(&served.server.url(), later)).unwrap();
    let six = metadata(&data, "six", "1.16.0");
    assert!(six.stale);
    assert_eq!(six.as_of, NOW);
    assert_eq!(six.age(later), DAY);
    assert!(
        data.warnings
            .iter()
            .any(|warning| warning.contains("older cached metadata")),
        "{:?}",
        data.warnings
    );
}

#[test]
fn pep_792_status_from_the_simple_api() {
    let served = Served::start();
    served.server.set_body(
        "/simple/six/",
        200,
        "application/vnd.pypi.simple.v1+json",
        r#"{"meta": {"api-version": "1.4"}, "name": "six", "files": [],
            "project-status": {"status": "archived", "reason": "no longer maintained"}}"#,
    );
    served.server.inject(
        "/simple/nose/",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let cache = Cache::in_memory();
    let targets = [key("six", "1.16.0"), key("nose", "1.3.7")];
    let data = collect(&targets, &cache, &settings(&served.server.url(), NOW)).unwrap();
    assert_eq!(
        metadata(&data, "six", "1.16.0").project_status,
        ProjectStatusInfo::Reported {
            status: "archived".to_owned(),
            reason: Some("no longer maintained".to_owned())
        }
    );
    // The Simple API failing leaves the status unknown, not active; the rest is there.
    let nose = metadata(&data, "nose", "1.3.7");
    assert!(
        matches!(&nose.project_status, ProjectStatusInfo::Unknown { reason } if reason.contains("500")),
        "{:?}",
        nose.project_status
    );
    assert_eq!(nose.license.as_ref().unwrap().raw, "GNU LGPL");
    assert!(
        data.warnings
            .iter()
            .any(|warning| warning.starts_with("no PEP 792 project status")
                && warning.contains("nose")),
        "{:?}",
        data.warnings
    );

    // Turned off: no Simple request, the status unknown.
    let before = served.server.requests("/simple/");
    let settings = MetadataSettings {
        simple_api: false,
        ..settings(&served.server.url(), NOW)
    };
    let data = collect(&[key("idna", "3.7")], &Cache::in_memory(), &settings).unwrap();
    assert_eq!(served.server.requests("/simple/"), before);
    assert!(matches!(
        metadata(&data, "idna", "3.7").project_status,
        ProjectStatusInfo::Unknown { .. }
    ));
}

#[test]
fn offline_uses_the_cache_with_its_age_or_says_unavailable() {
    let served = Served::start();
    let cache = Cache::in_memory();
    collect(
        &[key("attrs", "25.3.0")],
        &cache,
        &settings(&served.server.url(), NOW),
    )
    .unwrap();

    let later = NOW.saturating_add(3 * DAY);
    let targets = [key("attrs", "25.3.0"), key("idna", "3.7")];
    let data = collect(&targets, &cache, &offline(later)).unwrap();
    assert_eq!(data.requests, 0);
    let attrs = metadata(&data, "attrs", "25.3.0");
    assert!(attrs.stale);
    assert_eq!(attrs.age(later), 3 * DAY);
    assert_eq!(
        attrs.license.as_ref().unwrap().expression.as_deref(),
        Some("MIT")
    );
    assert_eq!(attrs.project_status, ProjectStatusInfo::Active);
    assert_eq!(data.oldest_data, Some(NOW.unix_millis()));
    let reason = unavailable_reason(&data, "idna", "3.7");
    assert!(reason.contains("offline"), "{reason}");
    assert!(
        data.warnings
            .iter()
            .any(|warning| warning.contains("(offline)") && warning.contains("3 days")),
        "{:?}",
        data.warnings
    );
}

/// Warm-cache cost for 300 projects on an on-disk cache: `cargo test --release --test it metadata::
/// -- --ignored --nocapture warm_cache`.
#[test]
#[ignore = "timing; run by hand"]
fn warm_cache_timing_for_300_projects() {
    let served = Served::start();
    let directory = tempfile::tempdir().unwrap();
    let recorded = [
        "attrs", "certifi", "click", "idna", "jinja2", "nose", "pycrypto", "pyyaml", "requests",
        "rich", "six", "urllib3",
    ];
    let mut targets = Vec::new();
    for index in 0..300 {
        let source = recorded[index % recorded.len()];
        let name = format!("project-{index}");
        let body = std::fs::read(pypi_dir().join(format!("{source}.json"))).unwrap();
        served
            .server
            .set_body(&format!("/pypi/{name}/json"), 200, "application/json", body);
        let simple = std::fs::read(pypi_dir().join(format!("{source}.simple.json"))).unwrap();
        served.server.set_body(
            &format!("/simple/{name}/"),
            200,
            "application/vnd.pypi.simple.v1+json",
            simple,
        );
        targets.push(key(&name, "1.0"));
    }
    {
        let opened = Cache::open(&OpenOptions::new(directory.path())).unwrap();
        let started = Instant::now();
        let data = collect(
            &targets,
            &opened.cache,
            &settings(&served.server.url(), NOW),
        )
        .unwrap();
        println!("cold: {:?}, {} requests", started.elapsed(), data.requests);
        opened.cache.flush().unwrap();
    }
    for run in 0..3 {
        let started = Instant::now();
        let opened = Cache::open(&OpenOptions::new(directory.path())).unwrap();
        let opened_at = started.elapsed();
        let data = collect(
            &targets,
            &opened.cache,
            &settings(&served.server.url(), NOW),
        )
        .unwrap();
        println!(
            "warm run {run}: open {opened_at:?}, total {:?}, {} requests",
            started.elapsed(),
            data.requests
        );
        assert_eq!(data.requests, 0);
    }
}

/// The default rules ask the Simple API alone, and it carries the same release facts as the
/// JSON API on the recorded answers; licenses and classifiers are then not read.
#[test]
fn the_simple_api_alone_gives_the_release_facts() {
    let served = Served::start();
    let both = collect(
        &[key("requests", "2.32.0"), key("six", "1.16.0")],
        &Cache::in_memory(),
        &settings(&served.server.url(), NOW),
    )
    .unwrap();
    let json_before = served.server.requests("/pypi/");
    let simple_only = MetadataSettings {
        json_api: false,
        ..settings(&served.server.url(), NOW)
    };
    let alone = collect(
        &[key("requests", "2.32.0"), key("six", "1.16.0")],
        &Cache::in_memory(),
        &simple_only,
    )
    .unwrap();
    assert_eq!(served.server.requests("/pypi/"), json_before);
    assert_eq!(alone.requests, 2);
    for (name, version) in [("requests", "2.32.0"), ("six", "1.16.0")] {
        let (from_both, from_simple) = (
            metadata(&both, name, version),
            metadata(&alone, name, version),
        );
        assert_eq!(from_simple.yanked, from_both.yanked, "{name}");
        assert_eq!(from_simple.locked_upload_time, from_both.locked_upload_time);
        assert_eq!(from_simple.first_upload_time, from_both.first_upload_time);
        assert_eq!(from_simple.last_upload_time, from_both.last_upload_time);
        assert_eq!(from_simple.newest_version, from_both.newest_version);
        assert_eq!(from_simple.newest_upload_time, from_both.newest_upload_time);
        assert_eq!(from_simple.project_status, from_both.project_status);
        assert_eq!(from_simple.license, None);
        assert_eq!(from_simple.classifiers_inactive, None);
    }
    let kinds: Vec<&str> = alone
        .sources
        .iter()
        .map(|source| source.kind.as_str())
        .collect();
    assert_eq!(kinds, ["pypi-simple-api"]);
}

/// PEP 700 leaves `upload-time` optional: a page without it would leave every age rule silent,
/// so its project is asked of the JSON API instead, and is unavailable when that fails too.
#[test]
fn an_undated_simple_page_falls_back_to_the_json_api() {
    let served = Served::start();
    for name in ["idna", "six"] {
        served.server.set_body(
            &format!("/simple/{name}/"),
            200,
            "application/vnd.pypi.simple.v1+json",
            format!(
                r#"{{"meta": {{"api-version": "1.1"}}, "name": "{name}", "versions": ["1.0"],
                    "files": [{{"filename": "{name}-1.0.tar.gz", "url": "x", "hashes": {{}}}}]}}"#
            ),
        );
    }
    served.server.inject(
        "/pypi/six/json",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let simple_only = MetadataSettings {
        json_api: false,
        ..settings(&served.server.url(), NOW)
    };
    let cache = Cache::in_memory();
    let targets = [key("idna", "3.7"), key("six", "1.16.0")];
    let data = collect(&targets, &cache, &simple_only).unwrap();
    assert_eq!(served.server.requests("/pypi/idna/json"), 1);
    let idna = metadata(&data, "idna", "3.7");
    assert!(idna.locked_version_listed);
    assert!(idna.locked_upload_time.is_some());
    let reason = unavailable_reason(&data, "six", "1.16.0");
    assert!(
        reason.contains("PEP 700") && reason.contains("500"),
        "{reason}"
    );

    // The next run finds both answers in the cache and asks nothing.
    let requests = served.server.log().len();
    let again = collect(&[key("idna", "3.7")], &cache, &simple_only).unwrap();
    assert_eq!(again.requests, 0);
    assert_eq!(served.server.log().len(), requests);
    assert!(metadata(&again, "idna", "3.7").locked_upload_time.is_some());
}

/// An index that answers for one project with another's page (a misconfigured proxy, or a
/// hostile mirror) would lend that project's releases, ages and status: the package is
/// unavailable instead, with the name the page gave, and nothing of the page is cached.
#[test]
fn a_page_about_another_project_is_not_used() {
    let served = Served::start();
    served.server.set_body(
        "/simple/idna/",
        200,
        "application/vnd.pypi.simple.v1+json",
        r#"{"meta": {"api-version": "1.1"}, "name": "six", "versions": ["3.7"],
            "files": [{"filename": "six-3.7.tar.gz", "url": "x", "hashes": {},
                       "upload-time": "2024-04-11T03:34:30.123Z"}]}"#,
    );
    let simple_only = MetadataSettings {
        json_api: false,
        ..settings(&served.server.url(), NOW)
    };
    let cache = Cache::in_memory();
    let data = collect(
        &[key("idna", "3.7"), key("six", "1.16.0")],
        &cache,
        &simple_only,
    )
    .unwrap();
    let reason = unavailable_reason(&data, "idna", "3.7");
    assert!(reason.contains("another project (\"six\")"), "{reason}");
    assert!(
        metadata(&data, "six", "1.16.0")
            .locked_upload_time
            .is_some()
    );
    // A JSON API answer is held to the same rule.
    let json_only = MetadataSettings {
        simple_api: false,
        ..settings(&served.server.url(), NOW)
    };
    served.server.set_body(
        "/pypi/idna/json",
        200,
        "application/json",
        r#"{"info": {"name": "six", "version": "3.7"}, "releases": {}}"#,
    );
    let data = collect(&[key("idna", "3.7")], &Cache::in_memory(), &json_only).unwrap();
    let reason = unavailable_reason(&data, "idna", "3.7");
    assert!(reason.contains("another project"), "{reason}");

    // Nothing of the wrong page was cached: the next run asks again.
    let before = served.server.requests("/simple/idna/");
    collect(&[key("idna", "3.7")], &cache, &simple_only).unwrap();
    assert_eq!(served.server.requests("/simple/idna/"), before + 1);
}

/// Offline, a project whose page the cache lacks is read from a cached JSON API answer when
/// there is one (a cache filled by an older version, or by a run with the license rules).
#[test]
fn offline_a_cached_json_answer_stands_in_for_a_missing_page() {
    let served = Served::start();
    let cache = Cache::in_memory();
    let json_only = MetadataSettings {
        simple_api: false,
        ..settings(&served.server.url(), NOW)
    };
    collect(&[key("attrs", "25.3.0")], &cache, &json_only).unwrap();
    let later = NOW.saturating_add(DAY);
    let simple_only = MetadataSettings {
        json_api: false,
        ..offline(later)
    };
    let data = collect(
        &[key("attrs", "25.3.0"), key("idna", "3.7")],
        &cache,
        &simple_only,
    )
    .unwrap();
    assert_eq!(data.requests, 0);
    let attrs = metadata(&data, "attrs", "25.3.0");
    assert!(attrs.locked_upload_time.is_some());
    assert!(matches!(
        attrs.project_status,
        ProjectStatusInfo::Unknown { .. }
    ));
    let reason = unavailable_reason(&data, "idna", "3.7");
    assert!(reason.contains("offline"), "{reason}");
}
