//! Section 7 of API.md: every change writes one event in its own transaction; the live
//! stream replays, resumes and filters; ids follow commit order across instances.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{config_for, DbKind, SseStream, TestDatabase, TestServer, JWT_SECRET};
use fleetdesk::server::auth::TokenKeys;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SOON: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);

async fn me(s: &TestServer, token: &str) -> Value {
    let reply = s.call(Method::GET, "/api/auth/me", Some(token), None).await;
    reply.body["user"].clone()
}

/// Waits for exactly the events `expected` after the `seen` already checked, and checks kind,
/// actor, subject and (when given) data of each.
async fn expect_events(
    s: &TestServer,
    seen: &mut usize,
    actor: &Value,
    expected: &[(&str, Value, Option<&Value>)],
) -> Vec<Value> {
    let events = s.events_when(*seen + expected.len()).await;
    // A change that wrote one too many shows up here, or at the next check.
    assert_eq!(
        events.len(),
        *seen + expected.len(),
        "expected {:?}, got {:#?}",
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        &events[*seen..]
    );
    let new = events[*seen..].to_vec();
    for (event, (kind, subject, data)) in new.iter().zip(expected) {
        assert_eq!(event["kind"], *kind, "{event:#}");
        assert_eq!(event["actor"], *actor, "{event:#}");
        assert_eq!(event["subject"], *subject, "{event:#}");
        if let Some(data) = data {
            assert_eq!(event["data"], **data, "{event:#}");
        }
    }
    // Ids follow one another.
    let ids: Vec<i64> = events.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "ids {ids:?}");
    *seen += expected.len();
    new
}

