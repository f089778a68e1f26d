//! Distribution → import names: which modules a distribution puts on `sys.path`.
//!
//! The accurate sources are a distribution's own file list — a wheel's central directory
//! ([`super::wheels`]) or an installed `*.dist-info/RECORD` (`--venv`) — read by
//! [`modules_from_paths`]: `yaml/__init__.py` gives `yaml`, `_yaml.cpython-312-x86_64-linux-gnu.so`
//! gives `_yaml`, and a namespace package (a directory without `__init__.py`, PEP 420) is followed
//! down to the first regular package, so google-cloud-storage gives `google.cloud.storage`, not
//! `google`. An installed distribution without RECORD falls back to `top_level.txt`.
//!
//! Without either, [`fallback_modules`] guesses: a table of distributions whose import name
//! differs from their name ([`IRREGULAR`], e.g. PyYAML → `yaml`, beautifulsoup4 → `bs4`), else
//! the normalized name with `-` → `_` (and, for dashed names, the dotted form for namespace
//! packages such as `zope-interface` → `zope.interface`). The source is kept with the result so a
//! finding can say it rests on a guess. User overrides (`[usage.modules]`) win over everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where a distribution's module list came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MappingSource {
    /// The central directory of this wheel.
    Wheel { file: String },
    /// An installed distribution's metadata directory.
    Venv { path: PathBuf },
    /// `[usage.modules]` in the config.
    Override,
    /// The documented guess; `reason` says why nothing better was available.
    Fallback { reason: String },
}

impl MappingSource {
    pub fn is_guess(&self) -> bool {
        matches!(self, MappingSource::Fallback { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            MappingSource::Wheel { file } => format!("from the file list of {file}"),
            MappingSource::Venv { path } => format!("from {}", path.display()),
            MappingSource::Override => "from [usage.modules] in the config".to_owned(),
            MappingSource::Fallback { reason } => {
                format!("guessed from the name ({reason})")
            }
        }
    }
}

/// The modules one distribution provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionModules {
    /// Dotted module names, shallowest regular package or module per file tree.
    pub modules: BTreeSet<String>,
    /// Modules this distribution carries stubs for (`requests-stubs/` → `requests`, PEP 561).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub stubs_for: BTreeSet<String>,
    pub source: MappingSource,
}

const MODULE_SUFFIXES: [&str; 4] = [".py", ".pyi", ".so", ".pyd"];

/// The modules a distribution's file list provides. Paths are archive-relative (`a/b.py`);
/// `*.dist-info/` and `*.data/` (other than `purelib`/`platlib`) are not modules, and `..` paths
/// (scripts installed outside site-packages, in a RECORD) are skipped.
pub fn modules_from_paths<'a>(
    paths: impl IntoIterator<Item = &'a str>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files: Vec<Vec<&str>> = Vec::new();
    let mut regular_packages: BTreeSet<Vec<&str>> = BTreeSet::new();
    for path in paths {
        let mut parts: Vec<&str> = path
            .split(['/', '\\'])
            .filter(|part| !part.is_empty())
            .collect();
        if parts.is_empty() || parts.contains(&"..") || parts.contains(&"__pycache__") {
            continue;
        }
        if parts[0].ends_with(".data") {
            if parts.len() > 2 && matches!(parts[1], "purelib" | "platlib") {
                parts.drain(..2);
            } else {
                continue;
            }
        }
        if parts[0].ends_with(".dist-info") || parts[0].ends_with(".egg-info") {
            continue;
        }
        let Some(last) = parts.last_mut() else {
            continue;
        };
        let Some(stem) = module_stem(last) else {
            continue;
        };
        if stem == "__init__" {
            parts.pop();
            regular_packages.insert(parts.clone());
            files.push(parts);
        } else {
            *last = stem;
            files.push(parts);
        }
    }
    let mut modules = BTreeSet::new();
    let mut stubs_for = BTreeSet::new();
    for parts in files {
        if parts.is_empty() {
            continue;
        }
        // The shallowest prefix that is a regular package, or the module itself.
        let depth = (1..=parts.len())
            .find(|&depth| regular_packages.contains(&parts[..depth]))
            .unwrap_or(parts.len());
        let top = parts[0];
        if let Some(stubbed) = top.strip_suffix("-stubs") {
            stubs_for.insert(stubbed.to_owned());
            continue;
        }
        if !parts[..depth].iter().all(|part| is_identifier(part)) {
            continue;
        }
        modules.insert(parts[..depth].join("."));
    }
    (modules, stubs_for)
}

