//! `pyaudit org` end to end: a generated tree of repositories in a temporary directory, a loopback
//! OSV server with synthetic records, the JSON / HTML / Markdown reports, exit codes, and the
//! night-over-night diff across runs. No live service.

use std::path::{Path, PathBuf};

use crate::support::scenario::Project;
use crate::support::server::{Served, TestServer};
use assert_cmd::Command;
use serde_json::{Value, json};

pub(crate) const VULN_ONLY: [&str; 6] = ["--allow", "PA2", "--allow", "PA3", "--allow", "PA004"];

fn pyaudit(cache: &Path) -> Command {
    crate::support::command::pyaudit(cache)
}

fn record(id: &str, package: &str, fixed: &str, summary: &str) -> Value {
    json!({
        "id": id,
        "modified": "2024-04-11T00:00:00Z",
        "summary": summary,
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
}

pub(crate) fn server() -> Served {
    let server = Served::start();
    server.add_record(record(
        "PYSEC-TEST-IDNA",
        "idna",
        "3.7",
        "idna denial of service <script>alert(1)</script>",
    ));
    server.add_record(record(
        "PYSEC-TEST-JINJA",
        "jinja2",
        "3.1.4",
        "jinja2 sandbox escape",
    ));
    server.add_record(record(
        "PYSEC-TEST-URLLIB3",
        "urllib3",
        "2.2.2",
        "urllib3 leak",
    ));
    server
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// alpha, beta (uv.lock), gamma (own config ignoring the idna advisory), delta (broken lock),
/// epsilon (dev requirements); a `.gitignore`d directory, a virtual environment and
/// `node_modules` with lockfiles that must not be read.
pub(crate) fn tree(root: &Path) {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/uv-project");
    for name in ["alpha", "beta", "gamma", "delta", "epsilon"] {
        std::fs::create_dir_all(root.join(name).join(".git")).unwrap();
    }
    write(
        &root.join("alpha/requirements.txt"),
        "idna==3.6\ncertifi==2024.7.4\n",
    );
    for file in ["uv.lock", "pyproject.toml"] {
        std::fs::copy(demo.join(file), root.join("beta").join(file)).unwrap();
    }
    write(&root.join("gamma/service/requirements.txt"), "idna==3.6\n");
    write(
        &root.join("gamma/pyaudit.toml"),
        "[[ignore]]\nid = \"PYSEC-TEST-IDNA\"\nreason = \"not reachable from our code\"\n",
    );
    write(&root.join("delta/poetry.lock"), "this is [[[ not a lock\n");
    write(
        &root.join("epsilon/requirements-dev.txt"),
        "urllib3==2.0.0\n",
    );
    // Never read: ignored by git, a virtual environment, node_modules, build output.
    write(&root.join(".gitignore"), "generated/\n");
    write(&root.join("generated/requirements.txt"), "jinja2==2.0\n");
    write(&root.join("alpha/.venv/pyvenv.cfg"), "home = /usr/bin\n");
    write(&root.join("alpha/.venv/requirements.txt"), "jinja2==2.0\n");
    write(&root.join("alpha/env2/pyvenv.cfg"), "home = /usr/bin\n");
    write(
        &root.join("alpha/env2/lib/requirements.txt"),
        "jinja2==2.0\n",
    );
    write(
        &root.join("beta/node_modules/x/requirements.txt"),
        "jinja2==2.0\n",
    );
    write(&root.join("beta/build/requirements.txt"), "jinja2==2.0\n");
}

fn run(mut command: impl std::borrow::BorrowMut<Command>) -> (i32, Value, String) {
    let output = command.borrow_mut().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().unwrap(), json, stderr)
}

pub(crate) fn org(cache: &Path, server: &TestServer, root: &Path, extra: &[&str]) -> Command {
    let mut command = pyaudit(cache);
    command
        .args(["org", "--osv-url", &server.url()])
        .args(["--pypi-url", &server.url()])
        .args(VULN_ONLY)
        .args(extra)
        .arg(root);
    if !extra.contains(&"--format") {
        command.args(["--format", "json"]);
    }
    command
}

fn repository<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|repository| repository["name"] == name)
        .unwrap_or_else(|| panic!("no repository {name}"))
}

