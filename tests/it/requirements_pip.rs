//! The requirements reader against pip's own `parse_requirements` (pip 23.2.1), over every real
//! requirements file in `../shared/fixtures/real` that has an `expected/*.json` (all of them are
//! in the in-repo corpus, `tests/data/corpus`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{MarkerTree, PackageName, VerbatimUrl};
use pyaudit::lockfile::requirements::{ParseOptions, RequirementEntry, parse_file};
use serde_json::Value;

use crate::support::corpus;

fn fixtures() -> PathBuf {
    corpus::real_fixtures()
}

/// Every `(project directory, expected json)` whose format is `requirements`.
fn expected_files() -> Vec<(PathBuf, PathBuf)> {
    let mut found = Vec::new();
    let Ok(projects) = std::fs::read_dir(fixtures()) else {
        return found;
    };
    for project in projects.flatten() {
        let Ok(expected) = std::fs::read_dir(project.path().join("expected")) else {
            continue;
        };
        for file in expected.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.ends_with(".advisories.json") {
                found.push((project.path(), file.path()));
            }
        }
    }
    found.sort();
    found
}

/// pip's `str(SpecifierSet)` sorts its clauses; compare parsed clause sets instead of text so
/// that `>=0.8.0,<1.0.0` and `<1.0.0,>=0.8.0` agree and version spellings are normalized the
/// same way on both sides.
fn specifier_set(text: &str) -> BTreeSet<String> {
    if text.is_empty() {
        return BTreeSet::new();
    }
    match pep440_rs::VersionSpecifiers::from_str(text) {
        Ok(specifiers) => specifiers.iter().map(ToString::to_string).collect(),
        // `===string` is not PEP 440; compare it verbatim.
        Err(_) => text
            .split(',')
            .map(|part| part.trim().to_string())
            .collect(),
    }
}

/// pip prints markers normalized (`python_version < "3.15"`) while the file may say
/// `python_version<'3.15'`. Parsing both with pep508_rs gives canonical decision diagrams, so
/// equality means "the same condition", independent of quoting, spacing and clause order.
fn marker(text: Option<&str>) -> Option<MarkerTree> {
    text.map(|text| {
        MarkerTree::parse_str::<VerbatimUrl>(text)
            .unwrap_or_else(|error| panic!("unparsable marker {text:?}: {}", error.message))
    })
}

fn compare(context: &str, ours: &RequirementEntry, top_directory: &Path, pip: &Value) {
    // `from` is `"<file relative to the top file's dir> (line N)"`.
    let from = pip["from"].as_str().unwrap();
    let ours_from = format!(
        "{} (line {})",
        ours.location
            .path
            .strip_prefix(top_directory)
            .unwrap_or(&ours.location.path)
            .display(),
        ours.location.line
    );
    assert_eq!(ours_from, from, "{context}: origin");
    assert_eq!(
        ours.editable,
        pip["editable"].as_bool().unwrap(),
        "{context}: editable"
    );
    assert_eq!(
        ours.constraint,
        pip["constraint"].as_bool().unwrap(),
        "{context}: constraint"
    );
    assert_eq!(
        ours.hashes.len() as u64,
        pip["hashes"].as_u64().unwrap(),
        "{context}: hash count"
    );
    // The oracle runs `packaging.Requirement` on the text; `name: null` (with no other fields)
    // means the text is a bare URL, path or editable that names no package in PEP 508 terms.
    let Some(pip_name) = pip["name"].as_str() else {
        assert!(
            !ours.is_named_requirement,
            "{context}: pip names nothing, we read a PEP 508 requirement"
        );
        return;
    };
    assert!(
        ours.is_named_requirement,
        "{context}: pip reads a PEP 508 requirement"
    );
    // The oracle prints names normalized (`typing_extensions` → `typing-extensions`).
    let pip_name = PackageName::from_str(pip_name).unwrap();
    assert_eq!(ours.name.as_ref(), Some(&pip_name), "{context}: name");
    assert_eq!(
        specifier_set(ours.specifier.as_deref().unwrap_or_default()),
        specifier_set(pip["specifier"].as_str().unwrap()),
        "{context}: specifier"
    );
    let pip_extras: BTreeSet<String> = pip["extras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|extra| pyaudit::lockfile::normalize_extra(extra.as_str().unwrap()))
        .collect();
    let our_extras: BTreeSet<String> = ours.extras.iter().cloned().collect();
    assert_eq!(our_extras, pip_extras, "{context}: extras");
    assert_eq!(
        marker(ours.marker.as_deref()),
        marker(pip["marker"].as_str()),
        "{context}: marker"
    );
    assert_eq!(ours.url.as_deref(), pip["url"].as_str(), "{context}: url");
}

#[test]
fn every_entry_matches_pip() {
    let cases = expected_files();
    let mut compared_files = 0;
    let mut compared_entries = 0;
    for (project, expected_path) in cases {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        if expected["format"] != "requirements" {
            continue;
        }
        let lockfile = project.join(expected["lockfile"].as_str().unwrap());
        let top_directory = lockfile.parent().unwrap().to_path_buf();
        let parsed = parse_file(&lockfile, &ParseOptions::default())
            .unwrap_or_else(|error| panic!("{}: {error}", lockfile.display()));
        let ours: Vec<&RequirementEntry> = parsed.entries().collect();
        let pip = expected["entries"].as_array().unwrap();
        let context = lockfile.display().to_string();
        assert_eq!(ours.len(), pip.len(), "{context}: number of entries");
        for (index, (ours, pip)) in ours.iter().zip(pip).enumerate() {
            compare(
                &format!("{context} entry {index} ({})", pip["requirement"]),
                ours,
                &top_directory,
                pip,
            );
        }
        compared_files += 1;
        compared_entries += pip.len();
    }
    eprintln!("compared {compared_entries} entries of {compared_files} files with pip");
    assert!(
        compared_files >= 18,
        "only {compared_files} expected files found"
    );
}

/// Real requirements files without an expected file (pip could not read them, e.g. an include
/// naming a missing file) must fail with the include's file and line, or parse.
#[test]
fn real_files_without_expectations_read_or_fail_with_a_location() {
    let mut checked = 0;
    let Ok(projects) = std::fs::read_dir(fixtures()) else {
        return;
    };
    for project in projects.flatten() {
        let mut stack = vec![project.path()];
        while let Some(directory) = stack.pop() {
            let Ok(children) = std::fs::read_dir(&directory) else {
                continue;
            };
            for child in children.flatten() {
                let path = child.path();
                if path.is_dir() {
                    if child.file_name() != "expected" {
                        stack.push(path);
                    }
                    continue;
                }
                let name = child.file_name().to_string_lossy().into_owned();
                if !(name.ends_with(".txt") || name.ends_with(".in")) {
                    continue;
                }
                checked += 1;
                match parse_file(&path, &ParseOptions::default()) {
                    Ok(_) => {}
                    Err(error) => {
                        let message = error.to_string();
                        // `path:line: …` — the error names a file and a line.
                        let has_location = message
                            .split(':')
                            .nth(1)
                            .is_some_and(|line| line.trim().parse::<usize>().is_ok());
                        assert!(has_location, "{}: {message}", path.display());
                        eprintln!("{}: {message}", path.display());
                    }
                }
            }
        }
    }
    assert!(checked > 0);
}
