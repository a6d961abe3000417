//! `r` on an active assignment: the return, asked in one dialog with the optional odometer
//! reading and note (API.md §8). `Enter` returns, `Esc` changes nothing; a refusal from the
//! server is shown here with the input kept.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::events::{EventData, EventKind};
use crate::api::{Assignment, ReturnReadings};
use crate::domain::fleet::{check_note, ODOMETER_MAX};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::status::Flash;
use crate::tui::widgets::field::{label, Field, FormStatus};
use crate::tui::widgets::frame::draw_dialog;

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::NextField), "next field", true),
    HintSpec::new(Keys::First(Action::Accept), "return", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel, nothing changes", true),
];
const LABEL_WIDTH: usize = 14;
const WIDTH: u16 = 68;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnField {
    Odometer,
    Note,
}

#[derive(Debug)]
pub struct ReturnForm {
    id: i64,
    question: String,
    /// The vehicle's last reading, which the new one may not be below.
    last_km: Option<i64>,
    odometer: Field,
    note: Field,
    focus: ReturnField,
    /// The field a local check refused, and why.
    field_error: Option<(ReturnField, String)>,
    /// The server's refusal.
    pub(super) error: Option<String>,
    pub(super) sending: bool,
    notice: Option<String>,
}

impl ReturnForm {
    pub fn new(assignment: &Assignment) -> ReturnForm {
        ReturnForm {
            id: assignment.id,
            question: format!(
                "Return {} from {} (#{})?",
                assignment.vehicle.name, assignment.technician.name, assignment.id
            ),
            last_km: assignment.vehicle.odometer_km,
            odometer: Field::default(),
            note: Field::default(),
            focus: ReturnField::Odometer,
            field_error: None,
            error: None,
            sending: false,
            notice: None,
        }
    }

    pub fn focus(&self) -> ReturnField {
        self.focus
    }

    pub fn error(&self) -> Option<&str> {
        self.field_error
            .as_ref()
            .map(|(_, why)| why.as_str())
            .or(self.error.as_deref())
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub fn is_sending(&self) -> bool {
        self.sending
    }

    /// Someone else returned it meanwhile: the dialog says so. True when it did.
    pub fn live(&mut self, change: &Change) -> bool {
        let concerned = matches!(
            (change.kind(), change.data.as_ref()),
            (EventKind::AssignmentReturned, EventData::Assignment(a)) if a.id == self.id
        );
        if concerned && change.by_other {
            self.notice = Some(change.just());
        }
        concerned
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        match keys.action(Context::FleetForm, key) {
            Some(Action::Cancel) => {
                Outcome::Close.and(Outcome::Say(Flash::info("Cancelled; nothing changed.")))
            }
            Some(Action::NextField) | Some(Action::PreviousField) => {
                self.focus = match self.focus {
                    ReturnField::Odometer => ReturnField::Note,
                    ReturnField::Note => ReturnField::Odometer,
                };
                Outcome::Stay
            }
            Some(Action::Accept) if !self.sending => match self.readings() {
                Ok(readings) => {
                    self.sending = true;
                    self.error = None;
                    Outcome::Send(Command::ReturnAssignment(self.id, readings))
                }
                Err((field, why)) => {
                    self.field_error = Some((field, why));
                    self.error = None;
                    self.focus = field;
                    Outcome::Say(Flash::info(super::fleet_form::NOT_SAVED))
                }
            },
            Some(Action::Accept) => Outcome::Stay,
            _ => {
                let field = match self.focus {
                    ReturnField::Odometer => &mut self.odometer,
                    ReturnField::Note => &mut self.note,
                };
                if field.input(key) {
                    self.field_error = None;
                }
                Outcome::Stay
            }
        }
    }

    /// The readings as the server takes them, checked the way it checks them.
    fn readings(&self) -> Result<ReturnReadings, (ReturnField, String)> {
        let odometer = self.odometer.value().trim();
        let odometer_km = if odometer.is_empty() {
            None
        } else {
            Some(parse_km(odometer, self.last_km).map_err(|why| (ReturnField::Odometer, why))?)
        };
        let note = self.note.value().trim();
        let note = (!note.is_empty()).then(|| note.to_string());
        check_note("The note", note.as_deref()).map_err(|why| (ReturnField::Note, why))?;
        Ok(ReturnReadings { odometer_km, note })
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let width = area.width.saturating_sub(4).min(WIDTH);
        let inner = usize::from(width.saturating_sub(2));
        let field_width = inner.saturating_sub(LABEL_WIDTH + 3);
        let mut lines = vec![Line::from(self.question.clone()), Line::from("")];
        let last = match self.last_km {
            Some(km) => format!("km, optional; last reading {}", thousands(km)),
            None => "km, optional".to_string(),
        };
        for (field, name, text, hint) in [
            (ReturnField::Odometer, "Odometer", &self.odometer, last),
            (
                ReturnField::Note,
                "Note",
                &self.note,
                "optional, e.g. brake pads worn".to_string(),
            ),
        ] {
            let focused = self.focus == field;
            lines.push(Line::from(vec![
                label(name, LABEL_WIDTH, focused, theme),
                Span::raw(text.in_width(focused, false, field_width)),
            ]));
            let pad = " ".repeat(LABEL_WIDTH + 2);
            lines.push(match &self.field_error {
                Some((bad, why)) if *bad == field => {
                    Line::from(Span::styled(format!("{pad}{why}"), theme.error()))
                }
                _ => Line::from(Span::styled(format!("{pad}{hint}"), theme.dim())),
            });
        }
        lines.push(Line::from(""));
        if let Some(notice) = &self.notice {
            lines.push(FormStatus::Notice(notice).line("", theme));
        }
        if let Some(error) = &self.error {
            lines.push(FormStatus::Error(error).line("", theme));
        }
        if self.sending {
            lines.push(FormStatus::Sending("Returning…").line("", theme));
        } else {
            lines.push(Line::from(key_line(
                look.keys,
                Context::FleetForm,
                HINTS,
                ("", "    "),
                theme.key(),
            )));
        }
        draw_dialog(frame, area, width, "Return assignment", lines, theme);
    }
}

/// "123456", "123,456" or "123 456" km; whole, from 0 to the maximum, not below `last`.
fn parse_km(text: &str, last: Option<i64>) -> Result<i64, String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{202f}'))
        .collect();
    if digits.starts_with('-') && digits[1..].chars().all(|c| c.is_ascii_digit()) {
        return Err("The odometer reading cannot be negative.".to_string());
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "\"{text}\" is not a whole number of km (e.g. 123456)."
        ));
    }
    let km = digits
        .parse::<i64>()
        .ok()
        .filter(|km| *km <= ODOMETER_MAX)
        .ok_or_else(|| format!("At most {} km.", thousands(ODOMETER_MAX)))?;
    match last {
        Some(last) if km < last => {
            Err(format!("Below the last reading of {} km.", thousands(last)))
        }
        _ => Ok(km),
    }
}

/// 123456 → "123,456".
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_checked_as_the_server_checks_them() {
        assert_eq!(parse_km("123456", None), Ok(123_456));
        assert_eq!(parse_km("123,456", Some(100)), Ok(123_456));
        assert_eq!(parse_km("0", None), Ok(0));
        assert!(parse_km("-5", None).unwrap_err().contains("negative"));
        assert!(parse_km("12.5", None).unwrap_err().contains("whole number"));
        assert!(parse_km("lots", None).unwrap_err().contains("whole number"));
        assert!(parse_km("10000001", None)
            .unwrap_err()
            .contains("10,000,000"));
        assert!(parse_km("99", Some(100)).unwrap_err().contains("100 km"));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
