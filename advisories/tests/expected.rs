//! The PyPA advisory database snapshot matched against the pins of the real and synthetic
//! fixtures must give exactly the PYSEC ids of their `expected/*.advisories.json` files (computed
//! by an independent implementation of the OSV rules on PEP 440 versions). The data is the
//! repository's test corpus (`tests/data/corpus`, see its README.md); the comparison over real
//! fixtures takes every fixture of `../shared` instead when it is beside the repository.

#[path = "../../tests/it/support/corpus.rs"]
mod corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use pyaudit_advisories::{Database, Version, normalize_package_name};
use serde_json::Value;

fn pypa() -> &'static Database {
    static DATABASE: OnceLock<Database> = OnceLock::new();
    DATABASE.get_or_init(|| {
        let database = Database::load(&corpus::pypa_dir()).unwrap();
        assert!(
            database.load_errors().is_empty(),
            "{:#?}",
            database.load_errors()
        );
        database
    })
}

/// `name==version` → PYSEC ids of the records that matched it.
fn found_ids(database: &Database, pin: &str) -> BTreeSet<String> {
    let (name, version) = pin.split_once("==").unwrap();
    let version = Version::from_str(version).unwrap();
    database
        .vulnerabilities_for(name, &version)
        .into_iter()
        .flat_map(|vulnerability| vulnerability.record_ids)
        .filter(|id| id.starts_with("PYSEC-"))
        .collect()
}

fn normalize_pin(pin: &str) -> String {
    let (name, version) = pin.split_once("==").unwrap();
    format!("{}=={}", normalize_package_name(name), version.trim())
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Compares every pin with the expected file; returns human-readable mismatches.
fn compare(
    label: &str,
    pins: &BTreeSet<String>,
    expected_file: &Value,
    database: &Database,
) -> (usize, Vec<String>) {
    let expected: BTreeMap<String, BTreeSet<String>> = expected_file["affected"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(pin, ids)| {
            let ids = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_owned())
                .collect();
            (normalize_pin(pin), ids)
        })
        .collect();
    let checked = expected_file["checked"].as_u64().unwrap() as usize;
    let mut mismatches = Vec::new();
    if pins.len() != checked {
        mismatches.push(format!(
            "{label}: {} pins but the expected file checked {checked}",
            pins.len()
        ));
    }
    for pin in expected.keys().filter(|pin| !pins.contains(*pin)) {
        mismatches.push(format!(
            "{label}: expected pin {pin} is not among the inputs"
        ));
    }
    let mut matched_pins = 0;
    for pin in pins {
        if !pin.contains("==") {
            matched_pins += 1;
            continue;
        }
        let found = found_ids(database, pin);
        let wanted = expected.get(pin).cloned().unwrap_or_default();
        if found == wanted {
            matched_pins += 1;
        } else {
            let missing: Vec<_> = wanted.difference(&found).collect();
            let extra: Vec<_> = found.difference(&wanted).collect();
            mismatches.push(format!(
                "{label}: {pin}: missing {missing:?}, extra {extra:?}"
            ));
        }
    }
    (matched_pins, mismatches)
}

