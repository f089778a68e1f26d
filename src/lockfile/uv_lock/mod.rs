//! Reader for uv's `uv.lock` (lock `version = 1`, every revision so far), as written by the wire
//! types of uv's `uv-resolver` lock module.
//!
//! The file is parsed in two steps: TOML syntax first (so a truncated file is a syntax error with a
//! position), then the format's shape through private serde *wire* types that mirror the file and
//! borrow from it. Only what the domain model needs is kept: artifact entries are reduced to
//! "has a hash", `[package.metadata]` and lock-wide options are never looked at.

mod wheels;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    Dependency, Diagnostic, LineIndex, Location, LockedPackage, Lockfile, LockfileError,
    LockfileKind, PackageIndex, PackageRole, Source, normalize_extra, package_name, version,
};

/// The only lock `version` uv has written since its lockfile became stable.
const SUPPORTED_VERSION: i64 = 1;
/// The newest `revision` this reader was checked against (locks written by uv 0.13). Revisions
/// are backwards-compatible additions, so a newer one is read anyway, with a warning.
///
/// What each revision of `version = 1` added, and why none of it changes the graph read here:
/// - 1: `provides-extras` and empty dependency-group entries in `[package.metadata]`;
/// - 2: `upload-time` on artifacts;
/// - 3: package-specific `exclude-newer` in `[options]`;
/// - 4: locks without `[package.metadata]` (uv's `lock-without-metadata` preview). Such a lock
///   records every declared extra and group of a local package, even an empty one (`docs = []`),
///   which reads as an activation with no edges;
/// - 5: `default-groups` (on member packages, and in `[manifest]` for a root without
///   `[project]`) and `group-requires-python` tables. They say which groups `uv sync` installs
///   by default and for which Pythons; pyaudit's dev class is every group regardless, so both are
///   ignored.
///
/// Metadata, options and these tables are never deserialized (unknown fields are skipped), so
/// their presence or absence cannot change what is read.
const NEWEST_KNOWN_REVISION: i64 = 5;
/// Name of the synthetic root when the lock's directory name is not a usable package name.
const FALLBACK_ROOT_NAME: &str = "workspace-root";

/// Read a `uv.lock` whose text is `text` (read from `path`).
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    parse_with(path, text, true)
}

/// `fast_path: false` parses every artifact with the TOML parser; tests compare the two.
fn parse_with(path: &Path, text: &str, fast_path: bool) -> Result<Lockfile, LockfileError> {
    let elided = fast_path.then(|| wheels::elide(text)).flatten();
    let reader = Reader::new(path, text, elided.as_ref());
    let toml_text = elided.as_ref().map_or(text, |elided| elided.text.as_str());
    let document = DeTable::parse(toml_text).map_err(|error| reader.toml_error(&error, true))?;
    let revision = reader.check_version(document.get_ref())?;
    let wire = LockWire::deserialize(toml::de::Deserializer::from(document))
        .map_err(|error| reader.toml_error(&error, false))?;
    let mut lockfile = reader.build(wire)?;
    if let Some(revision) = revision
        && revision.value > NEWEST_KNOWN_REVISION
    {
        lockfile.warnings.push(Diagnostic {
            location: Some(reader.location(revision.offset)),
            message: format!(
                "lock revision {} is newer than the newest pyaudit knows ({NEWEST_KNOWN_REVISION}); \
                 reading it anyway",
                revision.value
            ),
        });
    }
    Ok(lockfile)
}

// ---------------------------------------------------------------------------------------------
// Wire types: the file as written. Strings borrow from the input where TOML allows it.
// Unknown fields are ignored on purpose (newer uv versions add some).
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LockWire<'a> {
    #[serde(borrow, default)]
    manifest: ManifestWire<'a>,
    // NOTE: uv before 0.3 called the entries `[[distribution]]`; uv itself still accepts that.
    #[serde(borrow, default, rename = "package", alias = "distribution")]
    packages: Vec<Spanned<PackageWire<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct ManifestWire<'a> {
    #[serde(borrow, default)]
    members: Vec<Spanned<Cow<'a, str>>>,
    /// Requirements of a root that is not a package (a PEP 723 script).
    #[serde(borrow, default)]
    requirements: Vec<Spanned<RequirementWire<'a>>>,
    /// Dependency groups of a workspace root without `[project]`.
    #[serde(borrow, default)]
    dependency_groups: BTreeMap<Cow<'a, str>, Vec<Spanned<RequirementWire<'a>>>>,
}

/// A PEP 508 requirement as uv writes it into `[manifest]`: unresolved, possibly naming a source.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RequirementWire<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    specifier: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    extras: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    marker: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(borrow, flatten)]
    source: SourceWire<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PackageWire<'a> {
    #[serde(borrow)]
    name: Spanned<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Spanned<Cow<'a, str>>>,
    #[serde(borrow)]
    source: Spanned<SourceWire<'a>>,
    #[serde(default)]
    sdist: Option<ArtifactWire>,
    #[serde(default)]
    wheels: Vec<ArtifactWire>,
    #[serde(borrow, default)]
    dependencies: Vec<Spanned<DependencyWire<'a>>>,
    #[serde(borrow, default)]
    optional_dependencies: BTreeMap<Cow<'a, str>, Vec<Spanned<DependencyWire<'a>>>>,
    // NOTE: uv names PEP 735 groups `dev-dependencies` in package entries (a leftover of
    // `tool.uv.dev-dependencies`); the alias follows uv's own reader.
    #[serde(borrow, default, alias = "dependency-groups")]
    dev_dependencies: BTreeMap<Cow<'a, str>, Vec<Spanned<DependencyWire<'a>>>>,
}

/// An sdist or wheel entry; only whether it records a hash matters here.
#[derive(Deserialize)]
struct ArtifactWire {
    #[serde(default)]
    hash: Option<IgnoredAny>,
}

/// A package source. uv writes exactly one of the kind keys; a struct of options (rather than an
/// untagged enum) keeps deserializing cheap and lets a wrong shape be reported precisely.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct SourceWire<'a> {
    #[serde(borrow, default)]
    registry: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    git: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    subdirectory: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    directory: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    editable: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "virtual")]
    virtual_path: Option<Cow<'a, str>>,
}

/// One edge of a package entry. `version` and `source` are only written when the name alone does
/// not identify the target (the name is locked more than once).
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DependencyWire<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<SourceWire<'a>>,
    #[serde(borrow, default)]
    marker: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    extra: Vec<Cow<'a, str>>,
}

// ---------------------------------------------------------------------------------------------
// Conversion into the domain model.
// ---------------------------------------------------------------------------------------------

/// An integer key of the top-level table and where its value starts.
#[derive(Clone, Copy)]
struct SpannedInteger {
    value: i64,
    offset: usize,
}

