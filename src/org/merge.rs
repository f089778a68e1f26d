//! `pyaudit org-merge`: the shards of one sharded org run (`pyaudit org --shard I/N`) back into
//! the repositories, packages and census facts of the whole organisation, from which the
//! command computes the org views exactly as a single run does (`analysis::analyse`).
//!
//! A merge never reports a silently smaller organisation: a shard index with no document, a
//! document that cannot be read, or repositories that no shard covered are named in
//! [`MergeStatus`]. Shards that cannot be of one run (another split, other roots, a repository
//! in two shards) are refused; shards made by other pyaudit versions, configs or advisory data
//! are refused unless the caller allows them, and then listed.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::analysis::{CensusPackage, RepoReport};
use super::shard::{ShardCensus, ShardInfo};
use crate::enrich::{DataSource, SourceCoverage};
use crate::findings::Finding;

/// The parts of a `pyaudit-org/1` document a merge reads; the org views are recomputed.
#[derive(Debug, Clone, Deserialize)]
pub struct ShardDocument {
    pub schema: String,
    pub roots: Vec<String>,
    #[serde(default)]
    pub org_findings: Vec<Finding>,
    #[serde(default)]
    pub sources: Vec<SourceWire>,
    #[serde(default)]
    pub warnings: Vec<String>,
    pub repositories: Vec<RepoReport>,
    pub shard: Option<ShardInfo>,
}

/// A data source as the JSON report writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SourceWire {
    pub kind: String,
    pub location: String,
    pub as_of: Option<i64>,
    pub entries: usize,
    #[serde(default)]
    pub coverage: Option<String>,
}

impl SourceWire {
    /// A copy of advisory data (a database or a folder): what the verdicts were judged against.
    fn is_copy(&self) -> bool {
        self.coverage.is_some()
    }

    /// What two shards must share to have judged against the same data: copies by location,
    /// coverage and age; services by address (their answers' age is the run's clock); caches
    /// not at all (each shard has its own, filled from the same sources).
    fn data_identity(&self) -> Option<String> {
        match (self.kind.as_str(), &self.coverage) {
            ("cache", _) => None,
            (_, Some(coverage)) => Some(format!(
                "{} {} ({coverage}, data as of {})",
                self.kind,
                self.location,
                self.as_of
                    .map_or_else(|| "unknown".to_string(), crate::time::date_from_unix_millis)
            )),
            _ => Some(format!("{} {}", self.kind, self.location)),
        }
    }
}

/// A shard file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedShard {
    pub file: String,
    pub reason: String,
}

/// What was merged, and what is missing: the `shards` member of a merged report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeStatus {
    /// N of `--shard I/N`.
    pub count: u32,
    /// The shard indices merged, ascending.
    pub merged: Vec<u32>,
    /// Indices from 0 to N-1 with no usable document.
    pub missing: Vec<u32>,
    /// Files given that could not be read as a shard, and why.
    pub failed: Vec<FailedShard>,
    /// Repositories of the organisation that no merged shard audited.
    pub repositories_missing: usize,
    /// Differences between shards allowed by `--allow-mixed` (versions, configs, data).
    pub mixed: Vec<String>,
}

impl MergeStatus {
    /// Whether the merged report covers the whole organisation.
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.failed.is_empty() && self.repositories_missing == 0
    }

    /// What the merged report lacks, in one sentence (`None` when complete).
    pub fn gaps(&self) -> Option<String> {
        if self.complete() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            let indices: Vec<String> = self
                .missing
                .iter()
                .map(|index| format!("{index}/{}", self.count))
                .collect();
            parts.push(format!("missing shard(s) {}", indices.join(", ")));
        }
        for failed in &self.failed {
            parts.push(format!("`{}` failed: {}", failed.file, failed.reason));
        }
        if self.repositories_missing > 0 {
            parts.push(format!(
                "{} repositories of the organisation not audited",
                self.repositories_missing
            ));
        }
        Some(format!(
            "the merged report is incomplete ({} of {} shards merged): {}",
            self.merged.len(),
            self.count,
            parts.join("; ")
        ))
    }

    /// One line per fact a reader must see before trusting the totals.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "merged from {} of {} shards",
            self.merged.len(),
            self.count
        )];
        lines.extend(self.gaps());
        lines.extend(
            self.mixed
                .iter()
                .map(|difference| format!("mixed shards: {difference}")),
        );
        lines
    }
}

/// The whole organisation, rebuilt from its shards.
#[derive(Debug)]
pub struct Merged {
    pub roots: Vec<String>,
    /// The history key of the whole run.
    pub run_identity: String,
    /// In the single run's order.
    pub repositories: Vec<RepoReport>,
    /// The organisation's distinct packages, in the single run's order.
    pub packages: Vec<CensusPackage>,
    /// Per repository, the indices of its packages in `packages`.
    pub repository_packages: Vec<BTreeSet<u32>>,
    pub census: ShardCensus,
    pub org_findings: Vec<Finding>,
    pub sources: Vec<DataSource>,
    pub warnings: Vec<String>,
    pub status: MergeStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard could be read: {0}")]
    NothingToMerge(String),
    #[error("the shards are not of one run: {0}")]
    NotOneRun(String),
    #[error(
        "the shards were not made alike ({}); make them with one pyaudit, one config and one \
         data snapshot (`pyaudit db export`), or pass `--allow-mixed` to merge them anyway",
        .0.join("; ")
    )]
    Mixed(Vec<String>),
}

