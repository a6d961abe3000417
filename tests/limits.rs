//! Limits on what one client may take (README, "Limits and failure behaviour"): stalled and
//! idle connections are closed in the configured time, a connection over the cap gets a quick
//! 503, bodies over 64 KiB get 413 on every route, a request that runs out of time gets its
//! answer, and sign-ins beyond the Argon2 slots get 503 with `Retry-After`.
//!
//! The servers here run with short limits so each test takes seconds.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, DbKind, TestDatabase, TestServer};
use fleetdesk::server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_CONNECTIONS: usize = 6;
/// How much later than its limit a close may be seen on a busy machine.
const SLACK: Duration = Duration::from_millis(1500);
/// How much earlier than its limit a close may be seen (clocks start at slightly different
/// moments on the two sides).
const EARLY: Duration = Duration::from_millis(400);

fn short_limits() -> Limits {
    Limits {
        header_timeout: HEADER_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        request_timeout: REQUEST_TIMEOUT,
        max_connections: MAX_CONNECTIONS,
        ..Limits::default()
    }
}

/// A server with `limits`, or None when the test is skipped for want of PostgreSQL.
async fn start(kind: DbKind, limits: Limits) -> Option<TestServer> {
    let database = TestDatabase::try_new(kind).await?;
    let server = TestServer::start_on(kind, database, move |url| {
        let mut config = config_for(url);
        config.limits = limits;
        config
    })
    .await;
    Some(server)
}

/// Runs each test against a server with the given limits on SQLite and on PostgreSQL.
macro_rules! with_limits {
    ($limits:ident: $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let server = super::start(super::DbKind::Sqlite, super::$limits())
                        .await
                        .expect("SQLite always runs");
                    super::$name(&server).await;
                    server.stop().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(server) = super::start(super::DbKind::Postgres, super::$limits()).await
                    else {
                        return;
                    };
                    super::$name(&server).await;
                    server.stop().await;
                }
            }
        )+
    };
}

fn address(s: &TestServer) -> String {
    s.url.trim_start_matches("http://").to_string()
}

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(address(s))
        .await
        .expect("connect to the server")
}

/// Reads until the server closes the connection (end of stream or reset); returns how long
/// that took and what was read. Gives up after `max`.
async fn wait_for_close(
    stream: &mut (impl AsyncRead + Unpin),
    max: Duration,
) -> Result<(Duration, Vec<u8>), String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let left = max
            .checked_sub(started.elapsed())
            .ok_or_else(|| format!("still open after {max:?}; read {} bytes", seen.len()))?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => {
                return Err(format!(
                    "still open after {max:?}; read {} bytes",
                    seen.len()
                ))
            }
            Ok(Ok(0)) | Ok(Err(_)) => return Ok((started.elapsed(), seen)),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

fn assert_closed_near(what: &str, elapsed: Duration, limit: Duration) {
    assert!(
        elapsed + EARLY >= limit,
        "{what}: closed after {elapsed:?}, before the limit of {limit:?}"
    );
    assert!(
        elapsed <= limit + SLACK,
        "{what}: closed after {elapsed:?}, limit {limit:?}"
    );
}

/// One HTTP/1.1 answer parsed from raw bytes: status, lower-case headers, body.
fn parse_answer(raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_string()))
        .collect();
    (status, headers, body.as_bytes().to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

// ---- connections -------------------------------------------------------------------------

async fn a_silent_connection_is_closed_after_the_header_timeout(s: &TestServer) {
    let mut stream = connect(s).await;
    let (elapsed, seen) = wait_for_close(&mut stream, HEADER_TIMEOUT + SLACK * 2)
        .await
        .expect("the server closes a connection that sends nothing");
    assert!(seen.is_empty(), "nothing is answered to nothing");
    assert_closed_near("silent connection", elapsed, HEADER_TIMEOUT);
}

async fn headers_sent_one_byte_a_second_are_cut_off(s: &TestServer) {
    let mut stream = connect(s).await;
    let started = Instant::now();
    let request =
        b"GET /api/auth/me HTTP/1.1\r\nHost: fleetdesk\r\nAuthorization: Bearer x\r\n\r\n";
    let mut sent = 0;
    for byte in request {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        // A second between bytes, watching for the close meanwhile.
        let mut buffer = [0u8; 1024];
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Err(_) => {}
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => panic!(
                "an answer to a request not yet sent: {:?}",
                String::from_utf8_lossy(&buffer[..n])
            ),
        }
        assert!(
            started.elapsed() < HEADER_TIMEOUT + SLACK,
            "still open after {:?} and {sent} bytes",
            started.elapsed()
        );
    }
    assert!(
        sent < request.len(),
        "the whole request got through at one byte a second"
    );
    assert_closed_near("slow headers", started.elapsed(), HEADER_TIMEOUT);
}

