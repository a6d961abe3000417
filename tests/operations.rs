//! API.md section 10, in-process: health and readiness, metrics, the OpenAPI document, and the
//! client address behind a trusted reverse proxy.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{config_for, DbKind, TestDatabase, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// GET without a token; status and body as text.
async fn fetch(s: &TestServer, path: &str) -> (StatusCode, String) {
    let response = s
        .http
        .get(format!("{}{path}", s.url))
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    assert!(response.headers().contains_key("x-request-id"), "{path}");
    (status, response.text().await.expect("a body"))
}

async fn readiness(s: &TestServer) -> (StatusCode, String) {
    let (status, text) = fetch(s, "/readyz").await;
    let body: Value = serde_json::from_str(&text).expect("JSON");
    (
        status,
        body["status"].as_str().unwrap_or_default().to_string(),
    )
}

// ---- health and readiness ----

async fn health_and_readiness_until_draining(s: &TestServer) {
    let (status, text) = fetch(s, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("JSON"),
        json!({"status": "ok"})
    );
    assert_eq!(readiness(s).await, (StatusCode::OK, "ready".to_string()));

    // Shutting down: not ready, still alive, still serving.
    s.running().drain();
    assert_eq!(
        readiness(s).await,
        (StatusCode::SERVICE_UNAVAILABLE, "draining".to_string())
    );
    assert_eq!(fetch(s, "/healthz").await.0, StatusCode::OK);
    assert_eq!(s.get("/api/admin/dashboard").await.status, StatusCode::OK);
}

