//! The terminal client's app driven against the real server: keys go into `App::update`, and
//! every command it returns is run for real with `execute` and its answer fed back.

use std::collections::VecDeque;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::client::ApiClient;
use fleetdesk::tui::{execute, App, Command, Event, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::TestServer;

/// More answers than any key can cause; reaching it means the app keeps asking.
const MAX_COMMANDS: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A key pressed without modifiers.
pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A client of `s` signed in as `email`.
pub async fn signed_in(s: &TestServer, email: &str, password: &str) -> ApiClient {
    let client = ApiClient::new(&s.url, TIMEOUT).expect("a client");
    let login = client.login(email, password).await.expect("signs in");
    client.with_token(login.token)
}

/// Runs `commands` and everything their answers ask for, one at a time, until nothing is
/// left; returns what ran, in order. `Quit` is not run.
pub async fn settle(app: &mut App, client: &ApiClient, commands: Vec<Command>) -> Vec<Command> {
    let mut queue: VecDeque<Command> = commands.into();
    let mut ran = Vec::new();
    while let Some(command) = queue.pop_front() {
        if command == Command::Quit {
            continue;
        }
        assert!(
            ran.len() < MAX_COMMANDS,
            "the app keeps sending commands: {ran:?}"
        );
        ran.push(command.clone());
        let response = execute(client, command).await;
        queue.extend(app.update(Event::Response(Box::new(response))));
    }
    // Each request counted out is counted back; a leak would keep the spinner going.
    assert_eq!(app.in_flight(), 0, "requests left in flight after {ran:?}");
    ran
}

/// One key into `app`, and everything it leads to; returns the commands that ran.
pub async fn press(app: &mut App, client: &ApiClient, code: KeyCode) -> Vec<Command> {
    let commands = app.update(key(code));
    settle(app, client, commands).await
}

/// Types `text` into `app`; a typed character sends nothing.
pub async fn type_text(app: &mut App, client: &ApiClient, text: &str) {
    for c in text.chars() {
        let ran = press(app, client, KeyCode::Char(c)).await;
        assert!(ran.is_empty(), "typing {c:?} sent {ran:?}");
    }
}

/// The screen's text as drawn at `width`×`height`, rows joined by newlines.
pub fn screen_text(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| app.draw(Theme::mono(), frame))
        .expect("drawn");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
