//! `pyaudit review` end to end against a loopback PyPI and OSV (never a live service): recorded
//! PyPI answers (the corpus's `pypi/`, file URLs rewritten to the loopback server) and synthetic
//! projects served with `set_body`, OSV answers from the PyPA advisory database.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::command::pyaudit_at;
use crate::support::corpus;
use crate::support::scenario::simple_page;
use crate::support::server::{Served, TestServer};
use assert_cmd::Command;
use serde_json::{Value, json};

pub(crate) const NOW: &str = "2026-11-25";

/// `pyaudit review` with a private cache, run from an empty directory (no config found), every
/// service at the loopback server and anything else at a closed port.
pub(crate) fn review(server: &TestServer, cache: &Path, directory: &Path) -> Command {
    let mut command = pyaudit_at(cache, NOW);
    command
        .current_dir(directory)
        .env("PYAUDIT_OSV_URL", server.url())
        .env("PYAUDIT_PYPI_URL", server.url())
        .arg("review");
    command
}

/// One synthetic release: version, Requires-Python, METADATA requirements, yanked.
struct Release<'a> {
    version: &'a str,
    requires_python: Option<&'a str>,
    requires: &'a [&'a str],
    yanked: bool,
}

fn release<'a>(version: &'a str, requires: &'a [&'a str]) -> Release<'a> {
    Release {
        version,
        requires_python: None,
        requires,
        yanked: false,
    }
}

