//! pip requirements files (pip's requirements file format, with PEP 508 requirement specifiers
//! and PEP 440 versions), read the way pip 23.2 reads them: logical lines with `\` continuations
//! and comments, `-r`/`-c` includes followed relative to the including file, every file-level and
//! per-requirement option pip accepts, editables, URLs and local paths. On top of what pip sees,
//! the `# via` comments pip-compile and `uv pip compile` write are kept to rebuild the graph.
//!
//! Two layers: [`parse_file`] / [`parse_text`] return every line's result ([`RequirementsFile`]);
//! [`parse`] turns that into the shared [`Lockfile`] model.

mod convert;
mod entry;
mod lines;
mod options;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;

pub use lines::ViaParent;
pub use options::OptionKind;

use super::{
    Diagnostic, Location, Lockfile, LockfileError, RecordedOption, Source, UnreadInput, decode_utf8,
};
use lines::LogicalLine;

/// How to read a requirements file.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// `Some(true)`: every file is a development file; `Some(false)`: none is; `None`: decide per
    /// file from its name ([`is_dev_file_name`]).
    pub dev: Option<bool>,
    /// Variables for `${VAR}` expansion; `None` reads the process environment.
    pub environment: Option<BTreeMap<String, String>>,
    /// The directory includes must resolve inside (after `..` and symbolic links); `None`: the
    /// directory of the top-level file.
    pub project_root: Option<PathBuf>,
    /// Follow includes that resolve outside `project_root` or are absolute paths. Includes of
    /// anything but a regular file, and of kernel pseudo-filesystems, stay refused.
    pub allow_outside_includes: bool,
}

