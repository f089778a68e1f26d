//! `pyaudit lock` end to end: real lockfiles in, findings and exit codes out, against a loopback
//! OSV server (never a live service) or an imported local database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::command::pyaudit_at;
use crate::support::corpus;
use crate::support::server::Served;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// The day after the advisory snapshot these tests audit against: its data is fresh.
fn pyaudit(cache: &Path) -> Command {
    pyaudit_at(cache, "2024-10-11")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_lock() -> PathBuf {
    root().join("tests/data/uv-project/uv.lock")
}

fn json_output(command: &mut Command) -> (i32, Value) {
    let output = command.output().unwrap();
    let code = output.status.code().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, json)
}

/// `name==version` → PYSEC ids, from a lock report.
fn pysec_ids(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for lockfile in report["lockfiles"].as_array().unwrap() {
        for finding in lockfile["findings"].as_array().unwrap() {
            if finding["code"] != "PA101" {
                continue;
            }
            let package = &finding["package"];
            let key = format!(
                "{}=={}",
                package["name"].as_str().unwrap(),
                package["version"].as_str().unwrap()
            );
            let vulnerability = &finding["evidence"]["vulnerability"];
            for id in vulnerability["record_ids"].as_array().unwrap() {
                let id = id.as_str().unwrap();
                if id.starts_with("PYSEC-") {
                    found.entry(key.clone()).or_default().insert(id.to_string());
                }
            }
        }
    }
    found
}

/// The expected files key by the version as written (`0.6.3-2`); reports give the PEP 440
/// normal form (`0.6.3.post2`).
fn normalized_key(key: &str) -> String {
    let (name, version) = key.split_once("==").unwrap();
    let version: pep440_rs::Version = version.parse().unwrap();
    format!("{name}=={version}")
}

fn expected_ids(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["affected"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, ids)| {
            let ids = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_string())
                .collect();
            (normalized_key(key), ids)
        })
        .collect()
}

#[test]
fn online_audit_finds_the_vulnerability_explains_it_and_second_run_is_served_from_cache() {
    let server = Served::pypa();
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        json_output(
            pyaudit(cache.path())
                .args(["lock", "--format", "json", "--osv-url", &server.url()])
                .arg(demo_lock()),
        )
    };
    let (code, report) = run();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["schema"], "pyaudit-lock/1");
    assert_eq!(report["summary"]["unchecked"], 0);
    let findings = report["lockfiles"][0]["findings"].as_array().unwrap();
    let idna = findings
        .iter()
        .find(|finding| finding["package"]["name"] == "idna")
        .expect("idna 3.6 is affected by PYSEC-2024-60");
    assert_eq!(idna["code"], "PA101");
    assert_eq!(idna["level"], "deny");
    assert_eq!(idna["package"]["class"], "prod");
    assert_eq!(
        idna["package"]["path"],
        serde_json::json!(["demo==0.1.0", "httpx==0.27.0", "idna==3.6"])
    );
    assert!(
        idna["evidence"]["vulnerability"]["ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == "PYSEC-2024-60")
    );
    assert_eq!(idna["fix"]["version"], "3.7");
    assert_eq!(
        idna["fix"]["command"],
        "uv lock --upgrade-package 'idna==3.7'"
    );
    assert!(idna["package"]["location"]["line"].as_u64().unwrap() > 0);

    let first = server.requests("/v1/");
    assert!(
        first >= 2,
        "a querybatch and at least one record fetch, got {first}"
    );
    let (code, again) = run();
    assert_eq!(code, 1);
    assert_eq!(
        server.requests("/v1/"),
        first,
        "the second run within the TTL must not ask OSV"
    );
    assert_eq!(pysec_ids(&again), pysec_ids(&report));
}

#[test]
fn online_results_equal_the_expected_advisories_for_the_synthetic_pins() {
    let server = Served::pypa();
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = json_output(
        pyaudit(cache.path())
            .args(["lock", "--format", "json", "--osv-url", &server.url()])
            .arg(corpus::path(
                "fixtures/synthetic/advisory-pins/requirements.txt",
            )),
    );
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["unchecked"], 0);
    let expected = expected_ids(&corpus::path(
        "fixtures/synthetic/advisory-pins/expected/requirements.txt.advisories.json",
    ));
    assert_eq!(pysec_ids(&report), expected);
}

