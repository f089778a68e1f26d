//! Lockfile readers: one module per format, each turning a file into the same plain [`Lockfile`].
//!
//! Readers only describe what the file says — packages, the edges between them, which packages are
//! roots and through which extras or dependency groups an edge is taken. Classifying packages
//! (prod / optional / dev) and finding paths is the graph's job (`crate::graph`).

pub mod detect;
pub(crate) mod flat;
pub mod installed;
pub(crate) mod marker_scope;
pub mod pdm_lock;
pub mod pipfile_lock;
pub mod poetry_constraint;
pub mod poetry_lock;
pub mod pylock;
pub mod pyproject;
pub mod requirements;
pub mod uv_lock;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};

pub use detect::{LockfileKind, detect_kind, discover, read_lockfile, read_lockfile_with};

/// Where a lockfile and the files it pulls in may be.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The directory every file read must resolve inside (after `..` and symbolic links): the
    /// directory the command was pointed at. `None`: the directory of the lockfile itself.
    pub project_root: Option<PathBuf>,
    /// Let requirements includes and lockfiles resolve outside `project_root` (monorepos that
    /// share requirements files). Special files and kernel pseudo-filesystems stay refused.
    pub allow_outside: bool,
}

impl ReadOptions {
    /// The root for a lockfile at `path`: the configured one, else the lockfile's directory.
    pub fn root_for(&self, path: &Path) -> PathBuf {
        match &self.project_root {
            Some(root) => root.clone(),
            None => match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            },
        }
    }
}

/// Why a file named by a lockfile (or the lockfile itself) may not be read, or `None`.
/// `path` is what the file was named as; `root` the project root. Never reads the file.
pub fn refuse_outside(path: &Path, root: &Path, allow_outside: bool) -> Option<String> {
    // A missing or unreadable file is reported by the read that follows, with the OS's reason.
    if let Err(error) = crate::input::regular_file_metadata(path)
        && error.kind() == std::io::ErrorKind::InvalidInput
    {
        return Some(error.to_string());
    }
    let canonical = std::fs::canonicalize(path).ok()?;
    // `/proc/self/environ` and friends are regular files that hold the process's secrets.
    for pseudo in ["/proc", "/sys", "/dev"] {
        if canonical.starts_with(pseudo) {
            return Some(format!(
                "`{}` is on the kernel pseudo-filesystem `{pseudo}`",
                canonical.display()
            ));
        }
    }
    if allow_outside {
        return None;
    }
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if canonical.starts_with(&root) {
        return None;
    }
    Some(format!(
        "it resolves to `{}`, outside the project root `{}` (pass --allow-outside-includes, or \
         set `[input] allow-outside-includes = true`, to read files outside it)",
        canonical.display(),
        root.display()
    ))
}

/// Index of a package in [`Lockfile::packages`].
pub type PackageIndex = usize;

/// Everything a reader learned from one lockfile (and the files it pulls in).
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// The file that was read, as the user named it.
    pub path: PathBuf,
    pub kind: LockfileKind,
    /// Every locked package, including project roots (workspace members, or a synthetic node for a
    /// poetry project or a requirements file). Several versions of one name are distinct entries.
    pub packages: Vec<LockedPackage>,
    /// The packages the install starts from: workspace members, the poetry project, the
    /// requirements file. Indices into `packages`.
    pub roots: Vec<PackageIndex>,
    /// Things the user should know that do not stop the read (a stale lock, an unknown option).
    pub warnings: Vec<Diagnostic>,
    /// Options recorded from requirements files (`--index-url`, `--pre`, …), in file order.
    pub options: Vec<RecordedOption>,
    /// What the lockfile pulls in that pyaudit did not read (a remote `-r https://…`): whatever
    /// it pins is neither audited nor listed, so the audit of this lockfile is incomplete.
    pub unread: Vec<UnreadInput>,
}

/// An input a lockfile names that was not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadInput {
    /// The line that names it.
    pub location: Location,
    /// The include's argument as written (`https://example.com/requirements.txt`).
    pub target: String,
    /// Why it was not read.
    pub reason: String,
}

