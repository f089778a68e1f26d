//! The vulnerability stage: OSV answers (cached, then fetched) plus local databases, merged into
//! one [`VulnerabilityStatus`] per package.
//!
//! Cache layout (namespaces of `pyaudit-cache`):
//! - `osv-query` v1, key `name==version`: the OSV `querybatch` answer for that package, a JSON
//!   list of `{id, modified}`; fresh for [`VulnerabilitySettings::query_ttl`].
//! - `osv-record` v1, key = record id: the record as a parsed [`Advisory`] in compact JSON. Reused
//!   while its `modified` equals the one the answer lists, whatever its age.
//!
//! Matching is local: the OSV records an answer lists, the local database's records and the
//! `--advisories` folders' records for the audited package names go into one
//! [`pyaudit_advisories::Database`], whose PEP 440 matching, alias merging, severity and fix hints
//! produce the findings. NOTE: OSV's answer is authoritative for "affected": an id it lists is
//! reported even when the record does not match locally (GIT-only ranges, versions OSV enumerated
//! from commits), so the findings are the union of OSV's ids and the local matches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use pyaudit_advisories::merge::{AliasGroups, compare_timestamps, merge_matches};
use pyaudit_advisories::{
    Advisory, Database, LoadError, Version, Vulnerability, matching, normalize_package_name,
};
use pyaudit_cache::{Cache, Freshness, Namespace, Timestamp};

use super::Network;
use super::database;
use super::progress::{Kind, WaveProgress};
use super::verdict::{Basis, CopyEvidence, Coverage, FreshnessLimits, OsvEvidence, judge};
use super::warnings::GroupedWarnings;
use super::{
    DataSource, EnrichError, PackageKey, SourceCoverage, VulnerabilityData, VulnerabilitySettings,
    VulnerabilityStatus,
};
use crate::fetch::osv::{self, OsvQuery, QueryAnswer, VulnerabilityRef};
use crate::fetch::{Fetcher, trim_base};

/// OSV `querybatch` answers, one per `name==version`.
pub const QUERY_NAMESPACE: Namespace = Namespace::new("osv-query", 1);
/// OSV records by id, as parsed advisories.
pub const RECORD_NAMESPACE: Namespace = Namespace::new("osv-record", 1);

/// Records are revalidated through the `modified` of each answer, not by age; the expiry only
/// lets `cache prune` drop records no answer has needed for a month.
const RECORD_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A cached OSV answer for one package.
#[derive(Debug, Clone)]
struct CachedAnswer {
    references: Vec<VulnerabilityRef>,
    fetched_at: Timestamp,
    fresh: bool,
}

/// What OSV said about one target in this run.
#[derive(Debug, Clone)]
enum OsvOutcome {
    /// An answer to use: fetched now, or from the cache (`fetched_at` earlier than now).
    Answered {
        references: Vec<VulnerabilityRef>,
        fetched_at: Timestamp,
        from_cache: bool,
    },
    /// OSV could not answer; a stale cached answer may still be there to fall back on.
    Failed {
        /// The cause, shared by every package of a failed chunk (for grouped warnings).
        cause: String,
        stale: Option<CachedAnswer>,
    },
    /// Offline, and nothing cached.
    NotAsked,
}

/// One `--advisories` folder, reduced to the audited packages.
pub(super) struct ExtraSource {
    pub(super) path: PathBuf,
    pub(super) records: usize,
    /// The newest `modified` of all its records: how recent the folder's data is.
    pub(super) as_of: Option<Timestamp>,
    pub(super) advisories: Vec<Advisory>,
    pub(super) load_errors: Vec<LoadError>,
}

