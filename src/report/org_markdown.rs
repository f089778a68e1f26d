//! `pyaudit org --format markdown`: a short summary for a chat channel — the headline numbers,
//! what changed since the previous run, the advisories reaching the most repositories and the
//! riskiest repositories. With `--since-last`, only the headline and the changes.

use std::fmt::Write;

use super::markdown::escape;
use crate::org::history::DiffEntry;
use crate::org::report::OrgReport;

/// How many rows each list shows; the JSON and HTML reports have them all.
const TOP: usize = 10;

pub fn render(report: &OrgReport, since_last_only: bool) -> String {
    crate::sanitize::terminal_safe(&render_raw(report, since_last_only)).into_owned()
}

fn render_raw(report: &OrgReport, since_last_only: bool) -> String {
    let summary = &report.analysis.summary;
    let mut out = String::new();
    let verdict = if summary.repositories_failing > 0 {
        format!(
            "❌ {} of {} repositories fail",
            summary.repositories_failing, summary.repositories
        )
    } else {
        format!("✅ {} repositories pass", summary.repositories)
    };
    let _ = writeln!(out, "### pyaudit org: {verdict}\n");
    for line in super::org_shard_lines(report) {
        let mark = if line.starts_with("merged from") || line.starts_with("shard ") {
            ""
        } else {
            "⚠️ "
        };
        let _ = writeln!(out, "**{mark}{line}**\n");
    }
    let _ = writeln!(
        out,
        "{} lockfiles ({} unreadable), {} lock entries, {} unique packages; {} deny, {} warn.\n",
        summary.lockfiles,
        summary.unreadable,
        summary.packages,
        summary.unique_packages,
        summary.deny,
        summary.warn
    );
    let (sources, not_run) = super::org_provenance(report);
    let _ = writeln!(
        out,
        "<sub>Advisory data: {}.</sub>\n\n**Not run:** {not_run}.\n",
        if sources.is_empty() {
            "none used".to_owned()
        } else {
            super::markdown::escape(&sources.join("; "))
        }
    );
    match &report.since_last {
        Some(diff) => {
            let _ = writeln!(
                out,
                "**Since the last run** ({}): {} new, {} fixed, {} changed; {} new and {} removed \
                 repositories.\n",
                super::rfc3339_from_unix_millis(diff.previous_run),
                diff.new.len(),
                diff.fixed.len(),
                diff.changed.len(),
                diff.new_repositories.len(),
                diff.removed_repositories.len()
            );
            for (title, entries) in [
                ("New", &diff.new),
                ("Fixed", &diff.fixed),
                ("Changed", &diff.changed),
            ] {
                entries_list(&mut out, title, entries);
            }
        }
        None => {
            let _ = writeln!(out, "_First recorded run of these roots._\n");
        }
    }
    if since_last_only {
        return out;
    }
    census_line(&mut out, report);
    if !report.analysis.advisories.is_empty() {
        // One row per affected package version: the upgrade to make, not 25 advisory rows.
        let groups = crate::org::advisory_groups::group(&report.analysis.advisories);
        let _ = writeln!(
            out,
            "**Advisories by package**\n\n| package | advisories | repositories (prod) |\n|---|---|---|"
        );
        for group in groups.iter().take(TOP) {
            let ids: Vec<String> = group
                .advisories
                .iter()
                .map(|advisory| {
                    format!(
                        "[{}]({})",
                        escape(&advisory.id),
                        super::osv_url(&advisory.id)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {}{} | {} ({}) |",
                escape(&group.headline()),
                ids.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                if ids.len() > 5 {
                    format!(" and {} more", ids.len() - 5)
                } else {
                    String::new()
                },
                group.repositories,
                group.prod_repositories,
            );
        }
        more(&mut out, groups.len());
    }
    let risky: Vec<_> = report
        .analysis
        .risk
        .iter()
        .filter(|risk| risk.score > 0 || risk.unreadable > 0)
        .take(TOP)
        .collect();
    if !risky.is_empty() {
        let _ = writeln!(
            out,
            "**Riskiest repositories**\n\n| repository | score | deny | warn | vulnerabilities | unreadable |\n|---|---|---|---|---|---|"
        );
        for risk in risky {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&risk.repository),
                risk.score,
                risk.deny,
                risk.warn,
                risk.vulnerabilities + risk.malicious,
                risk.unreadable
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// One line on the censuses: the most common licenses, the maintenance problems, what could not
/// be checked — or that they were skipped.
fn census_line(out: &mut String, report: &OrgReport) {
    let analysis = &report.analysis;
    let Some(licenses) = &analysis.licenses else {
        let _ = writeln!(
            out,
            "_Censuses skipped: {}._\n",
            escape(
                analysis
                    .census
                    .note
                    .as_deref()
                    .unwrap_or("no PyPI metadata")
            )
        );
        return;
    };
    let top: Vec<String> = licenses
        .iter()
        .take(5)
        .map(|license| format!("{} {}", escape(&license.license), license.packages))
        .collect();
    let _ = writeln!(
        out,
        "**Census**: licenses {}; {} unmaintained / yanked / archived packages{}.\n",
        if top.is_empty() {
            "none".to_string()
        } else {
            top.join(", ")
        },
        analysis.maintenance.len(),
        analysis
            .census
            .note
            .as_ref()
            .map(|note| format!(" ({})", escape(note)))
            .unwrap_or_default()
    );
}

fn entries_list(out: &mut String, title: &str, entries: &[DiffEntry]) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for entry in entries.iter().take(TOP) {
        let _ = writeln!(
            out,
            "- {} `{}` ({}{})",
            escape(&entry.repository),
            entry.key.replace('`', "'"),
            entry.level,
            entry
                .previous_level
                .as_ref()
                .map(|previous| format!(", was {previous}"))
                .unwrap_or_default()
        );
    }
    if entries.len() > TOP {
        let _ = writeln!(out, "- … and {} more", entries.len() - TOP);
    }
    let _ = writeln!(out);
}

fn more(out: &mut String, total: usize) {
    if total > TOP {
        let _ = writeln!(out, "\n… and {} more in the full report.", total - TOP);
    }
    let _ = writeln!(out);
}
