//! PA601–PA606, the usage rules: unused, missing, transitive and dev-leaking dependencies over
//! a [`Usage`] analysis, and dev tools in production and orphaned entries over the lock's graph.
//! Pure: the analysis and the graphs in, findings out, sorted.

use std::collections::{BTreeMap, BTreeSet};

use crate::findings::{
    DEV_DEPENDENCY_IN_PRODUCTION, DEV_TOOL_IN_PRODUCTION, Evidence, Finding, Fix,
    MISSING_DEPENDENCY, ORPHANED_PACKAGE, PackageContext, Rule, TRANSITIVE_DEPENDENCY,
    UNUSED_DEPENDENCY,
};
use crate::graph::{Class, Graph};
use crate::lockfile::{Location, LockfileKind, PackageRole};
use crate::usage::imports::ImportContext;
use crate::usage::{ImportSite, Scope, Usage};

/// Known development-only tools, by PEP 503 name, with what they are (for messages).
pub const DEV_TOOLS: &[(&str, &str)] = &[
    ("pytest", "a test runner"),
    ("nose", "a test runner"),
    ("nose2", "a test runner"),
    ("tox", "a test runner"),
    ("nox", "a test runner"),
    ("coverage", "a coverage tool"),
    ("hypothesis", "a testing library"),
    ("black", "a formatter"),
    ("autopep8", "a formatter"),
    ("yapf", "a formatter"),
    ("isort", "a formatter"),
    ("ruff", "a linter"),
    ("flake8", "a linter"),
    ("pylint", "a linter"),
    ("pycodestyle", "a linter"),
    ("pyflakes", "a linter"),
    ("bandit", "a linter"),
    ("pre-commit", "a hook runner"),
    ("mypy", "a type checker"),
    ("pyright", "a type checker"),
    ("pytype", "a type checker"),
    ("pyre-check", "a type checker"),
    ("ipdb", "a debugger"),
    ("pdbpp", "a debugger"),
    ("pudb", "a debugger"),
    ("debugpy", "a debugger"),
    ("ipykernel", "a notebook kernel"),
    ("jupyter", "a notebook environment"),
    ("jupyterlab", "a notebook environment"),
    ("notebook", "a notebook environment"),
];

/// Declared but not imported, for a reason: build backends, CLI-only tools, plugins.
pub const NOT_IMPORTED_BY_DESIGN: &[&str] = &[
    "setuptools",
    "setuptools-scm",
    "wheel",
    "hatchling",
    "hatch-vcs",
    "poetry-core",
    "flit-core",
    "pdm-backend",
    "maturin",
    "scikit-build-core",
    "build",
    "twine",
    "pip",
    "uv",
    "gunicorn",
];

/// What the user chose for the usage rules.
#[derive(Debug, Clone, Default)]
pub struct UsageRuleSettings {
    /// More distributions that may be declared without being imported.
    pub ignore_unused: Vec<String>,
    /// Top-level modules that may be imported without a declaration.
    pub ignore_missing: Vec<String>,
    /// More development-only tools for PA605.
    pub dev_tools: Vec<String>,
}

fn dev_tool(name: &str, settings: &UsageRuleSettings) -> Option<String> {
    if let Some((_, what)) = DEV_TOOLS.iter().find(|(tool, _)| *tool == name) {
        return Some((*what).to_owned());
    }
    if name.starts_with("pytest-") {
        return Some("a pytest plugin".to_owned());
    }
    settings
        .dev_tools
        .iter()
        .any(|tool| tool == name)
        .then(|| "a development tool ([usage] dev-tools)".to_owned())
}

fn exempt_from_unused(name: &str, settings: &UsageRuleSettings) -> bool {
    name.starts_with("types-")
        || name.ends_with("-stubs")
        || name.starts_with("pytest-")
        || NOT_IMPORTED_BY_DESIGN.contains(&name)
        || DEV_TOOLS.iter().any(|(tool, _)| *tool == name)
        || settings.ignore_unused.iter().any(|ignored| ignored == name)
}

fn finding(
    rule: &Rule,
    package: PackageContext,
    message: String,
    evidence: Evidence,
    fix: String,
    command: Option<String>,
) -> Finding {
    Finding {
        code: rule.code,
        rule: rule.name,
        level: rule.default_level,
        package,
        message,
        evidence,
        fix: Some(Fix {
            version: None,
            description: fix,
            command,
        }),
    }
}

/// Where the package sits in the lock, when it is locked; else a context of its own.
fn package_context(
    graphs: &[Graph],
    name: &str,
    class: Class,
    location: &Location,
) -> PackageContext {
    for graph in graphs {
        if let Some(&index) = graph.find(name).first() {
            let mut context = super::context(graph, index);
            context.location = Some(location.clone());
            return context;
        }
    }
    PackageContext {
        name: name.to_owned(),
        version: None,
        class,
        direct: false,
        path: Vec::new().into(),
        location: Some(location.clone()),
    }
}

