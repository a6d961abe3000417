//! Drawing: a pure function of the [`App`]. Lists draw only the rows that fit.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap,
};
use ratatui::Frame;

use super::app::{
    App, Connection, Dialog, FlashKind, Form, ListState, PickPurpose, Picker, Row, SignIn, Tab,
};
use super::keys::{hints, Hint};
use super::theme::Theme;
use crate::api::{Assignment, AssignmentStatus};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const SPINNER: [&str; 4] = ["⠋", "⠙", "⠹", "⠸"];

pub fn view(app: &App, theme: Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}×{}; fleetdesk needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, tabs, rule_top, status, body, rule_bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, theme, frame, header);
    draw_tabs(app, theme, frame, tabs);
    frame.render_widget(
        Paragraph::new("─".repeat(area.width as usize)).style(theme.dim()),
        rule_top,
    );
    draw_status_line(app, theme, frame, status);
    app.page_rows.set(body.height.saturating_sub(1) as usize);
    // Below 100 columns dates drop their year and columns narrow, so 80×24 shows everything.
    let wide = area.width >= 100;
    let (vehicle_widths, technician_widths, assignment_widths): (&[u16], &[u16], &[u16]) = if wide {
        (
            &[16, 11, 22, 5, 20],
            &[20, 30, 26, 16],
            &[6, 12, 11, 16, 9, 16, 16],
        )
    } else {
        (
            &[14, 10, 20, 4, 14],
            &[16, 24, 20, 11],
            &[5, 9, 9, 12, 8, 11, 11],
        )
    };
    match app.tab {
        Tab::Vehicles => draw_list(&app.vehicles, theme, frame, body, vehicle_widths, wide),
        Tab::Technicians => draw_list(
            &app.technicians,
            theme,
            frame,
            body,
            technician_widths,
            wide,
        ),
        Tab::Assignments => draw_list(
            &app.assignments,
            theme,
            frame,
            body,
            assignment_widths,
            wide,
        ),
        Tab::Roles => super::roles_view::draw_roles(app, theme, frame, body, wide),
    }
    frame.render_widget(
        Paragraph::new("─".repeat(area.width as usize)).style(theme.dim()),
        rule_bottom,
    );
    draw_footer(app, theme, frame, footer);
    if let Some(dialog) = app.dialogs.last() {
        draw_dialog(app, dialog, theme, frame, area);
    }
}

