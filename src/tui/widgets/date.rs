//! Validity dates for people: "open" for a default end, short dates where room is scarce,
//! and date fields that take `2024-01-01`, `today`, `+30d`, `-1w` or nothing.

use crossterm::event::KeyEvent;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::field::Field;
use crate::api::dates::{parse_relative, Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::tui::theme::Theme;

/// A validity end for people: "open" for its default, else the date, always with its
/// four-digit year (a two-digit one reads as a day or a month).
pub fn date_text(day: Day, default: Day, _wide: bool) -> String {
    if day == default {
        return "open".to_string();
    }
    day.date_only()
}

/// A validity end as a date field starts out: empty stands for the default.
pub fn input_text(day: Day, default: Day) -> String {
    if day == default {
        String::new()
    } else {
        day.date_only()
    }
}

/// What a date field holds once parsed: a day, the default, or why it does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedDate {
    Day(Day),
    Default(Day),
    Invalid(String),
}

impl ParsedDate {
    pub fn of(input: &str, today: Day, default: Day) -> ParsedDate {
        match parse_relative(input, today) {
            Ok(Some(day)) => ParsedDate::Day(day),
            Ok(None) => ParsedDate::Default(default),
            Err(err) => ParsedDate::Invalid(err.to_string()),
        }
    }

    pub fn day(&self) -> Option<Day> {
        match self {
            ParsedDate::Day(day) | ParsedDate::Default(day) => Some(*day),
            ParsedDate::Invalid(_) => None,
        }
    }

    /// "→ 2026-12-24", "→ open", or that the input is not a date.
    pub fn span(&self, theme: Theme) -> Span<'static> {
        match self {
            ParsedDate::Day(day) => Span::styled(format!("→ {}", day.date_only()), theme.success()),
            ParsedDate::Default(_) => Span::styled("→ open", theme.dim()),
            ParsedDate::Invalid(_) => Span::styled("✗ not a date", theme.error()),
        }
    }
}

/// Two date fields edited together, from and to: a range that must parse and not end before
/// it starts.
#[derive(Clone, Debug)]
pub struct RangeEdit {
    from: Field,
    to: Field,
    /// The `to` field has the focus.
    on_to: bool,
    error: Option<String>,
}

impl RangeEdit {
    pub fn new(from: Day, to: Day) -> RangeEdit {
        RangeEdit {
            from: Field::new(&input_text(from, DEFAULT_VALID_FROM)),
            to: Field::new(&input_text(to, DEFAULT_VALID_TO)),
            on_to: false,
            error: None,
        }
    }

    /// What the two fields hold.
    pub fn values(&self) -> (&str, &str) {
        (self.from.value(), self.to.value())
    }

    /// Whether the `to` field has the focus.
    pub fn is_on_to(&self) -> bool {
        self.on_to
    }

    /// The focus to the other field.
    pub fn switch(&mut self) {
        self.on_to = !self.on_to;
    }

    /// A key typed into the focused field.
    pub fn input(&mut self, key: &KeyEvent) {
        let field = if self.on_to {
            &mut self.to
        } else {
            &mut self.from
        };
        field.input(key);
        self.error = None;
    }

    /// The range; or None, the reason shown and the wrong field focused.
    pub fn finish(&mut self, today: Day) -> Option<(Day, Day)> {
        let from = ParsedDate::of(self.from.value(), today, DEFAULT_VALID_FROM);
        let to = ParsedDate::of(self.to.value(), today, DEFAULT_VALID_TO);
        let (from, to) = match (from, to) {
            (ParsedDate::Invalid(why), _) => {
                self.on_to = false;
                self.error = Some(format!("Valid from: {why}"));
                return None;
            }
            (_, ParsedDate::Invalid(why)) => {
                self.on_to = true;
                self.error = Some(format!("Valid to: {why}"));
                return None;
            }
            (from, to) => (from.day()?, to.day()?),
        };
        if from > to {
            self.on_to = true;
            self.error = Some(format!(
                "It would end on {} before it starts on {}.",
                to.date_only(),
                from.date_only()
            ));
            return None;
        }
        Some((from, to))
    }

    /// "Edit dates  from: 2025-10-01   → 2025-10-01", the same for to, and any error.
    pub fn lines(&self, today: Day, theme: Theme) -> Vec<Line<'static>> {
        let from = ParsedDate::of(self.from.value(), today, DEFAULT_VALID_FROM);
        let to = ParsedDate::of(self.to.value(), today, DEFAULT_VALID_TO);
        let field = |name: &str, input: &Field, focused: bool| {
            let style = if focused {
                theme.key()
            } else {
                Style::default()
            };
            vec![
                Span::styled(format!("{name:>4}: "), style),
                Span::raw(format!("{:<12}", input.in_width(focused, false, 12))),
            ]
        };
        let title = " Edit dates  ";
        let mut lines = vec![Line::from("")];
        let mut spans = vec![Span::styled(title, theme.title())];
        spans.extend(field("from", &self.from, !self.on_to));
        spans.push(from.span(theme));
        lines.push(Line::from(spans));
        let mut spans = vec![Span::raw(" ".repeat(title.len()))];
        spans.extend(field("to", &self.to, self.on_to));
        spans.push(to.span(theme));
        lines.push(Line::from(spans));
        let reason = [&from, &to].into_iter().find_map(|parsed| match parsed {
            ParsedDate::Invalid(why) => Some(why.clone()),
            _ => None,
        });
        if let Some(error) = self.error.clone().or(reason) {
            lines.push(Line::from(Span::styled(
                format!(" ✗ {error}"),
                theme.error(),
            )));
        }
        lines
    }
}
