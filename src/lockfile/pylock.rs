//! PEP 751 `pylock.toml` (and `pylock.<name>.toml`) reader, lock-version 1.x, as written by
//! `pip lock`, `uv export --format pylock.toml` and `pdm export --format pylock`.
//!
//! The format lists each package once with a `marker`; extras and dependency groups show only
//! there (`'dev' in dependency_groups`), with `default-groups` naming the groups installed by
//! default. Edges come from the optional `[[packages]].dependencies`; where a tool wrote none
//! (pip, uv), every package hangs directly off the lock's root, which is the project's own
//! `directory = { path = "." }` entry when the lock has one, else a synthetic node named after
//! the file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::marker_scope::{self, Scope};
use super::pyproject::{deserialize_toml, parse_toml};
use super::{
    Dependency, Diagnostic, LineIndex, Location, LockedPackage, Lockfile, LockfileError,
    LockfileKind, PackageIndex, PackageRole, Source, normalize_extra, package_name, version,
};

const SUPPORTED: &str = "pylock.toml lock-version 1.x";

/// Whether `file_name` (lowercase) is a PEP 751 lock name: `pylock.toml` or `pylock.NAME.toml`.
pub fn is_pylock_name(file_name: &str) -> bool {
    file_name == "pylock.toml"
        || file_name.strip_prefix("pylock.").is_some_and(|rest| {
            rest.strip_suffix(".toml")
                .is_some_and(|name| !name.is_empty() && !name.contains('.'))
        })
}

/// Parse a pylock.toml read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let index = LineIndex::new(text);
    let document = parse_toml(path, &index, text)?;
    let mut warnings = Vec::new();
    let probe: WireProbe = deserialize_toml(path, &index, document.clone())?;
    check_lock_version(path, &index, probe, &mut warnings)?;
    let wire: WireLock = deserialize_toml(path, &index, document)?;
    let default_groups: Vec<String> = wire
        .default_groups
        .iter()
        .map(|group| normalize_extra(group))
        .collect();

    let mut packages = Vec::with_capacity(wire.packages.len() + 1);
    let mut markers = Vec::with_capacity(wire.packages.len());
    let mut references = Vec::with_capacity(wire.packages.len());
    let mut project = None;
    for entry in wire.packages {
        let start = entry.span().start;
        let entry = entry.into_inner();
        let location = index.location(path, start);
        let (package, is_project) = convert_package(path, &index, &entry, location)?;
        if is_project && project.is_none() {
            project = Some(packages.len());
        }
        markers.push(entry.marker.map(Spanned::into_inner));
        references.push(entry.dependencies);
        packages.push(package);
    }

    let mut by_name: BTreeMap<String, Vec<PackageIndex>> = BTreeMap::new();
    for (position, package) in packages.iter().enumerate() {
        by_name
            .entry(package.name.to_string())
            .or_default()
            .push(position);
    }
    let mut depended_on = vec![false; packages.len()];
    let mut any_edges = false;
    for (position, list) in references.into_iter().enumerate() {
        let Some(list) = list else { continue };
        any_edges = true;
        for reference in list {
            let start = reference.span().start;
            let reference = reference.into_inner();
            let targets = resolve_reference(&reference, &by_name, &packages);
            if targets.is_empty() {
                warnings.push(Diagnostic {
                    location: Some(index.location(path, start)),
                    message: format!(
                        "dependency `{}` names no package of the lock; the edge is left out",
                        reference.name
                    ),
                });
            }
            for target in targets {
                if target == position {
                    continue;
                }
                depended_on[target] = true;
                packages[position].dependencies.push(Dependency {
                    package: target,
                    extras: Vec::new(),
                    marker: None,
                });
            }
        }
    }

    // The root: the project itself when the lock has it, else a node named after the file.
    let root = match project {
        Some(project) => project,
        None => {
            let Some(mut synthetic) = synthetic_root(path) else {
                return Err(LockfileError::Invalid {
                    location: Location::new(path, 1),
                    message: "no name for the lock's root".to_string(),
                });
            };
            synthetic.location = None;
            packages.push(synthetic);
            markers.push(None);
            depended_on.push(false);
            packages.len() - 1
        }
    };
    packages[root].role = if project.is_some() {
        PackageRole::Project
    } else {
        PackageRole::Synthetic
    };
    let reachable = if any_edges {
        reachable_from_non_dependents(&packages, &depended_on, root)
    } else {
        vec![false; packages.len()]
    };
    for position in 0..packages.len() {
        if position == root || (any_edges && depended_on[position] && reachable[position]) {
            continue;
        }
        let marker = markers[position].clone();
        let edge = |marker: Option<String>| Dependency {
            package: position,
            extras: Vec::new(),
            marker,
        };
        match marker
            .as_deref()
            .map(|marker| marker_scope::scope(marker, &default_groups))
        {
            None | Some(Scope::Main) => packages[root].dependencies.push(edge(marker)),
            Some(Scope::Selected { extras, groups }) => {
                for extra in extras {
                    packages[root]
                        .optional_dependencies
                        .entry(extra)
                        .or_default()
                        .push(edge(marker.clone()));
                }
                for group in groups {
                    packages[root]
                        .dependency_groups
                        .entry(group)
                        .or_default()
                        .push(edge(marker.clone()));
                }
            }
        }
    }
    super::dedup_edges(&mut packages);
    Ok(Lockfile {
        path: path.to_path_buf(),
        kind: LockfileKind::Pylock,
        packages,
        roots: vec![root],
        warnings,
        options: Vec::new(),
        unread: Vec::new(),
    })
}

