//! pyaudit's local cache: namespaced, versioned trees of fetched answers, each value wrapped in an
//! envelope with its fetch time, expiry and HTTP validators (ETag, Last-Modified).
//!
//! The cache knows nothing of OSV or PyPI: callers choose a [`Namespace`] (a name and a schema
//! version), string keys and opaque payload bytes. The layout on disk, the lock behaviour and the
//! corruption behaviour are described in this crate's `README.md`.
//!
//! ```no_run
//! use std::time::Duration;
//! use pyaudit_cache::{Cache, Freshness, Namespace, OpenOptions, Timestamp};
//!
//! const VULNERABILITIES: Namespace = Namespace::new("osv-vulns", 1);
//! # fn main() -> Result<(), pyaudit_cache::CacheError> {
//! let opened = Cache::open(&OpenOptions::new("/tmp/pyaudit-cache"))?;
//! for warning in &opened.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! let cache = opened.cache;
//! let now = Timestamp::now();
//! cache.put(&VULNERABILITIES, "PYSEC-2023-1", b"{}", &Freshness::new(Duration::from_secs(3600)), now)?;
//! let entry = cache.get(&VULNERABILITIES, "PYSEC-2023-1")?;
//! assert!(entry.is_some_and(|entry| entry.is_fresh(now)));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod envelope;
mod location;
mod open;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use location::{CACHE_DIR_ENV, default_cache_dir, resolve_cache_dir};

use envelope::Envelope;
use open::{DB_DIRECTORY, META_TREE, NAMESPACE_PREFIX, SCHEMA_KEY_PREFIX};
use store::Store;

/// How long [`Cache::open`] waits for another process to release the cache by default: long
/// enough for a typical audit of a few hundred packages to finish, short enough to never look
/// like a hang.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(20);

/// Errors of the cache; each names the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "no cache directory: pass `--cache-dir`, set `{CACHE_DIR_ENV}`, or set `HOME` so the \
         platform cache directory is known"
    )]
    NoCacheDirectory,
    #[error("could not create the cache directory `{}`", path.display())]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not open the cache at `{}`", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "another pyaudit is using the cache at `{}` and did not release it within {:.1}s",
        path.display(),
        waited.as_secs_f64()
    )]
    Locked { path: PathBuf, waited: Duration },
    #[error(
        "the cache at `{}` is damaged ({reason}); moved it aside to `{}` and started a fresh, \
         empty cache, so what was being written is lost",
        path.display(),
        moved_to.display()
    )]
    Damaged {
        path: PathBuf,
        moved_to: PathBuf,
        reason: String,
    },
    #[error("refusing to remove `{}`: {reason}", path.display())]
    NotACache { path: PathBuf, reason: &'static str },
    #[error("could not move the corrupted cache `{}` aside", path.display())]
    SetAside {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not read or write the cache at `{}`", path.display())]
    Store {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not remove `{}`", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the cache at `{}` was opened read-only", path.display())]
    ReadOnly { path: PathBuf },
    #[error("invalid cache namespace `{name}`: {reason}")]
    InvalidNamespace { name: String, reason: &'static str },
}

/// A point in time, in milliseconds since the Unix epoch. Passed into every call that depends on
/// the clock so tests are deterministic; the default is the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// The system clock now; times before the epoch count as the epoch.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// `self + duration`, saturating rather than overflowing.
    pub fn saturating_add(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(millis))
    }

    /// `self - duration`, saturating rather than overflowing.
    pub fn saturating_sub(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(millis))
    }

    /// How long after `earlier` this is; zero when it is not after.
    pub fn duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        let millis = time.duration_since(UNIX_EPOCH).map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
        Self(millis)
    }
}

/// A caller's namespace: its tree name and the version of the payload schema it writes. Bumping
/// `schema_version` makes every entry written under another version invisible, and the first
/// writable open that uses the new version drops them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    name: &'static str,
    schema_version: u32,
}

