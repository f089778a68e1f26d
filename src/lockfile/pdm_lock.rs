//! `pdm.lock` reader: PDM's lock format 4.x (`[metadata] lock_version = "4.x"`), any strategy
//! (`inherit_metadata`, `cross_platform`, `static_urls`, `direct_minimal_versions`).
//!
//! Edges come from each package's `dependencies` (PEP 508 strings). Roots come from the
//! `pyproject.toml` beside the lock when there is one (its main dependencies, extras and
//! dependency groups). With `inherit_metadata` every package also says which lock groups
//! install it (`groups = ["default", "dev"]`): a package not reached through one of its groups is
//! given a root edge in that group, so the classes match what `pdm export` installs even where
//! the pyproject is missing or an edge could not be matched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use serde::Deserialize;
use toml::Spanned;

use super::flat::{Reach, RootEdges, link_declared, project_root, resolve_by_name, roots_first};
use super::pyproject::{self, deserialize_toml, parse_pep508, parse_toml};
use super::{
    Dependency, Diagnostic, LineIndex, Location, LockedPackage, Lockfile, LockfileError,
    LockfileKind, PackageIndex, PackageRole, Source, normalize_extra, package_name, version,
};

const SUPPORTED: &str = "pdm.lock lock_version 4.x";
/// Lock groups whose reach is traced package by package (real locks have a handful); beyond
/// this, the work would grow with groups times packages.
const MAXIMUM_TRACED_GROUPS: usize = 64;

