//! OSV's answers for the versions a fix would move to, read from each vulnerable package's
//! whole history instead of asked after the records: one round trip fewer on every run that
//! finds something to fix.
//!
//! When the run plans fixes, each package an OSV answer lists advisories for is also asked
//! with `POST /v1/query` and no version — every record of the package — alongside its records,
//! once, without retries and in one page (the versions can always be asked the usual way, in
//! one round trip; a retry or a second page would cost more than that). A history is
//! used only when it reproduces OSV's own answers: for every version of the package OSV
//! answered in this run, the records it matches (PEP 440, withdrawn ones excluded) are exactly
//! the ones OSV listed, every listed record is in it, and none of the package's records is one
//! the matcher cannot evaluate in full. Then OSV's answer for another version of the package
//! is the history's match at that version; it is stored like an asked answer, with the
//! records, so the step that checks the fix reads it from the cache and asks nothing.
//!
//! A server that answers a history in part or not at all (a mirror without package queries,
//! the loopback benchmark's server, which answers `{}`) fails that test, and the versions are
//! asked as before: the history can save a round trip, never decide a verdict alone.

use std::collections::{BTreeMap, BTreeSet};

use pyaudit_advisories::record::{RecordFormat, parse_record};
use pyaudit_advisories::{Advisory, Database, Version, matching, normalize_package_name};

use super::progress::{Kind, WaveProgress};
use crate::fetch::Fetcher;
use crate::fetch::osv::{self, VulnerabilityRef};

/// Asks OSV for the whole history of each of `names` (PEP 503), each once. The names whose
/// answer came and parsed in full, with their records; the others are left out.
pub(super) async fn fetch(
    fetcher: &Fetcher,
    names: Vec<String>,
    base: &str,
    progress: &WaveProgress,
) -> BTreeMap<String, Vec<Advisory>> {
    if names.is_empty() {
        return BTreeMap::new();
    }
    progress.planned(Kind::OsvRecord, names.len());
    let done = || progress.done(Kind::OsvRecord);
    let answers = osv::query_packages_once(fetcher, &names, &done).await;
    let url = format!("{base}/v1/query");
    names
        .into_iter()
        .zip(answers)
        .filter_map(|(name, answer)| {
            let records = answer.ok()?;
            let advisories = records
                .iter()
                .map(|record| parse_record(&record.body, RecordFormat::Json, &url).ok())
                .collect::<Option<Vec<Advisory>>>()?;
            Some((name, advisories))
        })
        .collect()
}

/// A package's history that reproduced OSV's own answers of the run.
pub(super) struct CheckedHistory {
    name: String,
    database: Database,
}

impl CheckedHistory {
    /// The history of `name` when it passes the test of the module documentation.
    /// `answered`: each version of the package OSV answered, with the ids it listed.
    pub(super) fn check(
        name: &str,
        advisories: Vec<Advisory>,
        answered: &[(&Version, &[VulnerabilityRef])],
    ) -> Option<Self> {
        if answered.is_empty() {
            return None;
        }
        let name = normalize_package_name(name);
        let database = Database::from_advisories(advisories);
        let unevaluable = database.advisories_for(&name).any(|advisory| {
            !advisory.is_withdrawn()
                && advisory
                    .affected
                    .iter()
                    .any(|affected| affected.name == name && affected.unevaluable.is_some())
        });
        if unevaluable {
            return None;
        }
        for (version, listed) in answered {
            let mut expected = BTreeSet::new();
            for reference in *listed {
                let record = database.advisory(&reference.id)?;
                if !record.is_withdrawn() {
                    expected.insert(record.id.as_str());
                }
            }
            let found: BTreeSet<&str> = matched(&database, &name, version)
                .map(|advisory| advisory.id.as_str())
                .collect();
            if found != expected {
                return None;
            }
        }
        Some(Self { name, database })
    }

    /// OSV's answer for `version`, as the history gives it, with the records it lists.
    pub(super) fn answer(&self, version: &Version) -> Vec<(VulnerabilityRef, Advisory)> {
        matched(&self.database, &self.name, version)
            .map(|advisory| {
                (
                    VulnerabilityRef {
                        id: advisory.id.clone(),
                        modified: advisory.modified.clone(),
                    },
                    advisory.clone(),
                )
            })
            .collect()
    }
}

fn matched<'a>(
    database: &'a Database,
    name: &'a str,
    version: &'a Version,
) -> impl Iterator<Item = &'a Advisory> {
    database
        .advisories_for(name)
        .filter(move |advisory| matching::advisory_affects(advisory, name, version))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn record(id: &str, introduced: &str, fixed: &str) -> Advisory {
        let json = serde_json::json!({
            "id": id,
            "modified": "2024-01-01T00:00:00Z",
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": "Django"},
                "ranges": [{"type": "ECOSYSTEM", "events": [
                    {"introduced": introduced}, {"fixed": fixed}
                ]}]
            }]
        });
        parse_record(json.to_string().as_bytes(), RecordFormat::Json, "test").unwrap()
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn listed(ids: &[&str]) -> Vec<VulnerabilityRef> {
        ids.iter()
            .map(|id| VulnerabilityRef {
                id: (*id).to_owned(),
                modified: None,
            })
            .collect()
    }

    fn history() -> Vec<Advisory> {
        vec![
            record("GHSA-old", "0", "3.2.5"),
            record("GHSA-new", "4.0", "4.0.2"),
        ]
    }

    #[test]
    fn a_history_that_agrees_with_osv_answers_other_versions() {
        let locked = version("3.2.0");
        let osv_listed = listed(&["GHSA-old"]);
        let checked =
            CheckedHistory::check("django", history(), &[(&locked, &osv_listed)]).unwrap();
        let ids = |text: &str| -> Vec<String> {
            checked
                .answer(&version(text))
                .into_iter()
                .map(|(reference, _)| reference.id)
                .collect()
        };
        assert!(ids("3.2.5").is_empty());
        // The regression a fix target must not move into: only the history knows it.
        assert_eq!(ids("4.0.1"), ["GHSA-new"]);
    }

    #[test]
    fn a_history_missing_a_listed_record_is_not_used() {
        let locked = version("3.2.0");
        let osv_listed = listed(&["GHSA-old", "GHSA-other"]);
        assert!(CheckedHistory::check("django", history(), &[(&locked, &osv_listed)]).is_none());
        // An empty answer (a server without package queries) is the extreme case.
        assert!(CheckedHistory::check("django", Vec::new(), &[(&locked, &osv_listed)]).is_none());
    }

    #[test]
    fn a_history_whose_matching_disagrees_with_osv_is_not_used() {
        // OSV listed nothing for 4.0.1, the history matches GHSA-new there.
        let locked = version("4.0.1");
        assert!(CheckedHistory::check("django", history(), &[(&locked, &listed(&[]))]).is_none());
    }

    #[test]
    fn without_an_answer_to_compare_with_nothing_is_used() {
        assert!(CheckedHistory::check("django", history(), &[]).is_none());
    }
}
