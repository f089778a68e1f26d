//! A project's advisory history: every advisory record that names the project, whatever versions
//! it affects, so a review can show how many it had in the past (fixed before the chosen
//! version) and whether the name was ever reported malicious — a signal for the reviewer beyond
//! "is this version affected".
//!
//! Sources, unioned by record id (the newest `modified` kept):
//! - the OSV API, `POST /v1/query` with the package and no version (every record of the package,
//!   full records, pages followed), cached per project in `osv-project` v1 (key = PEP 503 name,
//!   payload = the parsed records as compact JSON), fresh for the query TTL; offline, or when OSV
//!   fails, a cached answer of any age is used (and its age said);
//! - the local advisory database (`pyaudit db import|sync`), which files records per package;
//! - the `--advisories` folders (an organisation's own records).
//!
//! A project is [`ProjectAdvisories::Known`] when OSV answered (now or from the cache) or the
//! local database could be read for it; otherwise it is [`ProjectAdvisories::Unknown`] with the
//! reason — never an empty history, which would read as "no advisories ever".
//!
//! [`classify`] then splits a known history for one chosen version (a pure function).

use std::collections::{BTreeMap, BTreeSet};

use pyaudit_advisories::merge::{AliasGroups, merge_matches};
use pyaudit_advisories::record::{EventKind, EventVersion, parse_record};
use pyaudit_advisories::{
    Advisory, Database, RecordFormat, Version, Vulnerability, matching, normalize_package_name,
};
use pyaudit_cache::{Cache, Freshness, Namespace, Timestamp};
use serde::Serialize;

use super::SourceCoverage;
use super::database;
use super::verdict::{Basis, CopyEvidence, Coverage, FreshnessLimits, OsvEvidence, judge};
use super::vulnerabilities::load_extra_sources;
use super::warnings::{GroupedWarnings, describe_age};
use super::{
    DataSource, EnrichError, Network, PackageKey, VulnerabilityData, VulnerabilitySettings,
    VulnerabilityStatus, add_source,
};
use crate::fetch::osv;
use crate::fetch::trim_base;

/// Every record of one project, as OSV's `/v1/query` answered it (parsed).
pub const PROJECT_NAMESPACE: Namespace = Namespace::new("osv-project", 1);

/// What is known of one project's advisories.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectAdvisories {
    /// Every record the sources have for the project (possibly none), withdrawn ones included.
    Known { advisories: Vec<Advisory> },
    /// No source could answer: the history is unknown, not empty.
    Unknown { reason: String },
}

/// The advisory history of some projects.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryHistory {
    /// By PEP 503 name.
    pub projects: BTreeMap<String, ProjectAdvisories>,
    pub sources: Vec<DataSource>,
    pub warnings: Vec<String>,
    /// HTTP requests made.
    pub requests: u64,
}

/// A cached OSV answer for one project.
struct CachedHistory {
    advisories: Vec<Advisory>,
    fetched_at: Timestamp,
    fresh: bool,
}