/// Packages reached from the ones nothing depends on (and the root). A package only reached
/// from a cycle nobody enters still needs a root edge, or it would drop out of the audit.
fn reachable_from_non_dependents(
    packages: &[LockedPackage],
    depended_on: &[bool],
    root: PackageIndex,
) -> Vec<bool> {
    let mut reached = vec![false; packages.len()];
    let mut stack: Vec<PackageIndex> = (0..packages.len())
        .filter(|&position| !depended_on[position] || position == root)
        .collect();
    for &position in &stack {
        reached[position] = true;
    }
    while let Some(position) = stack.pop() {
        for dependency in &packages[position].dependencies {
            if let Some(flag) = reached.get_mut(dependency.package)
                && !*flag
            {
                *flag = true;
                stack.push(dependency.package);
            }
        }
    }
    reached
}

fn resolve_reference(
    reference: &WireReference,
    by_name: &BTreeMap<String, Vec<PackageIndex>>,
    packages: &[LockedPackage],
) -> Vec<PackageIndex> {
    let Ok(name) = package_name(&reference.name) else {
        return Vec::new();
    };
    let Some(candidates) = by_name.get(name.as_ref()) else {
        return Vec::new();
    };
    match reference.version.as_deref().map(version) {
        Some(Ok(wanted)) => candidates
            .iter()
            .copied()
            .filter(|&position| packages[position].version.as_ref() == Some(&wanted))
            .collect(),
        _ => candidates.clone(),
    }
}

