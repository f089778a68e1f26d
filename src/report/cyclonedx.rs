//! CycloneDX 1.6 JSON output (ECMA-424 1st edition): a bill of materials of every locked package
//! with its dependency graph, and the vulnerabilities found, merged per vulnerability id so one
//! entry names every component it affects.
//!
//! Identity: `bom-ref`s are `{lockfile}#{name}@{version}` so several lockfiles in one BOM never
//! collide; `purl` (`pkg:pypi/{name}@{version}`) is given for registry packages only. The
//! `serialNumber` is derived from the content (the document without serial number and timestamp,
//! hashed into an RFC 9562 version 8 UUID): the same lock and advisory data give the same BOM, so
//! reports diff cleanly and tests are stable. The timestamp is a parameter for the same reason.
//! Licenses come from the PyPI metadata stage when it ran (the SPDX expression, else the declared
//! text as a name); hashes are left out: the lock readers count hashes but keep no values, and
//! nothing is invented.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::{osv_url, rfc3339_from_unix_millis, stable_hash};
use crate::enrich::metadata::{MetadataData, MetadataStatus};
use crate::enrich::{PackageKey, VulnerabilityData};
use crate::findings::{Evidence, Finding};
use crate::graph::{Class, Graph, all_edges};
use crate::lockfile::{LockedPackage, PackageIndex, PackageRole, Source};
use crate::policy::LockReport;
use pyaudit_advisories::{Rating, SeveritySource};

