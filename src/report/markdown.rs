//! Markdown output (GitHub Flavored Markdown, for a pull-request comment or a job summary): a
//! headline with the verdict `pyaudit lock` exits with, a table of the findings that fail the run,
//! and everything else — warnings, packages not audited, input problems — folded into `<details>`
//! so the comment stays short. Text from advisories and lockfiles is escaped: it must not break a
//! table or inject links and HTML into the comment.

use std::fmt::Write;

use super::json::lock_summary;
use super::osv_url;
use crate::enrich::VulnerabilityData;
use crate::findings::{Evidence, Finding, Level};
use crate::policy::LockReport;

/// `pyaudit lock --format markdown`.
pub fn render_lock(reports: &[LockReport], data: &VulnerabilityData) -> String {
    crate::sanitize::terminal_safe(&render_lock_raw(reports, data)).into_owned()
}

fn render_lock_raw(reports: &[LockReport], data: &VulnerabilityData) -> String {
    let summary = lock_summary(reports);
    let several = reports.len() > 1;
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(reports));
    let _ = writeln!(out);

    let deny = rows(reports, Level::Deny, several);
    if !deny.is_empty() {
        write_table(&mut out, &deny, several);
        let _ = writeln!(out);
    }

    let warn = rows(reports, Level::Warn, several);
    if !warn.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n",
            plural(summary.warn, "warning", "warnings")
        );
        write_table(&mut out, &warn, several);
        let _ = writeln!(out, "\n</details>\n");
    }

    if summary.not_audited > 0 {
        let _ = writeln!(
            out,
            "<details><summary>{} not audited</summary>\n",
            plural(summary.not_audited, "package", "packages")
        );
        let _ = writeln!(out, "| Package | Version | Class | Reason |");
        let _ = writeln!(out, "|---|---|---|---|");
        for report in reports {
            for skipped in &report.not_audited {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    escape(&skipped.name),
                    escape(skipped.version.as_deref().unwrap_or("—")),
                    skipped.class.as_str(),
                    escape(&skipped.reason)
                );
            }
        }
        let _ = writeln!(out, "\n</details>\n");
    }

    let problems: Vec<String> = reports
        .iter()
        .flat_map(|report| report.warnings.iter().map(|warning| escape(warning)))
        .chain(data.warnings.iter().map(|warning| escape(warning)))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n",
            plural(problems.len(), "input warning", "input warnings")
        );
        for problem in problems {
            let _ = writeln!(out, "- {problem}");
        }
        let _ = writeln!(out, "\n</details>\n");
    }

    let _ = writeln!(out, "{}", sources_line(data));
    out
}

/// `## ❌ pyaudit lock failed: 1 deny, 0 warn in 14 audited packages (1 not audited)`: the verdict
/// is the exit status (`failed` exactly when a deny finding exits 1).
pub fn headline(reports: &[LockReport]) -> String {
    let summary = lock_summary(reports);
    let (icon, verdict) = if reports.iter().any(LockReport::denied) {
        ("❌", "failed")
    } else {
        ("✅", "passed")
    };
    let mut line = format!(
        "## {icon} pyaudit lock {verdict}: {} deny, {} warn in {}",
        summary.deny,
        summary.warn,
        plural(summary.audited, "audited package", "audited packages")
    );
    if summary.lockfiles > 1 {
        line.push_str(&format!(" across {} lockfiles", summary.lockfiles));
    }
    if summary.not_audited > 0 {
        line.push_str(&format!(" ({} not audited)", summary.not_audited));
    }
    line
}

/// A table row and how many findings it stands for.
struct Row {
    text: String,
    findings: usize,
}

/// The rows of one level: a row per finding, except unchecked packages, which share a row per
/// rule and cause (a service outage must not turn into one row per package).
fn rows(reports: &[LockReport], level: Level, several: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for report in reports {
        let at_level = || {
            report
                .findings
                .iter()
                .filter(move |finding| finding.level == level)
        };
        for group in super::unchecked_groups(at_level()) {
            rows.push(Row {
                text: unchecked_row(report, &group, several),
                findings: group.packages.len(),
            });
        }
        for finding in at_level() {
            if !matches!(finding.evidence, Evidence::Unchecked { .. }) {
                rows.push(Row {
                    text: row(report, finding, several),
                    findings: 1,
                });
            }
        }
    }
    rows
}

