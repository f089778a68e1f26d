//! The Simple API (PEP 691 JSON with PEP 700 `versions` and `upload-time`) stands in for the
//! JSON API's per-release file lists: on the recorded real answers of `pypi/` in the corpus, the
//! releases read from the Simple API's files carry the same facts as the JSON API's `releases`.

use std::collections::BTreeMap;

use crate::support::corpus::pypi_dir;
use pyaudit::fetch::pypi::{parse_project_json, parse_simple};
use pyaudit::review::resolve::{ProjectReleases, ReleaseCandidate};

/// The only disagreements on the recorded answers, each a fact of the data:
///
/// urllib3's release `0.2` holds one file, `urllib3-0.3.tar.gz` (an upload of 2009, when PyPI
/// let a release hold a file named for another version), and `0.3` holds none. The Simple API
/// lists files without their release, so the file counts for the `0.3` its name says, as pip
/// and uv count it.
const KNOWN_DIFFERENCES: &[&str] = &[
    "urllib3 0.2: only the JSON API has files for it",
    "urllib3 0.3: only the Simple API has files for it",
];

/// The recorded projects that have both answers.
fn recorded_projects() -> Vec<String> {
    let directory = pypi_dir();
    let mut names: Vec<String> = std::fs::read_dir(&directory)
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let name = file.strip_suffix(".simple.json")?.to_owned();
            directory
                .join(format!("{name}.json"))
                .is_file()
                .then_some(name)
        })
        .collect();
    names.sort();
    names
}

fn both_answers(name: &str) -> (ProjectReleases, ProjectReleases) {
    let read = |file: String| std::fs::read(pypi_dir().join(file)).unwrap();
    let json = parse_project_json(&read(format!("{name}.json")))
        .unwrap_or_else(|error| panic!("{name}.json: {error}"));
    let simple = parse_simple(&read(format!("{name}.simple.json")))
        .unwrap_or_else(|error| panic!("{name}.simple.json: {error}"));
    (
        ProjectReleases::from_document(name, &json),
        ProjectReleases::from_simple(name, &simple),
    )
}

/// The releases that have files, by version.
fn with_files(project: &ProjectReleases) -> BTreeMap<&str, &ReleaseCandidate> {
    project
        .releases
        .iter()
        .filter(|release| release.files > 0)
        .map(|release| (release.version.as_str(), release))
        .collect()
}

fn is_absolute(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Where the two answers for one project disagree, one line per fact.
fn differences(name: &str, json: &ProjectReleases, simple: &ProjectReleases) -> Vec<String> {
    let (json, simple) = (with_files(json), with_files(simple));
    let mut differences = Vec::new();
    for version in json.keys().filter(|version| !simple.contains_key(*version)) {
        differences.push(format!(
            "{name} {version}: only the JSON API has files for it"
        ));
    }
    for version in simple.keys().filter(|version| !json.contains_key(*version)) {
        differences.push(format!(
            "{name} {version}: only the Simple API has files for it"
        ));
    }
    for (version, ours) in &simple {
        let Some(theirs) = json.get(version) else {
            continue;
        };
        let mut differ = |fact: &str, json: String, simple: String| {
            if json != simple {
                differences.push(format!(
                    "{name} {version}: {fact} is {json} in the JSON API, {simple} in the Simple API"
                ));
            }
        };
        differ("files", theirs.files.to_string(), ours.files.to_string());
        differ("yanked", theirs.yanked.to_string(), ours.yanked.to_string());
        differ(
            "requires_python",
            format!("{:?}", theirs.requires_python),
            format!("{:?}", ours.requires_python),
        );
        differ(
            "uploaded",
            format!("{:?}", theirs.uploaded),
            format!("{:?}", ours.uploaded),
        );
        if let (Some(theirs), Some(ours)) = (&theirs.metadata, &ours.metadata)
            && is_absolute(&theirs.url)
            && is_absolute(&ours.url)
        {
            differ("metadata", format!("{theirs:?}"), format!("{ours:?}"));
        }
    }
    differences
}

#[test]
fn simple_api_releases_match_the_json_api_on_recorded_answers() {
    let projects = recorded_projects();
    assert_eq!(
        projects.len(),
        12,
        "the corpus records 12 projects: {projects:?}"
    );
    let mut found = Vec::new();
    let mut releases_compared = 0;
    for name in &projects {
        let (json, simple) = both_answers(name);
        releases_compared += with_files(&json).len();
        found.extend(differences(name, &json, &simple));
    }
    assert!(
        releases_compared > 500,
        "{releases_compared} releases compared"
    );
    let unexpected: Vec<&String> = found
        .iter()
        .filter(|difference| !KNOWN_DIFFERENCES.contains(&difference.as_str()))
        .collect();
    let gone: Vec<&&str> = KNOWN_DIFFERENCES
        .iter()
        .filter(|known| !found.iter().any(|difference| difference == *known))
        .collect();
    assert!(
        unexpected.is_empty() && gone.is_empty(),
        "the Simple API's releases differ from the JSON API's:\n  {}\nknown differences no \
         longer found:\n  {}",
        unexpected
            .iter()
            .map(|difference| difference.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        gone.iter()
            .map(|known| **known)
            .collect::<Vec<_>>()
            .join("\n  "),
    );
}

/// Every version the JSON API lists, with files or not, is a release of the Simple API's too
/// (PEP 700 `versions`), so a locked version without files is still known to exist.
#[test]
fn simple_api_lists_every_release_the_json_api_lists() {
    for name in recorded_projects() {
        let (json, simple) = both_answers(&name);
        let listed = |project: &ProjectReleases| -> Vec<String> {
            let mut versions: Vec<String> = project
                .releases
                .iter()
                .map(|release| release.version.clone())
                .collect();
            versions.sort();
            versions
        };
        assert_eq!(listed(&json), listed(&simple), "{name}");
    }
}

/// Without `info`, the newest installable release stands in for `info.version`; PyPI's own
/// choice agrees on every recorded project.
#[test]
fn simple_api_newest_release_is_the_json_api_info_version() {
    for name in recorded_projects() {
        let (json, simple) = both_answers(&name);
        assert_eq!(simple.info_version, json.info_version, "{name}");
        assert_eq!(simple.info_requires_dist, None, "{name}");
    }
}
