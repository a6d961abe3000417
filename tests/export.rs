//! `fleetdesk export`: the real binary against the real server, on both databases. The CSV is
//! read back with the `csv` crate and compared with the API's own rows, names with commas,
//! quotes, line breaks and emoji included; JSON is the API's objects; exports page through
//! the history rather than asking for all of it.

mod common;

use std::process::Stdio;

use common::TestServer;
use fleetdesk::api::events::Event;
use fleetdesk::api::{AssignmentsEnvelope, TechniciansEnvelope, VehiclesEnvelope};
use fleetdesk::export::Columns;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Runs `fleetdesk --server URL export ARGS` with the admin's token; stdout and stderr.
async fn export(s: &TestServer, args: &[&str]) -> (String, String) {
    let home = std::env::temp_dir().join(format!(
        "fleetdesk-export-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&home).expect("a home");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_fleetdesk"))
        .args(["--server", &s.url, "export"])
        .args(args)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("FLEETDESK_TOKEN", &s.admin_token)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "export {args:?}: {stderr}");
    (stdout, stderr)
}

/// The CSV's header and rows, as the `csv` crate reads them.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            record
                .expect("a well-formed record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

/// The whole activity log, oldest first, once PostgreSQL has numbered every committed event
/// (just after commit): at least `at_least` events, then read until two reads 300 ms apart
/// agree.
async fn all_events(s: &TestServer, at_least: usize) -> Vec<Value> {
    let mut last = s.events_when(at_least).await;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = s.events_when(at_least).await;
        if now.len() == last.len() {
            return now;
        }
        last = now;
    }
    last
}

fn header_of<T: Columns>() -> Vec<String> {
    T::HEADER.iter().map(|name| name.to_string()).collect()
}

const TRICKY: [&str; 4] = [
    "Van, \"the big one\"",
    "Ünï 漢 🚐",
    "O'Brien; DROP TABLE vehicles;--",
    "Comma, Quote\" and 👩‍🔧",
];