/// Collect vulnerability data for `targets`. Every target gets an entry in the result.
///
/// Online: fresh cached answers are used as they are, the other packages are asked of OSV in one
/// `querybatch` run, and records are fetched only when the cache lacks them at the listed
/// `modified`. Offline: only the cache (any age) and the local databases; no request is made.
/// The same steps run inside [`super::gather`], side by side with the other sources.
pub fn collect(
    targets: &[PackageKey],
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<VulnerabilityData, EnrichError> {
    let progress = WaveProgress::new(settings.progress);
    let plan = plan(targets, cache, settings)?;
    let (fetched, requests) = if plan.needs_network(settings.offline) {
        let network = Network::start(&settings.fetch)?;
        let fetched = network.runtime.block_on(ask(
            &plan,
            cache,
            settings,
            &network.fetcher,
            &progress,
            false,
        ))?;
        (fetched, network.fetcher.stats().requests)
    } else {
        (without_network(&plan, cache, settings.offline)?, 0)
    };
    progress.finish();
    let mut data = settle(plan, fetched, cache, settings);
    data.requests = requests;
    Ok(data)
}

/// What a run knows before any request: the local sources, the cached answers, and which
/// packages OSV must be asked about.
pub(super) struct Plan {
    targets: Vec<PackageKey>,
    normalized: Vec<String>,
    /// The `osv-query` cache key of each target.
    keys: Vec<String>,
    local: Option<database::LocalAdvisories>,
    extras: Vec<ExtraSource>,
    completes: Vec<ExtraSource>,
    cached: Vec<Option<CachedAnswer>>,
    /// Per target, what the cache alone says.
    outcomes: Vec<OsvOutcome>,
    /// The targets OSV is asked about.
    to_query: Vec<usize>,
    /// Records the cached answers in use list, read from the cache.
    records: BTreeMap<String, Advisory>,
    /// Records those answers list that the cache lacks at the listed `modified`.
    missing_records: Vec<String>,
}

impl Plan {
    /// Whether the run must ask OSV at all.
    pub(super) fn needs_network(&self, offline: bool) -> bool {
        !offline && (!self.to_query.is_empty() || !self.missing_records.is_empty())
    }
}

/// What the cache and OSV said, before anything is judged or stored.
pub(super) struct Fetched {
    /// Per target: the cache's outcome, replaced by OSV's answer for the targets asked.
    outcomes: Vec<OsvOutcome>,
    /// The targets answered now, to store in the cache.
    answered: Vec<usize>,
    /// Every record the answers in use list that could be had, cached or fetched now.
    records: BTreeMap<String, Advisory>,
    /// Records fetched now, to store in the cache.
    fetched: Vec<String>,
    /// Records that could not be had, and why.
    record_failures: BTreeMap<String, String>,
    /// The whole history of each package the answers list advisories for, by PEP 503 name,
    /// when asked for (see `project_answers`).
    histories: BTreeMap<String, Vec<Advisory>>,
}

/// Step 1: local sources and the cache.
pub(super) fn plan(
    targets: &[PackageKey],
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<Plan, EnrichError> {
    let now = settings.now;
    let normalized: Vec<String> = targets
        .iter()
        .map(|target| normalize_package_name(&target.name))
        .collect();
    let names: Vec<String> = normalized
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let local = database::lookup(cache, &names, now)?;
    let extras = load_extra_sources(&settings.extra_advisories, &names, now)?;
    let completes = load_extra_sources(&settings.complete_advisories, &names, now)?;

    let keys: Vec<String> = targets
        .iter()
        .zip(&normalized)
        .map(|(target, name)| query_key(name, &target.version))
        .collect();
    let cached = read_cached_answers(cache, &keys, now)?;
    if settings.offline
        && !targets.is_empty()
        && local.is_none()
        && completes.is_empty()
        && cached.iter().all(Option::is_none)
    {
        return Err(EnrichError::NoOfflineData);
    }

    let outcomes: Vec<OsvOutcome> = cached
        .iter()
        .map(|answer| match answer {
            Some(answer) if answer.fresh || settings.offline => OsvOutcome::Answered {
                references: answer.references.clone(),
                fetched_at: answer.fetched_at,
                from_cache: true,
            },
            _ => OsvOutcome::NotAsked,
        })
        .collect();
    let to_query: Vec<usize> = if settings.offline {
        Vec::new()
    } else {
        (0..targets.len())
            .filter(|&index| matches!(outcomes[index], OsvOutcome::NotAsked))
            .collect()
    };
    let wanted = wanted_records(&outcomes);
    let records = read_cached_records(cache, &wanted, settings.offline)?;
    let missing_records = wanted
        .keys()
        .filter(|id| !records.contains_key(*id))
        .cloned()
        .collect();
    Ok(Plan {
        targets: targets.to_vec(),
        normalized,
        keys,
        local,
        extras,
        completes,
        cached,
        outcomes,
        to_query,
        records,
        missing_records,
    })
}

/// Step 2 (online): the `querybatch`, then every record its answers list that the cache lacks,
/// each fetched as soon as the answer naming it is in. `histories`: also ask for the whole
/// history of each package the answers list advisories for, alongside the records (see
/// [`answer_from_histories`]).
pub(super) async fn ask(
    plan: &Plan,
    cache: &Cache,
    settings: &VulnerabilitySettings,
    fetcher: &Fetcher,
    progress: &WaveProgress,
    histories: bool,
) -> Result<Fetched, EnrichError> {
    let queries: Vec<OsvQuery> = plan
        .to_query
        .iter()
        .map(|&index| {
            OsvQuery::new(
                plan.normalized[index].clone(),
                plan.targets[index].version.to_string(),
            )
        })
        .collect();
    let mut outcomes = plan.outcomes.clone();
    let mut answered = Vec::new();
    if !queries.is_empty() {
        let chunks = queries.len().div_ceil(
            fetcher
                .settings()
                .osv_batch_size
                .clamp(1, osv::MAX_BATCH_SIZE),
        );
        progress.planned(Kind::OsvQuery, chunks);
        let answers = osv::query_batch(fetcher, &queries).await;
        for _ in 0..chunks {
            progress.done(Kind::OsvQuery);
        }
        answered = follow_answers(
            &mut outcomes,
            &plan.to_query,
            &plan.cached,
            answers,
            settings.now,
        );
    }
    let wanted = wanted_records(&outcomes);
    let mut records = plan.records.clone();
    let unknown: BTreeMap<String, Option<String>> = wanted
        .iter()
        .filter(|(id, _)| !records.contains_key(*id))
        .map(|(id, modified)| (id.clone(), modified.clone()))
        .collect();
    records.extend(read_cached_records(cache, &unknown, settings.offline)?);
    let missing: BTreeSet<String> = wanted
        .keys()
        .filter(|id| !records.contains_key(*id))
        .cloned()
        .collect();
    let base = crate::redact::redact_text(trim_base(&settings.fetch.osv_url)).into_owned();
    let history_names = if histories {
        listing_names(plan, &outcomes)
    } else {
        Vec::new()
    };
    let asked_histories = super::project_answers::fetch(fetcher, history_names, &base, progress);
    let asked_records = async {
        if missing.is_empty() {
            return None;
        }
        let listed: Vec<(OsvQuery, Vec<String>)> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(index, outcome)| match outcome {
                OsvOutcome::Answered { references, .. } => Some((
                    OsvQuery::new(
                        plan.normalized[index].clone(),
                        plan.targets[index].version.to_string(),
                    ),
                    references
                        .iter()
                        .map(|reference| reference.id.clone())
                        .collect(),
                )),
                _ => None,
            })
            .collect();
        let requests = super::records::plan_requests(&listed, &missing);
        Some(super::records::fetch(fetcher, requests, &base, progress).await)
    };
    let (got, histories) = tokio::join!(asked_records, asked_histories);
    let mut fetched = Vec::new();
    let mut record_failures = BTreeMap::new();
    if let Some(got) = got {
        fetched.extend(got.records.keys().cloned());
        records.extend(got.records);
        record_failures = got.failures;
    }
    note_missing_records(&wanted, &records, &mut record_failures);
    Ok(Fetched {
        outcomes,
        answered,
        records,
        fetched,
        record_failures,
        histories,
    })
}

/// The PEP 503 names of the packages whose answers in use list an advisory, once each.
fn listing_names(plan: &Plan, outcomes: &[OsvOutcome]) -> Vec<String> {
    outcomes
        .iter()
        .zip(&plan.normalized)
        .filter(|(outcome, _)| {
            matches!(outcome, OsvOutcome::Answered { references, .. } if !references.is_empty())
        })
        .map(|(_, name)| name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A plan and its answers, ready to settle.
pub(super) type Answered = (Plan, Fetched);

/// Of `keys` (versions not in `plan`), those whose answer `fetched`'s package histories give
/// (see `project_answers`), as a plan and answers to settle like asked ones; and the keys that
/// must still be asked.
pub(super) fn answer_from_histories(
    plan: &Plan,
    fetched: &Fetched,
    keys: Vec<PackageKey>,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<(Option<Answered>, Vec<PackageKey>), EnrichError> {
    if fetched.histories.is_empty() || keys.is_empty() {
        return Ok((None, keys));
    }
    let mut checked = BTreeMap::new();
    for (name, advisories) in &fetched.histories {
        let answered: Vec<(&Version, &[VulnerabilityRef])> = fetched
            .outcomes
            .iter()
            .enumerate()
            .filter(|&(index, _)| plan.normalized[index] == *name)
            .filter_map(|(index, outcome)| match outcome {
                OsvOutcome::Answered { references, .. } => {
                    Some((&plan.targets[index].version, references.as_slice()))
                }
                _ => None,
            })
            .collect();
        // Every version of the package in the run must have been answered to compare with.
        let versions = plan
            .normalized
            .iter()
            .filter(|known| *known == name)
            .count();
        if answered.len() != versions {
            continue;
        }
        if let Some(history) =
            super::project_answers::CheckedHistory::check(name, advisories.clone(), &answered)
        {
            checked.insert(name.clone(), history);
        }
    }
    let (known, rest): (Vec<PackageKey>, Vec<PackageKey>) = keys
        .into_iter()
        .partition(|key| checked.contains_key(&normalize_package_name(&key.name)));
    if known.is_empty() {
        return Ok((None, rest));
    }
    let known_plan = self::plan(&known, cache, settings)?;
    let mut outcomes = known_plan.outcomes.clone();
    let mut records = known_plan.records.clone();
    let mut fetched_ids = Vec::new();
    for &index in &known_plan.to_query {
        let history = &checked[&known_plan.normalized[index]];
        let mut references = Vec::new();
        for (reference, advisory) in history.answer(&known_plan.targets[index].version) {
            // The history's copy is as fresh as OSV's records get: it is the one stored.
            fetched_ids.push(reference.id.clone());
            records.insert(reference.id.clone(), advisory);
            references.push(reference);
        }
        outcomes[index] = OsvOutcome::Answered {
            references,
            fetched_at: settings.now,
            from_cache: false,
        };
    }
    fetched_ids.sort();
    fetched_ids.dedup();
    let answered = known_plan.to_query.clone();
    let derived = Fetched {
        outcomes,
        answered,
        records,
        fetched: fetched_ids,
        record_failures: BTreeMap::new(),
        histories: BTreeMap::new(),
    };
    Ok((Some((known_plan, derived)), rest))
}

/// Step 2 (offline, or everything cached): the plan's own data.
pub(super) fn without_network(
    plan: &Plan,
    cache: &Cache,
    offline: bool,
) -> Result<Fetched, EnrichError> {
    let outcomes = plan.outcomes.clone();
    let wanted = wanted_records(&outcomes);
    let mut records = plan.records.clone();
    if records.len() < wanted.len() {
        records.extend(read_cached_records(cache, &wanted, offline)?);
    }
    let mut record_failures = BTreeMap::new();
    note_missing_records(&wanted, &records, &mut record_failures);
    Ok(Fetched {
        outcomes,
        answered: Vec::new(),
        records,
        fetched: Vec::new(),
        record_failures,
        histories: BTreeMap::new(),
    })
}

/// OSV's answers, in place of the cache's outcomes of the targets asked. Returns the targets
/// answered.
fn follow_answers(
    outcomes: &mut [OsvOutcome],
    asked: &[usize],
    cached: &[Option<CachedAnswer>],
    answers: Vec<QueryAnswer>,
    now: Timestamp,
) -> Vec<usize> {
    let mut answered = Vec::new();
    for (&index, answer) in asked.iter().zip(answers) {
        outcomes[index] = match answer {
            Ok(references) => {
                answered.push(index);
                OsvOutcome::Answered {
                    references,
                    fetched_at: now,
                    from_cache: false,
                }
            }
            Err(error) => OsvOutcome::Failed {
                cause: error.cause.to_string(),
                stale: cached[index].clone(),
            },
        };
    }
    answered
}

/// Every record an answer in use lists (the stale fallbacks included), at its newest `modified`.
fn wanted_records(outcomes: &[OsvOutcome]) -> BTreeMap<String, Option<String>> {
    let mut wanted: BTreeMap<String, Option<String>> = BTreeMap::new();
    for outcome in outcomes {
        let references = match outcome {
            OsvOutcome::Answered { references, .. } => references,
            OsvOutcome::Failed {
                stale: Some(stale), ..
            } => &stale.references,
            _ => continue,
        };
        for reference in references {
            let slot = wanted.entry(reference.id.clone()).or_default();
            if let Some(modified) = &reference.modified
                && slot
                    .as_deref()
                    .is_none_or(|known| compare_timestamps(modified, known).is_gt())
            {
                *slot = Some(modified.clone());
            }
        }
    }
    wanted
}

/// A listed record neither the cache nor OSV gave is a failure too (offline: not cached).
fn note_missing_records(
    wanted: &BTreeMap<String, Option<String>>,
    records: &BTreeMap<String, Advisory>,
    record_failures: &mut BTreeMap<String, String>,
) {
    for id in wanted.keys() {
        if !records.contains_key(id) && !record_failures.contains_key(id) {
            record_failures.insert(
                id.clone(),
                "the record is not in the cache (offline run)".to_owned(),
            );
        }
    }
}

/// Step 3: store what was learned, match, and judge every target.
pub(super) fn settle(
    plan: Plan,
    fetched: Fetched,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> VulnerabilityData {
    let mut warnings = GroupedWarnings::new("package(s)", "answers");
    store_answers(
        cache,
        settings,
        &plan.keys,
        &fetched.answered,
        &fetched.outcomes,
        &mut warnings,
    );
    store_records(
        cache,
        settings.now,
        &fetched.fetched,
        &fetched.records,
        &mut warnings,
    );
    judge_targets(&plan, &fetched, cache, settings, warnings)
}

/// What the answers so far say of each target, without storing anything: lets a run act on the
/// advisories (ask about the versions a fix would move to) while its other requests are in
/// flight. [`settle`] judges the same way.
pub(super) fn preview(
    plan: &Plan,
    fetched: &Fetched,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> VulnerabilityData {
    let warnings = GroupedWarnings::new("package(s)", "answers");
    judge_targets(plan, fetched, cache, settings, warnings)
}

/// Whether any answer in use lists an advisory (else a preview has nothing to act on).
pub(super) fn lists_any(fetched: &Fetched) -> bool {
    !wanted_records(&fetched.outcomes).is_empty()
}

fn judge_targets(
    plan: &Plan,
    fetched: &Fetched,
    cache: &Cache,
    settings: &VulnerabilitySettings,
    mut warnings: GroupedWarnings,
) -> VulnerabilityData {
    let now = settings.now;
    let outcomes = &fetched.outcomes;
    // One database of every record that can matter for these packages.
    let mut combined: Vec<Advisory> = fetched.records.values().cloned().collect();
    if let Some(local) = &plan.local {
        combined.extend(local.advisories.values().flatten().cloned());
    }
    for extra in plan.extras.iter().chain(&plan.completes) {
        combined.extend(extra.advisories.iter().cloned());
    }
    let database = Database::from_advisories(combined);
    let groups = AliasGroups::build(database.advisories());
    let judging = Judging {
        matcher: Matcher {
            database: &database,
            groups: &groups,
        },
        limits: FreshnessLimits {
            offline: settings.offline,
            max_age: settings.max_age,
            fallback_max_age: settings.fallback_max_age,
        },
        record_failures: &fetched.record_failures,
        plan,
        settings,
    };
    let mut data = VulnerabilityData {
        audited_at: Some(now.unix_millis()),
        ..VulnerabilityData::default()
    };
    let mut tally = Tally {
        answered_now: fetched.answered.len(),
        ..Tally::default()
    };
    for (index, target) in plan.targets.iter().enumerate() {
        let status = judging.judge_target(index, &outcomes[index], &mut tally, &mut warnings);
        data.packages.insert(target.clone(), status);
    }
    describe_sources(&mut data, plan, &tally, cache, settings);
    data.warnings.extend(warnings.render());
    data
}

/// The answers OSV gave now go into the cache, stamped with the run's clock.
fn store_answers(
    cache: &Cache,
    settings: &VulnerabilitySettings,
    keys: &[String],
    answered: &[usize],
    outcomes: &[OsvOutcome],
    warnings: &mut GroupedWarnings,
) {
    for &index in answered {
        if let OsvOutcome::Answered { references, .. } = &outcomes[index] {
            match serde_json::to_vec(references) {
                Ok(payload) => warnings.cache_write(cache.put(
                    &QUERY_NAMESPACE,
                    &keys[index],
                    &payload,
                    &Freshness::new(settings.query_ttl),
                    settings.now,
                )),
                Err(error) => warnings.cache_write_message(error.to_string()),
            }
        }
    }
}

/// Records fetched now go into the cache as parsed advisories.
fn store_records(
    cache: &Cache,
    now: Timestamp,
    fetched: &[String],
    records: &BTreeMap<String, Advisory>,
    warnings: &mut GroupedWarnings,
) {
    for id in fetched {
        let Some(advisory) = records.get(id) else {
            continue;
        };
        match serde_json::to_vec(advisory) {
            Ok(payload) => warnings.cache_write(cache.put(
                &RECORD_NAMESPACE,
                id,
                &payload,
                &Freshness::new(RECORD_TTL),
                now,
            )),
            Err(error) => warnings.cache_write_message(error.to_string()),
        }
    }
}

/// Where the answers judged in use came from.
#[derive(Default)]
struct Tally {
    answered_now: usize,
    answers_from_cache: usize,
    oldest_cache: Option<Timestamp>,
}

impl Tally {
    fn count_cached(&mut self, now: Timestamp, age: Duration) {
        self.answers_from_cache += 1;
        let fetched_at = before(now, age);
        self.oldest_cache = Some(
            self.oldest_cache
                .map_or(fetched_at, |oldest| oldest.min(fetched_at)),
        );
    }
}

/// What judging one target needs.
struct Judging<'a> {
    matcher: Matcher<'a>,
    limits: FreshnessLimits,
    record_failures: &'a BTreeMap<String, String>,
    plan: &'a Plan,
    settings: &'a VulnerabilitySettings,
}

impl Judging<'_> {
    /// A listed record that could not be had: the answer cannot vouch for the package.
    fn missing_record(&self, references: &[VulnerabilityRef]) -> Option<(String, String)> {
        references.iter().find_map(|reference| {
            self.record_failures
                .get(&reference.id)
                .map(|reason| (reference.id.clone(), reason.clone()))
        })
    }

    /// What OSV contributed, and the ids its answer lists (added to the local matches).
    fn osv_evidence<'o>(&self, outcome: &'o OsvOutcome) -> (OsvEvidence, &'o [VulnerabilityRef]) {
        let now = self.settings.now;
        match outcome {
            OsvOutcome::Answered {
                references,
                fetched_at,
                from_cache,
            } => match self.missing_record(references) {
                None if *from_cache => (
                    OsvEvidence::Cached {
                        age: now.duration_since(*fetched_at),
                    },
                    references.as_slice(),
                ),
                None => (OsvEvidence::Live, references.as_slice()),
                Some((id, reason)) => (
                    OsvEvidence::Unusable {
                        reason: format!(
                            "OSV lists `{id}` for this package but its record could not be read: \
                             {reason}"
                        ),
                    },
                    &[],
                ),
            },
            OsvOutcome::Failed { cause, stale, .. } => match stale
                .as_ref()
                .filter(|stale| self.missing_record(&stale.references).is_none())
            {
                Some(stale) => (
                    OsvEvidence::Fallback {
                        cause: cause.clone(),
                        age: now.duration_since(stale.fetched_at),
                    },
                    stale.references.as_slice(),
                ),
                None => (
                    OsvEvidence::Unusable {
                        reason: format!("OSV could not answer ({cause})"),
                    },
                    &[],
                ),
            },
            OsvOutcome::NotAsked => (
                OsvEvidence::Unusable {
                    reason: "offline, and no OSV answer for it is cached".to_owned(),
                },
                &[],
            ),
        }
    }

    /// The local copies that may answer for `name`.
    fn copies(&self, name: &str) -> Vec<CopyEvidence> {
        let now = self.settings.now;
        let mut copies: Vec<CopyEvidence> = Vec::with_capacity(1 + self.plan.completes.len());
        if let Some(local) = &self.plan.local {
            copies.push(local.evidence(name, now));
        }
        for complete in &self.plan.completes {
            copies.push(CopyEvidence {
                label: format!("the advisory directory `{}`", complete.path.display()),
                complete: true,
                age: complete.as_of.map(|as_of| now.duration_since(as_of)),
                as_of: complete
                    .as_of
                    .map(|as_of| crate::time::date_from_unix_millis(as_of.unix_millis())),
                unreadable: None,
            });
        }
        copies
    }

    /// One target's status: the verdict of [`judge`], and what it found.
    fn judge_target(
        &self,
        index: usize,
        outcome: &OsvOutcome,
        tally: &mut Tally,
        warnings: &mut GroupedWarnings,
    ) -> VulnerabilityStatus {
        let now = self.settings.now;
        let target = &self.plan.targets[index];
        let name = &self.plan.normalized[index];
        let (evidence, references) = self.osv_evidence(outcome);
        let copies = self.copies(name);
        let found = self.matcher.find(name, &target.version, references);
        let mut coverage = judge(&evidence, &copies, &self.limits);
        // Local data vouches only for what it can evaluate: a record naming the package whose
        // ranges cannot be read leaves it open whether this version is affected.
        if let Coverage::Checked(Basis::Copy { .. }) = coverage
            && let Some((id, problem)) = self.matcher.unevaluable(name, &target.version)
        {
            coverage = Coverage::Unchecked {
                reason: format!(
                    "the advisory record `{id}` names this package but cannot be evaluated in \
                     full ({problem}), so the local data cannot say this version is unaffected"
                ),
            };
        }
        let basis = match coverage {
            Coverage::Checked(basis) => basis,
            Coverage::Unchecked { reason } => {
                return VulnerabilityStatus::Unchecked {
                    reason,
                    vulnerabilities: found,
                };
            }
        };
        match basis {
            Basis::Osv => {}
            Basis::CachedOsv { age } => {
                tally.count_cached(now, age);
                if self.settings.offline
                    && self.plan.cached[index]
                        .as_ref()
                        .is_some_and(|answer| !answer.fresh)
                {
                    warnings.add(
                        format!(
                            "cached OSV answers past their {} lifetime were used (offline)",
                            describe_age(self.settings.query_ttl)
                        ),
                        target,
                        Some(age),
                    );
                }
            }
            Basis::FallbackOsv { age } => {
                tally.count_cached(now, age);
                if let OsvOutcome::Failed { cause, .. } = outcome {
                    warnings.add(
                        format!(
                            "OSV could not answer ({cause}); older cached answers were used \
                             instead"
                        ),
                        target,
                        Some(age),
                    );
                }
            }
            // Offline, a local copy answering is the expected path, not news.
            Basis::Copy { .. } if self.settings.offline => {}
            Basis::Copy { index: copy, age } => {
                let why = match &evidence {
                    OsvEvidence::Unusable { reason } => reason.clone(),
                    _ => "OSV's answer could not be used".to_owned(),
                };
                warnings.add(
                    format!(
                        "{why}; {} answered instead (advisory data {} old)",
                        copies[copy].label,
                        describe_age(age)
                    ),
                    target,
                    None,
                );
            }
        }
        checked(found)
    }
}

/// Where the data came from, oldest first for the report header.
fn describe_sources(
    data: &mut VulnerabilityData,
    plan: &Plan,
    tally: &Tally,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) {
    let now = settings.now;
    if tally.answered_now > 0 {
        data.sources.push(DataSource {
            kind: "osv-api".to_owned(),
            location: crate::redact::redact_text(trim_base(&settings.fetch.osv_url)).into_owned(),
            as_of: Some(now.unix_millis()),
            entries: tally.answered_now,
            coverage: None,
        });
    }
    if tally.answers_from_cache > 0 {
        data.sources.push(DataSource {
            kind: "cache".to_owned(),
            location: cache.directory().display().to_string(),
            as_of: tally.oldest_cache.map(Timestamp::unix_millis),
            entries: tally.answers_from_cache,
            coverage: None,
        });
        data.oldest_data = tally.oldest_cache.map(Timestamp::unix_millis);
    }
    if let Some(local) = &plan.local {
        data.sources.push(DataSource {
            kind: "local-database".to_owned(),
            location: crate::redact::redact_text(&local.status.source).into_owned(),
            as_of: local.status.data_as_of,
            entries: local.advisories.values().map(Vec::len).sum(),
            coverage: Some(SourceCoverage::from_complete(local.status.complete)),
        });
        if let Some(as_of) = local.status.data_as_of {
            data.oldest_data = Some(data.oldest_data.map_or(as_of, |t| t.min(as_of)));
        }
        // A partial copy never answers, so with no live answer either, say what is missing.
        if !local.status.complete && tally.answered_now == 0 {
            data.warnings.push(format!(
                "{} is partial: it adds findings but cannot vouch for a package on its own; \
                 import a complete copy (`pyaudit db sync`, an OSV all.zip, or `pyaudit db import \
                 --complete DIR` for a full checkout of an advisory database)",
                local.label()
            ));
        }
    }
    for complete in &plan.completes {
        data.sources.push(DataSource {
            kind: "advisories-dir".to_owned(),
            location: complete.path.display().to_string(),
            as_of: complete.as_of.map(Timestamp::unix_millis),
            entries: complete.records,
            coverage: Some(SourceCoverage::Complete),
        });
        if let Some(as_of) = complete.as_of {
            let as_of = as_of.unix_millis();
            data.oldest_data = Some(data.oldest_data.map_or(as_of, |t| t.min(as_of)));
        }
        note_load_errors(data, complete);
    }
    for extra in &plan.extras {
        data.sources.push(DataSource {
            kind: "advisories-dir".to_owned(),
            location: extra.path.display().to_string(),
            as_of: extra.as_of.map(Timestamp::unix_millis),
            entries: extra.records,
            coverage: Some(SourceCoverage::Partial),
        });
        note_load_errors(data, extra);
    }
}

fn note_load_errors(data: &mut VulnerabilityData, source: &ExtraSource) {
    if let Some(first) = source.load_errors.first() {
        data.warnings.push(format!(
            "{} record(s) in `{}` could not be read, e.g. {first}",
            source.load_errors.len(),
            source.path.display()
        ));
    }
}

/// The moment `age` before `now`.
fn before(now: Timestamp, age: Duration) -> Timestamp {
    let millis = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
    Timestamp::from_unix_millis(now.unix_millis().saturating_sub(millis))
}

fn checked(vulnerabilities: Vec<Vulnerability>) -> VulnerabilityStatus {
    VulnerabilityStatus::Checked { vulnerabilities }
}

/// The cache key of one package's OSV answer.
pub fn query_key(normalized_name: &str, version: &Version) -> String {
    format!("{normalized_name}=={version}")
}

fn read_cached_answers(
    cache: &Cache,
    keys: &[String],
    now: Timestamp,
) -> Result<Vec<Option<CachedAnswer>>, EnrichError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cache
        .get_many(&QUERY_NAMESPACE, keys)?
        .into_iter()
        .map(|entry| {
            let entry = entry?;
            // An undecodable payload counts as absent: it is asked again.
            let references = serde_json::from_slice(&entry.payload).ok()?;
            Some(CachedAnswer {
                references,
                fetched_at: entry.fetched_at,
                fresh: entry.is_fresh(now),
            })
        })
        .collect())
}

/// The cached records of `wanted`, kept when their `modified` is the listed one (offline: any
/// copy is better than none).
fn read_cached_records(
    cache: &Cache,
    wanted: &BTreeMap<String, Option<String>>,
    offline: bool,
) -> Result<BTreeMap<String, Advisory>, EnrichError> {
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids: Vec<&String> = wanted.keys().collect();
    let entries = cache.get_many(&RECORD_NAMESPACE, &ids)?;
    let mut records = BTreeMap::new();
    for ((id, modified), entry) in wanted.iter().zip(entries) {
        let Some(advisory) =
            entry.and_then(|entry| serde_json::from_slice::<Advisory>(&entry.payload).ok())
        else {
            continue;
        };
        let current = match (modified, &advisory.modified) {
            (Some(listed), Some(held)) => compare_timestamps(listed, held).is_eq(),
            // OSV listed no `modified`: nothing to compare, the copy is kept.
            (None, _) => true,
            (Some(_), None) => false,
        };
        if current || offline {
            records.insert(id.clone(), advisory);
        }
    }
    Ok(records)
}

pub(super) fn load_extra_sources(
    paths: &[PathBuf],
    names: &[String],
    now: Timestamp,
) -> Result<Vec<ExtraSource>, EnrichError> {
    paths
        .iter()
        .map(|path| {
            let loaded = Database::load(path).map_err(|source| EnrichError::Advisories {
                path: path.clone(),
                source,
            })?;
            let advisories = names
                .iter()
                .flat_map(|name| loaded.advisories_for(name).cloned())
                .collect();
            // The newest record that is not dated in the future: one broken or hostile `modified`
            // must not make a folder look fresh forever.
            let as_of = loaded
                .advisories()
                .iter()
                .filter_map(|advisory| advisory.modified.as_deref())
                .filter_map(crate::time::parse_upload_time)
                .filter(|modified| *modified <= now)
                .max();
            Ok(ExtraSource {
                path: path.clone(),
                records: loaded.advisories().len(),
                as_of,
                advisories,
                load_errors: loaded.load_errors().to_vec(),
            })
        })
        .collect()
}

/// Matching against the combined database.
struct Matcher<'a> {
    database: &'a Database,
    groups: &'a AliasGroups,
}

