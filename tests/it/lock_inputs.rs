//! The lock inputs beyond uv.lock, poetry.lock and requirements files: PEP 751 `pylock.toml`,
//! `pdm.lock`, `Pipfile.lock`, and installed environments (`pyaudit lock --installed`).
//!
//! Real locks made by the tools themselves (tests/data/inputs/<tool>/<project>/, with the
//! commands in each COMMANDS.md) are compared with what the owning tool says it would install
//! (`uv export`, `pip install --dry-run --report`, `pdm export`, `pipenv requirements`). The
//! installed-environment test builds its own wheels and installs them into a fresh venv with
//! `pip --no-index`; it is skipped, saying so, where `python3` is missing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use pyaudit::graph::{Class, Graph};
use pyaudit::lockfile::{LockfileKind, PackageRole, Source, read_lockfile};
use serde_json::Value;

fn inputs(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/inputs")
        .join(relative)
}

fn pyaudit(cache: &Path) -> Command {
    crate::support::command::Hermetic::new(cache)
        .now("2026-12-07")
        .command()
}

fn normalize(name: &str) -> String {
    let mut normalized = String::new();
    for character in name.trim().chars() {
        if matches!(character, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(character.to_ascii_lowercase());
        }
    }
    normalized
}

/// `name==version` for registry packages, `name @ url` for every other source: the form both
/// sides are brought to.
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

/// A requirements export (`uv export`, `pdm export`, `pipenv requirements`) as the same set.
/// The project itself (`-e .`) is left out: it is the root, not a package.
fn exported(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut set = BTreeSet::new();
    for line in text.lines() {
        let line = line
            .split(" ;")
            .next()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim();
        let line = line.trim_end_matches('\\').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        if let Some(url) = line
            .strip_prefix("https://")
            .or_else(|| line.strip_prefix("file://"))
        {
            // A bare wheel URL: the name is the file name's first part.
            let file = url.rsplit('/').next().unwrap();
            set.insert(format!(
                "{} @ url",
                normalize(file.split('-').next().unwrap())
            ));
            continue;
        }
        if let Some((name, _)) = line.split_once(" @ ") {
            set.insert(format!("{} @ url", normalize(name)));
            continue;
        }
        let (name, version) = line.split_once("==").expect("pinned");
        let name = name.split('[').next().unwrap();
        set.insert(format!("{}=={}", normalize(name), version.trim()));
    }
    set
}

/// `pip install --dry-run --report` as the same set.
fn pip_report(path: &Path) -> BTreeSet<String> {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    report["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let name = normalize(item["metadata"]["name"].as_str().unwrap());
            if item.get("is_direct").and_then(Value::as_bool) == Some(true) {
                format!("{name} @ url")
            } else {
                format!("{name}=={}", item["metadata"]["version"].as_str().unwrap())
            }
        })
        .collect()
}

fn graph(relative: &str) -> Graph {
    let path = inputs(relative);
    let lockfile = read_lockfile(&path).unwrap_or_else(|error| panic!("{relative}: {error}"));
    Graph::build(lockfile)
}

fn assert_same(what: &str, ours: BTreeSet<String>, theirs: BTreeSet<String>) {
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: pyaudit lacks {missing:?} and has {extra:?} beyond the tool's view"
    );
    assert!(!ours.is_empty(), "{what}: nothing compared");
}

#[test]
fn pylock_from_uv_export_matches_uv_export() {
    let prod = graph("uv/flask/pylock.toml");
    assert_eq!(prod.lockfile.kind, LockfileKind::Pylock);
    // uv writes the project itself as `directory = { path = "." }`: it is the root.
    let root = prod.roots()[0];
    assert_eq!(prod.package(root).name.as_ref(), "flask");
    assert_eq!(prod.role(root), PackageRole::Project);
    assert_same(
        "uv/flask pylock.toml (uv export --no-dev)",
        installed(&prod, Class::Dev),
        exported(&inputs("uv/flask/expected-prod.txt")),
    );
    let all = graph("uv/flask/pylock.all.toml");
    assert_same(
        "uv/flask pylock.all.toml (uv export --all-extras --all-groups)",
        installed(&all, Class::Dev),
        exported(&inputs("uv/flask/expected-all.txt")),
    );
}

