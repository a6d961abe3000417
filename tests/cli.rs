//! The real binary: `fleetdesk serve` and `fleetdesk user add` as a user runs them.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{DbKind, TestDatabase, TestServer, JWT_SECRET};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_fleetdesk");

fn fleetdesk() -> Command {
    let mut command = Command::new(BINARY);
    for variable in [
        "FLEETDESK_BIND",
        "FLEETDESK_DATABASE_URL",
        "FLEETDESK_JWT_SECRET",
        "FLEETDESK_TOKEN_TTL",
        "FLEETDESK_ADMIN_EMAIL",
        "FLEETDESK_ADMIN_PASSWORD",
        "FLEETDESK_ADMIN_NAME",
        "FLEETDESK_PASSWORD",
        "FLEETDESK_HEADER_TIMEOUT",
        "FLEETDESK_IDLE_TIMEOUT",
        "FLEETDESK_REQUEST_TIMEOUT",
        "FLEETDESK_MAX_CONNECTIONS",
        "FLEETDESK_LOGIN_CONCURRENCY",
        "FLEETDESK_LOGIN_WAIT",
    ] {
        command.env_remove(variable);
    }
    command.kill_on_drop(true);
    command
}

/// Starts `fleetdesk serve` and reads the URL from its one stdout line.
async fn serve(database_url: &str, extra_env: &[(&str, &str)]) -> (Child, String) {
    let mut command = fleetdesk();
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--database", database_url])
        .env("FLEETDESK_ADMIN_EMAIL", "root@depot.example")
        .env("FLEETDESK_ADMIN_PASSWORD", "root-password")
        .env("FLEETDESK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the server announces itself within a minute")
        .expect("stdout is readable")
        .expect("one line");
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    (child, url)
}

async fn login(url: &str, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("the server answers")
}

fn terminate(child: &Child) {
    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test]
async fn serve_announces_its_port_bootstraps_the_admin_and_stops_on_sigterm() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let (mut child, url) = serve(&database.url, &[]).await;
    let reply = login(&url, "root@depot.example", "root-password").await;
    assert_eq!(reply.status(), StatusCode::OK);

    // The signing secret made on first start sits beside the database, private.
    let path = fleetdesk::server::sqlite_path(&database.url).expect("a file URL");
    let secret = std::path::PathBuf::from(format!("{}.jwt-secret", path.display()));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&secret)
            .expect("secret file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    terminate(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("exit status");
    assert!(status.success(), "exit 0 after SIGTERM, got {status}");

    // Restarting keeps the secret, so the token issued before still works.
    let token: Value = reply.json().await.expect("JSON");
    let (child, url) = serve(&database.url, &[]).await;
    let me = reqwest::Client::new()
        .get(format!("{url}/api/auth/me"))
        .bearer_auth(token["token"].as_str().expect("token"))
        .send()
        .await
        .expect("answer");
    assert_eq!(me.status(), StatusCode::OK);
    drop(child);
}

