//! What one requirement of a requirements file names, following pip 23.2's
//! `constructors.parse_req_from_line` / `parse_editable`: a PEP 508 requirement (`name[extras]
//! specifiers ; marker`, `name @ url`), a URL (VCS `git+https://…@ref#egg=name`, archives, wheels)
//! or a local path, with the name taken from `#egg=`, a wheel's file name, or guessed.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl, VersionOrUrl};

use crate::lockfile::Source;

/// The schemes pip's `is_url` accepts: plain URLs plus every VCS scheme pip knows.
const URL_SCHEMES: &[&str] = &[
    "http",
    "https",
    "file",
    "ftp",
    "git",
    "git+http",
    "git+https",
    "git+ssh",
    "git+git",
    "git+file",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+ssh",
    "svn+http",
    "svn+https",
    "svn+svn",
    "svn+file",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
    "bzr+file",
];

const VERSION_CONTROL_SYSTEMS: &[&str] = &["git", "hg", "svn", "bzr"];

/// pip's `ARCHIVE_EXTENSIONS`.
const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".whl",
    ".zip",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
    ".tar.gz",
    ".tgz",
    ".tar",
];

/// What a requirement string says.
#[derive(Debug, Clone)]
pub(super) struct Classified {
    pub name_as_written: Option<String>,
    pub name: Option<PackageName>,
    /// The name was guessed from a URL or path (no `name @`, `#egg=` or project file said it).
    pub name_is_derived: bool,
    /// Parsed PEP 440 specifiers (`None` for URL requirements and unparsable `===` strings).
    pub specifiers: Option<VersionSpecifiers>,
    /// The specifier as text, comma-separated (`>=2.0,<3`); `===foobar` kept verbatim.
    pub specifier: Option<String>,
    /// Set when the requirement pins one exact version (`==1.0`, `===1.0`, a wheel file name).
    pub version: Option<Version>,
    pub extras: Vec<String>,
    pub marker: Option<String>,
    /// The URL or path as written (for `name @ url`, just the URL).
    pub url: Option<String>,
    /// `true` when pip's own `packaging.Requirement` would parse the text (a named requirement).
    pub is_pep508: bool,
    pub source: Source,
    pub warnings: Vec<String>,
}

/// A requirement pip would refuse, with the byte offset of the problem in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ClassifyError {
    pub offset: usize,
    pub message: String,
}

impl Classified {
    fn unnamed(source: Source, url: &str) -> Self {
        Classified {
            name_as_written: None,
            name: None,
            name_is_derived: false,
            specifiers: None,
            specifier: None,
            version: None,
            extras: Vec::new(),
            marker: None,
            url: Some(url.to_string()),
            is_pep508: false,
            source,
            warnings: Vec::new(),
        }
    }
}

fn url_scheme(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once(':')?;
    Some(scheme.to_ascii_lowercase())
}

/// pip's `is_url`.
pub(super) fn is_url(text: &str) -> bool {
    url_scheme(text).is_some_and(|scheme| URL_SCHEMES.contains(&scheme.as_str()))
}

fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS
        .iter()
        .any(|extension| lower.ends_with(extension))
}

/// pip's `_looks_like_path`.
fn looks_like_path(text: &str) -> bool {
    text.contains('/') || text.contains(std::path::MAIN_SEPARATOR) || text.starts_with('.')
}

/// pip's `_strip_extras`: `path[extra1,extra2]` → (`path`, extras).
fn strip_extras(text: &str) -> (&str, Vec<String>) {
    if let Some(without_bracket) = text.strip_suffix(']')
        && let Some(open) = without_bracket.rfind('[')
        && open > 0
        && !without_bracket[open + 1..].contains(']')
    {
        let extras = split_extras(&without_bracket[open + 1..]);
        return (&text[..open], extras);
    }
    (text, Vec::new())
}

fn split_extras(list: &str) -> Vec<String> {
    list.split(',')
        .map(crate::lockfile::normalize_extra)
        .filter(|extra| !extra.is_empty())
        .collect()
}

