//! The server refused an assignment (409): every assignment in the way is named; `Enter`
//! returns them and assigns in one request, `Esc` changes nothing.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::{AssignmentConflictBody, NewAssignment};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::frame::{centered, dialog_block, wrapped_height};

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "return those and assign", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel, nothing changes", true),
];

#[derive(Debug)]
pub struct AssignmentConflict {
    body: AssignmentConflictBody,
    request: NewAssignment,
    pub(super) sending: bool,
}

impl AssignmentConflict {
    pub fn new(body: AssignmentConflictBody, request: NewAssignment) -> AssignmentConflict {
        AssignmentConflict {
            body,
            request,
            sending: false,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        match keys.action(Context::AssignmentConflict, key) {
            Some(Action::Cancel) => {
                Outcome::Close.and(Outcome::Say(Flash::info("Cancelled; nothing changed.")))
            }
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
        let heading = if self.body.conflicts.len() > 1 {
            "These assignments are in the way:"
        } else {
            "This assignment is in the way:"
        };
        let mut lines = vec![Line::from(Span::styled(heading, theme.title()))];
        for conflict in &self.body.conflicts {
            let a = &conflict.assignment;
            lines.push(Line::from(format!(
                "  • {} ({}) is with {} since {} (#{})",
                a.vehicle.name,
                a.vehicle.license_plate,
                a.technician.name,
                a.assigned_date.format("%Y-%m-%d %H:%M"),
                a.id
            )));
        }
        lines.push(Line::from(""));
        if self.sending {
            lines.push(Line::from(Span::styled(
                "Returning and assigning…",
                theme.warning(),
            )));
        } else {
            lines.push(Line::from(key_line(
                look.keys,
                Context::AssignmentConflict,
                HINTS,
                ("", "    "),
                theme.key(),
            )));
        }
        let width = area.width.saturating_sub(4).min(90);
        let rect = centered(
            area,
            width,
            wrapped_height(&lines, width.saturating_sub(2)) + 2,
        );
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(dialog_block("Conflict", theme)),
            rect,
        );
    }
}