/// Runs `fleetdesk serve` that must refuse to start; returns its stderr after checking the
/// exit code (2) and that it is one line without a backtrace, even with RUST_BACKTRACE=1.
async fn refused_config(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = fleetdesk();
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("RUST_BACKTRACE", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().await.expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{args:?}: one line: {stderr}"
    );
    assert!(stderr.starts_with("fleetdesk: "), "{stderr}");
    assert!(
        !stderr.contains("BACKTRACE") && !stderr.contains("Location"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");
    stderr
}

#[tokio::test]
async fn configuration_errors_are_one_line_and_exit_code_2() {
    let secret = [("FLEETDESK_JWT_SECRET", JWT_SECRET)];
    let postgres = "postgres://postgres@127.0.0.1:5432/postgres";
    let stderr = refused_config(&["--database", postgres], &[]).await;
    assert!(
        stderr.contains("FLEETDESK_JWT_SECRET is required with PostgreSQL"),
        "{stderr}"
    );
    let stderr = refused_config(&["--database", "mysql://x"], &[]).await;
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    let stderr = refused_config(
        &["--database", "sqlite::memory:"],
        &[("FLEETDESK_JWT_SECRET", "short")],
    )
    .await;
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
    let stderr = refused_config(
        &["--database", "postgres://postgres@127.0.0.1:notaport/x"],
        &secret,
    )
    .await;
    assert!(
        stderr.contains("the database URL is not usable"),
        "{stderr}"
    );
    let stderr = refused_config(
        &["--database", &format!("{postgres}?sslmode=sometimes")],
        &secret,
    )
    .await;
    assert!(
        stderr.contains("the database URL is not usable"),
        "{stderr}"
    );
    // A certificate file that is not there is named before any connection is tried.
    let stderr = refused_config(
        &[
            "--database",
            &format!("{postgres}?sslmode=verify-full&sslrootcert=/nonexistent/root.crt"),
        ],
        &secret,
    )
    .await;
    assert!(
        stderr.contains("cannot read sslrootcert /nonexistent/root.crt"),
        "{stderr}"
    );
    let stderr = refused_config(
        &[
            "--database",
            &format!("{postgres}?sslmode=verify-full&sslrootcert={}", file!()),
        ],
        &secret,
    )
    .await;
    assert!(stderr.contains("holds no PEM certificate"), "{stderr}");
    let stderr = refused_config(
        &["--database", "sqlite::memory:"],
        &[("FLEETDESK_ADMIN_EMAIL", "root@depot.example")],
    )
    .await;
    assert!(stderr.contains("FLEETDESK_ADMIN_PASSWORD"), "{stderr}");
    let stderr = refused_config(
        &["--database", "sqlite::memory:"],
        &[("FLEETDESK_LOG_FORMAT", "xml")],
    )
    .await;
    assert!(stderr.contains("FLEETDESK_LOG_FORMAT"), "{stderr}");
}

#[tokio::test]
async fn limits_come_from_the_environment_and_nonsense_is_refused() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let (mut child, url) = serve(
        &database.url,
        &[
            ("FLEETDESK_JWT_SECRET", JWT_SECRET),
            ("FLEETDESK_HEADER_TIMEOUT", "1s"),
        ],
    )
    .await;
    // A connection that sends nothing is closed after the configured second, not the default 10.
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(
        Duration::from_secs(8),
        tokio::io::AsyncReadExt::read(&mut stream, &mut buffer),
    )
    .await
    .expect("closed well before the default header timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    terminate(&child);
    let _ = child.wait().await;

    for (flag, value, says) in [
        ("--max-connections", "0", "must be at least 1"),
        ("--login-concurrency", "0", "must be at least 1"),
        ("--header-timeout", "0s", "must be longer than 0"),
        ("--request-timeout", "soon", "--request-timeout"),
    ] {
        let output = fleetdesk()
            .args(["serve", "--database", "sqlite::memory:", flag, value])
            .output()
            .await
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(says),
            "{flag} {value}: {stderr}"
        );
    }
}

#[tokio::test]
async fn user_add_writes_a_user_that_can_sign_in() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let output = fleetdesk()
        .args([
            "user",
            "add",
            "--email",
            "dee@depot.example",
            "--name",
            "Dee Spatch",
            "--role",
            "admin",
            "--database",
            &database.url,
        ])
        .env("FLEETDESK_PASSWORD", "dee-password")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("created user Dee Spatch <dee@depot.example> with role admin"));

    // The same e-mail twice is refused.
    let again = fleetdesk()
        .args([
            "user",
            "add",
            "--email",
            "DEE@depot.example",
            "--name",
            "Dee Two",
            "--role",
            "technician",
            "--database",
            &database.url,
        ])
        .env("FLEETDESK_PASSWORD", "dee-password")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // No password and no terminal: a clear error, nothing asked.
    let no_password = fleetdesk()
        .args([
            "user",
            "add",
            "--email",
            "x@depot.example",
            "--name",
            "X",
            "--role",
            "technician",
            "--database",
            &database.url,
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    assert!(!no_password.status.success());
    assert!(String::from_utf8_lossy(&no_password.stderr).contains("FLEETDESK_PASSWORD"));

    let server = TestServer::start_on(DbKind::Sqlite, database, common::config_for).await;
    let token = server.login("dee@depot.example", "dee-password").await;
    assert!(!token.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn demo_fills_an_empty_database_and_refuses_a_full_one() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let (child, url) = serve(&database.url, &[("FLEETDESK_JWT_SECRET", JWT_SECRET)]).await;
    drop(child);
    // Now it has the bootstrap admin: --demo must refuse it.
    let output = fleetdesk()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "--database",
            &database.url,
        ])
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--demo needs an empty database"));
    let _ = url;

    let fresh = TestDatabase::new(DbKind::Sqlite).await;
    let (child, url) = {
        let mut command = fleetdesk();
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--demo",
                "--database",
                &fresh.url,
            ])
            .stdout(Stdio::piped());
        let mut child = command.spawn().expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .expect("readable")
            .expect("a line");
        (child, line.replace("listening on ", ""))
    };
    let reply = login(&url, "dispatch@depot.example", "demo-password").await;
    assert_eq!(reply.status(), StatusCode::OK);
    let token: Value = reply.json().await.expect("JSON");
    let summary: Value = reqwest::Client::new()
        .get(format!("{url}/api/admin/dashboard"))
        .bearer_auth(token["token"].as_str().expect("token"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let summary = &summary["summary"];
    assert!(
        summary["vehicles"].as_i64().is_some_and(|n| n >= 40),
        "{summary}"
    );
    assert!(
        summary["technicians"].as_i64().is_some_and(|n| n >= 25),
        "{summary}"
    );
    assert!(
        summary["activeAssignments"].as_i64().is_some_and(|n| n > 0),
        "{summary}"
    );
    drop(child);
}

/// Two server processes on one PostgreSQL database: the rule still holds across them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_let_exactly_one_create_through() {
    let Some(database) = TestDatabase::try_new(DbKind::Postgres).await else {
        return;
    };
    let env = [("FLEETDESK_JWT_SECRET", JWT_SECRET)];
    // Started together: migrations run under PostgreSQL's advisory lock.
    let ((first, first_url), (second, second_url)) =
        tokio::join!(serve(&database.url, &env), serve(&database.url, &env));
    let token: Value = login(&first_url, "root@depot.example", "root-password")
        .await
        .json()
        .await
        .expect("JSON");
    let token = token["token"].as_str().expect("token").to_string();
    let http = reqwest::Client::new();
    let post = |url: String, path: &str, body: Value| {
        http.post(format!("{url}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let van: Value = post(
        first_url.clone(),
        "/api/admin/vehicles",
        json!({"name": "Van 1", "licensePlate": "V 1"}),
    )
    .await
    .expect("answer")
    .json()
    .await
    .expect("JSON");
    let van = van["vehicle"]["id"].as_i64().expect("id");
    let mut technicians = Vec::new();
    for index in 0..50 {
        let user: Value = post(
            second_url.clone(),
            "/api/admin/users",
            json!({"name": format!("Tech {index}"), "email": format!("t{index}@depot.example"), "password": "password-123", "role": "technician"}),
        )
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
        technicians.push(user["user"]["id"].as_i64().expect("id"));
    }
    let handles: Vec<_> = technicians
        .iter()
        .enumerate()
        .map(|(index, technician)| {
            let url = if index % 2 == 0 {
                first_url.clone()
            } else {
                second_url.clone()
            };
            let (http, token) = (http.clone(), token.clone());
            let body = json!({"vehicleId": van, "technicianId": technician});
            tokio::spawn(async move {
                http.post(format!("{url}/api/admin/assignments"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("answer")
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("task"));
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 49), "{statuses:?}");
    let active: Value = http
        .get(format!("{second_url}/api/admin/assignments?status=active"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(active["assignments"].as_array().expect("array").len(), 1);
    drop((first, second));
}

/// `fleetdesk login` keeps the token (here in the file store), `logout` removes it.
#[tokio::test]
async fn login_and_logout_from_the_shell() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let (child, url) = serve(&database.url, &[("FLEETDESK_JWT_SECRET", JWT_SECRET)]).await;
    let home =
        std::env::temp_dir().join(format!("fleetdesk-home-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&home).expect("a home");
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = fleetdesk();
        command
            .args(args)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("FLEETDESK_TOKEN_STORE", "file")
            .env_remove("FLEETDESK_TOKEN")
            .stdin(Stdio::null());
        if let Some(password) = password {
            command.env("FLEETDESK_PASSWORD", password);
        }
        command.output()
    };
    let wrong = run(
        &["--server", &url, "login", "--email", "root@depot.example"],
        Some("nope-nope"),
    )
    .await
    .expect("runs");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong e-mail or password"));

    let login = run(
        &["--server", &url, "login", "--email", "root@depot.example"],
        Some("root-password"),
    )
    .await
    .expect("runs");
    let stdout = String::from_utf8_lossy(&login.stdout);
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    assert!(
        stdout.contains("signed in to") && stdout.contains("token kept in file"),
        "{stdout}"
    );
    let token_file = home.join("state").join("fleetdesk").join("token");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&token_file)
            .expect("token file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let kept = std::fs::read_to_string(&token_file).expect("readable");
    assert!(
        !kept.contains("root-password"),
        "the password is never stored"
    );
    // The e-mail is remembered for next time.
    let config = std::fs::read_to_string(home.join("config").join("fleetdesk").join("config.toml"))
        .expect("config");
    assert!(config.contains("root@depot.example"));

    let logout = run(&["--server", &url, "logout"], None)
        .await
        .expect("runs");
    assert!(logout.status.success());
    assert!(String::from_utf8_lossy(&logout.stdout).contains("signed out"));
    let left = std::fs::read_to_string(&token_file).unwrap_or_default();
    assert!(
        !left.contains(&url),
        "the token for this server is gone: {left}"
    );
    let _ = std::fs::remove_dir_all(&home);
    drop(child);
}

/// A file removed when the test ends, also when it fails.
struct RemovedOnDrop(std::path::PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// As a systemd service would run it: JSON logs, readiness told over `NOTIFY_SOCKET`, and on
/// SIGTERM `/readyz` answers 503 for the drain delay before the server stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_json_notifies_systemd_and_drains_before_stopping() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let socket_path = std::env::temp_dir().join(format!(
        "fleetdesk-notify-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let socket = tokio::net::UnixDatagram::bind(&socket_path).expect("a notify socket");
    let _remove_socket = RemovedOnDrop(socket_path.clone());
    let mut command = fleetdesk();
    command
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            &database.url,
        ])
        .args(["--drain-delay", "2s"])
        .env("FLEETDESK_LOG_FORMAT", "json")
        .env("FLEETDESK_LOG", "info")
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let mut notices = Vec::new();
    let mut buffer = [0u8; 256];
    let received = tokio::time::timeout(Duration::from_secs(60), socket.recv(&mut buffer))
        .await
        .expect("systemd hears from it within a minute")
        .expect("a datagram");
    notices.push(String::from_utf8_lossy(&buffer[..received]).to_string());
    assert_eq!(notices[0].trim(), "READY=1");
    let stdout = child.stdout.take().expect("piped stdout");
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("readable")
        .expect("a line");
    let url = line
        .strip_prefix("listening on ")
        .expect("the address")
        .to_string();

    let http = reqwest::Client::new();
    let health = http
        .get(format!("{url}/healthz"))
        .header("x-request-id", "probe-42")
        .send()
        .await
        .expect("an answer");
    assert_eq!(health.status(), StatusCode::OK);

    let started = std::time::Instant::now();
    terminate(&child);
    let received = tokio::time::timeout(Duration::from_secs(10), socket.recv(&mut buffer))
        .await
        .expect("told systemd it stops")
        .expect("a datagram");
    assert_eq!(
        String::from_utf8_lossy(&buffer[..received]).trim(),
        "STOPPING=1"
    );
    let ready = http
        .get(format!("{url}/readyz"))
        .send()
        .await
        .expect("still serving while draining");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "draining");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after the drain delay")
        .expect("exit status");
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "drained for the delay first"
    );

    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(
        &mut child.stderr.take().expect("piped stderr"),
        &mut stderr,
    )
    .await
    .expect("readable");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect();
    let request_log = lines
        .iter()
        .find(|line| line["span"]["id"] == "probe-42" && line["fields"]["status"] == 200)
        .unwrap_or_else(|| panic!("no request line with id and status: {stderr}"));
    assert_eq!(request_log["level"], "INFO");
    assert_eq!(request_log["span"]["path"], "/healthz");
    assert_eq!(request_log["span"]["client"], "127.0.0.1");
    assert!(
        request_log["fields"]["latency"].is_string(),
        "{request_log}"
    );
}

/// A config file that gives one key two actions stops the client before it starts: one line
/// naming the file, the line and both actions, and exit code 2 like any setting to fix.
#[tokio::test]
async fn a_key_bound_twice_is_refused_with_its_line() {
    let home =
        std::env::temp_dir().join(format!("fleetdesk-keys-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&home).expect("a home");
    let config = home.join("clash.toml");
    std::fs::write(&config, "# my keys\n[keys]\nrefresh = \"n\"\n").expect("written");
    let output = fleetdesk()
        .arg("--config")
        .arg(&config)
        .env("HOME", &home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("FLEETDESK_TOKEN_STORE", "memory")
        .env_remove("FLEETDESK_TOKEN")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a setting to fix: {stderr}");
    assert!(
        stderr.contains(&format!("{}:3: keys.refresh = \"n\"", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("`new`"), "{stderr}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `FLEETDESK_TOKEN` is used whatever `token_store` says, `memory` included: a command from the
/// shell signs in with it and nothing is written.
#[tokio::test]
async fn the_environment_token_wins_under_every_token_store() {
    let server = TestServer::start(DbKind::Sqlite).await;
    let home = std::env::temp_dir().join(format!(
        "fleetdesk-env-token-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&home).expect("a home");
    for store in ["memory", "file", "keyring-only", "auto"] {
        let output = fleetdesk()
            .args(["--server", &server.url, "key", "list"])
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("FLEETDESK_TOKEN_STORE", store)
            .env("FLEETDESK_TOKEN", &server.admin_token)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "token_store = {store}: {stdout} {stderr}"
        );
        assert_eq!(stdout.trim(), "no API keys", "token_store = {store}");
    }
    assert!(!home.join("state").exists(), "nothing was written");
    let _ = std::fs::remove_dir_all(&home);
    server.stop().await;
}