fn usage_evidence(sites: &[&ImportSite], mapping: Option<String>) -> Evidence {
    Evidence::Usage {
        location: sites[0].location.clone(),
        module: Some(sites[0].module.clone()),
        more: sites
            .iter()
            .skip(1)
            .take(10)
            .map(|site| site.location.clone())
            .collect(),
        mapping,
    }
}

fn add_command(graphs: &[Graph], name: &str, dev: bool) -> Option<String> {
    let kind = graphs.first().map(|graph| graph.lockfile.kind);
    match (kind, dev) {
        (Some(LockfileKind::UvLock) | None, false) => Some(format!("uv add {name}")),
        (Some(LockfileKind::UvLock) | None, true) => Some(format!("uv add --dev {name}")),
        (Some(LockfileKind::PoetryLock), false) => Some(format!("poetry add {name}")),
        (Some(LockfileKind::PoetryLock), true) => Some(format!("poetry add --group dev {name}")),
        (Some(LockfileKind::PdmLock), false) => Some(format!("pdm add {name}")),
        (Some(LockfileKind::PdmLock), true) => Some(format!("pdm add --dev {name}")),
        (Some(LockfileKind::PipfileLock), false) => Some(format!("pipenv install {name}")),
        (Some(LockfileKind::PipfileLock), true) => Some(format!("pipenv install --dev {name}")),
        (Some(LockfileKind::Requirements | LockfileKind::Pylock | LockfileKind::Installed), _) => {
            None
        }
    }
}

fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::Main => "main dependencies".to_owned(),
        Scope::Extra(extra) => format!("extra `{extra}`"),
        Scope::Group(group) => format!("group `{group}`"),
    }
}

