//! Real lockfiles from public projects against what the tools that own each format say: for every
//! uv.lock / poetry.lock with an `expected/` file, the prod, prod-with-extras and all sets (as
//! `name==version`, or `name @ url` for non-registry sources) must equal `uv export` /
//! `poetry export` exactly. Every fixture of `../shared/fixtures/real` when it is beside the
//! repository, else the corpus subset (`tests/data/corpus`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pyaudit::graph::{Class, Graph};
use pyaudit::lockfile::{PackageRole, read_lockfile};

use crate::support::corpus;

struct Expected {
    lockfile: PathBuf,
    prod: BTreeSet<String>,
    prod_with_extras: BTreeSet<String>,
    all: Option<BTreeSet<String>>,
}

/// The expectations, and how many there must be at least.
fn lock_expectations() -> (Vec<Expected>, usize) {
    let mut found = Vec::new();
    let projects = corpus::real_projects();
    let least = if projects.everything { 12 } else { 7 };
    for project in projects.folders {
        let Ok(entries) = std::fs::read_dir(project.join("expected")) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|entry| entry.path()).collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".advisories.json") {
                continue;
            }
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let format = json["format"].as_str().unwrap();
            if format != "uv.lock" && format != "poetry.lock" {
                continue;
            }
            let set = |key: &str| -> Option<BTreeSet<String>> {
                json[key].as_array().map(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().unwrap().to_string())
                        .collect()
                })
            };
            found.push(Expected {
                lockfile: project.join(json["lockfile"].as_str().unwrap()),
                prod: set("prod").unwrap(),
                prod_with_extras: set("prod_with_extras").unwrap(),
                all: set("all"),
            });
        }
    }
    (found, least)
}

fn installed(graph: &Graph, scope: Class) -> BTreeSet<String> {
    graph
        .installed(scope)
        .filter(|&index| graph.role(index) == PackageRole::Package)
        .map(|index| {
            let package = graph.package(index);
            match (&package.version, package.source.is_registry()) {
                (Some(version), true) => format!("{}=={}", package.name, version),
                _ => format!("{} @ url", package.name),
            }
        })
        .collect()
}

fn compare(
    label: &str,
    lockfile: &Path,
    actual: &BTreeSet<String>,
    expected: &BTreeSet<String>,
) -> Option<String> {
    if actual == expected {
        return None;
    }
    let missing: Vec<_> = expected.difference(actual).collect();
    let extra: Vec<_> = actual.difference(expected).collect();
    Some(format!(
        "{} {label}: missing {missing:?}, unexpected {extra:?}",
        lockfile.display()
    ))
}

#[test]
fn lock_sets_equal_the_owning_tools_export() {
    let (expectations, least) = lock_expectations();
    assert!(
        expectations.len() >= least,
        "found {} expected files",
        expectations.len()
    );
    let mut failures = Vec::new();
    for expected in &expectations {
        let lockfile = match read_lockfile(&expected.lockfile) {
            Ok(lockfile) => lockfile,
            Err(error) => {
                failures.push(format!("{}: {error}", expected.lockfile.display()));
                continue;
            }
        };
        let graph = Graph::build(lockfile);
        let path = &expected.lockfile;
        failures.extend(compare(
            "prod",
            path,
            &installed(&graph, Class::Prod),
            &expected.prod,
        ));
        failures.extend(compare(
            "prod_with_extras",
            path,
            &installed(&graph, Class::Optional),
            &expected.prod_with_extras,
        ));
        if let Some(all) = &expected.all {
            failures.extend(compare("all", path, &installed(&graph, Class::Dev), all));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