impl ParseOptions {
    fn lookup(&self, name: &str) -> Option<String> {
        match &self.environment {
            Some(variables) => variables.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    fn is_dev(&self, path: &Path) -> bool {
        self.dev.unwrap_or_else(|| is_dev_file_name(path))
    }
}

/// Everything read from a requirements file and the files it includes, in pip's order.
#[derive(Debug, Clone)]
pub struct RequirementsFile {
    /// The top file.
    pub path: PathBuf,
    /// One item per requirement and per option, in the order pip yields them (an include's items
    /// come where its `-r`/`-c` line is).
    pub items: Vec<LineItem>,
    /// Every file read; index 0 is the top file. A file included twice is listed twice.
    pub files: Vec<SourceFile>,
    pub warnings: Vec<Diagnostic>,
    /// Includes that were not followed (remote URLs): what they pin is not audited.
    pub unread: Vec<UnreadInput>,
}

impl RequirementsFile {
    /// The requirements, in order.
    pub fn entries(&self) -> impl Iterator<Item = &RequirementEntry> {
        self.items.iter().filter_map(|item| match item {
            LineItem::Requirement(entry) => Some(entry.as_ref()),
            LineItem::Option(_) => None,
        })
    }

    /// The global options (including `-r`/`-c` themselves), in order.
    pub fn options(&self) -> impl Iterator<Item = &RecordedOption> {
        self.items.iter().filter_map(|item| match item {
            LineItem::Option(option) => Some(option),
            LineItem::Requirement(_) => None,
        })
    }
}

/// One result of a logical line.
#[derive(Debug, Clone)]
pub enum LineItem {
    Requirement(Box<RequirementEntry>),
    /// A global option (`--index-url`, `--pre`, `-r`, …); a line can hold several.
    Option(RecordedOption),
}

/// A file that was read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as pip forms it: the includer's directory joined with the include's argument.
    pub path: PathBuf,
    /// The `-r`/`-c` line that pulled it in (`None` for the top file).
    pub included_from: Option<Location>,
    /// Read through `-c`: its requirements are constraints.
    pub constraint: bool,
    /// Whether its direct requirements go to a development group.
    pub dev: bool,
    /// Whether it has any `# via` comment (pip-compile / uv output).
    pub has_via_comments: bool,
}

impl SourceFile {
    /// The dependency-group name for this file's direct requirements: its normalized stem.
    pub fn group_name(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        super::normalize_extra(&stem)
    }
}

/// One requirement line.
#[derive(Debug, Clone)]
pub struct RequirementEntry {
    /// The requirement text as pip hands it on (the `-e` value for editables), trimmed.
    pub requirement: String,
    /// The name as written (`typing_extensions`), from the requirement, `#egg=` or a wheel name.
    pub name_as_written: Option<String>,
    /// PEP 503 normalized name; `None` only when nothing name-like could be found.
    pub name: Option<PackageName>,
    /// The name was guessed from a URL or path.
    pub name_is_derived: bool,
    /// `true` for PEP 508 requirements (`name …`, `name @ url`): what pip's own requirement
    /// parser names; `false` for bare URLs, paths and editables.
    pub is_named_requirement: bool,
    /// Specifier text, comma-separated (`>=2.0,<3`, `===foobar`).
    pub specifier: Option<String>,
    /// Parsed specifiers, when PEP 440 allows it.
    pub specifiers: Option<VersionSpecifiers>,
    /// The exact version pinned (`==`/`===` without wildcard, or a wheel's file name).
    pub version: Option<Version>,
    /// Normalized extras.
    pub extras: Vec<String>,
    /// The environment marker as written.
    pub marker: Option<String>,
    /// The URL or path, as written.
    pub url: Option<String>,
    pub source: Source,
    pub editable: bool,
    /// Comes from a file read through `-c`.
    pub constraint: bool,
    /// `--hash` values (`sha256:…`).
    pub hashes: Vec<String>,
    /// Other per-requirement options (`--global-option`, `--config-settings`).
    pub options: Vec<RecordedOption>,
    /// Where the logical line starts.
    pub location: Location,
    /// `# via` parents written for it.
    pub via: Vec<ViaParent>,
    /// Index into [`RequirementsFile::files`].
    pub file: usize,
}

/// Word-level test on a file name (and its directory) for development requirement files:
/// `requirements-dev.txt`, `requirements/tests.txt`, `test-requirements.txt`, `docs-blog.txt`,
/// `tests/requirements.txt`, …
pub fn is_dev_file_name(path: &Path) -> bool {
    // NOTE: a directory is often named after the project (`mypy/`, `python__mypy/`), so a
    // directory only counts when it is made of development words alone (`tests/`, `dev/`,
    // `requirements-dev/`), and project-like words (`typing`, `mypy`) count only in file names.
    const DIRECTORY_DEV_WORDS: &[&str] = &[
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "docs",
        "doc",
        "documentation",
    ];
    const FILE_ONLY_DEV_WORDS: &[&str] = &["typing", "mypy"];
    let is_dev_word =
        |word: &str| DIRECTORY_DEV_WORDS.contains(&word) || FILE_ONLY_DEV_WORDS.contains(&word);
    let words = |text: &str| -> Vec<String> {
        text.to_ascii_lowercase()
            .split(|character: char| !character.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect()
    };
    let stem_says = path.file_stem().is_some_and(|stem| {
        words(&stem.to_string_lossy())
            .iter()
            .any(|word| is_dev_word(word))
    });
    let directory_says = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|directory| {
            let words = words(&directory.to_string_lossy());
            words
                .iter()
                .any(|word| DIRECTORY_DEV_WORDS.contains(&word.as_str()))
                && words.iter().all(|word| {
                    DIRECTORY_DEV_WORDS.contains(&word.as_str()) || word == "requirements"
                })
        });
    stem_says || directory_says
}

/// Read a requirements file from disk and return every line's result.
pub fn parse_file(path: &Path, options: &ParseOptions) -> Result<RequirementsFile, LockfileError> {
    let bytes = crate::input::read(path, crate::input::LOCKFILE_BYTES)
        .map_err(|source| LockfileError::io(path, source))?;
    let text = decode_utf8(path, &bytes)?;
    parse_text(path, text, options)
}

/// Parse requirements text that was read from `path` (includes are looked up relative to it).
pub fn parse_text(
    path: &Path,
    text: &str,
    options: &ParseOptions,
) -> Result<RequirementsFile, LockfileError> {
    let mut reader = Reader {
        options,
        result: RequirementsFile {
            path: path.to_path_buf(),
            items: Vec::new(),
            files: Vec::new(),
            warnings: Vec::new(),
            unread: Vec::new(),
        },
        stack: Vec::new(),
        root: options
            .project_root
            .clone()
            .unwrap_or_else(|| match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            }),
    };
    reader.read(path, text, false, None)?;
    Ok(reader.result)
}

