//! A loopback HTTP/1.1 server that plays OSV and PyPI for tests, with scriptable faults.
//!
//! Hand-written on `tokio::net::TcpListener` so faults are exact: a connection closed without an
//! answer, a body shorter than its `Content-Length`, a status with `Retry-After`, latency.
//!
//! Endpoints (the subset of <https://google.github.io/osv.dev/api/> and PyPI that pyaudit uses):
//! - `POST /v1/querybatch`: matches each query against the loaded OSV records (exact `versions`
//!   membership, or an `ECOSYSTEM` range compared with PEP 440 ordering); answers
//!   `{"results": [{"vulns": [{"id", "modified"}]} | {}]}`, paginated when a page size is set.
//! - `POST /v1/query`: `{"package": {"name", "ecosystem"}}` without a version answers every loaded
//!   record that names the package (full records, `{"vulns": [...]}` or `{}`); with a version,
//!   the records matching it. Paginated like querybatch when a page size is set.
//! - `GET /v1/vulns/{id}`: the record, or 404.
//! - Paths set with [`TestServer::set_body`] answer `Range: bytes=-N` / `bytes=A-B` with 206 and
//!   `Content-Range` (wheels read by their central directory), unless
//!   [`TestServer::ignore_ranges`] is on.
//! - `GET /pypi/{name}/json`, `GET /simple/{name}/`: the recorded files of the corpus's `pypi/`,
//!   with an `ETag` and `Last-Modified`; `If-None-Match` / `If-Modified-Since` give 304.
//!
//! [`TestServer::use_advisory_matching`] switches querybatch to `pyaudit_advisories`' matching (the
//! full OSV evaluation on PEP 440 versions: `last_affected`, `limit`, `0`, pre-releases), and
//! [`TestServer::load_yaml_records`] loads YAML records such as the PyPA database.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pep440_rs::Version;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The fixed `Last-Modified` of every recorded PyPI file (the day they were recorded).
pub const LAST_MODIFIED: &str = "Wed, 25 Nov 2026 17:36:00 GMT";

use super::corpus::pypi_dir;

/// The one loopback server setup: a [`TestServer`] on its own runtime, so the test thread can
/// block (run the binary, or call code that runs its own runtime) while it answers. Derefs to
/// the server; both stop when it is dropped.
pub struct Served {
    pub server: TestServer,
    runtime: tokio::runtime::Runtime,
}

impl Served {
    /// A server with no records, answering PyPI from the corpus's recorded answers.
    pub fn start() -> Served {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(TestServer::start());
        Served { server, runtime }
    }

    /// A server answering OSV from the whole PyPA database with OSV's matching rules.
    pub fn pypa() -> Served {
        let served = Served::start();
        assert_eq!(
            served.load_yaml_records(&super::corpus::pypa_dir()),
            2661,
            "the PyPA snapshot"
        );
        served.use_advisory_matching();
        served
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }
}

impl std::ops::Deref for Served {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

/// What the server does to a request instead of (or before) answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (with an empty JSON object), and `Retry-After` if given.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Read the request, then close the connection without a byte of answer.
    Reset,
    /// Send the headers with the full `Content-Length`, half the body, then close.
    Truncate,
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Wait, then answer normally (does not stop later rules from applying).
    Latency(Duration),
    /// Answer 200 with `size` bytes of JSON; without `declare_length` the body is sent without a
    /// `Content-Length` and ends when the connection closes, so only streaming can catch it.
    Oversized { size: usize, declare_length: bool },
    /// Answer `status` (301, 302, 307, 308) with `Location: location`.
    Redirect { status: u16, location: String },
}

