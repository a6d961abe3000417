//! Backups that restore: `fleetdesk backup` copies a SQLite database while it is written to,
//! and the README's `pg_dump` / `pg_restore` lines round-trip a PostgreSQL one.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{DbKind, TestDatabase, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_fleetdesk");

fn fleetdesk() -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove("FLEETDESK_DATABASE_URL")
        .env("RUST_BACKTRACE", "1")
        .kill_on_drop(true);
    command
}

/// The vehicles' names, as the server lists them.
async fn vehicle_names(s: &TestServer) -> Vec<String> {
    let reply = s.get("/api/admin/vehicles").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body["vehicles"]
        .as_array()
        .expect("vehicles")
        .iter()
        .map(|vehicle| vehicle["name"].as_str().expect("a name").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_under_write_load_restores_whole() {
    let live = TestServer::start(DbKind::Sqlite).await;
    let technician = live.create_technician("Tess Tech").await;
    let pool_van = live.create_vehicle("Pool Van", "POOL 1").await;

    // Two writers: one adds vehicles in order, one assigns and returns the same van.
    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicUsize::new(0));
    let (http, url, token) = (
        live.http.clone(),
        live.url.clone(),
        live.admin_token.clone(),
    );
    let adder = {
        let (stop, created, http, url, token) = (
            stop.clone(),
            created.clone(),
            http.clone(),
            url.clone(),
            token.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let answer = http
                    .post(format!("{url}/api/admin/vehicles"))
                    .bearer_auth(&token)
                    .json(&json!({"name": format!("Van {n:05}"), "licensePlate": format!("L {n}")}))
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(answer.status(), StatusCode::CREATED);
                created.store(n, Ordering::SeqCst);
            }
        })
    };
    let cycler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut cycles = 0;
            while !stop.load(Ordering::SeqCst) {
                let answer: Value = http
                    .post(format!("{url}/api/admin/assignments"))
                    .bearer_auth(&token)
                    .json(&json!({"vehicleId": pool_van, "technicianId": technician}))
                    .send()
                    .await
                    .expect("an answer")
                    .json()
                    .await
                    .expect("JSON");
                let id = answer["assignment"]["id"].as_i64().expect("an assignment");
                let returned = http
                    .patch(format!("{url}/api/admin/assignments/{id}/return"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(returned.status(), StatusCode::OK);
                cycles += 1;
            }
            cycles
        })
    };
    while created.load(Ordering::SeqCst) < 30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let scratch = TestDatabase::new(DbKind::Sqlite).await;
    let copy = fleetdesk::server::sqlite_path(&scratch.url).expect("a file");
    let before = created.load(Ordering::SeqCst);
    let output = fleetdesk()
        .args([
            "backup",
            &copy.display().to_string(),
            "--database",
            &live.database.url,
        ])
        .output()
        .await
        .expect("runs");
    let after = created.load(Ordering::SeqCst);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("backed up"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    adder.await.expect("the adder ran");
    let cycles = cycler.await.expect("the cycler ran");
    assert!(cycles > 0, "the assignments were written to meanwhile");
    assert!(after > before, "vehicles were written to meanwhile");

    // The copy is a sound SQLite database in itself.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("opens");
    let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("checks");
    assert_eq!(integrity, "ok");
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .expect("checks");
    assert!(dangling.is_empty(), "no row points at a missing one");
    conn.close().await.expect("closes");
    assert!(
        !Path::new(&format!("{}.partial", copy.display())).exists(),
        "no partial file is left"
    );

    // Restored, it serves: every vehicle up to one point in time, and none after.
    let restored = TestServer::start_on(DbKind::Sqlite, scratch, common::config_for).await;
    let names: Vec<String> = vehicle_names(&restored)
        .await
        .into_iter()
        .filter(|name| name.starts_with("Van "))
        .collect();
    let k = names.len();
    // The adder is sequential: at most one create has committed but not yet been answered.
    assert!(
        (before..=after + 1).contains(&k),
        "the copy has {k} vehicles; {before} were acknowledged when it started, {after} when it ended"
    );
    let expected: BTreeSet<String> = (1..=k).map(|n| format!("Van {n:05}")).collect();
    assert_eq!(
        names.into_iter().collect::<BTreeSet<_>>(),
        expected,
        "a prefix, no gaps"
    );
    let live_names: BTreeSet<String> = vehicle_names(&live).await.into_iter().collect();
    assert!(expected.is_subset(&live_names));
    let dashboard = restored.get("/api/admin/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body["summary"]["activeAssignments"]
        .as_i64()
        .is_some_and(|n| n <= 1));
    restored.stop().await;
    live.stop().await;
}

#[tokio::test]
async fn backup_refuses_postgres_and_an_existing_file() {
    let output = fleetdesk()
        .args([
            "backup",
            "/tmp/never-written.db",
            "--database",
            "postgres://postgres@127.0.0.1/x",
        ])
        .output()
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pg_dump"), "{stderr}");
    assert!(!Path::new("/tmp/never-written.db").exists());

    let s = TestServer::start(DbKind::Sqlite).await;
    let existing = fleetdesk::server::sqlite_path(&s.database.url).expect("a file");
    let output = fleetdesk()
        .args([
            "backup",
            &existing.display().to_string(),
            "--database",
            &s.database.url,
        ])
        .output()
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("exists already"));
    s.stop().await;
}

/// The README's PostgreSQL backup: `pg_dump --format=custom`, then `pg_restore` into an empty
/// database, which the server then serves as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_with_pg_dump_restores_whole() {
    let Some(live) = TestServer::try_start(DbKind::Postgres).await else {
        return;
    };
    let (Some(pg_dump), Some(pg_restore)) = (
        common::postgres::program("pg_dump"),
        common::postgres::program("pg_restore"),
    ) else {
        common::skip("needs pg_dump and pg_restore from a PostgreSQL installation");
        return;
    };
    for n in 1..=5 {
        live.create_vehicle(&format!("Van {n}"), &format!("P {n}"))
            .await;
    }
    let technician = live.create_technician("Tess Tech").await;
    assert_eq!(live.assign(1, technician).await.status, StatusCode::CREATED);

    let target = TestDatabase::new(DbKind::Postgres).await;
    let dump =
        std::env::temp_dir().join(format!("fleetdesk-{}.dump", uuid::Uuid::new_v4().simple()));
    let dumped = Command::new(&pg_dump)
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&live.database.url)
        .output()
        .await
        .expect("pg_dump runs");
    assert!(
        dumped.status.success(),
        "{}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    let restored = Command::new(&pg_restore)
        .args(["--no-owner", "--dbname", &target.url])
        .arg(&dump)
        .output()
        .await
        .expect("pg_restore runs");
    let _ = std::fs::remove_file(&dump);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );

    let copy = TestServer::start_on(DbKind::Postgres, target, common::config_for).await;
    assert_eq!(vehicle_names(&copy).await, vehicle_names(&live).await);
    assert_eq!(
        copy.get("/api/admin/dashboard").await.body,
        live.get("/api/admin/dashboard").await.body
    );
    // The rules came along: the restored database still refuses a second active assignment.
    assert_eq!(
        copy.assign(1, technician).await.status,
        StatusCode::CONFLICT
    );
    copy.stop().await;
    live.stop().await;
}
