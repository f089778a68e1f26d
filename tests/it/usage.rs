//! `pyaudit usage` end to end on tests/data/usage/app: a project whose imports hit every usage
//! rule with awkward distribution names (PyYAML → yaml, beautifulsoup4 → bs4, scikit-learn →
//! sklearn, pillow → PIL, python-dateutil → dateutil, google-cloud-storage →
//! google.cloud.storage). Wheels come from a loopback server that builds them from the file lists
//! recorded in `expected/wheel-files.json` and serves them by HTTP range requests; results are
//! compared with deptry's output kept in `expected/` (see its README for the differences).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::server::TestServer;
use assert_cmd::Command;
use serde_json::{Value, json};

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/usage/app")
}

fn pyaudit(cache: &Path) -> Command {
    crate::support::command::pyaudit(cache)
}

/// The locked (name, version) pairs of the project's uv.lock.
fn locked() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(project().join("uv.lock")).unwrap();
    let lock: toml::Value = toml::from_str(&text).unwrap();
    lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|package| {
            package
                .get("source")
                .and_then(|source| source.get("registry"))
                .is_some()
        })
        .map(|package| {
            (
                package["name"].as_str().unwrap().to_owned(),
                package["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn wheel(files: &[String]) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut buffer);
        for file in files {
            writer
                .start_file(file.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(b"# generated\n").unwrap();
        }
        // Padding so the tail request (64 KiB) does not cover the central directory: the reader
        // must ask for it separately.
        writer
            .start_file(
                "zz-padding.dat",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored),
            )
            .unwrap();
        writer.write_all(&vec![b'x'; 70_000]).unwrap();
        writer.finish().unwrap();
    }
    buffer.into_inner()
}

/// A loopback PyPI with a project JSON and a wheel per locked package.
fn pypi() -> (tokio::runtime::Runtime, TestServer) {
    pypi_with_links(Links::Absolute)
}

/// How the project JSON names its files.
#[derive(Clone, Copy, PartialEq)]
enum Links {
    /// `http://127.0.0.1:PORT/files/x.whl`, as pypi.org does.
    Absolute,
    /// `../../files/x.whl`, relative to `/pypi/<name>/json`, as mirrors do.
    Relative,
}

fn pypi_with_links(links: Links) -> (tokio::runtime::Runtime, TestServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start());
    let recorded: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(project().join("expected/wheel-files.json")).unwrap(),
    )
    .unwrap();
    let mut releases: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for (name, version) in locked() {
        let mut files: Vec<String> = recorded[&name]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file.as_str().unwrap().to_owned())
            .collect();
        if files.is_empty() {
            // Not installed where the lists were recorded (a Windows-only dependency).
            files.push(format!("{}/__init__.py", name.replace('-', "_")));
        }
        let file_name = format!("{}-{version}-py3-none-any.whl", name.replace('-', "_"));
        files.push(format!(
            "{}-{version}.dist-info/RECORD",
            name.replace('-', "_")
        ));
        server.set_body(
            &format!("/files/{file_name}"),
            200,
            "application/zip",
            wheel(&files),
        );
        let prefix = match links {
            Links::Absolute => format!("{}/files", server.url()),
            Links::Relative => "../../files".to_owned(),
        };
        releases.entry(name.clone()).or_default().insert(
            version.clone(),
            json!([
                {"filename": format!("{name}-{version}.tar.gz"), "packagetype": "sdist", "url": format!("{prefix}/{name}.tar.gz")},
                {"filename": file_name, "packagetype": "bdist_wheel", "url": format!("{prefix}/{file_name}")},
            ]),
        );
    }
    for (name, releases) in releases {
        let document = json!({"info": {"name": name, "version": "0"}, "releases": releases});
        server.set_body(
            &format!("/pypi/{name}/json"),
            200,
            "application/json",
            serde_json::to_vec(&document).unwrap(),
        );
    }
    (runtime, server)
}

fn run_json(command: &mut Command) -> (i32, Value) {
    let output = command.output().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), json)
}

/// (code, package) of every finding, and the first evidence location per pair.
fn findings(report: &Value) -> BTreeMap<(String, String), String> {
    report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                (
                    finding["code"].as_str().unwrap().to_owned(),
                    finding["package"]["name"].as_str().unwrap().to_owned(),
                ),
                match finding["evidence"]["location"]["path"].as_str() {
                    Some(path) => format!("{path}:{}", finding["evidence"]["location"]["line"]),
                    None => String::new(),
                },
            )
        })
        .collect()
}

