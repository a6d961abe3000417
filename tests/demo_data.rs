//! The demo data set's organization tree and role assignments (`serve --demo`), and the
//! `tryThis` recipes it promises: each really meets the conflicts it names.

mod common;

use std::collections::HashMap;

use common::{config_for, DbKind, TestDatabase, TestServer, ADMIN_EMAIL};
use fleetdesk::server::demo_data::{demo_data, DEMO_ORGANIZATION_ADMIN};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A server with the demo data set, or None when the test is skipped for want of PostgreSQL.
async fn start(kind: DbKind) -> Option<TestServer> {
    let database = TestDatabase::try_new(kind).await?;
    let server = TestServer::start_on(kind, database, |url| {
        let mut config = config_for(url);
        config.demo = true;
        config
    })
    .await;
    Some(server)
}

/// One `tryThis` recipe: who, where, which dates, and the conflict types it must meet.
struct Recipe {
    user_name: &'static str,
    organization: &'static str,
    from: &'static str,
    to: &'static str,
    conflict_types: &'static [&'static str],
}

const RECIPES: [Recipe; 2] = [
    Recipe {
        user_name: "Dmitri Ruiz",
        organization: "Depot North",
        from: "2025-03-01",
        to: "2025-08-31",
        conflict_types: &[
            "date_from_updated",
            "date_to_updated",
            "no_update",
            "to_delete",
        ],
    },
    Recipe {
        user_name: "Elif Chen",
        organization: "Depot North",
        from: "2026-01-01",
        to: "2026-06-30",
        conflict_types: &["date_from_updated", "date_to_updated", "no_update"],
    },
];

