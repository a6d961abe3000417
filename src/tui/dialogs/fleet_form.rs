//! The vehicle and technician forms: fields checked the way the server checks them before
//! anything is sent, and a question before typed input is thrown away.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::confirm::{discard_key, draw_discard};
use super::{Look, Outcome};
use crate::api::{
    NewUser, NewVehicle, SystemRole, TechnicianListItem, UserPatch, VehicleListItem, VehiclePatch,
};
use crate::domain::fleet::{self, Field as Checked, VehicleInput};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::field::{label, Field, FormStatus};
use crate::tui::widgets::frame::{centered, dialog_block, hang};

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::NextField), "next field", true),
    HintSpec::new(Keys::First(Action::Accept), "save", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    NewVehicle,
    EditVehicle(i64),
    NewTechnician,
    EditTechnician(i64),
}

/// The footer while a form's own check refuses what was entered.
pub(super) const NOT_SAVED: &str = "Not saved; the form says what to fix.";

#[derive(Debug)]
struct FormField {
    label: &'static str,
    /// The domain's name for it, to place its errors.
    checked: Checked,
    field: Field,
    secret: bool,
    error: Option<String>,
    /// Said under the field while it is empty.
    when_empty: Option<&'static str>,
}

fn field(label: &'static str, checked: Checked, value: &str, secret: bool) -> FormField {
    FormField {
        label,
        checked,
        field: Field::new(value),
        secret,
        error: None,
        when_empty: None,
    }
}

#[derive(Debug)]
pub struct FleetForm {
    kind: Kind,
    fields: Vec<FormField>,
    focus: usize,
    pub(super) sending: bool,
    pub(super) error: Option<String>,
    /// Asking whether to discard the input.
    asking: bool,
    /// Someone changed the record being edited meanwhile.
    notice: Option<String>,
}