#[derive(Debug, Clone)]
struct FaultRule {
    path_prefix: String,
    /// The path must be `path_prefix` itself (`/v1/query`, not `/v1/querybatch`).
    exact: bool,
    /// Only requests whose body contains this text (to target one querybatch chunk).
    body_contains: Option<String>,
    fault: Fault,
    remaining: usize,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names in lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct State {
    /// Requests read and not yet past their injected latency; the most there ever were.
    in_flight: usize,
    max_in_flight: usize,
    records: BTreeMap<String, Value>,
    /// Canonical package name → ids of records that mention it.
    ids_by_package: HashMap<String, Vec<String>>,
    pypi_dir: Option<PathBuf>,
    /// Path → (status, content type, body), answered before any route.
    overrides: HashMap<String, (u16, String, Vec<u8>)>,
    faults: Vec<FaultRule>,
    page_size: Option<usize>,
    log: Vec<RecordedRequest>,
    /// Answer querybatch with `pyaudit_advisories` matching (see `use_advisory_matching`).
    advisory_matching: bool,
    /// The loaded records as a `pyaudit_advisories` database, rebuilt after records change.
    advisory_index: Option<Arc<pyaudit_advisories::Database>>,
    /// Answer range requests with the whole body (200), as servers may.
    ignore_ranges: bool,
}

/// The server; it stops when dropped.
pub struct TestServer {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    accept_task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// PEP 503 normalization: lowercase, runs of `-_.` become `-`.
pub fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for character in name.chars() {
        if "-_.".contains(character) {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(character.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and serves on the current tokio runtime.
    pub async fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            pypi_dir: Some(pypi_dir()),
            ..State::default()
        }));
        let accept_state = Arc::clone(&state);
        let accept_task = tokio::spawn(async move {
            loop {
                let Ok((stream, _peer)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let _ = serve_connection(stream, state).await;
                });
            }
        });
        TestServer {
            address,
            state,
            accept_task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Adds an OSV record (JSON with `id`, `modified`, `affected`).
    pub fn add_record(&self, record: Value) {
        let mut state = self.state.lock().unwrap();
        let id = record["id"].as_str().unwrap().to_owned();
        for affected in record["affected"].as_array().into_iter().flatten() {
            if affected["package"]["ecosystem"] == "PyPI" {
                let name = canonical_name(affected["package"]["name"].as_str().unwrap_or(""));
                let ids = state.ids_by_package.entry(name).or_default();
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
            }
        }
        state.records.insert(id, record);
        state.advisory_index = None;
    }

    /// Loads every `*.yaml` / `*.yml` OSV record under `directory` (e.g. the PyPA database) as
    /// JSON values; returns how many.
    pub fn load_yaml_records(&self, directory: &Path) -> usize {
        let mut count = 0;
        let mut stack = vec![directory.to_path_buf()];
        while let Some(directory) = stack.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let record: Value = serde_saphyr::from_str(&text).unwrap();
                    if record.get("id").is_some() {
                        self.add_record(record);
                        count += 1;
                    }
                }
            }
        }
        count
    }

    /// Answer querybatch with `pyaudit_advisories`' OSV matching instead of the simplified one,
    /// so the server agrees with OSV semantics on every record of the PyPA database.
    pub fn use_advisory_matching(&self) {
        self.state.lock().unwrap().advisory_matching = true;
    }

    /// Replaces a record in place (e.g. a new `modified`), keeping the package index.
    pub fn replace_record(&self, record: Value) {
        self.add_record(record);
    }

    /// Loads every `*.json` OSV record under `directory`; returns how many.
    pub fn load_records(&self, directory: &Path) -> usize {
        let mut count = 0;
        let mut stack = vec![directory.to_path_buf()];
        while let Some(directory) = stack.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "json")
                {
                    let record: Value =
                        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                    if record.get("id").is_some() {
                        self.add_record(record);
                        count += 1;
                    }
                }
            }
        }
        count
    }

    /// Paginate querybatch results: at most `size` vulns per query per page.
    pub fn set_page_size(&self, size: usize) {
        self.state.lock().unwrap().page_size = Some(size);
    }

    /// Answer `Range` requests to `set_body` paths with the whole body (200), as a server that
    /// does not support ranges would.
    pub fn ignore_ranges(&self) {
        self.state.lock().unwrap().ignore_ranges = true;
    }

    /// Answer `path` with this body instead of its route.
    pub fn set_body(&self, path: &str, status: u16, content_type: &str, body: impl Into<Vec<u8>>) {
        self.state.lock().unwrap().overrides.insert(
            path.to_owned(),
            (status, content_type.to_owned(), body.into()),
        );
    }

    /// The next `times` requests whose path starts with `path_prefix` get `fault`
    /// (`usize::MAX` for always).
    pub fn inject(&self, path_prefix: &str, fault: Fault, times: usize) {
        self.inject_where(path_prefix, None, fault, times);
    }

    /// As [`inject`](Self::inject), for requests whose body also contains `body_contains`.
    pub fn inject_where(
        &self,
        path_prefix: &str,
        body_contains: Option<&str>,
        fault: Fault,
        times: usize,
    ) {
        self.state.lock().unwrap().faults.push(FaultRule {
            path_prefix: path_prefix.to_owned(),
            exact: false,
            body_contains: body_contains.map(str::to_owned),
            fault,
            remaining: times,
        });
    }

    /// As [`inject`](Self::inject), for requests to exactly `path`.
    pub fn inject_exact(&self, path: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().faults.push(FaultRule {
            path_prefix: path.to_owned(),
            exact: true,
            body_contains: None,
            fault,
            remaining: times,
        });
    }

    /// The most requests that were ever waiting on their injected latency at once: with a
    /// latency on every path, how many requests the client had in flight together.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }

    /// Requests received whose path starts with `path_prefix` (faulted ones included).
    pub fn requests(&self, path_prefix: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|request| request.path.starts_with(path_prefix))
            .count()
    }

    /// Every request received, in order.
    pub fn log(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().log.clone()
    }
}

