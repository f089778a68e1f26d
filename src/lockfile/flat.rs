//! Pieces shared by the readers of locks that list packages without saying which are the
//! project's roots (pdm.lock, Pipfile.lock, installed environments): a project node, root edges
//! by class, name look-up and reachability.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use super::pyproject::{ConstraintSyntax, DeclaredDependency, Pyproject};
use super::{
    Dependency, Location, LockedPackage, LockfileError, PackageIndex, PackageRole, Source,
    package_name,
};

/// Package positions by normalized name.
pub fn resolve_by_name(packages: &[LockedPackage]) -> BTreeMap<String, Vec<PackageIndex>> {
    let mut by_name: BTreeMap<String, Vec<PackageIndex>> = BTreeMap::new();
    for (position, package) in packages.iter().enumerate() {
        by_name
            .entry(package.name.to_string())
            .or_default()
            .push(position);
    }
    by_name
}

/// The node standing for the project: named by the pyproject, else the lock's directory, else
/// `project`.
pub fn project_root(
    path: &Path,
    pyproject: Option<&Pyproject>,
) -> Result<LockedPackage, LockfileError> {
    let from_directory = || {
        let directory = std::fs::canonicalize(path.parent()?).ok()?;
        let name = directory.file_name()?.to_string_lossy().into_owned();
        package_name(&name).ok()
    };
    let name = match pyproject
        .and_then(|pyproject| pyproject.name.as_deref())
        .and_then(|name| package_name(name).ok())
        .or_else(from_directory)
    {
        Some(name) => name,
        None => package_name("project").map_err(|message| LockfileError::Invalid {
            location: Location::new(path, 1),
            message,
        })?,
    };
    Ok(LockedPackage {
        name,
        version: pyproject.and_then(|pyproject| pyproject.version.clone()),
        source: Source::Directory {
            path: ".".to_string(),
        },
        specifier: None,
        role: PackageRole::Synthetic,
        location: None,
        hashes: 0,
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    })
}

/// The root's edges, by class, before they are put on the root node.
#[derive(Debug, Default)]
pub struct RootEdges {
    pub main: Vec<Dependency>,
    pub extras: BTreeMap<String, Vec<Dependency>>,
    pub groups: BTreeMap<String, Vec<Dependency>>,
}

impl RootEdges {
    /// An edge for a lock group: `default` is main, a project extra is an extra, anything else a
    /// dependency group.
    pub fn add_group(
        &mut self,
        group: &str,
        extras: &BTreeSet<String>,
        package: PackageIndex,
        marker: Option<String>,
    ) {
        let edge = Dependency {
            package,
            extras: Vec::new(),
            marker,
        };
        if group == "default" {
            self.main.push(edge);
        } else if extras.contains(group) {
            self.extras.entry(group.to_string()).or_default().push(edge);
        } else {
            self.groups.entry(group.to_string()).or_default().push(edge);
        }
    }

    /// What a lock group starts from: the main edges, and the group's own.
    pub fn group_targets(&self, group: &str, extras: &BTreeSet<String>) -> Vec<PackageIndex> {
        let own = if group == "default" {
            None
        } else if extras.contains(group) {
            self.extras.get(group)
        } else {
            self.groups.get(group)
        };
        self.main
            .iter()
            .chain(own.into_iter().flatten())
            .map(|edge| edge.package)
            .collect()
    }

    pub fn apply(self, root: &mut LockedPackage) {
        root.dependencies.extend(self.main);
        for (extra, edges) in self.extras {
            root.optional_dependencies
                .entry(extra)
                .or_default()
                .extend(edges);
        }
        for (group, edges) in self.groups {
            root.dependency_groups
                .entry(group)
                .or_default()
                .extend(edges);
        }
    }
}