/// `mod.py` → `mod`, `_yaml.cpython-312-x86_64-linux-gnu.so` → `_yaml`; `None` for other files.
fn module_stem(file: &str) -> Option<&str> {
    let suffix = MODULE_SUFFIXES
        .iter()
        .find(|suffix| file.ends_with(*suffix))?;
    let stem = &file[..file.len() - suffix.len()];
    // Extension modules carry an ABI tag after the first dot.
    Some(stem.split('.').next().unwrap_or(stem))
}

fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == b'_' || first >= 0x80)
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80)
}

/// Distributions whose import name is not their name. Keys are PEP 503 normalized.
pub const IRREGULAR: &[(&str, &[&str])] = &[
    ("attrs", &["attr", "attrs"]),
    ("beautifulsoup4", &["bs4"]),
    ("discord-py", &["discord"]),
    ("dnspython", &["dns"]),
    ("docker-py", &["docker"]),
    ("email-validator", &["email_validator"]),
    ("faiss-cpu", &["faiss"]),
    ("gitpython", &["git"]),
    ("google-api-python-client", &["googleapiclient"]),
    ("grpcio", &["grpc"]),
    ("ipython", &["IPython"]),
    ("jinja2", &["jinja2"]),
    ("lxml", &["lxml"]),
    ("mysqlclient", &["MySQLdb"]),
    ("opencv-python", &["cv2"]),
    ("opencv-python-headless", &["cv2"]),
    ("opencv-contrib-python", &["cv2"]),
    ("pillow", &["PIL"]),
    ("protobuf", &["google.protobuf"]),
    ("psycopg2-binary", &["psycopg2"]),
    ("py-cpuinfo", &["cpuinfo"]),
    ("pycryptodome", &["Crypto"]),
    ("pycryptodomex", &["Cryptodome"]),
    ("pyjwt", &["jwt"]),
    ("pymupdf", &["fitz", "pymupdf"]),
    ("pyopenssl", &["OpenSSL"]),
    ("pyserial", &["serial"]),
    ("python-dateutil", &["dateutil"]),
    ("python-docx", &["docx"]),
    ("python-dotenv", &["dotenv"]),
    ("python-jose", &["jose"]),
    ("python-magic", &["magic"]),
    ("python-multipart", &["multipart", "python_multipart"]),
    ("python-pptx", &["pptx"]),
    ("python-slugify", &["slugify"]),
    ("pytz", &["pytz"]),
    (
        "pywin32",
        &["win32api", "win32con", "pywintypes", "win32com"],
    ),
    ("pyyaml", &["yaml", "_yaml"]),
    ("ruamel-yaml", &["ruamel.yaml"]),
    ("scikit-image", &["skimage"]),
    ("scikit-learn", &["sklearn"]),
    (
        "setuptools",
        &["setuptools", "pkg_resources", "_distutils_hack"],
    ),
    ("tensorflow-cpu", &["tensorflow"]),
    ("typing-extensions", &["typing_extensions"]),
    ("msgpack-python", &["msgpack"]),
    ("websocket-client", &["websocket"]),
    ("zope-interface", &["zope.interface"]),
];

/// The guess for `name` (PEP 503 normalized).
pub fn fallback_modules(name: &str) -> BTreeSet<String> {
    if let Some((_, modules)) = IRREGULAR.iter().find(|(known, _)| *known == name) {
        return modules.iter().map(|module| (*module).to_owned()).collect();
    }
    let mut modules = BTreeSet::from([name.replace(['-', '.'], "_")]);
    if let Some(stubbed) = name.strip_prefix("types-") {
        // Stub-only distributions provide no runtime module.
        modules.clear();
        modules.insert(format!("{}-stubs", stubbed.replace('-', "_")));
    } else if name.contains('-') {
        modules.insert(name.replace('-', "."));
    }
    modules
}

