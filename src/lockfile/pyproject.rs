//! pyproject.toml: the project's name and version and the dependencies it declares — PEP 621
//! `[project]` (PEP 508 requirement strings), PEP 735 `[dependency-groups]`, and Poetry's
//! `[tool.poetry]` tables (dependencies, extras, groups, the legacy `dev-dependencies`).
//!
//! This is plain data with file locations; deciding what is installed is the lock reader's and the
//! graph's job. Poetry constraints are kept as written (see
//! [`super::poetry_constraint::poetry_constraint_to_pep440`] to compare them with versions).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName, Requirement, VersionOrUrl};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use super::{
    Diagnostic, LineIndex, Location, LockfileError, decode_utf8, normalize_extra, package_name,
};

/// What a `pyproject.toml` declares.
#[derive(Debug, Clone)]
pub struct Pyproject {
    pub path: PathBuf,
    /// The project name as written (`[project] name`, else `[tool.poetry] name`).
    pub name: Option<String>,
    /// The static project version (`[project] version`, else `[tool.poetry] version`, which Poetry
    /// also uses when `[project]` lists `version` as dynamic).
    pub version: Option<Version>,
    /// Where the project table starts (`[project]` or `[tool.poetry]`).
    pub location: Option<Location>,
    /// `[project] requires-python`, or the `python` entry of `[tool.poetry.dependencies]`.
    pub requires_python: Option<PythonRequirement>,
    /// Whether the file has a `[tool.poetry]` table.
    pub is_poetry: bool,
    /// The main dependencies that are always installed (optional Poetry dependencies excluded).
    pub dependencies: Vec<DeclaredDependency>,
    /// Extras: PEP 621 `optional-dependencies`, or `[tool.poetry.extras]` resolved to the optional
    /// Poetry dependencies they name. Keys are PEP 685 normalized.
    pub optional_dependencies: BTreeMap<String, Vec<DeclaredDependency>>,
    /// Optional Poetry dependencies that no extra names: declared, locked by Poetry, never installed.
    pub unlisted_optional_dependencies: Vec<DeclaredDependency>,
    /// PEP 735 groups and Poetry groups (`dev-dependencies` is group `dev`), includes resolved.
    /// Keys are PEP 685 normalized.
    pub dependency_groups: BTreeMap<String, DependencyGroup>,
    /// Things that look wrong but do not stop the read.
    pub warnings: Vec<Diagnostic>,
}

/// The Python versions a project supports, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonRequirement {
    pub constraint: String,
    pub syntax: ConstraintSyntax,
}

/// One dependency declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredDependency {
    pub name: PackageName,
    /// The version constraint as written, `None` for "any version" or a direct reference.
    pub constraint: Option<String>,
    pub syntax: ConstraintSyntax,
    /// Extras asked of the dependency, PEP 685 normalized.
    pub extras: Vec<String>,
    /// The PEP 508 marker guarding it; for Poetry tables, `markers`, `python` and `platform`
    /// combined.
    pub marker: Option<String>,
    /// Poetry's `optional = true` (only installed through an extra).
    pub optional: bool,
    pub source: DeclaredSource,
    pub location: Location,
}

/// How a constraint is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintSyntax {
    /// PEP 440 specifiers (`>=1.0,<2`).
    Pep440,
    /// Poetry constraints (`^1.0`, `~1.2`, `>=1,<2 || >3`).
    Poetry,
}

/// Where a declared dependency should come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredSource {
    /// A package index; `index` names a Poetry source (`source = "pytorch"`).
    Registry {
        index: Option<String>,
    },
    Git {
        url: String,
        reference: Option<String>,
        subdirectory: Option<String>,
    },
    Url {
        url: String,
        subdirectory: Option<String>,
    },
    Path {
        path: String,
        editable: bool,
    },
}

/// One dependency group, with the groups it includes already merged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyGroup {
    /// The group name as first written.
    pub name: String,
    /// Poetry's `optional = true` (not installed unless asked for); still a group.
    pub optional: bool,
    pub dependencies: Vec<DeclaredDependency>,
    pub location: Location,
}

impl fmt::Display for DeclaredDependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.extras.is_empty() {
            write!(f, "[{}]", self.extras.join(","))?;
        }
        if let Some(constraint) = &self.constraint {
            write!(f, " ({constraint})")?;
        }
        Ok(())
    }
}

/// Read `pyproject.toml` from disk.
pub fn read(path: &Path) -> Result<Pyproject, LockfileError> {
    let bytes = crate::input::read(path, crate::input::LOCKFILE_BYTES)
        .map_err(|source| LockfileError::io(path, source))?;
    let text = decode_utf8(path, &bytes)?;
    parse(path, text)
}

/// Parse `pyproject.toml` text read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Pyproject, LockfileError> {
    let index = LineIndex::new(text);
    let wire: WirePyproject = deserialize_toml(path, &index, parse_toml(path, &index, text)?)?;
    Reader {
        path,
        index: &index,
        warnings: Vec::new(),
    }
    .convert(wire)
}

