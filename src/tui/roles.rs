//! The Roles tab's state: the organization tree, the role assignments of the selected
//! organization, the role form and the role conflict dialog. Pure data and rules; the keys
//! are handled in `app.rs`, drawing in `roles_view.rs`.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use tui_input::Input;

use super::app::SortKey;
use crate::api::dates::{parse_relative, Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{
    ConflictItem, ConflictType, Organization, Role, RoleAssignmentRequest, RoleAssignmentRow,
    UserIdValue,
};
use crate::api::User;
use crate::domain::roles::{apply, overlaps, ExistingAssignment, RequestedAssignment, Suggestion};

/// Which half of the Roles tab the arrow keys move in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolesFocus {
    Tree,
    List,
}

/// One visible line of the organization tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRow {
    /// Index into `RolesState::organizations`.
    pub index: usize,
    pub depth: usize,
    pub has_children: bool,
    pub expanded: bool,
}

/// Columns the role list sorts by, in `s` order.
pub const ROLE_COLUMNS: [&str; 4] = ["USER", "ROLES", "VALID FROM", "VALID TO"];

#[derive(Debug)]
pub struct RolesState {
    pub organizations: Vec<Organization>,
    pub loaded: bool,
    pub stale: bool,
    /// Organizations whose children are hidden.
    collapsed: HashSet<String>,
    pub rows: Vec<TreeRow>,
    pub tree_selected: usize,
    pub tree_offset: Cell<usize>,
    pub focus: RolesFocus,
    /// Role assignments per organization id, as last loaded: moving back is instant.
    pub by_org: HashMap<String, Vec<RoleAssignmentRow>>,
    /// The latest load asked for each organization; older answers are dropped.
    requested: HashMap<String, u64>,
    /// The organization whose assignments were asked for last.
    last_requested: Option<String>,
    next_request: u64,
    pub list_selected: usize,
    pub list_offset: Cell<usize>,
    pub sort_column: usize,
    pub sort_reversed: bool,
    pub users: Vec<User>,
    pub users_loaded: bool,
    /// The server lets only fleet admins list users; others cannot use the picker.
    pub users_forbidden: bool,
    /// Set once the tab has been opened; until then nothing of it is loaded.
    pub visited: bool,
}

impl Default for RolesState {
    fn default() -> Self {
        RolesState {
            organizations: Vec::new(),
            loaded: false,
            stale: false,
            collapsed: HashSet::new(),
            rows: Vec::new(),
            tree_selected: 0,
            tree_offset: Cell::new(0),
            focus: RolesFocus::Tree,
            by_org: HashMap::new(),
            requested: HashMap::new(),
            last_requested: None,
            next_request: 0,
            list_selected: 0,
            list_offset: Cell::new(0),
            sort_column: 0,
            sort_reversed: false,
            users: Vec::new(),
            users_loaded: false,
            users_forbidden: false,
            visited: false,
        }
    }
}

impl RolesState {
    /// Replaces the organizations, keeping the selected one selected.
    pub fn set_organizations(&mut self, mut organizations: Vec<Organization>, filter: &str) {
        let keep = self.selected_organization().map(|org| org.id.clone());
        organizations.sort_by_key(|org| natural_key(&org.name));
        self.organizations = organizations;
        self.loaded = true;
        self.stale = false;
        self.rebuild(filter);
        if let Some(id) = keep {
            self.select_organization(&id);
        }
    }

