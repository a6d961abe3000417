//! What survives `kill -9`: the real binary under create + return load is killed with SIGKILL,
//! started again on the same database, and every create and return it had acknowledged is
//! there, with its event. On SQLite that is the journal mode and `synchronous` at work; on
//! PostgreSQL, the server process holds nothing the database has not committed.

mod common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{DbKind, TestDatabase, ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET};
use fleetdesk::api::events::EventKind;
use fleetdesk::store::Store;
use serde_json::{json, Value};

/// Clients writing at once, each on its own vehicle and technician.
const WRITERS: usize = 8;
/// Acknowledged cycles (in all) before the kill: the load is well under way by then.
const CYCLES_BEFORE_KILL: usize = 60;

/// A `fleetdesk serve` process; killed with SIGKILL when dropped.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    fn start(database: &str) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fleetdesk"))
            .args(["serve", "--bind", "127.0.0.1:0", "--database", database])
            .env("FLEETDESK_JWT_SECRET", JWT_SECRET)
            .env("FLEETDESK_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("FLEETDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("FLEETDESK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("fleetdesk serve starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("not the listening line: {line:?}"))
            .to_string();
        ServerProcess { child, url }
    }

    /// SIGKILL: no shutdown, no flushing, no checkpoint.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the killed server is reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(request: reqwest::RequestBuilder) -> Option<(reqwest::StatusCode, Value)> {
    let response = request.send().await.ok()?;
    let status = response.status();
    let body = response.json::<Value>().await.ok()?;
    Some((status, body))
}

async fn login(http: &reqwest::Client, url: &str) -> String {
    let (status, body) = send(
        http.post(format!("{url}/api/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await
    .expect("the login is answered");
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    body["token"].as_str().expect("a token").to_string()
}

async fn create(http: &reqwest::Client, url: &str, token: &str, path: &str, body: Value) -> i64 {
    let (status, reply) = send(
        http.post(format!("{url}{path}"))
            .bearer_auth(token)
            .json(&body),
    )
    .await
    .expect("the create is answered");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{path}: {reply}");
    let object = reply
        .as_object()
        .and_then(|fields| fields.values().next())
        .expect("an envelope");
    object["id"].as_i64().expect("an id")
}

/// What the killed server had answered with success.
#[derive(Default)]
struct Acknowledged {
    created: BTreeSet<i64>,
    returned: BTreeSet<i64>,
}

/// Create + return until the server stops answering; records what it acknowledged.
async fn write_until_killed(
    http: reqwest::Client,
    url: String,
    token: String,
    pair: (i64, i64),
    acknowledged: Arc<Mutex<Acknowledged>>,
) {
    loop {
        let Some((status, body)) = send(
            http.post(format!("{url}/api/admin/assignments"))
                .bearer_auth(&token)
                .json(&json!({"vehicleId": pair.0, "technicianId": pair.1})),
        )
        .await
        else {
            return;
        };
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        let id = body["assignment"]["id"].as_i64().expect("an id");
        acknowledged.lock().expect("lock").created.insert(id);
        let Some((status, body)) = send(
            http.patch(format!("{url}/api/admin/assignments/{id}/return"))
                .bearer_auth(&token),
        )
        .await
        else {
            return;
        };
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        assert_eq!(body["assignment"]["status"], "returned", "{body}");
        acknowledged.lock().expect("lock").returned.insert(id);
    }
}

async fn acknowledged_writes_survive_sigkill(kind: DbKind) {
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let mut server = ServerProcess::start(&database.url);
    let token = login(&http, &server.url).await;
    let mut pairs = Vec::new();
    for n in 0..WRITERS {
        let vehicle = create(
            &http,
            &server.url,
            &token,
            "/api/admin/vehicles",
            json!({"name": format!("Van {n}"), "licensePlate": format!("KL-{n}")}),
        )
        .await;
        let technician = create(
            &http,
            &server.url,
            &token,
            "/api/admin/users",
            json!({"name": format!("Tech {n}"), "email": format!("tech{n}@depot.example"),
                   "password": "password-123", "role": "technician"}),
        )
        .await;
        pairs.push((vehicle, technician));
    }

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let writers: Vec<_> = pairs
        .iter()
        .map(|pair| {
            tokio::spawn(write_until_killed(
                http.clone(),
                server.url.clone(),
                token.clone(),
                *pair,
                acknowledged.clone(),
            ))
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().expect("lock").returned.len() < CYCLES_BEFORE_KILL {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the load did not get going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for writer in writers {
        writer.await.expect("a writer ends once the server is gone");
    }
    let acknowledged = Arc::try_unwrap(acknowledged)
        .ok()
        .expect("the writers are done")
        .into_inner()
        .expect("lock");
    assert!(acknowledged.returned.len() >= CYCLES_BEFORE_KILL);

    // Started again on the same database: everything acknowledged is there, with its event.
    let restarted = ServerProcess::start(&database.url);
    let token = login(&http, &restarted.url).await;
    for id in &acknowledged.created {
        let (status, body) = send(
            http.get(format!("{}/api/admin/assignments/{id}", restarted.url))
                .bearer_auth(&token),
        )
        .await
        .expect("the restarted server answers");
        assert_eq!(status, reqwest::StatusCode::OK, "assignment {id}: {body}");
        if acknowledged.returned.contains(id) {
            assert_eq!(body["assignment"]["status"], "returned", "{body}");
        }
    }
    let store = Store::open(&database.url).await.expect("the store opens");
    // The restarted server numbers any event committed but not yet numbered (PostgreSQL).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = store.events_after(0, 1_000_000).await.expect("events");
        let with = |kind: EventKind| -> BTreeSet<i64> {
            events
                .iter()
                .filter(|event| event.kind == kind)
                .filter_map(|event| event.subject.assignment_id)
                .collect()
        };
        let created = with(EventKind::AssignmentCreated);
        let returned = with(EventKind::AssignmentReturned);
        if acknowledged.created.is_subset(&created) && acknowledged.returned.is_subset(&returned) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "acknowledged changes without their events: created {:?}, returned {:?}",
            acknowledged
                .created
                .difference(&created)
                .collect::<Vec<_>>(),
            acknowledged
                .returned
                .difference(&returned)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.close().await;
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_writes_survive_sigkill() {
    acknowledged_writes_survive_sigkill(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_writes_survive_sigkill() {
    acknowledged_writes_survive_sigkill(DbKind::Postgres).await;
}