impl Namespace {
    /// `name`: 1–64 characters of `a-z`, `0-9`, `-`, `_`, `.` (checked on use).
    pub const fn new(name: &'static str, schema_version: u32) -> Self {
        Self {
            name,
            schema_version,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn tree_name(&self) -> String {
        format!("{NAMESPACE_PREFIX}{}", self.name)
    }
}

fn validate_namespace_name(name: &str) -> Result<(), CacheError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 64 {
        Some("it is longer than 64 characters")
    } else if !name.bytes().all(|byte| {
        byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'-' | b'_' | b'.')
    }) {
        Some("only a-z, 0-9, `-`, `_` and `.` are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CacheError::InvalidNamespace {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// How long a new value stays fresh, and the validators to revalidate it with once it is stale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Freshness {
    pub ttl: Duration,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Freshness {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            etag: None,
            last_modified: None,
        }
    }

    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    pub fn with_last_modified(mut self, last_modified: impl Into<String>) -> Self {
        self.last_modified = Some(last_modified.into());
        self
    }
}

/// A cached value, fresh or stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When the server last vouched for the payload: the fetch, or the latest revalidation.
    pub fetched_at: Timestamp,
    pub expires_at: Timestamp,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub payload: Vec<u8>,
}

impl Entry {
    /// Fresh strictly before `expires_at`; at `expires_at` it is stale, so a TTL of zero is never
    /// fresh.
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }

    /// How old the data is at `now`.
    pub fn age(&self, now: Timestamp) -> Duration {
        now.duration_since(self.fetched_at)
    }

    /// Whether a stale entry can be revalidated with a conditional request.
    pub fn has_validators(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }

    fn from_envelope(envelope: &Envelope<'_>) -> Self {
        Self {
            fetched_at: envelope.fetched_at,
            expires_at: envelope.expires_at,
            etag: envelope.etag.map(str::to_owned),
            last_modified: envelope.last_modified.map(str::to_owned),
            payload: envelope.payload.to_vec(),
        }
    }
}

/// Where and how the cache was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The on-disk cache, readable and writable.
    ReadWrite,
    /// The on-disk cache; writes are refused and nothing on disk is changed. sled still takes its
    /// exclusive lock, so this does not let two processes share the cache.
    ReadOnly,
    /// A map in memory that starts empty and is lost at exit.
    InMemory { reason: InMemoryReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InMemoryReason {
    /// The caller asked for it ([`Cache::in_memory`]), e.g. `--no-cache` or tests.
    Requested,
    /// A read-only open found no cache directory yet.
    Missing,
    /// A read-only open found a cache it cannot read, and left it alone.
    Unreadable,
    /// The cache could not be opened ([`Cache::open_or_memory`]).
    Unavailable,
}

impl fmt::Display for InMemoryReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Requested => "requested",
            Self::Missing => "no cache exists yet",
            Self::Unreadable => "the cache cannot be read",
            Self::Unavailable => "the cache could not be opened",
        })
    }
}

/// How to open the cache.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// The cache directory (see [`resolve_cache_dir`]); sled's files go in its `db` subdirectory.
    pub directory: PathBuf,
    /// The longest time to wait for another process to release the cache.
    pub lock_wait: Duration,
    /// Change nothing on disk: no creation, no schema or layout clean-up, no setting aside.
    pub read_only: bool,
    /// Where messages for the user go while the cache is in use: that the open is waiting for
    /// another process, that damage found during a read made the cache start afresh. `None`
    /// drops them; warnings known at open are also in [`Opened::warnings`].
    pub notices: Option<Notices>,
}

/// A receiver of one-line messages for the user (lowercase, no `warning:` prefix).
#[derive(Clone)]
pub struct Notices(Arc<dyn Fn(&str) + Send + Sync>);

impl Notices {
    pub fn new(receiver: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(receiver))
    }

    pub(crate) fn send(&self, message: &str) {
        (self.0)(message);
    }
}

impl fmt::Debug for Notices {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Notices(..)")
    }
}

impl OpenOptions {
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        Self {
            directory: directory.into(),
            lock_wait: DEFAULT_LOCK_WAIT,
            read_only: false,
            notices: None,
        }
    }

    pub fn notices(mut self, notices: Notices) -> Self {
        self.notices = Some(notices);
        self
    }

    pub fn lock_wait(mut self, lock_wait: Duration) -> Self {
        self.lock_wait = lock_wait;
        self
    }

    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }
}

