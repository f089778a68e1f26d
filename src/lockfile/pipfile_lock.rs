//! `Pipfile.lock` reader: pipenv's JSON lock (`_meta.pipfile-spec` 6). `default` holds the
//! production packages, `develop` the development ones (group `develop`); each entry has its
//! `version` (`==1.2.3`), `hashes`, `markers`, `index` (a name from `_meta.sources`), `extras`,
//! or a `git` / `file` / `path` source. The format records no edges: every package hangs off
//! the project root, in its section's class.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{
    Dependency, Location, LockedPackage, Lockfile, LockfileError, LockfileKind, PackageIndex,
    PackageRole, Source, package_name, version,
};

/// The dependency group `develop` packages are put in.
pub const DEVELOP_GROUP: &str = "develop";

/// Parse a Pipfile.lock read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let wire: WireLock = serde_json::from_str(text).map_err(|error| {
        let location = Location::new(path, error.line().max(1)).with_column(error.column().max(1));
        let message = format!("invalid Pipfile.lock: {error}");
        if error.is_syntax() || error.is_eof() {
            LockfileError::Syntax { location, message }
        } else {
            LockfileError::Invalid { location, message }
        }
    })?;
    let Some(meta) = wire.meta else {
        return Err(LockfileError::Invalid {
            location: Location::new(path, 1),
            message: "missing `_meta`; not a Pipfile.lock".to_string(),
        });
    };
    let indexes: BTreeMap<String, String> = meta
        .sources
        .into_iter()
        .filter_map(|source| Some((source.name?, source.url?)))
        .collect();
    let lines = entry_lines(text);

    let mut packages: Vec<LockedPackage> = Vec::new();
    let mut node_of: BTreeMap<(String, Option<String>), PackageIndex> = BTreeMap::new();
    let mut main = Vec::new();
    let mut develop = Vec::new();
    for (section, entries, edges) in [
        ("default", wire.default, &mut main),
        ("develop", wire.develop, &mut develop),
    ] {
        for (key, entry) in entries {
            let location = Location::new(
                path,
                lines.get(&(section, key.clone())).copied().unwrap_or(1),
            );
            let package = convert(&key, &entry, &indexes, location)?;
            let node = (
                package.name.to_string(),
                package.version.as_ref().map(ToString::to_string),
            );
            let position = match node_of.get(&node) {
                Some(&position) => position,
                None => {
                    packages.push(package);
                    node_of.insert(node, packages.len() - 1);
                    packages.len() - 1
                }
            };
            edges.push(Dependency {
                package: position,
                extras: entry
                    .extras
                    .iter()
                    .map(|extra| super::normalize_extra(extra))
                    .collect(),
                marker: entry
                    .markers
                    .clone()
                    .filter(|marker| !marker.trim().is_empty()),
            });
        }
    }
    let mut root = super::flat::project_root(path, None)?;
    root.dependencies = main;
    if !develop.is_empty() {
        root.dependency_groups
            .insert(DEVELOP_GROUP.to_string(), develop);
    }
    let root_index = packages.len();
    packages.push(root);
    super::dedup_edges(&mut packages);
    Ok(Lockfile {
        path: path.to_path_buf(),
        kind: LockfileKind::PipfileLock,
        packages,
        roots: vec![root_index],
        warnings: Vec::new(),
        options: Vec::new(),
        unread: Vec::new(),
    })
}

