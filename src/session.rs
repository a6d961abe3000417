//! The client's sessions from the shell: `fleetdesk` (the terminal client against the
//! configured server), `fleetdesk login` and `fleetdesk logout`. The token lives in the
//! [`TokenStore`]; the password is never kept.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use color_eyre::eyre::{bail, eyre, Result, WrapErr};

use crate::api::events::{ActivityQuery, Event};
use crate::api::{
    Assignment, AssignmentStatus, ServiceStatus, TechnicianListItem, VehicleListItem,
};
use crate::client::{ApiClient, ClientError};
use crate::config::Config;
use crate::credentials::TokenStore;
use crate::tui::{run, KeyMap, RunOptions, Theme};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

fn token_store(config: &Config) -> TokenStore {
    // While the client owns the screen, a notice on stderr would garble it: log it instead.
    TokenStore::open(config.token_store, &config.server)
        .with_warning_sink(|notice| tracing::warn!("{notice}"))
}

fn client_for(config: &Config) -> Result<ApiClient> {
    Ok(ApiClient::with_ca_file(
        &config.server,
        REQUEST_TIMEOUT,
        config.ca_file.as_deref(),
    )?)
}

fn remember_email(config: &Config, email: &str) {
    let path = config.file.clone().or_else(Config::default_path);
    if let Some(path) = path {
        if let Err(err) = Config::remember_email(&path, email) {
            tracing::warn!(%err, "could not remember the e-mail address");
        }
    }
}

/// Opens the terminal client. With a kept token the screen opens at once and asks the server
/// whose it is (offline with retries while the server cannot be reached; the sign-in screen
/// if the token no longer works); without one, on its sign-in screen.
pub async fn open_client(config: &Config, theme: Theme) -> Result<()> {
    let keys = KeyMap::from_config(config)?;
    let store = std::sync::Arc::new(token_store(config));
    let mut client = client_for(config)?;
    // Keyrings answer over D-Bus or syscalls: kept off the async threads.
    let reader = store.clone();
    let kept = tokio::task::spawn_blocking(move || reader.load())
        .await?
        .unwrap_or_else(|err| {
            tracing::warn!(%err, "could not read the kept token");
            None
        });
    let check_token = kept.is_some();
    if let Some(token) = kept {
        client.set_token(token);
    }
    let email_hint = config.email.clone();
    run(RunOptions {
        client,
        user: None,
        check_token,
        email_hint,
        theme,
        refresh_every: config.refresh_interval,
        keys,
        export_dir: config.export_dir.clone(),
        keep_token: Box::new(move |token| {
            let (store, token) = (store.clone(), token.to_string());
            tokio::task::spawn_blocking(move || {
                if let Err(err) = store.save(&token) {
                    tracing::warn!(%err, "could not keep the token");
                }
            });
        }),
    })
    .await
}

fn ask(prompt: &str) -> Result<String> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{prompt}")?;
    stderr.flush()?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .wrap_err("cannot read from the terminal")?;
    Ok(line.trim().to_string())
}

/// `fleetdesk login`: asks for the password without echo, keeps the token.
pub async fn login(config: &Config, email: Option<String>, password: Option<String>) -> Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let email = match email.or_else(|| config.email.clone()) {
        Some(email) => email,
        None if interactive => ask("E-mail: ")?,
        None => bail!("no e-mail address: pass --email"),
    };
    let password = match password {
        Some(password) => password,
        None if interactive => rpassword::prompt_password(format!("Password for {email}: "))
            .wrap_err("cannot read the password")?,
        None => bail!("no terminal to ask for the password on: set FLEETDESK_PASSWORD"),
    };
    let client = client_for(config)?;
    let answer = client
        .login(&email, &password)
        .await
        .map_err(|err| match err {
            ClientError::Unauthorized { .. } => eyre!("wrong e-mail or password"),
            err => eyre!(
                "cannot sign in at {}: {}",
                config.server,
                err.user_message()
            ),
        })?;
    let store = token_store(config);
    store
        .save(&answer.token)
        .wrap_err("signed in, but the token could not be kept")?;
    remember_email(config, &answer.user.email);
    println!(
        "signed in to {} as {} ({}); token kept in {}, valid until {}",
        config.server,
        answer.user.email,
        answer.user.role.as_str(),
        store.describe(),
        answer.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}

