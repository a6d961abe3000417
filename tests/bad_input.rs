//! Section 5 of API.md: bad input on every endpoint gets its documented status and error
//! code, as JSON with a message and an `x-request-id`, and never changes anything.
//!
//! One table of requests; every row is sent and checked, all mismatches are collected and
//! reported together, so one run shows every problem.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Answer, TestServer, JWT_SECRET};
use fleetdesk::server::auth::TokenKeys;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The body limit of API.md section 5 (64 KiB).
const LIMIT: usize = 64 * 1024;

/// Who sends the request.
#[derive(Clone, Debug)]
enum Auth {
    None,
    Admin,
    Technician,
    /// A read-only `viewer` (API.md §8).
    Viewer,
    /// The whole `Authorization` header value, as raw bytes.
    Header(Vec<u8>),
    /// An `X-API-Key` header, and optionally an `Authorization` header too.
    ApiKey(Vec<u8>, Option<Vec<u8>>),
}

fn header(value: impl Into<Vec<u8>>) -> Auth {
    Auth::Header(value.into())
}

/// One row of the table.
struct Case {
    name: String,
    method: Method,
    path: String,
    auth: Auth,
    /// `None`: no body and no content type at all.
    body: Option<Vec<u8>>,
    status: StatusCode,
    /// The `error` code of an error answer; `None` for a success.
    code: Option<&'static str>,
    /// For successes: a JSON pointer into the answer and the string it must hold verbatim.
    echo: Option<(&'static str, String)>,
    /// For refusals: the field the message must name.
    field: Option<&'static str>,
}

impl Case {
    fn new(name: impl Into<String>, method: Method, path: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            method,
            path: path.into(),
            auth: Auth::Admin,
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: Some("validation"),
            echo: None,
            field: None,
        }
    }

    /// A 400 whose message starts with the field's name.
    fn names(mut self, field: &'static str) -> Case {
        self.field = Some(field);
        self
    }

    fn auth(mut self, auth: Auth) -> Case {
        self.auth = auth;
        self
    }

    fn json(mut self, body: Value) -> Case {
        self.body = Some(serde_json::to_vec(&body).expect("serialisable"));
        self
    }

    fn bytes(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = Some(body.into());
        self
    }

    fn fails(mut self, status: StatusCode, code: &'static str) -> Case {
        self.status = status;
        self.code = Some(code);
        self
    }

    fn succeeds(mut self, status: StatusCode) -> Case {
        self.status = status;
        self.code = None;
        self
    }

    fn echoes(mut self, pointer: &'static str, value: impl Into<String>) -> Case {
        self.echo = Some((pointer, value.into()));
        self
    }
}

fn get(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::GET, path)
}

fn post(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::POST, path)
}

fn patch(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::PATCH, path)
}

fn delete(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::DELETE, path)
}

async fn send(
    s: &TestServer,
    technician_token: &str,
    viewer_token: &str,
    case: &Case,
) -> Result<Answer, String> {
    let authorization = match &case.auth {
        Auth::None => None,
        Auth::Admin => Some(format!("Bearer {}", s.admin_token).into_bytes()),
        Auth::Technician => Some(format!("Bearer {technician_token}").into_bytes()),
        Auth::Viewer => Some(format!("Bearer {viewer_token}").into_bytes()),
        Auth::Header(value) => Some(value.clone()),
        Auth::ApiKey(key, authorization) => {
            return s
                .send_raw_with(
                    case.method.clone(),
                    &case.path,
                    authorization.as_deref(),
                    &[("x-api-key", key.as_slice())],
                    case.body.as_deref(),
                )
                .await
        }
    };
    s.send_raw(
        case.method.clone(),
        &case.path,
        authorization.as_deref(),
        case.body.as_deref(),
    )
    .await
}

const TECHNICIAN_EMAIL: &str = "tess.tech@depot.example";
const VIEWER_EMAIL: &str = "vic.viewer@depot.example";
/// The note of the fixture's returned assignment, which a second return must keep.
const FIRST_RETURN_NOTE: &str = "Brake pads worn, \"urgent\" 🚐";
const PASSWORD: &str = "password-123";

/// Every problem with one answer, empty when it is as the row says.
fn check(case: &Case, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    if answer.status != case.status {
        problems.push(format!(
            "status {} instead of {}",
            answer.status.as_u16(),
            case.status.as_u16()
        ));
    }
    if answer.request_id.as_deref().is_none_or(str::is_empty) {
        problems.push("no x-request-id header".to_string());
    }
    let body = match &answer.body {
        Ok(body) => body,
        Err(err) => {
            problems.push(err.clone());
            return problems;
        }
    };
    if answer.status != StatusCode::NO_CONTENT
        && !answer.content_type.starts_with("application/json")
    {
        problems.push(format!("content type {:?}", answer.content_type));
    }
    match case.code {
        Some(code) => {
            if body["error"] != code {
                problems.push(format!("error code {} instead of {code:?}", body["error"]));
            }
            if body["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
                problems.push("no non-empty `message`".to_string());
            }
            if let Some(field) = case.field {
                let message = body["message"].as_str().unwrap_or("");
                if !message.starts_with(&format!("{field} ")) {
                    problems.push(format!("the message does not name `{field}`"));
                }
            }
        }
        None => {
            if body.get("error").is_some() {
                problems.push("a success carries `error`".to_string());
            }
            if let Some((pointer, expected)) = &case.echo {
                if body.pointer(pointer).and_then(Value::as_str) != Some(expected.as_str()) {
                    problems.push(format!(
                        "{pointer} is {} instead of {expected:?} verbatim",
                        body.pointer(pointer).unwrap_or(&Value::Null)
                    ));
                }
            }
        }
    }
    problems
}

/// Fixtures the table refers to.
struct Fixture {
    /// A vehicle with an active assignment.
    busy_vehicle: i64,
    busy_plate: String,
    /// A vehicle with nothing.
    free_vehicle: i64,
    /// The technician who holds `busy_vehicle` (signs in as `Auth::Technician`).
    technician: i64,
    /// A technician without an assignment.
    free_technician: i64,
    admin: i64,
    assignment: i64,
    /// API keys: the admin's own, one revoked, one expired, one of an admin since demoted,
    /// and the id of another user's key.
    admin_key: String,
    revoked_key: String,
    expired_key: String,
    demoted_key: String,
    others_key_id: i64,
    /// Returned with an odometer reading of 5,000 km and [`FIRST_RETURN_NOTE`].
    returned_assignment: i64,
    /// Active again on the vehicle that read 5,000 km.
    read_assignment: i64,
}