/// The edges of one package, kept aside until every package has an index.
struct PendingEdges<'a> {
    dependencies: Vec<Spanned<DependencyWire<'a>>>,
    optional_dependencies: BTreeMap<Cow<'a, str>, Vec<Spanned<DependencyWire<'a>>>>,
    dependency_groups: BTreeMap<Cow<'a, str>, Vec<Spanned<DependencyWire<'a>>>>,
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    /// The wheel blocks cut before parsing: every offset the parser gives is in the cut text,
    /// and is mapped back ([`Reader::original`]) before it names a line.
    elided: Option<&'a wheels::ElidedWheels>,
    /// Built on first use: most reads need only the few package lines, computed incrementally.
    line_index: std::cell::OnceCell<LineIndex>,
}

impl<'a> Reader<'a> {
    fn new(path: &'a Path, text: &'a str, elided: Option<&'a wheels::ElidedWheels>) -> Self {
        Self {
            path,
            text,
            elided,
            line_index: std::cell::OnceCell::new(),
        }
    }

    /// The file's own offset of a parser's `offset`.
    fn original(&self, offset: usize) -> usize {
        self.elided.map_or(offset, |elided| elided.original(offset))
    }

    /// Where a parser's `offset` is in the file.
    fn location(&self, offset: usize) -> Location {
        self.line_index
            .get_or_init(|| LineIndex::new(self.text))
            .location(self.path, self.original(offset))
    }

    fn invalid(&self, offset: usize, message: impl Into<String>) -> LockfileError {
        LockfileError::Invalid {
            location: self.location(offset),
            message: message.into(),
        }
    }

    fn toml_error(&self, error: &toml::de::Error, syntax: bool) -> LockfileError {
        let offset = error.span().map_or(0, |span| span.start);
        let message = error.message().trim_end().to_string();
        let location = self.location(offset);
        if syntax {
            LockfileError::Syntax {
                location,
                message: format!("invalid TOML: {message}"),
            }
        } else {
            LockfileError::Invalid {
                location,
                message: format!("not a valid uv.lock: {message}"),
            }
        }
    }

    /// Check `version` before the shape: a lock of another version may have any shape, and "wrong
    /// version" is the useful message for it. Returns the revision, if any.
    fn check_version(
        &self,
        document: &DeTable<'_>,
    ) -> Result<Option<SpannedInteger>, LockfileError> {
        let Some(version) = self.integer_key(document, "version")? else {
            return Err(self.invalid(
                0,
                "missing top-level `version` key; a uv.lock starts with `version = 1`",
            ));
        };
        if version.value != SUPPORTED_VERSION {
            return Err(LockfileError::UnsupportedVersion {
                location: self.location(version.offset),
                what: format!("uv.lock version {}", version.value),
                supported: format!("version {SUPPORTED_VERSION}"),
            });
        }
        let revision = self.integer_key(document, "revision")?;
        if let Some(revision) = revision
            && revision.value < 0
        {
            return Err(self.invalid(revision.offset, "`revision` must not be negative"));
        }
        Ok(revision)
    }

    fn integer_key(
        &self,
        document: &DeTable<'_>,
        key: &str,
    ) -> Result<Option<SpannedInteger>, LockfileError> {
        let Some(value) = document.get(key) else {
            return Ok(None);
        };
        let offset = value.span().start;
        let parsed = match value.get_ref() {
            DeValue::Integer(integer) => {
                i64::from_str_radix(&integer.as_str().replace('_', ""), integer.radix()).ok()
            }
            _ => None,
        };
        match parsed {
            Some(value) => Ok(Some(SpannedInteger { value, offset })),
            None => Err(self.invalid(offset, format!("`{key}` must be an integer"))),
        }
    }

