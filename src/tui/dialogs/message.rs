//! Dialogs that only show something: a message (an error in full) and labelled details.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::Outcome;
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::theme::Theme;
use crate::tui::widgets::frame::{centered, dialog_block};

/// The keys of every dialog that is only read: help, messages, details, history.
pub fn reader_key(key: &KeyEvent, keys: &KeyMap) -> Outcome {
    match keys.action(Context::Reader, key) {
        Some(Action::Close) => Outcome::Close,
        _ => Outcome::Ignored,
    }
}

#[derive(Debug)]
pub struct Message {
    title: String,
    text: String,
}

impl Message {
    pub fn new(title: impl Into<String>, text: impl Into<String>) -> Message {
        Message {
            title: title.into(),
            text: text.into(),
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rect = centered(area, 70, 10);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(self.text.clone())
                .wrap(Wrap { trim: false })
                .block(dialog_block(&self.title, theme)),
            rect,
        );
    }
}

/// Labelled lines: "      Status  active".
#[derive(Debug)]
pub struct Details {
    title: String,
    lines: Vec<(String, String)>,
}

impl Details {
    pub fn new(title: String, lines: Vec<(String, String)>) -> Details {
        Details { title, lines }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let text: Vec<Line> = self
            .lines
            .iter()
            .map(|(label, value)| {
                Line::from(vec![
                    Span::styled(format!("{label:>12}  "), theme.dim()),
                    Span::raw(value.clone()),
                ])
            })
            .collect();
        let rect = centered(area, 70, text.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(text).block(dialog_block(&self.title, theme)),
            rect,
        );
    }
}