#[test]
fn pylock_from_pip_lock_matches_pip_install_report() {
    for project in ["pip/flask", "pip/sources"] {
        let lock = graph(&format!("{project}/pylock.toml"));
        assert_same(
            project,
            installed(&lock, Class::Prod),
            pip_report(&inputs(&format!("{project}/pip-install-report.json"))),
        );
    }
    // The archive and the directory are the source kinds the source rules know.
    let lock = graph("pip/sources/pylock.toml");
    let kinds: BTreeSet<(String, &str)> = lock
        .packages()
        .iter()
        .filter(|package| package.role == PackageRole::Package)
        .map(|package| (package.name.to_string(), package.source.kind()))
        .collect();
    assert!(kinds.contains(&("six".to_string(), "url")), "{kinds:?}");
    assert!(
        kinds.contains(&("localpkg".to_string(), "directory")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("idna".to_string(), "registry")),
        "{kinds:?}"
    );
    // pip records a hash for every wheel it locks.
    assert!(lock.packages().iter().any(|package| package.hashes > 0));
}

#[test]
fn pylock_from_pdm_export_matches_pdm_export() {
    let lock = graph("pdm/uvicorn/pylock.toml");
    assert_same(
        "pdm/uvicorn pylock.toml",
        installed(&lock, Class::Dev),
        exported(&inputs("pdm/uvicorn/expected-all.txt")),
    );
}

#[test]
fn pdm_lock_classes_match_pdm_export() {
    // The inherit_metadata lock, and a static_urls lock without it (pdm cannot export that one;
    // it resolved the same pyproject at the same time, so the same export is its view).
    for project in ["pdm/uvicorn", "pdm/uvicorn-static"] {
        let lock = graph(&format!("{project}/pdm.lock"));
        assert_eq!(lock.lockfile.kind, LockfileKind::PdmLock);
        assert_same(
            &format!("{project} prod"),
            installed(&lock, Class::Prod),
            exported(&inputs("pdm/uvicorn/expected-prod.txt")),
        );
        assert_same(
            &format!("{project} prod with extras"),
            installed(&lock, Class::Optional),
            exported(&inputs("pdm/uvicorn/expected-prod-with-extras.txt")),
        );
        assert_same(
            &format!("{project} all"),
            installed(&lock, Class::Dev),
            exported(&inputs("pdm/uvicorn/expected-all.txt")),
        );
        // Edges come from the lock: click pulls colorama in.
        let click = lock.find("click")[0];
        let colorama = lock.find("colorama")[0];
        assert!(
            lock.package(click)
                .dependencies
                .iter()
                .any(|edge| edge.package == colorama)
        );
    }
}

#[test]
fn pipfile_lock_sections_match_pipenv_requirements() {
    let lock = graph("pipenv/demo/Pipfile.lock");
    assert_eq!(lock.lockfile.kind, LockfileKind::PipfileLock);
    assert_same(
        "pipenv default",
        installed(&lock, Class::Prod),
        exported(&inputs("pipenv/demo/expected-default.txt")),
    );
    assert_same(
        "pipenv default + develop",
        installed(&lock, Class::Dev),
        exported(&inputs("pipenv/demo/expected-all.txt")),
    );
    let pytest = lock.find("pytest")[0];
    assert_eq!(lock.classes[pytest], Class::Dev);
}

#[test]
fn graph_command_reads_every_new_format() {
    let cache = tempfile::tempdir().unwrap();
    for (relative, kind) in [
        ("uv/flask/pylock.all.toml", "pylock.toml"),
        ("pdm/uvicorn/pdm.lock", "pdm.lock"),
        ("pipenv/demo/Pipfile.lock", "Pipfile.lock"),
    ] {
        let output = pyaudit(cache.path())
            .args(["graph", "--format", "json"])
            .arg(inputs(relative))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{relative}");
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            json.to_string().contains(kind),
            "{relative}: the graph names its format"
        );
    }
    let output = pyaudit(cache.path())
        .args(["why", "colorama"])
        .arg(inputs("pdm/uvicorn/pdm.lock"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("click"));
}

