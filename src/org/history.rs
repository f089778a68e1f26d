//! Night over night: each org run's compact summary (per repository, the set of finding keys and
//! their levels) is kept in the cache under the identity of the roots audited, the last
//! [`KEEP_RUNS`] of them; the diff with the previous run says what is new, fixed and changed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pyaudit_cache::{Cache, CacheError, Freshness, Namespace, Timestamp};
use serde::{Deserialize, Serialize};

use super::analysis::RepoReport;

/// The cache namespace of org run summaries.
pub const NAMESPACE: Namespace = Namespace::new("org-history", 1);

/// How many runs are kept per set of roots.
pub const KEEP_RUNS: usize = 30;

/// One run, compactly: per repository, finding key → level (`deny` / `warn`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Unix milliseconds.
    pub at: i64,
    pub repositories: BTreeMap<String, BTreeMap<String, String>>,
}

/// A finding's identity across runs: rule, package, version and evidence (the vulnerability id).
/// The lockfile is part of it so a monorepo's two locks are told apart.
pub fn finding_key(lockfile: &str, finding: &crate::findings::Finding) -> String {
    format!(
        "{} {} {} {} {}",
        finding.code,
        finding.package.name,
        finding.package.version.as_deref().unwrap_or("-"),
        finding.evidence.key(),
        lockfile,
    )
}

impl RunSummary {
    pub fn of(repositories: &[RepoReport], at: i64) -> Self {
        let repositories = repositories
            .iter()
            .map(|repository| {
                let keys = repository
                    .lockfiles
                    .iter()
                    .flat_map(|lockfile| {
                        let relative = relative_path(&repository.path, &lockfile.path);
                        lockfile.findings.iter().map(move |finding| {
                            (
                                finding_key(&relative, finding),
                                finding.level.as_str().to_string(),
                            )
                        })
                    })
                    .collect();
                (repository.name.clone(), keys)
            })
            .collect();
        Self { at, repositories }
    }
}

/// One run on the night-over-night chart: its deny and warn findings and the repositories with a
/// deny finding (a repository that only failed to read is not in a run's summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunPoint {
    /// Unix milliseconds.
    pub at: i64,
    pub deny: usize,
    pub warn: usize,
    pub repositories_failing: usize,
}

impl RunPoint {
    pub fn of(run: &RunSummary) -> Self {
        let mut point = Self {
            at: run.at,
            deny: 0,
            warn: 0,
            repositories_failing: 0,
        };
        for findings in run.repositories.values() {
            let deny = findings.values().filter(|level| *level == "deny").count();
            point.deny += deny;
            point.warn += findings.values().filter(|level| *level == "warn").count();
            if deny > 0 {
                point.repositories_failing += 1;
            }
        }
        point
    }
}

/// The runs a chart shows: the stored ones and this one, the last [`KEEP_RUNS`], oldest first.
pub fn points(previous: &[RunSummary], current: &RunSummary) -> Vec<RunPoint> {
    let skip = (previous.len() + 1).saturating_sub(KEEP_RUNS);
    previous
        .iter()
        .chain(std::iter::once(current))
        .skip(skip)
        .map(RunPoint::of)
        .collect()
}

fn relative_path(repository: &str, lockfile: &str) -> String {
    lockfile
        .strip_prefix(repository)
        .map(|rest| rest.trim_start_matches(['/', '\\']))
        .unwrap_or(lockfile)
        .to_string()
}

/// One finding in a diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DiffEntry {
    pub repository: String,
    /// `CODE package version evidence lockfile`, as [`finding_key`] builds it.
    pub key: String,
    pub level: String,
    /// For `changed`: the level the previous run had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_level: Option<String>,
}

/// What changed since the previous run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// When the previous run was (unix milliseconds).
    pub previous_run: i64,
    pub new: Vec<DiffEntry>,
    pub fixed: Vec<DiffEntry>,
    /// Same finding, another level (a new config, a severity threshold, an expired ignore).
    pub changed: Vec<DiffEntry>,
    pub new_repositories: Vec<String>,
    pub removed_repositories: Vec<String>,
}

impl Diff {
    pub fn new_denied(&self) -> bool {
        self.new.iter().any(|entry| entry.level == "deny")
            || self.changed.iter().any(|entry| entry.level == "deny")
    }
}

