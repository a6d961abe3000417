//! One user's role assignments in every organization, grouped by role as `GET
//! /api/users/:userId` answers (seed 002): under each role its organizations with their
//! dates and a timeline bar, all on one time axis with today marked. Changes to that user's
//! assignments from the live stream are applied in place.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::events::{EventData, EventKind};
use crate::api::roles::{Role, RoleAssignmentRow, UserRoles};
use crate::client::ClientError;
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::live::Change;
use crate::tui::widgets::date::date_text;
use crate::tui::widgets::frame::{centered, dialog_block, fit};
use crate::tui::widgets::table::SortKey;
use crate::tui::widgets::timeline::{bar, timeline, Axis};

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::Run(Action::Up, Action::Down), "scroll", true),
    HintSpec::new(Keys::First(Action::Close), "close", true),
];

/// Lines a page key scrolls.
const PAGE: u16 = 10;

/// Where a role is held: organization, relId, valid from, valid to.
pub type Held = (String, i64, Day, Day);

/// One role assignment of the user, with every role it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    rel_id: i64,
    organization_name: String,
    roles: Vec<Role>,
    from: Day,
    to: Day,
}

#[derive(Debug)]
pub struct UserView {
    user_id: i64,
    name: String,
    email: Option<String>,
    /// None while loading.
    entries: Option<Vec<Entry>>,
    /// Why they could not be loaded: the server's sentence.
    error: Option<String>,
    /// Changes that came while loading, applied on top of the answer.
    pending: Vec<(RoleAssignmentRow, bool)>,
    scroll: u16,
}