// ---------------------------------------------------------------------------------------------
// TOML helpers shared with the poetry.lock reader.

/// Parse TOML syntax; a syntax error names file, line and column.
pub(crate) fn parse_toml<'text>(
    path: &Path,
    index: &LineIndex,
    text: &'text str,
) -> Result<Spanned<toml::de::DeTable<'text>>, LockfileError> {
    toml::de::DeTable::parse(text).map_err(|error| LockfileError::Syntax {
        location: error_location(path, index, &error),
        message: format!("invalid TOML: {}", error.message().trim_end()),
    })
}

/// Turn a parsed TOML document into wire types; a value of the wrong type names where it is.
pub(crate) fn deserialize_toml<'text, T: Deserialize<'text>>(
    path: &Path,
    index: &LineIndex,
    table: Spanned<toml::de::DeTable<'text>>,
) -> Result<T, LockfileError> {
    T::deserialize(toml::de::Deserializer::from(table)).map_err(|error| LockfileError::Invalid {
        location: error_location(path, index, &error),
        message: error.message().trim_end().to_string(),
    })
}

fn error_location(path: &Path, index: &LineIndex, error: &toml::de::Error) -> Location {
    match error.span() {
        Some(span) => index.location(path, span.start),
        None => Location::new(path, 1),
    }
}

