//! Fix advice, shared by the rule families: in the lock's own tool for a project's lock, or what
//! the reviewer can ask for in a `pyaudit review` (where nothing is locked yet).

use crate::findings::Fix;
use crate::graph::Graph;
use crate::lockfile::{LockfileKind, PackageRole};

/// Who the fix advice speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixStyle {
    /// A project's lock: the lock's own tool (`uv lock --upgrade-package`, `poetry update`, a
    /// pin in the requirements file).
    #[default]
    Lockfile,
    /// `pyaudit review`: the closure of a package not added yet. Advice says which version of the
    /// reviewed package to request, or through which packages a dependency comes in and what to
    /// ask of them; there is no lock to upgrade.
    Review,
}

/// Move `index` to `version` (when known) or to `fallback` (words for the version wanted).
pub(super) fn upgrade_fix(
    graph: &Graph,
    index: usize,
    version: Option<String>,
    fallback: &str,
    style: FixStyle,
) -> Fix {
    if style == FixStyle::Review {
        return review_upgrade_fix(graph, index, version, fallback);
    }
    let package = graph.package(index);
    let name = package.name.as_ref();
    let target = version.as_ref().map_or_else(
        || fallback.to_string(),
        |version| format!("{version} or later"),
    );
    let (command, description) = match graph.lockfile.kind {
        LockfileKind::UvLock => (
            Some(format!("uv lock --upgrade-package {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::PoetryLock => (
            Some(format!("poetry update {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::PdmLock => (
            Some(format!("pdm update {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::PipfileLock => (
            Some(format!("pipenv update {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::Pylock | LockfileKind::Installed => (
            None,
            format!(
                "upgrade `{name}` to {target} where the {} is made, and make it again",
                graph.lockfile.kind
            ),
        ),
        LockfileKind::Requirements => {
            let place = package
                .location
                .as_ref()
                .map(|location| format!(" at {location}"))
                .unwrap_or_default();
            (
                version
                    .as_ref()
                    .map(|version| format!("pip-compile --upgrade-package {name}=={version}")),
                format!("pin `{name}` to {target}{place} (or regenerate the file)"),
            )
        }
    };
    Fix {
        version,
        description,
        command,
    }
}

/// Remove `index` from the project (or replace it), naming what pulls it in.
pub(super) fn removal_fix(graph: &Graph, index: usize, what: &str, style: FixStyle) -> Fix {
    if style == FixStyle::Review {
        return review_removal_fix(graph, index, what);
    }
    let package = graph.package(index);
    let name = package.name.as_ref();
    let command = if graph.direct[index] {
        match graph.lockfile.kind {
            LockfileKind::UvLock => Some(format!("uv remove {name}")),
            LockfileKind::PoetryLock => Some(format!("poetry remove {name}")),
            LockfileKind::PdmLock => Some(format!("pdm remove {name}")),
            LockfileKind::PipfileLock => Some(format!("pipenv uninstall {name}")),
            LockfileKind::Requirements | LockfileKind::Pylock | LockfileKind::Installed => None,
        }
    } else {
        None
    };
    let how = if graph.direct[index] {
        format!("{what} `{name}`")
    } else {
        format!(
            "{what} `{name}` or the dependency that pulls it in (`pyaudit why {name}` shows the paths)"
        )
    };
    Fix {
        version: None,
        description: how,
        command,
    }
}

/// How a package of a review's closure comes in: the names on its shortest path from the
/// reviewed package (the synthetic root left out), the package itself last. One name: it is
/// the reviewed package.
fn review_path(graph: &Graph, index: usize) -> Vec<String> {
    graph
        .shortest_path(index)
        .unwrap_or_default()
        .iter()
        .filter(|step| graph.role(step.package) != PackageRole::Synthetic)
        .map(|step| graph.package(step.package).name.to_string())
        .collect()
}

fn review_upgrade_fix(graph: &Graph, index: usize, version: Option<String>, fallback: &str) -> Fix {
    let name = graph.package(index).name.to_string();
    let wanted = version.as_ref().map_or_else(
        || format!("`{name}` with {fallback}"),
        |version| format!("`{name}>={version}`"),
    );
    let path = review_path(graph, index);
    match path.as_slice() {
        [] | [_] => Fix {
            description: format!("request {wanted} instead"),
            command: version
                .as_ref()
                .map(|version| format!("pyaudit review '{name}>={version}'")),
            version,
        },
        [.., parent, _] => {
            let top = &path[0];
            let via = path.join(" -> ");
            let alongside = if path.len() == 2 {
                String::new()
            } else {
                format!(", or a version of `{top}` that leads to it")
            };
            Fix {
                description: format!(
                    "`{name}` comes in through {via}: a version of `{parent}` that requires \
                     {wanted}{alongside}; or pin {wanted} alongside `{top}` when adding it"
                ),
                command: None,
                version,
            }
        }
    }
}

fn review_removal_fix(graph: &Graph, index: usize, what: &str) -> Fix {
    let name = graph.package(index).name.to_string();
    let path = review_path(graph, index);
    let description = match path.as_slice() {
        [] | [_] => format!("{what} `{name}`: it is the package under review, so consider another"),
        [.., parent, _] => format!(
            "{what} `{name}`: it comes in through {}, so a version of `{parent}` that does not \
             require it, or another package than `{}`",
            path.join(" -> "),
            path[0]
        ),
    };
    Fix {
        version: None,
        description,
        command: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::resolve;

    /// A review closure a -> b -> c, built from plain lockfile data.
    fn closure() -> Graph {
        use std::collections::BTreeMap;
        use std::str::FromStr;

        use crate::lockfile::{Dependency, LockedPackage, Lockfile, Source};
        let package =
            |name: &str, version: Option<&str>, role, dependencies: Vec<usize>| LockedPackage {
                name: pep508_rs::PackageName::new(name.to_owned()).unwrap(),
                version: version.map(|text| pep440_rs::Version::from_str(text).unwrap()),
                source: Source::Registry { url: None },
                specifier: None,
                role,
                location: None,
                hashes: 0,
                dependencies: dependencies
                    .into_iter()
                    .map(|package| Dependency {
                        package,
                        extras: Vec::new(),
                        marker: None,
                    })
                    .collect(),
                optional_dependencies: BTreeMap::new(),
                dependency_groups: BTreeMap::new(),
            };
        Graph::build(Lockfile {
            path: "review of a".into(),
            kind: LockfileKind::Requirements,
            packages: vec![
                package(resolve::ROOT_NAME, None, PackageRole::Synthetic, vec![1]),
                package("a", Some("1.0"), PackageRole::Package, vec![2]),
                package("b", Some("2.0"), PackageRole::Package, vec![3]),
                package("c", Some("3.0"), PackageRole::Package, vec![]),
            ],
            roots: vec![0],
            warnings: Vec::new(),
            options: Vec::new(),
            unread: Vec::new(),
        })
    }

    #[test]
    fn review_fixes_say_what_to_request_and_through_what() {
        let graph = closure();
        let fix = upgrade_fix(&graph, 1, Some("1.2".into()), "x", FixStyle::Review);
        assert_eq!(fix.description, "request `a>=1.2` instead");
        assert_eq!(fix.command.as_deref(), Some("pyaudit review 'a>=1.2'"));

        let fix = upgrade_fix(&graph, 3, Some("3.1".into()), "x", FixStyle::Review);
        assert_eq!(
            fix.description,
            "`c` comes in through a -> b -> c: a version of `b` that requires `c>=3.1`, or a \
             version of `a` that leads to it; or pin `c>=3.1` alongside `a` when adding it"
        );
        assert_eq!(fix.command, None);
        assert_eq!(fix.version.as_deref(), Some("3.1"));

        let fix = upgrade_fix(&graph, 2, None, "a version without it", FixStyle::Review);
        assert_eq!(
            fix.description,
            "`b` comes in through a -> b: a version of `a` that requires `b` with a version \
             without it; or pin `b` with a version without it alongside `a` when adding it"
        );

        let fix = removal_fix(&graph, 1, "replace", FixStyle::Review);
        assert!(fix.description.contains("package under review"), "{fix:?}");
        let fix = removal_fix(&graph, 3, "replace", FixStyle::Review);
        assert_eq!(
            fix.description,
            "replace `c`: it comes in through a -> b -> c, so a version of `b` that does not \
             require it, or another package than `a`"
        );
        assert_eq!(fix.command, None);

        // The lock style is unchanged: the lock's own tool.
        let fix = upgrade_fix(&graph, 3, Some("3.1".into()), "x", FixStyle::Lockfile);
        assert_eq!(
            fix.command.as_deref(),
            Some("pip-compile --upgrade-package c==3.1")
        );
    }
}