/// `fleetdesk logout`: forgets the kept token for the configured server.
pub fn logout(config: &Config) -> Result<()> {
    let store = token_store(config);
    store.clear().wrap_err("could not remove the kept token")?;
    println!(
        "signed out of {}; removed the token from {}",
        config.server,
        store.describe()
    );
    Ok(())
}

/// A client signed in with the kept token, for commands run from the shell.
async fn kept_sign_in(config: &Config) -> Result<ApiClient> {
    let store = token_store(config);
    let token = store
        .load()
        .wrap_err("could not read the kept token")?
        .ok_or_else(|| {
            eyre!(
                "not signed in to {}: run `fleetdesk login` first",
                config.server
            )
        })?;
    Ok(client_for(config)?.with_token(token))
}

fn shell_error(config: &Config, err: ClientError) -> color_eyre::Report {
    match err {
        ClientError::Unauthorized { message } => eyre!(
            "{message} (signed in to {}? run `fleetdesk login`)",
            config.server
        ),
        err => eyre!("{}: {}", config.server, err.user_message()),
    }
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    at.map_or_else(
        || none.to_string(),
        |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// `fleetdesk key create NAME [--expires WHEN]`: the secret alone on stdout (for scripts),
/// everything else on stderr.
pub async fn key_create(
    config: &Config,
    name: String,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    let client = kept_sign_in(config).await?;
    let created = client
        .create_api_key(&crate::api::access::NewApiKey { name, expires_at })
        .await
        .map_err(|err| shell_error(config, err))?;
    eprintln!(
        "made API key {} {:?} ({}); keep the secret now, it is not shown again:",
        created.key.id,
        created.key.name,
        match created.key.expires_at {
            Some(_) => format!("expires {}", when(created.key.expires_at, "")),
            None => "does not expire".to_string(),
        }
    );
    println!("{}", created.secret);
    Ok(())
}

/// `fleetdesk key list`: the signed-in user's keys that are not revoked.
pub async fn key_list(config: &Config) -> Result<()> {
    let client = kept_sign_in(config).await?;
    let keys = client
        .api_keys()
        .await
        .map_err(|err| shell_error(config, err))?
        .keys;
    if keys.is_empty() {
        println!("no API keys");
        return Ok(());
    }
    let name_width = keys
        .iter()
        .map(|key| key.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    println!(
        "{:>6}  {:<name_width$}  {:<20}  {:<20}  LAST USED",
        "ID", "NAME", "CREATED", "EXPIRES"
    );
    for key in keys {
        println!(
            "{:>6}  {:<name_width$}  {:<20}  {:<20}  {}",
            key.id,
            key.name,
            when(Some(key.created_at), ""),
            when(key.expires_at, "never"),
            when(key.last_used_at, "never"),
        );
    }
    Ok(())
}

/// `fleetdesk key revoke ID`: at once, on every server instance.
pub async fn key_revoke(config: &Config, id: i64) -> Result<()> {
    let client = kept_sign_in(config).await?;
    client
        .revoke_api_key(id)
        .await
        .map_err(|err| shell_error(config, err))?;
    println!("revoked API key {id}");
    Ok(())
}

/// When a key expires: `2027-01-01`, an RFC 3339 time, or a duration from now (`90days`).
pub fn parse_expiry(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let text = text.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let duration = humantime::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a date (2027-01-01), a time (RFC 3339) or a duration (90days)")
    })?;
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|duration| chrono::Utc::now().checked_add_signed(duration))
        .ok_or_else(|| format!("{text:?} is too far ahead"))
}

