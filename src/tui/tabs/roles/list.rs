//! The role assignments of the selected organization, or of it and every organization below
//! it (`below`, with an organization column): loaded per organization and mode (the last
//! answer for each kept, so moving back is instant), sorted by a column, each row with a
//! timeline bar on one axis for the list.

use std::collections::HashMap;
use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{Organization, RoleAssignmentRow};
use crate::tui::rows::{roles_fitting, roles_text};
use crate::tui::theme::Theme;
use crate::tui::widgets::date::date_text;
use crate::tui::widgets::frame::fit;
use crate::tui::widgets::selection::Selection;
use crate::tui::widgets::table::SortKey;
use crate::tui::widgets::timeline::{bar, timeline, Axis};

/// Columns the role list sorts by, in `s` order.
pub const ROLE_COLUMNS: [&str; 4] = ["USER", "ROLES", "VALID FROM", "VALID TO"];

/// Which list: an organization's id, and whether it includes the organizations below it.
type ListKey = (String, bool);

#[derive(Debug, Default)]
pub struct RoleList {
    /// Role assignments per organization id and mode, as last loaded.
    by_org: HashMap<ListKey, Vec<RoleAssignmentRow>>,
    /// The latest load asked for each list; older answers are dropped.
    requested: HashMap<ListKey, u64>,
    /// The list asked for last on its own account.
    last_requested: Option<ListKey>,
    next_request: u64,
    /// Lists show the organizations below the selected one too.
    pub below: bool,
    pub selection: Selection,
    pub sort_column: usize,
    pub sort_reversed: bool,
    /// Assignments someone else just changed (by relId), marked until then.
    marks: HashMap<i64, Instant>,
    /// An assignment to select when it is listed (one just written).
    wanted: Option<i64>,
}

/// What a list line shows for the open ends and the wide or narrow dates.
pub struct ListLook<'a> {
    pub today: Day,
    pub wide: bool,
    pub focused: bool,
    /// The key that adds an assignment, for the empty list's hint.
    pub new_key: &'a str,
    pub theme: Theme,
}

impl RoleList {
    /// Starts a load of one organization's assignments (in the mode shown now).
    pub fn load(&mut self, organization_id: String) -> (u64, String) {
        self.next_request += 1;
        self.requested
            .insert((organization_id.clone(), self.below), self.next_request);
        (self.next_request, organization_id)
    }

    /// Starts a load of the selected organization's assignments, remembered as asked for.
    pub fn load_selected(&mut self, organization_id: String) -> (u64, String) {
        self.last_requested = Some((organization_id.clone(), self.below));
        self.load(organization_id)
    }

    /// Whether `selected` is an organization whose assignments were not asked for yet (in
    /// the mode shown now).
    pub fn is_unrequested(&self, selected: Option<&Organization>) -> bool {
        selected
            .is_some_and(|org| self.last_requested.as_ref() != Some(&(org.id.clone(), self.below)))
    }

    fn key(&self, organization: &Organization) -> ListKey {
        (organization.id.clone(), self.below)
    }

    /// Keeps an answer unless a newer load for the same list was sent since.
    pub fn accept(
        &mut self,
        request: u64,
        (organization_id, below): ListKey,
        rows: Vec<RoleAssignmentRow>,
        selected: Option<&Organization>,
    ) -> bool {
        let key = (organization_id, below);
        if self.requested.get(&key) != Some(&request) {
            return false;
        }
        let shown_here = selected.is_some_and(|org| self.key(org) == key);
        let keep = shown_here
            .then(|| self.selected(selected).map(|row| row.rel_id))
            .flatten();
        self.by_org.insert(key, rows);
        self.land_wanted(selected, keep);
        true
    }

    /// Selects the assignment `rel_id` in `organization`'s list now if it is there, else as
    /// soon as a list shows it (until the user moves on).
    pub fn want(&mut self, rel_id: i64, organization: Option<&Organization>) {
        let keep = self.selected(organization).map(|row| row.rel_id);
        self.wanted = Some(rel_id);
        if organization.is_some() {
            self.land_wanted(organization, keep);
        }
    }

