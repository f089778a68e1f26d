//! The local advisory database: OSV records (OSV schema 1.6) loaded from a directory tree of
//! `.json` / `.yaml` / `.yml` files (the PyPA advisory-database layout, the OpenSSF
//! malicious-packages layout) or from an OSV `all.zip` export, indexed by PEP 503 package name.
//!
//! A record that cannot be read is kept as a [`LoadError`] and loading goes on: one bad file must
//! not blind the audit to the other thousands. Only an unreadable root or archive is fatal.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::bounded;
use crate::matching;
use crate::merge::{self, AliasGroups, Vulnerability};
use crate::record::{Advisory, RecordError, RecordFormat, normalize_package_name, parse_record};

/// A database that could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot read advisory database `{}`", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read OSV archive `{}`", .path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("`{}` is neither a directory nor a `.zip` archive of OSV records", .path.display())]
    UnknownKind { path: PathBuf },
}

/// A record (or directory entry) that could not be loaded; the rest of the database still is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadError {
    /// The file, or `archive.zip!entry` for an archive member.
    pub origin: String,
    /// The record id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(
                formatter,
                "`{}` (record `{id}`): {}",
                self.origin, self.message
            ),
            None => write!(formatter, "`{}`: {}", self.origin, self.message),
        }
    }
}

impl From<RecordError> for LoadError {
    fn from(error: RecordError) -> Self {
        let message = match &error {
            RecordError::Malformed { message, .. } => message.clone(),
            RecordError::MissingId { .. } => "the record has an empty `id`".to_owned(),
        };
        Self {
            origin: error.origin().to_owned(),
            id: error.id().map(str::to_owned),
            message,
        }
    }
}

/// Counts describing a loaded database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStats {
    /// Records loaded (one per id).
    pub records: usize,
    pub withdrawn: usize,
    pub malicious: usize,
    /// Distinct PyPI package names with at least one record.
    pub packages: usize,
    pub load_errors: usize,
    /// Warnings kept on records (skipped versions, unscored severities, …).
    pub warnings: usize,
    /// The newest `modified` timestamp of any record: how fresh the data is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
}

/// OSV records indexed by package. Serializes as its records and load errors; the index is
/// rebuilt when it is deserialized.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(from = "DatabaseSnapshot")]
pub struct Database {
    /// Unique ids, natural id order.
    advisories: Vec<Advisory>,
    /// Package name → positions in `advisories`.
    by_package: BTreeMap<String, Vec<usize>>,
    alias_groups: AliasGroups,
    load_errors: Vec<LoadError>,
}

/// The largest record file or archive member read; OSV records are kilobytes (the largest PyPI
/// ones tens of kilobytes), so anything near this is not one.
const MAXIMUM_ENTRY_BYTES: u64 = 64 * bounded::MIB;

/// The most an archive may expand to in total. OSV's whole `all.zip` (every ecosystem) expands
/// to a few GiB of JSON; the PyPI export to a few hundred MiB. Above this it is an archive bomb,
/// not an advisory export.
const MAXIMUM_ARCHIVE_BYTES: u64 = 8 * 1024 * bounded::MIB;

impl Database {
    /// Loads a directory tree or an `all.zip` archive, whichever `path` is.
    pub fn load(path: &Path) -> Result<Self, DatabaseError> {
        let metadata = fs::metadata(path).map_err(|source| DatabaseError::Io {
            path: path.to_owned(),
            source,
        })?;
        if metadata.is_dir() {
            Self::load_directory(path)
        } else if path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"))
        {
            Self::load_zip(path)
        } else {
            Err(DatabaseError::UnknownKind {
                path: path.to_owned(),
            })
        }
    }

