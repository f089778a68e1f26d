//! `pyaudit db import|sync|popular|status`: the local advisory database and the popular-names
//! list, kept in the cache.

use std::fmt::Write;

use anyhow::{Context, Result};

use super::cache::human_age;
use super::{Outcome, open_cache_strict};
use crate::cli::DbCommand;
use crate::enrich::database::{self, DeclaredCoverage, ImportSummary, SyncSummary};
use crate::fetch::{FetchSettings, Fetcher};

pub fn run(command: &DbCommand, context: &super::Invocation) -> Result<(String, Outcome)> {
    let quiet = context.quiet;
    let mut out = String::new();
    // `PYAUDIT_NOW` pins it, so the data's age in `db status` matches the audits'.
    let now = context.now;
    match command {
        DbCommand::Import {
            paths,
            cache,
            complete,
            partial,
        } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let coverage = if *complete {
                DeclaredCoverage::Complete
            } else if *partial {
                DeclaredCoverage::Partial
            } else {
                DeclaredCoverage::ByKind
            };
            let will_be_complete = paths.iter().any(|path| coverage.is_complete(path));
            // Said before the import, whatever it then does: a partial copy in place of a
            // complete one leaves every package it has no record of unchecked.
            if !will_be_complete
                && let Some(previous) = database::status(&cache, now)?
                && previous.complete
            {
                eprintln!(
                    "warning: this import replaces a complete database ({} records from {}) with \
                     a partial one: packages it has no record of will be unchecked (PA001) when \
                     OSV cannot answer; pass `--complete` if the source is a full copy, or \
                     import both together: `pyaudit db import {} PATH…`",
                    previous.records, previous.source, previous.source
                );
            }
            let summary = database::import(&cache, paths, coverage, now)?;
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
        DbCommand::Export { path, cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let Some(snapshot) = database::snapshot(&cache)? else {
                anyhow::bail!(
                    "there is no local advisory database to export: `pyaudit db sync` or \
                     `pyaudit db import` first"
                );
            };
            let manifest = crate::enrich::export::Manifest {
                schema: crate::enrich::export::SCHEMA.to_owned(),
                source: snapshot.source,
                complete: snapshot.complete,
                newest_modified: snapshot.newest_modified,
                records: snapshot.records.len(),
                imported_at: snapshot.imported_at,
                exported_at: now.unix_millis(),
            };
            crate::enrich::export::write(path, &manifest, &snapshot.records)?;
            let _ = writeln!(
                out,
                "exported {} records ({}, from {}; newest record modified {}) to {}; import it \
                 with `pyaudit db import {}`",
                manifest.records,
                if manifest.complete {
                    "a complete copy"
                } else {
                    "a partial copy"
                },
                manifest.source,
                manifest.newest_modified.as_deref().unwrap_or("unknown"),
                path.display(),
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
                    let _ = writeln!(out, "{}", coverage_line(status.complete));
                    match (status.data_as_of, status.data_age(now)) {
                        (Some(as_of), Some(age)) => {
                            let _ = writeln!(
                                out,
                                "advisory data as of {} ({} old; newest record modified {})",
                                crate::time::date_from_unix_millis(as_of),
                                human_age(age),
                                status.newest_modified.as_deref().unwrap_or_default()
                            );
                        }
                        _ => {
                            let _ = writeln!(
                                out,
                                "advisory data of unknown age: no record states when it was \
                                 modified"
                            );
                        }
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

fn coverage_line(complete: bool) -> &'static str {
    if complete {
        "coverage: complete copy of an advisory source (answers for any package while fresh)"
    } else {
        "coverage: partial (adds findings; never vouches for a package on its own — `db sync`, \
         an OSV all.zip, or `db import --complete DIR` make a complete one)"
    }
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
    let _ = writeln!(out, "{}", coverage_line(summary.complete));
    if let Some(as_of) = summary
        .newest_modified
        .as_deref()
        .and_then(crate::time::parse_upload_time)
    {
        let _ = writeln!(
            out,
            "advisory data as of {} (the newest record's `modified`)",
            crate::time::date_from_unix_millis(as_of.unix_millis())
        );
    }
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
