//! Usage analysis: which declared dependencies the project's code imports, and which imports no
//! declaration covers — without installing anything.
//!
//! Stages, each plain data to the next:
//! 1. [`scan`]: walk the sources, tokenize each file's imports ([`imports`]).
//! 2. Drop standard-library ([`stdlib`], per the project's `requires-python`) and first-party
//!    imports (the project's packages, workspace members, a script's neighbours, relative imports).
//! 3. Map distributions to modules ([`modules`]): `[usage.modules]` overrides, then `--venv`, then
//!    the locked wheel's file list over HTTP range requests ([`wheels`], cached), then the guess.
//! 4. Attribute each import to the distribution providing it ([`modules::ModuleIndex`]).
//!
//! The rules over the result live in `crate::policy::usage`.

pub mod config;
pub mod encoding;
pub mod imports;
pub mod modules;
pub mod scan;
pub mod stdlib;
pub mod wheels;
pub mod zip_directory;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pyaudit_cache::Cache;
use serde::Serialize;

use self::imports::ImportContext;
use self::modules::{DistributionModules, MappingSource, ModuleIndex};
use self::scan::{Scan, ScanError, ScanSettings};
use crate::enrich::{EnrichError, PackageKey};
use crate::graph::{Class, Graph};
use crate::lockfile::pyproject::{DeclaredDependency, Pyproject};
use crate::lockfile::{Location, PackageRole};

/// What the user chose for the usage analysis (`[usage]` and the command line).
#[derive(Debug, Clone, Default)]
pub struct UsageSettings {
    pub scan: ScanSettings,
    /// Distribution (PEP 503 name) → the modules it provides, overriding every other source.
    pub module_overrides: BTreeMap<String, Vec<String>>,
    /// A virtual environment whose `*.dist-info` map distributions to modules.
    pub venv: Option<PathBuf>,
    /// Fetch wheels' file lists (else: cache, venv, overrides and the guess only).
    pub wheels: Option<wheels::WheelSettings>,
}

/// Where a dependency is declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Scope {
    Main,
    Extra(String),
    Group(String),
}

/// One declared dependency.
#[derive(Debug, Clone, Serialize)]
pub struct Declaration {
    /// PEP 503 normalized.
    pub name: String,
    pub scope: Scope,
    pub location: Location,
}

/// One import of a third-party module.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSite {
    /// The file (relative to the project root) and line of the module name.
    pub location: Location,
    /// The module as imported (`yaml`, `google.cloud.storage`).
    pub module: String,
    pub context: ImportContext,
    /// In a test path.
    pub test: bool,
}