struct Answer {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, value: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap(),
        }
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader).await? else {
            return Ok(());
        };
        let close_after = request
            .headers
            .get("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let faults = {
            let mut state = state.lock().unwrap();
            state.log.push(request.clone());
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            take_faults(&mut state, &request)
        };
        let mut terminal = None;
        for fault in faults {
            match fault {
                Fault::Latency(delay) => tokio::time::sleep(delay).await,
                other => terminal = Some(other),
            }
        }
        state.lock().unwrap().in_flight -= 1;
        let stream = reader.get_mut();
        match terminal {
            Some(Fault::Reset) => return Ok(()),
            Some(Fault::Truncate) => {
                let answer = route(&state, &request);
                let head = response_head(&answer, Some(answer.body.len()));
                stream.write_all(head.as_bytes()).await?;
                stream
                    .write_all(&answer.body[..answer.body.len() / 2])
                    .await?;
                stream.flush().await?;
                return Ok(());
            }
            Some(Fault::Status {
                status,
                retry_after,
            }) => {
                let mut answer = Answer::json(status, &json!({"code": 14, "message": "injected"}));
                if let Some(retry_after) = retry_after {
                    answer.headers.push(("Retry-After".to_owned(), retry_after));
                }
                write_answer(stream, &answer).await?;
            }
            Some(Fault::Redirect { status, location }) => {
                let mut answer = Answer::json(status, &json!({}));
                answer.headers.push(("Location".to_owned(), location));
                write_answer(stream, &answer).await?;
            }
            Some(Fault::MalformedJson) => {
                let mut answer = route(&state, &request);
                answer.status = 200;
                answer.body = b"{\"results\": [{\"vulns\": [{\"id\": ".to_vec();
                write_answer(stream, &answer).await?;
            }
            Some(Fault::Oversized {
                size,
                declare_length,
            }) => {
                let mut body = b"{\"padding\": \"".to_vec();
                body.resize(size.saturating_sub(2), b'x');
                body.extend_from_slice(b"\"}");
                let mut answer = Answer::json(200, &Value::Null);
                answer.body = body;
                if declare_length {
                    write_answer(stream, &answer).await?;
                } else {
                    answer
                        .headers
                        .push(("Connection".to_owned(), "close".to_owned()));
                    let head = response_head(&answer, None);
                    stream.write_all(head.as_bytes()).await?;
                    // Errors here are the client hanging up at its limit, as intended.
                    let _ = stream.write_all(&answer.body).await;
                    return Ok(());
                }
            }
            Some(Fault::Latency(_)) | None => {
                let answer = route(&state, &request);
                write_answer(stream, &answer).await?;
            }
        }
        if close_after {
            return Ok(());
        }
    }
}

