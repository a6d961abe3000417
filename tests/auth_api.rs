//! Section 1 of API.md: sign-in, tokens, roles.

mod common;

use common::{TestServer, ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET};
use fleetdesk::server::auth::TokenKeys;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

async fn login_returns_token_expiry_and_user(s: &TestServer) {
    let reply = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body["token"]
        .as_str()
        .is_some_and(|t| t.split('.').count() == 3));
    let expires: chrono::DateTime<chrono::Utc> = reply.body["expiresAt"]
        .as_str()
        .expect("expiresAt")
        .parse()
        .expect("RFC 3339");
    let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (11.9..=12.1).contains(&hours),
        "default lifetime is 12h, got {hours}"
    );
    assert_eq!(reply.body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(reply.body["user"]["role"], "admin");
    assert!(reply.body["user"].get("password").is_none());
    assert!(reply.body["user"].get("passwordHash").is_none());

    // E-mails compare without case.
    let token = s.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
    let me = s
        .call(Method::GET, "/api/auth/me", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], ADMIN_EMAIL);
}

async fn wrong_password_and_unknown_email_look_the_same(s: &TestServer) {
    let wrong = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": "nope-nope"})),
        )
        .await;
    let unknown = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "nobody@depot.example", "password": "nope-nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.error_code(), "unauthorized");
}

async fn login_body_must_have_string_fields(s: &TestServer) {
    for body in [
        json!({"email": ADMIN_EMAIL}),
        json!({"password": "x"}),
        json!({"email": 5, "password": "x"}),
        json!([]),
    ] {
        let reply = s
            .call(Method::POST, "/api/auth/login", None, Some(body.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "validation");
    }
}

async fn repeated_failures_are_rate_limited(s: &TestServer) {
    let victim = "victim@depot.example";
    s.create_user("Vic Tim", victim, "technician").await;
    for _ in 0..5 {
        let reply = s
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": victim, "password": "guess-guess"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // Locked now, even with the right password.
    let reply = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": victim, "password": "password-123"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error_code(), "rate_limited");
    let retry_after: u64 = reply.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry_after));
    // Another account from the same address is not locked by that.
    s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

async fn tokens_are_checked(s: &TestServer) {
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), Duration::from_secs(60));
    let now = chrono::Utc::now().timestamp();
    let expired = keys
        .issue_with_times(1, now - 7200, now - 3600)
        .expect("a token");
    let other_secret = TokenKeys::new(
        b"another-secret-another-secret-0123456789",
        Duration::from_secs(60),
    );
    let forged = other_secret
        .issue_with_times(1, now, now + 3600)
        .expect("a token");
    let valid_for_missing_user = keys
        .issue_with_times(999_999, now, now + 3600)
        .expect("a token");
    for (what, token) in [
        ("expired", Some(expired.as_str())),
        ("wrongly signed", Some(forged.as_str())),
        ("malformed", Some("not.a.jwt")),
        ("unknown user", Some(valid_for_missing_user.as_str())),
        ("missing", None),
    ] {
        let reply = s
            .call(Method::GET, "/api/admin/vehicles", token, None)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what} token");
        assert_eq!(reply.error_code(), "unauthorized");
    }
    let reply = s
        .http
        .get(format!("{}/api/auth/me", s.url))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    // The scheme is case-insensitive.
    let reply = s
        .http
        .get(format!("{}/api/auth/me", s.url))
        .header("authorization", format!("bearer {}", s.admin_token))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::OK);
}

async fn technicians_may_not_use_admin_routes(s: &TestServer) {
    s.create_user("Tina Tech", "tina@depot.example", "technician")
        .await;
    let token = s.login("tina@depot.example", "password-123").await;
    let me = s
        .call(Method::GET, "/api/auth/me", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["role"], "technician");
    for path in [
        "/api/admin/vehicles",
        "/api/admin/assignments",
        "/api/admin/dashboard",
        "/api/admin/users",
        "/api/admin/technicians",
    ] {
        let reply = s.call(Method::GET, path, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(reply.error_code(), "forbidden");
    }
}

async fn a_demoted_admin_loses_access_at_once(s: &TestServer) {
    let id = s.create_user("Ex Admin", "ex@depot.example", "admin").await;
    let token = s.login("ex@depot.example", "password-123").await;
    assert_eq!(
        s.call(Method::GET, "/api/admin/vehicles", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );
    s.set_role(id, "technician").await;
    assert_eq!(
        s.call(Method::GET, "/api/admin/vehicles", Some(&token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

on_both_databases!(
    login_returns_token_expiry_and_user,
    wrong_password_and_unknown_email_look_the_same,
    login_body_must_have_string_fields,
    repeated_failures_are_rate_limited,
    tokens_are_checked,
    technicians_may_not_use_admin_routes,
    a_demoted_admin_loses_access_at_once,
);

/// Two instances on one database, each keeping signed-in users in memory for an hour: an admin
/// demoted through A is refused by B too, once the change's event reaches B (not after the
/// hour), and at once by A.
async fn a_demotion_reaches_another_instance_through_its_event(kind: common::DbKind) {
    let keep_for_an_hour = |url: &str| {
        let mut config = common::config_for(url);
        config.signed_in_max_age = Duration::from_secs(3600);
        config
    };
    let Some(database) = common::TestDatabase::try_new(kind).await else {
        return;
    };
    let a = TestServer::start_on(kind, database, keep_for_an_hour).await;
    let b = fleetdesk::server::start(keep_for_an_hour(&a.database.url))
        .await
        .expect("a second instance");
    let on_b = |token: String| {
        let request = a
            .http
            .get(format!("{}/api/admin/vehicles", b.url()))
            .bearer_auth(token);
        async move { request.send().await.expect("B answers").status() }
    };
    let id = a.create_user("Ex Admin", "ex@depot.example", "admin").await;
    let token = a.login("ex@depot.example", "password-123").await;
    assert_eq!(
        on_b(token.clone()).await,
        StatusCode::OK,
        "B knows the admin"
    );
    a.set_role(id, "technician").await;
    let on_a = a
        .call(Method::GET, "/api/admin/vehicles", Some(&token), None)
        .await;
    assert_eq!(on_a.status, StatusCode::FORBIDDEN, "A refuses at once");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = on_b(token.clone()).await;
        if status == StatusCode::FORBIDDEN {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            std::time::Instant::now() < deadline,
            "B still lets the demoted admin in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.stop().await.expect("B stops");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_reaches_another_instance_through_its_event_sqlite() {
    a_demotion_reaches_another_instance_through_its_event(common::DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_reaches_another_instance_through_its_event_postgres() {
    a_demotion_reaches_another_instance_through_its_event(common::DbKind::Postgres).await;
}
