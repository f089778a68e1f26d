//! The plain data of an organisation-wide audit: one report per repository (its lockfiles'
//! reports, or why a lockfile could not be read) and the org-level views computed from them —
//! advisories by blast radius, repositories by risk, the license and maintenance censuses.
//! No I/O; every list comes out in a deterministic order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::findings::{Evidence, Finding, Level, MALICIOUS_PACKAGE, VULNERABILITY};
use crate::graph::Class;
use crate::policy::{LockReport, MaintenanceProblem};

/// The audit of one repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoReport {
    pub name: String,
    pub path: String,
    /// The config file its findings were evaluated with (its own, else the org's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    pub lockfiles: Vec<LockReport>,
    /// Lockfiles (or the config) that could not be read; the rest of the repository is audited.
    pub errors: Vec<RepoError>,
}

/// A lockfile or config that could not be read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoError {
    pub path: String,
    pub message: String,
}

impl RepoReport {
    pub fn findings(&self) -> impl Iterator<Item = (&LockReport, &Finding)> {
        self.lockfiles.iter().flat_map(|lockfile| {
            lockfile
                .findings
                .iter()
                .map(move |finding| (lockfile, finding))
        })
    }

    pub fn denied(&self) -> bool {
        self.lockfiles.iter().any(LockReport::denied)
    }
}

/// Totals over the whole organisation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrgSummary {
    pub repositories: usize,
    /// Repositories with at least one deny-level finding.
    pub repositories_failing: usize,
    pub lockfiles: usize,
    /// Lockfiles that could not be read (reported per repository).
    pub unreadable: usize,
    /// Lock entries over every lockfile (roots excluded).
    pub packages: usize,
    /// Distinct `name==version` pairs audited, each enriched once.
    pub unique_packages: usize,
    pub deny: usize,
    pub warn: usize,
    /// Findings per rule code.
    pub by_rule: BTreeMap<&'static str, usize>,
}

/// Where an advisory reaches: one repository's lockfile, the package and its path from a root.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    pub repository: String,
    pub lockfile: String,
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub class: Class,
    pub level: Level,
    pub path: Vec<String>,
}

/// One vulnerability (or malicious-package record) across the organisation.
#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryImpact {
    pub id: String,
    /// Every id of the vulnerability (PYSEC, GHSA, CVE, …).
    pub ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `critical`, `high`, `medium`, `low`, `none`, or absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub malicious: bool,
    /// Repositories it reaches at all, and those where it is installed in production.
    pub repositories: usize,
    pub prod_repositories: usize,
    /// Affected `name==version` pairs.
    pub packages: Vec<String>,
    /// The smallest version that fixes every affected pair, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub reaches: Vec<Reach>,
    /// Per affected `name==version` pair, the smallest version that fixes it (`None` when the
    /// advisory names none): what the per-package grouping of the reports compares.
    #[serde(skip)]
    pub fixes: BTreeMap<String, Option<String>>,
    /// Malicious, then rating and score: the severity order, unknown lowest.
    #[serde(skip)]
    pub(super) rank: (u32, u32),
}

/// One repository's risk, for the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct RepoRisk {
    pub repository: String,
    /// Weighted findings: see [`risk_weight`].
    pub score: u64,
    pub deny: usize,
    pub warn: usize,
    pub vulnerabilities: usize,
    pub malicious: usize,
    pub unreadable: usize,
}

/// How many distinct packages and repositories carry one license (or maintenance problem).
#[derive(Debug, Clone, Serialize)]
pub struct LicenseCount {
    /// The SPDX expression, or `unknown`.
    pub license: String,
    pub packages: usize,
    pub repositories: usize,
}

/// A yanked / archived / deprecated / quarantined / unmaintained / inactive package.
#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceEntry {
    pub code: &'static str,
    pub rule: &'static str,
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub message: String,
    pub repositories: Vec<String>,
}