/// Where the rows stop: GitHub refuses a comment over 65,536 characters, so the tables stop
/// short of it and say how many findings the JSON or SARIF report has beyond them.
const TABLE_BUDGET: usize = 60_000;

fn write_table(out: &mut String, rows: &[Row], several: bool) {
    if several {
        let _ = writeln!(
            out,
            "| Lockfile | Package | Version | Class | Finding | Severity | Fix |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    } else {
        let _ = writeln!(
            out,
            "| Package | Version | Class | Finding | Severity | Fix |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
    }
    for (shown, row) in rows.iter().enumerate() {
        if out.len() + row.text.len() > TABLE_BUDGET {
            let left: usize = rows[shown..].iter().map(|row| row.findings).sum();
            let _ = writeln!(
                out,
                "\n… and {} not shown, to keep this comment within GitHub's size limit; the \
                 JSON or SARIF report (`--format json|sarif`) lists every finding.",
                plural(left, "more finding", "more findings")
            );
            return;
        }
        let _ = writeln!(out, "{}", row.text);
    }
}

/// How many packages an unchecked row names before `and N more`.
const UNCHECKED_NAMES_SHOWN: usize = 10;

/// `| 470 packages: a, b, … | — | — | `PA004` unchecked: … | — | fix |`.
fn unchecked_row(report: &LockReport, group: &super::UncheckedGroup<'_>, several: bool) -> String {
    let mut cells = Vec::new();
    if several {
        cells.push(escape(&report.path));
    }
    cells.push(format!(
        "{}: {}",
        plural(group.packages.len(), "package", "packages"),
        escape(&super::abbreviated_list(
            &group.packages,
            UNCHECKED_NAMES_SHOWN
        ))
    ));
    cells.push("—".to_string());
    cells.push("—".to_string());
    cells.push(format!(
        "`{}` unchecked: {}",
        group.finding.code,
        escape(group.reason)
    ));
    cells.push("—".to_string());
    cells.push(
        group
            .finding
            .fix
            .as_ref()
            .map_or_else(|| "—".to_string(), |fix| escape(&fix.description)),
    );
    format!("| {} |", cells.join(" | "))
}

/// One table row: `| idna | 3.6 | prod | [PYSEC-2024-60](…), [CVE-…](…) | MEDIUM 6.2 | … |`.
pub fn row(report: &LockReport, finding: &Finding, with_lockfile: bool) -> String {
    let package = &finding.package;
    let mut class = package.class.as_str().to_string();
    if package.direct {
        class.push_str(", direct");
    }
    let (ids, severity) = match &finding.evidence {
        Evidence::Vulnerability { vulnerability } => {
            let mut ids = vec![vulnerability.id.as_str()];
            ids.extend(
                vulnerability
                    .ids
                    .iter()
                    .map(String::as_str)
                    .filter(|id| *id != vulnerability.id),
            );
            let links: Vec<String> = ids.iter().map(|id| link(id)).collect();
            let severity = if vulnerability.malicious {
                "**malicious**".to_string()
            } else {
                match &vulnerability.severity {
                    Some(severity) => match severity.score {
                        Some(score) => {
                            format!("{} {score:.1}", severity.rating.as_str().to_uppercase())
                        }
                        None => severity.rating.as_str().to_uppercase(),
                    },
                    None => "—".to_string(),
                }
            };
            (links.join(", "), severity)
        }
        Evidence::Unchecked { reason } => (
            format!("`{}` unchecked: {}", finding.code, escape(reason)),
            "—".to_string(),
        ),
        _ => (
            format!(
                "`{}` {}: {}",
                finding.code,
                finding.rule,
                escape(&finding.message)
            ),
            "—".to_string(),
        ),
    };
    let fix = match &finding.fix {
        Some(fix) => {
            let mut text = match &fix.version {
                Some(version) => format!("upgrade to {}", escape(version)),
                None => escape(&fix.description),
            };
            if let Some(command) = &fix.command {
                text.push_str(&format!(": {}", code(command)));
            }
            text
        }
        None => "—".to_string(),
    };
    let mut cells = Vec::new();
    if with_lockfile {
        cells.push(escape(&report.path));
    }
    cells.push(escape(&package.name));
    cells.push(escape(package.version.as_deref().unwrap_or("—")));
    cells.push(class);
    cells.push(ids);
    cells.push(severity);
    cells.push(fix);
    format!("| {} |", cells.join(" | "))
}

/// A link to the id's OSV page: the id is escaped as link text, and `osv_url` percent-encodes
/// what could end the link target.
fn link(id: &str) -> String {
    format!("[{}]({})", escape(id), osv_url(id))
}

/// A code span that survives a table cell: backticks cannot be escaped inside one, so they are
/// replaced; `|` is escaped, which GFM honours even inside code spans in tables.
fn code(text: &str) -> String {
    let cleaned = text.replace('`', "'").replace('|', "\\|");
    let cleaned = cleaned.replace(['\n', '\r'], " ");
    format!("`{cleaned}`")
}

/// Escapes text for a table cell or list item: Markdown punctuation gets a backslash, HTML
/// specials become entities, line breaks become spaces.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '(' | ')' => {
                escaped.push('\\');
                escaped.push(character);
            }
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '\n' | '\r' => escaped.push(' '),
            other => escaped.push(other),
        }
    }
    escaped
}

