//! `pyaudit org --format text`: the org audit for a terminal — the headline numbers, what changed
//! since the previous run, the advisories with the widest blast radius, the riskiest
//! repositories, and the license and maintenance censuses. Coloured like `pyaudit lock`'s text
//! report when the caller says so (a terminal, no `NO_COLOR`). The JSON and HTML reports have
//! every row; this one shows the top of each list.

use std::fmt::Write;

use super::text::Paint;
use crate::findings::Level;
use crate::org::analysis::CensusState;
use crate::org::history::DiffEntry;
use crate::org::report::OrgReport;

/// How many rows each list shows.
const TOP: usize = 10;

pub fn render(report: &OrgReport, colour: bool) -> String {
    crate::sanitize::coloured_output_safe(&render_raw(report, colour), colour).into_owned()
}

fn render_raw(report: &OrgReport, colour: bool) -> String {
    let paint = Paint(colour);
    let mut out = String::new();
    for section in [
        headline,
        night_over_night,
        advisories,
        repositories_by_risk,
        censuses,
        unreadable,
    ] {
        section(&mut out, paint, report);
    }
    out
}

/// The verdict, the totals, and where the data came from.
fn headline(out: &mut String, paint: Paint, report: &OrgReport) {
    let summary = &report.analysis.summary;
    let verdict = if summary.repositories_failing > 0 {
        paint.wrap(
            "1;31",
            &format!(
                "{} of {} repositories fail",
                summary.repositories_failing, summary.repositories
            ),
        )
    } else {
        paint.wrap(
            "1;32",
            &format!("{} repositories pass", summary.repositories),
        )
    };
    let _ = writeln!(out, "{} {verdict}", paint.bold("pyaudit org:"));
    for line in super::org_shard_lines(report) {
        let colour = if line.starts_with("merged from") {
            "0"
        } else {
            "1;31"
        };
        let _ = writeln!(out, "{}", paint.wrap(colour, &line));
    }
    let _ = writeln!(
        out,
        "{} lockfiles ({} unreadable), {} lock entries, {} unique packages; {} deny, {} warn",
        summary.lockfiles,
        summary.unreadable,
        summary.packages,
        summary.unique_packages,
        paint.wrap("31", &summary.deny.to_string()),
        paint.wrap("33", &summary.warn.to_string()),
    );

    let (sources, not_run) = super::org_provenance(report);
    let _ = writeln!(
        out,
        "data: {}",
        if sources.is_empty() {
            "no advisory data used".to_owned()
        } else {
            sources.join("; ")
        }
    );
    let _ = writeln!(out, "{}: {not_run}", paint.wrap("33", "not run"));
}

/// What changed since the previous run of the same roots.
fn night_over_night(out: &mut String, paint: Paint, report: &OrgReport) {
    let _ = writeln!(out);
    match &report.since_last {
        Some(diff) => {
            let _ = writeln!(
                out,
                "{} (previous run {}): {} new, {} fixed, {} changed; {} new and {} removed repositories",
                paint.bold("Since the last run"),
                super::rfc3339_from_unix_millis(diff.previous_run),
                diff.new.len(),
                diff.fixed.len(),
                diff.changed.len(),
                diff.new_repositories.len(),
                diff.removed_repositories.len()
            );
            for (title, entries) in [
                ("new", &diff.new),
                ("fixed", &diff.fixed),
                ("changed", &diff.changed),
            ] {
                diff_entries(out, paint, title, entries);
            }
            for (title, names) in [
                ("new repositories", &diff.new_repositories),
                ("removed repositories", &diff.removed_repositories),
            ] {
                if !names.is_empty() {
                    let _ = writeln!(out, "  {title}: {}", names.join(", "));
                }
            }
        }
        None => {
            let _ = writeln!(
                out,
                "{}",
                paint.dim("First recorded run of these roots: nothing to compare with.")
            );
        }
    }
}

/// Advisories grouped per affected package version (one upgrade each), by blast radius:
/// repositories reached in production, and at all.
fn advisories(out: &mut String, paint: Paint, report: &OrgReport) {
    let groups = crate::org::advisory_groups::group(&report.analysis.advisories);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} ({} advisories in {} package versions; repositories reached in production / at all)",
        paint.bold("Advisories by package"),
        report.analysis.advisories.len(),
        groups.len()
    );
    if groups.is_empty() {
        let _ = writeln!(out, "  {}", paint.dim("none"));
    }
    for group in groups.iter().take(TOP) {
        let _ = writeln!(
            out,
            "  {:>4} / {:<4} {}",
            group.prod_repositories,
            group.repositories,
            paint.bold(&one_line(&group.headline())),
        );
        let ids: Vec<&str> = group
            .advisories
            .iter()
            .map(|advisory| advisory.id.as_str())
            .collect();
        let shown = ids.iter().take(8).copied().collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "              {}",
            paint.dim(&one_line(&if ids.len() > 8 {
                format!("{shown} and {} more", ids.len() - 8)
            } else {
                shown
            }))
        );
        // The most severe advisory's summary says what the upgrade is about.
        if let Some(summary) = group
            .advisories
            .first()
            .and_then(|top| top.summary.as_deref())
        {
            let _ = writeln!(out, "              {}", paint.dim(&one_line(summary)));
        }
    }
    more(out, paint, groups.len());
}

