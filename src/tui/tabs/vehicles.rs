//! The Vehicles tab: every vehicle and who has it; new, edit, delete (asks), assign to a
//! technician, and its history.

use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::TabLook;
use crate::api::events::{EventData, EventKind};
use crate::api::{Assignment, TechnicianListItem, VehicleActiveAssignment, VehicleListItem};
use crate::tui::dialogs::{AssignPicker, Confirm, Dialog, FleetForm, History, Outcome, StatusForm};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::live::Change;
use crate::tui::message::{Command, Subject};
use crate::tui::rows::technician_choices;
use crate::tui::widgets::table::{ListState, ListTable};

pub const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::New), "new", true),
    HintSpec::new(Keys::First(Action::Edit), "edit", true),
    HintSpec::new(Keys::First(Action::Delete), "delete", true),
    HintSpec::new(Keys::First(Action::Assign), "assign", true),
    HintSpec::new(Keys::First(Action::ServiceStatus), "service status", false),
    HintSpec::new(Keys::First(Action::Open), "history", false),
];

#[derive(Debug, Default)]
pub struct VehiclesTab {
    pub list: ListState<VehicleListItem>,
}

impl VehiclesTab {
    pub fn on_action(
        &mut self,
        action: Action,
        technicians: &[TechnicianListItem],
        history: &[Assignment],
    ) -> Outcome {
        let selected = self.list.selected_item();
        let open = Outcome::open;
        match (action, selected) {
            (Action::New, _) => open(Dialog::FleetForm(FleetForm::vehicle(None))),
            (Action::Edit, Some(item)) => open(Dialog::FleetForm(FleetForm::vehicle(Some(item)))),
            (Action::Delete, Some(item)) => open(Dialog::Confirm(Confirm::new(
                "Delete vehicle",
                format!(
                    "Delete {} ({})? Vehicles with assignment history cannot be deleted.",
                    item.vehicle.name, item.vehicle.license_plate
                ),
                Command::DeleteVehicle(item.vehicle.id, item.vehicle.name.clone()),
            ))),
            (Action::Assign, Some(item)) => open(Dialog::Assign(AssignPicker::technician_for(
                item.vehicle.id,
                format!("Assign {} to", item.vehicle.name),
                technician_choices(technicians),
            ))),
            (Action::ServiceStatus, Some(item)) => {
                open(Dialog::StatusForm(Box::new(StatusForm::new(item))))
            }
            (Action::Open, Some(item)) => {
                let id = item.vehicle.id;
                let subject = Subject::Vehicle(id);
                let dialog = History::new(
                    format!(
                        "History of {} ({})",
                        item.vehicle.name, item.vehicle.license_plate
                    ),
                    history
                        .iter()
                        .filter(|a| a.vehicle_id == id)
                        .cloned()
                        .collect(),
                )
                .with_events(subject);
                open(Dialog::History(dialog)).and(Outcome::Send(Command::LoadActivity {
                    generation: 0,
                    before: None,
                    subject: Some(subject),
                }))
            }
            (
                Action::Edit
                | Action::Delete
                | Action::Assign
                | Action::ServiceStatus
                | Action::Open,
                None,
            ) => Outcome::Stay,
            _ => Outcome::Ignored,
        }
    }

    /// Applies a change to the row it concerns; `mark` marks that row until then. True when
    /// a visible row changed.
    pub fn apply(&mut self, change: &Change, mark: Option<Instant>) -> bool {
        let list = &mut self.list;
        if !list.loaded {
            // The load on its way has it.
            return false;
        }
        let (key, shown) = match (change.kind(), change.data.as_ref()) {
            (EventKind::VehicleDeleted, EventData::Vehicle(vehicle)) => {
                (vehicle.id, list.remove(vehicle.id))
            }
            (_, EventData::Vehicle(vehicle)) => {
                let active = list
                    .get(vehicle.id)
                    .and_then(|item| item.active_assignment.clone());
                let item = VehicleListItem {
                    vehicle: vehicle.clone(),
                    active_assignment: active,
                };
                (vehicle.id, list.upsert(item))
            }
            (EventKind::AssignmentCreated, EventData::Assignment(a)) => {
                let shown = list.update(a.vehicle_id, |item| {
                    item.vehicle = a.vehicle.clone();
                    item.active_assignment = Some(VehicleActiveAssignment {
                        id: a.id,
                        technician: a.technician.clone(),
                        assigned_date: a.assigned_date,
                    });
                });
                (a.vehicle_id, shown)
            }
            (EventKind::AssignmentReturned, EventData::Assignment(a)) => {
                let shown = list.update(a.vehicle_id, |item| {
                    if item
                        .active_assignment
                        .as_ref()
                        .is_some_and(|x| x.id == a.id)
                    {
                        item.active_assignment = None;
                    }
                });
                (a.vehicle_id, shown)
            }
            (_, EventData::User(user)) => {
                // A renamed technician, where they hold a vehicle.
                let shown = list.update_all(|item| match &mut item.active_assignment {
                    Some(active)
                        if active.technician.id == user.id
                            && (active.technician.name != user.name
                                || active.technician.email != user.email) =>
                    {
                        active.technician.name = user.name.clone();
                        active.technician.email = user.email.clone();
                        true
                    }
                    _ => false,
                });
                return shown;
            }
            _ => return false,
        };
        if let Some(until) = mark {
            if list.get(key).is_some() {
                list.mark(key, until);
            }
        }
        shown
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &TabLook) {
        let wide = look.wide;
        let widths: &[u16] = if wide {
            &[14, 11, 18, 5, 22, 18]
        } else {
            &[12, 10, 12, 4, 15, 12]
        };
        frame.render_stateful_widget(ListTable::new(widths, look), area, &mut self.list);
    }
}