#[test]
fn offline_audit_from_an_imported_database_equals_the_expected_advisories() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["db", "import", "--complete"])
        .arg(corpus::path("advisories/pypa"))
        .assert()
        .success()
        .stdout(predicate::str::contains("2661"))
        .stdout(predicate::str::contains("coverage: complete copy"))
        .stdout(predicate::str::contains("advisory data as of 2024-10-10"));
    pyaudit(cache.path())
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("advisories/pypa"));
    let cases = [
        (
            "fixtures/synthetic/advisory-pins/requirements.txt",
            "fixtures/synthetic/advisory-pins/expected/requirements.txt.advisories.json",
        ),
        (
            "fixtures/real/pallets__flask/uv.lock",
            "fixtures/real/pallets__flask/expected/uv.lock.advisories.json",
        ),
        (
            "fixtures/real/Textualize__rich/poetry.lock",
            "fixtures/real/Textualize__rich/expected/poetry.lock.advisories.json",
        ),
        (
            "fixtures/real/ansible__awx/requirements/requirements.txt",
            "fixtures/real/ansible__awx/expected/requirements__requirements.txt.advisories.json",
        ),
    ];
    for (lock, expected) in cases {
        let (code, report) = json_output(
            pyaudit(cache.path())
                .args(["lock", "--offline", "--format", "json"])
                .arg(corpus::path(lock)),
        );
        let expected = expected_ids(&corpus::path(expected));
        assert_eq!(code, i32::from(!expected.is_empty()), "{lock}");
        assert_eq!(report["summary"]["unchecked"], 0, "{lock}");
        assert_eq!(pysec_ids(&report), expected, "{lock}");
    }
}

#[test]
fn unreachable_osv_fails_closed_and_says_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["lock", "--osv-url", "http://127.0.0.1:9"])
        .arg(demo_lock())
        .assert()
        // "Could not check" has its own status, apart from findings (1).
        .code(2)
        .stderr(predicate::str::contains("the audit is incomplete"))
        .stdout(predicate::str::contains("PA001"))
        .stdout(predicate::str::contains("17 packages could not be checked"))
        .stdout(predicate::str::contains("pyaudit db import"))
        .stdout(predicate::str::contains("no known vulnerabilities").not());
    pyaudit(cache.path())
        .args([
            "lock",
            "--allow-unchecked",
            "--osv-url",
            "http://127.0.0.1:9",
        ])
        .arg(demo_lock())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warn PA001"));
}

#[test]
fn offline_without_any_data_is_an_error_with_instructions() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["lock", "--offline"])
        .arg(demo_lock())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pyaudit db import"));
}

#[test]
fn scope_flags_choose_what_is_audited() {
    let server = Served::pypa();
    let cache = tempfile::tempdir().unwrap();
    let audited = |extra: &[&str]| {
        let (_, report) = json_output(
            pyaudit(cache.path())
                .args(["lock", "--format", "json", "--osv-url", &server.url()])
                .args(extra)
                .arg(demo_lock()),
        );
        report["summary"]["audited"].as_u64().unwrap()
    };
    assert_eq!(audited(&[]), 17);
    assert_eq!(audited(&["--only-prod"]), 9);
    assert_eq!(audited(&["--groups", "dev"]), 17);
    pyaudit(cache.path())
        .args(["lock", "--groups", "docs", "--offline"])
        .arg(demo_lock())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no dependency group `docs`"));
}

#[test]
fn non_registry_packages_are_listed_as_not_audited() {
    let server = Served::pypa();
    let cache = tempfile::tempdir().unwrap();
    let (_, report) = json_output(
        pyaudit(cache.path())
            .args(["lock", "--format", "json", "--osv-url", &server.url()])
            .arg(corpus::path(
                "fixtures/real/modelcontextprotocol__python-sdk/uv.lock",
            )),
    );
    let not_audited = report["lockfiles"][0]["not_audited"].as_array().unwrap();
    assert_eq!(not_audited.len(), 1);
    assert_eq!(not_audited[0]["name"], "strict-no-cover");
    assert_eq!(not_audited[0]["source"]["kind"], "git");
}

