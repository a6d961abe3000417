//! The Technicians tab: every technician and their vehicle; new, edit, assign a vehicle, and
//! their history.

use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::TabLook;
use crate::api::events::{EventData, EventKind};
use crate::api::{
    Assignment, SystemRole, TechnicianActiveAssignment, TechnicianListItem, VehicleListItem,
};
use crate::tui::dialogs::{AssignPicker, Dialog, FleetForm, History, Outcome};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::live::Change;
use crate::tui::message::{Command, Subject};
use crate::tui::rows::vehicle_choices;
use crate::tui::widgets::table::{ListState, ListTable};

pub const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::New), "new", true),
    HintSpec::new(Keys::First(Action::Edit), "edit", true),
    HintSpec::new(Keys::First(Action::Assign), "assign a vehicle", true),
    HintSpec::new(Keys::First(Action::Open), "history", false),
];

#[derive(Debug, Default)]
pub struct TechniciansTab {
    pub list: ListState<TechnicianListItem>,
}

impl TechniciansTab {
    pub fn on_action(
        &mut self,
        action: Action,
        vehicles: &[VehicleListItem],
        history: &[Assignment],
    ) -> Outcome {
        let selected = self.list.selected_item();
        let open = Outcome::open;
        match (action, selected) {
            (Action::New, _) => open(Dialog::FleetForm(FleetForm::technician(None))),
            (Action::Edit, Some(item)) => {
                open(Dialog::FleetForm(FleetForm::technician(Some(item))))
            }
            (Action::Assign, Some(item)) => open(Dialog::Assign(AssignPicker::vehicle_for(
                item.user.id,
                format!("Assign a vehicle to {}", item.user.name),
                vehicle_choices(vehicles),
            ))),
            (Action::Open, Some(item)) => {
                let id = item.user.id;
                let subject = Subject::Technician(id);
                let dialog = History::new(
                    format!("History of {}", item.user.name),
                    history
                        .iter()
                        .filter(|a| a.technician_id == id)
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
            (Action::Edit | Action::Assign | Action::Open, None) => Outcome::Stay,
            _ => Outcome::Ignored,
        }
    }

    /// Applies a change to the technician it concerns; `mark` marks that row until then.
    /// True when a visible row changed.
    pub fn apply(&mut self, change: &Change, mark: Option<Instant>) -> bool {
        let list = &mut self.list;
        if !list.loaded {
            return false;
        }
        let (key, shown) = match (change.kind(), change.data.as_ref()) {
            (_, EventData::User(user)) if user.role == SystemRole::Technician => {
                let active = list
                    .get(user.id)
                    .and_then(|item| item.active_assignment.clone());
                let item = TechnicianListItem {
                    user: user.clone(),
                    active_assignment: active,
                };
                (user.id, list.upsert(item))
            }
            // No longer a technician.
            (_, EventData::User(user)) => return list.remove(user.id),
            (EventKind::AssignmentCreated, EventData::Assignment(a)) => {
                let shown = list.update(a.technician_id, |item| {
                    item.active_assignment = Some(TechnicianActiveAssignment {
                        id: a.id,
                        vehicle: a.vehicle.clone(),
                        assigned_date: a.assigned_date,
                    });
                });
                (a.technician_id, shown)
            }
            (EventKind::AssignmentReturned, EventData::Assignment(a)) => {
                let shown = list.update(a.technician_id, |item| {
                    if item
                        .active_assignment
                        .as_ref()
                        .is_some_and(|x| x.id == a.id)
                    {
                        item.active_assignment = None;
                    }
                });
                (a.technician_id, shown)
            }
            (_, EventData::Vehicle(vehicle)) => {
                // A renamed vehicle, where someone has it.
                return list.update_all(|item| match &mut item.active_assignment {
                    Some(active)
                        if active.vehicle.id == vehicle.id && active.vehicle != *vehicle =>
                    {
                        active.vehicle = vehicle.clone();
                        true
                    }
                    _ => false,
                });
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
            &[20, 30, 26, 16]
        } else {
            &[16, 24, 20, 11]
        };
        frame.render_stateful_widget(ListTable::new(widths, look), area, &mut self.list);
    }
}
