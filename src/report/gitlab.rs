//! GitLab Code Quality output (`pyaudit lock --format gitlab`): the JSON array of Code Climate
//! issues that GitLab reads from a job's `artifacts:reports:codequality` and shows in the merge
//! request widget and the pipeline's Code Quality tab, in every GitLab tier.
//!
//! Each finding becomes one issue at the package's line in its lockfile, with the fields GitLab
//! requires (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
//! `location.lines.begin`) and the optional Code Climate ones it shows (`categories`,
//! `content.body`). GitLab compares merge request and target branch by `fingerprint`, so a
//! fingerprint must be stable across runs and unique within a report: it is the SARIF one
//! ([`finding_fingerprint`]: an alert survives a bump to another still-affected version), with
//! the version hashed in only where a lock holds the same package twice (resolution forks).
//!
//! Findings are issues, plus one `info` issue naming the advisory data and its age. Packages not
//! audited and input warnings have no place in the format (the text or Markdown report of the
//! same run shows them). Output is deterministic: findings come sorted from the policy.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{finding_fingerprint, osv_url, stable_hash};
use crate::enrich::VulnerabilityData;
use crate::findings::{Evidence, Finding, Level};
use crate::policy::LockReport;
use pyaudit_advisories::Rating;

/// `pyaudit lock --format gitlab`.
pub fn render_lock(reports: &[LockReport], data: &VulnerabilityData) -> String {
    let mut fingerprints = BTreeSet::new();
    let mut issues: Vec<Value> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(move |finding| (report, finding)))
        .map(|(report, finding)| issue(report, finding, &mut fingerprints))
        .collect();
    if let Some(first) = reports.first()
        && !data.sources.is_empty()
    {
        issues.push(data_sources_issue(first, data));
    }
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

fn issue(report: &LockReport, finding: &Finding, fingerprints: &mut BTreeSet<String>) -> Value {
    let package = &finding.package;
    let (path, line) = match &package.location {
        Some(location) => (location.path.display().to_string(), location.line.max(1)),
        None => (report.path.clone(), 1),
    };
    let path = repository_path(&path);
    let mut fingerprint = format!("{:032x}", finding_fingerprint(&report.path, finding));
    if fingerprints.contains(&fingerprint) {
        let version = package.version.as_deref().unwrap_or_default();
        fingerprint = format!("{:032x}", stable_hash(&[&fingerprint, version]));
    }
    // The same lockfile given twice: number the repeats rather than let GitLab merge them.
    let base = fingerprint.clone();
    let mut repeat = 1_u32;
    while fingerprints.contains(&fingerprint) {
        repeat += 1;
        fingerprint = format!("{:032x}", stable_hash(&[&base, &repeat.to_string()]));
    }
    fingerprints.insert(fingerprint.clone());

    let mut description = finding.message.trim_end_matches('.').to_string();
    if let Some(fix) = &finding.fix {
        description.push_str(&format!(". Fix: {}", fix.description));
    }
    json!({
        "type": "issue",
        "engine_name": "pyaudit",
        "check_name": finding.code,
        "description": description,
        "content": { "body": body(finding) },
        "categories": [category(finding.code)],
        "severity": severity(finding),
        "fingerprint": fingerprint,
        "location": { "path": path, "lines": { "begin": line } },
    })
}

/// The format has no place for run metadata, so the data behind the verdict is one `info` issue
/// at the top of the first lockfile. Its fingerprint does not change with the dates, so the merge
/// request widget does not show it as new on every run.
fn data_sources_issue(report: &LockReport, data: &VulnerabilityData) -> Value {
    let sources: Vec<String> = data
        .sources
        .iter()
        .map(|source| super::describe_source(source, data.audited_at))
        .collect();
    json!({
        "type": "issue",
        "engine_name": "pyaudit",
        "check_name": "pyaudit-data-sources",
        "description": format!("pyaudit advisory data: {}", sources.join("; ")),
        "categories": ["Security"],
        "severity": "info",
        "fingerprint": format!("{:032x}", stable_hash(&["data-sources", &report.path])),
        "location": { "path": repository_path(&report.path), "lines": { "begin": 1 } },
    })
}

/// The Code Climate category by rule family (the findings module's numbering): licenses are a
/// compatibility question, maintenance (PA2xx) a bug risk, the rest — the audit itself,
/// vulnerabilities, sources, typosquats and bans — security.
fn category(code: &str) -> &'static str {
    match code.get(..3) {
        Some("PA2") => "Bug Risk",
        Some("PA3") => "Compatibility",
        _ => "Security",
    }
}

/// Paths relative to the repository, as GitLab links them: forward slashes, no `./`.
fn repository_path(path: &str) -> String {
    let forward = path.replace('\\', "/");
    let mut relative = forward.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    relative.to_string()
}

/// GitLab's scale (`info`, `minor`, `major`, `critical`, `blocker`). A malicious package blocks;
/// a vulnerability takes its advisory's rating, and `major` when no advisory rates it (an unrated
/// vulnerability is not a minor one); other findings follow their level.
fn severity(finding: &Finding) -> &'static str {
    if let Evidence::Vulnerability { vulnerability } = &finding.evidence {
        if vulnerability.malicious {
            return "blocker";
        }
        return match vulnerability
            .severity
            .as_ref()
            .map(|severity| severity.rating)
        {
            Some(Rating::Critical) => "critical",
            Some(Rating::High) | None => "major",
            Some(Rating::Medium) => "minor",
            Some(Rating::Low | Rating::None) => "info",
        };
    }
    match finding.level {
        Level::Deny => "major",
        Level::Warn => "minor",
        Level::Allow => "info",
    }
}

/// The details GitLab shows when an issue is expanded, in Markdown.
fn body(finding: &Finding) -> String {
    let package = &finding.package;
    let mut lines = vec![format!(
        "**{} {}** ({}): {}",
        finding.code,
        finding.rule,
        finding.level.as_str(),
        finding.message
    )];
    let version = package
        .version
        .as_deref()
        .map(|version| format!("=={version}"))
        .unwrap_or_default();
    lines.push(format!(
        "Package: `{}{version}`, {}{}",
        package.name,
        package.class.as_str(),
        if package.direct { ", direct" } else { "" }
    ));
    if package.path.len() > 1 {
        lines.push(format!("Path: {}", package.path.join(" → ")));
    }
    if let Some(fix) = &finding.fix {
        let command = fix
            .command
            .as_deref()
            .map(|command| format!(" (`{command}`)"))
            .unwrap_or_default();
        lines.push(format!("Fix: {}{command}", fix.description));
    }
    if let Evidence::Vulnerability { vulnerability } = &finding.evidence {
        lines.push(format!("Advisory: {}", osv_url(&vulnerability.id)));
    }
    lines.push(format!(
        "`pyaudit explain {}` documents the rule.",
        finding.code
    ));
    lines.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_repository() {
        assert_eq!(repository_path("./uv.lock"), "uv.lock");
        assert_eq!(repository_path("././a/uv.lock"), "a/uv.lock");
        assert_eq!(
            repository_path(r"backend\requirements.txt"),
            "backend/requirements.txt"
        );
        assert_eq!(repository_path("uv.lock"), "uv.lock");
    }

    #[test]
    fn categories_follow_the_rule_families() {
        assert_eq!(category("PA101"), "Security");
        assert_eq!(category("PA001"), "Security");
        assert_eq!(category("PA205"), "Bug Risk");
        assert_eq!(category("PA301"), "Compatibility");
        assert_eq!(category("PA501"), "Security");
    }
}
