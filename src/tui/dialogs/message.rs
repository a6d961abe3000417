//! Dialogs that only show something: a message (an error in full) and labelled details.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::widgets::frame::{centered, dialog_block, hang};

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

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let width = area.width.saturating_sub(4).min(70);
        let lines = hang(
            self.text
                .lines()
                .map(|l| Line::from(l.to_string()))
                .collect(),
            width.saturating_sub(2),
        );
        let rect = centered(area, width, (lines.len() as u16).max(1) + 2);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines).block(reader_block(&self.title, look)),
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

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
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
            Paragraph::new(text).block(reader_block(&self.title, look)),
            rect,
        );
    }
}

/// The border of a dialog that is only read, saying in its bottom edge how to close it.
pub fn reader_block(title: &str, look: &Look) -> Block<'static> {
    let close = look.keys.label(Context::Reader, Action::Close);
    dialog_block(title, look.theme).title_bottom(Line::from(vec![
        Span::raw(" "),
        Span::styled(close, look.theme.key()),
        Span::raw(" close "),
    ]))
}
