//! Whether a PyPI version is affected: the OSV schema 1.6 evaluation algorithm
//! (<https://ossf.github.io/osv-schema/#evaluation>) run on PEP 440 version ordering.
//!
//! A version is affected when it is listed in `versions[]` or lies in any range. Within a range
//! the events are walked in version order (`introduced: "0"` first, `limit: "*"` last): an
//! `introduced` at or below the version turns it on, a `fixed` at or below turns it off, a
//! `last_affected` strictly below turns it off; `limit` events bound the whole range from above.
//!
//! PEP 440 decides equality and order, as pep440_rs implements it: `1 == 1.0`;
//! `1.0.dev0 < 1.0a1 < 1.0 < 1.0+local < 1.0.post1`. So a local build `1.0+local` is *not*
//! `1.0` for a `versions[]` entry or a `last_affected: 1.0` bound, but is below a `fixed: 1.0.1`.
//! This is the ordering osv.dev and the expected fixtures use.

use pep440_rs::Version;

use crate::record::{Advisory, AffectedPackage, AffectedRange, EventKind, EventVersion};

/// Whether `advisory` affects package `name` (PEP 503-normalized) at `version`.
/// Withdrawn records affect nothing.
pub fn advisory_affects(advisory: &Advisory, name: &str, version: &Version) -> bool {
    !advisory.is_withdrawn()
        && advisory
            .affected
            .iter()
            .any(|affected| affected.name == name && is_affected(affected, version))
}

/// `IsVulnerable` for one `affected[]` entry: listed in `versions[]` or inside any range.
pub fn is_affected(affected: &AffectedPackage, version: &Version) -> bool {
    affected.versions.iter().any(|listed| listed == version)
        || affected
            .ranges
            .iter()
            .any(|range| range_includes(range, version))
}

/// `BeforeLimits(v, range) && IncludedInRange(v, range)` from the schema's pseudocode.
pub fn range_includes(range: &AffectedRange, version: &Version) -> bool {
    if !before_limits(range, version) {
        return false;
    }
    // Ranges built by this crate are sorted already; one deserialized from elsewhere may not be.
    let sorted_copy;
    let events = if range
        .events
        .is_sorted_by(|left, right| left.version <= right.version)
    {
        &range.events
    } else {
        let mut events = range.events.clone();
        events.sort_by(|left, right| left.version.cmp(&right.version));
        sorted_copy = events;
        &sorted_copy
    };
    let mut vulnerable = false;
    for event in events {
        match event.kind {
            EventKind::Introduced if at_or_above(version, &event.version) => vulnerable = true,
            EventKind::Fixed if at_or_above(version, &event.version) => vulnerable = false,
            EventKind::LastAffected if above(version, &event.version) => vulnerable = false,
            _ => {}
        }
    }
    vulnerable
}

/// With no `limit` event an implicit `limit: "*"` applies; otherwise the version must be below
/// at least one limit.
fn before_limits(range: &AffectedRange, version: &Version) -> bool {
    let mut limits = range
        .events
        .iter()
        .filter(|event| event.kind == EventKind::Limit)
        .peekable();
    if limits.peek().is_none() {
        return true;
    }
    limits.any(|limit| !at_or_above(version, &limit.version))
}

fn at_or_above(version: &Version, bound: &EventVersion) -> bool {
    match bound {
        EventVersion::Minimum => true,
        EventVersion::Version(bound) => version >= bound,
        EventVersion::Maximum => false,
    }
}

fn above(version: &Version, bound: &EventVersion) -> bool {
    match bound {
        EventVersion::Minimum => true,
        EventVersion::Version(bound) => version > bound,
        EventVersion::Maximum => false,
    }
}

/// Every `fixed` version in the entry's ranges.
pub fn fixed_versions(affected: &AffectedPackage) -> impl Iterator<Item = &Version> {
    affected
        .ranges
        .iter()
        .flat_map(|range| &range.events)
        .filter(|event| event.kind == EventKind::Fixed)
        .filter_map(|event| event.pep440_version())
}

