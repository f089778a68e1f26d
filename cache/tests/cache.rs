//! Behaviour of the cache through its public API, on disk and in memory: envelopes, freshness,
//! namespaces and schema versions, stats and maintenance, lock contention and corruption.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyaudit_cache::{
    Cache, CacheError, Freshness, InMemoryReason, Mode, Namespace, Notices, OpenOptions, Timestamp,
};

const VULNERABILITIES: Namespace = Namespace::new("osv-vulns", 1);
const PROJECTS: Namespace = Namespace::new("pypi-project", 1);
const HOUR: Duration = Duration::from_secs(3600);
const NOW: Timestamp = Timestamp::from_unix_seconds(1_800_000_000);

fn open_read_write(directory: &Path) -> Cache {
    let opened = Cache::open(&OpenOptions::new(directory)).expect("open");
    assert_eq!(
        opened.mode,
        Mode::ReadWrite,
        "warnings: {:?}",
        opened.warnings
    );
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    opened.cache
}

/// Opens the cache's sled database directly, as another program might. sled's background flusher
/// can keep the previous handle's file lock for a moment after the `Cache` is dropped, so this
/// waits (a bounded time) for that lock instead of failing at once.
fn open_sled_directly(directory: &Path) -> sled::Db {
    let start = Instant::now();
    loop {
        match sled::open(directory.join("db")) {
            Ok(db) => return db,
            Err(error)
                if error.to_string().contains("could not acquire lock")
                    && start.elapsed() < Duration::from_secs(10) =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("sled: {error:?}"),
        }
    }
}

/// Runs `check` against a fresh on-disk cache and a fresh in-memory one, so both backends are
/// held to the same behaviour.
fn on_both_backends(check: impl Fn(&Cache)) {
    let directory = tempfile::tempdir().expect("temporary directory");
    check(&open_read_write(directory.path()));
    check(&Cache::in_memory());
}

