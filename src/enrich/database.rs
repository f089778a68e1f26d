//! The local advisory database (`pyaudit db import|sync|status`), stored in the cache: OSV records
//! (OSV schema 1.6) loaded with [`pyaudit_advisories::Database::load`] from a directory of
//! JSON/YAML records (the PyPA advisory-database layout) or an OSV `all.zip` export, and kept per
//! PEP 503 package name so an audit reads only the packages of its lockfile.
//!
//! Layout in the `advisory-db` namespace (schema 1), one *generation* per import:
//!
//! | key | payload |
//! |---|---|
//! | `current` | [`Metadata`] as JSON: the live generation, source, import time, counts, sync state |
//! | `g<N>/<package>` | compact JSON `Vec<Advisory>`: every record naming the package |
//! | `g<N>:index` | JSON [`GenerationIndex`]: the generation's package names and id → packages |
//!
//! An import writes a whole new generation, then switches `current` to it (one key write, so a
//! reader sees either the old database or the new one, never half of each; an import that fails
//! or is interrupted leaves the previous database in use), then removes the old generation's keys.
//! Package names are `[a-z0-9-]` after normalization, so `g<N>/…`, `g<N>:index` and `current` never
//! collide.
//!
//! `sync` downloads OSV's per-ecosystem export (`<base>/all.zip`); once a synced database exists it
//! first tries the incremental path: `<base>/modified_id.csv` lists `<RFC 3339 modified>,<id>`
//! newest first, and each record newer than the last sync is fetched from `<base>/<id>.json` and
//! patched into the live generation.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use pyaudit_advisories::merge::compare_timestamps;
use pyaudit_advisories::record::parse_record;
use pyaudit_advisories::{Advisory, Database, LoadError, RecordFormat, normalize_package_name};
use pyaudit_cache::{Cache, CacheError, Freshness, Namespace, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::fetch::http::RequestSpec;
use crate::fetch::{FetchError, FetchSettings, Fetcher, run_blocking, trim_base};
use crate::time::parse_upload_time;

/// The cache namespace of the local database.
pub const DATABASE_NAMESPACE: Namespace = Namespace::new("advisory-db", 1);

/// OSV's PyPI export folder: `all.zip`, `modified_id.csv` and `<id>.json` live below it.
pub const DEFAULT_SYNC_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com/PyPI";

/// The pointer to the live generation.
const CURRENT_KEY: &str = "current";

/// NOTE: the database does not expire by age (its age is reported instead), but the cache's
/// `prune_expired` removes expired entries; a century keeps it out of reach of any prune cutoff.
const KEEP_FOR: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// More changed records than this and a full download is cheaper than one request per record.
const MAXIMUM_INCREMENTAL_RECORDS: usize = 1000;

/// Failures of `db import`, `db sync` and the database reads of an audit.
#[derive(Debug, thiserror::Error)]
pub enum LocalDatabaseError {
    #[error("cannot import advisories from `{}`", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: pyaudit_advisories::DatabaseError,
    },
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("cannot encode the advisories of `{package}` for the cache")]
    Encode {
        package: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the local advisory database in the cache is unreadable (key `{key}` of namespace \
         `advisory-db`): {message}; run `pyaudit db import` or `pyaudit db sync` again"
    )]
    Corrupt { key: String, message: String },
    #[error("cannot download the OSV export")]
    Download(#[source] FetchError),
    #[error("cannot write the downloaded archive to `{}`", path.display())]
    TemporaryFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
    /// An import that would leave a database with nothing in it: refused, the old one is kept.
    #[error(
        "`{source_text}` holds no advisory records{detail}; nothing was imported and the current \
         local database (if any) is unchanged"
    )]
    Empty { source_text: String, detail: String },
}

/// The stored description of the live generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Metadata {
    generation: u64,
    source: String,
    imported_at: i64,
    records: usize,
    packages: usize,
    load_errors: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newest_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sync: Option<SyncState>,
    /// Whether the database is a complete copy of an advisory source (an OSV export, `db sync`,
    /// or a directory imported with `--complete`). Databases written before this field existed
    /// read as partial unless they were synced: a partial copy never answers for a package.
    #[serde(default)]
    complete: bool,
}

impl Metadata {
    fn is_complete(&self) -> bool {
        self.complete || self.sync.is_some()
    }
}

/// What the last `db sync` left behind, for the next incremental one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The export folder the data came from.
    pub url: String,
    /// When the last sync (full or incremental) finished, unix milliseconds.
    pub synced_at: i64,
    /// The newest `modified` applied: later entries of `modified_id.csv` are new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
}

/// Per generation: which package keys exist (to delete them later) and which packages each
/// record id is filed under (an incremental update must remove a record from packages it no
/// longer names).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct GenerationIndex {
    packages: BTreeSet<String>,
    ids: BTreeMap<String, BTreeSet<String>>,
}