/// Merge the documents read from the files given (`Err`: why the file could not be read).
pub fn merge(
    inputs: Vec<(String, Result<ShardDocument, String>)>,
    allow_mixed: bool,
) -> Result<Merged, MergeError> {
    let mut failed = Vec::new();
    let mut shards: Vec<(String, ShardDocument, ShardInfo)> = Vec::new();
    for (file, document) in inputs {
        match document {
            Err(reason) => failed.push(FailedShard { file, reason }),
            Ok(document) if document.schema != crate::report::org_json::ORG_SCHEMA => {
                failed.push(FailedShard {
                    reason: format!(
                        "schema `{}`, expected `{}`",
                        document.schema,
                        crate::report::org_json::ORG_SCHEMA
                    ),
                    file,
                })
            }
            Ok(mut document) => match document.shard.take() {
                Some(info) if info.repositories.len() == document.repositories.len() => {
                    shards.push((file, document, info))
                }
                Some(_) => failed.push(FailedShard {
                    file,
                    reason: "its `shard.repositories` does not match its `repositories`"
                        .to_string(),
                }),
                None => failed.push(FailedShard {
                    file,
                    reason: "not a shard: it has no `shard` member (`pyaudit org --shard I/N`)"
                        .to_string(),
                }),
            },
        }
    }
    let Some((first_file, first, first_info)) = shards.first() else {
        return Err(MergeError::NothingToMerge(
            failed
                .iter()
                .map(|failed| format!("`{}`: {}", failed.file, failed.reason))
                .collect::<Vec<_>>()
                .join("; "),
        ));
    };
    let (count, discovered) = (first_info.count, first_info.discovered);

    // What makes shards parts of one run: refused outright when it differs.
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (file, document, info) in &shards {
        let other =
            |what: &str| MergeError::NotOneRun(format!("`{file}` has {what} than `{first_file}`"));
        if info.count != count {
            return Err(other(&format!(
                "another number of shards ({} rather than {count})",
                info.count
            )));
        }
        if info.run_identity != first_info.run_identity || document.roots != first.roots {
            return Err(other("other roots"));
        }
        if let Some(previous) = seen.insert(info.index, file) {
            return Err(MergeError::NotOneRun(format!(
                "shard {}/{count} is given twice: `{previous}` and `{file}`",
                info.index
            )));
        }
    }

    // What makes their verdicts comparable: refused unless allowed.
    let mut mixed = Vec::new();
    let data = |document: &ShardDocument| -> BTreeSet<String> {
        document
            .sources
            .iter()
            .filter_map(SourceWire::data_identity)
            .collect()
    };
    let first_data = data(first);
    for (file, document, info) in shards.iter().skip(1) {
        if info.pyaudit_version != first_info.pyaudit_version {
            mixed.push(format!(
                "`{file}` was made by pyaudit {}, `{first_file}` by {}",
                info.pyaudit_version, first_info.pyaudit_version
            ));
        }
        if info.config_fingerprint != first_info.config_fingerprint {
            mixed.push(format!(
                "`{file}` was made with another configuration than `{first_file}`"
            ));
        }
        let data = data(document);
        if data != first_data {
            let describe =
                |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
            mixed.push(format!(
                "`{file}` judged against other advisory data ({}) than `{first_file}` ({})",
                describe(&data),
                describe(&first_data)
            ));
        }
    }
    if !mixed.is_empty() && !allow_mixed {
        return Err(MergeError::Mixed(mixed));
    }

    let merged: Vec<u32> = seen.keys().copied().collect();
    let missing: Vec<u32> = (0..count)
        .filter(|index| !seen.contains_key(index))
        .collect();
    let roots = first.roots.clone();
    let run_identity = first_info.run_identity.clone();
    let census = first_info.census.clone();
    let org_findings = stale_everywhere(&shards);
    let sources = merge_sources(&shards);
    let mut warnings: Vec<String> = Vec::new();
    for (_, document, _) in &shards {
        for warning in &document.warnings {
            if !warnings.contains(warning) {
                warnings.push(warning.clone());
            }
        }
    }

    // Packages: the union, in the single run's order (name, then PEP 440 version).
    let mut keyed: BTreeMap<(String, SortVersion), CensusPackage> = BTreeMap::new();
    for (file, _, info) in &shards {
        for package in &info.packages {
            let key = (package.name.clone(), SortVersion::new(&package.version));
            if keyed.contains_key(&key) {
                continue;
            }
            let census = package
                .to_census()
                .map_err(|error| MergeError::NotOneRun(format!("`{file}`: {error}")))?;
            keyed.insert(key, census);
        }
    }
    let index_of: BTreeMap<(String, String), u32> = keyed
        .values()
        .enumerate()
        .map(|(index, package)| {
            (
                (package.name.clone(), package.version.clone()),
                index as u32,
            )
        })
        .collect();
    let packages: Vec<CensusPackage> = keyed.into_values().collect();

    // When every shard walked the whole organisation (one checkout shared, or cloned whole),
    // each knows every repository's position, and the merge can prove none is missing. Shards
    // that cloned only their own repositories each saw another number: the shard indices are
    // then the only completeness check.
    let shared_view = shards
        .iter()
        .all(|(_, _, info)| info.discovered == discovered);
    let mut positions: BTreeSet<usize> = BTreeSet::new();
    // Repositories: back in the single run's order (by name, then path, as discovery sorts
    // them); one in two shards is not one run.
    let mut placed: BTreeMap<(String, String), (RepoReport, BTreeSet<u32>)> = BTreeMap::new();
    for (file, document, info) in shards {
        for (repository, shard_repository) in
            document.repositories.into_iter().zip(info.repositories)
        {
            if shared_view
                && (shard_repository.position >= discovered
                    || !positions.insert(shard_repository.position))
            {
                return Err(MergeError::NotOneRun(format!(
                    "`{file}`: repository `{}` is at position {} of {discovered}, which another \
                     shard has or which does not exist",
                    repository.name, shard_repository.position
                )));
            }
            let mut indices = BTreeSet::new();
            for local in shard_repository.packages {
                let package = info.packages.get(local as usize).ok_or_else(|| {
                    MergeError::NotOneRun(format!(
                        "`{file}`: repository `{}` names package {local} of {}",
                        repository.name,
                        info.packages.len()
                    ))
                })?;
                if let Some(&global) =
                    index_of.get(&(package.name.clone(), package.version.clone()))
                {
                    indices.insert(global);
                }
            }
            let name = repository.name.clone();
            let key = (repository.name.clone(), repository.path.clone());
            if placed.insert(key, (repository, indices)).is_some() {
                return Err(MergeError::NotOneRun(format!(
                    "repository `{name}` is in two shards (the last is `{file}`)"
                )));
            }
        }
    }
    let repositories_missing = if shared_view {
        discovered.saturating_sub(placed.len())
    } else {
        0
    };
    let (repositories, repository_packages) = placed.into_values().unzip();
    Ok(Merged {
        roots,
        run_identity,
        repositories,
        packages,
        repository_packages,
        census,
        org_findings,
        sources,
        warnings,
        status: MergeStatus {
            count,
            merged,
            missing,
            failed,
            repositories_missing,
            mixed,
        },
    })
}