/// The result of opening: the cache, what it is backed by, and warnings for the user (lock
/// contention, corruption set aside, layout cleared), each one line, lowercase.
pub struct Opened {
    pub cache: Cache,
    pub warnings: Vec<String>,
    pub mode: Mode,
}

/// Counts for one namespace, for `pyaudit cache stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceStats {
    /// The schema version last used for the namespace, when recorded.
    pub schema_version: Option<u32>,
    /// Readable entries of the recorded schema version.
    pub entries: usize,
    pub fresh: usize,
    pub stale: usize,
    /// Entries of another schema version or unreadable: ignored by reads, removed by pruning.
    pub outdated: usize,
    /// Bytes of keys and values, before sled's own overhead.
    pub bytes: u64,
    pub oldest_fetched_at: Option<Timestamp>,
    pub newest_fetched_at: Option<Timestamp>,
}

/// The whole cache's figures, for `pyaudit cache stats`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// The cache directory (even when the cache is in memory, to say which one was meant).
    pub path: PathBuf,
    pub mode: Mode,
    /// Bytes of all files under `<path>/db`; zero in memory.
    pub size_on_disk: u64,
    pub namespaces: BTreeMap<String, NamespaceStats>,
    /// Earlier cache directories that were corrupted and moved aside; `clean(None)` removes them.
    pub set_aside: Vec<PathBuf>,
}

/// What [`Cache::remove_on_disk`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// The `db` directory (or file) and the copies set aside, in that order; empty when there
    /// was no cache.
    pub paths: Vec<PathBuf>,
    /// Bytes of the files removed.
    pub bytes: u64,
}

/// What `clean` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanReport {
    pub entries_removed: usize,
    pub directories_removed: Vec<PathBuf>,
}

/// The cache. `Send + Sync`: share it between fetcher tasks with an `Arc`.
pub struct Cache {
    /// The backend and what this open knows about it; replaced whole when damage found during a
    /// read or write makes the cache start afresh (see [`Cache::resets`]).
    live: RwLock<Live>,
    directory: PathBuf,
    mode: Mode,
    /// How many times damage made this cache start afresh since it was opened.
    resets: AtomicU64,
    notices: Option<Notices>,
}

/// One backend and the schema versions already reconciled with its `meta` tree.
struct Live {
    store: Store,
    schemas: Mutex<HashMap<&'static str, u32>>,
}

impl Live {
    fn new(store: Store) -> Self {
        Self {
            store,
            schemas: Mutex::new(HashMap::new()),
        }
    }

    /// On first use in a writable cache, reconciles the namespace's schema version with the one
    /// recorded in `meta`: a different recorded version means the tree holds entries of the old
    /// schema, which are dropped.
    fn prepare(&self, namespace: &Namespace, read_only: bool) -> io::Result<()> {
        if read_only {
            return Ok(());
        }
        // NOTE: the lock is held across the check and the drop so two tasks starting on the same
        // namespace cannot drop entries the other has just written.
        let mut schemas = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        if schemas.get(namespace.name) == Some(&namespace.schema_version) {
            return Ok(());
        }
        let schema_key = format!("{SCHEMA_KEY_PREFIX}{}", namespace.name);
        let recorded = self
            .store
            .get(META_TREE, schema_key.as_bytes())?
            .and_then(|bytes| decode_u32(bytes.as_ref()));
        if recorded != Some(namespace.schema_version) {
            if recorded.is_some() {
                self.store.drop_tree(&namespace.tree_name())?;
            }
            self.store.insert(
                META_TREE,
                schema_key.as_bytes(),
                namespace.schema_version.to_le_bytes().to_vec(),
            )?;
        }
        schemas.insert(namespace.name, namespace.schema_version);
        Ok(())
    }

    fn recorded_schema(&self, name: &str) -> io::Result<Option<u32>> {
        let schema_key = format!("{SCHEMA_KEY_PREFIX}{name}");
        Ok(self
            .store
            .get(META_TREE, schema_key.as_bytes())?
            .and_then(|bytes| decode_u32(bytes.as_ref())))
    }

