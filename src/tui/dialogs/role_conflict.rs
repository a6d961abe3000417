//! The role conflict dialog (409 from saving a role assignment): the server's suggestions,
//! one row each, which may be edited and are re-checked at once with the server's rules;
//! under them a timeline of the user's assignments now, the request, and after.

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{
    ConflictItem, ConflictType, ResolveRequest, RoleAssignmentRequest, RoleAssignmentRow,
};
use crate::domain::roles::{
    apply, edited_type, overlaps, ExistingAssignment, FinalAssignment, RequestedAssignment,
    Suggestion,
};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::message::Command;
use crate::tui::rows::roles_fitting;
use crate::tui::status::Flash;
use crate::tui::theme::Theme;
use crate::tui::widgets::date::{date_text, RangeEdit};
use crate::tui::widgets::frame::{centered, dialog_block, fit, hang};
use crate::tui::widgets::selection::Selection;
use crate::tui::widgets::timeline::{bar, timeline, Axis};

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "accept all", true),
    HintSpec::new(Keys::Run(Action::Up, Action::Down), "row", true),
    HintSpec::new(Keys::First(Action::Edit), "edit dates", true),
    HintSpec::new(Keys::First(Action::Undo), "undo edits", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];
/// When the user's assignments changed since the server suggested.
const STALE_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "get fresh suggestions", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];
const EDIT_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "keep these dates", true),
    HintSpec::new(Keys::First(Action::NextField), "other date", true),
    HintSpec::new(Keys::First(Action::Cancel), "back", true),
];

/// The local re-check of the items: what the assignments become, or why not.
pub type Verdict = Result<Vec<FinalAssignment>, String>;

#[derive(Debug)]
pub struct RoleConflict {
    message: String,
    /// Set when the suggestions were replaced by fresh ones from a resolve.
    why: Option<String>,
    request: RoleAssignmentRequest,
    items: Vec<ConflictItem>,
    /// The items as the server suggested them, to mark edited rows.
    suggested: Vec<ConflictItem>,
    selection: Selection,
    editing: Option<RangeEdit>,
    /// The user's assignments in the organization now (for the timeline and the check).
    existing: Vec<ExistingAssignment>,
    outcome: Verdict,
    pub(super) sending: bool,
    pub(super) error: Option<String>,
    user_name: String,
    organization_name: String,
    /// Set when the user's assignments here changed since the suggestions were made: what
    /// happened. Enter then asks the server again instead of resolving.
    stale: Option<String>,
}

impl RoleConflict {
    /// `known`: the user's assignments in the organization as the list last showed them; the
    /// items' current dates are fresher and win.
    pub fn new(
        message: String,
        request: RoleAssignmentRequest,
        items: Vec<ConflictItem>,
        known: &[RoleAssignmentRow],
        user_name: String,
        organization_name: String,
    ) -> RoleConflict {
        let mut dialog = RoleConflict {
            message,
            why: None,
            request,
            suggested: items.clone(),
            items,
            selection: Selection::default(),
            editing: None,
            existing: Vec::new(),
            outcome: Ok(Vec::new()),
            sending: false,
            error: None,
            user_name,
            organization_name,
            stale: None,
        };
        dialog.set_known(known);
        dialog
    }

    /// Says why the dialog shows again (fresh suggestions after a refused resolve).
    pub fn with_why(mut self, why: Option<&str>) -> RoleConflict {
        self.why = why.map(str::to_string);
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn why(&self) -> Option<&str> {
        self.why.as_deref()
    }
    pub fn request(&self) -> &RoleAssignmentRequest {
        &self.request
    }
    pub fn items(&self) -> &[ConflictItem] {
        &self.items
    }
    pub fn suggested(&self) -> &[ConflictItem] {
        &self.suggested
    }
    pub fn outcome(&self) -> &Verdict {
        &self.outcome
    }
    pub fn is_sending(&self) -> bool {
        self.sending
    }
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }
    /// The date editor, while a row's dates are being edited.
    pub fn editing(&self) -> Option<&RangeEdit> {
        self.editing.as_ref()
    }
    /// The selected row.
    pub fn selected(&self) -> usize {
        self.selection.index()
    }
    pub fn user_name(&self) -> &str {
        &self.user_name
    }
    pub fn organization_name(&self) -> &str {
        &self.organization_name
    }
    /// What made the suggestions stale, if something did.
    pub fn stale(&self) -> Option<&str> {
        self.stale.as_deref()
    }