#[test]
fn round_trip_keeps_payload_and_validators() {
    on_both_backends(|cache| {
        let freshness = Freshness::new(HOUR)
            .with_etag("\"v1\"")
            .with_last_modified("Wed, 21 Oct 2015 07:28:00 GMT");
        cache
            .put(
                &VULNERABILITIES,
                "PYSEC-2023-1",
                br#"{"id":"PYSEC-2023-1"}"#,
                &freshness,
                NOW,
            )
            .expect("put");
        let entry = cache
            .get(&VULNERABILITIES, "PYSEC-2023-1")
            .expect("get")
            .expect("present");
        assert_eq!(entry.payload, br#"{"id":"PYSEC-2023-1"}"#);
        assert_eq!(entry.fetched_at, NOW);
        assert_eq!(entry.expires_at, NOW.saturating_add(HOUR));
        assert_eq!(entry.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            entry.last_modified.as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        assert!(entry.has_validators());
        assert_eq!(
            cache.get(&VULNERABILITIES, "PYSEC-absent").expect("get"),
            None
        );
    });
}

#[test]
fn freshness_ends_exactly_at_expiry() {
    on_both_backends(|cache| {
        cache
            .put(&PROJECTS, "requests", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
        let entry = cache
            .get(&PROJECTS, "requests")
            .expect("get")
            .expect("present");
        let expiry = NOW.saturating_add(HOUR);
        assert!(entry.is_fresh(NOW));
        assert!(entry.is_fresh(Timestamp::from_unix_millis(expiry.unix_millis() - 1)));
        assert!(!entry.is_fresh(expiry));
        assert!(!entry.is_fresh(expiry.saturating_add(Duration::from_secs(1))));
        assert_eq!(
            entry.age(NOW.saturating_add(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
        assert_eq!(
            entry.age(NOW.saturating_sub(Duration::from_secs(5))),
            Duration::ZERO
        );

        cache
            .put(
                &PROJECTS,
                "zero",
                b"{}",
                &Freshness::new(Duration::ZERO),
                NOW,
            )
            .expect("put");
        let zero = cache.get(&PROJECTS, "zero").expect("get").expect("present");
        assert!(!zero.is_fresh(NOW), "a zero TTL is never fresh");
    });
}

#[test]
fn revalidation_renews_expiry_and_keeps_payload() {
    on_both_backends(|cache| {
        let freshness = Freshness::new(HOUR).with_etag("\"v1\"");
        cache
            .put(&PROJECTS, "flask", b"payload", &freshness, NOW)
            .expect("put");
        let later = NOW.saturating_add(HOUR * 2);
        let stale = cache
            .get(&PROJECTS, "flask")
            .expect("get")
            .expect("present");
        assert!(!stale.is_fresh(later));

        // A 304 without validators keeps the stored ones.
        assert!(
            cache
                .revalidate(&PROJECTS, "flask", &Freshness::new(HOUR), later)
                .expect("revalidate")
        );
        let renewed = cache
            .get(&PROJECTS, "flask")
            .expect("get")
            .expect("present");
        assert!(renewed.is_fresh(later));
        assert_eq!(renewed.fetched_at, later);
        assert_eq!(renewed.expires_at, later.saturating_add(HOUR));
        assert_eq!(renewed.payload, b"payload");
        assert_eq!(renewed.etag.as_deref(), Some("\"v1\""));

        // A 304 with a new ETag replaces it.
        assert!(
            cache
                .revalidate(
                    &PROJECTS,
                    "flask",
                    &Freshness::new(HOUR).with_etag("\"v2\""),
                    later
                )
                .expect("revalidate")
        );
        let replaced = cache
            .get(&PROJECTS, "flask")
            .expect("get")
            .expect("present");
        assert_eq!(replaced.etag.as_deref(), Some("\"v2\""));

        assert!(
            !cache
                .revalidate(&PROJECTS, "absent", &Freshness::new(HOUR), later)
                .expect("revalidate")
        );
        assert_eq!(cache.get(&PROJECTS, "absent").expect("get"), None);
    });
}

#[test]
fn namespaces_are_isolated() {
    on_both_backends(|cache| {
        cache
            .put(
                &VULNERABILITIES,
                "same-key",
                b"vulnerability",
                &Freshness::new(HOUR),
                NOW,
            )
            .expect("put");
        cache
            .put(
                &PROJECTS,
                "same-key",
                b"project",
                &Freshness::new(HOUR),
                NOW,
            )
            .expect("put");
        let read = |namespace| {
            cache
                .get(namespace, "same-key")
                .expect("get")
                .expect("present")
                .payload
        };
        assert_eq!(read(&VULNERABILITIES), b"vulnerability");
        assert_eq!(read(&PROJECTS), b"project");
        assert!(cache.remove(&PROJECTS, "same-key").expect("remove"));
        assert!(!cache.remove(&PROJECTS, "same-key").expect("remove"));
        assert_eq!(read(&VULNERABILITIES), b"vulnerability");
    });
}

#[test]
fn invalid_namespace_names_are_refused() {
    let cache = Cache::in_memory();
    for name in ["", "Upper", "with/slash", "meta data"] {
        let namespace = Namespace::new(name, 1);
        assert!(matches!(
            cache.get(&namespace, "key"),
            Err(CacheError::InvalidNamespace { .. })
        ));
    }
}

#[test]
fn schema_version_bump_hides_and_drops_old_entries() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let version_two = Namespace::new("osv-vulns", 2);
    {
        let cache = open_read_write(directory.path());
        cache
            .put(&VULNERABILITIES, "old", b"v1", &Freshness::new(HOUR), NOW)
            .expect("put");
        // Within one open, the other version's entries are invisible at once.
        assert_eq!(cache.get(&version_two, "old").expect("get"), None);
    }
    let cache = open_read_write(directory.path());
    assert_eq!(cache.get(&version_two, "old").expect("get"), None);
    cache
        .put(&version_two, "new", b"v2", &Freshness::new(HOUR), NOW)
        .expect("put");
    let stats = cache.stats(NOW).expect("stats");
    let namespace = &stats.namespaces["osv-vulns"];
    assert_eq!(namespace.schema_version, Some(2));
    assert_eq!(
        namespace.entries, 1,
        "the version 1 entry was dropped: {namespace:?}"
    );
    assert_eq!(namespace.outdated, 0);
    // Going back to version 1 drops the version 2 entries the same way.
    assert_eq!(cache.get(&VULNERABILITIES, "new").expect("get"), None);
    let stats = cache.stats(NOW).expect("stats");
    assert_eq!(
        stats
            .namespaces
            .get("osv-vulns")
            .map_or(0, |namespace| namespace.entries),
        0
    );
}

#[test]
fn get_many_answers_in_key_order() {
    on_both_backends(|cache| {
        for name in ["b", "d", "a"] {
            cache
                .put(&PROJECTS, name, name.as_bytes(), &Freshness::new(HOUR), NOW)
                .expect("put");
        }
        let keys = ["d", "missing", "a", "b", "a"];
        let answers = cache.get_many(&PROJECTS, &keys).expect("get_many");
        let payloads: Vec<Option<Vec<u8>>> = answers
            .into_iter()
            .map(|entry| entry.map(|entry| entry.payload))
            .collect();
        assert_eq!(
            payloads,
            vec![
                Some(b"d".to_vec()),
                None,
                Some(b"a".to_vec()),
                Some(b"b".to_vec()),
                Some(b"a".to_vec())
            ]
        );
        let owned: Vec<String> = vec!["a".to_owned()];
        assert_eq!(
            cache.get_many(&VULNERABILITIES, &owned).expect("get_many"),
            vec![None]
        );
    });
}

#[test]
fn stats_count_fresh_stale_and_times() {
    on_both_backends(|cache| {
        let early = NOW.saturating_sub(HOUR * 5);
        cache
            .put(&PROJECTS, "old", b"12345", &Freshness::new(HOUR), early)
            .expect("put");
        cache
            .put(&PROJECTS, "new", b"12", &Freshness::new(HOUR), NOW)
            .expect("put");
        cache
            .put(&VULNERABILITIES, "x", b"", &Freshness::new(HOUR), NOW)
            .expect("put");
        let stats = cache.stats(NOW).expect("stats");
        assert_eq!(stats.namespaces.len(), 2);
        let projects = &stats.namespaces["pypi-project"];
        assert_eq!(projects.schema_version, Some(1));
        assert_eq!(
            (projects.entries, projects.fresh, projects.stale),
            (2, 1, 1)
        );
        assert_eq!(projects.outdated, 0);
        assert_eq!(projects.oldest_fetched_at, Some(early));
        assert_eq!(projects.newest_fetched_at, Some(NOW));
        // 22-byte headers, keys and payloads.
        assert_eq!(projects.bytes, (22 + 3 + 5) + (22 + 3 + 2));
        assert_eq!(stats.namespaces["osv-vulns"].entries, 1);
        if *cache.mode() == Mode::ReadWrite {
            cache.flush().expect("flush");
            assert!(cache.stats(NOW).expect("stats").size_on_disk > 0);
        } else {
            assert_eq!(stats.size_on_disk, 0);
        }
    });
}

#[test]
fn prune_and_clean_remove_what_they_say() {
    on_both_backends(|cache| {
        let early = NOW.saturating_sub(HOUR * 5);
        cache
            .put(&PROJECTS, "expired", b"", &Freshness::new(HOUR), early)
            .expect("put");
        cache
            .put(&PROJECTS, "fresh", b"", &Freshness::new(HOUR), NOW)
            .expect("put");
        cache
            .put(&VULNERABILITIES, "fresh", b"", &Freshness::new(HOUR), NOW)
            .expect("put");
        assert_eq!(cache.prune_expired(NOW).expect("prune"), 1);
        assert_eq!(cache.get(&PROJECTS, "expired").expect("get"), None);
        assert!(cache.get(&PROJECTS, "fresh").expect("get").is_some());

        let report = cache.clean(Some("pypi-project")).expect("clean");
        assert_eq!(report.entries_removed, 1);
        assert_eq!(cache.get(&PROJECTS, "fresh").expect("get"), None);
        assert!(cache.get(&VULNERABILITIES, "fresh").expect("get").is_some());

        // The namespace is usable again after being cleaned.
        cache
            .put(&PROJECTS, "again", b"", &Freshness::new(HOUR), NOW)
            .expect("put");
        assert!(cache.get(&PROJECTS, "again").expect("get").is_some());

        let report = cache.clean(None).expect("clean");
        assert_eq!(report.entries_removed, 2);
        assert!(cache.stats(NOW).expect("stats").namespaces.is_empty());
    });
}

#[test]
fn entries_survive_reopening() {
    let directory = tempfile::tempdir().expect("temporary directory");
    {
        let cache = open_read_write(directory.path());
        cache
            .put(&PROJECTS, "django", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
    }
    let cache = open_read_write(directory.path());
    assert!(cache.get(&PROJECTS, "django").expect("get").is_some());
}

#[test]
fn read_only_changes_nothing_on_disk() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let missing = directory.path().join("never-created");
    let opened = Cache::open(&OpenOptions::new(&missing).read_only(true)).expect("open");
    assert_eq!(
        opened.mode,
        Mode::InMemory {
            reason: InMemoryReason::Missing
        }
    );
    assert!(!missing.exists());

    {
        let cache = open_read_write(directory.path());
        cache
            .put(&PROJECTS, "django", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
    }
    let opened = Cache::open(&OpenOptions::new(directory.path()).read_only(true)).expect("open");
    assert_eq!(opened.mode, Mode::ReadOnly);
    let cache = opened.cache;
    assert!(cache.get(&PROJECTS, "django").expect("get").is_some());
    assert!(matches!(
        cache.put(&PROJECTS, "flask", b"{}", &Freshness::new(HOUR), NOW),
        Err(CacheError::ReadOnly { .. })
    ));
    assert!(matches!(
        cache.clean(None),
        Err(CacheError::ReadOnly { .. })
    ));
    assert_eq!(
        cache.stats(NOW).expect("stats").namespaces["pypi-project"].entries,
        1
    );
}

#[test]
fn a_second_open_in_the_same_process_waits_then_fails_within_the_bound() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let holder = open_read_write(directory.path());
    holder
        .put(&PROJECTS, "held", b"{}", &Freshness::new(HOUR), NOW)
        .expect("put");

    let bound = Duration::from_millis(300);
    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&notices);
    let options = OpenOptions::new(directory.path())
        .lock_wait(bound)
        .notices(Notices::new(move |message| {
            sink.lock().expect("notices").push(message.to_owned());
        }));
    let start = Instant::now();
    let error = Cache::open(&options)
        .err()
        .expect("a held cache is an error");
    let elapsed = start.elapsed();
    assert!(matches!(error, CacheError::Locked { .. }), "{error}");
    assert!(elapsed >= bound, "waited {elapsed:?}");
    assert!(
        elapsed < bound + Duration::from_secs(1),
        "waited {elapsed:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("another pyaudit is using the cache"),
        "{message}"
    );
    assert!(
        message.contains(&directory.path().display().to_string()),
        "{message}"
    );
    let notices = notices.lock().expect("notices").clone();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("waiting up to"), "{notices:?}");
    // Not even the lenient open pretends the held cache is empty.
    assert!(matches!(
        Cache::open_or_memory(&options),
        Err(CacheError::Locked { .. })
    ));
    drop(holder);

    // Once the holder is gone the cache opens normally with its data.
    let cache = open_read_write(directory.path());
    assert!(cache.get(&PROJECTS, "held").expect("get").is_some());
}

/// Environment switch that turns `child_process_holding_the_lock` into the lock holder.
const HOLD_LOCK_ENV: &str = "PYAUDIT_CACHE_TEST_HOLD_LOCK";

/// In the parent test run this does nothing; started by `another_process_holding_the_lock…` with
/// [`HOLD_LOCK_ENV`] set, it opens the cache, says so on stdout and holds it until stdin closes.
#[test]
fn child_process_holding_the_lock() {
    let Some(directory) = std::env::var_os(HOLD_LOCK_ENV) else {
        return;
    };
    let cache = open_read_write(Path::new(&directory));
    cache
        .put(&PROJECTS, "child", b"{}", &Freshness::new(HOUR), NOW)
        .expect("put");
    cache.flush().expect("flush");
    println!("holding the lock");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}

#[test]
fn another_process_holding_the_lock_is_an_error_within_the_bound() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["child_process_holding_the_lock", "--exact", "--nocapture"])
        .env(HOLD_LOCK_ENV, directory.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the lock holder");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines.any(|line| line.is_ok_and(|line| line.contains("holding the lock")));
    assert!(ready, "the child never took the lock");

    let bound = Duration::from_millis(400);
    let start = Instant::now();
    let opened = Cache::open(&OpenOptions::new(directory.path()).lock_wait(bound));
    let elapsed = start.elapsed();
    // Release the child whatever happened, before asserting.
    drop(child.stdin.take());
    let status = child.wait().expect("child exit");
    assert!(status.success());
    assert!(
        matches!(opened, Err(CacheError::Locked { .. })),
        "{:?}",
        opened.map(|opened| opened.mode)
    );
    assert!(
        elapsed < bound + Duration::from_secs(1),
        "waited {elapsed:?}"
    );

    let cache = open_read_write(directory.path());
    assert!(cache.get(&PROJECTS, "child").expect("get").is_some());
}

/// Asserts that opening `directory` set its `db` aside with a warning naming both paths and that
/// the fresh cache works; returns the set-aside path.
fn assert_set_aside_and_rebuilt(directory: &Path) -> std::path::PathBuf {
    let opened = Cache::open(&OpenOptions::new(directory)).expect("open");
    assert_eq!(opened.mode, Mode::ReadWrite);
    assert_eq!(opened.warnings.len(), 1, "{:?}", opened.warnings);
    let warning = &opened.warnings[0];
    eprintln!("{warning}");
    let db = directory.join("db");
    assert!(warning.contains("is corrupted"), "{warning}");
    assert!(
        warning.contains(&format!("`{}`", db.display())),
        "{warning}"
    );
    let stats = opened.cache.stats(NOW).expect("stats");
    assert_eq!(stats.set_aside.len(), 1, "{stats:?}");
    let aside = stats.set_aside[0].clone();
    assert!(aside.exists());
    assert!(warning.contains(&aside.display().to_string()), "{warning}");
    assert!(
        aside
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("db.corrupt-"))
    );

    let cache = opened.cache;
    cache
        .put(&PROJECTS, "after", b"{}", &Freshness::new(HOUR), NOW)
        .expect("put");
    assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
    drop(cache);
    // The rebuilt cache reopens without complaint.
    let cache = open_read_write(directory);
    assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
    aside
}

#[test]
fn garbage_files_are_moved_aside_and_the_cache_rebuilt() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let db = directory.path().join("db");
    fs::create_dir_all(&db).expect("db directory");
    fs::write(
        db.join("conf"),
        b"this is not a sled configuration file at all",
    )
    .expect("write");
    fs::write(db.join("db"), vec![0xA5; 100_000]).expect("write");
    fs::write(db.join("snap.0000000000000000"), b"garbage").expect("write");
    let aside = assert_set_aside_and_rebuilt(directory.path());
    assert!(
        aside.join("db").exists(),
        "the garbage was kept for inspection"
    );
}