#[test]
fn text_report_and_output_file() {
    let server = Served::pypa();
    let cache = tempfile::tempdir().unwrap();
    let output = cache.path().join("report.txt");
    pyaudit(cache.path())
        .args(["lock", "--osv-url", &server.url(), "--output"])
        .arg(&output)
        .arg(demo_lock())
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        text.contains("deny PA101 [vulnerability] idna==3.6 (prod)"),
        "{text}"
    );
    assert!(
        text.contains("path: demo==0.1.0 → httpx==0.27.0 → idna==3.6"),
        "{text}"
    );
    assert!(
        text.contains("fix: upgrade `idna` to 3.7 (fixes PYSEC-2024-60)")
            && text.contains("— `uv lock --upgrade-package 'idna==3.7'`"),
        "{text}"
    );
}

#[test]
fn cache_commands() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["cache", "dir"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            cache.path().to_string_lossy().as_ref(),
        ));
    pyaudit(cache.path())
        .args(["cache", "stats"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cache:"));
    pyaudit(cache.path())
        .args(["cache", "clean"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed"));
}

/// The README's no-network example: an advisory record in the repository, imported, then an
/// offline audit of the repository's own lockfile.
#[test]
fn readme_offline_example_works_with_repository_data_only() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(root().join("tests/data/pypa-advisory-db-2024-10-10.zip"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "imported 2661 records (10 withdrawn, 0 malicious) for 664 packages",
        ))
        .stdout(predicate::str::contains("coverage: complete copy"));
    pyaudit(cache.path())
        .args(["lock", "--offline"])
        .arg(demo_lock())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "deny PA101 [vulnerability] idna==3.6 (prod)",
        ))
        .stdout(predicate::str::contains("PYSEC-2024-60"))
        .stdout(predicate::str::contains("local advisory database"))
        .stdout(predicate::str::contains(
            "(complete copy; advisory data as of 2024-10-10",
        ))
        .stdout(predicate::str::contains("PA001").not())
        .stdout(predicate::str::contains(
            "(1 deny, 17 warn) in 17 audited packages: 1 vulnerability, 17 unchecked-metadata",
        ))
        // Offline with no PyPI metadata cached: said once, as warnings, never as "fine".
        .stdout(predicate::str::contains(
            "warn PA004 [unchecked-metadata] 17 packages could not be checked: not in the cache",
        ));
}

/// A second `db import` replaces the first and says so; importing both together keeps both.
#[test]
fn importing_several_sources_keeps_them_all_and_a_replacement_is_announced() {
    let cache = tempfile::tempdir().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let requirements = directory.path().join("requirements.txt");
    std::fs::write(&requirements, "idna==3.6\n0requests==0.0.1\n").unwrap();
    let ours = root().join("tests/data/advisories");
    let malicious = corpus::path("advisories/malicious-pypi");
    let audit = || {
        let output = pyaudit(cache.path())
            .args(["lock", "--offline", "--allow", "PA2", "--allow", "PA004"])
            .args(["--format", "json"])
            .arg(&requirements)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut codes: Vec<String> = report["lockfiles"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| {
                format!(
                    "{} {}",
                    finding["code"].as_str().unwrap(),
                    finding["package"]["name"].as_str().unwrap()
                )
            })
            .collect();
        codes.sort();
        codes
    };

    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&ours)
        .assert()
        .success();
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&malicious)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "replaced the previous database (1 records from {})",
            ours.display()
        )))
        .stdout(predicate::str::contains("pyaudit db import PATH PATH"));
    // Partial sources add what they know and vouch for nothing.
    assert_eq!(
        audit(),
        [
            "PA001 0requests",
            "PA001 idna",
            "PA102 0requests",
            "PA501 0requests"
        ]
    );

    // A complete copy with the organisation's feed beside it: everything is checked.
    let complete = root().join("tests/data/pypa-advisory-db-2024-10-10.zip");
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&complete)
        .arg(&malicious)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "imported 2665 records (10 withdrawn, 4 malicious) for 668 packages",
        ))
        .stdout(predicate::str::contains("coverage: complete copy"));
    assert_eq!(
        audit(),
        ["PA101 idna", "PA102 0requests", "PA501 0requests"]
    );
    // Replacing it with a partial one is said before it happens.
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&ours)
        .arg(&malicious)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "replaces a complete database (2665 records",
        ))
        .stdout(predicate::str::contains(
            "imported 5 records (0 withdrawn, 4 malicious) for 5 packages",
        ));
    pyaudit(cache.path())
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} + {}",
            ours.display(),
            malicious.display()
        )));
}

