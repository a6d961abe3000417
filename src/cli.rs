//! The command line: `fleetdesk serve`, `fleetdesk user add`.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use color_eyre::eyre::{bail, Result, WrapErr};

use crate::api::SystemRole;
use crate::config::{Config, ConfigOverrides};
use crate::server::limits::{self, Limits};
use crate::server::{self, BootstrapAdmin, ServeConfig, DEFAULT_BIND};
use crate::store::{Store, StoreError};
use crate::tui::Theme;

#[derive(Parser, Debug)]
#[command(
    name = "fleetdesk",
    version,
    about = "Vehicle and technician dispatch for depots"
)]
pub struct Cli {
    /// The client's config file [default: config.toml in the config directory].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// The server the client talks to (beats FLEETDESK_SERVER and the config file).
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Without a command: the terminal client.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The terminal client and the demo own the terminal; their logs go to a file.
    pub fn uses_terminal(&self) -> bool {
        self.command.as_ref().is_none_or(Command::uses_terminal)
    }
}

// Parsed once at start; boxing the server's many settings would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP API server.
    Serve(ServeArgs),
    /// Manage users straight in the database.
    #[command(subcommand)]
    User(UserCommand),
    /// Copy a SQLite database to PATH while the server runs: a consistent snapshot that
    /// `--database sqlite://PATH` opens as it is. (PostgreSQL: use pg_dump.)
    Backup(BackupArgs),
    /// Try it with nothing set up: a demo depot server in-process and the terminal client,
    /// all removed on quit.
    Demo,
    /// Sign in from the shell and keep the token (the password is never stored).
    Login(LoginArgs),
    /// Forget the kept token.
    Logout,
    /// API keys for scripts, made with the kept sign-in (`fleetdesk login`).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Export a list for spreadsheets and scripts (CSV or JSON), with the kept sign-in.
    Export(ExportArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportWhat {
    Assignments,
    Vehicles,
    Technicians,
    /// The activity log.
    Activity,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// What to export, newest first (assignments, activity) or by name.
    #[arg(value_enum)]
    pub what: ExportWhat,
    /// Assignments: active or returned; vehicles: in_service, in_shop or out_of_service;
    /// technicians: free or busy.
    #[arg(long)]
    pub status: Option<String>,
    /// Assignments assigned, or events, since then: a day (2026-11-01), an RFC 3339 time or
    /// a duration ago (7days).
    #[arg(long, value_name = "WHEN", value_parser = crate::export::parse_since)]
    pub since: Option<chrono::DateTime<Utc>>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: crate::export::Format,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Make a key; its secret goes to stdout, once.
    Create {
        /// What the key is for, e.g. hr-sync.
        name: String,
        /// When it stops working: 2027-01-01, an RFC 3339 time, or a duration like 90days
        /// [default: never].
        #[arg(long, value_name = "WHEN", value_parser = crate::session::parse_expiry)]
        expires: Option<chrono::DateTime<Utc>>,
    },
    /// List your keys that are not revoked.
    List,
    /// Revoke a key, at once on every server instance.
    Revoke {
        /// The key's id, from `fleetdesk key list`.
        id: i64,
    },
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The e-mail address [default: the last one used].
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from FLEETDESK_PASSWORD instead of asking (scripts).
    #[arg(long, env = "FLEETDESK_PASSWORD", hide_env_values = true, hide = true)]
    pub password: Option<String>,
}

impl Command {
    /// Commands that own the terminal; their logs must go to a file, never the screen.
    pub fn uses_terminal(&self) -> bool {
        matches!(self, Command::Demo)
    }
}

#[derive(Args, Debug)]
pub struct DatabaseArg {
    /// sqlite://PATH or postgres://USER@HOST/DB [default: fleetdesk.db in the data directory]
    #[arg(long = "database", env = "FLEETDESK_DATABASE_URL")]
    pub url: Option<String>,
}

impl DatabaseArg {
    pub fn resolve(&self) -> Result<String> {
        match &self.url {
            Some(url) => Ok(url.clone()),
            None => default_database_url(),
        }
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 lets the system pick one.
    #[arg(long, env = "FLEETDESK_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    #[command(flatten)]
    pub database: DatabaseArg,
    /// Fill an empty database with the demo data set.
    #[arg(long)]
    pub demo: bool,
    /// Token signing secret (at least 32 characters).
    #[arg(
        long,
        env = "FLEETDESK_JWT_SECRET",
        hide_env_values = true,
        hide = true
    )]
    pub jwt_secret: Option<String>,
    /// How long a sign-in token stays valid, e.g. 12h, 30m, 7days.
    #[arg(long, env = "FLEETDESK_TOKEN_TTL", default_value = "12h", value_parser = humantime::parse_duration)]
    pub token_ttl: Duration,
    /// How long events (the activity log) are kept, e.g. 400days, 90days, 12h.
    #[arg(long, env = "FLEETDESK_EVENT_RETENTION", default_value = "400days", value_parser = humantime::parse_duration)]
    pub event_retention: Duration,
    #[arg(long, env = "FLEETDESK_ADMIN_EMAIL", hide = true)]
    pub admin_email: Option<String>,
    #[arg(
        long,
        env = "FLEETDESK_ADMIN_PASSWORD",
        hide_env_values = true,
        hide = true
    )]
    pub admin_password: Option<String>,
    #[arg(
        long,
        env = "FLEETDESK_ADMIN_NAME",
        default_value = "Administrator",
        hide = true
    )]
    pub admin_name: String,
    /// Reverse proxies (addresses or networks, e.g. 10.0.0.5 or 10.0.0.0/8) whose
    /// X-Forwarded-For names the client; from anyone else the header is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "ADDR",
        num_args = 1..,
        env = "FLEETDESK_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = server::proxy::parse_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// On SIGTERM, answer /readyz with 503 for this long before closing, so a load balancer
    /// stops sending work first, e.g. 5s.
    #[arg(long, env = "FLEETDESK_DRAIN_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub drain_delay: Duration,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one client may take from the server (README: "Limits and failure behaviour").
