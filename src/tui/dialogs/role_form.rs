//! The role form: new or edit a role assignment. User and organization are chosen from a
//! picker it owns (users found by the server's search as they are typed, organizations those
//! the signed-in user may assign in); roles are ticked; the two dates are parsed as they are
//! typed. Nothing that the form can tell the server would refuse is sent.

use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::confirm::{discard_key, draw_discard, draw_quit, quit_key};
use super::user_search::UserSearch;
use super::{Context as Given, Look, Outcome};
use crate::api::access::UserSummary;
use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{Role, RoleAssignmentRequest, RoleAssignmentRow, UserIdValue};
use crate::client::ClientError;
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context};
use crate::tui::status::Flash;
use crate::tui::widgets::date::{input_text, ParsedDate};
use crate::tui::widgets::field::{label, typed_char, Field, FormStatus};
use crate::tui::widgets::frame::{draw_dialog, word_wrap};
use crate::tui::widgets::picker::{Picked, Picker, PickerItem};
use crate::tui::widgets::selection::Selection;

const FORM_WIDTH: u16 = 72;

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::NextField), "next", true),
    HintSpec::new(Keys::First(Action::Accept), "save", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];
const ROLE_HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::NextField), "next", true),
    HintSpec::new(
        Keys::Run(Action::PreviousRole, Action::NextRole),
        "role",
        true,
    ),
    HintSpec::new(Keys::First(Action::Tick), "tick", true),
    HintSpec::new(Keys::First(Action::Accept), "save", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
    HintSpec::new(Keys::First(Action::Quit), "quit", true),
];

/// The role form's fields, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleField {
    User,
    Organization,
    Roles,
    ValidFrom,
    ValidTo,
}

impl RoleField {
    pub const ALL: [RoleField; 5] = [
        RoleField::User,
        RoleField::Organization,
        RoleField::Roles,
        RoleField::ValidFrom,
        RoleField::ValidTo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RoleField::User => "User",
            RoleField::Organization => "Organization",
            RoleField::Roles => "Roles",
            RoleField::ValidFrom => "Valid from",
            RoleField::ValidTo => "Valid to",
        }
    }

    /// User and organization are chosen from a picker, not typed.
    fn is_chosen(self) -> bool {
        matches!(self, RoleField::User | RoleField::Organization)
    }
}

/// A user or organization chosen in the form: the id and what to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub id: String,
    pub label: String,
}

/// New or edit a role assignment.
#[derive(Debug)]
pub struct RoleForm {
    /// The assignment edited; None for a new one.
    rel_id: Option<i64>,
    user: Option<Chosen>,
    organization: Chosen,
    /// Ticked roles, in `Role::ALL` order.
    roles: [bool; 5],
    /// The role the cursor is on.
    role_cursor: Selection,
    valid_from: Field,
    valid_to: Field,
    focus: RoleField,
    field_error: Option<(RoleField, String)>,
    pub(super) error: Option<String>,
    pub(super) sending: bool,
    initial: (Option<String>, String, [bool; 5]),
    /// The picker open for `RoleField::User` or `Organization`.
    picker: Option<(RoleField, Picker<String>)>,
    /// Asking whether to discard the input.
    asking: bool,
    /// `q` on a field that takes no typing, with unsaved input: quit only when confirmed.
    asking_quit: bool,
    /// Someone changed or deleted the assignment being edited meanwhile.
    notice: Option<String>,
    /// The server's user search behind the user picker.
    search: UserSearch,
}

impl RoleForm {
    pub fn new_assignment(organization: Chosen) -> RoleForm {
        RoleForm::build(None, None, organization, [false; 5], "", "")
    }

    pub fn edit(row: &RoleAssignmentRow) -> RoleForm {
        let mut ticked = [false; 5];
        for (index, role) in Role::ALL.iter().enumerate() {
            ticked[index] = row.roles.contains(role);
        }
        let from = input_text(row.valid_from, DEFAULT_VALID_FROM);
        let to = input_text(row.valid_to, DEFAULT_VALID_TO);
        let mut form = RoleForm::build(
            Some(row.rel_id),
            Some(Chosen {
                id: row.user_id.clone(),
                label: row.user_name.clone(),
            }),
            Chosen {
                id: row.organization_id.clone(),
                label: row.organization_name.clone(),
            },
            ticked,
            &from,
            &to,
        );
        form.focus = RoleField::Roles;
        form
    }

    fn build(
        rel_id: Option<i64>,
        user: Option<Chosen>,
        organization: Chosen,
        roles: [bool; 5],
        from: &str,
        to: &str,
    ) -> RoleForm {
        let initial = (
            user.as_ref().map(|user| user.id.clone()),
            organization.id.clone(),
            roles,
        );
        RoleForm {
            rel_id,
            user,
            organization,
            roles,
            role_cursor: Selection::default(),
            valid_from: Field::new(from),
            valid_to: Field::new(to),
            focus: RoleField::User,
            field_error: None,
            error: None,
            notice: None,
            sending: false,
            initial,
            picker: None,
            asking: false,
            asking_quit: false,
            search: UserSearch::default(),
        }
    }