#[test]
fn a_db_path_that_is_a_file_is_moved_aside() {
    let directory = tempfile::tempdir().expect("temporary directory");
    fs::write(directory.path().join("db"), b"not a directory").expect("write");
    assert_set_aside_and_rebuilt(directory.path());
}

#[test]
fn truncated_sled_files_are_moved_aside_and_the_cache_rebuilt() {
    let directory = tempfile::tempdir().expect("temporary directory");
    {
        let cache = open_read_write(directory.path());
        for index in 0..500 {
            cache
                .put(
                    &PROJECTS,
                    &format!("package-{index}"),
                    &[b'x'; 2000],
                    &Freshness::new(HOUR),
                    NOW,
                )
                .expect("put");
        }
        cache.flush().expect("flush");
    }
    let db = directory.path().join("db");
    // Damage every file sled wrote: truncate each to a third, then overwrite the head.
    for entry in fs::read_dir(&db).expect("read db") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let bytes = fs::read(&path).expect("read");
            let mut damaged = bytes[..bytes.len() / 3].to_vec();
            for byte in damaged.iter_mut().take(64) {
                *byte ^= 0xFF;
            }
            fs::write(&path, damaged).expect("write");
        }
    }
    let opened = Cache::open(&OpenOptions::new(directory.path())).expect("open");
    eprintln!("{:?}", opened.warnings);
    // sled may or may not notice damage that only removed data; if it opens, the damaged data
    // must not be served as valid and the cache must work.
    if opened.warnings.is_empty() {
        let cache = opened.cache;
        cache
            .put(&PROJECTS, "after", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
        assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
    } else {
        assert!(
            opened.warnings[0].contains("is corrupted"),
            "{:?}",
            opened.warnings
        );
        assert_eq!(opened.mode, Mode::ReadWrite);
    }
}

