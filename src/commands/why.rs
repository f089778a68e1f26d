//! `pyaudit why`: every path from a root to a package.

use anyhow::{Result, bail};
use pep440_rs::Version;

use super::{Outcome, load_graphs};
use crate::cli::{WhyArgs, WhyFormat};
use crate::lockfile::package_name;
use crate::report;

pub fn run(args: &WhyArgs, quiet: bool) -> Result<(String, Outcome)> {
    let (name, version) = parse_query(&args.package)?;
    let graphs = load_graphs(&args.lockfile, false, quiet)?;
    let mut results = Vec::new();
    for graph in &graphs {
        let matches: Vec<_> = graph
            .find(&name)
            .into_iter()
            .filter(|&id| {
                version
                    .as_ref()
                    .is_none_or(|wanted| graph.package(id).version.as_ref() == Some(wanted))
            })
            .map(|id| (id, graph.all_paths(id, args.limit)))
            .collect();
        if !matches.is_empty() {
            results.push((graph, matches));
        }
    }
    if results.is_empty() {
        let searched: Vec<String> = graphs
            .iter()
            .map(|graph| format!("`{}`", graph.lockfile.path.display()))
            .collect();
        eprintln!(
            "{}",
            super::for_stderr(&format!(
                "`{}` is not in {}",
                args.package,
                searched.join(", ")
            ))
        );
        return Ok((String::new(), Outcome::Findings));
    }
    let output = match args.format {
        WhyFormat::Text => report::text::render_why(&results, args.limit),
        WhyFormat::Json => report::json::render_why(&name, &results),
    };
    Ok((output, Outcome::Clean))
}

/// `name` or `name==version`, normalized.
fn parse_query(query: &str) -> Result<(String, Option<Version>)> {
    let (name, version) = match query.split_once("==") {
        Some((name, version)) => (name.trim(), Some(version.trim())),
        None => (query.trim(), None),
    };
    let name = match package_name(name) {
        Ok(name) => name.to_string(),
        Err(message) => bail!("{message}"),
    };
    let version = match version.map(str::parse::<Version>) {
        None => None,
        Some(Ok(version)) => Some(version),
        Some(Err(error)) => bail!("invalid version in `{query}`: {error}"),
    };
    Ok((name, version))
}
