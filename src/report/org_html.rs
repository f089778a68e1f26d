//! `pyaudit org --format html`: one self-contained page (inline CSS and SVG, no script, nothing
//! loaded from the network) with the data sources and their age, the org summary, the
//! night-over-night history chart, the changes since the previous run, advisories grouped per
//! package version (each advisory, repository and path one click away), repositories by risk,
//! the license census,
//! the maintenance census and the unreadable lockfiles. Every piece of text is escaped: advisory
//! summaries and package names are untrusted input.

use std::fmt::Write;

use crate::org::advisory_groups;
use crate::org::analysis::{AdvisoryImpact, CensusState};
use crate::org::report::OrgReport;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;\
padding:0 1em;color:#1b1f24}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{text-align:left;padding:.3em .6em;\
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f8fa}td.n{text-align:right}\
.deny{color:#b00020;font-weight:600}.warn{color:#9a6700}.ok{color:#1a7f37}\
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;\
padding:.6em 1em}.card b{display:block;font-size:1.5em}code{font-size:.92em}\
details summary{cursor:pointer}.muted{color:#666}\
.sources{border:1px solid #d0d7de;border-left:4px solid #0969da;border-radius:6px;background:#f6f8fa;\
padding:.4em 1em;margin:1em 0}.sources h2{margin:.3em 0;border:0;font-size:1.1em}\
svg.history{max-width:100%;height:auto}svg.history .axis line{stroke:#888}\
svg.history text{font-size:11px;fill:#555}svg.history polyline{fill:none;stroke-width:2}\
.series.deny polyline,.series.deny circle{stroke:#b00020;fill:#b00020}\
.series.warn polyline,.series.warn circle{stroke:#9a6700;fill:#9a6700}\
.series.failing polyline,.series.failing circle{stroke:#1b1f24;fill:#1b1f24}\
.series polyline{fill:none!important}.key.deny{color:#b00020}.key.warn{color:#9a6700}";

/// Escape text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The first `limit` items, then how many more.
fn list_head(items: &[String], limit: usize) -> String {
    let mut text = items
        .iter()
        .take(limit)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > limit {
        let _ = write!(text, " and {} more", items.len() - limit);
    }
    text
}

fn level_class(level: &str) -> &'static str {
    match level {
        "deny" => "deny",
        "warn" => "warn",
        _ => "muted",
    }
}

pub fn render(report: &OrgReport) -> String {
    crate::sanitize::terminal_safe(&render_raw(report)).into_owned()
}

fn render_raw(report: &OrgReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    for section in [
        headline,
        history,
        since_last,
        advisories,
        repositories_by_risk,
        license_census,
        maintenance_census,
        unreadable,
    ] {
        section(&mut out, report);
    }
    let _ = writeln!(out, "</body></html>");
    out
}

/// The document head, the data sources and their age, and the summary cards.
fn headline(out: &mut String, report: &OrgReport) {
    let summary = &report.analysis.summary;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>pyaudit org report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(
        out,
        "<h1>pyaudit org report</h1><p class=\"muted\">{} · roots: {}</p>",
        super::rfc3339_from_unix_millis(report.generated_at),
        escape(&report.roots.join(", "))
    );
    for line in super::org_shard_lines(report) {
        let class = if line.starts_with("merged from") || line.starts_with("shard ") {
            "muted"
        } else {
            "deny"
        };
        let _ = writeln!(out, "<p class=\"shards {class}\">{}</p>", escape(&line));
    }
    // The data sources and their age come first: a verdict is only as good as the data behind it.
    let (sources, not_run) = super::org_provenance(report);
    let _ = writeln!(
        out,
        "<section class=\"sources\" id=\"data-sources\"><h2>Data sources and their age</h2><ul>"
    );
    if sources.is_empty() {
        let _ = writeln!(out, "<li class=\"deny\">none used</li>");
    }
    for source in &sources {
        let _ = writeln!(out, "<li>{}</li>", escape(source));
    }
    let _ = writeln!(
        out,
        "</ul><p class=\"not-run\"><b>Not run:</b> {}.</p></section>",
        escape(not_run)
    );
    let _ = writeln!(out, "<div class=\"cards\" id=\"summary\">");
    for (label, value, class) in [
        ("repositories", summary.repositories, ""),
        (
            "failing",
            summary.repositories_failing,
            if summary.repositories_failing > 0 {
                "deny"
            } else {
                "ok"
            },
        ),
        ("lockfiles", summary.lockfiles, ""),
        ("unreadable", summary.unreadable, ""),
        ("lock entries", summary.packages, ""),
        ("unique packages", summary.unique_packages, ""),
        ("deny findings", summary.deny, "deny"),
        ("warn findings", summary.warn, "warn"),
        ("advisories", report.analysis.advisories.len(), ""),
    ] {
        let _ = writeln!(
            out,
            "<div class=\"card\"><b class=\"{class}\" data-key=\"{label}\">{value}</b>{label}</div>"
        );
    }
    let _ = writeln!(out, "</div>");
}

/// What changed since the previous run of the same roots.
fn since_last(out: &mut String, report: &OrgReport) {
    let _ = writeln!(out, "<h2 id=\"since-last\">Since the last run</h2>");
    match &report.since_last {
        None => {
            let _ = writeln!(
                out,
                "<p class=\"muted\">First recorded run of these roots.</p>"
            );
        }
        Some(diff) => {
            let _ = writeln!(
                out,
                "<p>Previous run {}: <b>{}</b> new, <b>{}</b> fixed, <b>{}</b> changed findings; \
                 {} new repositories ({}), {} removed ({}).</p>",
                super::rfc3339_from_unix_millis(diff.previous_run),
                diff.new.len(),
                diff.fixed.len(),
                diff.changed.len(),
                diff.new_repositories.len(),
                escape(&diff.new_repositories.join(", ")),
                diff.removed_repositories.len(),
                escape(&diff.removed_repositories.join(", ")),
            );
            for (title, entries) in [
                ("new", &diff.new),
                ("fixed", &diff.fixed),
                ("changed", &diff.changed),
            ] {
                if entries.is_empty() {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "<details{}><summary>{} {title}</summary><table><tr><th>repository</th>\
                     <th>finding</th><th>level</th></tr>",
                    if title == "new" { " open" } else { "" },
                    entries.len()
                );
                for entry in entries {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td><code>{}</code></td><td class=\"{}\">{}{}</td></tr>",
                        escape(&entry.repository),
                        escape(&entry.key),
                        level_class(&entry.level),
                        escape(&entry.level),
                        entry
                            .previous_level
                            .as_ref()
                            .map(|previous| format!(" (was {})", escape(previous)))
                            .unwrap_or_default()
                    );
                }
                let _ = writeln!(out, "</table></details>");
            }
        }
    }
}

/// The night-over-night history the cache keeps, as an inline SVG chart.
fn history(out: &mut String, report: &OrgReport) {
    let _ = writeln!(out, "<h2 id=\"history\">Night over night</h2>");
    match super::org_chart::history_svg(&report.history) {
        Some(svg) => {
            let _ = writeln!(
                out,
                "<figure>{svg}<figcaption>{} · the last {} of these roots (the cache keeps {})\
                 </figcaption></figure>",
                super::org_chart::legend(),
                match report.history.len() {
                    1 => "run".to_string(),
                    runs => format!("{runs} runs"),
                },
                crate::org::history::KEEP_RUNS
            );
        }
        None => {
            let _ = writeln!(
                out,
                "<p class=\"muted\">No history: a shard is not compared with earlier runs; \
                 the merged report (`pyaudit org-merge`) has it.</p>"
            );
        }
    }
}

/// Advisories grouped per affected package version, by blast radius; each advisory and where it
/// reaches stays one click away.
fn advisories(out: &mut String, report: &OrgReport) {
    let groups = advisory_groups::group(&report.analysis.advisories);
    let _ = writeln!(
        out,
        "<h2 id=\"advisories\">Advisories by package</h2><p class=\"muted\">One row per affected \
         package version: its advisories, the highest severity and the one version that fixes \
         them all. Open a row for each advisory and where it reaches.</p>\
         <table><tr><th>package</th><th>repositories</th><th>prod</th></tr>"
    );
    for group in &groups {
        let label = group.label();
        let _ = writeln!(
            out,
            "<tr class=\"advisory-group\"><td><b>{}</b>{}<details><summary>{} advisor{}</summary>\
             <table><tr><th>advisory</th><th>severity</th><th>fix</th><th>repositories</th>\
             </tr>",
            escape(&label),
            escape(
                group
                    .headline()
                    .strip_prefix(label.as_str())
                    .unwrap_or_default()
            ),
            group.advisories.len(),
            if group.advisories.len() == 1 {
                "y"
            } else {
                "ies"
            },
        );
        for advisory in &group.advisories {
            advisory_row(out, advisory, group);
        }
        let _ = writeln!(
            out,
            "</table></details></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            group.repositories, group.prod_repositories,
        );
    }
    let _ = writeln!(out, "</table>");
}

/// One advisory inside a package group, with where it reaches that package version.
fn advisory_row(
    out: &mut String,
    advisory: &AdvisoryImpact,
    group: &advisory_groups::AdvisoryGroup,
) {
    let reaches: Vec<_> = advisory
        .reaches
        .iter()
        .filter(|reach| reach.package == group.package && reach.version == group.version)
        .collect();
    let _ = writeln!(
        out,
        "<tr class=\"advisory\"><td><a href=\"{}\">{}</a> <span class=\"muted\">{}</span>\
         <br>{}<details><summary>{} reach(es)</summary><table><tr><th>repository</th>\
         <th>lockfile</th><th>class</th><th>path</th></tr>",
        escape(&super::osv_url(&advisory.id)),
        escape(&advisory.id),
        escape(
            &advisory
                .ids
                .iter()
                .filter(|id| **id != advisory.id)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape(advisory.summary.as_deref().unwrap_or("")),
        reaches.len()
    );
    for reach in reaches {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&reach.repository),
            escape(&reach.lockfile),
            reach.class.as_str(),
            escape(&reach.path.join(" → "))
        );
    }
    let fix = advisory
        .fixes
        .get(&group.label())
        .cloned()
        .flatten()
        .unwrap_or_else(|| "none".to_string());
    let _ = writeln!(
        out,
        "</table></details></td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
        escape(&advisory_groups::severity_label(advisory)),
        escape(&fix),
        advisory.repositories,
    );
}

/// Repositories by risk.
fn repositories_by_risk(out: &mut String, report: &OrgReport) {
    let _ = writeln!(
        out,
        "<h2 id=\"risk\">Repositories by risk</h2><p class=\"muted\">Score: malicious 400, \
         critical 40, high 20, medium 8, low 3, unknown severity 10, other deny findings 5, warnings \
         1; production ×4, optional ×2, dev ×1.</p><table><tr><th>repository</th><th>score</th>\
         <th>deny</th><th>warn</th><th>vulnerabilities</th><th>malicious</th><th>unreadable</th></tr>"
    );
    for risk in &report.analysis.risk {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n deny\">{}</td>\
             <td class=\"n warn\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escape(&risk.repository),
            risk.score,
            risk.deny,
            risk.warn,
            risk.vulnerabilities,
            risk.malicious,
            risk.unreadable
        );
    }
    let _ = writeln!(out, "</table>");
}

/// Licenses over the unique packages.
fn license_census(out: &mut String, report: &OrgReport) {
    let _ = writeln!(out, "<h2 id=\"licenses\">License census</h2>");
    match &report.analysis.licenses {
        None => {
            let _ = writeln!(
                out,
                "<p class=\"muted\" data-key=\"census\">Census skipped: {}.</p>",
                escape(
                    report
                        .analysis
                        .census
                        .note
                        .as_deref()
                        .unwrap_or("no PyPI metadata")
                )
            );
        }
        Some(licenses) => {
            let _ = writeln!(
                out,
                "<table><tr><th>license</th><th>packages</th><th>repositories</th></tr>"
            );
            for license in licenses {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(&license.license),
                    license.packages,
                    license.repositories
                );
            }
            let _ = writeln!(out, "</table>");
        }
    }
}

/// Unmaintained, yanked and archived packages, and whether the census is complete.
fn maintenance_census(out: &mut String, report: &OrgReport) {
    let _ = writeln!(
        out,
        "<h2 id=\"maintenance\">Unmaintained, yanked and archived</h2>"
    );
    if report.analysis.maintenance.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{}.</p>",
            if report.analysis.licenses.is_none() {
                "Skipped (`--no-census`)"
            } else {
                "None"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>rule</th><th>package</th><th>what</th><th>repositories</th></tr>"
        );
        for entry in &report.analysis.maintenance {
            let _ = writeln!(
                out,
                "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{} ({})</td></tr>",
                entry.code,
                entry.rule,
                escape(&format!(
                    "{}=={}",
                    entry.package,
                    entry.version.as_deref().unwrap_or("?")
                )),
                escape(&entry.message),
                entry.repositories.len(),
                escape(&entry.repositories.join(", "))
            );
        }
        let _ = writeln!(out, "</table>");
    }

    let census = &report.analysis.census;
    if census.state == CensusState::Partial {
        let _ = writeln!(
            out,
            "<p class=\"warn\" data-key=\"census-unchecked\">Incomplete: {}{}{}</p>",
            escape(census.note.as_deref().unwrap_or("")),
            if census.unchecked_packages.is_empty() {
                ""
            } else {
                " — "
            },
            escape(&list_head(&census.unchecked_packages, 50))
        );
    }
}

/// Lockfiles and configs that could not be read.
fn unreadable(out: &mut String, report: &OrgReport) {
    let errors: Vec<_> = report
        .repositories
        .iter()
        .flat_map(|repository| {
            repository
                .errors
                .iter()
                .map(move |error| (&repository.name, error))
        })
        .collect();
    let _ = writeln!(out, "<h2 id=\"errors\">Unreadable lockfiles</h2>");
    if errors.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">None.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>repository</th><th>file</th><th>error</th></tr>"
        );
        for (repository, error) in errors {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                escape(repository),
                escape(&error.path),
                escape(&error.message)
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(\"x\")</script>&'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }
}
