//! poetry.lock reader: Poetry's lock format, `[metadata] lock-version` 1.x (`category`, hashes in
//! `[metadata.files]`) through 2.1 (`groups`, per-group `markers`), with the project's roots taken
//! from the `pyproject.toml` beside the lock (see [`super::pyproject`]).
//!
//! Poetry constraints (`^1.2`, `~1.2`, `>=1,<2 || >3`) are converted to PEP 440 specifiers to pick
//! among several locked versions of one name and to notice a lock that no longer fits its
//! pyproject.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use serde::Deserialize;
use toml::Spanned;

pub use super::poetry_constraint::poetry_constraint_to_pep440;
use super::poetry_constraint::satisfies;
use super::pyproject::{
    self, ConstraintSyntax, DeclaredDependency, Pyproject, PythonRequirement, WirePoetryDependency,
    combine_markers, deserialize_toml, in_file_order, marker_allows_python, parse_toml,
};
use super::{
    Dependency, Diagnostic, LineIndex, Location, LockedPackage, Lockfile, LockfileError,
    LockfileKind, PackageIndex, PackageRole, Source, normalize_extra, package_name,
};

/// Lock format majors this reader understands.
const SUPPORTED: &str = "poetry.lock lock-version 1.x and 2.x (up to 2.1)";
/// The newest 2.x minor whose additions this reader knows.
const NEWEST_KNOWN_MINOR: u64 = 1;

