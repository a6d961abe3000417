//! Drawing the Roles tab, the role form and the role conflict dialog.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::roles::{
    action_words, date_text, requested_range, roles_text, timeline, Axis, Mark, ParsedDate,
    RoleConflict, RoleField, RoleForm, RolesFocus,
};
use super::theme::Theme;
use super::view::{centered, dialog_block, window_offset};
use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::Role;

const FORM_WIDTH: u16 = 72;

/// Splits `text` at spaces into lines of at most `width` columns (a longer word stands alone).
fn word_wrap(text: &str, width: usize) -> Vec<String> {
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

/// Cuts `text` to `width` columns, marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return format!("{text:width$}");
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

fn roles_fitting(roles: &[Role], width: usize) -> String {
    let full = roles_text(roles, false);
    if full.chars().count() <= width {
        full
    } else {
        roles_text(roles, true)
    }
}

/// One timeline bar as spans: neighbours alternate █ and ▓, the request is ▒, today ┊.
fn bar(cells: &[Mark], theme: Theme) -> Vec<Span<'static>> {
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

/// The axis under a timeline: its first and last day at the ends.
fn axis_line(axis: Axis, width: usize, wide: bool) -> String {
    let full = (
        date_text(axis.start, DEFAULT_VALID_FROM, wide),
        date_text(axis.end, DEFAULT_VALID_TO, wide),
    );
    let years = (
        axis.start.to_naive().format("%Y").to_string(),
        axis.end.to_naive().format("%Y").to_string(),
    );
    for (left, right) in [full, years] {
        if width > left.len() + right.len() {
            let gap = width - left.len() - right.len();
            return format!("{left}{:gap$}{right}", "");
        }
    }
    String::new()
}

pub fn draw_roles(app: &App, theme: Theme, frame: &mut Frame, area: Rect, wide: bool) {
    let tree_width = if wide { 28 } else { 22 };
    let [tree_area, rule_area, list_area] = Layout::horizontal([
        Constraint::Length(tree_width),
        Constraint::Length(1),
        Constraint::Min(10),
    ])
    .areas(area);
    draw_tree(app, theme, frame, tree_area);
    let rule: Vec<Line> = (0..rule_area.height).map(|_| Line::from("│")).collect();
    frame.render_widget(Paragraph::new(rule).style(theme.dim()), rule_area);
    draw_role_list(app, theme, frame, list_area, wide);
}

fn draw_tree(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let roles = &app.roles;
    let focused = roles.focus == RolesFocus::Tree;
    let mut lines = vec![Line::from(Span::styled(" ORGANIZATIONS", theme.title()))];
    if !roles.loaded {
        lines.push(Line::from(Span::styled(" Loading…", theme.dim())));
    } else if roles.rows.is_empty() {
        let text = if roles.organizations.is_empty() {
            " No organizations yet."
        } else {
            " Nothing matches."
        };
        lines.push(Line::from(Span::styled(text, theme.dim())));
    }
    let height = area.height.saturating_sub(1) as usize;
    let offset = window_offset(
        roles.tree_selected,
        roles.tree_offset.get(),
        height,
        roles.rows.len(),
    );
    roles.tree_offset.set(offset);
    let width = area.width as usize;
    for (position, row) in roles.rows.iter().enumerate().skip(offset).take(height) {
        let Some(org) = roles.organizations.get(row.index) else {
            continue;
        };
        let selected = position == roles.tree_selected;
        let marker = match (selected, focused) {
            (true, true) => "▶",
            (true, false) => "▷",
            _ => " ",
        };
        let fold = match (row.has_children, row.expanded) {
            (false, _) => "  ",
            (true, true) => "▾ ",
            (true, false) => "▸ ",
        };
        let text = format!("{marker}{}{fold}{}", "  ".repeat(row.depth), org.name);
        let line = Line::from(fit(&text, width));
        lines.push(match (selected, focused) {
            (true, true) => line.style(theme.selected()),
            (true, false) => line.style(theme.title()),
            _ => line,
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_role_list(app: &App, theme: Theme, frame: &mut Frame, area: Rect, wide: bool) {
    let roles = &app.roles;
    let Some(org) = roles.selected_organization() else {
        return;
    };
    let [title_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let Some(rows) = roles.shown_rows() else {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!(" {}", org.name), theme.title()),
                Span::styled("  loading…", theme.dim()),
            ])),
            title_area,
        );
        return;
    };
    let count = match rows.len() {
        1 => "1 role assignment".to_string(),
        n => format!("{n} role assignments"),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {}", org.name), theme.title()),
            Span::styled(format!(" · {count}"), theme.dim()),
        ])),
        title_area,
    );
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " No role assignments here yet; n adds one.",
                theme.dim(),
            )),
            table_area,
        );
        return;
    }
    let focused = roles.focus == RolesFocus::List;
    let (user_width, roles_width, date_width) = if wide { (16, 14, 10) } else { (12, 12, 8) };
    let fixed = 2 + user_width + 1 + roles_width + 1 + date_width + 1 + date_width + 1;
    let bar_width = (table_area.width as usize).saturating_sub(fixed + 1);
    let axis = Axis::over(rows.iter().map(|r| (r.valid_from, r.valid_to)), app.today);
    let mut header = format!(
        "  {}{}{}{}",
        fit(&column_title(app, 0, wide), user_width + 1),
        fit(&column_title(app, 1, wide), roles_width + 1),
        fit(&column_title(app, 2, wide), date_width + 1),
        fit(&column_title(app, 3, wide), date_width + 1),
    );
    header.push_str(&axis_line(axis, bar_width, wide));
    let mut lines = vec![Line::from(Span::styled(header, theme.title()))];
    let height = table_area.height.saturating_sub(1) as usize;
    let offset = window_offset(
        roles.list_selected,
        roles.list_offset.get(),
        height,
        rows.len(),
    );
    roles.list_offset.set(offset);
    for (position, row) in rows.iter().enumerate().skip(offset).take(height) {
        let selected = position == roles.list_selected;
        let marker = match (selected, focused) {
            (true, true) => "▶ ",
            (true, false) => "▷ ",
            _ => "  ",
        };
        let text = format!(
            "{marker}{} {} {} {} ",
            fit(&row.user_name, user_width),
            fit(&roles_fitting(&row.roles, roles_width), roles_width),
            fit(
                &date_text(row.valid_from, DEFAULT_VALID_FROM, wide),
                date_width
            ),
            fit(&date_text(row.valid_to, DEFAULT_VALID_TO, wide), date_width),
        );
        let cells = timeline(
            axis,
            &[(row.valid_from, row.valid_to, false)],
            app.today,
            bar_width,
        );
        let mut spans = vec![Span::raw(text)];
        spans.extend(bar(&cells, theme));
        let line = Line::from(spans);
        lines.push(match (selected, focused) {
            (true, true) => line.style(theme.selected()),
            _ => line,
        });
    }
    frame.render_widget(Paragraph::new(lines), table_area);
}