/// A distribution's mapping from the guess, with the reason no better source was used.
pub fn fallback(name: &str, reason: impl Into<String>) -> DistributionModules {
    let modules = fallback_modules(name);
    let stubs_for = name
        .strip_prefix("types-")
        .map(|stubbed| BTreeSet::from([stubbed.replace('-', "_")]))
        .unwrap_or_default();
    DistributionModules {
        modules: modules
            .into_iter()
            .filter(|module| !module.ends_with("-stubs"))
            .collect(),
        stubs_for,
        source: MappingSource::Fallback {
            reason: reason.into(),
        },
    }
}

/// The distributions installed in a virtual environment: PEP 503 name → modules, read from each
/// `site-packages/*.dist-info` (RECORD, else `top_level.txt`).
pub fn read_venv(venv: &Path) -> Result<BTreeMap<String, DistributionModules>, std::io::Error> {
    let mut found = BTreeMap::new();
    for site_packages in site_packages_dirs(venv)? {
        for entry in std::fs::read_dir(&site_packages)? {
            let path = entry?.path();
            let Some(directory) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            let Some(stem) = directory.strip_suffix(".dist-info") else {
                continue;
            };
            // `Name-1.0.dist-info`: the name is before the last dash-separated version.
            let name = stem.rsplit_once('-').map_or(stem, |(name, _)| name);
            let name = crate::lockfile::normalize_extra(name);
            let (modules, stubs_for) = match crate::input::read_to_string(
                &path.join("RECORD"),
                crate::input::METADATA_BYTES,
            ) {
                Ok(record) => modules_from_paths(
                    record
                        .lines()
                        .filter_map(|line| line.split(',').next())
                        .filter(|file| !file.is_empty()),
                ),
                Err(_) => {
                    let top_level = crate::input::read_to_string(
                        &path.join("top_level.txt"),
                        crate::input::METADATA_BYTES,
                    )
                    .unwrap_or_default();
                    (
                        top_level
                            .lines()
                            .map(str::trim)
                            .filter(|line| !line.is_empty())
                            .map(|line| line.replace('/', "."))
                            .collect(),
                        BTreeSet::new(),
                    )
                }
            };
            found.insert(
                name,
                DistributionModules {
                    modules,
                    stubs_for,
                    source: MappingSource::Venv { path },
                },
            );
        }
    }
    Ok(found)
}

/// `lib/python3.*/site-packages` (POSIX) and `Lib/site-packages` (Windows) under a venv.
fn site_packages_dirs(venv: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut found = Vec::new();
    let windows = venv.join("Lib").join("site-packages");
    if windows.is_dir() {
        found.push(windows);
    }
    for lib in ["lib", "lib64"] {
        let Ok(entries) = std::fs::read_dir(venv.join(lib)) else {
            continue;
        };
        for entry in entries {
            let candidate = entry?.path().join("site-packages");
            if candidate.is_dir() && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    }
    if found.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no site-packages under `{}` (expected lib/python3.X/site-packages or Lib/site-packages)",
                venv.display()
            ),
        ));
    }
    found.sort();
    Ok(found)
}

