//! Lockfiles and requirements files written by an untrusted pull request: nothing they name may
//! leak a secret, hang the job, or turn into a clean result. Every test runs the binary on files
//! in a temporary directory (and, for `lock`, a loopback OSV server).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::command::Hermetic;
use crate::support::server::Served;
use assert_cmd::Command;
use serde_json::Value;

const SECRET: &str = "hostile-inputs-secret-7f3a9c";

/// A secret in the environment, which no output may contain.
fn pyaudit(cache: &Path) -> Command {
    let mut command = Hermetic::new(cache)
        .timeout(Duration::from_secs(60))
        .command();
    command.env("CI_TOKEN", SECRET);
    command
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(command: &mut Command) -> Run {
    let output = command.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn graph(project: &Path, arguments: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    run(pyaudit(cache.path())
        .current_dir(project)
        .arg("graph")
        .args(arguments))
}

fn assert_no_secret(run: &Run) {
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "the environment leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[cfg(target_os = "linux")]
#[test]
fn includes_of_the_process_environment_are_refused_without_printing_it() {
    let project = tempfile::tempdir().unwrap();
    for (option, format) in [("-r", "json"), ("-c", "tree"), ("--requirement", "json")] {
        write(
            project.path(),
            "requirements.txt",
            &format!("six==1.16.0\n{option} /proc/self/environ\n"),
        );
        for extra in [&[][..], &["--allow-outside-includes"][..]] {
            let mut arguments = vec!["--format", format, "requirements.txt"];
            arguments.extend(extra);
            let result = graph(project.path(), &arguments);
            assert_eq!(result.code, 2, "{}", result.stderr);
            assert_no_secret(&result);
            assert!(
                result
                    .stderr
                    .contains("requirements.txt:2: refused include `/proc/self/environ`"),
                "{}",
                result.stderr
            );
        }
    }
}

#[test]
fn includes_leaving_the_project_are_refused_unless_allowed() {
    let workspace = tempfile::tempdir().unwrap();
    write(workspace.path(), "requirements-base.txt", "six==1.16.0\n");
    write(
        workspace.path(),
        "requirements/app.txt",
        "-r ../requirements-base.txt\n",
    );
    let refused = graph(workspace.path(), &["requirements/app.txt"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "requirements/app.txt:1: refused include `../requirements-base.txt`: it resolves to"
        ) && refused.stderr.contains("outside the project root"),
        "{}",
        refused.stderr
    );
    // Pointed at the workspace, the include is inside the root.
    let inside = graph(workspace.path(), &["--format", "json", "."]);
    assert_eq!(inside.code, 0, "{}", inside.stderr);
    assert!(inside.stdout.contains("\"six\""), "{}", inside.stdout);
    let allowed = graph(
        workspace.path(),
        &["--allow-outside-includes", "requirements/app.txt"],
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(allowed.stdout.contains("six"), "{}", allowed.stdout);
    // An absolute path is refused even when it points inside.
    let absolute = workspace.path().join("requirements-base.txt");
    write(
        workspace.path(),
        "requirements-abs.txt",
        &format!("-r {}\n", absolute.display()),
    );
    let refused = graph(workspace.path(), &["requirements-abs.txt"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("an absolute path"),
        "{}",
        refused.stderr
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_project_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", &format!("{SECRET}==1\n"));
    let project = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        project.path().join("base.txt"),
    )
    .unwrap();
    write(
        project.path(),
        "requirements.txt",
        "-c base.txt\nsix==1.16.0\n",
    );
    let result = graph(project.path(), &["requirements.txt"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result
            .stderr
            .contains("requirements.txt:1: refused include `base.txt`"),
        "{}",
        result.stderr
    );
    assert_no_secret(&result);
    // A discovered requirements file that is itself a link out of the directory.
    let project = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        project.path().join("requirements.txt"),
    )
    .unwrap();
    let result = graph(project.path(), &["."]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains("refused to read"),
        "{}",
        result.stderr
    );
    assert_no_secret(&result);
}

#[cfg(target_os = "linux")]
#[test]
fn special_files_are_refused_at_once_even_when_outside_includes_are_allowed() {
    let project = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(project.path().join("pipe.txt"))
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", project.path().join("zero.txt")).unwrap();
    std::fs::create_dir(project.path().join("folder.txt")).unwrap();
    for (include, kind) in [
        ("pipe.txt", "a FIFO"),
        ("zero.txt", "a character device"),
        ("folder.txt", "a directory"),
        ("/dev/zero", "a character device"),
        ("/dev/urandom", "a character device"),
    ] {
        write(
            project.path(),
            "requirements.txt",
            &format!("-r {include}\n"),
        );
        let started = Instant::now();
        let result = graph(
            project.path(),
            &["--allow-outside-includes", "requirements.txt"],
        );
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(result.code, 2, "{include}: {}", result.stderr);
        assert!(
            result
                .stderr
                .contains(&format!("requirements.txt:1: refused include `{include}`"))
                && result.stderr.contains(kind),
            "{include}: {}",
            result.stderr
        );
    }
    // The lockfile itself: a link to /dev/zero, and a FIFO.
    std::os::unix::fs::symlink("/dev/zero", project.path().join("requirements-zero.txt")).unwrap();
    let result = graph(project.path(), &["requirements-zero.txt"]);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("is not a regular file (a character device)"),
        "{}",
        result.stderr
    );
    let result = graph(project.path(), &["pipe.txt"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("(a FIFO)"), "{}", result.stderr);
}

#[test]
fn oversized_files_are_refused_by_size() {
    let project = tempfile::tempdir().unwrap();
    // Sparse: takes no disk space, but says 300 MiB.
    let file = std::fs::File::create(project.path().join("big.txt")).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    write(project.path(), "requirements.txt", "-r big.txt\n");
    let result = graph(project.path(), &["requirements.txt"]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("is larger than 256 MiB"),
        "{}",
        result.stderr
    );
}

#[test]
fn very_long_names_are_a_read_error_naming_the_line() {
    let project = tempfile::tempdir().unwrap();
    let name = "a".repeat(100_000);
    write(
        project.path(),
        "requirements.txt",
        &format!("six==1.16.0\n{name}==1.0\n"),
    );
    let started = Instant::now();
    let result = graph(project.path(), &["requirements.txt"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains("requirements.txt:2")
            && result.stderr.contains("is 100000 characters long"),
        "{}",
        result.stderr
    );
    assert!(result.stderr.len() < 2_000, "the name is not echoed whole");
}

#[test]
fn a_remote_include_makes_the_audit_incomplete() {
    let server = Served::start();
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        "requirements.txt",
        "six==1.16.0\n-r https://example.invalid/more-requirements.txt\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let lock = |format: &str| {
        run(pyaudit(cache.path())
            .current_dir(project.path())
            .args(["lock", "--no-usage", "--allow", "PA2", "--allow", "PA004"])
            .args(["--format", format, "--osv-url"])
            .arg(server.url())
            .arg("requirements.txt"))
    };
    let json = lock("json");
    // Incomplete, not clean: the could-not-check status.
    assert_eq!(json.code, 2, "{}\n{}", json.stdout, json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let findings = report["lockfiles"][0]["findings"].as_array().unwrap();
    let unread = findings
        .iter()
        .find(|finding| finding["code"] == "PA001")
        .expect("a PA001 finding for the remote include");
    assert_eq!(unread["level"], "deny");
    let message = unread["message"].as_str().unwrap();
    assert!(
        message.contains("`https://example.invalid/more-requirements.txt`")
            && message.contains("requirements.txt:2"),
        "{message}"
    );
    let sarif = lock("sarif");
    assert_eq!(sarif.code, 2);
    assert!(
        sarif.stdout.contains("PA001") && sarif.stdout.contains("more-requirements.txt"),
        "{}",
        sarif.stdout
    );
    // Without the include the same file is clean.
    write(project.path(), "requirements.txt", "six==1.16.0\n");
    assert_eq!(lock("json").code, 0);
}

#[test]
fn the_config_can_allow_outside_includes_for_lock() {
    let server = Served::start();
    let workspace = tempfile::tempdir().unwrap();
    write(workspace.path(), "shared/base.txt", "six==1.16.0\n");
    write(
        workspace.path(),
        "app/requirements.txt",
        "-r ../shared/base.txt\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let lock = || {
        run(pyaudit(cache.path())
            .current_dir(workspace.path())
            .args(["lock", "--no-usage", "--allow", "PA2", "--allow", "PA004"])
            .args(["--format", "json", "--osv-url"])
            .arg(server.url())
            .arg("app/requirements.txt"))
    };
    let refused = lock();
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    write(
        workspace.path(),
        "app/pyaudit.toml",
        "[input]\nallow-outside-includes = true\n",
    );
    let allowed = lock();
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    let report: Value = serde_json::from_str(&allowed.stdout).unwrap();
    assert_eq!(report["lockfiles"][0]["audited"], 1);
}
