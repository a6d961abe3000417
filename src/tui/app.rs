//! The state of the terminal client and its `update`: synchronous, no I/O. Keys, ticks and
//! API answers come in as [`Event`]s; requests go out as [`Command`]s that the runtime runs.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use crate::api::dates::Day;
use crate::api::roles::{Organization, ResolveRequest, RoleAssignmentRequest, RoleAssignmentRow};
use crate::api::{
    Assignment, AssignmentConflictBody, AssignmentStatus, AssignmentsEnvelope, DashboardSummary,
    NewAssignment, NewUser, NewVehicle, SystemRole, TechnicianListItem, User, UserPatch,
    VehicleListItem, VehiclePatch,
};
use crate::client::ClientError;
use crate::domain::fleet;

use super::roles::{RoleConflict, RoleForm, RolesState};

mod roles;

/// Rows fetched per page of assignment history.
pub const PAGE_SIZE: i64 = 200;
/// Seconds a flash message stays in the footer.
const FLASH_SECONDS: u64 = 6;
/// Reconnect backoff, in seconds, capped at the last value.
const BACKOFF: [u64; 6] = [1, 2, 4, 8, 15, 30];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Vehicles,
    Technicians,
    Assignments,
    Roles,
}

impl Tab {
    pub const ALL: [Tab; 4] = [
        Tab::Vehicles,
        Tab::Technicians,
        Tab::Assignments,
        Tab::Roles,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Vehicles => "Vehicles",
            Tab::Technicians => "Technicians",
            Tab::Assignments => "Assignments",
            Tab::Roles => "Roles",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|tab| *tab == self).unwrap_or(0)
    }
}

/// What one request was for; answers of a superseded generation are dropped.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    LoadDashboard,
    LoadVehicles,
    LoadTechnicians,
    LoadAssignments {
        generation: u64,
        status: Option<AssignmentStatus>,
        before: Option<i64>,
    },
    CreateAssignment(NewAssignment),
    ReturnAssignment(i64),
    CreateVehicle(NewVehicle),
    UpdateVehicle(i64, VehiclePatch),
    DeleteVehicle(i64),
    CreateTechnician(NewUser),
    UpdateTechnician(i64, UserPatch),
    LoadOrganizations,
    LoadUsers,
    /// One organization's role assignments; `request` tells a newer load from an older one.
    LoadRoleAssignments {
        request: u64,
        organization_id: String,
    },
    SaveRoleAssignment(RoleAssignmentRequest),
    ResolveRoleConflict(ResolveRequest),
    DeleteRoleAssignment(i64),
    SignIn {
        email: String,
        password: String,
    },
    Quit,
}

impl Command {
    /// Reads may be repeated behind the user's back; actions may not (except return).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Command::LoadDashboard
                | Command::LoadVehicles
                | Command::LoadTechnicians
                | Command::LoadAssignments { .. }
                | Command::LoadOrganizations
                | Command::LoadUsers
                | Command::LoadRoleAssignments { .. }
                | Command::ReturnAssignment(_)
        )
    }
}

/// The answer to a [`Command`], carried back as an event.
#[derive(Debug)]
pub enum Response {
    Dashboard(Result<DashboardSummary, ClientError>),
    Vehicles(Result<Vec<VehicleListItem>, ClientError>),
    Technicians(Result<Vec<TechnicianListItem>, ClientError>),
    Assignments {
        generation: u64,
        append: bool,
        result: Result<AssignmentsEnvelope, ClientError>,
    },
    Organizations(Result<Vec<Organization>, ClientError>),
    Users(Result<Vec<User>, ClientError>),
    RoleAssignments {
        request: u64,
        organization_id: String,
        result: Result<Vec<RoleAssignmentRow>, ClientError>,
    },
    /// Any action; `Ok` carries the flash text.
    Action {
        command: Command,
        result: Result<String, ClientError>,
    },
    SignedIn(Result<(String, User), ClientError>),
}

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Once a second.
    Tick,
    Response(Box<Response>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Live,
    Refreshing,
    Offline { retry_in: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
    /// The full text behind `Enter` (an error's whole message).
    pub detail: Option<String>,
    age: u64,
}

/// A list with filter-as-you-type, a sort column and a selection over the visible rows.
#[derive(Clone, Debug)]
pub struct ListState<T> {
    pub items: Vec<T>,
    /// First row drawn; kept by the view so scrolling is stable.
    pub offset: std::cell::Cell<usize>,
    /// Indices into `items`, filtered and sorted.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub sort_column: usize,
    pub sort_reversed: bool,
    pub loaded: bool,
    pub stale: bool,
    /// Per row, its cells lowercased and joined: filtering is a substring search.
    search: Vec<String>,
    /// Per row, its key for `sort_keys_column`.
    sort_keys: Vec<SortKey>,
    sort_keys_column: Option<usize>,
}

impl<T> Default for ListState<T> {
    fn default() -> Self {
        ListState {
            items: Vec::new(),
            offset: std::cell::Cell::new(0),
            visible: Vec::new(),
            selected: 0,
            sort_column: 0,
            sort_reversed: false,
            loaded: false,
            stale: false,
            search: Vec::new(),
            sort_keys: Vec::new(),
            sort_keys_column: None,
        }
    }
}

impl<T> ListState<T> {
    pub fn selected_item(&self) -> Option<&T> {
        self.visible
            .get(self.selected)
            .and_then(|index| self.items.get(*index))
    }

    fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        let target = self.selected as isize + delta;
        self.selected = target.clamp(0, last as isize) as usize;
    }

    fn select_last(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }
}

/// Row text, used for filtering and sorting; one entry per column.
pub trait Row {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
    /// A sort key for a column (numbers sort as numbers).
    fn sort_key(&self, column: usize) -> SortKey {
        SortKey::natural(self.cells().get(column).map_or("", String::as_str))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i64),
    Text(String),
}

impl SortKey {
    /// Case-blind, with numbers in order: "Van 2" before "Van 10".
    pub fn natural(text: &str) -> SortKey {
        let mut key = String::with_capacity(text.len() + 8);
        let mut digits = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                key.push_str(&format!("{digits:0>20}"));
                digits.clear();
            }
            key.push(c);
        }
        if !digits.is_empty() {
            key.push_str(&format!("{digits:0>20}"));
        }
        SortKey::Text(key)
    }
}

fn date_cell(date: &chrono::DateTime<chrono::Utc>) -> String {
    date.format("%Y-%m-%d %H:%M").to_string()
}

