//! `pyaudit review` reports: one module per format over the same [`Review`] (text for people,
//! JSON `pyaudit-review/1` for ticket bots, Markdown for a ticket or pull-request comment), and
//! the facts they share — the tree as lines, each package's facts.

pub mod json;
pub mod markdown;
pub mod text;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::enrich::history::PackageHistory;
use crate::enrich::license::{LicenseOrigin, LicenseSource};
use crate::enrich::metadata::{MetadataData, MetadataStatus, ProjectStatusInfo};
use crate::enrich::{PackageKey, VulnerabilityData};
use crate::graph::Graph;
use crate::lockfile::{Dependency, PackageIndex};
use crate::policy::LockReport;
use crate::review::Verdict;
use crate::review::cadence::Cadence;
use crate::review::resolve::{HeldBack, RequirementsFrom, Resolution, TargetEnvironment};

/// Everything a review report shows; plain data the command produced.
pub struct Review<'a> {
    pub resolution: &'a Resolution,
    pub graph: &'a Graph,
    pub environment: &'a TargetEnvironment,
    pub report: &'a LockReport,
    pub verdict: &'a Verdict,
    /// Packages the `--against` lock already has at the same version (not evaluated).
    pub already_locked: &'a [PackageIndex],
    pub against: Option<&'a Path>,
    pub data: &'a VulnerabilityData,
    pub metadata: Option<&'a MetadataData>,
    /// Each evaluated package's advisory history, split for its version.
    pub histories: &'a BTreeMap<PackageKey, PackageHistory>,
    pub now_millis: i64,
}

/// Said in every format: what the tree is and is not.
pub const APPROXIMATION_NOTE: &str = "each requirement takes the newest release that satisfies \
    it and its Requires-Python, breadth first, the first choice kept (no backtracking): an \
    approximation of a resolver, not what uv or pip would lock";

/// One line of the tree: indentation, the package, how the edge was taken.
#[derive(Debug, Clone, Serialize)]
pub struct TreeLine {
    /// `├── ` style drawing.
    #[serde(skip)]
    pub prefix: String,
    pub depth: usize,
    pub name: String,
    pub version: Option<String>,
    /// Extras the edge asks for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<String>,
    /// The marker on the edge, true for the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// The extra of the parent that brings this edge in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_extra: Option<String>,
    /// Already shown above (its dependencies are not repeated).
    pub repeated: bool,
}

/// The tree from the reviewed package down, each subtree shown once.
pub fn tree_lines(graph: &Graph) -> Vec<TreeLine> {
    let mut lines = Vec::new();
    let mut printed = HashSet::new();
    let root = graph.package(0);
    let edges: Vec<(Option<String>, &Dependency)> =
        root.dependencies.iter().map(|edge| (None, edge)).collect();
    walk(graph, &edges, "", 1, &mut printed, &mut lines);
    lines
}

fn walk(
    graph: &Graph,
    edges: &[(Option<String>, &Dependency)],
    prefix: &str,
    depth: usize,
    printed: &mut HashSet<PackageIndex>,
    lines: &mut Vec<TreeLine>,
) {
    for (position, (via_extra, edge)) in edges.iter().enumerate() {
        let last = position + 1 == edges.len();
        let package = graph.package(edge.package);
        let (branch, below) = if depth == 1 {
            ("", "")
        } else if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let repeated = !printed.insert(edge.package);
        lines.push(TreeLine {
            prefix: format!("{prefix}{branch}"),
            depth,
            name: package.name.to_string(),
            version: package.version.as_ref().map(ToString::to_string),
            extras: edge.extras.clone(),
            marker: edge.marker.clone(),
            via_extra: via_extra.clone(),
            repeated,
        });
        if repeated {
            continue;
        }
        let mut children: Vec<(Option<String>, &Dependency)> = package
            .dependencies
            .iter()
            .map(|child| (None, child))
            .collect();
        for (extra, extra_edges) in &package.optional_dependencies {
            children.extend(extra_edges.iter().map(|child| (Some(extra.clone()), child)));
        }
        let next_prefix = format!("{prefix}{below}");
        walk(graph, &children, &next_prefix, depth + 1, printed, lines);
    }
}

