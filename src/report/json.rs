//! JSON output: stable, versioned shapes documented in `docs/json.md`. Field order is fixed by the
//! structs and every list is in lockfile order, so the same input always gives the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::{Activation, Graph, PathStep};
use crate::lockfile::{Dependency, Diagnostic, LockedPackage, Source};

/// Bumped whenever a field changes meaning or disappears; additions keep the version.
pub const GRAPH_SCHEMA: &str = "pyaudit-graph/1";
pub const WHY_SCHEMA: &str = "pyaudit-why/1";

#[derive(Serialize)]
struct GraphDocument<'a> {
    schema: &'static str,
    lockfiles: Vec<LockfileGraph<'a>>,
}

#[derive(Serialize)]
struct LockfileGraph<'a> {
    path: String,
    kind: &'static str,
    roots: Vec<usize>,
    warnings: &'a [Diagnostic],
    packages: Vec<PackageNode<'a>>,
}

#[derive(Serialize)]
struct PackageNode<'a> {
    id: usize,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    specifier: Option<&'a str>,
    class: &'static str,
    direct: bool,
    root: bool,
    role: crate::lockfile::PackageRole,
    source: &'a Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    hashes: usize,
    dependencies: Vec<Edge<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    optional_dependencies: BTreeMap<&'a str, Vec<Edge<'a>>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dependency_groups: BTreeMap<&'a str, Vec<Edge<'a>>>,
    /// The shortest path from a root, as package ids, root first.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<usize>>,
}

#[derive(Serialize)]
struct Edge<'a> {
    id: usize,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    extras: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<&'a str>,
}

fn edges<'a>(graph: &'a Graph, dependencies: &'a [Dependency]) -> Vec<Edge<'a>> {
    dependencies
        .iter()
        .map(|dependency| {
            let target = graph.package(dependency.package);
            Edge {
                id: dependency.package,
                name: target.name.as_ref(),
                version: target.version.as_ref().map(ToString::to_string),
                extras: &dependency.extras,
                marker: dependency.marker.as_deref(),
            }
        })
        .collect()
}

fn node<'a>(graph: &'a Graph, id: usize, package: &'a LockedPackage) -> PackageNode<'a> {
    let keyed = |map: &'a BTreeMap<String, Vec<Dependency>>| {
        map.iter()
            .map(|(key, dependencies)| (key.as_str(), edges(graph, dependencies)))
            .collect()
    };
    PackageNode {
        id,
        name: package.name.as_ref(),
        version: package.version.as_ref().map(ToString::to_string),
        specifier: package.specifier.as_deref(),
        class: graph.classes[id].as_str(),
        direct: graph.direct[id],
        root: graph.is_root(id),
        role: package.role,
        source: &package.source,
        line: package.location.as_ref().map(|location| location.line),
        hashes: package.hashes,
        dependencies: edges(graph, &package.dependencies),
        optional_dependencies: keyed(&package.optional_dependencies),
        dependency_groups: keyed(&package.dependency_groups),
        path: graph
            .shortest_path(id)
            .map(|steps| steps.iter().map(|step| step.package).collect()),
    }
}

pub fn render_graphs(graphs: &[Graph]) -> String {
    let document = GraphDocument {
        schema: GRAPH_SCHEMA,
        lockfiles: graphs
            .iter()
            .map(|graph| LockfileGraph {
                path: graph.lockfile.path.display().to_string(),
                kind: graph.lockfile.kind.as_str(),
                roots: graph.roots().to_vec(),
                warnings: &graph.lockfile.warnings,
                packages: graph
                    .packages()
                    .iter()
                    .enumerate()
                    .map(|(id, package)| node(graph, id, package))
                    .collect(),
            })
            .collect(),
    };
    to_pretty(&document)
}

#[derive(Serialize)]
struct WhyDocument<'a> {
    schema: &'static str,
    package: &'a str,
    lockfiles: Vec<WhyLockfile>,
}

#[derive(Serialize)]
struct WhyLockfile {
    path: String,
    matches: Vec<WhyMatch>,
}

