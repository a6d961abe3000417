//! What frames every tab: the header (server, user, counts, connection badge), the tab bar,
//! the status line (filter and counts), the rules, and the footer (flash and key hints).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::field::Field;
use crate::api::{DashboardSummary, User};
use crate::tui::keys::hints::Hint;
use crate::tui::status::{Connection, Feed, Flash, FlashKind};
use crate::tui::theme::Theme;

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠹", "⠸"];

/// The spinner's frame `frame`.
pub fn spinner(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}

/// The smallest terminal the client draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Where everything goes, top to bottom.
pub struct Screen {
    pub header: Rect,
    pub tab_bar: Rect,
    pub rule_top: Rect,
    pub status_line: Rect,
    /// The tab's own.
    pub body: Rect,
    pub rule_bottom: Rect,
    pub footer: Rect,
}

/// Lays the screen out; below the smallest size, says so instead and gives None.
pub fn screen(frame: &mut Frame) -> Option<Screen> {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}×{}; fleetdesk needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return None;
    }
    let [header, tab_bar, rule_top, status_line, body, rule_bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Some(Screen {
        header,
        tab_bar,
        rule_top,
        status_line,
        body,
        rule_bottom,
        footer,
    })
}

/// What the header shows.
pub struct Header<'a> {
    pub server: &'a str,
    pub user: Option<&'a User>,
    pub summary: Option<DashboardSummary>,
    pub connection: Connection,
    pub feed: Feed,
    pub spinner_frame: usize,
    /// The counts were last read a while ago (offline, or no answer for several refreshes).
    pub stale: bool,
    /// A kept token is being checked: nobody is signed in yet.
    pub connecting: bool,
}

/// Between the user and the counts.
const GAP: &str = "  ";

pub fn draw_header(frame: &mut Frame, area: Rect, header: &Header, theme: Theme) {
    let user = match header.user {
        Some(user) => format!("{} ({})", short_email(&user.email), user.role.as_str()),
        None if header.connecting => "signing in…".to_string(),
        None => "not signed in".to_string(),
    };
    let left = Line::from(vec![
        Span::styled(" fleetdesk ", theme.title()),
        Span::raw(" "),
        Span::raw(
            header
                .server
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .to_string(),
        ),
        Span::raw("  "),
        Span::raw(user),
    ]);
    let mut left = left;
    if header
        .user
        .is_some_and(|user| user.role == crate::api::SystemRole::Viewer)
    {
        left.spans.push(Span::raw("  "));
        left.spans.push(Span::styled("read-only", theme.warning()));
    }
    let spinner = SPINNER[header.spinner_frame % SPINNER.len()];
    let (badge, badge_style) = match (header.connection, header.feed) {
        (Connection::Offline { retry_in }, _) => {
            (format!("○ offline, retry in {retry_in}s"), theme.error())
        }
        _ if header.connecting => (format!("{spinner} connecting…"), theme.warning()),
        (Connection::Live, Feed::Up | Feed::Off) => ("● live".to_string(), theme.success()),
        (Connection::Live, Feed::Down) => ("◌ polling".to_string(), theme.warning()),
        (Connection::Live, Feed::Connecting) => (format!("{spinner} connecting…"), theme.warning()),
        (Connection::Refreshing, _) => (format!("{spinner} refreshing"), theme.warning()),
    };
    // The longest summary that still leaves the server and user readable.
    let left_width = left.width() as u16;
    let summaries = header.summary.map(|s| {
        [
            format!(
                "active {} · free vehicles {} · free technicians {}",
                s.active_assignments, s.available_vehicles, s.available_technicians
            ),
            format!(
                "active {} · free: {} vehicles, {} techs",
                s.active_assignments, s.available_vehicles, s.available_technicians
            ),
            format!("active {}", s.active_assignments),
        ]
    });
    // The counts are fitted beside the badge the connection settles on, so they keep their
    // form while a refresh is on its way; the wider badge meanwhile cuts the user instead.
    let settled = match (header.connection, header.feed) {
        (Connection::Offline { .. }, _) => badge.chars().count(),
        _ if header.connecting => badge.chars().count(),
        (_, Feed::Up | Feed::Off) => "● live".chars().count(),
        (_, Feed::Down) => "◌ polling".chars().count(),
        (_, Feed::Connecting) => "⠋ connecting…".chars().count(),
    };
    let badge_width = settled as u16 + 3;
    let stale = if header.stale { "stale · " } else { "" };
    let gap = GAP.chars().count() as u16;
    let summary = summaries
        .into_iter()
        .flatten()
        .map(|text| format!("{stale}{text}"))
        .find(|text| left_width + gap + text.chars().count() as u16 + badge_width <= area.width)
        .unwrap_or_default();
    let summary_style = if header.stale {
        theme.warning()
    } else {
        Style::default()
    };
    let gap = if summary.is_empty() { "" } else { GAP };
    let right = Line::from(vec![
        Span::raw(gap),
        Span::styled(summary, summary_style),
        Span::raw("  "),
        Span::styled(badge, badge_style),
        Span::raw(" "),
    ]);
    let right_width = right.width() as u16;
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right_width.min(area.width)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

/// "ana@depot.example" → "ana@depot": enough to tell who is signed in.
fn short_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = domain.split('.').next().unwrap_or(domain);
            format!("{local}@{first}")
        }
        None => email.to_string(),
    }
}

