//! One target per package: the smallest version that fixes *every* advisory the locked version
//! has, by the advisories' own ranges (withdrawn records never reach here). Pre-releases are
//! candidates only when the lock already uses one for the package; otherwise a pre-release that
//! would fix everything is named apart, so the plan can say that the fix needs one.

use pep440_rs::Version;
use pyaudit_advisories::Vulnerability;

/// What the target search found for one package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetChoice {
    /// The smallest allowed version that fixes every advisory that any allowed version fixes.
    pub version: Option<Version>,
    /// No allowed version fixes everything, but this pre-release does.
    pub prerelease: Option<Version>,
    /// Ids of the advisories `version` leaves (all of them when `version` is `None`).
    pub unfixed: Vec<String>,
}

/// Choose the target for a package locked at `locked` with `vulnerabilities`. `releases` are the
/// versions the index offers (yanked ones left out by the caller); without them the advisories'
/// fixed versions are the candidates.
pub fn select(
    locked: &Version,
    vulnerabilities: &[&Vulnerability],
    releases: Option<&[Version]>,
) -> TargetChoice {
    let relevant: Vec<&Vulnerability> = vulnerabilities
        .iter()
        .copied()
        .filter(|vulnerability| !vulnerability.malicious)
        .collect();
    if relevant.is_empty() {
        return TargetChoice::default();
    }
    let mut candidates: Vec<Version> = match releases {
        Some(releases) => releases.to_vec(),
        None => relevant
            .iter()
            .flat_map(|vulnerability| vulnerability.fixed_versions.iter().cloned())
            .collect(),
    };
    candidates.retain(|candidate| candidate > locked);
    candidates.sort();
    candidates.dedup();
    let allow_pre = locked.any_prerelease();
    let (allowed, pre_only): (Vec<&Version>, Vec<&Version>) = candidates
        .iter()
        .partition(|candidate| allow_pre || !candidate.any_prerelease());
    let fixes_all = |candidate: &Version| {
        relevant
            .iter()
            .all(|vulnerability| !vulnerability.affects(candidate))
    };
    // Advisories no allowed version fixes stay whatever the target; the target fixes the rest.
    let fixable: Vec<&Vulnerability> = relevant
        .iter()
        .copied()
        .filter(|vulnerability| {
            allowed
                .iter()
                .any(|candidate| !vulnerability.affects(candidate))
        })
        .collect();
    let version = allowed
        .iter()
        .find(|candidate| {
            fixable
                .iter()
                .all(|vulnerability| !vulnerability.affects(candidate))
        })
        .map(|candidate| (*candidate).clone())
        .or_else(|| {
            // No single version fixes every fixable advisory: the one that fixes the most.
            allowed
                .iter()
                .max_by_key(|candidate| {
                    (
                        fixable
                            .iter()
                            .filter(|vulnerability| !vulnerability.affects(candidate))
                            .count(),
                        std::cmp::Reverse((**candidate).clone()),
                    )
                })
                .filter(|candidate| fixable.iter().any(|v| !v.affects(candidate)))
                .map(|candidate| (*candidate).clone())
        });
    let unfixed: Vec<String> = relevant
        .iter()
        .filter(|vulnerability| {
            version
                .as_ref()
                .is_none_or(|version| vulnerability.affects(version))
        })
        .map(|vulnerability| vulnerability.id.clone())
        .collect();
    let prerelease = if unfixed.is_empty() {
        None
    } else {
        pre_only
            .iter()
            .chain(allowed.iter())
            .filter(|candidate| fixes_all(candidate))
            .min()
            .map(|candidate| (*candidate).clone())
            .filter(|candidate| candidate.any_prerelease())
    };
    TargetChoice {
        version,
        prerelease,
        unfixed,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    /// An advisory on `locked` affected in `[introduced, fixed)` ranges.
    fn advisory(id: &str, locked: &str, ranges: &[(&str, Option<&str>)]) -> Vulnerability {
        let ranges: Vec<serde_json::Value> = ranges
            .iter()
            .map(|(introduced, fixed)| {
                let mut events = vec![serde_json::json!({"introduced": introduced})];
                if let Some(fixed) = fixed {
                    events.push(serde_json::json!({"fixed": fixed}));
                }
                serde_json::json!({"type": "ECOSYSTEM", "events": events})
            })
            .collect();
        let record = serde_json::json!({
            "id": id,
            "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": ranges}],
        });
        let advisory = pyaudit_advisories::record::parse_record(
            record.to_string().as_bytes(),
            pyaudit_advisories::RecordFormat::Json,
            "test",
        )
        .unwrap();
        let groups = pyaudit_advisories::merge::AliasGroups::build([&advisory]);
        pyaudit_advisories::merge::merge_matches(&[&advisory], &groups, "demo", &version(locked))
            .remove(0)
    }

    #[test]
    fn one_target_fixes_every_advisory() {
        let first = advisory(
            "A-1",
            "3.2.0",
            &[("0", Some("3.2.4")), ("4.0", Some("4.0.2"))],
        );
        let second = advisory(
            "A-2",
            "3.2.0",
            &[("3.2", Some("3.2.25")), ("4.0", Some("4.2.8"))],
        );
        let choice = select(&version("3.2.0"), &[&first, &second], None);
        assert_eq!(choice.version, Some(version("3.2.25")));
        assert!(choice.unfixed.is_empty());
        // With the index's releases: the smallest release at or above every fix.
        let releases: Vec<Version> = ["3.2.1", "3.2.24", "3.2.25", "3.2.26", "4.0"]
            .iter()
            .map(|text| version(text))
            .collect();
        let choice = select(&version("3.2.0"), &[&first, &second], Some(&releases));
        assert_eq!(choice.version, Some(version("3.2.25")));
    }

    #[test]
    fn an_advisory_without_a_fix_is_named() {
        let fixed = advisory("A-1", "1.0", &[("0", Some("1.1"))]);
        let open = advisory("A-2", "1.0", &[("0", None)]);
        let choice = select(&version("1.0"), &[&fixed, &open], None);
        assert_eq!(choice.version, Some(version("1.1")));
        assert_eq!(choice.unfixed, ["A-2"]);
        let choice = select(&version("1.0"), &[&open], None);
        assert_eq!(choice.version, None);
        assert_eq!(choice.unfixed, ["A-2"]);
    }

    #[test]
    fn pre_releases_only_when_the_lock_uses_one() {
        let advisory_on = |locked| advisory("A-1", locked, &[("0", Some("2.0.0rc1"))]);
        let final_lock = advisory_on("1.0");
        let choice = select(&version("1.0"), &[&final_lock], None);
        assert_eq!(choice.version, None);
        assert_eq!(choice.prerelease, Some(version("2.0.0rc1")));
        assert_eq!(choice.unfixed, ["A-1"]);
        let pre_lock = advisory_on("2.0.0b1");
        let choice = select(&version("2.0.0b1"), &[&pre_lock], None);
        assert_eq!(choice.version, Some(version("2.0.0rc1")));
        assert_eq!(choice.prerelease, None);
    }
}
