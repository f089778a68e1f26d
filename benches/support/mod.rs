//! What the benchmarks share: a median timer and a generator of realistic uv.lock files.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The median of `iterations` timed runs after one warm-up run.
pub fn median_time(iterations: usize, mut run: impl FnMut()) -> Duration {
    // `BENCH_ITERATIONS=N` overrides the count (e.g. 1 under valgrind's instruction counter).
    let iterations = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(iterations)
        .max(1);
    run(); // warm-up
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

/// A uv.lock shaped like real ones: each package has a registry source, an sdist and two wheels
/// with hashes, and up to four dependencies on later packages (some with markers and extras).
pub fn generated_uv_lock(packages: usize) -> String {
    let mut text = String::from("version = 1\nrevision = 3\nrequires-python = \">=3.10\"\n\n");
    text.push_str("[[package]]\nname = \"project\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [\n");
    for index in 0..packages.min(50) {
        text.push_str(&format!("    {{ name = \"package-{index}\" }},\n"));
    }
    text.push_str("]\n\n");
    for index in 0..packages {
        text.push_str(&format!(
            "[[package]]\nname = \"package-{index}\"\nversion = \"1.{index}.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n"
        ));
        let targets: Vec<usize> = [1, 7, 31, 127]
            .iter()
            .map(|step| index + step)
            .filter(|&target| target < packages)
            .collect();
        if !targets.is_empty() {
            text.push_str("dependencies = [\n");
            for (position, target) in targets.iter().enumerate() {
                match position {
                    1 => text.push_str(&format!(
                        "    {{ name = \"package-{target}\", marker = \"sys_platform == 'win32'\" }},\n"
                    )),
                    _ => text.push_str(&format!("    {{ name = \"package-{target}\" }},\n")),
                }
            }
            text.push_str("]\n");
        }
        let hash = format!("{:064x}", index as u128 * 0x9e37_79b9_7f4a_7c15);
        text.push_str(&format!(
            "sdist = {{ url = \"https://files.pythonhosted.org/packages/ab/cd/package-{index}-1.{index}.0.tar.gz\", hash = \"sha256:{hash}\", size = 123456, upload-time = \"2025-01-01T00:00:00Z\" }}\nwheels = [\n"
        ));
        for platform in ["py3-none-any", "cp312-cp312-manylinux_2_17_x86_64"] {
            text.push_str(&format!(
                "    {{ url = \"https://files.pythonhosted.org/packages/ef/01/package_{index}-1.{index}.0-{platform}.whl\", hash = \"sha256:{hash}\", size = 654321, upload-time = \"2025-01-01T00:00:00Z\" }},\n"
            ));
        }
        text.push_str("]\n\n");
    }
    text
}

/// The median of `iterations` runs that time themselves (setup excluded), after one warm-up run.
pub fn median_of(iterations: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let iterations = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(iterations)
        .max(1);
    run();
    let mut samples: Vec<Duration> = (0..iterations).map(|_| run()).collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// A pip-compile style requirements file: a pin with a hash and a `# via` comment per entry.
pub fn generated_requirements(entries: usize) -> String {
    let mut text = String::with_capacity(entries * 120);
    for index in 0..entries {
        let hash = format!("{:064x}", index as u128 * 0x9e37_79b9_7f4a_7c15);
        text.push_str(&format!(
            "package-{index}==1.{index}.0 \\\n    --hash=sha256:{hash}\n"
        ));
        if index > 0 {
            text.push_str(&format!("    # via package-{}\n", index / 2));
        } else {
            text.push_str("    # via -r requirements.in\n");
        }
    }
    text
}

/// A poetry.lock (lock-version 2.0) with a file hash and up to two dependencies per package.
pub fn generated_poetry_lock(packages: usize) -> String {
    let mut text = String::with_capacity(packages * 400);
    for index in 0..packages {
        let hash = format!("{:064x}", index as u128 * 0x9e37_79b9_7f4a_7c15);
        text.push_str(&format!(
            "[[package]]\nname = \"package-{index}\"\nversion = \"1.{index}.0\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.8\"\ngroups = [\"main\"]\nfiles = [\n    {{file = \"package_{index}-1.{index}.0-py3-none-any.whl\", hash = \"sha256:{hash}\"}},\n]\n"
        ));
        let targets: Vec<usize> = [1, 31]
            .iter()
            .map(|step| index + step)
            .filter(|&target| target < packages)
            .collect();
        if !targets.is_empty() {
            text.push_str("\n[package.dependencies]\n");
            for target in targets {
                text.push_str(&format!("package-{target} = \"*\"\n"));
            }
        }
        text.push('\n');
    }
    text.push_str(
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.8\"\ncontent-hash = \"0\"\n",
    );
    text
}
