//! The poetry.lock reader over the real lockfiles (all five of `../shared/fixtures/real` are in the
//! in-repo corpus, `tests/data/corpus`): every file parses,
//! every `[[package]]` entry becomes a package, and the sets `poetry export` produced
//! (`expected/poetry.lock.json`) are reachable from the root.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use pyaudit::lockfile::{Lockfile, PackageRole, Source, read_lockfile};

use crate::support::corpus;

fn fixtures() -> PathBuf {
    corpus::real_fixtures()
}

/// Every poetry.lock under the fixtures, with its folder-relative name.
fn poetry_locks() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![fixtures()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.file_name().is_some_and(|name| name != "expected") {
                pending.push(path);
            } else if path.file_name().is_some_and(|name| name == "poetry.lock") {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(
        found.len() >= 5,
        "expected the five poetry.lock fixtures, found {found:?}"
    );
    found
}

fn expected_file(lock: &Path) -> Option<PathBuf> {
    // `<folder>/expected/<relative path with / as __>.json`
    let fixtures = fixtures();
    let relative = lock.strip_prefix(&fixtures).ok()?;
    let mut components = relative.components();
    let folder = components.next()?.as_os_str().to_str()?.to_string();
    let rest: Vec<&str> = components
        .map(|component| component.as_os_str().to_str().unwrap_or_default())
        .collect();
    let path = fixtures
        .join(folder)
        .join("expected")
        .join(format!("{}.json", rest.join("__")));
    path.is_file().then_some(path)
}

fn package_entries(text: &str) -> usize {
    text.lines()
        .filter(|line| line.trim() == "[[package]]")
        .count()
}

/// `name==version`, or `name @ url` for packages not from a registry (as the expected files spell
/// them).
fn label(lock: &Lockfile, index: usize) -> String {
    let package = &lock.packages[index];
    match &package.source {
        Source::Registry { .. } => format!(
            "{}=={}",
            package.name,
            package
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        _ => format!("{} @ url", package.name),
    }
}

/// The packages reachable from the roots, following the semantics the graph uses: (package, extra)
/// states; roots' main dependencies, then optionally their extras and groups; an edge's extras
/// activate the target's `optional_dependencies`.
fn reachable(lock: &Lockfile, with_extras: bool, with_groups: bool) -> BTreeSet<String> {
    let mut seen: BTreeSet<(usize, Option<String>)> = BTreeSet::new();
    let mut queue: VecDeque<(usize, Option<String>)> = VecDeque::new();
    let mut push = |queue: &mut VecDeque<_>, state: (usize, Option<String>)| {
        if seen.insert(state.clone()) {
            queue.push_back(state);
        }
    };
    for &root in &lock.roots {
        let package = &lock.packages[root];
        let mut edges: Vec<_> = package.dependencies.iter().collect();
        if with_extras {
            edges.extend(package.optional_dependencies.values().flatten());
        }
        if with_groups {
            edges.extend(package.dependency_groups.values().flatten());
        }
        for edge in edges {
            push(&mut queue, (edge.package, None));
            for extra in &edge.extras {
                push(&mut queue, (edge.package, Some(extra.clone())));
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some((index, extra)) = queue.pop_front() {
        reached.insert(index);
        let package = &lock.packages[index];
        let edges: Vec<_> = match &extra {
            None => package.dependencies.iter().collect(),
            Some(extra) => package
                .optional_dependencies
                .get(extra)
                .into_iter()
                .flatten()
                .collect(),
        };
        for edge in edges {
            push(&mut queue, (edge.package, None));
            for extra in &edge.extras {
                push(&mut queue, (edge.package, Some(extra.clone())));
            }
        }
    }
    reached
        .into_iter()
        .filter(|&index| lock.packages[index].role == PackageRole::Package)
        .map(|index| label(lock, index))
        .collect()
}

fn expected_sets(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sets = BTreeMap::new();
    for key in ["prod", "prod_with_extras", "all"] {
        if let Some(list) = value.get(key).and_then(|list| list.as_array()) {
            sets.insert(
                key.to_string(),
                list.iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
            );
        }
    }
    sets
}

#[test]
fn every_real_poetry_lock_parses_with_every_entry() {
    for path in poetry_locks() {
        let lock = read_lockfile(&path).unwrap_or_else(|error| panic!("{error}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let packages = lock
            .packages
            .iter()
            .filter(|package| package.role == PackageRole::Package)
            .count();
        assert_eq!(packages, package_entries(&text), "{}", path.display());
        assert_eq!(lock.roots.len(), 1);
        let root = &lock.packages[lock.roots[0]];
        assert_eq!(root.role, PackageRole::Synthetic);
        // Every entry points at its own `[[package]]` line.
        let lines: Vec<&str> = text.lines().collect();
        for package in lock
            .packages
            .iter()
            .filter(|package| package.role == PackageRole::Package)
        {
            let line = package.location.as_ref().unwrap().line;
            assert_eq!(lines[line - 1].trim(), "[[package]]", "{}", path.display());
            let name_line = lines[line..]
                .iter()
                .find(|line| line.starts_with("name = "));
            let written = name_line
                .unwrap()
                .trim_start_matches("name = ")
                .trim_matches('"');
            assert_eq!(
                pyaudit::lockfile::package_name(written).unwrap(),
                package.name,
                "{}",
                path.display()
            );
        }
        // No lock falls back to its own classification: each has a pyproject beside it.
        assert!(
            !lock
                .warnings
                .iter()
                .any(|warning| warning.message.contains("no usable")),
            "{}: {:?}",
            path.display(),
            lock.warnings
        );
    }
}

#[test]
fn export_sets_are_reachable() {
    let mut compared = 0;
    for path in poetry_locks() {
        let Some(expected) = expected_file(&path) else {
            continue;
        };
        let lock = read_lockfile(&path).unwrap();
        let sets = expected_sets(&expected);
        let all: BTreeSet<String> = lock
            .packages
            .iter()
            .enumerate()
            .filter(|(_, package)| package.role == PackageRole::Package)
            .map(|(index, _)| label(&lock, index))
            .collect();
        for item in &sets["all"] {
            assert!(all.contains(item), "{}: `{item}` not read", path.display());
        }
        for (key, with_extras, with_groups) in [
            ("prod", false, false),
            ("prod_with_extras", true, false),
            ("all", true, true),
        ] {
            let got = reachable(&lock, with_extras, with_groups);
            let want = &sets[key];
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(want).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{} {key}: missing {missing:?}, unexpected {extra:?}",
                path.display()
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 3, "rich, guarddog and poetry have expected files");
}

fn read_fixture(relative: &str) -> Lockfile {
    read_lockfile(&fixtures().join(relative)).unwrap()
}

fn group_names(lock: &Lockfile) -> Vec<String> {
    lock.packages[lock.roots[0]]
        .dependency_groups
        .keys()
        .cloned()
        .collect()
}

#[test]
fn pyproject_groups_and_extras_are_found() {
    let rich = read_fixture("Textualize__rich/poetry.lock");
    assert_eq!(group_names(&rich), ["dev"]);
    let root = &rich.packages[rich.roots[0]];
    assert_eq!(root.name.as_ref(), "rich");
    assert_eq!(
        root.version.as_ref().map(ToString::to_string).as_deref(),
        Some("13.3.5")
    );
    assert_eq!(
        root.optional_dependencies.keys().collect::<Vec<_>>(),
        ["jupyter"]
    );

    let poetry = read_fixture("python-poetry__poetry/poetry.lock");
    assert_eq!(
        group_names(&poetry),
        ["dev", "github-actions", "test", "typing"]
    );

    let guarddog = read_fixture("DataDog__guarddog/poetry.lock");
    assert_eq!(group_names(&guarddog), ["dev"]);
    let root = &guarddog.packages[guarddog.roots[0]];
    assert_eq!(root.name.as_ref(), "guarddog");
    assert_eq!(root.dependencies.len(), 18);

    let powertools = read_fixture("aws-powertools__powertools-lambda-python/poetry.lock");
    assert_eq!(group_names(&powertools), ["dev"]);
    let root = &powertools.packages[powertools.roots[0]];
    assert_eq!(root.optional_dependencies.len(), 8);

    let gaudi =
        read_fixture("huggingface__text-generation-inference/backends/gaudi/server/poetry.lock");
    assert_eq!(group_names(&gaudi), ["dev"]);
}

fn stale_warnings(lock: &Lockfile) -> Vec<String> {
    lock.warnings
        .iter()
        .filter(|warning| warning.message.contains("stale"))
        .map(ToString::to_string)
        .collect()
}

#[test]
fn stale_locks_are_read_with_a_warning() {
    // The gaudi lock predates its pyproject: transformers and accelerate were raised since.
    let gaudi =
        read_fixture("huggingface__text-generation-inference/backends/gaudi/server/poetry.lock");
    let stale = stale_warnings(&gaudi);
    assert!(
        stale
            .iter()
            .any(|warning| warning.contains("`transformers`")),
        "{stale:?}"
    );
    assert!(
        stale.iter().any(|warning| warning.contains("`accelerate`")),
        "{stale:?}"
    );
    // …and `torch` was pruned by hand: edges to it are skipped with a warning.
    assert!(
        gaudi
            .warnings
            .iter()
            .any(|warning| warning.message.contains("`torch` is required by")),
        "{:?}",
        gaudi.warnings
    );

    // Fresh locks say nothing about staleness. powertools declares `typed-ast` for Python < 3.8,
    // which Poetry rightly leaves out of a `>=3.8` lock.
    for relative in [
        "Textualize__rich/poetry.lock",
        "DataDog__guarddog/poetry.lock",
        "python-poetry__poetry/poetry.lock",
        "aws-powertools__powertools-lambda-python/poetry.lock",
    ] {
        let lock = read_fixture(relative);
        assert!(
            stale_warnings(&lock).is_empty(),
            "{relative}: {:?}",
            lock.warnings
        );
    }
}

#[test]
#[ignore = "prints the warnings of every fixture, for review"]
fn print_warnings() {
    for path in poetry_locks() {
        let lock = read_lockfile(&path).unwrap();
        println!("== {}", path.display());
        for warning in &lock.warnings {
            println!("  {warning}");
        }
    }
}
