//! Advisories grouped per affected package version: a security team acts on `django==3.2` (one
//! upgrade), not on its 25 advisories one by one. Each group says how many advisories reach that
//! version, the highest severity among them, and the one version that fixes them all.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep440_rs::Version;

use super::analysis::AdvisoryImpact;
use crate::graph::Class;

/// The one upgrade that clears every advisory of a package version, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixesAll {
    /// The smallest fixed version that is at least every advisory's own fix.
    Version(String),
    /// Some advisory names no fixed version (or one that is not a PEP 440 version).
    NoSingleVersion,
}

/// One affected `name==version` and the advisories that reach it.
#[derive(Debug, Clone)]
pub struct AdvisoryGroup<'a> {
    pub package: String,
    pub version: Option<String>,
    /// Most severe first, then by id.
    pub advisories: Vec<&'a AdvisoryImpact>,
    /// Repositories this package version is affected in, and those in production.
    pub repositories: usize,
    pub prod_repositories: usize,
    pub fixes_all: FixesAll,
}

impl AdvisoryGroup<'_> {
    /// `name==version`, as the findings name it.
    pub fn label(&self) -> String {
        match &self.version {
            Some(version) => format!("{}=={version}", self.package),
            None => self.package.clone(),
        }
    }

    /// The highest severity among the advisories, as reports print it; advisories of unknown
    /// severity are counted next to it rather than hidden behind a known one.
    pub fn highest_severity(&self) -> String {
        let Some(top) = self.advisories.first() else {
            return "unknown".to_string();
        };
        let mut label = severity_label(top);
        let unknown = self
            .advisories
            .iter()
            .filter(|advisory| !advisory.malicious && advisory.severity.is_none())
            .count();
        if unknown > 0 && (top.malicious || top.severity.is_some()) {
            label.push_str(&format!(" ({unknown} of unknown severity)"));
        }
        label
    }

    /// The group's one-line summary: `django==3.2 — 25 advisories, highest critical 9.8, fixed
    /// in 4.2.16`.
    pub fn headline(&self) -> String {
        let count = self.advisories.len();
        format!(
            "{} — {count} {}, highest {}, {}",
            self.label(),
            if count == 1 { "advisory" } else { "advisories" },
            self.highest_severity(),
            match &self.fixes_all {
                FixesAll::Version(version) if count == 1 => format!("fixed in {version}"),
                FixesAll::Version(version) => format!("all fixed in {version}"),
                FixesAll::NoSingleVersion => "no single version fixes all".to_string(),
            }
        )
    }
}

/// An advisory's severity as reports print it: `malicious`, `high 7.5`, `high`, `unknown`.
pub fn severity_label(advisory: &AdvisoryImpact) -> String {
    if advisory.malicious {
        return "malicious".to_string();
    }
    match (&advisory.severity, advisory.score) {
        (Some(rating), Some(score)) => format!("{rating} {score:.1}"),
        (Some(rating), None) => rating.clone(),
        _ => "unknown".to_string(),
    }
}

/// The version that fixes every advisory of one package version: the greatest of their fixes.
fn fixes_all(label: &str, advisories: &[&AdvisoryImpact]) -> FixesAll {
    let mut best: Option<(Version, &str)> = None;
    for advisory in advisories {
        let Some(Some(fix)) = advisory.fixes.get(label) else {
            return FixesAll::NoSingleVersion;
        };
        let Ok(version) = Version::from_str(fix) else {
            return FixesAll::NoSingleVersion;
        };
        if best.as_ref().is_none_or(|(current, _)| version > *current) {
            best = Some((version, fix));
        }
    }
    match best {
        Some((_, fix)) => FixesAll::Version(fix.to_string()),
        None => FixesAll::NoSingleVersion,
    }
}