fn convert(
    key: &str,
    entry: &WireEntry,
    indexes: &BTreeMap<String, String>,
    location: Location,
) -> Result<LockedPackage, LockfileError> {
    let invalid = |message: String| LockfileError::Invalid {
        location: location.clone(),
        message,
    };
    let name = package_name(key).map_err(invalid)?;
    let parsed_version = match entry.version.as_deref().map(str::trim) {
        None | Some("" | "*") => None,
        Some(text) => {
            let pinned = text
                .strip_prefix("===")
                .or_else(|| text.strip_prefix("=="))
                .ok_or_else(|| invalid(format!("`{key}`: version `{text}` is not an `==` pin")))?;
            Some(version(pinned.trim()).map_err(invalid)?)
        }
    };
    let source = if let Some(url) = &entry.git {
        Source::Git {
            url: url.clone(),
            reference: entry.reference.clone(),
        }
    } else if let Some(file) = &entry.file {
        if file.contains("://") && !file.starts_with("file://") {
            Source::Url { url: file.clone() }
        } else {
            Source::Path { path: file.clone() }
        }
    } else if let Some(local) = &entry.path {
        if entry.editable.unwrap_or(false) {
            Source::Editable {
                path: local.clone(),
            }
        } else {
            Source::Directory {
                path: local.clone(),
            }
        }
    } else {
        Source::Registry {
            url: entry
                .index
                .as_ref()
                .and_then(|index| indexes.get(index).cloned()),
        }
    };
    Ok(LockedPackage {
        name,
        version: parsed_version,
        source,
        specifier: None,
        role: PackageRole::Package,
        location: Some(location),
        hashes: entry.hashes.len(),
        dependencies: Vec::new(),
        optional_dependencies: BTreeMap::new(),
        dependency_groups: BTreeMap::new(),
    })
}

/// The line of each `"name": {` entry in `default` and `develop`, by one pass over the text
/// (serde_json keeps no positions). pipenv writes one key per line, sections at depth 1.
fn entry_lines(text: &str) -> BTreeMap<(&'static str, String), usize> {
    let mut lines = BTreeMap::new();
    let mut section: Option<&'static str> = None;
    let mut depth: usize = 0;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if depth == 1 {
            section = match trimmed {
                _ if trimmed.starts_with("\"default\"") => Some("default"),
                _ if trimmed.starts_with("\"develop\"") => Some("develop"),
                _ => None,
            };
        }
        if depth == 2
            && let Some(section) = section
            && let Some(rest) = trimmed.strip_prefix('"')
            && let Some(end) = rest.find('"')
        {
            lines
                .entry((section, rest[..end].to_string()))
                .or_insert(number + 1);
        }
        // Braces inside strings are rare in this format and only shift the line we report.
        for byte in trimmed.bytes() {
            match byte {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Wire types: private mirrors of the file. Unknown keys are ignored.

#[derive(Deserialize)]
struct WireLock {
    #[serde(rename = "_meta")]
    meta: Option<WireMeta>,
    #[serde(default)]
    default: BTreeMap<String, WireEntry>,
    #[serde(default)]
    develop: BTreeMap<String, WireEntry>,
}

#[derive(Deserialize)]
struct WireMeta {
    #[serde(default)]
    sources: Vec<WireSource>,
}

#[derive(Deserialize)]
struct WireSource {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct WireEntry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    markers: Option<String>,
    index: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    file: Option<String>,
    path: Option<String>,
    editable: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_meta": {
        "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
    },
    "default": {
        "requests": {
            "hashes": ["sha256:00", "sha256:11"],
            "index": "pypi",
            "markers": "python_version >= '3.8'",
            "version": "==2.32.5"
        },
        "six": {
            "file": "https://example.com/six-1.17.0-py2.py3-none-any.whl"
        }
    },
    "develop": {
        "pytest": {"hashes": [], "version": "==8.0.0"}
    }
}
"#;

    #[test]
    fn sections_become_classes() {
        let lock = parse(Path::new("Pipfile.lock"), LOCK).unwrap();
        let root = &lock.packages[lock.roots[0]];
        assert_eq!(root.dependencies.len(), 2);
        assert_eq!(root.dependency_groups[DEVELOP_GROUP].len(), 1);
        let requests = &lock.packages[0];
        assert_eq!(requests.hashes, 2);
        assert_eq!(requests.location.as_ref().unwrap().line, 6);
        assert_eq!(
            requests.source,
            Source::Registry {
                url: Some("https://pypi.org/simple".into())
            }
        );
        assert_eq!(lock.packages[1].source.kind(), "url");
        assert_eq!(lock.packages[2].location.as_ref().unwrap().line, 17);
    }

    #[test]
    fn errors_are_located() {
        let error = parse(
            Path::new("Pipfile.lock"),
            "{\n  \"_meta\": {},\n  \"default\": [\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("Pipfile.lock:3:"), "{error}");
        let broken = LOCK.replace("==2.32.5", ">=2");
        let error = parse(Path::new("Pipfile.lock"), &broken).unwrap_err();
        assert!(error.to_string().starts_with("Pipfile.lock:6"), "{error}");
    }
}
