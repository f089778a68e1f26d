//! `pyaudit cache dir|stats|clean`.

use std::fmt::Write;

use anyhow::Result;

use super::{Outcome, cache_open_error, cache_options, open_cache_strict};
use crate::cli::CacheCommand;

pub fn run(command: &CacheCommand, context: &super::Invocation) -> Result<(String, Outcome)> {
    let quiet = context.quiet;
    let mut out = String::new();
    match command {
        CacheCommand::Dir { cache } => {
            let directory = pyaudit_cache::resolve_cache_dir(cache.cache_dir.as_deref(), None)?;
            let _ = writeln!(out, "{}", directory.display());
        }
        CacheCommand::Stats { cache } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            // The run's one clock (`PYAUDIT_NOW` pins it), so freshness agrees with the audits'.
            let now = context.now;
            let stats = cache.stats(now)?;
            let _ = writeln!(out, "cache: {}", stats.path.display());
            let _ = writeln!(out, "size on disk: {}", human_bytes(stats.size_on_disk));
            if stats.namespaces.is_empty() {
                let _ = writeln!(out, "no entries");
            }
            for (name, namespace) in &stats.namespaces {
                let age = namespace
                    .oldest_fetched_at
                    .map(|oldest| format!(", oldest {}", human_age(now.duration_since(oldest))))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{name}: {} entries ({} fresh, {} stale), {}{age}",
                    namespace.entries,
                    namespace.fresh,
                    namespace.stale,
                    human_bytes(namespace.bytes)
                );
            }
            for aside in &stats.set_aside {
                let _ = writeln!(out, "set aside after corruption: {}", aside.display());
            }
        }
        CacheCommand::Clean {
            namespace: Some(namespace),
            cache,
        } => {
            let cache = open_cache_strict(cache.cache_dir.as_deref(), quiet)?;
            let report = cache.clean(Some(namespace))?;
            cache.flush()?;
            let _ = writeln!(out, "removed {} entries", report.entries_removed);
        }
        CacheCommand::Clean {
            namespace: None,
            cache,
        } => {
            // NOTE: a plain removal of the files, never an open: a damaged database may make
            // sled fail or spin, and cleaning is what a user does about a damaged cache.
            let options = cache_options(cache.cache_dir.as_deref(), quiet)?;
            let removed =
                pyaudit_cache::Cache::remove_on_disk(&options).map_err(cache_open_error)?;
            if removed.paths.is_empty() {
                let _ = writeln!(
                    out,
                    "no cache in {}: nothing to remove",
                    options.directory.display()
                );
            }
            for path in &removed.paths {
                let _ = writeln!(out, "removed {}", path.display());
            }
            if !removed.paths.is_empty() {
                let _ = writeln!(out, "freed {}", human_bytes(removed.bytes));
            }
        }
    }
    Ok((out, Outcome::Clean))
}

pub(crate) fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_024 => format!("{bytes} B"),
        1_024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1_024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

pub(crate) fn human_age(age: std::time::Duration) -> String {
    let seconds = age.as_secs();
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7_200 => format!("{} min", seconds / 60),
        7_200..172_800 => format!("{} h", seconds / 3_600),
        _ => format!("{} days", seconds / 86_400),
    }
}
