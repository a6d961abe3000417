//! The Assignments tab: the history, newest first, paged in as you scroll; by status (all →
//! active → returned); new (a vehicle, then a technician), return (asks), details.

use std::time::Instant;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::TabLook;
use crate::api::events::{EventData, EventKind};
use crate::api::{
    Assignment, AssignmentStatus, AssignmentsEnvelope, TechnicianListItem, VehicleListItem,
};
use crate::tui::dialogs::{thousands, AssignPicker, Details, Dialog, Outcome, ReturnForm};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::rows::{date_cell, make_model, technician_choices, vehicle_choices};
use crate::tui::status::Flash;
use crate::tui::widgets::table::{ListState, ListTable};

pub const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::New), "new", true),
    HintSpec::new(Keys::First(Action::Return), "return", true),
    HintSpec::new(Keys::First(Action::Status), "status", true),
    HintSpec::new(Keys::First(Action::Open), "details", false),
];

/// The ASSIGNED column: newest first, as the server sends them.
const NEWEST_FIRST: usize = 5;

#[derive(Debug)]
pub struct AssignmentsTab {
    pub list: ListState<Assignment>,
    status: Option<AssignmentStatus>,
    /// `nextBefore` of the last page loaded; None when all history is here.
    next_before: Option<i64>,
    loading_more: bool,
    /// Answers to older loads (another status, a reload) are dropped.
    generation: u64,
    /// The oldest assignment date loaded: older history comes with the pages, not the stream.
    oldest: Option<DateTime<Utc>>,
    /// A first page asked for while polling: merged into what is loaded, not replacing it.
    polling: bool,
}

impl Default for AssignmentsTab {
    fn default() -> Self {
        AssignmentsTab {
            list: ListState::sorted_by(NEWEST_FIRST),
            status: None,
            next_before: None,
            loading_more: false,
            generation: 0,
            oldest: None,
            polling: false,
        }
    }
}

impl AssignmentsTab {
    /// Loads the first page again; older answers will be dropped.
    pub fn reload(&mut self) -> Command {
        self.generation += 1;
        self.polling = false;
        self.next_before = None;
        Command::LoadAssignments {
            generation: self.generation,
            status: self.status,
            before: None,
        }
    }

    /// The first page again, merged into what is loaded (polling while the stream is away).
    pub fn poll(&mut self) -> Command {
        self.polling = true;
        Command::LoadAssignments {
            generation: self.generation,
            status: self.status,
            before: None,
        }
    }

    /// A page arrived; false when it answers a superseded load.
    pub fn page_loaded(&mut self, generation: u64) -> bool {
        if generation != self.generation {
            return false;
        }
        self.loading_more = false;
        true
    }

    pub fn accept_page(&mut self, append: bool, page: AssignmentsEnvelope) {
        if !append && std::mem::take(&mut self.polling) && self.list.loaded {
            // Deeper pages stay; the first one's rows are taken in place.
            self.list.extend_items(page.assignments);
            return;
        }
        let oldest = page.assignments.iter().map(|a| a.assigned_date).min();
        self.oldest = match (append, self.oldest, oldest) {
            (true, Some(before), Some(now)) => Some(before.min(now)),
            (true, before, None) => before,
            (_, _, now) => now,
        };
        if append {
            self.list.extend_items(page.assignments);
        } else {
            self.list.set_items(page.assignments);
        }
        self.next_before = page.next_before.next_before();
    }

    /// Near the end of the loaded history: the next page.
    pub fn load_more(&mut self) -> Option<Command> {
        let near_end =
            self.list.selection.index() + self.list.selection.page() >= self.list.shown();
        match self.next_before {
            Some(before) if near_end && !self.loading_more => {
                self.loading_more = true;
                Some(Command::LoadAssignments {
                    generation: self.generation,
                    status: self.status,
                    before: Some(before),
                })
            }
            _ => None,
        }
    }

    /// "status: active ▾   ", before the filter.
    pub fn status_prefix(&self) -> String {
        let status = match self.status {
            None => "all",
            Some(AssignmentStatus::Active) => "active",
            Some(AssignmentStatus::Returned) => "returned",
        };
        format!("status: {status} ▾   ")
    }