fn draw_header(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let user = app
        .user
        .as_ref()
        .map(|user| format!("{} ({})", short_email(&user.email), user.role.as_str()))
        .unwrap_or_else(|| "not signed in".to_string());
    let left = Line::from(vec![
        Span::styled(" fleetdesk ", theme.title()),
        Span::raw(" "),
        Span::raw(
            app.server
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .to_string(),
        ),
        Span::raw("  "),
        Span::raw(user),
    ]);
    let (badge, badge_style) = match app.connection {
        Connection::Live => ("● live".to_string(), theme.success()),
        Connection::Refreshing => (
            format!("{} refreshing", SPINNER[app.spinner_frame % SPINNER.len()]),
            theme.warning(),
        ),
        Connection::Offline { retry_in } => {
            (format!("○ offline, retry in {retry_in}s"), theme.error())
        }
    };
    // The longest summary that still leaves the server and user readable.
    let left_width = left.width() as u16;
    let summaries = app.summary.map(|s| {
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
    let badge_width = badge.chars().count() as u16 + 3;
    let summary = summaries
        .into_iter()
        .flatten()
        .find(|text| left_width + text.chars().count() as u16 + badge_width <= area.width)
        .unwrap_or_default();
    let right = Line::from(vec![
        Span::raw(summary),
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

fn draw_tabs(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    for (index, tab) in Tab::ALL.iter().enumerate() {
        let label = format!("{} {}", index + 1, tab.title());
        if *tab == app.tab {
            spans.push(Span::styled(format!("[{label}]"), theme.active_tab()));
        } else {
            spans.push(Span::raw(format!(" {label} ")));
        }
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn counts(app: &App) -> (usize, usize, bool) {
    match app.tab {
        Tab::Vehicles => (
            app.vehicles.visible.len(),
            app.vehicles.items.len(),
            app.vehicles.stale,
        ),
        Tab::Technicians => (
            app.technicians.visible.len(),
            app.technicians.items.len(),
            app.technicians.stale,
        ),
        Tab::Assignments => (
            app.assignments.visible.len(),
            app.assignments.items.len(),
            app.assignments.stale,
        ),
        Tab::Roles => (
            app.roles.rows.len(),
            app.roles.organizations.len(),
            app.roles.stale,
        ),
    }
}

fn draw_status_line(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    if app.tab == Tab::Assignments {
        let status = match app.assignment_status {
            None => "all",
            Some(AssignmentStatus::Active) => "active",
            Some(AssignmentStatus::Returned) => "returned",
        };
        spans.push(Span::raw(format!("status: {status} ▾   ")));
    }
    let cursor = if app.filter_editing { "█" } else { "" };
    if app.filter_editing || !app.filter_text().is_empty() {
        spans.push(Span::raw("filter: "));
        spans.push(Span::styled(
            format!("{}{cursor}", app.filter_text()),
            theme.title(),
        ));
    } else {
        let what = if app.tab == Tab::Roles {
            "/ to filter organizations"
        } else {
            "/ to filter"
        };
        spans.push(Span::styled(what, theme.dim()));
    }
    let (shown, total, stale) = counts(app);
    let more = if app.tab == Tab::Assignments && app.next_before.is_some() {
        "+"
    } else {
        ""
    };
    let mut right = format!("{shown} of {total}{more}");
    if app.tab == Tab::Roles {
        right.push_str(" organizations");
    }
    if stale {
        right = format!("stale · {right}");
    }
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right.chars().count() as u16 + 1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    let style = if stale {
        theme.warning()
    } else {
        Style::default()
    };
    frame.render_widget(Paragraph::new(right).style(style), right_area);
}

/// Draws only the rows that fit, keeping the selection in view with stable scrolling.
/// "2026-11-22 08:15" → "11-22 08:15" on narrow screens.
fn compact(cell: String) -> String {
    let bytes = cell.as_bytes();
    if cell.len() == 16 && bytes.get(4) == Some(&b'-') && bytes.get(10) == Some(&b' ') {
        cell[5..].to_string()
    } else {
        cell
    }
}

fn draw_list<T: Row>(
    list: &ListState<T>,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
    widths: &[u16],
    wide: bool,
) {
    let height = area.height.saturating_sub(1) as usize;
    if !list.loaded {
        frame.render_widget(Paragraph::new(" Loading…").style(theme.dim()), area);
        return;
    }
    if list.visible.is_empty() {
        let text = if list.items.is_empty() {
            " Nothing here yet."
        } else {
            " Nothing matches the filter."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    let offset = window_offset(list.selected, list.offset.get(), height, list.visible.len());
    list.offset.set(offset);
    let rows: Vec<TableRow> = list
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(position, index)| {
            let item = list.items.get(*index)?;
            let marker = if position == list.selected {
                "▶ "
            } else {
                "  "
            };
            let mut cells = item.cells();
            if !wide {
                cells = cells.into_iter().map(compact).collect();
            }
            if let Some(first) = cells.first_mut() {
                *first = format!("{marker}{first}");
            }
            let row = TableRow::new(cells);
            Some(if position == list.selected {
                row.style(theme.selected())
            } else {
                row
            })
        })
        .collect();
    let mut header_cells: Vec<String> = T::COLUMNS.iter().map(|c| c.to_string()).collect();
    if let Some(cell) = header_cells.get_mut(list.sort_column) {
        cell.push_str(if list.sort_reversed { " ▲" } else { " ▼" });
    }
    if let Some(first) = header_cells.first_mut() {
        *first = format!("  {first}");
    }
    let constraints: Vec<Constraint> = widths
        .iter()
        .enumerate()
        .map(|(index, width)| {
            if index == 0 {
                // Room for the selection marker.
                Constraint::Length(*width + 2)
            } else if index + 1 == widths.len() {
                Constraint::Min(*width)
            } else {
                Constraint::Length(*width)
            }
        })
        .collect();
    let table = Table::new(rows, constraints)
        .header(TableRow::new(header_cells).style(theme.title()))
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// The first row to draw so `selected` shows. It jumps half a page when the selection leaves
/// the window: one full redraw every few moves instead of a shifted table (every row
/// rewritten) on every move.
pub(super) fn window_offset(selected: usize, previous: usize, height: usize, len: usize) -> usize {
    let mut offset = previous;
    if selected < offset {
        offset = selected.saturating_sub(height / 2);
    } else if height > 0 && selected >= offset + height {
        offset = selected + 1 + height / 2 - height;
    }
    offset.min(len.saturating_sub(height.max(1)))
}

fn draw_footer(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let flash = app.flash.as_ref().map(|flash| {
        let (mark, style) = match flash.kind {
            FlashKind::Success => ("✓", theme.success()),
            FlashKind::Error => ("✗", theme.error()),
            FlashKind::Info => ("•", Style::default()),
        };
        let more = if flash.detail.is_some() {
            " (Enter: more)"
        } else {
            ""
        };
        (format!(" {mark} "), flash.text.clone(), more, style)
    });
    let flash_width = flash.as_ref().map_or(0, |(mark, text, more, _)| {
        (mark.chars().count() + text.chars().count() + more.len() + 2) as u16
    });
    let room = area
        .width
        .saturating_sub(flash_width.min(area.width * 3 / 5));
    let hint_spans = hint_line(&footer_hints(&hints(app), room), theme);
    let hints_width: u16 = hint_spans.iter().map(|s| s.width() as u16).sum();
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(hints_width.min(area.width)),
    ])
    .areas(area);
    if let Some((mark, text, more, style)) = flash {
        // Cut the message, not the mark or the "Enter: more".
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

/// Rows `lines` take when wrapped at `width` columns.
pub(super) fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(width) as u16)
        .sum()
}

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

pub(super) fn dialog_block(title: &str, theme: Theme) -> Block<'static> {
    Block::default()
        .title(format!(" {title} "))
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
}

fn draw_dialog(app: &App, dialog: &Dialog, theme: Theme, frame: &mut Frame, area: Rect) {
    match dialog {
        Dialog::Help => {
            let mut lines = vec![Line::from(Span::styled(
                format!("{} tab", app.tab.title()),
                theme.title(),
            ))];
            for hint in hints(app) {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:>12}", hint.key), theme.key()),
                    Span::raw(format!("  {}", hint.label)),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Esc closes this help.",
                theme.dim(),
            )));
            let rect = centered(area, 60, lines.len() as u16 + 2);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines).block(dialog_block("Help", theme)),
                rect,
            );
        }
        Dialog::Confirm { title, message, .. } => {
            let lines = vec![
                Line::from(message.clone()),
                Line::from(""),
                Line::from(vec![
                    Span::styled("y", theme.key()),
                    Span::raw("/"),
                    Span::styled("Enter", theme.key()),
                    Span::raw(" yes    "),
                    Span::styled("n", theme.key()),
                    Span::raw("/"),
                    Span::styled("Esc", theme.key()),
                    Span::raw(" no"),
                ]),
            ];
            let rect = centered(area, 64, 7);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: true })
                    .block(dialog_block(title, theme)),
                rect,
            );
        }
        Dialog::ConfirmDiscard => {
            let rect = centered(area, 50, 5);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from("The form holds input that was not saved."),
                    Line::from(vec![
                        Span::styled("y", theme.key()),
                        Span::raw(" discard it    "),
                        Span::styled("n", theme.key()),
                        Span::raw("/"),
                        Span::styled("Esc", theme.key()),
                        Span::raw(" keep editing"),
                    ]),
                ])
                .block(dialog_block("Discard?", theme)),
                rect,
            );
        }
        Dialog::Picker(picker) => draw_picker(picker, theme, frame, area),
        Dialog::Form(form) => draw_form(form, theme, frame, area),
        Dialog::AssignmentConflict { body, sending, .. } => {
            let mut lines = vec![Line::from(Span::styled(
                "This assignment is in the way:",
                theme.title(),
            ))];
            for conflict in &body.conflicts {
                let a = &conflict.assignment;
                lines.push(Line::from(format!(
                    "  • {} ({}) is with {} since {} (#{})",
                    a.vehicle.name,
                    a.vehicle.license_plate,
                    a.technician.name,
                    a.assigned_date.format("%Y-%m-%d %H:%M"),
                    a.id
                )));
            }
            if body.conflicts.len() > 1 {
                lines[0] = Line::from(Span::styled(
                    "These assignments are in the way:",
                    theme.title(),
                ));
            }
            lines.push(Line::from(""));
            if *sending {
                lines.push(Line::from(Span::styled(
                    "Returning and assigning…",
                    theme.warning(),
                )));
            } else {
                lines.push(Line::from(vec![
                    Span::styled("Enter", theme.key()),
                    Span::raw(" return those and assign    "),
                    Span::styled("Esc", theme.key()),
                    Span::raw(" cancel, nothing changes"),
                ]));
            }
            let width = area.width.saturating_sub(4).min(90);
            let rect = centered(
                area,
                width,
                wrapped_height(&lines, width.saturating_sub(2)) + 2,
            );
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(dialog_block("Conflict", theme)),
                rect,
            );
        }
        Dialog::SignIn(sign_in) => draw_sign_in(app, sign_in, theme, frame, area),
        Dialog::RoleForm(form) => super::roles_view::draw_role_form(app, form, theme, frame, area),
        Dialog::RoleConflict(dialog) => {
            super::roles_view::draw_role_conflict(app, dialog, theme, frame, area)
        }
        Dialog::Message { title, text } => {
            let rect = centered(area, 70, 10);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(text.clone())
                    .wrap(Wrap { trim: false })
                    .block(dialog_block(title, theme)),
                rect,
            );
        }
        Dialog::Details { title, lines } => {
            let text: Vec<Line> = lines
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
            frame.render_widget(Paragraph::new(text).block(dialog_block(title, theme)), rect);
        }
        Dialog::History { title, rows } => draw_history(title, rows, theme, frame, area),
    }
}

