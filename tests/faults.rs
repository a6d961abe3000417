//! Bad luck rather than bad input (README, "Limits and failure behaviour"): writes racing over
//! the same vehicles and technicians never get anything but 201 or 409, and every rule holds
//! after the race; a database that goes away (PostgreSQL killed, a full disk under SQLite)
//! gets 503 `unavailable` and the server recovers by itself when it is back; and what the
//! server acknowledged survives `kill -9`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::postgres::{PrivatePostgres, Unavailable};
use common::{config_for, DbKind, TestDatabase, TestServer};
use fleetdesk::store::ACQUIRE_TIMEOUT;
use reqwest::{Method, StatusCode};
use serde_json::json;

const CLIENTS: usize = 16;
const REQUESTS: usize = 40;
const VEHICLES: usize = 4;
const TECHNICIANS: usize = 4;

/// A small deterministic generator, so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// `CLIENTS` clients × `REQUESTS` creates at once over fresh vehicles and technicians (plates
/// and names start with `plates`), each for a random pair; client `c` sends
/// `returnConflicting: returning(c)`. Every answer, with what it asked.
async fn race(
    s: &TestServer,
    plates: &str,
    seed: u64,
    returning: fn(usize) -> bool,
) -> Vec<(bool, common::Reply)> {
    let mut vehicles = Vec::new();
    for n in 0..VEHICLES {
        vehicles.push(
            s.create_vehicle(&format!("Van {n}"), &format!("{plates}-{n}"))
                .await,
        );
    }
    let mut technicians = Vec::new();
    for n in 0..TECHNICIANS {
        technicians.push(s.create_technician(&format!("{plates} {n}")).await);
    }
    let clients = (0..CLIENTS).map(|client| {
        let (vehicles, technicians) = (&vehicles, &technicians);
        let returning = returning(client);
        async move {
            let mut random = Lcg(client as u64 + seed);
            let mut answers = Vec::new();
            for _ in 0..REQUESTS {
                let vehicle = vehicles[random.below(VEHICLES)];
                let technician = technicians[random.below(TECHNICIANS)];
                let reply = s
                    .post(
                        "/api/admin/assignments",
                        json!({"vehicleId": vehicle, "technicianId": technician,
                               "returnConflicting": returning}),
                    )
                    .await;
                answers.push((returning, reply));
            }
            answers
        }
    });
    futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// 16 clients × 40 `returnConflicting: true` creates over 4 vehicles × 4 technicians: each
/// create returns what holds its vehicle or technician, so the transactions cross each other's
/// rows all the time. Only 201 and 409 may come back; afterwards each vehicle and technician
/// holds at most one active assignment, and the last answer for each pair is what is active.
async fn crossing_creates_get_only_201_or_409(s: &TestServer) {
    let answers: Vec<_> = race(s, "RACE", 1, |_| true)
        .await
        .into_iter()
        .map(|(_, reply)| (reply.status, reply.body))
        .collect();
    assert_eq!(answers.len(), CLIENTS * REQUESTS);
    let mut statuses = BTreeMap::new();
    for (status, _) in &answers {
        *statuses.entry(status.as_u16()).or_insert(0) += 1;
    }
    let outside: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::CREATED && *status != StatusCode::CONFLICT)
        .collect();
    assert!(
        outside.is_empty(),
        "{} of {} answers were neither 201 nor 409 ({statuses:?}); first: {:?}",
        outside.len(),
        answers.len(),
        outside.first()
    );
    let created: BTreeSet<i64> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .filter_map(|(_, body)| body["assignment"]["id"].as_i64())
        .collect();
    assert!(
        created.len() > CLIENTS,
        "too few creates went through to race: {statuses:?}"
    );

    let active = s.get("/api/admin/assignments?status=active").await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.text);
    let active = active.body["assignments"]
        .as_array()
        .expect("an assignments list")
        .clone();
    let mut busy_vehicles = BTreeSet::new();
    let mut busy_technicians = BTreeSet::new();
    for assignment in &active {
        let id = assignment["id"].as_i64().expect("an id");
        assert!(created.contains(&id), "active {id} was never acknowledged");
        assert!(
            busy_vehicles.insert(assignment["vehicleId"].as_i64()),
            "a vehicle is held twice: {active:?}"
        );
        assert!(
            busy_technicians.insert(assignment["technicianId"].as_i64()),
            "a technician is held twice: {active:?}"
        );
    }
    // The last create committed holds its vehicle and technician (nothing came after it).
    let newest = created.iter().max().expect("some creates");
    assert!(
        active
            .iter()
            .any(|assignment| assignment["id"].as_i64() == Some(*newest)),
        "the newest create {newest} is not active: {active:?}"
    );

    // Every acknowledged create is in the history, returned or still active.
    let all = s.get("/api/admin/assignments?limit=1000").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let listed: BTreeSet<i64> = all.body["assignments"]
        .as_array()
        .expect("an assignments list")
        .iter()
        .filter_map(|assignment| assignment["id"].as_i64())
        .collect();
    assert_eq!(listed, created, "history and acknowledged creates differ");
}

