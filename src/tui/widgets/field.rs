//! A one-line text field: what is typed into filters and forms goes here, never through the
//! key map (typing `q` in a name is a `q`, not quit).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
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

    /// The text in `width` columns with the cursor block where the cursor is while focused,
    /// scrolled sideways so the cursor stays in view; `…` marks text cut off either side.
    pub fn in_width(&self, focused: bool, secret: bool, width: usize) -> String {
        windowed(&self.shown(secret), self.input.cursor(), focused, width)
    }
}

/// `text` with the cursor block at char `cursor_at` (when focused), cut to `width` columns
/// around it: a long line scrolls instead of wrapping over what is below.
pub fn windowed(text: &str, cursor_at: usize, focused: bool, width: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let target = if focused {
        let at = cursor_at.min(chars.len());
        chars.insert(at, '█');
        at
    } else {
        0
    };
    let widths: Vec<usize> = chars
        .iter()
        .map(|c| unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0))
        .collect();
    let from = |index: usize| -> usize { widths[index..].iter().sum() };
    if from(0) <= width || width < 4 {
        return chars.into_iter().collect();
    }
    // The first char shown: the latest start that keeps the cursor in view with room for a
    // `…` either side.
    let mut first = 0;
    loop {
        let left = usize::from(first > 0);
        let up_to_cursor: usize = widths[first..=target].iter().sum();
        let right = usize::from(left + from(first) > width);
        if left + up_to_cursor + right <= width || first == target {
            break;
        }
        first += 1;
    }
    let mut out = String::new();
    let mut used = 0;
    if first > 0 {
        out.push('…');
        used = 1;
    }
    for index in first..chars.len() {
        if used + from(index) <= width {
            out.extend(&chars[index..]);
            return out;
        }
        if used + widths[index] + 1 > width {
            break;
        }
        out.push(chars[index]);
        used += widths[index];
    }
    out.push('…');
    out
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

/// What a form says under its fields.
#[derive(Clone, Copy, Debug)]
pub enum FormStatus<'a> {
    /// What went wrong: `✗`, in the error colour.
    Error(&'a str),
    /// The request is on its way ("Saving…").
    Sending(&'a str),
    /// Something to know, such as a stale view: `•`.
    Notice(&'a str),
}

impl FormStatus<'_> {
    /// The line, after `indent`.
    pub fn line(self, indent: &str, theme: Theme) -> Line<'static> {
        let (text, style) = match self {
            FormStatus::Error(error) => (format!("{indent}✗ {error}"), theme.error()),
            FormStatus::Sending(what) => (format!("{indent}{what}"), theme.warning()),
            FormStatus::Notice(notice) => (format!("{indent}• {notice}"), theme.warning()),
        };
        Line::from(Span::styled(text, style))
    }
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

    /// A key as the terminal sends it, from its name in the key map's notation.
    fn key(text: &str) -> KeyEvent {
        text.parse::<crate::tui::keys::KeySpec>()
            .expect("a key the map knows")
            .event()
    }

    #[test]
    fn long_text_scrolls_with_the_cursor() {
        let name = "x".repeat(195) + "abcdef";
        let mut field = Field::new(&name);
        let shown = field.in_width(true, false, 20);
        assert_eq!(shown, "…xxxxxxxxxxxxabcdef█");
        assert_eq!(field.in_width(false, false, 20), "xxxxxxxxxxxxxxxxxxx…");
        for _ in 0..3 {
            field.input(&key("Left"));
        }
        assert_eq!(field.in_width(true, false, 20), "…xxxxxxxxxxxxxxabc█…");
        field.input(&key("Home"));
        assert_eq!(field.in_width(true, false, 20), "█xxxxxxxxxxxxxxxxxx…");
        assert_eq!(Field::new("short").in_width(true, false, 20), "short█");
        assert_eq!(windowed("日本語のなまえ", 7, true, 8), "…なまえ█");
    }

    #[test]
    fn typing_edits_and_marks_the_field_changed() {
        let mut field = Field::new("Van");
        assert!(!field.is_changed());
        assert!(field.input(&key("s")));
        assert_eq!(field.value(), "Vans");
        assert!(field.is_changed());
        assert!(!field.input(&key("Tab")));
        assert_eq!(field.in_width(true, true, 20), "••••█");
        assert_eq!(typed_char(&key("Ctrl-x")), None);
    }
}
