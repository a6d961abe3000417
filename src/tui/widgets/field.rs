//! A one-line text field: what is typed into filters and forms goes here, never through the
//! key map (typing `q` in a name is a `q`, not quit).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::Span;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use crate::tui::theme::Theme;

/// Text being typed, and what it started as (to tell whether it changed).
#[derive(Clone, Debug, Default)]
pub struct Field {
    input: Input,
    initial: String,
}

impl Field {
    pub fn new(text: &str) -> Field {
        Field {
            input: Input::new(text.to_string()),
            initial: text.to_string(),
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// Replaces the text (a picker's first letter, a cleared password).
    pub fn set(&mut self, text: &str) {
        self.input = Input::new(text.to_string());
    }

    pub fn is_changed(&self) -> bool {
        self.input.value() != self.initial
    }

    /// A key press as editing: typing, deleting, moving the cursor. False when it is no edit.
    pub fn input(&mut self, key: &KeyEvent) -> bool {
        self.input.handle_event(&Event::Key(*key)).is_some()
    }

    /// The text as shown: as typed, or one bullet per character when secret.
    pub fn shown(&self, secret: bool) -> String {
        if secret {
            "•".repeat(self.input.value().chars().count())
        } else {
            self.input.value().to_string()
        }
    }

    /// The text with the cursor block after it while focused.
    pub fn with_cursor(&self, focused: bool, secret: bool) -> String {
        format!("{}{}", self.shown(secret), cursor(focused))
    }
}

/// The block drawn after a focused field's text.
pub fn cursor(focused: bool) -> &'static str {
    if focused {
        "█"
    } else {
        ""
    }
}

/// A field's label, right-aligned to `width`, highlighted while focused: "      E-mail: ".
pub fn label(text: &str, width: usize, focused: bool, theme: Theme) -> Span<'static> {
    let style = if focused {
        theme.key()
    } else {
        Style::default()
    };
    Span::styled(format!("{text:>width$}: "), style)
}

/// A printable character typed without Ctrl or Alt: on a field that is chosen from a list
/// rather than typed, it opens the list with the character as its filter.
pub fn typed_char(key: &KeyEvent) -> Option<char> {
    let modified = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(c) if !modified && !c.is_control() => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_edits_and_marks_the_field_changed() {
        let mut field = Field::new("Van");
        assert!(!field.is_changed());
        assert!(field.input(&KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)));
        assert_eq!(field.value(), "Vans");
        assert!(field.is_changed());
        assert!(!field.input(&KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        assert_eq!(field.with_cursor(true, true), "••••█");
        let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(typed_char(&ctrl_x), None);
    }
}
