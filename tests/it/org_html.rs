//! The org HTML a security team reads at a glance: advisories grouped per package version with the
//! one version that fixes them all, the data sources first, and the night-over-night history as an
//! inline SVG chart with one point per recorded run. Loopback server and temporary directories.

use std::path::Path;

use serde_json::{Value, json};

use crate::org::org;
use crate::support::server::Served;

fn record(id: &str, package: &str, fixed: Option<&str>, severity: Option<&str>) -> Value {
    let mut events = vec![json!({"introduced": "0"})];
    if let Some(fixed) = fixed {
        events.push(json!({"fixed": fixed}));
    }
    let mut record = json!({
        "id": id,
        "modified": "2024-04-11T00:00:00Z",
        "summary": format!("{id} <b>summary</b>"),
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": events}]
        }]
    });
    if let Some(severity) = severity {
        record["database_specific"] = json!({"severity": severity});
    }
    record
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The page's one `<svg>…</svg>`.
fn svg(page: &str) -> &str {
    let start = page.find("<svg").expect("no chart");
    let end = page[start..].find("</svg>").expect("unclosed chart") + start + "</svg>".len();
    &page[start..end]
}

/// Tags close in the order they open; no raw `<` or `&` in text (a small XML well-formedness
/// check; the unit tests of the chart run a stricter one).
fn balanced(xml: &str) -> bool {
    let mut open = Vec::new();
    for piece in xml.split('<').skip(1) {
        let Some((tag, text)) = piece.split_once('>') else {
            return false;
        };
        if text.contains('>') || text.replace("&amp;", "").replace("&lt;", "").contains('&') {
            return false;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name.to_string()) {
                return false;
            }
        } else if !tag.ends_with('/') {
            open.push(tag.split(' ').next().unwrap_or("").to_string());
        }
    }
    open.is_empty()
}

#[test]
fn groups_advisories_per_package_version_and_charts_every_recorded_run() {
    let server = Served::start();
    // Two fixes for idna 3.6: PEP 440 order says 3.10 fixes both (string order would say 3.7).
    server.add_record(record("PYSEC-G-1", "idna", Some("3.7"), Some("HIGH")));
    server.add_record(record("PYSEC-G-2", "idna", Some("3.10"), Some("MODERATE")));
    server.add_record(record("PYSEC-G-3", "idna", Some("3.6.1"), None));
    // urllib3: one advisory names no fix, so no single version fixes all.
    server.add_record(record("PYSEC-U-1", "urllib3", Some("2.2.2"), Some("LOW")));
    server.add_record(record("PYSEC-U-2", "urllib3", None, None));
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    for name in ["alpha", "beta"] {
        std::fs::create_dir_all(root.join(name).join(".git")).unwrap();
    }
    write(
        &root.join("alpha/requirements.txt"),
        "idna==3.6\nurllib3==2.0.0\n",
    );
    write(&root.join("beta/requirements.txt"), "idna==3.6\n");
    let cache = work.path().join("cache");
    let html = work.path().join("report.html");
    let markdown = work.path().join("summary.md");
    let runs = 3;
    let mut report = Value::Null;
    for _ in 0..runs {
        let extra = [
            "--html",
            html.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ];
        let output = org(&cache, &server, &root, &extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        report = serde_json::from_slice(&output.stdout).unwrap();
    }
    let page = std::fs::read_to_string(&html).unwrap();

    // One row per package version instead of one per advisory, each advisory still reachable.
    assert_eq!(page.matches("<tr class=\"advisory-group\">").count(), 2);
    assert!(
        page.contains(
            "<b>idna==3.6</b> — 3 advisories, highest high (1 of unknown severity), all fixed in \
             3.10<details><summary>3 advisories</summary>"
        ),
        "{page}"
    );
    assert!(
        page.contains(
            "<b>urllib3==2.0.0</b> — 2 advisories, highest low (1 of unknown severity), \
             no single version fixes all"
        ),
        "{page}"
    );
    for id in [
        "PYSEC-G-1",
        "PYSEC-G-2",
        "PYSEC-G-3",
        "PYSEC-U-1",
        "PYSEC-U-2",
    ] {
        assert!(page.contains(&format!(">{id}</a>")), "{id} not reachable");
    }
    // The Markdown summary groups the same way.
    let summary = std::fs::read_to_string(&markdown).unwrap();
    let rows: Vec<&str> = summary
        .lines()
        .filter(|line| line.contains(" advisories, highest "))
        .collect();
    assert_eq!(rows.len(), 2, "{summary}");
    assert!(
        rows[0].starts_with("| idna==3.6 — 3 advisories") && rows[0].contains("all fixed in 3.10"),
        "{summary}"
    );
    assert!(
        rows[1].contains("no single version fixes all") && rows[1].ends_with("| 1 (1) |"),
        "{summary}"
    );
    // idna reaches both repositories; the group row says so.
    assert!(page.contains("</table></details></td><td class=\"n\">2</td><td class=\"n\">2</td>"));
    assert!(!page.contains("<b>summary</b>"), "untrusted text escaped");
    // The JSON keeps one entry per advisory.
    assert_eq!(report["advisories"].as_array().unwrap().len(), 5);

    // The data sources and their age come before the numbers.
    let sources = page.find("id=\"data-sources\"").expect("no data sources");
    assert!(sources < page.find("id=\"summary\"").unwrap());
    assert!(page[sources..].contains("<li>"), "{page}");

    // The chart: well formed, one point per run in each series, no script or external resource.
    let chart = svg(&page);
    assert!(balanced(chart), "{chart}");
    for series in ["deny", "warn", "failing"] {
        let group = chart
            .split(&format!("<g class=\"series {series}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {series} series"));
        let group = &group[..group.find("</g>").unwrap()];
        assert_eq!(group.matches("<circle").count(), runs, "{series}");
    }
    // Every run: one deny finding per advisory and repository (alpha 3 + 2, beta 3), both
    // repositories failing.
    assert!(chart.contains(": 8 deny findings</title>"), "{chart}");
    assert!(
        chart.contains(": 2 repositories failing</title>"),
        "{chart}"
    );
    assert!(!chart.contains("<script") && !chart.contains("href"));
}

#[test]
fn a_first_run_is_one_point_per_series_and_a_lone_advisory_reads_fixed_in() {
    let server = Served::start();
    server.add_record(record("PYSEC-G-1", "idna", Some("3.7"), None));
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("org");
    std::fs::create_dir_all(root.join("alpha/.git")).unwrap();
    write(&root.join("alpha/requirements.txt"), "idna==3.6\n");
    let html = work.path().join("report.html");
    let first = org(
        &work.path().join("cache"),
        &server,
        &root,
        &["--html", html.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(first.status.code(), Some(1));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        svg(&page).matches("<circle").count(),
        3,
        "one run, three series"
    );
    assert!(page.contains("<b>idna==3.6</b> — 1 advisory, highest unknown, fixed in 3.7"));
}