/// `fleetdesk export`: one list as CSV or JSON, written as the pages arrive.
pub async fn export(config: &Config, args: crate::cli::ExportArgs) -> Result<()> {
    use crate::cli::ExportWhat;
    use crate::export::{Columns, RecordWriter};
    let client = kept_sign_in(config).await?;
    let out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .wrap_err_with(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let fail = |err: ClientError| shell_error(config, err);
    let since_not = |what: &str| -> Result<()> {
        if args.since.is_some() {
            bail!("--since applies to assignments and activity, not to {what}");
        }
        Ok(())
    };
    let (count, what) = match args.what {
        ExportWhat::Assignments => {
            let status = match args.status.as_deref() {
                None => None,
                Some(text) => Some(AssignmentStatus::parse(text).ok_or_else(|| {
                    eyre!("--status for assignments is active or returned, not {text:?}")
                })?),
            };
            let mut writer = RecordWriter::new(args.format, out, Assignment::HEADER)?;
            let (mut count, mut before) = (0usize, None);
            'pages: loop {
                let page = client
                    .assignments(status, Some(EXPORT_PAGE), before)
                    .await
                    .map_err(fail)?;
                for assignment in &page.assignments {
                    // Newest first: the first one older than --since ends the export.
                    if args
                        .since
                        .is_some_and(|since| assignment.assigned_date < since)
                    {
                        break 'pages;
                    }
                    writer.record(&assignment.fields(), assignment)?;
                    count += 1;
                }
                match page.next_before.next_before() {
                    Some(next) => before = Some(next),
                    None => break,
                }
            }
            writer.finish()?;
            (count, "assignments")
        }
        ExportWhat::Vehicles => {
            since_not("vehicles")?;
            let status = match args.status.as_deref() {
                None => None,
                Some(text) => Some(ServiceStatus::parse(text).ok_or_else(|| {
                    eyre!(
                        "--status for vehicles is in_service, in_shop or out_of_service, not {text:?}"
                    )
                })?),
            };
            let vehicles = client.vehicles().await.map_err(fail)?.vehicles;
            let mut writer = RecordWriter::new(args.format, out, VehicleListItem::HEADER)?;
            let mut count = 0;
            for item in vehicles
                .iter()
                .filter(|item| status.is_none_or(|status| item.vehicle.service_status == status))
            {
                writer.record(&item.fields(), item)?;
                count += 1;
            }
            writer.finish()?;
            (count, "vehicles")
        }
        ExportWhat::Technicians => {
            since_not("technicians")?;
            let busy = match args.status.as_deref() {
                None => None,
                Some("free") => Some(false),
                Some("busy") => Some(true),
                Some(text) => bail!("--status for technicians is free or busy, not {text:?}"),
            };
            let technicians = client.technicians().await.map_err(fail)?.technicians;
            let mut writer = RecordWriter::new(args.format, out, TechnicianListItem::HEADER)?;
            let mut count = 0;
            for item in technicians
                .iter()
                .filter(|item| busy.is_none_or(|busy| item.active_assignment.is_some() == busy))
            {
                writer.record(&item.fields(), item)?;
                count += 1;
            }
            writer.finish()?;
            (count, "technicians")
        }
        ExportWhat::Activity => {
            if args.status.is_some() {
                bail!("--status applies to assignments, vehicles and technicians, not to activity");
            }
            let mut writer = RecordWriter::new(args.format, out, Event::HEADER)?;
            let (mut count, mut before) = (0usize, None);
            loop {
                let page = client
                    .activity(&ActivityQuery {
                        limit: Some(EXPORT_PAGE),
                        before,
                        since: args.since,
                        ..ActivityQuery::default()
                    })
                    .await
                    .map_err(fail)?;
                for event in &page.events {
                    writer.record(&event.fields(), event)?;
                    count += 1;
                }
                match page.next_before {
                    Some(next) => before = Some(next),
                    None => break,
                }
            }
            writer.finish()?;
            (count, "events")
        }
    };
    let whither = match &args.output {
        Some(path) => path.display().to_string(),
        None => "standard output".to_string(),
    };
    eprintln!("exported {count} {what} to {whither}");
    Ok(())
}

/// Records asked for per request: the API's largest page.
const EXPORT_PAGE: i64 = 1000;
