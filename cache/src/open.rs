//! Opening the on-disk cache: waiting a bounded time for another process's lock (then an error,
//! never an empty stand-in), setting a corrupted or unreadable directory aside, and removing a
//! cache without opening it.
//!
//! sled takes an exclusive `flock`/`LockFileEx` lock on `<cache dir>/db/db` when it opens, and
//! fails at once (an `io::Error` "could not acquire lock on …", kind `Other`) when another open
//! handle holds it — another process, or another open in this process, since the lock belongs to
//! the open file. sled has no read-only or shared-lock mode, so a second process cannot read the
//! cache while the first has it open; see the README for why we do not copy it instead.

use std::cell::Cell;
use std::fs;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

use crate::store::{SledStore, Store};
use crate::{
    Cache, CacheError, InMemoryReason, Mode, Notices, OpenOptions, Opened, Removed, Timestamp,
};

/// The layout this version writes; see `README.md`. Bump it when the meaning of the trees changes.
pub(crate) const LAYOUT_VERSION: u32 = 1;
/// The subdirectory of the cache directory that sled owns.
pub(crate) const DB_DIRECTORY: &str = "db";
pub(crate) const META_TREE: &str = "meta";
pub(crate) const LAYOUT_KEY: &[u8] = b"layout_version";
/// The prefix of every namespace tree, so namespaces never collide with `meta` or sled's own.
pub(crate) const NAMESPACE_PREFIX: &str = "ns/";
pub(crate) const SCHEMA_KEY_PREFIX: &str = "schema/";
/// Marks a directory set aside: `<cache dir>/db.corrupt-<unix seconds>`.
pub(crate) const SET_ASIDE_MARK: &str = ".corrupt-";

/// Written into `db/` when a cache is created: tells `Cache::remove_on_disk` the directory is a pyaudit
/// cache, and backup tools (the Cache Directory Tagging convention) that it need not be saved.
pub(crate) const MARKER_FILE: &str = "CACHEDIR.TAG";
const MARKER_SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";
/// sled's settings file, present in every sled database directory, even a damaged one.
const SLED_CONF_FILE: &str = "conf";

const FIRST_RETRY_DELAY: Duration = Duration::from_millis(5);
const LONGEST_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Why one attempt to open sled did not give a usable database.
enum Failure {
    Locked { waited: Duration },
    Corrupt(String),
    Io(io::Error),
}

/// What the layout record of an opened database says.
enum Layout {
    Current,
    Fresh,
    Other(u32),
}

pub(crate) fn open(options: &OpenOptions) -> Result<Opened, CacheError> {
    let db_path = options.directory.join(DB_DIRECTORY);
    let mut warnings = Vec::new();
    if options.read_only && !db_path.exists() {
        // NOTE: a read-only open must not create anything; with no cache yet, an empty map answers
        // every question the same way.
        return Ok(in_memory(options, InMemoryReason::Missing, warnings));
    }
    if !options.read_only {
        fs::create_dir_all(&options.directory).map_err(|source| CacheError::CreateDirectory {
            path: options.directory.clone(),
            source,
        })?;
    }
    let mut already_set_aside = false;
    loop {
        let had_data = fs::metadata(db_path.join("db")).is_ok_and(|metadata| metadata.len() > 0);
        let failure = match open_with_retry(&db_path, options.lock_wait, options.notices.as_ref()) {
            Ok(db) => match read_layout(&db, had_data) {
                Ok(Layout::Current) => {
                    if !options.read_only {
                        write_marker(&db_path);
                    }
                    return Ok(on_disk(options, db, Mode::ReadWrite, warnings));
                }
                Ok(Layout::Fresh) if options.read_only => {
                    return Ok(on_disk(options, db, Mode::ReadOnly, warnings));
                }
                Ok(Layout::Fresh) => {
                    write_layout(&db).map_err(|source| CacheError::Open {
                        path: db_path.clone(),
                        source,
                    })?;
                    write_marker(&db_path);
                    return Ok(on_disk(options, db, Mode::ReadWrite, warnings));
                }
                Ok(Layout::Other(found)) if options.read_only => Failure::Corrupt(format!(
                    "it has layout version {found}, this pyaudit reads {LAYOUT_VERSION}"
                )),
                Ok(Layout::Other(found)) => {
                    // NOTE: a readable record of another layout is a cache of another pyaudit
                    // version, not damage: clearing it is enough, and moving it aside on every
                    // switch between two versions would litter the directory.
                    clear_for_layout(&db).map_err(|source| CacheError::Open {
                        path: db_path.clone(),
                        source,
                    })?;
                    warnings.push(format!(
                        "the cache at `{}` had layout version {found}, this pyaudit uses \
                         {LAYOUT_VERSION}; cleared it",
                        db_path.display()
                    ));
                    return Ok(on_disk(options, db, Mode::ReadWrite, warnings));
                }
                Err(reason) => Failure::Corrupt(reason),
            },
            Err(failure) => failure,
        };
        match failure {
            Failure::Locked { waited } => {
                // NOTE: never an empty stand-in: the holder may have just written what this run
                // needs (a local advisory database), and an empty cache would say it is not there.
                return Err(CacheError::Locked {
                    path: db_path,
                    waited,
                });
            }
            Failure::Corrupt(reason) if options.read_only => {
                warnings.push(format!(
                    "the cache at `{}` cannot be read ({reason}); left it as it is because the \
                     cache was opened read-only, and this run uses an empty in-memory cache",
                    db_path.display()
                ));
                return Ok(in_memory(options, InMemoryReason::Unreadable, warnings));
            }
            Failure::Corrupt(reason) if !already_set_aside => {
                let aside = set_aside(&db_path)?;
                warnings.push(format!(
                    "the cache at `{}` is corrupted ({reason}); moved it aside to `{}` and \
                     started a fresh cache",
                    db_path.display(),
                    aside.display()
                ));
                already_set_aside = true;
            }
            Failure::Corrupt(reason) => {
                return Err(CacheError::Open {
                    path: db_path,
                    source: io::Error::new(io::ErrorKind::InvalidData, reason),
                });
            }
            Failure::Io(source) => {
                return Err(CacheError::Open {
                    path: db_path,
                    source,
                });
            }
        }
    }
}

