//! Plain-text output for people: `pyaudit why`.

use std::fmt::Write;

use super::json::WhyResults;
use super::{package_label, step_label};

pub fn render_why(results: &WhyResults<'_>, limit: usize) -> String {
    let mut out = String::new();
    for (graph, matches) in results {
        for (id, paths) in matches {
            let class = graph.classes[*id];
            let _ = writeln!(
                out,
                "{} in {} ({}{})",
                package_label(graph, *id),
                graph.lockfile.path.display(),
                class.as_str(),
                if graph.direct[*id] { ", direct" } else { "" }
            );
            if paths.is_empty() {
                let _ = writeln!(out, "    no root reaches it: the lock may be stale");
            }
            for path in paths {
                let steps: Vec<String> = path
                    .iter()
                    .map(|step| {
                        let mut label = step_label(graph, step);
                        if let Some(marker) = &step.marker {
                            label.push_str(&format!(" ; {marker}"));
                        }
                        label
                    })
                    .collect();
                let _ = writeln!(out, "    {}", steps.join(" → "));
            }
            if paths.len() >= limit {
                let _ = writeln!(
                    out,
                    "    … more paths may exist (raise --limit to see them)"
                );
            }
        }
    }
    out
}

/// `pyaudit lock` for people: per lockfile, findings by level then severity, each with its
/// evidence, the path that brought the package in and the fix; then what was not audited and
/// where the data came from; a one-line summary last.
pub fn render_lock(
    reports: &[crate::policy::LockReport],
    data: &crate::enrich::VulnerabilityData,
    now_millis: i64,
) -> String {
    use crate::findings::Evidence;

    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "{} ({}): {} packages, {} audited{}",
            report.path,
            report.kind,
            report.packages,
            report.audited,
            match report.not_audited.len() {
                0 => String::new(),
                count => format!(", {count} not audited"),
            }
        );
        // Unchecked packages usually share one cause (the service was down): one block per cause.
        let mut unchecked: Vec<(&str, Vec<String>, crate::findings::Level)> = Vec::new();
        for finding in &report.findings {
            if let Evidence::Unchecked { reason } = &finding.evidence {
                let label = match &finding.package.version {
                    Some(version) => format!("{}=={version}", finding.package.name),
                    None => finding.package.name.clone(),
                };
                match unchecked.iter_mut().find(|(known, _, _)| *known == reason) {
                    Some((_, names, _)) => names.push(label),
                    None => unchecked.push((reason, vec![label], finding.level)),
                }
            }
        }
        for (reason, names, level) in &unchecked {
            let _ = writeln!(
                out,
                "  {} {} [{}] {} packages could not be checked: {reason}",
                level.as_str(),
                crate::findings::UNCHECKED_PACKAGE.code,
                crate::findings::UNCHECKED_PACKAGE.name,
                names.len()
            );
            let _ = writeln!(out, "      {}", names.join(", "));
            let _ = writeln!(
                out,
                "      fix: retry when the advisory service is reachable, or audit offline: \
                 `pyaudit db import PATH` (or `pyaudit db sync`), then `pyaudit lock --offline`"
            );
        }
        for finding in &report.findings {
            if matches!(finding.evidence, Evidence::Unchecked { .. }) {
                continue;
            }
            let package = &finding.package;
            let mut heading = format!(
                "  {} {} [{}] {}",
                finding.level.as_str(),
                finding.code,
                finding.rule,
                package.name
            );
            if let Some(version) = &package.version {
                heading.push_str(&format!("=={version}"));
            }
            heading.push_str(&format!(
                " ({}{})",
                package.class.as_str(),
                if package.direct { ", direct" } else { "" }
            ));
            if let Evidence::Vulnerability { vulnerability } = &finding.evidence
                && let Some(severity) = &vulnerability.severity
            {
                heading.push_str(&format!(" {:?}", severity.rating).to_uppercase());
                if let Some(score) = severity.score {
                    heading.push_str(&format!(" {score:.1}"));
                }
            }
            let _ = writeln!(out, "{heading}");
            let _ = writeln!(out, "      {}", finding.message);
            if package.path.len() > 1 {
                let _ = writeln!(out, "      path: {}", package.path.join(" → "));
            }
            if let Evidence::Usage {
                location,
                more,
                mapping,
                ..
            } = &finding.evidence
            {
                let others = match more.len() {
                    0 => String::new(),
                    count => format!(" (and {count} more: {})", join_locations(more)),
                };
                let _ = writeln!(out, "      at: {location}{others}");
                if let Some(mapping) = mapping {
                    let _ = writeln!(out, "      modules: {mapping}");
                }
            } else if let Some(location) = &package.location {
                let _ = writeln!(out, "      locked at: {location}");
            }
            if let Some(fix) = &finding.fix {
                match &fix.command {
                    Some(command) => {
                        let _ = writeln!(out, "      fix: {} — `{command}`", fix.description);
                    }
                    None => {
                        let _ = writeln!(out, "      fix: {}", fix.description);
                    }
                }
            }
        }
        if !report.not_audited.is_empty() {
            let _ = writeln!(out, "  not audited ({}):", report.not_audited.len());
            for skipped in &report.not_audited {
                let version = skipped
                    .version
                    .as_ref()
                    .map(|version| format!("=={version}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {}{version} ({}): {}",
                    skipped.name,
                    skipped.class.as_str(),
                    skipped.reason
                );
            }
        }
        if !report.ignored.is_empty() {
            let _ = writeln!(out, "  ignored by the config ({}):", report.ignored.len());
            for ignored in &report.ignored {
                let version = ignored
                    .version
                    .as_ref()
                    .map(|version| format!("=={version}"))
                    .unwrap_or_default();
                let id = ignored
                    .id
                    .as_ref()
                    .map(|id| format!(" {id}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {} {}{version}{id}: {} ({})",
                    ignored.code, ignored.package, ignored.reason, ignored.ignore
                );
            }
        }
        for warning in &report.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
    }
    if !data.sources.is_empty() {
        let sources: Vec<String> = data
            .sources
            .iter()
            .map(|source| match source.as_of {
                Some(as_of) => format!(
                    "{} {} (as of {} ago)",
                    source.kind,
                    source.location,
                    age(now_millis, as_of)
                ),
                None => format!("{} {}", source.kind, source.location),
            })
            .collect();
        let _ = writeln!(out, "advisory data: {}", sources.join("; "));
    }
    if let Some(oldest) = data.oldest_data {
        let _ = writeln!(out, "oldest data used: {} old", age(now_millis, oldest));
    }
    let summary = super::json::lock_summary(reports);
    let _ = writeln!(out, "{}", summary_line(&summary));
    out
}