impl Row for VehicleListItem {
    const COLUMNS: &'static [&'static str] =
        &["NAME", "PLATE", "MAKE / MODEL", "YEAR", "ASSIGNED TO"];

    fn cells(&self) -> Vec<String> {
        let vehicle = &self.vehicle;
        let make_model = [vehicle.make.as_deref(), vehicle.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            vehicle.name.clone(),
            vehicle.license_plate.clone(),
            make_model,
            vehicle
                .year
                .map(|year| year.to_string())
                .unwrap_or_default(),
            self.active_assignment
                .as_ref()
                .map(|active| active.technician.name.clone())
                .unwrap_or_else(|| "—".to_string()),
        ]
    }

    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            3 => SortKey::Number(self.vehicle.year.unwrap_or(0)),
            _ => SortKey::natural(self.cells().get(column).map_or("", String::as_str)),
        }
    }
}

impl Row for TechnicianListItem {
    const COLUMNS: &'static [&'static str] = &["NAME", "E-MAIL", "VEHICLE", "SINCE"];

    fn cells(&self) -> Vec<String> {
        let (vehicle, since) = match &self.active_assignment {
            Some(active) => (
                format!("{} ({})", active.vehicle.name, active.vehicle.license_plate),
                date_cell(&active.assigned_date),
            ),
            None => ("—".to_string(), String::new()),
        };
        vec![
            self.user.name.clone(),
            self.user.email.clone(),
            vehicle,
            since,
        ]
    }
}

impl Row for Assignment {
    const COLUMNS: &'static [&'static str] = &[
        "ID",
        "VEHICLE",
        "PLATE",
        "TECHNICIAN",
        "STATUS",
        "ASSIGNED",
        "RETURNED",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.vehicle.name.clone(),
            self.vehicle.license_plate.clone(),
            self.technician.name.clone(),
            self.status.as_str().to_string(),
            date_cell(&self.assigned_date),
            self.returned_date
                .as_ref()
                .map(date_cell)
                .unwrap_or_default(),
        ]
    }

    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            0 => SortKey::Number(self.id),
            // Newest first stays the natural order of the date columns.
            5 => SortKey::Number(-self.assigned_date.timestamp()),
            6 => SortKey::Number(-self.returned_date.map_or(i64::MIN + 1, |d| d.timestamp())),
            _ => SortKey::natural(self.cells().get(column).map_or("", String::as_str)),
        }
    }
}

impl<T: Row> ListState<T> {
    pub fn set_items(&mut self, items: Vec<T>) {
        self.items = items;
        self.search.clear();
        self.sort_keys.clear();
    }

    /// More rows (the next page of history); only they are indexed.
    pub fn extend_items(&mut self, more: Vec<T>) {
        self.items.extend(more);
    }

    /// Brings the filter and sort caches up to date with `items`, computing only new rows.
    fn index_rows(&mut self) {
        if self.search.len() > self.items.len() {
            self.search.clear();
        }
        let start = self.search.len();
        self.search.extend(
            self.items[start..]
                .iter()
                .map(|item| item.cells().join("\u{1f}").to_lowercase()),
        );
        let column = self.sort_column;
        if self.sort_keys_column != Some(column) || self.sort_keys.len() > self.items.len() {
            self.sort_keys.clear();
            self.sort_keys_column = Some(column);
        }
        let start = self.sort_keys.len();
        self.sort_keys
            .extend(self.items[start..].iter().map(|item| item.sort_key(column)));
    }

    /// Recomputes the visible rows; keeps the selection on the same item when it can.
    fn refresh_visible(&mut self, filter: &str) {
        self.index_rows();
        let keep = self.visible.get(self.selected).copied();
        let needle = filter.to_lowercase();
        let mut visible: Vec<usize> = (0..self.items.len())
            .filter(|index| needle.is_empty() || self.search[*index].contains(&needle))
            .collect();
        let keys = &self.sort_keys;
        visible.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        if self.sort_reversed {
            visible.reverse();
        }
        self.visible = visible;
        self.selected = keep
            .and_then(|index| self.visible.iter().position(|v| *v == index))
            .unwrap_or(self.selected.min(self.visible.len().saturating_sub(1)));
    }
}

