//! Sections 4 and 5 of API.md for the role API: bad input to `/api/users/...` gets its
//! documented status inside the seed's envelope
//! (`{"items": [{"message", "data"}], "valid": null}`), with an `x-request-id`, and never
//! changes anything.
//!
//! One table of requests; every row is sent and checked, all mismatches are collected and
//! reported together, so one run shows every problem. A few rows are valid on purpose (the
//! edges that must be accepted); what they write is checked after the table.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Answer, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The body limit of API.md section 5 (64 KiB).
const LIMIT: usize = 64 * 1024;
const PASSWORD: &str = "password-123";
const TECHNICIAN_EMAIL: &str = "tess.tech@depot.example";
const HOLDER_EMAIL: &str = "hal.holder@depot.example";
const SAVE: &str = "/api/users/assignment";
const RESOLVE: &str = "/api/users/assignment/resolve";
const LIST: &str = "/api/users/assignments";
const CREATED: &str = "The assignment was successfully created.";
const OVERLAP: &str = "Dates may not overlap.";
const OPEN_FROM: &str = "1970-01-01T00:00:00+00:00";
const OPEN_TO: &str = "2200-01-01T00:00:00+00:00";

/// Who sends the request.
#[derive(Clone, Debug)]
enum Auth {
    None,
    /// The fleet admin.
    Admin,
    /// A technician who holds no role anywhere.
    Technician,
    /// A technician holding `administrator` (not `main_administrator`) in the root organization.
    Holder,
    /// The whole `Authorization` header value.
    Header(String),
}

/// What a created assignment must look like in `GET /api/users/assignments`.
#[derive(Clone, Debug)]
struct Stored {
    user: i64,
    organization: String,
    roles: Vec<&'static str>,
    from: &'static str,
    to: &'static str,
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
    /// Another status that is also right (e.g. 400 or 404 for a NUL in an id).
    or_status: Option<StatusCode>,
    /// The first item's message starts with this.
    says: Option<&'static str>,
    /// A success of a read: the key of the documented non-envelope body.
    listing: Option<&'static str>,
    /// A success that creates: what the new row must hold.
    stores: Option<Stored>,
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
            or_status: None,
            says: None,
            listing: None,
            stores: None,
        }
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

    fn fails(mut self, status: StatusCode) -> Case {
        self.status = status;
        self
    }

    /// For the rows whose right answer is not a refusal.
    fn answers(self, status: StatusCode) -> Case {
        self.fails(status)
    }

    fn or(mut self, status: StatusCode) -> Case {
        self.or_status = Some(status);
        self
    }

    fn says(mut self, prefix: &'static str) -> Case {
        self.says = Some(prefix);
        self
    }

    /// A valid create: 200 with the created message and a relId, and `stored` written.
    fn creates(mut self, stored: Stored) -> Case {
        self.status = StatusCode::OK;
        self.says = Some(CREATED);
        self.stores = Some(stored);
        self
    }

    /// A read that is allowed to succeed with its documented body (`{"<key>": [...]}`).
    fn lists(mut self, key: &'static str) -> Case {
        self.listing = Some(key);
        self
    }
}

fn get(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::GET, path)
}

fn post(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::POST, path)
}

fn delete(name: &str, path: impl Into<String>) -> Case {
    Case::new(name, Method::DELETE, path)
}

/// The tokens of the signed-in users the table uses.
struct Tokens {
    admin: String,
    technician: String,
    holder: String,
}

async fn send(s: &TestServer, tokens: &Tokens, case: &Case) -> Result<Answer, String> {
    let authorization = match &case.auth {
        Auth::None => None,
        Auth::Admin => Some(format!("Bearer {}", tokens.admin)),
        Auth::Technician => Some(format!("Bearer {}", tokens.technician)),
        Auth::Holder => Some(format!("Bearer {}", tokens.holder)),
        Auth::Header(value) => Some(value.clone()),
    };
    s.send_raw(
        case.method.clone(),
        &case.path,
        authorization.as_deref().map(str::as_bytes),
        case.body.as_deref(),
    )
    .await
}