on_both_databases!(crossing_creates_get_only_201_or_409);

/// Plain creates (which take no lock but the vehicle's and leave conflicts to the unique
/// indexes) racing `returnConflicting: true` creates over the same 4 vehicles × 4 technicians:
/// a plain create gets 201 or 409, one that returns what is in its way always gets 201, and
/// no vehicle or technician ends up held twice.
async fn plain_and_returning_creates_cross(s: &TestServer) {
    let answers: Vec<_> = race(s, "MIX", 101, |client| client % 2 == 0)
        .await
        .into_iter()
        .map(|(returning, reply)| (returning, reply.status, reply.text))
        .collect();
    for (returning, status, text) in &answers {
        if *returning {
            assert_eq!(*status, StatusCode::CREATED, "a returning create: {text}");
        } else {
            assert!(
                *status == StatusCode::CREATED || *status == StatusCode::CONFLICT,
                "a plain create: {status} {text}"
            );
        }
    }
    let active = s.get("/api/admin/assignments?status=active").await;
    let active = active.body["assignments"]
        .as_array()
        .expect("a list")
        .clone();
    let vehicles_held: BTreeSet<_> = active.iter().map(|a| a["vehicleId"].as_i64()).collect();
    let technicians_held: BTreeSet<_> = active.iter().map(|a| a["technicianId"].as_i64()).collect();
    assert_eq!(
        vehicles_held.len(),
        active.len(),
        "a vehicle held twice: {active:?}"
    );
    assert_eq!(
        technicians_held.len(),
        active.len(),
        "a technician held twice: {active:?}"
    );
}

on_both_databases!(plain_and_returning_creates_cross);

// ---- a lost database ----

