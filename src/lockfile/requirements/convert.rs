//! From a parsed requirements file to the shared lockfile model: one synthetic root for the file,
//! a node per distinct requirement, edges rebuilt from pip-compile / uv `# via` comments, direct
//! requirements of development files put in dependency groups.

use std::collections::BTreeMap;

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::{RequirementEntry, RequirementsFile, ViaParent};
use crate::lockfile::{
    Dependency, Diagnostic, LockedPackage, Lockfile, LockfileKind, PackageIndex, PackageRole,
    Source, normalize_extra, package_name,
};

/// Two requirements are one node when they agree on all of these.
type NodeKey = (PackageName, Option<Version>, Option<String>, Source);

fn new_package(
    name: PackageName,
    version: Option<Version>,
    source: Source,
    specifier: Option<String>,
    role: PackageRole,
) -> LockedPackage {
    LockedPackage {
        name,
        version,
        source,
        specifier,
        role,
        location: None,
        hashes: 0,
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    }
}

/// The root's name: the file stem as a package name (`requirements-dev`).
fn root_name(file: &RequirementsFile) -> Option<PackageName> {
    let stem = file
        .path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sanitized: String = stem
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character
            } else {
                '-'
            }
        })
        .collect();
    let normalized = normalize_extra(sanitized.trim_matches('-'));
    package_name(&normalized)
        .or_else(|_| package_name("requirements"))
        .ok()
}

fn satisfies(entry: &RequirementEntry, version: &Version) -> bool {
    match (&entry.specifiers, &entry.specifier) {
        (Some(specifiers), _) => specifiers.contains(version),
        (None, None) => true,
        // `===string` that is not a PEP 440 version.
        (None, Some(_)) => false,
    }
}

/// Repeats are removed once at the end ([`crate::lockfile::dedup_edges`]), keeping the first.
fn push_unique(list: &mut Vec<Dependency>, dependency: Dependency) {
    list.push(dependency);
}

