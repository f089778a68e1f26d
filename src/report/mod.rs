//! Renderers: one module per output format. They only format data the earlier stages produced.

pub mod json;
pub mod text;
pub mod tree;

use crate::graph::{Graph, PathStep};
use crate::lockfile::{PackageIndex, Source};

/// `name==version`, with the source when it is not a registry, for people.
pub fn package_label(graph: &Graph, index: PackageIndex) -> String {
    let package = graph.package(index);
    let mut label = package.name.to_string();
    match (&package.version, &package.specifier) {
        (Some(version), _) => label.push_str(&format!("=={version}")),
        (None, Some(specifier)) => label.push_str(&format!(" {specifier} (unpinned)")),
        (None, None) => {}
    }
    match &package.source {
        Source::Registry { .. } => {}
        Source::Git { url, reference } => {
            label.push_str(&format!(" (git: {url}"));
            if let Some(reference) = reference {
                label.push_str(&format!("@{reference}"));
            }
            label.push(')');
        }
        Source::Url { url } => label.push_str(&format!(" (url: {url})")),
        Source::Path { path }
        | Source::Directory { path }
        | Source::Editable { path }
        | Source::Virtual { path } => {
            label.push_str(&format!(" ({}: {path})", package.source.kind()))
        }
    }
    label
}

/// One path step as people read it: `fastapi[standard]`, `project (group: dev)`.
pub fn step_label(graph: &Graph, step: &PathStep) -> String {
    graph.step_label(step)
}

pub mod cyclonedx;
pub mod gitlab;
pub mod markdown;
pub mod org_html;
pub mod org_json;
pub mod org_markdown;
pub mod org_text;
pub mod review;
pub mod sarif;

/// A 128-bit FNV-1a hash of `parts` (each followed by a NUL so `["ab", "c"]` and `["a", "bc"]`
/// differ). Used where output must carry an identifier that stays the same across runs, machines
/// and Rust releases (SARIF fingerprints, the CycloneDX serial number), which the standard
/// library's hashers do not promise.
pub fn stable_hash(parts: &[&str]) -> u128 {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET_BASIS;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u128::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

/// The identity of a finding across runs, shared by SARIF's `partialFingerprints` and GitLab's
/// Code Quality `fingerprint`: rule, lockfile, package and what the evidence is about. Not the
/// version, so a finding survives a bump to another still-affected version; not what changes from
/// run to run (an unchecked package's reason, metadata facts such as days behind, a license
/// verdict's wording).
pub fn finding_fingerprint(report_path: &str, finding: &crate::findings::Finding) -> u128 {
    use crate::findings::Evidence;
    let evidence_key = match &finding.evidence {
        Evidence::Unchecked { .. } | Evidence::Metadata { .. } | Evidence::License { .. } => {
            String::new()
        }
        other => other.key(),
    };
    stable_hash(&[
        finding.code,
        report_path,
        &finding.package.name,
        &evidence_key,
    ])
}

/// Unix milliseconds as an RFC 3339 UTC timestamp (`2025-11-25T18:37:00Z`), for formats that want
/// dates in that form (CycloneDX `metadata.timestamp`, the Markdown data line).
pub fn rfc3339_from_unix_millis(millis: i64) -> String {
    let seconds_of_day = millis.div_euclid(1_000).rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::config::date_from_unix_millis(millis),
        seconds_of_day / 3_600,
        seconds_of_day % 3_600 / 60,
        seconds_of_day % 60
    )
}

/// The OSV page of a vulnerability id; OSV resolves aliases (CVE, GHSA, PYSEC) too.
pub fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339_from_unix_millis(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_from_unix_millis(1_764_095_000_000),
            "2025-11-25T18:23:20Z"
        );
        assert_eq!(
            rfc3339_from_unix_millis(951_782_400_000),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn stable_hash_is_stable_and_separates_parts() {
        assert_eq!(stable_hash(&[]), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(
            stable_hash(&["PA101", "idna"]),
            stable_hash(&["PA101", "idna"])
        );
    }
}
