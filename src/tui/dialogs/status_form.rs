//! `o` on a vehicle: its service status (in service, in shop, out of service) and a note
//! (API.md §8). A vehicle that still has an active assignment cannot leave service: the server
//! answers 409, and the dialog asks whether to return the assignment in the same change.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::{ServiceStatus, VehicleListItem, VehiclePatch};
use crate::domain::fleet::check_note;
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::field::{label, Field, FormStatus};
use crate::tui::widgets::frame::draw_dialog;

const CHOICES: [ServiceStatus; 3] = [
    ServiceStatus::InService,
    ServiceStatus::InShop,
    ServiceStatus::OutOfService,
];
const CHOICE_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::Run(Action::Up, Action::Down), "status", true),
    HintSpec::new(Keys::First(Action::NextField), "note", true),
    HintSpec::new(Keys::First(Action::Accept), "save", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];
const NOTE_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::NextField), "status", true),
    HintSpec::new(Keys::First(Action::Accept), "save", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];
const ASK_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Yes), "return it and save", true),
    HintSpec::new(Keys::All(Action::No), "keep editing", true),
];
const WIDTH: u16 = 68;

#[derive(Debug)]
pub struct StatusForm {
    id: i64,
    name: String,
    /// Who has it, as the list knows.
    holder: Option<String>,
    choice: usize,
    note: Field,
    on_note: bool,
    /// The server refused because it is assigned: its sentence, while asking to return it.
    asking: Option<String>,
    pub(super) error: Option<String>,
    note_error: Option<String>,
    pub(super) sending: bool,
}

impl StatusForm {
    pub fn new(item: &VehicleListItem) -> StatusForm {
        let vehicle = &item.vehicle;
        StatusForm {
            id: vehicle.id,
            name: vehicle.name.clone(),
            holder: item
                .active_assignment
                .as_ref()
                .map(|a| a.technician.name.clone()),
            choice: CHOICES
                .iter()
                .position(|s| *s == vehicle.service_status)
                .unwrap_or(0),
            note: Field::new(vehicle.status_note.as_deref().unwrap_or("")),
            on_note: false,
            asking: None,
            error: None,
            note_error: None,
            sending: false,
        }
    }

    pub fn chosen(&self) -> ServiceStatus {
        CHOICES[self.choice.min(CHOICES.len() - 1)]
    }

    pub fn is_asking_to_return(&self) -> bool {
        self.asking.is_some()
    }

    pub fn error(&self) -> Option<&str> {
        self.note_error.as_deref().or(self.error.as_deref())
    }

    /// The server answered 409: the vehicle is assigned. Ask before returning it.
    pub fn assigned(&mut self, message: String) {
        self.sending = false;
        self.asking = Some(message);
    }

    fn command(&self, return_active: bool) -> Option<Command> {
        let note = self.note.value().trim();
        let patch = VehiclePatch {
            service_status: Some(self.chosen()),
            status_note: Some((!note.is_empty()).then(|| note.to_string())),
            return_active,
            ..VehiclePatch::default()
        };
        Some(Command::SetVehicleStatus(self.id, self.name.clone(), patch))
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        if self.asking.is_some() {
            return match keys.action(Context::Confirm, key) {
                Some(Action::Yes) => {
                    self.asking = None;
                    self.sending = true;
                    self.command(true).map_or(Outcome::Stay, Outcome::Send)
                }
                Some(Action::No) => {
                    self.asking = None;
                    Outcome::Stay
                }
                _ => Outcome::Stay,
            };
        }
        let context = if self.on_note {
            Context::FleetForm
        } else {
            Context::ServiceStatus
        };
        match keys.action(context, key) {
            Some(Action::Cancel) => {
                Outcome::Close.and(Outcome::Say(Flash::info("Cancelled; nothing changed.")))
            }
            Some(Action::NextField) | Some(Action::PreviousField) => {
                self.on_note = !self.on_note;
                Outcome::Stay
            }
            Some(Action::Up) => {
                self.choice = (self.choice + CHOICES.len() - 1) % CHOICES.len();
                Outcome::Stay
            }
            Some(Action::Down) => {
                self.choice = (self.choice + 1) % CHOICES.len();
                Outcome::Stay
            }
            Some(Action::Accept) if !self.sending => {
                let note = self.note.value().trim();
                if let Err(why) = check_note("The note", (!note.is_empty()).then_some(note)) {
                    self.note_error = Some(why);
                    self.on_note = true;
                    return Outcome::Say(Flash::info(super::fleet_form::NOT_SAVED));
                }
                self.error = None;
                self.sending = true;
                self.command(false).map_or(Outcome::Stay, Outcome::Send)
            }
            _ if self.on_note => {
                if self.note.input(key) {
                    self.note_error = None;
                }
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let width = area.width.saturating_sub(4).min(WIDTH);
        let inner = usize::from(width.saturating_sub(2));
        let mut lines = Vec::new();
        if let Some(holder) = &self.holder {
            lines.push(Line::from(Span::styled(
                format!("{} is with {holder}.", self.name),
                theme.dim(),
            )));
        }
        lines.push(Line::from(""));
        for (index, status) in CHOICES.iter().enumerate() {
            let chosen = index == self.choice;
            let mark = if chosen { "(•)" } else { "( )" };
            let pointer = if chosen && !self.on_note { "▶" } else { " " };
            let style = if chosen && !self.on_note {
                theme.key()
            } else {
                ratatui::style::Style::default()
            };
            lines.push(Line::from(vec![
                Span::raw(format!("  {pointer} ")),
                Span::styled(format!("{mark} {}", status.label()), style),
            ]));
        }
        lines.push(Line::from(""));
        let field_width = inner.saturating_sub(12);
        lines.push(Line::from(vec![
            label("Note", 8, self.on_note, theme),
            Span::raw(self.note.in_width(self.on_note, false, field_width)),
        ]));
        lines.push(match &self.note_error {
            Some(why) => Line::from(Span::styled(format!("{:10}{why}", ""), theme.error())),
            None => Line::from(Span::styled(
                format!("{:10}optional, e.g. brakes, back Thursday", ""),
                theme.dim(),
            )),
        });
        lines.push(Line::from(""));
        if let Some(error) = &self.error {
            lines.push(FormStatus::Error(error).line("", theme));
        }
        if let Some(why) = &self.asking {
            lines.push(FormStatus::Notice(why).line("", theme));
            lines.push(Line::from(format!(
                "Return its assignment and set {} {}?",
                self.name,
                self.chosen().label()
            )));
            lines.push(Line::from(key_line(
                look.keys,
                Context::Confirm,
                ASK_HINTS,
                ("", "    "),
                theme.key(),
            )));
        } else if self.sending {
            lines.push(FormStatus::Sending("Saving…").line("", theme));
        } else {
            let (context, hints) = if self.on_note {
                (Context::FleetForm, NOTE_HINTS)
            } else {
                (Context::ServiceStatus, CHOICE_HINTS)
            };
            lines.push(Line::from(key_line(
                look.keys,
                context,
                hints,
                ("", "    "),
                theme.key(),
            )));
        }
        let title = format!("Service status of {}", self.name);
        draw_dialog(frame, area, width, &title, lines, theme);
    }
}