    /// Loads every `.json`, `.yaml` and `.yml` file below `root`. Hidden entries (`.git`,
    /// `.id-allocator`) are skipped, and so are symbolic links to directories (no cycles).
    pub fn load_directory(root: &Path) -> Result<Self, DatabaseError> {
        let mut files = Vec::new();
        let mut load_errors = Vec::new();
        let entries = fs::read_dir(root).map_err(|source| DatabaseError::Io {
            path: root.to_owned(),
            source,
        })?;
        collect_record_files(entries, root, &mut files, &mut load_errors);
        files.sort();
        let results = parallel_map(&files, |(path, format)| {
            let origin = path.display().to_string();
            let bytes = bounded::read(path, MAXIMUM_ENTRY_BYTES).map_err(|error| LoadError {
                origin: origin.clone(),
                id: None,
                message: error.to_string(),
            })?;
            parse_record(&bytes, *format, &origin)
                .map(|advisory| (origin, advisory))
                .map_err(LoadError::from)
        });
        Ok(Self::from_results(results, load_errors))
    }

    /// Loads the JSON (and YAML) records of an OSV `all.zip` export.
    pub fn load_zip(path: &Path) -> Result<Self, DatabaseError> {
        let zip_error = |source| DatabaseError::Zip {
            path: path.to_owned(),
            source,
        };
        let file = bounded::open_regular(path).map_err(|source| DatabaseError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
        let mut members = Vec::new();
        let mut load_errors = Vec::new();
        let mut total: u64 = 0;
        // Reading stays sequential (one archive, one cursor); parsing below is parallel.
        for index in 0..archive.len() {
            // An unreadable member is a load error of that member; the rest of the archive loads.
            let member_error = |message: String| LoadError {
                origin: format!("{}!#{index}", path.display()),
                id: None,
                message,
            };
            let mut entry = match archive.by_index(index) {
                Ok(entry) => entry,
                Err(error) => {
                    load_errors.push(member_error(error.to_string()));
                    continue;
                }
            };
            if entry.is_dir() {
                continue;
            }
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(error) => {
                    load_errors.push(member_error(error.to_string()));
                    continue;
                }
            };
            let Some(format) = RecordFormat::from_file_name(&name) else {
                continue;
            };
            let origin = format!("{}!{name}", path.display());
            // The declared size is refused before inflating anything; the bounded read below
            // holds even when the declaration lies.
            if entry.size() > MAXIMUM_ENTRY_BYTES {
                load_errors.push(LoadError {
                    origin,
                    id: None,
                    message: format!(
                        "declares {} bytes, larger than {}",
                        entry.size(),
                        bounded::describe_limit(MAXIMUM_ENTRY_BYTES)
                    ),
                });
                continue;
            }
            let mut bytes = Vec::new();
            match entry
                .by_ref()
                .take(MAXIMUM_ENTRY_BYTES + 1)
                .read_to_end(&mut bytes)
            {
                Ok(_) if bytes.len() as u64 > MAXIMUM_ENTRY_BYTES => load_errors.push(LoadError {
                    origin,
                    id: None,
                    message: format!(
                        "larger than {}",
                        bounded::describe_limit(MAXIMUM_ENTRY_BYTES)
                    ),
                }),
                Ok(_) => {
                    total += bytes.len() as u64;
                    if total > MAXIMUM_ARCHIVE_BYTES {
                        return Err(DatabaseError::Io {
                            path: path.to_owned(),
                            source: io::Error::new(
                                io::ErrorKind::FileTooLarge,
                                format!(
                                    "the archive expands to more than {}",
                                    bounded::describe_limit(MAXIMUM_ARCHIVE_BYTES)
                                ),
                            ),
                        });
                    }
                    members.push((origin, format, bytes))
                }
                Err(error) => load_errors.push(LoadError {
                    origin,
                    id: None,
                    message: error.to_string(),
                }),
            }
        }
        let results = parallel_map(&members, |(origin, format, bytes)| {
            parse_record(bytes, *format, origin)
                .map(|advisory| (origin.clone(), advisory))
                .map_err(LoadError::from)
        });
        Ok(Self::from_results(results, load_errors))
    }

    /// Builds a database from records already in memory (e.g. fetched from OSV).
    pub fn from_advisories(advisories: Vec<Advisory>) -> Self {
        Self::from_parts(
            advisories
                .into_iter()
                .map(|advisory| (String::new(), advisory))
                .collect(),
            Vec::new(),
        )
    }

