//! Which reader a file needs (by name, then by content), and which lockfiles a directory holds.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    Lockfile, LockfileError, ReadOptions, decode_utf8, poetry_lock, refuse_outside, requirements,
    uv_lock,
};

/// The lockfile formats pyaudit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockfileKind {
    UvLock,
    PoetryLock,
    Requirements,
}

impl LockfileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockfileKind::UvLock => "uv.lock",
            LockfileKind::PoetryLock => "poetry.lock",
            LockfileKind::Requirements => "requirements",
        }
    }
}

/// Serialized as people name the formats: `uv.lock`, `poetry.lock`, `requirements`.
impl Serialize for LockfileKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for LockfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Read and parse one lockfile of any known format, confined to its own directory.
pub fn read_lockfile(path: &Path) -> Result<Lockfile, LockfileError> {
    read_lockfile_with(path, &ReadOptions::default())
}

/// Read and parse one lockfile of any known format. The lockfile and every requirements file it
/// includes must resolve inside the project root unless `options` allows otherwise.
pub fn read_lockfile_with(path: &Path, options: &ReadOptions) -> Result<Lockfile, LockfileError> {
    let root = options.root_for(path);
    if let Some(reason) = refuse_outside(path, &root, options.allow_outside) {
        return Err(LockfileError::Refused {
            path: path.to_path_buf(),
            reason,
        });
    }
    let bytes = crate::input::read(path, crate::input::LOCKFILE_BYTES)
        .map_err(|source| LockfileError::io(path, source))?;
    let text = decode_utf8(path, &bytes)?;
    let mut lockfile = match detect_kind(path, text)? {
        LockfileKind::UvLock => uv_lock::parse(path, text),
        LockfileKind::PoetryLock => poetry_lock::parse(path, text),
        LockfileKind::Requirements => {
            let parse_options = requirements::ParseOptions {
                project_root: Some(root),
                allow_outside_includes: options.allow_outside,
                ..requirements::ParseOptions::default()
            };
            requirements::parse_with_options(path, text, &parse_options)
        }
    }?;
    // Every reader's output passes here: no credential in a URL goes further.
    lockfile.redact_credentials();
    Ok(lockfile)
}

/// Parse lockfile text that was read from `path` (sibling files such as `pyproject.toml` or
/// requirements includes are still looked up relative to `path`).
///
/// Credentials in the URLs the file names (indexes, direct URLs, git sources) are redacted here,
/// once for every reader, before anything can show or store them.
pub fn parse_lockfile(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let mut lockfile = match detect_kind(path, text)? {
        LockfileKind::UvLock => uv_lock::parse(path, text),
        LockfileKind::PoetryLock => poetry_lock::parse(path, text),
        LockfileKind::Requirements => requirements::parse(path, text),
    }?;
    lockfile.redact_credentials();
    Ok(lockfile)
}

/// Decide the format: a well-known file name wins; otherwise look at the content.
pub fn detect_kind(path: &Path, text: &str) -> Result<LockfileKind, LockfileError> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match file_name.as_str() {
        "uv.lock" => return Ok(LockfileKind::UvLock),
        "poetry.lock" => return Ok(LockfileKind::PoetryLock),
        _ => {}
    }
    if looks_like_requirements_name(&file_name) {
        return Ok(LockfileKind::Requirements);
    }
    // Content sniffing for renamed files: both TOML lock formats carry distinctive top-level keys.
    let head: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
    let has_package_tables = text.contains("[[package]]");
    if has_package_tables && text.contains("[metadata]") && text.contains("lock-version") {
        return Ok(LockfileKind::PoetryLock);
    }
    if has_package_tables
        && (head
            .lines()
            .any(|line| line.trim_start().starts_with("requires-python"))
            || head.lines().any(|line| line.trim() == "version = 1"))
    {
        return Ok(LockfileKind::UvLock);
    }
    if file_name.ends_with(".lock") || file_name.ends_with(".toml") || has_package_tables {
        return Err(LockfileError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "expected a uv.lock (top-level `version = 1`) or a poetry.lock \
                     (`[metadata]` with `lock-version`)"
                .to_string(),
        });
    }
    if file_name.ends_with(".txt") || file_name.ends_with(".in") {
        return Ok(LockfileKind::Requirements);
    }
    Err(LockfileError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "expected `uv.lock`, `poetry.lock` or a requirements file (`*.txt`, `*.in`)"
            .to_string(),
    })
}

fn looks_like_requirements_name(file_name: &str) -> bool {
    (file_name.ends_with(".txt") || file_name.ends_with(".in"))
        && (file_name.contains("requirements") || file_name.contains("constraints"))
}

/// The lockfiles in a directory: `uv.lock`, `poetry.lock`, and requirements files
/// (`requirements*.txt` at the top and `*.txt` under `requirements/`). Requirements files that
/// another found file includes with `-r`/`-c` are left out: they are read through their includer.
pub fn discover(directory: &Path) -> Result<Vec<PathBuf>, LockfileError> {
    let mut found = Vec::new();
    for name in ["uv.lock", "poetry.lock"] {
        let candidate = directory.join(name);
        if candidate.is_file() {
            found.push(candidate);
        }
    }
    let mut requirement_files = Vec::new();
    let entries =
        std::fs::read_dir(directory).map_err(|source| LockfileError::io(directory, source))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if path.is_file() && name.starts_with("requirements") && name.ends_with(".txt") {
            requirement_files.push(path);
        }
    }
    let nested = directory.join("requirements");
    if nested.is_dir()
        && let Ok(entries) = std::fs::read_dir(&nested)
    {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() && path.extension().is_some_and(|extension| extension == "txt") {
                requirement_files.push(path);
            }
        }
    }
    requirement_files.sort();
    let included: Vec<PathBuf> = requirement_files
        .iter()
        .flat_map(|path| requirements::included_files(path))
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    found.extend(requirement_files.into_iter().filter(|path| {
        path.canonicalize()
            .map(|canonical| !included.contains(&canonical))
            .unwrap_or(true)
    }));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_first() {
        let kind = |name: &str, text: &str| detect_kind(Path::new(name), text).ok();
        assert_eq!(kind("uv.lock", ""), Some(LockfileKind::UvLock));
        assert_eq!(kind("dir/poetry.lock", ""), Some(LockfileKind::PoetryLock));
        assert_eq!(
            kind("requirements-dev.txt", ""),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(kind("x.in", "flask\n"), Some(LockfileKind::Requirements));
    }

    #[test]
    fn content_decides_for_renamed_files() {
        let uv = "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"a\"\n";
        let poetry = "[[package]]\nname = \"a\"\n\n[metadata]\nlock-version = \"2.0\"\n";
        assert_eq!(
            detect_kind(Path::new("x.lock"), uv).ok(),
            Some(LockfileKind::UvLock)
        );
        assert_eq!(
            detect_kind(Path::new("x.lock"), poetry).ok(),
            Some(LockfileKind::PoetryLock)
        );
        assert!(detect_kind(Path::new("Cargo.lock"), "version = 3\n\n[[package]]\n").is_err());
        assert!(detect_kind(Path::new("image.png"), "").is_err());
    }
}