    /// Whether a change to `row` (a role assignment) is one of the user's in this
    /// organization: then the suggestions may no longer hold.
    pub fn concerns_row(&self, user_id: &str, organization_id: &str) -> bool {
        self.request.organization_id == organization_id
            && self
                .request
                .user_id
                .id()
                .is_some_and(|id| id.to_string() == user_id)
    }

    /// The user's assignments changed elsewhere: `what` says how.
    pub fn went_stale(&mut self, what: String) {
        self.stale = Some(what);
    }

    /// Sent again as it is (the conflict went away meanwhile).
    pub fn mark_sending(&mut self) {
        self.sending = true;
    }

    /// The user it is about, when it is about `organization_id`.
    pub fn concerns(&self, organization_id: &str) -> Option<String> {
        (self.request.organization_id == organization_id)
            .then(|| self.request.user_id.id().map(|id| id.to_string()))
            .flatten()
    }

    /// Takes the user's assignments as the list now knows them and checks again.
    pub fn set_known(&mut self, known: &[RoleAssignmentRow]) {
        let requested = RequestedAssignment::of(&self.request);
        let (from, to) = (requested.from, requested.to);
        let mentioned = |rel_id: i64| self.items.iter().any(|item| item.rel_id == Some(rel_id));
        let mut existing: Vec<ExistingAssignment> = known
            .iter()
            // The server names every assignment in the way; one the list still has but the
            // server did not name is gone or moved since the list was loaded.
            .filter(|row| {
                Some(row.rel_id) == self.request.rel_id
                    || mentioned(row.rel_id)
                    || !overlaps(row.valid_from, row.valid_to, from, to)
            })
            .map(|row| ExistingAssignment {
                rel_id: row.rel_id,
                roles: row.roles.clone(),
                from: row.valid_from,
                to: row.valid_to,
            })
            .collect();
        for item in &self.items {
            let (Some(rel_id), Some(from), Some(to)) =
                (item.rel_id, item.current_valid_from, item.current_valid_to)
            else {
                continue;
            };
            match existing.iter_mut().find(|e| e.rel_id == rel_id) {
                Some(known) => {
                    known.from = from;
                    known.to = to;
                }
                None => existing.push(ExistingAssignment {
                    rel_id,
                    roles: item.roles.clone(),
                    from,
                    to,
                }),
            }
        }
        // The edited assignment must be there for the check, whatever the list knew.
        if let Some(rel_id) = self.request.rel_id {
            if !existing.iter().any(|e| e.rel_id == rel_id) {
                existing.push(ExistingAssignment {
                    rel_id,
                    roles: requested.roles,
                    from,
                    to,
                });
            }
        }
        existing.sort_by_key(|e| (e.from, e.to));
        self.existing = existing;
        self.recheck();
    }

    /// Applies the items locally, as the server will.
    fn recheck(&mut self) {
        let suggestions: Vec<Suggestion> = self.items.iter().map(Suggestion::from_item).collect();
        self.outcome = apply(
            &self.existing,
            &RequestedAssignment::of(&self.request),
            &suggestions,
        )
        .map_err(|err| err.to_string());
    }

    pub fn is_edited(&self, index: usize) -> bool {
        match (self.items.get(index), self.suggested.get(index)) {
            (Some(now), Some(before)) => {
                (now.valid_from, now.valid_to) != (before.valid_from, before.valid_to)
            }
            _ => false,
        }
    }

    /// Opens the date editor on the selected row; an error sentence when that row is fixed.
    fn start_edit(&mut self) -> Result<(), String> {
        let Some(item) = self.items.get(self.selection.index()) else {
            return Err("Nothing to edit.".to_string());
        };
        if item.validated {
            return Err(
                "This row is the assignment you asked for; Esc goes back to its form.".to_string(),
            );
        }
        self.editing = Some(RangeEdit::new(item.valid_from, item.valid_to));
        Ok(())
    }