/// Every problem with the envelope of one answer, empty when it is the seed's shape.
fn envelope_problems(body: &Value, status: StatusCode) -> Vec<String> {
    let mut problems = Vec::new();
    if body.get("error").is_some() {
        problems.push("the fleet error body instead of the envelope".to_string());
    }
    match body.get("valid") {
        Some(Value::Null) => {}
        Some(other) => problems.push(format!("`valid` is {other}, not null")),
        None => problems.push("no `valid` key".to_string()),
    }
    let Some(items) = body["items"].as_array() else {
        problems.push("no `items` array".to_string());
        return problems;
    };
    if items.len() != 1 {
        problems.push(format!("{} items instead of 1", items.len()));
    }
    let Some(item) = items.first() else {
        return problems;
    };
    if item["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
        problems.push("no non-empty `message` string".to_string());
    }
    match item.get("data") {
        Some(Value::Array(data)) if status == StatusCode::CONFLICT => {
            if data.is_empty() {
                problems.push("a 409 with an empty `data`".to_string());
            }
        }
        Some(Value::Null) if status != StatusCode::CONFLICT => {}
        Some(other) => problems.push(format!(
            "`data` is {} on a {}",
            if other.is_array() {
                "an array"
            } else {
                "not an array"
            },
            status.as_u16()
        )),
        None => problems.push("no `data` key".to_string()),
    }
    problems
}

/// Every problem with one answer, empty when it is as the row says.
fn check(case: &Case, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    if answer.status != case.status && Some(answer.status) != case.or_status {
        let wanted = match case.or_status {
            Some(other) => format!("{} or {}", case.status.as_u16(), other.as_u16()),
            None => case.status.as_u16().to_string(),
        };
        problems.push(format!(
            "status {} instead of {wanted}",
            answer.status.as_u16()
        ));
    }
    if answer.request_id.as_deref().is_none_or(str::is_empty) {
        problems.push("no x-request-id header".to_string());
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
    if let (Some(key), true) = (case.listing, answer.status.is_success()) {
        if !body[key].is_array() {
            problems.push(format!("a successful read without a `{key}` array"));
        }
        return problems;
    }
    problems.extend(envelope_problems(body, answer.status));
    if let Some(prefix) = case.says {
        let message = body["items"][0]["message"].as_str().unwrap_or("");
        if !message.starts_with(prefix) {
            problems.push(format!(
                "message {message:?} does not start with {prefix:?}"
            ));
        }
    }
    if case.stores.is_some() && body["items"][0]["relId"].as_i64().is_none() {
        problems.push("a create without the item's `relId`".to_string());
    }
    problems
}

/// Fixtures the table refers to.
struct Fixture {
    /// Root organization; `north` is its child; `south` is a root of its own.
    root: String,
    north: String,
    south: String,
    /// The user the bad requests try to change; holds `uma_rel` in `north`, 2020.
    uma: i64,
    uma_rel: i64,
    /// Another user, holding `otto_rel` in `north`.
    otto: i64,
    otto_rel: i64,
    /// Users the valid rows write for (nothing else has them in `south`).
    sam: i64,
    dora: i64,
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
        .expect("an organization id")
        .to_string()
}

/// Creates a role assignment as the fleet admin and returns its relId.
async fn assign(
    s: &TestServer,
    user: i64,
    organization: &str,
    role: &str,
    from: &str,
    to: &str,
) -> i64 {
    let reply = s
        .post(
            SAVE,
            json!({"role": role, "userId": user.to_string(), "organizationId": organization,
                   "validFrom": from, "validTo": to}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["items"][0]["relId"]
        .as_i64()
        .unwrap_or_else(|| panic!("a relId: {}", reply.text))
}

async fn fixture(s: &TestServer) -> Fixture {
    let root = organization(s, "Depot Root", None).await;
    let north = organization(s, "Depot North", Some(&root)).await;
    let south = organization(s, "Depot South", None).await;
    s.create_user("Tess Tech", TECHNICIAN_EMAIL, "technician")
        .await;
    let hal = s
        .create_user("Hal Holder", HOLDER_EMAIL, "technician")
        .await;
    let uma = s.create_technician("Uma User").await;
    let otto = s.create_technician("Otto Other").await;
    let sam = s.create_technician("Sam Success").await;
    let dora = s.create_technician("Dora Defaults").await;
    // The holder is an administrator (not main_administrator) of the root, through the API.
    assign(s, hal, &root, "administrator", "", "").await;
    let uma_rel = assign(s, uma, &north, "employee", "2020-01-01", "2020-12-31").await;
    let otto_rel = assign(s, otto, &north, "employee", "", "").await;
    Fixture {
        root,
        north,
        south,
        uma,
        uma_rel,
        otto,
        otto_rel,
        sam,
        dora,
    }
}

/// `base` with `changes` applied: a `null` in `changes` removes the key, anything else sets it.
fn edit(base: &Value, changes: Value) -> Value {
    let mut body = base.clone();
    let object = body.as_object_mut().expect("an object body");
    for (key, value) in changes.as_object().expect("an object of changes") {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), value.clone());
        }
    }
    body
}