#[derive(Args, Debug)]
pub struct LimitArgs {
    /// A request's line and headers must arrive within this, from their first byte (or from
    /// the connection's start).
    #[arg(long, env = "FLEETDESK_HEADER_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub header_timeout: Duration,
    /// A kept-alive connection with no request is closed after this.
    #[arg(long, env = "FLEETDESK_IDLE_TIMEOUT", default_value = "60s", value_parser = positive_duration)]
    pub idle_timeout: Duration,
    /// A request's body must arrive, and its answer start, within this.
    #[arg(long, env = "FLEETDESK_REQUEST_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    pub request_timeout: Duration,
    /// Connections served at once; more get 503 at once. Keep it below the file limit.
    #[arg(long, env = "FLEETDESK_MAX_CONNECTIONS", default_value_t = limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = positive_count)]
    pub max_connections: usize,
    /// Password checks (Argon2) at once [default: the number of cores].
    #[arg(long, env = "FLEETDESK_LOGIN_CONCURRENCY", value_parser = positive_count)]
    pub login_concurrency: Option<usize>,
    /// How long a sign-in waits for a password check before it gets 503.
    #[arg(long, env = "FLEETDESK_LOGIN_WAIT", default_value = "2s", value_parser = humantime::parse_duration)]
    pub login_wait: Duration,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            request_timeout: self.request_timeout,
            max_connections: self.max_connections,
            login_concurrency: self.login_concurrency.unwrap_or_else(limits::cores),
            login_wait: self.login_wait,
        }
    }
}

