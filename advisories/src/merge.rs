//! Alias merging: OSV schema 1.6 `aliases` are symmetric and transitive, so records that name each
//! other (directly, or through a shared CVE/GHSA id) are one vulnerability and become one
//! [`Vulnerability`] finding that lists every id.
//!
//! The canonical id is chosen among the ids of the records that matched (never a bare alias, so
//! the id can always be looked up): `PYSEC-` first, as the PyPI ecosystem's own database (PyPA),
//! the one the local database holds and pip-audit reports, so an ignore written against it stays
//! valid whichever source supplied the data; then `GHSA-`, `CVE-`, `MAL-`, anything else. Ties
//! go to the lowest id in natural order (`PYSEC-2021-9` before `PYSEC-2021-10`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::matching;
use crate::record::{Advisory, AffectedPackage, Reference, SeverityVector};
use crate::severity::{self, Severity};

/// One vulnerability affecting one package version, possibly reported by several records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The canonical id (see the module documentation).
    pub id: String,
    /// Every id: the matched records' ids and all their aliases, canonical included, natural order.
    pub ids: Vec<String>,
    /// The ids of the records that matched, natural order.
    pub record_ids: Vec<String>,
    /// `related` ids of the records that are not ids of this vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// PEP 503-normalized package name.
    pub package: String,
    /// The version that was checked.
    pub version: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// The highest severity any of the records gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// A record reports the package as malicious (OpenSSF malicious-packages).
    pub malicious: bool,
    /// Every `fixed` version of the records' ranges for this package, ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<Version>,
    /// The smallest fixed version above the checked one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_hint: Option<Version>,
    /// The earliest `published` of the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The newest `modified` of the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The matched records' `affected[]` entries for this package: what says whether *another*
    /// version is affected too (the remediation's target search). Not part of any report.
    #[serde(default, skip_serializing)]
    pub affected: Vec<AffectedPackage>,
}

impl Vulnerability {
    /// Whether `version` is affected too. From the records' ranges when they were kept; else
    /// (a copy read back from JSON) from the fixed versions: a version is taken as fixed only
    /// when a fixed version lies above the checked one and at or below it.
    pub fn affects(&self, version: &Version) -> bool {
        if !self.affected.is_empty() {
            return self
                .affected
                .iter()
                .any(|affected| matching::is_affected(affected, version));
        }
        if *version == self.version {
            return true;
        }
        !self
            .fixed_versions
            .iter()
            .any(|fixed| *fixed > self.version && fixed <= version)
    }
}

/// Which ids belong together: union-find over every record id and alias.
#[derive(Clone, Debug, Default)]
pub struct AliasGroups {
    group_of: HashMap<String, usize>,
}

impl AliasGroups {
    /// Groups the ids of `advisories` and their aliases, transitively.
    pub fn build<'a>(advisories: impl IntoIterator<Item = &'a Advisory>) -> Self {
        let mut node_of: HashMap<&'a str, usize> = HashMap::new();
        let mut parent: Vec<usize> = Vec::new();
        let mut node = |id: &'a str, parent: &mut Vec<usize>| -> usize {
            *node_of.entry(id).or_insert_with(|| {
                parent.push(parent.len());
                parent.len() - 1
            })
        };
        let mut links = Vec::new();
        for advisory in advisories {
            let record = node(&advisory.id, &mut parent);
            for alias in &advisory.aliases {
                links.push((record, node(alias, &mut parent)));
            }
        }
        for (left, right) in links {
            let (left, right) = (find_root(&mut parent, left), find_root(&mut parent, right));
            // Always keep the smaller index as root so the result does not depend on link order.
            if left != right {
                let (root, child) = (left.min(right), left.max(right));
                parent[child] = root;
            }
        }
        let group_of = node_of
            .into_iter()
            .map(|(id, index)| (id.to_owned(), find_root(&mut parent, index)))
            .collect();
        Self { group_of }
    }

    /// The group of an id, if it was seen as a record id or alias.
    pub fn group(&self, id: &str) -> Option<usize> {
        self.group_of.get(id).copied()
    }
}

