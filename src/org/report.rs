//! Everything one org run reports: the repositories' results, the org-level analysis, and the
//! night-over-night diff; what every org reporter renders.

use serde::Serialize;

use super::analysis::{OrgAnalysis, RepoReport};
use crate::findings::Finding;

/// Everything one org run reports; what every org reporter renders.
#[derive(Debug, Clone, Serialize)]
pub struct OrgReport {
    /// Unix milliseconds.
    pub generated_at: i64,
    /// The roots searched, or the list file read.
    pub roots: Vec<String>,
    #[serde(flatten)]
    pub analysis: OrgAnalysis,
    /// What changed since the previous run of the same roots; `None` on the first run.
    pub since_last: Option<super::history::Diff>,
    /// The runs the cache keeps for these roots and this one, oldest first (the HTML chart);
    /// empty for a shard, which is not compared. Not in the JSON: the cache is its record.
    #[serde(skip)]
    pub history: Vec<super::history::RunPoint>,
    /// Findings about the org config itself (its ignores that matched nothing anywhere).
    pub org_findings: Vec<Finding>,
    pub sources: Vec<crate::enrich::DataSource>,
    pub warnings: Vec<String>,
    pub repositories: Vec<RepoReport>,
    /// `pyaudit org --shard`: which shard this is and what the merge needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::shard::ShardInfo>,
    /// `pyaudit org-merge`: the shards merged, and any missing, failed or mixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<super::merge::MergeStatus>,
}