fn positive_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(count) => Ok(count),
        Err(err) => Err(err.to_string()),
    }
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("must be longer than 0".to_string()),
        Ok(duration) => Ok(duration),
        Err(err) => Err(err.to_string()),
    }
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Where the copy goes; it must not exist yet.
    pub path: std::path::PathBuf,
    #[command(flatten)]
    pub database: DatabaseArg,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is asked for on the terminal or read from FLEETDESK_PASSWORD.
    Add(UserAddArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Admin,
    Technician,
    /// Reads everything an admin reads, changes nothing (supervisors).
    Viewer,
}

impl From<RoleArg> for SystemRole {
    fn from(role: RoleArg) -> SystemRole {
        match role {
            RoleArg::Admin => SystemRole::Admin,
            RoleArg::Technician => SystemRole::Technician,
            RoleArg::Viewer => SystemRole::Viewer,
        }
    }
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[arg(long, env = "FLEETDESK_PASSWORD", hide_env_values = true, hide = true)]
    pub password: Option<String>,
}

/// Where the terminal client writes its log: the user's state directory.
pub fn log_file_path() -> std::path::PathBuf {
    directories::ProjectDirs::from("", "", "fleetdesk")
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .join("fleetdesk.log")
        })
        .unwrap_or_else(|| std::env::temp_dir().join("fleetdesk.log"))
}

/// `fleetdesk.db` in the user's data directory.
pub fn default_database_url() -> Result<String> {
    let dirs = directories::ProjectDirs::from("", "", "fleetdesk").ok_or_else(|| {
        color_eyre::eyre::eyre!("cannot find a home directory for the database; pass --database")
    })?;
    let path = dirs.data_dir().join("fleetdesk.db");
    Ok(format!("sqlite://{}", path.display()))
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::User(UserCommand::Add(args))) => user_add(args).await,
        Some(Command::Backup(args)) => backup(args).await,
        Some(Command::Demo) => {
            let setting = crate::config::Theme::from_environment(&|name| std::env::var(name).ok());
            crate::demo::run_demo(Theme::from_setting(setting)).await
        }
        Some(Command::Login(args)) => {
            let config = load_config(cli.config.as_deref(), cli.server)?;
            crate::session::login(&config, args.email, args.password).await
        }
        Some(Command::Logout) => {
            let config = load_config(cli.config.as_deref(), cli.server)?;
            crate::session::logout(&config)
        }
        Some(Command::Key(command)) => {
            let config = load_config(cli.config.as_deref(), cli.server)?;
            match command {
                KeyCommand::Create { name, expires } => {
                    crate::session::key_create(&config, name, expires).await
                }
                KeyCommand::List => crate::session::key_list(&config).await,
                KeyCommand::Revoke { id } => crate::session::key_revoke(&config, id).await,
            }
        }
        Some(Command::Export(args)) => {
            let config = load_config(cli.config.as_deref(), cli.server)?;
            crate::session::export(&config, args).await
        }
        None => {
            let config = load_config(cli.config.as_deref(), cli.server)?;
            crate::session::open_client(&config, Theme::from_setting(config.theme)).await
        }
    }
}

fn load_config(path: Option<&std::path::Path>, server: Option<String>) -> Result<Config> {
    let overrides = ConfigOverrides {
        server,
        ..ConfigOverrides::default()
    };
    Ok(Config::load(
        path,
        &|name| std::env::var(name).ok(),
        overrides,
    )?)
}