impl Lockfile {
    /// Masks userinfo and credential-like query parameters in every URL the lock recorded:
    /// package sources, requirements options (`--index-url https://user:token@…`) and the
    /// warnings that quote them. pyaudit never fetches from these URLs, so nothing needs the
    /// credentials after reading.
    pub fn redact_credentials(&mut self) {
        use crate::redact::{redact_text, redact_url};
        let redact = |text: &mut String| {
            if let std::borrow::Cow::Owned(redacted) = redact_url(text) {
                *text = redacted;
            }
        };
        for package in &mut self.packages {
            match &mut package.source {
                Source::Registry { url: Some(url) } | Source::Url { url } => redact(url),
                Source::Git { url, .. } => redact(url),
                Source::Registry { url: None }
                | Source::Path { .. }
                | Source::Directory { .. }
                | Source::Editable { .. }
                | Source::Virtual { .. } => {}
            }
            if let Some(specifier) = &mut package.specifier
                && let std::borrow::Cow::Owned(redacted) = redact_text(specifier)
            {
                *specifier = redacted;
            }
        }
        for option in &mut self.options {
            if let Some(value) = &mut option.value
                && let std::borrow::Cow::Owned(redacted) = redact_text(value)
            {
                *value = redacted;
            }
        }
        for warning in &mut self.warnings {
            if let std::borrow::Cow::Owned(redacted) = redact_text(&warning.message) {
                warning.message = redacted;
            }
        }
    }

    /// Override the dev/prod guess made from requirements file names: `dev = true` moves every
    /// root edge into a dependency group, `dev = false` moves group edges into the main ones.
    /// Other formats say themselves what is dev, so they are left alone.
    pub fn set_requirements_class(&mut self, dev: bool) {
        if self.kind != LockfileKind::Requirements {
            return;
        }
        for &root in &self.roots {
            let Some(package) = self.packages.get_mut(root) else {
                continue;
            };
            if dev {
                let main = std::mem::take(&mut package.dependencies);
                if !main.is_empty() {
                    let group = package.name.to_string();
                    package
                        .dependency_groups
                        .entry(group)
                        .or_default()
                        .extend(main);
                }
            } else {
                let groups = std::mem::take(&mut package.dependency_groups);
                package.dependencies.extend(groups.into_values().flatten());
            }
        }
    }
}

/// One package entry of the lock.
#[derive(Debug, Clone)]
pub struct LockedPackage {
    /// PEP 503 normalized name.
    pub name: PackageName,
    /// The locked version; `None` where the lock has none (workspace members with a dynamic version,
    /// unpinned requirements, synthetic roots).
    pub version: Option<Version>,
    pub source: Source,
    /// For unpinned requirements: the specifier as written (`>=2.0,<3`). Such entries are kept,
    /// never dropped, so later stages can say they could not be audited exactly.
    pub specifier: Option<String>,
    /// What kind of node this is.
    pub role: PackageRole,
    /// Where the entry is in its file (1-based line), for diagnostics and SARIF locations.
    pub location: Option<Location>,
    /// Number of artifact hashes the lock records for this package (wheels, sdist, `--hash`).
    pub hashes: usize,
    /// Main (unconditional apart from markers) dependencies.
    pub dependencies: Vec<Dependency>,
    /// Dependencies activated by one of this package's extras, by extra name.
    pub optional_dependencies: BTreeMap<String, Vec<Dependency>>,
    /// Dependency groups (PEP 735, poetry groups, dev requirements files), by group name. Only
    /// roots' groups are ever followed.
    pub dependency_groups: BTreeMap<String, Vec<Dependency>>,
}

/// What a node of the lock stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageRole {
    /// A distribution installed from somewhere (registry, git, path, …).
    Package,
    /// A workspace member or the project itself, present in the lock as an entry.
    Project,
    /// A node pyaudit made up to hold a root's edges: a poetry project, a requirements file, a
    /// non-project uv workspace root.
    Synthetic,
}

/// One edge: "this package needs that one".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dependency {
    /// The package the edge points to.
    pub package: PackageIndex,
    /// Extras of the target this edge asks for (`fastapi[standard]`), normalized.
    pub extras: Vec<String>,
    /// The PEP 508 marker guarding the edge, as written; not evaluated (the audit is universal).
    pub marker: Option<String>,
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A package index; `url` is the index when the lock names one.
    Registry { url: Option<String> },
    /// A git repository; `reference` is the commit/branch/tag when known.
    Git {
        url: String,
        reference: Option<String>,
    },
    /// A direct URL to an archive.
    Url { url: String },
    /// A local archive file.
    Path { path: String },
    /// A local source tree, installed as a regular package.
    Directory { path: String },
    /// A local source tree installed in editable (development) mode.
    Editable { path: String },
    /// A project that is not itself installed (a uv virtual workspace member).
    Virtual { path: String },
}

