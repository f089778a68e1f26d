//! Opening the on-disk cache: waiting a bounded time for another process's lock, falling back to
//! memory when the lock stays taken, and setting a corrupted or unreadable directory aside.
//!
//! sled takes an exclusive `flock`/`LockFileEx` lock on `<cache dir>/db/db` when it opens, and
//! fails at once (an `io::Error` "could not acquire lock on …", kind `Other`) when another open
//! handle holds it — another process, or another open in this process, since the lock belongs to
//! the open file. sled has no read-only or shared-lock mode, so a second process cannot read the
//! cache while the first has it open; see the README for why we do not copy it instead.

use std::fs;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::store::{SledStore, Store};
use crate::{Cache, CacheError, InMemoryReason, Mode, OpenOptions, Opened, Timestamp};

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
        let failure = match open_with_retry(&db_path, options.lock_wait) {
            Ok(db) => match read_layout(&db, had_data) {
                Ok(Layout::Current) => return Ok(on_disk(options, db, Mode::ReadWrite, warnings)),
                Ok(Layout::Fresh) if options.read_only => {
                    return Ok(on_disk(options, db, Mode::ReadOnly, warnings));
                }
                Ok(Layout::Fresh) => {
                    write_layout(&db).map_err(|source| CacheError::Open {
                        path: db_path.clone(),
                        source,
                    })?;
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
                warnings.push(format!(
                    "another pyaudit is using the cache at `{}` (waited {:.1}s for its lock); \
                     this run uses an empty in-memory cache, so results are fetched fresh and \
                     not saved",
                    db_path.display(),
                    waited.as_secs_f64()
                ));
                return Ok(in_memory(options, InMemoryReason::Locked, warnings));
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
    );
    Opened {
        cache,
        warnings,
        mode,
    }
}

/// Opens sled, retrying with doubling delays while another handle holds the lock, for at most
/// `bound` in all: never a hang, however long the other process keeps the cache.
fn open_with_retry(db_path: &Path, bound: Duration) -> Result<sled::Db, Failure> {
    let start = Instant::now();
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        match open_once(db_path) {
            Err(Failure::Locked { .. }) => {
                let waited = start.elapsed();
                if waited >= bound {
                    return Err(Failure::Locked { waited });
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
    match panic::catch_unwind(AssertUnwindSafe(|| config.open())) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(classify(error)),
        Err(_) => Err(Failure::Corrupt(
            "the store failed while reading its files".to_owned(),
        )),
    }
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
fn set_aside(db_path: &Path) -> Result<PathBuf, CacheError> {
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
