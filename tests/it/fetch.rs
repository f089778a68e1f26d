//! The fetch layer against a loopback OSV/PyPI server with injected faults: every fault proves
//! the client's behaviour with exact request counts. No test reaches a live service.

use std::time::{Duration, Instant};

use crate::support::corpus::malicious_dir;
use crate::support::server::{Fault, LAST_MODIFIED, TestServer};
use pyaudit::fetch::osv::{self, OsvQuery, VulnerabilityRef};
use pyaudit::fetch::pypi::{self, ProjectRequest, PypiAnswer, Validators};
use pyaudit::fetch::{FetchError, FetchSettings, Fetcher, Source, run_blocking};
use serde_json::json;

/// Small timeouts and backoffs so fault tests stay fast.
fn settings(server: &TestServer) -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_secs(5),
        deadline: Some(Duration::from_secs(30)),
        retries: 3,
        backoff_base: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..FetchSettings::for_base_url(&server.url())
    }
}

fn fetcher(settings: FetchSettings) -> Fetcher {
    Fetcher::new(settings).unwrap()
}

/// A synthetic OSV record affecting `name` at the listed versions.
fn record(id: &str, name: &str, versions: &[&str]) -> serde_json::Value {
    json!({
        "id": id,
        "modified": "2025-01-02T03:04:05Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": versions}],
    })
}

fn ids(answer: &osv::QueryAnswer) -> Vec<String> {
    let mut ids: Vec<String> = answer
        .as_ref()
        .unwrap()
        .iter()
        .map(|vulnerability| vulnerability.id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn osv_queries_then_fetches_each_new_record_once() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.add_record(record("TEST-2", "alpha", &["1.0", "2.0"]));
    // ECOSYSTEM range: beta >= 1.0, < 1.5
    server.add_record(json!({
        "id": "TEST-3",
        "modified": "2025-02-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Beta"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "1.0"}, {"fixed": "1.5"}]}]}],
    }));
    let loaded = server.load_records(&malicious_dir());
    assert!(loaded >= 4);
    let fetcher = fetcher(settings(&server));
    let queries = [
        OsvQuery::new("alpha", "1.0"),
        OsvQuery::new("alpha", "2.0"),
        OsvQuery::new("beta", "1.2"),
        OsvQuery::new("beta", "1.5"),
        OsvQuery::new("0-8", "0.0.0.1"),
        OsvQuery::new("unknown", "1.0"),
    ];
    let answers = osv::query_and_fetch(&fetcher, &queries, |_| true).await;

    assert_eq!(answers.queries.len(), queries.len());
    assert_eq!(ids(&answers.queries[0]), ["TEST-1", "TEST-2"]);
    assert_eq!(ids(&answers.queries[1]), ["TEST-2"]);
    assert_eq!(ids(&answers.queries[2]), ["TEST-3"]);
    assert!(ids(&answers.queries[3]).is_empty());
    assert_eq!(ids(&answers.queries[4]), ["MAL-2025-2925"]);
    assert!(ids(&answers.queries[5]).is_empty());
    let modified = &answers.queries[2].as_ref().unwrap()[0].modified;
    assert_eq!(modified.as_deref(), Some("2025-02-01T00:00:00Z"));

    // Four distinct ids, each fetched once, in one querybatch.
    assert_eq!(
        answers.records.keys().collect::<Vec<_>>(),
        ["MAL-2025-2925", "TEST-1", "TEST-2", "TEST-3"]
    );
    for (id, answer) in &answers.records {
        let record = answer.as_ref().unwrap();
        assert_eq!(record.record["id"], id.as_str());
        assert!(!record.body.is_empty());
    }
    assert_eq!(server.requests("/v1/querybatch"), 1);
    assert_eq!(server.requests("/v1/vulns/"), 4);
    let stats = fetcher.stats();
    assert_eq!(stats.requests, 5);
    assert_eq!(stats.retries, 0);
    assert!(stats.bytes > 0);

    // The wire format: PyPI ecosystem, no page_token on the first page, a descriptive agent.
    let log = server.log();
    let batch = log[0].json();
    assert_eq!(
        batch["queries"][0],
        json!({"package": {"name": "alpha", "ecosystem": "PyPI"}, "version": "1.0"})
    );
    let agent = &log[0].headers["user-agent"];
    assert!(agent.starts_with("pyaudit/"), "{agent}");
}