impl Source {
    /// The short kind name used in output (`registry`, `git`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Registry { .. } => "registry",
            Source::Git { .. } => "git",
            Source::Url { .. } => "url",
            Source::Path { .. } => "path",
            Source::Directory { .. } => "directory",
            Source::Editable { .. } => "editable",
            Source::Virtual { .. } => "virtual",
        }
    }

    pub fn is_registry(&self) -> bool {
        matches!(self, Source::Registry { .. })
    }
}

/// A global option found in a requirements file, kept so later stages (index allow lists, hash
/// policy) can see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedOption {
    /// The option as pip names it, long form (`--index-url`).
    pub name: String,
    pub value: Option<String>,
    pub location: Location,
}

/// Drop repeated edges from every list of every package, keeping the first of each in place.
/// Readers push edges freely and call this once: checking each push against the list was
/// quadratic (a requirements file of 100,000 lines took 8 s, all of it in that check).
pub(crate) fn dedup_edges(packages: &mut [LockedPackage]) {
    fn dedup(list: &mut Vec<Dependency>) {
        if list.len() < 2 {
            return;
        }
        let mut seen = std::collections::HashSet::with_capacity(list.len());
        list.retain(|dependency| seen.insert(dependency.clone()));
    }
    for package in packages {
        dedup(&mut package.dependencies);
        package.optional_dependencies.values_mut().for_each(dedup);
        package.dependency_groups.values_mut().for_each(dedup);
    }
}

/// A file position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Location {
    pub fn new(path: impl Into<PathBuf>, line: usize) -> Self {
        Self {
            path: path.into(),
            line,
            column: None,
        }
    }

    pub fn with_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        Ok(())
    }
}

/// A non-fatal message about the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub location: Option<Location>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a lockfile could not be read. Every variant names the file, and the line where known.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: file is not valid UTF-8")]
    NotUtf8 { location: Location },
    /// The file does not parse as its format (TOML syntax, a requirement line pip would reject).
    #[error("{location}: {message}")]
    Syntax { location: Location, message: String },
    /// The file parses but says something the format does not allow.
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    /// A lock format version pyaudit does not know.
    #[error("{location}: unsupported {what}; pyaudit reads {supported}")]
    UnsupportedVersion {
        location: Location,
        what: String,
        supported: String,
    },
    /// The file is not any lockfile format pyaudit knows.
    #[error("`{}` is not a lockfile pyaudit can read: {reason}", path.display())]
    UnknownFormat { path: PathBuf, reason: String },
    /// A requirements include chain that comes back to a file already being read.
    #[error("{location}: `{}` is included again (include cycle: {chain})", included.display())]
    IncludeCycle {
        location: Location,
        included: PathBuf,
        chain: String,
    },
    /// An include (`-r`, `-c`) pyaudit will not follow: it leaves the project, or it names
    /// something that is not a regular file. The message never holds the target's content.
    #[error("{location}: refused include `{argument}`: {reason}")]
    RefusedInclude {
        location: Location,
        argument: String,
        reason: String,
    },
    /// A lockfile that resolves outside the directory pyaudit was pointed at, or is not a regular
    /// file.
    #[error("refused to read `{}`: {reason}", path.display())]
    Refused { path: PathBuf, reason: String },
    /// An include (`-r`, `-c`) naming a file that cannot be read.
    #[error("{location}: cannot read included file `{}`", included.display())]
    MissingInclude {
        location: Location,
        included: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl LockfileError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Turn raw bytes into text, or say where the first invalid byte is.
pub fn decode_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, LockfileError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = valid.len() - line_start + 1;
            Err(LockfileError::NotUtf8 {
                location: Location::new(path, line).with_column(column),
            })
        }
    }
}

/// Maps byte offsets to 1-based line and column numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { line_starts }
    }

    /// 1-based (line, column) of a byte offset; the column counts bytes.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        (line.max(1), offset - start + 1)
    }

    pub fn location(&self, path: &Path, offset: usize) -> Location {
        let (line, column) = self.line_column(offset);
        Location::new(path, line).with_column(column)
    }
}

