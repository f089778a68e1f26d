//! The one entry point of enrichment: every source a run needs, asked in one wave.
//!
//! Each source runs in three steps — plan (the cache and local data: what must be asked), ask
//! (the network), settle (store, judge, describe) — and [`gather`] plans them all first, then
//! starts every request at once on one client (one connection pool, one concurrency bound per
//! host): the OSV `querybatch` and the PyPI JSON and Simple API requests go out together, each
//! advisory record is fetched as soon as the answer naming it is in (see `records`), the
//! caller's follow-up (the versions a fix moves to) is answered from the vulnerable packages'
//! histories fetched alongside the records (see `project_answers`) or else asked as soon as the
//! advisories are known, and the popular names are read meanwhile. Nothing waits for a stage it
//! does not depend on; the critical path of a cold run is the `querybatch` and the records it
//! names (plus the follow-up where no history could answer it), or the slowest PyPI answer.
//!
//! Fail closed as before: every source's answers are judged by the same settle steps as when it
//! runs alone (`vulnerabilities::collect`, `metadata::collect`), so a failed request is never a
//! clean package.

use std::path::PathBuf;

use pyaudit_cache::Cache;

use super::metadata::{self, MetadataData, MetadataSettings};
use super::popular::{self, PopularNames};
use super::progress::WaveProgress;
use super::vulnerabilities;
use super::{EnrichError, Network, PackageKey, VulnerabilityData, VulnerabilitySettings};

/// What a run needs to know about its packages.
#[derive(Debug, Clone)]
pub struct GatherRequest {
    pub targets: Vec<PackageKey>,
    /// PyPI metadata, when a rule reads it.
    pub metadata: Option<MetadataSettings>,
    /// Popular names (the typosquat rule): the files of `[typosquat] popular`, besides the
    /// built-in seed and the imported list. `None`: not needed.
    pub popular: Option<Vec<PathBuf>>,
    /// More versions to ask OSV about as soon as the targets' advisories are in, derived from
    /// them (the versions a fix would move to): asked while the PyPI requests are still in
    /// flight and stored in the cache, so the step that needs them later asks nothing.
    pub follow_up: Option<FollowUp>,
    /// Keep each project's release list from the metadata stage's own answers
    /// ([`MetadataData::releases`]), for the fix plans of the run.
    pub keep_releases: bool,
}

/// From what the advisories say of the targets, the further `name==version`s worth asking.
pub type FollowUp = fn(&VulnerabilityData) -> Vec<PackageKey>;

/// Everything enrichment learned, as plain data.
#[derive(Debug, Default)]
pub struct Gathered {
    pub vulnerabilities: VulnerabilityData,
    pub metadata: Option<MetadataData>,
    pub popular: PopularNames,
}

/// Collects every source `request` asks for, in one wave (see the module documentation).
/// `settings` says how to reach the network and judge advisory data; its `progress` draws one
/// bar over every request.
pub fn gather(
    request: &GatherRequest,
    cache: &Cache,
    settings: &VulnerabilitySettings,
) -> Result<Gathered, EnrichError> {
    let targets = &request.targets;
    let vulnerability_plan = vulnerabilities::plan(targets, cache, settings)?;
    let metadata_plan = request
        .metadata
        .as_ref()
        .map(|metadata| metadata::plan(targets, cache, metadata))
        .transpose()?;
    let vulnerabilities_online = vulnerability_plan.needs_network(settings.offline);
    let metadata_online = metadata_plan
        .as_ref()
        .is_some_and(metadata::Plan::needs_network);

    let (waved, popular) = std::thread::scope(|scope| {
        // Reading and indexing the popular names is local work: it overlaps the network.
        let popular = request
            .popular
            .as_ref()
            .map(|files| scope.spawn(move || popular::load(cache, files)));
        let waved = wave(
            settings,
            cache,
            &vulnerability_plan,
            metadata_plan.as_ref(),
            vulnerabilities_online,
            metadata_online,
            request,
        );
        let popular = match popular {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(EnrichError::Input(
                    "reading the popular names failed unexpectedly".to_owned(),
                ))
            }),
            None => Ok(PopularNames::default()),
        };
        (waved, popular)
    });
    let ((vulnerability_answers, followed), metadata_answers, requests) = waved?;
    let popular = popular?;

    // The two sources store and judge their answers independently: side by side.
    let (mut vulnerabilities, metadata) = std::thread::scope(|scope| {
        let metadata = match (metadata_plan, &request.metadata) {
            (Some(plan), Some(metadata_settings)) => Some(scope.spawn(move || {
                metadata::settle(
                    plan,
                    metadata_answers.unwrap_or_default(),
                    cache,
                    metadata_settings,
                )
            })),
            _ => None,
        };
        for (plan, answers) in followed {
            // Only stored: the step that asked for these judges them from the cache itself.
            vulnerabilities::settle(plan, answers, cache, settings);
        }
        let vulnerabilities =
            vulnerabilities::settle(vulnerability_plan, vulnerability_answers, cache, settings);
        let metadata = metadata.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (vulnerabilities, metadata)
    });
    vulnerabilities.requests = requests;
    Ok(Gathered {
        vulnerabilities,
        metadata,
        popular,
    })
}