fn expected_findings() -> BTreeMap<(String, String), String> {
    [
        ("PA601", "click", "pyproject.toml:13"),
        ("PA602", "tomli_w", "src/app/parse.py:14"),
        ("PA603", "idna", "src/app/parse.py:11"),
        ("PA603", "numpy", "src/app/parse.py:12"),
        ("PA604", "rich", "src/app/parse.py:13"),
    ]
    .into_iter()
    .map(|(code, name, location)| ((code.to_owned(), name.to_owned()), location.to_owned()))
    .collect()
}

#[test]
fn usage_rules_over_wheels_read_by_range_requests() {
    let (_runtime, server) = pypi();
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = run_json(pyaudit(cache.path()).arg("usage").arg(project()).args([
        "--format",
        "json",
        "--pypi-url",
        &server.url(),
    ]));
    assert_eq!(findings(&report), expected_findings(), "{report:#}");
    assert_eq!(code, 1, "PA602 and PA604 deny by default");
    // Every wheel needed a tail request and a directory request (the padding pushes it out).
    let wheels = server.requests("/files/");
    assert!(wheels >= 16, "{wheels} wheel requests");
    assert!(
        server
            .log()
            .iter()
            .filter(|request| request.path.starts_with("/files/"))
            .all(|request| request.headers.contains_key("range"))
    );
    // The evidence says where the mapping came from.
    let unused = &report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "PA601")
        .unwrap()["evidence"];
    assert!(
        unused["mapping"].as_str().unwrap().contains("click-8"),
        "{unused}"
    );

    // Second run: every mapping from the cache, no request at all.
    let before = server.log().len();
    let (_, again) = run_json(pyaudit(cache.path()).arg("usage").arg(project()).args([
        "--format",
        "json",
        "--pypi-url",
        &server.url(),
    ]));
    assert_eq!(findings(&again), expected_findings());
    let later: Vec<String> = server.log()[before..]
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert!(
        later.is_empty(),
        "the second run must come from the cache: {later:?}"
    );
}

