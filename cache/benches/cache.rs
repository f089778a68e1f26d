//! Measures what the warm-cache audit path pays: opening a populated cache and reading a
//! lockfile's worth of keys in one batch, plus the envelope encoding against serde_json.
//!
//! Run with `cargo bench -p pyaudit-cache --bench cache`; figures go to stdout.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pyaudit_cache::{Cache, Freshness, Mode, Namespace, OpenOptions, Timestamp};

const PROJECTS: Namespace = Namespace::new("pypi-project", 1);
const ENTRIES: usize = 5_000;
const LOCKFILE_PACKAGES: usize = 300;
const ROUNDS: usize = 20;

/// A JSON payload of about 2 KB, shaped like a trimmed PyPI project answer.
fn payload(index: usize) -> Vec<u8> {
    let mut text = format!(
        r#"{{"info":{{"name":"package-{index}","version":"1.{index}.0","license":"MIT","summary":"#
    );
    text.push('"');
    while text.len() < 1_950 {
        text.push_str("a summary with \\\"quotes\\\" and words ");
    }
    text.push_str(r#""},"vulnerabilities":[]}"#);
    text.into_bytes()
}

fn key(index: usize) -> String {
    format!("package-{index}")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn open(directory: &Path) -> Cache {
    let opened = Cache::open(&OpenOptions::new(directory)).expect("open");
    assert_eq!(opened.mode, Mode::ReadWrite, "{:?}", opened.warnings);
    opened.cache
}

fn populate(directory: &Path, now: Timestamp) {
    let cache = open(directory);
    let freshness = Freshness::new(Duration::from_secs(3600)).with_etag("\"etag-value\"");
    for index in 0..ENTRIES {
        cache
            .put(&PROJECTS, &key(index), &payload(index), &freshness, now)
            .expect("put");
    }
    cache.flush().expect("flush");
}

fn measure_open_and_batch(directory: &Path, label: &str, spread: bool) {
    // Spread keys land in most of sled's leaves, as a lockfile's packages do; adjacent keys share
    // leaves, which shows how much of the first batch is sled paging leaves in.
    let step = if spread {
        ENTRIES / LOCKFILE_PACKAGES
    } else {
        1
    };
    let keys: Vec<String> = (0..LOCKFILE_PACKAGES)
        .map(|index| key(index * step))
        .collect();
    let now = Timestamp::now();
    let mut opens = Vec::new();
    let mut first_batches = Vec::new();
    let mut warm_batches = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let cache = open(directory);
        opens.push(start.elapsed());

        let start = Instant::now();
        let entries = cache.get_many(&PROJECTS, &keys).expect("get_many");
        first_batches.push(start.elapsed());
        assert!(
            entries
                .iter()
                .all(|entry| entry.as_ref().is_some_and(|entry| entry.is_fresh(now)))
        );
        black_box(entries);

        let start = Instant::now();
        black_box(cache.get_many(&PROJECTS, &keys).expect("get_many"));
        warm_batches.push(start.elapsed());
    }
    let size = Cache::open(&OpenOptions::new(directory))
        .expect("open")
        .cache
        .stats(now)
        .expect("stats")
        .size_on_disk;
    let label = format!(
        "{label}, {} keys",
        if spread { "spread" } else { "adjacent" }
    );
    println!(
        "{label}: {ENTRIES} entries, {:.1} MiB on disk; median of {ROUNDS}: open {:?}, \
         first get_many({LOCKFILE_PACKAGES}) {:?}, repeated get_many({LOCKFILE_PACKAGES}) {:?}",
        size as f64 / 1_048_576.0,
        median(opens),
        median(first_batches),
        median(warm_batches),
    );
}

fn measure_encodings() {
    let payload = payload(1);
    let cache = Cache::in_memory();
    let freshness = Freshness::new(Duration::from_secs(3600)).with_etag("\"etag-value\"");
    let now = Timestamp::now();
    let start = Instant::now();
    for index in 0..LOCKFILE_PACKAGES {
        cache
            .put(&PROJECTS, &key(index), &payload, &freshness, now)
            .expect("put");
    }
    let keys: Vec<String> = (0..LOCKFILE_PACKAGES).map(key).collect();
    let entries = cache.get_many(&PROJECTS, &keys).expect("get_many");
    let binary = start.elapsed();
    black_box(entries);

    // The same envelope as JSON: the payload must become an escaped string.
    let start = Instant::now();
    let mut decoded = Vec::new();
    for _ in 0..LOCKFILE_PACKAGES {
        let text = String::from_utf8(payload.clone()).expect("utf-8");
        let envelope = serde_json::json!({
            "fetched_at": now.unix_millis(),
            "expires_at": now.unix_millis() + 3_600_000,
            "etag": "\"etag-value\"",
            "last_modified": null,
            "schema_version": 1,
            "payload": text,
        });
        let bytes = serde_json::to_vec(&envelope).expect("encode");
        let back: serde_json::Value = serde_json::from_slice(&bytes).expect("decode");
        decoded.push(back);
    }
    let json = start.elapsed();
    black_box(decoded);
    println!(
        "envelopes, {LOCKFILE_PACKAGES} × {} B payloads, encode + store + decode: binary (in-memory \
         cache) {binary:?}, serde_json encode + decode alone {json:?}",
        payload.len()
    );
}

fn main() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let now = Timestamp::now();

    let start = Instant::now();
    populate(directory.path(), now);
    println!(
        "populate: {ENTRIES} puts of ~2 KB + flush in {:?}",
        start.elapsed()
    );
    measure_open_and_batch(directory.path(), "after one run", true);

    // A cache that has lived through several runs rewriting every entry: sled's log has grown and
    // been compacted, which is what recovery on open has to read.
    for _ in 0..4 {
        populate(directory.path(), now);
    }
    measure_open_and_batch(directory.path(), "after five runs", true);
    measure_open_and_batch(directory.path(), "after five runs", false);

    let cache = open(directory.path());
    let start = Instant::now();
    let stats = cache.stats(now).expect("stats");
    println!(
        "stats (reads every entry) right after open: {:?} for {} entries",
        start.elapsed(),
        stats.namespaces[PROJECTS.name()].entries
    );
    drop(cache);

    measure_encodings();
}