/// What `pyaudit db status` shows, and what an audit says about the database's age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseStatus {
    /// The imported path, or the sync URL.
    pub source: String,
    /// When the data was imported or last synced (unix milliseconds).
    pub imported_at: i64,
    /// How long ago that was.
    #[serde(serialize_with = "serialize_seconds")]
    pub age: Duration,
    pub records: usize,
    pub packages: usize,
    pub load_errors: usize,
    /// The newest `modified` of any record: how recent the data itself is.
    pub newest_modified: Option<String>,
    /// [`DatabaseStatus::newest_modified`] as unix milliseconds: the data's own date, which is
    /// what its age is measured from (never the import time).
    pub data_as_of: Option<i64>,
    pub sync: Option<SyncState>,
    /// A complete copy of an advisory source: only then may it answer for a package on its own.
    pub complete: bool,
}

fn serialize_seconds<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_secs())
}

impl DatabaseStatus {
    fn from_metadata(metadata: &Metadata, now: Timestamp) -> Self {
        Self {
            source: metadata.source.clone(),
            imported_at: metadata.imported_at,
            age: now.duration_since(Timestamp::from_unix_millis(metadata.imported_at)),
            records: metadata.records,
            packages: metadata.packages,
            load_errors: metadata.load_errors,
            newest_modified: metadata.newest_modified.clone(),
            // No record can have changed after the copy was made: a `modified` in the future (a
            // broken or hostile record) must not keep an old copy looking fresh forever.
            data_as_of: metadata
                .newest_modified
                .as_deref()
                .and_then(parse_upload_time)
                .map(|newest| newest.unix_millis().min(metadata.imported_at)),
            sync: metadata.sync.clone(),
            complete: metadata.is_complete(),
        }
    }

    /// How old the data is at `now`: measured from the newest record, `None` when no record
    /// states when it was modified (then the age is unknown, which is never fresh).
    pub fn data_age(&self, now: Timestamp) -> Option<Duration> {
        self.data_as_of
            .map(|as_of| now.duration_since(Timestamp::from_unix_millis(as_of)))
    }
}

/// What an import stored.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub source: String,
    pub imported_at: i64,
    pub records: usize,
    pub withdrawn: usize,
    pub malicious: usize,
    pub packages: usize,
    pub newest_modified: Option<String>,
    /// Whether the stored database is a complete copy of an advisory source.
    pub complete: bool,
    /// Records that could not be read; the rest were imported.
    pub load_errors: Vec<LoadError>,
    /// Copies of a record id found in more than one of the imported sources (the newest
    /// `modified` copy is kept).
    pub overlapping: usize,
    /// The database this import replaced, if there was one.
    pub replaced: Option<ReplacedDatabase>,
}

/// What an import or a full sync replaced: the whole previous database goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplacedDatabase {
    pub source: String,
    pub records: usize,
    pub complete: bool,
}

/// How a sync went.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum SyncSummary {
    /// `all.zip` was downloaded and imported.
    Full {
        import: ImportSummary,
        /// Why the incremental path was not taken, when a previous sync existed.
        incremental_skipped: Option<String>,
    },
    /// Only records changed since the last sync were fetched.
    Incremental {
        url: String,
        updated_records: usize,
        updated_packages: usize,
        cutoff: Option<String>,
    },
}

/// The database's records for some packages, read for one audit.
#[derive(Debug, Clone)]
pub struct LocalAdvisories {
    pub status: DatabaseStatus,
    /// Package (PEP 503 name) → its records. A package that is absent has no known advisory.
    pub advisories: BTreeMap<String, Vec<Advisory>>,
    /// Packages whose stored entry could not be decoded (they must not look clean).
    pub unreadable: BTreeMap<String, String>,
}

impl LocalAdvisories {
    /// How reasons name the database: its source, with credentials masked.
    pub fn label(&self) -> String {
        format!(
            "the local advisory database (`{}`)",
            crate::redact::redact_text(&self.status.source)
        )
    }

    /// What the database can say for `package` at `now`, as the verdict reads it.
    pub fn evidence(&self, package: &str, now: Timestamp) -> super::verdict::CopyEvidence {
        super::verdict::CopyEvidence {
            label: self.label(),
            complete: self.status.complete,
            age: self.status.data_age(now),
            as_of: self
                .status
                .data_as_of
                .map(crate::time::date_from_unix_millis),
            unreadable: self.unreadable.get(package).cloned(),
        }
    }
}

fn package_key(generation: u64, package: &str) -> String {
    format!("g{generation}/{package}")
}

fn index_key(generation: u64) -> String {
    format!("g{generation}:index")
}

