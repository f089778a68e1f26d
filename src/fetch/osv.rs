//! The OSV API (<https://google.github.io/osv.dev/api/>): `POST /v1/querybatch` for which
//! advisories affect each (PyPI name, version) — ids and `modified` only, results in query order,
//! long answers paginated with `next_page_token` that the client sends back as `page_token` — then
//! `GET /v1/vulns/{id}` for each full record. `POST /v1/query` with a package and no version
//! answers every record of the package (full records, paginated the same way): a project's
//! advisory history, which `pyaudit review` shows.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::http::{FetchError, Fetcher, RequestSpec};
use super::{Source, SourceError, is_path_safe, trim_base};

/// The most queries the OSV API accepts in one `querybatch` request.
pub const MAX_BATCH_SIZE: usize = 1000;

/// Pages followed for one chunk before giving up: a server that never stops paginating must not
/// keep a run busy until its deadline.
const MAX_PAGES: usize = 100;

/// The OSV ecosystem name for the Python Package Index.
const ECOSYSTEM: &str = "PyPI";

/// One package version to look up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OsvQuery {
    /// The PEP 503 normalized project name.
    pub name: String,
    /// The version as locked.
    pub version: String,
}

impl OsvQuery {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// How errors name the package: `name version`.
    pub fn subject(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

/// An advisory id that affects a queried package, with its `modified` time so a cache can tell
/// whether its copy of the record is current.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
pub struct VulnerabilityRef {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
}

/// The answer to one query: the advisories affecting it (possibly none), or why it is unknown.
pub type QueryAnswer = Result<Vec<VulnerabilityRef>, SourceError>;

/// One full OSV record as served: the raw bytes for the cache and the parsed JSON for the
/// advisory crate.
#[derive(Debug, Clone, PartialEq)]
pub struct OsvRecord {
    pub id: String,
    pub body: Vec<u8>,
    pub record: serde_json::Value,
}

/// The answer for one advisory id.
pub type RecordAnswer = Result<OsvRecord, SourceError>;

/// Everything [`query_and_fetch`] learned.
#[derive(Debug, Clone)]
pub struct OsvAnswers {
    /// One answer per query, in the order the queries were given.
    pub queries: Vec<QueryAnswer>,
    /// One answer per id that was fetched.
    pub records: BTreeMap<String, RecordAnswer>,
}

#[derive(Serialize)]
struct BatchRequestWire<'a> {
    queries: Vec<QueryWire<'a>>,
}

#[derive(Serialize)]
struct QueryWire<'a> {
    package: PackageWire<'a>,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<&'a str>,
}

#[derive(Serialize)]
struct PackageWire<'a> {
    name: &'a str,
    ecosystem: &'static str,
}

#[derive(Deserialize)]
struct BatchResponseWire {
    results: Vec<ResultWire>,
}

