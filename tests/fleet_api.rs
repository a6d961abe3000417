//! Sections 2 and 3 of API.md: vehicles, users, technicians, assignments, dashboard.

mod common;

use std::collections::HashSet;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn vehicles_crud(s: &TestServer) {
    let created = s
        .post("/api/admin/vehicles", json!({"name": "Van 12", "licensePlate": "HH-FD 112", "make": "Ford", "model": "Transit", "year": 2021}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let vehicle = &created.body["vehicle"];
    let id = vehicle["id"].as_i64().expect("id");
    assert_eq!(vehicle["name"], "Van 12");
    assert_eq!(vehicle["licensePlate"], "HH-FD 112");
    assert_eq!(vehicle["year"], 2021);
    assert!(vehicle["createdAt"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    // Only name and plate are required; the rest may be null.
    let bare = s
        .post(
            "/api/admin/vehicles",
            json!({"name": "Bike 1", "licensePlate": "B 1"}),
        )
        .await;
    assert_eq!(bare.status, StatusCode::CREATED);
    assert_eq!(bare.body["vehicle"]["make"], Value::Null);
    assert_eq!(bare.body["vehicle"]["year"], Value::Null);

    // The same plate written differently is taken.
    let taken = s
        .post(
            "/api/admin/vehicles",
            json!({"name": "Other", "licensePlate": "hh fd-112"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.error_code(), "conflict");

    let got = s.get(&format!("/api/admin/vehicles/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["vehicle"], *vehicle);
    assert_eq!(
        s.get("/api/admin/vehicles/999999").await.status,
        StatusCode::NOT_FOUND
    );

    // PATCH: a subset; null clears a nullable field; absent leaves it.
    let patched = s
        .patch(
            &format!("/api/admin/vehicles/{id}"),
            Some(json!({"name": "Van 12b", "make": null})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["vehicle"]["name"], "Van 12b");
    assert_eq!(patched.body["vehicle"]["make"], Value::Null);
    assert_eq!(patched.body["vehicle"]["model"], "Transit");
    assert_eq!(patched.body["vehicle"]["licensePlate"], "HH-FD 112");
    let bare_id = bare.body["vehicle"]["id"].as_i64().expect("id");
    let clash = s
        .patch(
            &format!("/api/admin/vehicles/{bare_id}"),
            Some(json!({"licensePlate": "HHFD112"})),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    let bad = s
        .patch(
            &format!("/api/admin/vehicles/{id}"),
            Some(json!({"year": 12})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        s.patch("/api/admin/vehicles/999999", Some(json!({"name": "x"})))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Listed by name, each with its active assignment (none yet).
    let list = s.get("/api/admin/vehicles").await;
    let names: Vec<&str> = list.body["vehicles"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, ["Bike 1", "Van 12b"]);
    assert_eq!(list.body["vehicles"][0]["activeAssignment"], Value::Null);

    // Deleting: fine without history, refused with it, 404 after.
    let del = s
        .admin(
            Method::DELETE,
            &format!("/api/admin/vehicles/{bare_id}"),
            None,
        )
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(
        s.admin(
            Method::DELETE,
            &format!("/api/admin/vehicles/{bare_id}"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let tech = s.create_technician("Ana Ruiz").await;
    let assignment = s.assign(id, tech).await;
    let assignment_id = assignment.body["assignment"]["id"].as_i64().expect("id");
    s.patch(
        &format!("/api/admin/assignments/{assignment_id}/return"),
        None,
    )
    .await;
    let refused = s
        .admin(Method::DELETE, &format!("/api/admin/vehicles/{id}"), None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        s.get(&format!("/api/admin/assignments/{assignment_id}"))
            .await
            .status,
        StatusCode::OK
    );
}

async fn text_is_stored_verbatim(s: &TestServer) {
    let names = [
        "Robert'); DROP TABLE vehicles;--",
        "Ünïcødé \"quoted\" 🚐 van",
        "inner   spaces  kept",
        "名前のある車両",
    ];
    for (index, name) in names.iter().enumerate() {
        let reply = s
            .post(
                "/api/admin/vehicles",
                json!({"name": name, "licensePlate": format!("V {index}")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}");
        let id = reply.body["vehicle"]["id"].as_i64().expect("id");
        assert_eq!(
            s.get(&format!("/api/admin/vehicles/{id}")).await.body["vehicle"]["name"],
            *name
        );
    }
    // Spaces at either end are refused, not trimmed: what is stored is what was sent.
    let padded = s
        .post(
            "/api/admin/vehicles",
            json!({"name": "  Van 9 ", "licensePlate": "V 9"}),
        )
        .await;
    assert_eq!(padded.status, StatusCode::BAD_REQUEST, "{}", padded.text);
    assert!(
        padded.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("name ")),
        "{}",
        padded.text
    );
    let user = s
        .post("/api/admin/users", json!({"name": "O'Brien \"Bob\" 🔧", "email": "bob+tag@depot.example", "password": "password-123", "role": "technician"}))
        .await;
    assert_eq!(user.status, StatusCode::CREATED);
    assert_eq!(user.body["user"]["name"], "O'Brien \"Bob\" 🔧");
    let limit = "é".repeat(200);
    assert_eq!(
        s.post(
            "/api/admin/vehicles",
            json!({"name": limit, "licensePlate": "LIM 1"})
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let over = "é".repeat(201);
    assert_eq!(
        s.post(
            "/api/admin/vehicles",
            json!({"name": over, "licensePlate": "LIM 2"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
}

async fn users_and_technicians(s: &TestServer) {
    let created = s
        .post("/api/admin/users", json!({"name": "Bo Chen", "email": "bo@depot.example", "password": "password-123", "role": "technician"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let bo = created.body["user"]["id"].as_i64().expect("id");
    assert_eq!(
        created.body["user"],
        json!({"id": bo, "name": "Bo Chen", "email": "bo@depot.example", "role": "technician"})
    );
    let taken = s
        .post("/api/admin/users", json!({"name": "Bo Two", "email": "BO@depot.example", "password": "password-123", "role": "technician"}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let short = s
        .post("/api/admin/users", json!({"name": "Short", "email": "short@depot.example", "password": "123", "role": "technician"}))
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let bad_role = s
        .post("/api/admin/users", json!({"name": "Role", "email": "role@depot.example", "password": "password-123", "role": "superuser"}))
        .await;
    assert_eq!(bad_role.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_role.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("role")),
        "{}",
        bad_role.text
    );

    let users = s.get("/api/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(users.body["users"].as_array().expect("array").len(), 2);

    let renamed = s
        .patch(
            &format!("/api/admin/users/{bo}"),
            Some(json!({"name": "Bo Chen-Li", "password": "new-password-1"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["user"]["name"], "Bo Chen-Li");
    s.login("bo@depot.example", "new-password-1").await;
    let clash = s
        .patch(
            &format!("/api/admin/users/{bo}"),
            Some(json!({"email": common::ADMIN_EMAIL})),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(
        s.patch("/api/admin/users/424242", Some(json!({"name": "x"})))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Technicians: only the technician role, each with the vehicle they hold.
    let ana = s.create_technician("Ana Ruiz").await;
    let van = s.create_vehicle("Van 3", "HH-FD 103").await;
    let assigned = s.assign(van, ana).await;
    assert_eq!(assigned.status, StatusCode::CREATED);
    let technicians = s.get("/api/admin/technicians").await;
    let list = technicians.body["technicians"].as_array().expect("array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "Ana Ruiz");
    assert_eq!(list[0]["activeAssignment"]["vehicle"]["id"], van);
    assert_eq!(
        list[0]["activeAssignment"]["id"],
        assigned.body["assignment"]["id"]
    );
    assert_eq!(list[1]["name"], "Bo Chen-Li");
    assert_eq!(list[1]["activeAssignment"], Value::Null);
    let vehicles = s.get("/api/admin/vehicles").await;
    assert_eq!(
        vehicles.body["vehicles"][0]["activeAssignment"]["technician"],
        json!({"id": ana, "name": "Ana Ruiz", "email": "ana.ruiz@depot.example"})
    );
}

async fn create_get_and_return(s: &TestServer) {
    let van = s.create_vehicle("Van 12", "HH-FD 112").await;
    let ana = s.create_technician("Ana Ruiz").await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let created = s.assign(van, ana).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let assignment = created.body["assignment"].clone();
    let id = assignment["id"].as_i64().expect("id");
    assert_eq!(assignment["status"], "active");
    assert_eq!(assignment["vehicleId"], van);
    assert_eq!(assignment["technicianId"], ana);
    assert_eq!(assignment["returnedDate"], Value::Null);
    assert_eq!(assignment["vehicle"]["licensePlate"], "HH-FD 112");
    assert_eq!(assignment["vehicle"]["make"], "Ford");
    assert_eq!(
        assignment["technician"],
        json!({"id": ana, "name": "Ana Ruiz", "email": "ana.ruiz@depot.example"})
    );
    let assigned: chrono::DateTime<chrono::Utc> = assignment["assignedDate"]
        .as_str()
        .expect("date")
        .parse()
        .expect("RFC 3339");
    assert!(assigned >= before && assigned <= chrono::Utc::now() + chrono::Duration::seconds(2));

    assert_eq!(
        s.get(&format!("/api/admin/assignments/{id}")).await.body["assignment"],
        assignment
    );
    assert_eq!(
        s.get("/api/admin/assignments/999999").await.status,
        StatusCode::NOT_FOUND
    );

    let returned = s
        .patch(&format!("/api/admin/assignments/{id}/return"), None)
        .await;
    assert_eq!(returned.status, StatusCode::OK);
    assert_eq!(returned.body["assignment"]["status"], "returned");
    assert!(returned.body["assignment"]["returnedDate"].is_string());
    // Idempotent: the same record, unchanged.
    let again = s
        .patch(&format!("/api/admin/assignments/{id}/return"), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, returned.body);
    assert_eq!(
        s.patch("/api/admin/assignments/999999/return", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Free again: the same pair can be assigned anew; history keeps both.
    assert_eq!(s.assign(van, ana).await.status, StatusCode::CREATED);
    assert_eq!(
        s.get("/api/admin/assignments").await.body["assignments"]
            .as_array()
            .expect("array")
            .len(),
        2
    );
}

async fn creation_is_validated(s: &TestServer) {
    let van = s.create_vehicle("Van 1", "V 1").await;
    let ana = s.create_technician("Ana Ruiz").await;
    let dispatcher = s
        .create_user("Dee Spatch", "dee@depot.example", "admin")
        .await;
    let cases = [
        (
            json!({"vehicleId": 999999, "technicianId": ana}),
            "vehicleId",
        ),
        (
            json!({"vehicleId": van, "technicianId": 999999}),
            "technicianId",
        ),
        (
            json!({"vehicleId": van, "technicianId": dispatcher}),
            "not a technician",
        ),
        (json!({"technicianId": ana}), "vehicleId"),
        (json!({"vehicleId": van}), "technicianId"),
        (json!({"vehicleId": "12", "technicianId": ana}), "vehicleId"),
        (json!({"vehicleId": -1, "technicianId": ana}), "vehicleId"),
        (json!({"vehicleId": 0, "technicianId": ana}), "vehicleId"),
        (json!({"vehicleId": 1.5, "technicianId": ana}), "vehicleId"),
    ];
    for (body, mentions) in cases {
        let reply = s.post("/api/admin/assignments", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "validation");
        let message = reply.body["message"].as_str().expect("message");
        assert!(
            message.contains(mentions),
            "{body}: {message:?} should mention {mentions:?}"
        );
    }
    assert!(s.get("/api/admin/assignments").await.body["assignments"]
        .as_array()
        .expect("array")
        .is_empty());
}

async fn conflicts_list_everything_in_the_way(s: &TestServer) {
    let van12 = s.create_vehicle("Van 12", "HH-FD 112").await;
    let van3 = s.create_vehicle("Van 3", "HH-FD 103").await;
    let van4 = s.create_vehicle("Van 4", "HH-FD 104").await;
    let ana = s.create_technician("Ana Ruiz").await;
    let bo = s.create_technician("Bo Chen").await;
    let cy = s.create_technician("Cy Park").await;
    let first = s.assign(van12, bo).await.body["assignment"].clone();
    let second = s.assign(van3, ana).await.body["assignment"].clone();

    // The vehicle is busy.
    let busy = s.assign(van12, cy).await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(busy.error_code(), "conflict");
    assert_eq!(
        busy.body["conflicts"],
        json!([{"reason": "vehicle_busy", "assignment": first}])
    );
    assert!(busy.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("Van 12") && m.contains("Bo Chen")));

    // The technician is busy.
    let busy = s.assign(van4, ana).await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(
        busy.body["conflicts"],
        json!([{"reason": "technician_busy", "assignment": second}])
    );

    // Both: two conflicts, one of each.
    let both = s.assign(van12, ana).await;
    assert_eq!(both.status, StatusCode::CONFLICT);
    let conflicts = both.body["conflicts"].as_array().expect("array");
    assert_eq!(conflicts.len(), 2);
    let reasons: HashSet<&str> = conflicts
        .iter()
        .filter_map(|c| c["reason"].as_str())
        .collect();
    assert_eq!(reasons, HashSet::from(["vehicle_busy", "technician_busy"]));

    // Return and reassign in one go.
    let reassigned = s
        .post(
            "/api/admin/assignments",
            json!({"vehicleId": van12, "technicianId": ana, "returnConflicting": true}),
        )
        .await;
    assert_eq!(
        reassigned.status,
        StatusCode::CREATED,
        "{}",
        reassigned.text
    );
    for old in [&first, &second] {
        let now = s
            .get(&format!("/api/admin/assignments/{}", old["id"]))
            .await;
        assert_eq!(now.body["assignment"]["status"], "returned");
        assert!(now.body["assignment"]["returnedDate"].is_string());
    }
    let active = s.get("/api/admin/assignments?status=active").await;
    let active = active.body["assignments"].as_array().expect("array");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], reassigned.body["assignment"]["id"]);

    // returnConflicting with nothing in the way is a plain create.
    let plain = s
        .post(
            "/api/admin/assignments",
            json!({"vehicleId": van4, "technicianId": bo, "returnConflicting": true}),
        )
        .await;
    assert_eq!(plain.status, StatusCode::CREATED);
}

async fn list_filters_orders_and_pages(s: &TestServer) {
    let van = s.create_vehicle("Van 1", "V 1").await;
    let ana = s.create_technician("Ana Ruiz").await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let created = s.assign(van, ana).await;
        let id = created.body["assignment"]["id"].as_i64().expect("id");
        ids.push(id);
        s.patch(&format!("/api/admin/assignments/{id}/return"), None)
            .await;
    }
    let open = s.assign(van, ana).await.body["assignment"]["id"]
        .as_i64()
        .expect("id");
    ids.push(open);
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

    let all = s.get("/api/admin/assignments").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(
        all.body.get("nextBefore").is_none(),
        "no paging field without limit"
    );
    let got: Vec<i64> = all.body["assignments"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .collect();
    assert_eq!(got, newest_first);

    let active = s.get("/api/admin/assignments?status=active").await;
    let got: Vec<i64> = active.body["assignments"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .collect();
    assert_eq!(got, [open]);
    let returned = s.get("/api/admin/assignments?status=returned").await;
    assert_eq!(
        returned.body["assignments"]
            .as_array()
            .expect("array")
            .len(),
        7
    );
    assert!(returned.body["assignments"]
        .as_array()
        .expect("array")
        .iter()
        .all(|a| a["status"] == "returned"));

    let bad = s.get("/api/admin/assignments?status=lost").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_code(), "validation");

    // Pages of 3: 3 + 3 + 2, nextBefore null on the last.
    let mut pages = Vec::new();
    let mut path = "/api/admin/assignments?limit=3".to_string();
    loop {
        let page = s.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let page_ids: Vec<i64> = page.body["assignments"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|a| a["id"].as_i64())
            .collect();
        pages.push(page_ids);
        match page.body["nextBefore"].as_i64() {
            Some(next) => path = format!("/api/admin/assignments?limit=3&before={next}"),
            None => {
                assert_eq!(page.body["nextBefore"], Value::Null);
                break;
            }
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 2]);
    assert_eq!(pages.concat(), newest_first);
    // Paging with a status filter too.
    let page = s
        .get("/api/admin/assignments?status=returned&limit=5")
        .await;
    assert_eq!(page.body["assignments"].as_array().expect("array").len(), 5);
    assert!(page.body["nextBefore"].is_i64());

    for query in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "before=abc",
        "before=-3",
        "limit=5&before=999999",
    ] {
        let reply = s.get(&format!("/api/admin/assignments?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
    }
}

async fn dashboard_counts_now(s: &TestServer) {
    let summary = |reply: common::Reply| reply.body["summary"].clone();
    assert_eq!(
        summary(s.get("/api/admin/dashboard").await),
        json!({"activeAssignments": 0, "vehicles": 0, "technicians": 0, "availableVehicles": 0, "availableTechnicians": 0})
    );
    let vans: Vec<i64> = [
        s.create_vehicle("Van 1", "V 1").await,
        s.create_vehicle("Van 2", "V 2").await,
        s.create_vehicle("Van 3", "V 3").await,
    ]
    .to_vec();
    let ana = s.create_technician("Ana Ruiz").await;
    let bo = s.create_technician("Bo Chen").await;
    s.create_user("Dee Spatch", "dee@depot.example", "admin")
        .await;
    let first = s.assign(vans[0], ana).await.body["assignment"]["id"]
        .as_i64()
        .expect("id");
    s.assign(vans[1], bo).await;
    assert_eq!(
        summary(s.get("/api/admin/dashboard").await),
        json!({"activeAssignments": 2, "vehicles": 3, "technicians": 2, "availableVehicles": 1, "availableTechnicians": 0})
    );
    s.patch(&format!("/api/admin/assignments/{first}/return"), None)
        .await;
    assert_eq!(
        summary(s.get("/api/admin/dashboard").await),
        json!({"activeAssignments": 1, "vehicles": 3, "technicians": 2, "availableVehicles": 2, "availableTechnicians": 1})
    );
}

/// 50 simultaneous requests for one vehicle: the database lets exactly one through.
async fn fifty_concurrent_creates_one_wins(s: &TestServer) {
    let van = s.create_vehicle("Van 1", "V 1").await;
    let mut technicians = Vec::new();
    for index in 0..50 {
        technicians.push(
            s.create_user(
                &format!("Tech {index}"),
                &format!("tech{index}@depot.example"),
                "technician",
            )
            .await,
        );
    }
    let requests = technicians.iter().map(|technician| {
        let (http, url, token) = (s.http.clone(), s.url.clone(), s.admin_token.clone());
        let body = json!({"vehicleId": van, "technicianId": technician});
        tokio::spawn(async move {
            let response = http
                .post(format!("{url}/api/admin/assignments"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("sent");
            let status = response.status();
            let body: Value = response.json().await.expect("JSON");
            (status, body)
        })
    });
    let mut created = 0;
    let mut conflicts = 0;
    for handle in requests.collect::<Vec<_>>() {
        let (status, body) = handle.await.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["conflicts"][0]["reason"], "vehicle_busy");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
    let active = s.get("/api/admin/assignments?status=active").await;
    assert_eq!(
        active.body["assignments"].as_array().expect("array").len(),
        1
    );
    assert_eq!(
        s.get("/api/admin/dashboard").await.body["summary"]["activeAssignments"],
        1
    );
}

/// Concurrent "return and reassign" for the same vehicle never leaves two active rows.
async fn concurrent_reassignments_stay_consistent(s: &TestServer) {
    let van = s.create_vehicle("Van 1", "V 1").await;
    let mut technicians = Vec::new();
    for index in 0..12 {
        technicians.push(
            s.create_user(
                &format!("Tech {index}"),
                &format!("tech{index}@depot.example"),
                "technician",
            )
            .await,
        );
    }
    let handles: Vec<_> = technicians
        .iter()
        .map(|technician| {
            let (http, url, token) = (s.http.clone(), s.url.clone(), s.admin_token.clone());
            let body =
                json!({"vehicleId": van, "technicianId": technician, "returnConflicting": true});
            tokio::spawn(async move {
                http.post(format!("{url}/api/admin/assignments"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent")
                    .status()
            })
        })
        .collect();
    for handle in handles {
        let status = handle.await.expect("task");
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{status}"
        );
    }
    let active = s.get("/api/admin/assignments?status=active").await;
    assert_eq!(
        active.body["assignments"].as_array().expect("array").len(),
        1
    );
}

async fn unknown_paths_and_methods_answer_json(s: &TestServer) {
    let missing = s.get("/api/admin/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
    let wrong = s.admin(Method::PUT, "/api/admin/vehicles", None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong.body["message"].is_string());
    // A request id the caller sends comes back; a new one is made otherwise.
    let response = s
        .http
        .get(format!("{}/api/admin/dashboard", s.url))
        .bearer_auth(&s.admin_token)
        .header("x-request-id", "trace-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"], "trace-123");
}

on_both_databases!(
    vehicles_crud,
    text_is_stored_verbatim,
    users_and_technicians,
    create_get_and_return,
    creation_is_validated,
    conflicts_list_everything_in_the_way,
    list_filters_orders_and_pages,
    dashboard_counts_now,
    fifty_concurrent_creates_one_wins,
    concurrent_reassignments_stay_consistent,
    unknown_paths_and_methods_answer_json,
);
