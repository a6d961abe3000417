//! Role API benchmark over real HTTP: `cargo bench --bench roles`.
//!
//! One user holds 1,000 assignments in one organization, and 100,000 exist overall (99 other
//! users × 50 organizations). Measured: the answer to an overlapping request (the conflict
//! check plus the suggestions, 409), a non-overlapping create (check plus write, 200), and the
//! list of that user's assignments in that organization. SQLite always; PostgreSQL too when
//! `FLEETDESK_TEST_POSTGRES_URL` is set (a fresh database, dropped afterwards).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{DbKind, TestServer, POSTGRES_ENV};
use fleetdesk::api::dates::Day;
use fleetdesk::api::roles::Role;
use fleetdesk::api::SystemRole;
use fleetdesk::store::{RoleAssignmentRecord, UserRecord};
use reqwest::{Method, StatusCode};
use serde_json::json;

const TARGET_ASSIGNMENTS: i32 = 1_000;
const OTHER_USERS: i64 = 99;
const ORGANIZATIONS: usize = 50;
const PER_PAIR: i32 = 20;
/// Each assignment covers 7 days, then 3 days are free.
const STRIDE: i32 = 10;
const WARMUP: usize = 20;
const RUNS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn summary(label: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    let mean =
        samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64 * 1000.0;
    format!(
        "| {label} | {:.2} | {:.2} | {:.2} | {:.2} |",
        percentile(&samples, 0.50),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99),
        mean
    )
}

async fn bench(kind: DbKind) -> Vec<String> {
    let s = TestServer::start(kind).await;
    let store = s.store().clone();
    let now = Utc::now();
    // Users straight into the store: hashing 100 passwords would only slow the setup.
    let mut users = Vec::new();
    for index in 0..=OTHER_USERS {
        let record = UserRecord {
            name: format!("Bench User {index:03}"),
            email: format!("bench{index}@depot.example"),
            email_key: format!("bench{index}@depot.example"),
            password_hash: "not-a-hash".to_string(),
            role: SystemRole::Technician,
        };
        users.push(
            store
                .create_user(&record, None, now)
                .await
                .expect("user")
                .id,
        );
    }
    let mut organizations = Vec::new();
    for index in 0..ORGANIZATIONS {
        let id = uuid::Uuid::new_v4().to_string();
        store
            .create_organization(&id, &format!("Org {index:02}"), None, None, now)
            .await
            .expect("organization");
        organizations.push(id);
    }
    let (target_user, target_org) = (users[0], organizations[0].clone());
    let range = |k: i32| (Day(k * STRIDE), Day(k * STRIDE + STRIDE - 4));
    let mut records = Vec::new();
    for k in 0..TARGET_ASSIGNMENTS {
        let (from, to) = range(k);
        records.push(RoleAssignmentRecord {
            user_id: target_user,
            organization_id: target_org.clone(),
            roles: vec![Role::Employee],
            from,
            to,
        });
    }
    for user in &users[1..] {
        for organization in &organizations {
            for k in 0..PER_PAIR {
                let (from, to) = range(k);
                records.push(RoleAssignmentRecord {
                    user_id: *user,
                    organization_id: organization.clone(),
                    roles: vec![Role::Approver],
                    from,
                    to,
                });
            }
        }
    }
    let started = Instant::now();
    store
        .insert_role_assignments(&records)
        .await
        .expect("bulk insert");
    eprintln!(
        "{kind:?}: {} role assignments written in {:.1}s",
        records.len(),
        started.elapsed().as_secs_f64()
    );

    let user_id = target_user.to_string();
    let mut conflict = Vec::new();
    let mut create = Vec::new();
    let mut list = Vec::new();
    for run in 0..WARMUP + RUNS {
        // Overlaps ten assignments in the middle of the 1,000: 409 with suggestions.
        let k = 400 + (run as i32 % 100);
        let body = json!({"role": "manager", "userId": user_id, "organizationId": target_org,
            "validFrom": Day(k * STRIDE + 2).date_only(), "validTo": Day((k + 10) * STRIDE).date_only()});
        let started = Instant::now();
        let reply = s.post("/api/users/assignment", body).await;
        let elapsed = started.elapsed();
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        assert_eq!(
            reply.body["items"][0]["data"].as_array().map(Vec::len),
            Some(12)
        );
        if run >= WARMUP {
            conflict.push(elapsed);
        }

        // Fits a gap: written, then removed again (not timed).
        let gap = Day(k * STRIDE + STRIDE - 3);
        let body = json!({"role": "manager", "userId": user_id, "organizationId": target_org,
            "validFrom": gap.date_only(), "validTo": gap.next().date_only()});
        let started = Instant::now();
        let reply = s.post("/api/users/assignment", body).await;
        let elapsed = started.elapsed();
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let rel_id = reply.body["items"][0]["relId"].as_i64().expect("relId");
        if run >= WARMUP {
            create.push(elapsed);
        }
        let deleted = s
            .admin(
                Method::DELETE,
                &format!("/api/users/assignment/{rel_id}"),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::OK);

        let started = Instant::now();
        let reply = s
            .get(&format!(
                "/api/users/assignments?userId={user_id}&organizationId={target_org}"
            ))
            .await;
        let elapsed = started.elapsed();
        assert_eq!(
            reply.body["assignments"].as_array().map(Vec::len),
            Some(TARGET_ASSIGNMENTS as usize)
        );
        if run >= WARMUP {
            list.push(elapsed);
        }
    }
    let label = match kind {
        DbKind::Sqlite => "SQLite",
        DbKind::Postgres => "PostgreSQL",
    };
    let rows = vec![
        summary(
            &format!("{label}: overlapping request → 409 with 12 suggestions"),
            conflict,
        ),
        summary(&format!("{label}: non-overlapping create → 200"), create),
        summary(
            &format!("{label}: list the user's 1,000 in the organization"),
            list,
        ),
    ];
    s.stop().await;
    rows
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut rows = runtime.block_on(bench(DbKind::Sqlite));
    if std::env::var_os(POSTGRES_ENV).is_some() {
        rows.extend(runtime.block_on(bench(DbKind::Postgres)));
    } else {
        eprintln!("PostgreSQL skipped: set {POSTGRES_ENV} to include it");
    }
    println!("\nRole API, {RUNS} sequential requests each after {WARMUP} warm-up, latency in ms ({} cores):\n", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("| request | p50 | p95 | p99 | mean |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}
