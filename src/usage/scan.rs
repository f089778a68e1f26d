//! The source walk: every `.py`, `.pyi` and `.ipynb` (code cells) under a project, in parallel,
//! honouring `.gitignore` / `.ignore` (the `ignore` crate, ripgrep's walker) and skipping what is
//! not the project's code — virtual environments (any directory holding `pyvenv.cfg`), build
//! output, caches, `node_modules`, `.tox`/`.nox`, hidden directories — plus the user's
//! include / exclude patterns. Each file's imports come from [`super::imports::scan`].
//!
//! Besides the imports, the walk records which module names are the project's own: top-level
//! packages and modules of the project root and of every directory with a `pyproject.toml`
//! (workspace members), `src/` layouts included, and each directory's own modules (a script
//! importing its neighbour).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{WalkBuilder, WalkState};
use serde::Deserialize;

use super::imports::{self, Import};
use crate::lockfile::Location;

/// Directories that never hold the project's own code.
const SKIPPED_DIRECTORIES: [&str; 14] = [
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    "venv",
    "env",
    ".venv",
    ".tox",
    ".nox",
    ".eggs",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];

/// Which paths count as tests by default (gitignore syntax, relative to the project).
pub const DEFAULT_TEST_PATTERNS: [&str; 5] =
    ["tests/", "test/", "test_*.py", "*_test.py", "conftest.py"];

#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Only these paths are scanned (gitignore syntax); empty: everything.
    pub include: Vec<String>,
    /// These paths are not scanned (gitignore syntax).
    pub exclude: Vec<String>,
    /// Paths whose imports are test code (gitignore syntax).
    pub test_patterns: Vec<String>,
    /// Walker threads; 0 picks the number of cores.
    pub threads: usize,
}

impl Default for ScanSettings {
    fn default() -> Self {
        Self {
            include: Vec::new(),
            exclude: Vec::new(),
            test_patterns: DEFAULT_TEST_PATTERNS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            threads: 0,
        }
    }
}

/// One scanned file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the project root.
    pub path: PathBuf,
    pub test: bool,
    pub imports: Vec<Import>,
}

/// A file that could not be read or tokenized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ScanError {
    pub location: Location,
    pub message: String,
}

/// Everything the walk found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Sorted by path.
    pub files: Vec<SourceFile>,
    /// Files pyaudit could not read, sorted; the caller decides how fatal they are.
    pub errors: Vec<ScanError>,
    /// Files whose bytes pyaudit cannot decode (an encoding it does not read, or bytes invalid in
    /// the declared one), sorted. Their imports are unknown.
    pub skipped: Vec<ScanError>,
    /// Top-level module names of the project and its workspace members.
    pub local_modules: BTreeSet<String>,
    /// (directory, module name) pairs: modules importable from scripts in that directory.
    pub neighbours: HashSet<(PathBuf, String)>,
}

impl Scan {
    /// Whether `top_level`, imported from `file`, is the project's own.
    pub fn is_local(&self, file: &Path, top_level: &str) -> bool {
        if self.local_modules.contains(top_level) {
            return true;
        }
        let directory = file.parent().unwrap_or(Path::new("")).to_path_buf();
        self.neighbours.contains(&(directory, top_level.to_owned()))
    }
}

fn matcher(root: &Path, patterns: &[String], what: &str) -> Result<Gitignore, ScanError> {
    let mut builder = GitignoreBuilder::new(root);
    for pattern in patterns {
        builder.add_line(None, pattern).map_err(|error| ScanError {
            location: Location::new(root, 1),
            message: format!("invalid {what} pattern `{pattern}`: {error}"),
        })?;
    }
    builder.build().map_err(|error| ScanError {
        location: Location::new(root, 1),
        message: format!("invalid {what} patterns: {error}"),
    })
}

enum Found {
    File(SourceFile),
    Error(ScanError),
    /// A file whose bytes cannot be decoded: skipped with a warning.
    Skipped(ScanError),
    Project(PathBuf),
}