    fn build(&self, wire: LockWire<'a>) -> Result<Lockfile, LockfileError> {
        let mut packages = Vec::with_capacity(wire.packages.len() + 1);
        let mut pending = Vec::with_capacity(wire.packages.len());
        let mut line_counter = LineCounter::new(self.text);
        // A package's body runs from its header to the next one (a table's span covers only its
        // header), which is where its elided wheel blocks lie. Offsets in the file's own text.
        let mut body_ends: Vec<usize> = wire
            .packages
            .iter()
            .skip(1)
            .map(|entry| self.original(entry.span().start))
            .collect();
        body_ends.push(self.text.len());
        for (entry, body_end) in wire.packages.into_iter().zip(body_ends) {
            let header = self.original(entry.span().start);
            let elided_hashes = self
                .elided
                .map_or(0, |elided| elided.hashes_in(header..body_end));
            let package = entry.into_inner();
            let name_offset = package.name.span().start;
            let name = package_name(package.name.get_ref())
                .map_err(|message| self.invalid(name_offset, message))?;
            let locked_version = match &package.version {
                Some(raw) => Some(
                    version(raw.get_ref())
                        .map_err(|message| self.invalid(raw.span().start, message))?,
                ),
                None => None,
            };
            let source_offset = package.source.span().start;
            let source = self.source(package.source.get_ref(), source_offset)?;
            let hashes = package
                .sdist
                .iter()
                .chain(&package.wheels)
                .filter(|artifact| artifact.hash.is_some())
                .count()
                + elided_hashes;
            packages.push(LockedPackage {
                name,
                version: locked_version,
                source,
                specifier: None,
                role: PackageRole::Package,
                location: Some(Location::new(self.path, line_counter.line_of(header))),
                hashes,
                dependencies: Vec::new(),
                optional_dependencies: BTreeMap::new(),
                dependency_groups: BTreeMap::new(),
            });
            pending.push(PendingEdges {
                dependencies: package.dependencies,
                optional_dependencies: package.optional_dependencies,
                dependency_groups: package.dev_dependencies,
            });
        }

        let by_name = NameIndex::new(&packages);
        let mut resolved = Vec::with_capacity(pending.len());
        for edges in pending {
            let dependencies = self.edges(&packages, &by_name, edges.dependencies)?;
            let optional_dependencies =
                self.edge_map(&packages, &by_name, edges.optional_dependencies)?;
            let dependency_groups = self.edge_map(&packages, &by_name, edges.dependency_groups)?;
            resolved.push((dependencies, optional_dependencies, dependency_groups));
        }
        for (package, (dependencies, optional_dependencies, dependency_groups)) in
            packages.iter_mut().zip(resolved)
        {
            package.dependencies = dependencies;
            package.optional_dependencies = optional_dependencies;
            package.dependency_groups = dependency_groups;
        }

        let mut warnings = Vec::new();
        let mut roots = self.project_roots(&mut packages, &by_name, &wire.manifest.members)?;
        let manifest = wire.manifest;
        if !manifest.requirements.is_empty() || !manifest.dependency_groups.is_empty() {
            let dependencies = manifest
                .requirements
                .iter()
                .map(|requirement| {
                    self.requirement_edges(&packages, &by_name, requirement, &mut warnings)
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            let mut dependency_groups: BTreeMap<String, Vec<Dependency>> = BTreeMap::new();
            for (group, requirements) in &manifest.dependency_groups {
                let edges = dependency_groups.entry(normalize_extra(group)).or_default();
                for requirement in requirements {
                    edges.extend(self.requirement_edges(
                        &packages,
                        &by_name,
                        requirement,
                        &mut warnings,
                    )?);
                }
            }
            roots.push(packages.len());
            packages.push(LockedPackage {
                name: self.synthetic_root_name()?,
                version: None,
                source: Source::Virtual {
                    path: ".".to_string(),
                },
                specifier: None,
                role: PackageRole::Synthetic,
                location: None,
                hashes: 0,
                dependencies,
                optional_dependencies: BTreeMap::new(),
                dependency_groups,
            });
        }
        if roots.is_empty() {
            warnings.push(Diagnostic {
                location: Some(Location::new(self.path, 1)),
                message: "no project found in the lock (no `[manifest] members`, no package at \
                          path `.`, no manifest requirements); nothing is reachable"
                    .to_string(),
            });
        }

        Ok(Lockfile {
            path: self.path.to_path_buf(),
            kind: LockfileKind::UvLock,
            packages,
            roots,
            warnings,
            options: Vec::new(),
            unread: Vec::new(),
        })
    }

    /// Mark the workspace members (or, without a member list, the project at `.`) as roots.
    fn project_roots(
        &self,
        packages: &mut [LockedPackage],
        by_name: &NameIndex,
        members: &[Spanned<Cow<'a, str>>],
    ) -> Result<Vec<PackageIndex>, LockfileError> {
        let mut roots = Vec::new();
        if members.is_empty() {
            roots.extend(
                packages
                    .iter()
                    .enumerate()
                    .filter(|(_, package)| is_project_at_root(&package.source))
                    .map(|(index, _)| index),
            );
        }
        for member in members {
            let offset = member.span().start;
            let name =
                package_name(member.get_ref()).map_err(|message| self.invalid(offset, message))?;
            let candidates = by_name.get(name.as_ref());
            // A member is a local project; a registry package of the same name can only be a
            // different distribution locked alongside it.
            let local: Vec<PackageIndex> = candidates
                .iter()
                .copied()
                .filter(|&index| packages.get(index).is_some_and(|p| is_local(&p.source)))
                .collect();
            let chosen = match (local.as_slice(), candidates) {
                ([only], _) | ([], [only]) => *only,
                ([], []) => {
                    return Err(self.invalid(
                        offset,
                        format!("workspace member `{name}` has no `[[package]]` entry"),
                    ));
                }
                _ => {
                    return Err(self.invalid(
                        offset,
                        format!(
                            "workspace member `{name}` matches several `[[package]]` entries; \
                             expected one local project of that name"
                        ),
                    ));
                }
            };
            roots.push(chosen);
        }
        roots.sort_unstable();
        roots.dedup();
        for &root in &roots {
            if let Some(package) = packages.get_mut(root) {
                package.role = PackageRole::Project;
            }
        }
        Ok(roots)
    }

    fn synthetic_root_name(&self) -> Result<pep508_rs::PackageName, LockfileError> {
        let directory = std::path::absolute(self.path)
            .ok()
            .and_then(|path| {
                path.parent()
                    .and_then(Path::file_name)
                    .and_then(|name| name.to_str())
                    .map(str::to_string)
            })
            .and_then(|name| package_name(&name).ok());
        match directory {
            Some(name) => Ok(name),
            None => package_name(FALLBACK_ROOT_NAME).map_err(|message| self.invalid(0, message)),
        }
    }

    fn edge_map(
        &self,
        packages: &[LockedPackage],
        by_name: &NameIndex,
        map: BTreeMap<Cow<'a, str>, Vec<Spanned<DependencyWire<'a>>>>,
    ) -> Result<BTreeMap<String, Vec<Dependency>>, LockfileError> {
        let mut resolved: BTreeMap<String, Vec<Dependency>> = BTreeMap::new();
        for (key, entries) in map {
            let edges = self.edges(packages, by_name, entries)?;
            resolved
                .entry(normalize_extra(&key))
                .or_default()
                .extend(edges);
        }
        Ok(resolved)
    }

    fn edges(
        &self,
        packages: &[LockedPackage],
        by_name: &NameIndex,
        entries: Vec<Spanned<DependencyWire<'a>>>,
    ) -> Result<Vec<Dependency>, LockfileError> {
        entries
            .into_iter()
            .map(|entry| {
                let offset = entry.span().start;
                let entry = entry.into_inner();
                let package = self.resolve(packages, by_name, &entry, offset)?;
                Ok(Dependency {
                    package,
                    extras: entry
                        .extra
                        .iter()
                        .map(|extra| normalize_extra(extra))
                        .collect(),
                    marker: entry.marker.map(Cow::into_owned),
                })
            })
            .collect()
    }

    /// Find the package an edge points to: by name, narrowed by the entry's version and source.
    fn resolve(
        &self,
        packages: &[LockedPackage],
        by_name: &NameIndex,
        entry: &DependencyWire<'_>,
        offset: usize,
    ) -> Result<PackageIndex, LockfileError> {
        let name = package_name(&entry.name).map_err(|message| self.invalid(offset, message))?;
        let candidates = by_name.get(name.as_ref());
        let wanted_version = match &entry.version {
            Some(raw) => Some(version(raw).map_err(|message| self.invalid(offset, message))?),
            None => None,
        };
        let wanted_source = match &entry.source {
            Some(source) => Some(self.source(source, offset)?),
            None => None,
        };
        let mut matches = candidates.iter().copied().filter(|&index| {
            packages.get(index).is_some_and(|package| {
                wanted_version
                    .as_ref()
                    .is_none_or(|wanted| package.version.as_ref() == Some(wanted))
                    && wanted_source
                        .as_ref()
                        .is_none_or(|wanted| &package.source == wanted)
            })
        });
        let first = matches.next();
        let second = matches.next();
        match (first, second) {
            (Some(index), None) => Ok(index),
            (None, _) => {
                let what = describe_target(&name, wanted_version.as_ref(), wanted_source.as_ref());
                let message = if candidates.is_empty() {
                    format!("dependency on {what}, which has no `[[package]]` entry in the lock")
                } else {
                    format!(
                        "dependency on {what} matches none of the {} locked `{name}` entries \
                         ({})",
                        candidates.len(),
                        self.describe_candidates(packages, candidates)
                    )
                };
                Err(self.invalid(offset, message))
            }
            (Some(_), Some(_)) => Err(self.invalid(
                offset,
                format!(
                    "dependency on `{name}` is ambiguous: {} are locked ({}); expected the entry \
                     to name a `version` and `source`",
                    candidates.len(),
                    self.describe_candidates(packages, candidates)
                ),
            )),
        }
    }

    fn describe_candidates(
        &self,
        packages: &[LockedPackage],
        candidates: &[PackageIndex],
    ) -> String {
        candidates
            .iter()
            .filter_map(|&index| packages.get(index))
            .map(|package| {
                let version = package
                    .version
                    .as_ref()
                    .map_or_else(|| "no version".to_string(), ToString::to_string);
                format!("{version} from {}", describe_source(&package.source))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Edges for one `[manifest]` requirement. The requirement is unresolved (a specifier, maybe
    /// a source), so every locked package of that name it admits is a target: with resolution
    /// forks, different environments may install different ones.
    fn requirement_edges(
        &self,
        packages: &[LockedPackage],
        by_name: &NameIndex,
        requirement: &Spanned<RequirementWire<'_>>,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Vec<Dependency>, LockfileError> {
        let offset = requirement.span().start;
        let requirement = requirement.get_ref();
        let name =
            package_name(&requirement.name).map_err(|message| self.invalid(offset, message))?;
        let candidates = by_name.get(name.as_ref());
        let specifiers = match requirement.specifier.as_deref() {
            Some(raw) if !raw.trim().is_empty() => {
                Some(VersionSpecifiers::from_str(raw).map_err(|error| {
                    self.invalid(offset, format!("invalid specifier `{raw}`: {error}"))
                })?)
            }
            _ => None,
        };
        let wanted_source = if source_kind_count(&requirement.source) == 0 {
            None
        } else {
            Some(self.source(&requirement.source, offset)?)
        };
        let from_source: Vec<PackageIndex> = candidates
            .iter()
            .copied()
            .filter(|&index| {
                packages
                    .get(index)
                    .is_some_and(|package| match &wanted_source {
                        Some(wanted) => requirement_source_matches(wanted, &package.source),
                        None => match (&requirement.index, &package.source) {
                            (Some(index), Source::Registry { url: Some(url) }) => {
                                url.trim_end_matches('/') == index.trim_end_matches('/')
                            }
                            _ => true,
                        },
                    })
            })
            .collect();
        let specifier = requirement.specifier.as_deref().unwrap_or_default();
        if from_source.is_empty() {
            let message = if candidates.is_empty() {
                format!("requirement `{name}{specifier}` has no `[[package]]` entry in the lock")
            } else {
                format!(
                    "requirement `{name}{specifier}` names a source none of the locked `{name}` \
                     entries has ({})",
                    self.describe_candidates(packages, candidates)
                )
            };
            return Err(self.invalid(offset, message));
        }
        let mut targets: Vec<PackageIndex> = from_source
            .iter()
            .copied()
            .filter(|&index| {
                packages
                    .get(index)
                    .is_some_and(|package| match (&specifiers, &package.version) {
                        (Some(specifiers), Some(version)) => specifiers.contains(version),
                        _ => true,
                    })
            })
            .collect();
        if targets.is_empty() {
            // NOTE: an override (`[manifest] overrides`) may lock a version outside the group's
            // own specifier; the lock is still what uv installs, so keep every candidate.
            warnings.push(Diagnostic {
                location: Some(self.location(offset)),
                message: format!(
                    "requirement `{name}{specifier}` admits none of the locked `{name}` entries \
                     ({}); an override may apply, so all of them are taken",
                    self.describe_candidates(packages, &from_source)
                ),
            });
            targets = from_source;
        }
        let extras: Vec<String> = requirement
            .extras
            .iter()
            .map(|extra| normalize_extra(extra))
            .collect();
        Ok(targets
            .into_iter()
            .map(|package| Dependency {
                package,
                extras: extras.clone(),
                marker: requirement.marker.as_deref().map(str::to_string),
            })
            .collect())
    }

    fn source(&self, wire: &SourceWire<'_>, offset: usize) -> Result<Source, LockfileError> {
        if source_kind_count(wire) != 1 {
            return Err(self.invalid(
                offset,
                "expected a source with exactly one of `registry`, `git`, `url`, `path`, \
                 `directory`, `editable`, `virtual`",
            ));
        }
        let owned = |value: &Cow<'_, str>| value.to_string();
        let source = if let Some(url) = &wire.registry {
            // A registry may also be a local directory of distributions; the model keeps either
            // as the registry's location.
            Source::Registry {
                url: Some(owned(url)),
            }
        } else if let Some(git) = &wire.git {
            git_source(git)
        } else if let Some(url) = &wire.url {
            let url = match &wire.subdirectory {
                // The pip URL form, so the subdirectory is not lost.
                Some(subdirectory) => format!("{url}#subdirectory={subdirectory}"),
                None => owned(url),
            };
            Source::Url { url }
        } else if let Some(path) = &wire.path {
            Source::Path { path: owned(path) }
        } else if let Some(path) = &wire.directory {
            Source::Directory { path: owned(path) }
        } else if let Some(path) = &wire.editable {
            Source::Editable { path: owned(path) }
        } else if let Some(path) = &wire.virtual_path {
            Source::Virtual { path: owned(path) }
        } else {
            return Err(self.invalid(offset, "source has no kind"));
        };
        Ok(source)
    }
}

/// Counts newlines incrementally for offsets visited in increasing order, so package locations do
/// not need a line table of the whole file.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// 1-based line of `offset`; offsets before the previous one restart the count.
    fn line_of(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let end = offset.min(self.bytes.len());
        let skipped = self.bytes.get(self.offset..end).unwrap_or_default();
        self.line += skipped.iter().filter(|&&byte| byte == b'\n').count();
        self.offset = end;
        self.line
    }
}

/// Package indices by normalized name.
struct NameIndex {
    by_name: HashMap<String, Vec<PackageIndex>>,
}

impl NameIndex {
    fn new(packages: &[LockedPackage]) -> Self {
        let mut by_name: HashMap<String, Vec<PackageIndex>> =
            HashMap::with_capacity(packages.len());
        for (index, package) in packages.iter().enumerate() {
            by_name
                .entry(package.name.to_string())
                .or_default()
                .push(index);
        }
        Self { by_name }
    }

    fn get(&self, name: &str) -> &[PackageIndex] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }
}

fn source_kind_count(wire: &SourceWire<'_>) -> usize {
    [
        wire.registry.is_some(),
        wire.git.is_some(),
        wire.url.is_some(),
        wire.path.is_some(),
        wire.directory.is_some(),
        wire.editable.is_some(),
        wire.virtual_path.is_some(),
    ]
    .into_iter()
    .filter(|&present| present)
    .count()
}

/// `url?rev=…#commit`: the fragment is the resolved commit; without one, fall back to the
/// requested reference in the query.
fn git_source(raw: &str) -> Source {
    let (url, fragment) = match raw.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (raw, None),
    };
    let reference = fragment
        .filter(|fragment| !fragment.is_empty())
        .map(str::to_string)
        .or_else(|| {
            let (_, query) = url.split_once('?')?;
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                matches!(key, "rev" | "tag" | "branch").then(|| value.to_string())
            })
        });
    Source::Git {
        url: url.to_string(),
        reference,
    }
}

fn local_path(source: &Source) -> Option<&str> {
    match source {
        Source::Directory { path } | Source::Editable { path } | Source::Virtual { path } => {
            Some(path)
        }
        _ => None,
    }
}

fn is_local(source: &Source) -> bool {
    local_path(source).is_some()
}

fn is_project_at_root(source: &Source) -> bool {
    local_path(source).is_some_and(|path| matches!(path.trim_end_matches('/'), "." | "" | "./"))
}

/// Whether a locked package is what a manifest requirement's (unresolved) source asks for. Git
/// requirements name a reference, the lock the resolved commit, so only the repository is compared.
fn requirement_source_matches(wanted: &Source, locked: &Source) -> bool {
    if let (Some(wanted), Some(locked)) = (any_local_path(wanted), any_local_path(locked)) {
        // The requirement may say `directory` where the lock says `editable`; the tree is what
        // identifies the package.
        return normalize_relative(wanted) == normalize_relative(locked);
    }
    match (wanted, locked) {
        (Source::Git { url: wanted, .. }, Source::Git { url: locked, .. }) => {
            strip_query(wanted) == strip_query(locked)
        }
        _ => wanted == locked,
    }
}

fn any_local_path(source: &Source) -> Option<&str> {
    match source {
        Source::Path { path } => Some(path),
        _ => local_path(source),
    }
}

fn normalize_relative(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.strip_prefix("./").unwrap_or(path)
}

fn strip_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}

fn describe_source(source: &Source) -> String {
    match source {
        Source::Registry { url: Some(url) } => format!("registry `{url}`"),
        Source::Registry { url: None } => "a registry".to_string(),
        Source::Git { url, .. } => format!("git `{url}`"),
        Source::Url { url } => format!("url `{url}`"),
        Source::Path { path }
        | Source::Directory { path }
        | Source::Editable { path }
        | Source::Virtual { path } => format!("{} `{path}`", source.kind()),
    }
}

fn describe_target(
    name: &pep508_rs::PackageName,
    version: Option<&Version>,
    source: Option<&Source>,
) -> String {
    let mut what = format!("`{name}`");
    if let Some(version) = version {
        what.push_str(&format!(" version {version}"));
    }
    if let Some(source) = source {
        what.push_str(&format!(" from {}", describe_source(source)));
    }
    what
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_artifact_fast_path_reads_real_locks_exactly_like_the_toml_parser() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real");
        // The revision-5 locks written by uv 0.13 (`tests/data/uv-rev5/NOTICE.md`) too.
        let revision_5 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/uv-rev5");
        let mut compared = 0;
        let shared = std::fs::read_dir(&root).ok();
        if shared.is_none() {
            // Past the harness's capture of `eprintln!`, so the skip is seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: ../shared not present (its real uv.lock files)"
            );
        }
        let least = if shared.is_some() { 11 } else { 2 };
        let projects = shared
            .into_iter()
            .flatten()
            .chain(std::fs::read_dir(&revision_5).unwrap());
        for entry in projects.flatten() {
            for lock in [
                entry.path().join("uv.lock"),
                entry.path().join("server/uv.lock"),
            ] {
                let Ok(text) = std::fs::read_to_string(&lock) else {
                    continue;
                };
                let fast = super::parse_with(&lock, &text, true).unwrap();
                let slow = super::parse_with(&lock, &text, false).unwrap();
                let summary = |lockfile: &Lockfile| -> Vec<(String, usize, Option<usize>)> {
                    lockfile
                        .packages
                        .iter()
                        .map(|package| {
                            (
                                package.name.to_string(),
                                package.hashes,
                                package.location.as_ref().map(|location| location.line),
                            )
                        })
                        .collect()
                };
                assert_eq!(summary(&fast), summary(&slow), "{}", lock.display());
                compared += 1;
            }
        }
        assert!(compared >= least);
    }

    /// Errors found after the cut wheel blocks name the file's own line and column, as the TOML
    /// parser reading the whole file does.
    #[test]
    fn the_artifact_fast_path_reports_errors_where_the_toml_parser_does() {
        let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/uv-rev5/default/uv.lock");
        let text = std::fs::read_to_string(&lock).unwrap();
        let last_version = text.rfind("version = \"").unwrap();
        let last_wheels = text.rfind("wheels = [").unwrap();
        let mut broken = vec![
            // A value the reader refuses (after every wheel block but the last).
            format!(
                "{}version = \"not a version\"{}",
                &text[..last_version],
                &text[text[last_version..].find('\n').unwrap() + last_version..]
            ),
            // TOML syntax errors at the end and in the middle.
            format!("{text}\n[[package]\n"),
            format!(
                "{}garbage here\n{}",
                &text[..last_wheels],
                &text[last_wheels..]
            ),
        ];
        for cut in [text.len() / 3, text.len() / 2, 2 * text.len() / 3] {
            let cut = text.floor_char_boundary(cut);
            broken.push(text[..cut].to_owned());
        }
        for (case, broken) in broken.iter().enumerate() {
            let fast = super::parse_with(&lock, broken, true).map(|_| ());
            let slow = super::parse_with(&lock, broken, false).map(|_| ());
            assert_eq!(
                fast.map_err(|error| error.to_string()),
                slow.map_err(|error| error.to_string()),
                "case {case}"
            );
        }
    }

    use super::*;

    fn read(text: &str) -> Lockfile {
        match parse(Path::new("/work/project/uv.lock"), text) {
            Ok(lockfile) => lockfile,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    fn read_error(text: &str) -> String {
        match parse(Path::new("uv.lock"), text) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    fn find<'l>(lockfile: &'l Lockfile, name: &str, version: Option<&str>) -> &'l LockedPackage {
        lockfile
            .packages
            .iter()
            .find(|package| {
                package.name.as_ref() == name
                    && version.is_none_or(|wanted| {
                        package.version.as_ref().map(ToString::to_string).as_deref() == Some(wanted)
                    })
            })
            .unwrap_or_else(|| panic!("no package {name} {version:?}"))
    }

    fn index_of(lockfile: &Lockfile, name: &str, version: Option<&str>) -> PackageIndex {
        let wanted = find(lockfile, name, version);
        lockfile
            .packages
            .iter()
            .position(|package| std::ptr::eq(package, wanted))
            .unwrap()
    }

    const PROJECT: &str = r#"
[[package]]
name = "project"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "anyio" },
]
"#;

    fn with_project(header: &str, rest: &str) -> String {
        format!("{header}\n{PROJECT}\n{rest}")
    }

    #[test]
    fn reads_every_source_kind() {
        let lockfile = read(&with_project(
            "version = 1\nrevision = 3\nrequires-python = \">=3.12\"",
            r#"
[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "local-index"
version = "1.0.0"
source = { registry = "../wheelhouse" }

[[package]]
name = "from-git"
version = "0.2.0"
source = { git = "https://github.com/org/repo.git?rev=main#0123456789abcdef" }

[[package]]
name = "git-no-commit"
version = "0.2.0"
source = { git = "https://github.com/org/other.git?tag=v1" }

[[package]]
name = "from-url"
version = "1.0.0"
source = { url = "https://example.com/pkg-1.0.0.tar.gz" }

[[package]]
name = "from-url-subdirectory"
version = "1.0.0"
source = { url = "https://example.com/mono.zip", subdirectory = "python" }

[[package]]
name = "from-path"
version = "1.0.0"
source = { path = "dist/pkg-1.0.0-py3-none-any.whl" }

[[package]]
name = "from-directory"
version = "1.0.0"
source = { directory = "vendor/pkg" }

[[package]]
name = "tool"
version = "1.0.0"
source = { editable = "tools/tool" }

[[package]]
name = "virtual-member"
source = { virtual = "packages/virtual" }
"#,
        ));
        let source = |name: &str| find(&lockfile, name, None).source.clone();
        assert_eq!(
            source("anyio"),
            Source::Registry {
                url: Some("https://pypi.org/simple".to_string())
            }
        );
        assert_eq!(
            source("local-index"),
            Source::Registry {
                url: Some("../wheelhouse".to_string())
            }
        );
        assert_eq!(
            source("from-git"),
            Source::Git {
                url: "https://github.com/org/repo.git?rev=main".to_string(),
                reference: Some("0123456789abcdef".to_string()),
            }
        );
        assert_eq!(
            source("git-no-commit"),
            Source::Git {
                url: "https://github.com/org/other.git?tag=v1".to_string(),
                reference: Some("v1".to_string()),
            }
        );
        assert_eq!(
            source("from-url"),
            Source::Url {
                url: "https://example.com/pkg-1.0.0.tar.gz".to_string()
            }
        );
        assert_eq!(
            source("from-url-subdirectory"),
            Source::Url {
                url: "https://example.com/mono.zip#subdirectory=python".to_string()
            }
        );
        assert_eq!(
            source("from-path"),
            Source::Path {
                path: "dist/pkg-1.0.0-py3-none-any.whl".to_string()
            }
        );
        assert_eq!(
            source("from-directory"),
            Source::Directory {
                path: "vendor/pkg".to_string()
            }
        );
        assert_eq!(
            source("tool"),
            Source::Editable {
                path: "tools/tool".to_string()
            }
        );
        assert_eq!(
            source("virtual-member"),
            Source::Virtual {
                path: "packages/virtual".to_string()
            }
        );
        // Editable and virtual packages that are not the project are ordinary nodes.
        assert_eq!(find(&lockfile, "tool", None).role, PackageRole::Package);
        assert_eq!(lockfile.roots, vec![index_of(&lockfile, "project", None)]);
        assert_eq!(find(&lockfile, "project", None).role, PackageRole::Project);
        assert!(lockfile.warnings.is_empty());
    }

    #[test]
    fn package_without_version_is_kept() {
        let lockfile = read(
            r#"version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "Dynamic_Project"
source = { editable = "." }
"#,
        );
        let project = find(&lockfile, "dynamic-project", None);
        assert_eq!(project.version, None);
        assert_eq!(project.role, PackageRole::Project);
        assert_eq!(
            project.location.as_ref().map(|location| location.line),
            Some(5)
        );
    }

    #[test]
    fn forks_are_resolved_by_version_and_by_source() {
        let lockfile = read(&with_project(
            "version = 1\nrevision = 1\nrequires-python = \">=3.9\"",
            r#"
[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "numpy", version = "2.0.2", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.10'" },
    { name = "numpy", version = "2.2.2", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.10'" },
    { name = "torch", version = "2.7.0", source = { registry = "https://pypi.org/simple" }, marker = "sys_platform == 'darwin'" },
    { name = "torch", version = "2.7.0+cu128", source = { registry = "https://download.pytorch.org/whl/cu128" }, marker = "sys_platform == 'linux'" },
    { name = "triton", source = { registry = "https://download.pytorch.org/whl/cu128" } },
]

[[package]]
name = "numpy"
version = "2.0.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.2.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.7.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.7.0+cu128"
source = { registry = "https://download.pytorch.org/whl/cu128" }

[[package]]
name = "triton"
version = "3.3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "triton"
version = "3.3.0"
source = { registry = "https://download.pytorch.org/whl/cu128" }
"#,
        ));
        let anyio = find(&lockfile, "anyio", None);
        let targets: Vec<PackageIndex> = anyio
            .dependencies
            .iter()
            .map(|dependency| dependency.package)
            .collect();
        let triton_cuda = lockfile
            .packages
            .iter()
            .position(|package| {
                package.name.as_ref() == "triton"
                    && package.source
                        == Source::Registry {
                            url: Some("https://download.pytorch.org/whl/cu128".to_string()),
                        }
            })
            .unwrap();
        assert_eq!(
            targets,
            vec![
                index_of(&lockfile, "numpy", Some("2.0.2")),
                index_of(&lockfile, "numpy", Some("2.2.2")),
                index_of(&lockfile, "torch", Some("2.7.0")),
                index_of(&lockfile, "torch", Some("2.7.0+cu128")),
                triton_cuda,
            ]
        );
        assert_eq!(
            anyio.dependencies[0].marker.as_deref(),
            Some("python_full_version < '3.10'")
        );
    }

    #[test]
    fn extras_optional_dependencies_and_groups() {
        let lockfile = read(
            r#"version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "1.0.0"
source = { virtual = "." }
dependencies = [
    { name = "fastapi", extra = ["Standard", "all_things"] },
]

[package.optional-dependencies]
Postgres_Driver = [
    { name = "psycopg", extra = ["binary"], marker = "sys_platform == 'linux'" },
]

[package.dev-dependencies]
Lint = [
    { name = "ruff" },
]

[[package]]
name = "fastapi"
version = "0.115.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
standard = [
    { name = "uvicorn" },
]

[[package]]
name = "psycopg"
version = "3.2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "ruff"
version = "0.6.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "uvicorn"
version = "0.30.0"
source = { registry = "https://pypi.org/simple" }
"#,
        );
        let app = find(&lockfile, "app", None);
        assert_eq!(app.role, PackageRole::Project);
        assert_eq!(
            app.dependencies,
            vec![Dependency {
                package: index_of(&lockfile, "fastapi", None),
                extras: vec!["standard".to_string(), "all-things".to_string()],
                marker: None,
            }]
        );
        assert_eq!(
            app.optional_dependencies.get("postgres-driver"),
            Some(&vec![Dependency {
                package: index_of(&lockfile, "psycopg", None),
                extras: vec!["binary".to_string()],
                marker: Some("sys_platform == 'linux'".to_string()),
            }])
        );
        assert_eq!(
            app.dependency_groups
                .get("lint")
                .map(|edges| edges[0].package),
            Some(index_of(&lockfile, "ruff", None))
        );
        let fastapi = find(&lockfile, "fastapi", None);
        assert_eq!(
            fastapi.optional_dependencies["standard"][0].package,
            index_of(&lockfile, "uvicorn", None)
        );
    }

    #[test]
    fn manifest_members_are_the_roots() {
        let lockfile = read(
            r#"version = 1
revision = 3
requires-python = ">=3.10"

[manifest]
members = [
    "core",
    "Plugin_A",
]

[[package]]
name = "core"
version = "1.0.0"
source = { editable = "packages/core" }

[[package]]
name = "helper"
version = "1.0.0"
source = { editable = "tools/helper" }

[[package]]
name = "plugin-a"
source = { virtual = "packages/plugin-a" }
dependencies = [
    { name = "core" },
    { name = "helper" },
]
"#,
        );
        assert_eq!(
            lockfile.roots,
            vec![
                index_of(&lockfile, "core", None),
                index_of(&lockfile, "plugin-a", None)
            ]
        );
        assert_eq!(find(&lockfile, "helper", None).role, PackageRole::Package);
        assert_eq!(find(&lockfile, "plugin-a", None).role, PackageRole::Project);
    }

    #[test]
    fn non_project_root_gets_a_synthetic_node() {
        let lockfile = read(
            r#"version = 1
revision = 3
requires-python = ">=3.12"

[manifest]
members = ["app"]
requirements = [{ name = "click", specifier = ">=8" }]

[manifest.dependency-groups]
Dev = [
    { name = "numpy", specifier = ">=2.1" },
    { name = "typer", extras = ["all"], marker = "python_version >= '3.12'" },
]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "backend" }

[[package]]
name = "click"
version = "8.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.2.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "typer"
version = "0.12.0"
source = { registry = "https://pypi.org/simple" }
"#,
        );
        let synthetic = lockfile.packages.len() - 1;
        assert_eq!(
            lockfile.roots,
            vec![index_of(&lockfile, "app", None), synthetic]
        );
        let root = &lockfile.packages[synthetic];
        assert_eq!(root.role, PackageRole::Synthetic);
        assert_eq!(root.name.as_ref(), "project");
        assert_eq!(root.version, None);
        assert_eq!(
            root.source,
            Source::Virtual {
                path: ".".to_string()
            }
        );
        assert_eq!(
            root.dependencies[0].package,
            index_of(&lockfile, "click", None)
        );
        assert_eq!(
            root.dependency_groups["dev"],
            vec![
                Dependency {
                    package: index_of(&lockfile, "numpy", Some("2.2.2")),
                    extras: Vec::new(),
                    marker: None,
                },
                Dependency {
                    package: index_of(&lockfile, "typer", None),
                    extras: vec!["all".to_string()],
                    marker: Some("python_version >= '3.12'".to_string()),
                },
            ]
        );
    }

    #[test]
    fn manifest_requirements_match_sources_and_survive_overrides() {
        let lockfile = read(
            r#"version = 1
revision = 3

[manifest]
overrides = [{ name = "pytest", specifier = "==8.1.0" }]

[manifest.dependency-groups]
dev = [
    { name = "pytest", specifier = "==8.0.0" },
    { name = "tool", directory = "tools/tool/" },
    { name = "lib", git = "https://github.com/org/lib?rev=main" },
    { name = "numpy", index = "https://download.pytorch.org/whl/cu128" },
]

[[package]]
name = "pytest"
version = "8.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "1.0.0"
source = { editable = "tools/tool" }

[[package]]
name = "lib"
version = "0.1.0"
source = { git = "https://github.com/org/lib?rev=main#abc123" }

[[package]]
name = "numpy"
version = "2.2.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.2.2+cu128"
source = { registry = "https://download.pytorch.org/whl/cu128" }
"#,
        );
        let root = &lockfile.packages[lockfile.roots[0]];
        let targets: Vec<PackageIndex> = root.dependency_groups["dev"]
            .iter()
            .map(|dependency| dependency.package)
            .collect();
        assert_eq!(
            targets,
            vec![
                index_of(&lockfile, "pytest", None),
                index_of(&lockfile, "tool", None),
                index_of(&lockfile, "lib", None),
                index_of(&lockfile, "numpy", Some("2.2.2+cu128")),
            ]
        );
        assert_eq!(lockfile.warnings.len(), 1);
        assert!(
            lockfile.warnings[0]
                .message
                .contains("requirement `pytest==8.0.0` admits none"),
            "{}",
            lockfile.warnings[0]
        );
    }

    #[test]
    fn manifest_requirement_on_a_missing_package_is_an_error() {
        let error = read_error(
            "version = 1\n[manifest.dependency-groups]\ndev = [\n    { name = \"ruff\" },\n]\n",
        );
        assert_eq!(
            error,
            "uv.lock:4:5: requirement `ruff` has no `[[package]]` entry in the lock"
        );
    }

    #[test]
    fn synthetic_root_falls_back_to_a_fixed_name() {
        let lockfile = parse(
            Path::new("/not a package name!/uv.lock"),
            "version = 1\n[manifest]\nrequirements = []\n[manifest.dependency-groups]\ndev = []\n",
        )
        .unwrap();
        assert_eq!(lockfile.packages[0].name.as_ref(), "workspace-root");
        assert_eq!(lockfile.roots, vec![0]);
    }

    #[test]
    fn every_revision_is_read() {
        for header in [
            "version = 1",
            "version = 1\nrevision = 1",
            "version = 1\nrevision = 2",
            "version = 1\nrevision = 3",
            "version = 1\nrevision = 4",
            "version = 1\nrevision = 5",
        ] {
            let lockfile = read(&with_project(
                header,
                "[[package]]\nname = \"anyio\"\nversion = \"4.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
            ));
            assert_eq!(lockfile.packages.len(), 2, "{header}");
            assert!(lockfile.warnings.is_empty(), "{header}");
        }
    }

    #[test]
    fn newer_revision_is_read_with_a_warning() {
        let lockfile = read(
            "version = 1\nrevision = 9\n\n[[package]]\nname = \"p\"\nsource = { virtual = \".\" }\n",
        );
        assert_eq!(lockfile.warnings.len(), 1);
        assert!(
            lockfile.warnings[0]
                .message
                .contains("revision 9 is newer than the newest pyaudit knows (5)"),
            "{}",
            lockfile.warnings[0].message
        );
        assert_eq!(
            lockfile.warnings[0]
                .location
                .as_ref()
                .map(|location| location.line),
            Some(2)
        );
    }

    #[test]
    fn old_distribution_tables_are_read() {
        let lockfile = read(
            "version = 1\n\n[[distribution]]\nname = \"p\"\nversion = \"1.0\"\nsource = { editable = \".\" }\n",
        );
        assert_eq!(lockfile.roots, vec![0]);
    }

    #[test]
    fn unsupported_version_names_its_line() {
        let text = "# comment\nrequires-python = \">=3.10\"\nversion = 2\nrevision = 1\n";
        assert_eq!(
            read_error(text),
            "uv.lock:3:11: unsupported uv.lock version 2; pyaudit reads version 1"
        );
    }

    #[test]
    fn missing_or_mistyped_version_is_an_error() {
        assert_eq!(
            read_error("requires-python = \">=3.10\"\n"),
            "uv.lock:1:1: missing top-level `version` key; a uv.lock starts with `version = 1`"
        );
        assert_eq!(
            read_error("version = \"1\"\n"),
            "uv.lock:1:11: `version` must be an integer"
        );
    }

    #[test]
    fn dependency_on_a_missing_package_names_its_line() {
        let text = with_project("version = 1\nrevision = 3", "");
        let error = read_error(&text);
        let line = text
            .lines()
            .position(|line| line.contains("{ name = \"anyio\" }"))
            .unwrap()
            + 1;
        assert_eq!(
            error,
            format!(
                "uv.lock:{line}:5: dependency on `anyio`, which has no `[[package]]` entry in \
                 the lock"
            )
        );
    }

    #[test]
    fn ambiguous_or_mismatched_dependency_is_an_error() {
        let packages = r#"
[[package]]
name = "anyio"
version = "3.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }
"#;
        let error = read_error(&with_project("version = 1", packages));
        assert!(
            error.contains("dependency on `anyio` is ambiguous"),
            "{error}"
        );
        assert!(error.contains("3.0.0 from registry"), "{error}");

        let text = with_project("version = 1", packages).replace(
            "{ name = \"anyio\" }",
            "{ name = \"anyio\", version = \"5.0.0\" }",
        );
        let error = read_error(&text);
        assert!(
            error.contains("dependency on `anyio` version 5.0.0 matches none of the 2 locked"),
            "{error}"
        );
    }

    #[test]
    fn missing_workspace_member_is_an_error() {
        let error = read_error(
            "version = 1\n[manifest]\nmembers = [\"a\", \"b\"]\n\n[[package]]\nname = \"a\"\nsource = { editable = \"a\" }\n",
        );
        assert_eq!(
            error,
            "uv.lock:3:17: workspace member `b` has no `[[package]]` entry"
        );
    }

    #[test]
    fn wrong_shapes_are_errors_with_positions() {
        let error =
            read_error("version = 1\n\n[[package]]\nname = 3\nsource = { editable = \".\" }\n");
        assert!(
            error.starts_with("uv.lock:4:8: not a valid uv.lock: invalid type"),
            "{error}"
        );

        let error = read_error("version = 1\n\n[[package]]\nname = \"p\"\n");
        assert!(
            error.starts_with("uv.lock:3:1: not a valid uv.lock: missing field `source`"),
            "{error}"
        );

        let error = read_error(
            "version = 1\n\n[[package]]\nname = \"p\"\nsource = { editable = \".\", git = \"https://x\" }\n",
        );
        assert!(
            error.starts_with("uv.lock:5:10: expected a source with exactly one of"),
            "{error}"
        );

        let error = read_error(
            "version = 1\n\n[[package]]\nname = \"p\"\nversion = \"not a version\"\nsource = { editable = \".\" }\n",
        );
        assert!(
            error.starts_with("uv.lock:5:11: invalid version `not a version`"),
            "{error}"
        );

        let error = read_error("version = 1\npackage = 3\n");
        assert!(
            error.starts_with("uv.lock:2:11: not a valid uv.lock"),
            "{error}"
        );
    }

    #[test]
    fn unknown_fields_are_tolerated() {
        let lockfile = read(
            r#"version = 1
revision = 3
requires-python = ">=3.10"
future-top-level = { anything = [1, 2] }

[options]
exclude-newer = "2024-01-01T00:00:00Z"

[[package]]
name = "p"
version = "1.0"
source = { editable = ".", future-key = true }
future-package-key = "x"
dependencies = [{ name = "q", future-edge-key = 1 }]

[package.metadata]
requires-dist = [{ name = "q" }]

[[package]]
name = "q"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://example.com/q-2.0.tar.gz", hash = "sha256:00", size = 10, upload-time = "2024-01-01T00:00:00Z" }
wheels = [
    { url = "https://example.com/q-2.0-py3-none-any.whl", hash = "sha256:11", size = 5 },
    { url = "https://example.com/q-2.0-cp312-none-any.whl", hash = "sha256:22", size = 5 },
    { url = "https://example.com/q-2.0-cp313-none-any.whl", size = 5 },
]
"#,
        );
        assert_eq!(find(&lockfile, "q", None).hashes, 3);
        assert_eq!(find(&lockfile, "p", None).hashes, 0);
        assert_eq!(
            find(&lockfile, "q", None)
                .location
                .as_ref()
                .map(|location| location.line),
            Some(19)
        );
    }

    #[test]
    fn truncated_file_is_a_syntax_error() {
        let error =
            read_error("version = 1\n\n[[package]]\nname = \"p\"\nsource = { editable = \".\"");
        assert!(error.starts_with("uv.lock:5:"), "{error}");
        assert!(error.contains("invalid TOML"), "{error}");
    }

    #[test]
    fn every_prefix_of_a_lock_reads_or_fails_cleanly() {
        let text = with_project(
            "version = 1\nrevision = 3\nrequires-python = \">=3.12\"\n\n[manifest]\nmembers = [\"project\"]",
            r#"
[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://example.com/anyio.tar.gz", hash = "sha256:00" }

[package.optional-dependencies]
trio = [{ name = "anyio", extra = ["x"] }]
"#,
        );
        for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
            let _ = parse(Path::new("uv.lock"), &text[..end]);
        }
        assert!(parse(Path::new("uv.lock"), &text).is_ok());
    }
}