/// The `#egg=` / `&egg=` fragment (pip's `Link.egg_fragment`), split into name and extras.
fn egg_fragment(url: &str) -> Option<(String, Vec<String>)> {
    let start = url
        .find("#egg=")
        .or_else(|| url.find("&egg="))
        .map(|index| index + 5)?;
    let value = url[start..].split('&').next().unwrap_or_default().trim();
    if value.is_empty() {
        return None;
    }
    let (name, extras) = strip_extras(value);
    Some((name.trim().to_string(), extras))
}

/// The last path segment of a URL or path, without query or fragment.
fn file_name(url: &str) -> &str {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let without_query = without_fragment.split('?').next().unwrap_or_default();
    without_query
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
}

/// Name and version from a wheel file name (`name-version(-build)?-python-abi-platform.whl`).
fn wheel_name_version(url: &str) -> Option<(String, Version)> {
    let stem = file_name(url).strip_suffix(".whl")?;
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 5 {
        return None;
    }
    let version = Version::from_str(parts[1]).ok()?;
    Some((parts[0].to_string(), version))
}

/// A package-name-shaped guess from a URL or path: the repository or archive name.
fn guess_name(url: &str, base_directory: &Path) -> Option<PackageName> {
    let mut candidate = file_name(url).to_string();
    if let Some((before, _)) = candidate.rsplit_once('@')
        && !before.is_empty()
    {
        candidate = before.to_string();
    }
    if candidate.is_empty() || candidate == "." {
        candidate = std::fs::canonicalize(base_directory.join(url))
            .ok()
            .and_then(|path| {
                path.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
    }
    let lower = candidate.to_ascii_lowercase();
    for extension in ARCHIVE_EXTENSIONS.iter().chain(&[".git"]) {
        if lower.ends_with(extension) {
            candidate.truncate(candidate.len() - extension.len());
            break;
        }
    }
    // `name-1.2.3` (an sdist): the name stops before the first `-<digit>`.
    if let Some(index) = candidate
        .char_indices()
        .find(|&(index, character)| {
            character == '-'
                && candidate[index + 1..].starts_with(|next: char| next.is_ascii_digit())
        })
        .map(|(index, _)| index)
    {
        candidate.truncate(index);
    }
    let sanitized: String = candidate
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-') {
                character
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = sanitized.trim_matches(|character: char| !character.is_ascii_alphanumeric());
    PackageName::new(trimmed.to_string())
        .or_else(|_| PackageName::new("unnamed".to_string()))
        .ok()
}

/// The `[project] name` (or `[tool.poetry] name`) of a local source tree, if it says one.
fn project_name(directory: &Path) -> Option<String> {
    let text = crate::input::read_to_string(
        &directory.join("pyproject.toml"),
        crate::input::LOCKFILE_BYTES,
    )
    .ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    let from_project = table
        .get("project")
        .and_then(|project| project.get("name"))
        .and_then(|name| name.as_str());
    let from_poetry = table
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("name"))
        .and_then(|name| name.as_str());
    from_project.or(from_poetry).map(str::to_string)
}

/// Where a URL points: git (with the ref after `@`), another VCS, a local file/directory, or a
/// plain URL.
pub(super) fn source_from_url(url: &str, base_directory: &Path) -> Source {
    let scheme = url_scheme(url).unwrap_or_default();
    let system = scheme.split('+').next().unwrap_or_default();
    if scheme.contains('+') && system == "git" || scheme == "git" {
        return git_source(url);
    }
    if VERSION_CONTROL_SYSTEMS.contains(&system) && (scheme.contains('+') || scheme == "svn") {
        return Source::Url {
            url: url.to_string(),
        };
    }
    if scheme == "file" {
        let path = url
            .get(5..)
            .unwrap_or_default()
            .trim_start_matches("//localhost")
            .to_string();
        let path = if path.starts_with("///") {
            path[2..].to_string()
        } else {
            path.trim_start_matches("//").to_string()
        };
        let without_fragment = path.split('#').next().unwrap_or_default().to_string();
        let is_file =
            is_archive(&without_fragment) || base_directory.join(&without_fragment).is_file();
        return if is_file {
            Source::Path {
                path: without_fragment,
            }
        } else {
            Source::Directory {
                path: without_fragment,
            }
        };
    }
    Source::Url {
        url: url.to_string(),
    }
}

/// `git+https://host/path@ref#egg=x` → `https://host/path` and `ref` (pip's
/// `get_url_rev_and_auth`: the revision is after the last `@` of the URL path).
fn git_source(url: &str) -> Source {
    let without_prefix = match url.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("git+") => &url[4..],
        _ => url,
    };
    let without_fragment = without_prefix.split('#').next().unwrap_or_default();
    if let Some(scheme_end) = without_fragment.find("://") {
        let after_scheme = &without_fragment[scheme_end + 3..];
        if let Some(path_start) = after_scheme.find('/') {
            let path = &after_scheme[path_start..];
            if let Some((path, reference)) = path.rsplit_once('@') {
                let prefix_length = scheme_end + 3 + path_start;
                return Source::Git {
                    url: format!("{}{path}", &without_fragment[..prefix_length]),
                    reference: Some(reference.to_string()).filter(|r| !r.is_empty()),
                };
            }
        }
    }
    Source::Git {
        url: without_fragment.to_string(),
        reference: None,
    }
}