/// Collect the history of `names` (any PEP 503 spelling). Every name gets an entry.
pub fn collect(
    names: &[String],
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<AdvisoryHistory, EnrichError> {
    let now = settings.now;
    let names: Vec<String> = names
        .iter()
        .map(|name| normalize_package_name(name))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut history = AdvisoryHistory::default();
    if names.is_empty() {
        return Ok(history);
    }
    let mut warnings = GroupedWarnings::new("project(s)", "advisory histories");
    let local = database::lookup(cache, &names, now)?;
    let extras = load_extra_sources(&settings.extra_advisories, &names, now)?;

    // 1. Cached OSV answers; fresh ones are used as they are.
    let mut osv: Vec<Option<(Vec<Advisory>, Timestamp)>> = Vec::with_capacity(names.len());
    let mut stale: Vec<Option<CachedHistory>> = Vec::with_capacity(names.len());
    for entry in cache.get_many(&PROJECT_NAMESPACE, &names)? {
        let cached = entry.and_then(|entry| {
            let advisories = serde_json::from_slice::<Vec<Advisory>>(&entry.payload).ok()?;
            Some(CachedHistory {
                fresh: entry.is_fresh(now),
                fetched_at: entry.fetched_at,
                advisories,
            })
        });
        match cached {
            Some(cached) if cached.fresh => {
                osv.push(Some((cached.advisories, cached.fetched_at)));
                stale.push(None);
            }
            other => {
                osv.push(None);
                stale.push(other);
            }
        }
    }

    // 2. The others asked of OSV (online), falling back on a stale copy.
    let mut failures: BTreeMap<usize, String> = BTreeMap::new();
    let mut answered_now = 0;
    let to_query: Vec<usize> = if settings.offline {
        Vec::new()
    } else {
        (0..names.len()).filter(|&i| osv[i].is_none()).collect()
    };
    let mut network = None;
    if !to_query.is_empty() {
        let network = network.insert(Network::start(&settings.fetch)?);
        let wanted: Vec<String> = to_query.iter().map(|&i| names[i].clone()).collect();
        let answers = network
            .runtime
            .block_on(osv::query_packages(&network.fetcher, &wanted));
        // Names where a record came from (shown and cached): no credentials.
        let base = crate::redact::redact_text(trim_base(&settings.fetch.osv_url)).into_owned();
        for (&index, answer) in to_query.iter().zip(answers) {
            let parsed = answer
                .map_err(|error| error.cause.to_string())
                .and_then(|records| {
                    records
                        .iter()
                        .map(|record| {
                            let url = format!("{base}/v1/vulns/{}", record.id);
                            parse_record(&record.body, RecordFormat::Json, &url)
                                .map_err(|error| error.to_string())
                        })
                        .collect::<Result<Vec<Advisory>, String>>()
                });
            match parsed {
                Ok(advisories) => {
                    answered_now += 1;
                    match serde_json::to_vec(&advisories) {
                        Ok(payload) => warnings.cache_write(cache.put(
                            &PROJECT_NAMESPACE,
                            &names[index],
                            &payload,
                            &Freshness::new(settings.query_ttl),
                            now,
                        )),
                        Err(error) => warnings.cache_write_message(error.to_string()),
                    }
                    osv[index] = Some((advisories, now));
                }
                Err(cause) => {
                    failures.insert(index, cause);
                }
            }
        }
    }

    // 3. Per project: OSV's answer (or a stale one), the local database, the extra folders —
    // judged like the audit's (`verdict`): only a complete, fresh source makes a history known.
    let limits = FreshnessLimits {
        offline: settings.offline,
        max_age: settings.max_age,
        fallback_max_age: settings.fallback_max_age,
    };
    let mut from_cache = 0;
    let mut oldest_cache: Option<Timestamp> = None;
    for (index, name) in names.iter().enumerate() {
        let (evidence, answer, fetched_at) = match (osv[index].take(), stale[index].take()) {
            (Some((advisories, fetched_at)), _) if fetched_at < now => (
                OsvEvidence::Cached {
                    age: now.duration_since(fetched_at),
                },
                Some(advisories),
                Some(fetched_at),
            ),
            (Some((advisories, _)), _) => (OsvEvidence::Live, Some(advisories), None),
            (None, Some(cached)) => {
                let age = now.duration_since(cached.fetched_at);
                let evidence = match failures.get(&index) {
                    Some(cause) => OsvEvidence::Fallback {
                        cause: cause.clone(),
                        age,
                    },
                    None => OsvEvidence::Cached { age },
                };
                (evidence, Some(cached.advisories), Some(cached.fetched_at))
            }
            (None, None) => (
                OsvEvidence::Unusable {
                    reason: match failures.get(&index) {
                        Some(cause) => format!("OSV did not answer: {cause}"),
                        None => "offline, with no cached OSV answer".to_owned(),
                    },
                },
                None,
                None,
            ),
        };
        let copies: Vec<CopyEvidence> = local
            .iter()
            .map(|local| local.evidence(name, now))
            .collect();
        let status = match judge(&evidence, &copies, &limits) {
            Coverage::Checked(basis) => {
                let osv_used = match basis {
                    Basis::Osv => true,
                    Basis::CachedOsv { age } | Basis::FallbackOsv { age } => {
                        from_cache += 1;
                        if let Some(fetched_at) = fetched_at {
                            oldest_cache =
                                Some(oldest_cache.map_or(fetched_at, |t| t.min(fetched_at)));
                        }
                        let stale_copy = matches!(basis, Basis::FallbackOsv { .. })
                            || (settings.offline && age > settings.query_ttl);
                        if stale_copy {
                            let message = match failures.get(&index) {
                                Some(cause) => format!(
                                    "OSV could not answer for the advisory history ({cause}); \
                                     older cached answers were used instead"
                                ),
                                None => format!(
                                    "cached advisory histories past their {} lifetime were used \
                                     (offline)",
                                    describe_age(settings.query_ttl)
                                ),
                            };
                            warnings.add(message, name, Some(age));
                        }
                        true
                    }
                    Basis::Copy { .. } => {
                        if let Some(cause) = failures.get(&index) {
                            warnings.add(
                                format!(
                                    "OSV could not answer for the advisory history ({cause}); \
                                     the local advisory database was used alone"
                                ),
                                name,
                                None,
                            );
                        }
                        false
                    }
                };
                let mut advisories = if osv_used {
                    answer.unwrap_or_default()
                } else {
                    Vec::new()
                };
                if let Some(local) = &local
                    && !local.unreadable.contains_key(name)
                {
                    advisories.extend(local.advisories.get(name).cloned().unwrap_or_default());
                }
                for extra in &extras {
                    advisories.extend(
                        extra
                            .advisories
                            .iter()
                            .filter(|advisory| {
                                advisory
                                    .affected
                                    .iter()
                                    .any(|affected| affected.name == *name)
                            })
                            .cloned(),
                    );
                }
                // One copy per id, the newest `modified`.
                let advisories = Database::from_advisories(advisories).advisories().to_vec();
                ProjectAdvisories::Known { advisories }
            }
            Coverage::Unchecked { reason } => ProjectAdvisories::Unknown { reason },
        };
        history.projects.insert(name.clone(), status);
    }

    if answered_now > 0 {
        add_source(
            &mut history.sources,
            DataSource {
                kind: "osv-api".to_owned(),
                location: crate::redact::redact_text(trim_base(&settings.fetch.osv_url))
                    .into_owned(),
                as_of: Some(now.unix_millis()),
                entries: answered_now,
                coverage: None,
            },
        );
    }
    if from_cache > 0 {
        add_source(
            &mut history.sources,
            DataSource {
                kind: "cache".to_owned(),
                location: cache.directory().display().to_string(),
                as_of: oldest_cache.map(Timestamp::unix_millis),
                entries: from_cache,
                coverage: None,
            },
        );
    }
    if let Some(local) = &local {
        add_source(
            &mut history.sources,
            DataSource {
                kind: "local-database".to_owned(),
                location: crate::redact::redact_text(&local.status.source).into_owned(),
                as_of: local.status.data_as_of,
                entries: local.advisories.values().map(Vec::len).sum(),
                coverage: Some(SourceCoverage::from_complete(local.status.complete)),
            },
        );
    }
    history.warnings = warnings.render();
    history.requests = network
        .as_ref()
        .map_or(0, |network| network.fetcher.stats().requests);
    Ok(history)
}

/// One project's history split for a chosen version. Ids are canonical (one per alias group:
/// a PYSEC record and its GHSA alias count once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdvisoryCounts {
    /// Vulnerabilities affecting the chosen version.
    pub current: Vec<String>,
    /// Vulnerabilities that do not affect the chosen version but did affect an earlier one:
    /// fixed before it (also records whose ranges cannot be placed, e.g. GIT-only).
    pub past: Vec<String>,
    /// Vulnerabilities that affect only releases newer than the chosen one.
    pub newer_only: Vec<String>,
    /// Malicious-package records naming the project, whatever versions they list.
    pub malicious: Vec<String>,
}