/// Who or what to pick in a picker, and what happens with the choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickPurpose {
    /// Pick a technician for this vehicle.
    TechnicianFor { vehicle_id: i64, vehicle: String },
    /// Pick a vehicle for this technician.
    VehicleFor {
        technician_id: i64,
        technician: String,
    },
    /// First step of a new assignment: the vehicle; the technician follows.
    NewAssignmentVehicle,
    /// The user of the role form below.
    RoleUser,
    /// The organization of the role form below (`PickerItem::id` indexes the organizations).
    RoleOrganization,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickerItem {
    pub id: i64,
    pub label: String,
    /// Who or what holds it now; free ones have None and come first.
    pub busy_with: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Picker {
    pub title: String,
    pub purpose: PickPurpose,
    pub items: Vec<PickerItem>,
    pub filter: Input,
    pub visible: Vec<usize>,
    pub selected: usize,
}

impl Picker {
    fn new(title: String, purpose: PickPurpose, mut items: Vec<PickerItem>) -> Picker {
        items.sort_by(|a, b| {
            (a.busy_with.is_some(), a.label.to_lowercase())
                .cmp(&(b.busy_with.is_some(), b.label.to_lowercase()))
        });
        let mut picker = Picker {
            title,
            purpose,
            items,
            filter: Input::default(),
            visible: Vec::new(),
            selected: 0,
        };
        picker.refilter();
        picker
    }

    fn refilter(&mut self) {
        let needle = self.filter.value().to_lowercase();
        self.visible = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                needle.is_empty()
                    || item.label.to_lowercase().contains(&needle)
                    || item
                        .busy_with
                        .as_ref()
                        .is_some_and(|busy| busy.to_lowercase().contains(&needle))
            })
            .map(|(index, _)| index)
            .collect();
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    pub fn selected_item(&self) -> Option<&PickerItem> {
        self.visible
            .get(self.selected)
            .and_then(|index| self.items.get(*index))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    NewVehicle,
    EditVehicle(i64),
    NewTechnician,
    EditTechnician(i64),
}

#[derive(Debug, Clone)]
pub struct FormField {
    pub label: &'static str,
    pub input: Input,
    pub secret: bool,
    pub error: Option<String>,
    initial: String,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<FormField>,
    pub focus: usize,
    pub sending: bool,
    pub error: Option<String>,
}

impl Form {
    fn field(label: &'static str, value: &str, secret: bool) -> FormField {
        FormField {
            label,
            input: Input::new(value.to_string()),
            secret,
            error: None,
            initial: value.to_string(),
        }
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            FormKind::NewVehicle => "New vehicle",
            FormKind::EditVehicle(_) => "Edit vehicle",
            FormKind::NewTechnician => "New technician",
            FormKind::EditTechnician(_) => "Edit technician",
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.fields
            .iter()
            .any(|field| field.input.value() != field.initial)
    }

    fn value(&self, index: usize) -> &str {
        self.fields
            .get(index)
            .map_or("", |field| field.input.value())
    }

    fn optional(&self, index: usize) -> Option<String> {
        let value = self.value(index).trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    /// Checks every field the way the server will, so nothing invalid is sent.
    fn validate(&mut self) -> Option<Command> {
        for field in &mut self.fields {
            field.error = None;
        }
        let mut errors: Vec<(usize, String)> = Vec::new();
        match self.kind {
            FormKind::NewVehicle | FormKind::EditVehicle(_) => {
                if let Err(err) = fleet::check_text("Name", self.value(0), fleet::NAME_MAX) {
                    errors.push((0, err));
                }
                if let Err(err) = fleet::check_plate(self.value(1)) {
                    errors.push((1, err.replace("licensePlate", "Plate")));
                }
                for (index, label) in [(2, "Make"), (3, "Model")] {
                    if let Err(err) = fleet::check_optional_text(
                        label,
                        self.optional(index).as_deref(),
                        fleet::MAKE_MODEL_MAX,
                    ) {
                        errors.push((index, err));
                    }
                }
                let year = match self.optional(4) {
                    None => Ok(None),
                    Some(text) => text
                        .parse::<i64>()
                        .map(Some)
                        .map_err(|_| "Year must be a number like 2021.".to_string()),
                };
                match year.and_then(|year| fleet::check_year(year).map(|()| year)) {
                    Err(err) => errors.push((4, err.replace("year", "Year"))),
                    Ok(year) if errors.is_empty() => {
                        return Some(self.vehicle_command(year));
                    }
                    Ok(_) => {}
                }
            }
            FormKind::NewTechnician | FormKind::EditTechnician(_) => {
                if let Err(err) = fleet::check_text("Name", self.value(0), fleet::NAME_MAX) {
                    errors.push((0, err));
                }
                if let Err(err) = fleet::check_email(self.value(1)) {
                    errors.push((1, err.replace("email", "E-mail")));
                }
                let password = self.value(2);
                let editing = matches!(self.kind, FormKind::EditTechnician(_));
                if !(editing && password.is_empty()) {
                    if let Err(err) = fleet::check_password(password) {
                        errors.push((2, err.replace("password", "Password")));
                    }
                }
                if errors.is_empty() {
                    return Some(self.technician_command());
                }
            }
        }
        if let Some((first, _)) = errors.first() {
            self.focus = *first;
        }
        for (index, error) in errors {
            if let Some(field) = self.fields.get_mut(index) {
                field.error = Some(error);
            }
        }
        None
    }

    fn vehicle_command(&self, year: Option<i64>) -> Command {
        let name = self.value(0).to_string();
        let plate = self.value(1).to_string();
        match self.kind {
            FormKind::EditVehicle(id) => Command::UpdateVehicle(
                id,
                VehiclePatch {
                    name: Some(name),
                    license_plate: Some(plate),
                    make: Some(self.optional(2)),
                    model: Some(self.optional(3)),
                    year: Some(year),
                },
            ),
            _ => Command::CreateVehicle(NewVehicle {
                name,
                license_plate: plate,
                make: self.optional(2),
                model: self.optional(3),
                year,
            }),
        }
    }

    fn technician_command(&self) -> Command {
        let name = self.value(0).to_string();
        let email = self.value(1).trim().to_string();
        let password = self.value(2).to_string();
        match self.kind {
            FormKind::EditTechnician(id) => Command::UpdateTechnician(
                id,
                UserPatch {
                    name: Some(name),
                    email: Some(email),
                    password: (!password.is_empty()).then_some(password),
                    role: None,
                },
            ),
            _ => Command::CreateTechnician(NewUser {
                name,
                email,
                password,
                role: SystemRole::Technician,
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SignIn {
    pub email: Input,
    pub password: Input,
    /// 0 = e-mail, 1 = password.
    pub focus: usize,
    pub error: Option<String>,
    pub sending: bool,
    /// The action that met the 401; sent again after signing in.
    pub retry: Option<Command>,
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Help,
    Confirm {
        title: String,
        message: String,
        on_yes: Command,
    },
    /// Esc on a form with input: discard it?
    ConfirmDiscard,
    Picker(Picker),
    Form(Form),
    AssignmentConflict {
        body: AssignmentConflictBody,
        request: NewAssignment,
        sending: bool,
    },
    SignIn(SignIn),
    RoleForm(RoleForm),
    RoleConflict(Box<RoleConflict>),
    Message {
        title: String,
        text: String,
    },
    Details {
        title: String,
        lines: Vec<(String, String)>,
    },
    History {
        title: String,
        rows: Vec<Assignment>,
    },
}

/// Everything the terminal client shows.
pub struct App {
    pub server: String,
    pub user: Option<User>,
    pub summary: Option<DashboardSummary>,
    pub connection: Connection,
    pub tab: Tab,
    pub vehicles: ListState<VehicleListItem>,
    pub technicians: ListState<TechnicianListItem>,
    pub assignments: ListState<Assignment>,
    pub roles: RolesState,
    /// Today in UTC: relative dates and the timelines' marker.
    pub today: Day,
    /// False when a test has fixed `today`.
    follow_clock: bool,
    pub assignment_status: Option<AssignmentStatus>,
    /// `nextBefore` of the last page loaded; None when all history is here.
    pub next_before: Option<i64>,
    pub loading_more: bool,
    assignments_generation: u64,
    pub filter: Input,
    pub filter_editing: bool,
    pub dialogs: Vec<Dialog>,
    pub flash: Option<Flash>,
    pub in_flight: usize,
    pub spinner_frame: usize,
    pub should_quit: bool,
    pub refresh_every: u64,
    since_refresh: u64,
    backoff_step: usize,
    /// Height of the list area, for paging; set by the view.
    pub page_rows: std::cell::Cell<usize>,
    /// Keys rebound in the config file.
    pub keys: super::keys::KeyMap,
    pub dirty: bool,
}

impl App {
    pub fn new(server: String, user: Option<User>, refresh_every: u64) -> App {
        App {
            server,
            user,
            summary: None,
            connection: Connection::Refreshing,
            tab: Tab::Vehicles,
            vehicles: ListState::default(),
            technicians: ListState::default(),
            // Newest first, as the server sends them.
            assignments: ListState {
                sort_column: 5,
                ..ListState::default()
            },
            roles: RolesState::default(),
            today: Day::today(),
            follow_clock: true,
            assignment_status: None,
            next_before: None,
            loading_more: false,
            assignments_generation: 0,
            filter: Input::default(),
            filter_editing: false,
            dialogs: Vec::new(),
            flash: None,
            in_flight: 0,
            spinner_frame: 0,
            should_quit: false,
            refresh_every: refresh_every.max(1),
            since_refresh: 0,
            backoff_step: 0,
            page_rows: std::cell::Cell::new(20),
            keys: super::keys::KeyMap::default(),
            dirty: true,
        }
    }

    /// The first requests: who we are not needed (given), everything on screen.
    pub fn start(&mut self) -> Vec<Command> {
        if self.user.is_none() {
            self.dialogs.push(Dialog::SignIn(SignIn {
                email: Input::default(),
                password: Input::default(),
                focus: 0,
                error: None,
                sending: false,
                retry: None,
            }));
            return Vec::new();
        }
        self.reload_all()
    }

    /// Fixes the date the app takes for today (reproducible screens).
    pub fn set_today(&mut self, today: Day) {
        self.today = today;
        self.follow_clock = false;
    }

    /// The app with its sign-in dialog's e-mail filled in.
    pub fn prefill_email(&mut self, email: &str) {
        if let Some(Dialog::SignIn(sign_in)) = self.dialogs.last_mut() {
            sign_in.email = Input::new(email.to_string());
            sign_in.focus = 1;
        }
    }

    fn reload_all(&mut self) -> Vec<Command> {
        let mut commands = vec![
            Command::LoadDashboard,
            Command::LoadVehicles,
            Command::LoadTechnicians,
        ];
        commands.push(self.reload_assignments());
        if self.roles.visited {
            commands.extend(self.roles_loads());
        }
        self.track(&commands);
        commands
    }

    fn reload_assignments(&mut self) -> Command {
        self.assignments_generation += 1;
        self.next_before = None;
        Command::LoadAssignments {
            generation: self.assignments_generation,
            status: self.assignment_status,
            before: None,
        }
    }

    fn track(&mut self, commands: &[Command]) {
        self.in_flight += commands
            .iter()
            .filter(|command| !matches!(command, Command::Quit))
            .count();
    }

    fn flash(&mut self, kind: FlashKind, text: impl Into<String>) {
        self.flash = Some(Flash {
            kind,
            text: text.into(),
            detail: None,
            age: 0,
        });
    }

    fn flash_error(&mut self, error: &ClientError) {
        let text = error.user_message();
        self.flash = Some(Flash {
            kind: FlashKind::Error,
            detail: Some(text.clone()),
            text,
            age: 0,
        });
    }

    pub fn filter_text(&self) -> &str {
        self.filter.value()
    }

    fn refresh_visible(&mut self) {
        let filter = self.filter.value().to_string();
        match self.tab {
            Tab::Vehicles => self.vehicles.refresh_visible(&filter),
            Tab::Technicians => self.technicians.refresh_visible(&filter),
            Tab::Assignments => self.assignments.refresh_visible(&filter),
            Tab::Roles => self.roles.rebuild(&filter),
        }
    }

    fn refresh_all_visible(&mut self) {
        let filter = self.filter.value().to_string();
        self.vehicles.refresh_visible(&filter);
        self.technicians.refresh_visible(&filter);
        self.assignments.refresh_visible(&filter);
        if self.tab == Tab::Roles {
            self.roles.rebuild(&filter);
        }
    }

    pub fn update(&mut self, event: Event) -> Vec<Command> {
        self.dirty = true;
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Press => {
                // Release and repeat events (Windows, kitty protocol) change nothing.
                self.dirty = false;
                Vec::new()
            }
            Event::Key(key) => {
                let mut commands = self.on_key(key);
                commands.extend(self.follow_organization());
                commands
            }
            Event::Resize(..) => Vec::new(),
            Event::Tick => self.on_tick(),
            Event::Response(response) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                let mut commands = self.on_response(*response);
                commands.extend(self.follow_organization());
                commands
            }
        }
    }

    fn on_tick(&mut self) -> Vec<Command> {
        // Only the spinner moves by itself.
        let mut changed = self.connection == Connection::Refreshing;
        if self.follow_clock {
            let today = Day::today();
            changed |= today != self.today;
            self.today = today;
        }
        self.spinner_frame = self.spinner_frame.wrapping_add(1);
        if let Some(flash) = &mut self.flash {
            flash.age += 1;
            if flash.age >= FLASH_SECONDS {
                self.flash = None;
                changed = true;
            }
        }
        let mut commands = Vec::new();
        match self.connection {
            Connection::Offline { retry_in } if retry_in > 1 => {
                self.connection = Connection::Offline {
                    retry_in: retry_in - 1,
                };
                changed = true;
            }
            Connection::Offline { .. } => {
                self.connection = Connection::Refreshing;
                commands = self.reload_all();
                changed = true;
            }
            _ if self.user.is_some() && !self.signing_in() => {
                self.since_refresh += 1;
                if self.since_refresh >= self.refresh_every && self.in_flight == 0 {
                    self.since_refresh = 0;
                    commands = vec![Command::LoadDashboard];
                    self.track(&commands);
                }
            }
            _ => {}
        }
        self.dirty = changed;
        commands
    }

    fn signing_in(&self) -> bool {
        self.dialogs
            .iter()
            .any(|dialog| matches!(dialog, Dialog::SignIn(_)))
    }

    /// A 401: open the sign-in dialog over everything, remembering what to send again.
    fn need_sign_in(&mut self, retry: Option<Command>) {
        if let Some(Dialog::SignIn(sign_in)) = self
            .dialogs
            .iter_mut()
            .find(|dialog| matches!(dialog, Dialog::SignIn(_)))
        {
            sign_in.sending = false;
            if retry.is_some() {
                sign_in.retry = retry;
            }
            return;
        }
        let email = self
            .user
            .as_ref()
            .map(|user| user.email.clone())
            .unwrap_or_default();
        let focus = usize::from(!email.is_empty());
        self.dialogs.push(Dialog::SignIn(SignIn {
            email: Input::new(email),
            password: Input::default(),
            focus,
            error: Some("Your session has ended; sign in again.".to_string()),
            sending: false,
            retry,
        }));
    }

    /// Common handling of a failed request; true when it was dealt with here.
    fn on_failure(&mut self, error: &ClientError, command: Option<Command>) {
        match error {
            ClientError::Unauthorized { .. } => {
                let retry = command.filter(|command| !command.is_retryable());
                self.need_sign_in(retry);
            }
            error if error.is_retryable() => {
                self.go_offline();
                if let Some(command) = command.filter(|command| !command.is_retryable()) {
                    let _ = command;
                    self.flash(
                        FlashKind::Error,
                        format!("Not sent: {}", error.user_message()),
                    );
                }
            }
            error => self.flash_error(error),
        }
    }

    fn go_offline(&mut self) {
        if !matches!(self.connection, Connection::Offline { .. }) {
            self.backoff_step = (self.backoff_step + 1).min(BACKOFF.len());
        }
        let wait = BACKOFF[self.backoff_step.saturating_sub(1).min(BACKOFF.len() - 1)];
        self.connection = Connection::Offline { retry_in: wait };
        self.vehicles.stale = true;
        self.technicians.stale = true;
        self.assignments.stale = true;
        self.roles.stale = true;
    }

    fn went_well(&mut self) {
        self.backoff_step = 0;
        if self.in_flight == 0 || !matches!(self.connection, Connection::Offline { .. }) {
            self.connection = if self.in_flight == 0 {
                Connection::Live
            } else {
                Connection::Refreshing
            };
        }
    }

    fn on_response(&mut self, response: Response) -> Vec<Command> {
        match response {
            Response::Dashboard(Ok(summary)) => {
                let before = (self.summary, self.connection);
                self.summary = Some(summary);
                self.went_well();
                // The periodic refresh redraws only when a count changed.
                self.dirty = before != (self.summary, self.connection);
            }
            Response::Vehicles(Ok(items)) => {
                self.vehicles.set_items(items);
                self.vehicles.loaded = true;
                self.vehicles.stale = false;
                self.refresh_all_visible();
                self.went_well();
            }
            Response::Technicians(Ok(items)) => {
                self.technicians.set_items(items);
                self.technicians.loaded = true;
                self.technicians.stale = false;
                self.refresh_all_visible();
                self.went_well();
            }
            Response::Assignments {
                generation,
                append,
                result,
            } => {
                if generation != self.assignments_generation {
                    // Superseded by a newer filter or reload.
                    return Vec::new();
                }
                self.loading_more = false;
                match result {
                    Ok(page) => {
                        if append {
                            self.assignments.extend_items(page.assignments);
                        } else {
                            self.assignments.set_items(page.assignments);
                        }
                        self.next_before = page.next_before.next_before();
                        self.assignments.loaded = true;
                        self.assignments.stale = false;
                        self.refresh_all_visible();
                        self.went_well();
                    }
                    Err(error) => self.on_failure(&error, None),
                }
            }
            Response::Dashboard(Err(error))
            | Response::Vehicles(Err(error))
            | Response::Technicians(Err(error)) => self.on_failure(&error, None),
            Response::Organizations(_) | Response::Users(_) | Response::RoleAssignments { .. } => {
                return self.on_roles_response(response)
            }
            Response::Action { command, result } => return self.on_action_done(command, result),
            Response::SignedIn(result) => return self.on_signed_in(result),
        }
        Vec::new()
    }

    fn on_action_done(
        &mut self,
        command: Command,
        result: Result<String, ClientError>,
    ) -> Vec<Command> {
        match result {
            Ok(message) => {
                // The dialogs that sent it (form, conflict) are done.
                while matches!(
                    self.dialogs.last(),
                    Some(
                        Dialog::Form(_)
                            | Dialog::AssignmentConflict { .. }
                            | Dialog::RoleForm(_)
                            | Dialog::RoleConflict(_)
                    )
                ) {
                    self.dialogs.pop();
                }
                self.flash(FlashKind::Success, message);
                self.went_well();
                self.reload_all()
            }
            Err(ClientError::AssignmentConflict(body)) => {
                let request = match command {
                    Command::CreateAssignment(request) => request,
                    _ => return Vec::new(),
                };
                if let Some(Dialog::AssignmentConflict { .. }) = self.dialogs.last() {
                    self.dialogs.pop();
                }
                self.dialogs.push(Dialog::AssignmentConflict {
                    body,
                    request,
                    sending: false,
                });
                Vec::new()
            }
            Err(ClientError::RoleConflict { message, items }) => {
                self.on_role_conflict(command, message, items)
            }
            Err(error) => {
                self.mark_not_sending();
                if !matches!(error, ClientError::Unauthorized { .. }) && !error.is_retryable() {
                    match self.dialogs.last_mut() {
                        Some(Dialog::Form(form)) => form.error = Some(error.user_message()),
                        Some(Dialog::RoleForm(form)) => form.error = Some(error.user_message()),
                        Some(Dialog::RoleConflict(dialog)) => {
                            dialog.error = Some(error.user_message())
                        }
                        _ => {}
                    }
                }
                self.on_failure(&error, Some(command));
                Vec::new()
            }
        }
    }

    fn mark_not_sending(&mut self) {
        for dialog in &mut self.dialogs {
            match dialog {
                Dialog::Form(form) => form.sending = false,
                Dialog::AssignmentConflict { sending, .. } => *sending = false,
                Dialog::RoleForm(form) => form.sending = false,
                Dialog::RoleConflict(dialog) => dialog.sending = false,
                _ => {}
            }
        }
    }

    fn on_signed_in(&mut self, result: Result<(String, User), ClientError>) -> Vec<Command> {
        let position = self
            .dialogs
            .iter()
            .position(|dialog| matches!(dialog, Dialog::SignIn(_)));
        match result {
            Ok((_, user)) => {
                let retry = match position.map(|index| self.dialogs.remove(index)) {
                    Some(Dialog::SignIn(sign_in)) => sign_in.retry,
                    _ => None,
                };
                self.flash(FlashKind::Success, format!("Signed in as {}", user.email));
                self.user = Some(user);
                let mut commands = self.reload_all();
                if let Some(retry) = retry {
                    self.track(std::slice::from_ref(&retry));
                    commands.push(retry);
                }
                commands
            }
            Err(error) => {
                if let Some(Dialog::SignIn(sign_in)) =
                    position.and_then(|index| self.dialogs.get_mut(index))
                {
                    sign_in.sending = false;
                    sign_in.password = Input::default();
                    sign_in.error = Some(error.user_message());
                }
                Vec::new()
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.should_quit = true;
            return vec![Command::Quit];
        }
        if !self.dialogs.is_empty() {
            return self.on_dialog_key(key);
        }
        if self.filter_editing {
            return self.on_filter_key(key);
        }
        self.on_list_key(key)
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Esc => {
                self.filter_editing = false;
                self.filter = Input::default();
                self.refresh_visible();
            }
            KeyCode::Up | KeyCode::Down => {
                self.filter_editing = false;
                return self.on_list_key(key);
            }
            _ => {
                self.filter.handle_event(&crossterm::event::Event::Key(key));
                self.refresh_visible();
            }
        }
        Vec::new()
    }

    fn current_len(&self) -> usize {
        match self.tab {
            Tab::Vehicles => self.vehicles.visible.len(),
            Tab::Technicians => self.technicians.visible.len(),
            Tab::Assignments => self.assignments.visible.len(),
            Tab::Roles => match self.roles.focus {
                super::roles::RolesFocus::Tree => self.roles.rows.len(),
                super::roles::RolesFocus::List => {
                    self.roles.shown_rows().map_or(0, |rows| rows.len())
                }
            },
        }
    }

    fn move_selection(&mut self, delta: isize) -> Vec<Command> {
        match self.tab {
            Tab::Vehicles => self.vehicles.move_by(delta),
            Tab::Technicians => self.technicians.move_by(delta),
            Tab::Assignments => {
                self.assignments.move_by(delta);
                return self.maybe_load_more();
            }
            Tab::Roles => return self.move_in_roles(delta),
        }
        Vec::new()
    }

    /// Near the end of the loaded history: fetch the next page.
    fn maybe_load_more(&mut self) -> Vec<Command> {
        let near_end =
            self.assignments.selected + self.page_rows.get() >= self.assignments.visible.len();
        match self.next_before {
            Some(before) if near_end && !self.loading_more => {
                self.loading_more = true;
                let commands = vec![Command::LoadAssignments {
                    generation: self.assignments_generation,
                    status: self.assignment_status,
                    before: Some(before),
                }];
                self.track(&commands);
                commands
            }
            _ => Vec::new(),
        }
    }

    fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        if self.tab == tab {
            return Vec::new();
        }
        self.tab = tab;
        self.filter = Input::default();
        self.filter_editing = false;
        self.refresh_all_visible();
        if tab == Tab::Roles && !self.roles.visited {
            self.roles.visited = true;
            let commands = self.roles_loads();
            self.track(&commands);
            return commands;
        }
        Vec::new()
    }

    fn on_list_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let key = self.keys.translate(key);
        let page = self.page_rows.get().max(1) as isize;
        match key.code {
            KeyCode::Char('q') => {
                self.should_quit = true;
                return vec![Command::Quit];
            }
            KeyCode::Char('1') => return self.switch_tab(Tab::Vehicles),
            KeyCode::Char('2') => return self.switch_tab(Tab::Technicians),
            KeyCode::Char('3') => return self.switch_tab(Tab::Assignments),
            KeyCode::Char('4') => return self.switch_tab(Tab::Roles),
            KeyCode::Tab => {
                return self.switch_tab(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()])
            }
            KeyCode::BackTab => {
                return self
                    .switch_tab(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
            }
            KeyCode::Down | KeyCode::Char('j') => return self.move_selection(1),
            KeyCode::Up | KeyCode::Char('k') => return self.move_selection(-1),
            KeyCode::PageDown => return self.move_selection(page),
            KeyCode::PageUp => return self.move_selection(-page),
            KeyCode::Home | KeyCode::Char('g') => {
                return self.move_selection(-(self.current_len() as isize))
            }
            KeyCode::End | KeyCode::Char('G') => match self.tab {
                Tab::Vehicles => self.vehicles.select_last(),
                Tab::Technicians => self.technicians.select_last(),
                Tab::Assignments => {
                    self.assignments.select_last();
                    return self.maybe_load_more();
                }
                Tab::Roles => return self.move_in_roles(self.current_len() as isize),
            },
            KeyCode::Char('/') => self.filter_editing = true,
            KeyCode::Esc if !self.filter.value().is_empty() => {
                self.filter = Input::default();
                self.refresh_visible();
            }
            KeyCode::Char('s') | KeyCode::Char('S') => {
                self.cycle_sort(key.code == KeyCode::Char('S'))
            }
            KeyCode::Char('r') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.connection = Connection::Refreshing;
                return self.reload_all();
            }
            KeyCode::Char('?') => self.dialogs.push(Dialog::Help),
            // While an error shows in the footer, Enter opens it in full.
            KeyCode::Enter if self.flash.as_ref().is_some_and(|f| f.detail.is_some()) => {
                self.show_flash_detail();
            }
            _ => return self.on_tab_key(key),
        }
        Vec::new()
    }

    fn show_flash_detail(&mut self) {
        if let Some(detail) = self.flash.as_ref().and_then(|flash| flash.detail.clone()) {
            self.dialogs.push(Dialog::Message {
                title: "Error".to_string(),
                text: detail,
            });
        }
    }

    fn cycle_sort(&mut self, reverse: bool) {
        let (column, reversed, columns) = match self.tab {
            Tab::Vehicles => (
                &mut self.vehicles.sort_column,
                &mut self.vehicles.sort_reversed,
                VehicleListItem::COLUMNS.len(),
            ),
            Tab::Technicians => (
                &mut self.technicians.sort_column,
                &mut self.technicians.sort_reversed,
                TechnicianListItem::COLUMNS.len(),
            ),
            Tab::Assignments => (
                &mut self.assignments.sort_column,
                &mut self.assignments.sort_reversed,
                Assignment::COLUMNS.len(),
            ),
            Tab::Roles => (
                &mut self.roles.sort_column,
                &mut self.roles.sort_reversed,
                super::roles::ROLE_COLUMNS.len(),
            ),
        };
        if reverse {
            *reversed = !*reversed;
        } else {
            *column = (*column + 1) % columns;
            *reversed = false;
        }
        self.refresh_visible();
    }

    fn on_tab_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.tab == Tab::Roles {
            return self.roles_key(key);
        }
        match (self.tab, key.code) {
            (Tab::Vehicles, KeyCode::Char('n')) => self.open_vehicle_form(None),
            (Tab::Vehicles, KeyCode::Char('e')) => {
                if let Some(item) = self.vehicles.selected_item().cloned() {
                    self.open_vehicle_form(Some(item));
                }
            }
            (Tab::Vehicles, KeyCode::Char('d')) => {
                if let Some(item) = self.vehicles.selected_item() {
                    self.dialogs.push(Dialog::Confirm {
                        title: "Delete vehicle".to_string(),
                        message: format!(
                            "Delete {} ({})? Vehicles with assignment history cannot be deleted.",
                            item.vehicle.name, item.vehicle.license_plate
                        ),
                        on_yes: Command::DeleteVehicle(item.vehicle.id),
                    });
                }
            }
            (Tab::Vehicles, KeyCode::Char('a')) => {
                if let Some(item) = self.vehicles.selected_item() {
                    let purpose = PickPurpose::TechnicianFor {
                        vehicle_id: item.vehicle.id,
                        vehicle: item.vehicle.name.clone(),
                    };
                    let title = format!("Assign {} to", item.vehicle.name);
                    self.open_technician_picker(title, purpose);
                }
            }
            (Tab::Vehicles, KeyCode::Enter) => {
                if let Some(item) = self.vehicles.selected_item() {
                    let id = item.vehicle.id;
                    let title = format!(
                        "History of {} ({})",
                        item.vehicle.name, item.vehicle.license_plate
                    );
                    self.open_history(title, |a| a.vehicle_id == id);
                }
            }
            (Tab::Technicians, KeyCode::Char('n')) => self.open_technician_form(None),
            (Tab::Technicians, KeyCode::Char('e')) => {
                if let Some(item) = self.technicians.selected_item().cloned() {
                    self.open_technician_form(Some(item));
                }
            }
            (Tab::Technicians, KeyCode::Char('a')) => {
                if let Some(item) = self.technicians.selected_item() {
                    let purpose = PickPurpose::VehicleFor {
                        technician_id: item.user.id,
                        technician: item.user.name.clone(),
                    };
                    let title = format!("Assign a vehicle to {}", item.user.name);
                    self.open_vehicle_picker(title, purpose);
                }
            }
            (Tab::Technicians, KeyCode::Enter) => {
                if let Some(item) = self.technicians.selected_item() {
                    let id = item.user.id;
                    let title = format!("History of {}", item.user.name);
                    self.open_history(title, |a| a.technician_id == id);
                }
            }
            (Tab::Assignments, KeyCode::Char('f')) => {
                self.assignment_status = match self.assignment_status {
                    None => Some(AssignmentStatus::Active),
                    Some(AssignmentStatus::Active) => Some(AssignmentStatus::Returned),
                    Some(AssignmentStatus::Returned) => None,
                };
                self.assignments.set_items(Vec::new());
                self.assignments.visible.clear();
                self.assignments.selected = 0;
                self.assignments.loaded = false;
                let commands = vec![self.reload_assignments()];
                self.track(&commands);
                return commands;
            }
            (Tab::Assignments, KeyCode::Char('n')) => {
                self.open_vehicle_picker(
                    "New assignment: pick a vehicle".to_string(),
                    PickPurpose::NewAssignmentVehicle,
                );
            }
            (Tab::Assignments, KeyCode::Char('r')) => {
                if let Some(item) = self.assignments.selected_item() {
                    if item.status == AssignmentStatus::Active {
                        self.dialogs.push(Dialog::Confirm {
                            title: "Return assignment".to_string(),
                            message: format!(
                                "Return {} from {} (#{})?",
                                item.vehicle.name, item.technician.name, item.id
                            ),
                            on_yes: Command::ReturnAssignment(item.id),
                        });
                    } else {
                        self.flash(
                            FlashKind::Info,
                            format!("#{} is already returned.", item.id),
                        );
                    }
                }
            }
            (Tab::Assignments, KeyCode::Enter) => {
                if let Some(item) = self.assignments.selected_item() {
                    self.dialogs.push(assignment_details(item));
                }
            }
            _ => self.dirty = false,
        }
        Vec::new()
    }

    fn open_history(&mut self, title: String, keep: impl Fn(&Assignment) -> bool) {
        let rows: Vec<Assignment> = self
            .assignments
            .items
            .iter()
            .filter(|a| keep(a))
            .cloned()
            .collect();
        self.dialogs.push(Dialog::History { title, rows });
    }

    fn open_technician_picker(&mut self, title: String, purpose: PickPurpose) {
        let items = self
            .technicians
            .items
            .iter()
            .map(|technician| PickerItem {
                id: technician.user.id,
                label: format!("{} <{}>", technician.user.name, technician.user.email),
                busy_with: technician.active_assignment.as_ref().map(|active| {
                    format!(
                        "has {} since {}",
                        active.vehicle.name,
                        active.assigned_date.format("%Y-%m-%d")
                    )
                }),
            })
            .collect();
        self.dialogs
            .push(Dialog::Picker(Picker::new(title, purpose, items)));
    }

    fn open_vehicle_picker(&mut self, title: String, purpose: PickPurpose) {
        let items = self
            .vehicles
            .items
            .iter()
            .map(|vehicle| PickerItem {
                id: vehicle.vehicle.id,
                label: format!(
                    "{} ({})",
                    vehicle.vehicle.name, vehicle.vehicle.license_plate
                ),
                busy_with: vehicle.active_assignment.as_ref().map(|active| {
                    format!(
                        "with {} since {}",
                        active.technician.name,
                        active.assigned_date.format("%Y-%m-%d")
                    )
                }),
            })
            .collect();
        self.dialogs
            .push(Dialog::Picker(Picker::new(title, purpose, items)));
    }

    fn open_vehicle_form(&mut self, existing: Option<VehicleListItem>) {
        let form = match existing {
            None => Form {
                kind: FormKind::NewVehicle,
                fields: vec![
                    Form::field("Name", "", false),
                    Form::field("Plate", "", false),
                    Form::field("Make", "", false),
                    Form::field("Model", "", false),
                    Form::field("Year", "", false),
                ],
                focus: 0,
                sending: false,
                error: None,
            },
            Some(item) => {
                let vehicle = item.vehicle;
                Form {
                    kind: FormKind::EditVehicle(vehicle.id),
                    fields: vec![
                        Form::field("Name", &vehicle.name, false),
                        Form::field("Plate", &vehicle.license_plate, false),
                        Form::field("Make", vehicle.make.as_deref().unwrap_or(""), false),
                        Form::field("Model", vehicle.model.as_deref().unwrap_or(""), false),
                        Form::field(
                            "Year",
                            &vehicle.year.map(|y| y.to_string()).unwrap_or_default(),
                            false,
                        ),
                    ],
                    focus: 0,
                    sending: false,
                    error: None,
                }
            }
        };
        self.dialogs.push(Dialog::Form(form));
    }

    fn open_technician_form(&mut self, existing: Option<TechnicianListItem>) {
        let (kind, name, email) = match existing {
            None => (FormKind::NewTechnician, String::new(), String::new()),
            Some(item) => (
                FormKind::EditTechnician(item.user.id),
                item.user.name,
                item.user.email,
            ),
        };
        let password_label = if matches!(kind, FormKind::EditTechnician(_)) {
            "New password (empty: keep)"
        } else {
            "Password"
        };
        self.dialogs.push(Dialog::Form(Form {
            kind,
            fields: vec![
                Form::field("Name", &name, false),
                Form::field("E-mail", &email, false),
                Form::field(password_label, "", true),
            ],
            focus: 0,
            sending: false,
            error: None,
        }));
    }

    fn on_dialog_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(dialog) = self.dialogs.pop() else {
            return Vec::new();
        };
        let base = self.dialogs.len();
        let (keep, commands) = self.dialog_key(dialog, key);
        if let Some(dialog) = keep {
            // Pushed back under anything the key opened (e.g. the second picker).
            let position = base.min(self.dialogs.len());
            let opened: Vec<Dialog> = self.dialogs.drain(position..).collect();
            self.dialogs.push(dialog);
            self.dialogs.extend(opened);
        }
        self.track(&commands);
        commands
    }

    /// Handles a key for the top dialog; returns it (when it stays open) and commands.
    fn dialog_key(&mut self, dialog: Dialog, key: KeyEvent) -> (Option<Dialog>, Vec<Command>) {
        match dialog {
            Dialog::Help
            | Dialog::Message { .. }
            | Dialog::Details { .. }
            | Dialog::History { .. } => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('?') => {
                    (None, Vec::new())
                }
                _ => (Some(dialog), Vec::new()),
            },
            Dialog::ConfirmDiscard => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                    // The form under this question goes too.
                    self.dialogs.pop();
                    self.flash(FlashKind::Info, "Discarded the form.");
                }
                (None, Vec::new())
            }
            Dialog::Confirm {
                title,
                message,
                on_yes,
            } => match key.code {
                KeyCode::Char('y') | KeyCode::Enter => (None, vec![on_yes]),
                KeyCode::Esc | KeyCode::Char('n') => (None, Vec::new()),
                _ => (
                    Some(Dialog::Confirm {
                        title,
                        message,
                        on_yes,
                    }),
                    Vec::new(),
                ),
            },
            Dialog::Picker(picker) => self.picker_key(picker, key),
            Dialog::Form(form) => self.form_key(form, key),
            Dialog::AssignmentConflict {
                body,
                request,
                sending,
            } => match key.code {
                KeyCode::Esc => {
                    self.flash(FlashKind::Info, "Cancelled; nothing changed.");
                    (None, Vec::new())
                }
                KeyCode::Enter if !sending => {
                    let retry = NewAssignment {
                        return_conflicting: true,
                        ..request.clone()
                    };
                    (
                        Some(Dialog::AssignmentConflict {
                            body,
                            request,
                            sending: true,
                        }),
                        vec![Command::CreateAssignment(retry)],
                    )
                }
                _ => (
                    Some(Dialog::AssignmentConflict {
                        body,
                        request,
                        sending,
                    }),
                    Vec::new(),
                ),
            },
            Dialog::SignIn(sign_in) => self.sign_in_key(sign_in, key),
            Dialog::RoleForm(form) => self.role_form_key(form, key),
            Dialog::RoleConflict(dialog) => self.role_conflict_key(dialog, key),
        }
    }

    fn picker_key(&mut self, mut picker: Picker, key: KeyEvent) -> (Option<Dialog>, Vec<Command>) {
        match key.code {
            KeyCode::Esc => return (None, Vec::new()),
            KeyCode::Down => {
                picker.selected = (picker.selected + 1).min(picker.visible.len().saturating_sub(1))
            }
            KeyCode::Up => picker.selected = picker.selected.saturating_sub(1),
            KeyCode::PageDown => {
                picker.selected = (picker.selected + 10).min(picker.visible.len().saturating_sub(1))
            }
            KeyCode::PageUp => picker.selected = picker.selected.saturating_sub(10),
            KeyCode::Enter => {
                let Some(choice) = picker.selected_item().cloned() else {
                    return (Some(Dialog::Picker(picker)), Vec::new());
                };
                return match picker.purpose {
                    PickPurpose::TechnicianFor { vehicle_id, .. } => (
                        None,
                        vec![Command::CreateAssignment(NewAssignment {
                            vehicle_id,
                            technician_id: choice.id,
                            return_conflicting: false,
                        })],
                    ),
                    PickPurpose::VehicleFor { technician_id, .. } => (
                        None,
                        vec![Command::CreateAssignment(NewAssignment {
                            vehicle_id: choice.id,
                            technician_id,
                            return_conflicting: false,
                        })],
                    ),
                    PickPurpose::RoleUser | PickPurpose::RoleOrganization => {
                        self.picked_for_role_form(&picker.purpose, &choice);
                        (None, Vec::new())
                    }
                    PickPurpose::NewAssignmentVehicle => {
                        let vehicle = self
                            .vehicles
                            .items
                            .iter()
                            .find(|v| v.vehicle.id == choice.id);
                        let name = vehicle.map_or(choice.label.clone(), |v| v.vehicle.name.clone());
                        let purpose = PickPurpose::TechnicianFor {
                            vehicle_id: choice.id,
                            vehicle: name.clone(),
                        };
                        self.open_technician_picker(
                            format!("New assignment: {name} goes to"),
                            purpose,
                        );
                        (None, Vec::new())
                    }
                };
            }
            _ => {
                picker
                    .filter
                    .handle_event(&crossterm::event::Event::Key(key));
                picker.refilter();
            }
        }
        (Some(Dialog::Picker(picker)), Vec::new())
    }

    fn form_key(&mut self, mut form: Form, key: KeyEvent) -> (Option<Dialog>, Vec<Command>) {
        match key.code {
            KeyCode::Esc if form.is_dirty() => {
                self.dialogs.push(Dialog::Form(form));
                self.dialogs.push(Dialog::ConfirmDiscard);
                return (None, Vec::new());
            }
            KeyCode::Esc => return (None, Vec::new()),
            KeyCode::Tab | KeyCode::Down => {
                form.focus = (form.focus + 1) % form.fields.len().max(1)
            }
            KeyCode::BackTab | KeyCode::Up => {
                form.focus = (form.focus + form.fields.len().max(1) - 1) % form.fields.len().max(1)
            }
            KeyCode::Enter if !form.sending => {
                if let Some(command) = form.validate() {
                    form.sending = true;
                    form.error = None;
                    return (Some(Dialog::Form(form)), vec![command]);
                }
            }
            _ => {
                if let Some(field) = form.fields.get_mut(form.focus) {
                    field.input.handle_event(&crossterm::event::Event::Key(key));
                    field.error = None;
                }
            }
        }
        (Some(Dialog::Form(form)), Vec::new())
    }

    fn sign_in_key(
        &mut self,
        mut sign_in: SignIn,
        key: KeyEvent,
    ) -> (Option<Dialog>, Vec<Command>) {
        match key.code {
            KeyCode::Esc if self.user.is_none() => {
                self.should_quit = true;
                return (None, vec![Command::Quit]);
            }
            KeyCode::Tab | KeyCode::Down | KeyCode::Up | KeyCode::BackTab => {
                sign_in.focus = 1 - sign_in.focus.min(1)
            }
            KeyCode::Enter if !sign_in.sending => {
                let email = sign_in.email.value().trim().to_string();
                let password = sign_in.password.value().to_string();
                if email.is_empty() {
                    sign_in.error = Some("Enter your e-mail address.".to_string());
                    sign_in.focus = 0;
                } else if password.is_empty() {
                    sign_in.error = Some("Enter your password.".to_string());
                    sign_in.focus = 1;
                } else {
                    sign_in.sending = true;
                    sign_in.error = None;
                    return (
                        Some(Dialog::SignIn(sign_in)),
                        vec![Command::SignIn { email, password }],
                    );
                }
            }
            _ => {
                let input = if sign_in.focus == 0 {
                    &mut sign_in.email
                } else {
                    &mut sign_in.password
                };
                input.handle_event(&crossterm::event::Event::Key(key));
            }
        }
        (Some(Dialog::SignIn(sign_in)), Vec::new())
    }
}

fn assignment_details(item: &Assignment) -> Dialog {
    Dialog::Details {
        title: format!("Assignment #{}", item.id),
        lines: vec![
            ("Status".to_string(), item.status.as_str().to_string()),
            (
                "Vehicle".to_string(),
                format!("{} ({})", item.vehicle.name, item.vehicle.license_plate),
            ),
            (
                "Make / model".to_string(),
                [item.vehicle.make.as_deref(), item.vehicle.model.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (
                "Technician".to_string(),
                format!("{} <{}>", item.technician.name, item.technician.email),
            ),
            ("Assigned".to_string(), date_cell(&item.assigned_date)),
            (
                "Returned".to_string(),
                item.returned_date
                    .as_ref()
                    .map(date_cell)
                    .unwrap_or_else(|| "—".to_string()),
            ),
        ],
    }
}