fn set_name_from_egg_or_guess(
    classified: &mut Classified,
    url: &str,
    base_directory: &Path,
    local_directory: Option<&Path>,
) {
    if let Some((name, extras)) = egg_fragment(url)
        && let Ok(parsed) = PackageName::new(name.clone())
    {
        classified.name_as_written = Some(name);
        classified.name = Some(parsed);
        if classified.extras.is_empty() {
            classified.extras = extras;
        }
        return;
    }
    if let Some((name, version)) = wheel_name_version(url)
        && let Ok(parsed) = PackageName::new(name.clone())
    {
        classified.name_as_written = Some(name);
        classified.name = Some(parsed);
        classified.specifier = Some(format!("=={version}"));
        classified.version = Some(version);
        return;
    }
    if let Some(directory) = local_directory
        && let Some(name) = project_name(directory)
        && let Ok(parsed) = PackageName::new(name.clone())
    {
        classified.name_as_written = Some(name);
        classified.name = Some(parsed);
        return;
    }
    let guess = guess_name(url, base_directory);
    let shown = guess.as_ref().map_or("unnamed", |name| name.as_ref());
    classified.warnings.push(format!(
        "`{url}` does not name its package (no `name @` or `#egg=`); calling it `{shown}`"
    ));
    classified.name = guess;
    classified.name_is_derived = true;
}

/// pip's marker split: `"; "` after a URL (URLs may contain `;`), `";"` otherwise. Returns the
/// requirement part, and the marker with its byte offset.
fn split_marker(text: &str) -> (&str, Option<(usize, &str)>) {
    let separator = if is_url(text) { "; " } else { ";" };
    match text.find(separator) {
        Some(index) => {
            let marker_start = index + separator.len();
            let marker = &text[marker_start..];
            let leading = marker.len() - marker.trim_start().len();
            let trimmed = marker.trim();
            let marker = (!trimmed.is_empty()).then_some((marker_start + leading, trimmed));
            (&text[..index], marker)
        }
        None => (text, None),
    }
}

/// Read one non-editable requirement (the part of the line before any option).
pub(super) fn classify(text: &str, base_directory: &Path) -> Result<Classified, ClassifyError> {
    let (requirement, marker) = split_marker(text);
    let marker_text = match marker {
        Some((offset, marker)) => {
            if let Err(error) = MarkerTree::parse_str::<VerbatimUrl>(marker) {
                return Err(ClassifyError {
                    offset: offset + error.start.min(marker.len()),
                    message: format!("invalid marker `{marker}`: {}", error.message),
                });
            }
            Some(marker.to_string())
        }
        None => None,
    };
    let requirement = requirement.trim();
    let mut classified = classify_without_marker(requirement, base_directory)?;
    classified.marker = marker_text;
    Ok(classified)
}