fn take_faults(state: &mut State, request: &RecordedRequest) -> Vec<Fault> {
    let mut taken = Vec::new();
    let mut terminal_taken = false;
    for rule in &mut state.faults {
        let matches = if rule.exact {
            request.path == rule.path_prefix
        } else {
            request.path.starts_with(&rule.path_prefix)
        };
        if rule.remaining == 0 || !matches {
            continue;
        }
        if let Some(needle) = &rule.body_contains
            && !String::from_utf8_lossy(&request.body).contains(needle.as_str())
        {
            continue;
        }
        let is_latency = matches!(rule.fault, Fault::Latency(_));
        if !is_latency && terminal_taken {
            continue;
        }
        terminal_taken |= !is_latency;
        if rule.remaining != usize::MAX {
            rule.remaining -= 1;
        }
        taken.push(rule.fault.clone());
    }
    taken
}

async fn read_request(
    reader: &mut BufReader<TcpStream>,
) -> std::io::Result<Option<RecordedRequest>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(RecordedRequest {
        method,
        path,
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn response_head(answer: &Answer, content_length: Option<usize>) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    if answer.status != 304 {
        head.push_str(&format!("Content-Type: {}\r\n", answer.content_type));
    }
    if let Some(length) = content_length {
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

async fn write_answer(stream: &mut TcpStream, answer: &Answer) -> std::io::Result<()> {
    let length = (answer.status != 304).then_some(answer.body.len());
    let mut bytes = response_head(answer, length).into_bytes();
    if answer.status != 304 {
        bytes.extend_from_slice(&answer.body);
    }
    stream.write_all(&bytes).await?;
    stream.flush().await
}

/// `bytes=-N` or `bytes=A-B` (B optional) → inclusive (start, end) within `length`.
fn byte_range(header: &str, length: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (first, last) = spec.split_once('-')?;
    if length == 0 {
        return None;
    }
    if first.is_empty() {
        let suffix: usize = last.parse().ok()?;
        return Some((length.saturating_sub(suffix), length - 1));
    }
    let start: usize = first.parse().ok()?;
    let end = if last.is_empty() {
        length - 1
    } else {
        last.parse::<usize>().ok()?.min(length - 1)
    };
    (start <= end).then_some((start, end))
}

fn route(state: &Mutex<State>, request: &RecordedRequest) -> Answer {
    let mut state = state.lock().unwrap();
    if state.advisory_matching {
        advisory_index(&mut state);
    }
    let path = request.path.split('?').next().unwrap_or("");
    if let Some((status, content_type, body)) = state.overrides.get(path) {
        // RFC 9110 §14: `bytes=-N` (the last N bytes) and `bytes=A-B`, for wheels read by range.
        if *status == 200
            && !state.ignore_ranges
            && let Some(range) = request.headers.get("range")
            && let Some((start, end)) = byte_range(range, body.len())
        {
            return Answer {
                status: 206,
                content_type: content_type.clone(),
                headers: vec![(
                    "Content-Range".to_owned(),
                    format!("bytes {start}-{end}/{}", body.len()),
                )],
                body: body[start..=end].to_vec(),
            };
        }
        return Answer {
            status: *status,
            content_type: content_type.clone(),
            headers: Vec::new(),
            body: body.clone(),
        };
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "querybatch"]) => querybatch(&state, request),
        ("POST", ["v1", "query"]) => query(&state, request),
        ("GET", ["v1", "vulns", id]) => match state.records.get(*id) {
            Some(record) => Answer::json(200, record),
            None => Answer::json(404, &json!({"code": 5, "message": "Bug not found."})),
        },
        ("GET", ["pypi", name, "json"]) => {
            pypi_file(&state, request, &format!("{name}.json"), "application/json")
        }
        ("GET", ["simple", name]) => pypi_file(
            &state,
            request,
            &format!("{name}.simple.json"),
            "application/vnd.pypi.simple.v1+json",
        ),
        _ => Answer::json(404, &json!({"message": "Not Found"})),
    }
}

fn pypi_file(
    state: &State,
    request: &RecordedRequest,
    file_name: &str,
    content_type: &str,
) -> Answer {
    let Some(body) = state
        .pypi_dir
        .as_ref()
        .and_then(|directory| std::fs::read(directory.join(file_name)).ok())
    else {
        return Answer::json(404, &json!({"message": "Not Found"}));
    };
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let headers = vec![
        ("ETag".to_owned(), etag.clone()),
        ("Last-Modified".to_owned(), LAST_MODIFIED.to_owned()),
    ];
    let etag_matches = request
        .headers
        .get("if-none-match")
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let date_matches = !request.headers.contains_key("if-none-match")
        && request
            .headers
            .get("if-modified-since")
            .is_some_and(|value| value == LAST_MODIFIED);
    if etag_matches || date_matches {
        return Answer {
            status: 304,
            content_type: content_type.to_owned(),
            headers,
            body: Vec::new(),
        };
    }
    Answer {
        status: 200,
        content_type: content_type.to_owned(),
        headers,
        body,
    }
}

/// The loaded records as a `pyaudit_advisories` database (records it cannot read are left out).
fn advisory_index(state: &mut State) -> Arc<pyaudit_advisories::Database> {
    if let Some(index) = &state.advisory_index {
        return Arc::clone(index);
    }
    let advisories = state
        .records
        .values()
        .filter_map(|record| {
            let bytes = serde_json::to_vec(record).ok()?;
            pyaudit_advisories::record::parse_record(
                &bytes,
                pyaudit_advisories::RecordFormat::Json,
                "server",
            )
            .ok()
        })
        .collect();
    let index = Arc::new(pyaudit_advisories::Database::from_advisories(advisories));
    state.advisory_index = Some(Arc::clone(&index));
    index
}

/// Matching with `pyaudit_advisories`, the OSV evaluation algorithm on PEP 440 versions.
fn advisory_matching_records<'a>(
    state: &'a State,
    index: &pyaudit_advisories::Database,
    name: &str,
    version: &str,
) -> Vec<&'a Value> {
    let Ok(parsed) = Version::from_str(version) else {
        return Vec::new();
    };
    index
        .advisories_for(name)
        .filter(|advisory| pyaudit_advisories::matching::advisory_affects(advisory, name, &parsed))
        .filter_map(|advisory| state.records.get(&advisory.id))
        .collect()
}