/// Split `advisories` (a project's known history) for `name` at `version`. `current` are the
/// vulnerabilities the audit found for this version (the OSV answer is authoritative for those),
/// so a record in their alias groups is never counted as past. Withdrawn records are left out.
pub fn classify(
    advisories: &[Advisory],
    name: &str,
    version: &Version,
    current: &[Vulnerability],
) -> AdvisoryCounts {
    let name = normalize_package_name(name);
    let live: Vec<&Advisory> = advisories
        .iter()
        .filter(|advisory| !advisory.is_withdrawn())
        .filter(|advisory| {
            advisory
                .affected
                .iter()
                .any(|affected| affected.name == name)
        })
        .collect();
    let groups = AliasGroups::build(live.iter().copied());
    let group_of = |id: &str| groups.group(id);
    let mut current_groups: BTreeSet<usize> = BTreeSet::new();
    let mut current_ids: BTreeSet<String> = BTreeSet::new();
    for vulnerability in current
        .iter()
        .filter(|vulnerability| !vulnerability.malicious)
    {
        current_ids.insert(vulnerability.id.clone());
        current_groups.extend(vulnerability.ids.iter().filter_map(|id| group_of(id)));
    }
    let is_current = |advisory: &Advisory| {
        matching::advisory_affects(advisory, &name, version)
            || group_of(&advisory.id).is_some_and(|group| current_groups.contains(&group))
            || current_ids.contains(&advisory.id)
    };
    let ids = |records: Vec<&Advisory>| -> Vec<String> {
        merge_matches(&records, &groups, &name, version)
            .into_iter()
            .map(|vulnerability| vulnerability.id)
            .collect()
    };
    let (malicious, vulnerabilities): (Vec<&Advisory>, Vec<&Advisory>) = live
        .iter()
        .copied()
        .partition(|advisory| advisory.malicious);
    let (affecting, others): (Vec<&Advisory>, Vec<&Advisory>) = vulnerabilities
        .into_iter()
        .partition(|advisory| is_current(advisory));
    let (newer_only, past): (Vec<&Advisory>, Vec<&Advisory>) = others
        .into_iter()
        .partition(|advisory| only_newer(advisory, &name, version));
    // The audit's own list first; a history record affecting the version it did not list joins.
    let mut current_list: Vec<String> = current
        .iter()
        .filter(|vulnerability| !vulnerability.malicious)
        .map(|vulnerability| vulnerability.id.clone())
        .collect();
    for id in ids(affecting) {
        let group = group_of(&id);
        if !current_list.contains(&id) && group.is_none_or(|group| !current_groups.contains(&group))
        {
            current_list.push(id);
        }
    }
    AdvisoryCounts {
        current: current_list,
        past: ids(past),
        newer_only: ids(newer_only),
        malicious: ids(malicious),
    }
}

