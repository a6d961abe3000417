//! The tabs: rooms that own a list (or two), their keys and their drawing. [`Tabs`] holds
//! them and hands each what it needs from the others.
//!
//! A new tab: a file here with its struct, `HINTS`, `on_action` and `draw`; a variant in
//! [`Tab`] (its title, key context and jump action); a field in [`Tabs`] and an arm in each of
//! its matches; its keys in `keys/action.rs`.

mod activity;
mod assignments;
mod roles;
mod technicians;
mod vehicles;

use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

pub use activity::{subject_query, ActivityRow, ActivityTab};
pub use assignments::AssignmentsTab;
pub use roles::{RolesFocus, RolesTab};
pub use technicians::TechniciansTab;
pub use vehicles::VehiclesTab;

use super::dialogs::Outcome;
use super::keys::hints::HintSpec;
use super::keys::{Action, Context, KeyMap};
use super::live::Change;
use super::message::{Command, Done, Response};
use super::theme::Theme;
use super::widgets::table::{ListState, Row};
use crate::api::dates::Day;
use crate::api::{Assignment, TechnicianListItem, VehicleListItem};
use crate::client::ClientError;

/// What a tab needs to draw itself.
pub struct TabLook<'a> {
    /// 100 columns or more: dates with their year, wider columns.
    pub wide: bool,
    pub today: Day,
    pub keys: &'a KeyMap,
    pub theme: Theme,
    /// The list takes the keys (no dialog over it): its selection shows `▶`, else `▷`.
    pub focused: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Vehicles,
    Technicians,
    Assignments,
    Roles,
    Activity,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Vehicles,
        Tab::Technicians,
        Tab::Assignments,
        Tab::Roles,
        Tab::Activity,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Vehicles => "Vehicles",
            Tab::Technicians => "Technicians",
            Tab::Assignments => "Assignments",
            Tab::Roles => "Roles",
            Tab::Activity => "Activity",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|tab| *tab == self).unwrap_or(0)
    }

    /// Where its keys are looked up.
    pub fn context(self) -> Context {
        match self {
            Tab::Vehicles => Context::Vehicles,
            Tab::Technicians => Context::Technicians,
            Tab::Assignments => Context::Assignments,
            Tab::Roles => Context::Roles,
            Tab::Activity => Context::Activity,
        }
    }

    /// The tab a jump action goes to.
    pub fn jump(action: Action) -> Option<Tab> {
        match action {
            Action::Vehicles => Some(Tab::Vehicles),
            Action::Technicians => Some(Tab::Technicians),
            Action::Assignments => Some(Tab::Assignments),
            Action::Roles => Some(Tab::Roles),
            Action::Activity => Some(Tab::Activity),
            _ => None,
        }
    }

    /// The next tab round, forward or back.
    pub fn next(self, forward: bool) -> Tab {
        let len = Tab::ALL.len();
        let step = if forward { 1 } else { len - 1 };
        Tab::ALL[(self.index() + step) % len]
    }

    /// The tab's own keys for the footer and the help.
    pub fn hints(self) -> &'static [HintSpec] {
        match self {
            Tab::Vehicles => vehicles::HINTS,
            Tab::Technicians => technicians::HINTS,
            Tab::Assignments => assignments::HINTS,
            Tab::Roles => roles::HINTS,
            Tab::Activity => activity::HINTS,
        }
    }
}

/// A move of the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
}

impl Motion {
    pub fn of(action: Action) -> Option<Motion> {
        Some(match action {
            Action::Down => Motion::Down,
            Action::Up => Motion::Up,
            Action::PageDown => Motion::PageDown,
            Action::PageUp => Motion::PageUp,
            Action::First => Motion::First,
            Action::Last => Motion::Last,
            _ => return None,
        })
    }

    /// Rows to move with `page` rows to a page and `len` rows in all.
    pub(crate) fn delta(self, page: usize, len: usize) -> isize {
        let page = page.max(1) as isize;
        match self {
            Motion::Down => 1,
            Motion::Up => -1,
            Motion::PageDown => page,
            Motion::PageUp => -page,
            Motion::First => -(len as isize),
            Motion::Last => len as isize,
        }
    }
}

