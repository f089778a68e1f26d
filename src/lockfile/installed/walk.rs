//! Where the installed distributions are: the `site-packages` directories of a path.

use std::path::{Path, PathBuf};

/// How deep below an image root a `site-packages` may be (`usr/local/lib/python3.12/site-packages`
/// is 5; `opt/app/.venv/lib/python3.12/site-packages` is 6).
const MAXIMUM_DEPTH: usize = 7;
/// Directories looked at before the search gives up: an image root holds tens of thousands of
/// directories, and the search must stay bounded whatever it is pointed at.
const MAXIMUM_DIRECTORIES: usize = 200_000;

/// The site directories of `root` (canonical): `root` itself when it holds `*.dist-info`, the
/// `lib*/python*/site-packages` (or `Lib/site-packages`) of a venv, else every `site-packages`
/// and `dist-packages` below it. Symbolic links are never followed; kernel pseudo-filesystems
/// are skipped. Sorted.
pub fn site_directories(root: &Path) -> Vec<PathBuf> {
    if !distribution_directories(root).is_empty() {
        return vec![root.to_path_buf()];
    }
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut visited = 0usize;
    while let Some((directory, depth)) = stack.pop() {
        visited += 1;
        if visited > MAXIMUM_DIRECTORIES {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if !kind.is_dir() {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if depth == 0 && matches!(name.as_ref(), "proc" | "sys" | "dev") {
                continue;
            }
            if name == "site-packages" || name == "dist-packages" {
                found.push(path);
                continue;
            }
            if depth + 1 < MAXIMUM_DEPTH && name != "node_modules" && name != ".git" {
                stack.push((path, depth + 1));
            }
        }
    }
    found.sort();
    found
}

/// The `*.dist-info` and `*.egg-info` directories of one site directory, sorted.
pub fn distribution_directories(site: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(site) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "dist-info" || extension == "egg-info")
        })
        .collect();
    found.sort();
    found
}