/// "[1 Vehicles]  2 Technicians …": the active tab bracketed.
pub fn draw_tabs(frame: &mut Frame, area: Rect, titles: &[&str], active: usize, theme: Theme) {
    let mut spans = vec![Span::raw(" ")];
    for (index, title) in titles.iter().enumerate() {
        let label = format!("{} {title}", index + 1);
        if index == active {
            spans.push(Span::styled(format!("[{label}]"), theme.active_tab()));
        } else {
            spans.push(Span::raw(format!(" {label} ")));
        }
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A horizontal rule across `area`.
pub fn draw_rule(frame: &mut Frame, area: Rect, theme: Theme) {
    frame.render_widget(
        Paragraph::new("─".repeat(area.width as usize)).style(theme.dim()),
        area,
    );
}

/// What the status line shows.
pub struct StatusLine<'a> {
    /// Before the filter, e.g. "status: active ▾   ".
    pub prefix: Option<String>,
    pub filter: &'a Field,
    pub editing: bool,
    /// Shown while there is no filter: "/ to filter".
    pub placeholder: String,
    /// At the right: "3 of 214".
    pub counts: String,
    pub stale: bool,
}

pub fn draw_status_line(frame: &mut Frame, area: Rect, status: &StatusLine, theme: Theme) {
    let right = if status.stale {
        format!("stale · {}", status.counts)
    } else {
        status.counts.clone()
    };
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right.chars().count() as u16 + 1),
    ])
    .areas(area);
    let mut spans = vec![Span::raw(" ")];
    if let Some(prefix) = &status.prefix {
        spans.push(Span::raw(prefix.clone()));
    }
    if status.editing || !status.filter.value().is_empty() {
        const LABEL: &str = "filter: ";
        // A long filter scrolls sideways with its cursor instead of running under the counts.
        let used: usize = spans.iter().map(Span::width).sum::<usize>() + LABEL.len();
        let room = usize::from(left_area.width).saturating_sub(used + 1);
        spans.push(Span::raw(LABEL));
        spans.push(Span::styled(
            status.filter.in_width(status.editing, false, room),
            theme.title(),
        ));
    } else {
        spans.push(Span::styled(status.placeholder.clone(), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    let style = if status.stale {
        theme.warning()
    } else {
        Style::default()
    };
    frame.render_widget(Paragraph::new(right).style(style), right_area);
}

/// The flash message at the left (cut, not its mark or `more`), the hints that fit at the right.
/// `more_key` opens an error in full, where that key works.
pub fn draw_footer(
    frame: &mut Frame,
    area: Rect,
    flash: Option<&Flash>,
    more_key: Option<&str>,
    hints: &[Hint],
    theme: Theme,
) {
    let flash = flash.map(|flash| {
        let (mark, style) = match flash.kind {
            FlashKind::Success => (" ✓ ", theme.success()),
            FlashKind::Error => (" ✗ ", theme.error()),
            FlashKind::Info => (" • ", Style::default()),
            FlashKind::Working => (" ", theme.warning()),
        };
        let more = match (&flash.detail, more_key) {
            (Some(_), Some(key)) => format!(" ({key}: more)"),
            _ => String::new(),
        };
        (mark.to_string(), flash.text.clone(), more, style)
    });
    let flash_width = flash.as_ref().map_or(0, |(mark, text, more, _)| {
        (mark.chars().count() + text.chars().count() + more.len() + 2) as u16
    });
    let room = area
        .width
        .saturating_sub(flash_width.min(area.width * 3 / 5));
    let hint_spans = hint_line(&footer_hints(hints, room), theme);
    let hints_width: u16 = hint_spans.iter().map(|s| s.width() as u16).sum();
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(hints_width.min(area.width)),
    ])
    .areas(area);
    if let Some((mark, text, more, style)) = flash {
        let fixed = mark.chars().count() + more.chars().count() + 1;
        let room = usize::from(left.width).saturating_sub(fixed);
        let text = if text.chars().count() > room {
            let kept: String = text.chars().take(room.saturating_sub(1)).collect();
            format!("{kept}…")
        } else {
            text
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                format!("{mark}{text}{more}"),
                style,
            ))),
            left,
        );
    }
    frame.render_widget(Paragraph::new(Line::from(hint_spans)), right);
}

/// The footer's hints that fit in `room` columns: help and quit first, then in order.
fn footer_hints(all: &[Hint], room: u16) -> Vec<Hint> {
    let width =
        |hint: &Hint| hint.key.chars().count() as u16 + hint.label.chars().count() as u16 + 3;
    let candidates: Vec<&Hint> = all.iter().filter(|hint| hint.in_footer).collect();
    let must = |hint: &Hint| hint.label == "help" || hint.label == "quit";
    let mut used: u16 = candidates
        .iter()
        .filter(|h| must(h))
        .map(|h| width(h))
        .sum();
    let mut keep: Vec<bool> = candidates.iter().map(|h| must(h)).collect();
    for (index, hint) in candidates.iter().enumerate() {
        if !keep[index] && used + width(hint) <= room {
            used += width(hint);
            keep[index] = true;
        }
    }
    candidates
        .into_iter()
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .map(|(hint, _)| hint.clone())
        .collect()
}

fn hint_line(hints: &[Hint], theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for hint in hints {
        spans.push(Span::styled(hint.key.clone(), theme.key()));
        spans.push(Span::raw(format!(" {}  ", hint.label)));
    }
    spans
}
