//! Test harness: the real server in-process on 127.0.0.1:0, on a fresh database per test.
//!
//! SQLite tests always run. PostgreSQL tests run against `FLEETDESK_TEST_POSTGRES_URL` when it
//! is set, else against a throwaway server this test binary starts itself (`postgres.rs`);
//! with neither they are skipped, each saying so in one line, and with
//! `FLEETDESK_TEST_REQUIRE_ALL=1` (what CI sets) a skip is a failure instead.
#![allow(dead_code)]

pub mod desk;
pub mod postgres;
pub mod tls;

use std::io::Write;
use std::time::Duration;

use fleetdesk::server::{self, BootstrapAdmin, RunningServer, ServeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Executor;

#[allow(unused_imports)]
pub use postgres::POSTGRES_ENV;
pub const REQUIRE_ALL_ENV: &str = "FLEETDESK_TEST_REQUIRE_ALL";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ADMIN_EMAIL: &str = "admin@depot.example";
pub const ADMIN_PASSWORD: &str = "admin-password";

/// Whether a test that cannot run must fail rather than skip.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL_ENV).is_ok_and(|value| !matches!(value.trim(), "" | "0"))
}

/// Ends the running test without testing anything: one line on stderr saying which test and
/// why, or a failure under `FLEETDESK_TEST_REQUIRE_ALL=1`. Call it, then return.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if require_all() {
        panic!("{test} cannot run: {reason} ({REQUIRE_ALL_ENV}=1 makes that a failure)");
    }
    // Straight to the process' stderr: the test harness captures `eprintln!` of passing tests,
    // and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {reason}");
}

/// The PostgreSQL server for this test binary, or None after saying why the test is skipped.
/// A PostgreSQL that is installed but does not start fails the test.
pub fn postgres_or_skip() -> Option<&'static postgres::Postgres> {
    match postgres::postgres() {
        Ok(server) => Some(server),
        Err(postgres::Unavailable::Missing(reason)) => {
            skip(reason);
            None
        }
        Err(postgres::Unavailable::Broken(reason)) => panic!("{reason}"),
    }
}

/// This test binary's own PostgreSQL (never `FLEETDESK_TEST_POSTGRES_URL`'s), or None after
/// saying why the test is skipped.
pub fn throwaway_postgres_or_skip() -> Option<&'static postgres::Postgres> {
    match postgres::throwaway() {
        Ok(server) => Some(server),
        Err(postgres::Unavailable::Missing(reason)) => {
            skip(reason);
            None
        }
        Err(postgres::Unavailable::Broken(reason)) => panic!("{reason}"),
    }
}

