//! Snapshots of every `pyaudit lock` format (text, json, sarif, cyclonedx, markdown, gitlab) for
//! one real lockfile, through the whole pipeline.
//!
//! The lockfile is `Textualize__rich/poetry.lock` (63 packages; PYSEC records affect black 22.12.0,
//! ipython 7.34.0 and tornado 6.2), audited by the binary against the loopback server answering
//! OSV from the PyPA advisory database (with OSV's matching rules) and PyPI from the recorded
//! answers of the corpus's `pypi/`: attrs, click, pyyaml and six get their recorded answers, every
//! other project the server's 404 — real answers only, nothing invented for the snapshot. The 59
//! "metadata unavailable" findings (PA004) this gives are allowed (`--allow unchecked-metadata`),
//! so the snapshots show the vulnerabilities, the metadata findings of the recorded projects and
//! the grouped 404 warning rather than 59 copies of one finding; PA004 itself is covered by
//! `tests/rules.rs`. The clock is pinned (`PYAUDIT_NOW`), the cache is a fresh temporary directory
//! per format, and the config is an empty file (so nothing around the fixture is picked up).
//!
//! Volatile parts are normalised before comparing: the server's address → `[SERVER]`, temporary
//! paths → `[TMP]`, pyaudit's version → `[VERSION]`, the data's age in the text report (`as of
//! … ago`) → `[AGE]`, and the CycloneDX `serialNumber` (a hash of the content, which contains
//! the server address) → `[SERIAL]`. Dates and timestamps come from the pinned clock and stay.
//!
//! A difference fails the test with the first differing lines; `UPDATE_SNAPSHOTS=1 cargo test
//! --test it snapshots` rewrites `tests/snapshots/`. SARIF and CycloneDX are also validated against
//! the vendored schemas (`tests/schemas`), before normalisation.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::corpus;
use crate::support::scenario::pyaudit;
use crate::support::schemas::{assert_valid, cyclonedx_validator, sarif_validator};
use crate::support::server::Served;
use serde_json::Value;

/// Relative to the working directory, so report paths are stable. The binary runs beside the
/// extracted corpus (`corpus::beside`), where this names the corpus's copy by the same relative
/// path the snapshots were recorded with (the fixture came from `../shared`).
const LOCKFILE: &str = "../shared/fixtures/real/Textualize__rich/poetry.lock";
/// The day after the PyPI answers were recorded.
const NOW: &str = "2026-11-26";

/// One server for every format: OSV from the PyPA database, PyPI from the recorded answers.
fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(Served::pypa)
}

/// One run of `pyaudit lock --format FORMAT` on the fixture.
struct Rendered {
    code: i32,
    /// Stdout as written.
    raw: String,
    /// Stdout with the volatile parts replaced.
    normalised: String,
    stderr: String,
}

impl Rendered {
    /// Asserts that deny-level findings made the run exit 1.
    fn denied(&self) -> &Self {
        assert_eq!(self.code, 1, "{}\nstderr: {}", self.normalised, self.stderr);
        self
    }
}

