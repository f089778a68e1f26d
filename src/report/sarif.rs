//! SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format, the format GitHub code
//! scanning ingests): one run of the `pyaudit` driver, every rule of [`RULES`] as a reporting
//! descriptor, one result per finding located at the package's entry in its lockfile.
//!
//! GitHub reads `properties.security-severity` of a rule (a CVSS-like score as a string) to rank
//! alerts, and keeps an alert the same across runs through `partialFingerprints`; both are filled
//! here. Output is deterministic: findings come sorted from the policy and no clock is read.

use serde_json::{Value, json};

use super::osv_url;
use crate::enrich::VulnerabilityData;
use crate::findings::{
    Evidence, Finding, Level, MALICIOUS_PACKAGE, RULES, Rule, UNCHECKED_PACKAGE, VULNERABILITY,
};
use crate::policy::LockReport;
use pyaudit_advisories::{Rating, Severity};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `partialFingerprints` key. Its value hashes rule, lockfile, package and vulnerability id —
/// not the version, so an alert survives a bump to another still-affected version.
pub const FINGERPRINT_KEY: &str = "pyaudit/v1";

/// The score GitHub shows for a malicious package: worse than any CVSS-scored vulnerability.
const MALICIOUS_SCORE: f64 = 10.0;

/// `pyaudit lock --format sarif`.
pub fn render_lock(reports: &[LockReport], data: &VulnerabilityData) -> String {
    let findings: Vec<(&LockReport, &Finding)> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(move |finding| (report, finding)))
        .collect();
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| descriptor(rule, &findings))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|(report, finding)| result(report, finding))
        .collect();

    let mut driver = json!({
        "name": "pyaudit",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(uri) = information_uri() {
        driver["informationUri"] = json!(uri);
    }
    let sources: Vec<Value> = data
        .sources
        .iter()
        .map(|source| {
            json!({
                "kind": source.kind,
                "location": source.location,
                "asOf": source.as_of.map(super::rfc3339_from_unix_millis),
                "entries": source.entries,
            })
        })
        .collect();
    let document = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "originalUriBaseIds": {
                "%SRCROOT%": {
                    "description": {
                        "text": "The directory pyaudit ran in; lockfile paths are relative to it."
                    }
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "sources": sources,
                "oldestData": data.oldest_data.map(super::rfc3339_from_unix_millis),
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// The project's web page from Cargo metadata; omitted rather than invented while there is none.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

fn descriptor(rule: &Rule, findings: &[(&LockReport, &Finding)]) -> Value {
    let mut properties = json!({ "tags": tags(rule) });
    // The worst score among this rule's results: GitHub ranks every alert of the rule by it.
    let worst = findings
        .iter()
        .filter(|(_, finding)| finding.code == rule.code)
        .filter_map(|(_, finding)| security_severity(finding))
        .max_by(f64::total_cmp);
    if let Some(score) = worst {
        properties["security-severity"] = json!(format!("{score:.1}"));
    }
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": first_section(rule.docs) },
        "help": { "text": plain_docs(rule.docs), "markdown": rule.docs },
        "defaultConfiguration": { "level": level(rule.default_level) },
        "properties": properties,
    })
}

fn tags(rule: &Rule) -> Vec<&'static str> {
    match rule.code {
        code if code == VULNERABILITY.code => vec!["security", "vulnerability", "dependency"],
        code if code == MALICIOUS_PACKAGE.code => vec!["security", "malicious", "dependency"],
        code if code == UNCHECKED_PACKAGE.code => vec!["security", "audit", "dependency"],
        _ => vec!["security", "dependency"],
    }
}

/// The text under the first heading of a rule's docs ("What it does").
fn first_section(docs: &str) -> String {
    docs.split("\n\n")
        .next()
        .unwrap_or(docs)
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The docs without Markdown headings markers, for viewers that show `help.text` only.
fn plain_docs(docs: &str) -> String {
    docs.lines()
        .map(|line| line.trim_start_matches("## "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

/// A CVSS-like score for GitHub's severity buckets; a rating without a score gets the middle of
/// its CVSS v3.1 band so it still sorts with its peers.
fn security_severity(finding: &Finding) -> Option<f64> {
    let Evidence::Vulnerability { vulnerability } = &finding.evidence else {
        return None;
    };
    if vulnerability.malicious {
        return Some(MALICIOUS_SCORE);
    }
    let severity: &Severity = vulnerability.severity.as_ref()?;
    Some(severity.score.unwrap_or(match severity.rating {
        Rating::None => 0.0,
        Rating::Low => 2.0,
        Rating::Medium => 5.5,
        Rating::High => 8.0,
        Rating::Critical => 9.5,
    }))
}

fn result(report: &LockReport, finding: &Finding) -> Value {
    let package = &finding.package;
    let rule_index = RULES.iter().position(|rule| rule.code == finding.code);
    let (path, line) = match &package.location {
        Some(location) => (location.path.display().to_string(), Some(location)),
        None => (report.path.clone(), None),
    };
    let mut physical = json!({ "artifactLocation": artifact_location(&path) });
    if let Some(location) = line {
        let mut region = json!({ "startLine": location.line.max(1) });
        if let Some(column) = location.column {
            region["startColumn"] = json!(column.max(1));
        }
        physical["region"] = region;
    }
    let fingerprint = super::finding_fingerprint(&report.path, finding);

    let mut properties = json!({
        "package": package.name,
        "class": package.class.as_str(),
        "direct": package.direct,
    });
    if let Some(version) = &package.version {
        properties["version"] = json!(version);
    }
    if let Evidence::Vulnerability { vulnerability } = &finding.evidence {
        properties["ids"] = json!(vulnerability.ids);
        if let Some(severity) = &vulnerability.severity {
            properties["severity"] = json!(severity.rating.as_str());
            properties["vector"] = json!(severity.vector);
        }
    }
    if let Some(score) = security_severity(finding) {
        properties["security-severity"] = json!(format!("{score:.1}"));
    }
    if let Some(evidence) = finding.evidence.describe() {
        properties["evidence"] = json!(evidence);
    }

    let mut result = json!({
        "ruleId": finding.code,
        "level": level(finding.level),
        "message": { "text": message(finding) },
        "locations": [{ "physicalLocation": physical }],
        "partialFingerprints": { FINGERPRINT_KEY: format!("{fingerprint:032x}") },
        "properties": properties,
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Evidence::Vulnerability { vulnerability } = &finding.evidence {
        result["properties"]["advisory"] = json!(osv_url(&vulnerability.id));
    }
    result
}

/// One self-contained sentence set: what, which ids, how it got in, how to fix.
fn message(finding: &Finding) -> String {
    let package = &finding.package;
    let mut text = finding.message.trim_end_matches('.').to_string();
    text.push('.');
    if package.path.len() > 1 {
        text.push_str(&format!(" Path: {}.", package.path.join(" → ")));
    } else if package.direct {
        text.push_str(" A direct dependency.");
    }
    if let Some(fix) = &finding.fix {
        text.push_str(&format!(" Fix: {}", fix.description));
        if let Some(command) = &fix.command {
            text.push_str(&format!(" (`{command}`)"));
        }
        text.push('.');
    }
    text
}

/// A lockfile path as a SARIF artifact location: relative paths stay relative to `%SRCROOT%`
/// (GitHub maps that to the repository root), absolute ones become `file://` URIs.
fn artifact_location(path: &str) -> Value {
    let forward = path.replace('\\', "/");
    let absolute = forward.starts_with('/')
        || forward
            .as_bytes()
            .get(1..3)
            .is_some_and(|bytes| bytes == b":/");
    if absolute {
        let prefix = if forward.starts_with('/') {
            "file://"
        } else {
            "file:///"
        };
        return json!({ "uri": format!("{prefix}{}", percent_encode_path(&forward)) });
    }
    let relative = forward.trim_start_matches("./");
    json!({ "uri": percent_encode_path(relative), "uriBaseId": "%SRCROOT%" })
}

/// Percent-encodes what may not appear in a URI path (RFC 3986 `pchar` plus `/`).
fn percent_encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let allowed = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if allowed {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_relative_uris_unless_absolute() {
        assert_eq!(
            artifact_location("./requirements/dev file.txt"),
            json!({ "uri": "requirements/dev%20file.txt", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("/tmp/project/uv.lock"),
            json!({ "uri": "file:///tmp/project/uv.lock" })
        );
        assert_eq!(
            artifact_location("C:\\work\\uv.lock"),
            json!({ "uri": "file:///C:/work/uv.lock" })
        );
    }

    #[test]
    fn full_description_is_the_first_section() {
        assert!(first_section(VULNERABILITY.docs).starts_with("Reports a locked package"));
        assert!(!plain_docs(VULNERABILITY.docs).contains("## "));
    }
}