    /// The namespaces present, as `(name, tree name)`.
    fn namespace_trees(&self) -> Vec<(String, String)> {
        self.store
            .tree_names()
            .into_iter()
            .filter_map(|tree| {
                let name = tree.strip_prefix(NAMESPACE_PREFIX)?.to_owned();
                Some((name, tree))
            })
            .collect()
    }
}

/// What a call answers when damage made the cache start afresh under it.
enum AfterReset<T> {
    /// A read: the fresh cache is empty, so this is the true answer now.
    Answer(T),
    /// A write: what was written before is gone with the damaged files, so the call fails
    /// rather than let the caller believe it stored something.
    Fail,
}

/// Whether an error from the store means its files are damaged (as opposed to a full disk or a
/// permission): sled reports a failed checksum as `InvalidData`, a cut file as `UnexpectedEof`,
/// and a missing blob file (or a `db` directory removed under it) as `NotFound`.
fn is_damage(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof | io::ErrorKind::NotFound
    )
}

impl Cache {
    /// Opens the cache in `options.directory`, creating it when needed. Waits at most
    /// `options.lock_wait` for another process, then fails with [`CacheError::Locked`]; sets a
    /// corrupted cache aside and starts afresh with a warning. Errors when the directory cannot be
    /// created or opened at all (permissions, a full disk) or stays locked.
    pub fn open(options: &OpenOptions) -> Result<Opened, CacheError> {
        open::open(options)
    }

    /// Like [`Cache::open`], but an error other than [`CacheError::Locked`] becomes an in-memory
    /// cache and a warning: for commands that can always do their job without a cache, only
    /// slower. A held cache stays an error: the holder may have just written what the caller
    /// needs (a local advisory database), and an empty cache would pretend it is not there.
    pub fn open_or_memory(options: &OpenOptions) -> Result<Opened, CacheError> {
        match open::open(options) {
            Ok(opened) => Ok(opened),
            Err(error @ CacheError::Locked { .. }) => Err(error),
            Err(error) => {
                let warning = format!(
                    "{}; this run uses an empty in-memory cache, so results are fetched fresh \
                     and not saved",
                    error_chain(&error)
                );
                Ok(open::in_memory(
                    options,
                    InMemoryReason::Unavailable,
                    vec![warning],
                ))
            }
        }
    }

    /// Removes the on-disk cache in `options.directory` without opening it, so it works on a
    /// cache too damaged to open: the `db` subdirectory and every copy set aside after damage.
    /// Refuses a `db` that does not look like a pyaudit cache (so a mistyped `--cache-dir` never
    /// deletes a user's directory) and a cache another process holds (waiting at most
    /// `options.lock_wait`). The cache directory itself is kept.
    pub fn remove_on_disk(options: &OpenOptions) -> Result<Removed, CacheError> {
        open::remove(options)
    }

    /// An empty cache in memory, for `--no-cache` and tests.
    pub fn in_memory() -> Self {
        Self::new(
            Store::Memory(Default::default()),
            PathBuf::new(),
            Mode::InMemory {
                reason: InMemoryReason::Requested,
            },
            None,
        )
    }