fn column_title(app: &App, column: usize, wide: bool) -> String {
    let name = match (column, wide) {
        (2, false) => "FROM",
        (3, false) => "TO",
        _ => super::roles::ROLE_COLUMNS
            .get(column)
            .copied()
            .unwrap_or_default(),
    };
    if column == app.roles.sort_column {
        let arrow = if app.roles.sort_reversed {
            " ▲"
        } else {
            " ▼"
        };
        format!("{name}{arrow}")
    } else {
        name.to_string()
    }
}

/// "→ 2026-12-24", "→ open", or why the input does not parse.
fn parsed_span(parsed: &ParsedDate, theme: Theme) -> Span<'static> {
    match parsed {
        ParsedDate::Day(day) => Span::styled(format!("→ {}", day.date_only()), theme.success()),
        ParsedDate::Default(_) => Span::styled("→ open", theme.dim()),
        ParsedDate::Invalid(_) => Span::styled("✗ not a date", theme.error()),
    }
}

pub fn draw_role_form(app: &App, form: &RoleForm, theme: Theme, frame: &mut Frame, area: Rect) {
    let label = |field: RoleField| {
        let style = if form.focus == field {
            theme.key()
        } else {
            Style::default()
        };
        Span::styled(format!("{:>14}: ", field.label()), style)
    };
    let cursor = |field: RoleField| if form.focus == field { "█" } else { "" };
    let chosen = |field: RoleField, value: Option<&str>| {
        let mut spans = vec![label(field)];
        match value {
            Some(value) => spans.push(Span::raw(value.to_string())),
            None => spans.push(Span::styled("(none)", theme.dim())),
        }
        if !form.may_change(field) {
            spans.push(Span::styled("  (fixed when editing)", theme.dim()));
        } else if form.focus == field {
            spans.push(Span::styled("  Enter: choose", theme.dim()));
        }
        Line::from(spans)
    };
    let mut lines = vec![
        chosen(
            RoleField::User,
            form.user.as_ref().map(|u| u.label.as_str()),
        ),
        chosen(RoleField::Organization, Some(&form.organization.label)),
        Line::from(vec![label(RoleField::Roles)]),
    ];
    for (index, role) in Role::ALL.iter().enumerate() {
        let tick = if form.roles[index] { "[x]" } else { "[ ]" };
        let pointed = form.focus == RoleField::Roles && form.role_cursor == index;
        let text = format!("{:>16}{} {tick} {}", "", index + 1, role.as_str());
        lines.push(if pointed {
            Line::from(Span::styled(text, theme.selected()))
        } else {
            Line::from(text)
        });
    }
    for (field, input, parsed) in [
        (
            RoleField::ValidFrom,
            &form.valid_from,
            form.parsed_from(app.today),
        ),
        (
            RoleField::ValidTo,
            &form.valid_to,
            form.parsed_to(app.today),
        ),
    ] {
        lines.push(Line::from(vec![
            label(field),
            Span::raw(format!(
                "{:<12}",
                format!("{}{}", input.value(), cursor(field))
            )),
            Span::raw(" "),
            parsed_span(&parsed, theme),
        ]));
        if let ParsedDate::Invalid(why) = parsed {
            for part in word_wrap(&why, FORM_WIDTH as usize - 2 - 16) {
                lines.push(Line::from(Span::styled(
                    format!("{:>16}{part}", ""),
                    theme.error(),
                )));
            }
        }
    }
    lines.push(Line::from(Span::styled(
        format!("{:>16}2024-01-01 · today · +30d · -1w · empty = open", ""),
        theme.dim(),
    )));
    lines.push(Line::from(""));
    if let Some((_, error)) = &form.field_error {
        lines.push(Line::from(Span::styled(
            format!(" ✗ {error}"),
            theme.error(),
        )));
    } else if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(
            format!(" ✗ {error}"),
            theme.error(),
        )));
    } else if form.sending {
        lines.push(Line::from(Span::styled(" Saving…", theme.warning())));
    } else {
        lines.push(Line::from(""));
    }
    let mut keys = vec![Span::styled(" Tab", theme.key()), Span::raw(" next  ")];
    if form.focus == RoleField::Roles {
        keys.extend([
            Span::styled("←→", theme.key()),
            Span::raw(" role  "),
            Span::styled("Space", theme.key()),
            Span::raw(" tick  "),
        ]);
    }
    keys.extend([
        Span::styled("Enter", theme.key()),
        Span::raw(" save  "),
        Span::styled("Esc", theme.key()),
        Span::raw(" cancel"),
    ]);
    lines.push(Line::from(keys));
    let width = FORM_WIDTH;
    let height = super::view::wrapped_height(&lines, width - 2) + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(&form.title(), theme)),
        rect,
    );
}