impl FleetForm {
    fn new(kind: Kind, fields: Vec<FormField>) -> FleetForm {
        FleetForm {
            kind,
            fields,
            focus: 0,
            sending: false,
            error: None,
            asking: false,
            notice: None,
        }
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Someone else changed or deleted the record being edited: the form says so (its input
    /// stays; saving overwrites their change). True when it concerned this form.
    pub fn live(&mut self, change: &crate::tui::live::Change) -> bool {
        use crate::api::events::EventData;
        let concerned = match (self.kind, change.data.as_ref()) {
            (Kind::EditVehicle(id), EventData::Vehicle(v)) => v.id == id,
            (Kind::EditTechnician(id), EventData::User(u)) => u.id == id,
            _ => false,
        };
        if concerned && change.by_other {
            self.notice = Some(change.just());
        }
        concerned && change.by_other
    }

    /// New vehicle, or edit `existing`.
    pub fn vehicle(existing: Option<&VehicleListItem>) -> FleetForm {
        let (kind, name, plate, make, model, year) = match existing {
            None => (Kind::NewVehicle, "", "", "", "", String::new()),
            Some(item) => {
                let vehicle = &item.vehicle;
                (
                    Kind::EditVehicle(vehicle.id),
                    vehicle.name.as_str(),
                    vehicle.license_plate.as_str(),
                    vehicle.make.as_deref().unwrap_or(""),
                    vehicle.model.as_deref().unwrap_or(""),
                    vehicle.year.map(|y| y.to_string()).unwrap_or_default(),
                )
            }
        };
        FleetForm::new(
            kind,
            vec![
                field("Name", Checked::Name, name, false),
                field("Plate", Checked::LicensePlate, plate, false),
                field("Make", Checked::Make, make, false),
                field("Model", Checked::Model, model, false),
                field("Year", Checked::Year, &year, false),
            ],
        )
    }

    /// New technician, or edit `existing` (an empty password keeps the old one).
    pub fn technician(existing: Option<&TechnicianListItem>) -> FleetForm {
        let (kind, name, email, password, when_empty) = match existing {
            None => (Kind::NewTechnician, "", "", "Password", None),
            Some(item) => (
                Kind::EditTechnician(item.user.id),
                item.user.name.as_str(),
                item.user.email.as_str(),
                "New password",
                Some("Empty keeps the current one."),
            ),
        };
        FleetForm::new(
            kind,
            vec![
                field("Name", Checked::Name, name, false),
                field("E-mail", Checked::Email, email, false),
                FormField {
                    when_empty,
                    ..field(password, Checked::Password, "", true)
                },
            ],
        )
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            Kind::NewVehicle => "New vehicle",
            Kind::EditVehicle(_) => "Edit vehicle",
            Kind::NewTechnician => "New technician",
            Kind::EditTechnician(_) => "Edit technician",
        }
    }

    /// Whether it is asking to discard its input.
    pub fn is_asking(&self) -> bool {
        self.asking
    }

    pub fn is_dirty(&self) -> bool {
        self.fields.iter().any(|field| field.field.is_changed())
    }

    fn value(&self, index: usize) -> &str {
        self.fields
            .get(index)
            .map_or("", |field| field.field.value())
    }

    fn optional(&self, index: usize) -> Option<String> {
        let value = self.value(index).trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        if self.asking {
            self.asking = false;
            return discard_key(key, keys).unwrap_or(Outcome::Stay);
        }
        let count = self.fields.len().max(1);
        match keys.action(Context::FleetForm, key) {
            Some(Action::Cancel) if self.is_dirty() => self.asking = true,
            Some(Action::Cancel) => return Outcome::Close,
            Some(Action::NextField) => self.focus = (self.focus + 1) % count,
            Some(Action::PreviousField) => self.focus = (self.focus + count - 1) % count,
            Some(Action::Accept) if !self.sending => {
                if let Some(command) = self.validate() {
                    self.sending = true;
                    self.error = None;
                    return Outcome::Send(command);
                }
                // An older answer in the footer would contradict the form.
                return Outcome::Say(Flash::info(NOT_SAVED));
            }
            _ => {
                if let Some(field) = self.fields.get_mut(self.focus) {
                    field.field.input(key);
                    field.error = None;
                }
            }
        }
        Outcome::Stay
    }

    /// Checks every field the way the server will, so nothing invalid is sent.
    fn validate(&mut self) -> Option<Command> {
        // The newest problem is the one shown: a server's answer to an earlier try goes.
        self.error = None;
        for field in &mut self.fields {
            field.error = None;
        }
        let (errors, command) = match self.kind {
            Kind::NewVehicle | Kind::EditVehicle(_) => {
                let (make, model, year) = (self.optional(2), self.optional(3), self.optional(4));
                let (errors, year) = fleet::vehicle_errors(&VehicleInput {
                    name: self.value(0),
                    plate: self.value(1),
                    make: make.as_deref(),
                    model: model.as_deref(),
                    year: year.as_deref(),
                });
                (errors, self.vehicle_command(year))
            }
            Kind::NewTechnician | Kind::EditTechnician(_) => {
                let password = self.value(2);
                let kept = matches!(self.kind, Kind::EditTechnician(_)) && password.is_empty();
                let errors =
                    fleet::user_errors(self.value(0), self.value(1), (!kept).then_some(password));
                (errors, self.technician_command())
            }
        };
        if errors.is_empty() {
            return Some(command);
        }
        let mut first = None;
        for error in errors {
            if let Some((index, field)) = self
                .fields
                .iter_mut()
                .enumerate()
                .find(|(_, field)| field.checked == error.field)
            {
                first.get_or_insert(index);
                field.error = Some(error.problem.sentence(field.label));
            }
        }
        if let Some(first) = first {
            self.focus = first;
        }
        None
    }

    fn vehicle_command(&self, year: Option<i64>) -> Command {
        let name = self.value(0).to_string();
        let plate = self.value(1).to_string();
        match self.kind {
            Kind::EditVehicle(id) => Command::UpdateVehicle(
                id,
                VehiclePatch {
                    name: Some(name),
                    license_plate: Some(plate),
                    make: Some(self.optional(2)),
                    model: Some(self.optional(3)),
                    year: Some(year),
                    ..VehiclePatch::default()
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
            Kind::EditTechnician(id) => Command::UpdateTechnician(
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

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        if self.asking {
            return draw_discard(frame, area, look);
        }
        let theme = look.theme;
        let height = self.fields.len() as u16 * 2 + 5;
        let rect = centered(area, 64, height);
        frame.render_widget(Clear, rect);
        let block = dialog_block(self.title(), theme);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let mut lines = Vec::new();
        // Right of the label ("…: "), up to the border.
        let field_width = usize::from(inner.width).saturating_sub(28);
        for (index, field) in self.fields.iter().enumerate() {
            let focused = index == self.focus;
            lines.push(Line::from(vec![
                label(field.label, 26, focused, theme),
                Span::raw(field.field.in_width(focused, field.secret, field_width)),
            ]));
            match (&field.error, field.when_empty) {
                (Some(error), _) => lines.push(Line::from(Span::styled(
                    format!("{:>28}{error}", ""),
                    theme.error(),
                ))),
                (None, Some(note)) if field.field.value().is_empty() => lines.push(Line::from(
                    Span::styled(format!("{:>28}{note}", ""), theme.dim()),
                )),
                (None, _) => lines.push(Line::from("")),
            }
        }
        let status = match (&self.error, &self.notice) {
            (Some(error), _) => Some(FormStatus::Error(error)),
            _ if self.sending => Some(FormStatus::Sending("Saving…")),
            (None, Some(notice)) => Some(FormStatus::Notice(notice)),
            (None, None) => None,
        };
        lines.push(status.map_or_else(|| Line::from(""), |status| status.line(" ", theme)));
        lines.push(Line::from(key_line(
            look.keys,
            Context::FleetForm,
            HINTS,
            (" ", "  "),
            theme.key(),
        )));
        frame.render_widget(Paragraph::new(hang(lines, inner.width)), inner);
    }
}
