//! API.md §8 on both databases: vehicle service status, return readings, the read-only
//! `viewer` on every route, the status change racing assignments, and the migration that
//! brings existing databases along.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{DbKind, TestDatabase, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "password-123";

async fn vehicle(s: &TestServer, id: i64) -> Value {
    let reply = s.get(&format!("/api/admin/vehicles/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["vehicle"].clone()
}

async fn set_status(s: &TestServer, id: i64, body: Value) -> common::Reply {
    s.patch(&format!("/api/admin/vehicles/{id}"), Some(body))
        .await
}

/// The activity log's length once it holds the `kind` event of record `id` (and so every event
/// committed before it).
async fn logged_with(s: &TestServer, kind: &str, id: i64) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let events = s.activity("").await;
        if events
            .iter()
            .any(|e| e["kind"] == kind && e["data"]["id"] == id)
        {
            return events.len();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {kind} event for {id} in the log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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

async fn free_vehicles(s: &TestServer) -> i64 {
    let reply = s.get("/api/admin/dashboard").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["summary"]["availableVehicles"]
        .as_i64()
        .expect("a count")
}

async fn unavailable_vehicles_cannot_be_assigned(s: &TestServer) {
    let van = s.create_vehicle("Van 3", "HH-FD 103").await;
    let other = s.create_vehicle("Van 4", "HH-FD 104").await;
    let ana = s.create_technician("Ana Ruiz").await;

    // Existing and new vehicles are in service, with no note and no reading.
    let fresh = vehicle(s, van).await;
    assert_eq!(fresh["serviceStatus"], "in_service", "{fresh}");
    assert_eq!(fresh["statusNote"], Value::Null);
    assert_eq!(fresh["odometerKm"], Value::Null);
    assert_eq!(free_vehicles(s).await, 2);

    let note = "Brakes, \"urgent\"; back Thursday 🚐";
    let reply = set_status(
        s,
        van,
        json!({"serviceStatus": "in_shop", "statusNote": note}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["vehicle"]["serviceStatus"], "in_shop");
    assert_eq!(reply.body["vehicle"]["statusNote"], note);
    // The list says so too, and the dashboard counts it as not free.
    let list = s.get("/api/admin/vehicles").await;
    let listed = list.body["vehicles"]
        .as_array()
        .expect("vehicles")
        .iter()
        .find(|v| v["id"] == van)
        .expect("listed")
        .clone();
    assert_eq!(listed["serviceStatus"], "in_shop");
    assert_eq!(listed["statusNote"], note);
    assert_eq!(free_vehicles(s).await, 1);

    // Assigning it is refused with the vehicle, and returnConflicting does not override it.
    for return_conflicting in [false, true] {
        let reply = s
            .post(
                "/api/admin/assignments",
                json!({"vehicleId": van, "technicianId": ana, "returnConflicting": return_conflicting}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        assert_eq!(reply.body["error"], "conflict");
        let conflicts = reply.body["conflicts"].as_array().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{}", reply.text);
        assert_eq!(conflicts[0]["reason"], "vehicle_unavailable");
        assert_eq!(conflicts[0]["vehicle"]["id"], van);
        assert_eq!(conflicts[0]["vehicle"]["serviceStatus"], "in_shop");
        assert!(
            conflicts[0].get("assignment").is_none(),
            "no assignment field: {}",
            reply.text
        );
        let message = reply.body["message"].as_str().expect("a message");
        assert!(message.contains("Van 3 is in shop"), "{message}");
    }
    assert_eq!(
        s.get("/api/admin/assignments?status=active").await.body["assignments"],
        json!([])
    );

    // With the technician busy too, both are named.
    let reply = s.assign(other, ana).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let reply = set_status(s, van, json!({"serviceStatus": "out_of_service"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The note stays unless it is sent.
    assert_eq!(reply.body["vehicle"]["statusNote"], note);
    let reply = s.assign(van, ana).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    let reasons: Vec<&str> = reply.body["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| c["reason"].as_str().expect("a reason"))
        .collect();
    assert_eq!(reasons, ["vehicle_unavailable", "technician_busy"]);

    // Back in service (the note cleared with null): assignable again.
    let reply = set_status(
        s,
        van,
        json!({"serviceStatus": "in_service", "statusNote": null}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["vehicle"]["statusNote"], Value::Null);
    let reply = s
        .post(
            "/api/admin/assignments",
            json!({"vehicleId": van, "technicianId": ana, "returnConflicting": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(free_vehicles(s).await, 1);

    // Every status change wrote its event with the vehicle as it became.
    // 2 vehicles, 1 technician, 3 status changes, 2 assignments and 1 return at least.
    let statuses: Vec<(String, Value)> = all_events(s, 9)
        .await
        .iter()
        .filter(|e| e["kind"] == "vehicle.updated" && e["subject"]["vehicleId"] == van)
        .map(|e| {
            (
                e["data"]["serviceStatus"]
                    .as_str()
                    .expect("status")
                    .to_string(),
                e["data"]["statusNote"].clone(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("in_shop".to_string(), json!(note)),
            ("out_of_service".to_string(), json!(note)),
            ("in_service".to_string(), Value::Null),
        ]
    );
}

async fn an_assigned_vehicle_leaves_service_only_with_its_return(s: &TestServer) {
    let van = s.create_vehicle("Van 12", "HH-FD 112").await;
    let bo = s.create_technician("Bo Chen").await;
    let reply = s.assign(van, bo).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let assignment = reply.body["assignment"]["id"].as_i64().expect("an id");

    for status in ["out_of_service", "in_shop"] {
        let reply = set_status(
            s,
            van,
            json!({"serviceStatus": status, "statusNote": "Gearbox"}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        let message = reply.body["message"].as_str().expect("a message");
        assert!(
            message.contains("Van 12")
                && message.contains("Bo Chen")
                && message.contains("returnActive"),
            "{message}"
        );
    }
    // Nothing changed.
    let now = vehicle(s, van).await;
    assert_eq!(now["serviceStatus"], "in_service");
    assert_eq!(now["statusNote"], Value::Null);
    let held = s.get(&format!("/api/admin/assignments/{assignment}")).await;
    assert_eq!(held.body["assignment"]["status"], "active");
    // PostgreSQL numbers events just after commit: the count is taken once the assignment's
    // own event is in the log, or it would be counted among the new ones.
    let events_before = logged_with(s, "assignment.created", assignment).await;

    // With returnActive the assignment is returned in the same change.
    let reply = set_status(
        s,
        van,
        json!({"serviceStatus": "out_of_service", "statusNote": "Gearbox", "returnActive": true}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["vehicle"]["serviceStatus"], "out_of_service");
    let returned = s.get(&format!("/api/admin/assignments/{assignment}")).await;
    assert_eq!(returned.body["assignment"]["status"], "returned");
    assert_eq!(
        returned.body["assignment"]["returnedBy"]["id"],
        s.get("/api/auth/me").await.body["user"]["id"]
    );
    let events = s.events_when(events_before + 2).await;
    let new: Vec<(&str, &Value)> = events[events_before..]
        .iter()
        .map(|e| (e["kind"].as_str().expect("kind"), &e["data"]))
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(new[0].0, "assignment.returned");
    assert_eq!(new[0].1["id"], assignment);
    assert_eq!(new[1].0, "vehicle.updated");
    assert_eq!(new[1].1["serviceStatus"], "out_of_service");

    // returnActive on a vehicle with nothing to return is just the status change.
    let reply = set_status(
        s,
        van,
        json!({"serviceStatus": "in_shop", "returnActive": true}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn returns_keep_their_readings(s: &TestServer) {
    let van = s.create_vehicle("Van 7", "HH-FD 107").await;
    let cy = s.create_technician("Cy Tran").await;
    let assign = || async move {
        let reply = s.assign(van, cy).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["assignment"]["id"].as_i64().expect("an id")
    };
    let back = |id: i64, body: Option<Value>| {
        let path = format!("/api/admin/assignments/{id}/return");
        async move { s.patch(&path, body).await }
    };

    // No body: the seed's return, no readings.
    let first = assign().await;
    let reply = back(first, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["assignment"]["returnOdometerKm"], Value::Null);
    assert_eq!(reply.body["assignment"]["returnNote"], Value::Null);

    // Readings: kept on the assignment, the vehicle's odometer follows.
    let second = assign().await;
    let note = "brake pads worn, \"soon\" 🛞";
    let reply = back(second, Some(json!({"odometerKm": 123_456, "note": note}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let returned = &reply.body["assignment"];
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["returnOdometerKm"], 123_456);
    assert_eq!(returned["returnNote"], note);
    assert_eq!(returned["vehicle"]["odometerKm"], 123_456);
    assert_eq!(vehicle(s, van).await["odometerKm"], 123_456);

    // Again, with other readings: 200 and the first return's readings kept.
    let again = back(
        second,
        Some(json!({"odometerKm": 200_000, "note": "second"})),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["assignment"], reply.body["assignment"]);
    assert_eq!(vehicle(s, van).await["odometerKm"], 123_456);

    // Below the last reading: refused, saying which, and nothing changes.
    let third = assign().await;
    let refused = back(third, Some(json!({"odometerKm": 123_455}))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    let message = refused.body["message"].as_str().expect("a message");
    assert!(
        message.starts_with("odometerKm ") && message.contains("123456"),
        "{message}"
    );
    let still = s.get(&format!("/api/admin/assignments/{third}")).await;
    assert_eq!(still.body["assignment"]["status"], "active");

    // The same reading is fine (the van stood still); only a note is fine too.
    let reply = back(third, Some(json!({"odometerKm": 123_456}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let fourth = assign().await;
    let reply = back(fourth, Some(json!({"note": "clean"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["assignment"]["returnNote"], "clean");
    assert_eq!(reply.body["assignment"]["returnOdometerKm"], Value::Null);
    assert_eq!(vehicle(s, van).await["odometerKm"], 123_456);

    // The events: a return with a new reading writes the vehicle's change and the return.
    // A vehicle, a technician, 4 assignments, 4 returns, 1 new reading.
    let events = all_events(s, 11).await;
    let of_second: Vec<&str> = events
        .iter()
        .filter(|e| {
            e["subject"]["assignmentId"] == second
                || (e["kind"] == "vehicle.updated" && e["data"]["odometerKm"] == 123_456)
        })
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        of_second,
        [
            "assignment.created",
            "vehicle.updated",
            "assignment.returned"
        ]
    );
    let returned_event = events
        .iter()
        .find(|e| e["kind"] == "assignment.returned" && e["subject"]["assignmentId"] == second)
        .expect("the return's event");
    assert_eq!(returned_event["data"]["returnOdometerKm"], 123_456);
    assert_eq!(returned_event["data"]["returnNote"], note);
}

/// What each role gets from one route: admin, viewer, technician, no token.
type Expected = [u16; 4];

/// The answer every route gives each role, for ids that name nothing (so that no write
/// happens) and bodies that pass no validation (`{}`), except where said.
fn expected(method: &str, path: &str) -> Option<(Option<Value>, Expected)> {
    let read = [200, 200, 403, 401];
    let read_one = [404, 404, 403, 401];
    let write = |admin: u16| [admin, 403, 403, 401];
    let signed_in = |status: u16| [status, status, status, 401];
    let open = |status: u16| [status; 4];
    let empty = Some(json!({}));
    Some(match (method, path) {
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/openapi.json") => (None, open(200)),
        ("POST", "/api/auth/login") => (empty, open(400)),
        ("GET", "/api/auth/me" | "/api/auth/keys" | "/api/organizations" | "/api/events") => {
            (None, signed_in(200))
        }
        ("POST", "/api/auth/keys") => (empty, signed_in(400)),
        ("DELETE", "/api/auth/keys/{id}") => (None, signed_in(404)),
        // Searching users: fleet readers search everyone; a technician administers nothing.
        ("GET", "/api/users") => (None, [200, 200, 403, 401]),
        ("GET", "/api/users/assignments") => (None, signed_in(200)),
        ("GET", "/api/users/{user_id}") => (None, signed_in(404)),
        // Role writes: a viewer is no fleet admin, and administers no organization here.
        ("POST", "/api/users/assignment") => (Some(json!("role write")), [200, 403, 403, 401]),
        ("POST", "/api/users/assignment/resolve") => (empty, signed_in(400)),
        ("DELETE", "/api/users/assignment/{rel_id}") => (None, [404, 404, 404, 401]),
        ("POST", "/api/organizations") => (empty, write(400)),
        (
            "GET",
            "/api/admin/vehicles"
            | "/api/admin/users"
            | "/api/admin/technicians"
            | "/api/admin/assignments"
            | "/api/admin/dashboard"
            | "/api/admin/activity",
        ) => (None, read),
        ("GET", "/api/admin/vehicles/{id}" | "/api/admin/assignments/{id}") => (None, read_one),
        ("POST", "/api/admin/vehicles" | "/api/admin/users" | "/api/admin/assignments") => {
            (empty, write(400))
        }
        ("PATCH", "/api/admin/vehicles/{id}" | "/api/admin/users/{id}") => (empty, write(404)),
        ("DELETE", "/api/admin/vehicles/{id}") => (None, write(404)),
        ("PATCH", "/api/admin/assignments/{id}/return") => (empty, write(404)),
        _ => return None,
    })
}

async fn every_route_answers_each_role_as_documented(s: &TestServer) {
    s.create_user("Vera Viewer", "vera@depot.example", "viewer")
        .await;
    let tech = s.create_technician("Tess Tech").await;
    let viewer = s.login("vera@depot.example", PASSWORD).await;
    let technician = s.login("tess.tech@depot.example", PASSWORD).await;
    let organization = s
        .post("/api/organizations", json!({"name": "Depot North"}))
        .await;
    assert_eq!(
        organization.status,
        StatusCode::CREATED,
        "{}",
        organization.text
    );
    let organization = organization.body["organization"]["id"].clone();
    // The one write body that passes validation: a role of the technician; by the admin it is
    // made, the others are refused before anything is written.
    let role_write = json!({"role": "employee", "userId": tech, "organizationId": organization});

    let document = s.get("/api/openapi.json").await;
    assert_eq!(document.status, StatusCode::OK);
    let mut routes = BTreeSet::new();
    for (path, item) in document.body["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert!(routes.len() >= 30, "{} routes", routes.len());
    let roles: [(&str, Option<&str>); 4] = [
        ("admin", Some(&s.admin_token)),
        ("viewer", Some(&viewer)),
        ("technician", Some(&technician)),
        ("no token", None),
    ];
    let mut table = BTreeMap::new();
    let mut failures = Vec::new();
    for (method, path) in &routes {
        let Some((body, expected)) = expected(method, path) else {
            failures.push(format!("{method} {path}: not in the table; add it"));
            continue;
        };
        let body = match body {
            Some(Value::String(marker)) if marker == "role write" => Some(role_write.clone()),
            other => other,
        };
        let concrete: String = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "999999"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let concrete = if path == "/api/users" {
            format!("{concrete}?query=ve")
        } else {
            concrete
        };
        // Roles in an order where the admin's write comes last, after every refusal.
        let mut got = [0u16; 4];
        for index in [1, 2, 3, 0] {
            let (role, token) = roles[index];
            let verb = Method::from_bytes(method.as_bytes()).expect("a method");
            let request = s.http.request(verb, format!("{}{concrete}", s.url));
            let request = match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            };
            let request = match &body {
                Some(body) => request.json(body),
                None => request,
            };
            let response = request.send().await.expect("an answer");
            got[index] = response.status().as_u16();
            // The event stream never ends by itself.
            drop(response);
            if got[index] != expected[index] {
                failures.push(format!(
                    "{method} {path} as {role}: {} instead of {}",
                    got[index], expected[index]
                ));
            }
        }
        table.insert(format!("{method} {path}"), got);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches on {:?}:\n  {}\nall answers (admin, viewer, technician, none): {table:#?}",
        failures.len(),
        s.kind,
        failures.join("\n  ")
    );
    // The viewer's refusal is a sentence that says why.
    let refused = s
        .call(
            Method::POST,
            "/api/admin/vehicles",
            Some(&viewer),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.body["error"], "forbidden");
    assert!(
        refused.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("read-only")),
        "{}",
        refused.text
    );
}

/// The viewer's stream carries fleet events; its activity log is the admin's.
async fn a_viewer_follows_the_fleet_live(s: &TestServer) {
    s.create_user("Vera Viewer", "vera@depot.example", "viewer")
        .await;
    let viewer = s.login("vera@depot.example", PASSWORD).await;
    let mut stream = common::SseStream::open(&s.url, &viewer, "", None).await;
    let van = s.create_vehicle("Van 1", "V 1").await;
    let reply = set_status(s, van, json!({"serviceStatus": "in_shop"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let kinds: Vec<String> = stream
        .take(2, std::time::Duration::from_secs(10))
        .await
        .iter()
        .map(|m| m.event.clone().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["vehicle.created", "vehicle.updated"]);
    let activity = s
        .call(Method::GET, "/api/admin/activity", Some(&viewer), None)
        .await;
    assert_eq!(activity.status, StatusCode::OK, "{}", activity.text);
    assert!(activity.body["events"]
        .as_array()
        .is_some_and(|e| e.len() >= 3));
}

/// 20 requests assign Van 3 to 20 technicians while another takes it out of service: at no
/// point in the event log (commit order) is an active assignment on a vehicle out of service.
async fn a_status_change_racing_assignments_never_lets_both_through(s: &TestServer) {
    let mut technicians = Vec::new();
    for index in 0..20 {
        technicians.push(
            s.create_user(
                &format!("Tech {index}"),
                &format!("tech{index}@depot.example"),
                "technician",
            )
            .await,
        );
    }
    let mut outcomes: HashMap<&str, usize> = HashMap::new();
    for round in 0..6 {
        let van = s
            .create_vehicle(&format!("Van 3.{round}"), &format!("R {round}"))
            .await;
        // Even rounds take it out plainly (refused if an assignment won), odd ones with
        // returnActive (the assignment that won is returned with the change).
        let return_active = round % 2 == 1;
        let mut tasks = Vec::new();
        for (index, technician) in technicians.iter().enumerate() {
            let (http, url, token) = (s.http.clone(), s.url.clone(), s.admin_token.clone());
            let body =
                json!({"vehicleId": van, "technicianId": technician, "returnConflicting": true});
            tasks.push(tokio::spawn(async move {
                // Spread the status change among the assignments.
                if index == 10 {
                    let response = http
                        .patch(format!("{url}/api/admin/vehicles/{van}"))
                        .bearer_auth(&token)
                        .json(&json!({"serviceStatus": "out_of_service", "statusNote": "race", "returnActive": return_active}))
                        .send()
                        .await
                        .expect("sent");
                    let status = response.status();
                    ("status", status, response.json::<Value>().await.expect("JSON"))
                } else {
                    let response = http
                        .post(format!("{url}/api/admin/assignments"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .expect("sent");
                    let status = response.status();
                    ("assign", status, response.json::<Value>().await.expect("JSON"))
                }
            }));
        }
        for task in tasks {
            let (what, status, body) = task.await.expect("a task");
            match (what, status) {
                ("assign", StatusCode::CREATED) => *outcomes.entry("assigned").or_default() += 1,
                ("assign", StatusCode::CONFLICT) => {
                    assert_eq!(
                        body["conflicts"][0]["reason"], "vehicle_unavailable",
                        "{body}"
                    );
                    *outcomes.entry("refused as unavailable").or_default() += 1;
                }
                ("status", StatusCode::OK) => *outcomes.entry("taken out").or_default() += 1,
                ("status", StatusCode::CONFLICT) => {
                    assert!(!return_active, "{body}");
                    *outcomes.entry("status refused").or_default() += 1;
                }
                other => panic!("unexpected {other:?}: {body}"),
            }
        }
        // Now: out of service means no active assignment.
        let now = vehicle(s, van).await;
        let active = s.get("/api/admin/assignments?status=active").await;
        let on_van = active.body["assignments"]
            .as_array()
            .expect("assignments")
            .iter()
            .filter(|a| a["vehicleId"] == van)
            .count();
        assert!(on_van <= 1);
        if now["serviceStatus"] != "in_service" {
            assert_eq!(on_van, 0, "round {round}: out of service and assigned");
        }
        if return_active {
            assert_eq!(now["serviceStatus"], "out_of_service", "round {round}");
        }
    }
    // Replaying the log in commit order: never an active assignment on a vehicle out of service.
    let at_least = 20
        + 6
        + outcomes.get("assigned").copied().unwrap_or(0)
        + outcomes.get("taken out").copied().unwrap_or(0);
    let events = all_events(s, at_least).await;
    let mut out: BTreeSet<i64> = BTreeSet::new();
    let mut active: HashMap<i64, i64> = HashMap::new();
    for event in &events {
        let vehicle = event["subject"]["vehicleId"].as_i64().unwrap_or_default();
        match event["kind"].as_str().expect("kind") {
            "assignment.created" => {
                assert!(
                    !out.contains(&vehicle),
                    "assigned while out of service: {event}"
                );
                active.insert(
                    vehicle,
                    event["subject"]["assignmentId"].as_i64().expect("id"),
                );
            }
            "assignment.returned" => {
                active.remove(&vehicle);
            }
            "vehicle.updated" => {
                if event["data"]["serviceStatus"] == "in_service" {
                    out.remove(&vehicle);
                } else {
                    assert!(
                        !active.contains_key(&vehicle),
                        "taken out of service while assigned: {event}"
                    );
                    out.insert(vehicle);
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        out.len(),
        6 - outcomes.get("status refused").copied().unwrap_or(0)
    );
    eprintln!("{:?}: {outcomes:?}", s.kind);
}

on_both_databases!(
    unavailable_vehicles_cannot_be_assigned,
    an_assigned_vehicle_leaves_service_only_with_its_return,
    returns_keep_their_readings,
    every_route_answers_each_role_as_documented,
    a_viewer_follows_the_fleet_live,
    a_status_change_racing_assignments_never_lets_both_through,
);

/// A database made by the previous release (migrations 1 to 4) with data in it: after the
/// upgrade its vehicles are in service, its users and their references intact, foreign keys
/// still enforced, and a viewer can be added.
async fn upgrade_from(kind: DbKind) {
    let Some(database) = TestDatabase::try_new(kind).await else {
        return;
    };
    let url = &database.url;
    sqlx::any::install_default_drivers();
    let directory = match kind {
        DbKind::Sqlite => "migrations/sqlite",
        DbKind::Postgres => "migrations/postgres",
    };
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new(directory))
        .await
        .expect("the migrations");
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    assert_eq!(old.migrations.len(), 4);
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&format!(
            "{url}{}",
            if kind == DbKind::Sqlite {
                "?mode=rwc"
            } else {
                ""
            }
        ))
        .await
        .expect("connect");
        old.run(&mut conn).await.expect("the old migrations");
        for statement in [
            "INSERT INTO users (name, email, email_key, password_hash, role, created_at) VALUES \
             ('Ada Admin', 'ada@x', 'ada@x', 'h', 'admin', 1), ('Tom Tech', 'tom@x', 'tom@x', 'h', 'technician', 1)",
            "INSERT INTO vehicles (name, license_plate, plate_key, created_at) VALUES ('Van 1', 'V 1', 'V1', 1)",
            "INSERT INTO assignments (vehicle_id, technician_id, status, assigned_at, assigned_by) \
             VALUES (1, 2, 'active', 2, 1)",
            "INSERT INTO api_keys (user_id, name, secret_hash, created_at) VALUES (1, 'k', 'hash', 3)",
        ] {
            sqlx::query(statement).execute(&mut conn).await.expect(statement);
        }
        conn.close().await.expect("closed");
    }
    let store = fleetdesk::store::Store::open(url)
        .await
        .expect("the upgrade");
    let vehicles = store.list_vehicles().await.expect("vehicles");
    assert_eq!(vehicles.len(), 1);
    assert_eq!(
        vehicles[0].vehicle.service_status,
        fleetdesk::api::ServiceStatus::InService
    );
    assert_eq!(vehicles[0].vehicle.odometer_km, None);
    let held = vehicles[0]
        .active_assignment
        .as_ref()
        .expect("still assigned");
    assert_eq!(held.technician.name, "Tom Tech");
    let users = store.list_users().await.expect("users");
    assert_eq!(
        users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["Ada Admin", "Tom Tech"]
    );
    let assignment = store.get_assignment(1).await.expect("read").expect("kept");
    assert_eq!(
        assignment.assigned_by.map(|a| a.name).as_deref(),
        Some("Ada Admin")
    );
    // A viewer fits now; new users continue the ids.
    let viewer = store
        .create_user(
            &fleetdesk::store::UserRecord {
                name: "Vic Viewer".to_string(),
                email: "vic@x".to_string(),
                email_key: "vic@x".to_string(),
                password_hash: "h".to_string(),
                role: fleetdesk::api::SystemRole::Viewer,
            },
            None,
            chrono::Utc::now(),
        )
        .await
        .expect("a viewer");
    assert_eq!(viewer.id, 3);
    assert_eq!(viewer.role, fleetdesk::api::SystemRole::Viewer);
    // Foreign keys still hold on the rebuilt table.
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
        if kind == DbKind::Sqlite {
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut conn)
                .await
                .expect("pragma");
        }
        let orphan = sqlx::query(
            "INSERT INTO assignments (vehicle_id, technician_id, status, assigned_at) \
             VALUES (1, 999, 'returned', 5)",
        )
        .execute(&mut conn)
        .await;
        assert!(orphan.is_err(), "an assignment of no user was accepted");
        conn.close().await.expect("closed");
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_sqlite_data() {
    upgrade_from(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_postgres_data() {
    upgrade_from(DbKind::Postgres).await;
}