#[test]
fn a_cache_without_its_layout_record_is_moved_aside() {
    let directory = tempfile::tempdir().expect("temporary directory");
    {
        let cache = open_read_write(directory.path());
        cache
            .put(&PROJECTS, "django", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
    }
    // Simulate an unreadable metadata record with sled directly, as another program might.
    {
        let db = open_sled_directly(directory.path());
        db.open_tree("meta")
            .expect("meta")
            .insert("layout_version", b"??".as_slice())
            .expect("insert");
        db.flush().expect("flush");
    }
    assert_set_aside_and_rebuilt(directory.path());
}

#[test]
fn another_layout_version_is_cleared_with_a_warning() {
    let directory = tempfile::tempdir().expect("temporary directory");
    {
        let cache = open_read_write(directory.path());
        cache
            .put(&PROJECTS, "django", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
    }
    {
        let db = open_sled_directly(directory.path());
        db.open_tree("meta")
            .expect("meta")
            .insert("layout_version", 99_u32.to_le_bytes().as_slice())
            .expect("insert");
        db.flush().expect("flush");
    }
    // Read-only leaves it alone.
    let opened = Cache::open(&OpenOptions::new(directory.path()).read_only(true)).expect("open");
    assert_eq!(
        opened.mode,
        Mode::InMemory {
            reason: InMemoryReason::Unreadable
        }
    );
    assert!(
        opened.warnings[0].contains("layout version 99"),
        "{:?}",
        opened.warnings
    );
    drop(opened);

    let opened = Cache::open(&OpenOptions::new(directory.path())).expect("open");
    assert_eq!(opened.mode, Mode::ReadWrite);
    assert!(
        opened.warnings[0].contains("layout version 99"),
        "{:?}",
        opened.warnings
    );
    assert!(
        opened.warnings[0].contains("cleared"),
        "{:?}",
        opened.warnings
    );
    let cache = opened.cache;
    assert_eq!(cache.get(&PROJECTS, "django").expect("get"), None);
    assert!(cache.stats(NOW).expect("stats").set_aside.is_empty());
    drop(cache);
    open_read_write(directory.path());
}

#[test]
fn clean_all_removes_set_aside_directories() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let db = directory.path().join("db");
    fs::create_dir_all(&db).expect("db directory");
    fs::write(db.join("db"), vec![0x5A; 10_000]).expect("write");
    let opened = Cache::open(&OpenOptions::new(directory.path())).expect("open");
    assert_eq!(opened.warnings.len(), 1);
    let report = opened.cache.clean(None).expect("clean");
    assert_eq!(report.directories_removed.len(), 1);
    assert!(!report.directories_removed[0].exists());
    assert!(opened.cache.stats(NOW).expect("stats").set_aside.is_empty());
}

#[test]
fn an_unusable_directory_is_an_error_or_memory_on_request() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let blocker = directory.path().join("a-file");
    fs::write(&blocker, b"").expect("write");
    let inside_a_file = blocker.join("cache");
    let error = Cache::open(&OpenOptions::new(&inside_a_file))
        .err()
        .expect("cannot create a directory inside a file");
    assert!(matches!(error, CacheError::CreateDirectory { .. }));
    assert!(error.to_string().contains("a-file"));

    let opened = Cache::open_or_memory(&OpenOptions::new(&inside_a_file)).expect("memory");
    assert_eq!(
        opened.mode,
        Mode::InMemory {
            reason: InMemoryReason::Unavailable
        }
    );
    assert!(opened.warnings[0].contains("could not create the cache directory"));
}