fn read_metadata(cache: &Cache) -> Result<Option<Metadata>, LocalDatabaseError> {
    let Some(entry) = cache.get(&DATABASE_NAMESPACE, CURRENT_KEY)? else {
        return Ok(None);
    };
    serde_json::from_slice(&entry.payload)
        .map(Some)
        .map_err(|error| LocalDatabaseError::Corrupt {
            key: CURRENT_KEY.to_owned(),
            message: error.to_string(),
        })
}

fn read_index(cache: &Cache, generation: u64) -> Result<GenerationIndex, LocalDatabaseError> {
    let key = index_key(generation);
    let Some(entry) = cache.get(&DATABASE_NAMESPACE, &key)? else {
        return Err(LocalDatabaseError::Corrupt {
            key,
            message: "the generation index is missing".to_owned(),
        });
    };
    serde_json::from_slice(&entry.payload).map_err(|error| LocalDatabaseError::Corrupt {
        key,
        message: error.to_string(),
    })
}

fn put_json<T: Serialize + ?Sized>(
    cache: &Cache,
    key: &str,
    value: &T,
    now: Timestamp,
) -> Result<(), LocalDatabaseError> {
    let bytes = serde_json::to_vec(value).map_err(|source| LocalDatabaseError::Encode {
        package: key.to_owned(),
        source,
    })?;
    cache.put(
        &DATABASE_NAMESPACE,
        key,
        &bytes,
        &Freshness::new(KEEP_FOR),
        now,
    )?;
    Ok(())
}

/// How complete the sources of an import are, as the user declared them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeclaredCoverage {
    /// An OSV export archive (`.zip`) is a complete copy of its ecosystem; a directory is not,
    /// unless declared.
    #[default]
    ByKind,
    /// Every source is a complete copy (`db import --complete`: a checkout of the PyPA advisory
    /// database, an unpacked OSV export).
    Complete,
    /// No source is complete (`db import --partial`: an archive of an organisation's records).
    Partial,
}

impl DeclaredCoverage {
    /// Whether `path` counts as a complete copy of its source.
    pub fn is_complete(self, path: &std::path::Path) -> bool {
        match self {
            Self::Complete => true,
            Self::Partial => false,
            Self::ByKind => path.is_file(),
        }
    }
}

/// Imports directory trees of OSV records (JSON/YAML) and OSV `all.zip` exports as one database,
/// replacing the previous local database. A record id in several sources keeps its newest
/// `modified` copy. Records that cannot be read are listed in the summary, not fatal. The
/// database is complete when any of its sources is (the others then only add records). Sources
/// with no records at all are refused and the previous database is left as it was.
pub fn import(
    cache: &Cache,
    paths: &[PathBuf],
    coverage: DeclaredCoverage,
    now: Timestamp,
) -> Result<ImportSummary, LocalDatabaseError> {
    let mut databases = Vec::with_capacity(paths.len());
    let mut complete = false;
    // A `db export` keeps its data's age even where its records do not (a record of no PyPI
    // package is not exported).
    let mut newest_exported: Option<String> = None;
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let exported = super::export::read(path).map_err(|error| LocalDatabaseError::Load {
            path: path.clone(),
            source: pyaudit_advisories::DatabaseError::Io {
                path: path.clone(),
                source: std::io::Error::other(error.to_string()),
            },
        })?;
        let database = match exported {
            Some((manifest, records)) => {
                complete |= match coverage {
                    DeclaredCoverage::ByKind => manifest.complete,
                    declared => declared.is_complete(path),
                };
                newest_exported = [newest_exported.take(), manifest.newest_modified]
                    .into_iter()
                    .flatten()
                    .max_by(|left, right| compare_timestamps(left, right));
                sources.push(format!(
                    "{} (export of {})",
                    path.display(),
                    manifest.source
                ));
                Database::from_advisories(records)
            }
            None => {
                complete |= coverage.is_complete(path);
                sources.push(path.display().to_string());
                Database::load(path).map_err(|source| LocalDatabaseError::Load {
                    path: path.clone(),
                    source,
                })?
            }
        };
        if database.advisories().is_empty() {
            let errors = database.load_errors().len();
            return Err(LocalDatabaseError::Empty {
                source_text: path.display().to_string(),
                detail: match database.load_errors().first() {
                    Some(first) => format!(" ({errors} file(s) could not be read, e.g. {first})"),
                    None => String::new(),
                },
            });
        }
        databases.push(database);
    }
    let (database, overlapping) = Database::union(databases);
    let source = sources.join(" + ");
    let mut summary = store(
        cache,
        &database,
        source,
        complete,
        now,
        None,
        newest_exported,
    )?;
    summary.overlapping = overlapping;
    Ok(summary)
}