fn move_list<T>(list: &mut ListState<T>, motion: Motion) {
    let delta = motion.delta(list.selection.page(), list.shown());
    list.move_by(delta);
}

/// What the status line says about a tab.
pub struct Counts {
    pub prefix: Option<String>,
    /// "3 of 214".
    pub counts: String,
    pub stale: bool,
    /// What the filter filters, for "/ to filter organizations".
    pub filters: &'static str,
}

fn list_counts<T>(list: &ListState<T>, more: &str) -> Counts {
    Counts {
        prefix: None,
        counts: format!("{} of {}{more}", list.shown(), list.items().len()),
        stale: list.stale,
        filters: "",
    }
}

/// What became of an answer the tabs took.
pub enum Taken {
    /// Loaded; the organization, when it was one organization's role assignments.
    Loaded(Option<String>),
    /// A poll brought the rows shown already: nothing to draw.
    Unchanged,
    /// An answer to a superseded request: dropped.
    Dropped,
    /// The server does not let this user see it.
    Refused,
    Failed(ClientError),
    /// Not the answer to a load.
    Other,
}

/// Changes from the stream that came while loads were on their way: applied again on top of
/// each answer, so an answer read before a change cannot undo it (applying is idempotent).
#[derive(Debug, Default)]
struct Catchup {
    loads: usize,
    changes: Vec<Change>,
}

#[derive(Debug, Default)]
pub struct Tabs {
    pub vehicles: VehiclesTab,
    pub technicians: TechniciansTab,
    pub assignments: AssignmentsTab,
    pub roles: RolesTab,
    pub activity: ActivityTab,
    catchup: Catchup,
}

impl Tabs {
    /// A load is on its way.
    pub fn load_sent(&mut self) {
        self.catchup.loads += 1;
    }

    /// A change from the stream, applied to every tab; `mark` marks what someone else changed
    /// until then. True when what `tab` shows changed.
    pub fn apply(
        &mut self,
        change: &Change,
        mark: Option<Instant>,
        tab: Tab,
        filter: &str,
    ) -> bool {
        if self.catchup.loads > 0 {
            self.catchup.changes.push(change.clone());
        }
        let changed = [
            (Tab::Vehicles, self.vehicles.apply(change, mark)),
            (Tab::Technicians, self.technicians.apply(change, mark)),
            (Tab::Assignments, self.assignments.apply(change, mark)),
            (Tab::Roles, self.roles.apply(change, mark, filter)),
            (Tab::Activity, self.activity.apply(change, mark)),
        ];
        changed.iter().any(|(t, shown)| *t == tab && *shown)
    }

    /// A load answered that feeds no tab (a history's events).
    pub fn answered_elsewhere(&mut self) {
        self.catch_up(None, "");
    }

    /// An answer to a load arrived (taken or not): what changed meanwhile is applied again
    /// to the tab it fed.
    fn catch_up(&mut self, fed: Option<Tab>, filter: &str) {
        self.catchup.loads = self.catchup.loads.saturating_sub(1);
        let changes = if self.catchup.loads == 0 {
            std::mem::take(&mut self.catchup.changes)
        } else {
            self.catchup.changes.clone()
        };
        for change in &changes {
            match fed {
                Some(Tab::Vehicles) => drop(self.vehicles.apply(change, None)),
                Some(Tab::Technicians) => drop(self.technicians.apply(change, None)),
                Some(Tab::Assignments) => drop(self.assignments.apply(change, None)),
                Some(Tab::Roles) => drop(self.roles.apply(change, None, filter)),
                Some(Tab::Activity) => drop(self.activity.apply(change, None)),
                None => {}
            }
        }
    }

    /// An answer to a load goes to the tab that asked; `tab` is the one shown.
    pub fn take(&mut self, tab: Tab, filter: &str, response: Response) -> Taken {
        let fed = match &response {
            Response::Vehicles(_) => Some(Tab::Vehicles),
            Response::Technicians(_) => Some(Tab::Technicians),
            Response::Assignments { .. } => Some(Tab::Assignments),
            Response::Organizations(_)
            | Response::MyRoles(_)
            | Response::RoleAssignments { .. } => Some(Tab::Roles),
            Response::Activity { subject: None, .. } => Some(Tab::Activity),
            _ => None,
        };
        let load = response.is_load();
        let taken = self.take_answer(tab, filter, response);
        if load {
            let fed = matches!(taken, Taken::Loaded(_) | Taken::Unchanged)
                .then_some(fed)
                .flatten();
            self.catch_up(fed, filter);
        }
        taken
    }