/// `tmux` works here, or None after saying why the test is skipped.
pub fn tmux_or_skip() -> Option<()> {
    match std::process::Command::new("tmux").arg("-V").output() {
        Ok(output) if output.status.success() => Some(()),
        Ok(output) => panic!(
            "`tmux -V` failed ({}): {}; this test needs a working tmux",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(err) => {
            skip(&format!(
                "needs tmux, which cannot be run ({err}): install it (Debian: apt-get install tmux)"
            ));
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A fresh database that is removed when dropped (also when a test panics).
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile_dir::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Someone else owns it (a test's private server or directory).
    Nothing,
}

mod tempfile_dir {
    /// A directory under the system temp dir, removed on drop.
    pub struct TempDir(pub std::path::PathBuf);

    impl TempDir {
        pub fn new() -> TempDir {
            let path = std::env::temp_dir()
                .join(format!("fleetdesk-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).expect("create a temporary directory");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The admin URL of the PostgreSQL server; panics, saying why, when there is none (a test
/// that may be skipped asks [`postgres_or_skip`] first).
pub fn postgres_admin_url() -> String {
    match postgres::postgres() {
        Ok(server) => server.admin_url.clone(),
        Err(postgres::Unavailable::Missing(reason) | postgres::Unavailable::Broken(reason)) => {
            panic!("{reason}")
        }
    }
}

fn database_url(admin_url: &str, name: &str) -> String {
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a PostgreSQL URL with a database name");
    format!("{base}/{name}")
}

impl TestDatabase {
    /// A fresh database, or None when the test is skipped for want of PostgreSQL.
    pub async fn try_new(kind: DbKind) -> Option<TestDatabase> {
        if kind == DbKind::Postgres {
            postgres_or_skip()?;
        }
        Some(TestDatabase::new(kind).await)
    }

    pub async fn new(kind: DbKind) -> TestDatabase {
        match kind {
            DbKind::Sqlite => {
                let dir = tempfile_dir::TempDir::new();
                let url = format!("sqlite://{}", dir.0.join("fleetdesk.db").display());
                TestDatabase {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            DbKind::Postgres => TestDatabase::on_postgres(&postgres_admin_url()).await,
        }
    }

    /// A database at `url` that the caller created and removes.
    pub fn unmanaged(url: &str) -> TestDatabase {
        TestDatabase {
            url: url.to_string(),
            cleanup: Cleanup::Nothing,
        }
    }

    /// A fresh database on the PostgreSQL server at `admin_url`.
    pub async fn on_postgres(admin_url: &str) -> TestDatabase {
        let admin_url = admin_url.to_string();
        sqlx::any::install_default_drivers();
        let name = format!("fleetdesk_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect_admin(&admin_url).await;
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        TestDatabase {
            url: database_url(&admin_url, &name),
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }
}

async fn connect_admin(admin_url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::AnyConnection::connect(admin_url)
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL at {admin_url} is unreachable: {err}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; a small runtime of its own does the DROP DATABASE.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for cleanup");
                runtime.block_on(async move {
                    let mut conn = connect_admin(&admin_url).await;
                    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await
                        .map(|_| ())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test database {}", self.url);
            }
        }
    }
}

pub struct TestServer {
    pub kind: DbKind,
    pub url: String,
    pub http: reqwest::Client,
    pub admin_token: String,
    server: Option<RunningServer>,
    // Declared last: dropped after the server has stopped.
    pub database: TestDatabase,
}

pub fn config_for(database_url: &str) -> ServeConfig {
    let mut config = ServeConfig::new(database_url);
    config.bind = "127.0.0.1:0".to_string();
    config.jwt_secret = Some(JWT_SECRET.to_string());
    config.bootstrap_admin = Some(BootstrapAdmin {
        email: ADMIN_EMAIL.to_string(),
        password: ADMIN_PASSWORD.to_string(),
        name: "Ada Admin".to_string(),
    });
    config
}

/// The answer to one request: status, headers and the JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

/// What came back, without panicking on anything: table-driven tests report, they do not stop.
pub struct Answer {
    pub status: StatusCode,
    pub request_id: Option<String>,
    pub content_type: String,
    pub text: String,
    /// Null for an empty body.
    pub body: Result<Value, String>,
}

impl Reply {
    pub fn error_code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

impl TestServer {
    /// A server on a fresh database, or None when the test is skipped for want of PostgreSQL.
    pub async fn try_start(kind: DbKind) -> Option<TestServer> {
        let database = TestDatabase::try_new(kind).await?;
        Some(Self::start_on(kind, database, config_for).await)
    }

    pub async fn start(kind: DbKind) -> TestServer {
        let database = TestDatabase::new(kind).await;
        Self::start_on(kind, database, config_for).await
    }

    pub async fn start_on(
        kind: DbKind,
        database: TestDatabase,
        config: impl FnOnce(&str) -> ServeConfig,
    ) -> TestServer {
        let running = server::start(config(&database.url))
            .await
            .expect("the server starts");
        let url = running.url();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let mut server = TestServer {
            kind,
            url,
            http,
            admin_token: String::new(),
            server: Some(running),
            database,
        };
        server.admin_token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        server
    }

    /// The running server's event log followers (counters for tests).
    pub fn events(&self) -> &fleetdesk::server::events::EventHub {
        &self.server.as_ref().expect("running").events
    }

    pub fn store(&self) -> &fleetdesk::store::Store {
        &self.server.as_ref().expect("running").store
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.server.take() {
            running.stop().await.expect("the server stops cleanly");
        }
    }

    /// Stops the server but keeps its database (another instance may still use it).
    pub async fn stop_keeping_database(mut self) -> TestDatabase {
        if let Some(running) = self.server.take() {
            running.stop().await.expect("the server stops cleanly");
        }
        self.database
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login of {email}: {}",
            reply.text
        );
        reply.body["token"].as_str().expect("a token").to_string()
    }

    /// Sends raw bytes with an optional bearer token.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("body is not JSON ({err}): {text}"))
        };
        assert!(
            headers.contains_key("x-request-id"),
            "every response has x-request-id"
        );
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// [`TestServer::send_raw`] with any further headers (e.g. `X-API-Key`).
    pub async fn send_raw_with(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&[u8]>,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        self.send_raw_inner(method, path, authorization, headers, body)
            .await
    }

    /// Sends any bytes with any Authorization header; every failure is a message, not a panic.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&[u8]>,
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        self.send_raw_inner(method, path, authorization, &[], body)
            .await
    }

    async fn send_raw_inner(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&[u8]>,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(authorization) = authorization {
            let value = HeaderValue::from_bytes(authorization)
                .map_err(|err| format!("the test's Authorization header is invalid: {err}"))?;
            request = request.header(AUTHORIZATION, value);
        }
        for (name, value) in headers {
            let value = HeaderValue::from_bytes(value)
                .map_err(|err| format!("the test's {name} header is invalid: {err}"))?;
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|err| format!("the request failed: {err}"))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status();
        let request_id = header("x-request-id");
        let content_type = header(CONTENT_TYPE.as_str()).unwrap_or_default();
        let text = response
            .text()
            .await
            .map_err(|err| format!("the body could not be read: {err}"))?;
        let body = if text.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str(&text).map_err(|err| format!("body is not JSON ({err})"))
        };
        Ok(Answer {
            status,
            request_id,
            content_type,
            text,
            body,
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|value| serde_json::to_vec(&value).expect("serialisable"));
        self.raw(method, path, token, bytes).await
    }

    /// A request as the bootstrap admin.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some(&self.admin_token.clone()), body)
            .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.admin(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.admin(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Option<Value>) -> Reply {
        self.admin(Method::PATCH, path, body).await
    }

    pub async fn create_vehicle(&self, name: &str, plate: &str) -> i64 {
        let reply = self
            .post("/api/admin/vehicles", json!({"name": name, "licensePlate": plate, "make": "Ford", "model": "Transit", "year": 2021}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["vehicle"]["id"].as_i64().expect("vehicle id")
    }

    pub async fn create_user(&self, name: &str, email: &str, role: &str) -> i64 {
        let reply = self
            .post(
                "/api/admin/users",
                json!({"name": name, "email": email, "password": "password-123", "role": role}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["user"]["id"].as_i64().expect("user id")
    }

    /// Changes a user's system role as the admin; the change must succeed.
    pub async fn set_role(&self, user_id: i64, role: &str) {
        let reply = self
            .patch(
                &format!("/api/admin/users/{user_id}"),
                Some(json!({"role": role})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    pub async fn create_technician(&self, name: &str) -> i64 {
        let email = format!("{}@depot.example", name.to_lowercase().replace(' ', "."));
        self.create_user(name, &email, "technician").await
    }

    /// Creates an assignment and returns the reply, whatever its status.
    pub async fn assign(&self, vehicle_id: i64, technician_id: i64) -> Reply {
        self.post(
            "/api/admin/assignments",
            json!({"vehicleId": vehicle_id, "technicianId": technician_id}),
        )
        .await
    }
}

/// Runs one async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let server = $crate::common::TestServer::start($crate::common::DbKind::Sqlite).await;
                    super::$name(&server).await;
                    server.stop().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(server) = $crate::common::TestServer::try_start($crate::common::DbKind::Postgres).await else {
                        return;
                    };
                    super::$name(&server).await;
                    server.stop().await;
                }
            }
        )+
    };
}

/// One Server-Sent Events message, or a comment line (`comment` holds its text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseMessage {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub comment: Option<String>,
}

impl SseMessage {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|err| panic!("SSE data is not JSON ({err}): {}", self.data))
    }

    pub fn id_number(&self) -> i64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("an SSE message without a numeric id: {self:?}"))
    }
}

/// Reads `GET /api/events` as raw text, the way any SSE client would.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
    pub ended: bool,
}

impl SseStream {
    /// Opens the stream; panics unless the answer is 200 text/event-stream.
    pub async fn open(
        base_url: &str,
        token: &str,
        query: &str,
        last_event_id: Option<&str>,
    ) -> SseStream {
        let client = reqwest::Client::new();
        let mut request = client
            .get(format!("{base_url}/api/events{query}"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request
            .send()
            .await
            .expect("the stream request reaches the server");
        assert_eq!(response.status(), StatusCode::OK, "GET /api/events{query}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        SseStream {
            response,
            buffer: String::new(),
            ended: false,
        }
    }

    /// The next message or comment within `within`; None on timeout or when the stream ended.
    pub async fn next_any(&mut self, within: Duration) -> Option<SseMessage> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = SseMessage::default();
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        message.comment = Some(comment.trim().to_string());
                        continue;
                    }
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => message.id = Some(value.to_string()),
                        "event" => message.event = Some(value.to_string()),
                        "data" => {
                            if !message.data.is_empty() {
                                message.data.push('\n');
                            }
                            message.data.push_str(value);
                        }
                        _ => {}
                    }
                }
                return Some(message);
            }
            if self.ended {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) => self.ended = true,
            }
        }
    }

    /// The next message that is not a comment.
    pub async fn next(&mut self, within: Duration) -> Option<SseMessage> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_any(left).await?;
            if message.comment.is_none() || message.id.is_some() || message.event.is_some() {
                return Some(message);
            }
        }
    }

    /// Exactly `count` messages, each within `each`; panics naming what came short.
    pub async fn take(&mut self, count: usize, each: Duration) -> Vec<SseMessage> {
        let mut messages = Vec::with_capacity(count);
        while messages.len() < count {
            match self.next(each).await {
                Some(message) => messages.push(message),
                None => panic!(
                    "only {} of {count} messages arrived: {messages:?}",
                    messages.len()
                ),
            }
        }
        messages
    }
}

impl TestServer {
    /// The activity log, newest first, as JSON events (all of them, up to 1,000).
    pub async fn activity(&self, query: &str) -> Vec<Value> {
        let separator = if query.is_empty() { "" } else { "&" };
        let reply = self
            .get(&format!("/api/admin/activity?limit=1000{separator}{query}"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["events"].as_array().expect("events").clone()
    }

    /// Waits until the activity log holds `count` events (PostgreSQL numbers them just after
    /// commit), then returns them oldest first.
    pub async fn events_when(&self, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut events = self.activity("").await;
            if events.len() >= count || tokio::time::Instant::now() > deadline {
                events.reverse();
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