/// Writes `database` as a new generation, switches `current` to it and drops the old one.
fn store(
    cache: &Cache,
    database: &Database,
    source: String,
    complete: bool,
    now: Timestamp,
    sync: Option<SyncState>,
    newest_exported: Option<String>,
) -> Result<ImportSummary, LocalDatabaseError> {
    if database.advisories().is_empty() {
        return Err(LocalDatabaseError::Empty {
            source_text: source,
            detail: String::new(),
        });
    }
    let previous = read_metadata(cache).ok().flatten();
    let generation = previous
        .as_ref()
        .map_or(1, |metadata| metadata.generation + 1);
    let mut index = GenerationIndex::default();
    for package in database.packages() {
        let advisories: Vec<&Advisory> = database.advisories_for(package).collect();
        for advisory in &advisories {
            index
                .ids
                .entry(advisory.id.clone())
                .or_default()
                .insert(package.to_owned());
        }
        put_json(cache, &package_key(generation, package), &advisories, now)?;
        index.packages.insert(package.to_owned());
    }
    put_json(cache, &index_key(generation), &index, now)?;
    let mut stats = database.stats();
    stats.newest_modified = [stats.newest_modified.take(), newest_exported]
        .into_iter()
        .flatten()
        .max_by(|left, right| compare_timestamps(left, right));
    let metadata = Metadata {
        generation,
        source: source.clone(),
        imported_at: now.unix_millis(),
        records: stats.records,
        packages: stats.packages,
        load_errors: stats.load_errors,
        newest_modified: stats.newest_modified.clone(),
        sync,
        complete,
    };
    // The switch: from here on readers use the new generation.
    put_json(cache, CURRENT_KEY, &metadata, now)?;
    if let Some(previous) = &previous {
        remove_generation(cache, previous.generation);
    }
    cache.flush()?;
    Ok(ImportSummary {
        source,
        imported_at: now.unix_millis(),
        records: stats.records,
        withdrawn: stats.withdrawn,
        malicious: stats.malicious,
        packages: stats.packages,
        newest_modified: stats.newest_modified,
        complete,
        load_errors: database.load_errors().to_vec(),
        overlapping: 0,
        replaced: previous.map(|previous| ReplacedDatabase {
            complete: previous.is_complete(),
            source: previous.source,
            records: previous.records,
        }),
    })
}

/// Best effort: an old generation that cannot be removed only wastes space, it is never read.
fn remove_generation(cache: &Cache, generation: u64) {
    if let Ok(index) = read_index(cache, generation) {
        for package in &index.packages {
            let _ = cache.remove(&DATABASE_NAMESPACE, &package_key(generation, package));
        }
    }
    let _ = cache.remove(&DATABASE_NAMESPACE, &index_key(generation));
}

/// Everything the live database holds, for `db export`: each record once.
#[derive(Debug)]
pub struct Snapshot {
    pub source: String,
    pub complete: bool,
    pub imported_at: i64,
    pub newest_modified: Option<String>,
    pub records: Vec<Advisory>,
}

/// The live database's records and description; `None` when there is none.
pub fn snapshot(cache: &Cache) -> Result<Option<Snapshot>, LocalDatabaseError> {
    let Some(metadata) = read_metadata(cache)? else {
        return Ok(None);
    };
    let index = read_index(cache, metadata.generation)?;
    let keys: Vec<String> = index
        .packages
        .iter()
        .map(|package| package_key(metadata.generation, package))
        .collect();
    let mut records: BTreeMap<String, Advisory> = BTreeMap::new();
    for (key, entry) in keys.iter().zip(cache.get_many(&DATABASE_NAMESPACE, &keys)?) {
        // A missing or unreadable entry would make the export silently smaller than the
        // database it claims to be.
        let entry = entry.ok_or_else(|| LocalDatabaseError::Corrupt {
            key: key.clone(),
            message: "the entry is missing".to_owned(),
        })?;
        let stored: Vec<Advisory> = serde_json::from_slice(&entry.payload).map_err(|error| {
            LocalDatabaseError::Corrupt {
                key: key.clone(),
                message: error.to_string(),
            }
        })?;
        for advisory in stored {
            records.entry(advisory.id.clone()).or_insert(advisory);
        }
    }
    Ok(Some(Snapshot {
        complete: metadata.is_complete(),
        source: metadata.source,
        imported_at: metadata.imported_at,
        newest_modified: metadata.newest_modified,
        records: records.into_values().collect(),
    }))
}

/// The live database's description, if one was imported.
pub fn status(cache: &Cache, now: Timestamp) -> Result<Option<DatabaseStatus>, LocalDatabaseError> {
    Ok(read_metadata(cache)?.map(|metadata| DatabaseStatus::from_metadata(&metadata, now)))
}

