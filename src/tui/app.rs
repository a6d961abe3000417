//! The app: the tab set, the dialog stack and the connection's status. `update` turns each
//! key into an action through the key map of where it arrives, hands it to the room it
//! concerns, and carries out the [`Outcome`] the room answers; answers from the server go to
//! the rooms that asked, changes from the live stream to every room they concern. Synchronous,
//! no I/O: requests leave as [`Command`]s. Keys are routed in `app/input.rs`, answers in
//! `app/answers.rs`, the live stream in `app/stream.rs`, and what the footer and header say
//! meanwhile in `app/feedback.rs`.

mod answers;
mod feedback;
mod input;
mod stream;

pub use stream::MARK_FOR;

use std::time::{Duration, Instant};

use crossterm::event::KeyEventKind;
use ratatui::Frame;

use super::dialogs::{Dialog, Look, SignIn, Stack};
use super::keys::hints::tab_hints;
use super::keys::{Action, KeyMap};
use super::message::{Command, Event};
use super::status::{Connection, Feed, Flash, FlashKind, Status};
use super::tabs::{RolesTab, Tab, TabLook, Tabs};
use super::theme::Theme;
use super::widgets::chrome::{self, Header, Screen, StatusLine};
use super::widgets::field::Field;
use super::widgets::table::Row;
use crate::api::dates::Day;
use crate::api::{DashboardSummary, User};

/// Everything the terminal client shows.
pub struct App {
    server: String,
    user: Option<User>,
    summary: Option<DashboardSummary>,
    status: Status,
    flash: Option<Flash>,
    tab: Tab,
    tabs: Tabs,
    filter: Field,
    filtering: bool,
    dialogs: Stack,
    keys: KeyMap,
    /// `keys` without the write keys, for a `viewer`.
    read_only_keys: KeyMap,
    /// Today in UTC: relative dates and the timelines' marker.
    today: Day,
    /// False when a test has fixed `today`.
    follow_clock: bool,
    /// The time marks are kept by; tests set it by hand.
    clock: Clock,
    /// The last event applied: where the stream resumes.
    last_event: Option<i64>,
    /// Changes applied so far; a dashboard asked for before the latest is stale.
    changes_seen: u64,
    /// `changes_seen` when the header counts were last asked for.
    dashboard_asked_at: u64,
    /// When the header counts were last read.
    summary_at: Option<Instant>,
    /// The stale mark of the header counts as last drawn.
    summary_stale: bool,
    /// Seconds between refreshes of the header counts.
    refresh_every: u64,
    /// A kept token is being checked: nobody is signed in until the server says whose it is.
    checking_token: bool,
    /// The e-mail the sign-in dialog starts with.
    email_hint: String,
    /// Actions the user started that have not answered yet, and what the footer says meanwhile.
    busy: Vec<(Command, String)>,
    /// Text `y` copied, for the runtime to hand to the terminal.
    clipboard: Option<String>,
    /// Where `x` writes; None: the current directory.
    export_dir: Option<std::path::PathBuf>,
    dirty: bool,
    quit: bool,
}

/// Where the app takes the time from.
#[derive(Clone, Copy, Debug)]
enum Clock {
    System,
    Manual(Instant),
}

impl App {
    pub fn new(server: String, user: Option<User>, refresh_every: u64) -> App {
        App {
            server,
            user,
            summary: None,
            status: Status::new(refresh_every),
            flash: None,
            tab: Tab::Vehicles,
            tabs: Tabs::default(),
            filter: Field::default(),
            filtering: false,
            dialogs: Stack::default(),
            keys: KeyMap::default(),
            read_only_keys: KeyMap::default().read_only(),
            today: Day::today(),
            follow_clock: true,
            clock: Clock::System,
            last_event: None,
            changes_seen: 0,
            dashboard_asked_at: 0,
            summary_at: None,
            summary_stale: false,
            refresh_every: refresh_every.max(1),
            checking_token: false,
            email_hint: String::new(),
            busy: Vec::new(),
            clipboard: None,
            export_dir: None,
            dirty: true,
            quit: false,
        }
    }

    /// Fixes the time marks are kept by (reproducible tests); `advance_clock` moves it.
    pub fn set_clock(&mut self, now: Instant) {
        self.clock = Clock::Manual(now);
    }

    pub fn advance_clock(&mut self, by: Duration) {
        if let Clock::Manual(now) = self.clock {
            self.clock = Clock::Manual(now + by);
        }
    }

    fn now(&self) -> Instant {
        match self.clock {
            Clock::System => Instant::now(),
            Clock::Manual(now) => now,
        }
    }

    /// Where `x` writes its CSV files (the config's `export_dir`).
    pub fn with_export_dir(mut self, dir: Option<std::path::PathBuf>) -> App {
        self.export_dir = dir;
        self
    }

    /// The keys as the config file rebinds them.
    pub fn with_keys(mut self, keys: KeyMap) -> App {
        self.read_only_keys = keys.read_only();
        self.keys = keys;
        self
    }

