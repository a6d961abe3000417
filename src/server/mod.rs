//! `fleetdesk serve`: the HTTP API of API.md on axum.

pub mod api_keys;
pub mod assignments;
pub mod auth;
pub mod connections;
pub mod demo_data;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod proxy;
pub mod roles;
pub mod search;
pub mod signed_in;
pub mod users;
pub mod vehicles;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Router};
use chrono::Utc;
use color_eyre::eyre::{eyre, Result, WrapErr};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::SystemRole;
use crate::domain::fleet::{check_email, check_password, check_text, email_key, NAME_MAX};
use crate::store::{Backend, Store, StoreError, UserRecord};
use auth::{LoginLimiter, PasswordGate, TokenKeys};
use error::ApiError;
use extract::BODY_LIMIT_BYTES;
use limits::Limits;
use metrics::Metrics;
use proxy::TrustedProxies;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const MIN_SECRET_LENGTH: usize = 32;

/// A setting the server cannot start with (`fleetdesk serve` exits 2 with this one line).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn config_error(message: impl Into<String>) -> color_eyre::Report {
    ConfigError(message.into()).into()
}

#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub store: Store,
    pub tokens: TokenKeys,
    pub limiter: LoginLimiter,
    /// Runs every Argon2 computation, a few at a time.
    pub passwords: PasswordGate,
    pub limits: Limits,
    /// Verified against when the e-mail is unknown, so both failures take as long.
    pub dummy_hash: String,
    pub events: Arc<events::EventHub>,
    /// Users behind bearer tokens, read moments ago.
    pub signed_in: Arc<signed_in::SignedInUsers>,
    /// How often an idle event stream sends a comment.
    pub event_keep_alive: Duration,
    pub metrics: Metrics,
    pub trusted_proxies: TrustedProxies,
    /// Set once shutting down: `/readyz` answers 503 from then on.
    pub draining: AtomicBool,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub bind: String,
    pub database_url: String,
    pub jwt_secret: Option<String>,
    pub token_ttl: Duration,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    pub demo: bool,
    /// Events older than this are pruned.
    pub event_retention: Duration,
    /// The comment an idle event stream sends this often keeps proxies from closing it.
    pub event_keep_alive: Duration,
    /// Batches of events a stream may fall behind before it reads the table instead.
    pub event_backlog: usize,
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub limits: Limits,
    /// How long a signed-in user is served from memory at most (see `signed_in`).
    pub signed_in_max_age: Duration,
}

impl ServeConfig {
    pub fn new(database_url: impl Into<String>) -> ServeConfig {
        ServeConfig {
            bind: DEFAULT_BIND.to_string(),
            database_url: database_url.into(),
            jwt_secret: None,
            token_ttl: Duration::from_secs(12 * 3600),
            bootstrap_admin: None,
            demo: false,
            event_retention: events::DEFAULT_RETENTION,
            event_keep_alive: events::DEFAULT_KEEP_ALIVE,
            event_backlog: events::DEFAULT_BACKLOG,
            trusted_proxies: Vec::new(),
            limits: Limits::default(),
            signed_in_max_age: signed_in::DEFAULT_MAX_AGE,
        }
    }
}

/// Every route the server serves, each with its OpenAPI description: the one list of routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::render))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(auth::login))
        .routes(routes!(auth::me))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(search::search))
        .routes(routes!(vehicles::list, vehicles::create))
        .routes(routes!(vehicles::get, vehicles::update, vehicles::delete))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(users::technicians))
        .routes(routes!(assignments::list, assignments::create))
        .routes(routes!(assignments::get))
        .routes(routes!(assignments::return_assignment))
        .routes(routes!(assignments::dashboard))
        .routes(routes!(events::activity))
        .routes(routes!(events::stream))
        .routes(routes!(
            roles::list_organizations,
            roles::create_organization
        ))
        .routes(routes!(roles::list_assignments))
        .routes(routes!(roles::save_assignment))
        .routes(routes!(roles::resolve))
        .routes(routes!(roles::delete_assignment))
        .routes(routes!(roles::user_roles))
}

pub fn router(state: AppState) -> Router {
    let limits = state.limits;
    let (routes, _) = routes().split_for_parts();
    routes
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(limits, limits::guard))
        // Outermost last: the request id, then the request log inside it, then the metrics.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(extract::trace_layer(state.trusted_proxies.clone()))
        .layer(middleware::from_fn(extract::request_id))
        .with_state(state)
}