/// Mirrors send file links relative to the JSON answer (PEP 503 / 691 allow it): they are read
/// like absolute ones, never "relative URL without a base".
#[test]
fn relative_file_links_resolve_against_the_answer() {
    let (_runtime, server) = pypi_with_links(Links::Relative);
    let cache = tempfile::tempdir().unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(project())
        .args(["--format", "json", "--pypi-url", &server.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("relative URL"), "{stderr}");
    assert!(!stderr.contains("guessed from"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("relative URL"), "{stdout}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings(&report), expected_findings(), "{report:#}");
    assert_eq!(output.status.code(), Some(1));
    // The wheels were read where the relative links point.
    assert!(server.requests("/files/") >= 16);
    let unused = &report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "PA601")
        .unwrap()["evidence"];
    assert!(
        unused["mapping"].as_str().unwrap().contains("click-8"),
        "{unused}"
    );
}

#[test]
fn servers_that_ignore_ranges_still_work() {
    let (_runtime, server) = pypi();
    server.ignore_ranges();
    let cache = tempfile::tempdir().unwrap();
    let (_, report) = run_json(pyaudit(cache.path()).arg("usage").arg(project()).args([
        "--format",
        "json",
        "--pypi-url",
        &server.url(),
    ]));
    assert_eq!(findings(&report), expected_findings());
}

#[test]
fn offline_without_cache_states_the_guess() {
    let cache = tempfile::tempdir().unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(project())
        .args(["--format", "json", "--offline"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The irregular-name table still maps bs4, yaml, sklearn, PIL, dateutil, google.cloud.storage.
    assert_eq!(findings(&report), expected_findings(), "{report:#}");
    let warnings = report["lockfiles"][0]["warnings"].to_string();
    assert!(warnings.contains("guessed from their names"), "{warnings}");
    let unused = &report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "PA601")
        .unwrap()["evidence"];
    assert!(
        unused["mapping"]
            .as_str()
            .unwrap()
            .contains("guessed from the name (its wheel is not in the cache (offline run))"),
        "{unused}"
    );
}

#[test]
fn a_venv_maps_without_the_network() {
    let recorded: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(project().join("expected/wheel-files.json")).unwrap(),
    )
    .unwrap();
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.11/site-packages");
    for (name, entry) in &recorded {
        let Some(version) = entry["installed"].as_str() else {
            continue;
        };
        let info = site.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
        std::fs::create_dir_all(&info).unwrap();
        let record: String = entry["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| format!("{},sha256=x,1\n", file.as_str().unwrap()))
            .collect();
        std::fs::write(info.join("RECORD"), record).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    // A PyPI URL nobody answers: the venv must be enough for everything it holds.
    let (_, report) = run_json(
        pyaudit(cache.path())
            .arg("usage")
            .arg(project())
            .args([
                "--format",
                "json",
                "--pypi-url",
                "http://127.0.0.1:9",
                "--venv",
            ])
            .arg(venv.path()),
    );
    assert_eq!(findings(&report), expected_findings(), "{report:#}");
}

/// deptry 0.25.1 run once on the same project with its packages installed (expected/README.md).
#[test]
fn agrees_with_deptry() {
    let deptry: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(project().join("expected/deptry.json")).unwrap(),
    )
    .unwrap();
    let rule = |code: &str| match code {
        "DEP001" => "PA602",
        "DEP002" => "PA601",
        "DEP003" => "PA603",
        "DEP004" => "PA604",
        other => panic!("unknown deptry code {other}"),
    };
    let theirs: BTreeSet<(String, String)> = deptry
        .iter()
        .map(|issue| {
            let module = issue["module"].as_str().unwrap();
            (
                rule(issue["error"]["code"].as_str().unwrap()).to_owned(),
                module
                    .replace('_', "-")
                    .to_lowercase()
                    .replace("tomli-w", "tomli_w"),
            )
        })
        .collect();
    let ours: BTreeSet<(String, String)> = expected_findings().into_keys().collect();
    assert_eq!(ours, theirs);
    // Same lines for the import findings.
    for issue in &deptry {
        if let Some(line) = issue["location"]["line"].as_u64() {
            let file = issue["location"]["file"].as_str().unwrap();
            assert!(
                expected_findings()
                    .values()
                    .any(|location| *location == format!("{file}:{line}")),
                "{issue}"
            );
        }
    }
}

#[test]
fn unreadable_sources_fail_with_file_and_line() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = []\n",
    )
    .unwrap();
    std::fs::write(directory.path().join("ok.py"), "import os\n").unwrap();
    std::fs::write(directory.path().join("broken.py"), "import os\nx = (1,\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(directory.path())
        .arg("--offline")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.py:2:5: `(` is never closed"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_config_is_validated_and_applied() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"internal-dist\", \"plugin-thing\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("main.py"),
        "import internal\nimport vendored_thing\n",
    )
    .unwrap();
    std::fs::write(
        root.join("pyaudit.toml"),
        "[usage]\nignore-unused = [\"plugin-thing\"]\nignore-missing = [\"vendored_thing\"]\n\n[usage.modules]\n\"internal-dist\" = [\"internal\"]\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = run_json(pyaudit(cache.path()).arg("usage").arg(root).args([
        "--format",
        "json",
        "--offline",
    ]));
    assert_eq!(findings(&report), BTreeMap::new(), "{report:#}");
    assert_eq!(code, 0);

    std::fs::write(
        root.join("pyaudit.toml"),
        "[usage]\nexclude = [\"x/\"]\nignore-unsed = []\n",
    )
    .unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(root)
        .arg("--offline")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pyaudit.toml:3:1: unknown field `ignore-unsed`"),
        "{stderr}"
    );
}

#[test]
fn text_and_sarif_show_the_import() {
    let cache = tempfile::tempdir().unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(project())
        .arg("--offline")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("deny PA604 [dev-dependency-in-production] rich"),
        "{text}"
    );
    assert!(
        text.contains("evidence: at src/app/parse.py:13:8"),
        "{text}"
    );
    let (_, sarif) = run_json(pyaudit(cache.path()).arg("usage").arg(project()).args([
        "--offline",
        "--format",
        "sarif",
    ]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rich = results
        .iter()
        .find(|result| result["ruleId"] == "PA604")
        .unwrap();
    let location = &rich["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/app/parse.py");
    assert_eq!(location["region"]["startLine"], 13);
}

/// `pyaudit lock` runs the usage rules when the lockfile's directory holds the project's sources.
#[test]
fn lock_runs_the_usage_rules_beside_the_sources() {
    let (_runtime, server) = pypi();
    let cache = tempfile::tempdir().unwrap();
    let lock = project().join("uv.lock");
    let run = |extra: &[&str]| {
        let output = pyaudit(cache.path())
            .arg("lock")
            .arg(&lock)
            .args([
                "--format",
                "json",
                "--osv-url",
                &server.url(),
                "--pypi-url",
                &server.url(),
            ])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&output.stdout)
            .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)))
    };
    let report = run(&[]);
    let usage: BTreeMap<(String, String), String> = findings(&report)
        .into_iter()
        .filter(|((code, _), _)| code.starts_with("PA6"))
        .collect();
    assert_eq!(usage, expected_findings(), "{report:#}");
    let report = run(&["--no-usage"]);
    assert!(
        findings(&report)
            .keys()
            .all(|(code, _)| !code.starts_with("PA6"))
    );
}