async fn demo_has_a_tree_role_assignments_and_working_recipes(s: &TestServer) {
    // The depot the README promises: 3 dispatchers, 26 technicians (one of them the
    // administrator of Depot North), 42 vehicles, 532 assignments of history, 12 of them active.
    let reply = s.get("/api/admin/dashboard").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let summary = &reply.body["summary"];
    assert_eq!(summary["vehicles"], 42, "{summary}");
    assert_eq!(summary["technicians"], 26, "{summary}");
    assert_eq!(summary["activeAssignments"], 12, "{summary}");
    let reply = s.get("/api/admin/users").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let dispatchers = reply.body["users"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|user| user["role"] == "admin" && user["email"] != ADMIN_EMAIL)
        .count();
    assert_eq!(dispatchers, 3, "{}", reply.text);
    let reply = s.get("/api/admin/assignments?limit=1000").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let history = reply.body["assignments"].as_array().expect("a list");
    assert_eq!(
        history.len(),
        532,
        "{} assignments of history",
        history.len()
    );
    assert!(
        reply.body["nextBefore"].is_null(),
        "{}",
        reply.body["nextBefore"]
    );
    // Every returned assignment has its odometer reading (27 a note too); readings never go
    // down along a vehicle's history, and each vehicle's odometer is its last reading.
    let returned: Vec<&Value> = history
        .iter()
        .filter(|a| a["status"] == "returned")
        .collect();
    assert_eq!(returned.len(), 520);
    assert!(returned.iter().all(|a| a["returnOdometerKm"].is_i64()));
    assert_eq!(
        returned
            .iter()
            .filter(|a| a["returnNote"].is_string())
            .count(),
        27
    );
    let mut last: HashMap<i64, i64> = HashMap::new();
    for a in returned.iter().rev() {
        let vehicle = a["vehicleId"].as_i64().expect("vehicle id");
        let reading = a["returnOdometerKm"].as_i64().expect("a reading");
        let before = last.insert(vehicle, reading).unwrap_or(0);
        assert!(reading >= before, "{a}");
    }
    // One vehicle in the shop and one out of service, each with a note; neither assigned,
    // so 42 - 12 assigned - 2 = 28 are free.
    let reply = s.get("/api/admin/vehicles").await;
    let vehicles = reply.body["vehicles"].as_array().expect("a list");
    let unavailable: Vec<(&str, &str)> = vehicles
        .iter()
        .filter(|v| v["serviceStatus"] != "in_service")
        .map(|v| {
            assert!(v["statusNote"].is_string(), "{v}");
            assert!(v["activeAssignment"].is_null(), "{v}");
            (
                v["name"].as_str().expect("name"),
                v["serviceStatus"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        unavailable,
        [("Truck 36", "out_of_service"), ("Van 20", "in_shop")]
    );
    for v in vehicles {
        let id = v["id"].as_i64().expect("id");
        assert_eq!(v["odometerKm"].as_i64(), last.get(&id).copied(), "{v}");
    }
    assert_eq!(summary["availableVehicles"], 28, "{summary}");

    // The organization tree the README promises: 10 organizations, three levels deep.
    let reply = s.get("/api/organizations").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let organizations = reply.body["organizations"].as_array().expect("a list");
    assert_eq!(organizations.len(), 10, "{}", reply.text);
    let parents: HashMap<&str, Option<&str>> = organizations
        .iter()
        .map(|o| (o["id"].as_str().expect("id"), o["parentId"].as_str()))
        .collect();
    let mut deepest = 0;
    for start in parents.keys() {
        let (mut id, mut depth) = (*start, 1);
        while let Some(Some(parent)) = parents.get(id) {
            depth += 1;
            id = parent;
        }
        deepest = deepest.max(depth);
    }
    assert_eq!(deepest, 3, "the tree is {deepest} levels deep");

    // The 69 role assignments the README promises.
    let reply = s.get("/api/users/assignments").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let assignments = reply.body["assignments"].as_array().expect("a list");
    assert_eq!(assignments.len(), 69, "{} assignments", assignments.len());
    let find = |field: &str, value: &str, id_field: &str| -> String {
        assignments
            .iter()
            .find(|a| a[field] == value)
            .unwrap_or_else(|| panic!("no assignment with {field} {value}"))[id_field]
            .as_str()
            .expect("an id")
            .to_string()
    };

    // Each recipe is written in tryThis, and meets the conflicts it names.
    let try_this = demo_data().expect("the demo data parses").try_this;
    for recipe in &RECIPES {
        assert!(
            try_this.iter().any(|text| [
                recipe.user_name,
                recipe.organization,
                recipe.from,
                recipe.to
            ]
            .iter()
            .all(|part| text.contains(part))),
            "tryThis does not describe {} in {} from {} to {}: {try_this:?}",
            recipe.user_name,
            recipe.organization,
            recipe.from,
            recipe.to
        );
        let user_id = find("userName", recipe.user_name, "userId");
        let organization_id = find("organizationName", recipe.organization, "organizationId");
        let reply = s
            .post(
                "/api/users/assignment",
                json!({"role": "employee", "userId": user_id, "organizationId": organization_id,
                       "validFrom": recipe.from, "validTo": recipe.to}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        let mut types: Vec<&str> = reply.body["items"][0]["data"]
            .as_array()
            .expect("conflict items")
            .iter()
            .map(|item: &Value| item["conflictType"].as_str().expect("a conflictType"))
            .collect();
        types.sort_unstable();
        assert_eq!(
            types, recipe.conflict_types,
            "{} in {}: {}",
            recipe.user_name, recipe.organization, reply.text
        );
    }
}

/// The organization administrator of Depot North, who is not a fleet admin: signs in with
/// the demo password, finds North's people, may assign in North's units but not in South.
async fn demo_has_an_organization_administrator(s: &TestServer) {
    let data = demo_data().expect("the demo data parses");
    let token = s.login(DEMO_ORGANIZATION_ADMIN, &data.password).await;
    let me = s
        .call(Method::GET, "/api/auth/me", Some(&token), None)
        .await;
    assert_eq!(me.body["user"]["role"], "technician", "{}", me.text);
    assert_eq!(
        s.call(Method::GET, "/api/admin/vehicles", Some(&token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let found = s
        .call(Method::GET, "/api/users?query=dmitri", Some(&token), None)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(
        found.body["users"][0]["name"], "Dmitri Ruiz",
        "{}",
        found.text
    );
    let organizations = s.get("/api/organizations").await;
    let id_of = |name: &str| -> String {
        organizations.body["organizations"]
            .as_array()
            .expect("a list")
            .iter()
            .find(|o| o["name"] == name)
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_string()
    };
    let dmitri = found.body["users"][0]["id"].as_i64().expect("id");
    for (organization, status) in [
        ("Night Shift North", StatusCode::OK),
        ("Depot South", StatusCode::FORBIDDEN),
    ] {
        let reply = s
            .call(
                Method::POST,
                "/api/users/assignment",
                Some(&token),
                Some(json!({"role": "approver", "userId": dmitri.to_string(),
                            "organizationId": id_of(organization), "validFrom": "2030-01-01"})),
            )
            .await;
        assert_eq!(reply.status, status, "{organization}: {}", reply.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let server = start(DbKind::Sqlite).await.expect("SQLite is always there");
    demo_has_a_tree_role_assignments_and_working_recipes(&server).await;
    demo_has_an_organization_administrator(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(server) = start(DbKind::Postgres).await else {
        return;
    };
    demo_has_a_tree_role_assignments_and_working_recipes(&server).await;
    demo_has_an_organization_administrator(&server).await;
    server.stop().await;
}