    /// Recomputes the visible tree: with a filter, every match and its ancestors, expanded.
    pub fn rebuild(&mut self, filter: &str) {
        let keep = self.selected_organization().map(|org| org.id.clone());
        let needle = filter.trim().to_lowercase();
        let ids: HashSet<&str> = self.organizations.iter().map(|o| o.id.as_str()).collect();
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (index, org) in self.organizations.iter().enumerate() {
            // A parent that is not in the list (deleted, or not visible) makes a root.
            let parent = org.parent_id.as_deref().filter(|id| ids.contains(id));
            children.entry(parent).or_default().push(index);
        }
        let mut wanted: Option<HashSet<usize>> = None;
        if !needle.is_empty() {
            let by_id: HashMap<&str, usize> = self
                .organizations
                .iter()
                .enumerate()
                .map(|(index, org)| (org.id.as_str(), index))
                .collect();
            let mut keep = HashSet::new();
            for (index, org) in self.organizations.iter().enumerate() {
                if org.name.to_lowercase().contains(&needle) {
                    let mut at = Some(index);
                    // Guarded against a cycle in bad data.
                    while let Some(current) = at.filter(|i| keep.insert(*i)) {
                        at = self.organizations[current]
                            .parent_id
                            .as_deref()
                            .and_then(|id| by_id.get(id).copied());
                    }
                }
            }
            wanted = Some(keep);
        }
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|roots| roots.iter().rev().map(|index| (*index, 0)).collect())
            .unwrap_or_default();
        while let Some((index, depth)) = stack.pop() {
            if !seen.insert(index) {
                continue;
            }
            if wanted.as_ref().is_some_and(|keep| !keep.contains(&index)) {
                continue;
            }
            let org = &self.organizations[index];
            let kids = children.get(&Some(org.id.as_str()));
            let has_children = kids.is_some_and(|kids| !kids.is_empty());
            let expanded = wanted.is_some() || !self.collapsed.contains(&org.id);
            rows.push(TreeRow {
                index,
                depth,
                has_children,
                expanded,
            });
            if expanded {
                if let Some(kids) = kids {
                    stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
                }
            }
        }
        self.rows = rows;
        self.tree_selected = self.tree_selected.min(self.rows.len().saturating_sub(1));
        // The selected organization stays selected while it is still shown.
        if let Some(id) = keep {
            self.select_organization(&id);
        }
    }

    pub fn selected_organization(&self) -> Option<&Organization> {
        self.rows
            .get(self.tree_selected)
            .and_then(|row| self.organizations.get(row.index))
    }

    fn select_organization(&mut self, id: &str) {
        if let Some(position) = self
            .rows
            .iter()
            .position(|row| self.organizations[row.index].id == id)
        {
            self.tree_selected = position;
        }
    }

    pub fn organization_name(&self, id: &str) -> String {
        self.organizations
            .iter()
            .find(|org| org.id == id)
            .map_or_else(|| id.to_string(), |org| org.name.clone())
    }

    /// Expands or collapses the selected organization; false when it has no children.
    pub fn toggle_selected(&mut self, filter: &str) -> bool {
        let Some(row) = self.rows.get(self.tree_selected) else {
            return false;
        };
        if !row.has_children {
            return false;
        }
        let id = self.organizations[row.index].id.clone();
        if !self.collapsed.remove(&id) {
            self.collapsed.insert(id);
        }
        self.rebuild(filter);
        true
    }

    pub fn move_tree(&mut self, delta: isize) {
        self.tree_selected = moved(self.tree_selected, delta, self.rows.len());
    }

    pub fn move_list(&mut self, delta: isize) {
        self.list_selected = moved(self.list_selected, delta, self.shown().len());
    }

    /// Starts a load of the selected organization's assignments.
    pub fn load_selected(&mut self) -> Option<(u64, String)> {
        let id = self.selected_organization()?.id.clone();
        self.last_requested = Some(id.clone());
        Some(self.load(id))
    }

    /// Starts a load of one organization's assignments, selected or not.
    pub fn load(&mut self, organization_id: String) -> (u64, String) {
        self.next_request += 1;
        self.requested
            .insert(organization_id.clone(), self.next_request);
        (self.next_request, organization_id)
    }

    /// Keeps an answer unless a newer load for the same organization was sent since.
    pub fn accept_assignments(
        &mut self,
        request: u64,
        organization_id: String,
        rows: Vec<RoleAssignmentRow>,
    ) {
        if self.requested.get(&organization_id) != Some(&request) {
            return;
        }
        self.by_org.insert(organization_id, rows);
        self.stale = false;
        self.list_selected = self.list_selected.min(self.shown().len().saturating_sub(1));
    }

    /// The selected organization's assignments, sorted; None while never loaded.
    pub fn shown_rows(&self) -> Option<Vec<&RoleAssignmentRow>> {
        let org = self.selected_organization()?;
        let rows = self.by_org.get(&org.id)?;
        let mut sorted: Vec<&RoleAssignmentRow> = rows.iter().collect();
        // Drawn every frame: each row's key is built once, not per comparison.
        sorted.sort_by_cached_key(|row| {
            let key = match self.sort_column {
                1 => SortKey::Text(roles_text(&row.roles, false)),
                2 => SortKey::Number(i64::from(row.valid_from.0)),
                3 => SortKey::Number(i64::from(row.valid_to.0)),
                _ => natural_key(&row.user_name),
            };
            (key, row.valid_from)
        });
        if self.sort_reversed {
            sorted.reverse();
        }
        Some(sorted)
    }

    /// Whether the selection moved to an organization not asked for yet.
    pub fn selection_unrequested(&self) -> bool {
        self.selected_organization().map(|org| &org.id) != self.last_requested.as_ref()
            && self.selected_organization().is_some()
    }

    fn shown(&self) -> Vec<&RoleAssignmentRow> {
        self.shown_rows().unwrap_or_default()
    }

    pub fn selected_assignment(&self) -> Option<RoleAssignmentRow> {
        self.shown()
            .get(self.list_selected)
            .map(|row| (*row).clone())
    }

    /// One user's assignments in one organization, as last loaded.
    pub fn assignments_of(&self, user_id: &str, organization_id: &str) -> Vec<RoleAssignmentRow> {
        self.by_org
            .get(organization_id)
            .map(|rows| {
                rows.iter()
                    .filter(|row| row.user_id == user_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn moved(current: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    current.saturating_add_signed(delta).min(len - 1)
}

/// Names with numbers sort as people expect ("Depot 2" before "Depot 10").
fn natural_key(text: &str) -> SortKey {
    SortKey::natural(text)
}

/// "employee, administrator"; short forms where room is scarce.
pub fn roles_text(roles: &[Role], short: bool) -> String {
    roles
        .iter()
        .map(|role| {
            if short {
                match role {
                    Role::Employee => "empl",
                    Role::Approver => "appr",
                    Role::Manager => "mgr",
                    Role::Administrator => "admin",
                    Role::MainAdministrator => "main-adm",
                }
            } else {
                role.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A validity end for people: "open" for its default, else the date, or "25-01-01" where
/// room is scarce (`wide: false`).
pub fn date_text(day: Day, default: Day, wide: bool) -> String {
    if day == default {
        return "open".to_string();
    }
    let full = day.date_only();
    if wide || full.len() != 10 {
        full
    } else {
        full[2..].to_string()
    }
}

/// A validity end as a date field starts out: empty stands for the default.
fn input_text(day: Day, default: Day) -> String {
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
}

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
}

/// A user or organization chosen in the form: the id and what to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub id: String,
    pub label: String,
}

/// New or edit a role assignment.
#[derive(Clone, Debug)]
pub struct RoleForm {
    /// The assignment edited; None for a new one.
    pub rel_id: Option<i64>,
    pub user: Option<Chosen>,
    pub organization: Chosen,
    /// Ticked roles, in `Role::ALL` order.
    pub roles: [bool; 5],
    pub role_cursor: usize,
    pub valid_from: Input,
    pub valid_to: Input,
    pub focus: RoleField,
    pub field_error: Option<(RoleField, String)>,
    pub error: Option<String>,
    pub sending: bool,
    initial: (Option<String>, String, [bool; 5], String, String),
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
            from.to_string(),
            to.to_string(),
        );
        RoleForm {
            rel_id,
            user,
            organization,
            roles,
            role_cursor: 0,
            valid_from: Input::new(from.to_string()),
            valid_to: Input::new(to.to_string()),
            focus: RoleField::User,
            field_error: None,
            error: None,
            sending: false,
            initial,
        }
    }

    pub fn title(&self) -> String {
        match self.rel_id {
            Some(id) => format!("Edit role assignment {id}"),
            None => "New role assignment".to_string(),
        }
    }

    pub fn is_dirty(&self) -> bool {
        (
            self.user.as_ref().map(|user| user.id.clone()),
            self.organization.id.clone(),
            self.roles,
            self.valid_from.value().to_string(),
            self.valid_to.value().to_string(),
        ) != self.initial
    }

    /// Who and where are fixed when editing: the server does not move an assignment.
    pub fn may_change(&self, field: RoleField) -> bool {
        match field {
            RoleField::User | RoleField::Organization => self.rel_id.is_none(),
            _ => true,
        }
    }

    pub fn move_focus(&mut self, forward: bool) {
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
}

/// Editing one conflict row's suggested dates.
#[derive(Clone, Debug)]
pub struct DateEdit {
    pub from: Input,
    pub to: Input,
    /// 0 = from, 1 = to.
    pub focus: usize,
    pub error: Option<String>,
}

/// The local re-check of the dialog's items: what the assignments become, or why not.
pub type Outcome = Result<Vec<crate::domain::roles::FinalAssignment>, String>;

/// The role conflict dialog: the server's suggestions, perhaps edited, to send back.
#[derive(Clone, Debug)]
pub struct RoleConflict {
    pub message: String,
    /// Set when the suggestions were replaced by fresh ones from a resolve.
    pub why: Option<String>,
    pub request: RoleAssignmentRequest,
    pub items: Vec<ConflictItem>,
    /// The items as the server suggested them, to mark edited rows.
    pub suggested: Vec<ConflictItem>,
    pub selected: usize,
    pub editing: Option<DateEdit>,
    /// The user's assignments in the organization now (for the timeline and the check).
    pub existing: Vec<ExistingAssignment>,
    pub outcome: Outcome,
    pub sending: bool,
    pub error: Option<String>,
    pub user_name: String,
    pub organization_name: String,
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
            selected: 0,
            editing: None,
            existing: Vec::new(),
            outcome: Ok(Vec::new()),
            sending: false,
            error: None,
            user_name,
            organization_name,
        };
        dialog.set_known(known);
        dialog
    }

    /// Takes the user's assignments as the list now knows them and checks again.
    pub fn set_known(&mut self, known: &[RoleAssignmentRow]) {
        let (from, to) = requested_range(&self.request);
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
                    roles: requested_roles(&self.request),
                    from,
                    to,
                });
            }
        }
        existing.sort_by_key(|e| (e.from, e.to));
        self.existing = existing;
        self.recheck();
    }

    pub fn requested(&self) -> RequestedAssignment {
        let (from, to) = requested_range(&self.request);
        RequestedAssignment {
            rel_id: self.request.rel_id,
            roles: requested_roles(&self.request),
            from,
            to,
        }
    }

    /// Applies the items locally, as the server will.
    pub fn recheck(&mut self) {
        let suggestions: Vec<Suggestion> = self.items.iter().map(Suggestion::from_item).collect();
        self.outcome =
            apply(&self.existing, &self.requested(), &suggestions).map_err(|err| err.to_string());
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
    pub fn start_edit(&mut self) -> Result<(), String> {
        let Some(item) = self.items.get(self.selected) else {
            return Err("Nothing to edit.".to_string());
        };
        if item.validated {
            return Err(
                "This row is the assignment you asked for; Esc goes back to its form.".to_string(),
            );
        }
        self.editing = Some(DateEdit {
            from: Input::new(input_text(item.valid_from, DEFAULT_VALID_FROM)),
            to: Input::new(input_text(item.valid_to, DEFAULT_VALID_TO)),
            focus: 0,
            error: None,
        });
        Ok(())
    }

    /// Takes the edited dates into the selected row; false (with the reason shown) when they
    /// do not parse.
    pub fn finish_edit(&mut self, today: Day) -> bool {
        let Some(edit) = self.editing.as_mut() else {
            return false;
        };
        let from = ParsedDate::of(edit.from.value(), today, DEFAULT_VALID_FROM);
        let to = ParsedDate::of(edit.to.value(), today, DEFAULT_VALID_TO);
        let (from, to) = match (from, to) {
            (ParsedDate::Invalid(why), _) => {
                edit.focus = 0;
                edit.error = Some(format!("Valid from: {why}"));
                return false;
            }
            (_, ParsedDate::Invalid(why)) => {
                edit.focus = 1;
                edit.error = Some(format!("Valid to: {why}"));
                return false;
            }
            (from, to) => match (from.day(), to.day()) {
                (Some(from), Some(to)) => (from, to),
                _ => return false,
            },
        };
        if from > to {
            edit.focus = 1;
            edit.error = Some(format!(
                "It would end on {} before it starts on {}.",
                to.date_only(),
                from.date_only()
            ));
            return false;
        }
        if let Some(item) = self.items.get_mut(self.selected) {
            item.valid_from = from;
            item.valid_to = to;
            item.conflict_type = edited_type(item);
        }
        self.editing = None;
        self.recheck();
        true
    }
}

