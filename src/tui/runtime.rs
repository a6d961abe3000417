//! Owns the terminal and runs what `update` asks for: each request is a tokio task whose
//! answer comes back as an event. Draws only after an event that changed something.

use std::io::Write;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::app::App;
use super::keys::KeyMap;
use super::message::{Command, Event, Response};
use super::requests::execute;
use super::theme::Theme;
use crate::api::User;
use crate::client::ApiClient;

/// Called with each new token after a sign-in, to keep it (keyring, file, or nowhere).
pub type TokenSink = Box<dyn Fn(&str) + Send>;

pub struct RunOptions {
    pub client: ApiClient,
    /// Who the token belongs to; None opens the sign-in screen first.
    pub user: Option<User>,
    pub email_hint: Option<String>,
    pub theme: Theme,
    pub refresh_every: Duration,
    pub keep_token: TokenSink,
    pub keys: KeyMap,
}

/// Puts the terminal back: raw mode off, cursor shown, main screen, mouse and paste off.
pub fn restore_terminal() {
    let _ = ratatui::try_restore();
    let mut stdout = std::io::stdout();
    let _ = crossterm::execute!(
        stdout,
        crossterm::event::DisableMouseCapture,
        crossterm::event::DisableBracketedPaste,
        crossterm::cursor::Show
    );
    let _ = stdout.flush();
}

/// Wraps the panic hook (color-eyre's) so a panic restores the terminal fully before the
/// report is printed.
fn install_panic_restore() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

pub async fn run(options: RunOptions) -> Result<()> {
    let RunOptions {
        mut client,
        user,
        email_hint,
        theme,
        refresh_every,
        keep_token,
        keys,
    } = options;
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        color_eyre::eyre::bail!(
            "the terminal client needs a terminal; for scripts use the HTTP API or `fleetdesk login`"
        );
    }
    // Set up by hand rather than `ratatui::try_init`: its panic hook restores with a call
    // that panics itself when the terminal has hung up, which would abort before cleanup.
    install_panic_restore();
    crossterm::terminal::enable_raw_mode().wrap_err("cannot set up the terminal")?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)
        .wrap_err("cannot set up the terminal")?;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
            .wrap_err("cannot set up the terminal")?;
    let settings = LoopSettings {
        keys,
        user,
        email_hint,
        theme,
        refresh_every,
    };
    let result = event_loop(&mut terminal, &mut client, settings, &keep_token).await;
    restore_terminal();
    // Its Drop shows the cursor and eprintln!s on failure, which panics on a hung-up terminal.
    std::mem::forget(terminal);
    result
}

struct LoopSettings {
    keys: KeyMap,
    user: Option<User>,
    email_hint: Option<String>,
    theme: Theme,
    refresh_every: Duration,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    client: &mut ApiClient,
    settings: LoopSettings,
    keep_token: &TokenSink,
) -> Result<()> {
    let LoopSettings {
        keys,
        user,
        email_hint,
        theme,
        refresh_every,
    } = settings;
    let mut app =
        App::new(client.base_url().to_string(), user, refresh_every.as_secs()).with_keys(keys);
    let (sender, mut answers) = mpsc::unbounded_channel::<Response>();
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let first = app.start();
    if let Some(email) = email_hint {
        app.prefill_email(&email);
    }
    for command in first {
        spawn(client, &sender, command);
    }
    // A closed SSH session (SIGHUP) or a service stop (SIGTERM) ends the client like `q`,
    // so the terminal is restored and temporary files are removed.
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .wrap_err("cannot listen for SIGHUP")?;
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .wrap_err("cannot listen for SIGTERM")?;
    loop {
        if app.needs_draw() {
            terminal.draw(|frame| app.draw(theme, frame))?;
            app.drawn();
        }
        let event = tokio::select! {
            input = events.next() => match input {
                Some(Ok(TermEvent::Key(key))) => Event::Key(key),
                Some(Ok(TermEvent::Resize(width, height))) => Event::Resize(width, height),
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err).wrap_err("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(answer) = answers.recv() => {
                if let Response::SignedIn(Ok((token, _))) = &answer {
                    client.set_token(token.clone());
                    keep_token(token);
                }
                Event::Response(Box::new(answer))
            },
            _ = ticker.tick() => Event::Tick,
            _ = hangup.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
        };
        for command in app.update(event) {
            if command == Command::Quit {
                return Ok(());
            }
            spawn(client, &sender, command);
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

/// Runs one command as a task; its answer comes back on `sender`.
fn spawn(client: &ApiClient, sender: &mpsc::UnboundedSender<Response>, command: Command) {
    let client = client.clone();
    let sender = sender.clone();
    tokio::spawn(async move {
        let answer = execute(&client, command).await;
        // The loop may have ended; then nobody needs the answer.
        let _ = sender.send(answer);
    });
}