/// The records of `names` (any PEP 503 spelling) in one `get_many`; `None` without a database.
pub fn lookup<S: AsRef<str>>(
    cache: &Cache,
    names: &[S],
    now: Timestamp,
) -> Result<Option<LocalAdvisories>, LocalDatabaseError> {
    let resets = cache.resets();
    let Some(metadata) = read_metadata(cache)? else {
        return Ok(None);
    };
    let names: BTreeSet<String> = names
        .iter()
        .map(|name| normalize_package_name(name.as_ref()))
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let keys: Vec<String> = names
        .iter()
        .map(|name| package_key(metadata.generation, name))
        .collect();
    let entries = cache.get_many(&DATABASE_NAMESPACE, &keys)?;
    if cache.resets() != resets {
        // The cache was damaged and started afresh between the header and the records: the
        // database is gone (the cache said so), and absent records must not read as clean.
        return Ok(None);
    }
    let mut advisories = BTreeMap::new();
    let mut unreadable = BTreeMap::new();
    for (name, entry) in names.into_iter().zip(entries) {
        let Some(entry) = entry else {
            continue;
        };
        match serde_json::from_slice::<Vec<Advisory>>(&entry.payload) {
            Ok(records) => {
                advisories.insert(name, records);
            }
            Err(error) => {
                unreadable.insert(
                    name.clone(),
                    format!(
                        "the local advisory database entry `{}` is unreadable: {error}",
                        package_key(metadata.generation, &name)
                    ),
                );
            }
        }
    }
    Ok(Some(LocalAdvisories {
        status: DatabaseStatus::from_metadata(&metadata, now),
        advisories,
        unreadable,
    }))
}

/// Fetch settings suited to `db sync`: OSV's PyPI `all.zip` is tens of megabytes, more than the
/// audit's body limit and per-request timeout allow.
pub fn sync_fetch_settings(mut settings: FetchSettings) -> FetchSettings {
    settings.max_body_bytes = settings.max_body_bytes.max(1024 * 1024 * 1024);
    settings.timeout = settings.timeout.max(Duration::from_secs(600));
    settings.deadline = settings
        .deadline
        .map(|deadline| deadline.max(Duration::from_secs(1800)));
    settings
}

/// Brings the local database up to date with OSV's export at `base_url` (a folder such as
/// [`DEFAULT_SYNC_URL`]): incrementally when the previous sync came from the same folder, else by
/// downloading and importing `all.zip`. Build the fetcher with [`sync_fetch_settings`].
pub fn sync(
    cache: &Cache,
    fetcher: &Fetcher,
    base_url: &str,
    now: Timestamp,
) -> Result<SyncSummary, LocalDatabaseError> {
    let base_url = trim_base(base_url).to_owned();
    // What the cache stores and `db status` shows: the folder without its credentials.
    let stored_url = crate::redact::redact_url(&base_url).into_owned();
    let previous = read_metadata(cache)?;
    let previous_sync = previous.as_ref().and_then(|metadata| {
        metadata
            .sync
            .as_ref()
            .filter(|state| state.url == stored_url && state.cutoff.is_some())
            .map(|state| (metadata.clone(), state.clone()))
    });
    let incremental_skipped = match previous_sync {
        None if previous.is_some() => {
            Some("the current database was not synced from this URL".to_owned())
        }
        None => None,
        Some((metadata, state)) => {
            match run_blocking(
                1,
                fetch_changes(fetcher, &base_url, state.cutoff.as_deref()),
            )
            .map_err(LocalDatabaseError::Runtime)?
            {
                Ok(changes) => {
                    return apply_changes(cache, metadata, &stored_url, changes, now);
                }
                Err(reason) => Some(reason),
            }
        }
    };
    let archive = run_blocking(1, download(fetcher, format!("{base_url}/all.zip")))
        .map_err(LocalDatabaseError::Runtime)?
        .map_err(LocalDatabaseError::Download)?;
    let mut file = tempfile::Builder::new()
        .prefix("pyaudit-osv-")
        .suffix(".zip")
        .tempfile()
        .map_err(|source| LocalDatabaseError::TemporaryFile {
            path: std::env::temp_dir(),
            source,
        })?;
    file.write_all(&archive)
        .and_then(|()| file.flush())
        .map_err(|source| LocalDatabaseError::TemporaryFile {
            path: file.path().to_owned(),
            source,
        })?;
    drop(archive);
    let database = Database::load_zip(file.path()).map_err(|source| LocalDatabaseError::Load {
        path: file.path().to_owned(),
        source,
    })?;
    let cutoff = database.stats().newest_modified;
    let import = store(
        cache,
        &database,
        format!("{stored_url}/all.zip"),
        true,
        now,
        Some(SyncState {
            url: stored_url.clone(),
            synced_at: now.unix_millis(),
            cutoff,
        }),
        None,
    )?;
    Ok(SyncSummary::Full {
        import,
        incremental_skipped,
    })
}