#[tokio::test]
async fn the_cache_filter_skips_records_it_already_holds() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.add_record(record("TEST-2", "alpha", &["1.0"]));
    let fetcher = fetcher(settings(&server));
    let answers = osv::query_and_fetch(
        &fetcher,
        &[OsvQuery::new("alpha", "1.0")],
        |vulnerability: &VulnerabilityRef| vulnerability.id != "TEST-1",
    )
    .await;
    assert_eq!(ids(&answers.queries[0]), ["TEST-1", "TEST-2"]);
    assert_eq!(answers.records.keys().collect::<Vec<_>>(), ["TEST-2"]);
    assert_eq!(server.requests("/v1/vulns/"), 1);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_then_succeeds() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.inject(
        "/v1/querybatch",
        Fault::Status {
            status: 429,
            retry_after: Some("1".to_owned()),
        },
        1,
    );
    let fetcher = fetcher(settings(&server));
    let started = Instant::now();
    let answers = osv::query_batch(&fetcher, &[OsvQuery::new("alpha", "1.0")]).await;
    let elapsed = started.elapsed();
    assert_eq!(ids(&answers[0]), ["TEST-1"]);
    assert_eq!(server.requests("/v1/querybatch"), 2);
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(fetcher.stats().retries, 1);
}

#[tokio::test]
async fn retry_after_is_capped() {
    let server = TestServer::start().await;
    server.inject(
        "/pypi/six/json",
        Fault::Status {
            status: 503,
            retry_after: Some("3600".to_owned()),
        },
        1,
    );
    let fetcher = fetcher(FetchSettings {
        max_retry_after: Duration::from_millis(100),
        ..settings(&server)
    });
    let started = Instant::now();
    let answers = pypi::fetch_project_json(&fetcher, &[ProjectRequest::new("six")]).await;
    assert!(matches!(answers[0], Ok(PypiAnswer::Fresh { .. })));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests("/pypi/six/json"), 2);
}

#[tokio::test]
async fn server_errors_are_retried_and_succeed() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.inject(
        "/v1/vulns/TEST-1",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        2,
    );
    let fetcher = fetcher(settings(&server));
    let records = osv::fetch_records(&fetcher, ["TEST-1".to_owned()]).await;
    assert!(records["TEST-1"].is_ok());
    assert_eq!(server.requests("/v1/vulns/TEST-1"), 3);
    assert_eq!(fetcher.stats().retries, 2);
}

#[tokio::test]
async fn persistent_server_errors_fail_exactly_those_packages() {
    let server = TestServer::start().await;
    server.inject(
        "/pypi/six/",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let fetcher = fetcher(settings(&server));
    let requests = ["requests", "six", "idna"].map(ProjectRequest::new);
    let answers = pypi::fetch_project_json(&fetcher, &requests).await;
    assert_eq!(answers.len(), 3);
    assert!(matches!(answers[0], Ok(PypiAnswer::Fresh { .. })));
    assert!(matches!(answers[2], Ok(PypiAnswer::Fresh { .. })));
    let error = answers[1].as_ref().unwrap_err();
    assert_eq!(error.source_kind, Source::PypiJson);
    assert_eq!(error.subject, "six");
    assert!(
        matches!(
            &error.cause,
            FetchError::Status { status: 500, attempts: 4, url } if url.ends_with("/pypi/six/json")
        ),
        "{error:?}"
    );
    // One attempt plus `retries`.
    assert_eq!(server.requests("/pypi/six/"), 4);
    assert_eq!(server.requests("/pypi/requests/"), 1);
}

#[tokio::test]
async fn a_failing_querybatch_chunk_fails_only_its_queries() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.inject_where(
        "/v1/querybatch",
        Some("\"broken\""),
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        usize::MAX,
    );
    let fetcher = fetcher(FetchSettings {
        osv_batch_size: 2,
        ..settings(&server)
    });
    let queries = [
        OsvQuery::new("alpha", "1.0"),
        OsvQuery::new("other", "1.0"),
        OsvQuery::new("broken", "1.0"),
        OsvQuery::new("alpha", "2.0"),
        OsvQuery::new("gamma", "1.0"),
    ];
    let answers = osv::query_batch(&fetcher, &queries).await;
    assert_eq!(answers.len(), 5);
    assert_eq!(ids(&answers[0]), ["TEST-1"]);
    assert!(ids(&answers[1]).is_empty());
    for index in [2, 3] {
        let error = answers[index].as_ref().unwrap_err();
        assert_eq!(error.subject, queries[index].subject());
        assert!(matches!(
            error.cause,
            FetchError::Status { status: 500, .. }
        ));
    }
    assert!(ids(&answers[4]).is_empty());
    // Chunks [alpha, other] and [gamma] once; [broken, alpha 2.0] 1 + 3 retries.
    assert_eq!(server.requests("/v1/querybatch"), 6);
}

