//! The SARIF 2.1.0, CycloneDX 1.6 and Markdown reports of `pyaudit lock`, built through the real
//! pipeline (readers, graph, plan, offline enrichment from the imported PyPA database, policy) and
//! validated against the published JSON schemas vendored in `tests/schemas` — resolved locally,
//! never fetched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crate::support::corpus;
use crate::support::schemas::{assert_valid, cyclonedx_validator, sarif_validator};
use pyaudit::enrich::{VulnerabilityData, VulnerabilitySettings, vulnerabilities};
use pyaudit::fetch::FetchSettings;
use pyaudit::graph::{Graph, GroupSelection};
use pyaudit::policy::{self, LockReport, PolicySettings};
use pyaudit::report::{cyclonedx, gitlab, markdown, sarif};
use pyaudit_cache::{Cache, OpenOptions, Timestamp};
use serde_json::Value;

/// Lockfiles by path relative to the crate root (the tests' working directory), so locations in
/// the reports are relative too, as they are when pyaudit runs in a repository.
const DEMO: &str = "tests/data/uv-project/uv.lock";

fn flask() -> String {
    corpus::relative_to_current_dir(&corpus::path("fixtures/real/pallets__flask/uv.lock"))
}

fn pins() -> String {
    corpus::relative_to_current_dir(&corpus::path(
        "fixtures/synthetic/advisory-pins/requirements.txt",
    ))
}

/// A cache directory holding the PyPA advisory database, imported once by the real binary.
fn database() -> &'static Path {
    static DIRECTORY: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIRECTORY
        .get_or_init(|| {
            let directory = tempfile::tempdir().unwrap();
            crate::support::command::pyaudit(directory.path())
                .args(["db", "import", "--complete"])
                .arg(corpus::pypa_dir())
                .assert()
                .success();
            directory
        })
        .path()
}

struct Audit {
    graphs: Vec<Graph>,
    reports: Vec<LockReport>,
    data: VulnerabilityData,
}