/// Walk `root` and scan every Python source.
pub fn scan_project(root: &Path, settings: &ScanSettings) -> Result<Scan, ScanError> {
    let include = matcher(root, &settings.include, "include")?;
    let exclude = matcher(root, &settings.exclude, "exclude")?;
    let tests = matcher(root, &settings.test_patterns, "test-path")?;
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());

    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(true)
        .git_global(false)
        .require_git(false)
        .threads(settings.threads);
    {
        let root = root.to_path_buf();
        let exclude = exclude.clone();
        builder.filter_entry(move |entry| {
            let path = entry.path();
            let relative = path.strip_prefix(&root).unwrap_or(path);
            let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
            if relative.as_os_str().is_empty() {
                return true;
            }
            if exclude.matched(relative, is_dir).is_ignore() {
                return false;
            }
            if is_dir {
                let name = entry.file_name().to_string_lossy();
                return !(SKIPPED_DIRECTORIES.contains(&name.as_ref())
                    || name.ends_with(".egg-info")
                    || path.join("pyvenv.cfg").is_file());
            }
            true
        });
    }
    builder.build_parallel().run(|| {
        let found = &found;
        let include = &include;
        let tests = &tests;
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = match &error {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.to_path_buf(),
                    };
                    push(
                        found,
                        Found::Error(ScanError {
                            location: Location::new(path, 1),
                            message: format!("cannot walk: {error}"),
                        }),
                    );
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
            let name = entry.file_name().to_string_lossy();
            if name == "pyproject.toml" {
                push(
                    found,
                    Found::Project(relative.parent().unwrap_or(Path::new("")).to_path_buf()),
                );
                return WalkState::Continue;
            }
            let notebook = name.ends_with(".ipynb");
            if !(notebook || name.ends_with(".py") || name.ends_with(".pyi")) {
                return WalkState::Continue;
            }
            if !settings.include.is_empty()
                && !include
                    .matched_path_or_any_parents(&relative, false)
                    .is_ignore()
            {
                return WalkState::Continue;
            }
            let test = tests
                .matched_path_or_any_parents(&relative, false)
                .is_ignore();
            push(found, scan_file(path, relative, test, notebook));
            WalkState::Continue
        })
    });

    let mut scan = Scan::default();
    let mut projects: Vec<PathBuf> = vec![PathBuf::new()];
    for item in found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
    {
        match item {
            Found::File(file) => scan.files.push(file),
            Found::Error(error) => scan.errors.push(error),
            Found::Skipped(problem) => scan.skipped.push(problem),
            Found::Project(directory) => projects.push(directory),
        }
    }
    scan.files.sort_by(|left, right| left.path.cmp(&right.path));
    scan.errors
        .sort_by(|left, right| left.location.cmp(&right.location));
    scan.skipped
        .sort_by(|left, right| left.location.cmp(&right.location));
    for file in &scan.files {
        record_local(
            &mut scan.local_modules,
            &mut scan.neighbours,
            &projects,
            &file.path,
        );
    }
    Ok(scan)
}

fn push(found: &Mutex<Vec<Found>>, item: Found) {
    let mut guard = found
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.push(item);
}

/// Module name of a path component: `pkg` for a directory, `mod` for `mod.py` / `mod.pyi`.
fn module_name(component: &str) -> &str {
    component
        .strip_suffix(".pyi")
        .or_else(|| component.strip_suffix(".py"))
        .or_else(|| component.strip_suffix(".ipynb"))
        .unwrap_or(component)
}