/// What the review knows about one package of the closure.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFacts {
    pub name: String,
    pub version: String,
    /// 1 for the reviewed package.
    pub depth: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<String>,
    /// Where its requirements were read: `core-metadata`, `project-json`, `release-json`,
    /// `unknown`.
    pub requirements_from: RequirementsFrom,
    /// The newer release passed over because it is inside the cooldown (`uv --exclude-newer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_back: Option<HeldBack>,
    pub yanked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// The chosen release's own license field (core metadata), when read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Already in the `--against` lock at this version: not evaluated.
    pub already_locked: bool,
    /// Known vulnerabilities of this version; `None` when not checked.
    pub vulnerabilities: Option<usize>,
    /// The project's vulnerabilities that do not affect this version but affected an earlier
    /// one (fixed before it); `None` when the history is unknown (never 0 for "not known").
    pub past_vulnerabilities: Option<usize>,
    /// Malicious-package records naming the project, whatever versions; `None` when unknown.
    pub malicious_records: Option<usize>,
    /// The history with its ids (`current`, `past`, `newer_only`, `malicious`), or why unknown;
    /// absent for packages not evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisories: Option<PackageHistory>,
    /// Release history (unix milliseconds), from PyPI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_upload: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_upload: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_version: Option<String>,
    /// Releases uploaded in the 365 days before the review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases_last_year: Option<usize>,
    pub total_releases: Option<usize>,
    /// Release cadence from the release list (yanked and file-less releases left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
    /// The SPDX expression the license rules judged, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_expression: Option<String>,
    /// Where that license was read: `release-metadata` (the chosen release's own METADATA) or
    /// `project-json` (PyPI's project JSON, the newest release's); absent without metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_read_from: Option<&'static str>,
    /// PEP 792 status (`active`, `archived`, …), `unknown` when not known.
    pub project_status: String,
    /// Requirements left out because their markers are false for the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_by_markers: Vec<String>,
}

/// Facts for every package of the closure (the root excluded), in resolution order.
pub fn package_facts(review: &Review<'_>) -> Vec<PackageFacts> {
    let resolution = review.resolution;
    resolution
        .lockfile
        .packages
        .iter()
        .enumerate()
        .skip(1)
        .map(|(index, package)| {
            let node = &resolution.nodes[index];
            let name = package.name.to_string();
            let version = package
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let key = package
                .version
                .as_ref()
                .map(|version| crate::enrich::PackageKey::new(name.clone(), version.clone()));
            let vulnerabilities =
                key.as_ref()
                    .and_then(|key| match review.data.packages.get(key) {
                        Some(crate::enrich::VulnerabilityStatus::Checked { vulnerabilities }) => {
                            Some(vulnerabilities.len())
                        }
                        _ => None,
                    });
            let metadata = key
                .as_ref()
                .and_then(|key| review.metadata?.packages.get(key))
                .and_then(MetadataStatus::metadata);
            let project = resolution.projects.get(&name);
            let history = key
                .as_ref()
                .and_then(|key| review.histories.get(key))
                .cloned();
            let (past_vulnerabilities, malicious_records) = match &history {
                Some(PackageHistory::Checked { counts }) => {
                    (Some(counts.past.len()), Some(counts.malicious.len()))
                }
                _ => (None, None),
            };
            let license = metadata.and_then(|metadata| metadata.license.as_ref());
            PackageFacts {
                depth: node.depth,
                extras: node.extras.iter().cloned().collect(),
                requirements_from: node.requirements_from.clone(),
                held_back: node.held_back.clone(),
                yanked: node.yanked,
                requires_python: node.requires_python.clone(),
                license: node.license.clone(),
                already_locked: review.already_locked.contains(&index),
                vulnerabilities,
                past_vulnerabilities,
                malicious_records,
                advisories: history,
                released: node.uploaded,
                first_upload: metadata
                    .and_then(|metadata| metadata.first_upload_time)
                    .map(pyaudit_cache::Timestamp::unix_millis),
                last_upload: metadata
                    .and_then(|metadata| metadata.last_upload_time)
                    .map(pyaudit_cache::Timestamp::unix_millis),
                newest_version: metadata
                    .and_then(|metadata| metadata.newest_version.as_ref())
                    .map(ToString::to_string),
                releases_last_year: project
                    .map(|project| project.releases_within(review.now_millis, 365)),
                total_releases: project.map(|project| {
                    project
                        .releases
                        .iter()
                        .filter(|release| release.files > 0)
                        .count()
                }),
                cadence: project.map(|project| Cadence::of(project, review.now_millis)),
                license_expression: license.and_then(|license| match license.source {
                    LicenseSource::Unknown => None,
                    _ => license.expression.clone(),
                }),
                license_read_from: license.map(|license| match license.read_from {
                    LicenseOrigin::ReleaseMetadata { .. } => "release-metadata",
                    LicenseOrigin::ProjectJson => "project-json",
                }),
                project_status: match metadata.map(|metadata| &metadata.project_status) {
                    Some(ProjectStatusInfo::Active) => "active".to_owned(),
                    Some(ProjectStatusInfo::Reported { status, .. }) => status.clone(),
                    _ => "unknown".to_owned(),
                },
                skipped_by_markers: node.skipped.clone(),
                name,
                version,
            }
        })
        .collect()
}