/// `body` as JSON padded with spaces to exactly `size` bytes.
fn padded(body: &Value, size: usize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(body).expect("serialisable");
    assert!(bytes.len() <= size, "the padding target is too small");
    bytes.resize(size, b' ');
    bytes
}

fn table(f: &Fixture) -> Vec<Case> {
    use StatusCode as S;
    let uma = f.uma.to_string();
    // Valid as it stands (a free year for Uma in North); every bad row breaks one thing.
    let ok = json!({"role": "employee", "userId": uma, "organizationId": f.north,
                    "validFrom": "2030-01-01", "validTo": "2030-12-31"});
    let with = |changes: Value| edit(&ok, changes);
    let nul_org = format!("{}\u{0}", f.north);
    let huge_roles =
        json!({"roles": vec!["employee"; 5000], "userId": uma, "organizationId": f.north});
    let huge_roles = serde_json::to_vec(&huge_roles).expect("serialisable");
    assert!(
        huge_roles.len() < LIMIT,
        "the 5,000 roles stay under the body limit ({} bytes)",
        huge_roles.len()
    );
    // A conflict item as a 409 would send it, for Uma's 2020 assignment.
    let item = |user: &str, rel_id: Value| {
        json!({"relId": rel_id, "userId": user, "organizationId": f.north, "roles": ["employee"],
               "validFrom": "2020-01-01T00:00:00+00:00", "validTo": "2020-05-31T00:00:00+00:00",
               "conflictType": "date_to_updated", "validated": false,
               "currentValidFrom": "2020-01-01T00:00:00+00:00",
               "currentValidTo": "2020-12-31T00:00:00+00:00"})
    };
    let overlapping = with(json!({"validFrom": "2020-06-01", "validTo": "2021-06-30"}));
    let south = |user: i64, roles: &[&'static str], from: &'static str, to: &'static str| Stored {
        user,
        organization: f.south.clone(),
        roles: roles.to_vec(),
        from,
        to,
    };

    vec![
        // --- role / roles ---------------------------------------------------------------
        post("role superuser", SAVE).json(with(json!({"role": "superuser"}))),
        post("role in capitals", SAVE).json(with(json!({"role": "Employee"}))),
        post("role a number", SAVE).json(with(json!({"role": 3}))),
        post("role an array", SAVE).json(with(json!({"role": ["employee"]}))),
        post("both role and roles", SAVE).json(with(json!({"roles": ["approver"]}))),
        post("neither role nor roles", SAVE).json(with(json!({"role": null}))),
        post("roles empty", SAVE).json(with(json!({"role": null, "roles": []}))),
        post("roles a string", SAVE).json(with(json!({"role": null, "roles": "employee"}))),
        post("roles with an unknown role", SAVE)
            .json(with(json!({"role": null, "roles": ["employee", "superuser"]}))),
        post("roles with 6 entries", SAVE).json(with(json!({"role": null,
            "roles": ["employee", "approver", "manager", "administrator", "main_administrator", "employee"]}))),
        post("roles with 5,000 entries", SAVE).bytes(huge_roles),
        // Duplicates are folded (the six-entry row above is refused by its length).
        post("roles duplicated", SAVE)
            .json(json!({"roles": ["approver", "approver"], "userId": f.sam.to_string(),
                         "organizationId": f.south, "validFrom": "2023-01-01", "validTo": "2023-12-31"}))
            .creates(south(f.sam, &["approver"], "2023-01-01T00:00:00+00:00", "2023-12-31T00:00:00+00:00")),
        // --- validity dates ---------------------------------------------------------------
        post("validFrom month 13", SAVE).json(with(json!({"validFrom": "2021-13-01"}))),
        post("validTo February 30", SAVE).json(with(json!({"validTo": "2021-02-30"}))),
        post("validFrom 05:00+02:00 (03:00 UTC)", SAVE)
            .json(with(json!({"validFrom": "2021-01-01T05:00:00+02:00"}))),
        post("validTo not-a-date", SAVE).json(with(json!({"validTo": "not-a-date"}))),
        post("validFrom a number", SAVE).json(with(json!({"validFrom": 20_300_101}))),
        post("validFrom 1969-12-31", SAVE).json(with(json!({"validFrom": "1969-12-31"}))),
        post("validTo without an offset", SAVE).json(with(json!({"validTo": "2030-12-31T00:00:00"}))),
        post("validTo year 10000", SAVE).json(with(json!({"validTo": "10000-01-01"}))),
        post("validFrom after validTo", SAVE)
            .json(with(json!({"validFrom": "2030-12-31", "validTo": "2030-01-01"}))),
        post("validFrom 01:00+01:00 (midnight UTC)", SAVE)
            .json(json!({"role": "employee", "userId": f.sam.to_string(), "organizationId": f.south,
                         "validFrom": "2021-01-01T01:00:00+01:00", "validTo": "2021-12-31T00:00:00+00:00"}))
            .creates(south(f.sam, &["employee"], "2021-01-01T00:00:00+00:00", "2021-12-31T00:00:00+00:00")),
        post("empty dates mean the defaults", SAVE)
            .json(json!({"role": "manager", "userId": f.dora.to_string(), "organizationId": f.south,
                         "validFrom": "", "validTo": ""}))
            .creates(south(f.dora, &["manager"], OPEN_FROM, OPEN_TO)),
        // --- userId -------------------------------------------------------------------------
        post("userId missing", SAVE).json(with(json!({"userId": null}))),
        post("userId null", SAVE).json(json!({"role": "employee", "userId": null,
            "organizationId": f.north, "validFrom": "2030-01-01", "validTo": "2030-12-31"})),
        post("userId an object", SAVE).json(with(json!({"userId": {"id": uma}}))),
        post("userId abc", SAVE).json(with(json!({"userId": "abc"}))),
        post("userId -1", SAVE).json(with(json!({"userId": "-1"}))),
        post("userId 1.5", SAVE).json(with(json!({"userId": 1.5}))),
        post("userId a JSON number", SAVE)
            .json(json!({"role": "employee", "userId": f.sam, "organizationId": f.south,
                         "validFrom": "2022-01-01", "validTo": "2022-12-31"}))
            .creates(south(f.sam, &["employee"], "2022-01-01T00:00:00+00:00", "2022-12-31T00:00:00+00:00")),
        post("userId names no user", SAVE).json(with(json!({"userId": "999999"}))).fails(S::NOT_FOUND),
        // --- organizationId -----------------------------------------------------------------
        post("organizationId missing", SAVE).json(with(json!({"organizationId": null}))),
        post("organizationId a number", SAVE).json(with(json!({"organizationId": 5}))),
        post("organizationId unknown", SAVE)
            .json(with(json!({"organizationId": "00000000-0000-4000-8000-000000000000"})))
            .fails(S::NOT_FOUND),
        post("organizationId empty", SAVE).json(with(json!({"organizationId": ""}))).fails(S::NOT_FOUND),
        post("organizationId SQL", SAVE)
            .json(with(json!({"organizationId": "' OR '1'='1' --"})))
            .fails(S::NOT_FOUND),
        post("organizationId quotes and emoji", SAVE)
            .json(with(json!({"organizationId": "O'Brien's \"Depot\" 🚐 \\ `x` 50%_"})))
            .fails(S::NOT_FOUND),
        post("organizationId with NUL", SAVE)
            .json(with(json!({"organizationId": nul_org})))
            .fails(S::NOT_FOUND)
            .or(S::BAD_REQUEST),
        post("organizationId 10,000 chars", SAVE)
            .json(with(json!({"organizationId": "o".repeat(10_000)})))
            .fails(S::NOT_FOUND),
        // --- relId --------------------------------------------------------------------------
        post("relId unknown", SAVE).json(with(json!({"relId": 999_999}))).fails(S::NOT_FOUND),
        post("relId a string", SAVE).json(with(json!({"relId": f.uma_rel.to_string()}))),
        post("relId fractional", SAVE).json(with(json!({"relId": 1.5}))),
        post("relId of another user", SAVE).json(with(json!({"relId": f.otto_rel}))),
        post("relId moved to another organization", SAVE)
            .json(with(json!({"relId": f.uma_rel, "organizationId": f.south}))),
        // --- overlap --------------------------------------------------------------------------
        post("overlapping dates", SAVE).json(overlapping.clone()).fails(S::CONFLICT).says(OVERLAP),
        // --- who is asking ------------------------------------------------------------------
        post("no token", SAVE).auth(Auth::None).json(ok.clone()).fails(S::UNAUTHORIZED),
        post("bad token", SAVE)
            .auth(Auth::Header("Bearer garbage".to_string()))
            .json(ok.clone())
            .fails(S::UNAUTHORIZED),
        post("technician without a holding", SAVE)
            .auth(Auth::Technician)
            .json(ok.clone())
            .fails(S::FORBIDDEN),
        post("administrator grants main_administrator", SAVE)
            .auth(Auth::Holder)
            .json(with(json!({"role": "main_administrator"})))
            .fails(S::FORBIDDEN),
        post("administrator grants roles with main_administrator", SAVE)
            .auth(Auth::Holder)
            .json(with(json!({"role": null, "roles": ["employee", "main_administrator"]})))
            .fails(S::FORBIDDEN),
        post("administrator outside the subtree", SAVE)
            .auth(Auth::Holder)
            .json(json!({"role": "employee", "userId": f.sam.to_string(), "organizationId": f.south,
                         "validFrom": "2031-01-01", "validTo": "2031-12-31"}))
            .fails(S::FORBIDDEN),
        // The control for the two rows above: the same administrator may grant employee below.
        post("administrator grants employee below", SAVE)
            .auth(Auth::Holder)
            .json(json!({"role": "employee", "userId": f.sam.to_string(), "organizationId": f.north,
                         "validFrom": "2024-01-01", "validTo": "2024-12-31"}))
            .creates(Stored {
                user: f.sam,
                organization: f.north.clone(),
                roles: vec!["employee"],
                from: "2024-01-01T00:00:00+00:00",
                to: "2024-12-31T00:00:00+00:00",
            }),
        // --- body -------------------------------------------------------------------------
        post("malformed JSON", SAVE).bytes(&b"{\"role\": \"employee\", \"userId\": "[..]),
        post("JSON array body", SAVE).json(json!([ok.clone()])),
        post("JSON null body", SAVE).json(Value::Null),
        post("empty body", SAVE).bytes(Vec::new()),
        post("no body at all", SAVE),
        post("100 KiB body", SAVE).bytes(padded(&ok, 100 * 1024)).fails(S::PAYLOAD_TOO_LARGE),
        post("limit + 1 bytes", SAVE).bytes(padded(&ok, LIMIT + 1)).fails(S::PAYLOAD_TOO_LARGE),
        post("exactly the limit, valid", SAVE)
            .bytes(padded(
                &json!({"role": "employee", "userId": f.sam.to_string(), "organizationId": f.south,
                        "validFrom": "2025-01-01", "validTo": "2025-12-31"}),
                LIMIT,
            ))
            .creates(south(f.sam, &["employee"], "2025-01-01T00:00:00+00:00", "2025-12-31T00:00:00+00:00")),
        // --- delete -----------------------------------------------------------------------
        delete("delete relId abc", format!("{SAVE}/abc")),
        delete("delete relId 0", format!("{SAVE}/0")),
        delete("delete relId past i64", format!("{SAVE}/99999999999999999999")),
        delete("delete relId unknown", format!("{SAVE}/999999")).fails(S::NOT_FOUND),
        delete("delete without a token", format!("{SAVE}/{}", f.uma_rel))
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED),
        delete("delete as a technician without a holding", format!("{SAVE}/{}", f.uma_rel))
            .auth(Auth::Technician)
            .fails(S::FORBIDDEN),
        // --- reads --------------------------------------------------------------------------
        get("user 999999", "/api/users/999999").fails(S::NOT_FOUND),
        get("user abc", "/api/users/abc").fails(S::NOT_FOUND),
        get("user NUL", "/api/users/%00").fails(S::NOT_FOUND).or(S::BAD_REQUEST),
        get("user id not UTF-8", "/api/users/%FF").fails(S::BAD_REQUEST),
        get("unknown route under /api/users", "/api/users/4/extra").fails(S::NOT_FOUND),
        Case::new("wrong method on the assignment route", Method::PUT, "/api/users/assignment")
            .fails(S::METHOD_NOT_ALLOWED),
        get("user without a token", format!("/api/users/{uma}"))
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED),
        get("assignments userId=abc", format!("{LIST}?userId=abc")),
        get("assignments userId=-5", format!("{LIST}?userId=-5")),
        get("assignments userId invalid UTF-8", format!("{LIST}?userId=%FF")),
        get("assignments organizationId SQL", format!("{LIST}?organizationId=%27%20OR%20%271%27%3D%271"))
            .answers(S::OK)
            .lists("assignments"),
        get("assignments without a token", LIST).auth(Auth::None).fails(S::UNAUTHORIZED),
        // A NUL names no organization: an empty list or a 400, never a 500.
        get("assignments organizationId NUL", format!("{LIST}?organizationId=%00"))
            .answers(S::OK)
            .or(S::BAD_REQUEST)
            .lists("assignments"),
        get("assignments includeDescendants=yes", format!("{LIST}?organizationId={}&includeDescendants=yes", f.root)),
        get("assignments includeDescendants=TRUE", format!("{LIST}?organizationId={}&includeDescendants=TRUE", f.root)),
        get("assignments includeDescendants=1", format!("{LIST}?organizationId={}&includeDescendants=1", f.root)),
        get("assignments includeDescendants without organizationId", format!("{LIST}?includeDescendants=true")),
        get("assignments includeDescendants, organizationId empty", format!("{LIST}?organizationId=&includeDescendants=true")),
        get("assignments includeDescendants, unknown organization", format!("{LIST}?organizationId=nowhere&includeDescendants=true"))
            .answers(S::OK)
            .lists("assignments"),
        get("assignments includeDescendants, organizationId SQL", format!("{LIST}?organizationId=%27%20OR%20%271%27%3D%271&includeDescendants=true"))
            .answers(S::OK)
            .lists("assignments"),
        get("assignments includeDescendants, organizationId NUL", format!("{LIST}?organizationId=%00&includeDescendants=true"))
            .answers(S::OK)
            .or(S::BAD_REQUEST)
            .lists("assignments"),
        get("assignments includeDescendants of the root", format!("{LIST}?organizationId={}&includeDescendants=true", f.root))
            .auth(Auth::Technician)
            .answers(S::OK)
            .lists("assignments"),
        get("assignments includeDescendants without a token", format!("{LIST}?organizationId={}&includeDescendants=true", f.root))
            .auth(Auth::None)
            .fails(S::UNAUTHORIZED),
        // --- resolve ------------------------------------------------------------------------
        post("resolve without resolution", RESOLVE).json(json!({"request": overlapping})),
        post("resolve without request", RESOLVE)
            .json(json!({"resolution": [item(&uma, json!(f.uma_rel))]})),
        post("resolve resolution not an array", RESOLVE)
            .json(json!({"request": overlapping, "resolution": item(&uma, json!(f.uma_rel))})),
        post("resolve item for another user", RESOLVE).json(json!({"request": overlapping,
            "resolution": [item(&f.otto.to_string(), json!(f.otto_rel))]})),
        post("resolve item with conflictType explode", RESOLVE).json(json!({"request": overlapping,
            "resolution": [edit(&item(&uma, json!(f.uma_rel)), json!({"conflictType": "explode"}))]})),
        post("resolve item with a bad date", RESOLVE).json(json!({"request": overlapping,
            "resolution": [edit(&item(&uma, json!(f.uma_rel)), json!({"validTo": "2020-02-30"}))]})),
        post("resolve with a bad request inside", RESOLVE).json(json!({
            "request": edit(&overlapping, json!({"role": "superuser"})),
            "resolution": [item(&uma, json!(f.uma_rel))]})),
        post("resolve without a token", RESOLVE)
            .auth(Auth::None)
            .json(json!({"request": overlapping, "resolution": [item(&uma, json!(f.uma_rel))]}))
            .fails(S::UNAUTHORIZED),
        post("resolve organizationId with NUL", RESOLVE)
            .json(json!({"request": edit(&overlapping, json!({"organizationId": format!("{}\u{0}", f.root)})),
                         "resolution": []}))
            .fails(S::NOT_FOUND)
            .or(S::BAD_REQUEST),
    ]
}