/// `pyaudit lock --offline` on `paths`, in process.
fn audit(paths: &[&str]) -> Audit {
    let graphs: Vec<Graph> = paths
        .iter()
        .map(|path| Graph::build(pyaudit::lockfile::read_lockfile(Path::new(path)).unwrap()))
        .collect();
    let plans: Vec<_> = graphs
        .iter()
        .map(|graph| policy::plan(graph, false, &GroupSelection::All))
        .collect();
    let targets: Vec<_> = plans
        .iter()
        .flat_map(|plan| plan.targets.iter().map(|(_, key)| key.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let cache = Cache::open(&OpenOptions::new(PathBuf::from(database())).read_only(true))
        .unwrap()
        .cache;
    let settings = VulnerabilitySettings {
        offline: true,
        fetch: FetchSettings::default(),
        extra_advisories: Vec::new(),
        complete_advisories: Vec::new(),
        // The PyPA snapshot is from 2024: these tests are about the formats, not data age.
        max_age: Duration::from_secs(10 * 365 * 86_400),
        fallback_max_age: Duration::from_secs(10 * 365 * 86_400),
        query_ttl: Duration::from_secs(86_400),
        progress: false,
        now: Timestamp::now(),
    };
    let data = vulnerabilities::collect(&targets, &cache, &settings).unwrap();
    let popular = policy::PopularNames::default();
    let reports = graphs
        .iter()
        .zip(&plans)
        .map(|(graph, plan)| {
            let enrichment = policy::Enrichment {
                vulnerabilities: &data,
                metadata: None,
                popular: &popular,
            };
            policy::evaluate(graph, plan, &enrichment, &PolicySettings::default())
        })
        .collect();
    Audit {
        graphs,
        reports,
        data,
    }
}

fn sarif_of(audit: &Audit) -> (String, Value) {
    let text = sarif::render_lock(&audit.reports, &audit.data);
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

fn cyclonedx_of(audit: &Audit, timestamp: Option<i64>) -> (String, Value) {
    let text = cyclonedx::render_lock(&audit.graphs, &audit.reports, &audit.data, None, timestamp);
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

#[test]
fn sarif_is_valid_deterministic_and_locates_the_finding() {
    let audit = audit(&[DEMO]);
    let (text, sarif) = sarif_of(&audit);
    assert_valid(sarif_validator(), &sarif, DEMO);
    assert_eq!(
        text,
        sarif_of(&audit).0,
        "rendering twice gives the same bytes"
    );

    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pyaudit");
    let rule_ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    let registry: Vec<&str> = pyaudit::findings::RULES
        .iter()
        .map(|rule| rule.code)
        .collect();
    assert_eq!(rule_ids, registry, "every rule is described, in code order");
    let vulnerability_index = rule_ids.iter().position(|id| *id == "PA101").unwrap();
    let vulnerability_rule = &driver["rules"][vulnerability_index];
    assert_eq!(vulnerability_rule["name"], "vulnerability");
    assert!(
        vulnerability_rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    assert!(
        vulnerability_rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("security"))
    );

    let results = run["results"].as_array().unwrap();
    let idna = results
        .iter()
        .find(|result| result["properties"]["package"] == "idna")
        .expect("idna 3.6 is affected by PYSEC-2024-60");
    assert_eq!(idna["ruleId"], "PA101");
    assert_eq!(idna["ruleIndex"], vulnerability_index);
    assert_eq!(idna["level"], "error");
    assert_eq!(idna["properties"]["version"], "3.6");
    assert!(
        idna["properties"]["ids"]
            .as_array()
            .unwrap()
            .contains(&Value::from("PYSEC-2024-60"))
    );
    let physical = &idna["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], DEMO);
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    // The `[[package]]` line that opens idna's entry.
    assert_eq!(physical["region"]["startLine"], 103);
    let message = idna["message"]["text"].as_str().unwrap();
    assert!(message.contains("idna==3.6"), "{message}");
    assert!(message.contains("PYSEC-2024-60"), "{message}");
    assert!(message.contains("Fix: upgrade `idna` to 3.7"), "{message}");
    let fingerprint = idna["partialFingerprints"][sarif::FINGERPRINT_KEY]
        .as_str()
        .unwrap();
    assert_eq!(fingerprint.len(), 32);
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .map(|result| {
            result["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fingerprints.len(), results.len(), "fingerprints are unique");
}

#[test]
fn sarif_fingerprints_are_stable_across_runs_and_lockfiles_validate() {
    let first = sarif_of(&audit(&[DEMO])).1;
    let second = sarif_of(&audit(&[DEMO])).1;
    let prints = |sarif: &Value| -> Vec<Value> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| result["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&first), prints(&second));

    let audit = audit(&[&flask(), &pins()]);
    let (_, sarif) = sarif_of(&audit);
    assert_valid(sarif_validator(), &sarif, "flask + pins");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let findings: usize = audit
        .reports
        .iter()
        .map(|report| report.findings.len())
        .sum();
    assert_eq!(results.len(), findings);
    assert!(results.iter().any(|result| {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == pins().as_str()
    }));
    // Every vulnerability rule with results carries the worst score GitHub ranks by, if any.
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        if let Some(score) = rule["properties"]["security-severity"].as_str() {
            let score: f64 = score.parse().unwrap();
            assert!((0.0..=10.0).contains(&score));
        }
    }
}

#[test]
fn cyclonedx_is_valid_deterministic_and_merges_vulnerabilities() {
    let audit = audit(&[DEMO]);
    let (text, bom) = cyclonedx_of(&audit, None);
    assert_valid(cyclonedx_validator(), &bom, DEMO);
    assert_eq!(
        text,
        cyclonedx_of(&audit, None).0,
        "rendering twice gives the same bytes"
    );
    assert!(bom["metadata"].get("timestamp").is_none());

    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let serial = bom["serialNumber"].as_str().unwrap();
    assert!(serial.starts_with("urn:uuid:"), "{serial}");
    assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "pyaudit");
    assert_eq!(bom["metadata"]["component"]["type"], "application");
    assert_eq!(bom["metadata"]["component"]["name"], "demo");

    let components = bom["components"].as_array().unwrap();
    let idna = components
        .iter()
        .find(|component| component["name"] == "idna")
        .unwrap();
    assert_eq!(idna["purl"], "pkg:pypi/idna@3.6");
    assert_eq!(idna["version"], "3.6");
    assert_eq!(idna["scope"], "required");
    assert_eq!(idna["bom-ref"], format!("{DEMO}#idna@3.6"));
    assert!(
        idna["properties"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "name": "pyaudit:class", "value": "prod" }))
    );
    assert!(idna.get("hashes").is_none(), "hash values are not known");

    // Every package has a dependency entry, and every reference names a component.
    let references: BTreeSet<&str> = components
        .iter()
        .chain(std::iter::once(&bom["metadata"]["component"]))
        .map(|component| component["bom-ref"].as_str().unwrap())
        .collect();
    let dependencies = bom["dependencies"].as_array().unwrap();
    assert_eq!(dependencies.len(), references.len());
    for dependency in dependencies {
        assert!(references.contains(dependency["ref"].as_str().unwrap()));
        for target in dependency["dependsOn"].as_array().unwrap() {
            assert!(references.contains(target.as_str().unwrap()), "{target}");
        }
    }

    let vulnerabilities = bom["vulnerabilities"].as_array().unwrap();
    let idna_vulnerability = vulnerabilities
        .iter()
        .find(|vulnerability| {
            vulnerability["id"] == "PYSEC-2024-60"
                || vulnerability["references"]
                    .as_array()
                    .is_some_and(|aliases| {
                        aliases.iter().any(|alias| alias["id"] == "PYSEC-2024-60")
                    })
        })
        .expect("PYSEC-2024-60 is reported");
    assert_eq!(
        idna_vulnerability["affects"],
        serde_json::json!([{
            "ref": format!("{DEMO}#idna@3.6"),
            "versions": [{ "version": "3.6", "status": "affected" }]
        }])
    );
    assert!(
        idna_vulnerability["recommendation"]
            .as_str()
            .unwrap()
            .contains("3.7")
    );
}

#[test]
fn cyclonedx_of_several_lockfiles_is_valid_with_one_entry_per_vulnerability() {
    let audit = audit(&[&flask(), &pins()]);
    let (_, bom) = cyclonedx_of(&audit, Some(1_764_095_000_000));
    assert_valid(cyclonedx_validator(), &bom, "flask + pins");
    assert_eq!(bom["metadata"]["timestamp"], "2025-11-25T18:23:20Z");
    // The timestamp does not enter the serial number: same content, same serial.
    assert_eq!(
        bom["serialNumber"],
        cyclonedx_of(&audit, None).1["serialNumber"]
    );

    let components = bom["components"].as_array().unwrap();
    let references: BTreeSet<&str> = components
        .iter()
        .map(|component| component["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(references.len(), components.len(), "bom-refs are unique");
    for component in components {
        if let Some(purl) = component["purl"].as_str() {
            let name = component["name"].as_str().unwrap();
            assert!(purl.starts_with(&format!("pkg:pypi/{name}@")), "{purl}");
        }
    }

    let vulnerabilities = bom["vulnerabilities"].as_array().unwrap();
    let ids: Vec<&str> = vulnerabilities
        .iter()
        .map(|vulnerability| vulnerability["id"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "one entry per vulnerability id");
    let findings: BTreeSet<String> = audit
        .reports
        .iter()
        .flat_map(|report| &report.findings)
        .filter_map(|finding| match &finding.evidence {
            pyaudit::findings::Evidence::Vulnerability { vulnerability } => {
                Some(vulnerability.id.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(unique, findings.iter().map(String::as_str).collect());
    for vulnerability in vulnerabilities {
        for affected in vulnerability["affects"].as_array().unwrap() {
            assert!(references.contains(affected["ref"].as_str().unwrap()));
        }
    }
}

#[test]
fn markdown_headline_table_row_and_details() {
    let audit = audit(&[DEMO]);
    let text = markdown::render_lock(&audit.reports, &audit.data);
    assert_eq!(text, markdown::render_lock(&audit.reports, &audit.data));
    assert_eq!(
        text.lines().next().unwrap(),
        "## ❌ pyaudit lock failed: 1 deny, 0 warn in 17 audited packages"
    );
    assert!(
        text.contains(
            "| Package | Version | Class | Finding | Severity | Fix |\n\
             |---|---|---|---|---|---|\n\
             | idna | 3.6 | prod | \
             [PYSEC-2024-60](https://osv.dev/vulnerability/PYSEC-2024-60), \
             [CVE-2024-3651](https://osv.dev/vulnerability/CVE-2024-3651) | HIGH 7.5 | \
             upgrade to 3.7: `uv lock --upgrade-package idna` |\n"
        ),
        "{text}"
    );
    assert!(text.trim_end().ends_with("</sub>"), "{text}");
    assert!(
        text.contains("<sub>Advisory data: local advisory database ")
            && text.contains("(complete copy; advisory data as of 2024-10-10, "),
        "{text}"
    );
}

#[test]
fn markdown_of_a_clean_lock_passes_and_folds_what_was_not_audited() {
    let audit = audit(&[DEMO]);
    let mut reports = audit.reports.clone();
    for report in &mut reports {
        report.findings.clear();
        report.not_audited.truncate(0);
    }
    let clean = markdown::render_lock(&reports, &audit.data);
    assert!(
        clean.starts_with("## ✅ pyaudit lock passed: 0 deny, 0 warn in "),
        "{clean}"
    );
    assert!(!clean.contains("| Package |"));

    let flask = self::audit(&[&flask()]);
    let text = markdown::render_lock(&flask.reports, &flask.data);
    let not_audited: usize = flask
        .reports
        .iter()
        .map(|report| report.not_audited.len())
        .sum();
    if not_audited > 0 {
        assert!(text.contains("not audited</summary>"), "{text}");
    }
}

#[test]
fn markdown_escapes_text_from_advisories_and_lockfiles() {
    let mut audit = audit(&[DEMO]);
    let finding = audit.reports[0]
        .findings
        .iter_mut()
        .find(|finding| finding.package.name == "idna")
        .unwrap();
    finding.package.name = "evil|name<script>".to_string();
    if let Some(fix) = &mut finding.fix {
        fix.command = Some("uv lock `rm -rf` | x".to_string());
    }
    let text = markdown::render_lock(&audit.reports, &audit.data);
    let row = text
        .lines()
        .find(|line| line.starts_with("| evil"))
        .unwrap();
    assert!(
        row.starts_with("| evil\\|name&lt;script&gt; | 3.6 |"),
        "{row}"
    );
    assert!(row.contains("`uv lock 'rm -rf' \\| x`"), "{row}");
    assert!(!text.contains("<script>"));
    assert_eq!(
        markdown::escape("[link](javascript:x) **bold** _it_ #1"),
        "\\[link\\]\\(javascript:x\\) \\*\\*bold\\*\\* \\_it\\_ \\#1"
    );
}

fn gitlab_of(audit: &Audit) -> Vec<Value> {
    let text = gitlab::render_lock(&audit.reports, &audit.data);
    assert_eq!(
        text,
        gitlab::render_lock(&audit.reports, &audit.data),
        "deterministic"
    );
    let json: Value = serde_json::from_str(&text).unwrap();
    let issues = json.as_array().expect("a JSON array of issues").clone();
    // What GitLab requires of every Code Quality issue, and the values it accepts.
    for issue in &issues {
        for field in ["description", "check_name", "fingerprint", "severity"] {
            let value = issue[field].as_str().unwrap_or_default();
            assert!(!value.is_empty(), "{field} in {issue}");
        }
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(
            !path.starts_with('/') && !path.starts_with("./") && !path.contains('\\'),
            "{path}"
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        let categories = issue["categories"].as_array().unwrap();
        assert_eq!(categories.len(), 1, "{issue}");
        assert!(
            ["Security", "Bug Risk", "Compatibility"].contains(&categories[0].as_str().unwrap()),
            "{issue}"
        );
    }
    let fingerprints: BTreeSet<&str> = issues
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    issues
}

#[test]
fn gitlab_code_quality_locates_the_finding_at_its_lockfile_line() {
    let demo = audit(&[DEMO]);
    let issues = gitlab_of(&demo);
    assert_eq!(issues.len(), 2, "{issues:?}");
    let issue = &issues[0];
    assert_eq!(issue["check_name"], "PA101");
    assert_eq!(issue["location"]["path"], DEMO);
    let location = demo.reports[0].findings[0]
        .package
        .location
        .clone()
        .unwrap();
    assert_eq!(issue["location"]["lines"]["begin"], location.line);
    let description = issue["description"].as_str().unwrap();
    assert!(description.contains("PYSEC-2024-60"), "{description}");
    assert!(description.contains("CVE-2024-3651"), "{description}");
    assert!(description.contains("3.7 or later"), "{description}");
    // The record rates it CVSS 7.5: high, which GitLab calls major.
    assert_eq!(issue["severity"], "major");
    let body = issue["content"]["body"].as_str().unwrap();
    assert!(
        body.contains("demo==0.1.0 → httpx==0.27.0 → idna==3.6"),
        "{body}"
    );
    assert!(body.contains("uv lock --upgrade-package idna"), "{body}");

    // The same fingerprint on the next run, and the SARIF one: one identity across formats.
    assert_eq!(
        gitlab_of(&audit(&[DEMO]))[0]["fingerprint"],
        issue["fingerprint"]
    );
    let (_, sarif) = sarif_of(&demo);
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"][sarif::FINGERPRINT_KEY],
        issue["fingerprint"]
    );
}

#[test]
fn gitlab_code_quality_of_several_lockfiles_has_one_issue_per_finding() {
    let several = audit(&[&flask(), &pins()]);
    let issues = gitlab_of(&several);
    let findings: usize = several
        .reports
        .iter()
        .map(|report| report.findings.len())
        .sum();
    assert!(findings > 1, "the fixtures have findings");
    // One issue per finding, and one that names the advisory data and its age.
    assert_eq!(issues.len(), findings + 1);
    let data_issue = issues
        .iter()
        .find(|issue| issue["check_name"] == "pyaudit-data-sources")
        .expect("the data sources are named");
    assert_eq!(data_issue["severity"], "info");
    let description = data_issue["description"].as_str().unwrap();
    assert!(
        description.contains("complete copy; advisory data as of 2024-"),
        "{description}"
    );
    assert!(
        issues
            .iter()
            .any(|issue| issue["location"]["path"] == pins().as_str())
    );
    // A lockfile given twice still yields distinct fingerprints.
    assert_eq!(gitlab_of(&audit(&[DEMO, DEMO])).len(), 3);
}

#[test]
fn gitlab_code_quality_of_a_clean_lock_is_an_empty_array() {
    let mut audit = audit(&[DEMO]);
    for report in &mut audit.reports {
        report.findings.clear();
    }
    // Nothing but the note that names the data the clean verdict rests on.
    let issues: Vec<Value> =
        serde_json::from_str(&gitlab::render_lock(&audit.reports, &audit.data)).unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0]["check_name"], "pyaudit-data-sources");
    let no_data = pyaudit::enrich::VulnerabilityData::default();
    assert_eq!(gitlab::render_lock(&audit.reports, &no_data), "[]\n");
}