/// Makes an API key as `token`: (id, secret).
async fn api_key(s: &TestServer, token: &str, name: &str) -> (i64, String) {
    let reply = s
        .call(
            Method::POST,
            "/api/auth/keys",
            Some(token),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    (
        reply.body["key"]["id"].as_i64().expect("a key id"),
        reply.body["secret"].as_str().expect("a secret").to_string(),
    )
}

async fn fixture(s: &TestServer) -> Fixture {
    let busy_plate = "HH-BI 100".to_string();
    let busy_vehicle = s.create_vehicle("Busy Van", &busy_plate).await;
    let free_vehicle = s.create_vehicle("Free Van", "HH-BI 200").await;
    let technician = s
        .create_user("Tess Tech", TECHNICIAN_EMAIL, "technician")
        .await;
    let free_technician = s.create_technician("Fred Free").await;
    let me = s.get("/api/auth/me").await;
    let admin = me.body["user"]["id"].as_i64().expect("the admin's id");
    let reply = s.assign(busy_vehicle, technician).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let assignment = reply.body["assignment"]["id"]
        .as_i64()
        .expect("an assignment id");
    let admin_token = s.admin_token.clone();
    let (_, admin_key) = api_key(s, &admin_token, "admin's").await;
    let (revoked_id, revoked_key) = api_key(s, &admin_token, "revoked").await;
    let reply = s
        .admin(
            Method::DELETE,
            &format!("/api/auth/keys/{revoked_id}"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let (expired_id, expired_key) = api_key(s, &admin_token, "expired").await;
    // Expired long ago: written straight into the database rather than waited for.
    {
        use sqlx::Connection;
        let mut db = sqlx::AnyConnection::connect(&s.database.url)
            .await
            .expect("the database");
        sqlx::query("UPDATE api_keys SET expires_at = 1000 WHERE id = $1")
            .bind(expired_id)
            .execute(&mut db)
            .await
            .expect("an update");
        db.close().await.expect("closed");
    }
    let demoted = s
        .create_user("Dora Demoted", "dora@depot.example", "admin")
        .await;
    let dora = s.login("dora@depot.example", PASSWORD).await;
    let (others_key_id, demoted_key) = api_key(s, &dora, "dora's").await;
    s.set_role(demoted, "technician").await;
    s.create_user("Vic Viewer", VIEWER_EMAIL, "viewer").await;
    let read_vehicle = s.create_vehicle("Read Van", "HH-BI 300").await;
    let reader = s.create_technician("Rita Reader").await;
    let reply = s.assign(read_vehicle, reader).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let returned_assignment = reply.body["assignment"]["id"].as_i64().expect("an id");
    let reply = s
        .patch(
            &format!("/api/admin/assignments/{returned_assignment}/return"),
            Some(json!({"odometerKm": 5000, "note": FIRST_RETURN_NOTE})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = s.assign(read_vehicle, reader).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let read_assignment = reply.body["assignment"]["id"].as_i64().expect("an id");
    Fixture {
        returned_assignment,
        read_assignment,
        busy_vehicle,
        busy_plate,
        free_vehicle,
        technician,
        free_technician,
        admin,
        assignment,
        admin_key,
        revoked_key,
        expired_key,
        demoted_key,
        others_key_id,
    }
}

/// A valid vehicle body padded with spaces to exactly `size` bytes.
fn padded_vehicle(name: &str, plate: &str, size: usize) -> Vec<u8> {
    let mut body =
        serde_json::to_vec(&json!({"name": name, "licensePlate": plate})).expect("serialisable");
    assert!(body.len() <= size, "the padding target is too small");
    body.resize(size, b' ');
    body
}

/// `n` characters of unicode text, none of them ASCII (and some outside the BMP).
fn unicode_name(n: usize) -> String {
    "Ünï漢🚐ß".chars().cycle().take(n).collect()
}

fn tokens() -> BTreeMap<&'static str, String> {
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), Duration::from_secs(60));
    let now = chrono::Utc::now().timestamp();
    let secret = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    let hs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let sign = |claims: Value| {
        jsonwebtoken::encode(&hs256, &claims, &secret).expect("a token with custom claims")
    };
    let mut tokens = BTreeMap::new();
    tokens.insert(
        "expired",
        keys.issue_with_times(1, now - 7200, now - 3600)
            .expect("an expired token"),
    );
    tokens.insert(
        "forged",
        TokenKeys::new(
            b"another-secret-another-secret-0123456789",
            Duration::from_secs(60),
        )
        .issue_with_times(1, now, now + 3600)
        .expect("a wrongly signed token"),
    );
    tokens.insert(
        "unknown user",
        keys.issue_with_times(999_999, now, now + 3600)
            .expect("a token for no user"),
    );
    tokens.insert(
        "sub not a number",
        sign(json!({"sub": "abc", "iat": now, "exp": now + 3600})),
    );
    tokens.insert("no exp", sign(json!({"sub": "1", "iat": now})));
    // {"alg":"none","typ":"JWT"}.{"sub":"1","iat":1700000000,"exp":4102444800}. (unsigned)
    tokens.insert(
        "alg none",
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\
         eyJzdWIiOiIxIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDB9."
            .to_string(),
    );
    tokens
}

fn table(f: &Fixture, admin_token: &str) -> Vec<Case> {
    use StatusCode as S;
    let vehicles = "/api/admin/vehicles";
    let users = "/api/admin/users";
    let assignments = "/api/admin/assignments";
    let login = "/api/auth/login";
    let busy = format!("{vehicles}/{}", f.busy_vehicle);
    let free = format!("{vehicles}/{}", f.free_vehicle);
    let free_user = format!("{users}/{}", f.free_technician);
    let assignment = format!("{assignments}/{}", f.assignment);
    let reading_return = format!("{assignments}/{}/return", f.read_assignment);
    let returned_return = format!("{assignments}/{}/return", f.returned_assignment);
    let (v, t) = (f.free_vehicle, f.free_technician);
    let long_email_domain = "@depot.example";
    let email_of = |n: usize| {
        format!(
            "{}{long_email_domain}",
            "e".repeat(n - long_email_domain.len())
        )
    };
    let tokens = tokens();
    let bearer = |what: &str| header(format!("Bearer {}", tokens[what]));

    let sql_names = [
        "Robert'); DROP TABLE vehicles;--",
        "' OR '1'='1",
        "1; DELETE FROM users WHERE 1=1; --",
        "\"; DROP TABLE assignments; SELECT \"",
    ];
    let quote_emoji = "O'Brien's \"Big\" Van 🚐🔧 \\ back\\slash `tick` 50%_";

    let mut cases = vec![
        // --- Malformed JSON (any body endpoint) -------------------------------------------
        post("empty body", assignments).bytes(Vec::new()),
        post("whitespace-only body", assignments).bytes(b" \n\t ".to_vec()),
        post("no body at all", assignments),
        post("truncated JSON", assignments).bytes(&b"{\"vehicleId\": 1, \"techni"[..]),
        post("trailing garbage", assignments)
            .bytes(format!("{{\"vehicleId\": {v}, \"technicianId\": {t}}} garbage")),
        post("two objects", assignments)
            .bytes(format!("{{\"vehicleId\": {v}, \"technicianId\": {t}}}{{}}")),
        post("single quotes", assignments).bytes(format!("{{'vehicleId': {v}}}")),
        post("byte-order mark", assignments)
            .bytes([&b"\xef\xbb\xbf"[..], format!("{{\"vehicleId\": {v}, \"technicianId\": {t}}}").as_bytes()].concat()),
        post("invalid UTF-8 in a string", vehicles)
            .bytes(&b"{\"name\": \"Van \xff\xfe\", \"licensePlate\": \"UT-F 8\"}"[..]),
        post("lone surrogate escape", vehicles)
            .bytes(&b"{\"name\": \"Van \\ud800\", \"licensePlate\": \"SU-R 1\"}"[..]),
        post("nesting 10000 deep", vehicles)
            .bytes(format!("{{\"name\": {}{}, \"licensePlate\": \"DE-EP 1\"}}", "[".repeat(10_000), "]".repeat(10_000))),
        post("JSON array instead of object", assignments).json(json!([v, t])),
        post("empty JSON array", assignments).json(json!([])),
        post("array for a vehicle", vehicles).json(json!(["Array Van", "AR-RAY 1"])),
        patch("array as a patch", &free).json(json!([])),
        post("JSON string instead of object", assignments).json(json!("vehicleId")),
        post("JSON null instead of object", assignments).json(Value::Null),
        post("JSON number instead of object", assignments).json(json!(42)),
        // --- Assignment ids: types, missing, null, huge, zero, negative --------------------
        post("string vehicleId", assignments).json(json!({"vehicleId": v.to_string(), "technicianId": t})),
        post("bool technicianId", assignments).json(json!({"vehicleId": v, "technicianId": true})),
        post("array vehicleId", assignments).json(json!({"vehicleId": [v], "technicianId": t})),
        post("object technicianId", assignments).json(json!({"vehicleId": v, "technicianId": {"id": t}})),
        post("fractional vehicleId", assignments).json(json!({"vehicleId": 1.5, "technicianId": t})),
        post("missing vehicleId", assignments).json(json!({"technicianId": t})),
        post("missing technicianId", assignments).json(json!({"vehicleId": v})),
        post("empty object", assignments).json(json!({})),
        post("null vehicleId", assignments).json(json!({"vehicleId": null, "technicianId": t})),
        post("null technicianId", assignments).json(json!({"vehicleId": v, "technicianId": null})),
        post("vehicleId 1e30", assignments).bytes(format!("{{\"vehicleId\": 1e30, \"technicianId\": {t}}}")),
        post("vehicleId 99999999999999999999", assignments)
            .bytes(format!("{{\"vehicleId\": 99999999999999999999, \"technicianId\": {t}}}")),
        post("technicianId i64::MAX+1", assignments)
            .bytes(format!("{{\"vehicleId\": {v}, \"technicianId\": 9223372036854775808}}")),
        post("technicianId i64::MIN-1", assignments)
            .bytes(format!("{{\"vehicleId\": {v}, \"technicianId\": -9223372036854775809}}")),
        post("vehicleId 0", assignments).json(json!({"vehicleId": 0, "technicianId": t})),
        post("vehicleId -1", assignments).json(json!({"vehicleId": -1, "technicianId": t})),
        post("technicianId i64::MIN", assignments).json(json!({"vehicleId": v, "technicianId": i64::MIN})),
        post("vehicleId i64::MAX (no such vehicle)", assignments)
            .json(json!({"vehicleId": i64::MAX, "technicianId": t})),
        post("technicianId names no user", assignments).json(json!({"vehicleId": v, "technicianId": 999_999})),
        post("technicianId is an admin", assignments).json(json!({"vehicleId": v, "technicianId": f.admin})),
        post("duplicate vehicleId key", assignments)
            .bytes(format!("{{\"vehicleId\": {v}, \"vehicleId\": {v}, \"technicianId\": {t}}}")),
        post("returnConflicting as a string", assignments)
            .json(json!({"vehicleId": v, "technicianId": t, "returnConflicting": "yes"})),
        post("busy vehicle", assignments)
            .json(json!({"vehicleId": f.busy_vehicle, "technicianId": t}))
            .fails(S::CONFLICT, "conflict"),
        // --- Vehicles: fields ----------------------------------------------------------------
        post("vehicle name missing", vehicles).json(json!({"licensePlate": "MI-SS 1"})),
        post("vehicle plate missing", vehicles).json(json!({"name": "No Plate"})),
        post("vehicle name null", vehicles).json(json!({"name": null, "licensePlate": "NU-LL 1"})),
        post("vehicle name a number", vehicles).json(json!({"name": 12, "licensePlate": "NU-M 1"})),
        post("vehicle name an array", vehicles).json(json!({"name": ["Van"], "licensePlate": "AR-R 1"})),
        post("vehicle name an object", vehicles).json(json!({"name": {"x": 1}, "licensePlate": "OB-J 1"})),
        post("vehicle name blank", vehicles).json(json!({"name": "   ", "licensePlate": "BL-ANK 1"})),
        post("vehicle name with NUL", vehicles).json(json!({"name": "Van\u{0}12", "licensePlate": "NU-L 2"})),
        post("vehicle name 201 ASCII chars", vehicles).json(json!({"name": "x".repeat(201), "licensePlate": "LO-NG 1"})),
        post("vehicle name 201 unicode chars", vehicles)
            .json(json!({"name": unicode_name(201), "licensePlate": "LO-NG 2"})),
        post("vehicle plate 33 chars", vehicles).json(json!({"name": "Long Plate", "licensePlate": "P".repeat(33)})),
        post("vehicle plate only dashes", vehicles).json(json!({"name": "Dash Van", "licensePlate": "- - -"})),
        post("vehicle make a number", vehicles).json(json!({"name": "Make Van", "licensePlate": "MA-KE 1", "make": 5})),
        post("vehicle model 101 chars", vehicles)
            .json(json!({"name": "Model Van", "licensePlate": "MO-DEL 1", "model": "m".repeat(101)})),
        post("vehicle year a string", vehicles)
            .json(json!({"name": "Year Van", "licensePlate": "YE-AR 1", "year": "2021"})),
        post("vehicle year a bool", vehicles)
            .json(json!({"name": "Year Van", "licensePlate": "YE-AR 2", "year": true})),
        post("vehicle year 1e30", vehicles)
            .bytes(&b"{\"name\": \"Year Van\", \"licensePlate\": \"YE-AR 3\", \"year\": 1e30}"[..]),
        post("vehicle year 99999999999999999999", vehicles)
            .bytes(&b"{\"name\": \"Year Van\", \"licensePlate\": \"YE-AR 4\", \"year\": 99999999999999999999}"[..]),
        post("vehicle year 3000", vehicles)
            .json(json!({"name": "Year Van", "licensePlate": "YE-AR 5", "year": 3000})),
        post("vehicle plate taken (other spelling)", vehicles)
            .json(json!({"name": "Twin Van", "licensePlate": f.busy_plate.to_lowercase().replace(' ', "")}))
            .fails(S::CONFLICT, "conflict"),
        // --- Text that shows nothing, or hides something at its ends -----------------------
        post("vehicle name a zero-width space", vehicles)
            .json(json!({"name": "\u{200B}", "licensePlate": "ZW-1"}))
            .names("name"),
        post("vehicle name only format characters", vehicles)
            .json(json!({"name": "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}", "licensePlate": "ZW-2"}))
            .names("name"),
        post("vehicle name only no-break and ideographic spaces", vehicles)
            .json(json!({"name": "\u{00A0}\u{3000}\u{2007}", "licensePlate": "ZW-3"}))
            .names("name"),
        post("vehicle name a Hangul filler and a Braille blank", vehicles)
            .json(json!({"name": "\u{3164}\u{2800}", "licensePlate": "ZW-4"}))
            .names("name"),
        post("vehicle name a bell", vehicles)
            .json(json!({"name": "\u{7}", "licensePlate": "ZW-5"}))
            .names("name"),
        post("vehicle name a next-line control", vehicles)
            .json(json!({"name": "Van\u{85}12", "licensePlate": "ZW-6"}))
            .names("name"),
        post("vehicle name with a leading space", vehicles)
            .json(json!({"name": " Van 12", "licensePlate": "ZW-7"}))
            .names("name"),
        post("vehicle name with a trailing zero-width space", vehicles)
            .json(json!({"name": "Van 12\u{200B}", "licensePlate": "ZW-8"}))
            .names("name"),
        post("vehicle name with a right-to-left override", vehicles)
            .json(json!({"name": "Van \u{202E}21", "licensePlate": "ZW-9"}))
            .names("name"),
        post("vehicle plate a zero-width space", vehicles)
            .json(json!({"name": "Plate Van", "licensePlate": "\u{200B}"}))
            .names("licensePlate"),
        post("vehicle plate hiding a word joiner", vehicles)
            .json(json!({"name": "Plate Van", "licensePlate": format!("{}\u{2060}", &f.busy_plate[..2])}))
            .names("licensePlate"),
        post("vehicle plate with a trailing space", vehicles)
            .json(json!({"name": "Plate Van", "licensePlate": "ZW-10 "}))
            .names("licensePlate"),
        post("vehicle make a word joiner", vehicles)
            .json(json!({"name": "Make Van", "licensePlate": "ZW-11", "make": "\u{2060}"}))
            .names("make"),
        post("vehicle model a byte-order mark", vehicles)
            .json(json!({"name": "Model Van", "licensePlate": "ZW-12", "model": "\u{FEFF}"}))
            .names("model"),
        patch("patch name a zero-width joiner", &free).json(json!({"name": "\u{200D}"})).names("name"),
        patch("patch plate spaces around a zero-width space", &free)
            .json(json!({"licensePlate": " \u{200B} "}))
            .names("licensePlate"),
        post("user name zero-width characters", users)
            .json(json!({"name": "\u{200B}\u{200D}", "email": "zw@depot.example", "password": PASSWORD, "role": "technician"}))
            .names("name"),
        post("user name with a trailing tab", users)
            .json(json!({"name": "Zoe\t", "email": "zw@depot.example", "password": PASSWORD, "role": "technician"}))
            .names("name"),
        post("user email a zero-width space", users)
            .json(json!({"name": "Zoe", "email": "\u{200B}", "password": PASSWORD, "role": "technician"}))
            .names("email"),
        post("user email hiding a zero-width space", users)
            .json(json!({"name": "Zoe", "email": "zoe\u{200B}@depot.example", "password": PASSWORD, "role": "technician"}))
            .names("email"),
        post("user email with a leading space", users)
            .json(json!({"name": "Zoe", "email": " zoe@depot.example", "password": PASSWORD, "role": "technician"}))
            .names("email"),
        patch("user patch name a byte-order mark", &free_user).json(json!({"name": "\u{FEFF}"})).names("name"),
        patch("user patch email only spaces", &free_user).json(json!({"email": "   "})).names("email"),
        // A joiner inside is part of the text (an emoji sequence); it is kept.
        post("vehicle name with an emoji sequence", vehicles)
            .json(json!({"name": "Mechanic 👨\u{200D}🔧 Van", "licensePlate": "ZWJ-1"}))
            .succeeds(S::CREATED)
            .echoes("/vehicle/name", "Mechanic 👨\u{200D}🔧 Van"),
        // --- Vehicle strings that must be stored verbatim -----------------------------------
        post("vehicle quote and emoji name", vehicles)
            .json(json!({"name": quote_emoji, "licensePlate": "QU-OTE 1", "make": "Müller & Söhne"}))
            .succeeds(S::CREATED)
            .echoes("/vehicle/name", quote_emoji),
        post("vehicle 200 unicode chars name", vehicles)
            .json(json!({"name": unicode_name(200), "licensePlate": "UNI-200"}))
            .succeeds(S::CREATED)
            .echoes("/vehicle/name", unicode_name(200)),
        post("vehicle SQL in the plate", vehicles)
            .json(json!({"name": "Plate Injection", "licensePlate": "X' OR 1=1--"}))
            .succeeds(S::CREATED)
            .echoes("/vehicle/licensePlate", "X' OR 1=1--"),
        // --- Body size --------------------------------------------------------------------
        post("100 KiB body", vehicles)
            .bytes(padded_vehicle("Huge Van", "HU-GE 1", 100 * 1024))
            .fails(S::PAYLOAD_TOO_LARGE, "payload_too_large"),
        post("limit + 1 bytes", vehicles)
            .bytes(padded_vehicle("Over Van", "OV-ER 1", LIMIT + 1))
            .fails(S::PAYLOAD_TOO_LARGE, "payload_too_large"),
        post("100 KiB login without a token", login)
            .auth(Auth::None)
            .bytes(format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(100 * 1024)))
            .fails(S::PAYLOAD_TOO_LARGE, "payload_too_large"),
        post("limit - 1 bytes, valid", vehicles)
            .bytes(padded_vehicle("Under Van", "UN-DER 1", LIMIT - 1))
            .succeeds(S::CREATED)
            .echoes("/vehicle/name", "Under Van"),
        post("exactly the limit, valid", vehicles)
            .bytes(padded_vehicle("Limit Van", "LI-MIT 1", LIMIT))
            .succeeds(S::CREATED)
            .echoes("/vehicle/name", "Limit Van"),
        // --- Vehicle PATCH / DELETE and path ids --------------------------------------------
        patch("patch name 201 chars", &free).json(json!({"name": "y".repeat(201)})),
        patch("patch name blank", &free).json(json!({"name": ""})),
        patch("patch name null", &free).json(json!({"name": null})),
        patch("patch licence plate null", &free).json(json!({"licensePlate": null})),
        patch("patch year a string", &free).json(json!({"year": "2020"})),
        patch("patch year i64::MAX+1", &free).bytes(&b"{\"year\": 9223372036854775808}"[..]),
        patch("patch make an object", &free).json(json!({"make": {"name": "Ford"}})),
        patch("patch plate taken", &free)
            .json(json!({"licensePlate": f.busy_plate}))
            .fails(S::CONFLICT, "conflict"),
        patch("patch truncated", &free).bytes(&b"{\"name\": \"Half"[..]),
        patch("patch unknown vehicle", format!("{vehicles}/999999"))
            .json(json!({"name": "Ghost"}))
            .fails(S::NOT_FOUND, "not_found"),
        get("path id 0", format!("{vehicles}/0")),
        get("path id -1", format!("{vehicles}/-1")),
        get("path id abc", format!("{vehicles}/abc")),
        get("path id 1.5", format!("{vehicles}/1.5")),
        get("path id 1e3", format!("{vehicles}/1e3")),
        get("path id i64::MAX+1", format!("{vehicles}/9223372036854775808")),
        get("path id SQL", format!("{vehicles}/1%20OR%201=1")),
        get("path id percent-encoded NUL", format!("{vehicles}/1%00")),
        get("path id unknown", format!("{vehicles}/999999")).fails(S::NOT_FOUND, "not_found"),
        patch("patch path id 0", format!("{vehicles}/0")).json(json!({"name": "Zero"})),
        delete("delete path id -5", format!("{vehicles}/-5")),
        delete("delete path id abc", format!("{vehicles}/abc")),
        delete("delete unknown vehicle", format!("{vehicles}/999999")).fails(S::NOT_FOUND, "not_found"),
        delete("delete vehicle with history", &busy).fails(S::CONFLICT, "conflict"),
        get("assignment path id 0", format!("{assignments}/0")),
        get("assignment path id abc", format!("{assignments}/abc")),
        get("assignment unknown", format!("{assignments}/999999")).fails(S::NOT_FOUND, "not_found"),
        patch("return path id -1", format!("{assignments}/-1/return")),
        patch("return path id abc", format!("{assignments}/abc/return")),
        patch("return unknown", format!("{assignments}/999999/return")).fails(S::NOT_FOUND, "not_found"),
        patch("user path id 0", format!("{users}/0")).json(json!({"name": "Zero"})),
        patch("user path id abc", format!("{users}/abc")).json(json!({"name": "Abc"})),
        patch("user unknown", format!("{users}/999999"))
            .json(json!({"name": "Ghost"}))
            .fails(S::NOT_FOUND, "not_found"),
        // --- Depot operations (API.md §8) -------------------------------------------------
        patch("service status unknown", &free).json(json!({"serviceStatus": "broken"})),
        patch("service status null", &free).json(json!({"serviceStatus": null})),
        patch("service status a number", &free).json(json!({"serviceStatus": 2})),
        patch("service status in words", &free).json(json!({"serviceStatus": "out of service"})),
        patch("status note 2,001 chars", &free)
            .json(json!({"serviceStatus": "in_shop", "statusNote": "n".repeat(2001)}))
            .names("statusNote"),
        patch("status note with a newline", &free)
            .json(json!({"statusNote": "two\nlines"}))
            .names("statusNote"),
        patch("status note with a NUL", &free)
            .json(json!({"statusNote": "nul\u{0}"}))
            .names("statusNote"),
        patch("status note empty", &free)
            .json(json!({"statusNote": ""}))
            .names("statusNote"),
        patch("status note only a zero-width space", &free)
            .json(json!({"statusNote": "\u{200B}"}))
            .names("statusNote"),
        patch("status note padded", &free)
            .json(json!({"statusNote": " gearbox"}))
            .names("statusNote"),
        patch("status note a number", &free).json(json!({"statusNote": 7})),
        patch("return active a string", &free)
            .json(json!({"serviceStatus": "out_of_service", "returnActive": "yes"})),
        patch("out of service while assigned", &busy)
            .json(json!({"serviceStatus": "out_of_service"}))
            .fails(S::CONFLICT, "conflict"),
        patch("in shop while assigned", &busy)
            .json(json!({"serviceStatus": "in_shop", "statusNote": "Brakes"}))
            .fails(S::CONFLICT, "conflict"),
        patch("odometer negative", &reading_return)
            .json(json!({"odometerKm": -1}))
            .names("odometerKm"),
        patch("odometer not an integer", &reading_return).json(json!({"odometerKm": 5100.5})),
        patch("odometer a string", &reading_return).json(json!({"odometerKm": "5100"})),
        patch("odometer above 10,000,000", &reading_return)
            .json(json!({"odometerKm": 10_000_001}))
            .names("odometerKm"),
        patch("odometer i64::MAX+1", &reading_return)
            .bytes(&b"{\"odometerKm\": 9223372036854775808}"[..]),
        patch("odometer below the last reading", &reading_return)
            .json(json!({"odometerKm": 4999}))
            .names("odometerKm"),
        patch("return note 2,001 chars", &reading_return)
            .json(json!({"note": "n".repeat(2001)}))
            .names("note"),
        patch("return note with a tab", &reading_return)
            .json(json!({"note": "tab\there"}))
            .names("note"),
        patch("return note empty", &reading_return)
            .json(json!({"note": ""}))
            .names("note"),
        patch("return body an array", &reading_return).json(json!([5100])),
        patch("return body unknown field", &reading_return).json(json!({"odometer": 5100})),
        patch("return body truncated", &reading_return).bytes(&b"{\"odometerKm\": 51"[..]),
        patch("return again with other readings", &returned_return)
            .json(json!({"odometerKm": 7000, "note": "second"}))
            .succeeds(S::OK)
            .echoes("/assignment/returnNote", FIRST_RETURN_NOTE),
        patch("return again with a reading below", &returned_return)
            .json(json!({"odometerKm": 1}))
            .succeeds(S::OK)
            .echoes("/assignment/returnNote", FIRST_RETURN_NOTE),
        post("viewer creates a vehicle", vehicles)
            .auth(Auth::Viewer)
            .json(json!({"name": "Viewer Van", "licensePlate": "VI-EW 1"}))
            .fails(S::FORBIDDEN, "forbidden"),
        patch("viewer changes a status", &free)
            .auth(Auth::Viewer)
            .json(json!({"serviceStatus": "in_shop"}))
            .fails(S::FORBIDDEN, "forbidden"),
        patch("viewer returns", &reading_return)
            .auth(Auth::Viewer)
            .json(json!({"odometerKm": 6000}))
            .fails(S::FORBIDDEN, "forbidden"),
        post("viewer assigns", assignments)
            .auth(Auth::Viewer)
            .json(json!({"vehicleId": v, "technicianId": t}))
            .fails(S::FORBIDDEN, "forbidden"),
        delete("viewer deletes", &free)
            .auth(Auth::Viewer)
            .fails(S::FORBIDDEN, "forbidden"),
        post("viewer adds a user", users)
            .auth(Auth::Viewer)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": PASSWORD, "role": "admin"}))
            .fails(S::FORBIDDEN, "forbidden"),
        patch("viewer promotes a user", &free_user)
            .auth(Auth::Viewer)
            .json(json!({"role": "admin"}))
            .fails(S::FORBIDDEN, "forbidden"),
        // --- Users --------------------------------------------------------------------------
        post("user role superuser", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": PASSWORD, "role": "superuser"})),
        post("user role Admin (case)", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": PASSWORD, "role": "Admin"})),
        post("user role null", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": PASSWORD, "role": null})),
        post("user role missing", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": PASSWORD})),
        post("user password missing", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "role": "technician"})),
        post("user password a number", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": 12_345_678, "role": "technician"})),
        post("user password too short", users)
            .json(json!({"name": "Sue Per", "email": "sue@depot.example", "password": "short", "role": "technician"})),
        post("user email not an address", users)
            .json(json!({"name": "Sue Per", "email": "sue.depot.example", "password": PASSWORD, "role": "technician"})),
        post("user email 321 chars", users)
            .json(json!({"name": "Sue Per", "email": email_of(321), "password": PASSWORD, "role": "technician"})),
        post("user name 201 chars", users)
            .json(json!({"name": "n".repeat(201), "email": "sue@depot.example", "password": PASSWORD, "role": "technician"})),
        post("user email taken (other case)", users)
            .json(json!({"name": "Tess Again", "email": TECHNICIAN_EMAIL.to_uppercase(), "password": PASSWORD, "role": "technician"}))
            .fails(S::CONFLICT, "conflict"),
        post("user email exactly 320 chars", users)
            .json(json!({"name": "Long Mail", "email": email_of(320), "password": PASSWORD, "role": "technician"}))
            .succeeds(S::CREATED)
            .echoes("/user/email", email_of(320)),
        post("user SQL name", users)
            .json(json!({"name": "x'); DROP TABLE users;--", "email": "sql@depot.example", "password": PASSWORD, "role": "technician"}))
            .succeeds(S::CREATED)
            .echoes("/user/name", "x'); DROP TABLE users;--"),
        patch("user patch role superuser", &free_user).json(json!({"role": "superuser"})),
        patch("user patch email 321 chars", &free_user).json(json!({"email": email_of(321)})),
        patch("user patch name 201 chars", &free_user).json(json!({"name": unicode_name(201)})),
        patch("user patch password too short", &free_user).json(json!({"password": "1234567"})),
        patch("user patch name a bool", &free_user).json(json!({"name": false})),
        // --- Query parameters ---------------------------------------------------------------
        get("status=bogus", format!("{assignments}?status=bogus")),
        get("status=ACTIVE", format!("{assignments}?status=ACTIVE")),
        get("status=SQL", format!("{assignments}?status=active'%20OR%20'1'='1")),
        get("limit=0", format!("{assignments}?limit=0")),
        get("limit=1001", format!("{assignments}?limit=1001")),
        get("limit=abc", format!("{assignments}?limit=abc")),
        get("limit=-1", format!("{assignments}?limit=-1")),
        get("limit=1.5", format!("{assignments}?limit=1.5")),
        get("limit empty", format!("{assignments}?limit=")),
        get("limit huge", format!("{assignments}?limit=99999999999999999999")),
        get("before=-1", format!("{assignments}?limit=10&before=-1")),
        get("before=0", format!("{assignments}?before=0")),
        get("before=abc", format!("{assignments}?before=abc")),
        get("before=unknown id", format!("{assignments}?limit=10&before=999999")),
        // --- Login ----------------------------------------------------------------------------
        post("login empty body", login).auth(Auth::None).bytes(Vec::new()),
        post("login array", login).auth(Auth::None).json(json!(["a@b.c", "pw"])),
        post("login email null", login).auth(Auth::None).json(json!({"email": null, "password": PASSWORD})),
        post("login password a number", login)
            .auth(Auth::None)
            .json(json!({"email": TECHNICIAN_EMAIL, "password": 12_345_678})),
        post("login invalid UTF-8", login)
            .auth(Auth::None)
            .bytes(&b"{\"email\": \"\xc3\x28@x\", \"password\": \"x\"}"[..]),
        post("login SQL e-mail", login)
            .auth(Auth::None)
            .json(json!({"email": "' OR '1'='1' --", "password": "' OR '1'='1' --"}))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        post("login e-mail with NUL", login)
            .auth(Auth::None)
            .json(json!({"email": "tess\u{0}@depot.example", "password": PASSWORD}))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        // --- Tokens ---------------------------------------------------------------------------
        get("no token", vehicles).auth(Auth::None).fails(S::UNAUTHORIZED, "unauthorized"),
        get("garbage token", vehicles).auth(header("Bearer garbage")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("\"Bearer \" with no token", vehicles).auth(header("Bearer ")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("\"Bearer\" alone", vehicles).auth(header("Bearer")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("Basic scheme", vehicles)
            .auth(header("Basic YWRtaW46YWRtaW4="))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("Token scheme with a valid token", vehicles)
            .auth(header(format!("Token {admin_token}")))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("token without a scheme", vehicles)
            .auth(header(admin_token))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("valid token plus garbage", vehicles)
            .auth(header(format!("Bearer {admin_token}.x")))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("non-ASCII header bytes", vehicles)
            .auth(header(&b"Bearer \xff\xfe\xfd"[..]))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("expired token", "/api/auth/me").auth(bearer("expired")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("forged token", vehicles).auth(bearer("forged")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("token for no user", vehicles).auth(bearer("unknown user")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("token sub not a number", vehicles)
            .auth(bearer("sub not a number"))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("token without exp", vehicles).auth(bearer("no exp")).fails(S::UNAUTHORIZED, "unauthorized"),
        get("unsigned alg=none token", vehicles).auth(bearer("alg none")).fails(S::UNAUTHORIZED, "unauthorized"),
        post("no token on a create", vehicles)
            .auth(Auth::None)
            .json(json!({"name": "Anon Van", "licensePlate": "AN-ON 1"}))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        post("expired token on a create", assignments)
            .auth(bearer("expired"))
            .json(json!({"vehicleId": v, "technicianId": t}))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        // --- Unknown endpoints and wrong methods -------------------------------------------
        get("unknown endpoint", "/api/nope").auth(Auth::None).fails(S::NOT_FOUND, "not_found"),
        get("root", "/").auth(Auth::None).fails(S::NOT_FOUND, "not_found"),
        post("typo in an admin path", "/api/admin/vehicle")
            .json(json!({"name": "Typo Van", "licensePlate": "TY-PO 1"}))
            .fails(S::NOT_FOUND, "not_found"),
        get("extra path segment", format!("{busy}/extra")).fails(S::NOT_FOUND, "not_found"),
        get("trailing slash", format!("{vehicles}/")).fails(S::NOT_FOUND, "not_found"),
        delete("DELETE on the user list", users).fails(S::METHOD_NOT_ALLOWED, "validation"),
        Case::new("PUT on a vehicle", Method::PUT, &free)
            .json(json!({"name": "Put Van", "licensePlate": "PU-T 1"}))
            .fails(S::METHOD_NOT_ALLOWED, "validation"),
        get("GET on login", login).auth(Auth::None).fails(S::METHOD_NOT_ALLOWED, "validation"),
        post("POST on the dashboard", "/api/admin/dashboard")
            .json(json!({}))
            .fails(S::METHOD_NOT_ALLOWED, "validation"),
        delete("DELETE an assignment", &assignment).fails(S::METHOD_NOT_ALLOWED, "validation"),
        post("POST to return", format!("{assignment}/return")).fails(S::METHOD_NOT_ALLOWED, "validation"),
    ];

    // --- The event stream's resume point and the activity log's filters ------------------
    cases.extend([
        get("events: after not a number", "/api/events?after=abc"),
        get("events: after negative", "/api/events?after=-1"),
        get(
            "events: after past i64",
            "/api/events?after=99999999999999999999",
        ),
        get("events: after with a fraction", "/api/events?after=1.5"),
        get("events: after with a sign", "/api/events?after=%2B5"),
        get("events: technician with a bad after", "/api/events?after=x").auth(Auth::Technician),
        get("events: no token", "/api/events")
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("activity: limit 0", "/api/admin/activity?limit=0"),
        get(
            "activity: limit past the maximum",
            "/api/admin/activity?limit=1001",
        ),
        get(
            "activity: unknown kind",
            "/api/admin/activity?kind=vehicle.exploded",
        ),
        get(
            "activity: vehicleId text",
            "/api/admin/activity?vehicleId=abc",
        ),
        get(
            "activity: technicianId zero",
            "/api/admin/activity?technicianId=0",
        ),
        get("activity: userId negative", "/api/admin/activity?userId=-4"),
        get(
            "activity: actorId huge",
            "/api/admin/activity?actorId=99999999999999999999",
        ),
        get("activity: before text", "/api/admin/activity?before=last"),
        get(
            "activity: since not a time",
            "/api/admin/activity?since=yesterday",
        ),
        get(
            "activity: until a date only",
            "/api/admin/activity?until=2026-11-28",
        ),
        get(
            "activity: since after until",
            "/api/admin/activity?since=2026-11-28T10:00:00Z&until=2026-11-28T09:00:00Z",
        ),
        get(
            "activity: unknown parameter",
            "/api/admin/activity?vehicle=3",
        ),
        get("technician: activity", "/api/admin/activity")
            .auth(Auth::Technician)
            .fails(S::FORBIDDEN, "forbidden"),
        // --- The user search (§8) ----------------------------------------------------------
        get("search: no query", "/api/users"),
        get("search: empty query", "/api/users?query="),
        get("search: one character", "/api/users?query=a"),
        get(
            "search: one character in spaces",
            "/api/users?query=%20%20a%20",
        ),
        get(
            "search: query too long",
            format!("/api/users?query={}", "a".repeat(321)),
        ),
        get("search: control character", "/api/users?query=ab%00"),
        get("search: limit 0", "/api/users?query=tess&limit=0"),
        get("search: limit 101", "/api/users?query=tess&limit=101"),
        get("search: limit text", "/api/users?query=tess&limit=all"),
        get(
            "search: unknown parameter",
            "/api/users?query=tess&role=admin",
        ),
        get("search: technician", "/api/users?query=tess")
            .auth(Auth::Technician)
            .fails(S::FORBIDDEN, "forbidden"),
        get(
            "search: technician, exact e-mail",
            format!("/api/users?query={TECHNICIAN_EMAIL}"),
        )
        .auth(Auth::Technician)
        .fails(S::FORBIDDEN, "forbidden"),
        get("search: technician with a bad query", "/api/users?query=a")
            .auth(Auth::Technician)
            .fails(S::FORBIDDEN, "forbidden"),
        get("search: no token", "/api/users?query=tess")
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("search: ok", "/api/users?query=tess&limit=100").succeeds(S::OK),
        // --- API keys (§9) -----------------------------------------------------------------
        get("key: malformed bearer", "/api/auth/me")
            .auth(header("Bearer fdk_not-a-key"))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: malformed X-API-Key", "/api/auth/me")
            .auth(Auth::ApiKey(b"not-a-key".to_vec(), None))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: empty X-API-Key", "/api/auth/me")
            .auth(Auth::ApiKey(Vec::new(), None))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: not UTF-8", "/api/auth/me")
            .auth(Auth::ApiKey(b"fdk_\xff".to_vec(), None))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: upper-case hex", "/api/auth/me")
            .auth(Auth::ApiKey(
                f.admin_key
                    .to_uppercase()
                    .replace("FDK_", "fdk_")
                    .into_bytes(),
                None,
            ))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: unknown", "/api/auth/me")
            .auth(header(format!("Bearer fdk_{}", "0".repeat(64))))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: revoked, as bearer", "/api/auth/me")
            .auth(header(format!("Bearer {}", f.revoked_key)))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: revoked, as X-API-Key", "/api/admin/vehicles")
            .auth(Auth::ApiKey(f.revoked_key.clone().into_bytes(), None))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: expired", "/api/auth/me")
            .auth(Auth::ApiKey(f.expired_key.clone().into_bytes(), None))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: owner demoted, admin route", "/api/admin/vehicles")
            .auth(Auth::ApiKey(f.demoted_key.clone().into_bytes(), None))
            .fails(S::FORBIDDEN, "forbidden"),
        get("key: owner demoted, search", "/api/users?query=tess")
            .auth(header(format!("Bearer {}", f.demoted_key)))
            .fails(S::FORBIDDEN, "forbidden"),
        get("key: and a token too", "/api/auth/me")
            .auth(Auth::ApiKey(
                f.admin_key.clone().into_bytes(),
                Some(format!("Bearer {admin_token}").into_bytes()),
            ))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get(
            "key: in the query string",
            format!("/api/auth/me?key={}", f.admin_key),
        )
        .auth(Auth::None)
        .fails(S::UNAUTHORIZED, "unauthorized"),
        get("key: valid", "/api/admin/dashboard")
            .auth(Auth::ApiKey(f.admin_key.clone().into_bytes(), None))
            .succeeds(S::OK),
        post("keys: a key making a key", "/api/auth/keys")
            .auth(Auth::ApiKey(f.admin_key.clone().into_bytes(), None))
            .json(json!({"name": "successor"}))
            .fails(S::FORBIDDEN, "forbidden"),
        post(
            "keys: a key making a key for another user",
            "/api/auth/keys",
        )
        .auth(header(format!("Bearer {}", f.admin_key)))
        .json(json!({"name": "theirs", "userId": f.technician}))
        .fails(S::FORBIDDEN, "forbidden"),
        post("keys: for another user", "/api/auth/keys")
            .json(json!({"name": "theirs", "userId": f.technician})),
        post("keys: no name", "/api/auth/keys").json(json!({})),
        post("keys: blank name", "/api/auth/keys").json(json!({"name": "  "})),
        post("keys: name too long", "/api/auth/keys").json(json!({"name": "k".repeat(201)})),
        post("keys: name a number", "/api/auth/keys").json(json!({"name": 7})),
        post("keys: expiry passed", "/api/auth/keys")
            .json(json!({"name": "old", "expiresAt": "2020-01-01T00:00:00Z"})),
        post("keys: expiry not a time", "/api/auth/keys")
            .json(json!({"name": "soon", "expiresAt": "tomorrow"})),
        post("keys: no token", "/api/auth/keys")
            .auth(Auth::None)
            .json(json!({"name": "anon"}))
            .fails(S::UNAUTHORIZED, "unauthorized"),
        get("keys: list, no token", "/api/auth/keys")
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED, "unauthorized"),
        delete("keys: revoke, id text", "/api/auth/keys/abc"),
        delete("keys: revoke, id zero", "/api/auth/keys/0"),
        delete("keys: revoke, unknown", "/api/auth/keys/999999").fails(S::NOT_FOUND, "not_found"),
        delete(
            "keys: revoke another user's",
            format!("/api/auth/keys/{}", f.others_key_id),
        )
        .fails(S::NOT_FOUND, "not_found"),
        delete(
            "keys: technician revokes another user's",
            format!("/api/auth/keys/{}", f.others_key_id),
        )
        .auth(Auth::Technician)
        .fails(S::NOT_FOUND, "not_found"),
    ]);

    for (i, name) in sql_names.iter().enumerate() {
        cases.push(
            post(&format!("vehicle SQL name #{i}"), vehicles)
                .json(json!({"name": name, "licensePlate": format!("SQL-{i}"), "model": name}))
                .succeeds(S::CREATED)
                .echoes("/vehicle/name", *name),
        );
    }

    // A technician on every admin route, with otherwise valid requests: 403, nothing done.
    let valid_vehicle = json!({"name": "Tech Van", "licensePlate": "TE-CH 1"});
    let technician_routes = [
        get("technician: list vehicles", vehicles),
        post("technician: create vehicle", vehicles).json(valid_vehicle.clone()),
        get("technician: get vehicle", &busy),
        patch("technician: patch vehicle", &free).json(json!({"name": "Renamed"})),
        delete("technician: delete vehicle", &free),
        get("technician: list users", users),
        post("technician: create user", users).json(
            json!({"name": "Eve", "email": "eve@depot.example", "password": PASSWORD, "role": "admin"}),
        ),
        patch("technician: make self admin", format!("{users}/{}", f.technician))
            .json(json!({"role": "admin"})),
        get("technician: list technicians", "/api/admin/technicians"),
        get("technician: list assignments", assignments),
        post("technician: create assignment", assignments)
            .json(json!({"vehicleId": v, "technicianId": t})),
        get("technician: get assignment", &assignment),
        patch("technician: return assignment", format!("{assignment}/return")),
        get("technician: dashboard", "/api/admin/dashboard"),
        // Auth comes before input checks: a bad id or body is still a 403 for a technician.
        get("technician: bad path id", format!("{vehicles}/abc")),
        post("technician: bad body", vehicles).bytes(&b"{not json"[..]),
    ];
    cases.extend(
        technician_routes
            .into_iter()
            .map(|case| case.auth(Auth::Technician).fails(S::FORBIDDEN, "forbidden")),
    );
    cases
}

/// Everything the table may not change, keyed for comparison.
async fn snapshot(s: &TestServer, path: &str, key: &str) -> BTreeMap<i64, Value> {
    let reply = s.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.text);
    reply.body[key]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} has no `{key}` array: {}", reply.text))
        .iter()
        .map(|item| (item["id"].as_i64().expect("an id"), item.clone()))
        .collect()
}

async fn bad_input_is_refused_with_its_code(s: &TestServer) {
    let f = fixture(s).await;
    let vehicles_before = snapshot(s, "/api/admin/vehicles", "vehicles").await;
    let users_before = snapshot(s, "/api/admin/users", "users").await;
    let assignments_before = snapshot(s, "/api/admin/assignments", "assignments").await;

    let cases = table(&f, &s.admin_token);
    assert!(cases.len() >= 35, "the table has {} rows", cases.len());
    let names: BTreeSet<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "row names are unique");

    let technician_token = s.login(TECHNICIAN_EMAIL, PASSWORD).await;
    let viewer_token = s.login(VIEWER_EMAIL, PASSWORD).await;
    let mut failures = Vec::new();
    // What the successful rows created, and the value each must keep verbatim.
    let mut created: Vec<(&'static str, i64, &'static str, String)> = Vec::new();
    for case in &cases {
        let label = format!("{} [{} {}]", case.name, case.method, case.path);
        let answer = match send(s, &technician_token, &viewer_token, case).await {
            Ok(answer) => answer,
            Err(err) => {
                failures.push(format!("{label}: {err}"));
                continue;
            }
        };
        let problems = check(case, &answer);
        if !problems.is_empty() {
            let mut text = answer.text.clone();
            if text.len() > 300 {
                let mut end = 300;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
                text.push('…');
            }
            failures.push(format!("{label}: {}; body: {text}", problems.join("; ")));
        }
        if case.code.is_none() && answer.status.is_success() {
            if let (Some((pointer, value)), Ok(body)) = (&case.echo, &answer.body) {
                if let Some(id) = body["vehicle"]["id"].as_i64() {
                    created.push(("vehicle", id, pointer, value.clone()));
                } else if let Some(id) = body["user"]["id"].as_i64() {
                    created.push(("user", id, pointer, value.clone()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows went wrong on {:?}:\n  {}",
        failures.len(),
        cases.len(),
        s.kind,
        failures.join("\n  ")
    );

    // What was created comes back verbatim when read again.
    let mut created_vehicles = BTreeSet::new();
    let mut created_users = BTreeSet::new();
    for (kind, id, pointer, value) in &created {
        let stored = if *kind == "vehicle" {
            created_vehicles.insert(*id);
            let reply = s.get(&format!("/api/admin/vehicles/{id}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            reply.body
        } else {
            created_users.insert(*id);
            let users = snapshot(s, "/api/admin/users", "users").await;
            json!({"user": users.get(id).cloned().unwrap_or_default()})
        };
        assert_eq!(
            stored.pointer(pointer).and_then(Value::as_str),
            Some(value.as_str()),
            "{kind}/{id}{pointer} is stored verbatim"
        );
    }

    // Nothing else changed: the bad requests created, edited, returned and deleted nothing.
    let vehicles_after = snapshot(s, "/api/admin/vehicles", "vehicles").await;
    let users_after = snapshot(s, "/api/admin/users", "users").await;
    let assignments_after = snapshot(s, "/api/admin/assignments", "assignments").await;
    let without = |map: &BTreeMap<i64, Value>, ids: &BTreeSet<i64>| {
        map.iter()
            .filter(|(id, _)| !ids.contains(id))
            .map(|(id, value)| (*id, value.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        vehicles_after.len(),
        vehicles_before.len() + created_vehicles.len(),
        "only the valid creates added vehicles"
    );
    assert_eq!(
        without(&vehicles_after, &created_vehicles),
        vehicles_before,
        "no existing vehicle changed"
    );
    assert_eq!(
        users_after.len(),
        users_before.len() + created_users.len(),
        "only the valid creates added users"
    );
    assert_eq!(
        without(&users_after, &created_users),
        users_before,
        "no existing user changed (the technician is still a technician)"
    );
    assert_eq!(
        assignments_after, assignments_before,
        "no assignment was created or returned"
    );
    let still_busy = s
        .get(&format!("/api/admin/assignments/{}", f.assignment))
        .await;
    assert_eq!(still_busy.body["assignment"]["status"], "active");
    let still_read = s
        .get(&format!("/api/admin/assignments/{}", f.read_assignment))
        .await;
    assert_eq!(still_read.body["assignment"]["status"], "active");
    let first = s
        .get(&format!("/api/admin/assignments/{}", f.returned_assignment))
        .await;
    assert_eq!(first.body["assignment"]["returnOdometerKm"], 5000);
    assert_eq!(first.body["assignment"]["returnNote"], FIRST_RETURN_NOTE);

    // The old password of the user whose patch failed still works; no bad patch reached it.
    let fred = users_after
        .get(&f.free_technician)
        .and_then(|user| user["email"].as_str())
        .expect("the free technician")
        .to_string();
    s.login(&fred, PASSWORD).await;

    // The SQL in the names did nothing: every table is still there and answers.
    for path in [
        "/api/admin/vehicles",
        "/api/admin/users",
        "/api/admin/assignments",
        "/api/admin/technicians",
        "/api/admin/dashboard",
    ] {
        assert_eq!(s.get(path).await.status, StatusCode::OK, "{path}");
    }
}

on_both_databases!(bad_input_is_refused_with_its_code);
