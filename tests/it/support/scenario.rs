//! A project directory, a loopback OSV + PyPI server and the `pyaudit` binary: what the rule and
//! snapshot tests drive end to end. Lockfiles and `pyaudit.toml` go into a temporary project
//! directory, synthetic PyPI answers into the server, and each run gets its own cache directory
//! (unless one is passed) so an answer served for one run never leaks into the next.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::server::TestServer;

/// `date` (`YYYY-MM-DD`) moved by `days`, as `YYYY-MM-DD`.
pub fn day(date: &str, days: i64) -> String {
    let start = pyaudit::time::days_from_date(date).expect("a YYYY-MM-DD date");
    pyaudit::time::date_from_unix_millis((start + days) * 86_400_000)
}

pub use super::command::pyaudit;

/// A loopback server on its own runtime and a temporary project directory.
pub struct Scenario {
    pub server: TestServer,
    pub directory: tempfile::TempDir,
    runs: std::cell::Cell<usize>,
    _runtime: tokio::runtime::Runtime,
}

impl Scenario {
    /// A server with no advisory records (every package is checked and clean) that serves the
    /// recorded PyPI answers of the corpus's `pypi/` (404 for any other project).
    pub fn new() -> Scenario {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(TestServer::start());
        let directory = tempfile::tempdir().unwrap();
        std::fs::create_dir(directory.path().join("project")).unwrap();
        // An empty config, so discovery never walks up into a config outside the test.
        std::fs::write(directory.path().join("project/pyaudit.toml"), "").unwrap();
        Scenario {
            server,
            directory,
            runs: std::cell::Cell::new(0),
            _runtime: runtime,
        }
    }

    pub fn project(&self) -> PathBuf {
        self.directory.path().join("project")
    }

    /// Writes `text` to `relative` in the project directory (creating directories).
    pub fn write(&self, relative: &str, text: &str) -> &Self {
        let path = self.project().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.project().join(relative)).unwrap();
    }

    /// The project's `pyaudit.toml`.
    pub fn config(&self, text: &str) -> &Self {
        self.write("pyaudit.toml", text)
    }

    /// A cache directory no run has used yet.
    pub fn fresh_cache(&self) -> PathBuf {
        let count = self.runs.get() + 1;
        self.runs.set(count);
        let cache = self.directory.path().join(format!("cache-{count}"));
        std::fs::create_dir(&cache).unwrap();
        cache
    }

    /// `pyaudit lock --format json` on the project directory at `now`, with a fresh cache.
    pub fn run(&self, now: &str, args: &[&str]) -> Report {
        self.run_in(&self.fresh_cache(), now, args)
    }

    /// As [`run`](Self::run), with the cache in `cache`.
    pub fn run_in(&self, cache: &Path, now: &str, args: &[&str]) -> Report {
        let url = self.server.url();
        let output = pyaudit(cache)
            .env("PYAUDIT_NOW", now)
            .args([
                "lock",
                "--format",
                "json",
                "--osv-url",
                &url,
                "--pypi-url",
                &url,
            ])
            .args(args)
            .arg(self.project())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "{error}\nstdout: {}\nstderr: {stderr}",
                String::from_utf8_lossy(&output.stdout)
            )
        });
        Report {
            code: output.status.code().unwrap(),
            json,
            stderr,
        }
    }

    /// Serves `project`'s JSON API and Simple API answers.
    pub fn serve(&self, project: &Project) -> &Self {
        self.server.set_body(
            &format!("/pypi/{}/json", project.name),
            200,
            "application/json",
            project.json().to_string(),
        );
        self.server.set_body(
            &format!("/simple/{}/", project.name),
            200,
            "application/vnd.pypi.simple.v1+json",
            project.simple().to_string(),
        );
        self
    }
}

/// The JSON report of one run and its exit code.
pub struct Report {
    pub code: i32,
    pub json: Value,
    pub stderr: String,
}

impl Report {
    /// Every finding of every lockfile.
    pub fn findings(&self) -> Vec<&Value> {
        self.json["lockfiles"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|lockfile| lockfile["findings"].as_array().unwrap())
            .collect()
    }

    /// Findings of rule `code`.
    pub fn with_code(&self, code: &str) -> Vec<&Value> {
        self.findings()
            .into_iter()
            .filter(|finding| finding["code"] == code)
            .collect()
    }