/// Parse a pdm.lock read from `path`; the `pyproject.toml` beside it supplies the roots.
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let index = LineIndex::new(text);
    let document = parse_toml(path, &index, text)?;
    let mut warnings = Vec::new();
    let probe: WireProbe = deserialize_toml(path, &index, document.clone())?;
    check_lock_version(path, &index, probe)?;
    let wire: WireLock = deserialize_toml(path, &index, document)?;

    let pyproject_path = path.with_file_name("pyproject.toml");
    let pyproject = if pyproject_path.is_file() {
        match pyproject::read(&pyproject_path) {
            Ok(pyproject) => Some(pyproject),
            Err(error) => {
                warnings.push(Diagnostic {
                    location: None,
                    message: format!(
                        "cannot use `{}` for the project's roots ({error}); classifying packages \
                         by the lock's groups",
                        pyproject_path.display()
                    ),
                });
                None
            }
        }
    } else {
        None
    };
    let extras_of_project: BTreeSet<String> = pyproject
        .as_ref()
        .map(|pyproject| pyproject.optional_dependencies.keys().cloned().collect())
        .unwrap_or_default();

    // One node per name and version; an entry with `extras` adds those extras' edges to it.
    let mut packages: Vec<LockedPackage> = Vec::new();
    let mut groups_of: Vec<Vec<String>> = Vec::new();
    let mut requirements: Vec<Vec<(Option<String>, Spanned<String>)>> = Vec::new();
    let mut node_of: BTreeMap<(String, Option<String>), PackageIndex> = BTreeMap::new();
    for entry in wire.package {
        let start = entry.span().start;
        let entry = entry.into_inner();
        let location = index.location(path, start);
        let package = convert_package(path, &index, &entry, location)?;
        let key = (
            package.name.to_string(),
            package.version.as_ref().map(ToString::to_string),
        );
        let position = match node_of.get(&key) {
            Some(&position) => position,
            None => {
                packages.push(package);
                groups_of.push(Vec::new());
                requirements.push(Vec::new());
                node_of.insert(key, packages.len() - 1);
                packages.len() - 1
            }
        };
        for group in entry.groups.iter().flatten() {
            let group = normalize_extra(group);
            if !groups_of[position].contains(&group) {
                groups_of[position].push(group);
            }
        }
        let extras: Vec<String> = entry.extras.iter().map(|e| normalize_extra(e)).collect();
        for requirement in entry.dependencies {
            if extras.is_empty() {
                requirements[position].push((None, requirement));
            } else {
                for extra in &extras {
                    requirements[position].push((Some(extra.clone()), requirement.clone()));
                }
            }
        }
    }

    let by_name = resolve_by_name(&packages);
    for (position, list) in requirements.into_iter().enumerate() {
        for (extra, requirement) in list {
            let location = index.location(path, requirement.span().start);
            let declared = parse_pep508(requirement.get_ref(), location.clone())
                .map_err(|message| LockfileError::Invalid { location, message })?;
            let specifiers = declared
                .constraint
                .as_deref()
                .and_then(|constraint| VersionSpecifiers::from_str(constraint).ok());
            let targets = by_name
                .get(declared.name.as_ref())
                .map(|candidates| pick(candidates, &packages, specifiers.as_ref()))
                .unwrap_or_default();
            for target in targets {
                // `name==version` inside the extras entry of that very package: the base itself.
                if target == position {
                    continue;
                }
                let edge = Dependency {
                    package: target,
                    extras: declared.extras.clone(),
                    marker: declared.marker.clone(),
                };
                match &extra {
                    None => packages[position].dependencies.push(edge),
                    Some(extra) => packages[position]
                        .optional_dependencies
                        .entry(extra.clone())
                        .or_default()
                        .push(edge),
                }
            }
        }
    }

    let root = project_root(path, pyproject.as_ref())?;
    let root_index = packages.len();
    packages.push(root);
    let mut edges = RootEdges::default();
    if let Some(pyproject) = &pyproject {
        link_declared(pyproject, &by_name, &packages, &mut edges);
    }
    // Every group the lock records for a package must reach it: a root edge where the declared
    // roots do not already.
    let group_names: BTreeSet<&String> = groups_of.iter().flatten().collect();
    let order = roots_first(&packages);
    for (number, group) in group_names.into_iter().enumerate() {
        if number >= MAXIMUM_TRACED_GROUPS {
            // Past this many groups each costs a walk of the lock: a root edge for every member.
            for (position, groups) in groups_of.iter().enumerate() {
                if groups.contains(group) {
                    edges.add_group(group, &extras_of_project, position, None);
                }
            }
            continue;
        }
        let mut reach = Reach::new(&packages);
        for seed in edges.group_targets(group, &extras_of_project) {
            reach.add(seed);
        }
        for &position in &order {
            if groups_of
                .get(position)
                .is_some_and(|groups| groups.contains(group))
                && !reach.reached[position]
            {
                edges.add_group(group, &extras_of_project, position, None);
                reach.add(position);
            }
        }
    }
    if groups_of.iter().all(Vec::is_empty) && pyproject.is_none() {
        // No `inherit_metadata` and no pyproject: nothing says what is dev; everything is main.
        warnings.push(Diagnostic {
            location: None,
            message: "the lock records no groups and no pyproject.toml is beside it; every \
                      package is taken as a main dependency"
                .to_string(),
        });
        for position in 0..root_index {
            edges.main.push(Dependency {
                package: position,
                extras: Vec::new(),
                marker: None,
            });
        }
    }
    edges.apply(&mut packages[root_index]);
    super::dedup_edges(&mut packages);
    Ok(Lockfile {
        path: path.to_path_buf(),
        kind: LockfileKind::PdmLock,
        packages,
        roots: vec![root_index],
        warnings,
        options: Vec::new(),
        unread: Vec::new(),
    })
}

/// The locked versions of one name a requirement can take: those its specifiers allow, else all
/// (a lock for several platforms may hold two versions of one name).
fn pick(
    candidates: &[PackageIndex],
    packages: &[LockedPackage],
    specifiers: Option<&VersionSpecifiers>,
) -> Vec<PackageIndex> {
    if candidates.len() < 2 {
        return candidates.to_vec();
    }
    let allowed: Vec<PackageIndex> = candidates
        .iter()
        .copied()
        .filter(
            |&position| match (specifiers, &packages[position].version) {
                (Some(specifiers), Some(version)) => specifiers.contains(version),
                _ => true,
            },
        )
        .collect();
    if allowed.is_empty() {
        candidates.to_vec()
    } else {
        allowed
    }
}