/// The advisory history in words: `2 affect this version; 7 past (fixed before it); no
/// malicious-package record`, or `history unknown: <reason>`. Counts only; the ids are in JSON.
pub fn history_line(fact: &PackageFacts) -> String {
    let counts = match &fact.advisories {
        Some(PackageHistory::Checked { counts }) => counts,
        Some(PackageHistory::Unknown { reason }) => {
            return format!("past advisories unknown — {reason}");
        }
        None => return "past advisories unknown — not looked up".to_owned(),
    };
    let mut parts = vec![
        match counts.current.len() {
            1 => "1 affects this version".to_owned(),
            count => format!("{count} affect this version"),
        },
        format!("{} past (fixed before it)", counts.past.len()),
    ];
    if !counts.newer_only.is_empty() {
        parts.push(format!(
            "{} only in newer releases",
            counts.newer_only.len()
        ));
    }
    parts.push(match counts.malicious.len() {
        0 => "no malicious-package record".to_owned(),
        1 => "1 MALICIOUS-PACKAGE RECORD".to_owned(),
        count => format!("{count} MALICIOUS-PACKAGE RECORDS"),
    });
    parts.join("; ")
}

/// The license in words, with where it was read: `MIT (from this release's METADATA)`,
/// `unknown: \`Custom\` has no SPDX equivalent (…)`; `None` when nothing is known at all.
pub fn license_words(fact: &PackageFacts) -> Option<String> {
    let origin = |read_from: &str| match read_from {
        "release-metadata" => "from this release's METADATA",
        _ => "from PyPI's project JSON, the newest release",
    };
    match (
        &fact.license_expression,
        fact.license_read_from,
        &fact.license,
    ) {
        (Some(expression), Some(from), _) => Some(format!("{expression} ({})", origin(from))),
        (None, Some(from), Some(declared)) => Some(format!(
            "unknown: `{declared}` has no SPDX equivalent ({})",
            origin(from)
        )),
        (None, Some(from), None) => Some(format!("unknown: none declared ({})", origin(from))),
        (_, None, Some(declared)) => Some(declared.clone()),
        _ => None,
    }
}

/// `YYYY-MM-DD` of unix milliseconds.
/// The date the advisory data behind "no known vulnerabilities" dates from: the oldest data the
/// run used, else the run itself (live answers).
pub fn advisory_as_of(review: &Review<'_>) -> Option<String> {
    review.data.oldest_data.or(review.data.audited_at).map(date)
}

/// Every data source of the review with its age, as one line.
pub fn sources_line(review: &Review<'_>) -> String {
    let mut sources: Vec<String> = review
        .data
        .sources
        .iter()
        .map(|source| super::describe_source(source, Some(review.now_millis)))
        .collect();
    sources.dedup();
    if sources.is_empty() {
        "no advisory data used".to_owned()
    } else {
        sources.join("; ")
    }
}

pub fn date(millis: i64) -> String {
    crate::report::rfc3339_from_unix_millis(millis)
        .get(..10)
        .unwrap_or_default()
        .to_owned()
}

/// Why the JSON API gave a release's requirements: `no METADATA file listed`, or the failure.
pub fn metadata_failed_words(metadata_failed: Option<&str>) -> String {
    match metadata_failed {
        Some(reason) => format!("its METADATA file failed: {reason}"),
        None => "no METADATA file listed".to_owned(),
    }
}

/// `newest 3.11 (uploaded 2026-11-22) is inside the 7-day cooldown: took the newest older
/// release that satisfies the requirement, as `uv --exclude-newer` would`.
pub fn held_back_line(held_back: &HeldBack) -> String {
    format!(
        "newest {} (uploaded {}) is inside the {}-day cooldown: took the newest older release \
         that satisfies the requirement, as `uv --exclude-newer` would",
        held_back.newest,
        date(held_back.uploaded),
        held_back.cooldown_days
    )
}