fn draw_history(title: &str, rows: &[Assignment], theme: Theme, frame: &mut Frame, area: Rect) {
    let rect = centered(area, 100, area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    let inner_height = rect.height.saturating_sub(3) as usize;
    let wide = rect.width >= 96;
    let table_rows: Vec<TableRow> = rows
        .iter()
        .take(inner_height)
        .map(|row| {
            let cells = row.cells();
            TableRow::new(if wide {
                cells
            } else {
                cells.into_iter().map(compact).collect()
            })
        })
        .collect();
    let widths = if wide {
        [6, 12, 11, 16, 9, 16, 16]
    } else {
        [5, 9, 9, 12, 8, 11, 11]
    };
    let constraints = widths.map(Constraint::Length);
    let table = Table::new(table_rows, constraints)
        .header(TableRow::new(Assignment::COLUMNS.to_vec()).style(theme.title()))
        .block(dialog_block(title, theme));
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(" No assignments in the loaded history.")
                .block(dialog_block(title, theme)),
            rect,
        );
    } else {
        frame.render_widget(table, rect);
    }
}

fn draw_picker(picker: &Picker, theme: Theme, frame: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(96),
        area.height.saturating_sub(4),
    );
    frame.render_widget(Clear, rect);
    let block = dialog_block(&picker.title, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [filter_area, list_area, hint_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw("filter: "),
            Span::styled(format!("{}█", picker.filter.value()), theme.title()),
            Span::styled(
                format!("   {} of {}", picker.visible.len(), picker.items.len()),
                theme.dim(),
            ),
        ])),
        filter_area,
    );
    let height = list_area.height as usize;
    let offset = picker.selected.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = picker
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(position, index)| {
            let item = picker.items.get(*index)?;
            let marker = if position == picker.selected {
                "▶ "
            } else {
                "  "
            };
            let mut spans = vec![Span::raw(format!("{marker}{}", item.label))];
            let fleet = !matches!(
                picker.purpose,
                PickPurpose::RoleUser | PickPurpose::RoleOrganization
            );
            match &item.busy_with {
                Some(busy) => spans.push(Span::styled(format!("  busy: {busy}"), theme.warning())),
                None if fleet => spans.push(Span::styled("  free", theme.success())),
                None => {}
            }
            let line = Line::from(spans);
            Some(if position == picker.selected {
                line.style(theme.selected())
            } else {
                line
            })
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list_area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("type", theme.key()),
            Span::raw(" filter  "),
            Span::styled("↑↓", theme.key()),
            Span::raw(" move  "),
            Span::styled("Enter", theme.key()),
            Span::raw(" choose  "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ])),
        hint_area,
    );
}