#[derive(Serialize)]
struct WhyMatch {
    id: usize,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    class: &'static str,
    direct: bool,
    paths: Vec<Vec<WhyStep>>,
}

#[derive(Serialize)]
struct WhyStep {
    id: usize,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    via: Activation,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// Paths found by `why`: per lockfile, per matching package, its paths.
pub type WhyResults<'a> = Vec<(&'a Graph, Vec<(usize, Vec<Vec<PathStep>>)>)>;

pub fn render_why(query: &str, results: &WhyResults<'_>) -> String {
    let document = WhyDocument {
        schema: WHY_SCHEMA,
        package: query,
        lockfiles: results
            .iter()
            .map(|(graph, matches)| WhyLockfile {
                path: graph.lockfile.path.display().to_string(),
                matches: matches
                    .iter()
                    .map(|(id, paths)| WhyMatch {
                        id: *id,
                        name: graph.package(*id).name.to_string(),
                        version: graph.package(*id).version.as_ref().map(ToString::to_string),
                        class: graph.classes[*id].as_str(),
                        direct: graph.direct[*id],
                        paths: paths
                            .iter()
                            .map(|path| {
                                path.iter()
                                    .map(|step| WhyStep {
                                        id: step.package,
                                        name: graph.package(step.package).name.to_string(),
                                        version: graph
                                            .package(step.package)
                                            .version
                                            .as_ref()
                                            .map(ToString::to_string),
                                        via: step.activation.clone(),
                                        marker: step.marker.clone(),
                                    })
                                    .collect()
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    to_pretty(&document)
}

fn to_pretty(value: &impl Serialize) -> String {
    // Serializing plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

pub const LOCK_SCHEMA: &str = "pyaudit-lock/1";

#[derive(Serialize)]
struct LockDocument<'a> {
    schema: &'static str,
    summary: LockSummary,
    sources: &'a [crate::enrich::DataSource],
    #[serde(skip_serializing_if = "Option::is_none")]
    oldest_data: Option<i64>,
    warnings: &'a [String],
    lockfiles: &'a [crate::policy::LockReport],
}

/// Totals over every lockfile of a run.
#[derive(Serialize, Default)]
pub struct LockSummary {
    pub lockfiles: usize,
    pub packages: usize,
    pub audited: usize,
    pub not_audited: usize,
    pub deny: usize,
    pub warn: usize,
    pub vulnerabilities: usize,
    pub malicious: usize,
    pub unchecked: usize,
    /// Findings per rule code.
    pub by_rule: std::collections::BTreeMap<&'static str, usize>,
}

pub fn lock_summary(reports: &[crate::policy::LockReport]) -> LockSummary {
    use crate::findings::{Level, MALICIOUS_PACKAGE, UNCHECKED_PACKAGE, VULNERABILITY};
    let mut summary = LockSummary {
        lockfiles: reports.len(),
        ..LockSummary::default()
    };
    for report in reports {
        summary.packages += report.packages;
        summary.audited += report.audited;
        summary.not_audited += report.not_audited.len();
        for finding in &report.findings {
            match finding.level {
                Level::Deny => summary.deny += 1,
                Level::Warn => summary.warn += 1,
                Level::Allow => {}
            }
            *summary.by_rule.entry(finding.code).or_default() += 1;
            match finding.code {
                code if code == VULNERABILITY.code => summary.vulnerabilities += 1,
                code if code == MALICIOUS_PACKAGE.code => summary.malicious += 1,
                code if code == UNCHECKED_PACKAGE.code => summary.unchecked += 1,
                _ => {}
            }
        }
    }
    summary
}

pub fn render_lock(
    reports: &[crate::policy::LockReport],
    data: &crate::enrich::VulnerabilityData,
) -> String {
    to_pretty(&LockDocument {
        schema: LOCK_SCHEMA,
        summary: lock_summary(reports),
        sources: &data.sources,
        oldest_data: data.oldest_data,
        warnings: &data.warnings,
        lockfiles: reports,
    })
}
