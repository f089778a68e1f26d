//! `pyaudit db import|sync|popular|status`: the local advisory database and the popular-names
//! list, kept in the cache.

use std::fmt::Write;

use anyhow::{Context, Result};
use pyaudit_cache::Timestamp;

use super::cache::human_age;
use super::{Outcome, open_cache_strict};
use crate::cli::DbCommand;
use crate::enrich::database::{self, ImportSummary, SyncSummary};
use crate::fetch::{FetchSettings, Fetcher};

pub fn run(command: &DbCommand, quiet: bool) -> Result<(String, Outcome)> {
    let mut out = String::new();
    let now = Timestamp::now();
    match command {
        DbCommand::Import { paths, cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let summary = database::import(&cache, paths, now)?;
            write_import(&mut out, &summary, quiet);
        }
        DbCommand::Sync { url, cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let settings = database::sync_fetch_settings(FetchSettings::default());
            let fetcher = Fetcher::new(settings).context("cannot start the network client")?;
            let summary = database::sync(&cache, &fetcher, url, now)
                .with_context(|| format!("cannot sync the advisory database from `{url}`"))?;
            match summary {
                SyncSummary::Full {
                    import,
                    incremental_skipped,
                } => {
                    if let Some(reason) = incremental_skipped {
                        let _ = writeln!(out, "downloaded the whole database ({reason})");
                    }
                    write_import(&mut out, &import, quiet);
                }
                SyncSummary::Incremental {
                    url,
                    updated_records,
                    updated_packages,
                    ..
                } => {
                    let _ = writeln!(
                        out,
                        "updated {updated_records} records of {updated_packages} packages from {url}"
                    );
                }
            }
        }
        DbCommand::Popular { path, cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let count = crate::enrich::popular::import(&cache, path, now).with_context(|| {
                format!("cannot import popular names from `{}`", path.display())
            })?;
            let _ = writeln!(
                out,
                "imported {count} popular project names from {}; the typosquat rule (PA501) uses \
                 them with the built-in seed",
                path.display()
            );
        }
        DbCommand::Status { cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            match database::status(&cache, now)? {
                Some(status) => {
                    let _ = writeln!(out, "source: {}", status.source);
                    let _ = writeln!(
                        out,
                        "imported: {} ago, {} records for {} packages{}",
                        human_age(status.age),
                        status.records,
                        status.packages,
                        match status.load_errors {
                            0 => String::new(),
                            errors => format!(", {errors} records could not be read"),
                        }
                    );
                    if let Some(newest) = &status.newest_modified {
                        let _ = writeln!(out, "newest record modified: {newest}");
                    }
                }
                None => {
                    let _ = writeln!(
                        out,
                        "no local advisory database: run `pyaudit db import PATH` (a directory of \
                         OSV records or an OSV all.zip) or `pyaudit db sync`"
                    );
                    return Ok((out, Outcome::Findings));
                }
            }
        }
    }
    Ok((out, Outcome::Clean))
}

fn write_import(out: &mut String, summary: &ImportSummary, quiet: bool) {
    let _ = writeln!(
        out,
        "imported {} {} ({} withdrawn, {} malicious) for {} {} from {}",
        summary.records,
        if summary.records == 1 {
            "record"
        } else {
            "records"
        },
        summary.withdrawn,
        summary.malicious,
        summary.packages,
        if summary.packages == 1 {
            "package"
        } else {
            "packages"
        },
        summary.source
    );
    if summary.overlapping > 0 {
        let _ = writeln!(
            out,
            "{} records were in more than one source; the newest copy of each was kept",
            summary.overlapping
        );
    }
    if let Some(replaced) = &summary.replaced
        && replaced.source != summary.source
    {
        // A second import is not an addition: say so, and how to keep both.
        let _ = writeln!(
            out,
            "replaced the previous database ({} records from {}); to keep several sources, \
             import them together: `pyaudit db import PATH PATH…`",
            replaced.records, replaced.source
        );
    }
    if !summary.load_errors.is_empty() {
        let _ = writeln!(
            out,
            "{} records could not be read and were left out:",
            summary.load_errors.len()
        );
        let shown = if quiet { 0 } else { 20 };
        for error in summary.load_errors.iter().take(shown) {
            let _ = writeln!(out, "  {error}");
        }
        if summary.load_errors.len() > shown {
            let _ = writeln!(out, "  … and {} more", summary.load_errors.len() - shown);
        }
    }
}