    fn take_answer(&mut self, tab: Tab, filter: &str, response: Response) -> Taken {
        match response {
            Response::Vehicles(Ok(items)) => {
                if !self.vehicles.list.replace_items(items) {
                    return Taken::Unchanged;
                }
            }
            Response::Technicians(Ok(items)) => {
                if !self.technicians.list.replace_items(items) {
                    return Taken::Unchanged;
                }
            }
            Response::Assignments {
                generation,
                append,
                result,
            } => {
                if !self.assignments.page_loaded(generation) {
                    // Superseded by a newer status or reload.
                    return Taken::Dropped;
                }
                match result {
                    Ok(page) => self.assignments.accept_page(append, page),
                    Err(error) => return Taken::Failed(error),
                }
            }
            Response::Organizations(Ok(organizations)) => {
                self.roles.organizations_loaded(organizations, filter);
                return Taken::Loaded(None);
            }
            Response::MyRoles(Ok(rows)) => {
                self.roles.my_roles_loaded(rows);
                return Taken::Loaded(None);
            }
            Response::RoleAssignments {
                request,
                organization_id,
                below,
                result: Ok(rows),
            } => {
                self.roles
                    .assignments_loaded(request, organization_id.clone(), below, rows);
                return Taken::Loaded(Some(organization_id));
            }
            Response::Activity {
                generation,
                subject: None,
                append,
                result,
            } => match result {
                Ok(page) => {
                    if !self.activity.accept(generation, append, page) {
                        return Taken::Dropped;
                    }
                }
                Err(error) if error.status() == Some(403) => {
                    self.activity.refused();
                    self.activity.list.refresh_visible(filter);
                    return Taken::Refused;
                }
                Err(error) => return Taken::Failed(error),
            },
            Response::Vehicles(Err(error))
            | Response::Technicians(Err(error))
            | Response::Organizations(Err(error))
            | Response::MyRoles(Err(error))
            | Response::RoleAssignments {
                result: Err(error), ..
            } => return Taken::Failed(error),
            _ => return Taken::Other,
        }
        // New rows in a list: every list is filtered and sorted again.
        self.refilter_all(tab, filter);
        Taken::Loaded(None)
    }

    /// A key's action on `tab`, with what it needs of the other tabs.
    pub fn on_action(&mut self, tab: Tab, action: Action, filter: &str, keys: &KeyMap) -> Outcome {
        let vehicles = self.vehicles.list.items();
        let technicians = self.technicians.list.items();
        let history = self.assignments.list.items();
        match tab {
            Tab::Vehicles => self.vehicles.on_action(action, technicians, history),
            Tab::Technicians => self.technicians.on_action(action, vehicles, history),
            Tab::Assignments => self.assignments.on_action(action, vehicles, technicians),
            Tab::Roles => self.roles.on_action(action, filter, keys),
            Tab::Activity => self.activity.on_action(action),
        }
    }

    /// The list on `tab` as shown (filtered, sorted), for `x`; None on the Roles tab before an
    /// organization's assignments are loaded.
    pub fn export_view(&self, tab: Tab) -> Option<super::export_view::View> {
        fn view<T: Row>(name: &'static str, list: &ListState<T>) -> super::export_view::View {
            super::export_view::View {
                name,
                header: T::COLUMNS.iter().map(|title| title.to_string()).collect(),
                rows: list.visible().map(Row::cells).collect(),
            }
        }
        Some(match tab {
            Tab::Vehicles => view("vehicles", &self.vehicles.list),
            Tab::Technicians => view("technicians", &self.technicians.list),
            Tab::Assignments => view("assignments", &self.assignments.list),
            Tab::Activity => view("activity", &self.activity.list),
            Tab::Roles => super::export_view::roles(&self.roles.shown_rows()?),
        })
    }