/// Module → the distributions providing it, for resolving imports.
#[derive(Debug, Clone, Default)]
pub struct ModuleIndex {
    providers: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleIndex {
    pub fn new<'a>(
        distributions: impl IntoIterator<Item = (&'a str, &'a DistributionModules)>,
    ) -> Self {
        let mut providers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, modules) in distributions {
            for module in &modules.modules {
                providers
                    .entry(module.clone())
                    .or_default()
                    .insert(name.to_owned());
            }
        }
        Self { providers }
    }

    /// The distributions providing the module of a dotted import: the longest provided prefix of
    /// `candidates` (tried in order, longest first); else, when the import names a namespace
    /// parent (`import google`), every distribution providing a module under it.
    pub fn resolve(&self, candidates: &[String]) -> BTreeSet<String> {
        for candidate in candidates {
            let mut prefix = candidate.as_str();
            loop {
                if let Some(found) = self.providers.get(prefix) {
                    return found.clone();
                }
                match prefix.rsplit_once('.') {
                    Some((parent, _)) => prefix = parent,
                    None => break,
                }
            }
        }
        let mut found = BTreeSet::new();
        for candidate in candidates {
            let under = format!("{candidate}.");
            for (module, names) in self.providers.range(under.clone()..) {
                if !module.starts_with(&under) {
                    break;
                }
                found.extend(names.iter().cloned());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lists_give_modules() {
        let (modules, stubs) = modules_from_paths([
            "yaml/__init__.py",
            "yaml/loader.py",
            "_yaml/__init__.py",
            "_cffi.cpython-312-x86_64-linux-gnu.so",
            "PyYAML-6.0.1.dist-info/RECORD",
            "six.py",
            "google/cloud/storage/__init__.py",
            "google/cloud/storage/blob.py",
            "pkg.data/purelib/extra/__init__.py",
            "pkg.data/scripts/tool",
            "../../bin/tool",
            "requests-stubs/__init__.pyi",
            "README.md",
        ]);
        assert_eq!(
            modules.into_iter().collect::<Vec<_>>(),
            vec![
                "_cffi",
                "_yaml",
                "extra",
                "google.cloud.storage",
                "six",
                "yaml"
            ]
        );
        assert_eq!(stubs.into_iter().collect::<Vec<_>>(), vec!["requests"]);
    }

    #[test]
    fn pure_namespace_trees_give_their_modules() {
        let (modules, _) = modules_from_paths(["ns/sub/mod.py", "ns/sub/other.py"]);
        assert_eq!(
            modules.into_iter().collect::<Vec<_>>(),
            vec!["ns.sub.mod", "ns.sub.other"]
        );
    }

    #[test]
    fn fallback_knows_irregular_names() {
        let names = |name: &str| fallback_modules(name).into_iter().collect::<Vec<_>>();
        assert_eq!(names("pyyaml"), vec!["_yaml", "yaml"]);
        assert_eq!(names("beautifulsoup4"), vec!["bs4"]);
        assert_eq!(names("scikit-learn"), vec!["sklearn"]);
        assert_eq!(names("pillow"), vec!["PIL"]);
        assert_eq!(names("python-dateutil"), vec!["dateutil"]);
        assert_eq!(
            names("google-cloud-storage"),
            vec!["google.cloud.storage", "google_cloud_storage"]
        );
        assert_eq!(names("requests"), vec!["requests"]);
        let stubs = fallback("types-requests", "test");
        assert!(stubs.modules.is_empty());
        assert!(stubs.stubs_for.contains("requests"));
    }

    #[test]
    fn index_resolves_longest_prefix_and_namespace_parents() {
        let storage = fallback("google-cloud-storage", "t");
        let bigquery = fallback("google-cloud-bigquery", "t");
        let yaml = fallback("pyyaml", "t");
        let index = ModuleIndex::new([
            ("google-cloud-storage", &storage),
            ("google-cloud-bigquery", &bigquery),
            ("pyyaml", &yaml),
        ]);
        let resolve = |candidates: &[&str]| {
            index
                .resolve(&candidates.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            resolve(&["google.cloud.storage.blob"]),
            vec!["google-cloud-storage"]
        );
        assert_eq!(
            resolve(&["google.cloud.storage", "google.cloud"]),
            vec!["google-cloud-storage"]
        );
        assert_eq!(resolve(&["yaml.loader"]), vec!["pyyaml"]);
        assert_eq!(
            resolve(&["google"]),
            vec!["google-cloud-bigquery", "google-cloud-storage"]
        );
        assert!(resolve(&["nothing"]).is_empty());
    }
}
