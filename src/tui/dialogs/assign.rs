//! Assigning from a picker: a technician for a vehicle, a vehicle for a technician, or a new
//! assignment in two steps (the vehicle, then the technician).

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::events::EventData;
use crate::api::{NewAssignment, TechnicianListItem, VehicleListItem};
use crate::tui::keys::KeyMap;
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::rows::{technician_choices, vehicle_choices};
use crate::tui::widgets::picker::{Picked, Picker, PickerItem};

#[derive(Debug)]
enum Purpose {
    TechnicianFor {
        vehicle_id: i64,
    },
    VehicleFor {
        technician_id: i64,
    },
    /// The vehicle first; these technicians to choose from next.
    NewAssignment {
        technicians: Vec<PickerItem<i64>>,
    },
}

#[derive(Debug)]
pub struct AssignPicker {
    picker: Picker<i64>,
    purpose: Purpose,
}

impl AssignPicker {
    /// A technician for the vehicle `vehicle_id`.
    pub fn technician_for(
        vehicle_id: i64,
        title: String,
        technicians: Vec<PickerItem<i64>>,
    ) -> AssignPicker {
        AssignPicker {
            picker: Picker::new(title, technicians, true),
            purpose: Purpose::TechnicianFor { vehicle_id },
        }
    }

    /// A vehicle for the technician `technician_id`.
    pub fn vehicle_for(
        technician_id: i64,
        title: String,
        vehicles: Vec<PickerItem<i64>>,
    ) -> AssignPicker {
        AssignPicker {
            picker: Picker::new(title, vehicles, true),
            purpose: Purpose::VehicleFor { technician_id },
        }
    }

    /// A vehicle, then a technician for it.
    pub fn new_assignment(
        vehicles: Vec<PickerItem<i64>>,
        technicians: Vec<PickerItem<i64>>,
    ) -> AssignPicker {
        AssignPicker {
            picker: Picker::new("New assignment: pick a vehicle".to_string(), vehicles, true),
            purpose: Purpose::NewAssignment { technicians },
        }
    }

    pub fn picker(&self) -> &Picker<i64> {
        &self.picker
    }

    /// Someone changed vehicles or technicians: the items are taken afresh from the lists
    /// (busy ones marked again), and when the change concerns what is listed or what is being
    /// assigned, the picker says so. True when it changed.
    pub fn live(
        &mut self,
        change: &Change,
        vehicles: &[VehicleListItem],
        technicians: &[TechnicianListItem],
    ) -> bool {
        let (vehicle, technician) = match change.data.as_ref() {
            EventData::Assignment(a) => (Some(a.vehicle_id), Some(a.technician_id)),
            EventData::Vehicle(v) => (Some(v.id), None),
            EventData::User(u) => (None, Some(u.id)),
            _ => return false,
        };
        let concerned = match &mut self.purpose {
            Purpose::TechnicianFor { vehicle_id } => {
                let fixed = vehicle == Some(*vehicle_id);
                if technician.is_some() {
                    self.picker.set_items(technician_choices(technicians));
                }
                fixed || technician.is_some_and(|id| self.picker.has(&id))
            }
            Purpose::VehicleFor { technician_id } => {
                let fixed = technician == Some(*technician_id);
                if vehicle.is_some() {
                    self.picker.set_items(vehicle_choices(vehicles));
                }
                fixed || vehicle.is_some_and(|id| self.picker.has(&id))
            }
            Purpose::NewAssignment { technicians: next } => {
                if technician.is_some() {
                    *next = technician_choices(technicians);
                }
                if vehicle.is_some() {
                    self.picker.set_items(vehicle_choices(vehicles));
                }
                vehicle.is_some_and(|id| self.picker.has(&id))
            }
        };
        if concerned && change.by_other {
            self.picker.set_notice(change.just());
        }
        true
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        let choice = match self.picker.on_key(key, keys) {
            Picked::Cancelled => return Outcome::Close,
            Picked::Stay => return Outcome::Stay,
            Picked::Chosen(choice) => choice,
        };
        let assign = |vehicle_id, technician_id| {
            Outcome::Close.and(Outcome::Send(Command::CreateAssignment(NewAssignment {
                vehicle_id,
                technician_id,
                return_conflicting: false,
            })))
        };
        match &mut self.purpose {
            Purpose::TechnicianFor { vehicle_id } => assign(*vehicle_id, choice.id),
            Purpose::VehicleFor { technician_id } => assign(choice.id, *technician_id),
            Purpose::NewAssignment { technicians } => {
                let technicians = std::mem::take(technicians);
                *self = AssignPicker::technician_for(
                    choice.id,
                    format!("New assignment: {} goes to", choice.name),
                    technicians,
                );
                Outcome::Stay
            }
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &Look) {
        self.picker.draw(frame, area, look.keys, look.theme);
    }
}