    pub fn title(&self) -> String {
        match self.rel_id {
            Some(id) => format!("Edit role assignment {id}"),
            None => "New role assignment".to_string(),
        }
    }

    pub fn rel_id(&self) -> Option<i64> {
        self.rel_id
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Someone else changed or deleted the assignment being edited: the form says so. True
    /// when it concerned this form.
    pub fn live(&mut self, change: &crate::tui::live::Change) -> bool {
        let concerned = match (self.rel_id, change.data.as_ref()) {
            (Some(rel), crate::api::events::EventData::RoleAssignment(row)) => row.rel_id == rel,
            _ => false,
        };
        if concerned && change.by_other {
            self.notice = Some(change.just());
        }
        concerned && change.by_other
    }

    pub fn user(&self) -> Option<&Chosen> {
        self.user.as_ref()
    }

    pub fn organization(&self) -> &Chosen {
        &self.organization
    }

    pub fn focus(&self) -> RoleField {
        self.focus
    }

    /// The field a check refused, and why.
    pub fn field_error(&self) -> Option<&(RoleField, String)> {
        self.field_error.as_ref()
    }

    pub fn dates(&self) -> (&str, &str) {
        (self.valid_from.value(), self.valid_to.value())
    }

    pub fn is_sending(&self) -> bool {
        self.sending
    }

    /// The user or organization picker, while it is open.
    pub fn picker(&self) -> Option<&Picker<String>> {
        self.picker.as_ref().map(|(_, picker)| picker)
    }

    pub fn is_asking(&self) -> bool {
        self.asking
    }

    pub fn is_asking_to_quit(&self) -> bool {
        self.asking_quit
    }

    /// When the query typed in the user picker goes, if one waits.
    pub fn search_due(&self) -> Option<Instant> {
        match &self.picker {
            Some((RoleField::User, _)) => self.search.due(),
            _ => None,
        }
    }

    /// The search to send, once typing has paused long enough.
    pub fn fire_search(&mut self, now: Instant) -> Option<crate::tui::message::Command> {
        match &self.picker {
            Some((RoleField::User, _)) => self.search.fire(now),
            _ => None,
        }
    }

    /// Whether this form waits for the search `request`.
    pub fn waits_for(&self, request: u64) -> bool {
        matches!(&self.picker, Some((RoleField::User, _))) && self.search.waits_for(request)
    }

    /// The users a search found (or why not), into the user picker.
    pub fn users_found(&mut self, query: &str, result: Result<Vec<UserSummary>, ClientError>) {
        if let Some((RoleField::User, picker)) = self.picker.as_mut() {
            self.search.answered(query, result, picker);
        }
    }

    pub fn is_dirty(&self) -> bool {
        (
            self.user.as_ref().map(|user| user.id.clone()),
            self.organization.id.clone(),
            self.roles,
        ) != self.initial
            || self.valid_from.is_changed()
            || self.valid_to.is_changed()
    }

    /// Who and where are fixed when editing: the server does not move an assignment.
    pub fn may_change(&self, field: RoleField) -> bool {
        match field {
            RoleField::User | RoleField::Organization => self.rel_id.is_none(),
            _ => true,
        }
    }

    fn move_focus(&mut self, forward: bool) {
        let fields: Vec<RoleField> = RoleField::ALL
            .into_iter()
            .filter(|field| self.may_change(*field))
            .collect();
        let at = fields
            .iter()
            .position(|field| *field == self.focus)
            .unwrap_or(0);
        let len = fields.len();
        let next = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        self.focus = fields[next];
    }

    pub fn ticked_roles(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .zip(self.roles)
            .filter(|(_, ticked)| *ticked)
            .map(|(role, _)| role)
            .collect()
    }

    fn tick(&mut self, index: usize) {
        if let Some(ticked) = self.roles.get_mut(index) {
            *ticked = !*ticked;
        }
        self.field_error = None;
    }

    pub fn parsed_from(&self, today: Day) -> ParsedDate {
        ParsedDate::of(self.valid_from.value(), today, DEFAULT_VALID_FROM)
    }

    pub fn parsed_to(&self, today: Day) -> ParsedDate {
        ParsedDate::of(self.valid_to.value(), today, DEFAULT_VALID_TO)
    }

    /// Checks the fields the way the server will; the request to send, or the first problem
    /// marked on its field.
    pub fn validate(&mut self, today: Day) -> Option<RoleAssignmentRequest> {
        self.field_error = None;
        self.error = None;
        let problem = |field: RoleField, text: &str| Some((field, text.to_string()));
        let roles = self.ticked_roles();
        let from = self.parsed_from(today);
        let to = self.parsed_to(today);
        let error = match (&self.user, roles.is_empty(), &from, &to) {
            (None, ..) => problem(RoleField::User, "Choose a user (Enter opens the list)."),
            (_, true, ..) => problem(RoleField::Roles, "Tick at least one role (Space)."),
            (_, _, ParsedDate::Invalid(why), _) => problem(RoleField::ValidFrom, why),
            (_, _, _, ParsedDate::Invalid(why)) => problem(RoleField::ValidTo, why),
            _ => match (from.day(), to.day()) {
                (Some(from), Some(to)) if from > to => problem(
                    RoleField::ValidTo,
                    &format!(
                        "Valid to ({}) is before valid from ({}).",
                        to.date_only(),
                        from.date_only()
                    ),
                ),
                _ => None,
            },
        };
        if let Some((field, text)) = error {
            self.focus = field;
            self.field_error = Some((field, text));
            return None;
        }
        let user = self.user.as_ref()?;
        let date = |parsed: &ParsedDate| match parsed {
            ParsedDate::Day(day) => Some(day.date_only()),
            _ => None,
        };
        let (role, roles) = match roles.as_slice() {
            [one] => (Some(*one), None),
            _ => (None, Some(roles)),
        };
        Some(RoleAssignmentRequest {
            rel_id: self.rel_id,
            role,
            roles,
            user_id: UserIdValue::Text(user.id.clone()),
            organization_id: self.organization.id.clone(),
            valid_from: date(&from),
            valid_to: date(&to),
        })
    }

    pub fn on_key(&mut self, key: &KeyEvent, given: &Given) -> Outcome {
        let keys = given.keys;
        if self.asking {
            self.asking = false;
            return discard_key(key, keys).unwrap_or(Outcome::Stay);
        }
        if self.asking_quit {
            self.asking_quit = false;
            return quit_key(key, keys).unwrap_or(Outcome::Stay);
        }
        if let Some((field, picker)) = self.picker.as_mut() {
            let before = picker.filter_text().to_string();
            match picker.on_key(key, keys) {
                Picked::Stay => {
                    if *field == RoleField::User && picker.filter_text() != before {
                        let typed = picker.filter_text().to_string();
                        self.search.typed(&typed, given.now, picker);
                    }
                }
                Picked::Cancelled => self.picker = None,
                Picked::Chosen(choice) => {
                    let chosen = Chosen {
                        id: choice.id,
                        label: choice.name,
                    };
                    match field {
                        RoleField::Organization => self.organization = chosen,
                        _ => self.user = Some(chosen),
                    }
                    self.picker = None;
                    self.field_error = None;
                    // The organization is preselected, so the roles come next either way.
                    self.focus = RoleField::Roles;
                }
            }
            return Outcome::Stay;
        }
        let context = if self.focus == RoleField::Roles {
            Context::RoleTicks
        } else {
            Context::RoleForm
        };
        let chooser = self.focus.is_chosen() && self.may_change(self.focus);
        match keys.action(context, key) {
            Some(Action::Cancel) if self.is_dirty() => self.asking = true,
            Some(Action::Cancel) => return Outcome::Close,
            Some(Action::Quit) if self.is_dirty() => self.asking_quit = true,
            Some(Action::Quit) => return Outcome::Quit,
            Some(Action::NextField) => self.move_focus(true),
            Some(Action::PreviousField) => self.move_focus(false),
            Some(Action::Accept) if chooser => return self.open_picker(None, given),
            Some(Action::Accept) if !self.sending => {
                if let Some(request) = self.validate(given.today) {
                    self.sending = true;
                    return Outcome::Send(crate::tui::message::Command::SaveRoleAssignment(
                        request,
                    ));
                }
                // An older answer in the footer would contradict the form.
                return Outcome::Say(Flash::info(super::fleet_form::NOT_SAVED));
            }
            Some(Action::PreviousRole) => self.role_cursor.move_by(-1, Role::ALL.len()),
            Some(Action::NextRole) => self.role_cursor.move_by(1, Role::ALL.len()),
            Some(Action::Tick) => self.tick(self.role_cursor.index()),
            Some(Action::TickRole(n)) => {
                let index = usize::from(n.saturating_sub(1));
                self.role_cursor.select(index);
                self.tick(index);
            }
            _ if chooser => {
                if let Some(c) = typed_char(key) {
                    return self.open_picker(Some(c).filter(|c| !c.is_whitespace()), given);
                }
            }
            _ => {
                let field = match self.focus {
                    RoleField::ValidFrom => &mut self.valid_from,
                    RoleField::ValidTo => &mut self.valid_to,
                    _ => return Outcome::Stay,
                };
                field.input(key);
                self.field_error = None;
                self.error = None;
            }
        }
        Outcome::Stay
    }

    /// Opens the picker of the focused field, filtered by `first` when a letter opened it:
    /// users come from the server's search, organizations are those the signed-in user may
    /// assign in.
    fn open_picker(&mut self, first: Option<char>, given: &Given) -> Outcome {
        if self.focus == RoleField::User {
            let mut picker = Picker::new("User".to_string(), Vec::new(), false);
            if let Some(c) = first {
                picker = picker.with_filter(&c.to_string());
            }
            self.search = UserSearch::default();
            let typed = picker.filter_text().to_string();
            self.search.typed(&typed, given.now, &mut picker);
            self.picker = Some((RoleField::User, picker));
            return Outcome::Stay;
        }
        let Some(assignable) = given.directory.assignable(given.today) else {
            return Outcome::Say(Flash::info(
                "Still loading where you may assign; try again in a moment.",
            ));
        };
        if assignable.is_empty() {
            return Outcome::Say(Flash::info(
                "You may assign roles in no organization: that takes administrator or \
                 main_administrator there or above, valid today.",
            ));
        }
        let items = assignable
            .into_iter()
            .map(|org| PickerItem {
                id: org.id.clone(),
                label: org.name.clone(),
                name: org.name.clone(),
                busy_with: None,
                unavailable: None,
            })
            .collect();
        let mut picker = Picker::new("Organization".to_string(), Vec::new(), false);
        // In tree order, not alphabetical: each depot above its units.
        picker.set_ranked(items);
        if let Some(c) = first {
            picker = picker.with_filter(&c.to_string());
        }
        self.picker = Some((RoleField::Organization, picker));
        Outcome::Stay
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &Look) {
        if self.asking {
            return draw_discard(frame, area, look);
        }
        if self.asking_quit {
            return draw_quit(frame, area, look);
        }
        if let Some((_, picker)) = self.picker.as_mut() {
            return picker.draw(frame, area, look.keys, look.theme);
        }
        let theme = look.theme;
        let accept = look.keys.label(Context::RoleForm, Action::Accept);
        let chosen = |field: RoleField, value: Option<&str>| {
            let mut spans = vec![label(field.label(), 14, self.focus == field, theme)];
            match value {
                Some(value) => spans.push(Span::raw(value.to_string())),
                None => spans.push(Span::styled("(none)", theme.dim())),
            }
            if !self.may_change(field) {
                spans.push(Span::styled("  (fixed when editing)", theme.dim()));
            } else if self.focus == field {
                spans.push(Span::styled(format!("  {accept}: choose"), theme.dim()));
            }
            Line::from(spans)
        };
        let mut lines = vec![
            chosen(
                RoleField::User,
                self.user.as_ref().map(|u| u.label.as_str()),
            ),
            chosen(RoleField::Organization, Some(&self.organization.label)),
            Line::from(vec![label(
                RoleField::Roles.label(),
                14,
                self.focus == RoleField::Roles,
                theme,
            )]),
        ];
        for (index, role) in Role::ALL.iter().enumerate() {
            let tick = if self.roles[index] { "[x]" } else { "[ ]" };
            let pointed = self.focus == RoleField::Roles && self.role_cursor.index() == index;
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
                &self.valid_from,
                self.parsed_from(look.today),
            ),
            (
                RoleField::ValidTo,
                &self.valid_to,
                self.parsed_to(look.today),
            ),
        ] {
            let focused = self.focus == field;
            lines.push(Line::from(vec![
                label(field.label(), 14, focused, theme),
                Span::raw(format!("{:<12}", input.in_width(focused, false, 12))),
                Span::raw(" "),
                parsed.span(theme),
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
        let error = self
            .field_error
            .as_ref()
            .map(|(_, error)| error)
            .or(self.error.as_ref());
        let status = match (error, &self.notice) {
            (Some(error), _) => Some(FormStatus::Error(error)),
            _ if self.sending => Some(FormStatus::Sending("Saving…")),
            (None, Some(notice)) => Some(FormStatus::Notice(notice)),
            (None, None) => None,
        };
        lines.push(status.map_or_else(|| Line::from(""), |status| status.line(" ", theme)));
        let (context, hints) = if self.focus == RoleField::Roles {
            (Context::RoleTicks, ROLE_HINTS)
        } else {
            (Context::RoleForm, HINTS)
        };
        lines.push(Line::from(key_line(
            look.keys,
            context,
            hints,
            (" ", "  "),
            theme.key(),
        )));
        draw_dialog(frame, area, FORM_WIDTH, &self.title(), lines, theme);
    }
}

#[cfg(test)]
mod tests;