/// Groups per affected package version, widest production reach first (the blast-radius order
/// of the advisories themselves), then wider reach, then severity, then name.
pub fn group(advisories: &[AdvisoryImpact]) -> Vec<AdvisoryGroup<'_>> {
    /// `(package, version)` → advisories, repositories, production repositories.
    type Members<'a> = (
        Vec<&'a AdvisoryImpact>,
        BTreeSet<&'a str>,
        BTreeSet<&'a str>,
    );
    let mut groups: BTreeMap<(String, Option<String>), Members> = BTreeMap::new();
    for advisory in advisories {
        for reach in &advisory.reaches {
            let (members, all, prod) = groups
                .entry((reach.package.clone(), reach.version.clone()))
                .or_default();
            if !members.iter().any(|member| member.id == advisory.id) {
                members.push(advisory);
            }
            all.insert(&reach.repository);
            if reach.class == Class::Prod {
                prod.insert(&reach.repository);
            }
        }
    }
    let mut result: Vec<AdvisoryGroup> = groups
        .into_iter()
        .map(|((package, version), (mut members, all, prod))| {
            members.sort_by(|left, right| {
                right
                    .rank
                    .cmp(&left.rank)
                    .then_with(|| left.id.cmp(&right.id))
            });
            let mut group = AdvisoryGroup {
                package,
                version,
                advisories: members,
                repositories: all.len(),
                prod_repositories: prod.len(),
                fixes_all: FixesAll::NoSingleVersion,
            };
            group.fixes_all = fixes_all(&group.label(), &group.advisories);
            group
        })
        .collect();
    result.sort_by(|left, right| {
        let rank = |group: &AdvisoryGroup| {
            (
                group.prod_repositories,
                group.repositories,
                group.advisories.first().map(|top| top.rank),
                group.advisories.len(),
            )
        };
        rank(right)
            .cmp(&rank(left))
            .then_with(|| left.package.cmp(&right.package))
            .then_with(|| left.version.cmp(&right.version))
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Level;
    use crate::org::analysis::Reach;

    fn advisory(
        id: &str,
        severity: Option<&str>,
        fixes: &[(&str, Option<&str>)],
    ) -> AdvisoryImpact {
        let rating = match severity {
            Some("critical") => 5,
            Some("high") => 4,
            Some("medium") => 3,
            Some(_) => 2,
            None => 0,
        };
        AdvisoryImpact {
            id: id.to_string(),
            ids: vec![id.to_string()],
            summary: None,
            severity: severity.map(str::to_string),
            score: None,
            malicious: false,
            repositories: 1,
            prod_repositories: 1,
            packages: fixes.iter().map(|(label, _)| label.to_string()).collect(),
            fix: None,
            reaches: fixes
                .iter()
                .map(|(label, _)| {
                    let (package, version) = label.split_once("==").unwrap();
                    Reach {
                        repository: "app".to_string(),
                        lockfile: "app/uv.lock".to_string(),
                        package: package.to_string(),
                        version: Some(version.to_string()),
                        class: Class::Prod,
                        level: Level::Deny,
                        path: Vec::new(),
                    }
                })
                .collect(),
            fixes: fixes
                .iter()
                .map(|(label, fix)| (label.to_string(), fix.map(str::to_string)))
                .collect(),
            rank: (0, rating * 100),
        }
    }

    #[test]
    fn one_row_per_package_version_with_the_version_that_fixes_all() {
        // PEP 440 order, not string order: 3.2.10 > 3.2.9.
        let advisories = [
            advisory("A-1", Some("medium"), &[("django==3.2", Some("3.2.9"))]),
            advisory("A-2", Some("critical"), &[("django==3.2", Some("3.2.10"))]),
            advisory(
                "A-3",
                Some("low"),
                &[
                    ("django==3.2", Some("3.2.4")),
                    ("django==4.0", Some("4.0.1")),
                ],
            ),
        ];
        let groups = group(&advisories);
        assert_eq!(groups.len(), 2);
        let django32 = groups
            .iter()
            .find(|group| group.label() == "django==3.2")
            .unwrap();
        assert_eq!(django32.fixes_all, FixesAll::Version("3.2.10".to_string()));
        let ids: Vec<&str> = django32.advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["A-2", "A-1", "A-3"], "most severe first");
        assert_eq!(
            django32.headline(),
            "django==3.2 — 3 advisories, highest critical, all fixed in 3.2.10"
        );
        // The 4.0 row uses the advisory's fix for 4.0, not the one for 3.2.
        let django40 = groups
            .iter()
            .find(|group| group.label() == "django==4.0")
            .unwrap();
        assert_eq!(
            django40.headline(),
            "django==4.0 — 1 advisory, highest low, fixed in 4.0.1"
        );
    }

    #[test]
    fn an_advisory_without_a_fix_means_no_single_version() {
        let advisories = [
            advisory("B-1", Some("high"), &[("pyyaml==5.3", Some("5.4"))]),
            advisory("B-2", None, &[("pyyaml==5.3", None)]),
        ];
        let groups = group(&advisories);
        assert_eq!(groups[0].fixes_all, FixesAll::NoSingleVersion);
        assert_eq!(
            groups[0].headline(),
            "pyyaml==5.3 — 2 advisories, highest high (1 of unknown severity), no single version \
             fixes all"
        );
        // A fix that is not a PEP 440 version cannot be compared either.
        let advisories = [advisory(
            "C-1",
            Some("high"),
            &[("x==1", Some("not a version"))],
        )];
        assert_eq!(group(&advisories)[0].fixes_all, FixesAll::NoSingleVersion);
    }
}