async fn csv_and_json_match_the_api(s: &TestServer) {
    let mut vehicles = Vec::new();
    for (index, name) in TRICKY.iter().enumerate() {
        vehicles.push(s.create_vehicle(name, &format!("EX {index}")).await);
    }
    // A line break cannot come through the API (names refuse control characters), but a CSV
    // writer must still quote it: written straight into the store.
    let record = fleetdesk::store::VehicleRecord {
        name: "Two\nlines\r\nvan".to_string(),
        license_plate: "EX NL".to_string(),
        plate_key: "EXNL".to_string(),
        ..Default::default()
    };
    s.store()
        .create_vehicle(&record, None, chrono::Utc::now())
        .await
        .expect("a vehicle");
    let mut technicians = Vec::new();
    for name in ["Ana \"Rudi\" Ruiz", "Bo, Chen", "Zoë 👷"] {
        technicians.push(s.create_technician(name).await);
    }
    for (index, technician) in technicians.iter().enumerate() {
        let reply = s.assign(vehicles[index], *technician).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let first = s.get("/api/admin/assignments?status=active").await.body["assignments"][2]["id"]
        .as_i64()
        .expect("an id");
    let reply = s
        .patch(
            &format!("/api/admin/assignments/{first}/return"),
            Some(json!({"odometerKm": 4242, "note": "mirror, \"cracked\" 🪞"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = s
        .patch(
            &format!("/api/admin/vehicles/{}", vehicles[3]),
            Some(json!({"serviceStatus": "in_shop", "statusNote": "brakes, \"soon\""})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    // Assignments: every row and column as the API has them, in its order.
    let api: AssignmentsEnvelope =
        serde_json::from_value(s.get("/api/admin/assignments").await.body).expect("typed");
    let (csv, stderr) = export(s, &["assignments", "--format", "csv"]).await;
    assert!(stderr.contains("3 assignments"), "{stderr}");
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, header_of::<fleetdesk::api::Assignment>());
    let expected: Vec<Vec<String>> = api.assignments.iter().map(Columns::fields).collect();
    assert_eq!(rows, expected);
    assert!(rows
        .iter()
        .any(|row| row.contains(&"mirror, \"cracked\" 🪞".to_string())));
    // JSON: the API's objects.
    let (text, _) = export(s, &["assignments", "--format", "json"]).await;
    let exported: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(
        exported,
        s.get("/api/admin/assignments").await.body["assignments"]
    );
    // --status
    let (csv, _) = export(s, &["assignments", "--status", "returned"]).await;
    let (_, rows) = read_csv(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], first.to_string());

    // Vehicles, the line break included, and by status.
    let api: VehiclesEnvelope =
        serde_json::from_value(s.get("/api/admin/vehicles").await.body).expect("typed");
    let (csv, _) = export(s, &["vehicles", "--format", "csv"]).await;
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, header_of::<fleetdesk::api::VehicleListItem>());
    let expected: Vec<Vec<String>> = api.vehicles.iter().map(Columns::fields).collect();
    assert_eq!(rows, expected);
    assert!(rows.iter().any(|row| row[1] == "Two\nlines\r\nvan"));
    let (csv, _) = export(s, &["vehicles", "--status", "in_shop"]).await;
    let (_, rows) = read_csv(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], TRICKY[3]);
    assert_eq!(rows[0][7], "brakes, \"soon\"");

    // Technicians.
    let api: TechniciansEnvelope =
        serde_json::from_value(s.get("/api/admin/technicians").await.body).expect("typed");
    let (csv, _) = export(s, &["technicians"]).await;
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, header_of::<fleetdesk::api::TechnicianListItem>());
    let expected: Vec<Vec<String>> = api.technicians.iter().map(Columns::fields).collect();
    assert_eq!(rows, expected);
    let (csv, _) = export(s, &["technicians", "--status", "free"]).await;
    assert_eq!(read_csv(&csv).1.len(), 1);

    // Activity: the whole log, newest first, and --since.
    let events: Vec<Event> =
        serde_json::from_value(Value::Array(all_events(s, 14).await)).expect("typed");
    let (csv, _) = export(s, &["activity"]).await;
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, header_of::<Event>());
    let expected: Vec<Vec<String>> = events.iter().rev().map(Columns::fields).collect();
    assert_eq!(rows, expected);
    let (csv, _) = export(s, &["activity", "--since", "2h"]).await;
    assert_eq!(read_csv(&csv).1.len(), events.len());
    let (csv, _) = export(s, &["activity", "--since", "2100-01-01"]).await;
    assert_eq!(read_csv(&csv).1, Vec::<Vec<String>>::new());
}

/// 2,500 assignments: more than two pages of the API, all exported once, in order.
async fn exports_page_through_history(s: &TestServer) {
    let van = s.create_vehicle("Van 1", "P 1").await;
    let ana = s.create_technician("Ana Ruiz").await;
    let now = chrono::Utc::now();
    let history: Vec<_> = (0..2500i64)
        .map(|i| fleetdesk::store::HistoricAssignment {
            vehicle_id: van,
            technician_id: ana,
            assigned_at: now - chrono::Duration::minutes(10 * (2500 - i) + 5),
            returned_at: Some(now - chrono::Duration::minutes(10 * (2500 - i))),
            return_odometer_km: Some(1000 + i),
            return_note: None,
        })
        .collect();
    s.store().insert_history(&history).await.expect("history");
    let (csv, stderr) = export(s, &["assignments"]).await;
    assert!(stderr.contains("2500 assignments"), "{stderr}");
    let (_, rows) = read_csv(&csv);
    assert_eq!(rows.len(), 2500);
    let readings: Vec<i64> = rows
        .iter()
        .map(|row| row[12].parse().expect("a reading"))
        .collect();
    let newest_first: Vec<i64> = (1000..3500).rev().collect();
    assert_eq!(readings, newest_first);
    // --since stops at the first older one: the last 100, 10 minutes apart.
    let since =
        (now - chrono::Duration::minutes(1007)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (csv, _) = export(s, &["assignments", "--since", &since]).await;
    assert_eq!(read_csv(&csv).1.len(), 100);
}

on_both_databases!(csv_and_json_match_the_api, exports_page_through_history);