fn find_root(parent: &mut [usize], mut index: usize) -> usize {
    while parent[index] != index {
        // Path halving keeps later look-ups short.
        parent[index] = parent[parent[index]];
        index = parent[index];
    }
    index
}

/// Merges the records that matched `package` at `version` into findings, one per alias group,
/// sorted by canonical id. `groups` may come from the whole database (so that two matched records
/// linked only through a third, unmatched one still merge) or from `matched` alone.
pub fn merge_matches(
    matched: &[&Advisory],
    groups: &AliasGroups,
    package: &str,
    version: &Version,
) -> Vec<Vulnerability> {
    let mut by_group: BTreeMap<(usize, usize), Vec<&Advisory>> = BTreeMap::new();
    for (position, advisory) in matched.iter().enumerate() {
        // A record missing from `groups` stands alone; (usize::MAX, position) keeps it apart.
        let key = groups
            .group(&advisory.id)
            .map_or((usize::MAX, position), |group| (group, 0));
        by_group.entry(key).or_default().push(advisory);
    }
    let mut findings: Vec<Vulnerability> = by_group
        .into_values()
        .map(|records| merge_group(records, package, version))
        .collect();
    findings.sort_by(|left, right| compare_ids(&left.id, &right.id));
    findings
}

fn merge_group(mut records: Vec<&Advisory>, package: &str, version: &Version) -> Vulnerability {
    records.sort_by(|left, right| canonical_order(&left.id, &right.id));
    records.dedup_by(|left, right| left.id == right.id);
    let canonical = records[0];
    let mut ids = BTreeSet::new();
    let mut related = BTreeSet::new();
    let mut fixed_versions = BTreeSet::new();
    let mut references = Vec::new();
    let mut severities = Vec::new();
    let mut affected_entries = Vec::new();
    for record in &records {
        ids.insert(record.id.clone());
        ids.extend(record.aliases.iter().cloned());
        related.extend(record.related.iter().cloned());
        for affected in record.affected.iter().filter(|entry| entry.name == package) {
            fixed_versions.extend(matching::fixed_versions(affected).cloned());
            if !affected_entries.contains(affected) {
                affected_entries.push(affected.clone());
            }
        }
        for reference in &record.references {
            if !references.contains(reference) {
                references.push(reference.clone());
            }
        }
        if let (Some(severity), _) = severity::assess(
            &record_severity_vectors(record, package),
            record.database_severity.as_deref(),
        ) {
            severities.push(severity);
        }
    }
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort_by(|left, right| compare_ids(left, right));
    let mut related: Vec<String> = related.into_iter().filter(|id| !ids.contains(id)).collect();
    related.sort_by(|left, right| compare_ids(left, right));
    let mut record_ids: Vec<String> = records.iter().map(|record| record.id.clone()).collect();
    record_ids.sort_by(|left, right| compare_ids(left, right));
    let fix_hint = matching::fix_hint(&fixed_versions, version).cloned();
    Vulnerability {
        id: canonical.id.clone(),
        ids,
        record_ids,
        related,
        package: package.to_owned(),
        version: version.clone(),
        summary: records.iter().find_map(|record| record.summary.clone()),
        details: records.iter().find_map(|record| record.details.clone()),
        severity: severity::highest(&severities).cloned(),
        malicious: records.iter().any(|record| record.malicious),
        fixed_versions: fixed_versions.into_iter().collect(),
        fix_hint,
        published: records
            .iter()
            .filter_map(|record| record.published.as_deref())
            .min_by(|left, right| compare_timestamps(left, right))
            .map(str::to_owned),
        modified: records
            .iter()
            .filter_map(|record| record.modified.as_deref())
            .max_by(|left, right| compare_timestamps(left, right))
            .map(str::to_owned),
        references,
        affected: affected_entries,
    }
}