/// Map entries in file order (serde hands them over sorted by key).
pub(crate) fn in_file_order<V>(map: BTreeMap<Spanned<String>, V>) -> Vec<(Spanned<String>, V)> {
    let mut entries: Vec<_> = map.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

// ---------------------------------------------------------------------------------------------
// Wire types: private mirrors of the file. Unknown keys are ignored.

#[derive(Deserialize, Default)]
struct WirePyproject {
    project: Option<Spanned<WireProject>>,
    tool: Option<WireTool>,
    #[serde(rename = "dependency-groups")]
    dependency_groups: Option<BTreeMap<Spanned<String>, Spanned<WireGroupEntries>>>,
}

type WireGroupEntries = Vec<Spanned<WireGroupEntry>>;

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct WireProject {
    name: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    #[serde(default)]
    dynamic: Vec<String>,
    requires_python: Option<String>,
    dependencies: Option<Vec<Spanned<String>>>,
    optional_dependencies: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
}

#[derive(Deserialize, Default)]
struct WireTool {
    poetry: Option<Spanned<WirePoetry>>,
}

type WirePoetryDependencies = BTreeMap<Spanned<String>, Spanned<WirePoetryDependency>>;

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct WirePoetry {
    name: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    dependencies: Option<WirePoetryDependencies>,
    dev_dependencies: Option<WirePoetryDependencies>,
    extras: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    group: Option<BTreeMap<Spanned<String>, Spanned<WirePoetryGroup>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct WirePoetryGroup {
    #[serde(default)]
    optional: bool,
    dependencies: Option<WirePoetryDependencies>,
    include_groups: Option<Vec<Spanned<String>>>,
}

/// A PEP 735 group entry: a requirement string or `{include-group = "name"}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum WireGroupEntry {
    Requirement(String),
    Include {
        #[serde(rename = "include-group")]
        include_group: String,
    },
}

/// A Poetry dependency value, in `pyproject.toml` and in `poetry.lock` alike: a constraint string,
/// a table, or an array of tables (one per marker-separated constraint).
#[derive(Debug, Clone)]
pub(crate) enum WirePoetryDependency {
    Constraint(String),
    Table(Box<WirePoetryDependencyTable>),
    Many(Vec<WirePoetryDependencyTable>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WirePoetryDependencyTable {
    pub version: Option<String>,
    pub markers: Option<String>,
    pub python: Option<String>,
    pub platform: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub extras: Vec<String>,
    pub git: Option<String>,
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub rev: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub subdirectory: Option<String>,
    pub develop: Option<bool>,
    pub source: Option<String>,
}

impl WirePoetryDependency {
    /// Every constraint of the value as a table (a bare string is `{version = "..."}`).
    pub(crate) fn into_tables(self) -> Vec<WirePoetryDependencyTable> {
        match self {
            WirePoetryDependency::Constraint(version) => vec![WirePoetryDependencyTable {
                version: Some(version),
                ..WirePoetryDependencyTable::default()
            }],
            WirePoetryDependency::Table(table) => vec![*table],
            WirePoetryDependency::Many(tables) => tables,
        }
    }
}

// Written by hand rather than `#[serde(untagged)]` so that a wrong type inside a table is reported
// with its own message and position instead of "data did not match any variant".
impl<'de> Deserialize<'de> for WirePoetryDependency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DependencyVisitor;

        impl<'de> Visitor<'de> for DependencyVisitor {
            type Value = WirePoetryDependency;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a version constraint, a table, or an array of tables")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(WirePoetryDependency::Constraint(value.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                WirePoetryDependencyTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|table| WirePoetryDependency::Table(Box::new(table)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, sequence: A) -> Result<Self::Value, A::Error> {
                Vec::<WirePoetryDependencyTable>::deserialize(
                    de::value::SeqAccessDeserializer::new(sequence),
                )
                .map(WirePoetryDependency::Many)
            }
        }

        deserializer.deserialize_any(DependencyVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion.

struct Reader<'a> {
    path: &'a Path,
    index: &'a LineIndex,
    warnings: Vec<Diagnostic>,
}

/// A group before its includes are resolved.
struct RawGroup {
    name: String,
    optional: bool,
    location: Location,
    dependencies: Vec<DeclaredDependency>,
    /// Included groups (normalized name, where the include is written).
    includes: Vec<(String, Location)>,
}

impl Reader<'_> {
    fn location(&self, offset: usize) -> Location {
        self.index.location(self.path, offset)
    }

    fn warn(&mut self, location: Location, message: String) {
        self.warnings.push(Diagnostic {
            location: Some(location),
            message,
        });
    }

    fn convert(mut self, wire: WirePyproject) -> Result<Pyproject, LockfileError> {
        let project = wire.project.map(|project| {
            let location = self.location(project.span().start);
            (project.into_inner(), location)
        });
        let poetry = wire.tool.and_then(|tool| tool.poetry).map(|poetry| {
            let location = self.location(poetry.span().start);
            (poetry.into_inner(), location)
        });

        let name = project
            .as_ref()
            .and_then(|(project, _)| project.name.as_ref())
            .or_else(|| poetry.as_ref().and_then(|(poetry, _)| poetry.name.as_ref()))
            .map(|name| name.get_ref().clone());
        let version = self.project_version(project.as_ref(), poetry.as_ref())?;
        let location = project
            .as_ref()
            .map(|(_, location)| location.clone())
            .or_else(|| poetry.as_ref().map(|(_, location)| location.clone()));

        let mut pyproject = Pyproject {
            path: self.path.to_path_buf(),
            name,
            version,
            location,
            requires_python: None,
            is_poetry: poetry.is_some(),
            dependencies: Vec::new(),
            optional_dependencies: BTreeMap::new(),
            unlisted_optional_dependencies: Vec::new(),
            dependency_groups: BTreeMap::new(),
            warnings: Vec::new(),
        };

        let (project, poetry) = (
            project.map(|(project, _)| project),
            poetry.map(|(poetry, _)| poetry),
        );
        let mut poetry = poetry.unwrap_or_default();
        let mut groups: Vec<RawGroup> = Vec::new();

        // Poetry's main dependencies, split into required and optional.
        let mut poetry_main = Vec::new();
        let mut poetry_python = None;
        if let Some(dependencies) = poetry.dependencies.take() {
            for (key, value) in in_file_order(dependencies) {
                if key.get_ref().eq_ignore_ascii_case("python") {
                    if let WirePoetryDependency::Constraint(constraint) = value.into_inner() {
                        poetry_python = Some(constraint);
                    }
                    continue;
                }
                poetry_main.extend(self.poetry_dependency(&key, value)?);
            }
        }

        let project_dependencies = project.as_ref().and_then(|project| {
            if project.dynamic.iter().any(|field| field == "dependencies") {
                None
            } else {
                project.dependencies.as_ref()
            }
        });

        // Without `[project] dependencies` (or with them dynamic), Poetry's own table is the main
        // group; its optional entries are reached through `[tool.poetry.extras]` only.
        if let Some(requirements) = project_dependencies {
            // Poetry 2: with `[project] dependencies`, `[tool.poetry.dependencies]` only adds
            // details (source, develop) to dependencies declared there; others are ignored.
            for requirement in requirements {
                let mut dependency = self.pep508_dependency(requirement)?;
                if let Some(enriching) = poetry_main
                    .iter()
                    .find(|poetry_dependency| poetry_dependency.name == dependency.name)
                    && dependency.source == (DeclaredSource::Registry { index: None })
                {
                    dependency.source = enriching.source.clone();
                }
                pyproject.dependencies.push(dependency);
            }
            let declared: BTreeSet<&PackageName> = pyproject
                .dependencies
                .iter()
                .map(|dependency| &dependency.name)
                .collect();
            let ignored: Vec<(Location, String)> = poetry_main
                .iter()
                .filter(|dependency| !declared.contains(&dependency.name))
                .map(|dependency| (dependency.location.clone(), dependency.name.to_string()))
                .collect();
            for (location, name) in ignored {
                self.warn(
                    location,
                    format!(
                        "`{name}` is in [tool.poetry.dependencies] but not in [project] \
                         dependencies; Poetry ignores it"
                    ),
                );
            }
            poetry_main.clear();
        }

        if let Some(project) = &project {
            if let Some(extras) = &project.optional_dependencies {
                for (extra, requirements) in in_file_order(extras.clone()) {
                    let mut dependencies = Vec::new();
                    for requirement in &requirements {
                        dependencies.push(self.pep508_dependency(requirement)?);
                    }
                    pyproject
                        .optional_dependencies
                        .entry(normalize_extra(extra.get_ref()))
                        .or_default()
                        .extend(dependencies);
                }
            }
            if let Some(requires_python) = &project.requires_python {
                pyproject.requires_python = Some(PythonRequirement {
                    constraint: requires_python.clone(),
                    syntax: ConstraintSyntax::Pep440,
                });
            }
        }
        if pyproject.requires_python.is_none() {
            pyproject.requires_python = poetry_python.map(|constraint| PythonRequirement {
                constraint,
                syntax: ConstraintSyntax::Poetry,
            });
        }

        // Poetry main dependencies (when `[project]` does not declare them).
        let (optional, required): (Vec<_>, Vec<_>) = poetry_main
            .into_iter()
            .partition(|dependency| dependency.optional);
        pyproject.dependencies.extend(required);
        let mut listed_optional: BTreeSet<PackageName> = BTreeSet::new();
        if let Some(extras) = poetry.extras.take() {
            for (extra, names) in in_file_order(extras) {
                let entry = pyproject
                    .optional_dependencies
                    .entry(normalize_extra(extra.get_ref()))
                    .or_default();
                for listed in names {
                    let found: Vec<&DeclaredDependency> = match package_name(listed.get_ref()) {
                        Ok(name) => optional
                            .iter()
                            .filter(|dependency| dependency.name == name)
                            .collect(),
                        Err(_) => Vec::new(),
                    };
                    if found.is_empty() {
                        let location = self.location(listed.span().start);
                        self.warnings.push(Diagnostic {
                            location: Some(location),
                            message: format!(
                                "extra `{}` names `{}`, which is not an optional dependency in \
                                 [tool.poetry.dependencies]",
                                extra.get_ref(),
                                listed.get_ref()
                            ),
                        });
                    }
                    for dependency in found {
                        listed_optional.insert(dependency.name.clone());
                        entry.push(dependency.clone());
                    }
                }
            }
        }
        pyproject.unlisted_optional_dependencies = optional
            .into_iter()
            .filter(|dependency| !listed_optional.contains(&dependency.name))
            .collect();

        // Poetry groups; the legacy `dev-dependencies` table is group `dev`.
        if let Some(dependencies) = poetry.dev_dependencies.take() {
            let mut group_dependencies = Vec::new();
            let mut first = None;
            for (key, value) in in_file_order(dependencies) {
                first.get_or_insert(key.span().start);
                group_dependencies.extend(self.poetry_dependency(&key, value)?);
            }
            let location = self.location(first.unwrap_or(0));
            groups.push(RawGroup {
                name: "dev".to_string(),
                optional: false,
                location,
                dependencies: group_dependencies,
                includes: Vec::new(),
            });
        }
        if let Some(poetry_groups) = poetry.group.take() {
            for (name, group) in in_file_order(poetry_groups) {
                let location = self.location(name.span().start);
                let group = group.into_inner();
                let mut dependencies = Vec::new();
                for (key, value) in in_file_order(group.dependencies.unwrap_or_default()) {
                    dependencies.extend(self.poetry_dependency(&key, value)?);
                }
                let includes = group
                    .include_groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(|include| {
                        (
                            normalize_extra(include.get_ref()),
                            self.location(include.span().start),
                        )
                    })
                    .collect();
                groups.push(RawGroup {
                    name: name.into_inner(),
                    optional: group.optional,
                    location,
                    dependencies,
                    includes,
                });
            }
        }

        // PEP 735 groups.
        if let Some(dependency_groups) = wire.dependency_groups {
            for (name, entries) in in_file_order(dependency_groups) {
                let location = self.location(name.span().start);
                let mut dependencies = Vec::new();
                let mut includes = Vec::new();
                for entry in entries.into_inner() {
                    let entry_location = self.location(entry.span().start);
                    match entry.into_inner() {
                        WireGroupEntry::Requirement(requirement) => {
                            dependencies.push(self.pep508_text(&requirement, entry_location)?);
                        }
                        WireGroupEntry::Include { include_group } => {
                            includes.push((normalize_extra(&include_group), entry_location));
                        }
                    }
                }
                groups.push(RawGroup {
                    name: name.into_inner(),
                    optional: false,
                    location,
                    dependencies,
                    includes,
                });
            }
        }

        pyproject.dependency_groups = resolve_groups(groups)?;
        pyproject.warnings = self.warnings;
        Ok(pyproject)
    }

    fn project_version(
        &mut self,
        project: Option<&(WireProject, Location)>,
        poetry: Option<&(WirePoetry, Location)>,
    ) -> Result<Option<Version>, LockfileError> {
        let written = project
            .and_then(|(project, _)| project.version.as_ref())
            .or_else(|| poetry.and_then(|(poetry, _)| poetry.version.as_ref()));
        let Some(written) = written else {
            return Ok(None);
        };
        match super::version(written.get_ref()) {
            Ok(version) => Ok(Some(version)),
            Err(message) => {
                // A version a build backend computes or rewrites (`0.0.0`, placeholders) is not
                // worth failing the read over: the root node just has no version.
                let location = self.location(written.span().start);
                self.warn(location, message);
                Ok(None)
            }
        }
    }

    fn pep508_dependency(
        &mut self,
        requirement: &Spanned<String>,
    ) -> Result<DeclaredDependency, LockfileError> {
        let location = self.location(requirement.span().start);
        self.pep508_text(requirement.get_ref(), location)
    }

    fn pep508_text(
        &mut self,
        text: &str,
        location: Location,
    ) -> Result<DeclaredDependency, LockfileError> {
        parse_pep508(text, location.clone())
            .map_err(|message| LockfileError::Invalid { location, message })
    }

    fn poetry_dependency(
        &mut self,
        key: &Spanned<String>,
        value: Spanned<WirePoetryDependency>,
    ) -> Result<Vec<DeclaredDependency>, LockfileError> {
        let location = self.location(key.span().start);
        let name = package_name(key.get_ref()).map_err(|message| LockfileError::Invalid {
            location: location.clone(),
            message,
        })?;
        Ok(value
            .into_inner()
            .into_tables()
            .into_iter()
            .map(|table| poetry_table_dependency(name.clone(), table, location.clone()))
            .collect())
    }
}

/// Parse one PEP 508 requirement string into a declared dependency.
pub fn parse_pep508(text: &str, location: Location) -> Result<DeclaredDependency, String> {
    let requirement = super::refuse_panicking_name::<pep508_rs::VerbatimUrl>(text)
        .and_then(|()| Requirement::<pep508_rs::VerbatimUrl>::from_str(text))
        .map_err(|error| format!("invalid requirement `{text}`: {error}"))?;
    let (constraint, source) = match &requirement.version_or_url {
        None => (None, DeclaredSource::Registry { index: None }),
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let written = specifiers.to_string();
            (
                (!written.is_empty()).then_some(written),
                DeclaredSource::Registry { index: None },
            )
        }
        Some(VersionOrUrl::Url(url)) => {
            let written = url.given().map_or_else(|| url.to_string(), str::to_string);
            (None, source_from_url(&written))
        }
    };
    Ok(DeclaredDependency {
        name: requirement.name.clone(),
        constraint,
        syntax: ConstraintSyntax::Pep440,
        extras: requirement
            .extras
            .iter()
            .map(|extra| normalize_extra(extra.as_ref()))
            .collect(),
        marker: requirement.marker.try_to_string(),
        optional: false,
        source,
        location,
    })
}