/// Every role assignment, keyed by relId.
async fn snapshot(s: &TestServer) -> BTreeMap<i64, Value> {
    let reply = s.get(LIST).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {LIST}: {}", reply.text);
    reply.body["assignments"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {LIST} has no `assignments` array: {}", reply.text))
        .iter()
        .map(|row| (row["relId"].as_i64().expect("a relId"), row.clone()))
        .collect()
}

/// The first `max` bytes of `text` (on a character boundary), marked when cut.
fn shortened(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

async fn role_api_bad_input_is_refused_in_the_envelope(s: &TestServer) {
    let f = fixture(s).await;
    let before = snapshot(s).await;
    assert_eq!(before.len(), 3, "the fixture's three assignments");

    let cases = table(&f);
    assert!(cases.len() >= 30, "the table has {} rows", cases.len());
    let names: BTreeSet<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "row names are unique");

    let tokens = Tokens {
        admin: s.admin_token.clone(),
        technician: s.login(TECHNICIAN_EMAIL, PASSWORD).await,
        holder: s.login(HOLDER_EMAIL, PASSWORD).await,
    };
    let mut failures = Vec::new();
    // What the valid rows created: relId and what it must hold.
    let mut created: Vec<(String, i64, Stored)> = Vec::new();
    for case in &cases {
        let label = format!(
            "{} [{} {}]",
            case.name,
            case.method,
            shortened(&case.path, 80)
        );
        let answer = match send(s, &tokens, case).await {
            Ok(answer) => answer,
            Err(err) => {
                failures.push(format!("{label}: {err}"));
                continue;
            }
        };
        let problems = check(case, &answer);
        if !problems.is_empty() {
            failures.push(format!(
                "{label}: {}; body: {}",
                problems.join("; "),
                shortened(&answer.text, 300)
            ));
        }
        if let (Some(stored), Ok(body)) = (&case.stores, &answer.body) {
            if let Some(rel_id) = body["items"][0]["relId"].as_i64() {
                created.push((case.name.clone(), rel_id, stored.clone()));
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

    // The valid rows wrote exactly what they asked for (the defaults for empty dates,
    // midnight UTC for 01:00+01:00, duplicates folded).
    let after = snapshot(s).await;
    for (name, rel_id, stored) in &created {
        let row = after
            .get(rel_id)
            .unwrap_or_else(|| panic!("{name}: relId {rel_id} is not listed"));
        let expected = json!({
            "relId": rel_id,
            "userId": stored.user.to_string(),
            "organizationId": stored.organization,
            "roles": stored.roles,
            "validFrom": stored.from,
            "validTo": stored.to,
        });
        for key in ["userId", "organizationId", "roles", "validFrom", "validTo"] {
            assert_eq!(
                row[key], expected[key],
                "{name}: {key} of relId {rel_id}: {row}"
            );
        }
    }
    let created_ids: BTreeSet<i64> = created.iter().map(|(_, rel_id, _)| *rel_id).collect();
    let expected_creates = cases.iter().filter(|case| case.stores.is_some()).count();
    assert_eq!(
        created_ids.len(),
        expected_creates,
        "every valid row created one assignment"
    );

    // Nothing else changed: the refused requests created, edited and deleted nothing.
    let untouched: BTreeMap<i64, Value> = after
        .into_iter()
        .filter(|(rel_id, _)| !created_ids.contains(rel_id))
        .collect();
    assert_eq!(
        untouched, before,
        "the refused requests changed no assignment"
    );

    // Organization names must show something and hide nothing at their ends; the refusal
    // names the field (`/api/organizations` keeps the fleet error body).
    for (what, name) in [
        ("a zero-width space", "\u{200B}"),
        ("format characters only", "\u{200C}\u{200D}\u{2060}\u{FEFF}"),
        ("no-break spaces only", "\u{00A0}\u{00A0}"),
        ("a Hangul filler", "\u{3164}"),
        ("a leading space", " Depot East"),
        ("a trailing zero-width space", "Depot East\u{200B}"),
        ("a control character", "Depot\u{1B}East"),
        ("a right-to-left override", "Depot \u{202E}tsaE"),
    ] {
        let reply = s
            .post(
                "/api/organizations",
                json!({"name": name, "parentId": f.root}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), "validation", "{what}: {}", reply.text);
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("name ")),
            "{what}: the message names the field: {}",
            reply.text
        );
    }
    // A joiner inside a name is kept verbatim.
    let joined = "Werkstatt 👩\u{200D}🔧";
    let reply = s
        .post(
            "/api/organizations",
            json!({"name": joined, "parentId": f.root}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["organization"]["name"], joined);

    // `/api/organizations` keeps the fleet error body (decision); a NUL parent is a 400 there too.
    let reply = s
        .post(
            "/api/organizations",
            json!({"name": "Nul Parent", "parentId": format!("{}\u{0}", f.root)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.error_code(), "validation", "{}", reply.text);

    // The SQL in the ids did nothing: the role API still answers.
    let reply = s.get(&format!("/api/users/{}", f.uma)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body["roles"][0]["organizations"][0]["relId"],
        f.uma_rel
    );
    assert_eq!(
        s.get("/api/organizations").await.body["organizations"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "the fixture's three organizations and the one with a joiner"
    );
}

on_both_databases!(role_api_bad_input_is_refused_in_the_envelope);