fn classify_without_marker(
    requirement: &str,
    base_directory: &Path,
) -> Result<Classified, ClassifyError> {
    if is_url(requirement) {
        let source = source_from_url(requirement, base_directory);
        let mut classified = Classified::unnamed(source, requirement);
        set_name_from_egg_or_guess(&mut classified, requirement, base_directory, None);
        return Ok(classified);
    }
    let (path, extras) = strip_extras(requirement);
    let local = base_directory.join(path);
    if looks_like_path(requirement) && local.is_dir() {
        let mut classified = Classified::unnamed(
            Source::Directory {
                path: path.to_string(),
            },
            path,
        );
        classified.extras = extras;
        set_name_from_egg_or_guess(&mut classified, path, base_directory, Some(&local));
        return Ok(classified);
    }
    if is_archive(path) {
        let named_url = requirement
            .split_once('@')
            .is_some_and(|(before, _)| !looks_like_path(before));
        if local.is_file() || !named_url {
            let mut classified = Classified::unnamed(
                Source::Path {
                    path: path.to_string(),
                },
                path,
            );
            classified.extras = extras;
            if !local.is_file() {
                classified.warnings.push(format!(
                    "requirement `{requirement}` looks like a file name, but the file does not exist"
                ));
            }
            set_name_from_egg_or_guess(&mut classified, path, base_directory, None);
            return Ok(classified);
        }
    }
    match parse_pep508(requirement, base_directory) {
        Ok(parsed) => Ok(from_pep508(requirement, parsed, base_directory)),
        Err(error) => {
            if let Some(classified) = arbitrary_equality(requirement, base_directory) {
                return Ok(classified);
            }
            // NOTE: pip rejects a path that does not exist; an auditor reading a file copied away
            // from its project is better served by keeping the entry and saying so.
            if looks_like_path(requirement) && !requirement.contains('@') {
                let mut classified = Classified::unnamed(
                    Source::Directory {
                        path: path.to_string(),
                    },
                    path,
                );
                classified.extras = extras;
                classified.warnings.push(format!(
                    "requirement `{requirement}` looks like a path, but `{}` is not a directory",
                    local.display()
                ));
                set_name_from_egg_or_guess(&mut classified, path, base_directory, None);
                return Ok(classified);
            }
            let mut message = format!("invalid requirement `{requirement}`: {}", error.message);
            let operators = ["~=", "==", "!=", "<=", ">=", "<", ">", "==="];
            if requirement.contains('=')
                && !operators
                    .iter()
                    .any(|operator| requirement.contains(operator))
            {
                message.push_str(" (hint: = is not a valid operator; did you mean ==?)");
            }
            Err(ClassifyError {
                offset: error.start.min(requirement.len()),
                message,
            })
        }
    }
}

fn parse_pep508(
    text: &str,
    base_directory: &Path,
) -> Result<Requirement<VerbatimUrl>, pep508_rs::Pep508Error<VerbatimUrl>> {
    crate::lockfile::refuse_panicking_name(text)?;
    Requirement::<VerbatimUrl>::parse(text, base_directory)
}

/// `name===anything`: PEP 440 arbitrary equality, which pip accepts for any string and pep508_rs
/// only for PEP 440 versions.
fn arbitrary_equality(requirement: &str, base_directory: &Path) -> Option<Classified> {
    let (left, right) = requirement.split_once("===")?;
    let value = right.trim();
    if value.is_empty() || value.contains([',', ' ', ';', '\t']) {
        return None;
    }
    let parsed = parse_pep508(left.trim(), base_directory).ok()?;
    if parsed.version_or_url.is_some() {
        return None;
    }
    let mut classified = from_pep508(left.trim(), parsed, base_directory);
    classified.specifier = Some(format!("==={value}"));
    classified.version = None;
    Some(classified)
}

fn from_pep508(text: &str, parsed: Requirement<VerbatimUrl>, base_directory: &Path) -> Classified {
    let written: String = text
        .trim_start()
        .chars()
        .take_while(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-')
        })
        .collect();
    let mut classified = Classified {
        name_as_written: Some(written),
        name: Some(parsed.name.clone()),
        name_is_derived: false,
        specifiers: None,
        specifier: None,
        version: None,
        extras: parsed.extras.iter().map(ToString::to_string).collect(),
        marker: None,
        url: None,
        is_pep508: true,
        source: Source::Registry { url: None },
        warnings: Vec::new(),
    };
    match parsed.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let text: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
            classified.specifier = Some(text.join(","));
            classified.version = pinned_version(&specifiers);
            classified.specifiers = Some(specifiers);
        }
        Some(VersionOrUrl::Url(url)) => {
            let written = url
                .given()
                .map(str::to_string)
                .unwrap_or_else(|| url.raw().to_string());
            classified.source = source_from_url(&written, base_directory);
            if let Some((_, version)) = wheel_name_version(&written) {
                classified.version = Some(version);
            }
            classified.url = Some(written);
        }
        None => {}
    }
    classified
}