/// Whether the censuses ran, and how much of the org they cover.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CensusStatus {
    pub state: CensusState,
    /// Unique `name==version` pairs the censuses cover.
    pub packages: usize,
    /// Of those, how many had no PyPI metadata (offline and not cached, or PyPI failed): they
    /// count as `unchecked` in the license census and may hide a maintenance problem.
    pub unchecked: usize,
    /// The unchecked `name==version` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked_packages: Vec<String>,
    /// Why the censuses were skipped or are partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CensusState {
    /// Every package's metadata was read.
    Complete,
    /// Some packages could not be checked (`unchecked`).
    Partial,
    /// Not computed (`--no-census`).
    #[default]
    Skipped,
}

/// One unique package as the censuses see it.
#[derive(Debug, Clone)]
pub struct CensusPackage {
    pub name: String,
    pub version: String,
    /// The SPDX expression, `unknown` when PyPI's metadata maps to none; `None` when there was
    /// no metadata at all (unchecked).
    pub license: Option<String>,
    /// Maintenance problems read from the metadata facts, whatever the rule levels.
    pub problems: Vec<MaintenanceProblem>,
}

/// The license and maintenance censuses and their coverage.
#[derive(Debug, Clone, Default)]
pub struct Census {
    pub status: CensusStatus,
    /// `None` when skipped.
    pub licenses: Option<Vec<LicenseCount>>,
    pub maintenance: Vec<MaintenanceEntry>,
}

impl Census {
    /// The censuses were not computed, and why.
    pub fn skipped(note: &str) -> Self {
        Census {
            status: CensusStatus {
                note: Some(note.to_string()),
                ..CensusStatus::default()
            },
            ..Census::default()
        }
    }
}

/// The censuses over `packages` (the org's unique packages) and, per repository, its name and
/// the indices of the packages it locks. `unchecked_note` says why metadata may be missing.
pub fn census(
    packages: &[CensusPackage],
    repositories: &[(&str, &BTreeSet<u32>)],
    unchecked_note: &str,
) -> Census {
    let mut licenses: BTreeMap<&str, (BTreeSet<u32>, usize)> = BTreeMap::new();
    let mut maintenance: BTreeMap<(&'static str, &str, &str), MaintenanceEntry> = BTreeMap::new();
    for (repository, indices) in repositories {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for &index in indices.iter() {
            let Some(package) = packages.get(index as usize) else {
                continue;
            };
            let license = package.license.as_deref().unwrap_or("unchecked");
            let entry = licenses.entry(license).or_default();
            entry.0.insert(index);
            if seen.insert(license) {
                entry.1 += 1;
            }
            for problem in &package.problems {
                let entry = maintenance
                    .entry((problem.rule.code, &package.name, &package.version))
                    .or_insert_with(|| MaintenanceEntry {
                        code: problem.rule.code,
                        rule: problem.rule.name,
                        package: package.name.clone(),
                        version: Some(package.version.clone()),
                        message: problem.message.clone(),
                        repositories: Vec::new(),
                    });
                if entry.repositories.last().map(String::as_str) != Some(*repository) {
                    entry.repositories.push((*repository).to_string());
                }
            }
        }
    }
    let mut licenses: Vec<LicenseCount> = licenses
        .into_iter()
        .map(|(license, (packages, repositories))| LicenseCount {
            license: license.to_string(),
            packages: packages.len(),
            repositories,
        })
        .collect();
    licenses.sort_by(|left, right| {
        (right.packages, right.repositories)
            .cmp(&(left.packages, left.repositories))
            .then_with(|| left.license.cmp(&right.license))
    });
    let unchecked_packages: Vec<String> = packages
        .iter()
        .filter(|package| package.license.is_none())
        .map(|package| format!("{}=={}", package.name, package.version))
        .collect();
    let unchecked = unchecked_packages.len();
    Census {
        status: CensusStatus {
            state: if unchecked == 0 {
                CensusState::Complete
            } else {
                CensusState::Partial
            },
            packages: packages.len(),
            unchecked,
            unchecked_packages,
            note: (unchecked > 0).then(|| {
                format!(
                    "{unchecked} of {} packages unchecked: {unchecked_note}",
                    packages.len()
                )
            }),
        },
        licenses: Some(licenses),
        maintenance: maintenance.into_values().collect(),
    }
}

/// Everything org-level that the reporters show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrgAnalysis {
    pub summary: OrgSummary,
    pub advisories: Vec<AdvisoryImpact>,
    pub risk: Vec<RepoRisk>,
    /// `None` when the censuses were skipped (`--no-census`).
    pub licenses: Option<Vec<LicenseCount>>,
    /// Yanked, quarantined, archived, deprecated, unmaintained and inactive packages, from their
    /// metadata whatever the rule levels.
    pub maintenance: Vec<MaintenanceEntry>,
    /// Whether the censuses ran and how many packages they could not check.
    pub census: CensusStatus,
}