/// The follow-up's own plans and answers, to store: those the package histories gave, and
/// those asked.
type Followed = Vec<vulnerabilities::Answered>;
type Waved = (
    (vulnerabilities::Fetched, Followed),
    Option<metadata::Fetched>,
    u64,
);

/// The network part: both sources' requests at once on one client, or none at all.
fn wave(
    settings: &VulnerabilitySettings,
    cache: &Cache,
    vulnerability_plan: &vulnerabilities::Plan,
    metadata_plan: Option<&metadata::Plan>,
    vulnerabilities_online: bool,
    metadata_online: bool,
    request: &GatherRequest,
) -> Result<Waved, EnrichError> {
    let keep_releases = request.keep_releases;
    if !vulnerabilities_online && !metadata_online {
        let answers =
            vulnerabilities::without_network(vulnerability_plan, cache, settings.offline)?;
        return Ok(((answers, Vec::new()), None, 0));
    }
    let network = Network::start(&settings.fetch)?;
    let progress = WaveProgress::new(settings.progress);
    let fetcher = &network.fetcher;
    let (vulnerability_answers, metadata_answers) = network.runtime.block_on(async {
        let osv = async {
            let answers = if vulnerabilities_online {
                // With a follow-up, the vulnerable packages' histories come alongside their
                // records and can answer it without another round trip.
                let histories = request.follow_up.is_some();
                vulnerabilities::ask(
                    vulnerability_plan,
                    cache,
                    settings,
                    fetcher,
                    &progress,
                    histories,
                )
                .await?
            } else {
                vulnerabilities::without_network(vulnerability_plan, cache, settings.offline)?
            };
            let followed = match request.follow_up {
                Some(follow_up) if vulnerabilities::lists_any(&answers) => {
                    let preview =
                        vulnerabilities::preview(vulnerability_plan, &answers, cache, settings);
                    let mut keys = follow_up(&preview);
                    // The targets themselves are answered already (stored after the wave).
                    keys.retain(|key| !preview.packages.contains_key(key));
                    keys.sort();
                    keys.dedup();
                    // Only a head start: if it fails, the step that needs these asks (and
                    // reports) again; it must not cost the targets' own answers.
                    let mut followed = Vec::new();
                    let rest = match vulnerabilities::answer_from_histories(
                        vulnerability_plan,
                        &answers,
                        keys.clone(),
                        cache,
                        settings,
                    ) {
                        Ok((derived, rest)) => {
                            followed.extend(derived);
                            rest
                        }
                        Err(_) => keys,
                    };
                    if let Ok(Some(asked)) = follow(rest, cache, settings, fetcher, &progress).await
                    {
                        followed.push(asked);
                    }
                    followed
                }
                _ => Vec::new(),
            };
            Ok::<_, EnrichError>((answers, followed))
        };
        let pypi = async {
            match metadata_plan {
                Some(plan) if metadata_online => {
                    Some(metadata::ask(plan, fetcher, &progress, keep_releases).await)
                }
                _ => None,
            }
        };
        tokio::join!(osv, pypi)
    });
    progress.finish();
    Ok((
        vulnerability_answers?,
        metadata_answers,
        fetcher.stats().requests,
    ))
}

/// Asks OSV about `keys` on the wave's client (nothing when the cache already answers).
async fn follow(
    keys: Vec<PackageKey>,
    cache: &Cache,
    settings: &VulnerabilitySettings,
    fetcher: &crate::fetch::Fetcher,
    progress: &WaveProgress,
) -> Result<Option<vulnerabilities::Answered>, EnrichError> {
    if keys.is_empty() {
        return Ok(None);
    }
    let plan = vulnerabilities::plan(&keys, cache, settings)?;
    if !plan.needs_network(settings.offline) {
        return Ok(None);
    }
    let answers = vulnerabilities::ask(&plan, cache, settings, fetcher, progress, false).await?;
    Ok(Some((plan, answers)))
}