fn record_local(
    local: &mut BTreeSet<String>,
    neighbours: &mut HashSet<(PathBuf, String)>,
    projects: &[PathBuf],
    file: &Path,
) {
    for project in projects {
        let Ok(inside) = file.strip_prefix(project) else {
            continue;
        };
        let parts: Vec<&str> = inside.iter().filter_map(|part| part.to_str()).collect();
        let parts = match parts.as_slice() {
            ["src", rest @ ..] if !rest.is_empty() => rest,
            other => other,
        };
        if let Some(first) = parts.first() {
            local.insert(module_name(first).to_owned());
        }
    }
    // A script's directory is on `sys.path` when it runs: its neighbours are importable.
    let directory = file.parent().unwrap_or(Path::new(""));
    if let Some(name) = file.file_name().and_then(|name| name.to_str()) {
        neighbours.insert((directory.to_path_buf(), module_name(name).to_owned()));
    }
    if let (Some(parent), Some(name)) = (
        directory.parent(),
        directory.file_name().and_then(|name| name.to_str()),
    ) {
        neighbours.insert((parent.to_path_buf(), name.to_owned()));
    }
}

fn scan_file(path: &Path, relative: PathBuf, test: bool, notebook: bool) -> Found {
    let bytes = match crate::input::read(path, crate::input::PYTHON_SOURCE_BYTES) {
        Ok(bytes) => bytes,
        Err(error) => {
            return Found::Error(ScanError {
                location: Location::new(relative, 1),
                message: format!("cannot read: {error}"),
            });
        }
    };
    // A notebook is JSON, always UTF-8; a Python source may declare its encoding (PEP 263).
    let decoded = if notebook {
        crate::lockfile::decode_utf8(&relative, &bytes)
            .map(std::borrow::Cow::Borrowed)
            .map_err(|error| match error {
                crate::lockfile::LockfileError::NotUtf8 { location } => ScanError {
                    location,
                    message: "notebook is not valid UTF-8".to_owned(),
                },
                other => ScanError {
                    location: Location::new(relative.clone(), 1),
                    message: other.to_string(),
                },
            })
    } else {
        super::encoding::decode_source(&bytes).map_err(|problem| ScanError {
            location: Location::new(relative.clone(), problem.line).with_column(problem.column),
            message: problem.message,
        })
    };
    let decoded = match decoded {
        Ok(text) => text,
        Err(problem) => return Found::Skipped(problem),
    };
    let text = decoded.as_ref();
    let source;
    let text = if notebook {
        match notebook_code(text) {
            Ok(code) => {
                source = code;
                source.as_str()
            }
            Err((line, column, message)) => {
                return Found::Error(ScanError {
                    location: Location::new(relative, line).with_column(column),
                    message,
                });
            }
        }
    } else {
        text
    };
    match imports::scan(text) {
        Ok(imports) => Found::File(SourceFile {
            path: relative,
            test,
            imports,
        }),
        Err(error) => Found::Error(ScanError {
            location: Location::new(relative, error.line).with_column(error.column),
            message: format!(
                "{}; fix the file or add it to `exclude` in [usage]",
                error.message
            ),
        }),
    }
}

#[derive(Deserialize)]
struct Notebook {
    #[serde(default)]
    cells: Vec<Cell>,
}

