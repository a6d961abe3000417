//! The client's sessions from the shell: `fleetdesk` (the terminal client against the
//! configured server), `fleetdesk login` and `fleetdesk logout`. The token lives in the
//! [`TokenStore`]; the password is never kept.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use color_eyre::eyre::{bail, eyre, Result, WrapErr};

use crate::api::User;
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

/// Opens the terminal client. A kept token that still works signs in straight away;
/// otherwise the client opens on its sign-in screen.
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
    let mut user: Option<User> = None;
    if let Some(token) = kept {
        client.set_token(token);
        match client.me().await {
            Ok(answer) => user = Some(answer.user),
            Err(ClientError::Unauthorized { .. }) => client.clear_token(),
            Err(err) if err.is_retryable() => bail!(
                "cannot reach the server at {}: {}\nStart it with `fleetdesk serve`, or point the \
                 client elsewhere with --server or `server` in the config file.",
                config.server,
                err.user_message()
            ),
            Err(err) => bail!(
                "the server at {} answered: {}",
                config.server,
                err.user_message()
            ),
        }
    }
    let email_hint = user
        .as_ref()
        .map(|user| user.email.clone())
        .or(config.email.clone());
    run(RunOptions {
        client,
        user,
        email_hint,
        theme,
        refresh_every: config.refresh_interval,
        keys,
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