async fn an_idle_connection_is_closed_after_the_idle_timeout(s: &TestServer) {
    let mut stream = connect(s).await;
    stream
        .write_all(b"GET /api/nope HTTP/1.1\r\nHost: fleetdesk\r\n\r\n")
        .await
        .expect("send a request");
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).await.expect("an answer");
    let (status, _, _) = parse_answer(&buffer[..n]);
    assert_eq!(status, 404);
    // Kept alive: a second request on the same connection is answered.
    stream
        .write_all(b"GET /api/nope HTTP/1.1\r\nHost: fleetdesk\r\n\r\n")
        .await
        .expect("send a second request");
    let n = stream.read(&mut buffer).await.expect("a second answer");
    assert_eq!(parse_answer(&buffer[..n]).0, 404);
    // Then idle: closed after the idle timeout, which is longer than the header timeout.
    let (elapsed, seen) = wait_for_close(&mut stream, IDLE_TIMEOUT + SLACK * 2)
        .await
        .expect("the server closes an idle connection");
    assert!(seen.is_empty(), "nothing more was answered");
    assert_closed_near("idle connection", elapsed, IDLE_TIMEOUT);
}

async fn over_the_connection_cap_gets_503_at_once(s: &TestServer) {
    // Fill the cap with connections that have each been answered and now sit idle, until one
    // is refused. The harness's own client may hold one more connection in its pool.
    let mut held = Vec::new();
    let refused = loop {
        assert!(held.len() <= MAX_CONNECTIONS, "no refusal past the cap");
        let mut stream = connect(s).await;
        stream
            .write_all(b"GET /api/nope HTTP/1.1\r\nHost: fleetdesk\r\n\r\n")
            .await
            .expect("send");
        let started = Instant::now();
        let mut buffer = [0u8; 4096];
        let n = stream.read(&mut buffer).await.expect("an answer");
        let (status, _, _) = parse_answer(&buffer[..n]);
        if status == 404 {
            held.push(stream);
            continue;
        }
        let (_, rest) = wait_for_close(&mut stream, Duration::from_secs(3))
            .await
            .expect("the refusal closes the connection");
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "the refusal took {:?}",
            started.elapsed()
        );
        break [&buffer[..n], &rest[..]].concat();
    };
    assert!(
        held.len() + 1 >= MAX_CONNECTIONS,
        "refused with only {} connections open",
        held.len()
    );
    let (status, headers, body) = parse_answer(&refused);
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&refused));
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert!(header(&headers, "x-request-id").is_some());
    let body: Value = serde_json::from_slice(&body).expect("a JSON body");
    assert_eq!(body["error"], "unavailable", "{body}");

    // A slot frees when a connection closes; then new connections are served again.
    drop(held.pop());
    let mut answered = false;
    for _ in 0..50 {
        let reply = s
            .send_raw(Method::GET, "/api/nope", None, None)
            .await
            .expect("an answer");
        if reply.status == StatusCode::NOT_FOUND {
            answered = true;
            break;
        }
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "served again once a connection closed");
}

