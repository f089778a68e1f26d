//! The `pyaudit` binary as users run it: lockfiles in, output and exit codes out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::support::command::Hermetic;
use crate::support::corpus;
fn pyaudit() -> Command {
    Hermetic::without_cache().command()
}

fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

fn graph_json(path: &Path) -> Value {
    let output = pyaudit()
        .args(["graph", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn graph_json_classes_every_package() {
    let json = graph_json(&data("uv-project/uv.lock"));
    assert_eq!(json["schema"], "pyaudit-graph/1");
    let lockfile = &json["lockfiles"][0];
    assert_eq!(lockfile["kind"], "uv.lock");
    let packages = lockfile["packages"].as_array().unwrap();
    let classes: BTreeMap<&str, &str> = packages
        .iter()
        .map(|package| {
            (
                package["name"].as_str().unwrap(),
                package["class"].as_str().unwrap(),
            )
        })
        .collect();
    let expect = |class: &str, names: &[&str]| {
        for name in names {
            assert_eq!(classes[name], class, "{name}");
        }
    };
    expect(
        "prod",
        &[
            "demo",
            "click",
            "colorama",
            "httpx",
            "anyio",
            "exceptiongroup",
            "idna",
            "certifi",
            "httpcore",
            "h11",
        ],
    );
    expect("optional", &["rich", "markdown-it-py", "mdurl", "pygments"]);
    expect("dev", &["pytest", "iniconfig", "packaging", "pluggy"]);

    let by_name = |name: &str| {
        packages
            .iter()
            .find(|package| package["name"] == name)
            .unwrap()
    };
    let demo = by_name("demo");
    assert_eq!(demo["root"], true);
    assert_eq!(demo["source"]["kind"], "editable");
    assert!(demo.get("version").is_some());
    assert_eq!(by_name("httpx")["direct"], true);
    assert_eq!(by_name("anyio")["direct"], false);
    assert_eq!(by_name("pytest")["direct"], true);
    // The shortest path from the root, as ids.
    let path: Vec<&str> = by_name("mdurl")["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            packages[id.as_u64().unwrap() as usize]["name"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(path, ["demo", "rich", "markdown-it-py", "mdurl"]);
    let click = by_name("click");
    assert_eq!(click["dependencies"][0]["name"], "colorama");
    assert_eq!(
        click["dependencies"][0]["marker"],
        "sys_platform == 'win32'"
    );
    assert!(by_name("anyio")["line"].as_u64().unwrap() > 0);
}

#[test]
fn graph_tree_shows_roots_extras_groups_and_markers() {
    pyaudit()
        .args(["graph"])
        .arg(data("uv-project/uv.lock"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "demo==0.1.0 (editable: .) (project)",
        ))
        .stdout(predicate::str::contains(
            "17 packages: 9 prod, 4 optional, 4 dev",
        ))
        .stdout(predicate::str::contains("[extra: cli]"))
        .stdout(predicate::str::contains("[group: dev]"))
        .stdout(predicate::str::contains(
            "colorama==0.4.6 ; sys_platform == 'win32'",
        ))
        .stdout(predicate::str::contains("rich==13.7.1 [optional]"))
        .stdout(predicate::str::contains("pytest==8.1.1 [dev]"));
}

#[test]
fn why_lists_every_path_shortest_first() {
    let output = pyaudit()
        .args(["why", "IDNA"])
        .arg(data("uv-project/uv.lock"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("idna==3.6 in "), "{text}");
    assert!(lines[0].ends_with("(prod)"), "{text}");
    assert_eq!(lines[1].trim(), "demo==0.1.0 → httpx==0.27.0 → idna==3.6");
    assert_eq!(
        lines[2].trim(),
        "demo==0.1.0 → httpx==0.27.0 → anyio==4.13.0 → idna==3.6"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn why_json_names_extras_on_the_path() {
    let output = pyaudit()
        .args(["why", "pygments", "--format", "json"])
        .arg(data("uv-project/uv.lock"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["schema"], "pyaudit-why/1");
    let found = &json["lockfiles"][0]["matches"][0];
    assert_eq!(found["class"], "optional");
    let path = found["paths"][0].as_array().unwrap();
    assert_eq!(
        path[0]["via"],
        serde_json::json!({"kind": "extra", "name": "cli"})
    );
    assert_eq!(path[2]["name"], "pygments");
}

#[test]
fn why_an_absent_package_exits_one() {
    pyaudit()
        .args(["why", "django"])
        .arg(data("uv-project/uv.lock"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`django` is not in"));
}

#[test]
fn a_directory_finds_every_lockfile_in_it() {
    let json = graph_json(&corpus::real_fixtures().join("DataDog__guarddog"));
    let kinds: Vec<&str> = json["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lockfile| lockfile["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["uv.lock", "poetry.lock"]);
}

#[test]
fn malformed_lockfile_names_file_and_line_and_exits_two() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("uv.lock");
    std::fs::write(
        &path,
        "version = 1\n\n[[package]]\nname = \"a\"\nversion = \n",
    )
    .unwrap();
    pyaudit()
        .arg("graph")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error:"))
        .stderr(predicate::str::contains("uv.lock:5"));
}

#[test]
fn non_utf8_input_is_a_located_error() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("requirements.txt");
    std::fs::write(&path, b"flask==3.0.0\nr\xe9quests==2.0\n").unwrap();
    pyaudit()
        .arg("graph")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "requirements.txt:2:2: file is not valid UTF-8",
        ));
}

#[test]
fn missing_path_and_empty_directory_are_errors() {
    pyaudit()
        .args(["graph", "does/not/exist.lock"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist.lock"));
    let directory = tempfile::tempdir().unwrap();
    pyaudit()
        .arg("graph")
        .arg(directory.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no lockfile in"));
}

#[test]
fn unsupported_uv_lock_version_is_rejected() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("uv.lock");
    std::fs::write(&path, "version = 7\nrequires-python = \">=3.9\"\n").unwrap();
    pyaudit()
        .arg("graph")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("uv.lock:1"));
}

#[test]
fn requirements_class_override() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("requirements-dev.txt");
    std::fs::write(&path, "pytest==8.1.1\n").unwrap();
    let class = |extra: &[&str]| {
        let output = pyaudit()
            .args(["graph", "--format", "json"])
            .args(extra)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["lockfiles"][0]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|package| package["name"] == "pytest")
            .unwrap()["class"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(class(&[]), "dev");
    assert_eq!(class(&["--requirements-class", "prod"]), "prod");
}

#[test]
fn help_and_version_read_well() {
    pyaudit()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("pyaudit "));
    for command in ["graph", "why"] {
        pyaudit()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: pyaudit"));
    }
}

#[test]
fn explain_prints_rule_docs() {
    pyaudit()
        .arg("explain")
        .assert()
        .success()
        .stdout(predicate::str::contains("PA101  vulnerability"));
    pyaudit()
        .args(["explain", "pa001"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "PA001 unchecked-package (default: deny)",
        ))
        .stdout(predicate::str::contains("## How to fix"));
    pyaudit()
        .args(["explain", "PA999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule `PA999`"));
}

#[test]
fn init_writes_a_config_that_lock_reads_and_refuses_to_overwrite() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("pyaudit.toml");
    pyaudit()
        .arg("init")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[maintenance]") && text.contains("[[ignore]]"));
    pyaudit()
        .arg("init")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists; pass --force"));
    pyaudit()
        .args(["init", "--force"])
        .arg(&path)
        .assert()
        .success();
}

#[test]
fn popular_names_import_names_the_bad_line() {
    let directory = tempfile::tempdir().unwrap();
    let list = directory.path().join("top.txt");
    std::fs::write(&list, "requests\nnot a name\n").unwrap();
    pyaudit()
        .args(["db", "popular"])
        .arg(&list)
        .arg("--cache-dir")
        .arg(directory.path().join("cache"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("top.txt: line 2: `not a name`"));
    std::fs::write(
        &list,
        r#"{"rows": [{"project": "boto3"}, {"project": "requests"}]}"#,
    )
    .unwrap();
    pyaudit()
        .args(["db", "popular"])
        .arg(&list)
        .arg("--cache-dir")
        .arg(directory.path().join("cache"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "imported 2 popular project names",
        ));
}

#[test]
fn explain_lists_every_family_and_documents_a_rule() {
    pyaudit()
        .arg("explain")
        .assert()
        .success()
        .stdout(predicates::str::contains("PA201  yanked-version"))
        .stdout(predicates::str::contains("PA502  banned-package"));
    pyaudit()
        .args(["explain", "typosquat-suspect"])
        .assert()
        .success()
        .stdout(predicates::str::contains("## How to fix"));
}
