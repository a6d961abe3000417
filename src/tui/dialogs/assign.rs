//! Assigning from a picker: a technician for a vehicle, a vehicle for a technician, or a new
//! assignment in two steps (the vehicle, then the technician).

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::NewAssignment;
use crate::tui::keys::KeyMap;
use crate::tui::message::Command;
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
