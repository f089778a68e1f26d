//! Blockers from the packages that depend on a vulnerable one: each dependent's requirement on it,
//! read from the locked release's core metadata (PEP 658 `.metadata`, else the JSON API's
//! `requires_dist` — the reader `pyaudit review` uses, through the cache), and when that
//! requirement keeps the target out, the smallest later release of the dependent whose own
//! requirement lets it in.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use serde::Serialize;

use crate::lockfile::Location;
use crate::lockfile::pyproject::parse_pep508;
use crate::review::resolve::{MetadataRequest, Registry, ReleaseCandidate};

/// How many later releases of a dependent are read, at most, looking for one that admits the
/// target; a bound on requests for a project with hundreds of releases.
const MAX_RELEASES_READ: usize = 60;
/// Releases read per batch (one parallel fetch each).
const BATCH: usize = 8;

/// A package of the lock that depends on the vulnerable one.
#[derive(Debug, Clone)]
pub struct Dependent {
    pub name: PackageName,
    pub version: Version,
    /// Its edge to the vulnerable package is a main dependency.
    pub main: bool,
    /// Its extras (normalized) whose dependencies hold the edge.
    pub extras: Vec<String>,
}

/// A dependent whose requirement keeps the target out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependentBlock {
    pub name: String,
    pub version: String,
    /// The requirement as its metadata writes it (`urllib3<1.24,>=1.21.1`).
    pub requirement: String,
    /// Where the requirement was read (a `.metadata` file or a JSON API URL).
    pub read_from: String,
    /// The smallest later release whose requirement admits the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    /// Why no upgrade is named (none admits it, or the releases could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_note: Option<String>,
}

/// What the dependents say about one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependentsCheck {
    pub blocks: Vec<DependentBlock>,
    /// Dependents whose requirements could not be read, with the reason: the target is not
    /// known to be reachable through them.
    pub unverified: Vec<String>,
}

/// A release's requirements and where they were read.
struct Requirements {
    lines: Vec<String>,
    read_from: String,
}

/// Check every dependent of `name` against `target`.
pub fn check(
    registry: &mut dyn Registry,
    name: &PackageName,
    target: &Version,
    dependents: &[Dependent],
) -> DependentsCheck {
    let mut result = DependentsCheck::default();
    if dependents.is_empty() {
        return result;
    }
    let names: Vec<String> = dependents
        .iter()
        .map(|dependent| dependent.name.to_string())
        .collect();
    let projects = registry.projects(&names);
    for (dependent, project) in dependents.iter().zip(projects) {
        let label = format!("{}=={}", dependent.name, dependent.version);
        let project = match project {
            Ok(project) => project,
            Err(reason) => {
                result.unverified.push(format!(
                    "{label}: its releases could not be read ({reason})"
                ));
                continue;
            }
        };
        let locked = project.releases.iter().find(|release| {
            Version::from_str(&release.version).ok().as_ref() == Some(&dependent.version)
        });
        let locked_requirements = match locked {
            Some(release) => read_requirements(registry, &dependent.name, &[release])
                .pop()
                .unwrap_or_else(|| Err("not looked up".into())),
            None => {
                read_requirements_json(registry, &dependent.name, &[dependent.version.to_string()])
                    .pop()
                    .unwrap_or_else(|| Err("not looked up".into()))
            }
        };
        let requirements = match locked_requirements {
            Ok(requirements) => requirements,
            Err(reason) => {
                result.unverified.push(format!(
                    "{label}: its requirements could not be read ({reason})"
                ));
                continue;
            }
        };
        let Some(requirement) = excluding(&requirements.lines, name, target, dependent) else {
            continue;
        };
        let (upgrade, upgrade_note) =
            smallest_admitting(registry, dependent, &project.releases, name, target);
        result.blocks.push(DependentBlock {
            name: dependent.name.to_string(),
            version: crate::lockfile::version_text(&dependent.version),
            requirement,
            read_from: requirements.read_from,
            upgrade: upgrade.map(|version| crate::lockfile::version_text(&version)),
            upgrade_note,
        });
    }
    result
}

/// The first later release of `dependent` whose requirement on `name` admits `target`.
fn smallest_admitting(
    registry: &mut dyn Registry,
    dependent: &Dependent,
    releases: &[ReleaseCandidate],
    name: &PackageName,
    target: &Version,
) -> (Option<Version>, Option<String>) {
    let allow_pre = dependent.version.any_prerelease();
    let mut later: Vec<(Version, &ReleaseCandidate)> = releases
        .iter()
        .filter(|release| !release.yanked && release.files > 0)
        .filter_map(|release| Some((Version::from_str(&release.version).ok()?, release)))
        .filter(|(version, _)| *version > dependent.version)
        .filter(|(version, _)| allow_pre || !version.any_prerelease())
        .collect();
    later.sort_by(|left, right| left.0.cmp(&right.0));
    let total = later.len();
    later.truncate(MAX_RELEASES_READ);
    let mut unread = Vec::new();
    for batch in later.chunks(BATCH) {
        let candidates: Vec<&ReleaseCandidate> =
            batch.iter().map(|(_, release)| *release).collect();
        let answers = read_requirements(registry, &dependent.name, &candidates);
        for ((version, _), answer) in batch.iter().zip(answers) {
            match answer {
                Ok(requirements) => {
                    if excluding(&requirements.lines, name, target, dependent).is_none() {
                        return (Some(version.clone()), None);
                    }
                }
                Err(reason) => unread.push(format!("{version} ({reason})")),
            }
        }
    }
    let note = if !unread.is_empty() {
        format!(
            "no later release read admits it; the requirements of {} could not be read",
            unread.join(", ")
        )
    } else if total > MAX_RELEASES_READ {
        format!("none of the next {MAX_RELEASES_READ} releases admits it")
    } else if total == 0 {
        "no later release".to_owned()
    } else {
        "no later release admits it".to_owned()
    };
    (None, Some(note))
}