    /// The union of databases loaded from several sources (in the order given), and how many
    /// record copies were dropped because an earlier-kept copy had the same id. A record in
    /// more than one source keeps its newest `modified` copy, the first source's on a tie.
    /// Overlap between feeds is expected (PyPA's records are inside OSV's export), so those
    /// copies are counted, not reported as load errors; duplicates *within* one source were
    /// already reported when it was loaded.
    pub fn union(databases: Vec<Database>) -> (Self, usize) {
        let mut advisories = Vec::new();
        let mut load_errors = Vec::new();
        for (source, database) in databases.into_iter().enumerate() {
            // Zero-padded so the origin order is the source order.
            let origin = format!("{source:08}");
            advisories.extend(
                database
                    .advisories
                    .into_iter()
                    .map(|advisory| (origin.clone(), advisory)),
            );
            load_errors.extend(database.load_errors);
        }
        let mut overlapping = 0;
        let database = Self::build(advisories, load_errors, |_, _| overlapping += 1);
        (database, overlapping)
    }

    fn from_results(
        results: Vec<Result<(String, Advisory), LoadError>>,
        mut load_errors: Vec<LoadError>,
    ) -> Self {
        let mut advisories = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(loaded) => advisories.push(loaded),
                Err(error) => load_errors.push(error),
            }
        }
        Self::from_parts(advisories, load_errors)
    }

    /// [`Self::build`], with every duplicate copy reported as a load error.
    fn from_parts(advisories: Vec<(String, Advisory)>, load_errors: Vec<LoadError>) -> Self {
        let mut duplicates = Vec::new();
        let mut database = Self::build(advisories, load_errors, |origin, id| {
            duplicates.push(LoadError {
                origin,
                id: Some(id),
                message: "duplicate record id; the newest `modified` copy is kept".to_owned(),
            });
        });
        if !duplicates.is_empty() {
            database.load_errors.extend(duplicates);
            database
                .load_errors
                .sort_by(|left, right| left.origin.cmp(&right.origin));
        }
        database
    }

    /// Sorts, removes duplicate ids (keeping the newest `modified`; `on_duplicate` hears of each
    /// copy dropped, with its origin and id) and builds the indexes.
    fn build(
        mut advisories: Vec<(String, Advisory)>,
        mut load_errors: Vec<LoadError>,
        mut on_duplicate: impl FnMut(String, String),
    ) -> Self {
        advisories.sort_by(|(left_origin, left), (right_origin, right)| {
            merge::compare_ids(&left.id, &right.id)
                .then_with(|| newest_first(left.modified.as_deref(), right.modified.as_deref()))
                .then_with(|| left_origin.cmp(right_origin))
        });
        let mut unique: Vec<Advisory> = Vec::with_capacity(advisories.len());
        for (origin, advisory) in advisories {
            if unique.last().is_some_and(|kept| kept.id == advisory.id) {
                on_duplicate(origin, advisory.id);
                continue;
            }
            unique.push(advisory);
        }
        let mut by_package: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (position, advisory) in unique.iter().enumerate() {
            for affected in &advisory.affected {
                let positions = by_package.entry(affected.name.clone()).or_default();
                // One record may list a package in several `affected[]` entries.
                if positions.last() != Some(&position) {
                    positions.push(position);
                }
            }
        }
        load_errors.sort_by(|left, right| left.origin.cmp(&right.origin));
        Self {
            alias_groups: AliasGroups::build(&unique),
            advisories: unique,
            by_package,
            load_errors,
        }
    }

    /// The vulnerabilities affecting package `name` at `version`, merged across aliases and
    /// sorted by canonical id. `name` may be given in any PEP 503 spelling.
    pub fn vulnerabilities_for(&self, name: &str, version: &Version) -> Vec<Vulnerability> {
        let name = normalize_package_name(name);
        let matched: Vec<&Advisory> = self
            .advisories_for(&name)
            .filter(|advisory| matching::advisory_affects(advisory, &name, version))
            .collect();
        merge::merge_matches(&matched, &self.alias_groups, &name, version)
    }

    /// Every record that names package `name` (any PEP 503 spelling), withdrawn ones included.
    pub fn advisories_for(&self, name: &str) -> impl Iterator<Item = &Advisory> {
        self.by_package
            .get(&normalize_package_name(name))
            .into_iter()
            .flatten()
            .map(|position| &self.advisories[*position])
    }

    /// The record with this id.
    pub fn advisory(&self, id: &str) -> Option<&Advisory> {
        self.advisories
            .binary_search_by(|advisory| merge::compare_ids(&advisory.id, id))
            .ok()
            .map(|position| &self.advisories[position])
    }

    /// All records, in natural id order.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// Package names with at least one record, sorted.
    pub fn packages(&self) -> impl Iterator<Item = &str> {
        self.by_package.keys().map(String::as_str)
    }

    /// Records and directory entries that could not be loaded, sorted by origin.
    pub fn load_errors(&self) -> &[LoadError] {
        &self.load_errors
    }

    /// Warnings kept on records, as (record id, warning), in id order.
    pub fn warnings(&self) -> impl Iterator<Item = (&str, &str)> {
        self.advisories.iter().flat_map(|advisory| {
            advisory
                .warnings
                .iter()
                .map(|warning| (advisory.id.as_str(), warning.as_str()))
        })
    }

    pub fn stats(&self) -> DatabaseStats {
        DatabaseStats {
            records: self.advisories.len(),
            withdrawn: self.advisories.iter().filter(|a| a.is_withdrawn()).count(),
            malicious: self.advisories.iter().filter(|a| a.malicious).count(),
            packages: self.by_package.len(),
            load_errors: self.load_errors.len(),
            warnings: self.advisories.iter().map(|a| a.warnings.len()).sum(),
            newest_modified: self
                .advisories
                .iter()
                .filter_map(|advisory| advisory.modified.as_deref())
                .max_by(|left, right| merge::compare_timestamps(left, right))
                .map(str::to_owned),
        }
    }
}

