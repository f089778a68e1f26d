//! The cache when it is damaged, unwritable or held by another pyaudit, as users see it: exit
//! codes and messages of the binary, never a hang, never success for what was not stored, never
//! an empty cache standing in for one that is there.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::command::Hermetic;
use assert_cmd::Command;
use predicates::prelude::*;
use pyaudit::enrich::database;
use pyaudit_cache::{Cache, OpenOptions, Timestamp};

/// A damaged or held cache must never make a command run on: a minute, then the test fails.
fn pyaudit(cache: &Path) -> Command {
    Hermetic::new(cache)
        .timeout(Duration::from_secs(60))
        .command()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_lock() -> PathBuf {
    root().join("tests/data/uv-project/uv.lock")
}

/// An advisory directory: the test data's record plus one for `anyio` (in the demo lock) with a
/// 1.5 MB description, so sled stores anyio's entry in a blob file of its own.
fn advisories_with_a_big_record(directory: &Path) -> PathBuf {
    let advisories = directory.join("advisories");
    fs::create_dir_all(&advisories).unwrap();
    fs::copy(
        root().join("tests/data/advisories/PYSEC-2024-60.yaml"),
        advisories.join("PYSEC-2024-60.yaml"),
    )
    .unwrap();
    let record = serde_json::json!({
        "id": "PYSEC-0000-1",
        "modified": "2024-01-01T00:00:00Z",
        "summary": "a test record with a long description",
        "details": "x".repeat(1_500_000),
        "affected": [{"package": {"ecosystem": "PyPI", "name": "anyio"}, "versions": ["0.0.1"]}],
    });
    fs::write(
        advisories.join("PYSEC-0000-1.json"),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    advisories
}

/// A cache with the local advisory database imported, opened once more so sled has written a
/// snapshot (the state a cache is in after any real use).
fn imported_cache(directory: &Path) -> PathBuf {
    let cache = directory.join("cache");
    let advisories = advisories_with_a_big_record(directory);
    pyaudit(&cache)
        .args(["db", "import"])
        .arg(&advisories)
        .assert()
        .success()
        .stdout(predicate::str::contains("imported 2 records"));
    pyaudit(&cache)
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 records"));
    cache
}

fn blobs(cache: &Path) -> Vec<PathBuf> {
    let blobs: Vec<PathBuf> = fs::read_dir(cache.join("db").join("blobs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(!blobs.is_empty(), "no blob file to damage");
    blobs
}

fn scribble(path: &Path, offset: usize) {
    let mut bytes = fs::read(path).unwrap();
    let end = (offset + 64).min(bytes.len());
    bytes[offset..end].fill(0x42);
    fs::write(path, bytes).unwrap();
}

fn set_aside(cache: &Path) -> Vec<PathBuf> {
    fs::read_dir(cache)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("db.corrupt-"))
        })
        .collect()
}

#[test]
fn a_damaged_cache_is_set_aside_and_an_offline_audit_says_the_database_is_gone() {
    let directory = tempfile::tempdir().unwrap();
    let cache = imported_cache(directory.path());
    // The audit works on the intact cache: PYSEC-2024-60 is a finding.
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(demo_lock())
        .assert()
        .code(1);
    for blob in blobs(&cache) {
        scribble(&blob, 100);
    }

    let output = pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(demo_lock())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let aside = set_aside(&cache);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        stderr.contains(&format!("moved it aside to `{}`", aside[0].display())),
        "{stderr}"
    );
    // Not clean and not sled's error: the missing database, with what to do about it.
    assert!(
        stderr.contains("no advisory data for an offline audit"),
        "{stderr}"
    );
    assert!(!stderr.contains("Corruption"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // The cache was rebuilt empty: the status says so, a new import works.
    pyaudit(&cache)
        .args(["db", "status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no local advisory database"));
    pyaudit(&cache)
        .args(["db", "import"])
        .arg(directory.path().join("advisories"))
        .assert()
        .success();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(demo_lock())
        .assert()
        .code(1);
}

#[test]
fn damage_to_any_of_sleds_files_never_fails_the_command_with_sleds_error() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 5] = [
        ("truncated data file", |db| {
            let data = db.join("db");
            let length = fs::metadata(&data).unwrap().len();
            fs::OpenOptions::new()
                .write(true)
                .open(&data)
                .unwrap()
                .set_len(length / 2)
                .unwrap();
        }),
        ("scribbled data file", |db| scribble(&db.join("db"), 0)),
        ("garbage conf", |db| {
            fs::write(db.join("conf"), [0xFF; 62]).unwrap()
        }),
        ("truncated blobs", |db| {
            for blob in fs::read_dir(db.join("blobs")).unwrap() {
                fs::write(blob.unwrap().path(), b"cut").unwrap();
            }
        }),
        ("scribbled snapshot", |db| {
            for entry in fs::read_dir(db).unwrap() {
                let path = entry.unwrap().path();
                if path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("snap."))
                {
                    scribble(&path, 8);
                }
            }
        }),
    ];
    let directory = tempfile::tempdir().unwrap();
    let original = imported_cache(directory.path());
    for (name, damage) in damages {
        let cache = directory.path().join(name.replace(' ', "-"));
        copy_directory(&original, &cache);
        damage(&cache.join("db"));
        let output = pyaudit(&cache).args(["db", "status"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        match output.status.code() {
            // sled recovered what it could; the database it reports is the one imported.
            Some(0) => assert!(stdout.contains("2 records"), "{name}: {stdout}"),
            // Set aside: said where, and the database reported missing, not empty.
            Some(1) => {
                assert!(stderr.contains("moved it aside to"), "{name}: {stderr}");
                assert!(
                    stdout.contains("no local advisory database"),
                    "{name}: {stdout}"
                );
            }
            other => panic!("{name}: exit {other:?}\n{stdout}\n{stderr}"),
        }
    }
}

fn copy_directory(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_directory(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The lookup reads the database's header, then its records; when the records turn out damaged
/// the cache starts afresh and the lookup must answer "no database", not "no advisories".
#[test]
fn a_lookup_that_finds_damage_answers_no_database_rather_than_no_advisories() {
    let directory = tempfile::tempdir().unwrap();
    // Many packages, so sled keeps the header and the big record in different pages, and the
    // big one (sorted last) in a blob file of its own.
    let advisories = directory.path().join("advisories");
    fs::create_dir_all(&advisories).unwrap();
    let record = |id: String, package: &str, details: String| {
        serde_json::json!({
            "id": id,
            "modified": "2024-01-01T00:00:00Z",
            "details": details,
            "affected": [{"package": {"ecosystem": "PyPI", "name": package}, "versions": ["1.0"]}],
        })
    };
    for index in 0..300 {
        let id = format!("PYSEC-0000-{index}");
        let value = record(
            id.clone(),
            &format!("package-{index:03}"),
            "short".to_owned(),
        );
        fs::write(advisories.join(format!("{id}.json")), value.to_string()).unwrap();
    }
    let big = record("PYSEC-0001-1".to_owned(), "zzz-big", "x".repeat(1_500_000));
    fs::write(advisories.join("PYSEC-0001-1.json"), big.to_string()).unwrap();
    let cache_dir = directory.path().join("cache");
    pyaudit(&cache_dir)
        .args(["db", "import"])
        .arg(&advisories)
        .assert()
        .success();
    pyaudit(&cache_dir)
        .args(["db", "status"])
        .assert()
        .success();

    let cache = Cache::open(&OpenOptions::new(&cache_dir)).unwrap().cache;
    let now = Timestamp::now();
    // The header reads fine; then the blob behind the big record is damaged, so the records'
    // read is what finds it.
    assert!(database::status(&cache, now).unwrap().is_some());
    for blob in blobs(&cache_dir) {
        scribble(&blob, 100);
    }
    let local = database::lookup(&cache, &["package-001", "zzz-big"], now).unwrap();
    assert_eq!(cache.resets(), 1, "the damage was not found by the lookup");
    assert!(
        local.is_none(),
        "a damaged database read as {:?}",
        local.map(|local| local.advisories.keys().cloned().collect::<Vec<_>>())
    );
    assert!(database::status(&cache, now).unwrap().is_none());
}

#[test]
fn cache_clean_removes_a_damaged_cache_at_once() {
    let directory = tempfile::tempdir().unwrap();
    let cache = imported_cache(directory.path());
    for blob in blobs(&cache) {
        scribble(&blob, 100);
    }
    scribble(&cache.join("db").join("db"), 4096);
    fs::create_dir(cache.join("db.corrupt-1")).unwrap();
    fs::write(cache.join("unrelated.txt"), b"not ours").unwrap();

    pyaudit(&cache)
        .args(["cache", "clean"])
        .timeout(Duration::from_secs(10))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "removed {}",
            cache.join("db").display()
        )))
        .stdout(predicate::str::contains("db.corrupt-1"));
    assert!(!cache.join("db").exists());
    assert!(!cache.join("db.corrupt-1").exists());
    assert!(
        cache.join("unrelated.txt").exists(),
        "only the cache's files go"
    );
    pyaudit(&cache)
        .args(["cache", "clean"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to remove"));
}

#[test]
fn cache_clean_refuses_a_directory_that_is_not_a_cache() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("db");
    fs::create_dir(&db).unwrap();
    fs::write(db.join("thesis.tex"), b"years of work").unwrap();
    pyaudit(home.path())
        .args(["cache", "clean"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to remove"))
        .stderr(predicate::str::contains("not a cache"));
    assert!(db.join("thesis.tex").exists());

    // A directory without a `db` at all: nothing is touched.
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join("notes.txt"), b"keep").unwrap();
    pyaudit(other.path())
        .args(["cache", "clean"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to remove"));
    assert!(other.path().join("notes.txt").exists());
}

/// Whether this process runs as root, for whom file permissions do not stop writes: a file it
/// creates is owned by its effective user.
#[cfg(unix)]
fn running_as_root(directory: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = directory.join("owner-probe");
    fs::write(&probe, b"").unwrap();
    fs::metadata(&probe).unwrap().uid() == 0
}

#[test]
fn db_import_into_a_cache_it_cannot_write_fails_and_says_why() {
    let directory = tempfile::tempdir().unwrap();
    let advisories = root().join("tests/data/advisories");
    let file = directory.path().join("a-file");
    fs::write(&file, b"").unwrap();
    // The cache path is a file; a path under a file (fails even for root).
    for cache in [file.clone(), file.join("cache")] {
        pyaudit(&cache)
            .args(["db", "import"])
            .arg(&advisories)
            .assert()
            .code(2)
            .stdout(predicate::str::contains("imported").not())
            .stderr(predicate::str::contains(
                "could not create the cache directory",
            ))
            .stderr(predicate::str::contains(cache.display().to_string()));
        pyaudit(&cache)
            .args(["db", "status"])
            .assert()
            .code(2)
            .stdout(predicate::str::contains("no local advisory database").not());
    }
    assert_eq!(fs::read(&file).unwrap(), b"", "the file was left alone");

    #[cfg(unix)]
    if !running_as_root(directory.path()) {
        use std::os::unix::fs::PermissionsExt;
        let read_only = directory.path().join("read-only");
        fs::create_dir(&read_only).unwrap();
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
        pyaudit(&read_only)
            .args(["db", "import"])
            .arg(&advisories)
            .assert()
            .code(2)
            .stdout(predicate::str::contains("imported").not());
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_held_cache_is_waited_for_then_an_error_never_an_empty_cache() {
    let directory = tempfile::tempdir().unwrap();
    let cache = imported_cache(directory.path());
    // This test process holds the cache as a running `pyaudit lock` would.
    let holder = Cache::open(&OpenOptions::new(&cache)).unwrap();
    for command in [
        &["db", "status"][..],
        &["lock", "--offline", demo_lock().to_str().unwrap()][..],
        &["cache", "clean"][..],
    ] {
        let output = pyaudit(&cache)
            .env("PYAUDIT_CACHE_WAIT", "1s")
            .args(command)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{command:?}: {stdout}\n{stderr}"
        );
        assert!(
            stderr.contains("waiting up to 1s for the cache"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("another pyaudit is using the cache"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("PYAUDIT_CACHE_WAIT"),
            "{command:?}: {stderr}"
        );
        assert!(
            !stdout.contains("no local advisory database") && !stderr.contains("no advisory data"),
            "{command:?} pretended the held cache is empty: {stdout}\n{stderr}"
        );
    }
    assert!(cache.join("db").exists(), "clean removed a held cache");
    drop(holder);

    pyaudit(&cache)
        .env("PYAUDIT_CACHE_WAIT", "1s")
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 records"));
}

/// `lock` opens the cache while it reads the lockfile; a broken lockfile is still reported at
/// once, not after waiting for a cache another pyaudit holds.
#[test]
fn a_broken_lockfile_is_reported_without_waiting_for_a_held_cache() {
    let directory = tempfile::tempdir().unwrap();
    let cache = imported_cache(directory.path());
    let holder = Cache::open(&OpenOptions::new(&cache)).unwrap();
    let lock = directory.path().join("uv.lock");
    fs::write(&lock, "version = 1\n[[package]\n").unwrap();
    let output = pyaudit(&cache)
        .env("PYAUDIT_CACHE_WAIT", "30m")
        .args(["lock", "--offline"])
        .arg(&lock)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("uv.lock"), "{stderr}");
    assert!(!stderr.contains("waiting up to"), "{stderr}");
    drop(holder);
}

#[test]
fn an_invalid_cache_wait_is_an_error() {
    let directory = tempfile::tempdir().unwrap();
    pyaudit(directory.path())
        .env("PYAUDIT_CACHE_WAIT", "forever")
        .args(["db", "status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid PYAUDIT_CACHE_WAIT `forever`",
        ));
}