/// Waits until `/readyz` says `expected`, for at most 20 s.
async fn wait_for_readiness(s: &TestServer, expected: (StatusCode, &str)) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = readiness(s).await;
        if now == (expected.0, expected.1.to_string()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still says {now:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_readiness_fails_when_the_database_cannot_be_used() {
    let s = TestServer::start(DbKind::Sqlite).await;
    assert_eq!(readiness(&s).await.0, StatusCode::OK);
    // SQLite has no link to cut; a closed pool is what a lost database looks like to us.
    s.store().close().await;
    let started = Instant::now();
    assert_eq!(
        readiness(&s).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable".to_string()
        )
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fetch(&s, "/healthz").await.0, StatusCode::OK);
    s.stop().await;
}

/// A TCP link between the server and PostgreSQL that the test can cut and mend.
struct Link {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Link {
    async fn to(target: SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (up_in_task, connections_in_task) = (up.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up_in_task.load(Ordering::SeqCst) {
                    // Cut: hang up on every new connection at once.
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections_in_task
                    .lock()
                    .expect("not poisoned")
                    .push(relay);
            }
        });
        Link {
            addr,
            up,
            connections,
            accept,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for relay in self.connections.lock().expect("not poisoned").drain(..) {
            relay.abort();
        }
    }

    fn mend(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_readiness_follows_the_database_link() {
    let Some(database) = TestDatabase::try_new(DbKind::Postgres).await else {
        return;
    };
    let mut url = url::Url::parse(&database.url).expect("a URL");
    let host = url.host_str().expect("a host").to_string();
    let port = url.port().unwrap_or(5432);
    let target = tokio::net::lookup_host((host.as_str(), port))
        .await
        .expect("the host resolves")
        .next()
        .expect("an address");
    let link = Link::to(target).await;
    url.set_host(Some("127.0.0.1")).expect("a host");
    url.set_port(Some(link.addr.port())).expect("a port");
    let through_link = url.to_string();
    let s = TestServer::start_on(DbKind::Postgres, database, |_| config_for(&through_link)).await;
    assert_eq!(readiness(&s).await, (StatusCode::OK, "ready".to_string()));

    link.cut();
    let started = Instant::now();
    wait_for_readiness(
        &s,
        (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "noticed after {:?}",
        started.elapsed()
    );
    assert_eq!(
        fetch(&s, "/healthz").await.0,
        StatusCode::OK,
        "alive all the same"
    );

    link.mend();
    wait_for_readiness(&s, (StatusCode::OK, "ready")).await;
    assert_eq!(s.get("/api/admin/dashboard").await.status, StatusCode::OK);
    s.stop().await;
}

// ---- metrics ----

/// The value of the sample `name{labels}` in Prometheus text, when there is exactly one.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeSet<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}=\"{value}\""))
        .collect();
    let found: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let have: BTreeSet<String> = series_labels
                .split("\",")
                .filter(|label| !label.is_empty())
                .map(|label| format!("{}\"", label.trim_end_matches('"')))
                .collect();
            (series_name == name && have == wanted).then(|| value.parse().ok())?
        })
        .collect();
    match found.as_slice() {
        [value] => Some(*value),
        _ => None,
    }
}

async fn metrics_count_by_route_template(s: &TestServer) {
    let id = s.create_vehicle("Van 1", "M 1").await;
    for _ in 0..2 {
        assert_eq!(
            s.get(&format!("/api/admin/vehicles/{id}")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        s.get("/api/admin/vehicles/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(s, "/no/such/thing").await.0, StatusCode::NOT_FOUND);

    let (status, text) = fetch(s, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let route = "/api/admin/vehicles/{id}";
    let requests = |status: &str| {
        sample(
            &text,
            "fleetdesk_http_requests_total",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("200"), Some(2.0), "{text}");
    assert_eq!(requests("404"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "fleetdesk_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/admin/vehicles"),
                ("status", "201")
            ],
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "fleetdesk_http_requests_total",
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")],
        ),
        Some(1.0),
        "{text}"
    );
    // The raw paths never become labels: anyone could vary them without end.
    assert!(
        !text.contains(&format!("/api/admin/vehicles/{id}\"")),
        "{text}"
    );
    assert!(!text.contains("/no/such/thing"), "{text}");
    let latency = |suffix: &str, extra: Option<(&str, &str)>| {
        let mut labels = vec![("method", "GET"), ("route", route)];
        labels.extend(extra);
        sample(
            &text,
            &format!("fleetdesk_http_request_duration_seconds{suffix}"),
            &labels,
        )
    };
    assert_eq!(latency("_count", None), Some(3.0), "{text}");
    assert_eq!(
        latency("_bucket", Some(("le", "+Inf"))),
        Some(3.0),
        "{text}"
    );
    assert!(latency("_bucket", Some(("le", "10"))).is_some(), "{text}");
    assert!(latency("_sum", None).is_some_and(|sum| sum > 0.0 && sum < 30.0));

    let max = match s.kind {
        // 8 readers and the one writer.
        DbKind::Sqlite => 9.0,
        DbKind::Postgres => 16.0,
    };
    assert_eq!(
        sample(&text, "fleetdesk_db_pool_max_connections", &[]),
        Some(max)
    );
    let in_use = sample(
        &text,
        "fleetdesk_db_pool_connections",
        &[("state", "in_use")],
    );
    let idle = sample(&text, "fleetdesk_db_pool_connections", &[("state", "idle")]);
    // Background work (the event sequencer, the fan-out, sqlx's ping of a returned connection)
    // may hold any of them at this moment, so only the pool's size is certain: the requests above
    // opened at least one connection, and never more than the bound.
    let open = in_use.zip(idle).map(|(in_use, idle)| in_use + idle);
    assert!(open.is_some_and(|n| (1.0..=max).contains(&n)), "{text}");
    assert_eq!(
        sample(&text, "fleetdesk_event_streams_open", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "fleetdesk_events_delivered_total", &[]),
        Some(0.0),
        "{text}"
    );
    assert!(text.contains("# TYPE fleetdesk_http_request_duration_seconds histogram"));
    assert!(text.contains("# HELP fleetdesk_http_requests_total "));
}

on_both_databases!(
    health_and_readiness_until_draining,
    metrics_count_by_route_template
);

// ---- the OpenAPI document ----

/// Every route of API.md (sections 1–4 and 7–10), in the document's path syntax.
const CONTRACT: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/me"),
    ("GET", "/api/auth/keys"),
    ("POST", "/api/auth/keys"),
    ("DELETE", "/api/auth/keys/{id}"),
    ("GET", "/api/users"),
    ("GET", "/api/admin/vehicles"),
    ("POST", "/api/admin/vehicles"),
    ("GET", "/api/admin/vehicles/{id}"),
    ("PATCH", "/api/admin/vehicles/{id}"),
    ("DELETE", "/api/admin/vehicles/{id}"),
    ("GET", "/api/admin/users"),
    ("POST", "/api/admin/users"),
    ("PATCH", "/api/admin/users/{id}"),
    ("GET", "/api/admin/technicians"),
    ("GET", "/api/admin/assignments"),
    ("POST", "/api/admin/assignments"),
    ("GET", "/api/admin/assignments/{id}"),
    ("PATCH", "/api/admin/assignments/{id}/return"),
    ("GET", "/api/admin/dashboard"),
    ("GET", "/api/admin/activity"),
    ("GET", "/api/events"),
    ("GET", "/api/organizations"),
    ("POST", "/api/organizations"),
    ("GET", "/api/users/{userId}"),
    ("GET", "/api/users/assignments"),
    ("POST", "/api/users/assignment"),
    ("POST", "/api/users/assignment/resolve"),
    ("DELETE", "/api/users/assignment/{relId}"),
];

/// Routes that need no sign-in.
const OPEN: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/openapi.json",
    "/api/auth/login",
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `/api/users/{user_id}` and `/api/users/{userId}` are the same route.
fn same_shape(path: &str) -> String {
    let mut shape = String::new();
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push_str("{}");
            }
            '}' => in_parameter = false,
            _ if in_parameter => {}
            _ => shape.push(c),
        }
    }
    shape
}

/// Every `$ref` in the document points at a schema it defines.
fn check_refs(value: &Value, schemas: &serde_json::Map<String, Value>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unexpected $ref {target}"));
                assert!(
                    schemas.contains_key(name),
                    "$ref to a missing schema {name}"
                );
            }
            map.values().for_each(|inner| check_refs(inner, schemas));
        }
        Value::Array(items) => items.iter().for_each(|inner| check_refs(inner, schemas)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_exactly_the_routes_served() {
    let s = TestServer::start(DbKind::Sqlite).await;
    let (status, text) = fetch(&s, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);

    // An OpenAPI 3.1 document, as an independent parser reads it.
    let spec = oas3::from_json(&text).expect("parses as OpenAPI 3.1");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let document: Value = serde_json::from_str(&text).expect("JSON");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("component schemas");
    check_refs(&document, schemas);

    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = method.to_uppercase();
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} documents no answer");
            let signed_in = operation["security"]
                .as_array()
                .is_some_and(|schemes| schemes.iter().any(|scheme| scheme.get("bearer").is_some()));
            assert_eq!(
                signed_in,
                !OPEN.contains(&path.as_str()),
                "{method} {path}: bearer security exactly where a token is needed"
            );
            let by_key = operation["security"].as_array().is_some_and(|schemes| {
                schemes.iter().any(|scheme| scheme.get("api_key").is_some())
            });
            assert_eq!(
                by_key, signed_in,
                "{method} {path}: an API key wherever a token goes (API.md §9)"
            );
            documented.insert((method, path.clone()));
        }
    }
    let shapes = |routes: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
        routes
            .iter()
            .map(|(method, path)| (method.clone(), same_shape(path)))
            .collect()
    };
    let contract: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        shapes(&documented),
        shapes(&contract),
        "the document against API.md"
    );

    // The router serves each documented route, and no other method on those paths.
    let served_paths: HashSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in served_paths {
        let concrete: String = path
            .split('/')
            .map(|part| if part.starts_with('{') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            let answer = s
                .send_raw(
                    Method::from_bytes(method.as_bytes()).expect("a method"),
                    &concrete,
                    None,
                    (method != "GET" && method != "DELETE").then_some(b"{}".as_slice()),
                )
                .await
                .expect("an answer");
            let unknown = answer.text.contains("There is no endpoint");
            if documented.contains(&(method.to_string(), path.clone())) {
                assert!(
                    !unknown && answer.status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {concrete} is documented but not served: {} {}",
                    answer.status,
                    answer.text
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {concrete} is served but not documented: {}",
                    answer.text
                );
            }
        }
    }
    s.stop().await;
}

