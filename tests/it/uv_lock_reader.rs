//! The uv.lock reader over every real `uv.lock` of `../shared/fixtures/real` when it is beside the
//! repository, else of the corpus subset (`tests/data/corpus`): counts, roots,
//! presence of every package uv itself exports, and package locations.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pyaudit::lockfile::{Lockfile, PackageRole, Source, uv_lock};

use crate::support::corpus;

fn fixtures() -> PathBuf {
    corpus::real_fixtures()
}

/// Every real uv.lock, as (repository folder, path of the lock relative to that folder), and
/// how many there must be at least.
fn real_locks_counted() -> (Vec<(PathBuf, String)>, usize) {
    fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(directory) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.file_name().is_some_and(|name| name == "uv.lock") {
                found.push(path);
            }
        }
    }
    let mut locks = Vec::new();
    let projects = corpus::real_projects();
    let least = if projects.everything { 9 } else { 4 };
    for repository in projects.folders {
        let mut found = Vec::new();
        walk(&repository, &mut found);
        found.sort();
        for lock in found {
            let relative = lock
                .strip_prefix(&repository)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            locks.push((repository.clone(), relative));
        }
    }
    (locks, least)
}

fn real_locks() -> Vec<(PathBuf, String)> {
    real_locks_counted().0
}

fn read(repository: &Path, relative: &str) -> (String, Lockfile) {
    let path = repository.join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    let lockfile = uv_lock::parse(&path, &text)
        .unwrap_or_else(|error| panic!("{} does not parse: {error}", path.display()));
    (text, lockfile)
}

/// `workspace_members=[...]` from the quick stats line of SOURCE.md for this lock.
fn declared_members(repository: &Path, relative: &str) -> Vec<String> {
    let source = std::fs::read_to_string(repository.join("SOURCE.md")).unwrap();
    let line = source
        .lines()
        .find(|line| {
            line.contains(&format!("`{relative}` (")) && line.contains("workspace_members")
        })
        .unwrap_or_else(|| panic!("no stats line for {relative} in SOURCE.md"));
    let (_, rest) = line.split_once("workspace_members=[").unwrap();
    let (list, _) = rest.split_once(']').unwrap();
    list.split(',')
        .map(|member| member.trim().trim_matches('\'').to_string())
        .filter(|member| !member.is_empty())
        .collect()
}

fn has_manifest_root_requirements(text: &str) -> bool {
    text.lines()
        .any(|line| line == "[manifest.dependency-groups]")
        || text
            .lines()
            .any(|line| line.starts_with("requirements = ["))
}

#[test]
fn every_real_lock_is_found() {
    let (locks, least) = real_locks_counted();
    assert!(
        locks.len() >= least,
        "found only {} uv.lock files",
        locks.len()
    );
}

#[test]
fn package_counts_match_the_package_tables() {
    for (repository, relative) in real_locks() {
        let (text, lockfile) = read(&repository, &relative);
        let tables = text.lines().filter(|line| *line == "[[package]]").count();
        let real = lockfile
            .packages
            .iter()
            .filter(|package| package.role != PackageRole::Synthetic)
            .count();
        assert_eq!(real, tables, "{}/{relative}", repository.display());
        assert!(
            lockfile.warnings.is_empty(),
            "{}/{relative}: {:?}",
            repository.display(),
            lockfile.warnings
        );
        let synthetic = lockfile.packages.len() - real;
        assert_eq!(
            synthetic,
            usize::from(has_manifest_root_requirements(&text)),
            "{}/{relative}",
            repository.display()
        );
    }
}

#[test]
fn roots_are_the_workspace_members() {
    for (repository, relative) in real_locks() {
        let (text, lockfile) = read(&repository, &relative);
        let context = format!("{}/{relative}", repository.display());
        let members = declared_members(&repository, &relative);
        let project_roots: Vec<_> = lockfile
            .roots
            .iter()
            .map(|&root| &lockfile.packages[root])
            .filter(|package| package.role == PackageRole::Project)
            .collect();
        if members.is_empty() {
            assert_eq!(project_roots.len(), 1, "{context}");
            assert!(
                matches!(
                    &project_roots[0].source,
                    Source::Editable { path } | Source::Virtual { path } | Source::Directory { path }
                        if path == "."
                ),
                "{context}: root source {:?}",
                project_roots[0].source
            );
        } else {
            let names: BTreeSet<String> = project_roots
                .iter()
                .map(|package| package.name.to_string())
                .collect();
            let expected: BTreeSet<String> = members.into_iter().collect();
            assert_eq!(names, expected, "{context}");
        }
        let synthetic_roots = lockfile
            .roots
            .iter()
            .filter(|&&root| lockfile.packages[root].role == PackageRole::Synthetic)
            .count();
        assert_eq!(
            synthetic_roots,
            usize::from(has_manifest_root_requirements(&text)),
            "{context}"
        );
        // Only roots are projects.
        let projects = lockfile
            .packages
            .iter()
            .filter(|package| package.role == PackageRole::Project)
            .count();
        assert_eq!(projects, project_roots.len(), "{context}");
    }
}