fn querybatch(state: &State, request: &RecordedRequest) -> Answer {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return Answer::json(400, &json!({"message": "bad json"}));
    };
    let mut results = Vec::new();
    for query in body["queries"].as_array().into_iter().flatten() {
        let name = canonical_name(query["package"]["name"].as_str().unwrap_or(""));
        let version = query["version"].as_str().unwrap_or("");
        let matched = match &state.advisory_index {
            Some(index) if state.advisory_matching => {
                advisory_matching_records(state, index, &name, version)
            }
            _ => matching_records(state, &name, version),
        };
        let mut vulns: Vec<Value> = matched
            .into_iter()
            .map(|record| json!({"id": record["id"], "modified": record["modified"]}))
            .collect();
        let offset: usize = match query.get("page_token").and_then(Value::as_str) {
            None => 0,
            Some(token) => match token.parse() {
                Ok(offset) => offset,
                Err(_) => return Answer::json(400, &json!({"message": "bad page_token"})),
            },
        };
        let mut result = json!({});
        if let Some(size) = state.page_size {
            let end = (offset + size).min(vulns.len());
            let more = end < vulns.len();
            vulns = vulns.get(offset..end).unwrap_or(&[]).to_vec();
            if more {
                result["next_page_token"] = json!(end.to_string());
            }
        }
        if !vulns.is_empty() {
            result["vulns"] = Value::Array(vulns);
        }
        results.push(result);
    }
    Answer::json(200, &json!({ "results": results }))
}