fn newest_first(left: Option<&str>, right: Option<&str>) -> Ordering {
    match (left, right) {
        (Some(left), Some(right)) => merge::compare_timestamps(right, left),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn collect_record_files(
    entries: fs::ReadDir,
    directory: &Path,
    files: &mut Vec<(PathBuf, RecordFormat)>,
    load_errors: &mut Vec<LoadError>,
) {
    let unreadable = |path: &Path, error: io::Error| LoadError {
        origin: path.display().to_string(),
        id: None,
        message: error.to_string(),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                load_errors.push(unreadable(directory, error));
                continue;
            }
        };
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(error) => {
                load_errors.push(unreadable(&path, error));
                continue;
            }
        };
        if file_type.is_dir() {
            match fs::read_dir(&path) {
                Ok(children) => collect_record_files(children, &path, files, load_errors),
                Err(error) => load_errors.push(unreadable(&path, error)),
            }
        } else if let Some(format) = RecordFormat::from_file_name(&name) {
            // Regular files and symbolic links to files; a dangling link fails at read time.
            files.push((path, format));
        }
    }
}

/// Maps `items` on up to `available_parallelism` scoped threads, keeping the input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().div_ceil(64).max(1));
    if threads <= 1 {
        return items.iter().map(&work).collect();
    }
    let chunk_size = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk_size)
            .map(|chunk| scope.spawn(|| chunk.iter().map(&work).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                // A panic in a parser is a bug; surface it where it happened.
                Err(payload) => std::panic::resume_unwind(payload),
            })
            .collect()
    })
}

/// The serialized form of a [`Database`].
#[derive(Deserialize)]
struct DatabaseSnapshot {
    advisories: Vec<Advisory>,
    #[serde(default)]
    load_errors: Vec<LoadError>,
}

#[derive(Serialize)]
struct DatabaseSnapshotRef<'a> {
    advisories: &'a [Advisory],
    load_errors: &'a [LoadError],
}