fn age(now_millis: i64, then_millis: i64) -> String {
    let seconds = (now_millis - then_millis).max(0) / 1_000;
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7_200 => format!("{} min", seconds / 60),
        7_200..172_800 => format!("{} h", seconds / 3_600),
        _ => format!("{} days", seconds / 86_400),
    }
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

fn summary_line(summary: &super::json::LockSummary) -> String {
    let findings = summary.deny + summary.warn;
    if findings == 0 {
        return format!(
            "no known vulnerabilities in {} audited packages{}",
            summary.audited,
            match summary.not_audited {
                0 => String::new(),
                count => format!(" ({count} not audited, see above)"),
            }
        );
    }
    let mut parts = Vec::new();
    if summary.vulnerabilities > 0 {
        parts.push(plural(
            summary.vulnerabilities,
            "vulnerability",
            "vulnerabilities",
        ));
    }
    if summary.malicious > 0 {
        parts.push(format!("{} malicious", summary.malicious));
    }
    if summary.unchecked > 0 {
        parts.push(format!(
            "{} unchecked (no source answered; `pyaudit db import` or `--offline` audits without the network)",
            plural(summary.unchecked, "package", "packages")
        ));
    }
    format!(
        "{} ({} deny, {} warn) in {} audited packages: {}",
        plural(findings, "finding", "findings"),
        summary.deny,
        summary.warn,
        summary.audited,
        parts.join(", ")
    )
}

fn join_locations(locations: &[crate::lockfile::Location]) -> String {
    locations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
