//! `pyaudit org-merge SHARD.json…`: the shards of a sharded org run read back, merged, and the
//! org views, the night-over-night diff and the reports made as `pyaudit org` makes them.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::org::{History, night_over_night, write_reports};
use super::{Invocation, Outcome, open_cache};
use crate::cli::OrgMergeArgs;
use crate::org::analysis::{self, Census};
use crate::org::merge::{self, ShardDocument};
use crate::org::report::OrgReport;
use crate::org::shard::ShardCensus;
use crate::progress::Progress;

/// A shard report of even a large organisation is tens of megabytes; a file beyond this is not
/// one, and is not read whole into memory.
const MAX_SHARD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub fn run(args: &OrgMergeArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let started = Instant::now();
    let progress = Progress::new(context.quiet, Some("pyaudit org-merge"));
    let inputs = args
        .shards
        .iter()
        .map(|path| (path.display().to_string(), read_shard(path)))
        .collect();
    let merged = merge::merge(inputs, args.allow_mixed)?;
    if !context.quiet {
        for difference in &merged.status.mixed {
            super::warn(format!("`--allow-mixed`: {difference}"));
        }
    }
    let census = match &merged.census {
        ShardCensus::Skipped { note } => Census::skipped(note),
        ShardCensus::Computed { unchecked_note } => {
            let repositories: Vec<(&str, &std::collections::BTreeSet<u32>)> = merged
                .repositories
                .iter()
                .map(|report| report.name.as_str())
                .zip(&merged.repository_packages)
                .collect();
            analysis::census(&merged.packages, &repositories, unchecked_note)
        }
    };
    let analysis = analysis::analyse(&merged.repositories, merged.packages.len(), census);
    let cache = open_cache(args.cache.cache_dir.as_deref(), context.quiet)?;
    let complete = merged.status.complete();
    let (diff, history, outcome) = night_over_night(
        &cache,
        &merged.run_identity,
        &merged.repositories,
        &merged.org_findings,
        History {
            since_last: args.reports.since_last,
            compare: true,
            // An incomplete merge would record the missing repositories as removed, and their
            // findings as new again the night after.
            record: !args.reports.no_history && complete,
        },
        context,
    );
    let org_report = OrgReport {
        generated_at: context.now.unix_millis(),
        roots: merged.roots,
        analysis,
        since_last: diff,
        history,
        org_findings: merged.org_findings,
        sources: merged.sources,
        warnings: merged.warnings,
        repositories: merged.repositories,
        shard: None,
        shards: Some(merged.status),
    };
    write_reports(&args.reports, &org_report, started, &progress, outcome)
}

/// One shard's document, or why it cannot be used (named in the report, never fatal alone).
fn read_shard(path: &Path) -> Result<ShardDocument, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("cannot open it: {error}"))?;
    let metadata = file
        .metadata()
        .map_err(|error| format!("cannot read it: {error}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string());
    }
    let mut text = String::new();
    file.take(MAX_SHARD_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| format!("cannot read it: {error}"))?;
    if text.len() as u64 > MAX_SHARD_BYTES {
        return Err(format!("larger than {MAX_SHARD_BYTES} bytes"));
    }
    serde_json::from_str(&text).map_err(|error| format!("not a pyaudit-org/1 report: {error}"))
}
