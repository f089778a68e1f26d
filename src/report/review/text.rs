//! `pyaudit review` for people: the request and target, the tree with the versions chosen and
//! the markers taken, what did not resolve, each package's release facts, the findings (as
//! `pyaudit lock` shows them), then the verdict with its reasons.

use std::fmt::Write;

use super::{APPROXIMATION_NOTE, Review, date, package_facts, tree_lines};
use crate::review::Decision;
use crate::review::resolve::RequirementsFrom;

pub fn render(review: &Review<'_>, colour: bool) -> String {
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
            Some(0) => details.push("no known vulnerabilities".to_owned()),
            Some(1) => details.push("1 known vulnerability".to_owned()),
            Some(count) => details.push(format!("{count} known vulnerabilities")),
            None if !fact.already_locked => details.push("vulnerabilities not checked".to_owned()),
            None => {}
        }
        if let Some(released) = fact.released {
            details.push(format!("released {}", date(released)));
        }
        if let (Some(recent), Some(total)) = (fact.releases_last_year, fact.total_releases) {
            details.push(format!("{recent} of {total} releases in the last year"));
        }
        if let Some(first) = fact.first_upload {
            details.push(format!("project since {}", date(first)));
        }
        if let Some(last) = fact.last_upload {
            details.push(format!("last upload {}", date(last)));
        }
        if let Some(newest) = &fact.newest_version
            && *newest != fact.version
        {
            details.push(format!("newest {newest}"));
        }
        if fact.project_status != "active" {
            details.push(format!("status {}", fact.project_status));
        }
        if let Some(license) = &fact.license {
            details.push(format!("license {license}"));
        }
        details.push(match &fact.requirements_from {
            RequirementsFrom::CoreMetadata { .. } => "requirements from its METADATA".to_owned(),
            RequirementsFrom::ProjectJson => {
                "requirements from PyPI's JSON (no METADATA file)".to_owned()
            }
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