/// Serve a synthetic project: its JSON API answer, Simple API answer and one wheel per release
/// whose METADATA is at `<wheel url>.metadata` (PEP 658).
fn serve_project(server: &TestServer, name: &str, releases: &[Release<'_>]) {
    let mut files = serde_json::Map::new();
    for (position, release) in releases.iter().enumerate() {
        let wheel = format!("{name}-{}-py3-none-any.whl", release.version);
        let url = format!("{}/files/{wheel}", server.url());
        files.insert(
            release.version.to_owned(),
            json!([{
                "filename": wheel,
                "packagetype": "bdist_wheel",
                "upload_time_iso_8601": format!("2025-{:02}-01T00:00:00.000000Z", position + 1),
                "yanked": release.yanked,
                "requires_python": release.requires_python,
                "url": url,
                "core-metadata": true,
            }]),
        );
        let mut metadata = format!(
            "Metadata-Version: 2.4\nName: {name}\nVersion: {}\nLicense-Expression: MIT\n",
            release.version
        );
        if let Some(requires_python) = release.requires_python {
            metadata.push_str(&format!("Requires-Python: {requires_python}\n"));
        }
        for requirement in release.requires {
            metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        metadata.push_str("\nA description.\nRequires-Dist: not-a-header\n");
        server.set_body(
            &format!("/files/{wheel}.metadata"),
            200,
            "text/plain",
            metadata,
        );
    }
    let newest = releases.last().map_or("0", |release| release.version);
    let document = json!({
        "info": {"name": name, "version": newest, "license_expression": "MIT",
                 "classifiers": [], "requires_dist": null},
        "releases": files,
    });
    server.set_body(
        &format!("/pypi/{name}/json"),
        200,
        "application/json",
        document.to_string(),
    );
    server.set_body(
        &format!("/simple/{name}/"),
        200,
        "application/vnd.pypi.simple.v1+json",
        simple_page(&document).to_string(),
    );
}

/// A synthetic tree, with markers, extras, a cycle, a yanked release, a pre-release and a
/// release that needs a newer Python:
///
/// ```text
/// rtapp 1.0
/// ├── rtcore>=1          1.0 | 1.5 | 2.0 (Requires-Python >=3.13) | 2.1rc1
/// │   └── (1.5) rtutil[fast]>=0.2     0.1 | 0.2 | 0.3 (yanked)
/// │       ├── rtleaf                  1.0 → rtcore (a cycle)
/// │       └── rtspeedup ; extra == "fast"
/// ├── rtwin ; sys_platform == "win32"
/// ├── rtlegacy ; python_version < "3.11"
/// └── rtextra ; extra == "full"
/// ```
pub(crate) fn serve_tree(server: &TestServer) {
    serve_project(
        server,
        "rtapp",
        &[Release {
            version: "1.0",
            requires_python: Some(">=3.9"),
            requires: &[
                "rtcore>=1",
                "rtwin; sys_platform == \"win32\"",
                "rtlegacy; python_version < \"3.11\"",
                "rtextra; extra == \"full\"",
            ],
            yanked: false,
        }],
    );
    serve_project(
        server,
        "rtcore",
        &[
            release("1.0", &[]),
            release("1.5", &["rtutil[fast]>=0.2"]),
            Release {
                version: "2.0",
                requires_python: Some(">=3.13"),
                requires: &[],
                yanked: false,
            },
            release("2.1rc1", &[]),
        ],
    );
    serve_project(
        server,
        "rtutil",
        &[
            release("0.1", &[]),
            release("0.2", &["rtleaf", "rtspeedup; extra == \"fast\""]),
            Release {
                version: "0.3",
                requires_python: None,
                requires: &[],
                yanked: true,
            },
        ],
    );
    serve_project(server, "rtleaf", &[release("1.0", &["rtcore"])]);
    for name in ["rtspeedup", "rtwin", "rtlegacy", "rtextra"] {
        serve_project(server, name, &[release("1.0", &[])]);
    }
}

fn run_json(command: &mut Command) -> (i32, Value) {
    let output = command.arg("--format").arg("json").output().unwrap();
    let code = output.status.code().unwrap();
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, document)
}

/// name → version of every package of the closure.
fn closure(document: &Value) -> BTreeMap<String, String> {
    document["resolution"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            (
                package["name"].as_str().unwrap().to_owned(),
                package["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(name, version)| (name.to_string(), version.to_string()))
        .collect()
}

#[test]
fn deep_tree_honours_markers_extras_python_and_yanks() {
    let server = Served::start();
    serve_tree(&server);
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    // CPython 3.12 on Linux: no rtwin, no rtlegacy, no rtextra; rtcore 2.0 needs 3.13 and
    // 2.1rc1 is a pre-release, so 1.5; rtutil 0.3 is yanked, so 0.2; the extra `fast` of rtutil
    // brings rtspeedup; the cycle rtleaf → rtcore closes on the chosen rtcore.
    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("rtapp"));
    assert_eq!(document["schema"], "pyaudit-review/1");
    assert_eq!(document["verdict"], "approve", "{document:#}");
    assert_eq!(code, 0);
    assert_eq!(document["package"]["name"], "rtapp");
    assert_eq!(document["package"]["version"], "1.0");
    assert_eq!(document["target"]["markers"]["sys_platform"], "linux");
    assert_eq!(
        closure(&document),
        pairs(&[
            ("rtapp", "1.0"),
            ("rtcore", "1.5"),
            ("rtutil", "0.2"),
            ("rtleaf", "1.0"),
            ("rtspeedup", "1.0"),
        ])
    );
    let tree: Vec<(u64, String, bool)> = document["resolution"]["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["depth"].as_u64().unwrap(),
                line["name"].as_str().unwrap().to_owned(),
                line["repeated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tree,
        [
            (1, "rtapp".to_owned(), false),
            (2, "rtcore".to_owned(), false),
            (3, "rtutil".to_owned(), false),
            (4, "rtleaf".to_owned(), false),
            (5, "rtcore".to_owned(), true),
            (4, "rtspeedup".to_owned(), false),
        ]
    );
    let speedup = &document["resolution"]["tree"][5];
    assert_eq!(speedup["via_extra"], "fast");
    assert_eq!(speedup["marker"], "extra == 'fast'");
    let app = &document["resolution"]["packages"][0];
    assert_eq!(app["requirements_from"]["kind"], "core-metadata");
    assert_eq!(app["skipped_by_markers"].as_array().unwrap().len(), 2);
    assert!(document["reasons"].as_array().unwrap().is_empty());

    // Python 3.10 on Windows: both marker branches are taken.
    let (code, document) = run_json(review(&server, cache.path(), directory.path()).args([
        "rtapp",
        "--python",
        "3.10",
        "--platform",
        "windows",
    ]));
    assert_eq!(code, 0, "{document:#}");
    let packages = closure(&document);
    assert_eq!(packages.get("rtwin").map(String::as_str), Some("1.0"));
    assert_eq!(packages.get("rtlegacy").map(String::as_str), Some("1.0"));
    assert_eq!(document["target"]["markers"]["sys_platform"], "win32");

    // Python 3.13: rtcore 2.0 becomes possible and brings nothing.
    let (_, document) = run_json(
        review(&server, cache.path(), directory.path()).args(["rtapp", "--python", "3.13"]),
    );
    assert_eq!(
        closure(&document),
        pairs(&[("rtapp", "1.0"), ("rtcore", "2.0")])
    );

    // An extra of the reviewed package, and a pin the text output shows as a tree.
    let (_, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("rtapp[full]==1.0"));
    assert_eq!(
        closure(&document).get("rtextra").map(String::as_str),
        Some("1.0")
    );
    let output = review(&server, cache.path(), directory.path())
        .args(["rtapp", "--platform", "windows"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("rtapp==1.0\n"), "{text}");
    assert!(text.contains("├── rtcore==1.5\n"), "{text}");
    assert!(text.contains("│   └── rtutil[fast]==0.2\n"), "{text}");
    assert!(
        text.contains("└── rtwin==1.0 ; sys_platform == 'win32'"),
        "{text}"
    );
    assert!(text.contains("rtcore==1.5 (*)"), "{text}");
    assert!(text.contains("approximation of a resolver"), "{text}");
    assert!(text.contains("verdict: APPROVE"), "{text}");

    // A second run offline comes from the cache alone.
    let before = server.log().len();
    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).args(["rtapp", "--offline"]));
    assert_eq!(code, 0, "{document:#}");
    assert_eq!(closure(&document).len(), 5);
    assert_eq!(server.log().len(), before);
}

#[test]
fn what_cannot_be_resolved_needs_review() {
    let server = Served::start();
    serve_project(
        &server,
        "rtbroken",
        &[release(
            "1.0",
            &["rtmissing>=1", "rtold<1", "rtbad; extra ==", "rthash"],
        )],
    );
    serve_project(&server, "rtold", &[release("2.0", &[])]);
    // A METADATA file whose declared SHA-256 does not match is refused.
    serve_project(&server, "rthash", &[release("1.0", &[])]);
    let body = json!({
        "info": {"name": "rthash", "version": "1.0", "requires_dist": null},
        "releases": {"1.0": [{
            "filename": "rthash-1.0-py3-none-any.whl",
            "packagetype": "bdist_wheel",
            "upload_time_iso_8601": "2025-01-01T00:00:00Z",
            "url": format!("{}/files/rthash-1.0-py3-none-any.whl", server.url()),
            "core-metadata": {"sha256": "00".repeat(32)},
        }]},
    });
    server.set_body(
        "/pypi/rthash/json",
        200,
        "application/json",
        body.to_string(),
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("rtbroken"));
    assert_eq!(document["verdict"], "needs-review", "{document:#}");
    assert_eq!(code, 3);
    let unresolved: Vec<String> = document["resolution"]["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| format!("{}: {}", entry["requirement"], entry["reason"]))
        .collect();
    let joined = unresolved.join("\n");
    assert!(
        joined.contains("rtmissing>=1") && joined.contains("404"),
        "{joined}"
    );
    assert!(
        joined.contains("rtold<1") && joined.contains("no release"),
        "{joined}"
    );
    assert!(
        joined.contains("rtbad") && joined.contains("PEP 508"),
        "{joined}"
    );
    assert!(
        joined.contains("rthash") && joined.contains("SHA-256"),
        "{joined}"
    );
    assert_eq!(unresolved.len(), 4, "{joined}");
    assert!(
        document["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason.as_str().unwrap().contains("rtmissing"))
    );

    // Markdown says it too.
    let output = review(&server, cache.path(), directory.path())
        .args(["rtbroken", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(
        markdown.starts_with("## ⚠️ pyaudit review `rtbroken`: needs review"),
        "{markdown}"
    );
}

/// The recorded answer of `name`, with file URLs on the loopback server and every file's core
/// metadata served: `requirements` for the versions given, none for the others.
fn serve_recorded(server: &TestServer, name: &str, requirements: &[(&str, &[&str])]) {
    let text = std::fs::read_to_string(corpus::path(&format!("pypi/{name}.json"))).unwrap();
    let text = text.replace("https://files.pythonhosted.org", &server.url());
    let mut document: Value = serde_json::from_str(&text).unwrap();
    let releases = document["releases"].as_object_mut().unwrap();
    for (version, files) in releases.iter_mut() {
        let requires = requirements
            .iter()
            .find(|(listed, _)| listed == version)
            .map_or(&[][..], |(_, requires)| *requires);
        for file in files.as_array_mut().unwrap() {
            // The recorded hashes are of the real METADATA files, not of these stand-ins.
            file["core-metadata"] = json!(true);
            let url = file["url"].as_str().unwrap().to_owned();
            // Some recorded URLs are relative to the JSON API's URL (`/pypi/<name>/json`).
            let path = match url.strip_prefix("../../") {
                Some(relative) => format!("/{relative}"),
                None => url.strip_prefix(&server.url()).unwrap().to_owned(),
            };
            let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
            for requirement in requires {
                metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
            }
            server.set_body(&format!("{path}.metadata"), 200, "text/plain", metadata);
        }
    }
    server.set_body(
        &format!("/pypi/{name}/json"),
        200,
        "application/json",
        document.to_string(),
    );
}

#[test]
fn a_known_advisory_denies() {
    let server = Served::pypa();
    // requests 2.19.0's own requirements (chardet is not recorded: it stays unresolved).
    serve_recorded(
        &server,
        "requests",
        &[(
            "2.19.0",
            &[
                "chardet (<3.1.0,>=3.0.2)",
                "idna (<2.8,>=2.5)",
                "urllib3 (<1.24,>=1.21.1)",
                "certifi (>=2017.4.17)",
                "PySocks (!=1.5.7,>=1.5.6); extra == 'socks'",
            ],
        )],
    );
    serve_recorded(&server, "idna", &[]);
    serve_recorded(&server, "urllib3", &[]);
    serve_recorded(&server, "certifi", &[]);
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("requests==2.19.0"));
    assert_eq!(document["verdict"], "deny", "{document:#}");
    assert_eq!(code, 1);
    let packages = closure(&document);
    assert_eq!(packages["requests"], "2.19.0");
    assert_eq!(packages["idna"], "2.7");
    assert_eq!(packages["urllib3"], "1.23");
    assert!(!packages.contains_key("pysocks"));
    let vulnerable: Vec<String> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["code"] == "PA101")
        .map(|finding| finding["package"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        vulnerable.contains(&"requests".to_owned()),
        "{vulnerable:?}"
    );
    assert!(vulnerable.contains(&"urllib3".to_owned()), "{vulnerable:?}");
    let reasons = document["reasons"].to_string();
    assert!(reasons.contains("PA101 requests==2.19.0"), "{reasons}");
    assert!(reasons.contains("chardet"), "{reasons}");
    let requests = &document["resolution"]["packages"][0];
    assert!(requests["vulnerabilities"].as_u64().unwrap() >= 1);
    assert!(requests["releases_last_year"].is_u64());

    let output = review(&server, cache.path(), directory.path())
        .arg("requests==2.19.0")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("verdict: DENY"), "{text}");
    assert!(text.contains("├── urllib3==1.23"), "{text}");
    assert!(
        text.contains("requests==2.19.0: 2 known vulnerabilities"),
        "{text}"
    );

    // Against a lock that already has urllib3 1.23: it is listed apart and not evaluated.
    let lock = directory.path().join("requirements.txt");
    std::fs::write(&lock, "urllib3==1.23\n").unwrap();
    let (code, document) = run_json(
        review(&server, cache.path(), directory.path())
            .args(["requests==2.19.0", "--against"])
            .arg(&lock),
    );
    assert_eq!(code, 1);
    assert_eq!(
        document["against"]["already_locked"],
        json!(["urllib3==1.23"])
    );
    assert!(
        !document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["package"]["name"] == "urllib3")
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let server = Served::start();
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (args, message) in [
        (&["requests=="][..], "is not a package requirement"),
        (
            &["requests", "--python", "three"][..],
            "is not a Python version",
        ),
        (&["requests; os_name == 'nt'"][..], "has a marker"),
        (&["a. ==1"][..], "is not a package requirement"),
        (
            &["requests", "--against", "/nonexistent/uv.lock"][..],
            "--against",
        ),
    ] {
        let output = review(&server, cache.path(), directory.path())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A project PyPI does not have: needs review, not an error and never approve.
    let output = review(&server, cache.path(), directory.path())
        .arg("rtnothere")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(server.requests("/v1/querybatch"), 0);
}

/// The `requests==2.19.0` closure of [`a_known_advisory_denies`], advisories from the PyPA
/// database with OSV's own matching, plus a malicious-package record naming `idna` (for an old
/// version only, so it is history, not a finding).
fn serve_requests_closure(server: &TestServer) {
    assert!(server.load_yaml_records(&corpus::path("advisories/pypa")) > 2_000);
    server.use_advisory_matching();
    server.add_record(json!({
        "id": "MAL-2099-1",
        "modified": "2025-01-01T00:00:00Z",
        "summary": "Malicious code in idna (PyPI)",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "idna"}, "versions": ["0.1"]}],
        "database_specific": {"malicious-packages-origins": []}
    }));
    serve_recorded(
        server,
        "requests",
        &[(
            "2.19.0",
            &[
                "idna (<2.8,>=2.5)",
                "urllib3 (<1.24,>=1.21.1)",
                "certifi (>=2017.4.17)",
            ],
        )],
    );
    serve_recorded(server, "idna", &[]);
    serve_recorded(server, "urllib3", &[]);
    serve_recorded(server, "certifi", &[]);
}

fn package<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["resolution"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|package| package["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {document:#}"))
}

fn ids(value: &Value) -> Vec<String> {
    let mut ids: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The cadence of a recorded project computed here, independently: releases with files that
/// are not all yanked, by their earliest upload.
#[allow(clippy::type_complexity)]
fn recorded_cadence(name: &str, now: &str) -> (usize, usize, usize, String, String, usize, i64) {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus::path(&format!("pypi/{name}.json"))).unwrap(),
    )
    .unwrap();
    let day = |text: &str| -> i64 {
        // Days since 1970-01-01 of `YYYY-MM-DD…` (civil from days, Howard Hinnant's algorithm).
        let year: i64 = text[0..4].parse().unwrap();
        let month: i64 = text[5..7].parse().unwrap();
        let day: i64 = text[8..10].parse().unwrap();
        let (year, month) = if month <= 2 {
            (year - 1, month + 12)
        } else {
            (year, month)
        };
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let doy = (153 * (month - 3) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    };
    let mut uploads: Vec<String> = Vec::new();
    let mut yanked = 0;
    let mut empty = 0;
    for files in document["releases"].as_object().unwrap().values() {
        let files = files.as_array().unwrap();
        if files.is_empty() {
            empty += 1;
            continue;
        }
        if files.iter().all(|file| file["yanked"] == true) {
            yanked += 1;
            continue;
        }
        uploads.push(
            files
                .iter()
                .map(|file| file["upload_time_iso_8601"].as_str().unwrap().to_owned())
                .min()
                .unwrap(),
        );
    }
    uploads.sort();
    let today = day(now);
    let recent = uploads
        .iter()
        .filter(|upload| today - day(upload) <= 365)
        .count();
    let first = uploads.first().unwrap();
    // Whole days: an upload after midnight makes the last day incomplete.
    let age = today - day(first) - i64::from(&first[11..19] != "00:00:00");
    (
        uploads.len(),
        yanked,
        empty,
        first[..10].to_owned(),
        uploads.last().unwrap()[..10].to_owned(),
        recent,
        age,
    )
}

#[test]
fn each_package_shows_its_advisory_history_cadence_and_review_fixes() {
    let server = Served::start();
    serve_requests_closure(&server);
    // Two records a page: requests' five take three pages of `/v1/query`.
    server.set_page_size(2);
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("requests==2.19.0"));
    assert_eq!(code, 1, "{document:#}");
    assert!(
        server
            .log()
            .iter()
            .any(|request| request.path == "/v1/query")
    );
    let pages = server
        .log()
        .iter()
        .filter(|request| {
            // The history's pages (no version), not a version query for the locked records.
            request.path == "/v1/query"
                && request.json()["package"]["name"] == "requests"
                && request.json().get("version").is_none()
        })
        .count();
    assert_eq!(pages, 3);
    // Each source once, PyPI included (the resolution fetched it; the metadata stage then
    // read the cache the resolution filled).
    let mut kinds: Vec<&str> = document["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|source| source["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["cache", "osv-api", "pypi-json-api", "pypi-simple-api"],
        "{:#}",
        document["sources"]
    );

    // 1. Current and past advisories, with ids; the alias groups count once.
    let requests = package(&document, "requests");
    assert_eq!(requests["vulnerabilities"], 2);
    assert_eq!(requests["past_vulnerabilities"], 3, "{requests:#}");
    assert_eq!(requests["malicious_records"], 0);
    let history = &requests["advisories"];
    assert_eq!(history["status"], "checked");
    assert_eq!(ids(&history["current"]), ["PYSEC-2018-28", "PYSEC-2023-74"]);
    assert_eq!(
        ids(&history["past"]),
        ["PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2015-17"]
    );
    assert_eq!(ids(&history["newer_only"]), Vec::<String>::new());
    // The malicious record names idna's 0.1 only: history, not a finding.
    let idna = package(&document, "idna");
    assert_eq!(idna["malicious_records"], 1);
    assert_eq!(ids(&idna["advisories"]["malicious"]), ["MAL-2099-1"]);
    assert!(!document["findings"].to_string().contains("MAL-2099-1"));
    assert_eq!(ids(&idna["advisories"]["current"]), ["PYSEC-2024-60"]);

    // 2. Cadence from the release list, yanked releases left out.
    let (releases, yanked, empty, first, last, recent, age) = recorded_cadence("requests", NOW);
    let cadence = &requests["cadence"];
    assert_eq!(cadence["releases"], releases);
    assert_eq!(cadence["yanked_left_out"], yanked);
    assert_eq!(cadence["empty_left_out"], empty);
    assert_eq!(yanked, 2, "requests 2.32.0 and 2.32.1 are yanked");
    assert_eq!(cadence["releases_last_12_months"], recent);
    assert_eq!(cadence["age_days"], age);
    assert!(cadence["median_gap_days"].as_i64().unwrap() > 0);

    // 3. Fixes say what the reviewer can request, not what a lock tool would run.
    let findings = document["findings"].as_array().unwrap();
    let fix_of = |name: &str| -> Vec<&Value> {
        findings
            .iter()
            .filter(|finding| finding["code"] == "PA101" && finding["package"]["name"] == name)
            .map(|finding| &finding["fix"])
            .collect()
    };
    let own = fix_of("requests");
    assert!(!own.is_empty());
    for fix in &own {
        let version = fix["version"].as_str().unwrap();
        assert_eq!(
            fix["description"],
            format!("request `requests>={version}` instead")
        );
        assert_eq!(
            fix["command"],
            format!("pyaudit review 'requests>={version}'")
        );
    }
    let dependency = fix_of("urllib3");
    assert!(!dependency.is_empty());
    for fix in &dependency {
        let description = fix["description"].as_str().unwrap();
        let version = fix["version"].as_str().unwrap();
        assert!(
            description.starts_with(&format!(
                "`urllib3` comes in through requests -> urllib3: a version of `requests` that \
                 requires `urllib3>={version}`"
            )),
            "{description}"
        );
        assert!(fix.get("command").is_none(), "{fix}");
    }
    assert!(!document.to_string().contains("pip-compile"));

    // Text: counts and cadence per package, the cache listed once in the footer (the advisory,
    // history and PyPI answers all come from it on this second run).
    let output = review(&server, cache.path(), directory.path())
        .arg("requests==2.19.0")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(
            "advisories: 2 affect this version; 3 past (fixed before it); no malicious-package \
             record"
        ),
        "{text}"
    );
    assert!(text.contains("1 MALICIOUS-PACKAGE RECORD"), "{text}");
    assert!(
        text.contains(&format!("releases: first {first} (")),
        "{text}"
    );
    assert!(text.contains(&format!("last {last} (")), "{text}");
    assert!(
        text.contains(&format!("; {recent} in the last 12 months; median gap ")),
        "{text}"
    );
    let left_out = format!("(2 yanked and {empty} release(s) without files not counted)");
    assert!(text.contains(&left_out), "{text}");
    let footer = text
        .lines()
        .find(|line| line.starts_with("data: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(footer.matches("cached answers in ").count(), 1, "{footer}");

    // Markdown: the same facts in a table.
    let output = review(&server, cache.path(), directory.path())
        .args(["requests==2.19.0", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    let row = markdown
        .lines()
        .find(|line| line.starts_with("| requests==2.19.0 |"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert!(row.contains("| 2 / 3 / 0 |"), "{row}");
    assert!(row.contains(&format!("| {first} (")), "{row}");
    assert!(
        row.contains(&format!(
            "2 yanked and {empty} release\\(s\\) without files not counted"
        )),
        "{row}"
    );
    let idna_row = markdown
        .lines()
        .find(|line| line.starts_with("| idna=="))
        .unwrap();
    assert!(idna_row.contains("/ **1** |"), "{idna_row}");

    // An older release: what it is affected by now was introduced later for some records.
    let (_, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("requests==2.0.0"));
    let history = &package(&document, "requests")["advisories"];
    assert_eq!(
        ids(&history["newer_only"]),
        ["PYSEC-2015-17", "PYSEC-2023-74"],
        "{history:#}"
    );
    assert_eq!(ids(&history["past"]), Vec::<String>::new());
}

#[test]
fn advisory_history_is_unknown_without_data_never_zero() {
    let server = Served::start();
    serve_requests_closure(&server);
    // OSV answers querybatch but not the per-package query (its body ends `"PyPI"}}`).
    server.inject_where(
        "/v1/query",
        Some("\"PyPI\"}}"),
        crate::support::server::Fault::Status {
            status: 400,
            retry_after: None,
        },
        usize::MAX,
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (_, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("requests==2.19.0"));
    let requests = package(&document, "requests");
    assert_eq!(requests["vulnerabilities"], 2);
    assert!(requests["past_vulnerabilities"].is_null(), "{requests:#}");
    assert!(requests["malicious_records"].is_null());
    assert_eq!(requests["advisories"]["status"], "unknown");
    assert!(
        requests["advisories"]["reason"]
            .as_str()
            .unwrap()
            .contains("400"),
        "{requests:#}"
    );

    // Offline with the same cache: the audit's answers are cached, the history is not.
    let output = review(&server, cache.path(), directory.path())
        .args(["requests==2.19.0", "--offline"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("advisories: past advisories unknown — offline, with no cached OSV answer"),
        "{text}"
    );
    assert!(!text.contains("0 past"), "{text}");
    let output = review(&server, cache.path(), directory.path())
        .args(["requests==2.19.0", "--offline", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(markdown.contains("| 2 / unknown / unknown |"), "{markdown}");

    // With a local database, offline is enough.
    let status = pyaudit_at(cache.path(), NOW)
        .args(["db", "import"])
        .arg(corpus::path("advisories/pypa/vulns/requests"))
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    // One project's records are a partial source: the history stays unknown.
    let (_, document) = run_json(
        review(&server, cache.path(), directory.path()).args(["requests==2.19.0", "--offline"]),
    );
    let reason = package(&document, "requests")["advisories"]["reason"].clone();
    assert!(reason.as_str().unwrap().contains("is partial"), "{reason}");
    // Declared complete (as the whole database would be) and accepted at its age, it answers.
    let status = pyaudit_at(cache.path(), NOW)
        .args(["db", "import", "--complete"])
        .arg(corpus::path("advisories/pypa/vulns/requests"))
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let (_, document) = run_json(review(&server, cache.path(), directory.path()).args([
        "requests==2.19.0",
        "--offline",
        "--max-age",
        "5000d",
    ]));
    let requests = package(&document, "requests");
    assert_eq!(requests["past_vulnerabilities"], 3, "{requests:#}");
    assert_eq!(
        ids(&requests["advisories"]["past"]),
        ["PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2015-17"]
    );
}

/// A project whose older release has another license than the newest: PyPI's JSON carries the
/// newest's; the review judges the chosen release's own METADATA.
#[test]
fn licenses_come_from_the_reviewed_release_metadata() {
    let server = Served::start();
    serve_project(
        &server,
        "rtlic",
        &[
            release("0.9", &[]),
            release("1.0", &[]),
            release("1.5", &[]),
            release("2.0", &[]),
        ],
    );
    let metadata = |version: &str, license: &str| {
        server.set_body(
            &format!("/files/rtlic-{version}-py3-none-any.whl.metadata"),
            200,
            "text/plain",
            format!("Metadata-Version: 2.1\nName: rtlic\nVersion: {version}\n{license}\n"),
        );
    };
    metadata(
        "1.0",
        "License: GNU General Public License v3 (GPLv3)\nClassifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
    );
    metadata("1.5", "Classifier: License :: OSI Approved :: MIT License");
    metadata("2.0", "License-Expression: MIT");
    metadata("0.9", "Summary: declares no license");
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("pyaudit.toml"),
        // `require-hashes` is about the project's lock: a review resolves, it locks nothing,
        // so it must not flag every package of the closure.
        "[licenses]\nallow = [\"MIT\"]\n[sources]\nrequire-hashes = true\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("rtlic==1.0"));
    assert_eq!(code, 1, "{document:#}");
    let finding = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "PA301")
        .unwrap_or_else(|| panic!("{document:#}"));
    let evidence = &finding["evidence"];
    assert_eq!(evidence["expression"], "GPL-3.0-only", "{evidence:#}");
    assert_eq!(evidence["of_version"], "1.0");
    assert_eq!(evidence["source"], "classifiers");
    assert!(
        evidence["metadata_file"]
            .as_str()
            .unwrap()
            .ends_with("/files/rtlic-1.0-py3-none-any.whl.metadata")
    );
    let fact = package(&document, "rtlic");
    assert_eq!(fact["license_expression"], "GPL-3.0-only");
    assert_eq!(fact["license_read_from"], "release-metadata");
    assert!(
        finding["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("the package under review")
    );

    // Classifiers only (no License-Expression, no License): still that release's.
    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("rtlic==1.5"));
    assert_eq!(code, 0, "{document:#}");
    assert_eq!(package(&document, "rtlic")["license_expression"], "MIT");

    // A release that declares nothing is unknown, not the newest release's MIT.
    let (_, document) = run_json(review(&server, cache.path(), directory.path()).arg("rtlic==0.9"));
    let fact = package(&document, "rtlic");
    assert!(fact.get("license_expression").is_none(), "{fact:#}");
    assert_eq!(fact["license_read_from"], "release-metadata");
    assert!(
        document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["code"] == "PA302"),
        "{document:#}"
    );
    let output = review(&server, cache.path(), directory.path())
        .arg("rtlic==0.9")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("license unknown: none declared (from this release's METADATA)"),
        "{text}"
    );

    // The text names the release whose METADATA was read.
    let output = review(&server, cache.path(), directory.path())
        .arg("rtlic==1.0")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("in the METADATA of release 1.0 itself"),
        "{text}"
    );
    assert!(
        text.contains("license GPL-3.0-only (from this release's METADATA)"),
        "{text}"
    );
}

/// One synthetic release with its upload time and whether its METADATA file is served.
struct Dated<'a> {
    version: &'a str,
    uploaded: &'a str,
    requires: &'a [&'a str],
    /// `false`: the index lists a METADATA file but it answers 404.
    metadata_served: bool,
}

fn dated<'a>(version: &'a str, uploaded: &'a str, requires: &'a [&'a str]) -> Dated<'a> {
    Dated {
        version,
        uploaded,
        requires,
        metadata_served: true,
    }
}

/// A synthetic project with given upload times; the project JSON's `info` describes the last
/// release (its `requires_dist` and `classifiers`), and each release's own JSON is served at
/// `/pypi/<name>/<version>/json`.
fn serve_dated(server: &TestServer, name: &str, releases: &[Dated<'_>], classifiers: &[&str]) {
    let mut files = serde_json::Map::new();
    for release in releases {
        let wheel = format!("{name}-{}-py3-none-any.whl", release.version);
        let url = format!("{}/files/{wheel}", server.url());
        files.insert(
            release.version.to_owned(),
            json!([{
                "filename": wheel,
                "packagetype": "bdist_wheel",
                "upload_time_iso_8601": release.uploaded,
                "yanked": false,
                "url": url,
                "core-metadata": true,
            }]),
        );
        if release.metadata_served {
            let mut metadata = format!(
                "Metadata-Version: 2.4\nName: {name}\nVersion: {}\nLicense-Expression: MIT\n",
                release.version
            );
            for requirement in release.requires {
                metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
            }
            server.set_body(
                &format!("/files/{wheel}.metadata"),
                200,
                "text/plain",
                metadata,
            );
        } else {
            server.set_body(&format!("/files/{wheel}.metadata"), 404, "text/plain", "");
        }
        let info = json!({"name": name, "version": release.version, "license_expression": "MIT",
                          "classifiers": classifiers, "requires_dist": release.requires});
        server.set_body(
            &format!("/pypi/{name}/{}/json", release.version),
            200,
            "application/json",
            json!({"info": info, "urls": []}).to_string(),
        );
    }
    let newest = releases.last().unwrap();
    let document = json!({
        "info": {"name": name, "version": newest.version, "license_expression": "MIT",
                 "classifiers": classifiers, "requires_dist": newest.requires},
        "releases": files,
    });
    server.set_body(
        &format!("/pypi/{name}/json"),
        200,
        "application/json",
        document.to_string(),
    );
    server.set_body(
        &format!("/simple/{name}/"),
        200,
        "application/vnd.pypi.simple.v1+json",
        simple_page(&document).to_string(),
    );
}

fn run_text(command: &mut Command) -> (i32, String) {
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap(), stdout)
}

/// `review werkzeug` said "requirements UNKNOWN" when the `.metadata` file answered 404: the JSON
/// API stands in — the project JSON for the newest release, the release's own JSON for an older
/// one — and the output says which source gave the requirements.
#[test]
fn a_missing_metadata_file_falls_back_to_the_json_api() {
    let server = Served::start();
    // The newest release's METADATA is missing: the project JSON's `info.requires_dist`.
    serve_dated(
        &server,
        "fbwerk",
        &[Dated {
            metadata_served: false,
            ..dated("3.1", "2025-06-01T00:00:00Z", &["fbsafe>=2"])
        }],
        &[],
    );
    // An older release is chosen (`<2`) and its METADATA is missing: its own JSON.
    serve_dated(
        &server,
        "fbsafe",
        &[
            Dated {
                metadata_served: false,
                ..dated("2.1", "2025-01-01T00:00:00Z", &["fbleaf"])
            },
            dated("3.0", "2025-05-01T00:00:00Z", &[]),
        ],
        &[],
    );
    serve_dated(
        &server,
        "fbleaf",
        &[dated("1.0", "2025-01-01T00:00:00Z", &[])],
        &[],
    );
    serve_dated(
        &server,
        "fbold",
        &[dated("1.0", "2025-01-01T00:00:00Z", &["fbsafe<3"])],
        &[],
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("fbwerk"));
    assert_eq!(document["verdict"], "approve", "{document:#}");
    assert_eq!(code, 0);
    let werk = package(&document, "fbwerk");
    assert_eq!(
        werk["requirements_from"]["kind"], "project-json",
        "{werk:#}"
    );
    assert!(
        werk["requirements_from"]["metadata_failed"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{werk:#}"
    );
    assert_eq!(
        closure(&document),
        pairs(&[("fbwerk", "3.1"), ("fbsafe", "3.0")])
    );
    let (code, text) = run_text(review(&server, cache.path(), directory.path()).arg("fbwerk"));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("fbwerk==3.1: ")
            && text.contains("requirements from PyPI's project JSON (its METADATA file failed"),
        "{text}"
    );
    assert!(!text.contains("UNKNOWN"), "{text}");

    // An older release: `/pypi/fbsafe/2.1/json`, and its requirement (fbleaf) is followed.
    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("fbold"));
    assert_eq!(document["verdict"], "approve", "{document:#}");
    assert_eq!(code, 0);
    assert_eq!(
        closure(&document),
        pairs(&[("fbold", "1.0"), ("fbsafe", "2.1"), ("fbleaf", "1.0")])
    );
    let safe = package(&document, "fbsafe");
    assert_eq!(
        safe["requirements_from"]["kind"], "release-json",
        "{safe:#}"
    );
    assert!(
        safe["requirements_from"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/pypi/fbsafe/2.1/json"),
        "{safe:#}"
    );
    assert_eq!(server.requests("/pypi/fbsafe/2.1/json"), 1);
    let (_, text) = run_text(review(&server, cache.path(), directory.path()).arg("fbold"));
    assert!(
        text.contains("fbsafe==2.1: ") && text.contains("requirements from PyPI's JSON for 2.1"),
        "{text}"
    );
    // The release JSON is cached: asked once.
    assert_eq!(server.requests("/pypi/fbsafe/2.1/json"), 1);

    // Neither source: UNKNOWN, and the review needs a human.
    server.set_body("/pypi/fbsafe/2.1/json", 404, "text/plain", "");
    let cache = tempfile::tempdir().unwrap();
    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("fbold"));
    assert_eq!(document["verdict"], "needs-review", "{document:#}");
    assert_eq!(code, 3);
    assert_eq!(
        package(&document, "fbsafe")["requirements_from"]["kind"],
        "unknown"
    );
}

/// `review flaks`: PyPI has no such project; the popular names it may be a slip of are named.
#[test]
fn a_name_pypi_does_not_have_gets_a_suggestion() {
    let server = Served::start();
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, text) = run_text(review(&server, cache.path(), directory.path()).arg("flaks"));
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("did you mean `flask`?"), "{text}");
    let (_, document) = run_json(review(&server, cache.path(), directory.path()).arg("flaks"));
    assert!(
        document["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason.as_str().unwrap().contains("did you mean `flask`?")),
        "{document:#}"
    );
    // Nothing close: no suggestion.
    let (_, text) = run_text(review(&server, cache.path(), directory.path()).arg("zqxjkvw"));
    assert!(!text.contains("did you mean"), "{text}");
}

/// `review httpx` needed review because idna's newest release was 3 days old: the resolution
/// takes the newest release outside the cooldown, as `uv --exclude-newer` does, and says so.
/// Only when no older release satisfies the requirement does PA208 stay.
#[test]
fn the_cooldown_resolves_to_the_newest_release_outside_it() {
    let server = Served::start();
    serve_dated(
        &server,
        "cdapp",
        &[dated("1.0", "2025-03-01T00:00:00Z", &["cdidna>=3"])],
        &[],
    );
    serve_dated(
        &server,
        "cdpinned",
        &[dated("1.0", "2025-03-01T00:00:00Z", &["cdidna>=3.11"])],
        &[],
    );
    serve_dated(
        &server,
        "cdidna",
        &[
            dated("3.10", "2026-09-17T00:00:00Z", &[]),
            // Three days before the pinned now (2026-11-25).
            dated("3.11", "2026-11-22T00:00:00Z", &[]),
        ],
        &[],
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("cdapp"));
    assert_eq!(document["verdict"], "approve", "{document:#}");
    assert_eq!(code, 0);
    assert_eq!(
        closure(&document),
        pairs(&[("cdapp", "1.0"), ("cdidna", "3.10")])
    );
    let idna = package(&document, "cdidna");
    assert_eq!(idna["held_back"]["newest"], "3.11", "{idna:#}");
    assert_eq!(idna["held_back"]["cooldown_days"], 7);
    let (_, text) = run_text(review(&server, cache.path(), directory.path()).arg("cdapp"));
    assert!(
        text.contains("cooldown: newest 3.11 (uploaded 2026-11-22) is inside the 7-day cooldown")
            && text.contains("uv --exclude-newer"),
        "{text}"
    );
    let (_, markdown) = run_text(
        review(&server, cache.path(), directory.path()).args(["cdapp", "--format", "markdown"]),
    );
    assert!(markdown.contains("**Cooldown**"), "{markdown}");
    assert!(markdown.contains("newest 3.11"), "{markdown}");

    // Only the fresh release satisfies `>=3.11`: it is taken and PA208 asks for a review.
    let (code, document) =
        run_json(review(&server, cache.path(), directory.path()).arg("cdpinned"));
    assert_eq!(document["verdict"], "needs-review", "{document:#}");
    assert_eq!(code, 3);
    assert_eq!(package(&document, "cdidna")["version"], "3.11");
    assert!(package(&document, "cdidna").get("held_back").is_none());
    assert!(
        document["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason.as_str().unwrap().starts_with("PA208 cdidna==3.11")),
        "{document:#}"
    );

    // With the cooldown rule allowed, the newest release is taken.
    let (code, document) = run_json(
        review(&server, cache.path(), directory.path()).args(["cdapp", "--allow", "PA208"]),
    );
    assert_eq!(code, 0, "{document:#}");
    assert_eq!(package(&document, "cdidna")["version"], "3.11");
}

/// `review flask` needed review because blinker and itsdangerous had no upload for 730 days.
/// Age alone does not stop a review; the signals of abandonment do (here the `Inactive`
/// classifier, PA206), and `--warn PA205` brings the age rule back.
#[test]
fn finished_projects_pass_and_abandoned_ones_do_not() {
    let server = Served::start();
    serve_dated(
        &server,
        "fsflask",
        &[dated(
            "3.1",
            "2025-05-01T00:00:00Z",
            &["fsblinker>=1.9", "fsdanger>=2.2"],
        )],
        &[],
    );
    // Finished and stable: the newest uploads are more than two years before now.
    serve_dated(
        &server,
        "fsblinker",
        &[dated("1.9", "2024-11-08T00:00:00Z", &[])],
        &[],
    );
    serve_dated(
        &server,
        "fsdanger",
        &[dated("2.2", "2024-04-16T00:00:00Z", &[])],
        &[],
    );
    serve_dated(
        &server,
        "fsquit",
        &[dated("1.0", "2025-01-01T00:00:00Z", &["fsdead"])],
        &[],
    );
    serve_dated(
        &server,
        "fsdead",
        &[dated("0.9", "2023-01-01T00:00:00Z", &[])],
        &["Development Status :: 7 - Inactive"],
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("fsflask"));
    assert_eq!(document["verdict"], "approve", "{document:#}");
    assert_eq!(code, 0);
    // The age is still shown.
    assert!(package(&document, "fsdanger")["last_upload"].is_i64());

    let (code, document) = run_json(
        review(&server, cache.path(), directory.path()).args(["fsflask", "--warn", "PA205"]),
    );
    assert_eq!(document["verdict"], "needs-review", "{document:#}");
    assert_eq!(code, 3);

    let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg("fsquit"));
    assert_eq!(document["verdict"], "needs-review", "{document:#}");
    assert_eq!(code, 3);
    assert!(
        document["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason.as_str().unwrap().starts_with("PA206 fsdead")),
        "{document:#}"
    );
}

/// The defaults against a sample of the most-downloaded projects (recorded PyPI answers, the
/// PyPA advisory database): typical stable projects pass. pyyaml's newest release (6.0.4) is
/// five days old at the pinned now: the review takes 6.0.3 and says so.
#[test]
fn most_downloaded_projects_pass_the_defaults() {
    let server = Served::pypa();
    let sample = [
        "attrs", "certifi", "click", "idna", "jinja2", "pyyaml", "requests", "rich", "six",
        "urllib3",
    ];
    for name in sample {
        serve_recorded(&server, name, &[]);
    }
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for name in sample {
        let (code, document) = run_json(review(&server, cache.path(), directory.path()).arg(name));
        assert_eq!(document["verdict"], "approve", "{name}: {document:#}");
        assert_eq!(code, 0, "{name}");
        if name == "pyyaml" {
            let pyyaml = package(&document, "pyyaml");
            assert_eq!(pyyaml["version"], "6.0.3", "{pyyaml:#}");
            assert_eq!(pyyaml["held_back"]["newest"], "6.0.4", "{pyyaml:#}");
        }
    }
}

/// A mirror's JSON answer with file links relative to itself (`../../files/…`, PEP 503 / 691):
/// the release's `.metadata` is read where the link points, so requirements and the license come
/// from the reviewed release, not "unknown".
#[test]
fn relative_file_links_are_resolved_against_the_answer() {
    let server = Served::start();
    serve_project(&server, "rtleafrel", &[release("1.0", &[])]);
    let wheel = "rtrel-1.0-py3-none-any.whl";
    let document = json!({
        "info": {"name": "rtrel", "version": "1.0", "classifiers": [], "requires_dist": null},
        "releases": {"1.0": [{
            "filename": wheel,
            "packagetype": "bdist_wheel",
            "upload_time_iso_8601": "2025-01-01T00:00:00.000000Z",
            "url": format!("../../files/{wheel}"),
            "core-metadata": true,
        }]},
    });
    server.set_body(
        "/pypi/rtrel/json",
        200,
        "application/json",
        document.to_string(),
    );
    server.set_body(
        "/simple/rtrel/",
        200,
        "application/vnd.pypi.simple.v1+json",
        json!({"meta": {"api-version": "1.1"}, "name": "rtrel",
               "files": [{"filename": wheel, "url": format!("../../files/{wheel}"), "hashes": {}}]})
        .to_string(),
    );
    server.set_body(
        &format!("/files/{wheel}.metadata"),
        200,
        "text/plain",
        "Metadata-Version: 2.4\nName: rtrel\nVersion: 1.0\nLicense-Expression: MIT\nRequires-Dist: rtleafrel\n",
    );
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let output = review(&server, cache.path(), directory.path())
        .args(["rtrel", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("relative URL"), "{stderr}");
    let document: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    assert_eq!(
        closure(&document),
        pairs(&[("rtrel", "1.0"), ("rtleafrel", "1.0")]),
        "{document:#}"
    );
    let app = &document["resolution"]["packages"][0];
    assert_eq!(app["requirements_from"]["kind"], "core-metadata", "{app:#}");
    assert_eq!(server.requests(&format!("/files/{wheel}.metadata")), 1);
    let fact = package(&document, "rtrel");
    assert_eq!(fact["license_expression"], "MIT", "{fact:#}");
}

/// OSV unreachable and no local copy: the review is incomplete (exit 2), never approved, and says
/// so in words — not "needs review", which is a reviewer's judgement call.
#[test]
fn a_closure_that_could_not_be_checked_is_an_incomplete_review() {
    let server = Served::start();
    serve_project(&server, "rtunchecked", &[release("1.0", &[])]);
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, document) = run_json(
        review(&server, cache.path(), directory.path())
            .env("PYAUDIT_OSV_URL", "http://127.0.0.1:9")
            .arg("rtunchecked"),
    );
    assert_eq!(code, 2, "{document:#}");
    assert_eq!(document["verdict"], "incomplete", "{document:#}");
    let output = review(&server, cache.path(), directory.path())
        .env("PYAUDIT_OSV_URL", "http://127.0.0.1:9")
        .arg("rtunchecked")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("INCOMPLETE (could not check)"), "{text}");
    assert!(!text.contains("no known vulnerabilities"), "{text}");
}