/// One package's history as a review shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PackageHistory {
    Checked {
        #[serde(flatten)]
        counts: AdvisoryCounts,
    },
    /// Nothing could be learned: unknown, never "none".
    Unknown { reason: String },
}

/// The history of each target, split for its version; `current` from the audit's own findings
/// (`vulnerabilities`).
pub fn summarise(
    history: &AdvisoryHistory,
    targets: &[PackageKey],
    vulnerabilities: &VulnerabilityData,
) -> BTreeMap<PackageKey, PackageHistory> {
    targets
        .iter()
        .map(|key| {
            let name = normalize_package_name(&key.name);
            let summary = match history.projects.get(&name) {
                Some(ProjectAdvisories::Known { advisories }) => {
                    let current: &[Vulnerability] = match vulnerabilities.packages.get(key) {
                        Some(VulnerabilityStatus::Checked { vulnerabilities }) => {
                            vulnerabilities.as_slice()
                        }
                        _ => &[],
                    };
                    PackageHistory::Checked {
                        counts: classify(advisories, &name, &key.version, current),
                    }
                }
                Some(ProjectAdvisories::Unknown { reason }) => PackageHistory::Unknown {
                    reason: reason.clone(),
                },
                None => PackageHistory::Unknown {
                    reason: "the project's advisory history was not looked up".to_owned(),
                },
            };
            (key.clone(), summary)
        })
        .collect()
}