/// The requirement on `name` among `lines` that applies to `dependent`'s edge and keeps
/// `target` out, as written.
fn excluding(
    lines: &[String],
    name: &PackageName,
    target: &Version,
    dependent: &Dependent,
) -> Option<String> {
    let nowhere = Location::new("requires-dist", 0);
    lines.iter().find_map(|line| {
        let declared = parse_pep508(line, nowhere.clone()).ok()?;
        if declared.name != *name {
            return None;
        }
        let extras = marker_extras(declared.marker.as_deref().unwrap_or_default());
        let applies = if extras.is_empty() {
            dependent.main
        } else {
            extras.iter().any(|extra| dependent.extras.contains(extra))
        };
        let constraint = declared.constraint.as_deref()?;
        let specifiers = VersionSpecifiers::from_str(constraint).ok()?;
        (applies && !specifiers.contains(target)).then(|| line.clone())
    })
}

/// The extras a marker names (`extra == "socks"`), normalized.
fn marker_extras(marker: &str) -> Vec<String> {
    let mut extras = Vec::new();
    let mut rest = marker;
    while let Some(position) = rest.find("extra") {
        rest = &rest[position + "extra".len()..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix("==") else {
            continue;
        };
        let after = after.trim_start();
        let Some(quote) = after
            .chars()
            .next()
            .filter(|quote| *quote == '"' || *quote == '\'')
        else {
            continue;
        };
        if let Some(end) = after[1..].find(quote) {
            extras.push(normalize_extra(&after[1..1 + end]));
        }
    }
    extras
}

fn normalize_extra(extra: &str) -> String {
    let mut out = String::new();
    for character in extra.trim().chars() {
        if "-_.".contains(character) {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(character.to_ascii_lowercase());
        }
    }
    out
}

/// The requirements of `releases`: their core metadata where the index serves it, else (or when
/// it cannot be fetched) the JSON API's `requires_dist`. A metadata file refused for its digest
/// is not replaced by another source.
fn read_requirements(
    registry: &mut dyn Registry,
    name: &PackageName,
    releases: &[&ReleaseCandidate],
) -> Vec<Result<Requirements, String>> {
    let mut answers: Vec<Option<Result<Requirements, String>>> =
        releases.iter().map(|_| None).collect();
    let with_file: Vec<usize> = (0..releases.len())
        .filter(|&index| releases[index].metadata.is_some())
        .collect();
    let requests: Vec<MetadataRequest> = with_file
        .iter()
        .filter_map(|&index| {
            Some(MetadataRequest {
                name: name.to_string(),
                version: releases[index].version.clone(),
                file: releases[index].metadata.clone()?,
            })
        })
        .collect();
    for ((&index, request), answer) in with_file
        .iter()
        .zip(&requests)
        .zip(registry.metadata(&requests))
    {
        answers[index] = match answer {
            Ok(metadata) => Some(Ok(Requirements {
                lines: metadata.requires_dist,
                read_from: request.file.url.clone(),
            })),
            Err(error) if error.refused => Some(Err(error.reason)),
            Err(_) => None,
        };
    }
    let fallback: Vec<usize> = (0..releases.len())
        .filter(|&index| answers[index].is_none())
        .collect();
    let versions: Vec<String> = fallback
        .iter()
        .map(|&index| releases[index].version.clone())
        .collect();
    for (&index, answer) in fallback
        .iter()
        .zip(read_requirements_json(registry, name, &versions))
    {
        answers[index] = Some(answer);
    }
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err("not looked up".into())))
        .collect()
}