fn finding_ids(repository: &Value) -> Vec<String> {
    let mut ids: Vec<String> = repository["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|lockfile| lockfile["findings"].as_array().unwrap())
        .map(|finding| {
            format!(
                "{} {}",
                finding["code"].as_str().unwrap(),
                finding["evidence"]["vulnerability"]["id"]
                    .as_str()
                    .unwrap_or("-")
            )
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn audits_every_repository_once_ranks_advisories_and_reports_unreadable_locks() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    let html = work.path().join("report.html");
    let markdown = work.path().join("report.md");
    let (code, report, stderr) = run(org(
        &cache,
        &server,
        &root,
        &[
            "--html",
            html.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["schema"], "pyaudit-org/1");
    let names: Vec<&str> = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|repository| repository["name"].as_str().unwrap())
        .collect();
    // Not `generated` (.gitignore), not the venvs, node_modules or build output.
    assert_eq!(names, ["alpha", "beta", "delta", "epsilon", "gamma"]);
    assert_eq!(
        finding_ids(repository(&report, "alpha")),
        ["PA101 PYSEC-TEST-IDNA"]
    );
    assert_eq!(
        finding_ids(repository(&report, "beta")),
        ["PA101 PYSEC-TEST-IDNA"]
    );
    assert_eq!(
        finding_ids(repository(&report, "epsilon")),
        ["PA101 PYSEC-TEST-URLLIB3"]
    );
    // gamma's own config ignores the advisory; the org run honours it.
    let gamma = repository(&report, "gamma");
    assert!(finding_ids(gamma).is_empty());
    assert_eq!(gamma["lockfiles"][0]["ignored"][0]["id"], "PYSEC-TEST-IDNA");
    assert!(gamma["config"].as_str().unwrap().ends_with("pyaudit.toml"));
    // delta's lock is reported, and the others went on.
    let delta = repository(&report, "delta");
    assert_eq!(delta["lockfiles"].as_array().unwrap().len(), 0);
    assert!(
        delta["errors"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("poetry.lock")
    );
    assert!(stderr.contains("delta"), "{stderr}");

    let summary = &report["summary"];
    assert_eq!(summary["repositories"], 5);
    assert_eq!(summary["unreadable"], 1);
    assert_eq!(summary["lockfiles"], 5);
    assert_eq!(summary["repositories_failing"], 3);
    // Blast radius: idna reaches two repositories in production, urllib3 one, dev only.
    let advisories = report["advisories"].as_array().unwrap();
    assert_eq!(advisories[0]["id"], "PYSEC-TEST-IDNA");
    assert_eq!(advisories[0]["repositories"], 2);
    assert_eq!(advisories[0]["prod_repositories"], 2);
    assert_eq!(advisories[0]["reaches"].as_array().unwrap().len(), 2);
    assert_eq!(advisories[1]["id"], "PYSEC-TEST-URLLIB3");
    assert_eq!(advisories[1]["prod_repositories"], 0);
    assert_eq!(advisories[1]["reaches"][0]["class"], "dev");
    // Risk: a prod vulnerability outranks a dev one; the unreadable repository is listed.
    let risk: Vec<&str> = report["risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|risk| risk["repository"].as_str().unwrap())
        .collect();
    assert_eq!(&risk[..3], ["alpha", "beta", "epsilon"]);
    assert!(report["since_last"].is_null());
    // idna==3.6 is locked by three repositories and counted once.
    let lock_entries = summary["packages"].as_u64().unwrap();
    assert!(summary["unique_packages"].as_u64().unwrap() < lock_entries);

    // The HTML page: self-contained, escaped, with the key numbers.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"), "untrusted text must be escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for resource in ["src=", "<link", "@import", "url("] {
        assert!(!page.contains(resource), "loads `{resource}`");
    }
    // A URL may be a link or text (a yank reason PyPI gives, in the census), never another
    // attribute's value.
    for (offset, _) in page
        .match_indices("http://")
        .chain(page.match_indices("https://"))
    {
        let before = &page[..offset];
        assert!(
            before.ends_with("href=\"") || !before.trim_end().ends_with(['=', '"', '\'']),
            "a URL in an attribute other than href: {}",
            &page[offset.saturating_sub(40)..offset + 40]
        );
    }
    assert!(page.contains("data-key=\"repositories\">5<"));
    assert!(page.contains("data-key=\"unreadable\">1<"));
    for section in [
        "advisories",
        "risk",
        "licenses",
        "maintenance",
        "errors",
        "since-last",
    ] {
        assert!(page.contains(&format!("id=\"{section}\"")), "{section}");
    }
    let summary_text = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        summary_text.contains("3 of 5 repositories fail"),
        "{summary_text}"
    );
    // Both name the advisory data and say which rule family `org` does not run.
    assert!(page.contains("Data sources and their age"), "{page}");
    assert!(summary_text.contains("Advisory data:"), "{summary_text}");
    for text in [&page, &summary_text] {
        assert!(text.contains("OSV API"), "{text}");
        assert!(text.contains("Not run:"), "{text}");
        assert!(text.contains("PA601"), "{text}");
    }

    // --strict: an unreadable lockfile fails the run after the reports are written.
    let output = org(&cache, &server, &root, &["--strict", "--no-history"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(serde_json::from_slice::<Value>(&output.stdout).is_ok());
}

#[test]
fn night_over_night_diff_says_what_is_new_fixed_and_only_new_findings_fail_since_last() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    let (code, first, _) = run(org(&cache, &server, &root, &[]));
    assert_eq!(code, 1);
    assert!(first["since_last"].is_null());

    // Night two: alpha upgrades idna, epsilon adds a vulnerable pin, a new repository appears.
    write(
        &root.join("alpha/requirements.txt"),
        "idna==3.7\ncertifi==2024.7.4\n",
    );
    write(
        &root.join("epsilon/requirements-dev.txt"),
        "urllib3==2.0.0\njinja2==3.1.0\n",
    );
    std::fs::create_dir_all(root.join("zeta/.git")).unwrap();
    write(&root.join("zeta/requirements.txt"), "certifi==2024.7.4\n");
    let (code, second, stderr) = run(org(&cache, &server, &root, &["--since-last"]));
    assert_eq!(
        code, 1,
        "a new deny-level finding fails --since-last: {stderr}"
    );
    let diff = &second["since_last"];
    let keys = |name: &str| -> Vec<String> {
        diff[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                format!(
                    "{} {}",
                    entry["repository"].as_str().unwrap(),
                    entry["key"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        keys("fixed"),
        ["alpha PA101 idna 3.6 PYSEC-TEST-IDNA requirements.txt"]
    );
    assert_eq!(
        keys("new"),
        ["epsilon PA101 jinja2 3.1.0 PYSEC-TEST-JINJA requirements-dev.txt"]
    );
    assert_eq!(diff["new_repositories"], json!(["zeta"]));
    assert!(diff["changed"].as_array().unwrap().is_empty());

    // Night three: nothing changed. beta still has its finding, but nothing is new.
    let (code, third, _) = run(org(&cache, &server, &root, &["--since-last"]));
    assert_eq!(code, 0);
    assert!(third["since_last"]["new"].as_array().unwrap().is_empty());
    assert!(third["summary"]["deny"].as_u64().unwrap() > 0);
    // Without --since-last the standing findings still fail the run.
    let (code, _, _) = run(org(&cache, &server, &root, &["--no-history"]));
    assert_eq!(code, 1);
}

#[test]
fn an_explicit_list_and_org_config_defaults() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    write(
        &work.path().join("repos.txt"),
        "# the repositories of team A\norg/alpha\norg/epsilon/requirements-dev.txt\n",
    );
    // The org config's ignores hold in every repository without its own config; the one that
    // matches nothing anywhere is reported once, at org level, not in each repository.
    write(
        &work.path().join("org.toml"),
        "[[ignore]]\nid = \"PYSEC-TEST-URLLIB3\"\nreason = \"dev only\"\n\n\
         [[ignore]]\nid = \"PYSEC-NEVER\"\nreason = \"gone\"\n",
    );
    let mut command = pyaudit(&cache);
    command
        .args(["org", "--format", "json", "--osv-url", &server.url()])
        .args(["--pypi-url", &server.url()])
        .args(VULN_ONLY)
        .args(["--config", work.path().join("org.toml").to_str().unwrap()])
        .args(["--list", work.path().join("repos.txt").to_str().unwrap()]);
    let (code, report, stderr) = run(command);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["summary"]["repositories"], 2);
    let epsilon = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|repository| repository["name"].as_str().unwrap().ends_with("epsilon"))
        .unwrap();
    assert!(finding_ids(epsilon).is_empty(), "{epsilon}");
    let org_findings: Vec<&str> = report["org_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert_eq!(org_findings, ["PA003"], "{}", report["org_findings"]);
}

/// The org-wide command without `VULN_ONLY`: every rule at its default level, unless `extra` says.
fn org_default_rules(cache: &Path, server: &TestServer, root: &Path, extra: &[&str]) -> Command {
    let mut command = pyaudit(cache);
    command
        .args(["org", "--format", "json", "--no-history"])
        .args(["--osv-url", &server.url(), "--pypi-url", &server.url()])
        .args(extra)
        .arg(root);
    command
}

fn codes(repository: &Value) -> Vec<String> {
    let mut codes: Vec<String> = repository["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|lockfile| lockfile["findings"].as_array().unwrap())
        .map(|finding| finding["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn census_entry<'a>(report: &'a Value, code: &str, package: &str) -> Option<&'a Value> {
    report["maintenance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["code"] == code && entry["package"] == package)
}

/// certifi 2024.7.4 yanked and MPL-2.0 on the loopback PyPI; idna and the rest as recorded.
fn serve_yanked_certifi(server: &TestServer) {
    let certifi = Project::new("certifi")
        .release("2024.2.2", "2024-02-02")
        .yanked("2024.7.4", "2024-07-04", Some("broken bundle"))
        .license_expression("MPL-2.0");
    server.set_body(
        "/pypi/certifi/json",
        200,
        "application/json",
        certifi.json().to_string(),
    );
    server.set_body(
        "/simple/certifi/",
        200,
        "application/vnd.pypi.simple.v1+json",
        certifi.simple().to_string(),
    );
}

#[test]
fn censuses_come_from_metadata_even_when_every_metadata_rule_is_off() {
    let server = server();
    serve_yanked_certifi(&server);
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    // VULN_ONLY: PA2, PA3 and PA004 off in every repository.
    let (code, report, stderr) = run(org(&cache, &server, &root, &["--no-history"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        server.requests("/pypi/") > 0,
        "metadata is fetched for the census"
    );
    let licenses = report["licenses"].as_array().expect("a license census");
    let license = |name: &str| {
        licenses
            .iter()
            .find(|license| license["license"] == name)
            .unwrap_or_else(|| panic!("no {name} in {licenses:?}"))
    };
    // certifi==2024.7.4 is locked by alpha (and beta's demo lock has its own certifi).
    assert!(license("MPL-2.0")["repositories"].as_u64().unwrap() >= 1);
    // The yanked release is in the census, from the metadata — yet no repository has PA201 on.
    let yanked = census_entry(&report, "PA201", "certifi").expect("certifi in the census");
    assert_eq!(yanked["version"], "2024.7.4");
    assert!(
        yanked["repositories"]
            .as_array()
            .unwrap()
            .contains(&json!("alpha"))
    );
    assert!(
        yanked["message"]
            .as_str()
            .unwrap()
            .contains("broken bundle")
    );
    for repository in report["repositories"].as_array().unwrap() {
        let codes = codes(repository);
        assert!(
            !codes
                .iter()
                .any(|code| code.starts_with("PA2") || code == "PA004"),
            "{}: {codes:?}",
            repository["name"]
        );
    }
    // beta's demo lock has packages the loopback PyPI does not know: counted, not dropped.
    let census = &report["census"];
    assert_eq!(census["state"], "partial", "{census}");
    assert!(census["unchecked"].as_u64().unwrap() > 0);
    assert_eq!(
        census["unchecked"].as_u64().unwrap() as usize,
        census["unchecked_packages"].as_array().unwrap().len()
    );
    assert_eq!(
        license("unchecked")["packages"],
        census["unchecked"],
        "{licenses:?}"
    );
}

#[test]
fn a_repository_that_turns_maintenance_rules_off_gets_none_of_their_findings() {
    let server = server();
    serve_yanked_certifi(&server);
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    for name in ["strict", "relaxed"] {
        std::fs::create_dir_all(root.join(name).join(".git")).unwrap();
        // certifi is served yanked; `not-on-pypi` has no metadata at all (PA004 material).
        write(
            &root.join(name).join("requirements.txt"),
            "certifi==2024.7.4\nnot-on-pypi==1.0\n",
        );
    }
    write(
        &root.join("relaxed/pyaudit.toml"),
        "[rules]\nPA2 = \"allow\"\n",
    );
    let cache = work.path().join("cache");
    let (_, report, stderr) = run(org_default_rules(&cache, &server, &root, &[]));
    let strict = codes(repository(&report, "strict"));
    assert!(strict.contains(&"PA201".to_string()), "{strict:?} {stderr}");
    assert!(strict.contains(&"PA004".to_string()), "{strict:?}");
    let relaxed = codes(repository(&report, "relaxed"));
    assert!(
        !relaxed
            .iter()
            .any(|code| code.starts_with("PA2") || code == "PA004"),
        "metadata fetched for the census must not turn rules on: {relaxed:?}"
    );
    // The census still lists the yanked release in both.
    let yanked = census_entry(&report, "PA201", "certifi").unwrap();
    assert_eq!(yanked["repositories"], json!(["relaxed", "strict"]));
}

#[test]
fn no_census_skips_pypi_and_says_so_in_every_report() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    let html = work.path().join("report.html");
    let markdown = work.path().join("report.md");
    let (_, report, stderr) = run(org(
        &cache,
        &server,
        &root,
        &[
            "--no-census",
            "--no-history",
            "--html",
            html.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    ));
    assert_eq!(server.requests("/pypi/"), 0, "{stderr}");
    assert_eq!(server.requests("/simple/"), 0, "{stderr}");
    assert!(report["licenses"].is_null());
    assert_eq!(report["census"]["state"], "skipped");
    assert!(
        report["census"]["note"]
            .as_str()
            .unwrap()
            .contains("--no-census")
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Census skipped"), "{page}");
    let summary = std::fs::read_to_string(&markdown).unwrap();
    assert!(summary.contains("Censuses skipped"), "{summary}");
}

#[test]
fn offline_census_marks_what_the_cache_lacks_as_unchecked() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    std::fs::create_dir_all(root.join("alpha/.git")).unwrap();
    write(&root.join("alpha/requirements.txt"), "idna==3.6\n");
    let cache = work.path().join("cache");
    let (_, online, stderr) = run(org(&cache, &server, &root, &["--no-history"]));
    assert_eq!(online["census"]["state"], "complete", "{stderr}");
    // A new repository with a package the cache has never seen, audited offline.
    std::fs::create_dir_all(root.join("beta/.git")).unwrap();
    write(
        &root.join("beta/requirements.txt"),
        "idna==3.6\nurllib3==2.0.0\n",
    );
    let (_, offline, stderr) = run(org(&cache, &server, &root, &["--offline", "--no-history"]));
    let census = &offline["census"];
    assert_eq!(census["state"], "partial", "{census} {stderr}");
    assert_eq!(census["unchecked_packages"], json!(["urllib3==2.0.0"]));
    assert!(census["note"].as_str().unwrap().contains("--offline"));
    let licenses = offline["licenses"].as_array().unwrap();
    assert!(
        licenses
            .iter()
            .any(|license| license["license"] == "unchecked" && license["packages"] == 1),
        "{licenses:?}"
    );
}

/// A uv.lock whose project has two dependency groups: `dev` (idna 3.6) and `docs` (jinja2 3.1.0).
const GROUPS_LOCK: &str = r#"version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "certifi" }]

[package.dev-dependencies]
dev = [{ name = "idna" }]
docs = [{ name = "jinja2" }]

[package.metadata]
requires-dist = [{ name = "certifi", specifier = "==2024.7.4" }]

[package.metadata.requires-dev]
dev = [{ name = "idna", specifier = "==3.6" }]
docs = [{ name = "jinja2", specifier = "==3.1.0" }]

[[package]]
name = "certifi"
version = "2024.7.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "jinja2"
version = "3.1.0"
source = { registry = "https://pypi.org/simple" }
"#;

#[test]
fn groups_and_requirements_class_select_as_in_lock() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    std::fs::create_dir_all(root.join("app/.git")).unwrap();
    write(&root.join("app/uv.lock"), GROUPS_LOCK);
    std::fs::create_dir_all(root.join("tools/.git")).unwrap();
    write(&root.join("tools/requirements-dev.txt"), "urllib3==2.0.0\n");
    let cache = work.path().join("cache");
    let ids = |report: &Value| -> Vec<String> {
        let mut ids: Vec<String> = report["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(finding_ids)
            .collect();
        ids.sort();
        ids
    };

    let (_, all, stderr) = run(org(&cache, &server, &root, &["--no-history"]));
    assert_eq!(
        ids(&all),
        [
            "PA101 PYSEC-TEST-IDNA",
            "PA101 PYSEC-TEST-JINJA",
            "PA101 PYSEC-TEST-URLLIB3"
        ],
        "{stderr}"
    );
    // `--groups docs`: the docs group only. A dev requirements file is a group of its own (named
    // after the file), as in `pyaudit lock`, so it is left out too.
    let (_, docs, _) = run(org(
        &cache,
        &server,
        &root,
        &["--no-history", "--groups", "docs"],
    ));
    assert_eq!(ids(&docs), ["PA101 PYSEC-TEST-JINJA"]);
    let (_, dev, _) = run(org(
        &cache,
        &server,
        &root,
        &["--no-history", "--groups", "dev"],
    ));
    assert_eq!(ids(&dev), ["PA101 PYSEC-TEST-IDNA"]);
    // A group no lockfile defines is an error naming it and the groups there are.
    let output = org(
        &cache,
        &server,
        &root,
        &["--no-history", "--groups", "lint"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no dependency group `lint`") && stderr.contains("dev, docs"),
        "{stderr}"
    );
    // `--only-prod` and `--groups` conflict, as in lock.
    let output = org(
        &cache,
        &server,
        &root,
        &["--no-history", "--only-prod", "--groups", "docs"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // `--requirements-class prod`: the dev requirements file's package ships to production.
    let urllib3 = |report: &Value| -> Value {
        report["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|advisory| advisory["id"] == "PYSEC-TEST-URLLIB3")
            .unwrap()
            .clone()
    };
    assert_eq!(urllib3(&all)["prod_repositories"], 0);
    let (_, prod, _) = run(org(
        &cache,
        &server,
        &root,
        &["--no-history", "--requirements-class", "prod"],
    ));
    assert_eq!(urllib3(&prod)["prod_repositories"], 1);
    assert_eq!(urllib3(&prod)["reaches"][0]["class"], "prod");
}

#[test]
fn each_repository_s_own_popular_names_apply_to_its_own_findings() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    for name in ["own", "plain", "broken"] {
        std::fs::create_dir_all(root.join(name).join(".git")).unwrap();
        write(
            &root.join(name).join("requirements.txt"),
            "acmecorp-internl==1.0\n",
        );
    }
    write(
        &root.join("own/pyaudit.toml"),
        "[typosquat]\npopular = [\"names/popular.txt\"]\n",
    );
    write(&root.join("own/names/popular.txt"), "acmecorp-internal\n");
    write(
        &root.join("broken/pyaudit.toml"),
        "[typosquat]\npopular = [\"missing.txt\"]\n",
    );
    let cache = work.path().join("cache");
    let (_, report, stderr) = run(org_default_rules(
        &cache,
        &server,
        &root,
        &["--allow", "PA2", "--allow", "PA004"],
    ));
    assert!(
        codes(repository(&report, "own")).contains(&"PA501".to_string()),
        "{stderr}"
    );
    assert!(!codes(repository(&report, "plain")).contains(&"PA501".to_string()));
    // An unreadable list is the repository's error; its lock is still audited.
    let broken = repository(&report, "broken");
    assert!(!codes(broken).contains(&"PA501".to_string()));
    assert_eq!(broken["lockfiles"].as_array().unwrap().len(), 1);
    let message = broken["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("missing.txt"), "{message}");
    assert!(
        broken["errors"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("pyaudit.toml")
    );
}

#[test]
fn text_format_for_a_terminal() {
    let server = server();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    tree(&root);
    let cache = work.path().join("cache");
    let text = |extra: &[&str], colour: bool| -> String {
        let mut arguments = vec!["--no-history", "--format", "text"];
        arguments.extend_from_slice(extra);
        let mut command = org(&cache, &server, &root, &arguments);
        if colour {
            command.env("FORCE_COLOR", "1").env_remove("NO_COLOR");
        } else {
            command.env("NO_COLOR", "1");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        String::from_utf8(output.stdout).unwrap()
    };
    let plain = text(&[], false);
    for expected in [
        "pyaudit org: 3 of 5 repositories fail",
        "Advisories by package",
        "idna==3.6 — 1 advisory, highest unknown, fixed in 3.7",
        "PYSEC-TEST-IDNA",
        "Repositories by risk",
        "License census",
        "Unmaintained, yanked and archived",
        "Could not be read",
        "First recorded run",
    ] {
        assert!(plain.contains(expected), "{expected}:\n{plain}");
    }
    assert!(
        !plain.contains('\u{1b}'),
        "no colour with NO_COLOR:\n{plain}"
    );
    // The advisory summary's markup is printed as text, on one line.
    assert!(plain.contains("<script>alert(1)</script>"));
    // Blast radius first: idna (2 prod repositories) before urllib3 (dev only).
    assert!(plain.find("PYSEC-TEST-IDNA").unwrap() < plain.find("PYSEC-TEST-URLLIB3").unwrap());
    assert!(text(&[], true).contains("\u{1b}[1;31m"));
    // Night over night in text: record a run, change a pin, show the new finding.
    let mut command = org(&cache, &server, &root, &[]);
    command.output().unwrap();
    write(
        &root.join("epsilon/requirements-dev.txt"),
        "urllib3==2.0.0\njinja2==3.1.0\n",
    );
    let mut command = org(&cache, &server, &root, &["--format", "text"]);
    command.env("NO_COLOR", "1");
    let changed = String::from_utf8(command.output().unwrap().stdout).unwrap();
    assert!(changed.contains("Since the last run"), "{changed}");
    assert!(
        changed.contains("new     deny epsilon PA101 jinja2 3.1.0 PYSEC-TEST-JINJA"),
        "{changed}"
    );
}