// ---- the client address behind a reverse proxy ----

/// Sign-in failures from one forwarded address until it is blocked; then whether another
/// forwarded address is blocked too.
async fn another_forwarded_address_is_blocked(s: &TestServer) -> bool {
    let attempt = |n: usize, forwarded: &'static str| {
        let request = s
            .http
            .post(format!("{}/api/auth/login", s.url))
            .header("x-forwarded-for", forwarded)
            .json(
                &json!({"email": format!("nobody{n}@depot.example"), "password": "wrong-password"}),
            );
        async move { request.send().await.expect("an answer").status() }
    };
    let mut blocked_after = None;
    for n in 0..40 {
        if attempt(n, "198.51.100.7").await == StatusCode::TOO_MANY_REQUESTS {
            blocked_after = Some(n);
            break;
        }
    }
    assert_eq!(blocked_after, Some(30), "30 failures per address, then 429");
    match attempt(100, "6.6.6.6, 198.51.100.8").await {
        StatusCode::TOO_MANY_REQUESTS => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    // Behind a trusted proxy (here: the test itself, on 127.0.0.1) each client has its own
    // limit, keyed on the address the proxy appended, not on what the client wrote.
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let behind_proxy = TestServer::start_on(DbKind::Sqlite, database, |url| {
        let mut config = config_for(url);
        config.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a network")];
        config
    })
    .await;
    assert!(!another_forwarded_address_is_blocked(&behind_proxy).await);
    behind_proxy.stop().await;

    // From a peer nobody trusts, the header is ignored: a new address in it does not escape.
    let direct = TestServer::start(DbKind::Sqlite).await;
    assert!(another_forwarded_address_is_blocked(&direct).await);
    direct.stop().await;
}