#[test]
fn directories_and_org_discovery_find_the_new_locks() {
    let found = pyaudit::lockfile::discover(&inputs("uv/flask")).unwrap();
    let names: Vec<_> = found
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["pylock.all.toml", "pylock.toml"]);
    for (directory, expected) in [
        ("pdm/uvicorn", "pdm.lock"),
        ("pipenv/demo", "Pipfile.lock"),
        ("pip/flask", "pylock.toml"),
    ] {
        let found = pyaudit::org::discover::lockfiles_in(&inputs(directory));
        assert_eq!(found.len(), 1, "{directory}: {found:?}");
        assert!(found[0].ends_with(expected), "{directory}: {found:?}");
    }
}

#[test]
fn malformed_new_formats_exit_2_naming_file_and_line() {
    let directory = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cases = [
        (
            "pylock.toml",
            "lock-version = \"1.0\"\n\n[[packages]]\nname = \"a\"\nversion = \"one\"\n",
            ":5:",
        ),
        ("pylock.toml", "lock-version = \"9.0\"\n", ":1:"),
        (
            "pdm.lock",
            "[metadata]\nlock_version = \"4.5.0\"\n\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b >=< 2\"]\n",
            ":7:",
        ),
        (
            "Pipfile.lock",
            "{\n  \"_meta\": {},\n  \"default\": {\n    \"a\": {\"version\": 3}\n  }\n}\n",
            ":4:",
        ),
    ];
    for (name, text, line) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = pyaudit(cache.path())
            .args(["lock", "--offline", "--no-usage"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}{line}")),
            "{name}: expected `{name}{line}` in {stderr}"
        );
    } // An installed distribution whose METADATA has no valid version.
    let info = directory.path().join("site/demo-1.0.dist-info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(info.join("METADATA"), "Name: demo\nVersion: x y\n").unwrap();
    let output = pyaudit(cache.path())
        .args(["lock", "--offline", "--no-usage", "--installed"])
        .arg(directory.path().join("site"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("demo-1.0.dist-info/METADATA:2"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// An installed environment, made by the test.

fn python() -> Option<PathBuf> {
    let found = Process::new("python3").arg("--version").output().ok()?;
    found.status.success().then(|| PathBuf::from("python3"))
}

/// A minimal wheel: the module, METADATA, WHEEL and RECORD (without hashes; pip writes its own
/// RECORD on install).
fn write_wheel(directory: &Path, name: &str, version: &str, requires: &[&str]) -> PathBuf {
    let file = directory.join(format!("{name}-{version}-py3-none-any.whl"));
    let mut archive = zip::ZipWriter::new(std::fs::File::create(&file).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let info = format!("{name}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let files = [
        (format!("{name}/__init__.py"), String::new()),
        (format!("{info}/METADATA"), metadata),
        (
            format!("{info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: pyaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_string(),
        ),
    ];
    let mut record = String::new();
    for (path, text) in &files {
        archive.start_file(path.as_str(), options).unwrap();
        archive.write_all(text.as_bytes()).unwrap();
        record.push_str(&format!("{path},,\n"));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    archive
        .start_file(format!("{info}/RECORD"), options)
        .unwrap();
    archive.write_all(record.as_bytes()).unwrap();
    archive.finish().unwrap();
    file
}

/// A project with an in-tree PEP 517/660 backend (standard library only), so `pip install -e`
/// works with `--no-index`.
fn write_editable_project(directory: &Path) {
    std::fs::create_dir_all(directory).unwrap();
    std::fs::write(
        directory.join("pyproject.toml"),
        "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n",
    )
    .unwrap();
    std::fs::write(
        directory.join("backend.py"),
        r#"import os, zipfile
DIST = "localapp-0.3.0"
WHEEL = "Wheel-Version: 1.0\nGenerator: pyaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
METADATA = "Metadata-Version: 2.1\nName: localapp\nVersion: 0.3.0\nRequires-Dist: alpha\n"

def _write(directory, files):
    name = DIST + "-py3-none-any.whl"
    files[DIST + ".dist-info/METADATA"] = METADATA
    files[DIST + ".dist-info/WHEEL"] = WHEEL
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(DIST + ".dist-info/RECORD", "".join(p + ",,\n" for p in files) + DIST + ".dist-info/RECORD,,\n")
    return name

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write(wheel_directory, {"localapp/__init__.py": ""})

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write(wheel_directory, {"localapp.pth": os.path.dirname(os.path.abspath(__file__)) + "\n"})

def get_requires_for_build_wheel(config_settings=None):
    return []

def get_requires_for_build_editable(config_settings=None):
    return []
"#,
    )
    .unwrap();
}

fn run(command: &mut Process) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn installed_environment_against_its_lock() {
    let Some(python) = python() else {
        eprintln!("skipped: python3 is not available to make a virtual environment");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let wheels = work.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    write_wheel(
        &wheels,
        "alpha",
        "1.0",
        &["beta>=1", "absent-extra-dep; extra == 'x'"],
    );
    write_wheel(&wheels, "beta", "2.0", &[]);
    write_wheel(&wheels, "devtool", "1.0", &[]);
    write_wheel(&wheels, "stray", "0.1", &["missing-dep"]);
    let urls = work.path().join("direct");
    std::fs::create_dir_all(&urls).unwrap();
    let gamma = write_wheel(&urls, "gamma", "1.0", &[]);
    let project = work.path().join("project");
    write_editable_project(&project);

    let venv = work.path().join("venv");
    // The venv's own pip (ensurepip installs it from the wheel bundled with Python, offline).
    let made = Process::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    if !made.status.success() {
        eprintln!(
            "skipped: python3 cannot make a virtual environment with pip: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        return;
    }
    let pip = |arguments: &[&str]| {
        let mut command = Process::new(venv.join("bin/python"));
        command
            .args(["-m", "pip", "--disable-pip-version-check", "--no-input"])
            .args(["install", "--no-index", "--find-links"])
            .arg(&wheels)
            .args(arguments)
            .env("PIP_NO_CACHE_DIR", "1");
        command
    };
    run(&mut pip(&["alpha", "devtool"]));
    // A broken environment: installed without the dependency it declares.
    run(&mut pip(&["--no-deps", "stray"]));
    run(&mut pip(&["-e", project.to_str().unwrap()]));
    run(&mut pip(&[&format!("gamma @ file://{}", gamma.display())]));
    let site = pyaudit::lockfile::installed::site_directories(&venv.canonicalize().unwrap());
    assert_eq!(site.len(), 1, "{site:?}");
    std::fs::remove_file(site[0].join("stray-0.1.dist-info/RECORD")).unwrap();

    // The reader: sources, edges, and what it says about the odd ones.
    let lockfile = pyaudit::lockfile::installed::read(&venv).unwrap();
    let warnings: Vec<String> = lockfile.warnings.iter().map(ToString::to_string).collect();
    let graph = Graph::build(lockfile);
    let source = |name: &str| graph.package(graph.find(name)[0]).source.clone();
    assert!(matches!(source("localapp"), Source::Editable { path } if path.ends_with("project")));
    assert!(
        matches!(source("gamma"), Source::Path { path } if path.ends_with("gamma-1.0-py3-none-any.whl"))
    );
    assert_eq!(source("beta"), Source::Registry { url: None });
    let alpha = graph.find("alpha")[0];
    let beta = graph.find("beta")[0];
    assert!(
        graph
            .package(alpha)
            .dependencies
            .iter()
            .any(|edge| edge.package == beta)
    );
    assert!(!graph.is_root(beta) && graph.classes[beta] == Class::Prod);
    assert!(
        warnings.iter().any(|warning| warning.contains("stray-0.1.dist-info") && warning.contains("no RECORD")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("requires `missing-dep`, which is not installed")),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|warning| warning.contains("absent-extra-dep")),
        "an extra that was not installed is no warning: {warnings:?}"
    );
    assert_eq!(graph.package(beta).hashes, 1, "pip's RECORD has hashes");

    // Against the lock: what ships that the lock does not explain.
    let lock = work.path().join("pylock.toml");
    std::fs::write(
        &lock,
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n\
         [[packages]]\nname = \"localapp\"\ndirectory = { path = \".\", editable = true }\n\n\
         [[packages]]\nname = \"alpha\"\nversion = \"1.0\"\nindex = \"https://pypi.org/simple\"\n\n\
         [[packages]]\nname = \"beta\"\nversion = \"1.5\"\nindex = \"https://pypi.org/simple\"\n\n\
         [[packages]]\nname = \"gamma\"\nversion = \"1.0\"\narchive = { path = \"direct/gamma-1.0-py3-none-any.whl\" }\n\n\
         [[packages]]\nname = \"devtool\"\nversion = \"1.0\"\nmarker = \"'dev' in dependency_groups\"\nindex = \"https://pypi.org/simple\"\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    // Some local advisory data, so the offline audit runs (it is partial: PA001 besides).
    let imported = pyaudit(cache.path())
        .args(["db", "import"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/advisories"))
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let output = pyaudit(cache.path())
        .current_dir(work.path())
        .args([
            "lock",
            "--offline",
            "--no-usage",
            "--format",
            "json",
            "--installed",
        ])
        .arg(&venv)
        .arg("--against")
        .arg(&lock)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    let findings: BTreeSet<(String, String)> = json["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|report| report["findings"].as_array().unwrap())
        .filter(|finding| finding["code"].as_str().unwrap().starts_with("PA7"))
        .map(|finding| {
            (
                finding["code"].as_str().unwrap().to_string(),
                finding["package"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |code: &str, name: &str| findings.contains(&(code.to_string(), name.to_string()));
    assert!(has("PA701", "stray"), "{findings:?}");
    assert!(has("PA702", "beta"), "{findings:?}");
    assert!(has("PA703", "devtool"), "{findings:?}");
    for explained in ["alpha", "gamma", "localapp"] {
        assert!(
            !findings.iter().any(|(_, name)| name == explained),
            "{explained} is what the lock says: {findings:?}"
        );
    }
    // Definite deny-level findings: exit 1, even with nothing checked offline.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Mutated copies of every new format: `Ok` or an error naming the file (and its line where the
// format has lines) — never a panic.

mod mutations {
    use super::*;
    use proptest::prelude::*;
    use pyaudit::lockfile::detect::parse_lockfile;
    use pyaudit::lockfile::{LockfileError, decode_utf8};

    const FILES: &[&str] = &[
        "pip/flask/pylock.toml",
        "pip/sources/pylock.toml",
        "pdm/uvicorn/pylock.toml",
        "pdm/uvicorn/pdm.lock",
        "pdm/uvicorn-static/pdm.lock",
        "pipenv/demo/Pipfile.lock",
    ];

    #[derive(Debug, Clone)]
    enum Mutation {
        Truncate(usize),
        FlipByte(usize, u8),
        DeleteLine(usize),
        DuplicateLine(usize),
        Insert(usize, String),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            any::<usize>().prop_map(Mutation::Truncate),
            (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::FlipByte(at, byte)),
            any::<usize>().prop_map(Mutation::DeleteLine),
            any::<usize>().prop_map(Mutation::DuplicateLine),
            (
                any::<usize>(),
                prop_oneof![
                    Just("[[packages]]\n".to_string()),
                    Just("[[package]]\n".to_string()),
                    Just("\"".to_string()),
                    Just("{".to_string()),
                    Just("marker = \"((('a' in extras\"\n".to_string()),
                    Just("dependencies = [{ name = \"flask\" }]\n".to_string()),
                    Just("dependencies = [\"a[\"]\n".to_string()),
                    Just("lock-version = \"2.0\"\n".to_string()),
                    Just("\"version\": \">=1\",\n".to_string()),
                    Just("vcs = { type = \"git\" }\ndirectory = { path = \".\" }\n".to_string()),
                    "[ -~\\n]{0,40}",
                ]
            )
                .prop_map(|(at, text)| Mutation::Insert(at, text)),
        ]
    }

    fn apply(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
        let mut bytes = original.to_vec();
        for mutation in mutations {
            let len = bytes.len().max(1);
            match mutation {
                Mutation::Truncate(at) => bytes.truncate(at % len),
                Mutation::FlipByte(at, byte) => {
                    if !bytes.is_empty() {
                        let at = at % bytes.len();
                        bytes[at] ^= byte | 1;
                    }
                }
                Mutation::DeleteLine(line) | Mutation::DuplicateLine(line) => {
                    let mut lines: Vec<Vec<u8>> =
                        bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                    let at = line % lines.len();
                    if matches!(mutation, Mutation::DeleteLine(_)) {
                        lines.remove(at);
                    } else {
                        let copy = lines[at].clone();
                        lines.insert(at, copy);
                    }
                    bytes = lines.join(&b'\n');
                }
                Mutation::Insert(at, text) => {
                    let at = (at % (bytes.len() + 1)).min(bytes.len());
                    bytes.splice(at..at, text.bytes());
                }
            }
        }
        bytes
    }

    fn check(path: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
        let result = decode_utf8(path, bytes).and_then(|text| parse_lockfile(path, text));
        if let Err(error) = result {
            let message = error.to_string();
            let file_name = path.file_name().unwrap().to_string_lossy();
            prop_assert!(
                message.contains(file_name.as_ref()),
                "error does not name the file: {message}"
            );
            let located = matches!(
                error,
                LockfileError::Io { .. } | LockfileError::UnknownFormat { .. }
            ) || message.contains(&format!("{file_name}:"));
            prop_assert!(located, "error has no line: {message}");
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn mutated_real_locks_never_panic(
            file in 0..FILES.len(),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let path = inputs(FILES[file]);
            let original = std::fs::read(&path).expect("fixture exists");
            check(&path, &apply(&original, &mutations))?;
        }

        /// Core metadata and direct_url.json of an installed distribution, mutated: the reader
        /// answers, naming the file, or skips with a warning.
        #[test]
        fn mutated_installed_metadata_never_panics(
            mutations in prop::collection::vec(mutation(), 1..4),
            which in 0..2usize,
        ) {
            let site = tempfile::tempdir().unwrap();
            let info = site.path().join("demo-1.0.dist-info");
            std::fs::create_dir_all(&info).unwrap();
            let metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: other>=1; extra == 'x'\nRequires-Dist: b\n\nbody\n";
            let direct = r#"{"url": "file:///src/demo", "dir_info": {"editable": true}}"#;
            let (metadata, direct) = if which == 0 {
                (apply(metadata.as_bytes(), &mutations), direct.as_bytes().to_vec())
            } else {
                (metadata.as_bytes().to_vec(), apply(direct.as_bytes(), &mutations))
            };
            std::fs::write(info.join("METADATA"), metadata).unwrap();
            std::fs::write(info.join("direct_url.json"), direct).unwrap();
            if let Err(error) = pyaudit::lockfile::installed::read(site.path()) {
                let message = error.to_string();
                prop_assert!(message.contains("demo-1.0.dist-info"), "{message}");
            }
        }
    }

    #[test]
    fn every_file_parses_unmutated() {
        for file in FILES {
            let path = inputs(file);
            let bytes = std::fs::read(&path).unwrap();
            let text = decode_utf8(&path, &bytes).unwrap();
            if let Err(error) = parse_lockfile(&path, text) {
                panic!("{file}: {error}");
            }
        }
    }
}