/// Repositories with findings or unreadable lockfiles, riskiest first.
fn repositories_by_risk(out: &mut String, paint: Paint, report: &OrgReport) {
    let analysis = &report.analysis;
    let risky: Vec<_> = analysis
        .risk
        .iter()
        .filter(|risk| risk.score > 0 || risk.unreadable > 0)
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} ({} with findings or unreadable lockfiles)",
        paint.bold("Repositories by risk"),
        risky.len()
    );
    if risky.is_empty() {
        let _ = writeln!(out, "  {}", paint.dim("none"));
    }
    for risk in risky.iter().take(TOP) {
        let _ = writeln!(
            out,
            "  {:>6}  {}  {} {}, {} {}, {}{}{}",
            risk.score,
            paint.bold(&risk.repository),
            risk.deny,
            paint.level(Level::Deny),
            risk.warn,
            paint.level(Level::Warn),
            match risk.vulnerabilities {
                1 => "1 vulnerability".to_string(),
                count => format!("{count} vulnerabilities"),
            },
            if risk.malicious > 0 {
                paint.wrap("1;31", &format!(", {} malicious", risk.malicious))
            } else {
                String::new()
            },
            if risk.unreadable > 0 {
                format!(", {} unreadable", risk.unreadable)
            } else {
                String::new()
            }
        );
    }
    more(out, paint, risky.len());
}

/// The license census and the maintenance census.
fn censuses(out: &mut String, paint: Paint, report: &OrgReport) {
    let analysis = &report.analysis;
    let census = &analysis.census;
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", paint.bold("License census"));
    match &analysis.licenses {
        None => {
            let _ = writeln!(
                out,
                "  {}",
                paint.dim(&format!(
                    "skipped: {}",
                    census.note.as_deref().unwrap_or("no PyPI metadata")
                ))
            );
        }
        Some(licenses) => {
            let _ = writeln!(out, "  {}", paint.dim("packages  repositories  license"));
            for license in licenses.iter().take(TOP) {
                let name = if license.license == "unchecked" || license.license == "unknown" {
                    paint.wrap("33", &license.license)
                } else {
                    license.license.clone()
                };
                let _ = writeln!(
                    out,
                    "  {:>8}  {:>12}  {name}",
                    license.packages, license.repositories
                );
            }
            more(out, paint, licenses.len());
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} ({})",
        paint.bold("Unmaintained, yanked and archived"),
        analysis.maintenance.len()
    );
    if census.state == CensusState::Skipped {
        let _ = writeln!(out, "  {}", paint.dim("skipped"));
    } else if analysis.maintenance.is_empty() {
        let _ = writeln!(out, "  {}", paint.dim("none"));
    }
    for entry in analysis.maintenance.iter().take(TOP) {
        let _ = writeln!(
            out,
            "  {} {} {} — {} repositories",
            paint.wrap("33", entry.code),
            entry.rule,
            one_line(&entry.message),
            entry.repositories.len()
        );
    }
    more(out, paint, analysis.maintenance.len());
    if census.state == CensusState::Partial
        && let Some(note) = &census.note
    {
        let _ = writeln!(
            out,
            "  {}",
            paint.wrap("33", &format!("incomplete: {note}"))
        );
    }
}

/// Lockfiles and configs that could not be read.
fn unreadable(out: &mut String, paint: Paint, report: &OrgReport) {
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
    if !errors.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} ({})",
            paint.bold("Could not be read"),
            errors.len()
        );
        for (repository, error) in errors.iter().take(TOP) {
            let _ = writeln!(
                out,
                "  {repository}: {}: {}",
                error.path,
                one_line(&error.message)
            );
        }
        more(out, paint, errors.len());
    }
}

fn diff_entries(out: &mut String, paint: Paint, title: &str, entries: &[DiffEntry]) {
    for entry in entries.iter().take(TOP) {
        let level = match entry.level.as_str() {
            "deny" => paint.level(Level::Deny),
            "warn" => paint.level(Level::Warn),
            other => other.to_string(),
        };
        let _ = writeln!(
            out,
            "  {title:<7} {level} {} {}{}",
            entry.repository,
            entry.key,
            entry
                .previous_level
                .as_ref()
                .map(|previous| format!(" (was {previous})"))
                .unwrap_or_default()
        );
    }
    if entries.len() > TOP {
        let _ = writeln!(
            out,
            "  {}",
            paint.dim(&format!("… and {} more {title}", entries.len() - TOP))
        );
    }
}

fn more(out: &mut String, paint: Paint, total: usize) {
    if total > TOP {
        let _ = writeln!(
            out,
            "  {}",
            paint.dim(&format!(
                "… and {} more in the JSON and HTML reports",
                total - TOP
            ))
        );
    }
}

/// Untrusted text (advisory summaries, messages) on one line, without control characters that
/// could move the cursor or recolour the terminal.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect()
}