    /// Findings of rule `code` about `package`.
    pub fn about(&self, code: &str, package: &str) -> Vec<&Value> {
        self.with_code(code)
            .into_iter()
            .filter(|finding| finding["package"]["name"] == package)
            .collect()
    }

    /// The one finding of rule `code` about `package`; fails with the whole report otherwise.
    pub fn one(&self, code: &str, package: &str) -> &Value {
        let found = self.about(code, package);
        assert_eq!(
            found.len(),
            1,
            "expected one {code} finding for {package}:\n{}",
            self.dump()
        );
        found[0]
    }

    /// Asserts that no finding of rule `code` is about `package`.
    pub fn none(&self, code: &str, package: &str) {
        assert!(
            self.about(code, package).is_empty(),
            "expected no {code} finding for {package}:\n{}",
            self.dump()
        );
    }

    /// The report's codes, for failure messages and quick checks.
    pub fn codes(&self) -> Vec<String> {
        self.findings()
            .iter()
            .map(|finding| {
                format!(
                    "{} {} {}",
                    finding["level"].as_str().unwrap(),
                    finding["code"].as_str().unwrap(),
                    finding["package"]["name"].as_str().unwrap()
                )
            })
            .collect()
    }

    pub fn dump(&self) -> String {
        format!(
            "exit {}\n{}\nstderr: {}",
            self.code,
            serde_json::to_string_pretty(&self.json).unwrap(),
            self.stderr
        )
    }

    /// Asserts the exit code, showing the report when it differs.
    pub fn exit(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}", self.dump());
        self
    }
}