/// A query without advisories may come back as `{}`.
#[derive(Deserialize)]
struct ResultWire {
    #[serde(default)]
    vulns: Vec<VulnerabilityRef>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Queries OSV for every package: chunks of at most `osv_batch_size` (≤ 1,000) run concurrently;
/// pages are followed for the queries that carry a `next_page_token`. The result has one answer
/// per query, in order; a failed chunk fails exactly its queries.
pub async fn query_batch(fetcher: &Fetcher, queries: &[OsvQuery]) -> Vec<QueryAnswer> {
    let batch_size = fetcher.settings().osv_batch_size.clamp(1, MAX_BATCH_SIZE);
    let chunks: Vec<Vec<OsvQuery>> = queries
        .chunks(batch_size)
        .map(<[OsvQuery]>::to_vec)
        .collect();
    let mut tasks = JoinSet::new();
    for (chunk_index, chunk) in chunks.iter().enumerate() {
        let fetcher = fetcher.clone();
        let chunk = chunk.clone();
        tasks.spawn(async move { (chunk_index, query_chunk(&fetcher, &chunk).await) });
    }
    let mut answers: Vec<Option<Vec<QueryAnswer>>> = vec![None; chunks.len()];
    // A task that died (it cannot panic by design, but fail closed regardless) leaves its slot
    // empty, and its queries are answered with an error below.
    while let Some(joined) = tasks.join_next().await {
        if let Ok((chunk_index, chunk_answers)) = joined {
            answers[chunk_index] = Some(chunk_answers);
        }
    }
    let query_url = querybatch_url(fetcher);
    chunks
        .iter()
        .zip(answers)
        .flat_map(|(chunk, chunk_answers)| match chunk_answers {
            Some(chunk_answers) if chunk_answers.len() == chunk.len() => chunk_answers,
            _ => chunk
                .iter()
                .map(|query| {
                    Err(SourceError::new(
                        Source::OsvQuery,
                        query.subject(),
                        FetchError::Transport {
                            url: query_url.clone(),
                            attempts: 0,
                            message: "the query task ended without an answer".to_owned(),
                        },
                    ))
                })
                .collect(),
        })
        .collect()
}

fn querybatch_url(fetcher: &Fetcher) -> String {
    format!("{}/v1/querybatch", trim_base(&fetcher.settings().osv_url))
}

/// One chunk: the first request carries every query; each later page re-sends only the queries
/// that got a `next_page_token`, with that token.
async fn query_chunk(fetcher: &Fetcher, chunk: &[OsvQuery]) -> Vec<QueryAnswer> {
    let url = querybatch_url(fetcher);
    let mut collected: Vec<Vec<VulnerabilityRef>> = vec![Vec::new(); chunk.len()];
    let mut answers: Vec<Option<QueryAnswer>> = vec![None; chunk.len()];
    let mut pending: Vec<(usize, Option<String>)> = (0..chunk.len()).map(|i| (i, None)).collect();
    let mut pages = 0;
    let fail = |answers: &mut Vec<Option<QueryAnswer>>, indices: &[usize], error: &FetchError| {
        for &index in indices {
            answers[index] = Some(Err(SourceError::new(
                Source::OsvQuery,
                chunk[index].subject(),
                error.clone(),
            )));
        }
    };
    while !pending.is_empty() {
        let indices: Vec<usize> = pending.iter().map(|(index, _)| *index).collect();
        pages += 1;
        if pages > MAX_PAGES {
            let error = FetchError::Malformed {
                url: url.clone(),
                message: format!("still paginating after {MAX_PAGES} pages"),
            };
            fail(&mut answers, &indices, &error);
            break;
        }
        let request = BatchRequestWire {
            queries: pending
                .iter()
                .map(|(index, token)| QueryWire {
                    package: PackageWire {
                        name: &chunk[*index].name,
                        ecosystem: ECOSYSTEM,
                    },
                    version: &chunk[*index].version,
                    page_token: token.as_deref(),
                })
                .collect(),
        };
        let body = match serde_json::to_vec(&request) {
            Ok(body) => body,
            Err(error) => {
                let error = FetchError::InvalidRequest {
                    url: url.clone(),
                    message: error.to_string(),
                };
                fail(&mut answers, &indices, &error);
                break;
            }
        };
        let results = match fetcher
            .send(&RequestSpec::post_json(url.clone(), body).advisory())
            .await
        {
            Err(error) => Err(error),
            Ok(response) if response.status != 200 => Err(response.unexpected_status()),
            Ok(response) => match serde_json::from_slice::<BatchResponseWire>(&response.body) {
                Err(error) => Err(response.malformed(error)),
                // The API promises one result per query, in order; anything else cannot be
                // attributed to packages, so every query of the page fails.
                Ok(parsed) if parsed.results.len() != pending.len() => {
                    Err(response.malformed(format!(
                        "{} results for {} queries",
                        parsed.results.len(),
                        pending.len()
                    )))
                }
                Ok(parsed) => Ok(parsed.results),
            },
        };
        let results = match results {
            Ok(results) => results,
            Err(error) => {
                fail(&mut answers, &indices, &error);
                break;
            }
        };
        let mut next_pending = Vec::new();
        for (index, result) in indices.into_iter().zip(results) {
            collected[index].extend(result.vulns);
            match result.next_page_token {
                Some(token) if !token.is_empty() => next_pending.push((index, Some(token))),
                _ => {
                    let mut seen = HashSet::new();
                    let mut vulnerabilities = std::mem::take(&mut collected[index]);
                    vulnerabilities.retain(|vulnerability| seen.insert(vulnerability.id.clone()));
                    answers[index] = Some(Ok(vulnerabilities));
                }
            }
        }
        pending = next_pending;
    }
    answers
        .into_iter()
        .enumerate()
        .map(|(index, answer)| {
            answer.unwrap_or_else(|| {
                Err(SourceError::new(
                    Source::OsvQuery,
                    chunk[index].subject(),
                    FetchError::Malformed {
                        url: url.clone(),
                        message: "no answer for this query".to_owned(),
                    },
                ))
            })
        })
        .collect()
}

#[derive(Serialize)]
struct PackageQueryWire<'a> {
    package: PackageWire<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<&'a str>,
}