fn render(format: &str) -> Rendered {
    let served = served();
    let directory = tempfile::tempdir().unwrap();
    let cache = directory.path().join("cache");
    let config = directory.path().join("pyaudit.toml");
    std::fs::write(&config, "").unwrap();
    let url = served.server.url();
    let output = pyaudit(&cache)
        .env("PYAUDIT_NOW", NOW)
        .args([
            "lock",
            "--format",
            format,
            "--osv-url",
            &url,
            "--pypi-url",
            &url,
        ])
        .args(["--allow", "unchecked-metadata", "--config"])
        .arg(&config)
        .arg(LOCKFILE)
        .current_dir(corpus::beside())
        .output()
        .unwrap();
    let raw = String::from_utf8(output.stdout).unwrap();
    Rendered {
        code: output.status.code().unwrap(),
        normalised: normalise(&raw, &url, directory.path()),
        raw,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub(crate) fn normalise(text: &str, server: &str, temporary: &Path) -> String {
    let mut text = text.replace(server, "[SERVER]");
    // The temporary directory, with and without symlinks resolved (macOS's /var → /private/var).
    let mut temporaries = vec![temporary.display().to_string()];
    if let Ok(resolved) = temporary.canonicalize() {
        temporaries.push(resolved.display().to_string());
    }
    for path in temporaries {
        text = text.replace(&path, "[TMP]");
    }
    text = text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[VERSION]\"",
    );
    text = text.replace(
        &format!("pyaudit {}", env!("CARGO_PKG_VERSION")),
        "pyaudit [VERSION]",
    );
    normalise_ages(&text)
}

/// `(as of 0 s ago)` → `(as of [AGE] ago)`: how old the data is when the report is written. The
/// clock is pinned, so the age is 0 today; the dates themselves (`as_of`, the CycloneDX
/// timestamp) come from the pinned clock and are kept.
fn normalise_ages(text: &str) -> String {
    const OPEN: &str = "(as of ";
    const CLOSE: &str = " ago)";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        match after
            .find(CLOSE)
            .filter(|&end| !after[..end].contains(['(', ')', '\n']))
        {
            Some(end) => {
                out.push_str(&rest[..start]);
                out.push_str(OPEN);
                out.push_str("[AGE]");
                rest = &after[end..];
            }
            None => {
                out.push_str(&rest[..start + OPEN.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// Compares `actual` with the stored snapshot; `UPDATE_SNAPSHOTS=1` writes it instead.
pub(crate) fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run `UPDATE_SNAPSHOTS=1 cargo test --test it snapshots` and review it",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    panic!(
        "{name} differs from {}:\n{}\nIf the change is intended, run `UPDATE_SNAPSHOTS=1 cargo \
         test --test it snapshots` and review the diff of tests/snapshots/.",
        path.display(),
        diff_hint(&expected, actual)
    );
}

/// The first differing line with three lines of context, and the line counts.
fn diff_hint(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let first = old
        .iter()
        .zip(&new)
        .position(|(left, right)| left != right)
        .unwrap_or(old.len().min(new.len()));
    let start = first.saturating_sub(3);
    let mut hint = format!(
        "snapshot: {} lines, actual: {} lines; first difference at line {}\n",
        old.len(),
        new.len(),
        first + 1
    );
    for (index, line) in old.iter().enumerate().take(first + 4).skip(start) {
        let marker = if index < first { ' ' } else { '-' };
        hint.push_str(&format!("{marker}{:>5} {line}\n", index + 1));
    }
    for (index, line) in new.iter().enumerate().take(first + 4).skip(first) {
        hint.push_str(&format!("+{:>5} {line}\n", index + 1));
    }
    hint
}

#[test]
fn text() {
    let run = render("text");
    run.denied();
    assert_snapshot("rich-poetry.txt", &run.normalised);
}

#[test]
fn json() {
    let run = render("json");
    run.denied();
    let report: Value = serde_json::from_str(&run.raw).unwrap();
    assert_eq!(
        report["summary"]["vulnerabilities"], 3,
        "{}",
        run.normalised
    );
    assert_snapshot("rich-poetry.json", &run.normalised);
}

#[test]
fn sarif() {
    let run = render("sarif");
    run.denied();
    assert_valid(
        sarif_validator(),
        &serde_json::from_str(&run.raw).unwrap(),
        "SARIF of rich's poetry.lock",
    );
    assert_snapshot("rich-poetry.sarif", &run.normalised);
}

#[test]
fn cyclonedx() {
    let run = render("cyclonedx");
    run.denied();
    let bom: Value = serde_json::from_str(&run.raw).unwrap();
    assert_valid(
        cyclonedx_validator(),
        &bom,
        "CycloneDX of rich's poetry.lock",
    );
    let serial = bom["serialNumber"].as_str().unwrap();
    assert!(serial.starts_with("urn:uuid:"), "{serial}");
    assert_snapshot(
        "rich-poetry.cdx.json",
        &run.normalised.replace(serial, "[SERIAL]"),
    );
}

#[test]
fn markdown() {
    let run = render("markdown");
    run.denied();
    assert_snapshot("rich-poetry.md", &run.normalised);
}

#[test]
fn gitlab() {
    let run = render("gitlab");
    run.denied();
    let issues: Value = serde_json::from_str(&run.raw).unwrap();
    assert!(issues.as_array().is_some_and(|issues| !issues.is_empty()));
    assert_snapshot("rich-poetry.gitlab.json", &run.normalised);
}
