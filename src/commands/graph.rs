//! `pyaudit graph`: print the resolved graph of one or more lockfiles.

use anyhow::Result;

use super::{Outcome, load_graphs};
use crate::cli::{GraphArgs, GraphFormat};
use crate::report;

pub fn run(args: &GraphArgs, quiet: bool) -> Result<(String, Outcome)> {
    let graphs = load_graphs(&args.lockfile, false, quiet)?;
    let output = match args.format {
        GraphFormat::Json => report::json::render_graphs(&graphs),
        GraphFormat::Tree => graphs
            .iter()
            .map(report::tree::render)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    Ok((output, Outcome::Clean))
}