async fn download(fetcher: &Fetcher, url: String) -> Result<Vec<u8>, FetchError> {
    let response = fetcher.send(&RequestSpec::get(url)).await?;
    if response.status != 200 {
        return Err(response.unexpected_status());
    }
    Ok(response.body)
}

/// Records changed since `cutoff`, or why the incremental path cannot be used.
struct Changes {
    records: Vec<Advisory>,
    newest: Option<String>,
}

async fn fetch_changes(
    fetcher: &Fetcher,
    base_url: &str,
    cutoff: Option<&str>,
) -> Result<Changes, String> {
    let Some(cutoff) = cutoff else {
        return Err("no previous sync time".to_owned());
    };
    let listing_url = format!("{base_url}/modified_id.csv");
    let listing = download(fetcher, listing_url.clone())
        .await
        .map_err(|error| error.to_string())?;
    let text = String::from_utf8_lossy(&listing);
    let changed = changed_ids(&text, cutoff);
    if changed.len() > MAXIMUM_INCREMENTAL_RECORDS {
        return Err(format!(
            "{} records changed since the last sync (more than {MAXIMUM_INCREMENTAL_RECORDS})",
            changed.len()
        ));
    }
    let newest = changed.first().map(|(modified, _)| modified.clone());
    let mut tasks = JoinSet::new();
    for (_, id) in changed {
        if !crate::fetch::is_path_safe(&id) {
            return Err(format!("`{listing_url}` lists an unusable id `{id}`"));
        }
        let fetcher = fetcher.clone();
        let url = format!("{base_url}/{id}.json");
        tasks.spawn(async move {
            let body = download(&fetcher, url.clone())
                .await
                .map_err(|error| error.to_string())?;
            parse_record(&body, RecordFormat::Json, &url).map_err(|error| error.to_string())
        });
    }
    let mut records = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(record)) => records.push(record),
            Ok(Err(reason)) => return Err(reason),
            Err(error) => return Err(format!("a record download ended early: {error}")),
        }
    }
    Ok(Changes {
        records,
        newest: newest.or_else(|| Some(cutoff.to_owned())),
    })
}

/// The `(modified, id)` lines of `modified_id.csv` newer than `cutoff`. The file is sorted newest
/// first, so reading stops at the first line that is not newer; lines that do not parse (a header)
/// are skipped.
fn changed_ids(listing: &str, cutoff: &str) -> Vec<(String, String)> {
    let mut changed = Vec::new();
    for line in listing.lines() {
        let Some((modified, id)) = line.trim().split_once(',') else {
            continue;
        };
        let (modified, id) = (modified.trim(), id.trim());
        if id.is_empty() || !modified.starts_with(|character: char| character.is_ascii_digit()) {
            continue;
        }
        if compare_timestamps(modified, cutoff).is_le() {
            break;
        }
        changed.push((modified.to_owned(), id.to_owned()));
    }
    changed
}