pub(super) fn to_lockfile(file: RequirementsFile) -> Lockfile {
    let mut warnings = file.warnings.clone();
    let mut packages = Vec::new();
    if let Some(name) = root_name(&file) {
        let mut root = new_package(
            name,
            None,
            Source::Path {
                path: file.path.display().to_string(),
            },
            None,
            PackageRole::Synthetic,
        );
        root.location = None;
        packages.push(root);
    }
    let root: PackageIndex = 0;
    let entries: Vec<&RequirementEntry> = file.entries().collect();
    let index_url = file
        .options()
        .filter(|option| option.name == "--index-url")
        .last()
        .and_then(|option| option.value.clone());

    // What pip would settle an unpinned requirement on: a pin of the same name elsewhere in the
    // install, or else a constraint.
    let mut pinned: BTreeMap<PackageName, Vec<Version>> = BTreeMap::new();
    let mut constraint_pins: BTreeMap<PackageName, Vec<Version>> = BTreeMap::new();
    for entry in &entries {
        if let (Some(name), Some(version)) = (&entry.name, &entry.version)
            && entry.source.is_registry()
        {
            let target = if entry.constraint {
                &mut constraint_pins
            } else {
                &mut pinned
            };
            target
                .entry(name.clone())
                .or_default()
                .push(version.clone());
        }
    }

    let mut node_of_entry: Vec<Option<PackageIndex>> = vec![None; entries.len()];
    let mut nodes: BTreeMap<NodeKey, PackageIndex> = BTreeMap::new();
    for (entry_index, entry) in entries.iter().enumerate() {
        if entry.constraint {
            continue;
        }
        let Some(name) = entry.name.clone() else {
            warnings.push(Diagnostic {
                location: Some(entry.location.clone()),
                message: format!(
                    "`{}` has no usable package name; skipped",
                    entry.requirement
                ),
            });
            continue;
        };
        let mut version = entry.version.clone();
        let mut specifier = if version.is_none() {
            entry.specifier.clone()
        } else {
            None
        };
        let source = match &entry.source {
            Source::Registry { url: None } => Source::Registry {
                url: index_url.clone(),
            },
            other => other.clone(),
        };
        if version.is_none() && source.is_registry() {
            let pin = pinned
                .get(&name)
                .and_then(|versions| versions.iter().find(|version| satisfies(entry, version)));
            let constraint = constraint_pins
                .get(&name)
                .and_then(|versions| versions.iter().find(|version| satisfies(entry, version)));
            if let Some(found) = pin.or(constraint) {
                version = Some(found.clone());
                specifier = None;
            } else if constraint_pins.contains_key(&name) {
                warnings.push(Diagnostic {
                    location: Some(entry.location.clone()),
                    message: format!(
                        "no constraint pin of `{name}` satisfies `{}`",
                        entry.requirement
                    ),
                });
            }
        }
        let key: NodeKey = (
            name.clone(),
            version.clone(),
            specifier.clone(),
            source.clone(),
        );
        let index = match nodes.get(&key) {
            Some(&index) => index,
            None => {
                let mut package =
                    new_package(name, version, source, specifier, PackageRole::Package);
                package.location = Some(entry.location.clone());
                packages.push(package);
                let index = packages.len() - 1;
                nodes.insert(key, index);
                index
            }
        };
        if let Some(package) = packages.get_mut(index) {
            package.hashes = package.hashes.max(entry.hashes.len());
        }
        node_of_entry[entry_index] = Some(index);
    }

    warn_conflicting_pins(&packages, &mut warnings);

    // Nodes by (file, name), to resolve `# via` names within the file that wrote them.
    let mut by_file_and_name: BTreeMap<(usize, PackageName), Vec<PackageIndex>> = BTreeMap::new();
    for (entry, node) in entries.iter().zip(&node_of_entry) {
        if let (Some(node), Some(name)) = (node, &entry.name) {
            let list = by_file_and_name
                .entry((entry.file, name.clone()))
                .or_default();
            if !list.contains(node) {
                list.push(*node);
            }
        }
    }

    for (entry, node) in entries.iter().zip(&node_of_entry) {
        let Some(node) = *node else { continue };
        let dependency = Dependency {
            package: node,
            extras: entry.extras.clone(),
            marker: entry.marker.clone(),
        };
        let mut attached = false;
        let mut unknown_parents = Vec::new();
        for parent in &entry.via {
            let ViaParent::Package(parent_name) = parent else {
                continue;
            };
            match by_file_and_name.get(&(entry.file, parent_name.clone())) {
                Some(parents) => {
                    for &parent_node in parents {
                        if parent_node != node
                            && let Some(parent_package) = packages.get_mut(parent_node)
                        {
                            push_unique(&mut parent_package.dependencies, dependency.clone());
                            attached = true;
                        }
                    }
                }
                None => unknown_parents.push(parent_name.to_string()),
            }
        }
        let direct = entry.via.iter().any(ViaParent::is_direct);
        if direct || !attached {
            if !direct && !unknown_parents.is_empty() && !attached {
                warnings.push(Diagnostic {
                    location: Some(entry.location.clone()),
                    message: format!(
                        "`# via {}` names no package of this file; treating `{}` as a direct requirement",
                        unknown_parents.join(", "),
                        entry.requirement
                    ),
                });
            }
            let source_file = file.files.get(entry.file);
            if let Some(root_package) = packages.get_mut(root) {
                match source_file {
                    Some(source_file) if source_file.dev => push_unique(
                        root_package
                            .dependency_groups
                            .entry(source_file.group_name())
                            .or_default(),
                        dependency,
                    ),
                    _ => push_unique(&mut root_package.dependencies, dependency),
                }
            }
        }
    }

    crate::lockfile::dedup_edges(&mut packages);
    Lockfile {
        path: file.path.clone(),
        kind: LockfileKind::Requirements,
        roots: if packages.is_empty() {
            Vec::new()
        } else {
            vec![root]
        },
        packages,
        warnings,
        options: file.options().cloned().collect(),
        unread: file.unread.clone(),
    }
}

fn warn_conflicting_pins(packages: &[LockedPackage], warnings: &mut Vec<Diagnostic>) {
    let mut by_name: BTreeMap<&PackageName, Vec<&LockedPackage>> = BTreeMap::new();
    for package in packages {
        if package.role == PackageRole::Package && package.version.is_some() {
            by_name.entry(&package.name).or_default().push(package);
        }
    }
    for (name, pins) in by_name {
        let mut versions: Vec<String> = pins
            .iter()
            .filter_map(|package| package.version.as_ref().map(ToString::to_string))
            .collect();
        versions.sort();
        versions.dedup();
        if versions.len() < 2 {
            continue;
        }
        let described: Vec<String> = pins
            .iter()
            .map(|package| {
                let version = package
                    .version
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                match &package.location {
                    Some(location) => format!("{version} ({location})"),
                    None => version,
                }
            })
            .collect();
        warnings.push(Diagnostic {
            location: pins.last().and_then(|package| package.location.clone()),
            message: format!(
                "`{name}` is pinned at several versions: {}; keeping all of them",
                described.join(", ")
            ),
        });
    }
}