/// The version a specifier set pins: exactly one `==` (no wildcard) or `===` clause.
fn pinned_version(specifiers: &VersionSpecifiers) -> Option<Version> {
    let mut iterator = specifiers.iter();
    let only = iterator.next()?;
    if iterator.next().is_some() {
        return None;
    }
    matches!(only.operator(), Operator::Equal | Operator::ExactEqual)
        .then(|| only.version().clone())
}

/// Read the value of `-e`/`--editable`: a local project directory (optionally with `[extras]`)
/// or a VCS URL, as pip's `parse_editable` does.
pub(super) fn classify_editable(
    text: &str,
    base_directory: &Path,
) -> Result<Classified, ClassifyError> {
    let (without_extras, extras) = strip_extras(text);
    let local = base_directory.join(without_extras);
    if local.is_dir() || without_extras.to_ascii_lowercase().starts_with("file:") {
        let path = match without_extras.get(..5) {
            Some(prefix) if prefix.eq_ignore_ascii_case("file:") => {
                match source_from_url(without_extras, base_directory) {
                    Source::Directory { path } | Source::Path { path } => path,
                    _ => without_extras.to_string(),
                }
            }
            _ => without_extras.to_string(),
        };
        let directory = base_directory.join(&path);
        let mut classified = Classified::unnamed(Source::Editable { path: path.clone() }, text);
        classified.extras = extras;
        set_name_from_egg_or_guess(&mut classified, &path, base_directory, Some(&directory));
        return Ok(classified);
    }
    let mut url = text.to_string();
    for system in VERSION_CONTROL_SYSTEMS {
        if text.to_ascii_lowercase().starts_with(&format!("{system}:")) {
            url = format!("{system}+{text}");
            break;
        }
    }
    let scheme = url_scheme(&url).unwrap_or_default();
    let is_version_control = scheme.contains('+') && URL_SCHEMES.contains(&scheme.as_str())
        || scheme == "git"
        || scheme == "svn";
    if !is_version_control {
        if looks_like_path(without_extras) && !is_url(without_extras) {
            let mut classified = Classified::unnamed(
                Source::Editable {
                    path: without_extras.to_string(),
                },
                text,
            );
            classified.extras = extras;
            classified.warnings.push(format!(
                "editable requirement `{text}` names `{}`, which is not a directory",
                local.display()
            ));
            set_name_from_egg_or_guess(&mut classified, without_extras, base_directory, None);
            return Ok(classified);
        }
        return Err(ClassifyError {
            offset: 0,
            message: format!(
                "`{text}` is not a valid editable requirement: it should either be a path to a \
                 local project or a VCS URL (beginning with {})",
                URL_SCHEMES[4..].join(", ")
            ),
        });
    }
    let mut classified = Classified::unnamed(source_from_url(&url, base_directory), &url);
    set_name_from_egg_or_guess(&mut classified, &url, base_directory, None);
    Ok(classified)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> &'static Path {
        Path::new("/nonexistent-base")
    }

    #[test]
    fn named_requirements() {
        let classified =
            classify("Foo_Bar[Sec, X]>=1.0,<2 ; python_version<'3.9'", here()).unwrap();
        assert_eq!(classified.name_as_written.as_deref(), Some("Foo_Bar"));
        assert_eq!(classified.name.unwrap().as_ref(), "foo-bar");
        assert_eq!(classified.extras, ["sec", "x"]);
        assert_eq!(classified.specifier.as_deref(), Some(">=1.0,<2"));
        assert_eq!(classified.marker.as_deref(), Some("python_version<'3.9'"));
        assert!(classified.version.is_none());
        assert!(classified.is_pep508);
    }

    #[test]
    fn pins() {
        let pinned = |text: &str| {
            classify(text, here())
                .unwrap()
                .version
                .map(|v| v.to_string())
        };
        assert_eq!(pinned("a==1.2.2.post1").as_deref(), Some("1.2.2.post1"));
        assert_eq!(pinned("a===1.0").as_deref(), Some("1.0"));
        assert_eq!(pinned("a==1.*"), None);
        assert_eq!(pinned("a>=1"), None);
        assert_eq!(pinned("a==1,!=2"), None);
        let arbitrary = classify("a===foobar", here()).unwrap();
        assert_eq!(arbitrary.specifier.as_deref(), Some("===foobar"));
        assert!(arbitrary.version.is_none());
    }

    #[test]
    fn empty_marker_is_no_marker() {
        let classified = classify("foo ;", here()).unwrap();
        assert!(classified.marker.is_none());
    }

    #[test]
    fn urls_and_eggs() {
        let classified = classify(
            "git+https://github.com/ansible/ansible-runner.git@devel#egg=ansible-runner",
            here(),
        )
        .unwrap();
        assert_eq!(classified.name.unwrap().as_ref(), "ansible-runner");
        assert!(!classified.is_pep508);
        assert_eq!(
            classified.source,
            Source::Git {
                url: "https://github.com/ansible/ansible-runner.git".to_string(),
                reference: Some("devel".to_string())
            }
        );
        let named = classify(
            "dab @ git+https://git@github.com/a/b.git@v1#egg=dab[x,y]",
            here(),
        )
        .unwrap();
        assert_eq!(
            named.url.as_deref(),
            Some("git+https://git@github.com/a/b.git@v1#egg=dab[x,y]")
        );
        assert!(named.extras.is_empty());
        assert_eq!(
            named.source,
            Source::Git {
                url: "https://git@github.com/a/b.git".to_string(),
                reference: Some("v1".to_string())
            }
        );
        let wheel = classify(
            "https://example.com/pkgs/My_Pkg-1.0-py3-none-any.whl ; python_version>'3'",
            here(),
        )
        .unwrap();
        assert_eq!(wheel.name.unwrap().as_ref(), "my-pkg");
        assert_eq!(wheel.version.unwrap().to_string(), "1.0");
        assert_eq!(wheel.marker.as_deref(), Some("python_version>'3'"));
        let unnamed = classify("https://example.com/archive/foo-2.0.tar.gz", here()).unwrap();
        assert_eq!(unnamed.name.unwrap().as_ref(), "foo");
        assert!(unnamed.name_is_derived);
        assert_eq!(unnamed.warnings.len(), 1);
    }

    #[test]
    fn other_version_control_systems_are_urls() {
        let classified = classify("hg+https://hg.example/repo#egg=repo", here()).unwrap();
        assert_eq!(
            classified.source,
            Source::Url {
                url: "hg+https://hg.example/repo#egg=repo".to_string()
            }
        );
    }

    #[test]
    fn local_paths() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::create_dir(directory.path().join("proj")).unwrap();
        std::fs::write(
            directory.path().join("proj/pyproject.toml"),
            "[project]\nname = \"My.Project\"\n",
        )
        .unwrap();
        let local = classify("./proj[extra]", directory.path()).unwrap();
        assert_eq!(local.name.unwrap().as_ref(), "my-project");
        assert_eq!(local.extras, ["extra"]);
        assert_eq!(
            local.source,
            Source::Directory {
                path: "./proj".to_string()
            }
        );
        let archive = classify("dist/foo-1.0.tar.gz", directory.path()).unwrap();
        assert_eq!(
            archive.source,
            Source::Path {
                path: "dist/foo-1.0.tar.gz".to_string()
            }
        );
        let editable = classify_editable(".[standard]", directory.path()).unwrap();
        assert_eq!(editable.extras, ["standard"]);
        assert_eq!(
            editable.source,
            Source::Editable {
                path: ".".to_string()
            }
        );
        let vcs = classify_editable("git+https://h/x.git@abc#egg=x", here()).unwrap();
        assert_eq!(vcs.name.unwrap().as_ref(), "x");
        let bare = classify_editable("git://h/y.git#egg=y", here()).unwrap();
        assert!(matches!(bare.source, Source::Git { .. }));
        assert!(classify_editable("notapath", here()).is_err());
    }

    #[test]
    fn invalid_requirements() {
        let error = classify("foo=1", here()).unwrap_err();
        assert_eq!(error.offset, 3);
        assert!(
            error.message.contains("did you mean =="),
            "{}",
            error.message
        );
        let error = classify("foo ; python_version <", here()).unwrap_err();
        assert!(
            error.message.starts_with("invalid marker"),
            "{}",
            error.message
        );
        assert!(error.offset >= 6);
    }
}