    /// The selected row's key text for `y`, and what it is: a vehicle's plate, a
    /// technician's e-mail, an assignment's id, a role assignment's relId.
    pub fn key_text(&self, tab: Tab) -> Option<(String, String)> {
        match tab {
            Tab::Vehicles => self.vehicles.list.selected_item().map(|item| {
                let vehicle = &item.vehicle;
                (
                    vehicle.license_plate.clone(),
                    format!("{}'s plate", vehicle.name),
                )
            }),
            Tab::Technicians => self.technicians.list.selected_item().map(|item| {
                (
                    item.user.email.clone(),
                    format!("{}'s e-mail", item.user.name),
                )
            }),
            Tab::Assignments => self
                .assignments
                .list
                .selected_item()
                .map(|item| (item.id.to_string(), "the assignment's id".to_string())),
            Tab::Roles => self.roles.selected_assignment().map(|row| {
                let what = format!("{}'s role assignment, relId", row.user_name);
                (row.rel_id.to_string(), what)
            }),
            Tab::Activity => None,
        }
    }

    /// Moves the selection; the history may want its next page.
    pub fn motion(&mut self, tab: Tab, motion: Motion) -> Option<Command> {
        match tab {
            Tab::Vehicles => move_list(&mut self.vehicles.list, motion),
            Tab::Technicians => move_list(&mut self.technicians.list, motion),
            Tab::Assignments => {
                move_list(&mut self.assignments.list, motion);
                return self.assignments.load_more();
            }
            Tab::Roles => self.roles.motion(motion),
            Tab::Activity => {
                move_list(&mut self.activity.list, motion);
                return self.activity.load_more();
            }
        }
        None
    }

    pub fn cycle_sort(&mut self, tab: Tab, reverse: bool) {
        match tab {
            Tab::Vehicles => self
                .vehicles
                .list
                .cycle_sort(reverse, VehicleListItem::COLUMNS.len()),
            Tab::Technicians => self
                .technicians
                .list
                .cycle_sort(reverse, TechnicianListItem::COLUMNS.len()),
            Tab::Assignments => self
                .assignments
                .list
                .cycle_sort(reverse, Assignment::COLUMNS.len()),
            Tab::Roles => self.roles.cycle_sort(reverse),
            Tab::Activity => self
                .activity
                .list
                .cycle_sort(reverse, ActivityRow::COLUMNS.len()),
        }
    }

    /// The filter changed on `tab`.
    pub fn refilter(&mut self, tab: Tab, filter: &str) {
        match tab {
            Tab::Vehicles => self.vehicles.list.refresh_visible(filter),
            Tab::Technicians => self.technicians.list.refresh_visible(filter),
            Tab::Assignments => self.assignments.list.refresh_visible(filter),
            Tab::Roles => self.roles.refilter(filter),
            Tab::Activity => self.activity.list.refresh_visible(filter),
        }
    }

    /// New rows arrived: every list again, the tree only when it is shown.
    pub fn refilter_all(&mut self, tab: Tab, filter: &str) {
        self.vehicles.list.refresh_visible(filter);
        self.technicians.list.refresh_visible(filter);
        self.assignments.list.refresh_visible(filter);
        self.activity.list.refresh_visible(filter);
        if tab == Tab::Roles {
            self.roles.refilter(filter);
        }
    }

    /// The filter was kept with Enter.
    pub fn filter_kept(&mut self, tab: Tab, filter: &str) {
        if tab == Tab::Roles {
            self.roles.filter_kept(filter);
        }
    }

    /// What an action wrote becomes the selection of the list that shows it, once shown.
    pub fn select_written(&mut self, done: &Done) {
        match done {
            Done::Assigned(assignment) => self.assignments.list.select_key(assignment.id),
            Done::VehicleCreated(vehicle) => self.vehicles.list.select_key(vehicle.id),
            Done::TechnicianCreated(user) => self.technicians.list.select_key(user.id),
            Done::Roles {
                rel_id: Some(rel_id),
                ..
            } => self.roles.want(*rel_id),
            _ => {}
        }
    }

