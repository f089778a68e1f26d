//! Plain-text output for people: `pyaudit why`.

use std::fmt::Write;
use std::io::IsTerminal;

use crate::findings::{Evidence, Finding, Level};

use super::json::WhyResults;
use super::step_label;

/// How many packages an "N packages could not be checked" block names before `and N more`.
const UNCHECKED_NAMES_SHOWN: usize = 20;

pub fn render_why(results: &WhyResults<'_>, limit: usize) -> String {
    crate::sanitize::terminal_safe(&render_why_raw(results, limit)).into_owned()
}

fn render_why_raw(results: &WhyResults<'_>, limit: usize) -> String {
    let mut out = String::new();
    for (graph, matches) in results {
        for (id, paths) in matches {
            let class = graph.classes[*id];
            let _ = writeln!(
                out,
                "{} in {} ({}{})",
                graph.package_label(*id),
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

/// Whether the text report is coloured: only on a terminal, never when `NO_COLOR` is set
/// (no-color.org), always when `FORCE_COLOR` is set and `NO_COLOR` is not.
pub fn use_colour(to_stdout: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("FORCE_COLOR") {
        return true;
    }
    to_stdout
        && std::io::stdout().is_terminal()
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

/// ANSI styling that is a no-op when colour is off.
#[derive(Clone, Copy)]
pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    pub(crate) fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub(crate) fn level(self, level: Level) -> String {
        match level {
            Level::Deny => self.wrap("1;31", "deny"),
            Level::Warn => self.wrap("1;33", "warn"),
            Level::Allow => self.wrap("2", "allow"),
        }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// `pyaudit lock` for people: per lockfile, findings by level then severity, each with its
/// evidence, the path that brought the package in and the fix; then what was not audited and
/// where the data came from; a one-line summary last.
pub fn render_lock(
    reports: &[crate::policy::LockReport],
    data: &crate::enrich::VulnerabilityData,
    now_millis: i64,
    colour: bool,
) -> String {
    let out = render_lock_raw(reports, data, now_millis, colour);
    crate::sanitize::coloured_output_safe(&out, colour).into_owned()
}

fn render_lock_raw(
    reports: &[crate::policy::LockReport],
    data: &crate::enrich::VulnerabilityData,
    now_millis: i64,
    colour: bool,
) -> String {
    let paint = Paint(colour);
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "{} ({}): {} packages, {} audited{}",
            paint.bold(&report.path),
            report.kind,
            report.packages,
            report.audited,
            match report.not_audited.len() {
                0 => String::new(),
                count => format!(", {count} not audited"),
            }
        );
        let unchecked = super::unchecked_groups(&report.findings);
        for level in [Level::Deny, Level::Warn] {
            for group in unchecked
                .iter()
                .filter(|group| group.finding.level == level)
            {
                let finding = group.finding;
                let _ = writeln!(
                    out,
                    "  {} {} [{}] {} could not be checked: {}",
                    paint.level(finding.level),
                    finding.code,
                    finding.rule,
                    plural(group.packages.len(), "package", "packages"),
                    group.reason
                );
                let _ = writeln!(
                    out,
                    "      {}",
                    super::abbreviated_list(&group.packages, UNCHECKED_NAMES_SHOWN)
                );
                if let Some(fix) = &finding.fix {
                    let _ = writeln!(out, "      fix: {}", fix.description);
                }
            }
            for finding in report
                .findings
                .iter()
                .filter(|finding| finding.level == level)
            {
                write_finding(&mut out, finding, paint);
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
            .map(|source| super::describe_source(source, Some(now_millis)))
            .collect();
        let _ = writeln!(out, "data: {}", sources.join("; "));
    }
    if let Some(oldest) = data.oldest_data {
        let _ = writeln!(out, "oldest data used: {} old", age(now_millis, oldest));
    }
    let summary = super::json::lock_summary(reports);
    let line = summary_line(&summary);
    let _ = writeln!(
        out,
        "{}",
        if summary.deny > 0 {
            paint.wrap("1;31", &line)
        } else if summary.warn > 0 {
            paint.wrap("1;33", &line)
        } else {
            paint.wrap("1;32", &line)
        }
    );
    out
}

/// One finding: the heading (level, code, rule, package, class, severity), the message, the
/// evidence, the path from a root, where it is, and the fix.
fn write_finding(out: &mut String, finding: &Finding, paint: Paint) {
    if matches!(finding.evidence, Evidence::Unchecked { .. }) {
        return;
    }
    let package = &finding.package;
    let mut heading = format!(
        "  {} {} [{}] {}",
        paint.level(finding.level),
        finding.code,
        finding.rule,
        paint.bold(&package.name)
    );
    if let Some(version) = &package.version {
        heading.push_str(&format!("=={version}"));
    }
    if !package.path.is_empty() || package.version.is_some() {
        heading.push_str(&format!(
            " ({}{})",
            package.class.as_str(),
            if package.direct { ", direct" } else { "" }
        ));
    }
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
    if let Some(evidence) = finding.evidence.describe() {
        let _ = writeln!(out, "      {}", paint.dim(&format!("evidence: {evidence}")));
    }
    if package.path.len() > 1 {
        let _ = writeln!(out, "      path: {}", package.path.join(" → "));
    }
    if let Some(location) = &package.location
        && !matches!(
            finding.evidence,
            Evidence::Config { .. } | Evidence::Usage { .. }
        )
    {
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
            "no findings in {} audited packages{}",
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
    let others: Vec<String> = summary
        .by_rule
        .iter()
        .filter(|(code, _)| !matches!(**code, "PA001" | "PA101" | "PA102"))
        .map(|(code, count)| {
            let name = crate::findings::rule(code).map_or(*code, |rule| rule.name);
            format!("{count} {name}")
        })
        .collect();
    parts.extend(others);
    format!(
        "{} ({} deny, {} warn) in {} audited packages: {}",
        plural(findings, "finding", "findings"),
        summary.deny,
        summary.warn,
        summary.audited,
        parts.join(", ")
    )
}