/// Whether every version the record says is affected for `name` is newer than `version`: its
/// `versions[]` entries and every range's `introduced` are above it. A record with nothing to
/// place (GIT-only ranges dropped on reading) is not "newer only".
fn only_newer(advisory: &Advisory, name: &str, version: &Version) -> bool {
    let mut starts = advisory
        .affected
        .iter()
        .filter(|affected| affected.name == name)
        .flat_map(|affected| {
            let listed = affected.versions.iter().map(|listed| listed > version);
            let introduced = affected
                .ranges
                .iter()
                .flat_map(|range| &range.events)
                .filter(|event| event.kind == EventKind::Introduced)
                .map(|event| match &event.version {
                    EventVersion::Minimum => false,
                    EventVersion::Version(start) => start > version,
                    EventVersion::Maximum => true,
                });
            listed.chain(introduced).collect::<Vec<bool>>()
        })
        .peekable();
    starts.peek().is_some() && starts.all(|newer| newer)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn record(id: &str, aliases: &[&str], events: &str, malicious: bool) -> Advisory {
        let json = format!(
            r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z", "aliases": {aliases:?},
                "affected": [{{"package": {{"ecosystem": "PyPI", "name": "Demo_Pkg"}},
                               "ranges": [{{"type": "ECOSYSTEM", "events": {events}}}]}}]{}}}"#,
            if malicious {
                r#", "database_specific": {"malicious-packages-origins": []}"#
            } else {
                ""
            }
        );
        let mut advisory = parse_record(json.as_bytes(), RecordFormat::Json, "test").unwrap();
        advisory.malicious = malicious;
        advisory
    }

    #[test]
    fn splits_current_past_newer_and_malicious() {
        let history = vec![
            // Fixed in 1.5: past for 2.0, with its GHSA alias counted once.
            record(
                "PYSEC-1",
                &["GHSA-a"],
                r#"[{"introduced": "0"}, {"fixed": "1.5"}]"#,
                false,
            ),
            record(
                "GHSA-a",
                &["PYSEC-1"],
                r#"[{"introduced": "0"}, {"fixed": "1.5"}]"#,
                false,
            ),
            // Affects 2.0.
            record(
                "PYSEC-2",
                &[],
                r#"[{"introduced": "1.8"}, {"fixed": "2.1"}]"#,
                false,
            ),
            // Only in 3.x.
            record(
                "PYSEC-3",
                &[],
                r#"[{"introduced": "3.0"}, {"fixed": "3.2"}]"#,
                false,
            ),
            // A malicious upload of old versions.
            record(
                "MAL-1",
                &[],
                r#"[{"introduced": "0"}, {"last_affected": "0.1"}]"#,
                true,
            ),
        ];
        let version = Version::from_str("2.0").unwrap();
        let counts = classify(&history, "demo-pkg", &version, &[]);
        assert_eq!(counts.current, ["PYSEC-2"]);
        assert_eq!(counts.past, ["PYSEC-1"]);
        assert_eq!(counts.newer_only, ["PYSEC-3"]);
        assert_eq!(counts.malicious, ["MAL-1"]);

        // A withdrawn record is not history.
        let mut withdrawn = history.clone();
        withdrawn[0].withdrawn = Some("2024-02-01T00:00:00Z".into());
        withdrawn[1].withdrawn = Some("2024-02-01T00:00:00Z".into());
        assert!(
            classify(&withdrawn, "demo-pkg", &version, &[])
                .past
                .is_empty()
        );

        // At 1.0 the first is current and nothing is past.
        let counts = classify(
            &history,
            "demo-pkg",
            &Version::from_str("1.0").unwrap(),
            &[],
        );
        assert_eq!(counts.current, ["PYSEC-1"]);
        assert!(counts.past.is_empty());
        assert_eq!(counts.newer_only, ["PYSEC-2", "PYSEC-3"]);
    }
}
