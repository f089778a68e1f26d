//! Renderers: one module per output format. They only format data the earlier stages produced.

pub mod json;
mod lock;
pub mod text;
pub mod tree;

pub use lock::{RenderOptions, lock_reports, render_org, render_run};

use crate::enrich::{DataSource, SourceCoverage};
use crate::findings::{Evidence, Finding};
use crate::graph::{Graph, PathStep};

/// One path step as people read it: `fastapi[standard]`, `project (group: dev)`.
pub fn step_label(graph: &Graph, step: &PathStep) -> String {
    graph.step_label(step)
}

pub mod cyclonedx;
pub mod gitlab;
pub mod markdown;
pub mod org_chart;
pub mod org_html;
pub mod org_json;
pub mod org_markdown;
pub mod org_text;
pub mod review;
pub mod sarif;

/// Findings that could not be checked, grouped: they usually share one cause (the service was
/// down, the cache is empty offline), and one block per rule, level and cause says it once.
pub struct UncheckedGroup<'a> {
    /// The first finding of the group (its code, rule, level and fix stand for all).
    pub finding: &'a Finding,
    pub reason: &'a str,
    /// `name==version` of every package in the group, in report order.
    pub packages: Vec<String>,
}

/// The unchecked findings of `findings`, grouped by rule, level and cause, in first-seen order.
pub fn unchecked_groups<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Vec<UncheckedGroup<'a>> {
    let mut groups: Vec<UncheckedGroup<'a>> = Vec::new();
    for finding in findings {
        let Evidence::Unchecked { reason } = &finding.evidence else {
            continue;
        };
        let label = match &finding.package.version {
            Some(version) => format!("{}=={version}", finding.package.name),
            None => finding.package.name.clone(),
        };
        match groups.iter_mut().find(|group| {
            group.finding.code == finding.code
                && group.finding.level == finding.level
                && group.reason == reason
        }) {
            Some(group) => group.packages.push(label),
            None => groups.push(UncheckedGroup {
                finding,
                reason,
                packages: vec![label],
            }),
        }
    }
    groups
}

/// At most `shown` names joined with `, `, then `and N more` for the rest: a list of 470
/// packages on one line helps nobody; the JSON report keeps every name.
pub fn abbreviated_list(names: &[String], shown: usize) -> String {
    if names.len() <= shown {
        return names.join(", ");
    }
    format!(
        "{}, and {} more",
        names[..shown].join(", "),
        names.len() - shown
    )
}

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
pub fn finding_fingerprint(report_path: &str, finding: &Finding) -> u128 {
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
        crate::time::date_from_unix_millis(millis),
        seconds_of_day / 3_600,
        seconds_of_day % 3_600 / 60,
        seconds_of_day % 60
    )
}

/// One data source as every report names it: what it is, where, whether it is a complete copy,
/// and how old its data is — the data's own date (a copy's newest record), never when it was
/// imported: `local advisory database /srv/osv (complete copy; advisory data as of 2024-10-10,
/// 788 days old)`.
pub fn describe_source(source: &DataSource, now_millis: Option<i64>) -> String {
    let what = match source.kind.as_str() {
        "osv-api" => "OSV API",
        "local-database" => "local advisory database",
        "advisories-dir" => "advisory records",
        "cache" => "cached answers in",
        "pypi-json-api" => "PyPI JSON API",
        "pypi-simple-api" => "PyPI Simple API",
        other => other,
    };
    let mut notes: Vec<String> = Vec::new();
    match source.coverage {
        Some(SourceCoverage::Complete) => notes.push("complete copy".to_owned()),
        Some(SourceCoverage::Partial) => notes.push("partial: adds findings only".to_owned()),
        None => {}
    }
    let dated = if source.coverage.is_some() {
        "advisory data as of"
    } else if source.kind == "cache" {
        "fetched"
    } else {
        "answered"
    };
    match (source.as_of, source.kind.as_str()) {
        // Answered by the service in this run: its date is the run's.
        (Some(as_of), _) if dated == "answered" && now_millis == Some(as_of) => {
            notes.push(format!(
                "answered live on {}",
                crate::time::date_from_unix_millis(as_of)
            ))
        }
        (Some(as_of), _) => {
            let mut text = format!("{dated} {}", crate::time::date_from_unix_millis(as_of));
            if let Some(now) = now_millis {
                text.push_str(&format!(", {} old", coarse_age(now, as_of)));
            }
            notes.push(text);
        }
        (None, _) if source.coverage.is_some() => {
            notes.push("advisory data of unknown age".to_owned())
        }
        (None, _) => {}
    }
    if notes.is_empty() {
        format!("{what} {}", source.location)
    } else {
        format!("{what} {} ({})", source.location, notes.join("; "))
    }
}

/// What an org report says about its footing: every data source with its age, and the rule
/// families `pyaudit org` does not run (so a passing org report is not read as a passing
/// `pyaudit lock`).
/// What a sharded run's report must say first: a shard's place, or what a merge lacks.
pub fn org_shard_lines(report: &crate::org::report::OrgReport) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(shard) = &report.shard {
        lines.push(format!(
            "shard {}/{}: {} of the organisation's {} repositories (merge the shards with \
             `pyaudit org-merge`)",
            shard.index,
            shard.count,
            shard.repositories.len(),
            shard.discovered
        ));
    }
    if let Some(status) = &report.shards {
        lines.extend(status.lines());
    }
    lines
}

pub fn org_provenance(report: &crate::org::report::OrgReport) -> (Vec<String>, &'static str) {
    let sources = report
        .sources
        .iter()
        .map(|source| describe_source(source, Some(report.generated_at)))
        .collect();
    (sources, ORG_RULES_NOT_RUN)
}

/// `pyaudit org` audits lockfiles, not source trees.
pub const ORG_RULES_NOT_RUN: &str = "the usage rules (PA601–PA606: unused, undeclared and \
     dev-leaking imports) were not run: they need each project's sources; `pyaudit lock` in a \
     project runs them";

/// An age as people read it in a report: minutes, hours, then days.
pub fn coarse_age(now_millis: i64, then_millis: i64) -> String {
    let seconds = (now_millis - then_millis).max(0) / 1_000;
    match seconds {
        0..120 => "less than 2 minutes".to_owned(),
        120..7_200 => format!("{} minutes", seconds / 60),
        7_200..172_800 => format!("{} hours", seconds / 3_600),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// The OSV page of a vulnerability id; OSV resolves aliases (CVE, GHSA, PYSEC) too.
///
/// The id comes from an advisory, so every byte outside `[A-Za-z0-9._:-]` is percent-encoded:
/// a `)`, a space or a `<` in an id cannot end a Markdown link or an HTML attribute early.
pub fn osv_url(id: &str) -> String {
    let mut url = String::from("https://osv.dev/vulnerability/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"._:-".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_abbreviated() {
        let names: Vec<String> = (1..=5).map(|n| format!("p{n}")).collect();
        assert_eq!(abbreviated_list(&names, 5), "p1, p2, p3, p4, p5");
        assert_eq!(abbreviated_list(&names, 2), "p1, p2, and 3 more");
        assert_eq!(abbreviated_list(&[], 2), "");
    }

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