impl UserView {
    /// Opens on `user_id`, named `name` until the answer says more.
    pub fn new(user_id: i64, name: String) -> UserView {
        UserView {
            user_id,
            name,
            email: None,
            entries: None,
            error: None,
            pending: Vec::new(),
            scroll: 0,
        }
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_loading(&self) -> bool {
        self.entries.is_none() && self.error.is_none()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Per role, in the seed's order, the (organization, relId, from, to) it is held in.
    pub fn groups(&self) -> Vec<(Role, Vec<Held>)> {
        let Some(entries) = &self.entries else {
            return Vec::new();
        };
        Role::ALL
            .into_iter()
            .filter_map(|role| {
                let mut held: Vec<&Entry> = entries
                    .iter()
                    .filter(|entry| entry.roles.contains(&role))
                    .collect();
                held.sort_by_cached_key(|entry| {
                    (SortKey::natural(&entry.organization_name), entry.from)
                });
                let held: Vec<Held> = held
                    .into_iter()
                    .map(|e| (e.organization_name.clone(), e.rel_id, e.from, e.to))
                    .collect();
                (!held.is_empty()).then_some((role, held))
            })
            .collect()
    }

    /// The server's answer: one entry per assignment, however many roles it holds.
    pub fn loaded(&mut self, result: Result<UserRoles, ClientError>) {
        match result {
            Ok(user) => {
                let mut entries: Vec<Entry> = Vec::new();
                for group in user.roles {
                    for org in group.organizations {
                        match entries.iter_mut().find(|entry| entry.rel_id == org.rel_id) {
                            Some(entry) => entry.roles.push(group.role),
                            None => entries.push(Entry {
                                rel_id: org.rel_id,
                                organization_name: org.name,
                                roles: vec![group.role],
                                from: org.valid_from,
                                to: org.valid_to,
                            }),
                        }
                    }
                }
                self.name = user.name;
                self.email = Some(user.email);
                self.entries = Some(entries);
                self.error = None;
                for (row, deleted) in std::mem::take(&mut self.pending) {
                    self.apply(&row, deleted);
                }
            }
            Err(error) => self.error = Some(error.user_message()),
        }
    }

    fn apply(&mut self, row: &RoleAssignmentRow, deleted: bool) {
        let Some(entries) = self.entries.as_mut() else {
            self.pending.push((row.clone(), deleted));
            return;
        };
        entries.retain(|entry| entry.rel_id != row.rel_id);
        if !deleted {
            entries.push(Entry {
                rel_id: row.rel_id,
                organization_name: row.organization_name.clone(),
                roles: row.roles.clone(),
                from: row.valid_from,
                to: row.valid_to,
            });
        }
    }

    /// A change from the stream: this user's assignments or name. True when it concerned them.
    pub fn live(&mut self, change: &Change) -> bool {
        match change.data.as_ref() {
            EventData::RoleAssignment(row) if row.user_id == self.user_id.to_string() => {
                self.apply(row, change.kind() == EventKind::RoleAssignmentDeleted);
                true
            }
            EventData::User(user) if user.id == self.user_id => {
                self.name = user.name.clone();
                self.email = Some(user.email.clone());
                true
            }
            _ => false,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Outcome {
        match keys.action(Context::UserView, key) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => self.scroll = self.scroll.saturating_add(1),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll = self.scroll.saturating_add(PAGE),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(PAGE),
            _ => return Outcome::Ignored,
        }
        Outcome::Stay
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let width = area.width.saturating_sub(4).min(100);
        let rect = centered(area, width, area.height.saturating_sub(4));
        frame.render_widget(Clear, rect);
        let block = dialog_block(&format!("Roles of {}", self.name), theme);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let inner_width = usize::from(inner.width);
        let wide = inner_width >= 90;
        let mut head = vec![Span::raw(format!(
            " {}",
            self.email.as_deref().unwrap_or("")
        ))];
        let mut body: Vec<Line> = Vec::new();
        match (&self.entries, &self.error) {
            (_, Some(error)) => body.push(Line::from(Span::styled(
                format!(" ✗ {error}"),
                theme.error(),
            ))),
            (None, None) => head.push(Span::styled("loading…", theme.dim())),
            (Some(entries), None) => {
                let organizations: std::collections::HashSet<&str> = entries
                    .iter()
                    .map(|entry| entry.organization_name.as_str())
                    .collect();
                let count = match (entries.len(), organizations.len()) {
                    (0, _) => " · no role assignments".to_string(),
                    (1, _) => " · 1 role assignment".to_string(),
                    (n, 1) => format!(" · {n} role assignments in 1 organization"),
                    (n, o) => format!(" · {n} role assignments in {o} organizations"),
                };
                head.push(Span::styled(count, theme.dim()));
                body = self.table(entries, inner_width, wide, look);
            }
        }
        let height = usize::from(inner.height);
        // Head, body, a blank line and the keys.
        let room = height.saturating_sub(3);
        let most = body.len().saturating_sub(room) as u16;
        self.scroll = self.scroll.min(most);
        let mut lines = vec![Line::from(head)];
        lines.extend(body.into_iter().skip(usize::from(self.scroll)).take(room));
        while lines.len() < height.saturating_sub(1) {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(key_line(
            look.keys,
            Context::UserView,
            HINTS,
            (" ", "  "),
            theme.key(),
        )));
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// The header and, per role, a title line and a line per organization with its bar.
    fn table(
        &self,
        entries: &[Entry],
        width: usize,
        wide: bool,
        look: &Look,
    ) -> Vec<Line<'static>> {
        let theme = look.theme;
        let (org_width, date_width) = if wide { (24, 10) } else { (16, 10) };
        let fixed = 4 + org_width + 1 + 7 + date_width + 1 + date_width + 1;
        let bar_width = width.saturating_sub(fixed + 1);
        let axis = Axis::over(entries.iter().map(|e| (e.from, e.to)), look.today);
        let mut header = format!(
            "    {}{}{}{}",
            fit("ORGANIZATION", org_width + 1),
            fit("REL", 7),
            fit(if wide { "VALID FROM" } else { "FROM" }, date_width + 1),
            fit(if wide { "VALID TO" } else { "TO" }, date_width + 1),
        );
        header.push_str(&axis.line(bar_width, wide));
        let mut lines = vec![Line::from(Span::styled(header, theme.title()))];
        let groups = self.groups();
        if groups.is_empty() {
            lines.push(Line::from(Span::styled(
                " No role in any organization.",
                theme.dim(),
            )));
        }
        for (role, held) in groups {
            lines.push(Line::from(Span::styled(
                format!(" {}", role.as_str()),
                theme.title(),
            )));
            for (organization, rel_id, from, to) in held {
                let text = format!(
                    "    {} {}{} {} ",
                    fit(&organization, org_width),
                    fit(&format!("#{rel_id}"), 7),
                    fit(&date_text(from, DEFAULT_VALID_FROM, wide), date_width),
                    fit(&date_text(to, DEFAULT_VALID_TO, wide), date_width),
                );
                let cells = timeline(axis, &[(from, to, false)], look.today, bar_width);
                let mut spans = vec![Span::raw(text)];
                spans.extend(bar(&cells, theme));
                lines.push(Line::from(spans));
            }
        }
        lines
    }
}