    /// The user moves the selection `delta` rows among `len`.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        self.wanted = None;
        self.selection.move_by(delta, len);
    }

    /// Puts the selection on the wanted assignment if `organization`'s list shows it, else
    /// on `keep`, else keeps it among the rows.
    fn land_wanted(&mut self, organization: Option<&Organization>, keep: Option<i64>) {
        let shown = self.shown(organization);
        let at = |rel: Option<i64>| rel.and_then(|id| shown.iter().position(|r| r.rel_id == id));
        let wanted = at(self.wanted);
        match wanted.or_else(|| at(keep)) {
            Some(position) => self.selection.select(position),
            None => self.selection.clamp(shown.len()),
        }
        if wanted.is_some() {
            self.wanted = None;
        }
    }

    /// The next sort column, or the same reversed; the selection stays on its assignment.
    pub fn cycle_sort(&mut self, organization: Option<&Organization>, reverse: bool) {
        let keep = self.selected(organization).map(|row| row.rel_id);
        if reverse {
            self.sort_reversed = !self.sort_reversed;
        } else {
            self.sort_column = (self.sort_column + 1) % ROLE_COLUMNS.len();
            self.sort_reversed = false;
        }
        self.land_wanted(organization, keep);
    }

    /// The organization's assignments, sorted; None while never loaded.
    pub fn rows(&self, organization: Option<&Organization>) -> Option<Vec<&RoleAssignmentRow>> {
        sorted(
            &self.by_org,
            &self.key(organization?),
            self.sort_column,
            self.sort_reversed,
        )
    }

    pub fn shown(&self, organization: Option<&Organization>) -> Vec<&RoleAssignmentRow> {
        self.rows(organization).unwrap_or_default()
    }

    pub fn selected(&self, organization: Option<&Organization>) -> Option<RoleAssignmentRow> {
        self.shown(organization)
            .get(self.selection.index())
            .map(|row| (*row).clone())
    }

    /// A role assignment created, changed or deleted elsewhere, applied to every loaded list
    /// that holds its organization: its own, and those of the organizations above it
    /// (`ancestry`: its organization first, then its parent, …) that include what is below.
    /// The selection stays on its assignment. True when `selected`'s list changed.
    pub fn apply(
        &mut self,
        row: &RoleAssignmentRow,
        deleted: bool,
        mark: Option<Instant>,
        selected: Option<&Organization>,
        ancestry: &[String],
    ) -> bool {
        let shown_key = selected.map(|org| self.key(org));
        let keep = self.selected(selected).map(|kept| kept.rel_id);
        let mut changed_any = false;
        let mut shown_here = false;
        for (key, rows) in self.by_org.iter_mut() {
            let holds = match key {
                (organization, false) => *organization == row.organization_id,
                (organization, true) => ancestry.contains(organization),
            };
            if !holds {
                continue;
            }
            let at = rows.iter().position(|r| r.rel_id == row.rel_id);
            match (at, deleted) {
                (Some(at), true) => {
                    rows.remove(at);
                }
                (Some(at), false) => rows[at] = row.clone(),
                (None, false) => rows.push(row.clone()),
                (None, true) => continue,
            }
            changed_any = true;
            shown_here |= shown_key.as_ref() == Some(key);
        }
        if !changed_any {
            return false;
        }
        match (mark, deleted) {
            (Some(until), false) => {
                self.marks.insert(row.rel_id, until);
            }
            _ => {
                self.marks.remove(&row.rel_id);
            }
        }
        if shown_here {
            self.land_wanted(selected, keep);
        }
        shown_here
    }

    /// A user's new name in every loaded list; true when `selected`'s list shows them.
    pub fn rename_user(
        &mut self,
        user_id: &str,
        name: &str,
        selected: Option<&Organization>,
    ) -> bool {
        let mut shown = false;
        let shown_key = selected.map(|org| self.key(org));
        for (key, rows) in &mut self.by_org {
            for row in rows
                .iter_mut()
                .filter(|r| r.user_id == user_id && r.user_name != name)
            {
                row.user_name = name.to_string();
                shown |= shown_key.as_ref() == Some(key);
            }
        }
        shown
    }

    /// Drops the marks whose time is up; true when one was in `selected`'s list.
    pub fn expire_marks(&mut self, now: Instant, selected: Option<&Organization>) -> bool {
        if self.marks.is_empty() {
            return false;
        }
        let gone: Vec<i64> = self
            .marks
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(rel, _)| *rel)
            .collect();
        for rel in &gone {
            self.marks.remove(rel);
        }
        let shown = self.shown(selected);
        gone.iter()
            .any(|rel| shown.iter().any(|row| row.rel_id == *rel))
    }

    pub fn next_mark_end(&self) -> Option<Instant> {
        self.marks.values().min().copied()
    }

    pub fn is_marked(&self, rel_id: i64) -> bool {
        self.marks.contains_key(&rel_id)
    }

    /// One user's assignments in one organization, as last loaded (by whichever list).
    pub fn assignments_of(&self, user_id: &str, organization_id: &str) -> Vec<RoleAssignmentRow> {
        let plain = (organization_id.to_string(), false);
        let lists: Vec<&Vec<RoleAssignmentRow>> = match self.by_org.get(&plain) {
            Some(rows) => vec![rows],
            None => self.by_org.values().collect(),
        };
        let mut found: Vec<RoleAssignmentRow> = Vec::new();
        for row in lists.into_iter().flatten() {
            if row.user_id == user_id
                && row.organization_id == organization_id
                && !found.iter().any(|known| known.rel_id == row.rel_id)
            {
                found.push(row.clone());
            }
        }
        found
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, org: &Organization, look: &ListLook) {
        let theme = look.theme;
        let [title_area, table_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        let sort = (self.sort_column, self.sort_reversed);
        let title = if self.below {
            format!(" {} and below", org.name)
        } else {
            format!(" {}", org.name)
        };
        let Some(rows) = sorted(&self.by_org, &self.key(org), sort.0, sort.1) else {
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(title, theme.title()),
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
                Span::styled(title, theme.title()),
                Span::styled(format!(" · {count}"), theme.dim()),
            ])),
            title_area,
        );
        if rows.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!(" No role assignments here yet; {} adds one.", look.new_key),
                    theme.dim(),
                )),
                table_area,
            );
            return;
        }
        // With the organization column, everything is narrower (dates without the century).
        let wide = look.wide && !self.below;
        let (user_width, roles_width, date_width, org_width) = match (look.wide, self.below) {
            // Dates keep their four-digit year everywhere; names give way.
            (true, false) => (16, 14, 10, 0),
            (false, false) => (11, 9, 10, 0),
            (true, true) => (13, 9, 10, 13),
            (false, true) => (9, 7, 10, 9),
        };
        let org_room = if self.below { org_width + 1 } else { 0 };
        let fixed =
            2 + user_width + 1 + org_room + roles_width + 1 + date_width + 1 + date_width + 1;
        let bar_width = (table_area.width as usize).saturating_sub(fixed + 1);
        let axis = Axis::over(rows.iter().map(|r| (r.valid_from, r.valid_to)), look.today);
        let org_title = if self.below {
            format!("{} ", fit("ORGANIZATION", org_width))
        } else {
            String::new()
        };
        let mut header = format!(
            "  {}{org_title}{}{}{}",
            fit(&column_title(sort, 0, wide, user_width), user_width + 1),
            fit(&column_title(sort, 1, wide, roles_width), roles_width + 1),
            fit(&column_title(sort, 2, wide, date_width), date_width + 1),
            fit(&column_title(sort, 3, wide, date_width), date_width + 1),
        );
        header.push_str(&axis.line(bar_width, wide));
        let mut lines = vec![Line::from(Span::styled(header, theme.title()))];
        let height = table_area.height.saturating_sub(1) as usize;
        let offset = self.selection.window(height, rows.len());
        let selected = self.selection.index();
        for (position, row) in rows.iter().enumerate().skip(offset).take(height) {
            let is_selected = position == selected;
            let mark = if self.marks.contains_key(&row.rel_id) {
                "•"
            } else {
                " "
            };
            let marker = match (is_selected, look.focused) {
                (true, true) => format!("▶{mark}"),
                (true, false) => format!("▷{mark}"),
                _ => format!(" {mark}"),
            };
            let org_cell = if self.below {
                format!("{} ", fit(&row.organization_name, org_width))
            } else {
                String::new()
            };
            let text = format!(
                "{marker}{} {org_cell}{} {} {} ",
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
                look.today,
                bar_width,
            );
            let mut spans = vec![Span::raw(text)];
            spans.extend(bar(&cells, theme));
            let line = Line::from(spans);
            lines.push(match (is_selected, look.focused) {
                (true, true) => line.style(theme.selected()),
                _ => line,
            });
        }
        frame.render_widget(Paragraph::new(lines), table_area);
    }
}