async fn serve(args: ServeArgs) -> Result<()> {
    let bootstrap_admin = match (args.admin_email, args.admin_password) {
        (Some(email), Some(password)) => Some(BootstrapAdmin {
            email,
            password,
            name: args.admin_name,
        }),
        (Some(_), None) | (None, Some(_)) => {
            return Err(server::ConfigError(
                "set both FLEETDESK_ADMIN_EMAIL and FLEETDESK_ADMIN_PASSWORD, or neither".into(),
            )
            .into())
        }
        (None, None) => None,
    };
    let config = ServeConfig {
        bind: args.bind,
        database_url: args.database.resolve()?,
        jwt_secret: args.jwt_secret,
        token_ttl: args.token_ttl,
        bootstrap_admin,
        demo: args.demo,
        event_retention: args.event_retention,
        event_keep_alive: server::events::DEFAULT_KEEP_ALIVE,
        event_backlog: server::events::DEFAULT_BACKLOG,
        trusted_proxies: args.trusted_proxies,
        limits: args.limits.limits(),
        signed_in_max_age: server::signed_in::DEFAULT_MAX_AGE,
    };
    let running = server::start(config).await?;
    // The one line on stdout; scripts read the real port from it.
    println!("listening on {}", running.url());
    notify_systemd(&[sd_notify::NotifyState::Ready]);
    shutdown_signal().await;
    running.drain();
    notify_systemd(&[sd_notify::NotifyState::Stopping]);
    if !args.drain_delay.is_zero() {
        tracing::info!(delay = ?args.drain_delay, "draining: /readyz answers 503");
        tokio::time::sleep(args.drain_delay).await;
    }
    tracing::info!("shutting down: finishing requests in flight");
    running.stop().await
}

/// Tells systemd (`Type=notify`) how the service is doing; nothing without NOTIFY_SOCKET.
fn notify_systemd(states: &[sd_notify::NotifyState]) {
    if let Err(err) = sd_notify::notify(states) {
        tracing::warn!(%err, "cannot notify systemd");
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

async fn backup(args: BackupArgs) -> Result<()> {
    let url = args.database.resolve()?;
    let config_error =
        |message: String| -> color_eyre::Report { server::ConfigError(message).into() };
    match crate::store::Backend::from_url(&url) {
        Some(crate::store::Backend::Sqlite) => {}
        Some(crate::store::Backend::Postgres) => {
            return Err(config_error(
                "backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. \
                 pg_dump --format=custom --file=fleetdesk.dump \"$FLEETDESK_DATABASE_URL\""
                    .to_string(),
            ))
        }
        None => {
            return Err(config_error(
                "unsupported database URL: use sqlite://PATH".to_string(),
            ))
        }
    }
    let Some(source) = server::sqlite_path(&url) else {
        return Err(config_error(
            "an in-memory database has nothing to back up".to_string(),
        ));
    };
    if !source.exists() {
        return Err(config_error(format!(
            "there is no database at {}",
            source.display()
        )));
    }
    if args.path.exists() {
        return Err(config_error(format!(
            "{} exists already; give a new file name",
            args.path.display()
        )));
    }
    let store = Store::open(&url)
        .await
        .wrap_err("cannot open the database")?;
    let result = store.backup_sqlite(&args.path).await;
    store.close().await;
    result.wrap_err_with(|| format!("cannot write the backup {}", args.path.display()))?;
    println!("backed up {} to {}", source.display(), args.path.display());
    Ok(())
}

fn read_new_password() -> Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on: set FLEETDESK_PASSWORD");
    }
    let first = rpassword::prompt_password("Password: ").wrap_err("cannot read the password")?;
    let second =
        rpassword::prompt_password("Password again: ").wrap_err("cannot read the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

async fn user_add(args: UserAddArgs) -> Result<()> {
    let url = args.database.resolve()?;
    if let Some(path) = server::sqlite_path(&url) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
    }
    let password = match args.password {
        Some(password) => password,
        None => read_new_password()?,
    };
    let record =
        server::new_user_record(&args.name, &args.email, &password, args.role.into()).await?;
    let store = Store::open(&url)
        .await
        .wrap_err("cannot open the database")?;
    let result = store.create_user(&record, None, Utc::now()).await;
    store.close().await;
    match result {
        Ok(user) => {
            println!(
                "created user {} <{}> with role {} (id {})",
                user.name,
                user.email,
                user.role.as_str(),
                user.id
            );
            Ok(())
        }
        Err(StoreError::Taken(_)) => bail!("a user with the e-mail {} already exists", args.email),
        Err(err) => Err(err.into()),
    }
}