/// The smallest fixed version above `version`: the nearest upgrade that leaves these ranges.
pub fn fix_hint<'a>(
    fixed: impl IntoIterator<Item = &'a Version>,
    version: &Version,
) -> Option<&'a Version> {
    fixed
        .into_iter()
        .filter(|candidate| *candidate > version)
        .min()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::record::{RangeEvent, RangeKind};

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn range(events: &[(EventKind, &str)]) -> AffectedRange {
        AffectedRange::new(
            RangeKind::Ecosystem,
            events
                .iter()
                .map(|(kind, text)| RangeEvent::parse(*kind, text).unwrap())
                .collect(),
        )
    }

    fn package(ranges: Vec<AffectedRange>, versions: &[&str]) -> AffectedPackage {
        AffectedPackage {
            name: "demo".to_owned(),
            ranges,
            versions: versions.iter().map(|text| version(text)).collect(),
            severity: Vec::new(),
            unevaluable: None,
        }
    }

    fn affected_versions(affected: &AffectedPackage, candidates: &[&str]) -> Vec<String> {
        candidates
            .iter()
            .filter(|text| is_affected(affected, &version(text)))
            .map(|text| (*text).to_owned())
            .collect()
    }

    use EventKind::{Fixed, Introduced, LastAffected, Limit};

    #[test]
    fn introduced_zero_covers_everything_including_pre_releases_of_zero() {
        let affected = package(vec![range(&[(Introduced, "0")])], &[]);
        assert_eq!(
            affected_versions(&affected, &["0.dev0", "0a1", "0", "1.0", "99!1"]),
            ["0.dev0", "0a1", "0", "1.0", "99!1"]
        );
    }

    #[test]
    fn fixed_is_exclusive_and_introduced_inclusive() {
        let affected = package(vec![range(&[(Introduced, "1.0"), (Fixed, "1.2")])], &[]);
        assert_eq!(
            affected_versions(
                &affected,
                &[
                    "0.9",
                    "1.0rc1",
                    "1.0",
                    "1.1.9",
                    "1.2.dev0",
                    "1.2rc1",
                    "1.2",
                    "1.2.post1"
                ]
            ),
            // 1.2.dev0 and 1.2rc1 sort before 1.2, so they are still affected.
            ["1.0", "1.1.9", "1.2.dev0", "1.2rc1"]
        );
    }

    #[test]
    fn last_affected_is_inclusive() {
        let affected = package(
            vec![range(&[(Introduced, "0"), (LastAffected, "2.0")])],
            &[],
        );
        assert_eq!(
            affected_versions(
                &affected,
                &["1.0", "2.0", "2.0.0", "2.0+local", "2.0.post1", "2.1"]
            ),
            ["1.0", "2.0", "2.0.0"]
        );
    }

    #[test]
    fn local_versions_follow_pep_440_ordering() {
        // 1.0+local sorts above 1.0 and below 1.0.post1 and 1.0.1.
        let fixed_above = package(vec![range(&[(Introduced, "0"), (Fixed, "1.0.1")])], &[]);
        assert!(is_affected(&fixed_above, &version("1.0+cu118")));
        let fixed_at = package(vec![range(&[(Introduced, "0"), (Fixed, "1.0")])], &[]);
        assert!(!is_affected(&fixed_at, &version("1.0+cu118")));
        // A listed version matches by PEP 440 equality: zero padding yes, local label no.
        let listed = package(Vec::new(), &["1.0"]);
        assert!(is_affected(&listed, &version("1")));
        assert!(is_affected(&listed, &version("1.0.0")));
        assert!(!is_affected(&listed, &version("1.0+local")));
    }

    #[test]
    fn limit_bounds_the_range() {
        let affected = package(vec![range(&[(Introduced, "0"), (Limit, "2.0")])], &[]);
        assert_eq!(
            affected_versions(&affected, &["1.0", "1.9.9", "2.0", "3.0"]),
            ["1.0", "1.9.9"]
        );
        let infinite = package(vec![range(&[(Introduced, "1.0"), (Limit, "*")])], &[]);
        assert_eq!(
            affected_versions(&infinite, &["0.9", "1.0", "100"]),
            ["1.0", "100"]
        );
        // Several limits: below any one of them is enough.
        let several = package(
            vec![range(&[(Introduced, "0"), (Limit, "1.5"), (Limit, "3.0")])],
            &[],
        );
        assert_eq!(
            affected_versions(&several, &["1.0", "2.0", "3.0"]),
            ["1.0", "2.0"]
        );
    }

    #[test]
    fn several_ranges_and_unsorted_events() {
        // The Django shape: branches listed newest first in the record.
        let affected = package(
            vec![range(&[
                (Introduced, "4.2"),
                (Fixed, "4.2.3"),
                (Introduced, "4.0"),
                (Fixed, "4.1.10"),
                (Introduced, "3.2"),
                (Fixed, "3.2.20"),
            ])],
            &[],
        );
        assert_eq!(
            affected_versions(
                &affected,
                &[
                    "3.1", "3.2", "3.2.20", "4.0", "4.1.9", "4.1.10", "4.2", "4.2.2", "4.2.3",
                    "5.0"
                ]
            ),
            ["3.2", "4.0", "4.1.9", "4.2", "4.2.2"]
        );
        let two_ranges = package(
            vec![
                range(&[(Introduced, "0"), (Fixed, "1.0")]),
                range(&[(Introduced, "2.0"), (Fixed, "2.1")]),
            ],
            &[],
        );
        assert_eq!(
            affected_versions(&two_ranges, &["0.5", "1.5", "2.0.5", "2.1"]),
            ["0.5", "2.0.5"]
        );
    }

    #[test]
    fn unsorted_events_from_elsewhere_are_sorted_before_evaluation() {
        let unsorted = AffectedRange {
            kind: RangeKind::Ecosystem,
            events: vec![
                RangeEvent::parse(Fixed, "2.0").unwrap(),
                RangeEvent::parse(Introduced, "1.0").unwrap(),
            ],
        };
        assert!(range_includes(&unsorted, &version("1.5")));
        assert!(!range_includes(&unsorted, &version("2.0")));
    }

    #[test]
    fn versions_only_records_match_exact_versions() {
        let affected = package(Vec::new(), &["0.5", "1.0.0"]);
        assert_eq!(
            affected_versions(&affected, &["0.4", "0.5", "0.5.0", "0.6", "1", "1.0.1"]),
            ["0.5", "0.5.0", "1"]
        );
    }

    #[test]
    fn post_and_dev_releases() {
        let affected = package(
            vec![range(&[(Introduced, "1.0.post1"), (Fixed, "1.1.dev3")])],
            &[],
        );
        assert_eq!(
            affected_versions(
                &affected,
                &[
                    "1.0",
                    "1.0.post1",
                    "1.0.post2",
                    "1.1.dev2",
                    "1.1.dev3",
                    "1.1a1"
                ]
            ),
            ["1.0.post1", "1.0.post2", "1.1.dev2"]
        );
    }

    #[test]
    fn withdrawn_advisories_never_match() {
        let mut advisory = Advisory {
            id: "PYSEC-0-0".to_owned(),
            modified: None,
            published: None,
            withdrawn: None,
            aliases: Vec::new(),
            related: Vec::new(),
            summary: None,
            details: None,
            severity: Vec::new(),
            database_severity: None,
            malicious: false,
            affected: vec![package(vec![range(&[(Introduced, "0")])], &[])],
            references: Vec::new(),
            warnings: Vec::new(),
        };
        assert!(advisory_affects(&advisory, "demo", &version("1.0")));
        assert!(!advisory_affects(&advisory, "other", &version("1.0")));
        advisory.withdrawn = Some("2024-01-01T00:00:00Z".to_owned());
        assert!(!advisory_affects(&advisory, "demo", &version("1.0")));
    }

    #[test]
    fn fix_hint_is_the_smallest_fixed_version_above() {
        let affected = package(
            vec![range(&[
                (Introduced, "3.2"),
                (Fixed, "3.2.20"),
                (Introduced, "4.0"),
                (Fixed, "4.1.10"),
                (Introduced, "4.2"),
                (Fixed, "4.2.3"),
            ])],
            &[],
        );
        let hint = |text: &str| {
            fix_hint(fixed_versions(&affected), &version(text)).map(ToString::to_string)
        };
        assert_eq!(hint("4.0.5").as_deref(), Some("4.1.10"));
        assert_eq!(hint("3.2").as_deref(), Some("3.2.20"));
        assert_eq!(hint("4.2.3"), None);
    }
}