#[derive(Deserialize)]
struct Cell {
    cell_type: String,
    #[serde(default)]
    source: CellSource,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum CellSource {
    #[default]
    Empty,
    Text(String),
    Lines(Vec<String>),
}

/// The code cells of a notebook (nbformat 4) joined in order; IPython magics and shell escapes
/// (`%pip`, `!ls`, `%%time`) become blank lines. Lines count across the code cells.
fn notebook_code(text: &str) -> Result<String, (usize, usize, String)> {
    let notebook: Notebook = serde_json::from_str(text).map_err(|error| {
        (
            error.line().max(1),
            error.column().max(1),
            format!("not a Jupyter notebook: {error}"),
        )
    })?;
    let mut code = String::new();
    for cell in notebook
        .cells
        .iter()
        .filter(|cell| cell.cell_type == "code")
    {
        let source = match &cell.source {
            CellSource::Empty => String::new(),
            CellSource::Text(text) => text.clone(),
            CellSource::Lines(lines) => lines.concat(),
        };
        for line in source.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with(['%', '!'])
                || trimmed.ends_with('?') && !trimmed.starts_with('#')
            {
                code.push('\n');
            } else {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn walks_sources_and_skips_what_is_not_the_project() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        write(root, "src/app/__init__.py", "import requests\n");
        write(root, "src/app/cli.py", "from . import x\nimport helper\n");
        write(root, "src/app/helper.py", "");
        write(root, "tests/test_app.py", "import pytest\n");
        write(root, "conftest.py", "import pytest\n");
        write(root, ".venv/lib/site.py", "import nope\n");
        write(root, "myenv/pyvenv.cfg", "home = /usr\n");
        write(root, "myenv/lib/x.py", "import nope\n");
        write(root, "build/lib/app.py", "import nope\n");
        write(root, "ignored/x.py", "import nope\n");
        write(root, ".gitignore", "ignored/\n");
        write(root, "excluded/x.py", "import nope\n");
        write(
            root,
            "nb.ipynb",
            r#"{"cells": [{"cell_type": "markdown", "source": "import no"}, {"cell_type": "code", "source": ["%pip install x\n", "import pandas\n"]}]}"#,
        );
        let settings = ScanSettings {
            exclude: vec!["excluded/".to_owned()],
            threads: 2,
            ..ScanSettings::default()
        };
        let scan = scan_project(root, &settings).unwrap();
        let paths: Vec<String> = scan
            .files
            .iter()
            .map(|file| file.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            vec![
                "conftest.py",
                "nb.ipynb",
                "src/app/__init__.py",
                "src/app/cli.py",
                "src/app/helper.py",
                "tests/test_app.py"
            ]
        );
        let tests: Vec<bool> = scan.files.iter().map(|file| file.test).collect();
        assert_eq!(tests, vec![true, false, false, false, false, true]);
        assert_eq!(scan.files[1].imports[0].module, "pandas");
        assert_eq!(scan.files[1].imports[0].line, 2);
        assert!(scan.local_modules.contains("app"));
        assert!(scan.is_local(Path::new("src/app/cli.py"), "helper"));
        assert!(!scan.is_local(Path::new("tests/test_app.py"), "helper"));
        assert!(scan.errors.is_empty());
    }

    #[test]
    fn unreadable_sources_are_errors_with_positions() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        write(root, "bad.py", "import ok\ns = 'open\n");
        std::fs::write(root.join("latin.py"), b"x = 1\n# caf\xe9\n").unwrap();
        write(root, "broken.ipynb", "{\"cells\": [");
        let scan = scan_project(root, &ScanSettings::default()).unwrap();
        let errors: Vec<String> = scan.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("bad.py:2:5: unterminated string literal"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("broken.ipynb:1:11: not a Jupyter notebook"),
            "{errors:?}"
        );
        // Undecodable bytes skip the file (with a position), they do not fail the scan.
        let skipped: Vec<String> = scan.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            skipped,
            ["latin.py:2:6: byte 0xE9 is not valid UTF-8 (the default, PEP 3120)"]
        );
    }

    #[test]
    fn declared_encodings_are_honoured() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::write(
            root.join("latin.py"),
            b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport requests\n",
        )
        .unwrap();
        std::fs::write(
            root.join("windows.py"),
            b"#!/usr/bin/env python\n# coding: cp1252\ns = '\x93hi\x94'\nimport yaml\n",
        )
        .unwrap();
        std::fs::write(root.join("odd.py"), b"# coding: klingon\nimport attr\n").unwrap();
        let scan = scan_project(root, &ScanSettings::default()).unwrap();
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        let imports: Vec<(String, String)> = scan
            .files
            .iter()
            .flat_map(|file| {
                file.imports
                    .iter()
                    .map(|import| (file.path.display().to_string(), import.module.clone()))
            })
            .collect();
        assert_eq!(
            imports,
            [
                ("latin.py".to_owned(), "requests".to_owned()),
                ("windows.py".to_owned(), "yaml".to_owned())
            ]
        );
        assert_eq!(scan.skipped.len(), 1);
        assert!(
            scan.skipped[0]
                .to_string()
                .starts_with("odd.py:1:1: declares the source encoding `klingon`"),
            "{}",
            scan.skipped[0]
        );
    }
}
