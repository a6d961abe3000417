//! Questions: "delete this?" before anything destructive, and "discard the input?" before a
//! form with typed input closes.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::events::{EventData, EventKind};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::frame::{centered, dialog_block, draw_dialog};

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::All(Action::Yes), "yes", true),
    HintSpec::new(Keys::All(Action::No), "no", true),
];

const QUIT_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Yes), "quit, losing it", true),
    HintSpec::new(Keys::All(Action::No), "keep editing", true),
];
const DISCARD_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Yes), "discard it", true),
    HintSpec::new(Keys::All(Action::No), "keep editing", true),
];

/// Sends `on_yes` if the answer is yes.
#[derive(Debug)]
pub struct Confirm {
    title: String,
    message: String,
    on_yes: Command,
    /// What happened to the record meanwhile.
    notice: Option<String>,
}

impl Confirm {
    pub fn new(title: impl Into<String>, message: String, on_yes: Command) -> Confirm {
        Confirm {
            title: title.into(),
            message,
            on_yes,
            notice: None,
        }
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Someone changed the record this asks about: the question says so. True when it did.
    pub fn live(&mut self, change: &Change) -> bool {
        let concerned = match (&self.on_yes, change.kind(), change.data.as_ref()) {
            (Command::DeleteVehicle(id, _), _, EventData::Vehicle(v)) => v.id == *id,
            (
                Command::DeleteVehicle(id, _),
                EventKind::AssignmentCreated,
                EventData::Assignment(a),
            ) => a.vehicle_id == *id,
            (Command::DeleteRoleAssignment(rel), _, EventData::RoleAssignment(row)) => {
                row.rel_id == *rel
            }
            _ => false,
        };
        if concerned && change.by_other {
            self.notice = Some(change.just());
        }
        concerned
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// What yes sends.
    pub fn on_yes(&self) -> &Command {
        &self.on_yes
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        match keys.action(Context::Confirm, key) {
            Some(Action::Yes) => Outcome::Close.and(Outcome::Send(self.on_yes.clone())),
            Some(Action::No) => Outcome::Close,
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let mut lines = vec![Line::from(self.message.clone())];
        if let Some(notice) = &self.notice {
            lines.push(Line::from(ratatui::text::Span::styled(
                format!("• {notice}"),
                theme.warning(),
            )));
        }
        lines.extend([
            Line::from(""),
            Line::from(key_line(
                look.keys,
                Context::Confirm,
                HINTS,
                ("", "    "),
                theme.key(),
            )),
        ]);
        let width = area.width.saturating_sub(4).min(64);
        draw_dialog(frame, area, width, &self.title, lines, theme);
    }
}

/// A form's answer to "discard the input?": yes closes the form, any other key keeps editing.
pub fn discard_key(key: &KeyEvent, keys: &KeyMap) -> Option<Outcome> {
    (keys.action(Context::Confirm, key) == Some(Action::Yes))
        .then(|| Outcome::Close.and(Outcome::Say(Flash::info("Discarded the form."))))
}

/// A form's answer to "quit and lose the input?": yes quits, any other key keeps editing.
pub fn quit_key(key: &KeyEvent, keys: &KeyMap) -> Option<Outcome> {
    (keys.action(Context::Confirm, key) == Some(Action::Yes)).then_some(Outcome::Quit)
}

/// The "quit and lose the input?" question, drawn over the form that asks it.
pub fn draw_quit(frame: &mut Frame, area: Rect, look: &Look) {
    draw_leaving(frame, area, look, QUIT_HINTS, "Quit?");
}

/// The "discard the input?" question, drawn over the form that asks it.
pub fn draw_discard(frame: &mut Frame, area: Rect, look: &Look) {
    draw_leaving(frame, area, look, DISCARD_HINTS, "Discard?");
}

fn draw_leaving(frame: &mut Frame, area: Rect, look: &Look, hints: &[HintSpec], title: &str) {
    let rect = centered(area, 50, 5);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from("The form holds input that was not saved."),
            Line::from(key_line(
                look.keys,
                Context::Confirm,
                hints,
                ("", "    "),
                look.theme.key(),
            )),
        ])
        .block(dialog_block(title, look.theme)),
        rect,
    );
}
