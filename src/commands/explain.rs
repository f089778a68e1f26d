//! `pyaudit explain`: a rule's documentation from the registry, so docs cannot drift from code.

use std::fmt::Write;

use anyhow::{Result, bail};

use super::Outcome;
use crate::findings::{RULES, rule};

pub fn run(query: Option<&str>) -> Result<(String, Outcome)> {
    let mut out = String::new();
    match query {
        None => {
            for rule in RULES {
                let _ = writeln!(
                    out,
                    "{}  {:<20} {:<5}  {}",
                    rule.code,
                    rule.name,
                    rule.default_level.as_str(),
                    rule.summary
                );
            }
        }
        Some(query) => {
            let Some(rule) = rule(query) else {
                bail!("no rule `{query}`; `pyaudit explain` lists them");
            };
            let _ = writeln!(
                out,
                "{} {} (default: {})",
                rule.code,
                rule.name,
                rule.default_level.as_str()
            );
            let _ = writeln!(out, "{}\n", rule.summary);
            let _ = writeln!(out, "{}", rule.docs);
        }
    }
    Ok((out, Outcome::Clean))
}

/// The rule reference of README.md (between `<!-- rules:start -->` and `<!-- rules:end -->`),
/// rendered from the registry: a table of every rule, then each rule's documentation folded in a
/// `<details>` block. `tests/it/readme.rs` fails when README.md differs from it.
pub fn rule_reference_markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| code | name | default level | summary |");
    let _ = writeln!(out, "|---|---|---|---|");
    for rule in RULES {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            rule.code,
            rule.name,
            rule.default_level.as_str(),
            table_cell(rule.summary)
        );
    }
    for rule in RULES {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "<details><summary>{} <code>{}</code></summary>\n",
            rule.code, rule.name
        );
        for line in rule.docs.lines() {
            // The docs' `## What it does` headings become bold lines: headings inside a folded
            // block would clutter the README's outline with one entry per rule and section.
            match line.strip_prefix("## ") {
                Some(heading) => {
                    let _ = writeln!(out, "**{heading}**\n");
                }
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

/// Text that must stay inside one Markdown table cell.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
