//! Every lockfile reader is linear: requirements files, uv.lock and poetry.lock of 10³ to 10⁶
//! generated entries, read and built into a graph, reported as time per entry. A reader whose
//! time per entry grows with the size is quadratic somewhere (requirements files were: 100,000
//! lines took 8 s before edges were deduplicated once instead of on every push).
//!
//! Run: `cargo bench --bench readers` (release profile). `READER_BENCH_MAX=100000` stops earlier.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use pyaudit::graph::Graph;
use pyaudit::lockfile::detect::parse_lockfile;

mod support;
use support::{generated_poetry_lock, generated_requirements, generated_uv_lock};

fn main() {
    let maximum: usize = std::env::var("READER_BENCH_MAX")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    type Generator = fn(usize) -> String;
    let readers: [(&str, &str, Generator); 3] = [
        ("requirements", "requirements.txt", generated_requirements),
        ("uv.lock", "uv.lock", generated_uv_lock),
        ("poetry.lock", "poetry.lock", generated_poetry_lock),
    ];
    println!("reader          entries      MB   total s   µs/entry");
    for (label, file_name, generate) in readers {
        let path = Path::new(file_name);
        for size in [1_000, 10_000, 100_000, 1_000_000] {
            if size > maximum {
                continue;
            }
            let text = generate(size);
            // One timed run per size above 10⁴ (a 10⁶ input takes seconds), the best of three
            // below.
            let runs = if size > 10_000 { 1 } else { 3 };
            let mut best = f64::INFINITY;
            for _ in 0..runs {
                let start = Instant::now();
                let lockfile = parse_lockfile(path, black_box(&text)).expect("input parses");
                black_box(Graph::build(lockfile));
                best = best.min(start.elapsed().as_secs_f64());
            }
            println!(
                "{label:<14} {size:>8} {:>7.1} {best:>9.3} {:>10.2}",
                text.len() as f64 / 1e6,
                best * 1e6 / size as f64
            );
        }
    }
}