#[test]
fn lock_only_rules_find_dev_tools_and_orphans() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\"helper\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("main.py"), "import helper\n").unwrap();
    std::fs::write(
        root.join("uv.lock"),
        "version = 1\nrevision = 3\nrequires-python = \">=3.11\"\n\n\
         [[package]]\nname = \"demo\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"helper\" }]\n\n\
         [[package]]\nname = \"helper\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"pytest\" }]\n\n\
         [[package]]\nname = \"pytest\"\nversion = \"8.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n\
         [[package]]\nname = \"stale\"\nversion = \"2.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = run_json(pyaudit(cache.path()).arg("usage").arg(root).args([
        "--format",
        "json",
        "--offline",
    ]));
    let found = findings(&report);
    assert_eq!(
        found.keys().cloned().collect::<Vec<_>>(),
        vec![
            ("PA605".to_owned(), "pytest".to_owned()),
            ("PA606".to_owned(), "stale".to_owned())
        ],
        "{report:#}"
    );
    assert!(
        found[&("PA606".to_owned(), "stale".to_owned())].ends_with("uv.lock:22"),
        "{found:?}"
    );
    assert_eq!(code, 0, "both warn by default");
    let pytest = report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "PA605")
        .unwrap();
    assert_eq!(
        pytest["package"]["path"],
        json!(["demo==0.1.0", "helper==1.0", "pytest==8.0"])
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// PEP 263: a Latin-1 source with its `coding` declaration is read (its import of `click` counts,
/// so click is no longer unused); a source in an encoding pyaudit does not decode is skipped with
/// a warning naming it — for `usage` and for `lock` alike, never exit 2 for the whole run.
#[test]
fn declared_source_encodings_are_honoured_and_unknown_ones_skipped() {
    let (_runtime, server) = pypi();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("app");
    copy_tree(&project(), &root);
    std::fs::write(
        root.join("src/app/legacy.py"),
        b"# -*- coding: latin-1 -*-\n# r\xe9sum\xe9 of the old CLI\nimport click\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/app/klingon.py"),
        b"# vim: set fileencoding=klingon :\nimport json\n",
    )
    .unwrap();
    let mut expected = expected_findings();
    expected.remove(&("PA601".to_owned(), "click".to_owned()));
    let warning = "src/app/klingon.py:1:1: declares the source encoding `klingon`";

    let cache = tempfile::tempdir().unwrap();
    let output = pyaudit(cache.path())
        .arg("usage")
        .arg(&root)
        .args(["--format", "json", "--pypi-url", &server.url()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(findings(&report), expected, "{report:#}");
    assert_eq!(output.status.code(), Some(1), "PA602/PA604 deny; not 2");
    let warnings = report["lockfiles"][0]["warnings"].to_string();
    assert!(warnings.contains(warning), "{warnings}");

    let output = pyaudit(cache.path())
        .arg("lock")
        .arg(root.join("uv.lock"))
        .args([
            "--format",
            "json",
            "--osv-url",
            &server.url(),
            "--pypi-url",
            &server.url(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    let usage: BTreeMap<(String, String), String> = findings(&report)
        .into_iter()
        .filter(|((code, _), _)| code.starts_with("PA6"))
        .collect();
    assert_eq!(usage, expected, "{report:#}");
    assert!(stderr.contains(warning), "{stderr}");
    assert!(!stderr.contains("not valid UTF-8"), "{stderr}");
}

/// `usage` takes the rule flags `lock` takes (family prefixes included) and the config's
/// `[fetch] pypi-url`, as `lock` does.
#[test]
fn usage_takes_the_same_rule_flags_and_fetch_config_as_lock() {
    let (_runtime, server) = pypi();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("app");
    copy_tree(&project(), &root);
    std::fs::write(
        root.join("pyaudit.toml"),
        format!("[fetch]\npypi-url = \"{}\"\n", server.url()),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = run_json(
        pyaudit(cache.path())
            .arg("usage")
            .arg(&root)
            .args(["--format", "json"]),
    );
    assert_eq!(findings(&report), expected_findings(), "{report:#}");
    assert_eq!(code, 1);
    assert!(
        server.requests("/files/") > 0,
        "the config's index was used"
    );
    let (code, report) = run_json(
        pyaudit(cache.path())
            .arg("usage")
            .arg(&root)
            .args(["--format", "json", "--allow", "PA6"]),
    );
    assert_eq!(findings(&report), BTreeMap::new(), "{report:#}");
    assert_eq!(code, 0);
}