fn convert_package(
    path: &Path,
    index: &LineIndex,
    entry: &WirePackage,
    location: Location,
) -> Result<LockedPackage, LockfileError> {
    let name = package_name(entry.name.get_ref()).map_err(|message| LockfileError::Invalid {
        location: index.location(path, entry.name.span().start),
        message,
    })?;
    let parsed_version = match &entry.version {
        Some(text) => Some(
            version(text.get_ref()).map_err(|message| LockfileError::Invalid {
                location: index.location(path, text.span().start),
                message,
            })?,
        ),
        None => None,
    };
    let source = if let Some(url) = &entry.git {
        Source::Git {
            url: url.clone(),
            reference: entry.revision.clone().or_else(|| entry.reference.clone()),
        }
    } else if let Some(url) = &entry.url {
        Source::Url { url: url.clone() }
    } else if let Some(local) = &entry.path {
        if entry.editable.unwrap_or(false) {
            Source::Editable {
                path: local.clone(),
            }
        } else if local.ends_with(".whl") || local.ends_with(".tar.gz") || local.ends_with(".zip") {
            Source::Path {
                path: local.clone(),
            }
        } else {
            Source::Directory {
                path: local.clone(),
            }
        }
    } else {
        Source::Registry { url: None }
    };
    Ok(LockedPackage {
        name,
        version: parsed_version,
        source,
        specifier: None,
        role: PackageRole::Package,
        location: Some(location),
        hashes: entry
            .files
            .iter()
            .filter(|file| file.hash.as_deref().is_some_and(|hash| !hash.is_empty()))
            .count(),
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    })
}

fn check_lock_version(
    path: &Path,
    index: &LineIndex,
    probe: WireProbe,
) -> Result<(), LockfileError> {
    let Some(metadata) = probe.metadata else {
        return Err(LockfileError::Invalid {
            location: Location::new(path, 1),
            message: "missing `[metadata]` table; not a pdm.lock".to_string(),
        });
    };
    let metadata = metadata.into_inner();
    let Some(written) = metadata.lock_version else {
        return Err(LockfileError::Invalid {
            location: Location::new(path, 1),
            message: "missing `[metadata] lock_version`; not a pdm.lock".to_string(),
        });
    };
    let text = written.get_ref().trim();
    if text.split('.').next() == Some("4") {
        return Ok(());
    }
    Err(LockfileError::UnsupportedVersion {
        location: index.location(path, written.span().start),
        what: format!("lock_version `{text}`"),
        supported: SUPPORTED.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Wire types: private mirrors of the file. Unknown keys are ignored.

#[derive(Deserialize)]
struct WireProbe {
    metadata: Option<Spanned<WireProbeMetadata>>,
}

#[derive(Deserialize)]
struct WireProbeMetadata {
    lock_version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct WireLock {
    #[serde(default)]
    package: Vec<Spanned<WirePackage>>,
}

#[derive(Deserialize)]
struct WirePackage {
    name: Spanned<String>,
    version: Option<Spanned<String>>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default)]
    files: Vec<WireFile>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    revision: Option<String>,
    url: Option<String>,
    path: Option<String>,
    editable: Option<bool>,
}

#[derive(Deserialize)]
struct WireFile {
    hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_without_pyproject() {
        let text = "[metadata]\ngroups = [\"default\", \"dev\"]\nlock_version = \"4.5.0\"\n\n\
                    [[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"default\"]\n\
                    dependencies = [\"b>=1\"]\nfiles = [{file = \"a.whl\", hash = \"sha256:00\"}]\n\n\
                    [[package]]\nname = \"b\"\nversion = \"2\"\ngroups = [\"default\"]\n\n\
                    [[package]]\nname = \"p\"\nversion = \"3\"\ngroups = [\"dev\"]\n\
                    git = \"https://g/p\"\nrevision = \"abc\"\n";
        let lock = parse(Path::new("/nonexistent-dir/pdm.lock"), text).unwrap();
        let root = &lock.packages[lock.roots[0]];
        let main: Vec<_> = root.dependencies.iter().map(|e| e.package).collect();
        assert_eq!(main, vec![0], "b is reached through a");
        assert_eq!(root.dependency_groups["dev"][0].package, 2);
        assert_eq!(lock.packages[0].dependencies[0].package, 1);
        assert_eq!(lock.packages[0].hashes, 1);
        assert_eq!(lock.packages[2].source.kind(), "git");
    }

    #[test]
    fn versions_are_checked() {
        let error = parse(
            Path::new("pdm.lock"),
            "[metadata]\nlock_version = \"3.0\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("pdm.lock:2:"), "{error}");
        let error = parse(
            Path::new("pdm.lock"),
            "[metadata]\nlock_version = \"4.4\"\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b @@\"]\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("pdm.lock:6:"), "{error}");
    }
}