/// A finding's weight in a repository's risk score: malicious packages dominate, then
/// vulnerabilities by severity; production counts four times a dev-only finding. A package that
/// could not be checked at warn level (metadata missing offline) weighs nothing: it says
/// nothing about the repository, and would rank the biggest locks first.
pub fn risk_weight(finding: &Finding) -> u64 {
    let base = match &finding.evidence {
        Evidence::Unchecked { .. } if finding.level != Level::Deny => 0,
        Evidence::Vulnerability { vulnerability } if vulnerability.malicious => 400,
        Evidence::Vulnerability { vulnerability } => {
            match vulnerability
                .severity
                .as_ref()
                .map(|severity| severity.rating)
            {
                Some(pyaudit_advisories::Rating::Critical) => 40,
                Some(pyaudit_advisories::Rating::High) => 20,
                Some(pyaudit_advisories::Rating::Medium) => 8,
                Some(pyaudit_advisories::Rating::Low | pyaudit_advisories::Rating::None) => 3,
                None => 10,
            }
        }
        _ if finding.level == Level::Deny => 5,
        _ => 1,
    };
    let class = match finding.package.class {
        Class::Prod => 4,
        Class::Optional => 2,
        Class::Dev | Class::Unreachable => 1,
    };
    base * class
}

/// Compute the org-level views from the repositories' reports and the censuses.
pub fn analyse(repositories: &[RepoReport], unique_packages: usize, census: Census) -> OrgAnalysis {
    let mut summary = OrgSummary {
        repositories: repositories.len(),
        unique_packages,
        ..OrgSummary::default()
    };
    let mut advisories: BTreeMap<String, AdvisoryImpact> = BTreeMap::new();
    let mut advisory_repositories: BTreeMap<String, (BTreeSet<&str>, BTreeSet<&str>)> =
        BTreeMap::new();
    let mut risk = Vec::new();
    for repository in repositories {
        summary.lockfiles += repository.lockfiles.len() + repository.errors.len();
        summary.unreadable += repository.errors.len();
        if repository.denied() {
            summary.repositories_failing += 1;
        }
        let mut repo_risk = RepoRisk {
            repository: repository.name.clone(),
            score: 0,
            deny: 0,
            warn: 0,
            vulnerabilities: 0,
            malicious: 0,
            unreadable: repository.errors.len(),
        };
        for lockfile in &repository.lockfiles {
            summary.packages += lockfile.packages;
        }
        for (lockfile, finding) in repository.findings() {
            match finding.level {
                Level::Deny => {
                    summary.deny += 1;
                    repo_risk.deny += 1;
                }
                Level::Warn => {
                    summary.warn += 1;
                    repo_risk.warn += 1;
                }
                Level::Allow => {}
            }
            *summary.by_rule.entry(finding.code).or_default() += 1;
            repo_risk.score += risk_weight(finding);
            let Evidence::Vulnerability { vulnerability } = &finding.evidence else {
                continue;
            };
            if finding.code == MALICIOUS_PACKAGE.code {
                repo_risk.malicious += 1;
            } else if finding.code == VULNERABILITY.code {
                repo_risk.vulnerabilities += 1;
            }
            let label = match &finding.package.version {
                Some(version) => format!("{}=={version}", finding.package.name),
                None => finding.package.name.clone(),
            };
            let impact = advisories
                .entry(vulnerability.id.clone())
                .or_insert_with(|| AdvisoryImpact {
                    id: vulnerability.id.clone(),
                    ids: vulnerability.ids.clone(),
                    summary: vulnerability.summary.clone(),
                    severity: vulnerability
                        .severity
                        .as_ref()
                        .map(|severity| format!("{:?}", severity.rating).to_ascii_lowercase()),
                    score: vulnerability
                        .severity
                        .as_ref()
                        .and_then(|severity| severity.score),
                    malicious: vulnerability.malicious,
                    repositories: 0,
                    prod_repositories: 0,
                    packages: Vec::new(),
                    fix: finding.fix.as_ref().and_then(|fix| fix.version.clone()),
                    reaches: Vec::new(),
                    fixes: BTreeMap::new(),
                    rank: (
                        if vulnerability.malicious { 1 } else { 0 },
                        vulnerability.severity.as_ref().map_or(0, |severity| {
                            (severity.rating as u32 + 1) * 100
                                + severity.score.map_or(0, |score| (score * 10.0) as u32)
                        }),
                    ),
                });
            impact
                .fixes
                .entry(label.clone())
                .or_insert_with(|| finding.fix.as_ref().and_then(|fix| fix.version.clone()));
            if !impact.packages.contains(&label) {
                impact.packages.push(label);
            }
            impact.reaches.push(Reach {
                repository: repository.name.clone(),
                lockfile: lockfile.path.clone(),
                package: finding.package.name.clone(),
                version: finding.package.version.clone(),
                class: finding.package.class,
                level: finding.level,
                path: finding
                    .package
                    .path
                    .iter()
                    .map(|step| step.to_string())
                    .collect(),
            });
            let (all, prod) = advisory_repositories
                .entry(vulnerability.id.clone())
                .or_default();
            all.insert(&repository.name);
            if finding.package.class == Class::Prod {
                prod.insert(&repository.name);
            }
        }
        risk.push(repo_risk);
    }
    let mut advisories: Vec<AdvisoryImpact> = advisories
        .into_values()
        .map(|mut impact| {
            if let Some((all, prod)) = advisory_repositories.get(&impact.id) {
                impact.repositories = all.len();
                impact.prod_repositories = prod.len();
            }
            impact.packages.sort();
            impact
        })
        .collect();
    // Blast radius: production reach first, then any reach, then malicious, then severity.
    advisories.sort_by(|left, right| {
        (right.prod_repositories, right.repositories, right.rank)
            .cmp(&(left.prod_repositories, left.repositories, left.rank))
            .then_with(|| left.id.cmp(&right.id))
    });
    risk.sort_by(|left, right| {
        (right.score, right.deny, right.unreadable)
            .cmp(&(left.score, left.deny, left.unreadable))
            .then_with(|| left.repository.cmp(&right.repository))
    });
    OrgAnalysis {
        summary,
        advisories,
        risk,
        licenses: census.licenses,
        maintenance: census.maintenance,
        census: census.status,
    }
}

