//! The in-repository test corpus (`tests/data/corpus/`, provenance in its README.md): real
//! lockfiles with their `expected/` results, the synthetic advisory pins, the recorded PyPI answers
//! and the malicious-package sample in `corpus.zip`, and the PyPA advisory database in
//! `tests/data/pypa-advisory-db-2024-10-10.zip`.
//!
//! Both archives are extracted once into Cargo's temporary directory for tests, laid out as the
//! `../shared` directory they were taken from (`fixtures/real/…`, `fixtures/synthetic/…`, `pypi/`,
//! `advisories/pypa/vulns/…`, `advisories/malicious-pypi/…`), so a plain clone runs every test
//! that is not a bulk comparison. The extraction is named by a hash of the archives: a changed
//! archive is extracted afresh, an unchanged one reused across runs.
//!
//! `../shared` itself (all fixtures) is only read by bulk comparisons, through [`shared`], which
//! says on stderr when it is absent.
//!
//! Self-contained (std and `zip` only) so the `advisories` crate's tests include it too.
#![allow(dead_code)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root (this file is compiled into tests of the root crate and of `advisories`).
fn repository() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if manifest.join("tests/data/corpus").is_dir() {
        manifest.to_path_buf()
    } else {
        manifest.parent().unwrap().to_path_buf()
    }
}

/// The archives and where each is extracted to, relative to the corpus root.
fn archives() -> [(PathBuf, &'static str); 2] {
    let data = repository().join("tests/data");
    [
        (data.join("corpus/corpus.zip"), ""),
        (
            data.join("pypa-advisory-db-2024-10-10.zip"),
            "advisories/pypa",
        ),
    ]
}

/// The extracted corpus: the root that `fixtures/`, `pypi/` and `advisories/` are under. It is
/// named `shared`, as the directory the corpus was taken from.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| extract().join("shared"))
}

/// An empty directory beside the extracted corpus: run from here, `../shared/fixtures/…` names a
/// corpus file by the same relative path the `lock` snapshots were recorded with.
pub fn beside() -> PathBuf {
    root().parent().unwrap().join("pyaudit")
}

/// A path inside the extracted corpus, e.g. `fixtures/real/pallets__flask/uv.lock`.
pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// `advisories/pypa`: the PyPA advisory database (2,661 YAML records, 2024-10-10).
pub fn pypa_dir() -> PathBuf {
    path("advisories/pypa")
}

/// `pypi/`: the recorded PyPI answers for 12 projects.
pub fn pypi_dir() -> PathBuf {
    path("pypi")
}

/// `advisories/malicious-pypi`: four real OpenSSF malicious-package records (OSV JSON).
pub fn malicious_dir() -> PathBuf {
    path("advisories/malicious-pypi")
}

/// `fixtures/real`: the curated subset of real projects.
pub fn real_fixtures() -> PathBuf {
    path("fixtures/real")
}

/// `../shared` beside the repository, for bulk comparisons over every fixture; `None`, after
/// saying so on stderr, in a plain clone.
pub fn shared() -> Option<PathBuf> {
    let shared = repository().join("../shared");
    if shared.is_dir() {
        return Some(shared);
    }
    // Once per test process, and straight to the process's stderr: the test harness captures
    // `eprintln!` of passing tests, and a skip must be seen.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: ../shared not present (bulk comparisons cover the in-repo corpus only)"
        );
    });
    None
}

/// The real project folders a bulk comparison goes over.
pub struct RealProjects {
    pub folders: Vec<PathBuf>,
    /// Whether these are all of `../shared/fixtures/real` (else the corpus subset only), for
    /// the counts a comparison expects.
    pub everything: bool,
}

/// Every real project folder to compare: those of `../shared/fixtures/real` when it is there
/// (the corpus holds a subset of them, some folders only in part), else the corpus subset.
pub fn real_projects() -> RealProjects {
    let listed = |directory: &Path| -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = std::fs::read_dir(directory)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|path| path.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        folders.sort();
        folders
    };
    let projects = listed(&real_fixtures());
    assert!(projects.len() >= 10, "the corpus lost its real fixtures");
    let Some(shared) = shared() else {
        return RealProjects {
            folders: projects,
            everything: false,
        };
    };
    let everything = listed(&shared.join("fixtures/real"));
    assert!(
        projects.iter().all(|ours| everything
            .iter()
            .any(|theirs| theirs.file_name() == ours.file_name())),
        "the corpus's projects come from ../shared"
    );
    RealProjects {
        folders: everything,
        everything: true,
    }
}

fn extract() -> PathBuf {
    let archives = archives();
    let mut hasher = DefaultHasher::new();
    for (archive, _) in &archives {
        std::fs::read(archive)
            .unwrap_or_else(|error| panic!("{}: {error}", archive.display()))
            .hash(&mut hasher);
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let target = base.join(format!("{:016x}", hasher.finish()));
    if target.is_dir() {
        return target;
    }
    // Extract beside the target and rename into place: a concurrent test process either wins
    // the rename or finds the complete directory; a half-written one is never seen.
    let staging = base.join(format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    for (archive, under) in &archives {
        let file = std::fs::File::open(archive).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).unwrap();
        zip.extract(staging.join("shared").join(under))
            .unwrap_or_else(|error| panic!("{}: {error}", archive.display()));
    }
    std::fs::create_dir_all(staging.join("pyaudit")).unwrap();
    if std::fs::rename(&staging, &target).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        assert!(target.is_dir(), "could not extract the corpus");
    }
    target
}

/// `path` relative to the current directory (`..` where needed), so reports that print the
/// paths they were given show relative locations, as when pyaudit runs inside a repository.
pub fn relative_to_current_dir(path: &Path) -> String {
    let from = std::env::current_dir().unwrap().canonicalize().unwrap();
    let to = path.canonicalize().unwrap();
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in common..from.components().count() {
        relative.push("..");
    }
    for component in to.components().skip(common) {
        relative.push(component);
    }
    relative.to_string_lossy().replace('\\', "/")
}
