//! Owns the terminal and runs what `update` asks for: each request is a tokio task whose
//! answer comes back as an event. Draws only after an event that changed something.

use std::io::Write;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::app::{App, Command, Event, Response, PAGE_SIZE};
use super::theme::Theme;
use super::view::view;
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
    pub keys: super::keys::KeyMap,
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
    keys: super::keys::KeyMap,
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
    let mut app = App::new(client.base_url().to_string(), user, refresh_every.as_secs());
    app.keys = keys;
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
        if app.dirty {
            terminal.draw(|frame| view(&app, theme, frame))?;
            app.dirty = false;
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
        if app.should_quit {
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

pub async fn execute(client: &ApiClient, command: Command) -> Response {
    match command {
        Command::LoadDashboard => Response::Dashboard(client.dashboard().await.map(|d| d.summary)),
        Command::LoadVehicles => Response::Vehicles(client.vehicles().await.map(|v| v.vehicles)),
        Command::LoadTechnicians => {
            Response::Technicians(client.technicians().await.map(|t| t.technicians))
        }
        Command::LoadAssignments {
            generation,
            status,
            before,
        } => Response::Assignments {
            generation,
            append: before.is_some(),
            result: client.assignments(status, Some(PAGE_SIZE), before).await,
        },
        Command::LoadOrganizations => {
            Response::Organizations(client.organizations().await.map(|o| o.organizations))
        }
        Command::LoadUsers => Response::Users(client.users().await.map(|u| u.users)),
        Command::LoadRoleAssignments {
            request,
            organization_id,
        } => {
            let result = client
                .role_assignments(None, Some(&organization_id))
                .await
                .map(|answer| answer.assignments);
            Response::RoleAssignments {
                request,
                organization_id,
                result,
            }
        }
        Command::SignIn { email, password } => Response::SignedIn(
            client
                .login(&email, &password)
                .await
                .map(|answer| (answer.token, answer.user)),
        ),
        Command::Quit => Response::Action {
            command: Command::Quit,
            result: Ok(String::new()),
        },
        action => {
            let result = run_action(client, &action).await;
            Response::Action {
                command: action,
                result,
            }
        }
    }
}

async fn run_action(
    client: &ApiClient,
    action: &Command,
) -> Result<String, crate::client::ClientError> {
    Ok(match action {
        Command::CreateAssignment(request) => {
            let assignment = client.create_assignment(request).await?.assignment;
            format!(
                "Assigned {} to {}",
                assignment.vehicle.name, assignment.technician.name
            )
        }
        Command::ReturnAssignment(id) => {
            let assignment = client.return_assignment(*id).await?.assignment;
            format!(
                "Returned {} from {}",
                assignment.vehicle.name, assignment.technician.name
            )
        }
        Command::CreateVehicle(new) => {
            let vehicle = client.create_vehicle(new).await?.vehicle;
            format!("Created {} ({})", vehicle.name, vehicle.license_plate)
        }
        Command::UpdateVehicle(id, patch) => {
            let vehicle = client.update_vehicle(*id, patch).await?.vehicle;
            format!("Saved {}", vehicle.name)
        }
        Command::DeleteVehicle(id) => {
            client.delete_vehicle(*id).await?;
            format!("Deleted vehicle {id}")
        }
        Command::CreateTechnician(new) => {
            let user = client.create_user(new).await?.user;
            format!("Created technician {}", user.name)
        }
        Command::UpdateTechnician(id, patch) => {
            let user = client.update_user(*id, patch).await?.user;
            format!("Saved {}", user.name)
        }
        Command::SaveRoleAssignment(request) => client
            .save_role_assignment(request)
            .await?
            .first_message()
            .to_string(),
        Command::ResolveRoleConflict(resolve) => client
            .resolve_role_conflict(resolve)
            .await?
            .first_message()
            .to_string(),
        Command::DeleteRoleAssignment(rel_id) => client
            .delete_role_assignment(*rel_id)
            .await?
            .first_message()
            .to_string(),
        Command::LoadDashboard
        | Command::LoadVehicles
        | Command::LoadTechnicians
        | Command::LoadAssignments { .. }
        | Command::LoadOrganizations
        | Command::LoadUsers
        | Command::LoadRoleAssignments { .. }
        | Command::SignIn { .. }
        | Command::Quit => String::new(),
    })
}
