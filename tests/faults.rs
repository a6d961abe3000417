//! Bad luck rather than bad input (README, "Limits and failure behaviour"): writes racing over
//! the same vehicles and technicians never get anything but 201 or 409, and every rule holds
//! after the race.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestServer;
use reqwest::StatusCode;
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

/// 16 clients × 40 `returnConflicting: true` creates over 4 vehicles × 4 technicians: each
/// create returns what holds its vehicle or technician, so the transactions cross each other's
/// rows all the time. Only 201 and 409 may come back; afterwards each vehicle and technician
/// holds at most one active assignment, and the last answer for each pair is what is active.
async fn crossing_creates_get_only_201_or_409(s: &TestServer) {
    let mut vehicles = Vec::new();
    for n in 0..VEHICLES {
        vehicles.push(
            s.create_vehicle(&format!("Van {n}"), &format!("RACE-{n}"))
                .await,
        );
    }
    let mut technicians = Vec::new();
    for n in 0..TECHNICIANS {
        technicians.push(s.create_technician(&format!("Racer {n}")).await);
    }
    let clients = (0..CLIENTS).map(|client| {
        let (vehicles, technicians) = (&vehicles, &technicians);
        async move {
            let mut random = Lcg(client as u64 + 1);
            let mut answers = Vec::new();
            for _ in 0..REQUESTS {
                let vehicle = vehicles[random.below(VEHICLES)];
                let technician = technicians[random.below(TECHNICIANS)];
                let reply = s
                    .post(
                        "/api/admin/assignments",
                        json!({"vehicleId": vehicle, "technicianId": technician,
                               "returnConflicting": true}),
                    )
                    .await;
                answers.push((reply.status, reply.body));
            }
            answers
        }
    });
    let answers: Vec<_> = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
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
