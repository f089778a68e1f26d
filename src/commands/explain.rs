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
