//! Fetching the advisory records OSV's answers list and the cache lacks, in as few requests as
//! the answers allow.
//!
//! A `querybatch` answer names ids only. A package version that lists two or more missing ids
//! is asked once more with `POST /v1/query` for that version, whose answer carries every record
//! affecting it in full — one request instead of one `GET /v1/vulns/{id}` per advisory (an old
//! Django lists dozens). The rest are fetched by id. Both kinds go out at once, as one round
//! trip. Only the ids the answers listed are taken from a query's answer (the `querybatch` stays
//! the authority on what applies); a listed id the query did not return (a record published in
//! between, a server without version queries) is fetched by id after all, so a query can save
//! requests but never lose a record.

use std::collections::{BTreeMap, BTreeSet};

use pyaudit_advisories::Advisory;
use pyaudit_advisories::record::{RecordFormat, parse_record};

use super::progress::{Kind, WaveProgress};
use crate::fetch::Fetcher;
use crate::fetch::osv::{self, OsvQuery, RecordAnswer};

/// How the missing records are asked.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct RecordRequests {
    /// A version query, and the missing ids it is expected to carry.
    pub by_version: Vec<(OsvQuery, BTreeSet<String>)>,
    /// Ids fetched one by one.
    pub by_id: BTreeSet<String>,
}

/// Splits `missing` between version queries and single fetches. `listed`: each answered package
/// version with the ids its answer lists. Versions listing the most missing ids are taken first;
/// an id is asked once.
pub(super) fn plan_requests(
    listed: &[(OsvQuery, Vec<String>)],
    missing: &BTreeSet<String>,
) -> RecordRequests {
    let mut order: Vec<(usize, usize)> = listed
        .iter()
        .enumerate()
        .map(|(position, (_, ids))| {
            let count = ids.iter().filter(|id| missing.contains(*id)).count();
            (position, count)
        })
        .collect();
    // Most missing ids first; ties in the given order, so the split is deterministic.
    order.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    let mut unassigned = missing.clone();
    let mut requests = RecordRequests::default();
    for (position, _) in order {
        let (query, ids) = &listed[position];
        let carried: BTreeSet<String> = ids
            .iter()
            .filter(|id| unassigned.contains(*id))
            .cloned()
            .collect();
        if carried.len() >= 2 {
            for id in &carried {
                unassigned.remove(id);
            }
            requests.by_version.push((query.clone(), carried));
        }
    }
    requests.by_id = unassigned;
    requests
}

/// The records fetched, and why each one that could not be had could not.
#[derive(Debug, Default)]
pub(super) struct FetchedRecords {
    pub records: BTreeMap<String, Advisory>,
    pub failures: BTreeMap<String, String>,
}

/// Asks `requests` at once; then fetches by id whatever a version query did not carry.
pub(super) async fn fetch(
    fetcher: &Fetcher,
    requests: RecordRequests,
    base: &str,
    progress: &WaveProgress,
) -> FetchedRecords {
    let RecordRequests { by_version, by_id } = requests;
    progress.planned(Kind::OsvRecord, by_version.len() + by_id.len());
    let queries: Vec<OsvQuery> = by_version.iter().map(|(query, _)| query.clone()).collect();
    let done = || progress.done(Kind::OsvRecord);
    let (version_answers, id_answers) = tokio::join!(
        osv::query_versions(fetcher, &queries, &done),
        osv::fetch_records_observed(fetcher, by_id, &done),
    );
    let mut fetched = FetchedRecords::default();
    let mut still_missing = BTreeSet::new();
    let query_url = format!("{base}/v1/query");
    for ((_, expected), answer) in by_version.into_iter().zip(version_answers) {
        let mut answered: BTreeMap<String, Vec<u8>> = match answer {
            Ok(records) => records
                .into_iter()
                .map(|record| (record.id, record.body))
                .collect(),
            // A failed query loses nothing: its ids are fetched by id below, and those
            // failures are the ones reported.
            Err(_) => BTreeMap::new(),
        };
        for id in expected {
            match answered.remove(&id) {
                Some(body) => match parse_record(&body, RecordFormat::Json, &query_url) {
                    Ok(advisory) => {
                        fetched.records.insert(id, advisory);
                    }
                    Err(_) => {
                        still_missing.insert(id);
                    }
                },
                None => {
                    still_missing.insert(id);
                }
            }
        }
    }
    let mut by_id_answers = id_answers;
    if !still_missing.is_empty() {
        progress.planned(Kind::OsvRecord, still_missing.len());
        by_id_answers.extend(osv::fetch_records_observed(fetcher, still_missing, &done).await);
    }
    for (id, answer) in by_id_answers {
        match parse_fetched_record(base, &id, answer) {
            Ok(advisory) => {
                fetched.records.insert(id, advisory);
            }
            Err(reason) => {
                fetched.failures.insert(id, reason);
            }
        }
    }
    fetched
}

/// A record fetched by id, parsed; or why it cannot be used.
fn parse_fetched_record(base: &str, id: &str, answer: RecordAnswer) -> Result<Advisory, String> {
    let url = format!("{base}/v1/vulns/{id}");
    answer
        .map_err(|error| format!("{error}: {}", error.cause))
        .and_then(|record| {
            parse_record(&record.body, RecordFormat::Json, &url).map_err(|error| error.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| (*id).to_owned()).collect()
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn a_version_listing_several_missing_ids_is_one_query() {
        let django = OsvQuery::new("django", "3.2.0");
        let idna = OsvQuery::new("idna", "2.8");
        let listed = vec![(django.clone(), ids(&["A", "B", "C"])), (idna, ids(&["D"]))];
        let requests = plan_requests(&listed, &set(&["A", "B", "C", "D"]));
        assert_eq!(requests.by_version, vec![(django, set(&["A", "B", "C"]))]);
        assert_eq!(requests.by_id, set(&["D"]));
    }

    #[test]
    fn cached_ids_and_shared_ids_are_not_asked_twice() {
        let old = OsvQuery::new("django", "3.2.0");
        let newer = OsvQuery::new("django", "3.2.5");
        let listed = vec![
            (newer.clone(), ids(&["B", "C"])),
            (old.clone(), ids(&["A", "B", "C", "E"])),
        ];
        // E is cached: the old version still carries three missing ids and goes first; the
        // newer one's are all taken, so it asks nothing.
        let requests = plan_requests(&listed, &set(&["A", "B", "C"]));
        assert_eq!(requests.by_version, vec![(old, set(&["A", "B", "C"]))]);
        assert!(requests.by_id.is_empty());
    }

    #[test]
    fn nothing_missing_asks_nothing() {
        let listed = vec![(OsvQuery::new("django", "3.2.0"), ids(&["A", "B"]))];
        assert_eq!(
            plan_requests(&listed, &BTreeSet::new()),
            RecordRequests::default()
        );
    }
}
