//! The Technicians tab: every technician and their vehicle; new, edit, assign a vehicle, and
//! their history.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::api::{Assignment, TechnicianListItem, VehicleListItem};
use crate::tui::dialogs::{AssignPicker, Dialog, FleetForm, History, Outcome};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::rows::vehicle_choices;
use crate::tui::theme::Theme;
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
                open(Dialog::History(History::new(
                    format!("History of {}", item.user.name),
                    history
                        .iter()
                        .filter(|a| a.technician_id == id)
                        .cloned()
                        .collect(),
                )))
            }
            (Action::Edit | Action::Assign | Action::Open, None) => Outcome::Stay,
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, wide: bool, theme: Theme) {
        let widths: &[u16] = if wide {
            &[20, 30, 26, 16]
        } else {
            &[16, 24, 20, 11]
        };
        frame.render_stateful_widget(ListTable::new(widths, wide, theme), area, &mut self.list);
    }
}
