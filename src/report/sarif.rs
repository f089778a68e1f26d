//! SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format, the format GitHub code
//! scanning ingests): one run of the `pyaudit` driver, every rule of [`RULES`] as a reporting
//! descriptor, one result per finding located at the package's entry in its lockfile.
//!
//! GitHub reads `properties.security-severity` of a rule (a CVSS-like score as a string) to rank
//! alerts, and keeps an alert the same across runs through `partialFingerprints`; both are filled
//! here. Output is deterministic: findings come sorted from the policy and no clock is read.

use serde::Serialize;

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
    let document = Document {
        schema: SARIF_SCHEMA,
        runs: [Run {
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: BaseIds {
                source_root: BaseId {
                    description: Text {
                        text: "The directory pyaudit ran in; lockfile paths are relative to it.",
                    },
                },
            },
            properties: RunProperties {
                oldest_data: data.oldest_data.map(super::rfc3339_from_unix_millis),
                sources: data
                    .sources
                    .iter()
                    .map(|source| SourceProperties {
                        as_of: source.as_of.map(super::rfc3339_from_unix_millis),
                        coverage: source.coverage,
                        description: super::describe_source(source, data.audited_at),
                        entries: source.entries,
                        kind: &source.kind,
                        location: &source.location,
                    })
                    .collect(),
            },
            results: findings
                .iter()
                .map(|(report, finding)| result(report, finding))
                .collect(),
            tool: Tool {
                driver: Driver {
                    information_uri: information_uri(),
                    name: "pyaudit",
                    rules: RULES
                        .iter()
                        .map(|rule| descriptor(rule, &findings))
                        .collect(),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

// The document as typed structs rather than a `serde_json::Value` tree: building, printing and
// freeing a tree of maps cost more than the rest of a warm SARIF run's rendering. Fields are
// declared in the alphabetical order a `Value` map printed them in, so the output did not change.

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    original_uri_base_ids: BaseIds,
    properties: RunProperties<'a>,
    results: Vec<SarifResult<'a>>,
    tool: Tool<'a>,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    source_root: BaseId,
}

#[derive(Serialize)]
struct BaseId {
    description: Text<&'static str>,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    oldest_data: Option<String>,
    sources: Vec<SourceProperties<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceProperties<'a> {
    as_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<crate::enrich::SourceCoverage>,
    description: String,
    entries: usize,
    kind: &'a str,
    location: &'a str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    name: &'static str,
    rules: Vec<Descriptor<'a>>,
    semantic_version: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    default_configuration: DefaultConfiguration,
    full_description: Text<String>,
    help: Help<'a>,
    id: &'a str,
    name: &'a str,
    properties: DescriptorProperties,
    short_description: Text<&'a str>,
}

#[derive(Serialize)]
struct DefaultConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct Help<'a> {
    markdown: &'a str,
    text: String,
}

#[derive(Serialize)]
struct DescriptorProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [ResultLocation; 1],
    message: Text<String>,
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    start_line: usize,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "pyaudit/v1")]
    pyaudit_v1: String,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    advisory: Option<String>,
    class: &'static str,
    direct: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ids: Option<&'a [String]>,
    package: &'a str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

/// The project's web page from Cargo metadata; omitted rather than invented while there is none.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

fn descriptor<'a>(rule: &'a Rule, findings: &[(&LockReport, &Finding)]) -> Descriptor<'a> {
    // The worst score among this rule's results: GitHub ranks every alert of the rule by it.
    let worst = findings
        .iter()
        .filter(|(_, finding)| finding.code == rule.code)
        .filter_map(|(_, finding)| security_severity(finding))
        .max_by(f64::total_cmp);
    Descriptor {
        default_configuration: DefaultConfiguration {
            level: level(rule.default_level),
        },
        full_description: Text {
            text: first_section(rule.docs),
        },
        help: Help {
            markdown: rule.docs,
            text: plain_docs(rule.docs),
        },
        id: rule.code,
        name: rule.name,
        properties: DescriptorProperties {
            security_severity: worst.map(|score| format!("{score:.1}")),
            tags: tags(rule),
        },
        short_description: Text { text: rule.summary },
    }
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

fn result<'a>(report: &LockReport, finding: &'a Finding) -> SarifResult<'a> {
    let package = &finding.package;
    let (path, region) = match &package.location {
        Some(location) => (
            location.path.display().to_string(),
            Some(Region {
                start_column: location.column.map(|column| column.max(1)),
                start_line: location.line.max(1),
            }),
        ),
        None => (report.path.clone(), None),
    };
    let fingerprint = super::finding_fingerprint(&report.path, finding);
    let vulnerability = match &finding.evidence {
        Evidence::Vulnerability { vulnerability } => Some(vulnerability),
        _ => None,
    };
    let severity = vulnerability.and_then(|vulnerability| vulnerability.severity.as_ref());
    SarifResult {
        level: level(finding.level),
        locations: [ResultLocation {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&path),
                region,
            },
        }],
        message: Text {
            text: message(finding),
        },
        partial_fingerprints: Fingerprints {
            pyaudit_v1: format!("{fingerprint:032x}"),
        },
        properties: ResultProperties {
            advisory: vulnerability.map(|vulnerability| osv_url(&vulnerability.id)),
            class: package.class.as_str(),
            direct: package.direct,
            evidence: finding.evidence.describe(),
            ids: vulnerability.map(|vulnerability| vulnerability.ids.as_slice()),
            package: &package.name,
            security_severity: security_severity(finding).map(|score| format!("{score:.1}")),
            severity: severity.map(|severity| severity.rating.as_str()),
            vector: severity.map(|severity| severity.vector.as_str()),
            version: package.version.as_deref(),
        },
        rule_id: finding.code,
        rule_index: RULES.iter().position(|rule| rule.code == finding.code),
    }
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
fn artifact_location(path: &str) -> ArtifactLocation {
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
        return ArtifactLocation {
            uri: format!("{prefix}{}", percent_encode_path(&forward)),
            uri_base_id: None,
        };
    }
    let relative = forward.trim_start_matches("./");
    ArtifactLocation {
        uri: percent_encode_path(relative),
        uri_base_id: Some("%SRCROOT%"),
    }
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
    use serde_json::json;

    use super::*;

    fn location(path: &str) -> serde_json::Value {
        serde_json::to_value(artifact_location(path)).unwrap()
    }

    #[test]
    fn locations_are_relative_uris_unless_absolute() {
        assert_eq!(
            location("./requirements/dev file.txt"),
            json!({ "uri": "requirements/dev%20file.txt", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            location("/tmp/project/uv.lock"),
            json!({ "uri": "file:///tmp/project/uv.lock" })
        );
        assert_eq!(
            location("C:\\work\\uv.lock"),
            json!({ "uri": "file:///C:/work/uv.lock" })
        );
    }

    #[test]
    fn full_description_is_the_first_section() {
        assert!(first_section(VULNERABILITY.docs).starts_with("Reports a locked package"));
        assert!(!plain_docs(VULNERABILITY.docs).contains("## "));
    }
}