    /// A token was kept: the app opens at once and asks the server whose it is, retrying
    /// with backoff while the server cannot be reached.
    pub fn with_kept_token(mut self) -> App {
        self.checking_token = self.user.is_none();
        self
    }

    /// The keys the tabs answer to: a `viewer` changes nothing, so has no write keys.
    fn tab_keys(&self) -> &KeyMap {
        if self.read_only() {
            &self.read_only_keys
        } else {
            &self.keys
        }
    }

    fn read_only(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|user| user.role == crate::api::SystemRole::Viewer)
    }

    /// The first requests; without a user, the sign-in dialog first (or the kept token's check).
    pub fn start(&mut self) -> Vec<Command> {
        if self.checking_token {
            let commands = self.reload_all();
            return self.sending(commands);
        }
        let Some(user) = self.user.as_ref() else {
            self.dialogs
                .push(Dialog::SignIn(SignIn::new("", None, None)));
            return Vec::new();
        };
        self.tabs.roles.signed_in(user);
        self.status.set_feed(Feed::Connecting);
        let commands = self.reload_all();
        self.sending(commands)
    }

    /// Counts the requests that leave, and notes the loads (changes that come meanwhile are
    /// applied again on their answers) and the header counts' request.
    fn sending(&mut self, commands: Vec<Command>) -> Vec<Command> {
        // An action already on its way is not sent again (a second Enter meanwhile).
        let mut commands = commands;
        commands.retain(|command| {
            !(command.is_action() && self.busy.iter().any(|(busy, _)| busy == command))
        });
        for command in &commands {
            if command.is_action() {
                let text = self.describe(command);
                self.busy.push((command.clone(), text));
            }
            if command.is_load() {
                self.tabs.load_sent();
            }
            if *command == Command::LoadDashboard {
                self.dashboard_asked_at = self.changes_seen;
            }
        }
        let requests = commands.iter().filter(|c| **c != Command::Quit).count();
        self.status.sent(requests);
        commands
    }

    /// Fixes the date the app takes for today (reproducible screens).
    pub fn set_today(&mut self, today: Day) {
        self.today = today;
        self.follow_clock = false;
    }

    /// The sign-in dialog's e-mail filled in.
    pub fn prefill_email(&mut self, email: &str) {
        self.email_hint = email.to_string();
        if let Some(Dialog::SignIn(sign_in)) = self.dialogs.top_mut() {
            sign_in.prefill(email);
        }
    }

    fn reload_all(&mut self) -> Vec<Command> {
        if self.checking_token {
            return vec![Command::CheckToken];
        }
        let mut commands = vec![
            Command::LoadDashboard,
            Command::LoadVehicles,
            Command::LoadTechnicians,
            self.tabs.assignments.reload(),
        ];
        commands.extend(self.tabs.roles.loads());
        commands.extend(self.tabs.activity.loads());
        commands
    }

    pub fn update(&mut self, event: Event) -> Vec<Command> {
        let badge = (self.status.connection, self.status.feed);
        let commands = self.take(event);
        // Whatever moved the badge (the last answer of a refresh, the stream) is drawn.
        if (self.status.connection, self.status.feed) != badge {
            self.dirty = true;
        }
        commands
    }

    fn take(&mut self, event: Event) -> Vec<Command> {
        self.dirty = true;
        let mut commands = match event {
            Event::Key(key) if key.kind != KeyEventKind::Press => {
                // Release and repeat events (Windows, kitty protocol) change nothing.
                self.dirty = false;
                return Vec::new();
            }
            Event::Key(key) => self.on_key(&key),
            Event::Resize(..) => return Vec::new(),
            Event::Tick => {
                let commands = self.on_tick();
                return self.sending(commands);
            }
            Event::Wake => {
                self.dirty = self.on_wake();
                // A search typed in the role form goes once typing has paused.
                let commands = self.dialogs.fire_searches(self.now());
                return self.sending(commands);
            }
            Event::Response(response) => {
                self.status.answered();
                self.answered_action(&response);
                self.on_response(*response)
            }
            Event::Stream(update) => self.on_stream(*update),
        };
        // A key or an answer may have moved the tree's selection: load what it landed on.
        if self.tab == Tab::Roles {
            commands.extend(self.tabs.roles.follow());
        }
        self.sending(commands)
    }

    /// Draws everything: a function of the app but for the windows the lists keep.
    pub fn draw(&mut self, theme: Theme, frame: &mut Frame) {
        let area = frame.area();
        let Some(Screen {
            header,
            tab_bar,
            rule_top,
            status_line,
            body,
            rule_bottom,
            footer,
        }) = chrome::screen(frame)
        else {
            return;
        };
        let header_data = Header {
            server: &self.server,
            user: self.user.as_ref(),
            summary: self.summary,
            connection: self.status.connection,
            feed: self.status.feed,
            spinner_frame: self.status.spinner_frame,
            stale: self.counts_stale(),
            connecting: self.checking_token,
        };
        chrome::draw_header(frame, header, &header_data, theme);
        let titles: Vec<&str> = Tab::ALL.iter().map(|tab| tab.title()).collect();
        chrome::draw_tabs(frame, tab_bar, &titles, self.tab.index(), theme);
        chrome::draw_rule(frame, rule_top, theme);
        let context = self.tab.context();
        let counts = self.tabs.counts(self.tab);
        let line = StatusLine {
            prefix: counts.prefix,
            filter: &self.filter,
            editing: self.filtering,
            placeholder: format!(
                "{} to filter{}",
                self.keys.label(context, Action::Filter),
                counts.filters
            ),
            counts: counts.counts,
            stale: counts.stale,
        };
        chrome::draw_status_line(frame, status_line, &line, theme);
        // Below 100 columns dates drop their year and columns narrow, so 80×24 shows everything.
        let look = TabLook {
            wide: area.width >= 100,
            today: self.today,
            keys: &self.keys,
            theme,
            focused: self.dialogs.top().is_none(),
        };
        self.tabs.draw(self.tab, frame, body, &look);
        chrome::draw_rule(frame, rule_bottom, theme);
        let hints = tab_hints(self.tab_keys(), context, self.tab.hints());
        // The key works on the tabs only: a dialog's own keys take it.
        let more = self
            .dialogs
            .top()
            .is_none()
            .then(|| self.keys.label(context, Action::ShowError));
        // An action on its way says so, with a spinner, until it answers.
        let working = self.busy.last().map(|(_, text)| {
            let spinner = chrome::spinner(self.status.spinner_frame);
            Flash::new(FlashKind::Working, format!("{spinner} {text}"))
        });
        chrome::draw_footer(
            frame,
            footer,
            working.as_ref().or(self.flash.as_ref()),
            more.as_deref(),
            &hints,
            theme,
        );
        let look = Look {
            theme,
            keys: &self.keys,
            today: self.today,
            server: &self.server,
            signed_in: self.user.is_some(),
        };
        if let Some(dialog) = self.dialogs.top_mut() {
            dialog.draw(frame, area, &look);
        }
    }

    // What tests, benches and the runtime may ask.

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn connection(&self) -> Connection {
        self.status.connection
    }

    /// The live stream's state.
    pub fn feed(&self) -> Feed {
        self.status.feed
    }

    /// Requests sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.status.in_flight
    }

    /// Whether the last event changed what is on screen.
    pub fn needs_draw(&self) -> bool {
        self.dirty
    }

    /// The screen shows the app as it is.
    pub fn drawn(&mut self) {
        self.dirty = false;
    }

    /// What `y` copied since last asked: the runtime writes it to the terminal (OSC 52).
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn flash(&self) -> Option<&Flash> {
        self.flash.as_ref()
    }

    /// The dialog on top, which takes the keys.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialogs.top()
    }

    /// Every open dialog, bottom first.
    pub fn dialogs(&self) -> &[Dialog] {
        self.dialogs.all()
    }

    pub fn is_filtering(&self) -> bool {
        self.filtering
    }

    pub fn filter_text(&self) -> &str {
        self.filter.value()
    }

    pub fn roles(&self) -> &RolesTab {
        &self.tabs.roles
    }

    /// The current fleet tab's visible rows as cells (empty on the Roles tab).
    pub fn rows(&self) -> Vec<Vec<String>> {
        fn cells<'a, T: Row + 'a>(rows: impl Iterator<Item = &'a T>) -> Vec<Vec<String>> {
            rows.map(|row| row.cells()).collect()
        }
        match self.tab {
            Tab::Vehicles => cells(self.tabs.vehicles.list.visible()),
            Tab::Technicians => cells(self.tabs.technicians.list.visible()),
            Tab::Assignments => cells(self.tabs.assignments.list.visible()),
            Tab::Activity => cells(self.tabs.activity.list.visible()),
            Tab::Roles => Vec::new(),
        }
    }

    /// Whether the row of record `key` on `tab` is marked as just changed by someone else
    /// (on the Roles tab, `key` is a relId).
    pub fn is_marked(&self, tab: Tab, key: i64) -> bool {
        match tab {
            Tab::Vehicles => self.tabs.vehicles.list.is_marked(key),
            Tab::Technicians => self.tabs.technicians.list.is_marked(key),
            Tab::Assignments => self.tabs.assignments.list.is_marked(key),
            Tab::Roles => self.tabs.roles.is_marked(key),
            Tab::Activity => self.tabs.activity.list.is_marked(key),
        }
    }

    /// The header counts as they stand.
    pub fn summary(&self) -> Option<DashboardSummary> {
        self.summary
    }

    /// The current tab's rows: (shown, loaded in all).
    pub fn row_counts(&self) -> (usize, usize) {
        self.tabs.row_counts(self.tab)
    }

    /// The selected row, the first row drawn last and the rows in a page, of the list the
    /// arrows move on the current tab.
    pub fn position(&self) -> (usize, usize, usize) {
        self.tabs.position(self.tab)
    }
}