async fn a_body_sent_one_byte_a_second_gets_408(s: &TestServer) {
    let mut stream = connect(s).await;
    let head = "POST /api/admin/vehicles HTTP/1.1\r\nHost: fleetdesk\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.expect("send");
    let started = Instant::now();
    let (mut reader, mut writer) = stream.split();
    let sender = async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    let read = tokio::select! {
        () = sender => Err("the whole body went out before an answer".to_string()),
        read = wait_for_close(&mut reader, REQUEST_TIMEOUT + SLACK * 2) => read,
    };
    let (elapsed, raw) = read.expect("the server answers and closes");
    let (status, headers, body) = parse_answer(&raw);
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&raw));
    assert!(header(&headers, "x-request-id").is_some());
    let body: Value = serde_json::from_slice(&body).expect("a JSON body");
    assert_eq!(body["error"], "timeout", "{body}");
    assert_closed_near("slow body", started.elapsed().max(elapsed), REQUEST_TIMEOUT);
}

with_limits!(short_limits:
    a_silent_connection_is_closed_after_the_header_timeout,
    headers_sent_one_byte_a_second_are_cut_off,
    an_idle_connection_is_closed_after_the_idle_timeout,
    over_the_connection_cap_gets_503_at_once,
    a_body_sent_one_byte_a_second_gets_408,
);

// ---- the body limit ------------------------------------------------------------------------

const TEN_MIB: usize = 10 * 1024 * 1024;

/// Every route the server has, a wrong method and unknown paths; `{v}`, `{a}`, `{u}` stand
/// for a vehicle, an active assignment and a user.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/me"),
    ("GET", "/api/admin/vehicles"),
    ("POST", "/api/admin/vehicles"),
    ("GET", "/api/admin/vehicles/{v}"),
    ("PATCH", "/api/admin/vehicles/{v}"),
    ("DELETE", "/api/admin/vehicles/{v}"),
    ("GET", "/api/admin/users"),
    ("POST", "/api/admin/users"),
    ("PATCH", "/api/admin/users/{u}"),
    ("GET", "/api/admin/technicians"),
    ("GET", "/api/admin/assignments"),
    ("POST", "/api/admin/assignments"),
    ("GET", "/api/admin/assignments/{a}"),
    ("PATCH", "/api/admin/assignments/{a}/return"),
    ("GET", "/api/admin/dashboard"),
    ("GET", "/api/admin/activity"),
    ("GET", "/api/events"),
    ("GET", "/api/organizations"),
    ("POST", "/api/organizations"),
    ("GET", "/api/users/assignments"),
    ("POST", "/api/users/assignment"),
    ("POST", "/api/users/assignment/resolve"),
    ("DELETE", "/api/users/assignment/1"),
    ("GET", "/api/users/{u}"),
    // Not routes: the limit comes first all the same.
    ("PUT", "/api/admin/vehicles/{v}"),
    ("POST", "/api/nope"),
    ("GET", "/"),
    ("PATCH", "/api/users/{u}/extra"),
];

/// What a 413 must look like: the role API's envelope under `/api/users`, else the error body.
fn payload_too_large_problems(path: &str, status: u16, body: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    if status != 413 {
        problems.push(format!("status {status}"));
    }
    let body: Value = match serde_json::from_slice(body) {
        Ok(body) => body,
        Err(err) => {
            problems.push(format!(
                "not JSON ({err}): {}",
                String::from_utf8_lossy(body)
            ));
            return problems;
        }
    };
    if path.starts_with("/api/users") {
        if body["valid"] != Value::Null || !body["items"][0]["message"].is_string() {
            problems.push(format!("not the envelope: {body}"));
        }
    } else if body["error"] != "payload_too_large" {
        problems.push(format!("error code {}", body["error"]));
    }
    problems
}