fn on_disk(options: &OpenOptions, db: sled::Db, mode: Mode, warnings: Vec<String>) -> Opened {
    let mode = if options.read_only {
        Mode::ReadOnly
    } else {
        mode
    };
    let cache = Cache::new(
        Store::Sled(SledStore::new(db)),
        options.directory.clone(),
        mode.clone(),
        options.notices.clone(),
    );
    Opened {
        cache,
        warnings,
        mode,
    }
}

pub(crate) fn in_memory(
    options: &OpenOptions,
    reason: InMemoryReason,
    warnings: Vec<String>,
) -> Opened {
    let mode = Mode::InMemory { reason };
    let cache = Cache::new(
        Store::Memory(Default::default()),
        options.directory.clone(),
        mode.clone(),
        options.notices.clone(),
    );
    Opened {
        cache,
        warnings,
        mode,
    }
}

/// Opens sled, retrying with doubling delays while another handle holds the lock, for at most
/// `bound` in all: never a hang, however long the other process keeps the cache.
fn open_with_retry(
    db_path: &Path,
    bound: Duration,
    notices: Option<&Notices>,
) -> Result<sled::Db, Failure> {
    let start = Instant::now();
    let mut delay = FIRST_RETRY_DELAY;
    let mut announced = false;
    loop {
        match open_once(db_path) {
            Err(Failure::Locked { .. }) => {
                let waited = start.elapsed();
                if waited >= bound {
                    return Err(Failure::Locked { waited });
                }
                if !announced && let Some(notices) = notices {
                    notices.send(&format!(
                        "waiting up to {:.0}s for the cache at `{}`, held by another pyaudit",
                        bound.as_secs_f64(),
                        db_path.display()
                    ));
                    announced = true;
                }
                thread::sleep(delay.min(bound - waited));
                delay = (delay * 2).min(LONGEST_RETRY_DELAY);
            }
            other => return other,
        }
    }
}

fn open_once(db_path: &Path) -> Result<sled::Db, Failure> {
    if fs::symlink_metadata(db_path).is_ok_and(|metadata| !metadata.is_dir()) {
        return Err(Failure::Corrupt("it is not a directory".to_owned()));
    }
    // NOTE: sled 0.34 panics rather than erroring on some damaged files (its own docs say so for
    // opening); a cache must never crash the audit, so a panic during open counts as corruption.
    let config = sled::Config::new().path(db_path);
    match quietly(|| config.open()) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(classify(error)),
        Err(()) => Err(Failure::Corrupt(
            "the store failed while reading its files".to_owned(),
        )),
    }
}