/// The analysis of one project.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    pub root: PathBuf,
    /// The Python versions whose standard library was excluded (`3.9–3.14`).
    pub python: String,
    pub files: usize,
    pub declarations: Vec<Declaration>,
    /// Distribution → the imports it provides.
    pub used: BTreeMap<String, Vec<ImportSite>>,
    /// Top-level module → imports that no known distribution provides.
    pub unresolved: BTreeMap<String, Vec<ImportSite>>,
    /// Distribution → its modules and where that came from.
    pub mappings: BTreeMap<String, DistributionModules>,
    /// Things the user should know (guessed mappings, a venv that could not be read).
    pub warnings: Vec<String>,
    /// HTTP requests made for wheels.
    pub requests: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{}", describe_scan_errors(.0))]
    Sources(Vec<ScanError>),
    #[error(transparent)]
    Lockfile(#[from] crate::lockfile::LockfileError),
    #[error(transparent)]
    Enrich(#[from] EnrichError),
    #[error("cannot read the virtual environment `{}`", path.display())]
    Venv {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn describe_scan_errors(errors: &[ScanError]) -> String {
    let mut text = format!("{} source file(s) could not be read:", errors.len());
    for error in errors.iter().take(20) {
        text.push_str(&format!("\n  {error}"));
    }
    if errors.len() > 20 {
        text.push_str(&format!("\n  … and {} more", errors.len() - 20));
    }
    text
}

/// The project's declared dependencies: `pyproject.toml` when it declares any (PEP 621, Poetry,
/// PEP 735), else the requirements files' roots in `graphs`.
pub fn declarations(pyproject: Option<&Pyproject>, graphs: &[Graph]) -> Vec<Declaration> {
    let mut found = Vec::new();
    let mut push = |dependency: &DeclaredDependency, scope: Scope| {
        found.push(Declaration {
            name: dependency.name.to_string(),
            scope,
            location: dependency.location.clone(),
        });
    };
    if let Some(pyproject) = pyproject {
        for dependency in &pyproject.dependencies {
            push(dependency, Scope::Main);
        }
        for (extra, dependencies) in &pyproject.optional_dependencies {
            for dependency in dependencies {
                push(dependency, Scope::Extra(extra.clone()));
            }
        }
        for (name, group) in &pyproject.dependency_groups {
            for dependency in &group.dependencies {
                push(dependency, Scope::Group(name.clone()));
            }
        }
    }
    if found.is_empty() {
        for graph in graphs {
            for &root in graph.roots() {
                let package = graph.package(root);
                let scoped = package
                    .dependencies
                    .iter()
                    .map(|edge| (edge, Scope::Main))
                    .chain(
                        package
                            .optional_dependencies
                            .iter()
                            .flat_map(|(extra, edges)| {
                                edges
                                    .iter()
                                    .map(move |edge| (edge, Scope::Extra(extra.clone())))
                            }),
                    )
                    .chain(package.dependency_groups.iter().flat_map(|(group, edges)| {
                        edges
                            .iter()
                            .map(move |edge| (edge, Scope::Group(group.clone())))
                    }));
                for (edge, scope) in scoped {
                    let target = graph.package(edge.package);
                    let Some(location) = target.location.clone() else {
                        continue;
                    };
                    found.push(Declaration {
                        name: target.name.to_string(),
                        scope,
                        location,
                    });
                }
            }
        }
    }
    found.sort_by(|left, right| {
        (&left.name, &left.scope, &left.location).cmp(&(&right.name, &right.scope, &right.location))
    });
    found.dedup_by(|left, right| left.name == right.name && left.scope == right.scope);
    found
}

/// The locked registry packages of `graphs` (projects excluded), one key per `name==version`.
fn locked_keys(graphs: &[Graph]) -> BTreeMap<String, PackageKey> {
    let mut keys = BTreeMap::new();
    for graph in graphs {
        for (index, package) in graph.packages().iter().enumerate() {
            if graph.role(index) != PackageRole::Package || !package.source.is_registry() {
                continue;
            }
            if let Some(version) = &package.version {
                keys.entry(package.name.to_string())
                    .or_insert_with(|| PackageKey::new(package.name.to_string(), version.clone()));
            }
        }
    }
    keys
}

/// Analyse the project at `root`: scan, filter, map, attribute.
pub fn analyse(
    root: &Path,
    pyproject: Option<&Pyproject>,
    graphs: &[Graph],
    cache: &Cache,
    settings: &UsageSettings,
) -> Result<Usage, UsageError> {
    let scan = scan::scan_project(root, &settings.scan)
        .map_err(|error| UsageError::Sources(vec![error]))?;
    if !scan.errors.is_empty() {
        return Err(UsageError::Sources(scan.errors));
    }
    // Files Python could read but pyaudit cannot decode cost their imports, not the run.
    let skipped: Vec<String> = scan
        .skipped
        .iter()
        .map(|problem| {
            format!(
                "{problem}; the file is skipped, so its imports are unknown (an unused-dependency \
                 finding may be one it imports)"
            )
        })
        .collect();
    if scan.files.is_empty() {
        // Nothing imports anything: no mapping (and no request) is worth making.
        return Ok(Usage {
            root: root.to_path_buf(),
            warnings: skipped,
            ..Usage::default()
        });
    }
    let stdlib = stdlib::Stdlib::new(stdlib::supported_minors(
        pyproject.and_then(|pyproject| pyproject.requires_python.as_ref()),
    ));
    let mut local = BTreeSet::new();
    if let Some(name) = pyproject.and_then(|pyproject| pyproject.name.as_deref()) {
        local.insert(name.replace(['-', '.'], "_").to_ascii_lowercase());
        local.insert(name.replace(['-', '.'], "_"));
    }
    let sites = third_party_imports(&scan, &stdlib, &local);

    let mut declared = declarations(pyproject, graphs);
    // Findings name files relative to the project, like the imports' locations.
    for declaration in &mut declared {
        if let Ok(relative) = declaration.location.path.strip_prefix(root) {
            declaration.location.path = relative.to_path_buf();
        }
    }
    let locked = locked_keys(graphs);
    let mut usage = Usage {
        root: root.to_path_buf(),
        python: stdlib.describe(),
        files: scan.files.len(),
        declarations: declared,
        warnings: skipped,
        ..Usage::default()
    };
    let venv = match &settings.venv {
        Some(path) => modules::read_venv(path).map_err(|source| UsageError::Venv {
            path: path.clone(),
            source,
        })?,
        None => BTreeMap::new(),
    };

    // Phase 1: what the project declares. Phase 2, only when imports remain unexplained: the
    // rest of the lock (a transitive package imported directly, or a misnamed declaration).
    let declared_names: BTreeSet<String> =
        usage.declarations.iter().map(|d| d.name.clone()).collect();
    let mut mapped =
        map_distributions(&declared_names, &locked, &venv, cache, settings, &mut usage)?;
    attribute(&sites, &mapped, &mut usage);
    if !usage.unresolved.is_empty() {
        let mut rest: BTreeSet<String> = locked
            .keys()
            .filter(|name| !declared_names.contains(*name))
            .cloned()
            .collect();
        rest.extend(
            venv.keys()
                .filter(|name| !declared_names.contains(*name))
                .cloned(),
        );
        if !rest.is_empty() {
            let more = map_distributions(&rest, &locked, &venv, cache, settings, &mut usage)?;
            mapped.extend(more);
            usage.used.clear();
            usage.unresolved.clear();
            attribute(&sites, &mapped, &mut usage);
        }
    }
    let guessed: Vec<&str> = mapped
        .iter()
        .filter(|(_, modules)| modules.source.is_guess())
        .map(|(name, _)| name.as_str())
        .collect();
    if !guessed.is_empty() {
        usage.warnings.push(format!(
            "the modules of {} distribution(s) are guessed from their names (no wheel, venv or override): {}",
            guessed.len(),
            guessed.join(", ")
        ));
    }
    usage.mappings = mapped;
    Ok(usage)
}

/// Every import of a module that is neither standard library nor the project's own.
fn third_party_imports(
    scan: &Scan,
    stdlib: &stdlib::Stdlib,
    local: &BTreeSet<String>,
) -> Vec<ImportSite> {
    let mut sites = Vec::new();
    for file in &scan.files {
        for import in &file.imports {
            let top = import.top_level();
            if import.level > 0
                || top.is_empty()
                || stdlib.contains(top)
                || local.contains(top)
                || scan.is_local(&file.path, top)
            {
                continue;
            }
            // `from google.cloud import storage` may name a submodule: keep the longest form.
            let module = match import.names.as_slice() {
                [single] => format!("{}.{single}", import.module),
                _ => import.module.clone(),
            };
            sites.push(ImportSite {
                location: Location::new(file.path.clone(), import.line).with_column(import.column),
                module,
                context: import.context,
                test: file.test,
            });
        }
    }
    sites
}

fn map_distributions(
    names: &BTreeSet<String>,
    locked: &BTreeMap<String, PackageKey>,
    venv: &BTreeMap<String, DistributionModules>,
    cache: &Cache,
    settings: &UsageSettings,
    usage: &mut Usage,
) -> Result<BTreeMap<String, DistributionModules>, UsageError> {
    let mut mapped = BTreeMap::new();
    let mut to_fetch = Vec::new();
    for name in names {
        if let Some(modules) = settings.module_overrides.get(name) {
            mapped.insert(
                name.clone(),
                DistributionModules {
                    modules: modules.iter().cloned().collect(),
                    stubs_for: BTreeSet::new(),
                    source: MappingSource::Override,
                },
            );
        } else if let Some(found) = venv.get(name) {
            mapped.insert(name.clone(), found.clone());
        } else if let (Some(key), Some(_)) = (locked.get(name), &settings.wheels) {
            to_fetch.push(key.clone());
        } else {
            let reason = if locked.contains_key(name) {
                "wheel look-up turned off"
            } else {
                "not pinned in a lockfile, so no wheel to read"
            };
            mapped.insert(name.clone(), modules::fallback(name, reason));
        }
    }
    if let (false, Some(wheel_settings)) = (to_fetch.is_empty(), &settings.wheels) {
        let data = wheels::collect(&to_fetch, cache, wheel_settings)?;
        usage.requests += data.requests;
        for (key, modules) in data.modules {
            mapped.insert(key.name, modules);
        }
    }
    Ok(mapped)
}

fn attribute(
    sites: &[ImportSite],
    mapped: &BTreeMap<String, DistributionModules>,
    usage: &mut Usage,
) {
    let index = ModuleIndex::new(
        mapped
            .iter()
            .map(|(name, modules)| (name.as_str(), modules)),
    );
    // Stub-only distributions (`types-requests`) count as used when their module is imported.
    let mut stubs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, modules) in mapped {
        for module in &modules.stubs_for {
            stubs
                .entry(module.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    for site in sites {
        let mut candidates = vec![site.module.clone()];
        if let Some((parent, _)) = site.module.rsplit_once('.') {
            candidates.push(parent.to_owned());
        }
        let providers = index.resolve(&candidates);
        let top = site.module.split('.').next().unwrap_or_default();
        for stub in stubs.get(top).into_iter().flatten() {
            usage
                .used
                .entry((*stub).to_owned())
                .or_default()
                .push(site.clone());
        }
        if providers.is_empty() {
            usage
                .unresolved
                .entry(top.to_owned())
                .or_default()
                .push(site.clone());
        }
        for provider in providers {
            usage.used.entry(provider).or_default().push(site.clone());
        }
    }
}

/// Per distribution name: its class and whether a root lists it, over every graph (the widest
/// class wins: prod over optional over dev).
pub fn lock_facts(graphs: &[Graph]) -> BTreeMap<String, (Class, bool)> {
    let mut facts: BTreeMap<String, (Class, bool)> = BTreeMap::new();
    for graph in graphs {
        for (index, package) in graph.packages().iter().enumerate() {
            if graph.role(index) != PackageRole::Package {
                continue;
            }
            let entry = facts
                .entry(package.name.to_string())
                .or_insert((graph.classes[index], graph.direct[index]));
            entry.0 = entry.0.min(graph.classes[index]);
            entry.1 |= graph.direct[index];
        }
    }
    facts
}