/// Sends a chunked body of `size` bytes by hand while reading the answer; the writer stops
/// quietly when the server closes.
async fn send_chunked(s: &TestServer, method: &str, path: &str, size: usize) -> Vec<u8> {
    let mut stream = connect(s).await;
    let (mut reader, mut writer) = stream.split();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: fleetdesk\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        s.admin_token
    );
    let sender = async {
        writer.write_all(head.as_bytes()).await?;
        let chunk = [b' '; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            writer.write_all(&chunk).await?;
            writer.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        writer.write_all(b"0\r\n\r\n").await?;
        std::future::pending::<std::io::Result<()>>().await
    };
    let read = tokio::select! {
        result = sender => panic!("{method} {path}: the sender stopped: {result:?}"),
        read = wait_for_close(&mut reader, Duration::from_secs(30)) => read,
    };
    read.unwrap_or_else(|err| panic!("{method} {path}: {err}"))
        .1
}

async fn ten_mib_on_every_route_gets_413(s: &TestServer) {
    let vehicle = s.create_vehicle("Big Body Van", "BB-1").await;
    let technician = s.create_technician("Bo Body").await;
    let reply = s.assign(vehicle, technician).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let assignment = reply.body["assignment"]["id"].as_i64().expect("an id");
    let fill = |path: &str| {
        path.replace("{v}", &vehicle.to_string())
            .replace("{a}", &assignment.to_string())
            .replace("{u}", &technician.to_string())
    };
    let big = vec![b' '; TEN_MIB];
    let bearer = format!("Bearer {}", s.admin_token);
    let mut failures = Vec::new();
    for (method, path) in ROUTES {
        let path = fill(path);
        let verb = Method::from_bytes(method.as_bytes()).expect("a method");
        // With Content-Length, from a real client, signed in and not.
        for authorization in [Some(bearer.as_bytes()), None] {
            match s
                .send_raw(verb.clone(), &path, authorization, Some(&big))
                .await
            {
                Ok(answer) => {
                    let problems = payload_too_large_problems(
                        &path,
                        answer.status.as_u16(),
                        answer.text.as_bytes(),
                    );
                    if answer.request_id.is_none() {
                        failures.push(format!("{method} {path}: no x-request-id"));
                    }
                    if !problems.is_empty() {
                        failures.push(format!("{method} {path} (length): {}", problems.join("; ")));
                    }
                }
                Err(err) => failures.push(format!("{method} {path} (length): {err}")),
            }
        }
        // Chunked: refused while reading.
        let raw = send_chunked(s, method, &path, TEN_MIB).await;
        let (status, _, body) = parse_answer(&raw);
        let problems = payload_too_large_problems(&path, status, &body);
        if !problems.is_empty() {
            failures.push(format!(
                "{method} {path} (chunked): {}",
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} answers went wrong on {:?}:\n  {}",
        failures.len(),
        s.kind,
        failures.join("\n  ")
    );
    // Nothing was done: the assignment is still active, the vehicle still there.
    let reply = s.get(&format!("/api/admin/assignments/{assignment}")).await;
    assert_eq!(
        reply.body["assignment"]["status"], "active",
        "{}",
        reply.text
    );
    let reply = s.get("/api/admin/vehicles").await;
    assert_eq!(
        reply.body["vehicles"].as_array().map(Vec::len),
        Some(1),
        "{}",
        reply.text
    );
}

/// The default connection cap: closed connections linger a moment and keep their slot.
fn short_timeouts() -> Limits {
    Limits {
        max_connections: Limits::default().max_connections,
        ..short_limits()
    }
}

with_limits!(short_timeouts: ten_mib_on_every_route_gets_413);

// ---- the request time limit and streamed answers (no database involved) --------------------

/// A router with a streamed answer, a slow handler and an endless answer, behind the same
/// request middleware and accept loop as the real server.
async fn streaming_server(limits: Limits) -> (String, tokio::sync::oneshot::Sender<()>) {
    use axum::body::{Body, Bytes};
    use axum::routing::get;
    use futures_util::{stream, StreamExt};

    let app = axum::Router::new()
        .route(
            "/stream",
            get(|| async {
                // Ten pieces, 300 ms apart: longer than the request time limit in all.
                let pieces = stream::unfold(0u32, |n| async move {
                    (n < 10).then_some(n).map(|n| (n, n + 1))
                })
                .then(|n| async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok::<_, std::io::Error>(Bytes::from(format!("piece {n}\n")))
                });
                Body::from_stream(pieces)
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/endless",
            get(|| async {
                let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                Body::from_stream(stream::repeat_with(move || {
                    Ok::<_, std::io::Error>(chunk.clone())
                }))
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            limits,
            fleetdesk::server::limits::guard,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("an address").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(fleetdesk::server::connections::serve(
        listener,
        app,
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    (address, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_outlives_the_request_time_limit() {
    let limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..short_limits()
    };
    let (address, _stop) = streaming_server(limits).await;
    let started = Instant::now();
    let reply = reqwest::get(format!("http://{address}/stream"))
        .await
        .expect("the headers come at once");
    assert_eq!(reply.status(), StatusCode::OK);
    let text = reply.text().await.expect("the whole stream");
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let pieces: Vec<&str> = text.lines().collect();
    assert_eq!(pieces.len(), 10, "{text:?}");
    assert_eq!(pieces.last(), Some(&"piece 9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_runs_out_of_time_gets_503() {
    let limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..short_limits()
    };
    let (address, _stop) = streaming_server(limits).await;
    let started = Instant::now();
    let reply = reqwest::get(format!("http://{address}/slow"))
        .await
        .expect("an answer");
    let elapsed = started.elapsed();
    assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = reply.json().await.expect("a JSON body");
    assert_eq!(body["error"], "unavailable", "{body}");
    assert_closed_near("slow handler", elapsed, limits.request_timeout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_nobody_reads_is_dropped() {
    let limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..short_limits()
    };
    let (address, _stop) = streaming_server(limits).await;
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nHost: fleetdesk\r\n\r\n")
        .await
        .expect("send");
    // Read nothing while the server's writes stall, for longer than the limit.
    tokio::time::sleep(limits.request_timeout + SLACK).await;
    // What the socket buffers held is all there is: the server has given up.
    let (_, seen) = wait_for_close(&mut stream, Duration::from_secs(10))
        .await
        .expect("the endless answer ends");
    assert!(
        seen.len() < 64 * 1024 * 1024,
        "{} bytes of an endless answer",
        seen.len()
    );
}

// ---- sign-in floods ---------------------------------------------------------------------------

/// One Argon2 slot and almost no waiting: of 16 sign-ins at once, the ones that find the slot
/// taken get 503 with `Retry-After`; every other answer is a success.
async fn logins_beyond_the_argon2_slots_get_503(kind: DbKind) {
    let limits = Limits {
        login_concurrency: 1,
        login_wait: Duration::from_millis(1),
        ..Limits::default()
    };
    let Some(s) = start(kind, limits).await else {
        return;
    };
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url) = (s.http.clone(), s.url.clone());
        logins.spawn(async move {
            let reply = http
                .post(format!("{url}/api/auth/login"))
                .json(&serde_json::json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD}))
                .send()
                .await
                .expect("an answer");
            let status = reply.status();
            let retry_after = reply
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            let body: Value = reply.json().await.expect("a JSON body");
            (status, retry_after, body)
        });
    }
    let (mut ok, mut busy) = (0, 0);
    while let Some(joined) = logins.join_next().await {
        let (status, retry_after, body) = joined.expect("the login task");
        match status {
            StatusCode::OK => {
                assert!(body["token"].is_string(), "{body}");
                ok += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error"], "unavailable", "{body}");
                assert_eq!(retry_after.as_deref(), Some("1"));
                busy += 1;
            }
            other => panic!("login answered {other}: {body}"),
        }
    }
    assert!(ok >= 1, "no sign-in got through");
    assert!(busy >= 1, "all {ok} sign-ins ran at once with one slot");
    // The slot is free again afterwards.
    s.login(common::ADMIN_EMAIL, common::ADMIN_PASSWORD).await;
    s.stop().await;
}

mod logins_beyond_the_argon2_slots_get_503 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::logins_beyond_the_argon2_slots_get_503(super::DbKind::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::logins_beyond_the_argon2_slots_get_503(super::DbKind::Postgres).await;
    }
}
