//! Which reader a file needs (by name, then by content), and which lockfiles a directory holds.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    Lockfile, LockfileError, ReadOptions, decode_utf8, pdm_lock, pipfile_lock, poetry_lock, pylock,
    refuse_outside, requirements, uv_lock,
};

/// The lockfile formats pyaudit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockfileKind {
    UvLock,
    PoetryLock,
    Requirements,
    /// PEP 751 `pylock.toml` / `pylock.NAME.toml`.
    Pylock,
    PdmLock,
    PipfileLock,
    /// The `*.dist-info` of an installed environment (`pyaudit lock --installed`).
    Installed,
}

impl LockfileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockfileKind::UvLock => "uv.lock",
            LockfileKind::PoetryLock => "poetry.lock",
            LockfileKind::Requirements => "requirements",
            LockfileKind::Pylock => "pylock.toml",
            LockfileKind::PdmLock => "pdm.lock",
            LockfileKind::PipfileLock => "Pipfile.lock",
            LockfileKind::Installed => "installed",
        }
    }
}

/// Serialized as people name the formats: `uv.lock`, `poetry.lock`, `requirements`,
/// `pylock.toml`, `pdm.lock`, `Pipfile.lock`, `installed`.
impl Serialize for LockfileKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LockfileKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        [
            LockfileKind::UvLock,
            LockfileKind::PoetryLock,
            LockfileKind::Requirements,
            LockfileKind::Pylock,
            LockfileKind::PdmLock,
            LockfileKind::PipfileLock,
            LockfileKind::Installed,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown lockfile kind `{text}`")))
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
        kind @ (LockfileKind::Pylock
        | LockfileKind::PdmLock
        | LockfileKind::PipfileLock
        | LockfileKind::Installed) => parse_other(kind, path, text),
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
        kind => parse_other(kind, path, text),
    }?;
    lockfile.redact_credentials();
    Ok(lockfile)
}

/// The readers that need nothing beside the file.
fn parse_other(kind: LockfileKind, path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    match kind {
        LockfileKind::PdmLock => pdm_lock::parse(path, text),
        LockfileKind::PipfileLock => pipfile_lock::parse(path, text),
        LockfileKind::Installed => Err(LockfileError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "an installed environment is read with `--installed DIR`".to_string(),
        }),
        _ => pylock::parse(path, text),
    }
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
        "pdm.lock" => return Ok(LockfileKind::PdmLock),
        "pipfile.lock" => return Ok(LockfileKind::PipfileLock),
        _ => {}
    }
    if pylock::is_pylock_name(&file_name) {
        return Ok(LockfileKind::Pylock);
    }
    if looks_like_requirements_name(&file_name) {
        return Ok(LockfileKind::Requirements);
    }
    // Content sniffing for renamed files: both TOML lock formats carry distinctive top-level keys.
    let head: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
    let has_package_tables = text.contains("[[package]]");
    if text.contains("[[packages]]")
        && head
            .lines()
            .any(|line| line.trim_start().starts_with("lock-version"))
    {
        return Ok(LockfileKind::Pylock);
    }
    if has_package_tables && text.contains("[metadata]") && text.contains("lock_version") {
        return Ok(LockfileKind::PdmLock);
    }
    if head.trim_start().starts_with('{') && text.contains("\"_meta\"") {
        return Ok(LockfileKind::PipfileLock);
    }
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
            reason: "expected a uv.lock (top-level `version = 1`), a poetry.lock \
                     (`[metadata]` with `lock-version`), a pdm.lock (`[metadata]` with \
                     `lock_version`) or a pylock.toml (`lock-version` and `[[packages]]`)"
                .to_string(),
        });
    }
    if file_name.ends_with(".txt") || file_name.ends_with(".in") {
        return Ok(LockfileKind::Requirements);
    }
    Err(LockfileError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "expected `uv.lock`, `poetry.lock`, `pylock.toml`, `pdm.lock`, `Pipfile.lock` or \
                 a requirements file (`*.txt`, `*.in`)"
            .to_string(),
    })
}

/// Lockfile names one project has at most one of each, in the order discovery lists them.
pub const LOCK_NAMES: [&str; 4] = ["uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock"];

/// The PEP 751 locks in a directory (`pylock.toml`, `pylock.NAME.toml`), sorted.
pub fn pylock_files(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().is_some_and(|name| {
                pylock::is_pylock_name(&name.to_string_lossy().to_ascii_lowercase())
            }) && path.is_file()
        })
        .collect();
    found.sort();
    found
}

fn looks_like_requirements_name(file_name: &str) -> bool {
    (file_name.ends_with(".txt") || file_name.ends_with(".in"))
        && (file_name.contains("requirements") || file_name.contains("constraints"))
}

/// The lockfiles in a directory: `uv.lock`, `poetry.lock`, `pdm.lock`, `Pipfile.lock`,
/// `pylock.toml` and `pylock.NAME.toml`, and requirements files (`requirements*.txt` at the top
/// and `*.txt` under `requirements/`). Requirements files that
/// another found file includes with `-r`/`-c` are left out: they are read through their includer.
pub fn discover(directory: &Path) -> Result<Vec<PathBuf>, LockfileError> {
    let mut found = Vec::new();
    for name in LOCK_NAMES {
        let candidate = directory.join(name);
        if candidate.is_file() {
            found.push(candidate);
        }
    }
    found.extend(pylock_files(directory));
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
        let kind = |name: &str, text: &str| detect_kind(Path::new(name), text).ok();
        assert_eq!(
            kind("pylock.dev.toml", ""),
            Some(LockfileKind::Pylock),
            "PEP 751 names"
        );
        assert_eq!(kind("Pipfile.lock", ""), Some(LockfileKind::PipfileLock));
        assert_eq!(kind("dir/pdm.lock", ""), Some(LockfileKind::PdmLock));
        assert_eq!(
            kind(
                "locked.toml",
                "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\n"
            ),
            Some(LockfileKind::Pylock)
        );
        assert_eq!(
            kind(
                "x.lock",
                "[metadata]\nlock_version = \"4.5.0\"\n[[package]]\nname = \"a\"\n"
            ),
            Some(LockfileKind::PdmLock)
        );
        assert_eq!(
            kind("x.json", "{\n  \"_meta\": {},\n  \"default\": {}\n}\n"),
            Some(LockfileKind::PipfileLock)
        );
        assert!(detect_kind(Path::new("image.png"), "").is_err());
    }
}