pub const SPEC_VERSION: &str = "1.6";
pub const BOM_SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// `pyaudit lock --format cyclonedx`. `graphs` and `reports` are parallel (one report per graph,
/// same order, as `pyaudit lock` builds them). `timestamp` (unix milliseconds) becomes
/// `metadata.timestamp`; `None` leaves it out for byte-stable output.
pub fn render_lock(
    graphs: &[Graph],
    reports: &[LockReport],
    data: &VulnerabilityData,
    licenses: Option<&MetadataData>,
    timestamp: Option<i64>,
) -> String {
    let references: Vec<Vec<String>> = graphs.iter().map(bom_references).collect();
    let root_count: usize = graphs.iter().map(|graph| graph.roots().len()).sum();
    // A single root is what the BOM describes; several (workspaces, many lockfiles) are listed as
    // application components instead, and the BOM describes no one of them.
    let single_root = root_count == 1;

    let mut metadata_component = None;
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    for (graph, references) in graphs.iter().zip(&references) {
        let lockfile = graph.lockfile.path.display().to_string();
        for (index, package) in graph.packages().iter().enumerate() {
            let mut component = component(graph, index, package, &references[index], &lockfile);
            if let Some(license) = licenses.and_then(|licenses| license(licenses, package)) {
                component["licenses"] = license;
            }
            if single_root && graph.is_root(index) {
                metadata_component = Some(component);
            } else {
                components.push(component);
            }
            let mut depends_on: Vec<&str> = Vec::new();
            for edge in all_edges(package) {
                let target = references[edge.package].as_str();
                if !depends_on.contains(&target) {
                    depends_on.push(target);
                }
            }
            dependencies.push(json!({ "ref": references[index], "dependsOn": depends_on }));
        }
    }

    let vulnerabilities = vulnerabilities(graphs, reports, &references);

    let mut metadata = json!({
        "tools": {
            "components": [{
                "type": "application",
                "name": "pyaudit",
                "version": env!("CARGO_PKG_VERSION"),
            }]
        },
        "properties": metadata_properties(reports, data),
    });
    if let Some(component) = metadata_component {
        metadata["component"] = component;
    }

    let mut document = json!({
        "$schema": BOM_SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
        "vulnerabilities": vulnerabilities,
    });
    let content = serde_json::to_string(&document).unwrap_or_default();
    document["serialNumber"] = json!(serial_number(&content));
    if let Some(millis) = timestamp {
        document["metadata"]["timestamp"] = json!(rfc3339_from_unix_millis(millis));
    }
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// `urn:uuid:` of a version 8 (custom) UUID whose bits are the content hash.
fn serial_number(content: &str) -> String {
    let hash = stable_hash(&[content]);
    // RFC 9562 §5.8: version 8 in bits 48–51, variant `10` in bits 64–65.
    let uuid = (hash & !(0xF_u128 << 76) & !(0x3_u128 << 62)) | (0x8_u128 << 76) | (0x2_u128 << 62);
    let hex = format!("{uuid:032x}");
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// One unique `bom-ref` per package of the lock: `{lockfile}#{name}@{version}`, with the source
/// kind and then a counter appended where one lock has the same name and version twice.
fn bom_references(graph: &Graph) -> Vec<String> {
    let lockfile = graph.lockfile.path.display().to_string();
    let mut seen: HashMap<String, usize> = HashMap::new();
    graph
        .packages()
        .iter()
        .map(|package| {
            let mut reference = format!("{lockfile}#{}", package.name);
            if let Some(version) = &package.version {
                reference.push_str(&format!("@{version}"));
            }
            if seen.contains_key(&reference) {
                reference.push_str(&format!("~{}", package.source.kind()));
            }
            let count = seen.entry(reference.clone()).or_insert(0);
            *count += 1;
            if *count > 1 {
                reference.push_str(&format!("~{count}"));
            }
            reference
        })
        .collect()
}

/// The component's `licenses`: an SPDX expression, or the declared text as a license name.
fn license(data: &MetadataData, package: &LockedPackage) -> Option<Value> {
    let key = PackageKey::new(package.name.to_string(), package.version.clone()?);
    let Some(MetadataStatus::Available(metadata)) = data.packages.get(&key) else {
        return None;
    };
    let license = metadata.license.as_ref()?;
    match &license.expression {
        Some(expression) => Some(json!([{ "expression": expression }])),
        None if !license.raw.trim().is_empty() => {
            let name: String = license.raw.trim().chars().take(200).collect();
            Some(json!([{ "license": { "name": name } }]))
        }
        None => None,
    }
}

fn component(
    graph: &Graph,
    index: PackageIndex,
    package: &LockedPackage,
    reference: &str,
    lockfile: &str,
) -> Value {
    let root = graph.is_root(index);
    let class = graph.classes[index];
    let mut component = json!({
        "type": if root || package.role != PackageRole::Package { "application" } else { "library" },
        "bom-ref": reference,
        "name": package.name.to_string(),
    });
    if let Some(version) = &package.version {
        component["version"] = json!(version.to_string());
    }
    if !root {
        component["scope"] = json!(match class {
            Class::Prod => "required",
            Class::Optional | Class::Dev => "optional",
            // Nothing installs it: present in the lock only.
            Class::Unreachable => "excluded",
        });
    }
    if let (Source::Registry { url }, Some(version)) = (&package.source, &package.version) {
        component["purl"] = json!(purl(
            package.name.as_ref(),
            &version.to_string(),
            url.as_deref()
        ));
    }
    let external = external_references(&package.source);
    if !external.is_empty() {
        component["externalReferences"] = json!(external);
    }
    let mut properties = vec![
        property("pyaudit:class", class.as_str()),
        property(
            "pyaudit:direct",
            if graph.direct[index] { "true" } else { "false" },
        ),
        property("pyaudit:source", package.source.kind()),
        property("pyaudit:lockfile", lockfile),
    ];
    if let Some(location) = &package.location {
        properties.push(property("pyaudit:line", &location.line.to_string()));
    }
    if let Some(specifier) = &package.specifier {
        properties.push(property("pyaudit:specifier", specifier));
    }
    match &package.source {
        Source::Path { path }
        | Source::Directory { path }
        | Source::Editable { path }
        | Source::Virtual { path } => properties.push(property("pyaudit:path", path)),
        Source::Registry { .. } | Source::Git { .. } | Source::Url { .. } => {}
    }
    component["properties"] = json!(properties);
    component
}

fn property(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// The package URL of a PyPI package (purl-spec `pypi` type): lowercase name with `-` for `_`,
/// the version percent-encoded, `repository_url` for an index other than PyPI.
pub fn purl(name: &str, version: &str, index_url: Option<&str>) -> String {
    let name = name.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut purl = format!(
        "pkg:pypi/{}@{}",
        percent_encode(&name),
        percent_encode(version)
    );
    if let Some(url) = index_url {
        let pypi = ["https://pypi.org/simple", "https://pypi.org/simple/"];
        if !pypi.contains(&url) {
            purl.push_str(&format!("?repository_url={}", percent_encode(url)));
        }
    }
    purl
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn external_references(source: &Source) -> Vec<Value> {
    match source {
        Source::Git { url, reference } => {
            let mut entry = json!({ "type": "vcs", "url": url });
            if let Some(reference) = reference {
                entry["comment"] = json!(format!("git reference {reference}"));
            }
            vec![entry]
        }
        Source::Url { url } => vec![json!({ "type": "distribution", "url": url })],
        Source::Registry { .. }
        | Source::Path { .. }
        | Source::Directory { .. }
        | Source::Editable { .. }
        | Source::Virtual { .. } => Vec::new(),
    }
}

/// The run's data sources and what could not be checked, as BOM-level properties.
fn metadata_properties(reports: &[LockReport], data: &VulnerabilityData) -> Vec<Value> {
    let mut properties = Vec::new();
    for source in &data.sources {
        let value = super::describe_source(source, data.audited_at);
        properties.push(property("pyaudit:advisory-source", &value));
    }
    if let Some(oldest) = data.oldest_data {
        properties.push(property(
            "pyaudit:oldest-data",
            &rfc3339_from_unix_millis(oldest),
        ));
    }
    for report in reports {
        for finding in &report.findings {
            if let Evidence::Unchecked { reason } = &finding.evidence {
                properties.push(property(
                    "pyaudit:unchecked",
                    &format!("{}: {reason}", label(finding)),
                ));
            }
        }
        for skipped in &report.not_audited {
            let name = match &skipped.version {
                Some(version) => format!("{}=={version}", skipped.name),
                None => skipped.name.clone(),
            };
            properties.push(property(
                "pyaudit:not-audited",
                &format!("{name}: {}", skipped.reason),
            ));
        }
    }
    properties
}

fn label(finding: &Finding) -> String {
    match &finding.package.version {
        Some(version) => format!("{}=={version}", finding.package.name),
        None => finding.package.name.clone(),
    }
}

/// The `bom-ref` of the package a finding is about: matched by name and version, and by line
/// where one lock has the same name and version twice.
fn finding_reference<'a>(
    graph: &Graph,
    references: &'a [String],
    finding: &Finding,
) -> Option<&'a String> {
    let package = &finding.package;
    let candidates: Vec<PackageIndex> = graph
        .find(&package.name)
        .into_iter()
        .filter(|&index| {
            graph
                .package(index)
                .version
                .as_ref()
                .map(ToString::to_string)
                == package.version
        })
        .collect();
    let chosen = candidates
        .iter()
        .copied()
        .find(|&index| graph.package(index).location == package.location)
        .or_else(|| candidates.first().copied())?;
    references.get(chosen)
}

/// Vulnerability findings merged per canonical id, in id order.
fn vulnerabilities(
    graphs: &[Graph],
    reports: &[LockReport],
    references: &[Vec<String>],
) -> Vec<Value> {
    struct Merged<'a> {
        finding: &'a Finding,
        affects: Vec<(String, String)>,
        recommendations: Vec<String>,
    }
    let mut merged: BTreeMap<&str, Merged<'_>> = BTreeMap::new();
    for ((graph, report), references) in graphs.iter().zip(reports).zip(references) {
        for finding in &report.findings {
            let Evidence::Vulnerability { vulnerability } = &finding.evidence else {
                continue;
            };
            let Some(reference) = finding_reference(graph, references, finding) else {
                continue;
            };
            let entry = merged
                .entry(vulnerability.id.as_str())
                .or_insert_with(|| Merged {
                    finding,
                    affects: Vec::new(),
                    recommendations: Vec::new(),
                });
            let affected = (reference.clone(), vulnerability.version.to_string());
            if !entry.affects.contains(&affected) {
                entry.affects.push(affected);
            }
            if let Some(fix) = &finding.fix
                && !entry.recommendations.contains(&fix.description)
            {
                entry.recommendations.push(fix.description.clone());
            }
        }
    }
    merged
        .into_values()
        .filter_map(|entry| {
            let Evidence::Vulnerability { vulnerability } = &entry.finding.evidence else {
                return None;
            };
            Some(vulnerability_entry(
                vulnerability,
                &entry.affects,
                &entry.recommendations,
            ))
        })
        .collect()
}

fn vulnerability_entry(
    vulnerability: &pyaudit_advisories::Vulnerability,
    affects: &[(String, String)],
    recommendations: &[String],
) -> Value {
    let id = &vulnerability.id;
    let mut entry = json!({
        "bom-ref": format!("vulnerability:{id}"),
        "id": id,
        "source": { "name": "OSV", "url": osv_url(id) },
    });
    let aliases: Vec<Value> = vulnerability
        .ids
        .iter()
        .filter(|alias| *alias != id)
        .map(|alias| json!({ "id": alias, "source": { "name": "OSV", "url": osv_url(alias) } }))
        .collect();
    if !aliases.is_empty() {
        entry["references"] = json!(aliases);
    }
    if let Some(severity) = &vulnerability.severity {
        let mut rating = json!({
            "severity": match severity.rating {
                Rating::None => "none",
                Rating::Low => "low",
                Rating::Medium => "medium",
                Rating::High => "high",
                Rating::Critical => "critical",
            },
            "method": method(severity.source, &severity.vector),
        });
        if let Some(score) = severity.score {
            rating["score"] = json!(score);
        }
        if severity.source != SeveritySource::Database {
            rating["vector"] = json!(severity.vector);
        }
        entry["ratings"] = json!([rating]);
    }
    if let Some(summary) = &vulnerability.summary {
        entry["description"] = json!(summary);
    }
    if let Some(details) = &vulnerability.details {
        entry["detail"] = json!(details);
    }
    if !recommendations.is_empty() {
        entry["recommendation"] = json!(recommendations.join("; "));
    }
    let mut advisories: Vec<Value> = Vec::new();
    for reference in &vulnerability.references {
        let advisory = json!({ "url": reference.url });
        if !advisories.contains(&advisory) {
            advisories.push(advisory);
        }
    }
    if !advisories.is_empty() {
        entry["advisories"] = json!(advisories);
    }
    if let Some(published) = &vulnerability.published {
        entry["published"] = json!(published);
    }
    if let Some(modified) = &vulnerability.modified {
        entry["updated"] = json!(modified);
    }
    entry["affects"] = json!(
        affects
            .iter()
            .map(|(reference, version)| json!({
                "ref": reference,
                "versions": [{ "version": version, "status": "affected" }],
            }))
            .collect::<Vec<_>>()
    );
    if vulnerability.malicious {
        entry["properties"] = json!([property("pyaudit:malicious", "true")]);
    }
    entry
}

/// The CycloneDX scoring method: `CVSSv31` and `CVSSv3` are told apart by the vector's prefix.
fn method(source: SeveritySource, vector: &str) -> &'static str {
    match source {
        SeveritySource::CvssV2 => "CVSSv2",
        SeveritySource::CvssV3 if vector.starts_with("CVSS:3.1/") => "CVSSv31",
        SeveritySource::CvssV3 => "CVSSv3",
        SeveritySource::CvssV4 => "CVSSv4",
        SeveritySource::Database => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_the_pypi_type() {
        assert_eq!(purl("idna", "3.6", None), "pkg:pypi/idna@3.6");
        assert_eq!(
            purl(
                "Zope.Interface",
                "1.0+local",
                Some("https://pypi.org/simple")
            ),
            "pkg:pypi/zope-interface@1.0%2Blocal"
        );
        assert_eq!(
            purl("demo", "1!2.0", Some("https://example.org/simple")),
            "pkg:pypi/demo@1%212.0?repository_url=https%3A%2F%2Fexample.org%2Fsimple"
        );
    }

    #[test]
    fn serial_numbers_are_version_8_uuids_of_the_content() {
        let serial = serial_number("{}");
        assert_eq!(serial, serial_number("{}"));
        assert_ne!(serial, serial_number("{ }"));
        let uuid = serial.trim_start_matches("urn:uuid:");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "8");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
    }
}