/// The shared lockfile model for a requirements file, with default [`ParseOptions`].
pub fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    parse_with_options(path, text, &ParseOptions::default())
}

/// The shared lockfile model for a requirements file.
pub fn parse_with_options(
    path: &Path,
    text: &str,
    options: &ParseOptions,
) -> Result<Lockfile, LockfileError> {
    let file = parse_text(path, text, options)?;
    Ok(convert::to_lockfile(file))
}

/// Files a requirements file includes with `-r`/`-c`, resolved relative to it (one level, best
/// effort: used by directory discovery, so it never fails).
pub fn included_files(path: &Path) -> Vec<PathBuf> {
    let Ok(bytes) = crate::input::read(path, crate::input::LOCKFILE_BYTES) else {
        return Vec::new();
    };
    let Ok(text) = decode_utf8(path, &bytes) else {
        return Vec::new();
    };
    let environment = |name: &str| std::env::var(name).ok();
    let directory = path.parent().unwrap_or(Path::new(""));
    let mut found = Vec::new();
    for line in lines::logical_lines(text, &environment) {
        let (arguments, option_text, _) = options::break_args_options(&line.text);
        if !arguments.is_empty() {
            continue;
        }
        let Ok(tokens) = options::shell_split(option_text) else {
            continue;
        };
        let Ok(parsed) = options::parse_options(&tokens) else {
            continue;
        };
        if let Some(target) = include_target(&parsed.options)
            && let Some(path) = resolve_include(directory, &target.1)
        {
            found.push(path);
        }
    }
    found
}

/// The include pip follows on an option line: the first `-r`, else the first `-c`.
fn include_target(parsed: &[options::ParsedOption]) -> Option<(OptionKind, String)> {
    let first = |kind: OptionKind| {
        parsed
            .iter()
            .find(|option| option.kind == kind)
            .and_then(|option| option.value.clone())
            .map(|value| (kind, value))
    };
    first(OptionKind::Requirement).or_else(|| first(OptionKind::Constraint))
}

/// `os.path.join(dirname(includer), target)`; `file:` URLs become paths; remote URLs are not
/// followed (`None`).
fn resolve_include(directory: &Path, target: &str) -> Option<PathBuf> {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http:") || lower.starts_with("https:") {
        return None;
    }
    if lower.starts_with("file:") {
        return match entry::source_from_url(target, directory) {
            Source::Path { path } | Source::Directory { path } => Some(directory.join(path)),
            _ => None,
        };
    }
    Some(directory.join(target))
}

/// Whether an include's argument names an absolute path (`/etc/x`, `file:///etc/x`, `C:\\x`).
fn include_is_absolute(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    let path = match lower.strip_prefix("file:") {
        // `file:///abs`, `file://host/abs` and `file:/abs` are absolute; `file:rel` is not.
        Some(rest) => return rest.starts_with('/'),
        None => target,
    };
    Path::new(path).is_absolute() || path.starts_with('/') || path.starts_with('\\')
}

/// Limits a pathological include diamond; pip itself has no limit.
const MAXIMUM_FILES: usize = 2_000;

struct Reader<'a> {
    options: &'a ParseOptions,
    result: RequirementsFile,
    /// Canonical paths of the files being read (for cycle detection) and how they were named.
    stack: Vec<(PathBuf, PathBuf)>,
    /// The project root includes must stay inside.
    root: PathBuf,
}