pub fn draw_role_conflict(
    app: &App,
    dialog: &RoleConflict,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let width = area.width.saturating_sub(4).min(100);
    let inner_width = width.saturating_sub(2) as usize;
    let wide = inner_width >= 90;
    let (rel_width, date_width) = (6, if wide { 10 } else { 8 });
    let range_width = date_width * 2 + 3;
    // "start later *" (an edited row) is the longest action.
    let any_edited = (0..dialog.items.len()).any(|index| dialog.is_edited(index));
    let action_width = if any_edited { 13 } else { 12 };
    let roles_width = inner_width
        .saturating_sub(2 + rel_width + 1 + 1 + range_width + 3 + range_width + 1 + action_width);
    let range = |from: Day, to: Day| {
        format!(
            "{}…{}",
            date_text(from, DEFAULT_VALID_FROM, wide),
            date_text(to, DEFAULT_VALID_TO, wide)
        )
    };
    let mut lines: Vec<Line> = Vec::new();
    if let Some(why) = &dialog.why {
        lines.push(Line::from(Span::styled(
            format!("⟳ {why}"),
            theme.warning(),
        )));
    }
    lines.push(Line::from(dialog.message.clone()));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "  {}{}{}   {}{}",
            fit("REL", rel_width + 1),
            fit("ROLES", roles_width + 1),
            fit("NOW", range_width),
            fit("SUGGESTED", range_width + 1),
            "ACTION"
        ),
        theme.title(),
    )));
    for (index, item) in dialog.items.iter().enumerate() {
        let selected = index == dialog.selected;
        let rel = item
            .rel_id
            .map_or_else(|| "new".to_string(), |id| id.to_string());
        let now = match (item.current_valid_from, item.current_valid_to) {
            (Some(from), Some(to)) => range(from, to),
            _ => "—".to_string(),
        };
        let suggested = if item.conflict_type == crate::api::roles::ConflictType::ToDelete {
            "—".to_string()
        } else {
            range(item.valid_from, item.valid_to)
        };
        let edited = dialog.is_edited(index);
        let action = if item.validated {
            // The request itself: kept as asked.
            "keep (yours)"
        } else {
            action_words(item.conflict_type)
        };
        let action = if edited {
            format!("{action} *")
        } else {
            action.to_string()
        };
        let marker = if selected { "▶ " } else { "  " };
        let text = format!(
            "{marker}{} {} {} → {} {}",
            fit(&rel, rel_width),
            fit(&roles_fitting(&item.roles, roles_width), roles_width),
            fit(&now, range_width),
            fit(&suggested, range_width),
            action
        );
        let line = Line::from(text);
        lines.push(if selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    if any_edited {
        lines.push(Line::from(Span::styled(
            "  * dates edited here",
            theme.dim(),
        )));
    }
    if let Some(edit) = &dialog.editing {
        let from = ParsedDate::of(edit.from.value(), app.today, DEFAULT_VALID_FROM);
        let to = ParsedDate::of(edit.to.value(), app.today, DEFAULT_VALID_TO);
        let field = |name: &str, input: &tui_input::Input, focused: bool| {
            let style = if focused {
                theme.key()
            } else {
                Style::default()
            };
            let cursor = if focused { "█" } else { "" };
            vec![
                Span::styled(format!("{name:>4}: "), style),
                Span::raw(format!("{:<12}", format!("{}{cursor}", input.value()))),
            ]
        };
        lines.push(Line::from(""));
        let mut spans = vec![Span::styled(" Edit dates  ", theme.title())];
        spans.extend(field("from", &edit.from, edit.focus == 0));
        spans.push(parsed_span(&from, theme));
        lines.push(Line::from(spans));
        let mut spans = vec![Span::raw(" ".repeat(" Edit dates  ".len()))];
        spans.extend(field("to", &edit.to, edit.focus == 1));
        spans.push(parsed_span(&to, theme));
        lines.push(Line::from(spans));
        let reason = [&from, &to].into_iter().find_map(|parsed| match parsed {
            ParsedDate::Invalid(why) => Some(why.clone()),
            _ => None,
        });
        if let Some(error) = edit.error.clone().or(reason) {
            lines.push(Line::from(Span::styled(
                format!(" ✗ {error}"),
                theme.error(),
            )));
        }
    }
    let mut timeline = vec![Line::from("")];
    timeline.extend(before_after(app, dialog, theme, inner_width, wide));
    // The verdict, any error and the keys are always shown, at the bottom.
    let mut bottom = Vec::new();
    match &dialog.outcome {
        Ok(_) => bottom.push(Line::from(Span::styled(
            " ✓ After these changes nothing overlaps.",
            theme.success(),
        ))),
        Err(why) => bottom.push(Line::from(Span::styled(
            format!(" ✗ Still overlaps: {why}."),
            theme.error(),
        ))),
    }
    if let Some(error) = &dialog.error {
        bottom.push(Line::from(Span::styled(format!(" {error}"), theme.error())));
    }
    bottom.push(Line::from(conflict_keys(dialog, theme)));
    let text_width = width.saturating_sub(2);
    let room = area.height.saturating_sub(4);
    let bottom_height = super::view::wrapped_height(&bottom, text_width);
    let needed = |lines: &[Line]| super::view::wrapped_height(lines, text_width) + bottom_height;
    // Short of rows, the timeline goes first, then the blank lines.
    let mut all = lines.clone();
    all.extend(timeline);
    if needed(&all) > room {
        all = lines;
    }
    if needed(&all) > room {
        all.retain(|line| line.width() > 0);
    }
    let rect = centered(area, width, needed(&all) + 2);
    frame.render_widget(Clear, rect);
    let title = format!(
        "Role conflict: {} in {}",
        dialog.user_name, dialog.organization_name
    );
    let block = dialog_block(&title, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [top_area, bottom_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_height)]).areas(inner);
    frame.render_widget(Paragraph::new(all).wrap(Wrap { trim: false }), top_area);
    frame.render_widget(
        Paragraph::new(bottom).wrap(Wrap { trim: false }),
        bottom_area,
    );
}