fn copy_directory(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create");
    for entry in fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_directory(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn damaged_data_file_never_crashes_and_leaves_a_working_cache() {
    let original = tempfile::tempdir().expect("temporary directory");
    {
        let cache = open_read_write(original.path());
        for index in 0..300 {
            cache
                .put(
                    &PROJECTS,
                    &format!("package-{index}"),
                    &[b'x'; 2000],
                    &Freshness::new(HOUR),
                    NOW,
                )
                .expect("put");
        }
    }
    let data_length = fs::metadata(original.path().join("db").join("db"))
        .expect("data file")
        .len();
    // Truncations and in-place scribbles at the start, middle and end of sled's data file.
    let damages: Vec<(&str, u64)> = vec![
        ("truncate", 0),
        ("truncate", 100),
        ("truncate", data_length / 2),
        ("truncate", data_length - 10),
        ("scribble", 0),
        ("scribble", data_length / 3),
        ("scribble", data_length - 200),
    ];
    for (kind, offset) in damages {
        let copy = tempfile::tempdir().expect("temporary directory");
        copy_directory(original.path(), copy.path());
        let data = copy.path().join("db").join("db");
        let mut bytes = fs::read(&data).expect("read");
        let offset = usize::try_from(offset).expect("offset");
        if kind == "truncate" {
            bytes.truncate(offset);
        } else {
            let end = (offset + 128).min(bytes.len());
            for byte in &mut bytes[offset..end] {
                *byte = 0x42;
            }
        }
        fs::write(&data, bytes).expect("write");

        let opened = Cache::open(&OpenOptions::new(copy.path()))
            .unwrap_or_else(|error| panic!("{kind} at {offset}: {error}"));
        eprintln!("{kind} at {offset}: {:?}", opened.warnings);
        assert_eq!(opened.mode, Mode::ReadWrite, "{kind} at {offset}");
        let cache = opened.cache;
        // Whatever survived must be whole: every entry read back is one that was written.
        for entry in cache
            .get_many(&PROJECTS, &["package-0", "package-150", "package-299"])
            .expect("get_many")
            .into_iter()
            .flatten()
        {
            assert_eq!(entry.payload, vec![b'x'; 2000], "{kind} at {offset}");
        }
        cache
            .put(&PROJECTS, "after", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
        assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
    }
}

/// A cache holding one value big enough for sled to keep it in a file of its own under `blobs/`,
/// closed and reopened so sled has written a snapshot; returns the blob files.
fn cache_with_a_blob(directory: &Path) -> Vec<std::path::PathBuf> {
    {
        let cache = open_read_write(directory);
        cache
            .put(
                &PROJECTS,
                "big",
                &vec![b'b'; 1_500_000],
                &Freshness::new(HOUR),
                NOW,
            )
            .expect("put");
        cache
            .put(&PROJECTS, "small", b"{}", &Freshness::new(HOUR), NOW)
            .expect("put");
        cache.flush().expect("flush");
    }
    drop(open_read_write(directory));
    let blobs: Vec<_> = fs::read_dir(directory.join("db").join("blobs"))
        .expect("blobs directory")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert!(!blobs.is_empty(), "sled kept the big value inline");
    blobs
}

/// Every way of damaging sled's files ends in a working cache, with the damaged files set aside
/// and a warning naming where, whether the damage is found when opening or when reading.
#[test]
fn damaged_blobs_are_set_aside_when_opening_or_reading() {
    for damage in ["scribble", "truncate", "remove"] {
        let directory = tempfile::tempdir().expect("temporary directory");
        for blob in cache_with_a_blob(directory.path()) {
            match damage {
                "scribble" => {
                    let mut bytes = fs::read(&blob).expect("read");
                    bytes[100..140].fill(0x42);
                    fs::write(&blob, bytes).expect("write");
                }
                "truncate" => fs::write(&blob, b"short").expect("write"),
                _ => fs::remove_file(&blob).expect("remove"),
            }
        }
        let notices = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&notices);
        let opened = Cache::open(&OpenOptions::new(directory.path()).notices(Notices::new(
            move |message| sink.lock().expect("notices").push(message.to_owned()),
        )))
        .unwrap_or_else(|error| panic!("{damage}: {error}"));
        let cache = opened.cache;
        let big = cache.get(&PROJECTS, "big");
        let mut said: Vec<String> = opened.warnings.clone();
        said.extend(notices.lock().expect("notices").iter().cloned());
        eprintln!("{damage}: {said:?}, reset {} times", cache.resets());
        match big {
            // sled read the blob whole: nothing was damaged as far as it can tell.
            Ok(Some(entry)) => assert_eq!(entry.payload, vec![b'b'; 1_500_000], "{damage}"),
            Ok(None) => {
                assert_eq!(said.len(), 1, "{damage}: {said:?}");
                assert!(said[0].contains("moved it aside to"), "{damage}: {said:?}");
                let aside = open_set_aside(directory.path());
                assert!(said[0].contains(&aside.display().to_string()), "{said:?}");
                // Afterwards the cache is empty and works; nothing old is mixed in.
                assert_eq!(cache.get(&PROJECTS, "small").expect("get"), None);
                cache
                    .put(&PROJECTS, "after", b"{}", &Freshness::new(HOUR), NOW)
                    .expect("put");
                cache.flush().expect("flush");
                drop(cache);
                let cache = open_read_write(directory.path());
                assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
            }
            Err(error) => panic!("{damage}: a damaged cache is an error: {error}"),
        }
    }
}

/// Scribbles over the blob of a cache that is already open: the damage is found by the read,
/// not by the open, which is what the read path must handle.
#[test]
fn damage_found_by_a_read_resets_the_cache_and_reads_as_absent() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let blobs = cache_with_a_blob(directory.path());
    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&notices);
    let opened = Cache::open(&OpenOptions::new(directory.path()).notices(Notices::new(
        move |message| sink.lock().expect("notices").push(message.to_owned()),
    )))
    .expect("open");
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let cache = opened.cache;
    for blob in blobs {
        let mut bytes = fs::read(&blob).expect("read");
        bytes[100..140].fill(0x42);
        fs::write(&blob, bytes).expect("write");
    }
    assert_eq!(cache.resets(), 0);
    let entries = cache
        .get_many(&PROJECTS, &["small", "big"])
        .expect("a damaged read is not an error");
    assert_eq!(
        entries,
        vec![None, None],
        "the old cache must not leak through"
    );
    assert_eq!(cache.resets(), 1);
    let notices = notices.lock().expect("notices").clone();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("is damaged"), "{notices:?}");
    let aside = open_set_aside(directory.path());
    assert!(
        notices[0].contains(&aside.display().to_string()),
        "{notices:?}"
    );
    cache
        .put(&PROJECTS, "after", b"{}", &Freshness::new(HOUR), NOW)
        .expect("put");
    cache.flush().expect("flush");
    drop(cache);
    let cache = open_read_write(directory.path());
    assert!(cache.get(&PROJECTS, "after").expect("get").is_some());
}