/// Polls `/readyz` until it answers `want`, for at most `within`.
async fn wait_ready(s: &TestServer, want: StatusCode, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if s.call(Method::GET, "/readyz", None, None).await.status == want {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts a 503 `unavailable` with `Retry-After`.
fn assert_unavailable(reply: &common::Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        reply.text
    );
    assert_eq!(reply.error_code(), "unavailable", "{what}: {}", reply.text);
    assert!(
        reply.headers.contains_key("retry-after"),
        "{what}: no Retry-After"
    );
}

/// PostgreSQL killed under a running server: reads, writes and sign-ins answer 503
/// `unavailable`, `/readyz` says not ready; once PostgreSQL is started again on the same data
/// directory and port, the same server answers again by itself, numbers new events, and has
/// lost nothing acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_postgres_gets_503_and_the_server_recovers_by_itself() {
    let database = match PrivatePostgres::start() {
        Ok(database) => database,
        Err(Unavailable::Missing(reason)) => return common::skip(&reason),
        Err(Unavailable::Broken(reason)) => panic!("{reason}"),
    };
    let s = TestServer::start_on(
        DbKind::Postgres,
        TestDatabase::unmanaged(&database.url),
        config_for,
    )
    .await;
    let before = s.create_vehicle("Before", "LOST-1").await;

    database.kill().expect("PostgreSQL stops");
    assert!(
        wait_ready(&s, StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(20)).await,
        "/readyz still says ready without a database"
    );
    let ready = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        ready.body["status"], "database_unavailable",
        "{}",
        ready.text
    );
    let started = Instant::now();
    assert_unavailable(&s.get("/api/admin/vehicles").await, "a read");
    assert_unavailable(
        &s.post(
            "/api/admin/vehicles",
            json!({"name": "During", "licensePlate": "LOST-2"}),
        )
        .await,
        "a write",
    );
    let login = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD})),
        )
        .await;
    assert_unavailable(&login, "a sign-in");
    // Each waited for a connection at most the pool's limit, not the request time limit.
    assert!(
        started.elapsed() < ACQUIRE_TIMEOUT * 3 + Duration::from_secs(10),
        "the 503s took {:?}",
        started.elapsed()
    );

    database.restart().expect("PostgreSQL starts again");
    assert!(
        wait_ready(&s, StatusCode::OK, Duration::from_secs(30)).await,
        "/readyz does not come back after the database did"
    );
    let after = s.create_vehicle("After", "LOST-3").await;
    let vehicles = s.get("/api/admin/vehicles").await;
    assert_eq!(vehicles.status, StatusCode::OK, "{}", vehicles.text);
    let plates: Vec<&str> = vehicles.body["vehicles"]
        .as_array()
        .expect("a vehicle list")
        .iter()
        .filter_map(|item| item["licensePlate"].as_str())
        .collect();
    // By name: "After", "Before"; "During" was never written.
    assert_eq!(plates, ["LOST-3", "LOST-1"]);
    // The event sequencer and its listener came back too: the new change is numbered.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let activity = s.get("/api/admin/activity?limit=10").await;
        let numbered = activity.body["events"].as_array().is_some_and(|events| {
            events.iter().any(|event| {
                event["kind"] == "vehicle.created" && event["subject"]["vehicleId"] == after
            })
        });
        if numbered {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the event of a change after the outage was never numbered: {}",
            activity.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(before < after);
    s.stop_keeping_database().await;
}

