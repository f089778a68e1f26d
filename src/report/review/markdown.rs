//! `pyaudit review --format markdown`: the verdict and its reasons first, the tree folded, then
//! the findings as `pyaudit lock --format markdown` shows them — for a ticket or a PR comment.

use std::fmt::Write;

use super::{APPROXIMATION_NOTE, Review, date, license_words, package_facts, tree_lines};
use crate::report::markdown::escape;
use crate::review::Decision;
use crate::review::cadence::{Cadence, describe_days};

pub fn render(review: &Review<'_>) -> String {
    crate::sanitize::terminal_safe(&render_raw(review)).into_owned()
}

fn render_raw(review: &Review<'_>) -> String {
    let mut out = String::new();
    let (icon, word) = match review.verdict.decision {
        Decision::Approve => ("✅", "approve"),
        Decision::Incomplete => ("⛔", "incomplete: could not check"),
        Decision::NeedsReview => ("⚠️", "needs review"),
        Decision::Deny => ("❌", "deny"),
    };
    let facts = package_facts(review);
    let _ = writeln!(
        out,
        "## {icon} pyaudit review `{}`: {word}\n",
        review.resolution.request.replace('`', "'")
    );
    let _ = writeln!(
        out,
        "CPython {} on {}; {} package(s) in the closure{}.\n",
        review.environment.python_full_version,
        review.environment.platform.as_str(),
        facts.len(),
        match review.against {
            Some(path) => format!(
                ", {} already in `{}`",
                review.already_locked.len(),
                path.display()
            ),
            None => String::new(),
        }
    );
    for reason in &review.verdict.reasons {
        let _ = writeln!(out, "- {}", escape(reason));
    }
    if !review.verdict.reasons.is_empty() {
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "<details><summary>dependency tree</summary>\n\n```\n{}```\n\n_{}_\n\n</details>\n",
        tree_lines(review.graph)
            .iter()
            .map(|line| {
                let mut text = format!(
                    "{}{}=={}",
                    line.prefix,
                    line.name,
                    line.version.as_deref().unwrap_or("?")
                );
                if let Some(marker) = &line.marker {
                    let _ = write!(text, " ; {marker}");
                }
                if line.repeated {
                    text.push_str(" (*)");
                }
                text.push('\n');
                text.replace("```", "'''")
            })
            .collect::<String>(),
        APPROXIMATION_NOTE
    );
    let _ = writeln!(
        out,
        "<sub>Advisory data: {}. Vulnerability counts are as of {}.</sub>\n",
        super::super::markdown::escape(&super::sources_line(review)),
        super::advisory_as_of(review).unwrap_or_else(|| "an unknown date".to_owned())
    );
    let _ = writeln!(
        out,
        "| package | vulnerabilities: this version / past / malicious records | last release | \
         first release | releases in 12 months | median gap | status | license |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for fact in &facts {
        let count =
            |value: Option<usize>| value.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let advisories = if fact.already_locked {
            "already locked: not evaluated".to_owned()
        } else {
            format!(
                "{} / {} / {}",
                count(fact.vulnerabilities),
                count(fact.past_vulnerabilities),
                match fact.malicious_records {
                    Some(0) => "0".to_owned(),
                    Some(n) => format!("**{n}**"),
                    None => "unknown".to_owned(),
                }
            )
        };
        let cadence = fact.cadence.as_ref();
        let when = |time: Option<i64>, days: Option<i64>| match (time, days) {
            (Some(time), Some(days)) => format!("{} ({} ago)", date(time), describe_days(days)),
            _ => "unknown".to_owned(),
        };
        let mut gap = cadence
            .and_then(|cadence| cadence.median_gap_days)
            .map_or_else(|| "–".to_owned(), describe_days);
        if let Some(left_out) = cadence.and_then(Cadence::left_out) {
            let _ = write!(gap, " ({left_out})");
        }
        let license = license_words(fact).unwrap_or_else(|| "unknown".to_owned());
        let mut name = format!("{}=={}", fact.name, fact.version);
        if fact.yanked {
            name.push_str(" (yanked)");
        }
        let _ = writeln!(
            out,
            "| {} | {advisories} | {} | {} | {} | {} | {} | {} |",
            escape(&name),
            when(
                cadence.and_then(|cadence| cadence.last_release),
                cadence.and_then(|cadence| cadence.days_since_last_release)
            ),
            when(
                cadence.and_then(|cadence| cadence.first_release),
                cadence.and_then(|cadence| cadence.age_days)
            ),
            cadence.map_or_else(
                || "unknown".to_owned(),
                |cadence| cadence.releases_last_12_months.to_string()
            ),
            escape(&gap),
            escape(&fact.project_status),
            escape(&license),
        );
    }
    let held_back: Vec<String> = facts
        .iter()
        .filter_map(|fact| {
            let held_back = fact.held_back.as_ref()?;
            Some(format!(
                "- {}=={}: {}\n",
                escape(&fact.name),
                escape(&fact.version),
                escape(&super::held_back_line(held_back))
            ))
        })
        .collect();
    if !held_back.is_empty() {
        let _ = write!(out, "\n**Cooldown**\n\n{}", held_back.concat());
    }
    let _ = writeln!(
        out,
        "\n_Past: the project's advisories that do not affect this version (fixed before it). \
         Release cadence counts releases with files, yanked ones left out._\n"
    );
    let body =
        crate::report::markdown::render_lock(std::slice::from_ref(review.report), review.data);
    // The lock headline is replaced by the verdict above.
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    out.push_str(body.trim_start());
    out
}