thread_local! {
    /// Set while this thread runs sled code whose panics are caught and reported as damage.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, turning a panic into `Err(())` without the panic message and backtrace the
/// default hook would print: a damaged cache is reported as one warning, not as a crash.
/// Panics on other threads, and outside `work`, are printed as before.
pub(crate) fn quietly<T>(work: impl FnOnce() -> T) -> Result<T, ()> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = QUIET_PANICS.with(|quiet| quiet.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET_PANICS.with(|quiet| quiet.set(outer));
    result.map_err(|_| ())
}

/// Opens a new, empty database at `db_path` (after the damaged one was set aside) with its
/// layout record and marker.
pub(crate) fn open_fresh(db_path: &Path) -> Result<SledStore, CacheError> {
    let failed = |source: io::Error| CacheError::Open {
        path: db_path.to_path_buf(),
        source,
    };
    let db = match open_once(db_path) {
        Ok(db) => db,
        Err(Failure::Io(source)) => return Err(failed(source)),
        Err(Failure::Locked { .. }) => {
            return Err(failed(io::Error::other(
                "another process opened the fresh cache first",
            )));
        }
        Err(Failure::Corrupt(reason)) => {
            return Err(failed(io::Error::new(io::ErrorKind::InvalidData, reason)));
        }
    };
    write_layout(&db).map_err(failed)?;
    write_marker(db_path);
    Ok(SledStore::new(db))
}

/// Best effort: a cache without the marker still works, and `Cache::remove_on_disk` also recognises
/// sled's own `conf` file.
fn write_marker(db_path: &Path) {
    let marker = db_path.join(MARKER_FILE);
    if !marker.exists() {
        let _ = fs::write(
            marker,
            format!(
                "{MARKER_SIGNATURE}\n# This directory is pyaudit's cache; \
                 `pyaudit cache clean` removes it.\n"
            ),
        );
    }
}

/// Why `db_path` does not look like a pyaudit cache database, if it does not.
fn not_a_cache(db_path: &Path) -> Option<&'static str> {
    let Ok(metadata) = fs::symlink_metadata(db_path) else {
        return None;
    };
    if metadata.file_type().is_symlink() {
        return Some("it is a symbolic link, not a cache pyaudit created");
    }
    if !metadata.is_dir() {
        return Some("it is a file, not a cache directory");
    }
    let marked = fs::read_to_string(db_path.join(MARKER_FILE))
        .is_ok_and(|text| text.starts_with(MARKER_SIGNATURE));
    if marked || db_path.join(SLED_CONF_FILE).is_file() {
        None
    } else {
        Some("it has neither pyaudit's CACHEDIR.TAG nor a sled `conf` file, so it is not a cache")
    }
}

/// See [`Cache::remove_on_disk`].
pub(crate) fn remove(options: &OpenOptions) -> Result<Removed, CacheError> {
    let db_path = options.directory.join(DB_DIRECTORY);
    let mut removed = Removed::default();
    if fs::symlink_metadata(&db_path).is_ok() {
        if let Some(reason) = not_a_cache(&db_path) {
            return Err(CacheError::NotACache {
                path: db_path,
                reason,
            });
        }
        // NOTE: sled's lock is an advisory `flock` on `db/db`; taking it here (without opening
        // sled, which may spin on damaged files) both waits for a running pyaudit and keeps a
        // new one from opening the files while they are deleted.
        let _held = lock_data_file(&db_path, options.lock_wait, options.notices.as_ref())?;
        removed.bytes += crate::directory_size(&db_path);
        remove_path(&db_path)?;
        removed.paths.push(db_path);
    }
    for path in set_aside_directories(&options.directory) {
        removed.bytes += path_size(&path);
        remove_path(&path)?;
        removed.paths.push(path);
    }
    Ok(removed)
}

fn path_size(path: &Path) -> u64 {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => crate::directory_size(path),
        Ok(metadata) => metadata.len(),
        Err(_) => 0,
    }
}

/// Takes sled's lock on `db/db`, waiting at most `bound`; `None` when there is no data file.
fn lock_data_file(
    db_path: &Path,
    bound: Duration,
    notices: Option<&Notices>,
) -> Result<Option<fs::File>, CacheError> {
    let data = db_path.join("db");
    let file = match fs::OpenOptions::new().read(true).write(true).open(&data) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        // An unreadable data file cannot be locked by anyone else either; removal decides.
        Err(_) => return Ok(None),
    };
    let start = Instant::now();
    let mut delay = FIRST_RETRY_DELAY;
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => {
                let waited = start.elapsed();
                if waited >= bound {
                    return Err(CacheError::Locked {
                        path: db_path.to_path_buf(),
                        waited,
                    });
                }
                if !announced && let Some(notices) = notices {
                    notices.send(&format!(
                        "waiting up to {:.0}s for the cache at `{}`, held by another pyaudit",
                        bound.as_secs_f64(),
                        db_path.display()
                    ));
                    announced = true;
                }
                thread::sleep(delay.min(bound - waited));
                delay = (delay * 2).min(LONGEST_RETRY_DELAY);
            }
            // A file system without locks: nobody else can hold one either.
            Err(fs::TryLockError::Error(_)) => return Ok(Some(file)),
        }
    }
}