fn read_requirements_json(
    registry: &mut dyn Registry,
    name: &PackageName,
    versions: &[String],
) -> Vec<Result<Requirements, String>> {
    if versions.is_empty() {
        return Vec::new();
    }
    let keys: Vec<(String, String)> = versions
        .iter()
        .map(|version| (name.to_string(), version.clone()))
        .collect();
    registry
        .releases(&keys)
        .into_iter()
        .map(|answer| {
            answer.map(|release| Requirements {
                lines: release.requires_dist.unwrap_or_default(),
                read_from: release.url,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::review::core_metadata::CoreMetadata;
    use crate::review::resolve::{MetadataError, MetadataFile, ProjectReleases, ReleaseJson};

    /// A registry of one project whose releases require what `requirements` says; releases
    /// listed in `json_only` have no metadata file (the JSON API answers for them).
    struct Fake {
        requirements: BTreeMap<String, Vec<String>>,
        json_only: Vec<String>,
        metadata_reads: usize,
        json_reads: usize,
    }

    impl Registry for Fake {
        fn projects(&mut self, names: &[String]) -> Vec<Result<ProjectReleases, String>> {
            names
                .iter()
                .map(|name| {
                    Ok(ProjectReleases {
                        name: name.clone(),
                        info_version: String::new(),
                        info_requires_dist: None,
                        releases: self
                            .requirements
                            .keys()
                            .map(|version| ReleaseCandidate {
                                version: version.clone(),
                                files: 1,
                                yanked: false,
                                requires_python: None,
                                uploaded: None,
                                metadata: (!self.json_only.contains(version)).then(|| {
                                    MetadataFile {
                                        url: format!("/files/{name}-{version}.whl.metadata"),
                                        sha256: None,
                                    }
                                }),
                            })
                            .collect(),
                    })
                })
                .collect()
        }

        fn metadata(
            &mut self,
            requests: &[MetadataRequest],
        ) -> Vec<Result<CoreMetadata, MetadataError>> {
            self.metadata_reads += requests.len();
            requests
                .iter()
                .map(|request| {
                    Ok(CoreMetadata {
                        requires_dist: self.requirements[&request.version].clone(),
                        ..CoreMetadata::default()
                    })
                })
                .collect()
        }

        fn releases(&mut self, releases: &[(String, String)]) -> Vec<Result<ReleaseJson, String>> {
            self.json_reads += releases.len();
            releases
                .iter()
                .map(|(_, version)| {
                    Ok(ReleaseJson {
                        requires_dist: Some(self.requirements[version].clone()),
                        requires_python: None,
                        url: format!("/pypi/requests/{version}/json"),
                    })
                })
                .collect()
        }
    }

    fn requests_registry() -> Fake {
        let mut requirements = BTreeMap::new();
        for (version, urllib3) in [
            ("2.19.0", "urllib3<1.24,>=1.21.1"),
            ("2.20.0", "urllib3<1.25,>=1.21.1"),
            ("2.24.0", "urllib3!=1.25.0,!=1.25.1,<1.26,>=1.21.1"),
            ("2.25.0", "urllib3<1.27,>=1.21.1"),
            ("2.26.0", "urllib3<1.27,>=1.21.1"),
        ] {
            requirements.insert(
                version.to_owned(),
                vec![
                    urllib3.to_owned(),
                    "PySocks>=1.5.6; extra == \"socks\"".to_owned(),
                ],
            );
        }
        Fake {
            requirements,
            json_only: vec!["2.19.0".into(), "2.20.0".into()],
            metadata_reads: 0,
            json_reads: 0,
        }
    }

    fn name(text: &str) -> PackageName {
        PackageName::new(text.to_owned()).unwrap()
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    #[test]
    fn a_dependent_pin_blocks_and_its_smallest_admitting_upgrade_is_named() {
        let mut registry = requests_registry();
        let dependent = Dependent {
            name: name("requests"),
            version: version("2.19.0"),
            main: true,
            extras: Vec::new(),
        };
        let check = check(
            &mut registry,
            &name("urllib3"),
            &version("1.26.17"),
            std::slice::from_ref(&dependent),
        );
        assert_eq!(check.unverified, Vec::<String>::new());
        let block = &check.blocks[0];
        assert_eq!(block.requirement, "urllib3<1.24,>=1.21.1");
        assert_eq!(block.read_from, "/pypi/requests/2.19.0/json");
        assert_eq!(block.upgrade.as_deref(), Some("2.25.0"));
        // The target inside the dependent's range: no block.
        let check2 = super::check(
            &mut registry,
            &name("urllib3"),
            &version("1.23"),
            &[dependent],
        );
        assert!(check2.blocks.is_empty());
        // A requirement under an extra the lock does not use does not block.
        let check3 = super::check(
            &mut registry,
            &name("pysocks"),
            &version("1.0"),
            &[Dependent {
                name: name("requests"),
                version: version("2.19.0"),
                main: true,
                extras: Vec::new(),
            }],
        );
        assert!(check3.blocks.is_empty());
        let check4 = super::check(
            &mut registry,
            &name("pysocks"),
            &version("1.0"),
            &[Dependent {
                name: name("requests"),
                version: version("2.19.0"),
                main: false,
                extras: vec!["socks".into()],
            }],
        );
        assert_eq!(check4.blocks[0].upgrade, None);
        assert_eq!(
            check4.blocks[0].upgrade_note.as_deref(),
            Some("no later release admits it")
        );
    }

    #[test]
    fn extras_are_read_from_markers() {
        assert_eq!(marker_extras("extra == \"socks\""), ["socks"]);
        assert_eq!(
            marker_extras("python_version < '3' and extra == 'Use_Chardet'"),
            ["use-chardet"]
        );
        assert!(marker_extras("python_version < \"3\"").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn marker_extras_never_panics(marker in "\\PC{0,60}") {
            let _ = marker_extras(&marker);
        }
    }
}
