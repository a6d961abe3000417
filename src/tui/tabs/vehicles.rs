//! The Vehicles tab: every vehicle and who has it; new, edit, delete (asks), assign to a
//! technician, and its history.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::api::{Assignment, TechnicianListItem, VehicleListItem};
use crate::tui::dialogs::{AssignPicker, Confirm, Dialog, FleetForm, History, Outcome};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::message::Command;
use crate::tui::rows::technician_choices;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::{ListState, ListTable};

pub const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::New), "new", true),
    HintSpec::new(Keys::First(Action::Edit), "edit", true),
    HintSpec::new(Keys::First(Action::Delete), "delete", true),
    HintSpec::new(Keys::First(Action::Assign), "assign", true),
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
                Command::DeleteVehicle(item.vehicle.id),
            ))),
            (Action::Assign, Some(item)) => open(Dialog::Assign(AssignPicker::technician_for(
                item.vehicle.id,
                format!("Assign {} to", item.vehicle.name),
                technician_choices(technicians),
            ))),
            (Action::Open, Some(item)) => {
                let id = item.vehicle.id;
                open(Dialog::History(History::new(
                    format!(
                        "History of {} ({})",
                        item.vehicle.name, item.vehicle.license_plate
                    ),
                    history
                        .iter()
                        .filter(|a| a.vehicle_id == id)
                        .cloned()
                        .collect(),
                )))
            }
            (Action::Edit | Action::Delete | Action::Assign | Action::Open, None) => Outcome::Stay,
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, wide: bool, theme: Theme) {
        let widths: &[u16] = if wide {
            &[16, 11, 22, 5, 20]
        } else {
            &[14, 10, 20, 4, 14]
        };
        frame.render_stateful_widget(ListTable::new(widths, wide, theme), area, &mut self.list);
    }
}