/// A small tmpfs of the test's own, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// Mounts one of `size` (mount(8) size syntax), or says why it cannot.
    fn mount(size: &str) -> Result<SmallDisk, String> {
        let dir = std::env::temp_dir().join(format!(
            "fleetdesk-test-small-disk-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(|err| err.to_string())?;
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|err| format!("cannot run mount: {err}"))?;
        if !output.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(format!(
                "needs a small tmpfs for a full disk, and mounting one failed (root with \
                 CAP_SYS_ADMIN can): {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(SmallDisk(dir))
    }

    /// Writes zeros until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).expect("a filler file");
        let chunk = vec![0u8; 16 * 1024];
        while file.write_all(&chunk).is_ok() {}
        // The last partial chunk, byte by byte.
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// SQLite on a disk that fills up: writes answer 503 `unavailable` (not 500) and leave nothing
/// half-written, reads go on, and once there is room again writes succeed with no restart.
/// The file passes `PRAGMA integrity_check` and holds exactly the acknowledged writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_on_sqlite_gets_503_and_no_corruption() {
    let disk = match SmallDisk::mount("16m") {
        Ok(disk) => disk,
        Err(reason) => return common::skip(&reason),
    };
    let url = format!("sqlite://{}", disk.0.join("fleetdesk.db").display());
    let s = TestServer::start_on(DbKind::Sqlite, TestDatabase::unmanaged(&url), config_for).await;
    let mut acknowledged = BTreeSet::new();
    for n in 0..3 {
        s.create_vehicle(&format!("Roomy {n}"), &format!("ROOM-{n}"))
            .await;
        acknowledged.insert(format!("ROOM-{n}"));
    }

    let filler = disk.fill();
    let mut refused = 0;
    for n in 0..40 {
        let plate = format!("FULL-{n}");
        let reply = s
            .post(
                "/api/admin/vehicles",
                json!({"name": format!("Full {n}"), "licensePlate": plate}),
            )
            .await;
        match reply.status {
            StatusCode::CREATED => {
                acknowledged.insert(plate);
            }
            _ => {
                assert_unavailable(&reply, "a write on a full disk");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "no write was refused on a full disk");
    let read = s.get("/api/admin/vehicles").await;
    assert_eq!(read.status, StatusCode::OK, "reads go on: {}", read.text);

    std::fs::remove_file(filler).expect("room again");
    let mut recovered = false;
    for n in 0..20 {
        let plate = format!("AGAIN-{n}");
        let reply = s
            .post(
                "/api/admin/vehicles",
                json!({"name": format!("Again {n}"), "licensePlate": plate}),
            )
            .await;
        if reply.status == StatusCode::CREATED {
            acknowledged.insert(plate);
            recovered = true;
            break;
        }
        assert_unavailable(&reply, "a write while room comes back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "writes did not come back once there was room");

    let listed = s.get("/api/admin/vehicles").await;
    let plates: BTreeSet<String> = listed.body["vehicles"]
        .as_array()
        .expect("a vehicle list")
        .iter()
        .filter_map(|item| item["licensePlate"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        plates, acknowledged,
        "stored and acknowledged writes differ"
    );
    s.stop_keeping_database().await;

    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the file opens");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity_check runs");
    assert_eq!(check, "ok");
    conn.close().await.expect("closes");
    drop(disk);
}

// ---- kill -9 ----

/// Starts the real `fleetdesk serve` on `database_url`; returns it and its URL.
async fn serve_binary(database_url: &str) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_fleetdesk"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--database", database_url])
        .env_remove("FLEETDESK_DATABASE_URL")
        .env_remove("FLEETDESK_BIND")
        .env("FLEETDESK_JWT_SECRET", common::JWT_SECRET)
        .env("FLEETDESK_ADMIN_EMAIL", common::ADMIN_EMAIL)
        .env("FLEETDESK_ADMIN_PASSWORD", common::ADMIN_PASSWORD)
        .env("FLEETDESK_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the server announces itself within a minute")
        .expect("stdout is readable")
        .expect("one line");
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

async fn token(http: &reqwest::Client, url: &str) -> String {
    let reply: serde_json::Value = http
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    reply["token"].as_str().expect("a token").to_string()
}

/// Every assignment, paging through the history.
async fn all_assignments(http: &reqwest::Client, url: &str, token: &str) -> BTreeMap<i64, String> {
    let mut all = BTreeMap::new();
    let mut before: Option<i64> = None;
    loop {
        let mut path = format!("{url}/api/admin/assignments?limit=1000");
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        let page: serde_json::Value = http
            .get(path)
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("JSON");
        for assignment in page["assignments"].as_array().expect("a list") {
            all.insert(
                assignment["id"].as_i64().expect("an id"),
                assignment["status"].as_str().expect("a status").to_string(),
            );
        }
        match page["nextBefore"].as_i64() {
            Some(next) => before = Some(next),
            None => return all,
        }
    }
}

/// SIGKILL the real server while 8 clients create and return assignments on SQLite, restart it
/// on the same file: every create and return that was answered is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_on_sqlite() {
    const WRITERS: usize = 8;
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let (mut child, url) = serve_binary(&database.url).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let token = token(&http, &url).await;
    let mut pairs = Vec::new();
    for n in 0..WRITERS {
        let vehicle: serde_json::Value = http
            .post(format!("{url}/api/admin/vehicles"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Van {n}"), "licensePlate": format!("KILL-{n}")}))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON");
        let technician: serde_json::Value = http
            .post(format!("{url}/api/admin/users"))
            .bearer_auth(&token)
            .json(
                &json!({"name": format!("Tech {n}"), "email": format!("tech{n}@depot.example"),
                          "password": "password-123", "role": "technician"}),
            )
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON");
        pairs.push((
            vehicle["vehicle"]["id"].as_i64().expect("vehicle id"),
            technician["user"]["id"].as_i64().expect("user id"),
        ));
    }

    // Each writer owns one vehicle and one technician: create, return, again, until the
    // server is gone. Only answered writes are recorded.
    let writers: Vec<_> = pairs
        .iter()
        .map(|&(vehicle, technician)| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut created = Vec::new();
                let mut returned = Vec::new();
                loop {
                    let Ok(reply) = http
                        .post(format!("{url}/api/admin/assignments"))
                        .bearer_auth(&token)
                        .json(&json!({"vehicleId": vehicle, "technicianId": technician}))
                        .send()
                        .await
                    else {
                        break;
                    };
                    if reply.status() != StatusCode::CREATED {
                        break;
                    }
                    let Ok(body) = reply.json::<serde_json::Value>().await else {
                        break;
                    };
                    let id = body["assignment"]["id"].as_i64().expect("an id");
                    created.push(id);
                    let Ok(reply) = http
                        .patch(format!("{url}/api/admin/assignments/{id}/return"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    else {
                        break;
                    };
                    // The answer's body must have arrived too: that is the acknowledgement.
                    if reply.status() != StatusCode::OK || reply.bytes().await.is_err() {
                        break;
                    }
                    returned.push(id);
                }
                (created, returned)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = child.id().expect("still running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let _ = child.wait().await;
    let mut created = Vec::new();
    let mut returned = Vec::new();
    for writer in writers {
        let (c, r) = writer.await.expect("a writer");
        created.extend(c);
        returned.extend(r);
    }
    assert!(
        created.len() >= WRITERS * 5,
        "too little write load before the kill: {} creates",
        created.len()
    );

    let (child, url) = serve_binary(&database.url).await;
    let token = self::token(&http, &url).await;
    let stored = all_assignments(&http, &url, &token).await;
    let lost: Vec<_> = created
        .iter()
        .filter(|id| !stored.contains_key(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged creates are gone: {lost:?}",
        lost.len(),
        created.len()
    );
    let unreturned: Vec<_> = returned
        .iter()
        .filter(|id| stored.get(id).map(String::as_str) != Some("returned"))
        .collect();
    assert!(
        unreturned.is_empty(),
        "{} of {} acknowledged returns are not returned: {unreturned:?}",
        unreturned.len(),
        returned.len()
    );
    eprintln!(
        "kill -9: {} creates and {} returns acknowledged, all there ({} stored)",
        created.len(),
        returned.len(),
        stored.len()
    );
    drop(child);
}

// ---- what counts as a race ----

/// Two transactions that lock two rows in opposite orders: PostgreSQL picks one as the
/// deadlock victim (40P01), and the store sees a transient error it would run again. SQLite:
/// a second writer with no busy wait gets BUSY, also transient. A constraint error is not.
async fn races_are_transient(kind: DbKind) {
    use fleetdesk::store::StoreError;
    use sqlx::{Connection, Executor};
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    sqlx::any::install_default_drivers();
    let url = match kind {
        DbKind::Sqlite => format!("{}?mode=rwc", database.url),
        DbKind::Postgres => database.url.clone(),
    };
    let mut first = sqlx::AnyConnection::connect(&url).await.expect("connects");
    let mut second = sqlx::AnyConnection::connect(&url).await.expect("connects");
    first
        .execute("CREATE TABLE race (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .await
        .expect("a table");
    first
        .execute("INSERT INTO race (id, n) VALUES (1, 0), (2, 0)")
        .await
        .expect("two rows");
    let failure = match kind {
        DbKind::Postgres => {
            first.execute("BEGIN").await.expect("begins");
            second.execute("BEGIN").await.expect("begins");
            first
                .execute("UPDATE race SET n = 1 WHERE id = 1")
                .await
                .expect("locks 1");
            second
                .execute("UPDATE race SET n = 2 WHERE id = 2")
                .await
                .expect("locks 2");
            // Each now waits for the other's row; one of them is cancelled.
            let (a, b) = tokio::join!(
                first.execute("UPDATE race SET n = 1 WHERE id = 2"),
                second.execute("UPDATE race SET n = 2 WHERE id = 1"),
            );
            match (a, b) {
                (Err(err), Ok(_)) | (Ok(_), Err(err)) => err,
                other => panic!("expected exactly one deadlock victim: {other:?}"),
            }
        }
        DbKind::Sqlite => {
            second
                .execute("PRAGMA busy_timeout = 0")
                .await
                .expect("no busy wait");
            first.execute("BEGIN IMMEDIATE").await.expect("begins");
            second
                .execute("BEGIN IMMEDIATE")
                .await
                .expect_err("the write lock is taken")
        }
    };
    let failure = StoreError::Database(failure);
    assert!(failure.is_transient(), "not seen as a race: {failure}");
    assert!(
        !failure.is_unavailable(),
        "seen as a lost database: {failure}"
    );

    // Leave the transactions, or the duplicate below would wait for their row locks.
    let _ = first.execute("ROLLBACK").await;
    let _ = second.execute("ROLLBACK").await;
    let mut third = sqlx::AnyConnection::connect(&url).await.expect("connects");
    let duplicate = third
        .execute("INSERT INTO race (id, n) VALUES (1, 0)")
        .await
        .expect_err("a duplicate key");
    let duplicate = StoreError::Database(duplicate);
    assert!(!duplicate.is_transient(), "a duplicate is not a race");
    assert!(!duplicate.is_unavailable());
    drop((first, second, third));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_are_transient_on_sqlite() {
    races_are_transient(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_are_transient_on_postgres() {
    races_are_transient(DbKind::Postgres).await;
}

/// PostgreSQL drops every pooled connection of a running server (an administrator's
/// `pg_terminate_backend`, a proxy restarting): the next write, at once, takes a live
/// connection instead of failing on a dead one; a moment later reads and writes over HTTP
/// answer as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_do_not_fail_the_next_write() {
    use fleetdesk::api::ServiceStatus;
    use fleetdesk::domain::fleet::plate_key;
    use fleetdesk::store::VehicleRecord;
    use sqlx::{Connection, Executor};

    let Some(s) = TestServer::try_start(DbKind::Postgres).await else {
        return;
    };
    // Several connections in the pool, all used a moment ago.
    let reads: Vec<_> = (0..8).map(|_| s.get("/api/admin/vehicles")).collect();
    for reply in futures_util::future::join_all(reads).await {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    s.create_vehicle("Before", "DROP-1").await;
    let mut admin = sqlx::PgConnection::connect(&s.database.url)
        .await
        .expect("a connection of the test's own");
    let dropped = admin
        .fetch_all(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend'",
        )
        .await
        .expect("the server's connections are dropped");
    assert!(!dropped.is_empty(), "the server had no connections to drop");
    let record = VehicleRecord {
        name: "Right After".to_string(),
        license_plate: "DROP-2".to_string(),
        plate_key: plate_key("DROP-2"),
        make: None,
        model: None,
        year: None,
        service_status: ServiceStatus::InService,
        status_note: None,
    };
    s.store()
        .create_vehicle(&record, None, chrono::Utc::now())
        .await
        .expect("the write after the drop takes a live connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = s.create_vehicle("After", "DROP-3").await;
    assert!(after > 0);
    let vehicles = s.get("/api/admin/vehicles").await;
    assert_eq!(vehicles.status, StatusCode::OK, "{}", vehicles.text);
    assert_eq!(
        vehicles.body["vehicles"].as_array().map(Vec::len),
        Some(3),
        "{}",
        vehicles.text
    );
    let _ = admin.close().await;
    s.stop().await;
}