fn draw_form(form: &Form, theme: Theme, frame: &mut Frame, area: Rect) {
    let height = form.fields.len() as u16 * 2 + 5;
    let rect = centered(area, 64, height);
    frame.render_widget(Clear, rect);
    let block = dialog_block(form.title(), theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = Vec::new();
    for (index, field) in form.fields.iter().enumerate() {
        let focused = index == form.focus;
        let value = if field.secret {
            "•".repeat(field.input.value().chars().count())
        } else {
            field.input.value().to_string()
        };
        let cursor = if focused { "█" } else { "" };
        let label_style = if focused {
            theme.key()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>26}: ", field.label), label_style),
            Span::raw(format!("{value}{cursor}")),
        ]));
        match &field.error {
            Some(error) => lines.push(Line::from(Span::styled(
                format!("{:>28}{error}", ""),
                theme.error(),
            ))),
            None => lines.push(Line::from("")),
        }
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(
            format!(" ✗ {error}"),
            theme.error(),
        )));
    } else if form.sending {
        lines.push(Line::from(Span::styled(" Saving…", theme.warning())));
    } else {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(vec![
        Span::styled(" Tab", theme.key()),
        Span::raw(" next field  "),
        Span::styled("Enter", theme.key()),
        Span::raw(" save  "),
        Span::styled("Esc", theme.key()),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_sign_in(app: &App, sign_in: &SignIn, theme: Theme, frame: &mut Frame, area: Rect) {
    let rect = centered(area, 60, 10);
    frame.render_widget(Clear, rect);
    let field = |label: &str, value: String, focused: bool| {
        let cursor = if focused { "█" } else { "" };
        let style = if focused {
            theme.key()
        } else {
            Style::default()
        };
        Line::from(vec![
            Span::styled(format!("{label:>10}: "), style),
            Span::raw(format!("{value}{cursor}")),
        ])
    };
    let mut lines = vec![
        Line::from(format!(" Sign in to {}", app.server)),
        Line::from(""),
        field(
            "E-mail",
            sign_in.email.value().to_string(),
            sign_in.focus == 0,
        ),
        field(
            "Password",
            "•".repeat(sign_in.password.value().chars().count()),
            sign_in.focus == 1,
        ),
        Line::from(""),
    ];
    if let Some(error) = &sign_in.error {
        lines.push(Line::from(Span::styled(format!(" {error}"), theme.error())));
    } else if sign_in.sending {
        lines.push(Line::from(Span::styled(" Signing in…", theme.warning())));
    } else {
        lines.push(Line::from(""));
    }
    let cancel = if app.user.is_none() {
        " quit"
    } else {
        " (form input is kept)"
    };
    lines.push(Line::from(vec![
        Span::styled(" Enter", theme.key()),
        Span::raw(" sign in  "),
        Span::styled("Tab", theme.key()),
        Span::raw(" next field  "),
        Span::styled(if app.user.is_none() { "Esc" } else { "" }, theme.key()),
        Span::raw(cancel),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(dialog_block("Sign in", theme)),
        rect,
    );
}