impl Reader<'_> {
    fn warn(&mut self, location: Location, message: impl Into<String>) {
        self.result.warnings.push(Diagnostic {
            location: Some(location),
            message: message.into(),
        });
    }

    fn read(
        &mut self,
        path: &Path,
        text: &str,
        constraint: bool,
        included_from: Option<Location>,
    ) -> Result<(), LockfileError> {
        if self.result.files.len() >= MAXIMUM_FILES {
            return Err(LockfileError::Invalid {
                location: included_from.unwrap_or_else(|| Location::new(path, 1)),
                message: format!("more than {MAXIMUM_FILES} requirements files included"),
            });
        }
        let options = self.options;
        let lookup = |name: &str| options.lookup(name);
        let logical = lines::logical_lines(text, &lookup);
        let via = lines::via_comments(text, &logical);
        let file_index = self.result.files.len();
        self.result.files.push(SourceFile {
            path: path.to_path_buf(),
            included_from,
            constraint,
            dev: self.options.is_dev(path),
            has_via_comments: !via.is_empty(),
        });
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.stack.push((canonical, path.to_path_buf()));
        let directory = path.parent().unwrap_or(Path::new("")).to_path_buf();
        for line in &logical {
            self.read_line(path, &directory, line, constraint, file_index, &via)?;
        }
        self.stack.pop();
        Ok(())
    }

    fn read_line(
        &mut self,
        path: &Path,
        directory: &Path,
        line: &LogicalLine,
        constraint: bool,
        file_index: usize,
        via: &BTreeMap<usize, Vec<ViaParent>>,
    ) -> Result<(), LockfileError> {
        let (arguments, option_text, option_offset) = options::break_args_options(&line.text);
        let syntax = |message: String, offset: usize| LockfileError::Syntax {
            location: line.location(path, offset),
            message,
        };
        let tokens = options::shell_split(option_text).map_err(|problem| {
            syntax(
                format!(
                    "invalid requirement line `{}`: could not split options ({problem})",
                    line.text
                ),
                option_offset,
            )
        })?;
        let parsed = options::parse_options(&tokens).map_err(|message| {
            let offset = first_mention(&line.text, &message).unwrap_or(option_offset);
            syntax(
                format!("invalid requirement line `{}`: {message}", line.text),
                offset,
            )
        })?;
        let start = line.location(path, 0);
        let start = Location::new(&start.path, start.line);
        if !parsed.ignored.is_empty() {
            self.warn(
                start.clone(),
                format!(
                    "pip ignores `{}` after the options",
                    parsed.ignored.join(" ")
                ),
            );
        }
        for option in &parsed.options {
            if option.kind == OptionKind::UseFeature
                && let Some(value) = &option.value
                && !options::KNOWN_FEATURES.contains(&value.as_str())
            {
                self.warn(
                    start.clone(),
                    format!("unknown `--use-feature` value `{value}` (pip 23.2 would refuse it)"),
                );
            }
        }

        let editables: Vec<&options::ParsedOption> = parsed
            .options
            .iter()
            .filter(|option| option.kind == OptionKind::Editable)
            .collect();
        let requirement = if !arguments.trim().is_empty() {
            Some((arguments.trim_end(), false, 0))
        } else {
            editables.first().and_then(|option| {
                let value = option.value.as_deref()?;
                let offset = line.text.find(value).unwrap_or(option_offset);
                Some((value, true, offset))
            })
        };

        let Some((requirement_text, editable, requirement_offset)) = requirement else {
            return self.read_option_line(directory, &parsed, &start);
        };

        // A requirement line: only per-requirement options count; pip drops the rest silently.
        let mut hashes = Vec::new();
        let mut requirement_options = Vec::new();
        for option in &parsed.options {
            match option.kind {
                OptionKind::Hash => hashes.extend(option.value.clone()),
                kind if kind.is_per_requirement() => requirement_options.push(RecordedOption {
                    name: option.name.to_string(),
                    value: option.value.clone(),
                    location: start.clone(),
                }),
                OptionKind::Editable if editable => {}
                _ => self.warn(
                    start.clone(),
                    format!("pip ignores `{}` on a requirement line", option.written),
                ),
            }
        }
        if editable && editables.len() > 1 {
            self.warn(start.clone(), "pip reads only the first `-e` of a line");
        }
        let classified = if editable {
            entry::classify_editable(requirement_text, directory)
        } else {
            entry::classify(requirement_text, directory)
        }
        .map_err(|error| syntax(error.message, requirement_offset + error.offset))?;
        if let Some(name) = &classified.name_as_written
            && let Err(message) = super::check_name_length(name)
        {
            return Err(syntax(message, requirement_offset));
        }
        for warning in &classified.warnings {
            self.warn(start.clone(), warning.clone());
        }
        self.result
            .items
            .push(LineItem::Requirement(Box::new(RequirementEntry {
                requirement: requirement_text.to_string(),
                name_as_written: classified.name_as_written,
                name: classified.name,
                name_is_derived: classified.name_is_derived,
                is_named_requirement: classified.is_pep508 && !editable,
                specifier: classified.specifier,
                specifiers: classified.specifiers,
                version: classified.version,
                extras: classified.extras,
                marker: classified.marker,
                url: classified.url,
                source: classified.source,
                editable,
                constraint,
                hashes,
                options: requirement_options,
                location: start,
                via: via.get(&line.line).cloned().unwrap_or_default(),
                file: file_index,
            })));
        Ok(())
    }

    fn read_option_line(
        &mut self,
        directory: &Path,
        parsed: &options::ParsedOptions,
        start: &Location,
    ) -> Result<(), LockfileError> {
        for option in &parsed.options {
            if option.kind.is_per_requirement() {
                self.warn(
                    start.clone(),
                    format!(
                        "`{}` has no requirement on this line; pip ignores it",
                        option.written
                    ),
                );
                continue;
            }
            self.result.items.push(LineItem::Option(RecordedOption {
                name: option.name.to_string(),
                value: option.value.clone(),
                location: start.clone(),
            }));
        }
        let includes = parsed
            .options
            .iter()
            .filter(|option| {
                matches!(
                    option.kind,
                    OptionKind::Requirement | OptionKind::Constraint
                )
            })
            .count();
        if includes > 1 {
            self.warn(start.clone(), "pip follows only one `-r`/`-c` per line");
        }
        let Some((kind, target)) = include_target(&parsed.options) else {
            return Ok(());
        };
        let Some(included) = resolve_include(directory, &target) else {
            self.warn(
                start.clone(),
                format!(
                    "remote include `{target}` is not followed (pyaudit reads local files only); \
                     what it pins is not audited"
                ),
            );
            self.result.unread.push(UnreadInput {
                location: start.clone(),
                target: target.clone(),
                reason: "remote include: pyaudit reads local files only".to_string(),
            });
            return Ok(());
        };
        let refuse = |reason: String| LockfileError::RefusedInclude {
            location: start.clone(),
            argument: target.clone(),
            reason,
        };
        if !self.options.allow_outside_includes && include_is_absolute(&target) {
            return Err(refuse(
                "an absolute path; includes must stay inside the project root (pass \
                 --allow-outside-includes, or set `[input] allow-outside-includes = true`, to \
                 follow it)"
                    .to_string(),
            ));
        }
        if let Some(reason) =
            super::refuse_outside(&included, &self.root, self.options.allow_outside_includes)
        {
            return Err(refuse(reason));
        }
        let canonical = std::fs::canonicalize(&included).ok();
        if let Some(canonical) = &canonical
            && self.stack.iter().any(|(open, _)| open == canonical)
        {
            let mut chain: Vec<String> = self
                .stack
                .iter()
                .map(|(_, named)| named.display().to_string())
                .collect();
            chain.push(included.display().to_string());
            return Err(LockfileError::IncludeCycle {
                location: start.clone(),
                included,
                chain: chain.join(" -> "),
            });
        }
        let bytes =
            crate::input::read(&included, crate::input::LOCKFILE_BYTES).map_err(|source| {
                LockfileError::MissingInclude {
                    location: start.clone(),
                    included: included.clone(),
                    source,
                }
            })?;
        let text = decode_utf8(&included, &bytes)?;
        self.read(
            &included,
            text,
            kind == OptionKind::Constraint,
            Some(start.clone()),
        )?;
        Ok(())
    }
}

/// Byte offset of the first option an optparse message names (`no such option: --bogus`).
fn first_mention(line: &str, message: &str) -> Option<usize> {
    message
        .split([' ', ':', '(', ')', ',', '?'])
        .filter(|word| word.starts_with('-') && word.len() > 1)
        .find_map(|word| line.find(word))
}

#[cfg(test)]
mod tests;