/// `/v1/query` answers full records; a package without any comes back as `{}`.
#[derive(Deserialize)]
struct PackageResponseWire {
    #[serde(default)]
    vulns: Vec<serde_json::Value>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// The answer for one package's whole history: every record OSV has for it, as served.
pub type PackageAnswer = Result<Vec<OsvRecord>, SourceError>;

fn query_url(fetcher: &Fetcher) -> String {
    format!("{}/v1/query", trim_base(&fetcher.settings().osv_url))
}

/// `POST /v1/query` `{"package": {"name", "ecosystem": "PyPI"}}` (no version) for each name,
/// concurrently within the fetcher's bound: every record of each package, whatever versions it
/// affects. One answer per name, in order.
pub async fn query_packages(fetcher: &Fetcher, names: &[String]) -> Vec<PackageAnswer> {
    let asked: Vec<(String, Option<String>)> =
        names.iter().map(|name| (name.clone(), None)).collect();
    query_each(fetcher, asked, false, &|| {}).await
}

/// [`query_packages`] for answers that only save requests: each query is tried once (a
/// failure costs no backoff; the caller asks another way), an answer of more than one page is
/// an error (each page would cost a round trip), and `answered` is called as each answer comes
/// in.
pub async fn query_packages_once(
    fetcher: &Fetcher,
    names: &[String],
    answered: &(dyn Fn() + Sync),
) -> Vec<PackageAnswer> {
    let asked: Vec<(String, Option<String>)> =
        names.iter().map(|name| (name.clone(), None)).collect();
    query_each(fetcher, asked, true, answered).await
}

/// `POST /v1/query` `{"package": {...}, "version"}` for each query, concurrently within the
/// fetcher's bound: the full records of the advisories affecting that version — one request
/// where `GET /v1/vulns/{id}` would take one per advisory. One answer per query, in order;
/// `answered` is called as each comes in.
pub async fn query_versions(
    fetcher: &Fetcher,
    queries: &[OsvQuery],
    answered: &(dyn Fn() + Sync),
) -> Vec<PackageAnswer> {
    let asked: Vec<(String, Option<String>)> = queries
        .iter()
        .map(|query| (query.name.clone(), Some(query.version.clone())))
        .collect();
    query_each(fetcher, asked, false, answered).await
}

async fn query_each(
    fetcher: &Fetcher,
    asked: Vec<(String, Option<String>)>,
    speculative: bool,
    answered: &(dyn Fn() + Sync),
) -> Vec<PackageAnswer> {
    let mut tasks = JoinSet::new();
    for (position, (name, version)) in asked.iter().cloned().enumerate() {
        let fetcher = fetcher.clone();
        tasks.spawn(async move {
            (
                position,
                query_package(&fetcher, &name, version.as_deref(), speculative).await,
            )
        });
    }
    let mut answers: Vec<Option<PackageAnswer>> = vec![None; asked.len()];
    while let Some(joined) = tasks.join_next().await {
        answered();
        if let Ok((position, answer)) = joined {
            answers[position] = Some(answer);
        }
    }
    let url = query_url(fetcher);
    answers
        .into_iter()
        .zip(asked)
        .map(|(answer, (name, _))| {
            answer.unwrap_or_else(|| {
                Err(SourceError::new(
                    Source::OsvPackageQuery,
                    name,
                    FetchError::Transport {
                        url: url.clone(),
                        attempts: 0,
                        message: "the query task ended without an answer".to_owned(),
                    },
                ))
            })
        })
        .collect()
}

/// One package's records (of one version, when given), every page followed (at most
/// [`MAX_PAGES`]); `speculative` tries each request once and takes one page only.
async fn query_package(
    fetcher: &Fetcher,
    name: &str,
    version: Option<&str>,
    speculative: bool,
) -> PackageAnswer {
    let url = query_url(fetcher);
    let source_error = |cause| SourceError::new(Source::OsvPackageQuery, name, cause);
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let request = PackageQueryWire {
            package: PackageWire {
                name,
                ecosystem: ECOSYSTEM,
            },
            version,
            page_token: token.as_deref(),
        };
        let body = serde_json::to_vec(&request).map_err(|error| {
            source_error(FetchError::InvalidRequest {
                url: url.clone(),
                message: error.to_string(),
            })
        })?;
        let mut spec = RequestSpec::post_json(url.clone(), body).advisory();
        if speculative {
            spec = spec.without_retries();
        }
        let response = fetcher.send(&spec).await.map_err(source_error)?;
        if response.status != 200 {
            return Err(source_error(response.unexpected_status()));
        }
        let page: PackageResponseWire = serde_json::from_slice(&response.body)
            .map_err(|error| source_error(response.malformed(error)))?;
        for record in page.vulns {
            // A record without an id is not an OSV record.
            let Some(id) = record.get("id").and_then(serde_json::Value::as_str) else {
                return Err(source_error(
                    response.malformed("a listed record has no `id`"),
                ));
            };
            if !seen.insert(id.to_owned()) {
                continue;
            }
            let body = serde_json::to_vec(&record)
                .map_err(|error| source_error(response.malformed(error)))?;
            records.push(OsvRecord {
                id: id.to_owned(),
                body,
                record,
            });
        }
        match page.next_page_token {
            Some(next) if !next.is_empty() && speculative => {
                return Err(source_error(FetchError::Malformed {
                    url,
                    message: "the answer has more than one page".to_owned(),
                }));
            }
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(records),
        }
    }
    Err(source_error(FetchError::Malformed {
        url,
        message: format!("still paginating after {MAX_PAGES} pages"),
    }))
}