#[test]
fn synthetic_advisory_pins_match_exactly() {
    let folder = corpus::path("fixtures/synthetic/advisory-pins");
    let pins: BTreeSet<String> = fs::read_to_string(folder.join("requirements.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(normalize_pin)
        .collect();
    let expected = read_json(&folder.join("expected/requirements.txt.advisories.json"));
    let (matched, mismatches) = compare("advisory-pins", &pins, &expected, pypa());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let affected = expected["affected"].as_object().unwrap().len();
    assert_eq!(matched, 400);
    assert_eq!(affected, 373);
    println!(
        "advisory-pins: {matched}/{} pins exact, {affected} affected",
        pins.len()
    );
}

/// The pins a real fixture's expected advisories were computed from: the lock's `all` set (or
/// `prod_with_extras` where `all` is null), or a requirements file's `==` pins.
fn fixture_pins(lock_expectation: &Value) -> BTreeSet<String> {
    if let Some(entries) = lock_expectation["entries"].as_array() {
        return entries
            .iter()
            .filter_map(|entry| {
                let name = entry["name"].as_str()?;
                let version = entry["specifier"].as_str()?.trim().strip_prefix("==")?;
                // `===` and wildcards are not pins.
                if version.starts_with('=') || version.contains([',', '*']) {
                    return None;
                }
                Some(normalize_pin(&format!("{name}=={version}")))
            })
            .collect();
    }
    let set = if lock_expectation["all"].is_array() {
        &lock_expectation["all"]
    } else {
        &lock_expectation["prod_with_extras"]
    };
    // Direct references (`name @ url`) are counted in `checked` but carry no version to match.
    set.as_array()
        .unwrap()
        .iter()
        .map(|pin| pin.as_str().unwrap())
        .map(|pin| {
            if pin.contains("==") {
                normalize_pin(pin)
            } else {
                pin.to_owned()
            }
        })
        .collect()
}

#[test]
fn real_fixtures_match_exactly() {
    let projects = corpus::real_projects();
    let least = if projects.everything { 30 } else { 27 };
    let mut files = Vec::new();
    for project in &projects.folders {
        let expected = project.join("expected");
        let Ok(entries) = fs::read_dir(&expected) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".advisories.json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= least,
        "found only {} expected files",
        files.len()
    );
    let mut all_mismatches = Vec::new();
    let (mut total_pins, mut total_matched, mut total_affected) = (0, 0, 0);
    for advisories_file in &files {
        let name = advisories_file.file_name().unwrap().to_string_lossy();
        let lock_file = advisories_file.with_file_name(name.replace(".advisories.json", ".json"));
        // `<project>/expected/<file>`
        let label = advisories_file
            .strip_prefix(advisories_file.ancestors().nth(3).unwrap())
            .unwrap()
            .display()
            .to_string();
        let pins = fixture_pins(&read_json(&lock_file));
        let expected = read_json(advisories_file);
        let (matched, mismatches) = compare(&label, &pins, &expected, pypa());
        total_pins += pins.len();
        total_matched += matched;
        total_affected += expected["affected"].as_object().unwrap().len();
        all_mismatches.extend(mismatches);
    }
    assert!(all_mismatches.is_empty(), "{}", all_mismatches.join("\n"));
    println!(
        "real fixtures: {} files, {total_matched}/{total_pins} pins exact, {total_affected} affected",
        files.len()
    );
}

#[test]
fn pypa_database_quirks_are_handled() {
    let database = pypa();
    let stats = database.stats();
    assert_eq!(stats.records, 2661);
    assert_eq!(stats.withdrawn, 10);
    assert_eq!(stats.load_errors, 0);
    // The record with only a `versions` list.
    let gratient = database.advisory("PYSEC-2024-1").unwrap();
    assert!(gratient.affected[0].ranges.is_empty());
    let findings = database.vulnerabilities_for("gratient", &Version::from_str("0.5").unwrap());
    assert_eq!(findings.len(), 1);
    assert!(
        database
            .vulnerabilities_for("gratient", &Version::from_str("0.6").unwrap())
            .is_empty()
    );
    // The withdrawn record without ranges or versions matches nothing.
    assert!(database.advisory("PYSEC-2022-15").unwrap().is_withdrawn());
    for warning in database.warnings() {
        println!("warning: {} {}", warning.0, warning.1);
    }
    println!("{stats:?}");
}

fn zip_directory(source: &Path, archive: &Path, flatten: bool) {
    let mut files = Vec::new();
    let mut stack = vec![source.to_owned()];
    while let Some(directory) = stack.pop() {
        for entry in fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json" || extension == "yaml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut writer = zip::ZipWriter::new(fs::File::create(archive).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for path in files {
        let name = if flatten {
            path.file_name().unwrap().to_string_lossy().into_owned()
        } else {
            path.strip_prefix(source)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        writer.start_file(name, options).unwrap();
        writer.write_all(&fs::read(&path).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn malicious_records_load_and_are_flagged_from_directory_and_zip() {
    let source = corpus::malicious_dir();
    let database = Database::load(&source).unwrap();
    assert!(
        database.load_errors().is_empty(),
        "{:?}",
        database.load_errors()
    );
    let stats = database.stats();
    assert_eq!(stats.records, 4);
    assert_eq!(stats.malicious, 4);
    for (package, version, id) in [
        ("3web-py", "1.0.0", "MAL-2024-9934"),
        ("0-8", "0.0.0.1", "MAL-2025-2925"),
        ("1337test", "1", "MAL-2024-4720"),
        // PEP 440 equality: the listed `1` is `1.0`.
        ("1337test", "1.0", "MAL-2024-4720"),
        ("0requests", "0.0.1", "MAL-2026-15859"),
    ] {
        let findings = database.vulnerabilities_for(package, &Version::from_str(version).unwrap());
        assert_eq!(findings.len(), 1, "{package}=={version}");
        assert_eq!(findings[0].id, id);
        assert!(findings[0].malicious);
    }
    assert!(
        database
            .vulnerabilities_for("0requests", &Version::from_str("0.0.2").unwrap())
            .is_empty()
    );

    // An OSV all.zip is a flat archive of `<ID>.json` records.
    let directory = tempfile::tempdir().unwrap();
    let archive = directory.path().join("all.zip");
    zip_directory(&source, &archive, true);
    let from_zip = Database::load(&archive).unwrap();
    assert_eq!(from_zip.advisories(), database.advisories());
    assert_eq!(from_zip.stats(), stats);
}

#[test]
fn pypa_zip_loads_identically_to_the_directory() {
    let directory = tempfile::tempdir().unwrap();
    let archive = directory.path().join("pypa.zip");
    zip_directory(&corpus::pypa_dir(), &archive, false);
    let from_zip = Database::load(&archive).unwrap();
    assert!(
        from_zip.load_errors().is_empty(),
        "{:?}",
        from_zip.load_errors()
    );
    assert_eq!(from_zip.advisories(), pypa().advisories());
    assert_eq!(from_zip.stats(), pypa().stats());
}

#[test]
fn bad_records_in_a_tree_are_collected_not_fatal() {
    let directory = tempfile::tempdir().unwrap();
    let records = directory.path().join("vulns/demo");
    fs::create_dir_all(&records).unwrap();
    fs::copy(
        corpus::pypa_dir().join("vulns/gratient/PYSEC-2024-1.yaml"),
        records.join("PYSEC-2024-1.yaml"),
    )
    .unwrap();
    fs::write(
        records.join("PYSEC-2099-1.yaml"),
        "id: PYSEC-2099-1\naffected: {oops\n",
    )
    .unwrap();
    fs::write(
        records.join("GHSA-bad.json"),
        "{\"id\": \"GHSA-bad\", \"aliases\": 7}",
    )
    .unwrap();
    let database = Database::load(directory.path()).unwrap();
    assert_eq!(database.stats().records, 1);
    let errors: Vec<String> = database
        .load_errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("GHSA-bad.json") && errors[0].contains("`GHSA-bad`"),
        "{errors:#?}"
    );
    assert!(errors[1].contains("PYSEC-2099-1.yaml"), "{errors:#?}");
}

#[test]
fn duplicate_pypa_records_sharing_aliases_merge_into_one_finding() {
    // PYSEC-2021-871 and PYSEC-2021-872 both name CVE-2021-42343 and GHSA-hwqr-f3v9-hwxr.
    let findings =
        pypa().vulnerabilities_for("distributed", &Version::from_str("2021.9.1").unwrap());
    let merged: Vec<_> = findings
        .iter()
        .filter(|finding| finding.ids.iter().any(|id| id == "CVE-2021-42343"))
        .collect();
    assert_eq!(merged.len(), 1, "{findings:#?}");
    let finding = merged[0];
    assert_eq!(finding.id, "PYSEC-2021-871");
    assert_eq!(finding.record_ids, ["PYSEC-2021-871", "PYSEC-2021-872"]);
    assert_eq!(
        finding.ids,
        [
            "CVE-2021-42343",
            "GHSA-hwqr-f3v9-hwxr",
            "GHSA-j8fq-86c5-5v2r",
            "PYSEC-2021-871",
            "PYSEC-2021-872"
        ]
    );
    assert_eq!(finding.fix_hint.as_ref().unwrap().to_string(), "2021.10.0");
}