/// Removes a directory tree or a file (a set-aside `db` that was a file).
pub(crate) fn remove_path(path: &Path) -> Result<(), CacheError> {
    let result = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    };
    result.map_err(|source| CacheError::Remove {
        path: path.to_path_buf(),
        source,
    })
}

fn classify(error: sled::Error) -> Failure {
    match error {
        sled::Error::Io(error) if error.to_string().contains("could not acquire lock") => {
            Failure::Locked {
                waited: Duration::ZERO,
            }
        }
        sled::Error::Io(error)
            if matches!(
                error.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            ) =>
        {
            Failure::Corrupt(format!("unreadable data: {error}"))
        }
        sled::Error::Io(error) => Failure::Io(error),
        sled::Error::Corruption { at, .. } => match at {
            Some(at) => Failure::Corrupt(format!("corrupted data at {at:?}")),
            None => Failure::Corrupt("corrupted data".to_owned()),
        },
        // sled reports an on-disk format or settings it does not support this way.
        sled::Error::Unsupported(why) => Failure::Corrupt(format!("incompatible store: {why}")),
        sled::Error::ReportableBug(what) => Failure::Corrupt(format!("inconsistent store: {what}")),
        other => Failure::Io(io::Error::from(other)),
    }
}

fn read_layout(db: &sled::Db, had_data: bool) -> Result<Layout, String> {
    let meta = db
        .open_tree(META_TREE)
        .map_err(|error| format!("its metadata cannot be read: {error}"))?;
    let record = meta
        .get(LAYOUT_KEY)
        .map_err(|error| format!("its metadata cannot be read: {error}"))?;
    match record {
        Some(bytes) => match <[u8; 4]>::try_from(bytes.as_ref()) {
            Ok(bytes) => match u32::from_le_bytes(bytes) {
                LAYOUT_VERSION => Ok(Layout::Current),
                other => Ok(Layout::Other(other)),
            },
            Err(_) => Err("its layout record is unreadable".to_owned()),
        },
        None => {
            let has_namespaces = db
                .tree_names()
                .iter()
                .any(|name| name.starts_with(NAMESPACE_PREFIX.as_bytes()));
            // NOTE: a new cache writes its layout record before anything else and flushes it, so
            // data without that record means the files are not (only) ours.
            if has_namespaces || had_data {
                Err("its layout record is missing".to_owned())
            } else {
                Ok(Layout::Fresh)
            }
        }
    }
}

fn write_layout(db: &sled::Db) -> io::Result<()> {
    let meta = db.open_tree(META_TREE).map_err(io::Error::from)?;
    meta.insert(LAYOUT_KEY, &LAYOUT_VERSION.to_le_bytes())
        .map_err(io::Error::from)?;
    db.flush().map_err(io::Error::from)?;
    Ok(())
}

/// Drops every tree of another layout and records ours.
fn clear_for_layout(db: &sled::Db) -> io::Result<()> {
    for name in db.tree_names() {
        if name.as_ref() != b"__sled__default" {
            db.drop_tree(&name).map_err(io::Error::from)?;
        }
    }
    write_layout(db)
}

/// Renames `db_path` to `db_path.corrupt-<unix seconds>` (with `-2`, `-3`, … when that exists)
/// and returns the new path.
///
/// NOTE: only the `db` subdirectory is moved, never the cache directory itself: `--cache-dir`
/// may name a directory that holds other things, and moving a user's directory aside would be far
/// worse than losing a cache.
pub(crate) fn set_aside(db_path: &Path) -> Result<PathBuf, CacheError> {
    let seconds = Timestamp::now().unix_millis() / 1000;
    let base = format!("{}{SET_ASIDE_MARK}{seconds}", db_path.display());
    let mut candidate = PathBuf::from(&base);
    let mut counter = 1;
    while candidate.exists() {
        counter += 1;
        candidate = PathBuf::from(format!("{base}-{counter}"));
    }
    fs::rename(db_path, &candidate).map_err(|source| CacheError::SetAside {
        path: db_path.to_path_buf(),
        source,
    })?;
    Ok(candidate)
}

/// The directories set aside next to `db`, sorted.
pub(crate) fn set_aside_directories(directory: &Path) -> Vec<PathBuf> {
    let prefix = format!("{DB_DIRECTORY}{SET_ASIDE_MARK}");
    let mut found: Vec<PathBuf> = fs::read_dir(directory)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}