/// Parse a poetry.lock read from `path`; the `pyproject.toml` beside it supplies the roots.
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let index = LineIndex::new(text);
    let document = parse_toml(path, &index, text)?;
    let mut warnings = Vec::new();

    // Check the version before the full read: a future format may not fit the wire types, and
    // "unsupported version" says more than a type error would.
    let probe: WireProbe = deserialize_toml(path, &index, document.clone())?;
    let lock_version = check_lock_version(path, &index, probe, &mut warnings)?;

    let wire: WireLock = deserialize_toml(path, &index, document)?;
    let pyproject_path = path.with_file_name("pyproject.toml");
    let pyproject = if pyproject_path.is_file() {
        match pyproject::read(&pyproject_path) {
            Ok(pyproject) => Some(pyproject),
            Err(error) => {
                // The lock alone can still be audited; the roots then come from the lock's own
                // classification, and the user is told why.
                warnings.push(Diagnostic {
                    location: None,
                    message: format!(
                        "cannot use `{}` for the project's roots ({error}); classifying packages \
                         by the lock alone",
                        pyproject_path.display()
                    ),
                });
                None
            }
        }
    } else {
        None
    };

    let mut builder = Builder {
        path,
        index: &index,
        packages: Vec::new(),
        by_name: BTreeMap::new(),
        warnings,
    };
    let entries = builder.packages_from_wire(&wire)?;
    builder.link_dependencies(entries);
    let lock_python = wire
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.python_versions.clone());
    let root = match pyproject {
        Some(pyproject) => builder.root_from_pyproject(pyproject, lock_python)?,
        None => builder.root_from_lock(&wire, lock_version)?,
    };
    let root_index = builder.packages.len();
    builder.packages.push(root);
    crate::lockfile::dedup_edges(&mut builder.packages);

    Ok(Lockfile {
        path: path.to_path_buf(),
        kind: LockfileKind::PoetryLock,
        packages: builder.packages,
        roots: vec![root_index],
        warnings: builder.warnings,
        options: Vec::new(),
        unread: Vec::new(),
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
    #[serde(rename = "lock-version")]
    lock_version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct WireLock {
    #[serde(default)]
    package: Vec<Spanned<WirePackage>>,
    metadata: Option<WireMetadata>,
    /// Lock-version 1.x records the project's extras here (extra → package names).
    #[serde(default)]
    extras: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireMetadata {
    python_versions: Option<String>,
    /// Lock-version 1.x: artifact lists keyed by package name.
    #[serde(default)]
    files: BTreeMap<String, Vec<WireFile>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WirePackage {
    name: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    optional: bool,
    category: Option<String>,
    groups: Option<Vec<String>>,
    files: Option<Vec<WireFile>>,
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, Spanned<WirePoetryDependency>>,
    #[serde(default)]
    extras: BTreeMap<String, Vec<String>>,
    source: Option<Spanned<WireSource>>,
    develop: Option<bool>,
}

#[derive(Deserialize)]
struct WireFile {
    file: Option<String>,
    hash: Option<String>,
}

#[derive(Deserialize)]
struct WireSource {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    reference: Option<String>,
    resolved_reference: Option<String>,
    subdirectory: Option<String>,
}

/// The lock format version, as major and minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LockVersion {
    major: u64,
    minor: u64,
}

fn check_lock_version(
    path: &Path,
    index: &LineIndex,
    probe: WireProbe,
    warnings: &mut Vec<Diagnostic>,
) -> Result<LockVersion, LockfileError> {
    let Some(metadata) = probe.metadata else {
        return Err(LockfileError::Invalid {
            location: Location::new(path, 1),
            message: "missing `[metadata]` table; not a poetry.lock".to_string(),
        });
    };
    let Some(written) = metadata.into_inner().lock_version else {
        // Poetry before 1.1 wrote no lock-version; its layout is that of 1.1.
        return Ok(LockVersion { major: 1, minor: 0 });
    };
    let location = index.location(path, written.span().start);
    let text = written.get_ref().trim();
    let mut parts = text.split('.');
    let major = parts.next().and_then(|part| part.parse::<u64>().ok());
    let minor = parts
        .next()
        .map_or(Some(0), |part| part.parse::<u64>().ok());
    let (Some(major), Some(minor)) = (major, minor) else {
        return Err(LockfileError::UnsupportedVersion {
            location,
            what: format!("lock-version `{text}`"),
            supported: SUPPORTED.to_string(),
        });
    };
    if !(1..=2).contains(&major) {
        return Err(LockfileError::UnsupportedVersion {
            location,
            what: format!("lock-version `{text}`"),
            supported: SUPPORTED.to_string(),
        });
    }
    if major == 2 && minor > NEWEST_KNOWN_MINOR {
        // Poetry itself reads newer minors of its major (they only add fields), so do the same.
        warnings.push(Diagnostic {
            location: Some(location),
            message: format!(
                "lock-version `{text}` is newer than pyaudit knows (2.{NEWEST_KNOWN_MINOR}); \
                 reading it as 2.{NEWEST_KNOWN_MINOR}"
            ),
        });
    }
    Ok(LockVersion { major, minor })
}

// ---------------------------------------------------------------------------------------------
// Poetry constraints.

/// A declared constraint (Poetry or PEP 440 syntax) as alternatives of PEP 440 sets; `None` when it
/// cannot be read (then nothing is filtered by it).
fn declared_alternatives(
    constraint: Option<&str>,
    syntax: ConstraintSyntax,
) -> Option<Vec<VersionSpecifiers>> {
    let constraint = constraint?;
    match syntax {
        ConstraintSyntax::Poetry => poetry_constraint_to_pep440(constraint).ok(),
        ConstraintSyntax::Pep440 => VersionSpecifiers::from_str(constraint)
            .ok()
            .map(|specifiers| vec![specifiers]),
    }
}

// ---------------------------------------------------------------------------------------------
// Building the lockfile.

struct Builder<'a> {
    path: &'a Path,
    index: &'a LineIndex,
    packages: Vec<LockedPackage>,
    /// Lock packages by name (several when Poetry locked several versions).
    by_name: BTreeMap<PackageName, Vec<PackageIndex>>,
    warnings: Vec<Diagnostic>,
}

/// What a package's wire entry still holds after its node is made: its edges and extras.
struct PendingEdges {
    dependencies: BTreeMap<Spanned<String>, Spanned<WirePoetryDependency>>,
    extras: BTreeMap<String, Vec<String>>,
}

/// The outcome of looking a dependency up by name and constraint.
enum Resolution {
    /// The packages to link; `satisfied` is false when none fit the constraint (all are linked).
    Found {
        targets: Vec<PackageIndex>,
        satisfied: bool,
    },
    Missing,
}

/// A dependency edge whose target is not in the lock, for the summary warning.
struct MissingEdge {
    from: String,
    /// The dependent's `[[package]]` entry.
    location: Option<Location>,
    marker: Option<String>,
}

impl Builder<'_> {
    fn location(&self, offset: usize) -> Location {
        self.index.location(self.path, offset)
    }

    fn packages_from_wire(&mut self, wire: &WireLock) -> Result<Vec<PendingEdges>, LockfileError> {
        let mut metadata_hashes: BTreeMap<PackageName, &Vec<WireFile>> = BTreeMap::new();
        if let Some(metadata) = &wire.metadata {
            for (name, files) in &metadata.files {
                if let Ok(name) = package_name(name) {
                    metadata_hashes.insert(name, files);
                }
            }
        }
        let mut name_counts: BTreeMap<PackageName, usize> = BTreeMap::new();
        let mut pending = Vec::with_capacity(wire.package.len());
        for entry in &wire.package {
            let location = self.location(entry.span().start);
            let package = entry.get_ref();
            let name =
                package_name(package.name.get_ref()).map_err(|message| LockfileError::Invalid {
                    location: self.location(package.name.span().start),
                    message,
                })?;
            let version = super::version(package.version.get_ref()).map_err(|message| {
                LockfileError::Invalid {
                    location: self.location(package.version.span().start),
                    message,
                }
            })?;
            let source = match &package.source {
                Some(source) => self.source(source, package.develop.unwrap_or(false))?,
                None => Source::Registry { url: None },
            };
            *name_counts.entry(name.clone()).or_default() += 1;
            let index = self.packages.len();
            self.by_name.entry(name.clone()).or_default().push(index);
            self.packages.push(LockedPackage {
                name,
                version: Some(version),
                source,
                specifier: None,
                role: PackageRole::Package,
                location: Some(location),
                hashes: package
                    .files
                    .as_ref()
                    .map_or(0, |files| count_hashes(files)),
                dependencies: Vec::new(),
                optional_dependencies: BTreeMap::new(),
                dependency_groups: BTreeMap::new(),
            });
            pending.push(PendingEdges {
                dependencies: package.dependencies.clone(),
                extras: package.extras.clone(),
            });
        }
        // Lock-version 1.x keeps the artifact lists in `[metadata.files]`, one list per name
        // (covering every locked version of that name).
        for (index, entry) in wire.package.iter().enumerate() {
            if entry.get_ref().files.is_some() {
                continue;
            }
            let Some(package) = self.packages.get_mut(index) else {
                continue;
            };
            let Some(files) = metadata_hashes.get(&package.name) else {
                continue;
            };
            let shared = name_counts.get(&package.name).copied().unwrap_or(1) > 1;
            package.hashes = if shared {
                let version = entry.get_ref().version.get_ref().clone();
                let files: Vec<&WireFile> = files
                    .iter()
                    .filter(|file| {
                        file.file.as_deref().is_some_and(|file| {
                            file.contains(&format!("-{version}-"))
                                || file.contains(&format!("-{version}."))
                        })
                    })
                    .collect();
                files.iter().filter(|file| has_hash(file)).count()
            } else {
                count_hashes(files)
            };
        }
        Ok(pending)
    }

    fn source(&self, source: &Spanned<WireSource>, develop: bool) -> Result<Source, LockfileError> {
        let location = self.location(source.span().start);
        let wire = source.get_ref();
        let url = || {
            wire.url.clone().ok_or_else(|| LockfileError::Invalid {
                location: location.clone(),
                message: format!("`[package.source]` of type `{}` has no `url`", wire.kind),
            })
        };
        let with_subdirectory = |url: String| match &wire.subdirectory {
            Some(subdirectory) => format!("{url}#subdirectory={subdirectory}"),
            None => url,
        };
        Ok(match wire.kind.as_str() {
            // A named index (`[[tool.poetry.source]]`); `reference` is the source's name.
            "legacy" => Source::Registry {
                url: wire.url.clone(),
            },
            "git" => Source::Git {
                url: with_subdirectory(url()?),
                reference: wire
                    .resolved_reference
                    .clone()
                    .or_else(|| wire.reference.clone()),
            },
            "url" => Source::Url {
                url: with_subdirectory(url()?),
            },
            "file" => Source::Path { path: url()? },
            "directory" if develop => Source::Editable { path: url()? },
            "directory" => Source::Directory { path: url()? },
            other => {
                return Err(LockfileError::Invalid {
                    location,
                    message: format!(
                        "unknown `[package.source]` type `{other}` (expected git, url, file, \
                         directory or legacy)"
                    ),
                });
            }
        })
    }

    /// Find the lock packages a dependency refers to.
    fn resolve(
        &self,
        name: &PackageName,
        alternatives: Option<&[VersionSpecifiers]>,
    ) -> Resolution {
        let Some(candidates) = self.by_name.get(name) else {
            return Resolution::Missing;
        };
        let Some(alternatives) = alternatives else {
            return Resolution::Found {
                targets: candidates.clone(),
                satisfied: true,
            };
        };
        let matching: Vec<PackageIndex> = candidates
            .iter()
            .copied()
            .filter(|&index| {
                self.packages
                    .get(index)
                    .and_then(|package| package.version.as_ref())
                    .is_none_or(|version| satisfies(alternatives, version))
            })
            .collect();
        if matching.is_empty() {
            // The lock is the truth about what gets installed: keep the edge to every version.
            Resolution::Found {
                targets: candidates.clone(),
                satisfied: false,
            }
        } else {
            Resolution::Found {
                targets: matching,
                satisfied: true,
            }
        }
    }

    fn link_dependencies(&mut self, pending: Vec<PendingEdges>) {
        let mut missing: BTreeMap<String, Vec<MissingEdge>> = BTreeMap::new();
        for (index, edges) in pending.into_iter().enumerate() {
            let (from, from_location) = self
                .packages
                .get(index)
                .map(|package| (package.name.to_string(), package.location.clone()))
                .unwrap_or_default();
            let mut required = Vec::new();
            let mut optional: BTreeMap<PackageName, Vec<Dependency>> = BTreeMap::new();
            for (key, value) in in_file_order(edges.dependencies) {
                let Ok(name) = package_name(key.get_ref()) else {
                    continue;
                };
                for table in value.into_inner().into_tables() {
                    let marker = combine_markers(
                        table.markers.as_deref(),
                        table.python.as_deref(),
                        table.platform.as_deref(),
                    );
                    let alternatives = table
                        .version
                        .as_deref()
                        .and_then(|constraint| poetry_constraint_to_pep440(constraint).ok());
                    let targets = match self.resolve(&name, alternatives.as_deref()) {
                        Resolution::Found { targets, .. } => targets,
                        Resolution::Missing => {
                            // NOTE: Poetry only locks an optional dependency when some package asks
                            // for the extra that needs it, so a missing optional target is normal.
                            if !table.optional {
                                missing
                                    .entry(name.to_string())
                                    .or_default()
                                    .push(MissingEdge {
                                        from: from.clone(),
                                        location: from_location.clone(),
                                        marker: marker.clone(),
                                    });
                            }
                            continue;
                        }
                    };
                    let extras: Vec<String> = table
                        .extras
                        .iter()
                        .map(|extra| normalize_extra(extra))
                        .collect();
                    let list = if table.optional {
                        optional.entry(name.clone()).or_default()
                    } else {
                        &mut required
                    };
                    for package in targets {
                        push_unique(
                            list,
                            Dependency {
                                package,
                                extras: extras.clone(),
                                marker: marker.clone(),
                            },
                        );
                    }
                }
            }
            // An extra names requirements; its edges are this package's optional dependencies of
            // those names (Poetry follows only what `[package.dependencies]` records).
            let mut by_extra: BTreeMap<String, Vec<Dependency>> = BTreeMap::new();
            for (extra, requirements) in edges.extras {
                let entry = by_extra.entry(normalize_extra(&extra)).or_default();
                for requirement in requirements {
                    let Some(name) = requirement_name(&requirement) else {
                        continue;
                    };
                    for dependency in optional.get(&name).into_iter().flatten() {
                        push_unique(entry, dependency.clone());
                    }
                }
            }
            if let Some(package) = self.packages.get_mut(index) {
                package.dependencies = required;
                package.optional_dependencies = by_extra;
            }
        }
        self.warn_missing(missing);
    }

    // NOTE: a dependency naming a package absent from the lock is a warning, not an error, and the
    // edge is skipped: Poetry leaves out dependencies whose markers can never match the project's
    // Python range (`typed-ast ; python_version < "3.8"` in a `>=3.10` project), and hand-pruned
    // locks (a `torch` installed from elsewhere) are still worth auditing as they stand. The
    // warning names the missing package once, with who asks for it, so an incomplete lock is
    // visible without flooding the output.
    fn warn_missing(&mut self, missing: BTreeMap<String, Vec<MissingEdge>>) {
        for (name, edges) in missing {
            let mut dependents: Vec<&str> = edges.iter().map(|edge| edge.from.as_str()).collect();
            dependents.sort_unstable();
            dependents.dedup();
            let all_guarded = edges.iter().all(|edge| edge.marker.is_some());
            let reason = if all_guarded {
                "probably left out because its markers never match the project's Python"
            } else {
                "the lock may be incomplete"
            };
            self.warnings.push(Diagnostic {
                location: edges.first().and_then(|edge| edge.location.clone()),
                message: format!(
                    "`{name}` is required by {} but is not in the lock ({reason}); those edges are \
                     skipped",
                    dependents
                        .iter()
                        .map(|dependent| format!("`{dependent}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }

    fn root_from_pyproject(
        &mut self,
        pyproject: Pyproject,
        lock_python: Option<String>,
    ) -> Result<LockedPackage, LockfileError> {
        // The Python range Poetry locked for: the lock's own record, else the pyproject's.
        let python = lock_python
            .map(|constraint| PythonRequirement {
                constraint,
                syntax: ConstraintSyntax::Poetry,
            })
            .or_else(|| pyproject.requires_python.clone())
            .map(|requirement| requirement.sample_versions())
            .unwrap_or_else(pyproject::sample_python_versions);
        let mut root = synthetic_root(
            self.path,
            pyproject.name.as_deref(),
            pyproject.version.clone(),
            pyproject.location.clone(),
        )?;
        root.dependencies = self.root_edges(&pyproject.dependencies, &python);
        for (extra, dependencies) in &pyproject.optional_dependencies {
            let edges = self.root_edges(dependencies, &python);
            root.optional_dependencies.insert(extra.clone(), edges);
        }
        for (group, declared) in &pyproject.dependency_groups {
            let edges = self.root_edges(&declared.dependencies, &python);
            root.dependency_groups.insert(group.clone(), edges);
        }
        // Declared but reachable through no extra: never installed, but Poetry still locks them,
        // so a missing one is still a sign of staleness.
        self.root_edges(&pyproject.unlisted_optional_dependencies, &python);
        self.warnings.extend(pyproject.warnings);
        Ok(root)
    }

    /// Edges from the root for declared dependencies, with a staleness warning for each one the
    /// lock cannot satisfy.
    fn root_edges(
        &mut self,
        declared: &[DeclaredDependency],
        python: &[Version],
    ) -> Vec<Dependency> {
        let mut edges = Vec::new();
        for dependency in declared {
            let alternatives =
                declared_alternatives(dependency.constraint.as_deref(), dependency.syntax);
            match self.resolve(&dependency.name, alternatives.as_deref()) {
                Resolution::Found { targets, satisfied } => {
                    if !satisfied {
                        let locked: Vec<String> = targets
                            .iter()
                            .filter_map(|&index| self.packages.get(index))
                            .filter_map(|package| package.version.as_ref())
                            .map(ToString::to_string)
                            .collect();
                        self.warnings.push(Diagnostic {
                            location: Some(dependency.location.clone()),
                            message: format!(
                                "`{}` is declared as `{}` but poetry.lock has {}; the lock may be \
                                 stale (run `poetry lock`)",
                                dependency.name,
                                dependency.constraint.as_deref().unwrap_or("*"),
                                locked.join(", ")
                            ),
                        });
                    }
                    for package in targets {
                        push_unique(
                            &mut edges,
                            Dependency {
                                package,
                                extras: dependency.extras.clone(),
                                marker: dependency.marker.clone(),
                            },
                        );
                    }
                }
                Resolution::Missing => {
                    // Poetry does not lock a dependency whose markers exclude every Python the
                    // project supports; only an applicable one points at a stale lock.
                    let applicable = dependency
                        .marker
                        .as_deref()
                        .is_none_or(|marker| marker_allows_python(marker, python));
                    if applicable {
                        self.warnings.push(Diagnostic {
                            location: Some(dependency.location.clone()),
                            message: format!(
                                "`{}` is declared in pyproject.toml but is not in poetry.lock; the \
                                 lock may be stale (run `poetry lock`)",
                                dependency.name
                            ),
                        });
                    }
                }
            }
        }
        edges
    }

    /// Without a pyproject: the lock's own classification (1.x `category`, 2.1 `groups`;
    /// otherwise everything is main), with every package a direct edge of the root.
    fn root_from_lock(
        &mut self,
        wire: &WireLock,
        lock_version: LockVersion,
    ) -> Result<LockedPackage, LockfileError> {
        let mut root = synthetic_root(self.path, None, None, None)?;
        let mut extras_by_package: BTreeMap<PackageName, Vec<String>> = BTreeMap::new();
        for (extra, names) in &wire.extras {
            for name in names {
                if let Some(name) = requirement_name(name) {
                    extras_by_package
                        .entry(name)
                        .or_default()
                        .push(normalize_extra(extra));
                }
            }
        }
        for (index, entry) in wire.package.iter().enumerate() {
            let package = entry.get_ref();
            let Some(name) = self.packages.get(index).map(|package| package.name.clone()) else {
                continue;
            };
            let groups: Vec<String> = match (&package.groups, &package.category) {
                (Some(groups), _) => groups.clone(),
                (None, Some(category)) => vec![category.clone()],
                (None, None) => vec!["main".to_string()],
            };
            let edge = Dependency {
                package: index,
                extras: Vec::new(),
                marker: None,
            };
            for group in groups {
                let group = normalize_extra(&group);
                if group != "main" {
                    push_unique(
                        root.dependency_groups.entry(group).or_default(),
                        edge.clone(),
                    );
                } else if !package.optional {
                    push_unique(&mut root.dependencies, edge.clone());
                } else {
                    let extras = extras_by_package
                        .get(&name)
                        .cloned()
                        .unwrap_or_else(|| vec![UNKNOWN_EXTRA.to_string()]);
                    for extra in extras {
                        push_unique(
                            root.optional_dependencies.entry(extra).or_default(),
                            edge.clone(),
                        );
                    }
                }
            }
        }
        let classification = if lock_version.major == 1 {
            "`category`"
        } else if wire
            .package
            .iter()
            .any(|entry| entry.get_ref().groups.is_some())
        {
            "`groups`"
        } else {
            "nothing (every package counts as main)"
        };
        self.warnings.push(Diagnostic {
            location: None,
            message: format!(
                "no usable pyproject.toml beside `{}`; roots and groups come from the lock's \
                 {classification}, and optional packages no lock extra names are put in extra \
                 `{UNKNOWN_EXTRA}`",
                self.path.display()
            ),
        });
        Ok(root)
    }
}

/// The extra that holds optional packages when neither a pyproject nor the lock says which extra
/// needs them.
const UNKNOWN_EXTRA: &str = "unknown-extra";

fn synthetic_root(
    path: &Path,
    name: Option<&str>,
    version: Option<Version>,
    location: Option<Location>,
) -> Result<LockedPackage, LockfileError> {
    let name = match name
        .and_then(|name| package_name(name).ok())
        .or_else(|| directory_name(path))
    {
        Some(name) => name,
        None => package_name("project").map_err(|message| LockfileError::Invalid {
            location: Location::new(path, 1),
            message,
        })?,
    };
    Ok(LockedPackage {
        name,
        version,
        source: Source::Directory {
            path: ".".to_string(),
        },
        specifier: None,
        role: PackageRole::Synthetic,
        location,
        hashes: 0,
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    })
}

/// The name of the directory holding the lock, as a package name when it is a valid one.
fn directory_name(path: &Path) -> Option<PackageName> {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty());
    let directory: PathBuf = match parent {
        Some(parent) => parent.to_path_buf(),
        None => std::env::current_dir().ok()?,
    };
    let directory = directory.canonicalize().unwrap_or(directory);
    let name = directory.file_name()?.to_str()?;
    package_name(name).ok()
}

/// The package name a requirement string of `[package.extras]` starts with (`"pyyaml (>=5.1)"`,
/// `"dep[extra] ; marker"`).
fn requirement_name(requirement: &str) -> Option<PackageName> {
    let end = requirement
        .find(|character: char| {
            !(character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.'))
        })
        .unwrap_or(requirement.len());
    let name = requirement.get(..end)?.trim();
    package_name(name).ok()
}

fn has_hash(file: &WireFile) -> bool {
    file.hash.as_deref().is_some_and(|hash| !hash.is_empty())
}

fn count_hashes(files: &[WireFile]) -> usize {
    files.iter().filter(|file| has_hash(file)).count()
}

/// Repeats are removed once at the end ([`crate::lockfile::dedup_edges`]), keeping the first.
fn push_unique(list: &mut Vec<Dependency>, dependency: Dependency) {
    list.push(dependency);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pep440(constraint: &str) -> Vec<String> {
        poetry_constraint_to_pep440(constraint)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn poetry_constraints_become_pep440() {
        assert_eq!(pep440("^0.2.3"), [">=0.2.3, <0.3.0"]);
        assert_eq!(pep440("^1"), [">=1, <2"]);
        assert_eq!(pep440("^1.2.3"), [">=1.2.3, <2.0.0"]);
        assert_eq!(pep440("^0.0.3"), [">=0.0.3, <0.0.4"]);
        assert_eq!(pep440("^0.0"), [">=0.0, <0.1"]);
        assert_eq!(pep440("^0"), [">=0, <1"]);
        assert_eq!(pep440("~1.2"), [">=1.2, <1.3"]);
        assert_eq!(pep440("~1.2.3"), [">=1.2.3, <1.3.0"]);
        assert_eq!(pep440("~1"), [">=1, <2"]);
        assert_eq!(pep440("~=1.2"), [">=1.2, <2.0"]);
        assert_eq!(pep440("~=1.2.3"), [">=1.2.3, <1.3.0"]);
        assert_eq!(pep440(">=1,<2 || >3"), [">=1, <2", ">3"]);
        assert_eq!(pep440(">= 1.0, < 2.0"), [">=1.0, <2.0"]);
        assert_eq!(pep440(">=1.0 <2.0"), [">=1.0, <2.0"]);
        assert_eq!(pep440("*"), [""]);
        assert_eq!(pep440(""), [""]);
        assert_eq!(pep440("1.2.*"), ["==1.2.*"]);
        assert_eq!(pep440("1.2.x"), ["==1.2.*"]);
        assert_eq!(pep440("1.2.3"), ["==1.2.3"]);
        assert_eq!(pep440("=1.2.3"), ["==1.2.3"]);
        assert_eq!(pep440("!=1.2.*"), ["!=1.2.*"]);
        assert_eq!(pep440("^2.38.1-alpha.0"), [">=2.38.1a0, <3.0.0"]);
        assert_eq!(
            pep440(">=1.25.4,<2.2.0 || >2.2.0,<3"),
            [">=1.25.4, <2.2.0", ">2.2.0, <3"]
        );
        assert!(poetry_constraint_to_pep440("^not.a.version").is_err());
        assert!(poetry_constraint_to_pep440("~=1").is_err());
    }

    #[test]
    fn constraints_match_versions() {
        let alternatives = poetry_constraint_to_pep440(">=1,<2 || >3").unwrap();
        let matches =
            |version: &str| satisfies(&alternatives, &Version::from_str(version).unwrap());
        assert!(matches("1.5"));
        assert!(!matches("2.0"));
        assert!(!matches("3"));
        assert!(matches("3.0.1"));
    }

    fn read(text: &str) -> Result<Lockfile, LockfileError> {
        // A path whose directory holds no pyproject.toml.
        parse(Path::new("/nonexistent-pyaudit-test/poetry.lock"), text)
    }

    fn read_with_pyproject(lock: &str, pyproject: &str) -> Lockfile {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("pyproject.toml"), pyproject).unwrap();
        let path = directory.path().join("poetry.lock");
        parse(&path, lock).unwrap()
    }

    fn index_of(lock: &Lockfile, name: &str, version: &str) -> PackageIndex {
        lock.packages
            .iter()
            .position(|package| {
                package.name.as_ref() == name
                    && package.version.as_ref().map(ToString::to_string).as_deref() == Some(version)
            })
            .unwrap()
    }

    fn targets(lock: &Lockfile, dependencies: &[Dependency]) -> Vec<String> {
        let mut names: Vec<String> = dependencies
            .iter()
            .map(|dependency| {
                let package = &lock.packages[dependency.package];
                format!("{}=={}", package.name, package.version.as_ref().unwrap())
            })
            .collect();
        names.sort();
        names
    }

    fn root(lock: &Lockfile) -> &LockedPackage {
        &lock.packages[lock.roots[0]]
    }

    const LOCK_2_1: &str = r#"# This file is automatically @generated by Poetry 2.1.0 and should not be changed by hand.

[[package]]
name = "Alpha_Pkg"
version = "1.0.0"
description = ""
optional = false
python-versions = ">=3.9"
groups = ["main"]
files = [
    {file = "alpha_pkg-1.0.0-py3-none-any.whl", hash = "sha256:aa"},
    {file = "alpha_pkg-1.0.0.tar.gz", hash = "sha256:bb"},
]

[package.dependencies]
beta = "^2.0"
colorama = {version = "*", markers = "sys_platform == \"win32\""}
numpy = [
    {version = ">=1.23", markers = "python_version < \"3.11\""},
    {version = ">=2.0", markers = "python_version >= \"3.11\""},
]
gamma = {version = ">=1", optional = true, extras = ["Fast_Mode"]}
typed-ast = {version = "*", markers = "python_version < \"3.8\""}

[package.extras]
speed = ["gamma[fast-mode] (>=1) ; python_version >= \"3.9\""]
docs = ["sphinx (>=5)"]

[[package]]
name = "beta"
version = "2.1.0"
optional = false
python-versions = "*"
groups = ["main", "dev"]
markers = {main = "python_version < \"3.12\"", dev = "sys_platform == \"win32\""}
files = []

[[package]]
name = "colorama"
version = "0.4.6"
optional = false
python-versions = "*"
groups = ["main"]
files = []

[[package]]
name = "gamma"
version = "1.1.0"
optional = true
python-versions = "*"
groups = ["main"]
files = []

[package.extras]
fast-mode = []

[[package]]
name = "numpy"
version = "1.26.4"
optional = false
python-versions = "*"
groups = ["main"]
files = []

[[package]]
name = "numpy"
version = "2.1.0"
optional = false
python-versions = "*"
groups = ["main"]
files = []

[[package]]
name = "pytest"
version = "8.0.0"
optional = false
python-versions = "*"
groups = ["dev"]
files = []

[[package]]
name = "from-git"
version = "0.1.0"
optional = false
python-versions = "*"
groups = ["main"]
files = []
develop = false

[package.source]
type = "git"
url = "https://example.org/from-git.git"
reference = "main"
resolved_reference = "0123abcd"
subdirectory = "pkg"

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "0"
"#;

    #[test]
    fn reads_a_2_1_lock_with_every_dependency_form() {
        let lock = read(LOCK_2_1).unwrap();
        assert_eq!(lock.kind, LockfileKind::PoetryLock);
        assert_eq!(lock.packages.len(), 9);
        let alpha = &lock.packages[index_of(&lock, "alpha-pkg", "1.0.0")];
        assert_eq!(alpha.location.as_ref().unwrap().line, 3);
        assert_eq!(alpha.hashes, 2);
        assert_eq!(
            targets(&lock, &alpha.dependencies),
            // numpy 2.1.0 twice: once per marker-separated constraint it satisfies.
            [
                "beta==2.1.0",
                "colorama==0.4.6",
                "numpy==1.26.4",
                "numpy==2.1.0",
                "numpy==2.1.0"
            ]
        );
        let colorama = alpha
            .dependencies
            .iter()
            .find(|dependency| lock.packages[dependency.package].name.as_ref() == "colorama")
            .unwrap();
        assert_eq!(
            colorama.marker.as_deref(),
            Some("sys_platform == \"win32\"")
        );
        // Only the numpy 2 entry satisfies `>=2.0`; both satisfy `>=1.23`.
        let numpy_2 = index_of(&lock, "numpy", "2.1.0");
        let numpy_markers: Vec<_> = alpha
            .dependencies
            .iter()
            .filter(|dependency| dependency.package == numpy_2)
            .map(|dependency| dependency.marker.clone().unwrap())
            .collect();
        assert_eq!(numpy_markers.len(), 2);
        // The optional dependency is reached through the extra only, with its extras.
        assert_eq!(
            targets(&lock, &alpha.optional_dependencies["speed"]),
            ["gamma==1.1.0"]
        );
        assert_eq!(
            alpha.optional_dependencies["speed"][0].extras,
            ["fast-mode"]
        );
        assert!(alpha.optional_dependencies["docs"].is_empty());
        // typed-ast is not locked: a warning, no edge, no error.
        assert!(
            lock.warnings.iter().any(|warning| warning
                .message
                .contains("`typed-ast` is required by `alpha-pkg`")),
            "{:?}",
            lock.warnings
        );
        let git = &lock.packages[index_of(&lock, "from-git", "0.1.0")];
        assert_eq!(
            git.source,
            Source::Git {
                url: "https://example.org/from-git.git#subdirectory=pkg".to_string(),
                reference: Some("0123abcd".to_string()),
            }
        );
        // No pyproject: the lock's groups classify, with a warning.
        let root = root(&lock);
        assert_eq!(root.role, PackageRole::Synthetic);
        assert_eq!(
            root.source,
            Source::Directory {
                path: ".".to_string()
            }
        );
        assert!(
            targets(&lock, &root.dependency_groups["dev"]).contains(&"pytest==8.0.0".to_string())
        );
        assert!(targets(&lock, &root.dependencies).contains(&"alpha-pkg==1.0.0".to_string()));
        assert_eq!(
            targets(&lock, &root.optional_dependencies[UNKNOWN_EXTRA]),
            ["gamma==1.1.0"]
        );
        assert!(
            lock.warnings
                .iter()
                .any(|warning| warning.message.contains("`groups`"))
        );
    }

    const LOCK_1_1: &str = r#"[[package]]
name = "ipywidgets"
version = "8.0.6"
description = ""
category = "main"
optional = true
python-versions = ">=3.7"

[package.dependencies]
traitlets = ">=4.3.1"

[[package]]
name = "pytest"
version = "7.3.1"
description = ""
category = "dev"
optional = false
python-versions = ">=3.7"

[[package]]
name = "pygments"
version = "2.15.1"
description = ""
category = "main"
optional = false
python-versions = ">=3.7"

[[package]]
name = "traitlets"
version = "5.9.0"
description = ""
category = "main"
optional = true
python-versions = ">=3.7"

[extras]
jupyter = ["ipywidgets"]

[metadata]
lock-version = "1.1"
python-versions = ">=3.7.0"
content-hash = "0"

[metadata.files]
ipywidgets = [
    {file = "ipywidgets-8.0.6-py3-none-any.whl", hash = "sha256:aa"},
    {file = "ipywidgets-8.0.6.tar.gz", hash = "sha256:bb"},
]
pytest = []
pygments = [
    {file = "Pygments-2.15.1-py3-none-any.whl", hash = "sha256:cc"},
]
traitlets = []
"#;

    #[test]
    fn reads_a_1_1_lock_with_categories_and_metadata_files() {
        let lock = read(LOCK_1_1).unwrap();
        assert_eq!(lock.packages.len(), 5);
        assert_eq!(
            lock.packages[index_of(&lock, "ipywidgets", "8.0.6")].hashes,
            2
        );
        assert_eq!(
            lock.packages[index_of(&lock, "pygments", "2.15.1")].hashes,
            1
        );
        let root = root(&lock);
        assert_eq!(targets(&lock, &root.dependencies), ["pygments==2.15.1"]);
        assert_eq!(
            targets(&lock, &root.optional_dependencies["jupyter"]),
            ["ipywidgets==8.0.6"]
        );
        assert_eq!(
            targets(&lock, &root.optional_dependencies[UNKNOWN_EXTRA]),
            ["traitlets==5.9.0"]
        );
        assert_eq!(
            targets(&lock, &root.dependency_groups["dev"]),
            ["pytest==7.3.1"]
        );
        assert!(
            lock.warnings
                .iter()
                .any(|warning| warning.message.contains("`category`"))
        );
    }

    #[test]
    fn reads_2_0_locks_with_and_without_category() {
        let without = "[[package]]\nname = \"a\"\nversion = \"1\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"0\"\n";
        let lock = read(without).unwrap();
        assert_eq!(targets(&lock, &root(&lock).dependencies), ["a==1"]);
        let with = without.replace("optional = false", "category = \"dev\"\noptional = false");
        let lock = read(&with).unwrap();
        assert!(root(&lock).dependencies.is_empty());
        assert_eq!(
            targets(&lock, &root(&lock).dependency_groups["dev"]),
            ["a==1"]
        );
    }

    #[test]
    fn pyproject_beside_the_lock_gives_the_roots() {
        let pyproject = r#"
[tool.poetry]
name = "demo"
version = "0.3.0"

[tool.poetry.dependencies]
python = "^3.9"
alpha-pkg = "^1.0"
from-git = { git = "https://example.org/from-git.git" }
gamma = { version = "^1.1", optional = true }
ancient = { version = "^1", python = "<3.8" }
vanished = "^3"
numpy = "^3"

[tool.poetry.extras]
speed = ["gamma"]

[tool.poetry.group.dev.dependencies]
pytest = "^8"

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
beta = "^2"
"#;
        let lock = read_with_pyproject(LOCK_2_1, pyproject);
        let root = root(&lock);
        assert_eq!(root.name.as_ref(), "demo");
        assert_eq!(root.version, Some(Version::new([0, 3, 0])));
        assert_eq!(
            targets(&lock, &root.dependencies),
            [
                "alpha-pkg==1.0.0",
                "from-git==0.1.0",
                "numpy==1.26.4",
                "numpy==2.1.0"
            ]
        );
        assert_eq!(
            targets(&lock, &root.optional_dependencies["speed"]),
            ["gamma==1.1.0"]
        );
        assert_eq!(
            targets(&lock, &root.dependency_groups["dev"]),
            ["pytest==8.0.0"]
        );
        assert_eq!(
            targets(&lock, &root.dependency_groups["docs"]),
            ["beta==2.1.0"]
        );
        let stale: Vec<&str> = lock
            .warnings
            .iter()
            .filter(|warning| warning.message.contains("stale"))
            .map(|warning| warning.message.as_str())
            .collect();
        // `ancient` only applies below Python 3.8, which the project does not support.
        assert_eq!(stale.len(), 2, "{stale:?}");
        assert!(stale[0].contains("`vanished`"), "{stale:?}");
        assert!(
            stale[1].contains("`numpy` is declared as `^3`"),
            "{stale:?}"
        );
        assert!(
            !lock
                .warnings
                .iter()
                .any(|warning| warning.message.contains("no usable"))
        );
    }

    #[test]
    fn several_locked_versions_are_picked_by_constraint() {
        let lock_text = LOCK_2_1.replace("beta = \"^2.0\"", "numpy-user = \"*\"");
        let lock = read(&lock_text).unwrap();
        let alpha = &lock.packages[index_of(&lock, "alpha-pkg", "1.0.0")];
        // `numpy-user` is missing; numpy `>=2.0` picks only 2.1.0, `>=1.23` both.
        assert!(targets(&lock, &alpha.dependencies).contains(&"numpy==1.26.4".to_string()));
        let only_two = LOCK_2_1.replace(
            "{version = \">=1.23\", markers = \"python_version < \\\"3.11\\\"\"},\n",
            "",
        );
        let lock = read(&only_two).unwrap();
        let alpha = &lock.packages[index_of(&lock, "alpha-pkg", "1.0.0")];
        assert!(!targets(&lock, &alpha.dependencies).contains(&"numpy==1.26.4".to_string()));
        assert!(targets(&lock, &alpha.dependencies).contains(&"numpy==2.1.0".to_string()));
    }

    #[test]
    fn source_kinds() {
        let lock_with = |source: &str, develop: bool| {
            let text = format!(
                "[[package]]\nname = \"a\"\nversion = \"1.0\"\noptional = false\npython-versions = \"*\"\nfiles = []\ndevelop = {develop}\n\n[package.source]\n{source}\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"0\"\n"
            );
            read(&text).map(|lock| lock.packages[0].source.clone())
        };
        assert_eq!(
            lock_with(
                "type = \"legacy\"\nurl = \"https://pypi.example/simple\"\nreference = \"mirror\"",
                false
            )
            .unwrap(),
            Source::Registry {
                url: Some("https://pypi.example/simple".to_string())
            }
        );
        assert_eq!(
            lock_with(
                "type = \"url\"\nurl = \"https://example.org/a-1.0.tar.gz\"",
                false
            )
            .unwrap(),
            Source::Url {
                url: "https://example.org/a-1.0.tar.gz".to_string()
            }
        );
        assert_eq!(
            lock_with("type = \"file\"\nurl = \"dist/a-1.0.whl\"", false).unwrap(),
            Source::Path {
                path: "dist/a-1.0.whl".to_string()
            }
        );
        assert_eq!(
            lock_with("type = \"directory\"\nurl = \"../a\"", false).unwrap(),
            Source::Directory {
                path: "../a".to_string()
            }
        );
        assert_eq!(
            lock_with("type = \"directory\"\nurl = \"../a\"", true).unwrap(),
            Source::Editable {
                path: "../a".to_string()
            }
        );
        let error = lock_with("type = \"git\"", false).unwrap_err();
        assert!(error.to_string().contains(":9:"), "{error}");
    }

    #[test]
    fn errors_carry_lines() {
        let error = read("[[package]]\nname = \"a\"\nversion = ").unwrap_err();
        assert!(matches!(error, LockfileError::Syntax { .. }), "{error}");
        assert!(error.to_string().contains("poetry.lock:3:"), "{error}");

        let error = read("[[package]]\nname = \"a\"\nversion = \"1\"\noptional = \"no\"\n\n[metadata]\nlock-version = \"2.0\"\n").unwrap_err();
        assert!(matches!(error, LockfileError::Invalid { .. }), "{error}");
        assert!(error.to_string().contains("poetry.lock:4:"), "{error}");

        let error = read("[[package]]\nname = \"a\"\nversion = \"1\"\n\n[package.dependencies]\nb = {version = 3}\n\n[metadata]\nlock-version = \"2.0\"\n").unwrap_err();
        assert!(error.to_string().contains("poetry.lock:6:"), "{error}");

        let error = read("[metadata]\nlock-version = \"3.0\"\n").unwrap_err();
        assert!(
            matches!(error, LockfileError::UnsupportedVersion { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("poetry.lock:2:"), "{error}");

        let error = read("[[package]]\nname = \"a\"\nversion = \"not a version\"\n\n[metadata]\nlock-version = \"2.0\"\n").unwrap_err();
        assert!(error.to_string().contains("poetry.lock:3:"), "{error}");

        assert!(read("[[package]]\nname = \"a\"\nversion = \"1\"\n").is_err());
        let newer = read("[metadata]\nlock-version = \"2.7\"\n").unwrap();
        assert!(
            newer
                .warnings
                .iter()
                .any(|warning| warning.message.contains("newer"))
        );
    }

    #[test]
    fn truncated_input_never_panics() {
        for end in 0..LOCK_2_1.len() {
            if LOCK_2_1.is_char_boundary(end) {
                let _ = read(&LOCK_2_1[..end]);
            }
        }
    }
}