/// The diff from `previous` to `current`. Findings of a new repository count as new; those of a
/// removed one are not "fixed" (the repository is listed as removed instead).
pub fn diff(previous: &RunSummary, current: &RunSummary) -> Diff {
    let mut result = Diff {
        previous_run: previous.at,
        ..Diff::default()
    };
    let empty = BTreeMap::new();
    let names: BTreeSet<&String> = previous
        .repositories
        .keys()
        .chain(current.repositories.keys())
        .collect();
    for name in names {
        let before = previous.repositories.get(name);
        let after = current.repositories.get(name);
        match (before, after) {
            (None, Some(_)) => result.new_repositories.push(name.clone()),
            (Some(_), None) => {
                result.removed_repositories.push(name.clone());
                continue;
            }
            _ => {}
        }
        let before = before.unwrap_or(&empty);
        let after = after.unwrap_or(&empty);
        for (key, level) in after {
            let entry = |previous_level: Option<String>| DiffEntry {
                repository: name.clone(),
                key: key.clone(),
                level: level.clone(),
                previous_level,
            };
            match before.get(key) {
                None => result.new.push(entry(None)),
                Some(old) if old != level => result.changed.push(entry(Some(old.clone()))),
                Some(_) => {}
            }
        }
        for (key, level) in before {
            if !after.contains_key(key) {
                result.fixed.push(DiffEntry {
                    repository: name.clone(),
                    key: key.clone(),
                    level: level.clone(),
                    previous_level: None,
                });
            }
        }
    }
    result
}

/// The stored runs for one identity, oldest first.
pub fn load(cache: &Cache, identity: &str) -> Result<Vec<RunSummary>, CacheError> {
    Ok(cache
        .get(&NAMESPACE, identity)?
        .and_then(|entry| serde_json::from_slice(&entry.payload).ok())
        .unwrap_or_default())
}

/// Append `run`, keep the last [`KEEP_RUNS`].
pub fn save(
    cache: &Cache,
    identity: &str,
    mut runs: Vec<RunSummary>,
    run: RunSummary,
    now: Timestamp,
) -> Result<(), CacheError> {
    runs.push(run);
    let excess = runs.len().saturating_sub(KEEP_RUNS);
    runs.drain(..excess);
    let payload = serde_json::to_vec(&runs).unwrap_or_default();
    // NOTE: history is not a fetched answer that goes stale; a year's TTL keeps `cache clean`
    // and expiry pruning from treating it as disposable.
    cache.put(
        &NAMESPACE,
        identity,
        &payload,
        &Freshness::new(Duration::from_secs(365 * 86_400)),
        now,
    )?;
    cache.flush()
}

/// The identity of a set of roots (or of a list file): their canonical paths, sorted.
pub fn identity(paths: &[std::path::PathBuf]) -> String {
    let mut canonical: Vec<String> = paths
        .iter()
        .map(|path| {
            path.canonicalize()
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string()
        })
        .collect();
    canonical.sort();
    canonical.dedup();
    canonical.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(at: i64, repositories: &[(&str, &[(&str, &str)])]) -> RunSummary {
        RunSummary {
            at,
            repositories: repositories
                .iter()
                .map(|(name, keys)| {
                    (
                        name.to_string(),
                        keys.iter()
                            .map(|(key, level)| (key.to_string(), level.to_string()))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn diff_says_new_fixed_changed_and_repositories() {
        let before = run(
            1,
            &[
                ("a", &[("x", "deny"), ("y", "warn")]),
                ("gone", &[("z", "deny")]),
            ],
        );
        let after = run(2, &[("a", &[("y", "deny"), ("w", "warn")]), ("fresh", &[])]);
        let diff = diff(&before, &after);
        assert_eq!(diff.new.len(), 1);
        assert_eq!(diff.new[0].key, "w");
        assert_eq!(diff.fixed.len(), 1);
        assert_eq!(diff.fixed[0].key, "x");
        assert_eq!(diff.changed[0].previous_level.as_deref(), Some("warn"));
        assert_eq!(diff.new_repositories, ["fresh"]);
        assert_eq!(diff.removed_repositories, ["gone"]);
        assert!(diff.new_denied());
    }

    #[test]
    fn points_count_findings_and_failing_repositories_of_the_kept_runs() {
        let previous: Vec<RunSummary> = (0..KEEP_RUNS as i64).map(|at| run(at, &[])).collect();
        let current = run(
            99,
            &[
                ("a", &[("x", "deny"), ("y", "warn"), ("z", "deny")]),
                ("b", &[("w", "warn")]),
            ],
        );
        let points = points(&previous, &current);
        assert_eq!(points.len(), KEEP_RUNS);
        assert_eq!(points[0].at, 1, "the oldest run drops out");
        assert_eq!(
            points.last().copied(),
            Some(RunPoint {
                at: 99,
                deny: 2,
                warn: 2,
                repositories_failing: 1
            })
        );
    }

    #[test]
    fn history_keeps_the_last_runs() {
        let cache = Cache::in_memory();
        let mut runs = Vec::new();
        for at in 0..(KEEP_RUNS as i64 + 5) {
            save(
                &cache,
                "id",
                runs,
                run(at, &[]),
                Timestamp::from_unix_millis(at),
            )
            .unwrap();
            runs = load(&cache, "id").unwrap();
        }
        assert_eq!(runs.len(), KEEP_RUNS);
        assert_eq!(runs.last().unwrap().at, KEEP_RUNS as i64 + 4);
    }
}
