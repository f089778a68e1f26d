//! `pyaudit graph --format tree`: each root's dependencies as an indented tree, like `uv tree`.
//! A subtree already printed is marked `(*)` instead of being printed again, so the output stays
//! linear in the size of the graph.

use std::collections::HashSet;
use std::fmt::Write;

use crate::graph::{Class, Graph};
use crate::lockfile::{Dependency, PackageIndex, PackageRole};

pub fn render(graph: &Graph) -> String {
    crate::sanitize::terminal_safe(&render_raw(graph)).into_owned()
}

fn render_raw(graph: &Graph) -> String {
    let mut out = String::new();
    let counts = graph.class_counts();
    let count = |class| counts.get(&class).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "{} ({}, {} packages: {} prod, {} optional, {} dev{})",
        graph.lockfile.path.display(),
        graph.lockfile.kind,
        counts.values().sum::<usize>(),
        count(Class::Prod),
        count(Class::Optional),
        count(Class::Dev),
        match count(Class::Unreachable) {
            0 => String::new(),
            unreachable => format!(", {unreachable} unreachable"),
        }
    );
    let mut printed = HashSet::new();
    for &root in graph.roots() {
        let package = graph.package(root);
        let role = match package.role {
            PackageRole::Synthetic => " (root)",
            _ => " (project)",
        };
        let _ = writeln!(out, "{}{role}", graph.package_label(root));
        let mut sections: Vec<(String, &[Dependency])> =
            vec![(String::new(), package.dependencies.as_slice())];
        for (extra, edges) in &package.optional_dependencies {
            sections.push((format!("[extra: {extra}]"), edges.as_slice()));
        }
        for (group, edges) in &package.dependency_groups {
            sections.push((format!("[group: {group}]"), edges.as_slice()));
        }
        sections.retain(|(_, edges)| !edges.is_empty());
        let section_count = sections.len();
        for (position, (heading, edges)) in sections.into_iter().enumerate() {
            let last = position + 1 == section_count;
            if heading.is_empty() {
                // Main dependencies hang directly under the root.
                write_children(&mut out, graph, edges, "", last, &mut printed);
            } else {
                let _ = writeln!(out, "{}{heading}", if last { "└── " } else { "├── " });
                let prefix = if last { "    " } else { "│   " };
                write_children(&mut out, graph, edges, prefix, true, &mut printed);
            }
        }
    }
    let unreachable: Vec<PackageIndex> = (0..graph.packages().len())
        .filter(|&index| graph.classes[index] == Class::Unreachable)
        .collect();
    if !unreachable.is_empty() {
        let _ = writeln!(out, "not reached from any root (the lock may be stale):");
        for index in unreachable {
            let _ = writeln!(out, "    {}", graph.package_label(index));
        }
    }
    out
}

/// Write `edges` below a node. `closes_parent` tells whether these children are the parent's last
/// block (only matters for the main dependencies of a root, which share the root's level with the
/// extra and group headings).
fn write_children(
    out: &mut String,
    graph: &Graph,
    edges: &[Dependency],
    prefix: &str,
    closes_parent: bool,
    printed: &mut HashSet<(PackageIndex, Vec<String>)>,
) {
    // Explicit stack instead of recursion: generated locks can be thousands of levels deep.
    struct Frame {
        edges: Vec<Dependency>,
        position: usize,
        prefix: String,
        closes: bool,
    }
    let mut stack = vec![Frame {
        edges: edges.to_vec(),
        position: 0,
        prefix: prefix.to_string(),
        closes: closes_parent,
    }];
    while let Some(frame) = stack.last_mut() {
        if frame.position >= frame.edges.len() {
            stack.pop();
            continue;
        }
        let edge = frame.edges[frame.position].clone();
        frame.position += 1;
        let is_last = frame.position == frame.edges.len() && frame.closes;
        let prefix = frame.prefix.clone();
        let connector = if is_last { "└── " } else { "├── " };
        let mut line = graph.package_label(edge.package);
        if !edge.extras.is_empty() {
            let package = graph.package(edge.package);
            line = line.replacen(
                package.name.as_ref(),
                &format!("{}[{}]", package.name, edge.extras.join(",")),
                1,
            );
        }
        let class = graph.classes[edge.package];
        if class != Class::Prod {
            line.push_str(&format!(" [{}]", class.as_str()));
        }
        if let Some(marker) = &edge.marker {
            line.push_str(&format!(" ; {marker}"));
        }
        let key = (edge.package, edge.extras.clone());
        let children = children_of(graph, &edge);
        let seen = !printed.insert(key);
        if seen && !children.is_empty() {
            line.push_str(" (*)");
        }
        let _ = writeln!(out, "{prefix}{connector}{line}");
        if !seen && !children.is_empty() {
            stack.push(Frame {
                edges: children,
                position: 0,
                prefix: format!("{prefix}{}", if is_last { "    " } else { "│   " }),
                closes: true,
            });
        }
    }
}

/// What entering a package through `edge` installs: its main dependencies and the requested
/// extras' dependencies.
fn children_of(graph: &Graph, edge: &Dependency) -> Vec<Dependency> {
    let package = graph.package(edge.package);
    let mut children = package.dependencies.clone();
    for extra in &edge.extras {
        if let Some(edges) = package.optional_dependencies.get(extra) {
            children.extend(edges.iter().cloned());
        }
    }
    children
}
