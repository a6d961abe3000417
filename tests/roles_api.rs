//! Section 4 of API.md: organizations, role assignments, conflicts, resolve, permissions.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const OPEN_FROM: &str = "1970-01-01T00:00:00+00:00";
const OPEN_TO: &str = "2200-01-01T00:00:00+00:00";

fn day(date: &str) -> String {
    format!("{date}T00:00:00+00:00")
}

async fn organization(s: &TestServer, name: &str, parent: Option<&str>) -> String {
    let reply = s
        .post(
            "/api/organizations",
            json!({"name": name, "parentId": parent}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// POSTs a role assignment as `token` and returns the reply.
async fn save(s: &TestServer, token: &str, body: Value) -> common::Reply {
    let reply = s
        .call(
            Method::POST,
            "/api/users/assignment",
            Some(token),
            Some(body),
        )
        .await;
    assert_envelope(&reply);
    reply
}

async fn create(s: &TestServer, user: i64, org: &str, roles: &[&str], from: &str, to: &str) -> i64 {
    let reply = save(s, &s.admin_token, json!({"roles": roles, "userId": user.to_string(), "organizationId": org, "validFrom": from, "validTo": to})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body["items"][0]["message"],
        "The assignment was successfully created."
    );
    reply.body["items"][0]["relId"].as_i64().expect("relId")
}

fn assert_envelope(reply: &common::Reply) {
    let items = reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("envelope expected: {}", reply.text));
    assert_eq!(items.len(), 1, "{}", reply.text);
    assert!(items[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        reply.body.get("valid").is_some_and(Value::is_null),
        "{}",
        reply.text
    );
}

/// (relId, roles, from, to) of one user's assignments in one organization, by validFrom.
async fn state_of(s: &TestServer, user: i64, org: &str) -> Vec<(i64, Vec<String>, String, String)> {
    let reply = s
        .get(&format!(
            "/api/users/assignments?userId={user}&organizationId={org}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["assignments"]
        .as_array()
        .expect("array")
        .iter()
        .map(|row| {
            (
                row["relId"].as_i64().expect("relId"),
                row["roles"]
                    .as_array()
                    .expect("roles")
                    .iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect(),
                row["validFrom"].as_str().expect("from").to_string(),
                row["validTo"].as_str().expect("to").to_string(),
            )
        })
        .collect()
}

/// Seed 002, first conflict example, field for field (plus the current-date extension).
async fn seed_example_one(s: &TestServer) {
    let org = organization(s, "Test 3.1.2", None).await;
    let user = s
        .create_user("Api, User", "api.user@depot.example", "technician")
        .await;
    let existing = create(s, user, &org, &["employee", "administrator"], "", "").await;
    let reply = save(s, &s.admin_token, json!({"role": "employee", "userId": user.to_string(), "organizationId": org, "validFrom": "2021-01-01T00:00:00+00:00", "validTo": ""})).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let expected = json!({
        "items": [{
            "message": "Dates may not overlap. Api, User has already a role in the organization unit Test 3.1.2 which is in conflict with the new permission.",
            "data": [
                {"relId": existing, "userId": user.to_string(), "organizationId": org, "roles": ["employee", "administrator"],
                 "validFrom": OPEN_FROM, "validTo": "2020-12-31T00:00:00+00:00", "conflictType": "date_to_updated", "validated": false,
                 "currentValidFrom": OPEN_FROM, "currentValidTo": OPEN_TO},
                {"relId": null, "userId": user.to_string(), "organizationId": org, "roles": ["employee"],
                 "validFrom": "2021-01-01T00:00:00+00:00", "validTo": OPEN_TO, "conflictType": "no_update", "validated": true,
                 "currentValidFrom": null, "currentValidTo": null}
            ]
        }],
        "valid": null
    });
    assert_eq!(reply.body, expected);
    // Nothing was written.
    assert_eq!(state_of(s, user, &org).await.len(), 1);

    // Accepting the suggestion: one resolve request, all applied.
    let request = json!({"role": "employee", "userId": user.to_string(), "organizationId": org, "validFrom": "2021-01-01T00:00:00+00:00", "validTo": ""});
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": reply.body["items"][0]["data"]}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(
        resolved.body["items"][0]["message"],
        "The assignment was successfully created."
    );
    let new_rel = resolved.body["items"][0]["relId"].as_i64().expect("relId");
    assert_eq!(
        state_of(s, user, &org).await,
        vec![
            (
                existing,
                vec!["employee".into(), "administrator".into()],
                OPEN_FROM.into(),
                day("2020-12-31")
            ),
            (
                new_rel,
                vec!["employee".into()],
                day("2021-01-01"),
                OPEN_TO.into()
            ),
        ]
    );
}

/// Seed 002, second example; the client's echo may say `groupId` and a numeric userId.
async fn seed_example_two_with_group_id(s: &TestServer) {
    let org = organization(s, "Sub-task 1.2", None).await;
    let user = s
        .create_user("TestApi, User", "testapi@depot.example", "technician")
        .await;
    let existing = create(s, user, &org, &["employee"], "1970-01-01", "").await;
    let request = json!({"role": "employee", "userId": user, "organizationId": org, "validFrom": "2021-01-01"});
    let reply = save(s, &s.admin_token, request.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let data = reply.body["items"][0]["data"]
        .as_array()
        .expect("data")
        .clone();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["relId"], existing);
    assert_eq!(data[0]["conflictType"], "date_to_updated");
    assert_eq!(data[0]["validTo"], day("2020-12-31"));
    assert_eq!(data[1]["conflictType"], "no_update");
    // The seed's second example names the organization `groupId`.
    let echoed: Vec<Value> = data
        .iter()
        .map(|item| {
            let mut item = item.clone();
            let object = item.as_object_mut().expect("object");
            let org = object.remove("organizationId").expect("organizationId");
            object.insert("groupId".into(), org);
            item
        })
        .collect();
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": echoed}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(state_of(s, user, &org).await[0].3, day("2020-12-31"));
}

/// Each row of API.md's suggestion table, resolved, gives the trimmed state.
async fn every_conflict_type_and_the_split(s: &TestServer) {
    let org = organization(s, "Depot North", None).await;
    let user = s
        .create_user("Ana Ruiz", "ana@depot.example", "technician")
        .await;
    // Existing: A [2024-01-01, 2024-03-31], B [2024-05-01, 2024-05-31], C [2024-07-01, 2024-12-31]
    let a = create(s, user, &org, &["employee"], "2024-01-01", "2024-03-31").await;
    let b = create(s, user, &org, &["approver"], "2024-05-01", "2024-05-31").await;
    let c = create(s, user, &org, &["manager"], "2024-07-01", "2024-12-31").await;
    // New N [2024-03-01, 2024-08-31]: A ends inside (end earlier), B inside (delete), C starts inside (start later).
    let request = json!({"role": "administrator", "userId": user.to_string(), "organizationId": org, "validFrom": "2024-03-01", "validTo": "2024-08-31"});
    let reply = save(s, &s.admin_token, request.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let data = reply.body["items"][0]["data"]
        .as_array()
        .expect("data")
        .clone();
    let summary: Vec<(Value, String, String, String, bool)> = data
        .iter()
        .map(|item| {
            (
                item["relId"].clone(),
                item["conflictType"].as_str().expect("type").to_string(),
                item["validFrom"].as_str().expect("from").to_string(),
                item["validTo"].as_str().expect("to").to_string(),
                item["validated"].as_bool().expect("validated"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                json!(a),
                "date_to_updated".into(),
                day("2024-01-01"),
                day("2024-02-29"),
                false
            ),
            (
                Value::Null,
                "no_update".into(),
                day("2024-03-01"),
                day("2024-08-31"),
                true
            ),
            (
                json!(b),
                "to_delete".into(),
                day("2024-05-01"),
                day("2024-05-31"),
                false
            ),
            (
                json!(c),
                "date_from_updated".into(),
                day("2024-09-01"),
                day("2024-12-31"),
                false
            ),
        ]
    );
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": data}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    let n = resolved.body["items"][0]["relId"].as_i64().expect("relId");
    assert_eq!(
        state_of(s, user, &org).await,
        vec![
            (
                a,
                vec!["employee".into()],
                day("2024-01-01"),
                day("2024-02-29")
            ),
            (
                n,
                vec!["administrator".into()],
                day("2024-03-01"),
                day("2024-08-31")
            ),
            (
                c,
                vec!["manager".into()],
                day("2024-09-01"),
                day("2024-12-31")
            ),
        ]
    );

    // The split: a new range strictly inside an existing one.
    let other = s
        .create_user("Bo Chen", "bo@depot.example", "technician")
        .await;
    let whole = create(s, other, &org, &["employee", "approver"], "", "").await;
    let request = json!({"role": "manager", "userId": other.to_string(), "organizationId": org, "validFrom": "2025-01-01", "validTo": "2025-06-30"});
    let reply = save(s, &s.admin_token, request.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let data = reply.body["items"][0]["data"]
        .as_array()
        .expect("data")
        .clone();
    assert_eq!(data.len(), 3);
    assert_eq!(
        (
            data[0]["relId"].clone(),
            data[0]["conflictType"].clone(),
            data[0]["validTo"].clone()
        ),
        (
            json!(whole),
            json!("date_to_updated"),
            json!(day("2024-12-31"))
        )
    );
    assert_eq!(data[1]["conflictType"], "no_update");
    assert_eq!(
        (
            data[2]["relId"].clone(),
            data[2]["conflictType"].clone(),
            data[2]["validFrom"].clone(),
            data[2]["validTo"].clone()
        ),
        (
            Value::Null,
            json!("date_from_updated"),
            json!(day("2025-07-01")),
            json!(OPEN_TO)
        )
    );
    assert_eq!(data[2]["roles"], json!(["employee", "approver"]));
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": data}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    let state = state_of(s, other, &org).await;
    assert_eq!(state.len(), 3);
    assert_eq!(
        state[0],
        (
            whole,
            vec!["employee".into(), "approver".into()],
            OPEN_FROM.into(),
            day("2024-12-31")
        )
    );
    assert_eq!(
        (state[1].1.clone(), state[1].2.clone(), state[1].3.clone()),
        (
            vec!["manager".to_string()],
            day("2025-01-01"),
            day("2025-06-30")
        )
    );
    assert_eq!(
        (state[2].1.clone(), state[2].2.clone(), state[2].3.clone()),
        (
            vec!["employee".to_string(), "approver".to_string()],
            day("2025-07-01"),
            OPEN_TO.to_string()
        )
    );
}

/// Editing with relId: the edited one never conflicts with itself; others do.
async fn edits_exclude_themselves(s: &TestServer) {
    let org = organization(s, "Depot South", None).await;
    let user = s
        .create_user("Cy Park", "cy@depot.example", "technician")
        .await;
    let first = create(s, user, &org, &["employee"], "2024-01-01", "2024-06-30").await;
    let second = create(s, user, &org, &["approver"], "2024-07-01", "2024-12-31").await;
    // Widening the first within its own range and role change: fine.
    let edit = save(s, &s.admin_token, json!({"relId": first, "roles": ["employee", "manager"], "userId": user.to_string(), "organizationId": org, "validFrom": "2023-01-01", "validTo": "2024-06-30"})).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    assert_eq!(
        edit.body["items"][0]["message"],
        "The assignment was successfully updated."
    );
    // Stretching it into the second: 409 naming the second, the edited one as no_update.
    let request = json!({"relId": first, "role": "employee", "userId": user.to_string(), "organizationId": org, "validFrom": "2023-01-01", "validTo": "2024-09-30"});
    let reply = save(s, &s.admin_token, request.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let data = reply.body["items"][0]["data"]
        .as_array()
        .expect("data")
        .clone();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["relId"], first);
    assert_eq!(data[0]["conflictType"], "no_update");
    assert_eq!(data[0]["currentValidTo"], day("2024-06-30"));
    assert_eq!(data[1]["relId"], second);
    assert_eq!(data[1]["conflictType"], "date_from_updated");
    assert_eq!(data[1]["validFrom"], day("2024-10-01"));
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": data}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(
        resolved.body["items"][0]["message"],
        "The assignment was successfully updated."
    );
    assert_eq!(
        state_of(s, user, &org).await,
        vec![
            (
                first,
                vec!["employee".into()],
                day("2023-01-01"),
                day("2024-09-30")
            ),
            (
                second,
                vec!["approver".into()],
                day("2024-10-01"),
                day("2024-12-31")
            ),
        ]
    );
}

/// A resolve built on data that changed meanwhile writes nothing and answers fresh suggestions.
async fn stale_resolve_applies_nothing(s: &TestServer) {
    let org = organization(s, "Depot East", None).await;
    let user = s
        .create_user("Di Ng", "di@depot.example", "technician")
        .await;
    let existing = create(s, user, &org, &["employee"], "2024-01-01", "2024-12-31").await;
    let request = json!({"role": "approver", "userId": user.to_string(), "organizationId": org, "validFrom": "2024-06-01", "validTo": ""});
    let conflict = save(s, &s.admin_token, request.clone()).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let stale_data = conflict.body["items"][0]["data"].clone();
    // Someone else shortens the existing one meanwhile.
    let edit = save(s, &s.admin_token, json!({"relId": existing, "role": "employee", "userId": user.to_string(), "organizationId": org, "validFrom": "2024-01-01", "validTo": "2024-08-31"})).await;
    assert_eq!(edit.status, StatusCode::OK);
    let before = state_of(s, user, &org).await;
    let reply = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": stale_data}),
        )
        .await;
    assert_envelope(&reply);
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert!(
        reply.body["items"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("changed")),
        "{}",
        reply.text
    );
    let fresh = reply.body["items"][0]["data"]
        .as_array()
        .expect("fresh suggestions");
    assert_eq!(fresh[0]["currentValidTo"], day("2024-08-31"));
    assert_eq!(fresh[0]["validTo"], day("2024-05-31"));
    assert_eq!(state_of(s, user, &org).await, before, "nothing applied");
    // The fresh suggestions go through.
    let resolved = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": fresh}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);

    // A resolution edited so it still overlaps is refused too, nothing applied.
    let request = json!({"role": "manager", "userId": user.to_string(), "organizationId": org, "validFrom": "2024-03-01", "validTo": "2024-03-31"});
    let conflict = save(s, &s.admin_token, request.clone()).await;
    let mut data = conflict.body["items"][0]["data"]
        .as_array()
        .expect("data")
        .clone();
    let before = state_of(s, user, &org).await;
    data[0]["validTo"] = json!(day("2024-03-15"));
    let reply = s
        .post(
            "/api/users/assignment/resolve",
            json!({"request": request, "resolution": data}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert_eq!(state_of(s, user, &org).await, before);
}

/// Two overlapping creates at once: one 200, one 409, never two rows.
async fn concurrent_overlapping_creates(s: &TestServer) {
    let org = organization(s, "Depot West", None).await;
    let user = s
        .create_user("Ed Fox", "ed@depot.example", "technician")
        .await;
    let handles: Vec<_> = (0..10)
        .map(|index| {
            let (http, url, token) = (s.http.clone(), s.url.clone(), s.admin_token.clone());
            let body = json!({"role": "employee", "userId": user.to_string(), "organizationId": org, "validFrom": format!("2024-01-{:02}", index + 1), "validTo": "2024-12-31"});
            tokio::spawn(async move {
                http.post(format!("{url}/api/users/assignment"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent")
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(state_of(s, user, &org).await.len(), 1);
}

async fn permissions(s: &TestServer) {
    let root = organization(s, "Region", None).await;
    let depot = organization(s, "Depot", Some(&root)).await;
    let workshop = organization(s, "Workshop", Some(&depot)).await;
    let other = organization(s, "Elsewhere", None).await;
    let boss = s
        .create_user("Bea Boss", "bea@depot.example", "technician")
        .await;
    let former = s
        .create_user("Fay Former", "fay@depot.example", "technician")
        .await;
    let main = s
        .create_user("Max Main", "max@depot.example", "technician")
        .await;
    let worker = s
        .create_user("Wil Worker", "wil@depot.example", "technician")
        .await;
    create(s, boss, &depot, &["administrator"], "2020-01-01", "").await;
    create(
        s,
        former,
        &depot,
        &["administrator"],
        "2020-01-01",
        "2021-12-31",
    )
    .await;
    create(s, main, &root, &["main_administrator"], "", "").await;
    let boss_token = s.login("bea@depot.example", "password-123").await;
    let former_token = s.login("fay@depot.example", "password-123").await;
    let main_token = s.login("max@depot.example", "password-123").await;
    let worker_token = s.login("wil@depot.example", "password-123").await;
    let body = |org: &str, role: &str, from: &str| json!({"role": role, "userId": worker.to_string(), "organizationId": org, "validFrom": from, "validTo": from.replace("01-01", "12-31")});

    // An administrator of an ancestor may assign below it.
    assert_eq!(
        save(s, &boss_token, body(&workshop, "employee", "2024-01-01"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        save(s, &boss_token, body(&depot, "approver", "2024-01-01"))
            .await
            .status,
        StatusCode::OK
    );
    // Not above it, nor beside it.
    assert_eq!(
        save(s, &boss_token, body(&root, "employee", "2024-01-01"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        save(s, &boss_token, body(&other, "employee", "2024-01-01"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // An expired administrator may not.
    let expired = save(s, &former_token, body(&workshop, "employee", "2025-01-01")).await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert!(expired.body["items"][0]["data"].is_null());
    // No holding at all.
    assert_eq!(
        save(s, &worker_token, body(&workshop, "employee", "2026-01-01"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Escalation: a plain administrator may not grant main_administrator; a main one may.
    assert_eq!(
        save(
            s,
            &boss_token,
            body(&workshop, "main_administrator", "2027-01-01")
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        save(
            s,
            &main_token,
            body(&workshop, "main_administrator", "2027-01-01")
        )
        .await
        .status,
        StatusCode::OK
    );
    // Deleting needs the same right.
    let rel = state_of(s, worker, &workshop).await[0].0;
    let refused = s
        .call(
            Method::DELETE,
            &format!("/api/users/assignment/{rel}"),
            Some(&worker_token),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_envelope(&refused);
    let deleted = s
        .call(
            Method::DELETE,
            &format!("/api/users/assignment/{rel}"),
            Some(&boss_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body["items"][0]["message"],
        "The assignment was successfully deleted."
    );
    let again = s
        .call(
            Method::DELETE,
            &format!("/api/users/assignment/{rel}"),
            Some(&boss_token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_envelope(&again);
    // Only fleet admins create organizations.
    let reply = s
        .call(
            Method::POST,
            "/api/organizations",
            Some(&boss_token),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Any signed-in user reads them.
    let reply = s
        .call(Method::GET, "/api/organizations", Some(&worker_token), None)
        .await;
    assert_eq!(
        reply.body["organizations"].as_array().expect("array").len(),
        4
    );
}

async fn organizations_and_user_roles(s: &TestServer) {
    let root = organization(s, "Region", None).await;
    let child = organization(s, "Depot 🚐 \"North\"", Some(&root)).await;
    let list = s.get("/api/organizations").await;
    let orgs = list.body["organizations"].as_array().expect("array");
    assert_eq!(orgs.len(), 2);
    let child_json = orgs
        .iter()
        .find(|o| o["id"] == child.as_str())
        .expect("child listed");
    assert_eq!(child_json["parentId"], root.as_str());
    assert_eq!(child_json["name"], "Depot 🚐 \"North\"");
    let bad_parent = s
        .post(
            "/api/organizations",
            json!({"name": "Orphan", "parentId": "no-such-org"}),
        )
        .await;
    assert_eq!(bad_parent.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_parent.error_code(), "validation");

    let user = s
        .create_user("Gil Hart", "gil@depot.example", "technician")
        .await;
    let both = create(s, user, &child, &["employee", "approver"], "2024-01-01", "").await;
    let one = create(s, user, &root, &["approver"], "", "2023-12-31").await;
    let reply = s.get(&format!("/api/users/{user}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["id"], user.to_string());
    assert_eq!(reply.body["name"], "Gil Hart");
    let roles = reply.body["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[0]["role"], "employee");
    assert_eq!(
        roles[0]["organizations"],
        json!([{"id": child, "name": "Depot 🚐 \"North\"", "relId": both, "validFrom": day("2024-01-01"), "validTo": OPEN_TO}])
    );
    assert_eq!(roles[1]["role"], "approver");
    let approver_rel_ids: Vec<i64> = roles[1]["organizations"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter_map(|o| o["relId"].as_i64())
        .collect();
    assert_eq!(approver_rel_ids.len(), 2);
    assert!(approver_rel_ids.contains(&both) && approver_rel_ids.contains(&one));
    let missing = s.get("/api/users/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_envelope(&missing);
    // The same user and organization in a different organization do not conflict.
    create(s, user, &root, &["employee"], "2024-01-01", "").await;
    let filtered = s
        .get(&format!("/api/users/assignments?organizationId={root}"))
        .await;
    assert_eq!(
        filtered.body["assignments"]
            .as_array()
            .expect("array")
            .len(),
        2
    );
    let all = s.get("/api/users/assignments").await;
    assert_eq!(all.body["assignments"].as_array().expect("array").len(), 3);
}

on_both_databases!(
    seed_example_one,
    seed_example_two_with_group_id,
    every_conflict_type_and_the_split,
    edits_exclude_themselves,
    stale_resolve_applies_nothing,
    concurrent_overlapping_creates,
    permissions,
    organizations_and_user_roles,
);

/// On PostgreSQL the exclusion constraint holds even for writes that bypass the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_exclusion_constraint_refuses_overlaps_written_directly() {
    use sqlx::Connection;
    let Some(s) = TestServer::try_start(common::DbKind::Postgres).await else {
        return;
    };
    let org = organization(&s, "Direct", None).await;
    let user = s
        .create_user("Hal Ide", "hal@depot.example", "technician")
        .await;
    create(&s, user, &org, &["employee"], "2024-01-01", "2024-12-31").await;
    let mut conn = sqlx::AnyConnection::connect(&s.database.url)
        .await
        .expect("connect");
    let insert = |from: i64, to: i64| {
        format!(
            "INSERT INTO role_assignments (user_id, organization_id, roles, valid_from, valid_to) \
             VALUES ({user}, '{org}', 'manager', {from}, {to})"
        )
    };
    // Days: 2024-12-31 is 20088; 2025-01-01 is 20089.
    let mut tx = conn.begin().await.expect("begin");
    sqlx::query(&insert(20088, 20100))
        .execute(&mut *tx)
        .await
        .expect("deferred until commit");
    let err = tx.commit().await.expect_err("an overlap must not commit");
    let code = err
        .as_database_error()
        .and_then(|db| db.code())
        .map(|code| code.to_string());
    assert_eq!(code.as_deref(), Some("23P01"), "{err}");
    // The day after is fine.
    sqlx::query(&insert(20089, 20100))
        .execute(&mut conn)
        .await
        .expect("no overlap");
    drop(conn);
    s.stop().await;
}
