//! The tabs: rooms that own a list (or two), their keys and their drawing. [`Tabs`] holds
//! them and hands each what it needs from the others.
//!
//! A new tab: a file here with its struct, `HINTS`, `on_action` and `draw`; a variant in
//! [`Tab`] (its title, key context and jump action); a field in [`Tabs`] and an arm in each of
//! its matches; its keys in `keys/action.rs`.

mod assignments;
mod roles;
mod technicians;
mod vehicles;

use ratatui::layout::Rect;
use ratatui::Frame;

pub use assignments::AssignmentsTab;
pub use roles::{RolesFocus, RolesTab};
pub use technicians::TechniciansTab;
pub use vehicles::VehiclesTab;

use super::dialogs::Outcome;
use super::keys::hints::HintSpec;
use super::keys::{Action, Context, KeyMap};
use super::message::{Command, Response};
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
}

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
        }
    }

    /// The tab a jump action goes to.
    pub fn jump(action: Action) -> Option<Tab> {
        match action {
            Action::Vehicles => Some(Tab::Vehicles),
            Action::Technicians => Some(Tab::Technicians),
            Action::Assignments => Some(Tab::Assignments),
            Action::Roles => Some(Tab::Roles),
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
    /// An answer to a superseded request: dropped.
    Dropped,
    /// The server does not let this user see it.
    Refused,
    Failed(ClientError),
    /// Not the answer to a load.
    Other,
}

#[derive(Debug, Default)]
pub struct Tabs {
    pub vehicles: VehiclesTab,
    pub technicians: TechniciansTab,
    pub assignments: AssignmentsTab,
    pub roles: RolesTab,
}

impl Tabs {
    /// An answer to a load goes to the tab that asked; `tab` is the one shown.
    pub fn take(&mut self, tab: Tab, filter: &str, response: Response) -> Taken {
        match response {
            Response::Vehicles(Ok(items)) => self.vehicles.list.set_items(items),
            Response::Technicians(Ok(items)) => self.technicians.list.set_items(items),
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
            Response::Users(Ok(users)) => {
                self.roles.users_loaded(users);
                return Taken::Loaded(None);
            }
            Response::Users(Err(error)) if error.status() == Some(403) => {
                self.roles.users_refused();
                return Taken::Refused;
            }
            Response::RoleAssignments {
                request,
                organization_id,
                result: Ok(rows),
            } => {
                self.roles
                    .assignments_loaded(request, organization_id.clone(), rows);
                return Taken::Loaded(Some(organization_id));
            }
            Response::Vehicles(Err(error))
            | Response::Technicians(Err(error))
            | Response::Organizations(Err(error))
            | Response::Users(Err(error))
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
        }
    }

    /// The filter changed on `tab`.
    pub fn refilter(&mut self, tab: Tab, filter: &str) {
        match tab {
            Tab::Vehicles => self.vehicles.list.refresh_visible(filter),
            Tab::Technicians => self.technicians.list.refresh_visible(filter),
            Tab::Assignments => self.assignments.list.refresh_visible(filter),
            Tab::Roles => self.roles.refilter(filter),
        }
    }

    /// New rows arrived: every list again, the tree only when it is shown.
    pub fn refilter_all(&mut self, tab: Tab, filter: &str) {
        self.vehicles.list.refresh_visible(filter);
        self.technicians.list.refresh_visible(filter);
        self.assignments.list.refresh_visible(filter);
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

    /// Offline: what is shown may be old.
    pub fn mark_stale(&mut self) {
        self.vehicles.list.stale = true;
        self.technicians.list.stale = true;
        self.assignments.list.stale = true;
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
        }
    }

    /// The selected row, the first row drawn and the rows in a page, of the list that moves.
    pub fn position(&self, tab: Tab) -> (usize, usize, usize) {
        let selection = match tab {
            Tab::Vehicles => &self.vehicles.list.selection,
            Tab::Technicians => &self.technicians.list.selection,
            Tab::Assignments => &self.assignments.list.selection,
            Tab::Roles => self.roles.moving(),
        };
        (selection.index(), selection.offset(), selection.page())
    }

    pub fn draw(&mut self, tab: Tab, frame: &mut Frame, area: Rect, look: &TabLook) {
        let (wide, theme) = (look.wide, look.theme);
        match tab {
            Tab::Vehicles => self.vehicles.draw(frame, area, wide, theme),
            Tab::Technicians => self.technicians.draw(frame, area, wide, theme),
            Tab::Assignments => self.assignments.draw(frame, area, wide, theme),
            Tab::Roles => self.roles.draw(frame, area, look),
        }
    }
}