/// The one `db.corrupt-*` path next to `db`.
fn open_set_aside(directory: &Path) -> std::path::PathBuf {
    let aside: Vec<_> = fs::read_dir(directory)
        .expect("cache directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("db.corrupt-"))
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    aside[0].clone()
}

#[test]
fn remove_on_disk_removes_a_damaged_cache_without_opening_it() {
    let directory = tempfile::tempdir().expect("temporary directory");
    for blob in cache_with_a_blob(directory.path()) {
        fs::write(&blob, b"short").expect("write");
    }
    fs::write(directory.path().join("db").join("db"), vec![0x5A; 10_000]).expect("scribble");
    fs::create_dir(directory.path().join("db.corrupt-1")).expect("set-aside copy");
    fs::write(directory.path().join("unrelated"), b"keep").expect("write");

    let removed = Cache::remove_on_disk(&OpenOptions::new(directory.path())).expect("remove");
    assert_eq!(removed.paths.len(), 2, "{removed:?}");
    assert!(removed.bytes >= 10_000, "{removed:?}");
    assert!(!directory.path().join("db").exists());
    assert!(!directory.path().join("db.corrupt-1").exists());
    // Only the cache's own files go; the directory and anything else in it stay.
    assert!(directory.path().join("unrelated").exists());
    // Nothing left: a second removal is a no-op.
    let again = Cache::remove_on_disk(&OpenOptions::new(directory.path())).expect("remove");
    assert!(again.paths.is_empty());
}

#[test]
fn remove_on_disk_refuses_what_is_not_a_cache() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let db = directory.path().join("db");
    fs::create_dir(&db).expect("db directory");
    fs::write(db.join("notes.txt"), b"a user's file").expect("write");
    let error = Cache::remove_on_disk(&OpenOptions::new(directory.path())).expect_err("refused");
    assert!(matches!(error, CacheError::NotACache { .. }), "{error}");
    assert!(db.join("notes.txt").exists());

    fs::remove_dir_all(&db).expect("remove");
    fs::write(&db, b"a user's file named db").expect("write");
    assert!(matches!(
        Cache::remove_on_disk(&OpenOptions::new(directory.path())),
        Err(CacheError::NotACache { .. })
    ));
    assert!(db.exists());
}

#[test]
fn remove_on_disk_waits_for_a_holder_then_fails() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let holder = open_read_write(directory.path());
    holder
        .put(&PROJECTS, "held", b"{}", &Freshness::new(HOUR), NOW)
        .expect("put");
    let options = OpenOptions::new(directory.path()).lock_wait(Duration::from_millis(200));
    let error = Cache::remove_on_disk(&options).expect_err("held");
    assert!(matches!(error, CacheError::Locked { .. }), "{error}");
    assert!(directory.path().join("db").exists());
    drop(holder);
    let removed = Cache::remove_on_disk(&options).expect("remove");
    assert_eq!(removed.paths, vec![directory.path().join("db")]);
}

#[test]
fn a_new_cache_is_marked() {
    let directory = tempfile::tempdir().expect("temporary directory");
    drop(open_read_write(directory.path()));
    let marker =
        fs::read_to_string(directory.path().join("db").join("CACHEDIR.TAG")).expect("marker");
    assert!(marker.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
}