fn synthetic_root(path: &Path) -> Option<LockedPackage> {
    let stem = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem = stem.strip_suffix(".toml").unwrap_or(&stem);
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
    let name = package_name(&normalize_extra(sanitized.trim_matches('-')))
        .or_else(|_| package_name("pylock"))
        .ok()?;
    Some(LockedPackage {
        name,
        version: None,
        source: Source::Path {
            path: path.display().to_string(),
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

fn convert_package(
    path: &Path,
    index: &LineIndex,
    entry: &WirePackage,
    location: Location,
) -> Result<(LockedPackage, bool), LockfileError> {
    let name_location = index.location(path, entry.name.span().start);
    let name = package_name(entry.name.get_ref()).map_err(|message| LockfileError::Invalid {
        location: name_location,
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
    let sources = [
        entry.vcs.is_some(),
        entry.directory.is_some(),
        entry.archive.is_some(),
        entry.sdist.is_some()
            || entry
                .wheels
                .as_ref()
                .is_some_and(|wheels| !wheels.is_empty()),
    ];
    if sources.iter().filter(|&&present| present).count() > 1 {
        return Err(LockfileError::Invalid {
            location,
            message: format!(
                "package `{name}` has more than one of `vcs`, `directory`, `archive` and \
                 `sdist`/`wheels`; PEP 751 allows one"
            ),
        });
    }
    let mut is_project = false;
    let source = if let Some(vcs) = &entry.vcs {
        Source::Git {
            url: vcs
                .url
                .clone()
                .or_else(|| vcs.path.clone())
                .unwrap_or_default(),
            reference: vcs
                .commit_id
                .clone()
                .or_else(|| vcs.requested_revision.clone()),
        }
    } else if let Some(directory) = &entry.directory {
        is_project = is_lock_directory(&directory.path);
        if directory.editable.unwrap_or(false) {
            Source::Editable {
                path: directory.path.clone(),
            }
        } else {
            Source::Directory {
                path: directory.path.clone(),
            }
        }
    } else if let Some(archive) = &entry.archive {
        match (&archive.url, &archive.path) {
            (Some(url), _) => Source::Url { url: url.clone() },
            (None, Some(path)) => Source::Path { path: path.clone() },
            (None, None) => {
                return Err(LockfileError::Invalid {
                    location,
                    message: format!("package `{name}`: `archive` has neither `url` nor `path`"),
                });
            }
        }
    } else {
        let files = entry.sdist.iter().chain(entry.wheels.iter().flatten());
        let only_local = entry.index.is_none()
            && entry
                .sdist
                .iter()
                .chain(entry.wheels.iter().flatten())
                .next()
                .is_some()
            && files
                .clone()
                .all(|file| file.url.is_none() && file.path.is_some());
        match files.clone().find_map(|file| file.path.clone()) {
            Some(path) if only_local => Source::Path { path },
            _ => Source::Registry {
                url: entry.index.clone(),
            },
        }
    };
    let hashes = entry
        .sdist
        .iter()
        .chain(entry.wheels.iter().flatten())
        .filter(|file| !file.hashes.is_empty())
        .count()
        + entry
            .archive
            .as_ref()
            .is_some_and(|archive| !archive.hashes.is_empty()) as usize;
    Ok((
        LockedPackage {
            name,
            version: parsed_version,
            source,
            specifier: None,
            role: PackageRole::Package,
            location: Some(location),
            hashes,
            dependencies: Vec::new(),
            optional_dependencies: BTreeMap::new(),
            dependency_groups: BTreeMap::new(),
        },
        is_project,
    ))
}

/// `directory.path` naming the lock's own directory: the project itself.
fn is_lock_directory(path: &str) -> bool {
    matches!(path.trim_end_matches('/'), "." | "" | "./.")
}

fn check_lock_version(
    path: &Path,
    index: &LineIndex,
    probe: WireProbe,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), LockfileError> {
    let Some(written) = probe.lock_version else {
        return Err(LockfileError::Invalid {
            location: Location::new(path, 1),
            message: "missing top-level `lock-version`; not a PEP 751 pylock.toml".to_string(),
        });
    };
    let location = index.location(path, written.span().start);
    let text = written.get_ref().trim();
    let mut parts = text.split('.');
    let major = parts.next().and_then(|part| part.parse::<u64>().ok());
    let minor = parts
        .next()
        .map_or(Some(0), |part| part.parse::<u64>().ok());
    match (major, minor) {
        (Some(1), Some(0)) => Ok(()),
        (Some(1), Some(_)) => {
            // PEP 751: an installer should warn on a newer minor and may carry on.
            warnings.push(Diagnostic {
                location: Some(location),
                message: format!(
                    "lock-version `{text}` is newer than the 1.0 pyaudit knows; reading it as 1.0"
                ),
            });
            Ok(())
        }
        _ => Err(LockfileError::UnsupportedVersion {
            location,
            what: format!("lock-version `{text}`"),
            supported: SUPPORTED.to_string(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Wire types: private mirrors of the file. Unknown keys (`tool`, `attestation-identities`,
// `environments`, upload times, sizes) are ignored.

#[derive(Deserialize)]
struct WireProbe {
    #[serde(rename = "lock-version")]
    lock_version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireLock {
    #[serde(default)]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<Spanned<WirePackage>>,
}

#[derive(Deserialize)]
struct WirePackage {
    name: Spanned<String>,
    version: Option<Spanned<String>>,
    marker: Option<Spanned<String>>,
    dependencies: Option<Vec<Spanned<WireReference>>>,
    index: Option<String>,
    vcs: Option<WireVcs>,
    directory: Option<WireDirectory>,
    archive: Option<WireArchive>,
    sdist: Option<WireFile>,
    wheels: Option<Vec<WireFile>>,
}

#[derive(Deserialize)]
struct WireReference {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireVcs {
    url: Option<String>,
    path: Option<String>,
    requested_revision: Option<String>,
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct WireDirectory {
    path: String,
    editable: Option<bool>,
}

#[derive(Deserialize)]
struct WireArchive {
    url: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct WireFile {
    url: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Lockfile {
        parse(Path::new("pylock.toml"), text).unwrap()
    }

    #[test]
    fn names() {
        assert!(is_pylock_name("pylock.toml"));
        assert!(is_pylock_name("pylock.dev.toml"));
        assert!(!is_pylock_name("pylock..toml"));
        assert!(!is_pylock_name("pylock.a.b.toml"));
        assert!(!is_pylock_name("mypylock.toml"));
    }

    #[test]
    fn sources_and_groups() {
        let lock = read(
            "lock-version = \"1.0\"\ndefault-groups = [\"default\"]\n\
             [[packages]]\nname = \"a\"\nversion = \"1.0\"\nindex = \"https://pypi.org/simple\"\n\
             marker = \"'default' in dependency_groups\"\n\
             wheels = [{ url = \"https://x/a.whl\", hashes = { sha256 = \"00\" } }]\n\
             [[packages]]\nname = \"b\"\nvcs = { type = \"git\", url = \"https://g/b\", commit-id = \"abc\" }\n\
             marker = \"'dev' in dependency_groups\"\n\
             [[packages]]\nname = \"c\"\narchive = { path = \"c.whl\" }\nmarker = \"'x' in extras\"\n\
             [[packages]]\nname = \"d\"\ndirectory = { path = \"lib/d\", editable = true }\n",
        );
        let root = &lock.packages[lock.roots[0]];
        assert_eq!(root.role, PackageRole::Synthetic);
        assert_eq!(root.name.as_ref(), "pylock");
        assert_eq!(root.dependencies.len(), 2);
        assert_eq!(root.dependency_groups["dev"].len(), 1);
        assert_eq!(root.optional_dependencies["x"].len(), 1);
        assert_eq!(lock.packages[0].hashes, 1);
        assert_eq!(
            lock.packages[1].source,
            Source::Git {
                url: "https://g/b".into(),
                reference: Some("abc".into())
            }
        );
        assert_eq!(lock.packages[2].source.kind(), "path");
        assert_eq!(lock.packages[3].source.kind(), "editable");
    }

    #[test]
    fn edges_and_project_root() {
        let lock = read(
            "lock-version = \"1.0\"\n\
             [[packages]]\nname = \"app\"\ndirectory = { path = \".\", editable = true }\n\
             dependencies = [{ name = \"a\" }]\n\
             [[packages]]\nname = \"a\"\nversion = \"1\"\ndependencies = [{ name = \"b\", version = \"2\" }]\n\
             [[packages]]\nname = \"b\"\nversion = \"2\"\n",
        );
        assert_eq!(lock.roots, vec![0]);
        assert_eq!(lock.packages[0].role, PackageRole::Project);
        let targets: Vec<_> = lock.packages[0]
            .dependencies
            .iter()
            .map(|edge| edge.package)
            .collect();
        assert_eq!(targets, vec![1]);
        assert_eq!(lock.packages[1].dependencies[0].package, 2);
    }

    #[test]
    fn bad_versions_are_located() {
        let error = parse(Path::new("pylock.toml"), "lock-version = \"2.0\"\n").unwrap_err();
        assert!(error.to_string().starts_with("pylock.toml:1:"), "{error}");
        let error = parse(
            Path::new("pylock.toml"),
            "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nversion = \"x y\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("pylock.toml:4:"), "{error}");
    }
}
