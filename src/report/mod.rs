//! Renderers: one module per output format. They only format data the earlier stages produced.

pub mod json;
pub mod text;
pub mod tree;

use crate::graph::{Graph, PathStep};
use crate::lockfile::{PackageIndex, Source};

/// `name==version`, with the source when it is not a registry, for people.
pub fn package_label(graph: &Graph, index: PackageIndex) -> String {
    let package = graph.package(index);
    let mut label = package.name.to_string();
    match (&package.version, &package.specifier) {
        (Some(version), _) => label.push_str(&format!("=={version}")),
        (None, Some(specifier)) => label.push_str(&format!(" {specifier} (unpinned)")),
        (None, None) => {}
    }
    match &package.source {
        Source::Registry { .. } => {}
        Source::Git { url, reference } => {
            label.push_str(&format!(" (git: {url}"));
            if let Some(reference) = reference {
                label.push_str(&format!("@{reference}"));
            }
            label.push(')');
        }
        Source::Url { url } => label.push_str(&format!(" (url: {url})")),
        Source::Path { path }
        | Source::Directory { path }
        | Source::Editable { path }
        | Source::Virtual { path } => {
            label.push_str(&format!(" ({}: {path})", package.source.kind()))
        }
    }
    label
}

/// One path step as people read it: `fastapi[standard]`, `project (group: dev)`.
pub fn step_label(graph: &Graph, step: &PathStep) -> String {
    graph.step_label(step)
}