/// Each unique package's census facts: its license and its maintenance problems, read from its
/// metadata with the org's maintenance limits; no metadata is `unchecked`, never left out.
pub fn census_packages(
    targets: &[crate::enrich::PackageKey],
    metadata: &crate::enrich::metadata::MetadataData,
    maintenance: &crate::config::MaintenancePolicy,
    now: crate::time::Timestamp,
) -> Vec<CensusPackage> {
    targets
        .iter()
        .map(|key| {
            let found = metadata
                .packages
                .get(key)
                .and_then(|status| status.metadata());
            CensusPackage {
                name: key.name.clone(),
                version: key.version.to_string(),
                // The censuses ask the JSON API; a license not read is unchecked, not unknown.
                license: found.and_then(|found| {
                    found.license.as_ref().map(|license| {
                        license
                            .expression
                            .clone()
                            .unwrap_or_else(|| "unknown".to_string())
                    })
                }),
                problems: found.map_or_else(Vec::new, |found| {
                    crate::policy::census_problems(key, found, maintenance, now)
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{ARCHIVED_PROJECT, YANKED_VERSION};

    fn package(
        name: &str,
        license: Option<&str>,
        problems: Vec<MaintenanceProblem>,
    ) -> CensusPackage {
        CensusPackage {
            name: name.to_string(),
            version: "1.0".to_string(),
            license: license.map(str::to_string),
            problems,
        }
    }

    #[test]
    fn unchecked_metadata_does_not_make_a_repository_risky() {
        let finding = |level: Level, class: Class| Finding {
            code: "PA004",
            rule: "unchecked-metadata",
            level,
            package: crate::findings::PackageContext {
                name: "big".to_string(),
                version: Some("1.0".to_string()),
                class,
                direct: false,
                path: Vec::new().into(),
                location: None,
            },
            message: String::new(),
            evidence: Evidence::Unchecked {
                reason: "not in the cache (offline run)".to_string(),
            },
            fix: None,
        };
        assert_eq!(risk_weight(&finding(Level::Warn, Class::Prod)), 0);
        // Could not check advisories, and the policy denies that: an unknown is a risk.
        assert_eq!(risk_weight(&finding(Level::Deny, Class::Prod)), 20);
        assert_eq!(risk_weight(&finding(Level::Deny, Class::Dev)), 5);
    }

    #[test]
    fn census_counts_licenses_and_problems_per_repository_and_keeps_the_unchecked() {
        let problem = |rule: &'static crate::findings::Rule| MaintenanceProblem {
            rule,
            message: format!("{} problem", rule.name),
        };
        let packages = vec![
            package("a", Some("MIT"), vec![problem(&YANKED_VERSION)]),
            package("b", Some("MIT"), vec![]),
            package("c", None, vec![]),
            package("d", Some("unknown"), vec![problem(&ARCHIVED_PROJECT)]),
        ];
        let first: BTreeSet<u32> = [0, 1, 2].into();
        let second: BTreeSet<u32> = [0, 3].into();
        let census = census(&packages, &[("one", &first), ("two", &second)], "offline");
        let licenses = census.licenses.unwrap();
        let rows: Vec<(&str, usize, usize)> = licenses
            .iter()
            .map(|row| (row.license.as_str(), row.packages, row.repositories))
            .collect();
        assert_eq!(
            rows,
            [("MIT", 2, 2), ("unchecked", 1, 1), ("unknown", 1, 1)]
        );
        let maintenance: Vec<(&str, &str, Vec<String>)> = census
            .maintenance
            .iter()
            .map(|entry| {
                (
                    entry.code,
                    entry.package.as_str(),
                    entry.repositories.clone(),
                )
            })
            .collect();
        assert_eq!(
            maintenance,
            [
                ("PA201", "a", vec!["one".to_string(), "two".to_string()]),
                ("PA203", "d", vec!["two".to_string()]),
            ]
        );
        assert_eq!(census.status.state, CensusState::Partial);
        assert_eq!(census.status.unchecked_packages, ["c==1.0"]);
        assert!(
            census
                .status
                .note
                .unwrap()
                .contains("1 of 4 packages unchecked: offline")
        );
    }

    #[test]
    fn a_skipped_census_says_why() {
        let census = Census::skipped("`--no-census`");
        assert_eq!(census.status.state, CensusState::Skipped);
        assert!(census.licenses.is_none());
        assert_eq!(census.status.note.as_deref(), Some("`--no-census`"));
    }
}