/// A metadata fact of a finding's evidence (`newest_version`, `last_upload`, …).
pub fn fact(finding: &Value, name: &str) -> String {
    finding["evidence"]["facts"]
        .as_array()
        .unwrap_or_else(|| panic!("no facts in {finding:#}"))
        .iter()
        .find(|fact| fact["name"] == name)
        .unwrap_or_else(|| panic!("no fact `{name}` in {finding:#}"))["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One file of a synthetic release: upload day (`YYYY-MM-DD`), yanked, yank reason.
type File = (String, bool, Option<String>);

/// A synthetic PyPI project: releases with upload days and yanked flags, the newest release's
/// license fields and classifiers, and a PEP 792 status for the Simple API answer.
#[derive(Clone)]
pub struct Project {
    pub name: String,
    /// Version → its files as (upload day, yanked, yank reason).
    releases: Vec<(String, Vec<File>)>,
    info_version: Option<String>,
    license: Option<String>,
    license_expression: Option<String>,
    classifiers: Vec<String>,
    status: Option<(String, Option<String>)>,
}

impl Project {
    pub fn new(name: &str) -> Project {
        Project {
            name: name.to_owned(),
            releases: Vec::new(),
            info_version: None,
            license: None,
            license_expression: None,
            classifiers: Vec::new(),
            status: None,
        }
    }

    /// A release with one file uploaded at midnight UTC on `date`.
    pub fn release(self, version: &str, date: &str) -> Project {
        self.files(version, &[(date, false, None)])
    }

    /// A release whose one file is yanked, with the reason if given.
    pub fn yanked(self, version: &str, date: &str, reason: Option<&str>) -> Project {
        self.files(version, &[(date, true, reason)])
    }

    /// A release with these files: (upload day, yanked, yank reason).
    pub fn files(mut self, version: &str, files: &[(&str, bool, Option<&str>)]) -> Project {
        self.releases.push((
            version.to_owned(),
            files
                .iter()
                .map(|(date, yanked, reason)| {
                    ((*date).to_owned(), *yanked, reason.map(str::to_owned))
                })
                .collect(),
        ));
        self
    }

    /// `info.version` (default: the last release added).
    pub fn info_version(mut self, version: &str) -> Project {
        self.info_version = Some(version.to_owned());
        self
    }

    pub fn license_expression(mut self, expression: &str) -> Project {
        self.license_expression = Some(expression.to_owned());
        self
    }

    pub fn license(mut self, text: &str) -> Project {
        self.license = Some(text.to_owned());
        self
    }

    pub fn classifier(mut self, classifier: &str) -> Project {
        self.classifiers.push(classifier.to_owned());
        self
    }

    /// The PEP 792 status the Simple API reports.
    pub fn status(mut self, status: &str, reason: Option<&str>) -> Project {
        self.status = Some((status.to_owned(), reason.map(str::to_owned)));
        self
    }

    /// `/pypi/<name>/json`.
    pub fn json(&self) -> Value {
        let releases: serde_json::Map<String, Value> = self
            .releases
            .iter()
            .map(|(version, files)| {
                let files: Vec<Value> = files
                    .iter()
                    .enumerate()
                    .map(|(index, (date, yanked, reason))| {
                        json!({
                            "filename": format!("{}-{version}-{index}.tar.gz", self.name),
                            "packagetype": "sdist",
                            "upload_time_iso_8601": format!("{date}T00:00:00.000000Z"),
                            "yanked": yanked,
                            "yanked_reason": reason,
                        })
                    })
                    .collect();
                (version.clone(), Value::Array(files))
            })
            .collect();
        let version = self
            .info_version
            .clone()
            .or_else(|| self.releases.last().map(|(version, _)| version.clone()))
            .unwrap_or_else(|| "0".to_owned());
        json!({
            "info": {
                "name": self.name,
                "version": version,
                "license": self.license,
                "license_expression": self.license_expression,
                "classifiers": self.classifiers,
            },
            "releases": releases,
        })
    }

    /// `/simple/<name>/` in JSON (PEP 691), with the PEP 792 `project-status` when set.
    pub fn simple(&self) -> Value {
        let mut document = simple_page(&self.json());
        document["meta"] = json!({"api-version": "1.4"});
        if let Some((status, reason)) = &self.status {
            let mut status = json!({ "status": status });
            if let Some(reason) = reason {
                status["reason"] = json!(reason);
            }
            document["project-status"] = status;
        }
        document
    }
}

/// The Simple API page (PEP 691 JSON with PEP 700 `versions` and `upload-time`) that carries
/// the same releases as a `/pypi/<name>/json` document, as PyPI serves both: every file named
/// so that its release reads from the name (a file named otherwise becomes a wheel of its
/// release), with its upload time, yank, `requires-python` and core metadata.
pub fn simple_page(document: &Value) -> Value {
    let name = document["info"]["name"].as_str().unwrap_or_default();
    let mut versions = Vec::new();
    let mut files = Vec::new();
    if let Some(releases) = document["releases"].as_object() {
        for (version, release_files) in releases {
            versions.push(json!(version));
            for (index, file) in release_files.as_array().into_iter().flatten().enumerate() {
                let given = file["filename"].as_str().unwrap_or_default();
                let filename = if given.ends_with(".whl") {
                    given.to_owned()
                } else {
                    format!(
                        "{}-{version}-{index}-py3-none-any.whl",
                        name.replace('-', "_")
                    )
                };
                let yanked = match (file["yanked"].as_bool(), file["yanked_reason"].as_str()) {
                    (Some(true), Some(reason)) if !reason.is_empty() => json!(reason),
                    (yanked, _) => json!(yanked.unwrap_or(false)),
                };
                let mut entry = json!({
                    "filename": filename,
                    "url": file["url"].as_str().map_or_else(
                        || format!("https://files.example/{filename}"),
                        str::to_owned,
                    ),
                    "hashes": {},
                    "requires-python": file["requires_python"],
                    "yanked": yanked,
                });
                if let Some(time) = file["upload_time_iso_8601"].as_str() {
                    entry["upload-time"] = json!(time);
                }
                if !file["core-metadata"].is_null() {
                    entry["core-metadata"] = file["core-metadata"].clone();
                }
                files.push(entry);
            }
        }
    }
    json!({
        "meta": {"api-version": "1.1"},
        "name": name,
        "versions": versions,
        "files": files,
    })
}

/// An OSV record affecting `package` below `fixed`, with a `database_specific.severity` label
/// when given (GitHub's `HIGH`, `CRITICAL`, …).
pub fn osv_record(
    id: &str,
    alias: &str,
    package: &str,
    fixed: &str,
    severity: Option<&str>,
) -> Value {
    let mut record = json!({
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "aliases": [alias],
        "summary": format!("synthetic vulnerability in {package}"),
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
    });
    if let Some(severity) = severity {
        record["database_specific"] = json!({ "severity": severity });
    }
    record
}