impl Matcher<'_> {
    /// The records that match `name` at `version` under PEP 440 rules, plus those OSV listed for
    /// it (see the module documentation), merged by alias.
    fn find(
        &self,
        name: &str,
        version: &Version,
        osv_references: &[VulnerabilityRef],
    ) -> Vec<Vulnerability> {
        let mut matched: Vec<&Advisory> = self
            .database
            .advisories_for(name)
            .filter(|advisory| matching::advisory_affects(advisory, name, version))
            .collect();
        for reference in osv_references {
            if let Some(advisory) = self.database.advisory(&reference.id)
                && !advisory.is_withdrawn()
                && !matched.iter().any(|known| known.id == advisory.id)
            {
                matched.push(advisory);
            }
        }
        merge_matches(&matched, self.groups, name, version)
    }

    /// A record naming `name` that does not match `version` but could not be evaluated in full
    /// (see `AffectedPackage::unevaluable`): its id and why. Local data cannot vouch for the
    /// package while such a record is in it.
    fn unevaluable(&self, name: &str, version: &Version) -> Option<(String, String)> {
        self.database.advisories_for(name).find_map(|advisory| {
            if advisory.is_withdrawn() || matching::advisory_affects(advisory, name, version) {
                return None;
            }
            advisory
                .affected
                .iter()
                .filter(|affected| affected.name == name)
                .find_map(|affected| affected.unevaluable.clone())
                .map(|reason| (advisory.id.clone(), reason))
        })
    }
}

pub use super::warnings::describe_age;
