//! The app: the tab set, the dialog stack and the connection's status. `update` turns each
//! key into an action through the key map of where it arrives, hands it to the room it
//! concerns, and carries out the [`Outcome`] the room answers; answers from the server go to
//! the rooms that asked, changes from the live stream to every room they concern
//! (`app/stream.rs`). Synchronous, no I/O: requests leave as [`Command`]s.

mod stream;

pub use stream::MARK_FOR;

use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;

use super::dialogs::{
    AssignmentConflict, Context as DialogContext, Dialog, Help, Look, Message, Outcome, SignIn,
    Stack,
};
use super::keys::hints::tab_hints;
use super::keys::{Action, Context, KeyMap};
use super::message::{Command, Done, Event, Response};
use super::status::{self, Connection, Due, Feed, Flash, FlashKind, Status};
use super::tabs::{Motion, RolesTab, Tab, TabLook, Tabs, Taken};
use super::theme::Theme;
use super::widgets::chrome::{self, Header, Screen, StatusLine};
use super::widgets::field::Field;
use super::widgets::table::Row;
use crate::api::dates::Day;
use crate::api::roles::{ConflictItem, RoleAssignmentRequest, UserIdValue};
use crate::api::{DashboardSummary, User};
use crate::client::ClientError;

/// Shown when a resolve met changed data and the server sent fresh suggestions.
const FRESH_SUGGESTIONS: &str =
    "The assignments changed meanwhile, so nothing was applied; these are fresh suggestions.";

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

    fn on_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        if self.keys.action(Context::Always, key) == Some(Action::QuitNow) {
            self.quit = true;
            return vec![Command::Quit];
        }
        let signed_in = self.user.is_some();
        let now = self.now();
        if let Some(dialog) = self.dialogs.top_mut() {
            let context = DialogContext {
                keys: &self.keys,
                today: self.today,
                now,
                signed_in,
                directory: self.tabs.roles.directory(),
            };
            let outcome = dialog.on_key(key, &context);
            return self.carry_out(outcome);
        }
        if self.filtering {
            return self.on_filter_key(key);
        }
        match self.tab_keys().action(self.tab.context(), key) {
            Some(action) => self.on_action(action),
            None => self.carry_out(Outcome::Ignored),
        }
    }

    /// Typing a filter: keys are text, but for keeping, clearing and leaving it.
    fn on_filter_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        match self.keys.action(Context::Filter, key) {
            Some(Action::KeepFilter) => {
                self.filtering = false;
                self.tabs.filter_kept(self.tab, self.filter.value());
            }
            Some(Action::ClearFilter) => {
                self.filtering = false;
                self.filter = Field::default();
                self.tabs.refilter(self.tab, "");
            }
            Some(action @ (Action::Down | Action::Up)) => {
                self.filtering = false;
                return self.on_action(action);
            }
            _ => {
                self.filter.input(key);
                self.tabs.refilter(self.tab, self.filter.value());
            }
        }
        Vec::new()
    }

    /// An action on the current tab: the keys all tabs share here, the rest in the tab.
    fn on_action(&mut self, action: Action) -> Vec<Command> {
        if let Some(tab) = Tab::jump(action) {
            return self.switch_tab(tab);
        }
        if let Some(motion) = Motion::of(action) {
            return self.tabs.motion(self.tab, motion).into_iter().collect();
        }
        match action {
            Action::Quit => return self.carry_out(Outcome::Quit),
            Action::NextTab => return self.switch_tab(self.tab.next(true)),
            Action::PreviousTab => return self.switch_tab(self.tab.next(false)),
            Action::Filter => self.filtering = true,
            Action::ClearFilter if !self.filter.value().is_empty() => {
                self.filter = Field::default();
                self.tabs.refilter(self.tab, "");
            }
            Action::Sort | Action::ReverseSort => {
                self.tabs
                    .cycle_sort(self.tab, action == Action::ReverseSort);
                self.tabs.refilter(self.tab, self.filter.value());
            }
            Action::Refresh => {
                self.status.connection = Connection::Refreshing;
                return self.reload_all();
            }
            Action::Help => {
                let hints = tab_hints(self.tab_keys(), self.tab.context(), self.tab.hints());
                let title = format!("{} tab", self.tab.title());
                self.dialogs.push(Dialog::Help(Help::new(title, hints)));
            }
            // The error in the footer in full; Enter keeps its meaning on the row.
            Action::ShowError => match self.flash.as_ref().and_then(|f| f.detail.clone()) {
                Some(detail) => self
                    .dialogs
                    .push(Dialog::Message(Message::new("Error", detail))),
                None => self.dirty = false,
            },
            action => {
                let outcome =
                    self.tabs
                        .on_action(self.tab, action, self.filter.value(), &self.keys);
                return self.carry_out(outcome);
            }
        }
        Vec::new()
    }

    fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        if self.tab == tab {
            return Vec::new();
        }
        self.tab = tab;
        self.filter = Field::default();
        self.filtering = false;
        self.tabs.refilter_all(tab, "");
        match tab {
            Tab::Roles => self.tabs.roles.visit(),
            Tab::Activity => self.tabs.activity.visit().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Does what a room answered.
    fn carry_out(&mut self, outcome: Outcome) -> Vec<Command> {
        let mut commands = Vec::new();
        match outcome {
            Outcome::Ignored => self.dirty = false,
            outcome => self.apply(outcome, &mut commands),
        }
        commands
    }

    fn apply(&mut self, outcome: Outcome, commands: &mut Vec<Command>) {
        match outcome {
            Outcome::Ignored | Outcome::Stay => {}
            Outcome::Close => {
                self.dialogs.pop();
            }
            Outcome::Open(dialog) => self.dialogs.push(*dialog),
            Outcome::Send(command) => commands.push(command),
            Outcome::Say(flash) => self.flash = Some(flash),
            Outcome::Quit => {
                self.quit = true;
                commands.push(Command::Quit);
            }
            Outcome::All(all) => {
                for outcome in all {
                    self.apply(outcome, commands);
                }
            }
        }
    }

    fn on_tick(&mut self) -> Vec<Command> {
        // Only the spinners move by themselves, and the counts' stale mark comes with time.
        let mut changed = self.status.connection == Connection::Refreshing
            || (self.status.connection == Connection::Live && self.status.feed == Feed::Connecting)
            || !self.busy.is_empty();
        let stale = self.counts_stale();
        changed |= stale != self.summary_stale;
        self.summary_stale = stale;
        if self.follow_clock {
            let today = Day::today();
            changed |= today != self.today;
            self.today = today;
        }
        changed |= status::age(&mut self.flash);
        let polling = self.user.is_some() && !self.dialogs.is_signing_in();
        let (badge, due) = self.status.tick(polling);
        self.dirty = changed || badge;
        match due {
            Due::Nothing => Vec::new(),
            Due::Reload => self.reload_all(),
            Due::Refresh => vec![Command::LoadDashboard],
            Due::Poll => {
                let mut commands = vec![Command::LoadDashboard];
                commands.extend(self.tabs.poll(self.tab));
                commands
            }
        }
    }

    /// A failed request: sign in again, go offline, or say what the server said.
    fn on_failure(&mut self, error: &ClientError, command: Option<Command>) {
        match error {
            ClientError::Unauthorized { .. } => {
                let retry = command.filter(|command| !command.is_retryable());
                let email = self.user.as_ref().map_or("", |user| user.email.as_str());
                self.dialogs.need_sign_in(email, retry);
            }
            error if error.is_retryable() => {
                self.status.go_offline();
                self.tabs.mark_stale();
                if command.is_some_and(|command| !command.is_retryable()) {
                    let text = format!("Not sent: {}", error.user_message());
                    self.flash = Some(Flash::new(FlashKind::Error, text));
                }
            }
            error => self.flash = Some(Flash::error(error)),
        }
    }

    fn on_response(&mut self, response: Response) -> Vec<Command> {
        let load = match response {
            Response::Dashboard(Ok(summary)) => {
                let before = (self.summary, self.status.connection);
                // Counts read before the latest change would undo what it did to them.
                if self.dashboard_asked_at == self.changes_seen || self.summary.is_none() {
                    self.summary = Some(summary);
                }
                self.summary_at = Some(self.now());
                self.status.went_well();
                // The periodic refresh redraws only when a count changed.
                self.dirty = before != (self.summary, self.status.connection);
                return Vec::new();
            }
            Response::Dashboard(Err(error)) => {
                self.on_failure(&error, None);
                return Vec::new();
            }
            Response::Action { command, result } => return self.on_action_done(command, result),
            Response::Activity {
                subject: Some(subject),
                result,
                ..
            } => {
                // A history's events: to that history, if it is still open.
                self.tabs.answered_elsewhere();
                if let Some(history) = self.dialogs.history_of(subject) {
                    history.events_loaded(result);
                } else {
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::SignedIn(result) => return self.on_signed_in(result),
            Response::UsersFound {
                request,
                query,
                result,
            } => {
                self.after_read(result.as_ref().err());
                if !self.dialogs.users_found(request, &query, result) {
                    // Typed over or closed since: nothing to show.
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::UserRoles { user_id, result } => {
                self.after_read(result.as_ref().err());
                if !self.dialogs.user_roles(user_id, result) {
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::TokenChecked(result) => return self.on_token_checked(result),
            load => load,
        };
        let filter = self.filter.value().to_string();
        match self.tabs.take(self.tab, &filter, load) {
            Taken::Loaded(organization) => {
                // A conflict dialog open for this organization draws and checks with it.
                if let (Some(organization_id), Some(dialog)) =
                    (organization, self.dialogs.role_conflict())
                {
                    if let Some(user_id) = dialog.concerns(&organization_id) {
                        dialog.set_known(&self.tabs.roles.known(&user_id, &organization_id));
                    }
                }
                self.status.went_well();
            }
            Taken::Failed(error) => self.on_failure(&error, None),
            Taken::Unchanged => {
                self.status.went_well();
                self.dirty = false;
            }
            Taken::Dropped | Taken::Refused | Taken::Other => {}
        }
        Vec::new()
    }

    /// A read for a dialog answered: the connection is fine, or the failure is handled as
    /// any (sign in again, offline); the dialog shows the server's sentence itself.
    fn after_read(&mut self, error: Option<&ClientError>) {
        match error {
            None => self.status.went_well(),
            Some(error @ ClientError::Unauthorized { .. }) => self.on_failure(error, None),
            Some(error) if error.is_retryable() => self.on_failure(error, None),
            Some(_) => self.status.went_well(),
        }
    }

    fn on_action_done(
        &mut self,
        command: Command,
        result: Result<Done, ClientError>,
    ) -> Vec<Command> {
        match result {
            Ok(done) => {
                self.dialogs.close_senders();
                self.tabs.select_written(&done);
                self.flash = Some(Flash::done(done));
                self.status.went_well();
                // While the stream is up, the change comes back as an event like anyone's.
                if self.status.feed == Feed::Up {
                    Vec::new()
                } else {
                    self.reload_all()
                }
            }
            Err(ClientError::AssignmentConflict(body)) => {
                let Command::CreateAssignment(request) = command else {
                    return Vec::new();
                };
                let dialog = AssignmentConflict::new(body, request);
                self.dialogs.renew(Dialog::AssignmentConflict(dialog));
                Vec::new()
            }
            Err(ClientError::RoleConflict { message, items }) => {
                self.on_role_conflict(command, message, items)
            }
            Err(error) => {
                let said =
                    !matches!(error, ClientError::Unauthorized { .. }) && !error.is_retryable();
                self.dialogs.failed(said.then(|| error.user_message()));
                self.on_failure(&error, Some(command));
                Vec::new()
            }
        }
    }

    /// A 409 from saving or resolving: open (or renew) the conflict dialog.
    fn on_role_conflict(
        &mut self,
        command: Command,
        message: String,
        items: Vec<ConflictItem>,
    ) -> Vec<Command> {
        self.dialogs.failed(None);
        let (request, why) = match command {
            // Asked again because the dialog's suggestions went stale.
            Command::SaveRoleAssignment(request)
                if self
                    .dialogs
                    .role_conflict()
                    .is_some_and(|d| d.stale().is_some()) =>
            {
                (request, Some(FRESH_SUGGESTIONS))
            }
            Command::SaveRoleAssignment(request) => (request, None),
            Command::ResolveRoleConflict(resolve) if items.is_empty() => {
                // Nothing overlaps any more: the plain request goes through as it is.
                if let Some(Dialog::RoleConflict(dialog)) = self.dialogs.top_mut() {
                    dialog.mark_sending();
                }
                return vec![Command::SaveRoleAssignment(resolve.request)];
            }
            Command::ResolveRoleConflict(resolve) => (resolve.request, Some(FRESH_SUGGESTIONS)),
            _ => return Vec::new(),
        };
        let chosen = self.dialogs.role_form_user();
        let (dialog, reload) = self
            .tabs
            .roles
            .conflict(request, message, items, why, chosen);
        self.dialogs.renew(Dialog::RoleConflict(Box::new(dialog)));
        vec![reload]
    }

    /// The server said whose the kept token is, or could not be asked.
    fn on_token_checked(&mut self, result: Result<User, ClientError>) -> Vec<Command> {
        match result {
            Ok(user) => {
                self.checking_token = false;
                self.tabs.roles.signed_in(&user);
                self.user = Some(user);
                self.status.set_feed(Feed::Connecting);
                self.status.went_well();
                self.reload_all()
            }
            Err(ClientError::Unauthorized { .. }) => {
                self.checking_token = false;
                self.status.went_well();
                let email = self.email_hint.clone();
                self.dialogs.need_sign_in(&email, None);
                Vec::new()
            }
            Err(error) => {
                // Tried again with the same backoff as any request; never the end of the client.
                if !error.is_retryable() {
                    self.flash = Some(Flash::error(&error));
                }
                self.status.go_offline();
                Vec::new()
            }
        }
    }

    /// An answer to an action the footer says is on its way: it is not any more.
    fn answered_action(&mut self, response: &Response) {
        let index = match response {
            Response::Action { command, .. } => {
                self.busy.iter().position(|(busy, _)| busy == command)
            }
            Response::SignedIn(_) => self
                .busy
                .iter()
                .position(|(busy, _)| matches!(busy, Command::SignIn { .. })),
            _ => None,
        };
        if let Some(index) = index {
            self.busy.remove(index);
        }
    }

    /// What the footer says while `command` is on its way: "Assigning Van 3 to Bruno Kaya…".
    fn describe(&self, command: &Command) -> String {
        let vehicle = |id: i64| {
            self.tabs
                .vehicles
                .list
                .get(id)
                .map_or_else(|| format!("vehicle {id}"), |v| v.vehicle.name.clone())
        };
        let technician = |id: i64| {
            self.tabs
                .technicians
                .list
                .get(id)
                .map_or_else(|| format!("technician {id}"), |t| t.user.name.clone())
        };
        let scope = |request: &RoleAssignmentRequest| {
            let user_id = match &request.user_id {
                UserIdValue::Text(text) => text.clone(),
                UserIdValue::Number(id) => id.to_string(),
            };
            let known = self.tabs.roles.known(&user_id, &request.organization_id);
            let directory = self.tabs.roles.directory();
            let user = known
                .first()
                .map_or_else(|| format!("user {user_id}"), |row| row.user_name.clone());
            let organization = directory
                .organizations
                .iter()
                .find(|o| o.id == request.organization_id)
                .map_or_else(|| request.organization_id.clone(), |o| o.name.clone());
            format!("{user}'s roles in {organization}")
        };
        match command {
            Command::CreateAssignment(new) if new.return_conflicting => format!(
                "Returning what is in the way and assigning {} to {}…",
                vehicle(new.vehicle_id),
                technician(new.technician_id)
            ),
            Command::CreateAssignment(new) => format!(
                "Assigning {} to {}…",
                vehicle(new.vehicle_id),
                technician(new.technician_id)
            ),
            Command::ReturnAssignment(id) => match self.tabs.assignments.list.get(*id) {
                Some(a) => format!("Returning {} from {}…", a.vehicle.name, a.technician.name),
                None => format!("Returning assignment {id}…"),
            },
            Command::CreateVehicle(new) => format!("Creating {}…", new.name),
            Command::UpdateVehicle(id, _) => format!("Saving {}…", vehicle(*id)),
            Command::DeleteVehicle(id) => format!("Deleting {}…", vehicle(*id)),
            Command::CreateTechnician(new) => format!("Creating technician {}…", new.name),
            Command::UpdateTechnician(id, _) => format!("Saving {}…", technician(*id)),
            Command::SaveRoleAssignment(request) => format!("Saving {}…", scope(request)),
            Command::ResolveRoleConflict(resolve) => {
                format!("Resolving the overlaps of {}…", scope(&resolve.request))
            }
            Command::DeleteRoleAssignment(_) => "Removing the role assignment…".to_string(),
            Command::SignIn { email, .. } => format!("Signing in as {email}…"),
            _ => "Working…".to_string(),
        }
    }

    /// The header counts are old: offline, or not read again for three refresh intervals.
    fn counts_stale(&self) -> bool {
        if self.summary.is_none() {
            return false;
        }
        let old = Duration::from_secs(3 * self.refresh_every);
        matches!(self.status.connection, Connection::Offline { .. })
            || self
                .summary_at
                .is_some_and(|at| self.now().saturating_duration_since(at) > old)
    }

    fn on_signed_in(&mut self, result: Result<(String, User), ClientError>) -> Vec<Command> {
        match result {
            Ok((_, user)) => {
                let retry = self.dialogs.signed_in();
                let text = format!("Signed in as {}", user.email);
                self.flash = Some(Flash::new(FlashKind::Success, text));
                self.tabs.roles.signed_in(&user);
                self.user = Some(user);
                if self.status.feed == Feed::Off {
                    self.status.set_feed(Feed::Connecting);
                }
                let mut commands = self.reload_all();
                commands.extend(retry);
                commands
            }
            Err(error) => {
                self.dialogs.sign_in_refused(error.user_message());
                Vec::new()
            }
        }
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
            filter: self.filter.value(),
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
