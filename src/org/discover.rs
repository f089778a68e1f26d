//! Which repositories and lockfiles an organisation-wide audit reads: a walk of one or more roots
//! that honours `.gitignore` (the `ignore` crate, ripgrep's walker) and skips virtual
//! environments, `node_modules` and build output, or an explicit list of paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::lockfile;

/// Directory names that never hold a project's own lockfile: environments, caches, build output.
const SKIPPED_DIRECTORIES: [&str; 11] = [
    ".git",
    ".hg",
    ".venv",
    "node_modules",
    "build",
    "dist",
    ".tox",
    ".nox",
    "__pycache__",
    "site-packages",
    ".mypy_cache",
];

/// One repository and the lockfiles found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// How reports name it: its path relative to the root it was found under.
    pub name: String,
    /// Its directory: the nearest ancestor of a lockfile with a `.git`, else the lockfile's
    /// directory.
    pub root: PathBuf,
    /// Sorted; at most one kind per directory (uv.lock > poetry.lock > pdm.lock > Pipfile.lock >
    /// pylock*.toml > requirements files).
    pub lockfiles: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("`{}` is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read the list `{}`", path.display())]
    List {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` (line {line} of `{}`) does not exist", path.display(), list.display())]
    ListedPathMissing {
        path: PathBuf,
        list: PathBuf,
        line: usize,
    },
}

/// Whether the walk should go into this directory.
fn is_skipped_directory(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    // NOTE: a virtual environment may have any name (`venv`, `env`, `.env-3.12`); `pyvenv.cfg`
    // at its top is what makes it one (PEP 405).
    SKIPPED_DIRECTORIES.contains(&name.as_ref()) || path.join("pyvenv.cfg").is_file()
}

/// The directory whose lockfiles a file stands for, if it is a lockfile candidate.
fn lockfile_directory(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let parent = path.parent()?;
    if name == "uv.lock"
        || name == "poetry.lock"
        || name == "pdm.lock"
        || name == "pipfile.lock"
        || lockfile::pylock::is_pylock_name(&name)
        || (name.starts_with("requirements") && name.ends_with(".txt"))
    {
        return Some(parent.to_path_buf());
    }
    // `requirements/*.txt` belongs to the directory above, as `pyaudit lock DIR` reads it.
    if name.ends_with(".txt") && parent.file_name().is_some_and(|dir| dir == "requirements") {
        return parent.parent().map(Path::to_path_buf);
    }
    None
}

/// The lockfiles a directory stands for, by the precedence of one project: its `uv.lock`, else its
/// `poetry.lock`, `pdm.lock`, `Pipfile.lock`, else its PEP 751 `pylock*.toml` files (often
/// exported from one of those), else its requirements files (includes read through their
/// includer).
pub fn lockfiles_in(directory: &Path) -> Vec<PathBuf> {
    for name in lockfile::detect::LOCK_NAMES {
        let candidate = directory.join(name);
        if candidate.is_file() {
            return vec![candidate];
        }
    }
    let pylocks = lockfile::detect::pylock_files(directory);
    if !pylocks.is_empty() {
        return pylocks;
    }
    lockfile::discover(directory).unwrap_or_default()
}

/// The repository a lockfile directory belongs to: the nearest ancestor (up to `boundary`) with a
/// `.git`, else the directory itself.
fn repository_root(directory: &Path, boundary: &Path) -> PathBuf {
    for ancestor in directory.ancestors() {
        if ancestor.join(".git").exists() {
            return ancestor.to_path_buf();
        }
        if ancestor == boundary {
            break;
        }
    }
    directory.to_path_buf()
}

fn display_name(root: &Path, repository: &Path, prefix_root: bool) -> String {
    let relative = repository.strip_prefix(root).unwrap_or(repository);
    let root_name = root
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| root.display().to_string());
    let relative = relative.to_string_lossy().replace('\\', "/");
    match (relative.is_empty(), prefix_root) {
        (true, _) => root_name,
        (false, true) => format!("{root_name}/{relative}"),
        (false, false) => relative,
    }
}

/// Walk every root for lockfiles and group them by repository. Order: by name.
pub fn discover(roots: &[PathBuf]) -> Result<Vec<Repository>, DiscoverError> {
    let mut repositories: BTreeMap<PathBuf, Repository> = BTreeMap::new();
    for root in roots {
        if !root.is_dir() {
            return Err(DiscoverError::NotADirectory { path: root.clone() });
        }
        let root = root.canonicalize().unwrap_or_else(|_| root.clone());
        let mut directories: Vec<PathBuf> = Vec::new();
        let walker = ignore::WalkBuilder::new(&root)
            .hidden(false)
            .parents(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            // `.gitignore` applies to a checkout whether or not the walk saw its `.git`.
            .require_git(false)
            .filter_entry(|entry| {
                !(entry.depth() > 0
                    && entry.file_type().is_some_and(|kind| kind.is_dir())
                    && is_skipped_directory(entry.path()))
            })
            .build();
        // NOTE: an unreadable subdirectory is skipped, not fatal: one repository's permissions
        // must not stop the audit of the others.
        for entry in walker.flatten() {
            if entry.file_type().is_some_and(|kind| kind.is_file())
                && let Some(directory) = lockfile_directory(entry.path())
            {
                directories.push(directory);
            }
        }
        directories.sort();
        directories.dedup();
        for directory in directories {
            let lockfiles = lockfiles_in(&directory);
            if lockfiles.is_empty() {
                continue;
            }
            let repository = repository_root(&directory, &root);
            let name = display_name(&root, &repository, roots.len() > 1);
            repositories
                .entry(repository.clone())
                .or_insert_with(|| Repository {
                    name,
                    root: repository,
                    lockfiles: Vec::new(),
                })
                .lockfiles
                .extend(lockfiles);
        }
    }
    Ok(finish(repositories))
}

/// Read an explicit list: one lockfile or project directory per line, relative to the list's
/// directory; blank lines and `#` comments are skipped.
pub fn from_list(list: &Path) -> Result<Vec<Repository>, DiscoverError> {
    let text = crate::input::read_to_string(list, crate::input::LIST_BYTES).map_err(|source| {
        DiscoverError::List {
            path: list.to_path_buf(),
            source,
        }
    })?;
    let base = list.parent().unwrap_or(Path::new("."));
    let mut repositories: BTreeMap<PathBuf, Repository> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let path = base.join(line);
        if !path.exists() {
            return Err(DiscoverError::ListedPathMissing {
                path,
                list: list.to_path_buf(),
                line: index + 1,
            });
        }
        let (directory, lockfiles) = if path.is_dir() {
            (path.clone(), lockfiles_in(&path))
        } else {
            let directory = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            (directory, vec![path.clone()])
        };
        let repository = repository_root(&directory, &directory);
        let name = repository
            .strip_prefix(base)
            .ok()
            .map(|relative| relative.to_string_lossy().replace('\\', "/"))
            .filter(|relative| !relative.is_empty())
            .unwrap_or_else(|| repository.display().to_string());
        repositories
            .entry(repository.clone())
            .or_insert_with(|| Repository {
                name,
                root: repository,
                lockfiles: Vec::new(),
            })
            .lockfiles
            .extend(lockfiles);
    }
    Ok(finish(repositories))
}

fn finish(repositories: BTreeMap<PathBuf, Repository>) -> Vec<Repository> {
    let mut repositories: Vec<Repository> = repositories
        .into_values()
        .map(|mut repository| {
            repository.lockfiles.sort();
            repository.lockfiles.dedup();
            repository
        })
        .collect();
    repositories.sort_by(|left, right| left.name.cmp(&right.name));
    repositories
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_map_to_their_project_directory() {
        assert_eq!(
            lockfile_directory(Path::new("a/uv.lock")),
            Some(PathBuf::from("a"))
        );
        assert_eq!(
            lockfile_directory(Path::new("a/requirements/dev.txt")),
            Some(PathBuf::from("a"))
        );
        assert_eq!(lockfile_directory(Path::new("a/notes.txt")), None);
    }

    #[test]
    fn names_are_relative_to_the_root() {
        let root = Path::new("/org");
        assert_eq!(display_name(root, Path::new("/org/api"), false), "api");
        assert_eq!(display_name(root, Path::new("/org/api"), true), "org/api");
        assert_eq!(display_name(root, root, false), "org");
    }
}