/// PA601–PA604 over an analysis.
pub fn evaluate_usage(
    usage: &Usage,
    graphs: &[Graph],
    settings: &UsageRuleSettings,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let facts = crate::usage::lock_facts(graphs);
    let mut scopes: BTreeMap<&str, Vec<&Scope>> = BTreeMap::new();
    for declaration in &usage.declarations {
        scopes
            .entry(declaration.name.as_str())
            .or_default()
            .push(&declaration.scope);
    }

    // PA601: main and extra declarations never imported.
    let mut reported = BTreeSet::new();
    for declaration in &usage.declarations {
        if matches!(declaration.scope, Scope::Group(_))
            || exempt_from_unused(&declaration.name, settings)
            || usage.used.contains_key(&declaration.name)
            || !reported.insert(declaration.name.as_str())
        {
            continue;
        }
        let mapping = usage.mappings.get(&declaration.name);
        // A distribution with no modules (a meta-package) is installed for what it pulls in.
        if mapping.is_some_and(|mapping| mapping.modules.is_empty() && !mapping.source.is_guess()) {
            continue;
        }
        let modules = mapping
            .map(|mapping| {
                mapping
                    .modules
                    .iter()
                    .map(|module| format!("`{module}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let class = if declaration.scope == Scope::Main {
            Class::Prod
        } else {
            Class::Optional
        };
        findings.push(finding(
            &UNUSED_DEPENDENCY,
            package_context(graphs, &declaration.name, class, &declaration.location),
            format!(
                "`{}` is declared ({}) but never imported; it provides {}",
                declaration.name,
                scope_label(&declaration.scope),
                if modules.is_empty() { "no module".to_owned() } else { modules },
            ),
            Evidence::Usage {
                location: declaration.location.clone(),
                module: None,
                more: Vec::new(),
                mapping: mapping.map(|mapping| mapping.source.describe()),
            },
            format!(
                "remove `{}` from the {} at {}, or list it in `[usage] ignore-unused` if it is needed without an import",
                declaration.name,
                scope_label(&declaration.scope),
                declaration.location
            ),
            None,
        ));
    }

    // PA603 and PA604: imports of locked distributions that are not declared where they should be.
    for (name, sites) in &usage.used {
        let needed: Vec<&ImportSite> = sites
            .iter()
            .filter(|site| site.context == ImportContext::Runtime)
            .collect();
        if needed.is_empty() {
            continue;
        }
        let mapping = usage
            .mappings
            .get(name)
            .map(|mapping| mapping.source.describe());
        let declared = scopes.get(name.as_str());
        let production: Vec<&ImportSite> =
            needed.iter().copied().filter(|site| !site.test).collect();
        match declared {
            None => {
                let Some(&(class, _)) = facts.get(name) else {
                    continue;
                };
                let context = package_context(graphs, name, class, &needed[0].location);
                let via = context
                    .path
                    .iter()
                    .rev()
                    .nth(1)
                    .map(|parent| format!(" because `{parent}` depends on it"))
                    .unwrap_or_default();
                findings.push(finding(
                    &TRANSITIVE_DEPENDENCY,
                    context,
                    format!(
                        "`{}` is imported at {} but only installed{via}",
                        needed[0].module, needed[0].location
                    ),
                    usage_evidence(&needed, mapping),
                    format!("declare `{name}` as a direct dependency"),
                    add_command(graphs, name, production.is_empty()),
                ));
            }
            Some(scopes)
                if scopes.iter().all(|scope| matches!(scope, Scope::Group(_)))
                    && !production.is_empty() =>
            {
                let groups: Vec<String> = scopes.iter().map(|scope| scope_label(scope)).collect();
                findings.push(finding(
                    &DEV_DEPENDENCY_IN_PRODUCTION,
                    package_context(graphs, name, Class::Dev, &production[0].location),
                    format!(
                        "`{}` is imported by production code at {} but `{name}` is declared only in {}",
                        production[0].module,
                        production[0].location,
                        groups.join(", ")
                    ),
                    usage_evidence(&production, mapping),
                    format!("move `{name}` to the main dependencies, or the import into test code or under `if TYPE_CHECKING:`"),
                    add_command(graphs, name, false),
                ));
            }
            Some(_) => {}
        }
    }

    // PA602: runtime imports nothing provides.
    for (module, sites) in &usage.unresolved {
        if settings
            .ignore_missing
            .iter()
            .any(|ignored| ignored == module)
        {
            continue;
        }
        let needed: Vec<&ImportSite> = sites
            .iter()
            .filter(|site| site.context == ImportContext::Runtime)
            .collect();
        if needed.is_empty() {
            continue;
        }
        let class = if needed.iter().all(|site| site.test) {
            Class::Dev
        } else {
            Class::Prod
        };
        findings.push(finding(
            &MISSING_DEPENDENCY,
            PackageContext {
                name: module.clone(),
                version: None,
                class,
                direct: false,
                path: Vec::new().into(),
                location: Some(needed[0].location.clone()),
            },
            format!("`{}` is imported at {} but no declared or locked distribution provides `{module}`", needed[0].module, needed[0].location),
            usage_evidence(&needed, None),
            format!(
                "declare the distribution that provides `{module}`{}; if it is declared under another name, map it in `[usage.modules]`",
                if class == Class::Dev { " in a dev group" } else { "" }
            ),
            None,
        ));
    }
    findings
}

/// PA605 and PA606 over one lock's graph.
pub fn evaluate_lock(graph: &Graph, settings: &UsageRuleSettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, package) in graph.packages().iter().enumerate() {
        if graph.role(index) != PackageRole::Package {
            continue;
        }
        let name = package.name.to_string();
        let location = package
            .location
            .clone()
            .unwrap_or_else(|| Location::new(graph.lockfile.path.clone(), 1));
        let evidence = || Evidence::Usage {
            location: location.clone(),
            module: None,
            more: Vec::new(),
            mapping: None,
        };
        match graph.classes[index] {
            Class::Prod => {
                if let Some(what) = dev_tool(&name, settings) {
                    let context = super::context(graph, index);
                    let path = context.path.join(" → ");
                    findings.push(finding(
                        &DEV_TOOL_IN_PRODUCTION,
                        context,
                        format!(
                            "`{name}` ({what}) is installed with the main dependencies: {path}"
                        ),
                        evidence(),
                        format!(
                            "move `{name}` to a dev group, or drop the dependency that pulls it in"
                        ),
                        None,
                    ));
                }
            }
            Class::Unreachable => {
                findings.push(finding(
                    &ORPHANED_PACKAGE,
                    super::context(graph, index),
                    format!(
                        "`{}` is in {} but nothing installs it",
                        graph.package_label(index),
                        graph.lockfile.path.display()
                    ),
                    evidence(),
                    "regenerate the lock".to_owned(),
                    match graph.lockfile.kind {
                        LockfileKind::UvLock => Some("uv lock".to_owned()),
                        LockfileKind::PoetryLock => Some("poetry lock".to_owned()),
                        LockfileKind::PdmLock => Some("pdm lock".to_owned()),
                        LockfileKind::PipfileLock => Some("pipenv lock".to_owned()),
                        LockfileKind::Requirements
                        | LockfileKind::Pylock
                        | LockfileKind::Installed => None,
                    },
                ));
            }
            Class::Optional | Class::Dev => {}
        }
    }
    findings
}