/// A project directory holding the demo lock and a config file, with the advisory imported.
fn project_with_config(config: &str) -> (tempfile::TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let project = directory.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy(demo_lock(), project.join("uv.lock")).unwrap();
    std::fs::write(project.join("pyaudit.toml"), config).unwrap();
    pyaudit(&directory.path().join("cache"))
        .args(["db", "import"])
        .arg(root().join("tests/data/pypa-advisory-db-2024-10-10.zip"))
        .assert()
        .success();
    (directory, project)
}

#[test]
fn config_ignores_levels_and_errors() {
    let ignore = "[[ignore]]\nid = \"CVE-2024-3651\"\nreason = \"we never decode untrusted IDNA\"\nuntil = 2999-12-31\n";
    let (directory, project) = project_with_config(ignore);
    let cache = directory.path().join("cache");
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(&project)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ignored by the config (1):"))
        .stdout(predicate::str::contains(
            "PA101 idna==3.6 PYSEC-2024-60: we never decode untrusted IDNA (",
        ));

    let expired = ignore.replace("2999-12-31", "2020-01-01");
    std::fs::write(project.join("pyaudit.toml"), expired).unwrap();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(&project)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("expired on 2020-01-01"));

    std::fs::write(
        project.join("pyaudit.toml"),
        "[[ignore]]\nid = \"GHSA-none\"\nreason = \"old\"\n",
    )
    .unwrap();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(&project)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "warn PA003 [unused-ignore] GHSA-none",
        ));

    std::fs::write(
        project.join("pyaudit.toml"),
        "[rules]\nvulnerability = \"warn\"\n",
    )
    .unwrap();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(&project)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warn PA101"));
    pyaudit(&cache)
        .args(["lock", "--offline", "--deny", "PA101"])
        .arg(&project)
        .assert()
        .code(1);

    std::fs::write(
        project.join("pyaudit.toml"),
        "[rules]\nPA101 = \"warn\"\n[rulez]\n",
    )
    .unwrap();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(&project)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pyaudit.toml:3:"));
}

