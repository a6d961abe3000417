//! Timelines: date ranges laid on one time axis as bars of glyphs, with today marked.

use ratatui::style::Style;
use ratatui::text::Span;

use super::date::date_text;
use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::tui::theme::Theme;

/// A shared time axis over some ranges: open ends do not stretch it, today is always on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub start: Day,
    pub end: Day,
}

impl Axis {
    pub fn over(ranges: impl IntoIterator<Item = (Day, Day)>, today: Day) -> Axis {
        let mut start = today;
        let mut end = today;
        for (from, to) in ranges {
            for day in [from, to] {
                if day != DEFAULT_VALID_FROM && day != DEFAULT_VALID_TO {
                    start = start.min(day);
                    end = end.max(day);
                }
            }
        }
        // A little room either side so open ends show as running off the edge.
        let pad = ((end.0 - start.0) / 20).max(15);
        Axis {
            start: Day(start.0.saturating_sub(pad)),
            end: Day(end.0.saturating_add(pad)),
        }
    }

    /// The column of a day in `width` columns, clamped to the edges.
    pub fn column(&self, day: Day, width: usize) -> usize {
        if width == 0 {
            return 0;
        }
        let span = i64::from((self.end.0 - self.start.0).max(1));
        let offset = i64::from(day.0) - i64::from(self.start.0);
        let column = offset * (width as i64 - 1) / span;
        column.clamp(0, width as i64 - 1) as usize
    }

    /// The line under a timeline: its first and last day (or year) at the ends.
    pub fn line(&self, width: usize, wide: bool) -> String {
        let full = (
            date_text(self.start, DEFAULT_VALID_FROM, wide),
            date_text(self.end, DEFAULT_VALID_TO, wide),
        );
        let years = (
            self.start.to_naive().format("%Y").to_string(),
            self.end.to_naive().format("%Y").to_string(),
        );
        for (left, right) in [full, years] {
            if width > left.len() + right.len() {
                let gap = width - left.len() - right.len();
                return format!("{left}{:gap$}{right}", "");
            }
        }
        String::new()
    }
}

/// Which glyph each column of a timeline bar shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Empty,
    Today,
    /// Covered by the n-th range drawn (alternating glyphs tell neighbours apart).
    Range(usize),
    /// The new (or edited) assignment.
    Highlight,
}

/// Lays ranges on `width` columns; `highlight` marks the range that is the request.
pub fn timeline(axis: Axis, ranges: &[(Day, Day, bool)], today: Day, width: usize) -> Vec<Mark> {
    let mut cells = vec![Mark::Empty; width];
    if width == 0 {
        return cells;
    }
    if today >= axis.start && today <= axis.end {
        cells[axis.column(today, width)] = Mark::Today;
    }
    let mut sorted: Vec<&(Day, Day, bool)> = ranges.iter().filter(|r| r.0 <= r.1).collect();
    sorted.sort_by_key(|range| (range.0, range.1));
    for (n, (from, to, highlight)) in sorted.into_iter().enumerate() {
        let first = axis.column(*from, width);
        let last = axis.column(*to, width);
        for cell in cells.iter_mut().take(last + 1).skip(first) {
            *cell = if *highlight {
                Mark::Highlight
            } else {
                Mark::Range(n)
            };
        }
    }
    cells
}

/// One timeline bar as spans: neighbours alternate █ and ▓, the request is ▒, today ┊.
pub fn bar(cells: &[Mark], theme: Theme) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_style = Style::default();
    let mut run_mark: Option<Mark> = None;
    for mark in cells {
        let same = match (run_mark, mark) {
            (Some(Mark::Range(a)), Mark::Range(b)) => a % 2 == b % 2,
            (Some(a), b) => a == *b,
            (None, _) => false,
        };
        if !same && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), run_style));
        }
        let (glyph, style) = match mark {
            Mark::Empty => (' ', Style::default()),
            Mark::Today => ('┊', theme.dim()),
            Mark::Range(n) if n % 2 == 0 => ('█', theme.title()),
            Mark::Range(_) => ('▓', theme.title()),
            Mark::Highlight => ('▒', theme.warning()),
        };
        run.push(glyph);
        run_style = style;
        run_mark = Some(*mark);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, run_style));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).expect("a date")
    }

    #[test]
    fn the_axis_ignores_open_ends_and_clamps() {
        let today = day(2026, 1, 1);
        let axis = Axis::over(
            [
                (DEFAULT_VALID_FROM, day(2025, 1, 1)),
                (day(2027, 1, 1), DEFAULT_VALID_TO),
            ],
            today,
        );
        assert!(axis.start < day(2025, 1, 1) && axis.end > day(2027, 1, 1));
        assert_eq!(axis.column(DEFAULT_VALID_FROM, 10), 0);
        assert_eq!(axis.column(DEFAULT_VALID_TO, 10), 9);
        let cells = timeline(
            axis,
            &[(day(2027, 1, 1), DEFAULT_VALID_TO, true)],
            today,
            10,
        );
        assert_eq!(cells[9], Mark::Highlight);
        assert!(cells.contains(&Mark::Today));
    }
}