fn conflict_keys(dialog: &RoleConflict, theme: Theme) -> Vec<Span<'static>> {
    let pairs: &[(&str, &str)] = if dialog.sending {
        return vec![Span::styled(" Sending…", theme.warning())];
    } else if dialog.editing.is_some() {
        &[
            ("Enter", " keep these dates  "),
            ("Tab", " other date  "),
            ("Esc", " back"),
        ]
    } else {
        &[
            ("Enter", " accept all  "),
            ("↑↓", " row  "),
            ("e", " edit dates  "),
            ("u", " undo edits  "),
            ("Esc", " cancel"),
        ]
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in pairs {
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::raw(label.to_string()));
    }
    spans
}

/// The user's assignments in the organization now, the request, and the result.
fn before_after(
    app: &App,
    dialog: &RoleConflict,
    theme: Theme,
    width: usize,
    wide: bool,
) -> Vec<Line<'static>> {
    let (from, to) = requested_range(&dialog.request);
    let now: Vec<(Day, Day, bool)> = dialog
        .existing
        .iter()
        .filter(|e| Some(e.rel_id) != dialog.request.rel_id)
        .map(|e| (e.from, e.to, false))
        .collect();
    let is_request = |rel_id: Option<i64>, f: Day, t: Day| {
        rel_id == dialog.request.rel_id && (f, t) == (from, to)
    };
    let after: Option<Vec<(Day, Day, bool)>> = dialog.outcome.as_ref().ok().map(|finals| {
        finals
            .iter()
            .map(|f| (f.from, f.to, is_request(f.rel_id, f.from, f.to)))
            .collect()
    });
    let axis = Axis::over(
        now.iter()
            .chain(after.iter().flatten())
            .map(|(f, t, _)| (*f, *t))
            .chain([(from, to)]),
        app.today,
    );
    let label_width = 8;
    let bar_width = width.saturating_sub(label_width + 1);
    let row = |label: &str, ranges: &[(Day, Day, bool)]| {
        let mut spans = vec![Span::styled(format!(" {label:<7}"), theme.dim())];
        spans.extend(bar(&timeline(axis, ranges, app.today, bar_width), theme));
        Line::from(spans)
    };
    let mut lines = vec![row("now", &now), row("yours", &[(from, to, true)])];
    match &after {
        Some(after) => lines.push(row("after", after)),
        None => lines.push(Line::from(Span::styled(
            format!(" {:<7}(still overlapping)", "after"),
            theme.dim(),
        ))),
    }
    lines.push(Line::from(Span::styled(
        format!(" {:<7}{}", "", axis_line(axis, bar_width, wide)),
        theme.dim(),
    )));
    lines
}
