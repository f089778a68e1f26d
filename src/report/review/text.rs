//! `pyaudit review` for people: the request and target, the tree with the versions chosen and
//! the markers taken, what did not resolve, each package's release facts, the findings (as
//! `pyaudit lock` shows them), then the verdict with its reasons.

use std::fmt::Write;

use super::{
    APPROXIMATION_NOTE, Review, date, history_line, license_words, package_facts, tree_lines,
};
use crate::review::Decision;
use crate::review::cadence::{Cadence, describe_days};
use crate::review::resolve::RequirementsFrom;

pub fn render(review: &Review<'_>, colour: bool) -> String {
    crate::sanitize::coloured_output_safe(&render_raw(review, colour), colour).into_owned()
}

fn render_raw(review: &Review<'_>, colour: bool) -> String {
    let bold = |text: &str| {
        if colour {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let environment = review.environment;
    let _ = writeln!(
        out,
        "{} for CPython {} on {}",
        bold(&format!("review of {}", review.resolution.request)),
        environment.python_full_version,
        environment.platform.as_str()
    );
    let _ = writeln!(out, "note: {APPROXIMATION_NOTE}");
    let _ = writeln!(out);

    let lines = tree_lines(review.graph);
    if lines.is_empty() {
        let _ = writeln!(out, "nothing resolved");
    }
    for line in &lines {
        let mut text = format!("{}{}", line.prefix, line.name);
        if !line.extras.is_empty() {
            let _ = write!(text, "[{}]", line.extras.join(","));
        }
        if let Some(version) = &line.version {
            let _ = write!(text, "=={version}");
        }
        if let Some(extra) = &line.via_extra {
            let _ = write!(text, " (extra: {extra})");
        }
        if let Some(marker) = &line.marker {
            let _ = write!(text, " ; {marker}");
        }
        if line.repeated {
            text.push_str(" (*)");
        }
        let _ = writeln!(out, "{text}");
    }
    if !review.resolution.unresolved.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", bold("unresolved"));
        for entry in &review.resolution.unresolved {
            let _ = writeln!(
                out,
                "  {} (required by {}): {}",
                entry.requirement, entry.required_by, entry.reason
            );
        }
    }

    let facts = package_facts(review);
    let _ = writeln!(out);
    let _ = writeln!(out, "data: {}", super::sources_line(review));
    let _ = writeln!(out, "{}", bold(&format!("packages ({})", facts.len())));
    for fact in &facts {
        let mut details = Vec::new();
        if fact.already_locked {
            details.push("already in the lock: not evaluated".to_owned());
        }
        if fact.yanked {
            details.push("YANKED".to_owned());
        }
        match fact.vulnerabilities {
            Some(0) => details.push(match super::advisory_as_of(review) {
                Some(as_of) => format!("no known vulnerabilities (advisory data as of {as_of})"),
                None => "no known vulnerabilities".to_owned(),
            }),
            Some(1) => details.push("1 known vulnerability".to_owned()),
            Some(count) => details.push(format!("{count} known vulnerabilities")),
            None if !fact.already_locked => details.push("vulnerabilities not checked".to_owned()),
            None => {}
        }
        if let Some(released) = fact.released {
            details.push(format!("released {}", date(released)));
        }
        if let Some(newest) = &fact.newest_version
            && *newest != fact.version
        {
            details.push(format!("newest {newest}"));
        }
        if fact.project_status != "active" {
            details.push(format!("status {}", fact.project_status));
        }
        if let Some(license) = license_words(fact) {
            details.push(format!("license {license}"));
        }
        details.push(match &fact.requirements_from {
            RequirementsFrom::CoreMetadata { .. } => "requirements from its METADATA".to_owned(),
            RequirementsFrom::ProjectJson { metadata_failed } => format!(
                "requirements from PyPI's project JSON ({})",
                super::metadata_failed_words(metadata_failed.as_deref())
            ),
            RequirementsFrom::ReleaseJson {
                metadata_failed, ..
            } => format!(
                "requirements from PyPI's JSON for {} ({})",
                fact.version,
                super::metadata_failed_words(metadata_failed.as_deref())
            ),
            RequirementsFrom::Unknown { .. } => "requirements UNKNOWN".to_owned(),
            RequirementsFrom::Request => String::new(),
        });
        let _ = writeln!(
            out,
            "  {}=={}: {}",
            fact.name,
            fact.version,
            details.join("; ")
        );
        if let Some(held_back) = &fact.held_back {
            let _ = writeln!(out, "      cooldown: {}", super::held_back_line(held_back));
        }
        if !fact.already_locked {
            let _ = writeln!(out, "      advisories: {}", history_line(fact));
        }
        if let Some(cadence) = &fact.cadence {
            let _ = writeln!(out, "      releases: {}", cadence_line(cadence));
        }
        if !fact.skipped_by_markers.is_empty() {
            let _ = writeln!(
                out,
                "      not for this target: {}",
                fact.skipped_by_markers.join(" | ")
            );
        }
    }
    if let Some(path) = review.against {
        let _ = writeln!(
            out,
            "  compared with {}: {} new, {} already locked",
            path.display(),
            facts.len() - review.already_locked.len(),
            review.already_locked.len()
        );
    }

    let _ = writeln!(out);
    out.push_str(&crate::report::text::render_lock(
        std::slice::from_ref(review.report),
        review.data,
        review.now_millis,
        colour,
    ));

    let _ = writeln!(out);
    let verdict = review.verdict;
    let word = match verdict.decision {
        Decision::Approve => "APPROVE",
        Decision::Incomplete => "INCOMPLETE (could not check)",
        Decision::NeedsReview => "NEEDS REVIEW",
        Decision::Deny => "DENY",
    };
    let _ = writeln!(out, "{}", bold(&format!("verdict: {word}")));
    if verdict.reasons.is_empty() {
        let _ = writeln!(
            out,
            "  every package resolved and was checked; no finding at warn or deny level"
        );
    }
    for reason in &verdict.reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    out
}

/// `first 2011-02-14 (15 years ago), last 2024-05-29 (180 days ago); 3 in the last 12 months;
/// median gap 30 days over 150 releases (2 yanked release(s) not counted)`.
fn cadence_line(cadence: &Cadence) -> String {
    let mut parts = Vec::new();
    match (cadence.first_release, cadence.age_days) {
        (Some(first), Some(age)) => parts.push(format!(
            "first {} ({} ago)",
            date(first),
            describe_days(age)
        )),
        _ => parts.push("no release with an upload time".to_owned()),
    }
    if let (Some(last), Some(since)) = (cadence.last_release, cadence.days_since_last_release) {
        parts.push(format!(
            "last {} ({} ago)",
            date(last),
            describe_days(since)
        ));
    }
    let mut line = parts.join(", ");
    let _ = write!(
        line,
        "; {} in the last 12 months",
        cadence.releases_last_12_months
    );
    match cadence.median_gap_days {
        Some(gap) => {
            let _ = write!(
                line,
                "; median gap {} over {} releases",
                describe_days(gap),
                cadence.releases
            );
        }
        None => {
            let _ = write!(line, "; {} release(s), no gap to measure", cadence.releases);
        }
    }
    if let Some(left_out) = cadence.left_out() {
        let _ = write!(line, " ({left_out})");
    }
    line
}