fn sorted<'a>(
    by_org: &'a HashMap<ListKey, Vec<RoleAssignmentRow>>,
    key: &ListKey,
    column: usize,
    reversed: bool,
) -> Option<Vec<&'a RoleAssignmentRow>> {
    let rows = by_org.get(key)?;
    let key_below = key.1;
    let mut sorted: Vec<&RoleAssignmentRow> = rows.iter().collect();
    // Drawn every frame: each row's key is built once, not per comparison.
    sorted.sort_by_cached_key(|row| {
        let key = match column {
            1 => SortKey::Text(roles_text(&row.roles, false)),
            2 => SortKey::Number(i64::from(row.valid_from.0)),
            3 => SortKey::Number(i64::from(row.valid_to.0)),
            _ => SortKey::natural(&row.user_name),
        };
        // The organization breaks ties only where rows of several are listed.
        let organization = key_below.then(|| SortKey::natural(&row.organization_name));
        (key, organization, row.valid_from)
    });
    if reversed {
        sorted.reverse();
    }
    Some(sorted)
}

/// A column's title, with the sort arrow on the sorted one (▲ ascending, ▼ descending, as
/// on every list); a date column's title goes short where the full one and its arrow do not
/// fit `width`.
fn column_title(
    (sort_column, reversed): (usize, bool),
    column: usize,
    wide: bool,
    width: usize,
) -> String {
    let short = match column {
        2 => Some("FROM"),
        3 => Some("TO"),
        _ => None,
    };
    let full = ROLE_COLUMNS.get(column).copied().unwrap_or_default();
    let arrow = match (column == sort_column, reversed) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    let name = match short {
        Some(short) if !wide || full.chars().count() + arrow.chars().count() > width => short,
        _ => full,
    };
    format!("{name}{arrow}")
}