fn query(state: &State, request: &RecordedRequest) -> Answer {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return Answer::json(400, &json!({"message": "bad json"}));
    };
    let name = canonical_name(body["package"]["name"].as_str().unwrap_or(""));
    if name.is_empty() {
        return Answer::json(400, &json!({"message": "a package name is required"}));
    }
    let mut vulns: Vec<Value> = match body["version"].as_str() {
        Some(version) => match &state.advisory_index {
            Some(index) if state.advisory_matching => {
                advisory_matching_records(state, index, &name, version)
            }
            _ => matching_records(state, &name, version),
        }
        .into_iter()
        .cloned()
        .collect(),
        None => state
            .ids_by_package
            .get(&name)
            .into_iter()
            .flatten()
            .filter_map(|id| state.records.get(id).cloned())
            .collect(),
    };
    let offset: usize = match body.get("page_token").and_then(Value::as_str) {
        None => 0,
        Some(token) => match token.parse() {
            Ok(offset) => offset,
            Err(_) => return Answer::json(400, &json!({"message": "bad page_token"})),
        },
    };
    let mut result = json!({});
    if let Some(size) = state.page_size {
        let end = (offset + size).min(vulns.len());
        if end < vulns.len() {
            result["next_page_token"] = json!(end.to_string());
        }
        vulns = vulns.get(offset..end).unwrap_or(&[]).to_vec();
    }
    if !vulns.is_empty() {
        result["vulns"] = Value::Array(vulns);
    }
    Answer::json(200, &result)
}

/// OSV matching, simplified for a test double: exact `versions` membership, or an `ECOSYSTEM`
/// range walked as introduced / fixed / last_affected events with PEP 440 ordering.
fn matching_records<'a>(state: &'a State, name: &str, version: &str) -> Vec<&'a Value> {
    let parsed = Version::from_str(version).ok();
    let mut out = Vec::new();
    for id in state.ids_by_package.get(name).into_iter().flatten() {
        let record = &state.records[id];
        let affected = record["affected"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|affected| {
                affected["package"]["ecosystem"] == "PyPI"
                    && canonical_name(affected["package"]["name"].as_str().unwrap_or("")) == name
                    && (affected["versions"]
                        .as_array()
                        .is_some_and(|versions| versions.iter().any(|listed| listed == version))
                        || parsed
                            .as_ref()
                            .is_some_and(|parsed| in_ranges(&affected["ranges"], parsed)))
            });
        if affected {
            out.push(record);
        }
    }
    out
}

fn in_ranges(ranges: &Value, version: &Version) -> bool {
    for range in ranges.as_array().into_iter().flatten() {
        if range["type"] != "ECOSYSTEM" {
            continue;
        }
        let mut introduced: Option<Version> = None;
        for event in range["events"].as_array().into_iter().flatten() {
            let parse = |key: &str| {
                event[key]
                    .as_str()
                    .and_then(|text| Version::from_str(text).ok())
            };
            if let Some(start) = parse("introduced") {
                introduced = Some(start);
            } else if let Some(fixed) = parse("fixed") {
                if introduced
                    .as_ref()
                    .is_some_and(|start| start <= version && version < &fixed)
                {
                    return true;
                }
                introduced = None;
            } else if let Some(last) = parse("last_affected") {
                if introduced
                    .as_ref()
                    .is_some_and(|start| start <= version && version <= &last)
                {
                    return true;
                }
                introduced = None;
            }
        }
        if introduced.is_some_and(|start| version >= &start) {
            return true;
        }
    }
    false
}