#[tokio::test]
async fn connection_resets_are_retried_then_reported() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.add_record(record("TEST-2", "alpha", &["1.0"]));
    server.inject("/v1/vulns/TEST-1", Fault::Reset, 1);
    server.inject("/v1/vulns/TEST-2", Fault::Reset, usize::MAX);
    let fetcher = fetcher(settings(&server));
    let records = osv::fetch_records(&fetcher, ["TEST-1".to_owned(), "TEST-2".to_owned()]).await;
    assert!(records["TEST-1"].is_ok());
    let error = records["TEST-2"].as_ref().unwrap_err();
    assert_eq!(error.subject, "TEST-2");
    assert!(
        matches!(&error.cause, FetchError::Transport { attempts: 4, .. }),
        "{error:?}"
    );
    assert_eq!(server.requests("/v1/vulns/TEST-1"), 2);
    assert_eq!(server.requests("/v1/vulns/TEST-2"), 4);
}

#[tokio::test]
async fn truncated_bodies_are_retried_then_reported() {
    let server = TestServer::start().await;
    server.inject("/simple/six/", Fault::Truncate, 1);
    server.inject("/simple/idna/", Fault::Truncate, usize::MAX);
    let fetcher = fetcher(settings(&server));
    let answers = pypi::fetch_simple(&fetcher, &["six", "idna"].map(ProjectRequest::new)).await;
    let Ok(PypiAnswer::Fresh { document, .. }) = &answers[0] else {
        panic!("{:?}", answers[0]);
    };
    assert_eq!(document.name, "six");
    let error = answers[1].as_ref().unwrap_err();
    assert!(
        matches!(&error.cause, FetchError::Transport { attempts: 4, .. }),
        "{error:?}"
    );
    assert_eq!(server.requests("/simple/six/"), 2);
    assert_eq!(server.requests("/simple/idna/"), 4);
}

#[tokio::test]
async fn malformed_json_is_a_source_error_not_an_empty_answer() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.inject("/v1/querybatch", Fault::MalformedJson, 1);
    server.set_body("/v1/vulns/TEST-1", 200, "application/json", "[1, 2]");
    server.set_body("/simple/six/", 200, "text/html", "<html>proxy error</html>");
    let fetcher = fetcher(settings(&server));
    let queries = [OsvQuery::new("alpha", "1.0"), OsvQuery::new("beta", "1.0")];
    let answers = osv::query_batch(&fetcher, &queries).await;
    for (answer, query) in answers.iter().zip(&queries) {
        let error = answer.as_ref().unwrap_err();
        assert_eq!(error.subject, query.subject());
        assert!(
            matches!(error.cause, FetchError::Malformed { .. }),
            "{error:?}"
        );
    }
    // A well-formed HTTP answer with a bad body is not retried.
    assert_eq!(server.requests("/v1/querybatch"), 1);

    let records = osv::fetch_records(&fetcher, ["TEST-1".to_owned()]).await;
    assert!(matches!(
        records["TEST-1"].as_ref().unwrap_err().cause,
        FetchError::Malformed { .. }
    ));
    let simple = pypi::fetch_simple(&fetcher, &[ProjectRequest::new("six")]).await;
    let error = simple[0].as_ref().unwrap_err();
    assert!(error.cause.to_string().contains("text/html"), "{error}");

    // A results list that does not match the queries is malformed too.
    server.set_body(
        "/v1/querybatch",
        200,
        "application/json",
        r#"{"results": [{}]}"#,
    );
    let answers = osv::query_batch(&fetcher, &queries).await;
    assert!(answers.iter().all(Result::is_err));
}

