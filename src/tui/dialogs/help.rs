//! The help: every key of the tab it was opened on, from the key map.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::Look;
use crate::tui::keys::hints::{Hint, HELP_LABEL};
use crate::tui::keys::{Action, Context};
use crate::tui::widgets::frame::{centered, dialog_block};

#[derive(Debug)]
pub struct Help {
    /// "Vehicles tab".
    title: String,
    hints: Vec<Hint>,
}

impl Help {
    pub fn new(title: String, hints: Vec<Hint>) -> Help {
        Help { title, hints }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
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
        for hint in &self.hints {
            if short && hint.label == HELP_LABEL {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{:>12}", hint.key), theme.key()),
                Span::raw(format!("  {}", hint.label)),
            ]));
        }
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