fn sources_line(data: &VulnerabilityData) -> String {
    if data.sources.is_empty() {
        return "<sub>Advisory data: none used.</sub>".to_string();
    }
    let sources: Vec<String> = data
        .sources
        .iter()
        .map(|source| escape(&super::describe_source(source, data.audited_at)))
        .collect();
    format!("<sub>Advisory data: {}.</sub>", sources.join("; "))
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::PackageContext;
    use crate::graph::Class;
    use crate::lockfile::LockfileKind;

    fn unchecked(code: &'static str, level: Level, name: &str, reason: &str) -> Finding {
        Finding {
            code,
            rule: "unchecked",
            level,
            package: PackageContext {
                name: name.to_string(),
                version: Some("1.0".to_string()),
                class: Class::Prod,
                direct: false,
                path: Vec::new().into(),
                location: None,
            },
            message: String::new(),
            evidence: Evidence::Unchecked {
                reason: reason.to_string(),
            },
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>) -> LockReport {
        LockReport {
            path: "uv.lock".to_string(),
            kind: LockfileKind::UvLock,
            packages: findings.len(),
            audited: findings.len(),
            not_audited: Vec::new(),
            findings,
            ignored: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn unchecked_packages_share_a_row_per_rule_and_cause() {
        let mut findings: Vec<Finding> = (0..470)
            .map(|n| unchecked("PA004", Level::Warn, &format!("p{n:03}"), "offline"))
            .collect();
        findings.push(unchecked("PA001", Level::Deny, "q", "the OSV query failed"));
        let markdown = render_lock(&[report(findings)], &VulnerabilityData::default());
        let rows: Vec<&str> = markdown
            .lines()
            .filter(|line| line.starts_with("| ") && !line.starts_with("| Package"))
            .collect();
        assert_eq!(rows.len(), 2, "{markdown}");
        assert!(rows[0].starts_with("| 1 package: q==1.0 |"), "{}", rows[0]);
        assert!(
            rows[1].starts_with("| 470 packages: p000==1.0, p001==1.0,")
                && rows[1].contains("p009==1.0, and 460 more |"),
            "{}",
            rows[1]
        );
        assert!(markdown.contains("<summary>470 warnings</summary>"));
    }

    #[test]
    fn tables_stop_within_a_comment_and_count_what_they_leave_out() {
        // Every finding its own cause: one row each.
        let findings: Vec<Finding> = (0..3_000)
            .map(|n| {
                unchecked(
                    "PA001",
                    Level::Deny,
                    &format!("package-{n}"),
                    &format!("cause {n} {}", "x".repeat(40)),
                )
            })
            .collect();
        let markdown = render_lock(&[report(findings)], &VulnerabilityData::default());
        assert!(markdown.len() < 65_536, "{}", markdown.len());
        let shown = markdown
            .lines()
            .filter(|line| line.starts_with("| 1 package"))
            .count();
        assert!(shown > 100, "{shown}");
        assert!(
            markdown.contains(&format!("… and {} more findings not shown", 3_000 - shown)),
            "{markdown}"
        );
    }

    #[test]
    fn cells_escape_markdown_and_html() {
        assert_eq!(
            escape("a|b *c* <script> [x](y)\nz"),
            "a\\|b \\*c\\* &lt;script&gt; \\[x\\]\\(y\\) z"
        );
        assert_eq!(code("pip install `x` | y"), "`pip install 'x' \\| y`");
        assert_eq!(
            link("PYSEC-2024-60"),
            "[PYSEC-2024-60](https://osv.dev/vulnerability/PYSEC-2024-60)"
        );
    }
}
