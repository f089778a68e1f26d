//! Snapshots of `pyaudit org` (markdown, text, json, html) and `pyaudit review` (text, json,
//! markdown), like the `lock` snapshots of `snapshots.rs` and with its normalisation and
//! `UPDATE_SNAPSHOTS=1` workflow.
//!
//! `org` audits the generated tree of `org.rs` (five repositories, one with an unreadable lock,
//! one with its own ignore) against the loopback server's three synthetic advisories, with the
//! vulnerability rules only (no PyPI metadata), no history, the clock pinned. `review` resolves
//! the synthetic `rtapp` tree of `review.rs` (markers, extras, a yank, a cycle) from the loopback
//! PyPI, with one advisory on the chosen `rtutil` so the verdict has a finding to show.

use std::path::Path;

use serde_json::json;

use crate::snapshots::{assert_snapshot, normalise};
use crate::support::server::Served;

/// The org run's clock: the day after the synthetic records were last modified, years on.
const ORG_NOW: &str = "2026-11-25";

struct Output {
    code: i32,
    normalised: String,
    stderr: String,
}

fn output(command: &mut assert_cmd::Command, server: &Served, temporary: &Path) -> Output {
    let output = command.output().unwrap();
    let raw = String::from_utf8(output.stdout).unwrap();
    Output {
        code: output.status.code().unwrap(),
        normalised: normalise(&raw, &server.url(), temporary),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn org(format: &str) -> Output {
    let server = crate::org::server();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("org");
    crate::org::tree(&root);
    let cache = directory.path().join("cache");
    let mut command = crate::org::org(
        &cache,
        &server,
        &root,
        &["--format", format, "--no-history"],
    );
    command.env("PYAUDIT_NOW", ORG_NOW);
    output(&mut command, &server, directory.path())
}

fn check_org(format: &str, snapshot: &str) {
    let run = org(format);
    // idna and urllib3 are vulnerable, delta's lock is unreadable: the run fails.
    assert_ne!(run.code, 0, "{}\nstderr: {}", run.normalised, run.stderr);
    assert!(
        !run.normalised.contains("/tmp/")
            && !run
                .normalised
                .contains(&std::env::temp_dir().display().to_string()),
        "a temporary path escaped normalisation:\n{}",
        run.normalised
    );
    assert_snapshot(snapshot, &run.normalised);
}

#[test]
fn org_markdown() {
    check_org("markdown", "org.md");
}

#[test]
fn org_text() {
    check_org("text", "org.txt");
}

#[test]
fn org_json() {
    let run = org("json");
    let report: serde_json::Value = serde_json::from_str(&run.normalised).unwrap();
    assert!(
        report["repositories"].as_array().unwrap().len() >= 5,
        "{report:#}"
    );
    check_org("json", "org.json");
}

#[test]
fn org_html() {
    let run = org("html");
    assert!(
        run.normalised.starts_with("<!DOCTYPE html>")
            || run.normalised.starts_with("<!doctype html>")
    );
    // The advisory summary carries markup; the page shows it as text.
    assert!(!run.normalised.contains("<script>alert(1)</script>"));
    check_org("html", "org.html");
}

fn review(format: &str) -> Output {
    let server = Served::start();
    crate::review::serve_tree(&server);
    server.add_record(json!({
        "id": "PYSEC-TEST-RTUTIL",
        "modified": "2026-01-01T00:00:00Z",
        "summary": "rtutil reads files it should not",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "rtutil"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.3"}]}]
        }]
    }));
    let directory = tempfile::tempdir().unwrap();
    let cache = directory.path().join("cache");
    let work = directory.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mut command = crate::review::review(&server, &cache, &work);
    command.args(["rtapp", "--format", format]);
    output(&mut command, &server, directory.path())
}

fn check_review(format: &str, snapshot: &str) {
    let run = review(format);
    // The advisory on the chosen rtutil 0.2 denies.
    assert_eq!(run.code, 1, "{}\nstderr: {}", run.normalised, run.stderr);
    assert!(
        run.normalised.contains("PYSEC-TEST-RTUTIL"),
        "{}",
        run.normalised
    );
    assert_snapshot(snapshot, &run.normalised);
}

#[test]
fn review_text() {
    check_review("text", "review.txt");
}

#[test]
fn review_json() {
    check_review("json", "review.json");
}

#[test]
fn review_markdown() {
    check_review("markdown", "review.md");
}