/// Org-level findings (an org ignore that matched nothing) hold for the whole run only when
/// every shard found the same: an ignore used in one shard is not stale.
fn stale_everywhere(shards: &[(String, ShardDocument, ShardInfo)]) -> Vec<Finding> {
    let key = |finding: &Finding| {
        format!(
            "{} {} {}",
            finding.code,
            finding.evidence.key(),
            finding.message
        )
    };
    let Some((_, first, _)) = shards.first() else {
        return Vec::new();
    };
    first
        .org_findings
        .iter()
        .filter(|finding| {
            let wanted = key(finding);
            shards.iter().all(|(_, document, _)| {
                document
                    .org_findings
                    .iter()
                    .any(|other| key(other) == wanted)
            })
        })
        .cloned()
        .collect()
}

/// The sources of every shard, one entry per kind and location: a copy's advisories counted
/// once (every shard loaded the same), services' answers added up, the oldest age kept.
fn merge_sources(shards: &[(String, ShardDocument, ShardInfo)]) -> Vec<DataSource> {
    let mut merged: Vec<(SourceWire, DataSource)> = Vec::new();
    for (_, document, _) in shards {
        for source in &document.sources {
            let existing = merged
                .iter_mut()
                .find(|(wire, _)| wire.kind == source.kind && wire.location == source.location);
            match existing {
                Some((_, data)) => {
                    data.entries = if source.is_copy() {
                        data.entries.max(source.entries)
                    } else {
                        data.entries + source.entries
                    };
                    data.as_of = match (data.as_of, source.as_of) {
                        (Some(left), Some(right)) => Some(left.min(right)),
                        (left, right) => left.or(right),
                    };
                }
                None => merged.push((
                    source.clone(),
                    DataSource {
                        kind: source.kind.clone(),
                        location: source.location.clone(),
                        as_of: source.as_of,
                        entries: source.entries,
                        coverage: source
                            .coverage
                            .as_deref()
                            .map(|coverage| SourceCoverage::from_complete(coverage == "complete")),
                    },
                )),
            }
        }
    }
    merged.into_iter().map(|(_, data)| data).collect()
}

/// A version ordered as the run orders its targets (PEP 440), its text as the tie-break and
/// the fallback when it does not parse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SortVersion(Option<pep440_rs::Version>, String);

impl SortVersion {
    fn new(text: &str) -> Self {
        Self(pep440_rs::Version::from_str(text).ok(), text.to_string())
    }
}
