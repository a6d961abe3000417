//! API.md §9, API keys: made, used with either header, acting as their owner as the owner is
//! now, revoked at once on every instance, expired, never logged; `fleetdesk key` from the
//! shell.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{config_for, DbKind, TestDatabase, TestServer, JWT_SECRET};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};

const PASSWORD: &str = "password-123";

/// Makes a key as `token`; returns (id, secret).
async fn make_key(s: &TestServer, token: &str, body: Value) -> (i64, String) {
    let reply = s
        .call(Method::POST, "/api/auth/keys", Some(token), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let secret = reply.body["secret"].as_str().expect("a secret").to_string();
    assert!(secret.starts_with("fdk_") && secret.len() == 68, "{secret}");
    let key = &reply.body["key"];
    for field in ["id", "name", "createdAt", "expiresAt", "lastUsedAt"] {
        assert!(key.get(field).is_some(), "{field} in {key}");
    }
    assert!(
        !reply.body["key"].to_string().contains(&secret[4..]),
        "the key object never holds the secret"
    );
    (key["id"].as_i64().expect("id"), secret)
}

/// GET `path` with the key in `X-API-Key` (or as a bearer credential); status and body.
async fn with_key(base: &str, path: &str, secret: &str, as_bearer: bool) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("{base}{path}"));
    request = if as_bearer {
        request.bearer_auth(secret)
    } else {
        request.header("X-API-Key", secret)
    };
    let response = request.send().await.expect("an answer");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn keys_of(s: &TestServer, token: &str) -> Vec<Value> {
    let reply = s
        .call(Method::GET, "/api/auth/keys", Some(token), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["keys"].as_array().expect("keys").clone()
}

async fn a_key_is_made_used_and_revoked(s: &TestServer) {
    let (id, secret) = make_key(s, &s.admin_token, json!({"name": "hr-sync"})).await;
    let listed = keys_of(s, &s.admin_token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "hr-sync");
    assert_eq!(listed[0]["lastUsedAt"], Value::Null);
    assert_eq!(listed[0]["expiresAt"], Value::Null);

    for as_bearer in [false, true] {
        let (status, body) = with_key(&s.url, "/api/auth/me", &secret, as_bearer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["email"], common::ADMIN_EMAIL);
        let (status, _) = with_key(&s.url, "/api/admin/vehicles", &secret, as_bearer).await;
        assert_eq!(status, StatusCode::OK);
    }
    // The key lists itself, used.
    let (status, body) = with_key(&s.url, "/api/auth/keys", &secret, false).await;
    assert_eq!(status, StatusCode::OK);
    let used = body["keys"][0]["lastUsedAt"].clone();
    assert!(used.is_string(), "{body}");

    // lastUsedAt moves at most once a minute: pretend the last use was long ago.
    let mut db = sqlx::AnyConnection::connect(&s.database.url)
        .await
        .expect("the database");
    sqlx::query("UPDATE api_keys SET last_used_at = 1000 WHERE id = $1")
        .bind(id)
        .execute(&mut db)
        .await
        .expect("an update");
    assert_eq!(
        keys_of(s, &s.admin_token).await[0]["lastUsedAt"],
        "1970-01-01T00:16:40Z"
    );
    with_key(&s.url, "/api/auth/me", &secret, false).await;
    let noted = keys_of(s, &s.admin_token).await[0]["lastUsedAt"].clone();
    assert_ne!(noted, json!("1970-01-01T00:16:40Z"));
    with_key(&s.url, "/api/auth/me", &secret, false).await;
    assert_eq!(keys_of(s, &s.admin_token).await[0]["lastUsedAt"], noted);
    db.close().await.expect("closed");

    // Revoked: 401 at once; revoking again is fine; the list forgets it.
    let reply = s
        .admin(Method::DELETE, &format!("/api/auth/keys/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    for as_bearer in [false, true] {
        let (status, body) = with_key(&s.url, "/api/auth/me", &secret, as_bearer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"], "unauthorized");
        assert!(!body.to_string().contains(&secret[4..]), "{body}");
    }
    let again = s
        .admin(Method::DELETE, &format!("/api/auth/keys/{id}"), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert!(keys_of(s, &s.admin_token).await.is_empty());

    // Both changes are events, in the owner's name, without the secret.
    let events = s.events_when(3).await;
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|kind| kind.starts_with("api_key."))
        .collect();
    assert_eq!(kinds, ["api_key.created", "api_key.revoked"]);
    for event in events.iter().filter(|e| e["subject"]["apiKeyId"] == id) {
        assert_eq!(event["actor"]["name"], "Ada Admin");
        assert!(event["subject"]["userId"].is_i64(), "{event}");
        assert_eq!(event["data"]["name"], "hr-sync");
        assert!(!event.to_string().contains(&secret[4..]));
    }
}

async fn a_key_does_what_its_owner_may_do_now(s: &TestServer) {
    let tech = s
        .create_user("Tess Tech", "tess@depot.example", "technician")
        .await;
    let tess = s.login("tess@depot.example", PASSWORD).await;
    let boss = s.create_user("Bo Boss", "bo@depot.example", "admin").await;
    let bo = s.login("bo@depot.example", PASSWORD).await;
    let (_, tess_key) = make_key(s, &tess, json!({"name": "tess"})).await;
    let (bo_key_id, bo_key) = make_key(s, &bo, json!({"name": "bo"})).await;

    assert_eq!(
        with_key(&s.url, "/api/admin/vehicles", &tess_key, false)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        with_key(&s.url, "/api/admin/vehicles", &bo_key, true)
            .await
            .0,
        StatusCode::OK
    );
    // Bo loses admin: so does his key, at once.
    s.set_role(boss, "technician").await;
    assert_eq!(
        with_key(&s.url, "/api/admin/vehicles", &bo_key, true)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // An organization administrator's key may search until the role is gone.
    let org = s
        .post("/api/organizations", json!({"name": "Depot North"}))
        .await
        .body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let granted = s
        .post(
            "/api/users/assignment",
            json!({"role": "administrator", "userId": tech.to_string(), "organizationId": org}),
        )
        .await;
    let rel_id = granted.body["items"][0]["relId"].as_i64().expect("relId");
    assert_eq!(
        with_key(&s.url, "/api/users?query=tess", &tess_key, false)
            .await
            .0,
        StatusCode::OK
    );
    s.admin(
        Method::DELETE,
        &format!("/api/users/assignment/{rel_id}"),
        None,
    )
    .await;
    assert_eq!(
        with_key(&s.url, "/api/users?query=tess", &tess_key, false)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Keys do not make keys (for anyone); a body cannot name another owner.
    let by_key = s
        .http
        .post(format!("{}/api/auth/keys", s.url))
        .header("X-API-Key", &tess_key)
        .json(&json!({"name": "successor"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(by_key.status(), StatusCode::FORBIDDEN);
    let for_other = s
        .call(
            Method::POST,
            "/api/auth/keys",
            Some(&tess),
            Some(json!({"name": "x", "userId": boss})),
        )
        .await;
    assert_eq!(
        for_other.status,
        StatusCode::BAD_REQUEST,
        "{}",
        for_other.text
    );
    // Nor revoke or see another's key.
    let reply = s
        .call(
            Method::DELETE,
            &format!("/api/auth/keys/{bo_key_id}"),
            Some(&tess),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(keys_of(s, &tess).await.len(), 1);
    assert_eq!(
        with_key(&s.url, "/api/auth/me", &bo_key, false).await.0,
        StatusCode::OK
    );

    // A key that expires: fine before, 401 after.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, brief) = make_key(s, &tess, json!({"name": "brief", "expiresAt": soon})).await;
    assert_eq!(
        with_key(&s.url, "/api/auth/me", &brief, false).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, body) = with_key(&s.url, "/api/auth/me", &brief, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{body}"
    );
}

on_both_databases!(
    a_key_is_made_used_and_revoked,
    a_key_does_what_its_owner_may_do_now
);

/// Two instances on one PostgreSQL database: a key made on A works on B, and once revoked on
/// A, B refuses it with the very next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_counts_at_once_on_another_instance() {
    let Some(a) = TestServer::try_start(DbKind::Postgres).await else {
        return;
    };
    let b = fleetdesk::server::start(config_for(&a.database.url))
        .await
        .expect("a second instance");
    let b_url = b.url();
    let (id, secret) = make_key(&a, &a.admin_token, json!({"name": "hr-sync"})).await;
    assert_eq!(
        with_key(&b_url, "/api/auth/me", &secret, true).await.0,
        StatusCode::OK
    );
    assert_eq!(
        with_key(&b_url, "/api/auth/me", &secret, false).await.0,
        StatusCode::OK
    );
    let revoked = a
        .admin(Method::DELETE, &format!("/api/auth/keys/{id}"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        with_key(&b_url, "/api/auth/me", &secret, true).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with_key(&a.url, "/api/auth/me", &secret, false).await.0,
        StatusCode::UNAUTHORIZED
    );
    b.stop().await.expect("B stops");
    a.stop().await;
}

const BINARY: &str = env!("CARGO_BIN_EXE_fleetdesk");

/// `fleetdesk key create | list | revoke` against the real binary's server, whose log (at
/// debug level) must never hold a secret, whatever was done with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_the_shell_and_never_in_the_log() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let dir =
        std::env::temp_dir().join(format!("fleetdesk-keys-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let mut server = tokio::process::Command::new(BINARY)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            &database.url,
        ])
        .env("FLEETDESK_ADMIN_EMAIL", "root@depot.example")
        .env("FLEETDESK_ADMIN_PASSWORD", "root-password")
        .env("FLEETDESK_JWT_SECRET", JWT_SECRET)
        .env("FLEETDESK_LOG", "debug")
        .env_remove("FLEETDESK_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let stdout = server.stdout.take().expect("stdout");
    let line = tokio::time::timeout(
        Duration::from_secs(60),
        BufReader::new(stdout).lines().next_line(),
    )
    .await
    .expect("it announces itself")
    .expect("readable")
    .expect("a line");
    let url = line
        .strip_prefix("listening on ")
        .expect("the address")
        .to_string();

    let run = |args: &[&str], password: Option<&str>| {
        let mut command = tokio::process::Command::new(BINARY);
        command
            .args(["--server", &url])
            .args(args)
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("FLEETDESK_TOKEN_STORE", "file")
            .env_remove("FLEETDESK_TOKEN")
            .env_remove("FLEETDESK_PASSWORD")
            .stdin(Stdio::null());
        if let Some(password) = password {
            command.env("FLEETDESK_PASSWORD", password);
        }
        command.output()
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).to_string();

    let before = run(&["key", "list"], None).await.expect("runs");
    assert!(!before.status.success());
    assert!(
        text(&before.stderr).contains("fleetdesk login"),
        "{}",
        text(&before.stderr)
    );
    let login = run(
        &["login", "--email", "root@depot.example"],
        Some("root-password"),
    )
    .await
    .expect("runs");
    assert!(login.status.success(), "{}", text(&login.stderr));

    let created = run(&["key", "create", "hr-sync", "--expires", "90days"], None)
        .await
        .expect("runs");
    assert!(created.status.success(), "{}", text(&created.stderr));
    // The secret alone on stdout, for `SECRET=$(fleetdesk key create …)`.
    let secret = text(&created.stdout).trim().to_string();
    assert!(
        secret.starts_with("fdk_") && secret.len() == 68,
        "{secret:?}"
    );
    assert!(
        text(&created.stderr).contains("not shown again"),
        "{}",
        text(&created.stderr)
    );

    let listed = run(&["key", "list"], None).await.expect("runs");
    let listing = text(&listed.stdout);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        listing.contains("hr-sync") && listing.contains("LAST USED"),
        "{listing}"
    );
    assert!(!listing.contains(&secret[4..]), "{listing}");
    let id = listing
        .lines()
        .find(|line| line.contains("hr-sync"))
        .and_then(|line| line.split_whitespace().next())
        .expect("an id")
        .to_string();

    // Use it every way, right and wrong.
    assert_eq!(
        with_key(&url, "/api/auth/me", &secret, true).await.0,
        StatusCode::OK
    );
    assert_eq!(
        with_key(&url, "/api/admin/dashboard", &secret, false)
            .await
            .0,
        StatusCode::OK
    );
    let mut altered = secret.clone();
    altered.pop();
    altered.push(if secret.ends_with('0') { '1' } else { '0' });
    assert_eq!(
        with_key(&url, "/api/auth/me", &altered, false).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with_key(&url, "/api/auth/me", &secret.to_uppercase(), true)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with_key(&url, &format!("/api/auth/me?key={secret}"), "fdk_", false)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let revoked = run(&["key", "revoke", &id], None).await.expect("runs");
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(text(&revoked.stdout).contains(&format!("revoked API key {id}")));
    assert_eq!(
        with_key(&url, "/api/auth/me", &secret, true).await.0,
        StatusCode::UNAUTHORIZED
    );
    let gone = run(&["key", "list"], None).await.expect("runs");
    assert!(
        text(&gone.stdout).contains("no API keys"),
        "{}",
        text(&gone.stdout)
    );

    drop(server);
    let logged = std::fs::read_to_string(&log_path).expect("the log");
    // The log was really written (requests at info), and holds no secret in any form.
    assert!(logged.contains("/api/auth/keys"), "{logged}");
    for secret in [&secret, &altered, &secret.to_uppercase()] {
        assert!(
            !logged.contains(&secret[4..]),
            "a secret is in the server log"
        );
        assert!(!logged
            .to_lowercase()
            .contains(&secret[4..36].to_lowercase()));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
