//! Owns the terminal and runs what `update` asks for: each request is a tokio task whose
//! answer comes back as an event; the live stream is one more task, reopened with the new
//! token after a sign-in and resumed from the last event. Draws only after events that
//! changed something: events that arrive together are applied first and drawn once, and
//! frames caused by the stream come at most every [`FRAME_GAP`]; keys draw at once.

use std::io::Write;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::app::App;
use super::keys::KeyMap;
use super::message::{Command, Event, Response, StreamUpdate};
use super::output::{Capabilities, HonestBackend};
use super::requests::execute;
use super::theme::Theme;
use crate::api::User;
use crate::client::{ApiClient, ClientError};

/// The terminal, written within what it can show.
type Screen = ratatui::Terminal<HonestBackend<std::io::Stdout>>;

/// The least time between two frames that no key asked for (a burst of changes).
pub const FRAME_GAP: Duration = Duration::from_millis(16);
/// Events applied before a frame is drawn, at most, when many arrive at once.
const BATCH: usize = 512;

/// Called with each new token after a sign-in, to keep it (keyring, file, or nowhere).
pub type TokenSink = Box<dyn Fn(&str) + Send>;

pub struct RunOptions {
    pub client: ApiClient,
    /// Who the token belongs to; None opens the sign-in screen first, unless `check_token`.
    pub user: Option<User>,
    /// The client holds a kept token nobody has checked yet: the screen opens at once and
    /// the server is asked whose it is (offline with retries while it cannot be reached).
    pub check_token: bool,
    pub email_hint: Option<String>,
    pub theme: Theme,
    pub refresh_every: Duration,
    pub keep_token: TokenSink,
    pub keys: KeyMap,
    /// Where `x` writes; None: the current directory.
    pub export_dir: Option<std::path::PathBuf>,
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
        check_token,
        email_hint,
        theme,
        refresh_every,
        keep_token,
        keys,
        export_dir,
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
    let caps = Capabilities::from_environment(&|name| std::env::var(name).ok());
    let mut terminal = ratatui::Terminal::new(HonestBackend::new(std::io::stdout(), caps))
        .wrap_err("cannot set up the terminal")?;
    let settings = LoopSettings {
        keys,
        user,
        check_token,
        email_hint,
        theme,
        refresh_every,
        export_dir,
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
    check_token: bool,
    email_hint: Option<String>,
    theme: Theme,
    refresh_every: Duration,
    export_dir: Option<std::path::PathBuf>,
}

async fn event_loop(
    terminal: &mut Screen,
    client: &mut ApiClient,
    settings: LoopSettings,
    keep_token: &TokenSink,
) -> Result<()> {
    let LoopSettings {
        keys,
        user,
        check_token,
        email_hint,
        theme,
        refresh_every,
        export_dir,
    } = settings;
    let mut app = App::new(client.base_url().to_string(), user, refresh_every.as_secs())
        .with_keys(keys)
        .with_export_dir(export_dir);
    if check_token {
        app = app.with_kept_token();
    }
    run_app(terminal, client, &mut app, (email_hint, theme), keep_token).await
}

/// The stream's task, stopped when dropped (a new token, signing in again, quitting).
struct Following(tokio::task::JoinHandle<()>);

impl Drop for Following {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_app(
    terminal: &mut Screen,
    client: &mut ApiClient,
    app: &mut App,
    (email_hint, theme): (Option<String>, Theme),
    keep_token: &TokenSink,
) -> Result<()> {
    let (sender, mut answers) = mpsc::unbounded_channel::<Response>();
    let (stream_sender, mut changes) = mpsc::unbounded_channel::<StreamUpdate>();
    let mut stream: Option<Following> = None;
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
    let far = || tokio::time::Instant::now() + Duration::from_secs(3600);
    let mut pending_draw = true;
    let mut last_frame: Option<Instant> = None;
    loop {
        // The stream follows the sign-in: open while someone is signed in, closed while the
        // sign-in dialog asks again (the token went bad).
        match (&stream, app.wants_stream()) {
            (None, true) => {
                stream = Some(Following(tokio::spawn(follow(
                    client.clone(),
                    app.last_event_id(),
                    stream_sender.clone(),
                ))));
            }
            (Some(_), false) => stream = None,
            _ => {}
        }
        let frame_due = last_frame.map(|at| at + FRAME_GAP);
        if pending_draw && frame_due.is_none_or(|due| Instant::now() >= due) {
            terminal.draw(|frame| app.draw(theme, frame))?;
            app.drawn();
            pending_draw = false;
            last_frame = Some(Instant::now());
        }
        let draw_at = match (pending_draw, frame_due) {
            (true, Some(due)) => tokio::time::Instant::from_std(due),
            _ => far(),
        };
        let wake_at = app
            .next_wake()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(far);
        let mut key = false;
        let event = tokio::select! {
            input = events.next() => match input {
                Some(Ok(TermEvent::Key(pressed))) => {
                    key = true;
                    Event::Key(pressed)
                }
                Some(Ok(TermEvent::Resize(width, height))) => Event::Resize(width, height),
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err).wrap_err("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(answer) = answers.recv() => {
                if let Response::SignedIn(Ok((token, _))) = &answer {
                    client.set_token(token.clone());
                    keep_token(token);
                    // The stream opens again with the new token, resuming where it was.
                    stream = None;
                }
                Event::Response(Box::new(answer))
            },
            Some(change) = changes.recv() => Event::Stream(Box::new(change)),
            _ = ticker.tick() => Event::Tick,
            _ = tokio::time::sleep_until(wake_at) => Event::Wake,
            _ = tokio::time::sleep_until(draw_at) => continue,
            _ = hangup.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
        };
        if run_update(app, event, client, &sender) {
            return Ok(());
        }
        pending_draw |= app.needs_draw();
        // Whatever else is waiting is applied before drawing: a burst costs one frame.
        for _ in 0..BATCH {
            let Ok(change) = changes.try_recv() else {
                break;
            };
            if run_update(app, Event::Stream(Box::new(change)), client, &sender) {
                return Ok(());
            }
            pending_draw |= app.needs_draw();
        }
        if key && pending_draw {
            // A key is answered on screen at once.
            last_frame = None;
        }
    }
}

/// Hands `event` to the app and runs what it asks for; true when the client should end.
fn run_update(
    app: &mut App,
    event: Event,
    client: &ApiClient,
    sender: &mpsc::UnboundedSender<Response>,
) -> bool {
    for command in app.update(event) {
        if command == Command::Quit {
            return true;
        }
        spawn(client, sender, command);
    }
    if let Some(text) = app.take_clipboard() {
        // Between frames, so the sequence never splits one; a terminal that cannot be
        // written to is noticed by the next draw.
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(crate::tui::clipboard::osc52(&text).as_bytes())
            .and_then(|()| out.flush());
    }
    app.should_quit()
}

/// The live stream as a task: says when it is up (and whether it resumed), passes on every
/// event, and says when it cannot be had; the client's stream retries with backoff. It ends
/// on a 401 (the runtime opens it again after the sign-in) or when nobody listens.
async fn follow(
    client: ApiClient,
    after: Option<i64>,
    sender: mpsc::UnboundedSender<StreamUpdate>,
) {
    let mut stream = client.events(after);
    loop {
        let update = if stream.is_connected() {
            match stream.next().await {
                Ok(item) => StreamUpdate::Item(item),
                Err(error) => StreamUpdate::Failed(error),
            }
        } else {
            match stream.open().await {
                Ok(()) => StreamUpdate::Connected {
                    resumed: stream.last_id().is_some(),
                },
                Err(error) => StreamUpdate::Failed(error),
            }
        };
        let unauthorized = matches!(
            &update,
            StreamUpdate::Failed(ClientError::Unauthorized { .. })
        );
        if sender.send(update).is_err() || unauthorized {
            return;
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
