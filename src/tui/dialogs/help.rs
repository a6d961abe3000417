//! The help: every key of the tab it was opened on, from the key map.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::tui::keys::hints::{Hint, HELP_LABEL};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::widgets::frame::{centered, dialog_block};

#[derive(Debug)]
pub struct Help {
    /// "Vehicles tab".
    title: String,
    hints: Vec<Hint>,
    /// The first key line shown, when they do not all fit.
    offset: usize,
    /// Key lines shown at the last draw: a page.
    page: usize,
}

impl Help {
    pub fn new(title: String, hints: Vec<Hint>) -> Help {
        Help {
            title,
            hints,
            offset: 0,
            page: 1,
        }
    }

    /// The first key line shown (scrolled by `↑↓`, `PgUp PgDn`).
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        let page = self.page.max(1);
        match keys.action(Context::Reader, key) {
            Some(Action::Down) => self.offset += 1,
            Some(Action::Up) => self.offset = self.offset.saturating_sub(1),
            Some(Action::PageDown) => self.offset += page,
            Some(Action::PageUp) => self.offset = self.offset.saturating_sub(page),
            _ => return super::message::reader_key(key, keys),
        }
        // Clamped at the next draw, which knows the room.
        self.offset = self.offset.min(self.hints.len().saturating_sub(1));
        Outcome::Stay
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let close = format!(
            "{} closes this help.",
            look.keys.label(Context::Reader, Action::Close)
        );
        // Rows inside the dialog's borders.
        let room = usize::from(area.height.saturating_sub(4));
        // On a short terminal the line for `?` (it is what opened this) goes, and the close
        // line moves into the bottom border, so every other key still shows.
        let short = self.hints.len() + 2 > room;
        let mut lines = Vec::new();
        if !short {
            lines.push(Line::from(Span::styled(self.title.clone(), theme.title())));
        }
        let shown: Vec<&Hint> = self
            .hints
            .iter()
            .filter(|hint| !(short && hint.label == HELP_LABEL))
            .collect();
        // Still more than fits: the lines scroll, and the bottom border says so.
        let scrolls = short && shown.len() > room;
        self.page = if scrolls { room } else { shown.len() };
        self.offset = self.offset.min(shown.len().saturating_sub(self.page));
        let first = if scrolls { self.offset } else { 0 };
        for hint in shown.iter().skip(first).take(self.page) {
            lines.push(Line::from(vec![
                Span::styled(format!("{:>12}", hint.key), theme.key()),
                Span::raw(format!("  {}", hint.label)),
            ]));
        }
        let close = if scrolls {
            format!(
                "{}{} {}–{} of {} · {close}",
                look.keys.label(Context::Reader, Action::Up),
                look.keys.label(Context::Reader, Action::Down),
                first + 1,
                (first + self.page).min(shown.len()),
                shown.len(),
            )
        } else {
            close
        };
        // Short: the tab's name goes into the top border too.
        let heading = if short {
            format!("Help: {}", self.title)
        } else {
            "Help".to_string()
        };
        let mut block = dialog_block(&heading, theme);
        if short {
            block = block.title_bottom(Line::from(Span::styled(format!(" {close} "), theme.dim())));
        } else {
            // The blank line goes first when the terminal is short, so the close line stays.
            if lines.len() + 2 <= room {
                lines.push(Line::from(""));
            }
            lines.push(Line::from(Span::styled(close, theme.dim())));
        }
        let rect = centered(area, 60, lines.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }
}
