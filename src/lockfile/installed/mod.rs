//! What is installed: the `*.dist-info` (and legacy `*.egg-info`) directories of a virtual
//! environment, a `site-packages` directory, or the root of an unpacked container image, read
//! without running Python, as the same [`Lockfile`] the lock readers give.
//!
//! - `METADATA`: name, version and `Requires-Dist` (the edges). A requirement whose target is not
//!   installed is no edge: the environment is what it is. An unconditional one is said in a
//!   warning (the environment is broken or was pruned); a conditional one is not (its marker or
//!   extra did not hold when it was installed).
//! - `direct_url.json` (PEP 610): editable, directory, VCS and URL installs become the source
//!   kinds every reader uses, so the source rules (PA401–PA403) apply.
//! - `REQUESTED`: the packages someone asked for; they are the root's direct dependencies.
//!   Anything installed that nothing reaches is given a root edge too: whatever is installed
//!   ships, and is audited as production.
//! - `RECORD`: present, with hashes, is what counts as the package's recorded integrity (the
//!   `hashes` the hash rule reads); missing is a warning naming the directory.
//! - `INSTALLER`: which tool installed it, quoted in the warnings.
//!
//! Every file is read through [`crate::input`] (regular files, size-capped) and must resolve
//! inside the directory given: an unpacked image's absolute symbolic links point at the host.

mod metadata;
mod walk;

use std::collections::BTreeMap;
use std::path::Path;

use super::flat::{Reach, roots_first};
use super::pyproject::parse_pep508;
use super::{
    Dependency, Diagnostic, Location, LockedPackage, Lockfile, LockfileError, LockfileKind,
    PackageIndex, PackageRole, Source, package_name, refuse_outside, version,
};

pub use walk::site_directories;

/// One installed distribution, before edges are drawn.
struct Installed {
    package: LockedPackage,
    requires: Vec<String>,
    requested: bool,
}