/// Patches changed records into the live generation: each affected package entry is rewritten
/// whole (one key write each), then `current` records the new cutoff. An interrupted update is
/// repeated by the next sync, since the cutoff moves last.
fn apply_changes(
    cache: &Cache,
    mut metadata: Metadata,
    stored_url: &str,
    changes: Changes,
    now: Timestamp,
) -> Result<SyncSummary, LocalDatabaseError> {
    let generation = metadata.generation;
    let mut index = read_index(cache, generation)?;
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for record in &changes.records {
        if let Some(previous) = index.ids.get(&record.id) {
            touched.extend(previous.iter().cloned());
        }
        touched.extend(record.affected.iter().map(|affected| affected.name.clone()));
    }
    let touched: Vec<String> = touched.into_iter().collect();
    let keys: Vec<String> = touched
        .iter()
        .map(|package| package_key(generation, package))
        .collect();
    let entries = cache.get_many(&DATABASE_NAMESPACE, &keys)?;
    let changed_ids: BTreeSet<&str> = changes
        .records
        .iter()
        .map(|record| record.id.as_str())
        .collect();
    for ((package, key), entry) in touched.iter().zip(&keys).zip(entries) {
        let mut advisories: Vec<Advisory> = match entry {
            Some(entry) => serde_json::from_slice(&entry.payload).map_err(|error| {
                LocalDatabaseError::Corrupt {
                    key: key.clone(),
                    message: error.to_string(),
                }
            })?,
            None => Vec::new(),
        };
        advisories.retain(|advisory| !changed_ids.contains(advisory.id.as_str()));
        for record in &changes.records {
            if record
                .affected
                .iter()
                .any(|affected| &affected.name == package)
            {
                advisories.push(record.clone());
            }
        }
        advisories
            .sort_by(|left, right| pyaudit_advisories::merge::compare_ids(&left.id, &right.id));
        for ids in index.ids.values_mut() {
            ids.remove(package);
        }
        for advisory in &advisories {
            index
                .ids
                .entry(advisory.id.clone())
                .or_default()
                .insert(package.clone());
        }
        if advisories.is_empty() {
            cache.remove(&DATABASE_NAMESPACE, key)?;
            index.packages.remove(package);
        } else {
            put_json(cache, key, &advisories, now)?;
            index.packages.insert(package.clone());
        }
    }
    index.ids.retain(|_, packages| !packages.is_empty());
    put_json(cache, &index_key(generation), &index, now)?;
    metadata.records = index.ids.len();
    metadata.packages = index.packages.len();
    metadata.imported_at = now.unix_millis();
    if let Some(newest) = &changes.newest
        && metadata
            .newest_modified
            .as_deref()
            .is_none_or(|known| compare_timestamps(newest, known).is_gt())
    {
        metadata.newest_modified = Some(newest.clone());
    }
    metadata.sync = Some(SyncState {
        url: stored_url.to_owned(),
        synced_at: now.unix_millis(),
        cutoff: changes.newest.clone(),
    });
    put_json(cache, CURRENT_KEY, &metadata, now)?;
    cache.flush()?;
    Ok(SyncSummary::Incremental {
        url: stored_url.to_owned(),
        updated_records: changes.records.len(),
        updated_packages: touched.len(),
        cutoff: changes.newest,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const RECORD: &str = "id: PYSEC-2020-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: Demo.Pkg}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: '1.5'\n";

    fn write(directory: &Path, relative: &str, text: &str) {
        let path = directory.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn import_replaces_the_previous_generation() {
        let cache = Cache::in_memory();
        let directory = tempfile::tempdir().unwrap();
        write(directory.path(), "vulns/demo-pkg/PYSEC-2020-1.yaml", RECORD);
        write(
            directory.path(),
            "vulns/demo-pkg/broken.yaml",
            "id: X\naffected: 3\n",
        );
        let now = Timestamp::from_unix_seconds(1_000);
        let summary = import(
            &cache,
            &[directory.path().to_owned()],
            DeclaredCoverage::ByKind,
            now,
        )
        .unwrap();
        assert_eq!((summary.records, summary.packages), (1, 1));
        assert_eq!(summary.load_errors.len(), 1);
        assert_eq!(summary.replaced, None);

        let found = lookup(&cache, &["DEMO_pkg", "other"], now)
            .unwrap()
            .unwrap();
        assert_eq!(found.advisories.len(), 1);
        assert_eq!(found.advisories["demo-pkg"][0].id, "PYSEC-2020-1");

        let second = tempfile::tempdir().unwrap();
        write(
            second.path(),
            "other/PYSEC-2021-2.yaml",
            &RECORD
                .replace("PYSEC-2020-1", "PYSEC-2021-2")
                .replace("Demo.Pkg", "other"),
        );
        let later = Timestamp::from_unix_seconds(2_000);
        assert_eq!(
            import(
                &cache,
                &[second.path().to_owned()],
                DeclaredCoverage::ByKind,
                later
            )
            .unwrap()
            .replaced,
            Some(ReplacedDatabase {
                source: directory.path().display().to_string(),
                records: 1,
                complete: false,
            })
        );
        let found = lookup(&cache, &["demo-pkg", "other"], later)
            .unwrap()
            .unwrap();
        assert_eq!(found.advisories.keys().collect::<Vec<_>>(), ["other"]);
        // The old generation's keys are gone.
        assert!(
            cache
                .get(&DATABASE_NAMESPACE, "g1/demo-pkg")
                .unwrap()
                .is_none()
        );
        let status = status(&cache, Timestamp::from_unix_seconds(2_060))
            .unwrap()
            .unwrap();
        assert_eq!(status.age, Duration::from_secs(60));
        assert_eq!(status.records, 1);
    }

    #[test]
    fn several_sources_import_as_one_database() {
        let cache = Cache::in_memory();
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(first.path(), "PYSEC-2020-1.yaml", RECORD);
        write(
            second.path(),
            "PYSEC-2021-2.yaml",
            &RECORD
                .replace("PYSEC-2020-1", "PYSEC-2021-2")
                .replace("Demo.Pkg", "other"),
        );
        // The first record again: an overlap, not a second copy.
        write(second.path(), "copy/PYSEC-2020-1.yaml", RECORD);
        let paths = [first.path().to_owned(), second.path().to_owned()];
        let summary = import(
            &cache,
            &paths,
            DeclaredCoverage::ByKind,
            Timestamp::from_unix_seconds(1),
        )
        .unwrap();
        assert_eq!(
            (summary.records, summary.packages, summary.overlapping),
            (2, 2, 1)
        );
        assert!(summary.load_errors.is_empty(), "{:?}", summary.load_errors);
        assert_eq!(
            summary.source,
            format!("{} + {}", first.path().display(), second.path().display())
        );
        let found = lookup(
            &cache,
            &["demo-pkg", "other"],
            Timestamp::from_unix_seconds(2),
        )
        .unwrap()
        .unwrap();
        assert_eq!(found.advisories.len(), 2);
        // One unreadable path fails the whole import and leaves nothing half-written.
        let missing = first.path().join("missing");
        let error = import(
            &cache,
            &[second.path().to_owned(), missing.clone()],
            DeclaredCoverage::ByKind,
            Timestamp::from_unix_seconds(3),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains(&missing.display().to_string()),
            "{error}"
        );
        assert_eq!(
            status(&cache, Timestamp::from_unix_seconds(3))
                .unwrap()
                .unwrap()
                .records,
            2
        );
    }

    #[test]
    fn an_empty_source_is_refused_and_changes_nothing() {
        let cache = Cache::in_memory();
        let full = tempfile::tempdir().unwrap();
        write(full.path(), "PYSEC-2020-1.yaml", RECORD);
        import(
            &cache,
            &[full.path().to_owned()],
            DeclaredCoverage::Complete,
            Timestamp::from_unix_seconds(1),
        )
        .unwrap();
        let empty = tempfile::tempdir().unwrap();
        write(empty.path(), "notes/README.md", "not a record");
        let error = import(
            &cache,
            &[empty.path().to_owned()],
            DeclaredCoverage::Complete,
            Timestamp::from_unix_seconds(2),
        )
        .unwrap_err();
        assert!(matches!(error, LocalDatabaseError::Empty { .. }), "{error}");
        assert!(error.to_string().contains("no advisory records"), "{error}");
        // A source with records next to an empty one is refused too: the user named both.
        assert!(
            import(
                &cache,
                &[full.path().to_owned(), empty.path().to_owned()],
                DeclaredCoverage::Complete,
                Timestamp::from_unix_seconds(3),
            )
            .is_err()
        );
        let status = status(&cache, Timestamp::from_unix_seconds(4))
            .unwrap()
            .unwrap();
        assert_eq!((status.records, status.complete), (1, true));
        assert_eq!(status.source, full.path().display().to_string());
    }

    #[test]
    fn the_data_age_is_the_newest_record_not_the_import() {
        let cache = Cache::in_memory();
        let directory = tempfile::tempdir().unwrap();
        write(directory.path(), "PYSEC-2020-1.yaml", RECORD);
        // Imported at 2030-01-01; the record was modified on 2021-01-01.
        let imported = Timestamp::from_unix_seconds(1_893_456_000);
        let summary = import(
            &cache,
            &[directory.path().to_owned()],
            DeclaredCoverage::ByKind,
            imported,
        )
        .unwrap();
        assert!(!summary.complete, "a directory is partial unless declared");
        let status = status(&cache, imported).unwrap().unwrap();
        assert_eq!(status.data_as_of, Some(1_609_459_200_000));
        assert_eq!(
            status.data_age(imported),
            Some(Duration::from_secs(1_893_456_000 - 1_609_459_200))
        );
        assert!(!status.complete);
    }

    #[test]
    fn a_record_dated_in_the_future_does_not_keep_a_copy_fresh() {
        let cache = Cache::in_memory();
        let directory = tempfile::tempdir().unwrap();
        write(
            directory.path(),
            "PYSEC-2020-1.yaml",
            &RECORD.replace("2021-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
        );
        let imported = Timestamp::from_unix_seconds(1_893_456_000);
        import(
            &cache,
            &[directory.path().to_owned()],
            DeclaredCoverage::Complete,
            imported,
        )
        .unwrap();
        let later = Timestamp::from_unix_seconds(1_893_456_000 + 30 * 86_400);
        let status = status(&cache, later).unwrap().unwrap();
        assert_eq!(status.data_as_of, Some(imported.unix_millis()));
        assert_eq!(
            status.data_age(later),
            Some(Duration::from_secs(30 * 86_400))
        );
    }

    #[test]
    fn no_database_is_none() {
        let cache = Cache::in_memory();
        assert!(
            lookup(&cache, &["x"], Timestamp::from_unix_seconds(1))
                .unwrap()
                .is_none()
        );
        assert!(
            status(&cache, Timestamp::from_unix_seconds(1))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn changed_ids_stop_at_the_cutoff() {
        let listing = "2024-03-01T00:00:00Z,PYSEC-3\n2024-02-01T00:00:00.5Z,GHSA-2\n\
                       2024-02-01T00:00:00Z,PYSEC-1\n2023-01-01T00:00:00Z,PYSEC-0\n";
        let changed = changed_ids(listing, "2024-02-01T00:00:00Z");
        let ids: Vec<&str> = changed.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["PYSEC-3", "GHSA-2"]);
    }
}