/// Root edges for what the pyproject declares, to the locked packages of those names.
pub fn link_declared(
    pyproject: &Pyproject,
    by_name: &BTreeMap<String, Vec<PackageIndex>>,
    packages: &[LockedPackage],
    edges: &mut RootEdges,
) {
    let link = |declared: &DeclaredDependency| -> Vec<Dependency> {
        let Some(candidates) = by_name.get(declared.name.as_ref()) else {
            return Vec::new();
        };
        let specifiers = match declared.syntax {
            ConstraintSyntax::Pep440 => declared
                .constraint
                .as_deref()
                .and_then(|constraint| VersionSpecifiers::from_str(constraint).ok()),
            ConstraintSyntax::Poetry => None,
        };
        let allowed: Vec<PackageIndex> = candidates
            .iter()
            .copied()
            .filter(
                |&position| match (&specifiers, &packages[position].version) {
                    (Some(specifiers), Some(version)) => specifiers.contains(version),
                    _ => true,
                },
            )
            .collect();
        let chosen = if allowed.is_empty() {
            candidates.clone()
        } else {
            allowed
        };
        chosen
            .into_iter()
            .map(|package| Dependency {
                package,
                extras: declared.extras.clone(),
                marker: declared.marker.clone(),
            })
            .collect()
    };
    for declared in &pyproject.dependencies {
        edges.main.extend(link(declared));
    }
    for (extra, list) in &pyproject.optional_dependencies {
        let entry = edges.extras.entry(extra.clone()).or_default();
        for declared in list {
            entry.extend(link(declared));
        }
    }
    for (group, declared_group) in &pyproject.dependency_groups {
        let entry = edges.groups.entry(group.clone()).or_default();
        for declared in &declared_group.dependencies {
            entry.extend(link(declared));
        }
    }
}

/// Which packages the seeds given install: main edges, and the extras' edges an edge asks for.
/// Seeds may be added one at a time; the total work is linear in packages plus edges (each
/// package is expanded once, and once per extra asked of it).
pub struct Reach<'a> {
    packages: &'a [LockedPackage],
    pub reached: Vec<bool>,
    expanded_extras: BTreeSet<(PackageIndex, &'a str)>,
}

impl<'a> Reach<'a> {
    pub fn new(packages: &'a [LockedPackage]) -> Self {
        Self {
            packages,
            reached: vec![false; packages.len()],
            expanded_extras: BTreeSet::new(),
        }
    }

    pub fn add(&mut self, seed: PackageIndex) {
        let packages = self.packages;
        let mut stack: Vec<PackageIndex> = Vec::new();
        let mut extra_stack: Vec<(PackageIndex, &'a str)> = Vec::new();
        if let Some(flag) = self.reached.get_mut(seed)
            && !*flag
        {
            *flag = true;
            stack.push(seed);
        }
        loop {
            let edges: Vec<&'a Dependency> = if let Some(position) = stack.pop() {
                packages[position].dependencies.iter().collect()
            } else if let Some((position, extra)) = extra_stack.pop() {
                packages[position]
                    .optional_dependencies
                    .get(extra)
                    .into_iter()
                    .flatten()
                    .collect()
            } else {
                break;
            };
            for edge in edges {
                let Some(target) = packages.get(edge.package) else {
                    continue;
                };
                if !self.reached[edge.package] {
                    self.reached[edge.package] = true;
                    stack.push(edge.package);
                }
                for extra in &edge.extras {
                    if let Some((name, _)) = target.optional_dependencies.get_key_value(extra)
                        && self.expanded_extras.insert((edge.package, name.as_str()))
                    {
                        extra_stack.push((edge.package, name.as_str()));
                    }
                }
            }
        }
    }
}

/// Packages in no other package's main dependencies first, then the rest, each in file order:
/// the order in which root edges are added so that as few as possible are needed.
pub fn roots_first(packages: &[LockedPackage]) -> Vec<PackageIndex> {
    let mut depended_on = vec![false; packages.len()];
    for package in packages {
        for edge in &package.dependencies {
            if let Some(flag) = depended_on.get_mut(edge.package) {
                *flag = true;
            }
        }
    }
    let (mut order, rest): (Vec<PackageIndex>, Vec<PackageIndex>) =
        (0..packages.len()).partition(|&position| !depended_on[position]);
    order.extend(rest);
    order
}