/// The verdict is only as good as the data behind it: an empty import is refused, a partial or a
/// stale database never makes a package clean (exit 2, "could not check"), and every format says
/// how old the data is — the data's own date, not the import's.
#[test]
fn verdicts_rest_only_on_complete_fresh_data() {
    let cache = tempfile::tempdir().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let requirements = directory.path().join("requirements.txt");
    std::fs::write(&requirements, "django==3.2.0\n").unwrap();
    let clean = directory.path().join("requirements-clean.txt");
    std::fs::write(&clean, "six==1.16.0\n").unwrap();
    let empty = directory.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let vulnerabilities_only = ["--allow", "PA2", "--allow", "PA3", "--allow", "PA004"];
    let osv_down = ["--osv-url", "http://127.0.0.1:9"];

    // An empty source is refused and nothing changes.
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no advisory records"));
    pyaudit(cache.path())
        .args(["db", "status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no local advisory database"));

    // The quick start's one-record database: partial, so OSV being down leaves django unchecked.
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(root().join("tests/data/advisories"))
        .assert()
        .success()
        .stdout(predicate::str::contains("coverage: partial"));
    pyaudit(cache.path())
        .args(["lock"])
        .args(osv_down)
        .args(vulnerabilities_only)
        .arg(&requirements)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("deny PA001"))
        .stdout(predicate::str::contains("is partial"))
        .stdout(predicate::str::contains("no findings").not());

    // A complete copy, two years old: the stale verdict, with the data's date everywhere.
    let complete = root().join("tests/data/pypa-advisory-db-2024-10-10.zip");
    pyaudit(cache.path())
        .args(["db", "import"])
        .arg(&complete)
        .assert()
        .success();
    pyaudit(cache.path())
        .env("PYAUDIT_NOW", "2026-12-08")
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "advisory data as of 2024-10-10 (788 days old",
        ));
    for format in ["text", "json", "sarif", "cyclonedx", "markdown", "gitlab"] {
        for offline in [true, false] {
            let mut command = pyaudit(cache.path());
            command
                .env("PYAUDIT_NOW", "2026-12-08")
                .args(["lock", "--format", format])
                .args(vulnerabilities_only);
            if offline {
                command.arg("--offline");
            } else {
                command.args(osv_down);
            }
            let output = command.arg(&clean).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(output.status.code(), Some(2), "{format}: {stdout}");
            let unchecked = if format == "cyclonedx" {
                "pyaudit:unchecked"
            } else {
                "PA001"
            };
            assert!(stdout.contains(unchecked), "{format}: {stdout}");
            assert!(stdout.contains("2024-10-10"), "{format}: {stdout}");
            if !["json", "sarif"].contains(&format) {
                assert!(stdout.contains("788 days old"), "{format}: {stdout}");
            }
        }
    }
    // The stale data still reports what it knows: django 3.2.0's advisories are listed.
    pyaudit(cache.path())
        .env("PYAUDIT_NOW", "2026-12-08")
        .args(["lock", "--offline"])
        .args(vulnerabilities_only)
        .arg(&requirements)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("deny PA101"))
        .stdout(predicate::str::contains("deny PA001"))
        .stdout(predicate::str::contains("max-age of 7 days"));
    // `--max-age` is the user's word that old data is acceptable.
    pyaudit(cache.path())
        .env("PYAUDIT_NOW", "2026-12-08")
        .args(["lock", "--offline", "--max-age", "800d"])
        .args(vulnerabilities_only)
        .arg(&requirements)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("PA001").not());

    // The same copy the day after its snapshot: real findings, every package checked.
    let (code, report) = json_output(
        pyaudit(cache.path())
            .env("PYAUDIT_NOW", "2024-10-11")
            .args(["lock", "--format", "json"])
            .args(osv_down)
            .args(vulnerabilities_only)
            .arg(&requirements),
    );
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["unchecked"], 0);
    assert!(
        pysec_ids(&report)
            .values()
            .next()
            .is_some_and(|ids| ids.len() > 5),
        "{report}"
    );
    assert_eq!(report["sources"][0]["coverage"], "complete");
}

/// uv 0.13 writes `revision = 5` (tests/data/uv-rev5/NOTICE.md): no warning about it anywhere,
/// not on stderr and not in the Markdown PR comment; a revision newer than any pyaudit knows is
/// still named, on stderr unless `-q` and in the report either way.
#[test]
fn revision_5_lock_audits_without_a_revision_warning_and_quiet_silences_stderr() {
    let cache = tempfile::tempdir().unwrap();
    pyaudit(cache.path())
        .args(["-q", "db", "import"])
        .arg(root().join("tests/data/pypa-advisory-db-2024-10-10.zip"))
        .assert()
        .success();
    let lock = root().join("tests/data/uv-rev5/default/uv.lock");
    let output = pyaudit(cache.path())
        .args(["lock", "--offline", "--format", "markdown"])
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("pyaudit lock passed"), "{stdout}");
    assert!(!stdout.contains("revision"), "{stdout}");
    assert!(!stderr.contains("revision"), "{stderr}");

    let project = tempfile::tempdir().unwrap();
    let newer = project.path().join("uv.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&newer, text.replace("\nrevision = 5\n", "\nrevision = 6\n")).unwrap();
    // Markdown escapes the parentheses of the rest of the message.
    let warning = "lock revision 6 is newer than the newest pyaudit knows";
    for quiet in [false, true] {
        let mut command = pyaudit(cache.path());
        if quiet {
            command.arg("-q");
        }
        let output = command
            .args(["lock", "--offline", "--format", "markdown"])
            .arg(&newer)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "quiet={quiet}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stdout.contains(warning), "quiet={quiet}: {stdout}");
        if quiet {
            assert_eq!(stderr, "", "-q must leave stderr empty");
        } else {
            assert!(stderr.contains(warning), "{stderr}");
        }
    }
    // The same for the commands that only read the lock.
    for args in [vec!["graph"], vec!["why", "six"]] {
        let output = pyaudit(cache.path())
            .arg("-q")
            .args(&args)
            .arg(&newer)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
}