    fn new(store: Store, directory: PathBuf, mode: Mode, notices: Option<Notices>) -> Self {
        Self {
            live: RwLock::new(Live::new(store)),
            directory,
            mode,
            resets: AtomicU64::new(0),
            notices,
        }
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The cache directory this cache belongs to (empty for [`Cache::in_memory`]).
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// How many times damage found during a read or write made this cache set its files aside
    /// and start afresh, empty. A caller that reads several related entries (a database's
    /// header, then its records) compares this before and after: a change means the answers mix
    /// the old cache with the new, empty one.
    pub fn resets(&self) -> u64 {
        self.resets.load(Ordering::SeqCst)
    }

    fn store_error(&self, source: io::Error) -> CacheError {
        CacheError::Store {
            path: self.directory.join(DB_DIRECTORY),
            source,
        }
    }

    fn ensure_writable(&self) -> Result<(), CacheError> {
        match self.mode {
            Mode::ReadOnly => Err(CacheError::ReadOnly {
                path: self.directory.clone(),
            }),
            Mode::ReadWrite | Mode::InMemory { .. } => Ok(()),
        }
    }

    /// Runs `operation` on the live backend. When the backend reports damage (or sled panics
    /// on its files) in a writable on-disk cache, the damaged files are set aside, a fresh cache
    /// replaces them, and the call answers as `after_reset` says.
    fn run<T>(
        &self,
        operation: impl FnOnce(&Live) -> io::Result<T>,
        after_reset: AfterReset<T>,
    ) -> Result<T, CacheError> {
        let (seen, result) = {
            let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
            let seen = self.resets();
            let result = open::quietly(|| operation(&live)).unwrap_or_else(|()| {
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the store failed while reading its files",
                ))
            });
            (seen, result)
        };
        match result {
            Ok(value) => Ok(value),
            Err(error) if is_damage(&error) && self.mode == Mode::ReadWrite => {
                let moved_to = self.start_afresh(seen, &error)?;
                match after_reset {
                    AfterReset::Answer(value) => Ok(value),
                    AfterReset::Fail => Err(CacheError::Damaged {
                        path: self.directory.join(DB_DIRECTORY),
                        moved_to,
                        reason: error.to_string(),
                    }),
                }
            }
            Err(error) => Err(self.store_error(error)),
        }
    }

    /// Sets the damaged database aside and opens a fresh one in its place, unless another call
    /// already did since `seen`. Returns where the damaged files went.
    fn start_afresh(&self, seen: u64, damage: &io::Error) -> Result<PathBuf, CacheError> {
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        let db_path = self.directory.join(DB_DIRECTORY);
        if self.resets() != seen {
            return Ok(open::set_aside_directories(&self.directory)
                .pop()
                .unwrap_or_default());
        }
        // NOTE: the damaged handle is dropped before the rename so its background flush cannot
        // write into the fresh files; sled may fail on its way out, which must not end the run.
        let damaged = std::mem::replace(&mut live.store, Store::Memory(Default::default()));
        let _ = open::quietly(move || drop(damaged));
        let moved_to = open::set_aside(&db_path)?;
        let fresh = open::open_fresh(&db_path)?;
        *live = Live::new(Store::Sled(fresh));
        self.resets.fetch_add(1, Ordering::SeqCst);
        drop(live);
        let damage = match damage.kind() {
            io::ErrorKind::NotFound => format!("one of its files is missing: {damage}"),
            _ => damage.to_string(),
        };
        self.notice(&format!(
            "the cache at `{}` is damaged ({damage}); moved it aside to `{}` and started a \
             fresh, empty cache",
            db_path.display(),
            moved_to.display()
        ));
        Ok(moved_to)
    }

    fn notice(&self, message: &str) {
        if let Some(notices) = &self.notices {
            notices.send(message);
        }
    }

    /// The entry at `key`, fresh or stale; `None` when absent, unreadable or of another schema
    /// version.
    pub fn get(&self, namespace: &Namespace, key: &str) -> Result<Option<Entry>, CacheError> {
        validate_namespace_name(namespace.name)?;
        let read_only = self.mode == Mode::ReadOnly;
        self.run(
            |live| {
                live.prepare(namespace, read_only)?;
                let value = live.store.get(&namespace.tree_name(), key.as_bytes())?;
                Ok(value.and_then(|bytes| decode_entry(namespace, bytes.as_ref())))
            },
            AfterReset::Answer(None),
        )
    }

    /// The entries at `keys`, in the order of `keys`.
    pub fn get_many<K: AsRef<str>>(
        &self,
        namespace: &Namespace,
        keys: &[K],
    ) -> Result<Vec<Option<Entry>>, CacheError> {
        validate_namespace_name(namespace.name)?;
        let read_only = self.mode == Mode::ReadOnly;
        let byte_keys: Vec<&[u8]> = keys.iter().map(|key| key.as_ref().as_bytes()).collect();
        self.run(
            |live| {
                live.prepare(namespace, read_only)?;
                let values = live.store.get_many(&namespace.tree_name(), &byte_keys)?;
                Ok(values
                    .into_iter()
                    .map(|value| value.and_then(|bytes| decode_entry(namespace, bytes.as_ref())))
                    .collect())
            },
            AfterReset::Answer(vec![None; keys.len()]),
        )
    }

    /// Stores `payload` at `key`, fetched at `now`, fresh until `now + freshness.ttl`.
    pub fn put(
        &self,
        namespace: &Namespace,
        key: &str,
        payload: &[u8],
        freshness: &Freshness,
        now: Timestamp,
    ) -> Result<(), CacheError> {
        self.ensure_writable()?;
        validate_namespace_name(namespace.name)?;
        let envelope = Envelope {
            schema_version: namespace.schema_version,
            fetched_at: now,
            expires_at: now.saturating_add(freshness.ttl),
            etag: freshness.etag.as_deref(),
            last_modified: freshness.last_modified.as_deref(),
            payload,
        }
        .encode();
        self.run(
            |live| {
                live.prepare(namespace, false)?;
                live.store
                    .insert(&namespace.tree_name(), key.as_bytes(), envelope)
            },
            AfterReset::Fail,
        )
    }

    /// Records a "304 Not Modified" answer: the payload stays, `fetched_at` becomes `now`, the
    /// expiry `now + freshness.ttl`; validators given in `freshness` replace the stored ones,
    /// absent ones are kept. Returns false when there was no readable entry to revalidate.
    pub fn revalidate(
        &self,
        namespace: &Namespace,
        key: &str,
        freshness: &Freshness,
        now: Timestamp,
    ) -> Result<bool, CacheError> {
        self.ensure_writable()?;
        validate_namespace_name(namespace.name)?;
        self.run(
            |live| {
                live.prepare(namespace, false)?;
                live.store
                    .update(&namespace.tree_name(), key.as_bytes(), |old| {
                        let old = Envelope::decode(old).ok()?;
                        if old.schema_version != namespace.schema_version {
                            return None;
                        }
                        let renewed = Envelope {
                            fetched_at: now,
                            expires_at: now.saturating_add(freshness.ttl),
                            etag: freshness.etag.as_deref().or(old.etag),
                            last_modified: freshness.last_modified.as_deref().or(old.last_modified),
                            ..old
                        };
                        Some(renewed.encode())
                    })
            },
            AfterReset::Fail,
        )
    }

    /// Removes the entry at `key`; returns whether there was one.
    pub fn remove(&self, namespace: &Namespace, key: &str) -> Result<bool, CacheError> {
        self.ensure_writable()?;
        validate_namespace_name(namespace.name)?;
        self.run(
            |live| {
                live.prepare(namespace, false)?;
                live.store.remove(&namespace.tree_name(), key.as_bytes())
            },
            AfterReset::Fail,
        )
    }

    /// Writes everything to disk now, and fails when that did not happen. sled also flushes
    /// every 500 ms and when the cache is dropped, but those errors are lost: a caller that
    /// reports something as stored flushes first.
    pub fn flush(&self) -> Result<(), CacheError> {
        self.run(|live| live.store.flush(), AfterReset::Fail)
    }

    /// Figures for every namespace at `now`. Reads every entry's header: meant for the `cache
    /// stats` command, not for the audit path.
    pub fn stats(&self, now: Timestamp) -> Result<CacheStats, CacheError> {
        let namespaces = self.run(
            |live| {
                let mut namespaces = BTreeMap::new();
                for (name, tree) in live.namespace_trees() {
                    let schema_version = live.recorded_schema(&name)?;
                    let mut stats = NamespaceStats {
                        schema_version,
                        ..NamespaceStats::default()
                    };
                    live.store.scan(&tree, |key, value| {
                        count_entry(&mut stats, schema_version, key, value, now);
                    })?;
                    namespaces.insert(name, stats);
                }
                Ok(namespaces)
            },
            AfterReset::Answer(BTreeMap::new()),
        )?;
        let on_disk = matches!(self.mode, Mode::ReadWrite | Mode::ReadOnly);
        Ok(CacheStats {
            path: self.directory.clone(),
            mode: self.mode.clone(),
            size_on_disk: if on_disk {
                directory_size(&self.directory.join(DB_DIRECTORY))
            } else {
                0
            },
            namespaces,
            set_aside: if on_disk {
                open::set_aside_directories(&self.directory)
            } else {
                Vec::new()
            },
        })
    }

    /// Removes one namespace (by name, as the command line gives it) or, with `None`, every
    /// namespace and the directories set aside after corruption. To remove a cache that may be
    /// too damaged to open, use [`Cache::remove_on_disk`] instead.
    pub fn clean(&self, namespace: Option<&str>) -> Result<CleanReport, CacheError> {
        self.ensure_writable()?;
        if let Some(name) = namespace {
            validate_namespace_name(name)?;
        }
        let mut report = self.run(
            |live| {
                let targets: Vec<String> = match namespace {
                    Some(name) => vec![name.to_owned()],
                    None => live
                        .namespace_trees()
                        .into_iter()
                        .map(|(name, _)| name)
                        .collect(),
                };
                let mut report = CleanReport::default();
                let mut schemas = live.schemas.lock().unwrap_or_else(PoisonError::into_inner);
                for name in targets {
                    report.entries_removed +=
                        live.store.drop_tree(&format!("{NAMESPACE_PREFIX}{name}"))?;
                    live.store
                        .remove(META_TREE, format!("{SCHEMA_KEY_PREFIX}{name}").as_bytes())?;
                    schemas.retain(|known, _| *known != name);
                }
                Ok(report)
            },
            // A damaged cache set aside and started afresh holds nothing: the clean is done.
            AfterReset::Answer(CleanReport::default()),
        )?;
        if namespace.is_none() && self.mode == Mode::ReadWrite {
            for path in open::set_aside_directories(&self.directory) {
                open::remove_path(&path)?;
                report.directories_removed.push(path);
            }
        }
        Ok(report)
    }

    /// Removes entries that expired at or before `cutoff`, and entries that are unreadable or of
    /// another schema version than the one recorded. Stale entries with validators are still
    /// worth a conditional request, so callers pass a cutoff well before now (e.g. now − 30 days)
    /// to keep those.
    pub fn prune_expired(&self, cutoff: Timestamp) -> Result<usize, CacheError> {
        self.ensure_writable()?;
        self.run(
            |live| {
                let mut removed = 0;
                for (name, tree) in live.namespace_trees() {
                    let schema_version = live.recorded_schema(&name)?;
                    removed +=
                        live.store
                            .remove_where(&tree, |value| match Envelope::decode(value) {
                                Ok(envelope) => {
                                    envelope.expires_at <= cutoff
                                        || schema_version.is_some_and(|version| {
                                            version != envelope.schema_version
                                        })
                                }
                                Err(_) => true,
                            })?;
                }
                Ok(removed)
            },
            AfterReset::Answer(0),
        )
    }
}

