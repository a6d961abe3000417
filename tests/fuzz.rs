//! Generated bodies against every POST and PATCH route: a few thousand per database, from
//! proptest strategies driven by a fixed seed (the same bodies every run). Each answer must be
//! one the README documents for that route, in the documented body, never a 500.
//!
//! Bodies are valid ones with one field changed or removed, objects of the route's own keys
//! with random values, any JSON value, cut-off JSON and raw bytes.

mod common;

use std::collections::BTreeMap;

use common::{Answer, TestServer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// Bodies per route and database.
const BODIES_PER_ROUTE: usize = 300;
const SEED: [u8; 32] = *b"fleetdesk fuzz: bodies per route";

/// Strings that have broken servers before: empty, blank, invisible, control characters,
/// SQL, quotes, very long, not quite numbers or dates.
fn nasty_strings() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "\u{200B}".into(),
        "\u{FEFF}\u{2060}".into(),
        "\u{0}".into(),
        "a\u{0}b".into(),
        "\u{202E}evil".into(),
        "' OR '1'='1".into(),
        "\"; DROP TABLE vehicles; --".into(),
        "🚐👨\u{200D}🔧".into(),
        "x".repeat(201),
        "é".repeat(5000),
        "9223372036854775808".into(),
        "-1".into(),
        "1e309".into(),
        "NaN".into(),
        "2021-02-30".into(),
        "2021-01-01T00:00:00+00:00".into(),
        "10000-01-01".into(),
        "employee".into(),
        "main_administrator".into(),
        "admin".into(),
        "technician".into(),
        "ana@depot.example".into(),
        "@".into(),
        "00000000-0000-4000-8000-000000000000".into(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(nasty_strings()),
        2 => "[a-zA-Z0-9 @.'-]{0,24}",
        2 => any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(vec![
            json!(0),
            json!(-1),
            json!(1),
            json!(2),
            json!(3),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(2021),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One POST or PATCH route, a valid body for it, and the statuses the README allows.
struct Route {
    method: Method,
    path: String,
    valid: Value,
    allowed: &'static [u16],
    signed_in: bool,
}

impl Route {
    fn keys(&self) -> Vec<String> {
        self.valid
            .as_object()
            .map(|object| object.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Generated bodies for `route`: mostly the valid body with one field changed.
fn bodies(route: &Route) -> BoxedStrategy<Vec<u8>> {
    let valid = route.valid.clone();
    let keys = route.keys();
    let to_bytes = |value: &Value| serde_json::to_vec(value).unwrap_or_default();
    let one_field_changed = {
        let valid = valid.clone();
        (
            proptest::sample::select(keys.clone()),
            proptest::option::weighted(0.85, json_value()),
        )
            .prop_map(move |(key, value)| {
                let mut body = valid.clone();
                if let Some(object) = body.as_object_mut() {
                    match value {
                        Some(value) => object.insert(key, value),
                        None => object.remove(&key),
                    };
                }
                serde_json::to_vec(&body).unwrap_or_default()
            })
    };
    // The same type in one field, so more bodies get past parsing into the rules and the store.
    let one_field_retyped = {
        let valid = valid.clone();
        proptest::sample::select(keys.clone())
            .prop_flat_map(move |key| {
                let current = valid.get(&key).cloned().unwrap_or(Value::Null);
                let replacement = match current {
                    Value::String(_) => text().prop_map(Value::String).boxed(),
                    Value::Number(_) => number().boxed(),
                    Value::Bool(_) => any::<bool>().prop_map(Value::Bool).boxed(),
                    _ => json_value().boxed(),
                };
                (Just(valid.clone()), Just(key), replacement)
            })
            .prop_map(|(mut body, key, value)| {
                if let Some(object) = body.as_object_mut() {
                    object.insert(key, value);
                }
                serde_json::to_vec(&body).unwrap_or_default()
            })
    };
    let own_keys = proptest::collection::btree_map(
        prop_oneof![4 => proptest::sample::select(keys), 1 => text()],
        json_value(),
        0..8,
    )
    .prop_map(move |map: BTreeMap<String, Value>| {
        to_bytes(&Value::Object(map.into_iter().collect()))
    });
    let anything = json_value().prop_map(move |value| to_bytes(&value));
    let cut_off = {
        let bytes = to_bytes(&valid);
        (0..bytes.len().max(1)).prop_map(move |end| bytes[..end.min(bytes.len())].to_vec())
    };
    let raw = proptest::collection::vec(any::<u8>(), 0..256);
    prop_oneof![
        4 => one_field_retyped,
        3 => one_field_changed,
        3 => own_keys,
        2 => anything,
        1 => cut_off,
        1 => raw,
    ]
    .boxed()
}

/// The error code the fleet error body must carry with each refusal.
fn fleet_code(status: u16) -> Option<&'static str> {
    Some(match status {
        400 | 405 => "validation",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "payload_too_large",
        429 => "rate_limited",
        503 => "unavailable",
        _ => return None,
    })
}

/// Every way the answer departs from what is documented for `route`.
fn problems(route: &Route, answer: &Answer) -> Vec<String> {
    let status = answer.status.as_u16();
    let mut problems = Vec::new();
    if !route.allowed.contains(&status) {
        problems.push(format!("status {status} is not documented here"));
    }
    if answer.request_id.is_none() {
        problems.push("no x-request-id".to_string());
    }
    if !answer.content_type.starts_with("application/json") {
        problems.push(format!("content type {:?}", answer.content_type));
    }
    let body = match &answer.body {
        Ok(body) => body,
        Err(err) => {
            problems.push(err.clone());
            return problems;
        }
    };
    if route.path.starts_with("/api/users") {
        if body["valid"] != Value::Null || !body["items"][0]["message"].is_string() {
            problems.push("not the role API's envelope".to_string());
        }
    } else if !answer.status.is_success() {
        match fleet_code(status) {
            Some(code) if body["error"] == code => {}
            _ => problems.push(format!("error code {} for {status}", body["error"])),
        }
        if body["message"].as_str().is_none_or(str::is_empty) {
            problems.push("no message".to_string());
        }
    }
    problems
}

async fn generated_bodies_get_documented_answers(s: &TestServer) {
    let vehicle = s.create_vehicle("Fuzz Van", "FZ-1").await;
    let other_vehicle = s.create_vehicle("Fuzz Spare", "FZ-2").await;
    let technician = s.create_technician("Fuzz Tech").await;
    let other_technician = s.create_technician("Fuzz Other").await;
    let reply = s.assign(vehicle, technician).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let assignment = reply.body["assignment"]["id"].as_i64().expect("an id");
    let reply = s
        .post("/api/organizations", json!({"name": "Fuzz Depot"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let organization = reply.body["organization"]["id"]
        .as_str()
        .expect("an organization id")
        .to_string();
    let role = json!({"role": "employee", "userId": technician.to_string(),
                      "organizationId": organization, "validFrom": "2030-01-01",
                      "validTo": "2030-12-31"});
    let reply = s.post("/api/users/assignment", role.clone()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    let routes = [
        Route {
            method: Method::POST,
            path: "/api/auth/login".into(),
            valid: json!({"email": common::ADMIN_EMAIL, "password": "not the password"}),
            allowed: &[200, 400, 401, 413, 429, 503],
            signed_in: false,
        },
        Route {
            method: Method::POST,
            path: "/api/admin/vehicles".into(),
            valid: json!({"name": "Van", "licensePlate": "FZ-3", "make": "Ford", "model": "Transit", "year": 2021}),
            allowed: &[201, 400, 409, 413],
            signed_in: true,
        },
        Route {
            method: Method::PATCH,
            path: format!("/api/admin/vehicles/{other_vehicle}"),
            valid: json!({"name": "Van", "licensePlate": "FZ-4", "make": "Ford", "model": null, "year": 2020}),
            allowed: &[200, 400, 404, 409, 413],
            signed_in: true,
        },
        Route {
            method: Method::POST,
            path: "/api/admin/users".into(),
            valid: json!({"name": "Zed", "email": "zed@depot.example", "password": "password-123", "role": "technician"}),
            allowed: &[201, 400, 409, 413, 503],
            signed_in: true,
        },
        Route {
            method: Method::PATCH,
            path: format!("/api/admin/users/{other_technician}"),
            valid: json!({"name": "Zed", "email": "zed2@depot.example", "role": "technician"}),
            allowed: &[200, 400, 404, 409, 413, 503],
            signed_in: true,
        },
        Route {
            method: Method::POST,
            path: "/api/admin/assignments".into(),
            valid: json!({"vehicleId": other_vehicle, "technicianId": other_technician, "returnConflicting": false}),
            allowed: &[201, 400, 409, 413],
            signed_in: true,
        },
        Route {
            method: Method::PATCH,
            path: format!("/api/admin/assignments/{assignment}/return"),
            // Return readings (API.md section 8); a body this route does not read yet.
            valid: json!({"odometerKm": 123_456, "note": "brake pads worn"}),
            allowed: &[200, 400, 404, 413],
            signed_in: true,
        },
        Route {
            method: Method::POST,
            path: "/api/organizations".into(),
            valid: json!({"name": "Depot", "parentId": organization}),
            allowed: &[201, 400, 413],
            signed_in: true,
        },
        Route {
            method: Method::POST,
            path: "/api/users/assignment".into(),
            valid: json!({"role": "approver", "roles": null, "relId": null, "userId": other_technician.to_string(),
                          "organizationId": organization, "validFrom": "2031-01-01", "validTo": "2031-12-31"}),
            allowed: &[200, 400, 403, 404, 409, 413],
            signed_in: true,
        },
        Route {
            method: Method::POST,
            path: "/api/users/assignment/resolve".into(),
            valid: json!({"request": role, "resolution": []}),
            allowed: &[200, 400, 403, 404, 409, 413],
            signed_in: true,
        },
    ];

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    );
    let bearer = format!("Bearer {}", s.admin_token);
    let mut failures = Vec::new();
    let mut sent = 0;
    let mut by_status: BTreeMap<(String, u16), usize> = BTreeMap::new();
    for route in &routes {
        let strategy = bodies(route);
        for _ in 0..BODIES_PER_ROUTE {
            let body = strategy
                .new_tree(&mut runner)
                .expect("a generated body")
                .current();
            let authorization = route.signed_in.then_some(bearer.as_bytes());
            let answer = s
                .send_raw(
                    route.method.clone(),
                    &route.path,
                    authorization,
                    Some(&body),
                )
                .await;
            sent += 1;
            let label = || {
                format!(
                    "{} {} with {}",
                    route.method,
                    route.path,
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )
            };
            match answer {
                Ok(answer) => {
                    *by_status
                        .entry((route.path.clone(), answer.status.as_u16()))
                        .or_default() += 1;
                    let found = problems(route, &answer);
                    if !found.is_empty() {
                        failures.push(format!(
                            "{}: {}; answer: {}",
                            label(),
                            found.join("; "),
                            &answer.text[..answer.text.len().min(200)]
                        ));
                    }
                }
                Err(err) => failures.push(format!("{}: {err}", label())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} answers were not documented on {:?}:\n  {}",
        failures.len(),
        s.kind,
        failures.join("\n  ")
    );
    assert_eq!(sent, routes.len() * BODIES_PER_ROUTE);
    // The bodies reached the handlers: every route refused some with 400 and accepted some.
    for route in &routes {
        let count = |status: u16| {
            by_status
                .get(&(route.path.clone(), status))
                .copied()
                .unwrap_or(0)
        };
        assert!(
            count(400) > 0 || route.path.ends_with("/return"),
            "{}: no 400 among {by_status:?}",
            route.path
        );
    }
    // The server still answers as before.
    assert_eq!(s.get("/api/admin/dashboard").await.status, StatusCode::OK);
}

on_both_databases!(generated_bodies_get_documented_answers);
