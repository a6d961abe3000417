//! Placing and framing: centred dialog boxes, their border, and fitting text to columns.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::tui::theme::Theme;

/// Rows `lines` take when wrapped at `width` columns.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(width) as u16)
        .sum()
}

/// A `width`×`height` box in the middle of `area`, leaving a margin.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A dialog's rounded border with its title.
pub fn dialog_block(title: &str, theme: Theme) -> Block<'static> {
    Block::default()
        .title(format!(" {title} "))
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
}

/// Splits `text` at spaces into lines of at most `width` columns (a longer word stands alone).
pub fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` in exactly `width` columns: padded, or cut with a mark.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return format!("{text:width$}");
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// "2026-11-22 08:15" → "2026-11-22" on narrow screens.
pub fn compact(cell: String) -> String {
    let bytes = cell.as_bytes();
    if cell.len() == 16 && bytes.get(4) == Some(&b'-') && bytes.get(10) == Some(&b' ') {
        // The time goes first; the year stays four digits.
        cell[..10].to_string()
    } else {
        cell
    }
}