/// The schema puts severity either at the top level or on each `affected[]` entry.
fn record_severity_vectors(record: &Advisory, package: &str) -> Vec<SeverityVector> {
    if !record.severity.is_empty() {
        return record.severity.clone();
    }
    record
        .affected
        .iter()
        .filter(|entry| entry.name == package)
        .flat_map(|entry| entry.severity.iter().cloned())
        .collect()
}

fn prefix_rank(id: &str) -> u8 {
    const PREFERENCE: [&str; 4] = ["PYSEC-", "GHSA-", "CVE-", "MAL-"];
    PREFERENCE
        .iter()
        .position(|prefix| id.starts_with(prefix))
        .map_or(u8::MAX, |rank| rank as u8)
}

/// Canonical preference: database prefix first, then natural order.
fn canonical_order(left: &str, right: &str) -> Ordering {
    prefix_rank(left)
        .cmp(&prefix_rank(right))
        .then_with(|| compare_ids(left, right))
}

/// Natural order of ids: `-`-separated parts compared as numbers when both are numeric.
pub fn compare_ids(left: &str, right: &str) -> Ordering {
    let mut left_parts = left.split('-');
    let mut right_parts = right.split('-');
    loop {
        match (left_parts.next(), right_parts.next()) {
            (None, None) => return left.cmp(right),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(left_part), Some(right_part)) => {
                let order = match (left_part.parse::<u64>(), right_part.parse::<u64>()) {
                    (Ok(left_number), Ok(right_number)) => left_number.cmp(&right_number),
                    _ => left_part.cmp(right_part),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// RFC 3339 timestamps as OSV writes them (`…T16:37:11Z`, `…T16:37:11.407533Z`): compared by the
/// seconds part, then the fraction as a decimal, so a missing fraction counts as `.0`.
pub fn compare_timestamps(left: &str, right: &str) -> Ordering {
    fn split(timestamp: &str) -> (&str, &str) {
        let seconds_end = timestamp
            .char_indices()
            .skip(19)
            .find(|(_, character)| !character.is_ascii_digit() && *character != ':')
            .map_or(timestamp.len(), |(index, _)| index);
        let (seconds, rest) = timestamp.split_at(seconds_end);
        let fraction = rest
            .strip_prefix('.')
            .map(|rest| rest.trim_end_matches(|c: char| !c.is_ascii_digit()))
            .unwrap_or("");
        (seconds, fraction.trim_end_matches('0'))
    }
    let (left_seconds, left_fraction) = split(left);
    let (right_seconds, right_fraction) = split(right);
    left_seconds
        .cmp(right_seconds)
        .then_with(|| left_fraction.cmp(right_fraction))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::record::{AffectedPackage, AffectedRange, EventKind, RangeEvent, RangeKind};

    fn advisory(id: &str, aliases: &[&str], fixed: &str) -> Advisory {
        Advisory {
            id: id.to_owned(),
            modified: Some(format!("2024-01-0{}T00:00:00Z", id.len() % 9 + 1)),
            published: None,
            withdrawn: None,
            aliases: aliases.iter().map(|alias| (*alias).to_owned()).collect(),
            related: Vec::new(),
            summary: None,
            details: Some(format!("details of {id}")),
            severity: Vec::new(),
            database_severity: None,
            malicious: false,
            affected: vec![AffectedPackage {
                name: "demo".to_owned(),
                ranges: vec![AffectedRange::new(
                    RangeKind::Ecosystem,
                    vec![
                        RangeEvent::parse(EventKind::Introduced, "0").unwrap(),
                        RangeEvent::parse(EventKind::Fixed, fixed).unwrap(),
                    ],
                )],
                versions: Vec::new(),
                unevaluable: None,
                severity: Vec::new(),
            }],
            references: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    #[test]
    fn merges_transitively_through_shared_aliases() {
        // PYSEC names CVE-1; GHSA names CVE-1 and CVE-2; the last record names only CVE-2.
        let pysec = advisory("PYSEC-2021-10", &["CVE-1"], "2.0");
        let ghsa = advisory("GHSA-aaaa-bbbb-cccc", &["CVE-1", "CVE-2"], "1.5");
        let other = advisory("OSV-2021-3", &["CVE-2"], "3.0");
        let unrelated = advisory("PYSEC-2021-9", &["CVE-9"], "2.0");
        let all = [&pysec, &ghsa, &other, &unrelated];
        let groups = AliasGroups::build(all);
        let findings = merge_matches(&all, &groups, "demo", &version("1.0"));
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].id, "PYSEC-2021-9");
        let merged = &findings[1];
        assert_eq!(merged.id, "PYSEC-2021-10");
        assert_eq!(
            merged.ids,
            [
                "CVE-1",
                "CVE-2",
                "GHSA-aaaa-bbbb-cccc",
                "OSV-2021-3",
                "PYSEC-2021-10"
            ]
        );
        assert_eq!(
            merged.record_ids,
            ["GHSA-aaaa-bbbb-cccc", "OSV-2021-3", "PYSEC-2021-10"]
        );
        let fixed: Vec<String> = merged
            .fixed_versions
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(fixed, ["1.5", "2.0", "3.0"]);
        assert_eq!(
            merged.fix_hint.as_ref().map(ToString::to_string).as_deref(),
            Some("1.5")
        );
        assert_eq!(merged.details.as_deref(), Some("details of PYSEC-2021-10"));
    }

    #[test]
    fn merging_is_deterministic_whatever_the_input_order() {
        let first = advisory("GHSA-zzzz-yyyy-xxxx", &["CVE-5"], "2.0");
        let second = advisory("PYSEC-2020-1", &["GHSA-zzzz-yyyy-xxxx"], "2.0");
        let third = advisory("CVE-5", &[], "2.0");
        let forward = [&first, &second, &third];
        let backward = [&third, &second, &first];
        let left = merge_matches(
            &forward,
            &AliasGroups::build(forward),
            "demo",
            &version("1"),
        );
        let right = merge_matches(
            &backward,
            &AliasGroups::build(backward),
            "demo",
            &version("1"),
        );
        assert_eq!(left, right);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, "PYSEC-2020-1");
    }

    #[test]
    fn canonical_id_falls_back_to_ghsa_then_natural_order() {
        let ghsa = advisory("GHSA-2222", &["CVE-3"], "2.0");
        let cve = advisory("CVE-3", &[], "2.0");
        let all = [&cve, &ghsa];
        let findings = merge_matches(&all, &AliasGroups::build(all), "demo", &version("1"));
        assert_eq!(findings[0].id, "GHSA-2222");
        assert_eq!(compare_ids("PYSEC-2021-9", "PYSEC-2021-10"), Ordering::Less);
        assert_eq!(compare_ids("PYSEC-2021-10", "PYSEC-2022-1"), Ordering::Less);
    }

    #[test]
    fn merged_severity_is_the_highest() {
        let mut low = advisory("PYSEC-1-1", &["CVE-1"], "2.0");
        low.severity = vec![SeverityVector {
            kind: "CVSS_V3".to_owned(),
            score: "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N".to_owned(),
        }];
        let mut high = advisory("GHSA-1", &["CVE-1"], "2.0");
        high.database_severity = Some("HIGH".to_owned());
        let all = [&low, &high];
        let findings = merge_matches(&all, &AliasGroups::build(all), "demo", &version("1"));
        let severity = findings[0].severity.as_ref().unwrap();
        assert_eq!(severity.rating, crate::severity::Rating::High);
        assert_eq!(severity.source, crate::severity::SeveritySource::Database);
    }

    #[test]
    fn timestamps_compare_with_and_without_fractions() {
        assert_eq!(
            compare_timestamps("2023-07-11T16:37:11.407533Z", "2023-07-11T16:37:11Z"),
            Ordering::Greater
        );
        assert_eq!(
            compare_timestamps("2023-07-11T16:37:11.5Z", "2023-07-11T16:37:11.500Z"),
            Ordering::Equal
        );
        assert_eq!(
            compare_timestamps("2023-07-11T16:37:12Z", "2023-07-11T16:37:11.9Z"),
            Ordering::Greater
        );
    }
}
