//! Hostile inputs and hostile servers, through the binary: credentials in URLs never reach any
//! output, escape sequences from lockfiles and advisories never reach the terminal raw, an answer
//! that does not match its question leaves packages unchecked (PA001), cross-host redirects are
//! refused, and a server that never answers cannot hold a run past its deadline.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::command::pyaudit_at;
use crate::support::server::{Fault, Served, TestServer};
use assert_cmd::Command;
use serde_json::{Value, json};

fn pyaudit(cache: &Path) -> Command {
    pyaudit_at(cache, "2026-11-25")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// What one run printed, and its exit code.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn text(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|error| panic!("{error}\n{}", self.text()))
    }
}

fn run(command: &mut Command) -> Run {
    let output = command.output().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

/// A synthetic OSV record affecting `name` at `version`.
fn record(id: &str, name: &str, version: &str) -> Value {
    json!({
        "id": id,
        "modified": "2025-01-02T03:04:05Z",
        "summary": "a test advisory",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": [version]}],
    })
}

/// Only the advisory rules: no PyPI metadata, no usage scan.
const VULNERABILITIES_ONLY: &[&str] = &["--allow", "PA2", "--allow", "PA3", "--allow", "PA004"];

/// PA001 findings of a `lock --format json` report: `name==version` → message.
fn unchecked(report: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for lockfile in report["lockfiles"].as_array().unwrap() {
        for finding in lockfile["findings"].as_array().unwrap() {
            if finding["code"] == "PA001" {
                found.push((
                    format!(
                        "{}=={}",
                        finding["package"]["name"].as_str().unwrap(),
                        finding["package"]["version"].as_str().unwrap_or("")
                    ),
                    finding["message"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    found
}

fn codes(report: &Value) -> Vec<String> {
    report["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|lockfile| lockfile["findings"].as_array().unwrap())
        .map(|finding| finding["code"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// Every place a lockfile can carry a URL, each with its own secret.
fn credential_projects(root: &Path) {
    write(
        &root.join("req/requirements.txt"),
        "--index-url https://idxuser:SECRET-A@private.invalid/simple\n\
         --extra-index-url https://SECRET-B@extra.invalid/simple?token=SECRET-C\n\
         foo @ https://user:SECRET-D@files.invalid/foo-1.0.tar.gz\n\
         -e git+https://user:SECRET-E@git.invalid/o/bar.git@v1#egg=bar\n\
         idna==3.6\n",
    );
    write(
        &root.join("uvp/uv.lock"),
        r#"version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "idna" },
    { name = "gitpkg" },
    { name = "urlpkg" },
]

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://uvuser:SECRET-F@private.invalid/simple" }

[[package]]
name = "gitpkg"
version = "1.0"
source = { git = "https://SECRET-G@git.invalid/o/gitpkg.git?rev=abc#abc" }

[[package]]
name = "urlpkg"
version = "1.0"
source = { url = "https://files.invalid/urlpkg-1.0.tar.gz?X-Amz-Signature=SECRET-H" }
"#,
    );
    write(
        &root.join("poe/poetry.lock"),
        r#"[[package]]
name = "idna"
version = "3.6"
description = ""
optional = false
python-versions = "*"
files = []

[package.source]
type = "legacy"
url = "https://poetuser:SECRET-I@private.invalid/simple"
reference = "private"

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "x"
"#,
    );
}

fn lockfiles(root: &Path) -> Vec<PathBuf> {
    ["req/requirements.txt", "uvp/uv.lock", "poe/poetry.lock"]
        .iter()
        .map(|relative| root.join(relative))
        .collect()
}

/// `http://user:SECRET@127.0.0.1:PORT`: the loopback server ignores the credentials, so the
/// service works, and its answers (or failures) are reported with the URL.
fn with_credentials(url: &str, secret: &str) -> String {
    url.replacen("http://", &format!("http://svcuser:{secret}@"), 1)
}

fn assert_no_secret(outputs: &[(String, Vec<u8>)]) {
    for (what, bytes) in outputs {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("SECRET"),
            "{what} leaks a credential:\n{text}"
        );
    }
}

/// Every command and format that shows lockfile sources or service URLs, on a healthy server and
/// on one whose every answer fails (so errors quote the URLs).
fn every_output(work: &Path, osv_url: &str, pypi_url: &str) -> Vec<(String, Vec<u8>)> {
    let root = work.join("org");
    let cache = work.join("cache");
    let mut outputs = Vec::new();
    let mut record = |what: String, run: Run| {
        assert!(
            (0..=2).contains(&run.code),
            "{what}: exit {}\n{}",
            run.code,
            run.text()
        );
        outputs.push((format!("{what} stdout"), run.stdout));
        outputs.push((format!("{what} stderr"), run.stderr));
    };
    for lockfile in lockfiles(&root) {
        let name = lockfile.display().to_string();
        for format in ["text", "json", "sarif", "cyclonedx", "markdown", "gitlab"] {
            record(
                format!("lock --format {format} {name}"),
                run(pyaudit(&cache)
                    .arg("lock")
                    .arg(&lockfile)
                    .args(["--osv-url", osv_url, "--pypi-url", pypi_url])
                    .args(["--format", format, "--deadline", "20", "--timeout", "5"])),
            );
        }
        let report = work.join("report.md");
        record(
            format!("lock --output {name}"),
            run(pyaudit(&cache)
                .arg("lock")
                .arg(&lockfile)
                .args(["--osv-url", osv_url, "--pypi-url", pypi_url])
                .args(["--format", "markdown", "--deadline", "20"])
                .arg("--output")
                .arg(&report)),
        );
        let file = std::fs::read(&report).unwrap();
        record(
            format!("{name} report file"),
            Run {
                code: 0,
                stdout: file,
                stderr: Vec::new(),
            },
        );
        for format in ["tree", "json"] {
            record(
                format!("graph --format {format} {name}"),
                run(pyaudit(&cache)
                    .arg("graph")
                    .arg(&lockfile)
                    .args(["--format", format])),
            );
        }
        for package in ["idna", "foo", "bar", "gitpkg", "urlpkg"] {
            for format in ["text", "json"] {
                let why = run(pyaudit(&cache)
                    .args(["why", package])
                    .arg(&lockfile)
                    .args(["--format", format]));
                // `why` of a package a lock does not hold exits 2; what it printed still counts.
                record(format!("why {package} {name}"), Run { code: 0, ..why });
            }
        }
    }
    for format in ["markdown", "json", "text", "html"] {
        record(
            format!("org --format {format}"),
            run(pyaudit(&cache)
                .arg("org")
                .args(["--osv-url", osv_url, "--pypi-url", pypi_url])
                .args(["--format", format, "--deadline", "20", "--no-history"])
                .arg(&root)),
        );
    }
    outputs
}

#[test]
fn credentials_in_lockfiles_and_service_urls_reach_no_output() {
    let server = Served::start();
    server.add_record(record("GHSA-cred-0001", "idna", "3.6"));
    let work = tempfile::tempdir().unwrap();
    credential_projects(&work.path().join("org"));
    let osv = with_credentials(&server.url(), "SECRET-OSV");
    let pypi = with_credentials(&server.url(), "SECRET-PYPI") + "/?api_key=SECRET-KEY";
    let outputs = every_output(work.path(), &osv, &pypi);
    assert_no_secret(&outputs);
    // The runs did talk to the service (a redaction test that never shows a URL proves nothing).
    assert!(server.requests("/v1/querybatch") > 0);
    let shown: String = outputs
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(
        shown.contains("https://***@git.invalid/o/bar.git"),
        "{shown}"
    );
    assert!(shown.contains("X-Amz-Signature=***"));
    assert!(shown.contains("GHSA-cred-0001"));
}

#[test]
fn credentials_in_failing_service_urls_reach_no_output() {
    let server = Served::start();
    for prefix in ["/v1/", "/pypi/", "/simple/"] {
        server.inject(
            prefix,
            Fault::Status {
                status: 500,
                retry_after: Some("0".to_owned()),
            },
            usize::MAX,
        );
    }
    let work = tempfile::tempdir().unwrap();
    credential_projects(&work.path().join("org"));
    let osv = with_credentials(&server.url(), "SECRET-OSV") + "/?token=SECRET-TOKEN";
    let pypi = with_credentials(&server.url(), "SECRET-PYPI");
    let outputs = every_output(work.path(), &osv, &pypi);
    assert_no_secret(&outputs);
    let shown: String = outputs
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    // The failure is reported, with the URL, credentials masked.
    assert!(shown.contains("http://***@127.0.0.1:"), "{shown}");
    assert!(shown.contains("token=***"));
}

// ---------------------------------------------------------------------------------------------
// Escape sequences

const ESCAPES: &[u8] = &[0x1b, 0x00, 0x07, 0x9b];

fn assert_no_raw_escape(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !bytes.iter().any(|byte| ESCAPES.contains(byte))
            && !text.contains('\u{9b}')
            && !text.contains('\u{202e}'),
        "{what} carries a raw control character:\n{text:?}"
    );
}

#[test]
fn escape_sequences_from_advisories_and_lockfiles_stay_visible() {
    let server = Served::start();
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{0}\u{9b}31m\u{202e}";
    // An id no URL may carry: the record fetch is refused, and the refusal quotes the id.
    server.add_record(record(&format!("PYSEC-{evil}"), "idna", "3.6"));
    // A fetchable record whose text fields carry the sequences.
    let mut loud = record("GHSA-evil-0001", "idna", "3.6");
    loud["summary"] = json!(format!("summary {evil} ](javascript:x) <script>"));
    loud["details"] = json!(format!("details {evil}"));
    loud["aliases"] = json!([format!("CVE-{evil}"), "CVE-2099-0001"]);
    loud["affected"][0]["ranges"] = json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": format!("9{evil}")}]}]);
    server.add_record(loud);
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    write(
        &root.join("uvp/uv.lock"),
        &format!(
            r#"version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "idna" }},
    {{ name = "gitpkg", marker = "python_version > '3' {toml_evil}" }},
]

[[package]]
name = "idna"
version = "3.6"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "gitpkg"
version = "1.0"
source = {{ git = "https://git.invalid/o/{toml_evil}.git?rev=abc#abc" }}
"#,
            toml_evil = "\\u001b[2J\\u001b]0;pwned\\u0007\\u0000\\u009b31m\\u202e"
        ),
    );
    write(
        &root.join("req/requirements.txt"),
        "idna==3.6\nbar @ https://files.invalid/bar\u{1b}[2J\u{1b}]0pwned\u{7}\u{0}.tar.gz\n",
    );
    let cache = work.path().join("cache");
    let url = server.url();
    for lockfile in ["uvp/uv.lock", "req/requirements.txt"] {
        let lockfile = root.join(lockfile);
        for format in ["text", "markdown"] {
            let lock = run(pyaudit(&cache)
                .arg("lock")
                .arg(&lockfile)
                .args(["--osv-url", &url, "--format", format])
                .args(VULNERABILITIES_ONLY));
            assert_eq!(lock.code, 1, "{}", lock.text());
            let what = format!("lock --format {format} {}", lockfile.display());
            assert_no_raw_escape(&format!("{what} stdout"), &lock.stdout);
            assert_no_raw_escape(&format!("{what} stderr"), &lock.stderr);
            let stdout = String::from_utf8_lossy(&lock.stdout);
            assert!(
                stdout.contains("\\u{1b}"),
                "{what}: escapes are shown: {stdout}"
            );
            if format == "markdown" {
                // The summary cannot open a link or a tag of its own.
                assert!(!stdout.contains("](javascript"), "{stdout}");
                assert!(!stdout.contains("<script>"), "{stdout}");
            }
        }
        let graph = run(pyaudit(&cache).arg("graph").arg(&lockfile));
        assert_no_raw_escape("graph stdout", &graph.stdout);
        assert_no_raw_escape("graph stderr", &graph.stderr);
        for package in ["gitpkg", "bar"] {
            let why = run(pyaudit(&cache).args(["why", package]).arg(&lockfile));
            assert_no_raw_escape("why stdout", &why.stdout);
            assert_no_raw_escape("why stderr", &why.stderr);
        }
    }
    for format in ["text", "markdown", "html"] {
        let org = run(pyaudit(&cache)
            .arg("org")
            .args([
                "--osv-url",
                &url,
                "--pypi-url",
                &url,
                "--format",
                format,
                "--no-history",
            ])
            .args(VULNERABILITIES_ONLY)
            .arg(&root));
        assert!(org.code == 0 || org.code == 1, "{}", org.text());
        assert_no_raw_escape(&format!("org --format {format} stdout"), &org.stdout);
        assert_no_raw_escape(&format!("org --format {format} stderr"), &org.stderr);
    }
    // A package argument echoed back in an error.
    let why = run(pyaudit(&cache)
        .args(["why", "nothere\u{1b}]0;t\u{7}"])
        .arg(root.join("uvp/uv.lock")));
    assert_no_raw_escape("why (unknown package) stderr", &why.stderr);
}

// ---------------------------------------------------------------------------------------------
// Answers that do not match their question

fn two_packages(work: &Path) -> PathBuf {
    let path = work.join("requirements.txt");
    write(&path, "idna==3.6\nrequests==2.31.0\n");
    path
}

#[test]
fn a_record_answered_for_another_id_leaves_its_packages_unchecked() {
    let server = Served::start();
    server.add_record(record("GHSA-asked-0001", "idna", "3.6"));
    server.add_record(record("GHSA-other-0002", "requests", "2.31.0"));
    // The record endpoint answers another advisory (with a terminal escape in its id).
    server.set_body(
        "/v1/vulns/GHSA-asked-0001",
        200,
        "application/json",
        serde_json::to_vec(&record("GHSA-swapped\u{1b}[2J", "unrelated", "1.0")).unwrap(),
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = two_packages(work.path());
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args(["--osv-url", &server.url(), "--format", "json"])
        .args(VULNERABILITIES_ONLY));
    assert_eq!(lock.code, 1, "{}", lock.text());
    let report = lock.json();
    let unchecked = unchecked(&report);
    assert_eq!(unchecked.len(), 1, "{unchecked:?}");
    let (package, message) = &unchecked[0];
    assert_eq!(package, "idna==3.6");
    assert!(
        message.contains("GHSA-asked-0001") && message.contains("GHSA-swapped\\u{1b}[2J"),
        "{message}"
    );
    // The honest answer for the other package still counts.
    assert!(codes(&report).contains(&"PA101".to_owned()));
    assert_no_raw_escape("lock stderr", &lock.stderr);
}

#[test]
fn a_querybatch_with_the_wrong_number_of_results_fails_every_package() {
    let server = Served::start();
    server.add_record(record("GHSA-req-0001", "requests", "2.31.0"));
    // Two queries, one result: which package it belongs to cannot be known.
    server.set_body(
        "/v1/querybatch",
        200,
        "application/json",
        serde_json::to_vec(&json!({"results": [{"vulns": [{"id": "GHSA-req-0001"}]}]})).unwrap(),
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = two_packages(work.path());
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args(["--osv-url", &server.url(), "--format", "json"])
        .args(VULNERABILITIES_ONLY));
    assert_eq!(lock.code, 2, "{}", lock.text());
    let report = lock.json();
    let mut packages: Vec<String> = unchecked(&report)
        .into_iter()
        .map(|(package, _)| package)
        .collect();
    packages.sort();
    assert_eq!(packages, ["idna==3.6", "requests==2.31.0"]);
    assert!(
        !codes(&report).contains(&"PA101".to_owned()),
        "no finding is shifted onto idna"
    );
}

// ---------------------------------------------------------------------------------------------
// Redirects

fn idna_lock(work: &Path) -> PathBuf {
    let path = work.join("requirements.txt");
    write(&path, "idna==3.6\n");
    path
}

#[test]
fn cross_host_redirects_are_refused_unless_allowed() {
    let origin = Served::start();
    let elsewhere = Served::start();
    elsewhere.add_record(record("GHSA-else-0001", "idna", "3.6"));
    // Records are fetched from the configured service itself.
    origin.add_record(record("GHSA-else-0001", "idna", "3.6"));
    let target = format!("{}/v1/querybatch", elsewhere.url());
    origin.inject(
        "/v1/querybatch",
        Fault::Redirect {
            status: 307,
            location: target.clone(),
        },
        usize::MAX,
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    let cache = work.path().join("cache");
    let lock = |extra: &[&str]| {
        run(pyaudit(&cache)
            .arg("lock")
            .arg(&lockfile)
            .args([
                "--osv-url",
                &origin.url(),
                "--format",
                "json",
                "--cache-ttl",
                "0",
            ])
            .args(VULNERABILITIES_ONLY)
            .args(extra))
    };
    let refused = lock(&[]);
    assert_eq!(refused.code, 2, "{}", refused.text());
    let refusals = unchecked(&refused.json());
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let message = &refusals[0].1;
    let origin_host = origin.url().replace("http://", "");
    let elsewhere_host = elsewhere.url().replace("http://", "");
    assert!(
        message.contains(&origin_host)
            && message.contains(&elsewhere_host)
            && message.contains("another host"),
        "{message}"
    );
    assert_eq!(
        elsewhere.requests("/v1/querybatch"),
        0,
        "the redirect was not followed"
    );
    // A refusal is final: asking again would get the same redirect.
    assert_eq!(origin.requests("/v1/querybatch"), 1);

    let allowed = lock(&["--allow-cross-host-redirects"]);
    assert_eq!(allowed.code, 1, "{}", allowed.text());
    let report = allowed.json();
    assert!(unchecked(&report).is_empty(), "{}", allowed.text());
    assert!(codes(&report).contains(&"PA101".to_owned()));
    assert_eq!(elsewhere.requests("/v1/querybatch"), 1);
}

#[test]
fn same_host_redirects_are_followed_and_a_host_alias_is_not() {
    let server = Served::start();
    server.add_record(record("GHSA-same-0001", "idna", "3.6"));
    server.inject(
        "/v1/querybatch",
        Fault::Redirect {
            status: 308,
            location: "/v1/querybatch?moved=1".to_owned(),
        },
        1,
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    let cache = work.path().join("cache");
    let followed = run(pyaudit(&cache)
        .arg("lock")
        .arg(&lockfile)
        .args([
            "--osv-url",
            &server.url(),
            "--format",
            "json",
            "--cache-ttl",
            "0",
        ])
        .args(VULNERABILITIES_ONLY));
    assert_eq!(followed.code, 1, "{}", followed.text());
    let report = followed.json();
    assert!(unchecked(&report).is_empty(), "{}", followed.text());
    assert!(codes(&report).contains(&"PA101".to_owned()));

    // `localhost` is another host name than `127.0.0.1`, even on the same port.
    server.inject(
        "/v1/querybatch",
        Fault::Redirect {
            status: 307,
            location: format!(
                "{}/v1/querybatch",
                server.url().replace("127.0.0.1", "localhost")
            ),
        },
        1,
    );
    // A fresh cache: a failed query may fall back to a cached answer.
    let refused = run(pyaudit(&work.path().join("cache-2"))
        .arg("lock")
        .arg(&lockfile)
        .args([
            "--osv-url",
            &server.url(),
            "--format",
            "json",
            "--cache-ttl",
            "0",
        ])
        .args(VULNERABILITIES_ONLY));
    assert_eq!(refused.code, 2, "{}", refused.text());
    let refusals = unchecked(&refused.json());
    assert_eq!(refusals.len(), 1, "{}", refused.text());
    assert!(refusals[0].1.contains("localhost"), "{}", refusals[0].1);
}

#[test]
fn a_redirect_loop_ends_after_ten_hops_without_retries() {
    let server = Served::start();
    server.inject(
        "/v1/querybatch",
        Fault::Redirect {
            status: 307,
            location: "/v1/querybatch?again".to_owned(),
        },
        usize::MAX,
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args(["--osv-url", &server.url(), "--format", "json"])
        .args(VULNERABILITIES_ONLY));
    assert_eq!(lock.code, 2, "{}", lock.text());
    let refusals = unchecked(&lock.json());
    assert_eq!(refusals.len(), 1, "{}", lock.text());
    assert!(
        refusals[0].1.contains("more than 10 redirects"),
        "{}",
        refusals[0].1
    );
    // The first request and ten redirects, once: a refusal is not retried.
    assert_eq!(server.requests("/v1/querybatch"), 11);
}

// ---------------------------------------------------------------------------------------------
// Deadlines

fn never_answer(server: &TestServer, prefix: &str) {
    server.inject(
        prefix,
        Fault::Latency(Duration::from_secs(3600)),
        usize::MAX,
    );
}

#[test]
fn a_server_that_never_answers_ends_at_the_deadline_with_packages_unchecked() {
    let server = Served::start();
    never_answer(&server, "/v1/querybatch");
    let work = tempfile::tempdir().unwrap();
    let lockfile = two_packages(work.path());
    let started = Instant::now();
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args([
            "--osv-url",
            &server.url(),
            "--format",
            "json",
            "--deadline",
            "2",
        ])
        .args(VULNERABILITIES_ONLY));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
    assert_eq!(lock.code, 2, "{}", lock.text());
    let unchecked = unchecked(&lock.json());
    assert_eq!(unchecked.len(), 2, "{unchecked:?}");
    assert!(unchecked[0].1.contains("deadline"), "{}", unchecked[0].1);
}

#[test]
fn record_fetches_share_the_deadline_set_in_the_config() {
    let server = Served::start();
    server.add_record(record("GHSA-slow-0001", "idna", "3.6"));
    never_answer(&server, "/v1/vulns/");
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    write(
        &work.path().join("pyaudit.toml"),
        "[fetch]\ntimeout = 1\ndeadline = 3\n",
    );
    let started = Instant::now();
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args(["--osv-url", &server.url(), "--format", "json"])
        .args(VULNERABILITIES_ONLY));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(9), "took {elapsed:?}");
    assert_eq!(lock.code, 2, "{}", lock.text());
    let unchecked = unchecked(&lock.json());
    assert_eq!(unchecked.len(), 1, "{}", lock.text());
    assert!(
        unchecked[0].1.contains("GHSA-slow-0001"),
        "{}",
        unchecked[0].1
    );
}

#[test]
fn a_long_retry_after_is_capped_by_the_config() {
    let server = Served::start();
    server.inject(
        "/v1/querybatch",
        Fault::Status {
            status: 503,
            retry_after: Some("3600".to_owned()),
        },
        usize::MAX,
    );
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    write(
        &work.path().join("pyaudit.toml"),
        "[fetch]\nmax-retry-after = 0.5\ndeadline = 30\n",
    );
    let started = Instant::now();
    let lock = run(pyaudit(&work.path().join("cache"))
        .arg("lock")
        .arg(&lockfile)
        .args(["--osv-url", &server.url(), "--format", "json"])
        .args(VULNERABILITIES_ONLY));
    let elapsed = started.elapsed();
    // Three retries of at most half a second each, not three hours.
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
    assert_eq!(lock.code, 2, "{}", lock.text());
    assert_eq!(server.requests("/v1/querybatch"), 4);
    let unchecked = unchecked(&lock.json());
    assert_eq!(unchecked.len(), 1);
    assert!(unchecked[0].1.contains("503"), "{}", unchecked[0].1);
}

#[test]
fn bad_network_limits_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let lockfile = idna_lock(work.path());
    let cache = work.path().join("cache");
    let flag = run(pyaudit(&cache)
        .arg("lock")
        .arg(&lockfile)
        .args(["--timeout", "0"]));
    assert_eq!(flag.code, 2, "{}", flag.text());
    assert!(String::from_utf8_lossy(&flag.stderr).contains("--timeout"));
    write(
        &work.path().join("pyaudit.toml"),
        "[fetch]\ndeadline = -1\n",
    );
    let config = run(pyaudit(&cache).arg("lock").arg(&lockfile).arg("--offline"));
    assert_eq!(config.code, 2, "{}", config.text());
    assert!(
        String::from_utf8_lossy(&config.stderr).contains("pyaudit.toml:2"),
        "{}",
        config.text()
    );
}