impl From<DatabaseSnapshot> for Database {
    fn from(snapshot: DatabaseSnapshot) -> Self {
        Self::from_parts(
            snapshot
                .advisories
                .into_iter()
                .map(|advisory| (String::new(), advisory))
                .collect(),
            snapshot.load_errors,
        )
    }
}

impl Serialize for Database {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DatabaseSnapshotRef {
            advisories: &self.advisories,
            load_errors: &self.load_errors,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn write(directory: &Path, relative: &str, text: &str) {
        let path = directory.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    const RECORD_A: &str = "id: PYSEC-2020-1\nmodified: 2021-01-01T00:00:00Z\naliases: [CVE-2020-1]\naffected:\n- package: {ecosystem: PyPI, name: Demo.Pkg}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: '1.5'\n";
    const RECORD_B: &str = r#"{"id":"GHSA-aaaa-bbbb-cccc","modified":"2022-02-02T00:00:00.5Z","aliases":["CVE-2020-1"],
        "affected":[{"package":{"ecosystem":"PyPI","name":"demo-pkg"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.4"}]}]}],
        "database_specific":{"severity":"CRITICAL"}}"#;

    #[cfg(target_os = "linux")]
    #[test]
    fn special_files_in_a_tree_are_load_errors_not_reads() {
        let directory = tempfile::tempdir().unwrap();
        write(directory.path(), "ghsa/GHSA-aaaa-bbbb-cccc.json", RECORD_B);
        std::os::unix::fs::symlink("/dev/zero", directory.path().join("zero.json")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(directory.path().join("pipe.yaml"))
            .status()
            .unwrap();
        assert!(status.success());
        let started = std::time::Instant::now();
        let database = Database::load(directory.path()).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(database.stats().records, 1);
        let mut messages: Vec<String> = database
            .load_errors()
            .iter()
            .map(|error| error.message.clone())
            .collect();
        messages.sort();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].ends_with("is not a regular file (a FIFO)"),
            "{messages:?}"
        );
        assert!(
            messages[1].ends_with("is not a regular file (a character device)"),
            "{messages:?}"
        );
        // An archive path that is a FIFO is refused before it is opened.
        let fifo = directory.path().join("all.zip");
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        let error = Database::load(&fifo).unwrap_err();
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains("a FIFO"),
            "{error}"
        );
    }

    #[test]
    fn loads_a_tree_collects_bad_records_and_merges() {
        let directory = tempfile::tempdir().unwrap();
        write(
            directory.path(),
            "vulns/demo-pkg/PYSEC-2020-1.yaml",
            RECORD_A,
        );
        write(directory.path(), "ghsa/GHSA-aaaa-bbbb-cccc.json", RECORD_B);
        write(
            directory.path(),
            "vulns/demo-pkg/broken.yaml",
            "id: PYSEC-9-9\naffected: 3\n",
        );
        write(directory.path(), ".git/ignored.json", "not json");
        write(directory.path(), "README.md", "not a record");
        let database = Database::load(directory.path()).unwrap();
        let stats = database.stats();
        assert_eq!(stats.records, 2);
        assert_eq!(stats.packages, 1);
        assert_eq!(stats.load_errors, 1);
        assert_eq!(
            stats.newest_modified.as_deref(),
            Some("2022-02-02T00:00:00.5Z")
        );
        let error = &database.load_errors()[0];
        assert!(error.origin.ends_with("broken.yaml"), "{error}");
        assert_eq!(error.id.as_deref(), Some("PYSEC-9-9"));

        let findings = database.vulnerabilities_for("DEMO_pkg", &version("1.2"));
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.id, "PYSEC-2020-1");
        assert_eq!(
            finding.ids,
            ["CVE-2020-1", "GHSA-aaaa-bbbb-cccc", "PYSEC-2020-1"]
        );
        assert_eq!(finding.fix_hint.as_ref().unwrap().to_string(), "1.4");
        assert_eq!(
            finding.severity.as_ref().unwrap().rating,
            crate::severity::Rating::Critical
        );
        // Only the PYSEC record covers 0.5.
        let findings = database.vulnerabilities_for("demo-pkg", &version("0.5"));
        assert_eq!(findings[0].record_ids, ["PYSEC-2020-1"]);
        assert!(
            database
                .vulnerabilities_for("demo-pkg", &version("1.5"))
                .is_empty()
        );
        assert!(database.advisory("GHSA-aaaa-bbbb-cccc").is_some());
    }