/// Read the installed environment at `path`: a venv (has `pyvenv.cfg`), a directory holding
/// `*.dist-info`, or an image root (searched for `site-packages` / `dist-packages`).
pub fn read(path: &Path) -> Result<Lockfile, LockfileError> {
    let root = std::fs::canonicalize(path).map_err(|source| LockfileError::io(path, source))?;
    if !root.is_dir() {
        return Err(LockfileError::Refused {
            path: path.to_path_buf(),
            reason: "`--installed` takes a directory: a virtual environment, a site-packages \
                     directory or the root of an unpacked image"
                .to_string(),
        });
    }
    let sites = site_directories(&root);
    if sites.is_empty() {
        return Err(LockfileError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "no `*.dist-info` here, and no `site-packages` or `dist-packages` directory \
                     below it"
                .to_string(),
        });
    }
    let mut warnings = Vec::new();
    let mut distributions = Vec::new();
    for site in &sites {
        for directory in walk::distribution_directories(site) {
            match read_distribution(&directory, &root, &mut warnings) {
                Ok(Some(installed)) => distributions.push(installed),
                Ok(None) => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(build(path, distributions, warnings))
}

fn read_distribution(
    directory: &Path,
    root: &Path,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Option<Installed>, LockfileError> {
    let legacy = directory
        .extension()
        .is_some_and(|extension| extension == "egg-info");
    let metadata_path = directory.join(if legacy { "PKG-INFO" } else { "METADATA" });
    let Some(text) = read_small(&metadata_path, root, warnings)? else {
        warnings.push(Diagnostic {
            location: Some(Location::new(directory, 1)),
            message: "no readable metadata file; this installed distribution is not audited"
                .to_string(),
        });
        return Ok(None);
    };
    let parsed = metadata::parse(&metadata_path, &text)?;
    let location = Location::new(&metadata_path, parsed.name_line);
    let name = package_name(&parsed.name).map_err(|message| LockfileError::Invalid {
        location: location.clone(),
        message,
    })?;
    let parsed_version = version(&parsed.version).map_err(|message| LockfileError::Invalid {
        location: Location::new(&metadata_path, parsed.version_line),
        message,
    })?;
    let installer = read_small(&directory.join("INSTALLER"), root, warnings)?
        .map(|text| text.trim().chars().take(40).collect::<String>())
        .filter(|text| !text.is_empty());
    let mut hashes = 0;
    if !legacy {
        match read_small(&directory.join("RECORD"), root, warnings)? {
            Some(record) => hashes = usize::from(record_has_hashes(&record)),
            None => warnings.push(Diagnostic {
                location: Some(Location::new(directory, 1)),
                message: format!(
                    "`{name}` {} has no RECORD: which files it installed (and their hashes) is \
                     not recorded{}",
                    parsed.version,
                    installer
                        .as_deref()
                        .map(|installer| format!(" (installed by `{installer}`)"))
                        .unwrap_or_default()
                ),
            }),
        }
    }
    let source = match read_small(&directory.join("direct_url.json"), root, warnings)? {
        Some(text) => direct_url_source(&text).map_err(|message| LockfileError::Invalid {
            location: Location::new(directory.join("direct_url.json"), 1),
            message,
        })?,
        None => Source::Registry { url: None },
    };
    let requested = crate::input::regular_file_metadata(&directory.join("REQUESTED")).is_ok();
    Ok(Some(Installed {
        package: LockedPackage {
            name,
            version: Some(parsed_version),
            source,
            specifier: None,
            role: PackageRole::Package,
            location: Some(location),
            hashes,
            dependencies: Vec::new(),
            optional_dependencies: BTreeMap::new(),
            dependency_groups: BTreeMap::new(),
        },
        requires: parsed.requires,
        requested,
    }))
}

/// A small metadata file, or `None` when it is absent. One that resolves outside the directory
/// given, or is not a regular file, is refused with a warning and treated as absent.
fn read_small(
    path: &Path,
    root: &Path,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Option<String>, LockfileError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    if let Some(reason) = refuse_outside(path, root, false) {
        warnings.push(Diagnostic {
            location: Some(Location::new(path, 1)),
            message: format!("not read: {reason}"),
        });
        return Ok(None);
    }
    let bytes = crate::input::read(path, crate::input::METADATA_BYTES)
        .map_err(|source| LockfileError::io(path, source))?;
    let text = super::decode_utf8(path, &bytes)?;
    Ok(Some(text.to_string()))
}

/// Whether a RECORD names at least one file with a hash (`path,sha256=…,size`).
fn record_has_hashes(record: &str) -> bool {
    record.lines().any(|line| {
        let mut fields = line.rsplitn(3, ',');
        let _size = fields.next();
        fields.next().is_some_and(|hash| {
            hash.split_once('=')
                .is_some_and(|(_, digest)| !digest.is_empty())
        })
    })
}

/// PEP 610 `direct_url.json` as a source.
fn direct_url_source(text: &str) -> Result<Source, String> {
    #[derive(serde::Deserialize)]
    struct DirectUrl {
        url: String,
        dir_info: Option<DirInfo>,
        vcs_info: Option<VcsInfo>,
    }
    #[derive(serde::Deserialize)]
    struct DirInfo {
        editable: Option<bool>,
    }
    #[derive(serde::Deserialize)]
    struct VcsInfo {
        commit_id: Option<String>,
        requested_revision: Option<String>,
    }
    let direct: DirectUrl =
        serde_json::from_str(text).map_err(|error| format!("invalid direct_url.json: {error}"))?;
    let local = direct
        .url
        .strip_prefix("file://")
        .map(|path| path.to_string());
    Ok(if let Some(vcs) = direct.vcs_info {
        Source::Git {
            url: direct.url,
            reference: vcs.commit_id.or(vcs.requested_revision),
        }
    } else if let Some(dir) = direct.dir_info {
        let path = local.unwrap_or(direct.url);
        if dir.editable.unwrap_or(false) {
            Source::Editable { path }
        } else {
            Source::Directory { path }
        }
    } else {
        match local {
            Some(path) => Source::Path { path },
            None => Source::Url { url: direct.url },
        }
    })
}

fn build(path: &Path, distributions: Vec<Installed>, mut warnings: Vec<Diagnostic>) -> Lockfile {
    let mut packages: Vec<LockedPackage> = Vec::with_capacity(distributions.len() + 1);
    let mut node_of: BTreeMap<(String, String), PackageIndex> = BTreeMap::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    let mut requested = Vec::new();
    for installed in distributions {
        let key = (
            installed.package.name.to_string(),
            installed
                .package
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        if node_of.contains_key(&key) {
            // The same release in two site directories (an image's system Python and a venv).
            continue;
        }
        node_of.insert(key, packages.len());
        packages.push(installed.package);
        requires.push(installed.requires);
        requested.push(installed.requested);
    }
    let by_name = super::flat::resolve_by_name(&packages);
    for (position, list) in requires.iter().enumerate() {
        for text in list {
            let location = packages[position]
                .location
                .clone()
                .unwrap_or_else(|| Location::new(path, 1));
            let Ok(declared) = parse_pep508(text, location) else {
                warnings.push(Diagnostic {
                    location: packages[position].location.clone(),
                    message: format!("unreadable Requires-Dist `{text}`; the edge is left out"),
                });
                continue;
            };
            let Some(targets) = by_name.get(declared.name.as_ref()) else {
                if declared.marker.is_none() {
                    warnings.push(Diagnostic {
                        location: packages[position].location.clone(),
                        message: format!(
                            "`{}` requires `{}`, which is not installed",
                            packages[position].name, declared.name
                        ),
                    });
                }
                continue;
            };
            let extra = declared.marker.as_deref().and_then(only_extra);
            for &target in targets {
                let edge = Dependency {
                    package: target,
                    extras: declared.extras.clone(),
                    marker: declared.marker.clone(),
                };
                match &extra {
                    Some(extra) => packages[position]
                        .optional_dependencies
                        .entry(extra.clone())
                        .or_default()
                        .push(edge),
                    None => packages[position].dependencies.push(edge),
                }
            }
        }
    }
    let root_name = package_name("installed").ok();
    let mut root_edges = Vec::new();
    {
        let mut reach = Reach::new(&packages);
        let order: Vec<PackageIndex> = (0..packages.len())
            .filter(|&position| requested[position])
            .chain(roots_first(&packages))
            .collect();
        for position in order {
            if !reach.reached[position] || requested[position] {
                if !root_edges.contains(&position) {
                    root_edges.push(position);
                }
                reach.add(position);
            }
        }
    }
    let root_index = packages.len();
    if let Some(name) = root_name {
        packages.push(LockedPackage {
            name,
            version: None,
            source: Source::Directory {
                path: path.display().to_string(),
            },
            specifier: None,
            role: PackageRole::Synthetic,
            location: None,
            hashes: 0,
            dependencies: root_edges
                .into_iter()
                .map(|package| Dependency {
                    package,
                    extras: Vec::new(),
                    marker: None,
                })
                .collect(),
            optional_dependencies: BTreeMap::new(),
            dependency_groups: BTreeMap::new(),
        });
    }
    super::dedup_edges(&mut packages);
    Lockfile {
        path: path.to_path_buf(),
        kind: LockfileKind::Installed,
        packages,
        roots: vec![root_index],
        warnings,
        options: Vec::new(),
        unread: Vec::new(),
    }
}

/// The extra a Requires-Dist marker is about, when it is `extra == "x"` (possibly with other
/// conditions): the edge then belongs to that extra.
fn only_extra(marker: &str) -> Option<String> {
    match super::marker_scope::scope(marker, &[]) {
        super::marker_scope::Scope::Selected { extras, .. } => extras.into_iter().next(),
        super::marker_scope::Scope::Main => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_urls() {
        assert_eq!(
            direct_url_source(r#"{"url": "file:///src/app", "dir_info": {"editable": true}}"#),
            Ok(Source::Editable {
                path: "/src/app".into()
            })
        );
        assert_eq!(
            direct_url_source(
                r#"{"url": "https://g/x.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}}"#
            ),
            Ok(Source::Git {
                url: "https://g/x.git".into(),
                reference: Some("abc".into())
            })
        );
        assert_eq!(
            direct_url_source(r#"{"url": "https://x/a.whl", "archive_info": {}}"#),
            Ok(Source::Url {
                url: "https://x/a.whl".into()
            })
        );
        assert!(direct_url_source("{").is_err());
    }

    #[test]
    fn image_roots_are_searched_and_host_links_refused() {
        let image = tempfile::tempdir().unwrap();
        let site = image.path().join("usr/local/lib/python3.12/site-packages");
        let info = site.join("demo-1.0.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            "Name: demo\nVersion: 1.0\nRequires-Dist: gone\n",
        )
        .unwrap();
        // An absolute link in an image points at the host: never followed.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("RECORD"), "x,sha256=abc,1\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("RECORD"), info.join("RECORD")).unwrap();
        std::os::unix::fs::symlink("/", image.path().join("host")).unwrap();
        std::fs::create_dir_all(image.path().join("proc/1")).unwrap();

        let lock = read(image.path()).unwrap();
        assert_eq!(lock.kind, LockfileKind::Installed);
        let names: Vec<_> = lock.packages.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(names, ["demo", "installed"]);
        assert_eq!(lock.packages[0].hashes, 0);
        let warnings: Vec<String> = lock.warnings.iter().map(ToString::to_string).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("RECORD") && w.contains("outside")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("requires `gone`")),
            "{warnings:?}"
        );
        assert!(read(outside.path()).is_err(), "no dist-info there");
    }

    #[test]
    fn records() {
        assert!(record_has_hashes("a/__init__.py,sha256=abc,12\nRECORD,,\n"));
        assert!(!record_has_hashes("RECORD,,\n"));
    }
}
