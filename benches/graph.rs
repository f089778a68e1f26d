//! Parse + graph-build benchmark: the largest real uv.lock (crewAI, ~1.6 MB, 476 packages) and
//! generated uv.lock files of 500 / 5,000 / 50,000 packages to show that time grows linearly.
//!
//! Run: `cargo bench --bench graph` (release profile). Prints the median of repeated runs; compare
//! ratios within one run, these machines are noisy.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use pyaudit::graph::Graph;
use pyaudit::lockfile::detect::parse_lockfile;

mod support;
use support::{generated_uv_lock, median_time};

fn parse_and_build(path: &Path, text: &str) -> usize {
    let lockfile = parse_lockfile(path, text).expect("benchmark input parses");
    let graph = Graph::build(lockfile);
    graph.packages().len()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let crewai = root.join("../shared/fixtures/real/crewAIInc__crewAI/uv.lock");
    match std::fs::read_to_string(&crewai) {
        Ok(text) => {
            let time = median_time(30, || {
                black_box(parse_and_build(&crewai, black_box(&text)));
            });
            let parse_only = median_time(30, || {
                black_box(parse_lockfile(&crewai, black_box(&text)).ok());
            });
            println!(
                "crewAI uv.lock ({} KiB, {} packages): {:.2} ms (target < 25 ms), of which parsing {:.2} ms",
                text.len() / 1024,
                parse_and_build(&crewai, &text),
                time.as_secs_f64() * 1e3,
                parse_only.as_secs_f64() * 1e3
            );
        }
        Err(error) => println!("skipping crewAI: {error}"),
    }
    let path = Path::new("uv.lock");
    let mut per_package = Vec::new();
    for size in [500, 5_000, 50_000] {
        let text = generated_uv_lock(size);
        let iterations = if size >= 50_000 { 5 } else { 15 };
        let time = median_time(iterations, || {
            black_box(parse_and_build(path, black_box(&text)));
        });
        let parse_only = median_time(iterations, || {
            black_box(parse_lockfile(path, black_box(&text)).ok());
        });
        let parsed = parse_lockfile(path, &text).expect("benchmark input parses");
        let build_only = median_time(iterations, || {
            let lockfile = parsed.clone();
            let start = Instant::now();
            black_box(Graph::build(lockfile));
            black_box(start.elapsed());
        });
        let micros_per_package = time.as_secs_f64() * 1e6 / size as f64;
        per_package.push(micros_per_package);
        println!(
            "generated uv.lock, {size:>6} packages ({:>6} KiB): {:>8.2} ms (parsing {:>8.2} ms, graph {:>7.2} ms), {micros_per_package:.2} µs/package{}",
            text.len() / 1024,
            time.as_secs_f64() * 1e3,
            parse_only.as_secs_f64() * 1e3,
            build_only.as_secs_f64() * 1e3,
            if size == 5_000 {
                " (target < 150 ms)"
            } else {
                ""
            }
        );
    }
    if let (Some(first), Some(last)) = (per_package.first(), per_package.last()) {
        println!(
            "linearity: µs/package at 50,000 ÷ at 500 = {:.2} (1.0 is perfectly linear)",
            last / first
        );
    }
}