async fn unknown_endpoint(method: Method, uri: Uri) -> Response {
    let error = ApiError::NotFound(format!("There is no endpoint {method} {}.", uri.path()));
    in_the_right_body(uri.path(), error)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let error = ApiError::MethodNotAllowed(format!("{} does not accept {method}.", uri.path()));
    in_the_right_body(uri.path(), error)
}

/// Answers under `/api/users/` keep the role API's envelope, even for unknown routes; the
/// user search (`/api/users` itself) answers like the rest of the API.
pub(crate) fn in_the_right_body(path: &str, error: ApiError) -> Response {
    if path.starts_with("/api/users/") {
        roles::RoleError::from(error).into_response()
    } else {
        error.into_response()
    }
}

/// A server that is accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub events: Arc<events::EventHub>,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    upkeep: JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on `/readyz` answers 503, so a load balancer sends no new work; requests are
    /// still served until [`RunningServer::stop`].
    pub fn drain(&self) {
        self.state.draining.store(true, Ordering::Relaxed);
    }

    /// Stops accepting, lets requests in flight finish, closes the pool.
    pub async fn stop(mut self) -> Result<()> {
        self.drain();
        // Event streams never end by themselves; they must close for the server to stop.
        self.events.close();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let served = (&mut self.task).await;
        self.upkeep.abort();
        self.store.close().await;
        served
            .wrap_err("the server task failed")?
            .wrap_err("the server stopped with an error")
    }
}

/// Opens the database (running migrations) and prepares everything the router needs.
pub async fn open(config: &ServeConfig) -> Result<AppState> {
    let backend = Backend::from_url(&config.database_url).ok_or_else(|| {
        let scheme = config.database_url.split(':').next().unwrap_or_default();
        config_error(format!(
            "unsupported database URL (scheme {scheme:?}): use sqlite://PATH or postgres://..."
        ))
    })?;
    if let Some(path) = sqlite_path(&config.database_url) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| {
                config_error(format!(
                    "cannot create the database's directory {}: {err}",
                    parent.display()
                ))
            })?;
        }
    }
    if backend == Backend::Postgres {
        check_tls_files(&config.database_url)?;
    }
    let secret = resolve_secret(config, backend)?;
    let store = Store::open(&config.database_url)
        .await
        .map_err(opening_failed)?;
    if config.demo {
        demo_data::load(&store).await?;
    }
    if let Some(admin) = &config.bootstrap_admin {
        bootstrap_admin(&store, admin).await?;
    }
    let dummy_hash = tokio::task::spawn_blocking(|| auth::hash_password("not a real password"))
        .await?
        .map_err(|err| eyre!(err))?;
    let signed_in = Arc::new(signed_in::SignedInUsers::new(config.signed_in_max_age));
    let hub = events::EventHub::start(
        &store,
        config.event_retention,
        config.event_backlog,
        signed_in.clone(),
    )
    .await
    .map_err(|err| eyre!("cannot follow the event log: {err}"))?;
    Ok(AppState(Arc::new(AppInner {
        store,
        tokens: TokenKeys::new(&secret, config.token_ttl),
        limiter: LoginLimiter::default(),
        passwords: PasswordGate::new(config.limits.login_concurrency, config.limits.login_wait),
        limits: config.limits,
        dummy_hash,
        events: hub,
        signed_in,
        event_keep_alive: config.event_keep_alive,
        metrics: Metrics::new(),
        trusted_proxies: TrustedProxies::new(config.trusted_proxies.clone()),
        draining: AtomicBool::new(false),
    })))
}

/// Opens the database, prepares it, binds and starts serving.
pub async fn start(config: ServeConfig) -> Result<RunningServer> {
    let state = open(&config).await?;
    let listener = TcpListener::bind(&config.bind)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(connections::serve(listener, app, config.limits, async {
        let _ = stopped.await;
    }));
    let handle = state.metrics.handle().clone();
    let upkeep = tokio::spawn(async move {
        let mut interval = tokio::time::interval(metrics::UPKEEP_INTERVAL);
        loop {
            interval.tick().await;
            handle.run_upkeep();
        }
    });
    Ok(RunningServer {
        addr,
        store: state.store.clone(),
        events: state.events.clone(),
        state,
        shutdown: Some(shutdown),
        task,
        upkeep,
    })
}

/// A database that cannot be opened for a reason in its URL is a configuration error.
fn opening_failed(err: StoreError) -> color_eyre::Report {
    match err {
        StoreError::UnsupportedUrl(_) => config_error(err.to_string()),
        StoreError::Database(sqlx::Error::Configuration(cause)) => {
            config_error(format!("the database URL is not usable: {cause}"))
        }
        StoreError::Database(sqlx::Error::Tls(cause)) => tls_failed(&cause.to_string()),
        // A certificate the handshake refused surfaces as an I/O error around rustls' own.
        StoreError::Database(sqlx::Error::Io(cause))
            if cause
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            tls_failed(&cause.to_string())
        }
        other => eyre!(other).wrap_err("cannot open the database"),
    }
}