    /// "+" after the count while older history is not loaded.
    pub fn more(&self) -> &'static str {
        if self.next_before.is_some() {
            "+"
        } else {
            ""
        }
    }

    pub fn on_action(
        &mut self,
        action: Action,
        vehicles: &[VehicleListItem],
        technicians: &[TechnicianListItem],
    ) -> Outcome {
        match action {
            Action::Status => {
                self.status = match self.status {
                    None => Some(AssignmentStatus::Active),
                    Some(AssignmentStatus::Active) => Some(AssignmentStatus::Returned),
                    Some(AssignmentStatus::Returned) => None,
                };
                self.list.clear();
                Outcome::Send(self.reload())
            }
            Action::New => Outcome::open(Dialog::Assign(AssignPicker::new_assignment(
                vehicle_choices(vehicles),
                technician_choices(technicians),
            ))),
            Action::Return => match self.list.selected_item() {
                Some(item) if item.status == AssignmentStatus::Active => {
                    Outcome::open(Dialog::ReturnForm(Box::new(ReturnForm::new(item))))
                }
                Some(item) => {
                    Outcome::Say(Flash::info(format!("#{} is already returned.", item.id)))
                }
                None => Outcome::Stay,
            },
            Action::Open => match self.list.selected_item() {
                Some(item) => Outcome::open(Dialog::Details(details(item))),
                None => Outcome::Stay,
            },
            _ => Outcome::Ignored,
        }
    }

    /// Whether the list, as loaded, has a place for `assignment`: its status fits and it is
    /// loaded already or not older than the pages loaded so far.
    fn has_place_for(&self, assignment: &Assignment) -> bool {
        let status_fits = self.status.is_none_or(|status| status == assignment.status);
        let in_range = self.list.get(assignment.id).is_some()
            || self.next_before.is_none()
            || self
                .oldest
                .is_none_or(|oldest| assignment.assigned_date >= oldest);
        status_fits && in_range
    }

    /// Applies a change to the assignments it concerns; `mark` marks the row until then.
    /// True when a visible row changed.
    pub fn apply(&mut self, change: &Change, mark: Option<Instant>) -> bool {
        if !self.list.loaded {
            return false;
        }
        match (change.kind(), change.data.as_ref()) {
            (
                EventKind::AssignmentCreated | EventKind::AssignmentReturned,
                EventData::Assignment(a),
            ) => {
                let shown = if self.has_place_for(a) {
                    self.list.upsert(a.as_ref().clone())
                } else {
                    // Returned while the list shows the active ones (or the other way round).
                    self.list.remove(a.id)
                };
                if let Some(until) = mark {
                    if self.list.get(a.id).is_some() {
                        self.list.mark(a.id, until);
                    }
                }
                shown
            }
            (EventKind::VehicleUpdated, EventData::Vehicle(vehicle)) => self.list.update_all(|a| {
                let renamed = a.vehicle_id == vehicle.id && a.vehicle != *vehicle;
                if renamed {
                    a.vehicle = vehicle.clone();
                }
                renamed
            }),
            (_, EventData::User(user)) => self.list.update_all(|a| {
                let renamed = a.technician_id == user.id
                    && (a.technician.name != user.name || a.technician.email != user.email);
                if renamed {
                    a.technician.name = user.name.clone();
                    a.technician.email = user.email.clone();
                }
                renamed
            }),
            _ => false,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &TabLook) {
        let wide = look.wide;
        let widths: &[u16] = if wide {
            &[6, 12, 11, 16, 9, 16, 16]
        } else {
            &[5, 9, 9, 12, 8, 11, 11]
        };
        frame.render_stateful_widget(ListTable::new(widths, look), area, &mut self.list);
    }
}

fn details(item: &Assignment) -> Details {
    Details::new(
        format!("Assignment #{}", item.id),
        vec![
            ("Status".to_string(), item.status.as_str().to_string()),
            (
                "Vehicle".to_string(),
                format!("{} ({})", item.vehicle.name, item.vehicle.license_plate),
            ),
            (
                "Make / model".to_string(),
                make_model(item.vehicle.make.as_deref(), item.vehicle.model.as_deref()),
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
            (
                "Odometer".to_string(),
                item.return_odometer_km
                    .map(|km| format!("{} km at the return", thousands(km)))
                    .unwrap_or_else(|| "—".to_string()),
            ),
            (
                "Return note".to_string(),
                item.return_note.clone().unwrap_or_else(|| "—".to_string()),
            ),
        ],
    )
}
