//! TLS on both of the server's links: the terminal client to an `https://` server signed by a
//! private CA (the real router behind rustls, a CA made here), and the server to PostgreSQL
//! with `sslmode=require` and `verify-full`.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use common::tls::TestCa;
use common::{config_for, DbKind, TestDatabase, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use fleetdesk::client::{ApiClient, ClientError};
use sqlx::Connection;
use tokio::process::Command;
use tokio::task::JoinHandle;

const BINARY: &str = env!("CARGO_BIN_EXE_fleetdesk");
const TIMEOUT: Duration = Duration::from_secs(30);

/// A directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let path =
            std::env::temp_dir().join(format!("fleetdesk-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("a scratch directory");
        Scratch(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("written");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real fleetdesk router over HTTPS, with a certificate for `localhost` and 127.0.0.1
/// signed by a CA made for the test.
struct HttpsServer {
    url: String,
    ca_file: PathBuf,
    scratch: Scratch,
    task: JoinHandle<std::io::Result<()>>,
    _database: TestDatabase,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn https_server() -> HttpsServer {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let state = fleetdesk::server::open(&config_for(&database.url))
        .await
        .expect("the server's state");
    let app = fleetdesk::server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let ca = TestCa::new("Depot Test CA");
    let cert = ca.server_cert(&["localhost", "127.0.0.1"]);
    let tls = RustlsConfig::from_pem(cert.cert_pem.into_bytes(), cert.key_pem.into_bytes())
        .await
        .expect("a TLS configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("an address").port();
    let server = axum_server::from_tcp_rustls(listener, tls).expect("a TLS server");
    let task = tokio::spawn(server.serve(app));
    let scratch = Scratch::new();
    let ca_file = scratch.write("depot-ca.pem", &ca.cert_pem);
    HttpsServer {
        url: format!("https://localhost:{port}"),
        ca_file,
        scratch,
        task,
        _database: database,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_trusts_a_private_ca_from_ca_file() {
    let server = https_server().await;

    let trusting =
        ApiClient::with_ca_file(&server.url, TIMEOUT, Some(&server.ca_file)).expect("a client");
    let login = trusting
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("signed in over HTTPS");
    let me = trusting.with_token(login.token).me().await.expect("me");
    assert_eq!(me.user.email, ADMIN_EMAIL);

    // Without it, the platform's trust store does not know the CA: refused, and said why.
    let plain = ApiClient::new(&server.url, TIMEOUT).expect("a client");
    let refused = plain
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect_err("an unknown CA is refused");
    assert!(
        refused.to_string().contains("certificate"),
        "the error says it is the certificate: {refused}"
    );

    // A CA file that is missing or holds no certificate is a configuration error.
    let missing =
        ApiClient::with_ca_file(&server.url, TIMEOUT, Some(Path::new("/nonexistent/ca.pem")));
    assert!(
        matches!(missing, Err(ClientError::Config { .. })),
        "{missing:?}"
    );
    let not_pem = server.scratch.write("not-a-ca.pem", "hello\n");
    let not_pem = ApiClient::with_ca_file(&server.url, TIMEOUT, Some(&not_pem));
    assert!(
        matches!(not_pem, Err(ClientError::Config { .. })),
        "{not_pem:?}"
    );
}

/// `fleetdesk login` from the shell, with the environment given.
async fn login_from_the_shell(server: &HttpsServer, env: &[(&str, &Path)]) -> std::process::Output {
    let home = server
        .scratch
        .0
        .join(format!("home-{}", uuid::Uuid::new_v4().simple()));
    let mut command = Command::new(BINARY);
    command
        .args(["--server", &server.url, "login", "--email", ADMIN_EMAIL])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("FLEETDESK_TOKEN_STORE", "file")
        .env("FLEETDESK_PASSWORD", ADMIN_PASSWORD)
        .env_remove("FLEETDESK_TOKEN")
        .env_remove("FLEETDESK_SERVER")
        .env_remove("FLEETDESK_CA_FILE")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().await.expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_over_https_with_a_private_ca_or_the_platform_trust_store() {
    let server = https_server().await;

    let untrusted = login_from_the_shell(&server, &[]).await;
    assert!(!untrusted.status.success());
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("certificate"), "{stderr}");

    let with_ca_file =
        login_from_the_shell(&server, &[("FLEETDESK_CA_FILE", &server.ca_file)]).await;
    assert!(
        with_ca_file.status.success(),
        "{}",
        String::from_utf8_lossy(&with_ca_file.stderr)
    );
    assert!(String::from_utf8_lossy(&with_ca_file.stdout).contains("signed in to"));

    // The platform's store is what the system trusts; OpenSSL's SSL_CERT_FILE points it at our
    // CA here, as an operator's system bundle with the company CA added would.
    let platform = login_from_the_shell(&server, &[("SSL_CERT_FILE", &server.ca_file)]).await;
    assert!(
        platform.status.success(),
        "{}",
        String::from_utf8_lossy(&platform.stderr)
    );

    // A CA file that cannot be read: one line, exit 2.
    let missing = login_from_the_shell(
        &server,
        &[("FLEETDESK_CA_FILE", Path::new("/nonexistent/ca.pem"))],
    )
    .await;
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/ca.pem"), "{stderr}");
}

// ---- the server to PostgreSQL ----

/// `url` with its host replaced and `query` appended.
fn variant(url: &str, host: &str, query: &str) -> String {
    let mut url = url::Url::parse(url).expect("a URL");
    url.set_host(Some(host)).expect("a host");
    url.set_query(Some(query));
    url.to_string()
}

/// Whether a connection made with `url` is encrypted, as the server sees it.
async fn encrypted(url: &str) -> bool {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connects");
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .expect("pg_stat_ssl");
    conn.close().await.expect("closes");
    ssl
}

/// Starts the real server on `url`, checks a signed-in request, stops it.
async fn serves_over(url: &str, database: TestDatabase) -> TestDatabase {
    let url = url.to_string();
    let server = TestServer::start_on(DbKind::Postgres, database, |_| config_for(&url)).await;
    assert_eq!(
        server.get("/api/auth/me").await.status,
        reqwest::StatusCode::OK
    );
    server.stop_keeping_database().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_with_sslmode_require_and_verify_full() {
    // The test's own server: its certificate comes from a CA made here, for localhost and
    // 127.0.0.1, so verify-full can be checked both ways.
    let Some(postgres) = common::throwaway_postgres_or_skip() else {
        return;
    };
    let database = TestDatabase::on_postgres(&postgres.admin_url).await;
    let host = url::Url::parse(&database.url)
        .expect("a URL")
        .host_str()
        .expect("a host")
        .to_string();

    let require = variant(&database.url, &host, "sslmode=require");
    assert!(encrypted(&require).await, "sslmode=require encrypts");
    assert!(!encrypted(&variant(&database.url, &host, "sslmode=disable")).await);
    let database = serves_over(&require, database).await;

    let ca_file = postgres
        .ca_file
        .as_ref()
        .expect("the throwaway server's CA");
    let ca = ca_file.display().to_string();
    let mut database = database;
    for name in ["localhost", "127.0.0.1"] {
        let verified = variant(
            &database.url,
            name,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        );
        assert!(encrypted(&verified).await, "verify-full to {name}");
        database = serves_over(&verified, database).await;
    }

    // A certificate from another CA is refused, as a configuration error naming TLS.
    let scratch = Scratch::new();
    let stranger = scratch.write("other-ca.pem", &TestCa::new("Some Other CA").cert_pem);
    let refused = variant(
        &database.url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", stranger.display()),
    );
    let err = fleetdesk::server::start(config_for(&refused))
        .await
        .err()
        .expect("an unknown CA is refused");
    let config = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<fleetdesk::server::ConfigError>())
        .unwrap_or_else(|| panic!("not a configuration error: {err:?}"));
    assert!(config.0.contains("TLS to the database failed"), "{config}");

    // From the shell: one line on stderr, exit code 2, no backtrace even when asked for.
    let output = Command::new(BINARY)
        .args(["serve", "--bind", "127.0.0.1:0", "--database", &refused])
        .env("FLEETDESK_JWT_SECRET", common::JWT_SECRET)
        .env("RUST_BACKTRACE", "1")
        .env_remove("FLEETDESK_DATABASE_URL")
        .kill_on_drop(true)
        .output()
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("fleetdesk: TLS to the database failed"),
        "{stderr}"
    );
}