fn tls_failed(cause: &str) -> color_eyre::Report {
    config_error(format!(
        "TLS to the database failed: {cause} (check sslmode, sslrootcert and the host name in \
         the database URL)"
    ))
}

/// The certificate and key files a PostgreSQL URL names must be readable before we connect,
/// so that a typo is reported as such rather than as a failed handshake.
fn check_tls_files(database_url: &str) -> Result<()> {
    let Ok(url) = url::Url::parse(database_url) else {
        // sqlx reports what is wrong with it.
        return Ok(());
    };
    for (key, value) in url.query_pairs() {
        let named_file = matches!(
            key.as_ref(),
            "sslrootcert"
                | "ssl-root-cert"
                | "ssl-ca"
                | "sslcert"
                | "ssl-cert"
                | "sslkey"
                | "ssl-key"
        );
        if named_file {
            let text = std::fs::read(value.as_ref())
                .map_err(|err| config_error(format!("cannot read {key} {value}: {err}")))?;
            let is_root = matches!(key.as_ref(), "sslrootcert" | "ssl-root-cert" | "ssl-ca");
            if is_root
                && !text
                    .windows(27)
                    .any(|w| w == b"-----BEGIN CERTIFICATE-----")
            {
                return Err(config_error(format!(
                    "{key} {value} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                )));
            }
        }
    }
    Ok(())
}

/// The file of a `sqlite://PATH` URL, without its query; None for other URLs and memory.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn resolve_secret(config: &ServeConfig, backend: Backend) -> Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        if secret.len() < MIN_SECRET_LENGTH {
            return Err(config_error(format!(
                "FLEETDESK_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters long"
            )));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    match backend {
        Backend::Postgres => Err(config_error(
            "FLEETDESK_JWT_SECRET is required with PostgreSQL: every server instance must \
             sign tokens with the same secret",
        )),
        Backend::Sqlite => match sqlite_path(&config.database_url) {
            Some(path) => secret_beside(&path),
            None => Ok(random_secret()?.into_bytes()),
        },
    }
}

/// 32 random bytes as hex: a signing secret.
pub fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| eyre!("no random source: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The secret kept beside the SQLite file (made on first start, mode 0600).
fn secret_beside(database: &Path) -> Result<Vec<u8>> {
    let mut name = database.as_os_str().to_owned();
    name.push(".jwt-secret");
    let path = PathBuf::from(name);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_LENGTH => {
            return Ok(text.trim().as_bytes().to_vec())
        }
        Ok(_) => {
            return Err(config_error(format!(
                "{} is too short to be a signing secret",
                path.display()
            )))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(config_error(format!(
                "cannot read the signing secret {}: {err}",
                path.display()
            )))
        }
    }
    let secret = random_secret()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .wrap_err_with(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{secret}")?;
    tracing::info!(path = %path.display(), "created a new token signing secret");
    Ok(secret.into_bytes())
}

/// Creates the first admin from the environment when no user has that e-mail yet.
async fn bootstrap_admin(store: &Store, admin: &BootstrapAdmin) -> Result<()> {
    let key = email_key(&admin.email);
    if store.user_exists_with_email(&key).await? {
        return Ok(());
    }
    let user = new_user_record(
        &admin.name,
        &admin.email,
        &admin.password,
        SystemRole::Admin,
    )
    .await?;
    match store.create_user(&user, None, Utc::now()).await {
        Ok(_) => tracing::info!(email = %admin.email, "created the first admin"),
        // Another instance starting at the same time made it first.
        Err(StoreError::Taken(_)) => {}
        Err(err) => return Err(err.into()),
    }
    Ok(())
}

/// Checks the fields and hashes the password, for users made outside the HTTP API.
pub async fn new_user_record(
    name: &str,
    email: &str,
    password: &str,
    role: SystemRole,
) -> Result<UserRecord> {
    check_text("name", name, NAME_MAX).map_err(|err| eyre!(err))?;
    check_email(email).map_err(|err| eyre!(err))?;
    check_password(password).map_err(|err| eyre!(err))?;
    let password = password.to_string();
    let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await?
        .map_err(|err| eyre!(err))?;
    Ok(UserRecord {
        name: name.to_string(),
        email: email.to_string(),
        email_key: email_key(email),
        password_hash,
        role,
    })
}