async fn every_change_writes_one_event(s: &TestServer) {
    let admin = me(s, &s.admin_token).await;
    let actor = json!({"id": admin["id"], "name": admin["name"]});
    // The bootstrap admin, made outside a request: no actor.
    let first = s.events_when(1).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["kind"], "user.created");
    assert_eq!(first[0]["actor"], Value::Null);
    assert_eq!(first[0]["subject"], json!({"userId": admin["id"]}));
    let mut seen = 1;

    // Vehicles.
    let created = s
        .post(
            "/api/admin/vehicles",
            json!({"name": "Van 1", "licensePlate": "EV-1"}),
        )
        .await;
    let vehicle = created.body["vehicle"].clone();
    let v1 = vehicle["id"].as_i64().expect("id");
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("vehicle.created", json!({"vehicleId": v1}), Some(&vehicle))],
    )
    .await;
    let patched = s
        .patch(
            &format!("/api/admin/vehicles/{v1}"),
            Some(json!({"model": "Sprinter"})),
        )
        .await;
    let vehicle = patched.body["vehicle"].clone();
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("vehicle.updated", json!({"vehicleId": v1}), Some(&vehicle))],
    )
    .await;
    let doomed = s
        .post(
            "/api/admin/vehicles",
            json!({"name": "Doomed", "licensePlate": "EV-X"}),
        )
        .await;
    let doomed = doomed.body["vehicle"].clone();
    let doomed_id = doomed["id"].as_i64().expect("id");
    let deleted = s
        .admin(
            Method::DELETE,
            &format!("/api/admin/vehicles/{doomed_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    expect_events(
        s,
        &mut seen,
        &actor,
        &[
            (
                "vehicle.created",
                json!({"vehicleId": doomed_id}),
                Some(&doomed),
            ),
            (
                "vehicle.deleted",
                json!({"vehicleId": doomed_id}),
                Some(&doomed),
            ),
        ],
    )
    .await;

    // Users.
    let user = s
        .post("/api/admin/users", json!({"name": "Tom Tech", "email": "tom@depot.example", "password": "password-123", "role": "technician"}))
        .await
        .body["user"]
        .clone();
    let t1 = user["id"].as_i64().expect("id");
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("user.created", json!({"userId": t1}), Some(&user))],
    )
    .await;
    let user = s
        .patch(
            &format!("/api/admin/users/{t1}"),
            Some(json!({"name": "Tom Technician"})),
        )
        .await
        .body["user"]
        .clone();
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("user.updated", json!({"userId": t1}), Some(&user))],
    )
    .await;
    assert!(user.get("passwordHash").is_none() && !user.to_string().contains("argon2"));
    let t2 = s.create_technician("Tina Two").await;
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("user.created", json!({"userId": t2}), None)],
    )
    .await;

    // Assignments: create, return, a second return (no change, no event), returnConflicting.
    let assignment = s.assign(v1, t1).await.body["assignment"].clone();
    let a1 = assignment["id"].as_i64().expect("id");
    assert_eq!(assignment["assignedBy"], actor);
    assert_eq!(assignment["returnedBy"], Value::Null);
    let subject = json!({"assignmentId": a1, "vehicleId": v1, "technicianId": t1});
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("assignment.created", subject.clone(), Some(&assignment))],
    )
    .await;
    let returned = s
        .patch(&format!("/api/admin/assignments/{a1}/return"), None)
        .await
        .body["assignment"]
        .clone();
    assert_eq!(returned["returnedBy"], actor);
    assert_eq!(returned["assignedBy"], actor);
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("assignment.returned", subject, Some(&returned))],
    )
    .await;
    let again = s
        .patch(&format!("/api/admin/assignments/{a1}/return"), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let a2 = s.assign(v1, t1).await.body["assignment"]["id"]
        .as_i64()
        .expect("id");
    let v2 = s.create_vehicle("Van 2", "EV-2").await;
    let a3 = s.assign(v2, t2).await.body["assignment"]["id"]
        .as_i64()
        .expect("id");
    expect_events(
        s,
        &mut seen,
        &actor,
        &[
            (
                "assignment.created",
                json!({"assignmentId": a2, "vehicleId": v1, "technicianId": t1}),
                None,
            ),
            ("vehicle.created", json!({"vehicleId": v2}), None),
            (
                "assignment.created",
                json!({"assignmentId": a3, "vehicleId": v2, "technicianId": t2}),
                None,
            ),
        ],
    )
    .await;
    // v1 is with t1 (a2) and t2 has v2 (a3): both are returned, then v1 goes to t2.
    let replaced = s
        .post(
            "/api/admin/assignments",
            json!({"vehicleId": v1, "technicianId": t2, "returnConflicting": true}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{}", replaced.text);
    let a4 = replaced.body["assignment"]["id"].as_i64().expect("id");
    let events = expect_events(
        s,
        &mut seen,
        &actor,
        &[
            (
                "assignment.returned",
                json!({"assignmentId": a2, "vehicleId": v1, "technicianId": t1}),
                None,
            ),
            (
                "assignment.returned",
                json!({"assignmentId": a3, "vehicleId": v2, "technicianId": t2}),
                None,
            ),
            (
                "assignment.created",
                json!({"assignmentId": a4, "vehicleId": v1, "technicianId": t2}),
                Some(&replaced.body["assignment"]),
            ),
        ],
    )
    .await;
    assert_eq!(events[0]["data"]["status"], "returned");
    assert_eq!(events[0]["data"]["returnedBy"], actor);

    // Organizations and role assignments, including each change a resolve applies.
    let organization = s
        .post("/api/organizations", json!({"name": "Depot North"}))
        .await
        .body["organization"]
        .clone();
    let org = organization["id"].as_str().expect("id").to_string();
    expect_events(
        s,
        &mut seen,
        &actor,
        &[(
            "organization.created",
            json!({"organizationId": org}),
            Some(&organization),
        )],
    )
    .await;
    let saved = s
        .post("/api/users/assignment", json!({"role": "employee", "userId": t1.to_string(), "organizationId": org, "validFrom": "2021-01-01", "validTo": "2021-12-31"}))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let rel = saved.body["items"][0]["relId"].as_i64().expect("relId");
    let role_subject = json!({"relId": rel, "userId": t1, "organizationId": org});
    let events = expect_events(
        s,
        &mut seen,
        &actor,
        &[("role_assignment.created", role_subject.clone(), None)],
    )
    .await;
    assert_eq!(events[0]["data"]["roles"], json!(["employee"]));
    assert_eq!(events[0]["data"]["validTo"], "2021-12-31T00:00:00+00:00");
    let updated = s
        .post("/api/users/assignment", json!({"relId": rel, "roles": ["employee", "approver"], "userId": t1, "organizationId": org, "validFrom": "2021-01-01", "validTo": "2021-12-31"}))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let events = expect_events(
        s,
        &mut seen,
        &actor,
        &[("role_assignment.updated", role_subject.clone(), None)],
    )
    .await;
    assert_eq!(events[0]["data"]["roles"], json!(["employee", "approver"]));
    let request = json!({"role": "manager", "userId": t1.to_string(), "organizationId": org, "validFrom": "2021-06-01", "validTo": "2022-06-30"});
    let conflict = s.post("/api/users/assignment", request.clone()).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.text);
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": conflict.body["items"][0]["data"]}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    let new_rel = resolved.body["items"][0]["relId"].as_i64().expect("relId");
    let events = expect_events(
        s,
        &mut seen,
        &actor,
        &[
            ("role_assignment.updated", role_subject.clone(), None),
            (
                "role_assignment.created",
                json!({"relId": new_rel, "userId": t1, "organizationId": org}),
                None,
            ),
        ],
    )
    .await;
    assert_eq!(events[0]["data"]["validTo"], "2021-05-31T00:00:00+00:00");
    assert_eq!(events[1]["data"]["roles"], json!(["manager"]));
    let before_delete = s
        .get(&format!("/api/users/assignments?userId={t1}"))
        .await
        .body["assignments"][0]
        .clone();
    let removed = s
        .admin(
            Method::DELETE,
            &format!("/api/users/assignment/{rel}"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    expect_events(
        s,
        &mut seen,
        &actor,
        &[(
            "role_assignment.deleted",
            role_subject,
            Some(&before_delete),
        )],
    )
    .await;
}

async fn rolled_back_changes_write_nothing(s: &TestServer) {
    let admin = me(s, &s.admin_token).await;
    let actor = json!({"id": admin["id"], "name": admin["name"]});
    let v = s.create_vehicle("Busy", "RB-1").await;
    let t = s.create_technician("Rita Busy").await;
    let t2 = s.create_technician("Rolf Free").await;
    let a = s.assign(v, t).await.body["assignment"]["id"]
        .as_i64()
        .expect("id");
    let org = s
        .post("/api/organizations", json!({"name": "Org"}))
        .await
        .body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let save = |body: Value| s.post("/api/users/assignment", body);
    assert_eq!(save(json!({"role": "employee", "userId": t, "organizationId": org, "validFrom": "2021-01-01", "validTo": "2021-12-31"})).await.status, StatusCode::OK);
    let mut seen = s.events_when(7).await.len();
    assert_eq!(seen, 7);

    // Refused changes: 409s, a stale resolve, 404s and 400s.
    assert_eq!(s.assign(v, t2).await.status, StatusCode::CONFLICT);
    assert_eq!(
        s.post(
            "/api/admin/vehicles",
            json!({"name": "Twin", "licensePlate": "rb 1"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(s.post("/api/admin/users", json!({"name": "Twin", "email": "RITA.BUSY@depot.example", "password": "password-123", "role": "technician"})).await.status, StatusCode::CONFLICT);
    assert_eq!(
        s.admin(Method::DELETE, &format!("/api/admin/vehicles/{v}"), None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        s.patch("/api/admin/assignments/999999/return", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.assign(v, admin["id"].as_i64().expect("id")).await.status,
        StatusCode::BAD_REQUEST
    );
    let request = json!({"role": "manager", "userId": t, "organizationId": org, "validFrom": "2021-06-01", "validTo": "2022-06-30"});
    let conflict = save(request.clone()).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let mut stale = conflict.body["items"][0]["data"].clone();
    for item in stale.as_array_mut().expect("items") {
        if item["currentValidFrom"].is_string() {
            item["currentValidFrom"] = json!("2020-01-01T00:00:00+00:00");
        }
    }
    let refused = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": stale}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);

    // A change after them all is the only new event.
    let marker = s.create_vehicle("Marker", "RB-2").await;
    expect_events(
        s,
        &mut seen,
        &actor,
        &[("vehicle.created", json!({"vehicleId": marker}), None)],
    )
    .await;
    let _ = a;
}

/// Makes `count` vehicles and returns their events, oldest first.
async fn make_vehicles(s: &TestServer, prefix: &str, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(
            s.create_vehicle(&format!("{prefix} {i}"), &format!("{prefix}-{i}"))
                .await,
        );
    }
    ids
}

async fn resume_after_n(s: &TestServer) {
    make_vehicles(s, "RS", 6).await;
    let events = s.events_when(7).await;
    assert_eq!(events.len(), 7);
    let n = events[2]["id"].as_i64().expect("id");
    let later: Vec<&Value> = events[3..].iter().collect();

    // ?after=N replays exactly the later events, in order, as the activity log has them.
    let mut stream = SseStream::open(&s.url, &s.admin_token, &format!("?after={n}"), None).await;
    let replayed = stream.take(later.len(), SOON).await;
    for (message, event) in replayed.iter().zip(&later) {
        assert_eq!(message.id_number(), event["id"].as_i64().expect("id"));
        assert_eq!(message.event.as_deref(), event["kind"].as_str());
        assert_eq!(message.json(), **event);
    }
    // Then live, with no duplicate at the seam.
    let live_vehicle = s.create_vehicle("Live", "RS-L").await;
    let live = stream.next(SOON).await.expect("the live event");
    assert_eq!(
        live.id_number(),
        later.last().expect("some")["id"].as_i64().expect("id") + 1
    );
    assert_eq!(live.json()["subject"]["vehicleId"], live_vehicle);
    assert_eq!(stream.next(QUIET).await, None, "nothing else");

    // Last-Event-ID (what a reconnecting client sends) wins over ?after=.
    let mut stream =
        SseStream::open(&s.url, &s.admin_token, "?after=0", Some(&n.to_string())).await;
    assert_eq!(stream.next(SOON).await.expect("one").id_number(), n + 1);

    // Resuming from the last id replays nothing; no id at all means live only.
    let last = live.id_number();
    let mut caught_up =
        SseStream::open(&s.url, &s.admin_token, &format!("?after={last}"), None).await;
    let mut live_only = SseStream::open(&s.url, &s.admin_token, "", None).await;
    assert_eq!(caught_up.next(QUIET).await, None);
    assert_eq!(live_only.next(QUIET).await, None);
    s.create_vehicle("Later", "RS-M").await;
    assert_eq!(
        caught_up.next(SOON).await.expect("live").id_number(),
        last + 1
    );
    assert_eq!(
        live_only.next(SOON).await.expect("live").id_number(),
        last + 1
    );

    // A bad Last-Event-ID is a 400 in the fleet error body.
    for bad in ["abc", "-1", "99999999999999999999", "1e3"] {
        let reply = s
            .http
            .get(format!("{}/api/events", s.url))
            .bearer_auth(&s.admin_token)
            .header("Last-Event-ID", bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = reply.json().await.expect("JSON");
        assert_eq!(body["error"], "validation", "{bad}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains("Last-Event-ID"),
            "{body}"
        );
    }
}

async fn permission_filtering(s: &TestServer) {
    let tech = s.create_technician("Pia Perm").await;
    let tech_token = s.login("pia.perm@depot.example", "password-123").await;
    let start = s.events_when(2).await.last().expect("events")["id"]
        .as_i64()
        .expect("id");
    let after = format!("?after={start}");
    let mut admin = SseStream::open(&s.url, &s.admin_token, &after, None).await;
    let mut technician = SseStream::open(&s.url, &tech_token, &after, None).await;

    let v = s.create_vehicle("Secret", "PF-1").await;
    let org = s
        .post("/api/organizations", json!({"name": "Open Org"}))
        .await
        .body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    s.patch(
        &format!("/api/admin/vehicles/{v}"),
        Some(json!({"name": "Secret 2"})),
    )
    .await;
    let saved = s
        .post(
            "/api/users/assignment",
            json!({"role": "employee", "userId": tech, "organizationId": org}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    let kinds = |messages: &[common::SseMessage]| -> Vec<String> {
        messages.iter().filter_map(|m| m.event.clone()).collect()
    };
    let everything = admin.take(4, SOON).await;
    assert_eq!(
        kinds(&everything),
        [
            "vehicle.created",
            "organization.created",
            "vehicle.updated",
            "role_assignment.created"
        ]
    );
    let roles_only = technician.take(2, SOON).await;
    assert_eq!(
        kinds(&roles_only),
        ["organization.created", "role_assignment.created"]
    );
    assert_eq!(technician.next(QUIET).await, None);

    // Made an admin, the same stream carries fleet kinds from that change on.
    s.patch(
        &format!("/api/admin/users/{tech}"),
        Some(json!({"role": "admin"})),
    )
    .await;
    s.create_vehicle("Visible", "PF-2").await;
    let now_fleet = technician.take(2, SOON).await;
    assert_eq!(kinds(&now_fleet), ["user.updated", "vehicle.created"]);
}

/// 200 open streams hold no pooled connection: requests still answer, and one change reaches
/// every stream.
async fn many_streams_leave_the_pool_free(s: &TestServer) {
    let start = s.events_when(1).await.last().expect("events")["id"]
        .as_i64()
        .expect("id");
    let mut streams = Vec::new();
    for _ in 0..200 {
        streams
            .push(SseStream::open(&s.url, &s.admin_token, &format!("?after={start}"), None).await);
    }
    for _ in 0..20 {
        let reply = s.get("/api/admin/vehicles").await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let v = s.create_vehicle("Everyone sees", "MS-1").await;
    let received = futures_util::future::join_all(
        streams
            .iter_mut()
            .map(|stream| stream.next(Duration::from_secs(20))),
    )
    .await;
    for message in received {
        let message = message.expect("every stream receives the change");
        assert_eq!(message.json()["subject"]["vehicleId"], v);
    }
}

on_both_databases!(
    every_change_writes_one_event,
    rolled_back_changes_write_nothing,
    resume_after_n,
    permission_filtering,
    many_streams_leave_the_pool_free,
);

/// Retention: events older than `--event-retention` are pruned, and resuming from before them
/// starts with `reset`.
async fn retention_reset(kind: DbKind) {
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    let s = TestServer::start_on(kind, database, |url| {
        let mut config = config_for(url);
        config.event_retention = Duration::from_secs(3);
        config
    })
    .await;
    make_vehicles(&s, "RT", 3).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !s.activity("").await.is_empty() {
        assert!(Instant::now() < deadline, "events are pruned");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (last, query) in [(4, "?after=1"), (5, "?after=999999")] {
        let mut stream = SseStream::open(&s.url, &s.admin_token, query, None).await;
        let reset = stream.next(SOON).await.expect("reset");
        assert_eq!(reset.event.as_deref(), Some("reset"), "{query}");
        assert_eq!(reset.id_number(), last, "{query}");
        assert_eq!(reset.json(), json!({"lastId": last}));
        let v = s
            .create_vehicle(
                &format!("After reset {query}"),
                &format!("RT{}", query.len()),
            )
            .await;
        let next = stream.next(SOON).await.expect("live after reset");
        assert_eq!(next.json()["subject"]["vehicleId"], v);
    }
    // Resuming from the last id pruned is fine (nothing was lost after it).
    let mut stream = SseStream::open(&s.url, &s.admin_token, "?after=4", None).await;
    assert_eq!(stream.next(SOON).await.expect("event").id_number(), 5);
    assert_eq!(stream.next(SOON).await.expect("event").id_number(), 6);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_reset_sqlite() {
    retention_reset(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_reset_postgres() {
    retention_reset(DbKind::Postgres).await;
}

/// A comment keeps an idle stream open, and the stream ends when the token expires.
async fn keep_alive_and_expiry(kind: DbKind) {
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    let s = TestServer::start_on(kind, database, |url| {
        let mut config = config_for(url);
        config.event_keep_alive = Duration::from_millis(300);
        config
    })
    .await;
    let admin_id = me(&s, &s.admin_token).await["id"].as_i64().expect("id");
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), Duration::from_secs(60));
    let now = chrono::Utc::now().timestamp();
    let short = keys
        .issue_with_times(admin_id, now, now + 3)
        .expect("token");
    let mut stream = SseStream::open(&s.url, &short, "", None).await;
    let comment = stream.next_any(SOON).await.expect("a keep-alive comment");
    assert_eq!(comment.comment.as_deref(), Some("keep-alive"));
    let opened = Instant::now();
    while stream.next_any(Duration::from_secs(10)).await.is_some() {}
    assert!(
        stream.ended,
        "the stream ends by itself when the token expires"
    );
    assert!(opened.elapsed() < Duration::from_secs(8));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_and_expiry_sqlite() {
    keep_alive_and_expiry(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_and_expiry_postgres() {
    keep_alive_and_expiry(DbKind::Postgres).await;
}

/// Polls `done` until it holds, with a deadline generous enough for a loaded machine.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A stream whose client stops reading falls behind the channel; once the client reads again
/// it catches up from the table and still gets every event exactly once, in order.
async fn a_slow_stream_catches_up_from_the_table(kind: DbKind) {
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    let s = TestServer::start_on(kind, database, |url| {
        let mut config = config_for(url);
        config.event_backlog = 2;
        config
    })
    .await;
    let v = s.create_vehicle("Busy bee", "SL-1").await;
    let t = s.create_technician("Sam Slow").await;
    let start = s.events_when(3).await.last().expect("events")["id"]
        .as_i64()
        .expect("id");
    // The fan-out must have published `start` before the stream subscribes, or the stream
    // would begin below it and send events the test does not count.
    wait_until("the fan-out publishes the first events", || {
        s.events().last_published() >= start
    })
    .await;
    // A client with a tiny receive buffer that stops reading: the server's writes stall soon.
    let address: std::net::SocketAddr = s
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let mut tcp = socket.connect(address).await.expect("connect");
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\r\n",
        s.admin_token
    );
    tcp.write_all(request.as_bytes()).await.expect("request");
    // Live only (no resume point): everything below reaches it through the channel, once the
    // stream has subscribed (it counts itself open right after).
    wait_until("the stream subscribes", || {
        s.events().open_streams.load(Ordering::Relaxed) == 1
    })
    .await;
    // Many batches of 500 events while nobody reads.
    let now = chrono::Utc::now();
    const ROWS: usize = 20_000;
    let history: Vec<fleetdesk::store::HistoricAssignment> = (0..ROWS)
        .map(|i| fleetdesk::store::HistoricAssignment {
            vehicle_id: v,
            technician_id: t,
            assigned_at: now - chrono::Duration::minutes(i as i64 * 2 + 1),
            returned_at: Some(now - chrono::Duration::minutes(i as i64 * 2)),
            return_odometer_km: None,
            return_note: None,
        })
        .collect();
    s.store().insert_history(&history).await.expect("history");
    let last_vehicle = s.create_vehicle("After the flood", "SL-2").await;
    // Only once all of it went through the channel does the client read again.
    let published = Instant::now() + Duration::from_secs(60);
    while s.events().last_published() < start + 1 + ROWS as i64 {
        assert!(
            Instant::now() < published,
            "the fan-out publishes everything"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Now read it all: the answer's head, then the chunked body, then SSE messages.
    let mut raw = Vec::new();
    let mut body = Vec::new();
    let mut ids = Vec::new();
    let mut last_data = String::new();
    let mut head_done = false;
    let deadline = Instant::now() + Duration::from_secs(180);
    while ids.len() < ROWS + 1 {
        assert!(
            Instant::now() < deadline,
            "only {} events arrived",
            ids.len()
        );
        let mut buffer = [0u8; 65536];
        let read = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut buffer))
            .await
            .expect("the stream goes on")
            .expect("read");
        assert!(read > 0, "the stream ended after {} events", ids.len());
        raw.extend_from_slice(&buffer[..read]);
        if !head_done {
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            assert!(
                raw.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&raw[..end])
            );
            raw.drain(..end + 4);
            head_done = true;
        }
        // Chunked transfer coding: `<hex size>\r\n<data>\r\n`.
        while let Some(line) = raw.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&raw[..line]).expect("size"), 16)
                .expect("a chunk size");
            if raw.len() < line + 2 + size + 2 {
                break;
            }
            body.extend_from_slice(&raw[line + 2..line + 2 + size]);
            raw.drain(..line + 2 + size + 2);
        }
        while let Some(end) = body.windows(2).position(|w| w == b"\n\n") {
            let block = String::from_utf8(body.drain(..end + 2).collect()).expect("UTF-8");
            if let Some(id) = block.lines().find_map(|line| line.strip_prefix("id: ")) {
                ids.push(id.parse::<i64>().expect("id"));
                last_data = block
                    .lines()
                    .find_map(|line| line.strip_prefix("data: "))
                    .unwrap_or_default()
                    .to_string();
            }
        }
    }
    let expected: Vec<i64> = (start + 1..=start + 1 + ROWS as i64).collect();
    assert!(ids == expected, "ids are consecutive and each once");
    let last: Value = serde_json::from_str(&last_data).expect("JSON");
    assert_eq!(last["subject"]["vehicleId"], last_vehicle);
    assert!(
        s.events().lagged.load(Ordering::Relaxed) > 0,
        "the stream fell behind the channel"
    );
    drop(tcp);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_stream_catches_up_from_the_table_sqlite() {
    a_slow_stream_catches_up_from_the_table(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_stream_catches_up_from_the_table_postgres() {
    a_slow_stream_catches_up_from_the_table(DbKind::Postgres).await;
}

/// Two instances on one database: a stream on A receives what B commits, within a second on
/// PostgreSQL; stopping A drops its stream, and resuming on B misses nothing.
async fn two_instances(kind: DbKind) {
    let Some(a) = TestServer::try_start(kind).await else {
        return;
    };
    let b = fleetdesk::server::start(config_for(&a.database.url))
        .await
        .expect("a second instance");
    let b_url = b.url();
    let start = a.events_when(1).await.last().expect("events")["id"]
        .as_i64()
        .expect("id");
    let mut on_a = SseStream::open(&a.url, &a.admin_token, &format!("?after={start}"), None).await;
    let v = a
        .http
        .post(format!("{b_url}/api/admin/vehicles"))
        .bearer_auth(&a.admin_token)
        .json(&json!({"name": "From B", "licensePlate": "TI-B"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(v.status(), StatusCode::CREATED);
    let committed = Instant::now();
    let received = on_a.next(SOON).await.expect("A streams B's change");
    let within = committed.elapsed();
    assert_eq!(received.event.as_deref(), Some("vehicle.created"));
    if kind == DbKind::Postgres {
        assert!(within < Duration::from_secs(1), "took {within:?}");
    }
    let last = received.id_number();
    // A goes away; changes go on at B; a client resuming at B gets them all.
    let b_store = b.store.clone();
    let _database = a.stop_keeping_database().await;
    assert!(on_a.next(SOON).await.is_none());
    for i in 0..3 {
        let reply = reqwest::Client::new()
            .post(format!("{b_url}/api/admin/vehicles"))
            .bearer_auth(&on_a_token(&b_store).await)
            .json(&json!({"name": format!("B {i}"), "licensePlate": format!("TI-B{i}")}))
            .send()
            .await
            .expect("answer");
        assert_eq!(reply.status(), StatusCode::CREATED);
    }
    let mut on_b = SseStream::open(
        &b_url,
        &on_a_token(&b_store).await,
        "",
        Some(&last.to_string()),
    )
    .await;
    let resumed = on_b.take(3, SOON).await;
    let ids: Vec<i64> = resumed.iter().map(|m| m.id_number()).collect();
    assert_eq!(ids, [last + 1, last + 2, last + 3]);
    b.stop().await.expect("B stops");
}

/// A token for the bootstrap admin, made with the test secret.
async fn on_a_token(store: &fleetdesk::store::Store) -> String {
    let admin = store
        .find_login(common::ADMIN_EMAIL)
        .await
        .expect("query")
        .expect("the admin")
        .0;
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), Duration::from_secs(600));
    keys.issue(admin.id).expect("token").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sqlite() {
    two_instances(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_postgres() {
    two_instances(DbKind::Postgres).await;
}

/// Writers race on two instances while a reader keeps dropping its connection and resuming
/// with `after=<last id>` on either instance: it sees every committed event exactly once, ids
/// without gaps, and exactly the changes the writers made.
async fn commit_order_race(kind: DbKind) {
    let Some(a) = TestServer::try_start(kind).await else {
        return;
    };
    let b = fleetdesk::server::start(config_for(&a.database.url))
        .await
        .expect("a second instance");
    let urls = [a.url.clone(), b.url()];
    let token = a.admin_token.clone();
    const WRITERS: usize = 8;
    const CYCLES: usize = 15;
    let mut pairs = Vec::new();
    for w in 0..WRITERS {
        let v = a
            .create_vehicle(&format!("Race {w}"), &format!("RC-{w}"))
            .await;
        let t = a.create_technician(&format!("Racer {w}")).await;
        pairs.push((v, t));
    }
    let start = a.events_when(1 + 2 * WRITERS).await.last().expect("events")["id"]
        .as_i64()
        .expect("id");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let urls = urls.clone();
        let token = token.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen: Vec<(i64, String, i64)> = Vec::new();
            let mut last = start;
            let mut round = 0usize;
            let mut quiet_rounds = 0;
            loop {
                let url = &urls[round % 2];
                round += 1;
                let mut stream =
                    SseStream::open(url, &token, &format!("?after={last}"), None).await;
                // Read a few, then drop the connection and resume.
                let mut got = 0;
                while got < 1 + round % 7 {
                    match stream.next(Duration::from_millis(300)).await {
                        Some(message) => {
                            let id = message.id_number();
                            assert_eq!(
                                id,
                                last + 1,
                                "ids follow one another with no gap or duplicate"
                            );
                            last = id;
                            let body = message.json();
                            seen.push((
                                id,
                                body["kind"].as_str().unwrap_or("").to_string(),
                                body["subject"]["assignmentId"].as_i64().unwrap_or(0),
                            ));
                            got += 1;
                        }
                        None => break,
                    }
                }
                if got == 0 && done.load(Ordering::Acquire) {
                    quiet_rounds += 1;
                    if quiet_rounds >= 3 {
                        return seen;
                    }
                } else {
                    quiet_rounds = 0;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for (w, (v, t)) in pairs.into_iter().enumerate() {
        let url = urls[w % 2].clone();
        let token = token.clone();
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut made = Vec::new();
            for _ in 0..CYCLES {
                let created: Value = http
                    .post(format!("{url}/api/admin/assignments"))
                    .bearer_auth(&token)
                    .json(&json!({"vehicleId": v, "technicianId": t}))
                    .send()
                    .await
                    .expect("answer")
                    .json()
                    .await
                    .expect("JSON");
                let id = created["assignment"]["id"].as_i64().expect("created");
                let returned = http
                    .patch(format!("{url}/api/admin/assignments/{id}/return"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(returned.status(), StatusCode::OK);
                made.push(id);
            }
            made
        }));
    }
    let mut expected = BTreeSet::new();
    for writer in writers {
        for id in writer.await.expect("writer") {
            expected.insert(("assignment.created".to_string(), id));
            expected.insert(("assignment.returned".to_string(), id));
        }
    }
    done.store(true, Ordering::Release);
    let seen = reader.await.expect("reader");
    let got: BTreeSet<(String, i64)> = seen
        .iter()
        .map(|(_, kind, id)| (kind.clone(), *id))
        .collect();
    assert_eq!(seen.len(), expected.len(), "every event exactly once");
    assert_eq!(got, expected);
    // And the table agrees with what the reader saw.
    let table: Vec<i64> = a
        .activity("")
        .await
        .iter()
        .rev()
        .filter_map(|e| e["id"].as_i64())
        .filter(|id| *id > start)
        .collect();
    let read: Vec<i64> = seen.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(table, read);
    b.stop().await.expect("B stops");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_order_race_sqlite() {
    commit_order_race(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_order_race_postgres() {
    commit_order_race(DbKind::Postgres).await;
}

/// The typed client: events come typed, a reset is surfaced, and a stream survives the
/// server going away and coming back on the same address, resuming from its last id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_stream_resumes_across_a_restart() {
    use fleetdesk::api::events::{EventData, EventKind};
    use fleetdesk::client::{ApiClient, StreamItem};
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let url = database.url.clone();
    let s = TestServer::start_on(DbKind::Sqlite, database, config_for).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    let client = ApiClient::new(&s.url, Duration::from_secs(10))
        .expect("client")
        .with_token(s.admin_token.clone());
    let mut stream = client.events(Some(0));
    let first = stream.next().await.expect("the bootstrap admin's event");
    let StreamItem::Event(first) = first else {
        panic!("{first:?}")
    };
    assert_eq!(first.kind, EventKind::UserCreated);
    assert!(matches!(first.typed_data(), Ok(EventData::User(_))));
    let v = s.create_vehicle("Typed", "CL-1").await;
    let StreamItem::Event(created) = stream.next().await.expect("event") else {
        panic!()
    };
    match created.typed_data().expect("typed") {
        EventData::Vehicle(vehicle) => assert_eq!(vehicle.id, v),
        other => panic!("{other:?}"),
    }
    // The server goes away; changes happen while it is down (straight into the database);
    // it comes back on the same address; the stream resumes after its last id.
    let _database = s.stop_keeping_database().await;
    let record = fleetdesk::store::VehicleRecord {
        name: "While down".to_string(),
        license_plate: "CL-2".to_string(),
        plate_key: "CL2".to_string(),
        make: None,
        model: None,
        year: None,
        ..Default::default()
    };
    let store = fleetdesk::store::Store::open(&url).await.expect("store");
    let down = store
        .create_vehicle(&record, None, chrono::Utc::now())
        .await
        .expect("vehicle");
    store.close().await;
    let mut config = config_for(&url);
    config.bind = addr;
    let restarted = fleetdesk::server::start(config)
        .await
        .expect("restart on the same address");
    let resumed = loop {
        match stream.next().await {
            Ok(item) => break item,
            Err(err) => assert!(err.is_retryable(), "{err}"),
        }
    };
    let StreamItem::Event(resumed) = resumed else {
        panic!("{resumed:?}")
    };
    assert_eq!(resumed.id, created.id + 1);
    assert_eq!(resumed.subject.vehicle_id, Some(down.id));
    assert_eq!(resumed.actor, None);
    // A resume point the server no longer knows is a reset.
    let mut unknown = client.events(Some(1_000_000));
    assert_eq!(
        unknown.next().await.expect("reset"),
        StreamItem::Reset {
            last_id: resumed.id
        }
    );
    restarted.stop().await.expect("stops");
}