#[test]
fn every_exported_package_is_a_node() {
    for (repository, relative) in real_locks() {
        let (_, lockfile) = read(&repository, &relative);
        let context = format!("{}/{relative}", repository.display());
        let expected_path = repository
            .join("expected")
            .join(format!("{}.json", relative.replace('/', "__")));
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let set = if expected["all"].is_null() {
            &expected["prod_with_extras"]
        } else {
            &expected["all"]
        };
        let pinned: BTreeSet<String> = lockfile
            .packages
            .iter()
            .filter_map(|package| {
                let version = package.version.as_ref()?;
                Some(format!("{}=={version}", package.name))
            })
            .collect();
        let entries = set.as_array().unwrap();
        assert!(!entries.is_empty(), "{context}");
        for entry in entries {
            let entry = entry.as_str().unwrap();
            if let Some((name, _)) = entry.split_once(" @ ") {
                assert!(
                    lockfile
                        .packages
                        .iter()
                        .any(|package| package.name.as_ref() == name
                            && !package.source.is_registry()),
                    "{context}: no non-registry node for {entry}"
                );
            } else {
                assert!(pinned.contains(entry), "{context}: no node for {entry}");
            }
        }
    }
}

#[test]
fn locations_point_at_package_headers() {
    for (repository, relative) in real_locks() {
        let (text, lockfile) = read(&repository, &relative);
        let lines: Vec<&str> = text.lines().collect();
        for package in &lockfile.packages {
            if package.role == PackageRole::Synthetic {
                assert!(package.location.is_none());
                continue;
            }
            let location = package.location.as_ref().expect("location");
            assert_eq!(location.path, repository.join(&relative));
            assert_eq!(lines[location.line - 1], "[[package]]");
            assert_eq!(
                lines[location.line],
                format!("name = \"{}\"", package.name),
                "{}/{relative}:{}",
                repository.display(),
                location.line
            );
        }
    }
}

#[test]
fn forks_and_alternative_indexes_are_distinct_nodes() {
    let repository = fixtures().join("huggingface__text-generation-inference");
    let (_, lockfile) = read(&repository, "server/uv.lock");
    let torch: Vec<_> = lockfile
        .packages
        .iter()
        .filter(|package| package.name.as_ref() == "torch")
        .map(|package| {
            (
                package.version.as_ref().unwrap().to_string(),
                package.source.clone(),
            )
        })
        .collect();
    assert!(torch.contains(&(
        "2.7.0".to_string(),
        Source::Registry {
            url: Some("https://pypi.org/simple".to_string())
        }
    )));
    assert!(torch.contains(&(
        "2.7.0+cu128".to_string(),
        Source::Registry {
            url: Some("https://download.pytorch.org/whl/cu128".to_string())
        }
    )));
}

#[test]
fn git_sources_keep_the_commit() {
    let repository = fixtures().join("modelcontextprotocol__python-sdk");
    let (_, lockfile) = read(&repository, "uv.lock");
    let package = lockfile
        .packages
        .iter()
        .find(|package| package.name.as_ref() == "strict-no-cover")
        .unwrap();
    assert_eq!(
        package.source,
        Source::Git {
            url: "https://github.com/pydantic/strict-no-cover".to_string(),
            reference: Some("7fc59da2c4dff919db2095a0f0e47101b657131d".to_string()),
        }
    );
    assert_eq!(package.hashes, 0);

    // The `?rev=` spelling, in a lock only `../shared` has.
    let Some(shared) = corpus::shared() else {
        return;
    };
    let repository = shared.join("fixtures/real/pydantic__pydantic-ai");
    let (_, lockfile) = read(&repository, "uv.lock");
    let package = lockfile
        .packages
        .iter()
        .find(|package| package.name.as_ref() == "strict-no-cover")
        .unwrap();
    assert_eq!(
        package.source,
        Source::Git {
            url: "https://github.com/pydantic/strict-no-cover.git?rev=7fc59da2c4dff919db2095a0f0e47101b657131d"
                .to_string(),
            reference: Some("7fc59da2c4dff919db2095a0f0e47101b657131d".to_string()),
        }
    );
    assert_eq!(package.hashes, 0);
}