/// Fetches `GET /v1/vulns/{id}` for each distinct id, concurrently within the fetcher's bound.
pub async fn fetch_records(
    fetcher: &Fetcher,
    ids: impl IntoIterator<Item = String>,
) -> BTreeMap<String, RecordAnswer> {
    fetch_records_observed(fetcher, ids, &|| {}).await
}

/// [`fetch_records`], calling `answered` as each record's answer (or final failure) comes in.
pub async fn fetch_records_observed(
    fetcher: &Fetcher,
    ids: impl IntoIterator<Item = String>,
    answered: &(dyn Fn() + Sync),
) -> BTreeMap<String, RecordAnswer> {
    let ids: BTreeSet<String> = ids.into_iter().collect();
    let mut tasks = JoinSet::new();
    let mut id_of_task = HashMap::new();
    for id in &ids {
        let fetcher = fetcher.clone();
        let task_id = id.clone();
        let handle = tasks.spawn(async move {
            let answer = fetch_record(&fetcher, &task_id).await;
            (task_id, answer)
        });
        id_of_task.insert(handle.id(), id.clone());
    }
    let mut answers = BTreeMap::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        answered();
        match joined {
            Ok((_task, (id, answer))) => {
                answers.insert(id, answer);
            }
            Err(join_error) => {
                if let Some(id) = id_of_task.get(&join_error.id()) {
                    let error = FetchError::Transport {
                        url: record_url(fetcher, id),
                        attempts: 0,
                        message: format!("the fetch task ended without an answer: {join_error}"),
                    };
                    answers.insert(
                        id.clone(),
                        Err(SourceError::new(Source::OsvRecord, id.clone(), error)),
                    );
                }
            }
        }
    }
    answers
}

fn record_url(fetcher: &Fetcher, id: &str) -> String {
    format!("{}/v1/vulns/{id}", trim_base(&fetcher.settings().osv_url))
}

async fn fetch_record(fetcher: &Fetcher, id: &str) -> RecordAnswer {
    let url = record_url(fetcher, id);
    let source_error = |cause| SourceError::new(Source::OsvRecord, id, cause);
    if !is_path_safe(id) {
        return Err(source_error(FetchError::InvalidRequest {
            url,
            message: "the advisory id has characters outside [A-Za-z0-9._:-]".to_owned(),
        }));
    }
    let response = fetcher
        .send(&RequestSpec::get(url).advisory())
        .await
        .map_err(source_error)?;
    if response.status != 200 {
        return Err(source_error(response.unexpected_status()));
    }
    let record: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|error| source_error(response.malformed(error)))?;
    // A record without an id is not an OSV record (an error page, a proxy's JSON).
    let Some(answered) = record.get("id").and_then(serde_json::Value::as_str) else {
        return Err(source_error(
            response.malformed("the JSON is not an OSV record (no `id`)"),
        ));
    };
    // An answer about another advisory says nothing about the one asked for: accepting it would
    // drop the asked advisory and report its packages clean (fail open).
    if answered != id {
        return Err(source_error(response.malformed(format!(
            "asked for `{id}`, answered the record of `{}`",
            shown_id(answered)
        ))));
    }
    Ok(OsvRecord {
        id: id.to_owned(),
        body: response.body,
        record,
    })
}

/// A server-chosen id as quoted in a message: one line, visible escapes, at most 100 characters.
fn shown_id(id: &str) -> String {
    const LIMIT: usize = 100;
    let line = crate::sanitize::single_line(id);
    match line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.into_owned(),
    }
}

/// The whole OSV step: query every package, then fetch each distinct id that `needs_record`
/// accepts (the cache answers `false` for ids it holds at the same `modified`).
pub async fn query_and_fetch(
    fetcher: &Fetcher,
    queries: &[OsvQuery],
    needs_record: impl Fn(&VulnerabilityRef) -> bool,
) -> OsvAnswers {
    let answers = query_batch(fetcher, queries).await;
    let ids: BTreeSet<String> = answers
        .iter()
        .filter_map(|answer| answer.as_ref().ok())
        .flatten()
        .filter(|vulnerability| needs_record(vulnerability))
        .map(|vulnerability| vulnerability.id.clone())
        .collect();
    let records = fetch_records(fetcher, ids).await;
    OsvAnswers {
        queries: answers,
        records,
    }
}