/// Classify a PEP 508 direct reference (`git+https://…@rev#subdirectory=x`, `file:…`, `https://…`).
fn source_from_url(url: &str) -> DeclaredSource {
    let (without_fragment, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let subdirectory = fragment.and_then(|fragment| {
        fragment
            .split('&')
            .find_map(|part| part.strip_prefix("subdirectory="))
            .map(str::to_string)
    });
    if let Some(git) = without_fragment.strip_prefix("git+") {
        // The reference follows the last `@` of the path (not the `user@` of the authority).
        let path_start = git.find("://").map_or(0, |index| index + 3);
        let path_start = git[path_start..]
            .find('/')
            .map_or(git.len(), |index| path_start + index);
        return match git[path_start..].rfind('@') {
            Some(at) => DeclaredSource::Git {
                url: git[..path_start + at].to_string(),
                reference: Some(git[path_start + at + 1..].to_string()),
                subdirectory,
            },
            None => DeclaredSource::Git {
                url: git.to_string(),
                reference: None,
                subdirectory,
            },
        };
    }
    if let Some(path) = without_fragment.strip_prefix("file://") {
        return DeclaredSource::Path {
            path: path.to_string(),
            editable: false,
        };
    }
    DeclaredSource::Url {
        url: without_fragment.to_string(),
        subdirectory,
    }
}

/// A Poetry dependency table as a declared dependency.
pub(crate) fn poetry_table_dependency(
    name: PackageName,
    table: WirePoetryDependencyTable,
    location: Location,
) -> DeclaredDependency {
    let source = if let Some(url) = table.git {
        DeclaredSource::Git {
            url,
            reference: table.rev.or(table.tag).or(table.branch),
            subdirectory: table.subdirectory,
        }
    } else if let Some(url) = table.url {
        DeclaredSource::Url {
            url,
            subdirectory: table.subdirectory,
        }
    } else if let Some(path) = table.path {
        DeclaredSource::Path {
            path,
            editable: table.develop.unwrap_or(false),
        }
    } else {
        DeclaredSource::Registry {
            index: table.source,
        }
    };
    let constraint = table
        .version
        .map(|version| version.trim().to_string())
        .filter(|version| !version.is_empty() && version != "*");
    DeclaredDependency {
        name,
        constraint,
        syntax: ConstraintSyntax::Poetry,
        extras: table
            .extras
            .iter()
            .map(|extra| normalize_extra(extra))
            .collect(),
        marker: combine_markers(
            table.markers.as_deref(),
            table.python.as_deref(),
            table.platform.as_deref(),
        ),
        optional: table.optional,
        source,
        location,
    }
}

/// One PEP 508 marker from Poetry's `markers`, `python` (a Poetry constraint on the Python
/// version) and `platform` (a `sys_platform` value), joined with `and`.
pub(crate) fn combine_markers(
    markers: Option<&str>,
    python: Option<&str>,
    platform: Option<&str>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(markers) = markers.map(str::trim).filter(|markers| !markers.is_empty()) {
        parts.push(markers.to_string());
    }
    if let Some(python) = python.and_then(python_marker) {
        parts.push(python);
    }
    if let Some(platform) = platform
        .map(str::trim)
        .filter(|platform| !platform.is_empty())
    {
        parts.push(format!("sys_platform == \"{platform}\""));
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(
            parts
                .iter()
                .map(|part| format!("({part})"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// A Poetry Python constraint (`>=3.8,<4`, `~2.7 || ^3.6`) as a PEP 508 marker; `None` for "any".
fn python_marker(constraint: &str) -> Option<String> {
    let alternatives = super::poetry_constraint::poetry_constraint_to_pep440(constraint).ok()?;
    let mut rendered = Vec::new();
    for specifiers in &alternatives {
        // An empty set means "any Python": no marker at all.
        specifiers.iter().next()?;
        let clauses: Vec<String> = specifiers
            .iter()
            .map(|specifier| {
                let version = specifier.version().to_string();
                let variable = if specifier.version().release().len() > 2 {
                    "python_full_version"
                } else {
                    "python_version"
                };
                format!("{variable} {} \"{version}\"", specifier.operator())
            })
            .collect();
        rendered.push(clauses.join(" and "));
    }
    match rendered.len() {
        0 => None,
        1 => rendered.pop(),
        _ => Some(
            rendered
                .iter()
                .map(|clause| format!("({clause})"))
                .collect::<Vec<_>>()
                .join(" or "),
        ),
    }
}

/// Whether a marker can hold for some Python version the project supports. Only Python version
/// comparisons are evaluated; every other variable (platform, extra, …) is assumed satisfiable.
pub fn marker_allows_python(marker: &str, python_versions: &[Version]) -> bool {
    match MarkerTree::from_str(marker) {
        Ok(tree) => tree_allows_python(&tree, python_versions),
        Err(_) => true,
    }
}

fn tree_allows_python(tree: &MarkerTree, python_versions: &[Version]) -> bool {
    use pep508_rs::{MarkerTreeKind, MarkerValueVersion};
    match tree.kind() {
        MarkerTreeKind::True => true,
        MarkerTreeKind::False => false,
        MarkerTreeKind::Version(marker) => marker.edges().any(|(range, child)| {
            let is_python = matches!(
                marker.key(),
                MarkerValueVersion::PythonFullVersion | MarkerValueVersion::PythonVersion
            );
            (!is_python
                || python_versions
                    .iter()
                    .any(|version| range.contains(version)))
                && tree_allows_python(&child, python_versions)
        }),
        MarkerTreeKind::String(marker) => marker
            .children()
            .any(|(_, child)| tree_allows_python(&child, python_versions)),
        MarkerTreeKind::In(marker) => marker
            .children()
            .any(|(_, child)| tree_allows_python(&child, python_versions)),
        MarkerTreeKind::Contains(marker) => marker
            .children()
            .any(|(_, child)| tree_allows_python(&child, python_versions)),
        MarkerTreeKind::Extra(marker) => marker
            .children()
            .any(|(_, child)| tree_allows_python(&child, python_versions)),
    }
}

impl PythonRequirement {
    /// Sample Python versions (2.0–2.7, 3.0–3.40, each at micro 0 and 99) the requirement allows.
    /// Good enough to tell whether a dependency's Python restriction can ever apply.
    pub fn sample_versions(&self) -> Vec<Version> {
        let alternatives = match self.syntax {
            ConstraintSyntax::Poetry => {
                super::poetry_constraint::poetry_constraint_to_pep440(&self.constraint).ok()
            }
            ConstraintSyntax::Pep440 => pep440_rs::VersionSpecifiers::from_str(&self.constraint)
                .ok()
                .map(|specifiers| vec![specifiers]),
        };
        sample_python_versions()
            .into_iter()
            .filter(|version| {
                alternatives.as_ref().is_none_or(|alternatives| {
                    alternatives
                        .iter()
                        .any(|specifiers| specifiers.contains(version))
                })
            })
            .collect()
    }
}

/// The candidate Python versions [`PythonRequirement::sample_versions`] filters.
pub fn sample_python_versions() -> Vec<Version> {
    let mut versions = Vec::new();
    for (major, last_minor) in [(2_u64, 7_u64), (3, 40)] {
        for minor in 0..=last_minor {
            for micro in [0_u64, 99] {
                versions.push(Version::new([major, minor, micro]));
            }
        }
    }
    versions
}

/// Merge groups of the same name and resolve includes; an include cycle or an unknown group is an
/// error naming where the include is written.
fn resolve_groups(
    groups: Vec<RawGroup>,
) -> Result<BTreeMap<String, DependencyGroup>, LockfileError> {
    let mut merged: BTreeMap<String, RawGroup> = BTreeMap::new();
    for group in groups {
        let key = normalize_extra(&group.name);
        match merged.get_mut(&key) {
            Some(existing) => {
                existing.optional &= group.optional;
                existing.dependencies.extend(group.dependencies);
                existing.includes.extend(group.includes);
            }
            None => {
                merged.insert(key, group);
            }
        }
    }
    let mut resolved = BTreeMap::new();
    for key in merged.keys() {
        let mut dependencies = Vec::new();
        let mut chain = vec![key.clone()];
        collect_group(&merged, key, &mut chain, &mut dependencies)?;
        if let Some(group) = merged.get(key) {
            resolved.insert(
                key.clone(),
                DependencyGroup {
                    name: group.name.clone(),
                    optional: group.optional,
                    dependencies,
                    location: group.location.clone(),
                },
            );
        }
    }
    Ok(resolved)
}

fn collect_group(
    groups: &BTreeMap<String, RawGroup>,
    key: &str,
    chain: &mut Vec<String>,
    dependencies: &mut Vec<DeclaredDependency>,
) -> Result<(), LockfileError> {
    let Some(group) = groups.get(key) else {
        return Ok(());
    };
    dependencies.extend(group.dependencies.iter().cloned());
    for (included, location) in &group.includes {
        if chain.contains(included) {
            return Err(LockfileError::Invalid {
                location: location.clone(),
                message: format!(
                    "dependency group `{}` includes itself: {} -> {included}",
                    group.name,
                    chain.join(" -> ")
                ),
            });
        }
        if !groups.contains_key(included) {
            return Err(LockfileError::Invalid {
                location: location.clone(),
                message: format!(
                    "dependency group `{}` includes `{included}`, which is not defined",
                    group.name
                ),
            });
        }
        chain.push(included.clone());
        collect_group(groups, included, chain, dependencies)?;
        chain.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Pyproject {
        parse(Path::new("pyproject.toml"), text).unwrap()
    }

    fn names(dependencies: &[DeclaredDependency]) -> Vec<String> {
        dependencies
            .iter()
            .map(|dependency| dependency.name.to_string())
            .collect()
    }

    #[test]
    fn pep621_project_with_extras_and_groups() {
        let pyproject = parse_text(
            r#"
[project]
name = "Demo"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = [
    "Requests[socks] (>=2.26,<3.0)",
    "tomli >=2 ; python_version < '3.11'",
    "poetry-core @ git+https://github.com/python-poetry/poetry-core.git@main",
]

[project.optional-dependencies]
Fast_Things = ["orjson>=3"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
"#,
        );
        assert_eq!(pyproject.name.as_deref(), Some("Demo"));
        assert_eq!(pyproject.version, Some(Version::new([1, 2, 0])));
        assert_eq!(
            names(&pyproject.dependencies),
            ["requests", "tomli", "poetry-core"]
        );
        let requests = &pyproject.dependencies[0];
        assert_eq!(requests.extras, ["socks"]);
        assert_eq!(requests.constraint.as_deref(), Some(">=2.26, <3.0"));
        assert_eq!(requests.location.line, 7);
        assert_eq!(
            pyproject.dependencies[1].marker.as_deref(),
            Some("python_full_version < '3.11'")
        );
        assert_eq!(
            pyproject.dependencies[2].source,
            DeclaredSource::Git {
                url: "https://github.com/python-poetry/poetry-core.git".to_string(),
                reference: Some("main".to_string()),
                subdirectory: None,
            }
        );
        assert_eq!(
            names(&pyproject.optional_dependencies["fast-things"]),
            ["orjson"]
        );
        assert_eq!(
            names(&pyproject.dependency_groups["test"].dependencies),
            ["pytest", "ruff"]
        );
        assert_eq!(pyproject.dependency_groups["lint"].location.line, 17);
    }

    #[test]
    fn poetry_tables_in_every_form() {
        let pyproject = parse_text(
            r#"
[tool.poetry]
name = "demo"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.9"
plain = "^1.0"
tabled = { version = "~2.1", extras = ["Extra_One"], markers = "sys_platform == 'linux'" }
restricted = { version = "*", python = "<3.10" }
choice = [
    { version = "^1.0", python = "<3.10" },
    { version = "^2.0", python = ">=3.10" },
]
from-git = { git = "https://example.org/repo.git", tag = "v1" }
local = { path = "../local", develop = true }
archive = { url = "https://example.org/a.tar.gz" }
maybe = { version = "^3", optional = true }
never = { version = "^4", optional = true }

[tool.poetry.extras]
speed = ["maybe"]

[tool.poetry.dev-dependencies]
pytest = "^7"

[tool.poetry.group.dev.dependencies]
black = "^23"

[tool.poetry.group.docs]
optional = true
[tool.poetry.group.docs.dependencies]
sphinx = "*"
"#,
        );
        assert_eq!(
            pyproject.requires_python,
            Some(PythonRequirement {
                constraint: "^3.9".to_string(),
                syntax: ConstraintSyntax::Poetry
            })
        );
        assert_eq!(
            names(&pyproject.dependencies),
            [
                "plain",
                "tabled",
                "restricted",
                "choice",
                "choice",
                "from-git",
                "local",
                "archive"
            ]
        );
        let tabled = &pyproject.dependencies[1];
        assert_eq!(tabled.extras, ["extra-one"]);
        assert_eq!(tabled.constraint.as_deref(), Some("~2.1"));
        assert_eq!(tabled.syntax, ConstraintSyntax::Poetry);
        assert_eq!(tabled.location.line, 9);
        assert_eq!(
            pyproject.dependencies[2].marker.as_deref(),
            Some("python_version < \"3.10\"")
        );
        assert_eq!(pyproject.dependencies[2].constraint, None);
        assert_eq!(
            pyproject.dependencies[5].source,
            DeclaredSource::Git {
                url: "https://example.org/repo.git".to_string(),
                reference: Some("v1".to_string()),
                subdirectory: None
            }
        );
        assert_eq!(
            pyproject.dependencies[6].source,
            DeclaredSource::Path {
                path: "../local".to_string(),
                editable: true
            }
        );
        assert_eq!(names(&pyproject.optional_dependencies["speed"]), ["maybe"]);
        assert_eq!(names(&pyproject.unlisted_optional_dependencies), ["never"]);
        assert_eq!(
            names(&pyproject.dependency_groups["dev"].dependencies),
            ["pytest", "black"]
        );
        assert!(pyproject.dependency_groups["docs"].optional);
        assert!(pyproject.warnings.is_empty());
    }

    #[test]
    fn project_dependencies_take_precedence_over_poetry_ones() {
        let pyproject = parse_text(
            r#"
[project]
name = "demo"
dependencies = ["flask"]

[tool.poetry.dependencies]
flask = { git = "https://example.org/flask.git" }
ignored = "^1"
"#,
        );
        assert_eq!(names(&pyproject.dependencies), ["flask"]);
        assert!(matches!(
            pyproject.dependencies[0].source,
            DeclaredSource::Git { .. }
        ));
        assert_eq!(pyproject.warnings.len(), 1);
        assert_eq!(
            pyproject.warnings[0].location.as_ref().map(|l| l.line),
            Some(8)
        );
    }

    #[test]
    fn pep621_without_dependencies_uses_poetry_ones() {
        let pyproject = parse_text(
            "[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.poetry]\nversion = \"3.0.2\"\n\n[tool.poetry.dependencies]\nclick = \"^8\"\n",
        );
        assert_eq!(names(&pyproject.dependencies), ["click"]);
        assert_eq!(pyproject.version, Some(Version::new([3, 0, 2])));
    }

    #[test]
    fn include_cycles_and_unknown_groups_are_errors() {
        let error = parse(
            Path::new("p.toml"),
            "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("p.toml:"), "{error}");
        assert!(error.to_string().contains("includes itself"), "{error}");
        let error = parse(
            Path::new("p.toml"),
            "[dependency-groups]\na = [{include-group = \"zzz\"}]\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("p.toml:2:"), "{error}");
    }

    #[test]
    fn errors_name_file_and_line() {
        let error = parse(
            Path::new("p.toml"),
            "[project]\nname = \"x\"\ndependencies = [\n",
        )
        .unwrap_err();
        assert!(matches!(error, LockfileError::Syntax { .. }), "{error}");
        let error = parse(
            Path::new("p.toml"),
            "[project]\nname = \"x\"\ndependencies = \"flask\"\n",
        )
        .unwrap_err();
        assert!(matches!(error, LockfileError::Invalid { .. }), "{error}");
        assert!(error.to_string().starts_with("p.toml:3:"), "{error}");
        let error = parse(
            Path::new("p.toml"),
            "[tool.poetry.dependencies]\nflask = { version = \"^2\", optional = \"yes\" }\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("p.toml:2:"), "{error}");
        let error = parse(
            Path::new("p.toml"),
            "[project]\ndependencies = [\"flask >=>= 2\"]\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("p.toml:2:"), "{error}");
    }

    #[test]
    fn python_markers_are_evaluated_against_sample_versions() {
        let requirement = PythonRequirement {
            constraint: ">=3.8,<4.0.0".to_string(),
            syntax: ConstraintSyntax::Poetry,
        };
        let versions = requirement.sample_versions();
        assert!(!marker_allows_python("python_version < \"3.8\"", &versions));
        assert!(marker_allows_python(
            "python_version < \"3.9\" and sys_platform == \"win32\"",
            &versions
        ));
        assert!(marker_allows_python("sys_platform == \"win32\"", &versions));
        assert_eq!(
            python_marker(">=3.8,<3.10 || >=3.11.2").as_deref(),
            Some(
                "(python_version >= \"3.8\" and python_version < \"3.10\") or (python_full_version >= \"3.11.2\")"
            )
        );
        assert_eq!(python_marker("*"), None);
    }
}
