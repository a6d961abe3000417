//! The server refused an assignment (409): every assignment in the way is named; `Enter`
//! returns them and assigns in one request, `Esc` changes nothing. A vehicle that is not in
//! service is named too, and cannot be overridden: only `Esc` is offered then.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::events::{EventData, EventKind};
use crate::api::{
    AssignmentConflict as InTheWay, AssignmentConflictBody, ConflictReason, NewAssignment,
};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::frame::draw_dialog;

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "return those and assign", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel, nothing changes", true),
];
/// When one assignment is in the way.
const SINGLE_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "return it and assign", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel, nothing changes", true),
];
/// When the vehicle is not in service: nothing to override.
const BLOCKED_HINTS: &[HintSpec] = &[HintSpec::new(
    Keys::First(Action::Cancel),
    "close, nothing changes",
    true,
)];
/// When what was in the way went meanwhile.
const CLEAR_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "assign", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel, nothing changes", true),
];

#[derive(Debug)]
pub struct AssignmentConflict {
    body: AssignmentConflictBody,
    request: NewAssignment,
    pub(super) sending: bool,
    /// What changed in the way since the server answered.
    notice: Option<String>,
}

impl AssignmentConflict {
    pub fn new(body: AssignmentConflictBody, request: NewAssignment) -> AssignmentConflict {
        AssignmentConflict {
            body,
            request,
            sending: false,
            notice: None,
        }
    }

    /// The assignments in the way, as they are now.
    pub fn in_the_way(&self) -> &[InTheWay] {
        &self.body.conflicts
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The vehicle is not in service: `returnConflicting` would not help.
    fn unavailable(&self) -> Option<&InTheWay> {
        self.body
            .conflicts
            .iter()
            .find(|c| c.reason == ConflictReason::VehicleUnavailable)
    }

    /// An assignment was made or returned elsewhere: what is in the way follows, and the
    /// dialog says what happened. True when it concerned this request.
    pub fn live(&mut self, change: &Change) -> bool {
        let EventData::Assignment(a) = change.data.as_ref() else {
            return false;
        };
        let conflicts = &mut self.body.conflicts;
        let concerned = match change.kind() {
            EventKind::AssignmentReturned => {
                let before = conflicts.len();
                conflicts.retain(|c| c.assignment.as_ref().is_none_or(|held| held.id != a.id));
                conflicts.len() != before
            }
            EventKind::AssignmentCreated => {
                let reason = if a.vehicle_id == self.request.vehicle_id {
                    Some(ConflictReason::VehicleBusy)
                } else if a.technician_id == self.request.technician_id {
                    Some(ConflictReason::TechnicianBusy)
                } else {
                    None
                };
                match reason {
                    Some(reason)
                        if !conflicts
                            .iter()
                            .any(|c| c.assignment.as_ref().is_some_and(|held| held.id == a.id)) =>
                    {
                        conflicts.push(InTheWay {
                            reason,
                            assignment: Some(a.as_ref().clone()),
                            vehicle: None,
                        });
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if concerned {
            self.notice = Some(change.just());
        }
        concerned
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        match keys.action(Context::AssignmentConflict, key) {
            Some(Action::Cancel) => {
                Outcome::Close.and(Outcome::Say(Flash::info("Cancelled; nothing changed.")))
            }
            Some(Action::Accept) if self.unavailable().is_some() => Outcome::Say(Flash::info(
                "The vehicle is not in service; change its status first (o on Vehicles).",
            )),
            Some(Action::Accept) if !self.sending => {
                self.sending = true;
                Outcome::Send(Command::CreateAssignment(NewAssignment {
                    return_conflicting: true,
                    ..self.request.clone()
                }))
            }
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let blocked = self.unavailable().is_some();
        let heading = match self.body.conflicts.len() {
            _ if blocked => "This vehicle cannot be assigned:",
            0 => "Nothing is in the way any more.",
            1 => "This assignment is in the way:",
            _ => "These assignments are in the way:",
        };
        let mut lines = Vec::new();
        if let Some(notice) = &self.notice {
            lines.push(Line::from(Span::styled(
                format!("• {notice}"),
                theme.warning(),
            )));
        }
        lines.push(Line::from(Span::styled(heading, theme.title())));
        for conflict in &self.body.conflicts {
            match (&conflict.assignment, &conflict.vehicle) {
                (Some(a), _) => lines.push(Line::from(format!(
                    "  • {} ({}) is with {} since {} (#{})",
                    a.vehicle.name,
                    a.vehicle.license_plate,
                    a.technician.name,
                    a.assigned_date.format("%Y-%m-%d %H:%M"),
                    a.id
                ))),
                (None, Some(v)) => {
                    let mut text = format!(
                        "  • {} ({}) is {}",
                        v.name,
                        v.license_plate,
                        v.service_status.label()
                    );
                    if let Some(note) = &v.status_note {
                        text.push_str(&format!(": {note}"));
                    }
                    lines.push(Line::from(Span::styled(text, theme.warning())));
                    lines.push(Line::from(
                        "    This cannot be overridden; change the vehicle's status first.",
                    ));
                }
                (None, None) => {}
            }
        }
        lines.push(Line::from(""));
        if self.sending {
            lines.push(Line::from(Span::styled(
                "Returning and assigning…",
                theme.warning(),
            )));
        } else {
            let hints = if blocked {
                BLOCKED_HINTS
            } else if self.body.conflicts.is_empty() {
                CLEAR_HINTS
            } else if self.body.conflicts.len() == 1 {
                SINGLE_HINTS
            } else {
                HINTS
            };
            lines.push(Line::from(key_line(
                look.keys,
                Context::AssignmentConflict,
                hints,
                ("", "    "),
                theme.key(),
            )));
        }
        let width = area.width.saturating_sub(4).min(90);
        draw_dialog(frame, area, width, "Conflict", lines, theme);
    }
}