#[test]
fn hashes_are_counted() {
    let repository = fixtures().join("DataDog__guarddog");
    let (_, lockfile) = read(&repository, "uv.lock");
    let boto3 = lockfile
        .packages
        .iter()
        .find(|package| package.name.as_ref() == "boto3")
        .unwrap();
    // One sdist and one wheel, both with a hash.
    assert_eq!(boto3.hashes, 2);
}

// ---------------------------------------------------------------------------------------------
// Revision 5, as uv 0.13 writes it (tests/data/uv-rev5/NOTICE.md): read without a warning, and
// the installed sets equal `uv export` of the same lock.
// ---------------------------------------------------------------------------------------------

fn revision_5_fixture(variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/uv-rev5")
        .join(variant)
}

/// A requirements file from `uv export` as `name==version` / `name @ url` (markers dropped: the
/// classes below are for every environment, as the export is).
fn exported(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let requirement = line.split(" ; ").next().unwrap_or(line).trim();
            match requirement.split_once(" @ ") {
                Some((name, _)) => format!("{name} @ url"),
                None => requirement.to_string(),
            }
        })
        .collect()
}

fn installed(graph: &pyaudit::graph::Graph, scope: pyaudit::graph::Class) -> BTreeSet<String> {
    graph
        .installed(scope)
        .filter(|&index| graph.role(index) == PackageRole::Package)
        .map(|index| {
            let package = graph.package(index);
            match (&package.version, package.source.is_registry()) {
                (Some(version), true) => format!("{}=={version}", package.name),
                _ => format!("{} @ url", package.name),
            }
        })
        .collect()
}

#[test]
fn revision_5_locks_are_read_without_a_warning_and_equal_uv_export() {
    use pyaudit::graph::{Class, Graph};
    for variant in ["default", "metadata-free"] {
        let directory = revision_5_fixture(variant);
        let path = directory.join("uv.lock");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\nrevision = 5\n"),
            "{variant}: not a revision-5 lock"
        );
        let lockfile = uv_lock::parse(&path, &text)
            .unwrap_or_else(|error| panic!("{variant} does not parse: {error}"));
        let warnings: Vec<&str> = lockfile
            .warnings
            .iter()
            .map(|warning| warning.message.as_str())
            .collect();
        assert!(warnings.is_empty(), "{variant}: {warnings:?}");
        let roots: BTreeSet<String> = lockfile
            .roots
            .iter()
            .map(|&root| lockfile.packages[root].name.to_string())
            .collect();
        assert_eq!(
            roots,
            BTreeSet::from(["helper".to_string(), "rev5-app".to_string()]),
            "{variant}"
        );
        let graph = Graph::build(lockfile);
        for (scope, file) in [
            (Class::Prod, "export-prod.txt"),
            (Class::Optional, "export-prod-with-extras.txt"),
            (Class::Dev, "export-all.txt"),
        ] {
            let expected = exported(&directory.join("expected").join(file));
            assert!(expected.len() >= 10, "{variant}/{file} is nearly empty");
            assert_eq!(installed(&graph, scope), expected, "{variant}: {file}");
        }
    }
}

#[test]
fn revision_5_metadata_free_lock_keeps_empty_extras_and_every_group() {
    let directory = revision_5_fixture("metadata-free");
    let path = directory.join("uv.lock");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("[package.metadata]"),
        "not a metadata-free lock"
    );
    let lockfile = uv_lock::parse(&path, &text).unwrap();
    let app = lockfile
        .packages
        .iter()
        .find(|package| package.name.as_ref() == "rev5-app")
        .unwrap();
    assert_eq!(
        app.optional_dependencies.keys().collect::<Vec<_>>(),
        ["cli", "empty"]
    );
    assert!(app.optional_dependencies["empty"].is_empty());
    assert_eq!(
        app.dependency_groups.keys().collect::<Vec<_>>(),
        ["dev", "lint", "typing"]
    );
}
