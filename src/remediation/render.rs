//! The plan as text for a terminal, JSON (`pyaudit-fix/1`, schema in
//! `tests/schemas/fix.schema.json`) and Markdown for a pull request. Everything quoted comes from
//! lockfiles, project files, advisories or the index, so text output passes through the
//! terminal filter and Markdown escapes it.

use std::fmt::Write as _;

use serde::Serialize;

use super::apply::Applied;
use super::command::Step;
use super::plan::{FixPlan, PackageFix, SCHEMA, Status};
use crate::report::markdown::escape;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    lockfiles: &'a [FixPlan],
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<&'a [Applied]>,
}

pub fn json(plans: &[FixPlan], applied: Option<&[Applied]>) -> String {
    let document = Document {
        schema: SCHEMA,
        lockfiles: plans,
        applied,
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"schema\": \"{SCHEMA}\", \"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

fn status_words(status: Status) -> &'static str {
    match status {
        Status::Ready => "ready",
        Status::Blocked => "blocked (the steps clear it)",
        Status::Stuck => "stuck (no step clears the blocker)",
        Status::NeedsPrerelease => "needs a pre-release",
        Status::NoFix => "no fixing version",
        Status::Remove => "remove",
        Status::Refused => "refused",
    }
}

fn advisories(list: &[super::plan::AdvisoryRef]) -> String {
    list.iter()
        .map(|advisory| match &advisory.severity {
            Some(severity) => format!("{} ({severity})", advisory.id),
            None => advisory.id.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn text(plans: &[FixPlan], applied: Option<&[Applied]>) -> String {
    let mut out = String::new();
    for plan in plans {
        let _ = writeln!(out, "{} ({})", plan.lockfile, plan.tool.as_str());
        if plan.packages.is_empty() {
            let _ = writeln!(
                out,
                "  nothing to fix: no known vulnerability in the packages checked"
            );
        }
        for fix in &plan.packages {
            write_package_text(&mut out, fix);
        }
        for unchecked in &plan.unchecked {
            let _ = writeln!(
                out,
                "  not checked: {unchecked} (the plan cannot say what it needs)"
            );
        }
        for note in &plan.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let _ = writeln!(out);
    }
    if let Some(applied) = applied {
        write_applied_text(&mut out, applied);
    } else if plans.iter().any(|plan| !plan.packages.is_empty()) {
        let _ = writeln!(
            out,
            "Nothing was changed (`pyaudit fix --apply` runs the uv and Poetry steps)."
        );
    }
    crate::sanitize::terminal_safe(&out).into_owned()
}

fn write_package_text(out: &mut String, fix: &PackageFix) {
    let target = fix
        .target
        .as_ref()
        .map(|target| format!(" -> {target}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {}{target}: {}",
        fix.name,
        fix.version,
        status_words(fix.status)
    );
    if !fix.fixes.is_empty() {
        let _ = writeln!(out, "    fixes: {}", advisories(&fix.fixes));
    }
    if !fix.left.is_empty() {
        let _ = writeln!(
            out,
            "    left: {} (no version fixes it)",
            advisories(&fix.left)
        );
    }
    for blocker in &fix.blockers {
        let _ = writeln!(out, "    blocked: {}", blocker.describe());
    }
    for (number, step) in fix.steps.iter().enumerate() {
        let why = match step {
            Step::Run { why, .. } | Step::Edit { why, .. } => why,
        };
        let _ = writeln!(out, "    {}. {} — {why}", number + 1, step.describe());
    }
    if let Some(reason) = &fix.refused {
        let _ = writeln!(out, "    refused: {reason}");
    }
    for note in &fix.notes {
        let _ = writeln!(out, "    note: {note}");
    }
}

fn write_applied_text(out: &mut String, applied: &[Applied]) {
    for run in applied {
        let _ = writeln!(out, "applied in {}:", run.lockfile);
        for step in &run.steps {
            let _ = writeln!(out, "  `{}`: {}", step.command, step.outcome);
        }
        for line in &run.fixed {
            let _ = writeln!(out, "  fixed: {line}");
        }
        for line in &run.left {
            let _ = writeln!(out, "  left: {line}");
        }
        for line in &run.refused {
            let _ = writeln!(out, "  refused: {line}");
        }
    }
}

pub fn markdown(plans: &[FixPlan], applied: Option<&[Applied]>) -> String {
    let mut out = String::new();
    let count: usize = plans.iter().map(|plan| plan.packages.len()).sum();
    let _ = writeln!(out, "## pyaudit fix: {count} vulnerable package(s)\n");
    for plan in plans {
        let _ = writeln!(
            out,
            "### {} ({})\n",
            escape(&plan.lockfile),
            escape(plan.tool.as_str())
        );
        if plan.packages.is_empty() {
            let _ = writeln!(out, "Nothing to fix.\n");
            continue;
        }
        let _ = writeln!(
            out,
            "| package | locked | target | status | fixes | blocked by |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for fix in &plan.packages {
            let blockers: Vec<String> = fix
                .blockers
                .iter()
                .map(|blocker| escape(&blocker.describe()))
                .collect();
            let mut fixes = escape(&advisories(&fix.fixes));
            if !fix.left.is_empty() {
                fixes.push_str(&format!(" (left: {})", escape(&advisories(&fix.left))));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&fix.name),
                escape(&fix.version),
                escape(fix.target.as_deref().unwrap_or("—")),
                escape(status_words(fix.status)),
                fixes,
                if blockers.is_empty() {
                    "—".to_owned()
                } else {
                    blockers.join("; ")
                }
            );
        }
        let _ = writeln!(out);
        let steps: Vec<&Step> = plan
            .packages
            .iter()
            .filter(|fix| fix.refused.is_none())
            .flat_map(|fix| &fix.steps)
            .collect();
        if !steps.is_empty() {
            let _ = writeln!(out, "Steps:\n");
            for step in steps {
                match step {
                    Step::Run { command, .. } => {
                        let _ = writeln!(out, "```sh\n{}\n```", command.replace('`', "'"));
                    }
                    Step::Edit { .. } => {
                        let _ = writeln!(out, "- {}", escape(&step.describe()));
                    }
                }
            }
            let _ = writeln!(out);
        }
        for fix in &plan.packages {
            if let Some(reason) = &fix.refused {
                let _ = writeln!(
                    out,
                    "- refused for {}: {}",
                    escape(&fix.name),
                    escape(reason)
                );
            }
            for note in &fix.notes {
                let _ = writeln!(out, "- {}: {}", escape(&fix.name), escape(note));
            }
        }
        for unchecked in &plan.unchecked {
            let _ = writeln!(out, "- not checked: {}", escape(unchecked));
        }
        let _ = writeln!(out);
    }
    if let Some(applied) = applied {
        let mut text = String::new();
        write_applied_text(&mut text, applied);
        let _ = writeln!(
            out,
            "<details><summary>applied</summary>\n\n```\n{}```\n</details>",
            text.replace('`', "'")
        );
    }
    out
}