/// What an edited row now does: a kept existing assignment with new dates is trimmed, one
/// whose dates are back to its own is left alone.
fn edited_type(item: &ConflictItem) -> ConflictType {
    match (item.rel_id, item.current_valid_from, item.current_valid_to) {
        (Some(_), Some(from), Some(to)) => {
            if item.valid_to != to {
                ConflictType::DateToUpdated
            } else if item.valid_from != from {
                ConflictType::DateFromUpdated
            } else {
                ConflictType::NoUpdate
            }
        }
        // A part to create (the rest of a split) stays a creation.
        _ => ConflictType::DateFromUpdated,
    }
}

/// The action of a row, in words.
pub fn action_words(kind: ConflictType) -> &'static str {
    match kind {
        ConflictType::ToDelete => "delete",
        ConflictType::DateToUpdated => "end earlier",
        ConflictType::DateFromUpdated => "start later",
        ConflictType::NoUpdate => "keep",
    }
}

pub fn requested_roles(request: &RoleAssignmentRequest) -> Vec<Role> {
    match (&request.roles, request.role) {
        (Some(roles), _) => roles.clone(),
        (None, Some(role)) => vec![role],
        (None, None) => Vec::new(),
    }
}

/// The request's dates with the defaults filled in; the form only sends plain dates.
pub fn requested_range(request: &RoleAssignmentRequest) -> (Day, Day) {
    let parse = |text: &Option<String>, default: Day| {
        text.as_deref()
            .filter(|text| !text.trim().is_empty())
            .and_then(|text| text.parse::<Day>().ok())
            .unwrap_or(default)
    };
    (
        parse(&request.valid_from, DEFAULT_VALID_FROM),
        parse(&request.valid_to, DEFAULT_VALID_TO),
    )
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).expect("a date")
    }

    fn org(id: &str, name: &str, parent: Option<&str>) -> Organization {
        Organization {
            id: id.to_string(),
            name: name.to_string(),
            parent_id: parent.map(str::to_string),
        }
    }

    fn tree() -> RolesState {
        let mut state = RolesState::default();
        state.set_organizations(
            vec![
                org("n", "Depot North", Some("h")),
                org("h", "Region Hamburg", None),
                org("w", "Workshop North", Some("n")),
                org("s", "Depot South", Some("h")),
                org("x", "Orphan", Some("gone")),
            ],
            "",
        );
        state
    }

    fn names(state: &RolesState) -> Vec<(usize, String)> {
        state
            .rows
            .iter()
            .map(|row| (row.depth, state.organizations[row.index].name.clone()))
            .collect()
    }

    #[test]
    fn the_tree_nests_sorts_and_collapses() {
        let mut state = tree();
        assert_eq!(
            names(&state),
            vec![
                (0, "Orphan".to_string()),
                (0, "Region Hamburg".to_string()),
                (1, "Depot North".to_string()),
                (2, "Workshop North".to_string()),
                (1, "Depot South".to_string()),
            ]
        );
        state.tree_selected = 2;
        assert!(state.toggle_selected(""));
        assert_eq!(names(&state).len(), 4);
        assert!(!state.rows[2].expanded);
        state.tree_selected = 4;
        assert!(!state.toggle_selected(""), "a leaf has nothing to fold");
    }

    #[test]
    fn a_filter_keeps_matches_with_their_ancestors_even_when_folded() {
        let mut state = tree();
        state.tree_selected = 2;
        state.toggle_selected("");
        state.rebuild("workshop");
        assert_eq!(
            names(&state),
            vec![
                (0, "Region Hamburg".to_string()),
                (1, "Depot North".to_string()),
                (2, "Workshop North".to_string()),
            ]
        );
        state.rebuild("nothing like it");
        assert!(state.rows.is_empty());
        assert!(state.selected_organization().is_none());
    }

    #[test]
    fn an_old_answer_does_not_replace_a_newer_one() {
        let mut state = tree();
        state.tree_selected = 1;
        let (first, id) = state.load_selected().expect("an organization");
        let (second, _) = state.load_selected().expect("an organization");
        state.accept_assignments(second, id.clone(), Vec::new());
        let row = RoleAssignmentRow {
            rel_id: 1,
            user_id: "5".to_string(),
            user_name: "Ana".to_string(),
            organization_id: id.clone(),
            organization_name: "Region Hamburg".to_string(),
            roles: vec![Role::Employee],
            valid_from: day(2024, 1, 1),
            valid_to: DEFAULT_VALID_TO,
        };
        state.accept_assignments(first, id, vec![row]);
        assert_eq!(state.shown_rows().map(|rows| rows.len()), Some(0));
    }

    #[test]
    fn the_form_refuses_what_does_not_parse_and_sends_plain_dates() {
        let today = day(2026, 11, 24);
        let mut form = RoleForm::new_assignment(Chosen {
            id: "org".to_string(),
            label: "Depot North".to_string(),
        });
        assert!(form.validate(today).is_none());
        assert_eq!(
            form.field_error.as_ref().map(|e| e.0),
            Some(RoleField::User)
        );
        form.user = Some(Chosen {
            id: "7".to_string(),
            label: "Ana".to_string(),
        });
        form.roles[0] = true;
        form.valid_from = Input::new("next week".to_string());
        assert!(form.validate(today).is_none());
        assert_eq!(form.focus, RoleField::ValidFrom);
        form.valid_from = Input::new("+30d".to_string());
        form.valid_to = Input::new("today".to_string());
        assert!(form.validate(today).is_none());
        assert_eq!(form.focus, RoleField::ValidTo);
        form.valid_to = Input::new(String::new());
        let request = form.validate(today).expect("valid");
        assert_eq!(request.valid_from.as_deref(), Some("2026-12-24"));
        assert_eq!(request.valid_to, None);
        assert_eq!(request.role, Some(Role::Employee));
        form.roles[3] = true;
        let request = form.validate(today).expect("valid");
        assert_eq!(
            request.roles,
            Some(vec![Role::Employee, Role::Administrator])
        );
        assert!(form.is_dirty());
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
