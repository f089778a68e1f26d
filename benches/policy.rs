//! Policy evaluation benchmark: every rule on (vulnerabilities with a severity threshold,
//! maintenance, licenses with allow/deny lists, sources with an index allow list and required
//! hashes, typosquats against the built-in seed, bans, ignores) over generated graphs with full
//! enrichment data — the pure function `policy::evaluate`, no I/O. Target: 5,000 packages < 20 ms.
//!
//! Run: `cargo bench --bench policy`. Two mixes: `typical` (about one package in ten has some
//! finding) and `worst` (every package has several, so every finding pays for its path).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use pep440_rs::Version;
use pyaudit::config;
use pyaudit::enrich::license::{LicenseInfo, LicenseOrigin, LicenseSource};
use pyaudit::enrich::metadata::{MetadataData, MetadataStatus, PackageMetadata, ProjectStatusInfo};
use pyaudit::enrich::{PackageKey, VulnerabilityData, VulnerabilityStatus};
use pyaudit::graph::{Graph, GroupSelection};
use pyaudit::lockfile::detect::parse_lockfile;
use pyaudit::policy::{self, Enrichment, PolicySettings, PopularNames};
use pyaudit_advisories::Vulnerability;
use pyaudit_cache::Timestamp;

mod support;
use support::{generated_uv_lock, median_of};

const DAY: i64 = 86_400_000;
const NOW: i64 = 20_782 * DAY; // 2026-11-25

fn vulnerability(key: &PackageKey, index: usize) -> Vulnerability {
    serde_json::from_value(serde_json::json!({
        "id": format!("PYSEC-2026-{index}"),
        "ids": [format!("PYSEC-2026-{index}"), format!("CVE-2026-{index}")],
        "record_ids": [format!("PYSEC-2026-{index}")],
        "package": key.name,
        "version": key.version.to_string(),
        "summary": "a generated advisory",
        "severity": { "rating": "high", "score": 7.5, "source": "cvss_v3", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" },
        "malicious": false,
        "fixed_versions": ["99.0"],
        "fix_hint": "99.0",
    }))
    .expect("a valid generated vulnerability")
}

fn metadata(key: &PackageKey, index: usize, worst: bool) -> PackageMetadata {
    let flagged = worst || index.is_multiple_of(10);
    let locked_upload = if flagged {
        NOW - 3 * DAY
    } else {
        NOW - 400 * DAY
    };
    PackageMetadata {
        project_status: if flagged {
            ProjectStatusInfo::Reported {
                status: "archived".into(),
                reason: Some("moved".into()),
            }
        } else {
            ProjectStatusInfo::Active
        },
        yanked: None,
        locked_version_listed: true,
        locked_upload_time: Some(Timestamp::from_unix_millis(locked_upload)),
        first_upload_time: Some(Timestamp::from_unix_millis(NOW - 3_000 * DAY)),
        last_upload_time: Some(Timestamp::from_unix_millis(if flagged {
            NOW - 900 * DAY
        } else {
            NOW - 30 * DAY
        })),
        newest_version: Some(if flagged {
            Version::new([key.version.release()[0] + 3, 0, 0])
        } else {
            key.version.clone()
        }),
        newest_upload_time: Some(Timestamp::from_unix_millis(NOW - 30 * DAY)),
        classifiers_inactive: Some(flagged),
        info_version: Some(key.version.to_string()),
        license: Some(LicenseInfo {
            expression: Some(
                if flagged {
                    "GPL-3.0-only"
                } else {
                    "MIT OR Apache-2.0"
                }
                .into(),
            ),
            source: LicenseSource::Pep639,
            raw: String::new(),
            of_version: key.version.to_string(),
            assumed: false,
            note: None,
            read_from: LicenseOrigin::ProjectJson,
        }),
        as_of: Timestamp::from_unix_millis(NOW - DAY),
        stale: false,
    }
}

fn settings() -> PolicySettings {
    let config = config::parse(
        Path::new("pyaudit.toml"),
        r#"
[vulnerabilities]
deny-from = "medium"
dev-deny-from = "critical"
[licenses]
allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]
deny = ["GPL-3.0-only"]
[sources]
allowed-indexes = ["https://pypi.org/simple"]
require-hashes = true
[[bans]]
package = "package-42"
reason = "benchmark"
[[ignore]]
rule = "PA207"
package = "package-10"
reason = "benchmark"
"#,
    )
    .expect("benchmark config parses");
    PolicySettings::from_config(config, Timestamp::from_unix_millis(NOW))
}

fn main() {
    let popular = {
        let seed =
            std::fs::read_to_string("data/popular-seed.txt").expect("run from the crate root");
        PopularNames::new(
            seed.lines().filter(|line| !line.starts_with('#')),
            Vec::new(),
        )
    };
    let settings = settings();
    // `cargo bench --bench policy -- 5000` runs only the cases whose label contains "5000".
    let filter: Option<String> = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    for packages in [500, 5_000] {
        let text = generated_uv_lock(packages);
        let graph = Graph::build(parse_lockfile(Path::new("uv.lock"), &text).expect("parses"));
        let plan = policy::plan(&graph, false, &GroupSelection::All);
        let pristine = graph.clone();
        for worst in [false, true] {
            let label = format!("{packages} {}", if worst { "worst" } else { "typical" });
            if filter
                .as_ref()
                .is_some_and(|filter| !label.contains(filter.as_str()))
            {
                continue;
            }
            let mut vulnerabilities = VulnerabilityData::default();
            let mut metadata_data = MetadataData::default();
            for (position, (_, key)) in plan.targets.iter().enumerate() {
                let found = if worst || position.is_multiple_of(20) {
                    vec![vulnerability(key, position)]
                } else {
                    Vec::new()
                };
                vulnerabilities.packages.insert(
                    key.clone(),
                    VulnerabilityStatus::Checked {
                        vulnerabilities: found,
                    },
                );
                metadata_data.packages.insert(
                    key.clone(),
                    MetadataStatus::Available(Box::new(metadata(key, position, worst))),
                );
            }
            let enrichment = Enrichment {
                vulnerabilities: &vulnerabilities,
                metadata: Some(&metadata_data),
                popular: &popular,
            };
            // A real run evaluates each graph once, so the paths a graph memoizes are paid for
            // in every measured run: each run gets a fresh, never-evaluated copy.
            let mut findings = 0;
            let runs = if packages > 1_000 { 21 } else { 51 };
            let time = median_of(runs, || {
                let graph = pristine.clone();
                let start = Instant::now();
                let report = policy::evaluate(&graph, &plan, &enrichment, &settings);
                let elapsed = start.elapsed();
                findings = black_box(report.findings.len());
                elapsed
            });
            println!(
                "policy {packages:>5} packages, {:<7}: {:>8.2} ms ({findings} findings)",
                if worst { "worst" } else { "typical" },
                time.as_secs_f64() * 1e3
            );
        }
    }
}