#[tokio::test]
async fn pagination_follows_next_page_token_for_those_queries_only() {
    let server = TestServer::start().await;
    for number in 1..=5 {
        server.add_record(record(&format!("TEST-{number}"), "alpha", &["1.0"]));
    }
    server.add_record(record("TEST-9", "beta", &["1.0"]));
    server.set_page_size(2);
    let fetcher = fetcher(settings(&server));
    let queries = [
        OsvQuery::new("alpha", "1.0"),
        OsvQuery::new("beta", "1.0"),
        OsvQuery::new("gamma", "1.0"),
    ];
    let answers = osv::query_batch(&fetcher, &queries).await;
    assert_eq!(
        ids(&answers[0]),
        ["TEST-1", "TEST-2", "TEST-3", "TEST-4", "TEST-5"]
    );
    assert_eq!(ids(&answers[1]), ["TEST-9"]);
    assert!(ids(&answers[2]).is_empty());
    // alpha has 5 ids at 2 per page: 3 pages; the later pages carry alpha alone.
    assert_eq!(server.requests("/v1/querybatch"), 3);
    let log = server.log();
    assert_eq!(log[0].json()["queries"].as_array().unwrap().len(), 3);
    for (page, token) in [(1, "2"), (2, "4")] {
        let body = log[page].json();
        assert_eq!(body["queries"].as_array().unwrap().len(), 1);
        assert_eq!(body["queries"][0]["package"]["name"], "alpha");
        assert_eq!(body["queries"][0]["page_token"], token);
    }
}

#[tokio::test]
async fn queries_go_in_chunks_of_at_most_one_thousand() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "package-7", &["1.0"]));
    let fetcher = fetcher(settings(&server));
    let queries: Vec<OsvQuery> = (0..2500)
        .map(|number| OsvQuery::new(format!("package-{number}"), "1.0"))
        .collect();
    let answers = osv::query_batch(&fetcher, &queries).await;
    assert_eq!(answers.len(), 2500);
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(ids(&answers[7]), ["TEST-1"]);
    assert_eq!(server.requests("/v1/querybatch"), 3);
    let mut sizes: Vec<usize> = server
        .log()
        .iter()
        .map(|request| request.json()["queries"].as_array().unwrap().len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [500, 1000, 1000]);
}

#[tokio::test]
async fn conditional_requests_surface_not_modified_and_not_found() {
    let server = TestServer::start().await;
    let fetcher = fetcher(settings(&server));
    let first = pypi::fetch_project_json(
        &fetcher,
        &["requests", "no-such-project"].map(ProjectRequest::new),
    )
    .await;
    let Ok(PypiAnswer::Fresh {
        body,
        document,
        etag,
        last_modified,
    }) = &first[0]
    else {
        panic!("{:?}", first[0]);
    };
    assert_eq!(document.info.name, "requests");
    assert!(document.releases["2.32.0"].iter().all(|file| file.yanked));
    assert!(document.ownership.as_ref().unwrap().roles.len() >= 2);
    assert_eq!(
        pypi::parse_project_json(body).unwrap().info.version,
        document.info.version
    );
    assert_eq!(last_modified.as_deref(), Some(LAST_MODIFIED));
    assert!(matches!(first[1], Ok(PypiAnswer::NotFound)));

    let by_etag = ProjectRequest::with_validators(
        "requests",
        Validators {
            etag: etag.clone(),
            last_modified: None,
        },
    );
    let by_date = ProjectRequest::with_validators(
        "requests",
        Validators {
            etag: None,
            last_modified: last_modified.clone(),
        },
    );
    let stale = ProjectRequest::with_validators(
        "requests",
        Validators {
            etag: Some("\"old\"".to_owned()),
            last_modified: None,
        },
    );
    let second = pypi::fetch_project_json(&fetcher, &[by_etag, by_date, stale]).await;
    assert!(matches!(second[0], Ok(PypiAnswer::NotModified)));
    assert!(matches!(second[1], Ok(PypiAnswer::NotModified)));
    assert!(matches!(second[2], Ok(PypiAnswer::Fresh { .. })));
    let log = server.log();
    let conditional: Vec<_> = log
        .iter()
        .filter(|request| request.headers.contains_key("if-none-match"))
        .collect();
    assert_eq!(conditional.len(), 2);
    assert_eq!(server.requests("/pypi/requests/json"), 4);
}