    /// Takes the edited dates into the selected row, unless they do not parse.
    fn finish_edit(&mut self, today: Day) {
        let Some((from, to)) = self.editing.as_mut().and_then(|edit| edit.finish(today)) else {
            return;
        };
        if let Some(item) = self.items.get_mut(self.selection.index()) {
            item.valid_from = from;
            item.valid_to = to;
            item.conflict_type = edited_type(item);
        }
        self.editing = None;
        self.recheck();
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap, today: Day) -> Outcome {
        if let Some(edit) = self.editing.as_mut() {
            match keys.action(Context::DateEdit, key) {
                Some(Action::Cancel) => self.editing = None,
                Some(Action::NextField) => edit.switch(),
                Some(Action::Accept) => self.finish_edit(today),
                _ => edit.input(key),
            }
            return Outcome::Stay;
        }
        let rows = self.items.len();
        match keys.action(Context::RoleConflict, key) {
            Some(Action::Cancel) => {
                return Outcome::Close.and(Outcome::Say(Flash::info("Cancelled; nothing changed.")))
            }
            Some(Action::Down) => self.selection.move_by(1, rows),
            Some(Action::Up) => self.selection.move_by(-1, rows),
            Some(Action::Edit) if !self.sending => self.error = self.start_edit().err(),
            Some(Action::Undo) if !self.sending => {
                self.items = self.suggested.clone();
                self.error = None;
                self.recheck();
            }
            Some(Action::Accept) if !self.sending && self.stale.is_some() => {
                // Fresh suggestions first: the server answers the request again.
                self.sending = true;
                self.error = None;
                return Outcome::Send(Command::SaveRoleAssignment(self.request.clone()));
            }
            Some(Action::Accept) if !self.sending => match &self.outcome {
                Err(_) => {
                    // The line above already says what still overlaps; this says what to do.
                    self.error = Some(format!(
                        "Not sent. Edit the dates ({}) or undo the edits ({}).",
                        keys.label(Context::RoleConflict, Action::Edit),
                        keys.label(Context::RoleConflict, Action::Undo),
                    ));
                }
                Ok(_) => {
                    self.sending = true;
                    self.error = None;
                    return Outcome::Send(Command::ResolveRoleConflict(ResolveRequest {
                        request: self.request.clone(),
                        resolution: self.items.clone(),
                    }));
                }
            },
            _ => {}
        }
        Outcome::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let width = area.width.saturating_sub(4).min(100);
        let inner_width = width.saturating_sub(2) as usize;
        let wide = inner_width >= 90;
        let mut lines = self.rows(inner_width, wide, theme);
        if let Some(edit) = &self.editing {
            lines.extend(edit.lines(look.today, theme));
        }
        let mut timeline = vec![Line::from("")];
        timeline.extend(self.before_after(look.today, theme, inner_width, wide));
        // The verdict, any error and the keys are always shown, at the bottom.
        let mut bottom = Vec::new();
        match &self.outcome {
            Ok(_) => bottom.push(Line::from(Span::styled(
                " ✓ After these changes nothing overlaps.",
                theme.success(),
            ))),
            Err(why) => bottom.push(Line::from(Span::styled(
                format!(" ✗ Still overlaps: {why}."),
                theme.error(),
            ))),
        }
        if let Some(stale) = &self.stale {
            bottom.push(Line::from(Span::styled(
                format!(" • {stale} These suggestions may no longer fit."),
                theme.warning(),
            )));
        }
        if let Some(error) = &self.error {
            bottom.push(Line::from(Span::styled(format!(" {error}"), theme.error())));
        }
        bottom.push(Line::from(self.key_spans(look.keys, theme)));
        let text_width = width.saturating_sub(2);
        let room = area.height.saturating_sub(4);
        let bottom = hang(bottom, text_width);
        let bottom_height = bottom.len() as u16;
        let needed = |lines: &[Line]| lines.len() as u16 + bottom_height;
        // Short of rows, the timeline goes first, then the blank lines.
        let lines = hang(lines, text_width);
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
            self.user_name, self.organization_name
        );
        let block = dialog_block(&title, theme);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [top_area, bottom_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_height)]).areas(inner);
        frame.render_widget(Paragraph::new(all), top_area);
        frame.render_widget(Paragraph::new(bottom), bottom_area);
    }

    /// The server's sentence and one row per item.
    fn rows(&self, inner_width: usize, wide: bool, theme: Theme) -> Vec<Line<'static>> {
        // Dates keep their four-digit year; narrow, the ranges lose their slack instead.
        let (rel_width, range_width) = if wide { (6, 23) } else { (5, 21) };
        // "start later *" (an edited row) is the longest action.
        let any_edited = (0..self.items.len()).any(|index| self.is_edited(index));
        let action_width = if any_edited { 13 } else { 12 };
        let roles_width = inner_width.saturating_sub(
            2 + rel_width + 1 + 1 + range_width + 3 + range_width + 1 + action_width,
        );
        let range = |from: Day, to: Day| {
            format!(
                "{}…{}",
                date_text(from, DEFAULT_VALID_FROM, wide),
                date_text(to, DEFAULT_VALID_TO, wide)
            )
        };
        let mut lines: Vec<Line> = Vec::new();
        if let Some(why) = &self.why {
            lines.push(Line::from(Span::styled(
                format!("⟳ {why}"),
                theme.warning(),
            )));
        }
        lines.push(Line::from(self.message.clone()));
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
        for (index, item) in self.items.iter().enumerate() {
            let selected = index == self.selection.index();
            let rel = item
                .rel_id
                .map_or_else(|| "new".to_string(), |id| id.to_string());
            let now = match (item.current_valid_from, item.current_valid_to) {
                (Some(from), Some(to)) => range(from, to),
                _ => "—".to_string(),
            };
            let suggested = if item.conflict_type == ConflictType::ToDelete {
                "—".to_string()
            } else {
                range(item.valid_from, item.valid_to)
            };
            let action = if item.validated {
                // The request itself: kept as asked.
                "keep (yours)"
            } else {
                action_words(item.conflict_type)
            };
            let action = if self.is_edited(index) {
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
        lines
    }

    fn key_spans(&self, keys: &KeyMap, theme: Theme) -> Vec<Span<'static>> {
        if self.sending {
            return vec![Span::styled(" Sending…", theme.warning())];
        }
        let (context, hints) = if self.editing.is_some() {
            (Context::DateEdit, EDIT_HINTS)
        } else if self.stale.is_some() {
            (Context::RoleConflict, STALE_HINTS)
        } else {
            (Context::RoleConflict, HINTS)
        };
        key_line(keys, context, hints, (" ", "  "), theme.key())
    }

    /// The user's assignments in the organization now, the request, and the result.
    fn before_after(
        &self,
        today: Day,
        theme: Theme,
        width: usize,
        wide: bool,
    ) -> Vec<Line<'static>> {
        let RequestedAssignment { from, to, .. } = RequestedAssignment::of(&self.request);
        // Everything as it stands, the assignment being edited included (at its old dates).
        let now: Vec<(Day, Day, bool)> = self
            .existing
            .iter()
            .map(|e| (e.from, e.to, false))
            .collect();
        let is_request = |rel_id: Option<i64>, f: Day, t: Day| {
            rel_id == self.request.rel_id && (f, t) == (from, to)
        };
        let after: Option<Vec<(Day, Day, bool)>> = self.outcome.as_ref().ok().map(|finals| {
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
            today,
        );
        let label_width = 8;
        let bar_width = width.saturating_sub(label_width + 1);
        let row = |label: &str, ranges: &[(Day, Day, bool)]| {
            let mut spans = vec![Span::styled(format!(" {label:<7}"), theme.dim())];
            spans.extend(bar(&timeline(axis, ranges, today, bar_width), theme));
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
            format!(" {:<7}{}", "", axis.line(bar_width, wide)),
            theme.dim(),
        )));
        lines
    }
}

/// The action of a row, in words.
fn action_words(kind: ConflictType) -> &'static str {
    match kind {
        ConflictType::ToDelete => "delete",
        ConflictType::DateToUpdated => "end earlier",
        ConflictType::DateFromUpdated => "start later",
        ConflictType::NoUpdate => "keep",
    }
}