    #[test]
    fn a_union_keeps_every_source_and_the_newest_copy_of_a_shared_id() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        write(first.path(), "PYSEC-2020-1.yaml", RECORD_A);
        write(first.path(), "broken.yaml", "id: PYSEC-9-9\naffected: 3\n");
        // The same id, modified later, in the second source; plus a record of its own.
        write(
            second.path(),
            "PYSEC-2020-1.yaml",
            &RECORD_A
                .replace("2021-01-01", "2023-03-03")
                .replace("'1.5'", "'1.6'"),
        );
        write(second.path(), "GHSA-aaaa-bbbb-cccc.json", RECORD_B);
        let load = |path: &Path| Database::load(path).unwrap();
        let (union, overlapping) = Database::union(vec![load(first.path()), load(second.path())]);
        assert_eq!(overlapping, 1);
        assert_eq!(union.stats().records, 2);
        // The load error of the first source is kept; the overlap is not an error.
        assert_eq!(union.load_errors().len(), 1);
        let kept = union.advisory("PYSEC-2020-1").unwrap();
        assert_eq!(kept.modified.as_deref(), Some("2023-03-03T00:00:00Z"));
        assert!(
            !union
                .vulnerabilities_for("demo-pkg", &version("1.5"))
                .is_empty()
        );
        assert!(union.advisory("GHSA-aaaa-bbbb-cccc").is_some());
        // On a tie the first source's copy stays.
        let (union, overlapping) = Database::union(vec![load(second.path()), load(second.path())]);
        assert_eq!((overlapping, union.stats().records), (2, 2));
    }

    #[test]
    fn duplicate_ids_keep_the_newest_copy() {
        let directory = tempfile::tempdir().unwrap();
        write(directory.path(), "a/PYSEC-2020-1.yaml", RECORD_A);
        write(
            directory.path(),
            "b/PYSEC-2020-1.yaml",
            &RECORD_A
                .replace("2021-01-01", "2023-01-01")
                .replace("'1.5'", "'1.6'"),
        );
        let database = Database::load(directory.path()).unwrap();
        assert_eq!(database.stats().records, 1);
        assert_eq!(database.load_errors().len(), 1);
        assert_eq!(
            database
                .advisory("PYSEC-2020-1")
                .unwrap()
                .modified
                .as_deref(),
            Some("2023-01-01T00:00:00Z")
        );
    }

    #[test]
    fn database_round_trips_through_serde_json() {
        let directory = tempfile::tempdir().unwrap();
        write(directory.path(), "PYSEC-2020-1.yaml", RECORD_A);
        write(directory.path(), "GHSA-aaaa-bbbb-cccc.json", RECORD_B);
        let database = Database::load(directory.path()).unwrap();
        let bytes = serde_json::to_vec(&database).unwrap();
        let back: Database = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.advisories(), database.advisories());
        assert_eq!(back.stats(), database.stats());
        assert_eq!(
            back.vulnerabilities_for("demo-pkg", &version("1.2")),
            database.vulnerabilities_for("demo-pkg", &version("1.2"))
        );
    }

    #[test]
    fn missing_or_unknown_paths_are_fatal() {
        let directory = tempfile::tempdir().unwrap();
        assert!(matches!(
            Database::load(&directory.path().join("absent")),
            Err(DatabaseError::Io { .. })
        ));
        write(directory.path(), "notes.txt", "x");
        assert!(matches!(
            Database::load(&directory.path().join("notes.txt")),
            Err(DatabaseError::UnknownKind { .. })
        ));
        write(directory.path(), "broken.zip", "not a zip");
        let error = Database::load(&directory.path().join("broken.zip")).unwrap_err();
        assert!(error.to_string().contains("broken.zip"), "{error}");
    }
}
