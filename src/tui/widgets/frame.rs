//! Placing and framing: centred dialog boxes, their border, and fitting text to columns.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::theme::Theme;

/// `lines` wrapped at `width` columns at spaces, each continuation indented under the text of
/// its first line ("  • Van 3 …" goes on under "Van"), so no wrapped line starts at the border.
pub fn hang(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        out.extend(hang_one(&line, width));
    }
    out
}

fn hang_one(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    // Runs of spaces and of other characters, each with its span's style.
    let mut runs: Vec<(String, Style, bool)> = Vec::new();
    for span in &line.spans {
        let style = line.style.patch(span.style);
        for c in span.content.chars() {
            let space = c == ' ';
            match runs.last_mut() {
                Some((run, run_style, run_space)) if *run_space == space && *run_style == style => {
                    run.push(c)
                }
                _ => runs.push((c.to_string(), style, space)),
            }
        }
    }
    let text: String = runs.iter().map(|r| r.0.as_str()).collect();
    let leading = text.chars().take_while(|c| *c == ' ').count();
    let rest = &text[leading..];
    let bullet = ["• ", "- ", "✗ ", "✓ "]
        .iter()
        .find(|b| rest.starts_with(*b))
        .map_or(0, |b| b.chars().count());
    // A too-deep indent would leave no room: none then.
    let indent = if leading + bullet <= width / 2 {
        leading + bullet
    } else {
        0
    };

    let mut out: Vec<Line<'static>> = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let mut words_on_line = 0usize;
    let mut pending: Option<(String, Style)> = None;
    for (run, style, space) in runs {
        if space {
            if out.is_empty() && words_on_line == 0 {
                used += run.chars().count();
                spans.push(Span::styled(run, style));
            } else {
                pending = Some((run, style));
            }
            continue;
        }
        let mut chars: Vec<char> = run.chars().collect();
        let gap = pending.as_ref().map_or(0, |p| p.0.chars().count());
        if words_on_line > 0 && used + gap + chars.len() > width {
            out.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
            words_on_line = 0;
            pending = None;
        }
        if let Some((gap, gap_style)) = pending.take() {
            used += gap.chars().count();
            spans.push(Span::styled(gap, gap_style));
        }
        // A word longer than the line is cut where the line ends.
        while used + chars.len() > width && width > used {
            let head: String = chars.drain(..width - used).collect();
            spans.push(Span::styled(head, style));
            out.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
        }
        used += chars.len();
        words_on_line += 1;
        spans.push(Span::styled(chars.into_iter().collect::<String>(), style));
    }
    if words_on_line > 0 || out.is_empty() {
        out.push(Line::from(spans));
    }
    out
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

/// A dialog `width` columns wide (less on a narrow screen) in the middle of `area`, as tall as
/// `lines` once wrapped inside its border by [`hang`], drawn over what is behind it.
pub fn draw_dialog(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    lines: Vec<Line<'static>>,
    theme: Theme,
) {
    let lines = hang(lines, width.saturating_sub(2));
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(dialog_block(title, theme)),
        rect,
    );
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

#[cfg(test)]
mod hang_tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn a_wrapped_bullet_goes_on_under_its_text() {
        let lines = hang(
            vec![Line::from(
                "  • Van 12 (HH-FD 112) is with Ana Ruiz since 2026",
            )],
            24,
        );
        assert_eq!(
            texts(&lines),
            [
                "  • Van 12 (HH-FD 112)",
                "    is with Ana Ruiz",
                "    since 2026"
            ]
        );
    }

    #[test]
    fn a_plain_line_wraps_at_spaces_and_a_long_word_is_cut() {
        let lines = hang(vec![Line::from("abc defghijklmnop q")], 6);
        assert_eq!(texts(&lines), ["abc", "defghi", "jklmno", "p q"]);
        let short = hang(vec![Line::from("fits")], 6);
        assert_eq!(texts(&short), ["fits"]);
    }
}