/// Adds one stored value to a namespace's figures.
fn count_entry(
    stats: &mut NamespaceStats,
    schema_version: Option<u32>,
    key: &[u8],
    value: &[u8],
    now: Timestamp,
) {
    stats.bytes += (key.len() + value.len()) as u64;
    let envelope = match Envelope::decode(value) {
        Ok(envelope) if schema_version.is_none_or(|version| version == envelope.schema_version) => {
            envelope
        }
        _ => {
            stats.outdated += 1;
            return;
        }
    };
    stats.entries += 1;
    if now < envelope.expires_at {
        stats.fresh += 1;
    } else {
        stats.stale += 1;
    }
    let fetched_at = Some(envelope.fetched_at);
    if stats.oldest_fetched_at.is_none() || fetched_at < stats.oldest_fetched_at {
        stats.oldest_fetched_at = fetched_at;
    }
    if fetched_at > stats.newest_fetched_at {
        stats.newest_fetched_at = fetched_at;
    }
}

/// An error and its causes on one line, `: `-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn decode_entry(namespace: &Namespace, bytes: &[u8]) -> Option<Entry> {
    let envelope = Envelope::decode(bytes).ok()?;
    (envelope.schema_version == namespace.schema_version).then(|| Entry::from_envelope(&envelope))
}

fn decode_u32(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_le_bytes)
}

/// Total bytes of the files under `path`; unreadable parts count as zero.
pub(crate) fn directory_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => directory_size(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |metadata| metadata.len()),
            Err(_) => 0,
        })
        .sum()
}