#[tokio::test]
async fn simple_api_is_asked_for_json_and_parsed() {
    let server = TestServer::start().await;
    let fetcher = fetcher(settings(&server));
    let answers = pypi::fetch_simple(&fetcher, &[ProjectRequest::new("urllib3")]).await;
    let Ok(PypiAnswer::Fresh { document, etag, .. }) = &answers[0] else {
        panic!("{:?}", answers[0]);
    };
    assert!(etag.is_some());
    assert_eq!(document.name, "urllib3");
    assert_eq!(document.status(), "active");
    assert!(document.versions.iter().any(|version| version == "2.0.0"));
    let yanked: Vec<&str> = document
        .files
        .iter()
        .filter(|file| file.yanked.is_yanked())
        .map(|file| file.filename.as_str())
        .collect();
    assert!(
        yanked.iter().any(|name| name.starts_with("urllib3-2.0.0")),
        "{yanked:?}"
    );
    assert!(document.files.iter().all(|file| file.upload_time.is_some()));
    let request = &server.log()[0];
    assert_eq!(request.path, "/simple/urllib3/");
    assert_eq!(
        request.headers["accept"],
        "application/vnd.pypi.simple.v1+json"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_without_retry() {
    let server = TestServer::start().await;
    server.inject(
        "/v1/vulns/DECLARED",
        Fault::Oversized {
            size: 10_000,
            declare_length: true,
        },
        usize::MAX,
    );
    server.inject(
        "/v1/vulns/STREAMED",
        Fault::Oversized {
            size: 200_000,
            declare_length: false,
        },
        usize::MAX,
    );
    let fetcher = fetcher(FetchSettings {
        max_body_bytes: 4096,
        ..settings(&server)
    });
    let records =
        osv::fetch_records(&fetcher, ["DECLARED".to_owned(), "STREAMED".to_owned()]).await;
    for id in ["DECLARED", "STREAMED"] {
        let error = records[id].as_ref().unwrap_err();
        assert!(
            matches!(error.cause, FetchError::BodyTooLarge { limit: 4096, .. }),
            "{error:?}"
        );
        assert_eq!(server.requests(&format!("/v1/vulns/{id}")), 1);
    }
    // The streamed body stopped near the limit, not at its 200,000 bytes.
    assert!(fetcher.stats().bytes < 100_000, "{:?}", fetcher.stats());
}

#[tokio::test]
async fn slow_attempts_time_out_and_are_retried() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    server.inject(
        "/v1/vulns/TEST-1",
        Fault::Latency(Duration::from_millis(600)),
        1,
    );
    let fetcher = fetcher(FetchSettings {
        timeout: Duration::from_millis(200),
        ..settings(&server)
    });
    let records = osv::fetch_records(&fetcher, ["TEST-1".to_owned()]).await;
    assert!(records["TEST-1"].is_ok());
    assert_eq!(server.requests("/v1/vulns/TEST-1"), 2);
}

#[tokio::test]
async fn the_deadline_fails_what_is_not_done_quickly() {
    let server = TestServer::start().await;
    server.add_record(record("FAST", "alpha", &["1.0"]));
    server.add_record(record("SLOW", "alpha", &["1.0"]));
    server.inject(
        "/v1/vulns/SLOW",
        Fault::Latency(Duration::from_secs(10)),
        usize::MAX,
    );
    let fetcher = fetcher(FetchSettings {
        deadline: Some(Duration::from_millis(400)),
        ..settings(&server)
    });
    let started = Instant::now();
    let answers = osv::query_and_fetch(&fetcher, &[OsvQuery::new("alpha", "1.0")], |_| true).await;
    let elapsed = started.elapsed();
    assert_eq!(ids(&answers.queries[0]), ["FAST", "SLOW"]);
    assert!(answers.records["FAST"].is_ok());
    let error = answers.records["SLOW"].as_ref().unwrap_err();
    assert!(
        matches!(error.cause, FetchError::DeadlineExceeded { .. }),
        "{error:?}"
    );
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");

    // Once the deadline has passed, nothing more is sent.
    let before = server.log().len();
    let late = pypi::fetch_project_json(&fetcher, &[ProjectRequest::new("six")]).await;
    assert!(matches!(
        late[0].as_ref().unwrap_err().cause,
        FetchError::DeadlineExceeded { .. }
    ));
    assert_eq!(server.log().len(), before);
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let server = TestServer::start().await;
    let ids: Vec<String> = (0..6).map(|number| format!("TEST-{number}")).collect();
    for id in &ids {
        server.add_record(record(id, "alpha", &["1.0"]));
    }
    server.inject(
        "/v1/vulns/",
        Fault::Latency(Duration::from_millis(150)),
        usize::MAX,
    );
    let fetcher = fetcher(FetchSettings {
        concurrency: 2,
        ..settings(&server)
    });
    let started = Instant::now();
    let records = osv::fetch_records(&fetcher, ids).await;
    let elapsed = started.elapsed();
    assert!(records.values().all(Result::is_ok));
    // Six requests, two at a time, 150 ms each: at least three rounds.
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

/// The advisory requests are a chain (each link waits on the one before); on an origin that also
/// serves the index they do not queue behind its requests.
#[tokio::test]
async fn advisory_requests_do_not_wait_behind_index_requests_to_the_same_origin() {
    let server = TestServer::start().await;
    server.add_record(record("TEST-LANE", "alpha", &["1.0"]));
    server.inject(
        "/simple/",
        Fault::Latency(Duration::from_millis(400)),
        usize::MAX,
    );
    let fetcher = fetcher(FetchSettings {
        concurrency: 1,
        ..settings(&server)
    });
    let index = {
        let fetcher = fetcher.clone();
        tokio::spawn(async move {
            let requests = [ProjectRequest::new("attrs"), ProjectRequest::new("idna")];
            pypi::fetch_simple(&fetcher, &requests).await
        })
    };
    // Let the index requests take the origin's only index slot first.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let records = osv::fetch_records(&fetcher, vec!["TEST-LANE".to_owned()]).await;
    assert!(records.values().all(Result::is_ok), "{records:?}");
    // Two index requests, one at a time, 400 ms each: still going.
    assert!(!index.is_finished());
    assert!(index.await.unwrap().iter().all(Result::is_ok));
}

#[tokio::test]
async fn unsafe_names_and_ids_are_refused_before_any_request() {
    let server = TestServer::start().await;
    let fetcher = fetcher(settings(&server));
    let records = osv::fetch_records(&fetcher, ["../admin".to_owned()]).await;
    assert!(matches!(
        records["../admin"].as_ref().unwrap_err().cause,
        FetchError::InvalidRequest { .. }
    ));
    let projects = pypi::fetch_simple(&fetcher, &[ProjectRequest::new("a/b")]).await;
    assert!(projects[0].is_err());
    assert_eq!(server.log().len(), 0);
}

#[tokio::test]
async fn an_unreachable_service_fails_every_query() {
    // Bind, learn the port, close: nothing listens there now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let fetcher = fetcher(FetchSettings {
        retries: 1,
        backoff_base: Duration::from_millis(1),
        ..FetchSettings::for_base_url(&url)
    });
    let queries = [OsvQuery::new("alpha", "1.0"), OsvQuery::new("beta", "2.0")];
    let answers = osv::query_batch(&fetcher, &queries).await;
    assert_eq!(answers.len(), 2);
    for answer in &answers {
        let error = answer.as_ref().unwrap_err();
        assert!(
            matches!(error.cause, FetchError::Transport { attempts: 2, .. }),
            "{error:?}"
        );
        assert!(error.cause.to_string().contains(&url), "{error}");
    }
}