/// pep508_rs 0.9.2 panics ("`PackageName` validation should match PEP 508 parsing") on a name
/// that ends in `.`, `-` or `_` when more text follows (`a. ==1`); every reader calls this before
/// handing a requirement string to pep508_rs, turning the panic into the error pip would give.
pub(crate) fn refuse_panicking_name<T: pep508_rs::Pep508Url>(
    text: &str,
) -> Result<(), pep508_rs::Pep508Error<T>> {
    let leading = text.len() - text.trim_start().len();
    let name_length = text[leading..]
        .find(|character: char| {
            !(character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_'))
        })
        .unwrap_or(text.len() - leading);
    let name = &text[leading..leading + name_length];
    match name.chars().last() {
        Some(last) if matches!(last, '.' | '-' | '_') => Err(pep508_rs::Pep508Error {
            message: pep508_rs::Pep508ErrorSource::String(format!(
                "Package name must end with an alphanumeric character, not '{last}'"
            )),
            start: leading + name_length - 1,
            len: 1,
            input: text.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Parse a PEP 503 name, or describe what is wrong with it. Names longer than
/// [`crate::input::MAXIMUM_NAME_LENGTH`] are refused (and not echoed whole).
pub fn package_name(name: &str) -> Result<PackageName, String> {
    check_name_length(name)?;
    PackageName::new(name.to_string())
        .map_err(|error| format!("invalid package name `{name}`: {error}"))
}

/// A name longer than [`crate::input::MAXIMUM_NAME_LENGTH`] is an error that shows its start only.
pub fn check_name_length(name: &str) -> Result<(), String> {
    let maximum = crate::input::MAXIMUM_NAME_LENGTH;
    let length = name.chars().count();
    if length <= maximum {
        return Ok(());
    }
    let start: String = name.chars().take(20).collect();
    Err(format!(
        "package name `{start}…` is {length} characters long; pyaudit reads names of at most \
         {maximum} characters"
    ))
}

/// Parse a PEP 440 version, or describe what is wrong with it.
pub fn version(version: &str) -> Result<Version, String> {
    version
        .parse::<Version>()
        .map_err(|error| format!("invalid version `{version}`: {error}"))
}

/// PEP 685 normalization of an extra or group name: lowercase, runs of `-_.` become `-`.
pub fn normalize_extra(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut last_was_separator = false;
    for character in name.trim().chars() {
        if matches!(character, '-' | '_' | '.') {
            if !last_was_separator {
                normalized.push('-');
            }
            last_was_separator = true;
        } else {
            normalized.push(character.to_ascii_lowercase());
            last_was_separator = false;
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line_column(0), (1, 1));
        assert_eq!(index.line_column(1), (1, 2));
        assert_eq!(index.line_column(3), (2, 1));
        assert_eq!(index.line_column(6), (3, 1));
        assert_eq!(index.line_column(8), (4, 2));
    }

    #[test]
    fn utf8_error_names_line_and_column() {
        let error = decode_utf8(Path::new("x.lock"), b"ok\nab\xffc").unwrap_err();
        assert_eq!(error.to_string(), "x.lock:2:3: file is not valid UTF-8");
    }

    #[test]
    fn names_that_would_panic_pep508_are_refused() {
        use pep508_rs::VerbatimUrl;
        assert!(refuse_panicking_name::<VerbatimUrl>("a. ==1").is_err());
        assert!(refuse_panicking_name::<VerbatimUrl>("  a_ [x]").is_err());
        assert!(refuse_panicking_name::<VerbatimUrl>("a.b ==1").is_ok());
        assert!(refuse_panicking_name::<VerbatimUrl>("").is_ok());
    }

    #[test]
    fn extras_are_normalized() {
        assert_eq!(normalize_extra("Foo__Bar.baz"), "foo-bar-baz");
    }
}

/// `version.to_string()` without pep440_rs's allocations for the common plain release
/// (`1.26.4`): labels and findings format thousands of versions per run.
pub fn version_text(version: &Version) -> String {
    let mut text = String::with_capacity(12);
    push_version(&mut text, version);
    text
}

/// Appends [`version_text`] to `text` (no intermediate string for the common plain release).
pub fn push_version(text: &mut String, version: &Version) {
    if version.epoch() != 0
        || version.pre().is_some()
        || version.post().is_some()
        || version.dev().is_some()
        || !version.local().is_empty()
    {
        text.push_str(&version.to_string());
        return;
    }
    for (position, part) in version.release().iter().enumerate() {
        if position > 0 {
            text.push('.');
        }
        push_decimal(text, *part);
    }
}

/// `write!(text, "{number}")` without the formatting machinery, which costs several times more
/// for the one to four digits of a release segment.
fn push_decimal(text: &mut String, mut number: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    text.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod version_text_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn version_text_is_display() {
        for text in [
            "1.26.4",
            "0",
            "2024.2.2",
            "1!2.0",
            "1.0rc1",
            "1.0.post2",
            "1.0.dev3",
            "2.1+cu128",
            "1.0a1.post1.dev2+local.7",
            "18446744073709551615.10.0",
        ] {
            let version = Version::from_str(text).unwrap();
            assert_eq!(version_text(&version), version.to_string(), "{text}");
        }
    }
}
