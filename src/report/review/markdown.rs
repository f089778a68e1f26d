//! `pyaudit review --format markdown`: the verdict and its reasons first, the tree folded, then
//! the findings as `pyaudit lock --format markdown` shows them — for a ticket or a PR comment.

use std::fmt::Write;

use super::{APPROXIMATION_NOTE, Review, package_facts, tree_lines};
use crate::report::markdown::escape;
use crate::review::Decision;

pub fn render(review: &Review<'_>) -> String {
    let mut out = String::new();
    let (icon, word) = match review.verdict.decision {
        Decision::Approve => ("✅", "approve"),
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
    let body =
        crate::report::markdown::render_lock(std::slice::from_ref(review.report), review.data);
    // The lock headline is replaced by the verdict above.
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    out.push_str(body.trim_start());
    out
}