#[test]
fn run_blocking_drives_a_fetch_from_synchronous_code() {
    // The server lives on its own runtime thread; the fetch runs on `run_blocking`'s.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime.block_on(TestServer::start());
    server.add_record(record("TEST-1", "alpha", &["1.0"]));
    let settings = settings(&server);
    for workers in [1, 2] {
        let answers = run_blocking(workers, async {
            let fetcher = Fetcher::new(settings.clone()).unwrap();
            osv::query_and_fetch(&fetcher, &[OsvQuery::new("alpha", "1.0")], |_| true).await
        })
        .unwrap();
        assert!(answers.records["TEST-1"].is_ok());
    }
    assert_eq!(server.requests("/v1/querybatch"), 2);
}

/// A measurement, not a check: a cold OSV + Simple API fetch of a real lock's packages against an
/// external loopback server (the benchmark's `osv_server.py`). Run with
/// `PYAUDIT_MEASURE_URL=http://127.0.0.1:8765 PYAUDIT_MEASURE_LOCK=path/uv.lock
/// cargo test --release --test it fetch::measure -- --ignored --nocapture`.
#[test]
#[ignore = "needs an external loopback server"]
fn measure_cold_fetch_against_an_external_server() {
    let (Ok(url), Ok(lock)) = (
        std::env::var("PYAUDIT_MEASURE_URL"),
        std::env::var("PYAUDIT_MEASURE_LOCK"),
    ) else {
        eprintln!("set PYAUDIT_MEASURE_URL and PYAUDIT_MEASURE_LOCK");
        return;
    };
    // The `[[package]]` tables of a uv.lock, read directly: this measures fetching, not reading.
    let text = std::fs::read_to_string(&lock).unwrap();
    let document: toml::Table = toml::from_str(&text).unwrap();
    let queries: Vec<OsvQuery> = document["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|package| {
            let name = package.get("name")?.as_str()?;
            let version = package.get("version")?.as_str()?;
            Some(OsvQuery::new(name, version))
        })
        .collect();
    let workers: usize = std::env::var("PYAUDIT_MEASURE_WORKERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(1);
    let started = Instant::now();
    let (answers, simple, stats) = run_blocking(workers, async {
        let built = Instant::now();
        let concurrency = std::env::var("PYAUDIT_MEASURE_CONCURRENCY")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(32);
        let fetcher = Fetcher::new(FetchSettings {
            concurrency,
            ..FetchSettings::for_base_url(&url)
        })
        .unwrap();
        eprintln!("client built in {:?}", built.elapsed());
        let requests: Vec<ProjectRequest> = queries
            .iter()
            .map(|query| ProjectRequest::new(query.name.clone()))
            .collect();
        let with_simple = std::env::var_os("PYAUDIT_MEASURE_NO_SIMPLE").is_none();
        let osv_started = Instant::now();
        let (answers, simple) = tokio::join!(
            async {
                let answers = osv::query_and_fetch(&fetcher, &queries, |_| true).await;
                eprintln!("osv done after {:?}", osv_started.elapsed());
                answers
            },
            async {
                if with_simple {
                    pypi::fetch_simple(&fetcher, &requests).await
                } else {
                    Vec::new()
                }
            }
        );
        (answers, simple, fetcher.stats())
    })
    .unwrap();
    let failed = answers
        .queries
        .iter()
        .filter(|answer| answer.is_err())
        .count()
        + answers
            .records
            .values()
            .filter(|answer| answer.is_err())
            .count()
        + simple.iter().filter(|answer| answer.is_err()).count();
    eprintln!(
        "{} packages, {} records, {failed} failures, {stats:?}, {:?}",
        queries.len(),
        answers.records.len(),
        started.elapsed()
    );
}
