//! Import-scan benchmark: 10,000 generated Python files (~80 lines each: imports at the top, in
//! functions, under `try`/`TYPE_CHECKING`, strings and f-strings, comments) in a temporary
//! directory, walked and tokenized by `pyaudit::usage::scan::scan_project` — the target is
//! under 1 s on this machine (2 shared cores).
//!
//! Run: `cargo bench --bench usage` (release profile). Prints the median of repeated runs with
//! a warm page cache.
//!
//! Measured 2026-11-25 (2 cores shared with other builds, load average ≈ 5): 849 ms for the
//! 10,000 files (33 MB, 190,000 imports), ≈ 11,800 files/s; 2.2 s while a release build and a
//! test run competed for the same two cores.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pyaudit::usage::scan::{ScanSettings, scan_project};

const FILES: usize = 10_000;

fn median_time(iterations: usize, mut run: impl FnMut()) -> Duration {
    run(); // warm-up: page cache, thread pool
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn source(index: usize) -> String {
    let mut text = format!(
        "\"\"\"Module {index}: generated for the benchmark.\"\"\"\n\
         from __future__ import annotations\n\n\
         import os\nimport sys\nimport json\n\
         from typing import TYPE_CHECKING\n\
         from collections import (\n    OrderedDict,\n    defaultdict,\n)\n\n\
         import requests\nimport yaml\nfrom pkg_{} import helper as helper_{index}\n\n\
         if TYPE_CHECKING:\n    from pandas import DataFrame\n\n\
         try:\n    import ujson\nexcept ImportError:\n    ujson = None\n\n",
        index % 97
    );
    for function in 0..8 {
        text.push_str(&format!(
            "\ndef function_{function}(value: int, name: str = 'x') -> dict:\n\
             \x20   \"\"\"Docstring that mentions import os in prose.\"\"\"\n\
             \x20   import math  # a nested import\n\
             \x20   message = f\"{{name!r}}: {{value:>{{width}}}} and {{ {{'k': 1}}['k'] }}\"\n\
             \x20   data = {{'key': [1, 2, 3], \"other\": (value, name)}}\n\
             \x20   if value > {function}:\n\
             \x20       return {{'message': message, **data}}\n\
             \x20   return data  # comment with 'quotes\n",
        ));
    }
    text
}

fn generate(root: &Path) {
    for index in 0..FILES {
        let directory = root.join(format!("src/pkg_{}/sub_{}", index % 97, index % 13));
        std::fs::create_dir_all(&directory).unwrap();
        std::fs::write(directory.join(format!("module_{index}.py")), source(index)).unwrap();
    }
}

fn main() {
    let directory = tempfile::tempdir().unwrap();
    generate(directory.path());
    let bytes: u64 = (0..FILES).map(|index| source(index).len() as u64).sum();
    let settings = ScanSettings::default();
    let mut imports = 0;
    let time = median_time(7, || {
        let scan = scan_project(directory.path(), &settings).unwrap();
        assert_eq!(scan.files.len(), FILES);
        assert!(scan.errors.is_empty());
        imports = scan.files.iter().map(|file| file.imports.len()).sum();
        black_box(scan);
    });
    println!(
        "usage scan: {FILES} files ({:.1} MB, {imports} imports) in {:.0} ms (median of 7) — {:.0} files/s",
        bytes as f64 / 1e6,
        time.as_secs_f64() * 1e3,
        FILES as f64 / time.as_secs_f64()
    );
}