    /// Offline: what is shown may be old.
    pub fn mark_stale(&mut self) {
        self.vehicles.list.stale = true;
        self.technicians.list.stale = true;
        self.assignments.list.stale = true;
        self.activity.list.stale = true;
        self.roles.mark_stale();
    }

    pub fn counts(&self, tab: Tab) -> Counts {
        match tab {
            Tab::Vehicles => list_counts(&self.vehicles.list, ""),
            Tab::Technicians => list_counts(&self.technicians.list, ""),
            Tab::Assignments => Counts {
                prefix: Some(self.assignments.status_prefix()),
                ..list_counts(&self.assignments.list, self.assignments.more())
            },
            Tab::Roles => {
                let (counts, stale) = self.roles.counts();
                Counts {
                    prefix: None,
                    counts,
                    stale,
                    filters: " organizations",
                }
            }
            Tab::Activity => Counts {
                prefix: self
                    .activity
                    .is_refused()
                    .then(|| "the log is for admins: changes since you signed in   ".to_string()),
                ..list_counts(&self.activity.list, self.activity.more())
            },
        }
    }

    /// (shown, loaded in all) of the tab's rows (the tree's, on the Roles tab).
    pub fn row_counts(&self, tab: Tab) -> (usize, usize) {
        fn of<T>(list: &ListState<T>) -> (usize, usize) {
            (list.shown(), list.items().len())
        }
        match tab {
            Tab::Vehicles => of(&self.vehicles.list),
            Tab::Technicians => of(&self.technicians.list),
            Tab::Assignments => of(&self.assignments.list),
            Tab::Roles => self.roles.row_counts(),
            Tab::Activity => of(&self.activity.list),
        }
    }

    /// The selected row, the first row drawn and the rows in a page, of the list that moves.
    pub fn position(&self, tab: Tab) -> (usize, usize, usize) {
        let selection = match tab {
            Tab::Vehicles => &self.vehicles.list.selection,
            Tab::Technicians => &self.technicians.list.selection,
            Tab::Assignments => &self.assignments.list.selection,
            Tab::Roles => self.roles.moving(),
            Tab::Activity => &self.activity.list.selection,
        };
        (selection.index(), selection.offset(), selection.page())
    }

    pub fn draw(&mut self, tab: Tab, frame: &mut Frame, area: Rect, look: &TabLook) {
        match tab {
            Tab::Vehicles => self.vehicles.draw(frame, area, look),
            Tab::Technicians => self.technicians.draw(frame, area, look),
            Tab::Assignments => self.assignments.draw(frame, area, look),
            Tab::Roles => self.roles.draw(frame, area, look),
            Tab::Activity => self.activity.draw(frame, area, look),
        }
    }

    /// Drops the marks whose time is up; true when one was on what `tab` shows.
    pub fn expire_marks(&mut self, now: Instant, tab: Tab) -> bool {
        let changed = [
            (Tab::Vehicles, self.vehicles.list.expire_marks(now)),
            (Tab::Technicians, self.technicians.list.expire_marks(now)),
            (Tab::Assignments, self.assignments.list.expire_marks(now)),
            (Tab::Roles, self.roles.expire_marks(now)),
            (Tab::Activity, self.activity.list.expire_marks(now)),
        ];
        changed.iter().any(|(t, shown)| *t == tab && *shown)
    }

    /// When the next mark ends.
    pub fn next_mark_end(&self) -> Option<Instant> {
        [
            self.vehicles.list.next_mark_end(),
            self.technicians.list.next_mark_end(),
            self.assignments.list.next_mark_end(),
            self.roles.next_mark_end(),
            self.activity.list.next_mark_end(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The loads of what `tab` shows, for polling while the stream cannot be had.
    pub fn poll(&mut self, tab: Tab) -> Vec<Command> {
        match tab {
            Tab::Vehicles => vec![Command::LoadVehicles],
            Tab::Technicians => vec![Command::LoadTechnicians],
            Tab::Assignments => vec![self.assignments.poll()],
            Tab::Roles => self.roles.poll(),
            Tab::Activity => self.activity.poll().into_iter().collect(),
        }
    }
}
